/* tests/unit/test_io.h — paths DIR/NAME in rotating buffers (test_path), and raw arrays in and
 * out of such files, for the tests that hand numbers to a PyTorch reference (test_grpo.c,
 * test_ppo.c).  The raw functions return 0 on success. */
#ifndef MM_TEST_IO_H
#define MM_TEST_IO_H

#include <stdio.h>

/* "DIR/NAME" in one of 8 static buffers: up to 8 paths may be in use at once. */
static inline const char *test_path(const char *dir, const char *name) {
    static char b[8][1024];
    static int k;
    char *p = b[k++ & 7];
    snprintf(p, 1024, "%s/%s", dir, name);
    return p;
}

static inline int test_write_raw(const char *dir, const char *name, const void *p, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static inline int test_read_raw(const char *dir, const char *name, void *p, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t r = fread(p, 1, n, f);
    fclose(f);
    return r == n ? 0 : -1;
}

#endif
