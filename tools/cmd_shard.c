/* tools/cmd_shard.c — `mathmine shard`: documents -> llm.c token shards.  The stage is
 * mm_shard_build (rl/tokshard.h, rl/shard_build.c); this file parses options and prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "rl/tokshard.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/stage_args.h"

static const char *CMD = "shard";

typedef struct shard_args {
    mm_shard_opts o;
    const char *stats;
    char **inputs;     /* o.inputs */
    mm_shard_mix *mix; /* o.mix */
} shard_args;

static void usage(FILE *f) {
    fprintf(
        f,
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
        "                       Documents are never split: one that would take validation past\n"
        "                       twice the target stays in training.  A validation split outside\n"
        "                       half to twice the target is warned about (and named in\n"
        "                       shards.json, split_warning); an empty training split is an error\n"
        "  --seed S             seed of the document shuffle (1)\n"
        "  --shard-tokens N     tokens per shard (100M, as llm.c)\n"
        "  --mix FILE[:REPEAT]  add FILE's documents to the training split only, REPEAT\n"
        "                       times each (1); repeatable\n"
        "  -j N                 encoding threads (all cores)\n"
        "  --stats FILE         write the summary as JSON (the same as "
        "shards.json)\n" STAGE_LIST_HELP "  --force              redo a complete DIR\n");
}

static void parse_mix(const char *arg, mm_shard_mix *m) {
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
    a->o.val_frac = 0.01;
    a->o.val_tokens = -1;
    a->o.seed = 1;
    a->o.shard_tokens = 100000000;
    stage_args sa = {.whole = true};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int more = i + 1 < argc;
        if (stage_option(CMD, argc, argv, &i, &sa)) continue;
        if (!strcmp(o, "--tokenizer") && more)
            a->o.tok = argv[++i];
        else if (cli_is_out(o) && more)
            a->o.out = argv[++i];
        else if (!strcmp(o, "--val-frac") && more)
            a->o.val_frac = cli_parse_double(CMD, o, argv[++i], 0, 0.9);
        else if (!strcmp(o, "--val-tokens") && more)
            a->o.val_tokens = cli_parse_int(CMD, o, argv[++i], 0, INT64_MAX);
        else if (!strcmp(o, "--seed") && more)
            a->o.seed = (uint64_t)cli_parse_int(CMD, o, argv[++i], 0, INT64_MAX);
        else if (!strcmp(o, "--shard-tokens") && more)
            a->o.shard_tokens = cli_parse_int(CMD, o, argv[++i], 1, INT32_MAX);
        else if (!strcmp(o, "--mix") && more)
            parse_mix(argv[++i], &a->mix[a->o.nmix++]);
        else if (!strcmp(o, "-j") && more)
            a->o.threads = (int)cli_parse_int(CMD, o, argv[++i], 1, 1024);
        else if (!strncmp(o, "-j", 2) && o[2])
            a->o.threads = (int)cli_parse_int(CMD, "-j", o + 2, 1, 1024);
        else if (!strcmp(o, "--stats") && more)
            a->stats = argv[++i];
        else if (!strcmp(o, "--force"))
            a->o.force = 1;
        else if (o[0] == '-' && o[1])
            cli_usage_error(CMD, "unknown option or missing value: %s", o);
        else
            a->inputs[a->o.ninputs++] = argv[i];
    }
    if (!a->o.tok) cli_usage_error(CMD, "--tokenizer TOK is required");
    if (!a->o.out) cli_usage_error(CMD, "-o DIR is required");
    /* the list's strings live until exit, as argv's do */
    static mm_inputs all;
    size_t lo, hi;
    stage_inputs(CMD, &sa, (const char *const *)a->inputs, a->o.ninputs, &all, &lo, &hi);
    if (!all.n) cli_usage_error(CMD, "no input files");
    free(a->inputs);
    a->inputs = calloc(all.n + 1, sizeof *a->inputs);
    if (!a->inputs) cli_die(CMD, MM_ERR_NOMEM);
    for (size_t i = 0; i < all.n; i++)
        a->inputs[i] = all.v[i];
    a->o.ninputs = all.n;
    a->o.inputs = (const char *const *)a->inputs, a->o.mix = a->mix;
}

static void warn_cb(void *ctx, const char *msg) {
    (void)ctx;
    cli_warn(CMD, "%s", msg);
}

int cmd_shard(int argc, char **argv) {
    if (argc < 2 || cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    shard_args a;
    parse_args(argc, argv, &a);
    a.o.progress = true, a.o.stop = &cli_interrupted, a.o.warn = warn_cb;
    mm_shard_result r;
    mm_err e = mm_shard_build(&a.o, &r);
    if (cli_interrupted) return mm_shard_result_free(&r), CLI_EXIT_INTERRUPTED;
    if (e != MM_OK) cli_die(CMD, e);
    if (r.skipped) {
        cli_info(0, "mathmine shard: %s is complete, skipped (--force to redo)", a.o.out);
        return CLI_EXIT_OK;
    }
    cli_write_stats(CMD, a.stats, &r.json);
    cli_info(0,
             "mathmine shard: %s: %llu documents (%.1f MB) -> %llu train tokens in %d shards, "
             "%llu val tokens in %d; %.1f s (encoding %.1f MB/s on %d threads)",
             a.o.out, (unsigned long long)r.docs, r.bytes / 1e6, (unsigned long long)r.train_tokens,
             r.train_shards, (unsigned long long)r.val_tokens, r.val_shards, r.secs,
             r.bytes / 1e6 / (r.encode_s > 0 ? r.encode_s : 1e-9), r.threads);
    if (r.bad) cli_warn(CMD, "%llu broken input lines skipped", (unsigned long long)r.bad);
    mm_shard_result_free(&r);
    return CLI_EXIT_OK;
}
