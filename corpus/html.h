/* corpus/html.h — internal helpers shared by the HTML passes (not installed, not API).
 *
 * The passes work on libxml2's HTML tree.  Formulas found by the math pass are replaced by an
 * element <mm-math display="0|1"> whose one text child is the LaTeX with its delimiters; the
 * text writer prints it verbatim.  Every tree walk here is iterative (parent/next pointers), so
 * deeply nested markup never overflows the stack; the one recursion, MathML → LaTeX, is capped
 * at 48 levels. */
#ifndef MM_CORPUS_HTML_H
#define MM_CORPUS_HTML_H

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/buf.h"
#include "corpus/extract.h"

#define MM_MATH_TAG "mm-math"

static inline bool html_is_elem(const xmlNode *n) {
    return n && n->type == XML_ELEMENT_NODE;
}
/* Equal strings; inline, as tag names are a few bytes and compared for every element. */
static inline bool html_name_eq(const char *a, const char *b) {
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}
static inline bool html_is(const xmlNode *n, const char *name) {
    return html_is_elem(n) && n->name && n->name[0] == (unsigned char)name[0] &&
           html_name_eq((const char *)n->name, name);
}

/* HTML's whitespace (space, tab, LF, CR, FF), as the strip pass and the class words split on. */
static inline bool html_is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
/* s[0..n) with ASCII letters lowercased, NUL-terminated, into out[cap]; false when it does not
 * fit (the callers then treat the word as one that matters). */
static inline bool html_lower(const char *s, size_t n, char *out, size_t cap) {
    if (n >= cap) return false;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    out[n] = 0;
    return true;
}

/* The value of attribute `name` without copying ("" never: NULL when absent or empty). */
const char *html_attr(const xmlNode *n, const char *name);
/* Does the class attribute contain `word` as a whole whitespace-separated token? */
bool html_class_has(const xmlNode *n, const char *word);
/* Does the class attribute contain `sub` anywhere (case-sensitive)? */
bool html_class_contains(const xmlNode *n, const char *sub);
/* Append the text content of n (all descendant text nodes) to b. */
mm_err html_text_content(const xmlNode *n, mm_buf *b);
/* Pre-order successor of n inside root; with descend=false n's children are skipped. */
xmlNode *html_next(xmlNode *n, const xmlNode *root, bool descend);
/* Lower-cased "class id" of n in out (bounded). */
void html_class_id(const xmlNode *n, char *out, size_t cap);

/* Visible characters of a text node's text (whitespace runs count one, leading ones none) and
 * its commas (',' and the CJK U+FF0C, U+3001), added to *chars and *commas: the content pass's
 * measure (corpus/html_content.c), SSE2, and its plain byte-by-byte reference. */
void html_text_measure(const char *s, uint32_t *chars, uint32_t *commas);
void html_text_measure_ref(const char *s, uint32_t *chars, uint32_t *commas);

/* Does a lowercase class or id string contain any pattern the content pass looks for in class
 * and id (corpus/html_content.c)?  Or any the math pass looks for in class names
 * (corpus/extract_math.c)?  The strip pass drops ids and codes class words that hold none. */
bool html_content_word(const char *w);
bool html_math_word(const char *w);

/* Class words without a pattern, replaced by short codes unique within a page (see
 * corpus/html_words.c).  Reset for every page; html_words_rewrite appends the class value
 * s[0..n) to out with its words coded (*done) or appends nothing (the value is to be copied as
 * it is).  Words are remembered by pointer: s must stay valid until the next reset (the strip
 * pass passes the page itself). */
typedef struct html_words html_words;
html_words *html_words_create(void);
void html_words_free(html_words *w);
void html_words_reset(html_words *w);
mm_err html_words_rewrite(html_words *w, const char *s, size_t n, mm_buf *out, bool *done);

/* Build elements with corpus/html_sax.c's lean startElement instead of libxml2's (call after
 * htmlNewParserCtxt, before parsing). */
void html_sax_install(htmlParserCtxtPtr ctxt);

/* The page's own math set-up (corpus/math_config.c), read by the strip pass from the scripts
 * it drops: MathJax v2/v3 configurations and KaTeX auto-render calls. */
enum { HTML_DELIM_MAX = 12, HTML_DELIM_LEN = 16 };
typedef struct html_delim {
    char open[HTML_DELIM_LEN], close[HTML_DELIM_LEN];
    bool display;
    bool heuristic; /* "$" on a page without configuration: only when it looks like TeX */
    uint8_t from;   /* which list it was read from (math_config.c) */
} html_delim;
typedef struct html_math_cfg {
    bool scripts;        /* a <script type="math/..."> was kept */
    bool mathjax, katex; /* an inline MathJax configuration / KaTeX call was read */
    bool mathjax_v2;     /* that MathJax configuration is v2's (tex2jax, Hub.Config) */
    bool mj_inline, mj_display, kx_delims; /* which lists were read */
    int escapes;                           /* processEscapes as configured: -1 not said, 0, 1 */
    uint8_t n;
    html_delim d[HTML_DELIM_MAX]; /* the delimiters read, in page order */
} html_math_cfg;
/* Read the script s..e (its start tag and its text) for a configuration. */
void html_math_cfg_scan(html_math_cfg *c, const char *s, const char *e);
/* The page's delimiters into out[HTML_DELIM_MAX] (*n of them, longest opening first), and
 * whether \$ is a literal dollar. */
void html_math_cfg_delims(const html_math_cfg *c, html_delim *out, size_t *n, bool *escapes);

/* AsciiMath → LaTeX (corpus/asciimath.c), appended to out; false (nothing appended) when the
 * input nests too deep or memory runs out. */
bool mm_asciimath_to_latex(const char *s, size_t n, mm_buf *out);

/* Copy the page without <script> (except math/tex ones), <style>, comments and <svg>
 * (corpus/html_strip.c): the parser then never spends time on them.  Attributes no pass reads
 * go too, and with `words` (NULL: not) class words are coded (html_words_rewrite, the table
 * reset here).  Replaces out's content.  *cfg: whether a <script type="math/..."> was kept, and
 * the page's MathJax/KaTeX configuration. */
mm_err mm_html_strip(const char *s, size_t n, html_words *words, mm_buf *out, html_math_cfg *cfg);

/* mm_charset_to_utf8 without the copy when the page already is valid UTF-8: *text and *len are
 * either `in` itself or out's content (corpus/charset.c). */
mm_err mm_charset_decode(mm_charset *c, const void *in, size_t n, const char *http_charset,
                         mm_buf *out, const char **used, const char **text, size_t *len);

/* The math pass (corpus/extract_math.c): formulas → <mm-math>, rendered twins removed.
 * cfg->scripts: the page has <script type="math/..."> (then MathJax v2 renderings are dropped,
 * not converted); its delimiters decide what in the text is math. */
mm_err mm_math_pass(xmlDoc *doc, xmlNode *root, const html_math_cfg *cfg, mm_extract_math *m,
                    mm_buf *scratch);
/* MathML → LaTeX (corpus/mathml.c); appends to out, no delimiters. */
mm_err mm_mathml_to_latex(const xmlNode *math, mm_buf *out);

/* Main content (corpus/html_content.c).  Prunes boilerplate under `body` and returns in
 * *nodes the subtrees that make the article (pointers into the tree, owned by the caller's
 * buffer `nodes_buf` of xmlNode*).  Flags: MM_CONTENT_KEEP_ALL, only invisible elements are
 * dropped and the whole body is returned; MM_CONTENT_COMMENTS, a blog post's comment section is
 * kept with the post (a thread's comments under its posts are kept either way). */
enum { MM_CONTENT_KEEP_ALL = 1, MM_CONTENT_COMMENTS = 2 };
typedef struct mm_content mm_content;
mm_content *mm_content_create(void);
void mm_content_free(mm_content *c);
mm_err mm_content_select(mm_content *c, xmlNode *body, unsigned flags, xmlNode ***nodes, size_t *n);

/* Plain text of the given subtrees (corpus/html_text.c): blocks on their own lines, paragraphs
 * separated by a blank line, table rows one a line (cells joined by " | "), <pre> verbatim,
 * list items on their own lines, <mm-math> verbatim.  Replaces b's content.  `written` (NULL:
 * not counted) gets +1 per formula written, at the index of its form attribute. */
mm_err mm_html_text(xmlNode *const *nodes, size_t n, mm_buf *b, uint32_t *written);

#endif
