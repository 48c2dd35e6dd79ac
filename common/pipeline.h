/* common/pipeline.h — a pipeline file, its tasks, local runs, Slurm submission and status.
 *
 * A pipeline file (docs/cluster.md) is INI-like: `key = value` lines, `[section]` headers, '#'
 * or ';' comments.  Top-level keys: out (the output folder, required), name, tasks (default
 * tasks per map stage, 16), max_array (Slurm array size cap, 1000), array_limit (tasks of one
 * array running at once, 0 = no limit), mathmine (the program the tasks run).  [slurm]: sbatch
 * options partition, time, mem, cpus, account, extra.  Every other section is a stage, run in
 * file order: `map = ARGS` or `reduce = ARGS` (a mathmine command line; {out} is replaced)
 * or `iterate = ARGS` with `iterations = N` (expanded into the loop's stages, docs/cluster.md),
 * `inputs = LIST_FILE|GLOB` (repeatable; a glob is expanded, sorted, when the task runs),
 * `base = PREFIX`, `tasks = N`, and the sbatch keys above to override [slurm].
 *
 * A task is one run of the stage's command in a child process with `--inputs LIST --task I/N
 * --stats FILE` (reduce stages: one task, no --task).  Its completion marker is
 * OUT/_run/STAGE/task-IIIII-of-NNNNN.json, written atomically after the command ends: status
 * "done" or "failed", exit code, wall and CPU seconds (the child's rusage), inputs, input bytes,
 * host, Slurm job, log file, and the command's own --stats JSON.  A task whose marker says
 * "done" is never run again; mathmine never schedules work itself: it runs tasks here or
 * hands them to Slurm.
 *
 * The library never prints: runs and submissions return what they did in structs and buffers. */
#ifndef MM_PIPELINE_H
#define MM_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef struct mm_pipe mm_pipe;

MM_API mm_err mm_pipe_load(const char *path, mm_pipe **out);
MM_API void mm_pipe_free(mm_pipe *p); /* accepts NULL */

MM_API const char *mm_pipe_out(const mm_pipe *p);
MM_API size_t mm_pipe_nstages(const mm_pipe *p);
MM_API const char *mm_pipe_stage_name(const mm_pipe *p, size_t s);
MM_API bool mm_pipe_stage_reduce(const mm_pipe *p, size_t s);
MM_API uint32_t mm_pipe_stage_tasks(const mm_pipe *p, size_t s);
MM_API int mm_pipe_find(const mm_pipe *p, const char *stage); /* -1 when absent */
/* Override a top-level or [slurm] key (from the command line), e.g. ("slurm", "partition", "x"). */
MM_API mm_err mm_pipe_set(mm_pipe *p, const char *section, const char *key, const char *value);

/* Copy the pipeline file to OUT/_run/pipeline.ini (atomically), so that `mathmine status OUT`
 * finds the stages. */
MM_API mm_err mm_pipe_record(const mm_pipe *p, const char *pipeline_path);

MM_API bool mm_pipe_task_done(const mm_pipe *p, size_t s, uint32_t task);

/* Run task `task` of stage s now: `exe` is the mathmine program.  The command's output goes to
 * the task's log file.  *exit_code is the command's exit status (128+signal when killed).
 * `stop` (may be NULL): when it becomes non-zero the child is sent SIGTERM. */
MM_API mm_err mm_pipe_task_run(const mm_pipe *p, size_t s, uint32_t task, const char *exe,
                               volatile int *stop, int *exit_code);

typedef struct mm_pipe_run_stats {
    uint32_t ran, skipped, failed; /* tasks */
    int failed_stage;              /* first stage with a failed task, -1 none */
} mm_pipe_run_stats;

/* Every stage in order, `jobs` tasks at a time (0 = all cores), finished tasks skipped; stops
 * after a stage with a failed task.  `only` >= 0 runs that stage alone. */
MM_API mm_err mm_pipe_run_local(const mm_pipe *p, const char *exe, int jobs, int only,
                                volatile int *stop, mm_pipe_run_stats *st);

/* One sbatch job array per map stage with unfinished tasks (only those task ids), one job per
 * reduce stage, each after the previous submitted one (--dependency=afterok); when anything
 * was submitted, a last job after it (--dependency=afterany) that writes the manifest (`run
 * PIPELINE --cost`, script OUT/_run/manifest.sbatch, log OUT/_run/manifest-JOB.out).  Writes the
 * scripts to OUT/_run/STAGE/slurm.sbatch.  Refuses while jobs of this pipeline are still queued
 * or running (pending jobs whose dependency can never be met are cancelled first).  With
 * dry_run nothing is submitted.  `log` receives one line per stage ("stage: job 123, tasks
 * 0,3" or "stage: done") and "manifest: job 125, after 124". */
MM_API mm_err mm_pipe_submit(const mm_pipe *p, const char *exe, const char *pipeline_path,
                             bool dry_run, mm_buf *log);

typedef struct mm_pipe_status {
    uint32_t tasks, done, running, failed, pending;
    uint64_t inputs, docs, bytes_in; /* summed over finished tasks */
    double seconds, cpu_s;           /* summed task wall and CPU seconds */
    double first_start, last_end;    /* epoch seconds over finished tasks (0 = none) */
    char failed_log[1024];           /* a failed task's log, and its last error line */
    char failed_line[512];
} mm_pipe_status;

MM_API mm_err mm_pipe_stage_status(const mm_pipe *p, size_t s, mm_pipe_status *st);

/* The path of task t's file of stage s: ext ".json" (marker), ".log", ".started". */
MM_API void mm_pipe_task_file(const mm_pipe *p, size_t s, uint32_t t, const char *ext, char *out,
                              size_t cap);

/* ---- cost and manifest (common/manifest.c) ----
 *
 * The cost of a run in CPU-hours (the tasks' rusage: user + system of each task's process),
 * per stage, over the finished tasks.  The first stage is taken as the one that reads the WARC
 * files: its inputs and input bytes (the files' sizes; for URLs, the bytes the command says it
 * read) are the run's WARC input.  Each stage's cost is then given per TB of that WARC input,
 * per million documents the stage read (its stats' docs_in, docs or html), and projected to a
 * dump of `dump_files` WARC files of `file_bytes` each:
 *     projected = cpu_hours / warc_bytes * file_bytes * dump_files,
 * which with file_bytes = this run's mean WARC file size is cpu_hours / warc_files * dump_files. */

#define MM_PIPE_DUMP_FILES 90000 /* WARC files in a Common Crawl dump, usually */

typedef struct mm_pipe_cost_opts {
    const char *version; /* mathmine's version, recorded in the manifest */
    uint64_t dump_files; /* 0 = MM_PIPE_DUMP_FILES */
    double file_bytes;   /* assumed bytes per WARC file; 0 = this run's mean */
} mm_pipe_cost_opts;

typedef struct mm_pipe_cost {
    double cpu_hours, cpu_hours_per_tb, cpu_hours_per_mdocs, projected_cpu_hours;
    double mb_per_cpu_s, docs_per_cpu_s; /* the stage's own input per CPU second */
} mm_pipe_cost;

typedef struct mm_pipe_costs {
    uint64_t warc_files, warc_bytes, dump_files;
    double file_bytes;   /* assumed per WARC file (the mean here unless given) */
    mm_pipe_cost *stage; /* [mm_pipe_nstages], malloc'd: free(c->stage) */
    mm_pipe_cost total;  /* every stage summed (per-docs: of the first stage's documents) */
} mm_pipe_costs;

MM_API mm_err mm_pipe_cost_of(const mm_pipe *p, const mm_pipe_cost_opts *o, mm_pipe_costs *c);

/* OUT/_run/manifest.json, atomically: {"mathmine": version, "created", "out", "pipeline":
 * {"path", "xxh3", "text"}, "inputs": [{"stage", "list", "files", "xxh3"}] (each stage's
 * resolved input list OUT/_run/STAGE/inputs.txt), "stages": [{"name", "kind", "tasks", "done",
 * "failed", "running", "pending", "inputs", "input_bytes", "docs", "task_seconds", "cpu_s",
 * "task_markers": [each task's marker, its command's stats inside]}], "cost": {"warc_files",
 * "warc_bytes", "assumed_file_bytes", "dump_files", "stages": [{"name", "cpu_hours",
 * "cpu_hours_per_tb", "cpu_hours_per_million_docs", "projected_cpu_hours", "mb_per_cpu_s",
 * "docs_per_cpu_s"}], "total": {...}}}.  Its path in *path when not NULL. */
MM_API mm_err mm_pipe_write_manifest(const mm_pipe *p, const mm_pipe_cost_opts *o, char *path,
                                     size_t cap);

#endif
