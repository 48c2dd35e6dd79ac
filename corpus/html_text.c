/* corpus/html_text.c — the plain text of an HTML subtree, the way a reader sees it.
 *
 * Inline text has its whitespace collapsed to single spaces; a block element ends the line,
 * paragraph-like blocks (p, headings, lists, tables, pre, blockquote…) leave a blank line; table
 * cells of one row are joined by " | " so that a row is one line; list items start "- " in
 * unordered lists; <pre> keeps its text verbatim; <br> is a line break; formulas (<mm-math>,
 * made by the math pass) are copied verbatim, display ones on their own line.  The writer keeps
 * "pending" separators and only emits them before the next visible character, so empty blocks
 * never produce runs of blank lines and the text has no leading or trailing whitespace. */
#include <stdlib.h>
#include <string.h>

#include "corpus/html.h"

typedef enum { K_INLINE, K_SKIP, K_LINE, K_PARA, K_BR, K_CELL, K_ROW, K_PRE, K_MATH, K_LI } kind;

typedef struct writer {
    mm_buf *b;
    int pending_nl; /* newlines owed before the next character: 0, 1 or 2 */
    bool pending_space;
    int pre; /* inside <pre>: whitespace is kept */
    size_t row_start;
    size_t math_end;   /* length of the text right after an inline formula, 0 if none */
    bool bullet;       /* a list item began: "- " goes before its first visible character */
    uint32_t *written; /* formulas written, per form (the math pass's "form" attribute); NULL */
} writer;

static bool is_word_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (unsigned char)c >= 0x80;
}

static const char *const skip_tags[] = {
    "script", "style", "noscript", "template", "head",   "title",    "select", "option",
    "button", "input", "textarea", "svg",      "canvas", "iframe",   "object", "embed",
    "audio",  "video", "map",      "meta",     "link",   "datalist", "math",   "frameset"};
static const char *const para_tags[] = {
    "p",  "h1", "h2", "h3",     "h4",      "h5",      "h6", "blockquote", "table",
    "ul", "ol", "dl", "figure", "address", "details", "hr", "section",    "article"};
static const char *const line_tags[] = {
    "div",   "dt",    "dd",     "caption",  "figcaption", "header",  "footer",   "nav",
    "aside", "main",  "form",   "fieldset", "legend",     "summary", "center",   "thead",
    "tbody", "tfoot", "dialog", "menu",     "body",       "html",    "noframes", "object"};

static bool in_list(const char *nm, const char *const *l, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (nm[0] == l[i][0] && html_name_eq(nm, l[i])) return true;
    return false;
}
#define IN(nm, l) in_list(nm, l, sizeof l / sizeof *l)

static kind kind_of(const xmlNode *n) {
    if (n->type != XML_ELEMENT_NODE) return K_INLINE;
    const char *nm = (const char *)n->name;
    if (html_name_eq(nm, MM_MATH_TAG)) return K_MATH;
    if (html_name_eq(nm, "br")) return K_BR;
    if (html_name_eq(nm, "td") || html_name_eq(nm, "th")) return K_CELL;
    if (html_name_eq(nm, "tr")) return K_ROW;
    if (html_name_eq(nm, "li")) return K_LI;
    if (html_name_eq(nm, "pre")) return K_PRE;
    if (IN(nm, skip_tags)) return K_SKIP;
    if (IN(nm, para_tags)) return K_PARA;
    if (IN(nm, line_tags)) return K_LINE;
    return K_INLINE;
}

static void owe(writer *w, int nl) {
    if (nl > w->pending_nl) w->pending_nl = nl;
    w->pending_space = false;
}

/* Emit owed separators before a visible character. */
static mm_err flush(writer *w) {
    mm_buf *b = w->b;
    if (w->pending_nl && b->len) {
        while (b->len && b->data[b->len - 1] == ' ')
            b->len--;
        for (int i = 0; i < w->pending_nl; i++)
            MM_TRY(mm_buf_putc(b, '\n'));
    } else if (w->pending_space && b->len && b->data[b->len - 1] != '\n') {
        MM_TRY(mm_buf_putc(b, ' '));
    }
    w->pending_nl = 0;
    w->pending_space = false;
    if (w->bullet) {
        w->bullet = false;
        MM_TRY(mm_buf_puts(b, "- "));
    }
    return MM_OK;
}

static mm_err text(writer *w, const char *s) {
    if (w->pre) {
        if (!*s) return MM_OK;
        MM_TRY(flush(w));
        return mm_buf_puts(w->b, s);
    }
    while (*s) {
        size_t ws = strspn(s, " \t\r\n\f\v");
        if (ws) {
            w->pending_space = true;
            s += ws;
            continue;
        }
        size_t run = strcspn(s, " \t\r\n\f\v");
        if (w->math_end && w->math_end == w->b->len && is_word_byte(*s)) w->pending_space = true;
        w->math_end = 0;
        MM_TRY(flush(w));
        MM_TRY(mm_buf_append(w->b, s, run));
        s += run;
    }
    return MM_OK;
}

/* Returns whether to descend into n. */
static mm_err enter(writer *w, xmlNode *n, bool *descend) {
    *descend = false;
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
        return n->content ? text(w, (const char *)n->content) : MM_OK;
    if (n->type != XML_ELEMENT_NODE) return MM_OK;
    switch (kind_of(n)) {
    case K_SKIP:
        return MM_OK;
    case K_MATH: {
        bool display = html_attr(n, "display") != NULL;
        const char *form = html_attr(n, "form");
        int f = form && form[0] >= '0' && form[0] <= '9' ? atoi(form) : -1;
        if (w->written && f >= 0 && f < MM_MATH_FORMS) w->written[f]++;
        /* a formula from the page's own text keeps that text's spacing */
        bool from_text = f >= MM_FORM_TEXT_TEX;
        if (display)
            owe(w, 1);
        else if (!from_text && w->b->len && is_word_byte(w->b->data[w->b->len - 1]))
            w->pending_space = true;
        MM_TRY(flush(w));
        MM_TRY(html_text_content(n, w->b));
        if (display)
            owe(w, 1);
        else if (!from_text)
            w->math_end = w->b->len; /* a word glued to the formula gets a space */
        return MM_OK;
    }
    case K_BR:
        owe(w, 1);
        return MM_OK;
    case K_ROW:
        owe(w, 1);
        w->row_start = w->b->len;
        break;
    case K_CELL:
        if (w->b->len > w->row_start && !w->pending_nl) {
            w->pending_space = false;
            MM_TRY(mm_buf_puts(w->b, " | "));
        }
        break;
    case K_LI:
        owe(w, 1);
        w->bullet = n->parent && html_is(n->parent, "ul");
        break;
    case K_PRE:
        owe(w, 2);
        w->pre++;
        break;
    case K_PARA:
        owe(w, 2);
        break;
    case K_LINE:
        owe(w, 1);
        break;
    default:
        break;
    }
    *descend = true;
    return MM_OK;
}

static void leave(writer *w, xmlNode *n) {
    if (n->type != XML_ELEMENT_NODE) return;
    switch (kind_of(n)) {
    case K_PRE:
        w->pre--;
        owe(w, 2);
        break;
    case K_PARA:
        owe(w, 2);
        break;
    case K_LINE:
    case K_ROW:
    case K_LI:
        owe(w, 1);
        break;
    default:
        break;
    }
}

static mm_err walk(writer *w, xmlNode *root) {
    xmlNode *n = root;
    while (n) {
        bool descend;
        MM_TRY(enter(w, n, &descend));
        if (descend && n->children) {
            n = n->children;
            continue;
        }
        for (;;) {
            leave(w, n); /* a no-op for skipped elements */
            if (n == root) return MM_OK;
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
        }
    }
    return MM_OK;
}

mm_err mm_html_text(xmlNode *const *nodes, size_t n, mm_buf *b, uint32_t *written) {
    mm_buf_clear(b);
    writer w = {.b = b, .written = written};
    for (size_t i = 0; i < n; i++) {
        MM_TRY(walk(&w, nodes[i]));
        owe(&w, 2);
    }
    while (b->len && strchr(" \n", b->data[b->len - 1]))
        b->len--;
    if (b->data) b->data[b->len] = 0;
    return MM_OK;
}
