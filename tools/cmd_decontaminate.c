/* mathmine decontaminate — remove documents that share an n-gram with a benchmark
 * (dedup/decontam.h).
 *
 * Per input shard (in parallel, -j): clean documents go to OUT/<stem>.jsonl.zst; removed ones
 * are gathered and written, in input order, to OUT/removed/removed.jsonl.zst; the report names, for
 * each removed document, the benchmark, item and matching n-gram, and for each benchmark the items
 * that were found.  Every run redoes every shard (it is fast, and the benchmark set may have
 * changed since the last run); outputs are atomic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"
#include "dedup/decontam.h"
#include "dedup/decontam_run.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "decontaminate"

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine decontaminate --bench SPEC... [--bench-dir DIR] -o D [options] "
        "SHARD...\n\n"
        "Remove every document that contains an n-gram (default 10 words) of a benchmark question\n"
        "or answer; benchmark texts of 3..n-1 words must appear whole.  Words are lowercase,\n"
        "punctuation is dropped, every CJK character is a word; texts under 3 words are not "
        "used.\n\n"
        "Options:\n"
        "  --bench SPEC     a benchmark file or folder (repeatable): [NAME=]PATH[@FIELDS]\n"
        "                   NAME is a preset: gsm8k math math500 cmath agieval mmlu mmlu_stem "
        "svamp\n"
        "                   asdiv mawps mathqa minerva_ocw sat_math mgsm_zh (without NAME, the "
        "folder\n"
        "                   name picks it).  FIELDS overrides the preset: comma-separated texts,\n"
        "                   '+' joins parts, 'a|b' takes the first present, '?' marks optional,\n"
        "                   'a.b.0' is a JSON path, CSV fields are column numbers, XML fields are\n"
        "                   child elements of the records named by a 'Tag/' prefix (default "
        "Problem/).\n"
        "                   e.g. --bench gsm8k=test.jsonl  --bench mine=q.jsonl@prompt,solution\n"
        "  --bench-dir DIR  load every folder of DIR named after a preset (../shared/benchmarks)\n"
        "  -n N             n-gram length (default 10, 3..100)\n"
        "  -o, --out D      (alias --out-dir) clean shards D/<stem>.jsonl.zst and removed "
        "documents D/removed/removed.jsonl.zst\n"
        "  --attrs A        attribute mode instead of --out-dir: only "
        "A/<stem>.contaminated.attrs.tsv\n"
        "                   (id, contaminated:<benchmark>, the matching item) and the report\n"
        "                   (default A/decontam-report.json); documents dropped by the attribute\n"
        "                   files of earlier filters in A are not scanned.  `mathmine apply`\n"
        "                   writes the clean shards once\n"
        "  --report R       JSON report (default D/decontam-report.json)\n"
        "  --removed F      the removed documents (default D/removed/removed.jsonl.zst)\n"
        "  --max-matches K  benchmark texts reported per removed document (default 8)\n"
        "  -j N             threads (default: all cores)\n"
        "  --stats FILE     run summary as JSON\n" STAGE_ARGS_HELP
        "                   (with a task of N > 1 the default report and removed file names\n"
        "                   end in -task-I-of-N: each task writes its own)\n"
        "  -h, --help       this help\n\n"
        "A benchmark record with a broken line or a missing field is reported with its line\n"
        "number and the run exits 1 after doing all the work; broken shard lines are counted and\n"
        "skipped.\n");
}

/* CPU seconds of the whole process so far (user + system). */
static double process_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static uint64_t max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_maxrss;
}

int cmd_decontaminate(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    const char **benches = calloc((size_t)argc, sizeof *benches),
               **dirs = calloc((size_t)argc, sizeof *dirs);
    if (!benches || !dirs) cli_die(CMD, MM_ERR_NOMEM);
    const char **args = calloc((size_t)argc, sizeof *args);
    if (!args) cli_die(CMD, MM_ERR_NOMEM);
    stage_args sa = {0};
    size_t nb = 0, nd = 0, nargs = 0;
    const char *out_dir = NULL, *report = NULL, *stats = NULL, *removed = NULL, *attrs = NULL;
    int n = 10, threads = 0, max_matches = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (stage_option(CMD, argc, argv, &i, &sa)) continue;
        if (!strcmp(a, "--bench") && more)
            benches[nb++] = argv[++i];
        else if (!strcmp(a, "--bench-dir") && more)
            dirs[nd++] = argv[++i];
        else if (!strcmp(a, "-n") && more)
            n = (int)cli_parse_int(CMD, a, argv[++i], 3, MM_DECONTAM_MAX_N);
        else if (!strcmp(a, "-j") && more)
            threads = (int)cli_parse_int(CMD, a, argv[++i], 0, 4096);
        else if (!strcmp(a, "--max-matches") && more)
            max_matches = (int)cli_parse_int(CMD, a, argv[++i], 1, 64);
        else if (cli_is_out(a) && more)
            out_dir = argv[++i];
        else if (!strcmp(a, "--attrs") && more)
            attrs = argv[++i];
        else if (!strcmp(a, "--report") && more)
            report = argv[++i];
        else if (!strcmp(a, "--removed") && more)
            removed = argv[++i];
        else if (!strcmp(a, "--stats") && more)
            stats = argv[++i];
        else if (a[0] == '-' && a[1])
            cli_usage_error(CMD, "unknown option or missing value: '%s'", a);
        else
            args[nargs++] = a;
    }
    mm_inputs inputs;
    size_t lo, hi;
    stage_inputs(CMD, &sa, args, nargs, &inputs, &lo, &hi);
    free(args);
    const char *const *paths = (const char *const *)inputs.v + lo;
    size_t ns = hi - lo;
    /* each task of several writes its own report and removed file */
    char task_sfx[64] = "";
    if (sa.task.count > 1)
        snprintf(task_sfx, sizeof task_sfx, "-task-%u-of-%u", sa.task.index, sa.task.count);
    if (!nb && !nd) cli_usage_error(CMD, "no benchmarks: give --bench SPEC or --bench-dir DIR");
    if (!out_dir == !attrs)
        cli_usage_error(CMD, "give -o/--out D (clean copies) or --attrs A (attribute files)");
    if (attrs) out_dir = attrs;
    if (!inputs.n) cli_usage_error(CMD, "no input shards");
    char report_def[4096];
    if (!report) {
        snprintf(report_def, sizeof report_def, "%s/decontam-report%s.json", out_dir, task_sfx);
        report = report_def;
    }

    double t0 = mm_now(), c0 = process_cpu();
    mm_decontam *d;
    mm_err e = mm_decontam_create(n, &d);
    if (e) cli_die(CMD, e);
    for (size_t i = 0; i < nb; i++)
        if ((e = mm_decontam_add_spec(d, benches[i]))) cli_die(CMD, e);
    for (size_t i = 0; i < nd; i++)
        if ((e = mm_decontam_add_dir(d, dirs[i]))) cli_die(CMD, e);
    if ((e = mm_decontam_build(d))) cli_die(CMD, e);
    double load_s = mm_now() - t0, load_cpu = process_cpu() - c0;
    size_t nprob = mm_decontam_nproblems(d);
    for (size_t i = 0; i < nprob; i++)
        cli_warn(CMD, "benchmark: %s", mm_decontam_problem(d, i));
    uint64_t texts = 0;
    for (size_t b = 0; b < mm_decontam_nbench(d); b++) {
        mm_decontam_bench_info bi;
        mm_decontam_bench(d, b, &bi);
        texts += bi.texts;
    }
    if (!texts) { /* every document would pass as clean */
        mm_fail(MM_ERR_FORMAT,
                "no benchmark text of 3 words or more in %zu benchmark files: "
                "nothing to decontaminate against",
                mm_decontam_nbench(d));
        cli_die(CMD, MM_ERR_FORMAT);
    }
    cli_info(0,
             "decontaminate: %zu benchmark files, %llu texts, %llu keys, %.1f MB index, loaded in "
             "%.2f s",
             mm_decontam_nbench(d), (unsigned long long)texts,
             (unsigned long long)mm_decontam_keys(d), mm_decontam_bytes(d) / 1e6, load_s);

    double t1 = mm_now();
    mm_decontam_run_opts ro = {out_dir,          attrs != NULL,
                               max_matches,      threads,
                               &cli_interrupted, mm_progress_create("decontaminate", ns, "shards")};
    mm_decontam_run *run;
    e = mm_decontam_run_shards(d, paths, ns, &ro, &run);
    mm_progress_done(ro.progress);
    double scan_s = mm_now() - t1;
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    if (e) {
        if (e == MM_ERR_ARG) cli_usage_error(CMD, "%s", mm_error_detail());
        cli_die(CMD, e);
    }
    int failed = 0;
    uint64_t in = 0, rm = 0, bad = 0, bytes = 0, skipped = 0;
    double scan_time = 0, read_time = 0, cpu = 0;
    for (size_t i = 0; i < ns; i++) {
        mm_decontam_shard_stats st;
        mm_decontam_run_shard(run, i, &st);
        for (size_t k = 0; k < st.nwarnings; k++)
            cli_warn(CMD, "%s", st.warnings[k]);
        if (st.err) {
            failed++;
            fprintf(stderr, "mathmine %s: error: %s: %s\n", CMD, st.path, st.errmsg);
        }
        skipped += st.skipped;
        in += st.in, rm += st.removed, bad += st.bad, bytes += st.bytes;
        scan_time += st.scan_time, read_time += st.read_time, cpu += st.cpu;
    }
    mm_buf all = {0};
    if ((e = mm_decontam_run_removed(run, &all))) cli_die(CMD, e);
    char rm_path[4096];
    if (removed)
        snprintf(rm_path, sizeof rm_path, "%s", removed);
    else if (attrs)
        rm_path[0] = 0; /* the attribute files list them */
    else {
        /* a subfolder, so that a glob over the clean shards does not pick it up */
        snprintf(rm_path, sizeof rm_path, "%s/removed", out_dir);
        if ((e = mm_mkdirs(rm_path))) cli_die(CMD, e);
        snprintf(rm_path, sizeof rm_path, "%s/removed/removed%s.jsonl.zst", out_dir, task_sfx);
    }
    if (rm_path[0] && (e = mm_out_file(rm_path, 3, all.data ? all.data : "", all.len)))
        cli_die(CMD, e);
    mm_buf rep = {0};
    if ((e = mm_decontam_run_report(run, d, n, load_s, scan_s, max_rss_kb(), &rep)))
        cli_die(CMD, e);
    if ((e = mm_buf_putc(&rep, '\n')) || (e = mm_out_file(report, 0, rep.data, rep.len)))
        cli_die(CMD, e);

    int thr = mm_pool_threads(threads, ns);
    cli_info(
        0,
        "decontaminate: %llu docs, %llu removed, %llu broken lines skipped; %.1f MB text in %.2f s "
        "(%.0f MB/s, %.0f MB/s per thread; scan alone %.0f MB/s per thread); report %s",
        (unsigned long long)in, (unsigned long long)rm, (unsigned long long)bad, bytes / 1e6,
        scan_s, bytes / 1e6 / (scan_s > 0 ? scan_s : 1e-9),
        bytes / 1e6 / (scan_s > 0 ? scan_s : 1e-9) / thr,
        scan_time > 0 ? bytes / 1e6 / scan_time : 0, report);
    if (stats) {
        mm_buf js = {0};
        mm_jw w;
        mm_jw_init(&w, &js);
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "docs_in");
        mm_jw_uint(&w, in);
        mm_jw_key(&w, "docs_removed");
        mm_jw_uint(&w, rm);
        mm_jw_key(&w, "docs_skipped_by_earlier_attrs");
        mm_jw_uint(&w, skipped);
        mm_jw_key(&w, "broken_lines_skipped");
        mm_jw_uint(&w, bad);
        mm_jw_key(&w, "text_bytes");
        mm_jw_uint(&w, bytes);
        mm_jw_key(&w, "benchmark_load_s");
        mm_jw_double(&w, load_s);
        mm_jw_key(&w, "benchmark_load_cpu_s");
        mm_jw_double(&w, load_cpu);
        mm_jw_key(&w, "benchmark_keys");
        mm_jw_uint(&w, mm_decontam_keys(d));
        mm_jw_key(&w, "scan_s");
        mm_jw_double(&w, scan_s);
        mm_jw_key(&w, "threads");
        mm_jw_int(&w, thr);
        mm_jw_key(&w, "mb_per_s_per_thread");
        mm_jw_double(&w, bytes / 1e6 / (scan_s > 0 ? scan_s : 1e-9) / thr);
        mm_jw_key(&w, "scan_thread_s");
        mm_jw_double(&w, scan_time);
        mm_jw_key(&w, "scan_mb_per_thread_s");
        mm_jw_double(&w, scan_time > 0 ? bytes / 1e6 / scan_time : 0);
        mm_jw_key(&w, "read_thread_s");
        mm_jw_double(&w, read_time);
        /* reading + scanning: what a pass costs that writes no corpus copy */
        mm_jw_key(&w, "read_scan_mb_per_thread_s");
        mm_jw_double(&w, read_time + scan_time > 0 ? bytes / 1e6 / (read_time + scan_time) : 0);
        mm_jw_key(&w, "shard_cpu_s");
        mm_jw_double(&w, cpu);
        mm_jw_key(&w, "end_to_end_mb_per_cpu_s");
        mm_jw_double(&w, cpu > 0 ? bytes / 1e6 / cpu : 0);
        mm_jw_key(&w, "max_rss_kb");
        mm_jw_uint(&w, max_rss_kb());
        mm_jw_key(&w, "benchmark_index_bytes");
        mm_jw_uint(&w, mm_decontam_bytes(d));
        mm_jw_key(&w, "benchmark_problems");
        mm_jw_uint(&w, nprob);
        mm_jw_obj_end(&w);
        cli_write_stats(CMD, stats, &js);
        mm_buf_free(&js);
    }
    mm_decontam_run_free(run);
    mm_buf_free(&all);
    mm_buf_free(&rep);
    mm_decontam_free(d);
    free(benches);
    free(dirs);
    mm_inputs_free(&inputs);
    return failed || nprob ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
