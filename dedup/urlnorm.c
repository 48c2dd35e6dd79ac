/* dedup/urlnorm.c — see urlnorm.h for the rules. */
#include "dedup/urlnorm.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool unreserved(unsigned char c) {
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Characters that may stay as they are in a path or query (RFC 3986 pchar + '/' + '?'). */
static bool keep_raw(unsigned char c) {
    return unreserved(c) || strchr("!$&'()*+,;=:@/?", c) != NULL;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = (unsigned char)tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append s[0..n) with percent-encoding normalised. */
static mm_err put_pct(mm_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            unsigned char v = (unsigned char)(hexval((unsigned char)s[i + 1]) * 16 +
                                              hexval((unsigned char)s[i + 2]));
            i += 2;
            if (unreserved(v)) {
                MM_TRY(mm_buf_putc(b, (char)v));
                continue;
            }
            char esc[3] = {'%', hex[v >> 4], hex[v & 15]};
            MM_TRY(mm_buf_append(b, esc, 3));
        } else if (keep_raw(c)) {
            MM_TRY(mm_buf_putc(b, (char)c));
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            MM_TRY(mm_buf_append(b, esc, 3));
        }
    }
    return MM_OK;
}

/* Resolve "." and ".." segments of an absolute path in place (the output never overtakes the
 * input); returns the new length. */
static size_t remove_dots(char *p, size_t n) {
    size_t o = 0, i = 0;
    while (i < n) {
        size_t j = i + 1; /* p[i] == '/' */
        while (j < n && p[j] != '/')
            j++;
        size_t seg = j - i - 1;
        if (seg == 1 && p[i + 1] == '.') {
            if (j == n) p[o++] = '/';
        } else if (seg == 2 && p[i + 1] == '.' && p[i + 2] == '.') {
            while (o > 0 && p[o - 1] != '/')
                o--;
            if (o > 0) o--;
            if (j == n) p[o++] = '/';
        } else {
            memmove(p + o, p + i, j - i);
            o += j - i;
        }
        i = j;
    }
    if (o == 0) p[o++] = '/';
    return o;
}

static bool tracking(const char *k, size_t n) {
    static const char *const names[] = {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid",  "mc_eid", "yclid",
        "igshid", "_ga",   "_gl",   "_hsenc", "_hsmi",  "mkt_tok", "ref_src", "spm"};
    if (n >= 4 && !strncasecmp(k, "utm_", 4)) return true;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n && !strncasecmp(k, names[i], n)) return true;
    return false;
}

typedef struct param {
    const char *s;
    size_t n, klen, order;
} param;

static int cmp_param(const void *a, const void *b) {
    const param *x = a, *y = b;
    size_t m = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->s, y->s, m);
    if (c) return c;
    if (x->klen != y->klen) return x->klen < y->klen ? -1 : 1;
    return x->order < y->order ? -1 : 1;
}

/* Normalise each parameter's percent-encoding first, then drop trackers and sort, so that
 * normalising twice changes nothing. */
static mm_err put_query(mm_buf *b, const char *q, size_t n) {
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += q[i] == '&';
    param *ps = mm_malloc(cap * sizeof *ps);
    size_t *offs = mm_malloc(cap * sizeof *offs);
    mm_buf tmp = {0};
    mm_err e = ps && offs ? MM_OK : MM_ERR_NOMEM;
    size_t np = 0;
    for (size_t i = 0; !e && i <= n;) {
        size_t j = i;
        while (j < n && q[j] != '&')
            j++;
        if (j > i) {
            size_t at = tmp.len;
            if ((e = put_pct(&tmp, q + i, j - i))) break;
            const char *s = tmp.data + at, *eq = memchr(s, '=', tmp.len - at);
            size_t kl = eq ? (size_t)(eq - s) : tmp.len - at;
            if (!tracking(s, kl)) {
                offs[np] = at;
                ps[np] = (param){NULL, tmp.len - at, kl, np};
                np++;
            } else {
                tmp.len = at;
            }
        }
        i = j + 1;
    }
    for (size_t i = 0; !e && i < np; i++)
        ps[i].s = tmp.data + offs[i];
    if (!e) qsort(ps, np, sizeof *ps, cmp_param);
    for (size_t i = 0; i < np && !e; i++) {
        e = mm_buf_putc(b, i ? '&' : '?');
        if (!e) e = mm_buf_append(b, ps[i].s, ps[i].n);
    }
    free(ps);
    free(offs);
    mm_buf_free(&tmp);
    return e;
}

static mm_err norm_once(const char *url, size_t n, mm_buf *out) {
    while (n && isspace((unsigned char)*url))
        url++, n--;
    while (n && isspace((unsigned char)url[n - 1]))
        n--;
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n; i++) {
        if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') {
            sep = url + i;
            break;
        }
        if (!isalnum((unsigned char)url[i]) && !strchr("+-.", url[i])) break;
    }
    if (!sep) {
        for (size_t i = 0; i < n; i++)
            MM_TRY(mm_buf_putc(out, (char)tolower((unsigned char)url[i])));
        return MM_OK;
    }
    size_t slen = (size_t)(sep - url);
    bool web =
        (slen == 4 && !strncasecmp(url, "http", 4)) || (slen == 5 && !strncasecmp(url, "https", 5));
    if (web)
        MM_TRY(mm_buf_puts(out, "https"));
    else
        for (size_t i = 0; i < slen; i++)
            MM_TRY(mm_buf_putc(out, (char)tolower((unsigned char)url[i])));
    MM_TRY(mm_buf_puts(out, "://"));
    const char *a = sep + 3, *end = url + n;
    const char *hash = memchr(a, '#', (size_t)(end - a));
    if (hash) end = hash;
    const char *ae = a;
    while (ae < end && *ae != '/' && *ae != '?')
        ae++;
    /* authority: [userinfo@]host[:port] */
    const char *at = NULL;
    for (const char *p = a; p < ae; p++)
        if (*p == '@') at = p;
    if (at) {
        MM_TRY(mm_buf_append(out, a, (size_t)(at + 1 - a)));
        a = at + 1;
    }
    /* a port: digits after the last ':', with a host that is a name or a bracketed IPv6 */
    const char *colon = NULL;
    for (const char *p = a; p < ae; p++)
        if (*p == ':') colon = p;
    if (colon) {
        bool digits = true, host_colon = false;
        for (const char *p = colon + 1; p < ae; p++)
            digits &= *p >= '0' && *p <= '9';
        for (const char *p = a; p < colon; p++)
            host_colon |= *p == ':';
        bool v6 = colon > a && *a == '[' && colon[-1] == ']';
        if (!digits || (host_colon && !v6)) colon = NULL;
    }
    const char *he = colon ? colon : ae;
    while (he > a && he[-1] == '.')
        he--;
    for (const char *p = a; p < he; p++)
        MM_TRY(mm_buf_putc(out, (char)tolower((unsigned char)*p)));
    if (colon) {
        const char *port = colon + 1;
        while (port < ae - 1 && *port == '0')
            port++;
        size_t pl = (size_t)(ae - port);
        bool dflt = pl == 0 || (pl == 2 && !memcmp(port, "80", 2) && web) ||
                    (pl == 3 && !memcmp(port, "443", 3) && web);
        if (!dflt) {
            MM_TRY(mm_buf_putc(out, ':'));
            MM_TRY(mm_buf_append(out, port, pl));
        }
    }
    /* path */
    const char *ps = ae, *pe = ae;
    while (pe < end && *pe != '?')
        pe++;
    mm_buf path = {0};
    mm_err e = mm_buf_putc(&path, '/');
    if (!e && pe > ps) {
        path.len = 0;
        e = put_pct(&path, ps, (size_t)(pe - ps));
    }
    if (!e) {
        path.len = remove_dots(path.data, path.len);
        while (path.len > 1 && path.data[path.len - 1] == '/')
            path.len--;
        e = mm_buf_append(out, path.data, path.len);
    }
    mm_buf_free(&path);
    if (!e && pe < end) e = put_query(out, pe + 1, (size_t)(end - pe - 1));
    return e;
}

/* Well-formed URLs are normalised in one pass.  Malformed ones (a ':' or '.' left dangling in
 * the host, ...) can change again on a second pass, so the pass is repeated until the result is
 * a fixed point: normalising a normalised URL never changes it (the fuzz target checks this). */
mm_err mm_urlnorm(const char *url, size_t n, mm_buf *out) {
    mm_buf a = {0}, b = {0};
    mm_err e = norm_once(url, n, &a);
    for (int pass = 0; !e && pass < 4; pass++) {
        mm_buf_clear(&b);
        if ((e = norm_once(a.data ? a.data : "", a.len, &b))) break;
        if (a.len == b.len && (!a.len || !memcmp(a.data, b.data, a.len))) break;
        mm_buf t = a;
        a = b;
        b = t;
    }
    if (!e) e = mm_buf_append(out, a.data ? a.data : "", a.len);
    mm_buf_free(&a);
    mm_buf_free(&b);
    return e;
}
