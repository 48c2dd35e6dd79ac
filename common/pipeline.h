/* common/pipeline.h — a pipeline file, its tasks, local runs, Slurm submission and status.
 *
 * A pipeline file (docs/cluster.md) is INI-like: `key = value` lines, `[section]` headers, '#'
 * or ';' comments.  Top-level keys: out (the output folder, required), name, tasks (default
 * tasks per map stage, 16), max_array (Slurm array size cap, 1000), array_limit (tasks of one
 * array running at once, 0 = no limit), mathmine (the program the tasks run).  [slurm]: sbatch
 * options partition, time, mem, cpus, account, extra.  Every other section is a stage, run in
 * file order: `map = ARGS` or `reduce = ARGS` (a mathmine command line; {out} is replaced),
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
 * reduce stage, each after the previous submitted one (--dependency=afterok).  Writes the
 * scripts to OUT/_run/STAGE/slurm.sbatch.  Refuses while jobs of this pipeline are still queued
 * or running (pending jobs whose dependency can never be met are cancelled first).  With
 * dry_run nothing is submitted.  `log` receives one line per stage ("stage: job 123, tasks
 * 0,3" or "stage: done"). */
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

#endif
