/* tools/cmd_run.c — `mathmine run PIPELINE`: the stages of a pipeline file here (-j tasks at a
 * time) or as Slurm job arrays (--slurm); and `--stage S --task I`, the one task an array
 * element runs (common/pipeline.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pipeline.h"
#include "tools/cli.h"
#include "tools/cost_table.h"

#define CMD "run"

static void help(void) {
    printf("Usage: mathmine run PIPELINE [options]\n\n"
           "Runs the stages of a pipeline file (docs/cluster.md) in order: each map stage as N\n"
           "tasks over its input list (task i takes block i of N of the inputs), each reduce\n"
           "stage as one task.  A task runs the stage's mathmine command with --inputs LIST\n"
           "--task I/N --stats FILE and leaves OUT/_run/STAGE/task-I-of-N.json (status, exit\n"
           "code, seconds, CPU seconds, the command's stats) and .log.  Tasks whose marker says\n"
           "done are skipped, so running it again does only what is unfinished.  An\n"
           "`iterate = ARGS` section becomes the stages of the recall loop (NAME-K-train,\n"
           "-score, -select, -newpos per iteration, then NAME-end).\n\n"
           "Options:\n"
           "  -j N               tasks at a time on this machine (default: all cores)\n"
           "      --stage S      only stage S\n"
           "      --task I       with --stage: run task I alone (what a Slurm array element\n"
           "                     runs; I/N is accepted when N is the stage's task count)\n"
           "      --slurm        submit instead: one sbatch job array per map stage with\n"
           "                     unfinished tasks (only those ids), one job per reduce stage,\n"
           "                     each --dependency=afterok on the one before; refuses while\n"
           "                     jobs of this pipeline are still queued or running\n"
           "      --dry-run      with --slurm: write the scripts, print what would be submitted\n"
           "      --partition P, --time T, --mem M, --cpus C, --account A, --sbatch-extra S\n"
           "                     sbatch options, over the file's [slurm] section\n"
           "      --max-array N  Slurm array size cap (the cluster's MaxArraySize; default\n"
           "                     the file's max_array, else 1000)\n"
           "      --array-limit K  at most K tasks of an array running at once (%%K)\n\n"
           "Manifest and cost: a local run ends by writing OUT/_run/manifest.json (with\n"
           "--slurm a last job after the stages writes it): the mathmine version, the\n"
           "pipeline file (text and xxh3), each stage's input list (files and xxh3), every\n"
           "task's marker with its command's stats, and the cost: CPU-hours (the tasks'\n"
           "user+system time) per stage, per TB of WARC input (the first stage's inputs),\n"
           "per million documents, and projected to a whole dump.\n"
           "      --cost         write the manifest from the markers there are and print the\n"
           "                     cost table; run nothing\n"
           "      --dump-files N WARC files of the dump to project to (default %d, Common\n"
           "                     Crawl's usual count)\n"
           "      --file-bytes B assumed size of one WARC file for the projection (default:\n"
           "                     the mean size of this run's WARC inputs; a Common Crawl\n"
           "                     WARC file is about 1.1e9)\n\n"
           "Exit status: 0 every task done; 1 a task failed (its log is named); 2 usage error;\n"
           "130 interrupted.  `mathmine status OUT` shows progress (--cost: the cost table).\n",
           MM_PIPE_DUMP_FILES);
}

static void set(mm_pipe *p, const char *sec, const char *k, const char *v) {
    if (mm_pipe_set(p, sec, k, v) != MM_OK) cli_usage_error(CMD, "%s", mm_error_detail());
}

static int one_task(mm_pipe *p, int s, const char *task, const char *exe) {
    char *end;
    unsigned long t = strtoul(task, &end, 10);
    uint32_t n = mm_pipe_stage_tasks(p, (size_t)s);
    if (end == task || (*end && (*end != '/' || strtoul(end + 1, NULL, 10) != n)) || t >= n)
        cli_usage_error(CMD, "--task %s: stage %s has tasks 0..%u", task,
                        mm_pipe_stage_name(p, (size_t)s), n - 1);
    int code;
    mm_err e = mm_pipe_task_run(p, (size_t)s, (uint32_t)t, exe, &cli_interrupted, &code);
    if (e != MM_OK) cli_die(CMD, e);
    if (code)
        cli_warn(CMD, "stage %s task %lu/%u failed (exit %d)", mm_pipe_stage_name(p, (size_t)s), t,
                 n, code);
    return code ? (cli_interrupted ? CLI_EXIT_INTERRUPTED : CLI_EXIT_FAIL) : CLI_EXIT_OK;
}

/* Write the manifest; print the cost table (`table`) or one line naming the manifest. */
static void manifest(const mm_pipe *p, const mm_pipe_cost_opts *co, bool table) {
    char path[4200];
    mm_err e = mm_pipe_write_manifest(p, co, path, sizeof path);
    if (e != MM_OK) {
        cli_warn(CMD, "manifest: %s", mm_error_detail());
        return;
    }
    if (table) {
        cost_table_print(p, co);
        return;
    }
    mm_pipe_costs c;
    if (mm_pipe_cost_of(p, co, &c) != MM_OK) return;
    cli_info(
        0, "mathmine run: manifest %s: %.4f CPU-hours here, %.0f projected for %llu WARC files",
        path, c.total.cpu_hours, c.total.projected_cpu_hours, (unsigned long long)c.dump_files);
    free(c.stage);
}

static int local(mm_pipe *p, int only, int jobs, const char *exe) {
    mm_pipe_run_stats st;
    mm_err e = mm_pipe_run_local(p, exe, jobs, only, &cli_interrupted, &st);
    cli_info(0, "mathmine run: %u tasks run, %u already done, %u failed", st.ran, st.skipped,
             st.failed);
    if (st.failed_stage >= 0) {
        mm_pipe_status ps;
        mm_pipe_stage_status(p, (size_t)st.failed_stage, &ps);
        fprintf(stderr, "mathmine run: stage %s failed: %s%s%s\n",
                mm_pipe_stage_name(p, (size_t)st.failed_stage), ps.failed_log,
                *ps.failed_line ? ": " : "", ps.failed_line);
    }
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    if (e != MM_OK) cli_die(CMD, e);
    return st.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_run(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        help();
        return CLI_EXIT_OK;
    }
    const char *path = NULL, *stage = NULL, *task = NULL;
    const char *sl[][2] = {
        {"--partition", "partition"}, {"--time", "time"},       {"--mem", "mem"},
        {"--cpus", "cpus"},           {"--account", "account"}, {"--sbatch-extra", "extra"}};
    const char *slv[6] = {0}, *max_array = NULL, *array_limit = NULL;
    int jobs = 0;
    bool slurm = false, dry = false, cost = false;
    mm_pipe_cost_opts co = {.version = MM_VERSION};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool taken = false;
        for (int k = 0; k < 6 && !taken; k++)
            if (!strcmp(a, sl[k][0])) slv[k] = cli_value(CMD, argc, argv, &i), taken = true;
        if (taken) continue;
        if (!strcmp(a, "-j"))
            jobs = (int)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 0, 4096);
        else if (!strcmp(a, "--stage"))
            stage = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--task"))
            task = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--slurm"))
            slurm = true;
        else if (!strcmp(a, "--dry-run"))
            dry = true;
        else if (!strcmp(a, "--max-array"))
            max_array = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--array-limit"))
            array_limit = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--cost"))
            cost = true;
        else if (!strcmp(a, "--dump-files"))
            co.dump_files =
                (uint64_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 1, 1LL << 40);
        else if (!strcmp(a, "--file-bytes"))
            co.file_bytes = cli_parse_double(CMD, a, cli_value(CMD, argc, argv, &i), 1, 1e15);
        else if (a[0] == '-' && a[1])
            cli_usage_error(CMD, "unknown option '%s'", a);
        else if (path)
            cli_usage_error(CMD, "one pipeline file at a time");
        else
            path = a;
    }
    if (!path) cli_usage_error(CMD, "no pipeline file");
    if (task && !stage) cli_usage_error(CMD, "--task needs --stage");
    if (slurm && (task || stage)) cli_usage_error(CMD, "--slurm submits every unfinished stage");
    if (cost && (slurm || task)) cli_usage_error(CMD, "--cost runs nothing");
    char abs[PATH_MAX], exe[PATH_MAX];
    if (!realpath(path, abs)) cli_die(CMD, mm_fail(MM_ERR_IO, "%s: no such file", path));
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) cli_die(CMD, mm_fail(MM_ERR_IO, "cannot find the mathmine program"));
    exe[n] = 0;
    mm_pipe *p;
    mm_err e = mm_pipe_load(abs, &p);
    if (e != MM_OK) cli_die(CMD, e);
    for (int k = 0; k < 6; k++)
        if (slv[k]) set(p, "slurm", sl[k][1], slv[k]);
    if (max_array) set(p, NULL, "max_array", max_array);
    if (array_limit) set(p, NULL, "array_limit", array_limit);
    int s = stage ? mm_pipe_find(p, stage) : -1;
    if (stage && s < 0) cli_usage_error(CMD, "no stage '%s' in %s", stage, path);
    int rc;
    if (task) {
        rc = one_task(p, s, task, exe);
    } else if ((e = mm_pipe_record(p, abs)) != MM_OK) {
        cli_die(CMD, e);
    } else if (slurm) {
        mm_buf log = {0};
        e = mm_pipe_submit(p, exe, abs, dry, &log);
        if (log.len) fputs(log.data, stdout);
        mm_buf_free(&log);
        if (e != MM_OK) cli_die(CMD, e);
        rc = CLI_EXIT_OK;
    } else if (cost) {
        manifest(p, &co, true);
        rc = CLI_EXIT_OK;
    } else {
        rc = local(p, s, jobs, exe);
        if (rc != CLI_EXIT_INTERRUPTED) manifest(p, &co, false);
    }
    mm_pipe_free(p);
    return rc;
}
