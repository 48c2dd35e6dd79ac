/* rl/dpo.h — Direct Preference Optimization's loss and its gradient with respect to the logits,
 * in the form DeepSeekMath writes it (Appendix A.1.4): for a question q with a preferred output
 * o⁺ and a dispreferred o⁻ (here: a correct and an incorrect sample, by the task's checker),
 *
 *   Δ(o) = (1/|o|) Σ_t [log π_θ(o_t | q, o_<t) − log π_ref(o_t | q, o_<t)]
 *   z    = β · (Δ(o⁺) − Δ(o⁻))
 *   L    = − log σ(z)                      (mean over the pairs)
 *
 * and the gradient coefficient of every token is GC = σ(−z) for o⁺ and −σ(−z) for o⁻ (times
 * β/|o|): dL/dlog π_θ(o⁺_t) = −β σ(−z)/|o⁺|, dL/dlog π_θ(o⁻_t) = +β σ(−z)/|o⁻|.  The
 * paper's 1/|o| (a per-token average) differs from the original DPO (Rafailov et al. 2023),
 * which sums over tokens; length_norm = 0 gives the original.
 *
 * Ownership: the caller owns every buffer; nothing is kept after a call. */
#ifndef MM_DPO_H
#define MM_DPO_H

#include <stdint.h>

#include "common/error.h"

typedef struct mm_dpo_in {
    int P, T, V;            /* pairs; rows 2p (preferred) and 2p+1 (dispreferred) */
    const float *logits;    /* [2P, T, V] */
    const int32_t *targets; /* [2P, T] the token the logits at (b, t) predict */
    const float *mask;      /* [2P, T] 1 = a completion token */
    const float *ref_logp;  /* [2P, T] log π_ref of the targets */
    double pairs_total;     /* pairs of the whole batch across micro-batches (0 = P) */
} mm_dpo_in;

typedef struct mm_dpo_opts {
    float beta;      /* 0.1 */
    int length_norm; /* 1 = the paper's per-token average; 0 = the original sum */
} mm_dpo_opts;

typedef struct mm_dpo_stats {
    double loss;   /* this call's share of the batch loss */
    double margin; /* Σ over pairs of z/β (the implicit reward margin) */
    double right;  /* pairs with z > 0 (the policy prefers o⁺ more than the reference does) */
    double coef;   /* Σ σ(−z) */
} mm_dpo_stats;

/* Loss, dlogits [2P, T, V] (overwritten, 0 where mask = 0; may be NULL) and the gradient
 * coefficient σ(−z) of each pair into coef[P] (may be NULL). */
MM_API mm_err mm_dpo_loss(const mm_dpo_in *in, const mm_dpo_opts *o, float *dlogits, float *coef,
                          mm_dpo_stats *st);

#endif
