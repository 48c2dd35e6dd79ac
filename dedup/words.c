#include "dedup/words.h"

#include "common/buf.h"
#include "common/json.h"

/* mm_dedup_hash_ascii's byte masks: row len = {first chunk, second chunk}. */
const uint64_t mm_dedup_chunk_masks[17][2] = {{0x0ull, 0xffull},
                                              {0xffull, 0xffull},
                                              {0xffffull, 0xffull},
                                              {0xffffffull, 0xffull},
                                              {0xffffffffull, 0xffull},
                                              {0xffffffffffull, 0xffull},
                                              {0xffffffffffffull, 0xffull},
                                              {0xffffffffffffffull, 0xffull},
                                              {0xffffffffffffffffull, 0xffull},
                                              {0xffffffffffffffffull, 0xffull},
                                              {0xffffffffffffffffull, 0xffffull},
                                              {0xffffffffffffffffull, 0xffffffull},
                                              {0xffffffffffffffffull, 0xffffffffull},
                                              {0xffffffffffffffffull, 0xffffffffffull},
                                              {0xffffffffffffffffull, 0xffffffffffffull},
                                              {0xffffffffffffffffull, 0xffffffffffffffull},
                                              {0xffffffffffffffffull, 0xffffffffffffffffull}};

/* ASCII: letters lowercased, digits kept, everything else a break; 0xFF marks bytes >= 0x80. */
#define L(c) ((c) | 0x20)
const uint8_t mm_dedup_ascii[256] = {
    ['0'] = '0',    ['1'] = '1',    ['2'] = '2',    ['3'] = '3',    ['4'] = '4',    ['5'] = '5',
    ['6'] = '6',    ['7'] = '7',    ['8'] = '8',    ['9'] = '9',    ['a'] = 'a',    ['b'] = 'b',
    ['c'] = 'c',    ['d'] = 'd',    ['e'] = 'e',    ['f'] = 'f',    ['g'] = 'g',    ['h'] = 'h',
    ['i'] = 'i',    ['j'] = 'j',    ['k'] = 'k',    ['l'] = 'l',    ['m'] = 'm',    ['n'] = 'n',
    ['o'] = 'o',    ['p'] = 'p',    ['q'] = 'q',    ['r'] = 'r',    ['s'] = 's',    ['t'] = 't',
    ['u'] = 'u',    ['v'] = 'v',    ['w'] = 'w',    ['x'] = 'x',    ['y'] = 'y',    ['z'] = 'z',
    ['A'] = L('A'), ['B'] = L('B'), ['C'] = L('C'), ['D'] = L('D'), ['E'] = L('E'), ['F'] = L('F'),
    ['G'] = L('G'), ['H'] = L('H'), ['I'] = L('I'), ['J'] = L('J'), ['K'] = L('K'), ['L'] = L('L'),
    ['M'] = L('M'), ['N'] = L('N'), ['O'] = L('O'), ['P'] = L('P'), ['Q'] = L('Q'), ['R'] = L('R'),
    ['S'] = L('S'), ['T'] = L('T'), ['U'] = L('U'), ['V'] = L('V'), ['W'] = L('W'), ['X'] = L('X'),
    ['Y'] = L('Y'), ['Z'] = L('Z'),
#define R16(b)                                                                                     \
    [b] = 0xFF, [b + 1] = 0xFF, [b + 2] = 0xFF, [b + 3] = 0xFF, [b + 4] = 0xFF, [b + 5] = 0xFF,    \
    [b + 6] = 0xFF, [b + 7] = 0xFF, [b + 8] = 0xFF, [b + 9] = 0xFF, [b + 10] = 0xFF,               \
    [b + 11] = 0xFF, [b + 12] = 0xFF, [b + 13] = 0xFF, [b + 14] = 0xFF, [b + 15] = 0xFF
    R16(0x80),      R16(0x90),      R16(0xA0),      R16(0xB0),      R16(0xC0),      R16(0xD0),
    R16(0xE0),      R16(0xF0),
#undef R16
};
#undef L

/* Class of one code point >= 0x80; *lower is what gets hashed. */
static int cp_class(uint32_t cp, uint32_t *lower) {
    *lower = cp;
    if (cp < 0xC0)
        return (cp == 0xAA || cp == 0xB5 || cp == 0xBA) ? MM_DEDUP_LETTER : MM_DEDUP_BREAK;
    if (cp < 0x250) {
        if (cp == 0xD7 || cp == 0xF7) return MM_DEDUP_BREAK;
        if (cp <= 0xDE)
            *lower = cp + 0x20;
        else if (cp >= 0x100 && cp < 0x180 && !(cp & 1))
            *lower = cp + 1;
        return MM_DEDUP_LETTER;
    }
    if (cp >= 0x391 && cp <= 0x3A9)
        *lower = cp + 0x20;
    else if (cp >= 0x410 && cp <= 0x42F)
        *lower = cp + 0x20;
    else if (cp >= 0x400 && cp <= 0x40F)
        *lower = cp + 0x50;
    if (cp < 0x2000) return MM_DEDUP_LETTER;
    if (cp < 0x2C00) return MM_DEDUP_BREAK; /* punctuation, super/subscripts, arrows, math ops */
    if (cp < 0x2E80) return MM_DEDUP_LETTER;
    if (cp < 0x3000) return MM_DEDUP_CJK;    /* CJK radicals */
    if (cp < 0x3040) return MM_DEDUP_BREAK;  /* CJK punctuation */
    if (cp < 0x3400) return MM_DEDUP_CJK;    /* kana, bopomofo, CJK strokes and enclosed */
    if (cp < 0xA000) return MM_DEDUP_CJK;    /* CJK extension A, unified ideographs */
    if (cp < 0xE000) return MM_DEDUP_LETTER; /* Yi, Hangul, ... */
    if (cp < 0xF900) return MM_DEDUP_BREAK;  /* private use */
    if (cp < 0xFB00) return MM_DEDUP_CJK;    /* compatibility ideographs */
    if (cp >= 0xFE10 && cp < 0xFE70) return MM_DEDUP_BREAK; /* vertical and small forms */
    if (cp >= 0xFF01 && cp <= 0xFF5E) {                     /* fullwidth ASCII */
        uint8_t k = mm_dedup_ascii[cp - 0xFEE0];
        *lower = k;
        return k ? MM_DEDUP_LETTER : MM_DEDUP_BREAK;
    }
    if (cp >= 0xFF00 && cp < 0x10000) return MM_DEDUP_BREAK;
    if (cp >= 0x1F000 && cp < 0x20000) return MM_DEDUP_BREAK; /* emoji, symbols */
    if (cp >= 0x20000 && cp < 0x40000) return MM_DEDUP_CJK;
    return MM_DEDUP_LETTER;
}

int mm_dedup_class(const uint8_t *p, size_t avail, int *len, uint32_t *lower) {
    uint32_t cp;
    *len = mm_utf8_decode(p, avail, &cp);
    if (cp == 0xFFFD) {
        *lower = cp;
        return MM_DEDUP_BREAK;
    }
    return cp_class(cp, lower);
}

/* The word hash, fed one normalised byte at a time (see mm_dedup_fold). */
typedef struct word_hasher {
    uint64_t h, chunk, n;
} word_hasher;

static inline void hash_byte(word_hasher *w, uint8_t b) {
    w->chunk |= (uint64_t)b << (8 * (w->n & 7));
    if ((++w->n & 7) == 0) {
        w->h = mm_dedup_fold(w->h, w->chunk);
        w->chunk = 0;
    }
}

static void hash_code_point(word_hasher *w, uint32_t cp) {
    char enc[4];
    int k = mm_utf8_encode(cp, enc);
    for (int i = 0; i < k; i++)
        hash_byte(w, (uint8_t)enc[i]);
}

int mm_dedup_word_next_ref_raw(const uint8_t **pp, const uint8_t *end, uint64_t *raw,
                               const uint8_t **ws, const uint8_t **we) {
    const uint8_t *p = *pp, *s = NULL, *e = NULL;
    word_hasher w = {MM_DEDUP_SEED, 0, 0};
    while (p < end) {
        uint8_t k = mm_dedup_ascii[*p];
        if (k != 0 && k != 0xFF) {
            if (!s) s = p;
            hash_byte(&w, k);
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
            hash_code_point(&w, low);
            p += len;
            e = p;
            continue;
        }
        if (cls == MM_DEDUP_CJK) {
            if (s) break; /* ends the current word; the CJK char is the next word */
            s = p;
            hash_code_point(&w, low);
            p += len;
            e = p;
            break;
        }
        p += len;
        if (s) break;
    }
    *pp = p;
    if (!s) return 0;
    if (w.n & 7) w.h = mm_dedup_fold(w.h, w.chunk);
    *raw = mm_dedup_raw(w.h, w.n);
    *ws = s;
    *we = e;
    return 1;
}

int mm_dedup_word_next_ref(const uint8_t **pp, const uint8_t *end, uint64_t *hash,
                           const uint8_t **ws, const uint8_t **we) {
    if (!mm_dedup_word_next_ref_raw(pp, end, hash, ws, we)) return 0;
    *hash = mm_dedup_mix64(*hash);
    return 1;
}

size_t mm_dedup_words(const char *text, size_t n, uint64_t *out, size_t cap) {
    uint64_t h;
    size_t k = 0;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, text, n);
    while (mm_dedup_iter_next(&it, &h, NULL, NULL)) {
        if (k < cap) out[k] = h;
        k++;
    }
    return k;
}

/* Lowercase one word's bytes into b (same folding as the hash). */
static mm_err put_word(mm_buf *b, const uint8_t *s, const uint8_t *e) {
    while (s < e) {
        uint8_t k = mm_dedup_ascii[*s];
        if (k != 0xFF) {
            MM_TRY(mm_buf_putc(b, (char)(k ? k : *s)));
            s++;
            continue;
        }
        int len;
        uint32_t low;
        mm_dedup_class(s, (size_t)(e - s), &len, &low);
        char enc[4];
        MM_TRY(mm_buf_append(b, enc, (size_t)mm_utf8_encode(low, enc)));
        s += len;
    }
    return MM_OK;
}

mm_err mm_dedup_normalise(const char *text, size_t n, mm_buf *b) {
    const uint8_t *ws, *we;
    uint64_t h;
    int first = 1;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, text, n);
    while (mm_dedup_iter_next(&it, &h, &ws, &we)) {
        if (!first) MM_TRY(mm_buf_putc(b, ' '));
        first = 0;
        MM_TRY(put_word(b, ws, we));
    }
    return MM_OK;
}
