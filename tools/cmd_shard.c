/* tools/cmd_shard.c — `mathmine shard`: documents -> llm.c token shards (rl/tokshard.h).
 *
 * Three passes.  (1) Encode: inputs are read in order, in batches; the documents of a batch
 * are encoded in parallel (one encoder per thread) and appended, in input order, to one
 * temporary file of uint32 tokens, with a small record per document (offset, length, mix).
 * (2) Plan: one seeded Fisher-Yates shuffle of all documents (mix documents appear REPEAT
 * times); walking the shuffled order, corpus documents go to the validation split until it
 * holds the asked tokens, everything else is training.  (3) Write: each split is streamed as
 * <|endoftext|> + document tokens into shards of exactly --shard-tokens tokens (the last one
 * shorter), each written atomically.  shards.json is written last: its presence marks the
 * directory complete, so a rerun skips it.  The same inputs, tokenizer and seed give the same
 * bytes whatever -j is. */
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
#include "tools/cli.h"
#include "tools/stage_args.h"
#include "tools/commands.h"

static const char *CMD = "shard";

typedef struct mix_spec {
    const char *path;
    int repeat;
} mix_spec;

typedef struct shard_args {
    const char *tok, *out, *stats;
    char **inputs;
    int ninputs;
    mix_spec *mix;
    int nmix;
    double val_frac;
    long long val_tokens; /* -1: use val_frac */
    uint64_t seed;
    long long shard_tokens;
    int threads, force;
} shard_args;

static void usage(FILE *f) {
    fprintf(f,
            "Usage: mathmine shard --tokenizer TOK INPUT... -o DIR [options]\n\n"
            "Encode documents with the tokenizer in TOK (from `mathmine tokenizer train`) into\n"
            "llm.c token shards: DIR/train_000000.bin, ... and DIR/val_000000.bin, ...  Each file\n"
            "has a 256 x int32 header (magic 20240520, version 1, token count) and uint16 tokens\n"
            "(magic 20240801 and uint32 tokens when the vocabulary exceeds 65536).  Every document\n"
            "is preceded by <|endoftext|>.  INPUTs are document shards (*.jsonl, *.jsonl.zst) or\n"
            "plain text files (one document each).  DIR/shards.json, written last, lists the\n"
            "shards; a DIR that has it is skipped unless --force.\n\n"
            "Options:\n"
            "  --tokenizer TOK      tokenizer directory (required)\n"
            "  -o, --out DIR        output directory (required)\n"
            "  --val-frac F         fraction of the corpus' tokens for validation (0.01)\n"
            "  --val-tokens N       validation tokens instead (K/M/G suffixes); 0 = no split\n"
            "  --seed S             seed of the document shuffle (1)\n"
            "  --shard-tokens N     tokens per shard (100M, as llm.c)\n"
            "  --mix FILE[:REPEAT]  add FILE's documents to the training split only, REPEAT\n"
            "                       times each (1); repeatable\n"
            "  -j N                 encoding threads (all cores)\n"
            "  --stats FILE         write the summary as JSON (the same as shards.json)\n"
            STAGE_LIST_HELP
            "  --force              redo a complete DIR\n");
}

static void parse_mix(const char *arg, mix_spec *m) {
    const char *c = strrchr(arg, ':');
    m->path = arg;
    m->repeat = 1;
    if (c && c[1] && strspn(c + 1, "0123456789") == strlen(c + 1)) {
        m->repeat = (int)cli_parse_int(CMD, "--mix", c + 1, 1, 1000000);
        m->path = strndup(arg, (size_t)(c - arg));
    }
}

static void parse_args(int argc, char **argv, shard_args *a) {
    memset(a, 0, sizeof *a);
    a->inputs = calloc((size_t)argc, sizeof *a->inputs);
    a->mix = calloc((size_t)argc, sizeof *a->mix);
    a->val_frac = 0.01;
    a->val_tokens = -1;
    a->seed = 1;
    a->shard_tokens = 100000000;
    stage_args sa = {.whole = true};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int more = i + 1 < argc;
        if (stage_option(CMD, argc, argv, &i, &sa)) continue;
        if (!strcmp(o, "--tokenizer") && more) a->tok = argv[++i];
        else if (cli_is_out(o) && more) a->out = argv[++i];
        else if (!strcmp(o, "--val-frac") && more) a->val_frac = cli_parse_double(CMD, o, argv[++i], 0, 0.9);
        else if (!strcmp(o, "--val-tokens") && more) a->val_tokens = cli_parse_int(CMD, o, argv[++i], 0, INT64_MAX);
        else if (!strcmp(o, "--seed") && more) a->seed = (uint64_t)cli_parse_int(CMD, o, argv[++i], 0, INT64_MAX);
        else if (!strcmp(o, "--shard-tokens") && more) a->shard_tokens = cli_parse_int(CMD, o, argv[++i], 1, INT32_MAX);
        else if (!strcmp(o, "--mix") && more) parse_mix(argv[++i], &a->mix[a->nmix++]);
        else if (!strcmp(o, "-j") && more) a->threads = (int)cli_parse_int(CMD, o, argv[++i], 1, 1024);
        else if (!strncmp(o, "-j", 2) && o[2]) a->threads = (int)cli_parse_int(CMD, "-j", o + 2, 1, 1024);
        else if (!strcmp(o, "--stats") && more) a->stats = argv[++i];
        else if (!strcmp(o, "--force")) a->force = 1;
        else if (o[0] == '-' && o[1]) cli_usage_error(CMD, "unknown option or missing value: %s", o);
        else a->inputs[a->ninputs++] = argv[i];
    }
    if (!a->tok) cli_usage_error(CMD, "--tokenizer TOK is required");
    if (!a->out) cli_usage_error(CMD, "-o DIR is required");
    /* the list's strings live until exit, as argv's do */
    static mm_inputs all;
    size_t lo, hi;
    stage_inputs(CMD, &sa, (const char *const *)a->inputs, a->ninputs, &all, &lo, &hi);
    if (!all.n) cli_usage_error(CMD, "no input files");
    free(a->inputs);
    a->inputs = calloc(all.n + 1, sizeof *a->inputs);
    if (!a->inputs) cli_die(CMD, MM_ERR_NOMEM);
    for (size_t i = 0; i < all.n; i++) a->inputs[i] = all.v[i];
    a->ninputs = all.n;
}

/* ---------------------------------------------------------------- pass 1: encode */

typedef struct doc_rec {
    uint64_t off;  /* first token in the temporary file */
    uint32_t ntok; /* tokens of the text (the <|endoftext|> before it not counted) */
    uint32_t mix;  /* 0 = corpus, else the repeat count of a --mix document */
} doc_rec;

typedef struct encoder {
    const mm_tok *tok;
    mm_tok_enc **enc; /* one per worker */
    int threads;
    /* the batch */
    mm_buf text;
    size_t *off, *len, n, cap;
    uint8_t *cont; /* 1 = this piece continues the previous item's document */
    mm_tok_ids *ids; /* per document of the batch */
    /* output */
    FILE *tmp;
    char tmp_path[4200];
    uint64_t ntok;
    doc_rec *docs;
    size_t ndocs, docs_cap;
    uint64_t bytes, bad;
} encoder;

#define BATCH_BYTES (32u << 20)
#define BATCH_DOCS 8192

static mm_err encode_one(void *ctx, size_t i, int worker) {
    encoder *E = ctx;
    E->ids[i].len = 0;
    return mm_tok_encode(E->enc[worker], E->text.data + E->off[i], E->len[i], &E->ids[i]);
}

static void grow_or_die(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "%zu records", c));
    memset((char *)q + *cap * elem, 0, (c - *cap) * elem);
    *p = q;
    *cap = c;
}

static mm_err flush_batch(encoder *E, uint32_t mix) {
    if (!E->n) return MM_OK;
    MM_TRY(mm_pool_run(E->n, E->threads, encode_one, E));
    for (size_t i = 0; i < E->n; i++) {
        mm_tok_ids *v = &E->ids[i];
        if (v->len && fwrite(v->v, sizeof *v->v, v->len, E->tmp) != v->len)
            return mm_fail(MM_ERR_IO, "%s: write failed: %s", E->tmp_path, strerror(errno));
        if (!E->cont[i]) {
            grow_or_die((void **)&E->docs, &E->docs_cap, E->ndocs + 1, sizeof *E->docs);
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

static void batch_grow(encoder *E) {
    size_t c = E->cap ? E->cap * 2 : 1024;
    E->off = realloc(E->off, c * sizeof *E->off);
    E->len = realloc(E->len, c * sizeof *E->len);
    E->cont = realloc(E->cont, c * sizeof *E->cont);
    mm_tok_ids *ids = realloc(E->ids, c * sizeof *ids);
    if (!E->off || !E->len || !E->cont || !ids)
        cli_die(CMD, mm_fail(MM_ERR_NOMEM, "batch of %zu", c));
    memset(ids + E->cap, 0, (c - E->cap) * sizeof *ids);
    E->ids = ids;
    E->cap = c;
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
        if (E->n == E->cap) batch_grow(E);
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
    while (!cli_interrupted && e == MM_OK && (r = mm_tok_src_next(src, &t, &n, &e)) != 0) {
        if (r < 0) {
            if (E->bad++ < 10) cli_warn(CMD, "skipped: %s", mm_error_detail());
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

static mm_err encode_all(encoder *E, const shard_args *a) {
    mm_progress *pr = mm_progress_create("encode", (uint64_t)(a->ninputs + a->nmix), "files");
    mm_err e = MM_OK;
    for (int i = 0; i < a->ninputs && e == MM_OK && !cli_interrupted; i++, mm_progress_add(pr, 1, 0))
        e = encode_file(E, a->inputs[i], 0, pr);
    for (int i = 0; i < a->nmix && e == MM_OK && !cli_interrupted; i++, mm_progress_add(pr, 1, 0))
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
} plan;

static void make_plan(const encoder *E, const shard_args *a, plan *P) {
    memset(P, 0, sizeof *P);
    size_t n = 0;
    for (size_t d = 0; d < E->ndocs; d++) n += E->docs[d].mix ? E->docs[d].mix : 1;
    P->order = malloc((n ? n : 1) * sizeof *P->order);
    P->is_val = calloc(n ? n : 1, 1);
    if (!P->order || !P->is_val) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "plan of %zu documents", n));
    uint64_t corpus_tokens = 0, corpus_docs = 0;
    for (size_t d = 0; d < E->ndocs; d++) {
        uint32_t k = E->docs[d].mix ? E->docs[d].mix : 1;
        for (uint32_t r = 0; r < k; r++) P->order[P->n++] = (uint32_t)d;
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
    for (size_t i = 0; i < P->n; i++) {
        const doc_rec *r = &E->docs[P->order[i]];
        uint64_t t = r->ntok + 1;
        /* validation takes corpus documents until it has enough, leaving at least one */
        if (!r->mix && P->val_tokens < want && P->val_docs + 1 < corpus_docs) {
            P->is_val[i] = 1;
            P->val_tokens += t, P->val_docs++;
        } else {
            P->train_tokens += t, P->train_docs++;
            P->mix_docs += r->mix != 0;
        }
    }
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

static mm_err write_split(const encoder *E, const plan *P, const uint32_t *toks, writer *W,
                          int val, uint32_t eot) {
    mm_err e = MM_OK;
    for (size_t i = 0; i < P->n && e == MM_OK && !cli_interrupted; i++) {
        if (P->is_val[i] != val) continue;
        const doc_rec *r = &E->docs[P->order[i]];
        e = writer_put(W, &eot, 1);
        if (e == MM_OK) e = writer_put(W, toks + r->off, r->ntok);
    }
    if (e == MM_OK && W->n) e = writer_flush(W);
    if (e == MM_OK && cli_interrupted) e = mm_fail(MM_ERR_IO, "interrupted");
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
            for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
        globfree(&g);
    }
}

typedef struct summary {
    const shard_args *a;
    const encoder *E;
    const plan *P;
    int vocab, train_shards, val_shards;
    const mm_buf *train_names, *val_names;
    double secs, encode_s;
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
    mm_jw_key(&w, "encode_seconds"), mm_jw_double(&w, s->encode_s);
    mm_jw_key(&w, "encode_mb_per_s"), mm_jw_double(&w, s->E->bytes / 1e6 / (s->encode_s > 0 ? s->encode_s : 1e-9));
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

static void write_manifest(const char *dir, const mm_buf *j) {
    char path[4200];
    snprintf(path, sizeof path, "%s/shards.json", dir);
    mm_out *o;
    mm_err e = mm_out_open(path, 0, &o);
    if (e == MM_OK && (e = mm_out_write(o, j->data, j->len)) != MM_OK) mm_out_abort(o);
    if (e == MM_OK) e = mm_out_commit(o);
    if (e != MM_OK) {
        remove_shards(dir);
        cli_die(CMD, e);
    }
}

/* ---------------------------------------------------------------- command */

static void encoder_init(encoder *E, const mm_tok *tok, const shard_args *a) {
    memset(E, 0, sizeof *E);
    E->tok = tok;
    E->threads = mm_pool_threads(a->threads, 1 << 20);
    E->enc = calloc((size_t)E->threads, sizeof *E->enc);
    for (int i = 0; i < E->threads; i++) {
        mm_err e = mm_tok_enc_create(tok, &E->enc[i]);
        if (e != MM_OK) cli_die(CMD, e);
    }
    snprintf(E->tmp_path, sizeof E->tmp_path, "%s/.tokens.tmp.%d", a->out, (int)getpid());
    E->tmp = fopen(E->tmp_path, "wb");
    if (!E->tmp) cli_die(CMD, mm_fail(MM_ERR_IO, "%s: cannot create: %s", E->tmp_path, strerror(errno)));
}

static void encoder_free(encoder *E) {
    for (int i = 0; i < E->threads; i++) mm_tok_enc_free(E->enc[i]);
    free(E->enc);
    for (size_t i = 0; i < E->cap; i++) mm_tok_ids_free(&E->ids[i]);
    free(E->ids);
    free(E->off);
    free(E->len);
    free(E->cont);
    free(E->docs);
    mm_buf_free(&E->text);
    if (E->tmp) fclose(E->tmp);
    unlink(E->tmp_path);
}

static int fail_clean(const char *dir, encoder *E, mm_err e) {
    encoder_free(E);
    remove_shards(dir);
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    cli_die(CMD, e);
}

int cmd_shard(int argc, char **argv) {
    if (argc < 2 || cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    shard_args a;
    parse_args(argc, argv, &a);
    char done[4200];
    snprintf(done, sizeof done, "%s/shards.json", a.out);
    if (!a.force && mm_file_done(done)) {
        cli_info(0, "mathmine shard: %s is complete, skipped (--force to redo)", a.out);
        return CLI_EXIT_OK;
    }
    double t0 = mm_now();
    mm_tok *tok;
    mm_err e = mm_tok_load(a.tok, &tok);
    if (e != MM_OK) cli_die(CMD, e);
    if (mm_tok_eot(tok) < 0)
        cli_die(CMD, mm_fail(MM_ERR_FORMAT, "%s: the vocabulary has no <|endoftext|>", a.tok));
    if ((e = mm_mkdirs(a.out)) != MM_OK) cli_die(CMD, e);
    unlink(done);
    remove_shards(a.out);
    encoder E;
    encoder_init(&E, tok, &a);
    if ((e = encode_all(&E, &a)) != MM_OK || cli_interrupted) return fail_clean(a.out, &E, e);
    double encode_s = mm_now() - t0;
    plan P;
    make_plan(&E, &a, &P);
    void *map;
    size_t map_len;
    if ((e = map_tokens(&E, &map, &map_len)) != MM_OK) return fail_clean(a.out, &E, e);
    int vocab = mm_tok_vocab_size(tok);
    mm_buf tn = {0}, vn = {0};
    size_t cap = (size_t)a.shard_tokens;
    uint32_t *buf = malloc(cap * sizeof *buf);
    if (!buf) return fail_clean(a.out, &E, mm_fail(MM_ERR_NOMEM, "a shard of %zu tokens", cap));
    writer wv = {a.out, "val", vocab, buf, 0, cap, 0, &vn};
    writer wt = {a.out, "train", vocab, buf, 0, cap, 0, &tn};
    uint32_t eot = (uint32_t)mm_tok_eot(tok);
    e = write_split(&E, &P, map, &wv, 1, eot);
    if (e == MM_OK) e = write_split(&E, &P, map, &wt, 0, eot);
    if (map) munmap(map, map_len);
    free(buf);
    if (e != MM_OK) return fail_clean(a.out, &E, e);
    summary s = {&a, &E, &P, vocab, wt.shards, wv.shards, &tn, &vn, mm_now() - t0, encode_s};
    mm_buf j = {0};
    summary_json(&s, &j);
    write_manifest(a.out, &j);
    cli_write_stats(CMD, a.stats, &j);
    cli_info(0, "mathmine shard: %s: %llu documents (%.1f MB) -> %llu train tokens in %d shards, "
             "%llu val tokens in %d; %.1f s (encoding %.1f MB/s on %d threads)",
             a.out, (unsigned long long)E.ndocs, E.bytes / 1e6,
             (unsigned long long)P.train_tokens, wt.shards, (unsigned long long)P.val_tokens,
             wv.shards, s.secs, E.bytes / 1e6 / (encode_s > 0 ? encode_s : 1e-9), E.threads);
    if (E.bad) cli_warn(CMD, "%llu broken input lines skipped", (unsigned long long)E.bad);
    mm_buf_free(&j);
    mm_buf_free(&tn);
    mm_buf_free(&vn);
    free(P.order);
    free(P.is_val);
    encoder_free(&E);
    mm_tok_free(tok);
    return CLI_EXIT_OK;
}
