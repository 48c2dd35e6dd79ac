/* rl/grpo.c — the GRPO training loop (and the online-RFT / RFT baselines), rollouts, and the
 * supervised warm-up.
 *
 * One step (an "exploration stage" in the paper):
 *   1. take `questions` items of the train split and sample `group` completions of each from
 *      the old policy (for RFT: from the frozen initial model), batched with the KV cache;
 *   2. score them with the task's rule or a mix of rule, ORM and PRM (and per step for process
 *      supervision);
 *      --filter-groups drops groups whose rewards are all equal and samples more questions;
 *   3. advantages: GRPO normalises within the group; online RFT and RFT use 1 for a correct
 *      output and 0 otherwise (the paper's "unified paradigm", §5.2.1: their gradient
 *      coefficient is the indicator of a correct answer) and no KL term;
 *   4. log π_ref of every completion token (one forward of the reference model);
 *   5. μ times: forward the policy, mm_grpo_loss → dlogits, backward, clip, AdamW.
 * With μ = 1 the old policy is the policy itself and ρ = 1 in value (not in gradient).
 * Sequences are right-padded; the logits at position p predict token p + 1, so completion
 * token k of row r is predicted at position plen[r] - 1 + k. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/progress.h"
#include "rl/grpo_state.h"
#include "rl/ppo_internal.h"

/* ---- rollouts ---- */

void mm_rollout_free(mm_rollout *r) {
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        free(r->tokens[i]), free(r->logp[i]), free(r->tok_end[i]);
        if (r->learned) free(r->learned[i]);
        mm_buf_free(&r->text[i]);
    }
    free(r->learned), free(r->item), free(r->tokens), free(r->plen), free(r->olen), free(r->logp);
    free(r->text), free(r->tok_end), free(r->reward);
    memset(r, 0, sizeof *r);
}

long mm_rollout_tokens(const mm_rollout *r) {
    long n = 0;
    for (int i = 0; i < r->n; i++)
        n += r->olen[i];
    return n;
}

static mm_err rollout_grow(mm_rollout *r, int need) {
    if (need <= r->cap) return MM_OK;
    int cap = r->cap ? r->cap : 64;
    while (cap < need)
        cap *= 2;
#define GROW(f)                                                                                    \
    do {                                                                                           \
        void *p = realloc(r->f, (size_t)cap * sizeof *r->f);                                       \
        if (!p) return mm_fail(MM_ERR_NOMEM, "rollout of %d rows", cap);                           \
        r->f = p;                                                                                  \
    } while (0)
    GROW(item);
    GROW(tokens);
    GROW(plen);
    GROW(olen);
    GROW(logp);
    GROW(text);
    GROW(tok_end);
    GROW(reward);
#undef GROW
    r->cap = cap;
    return MM_OK;
}

/* Prompt tokens of one item into a fresh row. */
static mm_err rollout_add_row(mm_rollout *r, const mm_grpo_codec *c, const mm_task_item *it,
                              int ctx, mm_buf *tmp) {
    MM_TRY(rollout_grow(r, r->n + 1));
    int i = r->n;
    mm_buf_clear(tmp);
    MM_TRY(mm_task_prompt(it, tmp));
    r->item[i] = it;
    r->tokens[i] =
        calloc((size_t)ctx, sizeof(int32_t)); /* the sampler may read past a finished row */
    r->logp[i] = malloc((size_t)ctx * sizeof(float));
    r->tok_end[i] = malloc((size_t)ctx * sizeof(int));
    r->text[i] = (mm_buf){0};
    r->plen[i] = r->olen[i] = 0;
    r->n++; /* owned from here on: mm_rollout_free releases it */
    if (!r->tokens[i] || !r->logp[i] || !r->tok_end[i]) return mm_fail(MM_ERR_NOMEM, "rollout row");
    int n = c->encode(c->ud, tmp->data, tmp->len, r->tokens[i], ctx - 1);
    if (n <= 0)
        return mm_fail(MM_ERR_TOO_LARGE,
                       "a prompt does not fit the model's context of %d tokens "
                       "(question: %.60s...)",
                       ctx, it->question);
    r->plen[i] = n;
    return MM_OK;
}

/* Decode the completion of row i, recording where each token ends, and score it. */
static mm_err rollout_finish_row(mm_rollout *r, int i, const mm_grpo_codec *c, double fw) {
    mm_buf *t = &r->text[i];
    mm_buf_clear(t);
    MM_TRY(mm_buf_reserve(t, 16));
    const int32_t *out = r->tokens[i] + r->plen[i];
    for (int k = 0; k < r->olen[i]; k++) {
        if (out[k] != c->eos) MM_TRY(c->decode(c->ud, out[k], t));
        r->tok_end[i][k] = (int)t->len;
    }
    r->reward[i] = mm_task_reward(r->item[i], t->data, t->len, fw, r->answer_flags);
    return MM_OK;
}

mm_err mm_rollout_sample(mm_rollout *r, mm_gpt *m, const mm_grpo_codec *c,
                         const mm_task_item *const *items, int n, int copies,
                         const mm_sample_opts *so, int batch, double format_weight) {
    int ctx = mm_gpt_get_config(m)->ctx, first = r->n, rows = n * copies;
    r->ctx = ctx;
    mm_buf tmp = {0};
    mm_err e = MM_OK;
    for (int q = 0; q < n && e == MM_OK; q++)
        for (int g = 0; g < copies && e == MM_OK; g++)
            e = rollout_add_row(r, c, items[q], ctx, &tmp);
    mm_buf_free(&tmp);
    MM_TRY(e);
    if (batch <= 0) batch = rows;
    const int32_t **prompts = malloc((size_t)batch * sizeof *prompts);
    int32_t **outs = malloc((size_t)batch * sizeof *outs);
    if (!prompts || !outs) {
        free(prompts), free(outs);
        return mm_fail(MM_ERR_NOMEM, "rollout");
    }
    for (int b0 = 0; b0 < rows && e == MM_OK; b0 += batch) {
        int nb = rows - b0 < batch ? rows - b0 : batch, maxp = 0;
        for (int j = 0; j < nb; j++) {
            int i = first + b0 + j;
            prompts[j] = r->tokens[i];
            outs[j] = r->tokens[i] + r->plen[i];
            maxp = r->plen[i] > maxp ? r->plen[i] : maxp;
        }
        mm_sample_opts o = *so;
        if (o.max_new_tokens > ctx - maxp) o.max_new_tokens = ctx - maxp;
        o.seed = mm_hash64(&b0, sizeof b0, so->seed);
        e = mm_gpt_generate(m, nb, prompts, r->plen + first + b0, &o, outs, r->olen + first + b0,
                            r->logp + first + b0);
    }
    free(prompts), free(outs);
    for (int i = first; i < r->n && e == MM_OK; i++)
        e = rollout_finish_row(r, i, c, format_weight);
    return e;
}

/* ---- optimisation helpers ---- */

typedef struct seqbatch {
    int B, T;
    int32_t *tokens, *targets;     /* [B, T] */
    float *mask, *adv, *old, *ref; /* [B, T] */
} seqbatch;

static void seqbatch_free(seqbatch *s) {
    free(s->tokens), free(s->targets), free(s->mask), free(s->adv), free(s->old), free(s->ref);
    memset(s, 0, sizeof *s);
}

/* Lay out rows idx[0..nb) of the rollout as a right-padded [nb, T] batch.  adv/old/ref are
 * per completion token of each row (NULL = not needed). */
static mm_err seqbatch_build(seqbatch *s, const mm_rollout *r, const int *idx, int nb,
                             float *const *adv, int with_old, float *const *ref) {
    int T = 1;
    for (int j = 0; j < nb; j++) {
        int L = r->plen[idx[j]] + r->olen[idx[j]] - 1;
        T = L > T ? L : T;
    }
    size_t N = (size_t)nb * T;
    s->B = nb, s->T = T;
    s->tokens = calloc(N, sizeof *s->tokens), s->targets = malloc(N * sizeof *s->targets);
    s->mask = calloc(N, sizeof *s->mask), s->adv = calloc(N, sizeof *s->adv);
    s->old = calloc(N, sizeof *s->old), s->ref = calloc(N, sizeof *s->ref);
    if (!s->tokens || !s->targets || !s->mask || !s->adv || !s->old || !s->ref) {
        seqbatch_free(s);
        return mm_fail(MM_ERR_NOMEM, "batch of %d x %d", nb, T);
    }
    for (size_t k = 0; k < N; k++)
        s->targets[k] = -1;
    for (int j = 0; j < nb; j++) {
        int i = idx[j], P = r->plen[i], O = r->olen[i];
        int32_t *row = s->tokens + (size_t)j * T;
        for (int p = 0; p < P + O - 1 && p < T; p++)
            row[p] = r->tokens[i][p];
        for (int k = 0; k < O; k++) {
            size_t at = (size_t)j * T + P - 1 + k;
            s->targets[at] = r->tokens[i][P + k];
            s->mask[at] = 1;
            if (adv) s->adv[at] = adv[i][k];
            if (with_old) s->old[at] = r->logp[i][k];
            if (ref) s->ref[at] = ref[i][k];
        }
    }
    return MM_OK;
}

/* log π(completion tokens) of rows under model m, into lp[i][k]. */
static mm_err rows_logp(mm_gpt *m, const mm_rollout *r, const int *idx, int n, int mb, float **lp) {
    int V = mm_gpt_get_config(m)->vocab;
    for (int j0 = 0; j0 < n; j0 += mb) {
        int nb = n - j0 < mb ? n - j0 : mb;
        seqbatch s = {0};
        MM_TRY(seqbatch_build(&s, r, idx + j0, nb, NULL, 0, NULL));
        const float *logits;
        mm_err e = mm_gpt_forward(m, s.tokens, s.B, s.T, &logits);
        float *all = e == MM_OK ? malloc((size_t)s.B * s.T * sizeof *all) : NULL;
        if (e == MM_OK && !all) e = mm_fail(MM_ERR_NOMEM, "logp");
        if (e == MM_OK) {
            mm_grpo_token_logp(logits, s.targets, s.B, s.T, V, all);
            for (int j = 0; j < nb; j++) {
                int i = idx[j0 + j];
                for (int k = 0; k < r->olen[i]; k++)
                    lp[i][k] = all[(size_t)j * s.T + r->plen[i] - 1 + k];
            }
        }
        free(all);
        seqbatch_free(&s);
        MM_TRY(e);
    }
    return MM_OK;
}

/* ---- supervised warm-up ---- */

static double lr_at(double lr, int step, int steps) { /* warm-up 5%, cosine to 10% */
    int warm = steps / 20 + 1;
    if (step < warm) return lr * (step + 1) / warm;
    double p = (double)(step - warm) / (steps - warm > 0 ? steps - warm : 1);
    return lr * (0.1 + 0.45 * (1 + cos(M_PI * p)));
}

mm_err mm_grpo_sft(mm_gpt *m, const mm_grpo_codec *c, const mm_task *task, const mm_sft_opts *o,
                   mm_sft_log_fn log, void *ud) {
    size_t ntrain = mm_task_count(task, MM_TASK_TRAIN);
    if (!ntrain || o->batch < 1) return mm_fail(MM_ERR_ARG, "sft: empty train split or batch");
    int ctx = mm_gpt_get_config(m)->ctx, B = o->batch;
    int32_t *tok = malloc((size_t)B * ctx * sizeof *tok),
            *tgt = malloc((size_t)B * ctx * sizeof *tgt);
    int32_t *one = malloc((size_t)ctx * sizeof *one);
    const mm_task_item **items = malloc((size_t)B * sizeof *items);
    mm_buf doc = {0};
    mm_err e = (!tok || !tgt || !one || !items) ? mm_fail(MM_ERR_NOMEM, "sft") : MM_OK;
    mm_rng rng;
    mm_rng_seed(&rng, o->seed);
    for (int step = 0; step < o->steps && e == MM_OK; step++) {
        int T;
        long ntgt;
        for (int b = 0; b < B; b++)
            items[b] = mm_task_get(task, MM_TASK_TRAIN, mm_rng_next(&rng) % ntrain);
        if ((e = mm_sft_batch(c, items, B, ctx, tok, tgt, one, &doc, &T, &ntgt)) != MM_OK) break;
        float loss;
        mm_gpt_zero_grad(m);
        if ((e = mm_gpt_forward(m, tok, B, T, NULL)) != MM_OK) break;
        if ((e = mm_gpt_loss(m, tgt, &loss)) != MM_OK) break;
        if ((e = mm_gpt_backward(m, NULL)) != MM_OK) break;
        mm_gpt_clip_grad(m, o->grad_clip);
        mm_adamw_opts ao = {(float)lr_at(o->lr, step, o->steps), 0.9f, 0.95f, 1e-8f,
                            o->weight_decay};
        if ((e = mm_gpt_adamw_step(m, &ao)) != MM_OK) break;
        if (!isfinite(loss))
            e = mm_fail(MM_ERR_NUMERIC, "sft: loss is not finite at step %d", step);
        if (e == MM_OK && log && log(ud, step, loss)) break;
    }
    free(tok), free(tgt), free(one), free(items), mm_buf_free(&doc);
    return e;
}

/* ---- GRPO ---- */

void mm_grpo_opts_default(mm_grpo_opts *o) {
    *o = (mm_grpo_opts){.steps = 50,
                        .questions = 8,
                        .group = 8,
                        .beta = 0.04f,
                        .clip = 0.2f,
                        .lr = 1e-5f,
                        .weight_decay = 0,
                        .grad_clip = 1.0f,
                        .updates = 1,
                        .max_new_tokens = 64,
                        .temperature = 1.0f,
                        .top_p = 1.0f,
                        .std_norm = 1,
                        .filter_groups = 1,
                        .filter_tries = 3,
                        .micro_batch = 0,
                        .seed = 1,
                        .eval_n = 100};
    o->gamma = 1, o->lambda = 0.95f, o->value_clip = 0.2f, o->whiten = 1, o->dpo_beta = 0.1f;
    o->rm_replay = 0.1;
    o->lr_schedule = MM_GRPO_LR_CONSTANT, o->lr_min_frac = 0.1f;
}

double mm_grpo_lr(const mm_grpo_opts *o, int step) {
    if (step <= o->warmup) return (double)o->lr * step / o->warmup;
    if (o->lr_schedule == MM_GRPO_LR_CONSTANT || o->steps <= o->warmup) return o->lr;
    double p = (double)(step - o->warmup) / (o->steps - o->warmup); /* (0, 1] */
    double f = o->lr_min_frac;
    return o->lr * (f + (1 - f) * 0.5 * (1 + cos(M_PI * p)));
}

/* The state of one step. */
typedef struct step_ctx {
    mm_rollout ro;
    int *rows; /* rows trained on, group by group */
    int nrows;
    float **adv, **ref;
    int ngroups_seen, nequal;
} step_ctx;

static void step_free(step_ctx *s) {
    for (int i = 0; i < s->ro.n; i++) {
        if (s->adv) free(s->adv[i]);
        if (s->ref) free(s->ref[i]);
    }
    free(s->adv), free(s->ref), free(s->rows);
    mm_rollout_free(&s->ro);
    memset(s, 0, sizeof *s);
}

static int group_all_equal(const mm_rollout *r, int first, int G) {
    for (int g = 1; g < G; g++)
        if (r->reward[first + g].reward != r->reward[first].reward) return 0;
    return 1;
}

/* Token advantages of one group (rows first..first+G). */
static mm_err group_advantages(step_ctx *s, const mm_grpo_opts *o, int first, int G) {
    mm_rollout *r = &s->ro;
    if (o->algo >= MM_GRPO_ALGO_PPO) return MM_OK; /* hook: PPO's GAE later; DPO uses pairs */
    if (o->algo != MM_GRPO_ALGO_GRPO) { /* RFT / online RFT: the indicator of a right answer */
        for (int g = 0; g < G; g++)
            for (int k = 0; k < r->olen[first + g]; k++)
                s->adv[first + g][k] = r->reward[first + g].correct;
        return MM_OK;
    }
    if (o->supervision == MM_GRPO_OUTCOME) {
        float rew[1024] = {0}, a[1024];
        if (G > 1024) return mm_fail(MM_ERR_ARG, "group larger than 1024");
        for (int g = 0; g < G; g++)
            rew[g] = (float)r->reward[first + g].reward;
        mm_grpo_outcome_advantages(rew, G, o->std_norm, a);
        for (int g = 0; g < G; g++)
            for (int k = 0; k < r->olen[first + g]; k++)
                s->adv[first + g][k] = a[g];
        return MM_OK;
    }
    /* process: steps from the task in bytes, mapped to tokens through tok_end */
    enum { MAXSTEPS = MM_ROLLOUT_MAX_STEPS };
    mm_grpo_steps *st = calloc((size_t)G, sizeof *st);
    int *ends = calloc((size_t)G * MAXSTEPS, sizeof *ends);
    float *rw = calloc((size_t)G * MAXSTEPS, sizeof *rw);
    mm_task_step *ts = calloc(MAXSTEPS, sizeof *ts);
    if (!st || !ends || !rw || !ts) {
        free(st), free(ends), free(rw), free(ts);
        return mm_fail(MM_ERR_NOMEM, "process advantages");
    }
    for (int g = 0; g < G; g++) {
        int i = first + g, *e = ends + g * MAXSTEPS;
        float *w = rw + g * MAXSTEPS;
        int ns = mm_rollout_steps(r, i, ts, e, w); /* lines, in tokens (rl/prm.c) */
        mm_rl_mix_steps(o, r, i, ns, w);           /* hook: mixed rule, ORM and PRM step rewards */
        if (ns == 0) { /* empty output: one step holding its (end-of-text) tokens */
            e[0] = r->olen[i], w[0] = (float)r->reward[i].reward, ns = 1;
        }
        st[g] = (mm_grpo_steps){ns, e, w};
    }
    mm_grpo_process_advantages(G, st, r->olen + first, o->std_norm, s->adv + first);
    free(st), free(ends), free(rw), free(ts);
    return MM_OK;
}

/* Sample, score and select the groups of one step. */
static mm_err step_sample(step_ctx *s, mm_gpt *policy, mm_gpt *ref, const mm_grpo_codec *c,
                          const mm_task *task, const mm_grpo_opts *o, mm_rng *rng, int step,
                          mm_grpo_step_stats *st) {
    size_t ntrain = mm_task_count(task, MM_TASK_TRAIN);
    int G = o->group, want = o->questions, kept = 0;
    const mm_task_item **items = malloc((size_t)want * sizeof *items);
    s->rows = malloc((size_t)want * G * sizeof *s->rows);
    if (!items || !s->rows) {
        free(items);
        return mm_fail(MM_ERR_NOMEM, "step");
    }
    mm_err e = MM_OK;
    int rounds = o->filter_groups ? 1 + o->filter_tries : 1;
    for (int round = 0; round < rounds && kept < want && e == MM_OK; round++) {
        int n = want - kept, first = s->ro.n;
        for (int q = 0; q < n; q++)
            items[q] = mm_task_get(task, MM_TASK_TRAIN, mm_rng_next(rng) % ntrain);
        mm_sample_opts so = {o->temperature,
                             o->top_k,
                             o->top_p > 0 ? o->top_p : 1.0f,
                             mm_hash64(&step, sizeof step, o->seed) + round,
                             o->max_new_tokens,
                             c->eos,
                             NULL};
        mm_gpt *sampler = o->algo == MM_GRPO_ALGO_RFT ? ref : policy;
        e = mm_rollout_sample(&s->ro, sampler, c, items, n, G, &so, o->micro_batch,
                              o->format_reward);
        if (e == MM_OK && o->nreward) /* hook: mixed and learned rewards (rl/reward_model.h) */
            e = mm_rl_relabel(o, &s->ro, first);
        for (int q = 0; q < n && e == MM_OK; q++) {
            int f = first + q * G, eq = group_all_equal(&s->ro, f, G);
            s->ngroups_seen++, s->nequal += eq;
            if (eq && o->filter_groups) continue;
            for (int g = 0; g < G; g++)
                s->rows[kept * G + g] = f + g;
            kept++;
        }
        if (round > 0) st->resampled += n;
    }
    free(items);
    s->nrows = kept * G;
    return e;
}

static void sample_stats(const step_ctx *s, mm_grpo_step_stats *st) {
    const mm_rollout *r = &s->ro;
    double sum = 0, sq = 0, corr = 0, len = 0, plen = 0;
    for (int i = 0; i < r->n; i++) {
        plen += r->plen[i];
        sum += r->reward[i].reward, sq += r->reward[i].reward * r->reward[i].reward;
        corr += r->reward[i].correct, len += r->olen[i];
    }
    int n = r->n ? r->n : 1;
    st->reward_mean = sum / n;
    st->reward_std = sqrt(fmax(0, sq / n - st->reward_mean * st->reward_mean));
    st->accuracy = corr / n, st->out_len = len / n, st->prompt_len = plen / n;
    st->equal_groups = s->ngroups_seen ? (double)s->nequal / s->ngroups_seen : 0;
}

/* μ policy updates on the selected rows. */
static mm_err step_update(step_ctx *s, mm_gpt *policy, const mm_grpo_opts *o, float *dlogits,
                          size_t dlog_cap, mm_grpo_step_stats *st) {
    int V = mm_gpt_get_config(policy)->vocab, mb = o->micro_batch > 0 ? o->micro_batch : s->nrows;
    int rl = o->algo == MM_GRPO_ALGO_ONLINE_RFT || o->algo == MM_GRPO_ALGO_RFT;
    double tokens = 0;
    for (int j = 0; j < s->nrows; j++)
        tokens += s->ro.olen[s->rows[j]];
    mm_grpo_loss_opts lo = {o->clip, rl ? 0.0f : o->beta, o->token_mean, o->clip_high};
    for (int u = 0; u < o->updates; u++) {
        mm_grpo_loss_stats tot = {0};
        mm_gpt_zero_grad(policy);
        for (int j0 = 0; j0 < s->nrows; j0 += mb) {
            int nb = s->nrows - j0 < mb ? s->nrows - j0 : mb;
            seqbatch b = {0};
            MM_TRY(seqbatch_build(&b, &s->ro, s->rows + j0, nb, s->adv, !rl, s->ref));
            const float *logits;
            mm_err e = (size_t)b.B * b.T * V > dlog_cap
                           ? mm_fail(MM_ERR_ARG, "grpo: micro-batch larger than planned")
                           : mm_gpt_forward(policy, b.tokens, b.B, b.T, &logits);
            mm_grpo_loss_in in = {b.B,
                                  b.T,
                                  V,
                                  e == MM_OK ? logits : NULL,
                                  b.targets,
                                  b.mask,
                                  b.adv,
                                  rl ? NULL : b.old,
                                  s->ref ? b.ref : NULL,
                                  s->nrows,
                                  tokens};
            mm_grpo_loss_stats ls;
            if (e == MM_OK) e = mm_grpo_loss(&in, &lo, dlogits, &ls);
            if (e == MM_OK) e = mm_gpt_backward(policy, dlogits);
            seqbatch_free(&b);
            MM_TRY(e);
            tot.loss += ls.loss, tot.tokens += ls.tokens, tot.kl += ls.kl;
            tot.clipped += ls.clipped, tot.entropy += ls.entropy, tot.ratio += ls.ratio;
        }
        float gn = mm_gpt_clip_grad(policy, o->grad_clip);
        mm_adamw_opts ao = {o->lr, 0.9f, 0.95f, 1e-8f, o->weight_decay};
        MM_TRY(mm_gpt_adamw_step(policy, &ao));
        if (u == 0) {
            double t = tot.tokens ? tot.tokens : 1;
            st->loss = tot.loss, st->grad_norm = gn, st->kl = tot.kl / t;
            st->clip_frac = tot.clipped / t, st->entropy = tot.entropy / t,
            st->ratio = tot.ratio / t;
        }
    }
    return MM_OK;
}

/* The update of one step: GRPO's (and RFT's) step_update; PPO's on GAE advantages followed
 * by the value model's; DPO's on pairs (rl/rl_algos.c). */
static mm_err algo_update(step_ctx *s, mm_gpt *policy, const mm_grpo_opts *o, float *dlogits,
                          size_t dlog_cap, mm_grpo_step_stats *st) {
    if (o->algo == MM_GRPO_ALGO_DPO || o->algo == MM_GRPO_ALGO_ONLINE_DPO)
        return mm_rl_dpo_update(policy, &s->ro, s->rows, s->nrows, o->group, s->ref, o, dlogits,
                                st);
    if (o->algo != MM_GRPO_ALGO_PPO) return step_update(s, policy, o, dlogits, dlog_cap, st);
    float **ret = NULL, **oldv = NULL;
    mm_err e = mm_rl_ppo_advantages(o->value_model, &s->ro, s->rows, s->nrows, s->ref, o, s->adv,
                                    &ret, &oldv);
    mm_grpo_opts po = *o;
    po.beta = 0; /* PPO: the KL penalty is in the reward already (rl/ppo.h) */
    if (e == MM_OK) e = step_update(s, policy, &po, dlogits, dlog_cap, st);
    if (e == MM_OK)
        e = mm_rl_value_update(o->value_model, &s->ro, s->rows, s->nrows, ret, oldv, o,
                               &st->value_loss);
    mm_rl_free_rows(ret, s->ro.n);
    mm_rl_free_rows(oldv, s->ro.n);
    return e;
}

static mm_err grpo_step(mm_gpt *policy, mm_gpt *ref, const mm_grpo_codec *c, const mm_task *task,
                        const mm_grpo_opts *o, mm_rng *rng, int step, float **dlogits,
                        size_t *dlog_cap, mm_rl_iter *iter, mm_grpo_step_stats *st) {
    step_ctx s = {0};
    double t0 = mm_now();
    mm_gpt *sampler = o->algo == MM_GRPO_ALGO_DPO ? ref : policy; /* offline DPO: as RFT */
    mm_err e = step_sample(&s, sampler, ref, c, task, o, rng, step, st);
    if (e == MM_OK && iter) e = mm_rl_iter_collect(iter, &s.ro); /* hook: iterative RM */
    st->rollout_s = mm_now() - t0;
    st->rollout_tok_s = st->rollout_s > 0 ? mm_rollout_tokens(&s.ro) / st->rollout_s : 0;
    sample_stats(&s, st);
    st->groups_trained = s.nrows / o->group;
    double t1 = mm_now();
    if (e == MM_OK && s.nrows > 0) {
        int V = mm_gpt_get_config(policy)->vocab, ctx = mm_gpt_get_config(policy)->ctx;
        s.adv = calloc((size_t)s.ro.n, sizeof *s.adv);
        int need_ref =
            (o->algo == MM_GRPO_ALGO_GRPO && o->beta != 0) || o->algo >= MM_GRPO_ALGO_PPO;
        s.ref = need_ref ? calloc((size_t)s.ro.n, sizeof *s.ref) : NULL;
        if (!s.adv || (need_ref && !s.ref)) e = mm_fail(MM_ERR_NOMEM, "step");
        for (int i = 0; i < s.ro.n && e == MM_OK; i++) {
            s.adv[i] = calloc((size_t)s.ro.olen[i] + 1, sizeof(float));
            if (s.ref) s.ref[i] = calloc((size_t)s.ro.olen[i] + 1, sizeof(float));
            if (!s.adv[i] || (s.ref && !s.ref[i])) e = mm_fail(MM_ERR_NOMEM, "step");
        }
        for (int j = 0; j < s.nrows && e == MM_OK; j += o->group)
            e = group_advantages(&s, o, s.rows[j], o->group);
        int mb = o->micro_batch > 0 ? o->micro_batch : s.nrows;
        if (e == MM_OK && s.ref) e = rows_logp(ref, &s.ro, s.rows, s.nrows, mb, s.ref);
        size_t need = (size_t)mb * ctx * V;
        if (e == MM_OK && need > *dlog_cap) {
            free(*dlogits);
            *dlogits = malloc(need * sizeof **dlogits);
            *dlog_cap = *dlogits ? need : 0;
            if (!*dlogits) e = mm_fail(MM_ERR_NOMEM, "dlogits [%d, %d, %d]", mb, ctx, V);
        }
        if (e == MM_OK) e = algo_update(&s, policy, o, *dlogits, *dlog_cap, st);
    }
    st->update_s = mm_now() - t1;
    step_free(&s);
    return e;
}

mm_err mm_grpo_train(mm_gpt *policy, const mm_grpo_codec *c, const mm_task *task,
                     const mm_grpo_opts *o, mm_grpo_log_fn log, void *ud) {
    if (o->group < 1 || o->questions < 1 || o->updates < 1)
        return mm_fail(MM_ERR_ARG, "grpo: group, questions and updates must be >= 1");
    if (!mm_task_count(task, MM_TASK_TRAIN)) return mm_fail(MM_ERR_ARG, "grpo: empty train split");
    if (c->vocab > mm_gpt_get_config(policy)->vocab)
        return mm_fail(MM_ERR_MISMATCH, "grpo: tokenizer has %d tokens, the model %d", c->vocab,
                       mm_gpt_get_config(policy)->vocab);
    mm_gpt *ref = NULL;
    if (o->algo == MM_GRPO_ALGO_PPO && !o->value_model)
        return mm_fail(MM_ERR_ARG, "ppo: needs a value model");
    if (o->algo >= MM_GRPO_ALGO_PPO && o->supervision == MM_GRPO_PROCESS)
        return mm_fail(MM_ERR_ARG, "ppo and dpo use outcome rewards: no process supervision");
    int need_ref = o->algo == MM_GRPO_ALGO_RFT || (o->algo == MM_GRPO_ALGO_GRPO && o->beta != 0) ||
                   o->algo >= MM_GRPO_ALGO_PPO;
    if (need_ref) {
        MM_TRY(mm_gpt_create(mm_gpt_get_config(policy), 0, &ref));
        mm_err e = mm_gpt_copy_params(ref, policy);
        if (e != MM_OK) {
            mm_gpt_free(ref);
            return e;
        }
    }
    mm_rl_iter iter = {0}; /* hook: iterative reward-model retraining (rl/ppo_internal.h) */
    int retrain = o->rm_retrain && o->reward_model && o->iterative > 0;
    mm_rng rng;
    mm_rng_seed(&rng, o->seed);
    float *dlogits = NULL;
    size_t cap = 0;
    int start = 0;
    grpo_state gs = {policy, ref, c, o->value_model, o->reward_model, retrain ? &iter : NULL, &rng};
    mm_err e = o->resume ? mm_grpo_state_load(&gs, o, &start) : MM_OK;
    for (int step = start + 1; step <= o->steps && e == MM_OK; step++) {
        mm_grpo_step_stats st = {.step = step, .eval_acc = -1};
        mm_grpo_opts os = *o; /* this step's learning rate (the algorithms read os.lr) */
        os.lr = (float)mm_grpo_lr(o, step), st.lr = os.lr;
        e = grpo_step(policy, ref, c, task, &os, &rng, step, &dlogits, &cap, retrain ? &iter : NULL,
                      &st);
        int online = o->algo == MM_GRPO_ALGO_GRPO || o->algo == MM_GRPO_ALGO_PPO ||
                     o->algo == MM_GRPO_ALGO_ONLINE_DPO;
        if (e == MM_OK && o->iterative > 0 && ref && online && step % o->iterative == 0)
            e = mm_gpt_copy_params(ref, policy);
        if (e == MM_OK && retrain && step % o->iterative == 0) /* hook: the RM learns on */
            e = mm_rl_iter_round(&iter, o->reward_model, o, step, &st);
        if (e == MM_OK && o->eval_every > 0 && (step % o->eval_every == 0 || step == o->steps))
            e = mm_eval_greedy(policy, c, task, MM_TASK_TEST, o->eval_n, o->max_new_tokens, 0,
                               &st.eval_acc);
        if (e == MM_OK && log && log(ud, &st)) break;
        if (e == MM_OK && o->save_every > 0 && step % o->save_every == 0)
            e = mm_grpo_state_save(&gs, o, step, ud);
    }
    free(dlogits);
    mm_gpt_free(ref);
    mm_rl_iter_free(&iter);
    return e;
}
