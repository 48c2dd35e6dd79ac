/* common/report_html.c — the page of `mathmine report` (common/report.h): one section per
 * stage present, tables and inline SVG charts, CSS in the head, no script.
 *
 * Every section starts with <section id="ID">; the ids are listed in mm_report_info so a test
 * (and a reader of the stats) knows which sections a run produced. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/io.h"
#include "common/json.h"
#include "common/report_int.h"
#include "common/svg.h"

static int cmp_str_ptr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with_s(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !memcmp(s + n - m, suf, m);
}

/* ---- small writers ---------------------------------------------------------------------- */

static void escn(mm_buf *b, const char *s, size_t n) {
    for (size_t i = 0; s && i < n && s[i]; i++) {
        char c = s[i];
        if (c == '<')
            mm_buf_puts(b, "&lt;");
        else if (c == '>')
            mm_buf_puts(b, "&gt;");
        else if (c == '&')
            mm_buf_puts(b, "&amp;");
        else if (c == '"')
            mm_buf_puts(b, "&quot;");
        else if ((unsigned char)c < 0x20 && c != '\n' && c != '\t')
            mm_buf_putc(b, ' ');
        else
            mm_buf_putc(b, c);
    }
}

static void esc(mm_buf *b, const char *s) {
    escn(b, s, s ? strlen(s) : 0);
}

/* A count with thousands separators ("1,234,567"); "–" when unknown (negative). */
static void count(mm_buf *b, double v) {
    if (!(v >= 0) || !isfinite(v)) {
        mm_buf_puts(b, "&ndash;");
        return;
    }
    char d[32];
    int n = snprintf(d, sizeof d, "%.0f", v);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) mm_buf_putc(b, ',');
        mm_buf_putc(b, d[i]);
    }
}

static void bytes(mm_buf *b, double v) {
    if (!(v >= 0))
        mm_buf_puts(b, "&ndash;");
    else if (v < 1e6)
        mm_buf_printf(b, "%.1f KB", v / 1e3);
    else if (v < 1e9)
        mm_buf_printf(b, "%.1f MB", v / 1e6);
    else
        mm_buf_printf(b, "%.2f GB", v / 1e9);
}

static void num(mm_buf *b, double v, const char *fmt) {
    if (!isfinite(v) || v < 0)
        mm_buf_puts(b, "&ndash;");
    else
        mm_buf_printf(b, fmt, v);
}

static void section(rp_run *r, mm_buf *b, const char *id, const char *title) {
    mm_report_info *in = r->info;
    if (in->nsections < MM_REPORT_MAX_SECTIONS) in->sections[in->nsections++] = id;
    mm_buf_printf(b, "<section id=\"%s\">\n<h2>", id);
    esc(b, title);
    mm_buf_puts(b, "</h2>\n");
}

static void td_count(mm_buf *b, double v) {
    mm_buf_puts(b, "<td class=n>");
    count(b, v);
    mm_buf_puts(b, "</td>");
}

static void td_text(mm_buf *b, const char *s) {
    mm_buf_puts(b, "<td>");
    esc(b, s);
    mm_buf_puts(b, "</td>");
}

/* ---- the funnel ------------------------------------------------------------------------- */

typedef struct fstep {
    char label[160];
    double docs, bytes, tokens;
    bool side; /* a branch the next steps did not read (they saw more documents) */
} fstep;

static void step(fstep *f, size_t *n, const char *label, double docs, double bytes, double tokens) {
    if (docs < 0 || *n >= 16) return;
    snprintf(f[*n].label, sizeof f[*n].label, "%s", label);
    f[*n].docs = docs, f[*n].bytes = bytes, f[*n].tokens = tokens, f[*n].side = false;
    (*n)++;
}

/* The documents a dedup stage kept: its filter's count (a pipeline's filter stage, or the
 * command run whole). */
static void dedup_steps(const rp_run *r, fstep *f, size_t *n) {
    static const char *const names[] = {"url", "exact"};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < r->nst; i++) {
            const rp_stage *s = &r->st[i];
            double kept = rp_get(s, "filter.kept", -1);
            if (s->kind != RK_DEDUP || kept < 0 || !strstr(s->name, names[k])) continue;
            char label[96];
            snprintf(label, sizeof label, "after %s dedup", k ? "exact" : "URL");
            step(f, n, label, kept, -1, -1);
            break;
        }
    for (size_t i = 0; i < r->nst; i++) {
        const rp_stage *s = &r->st[i];
        double kept = rp_get(s, "filter.kept", -1);
        if (s->kind == RK_MINHASH && kept >= 0) {
            step(f, n, "after MinHash near-dedup", kept, -1, -1);
            break;
        }
    }
}

/* The last iteration's collected pages of an iterate work folder, or -1. */
static double iterate_collected(const rp_run *r, double *tokens, int *iter) {
    if (!r->iterate_dirs.n) return -1;
    char p[4200];
    snprintf(p, sizeof p, "%s/report.json", r->iterate_dirs.v[r->iterate_dirs.n - 1]);
    mm_json_doc *doc;
    mm_json *root;
    if (mm_json_parse_file(p, &doc, &root) != MM_OK) return mm_error_clear(), -1;
    const mm_json *it = mm_json_get(root, "iterations");
    double c = -1;
    for (const mm_json *x = it ? it->child : NULL; x; x = x->next) {
        c = mm_json_get_num(x, "collected", -1);
        *tokens = mm_json_get_num(x, "collected_tokens", -1);
        *iter = (int)mm_json_get_num(x, "iter", 0);
    }
    mm_json_doc_free(doc);
    return c;
}

static size_t funnel_steps(const rp_run *r, fstep *f) {
    size_t n = 0;
    const rp_stage *x = rp_find(r, RK_EXTRACT, NULL);
    if (x) {
        step(f, &n, "WARC records", rp_get(x, "records", -1), rp_get(x, "bytes_in", -1), -1);
        step(f, &n, "HTTP responses", rp_get(x, "responses", -1), -1, -1);
        step(f, &n, "HTML pages", rp_get(x, "html", -1), rp_get(x, "html_bytes", -1), -1);
        char label[160];
        snprintf(label, sizeof label, "extracted (language filter dropped %.0f, too short %.0f)",
                 rp_get(x, "skipped.lang", 0), rp_get(x, "skipped.min_chars", 0));
        step(f, &n, label, rp_get(x, "extracted", -1), rp_get(x, "bytes_out", -1), -1);
    }
    double tok = -1;
    int iter = 0;
    double col = iterate_collected(r, &tok, &iter);
    const rp_stage *sel = rp_find(r, RK_SELECT, NULL);
    if (col >= 0) {
        char label[96];
        snprintf(label, sizeof label, "math-classified (iteration %d)", iter);
        step(f, &n, label, col, -1, tok);
    } else if (sel) {
        step(f, &n, "math-classified (selected)", rp_get(sel, "selected", -1), -1,
             rp_get(sel, "tokens_selected", -1));
    }
    dedup_steps(r, f, &n);
    const rp_stage *dc = rp_find(r, RK_DECONTAM, NULL);
    if (dc)
        step(f, &n, "after decontamination",
             rp_get(dc, "docs_in", -1) - rp_get(dc, "docs_removed", 0), -1, -1);
    const rp_stage *tk = rp_find(r, RK_TOKENS, NULL);
    if (tk)
        step(f, &n, "tokenized (train + val)", rp_get(tk, "documents", -1),
             rp_get(tk, "input_bytes", -1),
             rp_get(tk, "train_tokens", 0) + rp_get(tk, "val_tokens", 0));
    return n;
}

static void render_funnel(rp_run *r, mm_buf *b) {
    fstep f[16];
    size_t n = funnel_steps(r, f);
    if (!n) return;
    section(r, b, "funnel", "Funnel: what each step kept");
    double top = 0;
    for (size_t i = 0; i < n; i++)
        top = fmax(top, f[i].docs);
    mm_buf_puts(b, "<table><tr><th>step</th><th>documents</th><th>bytes</th><th>tokens</th>"
                   "<th>kept of previous</th><th>of first</th><th></th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        mm_buf_puts(b, "<tr>");
        td_text(b, f[i].label);
        td_count(b, f[i].docs);
        mm_buf_puts(b, "<td class=n>");
        bytes(b, f[i].bytes);
        mm_buf_puts(b, "</td>");
        td_count(b, f[i].tokens);
        mm_buf_puts(b, "<td class=n>");
        size_t p = i;
        while (p > 0 && f[--p].side)
            continue;
        if (i && p < i && !f[p].side && f[p].docs > 0)
            mm_buf_printf(b, "%.1f%%", 100 * f[i].docs / f[p].docs);
        mm_buf_puts(b, "</td><td class=n>");
        if (f[0].docs > 0) mm_buf_printf(b, "%.2f%%", 100 * f[i].docs / f[0].docs);
        mm_buf_printf(b, "</td><td class=bar><div style=\"width:%.1f%%\"></div></td></tr>\n",
                      top > 0 ? 100 * f[i].docs / top : 0);
    }
    mm_buf_puts(b,
                "</table>\n<p class=note>Counts come from each stage's stats; a step whose stage "
                "did not run is absent.</p>\n</section>\n");
}

/* ---- per stage: speed, resources, failures ---------------------------------------------- */

static double first_of(const rp_stage *s, const char *const *keys, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double v = rp_get(s, keys[i], -1);
        if (v >= 0) return v;
    }
    return -1;
}

static double stage_docs(const rp_stage *s) {
    static const char *const k[] = {"docs_in",       "records",     "docs",     "rows",
                                    "documents",     "filter.docs", "map.docs", "signatures.docs",
                                    "clusters.docs", "merge.docs",  "pos_docs", "n"};
    return first_of(s, k, sizeof k / sizeof *k);
}

static double stage_bytes(const rp_stage *s) {
    static const char *const k[] = {
        "bytes_in",          "text_bytes",     "input_bytes",          "bytes",
        "filter.text_bytes", "map.text_bytes", "signatures.text_bytes"};
    return s->marker && s->in_bytes > 0 ? s->in_bytes : first_of(s, k, sizeof k / sizeof *k);
}

/* Wall seconds: the markers' sum, else the stats' own (dedup nests one per sub-stage). */
static double stage_seconds(const rp_stage *s) {
    if (s->marker) return s->wall_s;
    static const char *const k[] = {"seconds", "train_seconds"};
    double v = first_of(s, k, 2);
    if (v >= 0) return v;
    double sum = -1;
    for (size_t i = 0; i < s->nkv; i++) {
        const char *dot = strchr(s->kv[i].key, '.');
        if (dot && (!strcmp(dot, ".seconds") || !strcmp(dot, "._s")))
            sum = (sum < 0 ? 0 : sum) + s->kv[i].v;
    }
    if (sum < 0 && rp_get(s, "scan_s", -1) >= 0)
        sum = rp_get(s, "scan_s", 0) + rp_get(s, "benchmark_load_s", 0);
    return sum;
}

static double stage_failures(const rp_stage *s, mm_buf *why) {
    static const char *const k[] = {"files_failed",         "shards_failed", "bad_lines",
                                    "broken_lines_skipped", "bad_records",   "files_skipped"};
    double total = s->failed;
    if (s->failed) mm_buf_printf(why, "%u task(s) failed; ", s->failed);
    for (size_t i = 0; i < s->nkv; i++) {
        const char *key = s->kv[i].key, *dot = strrchr(key, '.');
        const char *leaf = dot ? dot + 1 : key;
        for (size_t j = 0; j < sizeof k / sizeof *k; j++)
            if (!strcmp(leaf, k[j]) && s->kv[i].v > 0) {
                total += s->kv[i].v;
                mm_buf_printf(why, "%s %.0f; ", key, s->kv[i].v);
            }
    }
    return total;
}

static const char *kind_name(rk_kind k) {
    static const char *const names[] = {"",
                                        "extract",
                                        "classify score",
                                        "select",
                                        "classify train",
                                        "classify eval",
                                        "dedup",
                                        "dedup minhash",
                                        "decontaminate",
                                        "shard",
                                        "eval"};
    return names[k];
}

static void render_stages(rp_run *r, mm_buf *b) {
    if (!r->nst) return;
    section(r, b, "stages", "Stages: speed, resources, failures");
    mm_buf_puts(b, "<table><tr><th>stage</th><th>command</th><th>tasks</th><th>documents</th>"
                   "<th>input</th><th>wall s</th><th>CPU-hours</th><th>docs/s</th>"
                   "<th>docs/s per core</th><th>MB/s per core</th><th>peak RSS</th>"
                   "<th>failures</th></tr>\n");
    mm_buf why = {0};
    for (size_t i = 0; i < r->nst; i++) {
        const rp_stage *s = &r->st[i];
        double docs = stage_docs(s), by = stage_bytes(s), sec = stage_seconds(s);
        double cpu = s->marker ? s->cpu_s : -1;
        double rss = s->marker ? s->rss_kb : first_of(s, (const char *const[]){"max_rss_kb"}, 1);
        mm_buf_puts(b, "<tr>");
        td_text(b, s->name);
        td_text(b, kind_name(s->kind));
        mm_buf_printf(b, "<td class=n>%u</td>", s->tasks);
        td_count(b, docs);
        mm_buf_puts(b, "<td class=n>");
        bytes(b, by);
        mm_buf_puts(b, "</td><td class=n>");
        num(b, sec, "%.2f");
        mm_buf_puts(b, "</td><td class=n>");
        num(b, cpu >= 0 ? cpu / 3600 : -1, "%.4f");
        mm_buf_puts(b, "</td><td class=n>");
        num(b, docs >= 0 && sec > 0 ? docs / sec : -1, "%.1f");
        mm_buf_puts(b, "</td><td class=n>");
        num(b, docs >= 0 && cpu > 0 ? docs / cpu : -1, "%.1f");
        mm_buf_puts(b, "</td><td class=n>");
        num(b, by >= 0 && cpu > 0 ? by / 1e6 / cpu : -1, "%.2f");
        mm_buf_puts(b, "</td><td class=n>");
        rss >= 0 ? bytes(b, rss * 1024) : (void)mm_buf_puts(b, "&ndash;");
        mm_buf_clear(&why);
        double fails = stage_failures(s, &why);
        mm_buf_printf(b, "</td><td class=\"%s\">", fails > 0 ? "bad" : "n");
        if (fails > 0)
            esc(b, why.data);
        else
            mm_buf_puts(b, "0");
        for (size_t k = 0; k < s->nfail; k++) {
            mm_buf_puts(b, "<br><code>");
            esc(b, s->fail[k]);
            mm_buf_puts(b, "</code>");
        }
        mm_buf_puts(b, "</td></tr>\n");
    }
    mm_buf_free(&why);
    mm_buf_puts(b, "</table>\n<p class=note>Per-core rates and CPU-hours need the CPU time that "
                   "<code>mathmine run</code> records in its task markers; for a command run by "
                   "hand only wall-clock rates are known.</p>\n</section>\n");
}

/* ---- extraction ------------------------------------------------------------------------- */

typedef struct tally {
    char key[48];
    double n;
} tally;

/* Count `v` for `key`; past cap - 1 distinct keys the last slot is "other". */
static void tally_add(tally *t, size_t *n, size_t cap, const char *key, double v) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t[i].key, key)) {
            t[i].n += v;
            return;
        }
    if (*n == cap) {
        t[cap - 1].n += v;
        return;
    }
    snprintf(t[*n].key, sizeof t[*n].key, "%s", *n == cap - 1 ? "other" : key);
    t[(*n)++].n = v;
}

static int cmp_tally(const void *a, const void *b) {
    const tally *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->key, y->key);
}

/* The folder the extraction wrote: "docs" when there is one, else the first shard folder. */
static const char *extract_dir(const rp_run *r) {
    for (size_t i = 0; i < r->shard_dirs.n; i++) {
        const char *s = strrchr(r->shard_dirs.v[i], '/');
        if (s && !strcmp(s, "/docs")) return r->shard_dirs.v[i];
    }
    return r->shard_dirs.n ? r->shard_dirs.v[0] : NULL;
}

typedef void (*doc_fn)(void *ud, const mm_json *doc);

/* Call fn on up to `max` documents of the shards in `dir` (the first `per_shard` of each). */
static uint64_t each_doc(const char *dir, uint64_t max, uint64_t per_shard, doc_fn fn, void *ud);

typedef struct langs {
    tally lang[24], kind[12];
    size_t nlang, nkind;
    uint64_t docs, math;
} langs;

static void lang_doc(void *ud, const mm_json *d) {
    langs *l = ud;
    tally_add(l->lang, &l->nlang, 24, mm_json_get_str(d, "lang", "?"), 1);
    tally_add(l->kind, &l->nkind, 12, mm_json_get_str(d, "source", "?"), 1);
    const mm_json *m = mm_json_get(d, "math");
    l->math += m && m->type == MM_JSON_OBJ && m->len > 0;
    l->docs++;
}

static void tally_table(mm_buf *b, const char *what, tally *t, size_t n, double total) {
    qsort(t, n, sizeof *t, cmp_tally);
    mm_buf_printf(b, "<table class=small><tr><th>%s</th><th>documents</th><th>share</th></tr>\n",
                  what);
    for (size_t i = 0; i < n; i++) {
        mm_buf_puts(b, "<tr>");
        td_text(b, t[i].key);
        td_count(b, t[i].n);
        mm_buf_printf(b, "<td class=n>%.1f%%</td></tr>\n", total > 0 ? 100 * t[i].n / total : 0);
    }
    mm_buf_puts(b, "</table>\n");
}

static void render_extraction(rp_run *r, mm_buf *b) {
    const rp_stage *x = rp_find(r, RK_EXTRACT, NULL);
    if (!x) return;
    section(r, b, "extraction", "Extraction: math forms, languages, page kinds");
    mm_buf_puts(b, "<p>");
    count(b, rp_get(x, "math_docs", -1));
    mm_buf_puts(b, " of ");
    count(b, rp_get(x, "extracted", -1));
    mm_buf_puts(b, " extracted documents carry math markup.</p>\n");
    mm_buf_puts(b, "<div class=row><div><h3>Math markup: found and written</h3>"
                   "<table class=small><tr><th>form</th><th>found</th><th>written</th></tr>\n");
    for (size_t i = 0; i < x->nkv; i++) {
        if (strncmp(x->kv[i].key, "math_found.", 11)) continue;
        const char *form = x->kv[i].key + 11;
        char wk[128];
        snprintf(wk, sizeof wk, "math_written.%s", form);
        mm_buf_puts(b, "<tr>");
        td_text(b, form);
        td_count(b, x->kv[i].v);
        td_count(b, rp_get(x, wk, -1));
        mm_buf_puts(b, "</tr>\n");
    }
    mm_buf_puts(b, "</table></div>\n<div><h3>Records skipped, by reason</h3><table class=small>"
                   "<tr><th>reason</th><th>records</th></tr>\n");
    for (size_t i = 0; i < x->nkv; i++)
        if (!strncmp(x->kv[i].key, "skipped.", 8)) {
            mm_buf_puts(b, "<tr>");
            td_text(b, x->kv[i].key + 8);
            td_count(b, x->kv[i].v);
            mm_buf_puts(b, "</tr>\n");
        }
    mm_buf_puts(b, "</table></div>\n");
    const char *dir = extract_dir(r);
    langs l = {0};
    if (dir) each_doc(dir, r->o.scan_docs, UINT64_MAX, lang_doc, &l);
    if (l.docs) {
        mm_buf_puts(b, "<div><h3>Languages</h3>");
        tally_table(b, "language", l.lang, l.nlang, (double)l.docs);
        mm_buf_puts(b, "</div><div><h3>Page kinds</h3>");
        tally_table(b, "source", l.kind, l.nkind, (double)l.docs);
        mm_buf_printf(b, "<p>with math: %.1f%%</p></div>", 100.0 * l.math / l.docs);
    }
    mm_buf_puts(b, "</div>\n");
    if (l.docs) {
        mm_buf_printf(b, "<p class=note>Languages and page kinds from %llu documents of <code>",
                      (unsigned long long)l.docs);
        esc(b, rp_rel(r, dir));
        mm_buf_puts(b, "</code>.</p>\n");
    }
    mm_buf_puts(b, "</section>\n");
}

/* ---- classifier ------------------------------------------------------------------------- */

static void kv_table(mm_buf *b, const rp_stage *s, const char *const *keys, size_t n) {
    mm_buf_puts(b, "<table class=small>");
    for (size_t i = 0; i < n; i++) {
        double v = rp_get(s, keys[i], NAN);
        if (isnan(v)) continue;
        mm_buf_puts(b, "<tr>");
        td_text(b, keys[i]);
        mm_buf_printf(b, "<td class=n>%.4g</td></tr>", v);
    }
    mm_buf_puts(b, "</table>\n");
}

static void render_classifier(rp_run *r, mm_buf *b) {
    const rp_stage *t = rp_find(r, RK_TRAIN, NULL), *e = rp_find(r, RK_EVALCLS, NULL),
                   *s = rp_find(r, RK_SELECT, NULL);
    if (!t && !e && !s) return;
    section(r, b, "classifier", "Classifier: training, held-out quality, selection");
    mm_buf_puts(b, "<div class=row>");
    static const char *const tk[] = {"pos_docs",      "neg_docs",        "vocab_words",
                                     "valid_roc_auc", "valid_precision", "valid_recall",
                                     "valid_f1",      "train_seconds"};
    static const char *const ek[] = {"pos", "neg", "roc_auc", "threshold_for_target",
                                     "recall_at_target"};
    static const char *const sk[] = {"rows",         "selected",        "cutoff",
                                     "tokens_total", "tokens_selected", "docs_written"};
    if (t) mm_buf_puts(b, "<div><h3>train</h3>"), kv_table(b, t, tk, 8), mm_buf_puts(b, "</div>");
    if (e) mm_buf_puts(b, "<div><h3>eval</h3>"), kv_table(b, e, ek, 5), mm_buf_puts(b, "</div>");
    if (s) mm_buf_puts(b, "<div><h3>select</h3>"), kv_table(b, s, sk, 6), mm_buf_puts(b, "</div>");
    mm_buf_puts(b, "</div>\n</section>\n");
}

/* ---- iterations ------------------------------------------------------------------------- */

typedef struct tsv_row {
    char *f[8];
    size_t nf;
    double sort;
} tsv_row;

static int cmp_row(const void *a, const void *b) {
    const tsv_row *x = a, *y = b;
    return x->sort < y->sort ? 1 : x->sort > y->sort ? -1 : 0;
}

/* Rows of a TSV with a header line (kept in rows[0]), sorted (but the header) by column
 * `sort_col` descending; at most `max` rows besides the header. */
static size_t read_tsv(const char *path, int sort_col, tsv_row *rows, size_t max, char **store) {
    mm_buf all = {0};
    if (mm_read_file(path, &all) != MM_OK) return mm_error_clear(), 0;
    size_t n = 0, cap = 4096;
    tsv_row *tmp = malloc(cap * sizeof *tmp);
    for (char *line = all.data, *next; tmp && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (n == cap) break;
        tsv_row *t = &tmp[n++];
        t->nf = 0;
        for (char *f = line, *tab; f && t->nf < 8; f = tab) {
            tab = strchr(f, '\t');
            if (tab) *tab++ = 0;
            t->f[t->nf++] = f;
        }
        t->sort = sort_col < (int)t->nf ? atof(t->f[sort_col]) : 0;
    }
    if (n > 1) qsort(tmp + 1, n - 1, sizeof *tmp, cmp_row);
    if (n > max + 1) n = max + 1;
    if (tmp) memcpy(rows, tmp, n * sizeof *tmp);
    free(tmp);
    *store = all.data; /* the rows point into it; the caller frees it */
    return n;
}

static void tsv_table(mm_buf *b, const char *path, int sort_col, size_t max) {
    tsv_row rows[64];
    char *store = NULL;
    size_t n = read_tsv(path, sort_col, rows, max < 63 ? max : 63, &store);
    mm_buf_puts(b, "<table class=small>");
    for (size_t i = 0; i < n; i++) {
        mm_buf_puts(b, "<tr>");
        for (size_t k = 0; k < rows[i].nf; k++) {
            mm_buf_puts(b, i ? "<td>" : "<th>");
            esc(b, rows[i].f[k]);
            mm_buf_puts(b, i ? "</td>" : "</th>");
        }
        mm_buf_puts(b, "</tr>\n");
    }
    mm_buf_puts(b, "</table>\n");
    free(store);
}

/* The highest iter-K folder (K >= 1) of an iterate work folder, or 0. */
static int last_iter(const char *dir) {
    int k = 0;
    for (int i = 1; i < 1000; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/iter-%d/domains.tsv", dir, i);
        if (!mm_file_done(p)) break;
        k = i;
    }
    return k;
}

static void iter_chart(mm_buf *b, const mm_json *its) {
    size_t n = its ? its->len : 0, i = 0;
    double *x = calloc(n + 1, sizeof *x), *col = calloc(n + 1, sizeof *x),
           *share = calloc(n + 1, sizeof *x);
    for (const mm_json *it = its ? its->child : NULL; x && col && share && it; it = it->next, i++) {
        x[i] = mm_json_get_num(it, "iter", (double)i + 1);
        col[i] = mm_json_get_num(it, "collected", NAN);
        share[i] = 100 * mm_json_get_num(it, "new_share", NAN);
    }
    if (x && col && share && i) {
        mm_svg_series s1 = {"collected pages", x, col, i}, s2 = {"new share %", x, share, i};
        mm_buf_puts(b, "<div class=row><div>");
        mm_svg_lines_buf(b, "Growth per iteration", "iteration", "pages", &s1, 1);
        mm_buf_puts(b, "</div><div>");
        mm_svg_lines_buf(b, "New share per iteration", "iteration", "% not collected before", &s2,
                         1);
        mm_buf_puts(b, "</div></div>\n");
    }
    free(x), free(col), free(share);
}

static void render_iterations(rp_run *r, mm_buf *b) {
    if (!r->iterate_dirs.n) return;
    section(r, b, "iterations", "Iterations: growth, domains, URL prefixes");
    for (size_t d = 0; d < r->iterate_dirs.n; d++) {
        const char *dir = r->iterate_dirs.v[d];
        char p[4200];
        snprintf(p, sizeof p, "%s/report.json", dir);
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse_file(p, &doc, &root) != MM_OK) {
            mm_error_clear();
            continue;
        }
        mm_buf_puts(b, "<h3>");
        esc(b, rp_rel(r, dir));
        mm_buf_puts(b,
                    "</h3>\n<table><tr><th>iteration</th><th>positives</th><th>new positives</th>"
                    "<th>collected</th><th>tokens</th><th>new share</th><th>math domains</th>"
                    "<th>gained</th><th>lost</th><th>math prefixes</th><th>cutoff</th></tr>\n");
        const mm_json *its = mm_json_get(root, "iterations");
        static const char *const keys[] = {"iter", "positives", "new_positives", "collected",
                                           "collected_tokens"};
        static const char *const keys2[] = {"math_domains", "domains_gained", "domains_lost",
                                            "math_prefixes"};
        for (const mm_json *it = its ? its->child : NULL; it; it = it->next) {
            mm_buf_puts(b, "<tr>");
            for (size_t k = 0; k < 5; k++)
                td_count(b, mm_json_get_num(it, keys[k], -1));
            mm_buf_printf(b, "<td class=n>%.1f%%</td>", 100 * mm_json_get_num(it, "new_share", 0));
            for (size_t k = 0; k < 4; k++)
                td_count(b, mm_json_get_num(it, keys2[k], -1));
            mm_buf_printf(b, "<td class=n>%.3f</td></tr>\n", mm_json_get_num(it, "cutoff", 0));
        }
        mm_buf_puts(b, "</table>\n");
        iter_chart(b, its);
        mm_json_doc_free(doc);
        int k = last_iter(dir);
        if (k) {
            mm_buf_printf(b,
                          "<div class=row><div><h3>Domains of iteration %d (by pages collected)"
                          "</h3>",
                          k);
            snprintf(p, sizeof p, "%s/iter-%d/domains.tsv", dir, k);
            tsv_table(b, p, 2, 15);
            mm_buf_printf(b,
                          "</div><div><h3>URL prefixes and the annotation decisions of "
                          "iteration %d</h3>",
                          k);
            snprintf(p, sizeof p, "%s/iter-%d/prefixes.tsv", dir, k);
            tsv_table(b, p, 2, 15);
            mm_buf_puts(b, "</div></div>\n");
        }
    }
    mm_buf_puts(b, "</section>\n");
}

/* ---- decontamination -------------------------------------------------------------------- */

typedef struct bench_row {
    char name[64];
    double texts, items, docs;
} bench_row;

static bench_row *bench_get(bench_row *t, size_t *n, size_t cap, const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t[i].name, name)) return &t[i];
    if (*n == cap) return &t[cap - 1];
    bench_row *x = &t[(*n)++];
    snprintf(x->name, sizeof x->name, "%s", name);
    x->texts = x->items = x->docs = 0;
    return x;
}

static void decontam_examples(mm_buf *b, const mm_json *removed, size_t *shown, size_t max) {
    for (const mm_json *d = removed ? removed->child : NULL; d && *shown < max; d = d->next) {
        const mm_json *m = mm_json_get(d, "matches");
        const mm_json *first = m ? m->child : NULL;
        if (!first) continue;
        mm_buf_puts(b, "<tr>");
        td_text(b, mm_json_get_str(first, "benchmark", ""));
        mm_buf_puts(b, "<td><code>");
        esc(b, mm_json_get_str(first, "ngram", ""));
        mm_buf_puts(b, "</code></td>");
        td_text(b, mm_json_get_str(d, "url", ""));
        mm_buf_puts(b, "</tr>\n");
        (*shown)++;
    }
}

static void render_decontam(rp_run *r, mm_buf *b) {
    const rp_stage *dc = rp_find(r, RK_DECONTAM, NULL);
    if (!r->decontam_reports.n && !dc) return;
    section(r, b, "decontamination", "Decontamination: removed documents per benchmark");
    if (dc) {
        mm_buf_puts(b, "<p>");
        count(b, rp_get(dc, "docs_in", 0));
        mm_buf_puts(b, " documents scanned, ");
        count(b, rp_get(dc, "docs_removed", 0));
        mm_buf_puts(b, " removed, against ");
        count(b, rp_get(dc, "benchmark_keys", 0));
        mm_buf_puts(b, " benchmark n-gram keys.</p>\n");
    }
    bench_row rows[64];
    size_t nrows = 0, shown = 0;
    mm_buf ex = {0};
    for (size_t i = 0; i < r->decontam_reports.n; i++) {
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse_file(r->decontam_reports.v[i], &doc, &root) != MM_OK) {
            mm_error_clear();
            continue;
        }
        const mm_json *bs = mm_json_get(root, "benchmarks"), *rm = mm_json_get(root, "removed");
        for (const mm_json *x = bs ? bs->child : NULL; x; x = x->next) {
            bench_row *row = bench_get(rows, &nrows, 64, mm_json_get_str(x, "name", "?"));
            row->texts += mm_json_get_num(x, "texts", 0);
            row->items += mm_json_get_num(x, "items_found", 0);
        }
        for (const mm_json *d = rm ? rm->child : NULL; d; d = d->next) {
            const mm_json *m = mm_json_get(d, "matches");
            const char *seen[16];
            size_t ns = 0;
            for (const mm_json *x = m ? m->child : NULL; x; x = x->next) {
                const char *name = mm_json_get_str(x, "benchmark", "?");
                size_t k = 0;
                while (k < ns && strcmp(seen[k], name))
                    k++;
                if (k < ns || ns == 16) continue;
                seen[ns++] = name;
                bench_get(rows, &nrows, 64, name)->docs++;
            }
        }
        decontam_examples(&ex, rm, &shown, 10);
        mm_json_doc_free(doc);
    }
    if (nrows) {
        mm_buf_puts(b, "<table><tr><th>benchmark</th><th>texts indexed</th><th>items found in the "
                       "corpus</th><th>documents removed</th></tr>\n");
        for (size_t i = 0; i < nrows; i++) {
            mm_buf_puts(b, "<tr>");
            td_text(b, rows[i].name);
            td_count(b, rows[i].texts);
            td_count(b, rows[i].items);
            td_count(b, rows[i].docs);
            mm_buf_puts(b, "</tr>\n");
        }
        mm_buf_puts(b, "</table>\n");
    }
    if (shown) {
        mm_buf_puts(b, "<h3>Matched n-grams (examples)</h3><table><tr><th>benchmark</th>"
                       "<th>n-gram</th><th>document</th></tr>\n");
        mm_buf_append(b, ex.data, ex.len);
        mm_buf_puts(b, "</table>\n");
    } else {
        mm_buf_puts(b, "<p>No document matched a benchmark.</p>\n");
    }
    mm_buf_free(&ex);
    mm_buf_puts(b, "</section>\n");
}

/* ---- samples ---------------------------------------------------------------------------- */

static uint64_t each_file(const char *path, uint64_t max, doc_fn fn, void *ud) {
    mm_lines *l;
    if (mm_lines_open(path, 64 << 20, &l) != MM_OK) return mm_error_clear(), 0;
    const char *line;
    size_t n;
    mm_err e;
    uint64_t done = 0;
    while (done < max && mm_lines_next(l, &line, &n, &e) == 1) {
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse(line, n, &doc, &root) != MM_OK) {
            mm_error_clear();
            continue;
        }
        if (root->type == MM_JSON_OBJ) fn(ud, root), done++;
        mm_json_doc_free(doc);
    }
    mm_lines_close(l);
    return done;
}

static uint64_t each_doc(const char *dir, uint64_t max, uint64_t per_shard, doc_fn fn, void *ud) {
    uint64_t done = 0;
    /* shards in name order; the folder listing is small next to the documents */
    DIR *d = opendir(dir);
    if (!d) return 0;
    rp_list names = {0};
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".jsonl.zst") && !strstr(de->d_name, ".tmp.") &&
            de->d_name[0] != '.') {
            if (names.n == names.cap) {
                size_t cap = names.cap ? names.cap * 2 : 16;
                char **v = realloc(names.v, cap * sizeof *v);
                if (!v) break;
                names.v = v, names.cap = cap;
            }
            names.v[names.n] = mm_strndup(de->d_name, strlen(de->d_name));
            if (names.v[names.n]) names.n++;
        }
    closedir(d);
    if (names.n > 1) qsort(names.v, names.n, sizeof *names.v, cmp_str_ptr);
    for (size_t i = 0; i < names.n && done < max; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, names.v[i]);
        uint64_t want = max - done < per_shard ? max - done : per_shard;
        done += each_file(p, want, fn, ud);
    }
    for (size_t i = 0; i < names.n; i++)
        free(names.v[i]);
    free(names.v);
    return done;
}

typedef struct sample_ctx {
    mm_buf *b;
    const char *reason;
} sample_ctx;

static void sample_doc(void *ud, const mm_json *d) {
    sample_ctx *c = ud;
    const char *text = mm_json_get_str(d, "text", "");
    size_t n = 0;
    for (int lines = 0; text[n] && n < 320 && lines < 4; n++)
        lines += text[n] == '\n';
    mm_buf_puts(c->b, "<div class=doc><div class=url>");
    esc(c->b, mm_json_get_str(d, "url", ""));
    mm_buf_puts(c->b, " <span class=tag>");
    esc(c->b, c->reason ? c->reason : mm_json_get_str(d, "lang", ""));
    mm_buf_puts(c->b, "</span></div><pre>");
    escn(c->b, text, n);
    mm_buf_puts(c->b, n < strlen(text) ? " …</pre></div>\n" : "</pre></div>\n");
}

/* The folder of the corpus as it stands at the end: the latest stage's output by name. */
static const char *kept_dir(const rp_run *r) {
    static const char *const pref[] = {"/clean", "/decontam",  "/minhash", "/exact",
                                       "/url",   "/collected", "/docs"};
    for (size_t p = 0; p < sizeof pref / sizeof *pref; p++)
        for (size_t i = 0; i < r->shard_dirs.n; i++)
            if (ends_with_s(r->shard_dirs.v[i], pref[p])) return r->shard_dirs.v[i];
    return r->shard_dirs.n ? r->shard_dirs.v[r->shard_dirs.n - 1] : NULL;
}

static void removed_tsv_rows(rp_run *r, mm_buf *b, size_t max) {
    size_t shown = 0;
    for (size_t i = 0; i < r->removed_tsv.n && shown < max; i++) {
        mm_buf all = {0};
        if (mm_read_file(r->removed_tsv.v[i], &all) != MM_OK) {
            mm_error_clear();
            continue;
        }
        /* the reason: the filter's folder (…/url/removed/x.tsv -> url) */
        char reason[64] = "dedup";
        const char *p = r->removed_tsv.v[i], *end = strstr(p, "/removed/");
        if (end) {
            const char *beg = end;
            while (beg > p && beg[-1] != '/')
                beg--;
            snprintf(reason, sizeof reason, "%.*s duplicate", (int)(end - beg), beg);
        }
        for (char *line = all.data, *next; line && *line && shown < max; line = next) {
            next = strchr(line, '\n');
            if (next) *next++ = 0;
            char *url = strstr(line, "http");
            if (!url) continue;
            char *tab = strchr(url, '\t');
            if (tab) *tab = 0;
            mm_buf_puts(b, "<tr>");
            td_text(b, url);
            td_text(b, reason);
            mm_buf_puts(b, "</tr>\n");
            shown++;
        }
        mm_buf_free(&all);
    }
}

static void render_samples(rp_run *r, mm_buf *b) {
    const char *kept = kept_dir(r);
    if (!kept && !r->removed_docs.n && !r->removed_tsv.n) return;
    section(r, b, "samples", "Samples: kept and removed documents");
    size_t k = r->o.samples;
    if (kept) {
        mm_buf_puts(b, "<h3>Kept (first document of each shard of <code>");
        esc(b, rp_rel(r, kept));
        mm_buf_puts(b, "</code>)</h3>\n");
        sample_ctx c = {b, NULL};
        each_doc(kept, k, 1, sample_doc, &c);
    }
    if (r->removed_docs.n) {
        mm_buf_puts(b, "<h3>Removed by decontamination</h3>\n");
        sample_ctx c = {b, "contaminated"};
        size_t done = 0;
        for (size_t i = 0; i < r->removed_docs.n && done < k; i++)
            done += each_file(r->removed_docs.v[i], k - done, sample_doc, &c);
        if (!done) mm_buf_puts(b, "<p>None.</p>\n");
    }
    if (r->removed_tsv.n) {
        mm_buf_puts(
            b, "<h3>Removed as duplicates</h3>\n<table><tr><th>URL</th><th>reason</th></tr>\n");
        removed_tsv_rows(r, b, 2 * k);
        mm_buf_puts(b, "</table>\n");
    }
    mm_buf_puts(b, "</section>\n");
}

/* ---- training --------------------------------------------------------------------------- */

typedef struct curve {
    double *x, *y;
    size_t n, cap;
} curve;

/* (step, key) pairs of a log.jsonl. */
static void read_curve(const char *path, const char *key, curve *c) {
    mm_lines *l;
    memset(c, 0, sizeof *c);
    if (mm_lines_open(path, 1 << 20, &l) != MM_OK) return mm_error_clear();
    const char *line;
    size_t n;
    mm_err e;
    while (mm_lines_next(l, &line, &n, &e) == 1) {
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse(line, n, &doc, &root) != MM_OK) {
            mm_error_clear();
            continue;
        }
        const mm_json *v = mm_json_get(root, key);
        if (v && v->type == MM_JSON_NUM) {
            if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 256;
                double *x = realloc(c->x, cap * sizeof *x),
                       *y = x ? realloc(c->y, cap * sizeof *y) : NULL;
                if (x) c->x = x;
                if (!x || !y) {
                    mm_json_doc_free(doc);
                    break;
                }
                c->y = y, c->cap = cap;
            }
            c->x[c->n] = mm_json_get_num(root, "step", (double)c->n);
            c->y[c->n++] = v->num;
        }
        mm_json_doc_free(doc);
    }
    mm_lines_close(l);
}

/* One chart of `keys` (up to 4) of a log; nothing when none of them is in it. */
static void log_chart(rp_run *r, mm_buf *b, const char *path, const char *title,
                      const char *const *keys, const char *const *names, size_t nk) {
    curve c[4];
    mm_svg_series s[4];
    size_t ns = 0;
    for (size_t k = 0; k < nk && k < 4; k++) {
        read_curve(path, keys[k], &c[k]);
        if (c[k].n) s[ns++] = (mm_svg_series){names[k], c[k].x, c[k].y, c[k].n};
    }
    if (ns) {
        char t[512];
        snprintf(t, sizeof t, "%s (%s)", title, rp_rel(r, path));
        mm_buf_puts(b, "<div>");
        mm_svg_lines_buf(b, t, "step", "", s, ns);
        mm_buf_puts(b, "</div>\n");
    }
    for (size_t k = 0; k < nk && k < 4; k++)
        free(c[k].x), free(c[k].y);
}

static void eval_table(rp_run *r, mm_buf *b) {
    mm_buf_puts(b, "<h3>Evaluations</h3><table><tr><th>result</th><th>task</th><th>n</th>"
                   "<th>greedy accuracy</th><th>Pass@K</th><th>Maj@K</th></tr>\n");
    for (size_t i = 0; i < r->evals.n; i++) {
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse_file(r->evals.v[i], &doc, &root) != MM_OK) {
            mm_error_clear();
            continue;
        }
        mm_buf_puts(b, "<tr>");
        td_text(b, rp_rel(r, r->evals.v[i]));
        td_text(b, mm_json_get_str(root, "task", ""));
        td_count(b, mm_json_get_num(root, "n", -1));
        mm_buf_printf(b, "<td class=n>%.3f</td>", mm_json_get_num(root, "greedy_acc", NAN));
        const char *pass = "", *maj = "";
        double pv = NAN, mv = NAN;
        for (const mm_json *c = root->child; c; c = c->next) {
            if (!strncmp(c->key, "pass_at_", 8)) pass = c->key + 8, pv = c->num;
            if (!strncmp(c->key, "maj_at_", 7)) maj = c->key + 7, mv = c->num;
        }
        mm_buf_printf(b, "<td class=n>%.3f (K=%s)</td><td class=n>%.3f (K=%s)</td></tr>\n", pv,
                      pass, mv, maj);
        mm_json_doc_free(doc);
    }
    mm_buf_puts(b, "</table>\n");
}

static void render_training(rp_run *r, mm_buf *b) {
    if (!r->pretrain_logs.n && !r->grpo_logs.n && !r->sft_logs.n && !r->evals.n) return;
    section(r, b, "training", "Training: loss, GRPO reward and KL, Pass@K and Maj@K");
    mm_buf_puts(b, "<div class=row>");
    static const char *const pk[] = {"loss", "val_loss"}, *const pn[] = {"train loss", "val loss"};
    for (size_t i = 0; i < r->pretrain_logs.n; i++)
        log_chart(r, b, r->pretrain_logs.v[i], "Pretraining loss", pk, pn, 2);
    static const char *const sk[] = {"loss"}, *const sn[] = {"cross-entropy"};
    for (size_t i = 0; i < r->sft_logs.n; i++)
        log_chart(r, b, r->sft_logs.v[i], "Supervised warm-up", sk, sn, 1);
    static const char *const gk[] = {"reward_mean", "accuracy", "eval_acc"},
                             *const gn[] = {"reward", "accuracy", "held-out accuracy"};
    static const char *const kk[] = {"kl", "clip_frac"}, *const kn[] = {"KL", "clip fraction"};
    for (size_t i = 0; i < r->grpo_logs.n; i++) {
        log_chart(r, b, r->grpo_logs.v[i], "GRPO reward and accuracy", gk, gn, 3);
        log_chart(r, b, r->grpo_logs.v[i], "GRPO KL to the reference", kk, kn, 2);
    }
    mm_buf_puts(b, "</div>\n");
    if (r->evals.n) eval_table(r, b);
    mm_buf_puts(b, "</section>\n");
}

/* ---- the page --------------------------------------------------------------------------- */

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1500px;padding:0 24px;"
    "color:#222}h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:32px}"
    "h3{font-size:15px;margin:14px 0 6px}table{border-collapse:collapse;margin:6px 0}"
    "th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.bad{color:#b00}td.bar{width:240px}td.bar div{background:#1f77b4;height:12px}"
    ".row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}"
    "svg{max-width:100%;height:auto}nav a{margin-right:12px}.note{color:#666;font-size:12px}"
    ".doc{border:1px solid #ddd;margin:6px 0;padding:4px 8px}.url{font-weight:600;"
    "word-break:break-all}.tag{font-weight:400;color:#666;margin-left:8px}"
    "pre{white-space:pre-wrap;margin:4px 0;font-size:12px;max-height:8em;overflow:hidden}"
    "table.small td,table.small th{font-size:12px}";

static void render_summary(rp_run *r, mm_buf *b) {
    section(r, b, "summary", "Run");
    mm_buf_puts(b, "<p>Folder <code>");
    esc(b, r->dir);
    mm_buf_printf(b, "</code>: %zu stage(s), %zu file(s) read", r->nst, r->files_read);
    if (r->bad_files.n) {
        mm_buf_printf(b, ", %zu unreadable JSON file(s) skipped:", r->bad_files.n);
        for (size_t i = 0; i < r->bad_files.n && i < 10; i++) {
            mm_buf_puts(b, " <code>");
            esc(b, r->bad_files.v[i]);
            mm_buf_puts(b, "</code>");
        }
    }
    mm_buf_puts(b, ".</p>\n</section>\n");
}

mm_err rp_render(rp_run *r, mm_buf *out) {
    mm_buf body = {0}, *b = &body;
    render_summary(r, b);
    render_funnel(r, b);
    render_stages(r, b);
    render_extraction(r, b);
    render_classifier(r, b);
    render_iterations(r, b);
    render_decontam(r, b);
    render_samples(r, b);
    render_training(r, b);
    const char *title = r->o.title ? r->o.title : "mathmine report";
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    mm_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    esc(out, title);
    mm_buf_printf(out, "</title>\n<style>%s</style></head>\n<body>\n<h1>", css);
    esc(out, title);
    mm_buf_printf(out, "</h1>\n<p class=note>Written by mathmine report at %s.</p>\n<nav>", when);
    for (size_t i = 0; i < r->info->nsections; i++)
        mm_buf_printf(out, "<a href=\"#%s\">%s</a>", r->info->sections[i], r->info->sections[i]);
    mm_buf_puts(out, "</nav>\n");
    mm_err e = mm_buf_append(out, body.data ? body.data : "", body.len);
    if (e == MM_OK) e = mm_buf_puts(out, "</body></html>\n");
    bool oom = !body.data && body.len;
    mm_buf_free(&body);
    if (e == MM_OK && oom) e = mm_fail(MM_ERR_NOMEM, "report: page");
    return e;
}
