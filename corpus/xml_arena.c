/* corpus/xml_arena.c — see xml_arena.h. */
#include "corpus/xml_arena.h"

#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALIGN 16
#define HEADER 16 /* each allocation: its size, then padding to ALIGN */
#define FIRST_BLOCK ((size_t)1 << 20)

typedef struct block {
    struct block *next;
    size_t size, used;
    uint8_t *data; /* ALIGN-aligned, size bytes */
} block;

struct mm_xml_arena {
    block *head; /* the block being filled; older ones follow */
};

static __thread mm_xml_arena *active;

static block *new_block(size_t size) {
    block *b = malloc(sizeof *b);
    uint8_t *d = NULL;
    if (!b || posix_memalign((void **)&d, ALIGN, size)) {
        free(b);
        return NULL;
    }
    *b = (block){NULL, size, 0, d};
    POISON(d, size);
    return b;
}

static void free_block(block *b) {
    UNPOISON(b->data, b->size);
    free(b->data);
    free(b);
}

static bool owns(const mm_xml_arena *a, const void *p) {
    for (const block *b = a->head; b; b = b->next)
        if ((const uint8_t *)p >= b->data && (const uint8_t *)p < b->data + b->size) return true;
    return false;
}

/* Bytes an allocation of n takes in a block: its header and n rounded up to ALIGN. */
static size_t span_of(size_t n) {
    return HEADER + ((n + ALIGN - 1) & ~(size_t)(ALIGN - 1));
}

/* A new head block with room for `need` bytes (twice the last one's size or more); NULL when
 * out of memory.  Kept out of line, so that arena_alloc stays a leaf: it runs for every node,
 * attribute and string libxml2 makes (a million times for the article benchmark). */
static __attribute__((noinline)) block *grow(mm_xml_arena *a, size_t need) {
    block *b = a->head;
    size_t size = b ? b->size * 2 : FIRST_BLOCK;
    while (size < need)
        size *= 2;
    block *nb = new_block(size);
    if (!nb) return NULL;
    nb->next = b;
    a->head = nb;
    return nb;
}

static inline void *arena_alloc(mm_xml_arena *a, size_t n) {
    size_t need = span_of(n);
    if (need < n) return NULL; /* overflow */
    block *b = a->head;
    if ((!b || b->size - b->used < need) && !(b = grow(a, need))) return NULL;
    uint8_t *h = b->data + b->used;
    b->used += need;
    UNPOISON(h, HEADER + n);
    memcpy(h, &n, sizeof n);
    return h + HEADER;
}

static size_t arena_size_of(const void *p) {
    size_t n;
    memcpy(&n, (const uint8_t *)p - HEADER, sizeof n);
    return n;
}

static void *xa_malloc(size_t n) {
    return active ? arena_alloc(active, n) : malloc(n);
}

static void xa_free(void *p) {
    if (!p || (active && owns(active, p))) return;
    free(p);
}

static void *xa_realloc(void *p, size_t n) {
    if (!active || (p && !owns(active, p))) return realloc(p, n);
    if (!p) return arena_alloc(active, n);
    size_t old = arena_size_of(p);
    block *b = active->head;
    uint8_t *h = (uint8_t *)p - HEADER;
    size_t need = span_of(n);
    /* the last allocation of the current block grows in place */
    if (h >= b->data && h < b->data + b->size && h + span_of(old) == b->data + b->used &&
        (size_t)(h - b->data) + need <= b->size && need >= n) {
        b->used = (size_t)(h - b->data) + need;
        UNPOISON(h, HEADER + n);
        memcpy(h, &n, sizeof n);
        return p;
    }
    void *q = arena_alloc(active, n);
    if (q) memcpy(q, p, old < n ? old : n);
    return q;
}

static char *xa_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = xa_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void mm_xml_arena_install(void) {
    xmlMemSetup(xa_free, xa_malloc, xa_realloc, xa_strdup);
}

mm_xml_arena *mm_xml_arena_create(void) {
    return mm_calloc(1, sizeof(mm_xml_arena));
}

void mm_xml_arena_free(mm_xml_arena *a) {
    if (!a) return;
    if (active == a) active = NULL;
    for (block *b = a->head, *next; b; b = next) {
        next = b->next;
        free_block(b);
    }
    free(a);
}

void mm_xml_arena_begin(mm_xml_arena *a) {
    active = a;
}

void mm_xml_arena_end(mm_xml_arena *a) {
    if (active == a) xmlResetLastError(); /* its strings live in the arena */
    active = NULL;
    /* keep the largest block (the newest), empty */
    block *keep = a->head;
    if (!keep) return;
    for (block *b = keep->next, *next; b; b = next) {
        next = b->next;
        free_block(b);
    }
    keep->next = NULL;
    keep->used = 0;
    POISON(keep->data, keep->size);
}

size_t mm_xml_arena_used(const mm_xml_arena *a) {
    size_t n = 0;
    for (const block *b = a->head; b; b = b->next)
        n += b->used;
    return n;
}
