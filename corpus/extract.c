/* corpus/extract.c — one HTML page → main text with math (see corpus/extract.h). */
#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "corpus/html.h"
#include "corpus/xml_arena.h"

struct mm_extract {
    mm_extract_opts opts;
    mm_charset *cs;
    mm_content *content;
    mm_xml_arena *arena; /* libxml2's memory for one page at a time */
    html_words *words;   /* the strip pass's class word codes */
    mm_buf utf8, stripped, text, scratch, title;
    html_math_cfg math_cfg; /* the page's math scripts and MathJax/KaTeX set-up (strip pass) */
};

static void silent(void *ctx, const char *msg, ...) {
    (void)ctx, (void)msg;
}

/* libxml2 sets up its global state (dictionary RNG mutex, ...) lazily; two threads creating
 * their first parser at the same moment can deadlock inside it (seen with `extract -j 2`).  Its
 * documented rule: call xmlInitParser() once before using the library from several threads.
 * The arena allocator goes in first. */
static pthread_once_t libxml_once = PTHREAD_ONCE_INIT;
static void libxml_init(void) {
    mm_xml_arena_install();
    xmlInitParser();
}

mm_extract *mm_extract_create(const mm_extract_opts *opts) {
    pthread_once(&libxml_once, libxml_init);
    mm_extract *x = mm_calloc(1, sizeof *x);
    if (!x) return NULL;
    if (opts) x->opts = *opts;
    if (!x->opts.max_bytes) x->opts.max_bytes = 8u << 20;
    x->cs = mm_charset_create();
    x->content = mm_content_create();
    x->arena = mm_xml_arena_create();
    x->words = html_words_create();
    if (!x->cs || !x->content || !x->arena || !x->words) {
        mm_extract_free(x);
        mm_fail(MM_ERR_NOMEM, "out of memory creating an extractor");
        return NULL;
    }
    return x;
}

void mm_extract_free(mm_extract *x) {
    if (!x) return;
    mm_charset_free(x->cs);
    mm_content_free(x->content);
    mm_xml_arena_free(x->arena);
    html_words_free(x->words);
    mm_buf_free(&x->utf8);
    mm_buf_free(&x->stripped);
    mm_buf_free(&x->text);
    mm_buf_free(&x->scratch);
    mm_buf_free(&x->title);
    free(x);
}

static xmlNode *find_elem(xmlNode *root, const char *name) {
    for (xmlNode *n = root; n; n = html_next(n, root, true))
        if (html_is(n, name)) return n;
    return NULL;
}

/* <title>, whitespace collapsed, into x->title. */
static mm_err get_title(mm_extract *x, xmlNode *root) {
    mm_buf_clear(&x->title);
    MM_TRY(mm_buf_puts(&x->title, ""));
    xmlNode *t = find_elem(root, "title");
    if (!t) return MM_OK;
    xmlNode *one = t;
    return mm_html_text(&one, 1, &x->title, NULL);
}

static mm_err extract_tree(mm_extract *x, xmlDoc *doc, mm_extract_result *r) {
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root) return MM_OK;
    MM_TRY(get_title(x, root));
    MM_TRY(mm_math_pass(doc, root, &x->math_cfg, &r->math, &x->scratch));
    xmlNode *body = find_elem(root, "body");
    if (!body) body = root;
    xmlNode **nodes;
    size_t n;
    unsigned flags = (x->opts.keep_boilerplate ? MM_CONTENT_KEEP_ALL : 0) |
                     (x->opts.keep_comments ? MM_CONTENT_COMMENTS : 0);
    MM_TRY(mm_content_select(x->content, body, flags, &nodes, &n));
    return mm_html_text(nodes, n, &x->text, r->written);
}

mm_err mm_extract_html(mm_extract *x, const void *html, size_t n, const char *http_charset,
                       mm_extract_result *r) {
    memset(r, 0, sizeof *r);
    mm_buf_clear(&x->text);
    MM_TRY(mm_buf_puts(&x->text, ""));
    const char *page;
    size_t len;
    MM_TRY(mm_charset_decode(x->cs, html, n, http_charset, &x->utf8, &r->charset, &page, &len));
    r->text = x->text.data;
    r->title = "";
    MM_TRY(mm_html_strip(page, len, x->words, &x->stripped, &x->math_cfg));
    if (x->stripped.len == 0 || x->stripped.len > (size_t)INT32_MAX) return MM_OK;
    xmlSetGenericErrorFunc(NULL, silent);
    /* The parser context, the tree and every string of it live in the arena for this page only:
     * no per-node malloc, and no xmlFreeDoc walk (the window's end drops the tree). */
    mm_xml_arena_begin(x->arena);
    mm_err e = MM_OK;
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    xmlDoc *doc = NULL;
    if (!ctxt) {
        e = mm_fail(MM_ERR_NOMEM, "out of memory creating an HTML parser");
    } else {
        html_sax_install(ctxt);
        doc = htmlCtxtReadMemory(ctxt, x->stripped.data, (int)x->stripped.len, NULL, "UTF-8",
                                 HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                     HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC);
    }
    if (doc) e = extract_tree(x, doc, r); /* no doc: nothing parseable, an empty page */
    /* The context does hold memory from outside the arena: libxml2 (built with ICU) may switch
     * the input to an ICU converter after an encoding error, which its free closes. */
    if (ctxt) htmlFreeParserCtxt(ctxt);
    mm_xml_arena_end(x->arena);
    if (e != MM_OK || !doc) return e;
    r->text = x->text.data;
    r->text_len = x->text.len;
    r->title = x->title.data ? x->title.data : "";
    return MM_OK;
}

/* Copy `s` to `b` with "\r\n" and lone "\r" made "\n" and blank lines at both ends dropped. */
static mm_err plain_lines(const char *s, size_t n, mm_buf *b) {
    size_t i = 0, end = n;
    while (i < n && (s[i] == '\n' || s[i] == '\r' || s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == n) return mm_buf_puts(b, "");
    while (end > i &&
           (s[end - 1] == '\n' || s[end - 1] == '\r' || s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    /* a start that is spaces on the first text line stays: only whole blank lines go */
    while (i > 0 && s[i - 1] != '\n' && s[i - 1] != '\r')
        i--;
    MM_TRY(mm_buf_reserve(b, end - i + 1));
    for (; i < end; i++) {
        if (s[i] != '\r')
            MM_TRY(mm_buf_putc(b, s[i]));
        else if (i + 1 >= end || s[i + 1] != '\n')
            MM_TRY(mm_buf_putc(b, '\n'));
    }
    return mm_buf_puts(b, "");
}

mm_err mm_extract_text(mm_extract *x, const void *text, size_t n, const char *charset,
                       mm_extract_result *r) {
    memset(r, 0, sizeof *r);
    const char *utf8;
    size_t len;
    MM_TRY(mm_charset_decode(x->cs, text, n, charset, &x->utf8, &r->charset, &utf8, &len));
    mm_buf_clear(&x->text);
    MM_TRY(plain_lines(utf8, len, &x->text));
    r->text = x->text.data;
    r->text_len = x->text.len;
    r->title = "";
    return MM_OK;
}

static const char *const form_names[MM_MATH_FORMS] = {[MM_FORM_SCRIPT_TEX] = "script_tex",
                                                      [MM_FORM_SCRIPT_ASCIIMATH] =
                                                          "script_asciimath",
                                                      [MM_FORM_SCRIPT_MML] = "script_mml",
                                                      [MM_FORM_TEX_ANNOTATION] = "tex_annotation",
                                                      [MM_FORM_MATHML_ALTTEXT] = "mathml_alttext",
                                                      [MM_FORM_MATHML] = "mathml",
                                                      [MM_FORM_MATH_CONTAINER] = "math_container",
                                                      [MM_FORM_IMG_TEX] = "img_tex",
                                                      [MM_FORM_IMG_ALT] = "img_alt",
                                                      [MM_FORM_TEXT_TEX] = "text_tex",
                                                      [MM_FORM_TEXT_ENV] = "text_env",
                                                      [MM_FORM_BBCODE] = "bbcode"};

const char *mm_math_form_name(int form) {
    return form >= 0 && form < MM_MATH_FORMS ? form_names[form] : NULL;
}

uint32_t mm_extract_math_total(const mm_extract_math *m) {
    uint32_t t = 0;
    for (int i = 0; i < MM_MATH_FORMS; i++)
        t += m->form[i];
    return t;
}

static mm_err json_count(mm_jw *w, const char *k, uint32_t v) {
    if (!v) return MM_OK;
    MM_TRY(mm_jw_key(w, k));
    return mm_jw_uint(w, v);
}

mm_err mm_extract_math_json(const mm_extract_math *m, mm_buf *b) {
    mm_jw w;
    mm_jw_init(&w, b);
    MM_TRY(mm_jw_obj_begin(&w));
    for (int i = 0; i < MM_MATH_FORMS; i++)
        MM_TRY(json_count(&w, form_names[i], m->form[i]));
    MM_TRY(json_count(&w, "display", m->display));
    MM_TRY(json_count(&w, "rendered_removed", m->rendered_removed));
    return mm_jw_obj_end(&w);
}

void mm_extract_stats_doc(mm_extract_stats *st, const mm_extract_result *r) {
    st->math_docs += mm_extract_math_total(&r->math) > 0;
    for (int i = 0; i < MM_MATH_FORMS; i++) {
        st->math_found[i] += r->math.form[i];
        st->math_written[i] += r->written[i];
    }
}

/* ---- HTML detection ---- */

static bool type_is(const char *ct, const char *t) {
    size_t k = strlen(t);
    return !strncasecmp(ct, t, k) && (ct[k] == 0 || ct[k] == ';' || isspace((unsigned char)ct[k]));
}

static bool binary_bytes(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n && i < 512; i++)
        if (s[i] == 0 || (s[i] < 0x20 && !strchr("\t\n\r\f\x1b", s[i]))) return true;
    return false;
}

/* WHATWG-style sniff: after whitespace and a BOM, the page starts with an HTML tag or comment. */
static bool sniff_html(const unsigned char *s, size_t n) {
    static const char *const starts[] = {
        "<!doctype html", "<html",  "<head", "<body",  "<script", "<iframe", "<h1", "<div",
        "<font",          "<table", "<a",    "<style", "<title",  "<b",      "<br", "<p",
        "<!--",           "<meta"};
    size_t i = 0;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) i = 3;
    while (i < n && isspace(s[i]))
        i++;
    for (size_t k = 0; k < sizeof starts / sizeof *starts; k++) {
        size_t len = strlen(starts[k]);
        if (i + len < n && !strncasecmp((const char *)s + i, starts[k], len) &&
            (starts[k][2] == '-' || starts[k][1] == '!' || s[i + len] == '>' || s[i + len] == ' ' ||
             s[i + len] == '\t' || s[i + len] == '\n' || s[i + len] == '\r'))
            return true;
    }
    return false;
}

bool mm_extract_is_html(const char *ct, const void *body, size_t n) {
    const unsigned char *s = body;
    while (ct && isspace((unsigned char)*ct))
        ct++;
    bool declared = ct && (type_is(ct, "text/html") || type_is(ct, "application/xhtml+xml"));
    bool generic = !ct || !*ct || type_is(ct, "text/plain") ||
                   type_is(ct, "application/octet-stream") || type_is(ct, "unknown/unknown") ||
                   type_is(ct, "application/unknown") || type_is(ct, "*/*");
    if (!declared && !generic) return false;
    if (n == 0) return false;
    if (binary_bytes(s, n) && !(n >= 2 && (s[0] == 0xFF || s[0] == 0xFE))) return false;
    return declared || sniff_html(s, n);
}
