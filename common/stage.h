/* common/stage.h — the shape every map stage shares: a list of inputs, and task i of N over it.
 *
 * Inputs come from command-line arguments and from list files (`--inputs FILE`: one path or URL
 * per line; "-" is stdin; a name ending in .gz or .zst is decompressed; empty lines and lines
 * starting with '#' are skipped), each list line optionally prefixed with a base URL or folder,
 * as Common Crawl's warc.paths.gz needs "https://data.commoncrawl.org/".
 *
 * A task is "index of count": mm_task_range() gives task i the contiguous block
 * [n*i/count, n*(i+1)/count) of the n inputs, in list order, so the tasks together cover every
 * input exactly once whatever count is, and a stage whose outputs are per input writes the same
 * bytes under any split.  count 0 means "no task selected": the whole list.
 *
 * Ownership: mm_inputs owns its strings; mm_inputs_free releases them (accepts a zeroed one). */
#ifndef MM_STAGE_H
#define MM_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct mm_inputs {
    char **v; /* v[0..n) */
    size_t n, cap;
} mm_inputs;

/* Append a copy of `path`, prefixed with `base` when base is non-empty and `path` is relative
 * (neither "/..." nor "scheme://..."); a '/' is put between them when base lacks one. */
MM_API mm_err mm_inputs_add(mm_inputs *in, const char *base, const char *path);
/* Append every line of the list file `list` (see above). */
MM_API mm_err mm_inputs_read(mm_inputs *in, const char *list, const char *base);
MM_API void mm_inputs_free(mm_inputs *in);

typedef struct mm_task {
    uint32_t index, count; /* count 0 = all inputs, no task selected */
} mm_task;

/* "I/N" with 0 <= I < N (1 <= N <= 10,000,000). */
MM_API mm_err mm_task_parse(const char *spec, mm_task *t);
/* From a Slurm job array: SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (0 when unset) of
 * SLURM_ARRAY_TASK_COUNT (else MAX - MIN + 1).  Sets t->count = 0 when not in an array; an
 * array whose ids are not 0..N-1 contiguous (e.g. a resubmission of some ids) cannot be
 * mapped and fails with MM_ERR_ARG: pass --task I/N explicitly there, as `mathmine run` does. */
MM_API mm_err mm_task_from_env(mm_task *t);
/* Task t's block [*lo, *hi) of n inputs. */
MM_API void mm_task_range(const mm_task *t, size_t n, size_t *lo, size_t *hi);

#endif
