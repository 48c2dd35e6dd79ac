/* classifier/normalize.c — the one text normalisation shared by training and scoring.
 *
 * The input is decoded as UTF-8 (invalid bytes are dropped) and cut into tokens:
 *   word      a run of letters, digits and combining marks (ASCII, Latin, Greek, Cyrillic,
 *             Armenian, Hebrew, Arabic, Indic, Thai), lowercased (simple case mapping)
 *   \command  a backslash and the ASCII letters after it, case kept (\Delta is not \delta);
 *             a backslash before one other ASCII symbol is one token too (\{ \\ \,)
 *   $ / $$    dollar signs: "$$" is one token, a single "$" another
 *   CJK       every Han, Hiragana, Katakana, Hangul character, CJK or full-width symbol
 *   symbol    any other character that is not a letter or space is a token of its own
 *             (ASCII punctuation, dashes, quotes, math operators, arrows, ...)
 * Whitespace of every kind (incl. NBSP and the Unicode spaces) only separates.  Tokens are
 * joined by one space.  The output stops before the first token that would make it longer than
 * `max_bytes`.  Applying it twice changes nothing. */
#include <string.h>

#include "classifier/classifier.h"
#include "common/json.h"

typedef enum { C_SPACE, C_WORD, C_SYMBOL, C_CJK, C_SKIP } cclass;

static bool is_space_cp(uint32_t c) {
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

static bool is_cjk(uint32_t c) {
    return (c >= 0x1100 && c <= 0x11FF) || (c >= 0x2E80 && c <= 0x2FDF) ||
           (c >= 0x3001 && c <= 0x303F) || (c >= 0x3040 && c <= 0x31FF) ||
           (c >= 0x3200 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xA960 && c <= 0xA97F) || (c >= 0xAC00 && c <= 0xD7FF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
           (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x3FFFF);
}

/* Letters of the scripts that separate words with spaces (Latin .. Thai), and combining marks. */
static bool is_letter_cp(uint32_t c) {
    return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x250 && c <= 0x2AF) ||
           (c >= 0x300 && c <= 0x36F) || (c >= 0x370 && c <= 0x3FF && c != 0x37E && c != 0x387) ||
           (c >= 0x400 && c <= 0x52F) || (c >= 0x531 && c <= 0x587) || (c >= 0x5D0 && c <= 0x5EA) ||
           (c >= 0x620 && c <= 0x64A) || (c >= 0x660 && c <= 0x669) || (c >= 0x900 && c <= 0xDFF) ||
           (c >= 0xE01 && c <= 0xE4E) || (c >= 0x1E00 && c <= 0x1FFF);
}

static cclass classify_cp(uint32_t c) {
    if (c < 0x80) {
        if (c == ' ' || (c >= 9 && c <= 13)) return C_SPACE;
        if (c < 0x20 || c == 0x7F) return C_SPACE;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return C_WORD;
        return C_SYMBOL;
    }
    if (c < 0xA0 && c != 0x85) return C_SKIP; /* C1 controls */
    if (is_space_cp(c)) return C_SPACE;
    if (is_letter_cp(c)) return C_WORD;
    if (is_cjk(c)) return C_CJK;
    if (c == 0xFFFD) return C_SKIP;
    return C_SYMBOL;
}

/* Simple lowercase for the scripts above. */
static uint32_t lower_cp(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xC0) return c;
    if (c <= 0xDE) return c == 0xD7 ? c : c + 32;
    if (c >= 0x100 && c <= 0x137) return c | 1;
    if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
    if (c >= 0x14A && c <= 0x177) return c | 1;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    if (c >= 0x460 && c <= 0x4FF && c != 0x482 && !(c >= 0x483 && c <= 0x489)) {
        if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? c + 1 : c;
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x1E00 && c <= 0x1EFF) return c | 1;
    return c;
}

typedef struct emitter {
    mm_buf *out;
    size_t base, max, tok_start;
    bool in_word, full;
} emitter;

/* Start a token: a separating space unless it is the first. */
static mm_err tok_begin(emitter *e) {
    e->tok_start = e->out->len;
    if (e->out->len > e->base) MM_TRY(mm_buf_putc(e->out, ' '));
    return MM_OK;
}

/* Append bytes to the current token; when over the cap, drop the token and stop. */
static mm_err tok_put(emitter *e, const char *p, size_t n) {
    if (e->out->len + n - e->base > e->max) {
        e->out->len = e->tok_start;
        e->out->data[e->out->len] = 0;
        e->full = true;
        return MM_OK;
    }
    return mm_buf_append(e->out, p, n);
}

static mm_err put_cp(emitter *e, uint32_t c) {
    char u[4];
    int k = mm_utf8_encode(c, u);
    return tok_put(e, u, (size_t)k);
}

/* One whole-token at s[i..]: returns bytes consumed. */
static size_t backslash_token(emitter *e, const unsigned char *s, size_t i, size_t n, mm_err *err) {
    size_t j = i + 1;
    while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
        j++;
    if (j == i + 1 && j < n && s[j] > ' ' && s[j] < 0x7F) j++; /* \{ \\ \, */
    *err = tok_begin(e);
    if (*err == MM_OK) *err = tok_put(e, (const char *)s + i, j - i);
    return j - i;
}

mm_err mm_clf_normalize(mm_buf *out, const char *text, size_t n, size_t max_bytes) {
    emitter e = {out, out->len, max_bytes ? max_bytes : MM_CLF_MAX_BYTES_DEFAULT, 0, false, false};
    const unsigned char *s = (const unsigned char *)text;
    MM_TRY(mm_buf_reserve(out, 1));
    for (size_t i = 0; i < n && !e.full;) {
        mm_err err = MM_OK;
        if (s[i] == '\\') {
            e.in_word = false;
            i += backslash_token(&e, s, i, n, &err);
            MM_TRY(err);
            continue;
        }
        if (s[i] == '$') {
            size_t k = (i + 1 < n && s[i + 1] == '$') ? 2 : 1;
            e.in_word = false;
            MM_TRY(tok_begin(&e));
            MM_TRY(tok_put(&e, "$$", k));
            i += k;
            continue;
        }
        uint32_t c;
        int len;
        if (s[i] < 0x80)
            c = s[i], len = 1;
        else if (mm_utf8_seq_len(s + i, n - i) == 0)
            c = 0xFFFD, len = 1;
        else
            len = mm_utf8_decode(s + i, n - i, &c);
        i += (size_t)len;
        switch (classify_cp(c)) {
        case C_SKIP:
            break;
        case C_SPACE:
            e.in_word = false;
            break;
        case C_WORD:
            if (!e.in_word) MM_TRY(tok_begin(&e));
            e.in_word = true;
            MM_TRY(put_cp(&e, lower_cp(c)));
            break;
        case C_SYMBOL:
        case C_CJK:
            e.in_word = false;
            MM_TRY(tok_begin(&e));
            MM_TRY(put_cp(&e, c));
            break;
        }
    }
    return MM_OK;
}
