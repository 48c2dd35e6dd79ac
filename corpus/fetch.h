/* corpus/fetch.h — internal: one http(s):// input read as a byte stream that survives the
 * internet (retries with backoff and jitter, Retry-After, Range resumes; see mm_http_retry in
 * warc.h).  Not installed.
 *
 * The stream is what the server's 200 (or the 206s that continue it) carried, in order, each
 * byte once.  A failure after the last try returns -1 with the detail "URL: byte N: download
 * failed after K tries: LAST" where LAST is the last HTTP status or libcurl's error. */
#ifndef MM_FETCH_H
#define MM_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "corpus/warc.h"

typedef struct mm_fetch mm_fetch;

/* Start fetching `url` (`name` in messages).  `opts` NULL = mm_http_retry_defaults; `stats`
 * (may be NULL) is updated as attempts go.  Nothing is received until the first read. */
mm_err mm_fetch_open(const char *url, const char *name, const mm_http_retry *opts,
                     mm_http_fetch_stats *stats, mm_fetch **out);
/* Up to `cap` bytes into dst: >0 bytes, 0 the end of the body, -1 failed for good (*err). */
ssize_t mm_fetch_read(mm_fetch *f, void *dst, size_t cap, mm_err *err);
void mm_fetch_close(mm_fetch *f); /* accepts NULL */

/* One response header line as libcurl hands it over (with its CRLF, not NUL-terminated): a
 * status line sets *status (and resets the others to -1), "Retry-After:" *retry_after (seconds,
 * from delta seconds or an HTTP date; -1 unreadable), "Content-Range: bytes A-..."
 * *range_start.  Other lines change nothing.  (tests/fuzz/fuzz_fetch_header.c) */
void mm_fetch_header(const char *line, size_t n, int *status, double *retry_after,
                     int64_t *range_start);

#endif
