#include "common/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---------------------------------------------------------------- UTF-8 */

int mm_utf8_seq_len(const unsigned char *s, size_t avail) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int n;
    uint32_t min;
    if ((c & 0xE0) == 0xC0)
        n = 2, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        n = 3, min = 0x800;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    if ((size_t)n > avail) return 0;
    uint32_t cp = c & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

int mm_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp) {
    int n = mm_utf8_seq_len(s, avail);
    if (n == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    if (n == 1) {
        *cp = s[0];
        return 1;
    }
    uint32_t v = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++)
        v = (v << 6) | (s[i] & 0x3F);
    *cp = v;
    return n;
}

int mm_utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF) return mm_utf8_encode(0xFFFD, out);
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

bool mm_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        int k = mm_utf8_seq_len(p + i, n - i);
        if (!k) return false;
        i += (size_t)k;
    }
    return true;
}

/* ---------------------------------------------------------------- writing */

mm_err mm_json_str(mm_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    MM_TRY(mm_buf_reserve(b, n + n / 8 + 2));
    const unsigned char *p = (const unsigned char *)s;
    MM_TRY(mm_buf_putc(b, '"'));
    size_t i = 0, run = 0;
    while (i < n) {
#if defined(__SSE2__)
        /* 16 plain bytes at a time (signed: < 0x20 also catches >= 0x80) */
        if (n - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
            if (!m) {
                i += 16;
                continue;
            }
            i += (size_t)__builtin_ctz(m);
        }
#endif
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            int k = mm_utf8_seq_len(p + i, n - i);
            if (k) {
                i += (size_t)k;
                continue;
            }
        }
        MM_TRY(mm_buf_append(b, p + run, i - run));
        char esc[8];
        size_t el = 2;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            if (c >= 0x80) { /* invalid UTF-8 byte */
                memcpy(esc, "\xEF\xBF\xBD", 3);
                el = 3;
            } else {
                esc[1] = 'u', esc[2] = '0', esc[3] = '0';
                esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
                el = 6;
            }
        }
        MM_TRY(mm_buf_append(b, esc, el));
        run = ++i;
    }
    MM_TRY(mm_buf_append(b, p + run, n - run));
    return mm_buf_putc(b, '"');
}

void mm_jw_init(mm_jw *w, mm_buf *b) {
    memset(w, 0, sizeof *w);
    w->b = b;
}

static mm_err jw_value_prefix(mm_jw *w) {
    if (w->need_comma[w->depth]) MM_TRY(mm_buf_putc(w->b, ','));
    w->need_comma[w->depth] = true;
    return MM_OK;
}

static mm_err jw_open(mm_jw *w, char c) {
    MM_TRY(jw_value_prefix(w));
    if (w->depth + 1 >= 64) return mm_fail(MM_ERR_ARG, "JSON writer nested too deep");
    w->need_comma[++w->depth] = false;
    return mm_buf_putc(w->b, c);
}

static mm_err jw_close(mm_jw *w, char c) {
    if (w->depth > 0) w->depth--;
    return mm_buf_putc(w->b, c);
}

mm_err mm_jw_obj_begin(mm_jw *w) {
    return jw_open(w, '{');
}
mm_err mm_jw_obj_end(mm_jw *w) {
    return jw_close(w, '}');
}
mm_err mm_jw_arr_begin(mm_jw *w) {
    return jw_open(w, '[');
}
mm_err mm_jw_arr_end(mm_jw *w) {
    return jw_close(w, ']');
}

mm_err mm_jw_key(mm_jw *w, const char *key) {
    MM_TRY(jw_value_prefix(w));
    MM_TRY(mm_json_str(w->b, key, strlen(key)));
    w->need_comma[w->depth] = false; /* the value follows without a comma */
    return mm_buf_putc(w->b, ':');
}

mm_err mm_jw_stringn(mm_jw *w, const char *s, size_t n) {
    MM_TRY(jw_value_prefix(w));
    return mm_json_str(w->b, s ? s : "", s ? n : 0);
}
mm_err mm_jw_string(mm_jw *w, const char *s) {
    return mm_jw_stringn(w, s, s ? strlen(s) : 0);
}
mm_err mm_jw_int(mm_jw *w, int64_t v) {
    MM_TRY(jw_value_prefix(w));
    return mm_buf_printf(w->b, "%lld", (long long)v);
}
mm_err mm_jw_uint(mm_jw *w, uint64_t v) {
    MM_TRY(jw_value_prefix(w));
    return mm_buf_printf(w->b, "%llu", (unsigned long long)v);
}
mm_err mm_jw_double(mm_jw *w, double v) {
    MM_TRY(jw_value_prefix(w));
    if (!isfinite(v)) return mm_buf_puts(w->b, "null");
    return mm_buf_printf(w->b, "%.9g", v);
}
mm_err mm_jw_bool(mm_jw *w, bool v) {
    MM_TRY(jw_value_prefix(w));
    return mm_buf_puts(w->b, v ? "true" : "false");
}
mm_err mm_jw_null(mm_jw *w) {
    MM_TRY(jw_value_prefix(w));
    return mm_buf_puts(w->b, "null");
}
mm_err mm_jw_raw(mm_jw *w, const char *json) {
    MM_TRY(jw_value_prefix(w));
    return mm_buf_puts(w->b, json);
}

/* ---------------------------------------------------------------- reading */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
} arena_block;

struct mm_json_doc {
    arena_block *blocks;
};

typedef struct parser {
    const char *s, *end, *start;
    mm_json_doc *doc;
    int depth;
} parser;

static void *arena_alloc(mm_json_doc *d, size_t n) {
    n = (n + 15) & ~(size_t)15;
    arena_block *b = d->blocks;
    if (!b || b->used + n > b->cap) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = d->blocks;
        b->used = 0;
        b->cap = cap;
        d->blocks = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void mm_json_doc_free(mm_json_doc *doc) {
    if (!doc) return;
    arena_block *b = doc->blocks;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    free(doc);
}

static mm_err perr(parser *p, const char *what) {
    return mm_fail(MM_ERR_FORMAT, "JSON: %s at byte %zu", what, (size_t)(p->s - p->start));
}

static void skip_ws(parser *p) {
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int hex4(const char *s) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* The first '"' or '\\' in [s, end), or end.  Sixteen bytes at a time: a document's text is
 * most of a shard's bytes, and this loop and the copy after it are the whole cost of reading
 * it (a byte-at-a-time loop was a tenth of decontamination's time). */
static const char *quote_or_backslash(const char *s, const char *end) {
#ifdef __SSE2__
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
    for (; end - s >= 16; s += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)s);
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, b)));
        if (m) return s + __builtin_ctz((unsigned)m);
    }
#endif
    while (s < end && *s != '"' && *s != '\\')
        s++;
    return s;
}

/* One escape at p->s (after the backslash) into dst; returns bytes written, or -1 a bad escape,
 * -2 a short \\u escape, -3 a bad \\u escape. */
static int unescape(parser *p, const char *q, char *dst) {
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    char c = *p->s++;
    const char *k = c ? strchr(from, c) : NULL;
    if (k) {
        *dst = to[k - from];
        return 1;
    }
    if (c != 'u') return -1;
    if (q - p->s < 4) return -2;
    int cp = hex4(p->s);
    if (cp < 0) return -3;
    p->s += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && q - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
        int lo = hex4(p->s + 2);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p->s += 6;
        }
    }
    return mm_utf8_encode((uint32_t)cp, dst);
}

/* unescape into dst + *n, adding the bytes written to *n; a bad escape is a parse error. */
static mm_err unescape_at(parser *p, const char *q, char *dst, size_t *n) {
    int k = unescape(p, q, dst + *n);
    if (k < 0)
        return perr(p, k == -1 ? "bad escape" : k == -2 ? "short \\u escape" : "bad \\u escape");
    *n += (size_t)k;
    return MM_OK;
}

/* The end of the string whose opening quote is at p->s: sets *q to its closing quote and
 * *escaped when it holds a backslash. */
static mm_err string_end(parser *p, const char **q_out, bool *escaped) {
    const char *q = p->s + 1;
    *escaped = false;
    for (;;) {
        q = quote_or_backslash(q, p->end);
        if (q >= p->end) return perr(p, "unterminated string");
        if (*q == '"') break;
        *escaped = true;
        q += 2; /* the backslash and the byte it escapes */
        if (q > p->end) return perr(p, "unterminated string");
    }
    *q_out = q;
    return MM_OK;
}

/* Decode p->s (just after the opening quote) up to the closing quote q into dst, which has room
 * for q - p->s bytes (escapes never grow); returns the decoded length in *n and leaves p->s
 * after the closing quote. */
static mm_err decode_string(parser *p, const char *q, bool escaped, char *dst, size_t *n_out) {
    size_t n = 0;
    if (!escaped) {
        n = (size_t)(q - p->s);
        memcpy(dst, p->s, n);
    } else {
        while (p->s < q) {
            const char *bs = memchr(p->s, '\\', (size_t)(q - p->s));
            size_t run = (size_t)((bs ? bs : q) - p->s);
            memcpy(dst + n, p->s, run);
            n += run;
            p->s += run;
            if (!bs) break;
            p->s++;
            MM_TRY(unescape_at(p, q, dst, &n));
        }
    }
    dst[n] = 0;
    p->s = q + 1;
    *n_out = n;
    return MM_OK;
}

/* The string at p->s (its opening quote): find its end, then copy the runs between escapes.
 * (tests/unit/test_common.c compares it with a byte-at-a-time decoder at every alignment;
 * tests/fuzz/fuzz_json.c checks parse → write → parse round trips.) */
static mm_err parse_string(parser *p, const char **out, size_t *outlen) {
    const char *q;
    bool escaped;
    MM_TRY(string_end(p, &q, &escaped));
    p->s++; /* opening quote */
    char *dst = arena_alloc(p->doc, (size_t)(q - p->s) + 1);
    if (!dst) return mm_fail(MM_ERR_NOMEM, "JSON arena");
    MM_TRY(decode_string(p, q, escaped, dst, outlen));
    *out = dst;
    return MM_OK;
}

static mm_err parse_value(parser *p, mm_json *v);

static mm_err parse_container(parser *p, mm_json *v, bool is_obj) {
    if (++p->depth > 512) return perr(p, "nesting too deep");
    v->type = is_obj ? MM_JSON_OBJ : MM_JSON_ARR;
    char close = is_obj ? '}' : ']';
    p->s++;
    mm_json **tail = &v->child;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        p->depth--;
        return MM_OK;
    }
    for (;;) {
        mm_json *c = arena_alloc(p->doc, sizeof *c);
        if (!c) return mm_fail(MM_ERR_NOMEM, "JSON arena");
        memset(c, 0, sizeof *c);
        skip_ws(p);
        if (is_obj) {
            size_t kl;
            if (p->s >= p->end || *p->s != '"') return perr(p, "expected a key");
            MM_TRY(parse_string(p, &c->key, &kl));
            skip_ws(p);
            if (p->s >= p->end || *p->s != ':') return perr(p, "expected ':'");
            p->s++;
        }
        MM_TRY(parse_value(p, c));
        *tail = c;
        tail = &c->next;
        v->len++;
        skip_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            p->depth--;
            return MM_OK;
        }
        return perr(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool lit(parser *p, const char *w) {
    size_t n = strlen(w);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n)) return false;
    p->s += n;
    return true;
}

static mm_err parse_value(parser *p, mm_json *v) {
    skip_ws(p);
    if (p->s >= p->end) return perr(p, "unexpected end");
    char c = *p->s;
    if (c == '{') return parse_container(p, v, true);
    if (c == '[') return parse_container(p, v, false);
    if (c == '"') {
        v->type = MM_JSON_STR;
        return parse_string(p, &v->str, &v->len);
    }
    if (lit(p, "true")) {
        v->type = MM_JSON_BOOL;
        v->b = true;
        return MM_OK;
    }
    if (lit(p, "false")) {
        v->type = MM_JSON_BOOL;
        return MM_OK;
    }
    if (lit(p, "null")) {
        v->type = MM_JSON_NULL;
        return MM_OK;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        const char *b = p->s;
        while (p->s < p->end && strchr("+-0123456789.eE", *p->s))
            p->s++;
        size_t n = (size_t)(p->s - b);
        char *t = arena_alloc(p->doc, n + 1);
        if (!t) return mm_fail(MM_ERR_NOMEM, "JSON arena");
        memcpy(t, b, n);
        t[n] = 0;
        char *e;
        v->type = MM_JSON_NUM;
        v->num = strtod(t, &e);
        v->str = t;
        v->len = n;
        if (*e) return perr(p, "bad number");
        return MM_OK;
    }
    return perr(p, "unexpected character");
}

mm_err mm_json_parse(const char *text, size_t n, mm_json_doc **doc, mm_json **root) {
    *doc = NULL;
    *root = NULL;
    mm_json_doc *d = calloc(1, sizeof *d);
    if (!d) return mm_fail(MM_ERR_NOMEM, "JSON doc");
    parser p = {.s = text, .end = text + n, .start = text, .doc = d};
    mm_json *r = arena_alloc(d, sizeof *r);
    if (!r) {
        mm_json_doc_free(d);
        return mm_fail(MM_ERR_NOMEM, "JSON arena");
    }
    memset(r, 0, sizeof *r);
    mm_err e = parse_value(&p, r);
    if (e == MM_OK) {
        skip_ws(&p);
        if (p.s != p.end) e = perr(&p, "trailing characters");
    }
    if (e != MM_OK) {
        mm_json_doc_free(d);
        return e;
    }
    *doc = d;
    *root = r;
    return MM_OK;
}

mm_err mm_json_parse_file(const char *path, mm_json_doc **doc, mm_json **root) {
    *doc = NULL;
    *root = NULL;
    mm_buf b = {0};
    mm_err e = mm_read_file(path, &b);
    if (e == MM_OK) e = mm_json_parse(b.data, b.len, doc, root); /* the tree copies the text */
    mm_buf_free(&b);
    if (e == MM_ERR_FORMAT) e = mm_fail(e, "%s: %s", path, mm_error_detail());
    return e;
}

const mm_json *mm_json_get(const mm_json *obj, const char *key) {
    if (!obj || obj->type != MM_JSON_OBJ) return NULL;
    for (const mm_json *c = obj->child; c; c = c->next)
        if (!strcmp(c->key, key)) return c;
    return NULL;
}

const mm_json *mm_json_at(const mm_json *arr, size_t i) {
    if (!arr || (arr->type != MM_JSON_ARR && arr->type != MM_JSON_OBJ)) return NULL;
    const mm_json *c = arr->child;
    while (c && i--)
        c = c->next;
    return c;
}

const char *mm_json_get_str(const mm_json *obj, const char *key, const char *def) {
    const mm_json *v = mm_json_get(obj, key);
    return v && v->type == MM_JSON_STR ? v->str : def;
}

double mm_json_get_num(const mm_json *obj, const char *key, double def) {
    const mm_json *v = mm_json_get(obj, key);
    return v && v->type == MM_JSON_NUM ? v->num : def;
}

/* ---- reading members without a tree ---- */

/* The escapes of the string from p->s (after its opening quote) to its closing quote q are the
 * ones unescape accepts; p->s is left after q.  For strings that are skipped, not decoded. */
static mm_err check_escapes(parser *p, const char *q) {
    for (const char *bs; (bs = memchr(p->s, '\\', (size_t)(q - p->s))) != NULL;) {
        p->s = bs + 1;
        char c = *p->s++;
        if (c == 'u') {
            if (q - p->s < 4) return perr(p, "short \\u escape");
            if (hex4(p->s) < 0) return perr(p, "bad \\u escape");
            p->s += 4;
        } else if (!c || !strchr("\"\\/bfnrt", c))
            return perr(p, "bad escape");
    }
    p->s = q + 1;
    return MM_OK;
}

/* Skip one value at p->s, checking its shape as parse_value does, allocating nothing. */
static mm_err skip_value(parser *p) {
    skip_ws(p);
    if (p->s >= p->end) return perr(p, "unexpected end");
    char c = *p->s;
    if (c == '"') {
        const char *q;
        bool escaped;
        MM_TRY(string_end(p, &q, &escaped));
        if (!escaped) {
            p->s = q + 1;
            return MM_OK;
        }
        p->s++;
        return check_escapes(p, q);
    }
    if (c == '{' || c == '[') {
        if (++p->depth > 512) return perr(p, "nesting too deep");
        bool obj = c == '{';
        char close = obj ? '}' : ']';
        p->s++;
        skip_ws(p);
        if (p->s < p->end && *p->s == close) {
            p->s++, p->depth--;
            return MM_OK;
        }
        for (;;) {
            if (obj) {
                skip_ws(p);
                if (p->s >= p->end || *p->s != '"') return perr(p, "expected a key");
                MM_TRY(skip_value(p));
                skip_ws(p);
                if (p->s >= p->end || *p->s != ':') return perr(p, "expected ':'");
                p->s++;
            }
            MM_TRY(skip_value(p));
            skip_ws(p);
            if (p->s < p->end && *p->s == ',') {
                p->s++;
                continue;
            }
            if (p->s < p->end && *p->s == close) {
                p->s++, p->depth--;
                return MM_OK;
            }
            return perr(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (lit(p, "true") || lit(p, "false") || lit(p, "null")) return MM_OK;
    if (c == '-' || (c >= '0' && c <= '9')) {
        const char *b = p->s;
        while (p->s < p->end && strchr("+-0123456789.eE", *p->s))
            p->s++;
        char small[64], *e; /* strtod on a NUL-terminated copy, as parse_value reads it */
        size_t n = (size_t)(p->s - b);
        char *num = n < sizeof small ? small : malloc(n + 1);
        if (!num) return mm_fail(MM_ERR_NOMEM, "JSON number of %zu bytes", n);
        memcpy(num, b, n);
        num[n] = 0;
        (void)strtod(num, &e);
        bool bad = *e != 0;
        if (num != small) free(num);
        return bad ? perr(p, "bad number") : MM_OK;
    }
    return perr(p, "unexpected character");
}

/* Decode the string at p->s (its opening quote) into dst in one pass: sixteen bytes are copied
 * while they are searched for `"` and `\`, so a wanted member's bytes are read once (string_end
 * then decode_string read them twice).  dst has room for p->end - p->s bytes: the decoded string
 * is never longer than what it consumed, and a 16-byte store happens only with 16 bytes left.
 * Accepts exactly the strings string_end + decode_string accept (only some error messages
 * differ: an escape is checked against the end of the line, not the closing quote, and a \u
 * escape cannot reach past a quote since a quote is no hex digit). */
static mm_err decode_string_1pass(parser *p, char *dst, size_t *n_out) {
    const char *s = p->s + 1, *end = p->end;
    size_t n = 0;
    for (;;) {
#ifdef __SSE2__
        const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
        for (; end - s >= 16; s += 16, n += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)s);
            _mm_storeu_si128((__m128i *)(dst + n), v);
            int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, b)));
            if (m) {
                unsigned k = (unsigned)__builtin_ctz((unsigned)m);
                s += k, n += k;
                break;
            }
        }
#endif
        while (s < end && *s != '"' && *s != '\\')
            dst[n++] = *s++;
        if (s >= end) return perr(p, "unterminated string");
        if (*s == '"') break;
        if (end - s < 2) return perr(p, "unterminated string");
        p->s = s + 1;
        MM_TRY(unescape_at(p, end, dst, &n));
        s = p->s;
    }
    dst[n] = 0;
    p->s = s + 1;
    *n_out = n;
    return MM_OK;
}

/* Does the key key[0..kl) name `want`, as mm_json_get's strcmp sees it (up to a NUL)? */
static bool key_is(const char *key, size_t kl, const char *want) {
    size_t wl = strlen(want);
    return wl <= kl && !memcmp(key, want, wl) && (wl == kl || key[wl] == 0);
}

mm_err mm_json_members(const char *text, size_t n, const char *const *keys, size_t nkeys,
                       mm_buf *out, bool *found) {
    parser p = {.s = text, .end = text + n, .start = text};
    bool seen[MM_JSON_MEMBERS_MAX] = {0}; /* the first of a repeated key counts, string or not */
    if (nkeys > MM_JSON_MEMBERS_MAX)
        return mm_fail(MM_ERR_ARG, "more than %d members", MM_JSON_MEMBERS_MAX);
    for (size_t k = 0; k < nkeys; k++) {
        found[k] = false;
        mm_buf_clear(&out[k]);
    }
    skip_ws(&p);
    if (p.s >= p.end || *p.s != '{') return perr(&p, "not a JSON object");
    p.s++;
    skip_ws(&p);
    bool empty = p.s < p.end && *p.s == '}';
    while (!empty) {
        skip_ws(&p);
        if (p.s >= p.end || *p.s != '"') return perr(&p, "expected a key");
        const char *q, *key = p.s + 1;
        bool escaped;
        MM_TRY(string_end(&p, &q, &escaped));
        size_t kl = (size_t)(q - key), k = nkeys;
        char kbuf[256]; /* an escaped key ("t\u0065xt"), decoded: a wanted key fits */
        if (escaped && kl < sizeof kbuf) {
            p.s = key;
            MM_TRY(decode_string(&p, q, true, kbuf, &kl));
            key = kbuf;
        } else if (escaped) { /* too long to be a wanted key: only checked */
            p.s = key;
            MM_TRY(check_escapes(&p, q));
        }
        if (!escaped || key == kbuf)
            for (k = 0; k < nkeys; k++)
                if (!seen[k] && key_is(key, kl, keys[k])) break;
        if (k < nkeys) seen[k] = true;
        p.s = q + 1;
        skip_ws(&p);
        if (p.s >= p.end || *p.s != ':') return perr(&p, "expected ':'");
        p.s++;
        skip_ws(&p);
        if (k < nkeys && p.s < p.end && *p.s == '"') {
            MM_TRY(mm_buf_reserve(&out[k], (size_t)(p.end - p.s) + 1));
            MM_TRY(decode_string_1pass(&p, out[k].data, &out[k].len));
            found[k] = true;
        } else
            MM_TRY(skip_value(&p));
        skip_ws(&p);
        if (p.s < p.end && *p.s == ',') {
            p.s++;
            continue;
        }
        if (p.s < p.end && *p.s == '}') break;
        return perr(&p, "expected ',' or '}'");
    }
    p.s++;
    skip_ws(&p);
    return p.s == p.end ? MM_OK : perr(&p, "trailing characters");
}
