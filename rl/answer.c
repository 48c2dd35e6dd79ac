/* rl/answer.c — final-answer extraction, normalisation and equality for every benchmark
 * (contract in rl/answer.h).
 *
 * The checker works in three layers, cheapest first:
 *   1. normalise both sides to a canonical LaTeX-ish string (no spaces, no $, no \left, text
 *      unwrapped, units after a number dropped) and compare bytes;
 *   2. split top-level lists (tuples, intervals, sets, "1, 2") and compare element-wise;
 *   3. evaluate both sides as expressions at fixed pseudo-random points.
 * Layer 3 is what makes "\frac{1}{2}", "0.5", "1/2" and "\frac12" equal, and "2x+2" equal to
 * "2(x+1)".  A pair that cannot be evaluated (words, names) is equal only by layer 1. */
#include "rl/answer.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NVARS 64

static int has_prefix(const char *s, size_t n, const char *p) {
    size_t k = strlen(p);
    return n >= k && !memcmp(s, p, k);
}

static int is_ws(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- extraction ---- */

/* [b, e) of the balanced-brace group opening at s[i] == '{'; 0 when unbalanced. */
static int brace_group(const char *s, size_t n, size_t i, size_t *b, size_t *e) {
    int depth = 0;
    for (size_t j = i; j < n; j++) {
        if (s[j] == '\\' && j + 1 < n) {
            j++;
            continue;
        }
        if (s[j] == '{')
            depth++;
        else if (s[j] == '}' && --depth == 0)
            return *b = i + 1, *e = j, 1;
    }
    return 0;
}

static size_t last_of(const char *s, size_t n, const char *p, size_t from) {
    size_t k = strlen(p), best = (size_t)-1;
    for (size_t i = from; i + k <= n; i++)
        if (s[i] == p[0] && !memcmp(s + i, p, k)) best = i;
    return best;
}

static void trim(const char *s, size_t *b, size_t *e) {
    while (*b < *e && (is_ws((unsigned char)s[*b]) || s[*b] == '$' || s[*b] == ':'))
        (*b)++;
    while (*e > *b && (is_ws((unsigned char)s[*e - 1]) || s[*e - 1] == '$' || s[*e - 1] == '.'))
        (*e)--;
}

static int boxed_at(const char *s, size_t n, size_t i, size_t *b, size_t *e) {
    i += s[i + 1] == 'b' ? 6 : 5; /* \boxed or \fbox */
    while (i < n && s[i] == ' ')
        i++;
    if (i < n && s[i] == '{') return brace_group(s, n, i, b, e);
    *b = i;
    while (i < n && s[i] != '$' && !is_ws((unsigned char)s[i]))
        i++;
    *e = i;
    return *e > *b;
}

/* The end of a sentence that starts at b: a newline, "。", or a '.' not inside a number. */
static size_t sentence_end(const char *s, size_t n, size_t b) {
    for (size_t i = b; i < n; i++) {
        if (s[i] == '\n') return i;
        if (has_prefix(s + i, n - i, "\xe3\x80\x82")) return i;
        if (s[i] == '.' && (i + 1 >= n || !isdigit((unsigned char)s[i + 1]))) return i;
    }
    return n;
}

static int last_number(const char *s, size_t n, size_t *b, size_t *e) {
    int found = 0;
    for (size_t i = 0; i < n;) {
        if (!isdigit((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n &&
               (isdigit((unsigned char)s[j]) || ((s[j] == '.' || s[j] == ',' || s[j] == '/') &&
                                                 j + 1 < n && isdigit((unsigned char)s[j + 1]))))
            j++;
        *b = i > 0 && s[i - 1] == '-' ? i - 1 : i, *e = j, found = 1;
        i = j;
    }
    return found;
}

static const char *const PHRASES[] = {"answer is",
                                      "Answer is",
                                      "ANSWER IS",
                                      "Answer:",
                                      "answer:",
                                      "\xe7\xad\x94\xe6\xa1\x88\xe6\x98\xaf",
                                      "\xe7\xad\x94\xe6\xa1\x88\xef\xbc\x9a"};

/* Position of the last \\boxed / \\fbox with its content in [*b, *e), or -1. */
static size_t last_boxed(const char *s, size_t n, size_t *b, size_t *e) {
    size_t bx = last_of(s, n, "\\boxed", 0), fb = last_of(s, n, "\\fbox", 0);
    if (fb != (size_t)-1 && (bx == (size_t)-1 || fb > bx)) bx = fb;
    return bx != (size_t)-1 && boxed_at(s, n, bx, b, e) ? bx : (size_t)-1;
}

int mm_answer_boxed(const char *s, size_t n, size_t *off, size_t *len) {
    size_t b, e;
    if (last_boxed(s, n, &b, &e) == (size_t)-1) return 0;
    trim(s, &b, &e);
    *off = b, *len = e - b;
    return e > b;
}

mm_answer_marker mm_answer_extract(const char *s, size_t n, int flags, size_t *off, size_t *len) {
    size_t pos[3] = {(size_t)-1, (size_t)-1, (size_t)-1}, b[3] = {0}, e[3] = {0};
    pos[0] = last_boxed(s, n, &b[0], &e[0]);
    size_t h = last_of(s, n, "####", 0);
    if (h != (size_t)-1) {
        size_t i = h;
        while (i < n && s[i] == '#')
            i++;
        const char *nl = memchr(s + i, '\n', n - i);
        pos[1] = h, b[1] = i, e[1] = nl ? (size_t)(nl - s) : n;
    }
    for (size_t k = 0; k < sizeof PHRASES / sizeof *PHRASES; k++) {
        size_t p = last_of(s, n, PHRASES[k], 0);
        if (p == (size_t)-1 || (pos[2] != (size_t)-1 && p < pos[2])) continue;
        size_t i = p + strlen(PHRASES[k]);
        pos[2] = p, b[2] = i, e[2] = sentence_end(s, n, i);
    }
    int best = -1;
    for (int k = 0; k < 3; k++) {
        if (pos[k] == (size_t)-1) continue;
        trim(s, &b[k], &e[k]);
        if (e[k] > b[k] && (best < 0 || pos[k] > pos[best])) best = k;
    }
    if (best >= 0) {
        *off = b[best], *len = e[best] - b[best];
        return (mm_answer_marker)(MM_ANSWER_BOXED + best);
    }
    size_t nb, ne;
    if ((flags & MM_ANSWER_LAST_NUMBER) && last_number(s, n, &nb, &ne)) {
        *off = nb, *len = ne - nb;
        return MM_ANSWER_NUMBER;
    }
    *off = *len = 0;
    return MM_ANSWER_NONE;
}

/* ---- normalisation ---- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void put(sbuf *o, const char *s, size_t k) {
    for (size_t i = 0; i < k && o->n + 1 < o->cap; i++)
        o->p[o->n++] = s[i];
    o->p[o->n] = 0;
}

/* Spans dropped outright. */
static const char *const DROP[] = {"\\displaystyle",
                                   "\\qquad",
                                   "\\quad",
                                   "\\left.",
                                   "\\right.",
                                   "\\left",
                                   "\\right",
                                   "^{\\circ}",
                                   "^\\circ",
                                   "\\circ",
                                   "\\degree",
                                   "\\!",
                                   "\\,",
                                   "\\;",
                                   "\\:",
                                   "\\ ",
                                   "\\$",
                                   "\\%",
                                   "\xc2\xb0",
                                   "\\limits",
                                   "\\mathstrut"};
/* Commands whose one brace argument is kept without the command and braces. */
static const char *const UNWRAP[] = {"\\text{",       "\\textbf{", "\\textit{", "\\mathrm{",
                                     "\\mathbf{",     "\\mbox{",   "\\rm{",     "\\operatorname{",
                                     "\\textnormal{", "\\mathit{"};
static const char *const RENAME[][2] = {{"\\dfrac", "\\frac"},
                                        {"\\tfrac", "\\frac"},
                                        {"\\leq", "\\le"},
                                        {"\\geq", "\\ge"},
                                        {"\\neq", "\\ne"},
                                        {"\\lt", "<"},
                                        {"\\gt", ">"},
                                        {"{,}", ","},
                                        {"\\begin{pmatrix}", "("},
                                        {"\\end{pmatrix}", ")"},
                                        {"\\begin{bmatrix}", "["},
                                        {"\\end{bmatrix}", "]"},
                                        {"\\\\", ","},
                                        {"&", ","},
                                        {"\\cdot", "*"},
                                        {"\\times", "*"},
                                        {"\\div", "/"},
                                        {"\xc3\x97", "*"},
                                        {"\xc3\xb7", "/"},
                                        {"\xe2\x88\x92", "-"},
                                        {"\\lbrace", "\\{"},
                                        {"\\rbrace", "\\}"}};

static void norm_into(const char *s, size_t n, sbuf *o, int depth);

/* A leading number "2 1/2" (a mixed number written with a space): written as "(2+1/2)". */
static size_t mixed_space(const char *s, size_t n, sbuf *o) {
    size_t i = 0;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ' ') return 0;
    size_t j = i + 1, a = j;
    while (j < n && isdigit((unsigned char)s[j]))
        j++;
    if (j == a || j >= n || s[j] != '/') return 0;
    size_t k = j + 1, c = k;
    while (k < n && isdigit((unsigned char)s[k]))
        k++;
    if (k == c || (k < n && (isalnum((unsigned char)s[k]) || s[k] == '.'))) return 0;
    put(o, "(", 1), put(o, s, i), put(o, "+", 1), put(o, s + a, k - a), put(o, ")", 1);
    return k;
}

static void norm_into(const char *s, size_t n, sbuf *o, int depth) {
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if ((i == 0 || !isdigit((unsigned char)s[i - 1])) && isdigit(c)) {
            size_t k = mixed_space(s + i, n - i, o);
            if (k) {
                i += k;
                continue;
            }
        }
        if (is_ws(c) || c == '$' || c == '%' || c == '~') {
            i++;
            continue;
        }
        int done = 0;
        for (size_t k = 0; !done && k < sizeof DROP / sizeof *DROP; k++)
            if (has_prefix(s + i, n - i, DROP[k])) {
                size_t l = strlen(DROP[k]);
                /* \left and \right only as whole words (\leftarrow stays) */
                if (DROP[k][1] == 'l' || DROP[k][1] == 'r')
                    if (i + l < n && isalpha((unsigned char)s[i + l])) continue;
                i += l, done = 1;
            }
        for (size_t k = 0; !done && k < sizeof UNWRAP / sizeof *UNWRAP; k++)
            if (has_prefix(s + i, n - i, UNWRAP[k])) {
                size_t l = strlen(UNWRAP[k]), b, e;
                if (!brace_group(s, n, i + l - 1, &b, &e)) continue;
                if (depth < 16) norm_into(s + b, e - b, o, depth + 1);
                i = e + 1, done = 1;
            }
        for (size_t k = 0; !done && k < sizeof RENAME / sizeof *RENAME; k++)
            if (has_prefix(s + i, n - i, RENAME[k][0])) {
                size_t l = strlen(RENAME[k][0]);
                if (s[i] == '\\' && isalpha((unsigned char)RENAME[k][0][l - 1]) && i + l < n &&
                    isalpha((unsigned char)s[i + l]))
                    continue; /* \leq is not \leqslant's prefix match */
                put(o, RENAME[k][1], strlen(RENAME[k][1]));
                i += l, done = 1;
            }
        if (!done) put(o, s + i, 1), i++;
    }
}

/* The trailing units of "18 dollars", "9 (apples)", "5\text{ cm}", "3 元": where the number
 * ends, or 0 when s is not a number followed by unit words. */
static size_t number_then_units(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (has_prefix(s + i, n - i, "\\$"))
        i += 2;
    else if (i < n && s[i] == '$')
        i++;
    size_t d = i;
    while (i < n &&
           (isdigit((unsigned char)s[i]) || ((s[i] == '.' || s[i] == ',' || s[i] == '/') &&
                                             i + 1 < n && isdigit((unsigned char)s[i + 1]))))
        i++;
    if (i == d) return 0;
    if (has_prefix(s + i, n - i, "\\%"))
        i += 2;
    else if (i < n && s[i] == '%')
        i++;
    size_t end = i;
    if (i >= n) return 0;
    unsigned char c = (unsigned char)s[i];
    int sep = c == ' ' || c == '~' || c == '(' || c == '\\' || c >= 0x80;
    if (!sep) return 0;
    int letters = 0;
    for (; i < n; i++) {
        c = (unsigned char)s[i];
        if (isalpha(c) || c >= 0x80)
            letters++;
        else if (isdigit(c)) {
            if (!(s[i - 1] == '^' || (i > 1 && s[i - 1] == '{' && s[i - 2] == '^'))) return 0;
        } else if (c == '\\') {
            if (!has_prefix(s + i, n - i, "\\text") && !has_prefix(s + i, n - i, "\\mathrm") &&
                !has_prefix(s + i, n - i, "\\mbox") && !has_prefix(s + i, n - i, "\\ ") &&
                !has_prefix(s + i, n - i, "\\,") && !has_prefix(s + i, n - i, "\\;"))
                return 0;
        } else if (!strchr(" ~(){}^.-/", c)) {
            return 0;
        }
    }
    if (letters == 0) return 0;
    if (letters == 1 && s[end] == ' ') return 0; /* "3 i", "5 m": a product, not a unit */
    return end;
}

static int all_thousands(const char *s, size_t n) {
    size_t i = s[0] == '-' ? 1 : 0, g = 0, commas = 0;
    for (; i < n && s[i] != '.'; i++) {
        if (isdigit((unsigned char)s[i]))
            g++;
        else if (s[i] == ',' && g >= 1 && (commas ? g == 3 : g <= 3))
            g = 0, commas++;
        else
            return 0;
    }
    if (!commas || g != 3) return 0;
    if (i < n) /* decimals */
        for (i++; i < n; i++)
            if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

size_t mm_answer_normalize(const char *s, size_t n, char *out, size_t cap) {
    if (cap == 0) return 0;
    size_t b = 0, e = n;
    trim(s, &b, &e);
    s += b, n = e - b;
    size_t u = number_then_units(s, n);
    if (u) n = u;
    sbuf o = {out, 0, cap};
    out[0] = 0;
    norm_into(s, n, &o, 0);
    while (o.n && (out[o.n - 1] == '.' || out[o.n - 1] == ','))
        out[--o.n] = 0;
    /* a leading "x=" or "x\in" names the variable, not the answer */
    if (o.n > 2 && isalpha((unsigned char)out[0]) && out[1] == '=' && !strchr(out + 2, '=')) {
        memmove(out, out + 2, o.n - 1), o.n -= 2;
    } else if (o.n > 4 && isalpha((unsigned char)out[0]) && has_prefix(out + 1, o.n - 1, "\\in") &&
               !isalpha((unsigned char)out[4])) {
        memmove(out, out + 4, o.n - 3), o.n -= 4;
    }
    if (o.n && all_thousands(out, o.n)) {
        size_t k = 0;
        for (size_t i = 0; i < o.n; i++)
            if (out[i] != ',') out[k++] = out[i];
        out[k] = 0, o.n = k;
    }
    return o.n;
}

/* ---- expression evaluation ---- */

typedef struct ev {
    const char *s;
    size_t n, i;
    int depth, used_var;
    const double *vars;
} ev;

static int ev_sum(ev *e, double *v);
static int ev_unary(ev *e, double *v);

static const char *const GREEK[] = {
    "alpha", "beta",     "gamma", "delta",   "epsilon", "varepsilon", "zeta", "eta",
    "theta", "vartheta", "iota",  "kappa",   "lambda",  "mu",         "nu",   "xi",
    "rho",   "sigma",    "tau",   "upsilon", "phi",     "varphi",     "chi",  "psi",
    "omega", "Gamma",    "Delta", "Theta",   "Lambda",  "Sigma",      "Phi",  "Omega"};
static const char *const FUNCS[] = {"arcsin", "arccos", "arctan", "sinh", "cosh",
                                    "tanh",   "sin",    "cos",    "tan",  "sec",
                                    "csc",    "cot",    "ln",     "log",  "exp"};

static double apply_func(int f, double x) {
    switch (f) {
    case 0:
        return asin(x);
    case 1:
        return acos(x);
    case 2:
        return atan(x);
    case 3:
        return sinh(x);
    case 4:
        return cosh(x);
    case 5:
        return tanh(x);
    case 6:
        return sin(x);
    case 7:
        return cos(x);
    case 8:
        return tan(x);
    case 9:
        return 1 / cos(x);
    case 10:
        return 1 / sin(x);
    case 11:
        return 1 / tan(x);
    case 12:
        return log(x);
    case 13:
        return log10(x);
    default:
        return exp(x);
    }
}

/* The longest name of `names` at s (after the backslash); its index or -1. */
static int match_name(const char *s, size_t n, const char *const *names, int count, size_t *len) {
    int best = -1;
    size_t bl = 0;
    for (int k = 0; k < count; k++) {
        size_t l = strlen(names[k]);
        if (l > bl && has_prefix(s, n, names[k])) best = k, bl = l;
    }
    *len = bl;
    return best;
}

static int ev_peek(ev *e, char c) {
    return e->i < e->n && e->s[e->i] == c;
}

/* A \frac or \sqrt argument: {expr}, or one character (\frac34, \sqrt2). */
static int ev_arg(ev *e, double *v) {
    if (e->i >= e->n) return 0;
    if (e->s[e->i] == '{') {
        e->i++;
        if (!ev_sum(e, v) || !ev_peek(e, '}')) return 0;
        e->i++;
        return 1;
    }
    char c = e->s[e->i];
    if (isdigit((unsigned char)c)) return *v = c - '0', e->i++, 1;
    if (isalpha((unsigned char)c)) {
        int slot = islower((unsigned char)c) ? c - 'a' : 26 + c - 'A';
        e->used_var = 1, e->i++;
        return *v = e->vars[slot], 1;
    }
    return ev_unary(e, v);
}

static int ev_number(ev *e, double *v) {
    size_t b = e->i;
    while (e->i < e->n && isdigit((unsigned char)e->s[e->i]))
        e->i++;
    if (e->i < e->n && e->s[e->i] == '.' && e->i + 1 < e->n &&
        isdigit((unsigned char)e->s[e->i + 1]))
        for (e->i++; e->i < e->n && isdigit((unsigned char)e->s[e->i]);)
            e->i++;
    if (e->i == b) return 0;
    char buf[64];
    size_t k = e->i - b < 63 ? e->i - b : 63;
    memcpy(buf, e->s + b, k), buf[k] = 0;
    *v = strtod(buf, NULL);
    /* a mixed number: an integer directly followed by \frac of two integers */
    int integer = !memchr(e->s + b, '.', e->i - b);
    if (integer && has_prefix(e->s + e->i, e->n - e->i, "\\frac")) {
        ev f = *e;
        f.i += 5;
        double num, den;
        size_t a = f.i;
        if (ev_arg(&f, &num) && ev_arg(&f, &den) && !f.used_var && den != 0 && num == floor(num) &&
            den == floor(den) && num < den && e->s[a] != '-') {
            *v += num / den, e->i = f.i;
        }
    }
    return 1;
}

static int ev_command(ev *e, double *v) {
    const char *s = e->s + e->i + 1;
    size_t n = e->n - e->i - 1, l;
    if (has_prefix(s, n, "frac")) {
        e->i += 5;
        double a, b;
        if (!ev_arg(e, &a) || !ev_arg(e, &b)) return 0;
        return *v = a / b, 1;
    }
    if (has_prefix(s, n, "sqrt")) {
        e->i += 5;
        double idx = 2, a;
        if (ev_peek(e, '[')) {
            e->i++;
            if (!ev_sum(e, &idx) || !ev_peek(e, ']')) return 0;
            e->i++;
        }
        if (!ev_arg(e, &a)) return 0;
        return *v = idx == 2 ? sqrt(a) : idx == 3 ? cbrt(a) : pow(a, 1 / idx), 1;
    }
    if (has_prefix(s, n, "pi")) { /* spaces are gone: "\\pir" is \\pi r */
        e->i += 3;
        return *v = M_PI, 1;
    }
    int f = match_name(s, n, FUNCS, (int)(sizeof FUNCS / sizeof *FUNCS), &l);
    if (f >= 0) {
        e->i += 1 + l;
        double x;
        if (ev_peek(e, '^')) { /* \sin^2 x */
            e->i++;
            double p;
            if (!ev_arg(e, &p) || !ev_unary(e, &x)) return 0;
            return *v = pow(apply_func(f, x), p), 1;
        }
        if (!ev_unary(e, &x)) return 0;
        return *v = apply_func(f, x), 1;
    }
    int g = match_name(s, n, GREEK, (int)(sizeof GREEK / sizeof *GREEK), &l);
    if (g >= 0) {
        e->i += 1 + l, e->used_var = 1;
        return *v = e->vars[52 + g % 12], 1;
    }
    return 0;
}

static int ev_atom(ev *e, double *v) {
    if (e->i >= e->n || ++e->depth > 64) return 0;
    char c = e->s[e->i];
    int ok = 0;
    const char *close = c == '(' ? ")" : c == '[' ? "]" : c == '{' ? "}" : c == '|' ? "|" : NULL;
    if (close) {
        e->i++;
        ok = ev_sum(e, v) && ev_peek(e, *close);
        if (ok) e->i++;
        if (ok && c == '|') *v = fabs(*v);
    } else if (isdigit((unsigned char)c) || (c == '.' && e->i + 1 < e->n)) {
        if (c == '.') { /* ".5" */
            ev f = *e;
            f.i++;
            double x;
            size_t b = f.i;
            ok = isdigit((unsigned char)e->s[b]) && ev_number(&f, &x);
            if (ok) *v = x / pow(10, (double)(f.i - b)), e->i = f.i;
        } else {
            ok = ev_number(e, v);
        }
    } else if (isalpha((unsigned char)c)) {
        if (e->i + 2 < e->n && isalpha((unsigned char)e->s[e->i + 1]) &&
            isalpha((unsigned char)e->s[e->i + 2]))
            return 0; /* a word ("Yes", "even") is no product of variables */
        int slot = islower((unsigned char)c) ? c - 'a' : 26 + c - 'A';
        *v = e->vars[slot], e->used_var = 1, e->i++, ok = 1;
    } else if (c == '\\') {
        ok = ev_command(e, v);
    }
    if (ok && ev_peek(e, '!')) { /* factorial of a small integer */
        e->i++;
        if (*v < 0 || *v > 20 || *v != floor(*v)) return 0;
        double f = 1;
        for (int k = 2; k <= (int)*v; k++)
            f *= k;
        *v = f;
    }
    e->depth--;
    return ok;
}

static int ev_power(ev *e, double *v) {
    if (!ev_atom(e, v)) return 0;
    if (!ev_peek(e, '^')) return 1;
    e->i++;
    double p;
    if (e->i < e->n && e->s[e->i] == '{') {
        if (!ev_arg(e, &p)) return 0;
    } else if (!ev_unary(e, &p)) {
        return 0;
    }
    *v = pow(*v, p);
    return 1;
}

static int ev_unary(ev *e, double *v) {
    if (++e->depth > 64 || e->i >= e->n) return 0;
    int ok;
    if (e->s[e->i] == '-' || e->s[e->i] == '+') {
        char sign = e->s[e->i++];
        ok = ev_unary(e, v);
        if (sign == '-') *v = -*v;
    } else {
        ok = ev_power(e, v);
    }
    e->depth--;
    return ok;
}

/* Does the text at e->i start a factor (implicit multiplication: 2x, 3\pi, 2(x+1))? */
static int starts_factor(const ev *e) {
    if (e->i >= e->n) return 0;
    char c = e->s[e->i];
    if (isalnum((unsigned char)c) || c == '(' || c == '{') return 1;
    if (c != '\\') return 0;
    const char *s = e->s + e->i + 1;
    size_t n = e->n - e->i - 1, l;
    return has_prefix(s, n, "frac") || has_prefix(s, n, "sqrt") || has_prefix(s, n, "pi") ||
           match_name(s, n, FUNCS, (int)(sizeof FUNCS / sizeof *FUNCS), &l) >= 0 ||
           match_name(s, n, GREEK, (int)(sizeof GREEK / sizeof *GREEK), &l) >= 0;
}

static int ev_prod(ev *e, double *v) {
    if (!ev_unary(e, v)) return 0;
    for (;;) {
        char op = 0;
        if (ev_peek(e, '*') || ev_peek(e, '/'))
            op = e->s[e->i++];
        else if (starts_factor(e))
            op = '*';
        else
            return 1;
        double r;
        if (!ev_unary(e, &r)) return 0;
        *v = op == '*' ? *v * r : *v / r;
    }
}

static int ev_sum(ev *e, double *v) {
    if (!ev_prod(e, v)) return 0;
    while (ev_peek(e, '+') || ev_peek(e, '-')) {
        char op = e->s[e->i++];
        double r;
        if (!ev_prod(e, &r)) return 0;
        *v = op == '+' ? *v + r : *v - r;
    }
    return 1;
}

static int eval_full(const char *s, size_t n, const double *vars, double *v, int *used_var) {
    ev e = {s, n, 0, 0, 0, vars};
    double x;
    if (n == 0 || !ev_sum(&e, &x) || e.i != n) return 0;
    *v = x;
    if (used_var) *used_var = e.used_var;
    return 1;
}

int mm_answer_eval(const char *s, size_t n, const double *vars, double *v) {
    return eval_full(s, n, vars, v, NULL) && !isnan(*v);
}

/* ---- equality ---- */

static int close_rel(double a, double b) {
    if (!isfinite(a) || !isfinite(b)) return 0;
    if (a == b) return 1;
    double d = fabs(a - b);
    return d <= 1e-9 || d <= 1e-6 * fmax(fabs(a), fabs(b));
}

/* Decimal places of a plain decimal literal ("-0.25" → 2), or 0. */
static int decimals(const char *s, size_t n) {
    size_t i = n && s[0] == '-' ? 1 : 0, dot = 0;
    for (; i < n; i++) {
        if (s[i] == '.' && !dot)
            dot = i;
        else if (!isdigit((unsigned char)s[i]))
            return 0;
    }
    return dot ? (int)(n - dot - 1) : 0;
}

/* Fixed evaluation points, the same for both sides: two in [1.13, 2.84] and one in
 * [0.21, 0.89], where high powers are small, so "z^{96} + 1" differs from "z^{96}". */
static void points(double vars[3][NVARS]) {
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int p = 0; p < 3; p++)
        for (int k = 0; k < NVARS; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            double u = (double)(x >> 11) / 9007199254740992.0;
            vars[p][k] = p == 2 ? 0.21 + 0.68 * u : 1.13 + 1.71 * u;
        }
}

static int equal_exprs(const char *p, size_t np, const char *g, size_t ng) {
    double vars[3][NVARS];
    points(vars);
    double a, b;
    int ua = 0, ub = 0;
    if (!eval_full(p, np, vars[0], &a, &ua) || !eval_full(g, ng, vars[0], &b, &ub)) return 0;
    if (!ua && !ub) {
        if (isnan(a) || isnan(b)) return 0;
        if (a == floor(a) && b == floor(b) && fabs(a) < 9e15 && fabs(b) < 9e15) return a == b;
        int d = decimals(g, ng);
        if (d > 0 && d < 12 && fabs(a - b) <= 0.5 * pow(10, -d) * (1 + 1e-9)) return 1;
        return close_rel(a, b);
    }
    int valid = 0;
    for (int k = 0; k < 3; k++) {
        if (k && (!eval_full(p, np, vars[k], &a, NULL) || !eval_full(g, ng, vars[k], &b, NULL)))
            return 0;
        if (isnan(a) && isnan(b)) continue;
        if (!close_rel(a, b)) return 0;
        valid++;
    }
    return valid > 0;
}

typedef struct part {
    size_t b, e;
} part;

/* Outer brackets of a list: "(", "[", "\{" and ")", "]", "\}" enclosing everything. */
static int outer(const char *s, size_t n, size_t *ob, size_t *ce) {
    size_t o = has_prefix(s, n, "\\{") ? 2 : n && (s[0] == '(' || s[0] == '[') ? 1 : 0;
    if (!o || n < o + 1) return 0;
    size_t c = n >= 2 && s[n - 2] == '\\' && s[n - 1] == '}' ? 2
               : (s[n - 1] == ')' || s[n - 1] == ']')        ? 1
                                                             : 0;
    if (!c || n < o + c) return 0;
    int depth = 0;
    for (size_t i = 0; i < n - c; i++) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < n && (s[i + 1] == '{' || s[i + 1] == '}')) ch = s[++i];
        if (ch == '(' || ch == '[' || ch == '{')
            depth++;
        else if ((ch == ')' || ch == ']' || ch == '}') && --depth == 0)
            return 0;
    }
    *ob = o, *ce = c;
    return 1;
}

static int split_list(const char *s, size_t n, part *parts, int cap) {
    int np = 0, depth = 0;
    size_t b = 0;
    for (size_t i = 0; i <= n; i++) {
        char ch = i < n ? s[i] : ',';
        if (ch == '\\' && i + 1 < n && (s[i + 1] == '{' || s[i + 1] == '}')) ch = s[++i];
        if (ch == '(' || ch == '[' || ch == '{')
            depth++;
        else if (ch == ')' || ch == ']' || ch == '}')
            depth--;
        else if ((ch == ',' || ch == ';') && depth == 0) {
            if (np == cap) return -1;
            parts[np++] = (part){b, i};
            b = i + 1;
        }
    }
    return np;
}

static int equal_norm(const char *p, size_t np, const char *g, size_t ng, int depth);

static int equal_elem(const char *p, size_t np, const char *g, size_t ng, int depth) {
    char a[512], b[512];
    if (np >= sizeof a || ng >= sizeof b) return np == ng && !memcmp(p, g, np);
    size_t la = mm_answer_normalize(p, np, a, sizeof a),
           lb = mm_answer_normalize(g, ng, b, sizeof b);
    return equal_norm(a, la, b, lb, depth + 1);
}

static int equal_lists(const char *p, size_t np, const char *g, size_t ng, int depth) {
    size_t po = 0, pc = 0, go = 0, gc = 0;
    int pb = outer(p, np, &po, &pc), gb = outer(g, ng, &go, &gc);
    part pp[32], gp[32];
    int npp = split_list(p + po, np - po - pc, pp, 32);
    int ngp = split_list(g + go, ng - go - gc, gp, 32);
    if (npp < 2 && ngp < 2) return -1; /* no list: not decided here */
    if (npp != ngp || npp < 0) return 0;
    int pset = pb && po == 2, gset = gb && go == 2;
    int unordered = (!pb || pset) && (!gb || gset);
    if (!unordered) { /* tuples and intervals: the same brackets, in order */
        if (pb != gb || (pb && (p[0] != g[0] || p[np - 1] != g[ng - 1]))) return 0;
        for (int k = 0; k < npp; k++)
            if (!equal_elem(p + po + pp[k].b, pp[k].e - pp[k].b, g + go + gp[k].b,
                            gp[k].e - gp[k].b, depth))
                return 0;
        return 1;
    }
    int used[32] = {0};
    for (int k = 0; k < npp; k++) {
        int hit = 0;
        for (int j = 0; j < ngp && !hit; j++)
            if (!used[j] && equal_elem(p + po + pp[k].b, pp[k].e - pp[k].b, g + go + gp[j].b,
                                       gp[j].e - gp[j].b, depth))
                used[j] = hit = 1;
        if (!hit) return 0;
    }
    return 1;
}

static int equal_norm(const char *p, size_t np, const char *g, size_t ng, int depth) {
    if (np == ng && !memcmp(p, g, np)) return 1;
    if (np == 0 || ng == 0 || depth > 4) return 0;
    int l = equal_lists(p, np, g, ng, depth);
    if (l >= 0) return l;
    /* equations on both sides: compare side by side */
    const char *pe = memchr(p, '=', np), *ge = memchr(g, '=', ng);
    if (pe && ge)
        return equal_norm(p, (size_t)(pe - p), g, (size_t)(ge - g), depth + 1) &&
               equal_norm(pe + 1, np - (size_t)(pe - p) - 1, ge + 1, ng - (size_t)(ge - g) - 1,
                          depth + 1);
    return equal_exprs(p, np, g, ng);
}

bool mm_answer_equal(const char *pred, size_t np, const char *gold, size_t ng) {
    size_t cap = (np > ng ? np : ng) * 2 + 64;
    char *a = malloc(cap), *b = malloc(cap);
    if (!a || !b) {
        free(a), free(b);
        return false;
    }
    size_t la = mm_answer_normalize(pred, np, a, cap), lb = mm_answer_normalize(gold, ng, b, cap);
    int r = equal_norm(a, la, b, lb, 0);
    free(a), free(b);
    return r;
}

/* ---- multiple choice ---- */

unsigned mm_answer_choice(const char *s, size_t n, int nopts) {
    int max = nopts > 0 && nopts <= 26 ? nopts : 5;
    static const char *const SKIP[] = {"\\textbf",
                                       "\\text",
                                       "\\mathrm",
                                       "Options",
                                       "options",
                                       "Option",
                                       "option",
                                       "Choices",
                                       "choices",
                                       "Choice",
                                       "choice",
                                       "and",
                                       "\xe9\x80\x89\xe9\xa1\xb9"};
    unsigned mask = 0;
    int others = 0;
    for (size_t i = 0; i < n;) {
        size_t l = 0;
        for (size_t k = 0; k < sizeof SKIP / sizeof *SKIP && !l; k++)
            if (has_prefix(s + i, n - i, SKIP[k])) l = strlen(SKIP[k]);
        if (l) {
            i += l;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        if (is_ws(c) || strchr("(){}[]$.:*,;&", c)) {
            i++;
            continue;
        }
        size_t j = i; /* a run of letters: "B", "b", or option letters "ACD" */
        while (j < n && isalpha((unsigned char)s[j]))
            j++;
        int all = j > i && (j == i + 1 || isupper(c));
        for (size_t k = i; k < j && all; k++) {
            int x = toupper((unsigned char)s[k]) - 'A';
            if (x >= max || (j > i + 1 && !isupper((unsigned char)s[k]))) all = 0;
        }
        if (all)
            for (size_t k = i; k < j; k++)
                mask |= 1u << (toupper((unsigned char)s[k]) - 'A');
        else
            others++;
        i = j > i ? j : i + 1;
    }
    if (mask && !others) return mask;
    for (size_t i = n; i-- > 0;) { /* the last standalone capital option letter */
        unsigned char c = (unsigned char)s[i];
        if (c < 'A' || c - 'A' >= max) continue;
        if (i > 0 && isalpha((unsigned char)s[i - 1])) continue;
        if (i + 1 < n && isalpha((unsigned char)s[i + 1])) continue;
        return 1u << (c - 'A');
    }
    return 0;
}
