/* dedup/decontam.c — the benchmark n-gram index and the document scan.
 *
 * Keys.  Every word becomes a 64-bit value (words.h: its raw value, the hash before the final
 * mix, which the key's own mix makes up for).  A word sequence w[0..k) gets the
 * polynomial hash H = sum w[j] * B^(k-1-j) mod 2^64, and its key is mix64(H + k * G): so one
 * table holds both the n-grams of long texts (k = n) and the whole short texts (k = 3..n-1).
 * With prefix hashes P(i) = P(i-1) * B + w[i], the hash of the k words ending at word i is
 * P(i) - P(i-k) * B^k: the scan keeps a ring of the last prefixes and gets every window in O(1)
 * (and every word: w[i] = P(i) - P(i-1) * B, so no ring of words is kept).
 *
 * The scan.  Per word: one multiply-add for the prefix, one bit of the vocabulary filter (is it
 * a word of some benchmark text?  build_vocab), which extends or resets the run of benchmark
 * words ending here; a word ending a run of 3 is kept, and only the kept words get their
 * prefilter position (two multiplies).  Only a word ending a run
 * of n benchmark words tests three bits in one 64-bit word of a blocked Bloom filter with 8-16
 * bits per key (2 MB for all of ../shared/benchmarks; ~2% of the windows it sees go on to probe
 * the table); only one ending a run of 3 tests the short texts' trigram filter.  Phase 1 has no
 * branch that depends on the text (see the scan).
 * Short texts are found through a second, small bitmap over their last trigram: only when the
 * three words ending here end some short text are the lengths 3..n-1 probed.  A key hit is
 * verified word by word against the benchmark text before it counts, so a 64-bit collision can
 * never remove a document.  Keys shared by several texts (MATH-500 is inside MATH) chain their
 * entries, and each text is reported once per document. */
#include "dedup/decontam_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hugemem.h"
#include "dedup/words.h"

/* The scan is also compiled for x86-64-v3 and chosen at load time: BMI2's shifts by a register
 * (shlx, shrx) are one micro-op where the plain ones are three, and the Bloom masks and the
 * run masks of the tokenizer are mostly such shifts (GCC only; clang, used for the fuzz build,
 * and the sanitizer build get the portable version). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
#define MM_SCAN_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define MM_SCAN_CLONES
#endif

#define HB 0x9E3779B97F4A7C15ull /* B: odd multiplier of the polynomial hash */
#define HG 0xC2B2AE3D27D4EB4Full /* G: length salt */
#define NONE UINT32_MAX
#define RING 1024 /* > BATCH + MM_DECONTAM_MAX_N, a power of two */
#define BATCH 256

static inline uint64_t key_of(uint64_t h, uint64_t k) {
    return mm_dedup_mix64(h + k * HG);
}
/* The prefilter position of the same window: one multiply (the high bits of a product of an
 * already well-mixed polynomial hash), so a clean word costs no full mix. */
#define HF 0xD6E8FEB86659FD93ull
static inline uint64_t filt_of(uint64_t h, uint64_t k) {
    return (h + k * HG) * HF;
}

mm_err mm_decontam_create(int n, mm_decontam **out) {
    *out = NULL;
    if (n < 3 || n > MM_DECONTAM_MAX_N)
        return mm_fail(MM_ERR_ARG, "n-gram length %d outside 3..%d", n, MM_DECONTAM_MAX_N);
    mm_decontam *d = mm_calloc(1, sizeof *d);
    if (!d) return MM_ERR_NOMEM;
    d->n = n;
    d->powB[0] = 1;
    for (int i = 1; i < MM_DECONTAM_MAX_N + 2; i++)
        d->powB[i] = d->powB[i - 1] * HB;
    MM_TRY(mm_buf_putc(&d->arena, 0)); /* offset 0 = "" */
    *out = d;
    return MM_OK;
}

void mm_decontam_free(mm_decontam *d) {
    if (!d) return;
    for (size_t i = 0; i < d->nbench; i++) {
        free(d->bench[i].name);
        free(d->bench[i].file);
        free(d->bench[i].fields);
    }
    for (size_t i = 0; i < d->nproblems; i++)
        free(d->problems[i]);
    free(d->bench);
    free(d->texts);
    free(d->problems);
    free(d->pend);
    size_t slots = d->keys ? (size_t)d->mask + 1 : 0;
    mm_huge_free(d->keys, slots * sizeof *d->keys);
    mm_huge_free(d->heads, slots * sizeof *d->heads);
    free(d->ent);
    if (d->bits) mm_huge_free(d->bits, 8ull << (64 - d->bits_shift));
    if (d->tri) mm_huge_free(d->tri, 8ull << (64 - d->tri_shift));
    free(d->ends);
    if (d->vocab) mm_huge_free(d->vocab, 1ull << (64 - d->vocab_shift) >> 3);
    mm_buf_free(&d->arena);
    free(d);
}

/* Grow *arr (of *cap elements of size sz) to hold at least need elements. */
static mm_err grow(void **arr, size_t *cap, size_t need, size_t sz) {
    if (need <= *cap) return MM_OK;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *p = realloc(*arr, c * sz);
    if (!p) return mm_fail(MM_ERR_NOMEM, "out of memory growing to %zu items", c);
    *arr = p;
    *cap = c;
    return MM_OK;
}
#define GROW(arr, cap, need) grow((void **)&(arr), &(cap), (need), sizeof *(arr))

mm_err dc_problem(mm_decontam *d, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    MM_TRY(GROW(d->problems, d->capproblems, d->nproblems + 1));
    if (!(d->problems[d->nproblems] = mm_strndup(msg, strlen(msg)))) return MM_ERR_NOMEM;
    d->nproblems++;
    return MM_OK;
}

static char *dupz(const char *s) {
    return mm_strndup(s ? s : "", s ? strlen(s) : 0);
}

mm_err dc_bench_add(mm_decontam *d, const char *name, const char *file, const char *fields,
                    uint32_t *bi) {
    MM_TRY(GROW(d->bench, d->capbench, d->nbench + 1));
    dc_bench *b = &d->bench[d->nbench];
    memset(b, 0, sizeof *b);
    b->name = dupz(name);
    b->file = dupz(file);
    b->fields = dupz(fields);
    if (!b->name || !b->file || !b->fields) return MM_ERR_NOMEM;
    *bi = (uint32_t)d->nbench++;
    return MM_OK;
}

static mm_err arena_str(mm_decontam *d, const char *s, size_t n, uint64_t *off) {
    *off = d->arena.len;
    MM_TRY(mm_buf_append(&d->arena, s, n));
    return mm_buf_putc(&d->arena, 0);
}

/* A word that says little on its own: a number, or one ASCII letter ("x", "p", "3", "1024"). */
static bool trivial_word(const uint8_t *s, const uint8_t *e) {
    if (e - s == 1 && *s < 0x80) return true;
    for (; s < e; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

/* Hash the words of a text into the pending key list.  Windows made only of numbers and single
 * letters are not used: "1 2 3 4 5 6 7 8 9 10" is an n-gram of some benchmark solution and of
 * every table on the web, and "3 5 7" or "p q r" are whole answers.  An n-gram needs at least
 * MIN_REAL_NGRAM real words, a short text MIN_REAL_SHORT. */
#define MIN_REAL_NGRAM 2
#define MIN_REAL_SHORT 1
static mm_err index_text(mm_decontam *d, uint32_t t, const char *s, size_t len) {
    const uint8_t *ws, *we;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, s, len);
    uint64_t pref[RING], w, P = 0;
    uint32_t real[RING], R = 0, i = 0, n = (uint32_t)d->n, used = 0;
    pref[0] = 0;
    real[0] = 0;
    while (mm_dedup_iter_next_raw(&it, &w, &ws, &we)) {
        P = P * HB + w;
        R += !trivial_word(ws, we);
        i++;
        pref[i % RING] = P;
        real[i % RING] = R;
        if (i >= n && R - real[(i - n) % RING] >= MIN_REAL_NGRAM) {
            MM_TRY(GROW(d->pend, d->cappend, d->npend + 1));
            uint64_t h = P - pref[(i - n) % RING] * d->powB[n];
            d->pend[d->npend++] = (dc_pending){key_of(h, n), filt_of(h, n), t, i - n};
            used++;
        }
    }
    d->texts[t].words = i;
    dc_bench *b = &d->bench[d->texts[t].bench];
    if (i < 3) {
        b->too_short++;
        return MM_OK;
    }
    if (i < n && R >= MIN_REAL_SHORT) {
        b->short_texts++;
        d->short_lens |= 1ull << i;
        MM_TRY(GROW(d->pend, d->cappend, d->npend + 1));
        d->pend[d->npend++] = (dc_pending){key_of(P, i), filt_of(P, i), t, 0};
        used++;
    }
    if (used)
        b->texts++, d->texts[t].used = 1;
    else
        b->trivial++;
    return MM_OK;
}

mm_err dc_text_add(mm_decontam *d, uint32_t bi, const char *text, size_t n, uint64_t item,
                   uint64_t line, const char *field, const char *id) {
    if (d->built) return mm_fail(MM_ERR_ARG, "benchmark index already built");
    if (d->ntexts >= NONE - 1) return mm_fail(MM_ERR_TOO_LARGE, "too many benchmark texts");
    MM_TRY(GROW(d->texts, d->captexts, d->ntexts + 1));
    dc_text *t = &d->texts[d->ntexts];
    memset(t, 0, sizeof *t);
    uint64_t off;
    MM_TRY(arena_str(d, text, n, &off));
    t->off = off;
    t->len = n;
    MM_TRY(arena_str(d, field ? field : "", field ? strlen(field) : 0, &off));
    t->field = (uint32_t)off;
    MM_TRY(arena_str(d, id ? id : "", id ? strlen(id) : 0, &off));
    t->id = (uint32_t)off;
    if (d->arena.len > UINT32_MAX) return mm_fail(MM_ERR_TOO_LARGE, "benchmark texts over 4 GB");
    t->bench = bi;
    t->item = item;
    t->line = line;
    d->ntexts++;
    return index_text(d, (uint32_t)(d->ntexts - 1), text, n);
}

mm_err mm_decontam_add_text(mm_decontam *d, const char *bench, const char *text, size_t n) {
    uint32_t bi = NONE;
    for (size_t i = 0; i < d->nbench; i++)
        if (!strcmp(d->bench[i].name, bench) && !*d->bench[i].file) bi = (uint32_t)i;
    if (bi == NONE) MM_TRY(dc_bench_add(d, bench, "", "text", &bi));
    uint64_t item = d->bench[bi].records++;
    return dc_text_add(d, bi, text, n, item, 0, "text", "");
}

static uint64_t pow2_at_least(uint64_t x) {
    uint64_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

static int log2u(uint64_t p) {
    return 63 - __builtin_clzll(p);
}

static mm_err alloc_bits(uint64_t nbits, uint64_t **bits, int *shift) {
    *bits = mm_huge_alloc(nbits / 8);
    if (!*bits) return MM_ERR_NOMEM;
    *shift = 64 - log2u(nbits / 64);
    return MM_OK;
}

/* The prefilters are blocked Bloom filters: the top bits of a position pick one 64-bit word,
 * the next 18 bits three bits inside it, so a test is one memory access (which the scan
 * prefetches).  Sized at 8 bits per key rounded up to a power of two: the filter stays small
 * enough to live in cache next to the JSON reader and zstd, and lets ~2.3% of the windows it
 * sees in clean text through to the key table.  (16 bits per key let 0.5% through but was no
 * faster once the vocabulary filter kept two thirds of the words away from it.)
 * shift = 64 - log2(words). */
static inline uint64_t bloom_mask(uint64_t f, int shift) {
    uint64_t g = f >> (shift - 18); /* the 18 bits under the word index */
    return 1ull << (g >> 12 & 63) | 1ull << (g >> 6 & 63) | 1ull << (g & 63);
}
static inline void bit_set(uint64_t *bits, int shift, uint64_t f) {
    bits[f >> shift] |= bloom_mask(f, shift);
}
static inline int bit_get(const uint64_t *bits, int shift, uint64_t f) {
    uint64_t m = bloom_mask(f, shift);
    return (bits[f >> shift] & m) == m;
}

/* The raw values of the first cap words of text[0..n) into out. */
static void words_raw(const char *text, size_t n, uint64_t *out, size_t cap) {
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, text, n);
    for (size_t k = 0; k < cap && mm_dedup_iter_next_raw(&it, &out[k], NULL, NULL); k++)
        ;
}

/* A word's position in a one-bit-per-word bitmap (vocab, ends): a word's raw value (words.h) is
 * not mixed, and one multiply spreads it to the top bits. */
static inline uint64_t word_pos(uint64_t w) {
    return w * HF;
}

/* Short texts: set the trigram prefilter bit of their last three words, and the bit of their
 * last word in ends (8 bits per short text: the scan looks at the trigram only after a word
 * whose bit is set, about half the words that end a run of 3 on English text). */
static mm_err build_tri(mm_decontam *d) {
    uint64_t nshort = 0;
    for (size_t b = 0; b < d->nbench; b++)
        nshort += d->bench[b].short_texts;
    MM_TRY(
        alloc_bits(pow2_at_least(nshort * 64 < 4096 ? 4096 : nshort * 64), &d->tri, &d->tri_shift));
    uint64_t nends = pow2_at_least(nshort * 8 < 512 ? 512 : nshort * 8);
    if (!(d->ends = mm_calloc(nends / 64, sizeof *d->ends))) return MM_ERR_NOMEM;
    d->ends_shift = 64 - log2u(nends);
    for (size_t t = 0; t < d->ntexts; t++) {
        uint32_t k = d->texts[t].words;
        if (k < 3 || k >= (uint32_t)d->n || !d->texts[t].used) continue;
        uint64_t w[MM_DECONTAM_MAX_N];
        words_raw(d->arena.data + d->texts[t].off, d->texts[t].len, w, k);
        uint64_t h = (w[k - 3] * HB + w[k - 2]) * HB + w[k - 1];
        bit_set(d->tri, d->tri_shift, filt_of(h, 3));
        uint64_t e = word_pos(w[k - 1]) >> d->ends_shift;
        d->ends[e >> 6] |= 1ull << (e & 63);
    }
    return MM_OK;
}

/* The vocabulary filter: one bit per word hash of every benchmark text (the top bits of the
 * hash pick it).  A window of k document words can match only when all k are benchmark words,
 * so the scan counts the run of consecutive words whose bit is set and looks at the n-gram
 * filters only for words that end a run of 3 or more (a third of the words of English web
 * text reach a run of 10).  The bitmap is built at 2 Mbit, then folded to about VOCAB_BITS bits
 * per distinct word (32 KB for the 26,500 words of ../shared/benchmarks: ~10% of other words
 * pass), so it stays in L1 beside the batch arrays. */
#define VOCAB_BITS 8
static mm_err build_vocab(mm_decontam *d) {
    const int big_shift = 64 - 21;
    uint64_t *big = mm_calloc((1u << 21) / 64, sizeof *big);
    if (!big) return MM_ERR_NOMEM;
    uint64_t w, set = 0;
    for (size_t t = 0; t < d->ntexts; t++) {
        if (!d->texts[t].used) continue;
        mm_dedup_iter it;
        mm_dedup_iter_init(&it, d->arena.data + d->texts[t].off, d->texts[t].len);
        while (mm_dedup_iter_next_raw(&it, &w, NULL, NULL))
            big[word_pos(w) >> big_shift >> 6] |= 1ull << (word_pos(w) >> big_shift & 63);
    }
    for (size_t k = 0; k < (1u << 21) / 64; k++)
        set += (uint64_t)__builtin_popcountll(big[k]);
    uint64_t nbits = pow2_at_least(set * VOCAB_BITS);
    nbits = nbits < 4096 ? 4096 : nbits > (1u << 21) ? (1u << 21) : nbits;
    d->vocab = mm_huge_alloc(nbits / 8);
    if (!d->vocab) {
        free(big);
        return MM_ERR_NOMEM;
    }
    d->vocab_shift = 64 - log2u(nbits);
    int fold = log2u((1u << 21) / nbits); /* a small bit covers 2^fold big ones */
    for (uint64_t b = 0; b < (1u << 21); b++)
        if (big[b >> 6] >> (b & 63) & 1) d->vocab[(b >> fold) >> 6] |= 1ull << ((b >> fold) & 63);
    free(big);
    return MM_OK;
}

mm_err mm_decontam_build(mm_decontam *d) {
    if (d->built) return MM_OK;
    uint64_t cap = pow2_at_least(d->npend * 2 < 1024 ? 1024 : d->npend * 2);
    d->keys = mm_huge_alloc(cap * sizeof *d->keys); /* probed at random by the scan */
    d->heads = mm_huge_alloc(cap * sizeof *d->heads);
    d->ent = mm_malloc((d->npend ? d->npend : 1) * sizeof *d->ent);
    if (!d->keys || !d->heads || !d->ent) return MM_ERR_NOMEM;
    d->mask = cap - 1;
    MM_TRY(alloc_bits(pow2_at_least(d->npend * 8 < 65536 ? 65536 : d->npend * 8), &d->bits,
                      &d->bits_shift));
    /* Insert in reverse so that each chain lists its entries in load order. */
    for (size_t k = d->npend; k-- > 0;) {
        const dc_pending *pd = &d->pend[k];
        uint64_t key = pd->key ? pd->key : 1, i = key & d->mask;
        while (d->keys[i] && d->keys[i] != key)
            i = (i + 1) & d->mask;
        uint32_t e = (uint32_t)d->nent++;
        d->ent[e] = (dc_entry){pd->text, pd->start, d->keys[i] ? d->heads[i] : NONE};
        if (!d->keys[i]) d->nkeys++;
        d->keys[i] = key;
        d->heads[i] = e;
        bit_set(d->bits, d->bits_shift, pd->filt);
    }
    free(d->pend);
    d->pend = NULL;
    d->npend = d->cappend = 0;
    MM_TRY(build_tri(d));
    MM_TRY(build_vocab(d));
    d->built = true;
    return MM_OK;
}

/* Does the benchmark text t, from word `start`, have the `len` words ending at word i + 1 of the
 * document?  Word k (1-based) is P(k) - P(k-1) * B, from the ring of prefixes. */
static bool verify(const mm_decontam *d, uint32_t t, uint32_t start, uint32_t len,
                   const uint64_t *pref, uint64_t i) {
    const dc_text *tx = &d->texts[t];
    uint64_t w;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, d->arena.data + tx->off, tx->len);
    for (uint32_t j = 0; j < start; j++)
        if (!mm_dedup_iter_next_raw(&it, &w, NULL, NULL)) return false;
    for (uint32_t j = 0; j < len; j++) {
        if (!mm_dedup_iter_next_raw(&it, &w, NULL, NULL)) return false;
        uint64_t k = i - len + 2 + j;
        if (w != pref[k % RING] - pref[(k - 1) % RING] * HB) return false;
    }
    return true;
}

/* Probe `key` for the window of `len` words ending at word i; add verified new texts. */
static size_t probe(const mm_decontam *d, uint64_t key, uint32_t len, const uint64_t *pref,
                    uint64_t i, mm_decontam_match *out, size_t nout, size_t cap) {
    key = key ? key : 1;
    uint64_t s = key & d->mask;
    while (d->keys[s] != key) {
        if (!d->keys[s]) return nout;
        s = (s + 1) & d->mask;
    }
    for (uint32_t e = d->heads[s]; e != NONE && nout < cap; e = d->ent[e].next) {
        uint32_t t = d->ent[e].text;
        bool seen = false;
        for (size_t m = 0; m < nout && !seen; m++)
            seen = out[m].text == t;
        if (seen || !verify(d, t, d->ent[e].start, len, pref, i)) continue;
        out[nout++] =
            (mm_decontam_match){t, d->ent[e].start, len, len < (uint32_t)d->n, i + 1 - len};
    }
    return nout;
}

typedef struct scan_cand {
    uint64_t key, word; /* the key to probe; the window's last word (1-based) */
    uint32_t len;       /* the window's words */
} scan_cand;

/* Probe the candidates c[0..nc) in order; returns the matches found so far. */
static size_t probe_all(const mm_decontam *d, const scan_cand *c, size_t nc, const uint64_t *pref,
                        mm_decontam_match *out, size_t nout, size_t cap) {
    for (size_t k = 0; k < nc && nout < cap; k++)
        nout = probe(d, c[k].key, c[k].len, pref, c[k].word - 1, out, nout, cap);
    return nout;
}

/* The scan works in batches of BATCH words.  Phase 1 tokenises the batch and lists two kinds of
 * words: those that end a run of n benchmark words (wide[]: an n-gram window to test) and those
 * that end a run of 3 and are the last word of some short text (ends_at[]: whole short texts
 * could end there).  Then the wide words' n-gram filter positions are computed and their bitmap
 * words prefetched, and tested: the bitmap (a few MB) does not fit in L2, and one cache miss per
 * word was most of the time; issuing a batch of prefetches lets the misses overlap.  Phase 2
 * goes through both lists in word order, so that the candidates (per word: its n-gram, then its
 * short lengths) and so the matches come in the order of the text, and phase 3 probes them.
 * The positions are computed in their own loop, not in the tokenising loop: that one is the
 * longest, and every instruction taken out of it paid more than the same instruction in a loop
 * over fewer words. */
MM_SCAN_CLONES size_t mm_decontam_scan(const mm_decontam *d, const char *text, size_t n,
                                       mm_decontam_match *out, size_t cap) {
    if (!d->built || !cap) return 0;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, text, n);
    uint64_t pref[RING], fpos[BATCH], w, P = 0, i = 0;
    /* per word of the batch (by its index in it): the run of benchmark words it ends; the lists
     * of phase 1 (indices); hit[]: the wide words that pass the filter, closed by BATCH + 1 */
    uint32_t runs[BATCH], wide[BATCH], ends_at[BATCH], hit[BATCH + 1], run = 0;
    enum { CANDS = BATCH * 8 };
    scan_cand cand[CANDS]; /* the candidates of a batch */
    const uint64_t N = (uint64_t)d->n, Bn = d->powB[N], B3 = d->powB[3];
    const uint64_t *bits = d->bits, *tri = d->tri, *vocab = d->vocab, *ends = d->ends;
    const uint64_t lens = d->short_lens;
    const int shift = d->bits_shift, tshift = d->tri_shift, vshift = d->vocab_shift,
              eshift = d->ends_shift;
    const size_t per_word = 1 + (size_t)__builtin_popcountll(lens);
    const bool may_fill = BATCH * per_word > CANDS; /* only with a large n */
    size_t nout = 0;
    pref[0] = 0;
    for (;;) {
        /* phase 1: up to BATCH words; word number i (1-based) ends at prefix pref[i] */
        uint64_t first = i + 1;
        size_t nb = 0, nwide = 0, nend = 0;
        while (nb < BATCH && mm_dedup_iter_next_raw(&it, &w, NULL, NULL)) {
            P = P * HB + w;
            i++;
            pref[i % RING] = P;
            /* No branches here: whether a word is a benchmark word is a coin toss, and a
             * mispredicted branch per word cost more than the filter reads it saved. */
            uint64_t wp = word_pos(w), vb = wp >> vshift, eb = wp >> eshift;
            run = (run + 1) & -(uint32_t)(vocab[vb >> 6] >> (vb & 63) & 1);
            runs[nb] = run;
            wide[nwide] = (uint32_t)nb;
            nwide += run >= N;
            ends_at[nend] = (uint32_t)nb;
            nend += (run >= 3) & (uint32_t)(ends[eb >> 6] >> (eb & 63));
            nb++;
        }
        if (!nb) break;
        for (size_t j = 0; j < nwide; j++) {
            uint64_t k1 = first + wide[j]; /* >= N: a run of n ends here */
            uint64_t f = filt_of(pref[k1 % RING] - pref[(k1 - N) % RING] * Bn, N);
            __builtin_prefetch(&bits[f >> shift]);
            fpos[j] = f;
        }
        size_t nhit = 0;
        for (size_t j = 0; j < nwide; j++) {
            hit[nhit] = wide[j];
            nhit += bit_get(bits, shift, fpos[j]);
        }
        hit[nhit] = BATCH + 1;
        /* phase 2: the candidates in word order; the table slot of each is prefetched */
        size_t nc = 0, h = 0;
        for (size_t j = 0; j <= nend; j++) {
            uint32_t at = j < nend ? ends_at[j] : BATCH; /* BATCH: the hits after the last */
            for (; hit[h] <= at; h++) {                  /* rarely entered */
                if (may_fill && nc == CANDS) {
                    if ((nout = probe_all(d, cand, nc, pref, out, nout, cap)) == cap) return nout;
                    nc = 0;
                }
                uint64_t k1 = first + hit[h];
                uint64_t key = key_of(pref[k1 % RING] - pref[(k1 - N) % RING] * Bn, N);
                __builtin_prefetch(&d->keys[key & d->mask]);
                cand[nc++] = (scan_cand){key, k1, (uint32_t)N};
            }
            if (j == nend) break;
            uint64_t k1 = first + at;
            if (!bit_get(tri, tshift, filt_of(pref[k1 % RING] - pref[(k1 - 3) % RING] * B3, 3)))
                continue;
            if (may_fill && nc + per_word > CANDS) {
                if ((nout = probe_all(d, cand, nc, pref, out, nout, cap)) == cap) return nout;
                nc = 0;
            }
            for (uint64_t k = 3; k < N && k <= runs[at]; k++) {
                if (!(lens >> k & 1)) continue;
                uint64_t hk = pref[k1 % RING] - pref[(k1 - k) % RING] * d->powB[k];
                if (!bit_get(bits, shift, filt_of(hk, k))) continue;
                uint64_t key = key_of(hk, k);
                __builtin_prefetch(&d->keys[key & d->mask]);
                cand[nc++] = (scan_cand){key, k1, (uint32_t)k};
            }
        }
        /* phase 3: probe */
        if ((nout = probe_all(d, cand, nc, pref, out, nout, cap)) == cap) return nout;
        if (nb < BATCH) break;
    }
    return nout;
}

mm_err mm_decontam_ngram(const mm_decontam *d, const mm_decontam_match *m, mm_buf *b) {
    const dc_text *tx = &d->texts[m->text];
    const uint8_t *ws, *we, *s = NULL, *e = NULL;
    uint64_t w;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, d->arena.data + tx->off, tx->len);
    for (uint32_t j = 0; j < m->start + m->len; j++) {
        if (!mm_dedup_iter_next_raw(&it, &w, &ws, &we)) break;
        if (j == m->start) s = ws;
        e = we;
    }
    if (!s) return MM_OK;
    return mm_dedup_normalise((const char *)s, (size_t)(e - s), b);
}

size_t mm_decontam_nproblems(const mm_decontam *d) {
    return d->nproblems;
}
const char *mm_decontam_problem(const mm_decontam *d, size_t i) {
    return i < d->nproblems ? d->problems[i] : "";
}
size_t mm_decontam_nbench(const mm_decontam *d) {
    return d->nbench;
}
void mm_decontam_bench(const mm_decontam *d, size_t i, mm_decontam_bench_info *o) {
    const dc_bench *b = &d->bench[i];
    *o = (mm_decontam_bench_info){b->name,        b->file,      b->fields,  b->records, b->texts,
                                  b->short_texts, b->too_short, b->trivial, b->bad};
}
uint32_t mm_decontam_ntexts(const mm_decontam *d) {
    return (uint32_t)d->ntexts;
}
void mm_decontam_text(const mm_decontam *d, uint32_t t, mm_decontam_text_info *o) {
    const dc_text *x = &d->texts[t];
    *o = (mm_decontam_text_info){x->bench,
                                 x->item,
                                 x->line,
                                 d->arena.data + x->field,
                                 d->arena.data + x->id,
                                 d->arena.data + x->off,
                                 x->len,
                                 x->words,
                                 x->used != 0};
}
uint64_t mm_decontam_keys(const mm_decontam *d) {
    return d->nkeys;
}
uint64_t mm_decontam_bytes(const mm_decontam *d) {
    return d->arena.cap + d->ntexts * sizeof *d->texts + d->nent * sizeof *d->ent +
           (d->mask + 1) * 12 + (d->bits ? 8ull << (64 - d->bits_shift) : 0) +
           (d->tri ? 8ull << (64 - d->tri_shift) : 0) +
           (d->ends ? 1ull << (64 - d->ends_shift) >> 3 : 0) +
           (d->vocab ? 1ull << (64 - d->vocab_shift) >> 3 : 0);
}
