/* rl/gpt2.c — the GPT-2 model: parameters, forward, loss, backward, AdamW, checkpoints.
 *
 * Parameters live in one flat array in Hugging Face order (wte, wpe, h.0.*, ..., ln_f.*), so the
 * optimizer and gradient clipping run over one array and checkpoints map tensor for tensor.
 * Activations for the current (B, T) live in one block carved into the buffers of gpt_acts.
 * The kernels are in gpt2_kern.c; generation with a KV cache is in gpt2_generate.c. */
#ifdef __clang__ /* the fuzz build: `omp simd` loops clang cannot vectorise are fine as they are   \
                  */
#pragma clang diagnostic ignored "-Wpass-failed"
#endif
#include "rl/gpt2.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/json.h"
#include "rl/gpt2_internal.h"
#include "rl/gpt2_kern.h"
#include "rl/safetensors.h"

#define NAME_LEN 48

/* ---- layout ------------------------------------------------------------------------------ */

static mm_err check_config(const mm_gpt_config *c) {
    if (c->vocab < 1 || c->vocab > (1 << 24) || c->ctx < 1 || c->ctx > (1 << 16) || c->layers < 1 ||
        c->layers > 1024 || c->heads < 1 || c->dim < 1 || c->dim > (1 << 16))
        return mm_fail(MM_ERR_ARG,
                       "gpt2: config out of range (vocab %d, ctx %d, layers %d, heads %d, dim %d)",
                       c->vocab, c->ctx, c->layers, c->heads, c->dim);
    if (c->dim % c->heads)
        return mm_fail(MM_ERR_ARG, "gpt2: dim %d is not a multiple of heads %d", c->dim, c->heads);
    return MM_OK;
}

static void add_tensor(mm_gpt *m, size_t *off, const char *name, int d0, int d1, int decay) {
    mm_gpt_tensor *t = &m->tensors[m->ntensors];
    char *nm = m->names + m->ntensors * NAME_LEN;
    snprintf(nm, NAME_LEN, "%s", name);
    t->name = nm;
    t->ndim = d1 ? 2 : 1;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->size = (size_t)d0 * (d1 ? (size_t)d1 : 1);
    t->decay = decay;
    t->data = (float *)(uintptr_t)*off; /* an offset until the arrays exist */
    *off += t->size;
    m->ntensors++;
}

/* The tensor table: names, shapes and offsets in the flat arrays. */
static void build_table(mm_gpt *m) {
    const mm_gpt_config *c = &m->cfg;
    int D = c->dim;
    size_t off = 0;
    char nm[NAME_LEN];
    static const char *const blk[GP_NLAYER] = {
        "ln_1.weight",        "ln_1.bias",        "attn.c_attn.weight", "attn.c_attn.bias",
        "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight",        "ln_2.bias",
        "mlp.c_fc.weight",    "mlp.c_fc.bias",    "mlp.c_proj.weight",  "mlp.c_proj.bias"};
    const int shp[GP_NLAYER][2] = {{D, 0}, {D, 0}, {D, 3 * D}, {3 * D, 0}, {D, D},     {D, 0},
                                   {D, 0}, {D, 0}, {D, 4 * D}, {4 * D, 0}, {4 * D, D}, {D, 0}};
    add_tensor(m, &off, "wte.weight", c->vocab, D, 1);
    add_tensor(m, &off, "wpe.weight", c->ctx, D, 1);
    for (int l = 0; l < c->layers; l++)
        for (int k = 0; k < GP_NLAYER; k++) {
            snprintf(nm, sizeof nm, "h.%d.%s", l, blk[k]);
            add_tensor(m, &off, nm, shp[k][0], shp[k][1], shp[k][1] != 0);
        }
    add_tensor(m, &off, "ln_f.weight", D, 0, 0);
    add_tensor(m, &off, "ln_f.bias", D, 0, 0);
    m->nparams = off;
}

static void set_views(mm_gpt *m, float *base, gpt_weights *w, int grads) {
    for (size_t i = 0; i < m->ntensors; i++) {
        float *p = base + (size_t)(uintptr_t)(grads ? m->tensors[i].grad : m->tensors[i].data);
        if (grads)
            m->tensors[i].grad = p;
        else
            m->tensors[i].data = p;
    }
    mm_gpt_tensor *t = m->tensors;
    w->wte = grads ? t[0].grad : t[0].data;
    w->wpe = grads ? t[1].grad : t[1].data;
    for (int l = 0; l < m->cfg.layers; l++) {
        float *q[GP_NLAYER];
        for (int k = 0; k < GP_NLAYER; k++) {
            mm_gpt_tensor *x = &t[2 + l * GP_NLAYER + k];
            q[k] = grads ? x->grad : x->data;
        }
        w->h[l] =
            (gpt_block){q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11]};
    }
    mm_gpt_tensor *f = &t[m->ntensors - 2];
    w->lnfw = grads ? f[0].grad : f[0].data;
    w->lnfb = grads ? f[1].grad : f[1].data;
}

/* Views of a flat array laid out like the parameters (tensor offsets taken from the table). */
static void views_at(mm_gpt *m, float *base, gpt_weights *w) {
#define AT(i) (base + (m->tensors[i].data - m->params))
    w->wte = AT(0);
    w->wpe = AT(1);
    for (int l = 0; l < m->cfg.layers; l++) {
        size_t i = 2 + (size_t)l * GP_NLAYER;
        w->h[l] = (gpt_block){AT(i),     AT(i + 1), AT(i + 2), AT(i + 3), AT(i + 4),  AT(i + 5),
                              AT(i + 6), AT(i + 7), AT(i + 8), AT(i + 9), AT(i + 10), AT(i + 11)};
    }
    w->lnfw = AT(m->ntensors - 2);
    w->lnfb = AT(m->ntensors - 1);
#undef AT
}

static void *alloc_floats(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float))) return NULL;
    memset(p, 0, (n ? n : 1) * sizeof(float));
    return p;
}

/* A model with its tables and zeroed parameters and gradients. */
static mm_err gpt_alloc(const mm_gpt_config *cfg, mm_gpt **out) {
    *out = NULL;
    MM_TRY(check_config(cfg));
    mm_gpt *m = calloc(1, sizeof *m);
    size_t nt = 4 + (size_t)GP_NLAYER * cfg->layers;
    if (m) {
        m->cfg = *cfg;
        m->tensors = calloc(nt, sizeof *m->tensors);
        m->names = calloc(nt, NAME_LEN);
        m->w.h = calloc((size_t)cfg->layers, sizeof(gpt_block));
        m->g.h = calloc((size_t)cfg->layers, sizeof(gpt_block));
    }
    if (!m || !m->tensors || !m->names || !m->w.h || !m->g.h) {
        mm_gpt_free(m);
        return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory");
    }
    build_table(m);
    for (size_t i = 0; i < m->ntensors; i++)
        m->tensors[i].grad = m->tensors[i].data;
    m->params = alloc_floats(m->nparams);
    m->grads = alloc_floats(m->nparams);
    if (!m->params || !m->grads) {
        mm_gpt_free(m);
        return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory for %zu parameters", m->nparams);
    }
    set_views(m, m->params, &m->w, 0);
    set_views(m, m->grads, &m->g, 1);
    *out = m;
    return MM_OK;
}

static float randn(mm_rng *r) {
    double u1 = mm_rng_uniform(r), u2 = mm_rng_uniform(r);
    return (float)(sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2));
}

mm_err mm_gpt_create(const mm_gpt_config *cfg, uint64_t seed, mm_gpt **out) {
    MM_TRY(gpt_alloc(cfg, out));
    mm_gpt *m = *out;
    mm_rng r;
    mm_rng_seed(&r, seed);
    float resid = 0.02f / sqrtf(2.0f * cfg->layers);
    for (size_t i = 0; i < m->ntensors; i++) {
        mm_gpt_tensor *t = &m->tensors[i];
        const char *nm = t->name;
        if (t->ndim == 2) { /* both c_proj matrices feed the residual stream */
            float sd = strstr(nm, "c_proj.weight") ? resid : 0.02f;
            for (size_t k = 0; k < t->size; k++)
                t->data[k] = sd * randn(&r);
        } else if (strstr(nm, "ln_") && strstr(nm, ".weight")) {
            for (size_t k = 0; k < t->size; k++)
                t->data[k] = 1.0f;
        }
    }
    return MM_OK;
}

void mm_gpt_free(mm_gpt *m) {
    if (!m) return;
    free(m->params);
    free(m->grads);
    free(m->m);
    free(m->v);
    free(m->tensors);
    free(m->names);
    free(m->w.h);
    free(m->g.h);
    free(m->tokens);
    free(m->actmem);
    for (int k = 0; k < m->npriv; k++) {
        free(m->priv[k]);
        free(m->gpriv[k].h);
    }
    free(m->priv);
    free(m->gpriv);
    free(m);
}

const mm_gpt_config *mm_gpt_get_config(const mm_gpt *m) {
    return &m->cfg;
}

mm_err mm_gpt_copy_params(mm_gpt *dst, const mm_gpt *src) {
    const mm_gpt_config *a = &dst->cfg, *b = &src->cfg;
    if (a->vocab != b->vocab || a->ctx != b->ctx || a->layers != b->layers ||
        a->heads != b->heads || a->dim != b->dim)
        return mm_fail(MM_ERR_MISMATCH, "gpt2: copy_params between different configs");
    memcpy(dst->params, src->params, src->nparams * sizeof(float));
    return MM_OK;
}

float *mm_gpt_params(mm_gpt *m, size_t *n) {
    if (n) *n = m->nparams;
    return m->params;
}

float *mm_gpt_grads(mm_gpt *m, size_t *n) {
    if (n) *n = m->nparams;
    return m->grads;
}

const mm_gpt_tensor *mm_gpt_tensor_at(mm_gpt *m, size_t i) {
    return i < m->ntensors ? &m->tensors[i] : NULL;
}

void mm_gpt_zero_grad(mm_gpt *m) {
    memset(m->grads, 0, m->nparams * sizeof(float));
}

/* ---- activations ------------------------------------------------------------------------- */

/* Carve the activation block for (B, T); with base NULL only counts.  Returns floats needed. */
static size_t carve(mm_gpt *m, float *base, int B, int T) {
    const mm_gpt_config *c = &m->cfg;
    size_t N = (size_t)B * T, D = (size_t)c->dim, L = (size_t)c->layers, V = (size_t)c->vocab;
    size_t att = L * B * c->heads * (size_t)T * T, off = 0;
    gpt_acts *a = &m->a;
#define CARVE(field, n)                                                                            \
    do {                                                                                           \
        a->field = base ? base + off : NULL;                                                       \
        off += ((n) + 15) & ~(size_t)15;                                                           \
    } while (0)
    CARVE(encoded, N * D);
    CARVE(ln1, L * N * D);
    CARVE(ln1_mean, L * N);
    CARVE(ln1_rstd, L * N);
    CARVE(qkv, L * N * 3 * D);
    CARVE(att, att);
    CARVE(atty, L * N * D);
    CARVE(res2, L * N * D);
    CARVE(ln2, L * N * D);
    CARVE(ln2_mean, L * N);
    CARVE(ln2_rstd, L * N);
    CARVE(fch, L * N * 4 * D);
    CARVE(fch_gelu, L * N * 4 * D);
    CARVE(res3, L * N * D);
    CARVE(lnf, N * D);
    CARVE(lnf_mean, N);
    CARVE(lnf_rstd, N);
    CARVE(logits, N * V);
    CARVE(dlogits, N * V);
    CARVE(dres, N * D);
    CARVE(dln, N * D);
    CARVE(datty, N * D);
    CARVE(dqkv, N * 3 * D);
    CARVE(dfch, N * 4 * D);
    CARVE(dfchg, N * 4 * D);
#undef CARVE
    return off;
}

static mm_err ensure_acts(mm_gpt *m, int B, int T) {
    if (m->actmem && m->B == B && m->T == T) return MM_OK;
    size_t need = carve(m, NULL, B, T);
    if (need > m->actcap) {
        free(m->actmem);
        free(m->tokens);
        if (posix_memalign((void **)&m->actmem, 64, need * sizeof(float))) m->actmem = NULL;
        m->tokens = malloc((size_t)B * T * sizeof *m->tokens);
        m->actcap = m->actmem && m->tokens ? need : 0;
        if (!m->actcap) {
            free(m->actmem);
            free(m->tokens);
            m->actmem = NULL;
            m->tokens = NULL;
            m->B = m->T = 0;
            return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory for activations (B %d, T %d: %zu MB)",
                           B, T, need * 4 >> 20);
        }
    } else if (m->B * m->T < B * T) {
        int *tk = realloc(m->tokens, (size_t)B * T * sizeof *tk);
        if (!tk) return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory");
        m->tokens = tk;
    }
    carve(m, m->actmem, B, T);
    m->B = B;
    m->T = T;
    return MM_OK;
}

/* ---- threading ---------------------------------------------------------------------------

   Two ways to use the threads.  Data-parallel (B divisible by the thread count, or at least 4
   sequences per thread): each thread runs the whole forward and backward pass for its own
   sequences, with single-threaded kernels, and accumulates its weight gradients privately;
   the private gradients are summed once at the end.  No thread ever waits for another inside
   the pass, which matters on a busy machine where every barrier can cost a time slice.
   Otherwise (few sequences) the kernels themselves split each operation over the threads.
   Rows of sequence b are rows b*T .. b*T+T-1 of every [N, .] activation, so a range of
   sequences is a contiguous block of rows in each of them. */

static int data_parallel(const mm_gpt *m, int nt) {
    return nt > 1 && (m->B % nt == 0 || m->B >= 4 * nt);
}

/* ---- forward ----------------------------------------------------------------------------- */

/* Block l for sequences [b0, b0+nb); x: the block's input rows of those sequences. */
static void block_forward(mm_gpt *m, int l, int b0, int nb, const float *x) {
    const mm_gpt_config *c = &m->cfg;
    int B = m->B, T = m->T, N = B * T, D = c->dim, H = c->heads, n = nb * T;
    size_t ND = (size_t)N * D, r0 = (size_t)b0 * T, rD = r0 * D, nD = (size_t)n * D;
    gpt_acts *a = &m->a;
    const gpt_block *w = &m->w.h[l];
    float *ln1 = a->ln1 + l * ND + rD, *qkv = a->qkv + l * 3 * ND + 3 * rD;
    float *atty = a->atty + l * ND + rD, *res2 = a->res2 + l * ND + rD;
    float *ln2 = a->ln2 + l * ND + rD, *res3 = a->res3 + l * ND + rD;
    float *fch = a->fch + l * 4 * ND + 4 * rD, *fchg = a->fch_gelu + l * 4 * ND + 4 * rD;
    float *att = a->att + ((size_t)l * B + b0) * H * T * T;
    size_t lN = (size_t)l * N + r0;
    mm_gk_layernorm_fwd(ln1, a->ln1_mean + lN, a->ln1_rstd + lN, x, w->ln1w, w->ln1b, n, D);
    mm_gk_matmul_fwd(qkv, ln1, w->qkvw, w->qkvb, n, D, 3 * D);
    mm_gk_attention_fwd(atty, att, qkv, nb, T, D, H);
    mm_gk_matmul_fwd(res2, atty, w->attpw, w->attpb, n, D, D);
    mm_gk_add(res2, x, nD);
    mm_gk_layernorm_fwd(ln2, a->ln2_mean + lN, a->ln2_rstd + lN, res2, w->ln2w, w->ln2b, n, D);
    mm_gk_matmul_fwd(fch, ln2, w->fcw, w->fcb, n, D, 4 * D);
    mm_gk_gelu_fwd(fchg, fch, 4 * nD);
    mm_gk_matmul_fwd(res3, fchg, w->fcpw, w->fcpb, n, 4 * D, D);
    mm_gk_add(res3, res2, nD);
}

/* The whole forward pass for sequences [b0, b0+nb). */
static void forward_seqs(mm_gpt *m, int b0, int nb) {
    const mm_gpt_config *c = &m->cfg;
    int T = m->T, N = m->B * T, D = c->dim;
    size_t r0 = (size_t)b0 * T, n = (size_t)nb * T;
    gpt_acts *a = &m->a;
    for (size_t r = r0; r < r0 + n; r++) { /* encoded[r] = wte[token] + wpe[position] */
        const float *te = m->w.wte + (size_t)m->tokens[r] * D, *pe = m->w.wpe + (r % T) * D;
        float *e = a->encoded + r * D;
        for (int i = 0; i < D; i++)
            e[i] = te[i] + pe[i];
    }
    const float *x = a->encoded + r0 * D;
    for (int l = 0; l < c->layers; l++) {
        block_forward(m, l, b0, nb, x);
        x = a->res3 + (size_t)l * N * D + r0 * D;
    }
    mm_gk_layernorm_fwd(a->lnf + r0 * D, a->lnf_mean + r0, a->lnf_rstd + r0, x, m->w.lnfw,
                        m->w.lnfb, (int)n, D);
    mm_gk_lmhead_fwd(a->logits + r0 * c->vocab, a->lnf + r0 * D, m->w.wte, (int)n, D, c->vocab);
}

mm_err mm_gpt_forward(mm_gpt *m, const int32_t *tokens, int B, int T, const float **logits) {
    const mm_gpt_config *c = &m->cfg;
    if (B < 1 || T < 1 || T > c->ctx)
        return mm_fail(MM_ERR_ARG, "gpt2: forward with B %d, T %d (ctx %d)", B, T, c->ctx);
    for (size_t i = 0; i < (size_t)B * T; i++)
        if (tokens[i] < 0 || tokens[i] >= c->vocab)
            return mm_fail(MM_ERR_ARG,
                           "gpt2: token %d at position %zu is outside the vocabulary of %d",
                           tokens[i], i, c->vocab);
    MM_TRY(ensure_acts(m, B, T));
    memcpy(m->tokens, tokens, (size_t)B * T * sizeof *tokens);
    mm_gk_blas_single();
    int nt = omp_get_max_threads();
    if (data_parallel(m, nt)) {
#pragma omp parallel num_threads(nt)
        {
            int id = omp_get_thread_num(), k = omp_get_num_threads();
            int lo = B * id / k, hi = B * (id + 1) / k;
            if (hi > lo) forward_seqs(m, lo, hi - lo);
        }
    } else {
        forward_seqs(m, 0, B);
    }
    m->have_forward = 1;
    if (logits) *logits = m->a.logits;
    return MM_OK;
}

mm_err mm_gpt_loss(mm_gpt *m, const int32_t *targets, float *loss) {
    if (!m->have_forward) return mm_fail(MM_ERR_ARG, "gpt2: loss before forward");
    int N = m->B * m->T, V = m->cfg.vocab, cnt;
    for (int n = 0; n < N; n++)
        if (targets[n] >= V)
            return mm_fail(MM_ERR_ARG,
                           "gpt2: target %d at position %d is outside the vocabulary of %d",
                           targets[n], n, V);
    double l = mm_gk_crossentropy(m->a.dlogits, m->a.logits, targets, N, V, &cnt);
    *loss = (float)l;
    return MM_OK;
}

/* ---- backward ---------------------------------------------------------------------------- */

/* Block l for sequences [b0, b0+nb), weight gradients into g.  The dres rows of those
 * sequences hold dL/d(output of block l) on entry and dL/d(input of block l) on return. */
static void block_backward(mm_gpt *m, int l, int b0, int nb, const float *x, gpt_block *g) {
    const mm_gpt_config *c = &m->cfg;
    int B = m->B, T = m->T, N = B * T, D = c->dim, H = c->heads, n = nb * T;
    size_t ND = (size_t)N * D, r0 = (size_t)b0 * T, rD = r0 * D, nD = (size_t)n * D;
    gpt_acts *a = &m->a;
    const gpt_block *w = &m->w.h[l];
    float *ln1 = a->ln1 + l * ND + rD, *qkv = a->qkv + l * 3 * ND + 3 * rD;
    float *atty = a->atty + l * ND + rD, *res2 = a->res2 + l * ND + rD, *ln2 = a->ln2 + l * ND + rD;
    float *fch = a->fch + l * 4 * ND + 4 * rD, *fchg = a->fch_gelu + l * 4 * ND + 4 * rD;
    float *att = a->att + ((size_t)l * B + b0) * H * T * T;
    float *dres = a->dres + rD, *dln = a->dln + rD, *datty = a->datty + rD;
    float *dqkv = a->dqkv + 3 * rD, *dfch = a->dfch + 4 * rD, *dfchg = a->dfchg + 4 * rD;
    size_t lN = (size_t)l * N + r0;
    /* MLP: res3 = res2 + c_proj(gelu(c_fc(ln_2(res2)))) */
    mm_gk_matmul_bwd(dfchg, g->fcpw, g->fcpb, dres, fchg, w->fcpw, n, 4 * D, D);
    mm_gk_gelu_bwd(dfch, fch, dfchg, 4 * nD);
    mm_gk_matmul_bwd(dln, g->fcw, g->fcb, dfch, ln2, w->fcw, n, D, 4 * D);
    mm_gk_layernorm_bwd(dres, g->ln2w, g->ln2b, dln, res2, w->ln2w, a->ln2_mean + lN,
                        a->ln2_rstd + lN, n, D);
    /* attention: res2 = x + c_proj(attn(c_attn(ln_1(x)))) */
    mm_gk_matmul_bwd(datty, g->attpw, g->attpb, dres, atty, w->attpw, n, D, D);
    mm_gk_attention_bwd(dqkv, datty, qkv, att, nb, T, D, H);
    mm_gk_matmul_bwd(dln, g->qkvw, g->qkvb, dqkv, ln1, w->qkvw, n, D, 3 * D);
    mm_gk_layernorm_bwd(dres, g->ln1w, g->ln1b, dln, x, w->ln1w, a->ln1_mean + lN, a->ln1_rstd + lN,
                        n, D);
}

/* The whole backward pass for sequences [b0, b0+nb) from dlogits [N, V] (NULL = none) plus
 * dhidden [N, D] (NULL = none; a gradient on the final LayerNorm's output from another head,
 * rl/value.h); gradients into g. */
static void backward_seqs(mm_gpt *m, int b0, int nb, const float *dlogits, const float *dhidden,
                          gpt_weights *g) {
    const mm_gpt_config *c = &m->cfg;
    int T = m->T, N = m->B * T, D = c->dim, L = c->layers, n = nb * T;
    size_t r0 = (size_t)b0 * T, rD = r0 * D;
    gpt_acts *a = &m->a;
    const float *xL = a->res3 + (size_t)(L - 1) * N * D + rD;
    if (dlogits)
        mm_gk_lmhead_bwd(a->dln + rD, g->wte, dlogits + r0 * c->vocab, a->lnf + rD, m->w.wte, n, D,
                         c->vocab);
    else
        memset(a->dln + rD, 0, (size_t)n * D * sizeof(float));
    if (dhidden) /* hook for rl/value.h: a scalar head reads the same hidden state */
        mm_gk_add(a->dln + rD, dhidden + rD, (size_t)n * D);
    memset(a->dres + rD, 0, (size_t)n * D * sizeof(float));
    mm_gk_layernorm_bwd(a->dres + rD, g->lnfw, g->lnfb, a->dln + rD, xL, m->w.lnfw,
                        a->lnf_mean + r0, a->lnf_rstd + r0, n, D);
    for (int l = L - 1; l >= 0; l--) {
        const float *x = (l ? a->res3 + (size_t)(l - 1) * N * D : a->encoded) + rD;
        block_backward(m, l, b0, nb, x, &g->h[l]);
    }
    for (size_t r = r0; r < r0 + (size_t)n; r++) { /* serial: rows may share a token */
        float *gt = g->wte + (size_t)m->tokens[r] * D, *gp = g->wpe + (r % T) * D;
        const float *d = a->dres + r * D;
        for (int i = 0; i < D; i++) {
            gt[i] += d[i];
            gp[i] += d[i];
        }
    }
}

/* Private gradient arrays for threads 1..nt-1 (thread 0 uses m->grads). */
static int ensure_private_grads(mm_gpt *m, int nt) {
    if (m->npriv >= nt - 1) return 1;
    for (int k = 0; k < m->npriv; k++) {
        free(m->priv[k]);
        free(m->gpriv[k].h);
    }
    free(m->priv);
    free(m->gpriv);
    m->npriv = 0;
    m->priv = calloc((size_t)nt, sizeof *m->priv);
    m->gpriv = calloc((size_t)nt, sizeof *m->gpriv);
    if (!m->priv || !m->gpriv) return 0;
    for (int k = 0; k < nt - 1; k++) {
        m->priv[k] = alloc_floats(m->nparams);
        m->gpriv[k].h = calloc((size_t)m->cfg.layers, sizeof(gpt_block));
        if (!m->priv[k] || !m->gpriv[k].h) {
            free(m->priv[k]);
            free(m->gpriv[k].h);
            return 0;
        }
        views_at(m, m->priv[k], &m->gpriv[k]);
        m->npriv = k + 1;
    }
    return 1;
}

mm_err mm_gpt_backward(mm_gpt *m, const float *dlogits) {
    if (!m->have_forward) return mm_fail(MM_ERR_ARG, "gpt2: backward before forward");
    return mm_gpt_backward_hidden(m, dlogits ? dlogits : m->a.dlogits, NULL);
}

const float *mm_gpt_hidden(const mm_gpt *m) {
    return m->have_forward ? m->a.lnf : NULL;
}

mm_err mm_gpt_backward_hidden(mm_gpt *m, const float *dlogits, const float *dhidden) {
    if (!m->have_forward) return mm_fail(MM_ERR_ARG, "gpt2: backward before forward");
    mm_gk_blas_single();
    int nt = omp_get_max_threads(), B = m->B;
    if (!data_parallel(m, nt) || !ensure_private_grads(m, nt)) {
        backward_seqs(m, 0, B, dlogits, dhidden, &m->g);
        return MM_OK;
    }
    size_t np = m->nparams;
#pragma omp parallel num_threads(nt)
    {
        int id = omp_get_thread_num(), k = omp_get_num_threads();
        int lo = B * id / k, hi = B * (id + 1) / k;
        if (id) memset(m->priv[id - 1], 0, np * sizeof(float));
        if (hi > lo)
            backward_seqs(m, lo, hi - lo, dlogits, dhidden, id ? &m->gpriv[id - 1] : &m->g);
#pragma omp barrier
#pragma omp for schedule(static)
        for (size_t i = 0; i < np; i++) {
            float s = 0;
            for (int t = 0; t < k - 1; t++)
                s += m->priv[t][i];
            m->grads[i] += s;
        }
    }
    return MM_OK;
}

/* ---- optimizer --------------------------------------------------------------------------- */

static mm_err ensure_moments(mm_gpt *m) {
    if (m->m) return MM_OK;
    m->m = alloc_floats(m->nparams);
    m->v = alloc_floats(m->nparams);
    if (!m->m || !m->v) {
        free(m->m);
        free(m->v);
        m->m = m->v = NULL;
        return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory for optimizer state");
    }
    return MM_OK;
}

/* AdamW in PyTorch's order of operations: decay, moments, bias-corrected update. */
mm_err mm_gpt_adamw_step(mm_gpt *m, const mm_adamw_opts *o) {
    MM_TRY(ensure_moments(m));
    m->step++;
    double bc1 = 1.0 - pow(o->beta1, (double)m->step), bc2 = 1.0 - pow(o->beta2, (double)m->step);
    float step_size = (float)(o->lr / bc1), bc2s = (float)sqrt(bc2);
    float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    for (size_t t = 0; t < m->ntensors; t++) {
        const mm_gpt_tensor *x = &m->tensors[t];
        size_t off = (size_t)(x->data - m->params), n = x->size;
        float *p = m->params + off, *g = m->grads + off, *mm = m->m + off, *vv = m->v + off;
        float decay = x->decay ? 1.0f - o->lr * o->weight_decay : 1.0f;
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) {
            p[i] *= decay;
            mm[i] = b1 * mm[i] + (1.0f - b1) * g[i];
            vv[i] = b2 * vv[i] + (1.0f - b2) * g[i] * g[i];
            p[i] -= step_size * mm[i] / (sqrtf(vv[i]) / bc2s + eps);
        }
    }
    return MM_OK;
}

float mm_gpt_clip_grad(mm_gpt *m, float max_norm) {
    double ss = 0;
    const float *g = m->grads;
    size_t n = m->nparams;
#pragma omp parallel for reduction(+ : ss) schedule(static)
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    float norm = (float)sqrt(ss);
    if (max_norm > 0 && isfinite(norm) && norm > max_norm) {
        float s = max_norm / (norm + 1e-6f);
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++)
            m->grads[i] *= s;
    }
    return norm;
}

mm_err mm_gpt_save_optimizer(const mm_gpt *m, const char *path) {
    float *zero = NULL;
    const float *mm = m->m, *vv = m->v;
    if (!mm) {
        zero = alloc_floats(m->nparams);
        if (!zero) return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory");
        mm = vv = zero;
    }
    char step[32], np[32];
    snprintf(step, sizeof step, "%lld", m->step);
    snprintf(np, sizeof np, "%zu", m->nparams);
    const char *meta[] = {"format", "mathmine-adamw", "step", step, "nparams", np};
    mm_st_entry e[2] = {{"exp_avg", 1, {(int64_t)m->nparams}, mm},
                        {"exp_avg_sq", 1, {(int64_t)m->nparams}, vv}};
    mm_err err = mm_st_write(path, e, 2, meta, 3);
    free(zero);
    return err;
}

mm_err mm_gpt_load_optimizer(mm_gpt *m, const char *path) {
    mm_st *st;
    MM_TRY(mm_st_open(path, &st));
    const char *fmt = mm_st_meta(st, "format"), *step = mm_st_meta(st, "step");
    const mm_st_tensor *a = mm_st_find(st, "exp_avg"), *b = mm_st_find(st, "exp_avg_sq");
    mm_err e = MM_OK;
    if (!fmt || strcmp(fmt, "mathmine-adamw") || !step || !a || !b)
        e = mm_fail(MM_ERR_FORMAT, "%s: not a mathmine optimizer state", path);
    if (e == MM_OK) e = ensure_moments(m);
    if (e == MM_OK && (e = mm_st_read_f32(a, m->m, m->nparams)) == MM_OK)
        e = mm_st_read_f32(b, m->v, m->nparams);
    if (e == MM_OK)
        m->step = strtoll(step, NULL, 10);
    else if (e == MM_ERR_MISMATCH)
        e = mm_fail(e, "%s: optimizer state does not fit this model (%s)", path, mm_error_detail());
    mm_st_free(st);
    return e;
}

/* ---- checkpoints ------------------------------------------------------------------------- */

static mm_err write_config(const mm_gpt *m, const char *path, int eos) {
    const mm_gpt_config *c = &m->cfg;
    mm_buf b = {0};
    if (eos >= 0) /* transformers' defaults (50256) would point past a smaller vocabulary */
        mm_buf_printf(&b, "{\n  \"bos_token_id\": %d,\n  \"eos_token_id\": %d,", eos, eos);
    else
        mm_buf_puts(&b, "{");
    mm_buf_printf(&b,
                  "\n  \"architectures\": [\"GPT2LMHeadModel\"],\n  \"model_type\": \"gpt2\",\n"
                  "  \"vocab_size\": %d,\n  \"n_positions\": %d,\n  \"n_ctx\": %d,\n"
                  "  \"n_embd\": %d,\n  \"n_layer\": %d,\n  \"n_head\": %d,\n  \"n_inner\": null,\n"
                  "  \"activation_function\": \"gelu_new\",\n  \"layer_norm_epsilon\": 1e-05,\n"
                  "  \"resid_pdrop\": 0.0,\n  \"embd_pdrop\": 0.0,\n  \"attn_pdrop\": 0.0,\n"
                  "  \"initializer_range\": 0.02,\n  \"tie_word_embeddings\": true,\n"
                  "  \"scale_attn_weights\": true,\n  \"torch_dtype\": \"float32\"\n}\n",
                  c->vocab, c->ctx, c->ctx, c->dim, c->layers, c->heads);
    mm_out *o = NULL;
    mm_err e = b.data ? mm_out_open(path, 0, &o) : mm_fail(MM_ERR_NOMEM, "out of memory");
    if (e == MM_OK) e = mm_out_write(o, b.data, b.len);
    if (e == MM_OK)
        e = mm_out_commit(o);
    else
        mm_out_abort(o);
    mm_buf_free(&b);
    return e;
}

mm_err mm_gpt_write_files(const mm_gpt *m, const char *dir, int eos) {
    char path[4096];
    mm_st_entry *e = calloc(m->ntensors, sizeof *e);
    if (!e) return mm_fail(MM_ERR_NOMEM, "gpt2: out of memory");
    for (size_t i = 0; i < m->ntensors; i++) {
        const mm_gpt_tensor *t = &m->tensors[i];
        e[i] = (mm_st_entry){t->name, t->ndim, {t->shape[0], t->shape[1]}, t->data};
    }
    const char *meta[] = {"format", "pt"};
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    mm_err err = mm_st_write(path, e, m->ntensors, meta, 1);
    free(e);
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (err == MM_OK) err = write_config(m, path, eos);
    return err;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

void mm_gpt_rmtree(const char *dir) {
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

mm_err mm_gpt_tmpdir(const char *dir, char *tmp, size_t cap) {
    snprintf(tmp, cap, "%s.tmp.%d", dir, (int)getpid());
    mm_remove_stale_temps(dir); /* left by a killed run */
    mm_gpt_rmtree(tmp);
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = 0;
        MM_TRY(mm_mkdirs(parent));
    }
    if (mkdir(tmp, 0777))
        return mm_fail(MM_ERR_IO, "%s: cannot create directory: %s", tmp, strerror(errno));
    return MM_OK;
}

/* Replace `dir` by the finished `tmp`: the old directory is moved aside first, so at every moment
 * either the old or the new checkpoint is complete under one of the two names. */
mm_err mm_gpt_replace_dir(const char *tmp, const char *dir) {
    char old[4200];
    snprintf(old, sizeof old, "%s.old.%d", dir, (int)getpid());
    struct stat st;
    int had = stat(dir, &st) == 0;
    /* the last guard: only a folder mathmine wrote (a checkpoint, or a run's folder with its
     * log before the first checkpoint) or an empty one is replaced */
    if (mm_out_dir_check(dir, "log.jsonl", true, "checkpoint") != MM_OK)
        MM_TRY(mm_out_dir_check(dir, "config.json", true, "checkpoint"));
    if (had && rename(dir, old))
        return mm_fail(MM_ERR_IO, "%s: cannot move aside: %s", dir, strerror(errno));
    if (rename(tmp, dir)) {
        int err = errno;
        if (had) rename(old, dir);
        return mm_fail(MM_ERR_IO, "%s: rename to %s failed: %s", tmp, dir, strerror(err));
    }
    if (had) mm_gpt_rmtree(old);
    return MM_OK;
}

mm_err mm_gpt_save(const mm_gpt *m, const char *dir) {
    char tmp[4200];
    MM_TRY(mm_gpt_tmpdir(dir, tmp, sizeof tmp));
    mm_err e = mm_gpt_write_files(m, tmp, -1);
    if (e == MM_OK) e = mm_gpt_replace_dir(tmp, dir);
    if (e != MM_OK) mm_gpt_rmtree(tmp);
    return e;
}

static mm_err read_config(const char *dir, mm_gpt_config *c) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    mm_json_doc *doc;
    mm_json *r;
    mm_err e = mm_json_parse_file(path, &doc, &r);
    if (e != MM_OK) return e;
    const char *act = mm_json_get_str(r, "activation_function", "gelu_new");
    const char *type = mm_json_get_str(r, "model_type", "gpt2");
    c->vocab = (int)mm_json_get_num(r, "vocab_size", -1);
    c->ctx = (int)mm_json_get_num(r, "n_positions", mm_json_get_num(r, "n_ctx", -1));
    c->dim = (int)mm_json_get_num(r, "n_embd", -1);
    c->layers = (int)mm_json_get_num(r, "n_layer", -1);
    c->heads = (int)mm_json_get_num(r, "n_head", -1);
    const mm_json *inner = mm_json_get(r, "n_inner");
    if (strcmp(type, "gpt2"))
        e = mm_fail(MM_ERR_UNSUPPORTED, "%s: model_type '%s', only gpt2 is supported", path, type);
    else if (strcmp(act, "gelu_new") && strcmp(act, "gelu_pytorch_tanh"))
        e = mm_fail(MM_ERR_UNSUPPORTED, "%s: activation '%s', only gelu_new (tanh) is supported",
                    path, act);
    else if (inner && inner->type == MM_JSON_NUM && (int)inner->num != 4 * c->dim)
        e = mm_fail(MM_ERR_UNSUPPORTED, "%s: n_inner %g, only 4*n_embd is supported", path,
                    inner->num);
    mm_json_doc_free(doc);
    if (e == MM_OK && check_config(c) != MM_OK)
        e = mm_fail(MM_ERR_FORMAT, "%s: %s", path, mm_error_detail());
    return e;
}

/* Find a tensor by its GPT2Model name or, as GPT2LMHeadModel saves it, with "transformer.". */
static const mm_st_tensor *find_tensor(const mm_st *st, const char *name) {
    const mm_st_tensor *t = mm_st_find(st, name);
    if (t) return t;
    char buf[NAME_LEN + 16];
    snprintf(buf, sizeof buf, "transformer.%s", name);
    return mm_st_find(st, buf);
}

static mm_err load_tensor(const mm_st *st, const mm_gpt_tensor *t, const char *path) {
    const mm_st_tensor *s = find_tensor(st, t->name);
    if (!s) return mm_fail(MM_ERR_MISMATCH, "%s: tensor '%s' is missing", path, t->name);
    int ok = s->ndim == t->ndim && s->shape[0] == t->shape[0] &&
             (t->ndim == 1 || s->shape[1] == t->shape[1]);
    if (!ok)
        return mm_fail(MM_ERR_MISMATCH,
                       "%s: tensor '%s' has shape [%lld%s%lld] but config.json implies [%d, %d]",
                       path, t->name, (long long)s->shape[0], s->ndim > 1 ? ", " : "",
                       s->ndim > 1 ? (long long)s->shape[1] : 0LL, t->shape[0], t->shape[1]);
    mm_err e = mm_st_read_f32(s, t->data, t->size);
    if (e != MM_OK) return mm_fail(e, "%s: %s", path, mm_error_detail());
    /* a diverged run's weights would only give garbage text and "loss nan" later */
    for (size_t i = 0; i < t->size; i++)
        if (!isfinite(t->data[i]))
            return mm_fail(MM_ERR_NUMERIC,
                           "%s: tensor '%s' element %zu is %g: the checkpoint holds NaN/Inf "
                           "weights (a diverged run?); use an earlier checkpoint",
                           path, t->name, i, (double)t->data[i]);
    return MM_OK;
}

mm_err mm_gpt_load(const char *dir, mm_gpt **out) {
    *out = NULL;
    mm_gpt_config c;
    MM_TRY(read_config(dir, &c));
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    mm_st *st;
    MM_TRY(mm_st_open(path, &st));
    mm_gpt *m;
    mm_err e = gpt_alloc(&c, &m);
    for (size_t i = 0; e == MM_OK && i < m->ntensors; i++)
        e = load_tensor(st, &m->tensors[i], path);
    mm_st_free(st);
    if (e != MM_OK) {
        mm_gpt_free(m);
        return e;
    }
    *out = m;
    return MM_OK;
}
