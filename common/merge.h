/* common/merge.h — what the library's k-way merges share (dedup's binary runs, iterate's count
 * summaries): how many files one merge level may hold open, and the binary min-heap of their
 * cursors. */
#ifndef MM_COMMON_MERGE_H
#define MM_COMMON_MERGE_H

#include <stddef.h>

/* Files one merge level holds open at once: 64, or MM_MERGE_FANIN (at least 2).  A merge of
 * more inputs first merges groups of this many into intermediate files. */
size_t mm_merge_fanin(void);

/* Restore the heap property below node i of h[0..n), `less` ordering two cursors (the caller's
 * own cursor type): the smallest at h[0]. */
typedef int (*mm_heap_less)(const void *a, const void *b);
void mm_heap_sift_down(void **h, size_t n, size_t i, mm_heap_less less);

#endif
