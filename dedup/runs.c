#include "dedup/runs.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "common/buf.h"
#include "common/merge.h"

mm_err dd_grow(void **arr, size_t *cap, size_t need, size_t sz) {
    if (need <= *cap) return MM_OK;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *p = realloc(*arr, c * sz);
    if (!p) return mm_fail(MM_ERR_NOMEM, "out of memory (%zu items of %zu bytes)", c, sz);
    *arr = p;
    *cap = c;
    return MM_OK;
}

mm_err dd_create(dd_writer *w, const char *path, const char magic[8], uint32_t recsize,
                 const uint64_t p[8]) {
    memset(w, 0, sizeof *w);
    memcpy(w->magic, magic, 8);
    MM_TRY(mm_out_open(path, 0, &w->o));
    dd_header h = {.version = DD_VERSION, .recsize = recsize};
    memcpy(h.magic, magic, 8);
    if (p) memcpy(h.p, p, sizeof h.p);
    mm_err e = mm_out_write(w->o, &h, sizeof h);
    if (e) dd_abort(w);
    return e;
}

mm_err dd_write(dd_writer *w, const void *recs, size_t n, size_t recsize) {
    if (!n) return MM_OK; /* recs may be NULL then */
    w->count += n;
    return mm_out_write(w->o, recs, n * recsize);
}

mm_err dd_close(dd_writer *w) {
    uint64_t t[2];
    t[0] = w->count;
    memcpy(&t[1], w->magic, 8);
    mm_err e = mm_out_write(w->o, t, sizeof t);
    if (e) {
        dd_abort(w);
        return e;
    }
    e = mm_out_commit(w->o);
    w->o = NULL;
    return e;
}

void dd_abort(dd_writer *w) {
    mm_out_abort(w->o);
    w->o = NULL;
}

mm_err dd_open(dd_reader *r, const char *path, const char magic[8], uint32_t recsize) {
    memset(r, 0, sizeof *r);
    r->path = mm_strndup(path, strlen(path));
    if (!r->path) return MM_ERR_NOMEM;
    r->f = fopen(path, "rb");
    if (!r->f) return mm_fail(MM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    uint64_t t[2];
    if (fstat(fileno(r->f), &st) || fread(&r->h, sizeof r->h, 1, r->f) != 1)
        return mm_fail(MM_ERR_TRUNCATED,
                       "%s: shorter than its header; rerun the stage that wrote it", path);
    if (memcmp(r->h.magic, magic, 8))
        return mm_fail(MM_ERR_FORMAT, "%s: byte 0: not a %.8s file", path, magic);
    if (r->h.version != DD_VERSION || r->h.recsize != recsize)
        return mm_fail(
            MM_ERR_UNSUPPORTED,
            "%s: version %u record size %u, expected %u/%u; rerun the stage that wrote it", path,
            r->h.version, r->h.recsize, DD_VERSION, recsize);
    if ((uint64_t)st.st_size < sizeof r->h + sizeof t ||
        fseeko(r->f, st.st_size - (off_t)sizeof t, SEEK_SET) || fread(t, sizeof t, 1, r->f) != 1 ||
        memcmp(&t[1], magic, 8) || (uint64_t)st.st_size != sizeof r->h + sizeof t + t[0] * recsize)
        return mm_fail(
            MM_ERR_TRUNCATED,
            "%s: size %lld does not match its trailer (truncated?); rerun the stage that wrote it",
            path, (long long)st.st_size);
    r->count = t[0];
    r->buf_recs = recsize >= 4096 ? 1 : 65536 / recsize;
    r->buf = mm_malloc(r->buf_recs * recsize);
    if (!r->buf) return MM_ERR_NOMEM;
    return dd_seek(r, 0, r->count);
}

mm_err dd_seek(dd_reader *r, uint64_t first, uint64_t n) {
    if (first + n > r->count) return mm_fail(MM_ERR_FORMAT, "%s: range past the end", r->path);
    if (fseeko(r->f, (off_t)(sizeof r->h + first * r->h.recsize), SEEK_SET))
        return mm_fail(MM_ERR_IO, "%s: seek: %s", r->path, strerror(errno));
    r->left = n;
    r->buf_n = r->buf_i = 0;
    return MM_OK;
}

const void *dd_next(dd_reader *r, mm_err *err) {
    *err = MM_OK;
    if (r->buf_i == r->buf_n) {
        if (!r->left) return NULL;
        size_t want = r->left < r->buf_recs ? (size_t)r->left : r->buf_recs;
        size_t got = fread(r->buf, r->h.recsize, want, r->f);
        if (got != want) {
            *err = mm_fail(MM_ERR_IO, "%s: read failed", r->path);
            return NULL;
        }
        r->left -= got;
        r->buf_n = got;
        r->buf_i = 0;
    }
    return r->buf + (r->buf_i++) * r->h.recsize;
}

void dd_close_reader(dd_reader *r) {
    if (r->f) fclose(r->f);
    free(r->buf);
    free(r->path);
    memset(r, 0, sizeof *r);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

mm_err dd_list(const char *dir, const char *suffix, char ***paths, size_t *n) {
    *paths = NULL;
    *n = 0;
    DIR *dh = opendir(dir);
    if (!dh) return mm_fail(MM_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    size_t cap = 0, sl = strlen(suffix);
    struct dirent *de;
    mm_err e = MM_OK;
    while (!e && (de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l <= sl || strcmp(de->d_name + l - sl, suffix)) continue;
        if ((e = DD_GROW(*paths, cap, *n + 1))) break;
        mm_buf b = {0};
        if ((e = mm_buf_printf(&b, "%s/%s", dir, de->d_name))) break;
        (*paths)[(*n)++] = b.data;
    }
    closedir(dh);
    if (*n) qsort(*paths, *n, sizeof **paths, cmp_str);
    return e;
}

void dd_free_list(char **paths, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

uint64_t dd_date_key(const char *date) {
    uint64_t v = 0;
    int k = 0;
    for (const char *p = date; p && *p && k < 14; p++)
        if (*p >= '0' && *p <= '9') v = v * 10 + (uint64_t)(*p - '0'), k++;
    for (; k > 0 && k < 14; k++)
        v *= 10;
    return v;
}

#include "dedup/dedup.h"
mm_err mm_dedup_list(const char *dir, const char *suffix, char ***paths, size_t *n) {
    return dd_list(dir, suffix, paths, n);
}
void mm_dedup_list_free(char **paths, size_t n) {
    dd_free_list(paths, n);
}

/* ---- hierarchical k-way merge ---- */

static const char RUN_MAGIC[8] = "MMDDRUN2";

typedef struct mcur {
    dd_reader r;
    const unsigned char *cur;
    uint32_t file;
    bool tagged; /* the run index is in each record (an intermediate run) */
    size_t file_off;
    dd_rec_less less;
} mcur;

static uint32_t mcur_file(const mcur *c) {
    uint32_t f = c->file;
    if (c->tagged) memcpy(&f, c->cur + c->file_off, 4);
    return f;
}

static int mcur_less(const void *x, const void *y) {
    const mcur *a = x, *b = y;
    return a->less(a->cur, mcur_file(a), b->cur, mcur_file(b));
}

/* One level: n <= fan-in runs merged into emit. */
static mm_err merge_once(const dd_src *src, size_t n, const char magic[8], bool tagged,
                         uint32_t recsize, size_t file_off, dd_rec_less less, dd_rec_emit emit,
                         void *ctx) {
    mcur *cs = mm_calloc(n ? n : 1, sizeof *cs);
    mcur **heap = mm_calloc(n ? n : 1, sizeof *heap);
    mm_err e = cs && heap ? MM_OK : MM_ERR_NOMEM;
    size_t nh = 0;
    for (size_t i = 0; !e && i < n; i++) {
        cs[i] = (mcur){.file = src[i].file, .tagged = tagged, .file_off = file_off, .less = less};
        if ((e = dd_open(&cs[i].r, src[i].path, magic, recsize))) break;
        if ((e = dd_seek(&cs[i].r, src[i].first, src[i].n))) break;
        if ((cs[i].cur = dd_next(&cs[i].r, &e))) heap[nh++] = &cs[i];
    }
    for (size_t i = nh / 2; !e && i-- > 0;)
        mm_heap_sift_down((void **)heap, nh, i, mcur_less);
    while (!e && nh) {
        mcur *c = heap[0];
        if ((e = emit(ctx, c->cur, mcur_file(c)))) break;
        c->cur = dd_next(&c->r, &e);
        if (!c->cur) heap[0] = heap[--nh];
        mm_heap_sift_down((void **)heap, nh, 0, mcur_less);
    }
    for (size_t i = 0; cs && i < n; i++)
        dd_close_reader(&cs[i].r);
    free(cs);
    free(heap);
    return e;
}

typedef struct tag_ctx {
    dd_writer w;
    size_t file_off, recsize;
    unsigned char rec[4096];
} tag_ctx;

/* Write a record to an intermediate run with its run index in the spare field. */
static mm_err emit_tagged(void *ctx, const void *rec, uint32_t file) {
    tag_ctx *t = ctx;
    memcpy(t->rec, rec, t->recsize);
    memcpy(t->rec + t->file_off, &file, 4);
    return dd_write(&t->w, t->rec, 1, t->recsize);
}

static mm_err merge_level(const dd_src *src, size_t n, const char magic[8], bool tagged,
                          uint32_t recsize, size_t file_off, const char *tmp_prefix, int level,
                          dd_rec_less less, dd_rec_emit emit, void *ctx) {
    size_t fanin = mm_merge_fanin();
    if (n <= fanin) return merge_once(src, n, magic, tagged, recsize, file_off, less, emit, ctx);
    if (recsize > sizeof((tag_ctx *)0)->rec)
        return mm_fail(MM_ERR_ARG, "record size %u too large", recsize);
    size_t ng = (n + fanin - 1) / fanin;
    dd_src *next = mm_calloc(ng, sizeof *next);
    char **paths = mm_calloc(ng, sizeof *paths);
    tag_ctx *t = mm_malloc(sizeof *t);
    mm_err e = next && paths && t ? MM_OK : MM_ERR_NOMEM;
    for (size_t g = 0; !e && g < ng; g++) {
        mm_buf p = {0};
        if ((e = mm_buf_printf(&p, "%s.merge-%d-%zu", tmp_prefix, level, g))) break;
        paths[g] = p.data;
        t->file_off = file_off, t->recsize = recsize;
        if ((e = dd_create(&t->w, paths[g], RUN_MAGIC, recsize, NULL))) break;
        size_t lo = g * fanin, k = n - lo < fanin ? n - lo : fanin;
        e = merge_once(src + lo, k, magic, tagged, recsize, file_off, less, emit_tagged, t);
        uint64_t count = t->w.count;
        if (e)
            dd_abort(&t->w);
        else
            e = dd_close(&t->w);
        next[g] = (dd_src){paths[g], 0, count, 0};
    }
    if (!e)
        e = merge_level(next, ng, RUN_MAGIC, true, recsize, file_off, tmp_prefix, level + 1, less,
                        emit, ctx);
    for (size_t g = 0; paths && g < ng; g++) {
        if (paths[g]) remove(paths[g]);
        free(paths[g]);
    }
    free(paths);
    free(next);
    free(t);
    return e;
}

mm_err dd_merge(const dd_src *src, size_t n, const char magic[8], uint32_t recsize, size_t file_off,
                const char *tmp_prefix, dd_rec_less less, dd_rec_emit emit, void *ctx) {
    return merge_level(src, n, magic, false, recsize, file_off, tmp_prefix, 0, less, emit, ctx);
}

/* ---- the filter stages ---- */

typedef struct filter_out {
    mm_out *o, *t;
    mm_attr_writer *aw;
} filter_out;

static mm_err filter_open(const dd_filter *f, filter_out *fo) {
    if (f->attrs_path) return mm_attr_writer_open(f->attrs_path, f->tag, &fo->aw);
    MM_TRY(mm_out_open(f->out_shard, 3, &fo->o));
    return mm_out_open(f->removed_tsv, 0, &fo->t);
}

static mm_err filter_drop(const dd_filter *f, filter_out *fo, size_t k, const mm_doc *d,
                          mm_buf *line) {
    mm_buf_clear(line);
    MM_TRY(f->line(f->ctx, k, d, fo->aw != NULL, line));
    if (fo->aw) return mm_attr_writer_add(fo->aw, d->id, NULL, line->data ? line->data : "");
    return mm_out_write(fo->t, line->data, line->len);
}

static mm_err filter_keep(filter_out *fo, const mm_doc *d) {
    if (fo->aw) return MM_OK;
    MM_TRY(mm_out_write(fo->o, d->raw, d->raw_len));
    return mm_out_write(fo->o, "\n", 1);
}

mm_err dd_filter_run(const dd_filter *f, mm_dedup_stats *st) {
    memset(st, 0, sizeof *st);
    filter_out fo = {0};
    mm_doc_reader *r = NULL;
    mm_err e = mm_doc_reader_open(f->shard, &r);
    if (!e) e = filter_open(f, &fo);
    mm_doc d;
    int got;
    uint32_t at = 0;
    size_t k = 0;
    uint64_t idsum = 0;
    mm_buf line = {0};
    while (!e && (got = mm_doc_reader_next(r, &d, &e)) != 0) {
        if (got < 0) continue;
        if (mm_attrs_reason(f->skip, d.id, strlen(d.id))) {
            st->skipped++;
            continue;
        }
        idsum = dd_idsum_add(idsum, XXH3_64bits(d.id, strlen(d.id)));
        st->docs++;
        st->bytes += d.text_len;
        while (k < f->npos && f->pos[k] < at)
            k++;
        if (k < f->npos && f->pos[k] == at) {
            st->dropped++;
            e = filter_drop(f, &fo, k, &d, &line);
        } else {
            st->kept++;
            e = filter_keep(&fo, &d);
        }
        at++;
    }
    if (r) st->bad = mm_doc_reader_bad(r);
    mm_doc_reader_close(r);
    if (!e && (st->docs != f->docs || idsum != f->idsum))
        e = mm_fail(MM_ERR_MISMATCH,
                    "%s: %llu documents with other ids than the %llu that %s was made from "
                    "(another file of the same name, or other attribute files before this stage); "
                    "redo the stages from the map/signatures stage on",
                    f->shard, (unsigned long long)st->docs, (unsigned long long)f->docs,
                    f->recorded_in);
    if (fo.aw) {
        if (!e)
            e = mm_attr_writer_commit(fo.aw);
        else
            mm_attr_writer_abort(fo.aw);
    }
    if (!e && fo.t) e = mm_out_commit(fo.t), fo.t = NULL;
    if (!e && fo.o) e = mm_out_commit(fo.o), fo.o = NULL;
    mm_out_abort(fo.t);
    mm_out_abort(fo.o);
    mm_buf_free(&line);
    return e;
}
