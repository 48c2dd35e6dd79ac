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

const char *mm_error_detail(void) { return detail; }

void mm_error_clear(void) { detail[0] = 0; }

mm_err mm_fail_at(const char *src, int line, mm_err err, const char *fmt, ...) {
    size_t off = 0;
#ifdef MM_DEBUG
    off = (size_t)snprintf(detail, sizeof detail, "[%s:%d] ", src, line);
    if (off >= sizeof detail) off = 0;
#else
    (void)src;
    (void)line;
#endif
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail + off, sizeof detail - off, fmt, ap);
    va_end(ap);
    return err;
}
