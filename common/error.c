#include "common/error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char detail[1024];

const char *mm_strerror(mm_err err) {
    static const char *const names[MM_ERR__COUNT] = {
        [MM_OK] = "success",
        [MM_ERR_IO] = "I/O error",
        [MM_ERR_NOMEM] = "out of memory",
        [MM_ERR_FORMAT] = "bad input format",
        [MM_ERR_TRUNCATED] = "truncated input",
        [MM_ERR_TOO_LARGE] = "input too large",
        [MM_ERR_ARG] = "invalid argument",
        [MM_ERR_UNSUPPORTED] = "unsupported input",
        [MM_ERR_MISMATCH] = "check failed",
        [MM_ERR_NUMERIC] = "numeric failure",
    };
    if ((int)err < 0 || err >= MM_ERR__COUNT) return "unknown error";
    return names[err];
}

const char *mm_error_detail(void) {
    return detail;
}

void mm_error_clear(void) {
    detail[0] = 0;
}

/* The arguments may point into `detail` itself (a caller wrapping the previous failure:
 * mm_fail(e, "%s: %s", path, mm_error_detail())), so format into a scratch buffer first and
 * copy: vsnprintf into the buffer it reads from is an overlapping copy (undefined behaviour). */
mm_err mm_fail_at(const char *src, int line, mm_err err, const char *fmt, ...) {
    char scratch[sizeof detail];
    size_t off = 0;
#ifdef MM_DEBUG
    off = (size_t)snprintf(scratch, sizeof scratch, "[%s:%d] ", src, line);
    if (off >= sizeof scratch) off = 0;
#else
    (void)src;
    (void)line;
#endif
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(scratch + off, sizeof scratch - off, fmt, ap);
    va_end(ap);
    memcpy(detail, scratch, sizeof detail);
    return err;
}
