/* rl/prm.c — the process reward model's data (steps of a rollout, Monte-Carlo step targets)
 * and the mixing of rule, ORM and PRM rewards (rl/reward_model.h).
 *
 * Step targets (Math-Shepherd's "soft" estimate, which DeepSeekMath §4.1.3 cites): for step j
 * of an output o, continue the prefix prompt + o[steps 1..j] R times with the policy and
 * count the continuations whose final answer the checker finds right; o's own continuation
 * from that prefix is one more sample of the same distribution, so
 *     y_j = (correct(o) + Σ_r correct(continuation r)) / (R + 1),
 * and the last step's target is correct(o) (nothing is left to continue).  R = 0 gives the
 * outcome on every step. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "rl/ppo_internal.h"

/* ---- steps of a rollout ---- */

int mm_rollout_steps(const mm_rollout *r, int i, mm_task_step *ts, int *end, float *rule) {
    int ns = mm_task_steps(r->item[i], r->text[i].data, r->text[i].len, ts, MM_ROLLOUT_MAX_STEPS);
    for (int j = 0, k = 0; j < ns; j++) { /* a step ends with the token that ends its last byte */
        while (k < r->olen[i] && r->tok_end[i][k] < (int)ts[j].end)
            k++;
        end[j] = j == ns - 1 ? r->olen[i] : (k < r->olen[i] ? k + 1 : r->olen[i]);
        rule[j] = (float)ts[j].reward;
    }
    return ns;
}

int mm_prm_row_steps(const mm_rollout *r, int i, int *end) {
    mm_task_step ts[MM_ROLLOUT_MAX_STEPS];
    float rule[MM_ROLLOUT_MAX_STEPS];
    int ns = mm_rollout_steps(r, i, ts, end, rule), m = 0;
    for (int j = 0; j < ns; j++) { /* keep the later of two steps ending on one token */
        if (m && end[j] <= end[m - 1]) m--;
        end[m++] = end[j];
    }
    if (m == 0) end[m++] = r->olen[i]; /* empty text: one step over its tokens */
    for (int j = 0; j < m; j++)
        end[j] += r->plen[i];
    return m;
}

/* ---- Monte-Carlo step targets ---- */

typedef struct mc_job {
    int row, step; /* continue row's prefix through step `step` */
} mc_job;

/* Continue jobs[0..nb) once each and add the right ones to hits[row][step]. */
static mm_err mc_batch(const mm_rollout *r, mm_gpt *policy, const mm_grpo_codec *c,
                       const mm_rm_collect_opts *o, int *const *end, const mc_job *jobs, int nb,
                       uint64_t seed, int *const *hits) {
    int ctx = mm_gpt_get_config(policy)->ctx, maxp = 1;
    int32_t *buf = calloc((size_t)nb * ctx, sizeof *buf);
    const int32_t **prompts = malloc((size_t)nb * sizeof *prompts);
    int32_t **outs = malloc((size_t)nb * sizeof *outs);
    int *plen = malloc((size_t)nb * sizeof *plen), *olen = calloc((size_t)nb, sizeof *olen);
    mm_buf text = {0};
    mm_err e = buf && prompts && outs && plen && olen ? MM_OK : mm_fail(MM_ERR_NOMEM, "prm");
    for (int b = 0; b < nb && e == MM_OK; b++) {
        int i = jobs[b].row, L = end[i][jobs[b].step];
        memcpy(buf + (size_t)b * ctx, r->tokens[i], (size_t)L * sizeof *buf);
        prompts[b] = buf + (size_t)b * ctx, outs[b] = buf + (size_t)b * ctx + L, plen[b] = L;
        maxp = L > maxp ? L : maxp;
    }
    mm_sample_opts so = {o->temperature, 0, 1.0f, seed, o->max_new_tokens, c->eos, NULL};
    if (so.max_new_tokens > ctx - maxp) so.max_new_tokens = ctx - maxp;
    if (e == MM_OK && so.max_new_tokens > 0)
        e = mm_gpt_generate(policy, nb, prompts, plen, &so, outs, olen, NULL);
    for (int b = 0; b < nb && e == MM_OK; b++) {
        int i = jobs[b].row, k = end[i][jobs[b].step] - r->plen[i]; /* completion tokens kept */
        mm_buf_clear(&text);
        e = mm_buf_append(&text, r->text[i].data, (size_t)(k > 0 ? r->tok_end[i][k - 1] : 0));
        for (int t = 0; t < olen[b] && e == MM_OK && outs[b][t] != c->eos; t++)
            e = c->decode(c->ud, outs[b][t], &text);
        if (e == MM_OK)
            hits[i][jobs[b].step] +=
                mm_task_reward(r->item[i], text.data, text.len, 0, r->answer_flags).correct;
    }
    mm_buf_free(&text);
    free(buf), free(prompts), free(outs), free(plen), free(olen);
    return e;
}

static mm_err add_rows(const mm_rollout *r, int *const *end, const int *ns, int *const *hits,
                       int rollouts, mm_rm_data *d) {
    float y[MM_ROLLOUT_MAX_STEPS];
    for (int i = 0; i < r->n; i++) {
        int ok = r->reward[i].correct;
        for (int j = 0; j < ns[i]; j++)
            y[j] = j == ns[i] - 1 ? (float)ok : (float)(ok + hits[i][j]) / (float)(rollouts + 1);
        MM_TRY(mm_rm_data_add_steps(d, r->tokens[i], r->plen[i] + r->olen[i], r->plen[i], ok, ns[i],
                                    end[i], y));
    }
    return MM_OK;
}

mm_err mm_prm_label(const mm_rollout *r, mm_gpt *policy, const mm_grpo_codec *c,
                    const mm_rm_collect_opts *o, mm_rm_data *d) {
    int n = r->n, R = o->rollouts > 0 ? o->rollouts : 0, nj = 0;
    int **end = calloc((size_t)n + 1, sizeof *end), **hits = calloc((size_t)n + 1, sizeof *hits);
    int *ns = calloc((size_t)n + 1, sizeof *ns);
    mm_err e = end && hits && ns ? MM_OK : mm_fail(MM_ERR_NOMEM, "prm");
    for (int i = 0; i < n && e == MM_OK; i++) {
        end[i] = malloc(MM_ROLLOUT_MAX_STEPS * sizeof **end);
        hits[i] = calloc(MM_ROLLOUT_MAX_STEPS, sizeof **hits);
        if (!end[i] || !hits[i]) e = mm_fail(MM_ERR_NOMEM, "prm");
        if (e == MM_OK) ns[i] = mm_prm_row_steps(r, i, end[i]), nj += (ns[i] - 1) * R;
    }
    mc_job *jobs = e == MM_OK ? malloc((size_t)(nj + 1) * sizeof *jobs) : NULL;
    if (e == MM_OK && !jobs) e = mm_fail(MM_ERR_NOMEM, "prm");
    for (int i = 0, k = 0; i < n && e == MM_OK; i++)
        for (int j = 0; j < ns[i] - 1; j++)
            for (int m = 0; m < R; m++)
                jobs[k++] = (mc_job){i, j};
    int B = o->batch > 0 ? o->batch : 64;
    for (int b0 = 0; b0 < nj && e == MM_OK; b0 += B)
        e = mc_batch(r, policy, c, o, end, jobs + b0, nj - b0 < B ? nj - b0 : B,
                     mm_hash64(&b0, sizeof b0, o->seed ^ 0x70726dULL), hits);
    if (e == MM_OK) e = add_rows(r, end, ns, hits, R, d);
    for (int i = 0; i < n && end && hits; i++)
        free(end[i]), free(hits[i]);
    free(end), free(hits), free(ns), free(jobs);
    return e;
}

/* ---- mixing ---- */

static double sigmoid(double s) {
    return 1 / (1 + exp(-s));
}

double mm_reward_term_outcome(mm_reward_kind k, int correct, const float *s, int nsteps) {
    if (k == MM_REWARD_RULE) return correct != 0;
    if (k == MM_REWARD_ORM || nsteps < 1) return sigmoid(s[0]);
    double lo = s[0];
    for (int j = 1; j < nsteps; j++)
        lo = s[j] < lo ? s[j] : lo;
    return sigmoid(lo); /* σ is increasing: the lowest score is the lowest σ */
}

void mm_reward_term_steps(mm_reward_kind k, double weight, const float *rule, const float *s,
                          int nsteps, float *out) {
    for (int j = 0; j < nsteps; j++) {
        double v = k == MM_REWARD_RULE  ? rule[j]
                   : k == MM_REWARD_PRM ? sigmoid(s[j])
                   : j == nsteps - 1    ? sigmoid(s[0])
                                        : 0;
        out[j] += (float)(weight * v);
    }
}

/* A weight: the whole of s[0..n) is a finite number >= 0. */
static int parse_weight(const char *s, size_t n, double *w) {
    char tmp[64], *endp;
    if (n == 0 || n >= sizeof tmp) return 0;
    memcpy(tmp, s, n), tmp[n] = 0;
    double v = strtod(tmp, &endp);
    if (*endp || !isfinite(v) || v < 0) return 0;
    *w = v;
    return 1;
}

/* One TERM of s[0..n). */
static mm_err parse_term(const char *s, size_t n, mm_reward_spec *out) {
    if (out->n == MM_REWARD_MAX_TERMS)
        return mm_fail(MM_ERR_ARG, "--reward: at most %d terms", MM_REWARD_MAX_TERMS);
    const char *colon = memchr(s, ':', n), *last = colon;
    for (const char *p = colon; p; p = memchr(p + 1, ':', n - (size_t)(p + 1 - s)))
        last = p;
    size_t head = colon ? (size_t)(colon - s) : n;
    int k = out->n;
    double w = 1;
    if (head == 4 && !memcmp(s, "rule", 4))
        out->term[k].kind = MM_REWARD_RULE;
    else if (head == 3 && (!memcmp(s, "orm", 3) || !memcmp(s, "prm", 3)))
        out->term[k].kind = s[0] == 'o' ? MM_REWARD_ORM : MM_REWARD_PRM;
    else
        return mm_fail(MM_ERR_ARG, "--reward: '%.*s' is not rule, orm:CKPT or prm:CKPT", (int)n, s);
    size_t pend = n; /* the path runs to the weight, if any */
    if (last && parse_weight(last + 1, n - (size_t)(last + 1 - s), &w)) pend = (size_t)(last - s);
    if (out->term[k].kind == MM_REWARD_RULE && pend != head)
        return mm_fail(MM_ERR_ARG, "--reward: bad weight in '%.*s'", (int)n, s);
    if (out->term[k].kind != MM_REWARD_RULE) {
        if (pend <= head + 1)
            return mm_fail(MM_ERR_ARG, "--reward: '%.*s' needs a checkpoint", (int)n, s);
        size_t pl = pend - head - 1;
        if (pl >= sizeof out->term[k].path)
            return mm_fail(MM_ERR_ARG, "--reward: checkpoint path too long");
        memcpy(out->term[k].path, s + head + 1, pl), out->term[k].path[pl] = 0;
    }
    for (int j = 0; j < k; j++)
        if (out->term[j].kind == out->term[k].kind)
            return mm_fail(MM_ERR_ARG, "--reward: '%.3s' appears twice", s);
    out->term[k].weight = w;
    out->n++;
    return MM_OK;
}

mm_err mm_reward_spec_parse(const char *text, mm_reward_spec *out) {
    memset(out, 0, sizeof *out);
    for (const char *s = text;;) {
        const char *plus = strchr(s, '+');
        size_t n = plus ? (size_t)(plus - s) : strlen(s);
        if (n == 0) return mm_fail(MM_ERR_ARG, "--reward: empty term in '%s'", text);
        MM_TRY(parse_term(s, n, out));
        if (!plus) break;
        s = plus + 1;
    }
    return MM_OK;
}
