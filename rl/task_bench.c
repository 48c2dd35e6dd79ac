/* rl/task_bench.c — the `jsonl` (alias `bench`) task: every benchmark format of
 * ../shared/benchmarks, told apart by file extension and then by field names.
 *
 *   .jsonl  one object a line.  Question: "question" | "problem" | "input" | "prompt" |
 *           messages[0].content, after "passage"/"body"/"Body" when present.  Options (multiple
 *           choice): "options" as a list (AGIEval, MMLU-STEM) or one string (MathQA, SAT).
 *           Gold: the option letter in "label" | "correct" | "answer" | "Answer"; else
 *           "answer" (after its "####" for GSM8K) | "golden" | "target" | "Answer"; else the
 *           last \boxed{} of "solution" (MATH), else the marked answer of the response.
 *           Worked solution: "solution" | "rationale" | "response" (prompt/response SFT
 *           data) | other.solution | GSM8K's "answer".
 *   .json   a JSON array of such objects (SVAMP: "Body" + "Question", "Answer", "Equation").
 *   .xml    ASDiv: <Problem> elements with <Body>, <Question>, <Answer>, <Formula>.
 *   .csv    MMLU: question, four options, the letter; no header.
 * A record without a question or a gold answer is counted (mm_task_skipped) and skipped. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "rl/answer.h"
#include "rl/task_internal.h"

/* One record in plain strings, before it becomes an item. */
typedef struct rec {
    mm_buf q, sol, gold;
    int nopts;
} rec;

static void rec_clear(rec *r) {
    mm_buf_clear(&r->q), mm_buf_clear(&r->sol), mm_buf_clear(&r->gold);
    r->nopts = 0;
}

static void rec_free(rec *r) {
    mm_buf_free(&r->q), mm_buf_free(&r->sol), mm_buf_free(&r->gold);
}

static char *dup_buf(const mm_buf *b) {
    return mm_strndup(b->len ? b->data : "", b->len);
}

/* The worked solution an item trains on: the record's own, with its final answer marked, or
 * just the marked answer when the benchmark has no solution. */
static mm_err solution_text(rec *r) {
    if (r->sol.len) {
        size_t off, len;
        if (mm_answer_extract(r->sol.data, r->sol.len, 0, &off, &len) != MM_ANSWER_NONE)
            return MM_OK;
        MM_TRY(mm_buf_puts(&r->sol, "\n"));
    }
    if (r->nopts > 0) return mm_buf_printf(&r->sol, "The answer is (%s).", r->gold.data);
    return mm_buf_printf(&r->sol, "The answer is %s.", r->gold.data);
}

static mm_err push_rec(mm_task *t, mm_task_list *l, rec *r) {
    size_t b = 0;
    while (r->gold.len && isspace((unsigned char)r->gold.data[r->gold.len - 1]))
        r->gold.data[--r->gold.len] = 0;
    while (b < r->gold.len && isspace((unsigned char)r->gold.data[b]))
        b++;
    if (r->q.len == 0 || r->gold.len == b) {
        t->skipped++;
        return MM_OK;
    }
    if (b) memmove(r->gold.data, r->gold.data + b, r->gold.len - b + 1), r->gold.len -= b;
    MM_TRY(solution_text(r));
    double v;
    size_t k = mm_task_parse_number(r->gold.data, r->gold.len, &v);
    double answer = r->nopts == 0 && k == r->gold.len ? v : NAN;
    mm_task_item it = {dup_buf(&r->q), dup_buf(&r->sol),  answer,   0,
                       NULL,           dup_buf(&r->gold), r->nopts, NULL};
    if (!it.question || !it.solution || !it.gold) {
        free(it.question), free(it.solution), free(it.gold);
        return mm_fail(MM_ERR_NOMEM, "task item");
    }
    return mm_task_list_push(l, it);
}

/* ---- JSON records ---- */

static const char *str_or_num(const mm_json *o, const char *key) {
    const mm_json *v = mm_json_get(o, key);
    if (!v) return NULL;
    if (v->type == MM_JSON_STR) return v->str;
    if (v->type == MM_JSON_NUM) return v->str;
    return NULL;
}

static const char *first_of(const mm_json *o, const char *const *keys) {
    for (; *keys; keys++) {
        const char *s = str_or_num(o, *keys);
        if (s && *s) return s;
    }
    return NULL;
}

/* Options as text appended to the question; returns their number. */
static mm_err add_options(const mm_json *o, rec *r) {
    const mm_json *opts = mm_json_get(o, "options");
    if (!opts) return MM_OK;
    if (opts->type == MM_JSON_STR) {
        MM_TRY(mm_buf_printf(&r->q, "\n%s", opts->str));
        for (int k = 0; k < 26; k++) { /* "A)", "a )": the highest letter present */
            char up[3] = {(char)('A' + k), ')', 0}, lo[4] = {(char)('a' + k), ' ', ')', 0};
            if (strstr(opts->str, up) || strstr(opts->str, lo)) r->nopts = k + 1;
        }
        if (r->nopts == 0) r->nopts = 5;
        return MM_OK;
    }
    if (opts->type != MM_JSON_ARR) return MM_OK;
    int k = 0;
    for (const mm_json *c = opts->child; c && k < 26; c = c->next, k++) {
        const char *s = c->type == MM_JSON_STR ? c->str : "";
        int lettered = s[0] == '(' && s[1] == 'A' + k && s[2] == ')';
        if (lettered)
            MM_TRY(mm_buf_printf(&r->q, "\n%s", s));
        else
            MM_TRY(mm_buf_printf(&r->q, "\n(%c) %s", 'A' + k, s));
    }
    r->nopts = k;
    return MM_OK;
}

static mm_err question_of(const mm_json *o, rec *r) {
    static const char *const QK[] = {"question", "problem", "input", "Question",
                                     "Problem",  "prompt",  NULL};
    static const char *const CTX[] = {"passage", "body", "Body", NULL};
    const char *ctx = first_of(o, CTX), *q = first_of(o, QK);
    const mm_json *msgs = mm_json_get(o, "messages");
    if (!q && msgs && msgs->type == MM_JSON_ARR && msgs->child)
        q = mm_json_get_str(msgs->child, "content", NULL);
    if (!q || !*q) return MM_OK;
    if (ctx) {
        MM_TRY(mm_buf_puts(&r->q, ctx));
        size_t n = r->q.len;
        MM_TRY(mm_buf_puts(&r->q, n && r->q.data[n - 1] != '.' ? ". " : " "));
    }
    MM_TRY(mm_buf_puts(&r->q, q));
    return add_options(o, r);
}

static mm_err gold_of(const mm_json *o, rec *r) {
    static const char *const LETTER[] = {"label", "correct", "answer", "Answer", NULL};
    static const char *const FREE[] = {"answer", "golden", "target", "Answer", NULL};
    static const char *const SOL[] = {"solution", "rationale", "response", NULL};
    const char *sol = first_of(o, SOL);
    const mm_json *other = mm_json_get(o, "other");
    if (!sol && other && other->type == MM_JSON_OBJ) sol = mm_json_get_str(other, "solution", NULL);
    const char *g = first_of(o, r->nopts ? LETTER : FREE);
    if (!r->nopts && g && strstr(g, "####")) { /* GSM8K: the answer is the worked solution */
        if (!sol) sol = g;
        g = strstr(g, "####") + 4;
    }
    if (sol) MM_TRY(mm_buf_puts(&r->sol, sol));
    if (g) return mm_buf_puts(&r->gold, g);
    size_t off, len;
    if (sol && !r->nopts && mm_answer_boxed(sol, strlen(sol), &off, &len))
        return mm_buf_append(&r->gold, sol + off, len);
    /* prompt/response data: the response's marked answer */
    if (sol && !r->nopts && mm_answer_extract(sol, strlen(sol), 0, &off, &len) != MM_ANSWER_NONE)
        return mm_buf_append(&r->gold, sol + off, len);
    return MM_OK;
}

static mm_err json_record(mm_task *t, mm_task_list *l, const mm_json *o, rec *r) {
    rec_clear(r);
    if (o->type != MM_JSON_OBJ) {
        t->skipped++;
        return MM_OK;
    }
    MM_TRY(question_of(o, r));
    MM_TRY(gold_of(o, r));
    return push_rec(t, l, r);
}

static mm_err read_jsonl(mm_task *t, const char *path, mm_task_list *l, rec *r) {
    mm_lines *in;
    MM_TRY(mm_lines_open(path, 1u << 22, &in));
    const char *line;
    size_t len;
    mm_err e = MM_OK;
    while (e == MM_OK && mm_lines_next(in, &line, &len, &e) == 1) {
        if (len == 0) continue;
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse(line, len, &doc, &root) != MM_OK) {
            t->skipped++;
            continue;
        }
        e = json_record(t, l, root, r);
        mm_json_doc_free(doc);
    }
    mm_lines_close(in);
    return e;
}

static mm_err read_json_array(mm_task *t, const char *path, mm_task_list *l, rec *r) {
    mm_json_doc *doc;
    mm_json *root;
    MM_TRY(mm_json_parse_file(path, &doc, &root));
    mm_err e = MM_OK;
    if (root->type != MM_JSON_ARR)
        e = mm_fail(MM_ERR_FORMAT, "%s: byte 0: a .json benchmark must be an array of objects",
                    path);
    for (const mm_json *c = root->child; c && e == MM_OK; c = c->next)
        e = json_record(t, l, c, r);
    mm_json_doc_free(doc);
    return e;
}

/* ---- ASDiv XML ---- */

/* Append the text of <tag>...</tag> found in [s, end), entities decoded. */
static mm_err xml_field(const char *s, const char *end, const char *tag, mm_buf *out) {
    char open[32], close[32];
    snprintf(open, sizeof open, "<%s>", tag), snprintf(close, sizeof close, "</%s>", tag);
    const char *a = s;
    size_t ol = strlen(open);
    while (a + ol <= end && memcmp(a, open, ol))
        a++;
    if (a + ol > end) return MM_OK;
    a += ol;
    static const char *const ENT[][2] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
    for (const char *p = a; p < end && memcmp(p, close, strlen(close));) {
        size_t k = 0;
        for (size_t j = 0; j < 5 && !k; j++)
            if (!strncmp(p, ENT[j][0], strlen(ENT[j][0]))) {
                MM_TRY(mm_buf_puts(out, ENT[j][1]));
                k = strlen(ENT[j][0]);
            }
        if (!k) {
            MM_TRY(mm_buf_putc(out, *p));
            k = 1;
        }
        p += k;
    }
    return MM_OK;
}

static mm_err read_xml(mm_task *t, const char *path, mm_task_list *l, rec *r) {
    mm_buf f = {0};
    MM_TRY(mm_read_file(path, &f));
    mm_err e = MM_OK;
    const char *p = f.data, *end = f.data + f.len;
    while (e == MM_OK && p && (p = strstr(p, "<Problem "))) {
        const char *q = strstr(p, "</Problem>");
        if (!q) {
            t->skipped++;
            break;
        }
        rec_clear(r);
        mm_buf body = {0};
        e = xml_field(p, q, "Body", &body);
        if (e == MM_OK && body.len) e = mm_buf_printf(&r->q, "%s ", body.data);
        mm_buf_free(&body);
        if (e == MM_OK) e = xml_field(p, q, "Question", &r->q);
        if (e == MM_OK) e = xml_field(p, q, "Answer", &r->gold);
        if (e == MM_OK) e = xml_field(p, q, "Formula", &r->sol);
        if (e == MM_OK) e = push_rec(t, l, r);
        p = q < end ? q + 1 : NULL;
    }
    mm_buf_free(&f);
    return e;
}

/* ---- MMLU CSV ---- */

/* One RFC 4180 field at s[*i] into out; returns the byte after it (',' or '\n' consumed). */
static size_t csv_field(const char *s, size_t n, size_t i, mm_buf *out, int *eol, mm_err *e) {
    *eol = 0;
    if (i < n && s[i] == '"') {
        for (i++; i < n; i++) {
            if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
                *e = mm_buf_putc(out, '"'), i++;
            else if (s[i] == '"')
                break;
            else
                *e = mm_buf_putc(out, s[i]);
        }
        i++;
    } else {
        for (; i < n && s[i] != ',' && s[i] != '\n' && s[i] != '\r'; i++)
            *e = mm_buf_putc(out, s[i]);
    }
    if (i < n && s[i] == '\r') i++;
    if (i >= n || s[i] == '\n') *eol = 1;
    return i + 1;
}

static mm_err read_csv(mm_task *t, const char *path, mm_task_list *l, rec *r) {
    mm_buf f = {0}, field = {0};
    MM_TRY(mm_read_file(path, &f));
    mm_err e = MM_OK;
    for (size_t i = 0; i < f.len && e == MM_OK;) {
        rec_clear(r);
        int col = 0, eol = 0;
        for (; !eol && i < f.len && e == MM_OK; col++) {
            mm_buf_clear(&field);
            i = csv_field(f.data, f.len, i, &field, &eol, &e);
            const char *v = field.len ? field.data : "";
            if (col == 0)
                e = mm_buf_puts(&r->q, v);
            else if (col <= 4)
                e = mm_buf_printf(&r->q, "\n(%c) %s", 'A' + col - 1, v);
            else if (col == 5)
                e = mm_buf_puts(&r->gold, v);
        }
        if (e != MM_OK) break;
        if (col != 6) {
            t->skipped++;
            continue;
        }
        r->nopts = 4;
        e = push_rec(t, l, r);
    }
    mm_buf_free(&f), mm_buf_free(&field);
    return e;
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

static mm_err read_file_items(mm_task *t, const char *path, mm_task_list *l) {
    rec r = {0};
    mm_err e = ends_with(path, ".json")  ? read_json_array(t, path, l, &r)
               : ends_with(path, ".xml") ? read_xml(t, path, l, &r)
               : ends_with(path, ".csv") ? read_csv(t, path, l, &r)
                                         : read_jsonl(t, path, l, &r);
    rec_free(&r);
    if (e == MM_OK && l->n == 0)
        e = mm_fail(MM_ERR_FORMAT, "%s: no record with a question and a gold answer", path);
    return e;
}

mm_err mm_task_jsonl_create(const char *train_path, const char *test_path, mm_task **out) {
    *out = NULL;
    mm_task *t = mm_calloc(1, sizeof *t);
    if (!t) return MM_ERR_NOMEM;
    t->name = "jsonl";
    mm_err e = read_file_items(t, test_path, &t->split[MM_TASK_TEST]);
    if (e == MM_OK && train_path) e = read_file_items(t, train_path, &t->split[MM_TASK_TRAIN]);
    if (e != MM_OK) {
        mm_task_free(t);
        return e;
    }
    *out = t;
    return MM_OK;
}
