/* common/hugemem.h — zeroed memory for big random-access tables, backed by 2 MB pages where the
 * kernel allows it (transparent huge pages in "madvise" mode need the advice and a 2 MB-aligned
 * range).
 *
 * A random probe into a table of tens of MB with 4 KB pages costs a TLB miss and a page walk on
 * top of the cache miss; with 2 MB pages the TLB covers the table. */
#ifndef MM_COMMON_HUGEMEM_H
#define MM_COMMON_HUGEMEM_H

#include <stddef.h>

#include "common/error.h"

/* bytes of zeroed memory, 2 MB-aligned when bytes >= 2 MB; NULL when out of memory.  Free with
 * mm_huge_free(p, bytes), passing the same size. */
MM_API void *mm_huge_alloc(size_t bytes);
MM_API void mm_huge_free(void *p, size_t bytes);

#endif
