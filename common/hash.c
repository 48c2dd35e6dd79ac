#include "common/hash.h"

#include <xxhash.h>

uint64_t mm_hash64(const void *data, size_t n, uint64_t seed) {
    return XXH3_64bits_withSeed(data, n, seed);
}

void mm_rng_seed(mm_rng *r, uint64_t seed) {
    r->s = seed ^ 0x9E3779B97F4A7C15ull;
}

uint64_t mm_rng_next(mm_rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double mm_rng_uniform(mm_rng *r) {
    return (double)(mm_rng_next(r) >> 11) * 0x1.0p-53;
}
