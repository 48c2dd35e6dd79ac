/* classifier/select.c — selection by score (threshold / top fraction / top tokens) over score
 * files, the id set it writes, and copying the selected documents out of shards. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier.h"
#include "common/attrs.h"
#include "common/doc.h"
#include "common/hash.h"
#include "common/io.h"

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
} rows;

static const mm_buf *g_ids; /* set by the caller of qsort; selection is not re-entrant */

static int cmp_rank(const void *a, const void *b) {
    const srow *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return strcmp(g_ids->data + x->id_off, g_ids->data + y->id_off);
}

static int cmp_id(const void *a, const void *b) {
    return strcmp(g_ids->data + ((const srow *)a)->id_off, g_ids->data + ((const srow *)b)->id_off);
}

static mm_err load_rows(const char *const *paths, size_t n, rows *rs, mm_select_stats *st) {
    for (size_t i = 0; i < n; i++) {
        mm_clf_scores *r;
        MM_TRY(mm_clf_scores_open(paths[i], &r));
        mm_clf_score_row row;
        mm_err e = MM_OK;
        int k;
        while ((k = mm_clf_scores_next(r, &row, &e)) != 0 && e == MM_OK) {
            if (k < 0 || isnan(row.score)) {
                st->bad_lines++;
                continue;
            }
            if (rs->n == rs->cap) {
                size_t c = rs->cap ? rs->cap * 2 : 4096;
                srow *q = realloc(rs->r, c * sizeof *q);
                if (!q) {
                    e = mm_fail(MM_ERR_NOMEM, "out of memory reading scores");
                    break;
                }
                rs->r = q, rs->cap = c;
            }
            size_t len = strlen(row.id);
            srow s = {rs->ids.len, (uint32_t)len, row.score, row.tokens};
            if ((e = mm_buf_append(&rs->ids, row.id, len + 1)) != MM_OK) break;
            rs->r[rs->n++] = s;
            st->tokens_total += row.tokens;
        }
        mm_clf_scores_close(r);
        MM_TRY(e);
    }
    st->rows = rs->n;
    return MM_OK;
}

/* How many of the ranked rows are selected. */
static size_t count_selected(const rows *rs, mm_select_mode mode, double value) {
    size_t k = 0;
    if (mode == MM_SELECT_THRESHOLD) {
        while (k < rs->n && rs->r[k].score >= value) k++;
    } else if (mode == MM_SELECT_TOP_FRAC) {
        k = (size_t)ceil(value * (double)rs->n - 1e-9);
        if (k > rs->n) k = rs->n;
    } else {
        uint64_t sum = 0;
        while (k < rs->n && (double)sum < value) sum += rs->r[k++].tokens;
    }
    return k;
}

mm_err mm_select_ids(const char *const *score_paths, size_t n, mm_select_mode mode, double value,
                     const char *ids_out, mm_select_stats *st_out) {
    mm_select_stats st0, *st = st_out ? st_out : &st0;
    memset(st, 0, sizeof *st);
    st->cutoff = NAN;
    if (mode == MM_SELECT_TOP_FRAC && !(value > 0 && value <= 1))
        return mm_fail(MM_ERR_ARG, "top fraction %g is not in (0, 1]", value);
    rows rs = {0};
    mm_err e = load_rows(score_paths, n, &rs, st);
    mm_out *o = NULL;
    if (e == MM_OK) {
        g_ids = &rs.ids;
        qsort(rs.r, rs.n, sizeof *rs.r, cmp_rank);
        size_t k = count_selected(&rs, mode, value);
        if (k) st->cutoff = rs.r[k - 1].score;
        for (size_t i = 0; i < k; i++) st->tokens_selected += rs.r[i].tokens;
        qsort(rs.r, k, sizeof *rs.r, cmp_id);
        e = mm_out_open(ids_out, 3, &o);
        for (size_t i = 0; i < k && e == MM_OK; i++) {
            const char *id = rs.ids.data + rs.r[i].id_off;
            if (i && !strcmp(id, rs.ids.data + rs.r[i - 1].id_off)) {
                st->duplicates++;
                continue;
            }
            e = mm_out_write(o, id, rs.r[i].id_len);
            if (e == MM_OK) e = mm_out_write(o, "\n", 1);
            st->selected++;
        }
        if (e == MM_OK) e = mm_out_commit(o);
        else mm_out_abort(o);
        g_ids = NULL;
    }
    mm_buf_free(&rs.ids);
    free(rs.r);
    return e;
}

/* ---- id sets ------------------------------------------------------------------------------------ */

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

bool mm_idset_has(const mm_idset *s, const char *id, size_t n) { return *find_slot(s, id, n) != 0; }
size_t mm_idset_size(const mm_idset *s) { return s->n; }

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
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
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
static mm_err select_shard(const mm_idset *ids, const char *shard_path, const char *out_path, bool attrs,
                           uint64_t *kept, uint64_t *dropped, uint64_t *bad) {
    *kept = *dropped = 0;
    mm_doc_reader *r;
    MM_TRY(mm_doc_reader_open(shard_path, &r));
    size_t n = strlen(out_path);
    mm_out *o = NULL;
    mm_attr_writer *w = NULL;
    mm_err e = attrs ? mm_attr_writer_open(out_path, MM_ATTR_BELOW_THRESHOLD, &w)
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
