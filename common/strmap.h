/* common/strmap.h — a string-keyed hash map (open addressing, xxHash) mapping each distinct key
 * to a dense index 0, 1, 2, … in insertion order.  The map copies keys into its own storage.
 * Callers keep per-key data in their own arrays indexed by that number (counts, flags), which
 * keeps the map small and the data cache-friendly. */
#ifndef MM_STRMAP_H
#define MM_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct mm_strmap mm_strmap;

MM_API mm_strmap *mm_strmap_create(void);
MM_API void mm_strmap_free(mm_strmap *m);
/* Index of `key`, inserting it if new (*added = 1 then).  Returns -1 on allocation failure. */
MM_API int64_t mm_strmap_put(mm_strmap *m, const char *key, size_t n, int *added);
/* Index of `key`, or -1 when absent. */
MM_API int64_t mm_strmap_find(const mm_strmap *m, const char *key, size_t n);
MM_API size_t mm_strmap_size(const mm_strmap *m);
MM_API const char *mm_strmap_key(const mm_strmap *m, size_t index);

/* A set of 64-bit values (document ids), same scheme. */
typedef struct mm_u64set mm_u64set;
MM_API mm_u64set *mm_u64set_create(void);
MM_API void mm_u64set_free(mm_u64set *s);
MM_API mm_err mm_u64set_add(mm_u64set *s, uint64_t v); /* idempotent */
MM_API int mm_u64set_has(const mm_u64set *s, uint64_t v);
MM_API size_t mm_u64set_size(const mm_u64set *s);

#endif
