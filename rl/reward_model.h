/* rl/reward_model.h — an outcome reward model (DeepSeekMath §4.1, §4.2): a GPT-2 with a scalar
 * head (rl/value.h) that scores a whole output, trained on the policy's own samples labelled
 * by the task's checker.
 *
 *   collect   sample K outputs for each of N questions from a policy (the rollout code GRPO
 *             uses, rl/grpo_internal.h) and label each 1 when the checker finds the final
 *             answer right, else 0;
 *   train     binary cross-entropy on the score s read at the last token of prompt + output:
 *             L = mean_i [softplus(s_i) − y_i s_i], so σ(s) estimates P(correct);
 *   evaluate  on held-out samples (outputs for test-split questions, never trained on): AUC
 *             (the chance that a correct output outscores an incorrect one) and accuracy of
 *             σ(s) > 1/2 against the share of the majority label.
 *   replay    the paper's iterative RL keeps training the reward model on new policy samples
 *             plus a 10% replay of the old ones: mm_rm_data_replay draws that share.
 *
 * The paper trains its reward models on (a) outputs of the SFT model labelled by rules and
 * scores them with process supervision too; mathmine has the outcome model only (the process
 * reward model, one score per step end, is not built yet).
 *
 * Ownership: an mm_rm_data owns its sequences; free with mm_rm_data_free.  Nothing here
 * prints: progress goes through the log callback. */
#ifndef MM_REWARD_MODEL_H
#define MM_REWARD_MODEL_H

#include <stdint.h>

#include "common/error.h"
#include "rl/gpt2.h"
#include "rl/grpo.h"
#include "rl/task.h"
#include "rl/value.h"

/* Labelled sequences: tokens[i] = prompt (plen[i] tokens) + output, len[i] tokens in all. */
typedef struct mm_rm_data {
    int n, cap;
    int32_t **tokens;
    int *len, *plen;
    int *label; /* 1 = the checker found the answer right */
} mm_rm_data;

MM_API void mm_rm_data_free(mm_rm_data *d);
/* Append one sequence (copied). */
MM_API mm_err mm_rm_data_add(mm_rm_data *d, const int32_t *tokens, int len, int plen, int label);
/* Append round(share · old->n) sequences of `old`, drawn without replacement (seeded), to d. */
MM_API mm_err mm_rm_data_replay(const mm_rm_data *old, double share, uint64_t seed, mm_rm_data *d);
/* Positive labels in d. */
MM_API int mm_rm_data_positives(const mm_rm_data *d);

typedef struct mm_rm_collect_opts {
    int questions;     /* N */
    int per_question;  /* K samples of each */
    float temperature; /* sampling temperature (1 = the policy's distribution) */
    int max_new_tokens;
    int batch; /* sequences generated at once (0 = all) */
    uint64_t seed;
} mm_rm_collect_opts;

/* Sample from `policy` and append the labelled sequences to d.  Train split: N questions drawn
 * at random (seeded); test split: the first N test questions (all when N = 0 or N exceeds
 * them). */
MM_API mm_err mm_rm_collect(mm_gpt *policy, const mm_grpo_codec *c, const mm_task *t,
                            mm_task_split s, const mm_rm_collect_opts *o, mm_rm_data *d);

typedef struct mm_rm_train_opts {
    int epochs, batch;
    float lr, weight_decay, grad_clip;
    uint64_t seed; /* order of the examples */
} mm_rm_train_opts;
MM_API void mm_rm_train_opts_default(mm_rm_train_opts *o);

/* Called after every epoch with the mean training loss; non-zero return stops. */
typedef int (*mm_rm_log_fn)(void *ud, int epoch, double loss);

MM_API mm_err mm_rm_train(mm_value *rm, const mm_rm_data *d, const mm_rm_train_opts *o,
                          mm_rm_log_fn log, void *ud);

/* Scores (the head at each sequence's last token) of n sequences, `batch` at a time. */
MM_API mm_err mm_rm_score(mm_value *rm, const int32_t *const *tokens, const int *len, int n,
                          int batch, float *scores);

typedef struct mm_rm_eval_result {
    int n, positives;
    double auc;                /* NAN when one label is missing */
    double accuracy;           /* σ(s) > 1/2 agrees with the label */
    double majority;           /* accuracy of always answering the more frequent label */
    double loss;               /* mean binary cross-entropy */
    double mean_pos, mean_neg; /* mean score of each label */
} mm_rm_eval_result;

MM_API mm_err mm_rm_evaluate(mm_value *rm, const mm_rm_data *d, int batch, mm_rm_eval_result *r);

/* ---- the whole stage, as `mathmine rm` runs it ---- */

typedef struct mm_rm_build_opts {
    mm_rm_collect_opts train; /* samples to train on (train split) */
    mm_rm_collect_opts test;  /* held-out samples (test split) */
    mm_rm_train_opts fit;
    int score_batch; /* sequences per forward when scoring (0 = 64) */
} mm_rm_build_opts;

typedef struct mm_rm_build_result {
    int train_n, train_positives;
    mm_rm_eval_result before; /* held-out, with the head as it was given (fresh: chance) */
    mm_rm_eval_result after;  /* held-out, after training */
    double final_loss;        /* training loss of the last epoch */
    double sample_s, train_s; /* seconds */
} mm_rm_build_result;

/* Collect train and held-out samples from `policy`, evaluate `rm` on the held-out ones, train
 * it, evaluate again.  The log callback sees every epoch. */
MM_API mm_err mm_rm_build(mm_gpt *policy, const mm_grpo_codec *c, const mm_task *t, mm_value *rm,
                          const mm_rm_build_opts *o, mm_rm_log_fn log, void *ud,
                          mm_rm_build_result *r);

/* Area under the ROC curve of scores against binary labels (ties count one half); NAN when
 * either label is absent. */
MM_API double mm_rm_auc(const float *score, const int *label, int n);

#endif
