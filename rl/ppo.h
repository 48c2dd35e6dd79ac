/* rl/ppo.h — the arithmetic of PPO as DeepSeekMath §4.1 (eq. 1) describes it: per-token
 * rewards with the KL penalty, generalized advantage estimation, and the clipped value loss.
 * The clipped policy loss is GRPO's (rl/grpo.h, mm_grpo_loss with beta = 0 and per-token
 * advantages): PPO and GRPO share it, and differ in where the advantage comes from.
 *
 * For one output o of n tokens, sampled from π_old, scored r_φ(q, o) by a reward (a rule or a
 * reward model, rl/reward_model.h), with values V_t = V(q, o_<t) from the value model:
 *
 *   reward      r_t = −β · (log π_old(o_t) − log π_ref(o_t))  +  [t = n−1] · r_φ(q, o)
 *               (the paper: "a per-token KL penalty from a reference model in the reward at
 *               each token"; the estimator is the plain log-ratio, sampled under π_old)
 *   GAE         δ_t = r_t + γ V_{t+1} − V_t  (V_n = 0: the episode ends with the output)
 *               A_t = Σ_{l≥0} (γλ)^l δ_{t+l},  returns R_t = A_t + V_t
 *   value loss  L_V = c · Σ_i w_i Σ_t ½ · max((V_t − R_t)², (V_t^clip − R_t)²)
 *               V_t^clip = V_t^old + clip(V_t − V_t^old, −ε_v, ε_v)   (ε_v = 0: no clipping)
 *               w_i = 1/(|o_i| · N) as the policy loss (or 1/Σ|o_i| with token_mean)
 *
 * Ownership: the caller owns every buffer; nothing is kept after a call. */
#ifndef MM_PPO_H
#define MM_PPO_H

#include <stddef.h>

#include "common/error.h"

/* r[0..n) for one output (see above); old_logp/ref_logp [n]; ref_logp NULL = no penalty. */
MM_API void mm_ppo_rewards(int n, const float *old_logp, const float *ref_logp, float beta,
                           float score, float *r);

/* GAE for one output of n tokens: rewards r[n], values v[n] -> adv[n], ret[n]. */
MM_API void mm_ppo_gae(int n, const float *r, const float *v, float gamma, float lambda, float *adv,
                       float *ret);

/* Whiten x over the n positions where mask != 0 (mask NULL = all): (x − mean) / (std + 1e-8),
 * std the population standard deviation; others are left alone.  PPO implementations do this
 * per batch; the paper does not say. */
MM_API void mm_ppo_whiten(float *x, const float *mask, size_t n);

typedef struct mm_ppo_value_in {
    int B, T;
    const float *values;     /* [B, T] V of the current value model */
    const float *old_values; /* [B, T] V at rollout time (for clipping) */
    const float *returns;    /* [B, T] R */
    const float *mask;       /* [B, T] 1 = a completion position */
    /* Normalisers of the whole batch when it is split into micro-batches (0 = this call's). */
    double rows_total, tokens_total;
} mm_ppo_value_in;

typedef struct mm_ppo_value_opts {
    float clip;     /* ε_v (0 = no clipping) */
    float coef;     /* c (the loss weight; 1 when the value model has its own optimizer) */
    int token_mean; /* 1 = one mean over all completion tokens of the batch */
} mm_ppo_value_opts;

typedef struct mm_ppo_value_stats {
    double loss;    /* this call's share of the batch loss */
    double tokens;  /* completion positions */
    double clipped; /* positions where the clipped term was the larger */
    double sq_err;  /* Σ (V − R)² */
} mm_ppo_value_stats;

/* Value loss and dvalues [B, T] (dL/dV, overwritten, 0 where mask = 0; may be NULL). */
MM_API mm_err mm_ppo_value_loss(const mm_ppo_value_in *in, const mm_ppo_value_opts *o,
                                float *dvalues, mm_ppo_value_stats *st);

#endif
