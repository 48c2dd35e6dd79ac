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

/* Pass@k estimated without bias from c right samples out of n (Chen et al. 2021):
 * 1 - C(n-c, k)/C(n, k), computed as a product to stay in range. */
static double pass_at(int n, int c, int k) {
    if (n - c < k) return 1.0;
    double miss = 1.0;
    for (int i = n - c + 1; i <= n; i++)
        miss *= 1.0 - (double)k / i;
    return 1.0 - miss;
}

/* Sums over the questions of one pass (greedy or K samples). */
typedef struct eval_sums {
    double correct, formatted, pass, maj;
    int curve_n; /* 0 = no curve */
    double curve_pass[MM_EVAL_CURVE_MAX], curve_maj[MM_EVAL_CURVE_MAX];
    long tokens;
} eval_sums;

/* The `copies` samples of one question, rows [first, first + copies) of r. */
static void score_question(const mm_rollout *r, int first, int copies, eval_sums *a) {
    int right = 0;
    for (int g = 0; g < copies; g++) {
        const mm_reward *rw = &r->reward[first + g];
        right += rw->correct, a->formatted += rw->formatted;
    }
    a->correct += right, a->pass += right > 0;
    a->maj += majority_correct(r, first, copies);
    for (int j = 0; j < a->curve_n; j++) {
        int k = 1 << j, blocks = copies / k, won = 0;
        for (int b = 0; b < blocks; b++)
            won += majority_correct(r, first + b * k, k);
        a->curve_pass[j] += pass_at(copies, right, k);
        a->curve_maj[j] += (double)won / blocks;
    }
}

/* Items [0, n) of the split, in chunks so that memory stays bounded. */
static mm_err eval_pass(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s, int n,
                        int copies, const mm_sample_opts *so, int batch, const mm_eval_opts *eo,
                        int flags, eval_sums *a) {
    int chunk = batch > 0 ? (batch + copies - 1) / copies : 64;
    const mm_task_item **items = malloc((size_t)chunk * sizeof *items);
    if (!items) return mm_fail(MM_ERR_NOMEM, "eval");
    mm_err e = MM_OK;
    for (int q0 = 0; q0 < n && e == MM_OK; q0 += chunk) {
        int nq = n - q0 < chunk ? n - q0 : chunk;
        for (int q = 0; q < nq; q++)
            items[q] = mm_task_get(t, s, (size_t)(q0 + q));
        mm_rollout r = {.answer_flags = flags};
        mm_sample_opts o = *so;
        o.seed = so->seed + (uint64_t)q0;
        e = mm_rollout_sample(&r, m, c, items, nq, copies, &o, batch, 0);
        for (int q = 0; q < nq && e == MM_OK; q++) {
            score_question(&r, q * copies, copies, a);
            for (int g = 0; eo && eo->on_greedy && g < copies; g++)
                eo->on_greedy(eo->ud, items[q], r.text[q * copies + g].data,
                              r.text[q * copies + g].len, &r.reward[q * copies + g]);
        }
        a->tokens += mm_rollout_tokens(&r);
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
    eval_sums gs = {0};
    mm_sample_opts g = {0, 0, 1.0f, o->seed, o->max_new_tokens, c->eos, o->stop};
    MM_TRY(eval_pass(m, c, t, s, n, 1, &g, o->batch, o, o->answer_flags, &gs));
    r->n = n, r->k = o->k;
    r->greedy_acc = gs.correct / n, r->format_rate = gs.formatted / n;
    r->greedy_len = (double)gs.tokens / n;
    long tokens = gs.tokens;
    if (o->k > 0) {
        eval_sums ks = {0};
        while (o->curve && ks.curve_n < MM_EVAL_CURVE_MAX && 1 << ks.curve_n <= o->k)
            ks.curve_n++;
        mm_sample_opts so = {o->temperature,   o->top_k,          o->top_p > 0 ? o->top_p : 1.0f,
                             o->seed ^ 0x5a5a, o->max_new_tokens, c->eos,
                             o->stop};
        MM_TRY(eval_pass(m, c, t, s, n, o->k, &so, o->batch, NULL, o->answer_flags, &ks));
        r->pass_k = ks.pass / n, r->maj_k = ks.maj / n;
        r->sample_acc = ks.correct / ((double)n * o->k);
        r->curve_n = ks.curve_n;
        for (int j = 0; j < ks.curve_n; j++) {
            r->curve_k[j] = 1 << j;
            r->curve_pass[j] = ks.curve_pass[j] / n, r->curve_maj[j] = ks.curve_maj[j] / n;
        }
        tokens += ks.tokens;
    }
    r->seconds = mm_now() - t0;
    r->tokens_per_s = r->seconds > 0 ? tokens / r->seconds : 0;
    return MM_OK;
}

mm_err mm_eval_greedy(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s, int n,
                      int max_new_tokens, int batch, double *acc) {
    mm_eval_opts o = {.k = 0, .n = n, .max_new_tokens = max_new_tokens, .batch = batch};
    mm_eval_result r;
    MM_TRY(mm_eval_run(m, c, t, s, &o, &r));
    *acc = r.greedy_acc;
    return MM_OK;
}
