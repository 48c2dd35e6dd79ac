/* rl/gpt2_generate.c — batched sampling with a KV cache (mm_gpt_generate).
 *
 * All B sequences advance one position per step, so every step is one batched pass over B rows:
 * at position s sequence b is fed its prompt token s while s < prompt_len[b], and its own last
 * sampled token after that.  A sequence starts sampling once its prompt is consumed, and stops
 * at its stop token, after max_new_tokens, or when the context is full.  Finished sequences keep
 * riding along (their rows are computed and ignored), which keeps the batch rectangular.
 *
 * Each sequence draws from its own RNG seeded from (seed, b), so its sample does not depend on
 * the other sequences in the batch. */
#ifdef __clang__ /* the fuzz build: `omp simd` loops clang cannot vectorise are fine as they are   \
                  */
#pragma clang diagnostic ignored "-Wpass-failed"
#endif
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/hash.h"
#include "rl/gpt2_internal.h"
#include "rl/gpt2_kern.h"

typedef struct gen {
    int B, cap;         /* sequences, cache positions */
    float *kc, *vc;     /* [L, B, cap, D] key and value caches */
    float *x;           /* [B, D] residual stream */
    float *ln;          /* [B, D] */
    float *qkv;         /* [B, 3D] */
    float *atty;        /* [B, D] */
    float *proj;        /* [B, D] */
    float *fch;         /* [B, 4D] */
    float *fchg;        /* [B, 4D] */
    float *mean, *rstd; /* [B] */
    float *logits;      /* [B, V] */
    float *probs;       /* [V] sampling scratch */
    int *idx;           /* [V] sampling scratch */
} gen;

static void gen_free(gen *g) {
    free(g->kc);
    free(g->vc);
    free(g->x);
    free(g->ln);
    free(g->qkv);
    free(g->atty);
    free(g->proj);
    free(g->fch);
    free(g->fchg);
    free(g->mean);
    free(g->rstd);
    free(g->logits);
    free(g->probs);
    free(g->idx);
}

static mm_err gen_alloc(gen *g, const mm_gpt_config *c, int B, int cap) {
    memset(g, 0, sizeof *g);
    g->B = B;
    g->cap = cap;
    size_t D = (size_t)c->dim, kv = (size_t)c->layers * B * cap * D;
    g->kc = malloc(kv * sizeof(float));
    g->vc = malloc(kv * sizeof(float));
    g->x = malloc(B * D * sizeof(float));
    g->ln = malloc(B * D * sizeof(float));
    g->qkv = malloc(B * 3 * D * sizeof(float));
    g->atty = malloc(B * D * sizeof(float));
    g->proj = malloc(B * D * sizeof(float));
    g->fch = malloc(B * 4 * D * sizeof(float));
    g->fchg = malloc(B * 4 * D * sizeof(float));
    g->mean = malloc(B * sizeof(float));
    g->rstd = malloc(B * sizeof(float));
    g->logits = malloc((size_t)B * c->vocab * sizeof(float));
    g->probs = malloc((size_t)c->vocab * sizeof(float));
    g->idx = malloc((size_t)c->vocab * sizeof(int));
    if (!g->kc || !g->vc || !g->x || !g->ln || !g->qkv || !g->atty || !g->proj || !g->fch ||
        !g->fchg || !g->mean || !g->rstd || !g->logits || !g->probs || !g->idx) {
        gen_free(g);
        return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory for the KV cache (B %d, %d positions)", B,
                       cap);
    }
    return MM_OK;
}

/* One position for all sequences: tok[B] at position `pos` -> g->logits [B, V]. */
static void gen_step(mm_gpt *m, gen *g, const int *tok, int pos) {
    const mm_gpt_config *c = &m->cfg;
    int B = g->B, D = c->dim;
    size_t BD = (size_t)B * D;
    for (int b = 0; b < B; b++) {
        const float *te = m->w.wte + (size_t)tok[b] * D, *pe = m->w.wpe + (size_t)pos * D;
        for (int i = 0; i < D; i++)
            g->x[(size_t)b * D + i] = te[i] + pe[i];
    }
    for (int l = 0; l < c->layers; l++) {
        const gpt_block *w = &m->w.h[l];
        float *kc = g->kc + (size_t)l * B * g->cap * D, *vc = g->vc + (size_t)l * B * g->cap * D;
        mm_gk_layernorm_fwd(g->ln, g->mean, g->rstd, g->x, w->ln1w, w->ln1b, B, D);
        mm_gk_matmul_fwd(g->qkv, g->ln, w->qkvw, w->qkvb, B, D, 3 * D);
        for (int b = 0; b < B; b++) {
            size_t at = ((size_t)b * g->cap + pos) * D;
            memcpy(kc + at, g->qkv + (size_t)b * 3 * D + D, D * sizeof(float));
            memcpy(vc + at, g->qkv + (size_t)b * 3 * D + 2 * D, D * sizeof(float));
        }
        mm_gk_attention_step(g->atty, g->qkv, kc, vc, B, pos, g->cap, D, c->heads);
        mm_gk_matmul_fwd(g->proj, g->atty, w->attpw, w->attpb, B, D, D);
        mm_gk_add(g->x, g->proj, BD);
        mm_gk_layernorm_fwd(g->ln, g->mean, g->rstd, g->x, w->ln2w, w->ln2b, B, D);
        mm_gk_matmul_fwd(g->fch, g->ln, w->fcw, w->fcb, B, D, 4 * D);
        mm_gk_gelu_fwd(g->fchg, g->fch, 4 * BD);
        mm_gk_matmul_fwd(g->proj, g->fchg, w->fcpw, w->fcpb, B, 4 * D, D);
        mm_gk_add(g->x, g->proj, BD);
    }
    mm_gk_layernorm_fwd(g->ln, g->mean, g->rstd, g->x, m->w.lnfw, m->w.lnfb, B, D);
    mm_gk_lmhead_fwd(g->logits, g->ln, m->w.wte, B, D, c->vocab);
}

static int by_prob_desc(const void *a, const void *b, void *key) {
    const float *p = key;
    float x = p[*(const int *)a], y = p[*(const int *)b];
    if (x != y) return x > y ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

/* Draw a token from logits[V] under temperature, top-k and top-p. */
static int sample(gen *g, const float *logits, int V, const mm_sample_opts *o, mm_rng *r) {
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best]) best = i;
    if (o->temperature <= 0) return best;
    float *p = g->probs, mx = logits[best], inv_t = 1.0f / o->temperature;
    double sum = 0;
    for (int i = 0; i < V; i++)
        sum += p[i] = expf((logits[i] - mx) * inv_t);
    int n = V;
    int *idx = g->idx;
    int filter = (o->top_k > 0 && o->top_k < V) || (o->top_p > 0 && o->top_p < 1);
    if (filter) { /* keep the most probable tokens: first k, then the smallest set reaching p */
        for (int i = 0; i < V; i++)
            idx[i] = i;
        qsort_r(idx, (size_t)V, sizeof *idx, by_prob_desc, p);
        if (o->top_k > 0 && o->top_k < n) n = o->top_k;
        if (o->top_p > 0 && o->top_p < 1) {
            double acc = 0;
            for (int i = 0; i < n; i++) {
                acc += p[idx[i]] / sum;
                if (acc >= o->top_p) {
                    n = i + 1;
                    break;
                }
            }
        }
        sum = 0;
        for (int i = 0; i < n; i++)
            sum += p[idx[i]];
    }
    double u = mm_rng_uniform(r) * sum, acc = 0;
    for (int i = 0; i < n; i++) {
        int t = filter ? idx[i] : i;
        acc += p[t];
        if (u < acc) return t;
    }
    return filter ? idx[n - 1] : V - 1; /* rounding left u at the very end */
}

/* log softmax(logits)[tok] at temperature 1. */
static float logprob(const float *logits, int V, int tok) {
    float mx = logits[0];
    for (int i = 1; i < V; i++)
        mx = logits[i] > mx ? logits[i] : mx;
    double s = 0;
    for (int i = 0; i < V; i++)
        s += exp((double)logits[i] - mx);
    return (float)((double)logits[tok] - mx - log(s));
}

static mm_err check_args(const mm_gpt *m, int B, const int32_t *const *prompts,
                         const int *prompt_len, const mm_sample_opts *o) {
    const mm_gpt_config *c = &m->cfg;
    if (B < 1 || !o || o->max_new_tokens < 0)
        return mm_fail(MM_ERR_ARG, "gpt2: generate with B %d, max_new_tokens %d", B,
                       o ? o->max_new_tokens : -1);
    for (int b = 0; b < B; b++) {
        if (prompt_len[b] < 1 || prompt_len[b] > c->ctx)
            return mm_fail(MM_ERR_ARG, "gpt2: prompt %d has %d tokens (1..%d allowed)", b,
                           prompt_len[b], c->ctx);
        for (int t = 0; t < prompt_len[b]; t++)
            if (prompts[b][t] < 0 || prompts[b][t] >= c->vocab)
                return mm_fail(MM_ERR_ARG, "gpt2: prompt %d: token %d outside the vocabulary of %d",
                               b, prompts[b][t], c->vocab);
    }
    return MM_OK;
}

/* Generate for sequences [b0, b0+B) of the caller's arrays (prompts, out, ... indexed by the
 * global sequence number b0 + b), with its own KV cache. */
static mm_err generate_group(mm_gpt *m, int b0, int B, const int32_t *const *prompts,
                             const int *prompt_len, const mm_sample_opts *o, int32_t **out,
                             int *out_len, float **logprobs) {
    const mm_gpt_config *c = &m->cfg;
    prompts += b0, prompt_len += b0, out += b0, out_len += b0;
    if (logprobs) logprobs += b0;
    int maxlen = 0;
    for (int b = 0; b < B; b++)
        if (prompt_len[b] + o->max_new_tokens > maxlen) maxlen = prompt_len[b] + o->max_new_tokens;
    if (maxlen > c->ctx) maxlen = c->ctx;
    gen g;
    MM_TRY(gen_alloc(&g, c, B, maxlen));
    int *tok = malloc((size_t)B * sizeof *tok), *done = calloc((size_t)B, sizeof *done);
    mm_rng *rng = malloc((size_t)B * sizeof *rng);
    if (!tok || !done || !rng) {
        free(tok), free(done), free(rng), gen_free(&g);
        return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory");
    }
    for (int b = 0; b < B; b++) {
        int gb = b0 + b; /* the RNG follows the sequence, not its place in a group */
        mm_rng_seed(&rng[b], mm_hash64(&gb, sizeof gb, o->seed));
    }
    int active = B;
    mm_err e = MM_OK;
    for (int s = 0; s < maxlen && active > 0; s++) {
        if (o->stop && *o->stop) {
            e = MM_ERR_IO; /* interrupted: the caller says so */
            break;
        }
        for (int b = 0; b < B; b++)
            tok[b] = s < prompt_len[b] ? prompts[b][s] : done[b] ? 0 : out[b][s - prompt_len[b]];
        gen_step(m, &g, tok, s);
        for (int b = 0; b < B; b++) {
            if (done[b] || s + 1 < prompt_len[b]) continue;
            const float *lg = g.logits + (size_t)b * c->vocab;
            int t = sample(&g, lg, c->vocab, o, &rng[b]);
            if (logprobs) logprobs[b][out_len[b]] = logprob(lg, c->vocab, t);
            out[b][out_len[b]++] = t;
            if (t == o->stop_token || out_len[b] >= o->max_new_tokens || s + 2 > maxlen) {
                done[b] = 1;
                active--;
            }
        }
    }
    free(tok), free(done), free(rng);
    gen_free(&g);
    return e;
}

/* With several threads the sequences are split into one group per thread, each generated
 * start to end by its thread with single-threaded kernels: sequences are independent, so no
 * thread ever waits for another (per-operation thread teams cost more than they gain on rows
 * this few).  One sequence runs on the calling thread. */
mm_err mm_gpt_generate(mm_gpt *m, int B, const int32_t *const *prompts, const int *prompt_len,
                       const mm_sample_opts *o, int32_t **out, int *out_len, float **logprobs) {
    MM_TRY(check_args(m, B, prompts, prompt_len, o));
    for (int b = 0; b < B; b++)
        out_len[b] = 0;
    if (o->max_new_tokens == 0) return MM_OK;
    mm_gk_blas_single();
    int nt = omp_get_max_threads();
    if (nt > B) nt = B;
    mm_err err = MM_OK;
    if (nt <= 1 || omp_in_parallel())
        err = generate_group(m, 0, B, prompts, prompt_len, o, out, out_len, logprobs);
    else
#pragma omp parallel num_threads(nt)
    {
        int id = omp_get_thread_num(), k = omp_get_num_threads();
        int lo = B * id / k, hi = B * (id + 1) / k;
        mm_err e =
            hi > lo ? generate_group(m, lo, hi - lo, prompts, prompt_len, o, out, out_len, logprobs)
                    : MM_OK;
        if (e != MM_OK) {
#pragma omp critical(mm_gpt_generate_err)
            err = e;
        }
    }
    if (err != MM_OK && o->stop && *o->stop)
        return mm_fail(MM_ERR_IO, "gpt2: generate: interrupted");
    return err == MM_OK ? MM_OK
                        : mm_fail(err, "gpt2: generate: out of memory for the KV cache (B %d)", B);
}
