/* rl/grpo.h — Group Relative Policy Optimization (DeepSeekMath §4) on mm_gpt, with the
 * online-RFT and RFT baselines, and evaluation (greedy accuracy, Pass@K, Maj@K).
 *
 * The pieces, from the bottom up:
 *   advantages   outcome: A_i = (r_i - mean(r)) / (std(r) + 1e-4) for every token of output i;
 *                process: per-step rewards normalised over all steps of the group, and token t
 *                gets the sum of the normalised rewards of the steps ending at or after t.
 *                std is the sample standard deviation (n - 1; 0 when n < 2); with
 *                std_norm = 0 only the mean is subtracted (Dr. GRPO).
 *   loss         per completion token, with ρ = π_θ/π_old and the KL estimator
 *                k = π_ref/π_θ - log(π_ref/π_θ) - 1:
 *                    L = - Σ_i w_i Σ_t [ min(ρ·A, clip(ρ, 1-ε, 1+ε)·A) - β·k ]
 *                w_i = 1/(|o_i|·N) (1/|o_i| per output, 1/G per group, mean over the N/G
 *                questions), or w = 1/(Σ_i |o_i|) with token_mean (one mean over all tokens
 *                of the batch, as DAPO and Dr. GRPO do).  Its gradient with respect to the
 *                logits is written in closed form; tests/py/grpo_reference.py checks both
 *                against PyTorch autograd.
 *   training     mm_grpo_train: sample, score, advantages, μ policy updates per batch.
 *
 * Ownership: the caller owns every buffer passed in; nothing here keeps pointers after a call
 * returns.  Nothing here prints: progress goes through the log callback. */
#ifndef MM_GRPO_H
#define MM_GRPO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "rl/gpt2.h"
#include "rl/task.h"
#include "rl/value.h"

/* ---- advantages ---- */

/* Outcome supervision for one group: rewards[G] -> adv[G]. */
MM_API void mm_grpo_outcome_advantages(const float *rewards, int G, int std_norm, float *adv);

/* The reasoning steps of one output, in token units: step j covers tokens up to end[j]
 * (exclusive, increasing); reward[j] is its reward. */
typedef struct mm_grpo_steps {
    int n;
    const int *end;
    const float *reward;
} mm_grpo_steps;

/* Process supervision for one group of G outputs: adv[i][t] for t < len[i].  Tokens past the
 * last step's end get 0. */
MM_API void mm_grpo_process_advantages(int G, const mm_grpo_steps *steps, const int *len,
                                       int std_norm, float *const *adv);

/* ---- the loss and its gradient with respect to the logits ---- */

typedef struct mm_grpo_loss_in {
    int B, T, V;
    const float *logits;    /* [B, T, V] */
    const int32_t *targets; /* [B, T] the token the logits at (b, t) predict */
    const float *mask;      /* [B, T] 1 = a completion token, 0 = prompt or padding */
    const float *adv;       /* [B, T] per-token advantage */
    const float *old_logp;  /* [B, T] log π_old; NULL = the current policy (ρ = 1, on-policy) */
    const float *ref_logp;  /* [B, T] log π_ref; may be NULL when beta == 0 */
    /* Normalisers for the whole batch when it is split into micro-batches (0 = this call's):
     * rows = outputs in the batch, tokens = completion tokens in the batch. */
    double rows_total, tokens_total;
} mm_grpo_loss_in;

typedef struct mm_grpo_loss_opts {
    float clip;      /* ε (0.2): the ratio is clipped to [1 - ε, 1 + ε_high] */
    float beta;      /* KL coefficient (0.04) */
    int token_mean;  /* 1 = normalise by all completion tokens of the batch */
    float clip_high; /* ε_high (DAPO's clip-higher); 0 = ε */
} mm_grpo_loss_opts;

/* Sums over this call's completion tokens (add them up across micro-batches). */
typedef struct mm_grpo_loss_stats {
    double loss;    /* this call's share of the batch loss (already normalised) */
    double tokens;  /* completion tokens */
    double kl;      /* Σ k */
    double clipped; /* tokens whose clipped term was the active one */
    double entropy; /* Σ entropy of π_θ at the token's position (nats) */
    double ratio;   /* Σ ρ */
} mm_grpo_loss_stats;

/* Loss and dlogits [B, T, V] (overwritten, zero where mask = 0).  dlogits may be NULL for the
 * value only. */
MM_API mm_err mm_grpo_loss(const mm_grpo_loss_in *in, const mm_grpo_loss_opts *o, float *dlogits,
                           mm_grpo_loss_stats *st);

/* logp[b, t] = log softmax(logits[b, t])[targets[b, t]] (0 where targets < 0). */
MM_API void mm_grpo_token_logp(const float *logits, const int32_t *targets, int B, int T, int V,
                               float *logp);

/* ---- text <-> tokens ---- */

/* How the trainer turns text into tokens and back.  encode returns the token count (<= cap)
 * or -1; decode appends the bytes of one token. */
typedef struct mm_grpo_codec {
    void *ud;
    int (*encode)(void *ud, const char *s, size_t n, int32_t *out, int cap);
    mm_err (*decode)(void *ud, int32_t tok, mm_buf *out);
    int eos;   /* end-of-text token: generation stops after it */
    int vocab; /* tokens the codec can produce (must be <= the model's vocabulary) */
} mm_grpo_codec;

/* The byte-level codec: token = byte (0..255), 256 = end of text; vocab 257. */
MM_API const mm_grpo_codec *mm_grpo_codec_bytes(void);

/* The codec of a checkpoint: the BPE tokenizer (rl/tokenizer.h: vocab.json + merges.txt) in
 * `tok_dir` if given, else in the checkpoint directory itself, else in CKPT/tokenizer/; a
 * checkpoint without one whose model has 257 tokens is byte-level.  *out is freed with
 * mm_grpo_codec_close. */
MM_API mm_err mm_grpo_codec_open(const char *ckpt_dir, const char *tok_dir, int model_vocab,
                                 mm_grpo_codec **out);
MM_API void mm_grpo_codec_close(mm_grpo_codec *c);
/* Write the codec's tokenizer files into `dir` (nothing for the byte-level codec), so a
 * checkpoint written with mm_gpt_save carries its tokenizer. */
MM_API mm_err mm_grpo_codec_save(const mm_grpo_codec *c, const char *dir);
/* A whole checkpoint into `dir`, atomically: model.safetensors, config.json (with the
 * codec's end-of-text token as bos/eos_token_id) and the tokenizer files are written into a
 * temp directory that is then renamed over `dir`. */
MM_API mm_err mm_grpo_save_ckpt(const mm_gpt *m, const mm_grpo_codec *c, const char *dir);

/* ---- training ---- */

typedef enum { MM_GRPO_OUTCOME = 0, MM_GRPO_PROCESS = 1 } mm_grpo_supervision;
/* PPO: advantages from a value model (GAE) and the KL penalty in the reward (rl/ppo.h);
 * DPO: pairs of a group's best and worst outputs, sampled from the frozen initial model
 * (offline) or the policy (online) (rl/dpo.h). */
typedef enum {
    MM_GRPO_ALGO_GRPO = 0,
    MM_GRPO_ALGO_ONLINE_RFT,
    MM_GRPO_ALGO_RFT,
    MM_GRPO_ALGO_PPO,
    MM_GRPO_ALGO_DPO,
    MM_GRPO_ALGO_ONLINE_DPO
} mm_grpo_algo;

/* The reward as a weighted sum of terms (rl/reward_model.h: the mixing rules and the
 * `--reward` syntax): the task's rule, an outcome reward model, a process reward model. */
typedef enum { MM_REWARD_RULE = 0, MM_REWARD_ORM, MM_REWARD_PRM } mm_reward_kind;
enum { MM_REWARD_MAX_TERMS = 4 };
typedef struct mm_reward_term {
    mm_reward_kind kind;
    double weight;
    mm_value *model; /* orm, prm (not owned) */
} mm_reward_term;
typedef enum { MM_GRPO_LR_CONSTANT = 0, MM_GRPO_LR_COSINE = 1 } mm_grpo_lr_schedule;

typedef struct mm_grpo_opts {
    int steps;     /* exploration stages */
    int questions; /* questions per step */
    int group;     /* G samples per question */
    float beta, clip, lr, weight_decay, grad_clip;
    float clip_high; /* upper clip ε_high (0 = clip; DAPO's clip-higher: 0.28) */
    int updates;     /* μ: policy updates per batch */
    int max_new_tokens;
    float temperature;
    int top_k;   /* sample from the k most likely tokens (0 = off) */
    float top_p; /* nucleus sampling (1 or 0 = off) */
    mm_grpo_supervision supervision;
    mm_grpo_algo algo;
    int std_norm;         /* 1 = divide by std (GRPO); 0 = Dr. GRPO */
    int token_mean;       /* 1 = token-level mean (Dr. GRPO / DAPO) */
    int iterative;        /* K > 0: reset the reference to the policy every K steps */
    int filter_groups;    /* 1 (default) = resample groups whose rewards are all equal (DAPO) */
    int filter_tries;     /* extra sampling rounds per step for filter_groups */
    double format_reward; /* weight of the format bonus (0 = correctness only) */
    int micro_batch;      /* rows per forward/backward (0 = all) */
    uint64_t seed;
    int eval_every; /* evaluate greedy accuracy on eval_n test items every N steps */
    int eval_n;
    /* learned rewards, PPO and DPO (rl/reward_model.h, rl/ppo.h, rl/dpo.h); not owned */
    int nreward;                                /* terms of the reward; 0 = the task's rule alone */
    mm_reward_term reward[MM_REWARD_MAX_TERMS]; /* + the format bonus, unweighted */
    mm_value *reward_model; /* the learned term's model that rm_retrain retrains (NULL = none) */
    mm_value *value_model;  /* PPO: the value model, trained alongside (required for PPO) */
    float gamma, lambda;    /* PPO: GAE discount and λ (1, 0.95) */
    float value_clip;       /* PPO: ε_v of the value loss (0.2; 0 = none) */
    float value_lr;         /* PPO: the value model's learning rate (0 = lr) */
    int whiten;             /* PPO: whiten the advantages over the batch (1) */
    float dpo_beta;         /* DPO: β (0.1) */
    int rm_retrain;         /* 1 = with iterative and a reward model: at every reset, one pass
                             * of the reward model over the samples of the round (labelled by
                             * the checker) plus a replay of rm_replay of the older ones */
    double rm_replay;       /* share of older samples replayed (0.1, as the paper) */
    float rm_lr;            /* the reward model's learning rate then (0 = 3e-4) */
    /* learning-rate schedule: linear warm-up from lr/warmup to lr over the first `warmup`
     * steps, then constant (the paper's) or a cosine from lr down to lr_min_frac · lr at the
     * last step (mm_grpo_lr) */
    int warmup;
    mm_grpo_lr_schedule lr_schedule;
    float lr_min_frac;
    /* resumable runs (rl/grpo_state.c): every save_every steps (0 = never) the whole training
     * state goes to state_dir, written in a temp directory that replaces it; resume = start
     * from the state in state_dir.  save_extra (may be NULL) is called with the temp
     * directory before the swap, with the ud of the log callback, to add the caller's files
     * (its log so far); a non-OK return abandons that save. */
    int save_every;
    const char *state_dir;
    int resume;
    mm_err (*save_extra)(void *ud, const char *tmpdir, int step);
} mm_grpo_opts;

/* The learning rate of step (1-based) of a run of `steps`. */
MM_API double mm_grpo_lr(const mm_grpo_opts *o, int step);

MM_API void mm_grpo_opts_default(mm_grpo_opts *o);

typedef struct mm_grpo_step_stats {
    int step;
    double reward_mean, reward_std, accuracy; /* over all samples of the step */
    double kl, clip_frac, entropy, ratio;     /* per completion token */
    double out_len;                           /* mean completion tokens */
    double prompt_len;                        /* mean prompt tokens */
    double equal_groups;                      /* share of groups with all-equal rewards */
    double loss, grad_norm;
    int groups_trained, resampled;
    double rollout_s, update_s, rollout_tok_s;
    double eval_acc;           /* greedy held-out accuracy, or -1 when not evaluated this step */
    double value_loss;         /* PPO: the value model's loss (first update) */
    int pairs;                 /* DPO: pairs trained on */
    int rm_round;              /* iterative reward-model retraining: the round ended at this step */
    int rm_fresh, rm_replayed; /* its training samples: new ones, replayed old ones */
    double rm_loss;            /* its training loss */
    double lr;                 /* the policy's learning rate at this step */
} mm_grpo_step_stats;

/* Called after every step; return non-zero to stop early. */
typedef int (*mm_grpo_log_fn)(void *ud, const mm_grpo_step_stats *s);

/* Train `policy` in place on the task's train split.  The reference model is a frozen copy
 * of the policy at the start (and at every reset with iterative).  With o->resume the policy,
 * its optimizer, the reference, the value and reward models (o->value_model, o->reward_model,
 * which must be the ones of the saved run), their optimizers, the question order, the
 * replay buffer and the step counter are those of o->state_dir, and training goes on from
 * the step after the saved one: the run ends as the uninterrupted one would, bit for bit
 * (with the same thread count).  o->state_dir holds grpo_state.json, the policy as a
 * checkpoint (model.safetensors, config.json, tokenizer), optimizer.safetensors,
 * reference/, value/, reward/ and replay.bin as the run has them. */
MM_API mm_err mm_grpo_train(mm_gpt *policy, const mm_grpo_codec *c, const mm_task *task,
                            const mm_grpo_opts *o, mm_grpo_log_fn log, void *ud);

/* Supervised warm-up on the task's worked solutions (prompt tokens masked out): a quick way to
 * give a small model the task's format and some skill, for tests and demos. */
typedef struct mm_sft_opts {
    int steps, batch;
    float lr, weight_decay, grad_clip;
    uint64_t seed;
} mm_sft_opts;
typedef int (*mm_sft_log_fn)(void *ud, int step, double loss);
MM_API mm_err mm_grpo_sft(mm_gpt *m, const mm_grpo_codec *c, const mm_task *task,
                          const mm_sft_opts *o, mm_sft_log_fn log, void *ud);

/* ---- evaluation (rl/evaluate.c) ---- */

typedef struct mm_eval_opts {
    int k;             /* samples per question for Pass@K and Maj@K (0 = greedy only) */
    float temperature; /* sampling temperature for the K samples */
    int top_k;         /* the K samples: top-k (0 = off) */
    float top_p;       /* the K samples: nucleus (1 or 0 = off) */
    int n;             /* test items (0 = all) */
    int max_new_tokens;
    int batch; /* sequences generated at once */
    uint64_t seed;
    int answer_flags; /* rl/answer.h: MM_ANSWER_LAST_NUMBER scores unmarked outputs too */
    int curve;        /* 1 = also Pass@k and Maj@k for k = 1, 2, 4, ... <= K (result.curve_*) */
    /* Called for every greedy output (may be NULL). */
    void (*on_greedy)(void *ud, const mm_task_item *it, const char *out, size_t n,
                      const mm_reward *r);
    void *ud;
    volatile int *stop; /* when it becomes non-zero, the run fails with "interrupted" */
} mm_eval_opts;

#define MM_EVAL_CURVE_MAX 13 /* k = 1 .. 4096, the largest --k */

typedef struct mm_eval_result {
    int n, k;
    double greedy_acc;  /* greedy decoding, fraction correct */
    double pass_k;      /* some of the K samples correct */
    double maj_k;       /* the most frequent extracted answer of the K samples is correct */
    double sample_acc;  /* fraction of all K·n samples correct */
    double format_rate; /* greedy outputs with a marked answer (####, \\boxed, "answer is") */
    double greedy_len;  /* mean greedy completion tokens */
    double seconds, tokens_per_s;
    /* With opts.curve, from the same K samples per question, for k = curve_k[j] = 2^j <= K:
     * curve_pass[j] the unbiased Pass@k estimate 1 - C(K-c, k)/C(K, k) (c right samples of K),
     * averaged over the questions; curve_maj[j] Maj@k averaged over the K/k disjoint blocks of
     * k consecutive samples, then over the questions.  At k = K both equal pass_k and maj_k;
     * at k = 1 Pass@1 is sample_acc. */
    int curve_n;
    int curve_k[MM_EVAL_CURVE_MAX];
    double curve_pass[MM_EVAL_CURVE_MAX], curve_maj[MM_EVAL_CURVE_MAX];
} mm_eval_result;

MM_API mm_err mm_eval_run(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                          const mm_eval_opts *o, mm_eval_result *r);
/* ---- loss on worked solutions (rl/eval_loss.c) ----
 *
 * How well a model predicts the reference solutions of a task: the summed negative
 * log-likelihood of the tokens of each item's "<solution>\n" (the completion of
 * mm_task_document), reported per token and per UTF-8 byte so that models with different
 * tokenizers compare (bits per byte does not depend on how the text is cut into tokens).
 *
 * Each item is the token sequence [end-of-text] + enc(prompt) + enc(solution "\n"): with
 * conditioned = 1 the prompt is mm_task_prompt (few-shot examples included when the task has
 * them) so the solution is scored given its question; with 0 the prompt is empty and the
 * solution is scored as a document of its own, after end-of-text only (as the pretrainer's
 * shards start every document).  Prompt and solution are encoded separately, so the scored
 * tokens are exactly the solution's whatever the tokenizer merges across the boundary.
 *
 * A sequence longer than the model's context is scored in windows of at most ctx inputs
 * that advance by `stride` scored tokens, each window scoring only tokens no earlier window
 * scored: every token is scored once, with at least min(its position, ctx - stride) tokens
 * of context (the prompt's start is what falls out first).  Windows of several items go
 * through one forward pass of `batch` rows of ctx tokens (the padding is not scored). */
typedef struct mm_loss_opts {
    int n;                 /* items of the split (0 = all) */
    int conditioned;       /* 1 = after the prompt, 0 = after end-of-text only */
    int batch;             /* rows per forward pass (0 = 8) */
    int stride;            /* scored tokens per window (0 = ctx/2; at most ctx) */
    volatile int *stop;    /* when it becomes non-zero, the run fails with "interrupted" */
    double *item_nats;     /* if set (n items): each item's Σ -ln p over its solution's tokens */
    long long *item_bytes; /* if set (n items): the UTF-8 bytes of each item's solution */
} mm_loss_opts;

typedef struct mm_loss_result {
    int n;                   /* items scored */
    double nats;             /* Σ -ln p over the scored tokens */
    long long tokens, bytes; /* scored tokens and their UTF-8 bytes */
    double nats_per_token;   /* nats / tokens */
    double bits_per_byte;    /* nats / ln 2 / bytes */
    int windows;             /* rows scored (more than n when solutions outgrow ctx) */
    double seconds;
} mm_loss_result;

/* Fills r; fails on an empty split, a text the codec cannot encode, a token the model's
 * vocabulary lacks, or a stop. */
MM_API mm_err mm_eval_loss(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                           const mm_loss_opts *o, mm_loss_result *r);

/* Greedy accuracy only (used by the trainer for --eval-every). */
MM_API mm_err mm_eval_greedy(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                             int n, int max_new_tokens, int batch, double *acc);

#endif
