#include "common/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void *mm_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) mm_fail(MM_ERR_NOMEM, "allocating %zu bytes", n);
    return p;
}

void *mm_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) mm_fail(MM_ERR_NOMEM, "allocating %zu x %zu bytes", n, size);
    return p;
}

char *mm_strndup(const char *s, size_t n) {
    char *p = mm_malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

mm_err mm_buf_reserve(mm_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return MM_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) return mm_fail(MM_ERR_NOMEM, "growing a buffer to %zu bytes", cap);
    b->data = p;
    b->cap = cap;
    return MM_OK;
}

mm_err mm_buf_grow_append(mm_buf *b, const void *p, size_t n) {
    MM_TRY(mm_buf_reserve(b, n));
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return MM_OK;
}

mm_err mm_buf_puts(mm_buf *b, const char *s) {
    return mm_buf_append(b, s, strlen(s));
}

mm_err mm_buf_printf(mm_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return mm_fail(MM_ERR_ARG, "bad format string");
    MM_TRY(mm_buf_reserve(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MM_OK;
}

void mm_buf_clear(mm_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void mm_buf_free(mm_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

mm_err mm_read_file(const char *path, mm_buf *b) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mm_fail(MM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    mm_buf_clear(b);
    struct stat st;
    /* a regular file is read straight into a buffer of its size; pipes and the like in chunks */
    size_t chunk = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
                       ? (size_t)st.st_size + 1
                       : 65536;
    mm_err e = MM_OK;
    for (;;) {
        if ((e = mm_buf_reserve(b, chunk)) != MM_OK) break;
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            e = mm_fail(MM_ERR_IO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (n == 0) break;
        b->len += (size_t)n;
        chunk = 65536;
    }
    close(fd);
    if (e == MM_OK) b->data[b->len] = 0; /* an empty file: still a NUL-terminated "" */
    return e;
}
