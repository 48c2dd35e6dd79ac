#include "corpus/iterate_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "common/svg.h"

#define PATH_CAP 4096

mm_err iter_write_whole(const char *path, const mm_buf *b) {
    mm_out *o;
    MM_TRY(mm_out_open(path, 0, &o));
    mm_err e = mm_out_write(o, b->data ? b->data : "", b->len);
    if (e == MM_OK) return mm_out_commit(o);
    mm_out_abort(o);
    return e;
}

static mm_err write_in(const char *dir, const char *name, const mm_buf *b) {
    char p[PATH_CAP];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return iter_write_whole(p, b);
}

mm_err iter_copy_file(const char *from, const char *to) {
    mm_buf b = {0};
    mm_err e = mm_read_file(from, &b);
    if (e == MM_OK) e = iter_write_whole(to, &b);
    mm_buf_free(&b);
    return e;
}

static double frac(uint64_t a, uint64_t b) {
    return b ? (double)a / (double)b : 0;
}

mm_err iter_domains_open(const char *dir, mm_out **o) {
    char p[PATH_CAP];
    snprintf(p, sizeof p, "%s/domains.tsv", dir);
    MM_TRY(mm_out_open(p, 0, o));
    static const char head[] = "domain\tpages\tcollected\tshare\tmath\n";
    mm_err e = mm_out_write(*o, head, sizeof head - 1);
    if (e != MM_OK) mm_out_abort(*o);
    return e;
}

mm_err iter_domains_row(mm_out *o, const char *domain, uint64_t pages, uint64_t collected,
                        bool math) {
    char line[1024];
    int n =
        snprintf(line, sizeof line, "%s\t%llu\t%llu\t%.4f\t%d\n", domain, (unsigned long long)pages,
                 (unsigned long long)collected, frac(collected, pages), math ? 1 : 0);
    return mm_out_write(o, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

mm_err iter_write_prefixes(const char *path, const iter_counts *p, const bool *chosen,
                           const char *const *reason, bool for_person) {
    size_t *ord = iter_counts_order(p);
    if (!ord) return MM_ERR_NOMEM;
    mm_buf b = {0};
    if (for_person)
        mm_buf_puts(&b, "# Mark each prefix: set 'decision' to allow (a math part of the site) or "
                        "deny; rows left '?' follow the rule's suggestion.\n"
                        "# Then save this file as iter-K.tsv beside it (K: this iteration) and "
                        "rerun the same command.\n");
    mm_buf_puts(&b, "prefix\tpages\tcollected\tshare\tdecision\treason\n");
    for (size_t i = 0; i < mm_strmap_size(p->keys); i++) {
        size_t k = ord[i];
        const char *dec = for_person ? "?" : chosen[k] ? "allow" : "deny";
        mm_buf_printf(&b, "%s\t%llu\t%llu\t%.4f\t%s\t%s%s\n", mm_strmap_key(p->keys, k),
                      (unsigned long long)p->pages[k], (unsigned long long)p->collected[k],
                      frac(p->collected[k], p->pages[k]), dec, for_person ? "suggested " : "",
                      for_person ? (chosen[k] ? "allow" : "deny") : reason[k]);
    }
    mm_err e = iter_write_whole(path, &b);
    mm_buf_free(&b);
    free(ord);
    return e;
}

/* The numeric fields of mm_iter_summary in report.json: U = unsigned, D = double. */
#define SUMMARY_FIELDS(U, D)                                                                       \
    U(positives)                                                                                   \
    U(new_positives)                                                                               \
    U(negatives)                                                                                   \
    U(pool_pages) U(collected) U(collected_tokens) U(overlap_prev) D(new_share) U(pool_positives)  \
        U(collected_positives) U(math_domains) U(domains_gained) U(domains_lost) U(math_prefixes)  \
            D(domain_cut) D(cutoff) U(epochs) U(valid_pos) U(valid_neg) D(valid_auc)               \
                D(valid_precision) D(valid_recall) D(score_mean) D(score_sd) D(seconds)

static void summary_json(mm_jw *w, const mm_iter_summary *s) {
    mm_jw_obj_begin(w);
#define U(name) mm_jw_key(w, #name), mm_jw_uint(w, s->name);
#define D(name) mm_jw_key(w, #name), mm_jw_double(w, s->name);
    mm_jw_key(w, "iter");
    mm_jw_int(w, s->iter);
    SUMMARY_FIELDS(U, D)
    mm_jw_key(w, "cut");
    mm_jw_obj_begin(w);
    mm_jw_key(w, "none");
    mm_jw_bool(w, s->cut_none);
    mm_jw_key(w, "all_ties");
    mm_jw_bool(w, s->cut_all_ties);
    mm_jw_key(w, "score"); /* as text: exact, and -inf (every page collected) survives */
    char num[40];
    snprintf(num, sizeof num, "%.17g", s->cut_score);
    mm_jw_string(w, num);
    mm_jw_key(w, "id");
    mm_jw_string(w, s->cut_id);
    mm_jw_obj_end(w);
#undef U
#undef D
    mm_jw_obj_end(w);
}

mm_err iter_write_report(const char *dir, const mm_iter_summary *s, const double hist[20],
                         const iter_counts *d, const bool *math) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "summary");
    summary_json(&w, s);
    mm_jw_key(&w, "score_histogram");
    mm_jw_arr_begin(&w);
    for (int i = 0; i < 20; i++)
        mm_jw_double(&w, hist[i]);
    mm_jw_arr_end(&w);
    mm_jw_key(&w, "top_domains");
    mm_jw_arr_begin(&w);
    size_t *ord = iter_counts_order(d);
    size_t n = mm_strmap_size(d->keys), shown = 0;
    for (size_t i = 0; ord && i < n && shown < 20; i++) {
        size_t k = ord[i];
        if (!d->collected[k]) continue;
        shown++;
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "domain");
        mm_jw_string(&w, mm_strmap_key(d->keys, k));
        mm_jw_key(&w, "pages");
        mm_jw_uint(&w, d->pages[k]);
        mm_jw_key(&w, "collected");
        mm_jw_uint(&w, d->collected[k]);
        mm_jw_key(&w, "math");
        mm_jw_bool(&w, math[k]);
        mm_jw_obj_end(&w);
    }
    free(ord);
    mm_jw_arr_end(&w);
    mm_jw_obj_end(&w);
    mm_buf_putc(&b, '\n');
    mm_err e = write_in(dir, "report.json", &b);
    mm_buf_free(&b);
    if (e != MM_OK) return e;
    static char labels[20][8];
    const char *lp[20];
    for (int i = 0; i < 20; i++) {
        snprintf(labels[i], sizeof labels[i], "%.2f", i / 20.0);
        lp[i] = labels[i];
    }
    char svg[PATH_CAP], title[64];
    snprintf(svg, sizeof svg, "%s/score_hist.svg", dir);
    snprintf(title, sizeof title, "Iteration %d: classifier scores over the pool", s->iter);
    return mm_svg_bars(svg, title, "score (bin start)", "pages", lp, hist, 20);
}

mm_err iter_read_summary(const char *dir, mm_iter_summary *s) {
    char p[PATH_CAP];
    snprintf(p, sizeof p, "%s/report.json", dir);
    mm_json_doc *doc;
    mm_json *root;
    MM_TRY(mm_json_parse_file(p, &doc, &root));
    const mm_json *j = mm_json_get(root, "summary");
    memset(s, 0, sizeof *s);
#define U(name) s->name = (uint64_t)mm_json_get_num(j, #name, 0);
#define D(name) s->name = mm_json_get_num(j, #name, 0);
    s->iter = (int)mm_json_get_num(j, "iter", 0);
    SUMMARY_FIELDS(U, D)
#undef U
#undef D
    const mm_json *c = mm_json_get(j, "cut");
    const mm_json *none = mm_json_get(c, "none"), *ties = mm_json_get(c, "all_ties");
    s->cut_none = !c || (none && none->type == MM_JSON_BOOL && none->b);
    s->cut_all_ties = ties && ties->type == MM_JSON_BOOL && ties->b;
    s->cut_score = strtod(mm_json_get_str(c, "score", "0"), NULL);
    snprintf(s->cut_id, sizeof s->cut_id, "%s", mm_json_get_str(c, "id", ""));
    mm_json_doc_free(doc);
    return MM_OK;
}

mm_err iter_write_final(const char *work_dir, const mm_iter_summary *all, size_t n) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "iterations");
    mm_jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        summary_json(&w, &all[i]);
    mm_jw_arr_end(&w);
    mm_jw_obj_end(&w);
    mm_buf_putc(&b, '\n');
    mm_err e = write_in(work_dir, "report.json", &b);
    mm_buf_clear(&b);
    mm_buf_puts(&b, "# Iterative seed expansion\n\n"
                    "| iter | positives | +new positives | collected | tokens | overlap with "
                    "previous | new share | math domains (+/-) | math prefixes |\n"
                    "|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
    double *x = mm_calloc(n, sizeof *x), *col = mm_calloc(n, sizeof *col),
           *pos = mm_calloc(n, sizeof *pos);
    for (size_t i = 0; i < n; i++) {
        const mm_iter_summary *s = &all[i];
        mm_buf_printf(
            &b, "| %d | %llu | %llu | %llu | %llu | %llu | %.3f | %llu (+%llu/-%llu) | %llu |\n",
            s->iter, (unsigned long long)s->positives, (unsigned long long)s->new_positives,
            (unsigned long long)s->collected, (unsigned long long)s->collected_tokens,
            (unsigned long long)s->overlap_prev, s->new_share, (unsigned long long)s->math_domains,
            (unsigned long long)s->domains_gained, (unsigned long long)s->domains_lost,
            (unsigned long long)s->math_prefixes);
        if (x && col && pos)
            x[i] = s->iter, col[i] = (double)s->collected, pos[i] = (double)s->positives;
    }
    mm_buf_puts(&b, "\nGrowth per iteration: growth.svg; each iteration's score histogram: "
                    "iter-K/score_hist.svg; math domains and prefixes: iter-K/domains.tsv, "
                    "iter-K/prefixes.tsv.\n");
    if (e == MM_OK) e = write_in(work_dir, "report.md", &b);
    if (e == MM_OK && x && col && pos) {
        mm_svg_series ser[2] = {{"collected pages", x, col, n}, {"positives", x, pos, n}};
        char svg[PATH_CAP];
        snprintf(svg, sizeof svg, "%s/growth.svg", work_dir);
        e = mm_svg_lines(svg, "Collection growth per iteration", "iteration", "pages", ser, 2);
    }
    free(x);
    free(col);
    free(pos);
    mm_buf_free(&b);
    return e;
}

/* A person's decisions: a TSV whose header names the columns "prefix" and "decision"; '#'
 * lines are comments.  A decision is allow, deny, or '?' / empty (undecided: the rule
 * decides).  A prefix already in `allow` or `deny` keeps its decision. */
mm_err iter_load_annotations(const char *path, mm_strmap *allow, mm_strmap *deny) {
    mm_lines *r;
    MM_TRY(mm_lines_open(path, 0, &r));
    const char *l;
    size_t n;
    mm_err e = MM_OK;
    int col_prefix = -1, col_dec = -1;
    while (e == MM_OK && mm_lines_next(r, &l, &n, &e) == 1) {
        if (!n || l[0] == '#') continue;
        char *line = mm_strndup(l, n);
        if (!line) {
            e = mm_fail(MM_ERR_NOMEM, "annotations");
            break;
        }
        const char *f[32] = {0};
        int nf = 0;
        for (char *p = line; p && nf < 32;) { /* empty fields count: strtok would skip them */
            f[nf++] = p;
            p = strchr(p, '\t');
            if (p) *p++ = 0;
        }
        if (col_prefix < 0) {
            for (int i = 0; i < nf; i++) {
                if (!strcmp(f[i], "prefix")) col_prefix = i;
                if (!strcmp(f[i], "decision")) col_dec = i;
            }
            if (col_prefix < 0 || col_dec < 0)
                e = mm_fail(MM_ERR_FORMAT,
                            "%s: line %llu: the header must name the columns "
                            "'prefix' and 'decision'",
                            path, (unsigned long long)mm_lines_number(r));
        } else if (col_prefix < nf) {
            const char *k = f[col_prefix], *d = col_dec < nf ? f[col_dec] : "";
            size_t kn = strlen(k);
            mm_strmap *m = !strcmp(d, "allow") ? allow : !strcmp(d, "deny") ? deny : NULL;
            if (!m && strcmp(d, "?") && d[0])
                e = mm_fail(MM_ERR_FORMAT,
                            "%s: line %llu: decision '%s' for %s: write allow, "
                            "deny or ?",
                            path, (unsigned long long)mm_lines_number(r), d, k);
            else if (m && mm_strmap_find(allow, k, kn) < 0 && mm_strmap_find(deny, k, kn) < 0 &&
                     mm_strmap_put(m, k, kn, NULL) < 0)
                e = mm_fail(MM_ERR_NOMEM, "annotations");
        }
        free(line);
    }
    mm_lines_close(r);
    return e;
}
