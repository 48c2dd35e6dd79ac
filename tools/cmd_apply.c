/* mathmine apply — the final pass of the attribute flow (common/attrs.h): per document shard,
 * the documents that no attribute file drops, written once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/attrs.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "apply"

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine apply --attrs A [--attrs A2...] -o D [options] SHARD...\n\n"
        "The final pass of the attribute flow: for each document shard, the documents that no\n"
        "attribute file drops are copied, lines unchanged, to D/<stem>.jsonl.zst.  The attribute\n"
        "files of a shard are A/<stem>.<tag>.attrs.tsv, tags below_threshold (select --attrs),\n"
        "url_dup, exact_dup, minhash_dup (dedup ... --attrs) and contaminated\n"
        "(decontaminate --attrs); a missing one drops nothing.  Documents are matched by id; a\n"
        "shard in which an id of its attribute files does not occur fails (the attributes were\n"
        "made from another version of it).\n\n"
        "Options:\n"
        "  --attrs A       a folder of attribute files (repeatable, up to 8)\n"
        "  -o, --out-dir D the clean shards\n"
        "  -j N            threads, one shard each (default: all cores)\n"
        "  --force         redo shards whose output exists\n"
        "  --stats FILE    JSON: documents in, kept, dropped, dropped per tag and per "
        "reason\n" STAGE_ARGS_HELP "  -h, --help      this help\n");
}

typedef struct job {
    const char *const *dirs;
    size_t ndirs;
    const char *out;
    const char *const *shards;
    bool force;
    mm_apply_stats *st;
    int *failed, *skipped;
    char (*err)[600];
    mm_progress *prog;
} job;

static mm_err apply_one(void *ctx, size_t i, int w) {
    (void)w;
    job *j = ctx;
    char stem[1024], path[4200];
    mm_stem(j->shards[i], stem, sizeof stem);
    snprintf(path, sizeof path, "%s/%s.jsonl.zst", j->out, stem);
    mm_err e = MM_OK;
    mm_attrs *a = NULL;
    if (cli_interrupted)
        e = mm_fail(MM_ERR_IO, "interrupted");
    else if (!j->force && mm_file_done(path))
        j->skipped[i] = 1;
    else if (!(e = mm_attrs_load(j->dirs, j->ndirs, j->shards[i], MM_ATTR_NTAGS, &a)))
        e = mm_attrs_apply(a, j->shards[i], path, &j->st[i]);
    mm_attrs_free(a);
    if (e) {
        j->failed[i] = 1;
        snprintf(j->err[i], sizeof j->err[i], "%s: %s", j->shards[i], mm_error_detail());
    }
    mm_progress_add(j->prog, 1, j->st[i].bytes_in);
    return MM_OK;
}

static void write_stats(const char *path, const mm_apply_stats *s, uint64_t done, size_t failed) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "docs_in"), mm_jw_uint(&w, s->docs);
    mm_jw_key(&w, "docs_kept"), mm_jw_uint(&w, s->kept);
    mm_jw_key(&w, "docs_dropped"), mm_jw_uint(&w, s->dropped);
    mm_jw_key(&w, "broken_lines_skipped"), mm_jw_uint(&w, s->bad);
    mm_jw_key(&w, "bytes_in"), mm_jw_uint(&w, s->bytes_in);
    mm_jw_key(&w, "bytes_out"), mm_jw_uint(&w, s->bytes_out);
    mm_jw_key(&w, "dropped_by_tag"), mm_jw_obj_begin(&w);
    for (int t = 0; t < MM_ATTR_NTAGS; t++)
        mm_jw_key(&w, mm_attr_tag_name((mm_attr_tag)t)), mm_jw_uint(&w, s->by_tag[t]);
    mm_jw_obj_end(&w);
    mm_jw_key(&w, "dropped_by_reason"), mm_jw_obj_begin(&w);
    for (size_t i = 0; i < s->nreasons; i++)
        mm_jw_key(&w, s->reason[i]), mm_jw_uint(&w, s->reason_docs[i]);
    mm_jw_obj_end(&w);
    mm_jw_key(&w, "shards_skipped_as_done"), mm_jw_uint(&w, done);
    mm_jw_key(&w, "shards_failed"), mm_jw_uint(&w, failed);
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, path, &b);
    mm_buf_free(&b);
}

int cmd_apply(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return usage(stdout), CLI_EXIT_OK;
    const char **args = calloc((size_t)argc + 1, sizeof *args), *dirs[8], *out = NULL,
               *stats = NULL;
    size_t nargs = 0, ndirs = 0;
    int threads = 0;
    bool force = false;
    stage_args sa = {0};
    if (!args) cli_die(CMD, MM_ERR_NOMEM);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (stage_option(CMD, argc, argv, &i, &sa)) continue;
        if (!strcmp(a, "--attrs") && more) {
            if (ndirs == 8) cli_usage_error(CMD, "at most 8 --attrs folders");
            dirs[ndirs++] = argv[++i];
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--out-dir")) && more)
            out = argv[++i];
        else if (!strcmp(a, "--stats") && more)
            stats = argv[++i];
        else if (!strcmp(a, "-j") && more)
            threads = (int)cli_parse_int(CMD, a, argv[++i], 0, 4096);
        else if (!strcmp(a, "--force"))
            force = true;
        else if (a[0] == '-' && a[1])
            cli_usage_error(CMD, "unknown option or missing value: '%s'", a);
        else
            args[nargs++] = a;
    }
    if (!ndirs) cli_usage_error(CMD, "--attrs A is required");
    if (!out) cli_usage_error(CMD, "-o D is required");
    mm_inputs all;
    size_t lo, hi;
    stage_inputs(CMD, &sa, args, nargs, &all, &lo, &hi);
    free(args);
    if (!all.n) cli_usage_error(CMD, "no input shards");
    size_t n = hi - lo;
    char a[1024], b[1024];
    for (size_t i = lo; i < hi; i++) {
        mm_stem(all.v[i], a, sizeof a);
        for (size_t k = lo; k < i; k++)
            if (mm_stem(all.v[k], b, sizeof b), !strcmp(a, b))
                cli_usage_error(CMD, "%s and %s would both write %s.jsonl.zst", all.v[k], all.v[i],
                                a);
    }
    mm_err e = mm_mkdirs(out);
    if (e) cli_die(CMD, e);
    job j = {dirs,
             ndirs,
             out,
             (const char *const *)all.v + lo,
             force,
             calloc(n + 1, sizeof(mm_apply_stats)),
             calloc(n + 1, sizeof(int)),
             calloc(n + 1, sizeof(int)),
             calloc(n + 1, sizeof *j.err),
             NULL};
    if (!j.st || !j.failed || !j.skipped || !j.err) cli_die(CMD, MM_ERR_NOMEM);
    j.prog = mm_progress_create("apply", n, "shards");
    mm_pool_run(n, threads, apply_one, &j);
    mm_progress_done(j.prog);
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    mm_apply_stats sum;
    memset(&sum, 0, sizeof sum);
    uint64_t done = 0;
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        mm_apply_stats_add(&sum, &j.st[i]);
        done += (uint64_t)j.skipped[i];
        if (j.failed[i]) failed++, fprintf(stderr, "mathmine %s: error: %s\n", CMD, j.err[i]);
    }
    cli_info(0,
             "apply: %llu docs, %llu kept, %llu dropped (%llu below_threshold, %llu url_dup, %llu "
             "exact_dup, "
             "%llu minhash_dup, %llu contaminated), %llu shards already done, %zu failed",
             (unsigned long long)sum.docs, (unsigned long long)sum.kept,
             (unsigned long long)sum.dropped, (unsigned long long)sum.by_tag[0],
             (unsigned long long)sum.by_tag[1], (unsigned long long)sum.by_tag[2],
             (unsigned long long)sum.by_tag[3], (unsigned long long)sum.by_tag[4],
             (unsigned long long)done, failed);
    if (stats) write_stats(stats, &sum, done, failed);
    free(j.st), free(j.failed), free(j.skipped), free(j.err);
    mm_inputs_free(&all);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
