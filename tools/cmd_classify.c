/* tools/cmd_classify.c — `mathmine classify train|quantize|score|eval|predict|normalize`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "classifier/classifier.h"
#include "common/io.h"
#include "common/pool.h"
#include "common/json.h"
#include "common/progress.h"
#include "rl/tokenizer.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "classify"

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine classify <subcommand> [options]\n\n"
        "Subcommands:\n"
        "  train     --pos P... --neg N... -o model.bin   train a fastText classifier\n"
        "  quantize  --model M.bin -o M.ftz               product-quantize a model\n"
        "  score     --model M SHARD... -o D              score file per shard\n"
        "  eval      --model M --pos P... --neg N...      P/R/F1, ROC-AUC, PR curve\n"
        "  predict   --model M [FILE]                     one score per input line (stdout)\n"
        "  normalize [FILE]                               the classifier's text normalisation\n\n"
        "Inputs (--pos, --neg): document shards (.jsonl, .jsonl.zst: the \"text\" field), plain\n"
        "text (a document per line) or fastText-format files (leading __label__ tokens dropped).\n"
        "Positives get the label " MM_CLF_LABEL_POS ", negatives " MM_CLF_LABEL_NEG "; the score\n"
        "of a document is the probability of " MM_CLF_LABEL_POS
        " as `fasttext predict-prob` prints\n"
        "it.  See docs/classifier.md.  `mathmine classify SUB --help` for the options.\n");
}

static void usage_train(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine classify train --pos P... --neg N... -o model.bin [options]\n\n"
        "  --pos P...            positive inputs (several paths may follow one --pos)\n"
        "  --neg N...            negative inputs\n"
        "  --pos-inputs FILE     more positive inputs, one path per line (.gz/.zst lists\n"
        "                        allowed, '#' comments; repeatable); after those of --pos\n"
        "  --neg-inputs FILE     the same for negatives\n"
        "  -o, --out PATH        the model (.bin), written atomically (alias --output)\n"
        "  --neg-sample K        draw K negatives uniformly from the negative inputs (0 = all)\n"
        "  --pos-sample K        the same for positives (0 = all)\n"
        "  --seed S              seed of sampling, shuffling, held-out split and fastText (0)\n"
        "  --valid-frac F        hold out F of each class and print metrics on it (0)\n"
        "  --max-bytes N         normalised bytes kept per document (%d)\n"
        "  --quantize            also write the product-quantized model next to it (.ftz)\n"
        "  --cutoff N, --dsub N, --qnorm, --qout   quantization options (0, 2, off, off)\n"
        "  --stats FILE          write the training report as JSON\n"
        "fastText options (DeepSeekMath defaults; fastText's own -camelCase names work too):\n"
        "  --dim N (256)  --lr X (0.1)  --word-ngrams N (3)  --min-count N (3)  --epoch N (3)\n"
        "  --loss softmax|hs|ns|ova (softmax)  --bucket N (2000000)  --minn N (0)  --maxn N (0)\n"
        "  --min-count-label N (0)  --ft-neg N (5)  --ws N (5)  --lr-update-rate N (100)\n"
        "  --sampling-t X (1e-4)  -j, --threads N (all cores; 1 = reproducible)\n"
        "  --pretrained-vectors FILE\n",
        MM_CLF_MAX_BYTES_DEFAULT);
}

/* Collect the non-option arguments after argv[*i] into list; *i ends on the last one taken. */
static void push_path(const char ***list, size_t *n, const char *path) {
    *list = realloc(*list, (*n + 1) * sizeof **list);
    if (!*list) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
    (*list)[(*n)++] = path;
}

static void take_paths(int argc, char **argv, int *i, const char ***list, size_t *n) {
    while (*i + 1 < argc && (argv[*i + 1][0] != '-' || !strcmp(argv[*i + 1], "-")))
        push_path(list, n, argv[++*i]);
}

/* The positives and negatives of `train` and `eval`: --pos/--neg paths, then the paths listed
 * in --pos-inputs/--neg-inputs FILEs (one a line, .gz/.zst lists decompressed, '#' comments:
 * the reader of --inputs), appended by labelled_finish after the ones given as arguments. */
typedef struct labelled {
    const char **pos, **neg;
    size_t npos, nneg;
    mm_inputs pos_lists, neg_lists;
} labelled;

static void read_list(const char *file, mm_inputs *lists) {
    mm_err e = mm_inputs_read(lists, file, NULL);
    if (e != MM_OK) cli_die(CMD, e);
}

/* Consume argv[*i] (and its values) when it is one of the four options; true if it was. */
static bool labelled_option(int argc, char **argv, int *i, labelled *l) {
    const char *a = argv[*i];
    if (!strcmp(a, "--pos"))
        take_paths(argc, argv, i, &l->pos, &l->npos);
    else if (!strcmp(a, "--neg"))
        take_paths(argc, argv, i, &l->neg, &l->nneg);
    else if (!strcmp(a, "--pos-inputs"))
        read_list(cli_value(CMD, argc, argv, i), &l->pos_lists);
    else if (!strcmp(a, "--neg-inputs"))
        read_list(cli_value(CMD, argc, argv, i), &l->neg_lists);
    else
        return false;
    return true;
}

/* Append the listed paths; a usage error naming `sub` when either class is empty. */
static void labelled_finish(labelled *l, const char *sub) {
    for (size_t k = 0; k < l->pos_lists.n; k++)
        push_path(&l->pos, &l->npos, l->pos_lists.v[k]);
    for (size_t k = 0; k < l->neg_lists.n; k++)
        push_path(&l->neg, &l->nneg, l->neg_lists.v[k]);
    if (!l->npos || !l->nneg)
        cli_usage_error(CMD, "%s: needs --pos and --neg inputs (or --pos-inputs, --neg-inputs)",
                        sub);
}

static void labelled_free(labelled *l) {
    free(l->pos);
    free(l->neg);
    mm_inputs_free(&l->pos_lists);
    mm_inputs_free(&l->neg_lists);
}

static bool is(const char *a, const char *l1, const char *l2) {
    return !strcmp(a, l1) || (l2 && !strcmp(a, l2));
}

/* fastText options: our --kebab-case and fastText's -camelCase. true when argv[*i] was one. */
static bool ft_option(int argc, char **argv, int *i, mm_clf_train_opts *o) {
    const char *a = argv[*i];
#define INT_OPT(l, ft, field, lo, hi)                                                              \
    if (is(a, l, ft)) {                                                                            \
        o->field = (int)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, i), lo, hi);              \
        return true;                                                                               \
    }
    INT_OPT("--dim", "-dim", dim, 1, 100000)
    INT_OPT("--word-ngrams", "-wordNgrams", word_ngrams, 1, 100)
    INT_OPT("--min-count", "-minCount", min_count, 0, 1000000000)
    INT_OPT("--min-count-label", "-minCountLabel", min_count_label, 0, 1000000000)
    INT_OPT("--epoch", "-epoch", epoch, 1, 100000)
    INT_OPT("--bucket", "-bucket", bucket, 0, 2000000000)
    INT_OPT("--minn", "-minn", minn, 0, 100)
    INT_OPT("--maxn", "-maxn", maxn, 0, 100)
    INT_OPT("--ft-neg", "-neg", neg, 1, 1000)
    INT_OPT("--ws", "-ws", ws, 1, 1000)
    INT_OPT("--lr-update-rate", "-lrUpdateRate", lr_update_rate, 1, 1000000)
    INT_OPT("--threads", "-thread", threads, 0, 4096)
    INT_OPT("-j", NULL, threads, 0, 4096)
    INT_OPT("--seed", "-seed", seed, 0, 2000000000)
#undef INT_OPT
    if (is(a, "--lr", "-lr")) {
        o->lr = cli_parse_double(CMD, a, cli_value(CMD, argc, argv, i), 1e-9, 100);
    } else if (is(a, "--sampling-t", "-t")) {
        o->t = cli_parse_double(CMD, a, cli_value(CMD, argc, argv, i), 0, 1);
    } else if (is(a, "--loss", "-loss")) {
        o->loss = cli_value(CMD, argc, argv, i);
        if (strcmp(o->loss, "softmax") && strcmp(o->loss, "hs") && strcmp(o->loss, "ns") &&
            strcmp(o->loss, "ova"))
            cli_usage_error(CMD, "--loss must be softmax, hs, ns or ova, got '%s'", o->loss);
    } else if (is(a, "--pretrained-vectors", "-pretrainedVectors")) {
        o->pretrained_vectors = cli_value(CMD, argc, argv, i);
    } else {
        return false;
    }
    return true;
}

static void ftz_name(const char *bin, char *out, size_t cap) {
    size_t n = strlen(bin);
    if (n > 4 && !strcmp(bin + n - 4, ".bin"))
        snprintf(out, cap, "%.*s.ftz", (int)(n - 4), bin);
    else
        snprintf(out, cap, "%s.ftz", bin);
}

static bool quant_option(int argc, char **argv, int *i, mm_ft_quant_opts *q) {
    const char *a = argv[*i];
    if (!strcmp(a, "--cutoff"))
        q->cutoff = cli_parse_int(CMD, a, cli_value(CMD, argc, argv, i), 0, 1LL << 40);
    else if (!strcmp(a, "--dsub"))
        q->dsub = (int)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, i), 1, 1024);
    else if (!strcmp(a, "--qnorm"))
        q->qnorm = true;
    else if (!strcmp(a, "--qout"))
        q->qout = true;
    else
        return false;
    return true;
}

static int do_train(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return usage_train(stdout), CLI_EXIT_OK;
    mm_clf_train_opts o;
    mm_clf_train_opts_default(&o);
    mm_ft_quant_opts q;
    mm_ft_quant_opts_default(&q);
    const char *out = NULL, *stats = NULL;
    labelled l = {0};
    bool quantize = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (labelled_option(argc, argv, &i, &l))
            continue;
        else if (cli_is_out(a))
            out = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--neg-sample"))
            o.neg_sample =
                (uint64_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 0, 1LL << 40);
        else if (!strcmp(a, "--pos-sample"))
            o.pos_sample =
                (uint64_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 0, 1LL << 40);
        else if (!strcmp(a, "--valid-frac"))
            o.valid_frac = cli_parse_double(CMD, a, cli_value(CMD, argc, argv, &i), 0, 0.9);
        else if (!strcmp(a, "--max-bytes"))
            o.max_bytes =
                (size_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 16, 1LL << 30);
        else if (!strcmp(a, "--quantize"))
            quantize = true;
        else if (!strcmp(a, "--stats"))
            stats = cli_value(CMD, argc, argv, &i);
        else if (quant_option(argc, argv, &i, &q))
            continue;
        else if (ft_option(argc, argv, &i, &o))
            continue;
        else
            cli_usage_error(CMD, "train: unknown option '%s'", a);
    }
    if (!out) cli_usage_error(CMD, "train: -o model.bin is required");
    labelled_finish(&l, "train");
    mm_clf_train_report rep;
    o.stop = &cli_interrupted;
    mm_err e = mm_clf_train_files(l.pos, l.npos, l.neg, l.nneg, &o, out, &rep);
    if (e != MM_OK) cli_die(CMD, e);
    fprintf(stderr,
            "classify train: %llu positive + %llu negative documents, %llu words in the "
            "vocabulary, %.1f s -> %s\n",
            (unsigned long long)rep.pos_docs, (unsigned long long)rep.neg_docs,
            (unsigned long long)rep.vocab_words, rep.train_seconds, out);
    if (rep.skipped_empty || rep.bad_lines)
        fprintf(stderr, "classify train: skipped %llu empty documents, %llu broken lines\n",
                (unsigned long long)rep.skipped_empty, (unsigned long long)rep.bad_lines);
    if (rep.pos_valid && rep.neg_valid)
        printf("valid\tpos %llu\tneg %llu\troc_auc %.4f\tprecision %.4f\trecall %.4f\tf1 %.4f\t"
               "accuracy %.4f\n",
               (unsigned long long)rep.pos_valid, (unsigned long long)rep.neg_valid, rep.valid_auc,
               rep.valid_precision, rep.valid_recall, rep.valid_f1, rep.valid_accuracy);
    char ftz[4200] = "";
    if (quantize) {
        ftz_name(out, ftz, sizeof ftz);
        if ((e = mm_ft_quantize_file(out, ftz, &q)) != MM_OK) cli_die(CMD, e);
        fprintf(stderr, "classify train: quantized -> %s\n", ftz);
    }
    if (stats) {
        mm_buf b = {0};
        mm_jw w;
        mm_jw_init(&w, &b);
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "model"), mm_jw_string(&w, out);
        if (*ftz) mm_jw_key(&w, "model_ftz"), mm_jw_string(&w, ftz);
        mm_jw_key(&w, "pos_docs"), mm_jw_uint(&w, rep.pos_docs);
        mm_jw_key(&w, "neg_docs"), mm_jw_uint(&w, rep.neg_docs);
        mm_jw_key(&w, "pos_valid"), mm_jw_uint(&w, rep.pos_valid);
        mm_jw_key(&w, "neg_valid"), mm_jw_uint(&w, rep.neg_valid);
        mm_jw_key(&w, "skipped_empty"), mm_jw_uint(&w, rep.skipped_empty);
        mm_jw_key(&w, "bad_lines"), mm_jw_uint(&w, rep.bad_lines);
        mm_jw_key(&w, "vocab_words"), mm_jw_uint(&w, rep.vocab_words);
        mm_jw_key(&w, "train_seconds"), mm_jw_double(&w, rep.train_seconds);
        if (rep.pos_valid && rep.neg_valid) {
            mm_jw_key(&w, "valid_roc_auc"), mm_jw_double(&w, rep.valid_auc);
            mm_jw_key(&w, "valid_precision"), mm_jw_double(&w, rep.valid_precision);
            mm_jw_key(&w, "valid_recall"), mm_jw_double(&w, rep.valid_recall);
            mm_jw_key(&w, "valid_f1"), mm_jw_double(&w, rep.valid_f1);
        }
        mm_jw_obj_end(&w);
        cli_write_stats(CMD, stats, &b);
        mm_buf_free(&b);
    }
    labelled_free(&l);
    return CLI_EXIT_OK;
}

static int do_quantize(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("Usage: mathmine classify quantize --model M.bin -o M.ftz [--cutoff N] [--dsub N]"
               " [--qnorm] [--qout]\n  product-quantize with libfasttext (fastText's defaults: "
               "dsub 2, no cutoff)\n");
        return CLI_EXIT_OK;
    }
    mm_ft_quant_opts q;
    mm_ft_quant_opts_default(&q);
    const char *model = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model"))
            model = cli_value(CMD, argc, argv, &i);
        else if (cli_is_out(argv[i]))
            out = cli_value(CMD, argc, argv, &i);
        else if (!quant_option(argc, argv, &i, &q))
            cli_usage_error(CMD, "quantize: unknown option '%s'", argv[i]);
    }
    if (!model || !out) cli_usage_error(CMD, "quantize: --model and -o are required");
    mm_err e = mm_ft_quantize_file(model, out, &q);
    if (e != MM_OK) cli_die(CMD, e);
    return CLI_EXIT_OK;
}

/* ---- score ---------------------------------------------------------------------------------- */

static void on_progress(void *arg, uint64_t docs, uint64_t bytes) {
    (void)docs;
    mm_progress_add(arg, 1, bytes);
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int load_mode; /* 0 auto, 1 map, 2 read */

static uint64_t file_size(const char *p) {
    struct stat st;
    return strcmp(p, "-") && stat(p, &st) == 0 ? (uint64_t)st.st_size : (uint64_t)1 << 40;
}

/* --load auto: read the matrix into huge-page memory when the model is big (>= 64 MB) and the
 * input is big enough (>= 16 MB) for faster row reads to pay back ~0.5 s per GB of load; map it
 * otherwise (instant load). */
static void decide_load(mm_clf_scorer_opts *so, const char *model, const char *const *in,
                        size_t n) {
    if (load_mode == 1)
        so->preload = false;
    else if (load_mode == 2)
        so->preload = true;
    else if (!so->preload) {
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += file_size(in[i]);
        so->preload = model && file_size(model) >= (64u << 20) && total >= (16u << 20);
    }
}

static bool scorer_option(int argc, char **argv, int *i, mm_clf_scorer_opts *so,
                          const char **model) {
    const char *a = argv[*i];
    if (!strcmp(a, "--model"))
        *model = cli_value(CMD, argc, argv, i);
    else if (!strcmp(a, "--load")) {
        const char *v = cli_value(CMD, argc, argv, i);
        if (!strcmp(v, "auto"))
            load_mode = 0;
        else if (!strcmp(v, "map"))
            load_mode = 1;
        else if (!strcmp(v, "read"))
            load_mode = 2;
        else
            cli_usage_error(CMD, "--load must be auto, map or read, got '%s'", v);
    } else if (!strcmp(a, "--label"))
        so->label = cli_value(CMD, argc, argv, i);
    else if (!strcmp(a, "--max-bytes"))
        so->max_bytes = (size_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, i), 16, 1LL << 30);
    else if (!strcmp(a, "--preload"))
        load_mode = 2;
    else if (!strcmp(a, "--populate"))
        so->populate = true;
    else
        return false;
    return true;
}

static mm_clf_scorer *open_scorer(const char *model, const mm_clf_scorer_opts *so, double *secs) {
    if (!model) cli_usage_error(CMD, "--model is required");
    double t0 = mm_now();
    mm_clf_scorer *s;
    mm_err e = mm_clf_scorer_open(model, so, &s);
    if (e != MM_OK) cli_die(CMD, e);
    if (secs) *secs = mm_now() - t0;
    return s;
}

static int do_score(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("Usage: mathmine classify score --model M SHARD... -o D [options]\n\n"
               "Writes D/<shard stem>.scores.tsv per shard: id \\t score \\t url \\t domain \\t "
               "tokens\n(tokens = ceil(text bytes / 4), or --tokenizer's count), atomically; "
               "finished outputs are "
               "skipped.\nShards of the same stem (a/x.jsonl.zst, b/x.jsonl.zst) get "
               "D/<stem>.<8 hex of the path>.scores.tsv.\n\n"
               "  --model M         fastText model (.bin or .ftz)\n"
               "  -o, --out D       where score files go (created; alias --out-dir)\n"
               "  -j N              threads sharing one model (default: all cores)\n"
               "  --force           redo finished outputs\n"
               "  --tokenizer DIR   count the tokens column with this BPE tokenizer (vocab.json\n"
               "                    and merges.txt, as `mathmine tokenizer train` writes it), as\n"
               "                    `iterate --tokenizer` does; default ceil(bytes / 4)\n"
               "  --label L         label whose probability is the score (%s)\n"
               "  --max-bytes N     normalisation cap; must match training (%d)\n"
               "  --load MODE       auto (default): read a big model's matrix into huge-page\n"
               "                    memory when the input is >= 16 MB, else map it; map: map the\n"
               "                    file (instant load, slower random reads); read: always read\n"
               "  --preload         = --load read\n"
               "  --populate        with map: fault the whole mapping in at load (MAP_POPULATE)\n"
               "  --stats FILE      JSON summary (docs, bytes, seconds, load time, "
               "RSS)\n" STAGE_ARGS_HELP,
               MM_CLF_LABEL_POS, MM_CLF_MAX_BYTES_DEFAULT);
        return CLI_EXIT_OK;
    }
    mm_clf_scorer_opts so;
    mm_clf_scorer_opts_default(&so);
    const char *model = NULL, *out_dir = NULL, *stats = NULL, **shards = NULL, *tokdir = NULL;
    size_t n = 0;
    int threads = 0;
    bool force = false;
    stage_args sa = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (stage_option(CMD, argc, argv, &i, &sa)) continue;
        if (scorer_option(argc, argv, &i, &so, &model))
            continue;
        else if (cli_is_out(a))
            out_dir = cli_value(CMD, argc, argv, &i);
        else if (is(a, "-j", "--threads"))
            threads = (int)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 0, 4096);
        else if (!strcmp(a, "--force"))
            force = true;
        else if (!strcmp(a, "--tokenizer"))
            tokdir = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--stats"))
            stats = cli_value(CMD, argc, argv, &i);
        else if (a[0] == '-' && a[1])
            cli_usage_error(CMD, "score: unknown option '%s'", a);
        else {
            shards = realloc(shards, (n + 1) * sizeof *shards);
            if (!shards) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
            shards[n++] = a;
        }
    }
    if (!out_dir) cli_usage_error(CMD, "score: -o/--out DIR is required");
    mm_inputs all;
    size_t lo, hi;
    stage_inputs(CMD, &sa, shards, n, &all, &lo, &hi);
    if (!all.n) cli_usage_error(CMD, "score: no shards given");
    free(shards);
    shards = (const char **)all.v + lo, n = hi - lo;
    mm_clf_token_counter counter;
    mm_tok *tok = tokdir ? token_counter_load(CMD, tokdir, &counter) : NULL;
    if (tok) so.tokens = &counter;
    double load_s;
    decide_load(&so, model, shards, n);
    mm_clf_scorer *s = open_scorer(model, &so, &load_s);
    mm_progress *p =
        getenv("MM_NO_PROGRESS") ? NULL : mm_progress_create("classify score", n, "files");
    mm_clf_score_stats st = {0};
    mm_clf_set_cancel_flag(&cli_interrupted);
    mm_err e = mm_clf_score_shards(s, (const char *const *)all.v, all.n, lo, hi, out_dir, threads,
                                   force, p ? on_progress : NULL, p, &st);
    mm_progress_done(p);
    int nt = mm_pool_threads(threads, n);
    fprintf(stderr,
            "classify score: %llu files (%llu skipped, %llu failed), %llu docs, %.1f MB "
            "in %.2f s (%.0f docs/s), %llu broken lines; model load %.3f s\n",
            (unsigned long long)st.files, (unsigned long long)st.files_skipped,
            (unsigned long long)st.files_failed, (unsigned long long)st.docs, st.bytes / 1e6,
            st.seconds, st.seconds > 0 ? st.docs / st.seconds : 0.0,
            (unsigned long long)st.bad_lines, load_s);
    if (stats) {
        mm_buf b = {0};
        mm_jw w;
        mm_jw_init(&w, &b);
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "files"), mm_jw_uint(&w, st.files);
        mm_jw_key(&w, "files_skipped"), mm_jw_uint(&w, st.files_skipped);
        mm_jw_key(&w, "files_failed"), mm_jw_uint(&w, st.files_failed);
        mm_jw_key(&w, "docs"), mm_jw_uint(&w, st.docs);
        mm_jw_key(&w, "bytes"), mm_jw_uint(&w, st.bytes);
        mm_jw_key(&w, "bad_lines"), mm_jw_uint(&w, st.bad_lines);
        mm_jw_key(&w, "seconds"), mm_jw_double(&w, st.seconds);
        mm_jw_key(&w, "threads"), mm_jw_int(&w, nt);
        mm_jw_key(&w, "load_seconds"), mm_jw_double(&w, load_s);
        mm_jw_key(&w, "tokens"), mm_jw_string(&w, tokdir ? tokdir : "bytes/4");
        mm_jw_key(&w, "max_rss_kb"), mm_jw_int(&w, rss_kb());
        mm_jw_obj_end(&w);
        cli_write_stats(CMD, stats, &b);
        mm_buf_free(&b);
    }
    mm_clf_scorer_close(s);
    mm_tok_free(tok);
    mm_inputs_free(&all);
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    if (e != MM_OK) {
        const char *d = mm_error_detail();
        fprintf(stderr, "mathmine classify: error: %s%s%s\n", mm_strerror(e), *d ? ": " : "", d);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* ---- predict / normalize (line tools, used by tests and for debugging) ----------------------- */

static int do_predict(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("Usage: mathmine classify predict --model M [--normalized] [--all] [FILE|-]\n"
               "  One line out per line in: the score of the line's text (normalised first,\n"
               "  unless --normalized says it already is, as fastText would read it).\n"
               "  --all prints every label and its probability, like predict-prob -1.\n"
               "  --reference scores with libfasttext instead of our scorer.\n"
               "  --timing prints load and scoring CPU/wall time to stderr.\n"
               "  --load MODE, --populate, --label L, --max-bytes N: as for score.\n");
        return CLI_EXIT_OK;
    }
    mm_clf_scorer_opts so;
    mm_clf_scorer_opts_default(&so);
    const char *model = NULL, *in = "-";
    bool normalized = false, all = false, ref = false, timing = false;
    double c0 = cpu_seconds(), w0 = mm_now();
    for (int i = 1; i < argc; i++) {
        if (scorer_option(argc, argv, &i, &so, &model))
            continue;
        else if (!strcmp(argv[i], "--timing"))
            timing = true;
        else if (!strcmp(argv[i], "--normalized"))
            normalized = true;
        else if (!strcmp(argv[i], "--all"))
            all = true;
        else if (!strcmp(argv[i], "--reference"))
            ref = true;
        else if (argv[i][0] == '-' && argv[i][1])
            cli_usage_error(CMD, "predict: unknown option '%s'", argv[i]);
        else
            in = argv[i];
    }
    mm_clf_scorer *s = NULL;
    mm_ft_model *fm = NULL;
    mm_clf_ctx *c = NULL;
    if (ref) {
        if (!model) cli_usage_error(CMD, "--model is required");
        mm_err e = mm_ft_load(model, &fm);
        if (e != MM_OK) cli_die(CMD, e);
    } else {
        decide_load(&so, model, &in, 1);
        s = open_scorer(model, &so, NULL);
        mm_err e = mm_clf_ctx_create(s, &c);
        if (e != MM_OK) cli_die(CMD, e);
    }
    int nl = s ? (int)mm_clf_scorer_info(s)->nlabels : mm_ft_nlabels(fm);
    double c1 = cpu_seconds(), w1 = mm_now();
    uint64_t ndocs = 0, nbytes = 0;
    float *probs = calloc((size_t)nl + 1, sizeof *probs);
    mm_lines *r;
    mm_err e = mm_lines_open(in, 1u << 30, &r);
    if (e != MM_OK || !probs) cli_die(CMD, e ? e : MM_ERR_NOMEM);
    const char *line;
    size_t len;
    mm_buf norm = {0};
    while (mm_lines_next(r, &line, &len, &e) == 1) {
        ndocs++, nbytes += len + 1;
        if (!normalized) {
            mm_buf_clear(&norm);
            if ((e = mm_clf_normalize(&norm, line, len, so.max_bytes)) != MM_OK) break;
            line = norm.data ? norm.data : "", len = norm.len;
        }
        if (ref) {
            for (int k = 0; k < nl; k++)
                if ((e = mm_ft_prob(fm, line, len, mm_ft_label(fm, k), &probs[k])) != MM_OK) break;
        } else if (!mm_clf_predict_line(c, line, len, probs)) {
            memset(probs, 0, (size_t)nl * sizeof *probs);
        }
        if (all) {
            for (int k = 0; k < nl; k++)
                printf("%s%s %.9g", k ? " " : "",
                       s ? mm_clf_scorer_label(s, k) : mm_ft_label(fm, k), (double)probs[k]);
            putchar('\n');
        } else {
            int want = -1;
            for (int k = 0; k < nl; k++)
                if (!strcmp(s ? mm_clf_scorer_label(s, k) : mm_ft_label(fm, k), so.label)) want = k;
            printf("%.9g\n", want >= 0 ? (double)probs[want] : 0.0);
        }
    }
    mm_lines_close(r);
    fflush(stdout);
    if (timing) {
        double c2 = cpu_seconds(), w2 = mm_now();
        fprintf(stderr,
                "timing: load %.3f s cpu %.3f s wall; scoring %llu docs %.1f MB: %.3f s cpu "
                "%.3f s wall, %.0f docs/cpu-s, %.2f MB/cpu-s; max RSS %ld MB\n",
                c1 - c0, w1 - w0, (unsigned long long)ndocs, nbytes / 1e6, c2 - c1, w2 - w1,
                ndocs / (c2 - c1 + 1e-9), nbytes / 1e6 / (c2 - c1 + 1e-9), rss_kb() / 1024);
    }
    mm_buf_free(&norm);
    free(probs);
    mm_clf_ctx_free(c);
    mm_clf_scorer_close(s);
    mm_ft_free(fm);
    if (e != MM_OK) cli_die(CMD, e);
    return CLI_EXIT_OK;
}

static int do_normalize(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("Usage: mathmine classify normalize [--max-bytes N] [--label L] [FILE|-]\n"
               "  Prints each input line normalised (see docs/classifier.md); with --label, in\n"
               "  fastText's training format (\"L text\").\n");
        return CLI_EXIT_OK;
    }
    const char *in = "-", *label = NULL;
    size_t max = MM_CLF_MAX_BYTES_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max-bytes"))
            max =
                (size_t)cli_parse_int(CMD, argv[i], cli_value(CMD, argc, argv, &i), 16, 1LL << 30);
        else if (!strcmp(argv[i], "--label"))
            label = cli_value(CMD, argc, argv, &i);
        else if (argv[i][0] == '-' && argv[i][1])
            cli_usage_error(CMD, "normalize: unknown option '%s'", argv[i]);
        else
            in = argv[i];
    }
    mm_lines *r;
    mm_err e = mm_lines_open(in, 1u << 30, &r);
    if (e != MM_OK) cli_die(CMD, e);
    const char *line;
    size_t len;
    mm_buf b = {0};
    while (mm_lines_next(r, &line, &len, &e) == 1) {
        mm_buf_clear(&b);
        if (label) mm_buf_printf(&b, "%s ", label);
        if ((e = mm_clf_normalize(&b, line, len, max)) != MM_OK) break;
        mm_buf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, stdout);
    }
    mm_lines_close(r);
    mm_buf_free(&b);
    if (e != MM_OK) cli_die(CMD, e);
    return CLI_EXIT_OK;
}

/* ---- eval -------------------------------------------------------------------------------------
 */

static int do_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf(
            "Usage: mathmine classify eval --model M --pos P... --neg N... [options]\n\n"
            "Scores the inputs (same formats as train) and prints precision, recall and F1 at\n"
            "each threshold, ROC-AUC, and the lowest threshold reaching the target precision.\n"
            "  --thresholds LIST     comma-separated (0.1,0.2,...,0.9)\n"
            "  --target-precision P  (0.9)\n"
            "  --svg FILE            the PR curve as SVG\n"
            "  --stats FILE          all of it as JSON\n"
            "  --pos-inputs FILE, --neg-inputs FILE   more inputs, one path per line (.gz/.zst\n"
            "                        lists allowed, '#' comments; repeatable), after --pos/--neg\n"
            "  --label L, --max-bytes N, --load MODE   as for score\n");
        return CLI_EXIT_OK;
    }
    mm_clf_scorer_opts so;
    mm_clf_scorer_opts_default(&so);
    const char *model = NULL, *svg = NULL, *stats = NULL;
    const char *thr_list = "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9";
    labelled l = {0};
    double target = 0.9;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (scorer_option(argc, argv, &i, &so, &model))
            continue;
        else if (labelled_option(argc, argv, &i, &l))
            continue;
        else if (!strcmp(a, "--thresholds"))
            thr_list = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--target-precision"))
            target = cli_parse_double(CMD, a, cli_value(CMD, argc, argv, &i), 0, 1);
        else if (!strcmp(a, "--svg"))
            svg = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--stats"))
            stats = cli_value(CMD, argc, argv, &i);
        else
            cli_usage_error(CMD, "eval: unknown option '%s'", a);
    }
    labelled_finish(&l, "eval");
    double *thresholds = NULL;
    size_t nthr = 0;
    char *list = strdup(thr_list);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        double *t = realloc(thresholds, (nthr + 1) * sizeof *t);
        if (!t) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
        thresholds = t;
        thresholds[nthr++] = cli_parse_double(CMD, "--thresholds", tok, -1, 2);
    }
    free(list);
    decide_load(&so, model, l.pos, l.npos);
    mm_clf_scorer *s = open_scorer(model, &so, NULL);
    mm_clf_ctx *c;
    mm_err e = mm_clf_ctx_create(s, &c);
    if (e != MM_OK) cli_die(CMD, e);
    mm_clf_eval_report r;
    e = mm_clf_evaluate(c, l.pos, l.npos, l.neg, l.nneg, thresholds, nthr, target, svg,
                        &cli_interrupted, &r);
    if (e != MM_OK) cli_die(CMD, e);
    if (r.bad)
        cli_warn(CMD, "eval: %llu broken or overlong input lines skipped",
                 (unsigned long long)r.bad);
    mm_buf text = {0}, json = {0};
    if ((e = mm_clf_eval_report_text(&r, &text)) || (e = mm_clf_eval_report_json(&r, &json)))
        cli_die(CMD, e);
    fwrite(text.data, 1, text.len, stdout);
    if (stats) cli_write_stats(CMD, stats, &json);
    mm_buf_free(&text), mm_buf_free(&json);
    mm_clf_eval_report_free(&r);
    free(thresholds);
    labelled_free(&l);
    mm_clf_ctx_free(c);
    mm_clf_scorer_close(s);
    return CLI_EXIT_OK;
}

int cmd_classify(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "train")) return do_train(argc - 1, argv + 1);
    if (!strcmp(sub, "quantize")) return do_quantize(argc - 1, argv + 1);
    if (!strcmp(sub, "score")) return do_score(argc - 1, argv + 1);
    if (!strcmp(sub, "eval")) return do_eval(argc - 1, argv + 1);
    if (!strcmp(sub, "predict")) return do_predict(argc - 1, argv + 1);
    if (!strcmp(sub, "normalize")) return do_normalize(argc - 1, argv + 1);
    cli_usage_error(
        CMD, "unknown subcommand '%s' (train, quantize, score, eval, predict, normalize)", sub);
}
