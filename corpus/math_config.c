/* corpus/math_config.c — the page's own MathJax / KaTeX set-up: which delimiters make math.
 *
 * A "$" is math only where the page's renderer says so.  MathJax v2's tex2jax takes \(…\) as
 * inline math and $$…$$, \[…\] as display math unless configured; v3 the same; KaTeX's
 * auto-render $$…$$, \(…\), \[…\].  A page that wants $…$ says so in its configuration:
 *   MathJax v2   MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$'], ['\\(','\\)']],
 *                                              displayMath: [...], processEscapes: true}})
 *                (in <script type="text/x-mathjax-config"> or any inline script)
 *   MathJax v3   window.MathJax = {tex: {inlineMath: [...], displayMath: [...]}}
 *   KaTeX        renderMathInElement(el, {delimiters: [{left: "$", right: "$", display: false}]})
 *                (also in an onload attribute of the auto-render <script> tag)
 * The strip pass hands every script it drops to html_math_cfg_scan, which finds these with one
 * scan for "Math" (every marker contains it) and reads the delimiter lists as JavaScript
 * literals.  html_math_cfg_delims then gives the delimiters of the page: those configured
 * (defaults filled in for a list not given), or, when the page has no readable configuration,
 * \(…\), \[…\], $$…$$ and a cautious $…$ (see corpus/extract_math.c). */
#include <string.h>

#include "corpus/html.h"

enum { FROM_MJ_INLINE, FROM_MJ_DISPLAY, FROM_KATEX };

static bool js_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_space(const char *p, const char *e) {
    while (p < e && js_space(*p))
        p++;
    return p;
}

/* A JavaScript string literal at p ('…', "…" or `…`) unescaped into out[cap]: one past its
 * closing quote, or NULL when p holds none or it does not fit. */
static const char *js_string(const char *p, const char *e, char *out, size_t cap) {
    if (p >= e || (*p != '\'' && *p != '"' && *p != '`')) return NULL;
    char q = *p++;
    size_t n = 0;
    for (; p < e && *p != q; p++) {
        if (*p == '\\' && p + 1 < e) p++;
        if (n + 1 >= cap) return NULL;
        out[n++] = *p;
    }
    out[n] = 0;
    return p < e && n ? p + 1 : NULL;
}

/* The first `ch` in [p, e) outside JavaScript strings, or NULL. */
static const char *js_find(const char *p, const char *e, char ch) {
    for (; p < e; p++) {
        if (*p == ch) return p;
        if (*p == '\'' || *p == '"' || *p == '`') {
            char q = *p;
            for (p++; p < e && *p != q; p++)
                if (*p == '\\') p++;
            if (p >= e) return NULL;
        }
    }
    return NULL;
}

/* After a key at p (its name already matched): the optional closing quote, spaces, ':'. */
static const char *after_key(const char *p, const char *e) {
    if (p < e && (*p == '\'' || *p == '"')) p++;
    p = skip_space(p, e);
    return p < e && *p == ':' ? skip_space(p + 1, e) : NULL;
}

/* The value of the first `key` in [p, e) (after its ':'), or NULL. */
static const char *find_key(const char *p, const char *e, const char *key) {
    size_t k = strlen(key);
    for (const char *h; p < e && (h = memmem(p, (size_t)(e - p), key, k)) != NULL; p = h + k) {
        const char *v = after_key(h + k, e);
        if (v) return v;
    }
    return NULL;
}

static void add(html_math_cfg *c, const char *open, const char *close, bool display, int from) {
    if (c->n >= HTML_DELIM_MAX) return;
    html_delim *d = &c->d[c->n++];
    memcpy(d->open, open, sizeof d->open);
    memcpy(d->close, close, sizeof d->close);
    d->display = display;
    d->from = (uint8_t)from;
    d->heuristic = false;
}

/* [['$','$'], ['\\(','\\)']] at p: each pair added; whether a list was read. */
static bool read_pairs(html_math_cfg *c, const char *p, const char *e, bool display, int from) {
    if (!p || p >= e || *p != '[') return false;
    for (p = skip_space(p + 1, e); p < e && *p == '[';) {
        char open[HTML_DELIM_LEN], close[HTML_DELIM_LEN];
        const char *q = js_string(skip_space(p + 1, e), e, open, sizeof open);
        if (q) q = skip_space(q, e);
        if (q && q < e && *q == ',') q = js_string(skip_space(q + 1, e), e, close, sizeof close);
        if (q) add(c, open, close, display, from);
        const char *end = q ? q : p + 1;
        end = js_find(end, e, ']');
        if (!end) break;
        p = skip_space(end + 1, e);
        if (p < e && *p == ',') p = skip_space(p + 1, e);
    }
    return true;
}

/* KaTeX's [{left: "$$", right: "$$", display: true}, …] at p. */
static bool read_objects(html_math_cfg *c, const char *p, const char *e) {
    if (!p || p >= e || *p != '[') return false;
    const char *list_end = js_find(p, e, ']');
    if (!list_end) return false;
    for (p = skip_space(p + 1, e); p < list_end && *p == '{';) {
        const char *ob = js_find(p, list_end, '}');
        if (!ob) break;
        char open[HTML_DELIM_LEN], close[HTML_DELIM_LEN];
        const char *l = find_key(p, ob, "left"), *r = find_key(p, ob, "right");
        const char *d = find_key(p, ob, "display");
        bool display = d && (*d == 't' || (*d == '!' && d + 1 < ob && d[1] == '0'));
        if (l && r && js_string(l, ob, open, sizeof open) && js_string(r, ob, close, sizeof close))
            add(c, open, close, display, FROM_KATEX);
        p = skip_space(ob + 1, e);
        if (p < e && *p == ',') p = skip_space(p + 1, e);
    }
    return true;
}

static void read_mathjax(html_math_cfg *c, const char *h, const char *e, const char *region) {
    c->mathjax = true;
    if (memmem(region, (size_t)(e - region), "Hub.Config", 10) ||
        memmem(region, (size_t)(e - region), "tex2jax", 7))
        c->mathjax_v2 = true;
    if (!c->mj_inline)
        c->mj_inline = read_pairs(c, find_key(h, e, "inlineMath"), e, false, FROM_MJ_INLINE);
    if (!c->mj_display)
        c->mj_display = read_pairs(c, find_key(h, e, "displayMath"), e, true, FROM_MJ_DISPLAY);
    const char *esc = find_key(h, e, "processEscapes");
    if (esc && c->escapes < 0)
        c->escapes = *esc == 't' || (*esc == '!' && esc + 1 < e && esc[1] == '0');
}

/* The first "Math" in [p, e), or NULL: memchr (SIMD) to each 'M', which is rare enough in
 * scripts that this is several times cheaper than memmem, which every script of every page
 * goes through. */
static const char *find_math(const char *p, const char *e) {
    while (e - p >= 4 && (p = memchr(p, 'M', (size_t)(e - p - 3))) != NULL) {
        if (!memcmp(p, "Math", 4)) return p;
        p++;
    }
    return NULL;
}

void html_math_cfg_scan(html_math_cfg *c, const char *s, const char *e) {
    for (const char *p = s, *h; p < e && (h = find_math(p, e)) != NULL; p = h + 4) {
        if (e - h >= 7 && !memcmp(h + 4, "Jax", 3)) {
            const char *q = skip_space(h + 7, e);
            /* MathJax.Hub.Config(…) or an assignment MathJax = {…} (not "==") */
            bool cfg = (e - q >= 11 && !memcmp(q, ".Hub.Config", 11)) ||
                       (q < e && *q == '=' && (q + 1 >= e || q[1] != '='));
            if (cfg) read_mathjax(c, h, e, s);
        } else if (h - s >= 6 && e - h >= 13 && !memcmp(h - 6, "renderMathInElement", 19)) {
            c->katex = true;
            if (!c->kx_delims) c->kx_delims = read_objects(c, find_key(h, e, "delimiters"), e);
        }
    }
}

static void put(html_delim *out, size_t *n, const char *open, const char *close, bool display,
                bool heuristic) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(out[i].open, open)) return; /* the first one wins */
    if (*n >= HTML_DELIM_MAX) return;
    html_delim *d = &out[(*n)++];
    memset(d, 0, sizeof *d);
    strcpy(d->open, open);
    strcpy(d->close, close);
    d->display = display;
    d->heuristic = heuristic;
}

/* Of the configured delimiters, those read from list `from`; false when none was read. */
static void put_from(const html_math_cfg *c, int from, html_delim *out, size_t *n) {
    for (size_t i = 0; i < c->n; i++)
        if (c->d[i].from == from) put(out, n, c->d[i].open, c->d[i].close, c->d[i].display, false);
}

void html_math_cfg_delims(const html_math_cfg *c, html_delim *out, size_t *n, bool *escapes) {
    *n = 0;
    *escapes = false;
    if (!c->mathjax && !c->katex) { /* no readable configuration: the usual ones, $ with care */
        put(out, n, "$$", "$$", true, false);
        put(out, n, "\\[", "\\]", true, false);
        put(out, n, "\\(", "\\)", false, false);
        put(out, n, "$", "$", false, true);
    }
    if (c->mathjax) {
        if (c->mj_inline)
            put_from(c, FROM_MJ_INLINE, out, n);
        else
            put(out, n, "\\(", "\\)", false, false);
        if (c->mj_display)
            put_from(c, FROM_MJ_DISPLAY, out, n);
        else
            put(out, n, "$$", "$$", true, false), put(out, n, "\\[", "\\]", true, false);
        *escapes = c->escapes >= 0 ? c->escapes : !c->mathjax_v2; /* v3's default is true */
    }
    if (c->katex) {
        if (c->kx_delims)
            put_from(c, FROM_KATEX, out, n);
        else
            put(out, n, "$$", "$$", true, false), put(out, n, "\\(", "\\)", false, false),
                put(out, n, "\\[", "\\]", true, false);
    }
    /* longest opening first, so "$$" is tried before "$" */
    for (size_t i = 1; i < *n; i++)
        for (size_t j = i; j > 0 && strlen(out[j].open) > strlen(out[j - 1].open); j--) {
            html_delim t = out[j];
            out[j] = out[j - 1], out[j - 1] = t;
        }
}
