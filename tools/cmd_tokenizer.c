/* tools/cmd_tokenizer.c — `mathmine tokenizer train|encode|decode`: the byte-level BPE of
 * rl/tokenizer.h on the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/io.h"
#include "common/json.h"
#include "common/progress.h"
#include "rl/tokenizer.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/stage_args.h"

static const char *CMD = "tokenizer";

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine tokenizer train --vocab N [options] INPUT... -o DIR\n"
        "       mathmine tokenizer encode --tokenizer DIR [--binary] [FILE]\n"
        "       mathmine tokenizer decode --tokenizer DIR [--binary] [FILE]\n\n"
        "Byte-level BPE as GPT-2 does it (same byte-to-unicode table, same pre-tokenisation\n"
        "rules, <|endoftext|> as the last id).  DIR holds vocab.json, merges.txt and\n"
        "tokenizer_config.json, which Hugging Face's GPT-2 tokenizers load.\n\n"
        "train: learn merges from INPUTs: document shards (*.jsonl, *.jsonl.zst: their \"text\"\n"
        "fields) or plain text files (each read whole).  A DIR that already holds vocab.json\n"
        "and merges.txt is skipped unless --force.\n"
        "  --vocab N        total vocabulary: 256 bytes + merges + <|endoftext|> (required)\n"
        "  --min-freq K     stop early when the best pair occurs fewer than K times (2)\n"
        "  --max-bytes B    train on the first B bytes of text only (K/M/G suffixes; all)\n"
        "  -o, --out DIR    output directory (required)\n"
        "  --inputs FILE    more inputs, one path per line (.gz/.zst allowed, '#' comments;\n"
        "                   repeatable); --base PREFIX for relative lines\n"
        "  -j N             threads for counting pre-tokens (all cores)\n"
        "  --stats FILE     write a JSON summary\n"
        "  --force          retrain even if DIR is complete\n\n"
        "encode: FILE (default stdin) as bytes -> ids, one line of space-separated decimals\n"
        "(--binary: little-endian uint32).  <|endoftext|> in the text is plain text.\n"
        "decode: ids (whitespace-separated decimals, or --binary uint32) -> the exact bytes.\n"
        "  --tokenizer DIR  the tokenizer to use (required)\n"
        "  --binary         ids as little-endian uint32 instead of text\n"
        "With -v (mathmine -v tokenizer encode ...) the encoding speed goes to stderr.\n");
}

/* ---------------------------------------------------------------- train */

typedef struct train_args {
    int vocab, min_freq, threads, force;
    uint64_t max_bytes;
    const char *out, *stats;
    char **inputs;
    int ninputs;
} train_args;

static void parse_train(int argc, char **argv, train_args *a) {
    memset(a, 0, sizeof *a);
    a->inputs = calloc((size_t)argc, sizeof *a->inputs);
    stage_args lists = {.whole = true};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int more = i + 1 < argc;
        if (stage_option(CMD, argc, argv, &i, &lists)) continue;
        if (!strcmp(o, "--vocab") && more)
            a->vocab = (int)cli_parse_int(CMD, o, argv[++i], 257, 1 << 24);
        else if (!strcmp(o, "--min-freq") && more)
            a->min_freq = (int)cli_parse_int(CMD, o, argv[++i], 1, 1 << 30);
        else if (!strcmp(o, "--max-bytes") && more)
            a->max_bytes = (uint64_t)cli_parse_int(CMD, o, argv[++i], 1, INT64_MAX);
        else if (cli_is_out(o) && more)
            a->out = argv[++i];
        else if (!strcmp(o, "-j") && more)
            a->threads = (int)cli_parse_int(CMD, o, argv[++i], 1, 1024);
        else if (!strncmp(o, "-j", 2) && o[2])
            a->threads = (int)cli_parse_int(CMD, "-j", o + 2, 1, 1024);
        else if (!strcmp(o, "--stats") && more)
            a->stats = argv[++i];
        else if (!strcmp(o, "--force"))
            a->force = 1;
        else if (o[0] == '-' && o[1])
            cli_usage_error(CMD, "train: unknown option or missing value: %s", o);
        else
            a->inputs[a->ninputs++] = argv[i];
    }
    if (!a->vocab) cli_usage_error(CMD, "train: --vocab N is required");
    if (!a->out) cli_usage_error(CMD, "train: -o DIR is required");
    char **given = a->inputs;
    a->inputs = stage_all_inputs(CMD, &lists, given, &a->ninputs);
    free(given);
    if (!a->ninputs) cli_usage_error(CMD, "train: no input files");
}

/* Texts are gathered into batches of about BATCH bytes, copied (the reader reuses its buffer)
 * and cut into pieces of about PIECE bytes so that one big text file still counts on every
 * thread.  Cuts are made only where pre-tokenisation is unchanged by them (mm_tok_safe_cut),
 * so the counts are exactly those of the whole text. */
#define BATCH (64u << 20)
#define PIECE (1u << 20)

typedef struct batch {
    mm_buf text;
    size_t *off, *len;
    const char **ptr;
    size_t n, cap;
} batch;

static void batch_piece(batch *b, size_t off, size_t len) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->off = realloc(b->off, b->cap * sizeof *b->off);
        b->len = realloc(b->len, b->cap * sizeof *b->len);
        b->ptr = realloc(b->ptr, b->cap * sizeof *b->ptr);
        if (!b->off || !b->len || !b->ptr) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "batch"));
    }
    b->off[b->n] = off;
    b->len[b->n++] = len;
}

static void batch_add(batch *b, const char *s, size_t n) {
    size_t base = b->text.len;
    mm_err e = mm_buf_append(&b->text, s, n);
    if (e != MM_OK) cli_die(CMD, e);
    for (size_t i = 0; i < n;) {
        size_t j = n - i <= PIECE ? n : mm_tok_safe_cut(s, n, i + PIECE, i + 4 * PIECE);
        batch_piece(b, base + i, j - i);
        i = j;
    }
}

static void batch_flush(batch *b, mm_tok_trainer *tr) {
    for (size_t i = 0; i < b->n; i++)
        b->ptr[i] = b->text.data + b->off[i];
    mm_err e = mm_tok_trainer_add(tr, b->ptr, b->len, b->n);
    if (e != MM_OK) cli_die(CMD, e);
    b->n = 0;
    mm_buf_clear(&b->text);
}

/* Feed every input to the trainer; returns the number of broken lines skipped. */
static uint64_t feed_inputs(const train_args *a, mm_tok_trainer *tr, uint64_t *docs) {
    batch b = {0};
    uint64_t bad = 0, total = 0;
    mm_progress *pr = mm_progress_create("count", (uint64_t)a->ninputs, "files");
    for (int f = 0; f < a->ninputs && !cli_interrupted; f++) {
        mm_tok_src *src;
        mm_err e = mm_tok_src_open(a->inputs[f], &src);
        if (e != MM_OK) cli_die(CMD, e);
        const char *t;
        size_t n;
        int r;
        uint64_t last = 0;
        while (!cli_interrupted && (!a->max_bytes || total < a->max_bytes) &&
               (r = mm_tok_src_next(src, &t, &n, &e)) != 0) {
            if (r < 0) {
                if (bad++ < 10) cli_warn(CMD, "skipped: %s", mm_error_detail());
                continue;
            }
            if (a->max_bytes && n > a->max_bytes - total) n = (size_t)(a->max_bytes - total);
            batch_add(&b, t, n);
            total += n;
            (*docs)++;
            if (b.text.len >= BATCH) batch_flush(&b, tr);
            uint64_t now = mm_tok_src_bytes(src);
            mm_progress_add(pr, 0, now - last);
            last = now;
        }
        if (e != MM_OK) cli_die(CMD, e);
        mm_tok_src_close(src);
        mm_progress_add(pr, 1, 0);
    }
    batch_flush(&b, tr);
    mm_progress_done(pr);
    mm_buf_free(&b.text);
    free(b.off);
    free(b.len);
    free(b.ptr);
    return bad;
}

static void train_stats(const train_args *a, const mm_tok_train_stats *s, uint64_t docs,
                        uint64_t bad, double secs) {
    mm_buf j = {0};
    mm_jw w;
    mm_jw_init(&w, &j);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "vocab"), mm_jw_int(&w, s->vocab);
    mm_jw_key(&w, "merges"), mm_jw_int(&w, s->merges);
    mm_jw_key(&w, "texts"), mm_jw_uint(&w, docs);
    mm_jw_key(&w, "bad_lines"), mm_jw_uint(&w, bad);
    mm_jw_key(&w, "bytes"), mm_jw_uint(&w, s->bytes);
    mm_jw_key(&w, "pretokens"), mm_jw_uint(&w, s->pretokens);
    mm_jw_key(&w, "unique_words"), mm_jw_uint(&w, s->unique_words);
    mm_jw_key(&w, "long_words_split"), mm_jw_uint(&w, s->long_words_split);
    mm_jw_key(&w, "count_seconds"), mm_jw_double(&w, s->count_s);
    mm_jw_key(&w, "merge_seconds"), mm_jw_double(&w, s->merge_s);
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, secs);
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, a->stats, &j);
    mm_buf_free(&j);
}

typedef struct train_progress {
    mm_progress *p;
    int last;
} train_progress;

/* The trainer's progress callback: advance the progress line; stop on Ctrl-C. */
static int on_merges(void *ctx, int tokens, int target) {
    train_progress *tp = ctx;
    if (!tp->p) tp->p = mm_progress_create("merges", (uint64_t)target, "tokens");
    mm_progress_add(tp->p, (uint64_t)(tokens - tp->last), 0);
    tp->last = tokens;
    return cli_interrupted;
}

static int cmd_train(int argc, char **argv) {
    train_args a;
    parse_train(argc, argv, &a);
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/vocab.json", a.out);
    snprintf(p2, sizeof p2, "%s/merges.txt", a.out);
    if (!a.force && mm_file_done(p1) && mm_file_done(p2)) {
        cli_info(0, "mathmine tokenizer: %s is complete, skipped (--force to retrain)", a.out);
        free(a.inputs);
        return CLI_EXIT_OK;
    }
    double t0 = mm_now();
    train_progress tp = {NULL, 0};
    mm_tok_train_opts o = {a.vocab, a.min_freq, a.threads, on_merges, &tp};
    mm_tok_trainer *tr;
    mm_err e = mm_tok_trainer_create(&o, &tr);
    if (e != MM_OK) cli_die(CMD, e);
    uint64_t docs = 0, bad = feed_inputs(&a, tr, &docs);
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    mm_tok *tok;
    e = mm_tok_trainer_train(tr, &tok);
    mm_progress_done(tp.p);
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    if (e != MM_OK) cli_die(CMD, e);
    if ((e = mm_tok_save(tok, a.out)) != MM_OK) cli_die(CMD, e);
    mm_tok_train_stats s;
    mm_tok_trainer_stats(tr, &s);
    double secs = mm_now() - t0;
    cli_info(0,
             "mathmine tokenizer: %s: vocab %d (%d merges) from %.1f MB of text (%llu texts, "
             "%llu distinct pre-tokens) in %.1f s (counting %.1f s, merging %.1f s)",
             a.out, s.vocab, s.merges, s.bytes / 1e6, (unsigned long long)docs,
             (unsigned long long)s.unique_words, secs, s.count_s, s.merge_s);
    if (s.vocab < a.vocab)
        cli_warn(CMD, "vocabulary is %d, not %d: no pair occurs %d times any more (--min-freq)",
                 s.vocab, a.vocab, a.min_freq ? a.min_freq : 2);
    if (bad) cli_warn(CMD, "%llu broken input lines skipped", (unsigned long long)bad);
    train_stats(&a, &s, docs, bad, secs);
    mm_tok_free(tok);
    mm_tok_trainer_free(tr);
    free(a.inputs);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- encode / decode */

typedef struct codec_args {
    const char *tok, *file;
    int binary;
} codec_args;

static void parse_codec(int argc, char **argv, codec_args *a, const char *verb) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--tokenizer") && i + 1 < argc)
            a->tok = argv[++i];
        else if (!strcmp(o, "--binary"))
            a->binary = 1;
        else if (o[0] == '-' && o[1])
            cli_usage_error(CMD, "%s: unknown option or missing value: %s", verb, o);
        else if (a->file)
            cli_usage_error(CMD, "%s: one input file at most", verb);
        else
            a->file = o;
    }
    if (!a->tok) cli_usage_error(CMD, "%s: --tokenizer DIR is required", verb);
}

static void read_input(const char *file, mm_buf *b) {
    mm_err e = mm_read_file(file && strcmp(file, "-") ? file : "/dev/stdin", b);
    if (e != MM_OK) cli_die(CMD, e);
}

static void write_out(const void *p, size_t n) {
    if (n && fwrite(p, 1, n, stdout) != n) cli_die(CMD, mm_fail(MM_ERR_IO, "stdout: write failed"));
}

static int cmd_encode(int argc, char **argv) {
    codec_args a;
    parse_codec(argc, argv, &a, "encode");
    mm_tok *t;
    mm_err e = mm_tok_load(a.tok, &t);
    if (e != MM_OK) cli_die(CMD, e);
    mm_buf in = {0}, out = {0};
    read_input(a.file, &in);
    mm_tok_enc *enc;
    mm_tok_ids ids = {0};
    double w0 = mm_now(), c0 = mm_thread_cpu();
    if ((e = mm_tok_enc_create(t, &enc)) == MM_OK) e = mm_tok_encode(enc, in.data, in.len, &ids);
    if (e != MM_OK) cli_die(CMD, e);
    double w = mm_now() - w0, c = mm_thread_cpu() - c0;
    cli_info(1,
             "mathmine tokenizer: encoded %zu bytes into %zu tokens in %.3f s (%.3f s of CPU): "
             "%.1f MB/s, %.1f MB/s per core",
             in.len, ids.len, w, c, in.len / 1e6 / (w > 0 ? w : 1e-9),
             in.len / 1e6 / (c > 0 ? c : 1e-9));
    if (a.binary) { /* little-endian uint32 */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
        for (size_t i = 0; i < ids.len; i++)
            ids.v[i] = __builtin_bswap32(ids.v[i]);
#endif
        write_out(ids.v, ids.len * sizeof *ids.v);
    } else {
        char num[16];
        for (size_t i = 0; i < ids.len; i++) {
            int k = snprintf(num, sizeof num, i ? " %u" : "%u", ids.v[i]);
            if (mm_buf_append(&out, num, (size_t)k) != MM_OK) cli_die(CMD, MM_ERR_NOMEM);
        }
        mm_buf_putc(&out, '\n');
    }
    write_out(out.data, out.len);
    mm_tok_ids_free(&ids);
    mm_tok_enc_free(enc);
    mm_tok_free(t);
    mm_buf_free(&in);
    mm_buf_free(&out);
    return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Parse whitespace-separated decimal ids; a bad one is a usage-level data error. */
static void parse_ids(const mm_buf *in, int binary, mm_tok_ids *ids) {
    if (binary) {
        if (in->len % 4)
            cli_die(CMD, mm_fail(MM_ERR_FORMAT,
                                 "binary ids: %zu bytes is not a "
                                 "multiple of 4",
                                 in->len));
        const unsigned char *u = (const unsigned char *)in->data;
        for (size_t i = 0; i < in->len; i += 4)
            mm_tok_ids_push(ids, (uint32_t)u[i] | (uint32_t)u[i + 1] << 8 |
                                     (uint32_t)u[i + 2] << 16 | (uint32_t)u[i + 3] << 24);
        return;
    }
    const char *s = in->data ? in->data : "";
    for (size_t i = 0; i < in->len;) {
        if (strchr(" \t\r\n", s[i])) {
            i++;
            continue;
        }
        uint64_t v = 0;
        size_t j = i;
        while (j < in->len && s[j] >= '0' && s[j] <= '9' && v <= UINT32_MAX)
            v = v * 10 + (uint64_t)(s[j++] - '0');
        if (j == i || v > UINT32_MAX || (j < in->len && !strchr(" \t\r\n", s[j])))
            cli_die(CMD, mm_fail(MM_ERR_FORMAT, "ids: byte %zu: expected a decimal token id", i));
        mm_tok_ids_push(ids, (uint32_t)v);
        i = j;
    }
}

static int cmd_decode(int argc, char **argv) {
    codec_args a;
    parse_codec(argc, argv, &a, "decode");
    mm_tok *t;
    mm_err e = mm_tok_load(a.tok, &t);
    if (e != MM_OK) cli_die(CMD, e);
    mm_buf in = {0}, out = {0};
    read_input(a.file, &in);
    mm_tok_ids ids = {0};
    parse_ids(&in, a.binary, &ids);
    if ((e = mm_tok_decode(t, ids.v, ids.len, &out)) != MM_OK) cli_die(CMD, e);
    write_out(out.data, out.len);
    mm_tok_ids_free(&ids);
    mm_tok_free(t);
    mm_buf_free(&in);
    mm_buf_free(&out);
    return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_tokenizer(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "encode")) return cmd_encode(argc - 1, argv + 1);
    if (!strcmp(argv[1], "decode")) return cmd_decode(argc - 1, argv + 1);
    cli_usage_error(CMD, "unknown subcommand '%s' (train, encode, decode)", argv[1]);
}
