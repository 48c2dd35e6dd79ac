/* rl/grpo_loss.c — GRPO's arithmetic: group-relative advantages (outcome and process
 * supervision), the clipped-surrogate + KL loss and its gradient with respect to the logits,
 * and the byte-level codec.  No model here: these are checked against PyTorch by
 * tests/unit/test_grpo.c + tests/py/grpo_reference.py. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rl/gpt2_kern.h"
#include "rl/grpo.h"

#define ADV_EPS 1e-4

/* mean and sample std (n - 1; 0 when n < 2) */
static void mean_std(const float *x, int n, double *mean, double *std) {
    double m = 0, s = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m = n ? m / n : 0;
    for (int i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    *mean = m;
    *std = n > 1 ? sqrt(s / (n - 1)) : 0;
}

static double normalise(double r, double mean, double std, int std_norm) {
    return std_norm ? (r - mean) / (std + ADV_EPS) : r - mean;
}

void mm_grpo_outcome_advantages(const float *rewards, int G, int std_norm, float *adv) {
    double m, s;
    mean_std(rewards, G, &m, &s);
    for (int i = 0; i < G; i++)
        adv[i] = (float)normalise(rewards[i], m, s, std_norm);
}

/* Process supervision (the paper's §4.1.3): normalise every step reward by the mean and std of
 * all step rewards of the group, then token t of output i gets the sum of the normalised
 * rewards of its steps whose end lies after t — its own step and every later one.  Walking
 * the steps backwards gives that suffix sum in one pass. */
void mm_grpo_process_advantages(int G, const mm_grpo_steps *steps, const int *len, int std_norm,
                                float *const *adv) {
    int total = 0;
    for (int i = 0; i < G; i++)
        total += steps[i].n;
    float *x = calloc((size_t)(total ? total : 1), sizeof *x);
    if (!x) {
        for (int i = 0; i < G; i++)
            memset(adv[i], 0, (size_t)len[i] * sizeof(float));
        return;
    }
    for (int i = 0, k = 0; i < G; i++)
        for (int j = 0; j < steps[i].n; j++)
            x[k++] = steps[i].reward[j];
    double m, s;
    mean_std(x, total, &m, &s);
    free(x);
    for (int i = 0; i < G; i++) {
        const mm_grpo_steps *st = &steps[i];
        double suffix = 0;
        int t = len[i];
        for (int j = st->n - 1; j >= -1; j--) {
            int from = j >= 0 ? st->end[j] : 0; /* tokens [from, t) belong to step j+1 */
            if (from > len[i]) from = len[i];
            if (from < 0) from = 0;
            for (; t > from; t--)
                adv[i][t - 1] = (float)suffix;
            if (j >= 0) suffix += normalise(st->reward[j], m, s, std_norm);
        }
        /* tokens past the last step's end: no step from them onward */
        int last = st->n ? st->end[st->n - 1] : 0;
        for (int u = last < 0 ? 0 : last; u < len[i]; u++)
            adv[i][u] = 0;
    }
}

void mm_grpo_token_logp(const float *logits, const int32_t *targets, int B, int T, int V,
                        float *logp) {
#pragma omp parallel for schedule(static)
    for (long r = 0; r < (long)B * T; r++)
        logp[r] =
            targets[r] < 0 || targets[r] >= V
                ? 0.0f
                : (float)(logits[r * V + targets[r]] - mm_gk_row_logsumexp(logits + r * V, V));
}

/* The per-token objective and dJ/dlogp.  With ρ = exp(logp - old), the surrogate
 * min(ρA, clip(ρ)A) has derivative ρA where the unclipped term is active and 0 where the
 * clipped one is (the clip is constant there); the KL estimator k = e^{ref-logp} - (ref-logp)
 * - 1 has dk/dlogp = 1 - e^{ref-logp}. */
typedef struct tok_out {
    double obj, dobj, kl, ratio;
    int clipped;
} tok_out;

static tok_out token_objective(double logp, double old, double ref, double A, double eps,
                               double eps_high, double beta, int has_ref) {
    tok_out o = {0};
    o.ratio = exp(logp - old);
    double lo = 1 - eps, hi = 1 + eps_high;
    double rc = o.ratio < lo ? lo : o.ratio > hi ? hi : o.ratio;
    double s1 = o.ratio * A, s2 = rc * A;
    if (s2 < s1) {
        o.obj = s2, o.dobj = 0, o.clipped = 1;
    } else {
        o.obj = s1, o.dobj = s1;
    }
    if (has_ref && beta != 0) {
        double d = ref - logp, e = exp(d);
        o.kl = e - d - 1;
        o.obj -= beta * o.kl;
        o.dobj -= beta * (1 - e);
    } else if (has_ref) {
        double d = ref - logp;
        o.kl = exp(d) - d - 1;
    }
    return o;
}

mm_err mm_grpo_loss(const mm_grpo_loss_in *in, const mm_grpo_loss_opts *o, float *dlogits,
                    mm_grpo_loss_stats *st) {
    const int B = in->B, T = in->T, V = in->V;
    if (B <= 0 || T <= 0 || V <= 0) return mm_fail(MM_ERR_ARG, "grpo loss: B, T, V must be > 0");
    if (o->beta != 0 && !in->ref_logp)
        return mm_fail(MM_ERR_ARG, "grpo loss: beta != 0 needs reference log-probs");
    /* per-row token counts and the normalisers */
    double *wrow = malloc((size_t)B * sizeof *wrow);
    if (!wrow) return mm_fail(MM_ERR_NOMEM, "grpo loss");
    double tokens = 0;
    int rows = 0;
    for (int b = 0; b < B; b++) {
        double n = 0;
        for (int t = 0; t < T; t++)
            n += in->mask[(size_t)b * T + t] != 0;
        wrow[b] = n;
        tokens += n, rows += n > 0;
    }
    double rows_total = in->rows_total > 0 ? in->rows_total : rows;
    double tokens_total = in->tokens_total > 0 ? in->tokens_total : tokens;
    for (int b = 0; b < B; b++)
        wrow[b] = wrow[b] == 0    ? 0
                  : o->token_mean ? 1.0 / (tokens_total ? tokens_total : 1)
                                  : 1.0 / (wrow[b] * rows_total);
    double loss = 0, kl = 0, clipped = 0, ent = 0, ratio = 0;
#pragma omp parallel for schedule(static) reduction(+ : loss, kl, clipped, ent, ratio)
    for (long r = 0; r < (long)B * T; r++) {
        const float *z = in->logits + r * V;
        float *dz = dlogits ? dlogits + r * V : NULL;
        int tgt = in->targets[r];
        if (in->mask[r] == 0 || tgt < 0 || tgt >= V) {
            if (dz) memset(dz, 0, (size_t)V * sizeof *dz);
            continue;
        }
        double lse = mm_gk_row_logsumexp(z, V), h = 0;
        for (int v = 0; v < V; v++) {
            double p = exp(z[v] - lse);
            h -= p * (z[v] - lse);
        }
        double logp = z[tgt] - lse;
        double old = in->old_logp ? in->old_logp[r] : logp;
        double ref = in->ref_logp ? in->ref_logp[r] : logp;
        tok_out t = token_objective(logp, old, ref, in->adv[r], o->clip,
                                    o->clip_high > 0 ? o->clip_high : o->clip, o->beta,
                                    in->ref_logp != NULL);
        double w = wrow[r / T];
        loss -= w * t.obj;
        kl += t.kl, clipped += t.clipped, ent += h, ratio += t.ratio;
        if (!dz) continue;
        /* dL/dz_v = -w · dJ/dlogp · (1[v = tgt] - p_v) */
        double g = -w * t.dobj;
        for (int v = 0; v < V; v++)
            dz[v] = (float)(-g * exp(z[v] - lse));
        dz[tgt] += (float)g;
    }
    free(wrow);
    if (!isfinite(loss)) return mm_fail(MM_ERR_NUMERIC, "grpo loss is not finite");
    if (st) *st = (mm_grpo_loss_stats){loss, tokens, kl, clipped, ent, ratio};
    return MM_OK;
}

/* ---- byte-level codec ---- */

static int bytes_encode(void *ud, const char *s, size_t n, int32_t *out, int cap) {
    (void)ud;
    if (n > (size_t)cap) return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)s[i];
    return (int)n;
}

static mm_err bytes_decode(void *ud, int32_t tok, mm_buf *out) {
    (void)ud;
    if (tok < 0 || tok > 255) return MM_OK; /* end of text and specials decode to nothing */
    return mm_buf_putc(out, (char)tok);
}

const mm_grpo_codec *mm_grpo_codec_bytes(void) {
    static const mm_grpo_codec c = {NULL, bytes_encode, bytes_decode, 256, 257};
    return &c;
}
