/* common/pool.h — run `fn(ctx, i, worker)` for i in [0, n) on `threads` threads (0 = all cores).
 * Items are handed out in order from a shared counter; `worker` (0..threads-1) lets the callee
 * use one context per thread.  Returns the first non-OK code any call returned (all items are
 * still attempted: one bad file never stops a batch). */
#ifndef MM_POOL_H
#define MM_POOL_H

#include <stddef.h>

#include "common/error.h"

typedef mm_err (*mm_pool_fn)(void *ctx, size_t item, int worker);

MM_API mm_err mm_pool_run(size_t n, int threads, mm_pool_fn fn, void *ctx);
MM_API int mm_cpu_count(void);
/* The number of worker threads mm_pool_run would use for `threads` and `n` items. */
MM_API int mm_pool_threads(int threads, size_t n);

#endif
