/* rl/bpe_internal.h — internals shared by rl/tokenizer.c and rl/bpe_*.c (not installed).
 *
 * bpe_unicode.c  GPT-2's byte <-> unicode table, Unicode letter/number classes, pre-tokeniser
 * bpe_map.c      two open-addressing hash maps: byte strings -> u64 (with a key arena) and
 *                u64 -> u32 (token pairs)
 * bpe_train.c    the trainer (pre-token counting, incremental pair counts, priority queue)
 * tokenizer.c    mm_tok: building, loading/saving the Hugging Face files, encoding, decoding */
#ifndef MM_BPE_INTERNAL_H
#define MM_BPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "rl/tokenizer.h"

/* ---- bpe_unicode.c ---- */

/* GPT-2's table: the code point that stands for byte b in vocab.json / merges.txt. */
uint32_t bpe_byte_cp(unsigned b);
/* The byte a code point stands for, or -1 when it stands for none. */
int bpe_cp_byte(uint32_t cp);
/* GPT-2's id order of the 256 byte tokens: the printable bytes first, then the rest. */
unsigned bpe_byte_rank(unsigned b);
unsigned bpe_rank_byte(unsigned rank);

enum { BPE_OTHER = 0, BPE_LETTER = 1, BPE_NUMBER = 2, BPE_SPACE = 3 };
/* Class of a code point: \p{L}, \p{N}, \s (Unicode White_Space) or other. */
int bpe_class(uint32_t cp);

/* ---- bpe_map.c ---- */

/* Byte-string keys -> uint64 values.  Keys are copied into an arena; `key_len` may be 0. */
typedef struct bpe_strmap {
    uint64_t *slot_hash; /* 0 = empty (hashes are forced non-zero) */
    uint32_t *slot_idx;  /* entry index */
    size_t nslots;
    uint64_t *key_off; /* per entry: offset of key in arena */
    uint32_t *key_len;
    uint64_t *val;
    size_t n, cap;
    char *arena;
    size_t arena_len, arena_cap;
} bpe_strmap;

uint64_t bpe_hash(const void *p, size_t n);
/* Entry index of key (inserted with value `init` when new; *added says which); -1 on NOMEM. */
int64_t bpe_strmap_put(bpe_strmap *m, const char *key, size_t n, uint64_t h, uint64_t init,
                       bool *added);
int64_t bpe_strmap_find(const bpe_strmap *m, const char *key, size_t n, uint64_t h);
static inline const char *bpe_strmap_key(const bpe_strmap *m, size_t i) {
    return m->arena + m->key_off[i];
}
void bpe_strmap_clear(bpe_strmap *m);
void bpe_strmap_free(bpe_strmap *m);

/* uint64 keys -> uint32 values (a pair (a, b) is the key a << 32 | b). */
typedef struct bpe_pairmap {
    uint64_t *keys; /* UINT64_MAX = empty */
    uint32_t *vals;
    size_t nslots, n;
} bpe_pairmap;

static inline uint64_t bpe_pair_key(uint32_t a, uint32_t b) {
    return (uint64_t)a << 32 | b;
}
mm_err bpe_pairmap_init(bpe_pairmap *m, size_t expect);
/* Pointer to the value of key, inserting `init` when new (*added); NULL on NOMEM. */
uint32_t *bpe_pairmap_put(bpe_pairmap *m, uint64_t key, uint32_t init, bool *added);
/* The value of key, or UINT32_MAX when absent. */
static inline uint32_t bpe_pairmap_get(const bpe_pairmap *m, uint64_t key) {
    size_t mask = m->nslots - 1;
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
    for (;;) {
        uint64_t k = m->keys[i];
        if (k == key) return m->vals[i];
        if (k == UINT64_MAX) return UINT32_MAX;
        i = (i + 1) & mask;
    }
}
void bpe_pairmap_free(bpe_pairmap *m);

/* ---- tokenizer.c ---- */

/* What bpe_tok_build takes ownership of (every array, freed on failure too). */
typedef struct bpe_parts {
    uint32_t n;       /* tokens */
    char *arena;      /* token bytes */
    uint64_t *off;    /* [n] offset of each token's bytes in arena */
    uint32_t *len;    /* [n] */
    uint8_t *special; /* [n] 1 = written verbatim in vocab.json (<|endoftext|>), or NULL */
    uint32_t nmerges; /* merges (ma[r], mb[r]) -> mz[r], r = rank */
    uint32_t *ma, *mb, *mz;
    int eot; /* id of <|endoftext|> or -1 */
} bpe_parts;

/* Build a tokenizer: checks every byte has a single-byte token and indexes the merges. */
mm_err bpe_tok_build(bpe_parts *p, const char *what, mm_tok **out);

/* The plain reference encoder that tests compare mm_tok_encode with: GPT-2's encoder.py
 * algorithm on every pre-token (lowest-ranked pair, merge all its occurrences, repeat), no
 * cache, no heap, whatever the length. */
mm_err bpe_encode_reference(const mm_tok *t, const char *text, size_t n, mm_tok_ids *ids);

#endif
