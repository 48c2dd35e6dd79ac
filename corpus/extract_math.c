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
 *   - Images rendered by a TeX server (WordPress latex.php, codecogs, mimetex, mathtex, Google
 *     Charts cht=tx) or with class tex/latex: the TeX is in alt, else in the URL's query.
 *   - \( \) \[ \] $ $$ already in the text stay as they are; we only count them.
 *
 * The walk collects formula roots first (never descending into one), then replaces them, so each
 * replacement frees a subtree no other root points into. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "corpus/html.h"

typedef enum {
    R_NONE, R_SCRIPT, R_V2_RENDER, R_MJX, R_KATEX, R_MWE, R_MATH, R_CONTAINER, R_IMG
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
} pass;

static bool is_tex_script(const xmlNode *n) {
    if (!html_is(n, "script")) return false;
    const char *t = html_attr(n, "type");
    return t && !strncasecmp(t, "math/tex", 8);
}

static bool is_v2_render(const xmlNode *n) {
    static const char *const cls[] = {"MathJax_Preview", "MathJax", "MathJax_Display",
        "MathJax_SVG", "MathJax_SVG_Display", "MathJax_CHTML", "MathJax_MathML", "mjx-chtml",
        "MathJax_PHTML", "MJX_Assistive_MathML", "MathJax_SVG_Hidden", "MathJax_MathContainer"};
    if (!html_attr(n, "class")) return false;
    for (size_t i = 0; i < sizeof cls / sizeof *cls; i++)
        if (html_class_has(n, cls[i])) return true;
    return false;
}

static bool url_has(const char *s, const char *needle) { return s && strcasestr(s, needle); }

static bool is_tex_img(const xmlNode *n) {
    if (!html_is(n, "img")) return false;
    const char *src = html_attr(n, "src");
    if (url_has(src, "latex.php") || url_has(src, "codecogs.com") || url_has(src, "mimetex") ||
        url_has(src, "mathtex") || (url_has(src, "chart.apis.google.com") && url_has(src, "cht=tx")))
        return true;
    return html_class_has(n, "tex") || html_class_has(n, "latex") ||
           html_class_contains(n, "mwe-math-fallback-image");
}

/* Every class name this pass asks for (is_v2_render, is_tex_img, classify, the display tests)
 * holds "math", "jax", "mjx" or "tex" in some case: the strip pass codes class words that hold
 * none (corpus/html_words.c).  w is lowercase. */
bool html_math_word(const char *w) {
    for (; *w; w++)
        if ((w[0] == 'm' && w[1] == 'a' && w[2] == 't' && w[3] == 'h') ||
            (w[0] == 'j' && w[1] == 'a' && w[2] == 'x') ||
            (w[0] == 'm' && w[1] == 'j' && w[2] == 'x') ||
            (w[0] == 't' && w[1] == 'e' && w[2] == 'x'))
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
    if (html_name_eq(nm, "img")) return is_tex_img(n) ? R_IMG : R_NONE;
    const char *cls = html_attr(n, "class");
    /* fast path: every class below contains one of these (most elements have none) */
    if (!cls || !class_may_be_math(cls)) return R_NONE;
    if (html_class_has(n, "katex")) return R_KATEX;
    if (html_class_has(n, "katex-html")) return R_V2_RENDER;
    if (html_class_has(n, "mwe-math-element")) return R_MWE;
    if (html_class_has(n, "math-container")) return R_CONTAINER;
    if (is_v2_render(n)) return p->has_scripts || html_class_has(n, "MathJax_Preview") ? R_V2_RENDER : R_MJX;
    return R_NONE;
}

/* ---- finding TeX ---- */

static xmlNode *find_desc(xmlNode *n, bool (*pred)(const xmlNode *)) {
    for (xmlNode *c = n->children; c; c = html_next(c, n, true))
        if (pred(c)) return c;
    return NULL;
}

static bool is_math_el(const xmlNode *n) { return html_is(n, "math") || html_is(n, "m:math"); }
static bool is_tex_annotation(const xmlNode *n) {
    const char *enc = html_attr(n, "encoding");
    return (html_is(n, "annotation") || html_is(n, "m:annotation")) && enc && strcasestr(enc, "tex");
}
static bool is_display_math(const xmlNode *n) {
    const char *d = html_attr(n, "display"), *mode = html_attr(n, "mode");
    return (d && (!strcasecmp(d, "block") || !strcasecmp(d, "true"))) ||
           (mode && !strcasecmp(mode, "display"));
}

/* TeX of a <math>: annotation, alttext or conversion; counts which one was used. */
static mm_err math_tex(pass *p, xmlNode *math, bool *display) {
    if (is_display_math(math)) *display = true;
    xmlNode *ann = find_desc(math, is_tex_annotation);
    if (ann) {
        p->m->tex_annotation++;
        return html_text_content(ann, p->tex);
    }
    const char *alt = html_attr(math, "alttext");
    if (alt) {
        p->m->mathml_alttext++;
        return mm_buf_puts(p->tex, alt);
    }
    p->m->mathml++;
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

/* TeX from an image URL: latex.php?latex=…&bg=…, chart?cht=tx&chl=…, codecogs/mimetex: the query. */
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

static mm_err img_tex(pass *p, xmlNode *img, bool *display) {
    const char *alt = html_attr(img, "alt"), *src = html_attr(img, "src");
    *display = html_class_contains(img, "display");
    p->m->img_tex++;
    if (alt) return mm_buf_puts(p->tex, alt);
    return src ? src_tex(p, src) : MM_OK;
}

static bool has_class_katex_display(const xmlNode *n) {
    return n && html_class_has(n, "katex-display");
}

/* ---- replacing ---- */

/* Trim, and unwrap MediaWiki's "{\displaystyle …}" (added to every formula it serves). */
static void tidy(mm_buf *t, size_t *a, size_t *b) {
    const char *s = t->data;
    while (*a < *b && isspace((unsigned char)s[*a])) (*a)++;
    while (*b > *a && isspace((unsigned char)s[*b - 1])) (*b)--;
    static const char ds[] = "{\\displaystyle";
    size_t k = sizeof ds - 1;
    if (*b - *a > k + 1 && !memcmp(s + *a, ds, k) && s[*b - 1] == '}' &&
        !isalpha((unsigned char)s[*a + k])) {
        *a += k;
        (*b)--;
        while (*a < *b && isspace((unsigned char)s[*a])) (*a)++;
        while (*b > *a && isspace((unsigned char)s[*b - 1])) (*b)--;
    }
}

static bool already_delimited(const char *s, size_t n) {
    return n >= 2 && ((s[0] == '$' && s[n - 1] == '$') ||
                      (s[0] == '\\' && (s[1] == '(' || s[1] == '[')));
}

/* TeX decoded from a URL may hold any byte: invalid UTF-8 becomes U+FFFD, NUL is dropped. */
static mm_err append_valid_utf8(mm_buf *o, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        int k = mm_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k > 0 && s[i]) MM_TRY(mm_buf_append(o, s + i, (size_t)k));
        else if (k <= 0) MM_TRY(mm_buf_append(o, "\xEF\xBF\xBD", 3));
        i += k > 0 ? (size_t)k : 1;
    }
    return MM_OK;
}

/* Replace `node` by <mm-math> holding p->tex with delimiters (or remove it when empty). */
static mm_err replace(pass *p, xmlNode *node, bool display) {
    size_t a = 0, b = p->tex->len;
    tidy(p->tex, &a, &b);
    if (a == b) {
        xmlUnlinkNode(node);
        xmlFreeNode(node);
        return MM_OK;
    }
    mm_buf out = {0};
    bool delim = already_delimited(p->tex->data + a, b - a);
    const char *d = delim ? "" : display ? "$$" : "$";
    mm_err e = mm_buf_puts(&out, d);
    if (e == MM_OK) e = append_valid_utf8(&out, p->tex->data + a, b - a);
    if (e == MM_OK) e = mm_buf_puts(&out, d);
    if (e != MM_OK) return mm_buf_free(&out), e;
    if (display || (b - a > 2 && !strncmp(p->tex->data + a, "$$", 2))) p->m->display++;
    xmlNode *mm = xmlNewDocNode(p->doc, NULL, BAD_CAST MM_MATH_TAG, NULL);
    xmlNode *txt = mm ? xmlNewDocTextLen(p->doc, BAD_CAST out.data, (int)out.len) : NULL;
    mm_buf_free(&out);
    if (!mm || !txt) {
        xmlFreeNode(mm);
        return mm_fail(MM_ERR_NOMEM, "out of memory building a formula node");
    }
    xmlAddChild(mm, txt);
    if (display) xmlNewProp(mm, BAD_CAST "display", BAD_CAST "1");
    xmlReplaceNode(node, mm);
    xmlFreeNode(node);
    return MM_OK;
}

static mm_err do_root(pass *p, xmlNode *n, root_kind k) {
    bool display = false;
    mm_buf_clear(p->tex);
    xmlNode *math;
    switch (k) {
    case R_SCRIPT:
        display = strcasestr(html_attr(n, "type"), "mode=display") != NULL;
        p->m->script_tex++;
        MM_TRY(html_text_content(n, p->tex));
        break;
    case R_V2_RENDER:
        p->m->rendered_removed++;
        break;
    case R_MJX: case R_KATEX: case R_MWE:
        display = is_display_math(n) || has_class_katex_display(n->parent) ||
                  html_class_has(n, "MathJax_Display") ||
                  find_desc(n, is_display_math) != NULL;
        if (k == R_MWE && find_desc(n, is_tex_img))
            display = display || html_class_contains(find_desc(n, is_tex_img), "display");
        if ((math = find_desc(n, is_math_el)) != NULL) MM_TRY(math_tex(p, math, &display));
        else if (k == R_MWE && find_desc(n, is_tex_img))
            MM_TRY(img_tex(p, find_desc(n, is_tex_img), &display));
        if (k != R_MWE) p->m->rendered_removed++;
        break;
    case R_MATH:
        MM_TRY(math_tex(p, n, &display));
        break;
    case R_CONTAINER:
        p->m->math_container++;
        MM_TRY(html_text_content(n, p->tex));
        break;
    case R_IMG:
        MM_TRY(img_tex(p, n, &display));
        break;
    default:
        return MM_OK;
    }
    return replace(p, n, display);
}

static bool has_tex_char(const char *s, const char *end) {
    for (; s < end; s++)
        if (*s == '\\' || *s == '^' || *s == '_' || *s == '=') return true;
    return false;
}

/* The closing delimiter `d` within `lim` bytes after s, or NULL. */
static const char *find_close(const char *s, const char *d, size_t lim) {
    size_t k = strlen(d);
    for (size_t i = 0; s[i] && i < lim; i++)
        if (!strncmp(s + i, d, k)) return s + i;
    return NULL;
}

/* Count \( \[ $$…$$ and TeX-looking $…$ in a text node (delimiters already in the text). */
static void count_text_tex(pass *p, const char *s) {
    for (const char *c = s; (c = strpbrk(c, "$\\")) != NULL; c++) { /* jumps to candidates */
        bool paren = c[0] == '\\' && (c[1] == '(' || c[1] == '[');
        if (!paren && c[0] != '$') continue;
        bool dd = paren ? c[1] == '[' : c[1] == '$';
        const char *body = c + (paren || dd ? 2 : 1);
        const char *d = paren ? (c[1] == '(' ? "\\)" : "\\]") : dd ? "$$" : "$";
        const char *close = find_close(body, d, 4000);
        if (!close || close == body) continue;
        if (!paren && !dd && !has_tex_char(body, close)) continue;
        p->m->text_tex++;
        p->m->display += dd;
        c = close + strlen(d) - 1;
    }
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

static bool skip_text_of(const xmlNode *n) {
    return html_is(n, "script") || html_is(n, "style") || html_is(n, "code") || html_is(n, "pre") ||
           html_is(n, "textarea");
}

static mm_err collect(pass *p, xmlNode *root) {
    for (xmlNode *n = root; n;) {
        root_kind k = classify(p, n);
        if (k != R_NONE) MM_TRY(add_root(p, n, k));
        if (n->type == XML_TEXT_NODE && n->content && n->parent && !skip_text_of(n->parent))
            count_text_tex(p, (const char *)n->content);
        n = html_next(n, root, k == R_NONE && !skip_text_of(n));
    }
    return MM_OK;
}

mm_err mm_math_pass(xmlDoc *doc, xmlNode *root, bool has_scripts, mm_extract_math *m,
                    mm_buf *scratch) {
    pass p = {.doc = doc, .m = m, .tex = scratch, .has_scripts = has_scripts};
    mm_err e = collect(&p, root);
    for (size_t i = 0; e == MM_OK && i < p.n; i++) e = do_root(&p, p.roots[i].node, p.roots[i].kind);
    free(p.roots);
    return e;
}
