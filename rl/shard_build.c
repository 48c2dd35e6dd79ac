/* rl/shard_build.c — documents -> llm.c token shards, the whole `mathmine shard` stage
 * (rl/tokshard.h, mm_shard_build).
 *
 * Three passes.  (1) Encode: inputs are read in order, in batches; the documents of a batch
 * are encoded in parallel (one encoder per thread) and appended, in input order, to one
 * temporary file of uint32 tokens, with a small record per document (offset, length, mix).
 * (2) Plan: one seeded Fisher-Yates shuffle of all documents (mix documents appear REPEAT
 * times); walking the shuffled order, corpus documents go to the validation split until it
 * holds the asked tokens, everything else is training.  (3) Write: each split is streamed as
 * <|endoftext|> + document tokens into shards of exactly shard_tokens tokens (the last one
 * shorter), each written atomically.  shards.json is written last: its presence marks the
 * directory complete, so a rerun skips it.  The same inputs, tokenizer and seed give the same
 * bytes whatever the thread count. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"
#include "rl/tokenizer.h"
#include "rl/tokshard.h"

/* ---------------------------------------------------------------- pass 1: encode */

typedef struct doc_rec {
    uint64_t off;  /* first token in the temporary file */
    uint32_t ntok; /* tokens of the text (the <|endoftext|> before it not counted) */
    uint32_t mix;  /* 0 = corpus, else the repeat count of a --mix document */
} doc_rec;

typedef struct encoder {
    const mm_shard_opts *o;
    const mm_tok *tok;
    mm_tok_enc **enc; /* one per worker */
    int threads;
    /* the batch */
    mm_buf text;
    size_t *off, *len, n, cap;
    uint8_t *cont;   /* 1 = this piece continues the previous item's document */
    mm_tok_ids *ids; /* per document of the batch */
    /* output */
    FILE *tmp;
    char tmp_path[4200];
    uint64_t ntok;
    doc_rec *docs;
    size_t ndocs, docs_cap;
    uint64_t bytes, bad;
} encoder;

static bool stopped(const encoder *E) {
    return E->o->stop && *E->o->stop;
}

#define BATCH_BYTES (32u << 20)
#define BATCH_DOCS 8192

static mm_err encode_one(void *ctx, size_t i, int worker) {
    encoder *E = ctx;
    E->ids[i].len = 0;
    return mm_tok_encode(E->enc[worker], E->text.data + E->off[i], E->len[i], &E->ids[i]);
}

static mm_err grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return MM_OK;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return mm_fail(MM_ERR_NOMEM, "%zu records", c);
    memset((char *)q + *cap * elem, 0, (c - *cap) * elem);
    *p = q;
    *cap = c;
    return MM_OK;
}

static mm_err flush_batch(encoder *E, uint32_t mix) {
    if (!E->n) return MM_OK;
    MM_TRY(mm_pool_run(E->n, E->threads, encode_one, E));
    for (size_t i = 0; i < E->n; i++) {
        mm_tok_ids *v = &E->ids[i];
        if (v->len && fwrite(v->v, sizeof *v->v, v->len, E->tmp) != v->len)
            return mm_fail(MM_ERR_IO, "%s: write failed: %s", E->tmp_path, strerror(errno));
        if (!E->cont[i]) {
            MM_TRY(grow((void **)&E->docs, &E->docs_cap, E->ndocs + 1, sizeof *E->docs));
            E->docs[E->ndocs++] = (doc_rec){E->ntok, 0, mix};
        }
        doc_rec *d = &E->docs[E->ndocs - 1];
        if (v->len > UINT32_MAX - 1 - d->ntok)
            return mm_fail(MM_ERR_TOO_LARGE, "a document of more than %u tokens", UINT32_MAX - 1);
        d->ntok += (uint32_t)v->len;
        E->ntok += v->len;
    }
    E->n = 0;
    mm_buf_clear(&E->text);
    return MM_OK;
}

static mm_err batch_grow(encoder *E) {
    size_t c = E->cap ? E->cap * 2 : 1024;
    size_t *off = realloc(E->off, c * sizeof *E->off);
    if (off) E->off = off;
    size_t *len = off ? realloc(E->len, c * sizeof *E->len) : NULL;
    if (len) E->len = len;
    uint8_t *cont = len ? realloc(E->cont, c * sizeof *E->cont) : NULL;
    if (cont) E->cont = cont;
    mm_tok_ids *ids = cont ? realloc(E->ids, c * sizeof *ids) : NULL;
    if (!ids) return mm_fail(MM_ERR_NOMEM, "batch of %zu", c);
    memset(ids + E->cap, 0, (c - E->cap) * sizeof *ids);
    E->ids = ids;
    E->cap = c;
    return MM_OK;
}

/* A document longer than PIECE bytes is cut (where pre-tokenisation allows, see
 * mm_tok_safe_cut) into pieces that the threads encode in parallel; the pieces' tokens are
 * concatenated in order, which is exactly the document's encoding. */
#define PIECE (1u << 20)

static mm_err add_doc(encoder *E, const char *t, size_t n, uint32_t mix) {
    size_t base = E->text.len;
    MM_TRY(mm_buf_append(&E->text, t, n));
    size_t i = 0;
    do {
        size_t j = n - i <= PIECE ? n : mm_tok_safe_cut(t, n, i + PIECE, i + 4 * PIECE);
        if (E->n == E->cap) MM_TRY(batch_grow(E));
        E->off[E->n] = base + i;
        E->len[E->n] = j - i;
        E->cont[E->n++] = i > 0;
        i = j;
    } while (i < n);
    if (E->text.len >= BATCH_BYTES || E->n >= BATCH_DOCS) return flush_batch(E, mix);
    return MM_OK;
}

/* Encode every document of `path`; a broken line is warned about and skipped. */
static mm_err encode_file(encoder *E, const char *path, uint32_t mix, mm_progress *pr) {
    mm_tok_src *src;
    MM_TRY(mm_tok_src_open(path, &src));
    const char *t;
    size_t n;
    int r;
    mm_err e = MM_OK;
    uint64_t last = 0;
    while (!stopped(E) && e == MM_OK && (r = mm_tok_src_next(src, &t, &n, &e)) != 0) {
        if (r < 0) {
            if (E->bad++ < 10 && E->o->warn) E->o->warn(E->o->ctx, mm_error_detail());
            continue;
        }
        e = add_doc(E, t, n, mix);
        uint64_t now = mm_tok_src_bytes(src);
        mm_progress_add(pr, 0, now - last);
        last = now;
    }
    if (e == MM_OK) e = flush_batch(E, mix);
    E->bytes += mm_tok_src_bytes(src);
    mm_tok_src_close(src);
    return e;
}

static mm_err encode_all(encoder *E, const mm_shard_opts *a) {
    mm_progress *pr = a->progress
                          ? mm_progress_create("encode", (uint64_t)(a->ninputs + a->nmix), "files")
                          : NULL;
    mm_err e = MM_OK;
    for (int i = 0; i < a->ninputs && e == MM_OK && !stopped(E); i++, mm_progress_add(pr, 1, 0))
        e = encode_file(E, a->inputs[i], 0, pr);
    for (int i = 0; i < a->nmix && e == MM_OK && !stopped(E); i++, mm_progress_add(pr, 1, 0))
        e = encode_file(E, a->mix[i].path, (uint32_t)a->mix[i].repeat, pr);
    mm_progress_done(pr);
    if (e == MM_OK && fflush(E->tmp))
        e = mm_fail(MM_ERR_IO, "%s: write failed: %s", E->tmp_path, strerror(errno));
    return e;
}

/* ---------------------------------------------------------------- pass 2: plan */

typedef struct plan {
    uint32_t *order; /* document indices, shuffled; a mix document appears `mix` times */
    size_t n;
    uint8_t *is_val; /* per entry of order */
    uint64_t val_tokens, train_tokens, val_docs, train_docs, mix_docs;
    uint64_t want;    /* validation tokens asked */
    uint64_t largest; /* tokens of the largest corpus document */
} plan;

static mm_err make_plan(const encoder *E, const mm_shard_opts *a, plan *P) {
    memset(P, 0, sizeof *P);
    size_t n = 0;
    for (size_t d = 0; d < E->ndocs; d++)
        n += E->docs[d].mix ? E->docs[d].mix : 1;
    P->order = malloc((n ? n : 1) * sizeof *P->order);
    P->is_val = calloc(n ? n : 1, 1);
    if (!P->order || !P->is_val) return mm_fail(MM_ERR_NOMEM, "plan of %zu documents", n);
    uint64_t corpus_tokens = 0, corpus_docs = 0;
    for (size_t d = 0; d < E->ndocs; d++) {
        uint32_t k = E->docs[d].mix ? E->docs[d].mix : 1;
        for (uint32_t r = 0; r < k; r++)
            P->order[P->n++] = (uint32_t)d;
        if (!E->docs[d].mix) corpus_tokens += E->docs[d].ntok + 1, corpus_docs++;
    }
    mm_rng rng;
    mm_rng_seed(&rng, a->seed);
    for (size_t i = P->n; i > 1; i--) {
        size_t j = (size_t)(mm_rng_next(&rng) % i);
        uint32_t t = P->order[i - 1];
        P->order[i - 1] = P->order[j];
        P->order[j] = t;
    }
    uint64_t want = a->val_tokens >= 0 ? (uint64_t)a->val_tokens
                                       : (uint64_t)(a->val_frac * (double)corpus_tokens + 0.5);
    P->want = want;
    for (size_t i = 0; i < P->n; i++) {
        const doc_rec *r = &E->docs[P->order[i]];
        uint64_t t = r->ntok + 1;
        if (!r->mix && t > P->largest) P->largest = t;
        /* validation takes corpus documents until it has enough, leaving at least one for
         * training; a document that would take it past twice the target stays in training
         * (a document is never split, and one huge page must not become the whole split) */
        if (!r->mix && P->val_tokens < want && P->val_tokens + t <= 2 * want &&
            P->val_docs + 1 < corpus_docs) {
            P->is_val[i] = 1;
            P->val_tokens += t, P->val_docs++;
        } else {
            P->train_tokens += t, P->train_docs++;
            P->mix_docs += r->mix != 0;
        }
    }
    return MM_OK;
}

/* A degenerate split: an empty training split is an error (NULL message: fine); a validation
 * split outside [target/2, 2 x target] is worth a warning, written to msg. */
static mm_err check_plan(const plan *P, char *msg, size_t cap) {
    msg[0] = 0;
    if (!P->train_tokens)
        return mm_fail(MM_ERR_ARG,
                       "the training split would be empty (%llu documents, all in validation)",
                       (unsigned long long)P->val_docs);
    if (P->want && (P->val_tokens < P->want / 2 || P->val_tokens > 2 * P->want))
        snprintf(
            msg, cap,
            "validation holds %llu tokens (%llu documents) where %llu were asked; training %llu: "
            "documents are never split and the largest has %llu tokens; use more, smaller "
            "documents, "
            "another --val-tokens, or --val-tokens 0 for no validation split",
            (unsigned long long)P->val_tokens, (unsigned long long)P->val_docs,
            (unsigned long long)P->want, (unsigned long long)P->train_tokens,
            (unsigned long long)P->largest);
    return MM_OK;
}

/* ---------------------------------------------------------------- pass 3: write */

typedef struct writer {
    const char *dir, *prefix;
    int vocab;
    uint32_t *buf;
    size_t n, cap;
    int shards;
    mm_buf *names; /* JSON array body of the files written */
} writer;

static mm_err writer_flush(writer *W) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s_%06d.bin", W->dir, W->prefix, W->shards);
    MM_TRY(mm_tokshard_write(path, W->buf, W->n, W->vocab));
    MM_TRY(mm_buf_printf(W->names, "%s\"%s_%06d.bin\"", W->names->len ? ", " : "", W->prefix,
                         W->shards));
    W->shards++;
    W->n = 0;
    return MM_OK;
}

static mm_err writer_put(writer *W, const uint32_t *t, size_t n) {
    while (n) {
        size_t k = W->cap - W->n < n ? W->cap - W->n : n;
        memcpy(W->buf + W->n, t, k * sizeof *t);
        W->n += k, t += k, n -= k;
        if (W->n == W->cap) MM_TRY(writer_flush(W));
    }
    return MM_OK;
}

static mm_err write_split(const encoder *E, const plan *P, const uint32_t *toks, writer *W, int val,
                          uint32_t eot) {
    mm_err e = MM_OK;
    for (size_t i = 0; i < P->n && e == MM_OK && !stopped(E); i++) {
        if (P->is_val[i] != val) continue;
        const doc_rec *r = &E->docs[P->order[i]];
        e = writer_put(W, &eot, 1);
        if (e == MM_OK) e = writer_put(W, toks + r->off, r->ntok);
    }
    if (e == MM_OK && W->n) e = writer_flush(W);
    if (e == MM_OK && stopped(E)) e = mm_fail(MM_ERR_IO, "interrupted");
    return e;
}

static mm_err map_tokens(const encoder *E, void **map, size_t *len) {
    *len = E->ntok * sizeof(uint32_t);
    *map = NULL;
    if (!*len) return MM_OK;
    int fd = open(E->tmp_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mm_fail(MM_ERR_IO, "%s: cannot open: %s", E->tmp_path, strerror(errno));
    *map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (*map == MAP_FAILED) {
        *map = NULL;
        return mm_fail(MM_ERR_IO, "%s: cannot map: %s", E->tmp_path, strerror(errno));
    }
    return MM_OK;
}

/* ---------------------------------------------------------------- summary, cleanup */

static void remove_shards(const char *dir) {
    static const char *const pats[] = {"train_*.bin", "val_*.bin", ".tokens.tmp.*"};
    for (int p = 0; p < 3; p++) {
        char pat[4200];
        snprintf(pat, sizeof pat, "%s/%s", dir, pats[p]);
        glob_t g;
        if (glob(pat, 0, NULL, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; i++)
                unlink(g.gl_pathv[i]);
        globfree(&g);
    }
}

typedef struct summary {
    const mm_shard_opts *a;
    const encoder *E;
    const plan *P;
    int vocab, train_shards, val_shards;
    const mm_buf *train_names, *val_names;
    double secs, encode_s;
    const char *split_warning; /* "" when the split is as asked */
} summary;

static void summary_json(const summary *s, mm_buf *b) {
    mm_jw w;
    mm_jw_init(&w, b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "format"), mm_jw_string(&w, s->vocab > 65536 ? "llm.c uint32" : "llm.c uint16");
    mm_jw_key(&w, "tokenizer"), mm_jw_string(&w, s->a->tok);
    mm_jw_key(&w, "vocab"), mm_jw_int(&w, s->vocab);
    mm_jw_key(&w, "seed"), mm_jw_uint(&w, s->a->seed);
    mm_jw_key(&w, "shard_tokens"), mm_jw_int(&w, s->a->shard_tokens);
    mm_jw_key(&w, "documents"), mm_jw_uint(&w, s->E->ndocs);
    mm_jw_key(&w, "bad_lines"), mm_jw_uint(&w, s->E->bad);
    mm_jw_key(&w, "input_bytes"), mm_jw_uint(&w, s->E->bytes);
    mm_jw_key(&w, "train_documents"), mm_jw_uint(&w, s->P->train_docs);
    mm_jw_key(&w, "mix_documents"), mm_jw_uint(&w, s->P->mix_docs);
    mm_jw_key(&w, "train_tokens"), mm_jw_uint(&w, s->P->train_tokens);
    mm_jw_key(&w, "val_documents"), mm_jw_uint(&w, s->P->val_docs);
    mm_jw_key(&w, "val_tokens"), mm_jw_uint(&w, s->P->val_tokens);
    mm_jw_key(&w, "val_tokens_asked"), mm_jw_uint(&w, s->P->want);
    mm_jw_key(&w, "split_warning"),
        s->split_warning[0] ? mm_jw_string(&w, s->split_warning) : mm_jw_null(&w);
    mm_jw_key(&w, "encode_seconds"), mm_jw_double(&w, s->encode_s);
    mm_jw_key(&w, "encode_mb_per_s"),
        mm_jw_double(&w, s->E->bytes / 1e6 / (s->encode_s > 0 ? s->encode_s : 1e-9));
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, s->secs);
    mm_buf arr = {0};
    mm_buf_printf(&arr, "[%s]", s->train_names->data ? s->train_names->data : "");
    mm_jw_key(&w, "train"), mm_jw_raw(&w, arr.data);
    mm_buf_clear(&arr);
    mm_buf_printf(&arr, "[%s]", s->val_names->data ? s->val_names->data : "");
    mm_jw_key(&w, "val"), mm_jw_raw(&w, arr.data);
    mm_buf_free(&arr);
    mm_jw_obj_end(&w);
    mm_buf_putc(b, '\n');
}

static mm_err write_manifest(const char *dir, const mm_buf *j) {
    char path[4200];
    snprintf(path, sizeof path, "%s/shards.json", dir);
    mm_out *o;
    mm_err e = mm_out_open(path, 0, &o);
    if (e == MM_OK && (e = mm_out_write(o, j->data, j->len)) != MM_OK) mm_out_abort(o);
    if (e == MM_OK) e = mm_out_commit(o);
    if (e != MM_OK) remove_shards(dir);
    return e;
}

static mm_err encoder_init(encoder *E, const mm_tok *tok, const mm_shard_opts *a) {
    memset(E, 0, sizeof *E);
    E->o = a;
    E->tok = tok;
    E->threads = mm_pool_threads(a->threads, 1 << 20);
    E->enc = mm_calloc((size_t)E->threads, sizeof *E->enc);
    if (!E->enc) return MM_ERR_NOMEM;
    for (int i = 0; i < E->threads; i++)
        MM_TRY(mm_tok_enc_create(tok, &E->enc[i]));
    snprintf(E->tmp_path, sizeof E->tmp_path, "%s/.tokens.tmp.%d", a->out, (int)getpid());
    E->tmp = fopen(E->tmp_path, "wb");
    if (!E->tmp) return mm_fail(MM_ERR_IO, "%s: cannot create: %s", E->tmp_path, strerror(errno));
    return MM_OK;
}

static void encoder_free(encoder *E) {
    for (int i = 0; E->enc && i < E->threads; i++)
        mm_tok_enc_free(E->enc[i]);
    free(E->enc);
    for (size_t i = 0; i < E->cap; i++)
        mm_tok_ids_free(&E->ids[i]);
    free(E->ids);
    free(E->off);
    free(E->len);
    free(E->cont);
    free(E->docs);
    mm_buf_free(&E->text);
    if (E->tmp) fclose(E->tmp);
    if (E->tmp_path[0]) unlink(E->tmp_path);
}

void mm_shard_result_free(mm_shard_result *r) {
    if (r) mm_buf_free(&r->json);
}

/* Plan and write both splits from the encoded tokens, then the manifest. */
static mm_err plan_and_write(encoder *E, const mm_shard_opts *a, const mm_tok *tok, plan *P,
                             mm_shard_result *r, double t0) {
    MM_TRY(make_plan(E, a, P));
    MM_TRY(check_plan(P, r->split_warning, sizeof r->split_warning));
    if (r->split_warning[0] && a->warn) a->warn(a->ctx, r->split_warning);
    void *map;
    size_t map_len;
    MM_TRY(map_tokens(E, &map, &map_len));
    int vocab = mm_tok_vocab_size(tok);
    mm_buf tn = {0}, vn = {0};
    size_t cap = (size_t)a->shard_tokens;
    uint32_t *buf = malloc(cap * sizeof *buf);
    mm_err e = buf ? MM_OK : mm_fail(MM_ERR_NOMEM, "a shard of %zu tokens", cap);
    writer wv = {a->out, "val", vocab, buf, 0, cap, 0, &vn};
    writer wt = {a->out, "train", vocab, buf, 0, cap, 0, &tn};
    uint32_t eot = (uint32_t)mm_tok_eot(tok);
    if (e == MM_OK) e = write_split(E, P, map, &wv, 1, eot);
    if (e == MM_OK) e = write_split(E, P, map, &wt, 0, eot);
    if (map) munmap(map, map_len);
    free(buf);
    r->secs = mm_now() - t0;
    summary s = {a,   E,   P,       vocab,       wt.shards,       wv.shards,
                 &tn, &vn, r->secs, r->encode_s, r->split_warning};
    if (e == MM_OK) summary_json(&s, &r->json), e = write_manifest(a->out, &r->json);
    r->train_shards = wt.shards, r->val_shards = wv.shards;
    r->train_tokens = P->train_tokens, r->val_tokens = P->val_tokens;
    mm_buf_free(&tn);
    mm_buf_free(&vn);
    return e;
}

mm_err mm_shard_build(const mm_shard_opts *a, mm_shard_result *r) {
    memset(r, 0, sizeof *r);
    char done[4200];
    snprintf(done, sizeof done, "%s/shards.json", a->out);
    if (!a->force && mm_file_done(done)) return r->skipped = true, MM_OK;
    double t0 = mm_now();
    mm_tok *tok;
    MM_TRY(mm_tok_load(a->tok, &tok));
    mm_err e = mm_tok_eot(tok) < 0
                   ? mm_fail(MM_ERR_FORMAT, "%s: the vocabulary has no <|endoftext|>", a->tok)
                   : MM_OK;
    if (e == MM_OK) e = mm_mkdirs(a->out);
    if (e != MM_OK) return mm_tok_free(tok), e;
    unlink(done);
    remove_shards(a->out);
    encoder E;
    plan P = {0};
    e = encoder_init(&E, tok, a);
    if (e == MM_OK) e = encode_all(&E, a);
    if (e == MM_OK && stopped(&E)) e = mm_fail(MM_ERR_IO, "interrupted");
    r->encode_s = mm_now() - t0;
    r->threads = E.threads;
    if (e == MM_OK) e = plan_and_write(&E, a, tok, &P, r, t0);
    r->docs = E.ndocs, r->bytes = E.bytes, r->bad = E.bad;
    if (e != MM_OK) remove_shards(a->out);
    free(P.order);
    free(P.is_val);
    encoder_free(&E);
    mm_tok_free(tok);
    return e;
}
