/* rl/evaluate.c — accuracy of a model on a task split: greedy decoding, and K samples per
 * question at a temperature for Pass@K (some sample is right) and Maj@K (the answer most
 * samples agree on is right; outputs without an extractable answer do not vote; a tie goes to
 * the answer seen first). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "rl/grpo_internal.h"

/* The extracted answer of row i. */
static const char *answer_of(const mm_rollout *r, int i, size_t *n) {
    *n = r->reward[i].ans_len;
    return r->text[i].data + r->reward[i].ans_off;
}

static int majority_correct(const mm_rollout *r, int first, int k) {
    int best = -1, best_n = 0;
    const mm_task_item *it = r->item[first];
    for (int a = 0; a < k; a++) {
        if (!r->reward[first + a].has_answer) continue;
        size_t na, nb;
        const char *sa = answer_of(r, first + a, &na);
        int n = 0;
        for (int b = 0; b < k; b++) {
            if (!r->reward[first + b].has_answer) continue;
            const char *sb = answer_of(r, first + b, &nb);
            n += mm_task_same_answer(it, sa, na, sb, nb);
        }
        if (n > best_n) best_n = n, best = a;
    }
    return best >= 0 && r->reward[first + best].correct;
}

/* Items [0, n) of the split, in chunks so that memory stays bounded. */
static mm_err eval_pass(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                        int n, int copies, const mm_sample_opts *so, int batch, double *correct,
                        double *pass, double *maj, double *formatted, long *tokens,
                        const mm_eval_opts *eo, int flags) {
    int chunk = batch > 0 ? (batch + copies - 1) / copies : 64;
    const mm_task_item **items = malloc((size_t)chunk * sizeof *items);
    if (!items) return mm_fail(MM_ERR_NOMEM, "eval");
    mm_err e = MM_OK;
    for (int q0 = 0; q0 < n && e == MM_OK; q0 += chunk) {
        int nq = n - q0 < chunk ? n - q0 : chunk;
        for (int q = 0; q < nq; q++) items[q] = mm_task_get(t, s, (size_t)(q0 + q));
        mm_rollout r = {.answer_flags = flags};
        mm_sample_opts o = *so;
        o.seed = so->seed + (uint64_t)q0;
        e = mm_rollout_sample(&r, m, c, items, nq, copies, &o, batch, 0);
        for (int q = 0; q < nq && e == MM_OK; q++) {
            int any = 0;
            for (int g = 0; g < copies; g++) {
                const mm_reward *rw = &r.reward[q * copies + g];
                *correct += rw->correct, *formatted += rw->formatted, any |= rw->correct;
                if (eo && eo->on_greedy)
                    eo->on_greedy(eo->ud, items[q], r.text[q * copies + g].data,
                                  r.text[q * copies + g].len, rw);
            }
            if (pass) *pass += any;
            if (maj) *maj += majority_correct(&r, q * copies, copies);
        }
        *tokens += mm_rollout_tokens(&r);
        mm_rollout_free(&r);
    }
    free(items);
    return e;
}

mm_err mm_eval_run(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                   const mm_eval_opts *o, mm_eval_result *r) {
    memset(r, 0, sizeof *r);
    int n = (int)mm_task_count(t, s);
    if (o->n > 0 && o->n < n) n = o->n;
    if (n == 0) return mm_fail(MM_ERR_ARG, "eval: the split is empty");
    double t0 = mm_now();
    long tokens = 0, greedy_tokens = 0;
    double correct = 0, formatted = 0;
    mm_sample_opts g = {0, 0, 1.0f, o->seed, o->max_new_tokens, c->eos, o->stop};
    MM_TRY(eval_pass(m, c, t, s, n, 1, &g, o->batch, &correct, NULL, NULL, &formatted,
                     &greedy_tokens, o, o->answer_flags));
    r->n = n, r->k = o->k;
    r->greedy_acc = correct / n, r->format_rate = formatted / n;
    r->greedy_len = (double)greedy_tokens / n;
    tokens += greedy_tokens;
    if (o->k > 0) {
        double sc = 0, pass = 0, maj = 0, fm = 0;
        mm_sample_opts so = {o->temperature,    o->top_k, o->top_p > 0 ? o->top_p : 1.0f,
                             o->seed ^ 0x5a5a, o->max_new_tokens, c->eos, o->stop};
        MM_TRY(eval_pass(m, c, t, s, n, o->k, &so, o->batch, &sc, &pass, &maj, &fm, &tokens, NULL,
                         o->answer_flags));
        r->pass_k = pass / n, r->maj_k = maj / n, r->sample_acc = sc / ((double)n * o->k);
    }
    r->seconds = mm_now() - t0;
    r->tokens_per_s = r->seconds > 0 ? tokens / r->seconds : 0;
    return MM_OK;
}

mm_err mm_eval_greedy(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                      int n, int max_new_tokens, int batch, double *acc) {
    mm_eval_opts o = {.k = 0, .n = n, .max_new_tokens = max_new_tokens, .batch = batch};
    mm_eval_result r;
    MM_TRY(mm_eval_run(m, c, t, s, &o, &r));
    *acc = r.greedy_acc;
    return MM_OK;
}
