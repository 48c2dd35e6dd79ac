/* rl/ppo.c — PPO's rewards, GAE and value loss (rl/ppo.h). */
#include "rl/ppo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mm_ppo_rewards(int n, const float *old_logp, const float *ref_logp, float beta, float score,
                    float *r) {
    for (int t = 0; t < n; t++)
        r[t] = ref_logp ? -beta * (old_logp[t] - ref_logp[t]) : 0.0f;
    if (n > 0) r[n - 1] += score;
}

/* Backwards in t: A_t = δ_t + γλ A_{t+1}, A_n = 0. */
void mm_ppo_gae(int n, const float *r, const float *v, float gamma, float lambda, float *adv,
                float *ret) {
    double next_v = 0, next_a = 0;
    for (int t = n - 1; t >= 0; t--) {
        double delta = r[t] + gamma * next_v - v[t];
        next_a = delta + (double)gamma * lambda * next_a;
        next_v = v[t];
        adv[t] = (float)next_a;
        ret[t] = (float)(next_a + v[t]);
    }
}

void mm_ppo_whiten(float *x, const float *mask, size_t n) {
    double s = 0, ss = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        if (!mask || mask[i] != 0) s += x[i], k++;
    if (k == 0) return;
    double mean = s / k;
    for (size_t i = 0; i < n; i++)
        if (!mask || mask[i] != 0) ss += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(ss / k);
    for (size_t i = 0; i < n; i++)
        if (!mask || mask[i] != 0) x[i] = (float)((x[i] - mean) / (sd + 1e-8));
}

/* Row weights as mm_grpo_loss: 1/(|o_i|·N), or 1/Σ|o_i| with token_mean. */
static void row_weights(const mm_ppo_value_in *in, int token_mean, double *w, double *tokens) {
    int B = in->B, T = in->T, rows = 0;
    *tokens = 0;
    for (int b = 0; b < B; b++) {
        double n = 0;
        for (int t = 0; t < T; t++)
            n += in->mask[(size_t)b * T + t] != 0;
        w[b] = n;
        *tokens += n, rows += n > 0;
    }
    double rt = in->rows_total > 0 ? in->rows_total : rows;
    double tt = in->tokens_total > 0 ? in->tokens_total : *tokens;
    for (int b = 0; b < B; b++)
        w[b] = w[b] == 0 ? 0 : token_mean ? 1.0 / (tt ? tt : 1) : 1.0 / (w[b] * rt);
}

mm_err mm_ppo_value_loss(const mm_ppo_value_in *in, const mm_ppo_value_opts *o, float *dvalues,
                         mm_ppo_value_stats *st) {
    int B = in->B, T = in->T;
    if (B <= 0 || T <= 0) return mm_fail(MM_ERR_ARG, "ppo value loss: B and T must be > 0");
    double *w = malloc((size_t)B * sizeof *w), tokens;
    if (!w) return mm_fail(MM_ERR_NOMEM, "ppo value loss");
    row_weights(in, o->token_mean, w, &tokens);
    double loss = 0, clipped = 0, sq = 0;
    for (size_t r = 0; r < (size_t)B * T; r++) {
        if (in->mask[r] == 0) {
            if (dvalues) dvalues[r] = 0;
            continue;
        }
        double v = in->values[r], vo = in->old_values[r], R = in->returns[r];
        double d = v - vo, vc = v, dvc = 1; /* V^clip and dV^clip/dV */
        if (o->clip > 0 && (d > o->clip || d < -o->clip))
            vc = vo + (d > 0 ? o->clip : -o->clip), dvc = 0;
        double e1 = (v - R) * (v - R), e2 = (vc - R) * (vc - R), c = o->coef * w[r / T];
        double g; /* dL/dV of the larger term */
        if (e2 > e1) {
            loss += c * 0.5 * e2, g = c * (vc - R) * dvc, clipped++;
        } else {
            loss += c * 0.5 * e1, g = c * (v - R);
        }
        sq += e1;
        if (dvalues) dvalues[r] = (float)g;
    }
    free(w);
    if (!isfinite(loss)) return mm_fail(MM_ERR_NUMERIC, "ppo value loss is not finite");
    if (st) *st = (mm_ppo_value_stats){loss, tokens, clipped, sq};
    return MM_OK;
}
