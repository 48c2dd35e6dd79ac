/* dedup/words.h — the word tokenizer that decontamination, exact dedup and MinHash share, so
 * that "the same words" means the same thing in every stage.
 *
 * A word is a maximal run of letters and digits, lowercased.  Everything else (ASCII and Unicode
 * punctuation, symbols, whitespace, control bytes, invalid UTF-8) is a word break and is
 * dropped.  Every CJK character (Han, kana, and their extensions) is a word by itself, so
 * Chinese text without spaces still yields n-grams.  Fullwidth ASCII (U+FF01..FF5E) is folded to
 * ASCII.  Lowercasing covers ASCII, Latin-1/Latin Extended-A, Greek and Cyrillic.
 *
 * Each word is reduced to a 64-bit hash of its normalised bytes; n-gram keys are built from
 * these word hashes (see decontam.c and minhash.c).  The iterator allocates nothing.  ASCII
 * words under 64 bytes take an SSE2 path; everything else goes byte by byte through a 256-entry
 * table and, for non-ASCII bytes, a short range test. */
#ifndef MM_DEDUP_WORDS_H
#define MM_DEDUP_WORDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"

/* Per byte: 0 = break, 0xFF = start of a non-ASCII sequence, else the lowercased ASCII char. */
MM_API extern const uint8_t mm_dedup_ascii[256];
/* For a word of len bytes (1..16): the masks of its bytes in its first and second 8-byte chunk
 * (the second is one byte for len <= 8: that fold is not used then). */
MM_API extern const uint64_t mm_dedup_chunk_masks[17][2];

enum { MM_DEDUP_BREAK = 0, MM_DEDUP_LETTER = 1, MM_DEDUP_CJK = 2 };
/* Class of a non-ASCII byte sequence at p (avail bytes): sets *len (bytes consumed, >= 1) and
 * *lower (the code point to hash). */
MM_API int mm_dedup_class(const uint8_t *p, size_t avail, int *len, uint32_t *lower);

static inline uint64_t mm_dedup_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* The hash of a word is a hash of its normalised bytes (what mm_dedup_normalise writes: ASCII
 * lowercased, other letters as the UTF-8 of their lowercase): the bytes are taken 8 at a time as
 * little-endian 64-bit chunks (the last one zero-padded), each folded in with one multiply, and
 * the byte count is mixed in at the end. */
#define MM_DEDUP_SEED 0x2545F4914F6CDD1Dull
static inline uint64_t mm_dedup_fold(uint64_t h, uint64_t chunk) {
    h = (h ^ chunk) * 0x9FB21C651E98DF25ull;
    return h << 31 | h >> 33;
}
/* The raw value of a word: its folded chunks plus its byte count.  Distinct words have distinct
 * raw values exactly when they have distinct hashes (mix64 is a bijection); a user that mixes
 * the values itself (decontamination's n-gram keys) takes the raw ones and saves the mix. */
static inline uint64_t mm_dedup_raw(uint64_t h, uint64_t nbytes) {
    return h + nbytes * 0xC2B2AE3D27D4EB4Full;
}
static inline uint64_t mm_dedup_finish(uint64_t h, uint64_t nbytes) {
    return mm_dedup_mix64(mm_dedup_raw(h, nbytes));
}

/* The plain reference, byte by byte: the next word at or after *pp (< end); returns 1 and sets
 * *hash, *ws and *we as mm_dedup_iter_next does, and moves *pp past the word; returns 0 at the
 * end of the text.  The iterator's fast path below
 * hands every word it cannot take (non-ASCII, 64 bytes or longer)
 * to this one, and tests check that both give the same words. */
MM_API int mm_dedup_word_next_ref(const uint8_t **pp, const uint8_t *end, uint64_t *hash,
                                  const uint8_t **ws, const uint8_t **we);
/* The same, setting *raw (mm_dedup_raw) instead of the hash. */
MM_API int mm_dedup_word_next_ref_raw(const uint8_t **pp, const uint8_t *end, uint64_t *raw,
                                      const uint8_t **ws, const uint8_t **we);

#if defined(__SSE2__)
#include <emmintrin.h>
/* Bytes of v in [lo, hi], as 0xFF/0x00 lanes. */
static inline __m128i mm_dedup_in_range(__m128i v, char lo, char hi) {
    __m128i t = _mm_sub_epi8(v, _mm_set1_epi8(lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8((char)(hi - lo))), t);
}
/* Bit i set when byte i of v is an ASCII letter or digit; *alpha marks the letters. */
static inline unsigned mm_dedup_word_bits(__m128i v, __m128i *alpha) {
    *alpha = mm_dedup_in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(*alpha, mm_dedup_in_range(v, '0', '9')));
}
#endif

static inline uint64_t mm_dedup_load64(const uint8_t *p) {
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* The folded hash (before mm_dedup_finish) of the len ASCII letters and digits at p, lowercased;
 * 16 bytes from p must be readable.  Words of up to 16 bytes (nearly all) take no branch on
 * their length, which is a coin toss from one word to the next: both chunks are folded, the
 * bytes past the word masked off, and a select keeps one fold or two. */
static inline uint64_t mm_dedup_hash_ascii(const uint8_t *p, unsigned len) {
    const uint64_t lower = 0x2020202020202020ull;
    if (__builtin_expect(len > 16, 0)) {
        uint64_t h = MM_DEDUP_SEED;
        unsigned i = 0;
        for (; i + 8 <= len; i += 8)
            h = mm_dedup_fold(h, mm_dedup_load64(p + i) | lower);
        if (i < len)
            h = mm_dedup_fold(h, (mm_dedup_load64(p + i) | lower) & ((1ull << 8 * (len - i)) - 1));
        return h;
    }
    const uint64_t *m = mm_dedup_chunk_masks[len]; /* the word's bytes in each chunk */
    uint64_t h1 = mm_dedup_fold(MM_DEDUP_SEED, (mm_dedup_load64(p) | lower) & m[0]);
    uint64_t h2 = mm_dedup_fold(h1, (mm_dedup_load64(p + 8) | lower) & m[1]);
    return len > 8 ? h2 : h1;
}

/* An iterator over the words of a text.  Fast path (SSE2): 64 bytes are classified at once into
 * a mask of runs (of ASCII letters and digits, and of bytes >= 0x80) and a mask of the bytes
 * >= 0x80; the first and the last byte of every run become bits of two masks, and each word
 * takes the lowest bit of each (a bit scan and a clear).  So from one word to the next there is
 * no per-byte loop, no new load until the 64 bytes are used up, and no dependence on the word
 * before: the next word's bounds do not wait for this one's length.  The word is lowercased and
 * hashed 8 bytes at a time (for ASCII letters and digits, lowercase is "| 0x20").  Runs the fast
 * path cannot take (with a byte >= 0x80, 64 bytes or longer) go to the reference; a run that
 * reaches the block's end is classified again from its start.  The fast path reads 80 bytes
 * past where it stands, so the last bytes of a text (under 80) are copied into tail[], zero
 * padded (zero is a break), and the words there are handed out as pointers into the text all
 * the same.  The iterator points into itself then: copy it only before its first word. */
enum { MM_DEDUP_TAIL = 160 };
typedef struct mm_dedup_iter {
    const uint8_t *p, *end; /* p: where to go on when block is NULL */
    const uint8_t *block;   /* the classified 64 bytes, or NULL; then on at block + 64 */
    uint64_t first, last;   /* bits of the runs not taken yet: their first and last bytes */
    uint64_t high;          /* bit i: block[i] >= 0x80 */
    const uint8_t *tail_of; /* NULL, or where tail[0] lies in the text once p and end are in tail */
    uint8_t tail[MM_DEDUP_TAIL];
} mm_dedup_iter;

static inline void mm_dedup_iter_init(mm_dedup_iter *it, const void *text, size_t n) {
    it->p = (const uint8_t *)text;
    it->end = it->p + n;
    it->block = NULL;
    it->first = it->last = it->high = 0;
    it->tail_of = NULL;
}

/* A word found in tail[] (p is inside it), as a pointer into the text. */
static inline const uint8_t *mm_dedup_iter_text_ptr(const mm_dedup_iter *it, const uint8_t *p) {
    return it->tail_of ? it->tail_of + (p - it->tail) : p;
}

/* One word; mix (a constant) says whether *hash is the word's hash or its raw value.  ws and
 * we may be NULL (a caller that only wants the values: the bounds then cost nothing). */
static inline __attribute__((always_inline)) int mm_dedup_iter_step(mm_dedup_iter *it,
                                                                    uint64_t *hash,
                                                                    const uint8_t **ws,
                                                                    const uint8_t **we, int mix) {
#if defined(__SSE2__) && defined(__x86_64__)
    for (;;) {
        if (!it->first) { /* classify the next 64 bytes (never from inside a word) */
            const uint8_t *p = it->block ? it->block + 64 : it->p;
            it->block = NULL;
            it->p = p;
            if (it->end - p < 80 && !it->tail_of) { /* go on in a zero-padded copy */
                size_t left = (size_t)(it->end - p);
                if (!left) return 0;
                memcpy(it->tail, p, left);
                memset(it->tail + left, 0, MM_DEDUP_TAIL - left);
                it->tail_of = p;
                p = it->p = it->tail;
                it->end = it->tail + left;
            }
            if (p >= it->end) return 0;
            uint64_t word = 0, high = 0;
            for (int k = 0; k < 4; k++) {
                __m128i alpha, v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
                word |= (uint64_t)mm_dedup_word_bits(v, &alpha) << (16 * k);
                high |= (uint64_t)(unsigned)_mm_movemask_epi8(v) << (16 * k);
            }
            uint64_t any = word | high;
            it->block = p, it->high = high;
            it->first = any & ~(any << 1), it->last = any & ~(any >> 1);
            if (!it->first) continue;
        }
        const uint8_t *b = it->block;
        unsigned s = (unsigned)__builtin_ctzll(it->first), e = (unsigned)__builtin_ctzll(it->last);
        it->first &= it->first - 1;
        it->last &= it->last - 1;
        if (e == 63) { /* the run may go on past the block: classify again from its start */
            it->block = NULL;
            it->first = 0;
            it->p = b + s;
            if (s == 0) break; /* 64 bytes or more */
            continue;
        }
        if (__builtin_expect(it->high != 0, 0) &&
            (it->high & ((2ull << e) - (1ull << s)))) { /* non-ASCII: the reference takes it */
            it->block = NULL;
            it->first = 0;
            it->p = b + s;
            break;
        }
        unsigned len = e - s + 1;
        uint64_t raw = mm_dedup_raw(mm_dedup_hash_ascii(b + s, len), len);
        *hash = mix ? mm_dedup_mix64(raw) : raw;
        if (ws) *ws = mm_dedup_iter_text_ptr(it, b + s);
        if (we) *we = mm_dedup_iter_text_ptr(it, b + s) + len;
        return 1;
    }
#endif
    const uint8_t *s0, *e0;
    int got = mix ? mm_dedup_word_next_ref(&it->p, it->end, hash, &s0, &e0)
                  : mm_dedup_word_next_ref_raw(&it->p, it->end, hash, &s0, &e0);
    if (got && ws) *ws = mm_dedup_iter_text_ptr(it, s0);
    if (got && we) *we = mm_dedup_iter_text_ptr(it, e0);
    return got;
}

/* The next word: returns 1 and sets *hash, *ws (first byte of the word) and *we (one past its
 * last byte; either may be NULL); returns 0 at the end of the text. */
static inline __attribute__((always_inline)) int
mm_dedup_iter_next(mm_dedup_iter *it, uint64_t *hash, const uint8_t **ws, const uint8_t **we) {
    return mm_dedup_iter_step(it, hash, ws, we, 1);
}

/* The same with the word's raw value (mm_dedup_raw) in *raw: one mix less per word. */
static inline __attribute__((always_inline)) int
mm_dedup_iter_next_raw(mm_dedup_iter *it, uint64_t *raw, const uint8_t **ws, const uint8_t **we) {
    return mm_dedup_iter_step(it, raw, ws, we, 0);
}

/* Convenience for tests and small texts: the word hashes of text[0..n) into out[0..cap);
 * returns the number of words (which may exceed cap; only cap are stored). */
MM_API size_t mm_dedup_words(const char *text, size_t n, uint64_t *out, size_t cap);

/* The normalised form of text[0..n): its words joined by single spaces, appended to b. */
MM_API mm_err mm_dedup_normalise(const char *text, size_t n, mm_buf *b);

#endif
