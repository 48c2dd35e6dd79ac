/* tools/cmd_status.c — `mathmine status OUT|PIPELINE`: the task markers of a pipeline run summed
 * per stage (common/pipeline.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/json.h"
#include "common/pipeline.h"
#include "tools/cli.h"
#include "tools/cost_table.h"

#define CMD "status"

static void help(void) {
    printf("Usage: mathmine status OUT_DIR|PIPELINE [--json | --cost]\n\n"
           "Per stage of a pipeline run (OUT_DIR/_run/pipeline.ini, written by `mathmine run`):\n"
           "tasks done, running, failed and pending; inputs, documents and MB of input of the\n"
           "finished tasks; their throughput (input MB per wall second from the first start to\n"
           "the last end); CPU-hours (the tasks' rusage); an ETA from the mean task time; and for\n"
           "a failed task its log file and last error line.  A started task without a marker\n"
           "is running while its Slurm job is in squeue (under Slurm) or its process lives\n"
           "(here), and failed once the job left the queue or the process is gone (killed); one\n"
           "started on another host without Slurm counts as running.\n\n"
           "  --json   one JSON object per stage on standard output instead of the table\n"
           "  --cost   the cost table instead (see `mathmine run --help`): CPU-hours per stage,\n"
           "           per TB of WARC input and per million documents, and projected to a dump\n"
           "  --dump-files N, --file-bytes B   with --cost: the dump to project to (default\n"
           "           %d files of this run's mean WARC file size)\n\n"
           "Exit status: 0 every task done; 1 some task failed or is unfinished; 2 usage error.\n",
           MM_PIPE_DUMP_FILES);
}

static double eta(const mm_pipe_status *s) {
    uint32_t left = s->pending + s->running + s->failed, finished = s->done + s->failed;
    if (!left || !finished) return -1;
    double mean = s->seconds / finished, par = s->running ? s->running : 1;
    return mean * left / par;
}

static void json_line(const char *name, bool reduce, const mm_pipe_status *s) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "stage"), mm_jw_string(&w, name);
    mm_jw_key(&w, "kind"), mm_jw_string(&w, reduce ? "reduce" : "map");
    const struct {
        const char *k;
        uint64_t v;
    } f[] = {{"tasks", s->tasks},   {"done", s->done},           {"running", s->running},
             {"failed", s->failed}, {"pending", s->pending},     {"inputs", s->inputs},
             {"docs", s->docs},     {"input_bytes", s->bytes_in}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        mm_jw_key(&w, f[i].k), mm_jw_uint(&w, f[i].v);
    double span = s->last_end - s->first_start;
    mm_jw_key(&w, "task_seconds"), mm_jw_double(&w, s->seconds);
    mm_jw_key(&w, "cpu_hours"), mm_jw_double(&w, s->cpu_s / 3600);
    mm_jw_key(&w, "mb_per_s"), mm_jw_double(&w, span > 0 ? s->bytes_in / 1e6 / span : 0);
    mm_jw_key(&w, "eta_s"), mm_jw_double(&w, eta(s));
    mm_jw_key(&w, "failed_log"), mm_jw_string(&w, s->failed_log);
    mm_jw_key(&w, "failed_line"), mm_jw_string(&w, s->failed_line);
    mm_jw_obj_end(&w);
    printf("%s\n", b.data);
    mm_buf_free(&b);
}

int cmd_status(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        help();
        return CLI_EXIT_OK;
    }
    const char *arg = NULL;
    bool json = false, cost = false;
    mm_pipe_cost_opts co = {.version = MM_VERSION};
    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc;
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--cost"))
            cost = true;
        else if (!strcmp(argv[i], "--dump-files") && more)
            co.dump_files = (uint64_t)cli_parse_int(CMD, argv[i], argv[i + 1], 1, 1LL << 40), i++;
        else if (!strcmp(argv[i], "--file-bytes") && more)
            co.file_bytes = cli_parse_double(CMD, argv[i], argv[i + 1], 1, 1e15), i++;
        else if (argv[i][0] == '-' && argv[i][1])
            cli_usage_error(CMD, "unknown option '%s'", argv[i]);
        else if (arg)
            cli_usage_error(CMD, "one run at a time");
        else
            arg = argv[i];
    }
    if (!arg) cli_usage_error(CMD, "give the output folder of a run, or its pipeline file");
    char path[4096];
    struct stat sb;
    if (!stat(arg, &sb) && S_ISDIR(sb.st_mode))
        snprintf(path, sizeof path, "%s/_run/pipeline.ini", arg);
    else
        snprintf(path, sizeof path, "%s", arg);
    mm_pipe *p;
    mm_err e = mm_pipe_load(path, &p);
    if (e != MM_OK) cli_die(CMD, e);
    if (cost) {
        cost_table_print(p, &co);
        mm_pipe_free(p);
        return CLI_EXIT_OK;
    }
    if (!json)
        printf("%-16s %-6s %6s %6s %7s %6s %7s %10s %10s %8s %8s %9s\n", "stage", "kind", "tasks",
               "done", "running", "failed", "pending", "docs", "MB in", "MB/s", "CPU-h", "ETA");
    bool all_done = true;
    for (size_t s = 0; s < mm_pipe_nstages(p); s++) {
        mm_pipe_status st;
        mm_pipe_stage_status(p, s, &st);
        all_done &= st.done == st.tasks;
        const char *name = mm_pipe_stage_name(p, s);
        bool reduce = mm_pipe_stage_reduce(p, s);
        if (json) {
            json_line(name, reduce, &st);
            continue;
        }
        double span = st.last_end - st.first_start, left = eta(&st);
        char etas[32] = "-";
        if (left >= 0) snprintf(etas, sizeof etas, "%.0fs", left);
        printf("%-16s %-6s %6u %6u %7u %6u %7u %10llu %10.1f %8.1f %8.4f %9s\n", name,
               reduce ? "reduce" : "map", st.tasks, st.done, st.running, st.failed, st.pending,
               (unsigned long long)st.docs, st.bytes_in / 1e6,
               span > 0 ? st.bytes_in / 1e6 / span : 0, st.cpu_s / 3600, etas);
        if (st.failed)
            printf("  failed: %s%s%s\n", st.failed_log, *st.failed_line ? ": " : "",
                   st.failed_line);
    }
    mm_pipe_free(p);
    return all_done ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
