/* corpus/iterate_summary.c — per-shard count summaries and their bounded merge (see
 * corpus/iterate_summary.h). */
#include "corpus/iterate_summary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/merge.h"
#include "corpus/iterate_stats.h"

static const char DOMAINS_HEADER[] = "# mathmine iterate counts 1: domain pages collected tokens\n";
static const char PREFIXES_HEADER[] =
    "# mathmine iterate counts 1: prefix domain pages collected tokens\n";

/* ---------------------------------------------------------------- counting one shard */

static int cmp_key(const void *a, const void *b, void *m) {
    return strcmp(mm_strmap_key(m, *(const size_t *)a), mm_strmap_key(m, *(const size_t *)b));
}

/* The counters' rows sorted by key (bytewise), after `head`. */
static mm_err write_sorted(const char *path, const char *head, const iter_counts *c) {
    size_t n = mm_strmap_size(c->keys);
    size_t *idx = mm_malloc((n ? n : 1) * sizeof *idx);
    if (!idx) return MM_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_key, c->keys);
    mm_out *o;
    mm_err e = mm_out_open(path, 0, &o);
    if (e != MM_OK) {
        free(idx);
        return e;
    }
    e = mm_out_write(o, head, strlen(head));
    char line[2048];
    for (size_t i = 0; i < n && e == MM_OK; i++) {
        size_t k = idx[i];
        int len = snprintf(line, sizeof line, "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n",
                           mm_strmap_key(c->keys, k), c->pages[k], c->collected[k], c->tokens[k]);
        if (len < 0 || (size_t)len >= sizeof line)
            e = mm_fail(MM_ERR_FORMAT, "%s: key too long: %.60s", path, mm_strmap_key(c->keys, k));
        else
            e = mm_out_write(o, line, (size_t)len);
    }
    free(idx);
    if (e == MM_OK) return mm_out_commit(o);
    mm_out_abort(o);
    return e;
}

/* One page into the shard's counters. */
static mm_err count_row(const iter_count_in *in, const mm_clf_score_row *row, iter_counts *dom,
                        iter_counts *pre, iter_totals *t) {
    bool got = mm_select_cut_has(in->cut, row->score, row->id);
    uint64_t tok = got ? row->tokens : 0;
    char key[512], p[3][1024], pk[1600];
    mm_iter_page_key(row->url, row->domain, in->key, key, sizeof key);
    int b = (int)(row->score * 20);
    t->hist[b < 0 ? 0 : b > 19 ? 19 : b]++;
    t->rows++;
    t->sum += row->score, t->sq += row->score * row->score;
    if (mm_idset_has(in->positives, row->id, strlen(row->id)))
        t->pool_positives++, t->collected_positives += got;
    MM_TRY(iter_counts_add(dom, key, 1, got, tok));
    mm_iter_url_prefixes(row->url, p[0], p[1], p[2], sizeof p[1]);
    for (int l = 0; l < 3; l++) {
        if (!p[l][0]) continue;
        snprintf(pk, sizeof pk, "%s\t%s", p[l], key);
        MM_TRY(iter_counts_add(pre, pk, 1, got, tok));
    }
    return MM_OK;
}

/* The next row of the previous iteration's score file, checked against this one's (same
 * documents, same order): *both += 1 when both iterations collected it.  *stop at the end. */
static mm_err step_prev(const iter_count_in *in, mm_clf_scores *b, int ka,
                        const mm_clf_score_row *ra, uint64_t *both, bool *stop) {
    mm_clf_score_row rb;
    mm_err e = MM_OK;
    int kb = mm_clf_scores_next(b, &rb, &e);
    MM_TRY(e);
    if (ka == 0 && kb == 0) {
        *stop = true;
        return MM_OK;
    }
    if ((ka == 0) != (kb == 0) || (ka > 0 && kb > 0 && strcmp(ra->id, rb.id)))
        return mm_fail(MM_ERR_MISMATCH,
                       "%s and %s do not list the same documents: was the pool changed between "
                       "iterations?",
                       in->scores, in->prev_scores);
    if (ka > 0 && kb > 0 && mm_select_cut_has(in->cut, ra->score, ra->id) &&
        mm_select_cut_has(in->prev_cut, rb.score, rb.id))
        (*both)++;
    return MM_OK;
}

static mm_err count_rows(const iter_count_in *in, iter_counts *dom, iter_counts *pre,
                         iter_totals *t) {
    mm_clf_scores *a, *b = NULL;
    MM_TRY(mm_clf_scores_open(in->scores, &a));
    mm_err e = in->prev_scores ? mm_clf_scores_open(in->prev_scores, &b) : MM_OK;
    mm_clf_score_row ra;
    while (e == MM_OK) {
        int ka = mm_clf_scores_next(a, &ra, &e);
        bool stop = ka == 0;
        if (e == MM_OK && b) e = step_prev(in, b, ka, &ra, &t->overlap, &stop);
        if (e != MM_OK || stop) break;
        if (ka > 0) e = count_row(in, &ra, dom, pre, t);
    }
    mm_clf_scores_close(a);
    mm_clf_scores_close(b);
    return e;
}

mm_err iter_count_shard(const iter_count_in *in, const char *domains_out,
                        const char *prefixes_out) {
    iter_counts dom, pre;
    iter_totals t = {0};
    MM_TRY(iter_counts_init(&dom));
    mm_err e = iter_counts_init(&pre);
    if (e == MM_OK) e = count_rows(in, &dom, &pre, &t);
    if (e == MM_OK) e = write_sorted(prefixes_out, PREFIXES_HEADER, &pre);
    mm_buf head = {0};
    if (e == MM_OK) e = mm_buf_puts(&head, DOMAINS_HEADER);
    if (e == MM_OK)
        e = mm_buf_printf(&head,
                          "# totals\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%a\t%a",
                          t.rows, t.pool_positives, t.collected_positives, t.overlap, t.sum, t.sq);
    for (int i = 0; i < 20 && e == MM_OK; i++)
        e = mm_buf_printf(&head, "\t%" PRIu64, t.hist[i]);
    if (e == MM_OK) e = mm_buf_putc(&head, '\n');
    if (e == MM_OK) e = write_sorted(domains_out, head.data, &dom);
    mm_buf_free(&head);
    iter_counts_free(&dom);
    iter_counts_free(&pre);
    return e;
}

mm_err iter_read_totals(const char *domains_path, iter_totals *t) {
    memset(t, 0, sizeof *t);
    mm_lines *r;
    MM_TRY(mm_lines_open(domains_path, 0, &r));
    const char *l;
    size_t n;
    mm_err e = MM_OK;
    bool found = false;
    for (int k = 0; k < 2 && !found && mm_lines_next(r, &l, &n, &e) == 1; k++) {
        if (n < 9 || memcmp(l, "# totals\t", 9)) continue;
        char *line = mm_strndup(l, n), *p = line + 9, *end;
        if (!line) {
            e = MM_ERR_NOMEM;
            break;
        }
        uint64_t *u[4] = {&t->rows, &t->pool_positives, &t->collected_positives, &t->overlap};
        bool okay = true;
        for (int i = 0; i < 4 && okay; i++, p = end)
            *u[i] = strtoull(p, &end, 10), okay = end != p;
        t->sum = okay ? strtod(p, &end) : 0, okay = okay && end != p, p = end;
        t->sq = okay ? strtod(p, &end) : 0, okay = okay && end != p, p = end;
        for (int i = 0; i < 20 && okay; i++, p = end)
            t->hist[i] = strtoull(p, &end, 10), okay = end != p;
        found = okay && *p == 0;
        free(line);
    }
    mm_lines_close(r);
    MM_TRY(e);
    if (!found)
        return mm_fail(MM_ERR_FORMAT,
                       "%s: no totals line (not a count summary of this version: delete it and "
                       "rerun the count tasks)",
                       domains_path);
    return MM_OK;
}

/* ---------------------------------------------------------------- the merge */

/* A size from the environment variable `name` when it is at least `least`, else `dflt`. */
static size_t env_size(const char *name, long least, size_t dflt) {
    const char *s = getenv(name);
    long v = s ? strtol(s, NULL, 10) : 0;
    return v >= least ? (size_t)v : dflt;
}

/* One open count file and its current row. */
typedef struct cursor {
    mm_lines *r;
    const char *path;
    mm_buf key;
    uint64_t v[3];
    bool live;
} cursor;

/* The decimal number l[at, end); false when it is not one. */
static bool parse_u64(const char *l, size_t at, size_t end, uint64_t *v) {
    uint64_t x = 0;
    if (at == end || end - at > 20) return false;
    for (size_t i = at; i < end; i++) {
        if (l[i] < '0' || l[i] > '9') return false;
        x = x * 10 + (uint64_t)(l[i] - '0');
    }
    *v = x;
    return true;
}

/* Advance to the next row ("key \t a \t b \t c"; the key may hold tabs itself). */
static mm_err cursor_next(cursor *c) {
    const char *l;
    size_t n;
    mm_err e = MM_OK;
    c->live = false;
    while (mm_lines_next(c->r, &l, &n, &e) == 1) {
        if (!n || l[0] == '#') continue;
        size_t end = n;
        for (int i = 2; i >= 0; i--) {
            size_t at = end;
            while (at > 0 && l[at - 1] != '\t')
                at--;
            if (at == 0 || !parse_u64(l, at, end, &c->v[i]))
                return mm_fail(MM_ERR_FORMAT, "%s:%" PRIu64 ": not a count row (key, 3 counts)",
                               c->path, mm_lines_number(c->r));
            end = at - 1;
        }
        mm_buf_clear(&c->key);
        MM_TRY(mm_buf_append(&c->key, l, end));
        c->live = true;
        return MM_OK;
    }
    return e;
}

static int cursor_less(const void *a, const void *b) {
    return strcmp(((const cursor *)a)->key.data, ((const cursor *)b)->key.data) < 0;
}

/* Pop every cursor at the smallest key, summing its counts into v; key copied to *key. */
static mm_err pop_key(cursor **heap, size_t *nh, mm_buf *key, uint64_t v[3]) {
    mm_buf_clear(key);
    MM_TRY(mm_buf_append(key, heap[0]->key.data, heap[0]->key.len));
    v[0] = v[1] = v[2] = 0;
    while (*nh && !strcmp(heap[0]->key.data, key->data)) {
        cursor *c = heap[0];
        for (int i = 0; i < 3; i++)
            v[i] += c->v[i];
        MM_TRY(cursor_next(c));
        if (!c->live) heap[0] = heap[--*nh];
        mm_heap_sift_down((void **)heap, *nh, 0, cursor_less);
    }
    return MM_OK;
}

/* One level: n <= fan-in files merged into emit. */
static mm_err merge_once(const char *const *paths, size_t n, iter_merge_emit emit, void *ctx) {
    cursor *cs = mm_calloc(n ? n : 1, sizeof *cs);
    cursor **heap = mm_calloc(n ? n : 1, sizeof *heap);
    mm_err e = cs && heap ? MM_OK : MM_ERR_NOMEM;
    size_t nh = 0;
    for (size_t i = 0; e == MM_OK && i < n; i++) {
        cs[i].path = paths[i];
        if ((e = mm_lines_open(paths[i], 0, &cs[i].r)) == MM_OK) e = cursor_next(&cs[i]);
        if (e == MM_OK && cs[i].live) heap[nh++] = &cs[i];
    }
    for (size_t i = nh / 2; e == MM_OK && i-- > 0;)
        mm_heap_sift_down((void **)heap, nh, i, cursor_less);
    mm_buf key = {0};
    uint64_t v[3];
    while (e == MM_OK && nh) {
        e = pop_key(heap, &nh, &key, v);
        if (e == MM_OK) e = emit(ctx, key.data, v);
    }
    mm_buf_free(&key);
    for (size_t i = 0; cs && i < n; i++) {
        mm_lines_close(cs[i].r);
        mm_buf_free(&cs[i].key);
    }
    free(cs);
    free(heap);
    return e;
}

/* Write merged rows to an intermediate file: a plain stdio file, never synced (it lives only
 * for the merge, which removes it, and a killed merge starts over). */
static mm_err emit_to_file(void *ctx, const char *key, const uint64_t v[3]) {
    char tail[3 * 21 + 2], *p = tail + sizeof tail; /* "\ta\tb\tc\n", written backwards */
    *--p = '\n';
    for (int i = 2; i >= 0; i--) {
        uint64_t x = v[i];
        do
            *--p = (char)('0' + x % 10);
        while (x /= 10);
        *--p = '\t';
    }
    size_t n = (size_t)(tail + sizeof tail - p);
    if (fputs(key, ctx) == EOF || fwrite(p, 1, n, ctx) != n)
        return mm_fail(MM_ERR_IO, "writing a merge file: %s", strerror(errno));
    return MM_OK;
}

static mm_err merge_group(const char *const *paths, size_t n, const char *out) {
    FILE *f = fopen(out, "w");
    if (!f) return mm_fail(MM_ERR_IO, "%s: %s", out, strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    mm_err e = merge_once(paths, n, emit_to_file, f);
    if (fclose(f) && e == MM_OK) e = mm_fail(MM_ERR_IO, "%s: %s", out, strerror(errno));
    return e;
}

static mm_err merge_level(const char *const *paths, size_t n, const char *tmp_prefix, int level,
                          iter_merge_emit emit, void *ctx) {
    size_t fanin = mm_merge_fanin();
    if (n <= fanin) return merge_once(paths, n, emit, ctx);
    size_t ng = (n + fanin - 1) / fanin;
    char **next = mm_calloc(ng, sizeof *next);
    mm_err e = next ? MM_OK : MM_ERR_NOMEM;
    for (size_t g = 0; e == MM_OK && g < ng; g++) {
        mm_buf p = {0};
        if ((e = mm_buf_printf(&p, "%s.merge-%d-%zu.tsv", tmp_prefix, level, g)) != MM_OK) break;
        next[g] = p.data;
        size_t lo = g * fanin, k = n - lo < fanin ? n - lo : fanin;
        e = merge_group(paths + lo, k, next[g]);
    }
    if (e == MM_OK)
        e = merge_level((const char *const *)next, ng, tmp_prefix, level + 1, emit, ctx);
    for (size_t g = 0; next && g < ng; g++) {
        if (next[g]) remove(next[g]);
        free(next[g]);
    }
    free(next);
    return e;
}

mm_err iter_merge_counts(const char *const *paths, size_t n, const char *tmp_prefix,
                         iter_merge_emit emit, void *ctx) {
    return merge_level(paths, n, tmp_prefix, 0, emit, ctx);
}

/* ---------------------------------------------------------------- the external sort */

size_t iter_sort_chunk(void) {
    return env_size("MM_ITER_SORT_ROWS", 1, 500000);
}

typedef struct sort_row {
    size_t key; /* offset in the arena */
    uint64_t v[3];
} sort_row;

struct iter_sorter {
    char *prefix;
    mm_buf arena; /* the chunk's keys, NUL-terminated */
    sort_row *rows;
    size_t n, cap;
    char **runs;
    size_t nruns;
};

mm_err iter_sort_open(const char *tmp_prefix, iter_sorter **out) {
    iter_sorter *s = mm_calloc(1, sizeof *s);
    if (!s || !(s->prefix = strdup(tmp_prefix))) {
        free(s);
        return mm_fail(MM_ERR_NOMEM, "external sort");
    }
    *out = s;
    return MM_OK;
}

void iter_sort_free(iter_sorter *s) {
    if (!s) return;
    for (size_t i = 0; i < s->nruns; i++) {
        remove(s->runs[i]);
        free(s->runs[i]);
    }
    free(s->runs);
    free(s->rows);
    mm_buf_free(&s->arena);
    free(s->prefix);
    free(s);
}

static int cmp_row(const void *a, const void *b, void *arena) {
    const char *k = arena;
    return strcmp(k + ((const sort_row *)a)->key, k + ((const sort_row *)b)->key);
}

/* Sort the chunk and write it as the next run file (never synced: removed after the merge). */
static mm_err spill(iter_sorter *s) {
    qsort_r(s->rows, s->n, sizeof *s->rows, cmp_row, s->arena.data);
    char **runs = realloc(s->runs, (s->nruns + 1) * sizeof *runs);
    if (!runs) return mm_fail(MM_ERR_NOMEM, "external sort");
    s->runs = runs;
    mm_buf p = {0};
    MM_TRY(mm_buf_printf(&p, "%s.run-%zu.tsv", s->prefix, s->nruns));
    s->runs[s->nruns++] = p.data;
    FILE *f = fopen(p.data, "w");
    if (!f) return mm_fail(MM_ERR_IO, "%s: %s", p.data, strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    mm_err e = MM_OK;
    for (size_t i = 0; i < s->n && e == MM_OK; i++)
        e = emit_to_file(f, s->arena.data + s->rows[i].key, s->rows[i].v);
    if (fclose(f) && e == MM_OK) e = mm_fail(MM_ERR_IO, "%s: %s", p.data, strerror(errno));
    s->n = 0;
    mm_buf_clear(&s->arena);
    return e;
}

mm_err iter_sort_add(iter_sorter *s, const char *key, const uint64_t v[3]) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024, chunk = iter_sort_chunk();
        if (cap > chunk) cap = chunk;
        sort_row *r = realloc(s->rows, cap * sizeof *r);
        if (!r) return mm_fail(MM_ERR_NOMEM, "external sort: %zu rows", cap);
        s->rows = r, s->cap = cap;
    }
    sort_row *r = &s->rows[s->n++];
    r->key = s->arena.len;
    memcpy(r->v, v, sizeof r->v);
    MM_TRY(mm_buf_append(&s->arena, key, strlen(key) + 1));
    return s->n >= iter_sort_chunk() ? spill(s) : MM_OK;
}

mm_err iter_sort_finish(iter_sorter *s, iter_merge_emit emit, void *ctx) {
    mm_err e = s->n ? spill(s) : MM_OK;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.runs", s->prefix);
    if (e == MM_OK) e = iter_merge_counts((const char *const *)s->runs, s->nruns, tmp, emit, ctx);
    iter_sort_free(s);
    return e;
}
