/* common/progress.h — a progress line on stderr (only when stderr is a terminal), redrawn at
 * most 4 times a second: "label  done/total units  rate/s  MB/s  ETA".  Thread-safe: workers
 * call mm_progress_add from any thread.  mm_progress_done clears the line. */
#ifndef MM_PROGRESS_H
#define MM_PROGRESS_H

#include <stdint.h>

#include "common/error.h"

typedef struct mm_progress mm_progress;

/* total = 0 when unknown (no ETA). `unit` names what is counted ("files", "docs"). */
MM_API mm_progress *mm_progress_create(const char *label, uint64_t total, const char *unit);
MM_API void mm_progress_add(mm_progress *p, uint64_t units, uint64_t bytes);
MM_API void mm_progress_done(mm_progress *p); /* accepts NULL */
MM_API double mm_now(void);                   /* monotonic seconds (no system call) */
MM_API double mm_thread_cpu(void);            /* CPU seconds of the calling thread */
MM_API double mm_process_cpu(void);           /* CPU seconds of the process, all threads */

#endif
