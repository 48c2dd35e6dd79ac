/* rl/grpo_state.h — the resumable state of a GRPO run (rl/grpo_state.c), saved and loaded by
 * mm_grpo_train (rl/grpo.c).  Not installed, not API.
 *
 * What a step of the loop depends on, beyond the options: the policy and its AdamW moments and
 * step count, the reference model, the value model (PPO) and the reward model (iterative
 * retraining) with their moments, the question stream (one SplitMix64 state: everything else
 * is seeded from --seed and the step number), the reward model's round counter and its data
 * (the older samples it replays and the fresh ones of the round under way), and the step. */
#ifndef MM_GRPO_STATE_H
#define MM_GRPO_STATE_H

#include "common/hash.h"
#include "rl/ppo_internal.h"

typedef struct grpo_state {
    mm_gpt *policy, *ref; /* ref may be NULL */
    const mm_grpo_codec *codec;
    mm_value *value_model;  /* may be NULL */
    mm_value *reward_model; /* saved only when iter is given (it is then retrained) */
    mm_rl_iter *iter;       /* may be NULL */
    mm_rng *rng;
} grpo_state;

/* Write the state after `step` to o->state_dir (temp directory + rename). */
mm_err mm_grpo_state_save(const grpo_state *s, const mm_grpo_opts *o, int step, void *ud);
/* Load o->state_dir into the objects of s (which must have the saved run's shapes) and set
 * *step to the step it was saved after. */
mm_err mm_grpo_state_load(grpo_state *s, const mm_grpo_opts *o, int *step);

#endif
