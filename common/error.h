/* common/error.h — the one error channel of libmathmine.
 *
 * Every library function that can fail returns an mm_err (MM_OK == 0).  When it fails it also
 * records a human-readable detail (which file, which byte offset, why) in a thread-local slot
 * that the caller reads with mm_error_detail().  The library never prints and never exits; only
 * tools/ does.  In MM_DEBUG builds the detail is prefixed with the source file:line that set it. */
#ifndef MM_ERROR_H
#define MM_ERROR_H

#include <stdarg.h>

#if defined(MM_BUILDING)
#define MM_API __attribute__((visibility("default")))
#else
#define MM_API
#endif

typedef enum mm_err {
    MM_OK = 0,
    MM_ERR_IO,          /* open/read/write/rename failed (errno in the detail) */
    MM_ERR_NOMEM,       /* allocation failed */
    MM_ERR_FORMAT,      /* input is not what it claims to be (bad header, bad JSON, ...) */
    MM_ERR_TRUNCATED,   /* input ended in the middle of a record */
    MM_ERR_TOO_LARGE,   /* a record or field exceeds a configured cap */
    MM_ERR_ARG,         /* the caller passed something invalid */
    MM_ERR_UNSUPPORTED, /* valid input we do not handle (codec, version, ...) */
    MM_ERR_MISMATCH,    /* a check failed: digest, config vs checkpoint, ... */
    MM_ERR_NUMERIC,     /* NaN/Inf or divergence in a computation */
    MM_ERR__COUNT
} mm_err;

/* Short, static description of a code ("I/O error", ...). */
MM_API const char *mm_strerror(mm_err err);

/* The detail recorded by the last failing call on this thread ("" if none). */
MM_API const char *mm_error_detail(void);

/* Record a detail and return `err`, so a failure site reads `return mm_fail(MM_ERR_IO, ...)`. */
MM_API mm_err mm_fail_at(const char *src, int line, mm_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
MM_API void mm_error_clear(void);

#define mm_fail(err, ...) mm_fail_at(__FILE__, __LINE__, (err), __VA_ARGS__)

/* Propagate a failure: `MM_TRY(mm_foo(...));` returns its code from the enclosing function. */
#define MM_TRY(expr)                                                                               \
    do {                                                                                           \
        mm_err mm_try_e_ = (expr);                                                                 \
        if (mm_try_e_ != MM_OK) return mm_try_e_;                                                  \
    } while (0)

#endif
