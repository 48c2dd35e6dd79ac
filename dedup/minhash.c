/* dedup/minhash.c — shingles, signature kernels and band keys (minhash.h). */
#include "dedup/minhash.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "dedup/runs.h"
#include "dedup/words.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

struct mm_minhash {
    mm_minhash_params p;
    int k; /* bands * rows */
    uint64_t a[MM_MINHASH_MAX_PERMS], b[MM_MINHASH_MAX_PERMS];
    uint64_t *sh;
    size_t cap;
};

mm_err mm_minhash_create(const mm_minhash_params *p, mm_minhash **out) {
    *out = NULL;
    if (p->bands < 1 || p->rows < 1 || p->bands * p->rows > MM_MINHASH_MAX_PERMS)
        return mm_fail(MM_ERR_ARG, "bands x rows = %d x %d: must be 1..%d permutations", p->bands,
                       p->rows, MM_MINHASH_MAX_PERMS);
    if (p->ngram < 1 || p->ngram > 64)
        return mm_fail(MM_ERR_ARG, "shingle size %d outside 1..64", p->ngram);
    mm_minhash *m = mm_calloc(1, sizeof *m);
    if (!m) return MM_ERR_NOMEM;
    m->p = *p;
    m->k = p->bands * p->rows;
    mm_rng r;
    mm_rng_seed(&r, p->seed);
    for (int j = 0; j < m->k; j++) {
        m->a[j] = mm_rng_next(&r) | 1;
        m->b[j] = mm_rng_next(&r);
    }
    *out = m;
    return MM_OK;
}

void mm_minhash_free(mm_minhash *m) {
    if (!m) return;
    free(m->sh);
    free(m);
}

#define HB 0x9E3779B97F4A7C15ull

size_t mm_minhash_shingles(mm_minhash *m, const char *text, size_t n, const uint64_t **sh) {
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, text, n);
    uint64_t pref[128], w, P = 0, i = 0;
    const uint64_t g = (uint64_t)m->p.ngram;
    uint64_t Bg = 1;
    for (uint64_t j = 0; j < g; j++)
        Bg *= HB;
    size_t ns = 0;
    pref[0] = 0;
    while (mm_dedup_iter_next(&it, &w, NULL, NULL)) {
        P = P * HB + w;
        pref[++i % 128] = P;
        if (i < g) continue;
        if (ns == m->cap) {
            size_t c = m->cap ? m->cap * 2 : 1024;
            uint64_t *q = realloc(m->sh, c * sizeof *q);
            if (!q) break; /* out of memory: the signature uses the shingles so far */
            m->sh = q;
            m->cap = c;
        }
        m->sh[ns++] = mm_dedup_mix64(P - pref[(i - g) % 128] * Bg);
    }
    if (i > 0 && i < g) { /* fewer words than a shingle: one shingle of them all */
        if (!m->cap) {
            m->sh = malloc(1024 * sizeof *m->sh);
            m->cap = m->sh ? 1024 : 0;
        }
        if (m->cap) m->sh[ns++] = mm_dedup_mix64(P + i);
    }
    *sh = m->sh;
    return ns;
}

void mm_minhash_sig_scalar(const mm_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig) {
    for (int j = 0; j < m->k; j++)
        sig[j] = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < m->k; j++) {
            uint64_t v = m->a[j] * sh[i] + m->b[j];
            if (v < sig[j]) sig[j] = v;
        }
}

static inline uint64_t min64(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}

/* Permutation outer, shingles inner, four independent minima per permutation. */
void mm_minhash_sig_unrolled(const mm_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig) {
    for (int j = 0; j < m->k; j++) {
        const uint64_t a = m->a[j], b = m->b[j];
        uint64_t m0 = UINT64_MAX, m1 = UINT64_MAX, m2 = UINT64_MAX, m3 = UINT64_MAX;
        size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            m0 = min64(m0, a * sh[i] + b);
            m1 = min64(m1, a * sh[i + 1] + b);
            m2 = min64(m2, a * sh[i + 2] + b);
            m3 = min64(m3, a * sh[i + 3] + b);
        }
        for (; i < n; i++)
            m0 = min64(m0, a * sh[i] + b);
        sig[j] = min64(min64(m0, m1), min64(m2, m3));
    }
}

#if defined(__x86_64__)
/* Eight permutations per vector: a*x+b with vpmullq, minimum with vpminuq; two shingles per
 * step to hide the multiply latency.  Remaining permutations (k % 8) take the unrolled path. */
__attribute__((target("avx512f,avx512dq"))) static void
sig_avx512(const mm_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig) {
    int j = 0;
    for (; j + 8 <= m->k; j += 8) {
        const __m512i a = _mm512_loadu_si512((const void *)(m->a + j));
        const __m512i b = _mm512_loadu_si512((const void *)(m->b + j));
        __m512i m0 = _mm512_set1_epi64(-1), m1 = m0;
        size_t i = 0;
        for (; i + 2 <= n; i += 2) {
            __m512i x0 = _mm512_set1_epi64((long long)sh[i]);
            __m512i x1 = _mm512_set1_epi64((long long)sh[i + 1]);
            m0 = _mm512_min_epu64(m0, _mm512_add_epi64(_mm512_mullo_epi64(a, x0), b));
            m1 = _mm512_min_epu64(m1, _mm512_add_epi64(_mm512_mullo_epi64(a, x1), b));
        }
        if (i < n) {
            __m512i x0 = _mm512_set1_epi64((long long)sh[i]);
            m0 = _mm512_min_epu64(m0, _mm512_add_epi64(_mm512_mullo_epi64(a, x0), b));
        }
        _mm512_storeu_si512((void *)(sig + j), _mm512_min_epu64(m0, m1));
    }
    for (; j < m->k; j++) {
        uint64_t v = UINT64_MAX;
        for (size_t i = 0; i < n; i++)
            v = min64(v, m->a[j] * sh[i] + m->b[j]);
        sig[j] = v;
    }
}

static int has_avx512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    }
    return cached;
}
#else
static int has_avx512(void) {
    return 0;
}
#endif

void mm_minhash_sig_fast(const mm_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig) {
#if defined(__x86_64__)
    if (has_avx512() && !getenv("MM_NO_AVX512")) {
        sig_avx512(m, sh, n, sig);
        return;
    }
#endif
    mm_minhash_sig_unrolled(m, sh, n, sig);
}

const char *mm_minhash_kernel(void) {
    return has_avx512() && !getenv("MM_NO_AVX512") ? "avx512" : "unrolled";
}

size_t mm_minhash_signature(mm_minhash *m, const char *text, size_t n, uint64_t *sig) {
    const uint64_t *sh;
    size_t ns = mm_minhash_shingles(m, text, n, &sh);
    if (ns) mm_minhash_sig_fast(m, sh, ns, sig);
    return ns;
}

void mm_minhash_band_keys(const mm_minhash *m, const uint64_t *sig, uint64_t *keys) {
    for (int b = 0; b < m->p.bands; b++)
        keys[b] =
            mm_hash64(sig + (size_t)b * m->p.rows, (size_t)m->p.rows * 8, m->p.seed ^ (uint64_t)b);
}
