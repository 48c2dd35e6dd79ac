/* rl/reward_model.c — outcome reward model: data, training, scoring, evaluation
 * (rl/reward_model.h). */
#include "rl/reward_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/progress.h"
#include "rl/ppo_internal.h"

/* ---- data ---- */

void mm_rm_data_free(mm_rm_data *d) {
    if (!d) return;
    for (int i = 0; i < d->n; i++)
        free(d->tokens[i]), free(d->step_end[i]), free(d->step_y[i]);
    free(d->tokens), free(d->len), free(d->plen), free(d->label);
    free(d->nsteps), free(d->step_end), free(d->step_y);
    memset(d, 0, sizeof *d);
}

static mm_err data_grow(mm_rm_data *d, int need) {
    if (need <= d->cap) return MM_OK;
    int cap = d->cap ? d->cap : 64;
    while (cap < need)
        cap *= 2;
#define GROW(f)                                                                                    \
    do {                                                                                           \
        void *p = realloc(d->f, (size_t)cap * sizeof *d->f);                                       \
        if (!p) return mm_fail(MM_ERR_NOMEM, "reward model data of %d sequences", cap);            \
        d->f = p;                                                                                  \
    } while (0)
    GROW(tokens);
    GROW(len);
    GROW(plen);
    GROW(label);
    GROW(nsteps);
    GROW(step_end);
    GROW(step_y);
#undef GROW
    d->cap = cap;
    return MM_OK;
}

mm_err mm_rm_data_add_steps(mm_rm_data *d, const int32_t *tokens, int len, int plen, int label,
                            int nsteps, const int *end, const float *y) {
    if (len < 1) return mm_fail(MM_ERR_ARG, "reward model data: empty sequence");
    if (nsteps < 1 || end[nsteps - 1] != len)
        return mm_fail(MM_ERR_ARG, "reward model data: the last step must end the sequence");
    for (int j = 0; j < nsteps; j++)
        if (end[j] < 1 || (j && end[j] <= end[j - 1]))
            return mm_fail(MM_ERR_ARG, "reward model data: step ends must increase");
    MM_TRY(data_grow(d, d->n + 1));
    int32_t *t = malloc((size_t)len * sizeof *t);
    int *e = malloc((size_t)nsteps * sizeof *e);
    float *w = malloc((size_t)nsteps * sizeof *w);
    if (!t || !e || !w) {
        free(t), free(e), free(w);
        return mm_fail(MM_ERR_NOMEM, "reward model data");
    }
    memcpy(t, tokens, (size_t)len * sizeof *t);
    memcpy(e, end, (size_t)nsteps * sizeof *e);
    memcpy(w, y, (size_t)nsteps * sizeof *w);
    int i = d->n++;
    d->tokens[i] = t, d->len[i] = len, d->plen[i] = plen, d->label[i] = label != 0;
    d->nsteps[i] = nsteps, d->step_end[i] = e, d->step_y[i] = w;
    return MM_OK;
}

mm_err mm_rm_data_add(mm_rm_data *d, const int32_t *tokens, int len, int plen, int label) {
    float y = label != 0;
    return mm_rm_data_add_steps(d, tokens, len, plen, label, 1, &len, &y);
}

mm_err mm_rm_data_copy(mm_rm_data *d, const mm_rm_data *s, int i, int process) {
    if (!process) return mm_rm_data_add(d, s->tokens[i], s->len[i], s->plen[i], s->label[i]);
    return mm_rm_data_add_steps(d, s->tokens[i], s->len[i], s->plen[i], s->label[i], s->nsteps[i],
                                s->step_end[i], s->step_y[i]);
}

int mm_rm_data_positives(const mm_rm_data *d) {
    int p = 0;
    for (int i = 0; i < d->n; i++)
        p += d->label[i];
    return p;
}

/* A partial Fisher-Yates shuffle picks k distinct indices. */
mm_err mm_rm_data_replay(const mm_rm_data *old, double share, uint64_t seed, mm_rm_data *d) {
    int k = (int)lround(share * old->n);
    if (k <= 0) return MM_OK;
    if (k > old->n) k = old->n;
    int *idx = malloc((size_t)old->n * sizeof *idx);
    if (!idx) return mm_fail(MM_ERR_NOMEM, "replay");
    for (int i = 0; i < old->n; i++)
        idx[i] = i;
    mm_rng r;
    mm_rng_seed(&r, seed);
    mm_err e = MM_OK;
    for (int i = 0; i < k && e == MM_OK; i++) {
        int j = i + (int)(mm_rng_next(&r) % (uint64_t)(old->n - i)), t = idx[i];
        idx[i] = idx[j], idx[j] = t;
        e = mm_rm_data_copy(d, old, idx[i], 1);
    }
    free(idx);
    return e;
}

mm_err mm_rm_collect(mm_gpt *policy, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                     const mm_rm_collect_opts *o, mm_rm_data *d) {
    size_t avail = mm_task_count(t, s);
    if (!avail) return mm_fail(MM_ERR_ARG, "reward model: the task's split has no questions");
    int n = o->questions;
    if (s == MM_TASK_TEST && (n <= 0 || (size_t)n > avail)) n = (int)avail;
    if (n <= 0 || o->per_question <= 0)
        return mm_fail(MM_ERR_ARG, "reward model: questions and samples per question must be > 0");
    const mm_task_item **items = malloc((size_t)n * sizeof *items);
    if (!items) return mm_fail(MM_ERR_NOMEM, "reward model");
    mm_rng r;
    mm_rng_seed(&r, o->seed);
    for (int q = 0; q < n; q++)
        items[q] = mm_task_get(t, s, s == MM_TASK_TEST ? (size_t)q : mm_rng_next(&r) % avail);
    mm_sample_opts so = {o->temperature, 0, 1.0f, o->seed, o->max_new_tokens, c->eos, NULL};
    mm_rollout ro = {0};
    mm_err e = mm_rollout_sample(&ro, policy, c, items, n, o->per_question, &so, o->batch, 0);
    if (e == MM_OK && o->process) e = mm_prm_label(&ro, policy, c, o, d);
    for (int i = 0; i < ro.n && e == MM_OK && !o->process; i++)
        e = mm_rm_data_add(d, ro.tokens[i], ro.plen[i] + ro.olen[i], ro.plen[i],
                           ro.reward[i].correct);
    mm_rollout_free(&ro);
    free(items);
    return e;
}

/* ---- batches ---- */

/* Rows idx[0..nb) of d padded (token 0) to the longest: tok [nb, *T]. */
static void pad_batch(const int32_t *const *tokens, const int *len, const int *idx, int nb,
                      int32_t *tok, int *T) {
    int mx = 1;
    for (int j = 0; j < nb; j++)
        mx = len[idx[j]] > mx ? len[idx[j]] : mx;
    for (int j = 0; j < nb; j++) {
        int i = idx[j];
        memcpy(tok + (size_t)j * mx, tokens[i], (size_t)len[i] * sizeof *tok);
        memset(tok + (size_t)j * mx + len[i], 0, (size_t)(mx - len[i]) * sizeof *tok);
    }
    *T = mx;
}

static int max_len(const int *len, int n) {
    int mx = 1;
    for (int i = 0; i < n; i++)
        mx = len[i] > mx ? len[i] : mx;
    return mx;
}

/* log(1 + e^s), without overflow */
static double softplus(double s) {
    return s > 0 ? s + log1p(exp(-s)) : log1p(exp(s));
}

/* ---- training ---- */

void mm_rm_train_opts_default(mm_rm_train_opts *o) {
    *o = (mm_rm_train_opts){
        .epochs = 3, .batch = 32, .lr = 3e-4f, .weight_decay = 0.0f, .grad_clip = 1.0f, .seed = 1};
}

/* One optimizer step on the examples idx[0..nb): BCE at every step end, the mean over the
 * batch's steps (an outcome example has one step, at its last token). */
static mm_err train_batch(mm_value *rm, const mm_rm_data *d, const int *idx, int nb,
                          const mm_rm_train_opts *o, int32_t *tok, float *dv, double *loss) {
    int T, steps = 0;
    pad_batch((const int32_t *const *)d->tokens, d->len, idx, nb, tok, &T);
    const float *v;
    MM_TRY(mm_value_forward(rm, tok, nb, T, &v, NULL));
    memset(dv, 0, (size_t)nb * T * sizeof *dv);
    for (int j = 0; j < nb; j++)
        steps += d->nsteps[idx[j]];
    for (int j = 0; j < nb; j++) {
        const int i = idx[j];
        for (int k = 0; k < d->nsteps[i]; k++) {
            int at = j * T + d->step_end[i][k] - 1;
            double s = v[at], y = d->step_y[i][k];
            *loss += softplus(s) - y * s;
            dv[at] = (float)((1 / (1 + exp(-s)) - y) / steps); /* d/ds of the batch mean */
        }
    }
    mm_value_zero_grad(rm);
    MM_TRY(mm_value_backward(rm, dv, NULL));
    mm_value_clip_grad(rm, o->grad_clip);
    mm_adamw_opts ao = {o->lr, 0.9f, 0.95f, 1e-8f, o->weight_decay};
    return mm_value_adamw_step(rm, &ao);
}

static int total_steps(const mm_rm_data *d) {
    int n = 0;
    for (int i = 0; i < d->n; i++)
        n += d->nsteps[i];
    return n;
}

mm_err mm_rm_train(mm_value *rm, const mm_rm_data *d, const mm_rm_train_opts *o, mm_rm_log_fn log,
                   void *ud) {
    if (d->n < 1 || o->batch < 1) return mm_fail(MM_ERR_ARG, "reward model: nothing to train on");
    int B = o->batch < d->n ? o->batch : d->n, T = max_len(d->len, d->n);
    int *order = malloc((size_t)d->n * sizeof *order);
    int32_t *tok = malloc((size_t)B * T * sizeof *tok);
    float *dv = malloc((size_t)B * T * sizeof *dv);
    mm_err e = order && tok && dv ? MM_OK : mm_fail(MM_ERR_NOMEM, "reward model training");
    mm_rng r;
    mm_rng_seed(&r, o->seed);
    for (int i = 0; i < d->n && e == MM_OK; i++)
        order[i] = i;
    for (int ep = 0; ep < o->epochs && e == MM_OK; ep++) {
        for (int i = d->n - 1; i > 0; i--) { /* shuffle */
            int j = (int)(mm_rng_next(&r) % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j], order[j] = t;
        }
        double loss = 0;
        for (int b0 = 0; b0 < d->n && e == MM_OK; b0 += B)
            e = train_batch(rm, d, order + b0, d->n - b0 < B ? d->n - b0 : B, o, tok, dv, &loss);
        if (e == MM_OK && log && log(ud, ep, loss / total_steps(d))) break;
    }
    free(order), free(tok), free(dv);
    return e;
}

/* ---- scoring and evaluation ---- */

mm_err mm_rm_score_steps(mm_value *rm, const int32_t *const *tokens, const int *len,
                         const int *nsteps, const int *const *end, int n, int batch,
                         float *const *scores) {
    if (n <= 0) return MM_OK;
    if (batch <= 0 || batch > n) batch = n;
    int T = max_len(len, n);
    int32_t *tok = malloc((size_t)batch * T * sizeof *tok);
    int *idx = malloc((size_t)batch * sizeof *idx);
    mm_err e = tok && idx ? MM_OK : mm_fail(MM_ERR_NOMEM, "reward model scoring");
    for (int b0 = 0; b0 < n && e == MM_OK; b0 += batch) {
        int nb = n - b0 < batch ? n - b0 : batch, Tb;
        for (int j = 0; j < nb; j++)
            idx[j] = b0 + j;
        pad_batch(tokens, len, idx, nb, tok, &Tb);
        const float *v;
        e = mm_value_forward(rm, tok, nb, Tb, &v, NULL);
        for (int j = 0; j < nb && e == MM_OK; j++)
            for (int k = 0; k < nsteps[b0 + j]; k++)
                scores[b0 + j][k] = v[j * Tb + end[b0 + j][k] - 1];
    }
    free(tok), free(idx);
    return e;
}

mm_err mm_rm_score(mm_value *rm, const int32_t *const *tokens, const int *len, int n, int batch,
                   float *scores) {
    if (n <= 0) return MM_OK;
    int *one = malloc((size_t)n * sizeof *one);
    const int **end = malloc((size_t)n * sizeof *end);
    float **out = malloc((size_t)n * sizeof *out);
    mm_err e = one && end && out ? MM_OK : mm_fail(MM_ERR_NOMEM, "reward model scoring");
    for (int i = 0; i < n && e == MM_OK; i++)
        one[i] = 1, end[i] = len + i, out[i] = scores + i;
    if (e == MM_OK) e = mm_rm_score_steps(rm, tokens, len, one, end, n, batch, out);
    free(one), free(end), free(out);
    return e;
}

/* Solution-level numbers from the per-solution scores sol[] (the lowest step score). */
static void solution_stats(const mm_rm_data *d, const float *sol, mm_rm_eval_result *r) {
    r->n = d->n, r->positives = mm_rm_data_positives(d);
    double right = 0, sp = 0, sn = 0;
    for (int i = 0; i < d->n; i++) {
        int y = d->label[i];
        right += (sol[i] > 0) == y;
        if (y)
            sp += sol[i];
        else
            sn += sol[i];
    }
    int neg = d->n - r->positives;
    r->accuracy = right / d->n;
    r->majority = (double)(r->positives > neg ? r->positives : neg) / d->n;
    r->mean_pos = r->positives ? sp / r->positives : NAN;
    r->mean_neg = neg ? sn / neg : NAN;
    r->auc = mm_rm_auc(sol, d->label, d->n);
}

/* Step-level numbers: loss over all steps, AUC against target >= 1/2. */
static mm_err step_stats(const mm_rm_data *d, float *const *sc, mm_rm_eval_result *r) {
    int n = total_steps(d), k = 0;
    float *s = malloc((size_t)n * sizeof *s);
    int *y = malloc((size_t)n * sizeof *y);
    if (!s || !y) {
        free(s), free(y);
        return mm_fail(MM_ERR_NOMEM, "reward model evaluation");
    }
    for (int i = 0; i < d->n; i++)
        for (int j = 0; j < d->nsteps[i]; j++, k++) {
            s[k] = sc[i][j], y[k] = d->step_y[i][j] >= 0.5f;
            r->loss += softplus(s[k]) - d->step_y[i][j] * s[k];
            r->step_positives += y[k];
        }
    r->steps = n, r->loss /= n;
    r->step_auc = mm_rm_auc(s, y, n);
    free(s), free(y);
    return MM_OK;
}

mm_err mm_rm_evaluate(mm_value *rm, const mm_rm_data *d, int batch, mm_rm_eval_result *r) {
    memset(r, 0, sizeof *r);
    if (d->n < 1) return mm_fail(MM_ERR_ARG, "reward model: nothing to evaluate");
    float **sc = calloc((size_t)d->n, sizeof *sc), *sol = malloc((size_t)d->n * sizeof *sol);
    mm_err e = sc && sol ? MM_OK : mm_fail(MM_ERR_NOMEM, "reward model evaluation");
    for (int i = 0; i < d->n && e == MM_OK; i++)
        if (!(sc[i] = malloc((size_t)d->nsteps[i] * sizeof **sc)))
            e = mm_fail(MM_ERR_NOMEM, "reward model evaluation");
    if (e == MM_OK)
        e = mm_rm_score_steps(rm, (const int32_t *const *)d->tokens, d->len, d->nsteps,
                              (const int *const *)d->step_end, d->n, batch, sc);
    if (e == MM_OK) {
        for (int i = 0; i < d->n; i++) {
            sol[i] = sc[i][0];
            for (int j = 1; j < d->nsteps[i]; j++)
                sol[i] = sc[i][j] < sol[i] ? sc[i][j] : sol[i];
        }
        solution_stats(d, sol, r);
        e = step_stats(d, sc, r);
    }
    for (int i = 0; sc && i < d->n; i++)
        free(sc[i]);
    free(sc), free(sol);
    return e;
}

/* ---- the stage ---- */

typedef struct build_log {
    mm_rm_log_fn log;
    void *ud;
    double last;
} build_log;

static int on_epoch(void *ud, int epoch, double loss) {
    build_log *b = ud;
    b->last = loss;
    return b->log ? b->log(b->ud, epoch, loss) : 0;
}

mm_err mm_rm_build(mm_gpt *policy, const mm_grpo_codec *c, const mm_task *t, mm_value *rm,
                   const mm_rm_build_opts *o, mm_rm_log_fn log, void *ud, mm_rm_build_result *r) {
    memset(r, 0, sizeof *r);
    int sb = o->score_batch > 0 ? o->score_batch : 64;
    mm_rm_data train = {0}, test = {0};
    double t0 = mm_now();
    mm_err e = mm_rm_collect(policy, c, t, MM_TASK_TRAIN, &o->train, &train);
    if (e == MM_OK) e = mm_rm_collect(policy, c, t, MM_TASK_TEST, &o->test, &test);
    r->sample_s = mm_now() - t0;
    r->train_n = train.n, r->train_positives = e == MM_OK ? mm_rm_data_positives(&train) : 0;
    if (e == MM_OK) e = mm_rm_evaluate(rm, &test, sb, &r->before);
    build_log bl = {log, ud, NAN};
    t0 = mm_now();
    if (e == MM_OK) e = mm_rm_train(rm, &train, &o->fit, on_epoch, &bl);
    r->train_s = mm_now() - t0, r->final_loss = bl.last;
    if (e == MM_OK) e = mm_rm_evaluate(rm, &test, sb, &r->after);
    mm_rm_data_free(&train);
    mm_rm_data_free(&test);
    return e;
}

static int cmp_pair(const void *a, const void *b) {
    float x = ((const float *)a)[0], y = ((const float *)b)[0];
    return (x > y) - (x < y);
}

/* Mann-Whitney: AUC = (rank sum of positives - P(P+1)/2) / (P·N), ties given mean ranks. */
double mm_rm_auc(const float *score, const int *label, int n) {
    float(*s)[2] = malloc((size_t)(n > 0 ? n : 1) * sizeof *s);
    if (!s) return NAN;
    for (int i = 0; i < n; i++)
        s[i][0] = score[i], s[i][1] = (float)(label[i] != 0);
    qsort(s, (size_t)n, sizeof *s, cmp_pair);
    double rank_pos = 0, npos = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && s[j][0] == s[i][0])
            j++;
        double mean_rank = (i + 1 + j) / 2.0; /* ranks i+1 .. j */
        for (int k = i; k < j; k++)
            if (s[k][1] > 0) rank_pos += mean_rank, npos++;
        i = j;
    }
    free(s);
    double nneg = n - npos;
    if (npos == 0 || nneg == 0) return NAN;
    return (rank_pos - npos * (npos + 1) / 2) / (npos * nneg);
}
