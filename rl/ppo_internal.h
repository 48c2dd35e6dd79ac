/* rl/ppo_internal.h — PPO, DPO and learned rewards inside GRPO's training loop (rl/grpo.c calls
 * these at its marked hook points; rl/rl_algos.c implements them).  Not installed, not API.
 *
 * Rows of a rollout are laid out as in rl/grpo.c: the logits (and values) at position
 * plen - 1 + k of a row belong to completion token k. */
#ifndef MM_PPO_INTERNAL_H
#define MM_PPO_INTERNAL_H

#include "rl/grpo_internal.h"
#include "rl/reward_model.h"

/* Mixed rewards (o->reward terms; nothing when o->nreward = 0): rows [first, r->n) get
 * reward = Σ weight · term outcome (rl/reward_model.h) + the format bonus they had, and with
 * process supervision r->learned[row] = the learned terms' step rewards.  `correct` (the
 * checker's verdict) is kept for the accuracy statistics. */
mm_err mm_rl_relabel(const mm_grpo_opts *o, mm_rollout *r, int first);
/* Process supervision: the step rewards w[0..ns) of row i (the rule's on entry) become the
 * mix: rule weight · w[j] + r->learned[i][j].  Nothing when o->nreward = 0. */
void mm_rl_mix_steps(const mm_grpo_opts *o, const mm_rollout *r, int i, int ns, float *w);

/* PRM data from a rollout (rl/prm.c): every row with its steps and Monte-Carlo step targets
 * (o->rollouts continuations of each step prefix from `policy`, plus the row's own outcome),
 * appended to d. */
mm_err mm_prm_label(const mm_rollout *r, mm_gpt *policy, const mm_grpo_codec *c,
                    const mm_rm_collect_opts *o, mm_rm_data *d);
/* Steps of row i as absolute token ends (prompt included), merged where two end on one token;
 * returns their number (>= 1).  end has room for MM_ROLLOUT_MAX_STEPS. */
int mm_prm_row_steps(const mm_rollout *r, int i, int *end);

/* PPO advantages of rows[0..n): values of the value model, per-token rewards with the KL
 * penalty (ref[i][k] = log π_ref), GAE, whitening over the batch.  Writes adv[i][k]; returns
 * the returns and the values at rollout time in *ret, *oldv (arrays of r->n rows, only the
 * selected ones allocated; free with mm_rl_free_rows). */
mm_err mm_rl_ppo_advantages(mm_value *vm, const mm_rollout *r, const int *rows, int n,
                            float *const *ref, const mm_grpo_opts *o, float **adv, float ***ret,
                            float ***oldv);
/* μ updates of the value model on rows[0..n) (clipped value loss); *loss = the first one's. */
mm_err mm_rl_value_update(mm_value *vm, const mm_rollout *r, const int *rows, int n,
                          float *const *ret, float *const *oldv, const mm_grpo_opts *o,
                          double *loss);
void mm_rl_free_rows(float **rows, int n);

/* DPO updates on the pairs of each group of G rows (the highest reward against the lowest,
 * the second against the second lowest, ... while the rewards differ).  dlogits has room for
 * [micro_batch, ctx, vocab].  Statistics into st (loss, grad_norm, pairs). */
mm_err mm_rl_dpo_update(mm_gpt *policy, const mm_rollout *r, const int *rows, int n, int G,
                        float *const *ref, const mm_grpo_opts *o, float *dlogits,
                        mm_grpo_step_stats *st);

/* Iterative RL with a learned reward (DeepSeekMath §4.2): the samples of every step are kept
 * with the checker's labels; at the end of a round (every `iterative` steps) the reward model
 * takes one pass over the round's samples plus a replay of rm_replay of the older ones, and
 * the round's samples join the older ones. */
typedef struct mm_rl_iter {
    mm_rm_data old, fresh;
    int round;
} mm_rl_iter;
mm_err mm_rl_iter_collect(mm_rl_iter *it, const mm_rollout *r);
mm_err mm_rl_iter_round(mm_rl_iter *it, mm_value *rm, const mm_grpo_opts *o, int step,
                        mm_grpo_step_stats *st);
void mm_rl_iter_free(mm_rl_iter *it);

#endif
