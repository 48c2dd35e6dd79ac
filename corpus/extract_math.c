/* corpus/extract_math.c — the math pass: every web form of a formula becomes <mm-math>$…$</mm-math>
 * and the rendered twin of each formula disappears.
 *
 * How the web carries a formula, and what we take from it:
 *   - MathJax v2 keeps the source in <script type="math/tex[; mode=display]">, next to its
 *     rendering (span.MathJax / div.MathJax_Display / .MathJax_SVG / .MathJax_CHTML /
 *     .MathJax_Preview …).  When a page has such scripts, the renderings are simply removed.
 *   - MathJax v3 renders <mjx-container> whose <mjx-assistive-mml> holds MathML: we convert it.
 *   - KaTeX renders span.katex = span.katex-mathml (MathML with a TeX annotation) + span.katex-html
 *     (glyph soup): we take the annotation and drop the rest; span.katex-display makes it display.
 *   - MediaWiki renders span.mwe-math-element = hidden MathML (TeX annotation, alttext) + a
 *     fallback <img> whose alt repeats the TeX: we take the annotation once.
 *   - Bare <math>: TeX annotation, else alttext, else MathML converted (corpus/mathml.c).
 *   - StackExchange: span.math-container whose text is already "$…$".
 *   - MathJax v2 also reads <script type="math/asciimath"> (converted by corpus/asciimath.c)
 *     and <script type="math/mml"> (parsed, then converted by corpus/mathml.c).
 *   - Images of a formula: rendered by a TeX server (WordPress latex.php, codecogs, mimetex,
 *     mathtex, QuickLaTeX, Google Charts cht=tx), Sphinx's imgmath (_images/math/, or inside
 *     div.math), or with a math class (tex, latex, math, wp-latex): the TeX is data-latex,
 *     data-tex, else alt or title when they are not prose or a file name, else the URL's
 *     query (img_tex).  Any other image counts only when its alt or title reads as TeX without
 *     doubt (a TeX command, or ^/_ between single symbols, and little prose: img_alt).
 *   - TeX already in the text: the page's delimiters (its MathJax/KaTeX configuration, read by
 *     corpus/math_config.c; without one \( \) \[ \] $$ and a $ that looks like TeX), the
 *     environments equation, align, gather, multline, eqnarray, flalign, alignat, displaymath
 *     (text_env) and BBCode [tex] [latex] [math] (bbcode), each rewritten as $…$ / $$…$$.
 *     Nothing inside <pre>, <code>, <kbd>, <samp>, <textarea>, <script> or <style> is touched.
 * Every formula comes out as $…$ or $$…$$, whatever delimiters the page used.
 *
 * The walk collects formula roots first (never descending into one), then replaces them, so each
 * replacement frees a subtree no other root points into. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "corpus/html.h"

typedef enum {
    R_NONE,
    R_SCRIPT,
    R_V2_RENDER,
    R_MJX,
    R_KATEX,
    R_MWE,
    R_MATH,
    R_CONTAINER,
    R_IMG,
    R_IMG_ALT,
    R_TEXT
} root_kind;

typedef struct root {
    xmlNode *node;
    root_kind kind;
} root;

typedef struct pass {
    xmlDoc *doc;
    mm_extract_math *m;
    mm_buf *tex;
    bool has_scripts;
    root *roots;
    size_t n, cap;
    html_delim delims[HTML_DELIM_MAX]; /* the page's TeX delimiters, longest opening first */
    size_t ndelims;
    bool escapes;                    /* processEscapes: \$ is a literal dollar */
    char starts[HTML_DELIM_MAX + 3]; /* the bytes a formula in the text can start with */
} pass;

/* The form of a MathJax <script type="math/…">, or -1. */
static int script_form(const char *t) {
    if (!t || strncasecmp(t, "math/", 5)) return -1;
    if (!strncasecmp(t + 5, "tex", 3)) return MM_FORM_SCRIPT_TEX;
    if (!strncasecmp(t + 5, "asciimath", 9)) return MM_FORM_SCRIPT_ASCIIMATH;
    if (!strncasecmp(t + 5, "mml", 3)) return MM_FORM_SCRIPT_MML;
    return -1;
}

static bool is_tex_script(const xmlNode *n) {
    return html_is(n, "script") && script_form(html_attr(n, "type")) >= 0;
}

static bool is_v2_render(const xmlNode *n) {
    static const char *const cls[] = {"MathJax_Preview",     "MathJax",
                                      "MathJax_Display",     "MathJax_SVG",
                                      "MathJax_SVG_Display", "MathJax_CHTML",
                                      "MathJax_MathML",      "mjx-chtml",
                                      "MathJax_PHTML",       "MJX_Assistive_MathML",
                                      "MathJax_SVG_Hidden",  "MathJax_MathContainer"};
    if (!html_attr(n, "class")) return false;
    for (size_t i = 0; i < sizeof cls / sizeof *cls; i++)
        if (html_class_has(n, cls[i])) return true;
    return false;
}

static bool url_has(const char *s, const char *needle) {
    return s && strcasestr(s, needle);
}

/* An image from a TeX server: its URL may hold the TeX. */
static bool tex_server_src(const char *src) {
    return url_has(src, "latex.php") || url_has(src, "codecogs.com") || url_has(src, "mimetex") ||
           url_has(src, "mathtex") || url_has(src, "quicklatex") ||
           (url_has(src, "chart.apis.google.com") && url_has(src, "cht=tx"));
}

/* An image that says it is a formula: by its server, Sphinx's folder, a data-latex/data-tex,
 * its class, or Sphinx's div.math around it (div.math > p > img for display math). */
static bool is_tex_img(const xmlNode *n) {
    if (!html_is(n, "img")) return false;
    const char *src = html_attr(n, "src");
    if (tex_server_src(src) || url_has(src, "_images/math/") || url_has(src, "/math/render/") ||
        html_attr(n, "data-latex") || html_attr(n, "data-tex"))
        return true;
    if (html_attr(n, "class") &&
        (html_class_has(n, "tex") || html_class_has(n, "latex") || html_class_has(n, "math") ||
         html_class_contains(n, "wp-latex") || html_class_contains(n, "ql-img-") ||
         html_class_contains(n, "mwe-math-fallback-image")))
        return true;
    const xmlNode *p = n->parent;
    for (int up = 0; up < 2 && p && p->type == XML_ELEMENT_NODE; up++, p = p->parent)
        if (html_is(p, "div") && html_class_has(p, "math")) return true;
    return false;
}

/* ---- does an alt text read as TeX? ---- */

static bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_alnum(char c) {
    return is_letter(c) || (c >= '0' && c <= '9');
}

/* A file name or URL ("IMG_2034.jpg", "http://…"), not a formula. */
static bool looks_like_file(const char *s) {
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp"};
    if (strstr(s, "://") || strstr(s, ":\\")) return true;
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t k = strlen(ext[i]);
        if (n >= k && !strcasecmp(s + n - k, ext[i])) return true;
    }
    return false;
}

/* Words of three or more letters in s[0..n) that are not TeX commands ("\frac" is not a
 * word). */
static int prose_words_n(const char *s, size_t n) {
    int words = 0;
    for (const char *c = s, *e = s + n; c < e;) {
        if (!is_letter(*c)) {
            c++;
            continue;
        }
        const char *w = c;
        while (c < e && is_letter(*c))
            c++;
        if (c - w >= 3 && !(w > s && w[-1] == '\\')) words++;
    }
    return words;
}
static int prose_words(const char *s) {
    return prose_words_n(s, strlen(s));
}

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* The operand before a ^ or _ at c is one symbol: a letter, a number, or a group. */
static bool single_left(const char *s, const char *c) {
    const char *l = c - 1;
    if (l < s) return false;
    if (*l == '}' || *l == ')') return true;
    if (is_letter(*l)) return l == s || !is_alnum(l[-1]);
    if (!is_digit(*l)) return false;
    while (l > s && is_digit(l[-1]))
        l--;
    return l == s || !is_alnum(l[-1]);
}

/* The operand after a ^ or _ at c is one symbol. */
static bool single_right(const char *c) {
    const char *r = c + 1;
    if (*r == '{' || *r == '\\' || *r == '(') return true;
    if (is_letter(*r)) return !is_alnum(r[1]);
    if (!is_digit(*r)) return false;
    while (is_digit(*r))
        r++;
    return !is_letter(*r);
}

/* TeX beyond doubt: a command (\ and two letters) and at most two words of prose; or ^ or _
 * between single symbols ("x^2", "a_{n}", not "IMG_2034", "dp3_1_en" nor "^_^") and no word
 * at all (WordPress writes file names as alt texts: "borderlands_3_3"). */
static bool strong_tex(const char *s) {
    if (!s || !strpbrk(s, "\\^_") || strlen(s) > 2000 || looks_like_file(s)) return false;
    bool cmd = false, script = false;
    for (const char *c = s; *c; c++) {
        if (*c == '\\')
            cmd |= is_letter(c[1]) && is_letter(c[2]);
        else if (*c == '^' || *c == '_')
            script |= single_left(s, c) && single_right(c);
    }
    int words = cmd || script ? prose_words(s) : 99;
    return (cmd && words <= 2) || (script && words == 0);
}

/* An alt text on an image that says it is a formula: anything but prose and file names. */
static bool weak_tex(const char *s) {
    if (!s || strlen(s) > 4000 || looks_like_file(s)) return false;
    return !strpbrk(s, "\\^_{}=+<>") ? prose_words(s) < 3 : true;
}

/* The TeX of an image: data-latex, data-tex, else the first of alt and title that reads as
 * TeX (weakly for an image that says it is a formula); NULL when none does. */
static const char *img_source(const xmlNode *n, bool hinted) {
    const char *t = html_attr(n, "data-latex");
    if (t || (t = html_attr(n, "data-tex")) != NULL) return t;
    const char *alt = html_attr(n, "alt"), *title = html_attr(n, "title");
    bool (*ok)(const char *) = hinted ? weak_tex : strong_tex;
    return ok(alt) ? alt : ok(title) ? title : NULL;
}

/* Every class name this pass asks for (is_v2_render, is_tex_img, classify, the display tests)
 * holds "math", "jax", "mjx", "tex" or "ql-img" in some case: the strip pass codes class words
 * that hold none (corpus/html_words.c).  w is lowercase. */
bool html_math_word(const char *w) {
    for (; *w; w++)
        if ((w[0] == 'm' && w[1] == 'a' && w[2] == 't' && w[3] == 'h') ||
            (w[0] == 'j' && w[1] == 'a' && w[2] == 'x') ||
            (w[0] == 'm' && w[1] == 'j' && w[2] == 'x') ||
            (w[0] == 't' && w[1] == 'e' && w[2] == 'x') ||
            (w[0] == 'q' && w[1] == 'l' && w[2] == '-' && w[3] == 'i' && w[4] == 'm' &&
             w[5] == 'g'))
            return true;
    return false;
}

/* Does the class string contain "math", "jax" or "mjx" (any case) or "katex"?  One pass over
 * it instead of four searches: this runs for every element with a class. */
static bool class_may_be_math(const char *c) {
    while ((c = strpbrk(c, "mMjJk")) != NULL) { /* libc's SSE4.2 scan to the candidates */
        char l = (char)(*c | 0x20);
        if (l == 'm' && (((c[1] | 0x20) == 'a' && (c[2] | 0x20) == 't' && (c[3] | 0x20) == 'h') ||
                         ((c[1] | 0x20) == 'j' && (c[2] | 0x20) == 'x')))
            return true;
        if (l == 'j' && (c[1] | 0x20) == 'a' && (c[2] | 0x20) == 'x') return true;
        if (*c == 'k' && !strncmp(c, "katex", 5)) return true;
        c++;
    }
    return false;
}

static root_kind classify(const pass *p, const xmlNode *n) {
    if (n->type != XML_ELEMENT_NODE) return R_NONE;
    const char *nm = (const char *)n->name;
    if (is_tex_script(n)) return R_SCRIPT;
    if (html_name_eq(nm, "mjx-container")) return R_MJX;
    if (html_name_eq(nm, "math") || html_name_eq(nm, "m:math")) return R_MATH;
    if (html_name_eq(nm, "img")) {
        if (is_tex_img(n)) return R_IMG;
        const char *alt = html_attr(n, "alt"), *title = html_attr(n, "title");
        return (alt || title) && img_source(n, false) ? R_IMG_ALT : R_NONE;
    }
    const char *cls = html_attr(n, "class");
    /* fast path: every class below contains one of these (most elements have none) */
    if (!cls || !class_may_be_math(cls)) return R_NONE;
    if (html_class_has(n, "katex")) return R_KATEX;
    if (html_class_has(n, "katex-html")) return R_V2_RENDER;
    if (html_class_has(n, "mwe-math-element")) return R_MWE;
    if (html_class_has(n, "math-container")) return R_CONTAINER;
    if (is_v2_render(n))
        return p->has_scripts || html_class_has(n, "MathJax_Preview") ? R_V2_RENDER : R_MJX;
    return R_NONE;
}

/* ---- finding TeX ---- */

static xmlNode *find_desc(xmlNode *n, bool (*pred)(const xmlNode *)) {
    for (xmlNode *c = n->children; c; c = html_next(c, n, true))
        if (pred(c)) return c;
    return NULL;
}

static bool is_math_el(const xmlNode *n) {
    return html_is(n, "math") || html_is(n, "m:math");
}
static bool is_tex_annotation(const xmlNode *n) {
    const char *enc = html_attr(n, "encoding");
    return (html_is(n, "annotation") || html_is(n, "m:annotation")) && enc &&
           strcasestr(enc, "tex");
}
static bool is_display_math(const xmlNode *n) {
    const char *d = html_attr(n, "display"), *mode = html_attr(n, "mode");
    return (d && (!strcasecmp(d, "block") || !strcasecmp(d, "true"))) ||
           (mode && !strcasecmp(mode, "display"));
}

/* TeX of a <math>: annotation, alttext or conversion; counts which one was used. */
static mm_err math_tex(pass *p, xmlNode *math, bool *display, int *form) {
    if (is_display_math(math)) *display = true;
    xmlNode *ann = find_desc(math, is_tex_annotation);
    if (ann) {
        p->m->form[ *form = MM_FORM_TEX_ANNOTATION]++;
        return html_text_content(ann, p->tex);
    }
    const char *alt = html_attr(math, "alttext");
    if (alt) {
        p->m->form[ *form = MM_FORM_MATHML_ALTTEXT]++;
        return mm_buf_puts(p->tex, alt);
    }
    p->m->form[ *form = MM_FORM_MATHML]++;
    return mm_mathml_to_latex(math, p->tex);
}

static int hexval(int c) {
    return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) into p->tex ('+' is a space only in form-style queries). */
static mm_err url_decode(pass *p, const char *s, size_t n, bool plus_space) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n + 0 && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            c = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        MM_TRY(mm_buf_putc(p->tex, c));
    }
    return MM_OK;
}

/* TeX from an image URL: latex.php?latex=…&bg=…, chart?cht=tx&chl=…, codecogs/mimetex: the query.
 */
static mm_err src_tex(pass *p, const char *src) {
    const char *q = strchr(src, '?');
    if (!q) return MM_OK;
    q++;
    const char *key = strcasestr(q, "latex=");
    if (!key) key = strcasestr(q, "chl=");
    if (key) {
        const char *v = strchr(key, '=') + 1;
        return url_decode(p, v, strcspn(v, "&"), true);
    }
    return url_decode(p, q, strlen(q), false);
}

/* Is n the only thing in its parent (but whitespace, comments and <br>)? */
static bool only_child(const xmlNode *n) {
    for (const xmlNode *c = n->parent->children; c; c = c->next) {
        if (c == n || c->type == XML_COMMENT_NODE || html_is(c, "br")) continue;
        if (c->type == XML_TEXT_NODE && c->content &&
            strspn((const char *)c->content, " \t\r\n\f") == strlen((const char *)c->content))
            continue;
        return false;
    }
    return true;
}

/* An image alone in a block (<p><img></p>, Sphinx's div.math > p > img, Wikipedia's
 * <dd><span><img></span></dd>), through inline wrappers, stands for display math. */
static bool alone_in_block(const xmlNode *img) {
    const xmlNode *n = img;
    for (int up = 0; up < 3 && n->parent && (html_is(n->parent, "span") || html_is(n->parent, "a"));
         up++) {
        if (!only_child(n)) return false;
        n = n->parent;
    }
    const xmlNode *b = n->parent;
    if (!b || !(html_is(b, "p") || html_is(b, "div") || html_is(b, "center") ||
                html_is(b, "figure") || html_is(b, "dd") || html_is(b, "blockquote")))
        return false;
    return only_child(n);
}

/* The TeX of an image into p->tex (nothing when it has none); counted as `form`. */
static mm_err img_tex(pass *p, xmlNode *img, bool *display, bool hinted, int *form) {
    const char *t = img_source(img, hinted), *src = html_attr(img, "src");
    *display = html_class_contains(img, "display") || alone_in_block(img);
    size_t before = p->tex->len;
    if (t)
        MM_TRY(mm_buf_puts(p->tex, t));
    else if (hinted && tex_server_src(src))
        MM_TRY(src_tex(p, src));
    if (p->tex->len > before) p->m->form[ *form = hinted ? MM_FORM_IMG_TEX : MM_FORM_IMG_ALT]++;
    return MM_OK;
}

static bool has_class_katex_display(const xmlNode *n) {
    return n && html_class_has(n, "katex-display");
}

/* ---- replacing ---- */

static bool space_byte(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void trim(const char *s, size_t *a, size_t *b) {
    while (*a < *b && space_byte(s[*a]))
        (*a)++;
    while (*b > *a && space_byte(s[*b - 1]))
        (*b)--;
}

/* Trim, and unwrap MediaWiki's "{\displaystyle …}" (added to every formula it serves). */
static void tidy(const char *s, size_t *a, size_t *b) {
    trim(s, a, b);
    static const char ds[] = "{\\displaystyle";
    size_t k = sizeof ds - 1;
    if (*b - *a > k + 1 && !memcmp(s + *a, ds, k) && s[*b - 1] == '}' &&
        !isalpha((unsigned char)s[*a + k])) {
        *a += k;
        (*b)--;
        trim(s, a, b);
    }
}

/* Does s[a..b) hold the byte string d (unescaped)? */
static bool holds(const char *s, size_t a, size_t b, const char *d) {
    size_t k = strlen(d);
    for (size_t i = a; i + k <= b; i++)
        if (!memcmp(s + i, d, k) && !(i > a && s[i - 1] == '\\')) return true;
    return false;
}

/* When s[a..b) is one formula in delimiters ($$…$$, \[…\], $…$, \(…\)), narrow it to the TeX
 * inside and set *display for the display ones; false when it is several ("$a$ and $b$"): then
 * it is written as it is. */
static bool undelimit(const char *s, size_t *a, size_t *b, bool *display) {
    static const struct {
        const char *open, *close;
        bool display;
    } d[] = {{"$$", "$$", true}, {"\\[", "\\]", true}, {"\\(", "\\)", false}, {"$", "$", false}};
    size_t n = *b - *a;
    for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
        size_t ko = strlen(d[i].open), kc = strlen(d[i].close);
        if (n < ko + kc || memcmp(s + *a, d[i].open, ko) || memcmp(s + *b - kc, d[i].close, kc))
            continue;
        if (holds(s, *a + ko, *b - kc, d[i].close) || holds(s, *a + ko, *b - kc, "$")) return false;
        *a += ko, *b -= kc;
        *display = *display || d[i].display;
        trim(s, a, b);
        return true;
    }
    return true;
}

/* TeX decoded from a URL may hold any byte: invalid UTF-8 becomes U+FFFD, NUL is dropped. */
static mm_err append_valid_utf8(mm_buf *o, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        int k = mm_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k > 0 && s[i])
            MM_TRY(mm_buf_append(o, s + i, (size_t)k));
        else if (k <= 0)
            MM_TRY(mm_buf_append(o, "\xEF\xBF\xBD", 3));
        i += k > 0 ? (size_t)k : 1;
    }
    return MM_OK;
}

/* TeX from the page's text, whitespace runs as one space, as the page shows it (the text is
 * valid UTF-8 already). */
static mm_err append_collapsed(mm_buf *o, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!space_byte(s[i])) {
            MM_TRY(mm_buf_putc(o, s[i]));
        } else if (i + 1 < n && !space_byte(s[i + 1])) {
            MM_TRY(mm_buf_putc(o, ' '));
        }
    }
    return MM_OK;
}

/* A new <mm-math form="F" [display="1"]> holding s[a..b) as $…$ or $$…$$ (delimiters the TeX
 * already has are replaced), or *out NULL when it is empty.  Counts it as display. */
static mm_err make_math(pass *p, const char *s, size_t a, size_t b, bool display, int form,
                        xmlNode **out) {
    *out = NULL;
    tidy(s, &a, &b);
    bool one = undelimit(s, &a, &b, &display);
    if (a == b) return MM_OK;
    mm_buf o = {0};
    const char *d = !one ? "" : display ? "$$" : "$";
    mm_err e = mm_buf_puts(&o, d);
    if (e == MM_OK && form >= MM_FORM_TEXT_TEX)
        e = append_collapsed(&o, s + a, b - a);
    else if (e == MM_OK)
        e = append_valid_utf8(&o, s + a, b - a);
    if (e == MM_OK) e = mm_buf_puts(&o, d);
    if (e != MM_OK) return mm_buf_free(&o), e;
    if (!one && b - a > 2 && !strncmp(s + a, "$$", 2)) display = true;
    xmlNode *mm = xmlNewDocNode(p->doc, NULL, BAD_CAST MM_MATH_TAG, NULL);
    xmlNode *txt = mm ? xmlNewDocTextLen(p->doc, BAD_CAST o.data, (int)o.len) : NULL;
    mm_buf_free(&o);
    if (!mm || !txt) {
        xmlFreeNode(mm);
        return mm_fail(MM_ERR_NOMEM, "out of memory building a formula node");
    }
    xmlAddChild(mm, txt);
    char f[4] = {(char)('0' + form / 10), (char)('0' + form % 10), 0};
    if (!xmlNewProp(mm, BAD_CAST "form", BAD_CAST(form < 10 ? f + 1 : f)) ||
        (display && !xmlNewProp(mm, BAD_CAST "display", BAD_CAST "1"))) {
        xmlFreeNode(mm);
        return mm_fail(MM_ERR_NOMEM, "out of memory building a formula node");
    }
    p->m->display += display;
    *out = mm;
    return MM_OK;
}

/* Replace `node` by the formula in p->tex (or remove it when that is empty). */
static mm_err replace(pass *p, xmlNode *node, bool display, int form) {
    xmlNode *mm;
    MM_TRY(make_math(p, p->tex->data ? p->tex->data : "", 0, p->tex->len, display, form, &mm));
    if (!mm) {
        xmlUnlinkNode(node);
        xmlFreeNode(node);
        return MM_OK;
    }
    xmlReplaceNode(node, mm);
    xmlFreeNode(node);
    return MM_OK;
}

/* The MathML held as text by <script type="math/mml">, parsed and converted into p->tex. */
static mm_err mml_script(pass *p, const mm_buf *src, bool *display) {
    if (!src->len || src->len > (size_t)INT32_MAX) return MM_OK;
    xmlDoc *d = htmlReadMemory(src->data, (int)src->len, NULL, "UTF-8",
                               HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                   HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
    if (!d) return MM_OK;
    xmlNode *r = xmlDocGetRootElement(d);
    xmlNode *math = !r ? NULL : is_math_el(r) ? r : find_desc(r, is_math_el);
    mm_err e = MM_OK;
    if (math) {
        *display = *display || is_display_math(math);
        e = mm_mathml_to_latex(math, p->tex);
    }
    xmlFreeDoc(d);
    return e;
}

static mm_err script_tex(pass *p, xmlNode *n, bool *display, int *form) {
    const char *type = html_attr(n, "type");
    *display = strcasestr(type, "mode=display") != NULL;
    *form = script_form(type);
    if (*form == MM_FORM_SCRIPT_TEX) return html_text_content(n, p->tex);
    mm_buf src = {0};
    mm_err e = html_text_content(n, &src);
    if (e == MM_OK && *form == MM_FORM_SCRIPT_ASCIIMATH) {
        size_t a = 0, b = src.len;
        if (src.data) trim(src.data, &a, &b);
        if (a < b && !mm_asciimath_to_latex(src.data + a, b - a, p->tex))
            e = mm_buf_append(p->tex, src.data + a, b - a); /* too deep: the source as it is */
    } else if (e == MM_OK) {
        e = mml_script(p, &src, display);
    }
    mm_buf_free(&src);
    return e;
}

static mm_err do_text(pass *p, xmlNode *t);

static mm_err do_root(pass *p, xmlNode *n, root_kind k) {
    bool display = false;
    int form = -1;
    mm_buf_clear(p->tex);
    xmlNode *math;
    switch (k) {
    case R_TEXT:
        return do_text(p, n);
    case R_SCRIPT:
        MM_TRY(script_tex(p, n, &display, &form));
        if (form >= 0) p->m->form[form]++;
        break;
    case R_V2_RENDER:
        p->m->rendered_removed++;
        break;
    case R_MJX:
    case R_KATEX:
    case R_MWE:
        display = is_display_math(n) || has_class_katex_display(n->parent) ||
                  html_class_has(n, "MathJax_Display") || find_desc(n, is_display_math) != NULL;
        if (k == R_MWE && find_desc(n, is_tex_img))
            display = display || html_class_contains(find_desc(n, is_tex_img), "display");
        if ((math = find_desc(n, is_math_el)) != NULL) {
            MM_TRY(math_tex(p, math, &display, &form));
        } else if (k == R_MWE && find_desc(n, is_tex_img)) {
            bool d2 = false;
            MM_TRY(img_tex(p, find_desc(n, is_tex_img), &d2, true, &form));
        }
        if (k != R_MWE) p->m->rendered_removed++;
        break;
    case R_MATH:
        MM_TRY(math_tex(p, n, &display, &form));
        break;
    case R_CONTAINER:
        p->m->form[form = MM_FORM_MATH_CONTAINER]++;
        MM_TRY(html_text_content(n, p->tex));
        break;
    case R_IMG:
    case R_IMG_ALT:
        MM_TRY(img_tex(p, n, &display, k == R_IMG, &form));
        if (!p->tex->len) return MM_OK; /* an image without TeX stays an image */
        break;
    default:
        return MM_OK;
    }
    return replace(p, n, display, form < 0 ? 0 : form); /* no form: nothing to write */
}

/* ---- TeX already in the text ---- */

static const char *const envs[] = {"equation", "align",   "gather",      "multline", "eqnarray",
                                   "flalign",  "alignat", "displaymath", "split"};

typedef struct match {
    size_t a, b;   /* the whole match in the text */
    size_t ta, tb; /* the TeX to write */
    bool display;
    int form;
} match;

/* The first `d` in s[from..to) (a '$' escaped by a backslash does not count), or SIZE_MAX. */
static size_t find_close(const char *s, size_t from, size_t to, const char *d) {
    size_t k = strlen(d);
    while (from + k <= to) {
        const char *q = memmem(s + from, to - from, d, k);
        if (!q) return SIZE_MAX;
        size_t i = (size_t)(q - s);
        if (!(d[0] == '$' && i > 0 && s[i - 1] == '\\')) return i;
        from = i + 1;
    }
    return SIZE_MAX;
}

/* A "$…$" on a page that does not configure "$": only when it looks like TeX.  Like Pandoc: no
 * space inside either delimiter, no digit right after the closing one ("costs $5 and $10");
 * little prose inside (two words at most, four with a TeX command); then a TeX character (\ ^ _ { }
 * =), or a short symbol ($x$, $2n$), or an operation between letters ($a+b$) with no long word. */
static bool dollar_tex(const char *s, size_t a, size_t b, char after) {
    size_t n = b - a;
    if (n == 0 || n > 300 || space_byte(s[a]) || space_byte(s[b - 1])) return false;
    if (after >= '0' && after <= '9') return false;
    int words = prose_words_n(s + a, n); /* "$x$ … $y$": the text between is no formula */
    if (words > 3 || (words > 1 && !memchr(s + a, '\\', n))) return false;
    bool op = false, digit_first = s[a] >= '0' && s[a] <= '9';
    size_t run = 0, longest = 0, alnum = 0;
    for (size_t i = a; i < b; i++) {
        char c = s[i];
        if (strchr("\\^_{}=", c)) return true;
        op |= strchr("+-*/<>|", c) != NULL;
        run = is_letter(c) ? run + 1 : 0;
        if (run > longest) longest = run;
        alnum += is_alnum(c);
    }
    if (digit_first) return false;
    if (n <= 3 && alnum == n) return true;
    return op && longest < 4 && (is_letter(s[a]) || s[a] == '(');
}

static size_t lower_prefix(const char *s, size_t i, size_t n, const char *w) {
    size_t k = strlen(w);
    return i + k <= n && !strncasecmp(s + i, w, k) ? k : 0;
}

/* BBCode [tex]…[/tex], [latex]…[/latex], [math]…[/math] at s[i]. */
static bool match_bbcode(const char *s, size_t i, size_t n, match *m) {
    static const char *const tags[][2] = {
        {"[tex]", "[/tex]"}, {"[latex]", "[/latex]"}, {"[math]", "[/math]"}};
    for (size_t t = 0; t < 3; t++) {
        size_t k = lower_prefix(s, i, n, tags[t][0]);
        if (!k) continue;
        size_t to = n - i > 8000 ? i + 8000 : n, kc = strlen(tags[t][1]);
        for (size_t j = i + k; j + kc <= to; j++)
            if (lower_prefix(s, j, n, tags[t][1])) {
                *m = (match){i, j + kc, i + k, j, false, MM_FORM_BBCODE};
                return true;
            }
    }
    return false;
}

/* \begin{env}…\end{env} at s[i] for the display environments of envs[]. */
static bool match_env(const char *s, size_t i, size_t n, match *m) {
    if (!lower_prefix(s, i, n, "\\begin{")) return false;
    size_t j = i + 7, e = j;
    while (e < n && e - j < 16 && is_letter(s[e]))
        e++;
    bool found = false;
    for (size_t k = 0; k < sizeof envs / sizeof *envs && !found; k++)
        found = strlen(envs[k]) == e - j && !memcmp(s + j, envs[k], e - j);
    if (!found) return false;
    if (e < n && s[e] == '*') e++;
    if (e >= n || s[e] != '}') return false;
    char end[32];
    snprintf(end, sizeof end, "\\end{%.*s}", (int)(e - j), s + j);
    size_t to = n - i > 20000 ? i + 20000 : n;
    size_t c = find_close(s, e, to, end);
    if (c == SIZE_MAX) return false;
    *m = (match){i, c + strlen(end), i, c + strlen(end), true, MM_FORM_TEXT_ENV};
    return true;
}

/* One of the page's delimiters at s[i]. */
static bool match_delim(const pass *p, const char *s, size_t i, size_t n, match *m) {
    for (size_t k = 0; k < p->ndelims; k++) {
        const html_delim *d = &p->delims[k];
        size_t ko = strlen(d->open);
        if (i + ko > n || memcmp(s + i, d->open, ko)) continue;
        if (d->open[0] == '$' && i > 0 && s[i - 1] == '\\') return false; /* \$ */
        size_t lim = d->heuristic ? 302 : 8000;
        size_t to = n - i - ko > lim ? i + ko + lim : n;
        size_t c = find_close(s, i + ko, to, d->close);
        if (c == SIZE_MAX || c == i + ko) continue;
        size_t kc = strlen(d->close);
        if (d->heuristic && !dollar_tex(s, i + ko, c, s[c + kc])) continue;
        *m = (match){i, c + kc, i + ko, c, d->display, MM_FORM_TEXT_TEX};
        return true;
    }
    return false;
}

/* The next formula in s[*i..n) (*i moves past what was looked at); false at the end. */
static bool next_match(const pass *p, const char *s, size_t n, size_t *i, match *m) {
    while (*i < n) {
        const char *c = strpbrk(s + *i, p->starts);
        if (!c || (size_t)(c - s) >= n) break;
        size_t at = (size_t)(c - s);
        *i = at + 1;
        if (*c == '\\' && c[1] == '\\') { /* a TeX line break, not the start of \( or \[ */
            *i = at + 2;
            continue;
        }
        if ((*c == '[' && match_bbcode(s, at, n, m)) || (*c == '\\' && match_env(s, at, n, m)) ||
            match_delim(p, s, at, n, m)) {
            *i = m->b;
            return true;
        }
    }
    *i = n;
    return false;
}

/* Append plain text s[a..b) to o, "\$" as "$" when the page says so (processEscapes). */
static mm_err put_plain(const pass *p, mm_buf *o, const char *s, size_t a, size_t b) {
    for (size_t i = a; i < b; i++) {
        if (p->escapes && s[i] == '\\' && i + 1 < b && s[i + 1] == '$') continue;
        MM_TRY(mm_buf_putc(o, s[i]));
    }
    return MM_OK;
}

/* Link n into the tree just before ref (libxml2's xmlAddPrevSibling would merge text nodes). */
static void link_before(xmlNode *ref, xmlNode *n) {
    n->parent = ref->parent;
    n->doc = ref->doc;
    n->next = ref;
    n->prev = ref->prev;
    if (ref->prev)
        ref->prev->next = n;
    else if (ref->parent)
        ref->parent->children = n;
    ref->prev = n;
}

static mm_err text_before(pass *p, xmlNode *t, const mm_buf *plain) {
    if (!plain->len) return MM_OK;
    xmlNode *n = xmlNewDocTextLen(p->doc, BAD_CAST plain->data, (int)plain->len);
    if (!n) return mm_fail(MM_ERR_NOMEM, "out of memory splitting a text node");
    link_before(t, n);
    return MM_OK;
}

/* Does the text hold a formula (or, with processEscapes, a "\$")? */
static bool text_has_tex(const pass *p, const char *s) {
    if (!strpbrk(s, p->starts)) return false;
    size_t n = strlen(s), i = 0;
    match m;
    return next_match(p, s, n, &i, &m) || (p->escapes && strstr(s, "\\$"));
}

/* Split the text node t around its formulas: text, <mm-math>, text, … */
static mm_err do_text(pass *p, xmlNode *t) {
    const char *s = (const char *)t->content;
    size_t n = strlen(s), i = 0, from = 0;
    mm_buf plain = {0};
    mm_err e = MM_OK;
    match m;
    while (e == MM_OK && next_match(p, s, n, &i, &m)) {
        xmlNode *mm;
        e = put_plain(p, &plain, s, from, m.a);
        if (e == MM_OK) e = make_math(p, s, m.ta, m.tb, m.display, m.form, &mm);
        if (e != MM_OK || !mm) continue;
        p->m->form[m.form]++;
        e = text_before(p, t, &plain);
        mm_buf_clear(&plain);
        link_before(t, mm);
        from = m.b;
    }
    if (e == MM_OK) e = put_plain(p, &plain, s, from, n);
    if (e == MM_OK && plain.len) {
        xmlNodeSetContentLen(t, BAD_CAST plain.data, (int)plain.len);
    } else if (e == MM_OK) {
        xmlUnlinkNode(t);
        xmlFreeNode(t);
    }
    mm_buf_free(&plain);
    return e;
}

static mm_err add_root(pass *p, xmlNode *n, root_kind k) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        root *r = realloc(p->roots, cap * sizeof *r);
        if (!r) return mm_fail(MM_ERR_NOMEM, "out of memory");
        p->roots = r, p->cap = cap;
    }
    p->roots[p->n++] = (root){n, k};
    return MM_OK;
}

/* Code and raw text: never rewritten, no formula looked for inside. */
static bool skip_text_of(const xmlNode *n) {
    return html_is(n, "script") || html_is(n, "style") || html_is(n, "code") || html_is(n, "pre") ||
           html_is(n, "textarea") || html_is(n, "kbd") || html_is(n, "samp");
}

static mm_err collect(pass *p, xmlNode *root) {
    for (xmlNode *n = root; n;) {
        root_kind k = classify(p, n);
        if (k == R_NONE && n->type == XML_TEXT_NODE && n->content && n->parent &&
            !skip_text_of(n->parent) && text_has_tex(p, (const char *)n->content))
            k = R_TEXT;
        if (k != R_NONE) MM_TRY(add_root(p, n, k));
        n = html_next(n, root, k == R_NONE && !skip_text_of(n));
    }
    return MM_OK;
}

mm_err mm_math_pass(xmlDoc *doc, xmlNode *root, const html_math_cfg *cfg, mm_extract_math *m,
                    mm_buf *scratch) {
    pass p = {.doc = doc, .m = m, .tex = scratch, .has_scripts = cfg->scripts};
    html_math_cfg_delims(cfg, p.delims, &p.ndelims, &p.escapes);
    size_t k = 0;
    p.starts[k++] = '\\';
    p.starts[k++] = '[';
    for (size_t i = 0; i < p.ndelims; i++)
        if (!strchr(p.starts, p.delims[i].open[0]) && k < sizeof p.starts - 1)
            p.starts[k++] = p.delims[i].open[0];
    p.starts[k] = 0;
    mm_err e = collect(&p, root);
    for (size_t i = 0; e == MM_OK && i < p.n; i++)
        e = do_root(&p, p.roots[i].node, p.roots[i].kind);
    free(p.roots);
    return e;
}
