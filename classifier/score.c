/* classifier/score.c — document shards -> score files, and reading score files back.
 * A score file line: id \t score \t url \t domain \t tokens  (tabs/newlines inside fields are
 * replaced by spaces so the columns stay intact). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier.h"
#include "common/doc.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/pool.h"
#include "common/progress.h"
#include "common/strmap.h"

static volatile int *cancel_flag;

void mm_clf_set_cancel_flag(volatile int *flag) {
    cancel_flag = flag;
}

static bool cancelled(void) {
    return cancel_flag && *cancel_flag;
}

void mm_clf_score_path(const char *out_dir, const char *shard_path, char *out, size_t cap) {
    char stem[1024];
    mm_stem(shard_path, stem, sizeof stem);
    snprintf(out, cap, "%s/%s.scores.tsv", out_dir, stem);
}

/* Two shards named alike (a/x.jsonl.zst and b/x.jsonl.zst, or x.jsonl beside x.jsonl.zst) must
 * not share an output: the second would be taken as done.  A stem shared in the list gets 8 hex
 * digits of a hash of the whole path, so every task of a split list, which sees the whole list,
 * names the same shard the same way. */
mm_err mm_clf_unique_stems(const char *const *paths, size_t n, char ***out) {
    *out = NULL;
    char **st = mm_calloc(n ? n : 1, sizeof *st);
    uint32_t *seen = mm_calloc(n ? n : 1, sizeof *seen);
    mm_strmap *m = mm_strmap_create();
    mm_err e = st && seen && m ? MM_OK : mm_fail(MM_ERR_NOMEM, "output names");
    char stem[1024];
    for (size_t i = 0; i < n && e == MM_OK; i++) {
        mm_stem(paths[i], stem, sizeof stem);
        int64_t k = mm_strmap_put(m, stem, strlen(stem), NULL);
        if (k < 0)
            e = mm_fail(MM_ERR_NOMEM, "output names");
        else
            seen[k]++;
    }
    for (size_t i = 0; i < n && e == MM_OK; i++) {
        mm_stem(paths[i], stem, sizeof stem);
        char name[1100];
        if (seen[mm_strmap_find(m, stem, strlen(stem))] > 1)
            snprintf(name, sizeof name, "%s.%08llx", stem,
                     (unsigned long long)(mm_hash64(paths[i], strlen(paths[i]), 0) & 0xffffffffu));
        else
            snprintf(name, sizeof name, "%s", stem);
        if (!(st[i] = mm_strndup(name, strlen(name)))) e = mm_fail(MM_ERR_NOMEM, "output names");
    }
    /* the same path given twice is one shard named twice: refuse rather than score it twice */
    mm_strmap *names = e == MM_OK ? mm_strmap_create() : NULL;
    for (size_t i = 0; names && i < n && e == MM_OK; i++) {
        int added = 0;
        if (mm_strmap_put(names, st[i], strlen(st[i]), &added) < 0)
            e = MM_ERR_NOMEM;
        else if (!added)
            e = mm_fail(MM_ERR_ARG,
                        "%s: given twice (or two paths to one file name the same "
                        "output '%s')",
                        paths[i], st[i]);
    }
    mm_strmap_free(names);
    mm_strmap_free(m);
    free(seen);
    if (e != MM_OK) {
        mm_clf_free_stems(st, n);
        return e;
    }
    *out = st;
    return MM_OK;
}

void mm_clf_free_stems(char **stems, size_t n) {
    if (!stems) return;
    for (size_t i = 0; i < n; i++)
        free(stems[i]);
    free(stems);
}

static mm_err put_field(mm_buf *b, const char *s) {
    size_t at = b->len;
    MM_TRY(mm_buf_puts(b, s ? s : ""));
    for (size_t i = at; i < b->len; i++)
        if (b->data[i] == '\t' || b->data[i] == '\n' || b->data[i] == '\r') b->data[i] = ' ';
    return MM_OK;
}

static mm_err score_line_out(mm_buf *b, const mm_doc *d, float score, uint64_t tokens) {
    mm_buf_clear(b);
    MM_TRY(put_field(b, d->id));
    MM_TRY(mm_buf_printf(b, "\t%.7g\t", (double)score));
    MM_TRY(put_field(b, d->url));
    MM_TRY(mm_buf_putc(b, '\t'));
    MM_TRY(put_field(b, d->domain));
    return mm_buf_printf(b, "\t%llu\n", (unsigned long long)tokens);
}

mm_err mm_clf_score_shard(mm_clf_ctx *ctx, const char *shard_path, const char *out_path,
                          mm_clf_score_stats *st) {
    double t0 = mm_now();
    mm_doc_reader *r;
    MM_TRY(mm_doc_reader_open(shard_path, &r));
    mm_out *o;
    mm_err e = mm_out_open(out_path, 0, &o);
    if (e != MM_OK) {
        mm_doc_reader_close(r);
        return e;
    }
    mm_buf line = {0};
    mm_doc d;
    uint64_t docs = 0;
    int k;
    while ((k = mm_doc_reader_next(r, &d, &e)) != 0 && e == MM_OK) {
        if (k < 0) continue; /* counted by the reader */
        if (cancelled()) {
            e = mm_fail(MM_ERR_IO, "%s: interrupted", shard_path);
            break;
        }
        float sc = mm_clf_score_text(ctx, d.text, d.text_len);
        uint64_t tokens;
        if ((e = mm_clf_ctx_tokens(ctx, d.text, d.text_len, &tokens)) != MM_OK) break;
        if ((e = score_line_out(&line, &d, sc, tokens)) != MM_OK) break;
        if ((e = mm_out_write(o, line.data, line.len)) != MM_OK) break;
        docs++;
    }
    mm_buf_free(&line);
    if (e == MM_OK)
        e = mm_out_commit(o);
    else
        mm_out_abort(o);
    if (st) {
        st->docs += docs;
        st->bad_lines += mm_doc_reader_bad(r);
        st->bytes += mm_doc_reader_bytes(r);
        st->files++;
        st->seconds += mm_now() - t0;
    }
    mm_doc_reader_close(r);
    return e;
}

/* ---- many shards on a pool ------------------------------------------------------------------ */

typedef struct shards_job {
    const mm_clf_scorer *s;
    const char *const *shards;
    const char *out_dir;
    bool force;
    mm_clf_progress_fn cb;
    void *arg;
    char **stems;     /* unique output stems of shards[0..n) */
    mm_clf_ctx **ctx; /* one per worker */
    mm_clf_score_stats *st;
    pthread_mutex_t mu;
} shards_job;

static mm_err score_one(void *vctx, size_t i, int worker) {
    shards_job *j = vctx;
    char out[4200];
    snprintf(out, sizeof out, "%s/%s.scores.tsv", j->out_dir, j->stems[i]);
    mm_clf_score_stats st = {0};
    mm_err e = MM_OK;
    if (cancelled()) return mm_fail(MM_ERR_IO, "%s: interrupted", j->shards[i]);
    if (!j->force && mm_file_done(out)) {
        st.files_skipped = 1;
    } else {
        e = mm_clf_score_shard(j->ctx[worker], j->shards[i], out, &st);
        if (e != MM_OK) st.files_failed = 1;
    }
    pthread_mutex_lock(&j->mu);
    j->st->files += st.files, j->st->files_skipped += st.files_skipped;
    j->st->files_failed += st.files_failed, j->st->docs += st.docs;
    j->st->bad_lines += st.bad_lines, j->st->bytes += st.bytes;
    pthread_mutex_unlock(&j->mu);
    if (j->cb) j->cb(j->arg, st.docs, st.bytes);
    return e;
}

mm_err mm_clf_score_shards(const mm_clf_scorer *s, const char *const *shards, size_t n, size_t lo,
                           size_t hi, const char *out_dir, int threads, bool force,
                           mm_clf_progress_fn on_progress, void *arg, mm_clf_score_stats *st) {
    mm_clf_score_stats st0 = {0};
    if (!st) st = &st0;
    double t0 = mm_now();
    if (hi > n) hi = n;
    if (lo > hi) lo = hi;
    MM_TRY(mm_mkdirs(out_dir));
    int nt = mm_pool_threads(threads, hi - lo);
    shards_job j = {s,   shards + lo, out_dir, force, on_progress,
                    arg, NULL,        NULL,    st,    PTHREAD_MUTEX_INITIALIZER};
    char **stems;
    MM_TRY(mm_clf_unique_stems(shards, n, &stems));
    j.stems = stems + lo;
    j.ctx = mm_calloc((size_t)(nt > 0 ? nt : 1), sizeof *j.ctx);
    mm_err e = j.ctx ? MM_OK : MM_ERR_NOMEM;
    for (int i = 0; i < nt && e == MM_OK; i++)
        e = mm_clf_ctx_create(s, &j.ctx[i]);
    if (e == MM_OK) e = mm_pool_run(hi - lo, threads, score_one, &j);
    for (int i = 0; j.ctx && i < nt; i++)
        mm_clf_ctx_free(j.ctx[i]);
    free(j.ctx);
    mm_clf_free_stems(stems, n);
    st->seconds = mm_now() - t0;
    return e;
}

/* ---- reading score files --------------------------------------------------------------------- */

struct mm_clf_scores {
    mm_lines *lines;
    char *path;
    char *copy;
    size_t cap;
};

mm_err mm_clf_scores_open(const char *path, mm_clf_scores **out) {
    *out = NULL;
    mm_clf_scores *r = mm_calloc(1, sizeof *r);
    if (!r) return MM_ERR_NOMEM;
    r->path = mm_strndup(path, strlen(path));
    mm_err e = r->path ? mm_lines_open(path, 1u << 20, &r->lines) : MM_ERR_NOMEM;
    if (e != MM_OK) {
        mm_clf_scores_close(r);
        return e;
    }
    *out = r;
    return MM_OK;
}

int mm_clf_scores_next(mm_clf_scores *r, mm_clf_score_row *row, mm_err *err) {
    const char *line;
    size_t len;
    *err = MM_OK;
    int k = mm_lines_next(r->lines, &line, &len, err);
    if (k != 1) return 0;
    if (len + 1 > r->cap) {
        size_t c = (len + 1) * 2;
        char *p = realloc(r->copy, c);
        if (!p) {
            *err = mm_fail(MM_ERR_NOMEM, "out of memory");
            return 0;
        }
        r->copy = p, r->cap = c;
    }
    memcpy(r->copy, line, len);
    r->copy[len] = 0;
    char *f[6] = {0};
    int nf = 0;
    f[nf++] = r->copy;
    for (char *p = r->copy; *p && nf < 6; p++)
        if (*p == '\t') *p = 0, f[nf++] = p + 1;
    char *end;
    double sc = nf >= 4 ? strtod(f[1], &end) : 0;
    if (nf < 4 || nf > 5 || end == f[1] || *end || !*f[0]) {
        mm_fail(MM_ERR_FORMAT, "%s: line %llu: not a score line (id, score, url, domain[, tokens])",
                r->path, (unsigned long long)mm_lines_number(r->lines));
        return -1;
    }
    row->id = f[0], row->score = sc, row->url = f[2], row->domain = f[3];
    row->tokens = 0;
    if (nf == 5) { /* digits only: strtoull would take "-4" as 2^64 - 4 */
        const char *t = f[4];
        bool ok = *t != 0 && strlen(t) <= 19;
        for (; ok && *t; t++)
            ok = *t >= '0' && *t <= '9';
        if (!ok) {
            mm_fail(MM_ERR_FORMAT, "%s: line %llu: token count '%s' is not a number of tokens",
                    r->path, (unsigned long long)mm_lines_number(r->lines), f[4]);
            return -1;
        }
        row->tokens = strtoull(f[4], NULL, 10);
    }
    return 1;
}

void mm_clf_scores_close(mm_clf_scores *r) {
    if (!r) return;
    mm_lines_close(r->lines);
    free(r->path);
    free(r->copy);
    free(r);
}
