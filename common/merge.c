/* common/merge.c — the fan-in and the heap of the library's k-way merges (common/merge.h). */
#include "common/merge.h"

#include <stdlib.h>

size_t mm_merge_fanin(void) {
    const char *s = getenv("MM_MERGE_FANIN");
    long v = s ? strtol(s, NULL, 10) : 0;
    return v >= 2 ? (size_t)v : 64;
}

void mm_heap_sift_down(void **h, size_t n, size_t i, mm_heap_less less) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && less(h[l], h[m])) m = l;
        if (l + 1 < n && less(h[l + 1], h[m])) m = l + 1;
        if (m == i) return;
        void *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}
