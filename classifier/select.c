/* classifier/select.c — selection by score (threshold / top fraction / top tokens) over score
 * files, the id set it writes, and copying the selected documents out of shards. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier.h"
#include "common/attrs.h"
#include "common/doc.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/json.h"

/* ---- the cut-off rule ---------------------------------------------------------------------------
 */

bool mm_select_cut_has(const mm_select_cut *c, double score, const char *id) {
    if (c->none || isnan(score)) return false;
    if (score != c->score) return score > c->score;
    return c->all_ties || strcmp(id, c->id) <= 0;
}

void mm_select_cut_free(mm_select_cut *c) {
    if (!c) return;
    free(c->id);
    c->id = NULL;
}

static void cut_at(mm_select_cut *c, double score, const char *id) {
    c->none = false, c->score = score, c->all_ties = id == NULL;
    free(c->id);
    c->id = id ? mm_strndup(id, strlen(id)) : NULL;
}

/* One pass over every row of the score files.  Broken rows (and NaN scores) are skipped and
 * counted in *bad when bad is not NULL. */
typedef mm_err (*row_fn)(void *arg, const mm_clf_score_row *row);

/* The first broken row's message ("FILE: line N: why") of the last counting pass, per thread. */
static _Thread_local char first_bad[512];

const char *mm_select_bad_example(void) {
    return first_bad;
}

static mm_err for_rows(const char *const *paths, size_t n, row_fn fn, void *arg, uint64_t *bad) {
    if (bad) first_bad[0] = 0;
    for (size_t i = 0; i < n; i++) {
        mm_clf_scores *r;
        MM_TRY(mm_clf_scores_open(paths[i], &r));
        mm_clf_score_row row;
        mm_err e = MM_OK;
        int k;
        while ((k = mm_clf_scores_next(r, &row, &e)) != 0 && e == MM_OK) {
            if (k < 0 || isnan(row.score)) {
                if (bad && !first_bad[0])
                    snprintf(first_bad, sizeof first_bad, "%s",
                             k < 0 ? mm_error_detail() : "a score that is not a number");
                if (bad) (*bad)++;
                continue;
            }
            if ((e = fn(arg, &row)) != MM_OK) break;
        }
        mm_clf_scores_close(r);
        MM_TRY(e);
    }
    return MM_OK;
}

/* ---- the plain reference: every row in memory, sorted -------------------------------------------
 */

typedef struct srow {
    size_t id_off;
    uint32_t id_len;
    double score;
    uint64_t tokens;
} srow;

typedef struct rows {
    mm_buf ids; /* NUL-separated ids */
    srow *r;
    size_t n, cap;
    uint64_t tokens;
} rows;

static const mm_buf *g_ids; /* set by the caller of qsort; not re-entrant (callers hold no lock:
                               the library selects from one thread at a time) */

static int cmp_rank(const void *a, const void *b) {
    const srow *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return strcmp(g_ids->data + x->id_off, g_ids->data + y->id_off);
}

static mm_err push_row(void *arg, const mm_clf_score_row *row) {
    rows *rs = arg;
    if (rs->n == rs->cap) {
        size_t c = rs->cap ? rs->cap * 2 : 4096;
        srow *q = realloc(rs->r, c * sizeof *q);
        if (!q) return mm_fail(MM_ERR_NOMEM, "out of memory reading scores");
        rs->r = q, rs->cap = c;
    }
    size_t len = strlen(row->id);
    rs->r[rs->n++] = (srow){rs->ids.len, (uint32_t)len, row->score, row->tokens};
    rs->tokens += row->tokens;
    return mm_buf_append(&rs->ids, row->id, len + 1);
}

/* Rank rs (score desc, id asc) and find the last selected row for `mode` given `need` (rows for
 * TOP_FRAC, tokens for TOP_TOKENS): its index, or rs->n when every row is selected. */
static size_t last_selected(rows *rs, mm_select_mode mode, double need) {
    g_ids = &rs->ids;
    qsort(rs->r, rs->n, sizeof *rs->r, cmp_rank);
    g_ids = NULL;
    double sum = 0;
    for (size_t i = 0; i < rs->n; i++) {
        sum += mode == MM_SELECT_TOP_FRAC ? 1.0 : (double)rs->r[i].tokens;
        if (sum >= need) return i;
    }
    return rs->n;
}

static void rows_free(rows *rs) {
    mm_buf_free(&rs->ids);
    free(rs->r);
}

static double frac_rows(double value, uint64_t rows) {
    return ceil(value * (double)rows - 1e-9);
}

mm_err mm_select_find_cut_exact(const char *const *paths, size_t n, mm_select_mode mode,
                                double value, mm_select_cut *cut) {
    memset(cut, 0, sizeof *cut);
    cut->none = true;
    if (mode == MM_SELECT_THRESHOLD) {
        cut_at(cut, value, NULL);
        return MM_OK;
    }
    rows rs = {0};
    mm_err e = for_rows(paths, n, push_row, &rs, NULL);
    double need = mode == MM_SELECT_TOP_FRAC ? frac_rows(value, rs.n) : value;
    if (e == MM_OK && rs.n && need > 0) {
        size_t k = last_selected(&rs, mode, need);
        if (k == rs.n)
            cut_at(cut, -INFINITY, NULL);
        else
            cut_at(cut, rs.r[k].score, rs.ids.data + rs.r[k].id_off);
    }
    rows_free(&rs);
    return e;
}

/* ---- the bounded-memory cut: histogram refinement
 * ------------------------------------------------
 *
 * A score's double maps to a 64-bit key in the same order (order_key).  Pass 1 counts rows and
 * tokens per value of the key's top 16 bits (65,536 bins, 1 MB); walking the bins from the top
 * finds the bin holding the last selected row.  If that bin holds more than mm_select_small_bin_
 * rows, the next pass histograms the next 16 bits of the rows inside it, and so on; once the bin is
 * small (or, after 4 levels, holds one exact score) its rows are read into memory and ranked
 * exactly as the reference does.  So the cut equals an exact sort's, with memory of two histograms
 * plus one small bin: a few passes over the score files instead of a sort of every row.  Only many
 * rows with one identical score (a classifier that separates nothing) fill a bin beyond
 * mm_select_small_bin_; they are then held as the reference holds them. */
#define HBINS 65536
/* Rows a bin may hold to be ranked in memory (1M: ~50 MB).  Not static: the unit test lowers it
 * to run every refinement level on small files. */
uint64_t mm_select_small_bin_ = 1u << 20;

static uint64_t order_key(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (u >> 63) ? ~u : u | (1ull << 63);
}

typedef struct hist_pass {
    uint64_t prefix, mask; /* rows whose key & mask == prefix */
    int shift;             /* bin = (key >> shift) & 0xffff */
    uint64_t *cnt, *tok;
    rows *collect; /* last pass: the rows of the bin */
    uint64_t rows, tokens;
} hist_pass;

static mm_err hist_row(void *arg, const mm_clf_score_row *row) {
    hist_pass *h = arg;
    uint64_t k = order_key(row->score);
    if ((k & h->mask) != h->prefix) return MM_OK;
    if (h->collect) return push_row(h->collect, row);
    size_t b = (size_t)((k >> h->shift) & 0xffff);
    h->cnt[b]++, h->tok[b] += row->tokens;
    h->rows++, h->tokens += row->tokens;
    return MM_OK;
}

mm_err mm_select_find_cut(const char *const *paths, size_t n, mm_select_mode mode, double value,
                          mm_select_cut *cut, uint64_t *bad_rows) {
    memset(cut, 0, sizeof *cut);
    cut->none = true;
    uint64_t bad0 = 0;
    if (!bad_rows) bad_rows = &bad0;
    if (mode == MM_SELECT_THRESHOLD) {
        cut_at(cut, value, NULL);
        return MM_OK;
    }
    hist_pass h = {0, 0, 48, mm_calloc(HBINS, 8), mm_calloc(HBINS, 8), NULL, 0, 0};
    mm_err e = h.cnt && h.tok ? MM_OK : mm_fail(MM_ERR_NOMEM, "score histogram");
    double need = -1;
    for (int level = 0; level < 4 && e == MM_OK; level++) {
        memset(h.cnt, 0, HBINS * 8), memset(h.tok, 0, HBINS * 8);
        h.rows = h.tokens = 0;
        e = for_rows(paths, n, hist_row, &h, level == 0 ? bad_rows : NULL);
        if (e != MM_OK) break;
        if (level == 0) need = mode == MM_SELECT_TOP_FRAC ? frac_rows(value, h.rows) : value;
        if (need <= 0 || h.rows == 0) break; /* nothing selected */
        int b = HBINS - 1;
        for (; b >= 0; b--) {
            double in = mode == MM_SELECT_TOP_FRAC ? (double)h.cnt[b] : (double)h.tok[b];
            if (h.cnt[b] && in >= need) break;
            need -= in;
        }
        if (b < 0) { /* every row is selected */
            if (level == 0)
                cut_at(cut, -INFINITY, NULL);
            else
                e = mm_fail(MM_ERR_FORMAT, "score files changed while being read");
            break;
        }
        h.prefix |= (uint64_t)b << h.shift;
        h.mask |= (uint64_t)0xffff << h.shift;
        h.shift -= 16;
        if (h.cnt[b] > mm_select_small_bin_ && level < 3) continue;
        rows rs = {0};
        h.collect = &rs;
        e = for_rows(paths, n, hist_row, &h, NULL);
        h.collect = NULL;
        if (e == MM_OK) {
            size_t k = last_selected(&rs, mode, need);
            if (k == rs.n)
                e = mm_fail(MM_ERR_FORMAT, "score files changed while being read");
            else
                cut_at(cut, rs.r[k].score, rs.ids.data + rs.r[k].id_off);
        }
        rows_free(&rs);
        break;
    }
    free(h.cnt);
    free(h.tok);
    return e;
}

/* ---- writing the selected ids -------------------------------------------------------------------
 */

typedef struct write_job {
    const mm_select_cut *cut;
    mm_out *o;
    mm_select_stats *st;
} write_job;

static mm_err write_row(void *arg, const mm_clf_score_row *row) {
    write_job *w = arg;
    w->st->rows++;
    w->st->tokens_total += row->tokens;
    if (!mm_select_cut_has(w->cut, row->score, row->id)) return MM_OK;
    w->st->selected++;
    w->st->tokens_selected += row->tokens;
    if (!(row->score >= w->st->cutoff)) w->st->cutoff = row->score; /* NaN at first */
    if (!w->o) return MM_OK;                                        /* counting only */
    MM_TRY(mm_out_write(w->o, row->id, strlen(row->id)));
    return mm_out_write(w->o, "\n", 1);
}

mm_err mm_select_write_ids(const char *const *score_paths, size_t n, const mm_select_cut *cut,
                           const char *ids_out, mm_select_stats *st) {
    uint64_t bad = st->bad_lines;
    memset(st, 0, sizeof *st);
    st->cutoff = NAN, st->bad_lines = bad;
    mm_out *o = NULL;
    if (ids_out) MM_TRY(mm_out_open(ids_out, 3, &o));
    write_job w = {cut, o, st};
    mm_err e = for_rows(score_paths, n, write_row, &w, NULL);
    if (e == MM_OK) return o ? mm_out_commit(o) : MM_OK;
    mm_out_abort(o);
    return e;
}

mm_err mm_select_ids(const char *const *score_paths, size_t n, mm_select_mode mode, double value,
                     const char *ids_out, mm_select_stats *st_out) {
    return mm_select_save(score_paths, n, mode, value, ids_out, NULL, st_out);
}

mm_err mm_select_save(const char *const *score_paths, size_t n, mm_select_mode mode, double value,
                      const char *ids_out, const char *cut_out, mm_select_stats *st_out) {
    mm_select_stats st0, *st = st_out ? st_out : &st0;
    memset(st, 0, sizeof *st);
    st->cutoff = NAN;
    if (mode == MM_SELECT_TOP_FRAC && !(value > 0 && value <= 1))
        return mm_fail(MM_ERR_ARG, "top fraction %g is not in (0, 1]", value);
    mm_select_cut cut;
    mm_err e = mm_select_find_cut(score_paths, n, mode, value, &cut, &st->bad_lines);
    if (e == MM_OK) e = mm_select_write_ids(score_paths, n, &cut, ids_out, st);
    if (e == MM_OK && cut_out && st->rows) e = mm_select_cut_save(&cut, st, cut_out);
    mm_select_cut_free(&cut);
    return e;
}

/* ---- id sets ------------------------------------------------------------------------------------
 */

struct mm_idset {
    mm_buf arena;
    size_t *slot; /* arena offset + 1, 0 = empty */
    size_t cap, n;
};

mm_err mm_idset_create(mm_idset **out) {
    mm_idset *s = mm_calloc(1, sizeof *s);
    if (!s) return MM_ERR_NOMEM;
    s->cap = 1024;
    s->slot = mm_calloc(s->cap, sizeof *s->slot);
    if (!s->slot) {
        free(s);
        return MM_ERR_NOMEM;
    }
    *out = s;
    return MM_OK;
}

static size_t *find_slot(const mm_idset *s, const char *id, size_t n) {
    size_t k = (size_t)mm_hash64(id, n, 0) & (s->cap - 1);
    for (;; k = (k + 1) & (s->cap - 1)) {
        size_t v = s->slot[k];
        if (!v) return &s->slot[k];
        const char *w = s->arena.data + v - 1;
        if (!strncmp(w, id, n) && w[n] == 0) return &s->slot[k];
    }
}

static mm_err rehash(mm_idset *s) {
    size_t oldcap = s->cap, *old = s->slot;
    s->cap *= 2;
    s->slot = mm_calloc(s->cap, sizeof *s->slot);
    if (!s->slot) {
        s->slot = old, s->cap = oldcap;
        return MM_ERR_NOMEM;
    }
    for (size_t i = 0; i < oldcap; i++)
        if (old[i]) {
            const char *w = s->arena.data + old[i] - 1;
            *find_slot(s, w, strlen(w)) = old[i];
        }
    free(old);
    return MM_OK;
}

mm_err mm_idset_add(mm_idset *s, const char *id, size_t n) {
    if ((s->n + 1) * 2 > s->cap) MM_TRY(rehash(s));
    size_t *slot = find_slot(s, id, n);
    if (*slot) return MM_OK;
    size_t off = s->arena.len;
    MM_TRY(mm_buf_append(&s->arena, id, n));
    MM_TRY(mm_buf_putc(&s->arena, 0));
    *find_slot(s, id, n) = off + 1;
    s->n++;
    return MM_OK;
}

bool mm_idset_has(const mm_idset *s, const char *id, size_t n) {
    return *find_slot(s, id, n) != 0;
}
size_t mm_idset_size(const mm_idset *s) {
    return s->n;
}

void mm_idset_free(mm_idset *s) {
    if (!s) return;
    mm_buf_free(&s->arena);
    free(s->slot);
    free(s);
}

mm_err mm_idset_load(const char *path, mm_idset **out) {
    *out = NULL;
    mm_idset *s;
    MM_TRY(mm_idset_create(&s));
    mm_lines *r;
    mm_err e = mm_lines_open(path, 1u << 16, &r);
    if (e != MM_OK) {
        mm_idset_free(s);
        return e;
    }
    const char *line;
    size_t len;
    while (mm_lines_next(r, &line, &len, &e) == 1) {
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            len--;
        if (len && (e = mm_idset_add(s, line, len)) != MM_OK) break;
    }
    mm_lines_close(r);
    if (e != MM_OK) {
        mm_idset_free(s);
        return e;
    }
    *out = s;
    return MM_OK;
}

/* One pass over a shard: copy the selected documents (attrs false) or list the others in an
 * attribute file (attrs true). */
static mm_err select_shard(const mm_idset *ids, const char *shard_path, const char *out_path,
                           bool attrs, uint64_t *kept, uint64_t *dropped, uint64_t *bad) {
    *kept = *dropped = 0;
    mm_doc_reader *r;
    MM_TRY(mm_doc_reader_open(shard_path, &r));
    size_t n = strlen(out_path);
    mm_out *o = NULL;
    mm_attr_writer *w = NULL;
    mm_err e = attrs
                   ? mm_attr_writer_open(out_path, MM_ATTR_BELOW_THRESHOLD, &w)
                   : mm_out_open(out_path, n > 4 && !strcmp(out_path + n - 4, ".zst") ? 3 : 0, &o);
    mm_doc d;
    int k;
    while (e == MM_OK && (k = mm_doc_reader_next(r, &d, &e)) != 0 && e == MM_OK) {
        if (k < 0) continue;
        if (!mm_idset_has(ids, d.id, strlen(d.id))) {
            (*dropped)++;
            if (w) e = mm_attr_writer_add(w, d.id, NULL, NULL);
            continue;
        }
        (*kept)++;
        if (o) e = mm_out_write(o, d.raw, d.raw_len);
        if (o && e == MM_OK) e = mm_out_write(o, "\n", 1);
    }
    if (bad) *bad += mm_doc_reader_bad(r);
    mm_doc_reader_close(r);
    if (e == MM_OK) return w ? mm_attr_writer_commit(w) : mm_out_commit(o);
    mm_attr_writer_abort(w);
    mm_out_abort(o);
    return e;
}

mm_err mm_select_docs(const mm_idset *ids, const char *shard_path, const char *out_path,
                      uint64_t *kept, uint64_t *bad) {
    uint64_t dropped;
    return select_shard(ids, shard_path, out_path, false, kept, &dropped, bad);
}

mm_err mm_select_attrs(const mm_idset *ids, const char *shard_path, const char *attrs_path,
                       uint64_t *kept, uint64_t *dropped, uint64_t *bad) {
    return select_shard(ids, shard_path, attrs_path, true, kept, dropped, bad);
}

/* ---- the selection as a map stage: the cut saved by a reduce, applied per shard ------------- */

mm_err mm_select_cut_save(const mm_select_cut *c, const mm_select_stats *st, const char *path) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_err e = mm_jw_obj_begin(&w);
    if (!e) e = mm_jw_key(&w, "none"), e = e ? e : mm_jw_bool(&w, c->none);
    char num[40];
    snprintf(num, sizeof num, "%.17g", c->none ? 0 : c->score);
    if (!e) e = mm_jw_key(&w, "score"), e = e ? e : mm_jw_raw(&w, num);
    if (!e) e = mm_jw_key(&w, "all_ties"), e = e ? e : mm_jw_bool(&w, c->all_ties);
    if (!e) e = mm_jw_key(&w, "id"), e = e ? e : (c->id ? mm_jw_string(&w, c->id) : mm_jw_null(&w));
    const char *k[5] = {"rows", "selected", "tokens_total", "tokens_selected", "bad_lines"};
    uint64_t v[5] = {st->rows, st->selected, st->tokens_total, st->tokens_selected, st->bad_lines};
    for (int i = 0; !e && i < 5; i++)
        e = mm_jw_key(&w, k[i]), e = e ? e : mm_jw_uint(&w, v[i]);
    if (!e) e = mm_jw_key(&w, "cutoff"), e = e ? e : mm_jw_double(&w, st->cutoff);
    if (!e) e = mm_jw_obj_end(&w);
    if (!e) e = mm_buf_putc(&b, '\n');
    if (!e) e = mm_out_file(path, 0, b.data, b.len);
    mm_buf_free(&b);
    return e;
}

mm_err mm_select_cut_load(const char *path, mm_select_cut *c, mm_select_stats *st) {
    memset(c, 0, sizeof *c);
    mm_json_doc *doc;
    mm_json *root;
    MM_TRY(mm_json_parse_file(path, &doc, &root));
    const mm_json *none = mm_json_get(root, "none"), *ties = mm_json_get(root, "all_ties");
    const mm_json *score = mm_json_get(root, "score"), *id = mm_json_get(root, "id");
    mm_err e = MM_OK;
    if (!none || none->type != MM_JSON_BOOL || !ties || ties->type != MM_JSON_BOOL || !score ||
        score->type != MM_JSON_NUM || !id ||
        (id->type != MM_JSON_STR && id->type != MM_JSON_NULL) ||
        (!ties->b && !none->b && id->type != MM_JSON_STR))
        e = mm_fail(MM_ERR_FORMAT,
                    "%s: not a selection cut (none, score, all_ties, id); write it with "
                    "`mathmine select ... --cut-out`",
                    path);
    if (e == MM_OK) {
        c->none = none->b, c->score = score->num, c->all_ties = ties->b;
        if (id->type == MM_JSON_STR && !(c->id = mm_strndup(id->str, id->len))) e = MM_ERR_NOMEM;
    }
    if (e == MM_OK && st) {
        memset(st, 0, sizeof *st);
        st->rows = (uint64_t)mm_json_get_num(root, "rows", 0);
        st->selected = (uint64_t)mm_json_get_num(root, "selected", 0);
        st->tokens_total = (uint64_t)mm_json_get_num(root, "tokens_total", 0);
        st->tokens_selected = (uint64_t)mm_json_get_num(root, "tokens_selected", 0);
        st->bad_lines = (uint64_t)mm_json_get_num(root, "bad_lines", 0);
        st->cutoff = mm_json_get_num(root, "cutoff", NAN);
    }
    mm_json_doc_free(doc);
    return e;
}

typedef struct cut_ids {
    const mm_select_cut *cut;
    mm_idset *ids;
} cut_ids;

static mm_err add_if_cut(void *arg, const mm_clf_score_row *row) {
    cut_ids *c = arg;
    if (!mm_select_cut_has(c->cut, row->score, row->id)) return MM_OK;
    return mm_idset_add(c->ids, row->id, strlen(row->id));
}

mm_err mm_select_attrs_cut(const mm_select_cut *cut, const char *scores_path,
                           const char *shard_path, const char *attrs_path, uint64_t *kept,
                           uint64_t *dropped, uint64_t *bad) {
    cut_ids c = {cut, NULL};
    MM_TRY(mm_idset_create(&c.ids));
    mm_err e = for_rows(&scores_path, 1, add_if_cut, &c, NULL);
    if (e == MM_OK) e = mm_select_attrs(c.ids, shard_path, attrs_path, kept, dropped, bad);
    mm_idset_free(c.ids);
    return e;
}
