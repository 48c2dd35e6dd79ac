/* common/buf.h — a growable byte buffer.  The buffer owns `data`; mm_buf_free releases it.
 * `data` is always NUL-terminated after any append (the NUL is not counted in `len`). */
#ifndef MM_BUF_H
#define MM_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct mm_buf {
    char *data;
    size_t len, cap;
} mm_buf;

MM_API mm_err mm_buf_reserve(mm_buf *b, size_t extra);
MM_API mm_err mm_buf_append(mm_buf *b, const void *p, size_t n);
MM_API mm_err mm_buf_puts(mm_buf *b, const char *s);
MM_API mm_err mm_buf_putc(mm_buf *b, char c);
MM_API mm_err mm_buf_printf(mm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
MM_API void mm_buf_clear(mm_buf *b);
MM_API void mm_buf_free(mm_buf *b);

/* Read a whole (small) file into `b` (replacing its content). */
MM_API mm_err mm_read_file(const char *path, mm_buf *b);

/* Checked allocation helpers: NULL only on failure, with the detail set. */
MM_API void *mm_malloc(size_t n);
MM_API void *mm_calloc(size_t n, size_t size);
MM_API char *mm_strndup(const char *s, size_t n);

#endif
