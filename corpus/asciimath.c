/* corpus/asciimath.c — AsciiMath → LaTeX, for MathJax's <script type="math/asciimath">.
 *
 * AsciiMath (asciimath.org) is a plain-text notation: "sum_(i=1)^n i = (n(n+1))/2".  Its grammar
 * has three levels, and so does this recursive-descent converter:
 *   S (simple)       a symbol, a number, a letter, "text", a bracket group (E), a unary
 *                    function and its argument (sqrt S, sin S), or a binary one (frac S S,
 *                    root S S);
 *   I (intermediate) S, S_S, S^S, S_S^S;
 *   E (expression)   a run of I, where I/I is a fraction.
 * A bracket group that is the argument of _ ^ / or of a function loses its brackets, as
 * AsciiMath renders it: x^(2n) → x^{2n}, (a+b)/c → \frac{a+b}{c}, sqrt(x) → \sqrt{x}.  A group
 * of bracketed rows of equal length, ((a,b),(c,d)), is a matrix (pmatrix for round brackets,
 * bmatrix for square ones).  Symbols are matched longest first ("<=" before "<", "sum" before
 * "s"); a letter matching no symbol is a variable of its own ("xy" is x times y).
 *
 * Hostile input: nesting deeper than AM_DEPTH stops the conversion (the caller keeps the
 * source), and a matrix is tried at most AM_MATRIX_TRIES times per formula, since a failed try
 * parses its rows again as ordinary groups. */
#include <string.h>

#include "common/json.h"
#include "corpus/html.h"

enum { AM_DEPTH = 48, AM_MATRIX_TRIES = 16 };

typedef enum {
    A_END,
    A_CONST,
    A_FUNC,
    A_UNARY,
    A_BINARY,
    A_LEFT,
    A_RIGHT,
    A_SUB,
    A_SUP,
    A_DIV,
    A_TEXT
} akind;

typedef struct sym {
    const char *in, *tex, *tex2; /* unary: prefix, suffix; binary: prefix, middle (then "}") */
    akind k;
} sym;

/* The symbol table (the common part of AsciiMath's).  Unary entries whose tex2 is NULL take
 * their argument as raw text (text, mbox). */
static const sym syms[] = {
    /* brackets */
    {"(", "(", 0, A_LEFT},
    {")", ")", 0, A_RIGHT},
    {"[", "[", 0, A_LEFT},
    {"]", "]", 0, A_RIGHT},
    {"{", "\\{", 0, A_LEFT},
    {"}", "\\}", 0, A_RIGHT},
    {"(:", "\\langle ", 0, A_LEFT},
    {":)", "\\rangle ", 0, A_RIGHT},
    {"<<", "\\langle ", 0, A_LEFT},
    {">>", "\\rangle ", 0, A_RIGHT},
    {"{:", "", 0, A_LEFT},
    {":}", "", 0, A_RIGHT},
    /* scripts and fractions */
    {"_", "_", 0, A_SUB},
    {"^", "^", 0, A_SUP},
    {"/", "/", 0, A_DIV},
    /* operators */
    {"+", "+", 0, A_CONST},
    {"-", "-", 0, A_CONST},
    {"*", "\\cdot ", 0, A_CONST},
    {"**", "\\ast ", 0, A_CONST},
    {"***", "\\star ", 0, A_CONST},
    {"//", "/", 0, A_CONST},
    {"\\\\", "\\backslash ", 0, A_CONST},
    {"xx", "\\times ", 0, A_CONST},
    {"-:", "\\div ", 0, A_CONST},
    {"|><", "\\ltimes ", 0, A_CONST},
    {"><|", "\\rtimes ", 0, A_CONST},
    {"@", "\\circ ", 0, A_CONST},
    {"o+", "\\oplus ", 0, A_CONST},
    {"ox", "\\otimes ", 0, A_CONST},
    {"o.", "\\odot ", 0, A_CONST},
    {"sum", "\\sum", 0, A_CONST},
    {"prod", "\\prod", 0, A_CONST},
    {"^^", "\\wedge ", 0, A_CONST},
    {"^^^", "\\bigwedge", 0, A_CONST},
    {"vv", "\\vee ", 0, A_CONST},
    {"vvv", "\\bigvee", 0, A_CONST},
    {"nn", "\\cap ", 0, A_CONST},
    {"nnn", "\\bigcap", 0, A_CONST},
    {"uu", "\\cup ", 0, A_CONST},
    {"uuu", "\\bigcup", 0, A_CONST},
    /* relations */
    {"=", "=", 0, A_CONST},
    {"!=", "\\ne ", 0, A_CONST},
    {":=", ":=", 0, A_CONST},
    {"<", "<", 0, A_CONST},
    {"lt", "<", 0, A_CONST},
    {">", ">", 0, A_CONST},
    {"gt", ">", 0, A_CONST},
    {"<=", "\\le ", 0, A_CONST},
    {"le", "\\le ", 0, A_CONST},
    {">=", "\\ge ", 0, A_CONST},
    {"ge", "\\ge ", 0, A_CONST},
    {"-<", "\\prec ", 0, A_CONST},
    {">-", "\\succ ", 0, A_CONST},
    {"in", "\\in ", 0, A_CONST},
    {"!in", "\\notin ", 0, A_CONST},
    {"sub", "\\subset ", 0, A_CONST},
    {"sup", "\\supset ", 0, A_CONST},
    {"sube", "\\subseteq ", 0, A_CONST},
    {"supe", "\\supseteq ", 0, A_CONST},
    {"-=", "\\equiv ", 0, A_CONST},
    {"~=", "\\cong ", 0, A_CONST},
    {"~~", "\\approx ", 0, A_CONST},
    {"~", "\\sim ", 0, A_CONST},
    {"prop", "\\propto ", 0, A_CONST},
    /* logic */
    {"and", "\\text{ and }", 0, A_CONST},
    {"or", "\\text{ or }", 0, A_CONST},
    {"not", "\\neg ", 0, A_CONST},
    {"=>", "\\implies ", 0, A_CONST},
    {"<=>", "\\iff ", 0, A_CONST},
    {"if", "\\text{ if }", 0, A_CONST},
    {"AA", "\\forall ", 0, A_CONST},
    {"EE", "\\exists ", 0, A_CONST},
    {"_|_", "\\bot ", 0, A_CONST},
    {"TT", "\\top ", 0, A_CONST},
    {"|--", "\\vdash ", 0, A_CONST},
    {"|==", "\\models ", 0, A_CONST},
    /* miscellaneous */
    {"int", "\\int", 0, A_CONST},
    {"oint", "\\oint", 0, A_CONST},
    {"del", "\\partial ", 0, A_CONST},
    {"grad", "\\nabla ", 0, A_CONST},
    {"+-", "\\pm ", 0, A_CONST},
    {"-+", "\\mp ", 0, A_CONST},
    {"O/", "\\emptyset ", 0, A_CONST},
    {"oo", "\\infty ", 0, A_CONST},
    {"aleph", "\\aleph ", 0, A_CONST},
    {"/_", "\\angle ", 0, A_CONST},
    {":.", "\\therefore ", 0, A_CONST},
    {"...", "\\ldots ", 0, A_CONST},
    {"cdots", "\\cdots ", 0, A_CONST},
    {"vdots", "\\vdots ", 0, A_CONST},
    {"ddots", "\\ddots ", 0, A_CONST},
    {"quad", "\\quad ", 0, A_CONST},
    {"qquad", "\\qquad ", 0, A_CONST},
    {"diamond", "\\diamond ", 0, A_CONST},
    {"square", "\\square ", 0, A_CONST},
    {"CC", "\\mathbb{C}", 0, A_CONST},
    {"NN", "\\mathbb{N}", 0, A_CONST},
    {"QQ", "\\mathbb{Q}", 0, A_CONST},
    {"RR", "\\mathbb{R}", 0, A_CONST},
    {"ZZ", "\\mathbb{Z}", 0, A_CONST},
    {"|__", "\\lfloor ", 0, A_CONST},
    {"__|", "\\rfloor ", 0, A_CONST},
    {"|~", "\\lceil ", 0, A_CONST},
    {"~|", "\\rceil ", 0, A_CONST},
    /* arrows */
    {"uarr", "\\uparrow ", 0, A_CONST},
    {"darr", "\\downarrow ", 0, A_CONST},
    {"rarr", "\\rightarrow ", 0, A_CONST},
    {"->", "\\to ", 0, A_CONST},
    {"|->", "\\mapsto ", 0, A_CONST},
    {"larr", "\\leftarrow ", 0, A_CONST},
    {"harr", "\\leftrightarrow ", 0, A_CONST},
    {"rArr", "\\Rightarrow ", 0, A_CONST},
    {"lArr", "\\Leftarrow ", 0, A_CONST},
    {"hArr", "\\Leftrightarrow ", 0, A_CONST},
    {">->", "\\rightarrowtail ", 0, A_CONST},
    {"->>", "\\twoheadrightarrow ", 0, A_CONST},
    /* functions */
    {"sin", "\\sin ", 0, A_FUNC},
    {"cos", "\\cos ", 0, A_FUNC},
    {"tan", "\\tan ", 0, A_FUNC},
    {"sec", "\\sec ", 0, A_FUNC},
    {"csc", "\\csc ", 0, A_FUNC},
    {"cot", "\\cot ", 0, A_FUNC},
    {"arcsin", "\\arcsin ", 0, A_FUNC},
    {"arccos", "\\arccos ", 0, A_FUNC},
    {"arctan", "\\arctan ", 0, A_FUNC},
    {"sinh", "\\sinh ", 0, A_FUNC},
    {"cosh", "\\cosh ", 0, A_FUNC},
    {"tanh", "\\tanh ", 0, A_FUNC},
    {"log", "\\log ", 0, A_FUNC},
    {"ln", "\\ln ", 0, A_FUNC},
    {"exp", "\\exp ", 0, A_FUNC},
    {"det", "\\det ", 0, A_FUNC},
    {"dim", "\\dim ", 0, A_FUNC},
    {"mod", "\\bmod ", 0, A_CONST},
    {"gcd", "\\gcd ", 0, A_FUNC},
    {"lcm", "\\operatorname{lcm}", 0, A_FUNC},
    {"min", "\\min ", 0, A_CONST},
    {"max", "\\max ", 0, A_CONST},
    {"lim", "\\lim", 0, A_CONST},
    {"Lim", "\\operatorname{Lim}", 0, A_CONST},
    {"inf", "\\inf", 0, A_CONST},
    /* unary */
    {"sqrt", "\\sqrt{", "}", A_UNARY},
    {"hat", "\\hat{", "}", A_UNARY},
    {"bar", "\\overline{", "}", A_UNARY},
    {"ul", "\\underline{", "}", A_UNARY},
    {"vec", "\\vec{", "}", A_UNARY},
    {"dot", "\\dot{", "}", A_UNARY},
    {"ddot", "\\ddot{", "}", A_UNARY},
    {"tilde", "\\tilde{", "}", A_UNARY},
    {"abs", "\\left|", "\\right|", A_UNARY},
    {"norm", "\\left\\|", "\\right\\|", A_UNARY},
    {"floor", "\\left\\lfloor ", "\\right\\rfloor ", A_UNARY},
    {"ceil", "\\left\\lceil ", "\\right\\rceil ", A_UNARY},
    {"bb", "\\mathbf{", "}", A_UNARY},
    {"bbb", "\\mathbb{", "}", A_UNARY},
    {"cc", "\\mathcal{", "}", A_UNARY},
    {"tt", "\\mathtt{", "}", A_UNARY},
    {"fr", "\\mathfrak{", "}", A_UNARY},
    {"sf", "\\mathsf{", "}", A_UNARY},
    {"text", "\\text{", NULL, A_UNARY},
    {"mbox", "\\text{", NULL, A_UNARY},
    {"ubrace", "\\underbrace{", "}", A_UNARY},
    {"obrace", "\\overbrace{", "}", A_UNARY},
    {"cancel", "\\cancel{", "}", A_UNARY},
    /* binary */
    {"frac", "\\frac{", "}{", A_BINARY},
    {"root", "\\sqrt[", "]{", A_BINARY},
    {"stackrel", "\\stackrel{", "}{", A_BINARY},
    {"overset", "\\overset{", "}{", A_BINARY},
    {"underset", "\\underset{", "}{", A_BINARY},
    {"color", "{\\color{", "}", A_BINARY},
    /* Greek */
    {"alpha", "\\alpha ", 0, A_CONST},
    {"beta", "\\beta ", 0, A_CONST},
    {"gamma", "\\gamma ", 0, A_CONST},
    {"Gamma", "\\Gamma ", 0, A_CONST},
    {"delta", "\\delta ", 0, A_CONST},
    {"Delta", "\\Delta ", 0, A_CONST},
    {"epsilon", "\\epsilon ", 0, A_CONST},
    {"varepsilon", "\\varepsilon ", 0, A_CONST},
    {"zeta", "\\zeta ", 0, A_CONST},
    {"eta", "\\eta ", 0, A_CONST},
    {"theta", "\\theta ", 0, A_CONST},
    {"Theta", "\\Theta ", 0, A_CONST},
    {"vartheta", "\\vartheta ", 0, A_CONST},
    {"iota", "\\iota ", 0, A_CONST},
    {"kappa", "\\kappa ", 0, A_CONST},
    {"lambda", "\\lambda ", 0, A_CONST},
    {"Lambda", "\\Lambda ", 0, A_CONST},
    {"mu", "\\mu ", 0, A_CONST},
    {"nu", "\\nu ", 0, A_CONST},
    {"xi", "\\xi ", 0, A_CONST},
    {"Xi", "\\Xi ", 0, A_CONST},
    {"pi", "\\pi ", 0, A_CONST},
    {"Pi", "\\Pi ", 0, A_CONST},
    {"rho", "\\rho ", 0, A_CONST},
    {"sigma", "\\sigma ", 0, A_CONST},
    {"Sigma", "\\Sigma ", 0, A_CONST},
    {"tau", "\\tau ", 0, A_CONST},
    {"upsilon", "\\upsilon ", 0, A_CONST},
    {"phi", "\\phi ", 0, A_CONST},
    {"Phi", "\\Phi ", 0, A_CONST},
    {"varphi", "\\varphi ", 0, A_CONST},
    {"chi", "\\chi ", 0, A_CONST},
    {"psi", "\\psi ", 0, A_CONST},
    {"Psi", "\\Psi ", 0, A_CONST},
    {"omega", "\\omega ", 0, A_CONST},
    {"Omega", "\\Omega ", 0, A_CONST},
};

typedef struct am {
    const char *s, *e; /* the input not yet read */
    mm_buf *o;
    int depth, matrix_tries;
    bool bad;                            /* too deep: give up */
    size_t grp_a, grp_ia, grp_ib, grp_b; /* the last bracket group written: o[a..ia) is its
                                          * opening bracket, o[ib..b) its closing one */
} am;

typedef struct atok {
    akind k;
    const char *tex, *tex2;
    const char *src; /* where it starts in the input */
    size_t len;      /* its length there */
} atok;

static bool am_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
static bool am_digit(char c) {
    return c >= '0' && c <= '9';
}
static bool am_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The next token, without consuming it. */
static atok lex(am *a) {
    while (a->s < a->e && am_space(*a->s))
        a->s++;
    atok t = {A_END, "", NULL, a->s, 0};
    if (a->s >= a->e) return t;
    size_t left = (size_t)(a->e - a->s);
    const char *s = a->s;
    if (*s == '"') {
        const char *q = memchr(s + 1, '"', left - 1);
        t.k = A_TEXT, t.len = q ? (size_t)(q - s) + 1 : left;
        return t;
    }
    if (am_digit(*s) || (*s == '.' && left > 1 && am_digit(s[1]))) {
        size_t n = 0;
        while (n < left && am_digit(s[n]))
            n++;
        if (n + 1 < left && s[n] == '.' && am_digit(s[n + 1])) {
            n++;
            while (n < left && am_digit(s[n]))
                n++;
        }
        t.k = A_CONST, t.tex = NULL, t.len = n; /* NULL tex: the source itself */
        return t;
    }
    const sym *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++) {
        size_t k = strlen(syms[i].in);
        if (syms[i].in[0] == *s && k <= left && k > best_len && !memcmp(syms[i].in, s, k))
            best = &syms[i], best_len = k;
    }
    if (best) {
        t.k = best->k, t.tex = best->tex, t.tex2 = best->tex2, t.len = best_len;
        return t;
    }
    int k = mm_utf8_seq_len((const unsigned char *)s, left);
    t.k = A_CONST, t.len = k > 0 ? (size_t)k : 1;
    static const char *const esc[] = {
        ['#'] = "\\#", ['%'] = "\\%", ['&'] = "\\&", ['$'] = "\\$", ['\\'] = "\\backslash "};
    unsigned char c = (unsigned char)*s;
    t.tex = c < sizeof esc / sizeof *esc && esc[c] ? esc[c] : NULL;
    return t;
}

static void take(am *a, const atok *t) {
    a->s = t->src + t->len;
}

/* Append s, with a space first when it starts with a letter and the output ends in a control
 * word ("\alpha" then "x" must not read "\alphax"). */
static mm_err put(am *a, const char *s, size_t n) {
    mm_buf *o = a->o;
    if (n && am_alpha(s[0]) && o->len && am_alpha(o->data[o->len - 1])) {
        size_t i = o->len;
        while (i && am_alpha(o->data[i - 1]))
            i--;
        if (i && o->data[i - 1] == '\\') MM_TRY(mm_buf_putc(o, ' '));
    }
    return mm_buf_append(o, s, n);
}
static mm_err puts_(am *a, const char *s) {
    return put(a, s, strlen(s));
}

/* Insert s at offset pos of the output. */
static mm_err insert(mm_buf *o, size_t pos, const char *s) {
    size_t k = strlen(s);
    MM_TRY(mm_buf_reserve(o, o->len + k + 1));
    memmove(o->data + pos + k, o->data + pos, o->len - pos);
    memcpy(o->data + pos, s, k);
    o->len += k;
    return MM_OK;
}

/* When the output from `start` on is exactly the last bracket group, drop its brackets. */
static void unwrap(am *a, size_t start) {
    mm_buf *o = a->o;
    if (a->grp_a != start || a->grp_b != o->len || a->grp_ia > a->grp_ib) return;
    o->len = a->grp_ib; /* the closing bracket */
    size_t open = a->grp_ia - a->grp_a;
    memmove(o->data + start, o->data + a->grp_ia, o->len - a->grp_ia);
    o->len -= open;
    a->grp_b = (size_t)-1;
}

static mm_err parse_e(am *a, bool stop_comma);

/* The raw text of a bracket group or quoted string, for text(...) */
static mm_err raw_arg(am *a) {
    atok t = lex(a);
    if (t.k == A_TEXT) {
        take(a, &t);
        return put(a, t.src + 1, t.len >= 2 && t.src[t.len - 1] == '"' ? t.len - 2 : t.len - 1);
    }
    if (t.k != A_LEFT) return MM_OK;
    take(a, &t);
    const char *from = a->s;
    int level = 1;
    while (a->s < a->e) {
        char c = *a->s++;
        if (c == '(' || c == '[' || c == '{') level++;
        if ((c == ')' || c == ']' || c == '}') && --level == 0)
            return put(a, from, (size_t)(a->s - 1 - from));
    }
    return put(a, from, (size_t)(a->s - from));
}

static bool is_comma(const atok *t) {
    return t->k == A_CONST && t->len == 1 && *t->src == ',';
}

/* ((a,b),(c,d)) → \begin{pmatrix}a&b\\c&d\end{pmatrix}; *ok false (nothing consumed or written)
 * when the group is not a matrix. */
static mm_err try_matrix(am *a, const atok *outer, bool *ok) {
    *ok = false;
    const char *save = a->s;
    size_t start = a->o->len;
    take(a, outer);
    atok t = lex(a);
    if (t.k != A_LEFT || (*t.src != '(' && *t.src != '[') || a->matrix_tries++ >= AM_MATRIX_TRIES) {
        a->s = save;
        return MM_OK;
    }
    const char *env = *outer->src == '(' ? "pmatrix" : *outer->src == '[' ? "bmatrix" : "matrix";
    bool plain = *outer->src != '(' && *outer->src != '[';
    if (plain) MM_TRY(puts_(a, outer->tex));
    MM_TRY(puts_(a, "\\begin{"));
    MM_TRY(puts_(a, env));
    MM_TRY(puts_(a, "}"));
    int rows = 0, cols = -1;
    for (;;) {
        t = lex(a);
        if (t.k != A_LEFT || (*t.src != '(' && *t.src != '[')) break;
        take(a, &t);
        if (rows) MM_TRY(puts_(a, "\\\\"));
        int c = 1;
        MM_TRY(parse_e(a, true));
        for (t = lex(a); is_comma(&t); t = lex(a), c++) {
            take(a, &t);
            MM_TRY(puts_(a, "&"));
            MM_TRY(parse_e(a, true));
        }
        if (t.k != A_RIGHT || (cols >= 0 && c != cols)) break;
        take(a, &t);
        cols = c, rows++;
        t = lex(a);
        if (is_comma(&t)) {
            take(a, &t);
            continue;
        }
        if (t.k == A_RIGHT && rows >= 2) {
            take(a, &t);
            MM_TRY(puts_(a, "\\end{"));
            MM_TRY(puts_(a, env));
            MM_TRY(puts_(a, "}"));
            if (plain) MM_TRY(puts_(a, t.tex));
            *ok = true;
            return MM_OK;
        }
        break;
    }
    a->s = save, a->o->len = start; /* not a matrix */
    return MM_OK;
}

/* S; with strip, a bracket group is written without its brackets.  Returns with nothing
 * written at the end of the input or before a closing bracket. */
static mm_err parse_s(am *a, bool strip) {
    if (++a->depth > AM_DEPTH) a->bad = true;
    if (a->bad) {
        a->s = a->e;
        return MM_OK;
    }
    atok t = lex(a);
    size_t start = a->o->len;
    bool ok;
    switch (t.k) {
    case A_END:
    case A_RIGHT:
        break;
    case A_LEFT:
        MM_TRY(try_matrix(a, &t, &ok));
        if (ok) break;
        take(a, &t);
        if (!strip) MM_TRY(puts_(a, t.tex));
        size_t ia = a->o->len;
        MM_TRY(parse_e(a, false));
        size_t ib = a->o->len;
        t = lex(a);
        if (t.k == A_RIGHT) {
            take(a, &t);
            if (!strip) MM_TRY(puts_(a, t.tex));
        }
        a->grp_a = start, a->grp_ia = ia, a->grp_ib = ib, a->grp_b = a->o->len;
        if (strip) a->grp_b = (size_t)-1;
        break;
    case A_FUNC: /* sin x/y is \frac{\sin x}{y}: the function and its argument are one S */
        take(a, &t);
        MM_TRY(puts_(a, t.tex));
        t = lex(a);
        if (t.k != A_SUB && t.k != A_SUP && t.k != A_DIV) MM_TRY(parse_s(a, false));
        a->grp_b = (size_t)-1;
        break;
    case A_UNARY:
        take(a, &t);
        MM_TRY(puts_(a, t.tex));
        if (!t.tex2) {
            MM_TRY(raw_arg(a));
            MM_TRY(puts_(a, "}"));
        } else {
            MM_TRY(parse_s(a, true));
            MM_TRY(puts_(a, t.tex2));
        }
        break;
    case A_BINARY:
        take(a, &t);
        MM_TRY(puts_(a, t.tex));
        if (*t.src == 'c')
            MM_TRY(raw_arg(a)); /* color(red)(x): a name */
        else
            MM_TRY(parse_s(a, true));
        MM_TRY(puts_(a, t.tex2));
        MM_TRY(parse_s(a, true));
        MM_TRY(puts_(a, "}"));
        break;
    case A_TEXT:
        take(a, &t);
        MM_TRY(puts_(a, "\\text{"));
        MM_TRY(put(a, t.src + 1, t.len >= 2 && t.src[t.len - 1] == '"' ? t.len - 2 : t.len - 1));
        MM_TRY(puts_(a, "}"));
        break;
    case A_SUB:
    case A_SUP:
    case A_DIV: /* a script sign with nothing before it */
        take(a, &t);
        MM_TRY(puts_(a, t.k == A_SUB ? "\\_" : t.k == A_SUP ? "\\hat{}" : "/"));
        break;
    default:
        take(a, &t);
        MM_TRY(t.tex ? puts_(a, t.tex) : put(a, t.src, t.len));
    }
    a->depth--;
    return MM_OK;
}

/* A script after S: "_" or "^" and its argument, braced. */
static mm_err script(am *a, akind k) {
    atok t = lex(a);
    if (t.k != k) return MM_OK;
    take(a, &t);
    MM_TRY(puts_(a, k == A_SUB ? "_{" : "^{"));
    MM_TRY(parse_s(a, true));
    return puts_(a, "}");
}

/* I: S, S_S, S^S, S_S^S, S^S_S. */
static mm_err parse_i(am *a) {
    MM_TRY(parse_s(a, false));
    atok t = lex(a);
    if (t.k == A_SUB) {
        MM_TRY(script(a, A_SUB));
        return script(a, A_SUP);
    }
    if (t.k == A_SUP) {
        MM_TRY(script(a, A_SUP));
        return script(a, A_SUB);
    }
    return MM_OK;
}

/* E: I…, with I/I a fraction; up to a closing bracket (not consumed), the end, or with
 * stop_comma a comma (a matrix cell). */
static mm_err parse_e(am *a, bool stop_comma) {
    for (;;) {
        atok t = lex(a);
        if (t.k == A_END || t.k == A_RIGHT || a->bad || (stop_comma && is_comma(&t))) return MM_OK;
        size_t start = a->o->len;
        MM_TRY(parse_i(a));
        t = lex(a);
        if (t.k != A_DIV) continue;
        take(a, &t);
        unwrap(a, start);
        MM_TRY(insert(a->o, start, "\\frac{"));
        MM_TRY(puts_(a, "}{"));
        size_t den = a->o->len;
        MM_TRY(parse_i(a));
        unwrap(a, den);
        MM_TRY(puts_(a, "}"));
    }
}

bool mm_asciimath_to_latex(const char *s, size_t n, mm_buf *out) {
    am a = {.s = s, .e = s + n, .o = out, .grp_b = (size_t)-1};
    size_t start = out->len;
    mm_err e = MM_OK;
    while (e == MM_OK && !a.bad && a.s < a.e) {
        e = parse_e(&a, false);
        atok t = lex(&a);
        if (t.k == A_RIGHT) { /* an unmatched closing bracket: written as it is */
            take(&a, &t);
            e = puts_(&a, t.tex);
        }
    }
    if (e != MM_OK || a.bad) {
        out->len = start;
        return false;
    }
    return true;
}
