#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/buf.h"

struct mm_strmap {
    int64_t *slots; /* index+1 of the key in that slot, 0 = empty */
    size_t nslots;
    char **keys;
    size_t *lens;
    uint64_t *hashes;
    size_t n, cap;
};

mm_strmap *mm_strmap_create(void) {
    mm_strmap *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->nslots = 64;
    m->slots = calloc(m->nslots, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void mm_strmap_free(mm_strmap *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->lens);
    free(m->hashes);
    free(m->slots);
    free(m);
}

static size_t probe(const mm_strmap *m, const char *key, size_t n, uint64_t h) {
    size_t mask = m->nslots - 1, i = h & mask;
    for (;;) {
        int64_t s = m->slots[i];
        if (!s) return i;
        size_t k = (size_t)s - 1;
        if (m->hashes[k] == h && m->lens[k] == n && !memcmp(m->keys[k], key, n)) return i;
        i = (i + 1) & mask;
    }
}

static int grow(mm_strmap *m) {
    size_t ns = m->nslots * 2;
    int64_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return -1;
    for (size_t k = 0; k < m->n; k++) {
        size_t i = m->hashes[k] & (ns - 1);
        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = (int64_t)k + 1;
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = ns;
    return 0;
}

int64_t mm_strmap_put(mm_strmap *m, const char *key, size_t n, int *added) {
    uint64_t h = XXH3_64bits(key, n);
    if (added) *added = 0;
    size_t i = probe(m, key, n, h);
    if (m->slots[i]) return m->slots[i] - 1;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        char **keys = realloc(m->keys, cap * sizeof *keys);
        if (keys) m->keys = keys;
        size_t *lens = realloc(m->lens, cap * sizeof *lens);
        if (lens) m->lens = lens;
        uint64_t *hashes = realloc(m->hashes, cap * sizeof *hashes);
        if (hashes) m->hashes = hashes;
        if (!keys || !lens || !hashes) return -1;
        m->cap = cap;
    }
    char *copy = mm_strndup(key, n);
    if (!copy) return -1;
    size_t k = m->n++;
    m->keys[k] = copy;
    m->lens[k] = n;
    m->hashes[k] = h;
    m->slots[i] = (int64_t)k + 1;
    if (added) *added = 1;
    if (m->n * 2 > m->nslots && grow(m)) return -1;
    return (int64_t)k;
}

int64_t mm_strmap_find(const mm_strmap *m, const char *key, size_t n) {
    size_t i = probe(m, key, n, XXH3_64bits(key, n));
    return m->slots[i] - 1;
}

size_t mm_strmap_size(const mm_strmap *m) {
    return m->n;
}
const char *mm_strmap_key(const mm_strmap *m, size_t index) {
    return index < m->n ? m->keys[index] : NULL;
}

/* ---------------------------------------------------------------- u64 set */

struct mm_u64set {
    uint64_t *slots; /* value+1 would overflow for UINT64_MAX: keep a separate flag for it */
    size_t nslots, n;
    int has_zero;
};

mm_u64set *mm_u64set_create(void) {
    mm_u64set *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->nslots = 1024;
    s->slots = calloc(s->nslots, sizeof *s->slots);
    if (!s->slots) {
        free(s);
        return NULL;
    }
    return s;
}

void mm_u64set_free(mm_u64set *s) {
    if (!s) return;
    free(s->slots);
    free(s);
}

static size_t u64_slot(const uint64_t *slots, size_t nslots, uint64_t v) {
    size_t mask = nslots - 1, i = (size_t)(XXH3_64bits(&v, 8) & mask);
    while (slots[i] && slots[i] != v)
        i = (i + 1) & mask;
    return i;
}

mm_err mm_u64set_add(mm_u64set *s, uint64_t v) {
    if (v == 0) { /* 0 marks an empty slot */
        if (!s->has_zero) s->has_zero = 1, s->n++;
        return MM_OK;
    }
    size_t i = u64_slot(s->slots, s->nslots, v);
    if (s->slots[i] == v) return MM_OK;
    s->slots[i] = v;
    s->n++;
    if (s->n * 2 <= s->nslots) return MM_OK;
    size_t ns = s->nslots * 2;
    uint64_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return mm_fail(MM_ERR_NOMEM, "growing an id set to %zu slots", ns);
    for (size_t k = 0; k < s->nslots; k++)
        if (s->slots[k]) slots[u64_slot(slots, ns, s->slots[k])] = s->slots[k];
    free(s->slots);
    s->slots = slots;
    s->nslots = ns;
    return MM_OK;
}

int mm_u64set_has(const mm_u64set *s, uint64_t v) {
    if (v == 0) return s->has_zero;
    return s->slots[u64_slot(s->slots, s->nslots, v)] == v;
}

size_t mm_u64set_size(const mm_u64set *s) {
    return s->n;
}
