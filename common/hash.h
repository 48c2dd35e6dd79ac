/* common/hash.h — the project's hashes (xxHash from Debian's libxxhash), so every stage hashes
 * the same bytes the same way. */
#ifndef MM_HASH_H
#define MM_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

MM_API uint64_t mm_hash64(const void *data, size_t n, uint64_t seed);

/* SplitMix64: a tiny deterministic PRNG for seeded sampling and shuffles. */
typedef struct mm_rng {
    uint64_t s;
} mm_rng;
MM_API void mm_rng_seed(mm_rng *r, uint64_t seed);
MM_API uint64_t mm_rng_next(mm_rng *r);
MM_API double mm_rng_uniform(mm_rng *r); /* [0, 1) */

#endif
