/* common/hugemem.c — see hugemem.h. */
#include "common/hugemem.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

static size_t rounded(size_t bytes) {
    if (!bytes) return 1;
    return bytes < HUGE_PAGE ? bytes : (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

void *mm_huge_alloc(size_t bytes) {
    size_t len = rounded(bytes), extra = len >= HUGE_PAGE ? HUGE_PAGE : 0;
    uint8_t *p =
        mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    if (!extra) return p;
    /* keep the 2 MB-aligned part: only aligned 2 MB ranges can be backed by huge pages */
    uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (a > p) munmap(p, (size_t)(a - p));
    size_t tail = (size_t)(p + len + extra - (a + len));
    if (tail) munmap(a + len, tail);
#ifdef MADV_HUGEPAGE
    madvise(a, len, MADV_HUGEPAGE);
#endif
    return a;
}

void mm_huge_free(void *p, size_t bytes) {
    if (p) munmap(p, rounded(bytes));
}
