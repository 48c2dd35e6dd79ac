/* dedup/decontam_run.c — the decontamination stage over document shards
 * (dedup/decontam_run.h). */
#include "dedup/decontam_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/attrs.h"
#include "common/doc.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"

enum { MAX_WARNINGS = 3 };

typedef struct removed_doc {
    char *id, *url;
    uint64_t line; /* 1-based record number of the document in its shard */
    size_t nm;
    mm_decontam_match m[];
} removed_doc;

typedef struct shard {
    const char *path;
    char stem[256];
    mm_buf removed; /* raw lines of removed documents */
    removed_doc **docs;
    size_t ndocs, capdocs;
    uint64_t in, bad, bytes, skipped;
    double scan_time; /* seconds inside mm_decontam_scan (monotonic clock) */
    double read_time; /* seconds reading documents: zstd, lines, JSON (monotonic clock) */
    double cpu;       /* thread CPU seconds for the whole shard */
    mm_err err;
    char errmsg[512];
    char warn[MAX_WARNINGS][512];
    const char *warnp[MAX_WARNINGS];
    size_t nwarn;
} shard;

struct mm_decontam_run {
    const mm_decontam *d;
    shard *shards;
    size_t n;
    const char *out_dir;
    bool attrs; /* attribute mode: out_dir is the attribute folder */
    size_t max_matches;
    volatile int *stop;
    mm_progress *progress;
};

static bool stopped(const mm_decontam_run *j) {
    return j->stop && *j->stop;
}

static mm_err keep_removed(shard *s, const mm_doc *doc, uint64_t line, const mm_decontam_match *m,
                           size_t nm) {
    if (s->ndocs == s->capdocs) {
        size_t c = s->capdocs ? s->capdocs * 2 : 16;
        removed_doc **p = realloc(s->docs, c * sizeof *p);
        if (!p) return MM_ERR_NOMEM;
        s->docs = p;
        s->capdocs = c;
    }
    removed_doc *r = mm_calloc(1, sizeof *r + nm * sizeof *m);
    if (!r) return MM_ERR_NOMEM;
    r->id = mm_strndup(doc->id, strlen(doc->id));
    r->url = mm_strndup(doc->url, strlen(doc->url));
    r->line = line;
    r->nm = nm;
    memcpy(r->m, m, nm * sizeof *m);
    s->docs[s->ndocs++] = r;
    MM_TRY(mm_buf_append(&s->removed, doc->raw, doc->raw_len));
    return mm_buf_putc(&s->removed, '\n');
}

/* The attribute line of a contaminated document: reason contaminated:<benchmark> of its first
 * match, detail "<file> item <N>". */
static mm_err add_attr(mm_attr_writer *w, const mm_decontam *d, const mm_doc *doc,
                       const mm_decontam_match *m, mm_buf *why) {
    mm_decontam_text_info t;
    mm_decontam_bench_info b;
    mm_decontam_text(d, m->text, &t);
    mm_decontam_bench(d, t.bench, &b);
    mm_buf_clear(why);
    MM_TRY(mm_buf_printf(why, "contaminated:%s", b.name));
    char detail[512];
    snprintf(detail, sizeof detail, "%s item %llu", b.file, (unsigned long long)t.item);
    return mm_attr_writer_add(w, doc->id, why->data, detail);
}

/* The scan of each document is timed with the monotonic clock (mm_now): it is read without a
 * system call, while the thread CPU clock costs one (1.6 us on this VM, and a system call can
 * flush the TLB that the scan's random lookups depend on).  With one thread per core the two
 * agree; on a loaded machine the monotonic time can only be longer. */

static mm_err do_shard(void *ctx, size_t i, int worker) {
    (void)worker;
    mm_decontam_run *j = ctx;
    shard *s = &j->shards[i];
    char out_path[4096];
    snprintf(out_path, sizeof out_path, "%s/%s.jsonl.zst", j->out_dir, s->stem);
    mm_doc_reader *r = NULL;
    mm_out *o = NULL;
    mm_attr_writer *aw = NULL;
    mm_attrs *skip = NULL;
    mm_buf ap = {0}, why = {0};
    mm_err e = mm_doc_reader_open(s->path, &r);
    if (!e) mm_doc_reader_light(r); /* id, text, url and the raw line are all it needs */
    if (!e && j->attrs) e = mm_attrs_load(&j->out_dir, 1, s->path, MM_ATTR_CONTAMINATED, &skip);
    if (!e && j->attrs) e = mm_attr_path(j->out_dir, s->path, MM_ATTR_CONTAMINATED, &ap);
    if (!e && j->attrs)
        e = mm_attr_writer_open(ap.data, MM_ATTR_CONTAMINATED, &aw);
    else if (!e)
        e = mm_out_open(out_path, 3, &o);
    mm_decontam_match m[64];
    mm_doc doc;
    int got;
    double c0 = mm_thread_cpu();
    uint64_t line = 0, last_bytes = 0;
    double tr = mm_now();
    while (!e && !stopped(j) && (got = mm_doc_reader_next(r, &doc, &e)) != 0) {
        s->read_time += mm_now() - tr;
        line++;
        if (got < 0) {
            if (s->nwarn < MAX_WARNINGS) {
                snprintf(s->warn[s->nwarn], sizeof s->warn[0], "%s", mm_error_detail());
                s->warnp[s->nwarn] = s->warn[s->nwarn];
                s->nwarn++;
            }
            continue;
        }
        if (mm_attrs_reason(skip, doc.id, strlen(doc.id))) {
            s->skipped++;
            continue;
        }
        s->in++;
        s->bytes += doc.text_len;
        double t0 = mm_now();
        size_t nm = mm_decontam_scan(j->d, doc.text, doc.text_len, m, j->max_matches);
        s->scan_time += mm_now() - t0;
        if (nm) {
            e = keep_removed(s, &doc, line, m, nm);
            if (!e && aw) e = add_attr(aw, j->d, &doc, &m[0], &why);
        } else if (o && !(e = mm_out_write(o, doc.raw, doc.raw_len)))
            e = mm_out_write(o, "\n", 1);
        if ((s->in & 1023) == 0) {
            uint64_t b = mm_doc_reader_bytes(r);
            mm_progress_add(j->progress, 0, b - last_bytes);
            last_bytes = b;
        }
        tr = mm_now();
    }
    if (!e && stopped(j)) e = mm_fail(MM_ERR_IO, "interrupted");
    if (r) s->bad = mm_doc_reader_bad(r);
    if (!e && o) e = mm_out_commit(o), o = NULL;
    if (!e && aw) e = mm_attr_writer_commit(aw), aw = NULL;
    mm_out_abort(o);
    mm_attr_writer_abort(aw);
    mm_attrs_free(skip);
    mm_buf_free(&ap);
    mm_buf_free(&why);
    s->cpu = mm_thread_cpu() - c0;
    mm_progress_add(j->progress, 1, r ? mm_doc_reader_bytes(r) - last_bytes : 0);
    mm_doc_reader_close(r);
    if (e) {
        s->err = e;
        snprintf(s->errmsg, sizeof s->errmsg, "%s", mm_error_detail());
    }
    return e;
}

/* ---- the report ---- */

typedef struct found {
    uint32_t text;
    uint64_t docs;
} found;

static int cmp_found(const void *a, const void *b) {
    const found *x = a, *y = b;
    return x->text < y->text ? -1 : x->text > y->text;
}

/* A benchmark text's place: "item", "line" (null when the format has none), "id", "field". */
static mm_err write_text_ref(mm_jw *w, const mm_decontam_text_info *t) {
    MM_TRY(mm_jw_key(w, "item"));
    MM_TRY(mm_jw_uint(w, t->item));
    MM_TRY(mm_jw_key(w, "line"));
    MM_TRY(t->line ? mm_jw_uint(w, t->line) : mm_jw_null(w));
    MM_TRY(mm_jw_key(w, "id"));
    MM_TRY(mm_jw_string(w, t->id));
    MM_TRY(mm_jw_key(w, "field"));
    return mm_jw_string(w, t->field);
}

static mm_err write_match(mm_jw *w, const mm_decontam *d, const mm_decontam_match *m, mm_buf *tmp) {
    mm_decontam_text_info t;
    mm_decontam_bench_info b;
    mm_decontam_text(d, m->text, &t);
    mm_decontam_bench(d, t.bench, &b);
    mm_buf_clear(tmp);
    MM_TRY(mm_decontam_ngram(d, m, tmp));
    MM_TRY(mm_jw_obj_begin(w));
    MM_TRY(mm_jw_key(w, "benchmark"));
    MM_TRY(mm_jw_string(w, b.name));
    MM_TRY(mm_jw_key(w, "file"));
    MM_TRY(mm_jw_string(w, b.file));
    MM_TRY(write_text_ref(w, &t));
    MM_TRY(mm_jw_key(w, "kind"));
    MM_TRY(mm_jw_string(w, m->whole ? "whole" : "ngram"));
    MM_TRY(mm_jw_key(w, "ngram"));
    MM_TRY(mm_jw_stringn(w, tmp->data ? tmp->data : "", tmp->len));
    MM_TRY(mm_jw_key(w, "doc_word"));
    MM_TRY(mm_jw_uint(w, m->doc_word));
    return mm_jw_obj_end(w);
}

static mm_err write_bench(mm_jw *w, const mm_decontam *d, size_t bi, const found *f, size_t nf) {
    mm_decontam_bench_info b;
    mm_decontam_bench(d, bi, &b);
    MM_TRY(mm_jw_obj_begin(w));
    MM_TRY(mm_jw_key(w, "name"));
    MM_TRY(mm_jw_string(w, b.name));
    MM_TRY(mm_jw_key(w, "file"));
    MM_TRY(mm_jw_string(w, b.file));
    MM_TRY(mm_jw_key(w, "fields"));
    MM_TRY(mm_jw_string(w, b.fields));
    const struct {
        const char *key;
        uint64_t v;
    } counts[] = {{"records", b.records},         {"texts", b.texts},
                  {"short_texts", b.short_texts}, {"too_short", b.too_short},
                  {"trivial", b.trivial},         {"bad_records", b.bad}};
    for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
        MM_TRY(mm_jw_key(w, counts[k].key));
        MM_TRY(mm_jw_uint(w, counts[k].v));
    }
    uint64_t items = 0, last = UINT64_MAX;
    for (size_t k = 0; k < nf; k++) {
        mm_decontam_text_info t;
        mm_decontam_text(d, f[k].text, &t);
        if (t.bench == bi && t.item != last) items++, last = t.item;
    }
    MM_TRY(mm_jw_key(w, "items_found"));
    MM_TRY(mm_jw_uint(w, items));
    MM_TRY(mm_jw_key(w, "found"));
    MM_TRY(mm_jw_arr_begin(w));
    for (size_t k = 0; k < nf; k++) {
        mm_decontam_text_info t;
        mm_decontam_text(d, f[k].text, &t);
        if (t.bench != bi) continue;
        MM_TRY(mm_jw_obj_begin(w));
        MM_TRY(write_text_ref(w, &t));
        MM_TRY(mm_jw_key(w, "docs"));
        MM_TRY(mm_jw_uint(w, f[k].docs));
        MM_TRY(mm_jw_obj_end(w));
    }
    MM_TRY(mm_jw_arr_end(w));
    return mm_jw_obj_end(w);
}

mm_err mm_decontam_run_report(const mm_decontam_run *r, const mm_decontam *d, int n, double load_s,
                              double scan_s, uint64_t rss_kb, mm_buf *out) {
    const shard *sh = r->shards;
    size_t ns = r->n;
    mm_jw w;
    mm_jw_init(&w, out);
    mm_buf tmp = {0};
    uint64_t in = 0, rm = 0, bad = 0, bytes = 0;
    found *f = NULL;
    size_t nf = 0, capf = 0;
    for (size_t i = 0; i < ns; i++) {
        in += sh[i].in, rm += sh[i].ndocs, bad += sh[i].bad, bytes += sh[i].bytes;
        for (size_t k = 0; k < sh[i].ndocs; k++)
            for (size_t m = 0; m < sh[i].docs[k]->nm; m++) {
                if (nf == capf) {
                    capf = capf ? capf * 2 : 64;
                    found *p = realloc(f, capf * sizeof *p);
                    if (!p) return MM_ERR_NOMEM;
                    f = p;
                }
                f[nf++] = (found){sh[i].docs[k]->m[m].text, 1};
            }
    }
    if (nf) qsort(f, nf, sizeof *f, cmp_found);
    size_t u = 0;
    for (size_t k = 0; k < nf; k++) {
        if (u && f[u - 1].text == f[k].text)
            f[u - 1].docs++;
        else
            f[u++] = f[k];
    }
    nf = u;
    mm_err e = mm_jw_obj_begin(&w);
    if (!e) e = mm_jw_key(&w, "n"), e = e ? e : mm_jw_int(&w, n);
    if (!e) e = mm_jw_key(&w, "docs_in"), e = e ? e : mm_jw_uint(&w, in);
    if (!e) e = mm_jw_key(&w, "docs_removed"), e = e ? e : mm_jw_uint(&w, rm);
    if (!e) e = mm_jw_key(&w, "docs_clean"), e = e ? e : mm_jw_uint(&w, in - rm);
    if (!e) e = mm_jw_key(&w, "broken_lines_skipped"), e = e ? e : mm_jw_uint(&w, bad);
    if (!e) e = mm_jw_key(&w, "text_bytes"), e = e ? e : mm_jw_uint(&w, bytes);
    if (!e) e = mm_jw_key(&w, "benchmark_keys"), e = e ? e : mm_jw_uint(&w, mm_decontam_keys(d));
    if (!e) e = mm_jw_key(&w, "benchmark_load_s"), e = e ? e : mm_jw_double(&w, load_s);
    if (!e) e = mm_jw_key(&w, "scan_s"), e = e ? e : mm_jw_double(&w, scan_s);
    if (!e) e = mm_jw_key(&w, "max_rss_kb"), e = e ? e : mm_jw_uint(&w, rss_kb);
    if (!e) e = mm_jw_key(&w, "benchmark_problems"), e = e ? e : mm_jw_arr_begin(&w);
    for (size_t i = 0; !e && i < mm_decontam_nproblems(d); i++)
        e = mm_jw_string(&w, mm_decontam_problem(d, i));
    if (!e) e = mm_jw_arr_end(&w);
    if (!e) e = mm_jw_key(&w, "benchmarks"), e = e ? e : mm_jw_arr_begin(&w);
    for (size_t b = 0; !e && b < mm_decontam_nbench(d); b++)
        e = write_bench(&w, d, b, f, nf);
    if (!e) e = mm_jw_arr_end(&w);
    if (!e) e = mm_jw_key(&w, "removed"), e = e ? e : mm_jw_arr_begin(&w);
    for (size_t i = 0; !e && i < ns; i++)
        for (size_t k = 0; !e && k < sh[i].ndocs; k++) {
            const removed_doc *rd = sh[i].docs[k];
            e = mm_jw_obj_begin(&w);
            if (!e) e = mm_jw_key(&w, "id"), e = e ? e : mm_jw_string(&w, rd->id ? rd->id : "");
            if (!e) e = mm_jw_key(&w, "url"), e = e ? e : mm_jw_string(&w, rd->url ? rd->url : "");
            if (!e) e = mm_jw_key(&w, "shard"), e = e ? e : mm_jw_string(&w, sh[i].path);
            if (!e) e = mm_jw_key(&w, "line"), e = e ? e : mm_jw_uint(&w, rd->line);
            if (!e) e = mm_jw_key(&w, "matches"), e = e ? e : mm_jw_arr_begin(&w);
            for (size_t m = 0; !e && m < rd->nm; m++)
                e = write_match(&w, d, &rd->m[m], &tmp);
            if (!e) e = mm_jw_arr_end(&w);
            if (!e) e = mm_jw_obj_end(&w);
        }
    if (!e) e = mm_jw_arr_end(&w);
    if (!e) e = mm_jw_obj_end(&w);
    free(f);
    mm_buf_free(&tmp);
    return e;
}

mm_err mm_decontam_run_shards(const mm_decontam *d, const char *const *paths, size_t n,
                              const mm_decontam_run_opts *o, mm_decontam_run **out) {
    *out = NULL;
    mm_decontam_run *j = mm_calloc(1, sizeof *j);
    if (!j || !(j->shards = mm_calloc(n ? n : 1, sizeof *j->shards)))
        return free(j), mm_fail(MM_ERR_NOMEM, "decontaminate: out of memory");
    j->d = d, j->n = n, j->out_dir = o->out_dir, j->attrs = o->attrs;
    j->max_matches = o->max_matches > 0 ? (size_t)(o->max_matches < 64 ? o->max_matches : 64) : 8;
    j->stop = o->stop, j->progress = o->progress;
    mm_err e = MM_OK;
    for (size_t i = 0; i < n && e == MM_OK; i++) {
        shard *s = &j->shards[i];
        s->path = paths[i];
        mm_stem(s->path, s->stem, sizeof s->stem);
        if (!strcmp(s->stem, "removed"))
            e = mm_fail(MM_ERR_ARG, "%s: the stem 'removed' is reserved for the removed documents",
                        s->path);
        for (size_t k = 0; k < i && e == MM_OK; k++)
            if (!strcmp(s->stem, j->shards[k].stem))
                e = mm_fail(MM_ERR_ARG, "%s and %s would both write %s.jsonl.zst",
                            j->shards[k].path, s->path, s->stem);
    }
    if (e == MM_OK) e = mm_mkdirs(o->out_dir);
    if (e == MM_OK) mm_pool_run(n, o->threads, do_shard, j); /* a failed shard: its stats */
    if (e == MM_OK && stopped(j)) e = mm_fail(MM_ERR_IO, "interrupted");
    if (e != MM_OK) return mm_decontam_run_free(j), e;
    *out = j;
    return MM_OK;
}

size_t mm_decontam_run_nshards(const mm_decontam_run *r) {
    return r->n;
}

void mm_decontam_run_shard(const mm_decontam_run *r, size_t i, mm_decontam_shard_stats *s) {
    const shard *sh = &r->shards[i];
    *s = (mm_decontam_shard_stats){sh->path,    sh->in,        sh->ndocs,     sh->bad, sh->bytes,
                                   sh->skipped, sh->scan_time, sh->read_time, sh->cpu, sh->err,
                                   sh->errmsg,  sh->nwarn,     sh->warnp};
}

mm_err mm_decontam_run_removed(const mm_decontam_run *r, mm_buf *out) {
    for (size_t i = 0; i < r->n; i++)
        MM_TRY(mm_buf_append(out, r->shards[i].removed.data ? r->shards[i].removed.data : "",
                             r->shards[i].removed.len));
    return MM_OK;
}

void mm_decontam_run_free(mm_decontam_run *r) {
    if (!r) return;
    for (size_t i = 0; r->shards && i < r->n; i++) {
        shard *s = &r->shards[i];
        for (size_t k = 0; k < s->ndocs; k++) {
            free(s->docs[k]->id);
            free(s->docs[k]->url);
            free(s->docs[k]);
        }
        free(s->docs);
        mm_buf_free(&s->removed);
    }
    free(r->shards);
    free(r);
}
