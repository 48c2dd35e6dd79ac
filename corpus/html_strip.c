/* corpus/html_strip.c — drop what can never be text before the HTML parser sees it.
 *
 * On the web ~60% of an HTML page's bytes are <script>, <style>, comments and inline <svg>
 * (measured on the article-extraction benchmark), and libxml2's parser spends time per byte on
 * them only for the extractor to throw them away.  This pass copies the page while skipping those
 * elements with memchr-driven scanning, so the parser gets a page a third the size.
 *
 * <meta> and <link> tags go too (void; the charset is decided on the raw bytes before this).
 * What is kept: <script type="math/…"> (MathJax v2 formulas live there: tex, asciimath, mml)
 * and everything else.  A script dropped is first read for the page's MathJax/KaTeX delimiter
 * configuration (corpus/math_config.c).
 * The rules follow how browsers tokenise these raw-text elements: a <script> or <style> ends at
 * the first "</script" / "</style" (case-insensitive), a comment at the first "-->", whatever is
 * in between; an element or comment that never closes runs to the end of the page.  An <svg>
 * ends at the first "</svg" (nested SVG is rare, and all of it is dropped anyway).
 * A math/tex script's own content is copied untouched (its start tag is filtered like any).
 * Every tag's name is read once (classify_tag), and whitespace between tags goes or shrinks
 * (see "whitespace between tags"). */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "corpus/html.h"

/* The first case-insensitive occurrence of `needle` (which starts with '<' or '-') at or after
 * s, or NULL. */
static const char *find_ci(const char *s, const char *end, const char *needle) {
    size_t k = strlen(needle);
    while (s < end) {
        const char *p = memchr(s, needle[0], (size_t)(end - s));
        if (!p || (size_t)(end - p) < k) return NULL;
        if (!strncasecmp(p, needle, k)) return p;
        s = p + 1;
    }
    return NULL;
}

/* Byte classes for the scanning loops (one table lookup instead of a chain of compares). */
enum { B_SPACE = 1, B_GT = 2, B_SLASH = 4, B_EQ = 8 };
static const uint8_t byte_class[256] = {
    [' '] = B_SPACE,  ['\t'] = B_SPACE, ['\n'] = B_SPACE, ['\r'] = B_SPACE,
    ['\f'] = B_SPACE, ['>'] = B_GT,     ['/'] = B_SLASH,  ['='] = B_EQ};
#define NAME_END (B_SPACE | B_GT | B_SLASH) /* what ends a tag name */
#define CLASS_OF(c) byte_class[(unsigned char)(c)]

/* ---- tag names ----
 * Every tag's name is classified once: what this pass does with the element. */
typedef enum {
    TAG_OTHER,
    TAG_BLOCK,     /* html_text.c ends a line at its start and end (see "whitespace" below) */
    TAG_SPACE,     /* its whitespace is kept: pre, xmp, listing, textarea, math */
    TAG_PLAINTEXT, /* the same, to the end of the page */
    TAG_SCRIPT,
    TAG_STYLE,
    TAG_SVG,
    TAG_VOID_DROP /* meta and link: void, and no pass reads them */
} tag_class;

/* ---- name tables ----
 * Tag and attribute names are looked up lowercased in small sorted tables, indexed by first
 * letter: a name is compared with the few entries of its letter and length only. */
#define NAME_CAP 12 /* longer names are none of ours; compared as 8 + 4 bytes */
typedef struct named {
    char name[NAME_CAP]; /* zero-padded: compared whole */
    uint8_t value;
} named;

typedef struct name_index {
    const named *v;
    size_t n;
    uint8_t from[27]; /* entries for letter c: from[c - 'a'] .. from[c - 'a' + 1] */
} name_index;

static void index_names(name_index *x) {
    size_t i = 0;
    for (int c = 0; c < 26; c++) {
        x->from[c] = (uint8_t)i;
        while (i < x->n && x->v[i].name[0] == 'a' + c)
            i++;
    }
    x->from[26] = (uint8_t)i;
}

/* The name at s up to a byte of class `stop` (at most end), lowercased into low[0..cap) when it
 * fits: its length. */
static size_t read_name(const char *s, const char *end, unsigned stop, char *low, size_t cap) {
    size_t k = 0;
    for (const char *p = s; p < end && !(CLASS_OF(*p) & stop); p++, k++)
        if (k < cap) low[k] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    return k;
}

/* The value in x of the lowercased name of length k in low (zero-padded to NAME_CAP), or 0. */
static unsigned lookup(const name_index *x, const char low[NAME_CAP], size_t k) {
    if (k >= NAME_CAP || low[0] < 'a' || low[0] > 'z') return 0;
    uint64_t a;
    uint32_t b;
    memcpy(&a, low, 8), memcpy(&b, low + 8, 4);
    for (unsigned i = x->from[low[0] - 'a']; i < x->from[low[0] - 'a' + 1]; i++) {
        uint64_t c;
        uint32_t d;
        memcpy(&c, x->v[i].name, 8), memcpy(&d, x->v[i].name + 8, 4);
        if (a == c && b == d) return x->v[i].value;
    }
    return 0;
}

/* The tag names this pass treats specially, sorted.  TAG_BLOCK: the elements at whose start and
 * end html_text.c ends a line (its para_tags and line_tags less the skipped <object>, li, tr
 * and br). */
static const named tag_names[] = {
    {"address", TAG_BLOCK},    {"article", TAG_BLOCK}, {"aside", TAG_BLOCK},
    {"blockquote", TAG_BLOCK}, {"body", TAG_BLOCK},    {"br", TAG_BLOCK},
    {"caption", TAG_BLOCK},    {"center", TAG_BLOCK},  {"dd", TAG_BLOCK},
    {"details", TAG_BLOCK},    {"dialog", TAG_BLOCK},  {"div", TAG_BLOCK},
    {"dl", TAG_BLOCK},         {"dt", TAG_BLOCK},      {"fieldset", TAG_BLOCK},
    {"figcaption", TAG_BLOCK}, {"figure", TAG_BLOCK},  {"footer", TAG_BLOCK},
    {"form", TAG_BLOCK},       {"h1", TAG_BLOCK},      {"h2", TAG_BLOCK},
    {"h3", TAG_BLOCK},         {"h4", TAG_BLOCK},      {"h5", TAG_BLOCK},
    {"h6", TAG_BLOCK},         {"header", TAG_BLOCK},  {"hr", TAG_BLOCK},
    {"html", TAG_BLOCK},       {"legend", TAG_BLOCK},  {"li", TAG_BLOCK},
    {"link", TAG_VOID_DROP},   {"listing", TAG_SPACE}, {"m:math", TAG_SPACE},
    {"main", TAG_BLOCK},       {"math", TAG_SPACE},    {"menu", TAG_BLOCK},
    {"meta", TAG_VOID_DROP},   {"nav", TAG_BLOCK},     {"noframes", TAG_BLOCK},
    {"ol", TAG_BLOCK},         {"p", TAG_BLOCK},       {"plaintext", TAG_PLAINTEXT},
    {"pre", TAG_SPACE},        {"script", TAG_SCRIPT}, {"section", TAG_BLOCK},
    {"style", TAG_STYLE},      {"summary", TAG_BLOCK}, {"svg", TAG_SVG},
    {"table", TAG_BLOCK},      {"tbody", TAG_BLOCK},   {"textarea", TAG_SPACE},
    {"tfoot", TAG_BLOCK},      {"thead", TAG_BLOCK},   {"tr", TAG_BLOCK},
    {"ul", TAG_BLOCK},         {"xmp", TAG_SPACE}};

/* The attributes some pass reads; the others are dropped.  A style only matters when it can
 * hide the element, an image's src only when it names a TeX renderer, an id only when it holds
 * one of the content pass's patterns (see value_matters). */
enum { ATTR_KEEP = 1, ATTR_STYLE, ATTR_SRC, ATTR_ID, ATTR_CLASS, ATTR_TITLE };
static const named attr_names[] = {
    {"alt", ATTR_KEEP},      {"alttext", ATTR_KEEP}, {"aria-hidden", ATTR_KEEP},
    {"class", ATTR_CLASS},   {"close", ATTR_KEEP},   {"data-latex", ATTR_KEEP},
    {"data-tex", ATTR_KEEP}, {"display", ATTR_KEEP}, {"encoding", ATTR_KEEP},
    {"hidden", ATTR_KEEP},   {"id", ATTR_ID},        {"mode", ATTR_KEEP},
    {"open", ATTR_KEEP},     {"role", ATTR_KEEP},    {"separators", ATTR_KEEP},
    {"src", ATTR_SRC},       {"style", ATTR_STYLE},  {"title", ATTR_TITLE},
    {"type", ATTR_KEEP}};

static name_index tag_index = {tag_names, sizeof tag_names / sizeof *tag_names, {0}};
static name_index attr_index = {attr_names, sizeof attr_names / sizeof *attr_names, {0}};
static pthread_once_t names_once = PTHREAD_ONCE_INIT;
static void index_tables(void) {
    index_names(&tag_index);
    index_names(&attr_index);
}

/* The class of the tag name at s (just after "<" or "</"); *len gets the name's length. */
static tag_class classify_tag(const char *s, const char *end, size_t *len) {
    char low[NAME_CAP] = {0};
    *len = read_name(s, end, NAME_END, low, sizeof low);
    return (tag_class)lookup(&tag_index, low, *len);
}

/* Where the raw-text element or void element of class c, whose start tag begins at lt, ends
 * (one past its last byte), or NULL when it must be kept (a math/... script: cfg->scripts set).
 * A script dropped is read for a MathJax/KaTeX configuration first. */
static const char *skip_end(const char *lt, const char *end, tag_class c, html_math_cfg *cfg) {
    const char *s = lt + 1;
    const char *close;
    switch (c) {
    case TAG_SCRIPT: {
        const char *gt = memchr(s, '>', (size_t)(end - s));
        if (!gt) return end;
        const char *type = find_ci(s, gt, "math/");
        if (type) { /* a MathJax formula: tex, asciimath, mml */
            type += 5;
            size_t left = (size_t)(gt - type);
            cfg->scripts |=
                (left >= 3 && (!strncasecmp(type, "tex", 3) || !strncasecmp(type, "mml", 3))) ||
                (left >= 9 && !strncasecmp(type, "asciimath", 9));
            return NULL;
        }
        const char *e = find_ci(gt, end, "</script");
        html_math_cfg_scan(cfg, s, e ? e : end);
        if (!e) return end;
        gt = memchr(e, '>', (size_t)(end - e));
        return gt ? gt + 1 : end;
    }
    case TAG_STYLE:
        close = "</style";
        break;
    case TAG_SVG:
        close = "</svg";
        break;
    case TAG_VOID_DROP: {
        const char *gt = memchr(s, '>', (size_t)(end - s));
        return gt ? gt + 1 : end;
    }
    default:
        return NULL;
    }
    const char *e = find_ci(s, end, close);
    if (!e) return end;
    const char *gt = memchr(e, '>', (size_t)(end - e));
    return gt ? gt + 1 : end;
}

/* ---- attribute filtering ----
 * libxml2 makes two allocations per attribute (the attribute and its text), and pages carry
 * many we never read (href, data-*, srcset, onclick, …).  Start tags are rewritten keeping only
 * the attributes some pass looks at; everything else is copied byte for byte. */

typedef struct word {
    const char *w;
    size_t n;
} word;
#define WORD(s)                                                                                    \
    { s, sizeof s - 1 }

/* Does s..end contain one of the words (lowercase; matched case-insensitively)? */
static bool has_word(const char *s, const char *end, const word *words, size_t k) {
    for (; s < end; s++)
        for (size_t i = 0; i < k; i++)
            if ((*s | 0x20) == words[i].w[0] && (size_t)(end - s) >= words[i].n &&
                !strncasecmp(s, words[i].w, words[i].n))
                return true;
    return false;
}

/* An id is read only for the content pass's class/id patterns (html_content_word): does the
 * attribute text s..end (after its name: '=' and the value) hold one?  Values with character
 * references or too long to check are kept. */
static bool id_matters(const char *s, const char *end) {
    while (s < end && (html_is_space(*s) || *s == '='))
        s++;
    if (s < end && (*s == '"' || *s == '\'')) {
        s++;
        if (end > s && end[-1] == s[-1]) end--;
    }
    char low[128];
    size_t n = (size_t)(end - s);
    return memchr(s, '&', n) || !html_lower(s, n, low, sizeof low) || html_content_word(low);
}

/* Does the attribute text s..end (after its name) matter?  A style is only read for
 * display:none and visibility:hidden; an image's src only when it may be a TeX image (latex.php,
 * mimetex, mathtex, quicklatex, codecogs, Google chart cht=tx, Sphinx's _images/math/); a title
 * only on an image (it may hold the TeX). */
static bool value_matters(unsigned attr, const char *s, const char *end, bool img) {
    static const word hides[] = {WORD("none"), WORD("hidden")};
    static const word tex_src[] = {WORD("tex"), WORD("codecogs"), WORD("cht=tx"), WORD("math")};
    if (attr == ATTR_STYLE) return has_word(s, end, hides, 2);
    if (attr == ATTR_SRC) return has_word(s, end, tex_src, 4);
    if (attr == ATTR_TITLE) return img;
    if (attr == ATTR_ID) return id_matters(s, end);
    return attr == ATTR_KEEP || attr == ATTR_CLASS;
}

/* Copy the start tag at lt ('<' + a name of k bytes) with only the attributes that matter;
 * returns one past its '>' (or `end` for a tag cut off by the end of the page). */
/* Append " class=" and the quoted value q[0..n) (q[-1] its quote) with its words coded;
 * *done false when the value is to be copied as it is. */
static mm_err copy_class(html_words *words, const char *q, size_t n, mm_buf *out, bool *done) {
    size_t start = out->len;
    MM_TRY(mm_buf_append(out, " class=", 7));
    MM_TRY(mm_buf_putc(out, q[-1]));
    MM_TRY(html_words_rewrite(words, q, n, out, done));
    if (!*done) {
        out->len = start;
        return MM_OK;
    }
    return mm_buf_putc(out, q[-1]);
}

static mm_err copy_start_tag(const char *lt, size_t k, const char *end, html_words *words,
                             mm_buf *out, const char **next) {
    const char *p = lt + 1 + k;
    bool img = k == 3 && !strncasecmp(lt + 1, "img", 3);
    MM_TRY(mm_buf_append(out, lt, (size_t)(p - lt)));
    for (;;) {
        while (p < end && (CLASS_OF(*p) & (B_SPACE | B_SLASH)))
            p++;
        if (p >= end) return *next = end, MM_OK;
        if (*p == '>') break;
        const char *name = p;
        char low[NAME_CAP] = {0};
        size_t nlen = read_name(p, end, NAME_END | B_EQ, low, sizeof low);
        p += nlen;
        const char *q = p, *value = NULL, *close = NULL; /* a quoted value's, when closed */
        while (q < end && html_is_space(*q))
            q++;
        if (q < end && *q == '=') {
            q++;
            while (q < end && html_is_space(*q))
                q++;
            if (q < end && (*q == '"' || *q == '\'')) {
                close = memchr(q + 1, *q, (size_t)(end - q - 1));
                value = q + 1;
                q = close ? close + 1 : end;
            } else {
                while (q < end && !(CLASS_OF(*q) & (B_SPACE | B_GT)))
                    q++;
            }
            p = q;
        }
        if (nlen == 0) {
            p++;
            continue;
        }
        unsigned attr = lookup(&attr_index, low, nlen);
        bool done = false;
        if (attr == ATTR_CLASS && words && close)
            MM_TRY(copy_class(words, value, (size_t)(close - value), out, &done));
        if (!done && value_matters(attr, name + nlen, p, img)) {
            MM_TRY(mm_buf_putc(out, ' '));
            MM_TRY(mm_buf_append(out, name, (size_t)(p - name)));
        }
    }
    if (p[-1] == '/') MM_TRY(mm_buf_putc(out, '/')); /* keep "<mspace/>" self-closed */
    MM_TRY(mm_buf_putc(out, '>'));
    *next = p + 1;
    return MM_OK;
}

/* ---- whitespace between tags ----
 * A fifth of what the parser would still see is whitespace between tags (1.5 of 7.1 MB on the
 * article benchmark), over half of it between two block tags ("</div>\n\t\t<div>").  There it
 * is never text: the text writer (corpus/html_text.c) ends a line at both of those tags, which
 * cancels a pending space, and the measuring pass counts whitespace-only text as nothing.  Such
 * runs are dropped, which spares the parser a text node each.  Any other whitespace-only run
 * (next to an inline tag: "<b>a</b>\n\t<i>b</i>") becomes a single space: the writer and the
 * measuring pass read any run of whitespace as one, and the parser makes the same node of it,
 * only shorter (each byte costs it ~45 instructions).  Nothing changes inside <pre>, <math> and
 * the other elements whose whitespace is kept.  (One case reads differently: text glued to two
 * adjacent blocks that pruning removes, "a<div hidden></div> <div hidden></div>b", loses its
 * space.)  The text of the 181 benchmark pages and of the 18,872-page sample web is
 * byte-identical. */

static bool all_space(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!(CLASS_OF(s[i]) & B_SPACE)) return false; /* the table: every text byte */
    return true;
}

typedef struct strip_state {
    size_t text_from;     /* where the text since the last tag starts in out */
    bool text_blank;      /* that text is whitespace only */
    bool after_block;     /* the last tag was a block tag */
    unsigned space_depth; /* open <pre> and the like */
} strip_state;

static mm_err copy_text(strip_state *st, mm_buf *out, const char *s, size_t n) {
    if (st->text_blank && !all_space(s, n)) st->text_blank = false;
    return mm_buf_append(out, s, n);
}

/* A start or end tag of class c is next: drop the whitespace-only text before it when it sits
 * between two block tags, else shorten it to one space; follow <pre> nesting. */
static void before_tag(strip_state *st, mm_buf *out, tag_class c, bool start) {
    if (st->text_blank && !st->space_depth) {
        if (c == TAG_BLOCK && st->after_block) {
            out->len = st->text_from;
        } else if (out->len > st->text_from + 1) {
            out->data[st->text_from] = ' '; /* any other run of whitespace reads as one space */
            out->len = st->text_from + 1;
        }
    }
    if (c == TAG_PLAINTEXT && start)
        st->space_depth = UINT32_MAX;
    else if (c == TAG_SPACE && start && st->space_depth != UINT32_MAX)
        st->space_depth++;
    else if (c == TAG_SPACE && !start && st->space_depth && st->space_depth != UINT32_MAX)
        st->space_depth--;
}

static void after_tag(strip_state *st, const mm_buf *out, bool block) {
    st->after_block = block;
    st->text_from = out->len;
    st->text_blank = true;
}

mm_err mm_html_strip(const char *s, size_t n, html_words *words, mm_buf *out, html_math_cfg *cfg) {
    pthread_once(&names_once, index_tables);
    if (words) html_words_reset(words);
    memset(cfg, 0, sizeof *cfg);
    cfg->escapes = -1;
    mm_buf_clear(out);
    MM_TRY(mm_buf_reserve(out, n + 1));
    strip_state st = {0, true, false, 0};
    const char *end = s + n, *copied = s, *p = s;
    while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        const char *skip = NULL;
        bool start = p + 1 < end && isalpha((unsigned char)p[1]);
        bool close = !start && p + 2 < end && p[1] == '/' && isalpha((unsigned char)p[2]);
        tag_class c = TAG_OTHER;
        size_t k = 0;
        if (start || close) c = classify_tag(p + (start ? 1 : 2), end, &k);
        if (start)
            skip = skip_end(p, end, c, cfg);
        else if (!close && end - p >= 4 && !memcmp(p + 1, "!--", 3)) {
            const char *e = find_ci(p + 4, end, "-->");
            skip = e ? e + 3 : end;
        }
        if (!skip && !start && !close) {
            p++;
            continue;
        }
        MM_TRY(copy_text(&st, out, copied, (size_t)(p - copied))); /* "a<!-- -->b" renders "ab" */
        if (skip) {
            copied = p = skip;
            continue;
        }
        before_tag(&st, out, c, start);
        if (close) { /* copied as it is */
            const char *gt = memchr(p + 2 + k, '>', (size_t)(end - p - 2 - k));
            const char *stop = gt ? gt + 1 : end;
            MM_TRY(mm_buf_append(out, p, (size_t)(stop - p)));
            after_tag(&st, out, c == TAG_BLOCK);
            copied = p = stop;
            continue;
        }
        MM_TRY(copy_start_tag(p, k, end, words, out, &p));
        after_tag(&st, out, c == TAG_BLOCK);
        copied = p;
        if (c == TAG_SCRIPT) { /* a kept one (math/...): raw text up to </script, copied as is */
            const char *e = find_ci(p, end, "</script");
            const char *stop = e ? e : end;
            MM_TRY(copy_text(&st, out, p, (size_t)(stop - p)));
            copied = p = stop;
        }
    }
    return copy_text(&st, out, copied, (size_t)(end - copied));
}
