/* rl/bpe_map.c — the tokenizer's two hash maps (open addressing, linear probing, load <= 1/2).
 *
 * bpe_strmap: byte-string keys (pre-tokens, token strings) copied into one arena, a uint64
 * value per entry.  The full 64-bit hash is kept per slot, so a probe compares keys only when
 * hashes match.  bpe_pairmap: uint64 keys (a token pair) -> uint32, Fibonacci hashing. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/buf.h"
#include "rl/bpe_internal.h"

uint64_t bpe_hash(const void *p, size_t n) {
    uint64_t h = XXH3_64bits(p, n);
    return h ? h : 1;
}

static int strmap_grow_slots(bpe_strmap *m) {
    size_t ns = m->nslots ? m->nslots * 2 : 1024;
    uint64_t *sh = calloc(ns, sizeof *sh);
    uint32_t *si = malloc(ns * sizeof *si);
    if (!sh || !si) {
        free(sh);
        free(si);
        return -1;
    }
    for (size_t i = 0; i < m->nslots; i++) {
        if (!m->slot_hash[i]) continue;
        size_t j = m->slot_hash[i] & (ns - 1);
        while (sh[j])
            j = (j + 1) & (ns - 1);
        sh[j] = m->slot_hash[i];
        si[j] = m->slot_idx[i];
    }
    free(m->slot_hash);
    free(m->slot_idx);
    m->slot_hash = sh;
    m->slot_idx = si;
    m->nslots = ns;
    return 0;
}

static int strmap_grow_entries(bpe_strmap *m) {
    size_t cap = m->cap ? m->cap * 2 : 1024;
    uint64_t *ko = realloc(m->key_off, cap * sizeof *ko);
    if (ko) m->key_off = ko;
    uint32_t *kl = realloc(m->key_len, cap * sizeof *kl);
    if (kl) m->key_len = kl;
    uint64_t *v = realloc(m->val, cap * sizeof *v);
    if (v) m->val = v;
    if (!ko || !kl || !v) return -1;
    m->cap = cap;
    return 0;
}

static int arena_reserve(bpe_strmap *m, size_t n) {
    if (m->arena_len + n <= m->arena_cap) return 0;
    size_t cap = m->arena_cap ? m->arena_cap : 1 << 16;
    while (cap < m->arena_len + n)
        cap *= 2;
    char *a = realloc(m->arena, cap);
    if (!a) return -1;
    m->arena = a;
    m->arena_cap = cap;
    return 0;
}

static size_t strmap_probe(const bpe_strmap *m, const char *key, size_t n, uint64_t h) {
    size_t mask = m->nslots - 1, i = h & mask;
    while (m->slot_hash[i]) {
        if (m->slot_hash[i] == h) {
            uint32_t k = m->slot_idx[i];
            if (m->key_len[k] == n && !memcmp(m->arena + m->key_off[k], key, n)) return i;
        }
        i = (i + 1) & mask;
    }
    return i;
}

int64_t bpe_strmap_find(const bpe_strmap *m, const char *key, size_t n, uint64_t h) {
    if (!m->nslots) return -1;
    size_t i = strmap_probe(m, key, n, h);
    return m->slot_hash[i] ? (int64_t)m->slot_idx[i] : -1;
}

int64_t bpe_strmap_put(bpe_strmap *m, const char *key, size_t n, uint64_t h, uint64_t init,
                       bool *added) {
    *added = false;
    if ((m->n + 1) * 2 > m->nslots && strmap_grow_slots(m)) return -1;
    size_t i = strmap_probe(m, key, n, h);
    if (m->slot_hash[i]) return m->slot_idx[i];
    if (m->n == m->cap && strmap_grow_entries(m)) return -1;
    if (n > UINT32_MAX || m->n >= UINT32_MAX || arena_reserve(m, n)) return -1;
    size_t k = m->n++;
    m->key_off[k] = m->arena_len;
    m->key_len[k] = (uint32_t)n;
    m->val[k] = init;
    if (n) memcpy(m->arena + m->arena_len, key, n);
    m->arena_len += n;
    m->slot_hash[i] = h;
    m->slot_idx[i] = (uint32_t)k;
    *added = true;
    return (int64_t)k;
}

void bpe_strmap_clear(bpe_strmap *m) {
    if (m->nslots) memset(m->slot_hash, 0, m->nslots * sizeof *m->slot_hash);
    m->n = 0;
    m->arena_len = 0;
}

void bpe_strmap_free(bpe_strmap *m) {
    free(m->slot_hash);
    free(m->slot_idx);
    free(m->key_off);
    free(m->key_len);
    free(m->val);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- pair map */

static size_t pair_slot(uint64_t key, size_t mask) {
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

mm_err bpe_pairmap_init(bpe_pairmap *m, size_t expect) {
    size_t ns = 1024;
    while (ns < expect * 2)
        ns *= 2;
    m->keys = malloc(ns * sizeof *m->keys);
    m->vals = malloc(ns * sizeof *m->vals);
    if (!m->keys || !m->vals) {
        bpe_pairmap_free(m);
        return mm_fail(MM_ERR_NOMEM, "token pair map of %zu slots", ns);
    }
    memset(m->keys, 0xFF, ns * sizeof *m->keys);
    m->nslots = ns;
    m->n = 0;
    return MM_OK;
}

static int pairmap_grow(bpe_pairmap *m) {
    size_t ns = m->nslots * 2, mask = ns - 1;
    uint64_t *k = malloc(ns * sizeof *k);
    uint32_t *v = malloc(ns * sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    memset(k, 0xFF, ns * sizeof *k);
    for (size_t i = 0; i < m->nslots; i++) {
        if (m->keys[i] == UINT64_MAX) continue;
        size_t j = pair_slot(m->keys[i], mask);
        while (k[j] != UINT64_MAX)
            j = (j + 1) & mask;
        k[j] = m->keys[i];
        v[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = k;
    m->vals = v;
    m->nslots = ns;
    return 0;
}

uint32_t *bpe_pairmap_put(bpe_pairmap *m, uint64_t key, uint32_t init, bool *added) {
    *added = false;
    if ((m->n + 1) * 2 > m->nslots && pairmap_grow(m)) return NULL;
    size_t mask = m->nslots - 1, i = pair_slot(key, mask);
    while (m->keys[i] != UINT64_MAX) {
        if (m->keys[i] == key) return &m->vals[i];
        i = (i + 1) & mask;
    }
    m->keys[i] = key;
    m->vals[i] = init;
    m->n++;
    *added = true;
    return &m->vals[i];
}

void bpe_pairmap_free(bpe_pairmap *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
