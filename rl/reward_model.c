/* rl/reward_model.c — outcome reward model: data, training, scoring, evaluation
 * (rl/reward_model.h). */
#include "rl/reward_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/progress.h"
#include "rl/grpo_internal.h"

/* ---- data ---- */

void mm_rm_data_free(mm_rm_data *d) {
    if (!d) return;
    for (int i = 0; i < d->n; i++)
        free(d->tokens[i]);
    free(d->tokens), free(d->len), free(d->plen), free(d->label);
    memset(d, 0, sizeof *d);
}

static mm_err data_grow(mm_rm_data *d, int need) {
    if (need <= d->cap) return MM_OK;
    int cap = d->cap ? d->cap : 64;
    while (cap < need)
        cap *= 2;
    void *a = realloc(d->tokens, (size_t)cap * sizeof *d->tokens);
    if (a) d->tokens = a;
    void *b = a ? realloc(d->len, (size_t)cap * sizeof *d->len) : NULL;
    if (b) d->len = b;
    void *c = b ? realloc(d->plen, (size_t)cap * sizeof *d->plen) : NULL;
    if (c) d->plen = c;
    void *l = c ? realloc(d->label, (size_t)cap * sizeof *d->label) : NULL;
    if (!l) return mm_fail(MM_ERR_NOMEM, "reward model data of %d sequences", cap);
    d->label = l;
    d->cap = cap;
    return MM_OK;
}

mm_err mm_rm_data_add(mm_rm_data *d, const int32_t *tokens, int len, int plen, int label) {
    if (len < 1) return mm_fail(MM_ERR_ARG, "reward model data: empty sequence");
    MM_TRY(data_grow(d, d->n + 1));
    int32_t *t = malloc((size_t)len * sizeof *t);
    if (!t) return mm_fail(MM_ERR_NOMEM, "reward model data");
    memcpy(t, tokens, (size_t)len * sizeof *t);
    d->tokens[d->n] = t, d->len[d->n] = len, d->plen[d->n] = plen, d->label[d->n] = label != 0;
    d->n++;
    return MM_OK;
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
        const int s = idx[i];
        e = mm_rm_data_add(d, old->tokens[s], old->len[s], old->plen[s], old->label[s]);
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
    for (int i = 0; i < ro.n && e == MM_OK; i++)
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

/* One optimizer step on the examples idx[0..nb): BCE at each sequence's last token. */
static mm_err train_batch(mm_value *rm, const mm_rm_data *d, const int *idx, int nb,
                          const mm_rm_train_opts *o, int32_t *tok, float *dv, double *loss) {
    int T;
    pad_batch((const int32_t *const *)d->tokens, d->len, idx, nb, tok, &T);
    const float *v;
    MM_TRY(mm_value_forward(rm, tok, nb, T, &v, NULL));
    memset(dv, 0, (size_t)nb * T * sizeof *dv);
    for (int j = 0; j < nb; j++) {
        int at = j * T + d->len[idx[j]] - 1, y = d->label[idx[j]];
        double s = v[at];
        *loss += softplus(s) - y * s;
        dv[at] = (float)((1 / (1 + exp(-s)) - y) / nb); /* d/ds of the batch mean */
    }
    mm_value_zero_grad(rm);
    MM_TRY(mm_value_backward(rm, dv, NULL));
    mm_value_clip_grad(rm, o->grad_clip);
    mm_adamw_opts ao = {o->lr, 0.9f, 0.95f, 1e-8f, o->weight_decay};
    return mm_value_adamw_step(rm, &ao);
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
        if (e == MM_OK && log && log(ud, ep, loss / d->n)) break;
    }
    free(order), free(tok), free(dv);
    return e;
}

/* ---- scoring and evaluation ---- */

mm_err mm_rm_score(mm_value *rm, const int32_t *const *tokens, const int *len, int n, int batch,
                   float *scores) {
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
            scores[b0 + j] = v[j * Tb + len[b0 + j] - 1];
    }
    free(tok), free(idx);
    return e;
}

mm_err mm_rm_evaluate(mm_value *rm, const mm_rm_data *d, int batch, mm_rm_eval_result *r) {
    memset(r, 0, sizeof *r);
    if (d->n < 1) return mm_fail(MM_ERR_ARG, "reward model: nothing to evaluate");
    float *s = malloc((size_t)d->n * sizeof *s);
    if (!s) return mm_fail(MM_ERR_NOMEM, "reward model evaluation");
    mm_err e = mm_rm_score(rm, (const int32_t *const *)d->tokens, d->len, d->n, batch, s);
    if (e == MM_OK) {
        r->n = d->n, r->positives = mm_rm_data_positives(d);
        double right = 0, sp = 0, sn = 0;
        for (int i = 0; i < d->n; i++) {
            int y = d->label[i];
            right += (s[i] > 0) == y;
            r->loss += softplus(s[i]) - y * s[i];
            if (y)
                sp += s[i];
            else
                sn += s[i];
        }
        int neg = d->n - r->positives;
        r->accuracy = right / d->n, r->loss /= d->n;
        r->majority = (double)(r->positives > neg ? r->positives : neg) / d->n;
        r->mean_pos = r->positives ? sp / r->positives : NAN;
        r->mean_neg = neg ? sn / neg : NAN;
        r->auc = mm_rm_auc(s, d->label, d->n);
    }
    free(s);
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
