/* rl/task_arith.c — the built-in `arith` task: seeded multi-step integer word problems.
 *
 *   Question: Mia has 23 apples. Mia gets 17 more. Mia gives away 5. How many apples does
 *             Mia have now?
 *   Solution: 23 + 17 = 40
 *             40 - 5 = 35
 *             #### 35
 *
 * Difficulty is the number of operations and the digits of the operands; values never go
 * negative.  Splits are disjoint by construction: a question is a test question iff the hash
 * of its text falls in bucket 0 of 10, and each split's stream keeps only its own bucket, so
 * the test split does not depend on how many train items are made. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "rl/task_internal.h"

static const char *const names[] = {"Ann", "Ben", "Mia", "Tom",  "Zoe",
                                    "Sam", "Eva", "Max", "Lily", "Noah"};
static const char *const things[] = {"apples", "coins", "books",  "cards",
                                     "eggs",   "pens",  "stamps", "shells"};

void mm_arith_opts_default(mm_arith_opts *o) {
    *o = (mm_arith_opts){
        .ops = 2, .digits = 2, .mul = 1, .seed = 1, .n_train = 20000, .n_test = 500};
}

static long rnd(mm_rng *r, long lo, long hi) { /* inclusive */
    return lo + (long)(mm_rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* The plain form of the question: the steps as one expression, parenthesised in order. */
static mm_err plain_question(mm_buf *q, long first, const long *b, const int *op, int n) {
    mm_buf_clear(q);
    MM_TRY(mm_buf_puts(q, "Compute "));
    for (int k = 1; k < n; k++)
        MM_TRY(mm_buf_putc(q, '('));
    MM_TRY(mm_buf_printf(q, "%ld", first));
    for (int k = 0; k < n; k++)
        MM_TRY(mm_buf_printf(q, " %c %ld%s", "+-*"[op[k]], b[k], k < n - 1 ? ")" : ""));
    return mm_buf_putc(q, '.');
}

/* One problem into q (question) and s (solution); step results into vals. */
static mm_err make_problem(mm_rng *r, const mm_arith_opts *o, mm_buf *q, mm_buf *s, double *vals,
                           long *answer) {
    long lo = o->digits == 1 ? 1 : (long)pow(10, o->digits - 1), hi = (long)pow(10, o->digits) - 1;
    const char *name = names[rnd(r, 0, 9)], *thing = things[rnd(r, 0, 7)];
    long cur = rnd(r, lo, hi), first = cur, bs[16];
    int ops[16];
    mm_buf_clear(q), mm_buf_clear(s);
    MM_TRY(mm_buf_printf(q, "%s has %ld %s.", name, cur, thing));
    for (int k = 0; k < o->ops; k++) {
        int op = (int)rnd(r, 0, o->mul ? 2 : 1); /* 0 +, 1 -, 2 * */
        if (op == 2 && cur * 2 > 10 * hi) op = 1;
        if (op == 1 && cur < 1) op = 0;
        long b, next;
        if (op == 0) {
            b = rnd(r, lo, hi), next = cur + b;
            MM_TRY(mm_buf_printf(q, " %s gets %ld more.", name, b));
            MM_TRY(mm_buf_printf(s, "%ld + %ld = %ld\n", cur, b, next));
        } else if (op == 1) {
            b = rnd(r, cur < lo ? 1 : lo, cur < hi ? cur : hi), next = cur - b;
            MM_TRY(mm_buf_printf(q, " %s gives away %ld.", name, b));
            MM_TRY(mm_buf_printf(s, "%ld - %ld = %ld\n", cur, b, next));
        } else {
            b = rnd(r, 2, 4);
            while (b > 2 && cur * b > 10 * hi)
                b--;
            next = cur * b;
            MM_TRY(mm_buf_printf(q, " Then %s has %ld times as many.", name, b));
            MM_TRY(mm_buf_printf(s, "%ld * %ld = %ld\n", cur, b, next));
        }
        vals[k] = (double)next;
        bs[k] = b, ops[k] = op;
        cur = next;
    }
    MM_TRY(mm_buf_printf(q, " How many %s does %s have now?", thing, name));
    if (o->plain) MM_TRY(plain_question(q, first, bs, ops, o->ops));
    MM_TRY(mm_buf_printf(s, "#### %ld", cur));
    *answer = cur;
    return MM_OK;
}

static mm_err fill_split(mm_task *t, const mm_arith_opts *o, mm_task_split split, size_t want) {
    mm_rng r;
    mm_rng_seed(&r, mm_hash64(&o->seed, sizeof o->seed, split == MM_TASK_TEST ? 0x7e57 : 0x7a1e));
    mm_buf q = {0}, s = {0};
    mm_err e = MM_OK;
    size_t tries = 0, limit = want * 200 + 1000;
    while (t->split[split].n < want && e == MM_OK) {
        if (++tries > limit) {
            e = mm_fail(MM_ERR_ARG,
                        "arith: cannot make %zu distinct %s items at ops=%d "
                        "digits=%d",
                        want, split ? "test" : "train", o->ops, o->digits);
            break;
        }
        double *vals = malloc((size_t)o->ops * sizeof *vals);
        long ans;
        if (!vals) {
            e = mm_fail(MM_ERR_NOMEM, "arith");
            break;
        }
        e = make_problem(&r, o, &q, &s, vals, &ans);
        int test = mm_hash64(q.data, q.len, 0x5eed) % 10 == 0;
        if (e != MM_OK || test != (split == MM_TASK_TEST)) {
            free(vals);
            continue;
        }
        char gold[32];
        snprintf(gold, sizeof gold, "%ld", ans);
        char *qq = mm_strndup(q.data, q.len), *ss = mm_strndup(s.data, s.len);
        char *gg = mm_strndup(gold, strlen(gold));
        if (!qq || !ss || !gg) {
            free(qq), free(ss), free(gg), free(vals);
            e = MM_ERR_NOMEM;
            break;
        }
        e = mm_task_list_push(&t->split[split],
                              (mm_task_item){qq, ss, (double)ans, o->ops, vals, gg, 0, NULL});
    }
    mm_buf_free(&q), mm_buf_free(&s);
    return e;
}

mm_err mm_task_arith_create(const mm_arith_opts *o, mm_task **out) {
    *out = NULL;
    if (o->ops < 1 || o->ops > 16 || o->digits < 1 || o->digits > 6)
        return mm_fail(MM_ERR_ARG, "arith: ops must be 1..16 and digits 1..6 (got %d, %d)", o->ops,
                       o->digits);
    mm_task *t = mm_calloc(1, sizeof *t);
    if (!t) return MM_ERR_NOMEM;
    t->name = "arith";
    mm_err e = fill_split(t, o, MM_TASK_TEST, o->n_test);
    if (e == MM_OK) e = fill_split(t, o, MM_TASK_TRAIN, o->n_train);
    if (e != MM_OK) {
        mm_task_free(t);
        return e;
    }
    *out = t;
    return MM_OK;
}
