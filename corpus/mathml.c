/* corpus/mathml.c — Presentation MathML → LaTeX, for pages whose <math> carries neither a TeX
 * annotation nor alttext (MathJax v3 assistive MathML, hand-written MathML, MathML exports).
 *
 * The conversion is structural: token elements (mi, mn, mo, mtext, ms) become their text, with
 * Unicode operators and letters mapped to LaTeX commands by a table; layout elements map one to
 * one (mfrac → \frac{}{}, msup → base^{}, mroot → \sqrt[]{}, mtable → a matrix environment, …);
 * containers (mrow, mstyle, mpadded, semantics' first child, unknown elements) contribute their
 * children in order.  A command that ends in a letter is followed by one space so that it never
 * runs into the next letter ("\alpha x", not "\alphax").  Recursion is capped at MAX_DEPTH; deeper
 * MathML (never seen in real pages, easy in hostile ones) contributes its plain text instead. */
#include <string.h>

#include "common/json.h"
#include "corpus/html.h"

enum { MAX_DEPTH = 48 };

static const struct {
    uint32_t cp;
    const char *tex;
} symbols[] = {
    {0x03B1, "\\alpha"},
    {0x03B2, "\\beta"},
    {0x03B3, "\\gamma"},
    {0x03B4, "\\delta"},
    {0x03B5, "\\epsilon"},
    {0x03F5, "\\epsilon"},
    {0x03B6, "\\zeta"},
    {0x03B7, "\\eta"},
    {0x03B8, "\\theta"},
    {0x03D1, "\\vartheta"},
    {0x03B9, "\\iota"},
    {0x03BA, "\\kappa"},
    {0x03BB, "\\lambda"},
    {0x03BC, "\\mu"},
    {0x03BD, "\\nu"},
    {0x03BE, "\\xi"},
    {0x03C0, "\\pi"},
    {0x03C1, "\\rho"},
    {0x03C3, "\\sigma"},
    {0x03C2, "\\varsigma"},
    {0x03C4, "\\tau"},
    {0x03C5, "\\upsilon"},
    {0x03C6, "\\phi"},
    {0x03D5, "\\phi"},
    {0x03C7, "\\chi"},
    {0x03C8, "\\psi"},
    {0x03C9, "\\omega"},
    {0x0393, "\\Gamma"},
    {0x0394, "\\Delta"},
    {0x0398, "\\Theta"},
    {0x039B, "\\Lambda"},
    {0x039E, "\\Xi"},
    {0x03A0, "\\Pi"},
    {0x03A3, "\\Sigma"},
    {0x03A5, "\\Upsilon"},
    {0x03A6, "\\Phi"},
    {0x03A8, "\\Psi"},
    {0x03A9, "\\Omega"},
    {0x00B1, "\\pm"},
    {0x2213, "\\mp"},
    {0x00D7, "\\times"},
    {0x00F7, "\\div"},
    {0x22C5, "\\cdot"},
    {0x00B7, "\\cdot"},
    {0x2218, "\\circ"},
    {0x2217, "\\ast"},
    {0x22C6, "\\star"},
    {0x2264, "\\leq"},
    {0x2265, "\\geq"},
    {0x2260, "\\neq"},
    {0x2248, "\\approx"},
    {0x2261, "\\equiv"},
    {0x223C, "\\sim"},
    {0x2243, "\\simeq"},
    {0x2245, "\\cong"},
    {0x221D, "\\propto"},
    {0x226A, "\\ll"},
    {0x226B, "\\gg"},
    {0x2208, "\\in"},
    {0x2209, "\\notin"},
    {0x220B, "\\ni"},
    {0x2282, "\\subset"},
    {0x2283, "\\supset"},
    {0x2286, "\\subseteq"},
    {0x2287, "\\supseteq"},
    {0x222A, "\\cup"},
    {0x2229, "\\cap"},
    {0x2205, "\\emptyset"},
    {0x2200, "\\forall"},
    {0x2203, "\\exists"},
    {0x00AC, "\\neg"},
    {0x2227, "\\wedge"},
    {0x2228, "\\vee"},
    {0x2192, "\\to"},
    {0x2190, "\\leftarrow"},
    {0x2194, "\\leftrightarrow"},
    {0x21D2, "\\Rightarrow"},
    {0x21D0, "\\Leftarrow"},
    {0x21D4, "\\Leftrightarrow"},
    {0x21A6, "\\mapsto"},
    {0x221E, "\\infty"},
    {0x2202, "\\partial"},
    {0x2207, "\\nabla"},
    {0x2211, "\\sum"},
    {0x220F, "\\prod"},
    {0x222B, "\\int"},
    {0x222C, "\\iint"},
    {0x222E, "\\oint"},
    {0x221A, "\\surd"},
    {0x2032, "'"},
    {0x2033, "''"},
    {0x2026, "\\ldots"},
    {0x22EF, "\\cdots"},
    {0x22EE, "\\vdots"},
    {0x22F1, "\\ddots"},
    {0x211D, "\\mathbb{R}"},
    {0x2115, "\\mathbb{N}"},
    {0x2124, "\\mathbb{Z}"},
    {0x211A, "\\mathbb{Q}"},
    {0x2102, "\\mathbb{C}"},
    {0x2113, "\\ell"},
    {0x210F, "\\hbar"},
    {0x2297, "\\otimes"},
    {0x2295, "\\oplus"},
    {0x2020, "\\dagger"},
    {0x27E8, "\\langle"},
    {0x27E9, "\\rangle"},
    {0x2016, "\\|"},
    {0x2225, "\\parallel"},
    {0x2223, "|"},
    {0x230A, "\\lfloor"},
    {0x230B, "\\rfloor"},
    {0x2308, "\\lceil"},
    {0x2309, "\\rceil"},
    {0x2212, "-"},
    {0x2061, ""},
    {0x2062, ""},
    {0x2063, ","},
    {0x2064, ""},
    {0x2216, "\\setminus"},
    {0x22A5, "\\perp"},
    {0x2220, "\\angle"},
    {0x00B0, "^\\circ"},
    {0x00A0, " "},
    {'{', "\\{"},
    {'}', "\\}"},
    {'%', "\\%"},
    {'#', "\\#"},
    {'&', "\\&"},
};

static const char *const functions[] = {
    "sin",  "cos",  "tan",    "cot",    "sec",    "csc", "log", "ln",     "exp",   "lim", "max",
    "min",  "det",  "sup",    "inf",    "arg",    "deg", "dim", "gcd",    "ker",   "Pr",  "sinh",
    "cosh", "tanh", "arcsin", "arccos", "arctan", "lg",  "mod", "liminf", "limsup"};

static const char *symbol(uint32_t cp) {
    for (size_t i = 0; i < sizeof symbols / sizeof *symbols; i++)
        if (symbols[i].cp == cp) return symbols[i].tex;
    return NULL;
}

static bool ends_in_command(const mm_buf *o) {
    size_t i = o->len;
    while (i > 0 && ((o->data[i - 1] >= 'a' && o->data[i - 1] <= 'z') ||
                     (o->data[i - 1] >= 'A' && o->data[i - 1] <= 'Z')))
        i--;
    return i > 0 && i < o->len && o->data[i - 1] == '\\';
}

/* Append LaTeX, separating it from a preceding command that ends in a letter. */
static mm_err put(mm_buf *o, const char *s, size_t n) {
    if (n == 0) return MM_OK;
    char c = s[0];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter && ends_in_command(o)) MM_TRY(mm_buf_putc(o, ' '));
    return mm_buf_append(o, s, n);
}
static mm_err puts_(mm_buf *o, const char *s) {
    return put(o, s, strlen(s));
}

/* Trimmed text of a token element, in a scratch buffer. */
static mm_err token_text(const xmlNode *n, mm_buf *t) {
    mm_buf_clear(t);
    MM_TRY(mm_buf_puts(t, "")); /* data is never NULL below */
    MM_TRY(html_text_content(n, t));
    size_t a = 0, b = t->len;
    while (a < b && strchr(" \t\r\n", t->data[a]))
        a++;
    while (b > a && strchr(" \t\r\n", t->data[b - 1]))
        b--;
    memmove(t->data, t->data + a, b - a);
    t->len = b - a;
    t->data[t->len] = 0;
    return MM_OK;
}

/* Text with each code point mapped through the symbol table. */
static mm_err put_mapped(mm_buf *o, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = mm_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        const char *tex = symbol(cp);
        if (tex)
            MM_TRY(puts_(o, tex));
        else if (cp == '\n' || cp == '\t' || cp == '\r')
            MM_TRY(put(o, " ", 1));
        else
            MM_TRY(put(o, s + i, (size_t)k));
        i += (size_t)k;
    }
    return MM_OK;
}

static bool is_function(const char *s) {
    for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
        if (!strcmp(s, functions[i])) return true;
    return false;
}

static size_t utf8_count(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static mm_err conv(const xmlNode *n, mm_buf *o, int depth);

static mm_err conv_children(const xmlNode *n, mm_buf *o, int depth) {
    for (const xmlNode *c = n->children; c; c = c->next)
        if (html_is_elem(c)) MM_TRY(conv(c, o, depth + 1));
    return MM_OK;
}

static mm_err conv_braced(const xmlNode *n, mm_buf *o, int depth) {
    MM_TRY(mm_buf_putc(o, '{'));
    if (n) MM_TRY(conv(n, o, depth + 1));
    return mm_buf_putc(o, '}');
}

/* The i-th element child (layout schemata address their arguments by position). */
static const xmlNode *arg(const xmlNode *n, int i) {
    for (const xmlNode *c = n->children; c; c = c->next)
        if (html_is_elem(c) && i-- == 0) return c;
    return NULL;
}

static mm_err conv_mi(const xmlNode *n, mm_buf *o) {
    mm_buf t = {0};
    mm_err e = token_text(n, &t);
    if (e == MM_OK) {
        size_t chars = utf8_count(t.data, t.len);
        if (chars > 1 && is_function(t.data)) {
            e = mm_buf_putc(o, '\\');
            if (e == MM_OK) e = mm_buf_append(o, t.data, t.len);
        } else if (chars > 1) {
            e = puts_(o, "\\mathrm{");
            if (e == MM_OK) e = put_mapped(o, t.data, t.len);
            if (e == MM_OK) e = mm_buf_putc(o, '}');
        } else {
            e = put_mapped(o, t.data, t.len);
        }
    }
    mm_buf_free(&t);
    return e;
}

static mm_err conv_token(const xmlNode *n, mm_buf *o, const char *pre, const char *post) {
    mm_buf t = {0};
    mm_err e = token_text(n, &t);
    if (e == MM_OK && t.len) {
        e = puts_(o, pre);
        if (e == MM_OK) e = *pre ? mm_buf_append(o, t.data, t.len) : put_mapped(o, t.data, t.len);
        if (e == MM_OK) e = mm_buf_puts(o, post);
    }
    mm_buf_free(&t);
    return e;
}

/* The accent command for a one-character <mover>/<munder> script, or NULL. */
static const char *accent(const xmlNode *s, bool over) {
    mm_buf t = {0};
    const char *r = NULL;
    if (s && token_text(s, &t) == MM_OK && t.len) {
        uint32_t cp;
        mm_utf8_decode((const unsigned char *)t.data, t.len, &cp);
        if (over) {
            if (cp == '^' || cp == 0x02C6 || cp == 0x0302)
                r = "\\hat";
            else if (cp == 0x00AF || cp == 0x0305 || cp == 0x203E || cp == '_')
                r = "\\overline";
            else if (cp == 0x2192 || cp == 0x20D7)
                r = "\\vec";
            else if (cp == '~' || cp == 0x02DC || cp == 0x0303)
                r = "\\tilde";
            else if (cp == 0x02D9 || cp == '.' || cp == 0x0307)
                r = "\\dot";
            else if (cp == 0x00A8 || cp == 0x0308)
                r = "\\ddot";
            else if (cp == 0x23DE || cp == 0xFE37)
                r = "\\overbrace";
        } else {
            if (cp == '_' || cp == 0x0332 || cp == 0x00AF)
                r = "\\underline";
            else if (cp == 0x23DF || cp == 0xFE38)
                r = "\\underbrace";
        }
    }
    mm_buf_free(&t);
    return r;
}

/* Large operators and lim take limits as sub/superscripts. */
static bool is_big_op(const xmlNode *b) {
    if (!html_is(b, "mo") && !html_is(b, "mi")) return false;
    mm_buf t = {0};
    bool r = false;
    if (token_text(b, &t) == MM_OK && t.len) {
        uint32_t cp;
        mm_utf8_decode((const unsigned char *)t.data, t.len, &cp);
        r = cp == 0x2211 || cp == 0x220F || cp == 0x2210 || (cp >= 0x222B && cp <= 0x222E) ||
            (cp >= 0x22C0 && cp <= 0x22C3) || !strcmp(t.data, "lim") || !strcmp(t.data, "max") ||
            !strcmp(t.data, "min") || !strcmp(t.data, "sup") || !strcmp(t.data, "inf");
    }
    mm_buf_free(&t);
    return r;
}

static mm_err conv_script(const xmlNode *n, mm_buf *o, int depth, const char *a, const char *b) {
    MM_TRY(conv(arg(n, 0), o, depth + 1));
    MM_TRY(mm_buf_puts(o, a));
    MM_TRY(conv_braced(arg(n, 1), o, depth));
    if (!b) return MM_OK;
    MM_TRY(mm_buf_puts(o, b));
    return conv_braced(arg(n, 2), o, depth);
}

static mm_err conv_over_under(const xmlNode *n, mm_buf *o, int depth, bool over) {
    const xmlNode *base = arg(n, 0), *s = arg(n, 1);
    if (is_big_op(base)) return conv_script(n, o, depth, over ? "^" : "_", NULL);
    const char *acc = accent(s, over);
    if (acc) {
        MM_TRY(puts_(o, acc));
        return conv_braced(base, o, depth);
    }
    MM_TRY(puts_(o, over ? "\\overset" : "\\underset"));
    MM_TRY(conv_braced(s, o, depth));
    return conv_braced(base, o, depth);
}

static mm_err conv_table(const xmlNode *n, mm_buf *o, int depth) {
    MM_TRY(puts_(o, "\\begin{matrix}"));
    bool first_row = true;
    for (const xmlNode *r = n->children; r; r = r->next) {
        if (!html_is(r, "mtr") && !html_is(r, "mlabeledtr")) continue;
        if (!first_row) MM_TRY(mm_buf_puts(o, " \\\\ "));
        first_row = false;
        bool first_cell = true;
        for (const xmlNode *c = r->children; c; c = c->next) {
            if (!html_is_elem(c)) continue;
            if (!first_cell) MM_TRY(mm_buf_puts(o, " & "));
            first_cell = false;
            MM_TRY(conv(c, o, depth + 1));
        }
    }
    return puts_(o, "\\end{matrix}");
}

static mm_err conv_fenced(const xmlNode *n, mm_buf *o, int depth) {
    const char *open = xmlHasProp((xmlNode *)n, BAD_CAST "open") ? html_attr(n, "open") : "(";
    const char *close = xmlHasProp((xmlNode *)n, BAD_CAST "close") ? html_attr(n, "close") : ")";
    const char *sep = html_attr(n, "separators");
    if (!sep) sep = ",";
    if (open) MM_TRY(put_mapped(o, open, strlen(open)));
    bool first = true;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (!html_is_elem(c)) continue;
        if (!first && *sep) MM_TRY(mm_buf_putc(o, sep[0]));
        first = false;
        MM_TRY(conv(c, o, depth + 1));
    }
    return close ? put_mapped(o, close, strlen(close)) : MM_OK;
}

static mm_err conv_frac_root(const xmlNode *n, mm_buf *o, int depth, const char *nm) {
    if (!strcmp(nm, "mfrac")) {
        MM_TRY(puts_(o, "\\frac"));
        MM_TRY(conv_braced(arg(n, 0), o, depth));
        return conv_braced(arg(n, 1), o, depth);
    }
    if (!strcmp(nm, "msqrt")) {
        MM_TRY(puts_(o, "\\sqrt{"));
        MM_TRY(conv_children(n, o, depth));
        return mm_buf_putc(o, '}');
    }
    MM_TRY(puts_(o, "\\sqrt["));
    MM_TRY(conv(arg(n, 1), o, depth + 1));
    MM_TRY(mm_buf_putc(o, ']'));
    return conv_braced(arg(n, 0), o, depth);
}

static mm_err conv_multiscripts(const xmlNode *n, mm_buf *o, int depth) {
    MM_TRY(conv(arg(n, 0), o, depth + 1));
    int i = 1;
    for (const xmlNode *c = arg(n, 1); c; c = c->next) {
        if (!html_is_elem(c)) continue;
        if (html_is(c, "mprescripts")) break;
        MM_TRY(mm_buf_puts(o, i++ % 2 ? "_" : "^"));
        MM_TRY(conv_braced(html_is(c, "none") ? NULL : c, o, depth));
    }
    return MM_OK;
}

static mm_err conv(const xmlNode *n, mm_buf *o, int depth) {
    if (!n) return MM_OK;
    if (depth > MAX_DEPTH) return html_text_content(n, o);
    const char *nm = (const char *)n->name;
    if (!strncmp(nm, "m:", 2)) nm += 2;
    if (!strcmp(nm, "mi")) return conv_mi(n, o);
    if (!strcmp(nm, "mn") || !strcmp(nm, "mo")) return conv_token(n, o, "", "");
    if (!strcmp(nm, "mtext")) return conv_token(n, o, "\\text{", "}");
    if (!strcmp(nm, "ms")) return conv_token(n, o, "\\text{\"", "\"}");
    if (!strcmp(nm, "mspace")) return put(o, " ", 1);
    if (!strcmp(nm, "mfrac") || !strcmp(nm, "msqrt") || !strcmp(nm, "mroot"))
        return conv_frac_root(n, o, depth, nm);
    if (!strcmp(nm, "msup")) return conv_script(n, o, depth, "^", NULL);
    if (!strcmp(nm, "msub")) return conv_script(n, o, depth, "_", NULL);
    if (!strcmp(nm, "msubsup")) return conv_script(n, o, depth, "_", "^");
    if (!strcmp(nm, "munderover")) return conv_script(n, o, depth, "_", "^");
    if (!strcmp(nm, "mover")) return conv_over_under(n, o, depth, true);
    if (!strcmp(nm, "munder")) return conv_over_under(n, o, depth, false);
    if (!strcmp(nm, "mtable")) return conv_table(n, o, depth);
    if (!strcmp(nm, "mfenced")) return conv_fenced(n, o, depth);
    if (!strcmp(nm, "mmultiscripts")) return conv_multiscripts(n, o, depth);
    if (!strcmp(nm, "semantics")) return conv(arg(n, 0), o, depth + 1);
    if (!strcmp(nm, "annotation") || !strcmp(nm, "annotation-xml") || !strcmp(nm, "mphantom") ||
        !strcmp(nm, "none") || !strcmp(nm, "mprescripts"))
        return MM_OK;
    return conv_children(n, o, depth); /* math, mrow, mstyle, mpadded, menclose, merror, mtd … */
}

mm_err mm_mathml_to_latex(const xmlNode *math, mm_buf *out) {
    return conv_children(math, out, 0);
}
