/* mathmine — the command-line front end.  Subcommands come from the one table below, which
 * drives both dispatch and `mathmine --help`. */
#include <stdio.h>
#include <string.h>

#include "tools/blas_setup.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/version.h"

static const cli_command commands[] = {
    {"warc", cmd_warc, "list, dump and count the records of WARC files (ls, cat, stats)", 0},
    {"extract", cmd_extract, "WARC -> document shards: main text with the math kept as LaTeX", 0},
    {"classify", cmd_classify, "fastText math classifier: train, score shards, eval", 0},
    {"select", cmd_select, "select documents by score: threshold, top fraction or token budget", 0},
    {"iterate", cmd_iterate, "iterative seed expansion with domain-level recall", 0},
    {"dedup", cmd_dedup, "URL, exact and MinHash-LSH near-duplicate removal", 0},
    {"decontaminate", cmd_decontaminate, "remove documents sharing n-grams with benchmarks", 0},
    {"apply", cmd_apply, "write the clean shards once: documents minus their attribute files' ids",
     0},
    {"tokenizer", cmd_tokenizer, "byte-level BPE tokenizer: train, encode, decode", 0},
    {"shard", cmd_shard, "document shards -> llm.c token shards (.bin)", 0},
    {"pretrain", cmd_pretrain, "train a GPT-2 style model on token shards (CPU, OpenBLAS)", 1},
    {"generate", cmd_generate, "sample text from a checkpoint (KV cache)", 1},
    {"sft", cmd_sft, "supervised fine-tuning on worked solutions: epochs, validation, resume", 1},
    {"grpo", cmd_grpo, "Group Relative Policy Optimization (and online RFT / RFT baselines)", 1},
    {"eval", cmd_eval, "greedy accuracy, Pass@K and Maj@K of a checkpoint on a task", 1},
    {"rm", cmd_rm, "outcome or process reward model on checked policy samples: train, held-out AUC",
     1},
    {"run", cmd_run, "run a pipeline file: stages as tasks here (-j) or as Slurm job arrays", 0},
    {"status", cmd_status, "progress of a pipeline run: tasks done/running/failed, docs, CPU-hours",
     0},
    {"report", cmd_report,
     "one HTML page of a run: funnel, stages, iterations, decontamination, curves", 0},
};
enum { NCOMMANDS = sizeof commands / sizeof *commands };

static void usage(FILE *f) {
    fprintf(f,
            "mathmine %s — mine a mathematical pre-training corpus from Common Crawl, and\n"
            "train on it (DeepSeekMath's pipeline, in C).\n\n"
            "Usage: mathmine [-v|-q] <command> [options]   (mathmine <command> --help)\n\n"
            "Commands:\n",
            MM_VERSION);
    for (int i = 0; i < NCOMMANDS; i++)
        if (commands[i].fn) fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nGlobal options:\n"
               "  -v, --verbose  more messages on stderr (repeatable)\n"
               "  -q, --quiet    warnings off\n"
               "  -h, --help     this help\n"
               "      --version  print the version and those of the linked libraries (libxml2,\n"
               "                 zstd, fastText, OpenBLAS, libcurl)\n\n"
               "Exit codes: 0 ok, 1 some input failed (the rest was done), 2 usage error,\n"
               "130 interrupted.\n");
}

int main(int argc, char **argv) {
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        bool bundle = a[1] && strspn(a + 1, "hvq") == strlen(a + 1); /* -v, -vv, -vq, ... */
        if (!strcmp(a, "--help") || (bundle && strchr(a, 'h'))) {
            usage(stdout);
            return CLI_EXIT_OK;
        } else if (!strcmp(a, "--version")) {
            cli_print_version(stdout, MM_VERSION);
            return CLI_EXIT_OK;
        } else if (!strcmp(a, "--verbose")) {
            cli_verbosity++;
        } else if (!strcmp(a, "--quiet")) {
            cli_verbosity = -1;
        } else if (bundle) {
            for (const char *c = a + 1; *c; c++)
                cli_verbosity = *c == 'q' ? -1 : cli_verbosity + 1;
        } else {
            fprintf(stderr, "mathmine: unknown option '%s'\nTry 'mathmine --help'.\n", a);
            return CLI_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    for (int c = 0; c < NCOMMANDS; c++)
        if (commands[c].fn && !strcmp(commands[c].name, argv[i])) {
            if (!commands[c].model) cli_blas_idle();
            cli_install_signal_handlers();
            int n = argc - i;
            char **args = cli_normalize_args(&n, argv + i);
            return commands[c].fn(n, args);
        }
    fprintf(stderr, "mathmine: unknown command '%s'\nTry 'mathmine --help'.\n", argv[i]);
    return CLI_EXIT_USAGE;
}
