/* corpus/html_words.c — class words no pass reads, replaced by short codes (see corpus/html.h).
 *
 * Each byte of an attribute value costs libxml2's parser ~75 instructions (a function call to
 * read the character and another to advance), and class values were a quarter of what the parser
 * still saw after the strip pass: "flex items-center px-4 col-md-6 …".  The passes read class
 * words only for patterns (html_content_word, html_math_word) with one exception: the content
 * pass gives a sibling of the best candidate a bonus when its class string equals the
 * candidate's.  So a word that holds no pattern becomes a code (one byte for the first 32
 * distinct words of a page, two up to 1,024, ...), the same code for the same word throughout
 * the page and a different one for every different word, and the whitespace between words is
 * kept as it is: two rewritten class strings are equal exactly when the originals were.  Codes
 * are made of digits and punctuation, which no pattern contains.
 *
 * Every word without a pattern gets its code, even where the code is longer (a one-letter word
 * after the 32nd): a word left as it is could otherwise equal another word's code.  A value is
 * copied as it is when it has a character reference or a NUL (libxml2 decodes the one and reads
 * the other as a space, and this word split would not see the same words) or when it is long: the
 * passes read the first 255 bytes of class and id together, so a class must not grow much, and one
 * of at most 80 bytes (40 words at most) stays under 200 with codes of up to four bytes (a million
 * distinct words). */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "corpus/html.h"

#define LONG_VALUE 80 /* longer class values are copied as they are */
#define LONG_WORD 64  /* a longer word is kept (as if it held a pattern) */

/* 32 code digits: no letter (patterns are letters, digits inside words and '-'), nothing HTML
 * or the passes treat specially in a quoted value. */
static const char code_digits[] = "0123456789!#%()*+,./:;?@[]^_{|}~";

/* The page's words in an open-addressing table of their own rather than common/strmap: keys
 * point into the page instead of being copied, and a new page empties it by bumping a
 * generation number instead of freeing and clearing. */
typedef struct slot {
    const char *word; /* into the page being stripped */
    uint32_t len, code, gen;
    bool matters; /* holds a pattern: kept as it is */
} slot;

struct html_words {
    slot *slots;
    size_t cap, used;
    uint32_t gen, next_code;
};

html_words *html_words_create(void) {
    html_words *w = mm_calloc(1, sizeof *w);
    if (!w) return NULL;
    w->cap = 1024;
    w->slots = mm_calloc(w->cap, sizeof *w->slots);
    if (!w->slots) {
        free(w);
        return NULL;
    }
    w->gen = 1;
    return w;
}

void html_words_free(html_words *w) {
    if (!w) return;
    free(w->slots);
    free(w);
}

void html_words_reset(html_words *w) {
    w->used = 0;
    w->next_code = 0;
    if (++w->gen == 0) { /* wrapped: every slot's generation is stale, make it so */
        memset(w->slots, 0, w->cap * sizeof *w->slots);
        w->gen = 1;
    }
}

static slot *find(slot *slots, size_t cap, uint32_t gen, const char *s, uint32_t len) {
    size_t i = (size_t)mm_hash64(s, len, 0) & (cap - 1);
    while (slots[i].gen == gen && (slots[i].len != len || memcmp(slots[i].word, s, len)))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static mm_err grow(html_words *w) {
    size_t cap = w->cap * 2;
    slot *n = mm_calloc(cap, sizeof *n);
    if (!n) return mm_fail(MM_ERR_NOMEM, "out of memory for class words");
    for (size_t i = 0; i < w->cap; i++)
        if (w->slots[i].gen == w->gen)
            *find(n, cap, w->gen, w->slots[i].word, w->slots[i].len) = w->slots[i];
    free(w->slots);
    w->slots = n, w->cap = cap;
    return MM_OK;
}

/* A word's code, in base 32 (most significant digit first) into out: its length. */
static size_t write_code(uint32_t c, char out[8]) {
    char rev[8];
    size_t n = 0;
    do {
        rev[n++] = code_digits[c % 32];
        c /= 32;
    } while (c && n < sizeof rev);
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    return n;
}

static bool word_matters(const char *s, size_t len) {
    char low[LONG_WORD];
    return !html_lower(s, len, low, sizeof low) || html_content_word(low) || html_math_word(low);
}

/* The word's slot, made (its meaning decided, its code given) the first time it is seen on the
 * page: most words recur, and the patterns are looked for once per word. */
static mm_err word_slot(html_words *w, const char *s, uint32_t len, slot **out) {
    if ((w->used + 1) * 2 > w->cap) MM_TRY(grow(w));
    slot *sl = find(w->slots, w->cap, w->gen, s, len);
    if (sl->gen != w->gen) {
        bool matters = word_matters(s, len);
        *sl = (slot){s, len, matters ? 0 : w->next_code++, w->gen, matters};
        w->used++;
    }
    *out = sl;
    return MM_OK;
}

mm_err html_words_rewrite(html_words *w, const char *s, size_t n, mm_buf *out, bool *done) {
    *done = false;
    if (n > LONG_VALUE || memchr(s, '&', n) || memchr(s, 0, n)) return MM_OK; /* see the top */
    size_t copied = 0; /* s[copied..) not yet written: separators and kept words go in runs */
    for (size_t i = 0; i < n;) {
        while (i < n && html_is_space(s[i]))
            i++;
        size_t j = i;
        while (j < n && !html_is_space(s[j]))
            j++;
        if (j == i) break;
        slot *sl;
        MM_TRY(word_slot(w, s + i, (uint32_t)(j - i), &sl));
        if (!sl->matters) {
            char code[8];
            MM_TRY(mm_buf_append(out, s + copied, i - copied));
            MM_TRY(mm_buf_append(out, code, write_code(sl->code, code)));
            copied = j;
        }
        i = j;
    }
    MM_TRY(mm_buf_append(out, s + copied, n - copied));
    *done = true;
    return MM_OK;
}
