/* common/attrs.c — attribute files and the final apply pass (attrs.h). */
#include "common/attrs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/doc.h"
#include "common/io.h"
#include "common/strmap.h"

static const char *const TAGS[MM_ATTR_NTAGS] = {"below_threshold", "url_dup", "exact_dup",
                                                "minhash_dup", "contaminated"};

const char *mm_attr_tag_name(mm_attr_tag t) {
    return (unsigned)t < MM_ATTR_NTAGS ? TAGS[t] : "?";
}

mm_err mm_attr_path(const char *dir, const char *shard, mm_attr_tag t, mm_buf *path) {
    char stem[1024];
    mm_stem(shard, stem, sizeof stem);
    mm_buf_clear(path);
    return mm_buf_printf(path, "%s/%s.%s.attrs.tsv", dir, stem, mm_attr_tag_name(t));
}

/* ---- writing ---- */

struct mm_attr_writer {
    mm_out *o;
    mm_attr_tag tag;
    mm_buf line;
    uint64_t n;
    char *path;
};

mm_err mm_attr_writer_open(const char *path, mm_attr_tag t, mm_attr_writer **out) {
    *out = NULL;
    mm_attr_writer *w = mm_calloc(1, sizeof *w);
    if (!w) return MM_ERR_NOMEM;
    w->tag = t;
    w->path = mm_strndup(path, strlen(path));
    mm_err e = w->path ? mm_out_open(path, 0, &w->o) : MM_ERR_NOMEM;
    if (!e) e = mm_buf_printf(&w->line, "#mathmine-attrs 1 %s\n", mm_attr_tag_name(t));
    if (!e) e = mm_out_write(w->o, w->line.data, w->line.len);
    if (e) {
        mm_attr_writer_abort(w);
        return e;
    }
    *out = w;
    return MM_OK;
}

mm_err mm_attr_writer_add(mm_attr_writer *w, const char *id, const char *reason,
                          const char *detail) {
    if (!*id || strpbrk(id, "\t\n\r"))
        return mm_fail(MM_ERR_FORMAT, "%s: document id '%s' is empty or holds a tab or newline",
                       w->path, id);
    mm_buf_clear(&w->line);
    MM_TRY(mm_buf_printf(&w->line, "%s\t%s", id, reason ? reason : mm_attr_tag_name(w->tag)));
    if (detail && *detail) {
        MM_TRY(mm_buf_putc(&w->line, '\t'));
        for (const char *p = detail; *p; p++)
            MM_TRY(mm_buf_putc(&w->line, strchr("\t\n\r", *p) ? ' ' : *p));
    }
    MM_TRY(mm_buf_putc(&w->line, '\n'));
    w->n++;
    return mm_out_write(w->o, w->line.data, w->line.len);
}

uint64_t mm_attr_writer_count(const mm_attr_writer *w) {
    return w->n;
}

static void writer_free(mm_attr_writer *w) {
    mm_buf_free(&w->line);
    free(w->path);
    free(w);
}

mm_err mm_attr_writer_commit(mm_attr_writer *w) {
    mm_err e = mm_out_commit(w->o);
    writer_free(w);
    return e;
}

void mm_attr_writer_abort(mm_attr_writer *w) {
    if (!w) return;
    mm_out_abort(w->o);
    writer_free(w);
}

/* ---- reading ---- */

struct mm_attrs {
    mm_strmap *ids;   /* id -> index */
    mm_strmap *why;   /* distinct reasons */
    uint32_t *reason; /* per id: index into why */
    char **where;     /* per id: the file it came from (for messages) */
    size_t n, cap, files;
    char *paths[MM_ATTR_NTAGS * 8];
};

static mm_err attrs_add(mm_attrs *a, const char *id, size_t idn, const char *why, size_t whyn,
                        size_t file) {
    int added;
    int64_t k = mm_strmap_put(a->ids, id, idn, &added);
    int64_t r = mm_strmap_put(a->why, why, whyn, &(int){0});
    if (k < 0 || r < 0) return MM_ERR_NOMEM;
    if (!added) return MM_OK; /* the first file (earliest tag) names the reason */
    if ((size_t)k >= a->cap) {
        size_t c = a->cap ? a->cap * 2 : 256;
        uint32_t *p = realloc(a->reason, c * sizeof *p);
        char **q = p ? realloc(a->where, c * sizeof *q) : NULL;
        if (p) a->reason = p;
        if (!q) return MM_ERR_NOMEM;
        a->where = q;
        a->cap = c;
    }
    a->reason[k] = (uint32_t)r;
    a->where[k] = a->paths[file];
    a->n++;
    return MM_OK;
}

static mm_err load_file(mm_attrs *a, const char *path, mm_attr_tag t) {
    mm_lines *r;
    MM_TRY(mm_lines_open(path, 1u << 16, &r));
    const char *line;
    size_t len;
    mm_err e = MM_OK;
    int got;
    size_t fi = a->files;
    a->paths[fi] = mm_strndup(path, strlen(path));
    if (!a->paths[fi])
        e = MM_ERR_NOMEM;
    else
        a->files++;
    char head[64];
    snprintf(head, sizeof head, "#mathmine-attrs 1 %s", mm_attr_tag_name(t));
    while (!e && (got = mm_lines_next(r, &line, &len, &e)) > 0) {
        uint64_t ln = mm_lines_number(r);
        if (ln == 1) {
            if (len != strlen(head) || memcmp(line, head, len))
                e = mm_fail(MM_ERR_FORMAT,
                            "%s: line 1: not an attribute file of %s (expected '%s')", path,
                            mm_attr_tag_name(t), head);
            continue;
        }
        const char *tab = memchr(line, '\t', len);
        if (!tab || tab == line) {
            e = mm_fail(MM_ERR_FORMAT, "%s: line %llu: expected 'id<TAB>reason'", path,
                        (unsigned long long)ln);
            break;
        }
        const char *why = tab + 1, *end = memchr(why, '\t', len - (size_t)(why - line));
        size_t whyn = end ? (size_t)(end - why) : len - (size_t)(why - line);
        e = attrs_add(a, line, (size_t)(tab - line), why, whyn, fi);
    }
    if (!e && mm_lines_skipped_long(r))
        e = mm_fail(MM_ERR_FORMAT, "%s: a line of more than 64 KB", path);
    if (!e && mm_lines_number(r) == 0)
        e = mm_fail(MM_ERR_TRUNCATED, "%s: empty (no header line)", path);
    mm_lines_close(r);
    return e;
}

mm_err mm_attrs_load(const char *const *dirs, size_t ndirs, const char *shard, mm_attr_tag upto,
                     mm_attrs **out) {
    *out = NULL;
    if (ndirs > 8) return mm_fail(MM_ERR_ARG, "at most 8 attribute folders");
    mm_attrs *a = mm_calloc(1, sizeof *a);
    if (!a) return MM_ERR_NOMEM;
    a->ids = mm_strmap_create();
    a->why = mm_strmap_create();
    mm_err e = a->ids && a->why ? MM_OK : MM_ERR_NOMEM;
    mm_buf path = {0};
    for (int t = 0; !e && t < (int)upto && t < MM_ATTR_NTAGS; t++)
        for (size_t d = 0; !e && d < ndirs; d++) {
            struct stat st;
            if ((e = mm_attr_path(dirs[d], shard, (mm_attr_tag)t, &path))) break;
            if (stat(path.data, &st)) {
                if (errno != ENOENT) e = mm_fail(MM_ERR_IO, "%s: %s", path.data, strerror(errno));
                continue;
            }
            e = load_file(a, path.data, (mm_attr_tag)t);
        }
    mm_buf_free(&path);
    if (e) {
        mm_attrs_free(a);
        return e;
    }
    *out = a;
    return MM_OK;
}

void mm_attrs_free(mm_attrs *a) {
    if (!a) return;
    mm_strmap_free(a->ids);
    mm_strmap_free(a->why);
    for (size_t i = 0; i < a->files; i++)
        free(a->paths[i]);
    free(a->reason);
    free(a->where);
    free(a);
}

static int64_t attrs_find(const mm_attrs *a, const char *id, size_t n) {
    return a && a->n ? mm_strmap_find(a->ids, id, n) : -1;
}

const char *mm_attrs_reason(const mm_attrs *a, const char *id, size_t n) {
    int64_t k = attrs_find(a, id, n);
    return k < 0 ? NULL : mm_strmap_key(a->why, a->reason[k]);
}

size_t mm_attrs_size(const mm_attrs *a) {
    return a ? a->n : 0;
}
size_t mm_attrs_files(const mm_attrs *a) {
    return a ? a->files : 0;
}

/* ---- apply ---- */

static void count_reason(mm_apply_stats *st, const char *why) {
    for (int t = 0; t < MM_ATTR_NTAGS; t++) {
        size_t l = strlen(TAGS[t]);
        if (!strncmp(why, TAGS[t], l) && (why[l] == 0 || why[l] == ':')) st->by_tag[t]++;
    }
    size_t i = 0;
    while (i < st->nreasons && strcmp(st->reason[i], why))
        i++;
    if (i == st->nreasons) {
        if (i == MM_APPLY_MAX_REASONS)
            i--;
        else
            snprintf(st->reason[st->nreasons++], sizeof st->reason[0], "%s", why);
    }
    st->reason_docs[i]++;
}

void mm_apply_stats_add(mm_apply_stats *a, const mm_apply_stats *b) {
    a->docs += b->docs, a->kept += b->kept, a->dropped += b->dropped, a->bad += b->bad;
    a->bytes_in += b->bytes_in, a->bytes_out += b->bytes_out;
    for (int t = 0; t < MM_ATTR_NTAGS; t++)
        a->by_tag[t] += b->by_tag[t];
    for (size_t k = 0; k < b->nreasons; k++) {
        size_t i = 0;
        while (i < a->nreasons && strcmp(a->reason[i], b->reason[k]))
            i++;
        if (i == a->nreasons) {
            if (i == MM_APPLY_MAX_REASONS)
                i--;
            else
                memcpy(a->reason[a->nreasons++], b->reason[k], sizeof a->reason[0]);
        }
        a->reason_docs[i] += b->reason_docs[k];
    }
}

mm_err mm_attrs_apply(const mm_attrs *a, const char *shard, const char *out_shard,
                      mm_apply_stats *st) {
    mm_apply_stats s;
    memset(&s, 0, sizeof s);
    size_t n = mm_attrs_size(a);
    uint8_t *seen = mm_calloc(n ? n : 1, 1);
    mm_doc_reader *r = NULL;
    mm_out *o = NULL;
    mm_err e = seen ? mm_doc_reader_open(shard, &r) : MM_ERR_NOMEM;
    if (!e) e = mm_out_open(out_shard, 3, &o);
    mm_doc d;
    int got;
    while (!e && (got = mm_doc_reader_next(r, &d, &e)) != 0) {
        if (got < 0) continue;
        s.docs++;
        s.bytes_in += d.raw_len + 1;
        int64_t k = attrs_find(a, d.id, strlen(d.id));
        if (k >= 0) {
            seen[k] = 1;
            s.dropped++;
            count_reason(&s, mm_strmap_key(a->why, a->reason[k]));
            continue;
        }
        s.kept++;
        s.bytes_out += d.raw_len + 1;
        if (!(e = mm_out_write(o, d.raw, d.raw_len))) e = mm_out_write(o, "\n", 1);
    }
    if (r) s.bad = mm_doc_reader_bad(r);
    mm_doc_reader_close(r);
    for (size_t k = 0; !e && k < n; k++)
        if (!seen[k])
            e = mm_fail(MM_ERR_MISMATCH,
                        "%s: id %s of %s is not in this shard: the attributes were made "
                        "from another version of it; redo them",
                        shard, mm_strmap_key(a->ids, k), a->where[k]);
    free(seen);
    if (!e) e = mm_out_commit(o), o = NULL;
    mm_out_abort(o);
    if (!e) mm_apply_stats_add(st, &s);
    return e;
}
