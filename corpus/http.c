/* corpus/http.c — HTTP response blocks of WARC records: status line, headers, chunked transfer
 * decoding and Content-Encoding (gzip, deflate, br).
 *
 * Web servers lie and crawlers store what they got, so every step is forgiving: a body declared
 * chunked that does not start with a chunk size is taken as it is; a chunk size larger than
 * what follows keeps the bytes there are; a "gzip" body that is not gzip (ClueWeb stored bodies
 * already decoded but kept the header) is taken as it is; a compressed stream that breaks off
 * keeps what inflated before the break.  Whenever bytes were lost, body_truncated is set.
 *
 * Common Crawl stores payloads decoded and renames the headers that would say otherwise to
 * X-Crawler-Content-Encoding / X-Crawler-Transfer-Encoding: their presence means "do nothing". */
#include <brotli/decode.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "common/buf.h"
#include "corpus/warc.h"
#include "corpus/warc_digest.h"

enum { DEFAULT_MAX_BODY = 32 << 20, MAX_ENCODINGS = 4 };

struct mm_http {
    size_t max_body;
    mm_buf hdr; /* a copy of the header lines, NUL-terminated in place */
    mm_warc_header *h;
    size_t nh, h_cap;
    mm_buf body[2]; /* decoding steps alternate between these */
    char charset[64];
};

mm_http *mm_http_create(size_t max_body) {
    mm_http *h = mm_calloc(1, sizeof *h);
    if (h) h->max_body = max_body ? max_body : DEFAULT_MAX_BODY;
    return h;
}

void mm_http_free(mm_http *h) {
    if (!h) return;
    mm_buf_free(&h->hdr);
    mm_buf_free(&h->body[0]);
    mm_buf_free(&h->body[1]);
    free(h->h);
    free(h);
}

int mm_http_status(const unsigned char *b, size_t n) {
    if (n < 12 || strncasecmp((const char *)b, "HTTP/", 5)) return 0;
    size_t i = 5;
    while (i < n && b[i] != ' ' && b[i] != '\n')
        i++;
    while (i < n && b[i] == ' ')
        i++;
    if (i + 3 > n) return 0;
    int v = 0;
    for (int k = 0; k < 3; k++) {
        if (b[i + k] < '0' || b[i + k] > '9') return 0;
        v = v * 10 + (b[i + k] - '0');
    }
    return (i + 3 == n || b[i + 3] == ' ' || b[i + 3] == '\r' || b[i + 3] == '\n') ? v : 0;
}

const char *mm_http_header_get(const mm_http_response *r, const char *name) {
    for (size_t i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name)) return r->headers[i].value;
    return NULL;
}

/* ---- headers ----------------------------------------------------------------------------- */

static mm_err push_header(mm_http *h, char *name, char *value) {
    if (h->nh == h->h_cap) {
        size_t cap = h->h_cap ? h->h_cap * 2 : 32;
        mm_warc_header *p = realloc(h->h, cap * sizeof *p);
        if (!p) return mm_fail(MM_ERR_NOMEM, "http: out of memory");
        h->h = p, h->h_cap = cap;
    }
    h->h[h->nh++] = (mm_warc_header){name, value};
    return MM_OK;
}

static char *trim(char *s, char *e) {
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    *e = '\0';
    return s;
}

/* Split the copied header lines (after the status line) into name/value pairs in place.  A
 * folded continuation line is appended to the previous value with one space. */
static mm_err parse_headers(mm_http *h) {
    char *s = h->hdr.data, *end = s + h->hdr.len;
    char *nl = memchr(s, '\n', (size_t)(end - s));
    s = nl ? nl + 1 : end;
    while (s < end) {
        char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e) e = end;
        char *line_end = e;
        if ((*s == ' ' || *s == '\t') && h->nh > 0) {
            char *prev = (char *)h->h[h->nh - 1].value, *cont = trim(s, line_end);
            size_t pl = strlen(prev), cl = strlen(cont);
            if (*cont && prev + pl + 1 <= cont) { /* shift left into the gap: stays in place */
                prev[pl] = ' ';
                memmove(prev + pl + 1, cont, cl + 1);
            }
        } else {
            char *colon = memchr(s, ':', (size_t)(line_end - s));
            if (colon) {
                char *name = trim(s, colon), *value = trim(colon + 1, line_end);
                if (*name) MM_TRY(push_header(h, name, value));
            }
        }
        s = e + 1;
    }
    return MM_OK;
}

/* The charset= parameter of a Content-Type value, unquoted, lower-case. */
static void find_charset(mm_http *h, const char *ct) {
    h->charset[0] = '\0';
    const char *p = ct ? strcasestr(ct, "charset") : NULL;
    if (!p) return;
    p += 7;
    while (*p == ' ')
        p++;
    if (*p++ != '=') return;
    while (*p == ' ' || *p == '"' || *p == '\'')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != ';' && p[n] != '"' && p[n] != '\'' && p[n] != ' ' &&
           n + 1 < sizeof h->charset) {
        char c = p[n];
        h->charset[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    h->charset[n] = '\0';
}

/* ---- transfer and content decoding --------------------------------------------------------- */

static bool is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Chunk size line at p: hex digits, optional ";ext", CRLF or LF.  Returns the line length or 0. */
static size_t chunk_line(const unsigned char *p, size_t n, uint64_t *size) {
    size_t i = 0;
    uint64_t v = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t d0 = i;
    while (i < n && is_hex(p[i]) && i - d0 < 15) {
        unsigned char c = p[i++];
        v = v * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
    }
    if (i == d0) return 0;
    while (i < n && p[i] != '\n') {
        if (p[i] != ';' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && i == d0 + 15) return 0;
        i++;
    }
    if (i == n) return 0;
    *size = v;
    return i + 1;
}

/* De-chunk src into out.  Returns false when the framing broke off (out keeps what there was). */
static bool dechunk(const unsigned char *src, size_t n, mm_buf *out, size_t cap, mm_err *err) {
    size_t i = 0;
    mm_buf_clear(out);
    for (;;) {
        uint64_t size;
        size_t l = chunk_line(src + i, n - i, &size);
        if (l == 0) return false;
        i += l;
        if (size == 0) return true;
        bool short_chunk = size > n - i;
        size_t take = short_chunk ? n - i : (size_t)size;
        if (out->len + take > cap) take = cap - out->len, short_chunk = true;
        if ((*err = mm_buf_append(out, src + i, take)) != MM_OK) return false;
        if (short_chunk) return false;
        i += take;
        if (i < n && src[i] == '\r') i++;
        if (i < n && src[i] == '\n') i++;
        if (i >= n) return false; /* no terminating zero chunk */
    }
}

/* Inflate gzip/zlib/raw deflate (zlib `wbits`) into out, up to cap.  Returns true when the
 * stream ended cleanly. */
static bool inflate_to(const unsigned char *src, size_t n, int wbits, mm_buf *out, size_t cap,
                       mm_err *err) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, wbits) != Z_OK) return *err = mm_fail(MM_ERR_NOMEM, "http: zlib"), false;
    mm_buf_clear(out);
    zs.next_in = (unsigned char *)src;
    zs.avail_in = (uInt)n;
    int rc = Z_OK;
    while (rc == Z_OK) {
        size_t room = n * 4 + 4096;
        if (room > cap - out->len) room = cap - out->len;
        if (room == 0 || (*err = mm_buf_reserve(out, room)) != MM_OK) break;
        zs.next_out = (unsigned char *)out->data + out->len;
        zs.avail_out = (uInt)room;
        rc = inflate(&zs, Z_NO_FLUSH);
        out->len += room - zs.avail_out;
        /* gzip: concatenated members continue */
        if (rc == Z_STREAM_END && zs.avail_in > 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b)
            rc = inflateReset(&zs);
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    }
    inflateEnd(&zs);
    if (out->data) out->data[out->len] = '\0';
    return rc == Z_STREAM_END;
}

static bool unbrotli(const unsigned char *src, size_t n, mm_buf *out, size_t cap, mm_err *err) {
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!s) return *err = mm_fail(MM_ERR_NOMEM, "http: brotli"), false;
    mm_buf_clear(out);
    size_t in_left = n;
    const uint8_t *in = src;
    BrotliDecoderResult r = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
    while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
        size_t room = n * 4 + 4096;
        if (room > cap - out->len) room = cap - out->len;
        if (room == 0 || (*err = mm_buf_reserve(out, room)) != MM_OK) break;
        uint8_t *o = (uint8_t *)out->data + out->len;
        size_t out_left = room;
        r = BrotliDecoderDecompressStream(s, &in_left, &in, &out_left, &o, NULL);
        out->len += room - out_left;
    }
    BrotliDecoderDestroyInstance(s);
    if (out->data) out->data[out->len] = '\0';
    return r == BROTLI_DECODER_RESULT_SUCCESS;
}

typedef enum { ENC_NONE, ENC_GZIP, ENC_DEFLATE, ENC_BR, ENC_UNKNOWN } enc;

static enc enc_of(const char *s, size_t n) {
    if ((n == 4 && !strncasecmp(s, "gzip", 4)) || (n == 6 && !strncasecmp(s, "x-gzip", 6)))
        return ENC_GZIP;
    if (n == 7 && !strncasecmp(s, "deflate", 7)) return ENC_DEFLATE;
    if (n == 2 && !strncasecmp(s, "br", 2)) return ENC_BR;
    if (n == 0 || (n == 8 && !strncasecmp(s, "identity", 8)) ||
        (n == 4 && !strncasecmp(s, "none", 4)))
        return ENC_NONE;
    return ENC_UNKNOWN;
}

/* Undo one content coding.  A body that does not start like the coding says is left alone
 * (already decoded); returns false when bytes were lost. */
static bool decode_one(mm_http *h, enc e, mm_http_response *r, int *cur, mm_err *err) {
    const unsigned char *src = r->body;
    size_t n = r->body_len;
    mm_buf *out = &h->body[*cur ^ 1];
    bool ok;
    if (e == ENC_GZIP) {
        if (n < 2 || src[0] != 0x1f || src[1] != 0x8b) return true;
        ok = inflate_to(src, n, 16 + MAX_WBITS, out, h->max_body, err);
    } else if (e == ENC_DEFLATE) {
        bool zlib_hdr = n >= 2 && (src[0] & 0x0f) == 8 && ((src[0] << 8) | src[1]) % 31 == 0;
        ok = inflate_to(src, n, zlib_hdr ? MAX_WBITS : -MAX_WBITS, out, h->max_body, err);
    } else if (e == ENC_BR) {
        ok = unbrotli(src, n, out, h->max_body, err);
        if (!ok && out->len == 0) return true; /* not brotli after all: keep the bytes */
    } else {
        return true;
    }
    if (*err != MM_OK) return false;
    *cur ^= 1;
    r->body = (const unsigned char *)out->data;
    r->body_len = out->len;
    return ok;
}

static bool decode_content(mm_http *h, const char *ce, mm_http_response *r, int *cur, mm_err *err) {
    enc list[MAX_ENCODINGS];
    int k = 0;
    for (const char *p = ce; *p && k < MAX_ENCODINGS;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *q = p;
        while (*q && *q != ',' && *q != ' ' && *q != ';')
            q++;
        if (q > p) list[k++] = enc_of(p, (size_t)(q - p));
        while (*q && *q != ',')
            q++;
        p = q;
    }
    bool ok = true;
    for (int i = k - 1; i >= 0 && *err == MM_OK; i--)
        if (!decode_one(h, list[i], r, cur, err)) ok = false;
    return ok;
}

static bool has_token(const char *v, const char *tok) {
    return v && strcasestr(v, tok);
}

static mm_err decode_body(mm_http *h, mm_http_response *r) {
    mm_err err = MM_OK;
    int cur = 1; /* next output goes to body[cur ^ 1] = body[0] */
    const char *te = mm_http_header_get(r, "Transfer-Encoding");
    if (has_token(te, "chunked") && !mm_http_header_get(r, "X-Crawler-Transfer-Encoding")) {
        uint64_t sz;
        if (r->body_len && chunk_line(r->body, r->body_len, &sz)) {
            bool ok = dechunk(r->body, r->body_len, &h->body[0], h->max_body, &err);
            MM_TRY(err);
            cur = 0;
            r->body = (const unsigned char *)h->body[0].data;
            r->body_len = h->body[0].len;
            if (!ok) r->body_truncated = true;
        }
    }
    const char *ce = mm_http_header_get(r, "Content-Encoding");
    if (ce && !mm_http_header_get(r, "X-Crawler-Content-Encoding") && r->body_len) {
        if (!decode_content(h, ce, r, &cur, &err)) r->body_truncated = true;
        MM_TRY(err);
    }
    if (!r->body) r->body = (const unsigned char *)"";
    return MM_OK;
}

mm_err mm_http_parse(mm_http *h, const unsigned char *block, size_t n, mm_http_response *out) {
    memset(out, 0, sizeof *out);
    out->content_type = out->charset = "";
    h->nh = 0;
    if (!block) n = 0;
    out->status = mm_http_status(block, n);
    if (out->status == 0) {
        out->body = block ? block : (const unsigned char *)"";
        out->body_len = n;
        return MM_OK;
    }
    size_t hl = mm_warc_http_header_len(block, n);
    mm_buf_clear(&h->hdr);
    MM_TRY(mm_buf_append(&h->hdr, block, hl));
    MM_TRY(parse_headers(h));
    out->headers = h->h;
    out->nheaders = h->nh;
    const char *ct = mm_http_header_get(out, "Content-Type");
    out->content_type = ct ? ct : "";
    find_charset(h, ct);
    out->charset = h->charset;
    out->body = block + hl;
    out->body_len = n - hl;
    if (hl == n && (n < 2 || block[n - 1] != '\n' ||
                    (block[n - 2] != '\n' && (n < 3 || block[n - 3] != '\n'))))
        out->body_truncated = true; /* the header never ended */
    return decode_body(h, out);
}
