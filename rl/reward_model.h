/* rl/reward_model.h — outcome and process reward models (DeepSeekMath §4.1, §4.2): a GPT-2
 * with a scalar head (rl/value.h) that scores a whole output (ORM) or every step of it (PRM),
 * trained on the policy's own samples labelled by the task's checker; and the mixes of rule,
 * ORM and PRM rewards that GRPO uses.
 *
 *   collect   sample K outputs for each of N questions from a policy (the rollout code GRPO
 *             uses, rl/grpo_internal.h) and label each 1 when the checker finds the final
 *             answer right, else 0;
 *   train     binary cross-entropy on the score s read at each step end (an ORM: the last
 *             token of prompt + output): L = mean over steps [softplus(s) − y s], so σ(s)
 *             estimates P(correct) (a PRM: P(right answer reached from here));
 *   evaluate  on held-out samples (outputs for test-split questions, never trained on): AUC
 *             (the chance that a correct output outscores an incorrect one) and accuracy of
 *             σ(s) > 1/2 against the share of the majority label.
 *   replay    the paper's iterative RL keeps training the reward model on new policy samples
 *             plus a 10% replay of the old ones: mm_rm_data_replay draws that share.
 *
 * Process reward model: the same network scored at the end of every step of the output.  A
 * step is a line of the completion (the split of mm_task_steps, which rule-based process
 * supervision uses too; lines past the 64th merge into the last step); it ends with the token
 * that completes its newline, and the last step ends at the last token.  Step labels follow
 * Math-Shepherd (the paper's §4.1.3 cites it): step j's target is the share of continuations
 * from the prefix "prompt + steps 1..j" that reach the right answer, a Monte-Carlo estimate
 * from `rollouts` fresh continuations plus the output's own (itself a sample from that prefix,
 * so it costs nothing); the last step's target is the output's own outcome.  rollouts = 0
 * labels every step with the outcome (the cheap fallback).  A sequence is an ORM example when
 * it has one step ending at its last token.  Per-solution score: the lowest step score (the
 * weakest step decides), which for an ORM is its one score.
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

/* Labelled sequences: tokens[i] = prompt (plen[i] tokens) + output, len[i] tokens in all.
 * Step j of sequence i ends before token step_end[i][j] (counted from the start of the prompt;
 * increasing; the last is len[i]), and its target is step_y[i][j] in [0, 1]. */
typedef struct mm_rm_data {
    int n, cap;
    int32_t **tokens;
    int *len, *plen;
    int *label;  /* 1 = the checker found the answer right */
    int *nsteps; /* >= 1; 1 for an outcome example */
    int **step_end;
    float **step_y;
} mm_rm_data;

MM_API void mm_rm_data_free(mm_rm_data *d);
/* Append one outcome example (copied): one step at the last token, target = label. */
MM_API mm_err mm_rm_data_add(mm_rm_data *d, const int32_t *tokens, int len, int plen, int label);
/* Append one process example (copied): nsteps steps ending before end[j] (increasing, the last
 * = len) with targets y[j] in [0, 1]. */
MM_API mm_err mm_rm_data_add_steps(mm_rm_data *d, const int32_t *tokens, int len, int plen,
                                   int label, int nsteps, const int *end, const float *y);
/* Append sequence i of `s` to d: with all its steps (process = 1) or as an outcome example. */
MM_API mm_err mm_rm_data_copy(mm_rm_data *d, const mm_rm_data *s, int i, int process);
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
    int process;  /* 1 = step labels (a PRM's data), 0 = one outcome label per output */
    int rollouts; /* process: fresh continuations per step prefix (0 = outcome on every step) */
} mm_rm_collect_opts;

/* Sample from `policy` and append the labelled sequences to d.  Train split: N questions drawn
 * at random (seeded); test split: the first N test questions (all when N = 0 or N exceeds
 * them).  With process, step targets as described at the top (rl/prm.c). */
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
/* Scores at the step ends of n sequences: scores[i][j] = the head at token end[i][j] - 1. */
MM_API mm_err mm_rm_score_steps(mm_value *rm, const int32_t *const *tokens, const int *len,
                                const int *nsteps, const int *const *end, int n, int batch,
                                float *const *scores);

/* Per solution: the score is the lowest step score (an ORM's only one). */
typedef struct mm_rm_eval_result {
    int n, positives;
    double auc;                /* NAN when one label is missing */
    double accuracy;           /* σ(s) > 1/2 agrees with the label */
    double majority;           /* accuracy of always answering the more frequent label */
    double loss;               /* mean binary cross-entropy over all steps */
    double mean_pos, mean_neg; /* mean score of each label */
    int steps, step_positives; /* steps, and those with target >= 1/2 */
    double step_auc;           /* per step: score against target >= 1/2 (NAN: one is missing) */
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

/* ---- mixing rewards (grpo --reward) ---- */

/* mm_reward_kind and MM_REWARD_MAX_TERMS are in rl/grpo.h (mm_grpo_opts holds the terms). */

/* `--reward` as text: TERM[+TERM...], TERM = rule[:W] | orm:CKPT[:W] | prm:CKPT[:W]; W is the
 * term's weight (default 1), read from the last ':' field when it is a number.  A kind may
 * appear once. */
typedef struct mm_reward_spec {
    int n;
    struct {
        mm_reward_kind kind;
        double weight;
        char path[1024]; /* orm, prm: the checkpoint */
    } term[MM_REWARD_MAX_TERMS];
} mm_reward_spec;
MM_API mm_err mm_reward_spec_parse(const char *text, mm_reward_spec *out);

/* What one term gives an output.  Outcome: rule = correct (0/1); orm = σ(s[0]); prm = the
 * lowest σ(s[j]) over its steps.  The reward is Σ weight · term (plus the format bonus). */
MM_API double mm_reward_term_outcome(mm_reward_kind k, int correct, const float *s, int nsteps);
/* Process: adds weight · the term's reward of each of nsteps steps to out[]: rule = rule[j]
 * (mm_task_steps' rule rewards); orm = σ(s[0]) on the last step, 0 before; prm = σ(s[j]). */
MM_API void mm_reward_term_steps(mm_reward_kind k, double weight, const float *rule, const float *s,
                                 int nsteps, float *out);

/* Area under the ROC curve of scores against binary labels (ties count one half); NAN when
 * either label is absent. */
MM_API double mm_rm_auc(const float *score, const int *label, int n);

#endif
