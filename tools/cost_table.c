/* tools/cost_table.c — see cost_table.h. */
#include "tools/cost_table.h"

#include <stdio.h>
#include <stdlib.h>

#include "tools/cli.h"

static void row(const char *name, const mm_pipe_cost *c) {
    printf("%-16s %10.4f %9.2f %9.0f %12.2f %12.3f %14.0f\n", name, c->cpu_hours, c->mb_per_cpu_s,
           c->docs_per_cpu_s, c->cpu_hours_per_tb, c->cpu_hours_per_mdocs, c->projected_cpu_hours);
}

void cost_table_print(const mm_pipe *p, const mm_pipe_cost_opts *o) {
    mm_pipe_costs c;
    mm_err e = mm_pipe_cost_of(p, o, &c);
    if (e != MM_OK) cli_die("cost", e);
    printf("WARC input: %llu files, %.1f MB (first stage); projection: %llu files of %.3g bytes\n",
           (unsigned long long)c.warc_files, c.warc_bytes / 1e6, (unsigned long long)c.dump_files,
           c.file_bytes);
    printf("%-16s %10s %9s %9s %12s %12s %14s\n", "stage", "CPU-h", "MB/CPU-s", "docs/CPU-s",
           "CPU-h/TB", "CPU-h/Mdocs", "projected CPU-h");
    for (size_t s = 0; s < mm_pipe_nstages(p); s++)
        row(mm_pipe_stage_name(p, s), &c.stage[s]);
    row("total", &c.total);
    free(c.stage);
}
