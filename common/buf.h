/* common/buf.h — a growable byte buffer.  The buffer owns `data`; mm_buf_free releases it.
 * `data` is always NUL-terminated after any append (the NUL is not counted in `len`). */
#ifndef MM_BUF_H
#define MM_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"

typedef struct mm_buf {
    char *data;
    size_t len, cap;
} mm_buf;

MM_API mm_err mm_buf_reserve(mm_buf *b, size_t extra);
/* mm_buf_append and mm_buf_putc when the bytes do not fit: grow, then append. */
MM_API mm_err mm_buf_grow_append(mm_buf *b, const void *p, size_t n);
MM_API mm_err mm_buf_puts(mm_buf *b, const char *s);
MM_API mm_err mm_buf_printf(mm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends are inline: the HTML strip and text passes and the JSON writer make millions of
 * small ones per WARC, and a call per append was 3% of extraction. */
static inline mm_err mm_buf_append(mm_buf *b, const void *p, size_t n) {
    if (b->len + n >= b->cap) return mm_buf_grow_append(b, p, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return MM_OK;
}
static inline mm_err mm_buf_putc(mm_buf *b, char c) {
    if (b->len + 1 >= b->cap) return mm_buf_grow_append(b, &c, 1);
    b->data[b->len++] = c;
    b->data[b->len] = 0;
    return MM_OK;
}
MM_API void mm_buf_clear(mm_buf *b);
MM_API void mm_buf_free(mm_buf *b);

/* Read a whole (small) file into `b` (replacing its content). */
MM_API mm_err mm_read_file(const char *path, mm_buf *b);

/* Checked allocation helpers: NULL only on failure, with the detail set. */
MM_API void *mm_malloc(size_t n);
MM_API void *mm_calloc(size_t n, size_t size);
MM_API char *mm_strndup(const char *s, size_t n);

#endif
