/* rl/rl_algos.c — learned rewards, PPO and DPO inside GRPO's loop (rl/ppo_internal.h).  The
 * rollout, the reference model's log-probabilities, the clipped policy loss, the optimizer and
 * the logging are GRPO's (rl/grpo.c); this file adds what differs:
 *   rewards         the mix of rule, ORM and PRM terms (σ of the models' scores) replaces the
 *                   rule's 0/1, per output and, with process supervision, per step;
 *   PPO             values → per-token rewards with the KL penalty → GAE → whitening; after
 *                   the policy's update, μ updates of the value model on the clipped loss;
 *   DPO             pairs within each group, the DPO loss on policy and reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rl/dpo.h"
#include "rl/ppo.h"
#include "rl/ppo_internal.h"

/* Rows idx[0..nb) as a right-padded batch: tok [nb, *T] (the sequence without its last
 * token), tgt [nb, *T] (-1 outside completions), mask [nb, *T]; ref (may be NULL) -> refb
 * [nb, *T].  Position plen - 1 + k of a row holds completion token k.  Arrays are sized for
 * nb · ctx. */
static void layout(const mm_rollout *r, const int *idx, int nb, float *const *ref, int32_t *tok,
                   int32_t *tgt, float *mask, float *refb, int *T) {
    int mx = 1;
    for (int j = 0; j < nb; j++) {
        int L = r->plen[idx[j]] + r->olen[idx[j]] - 1;
        mx = L > mx ? L : mx;
    }
    size_t N = (size_t)nb * mx;
    memset(tok, 0, N * sizeof *tok), memset(mask, 0, N * sizeof *mask);
    if (refb) memset(refb, 0, N * sizeof *refb);
    for (size_t k = 0; k < N; k++)
        tgt[k] = -1;
    for (int j = 0; j < nb; j++) {
        int i = idx[j], P = r->plen[i], O = r->olen[i];
        for (int p = 0; p < P + O - 1; p++)
            tok[(size_t)j * mx + p] = r->tokens[i][p];
        for (int k = 0; k < O; k++) {
            size_t at = (size_t)j * mx + P - 1 + k;
            tgt[at] = r->tokens[i][P + k], mask[at] = 1;
            if (refb) refb[at] = ref[i][k];
        }
    }
    *T = mx;
}

typedef struct scratch {
    int32_t *tok, *tgt;
    float *mask, *a, *b, *c, *d;
} scratch;

static mm_err scratch_alloc(scratch *s, size_t n) {
    s->tok = malloc(n * sizeof *s->tok), s->tgt = malloc(n * sizeof *s->tgt);
    s->mask = malloc(n * sizeof *s->mask), s->a = malloc(n * sizeof *s->a);
    s->b = malloc(n * sizeof *s->b), s->c = malloc(n * sizeof *s->c);
    s->d = malloc(n * sizeof *s->d);
    if (s->tok && s->tgt && s->mask && s->a && s->b && s->c && s->d) return MM_OK;
    return mm_fail(MM_ERR_NOMEM, "rl scratch of %zu positions", n);
}

static void scratch_free(scratch *s) {
    free(s->tok), free(s->tgt), free(s->mask), free(s->a), free(s->b), free(s->c), free(s->d);
}

static int micro(const mm_grpo_opts *o, int n) {
    return o->micro_batch > 0 ? o->micro_batch : n;
}

/* ---- learned and mixed rewards ---- */

static double rule_weight(const mm_grpo_opts *o) {
    if (!o->nreward) return 1;
    for (int k = 0; k < o->nreward; k++)
        if (o->reward[k].kind == MM_REWARD_RULE) return o->reward[k].weight;
    return 0;
}

/* Scores of the learned term `t` at the steps of rows [first, r->n): sc[row - first][j]. */
static mm_err term_scores(const mm_reward_term *t, const mm_rollout *r, int first, int batch,
                          int *const *end, const int *ns, float *const *sc) {
    int n = r->n - first;
    int *len = malloc((size_t)n * sizeof *len), *one = malloc((size_t)n * sizeof *one);
    const int **at = malloc((size_t)n * sizeof *at);
    mm_err e = len && one && at ? MM_OK : mm_fail(MM_ERR_NOMEM, "reward model scores");
    for (int i = 0; i < n && e == MM_OK; i++) {
        len[i] = r->plen[first + i] + r->olen[first + i], one[i] = 1;
        at[i] = t->kind == MM_REWARD_PRM ? end[i] : len + i; /* an ORM: the last token */
    }
    if (e == MM_OK)
        e = mm_rm_score_steps(t->model, (const int32_t *const *)r->tokens + first, len,
                              t->kind == MM_REWARD_PRM ? ns : one, at, n, batch, sc);
    free(len), free(one), free(at);
    return e;
}

/* Row `row` from its parts: the outcome reward, and (process) the learned step rewards.  The
 * PRM scores sc[k] are per absolute step (ns of them); learned steps follow mm_rollout_steps,
 * whose steps may share an end token, so each is mapped to the absolute step that covers it. */
static mm_err mix_row(const mm_grpo_opts *o, mm_rollout *r, int row, const int *end, int ns,
                      float *const *sc) {
    mm_reward *w = &r->reward[row];
    double sum = (w->reward - w->correct) + rule_weight(o) * w->correct; /* the format bonus */
    for (int k = 0; k < o->nreward; k++)
        if (o->reward[k].kind != MM_REWARD_RULE)
            sum += o->reward[k].weight *
                   mm_reward_term_outcome(o->reward[k].kind, w->correct, sc[k], ns);
    w->reward = sum;
    if (o->supervision != MM_GRPO_PROCESS) return MM_OK;
    mm_task_step ts[MM_ROLLOUT_MAX_STEPS];
    int lend[MM_ROLLOUT_MAX_STEPS];
    float rule[MM_ROLLOUT_MAX_STEPS], ps[MM_ROLLOUT_MAX_STEPS];
    int ls = mm_rollout_steps(r, row, ts, lend, rule);
    if (ls == 0) return MM_OK; /* empty text: group_advantages uses the outcome reward */
    float *out = calloc((size_t)ls, sizeof *out);
    if (!out) return mm_fail(MM_ERR_NOMEM, "step rewards");
    for (int k = 0; k < o->nreward; k++) {
        const mm_reward_term *t = &o->reward[k];
        if (t->kind == MM_REWARD_RULE) continue;
        for (int j = 0, a = 0; j < ls && t->kind == MM_REWARD_PRM; j++) {
            while (a < ns - 1 && end[a] < r->plen[row] + lend[j])
                a++;
            ps[j] = sc[k][a];
        }
        mm_reward_term_steps(t->kind, t->weight, rule, t->kind == MM_REWARD_PRM ? ps : sc[k], ls,
                             out);
    }
    free(r->learned[row]);
    r->learned[row] = out;
    return MM_OK;
}

mm_err mm_rl_relabel(const mm_grpo_opts *o, mm_rollout *r, int first) {
    int n = r->n - first, batch = o->micro_batch > 0 ? o->micro_batch : n;
    if (n <= 0 || !o->nreward) return MM_OK;
    float **l = realloc(r->learned, (size_t)r->n * sizeof *l);
    if (!l) return mm_fail(MM_ERR_NOMEM, "step rewards");
    for (int i = r->learned ? first : 0; i < r->n; i++)
        l[i] = NULL;
    r->learned = l;
    int **end = calloc((size_t)n, sizeof *end), *ns = calloc((size_t)n, sizeof *ns);
    float *sc[MM_REWARD_MAX_TERMS] = {0}, **rows[MM_REWARD_MAX_TERMS] = {0};
    mm_err e = end && ns ? MM_OK : mm_fail(MM_ERR_NOMEM, "reward model scores");
    for (int i = 0; i < n && e == MM_OK; i++)
        if (!(end[i] = malloc(MM_ROLLOUT_MAX_STEPS * sizeof **end)))
            e = mm_fail(MM_ERR_NOMEM, "reward model scores");
        else
            ns[i] = mm_prm_row_steps(r, first + i, end[i]);
    for (int k = 0; k < o->nreward && e == MM_OK; k++) {
        if (o->reward[k].kind == MM_REWARD_RULE) continue;
        sc[k] = malloc((size_t)n * MM_ROLLOUT_MAX_STEPS * sizeof *sc[k]);
        rows[k] = malloc((size_t)n * sizeof *rows[k]);
        if (!sc[k] || !rows[k]) e = mm_fail(MM_ERR_NOMEM, "reward model scores");
        for (int i = 0; i < n && e == MM_OK; i++)
            rows[k][i] = sc[k] + (size_t)i * MM_ROLLOUT_MAX_STEPS;
        if (e == MM_OK) e = term_scores(&o->reward[k], r, first, batch, end, ns, rows[k]);
    }
    for (int i = 0; i < n && e == MM_OK; i++) {
        float *row_sc[MM_REWARD_MAX_TERMS] = {0};
        for (int k = 0; k < o->nreward; k++)
            row_sc[k] = rows[k] ? rows[k][i] : NULL;
        e = mix_row(o, r, first + i, end[i], ns[i], row_sc);
    }
    for (int i = 0; end && i < n; i++)
        free(end[i]);
    for (int k = 0; k < MM_REWARD_MAX_TERMS; k++)
        free(sc[k]), free(rows[k]);
    free(end), free(ns);
    return e;
}

void mm_rl_mix_steps(const mm_grpo_opts *o, const mm_rollout *r, int i, int ns, float *w) {
    if (!o->nreward) return;
    double rw = rule_weight(o);
    const float *l = r->learned ? r->learned[i] : NULL;
    for (int j = 0; j < ns; j++)
        w[j] = (float)(rw * w[j] + (l ? l[j] : 0));
}

/* ---- PPO ---- */

void mm_rl_free_rows(float **rows, int n) {
    if (!rows) return;
    for (int i = 0; i < n; i++)
        free(rows[i]);
    free(rows);
}

static float **alloc_rows(const mm_rollout *r, const int *rows, int n) {
    float **x = calloc((size_t)r->n, sizeof *x);
    for (int j = 0; x && j < n; j++)
        if (!(x[rows[j]] = calloc((size_t)r->olen[rows[j]] + 1, sizeof(float)))) {
            mm_rl_free_rows(x, r->n);
            return NULL;
        }
    return x;
}

/* v[i][k] = the value model's value before completion token k of row i. */
static mm_err row_values(mm_value *vm, const mm_rollout *r, const int *rows, int n, int mb,
                         scratch *s, float **v) {
    for (int j0 = 0; j0 < n; j0 += mb) {
        int nb = n - j0 < mb ? n - j0 : mb, T;
        layout(r, rows + j0, nb, NULL, s->tok, s->tgt, s->mask, NULL, &T);
        const float *val;
        MM_TRY(mm_value_forward(vm, s->tok, nb, T, &val, NULL));
        for (int j = 0; j < nb; j++) {
            int i = rows[j0 + j];
            for (int k = 0; k < r->olen[i]; k++)
                v[i][k] = val[(size_t)j * T + r->plen[i] - 1 + k];
        }
    }
    return MM_OK;
}

mm_err mm_rl_ppo_advantages(mm_value *vm, const mm_rollout *r, const int *rows, int n,
                            float *const *ref, const mm_grpo_opts *o, float **adv, float ***ret,
                            float ***oldv) {
    int ctx = r->ctx, mb = micro(o, n);
    *ret = alloc_rows(r, rows, n), *oldv = alloc_rows(r, rows, n);
    scratch s = {0};
    mm_err e = *ret && *oldv ? scratch_alloc(&s, (size_t)mb * ctx) : mm_fail(MM_ERR_NOMEM, "ppo");
    if (e == MM_OK) e = row_values(vm, r, rows, n, mb, &s, *oldv);
    float *rw = e == MM_OK ? malloc((size_t)ctx * sizeof *rw) : NULL;
    if (e == MM_OK && !rw) e = mm_fail(MM_ERR_NOMEM, "ppo");
    long total = 0;
    for (int j = 0; j < n && e == MM_OK; j++) {
        int i = rows[j], O = r->olen[i];
        mm_ppo_rewards(O, r->logp[i], ref[i], o->beta, (float)r->reward[i].reward, rw);
        mm_ppo_gae(O, rw, (*oldv)[i], o->gamma, o->lambda, adv[i], (*ret)[i]);
        total += O;
    }
    if (e == MM_OK && o->whiten && total > 0) { /* over all completion tokens of the batch */
        float *all = malloc((size_t)total * sizeof *all);
        if (!all) e = mm_fail(MM_ERR_NOMEM, "ppo");
        long at = 0;
        for (int j = 0; j < n && all; j++)
            for (int k = 0; k < r->olen[rows[j]]; k++)
                all[at++] = adv[rows[j]][k];
        if (all) mm_ppo_whiten(all, NULL, (size_t)total);
        at = 0;
        for (int j = 0; j < n && all; j++)
            for (int k = 0; k < r->olen[rows[j]]; k++)
                adv[rows[j]][k] = all[at++];
        free(all);
    }
    free(rw);
    scratch_free(&s);
    return e;
}

mm_err mm_rl_value_update(mm_value *vm, const mm_rollout *r, const int *rows, int n,
                          float *const *ret, float *const *oldv, const mm_grpo_opts *o,
                          double *loss) {
    int mb = micro(o, n);
    double tokens = 0;
    for (int j = 0; j < n; j++)
        tokens += r->olen[rows[j]];
    scratch s = {0};
    MM_TRY(scratch_alloc(&s, (size_t)mb * r->ctx));
    mm_ppo_value_opts vo = {o->value_clip, 1, o->token_mean};
    mm_adamw_opts ao = {o->value_lr > 0 ? o->value_lr : o->lr, 0.9f, 0.95f, 1e-8f, o->weight_decay};
    mm_err e = MM_OK;
    for (int u = 0; u < o->updates && e == MM_OK; u++) {
        double tot = 0;
        mm_value_zero_grad(vm);
        for (int j0 = 0; j0 < n && e == MM_OK; j0 += mb) {
            int nb = n - j0 < mb ? n - j0 : mb, T;
            layout(r, rows + j0, nb, ret, s.tok, s.tgt, s.mask, s.b, &T);  /* b = returns */
            layout(r, rows + j0, nb, oldv, s.tok, s.tgt, s.mask, s.c, &T); /* c = old values */
            const float *val;
            e = mm_value_forward(vm, s.tok, nb, T, &val, NULL);
            mm_ppo_value_in in = {nb, T, val, s.c, s.b, s.mask, n, tokens};
            mm_ppo_value_stats vs;
            if (e == MM_OK) e = mm_ppo_value_loss(&in, &vo, s.a, &vs);
            if (e == MM_OK) e = mm_value_backward(vm, s.a, NULL);
            tot += e == MM_OK ? vs.loss : 0;
        }
        if (e != MM_OK) break;
        mm_value_clip_grad(vm, o->grad_clip);
        e = mm_value_adamw_step(vm, &ao);
        if (u == 0) *loss = tot;
    }
    scratch_free(&s);
    return e;
}

/* ---- DPO ---- */

/* Pairs (better, worse) of one group: rows sorted by reward, the i-th best against the i-th
 * worst while the reward differs.  Writes up to G/2 pairs into pr; returns their number. */
static int group_pairs(const mm_rollout *r, const int *grp, int G, int *pr) {
    int ord[1024], np = 0;
    for (int g = 0; g < G; g++)
        ord[g] = grp[g];
    for (int a = 1; a < G; a++) /* insertion sort, best first; stable */
        for (int b = a; b > 0 && r->reward[ord[b]].reward > r->reward[ord[b - 1]].reward; b--) {
            int t = ord[b];
            ord[b] = ord[b - 1], ord[b - 1] = t;
        }
    for (int i = 0; i < G / 2; i++) {
        int hi = ord[i], lo = ord[G - 1 - i];
        if (r->reward[hi].reward <= r->reward[lo].reward) break;
        pr[2 * np] = hi, pr[2 * np + 1] = lo, np++;
    }
    return np;
}

mm_err mm_rl_dpo_update(mm_gpt *policy, const mm_rollout *r, const int *rows, int n, int G,
                        float *const *ref, const mm_grpo_opts *o, float *dlogits,
                        mm_grpo_step_stats *st) {
    if (G > 1024) return mm_fail(MM_ERR_ARG, "dpo: group larger than 1024");
    int *pr = malloc((size_t)(n + 1) * sizeof *pr), P = 0;
    if (!pr) return mm_fail(MM_ERR_NOMEM, "dpo pairs");
    for (int j = 0; j + G <= n; j += G)
        P += group_pairs(r, rows + j, G, pr + 2 * P);
    st->pairs = P;
    int V = mm_gpt_get_config(policy)->vocab, mbp = micro(o, 2 * P) / 2;
    if (mbp < 1) mbp = 1;
    scratch s = {0};
    mm_err e = P ? scratch_alloc(&s, (size_t)2 * mbp * r->ctx) : MM_OK;
    mm_dpo_opts dopt = {o->dpo_beta, 1};
    mm_adamw_opts ao = {o->lr, 0.9f, 0.95f, 1e-8f, o->weight_decay};
    for (int u = 0; u < o->updates && P && e == MM_OK; u++) {
        mm_dpo_stats tot = {0};
        mm_gpt_zero_grad(policy);
        for (int p0 = 0; p0 < P && e == MM_OK; p0 += mbp) {
            int np = P - p0 < mbp ? P - p0 : mbp, T;
            layout(r, pr + 2 * p0, 2 * np, ref, s.tok, s.tgt, s.mask, s.a, &T);
            const float *logits;
            e = mm_gpt_forward(policy, s.tok, 2 * np, T, &logits);
            mm_dpo_in in = {np, T, V, logits, s.tgt, s.mask, s.a, P};
            mm_dpo_stats ds;
            if (e == MM_OK) e = mm_dpo_loss(&in, &dopt, dlogits, NULL, &ds);
            if (e == MM_OK) e = mm_gpt_backward(policy, dlogits);
            if (e == MM_OK) tot.loss += ds.loss, tot.margin += ds.margin, tot.right += ds.right;
        }
        if (e != MM_OK) break;
        float gn = mm_gpt_clip_grad(policy, o->grad_clip);
        e = mm_gpt_adamw_step(policy, &ao);
        if (u == 0) st->loss = tot.loss, st->grad_norm = gn;
    }
    if (P) scratch_free(&s);
    free(pr);
    return e;
}

/* ---- iterative RL: the reward model keeps learning (DeepSeekMath §4.2) ---- */

/* Every step of a sample is labelled with its outcome (the PRM's cheap labels; continuing
 * each step prefix as `mathmine rm` does would multiply the sampling of every RL step). */
mm_err mm_rl_iter_collect(mm_rl_iter *it, const mm_rollout *r) {
    int end[MM_ROLLOUT_MAX_STEPS];
    float y[MM_ROLLOUT_MAX_STEPS];
    for (int i = 0; i < r->n; i++) {
        int ns = mm_prm_row_steps(r, i, end);
        for (int j = 0; j < ns; j++)
            y[j] = (float)r->reward[i].correct;
        MM_TRY(mm_rm_data_add_steps(&it->fresh, r->tokens[i], r->plen[i] + r->olen[i], r->plen[i],
                                    r->reward[i].correct, ns, end, y));
    }
    return MM_OK;
}

/* Is rm a process reward model among o's terms? */
static int is_prm(const mm_grpo_opts *o, const mm_value *rm) {
    for (int k = 0; k < o->nreward; k++)
        if (o->reward[k].model == rm) return o->reward[k].kind == MM_REWARD_PRM;
    return 0;
}

static int last_loss(void *ud, int epoch, double loss) {
    (void)epoch;
    *(double *)ud = loss;
    return 0;
}

/* Train on the fresh samples plus a replay of `replay` of the old ones, then the fresh ones
 * join the old.  One pass over the round's data. */
mm_err mm_rl_iter_round(mm_rl_iter *it, mm_value *rm, const mm_grpo_opts *o, int step,
                        mm_grpo_step_stats *st) {
    mm_rm_data train = {0}, replay = {0};
    mm_err e = MM_OK;
    int process = is_prm(o, rm);
    for (int i = 0; i < it->fresh.n && e == MM_OK; i++)
        e = mm_rm_data_copy(&train, &it->fresh, i, process);
    int fresh = train.n;
    if (e == MM_OK)
        e = mm_rm_data_replay(&it->old, o->rm_replay, o->seed + (uint64_t)step, &replay);
    for (int i = 0; i < replay.n && e == MM_OK; i++)
        e = mm_rm_data_copy(&train, &replay, i, process);
    mm_rm_data_free(&replay);
    mm_rm_train_opts to;
    mm_rm_train_opts_default(&to);
    to.epochs = 1, to.lr = o->rm_lr > 0 ? o->rm_lr : to.lr, to.seed = o->seed + (uint64_t)step;
    double loss = NAN;
    if (e == MM_OK && train.n) e = mm_rm_train(rm, &train, &to, last_loss, &loss);
    for (int i = 0; i < it->fresh.n && e == MM_OK; i++)
        e = mm_rm_data_copy(&it->old, &it->fresh, i, 1);
    st->rm_round = ++it->round, st->rm_fresh = fresh, st->rm_replayed = train.n - fresh;
    st->rm_loss = loss;
    mm_rm_data_free(&it->fresh);
    mm_rm_data_free(&train);
    return e;
}

void mm_rl_iter_free(mm_rl_iter *it) {
    mm_rm_data_free(&it->old);
    mm_rm_data_free(&it->fresh);
}
