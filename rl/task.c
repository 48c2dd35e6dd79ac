/* rl/task.c — what every task shares: item storage, the prompt/document format, rewards,
 * per-step checks, number parsing, answer extraction and a small expression evaluator. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/doc.h"
#include "common/io.h"
#include "rl/answer.h"
#include "rl/task_internal.h"

/* ---- items ---- */

static void item_free(mm_task_item *it) {
    free(it->question), free(it->solution), free(it->step_values), free(it->gold);
}

mm_err mm_task_list_push(mm_task_list *l, mm_task_item it) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        mm_task_item *p = realloc(l->items, cap * sizeof *p);
        if (!p) {
            item_free(&it);
            return mm_fail(MM_ERR_NOMEM, "task: %zu items", cap);
        }
        l->items = p, l->cap = cap;
    }
    l->items[l->n++] = it;
    return MM_OK;
}

void mm_task_free(mm_task *t) {
    if (!t) return;
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < t->split[s].n; i++)
            item_free(&t->split[s].items[i]);
        free(t->split[s].items);
    }
    mm_buf_free(&t->shots);
    free(t);
}

const char *mm_task_name(const mm_task *t) {
    return t->name;
}
size_t mm_task_count(const mm_task *t, mm_task_split s) {
    return t->split[s].n;
}
uint64_t mm_task_skipped(const mm_task *t) {
    return t->skipped;
}

const mm_task_item *mm_task_get(const mm_task *t, mm_task_split s, size_t i) {
    return i < t->split[s].n ? &t->split[s].items[i] : NULL;
}

/* ---- text format ---- */

mm_err mm_task_prompt(const mm_task_item *it, mm_buf *b) {
    if (it->shots) MM_TRY(mm_buf_puts(b, it->shots));
    return mm_buf_printf(b, "Question: %s\nAnswer:\n", it->question);
}

mm_err mm_task_set_shots(mm_task *t, int k) {
    mm_task_list *tr = &t->split[MM_TASK_TRAIN];
    if (k < 0 || (size_t)k > tr->n)
        return mm_fail(MM_ERR_ARG, "%d-shot prompting needs %d train items, the task has %zu", k, k,
                       tr->n);
    for (int s = 0; s < 2; s++) /* zero-shot while the examples are written */
        for (size_t i = 0; i < t->split[s].n; i++)
            t->split[s].items[i].shots = NULL;
    mm_buf_clear(&t->shots);
    for (int i = 0; i < k; i++) {
        MM_TRY(mm_task_document(&tr->items[i], &t->shots));
        MM_TRY(mm_buf_putc(&t->shots, '\n'));
    }
    if (k == 0) return MM_OK;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < t->split[s].n; i++)
            t->split[s].items[i].shots = t->shots.data;
    return MM_OK;
}

mm_err mm_task_document(const mm_task_item *it, mm_buf *b) {
    MM_TRY(mm_task_prompt(it, b));
    MM_TRY(mm_buf_puts(b, it->solution));
    return mm_buf_putc(b, '\n');
}

mm_err mm_task_write_docs(const mm_task *t, mm_task_split s, size_t n, const char *path) {
    mm_out *o;
    MM_TRY(mm_out_open(path, 3, &o));
    mm_buf text = {0}, line = {0};
    char source[64], id[17], key[64];
    snprintf(source, sizeof source, "mathmine-%s", t->name);
    mm_err e = MM_OK;
    for (size_t i = 0; i < n && e == MM_OK; i++) {
        const mm_task_item *it = &t->split[s].items[i % t->split[s].n];
        mm_buf_clear(&text), mm_buf_clear(&line);
        e = mm_task_document(it, &text);
        int kl = snprintf(key, sizeof key, "%s/%d/%zu", t->name, (int)s, i);
        mm_doc_make_id(key, (size_t)kl, id);
        mm_doc d = {.id = id,
                    .text = text.data,
                    .text_len = text.len,
                    .source = source,
                    .lang = "en",
                    .lang_score = 1.0,
                    .warc_offset = -1,
                    .math_json = "{}"};
        if (e == MM_OK) e = mm_doc_to_json(&line, &d);
        if (e == MM_OK) e = mm_out_write(o, line.data, line.len);
    }
    mm_buf_free(&text), mm_buf_free(&line);
    if (e == MM_OK && t->split[s].n == 0) e = mm_fail(MM_ERR_ARG, "%s: the split is empty", path);
    if (e != MM_OK) {
        mm_out_abort(o);
        return e;
    }
    return mm_out_commit(o);
}

/* ---- numbers ---- */

size_t mm_task_parse_number(const char *s, size_t n, double *v) {
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (i < n && s[i] == '$') i++;
    if (!neg && i < n && s[i] == '-' && i + 1 < n && isdigit((unsigned char)s[i + 1])) neg = 1, i++;
    if (i >= n || !isdigit((unsigned char)s[i])) return 0;
    char buf[352];
    size_t k = 0;
    int overflow = 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isdigit(c)) {
            if (k < 320)
                buf[k++] = (char)c;
            else
                overflow = 1;
        } else if (c == ',' && i + 3 < n + 0 && isdigit((unsigned char)s[i + 1]) &&
                   isdigit((unsigned char)s[i + 2]) && isdigit((unsigned char)s[i + 3]) &&
                   (i + 4 >= n || !isdigit((unsigned char)s[i + 4]))) {
            continue; /* thousands separator: exactly three digits follow */
        } else {
            break;
        }
    }
    if (i + 1 < n && s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
        if (k < 320) buf[k++] = '.';
        for (i++; i < n && isdigit((unsigned char)s[i]); i++)
            if (k < 340) buf[k++] = s[i];
    }
    if (i < n && s[i] == '%') i++;
    buf[k] = 0;
    double x = overflow ? INFINITY : strtod(buf, NULL);
    *v = neg ? -x : x;
    return i;
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

int mm_task_extract_answer(const char *s, size_t n, double *v) {
    const char *last = NULL;
    for (size_t i = 0; i + 4 <= n; i++)
        if (s[i] == '#' && !memcmp(s + i, "####", 4)) last = s + i;
    if (!last) return 0;
    size_t i = (size_t)(last - s) + 4;
    while (i < n && (s[i] == '#' || is_space(s[i])))
        i++;
    return mm_task_parse_number(s + i, n - i, v) > 0;
}

int mm_task_last_number(const char *s, size_t n, double *v) {
    int found = 0;
    for (size_t i = 0; i < n;) {
        int starts = isdigit((unsigned char)s[i]) ||
                     ((s[i] == '-' || s[i] == '$') && i + 1 < n &&
                      (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '-' || s[i + 1] == '$'));
        if (starts && s[i] == '-' && i > 0 && isalnum((unsigned char)s[i - 1])) starts = 0;
        if (!starts) {
            i++;
            continue;
        }
        double x;
        size_t k = mm_task_parse_number(s + i, n - i, &x);
        if (k == 0) {
            i++;
            continue;
        }
        *v = x, found = 1, i += k;
    }
    return found;
}

bool mm_task_same_number(double a, double b) {
    if (isnan(a) || isnan(b)) return false;
    if (a == b) return true;
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= 1e-9 || d <= 1e-6 * m;
}

/* ---- expression evaluator: recursive descent over doubles, depth-capped ---- */

typedef struct expr {
    const char *s;
    size_t n, i;
    int depth;
} expr;

static void ex_ws(expr *e) {
    while (e->i < e->n && is_space(e->s[e->i]))
        e->i++;
}

static int ex_sum(expr *e, double *v);

static int ex_atom(expr *e, double *v) {
    ex_ws(e);
    if (e->i >= e->n || ++e->depth > 64) return 0;
    int ok;
    if (e->s[e->i] == '(') {
        e->i++;
        ok = ex_sum(e, v);
        ex_ws(e);
        if (ok && e->i < e->n && e->s[e->i] == ')')
            e->i++;
        else
            ok = 0;
    } else if (e->s[e->i] == '-') {
        e->i++;
        ok = ex_atom(e, v);
        *v = -*v;
    } else {
        size_t k = mm_task_parse_number(e->s + e->i, e->n - e->i, v);
        e->i += k, ok = k > 0;
    }
    e->depth--;
    return ok;
}

static int ex_mulop(expr *e) {
    ex_ws(e);
    if (e->i >= e->n) return 0;
    char c = e->s[e->i];
    if (c == '*' || c == '/' || c == 'x') return e->i++, c == '/' ? '/' : '*';
    if ((unsigned char)c == 0xC3 && e->i + 1 < e->n && (unsigned char)e->s[e->i + 1] == 0x97)
        return e->i += 2, '*';
    return 0;
}

static int ex_prod(expr *e, double *v) {
    if (!ex_atom(e, v)) return 0;
    for (int op; (op = ex_mulop(e));) {
        double r;
        if (!ex_atom(e, &r)) return 0;
        if (op == '/' && r == 0) return 0;
        *v = op == '*' ? *v * r : *v / r;
    }
    return 1;
}

static int ex_sum(expr *e, double *v) {
    if (!ex_prod(e, v)) return 0;
    for (;;) {
        ex_ws(e);
        if (e->i >= e->n || (e->s[e->i] != '+' && e->s[e->i] != '-')) return 1;
        char op = e->s[e->i++];
        double r;
        if (!ex_prod(e, &r)) return 0;
        *v = op == '+' ? *v + r : *v - r;
    }
}

int mm_task_eval_expr(const char *s, size_t n, double *v) {
    expr e = {s, n, 0, 0};
    double x;
    if (!ex_sum(&e, &x)) return 0;
    ex_ws(&e);
    if (e.i != n || !isfinite(x)) return 0;
    *v = x;
    return 1;
}

/* ---- rewards and steps ---- */

bool mm_task_check(const mm_task_item *it, const char *ans, size_t n) {
    return mm_task_same_answer(it, ans, n, it->gold, strlen(it->gold));
}

bool mm_task_same_answer(const mm_task_item *it, const char *a, size_t na, const char *b,
                         size_t nb) {
    if (it->nopts > 0) {
        unsigned c = mm_answer_choice(a, na, it->nopts);
        return c && c == mm_answer_choice(b, nb, it->nopts);
    }
    return mm_answer_equal(a, na, b, nb);
}

mm_reward mm_task_reward(const mm_task_item *it, const char *out, size_t n, double format_weight,
                         int flags) {
    mm_reward r = {0};
    r.answer = NAN;
    mm_answer_marker m = mm_answer_extract(out, n, flags, &r.ans_off, &r.ans_len);
    if (m != MM_ANSWER_NONE) {
        r.has_answer = 1, r.formatted = m != MM_ANSWER_NUMBER;
        double v;
        if (mm_task_parse_number(out + r.ans_off, r.ans_len, &v) == r.ans_len) r.answer = v;
        r.correct = mm_task_check(it, out + r.ans_off, r.ans_len);
    }
    r.reward = r.correct + format_weight * r.formatted;
    return r;
}

static int expr_char(unsigned char c) {
    return isdigit(c) || c == '.' || c == ',' || c == '+' || c == '-' || c == '*' || c == '/' ||
           c == '(' || c == ')' || c == ' ' || c == '$' || c == 0xC3 || c == 0x97;
}

/* Check "<expr> = <value>" at the '=' at line[eq]; returns 1 and the value when the
 * arithmetic is right, 0 when wrong, -1 when this is no equation. */
static int check_equation(const char *line, size_t len, size_t eq, double *value) {
    size_t a = eq;
    while (a > 0 && expr_char((unsigned char)line[a - 1]))
        a--;
    while (a < eq && (line[a] == ' ' || line[a] == ')' || line[a] == ','))
        a++;
    size_t b = eq + 1;
    while (b < len && (line[b] == ' ' || line[b] == '$'))
        b++;
    double lhs, rhs;
    size_t k = mm_task_parse_number(line + b, len - b, &rhs);
    size_t e = eq;
    while (e > a && line[e - 1] == ' ')
        e--;
    if (k == 0 || e <= a) return -1;
    if (!mm_task_eval_expr(line + a, e - a, &lhs)) return -1;
    *value = rhs;
    return mm_task_same_number(lhs, rhs);
}

/* The equations of one line: GSM8K calculator annotations <<a*b=c>> (all of them), else the
 * first plain "<expr> = <value>".  Their claimed results go to vals; returns how many there
 * are, *wrong how many of them have wrong arithmetic. */
static int line_equations(const char *line, size_t len, double *vals, int cap, int *wrong) {
    int n = 0;
    *wrong = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (line[i] != '<' || line[i + 1] != '<') continue;
        const char *end = memchr(line + i, '>', len - i);
        const char *eq = memchr(line + i, '=', len - i);
        if (!end || !eq || eq > end) break;
        size_t a = i + 2, e = (size_t)(eq - line);
        double lhs, rhs;
        if (mm_task_eval_expr(line + a, e - a, &lhs) &&
            mm_task_parse_number(eq + 1, (size_t)(end - eq - 1), &rhs) &&
            mm_task_same_number(lhs, rhs)) {
            if (n < cap) vals[n++] = rhs;
        } else {
            (*wrong)++;
        }
        i = (size_t)(end - line);
    }
    if (n || *wrong) return n + *wrong;
    const char *eq = memchr(line, '=', len);
    double v;
    int ok = eq ? check_equation(line, len, (size_t)(eq - line), &v) : -1;
    if (ok < 0) return 0;
    if (ok && cap > 0)
        vals[0] = v;
    else
        *wrong = 1;
    return 1;
}

/* The values of the reference solution's steps: arith's step_values, else the results of
 * the worked solution's equations (GSM8K annotations). */
static int reference_values(const mm_task_item *it, double *vals, int cap) {
    if (it->nsteps > 0 && it->step_values) {
        int n = it->nsteps < cap ? it->nsteps : cap;
        memcpy(vals, it->step_values, (size_t)n * sizeof *vals);
        return n;
    }
    int n = 0;
    const char *s = it->solution ? it->solution : "";
    for (const char *p = s; *p && n < cap;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        int wrong;
        int k = line_equations(p, len, vals + n, cap - n, &wrong);
        n += k - wrong;
        p += len + (nl != NULL);
    }
    return n;
}

/* Reward of one line (a step): the final-answer line earns 1 when the answer is right; an
 * equation line earns 1 when its arithmetic is right and its result is a step of the
 * reference solution not credited before (used[] marks those); every other line 0.  So true
 * but useless equations ("1 + 1 = 2"), or a right step said twice, earn nothing. */
static double line_reward(const mm_task_item *it, const char *line, size_t len, const double *ref,
                          int nref, unsigned char *used) {
    size_t off, alen;
    if (mm_answer_extract(line, len, 0, &off, &alen) != MM_ANSWER_NONE)
        return mm_task_check(it, line + off, alen);
    double vals[16];
    int wrong, n = line_equations(line, len, vals, 16, &wrong);
    if (n == 0 || wrong) return 0;
    for (int k = 0; k < n && k < 16; k++)
        for (int j = 0; j < nref; j++)
            if (!used[j] && mm_task_same_number(vals[k], ref[j])) {
                used[j] = 1;
                return 1;
            }
    return 0;
}

int mm_task_steps(const mm_task_item *it, const char *out, size_t n, mm_task_step *steps, int cap) {
    if (n == 0 || cap <= 0) return 0;
    double ref[64];
    unsigned char used[64] = {0};
    int nref = reference_values(it, ref, 64), ns = 0;
    for (size_t b = 0; b < n;) {
        const char *nl = memchr(out + b, '\n', n - b);
        size_t e = nl ? (size_t)(nl - out) + 1 : n;
        size_t len = nl ? e - b - 1 : e - b;
        double r = line_reward(it, out + b, len, ref, nref, used);
        if (ns == cap) { /* merged into the last step: it keeps the minimum reward */
            steps[ns - 1].end = e;
            if (r < steps[ns - 1].reward) steps[ns - 1].reward = r;
        } else {
            steps[ns++] = (mm_task_step){b, e, r};
        }
        b = e;
    }
    return ns;
}
