/* mathmine iterate — iterative seed expansion with domain-level recall (corpus/iterate.h). */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/stage.h"
#include "corpus/iterate.h"
#include "rl/tokenizer.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

static const char *const CMD = "iterate";

static void help(void) {
    printf(
        "Usage: mathmine iterate --positives SEED... --pool SHARDS... --work-dir DIR [options]\n\n"
        "DeepSeekMath's iterative corpus collection: train a fastText classifier on the seed,\n"
        "recall math pages from the pool, find math domains (share of collected pages) and\n"
        "the math URL prefixes inside them, add their uncollected pages to the seed, retrain,\n"
        "and recall again until an iteration collects almost nothing new.\n\n"
        "Inputs (each option repeatable; a directory means its *.jsonl and *.jsonl.zst files):\n"
        "  --positives PATH       seed positives: document shards, or text one doc per line\n"
        "  --pool PATH            document shards of the whole dump (from mathmine extract)\n"
        "  --positives-from L     --pool-from L: the paths listed in the file L as well, one\n"
        "                         a line (.gz/.zst lists allowed, '#' comments; repeatable;\n"
        "                         a listed folder means its shards).  A file given to\n"
        "                         --positives itself is a seed, never a list: a text seed\n"
        "                         is one document per line\n"
        "      --inputs L         the same as --pool-from L (what `mathmine run` passes)\n"
        "  --work-dir DIR         where iterations are kept (iter-K/); a rerun resumes\n"
        "                         (alias -o, --out)\n\n"
        "Iterations:\n"
        "  --seed N               random seed for negatives and training (default 1)\n"
        "  --max-iter N           at most N iterations (default 4)\n"
        "  --min-new F            stop when the share of newly collected pages is below F\n"
        "                         (default 0.02: 98%% of the collection seen before)\n"
        "  --threshold T          collect pages scoring >= T (default 0.5: a fastText\n"
        "                         probability, meaningful for any pool size)\n"
        "  --top-frac F           or collect the top fraction F of the pool\n"
        "  --top-tokens N         or the top pages up to N tokens, as the paper did (its\n"
        "                         first iteration: the top 40B tokens)\n"
        "  --tokenizer DIR        count tokens with this BPE tokenizer (vocab.json and\n"
        "                         merges.txt, as `mathmine tokenizer train` writes it) in\n"
        "                         the score files and --top-tokens (default: none, tokens\n"
        "                         estimated as ceil(UTF-8 bytes / 4))\n\n"
        "Training sets and the classifier check:\n"
        "  --pos-cap N            train on a random sample of at most N positives\n"
        "                         (default 500000, the paper's 500K)\n"
        "  --neg-cap N            negatives: as many random pool pages as positives, at most\n"
        "                         N (default 500000)\n"
        "  --exclude-collected    never draw negatives from the pages the previous\n"
        "                         iteration collected (default: the whole pool, as the paper)\n"
        "  --math-negatives skip|keep  skip: never draw negatives from the domains an earlier\n"
        "                         iteration declared math; keep: the whole pool, as the\n"
        "                         paper (default keep)\n"
        "  --valid-frac F         hold out F of each class to validate the classifier\n"
        "                         (default 0.1)\n"
        "  --min-auc F            stop, collecting nothing, when the held-out ROC-AUC is\n"
        "                         under F: the classifier separates nothing (default 0.6)\n"
        "  --min-updates N        raise the epochs until epochs x training documents >= N\n"
        "                         (default 10000; small seeds need it, 500K do not)\n"
        "  --small-lr F           when --min-updates raises the epochs, train at lr F at\n"
        "                         least (default 0.5; 0: --lr as given)\n\n"
        "Domains and URL prefixes:\n"
        "  --domain-key KEY       host (default: the paper's base URL, e.g.\n"
        "                         math.stackexchange.com) or domain (registered domain)\n"
        "  --domain-threshold F   a domain is math when more than F of its pages were\n"
        "                         collected (default 0.10)\n"
        "  --domain-lift F        ... and more than F times the share of the whole pool\n"
        "                         that was collected (default 1.5; 0 = the 10%% rule alone):\n"
        "                         a broad classifier that collects much of the pool passes\n"
        "                         every host's 10%% by chance\n"
        "  --domain-min-pages N   ... and it has at least N pages (default 5)\n"
        "  --prefix-threshold F   rule: a URL prefix (host + first 1 or 2 directories) in a\n"
        "                         math domain is math when >= F of its pages were collected\n"
        "                         (default 0.2)\n"
        "  --prefix-min-pages N   ... and it has at least N pages (default 5)\n"
        "  --annotate             a person decides each iteration's prefixes: iteration K\n"
        "                         stops at DIR/annotations/iter-K.candidates.tsv; mark it,\n"
        "                         save it as DIR/annotations/iter-K.tsv, rerun the same\n"
        "                         command: K finishes and K+1 stops at its candidates\n"
        "  --annotations FILE     decisions for every iteration (columns prefix, decision:\n"
        "                         allow/deny/?); an iteration's own file wins; undecided\n"
        "                         prefixes follow the rule\n\n"
        "fastText (DeepSeekMath's settings are the defaults):\n"
        "  --dim N (256)  --lr F (0.1)  --word-ngrams N (3)  --min-count N (3)  --epoch N (3)\n"
        "  --bucket N (2000000)  --loss softmax|hs|ns|ova (softmax)\n"
        "  --train-threads N      fastText training threads (default 1: reproducible;\n"
        "                         more is faster but not bit-for-bit deterministic)\n\n"
        "Map tasks (one iteration's per-shard work spread over a Slurm array):\n"
        "  --wait-for-tasks       leave scoring, counting and the new-positive pass to map\n"
        "                         tasks: stop (exit 0) while a shard's output is missing,\n"
        "                         and go on when rerun after the tasks (default: do it all\n"
        "                         here)\n"
        "  --map                  be one map task of the iteration in progress: score this\n"
        "                         task's shards once the model is trained, count their\n"
        "                         domains and URL prefixes once the cut is decided (with\n"
        "                         --threshold right after scoring), write their new\n"
        "                         positives once the prefixes are decided; same options as\n"
        "                         the driver (config.json must match)\n"
        "  --task I/N             with --map: block I (0-based) of N of the pool shards\n"
        "                         (default: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT\n"
        "                         inside a Slurm job array, else every shard)\n\n"
        "Other:\n"
        "  -j, --threads N        scoring and counting threads (default: all cores)\n"
        "      --stats FILE       write the per-iteration summaries as JSON\n"
        "  -h, --help             this help\n\n"
        "Writes DIR/config.json, DIR/iter-K/{model.bin, valid.tsv, scores/, collected.ids,\n"
        "collect.tsv, counts/ (per-shard domain and prefix counts), domains.tsv,\n"
        "prefixes.tsv, new_positives.jsonl.zst, new_positives.tsv, report.json,\n"
        "score_hist.svg}, DIR/annotations/ with --annotate, and DIR/report.{json,md} and\n"
        "DIR/growth.svg at the end.  The per-iteration table (with the held-out ROC-AUC) goes\n"
        "to stdout; the rule that stopped the run is named on stderr.  The differences from\n"
        "DeepSeekMath are listed in docs/iterate.md.\n");
}

typedef struct path_list {
    char **v;
    size_t n, cap;
} path_list;

static void push(path_list *l, const char *p) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "path list"));
    }
    l->v[l->n++] = strdup(p);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file is taken as given; a directory contributes its shards in name order. */
static void add_path(path_list *l, const char *p);

/* Every path of the list file `list` (common/stage.h: one a line, .gz/.zst, '#' comments), as
 * if each had been given on the command line. */
static void add_list(path_list *l, const char *list) {
    mm_inputs in = {0};
    mm_err e = mm_inputs_read(&in, list, NULL);
    if (e != MM_OK) cli_die(CMD, e);
    if (!in.n) cli_usage_error(CMD, "the list '%s' names no path", list);
    for (size_t i = 0; i < in.n; i++)
        add_path(l, in.v[i]);
    mm_inputs_free(&in);
}

static void add_path(path_list *l, const char *p) {
    struct stat st;
    if (stat(p, &st) != 0) cli_usage_error(CMD, "'%s' does not exist", p);
    if (!S_ISDIR(st.st_mode)) {
        push(l, p);
        return;
    }
    DIR *d = opendir(p);
    if (!d) cli_usage_error(CMD, "cannot read directory '%s'", p);
    size_t first = l->n;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        bool shard = (n > 6 && !strcmp(e->d_name + n - 6, ".jsonl")) ||
                     (n > 10 && !strcmp(e->d_name + n - 10, ".jsonl.zst"));
        if (!shard) continue;
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", p, e->d_name);
        push(l, full);
    }
    closedir(d);
    qsort(l->v + first, l->n - first, sizeof *l->v, cmp_str);
}

static void print_row(void *arg, const mm_iter_summary *s, bool resumed) {
    (void)arg;
    printf("%4d  %5.3f  %9llu  %9llu  %9llu  %11llu  %8.3f  %6llu (+%llu/-%llu)  %7llu  %s\n",
           s->iter, s->valid_auc, (unsigned long long)s->positives,
           (unsigned long long)s->new_positives, (unsigned long long)s->collected,
           (unsigned long long)s->collected_tokens, s->new_share,
           (unsigned long long)s->math_domains, (unsigned long long)s->domains_gained,
           (unsigned long long)s->domains_lost, (unsigned long long)s->math_prefixes,
           resumed ? "(done earlier)" : "");
    fflush(stdout);
    /* The held-out positives are a tenth of the positives, all from the seed's sites: a few
     * pages say whether the model knows the seed, not whether it finds math elsewhere (the
     * demo's 0.81 on 4 + 4 pages ranked its other math sites over non-math ones at 0.59). */
    if (!resumed && s->valid_pos < 20)
        cli_warn(CMD,
                 "iteration %d: the held-out ROC-AUC comes from %llu positive page(s) only; "
                 "it is a weak check of the classifier",
                 s->iter, (unsigned long long)s->valid_pos);
    /* The paper's fastText settings on a seed of a few hundred pages barely train: the demo's
     * second iteration scored every page 0.5 +- 0.0001, so its 0.5 threshold was a coin toss. */
    if (!resumed && s->pool_pages && s->score_sd < 0.01)
        cli_warn(CMD,
                 "iteration %d: the pool's scores barely spread (mean %.4f, sd %.5f): the "
                 "classifier is barely trained (more --min-updates or a higher --lr)",
                 s->iter, s->score_mean, s->score_sd);
}

enum {
    O_POS = 256,
    O_POOL,
    O_WORK,
    O_SEED,
    O_MAXIT,
    O_MINNEW,
    O_THR,
    O_TOPF,
    O_TOPT,
    O_DKEY,
    O_DTHR,
    O_DMIN,
    O_PTHR,
    O_PMIN,
    O_ANN,
    O_ANNS,
    O_DIM,
    O_LR,
    O_WNG,
    O_MINC,
    O_EPOCH,
    O_BUCKET,
    O_LOSS,
    O_TTHR,
    O_STATS,
    O_PCAP,
    O_NCAP,
    O_EXCL,
    O_MNEG,
    O_SMALLLR,
    O_VFRAC,
    O_MINAUC,
    O_MINUPD,
    O_DLIFT,
    O_POSL,
    O_POOLL,
    O_TOK,
    O_WAIT,
    O_MAP,
    O_TASK
};

static const struct option longopts[] = {{"positives", 1, 0, O_POS},
                                         {"pool", 1, 0, O_POOL},
                                         {"positives-from", 1, 0, O_POSL},
                                         {"pool-from", 1, 0, O_POOLL},
                                         {"inputs", 1, 0, O_POOLL},
                                         {"work-dir", 1, 0, O_WORK},
                                         {"out", 1, 0, O_WORK},
                                         {"seed", 1, 0, O_SEED},
                                         {"max-iter", 1, 0, O_MAXIT},
                                         {"min-new", 1, 0, O_MINNEW},
                                         {"threshold", 1, 0, O_THR},
                                         {"top-frac", 1, 0, O_TOPF},
                                         {"top-tokens", 1, 0, O_TOPT},
                                         {"tokenizer", 1, 0, O_TOK},
                                         {"wait-for-tasks", 0, 0, O_WAIT},
                                         {"map", 0, 0, O_MAP},
                                         {"task", 1, 0, O_TASK},
                                         {"domain-key", 1, 0, O_DKEY},
                                         {"domain-threshold", 1, 0, O_DTHR},
                                         {"domain-min-pages", 1, 0, O_DMIN},
                                         {"domain-lift", 1, 0, O_DLIFT},
                                         {"prefix-threshold", 1, 0, O_PTHR},
                                         {"prefix-min-pages", 1, 0, O_PMIN},
                                         {"annotate", 0, 0, O_ANN},
                                         {"annotations", 1, 0, O_ANNS},
                                         {"dim", 1, 0, O_DIM},
                                         {"lr", 1, 0, O_LR},
                                         {"word-ngrams", 1, 0, O_WNG},
                                         {"min-count", 1, 0, O_MINC},
                                         {"epoch", 1, 0, O_EPOCH},
                                         {"bucket", 1, 0, O_BUCKET},
                                         {"loss", 1, 0, O_LOSS},
                                         {"train-threads", 1, 0, O_TTHR},
                                         {"threads", 1, 0, 'j'},
                                         {"stats", 1, 0, O_STATS},
                                         {"pos-cap", 1, 0, O_PCAP},
                                         {"neg-cap", 1, 0, O_NCAP},
                                         {"exclude-collected", 0, 0, O_EXCL},
                                         {"math-negatives", 1, 0, O_MNEG},
                                         {"valid-frac", 1, 0, O_VFRAC},
                                         {"min-auc", 1, 0, O_MINAUC},
                                         {"min-updates", 1, 0, O_MINUPD},
                                         {"small-lr", 1, 0, O_SMALLLR},
                                         {"help", 0, 0, 'h'},
                                         {0, 0, 0, 0}};

/* What the command does besides the options of the run: --map, --task. */
typedef struct map_args {
    bool map;
    const char *task; /* "I/N", or NULL */
} map_args;

static const char *parse_args(int argc, char **argv, mm_iter_opts *o, path_list *pos,
                              path_list *pool, map_args *m) {
    const char *stats = NULL;
    int c, modes = 0;
    while ((c = getopt_long(argc, argv, "j:ho:", longopts, NULL)) != -1) {
        switch (c) {
        case O_POS:
            add_path(pos, optarg);
            break;
        case O_POOL:
            add_path(pool, optarg);
            break;
        case O_POSL:
            add_list(pos, optarg);
            break;
        case O_POOLL:
            add_list(pool, optarg);
            break;
        case 'o':
        case O_WORK:
            o->work_dir = optarg;
            break;
        case O_SEED:
            o->seed = (uint64_t)cli_parse_int(CMD, "--seed", optarg, 0, INT32_MAX);
            break;
        case O_MAXIT:
            o->max_iter = (int)cli_parse_int(CMD, "--max-iter", optarg, 1, 100);
            break;
        case O_MINNEW:
            o->min_new = cli_parse_double(CMD, "--min-new", optarg, 0, 1);
            break;
        case O_THR:
            o->collect_mode = MM_SELECT_THRESHOLD, modes++;
            o->collect_value = cli_parse_double(CMD, "--threshold", optarg, 0, 1.1);
            break;
        case O_TOPF:
            o->collect_mode = MM_SELECT_TOP_FRAC, modes++;
            o->collect_value = cli_parse_double(CMD, "--top-frac", optarg, 1e-9, 1);
            break;
        case O_TOPT:
            o->collect_mode = MM_SELECT_TOP_TOKENS, modes++;
            o->collect_value = (double)cli_parse_int(CMD, "--top-tokens", optarg, 1, INT64_MAX);
            break;
        case O_TOK:
            o->tokenizer = optarg;
            break;
        case O_WAIT:
            o->wait_for_tasks = true;
            break;
        case O_MAP:
            m->map = true;
            break;
        case O_TASK:
            m->task = optarg;
            break;
        case O_DKEY:
            if (!strcmp(optarg, "domain"))
                o->key = MM_ITER_KEY_DOMAIN;
            else if (!strcmp(optarg, "host"))
                o->key = MM_ITER_KEY_HOST;
            else
                cli_usage_error(CMD, "--domain-key is 'host' or 'domain', not '%s'", optarg);
            break;
        case O_DTHR:
            o->domain_threshold = cli_parse_double(CMD, "--domain-threshold", optarg, 0, 1);
            break;
        case O_DLIFT:
            o->domain_lift = cli_parse_double(CMD, "--domain-lift", optarg, 0, 100);
            break;
        case O_DMIN:
            o->domain_min_pages =
                (uint64_t)cli_parse_int(CMD, "--domain-min-pages", optarg, 1, INT64_MAX);
            break;
        case O_PTHR:
            o->prefix_threshold = cli_parse_double(CMD, "--prefix-threshold", optarg, 0, 1);
            break;
        case O_PMIN:
            o->prefix_min_pages =
                (uint64_t)cli_parse_int(CMD, "--prefix-min-pages", optarg, 1, INT64_MAX);
            break;
        case O_ANN:
            o->annotate = true;
            break;
        case O_ANNS:
            o->annotations = optarg;
            break;
        case O_DIM:
            o->train.dim = (int)cli_parse_int(CMD, "--dim", optarg, 1, 4096);
            break;
        case O_LR:
            o->train.lr = cli_parse_double(CMD, "--lr", optarg, 1e-9, 10);
            break;
        case O_WNG:
            o->train.word_ngrams = (int)cli_parse_int(CMD, "--word-ngrams", optarg, 1, 10);
            break;
        case O_MINC:
            o->train.min_count = (int)cli_parse_int(CMD, "--min-count", optarg, 1, 1000000);
            break;
        case O_EPOCH:
            o->train.epoch = (int)cli_parse_int(CMD, "--epoch", optarg, 1, 1000);
            break;
        case O_BUCKET:
            o->train.bucket = (int)cli_parse_int(CMD, "--bucket", optarg, 0, 100000000);
            break;
        case O_LOSS:
            o->train.loss = optarg;
            break;
        case O_TTHR:
            o->train.threads = (int)cli_parse_int(CMD, "--train-threads", optarg, 0, 1024);
            break;
        case 'j':
            o->threads = (int)cli_parse_int(CMD, "-j", optarg, 0, 1024);
            break;
        case O_STATS:
            stats = optarg;
            break;
        case O_PCAP:
            o->pos_cap = (uint64_t)cli_parse_int(CMD, "--pos-cap", optarg, 1, INT64_MAX);
            break;
        case O_NCAP:
            o->neg_cap = (uint64_t)cli_parse_int(CMD, "--neg-cap", optarg, 1, INT64_MAX);
            break;
        case O_EXCL:
            o->exclude_collected = true;
            break;
        case O_MNEG:
            if (strcmp(optarg, "skip") && strcmp(optarg, "keep"))
                cli_usage_error(CMD, "--math-negatives takes skip or keep, not '%s'", optarg);
            o->neg_skip_math = !strcmp(optarg, "skip");
            break;
        case O_VFRAC:
            o->valid_frac = cli_parse_double(CMD, "--valid-frac", optarg, 0, 0.5);
            break;
        case O_MINAUC:
            o->min_auc = cli_parse_double(CMD, "--min-auc", optarg, 0, 1);
            break;
        case O_SMALLLR:
            o->train.small_lr = cli_parse_double(CMD, "--small-lr", optarg, 0, 10);
            break;
        case O_MINUPD:
            o->min_updates = (uint64_t)cli_parse_int(CMD, "--min-updates", optarg, 0, INT64_MAX);
            break;
        case 'h':
            help();
            exit(CLI_EXIT_OK);
        default:
            cli_usage_error(CMD, "unknown option");
        }
    }
    if (optind < argc) cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (modes > 1) cli_usage_error(CMD, "give one of --threshold, --top-frac, --top-tokens");
    if (m->task && !m->map) cli_usage_error(CMD, "--task goes with --map (a map task)");
    if (!o->work_dir) cli_usage_error(CMD, "--work-dir is required");
    if (!pos->n) cli_usage_error(CMD, "--positives or --positives-from is required (the seed)");
    if (!pool->n)
        cli_usage_error(CMD,
                        "--pool or --pool-from is required (document shards; a directory works)");
    return stats;
}

static void write_stats(const char *path, const char *work_dir, const mm_iter_result *r) {
    if (!path) return;
    char rep[4096];
    snprintf(rep, sizeof rep, "%s/report.json", work_dir);
    mm_buf b = {0};
    if (mm_read_file(rep, &b) == MM_OK) {
        while (b.len && (b.data[b.len - 1] == '\n'))
            b.data[--b.len] = 0;
        cli_write_stats(CMD, path, &b);
    } else {
        cli_warn(CMD, "no report to write to %s (%d iterations)", path, r->iterations);
    }
    mm_buf_free(&b);
}

static void report_done(const mm_iter_opts *o, const mm_iter_result *r) {
    const mm_iter_summary *l = &r->last;
    switch (r->done) {
    case MM_ITER_DONE_CONVERGED:
        fprintf(stderr, "mathmine iterate: converged after %d iterations (new share %.3f < %g)\n",
                r->iterations, l->new_share, o->min_new);
        break;
    case MM_ITER_DONE_NO_NEW:
        fprintf(stderr,
                "mathmine iterate: stopped after iteration %d: it added no new positives, "
                "so another iteration would train on the same seed\n",
                r->iterations);
        break;
    case MM_ITER_DONE_NO_SIGNAL:
        fprintf(stderr,
                "mathmine iterate: stopped in iteration %d before collecting: its "
                "classifier separates nothing (held-out ROC-AUC %.3f < --min-auc %g on %llu + "
                "%llu documents).  Give more seed positives, or more training (--min-updates, "
                "--lr); the model and valid.tsv are in %s/iter-%d.tmp/\n",
                l->iter, l->valid_auc, o->min_auc, (unsigned long long)l->valid_pos,
                (unsigned long long)l->valid_neg, o->work_dir, l->iter);
        break;
    case MM_ITER_DONE_NO_NEGATIVES:
        fprintf(stderr,
                "mathmine iterate: stopped in iteration %d: every page of the pool is "
                "a positive, none is left to draw negatives from (a bigger pool is needed)\n",
                l->iter);
        break;
    case MM_ITER_DONE_MAX:
        fprintf(stderr, "mathmine iterate: stopped at --max-iter %d\n", o->max_iter);
        break;
    case MM_ITER_DONE_TASKS:
        fprintf(stderr,
                "mathmine iterate: iteration %d waits for map tasks: %zu shard(s) have no %s "
                "yet; run `mathmine iterate ... --map --task I/N` for every I (a Slurm array), "
                "then this command again\n",
                l->iter, r->tasks_missing, r->tasks_what);
        break;
    case MM_ITER_DONE_ANNOTATE:
        fprintf(stderr,
                "mathmine iterate: iteration %d waits for a person: prefix candidates in %s\n"
                "  mark the 'decision' column allow/deny (rows left '?' follow the rule), save it\n"
                "  as %s, and rerun the same command\n",
                l->iter, r->annotate_path, r->decisions_path);
        break;
    }
    if (r->iterations > 0)
        fprintf(stderr, "mathmine iterate: report in %s/report.md, plot %s/growth.svg\n",
                o->work_dir, o->work_dir);
}

/* --tokenizer: the BPE whose counts go into the score files (NULL without one). */
static mm_tok *load_tokenizer(mm_iter_opts *o, mm_clf_token_counter *counter) {
    if (!o->tokenizer) return NULL;
    mm_tok *tok = token_counter_load(CMD, o->tokenizer, counter);
    o->tokens = counter;
    return tok;
}

/* --map: this task's share of the iteration in progress. */
static int run_map(mm_iter_opts *o, const map_args *m) {
    mm_task task = {0, 0};
    mm_err e = m->task ? mm_task_parse(m->task, &task) : mm_task_from_env(&task);
    if (e != MM_OK) cli_usage_error(CMD, "--task: %s", mm_error_detail());
    mm_clf_token_counter counter;
    mm_tok *tok = load_tokenizer(o, &counter);
    mm_clf_set_cancel_flag(&cli_interrupted);
    mm_iter_map_result r;
    e = mm_iter_map(o, task, &r);
    mm_tok_free(tok);
    if (e != MM_OK) cli_die(CMD, e);
    if (r.waiting)
        fprintf(stderr,
                "mathmine iterate --map: nothing to do yet (iteration %d has no model: run "
                "the driver first)\n",
                r.iter);
    else
        fprintf(stderr,
                "mathmine iterate --map: iteration %d, shards %zu-%zu: %zu scored, %zu counted, "
                "%zu with new positives written\n",
                r.iter, r.lo, r.hi, r.scored, r.counted, r.newpos);
    return CLI_EXIT_OK;
}

int cmd_iterate(int argc, char **argv) {
    mm_iter_opts o;
    mm_iter_opts_default(&o);
    o.seed = 1;
    path_list pos = {0}, pool = {0};
    map_args m = {0};
    const char *stats = parse_args(argc, argv, &o, &pos, &pool, &m);
    o.positives = (const char *const *)pos.v;
    o.npositives = pos.n;
    o.pool = (const char *const *)pool.v;
    o.npool = pool.n;
    if (m.map) return run_map(&o, &m);
    fprintf(stderr, "mathmine iterate: %zu seed file(s), %zu pool shard(s), work dir %s\n", pos.n,
            pool.n, o.work_dir);
    printf("iter    auc  positives  +new_pos  collected       tokens  new_share  "
           "math_domains(+/-)  prefixes\n");
    mm_clf_token_counter counter;
    mm_tok *tok = load_tokenizer(&o, &counter);
    mm_iter_result res;
    o.train.stop = &cli_interrupted;
    mm_clf_set_cancel_flag(&cli_interrupted);
    mm_err e = mm_iter_run(&o, print_row, NULL, &res);
    mm_tok_free(tok);
    if (e != MM_OK) cli_die(CMD, e);
    report_done(&o, &res);
    write_stats(stats, o.work_dir, &res);
    return CLI_EXIT_OK;
}
