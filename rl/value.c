/* rl/value.c — GPT-2 + scalar head (rl/value.h). */
#include "rl/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "rl/gpt2_internal.h"
#include "rl/safetensors.h"

struct mm_value {
    mm_gpt *gpt;
    int dim;
    float *head;    /* [dim + 1]: w then bias */
    float *ghead;   /* [dim + 1] */
    float *m, *v;   /* [dim + 1] AdamW moments */
    long long step; /* AdamW steps of the head (the backbone counts its own) */
    float *values;  /* [cap] */
    float *dhidden; /* [cap * dim] */
    size_t cap;     /* positions allocated */
    int B, T;
};

static mm_err alloc_head(mm_gpt *gpt, uint64_t seed, mm_value **out) {
    mm_value *v = calloc(1, sizeof *v);
    int D = mm_gpt_get_config(gpt)->dim;
    if (v) {
        v->head = calloc((size_t)D + 1, sizeof(float));
        v->ghead = calloc((size_t)D + 1, sizeof(float));
        v->m = calloc((size_t)D + 1, sizeof(float));
        v->v = calloc((size_t)D + 1, sizeof(float));
    }
    if (!v || !v->head || !v->ghead || !v->m || !v->v) {
        if (v) v->gpt = NULL;
        mm_value_free(v);
        mm_gpt_free(gpt);
        return mm_fail(MM_ERR_NOMEM, "value: out of memory");
    }
    v->gpt = gpt;
    v->dim = D;
    mm_rng r;
    mm_rng_seed(&r, seed ^ 0x76616c7565ULL);
    for (int i = 0; i < D; i += 2) { /* Box-Muller, std 0.02 as GPT-2's initialiser */
        double u1 = mm_rng_uniform(&r), u2 = mm_rng_uniform(&r);
        double rad = sqrt(-2.0 * log(u1 + 1e-300)) * 0.02;
        v->head[i] = (float)(rad * cos(6.283185307179586 * u2));
        if (i + 1 < D) v->head[i + 1] = (float)(rad * sin(6.283185307179586 * u2));
    }
    *out = v;
    return MM_OK;
}

mm_err mm_value_create(const mm_gpt_config *cfg, uint64_t seed, mm_value **out) {
    mm_gpt *g;
    MM_TRY(mm_gpt_create(cfg, seed, &g));
    return alloc_head(g, seed, out);
}

mm_err mm_value_from_gpt(const mm_gpt *init, uint64_t seed, mm_value **out) {
    mm_gpt *g;
    MM_TRY(mm_gpt_create(mm_gpt_get_config(init), seed, &g));
    mm_err e = mm_gpt_copy_params(g, init);
    if (e != MM_OK) {
        mm_gpt_free(g);
        return e;
    }
    return alloc_head(g, seed, out);
}

mm_err mm_value_load(const char *dir, uint64_t seed, mm_value **out) {
    mm_gpt *g;
    MM_TRY(mm_gpt_load(dir, &g));
    MM_TRY(alloc_head(g, seed, out));
    char path[4096];
    snprintf(path, sizeof path, "%s/score.safetensors", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return MM_OK; /* a policy checkpoint: fresh head */
    fclose(f);
    mm_st *st;
    mm_err e = mm_st_open(path, &st);
    if (e == MM_OK) {
        const mm_st_tensor *w = mm_st_find(st, "score.weight"), *b = mm_st_find(st, "score.bias");
        if (!w || !b) e = mm_fail(MM_ERR_FORMAT, "%s: no score.weight/score.bias", path);
        if (e == MM_OK) e = mm_st_read_f32(w, (*out)->head, (size_t)(*out)->dim);
        if (e == MM_OK) e = mm_st_read_f32(b, (*out)->head + (*out)->dim, 1);
        mm_st_free(st);
    }
    if (e != MM_OK) {
        mm_value_free(*out);
        *out = NULL;
    }
    return e;
}

mm_err mm_value_save(const mm_value *v, const char *dir, int tok_eos,
                     mm_err (*extra)(void *ud, const char *tmpdir), void *ud) {
    char tmp[4200], path[4400];
    MM_TRY(mm_gpt_tmpdir(dir, tmp, sizeof tmp));
    mm_err e = mm_gpt_write_files(v->gpt, tmp, tok_eos);
    mm_st_entry ent[2] = {{"score.weight", 2, {1, v->dim}, v->head},
                          {"score.bias", 1, {1}, v->head + v->dim}};
    const char *meta[] = {"format", "pt", "head", "mathmine-value"};
    snprintf(path, sizeof path, "%s/score.safetensors", tmp);
    if (e == MM_OK) e = mm_st_write(path, ent, 2, meta, 2);
    if (e == MM_OK && extra) e = extra(ud, tmp);
    if (e == MM_OK) e = mm_gpt_replace_dir(tmp, dir);
    if (e != MM_OK) mm_gpt_rmtree(tmp);
    return e;
}

void mm_value_free(mm_value *v) {
    if (!v) return;
    mm_gpt_free(v->gpt);
    free(v->head);
    free(v->ghead);
    free(v->m);
    free(v->v);
    free(v->values);
    free(v->dhidden);
    free(v);
}

mm_gpt *mm_value_gpt(mm_value *v) {
    return v->gpt;
}
float *mm_value_head(mm_value *v) {
    return v->head;
}
float *mm_value_head_grad(mm_value *v) {
    return v->ghead;
}

static mm_err ensure_cap(mm_value *v, size_t n) {
    if (n <= v->cap) return MM_OK;
    float *a = realloc(v->values, n * sizeof *a);
    if (a) v->values = a;
    float *b = a ? realloc(v->dhidden, n * (size_t)v->dim * sizeof *b) : NULL;
    if (!b) return mm_fail(MM_ERR_NOMEM, "value: out of memory for %zu positions", n);
    v->dhidden = b;
    v->cap = n;
    return MM_OK;
}

mm_err mm_value_forward(mm_value *v, const int32_t *tokens, int B, int T, const float **values,
                        const float **logits) {
    const float *lg;
    MM_TRY(mm_gpt_forward(v->gpt, tokens, B, T, &lg));
    size_t n = (size_t)B * T;
    MM_TRY(ensure_cap(v, n));
    const float *h = mm_gpt_hidden(v->gpt), *w = v->head;
    int D = v->dim;
    for (size_t r = 0; r < n; r++) { /* values[r] = h[r] · w + bias */
        const float *x = h + r * D;
        float s = 0;
        for (int i = 0; i < D; i++)
            s += x[i] * w[i];
        v->values[r] = s + w[D];
    }
    v->B = B, v->T = T;
    if (values) *values = v->values;
    if (logits) *logits = lg;
    return MM_OK;
}

/* dL/dw = Σ_r dv[r]·h[r], dL/dbias = Σ_r dv[r], dL/dh[r] = dv[r]·w. */
mm_err mm_value_backward(mm_value *v, const float *dvalues, const float *dlogits) {
    const float *h = mm_gpt_hidden(v->gpt);
    if (!h || !v->B) return mm_fail(MM_ERR_ARG, "value: backward before forward");
    size_t n = (size_t)v->B * v->T;
    int D = v->dim;
    const float *w = v->head;
    double gb = 0;
    for (size_t r = 0; r < n; r++) {
        float d = dvalues[r], *dh = v->dhidden + r * D;
        const float *x = h + r * D;
        for (int i = 0; i < D; i++) {
            v->ghead[i] += d * x[i];
            dh[i] = d * w[i];
        }
        gb += d;
    }
    v->ghead[D] += (float)gb;
    return mm_gpt_backward_hidden(v->gpt, dlogits, v->dhidden);
}

void mm_value_zero_grad(mm_value *v) {
    mm_gpt_zero_grad(v->gpt);
    memset(v->ghead, 0, ((size_t)v->dim + 1) * sizeof(float));
}

float mm_value_clip_grad(mm_value *v, float max_norm) {
    double gn = mm_gpt_clip_grad(v->gpt, 0), ss = gn * gn;
    for (int i = 0; i <= v->dim; i++)
        ss += (double)v->ghead[i] * v->ghead[i];
    float norm = (float)sqrt(ss);
    if (max_norm > 0 && isfinite(norm) && norm > max_norm) {
        float s = max_norm / (norm + 1e-6f);
        size_t np;
        float *g = mm_gpt_grads(v->gpt, &np);
        for (size_t i = 0; i < np; i++)
            g[i] *= s;
        for (int i = 0; i <= v->dim; i++)
            v->ghead[i] *= s;
    }
    return norm;
}

/* The head's AdamW in the same order of operations as mm_gpt_adamw_step. */
mm_err mm_value_adamw_step(mm_value *v, const mm_adamw_opts *o) {
    MM_TRY(mm_gpt_adamw_step(v->gpt, o));
    v->step++;
    double bc1 = 1.0 - pow(o->beta1, (double)v->step), bc2 = 1.0 - pow(o->beta2, (double)v->step);
    float step_size = (float)(o->lr / bc1), bc2s = (float)sqrt(bc2);
    for (int i = 0; i <= v->dim; i++) {
        float g = v->ghead[i];
        if (i < v->dim) v->head[i] *= 1.0f - o->lr * o->weight_decay;
        v->m[i] = o->beta1 * v->m[i] + (1.0f - o->beta1) * g;
        v->v[i] = o->beta2 * v->v[i] + (1.0f - o->beta2) * g * g;
        v->head[i] -= step_size * v->m[i] / (sqrtf(v->v[i]) / bc2s + o->eps);
    }
    return MM_OK;
}

mm_err mm_value_save_optimizer(const mm_value *v, const char *dir) {
    char path[4200], step[32];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    MM_TRY(mm_gpt_save_optimizer(v->gpt, path));
    snprintf(step, sizeof step, "%lld", v->step);
    const char *meta[] = {"format", "mathmine-adamw-head", "step", step};
    mm_st_entry e[2] = {{"exp_avg", 1, {v->dim + 1}, v->m}, {"exp_avg_sq", 1, {v->dim + 1}, v->v}};
    snprintf(path, sizeof path, "%s/score_optimizer.safetensors", dir);
    return mm_st_write(path, e, 2, meta, 2);
}

mm_err mm_value_load_optimizer(mm_value *v, const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    MM_TRY(mm_gpt_load_optimizer(v->gpt, path));
    snprintf(path, sizeof path, "%s/score_optimizer.safetensors", dir);
    mm_st *st;
    MM_TRY(mm_st_open(path, &st));
    const char *fmt = mm_st_meta(st, "format"), *step = mm_st_meta(st, "step");
    const mm_st_tensor *a = mm_st_find(st, "exp_avg"), *b = mm_st_find(st, "exp_avg_sq");
    mm_err e = MM_OK;
    if (!fmt || strcmp(fmt, "mathmine-adamw-head") || !step || !a || !b)
        e = mm_fail(MM_ERR_FORMAT, "%s: not the optimizer state of a value head", path);
    if (e == MM_OK) e = mm_st_read_f32(a, v->m, (size_t)v->dim + 1);
    if (e == MM_OK) e = mm_st_read_f32(b, v->v, (size_t)v->dim + 1);
    if (e == MM_OK) v->step = strtoll(step, NULL, 10);
    mm_st_free(st);
    return e;
}
