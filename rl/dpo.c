/* rl/dpo.c — DPO loss and gradient (rl/dpo.h). */
#include "rl/dpo.h"
#include "rl/gpt2_kern.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Δ of row b: the (length-normalised) sum of log π_θ − log π_ref over its completion tokens;
 * *n = its completion tokens. */
static double row_delta(const mm_dpo_in *in, int b, int norm, double *n) {
    double s = 0;
    *n = 0;
    for (int t = 0; t < in->T; t++) {
        size_t r = (size_t)b * in->T + t;
        int tgt = in->targets[r];
        if (in->mask[r] == 0 || tgt < 0 || tgt >= in->V) continue;
        const float *z = in->logits + r * in->V;
        s += z[tgt] - mm_gk_row_logsumexp(z, in->V) - in->ref_logp[r];
        (*n)++;
    }
    return norm && *n > 0 ? s / *n : s;
}

/* dlogits of row b for dL/dlogp = g at every completion token: g · (1[v = tgt] − p_v). */
static void row_grad(const mm_dpo_in *in, int b, double g, float *dlogits) {
    for (int t = 0; t < in->T; t++) {
        size_t r = (size_t)b * in->T + t;
        float *dz = dlogits + r * in->V;
        int tgt = in->targets[r];
        if (in->mask[r] == 0 || tgt < 0 || tgt >= in->V) {
            memset(dz, 0, (size_t)in->V * sizeof *dz);
            continue;
        }
        const float *z = in->logits + r * in->V;
        double lse = mm_gk_row_logsumexp(z, in->V);
        for (int v = 0; v < in->V; v++)
            dz[v] = (float)(-g * exp(z[v] - lse));
        dz[tgt] += (float)g;
    }
}

/* log σ(z) = −softplus(−z), computed without overflow. */
static double log_sigmoid(double z) {
    return z >= 0 ? -log1p(exp(-z)) : z - log1p(exp(z));
}

mm_err mm_dpo_loss(const mm_dpo_in *in, const mm_dpo_opts *o, float *dlogits, float *coef,
                   mm_dpo_stats *st) {
    if (in->P <= 0 || in->T <= 0 || in->V <= 0)
        return mm_fail(MM_ERR_ARG, "dpo loss: P, T, V must be > 0");
    double pt = in->pairs_total > 0 ? in->pairs_total : in->P;
    mm_dpo_stats s = {0};
    for (int p = 0; p < in->P; p++) {
        double nw, nl;
        double dw = row_delta(in, 2 * p, o->length_norm, &nw);
        double dl = row_delta(in, 2 * p + 1, o->length_norm, &nl);
        double z = o->beta * (dw - dl), sig = 1 / (1 + exp(z)); /* σ(−z) */
        s.loss -= log_sigmoid(z) / pt;
        s.margin += dw - dl, s.right += z > 0, s.coef += sig;
        if (coef) coef[p] = (float)sig;
        if (!dlogits) continue;
        /* dL/dlogp: −β σ(−z)/pt per token of o⁺ (÷|o⁺| with length_norm), + for o⁻ */
        double gw = -o->beta * sig / pt, gl = o->beta * sig / pt;
        if (o->length_norm) gw /= nw > 0 ? nw : 1, gl /= nl > 0 ? nl : 1;
        row_grad(in, 2 * p, gw, dlogits);
        row_grad(in, 2 * p + 1, gl, dlogits);
    }
    if (!isfinite(s.loss)) return mm_fail(MM_ERR_NUMERIC, "dpo loss is not finite");
    if (st) *st = s;
    return MM_OK;
}
