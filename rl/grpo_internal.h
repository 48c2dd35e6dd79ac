/* rl/grpo_internal.h — rollouts shared by the trainer (grpo.c) and evaluation (evaluate.c).
 * Not installed, not API. */
#ifndef MM_GRPO_INTERNAL_H
#define MM_GRPO_INTERNAL_H

#include "rl/grpo.h"

/* A batch of sampled completions.  Row r answers item[r]; tokens[r] holds the prompt
 * (plen[r] tokens) followed by the completion (olen[r] tokens, the end-of-text token included
 * when it was produced); logp[r][k] is log π(completion token k) at sampling time; text[r] is
 * the decoded completion without the end-of-text token and tok_end[r][k] the byte offset in
 * text[r] where completion token k ends. */
typedef struct mm_rollout {
    int n, cap, ctx;
    const mm_task_item **item;
    int32_t **tokens;
    int *plen, *olen;
    float **logp;
    mm_buf *text;
    int **tok_end;
    mm_reward *reward;
    int answer_flags; /* rl/answer.h flags for the rewards (0 = marked answers only) */
    float **learned;  /* process supervision with learned rewards: learned[r][j] = the learned
                       * terms' reward of step j (mm_rollout_steps' steps); NULL = none */
} mm_rollout;

/* The steps of row i (mm_task_steps: lines; at most MM_ROLLOUT_MAX_STEPS) in completion-token
 * units: step j ends before completion token end[j] (the token that completes its last byte;
 * the last step ends at olen), rule[j] is its rule-based reward.  ts is scratch of
 * MM_ROLLOUT_MAX_STEPS.  Returns the number of steps (0 for an empty text). */
enum { MM_ROLLOUT_MAX_STEPS = 64 };
int mm_rollout_steps(const mm_rollout *r, int i, mm_task_step *ts, int *end, float *rule);

/* Sample `copies` completions for each of the n items and append them to r (rows of one item
 * are consecutive).  Generation runs `batch` sequences at a time (0 = all at once). */
mm_err mm_rollout_sample(mm_rollout *r, mm_gpt *m, const mm_grpo_codec *c,
                         const mm_task_item *const *items, int n, int copies,
                         const mm_sample_opts *so, int batch, double format_weight);
void mm_rollout_free(mm_rollout *r);

/* Rows [0, nb) of tok/tgt [nb, ctx]: the training documents of items[] (prompt + solution +
 * "\n" + end of text), prompt positions and padding with target -1, compacted to stride *T
 * (the longest row); *ntgt = targets >= 0.  one [ctx] and doc are scratch (rl/sft.c). */
mm_err mm_sft_batch(const mm_grpo_codec *c, const mm_task_item *const *items, int nb, int ctx,
                    int32_t *tok, int32_t *tgt, int32_t *one, mm_buf *doc, int *T, long *ntgt);
/* Completion tokens of all rows. */
long mm_rollout_tokens(const mm_rollout *r);

#endif
