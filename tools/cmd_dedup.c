/* mathmine dedup — URL, exact and MinHash-LSH near-duplicate removal.  The stages live in the
 * library (dedup/stages.h); this file parses options, calls them and prints their summaries. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"
#include "dedup/stages.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "dedup"

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine dedup url|exact [options] SHARD...\n"
        "       mathmine dedup minhash signatures|buckets|clusters|filter|all [options] "
        "[SHARD...]\n\n"
        "url      one document per normalised URL (scheme/host case, default ports, fragments,\n"
        "         utm_* and other tracking parameters, percent-encoding, trailing slashes):\n"
        "         the latest crawl date wins, then the longest text, then the first in input "
        "order\n"
        "exact    one document per normalised text (lowercase words, punctuation and spacing\n"
        "         ignored): the first in input order wins\n"
        "         Both run as --stage map (per shard) -> merge (one job) -> filter (per shard);\n"
        "         the default --stage all runs the three in a row.\n"
        "minhash  MinHash-LSH near-duplicates, one stage per call:\n"
        "         signatures SHARD...  per shard: band keys as sorted runs (W/sig/<stem>.sig)\n"
        "         buckets [--band B]   per band: merge the runs into candidate pairs (W/buckets/)\n"
        "         clusters             union-find over all pairs (W/clusters/<stem>.rm)\n"
        "         filter SHARD...      per shard: kept documents and removed ids with their "
        "cluster\n"
        "         all SHARD...         the four in a row\n"
        "         synth --docs N [--shards S] [--dup-rate R]  write signatures of N synthetic\n"
        "                              documents to W/sig/ (for benchmarking buckets and "
        "clusters)\n\n"
        "Options:\n"
        "  --work W        work folder (default OUT/work)\n"
        "  -o, --out D     (alias --out-dir) kept documents D/<stem>.jsonl.zst, removed ones "
        "listed in\n"
        "                  D/removed/<stem>.tsv (url/exact: id, url, reason; minhash: id, cluster, "
        "url)\n"
        "  --attrs A       attribute mode instead of --out-dir: filter writes only\n"
        "                  A/<stem>.<url_dup|exact_dup|minhash_dup>.attrs.tsv (the removed ids), "
        "and\n"
        "                  every per-shard stage treats the documents dropped by the attribute\n"
        "                  files of earlier filters in A as absent; `mathmine apply` writes the\n"
        "                  clean shards once (default work folder A/work)\n"
        "  --stage S       url/exact: map, merge, filter or all (default all)\n"
        "  --bands N       minhash bands (default 14)\n"
        "  --rows N        minhash rows per band (default 8)\n"
        "  --ngram N       words per shingle (default 5)\n"
        "  --seed N        permutation seed (default 1)\n"
        "                  signatures records these in W/params.json; later stages take them\n"
        "                  from there, and one given with another value is refused (exit 2)\n"
        "  --band B        buckets: only band B (0-based; default all bands)\n"
        "  --mem-mb M      merge: drop lists kept in memory before spilling (default 256)\n"
        "  -j N            threads (default: all cores)\n"
        "  --force         redo outputs that already exist\n"
        "  --stats FILE    run summary as JSON\n" STAGE_ARGS_HELP
        "                  (per-shard stages only: url/exact map and filter, minhash\n"
        "                  signatures and filter; merge, buckets and clusters take every shard)\n"
        "  -h, --help      this help\n\n"
        "Shard stems (file names without .jsonl.zst) must be unique; shard order is the sorted\n"
        "order of the stems.  A broken line in a shard is counted and skipped by every stage.\n");
}

typedef struct opts {
    const char *work, *out, *attrs, *stage, *stats;
    mm_minhash_params mh;
    unsigned given; /* MM_MINHASH_GIVEN_* */
    int band, threads;
    uint64_t synth_docs, synth_shards;
    double dup_rate;
    bool force;
    size_t mem;
    stage_args sa;
    mm_inputs all;
    size_t lo, hi;
    bool tasked; /* a task of several was selected: per-shard stages only */
} opts;

static void parse(int argc, char **argv, int first, opts *o) {
    o->mh = MM_MINHASH_DEFAULTS;
    o->band = -1;
    o->mem = 256u << 20;
    o->stage = "all";
    const char **args = calloc((size_t)argc, sizeof *args);
    size_t nargs = 0;
    if (!args) cli_die(CMD, MM_ERR_NOMEM);
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (stage_option(CMD, argc, argv, &i, &o->sa)) continue;
        if (!strcmp(a, "--work") && more)
            o->work = argv[++i];
        else if (cli_is_out(a) && more)
            o->out = argv[++i];
        else if (!strcmp(a, "--attrs") && more)
            o->attrs = argv[++i];
        else if (!strcmp(a, "--stage") && more)
            o->stage = argv[++i];
        else if (!strcmp(a, "--stats") && more)
            o->stats = argv[++i];
        else if (!strcmp(a, "--bands") && more)
            o->mh.bands = (int)cli_parse_int(CMD, a, argv[++i], 1, 256),
            o->given |= MM_MINHASH_GIVEN_BANDS;
        else if (!strcmp(a, "--rows") && more)
            o->mh.rows = (int)cli_parse_int(CMD, a, argv[++i], 1, 64),
            o->given |= MM_MINHASH_GIVEN_ROWS;
        else if (!strcmp(a, "--ngram") && more)
            o->mh.ngram = (int)cli_parse_int(CMD, a, argv[++i], 1, 64),
            o->given |= MM_MINHASH_GIVEN_NGRAM;
        else if (!strcmp(a, "--seed") && more)
            o->mh.seed = (uint64_t)cli_parse_int(CMD, a, argv[++i], 0, INT64_MAX),
            o->given |= MM_MINHASH_GIVEN_SEED;
        else if (!strcmp(a, "--band") && more)
            o->band = (int)cli_parse_int(CMD, a, argv[++i], 0, 255);
        else if (!strcmp(a, "--mem-mb") && more)
            o->mem = (size_t)cli_parse_int(CMD, a, argv[++i], 1, 1 << 20) << 20;
        else if (!strcmp(a, "-j") && more)
            o->threads = (int)cli_parse_int(CMD, a, argv[++i], 0, 4096);
        else if (!strcmp(a, "--force"))
            o->force = true;
        else if (!strcmp(a, "--docs") && more)
            o->synth_docs = (uint64_t)cli_parse_int(CMD, a, argv[++i], 1, 4000000000LL);
        else if (!strcmp(a, "--shards") && more)
            o->synth_shards = (uint64_t)cli_parse_int(CMD, a, argv[++i], 1, 100000);
        else if (!strcmp(a, "--dup-rate") && more)
            o->dup_rate = cli_parse_double(CMD, a, argv[++i], 0, 1);
        else if (a[0] == '-' && a[1])
            cli_usage_error(CMD, "unknown option or missing value: '%s'", a);
        else
            args[nargs++] = a;
    }
    stage_inputs(CMD, &o->sa, args, nargs, &o->all, &o->lo, &o->hi);
    free(args);
    o->tasked = o->sa.task.count > 1;
    if (o->mh.bands * o->mh.rows > MM_MINHASH_MAX_PERMS)
        cli_usage_error(CMD, "--bands x --rows must be at most %d", MM_MINHASH_MAX_PERMS);
    if (o->out && o->attrs)
        cli_usage_error(CMD, "give --out-dir (copies) or --attrs (attribute files), not both");
    char a[256], b[256];
    for (size_t i = o->lo; i < o->hi; i++) {
        mm_stem(o->all.v[i], a, sizeof a);
        for (size_t k = o->lo; k < i; k++) {
            mm_stem(o->all.v[k], b, sizeof b);
            if (!strcmp(a, b))
                cli_usage_error(CMD, "%s and %s have the same stem '%s'", o->all.v[k], o->all.v[i],
                                a);
        }
    }
    static char work_def[4096];
    const char *home = o->out ? o->out : o->attrs;
    if (!o->work && home) {
        snprintf(work_def, sizeof work_def, "%s/work", home);
        o->work = work_def;
    }
    if (!o->work)
        cli_usage_error(
            CMD, "give --work W (or --out-dir D / --attrs A, which put it in D/work, A/work)");
}

static mm_dedup_opts lib_opts(const opts *o) {
    static volatile int *stop = &cli_interrupted;
    return (mm_dedup_opts){.work = o->work,
                           .out = o->out,
                           .attrs = o->attrs,
                           .shards = (const char *const *)o->all.v + o->lo,
                           .nshards = o->hi - o->lo,
                           .mh = o->mh,
                           .band = o->band,
                           .mem = o->mem,
                           .threads = o->threads,
                           .force = o->force,
                           .progress = true,
                           .stop = stop};
}

static void need_shards(const opts *o, const char *what) {
    if (!o->all.n) cli_usage_error(CMD, "%s: no input shards", what);
}

/* merge, buckets, clusters and "all" see every shard: a task of several cannot run them. */
static void whole_only(const opts *o, const char *what) {
    if (o->tasked)
        cli_usage_error(CMD, "%s takes every shard: --task applies to the per-shard stages", what);
}
static void need_out(const opts *o, const char *what) {
    if (!o->out && !o->attrs) cli_usage_error(CMD, "%s: --out-dir (or --attrs) is required", what);
}

/* A stage's result: failed items printed, interrupt honoured; returns the failure count. */
static int finish_stage(mm_err e, mm_dedup_result *r) {
    if (cli_interrupted) exit(CLI_EXIT_INTERRUPTED);
    if (e) cli_die(CMD, e);
    if (r->errors.len)
        fprintf(stderr, "mathmine %s: error: %.*s", CMD, (int)r->errors.len, r->errors.data);
    return (int)r->failed;
}

/* ---- stats ---- */

static void put_stats(mm_jw *w, const char *stage, const mm_dedup_result *r) {
    const mm_dedup_stats *s = &r->st;
    mm_jw_key(w, stage);
    mm_jw_obj_begin(w);
    mm_jw_key(w, "docs");
    mm_jw_uint(w, s->docs);
    mm_jw_key(w, "keyed");
    mm_jw_uint(w, s->keyed);
    mm_jw_key(w, "groups");
    mm_jw_uint(w, s->groups);
    mm_jw_key(w, "removed");
    mm_jw_uint(w, s->dropped);
    mm_jw_key(w, "kept");
    mm_jw_uint(w, s->kept);
    mm_jw_key(w, "skipped_by_earlier_attrs");
    mm_jw_uint(w, s->skipped);
    mm_jw_key(w, "broken_lines_skipped");
    mm_jw_uint(w, s->bad);
    mm_jw_key(w, "text_bytes");
    mm_jw_uint(w, s->bytes);
    mm_jw_key(w, "outputs_skipped_as_done");
    mm_jw_uint(w, r->done_before);
    mm_jw_key(w, "seconds");
    mm_jw_double(w, r->seconds);
    mm_jw_obj_end(w);
}

static uint64_t max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_maxrss;
}

#define ULL(x) ((unsigned long long)(x))

/* ---- url / exact ---- */

static int keyed_map(mm_dedup_kind kind, const opts *o, mm_jw *w) {
    mm_dedup_opts lo = lib_opts(o);
    mm_dedup_result r = {0};
    int failed = finish_stage(mm_dedup_run_map(kind, &lo, &r), &r);
    cli_info(0,
             "dedup %s map: %llu docs, %llu with a key, %llu broken lines skipped, %llu shards "
             "already done",
             kind == MM_DEDUP_URL ? "url" : "exact", ULL(r.st.docs), ULL(r.st.keyed), ULL(r.st.bad),
             ULL(r.done_before));
    put_stats(w, "map", &r);
    mm_dedup_result_free(&r);
    return failed;
}

static int keyed_merge(mm_dedup_kind kind, const opts *o, mm_jw *w) {
    mm_dedup_opts lo = lib_opts(o);
    mm_dedup_result r = {0};
    int failed = finish_stage(mm_dedup_run_merge(kind, &lo, &r), &r);
    cli_info(
        0,
        "dedup %s merge: %zu shards, %llu keyed docs, %llu duplicate groups, %llu docs to remove",
        kind == MM_DEDUP_URL ? "url" : "exact", r.items, ULL(r.st.keyed), ULL(r.st.groups),
        ULL(r.st.dropped));
    put_stats(w, "merge", &r);
    mm_dedup_result_free(&r);
    return failed;
}

static int any_filter(mm_dedup_kind kind, const opts *o, mm_jw *w, const char *name) {
    mm_dedup_opts lo = lib_opts(o);
    mm_dedup_result r = {0};
    int failed = finish_stage(mm_dedup_run_filter(kind, &lo, &r), &r);
    cli_info(
        0, "dedup %s filter: %llu docs, %llu kept, %llu removed (%s %s/), %llu shards already done",
        name, ULL(r.st.docs), ULL(r.st.kept), ULL(r.st.dropped),
        o->attrs ? "attributes in" : "listed in", r.dir, ULL(r.done_before));
    put_stats(w, "filter", &r);
    mm_dedup_result_free(&r);
    return failed;
}

static int cmd_keyed(mm_dedup_kind kind, int argc, char **argv) {
    opts o = {0};
    parse(argc, argv, 2, &o);
    const char *name = kind == MM_DEDUP_URL ? "url" : "exact";
    bool all = !strcmp(o.stage, "all"), map = all || !strcmp(o.stage, "map"),
         merge = all || !strcmp(o.stage, "merge"), filt = all || !strcmp(o.stage, "filter");
    if (!map && !merge && !filt) cli_usage_error(CMD, "--stage must be map, merge, filter or all");
    if (map || filt) need_shards(&o, name);
    if (merge) whole_only(&o, "merge");
    if (filt) need_out(&o, name);
    mm_buf js = {0};
    mm_jw w;
    mm_jw_init(&w, &js);
    mm_jw_obj_begin(&w);
    int failed = 0;
    if (map) failed += keyed_map(kind, &o, &w);
    if (merge && !failed) failed += keyed_merge(kind, &o, &w);
    if (filt && !failed) failed += any_filter(kind, &o, &w, name);
    mm_jw_key(&w, "max_rss_kb");
    mm_jw_uint(&w, max_rss_kb());
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, o.stats, &js);
    mm_buf_free(&js);
    mm_inputs_free(&o.all);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ---- minhash ---- */

static int mh_signatures(const opts *o, mm_jw *w) {
    need_shards(o, "minhash signatures");
    mm_dedup_opts lo = lib_opts(o);
    mm_dedup_result r = {0};
    int failed = finish_stage(mm_dedup_run_map(0, &lo, &r), &r);
    double secs = r.seconds > 0 ? r.seconds : 1e-9;
    cli_info(0,
             "dedup minhash signatures: %llu docs, %llu with words, %.1f MB in %.2f s (%.1f MB/s "
             "per thread, %s kernel), %llu shards already done",
             ULL(r.st.docs), ULL(r.st.keyed), r.st.bytes / 1e6, r.seconds,
             r.st.bytes / 1e6 / secs / (r.threads ? r.threads : 1), mm_minhash_kernel(),
             ULL(r.done_before));
    put_stats(w, "signatures", &r);
    mm_dedup_result_free(&r);
    return failed;
}

static int mh_buckets(const opts *o, mm_jw *w) {
    mm_dedup_opts lo = lib_opts(o);
    mm_dedup_result r = {0};
    int failed = finish_stage(mm_minhash_run_buckets(&lo, &r), &r);
    cli_info(0, "dedup minhash buckets: %zu bands: %llu candidate pairs, %llu bands already done",
             r.items, ULL(r.pairs), ULL(r.done_before));
    mm_jw_key(w, "buckets");
    mm_jw_obj_begin(w);
    mm_jw_key(w, "bands");
    mm_jw_uint(w, r.items);
    mm_jw_key(w, "pairs");
    mm_jw_uint(w, r.pairs);
    mm_jw_key(w, "seconds");
    mm_jw_double(w, r.seconds);
    mm_jw_obj_end(w);
    mm_dedup_result_free(&r);
    return failed;
}

static int mh_clusters(const opts *o, mm_jw *w) {
    mm_dedup_opts lo = lib_opts(o);
    mm_dedup_result r = {0};
    int failed = finish_stage(mm_minhash_run_clusters(&lo, &r), &r);
    const mm_minhash_cluster_stats *cs = &r.cs;
    cli_info(0,
             "dedup minhash clusters: %llu docs, %llu pairs, %llu clusters, %llu docs to remove; "
             "%.2f s, union-find %.1f MB, peak RSS %.1f MB",
             ULL(cs->docs), ULL(cs->pairs), ULL(cs->clusters), ULL(cs->removed), r.seconds,
             cs->union_find_bytes / 1e6, max_rss_kb() / 1e3);
    mm_jw_key(w, "clusters");
    mm_jw_obj_begin(w);
    mm_jw_key(w, "docs");
    mm_jw_uint(w, cs->docs);
    mm_jw_key(w, "pairs");
    mm_jw_uint(w, cs->pairs);
    mm_jw_key(w, "clusters");
    mm_jw_uint(w, cs->clusters);
    mm_jw_key(w, "removed");
    mm_jw_uint(w, cs->removed);
    mm_jw_key(w, "union_find_bytes");
    mm_jw_uint(w, cs->union_find_bytes);
    mm_jw_key(w, "seconds");
    mm_jw_double(w, r.seconds);
    mm_jw_obj_end(w);
    mm_dedup_result_free(&r);
    return failed;
}

static int mh_filter(const opts *o, mm_jw *w) {
    need_shards(o, "minhash filter");
    need_out(o, "minhash filter");
    return any_filter(0, o, w, "minhash");
}

static int mh_synth(const opts *o) {
    if (!o->synth_docs) cli_usage_error(CMD, "minhash synth: --docs N is required");
    mm_dedup_opts lo = lib_opts(o);
    mm_dedup_result r = {0};
    int failed = finish_stage(
        mm_minhash_run_synth(&lo, o->synth_docs, o->synth_shards, o->dup_rate, &r), &r);
    cli_info(0, "dedup minhash synth: %llu documents in %zu shards (dup rate %.2f) in %.1f s",
             ULL(o->synth_docs), r.items, o->dup_rate, r.seconds);
    mm_dedup_result_free(&r);
    return failed;
}

/* The recorded parameters win over defaults; a given value that disagrees is a usage error. */
static void sync_params(opts *o) {
    mm_err e = mm_minhash_params_sync(o->work, &o->mh, o->given, false);
    if (e == MM_ERR_MISMATCH) cli_usage_error(CMD, "%s", mm_error_detail());
    if (e) cli_die(CMD, e);
}

static int cmd_minhash(int argc, char **argv) {
    if (argc < 3)
        cli_usage_error(CMD, "minhash: give a stage: signatures, buckets, clusters, filter or all");
    const char *stage = argv[2];
    opts o = {0};
    parse(argc, argv, 3, &o);
    if (!strcmp(stage, "synth")) {
        sync_params(&o);
        return mh_synth(&o) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    }
    bool all = !strcmp(stage, "all");
    if (!all && strcmp(stage, "signatures") && strcmp(stage, "buckets") &&
        strcmp(stage, "clusters") && strcmp(stage, "filter"))
        cli_usage_error(
            CMD, "minhash: unknown stage '%s' (signatures, buckets, clusters, filter, all)", stage);
    if (all || !strcmp(stage, "buckets") || !strcmp(stage, "clusters")) whole_only(&o, stage);
    if (all) {
        need_shards(&o, "minhash all");
        need_out(&o, "minhash all");
    }
    sync_params(&o);
    mm_buf js = {0};
    mm_jw w;
    mm_jw_init(&w, &js);
    mm_jw_obj_begin(&w);
    int failed = 0;
    if (all || !strcmp(stage, "signatures")) failed += mh_signatures(&o, &w);
    if (!failed && (all || !strcmp(stage, "buckets"))) failed += mh_buckets(&o, &w);
    if (!failed && (all || !strcmp(stage, "clusters"))) failed += mh_clusters(&o, &w);
    if (!failed && (all || !strcmp(stage, "filter"))) failed += mh_filter(&o, &w);
    mm_jw_key(&w, "max_rss_kb");
    mm_jw_uint(&w, max_rss_kb());
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, o.stats, &js);
    mm_buf_free(&js);
    mm_inputs_free(&o.all);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_dedup(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "url")) return cmd_keyed(MM_DEDUP_URL, argc, argv);
    if (!strcmp(argv[1], "exact")) return cmd_keyed(MM_DEDUP_EXACT, argc, argv);
    if (!strcmp(argv[1], "minhash")) return cmd_minhash(argc, argv);
    cli_usage_error(CMD, "unknown mode '%s' (url, exact, minhash)", argv[1]);
}
