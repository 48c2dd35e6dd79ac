/* dedup/words.h — the word tokenizer that decontamination, exact dedup and MinHash share, so
 * that "the same words" means the same thing in every stage.
 *
 * A word is a maximal run of letters and digits, lowercased.  Everything else (ASCII and Unicode
 * punctuation, symbols, whitespace, control bytes, invalid UTF-8) is a word break and is
 * dropped.  Every CJK character (Han, kana, and their extensions) is a word by itself, so
 * Chinese text without spaces still yields n-grams.  Fullwidth ASCII (U+FF01..FF5E) is folded to
 * ASCII.  Lowercasing covers ASCII, Latin-1/Latin Extended-A, Greek and Cyrillic.
 *
 * Each word is reduced to a 64-bit hash of its lowercased code points; n-gram keys are built
 * from these word hashes (see decontam.c and minhash.c).  The iterator allocates nothing and
 * touches each byte once: ASCII goes through a 256-entry table, other bytes through a short
 * range test. */
#ifndef MM_DEDUP_WORDS_H
#define MM_DEDUP_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/* Per byte: 0 = break, 0xFF = start of a non-ASCII sequence, else the lowercased ASCII char. */
MM_API extern const uint8_t mm_dedup_ascii[256];

enum { MM_DEDUP_BREAK = 0, MM_DEDUP_LETTER = 1, MM_DEDUP_CJK = 2 };
/* Class of a non-ASCII byte sequence at p (avail bytes): sets *len (bytes consumed, >= 1) and
 * *lower (the code point to hash). */
MM_API int mm_dedup_class(const uint8_t *p, size_t avail, int *len, uint32_t *lower);

#define MM_DEDUP_FNV_OFFSET 0xcbf29ce484222325ull
#define MM_DEDUP_FNV_PRIME 0x100000001b3ull

static inline uint64_t mm_dedup_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* The next word at or after *pp (< end).  Returns 1 and sets *hash, *ws (first byte of the word)
 * and *we (one past its last byte); returns 0 at the end of the text.  *pp advances. */
static inline int mm_dedup_word_next(const uint8_t **pp, const uint8_t *end, uint64_t *hash,
                                     const uint8_t **ws, const uint8_t **we) {
    const uint8_t *p = *pp, *s = NULL, *e = NULL;
    uint64_t h = MM_DEDUP_FNV_OFFSET;
    while (p < end) {
        uint8_t k = mm_dedup_ascii[*p];
        if (k != 0 && k != 0xFF) {
            if (!s) s = p;
            h = (h ^ k) * MM_DEDUP_FNV_PRIME;
            e = ++p;
            continue;
        }
        if (k == 0) {
            p++;
            if (s) break;
            continue;
        }
        int len;
        uint32_t low;
        int cls = mm_dedup_class(p, (size_t)(end - p), &len, &low);
        if (cls == MM_DEDUP_LETTER) {
            if (!s) s = p;
            h = (h ^ low) * MM_DEDUP_FNV_PRIME;
            p += len;
            e = p;
            continue;
        }
        if (cls == MM_DEDUP_CJK) {
            if (s) break; /* ends the current word; the CJK char is the next word */
            s = p;
            h = (h ^ low) * MM_DEDUP_FNV_PRIME;
            p += len;
            e = p;
            break;
        }
        p += len;
        if (s) break;
    }
    *pp = p;
    if (!s) return 0;
    *hash = mm_dedup_mix64(h);
    *ws = s;
    *we = e;
    return 1;
}

/* Convenience for tests and small texts: the word hashes of text[0..n) into out[0..cap);
 * returns the number of words (which may exceed cap; only cap are stored). */
MM_API size_t mm_dedup_words(const char *text, size_t n, uint64_t *out, size_t cap);

/* The normalised form of text[0..n): its words joined by single spaces, appended to b. */
MM_API mm_err mm_dedup_normalise(const char *text, size_t n, mm_buf *b);

#endif
