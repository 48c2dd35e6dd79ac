/* mathmine dedup — URL, exact and MinHash-LSH near-duplicate removal (dedup/dedup.h,
 * dedup/minhash.h).  Each stage is a plain per-shard (or per-band) command whose outputs are
 * atomic and skipped when already done, so a Slurm array or GNU parallel can run them; "all"
 * runs the stages in a row on this machine. */
#include <stdarg.h>
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
#include "dedup/dedup.h"
#include "dedup/minhash.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "dedup"

static void usage(FILE *f) {
    fprintf(f,
        "Usage: mathmine dedup url|exact [options] SHARD...\n"
        "       mathmine dedup minhash signatures|buckets|clusters|filter|all [options] [SHARD...]\n\n"
        "url      one document per normalised URL (scheme/host case, default ports, fragments,\n"
        "         utm_* and other tracking parameters, percent-encoding, trailing slashes):\n"
        "         the latest crawl date wins, then the longest text, then the first in input order\n"
        "exact    one document per normalised text (lowercase words, punctuation and spacing\n"
        "         ignored): the first in input order wins\n"
        "         Both run as --stage map (per shard) -> merge (one job) -> filter (per shard);\n"
        "         the default --stage all runs the three in a row.\n"
        "minhash  MinHash-LSH near-duplicates, one stage per call:\n"
        "         signatures SHARD...  per shard: band keys as sorted runs (W/sig/<stem>.sig)\n"
        "         buckets [--band B]   per band: merge the runs into candidate pairs (W/buckets/)\n"
        "         clusters             union-find over all pairs (W/clusters/<stem>.rm)\n"
        "         filter SHARD...      per shard: kept documents and removed ids with their cluster\n"
        "         all SHARD...         the four in a row\n"
        "         synth --docs N [--shards S] [--dup-rate R]  write signatures of N synthetic\n"
        "                              documents to W/sig/ (for benchmarking buckets and clusters)\n\n"
        "Options:\n"
        "  --work W        work folder (default OUT/work)\n"
        "  -o, --out D     (alias --out-dir) kept documents D/<stem>.jsonl.zst, removed ones listed in\n"
        "                  D/removed/<stem>.tsv (url/exact: id, url, reason; minhash: id, cluster, url)\n"
        "  --stage S       url/exact: map, merge, filter or all (default all)\n"
        "  --bands N       minhash bands (default 14)\n"
        "  --rows N        minhash rows per band (default 8)\n"
        "  --ngram N       words per shingle (default 5)\n"
        "  --seed N        permutation seed (default 1)\n"
        "  --band B        buckets: only band B (0-based; default all bands)\n"
        "  --mem-mb M      merge: drop lists kept in memory before spilling (default 256)\n"
        "  -j N            threads (default: all cores)\n"
        "  --force         redo outputs that already exist\n"
        "  --stats FILE    run summary as JSON\n"
        STAGE_ARGS_HELP
        "                  (per-shard stages only: url/exact map and filter, minhash\n"
        "                  signatures and filter; merge, buckets and clusters take every shard)\n"
        "  -h, --help      this help\n\n"
        "Shard stems (file names without .jsonl.zst) must be unique; shard order is the sorted\n"
        "order of the stems.  A broken line in a shard is counted and skipped by every stage.\n");
}

typedef struct opts {
    const char *work, *out, *stage, *stats;
    mm_minhash_params mh;
    int band, threads;
    uint64_t synth_docs, synth_shards;
    double dup_rate;
    bool force;
    size_t mem;
    const char **shards; /* this task's block of all.v */
    size_t nshards;
    char (*stems)[256];
    stage_args sa;
    mm_inputs all;
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
        if (!strcmp(a, "--work") && more) o->work = argv[++i];
        else if (cli_is_out(a) && more) o->out = argv[++i];
        else if (!strcmp(a, "--stage") && more) o->stage = argv[++i];
        else if (!strcmp(a, "--stats") && more) o->stats = argv[++i];
        else if (!strcmp(a, "--bands") && more) o->mh.bands = (int)cli_parse_int(CMD, a, argv[++i], 1, 256);
        else if (!strcmp(a, "--rows") && more) o->mh.rows = (int)cli_parse_int(CMD, a, argv[++i], 1, 64);
        else if (!strcmp(a, "--ngram") && more) o->mh.ngram = (int)cli_parse_int(CMD, a, argv[++i], 1, 64);
        else if (!strcmp(a, "--seed") && more) o->mh.seed = (uint64_t)cli_parse_int(CMD, a, argv[++i], 0, INT64_MAX);
        else if (!strcmp(a, "--band") && more) o->band = (int)cli_parse_int(CMD, a, argv[++i], 0, 255);
        else if (!strcmp(a, "--mem-mb") && more) o->mem = (size_t)cli_parse_int(CMD, a, argv[++i], 1, 1 << 20) << 20;
        else if (!strcmp(a, "-j") && more) o->threads = (int)cli_parse_int(CMD, a, argv[++i], 0, 4096);
        else if (!strcmp(a, "--force")) o->force = true;
        else if (!strcmp(a, "--docs") && more) o->synth_docs = (uint64_t)cli_parse_int(CMD, a, argv[++i], 1, 4000000000LL);
        else if (!strcmp(a, "--shards") && more) o->synth_shards = (uint64_t)cli_parse_int(CMD, a, argv[++i], 1, 100000);
        else if (!strcmp(a, "--dup-rate") && more) o->dup_rate = cli_parse_double(CMD, a, argv[++i], 0, 1);
        else if (a[0] == '-' && a[1]) cli_usage_error(CMD, "unknown option or missing value: '%s'", a);
        else args[nargs++] = a;
    }
    size_t lo, hi;
    stage_inputs(CMD, &o->sa, args, nargs, &o->all, &lo, &hi);
    free(args);
    o->shards = (const char **)o->all.v + lo, o->nshards = hi - lo;
    o->tasked = o->sa.task.count > 1;
    o->stems = calloc(o->nshards + 1, sizeof *o->stems);
    if (!o->stems) cli_die(CMD, MM_ERR_NOMEM);
    if (o->mh.bands * o->mh.rows > MM_MINHASH_MAX_PERMS)
        cli_usage_error(CMD, "--bands x --rows must be at most %d", MM_MINHASH_MAX_PERMS);
    for (size_t i = 0; i < o->nshards; i++) {
        mm_stem(o->shards[i], o->stems[i], sizeof o->stems[i]);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(o->stems[i], o->stems[k]))
                cli_usage_error(CMD, "%s and %s have the same stem '%s'", o->shards[k], o->shards[i], o->stems[i]);
    }
    static char work_def[4096];
    if (!o->work && o->out) {
        snprintf(work_def, sizeof work_def, "%s/work", o->out);
        o->work = work_def;
    }
    if (!o->work) cli_usage_error(CMD, "give --work W (or --out-dir D, which puts it in D/work)");
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...) {
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    char *s = strdup(tmp);
    if (!s) cli_die(CMD, MM_ERR_NOMEM);
    return s;
}

static void mkdirs(const char *d) {
    mm_err e = mm_mkdirs(d);
    if (e) cli_die(CMD, e);
}

/* Is `out` done and not older than `in`? */
static bool up_to_date(const char *out, const char *in) {
    struct stat so, si;
    if (!mm_file_done(out) || stat(out, &so)) return false;
    if (!in || stat(in, &si)) return true;
    return so.st_mtim.tv_sec > si.st_mtim.tv_sec ||
           (so.st_mtim.tv_sec == si.st_mtim.tv_sec && so.st_mtim.tv_nsec >= si.st_mtim.tv_nsec);
}

/* ---- per-item jobs on the pool ---- */

typedef struct job {
    opts *o;
    mm_dedup_kind kind;
    char **in, **out, **aux, **aux2;
    const char *const *stems;
    size_t nstems;
    mm_dedup_stats *st;
    uint64_t *count;
    int *failed, *skipped;
    mm_progress *prog;
} job;

static void report_fail(job *j, size_t i, const char *what) {
    j->failed[i] = 1;
    fprintf(stderr, "mathmine %s: error: %s: %s\n", CMD, what, mm_error_detail());
}

static mm_err run_map(void *ctx, size_t i, int w) {
    (void)w;
    job *j = ctx;
    mm_err e = MM_OK;
    if (!j->o->force && up_to_date(j->out[i], j->in[i])) j->skipped[i] = 1;
    else if (j->kind) e = mm_dedup_map(j->kind, j->in[i], j->out[i], &j->st[i]);
    else e = mm_minhash_signatures(&j->o->mh, j->in[i], j->out[i], &j->st[i]);
    if (e) report_fail(j, i, j->in[i]);
    mm_progress_add(j->prog, 1, j->st[i].bytes);
    return e;
}

static mm_err run_filter(void *ctx, size_t i, int w) {
    (void)w;
    job *j = ctx;
    mm_err e = MM_OK;
    if (!j->o->force && up_to_date(j->out[i], j->aux[i]) && up_to_date(j->aux2[i], j->aux[i]))
        j->skipped[i] = 1;
    else if (j->kind) e = mm_dedup_filter(j->kind, j->in[i], j->aux[i], j->out[i], j->aux2[i], &j->st[i]);
    else e = mm_minhash_filter(j->in[i], j->aux[i], j->stems, j->nstems, j->out[i], j->aux2[i], &j->st[i]);
    if (e) report_fail(j, i, j->in[i]);
    mm_progress_add(j->prog, 1, j->st[i].bytes);
    return e;
}

static mm_err run_bucket(void *ctx, size_t i, int w) {
    (void)w;
    job *j = ctx;
    int band = (int)(uintptr_t)j->aux[i];
    mm_err e = MM_OK;
    if (!j->o->force && up_to_date(j->out[i], j->aux2[0])) j->skipped[i] = 1;
    else e = mm_minhash_buckets(j->stems, j->nstems, band, j->out[i], &j->count[i]);
    if (e) report_fail(j, i, j->out[i]);
    mm_progress_add(j->prog, 1, 0);
    return e;
}

static job new_job(opts *o, size_t n) {
    job j = {.o = o};
    j.in = calloc(n + 1, sizeof(char *));
    j.out = calloc(n + 1, sizeof(char *));
    j.aux = calloc(n + 1, sizeof(char *));
    j.aux2 = calloc(n + 1, sizeof(char *));
    j.st = calloc(n + 1, sizeof *j.st);
    j.count = calloc(n + 1, sizeof *j.count);
    j.failed = calloc(n + 1, sizeof *j.failed);
    j.skipped = calloc(n + 1, sizeof *j.skipped);
    if (!j.in || !j.out || !j.aux || !j.aux2 || !j.st || !j.count || !j.failed || !j.skipped)
        cli_die(CMD, MM_ERR_NOMEM);
    return j;
}

static void free_job(job *j, size_t n, bool free_aux) {
    for (size_t i = 0; i < n; i++) {
        free(j->out[i]);
        free(j->aux2[i]);
        if (free_aux) free(j->aux[i]);
    }
    free(j->in), free(j->out), free(j->aux), free(j->aux2), free(j->st), free(j->count);
    free(j->failed), free(j->skipped);
}

/* Run fn over n items; returns the number that failed, sums stats into *sum. */
static int pool(job *j, size_t n, mm_pool_fn fn, const char *label, const char *unit,
                mm_dedup_stats *sum, uint64_t *skipped) {
    j->prog = mm_progress_create(label, n, unit);
    mm_pool_run(n, j->o->threads, fn, j);
    mm_progress_done(j->prog);
    if (cli_interrupted) exit(CLI_EXIT_INTERRUPTED);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed += j->failed[i];
        *skipped += (uint64_t)j->skipped[i];
        if (sum) mm_dedup_stats_add(sum, &j->st[i]);
    }
    return failed;
}

static void need_shards(const opts *o, const char *what) {
    if (!o->all.n) cli_usage_error(CMD, "%s: no input shards", what);
}

/* merge, buckets, clusters and "all" see every shard: a task of several cannot run them. */
static void whole_only(const opts *o, const char *what) {
    if (o->tasked) cli_usage_error(CMD, "%s takes every shard: --task applies to the per-shard stages", what);
}
static void need_out(const opts *o, const char *what) {
    if (!o->out) cli_usage_error(CMD, "%s: --out-dir is required", what);
}

/* ---- stats ---- */

static void put_stats(mm_jw *w, const char *stage, const mm_dedup_stats *s, uint64_t skipped, double secs) {
    mm_jw_key(w, stage);
    mm_jw_obj_begin(w);
    mm_jw_key(w, "docs"); mm_jw_uint(w, s->docs);
    mm_jw_key(w, "keyed"); mm_jw_uint(w, s->keyed);
    mm_jw_key(w, "groups"); mm_jw_uint(w, s->groups);
    mm_jw_key(w, "removed"); mm_jw_uint(w, s->dropped);
    mm_jw_key(w, "kept"); mm_jw_uint(w, s->kept);
    mm_jw_key(w, "broken_lines_skipped"); mm_jw_uint(w, s->bad);
    mm_jw_key(w, "text_bytes"); mm_jw_uint(w, s->bytes);
    mm_jw_key(w, "outputs_skipped_as_done"); mm_jw_uint(w, skipped);
    mm_jw_key(w, "seconds"); mm_jw_double(w, secs);
    mm_jw_obj_end(w);
}

static uint64_t max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_maxrss;
}

/* ---- url / exact ---- */

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
    char *kdir = pathf("%s/%s/keys", o.work, name), *ddir = pathf("%s/%s/drops", o.work, name);
    mkdirs(kdir);
    mkdirs(ddir);
    mm_buf js = {0};
    mm_jw w;
    mm_jw_init(&w, &js);
    mm_jw_obj_begin(&w);
    int failed = 0;
    if (map) {
        double t0 = mm_now();
        job j = new_job(&o, o.nshards);
        j.kind = kind;
        for (size_t i = 0; i < o.nshards; i++) {
            j.in[i] = (char *)o.shards[i];
            j.out[i] = pathf("%s/%s.keys", kdir, o.stems[i]);
        }
        mm_dedup_stats s = {0};
        uint64_t sk = 0;
        failed += pool(&j, o.nshards, run_map, name, "shards", &s, &sk);
        cli_info(0, "dedup %s map: %llu docs, %llu with a key, %llu broken lines skipped, %llu shards already done",
                 name, (unsigned long long)s.docs, (unsigned long long)s.keyed, (unsigned long long)s.bad,
                 (unsigned long long)sk);
        put_stats(&w, "map", &s, sk, mm_now() - t0);
        free_job(&j, o.nshards, true);
    }
    if (merge && !failed) {
        double t0 = mm_now();
        char **keys;
        size_t nk;
        mm_err e = mm_dedup_list(kdir, ".keys", &keys, &nk);
        if (e) cli_die(CMD, e);
        char **drops = calloc(nk + 1, sizeof *drops);
        if (!drops) cli_die(CMD, MM_ERR_NOMEM);
        for (size_t i = 0; i < nk; i++) {
            char stem[256];
            mm_stem(keys[i], stem, sizeof stem);
            char *dot = strrchr(stem, '.');
            if (dot && !strcmp(dot, ".keys")) *dot = 0;
            drops[i] = pathf("%s/%s.drops", ddir, stem);
        }
        mm_dedup_stats s;
        e = mm_dedup_merge(kind, (const char *const *)keys, (const char *const *)drops, nk, o.mem, &s);
        if (e) cli_die(CMD, e);
        cli_info(0, "dedup %s merge: %zu shards, %llu keyed docs, %llu duplicate groups, %llu docs to remove",
                 name, nk, (unsigned long long)s.keyed, (unsigned long long)s.groups, (unsigned long long)s.dropped);
        put_stats(&w, "merge", &s, 0, mm_now() - t0);
        for (size_t i = 0; i < nk; i++) free(drops[i]);
        free(drops);
        mm_dedup_list_free(keys, nk);
    }
    if (filt && !failed) {
        double t0 = mm_now();
        char *rdir = pathf("%s/removed", o.out);
        mkdirs(rdir);
        job j = new_job(&o, o.nshards);
        j.kind = kind;
        for (size_t i = 0; i < o.nshards; i++) {
            j.in[i] = (char *)o.shards[i];
            j.aux[i] = pathf("%s/%s.drops", ddir, o.stems[i]);
            j.out[i] = pathf("%s/%s.jsonl.zst", o.out, o.stems[i]);
            j.aux2[i] = pathf("%s/%s.tsv", rdir, o.stems[i]);
        }
        mm_dedup_stats s = {0};
        uint64_t sk = 0;
        failed += pool(&j, o.nshards, run_filter, name, "shards", &s, &sk);
        cli_info(0, "dedup %s filter: %llu docs, %llu kept, %llu removed (listed in %s/), %llu shards already done",
                 name, (unsigned long long)s.docs, (unsigned long long)s.kept, (unsigned long long)s.dropped,
                 rdir, (unsigned long long)sk);
        put_stats(&w, "filter", &s, sk, mm_now() - t0);
        free_job(&j, o.nshards, true);
        free(rdir);
    }
    mm_jw_key(&w, "max_rss_kb");
    mm_jw_uint(&w, max_rss_kb());
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, o.stats, &js);
    mm_buf_free(&js);
    free(kdir);
    free(ddir);
    mm_inputs_free(&o.all);
    free(o.stems);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ---- minhash ---- */

static char **sig_list(const char *sdir, size_t *n, char (**stems)[256]) {
    char **sigs;
    mm_err e = mm_dedup_list(sdir, ".sig", &sigs, n);
    if (e) cli_die(CMD, e);
    if (!*n) {
        fprintf(stderr, "mathmine %s: error: no signatures in %s: run 'dedup minhash signatures' first\n", CMD, sdir);
        exit(CLI_EXIT_FAIL);
    }
    *stems = calloc(*n, sizeof **stems);
    if (!*stems) cli_die(CMD, MM_ERR_NOMEM);
    for (size_t i = 0; i < *n; i++) {
        const char *b = strrchr(sigs[i], '/');
        snprintf((*stems)[i], 256, "%s", b ? b + 1 : sigs[i]);
        (*stems)[i][strlen((*stems)[i]) - 4] = 0;
    }
    return sigs;
}

static int mh_signatures(opts *o, mm_jw *w, const char *sdir) {
    need_shards(o, "minhash signatures");
    double t0 = mm_now();
    job j = new_job(o, o->nshards);
    for (size_t i = 0; i < o->nshards; i++) {
        j.in[i] = (char *)o->shards[i];
        j.out[i] = pathf("%s/%s.sig", sdir, o->stems[i]);
    }
    mm_dedup_stats s = {0};
    uint64_t sk = 0;
    int failed = pool(&j, o->nshards, run_map, "signatures", "shards", &s, &sk);
    double secs = mm_now() - t0;
    int thr = mm_pool_threads(o->threads, o->nshards);
    cli_info(0, "dedup minhash signatures: %llu docs, %llu with words, %.1f MB in %.2f s (%.1f MB/s per thread, %s kernel), %llu shards already done",
             (unsigned long long)s.docs, (unsigned long long)s.keyed, s.bytes / 1e6, secs,
             s.bytes / 1e6 / (secs > 0 ? secs : 1e-9) / thr, mm_minhash_kernel(), (unsigned long long)sk);
    put_stats(w, "signatures", &s, sk, secs);
    free_job(&j, o->nshards, true);
    return failed;
}

static int mh_buckets(opts *o, mm_jw *w, const char *sdir, const char *bdir) {
    double t0 = mm_now();
    size_t ns;
    char(*stems)[256];
    char **sigs = sig_list(sdir, &ns, &stems);
    int bands = o->mh.bands;
    size_t nb = o->band >= 0 ? 1 : (size_t)bands;
    job j = new_job(o, nb);
    j.stems = (const char *const *)sigs;
    j.nstems = ns;
    /* a band is redone when any signature file is newer than its pairs */
    size_t newest = 0;
    for (size_t i = 1; i < ns; i++)
        if (!up_to_date(sigs[newest], sigs[i])) newest = i;
    char *newest_sig = pathf("%s", sigs[newest]);
    for (size_t i = 0; i < nb; i++) {
        int b = o->band >= 0 ? o->band : (int)i;
        j.aux[i] = (char *)(uintptr_t)b;
        j.out[i] = pathf("%s/band-%03d.pairs", bdir, b);
        j.aux2[i] = i ? NULL : newest_sig;
    }
    uint64_t sk = 0, pairs = 0;
    int failed = pool(&j, nb, run_bucket, "buckets", "bands", NULL, &sk);
    for (size_t i = 0; i < nb; i++) pairs += j.count[i];
    cli_info(0, "dedup minhash buckets: %zu bands over %zu shards: %llu candidate pairs, %llu bands already done",
             nb, ns, (unsigned long long)pairs, (unsigned long long)sk);
    mm_jw_key(w, "buckets");
    mm_jw_obj_begin(w);
    mm_jw_key(w, "bands"); mm_jw_uint(w, nb);
    mm_jw_key(w, "pairs"); mm_jw_uint(w, pairs);
    mm_jw_key(w, "seconds"); mm_jw_double(w, mm_now() - t0);
    mm_jw_obj_end(w);
    free_job(&j, nb, false);
    mm_dedup_list_free(sigs, ns);
    free(stems);
    return failed;
}

static int mh_clusters(opts *o, mm_jw *w, const char *sdir, const char *bdir, const char *cdir) {
    double t0 = mm_now();
    size_t ns, np;
    char(*stems)[256];
    char **sigs = sig_list(sdir, &ns, &stems), **pairs;
    mm_err e = mm_dedup_list(bdir, ".pairs", &pairs, &np);
    if (e) cli_die(CMD, e);
    if (np < (size_t)o->mh.bands)
        cli_warn(CMD, "only %zu of %d bands have pairs in %s: run 'dedup minhash buckets' for the rest", np,
                 o->mh.bands, bdir);
    char **rms = calloc(ns, sizeof *rms);
    if (!rms) cli_die(CMD, MM_ERR_NOMEM);
    for (size_t i = 0; i < ns; i++) rms[i] = pathf("%s/%s.rm", cdir, stems[i]);
    mm_minhash_cluster_stats cs;
    e = mm_minhash_clusters((const char *const *)sigs, ns, (const char *const *)pairs, np, (const char *const *)rms, &cs);
    if (e) cli_die(CMD, e);
    double secs = mm_now() - t0;
    cli_info(0, "dedup minhash clusters: %llu docs, %llu pairs, %llu clusters, %llu docs to remove; %.2f s, union-find %.1f MB, peak RSS %.1f MB",
             (unsigned long long)cs.docs, (unsigned long long)cs.pairs, (unsigned long long)cs.clusters,
             (unsigned long long)cs.removed, secs, cs.union_find_bytes / 1e6, max_rss_kb() / 1e3);
    mm_jw_key(w, "clusters");
    mm_jw_obj_begin(w);
    mm_jw_key(w, "docs"); mm_jw_uint(w, cs.docs);
    mm_jw_key(w, "pairs"); mm_jw_uint(w, cs.pairs);
    mm_jw_key(w, "clusters"); mm_jw_uint(w, cs.clusters);
    mm_jw_key(w, "removed"); mm_jw_uint(w, cs.removed);
    mm_jw_key(w, "union_find_bytes"); mm_jw_uint(w, cs.union_find_bytes);
    mm_jw_key(w, "seconds"); mm_jw_double(w, secs);
    mm_jw_obj_end(w);
    for (size_t i = 0; i < ns; i++) free(rms[i]);
    free(rms);
    mm_dedup_list_free(sigs, ns);
    mm_dedup_list_free(pairs, np);
    free(stems);
    return 0;
}

static int mh_filter(opts *o, mm_jw *w, const char *sdir, const char *cdir) {
    need_shards(o, "minhash filter");
    need_out(o, "minhash filter");
    double t0 = mm_now();
    size_t ns;
    char(*stems)[256];
    char **sigs = sig_list(sdir, &ns, &stems);
    const char **sp = calloc(ns, sizeof *sp);
    if (!sp) cli_die(CMD, MM_ERR_NOMEM);
    for (size_t i = 0; i < ns; i++) sp[i] = stems[i];
    char *rdir = pathf("%s/removed", o->out);
    mkdirs(rdir);
    job j = new_job(o, o->nshards);
    j.stems = sp;
    j.nstems = ns;
    for (size_t i = 0; i < o->nshards; i++) {
        j.in[i] = (char *)o->shards[i];
        j.aux[i] = pathf("%s/%s.rm", cdir, o->stems[i]);
        j.out[i] = pathf("%s/%s.jsonl.zst", o->out, o->stems[i]);
        j.aux2[i] = pathf("%s/%s.tsv", rdir, o->stems[i]);
    }
    mm_dedup_stats s = {0};
    uint64_t sk = 0;
    int failed = pool(&j, o->nshards, run_filter, "filter", "shards", &s, &sk);
    cli_info(0, "dedup minhash filter: %llu docs, %llu kept, %llu removed (listed in %s/), %llu shards already done",
             (unsigned long long)s.docs, (unsigned long long)s.kept, (unsigned long long)s.dropped, rdir,
             (unsigned long long)sk);
    put_stats(w, "filter", &s, sk, mm_now() - t0);
    free_job(&j, o->nshards, true);
    free(rdir);
    free(sp);
    free(stems);
    mm_dedup_list_free(sigs, ns);
    return failed;
}

typedef struct synth_job {
    opts *o;
    const char *sdir;
    uint64_t per;
    int *failed;
} synth_job;

static mm_err run_synth(void *ctx, size_t i, int w) {
    (void)w;
    synth_job *j = ctx;
    uint64_t base = (uint64_t)i * j->per, n = j->o->synth_docs - base < j->per ? j->o->synth_docs - base : j->per;
    char *path = pathf("%s/synth-%05zu.sig", j->sdir, i);
    mm_err e = mm_minhash_synth(&j->o->mh, n, base, j->o->dup_rate, j->o->mh.seed, path);
    if (e) {
        j->failed[i] = 1;
        fprintf(stderr, "mathmine %s: error: %s: %s\n", CMD, path, mm_error_detail());
    }
    free(path);
    return e;
}

static int mh_synth(opts *o, const char *sdir) {
    if (!o->synth_docs) cli_usage_error(CMD, "minhash synth: --docs N is required");
    uint64_t ns = o->synth_shards ? o->synth_shards : 1;
    synth_job j = {o, sdir, (o->synth_docs + ns - 1) / ns, calloc(ns, sizeof(int))};
    if (!j.failed) cli_die(CMD, MM_ERR_NOMEM);
    double t0 = mm_now();
    mm_pool_run(ns, o->threads, run_synth, &j);
    int failed = 0;
    for (uint64_t i = 0; i < ns; i++) failed += j.failed[i];
    cli_info(0, "dedup minhash synth: %llu documents in %llu shards (dup rate %.2f) in %.1f s",
             (unsigned long long)o->synth_docs, (unsigned long long)ns, o->dup_rate, mm_now() - t0);
    free(j.failed);
    return failed;
}

static int cmd_minhash(int argc, char **argv) {
    if (argc < 3) cli_usage_error(CMD, "minhash: give a stage: signatures, buckets, clusters, filter or all");
    const char *stage = argv[2];
    opts o = {0};
    parse(argc, argv, 3, &o);
    char *sdir = pathf("%s/sig", o.work), *bdir = pathf("%s/buckets", o.work), *cdir = pathf("%s/clusters", o.work);
    mkdirs(sdir);
    mkdirs(bdir);
    mkdirs(cdir);
    mm_buf js = {0};
    mm_jw w;
    mm_jw_init(&w, &js);
    mm_jw_obj_begin(&w);
    bool all = !strcmp(stage, "all");
    int failed = 0;
    if (!strcmp(stage, "synth")) {
        failed = mh_synth(&o, sdir);
        free(sdir), free(bdir), free(cdir);
        return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    }
    if (!all && strcmp(stage, "signatures") && strcmp(stage, "buckets") && strcmp(stage, "clusters") && strcmp(stage, "filter"))
        cli_usage_error(CMD, "minhash: unknown stage '%s' (signatures, buckets, clusters, filter, all)", stage);
    if (all || !strcmp(stage, "buckets") || !strcmp(stage, "clusters")) whole_only(&o, stage);
    if (all) {
        need_shards(&o, "minhash all");
        need_out(&o, "minhash all");
    }
    if (all || !strcmp(stage, "signatures")) failed += mh_signatures(&o, &w, sdir);
    if (!failed && (all || !strcmp(stage, "buckets"))) failed += mh_buckets(&o, &w, sdir, bdir);
    if (!failed && (all || !strcmp(stage, "clusters"))) failed += mh_clusters(&o, &w, sdir, bdir, cdir);
    if (!failed && (all || !strcmp(stage, "filter"))) failed += mh_filter(&o, &w, sdir, cdir);
    mm_jw_key(&w, "max_rss_kb");
    mm_jw_uint(&w, max_rss_kb());
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, o.stats, &js);
    mm_buf_free(&js);
    free(sdir), free(bdir), free(cdir);
    mm_inputs_free(&o.all);
    free(o.stems);
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
