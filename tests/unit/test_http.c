/* tests/unit/test_http.c — HTTP response blocks: headers, chunked, gzip/deflate/br, lies. */
#include <brotli/encode.h>
#include <zlib.h>

#include "common/buf.h"
#include "corpus/warc.h"
#include "tests/unit/test.h"

static const char *BODY = "<html><body><p>Euler: e^{i\\pi} + 1 = 0</p></body></html>\n";

/* zlib-compress `src` as gzip (wbits 31), zlib (15) or raw deflate (-15). */
static size_t zpack(const char *src, size_t n, int wbits, unsigned char *out, size_t cap) {
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    return len;
}

static void response(mm_buf *b, const char *headers, const void *body, size_t n) {
    mm_buf_clear(b);
    mm_buf_printf(b, "HTTP/1.1 200 OK\r\n%s\r\n", headers);
    mm_buf_append(b, body, n);
}

static mm_http_response parse(mm_http *h, const mm_buf *b) {
    mm_http_response r;
    CHECK_EQ_INT(mm_http_parse(h, (const unsigned char *)b->data, b->len, &r), MM_OK);
    return r;
}

static void check_body(const mm_http_response *r, const char *want) {
    CHECK_EQ_INT(r->body_len, strlen(want));
    CHECK(r->body_len == strlen(want) && !memcmp(r->body, want, r->body_len));
}

TEST(status_headers_charset) {
    mm_http *h = mm_http_create(0);
    mm_buf b = {0};
    response(&b, "Content-Type: text/html; Charset=\"ISO-8859-1\"\r\nX-Folded: a\r\n b\r\n", BODY,
             strlen(BODY));
    mm_http_response r = parse(h, &b);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR(r.content_type, "text/html; Charset=\"ISO-8859-1\"");
    CHECK_STR(r.charset, "iso-8859-1");
    CHECK_STR(mm_http_header_get(&r, "x-folded"), "a b");
    check_body(&r, BODY);
    CHECK(!r.body_truncated);
    /* LF-only header (ClueWeb) */
    mm_buf_clear(&b);
    mm_buf_printf(&b, "HTTP/1.0 404 Not Found\nContent-Type: text/plain\n\nnope");
    r = parse(h, &b);
    CHECK_EQ_INT(r.status, 404);
    check_body(&r, "nope");
    /* not HTTP at all */
    r = parse(h, &(mm_buf){.data = "hello", .len = 5});
    CHECK_EQ_INT(r.status, 0);
    check_body(&r, "hello");
    CHECK_EQ_INT(mm_http_status((const unsigned char *)"HTTP/1.1 301 Moved\r\n", 20), 301);
    CHECK_EQ_INT(mm_http_status((const unsigned char *)"HTTP/1.1 3x1 Moved\r\n", 20), 0);
    mm_buf_free(&b);
    mm_http_free(h);
}

TEST(chunked) {
    mm_http *h = mm_http_create(0);
    mm_buf b = {0}, body = {0};
    size_t n = strlen(BODY);
    mm_buf_printf(&body, "%zx;ext=1\r\n", n / 2);
    mm_buf_append(&body, BODY, n / 2);
    mm_buf_printf(&body, "\r\n%zx\r\n", n - n / 2);
    mm_buf_append(&body, BODY + n / 2, n - n / 2);
    mm_buf_puts(&body, "\r\n0\r\n\r\n");
    response(&b, "Transfer-Encoding: chunked\r\n", body.data, body.len);
    mm_http_response r = parse(h, &b);
    check_body(&r, BODY);
    CHECK(!r.body_truncated);
    /* a lying chunk size: keep what there is, mark truncated */
    mm_buf_clear(&body);
    mm_buf_printf(&body, "5\r\nhello\r\nffff\r\nworld");
    response(&b, "Transfer-Encoding: chunked\r\n", body.data, body.len);
    r = parse(h, &b);
    check_body(&r, "helloworld");
    CHECK(r.body_truncated);
    /* declared chunked but not: taken as it is */
    response(&b, "Transfer-Encoding: chunked\r\n", "<html>", 6);
    r = parse(h, &b);
    check_body(&r, "<html>");
    /* Common Crawl: the renamed header means already decoded */
    response(&b, "X-Crawler-Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
             "5\r\nhello\r\n0\r\n\r\n", 15);
    r = parse(h, &b);
    CHECK_EQ_INT(r.body_len, 15);
    mm_buf_free(&b);
    mm_buf_free(&body);
    mm_http_free(h);
}

TEST(content_encodings) {
    mm_http *h = mm_http_create(0);
    mm_buf b = {0};
    unsigned char z[4096];
    size_t n = strlen(BODY);
    static const struct {
        const char *name;
        int wbits;
    } enc[] = {{"gzip", 31}, {"x-gzip", 31}, {"deflate", 15}, {"deflate", -15}};
    for (size_t i = 0; i < sizeof enc / sizeof *enc; i++) {
        size_t zn = zpack(BODY, n, enc[i].wbits, z, sizeof z);
        char hdr[64];
        snprintf(hdr, sizeof hdr, "Content-Encoding: %s\r\n", enc[i].name);
        response(&b, hdr, z, zn);
        mm_http_response r = parse(h, &b);
        check_body(&r, BODY);
        CHECK(!r.body_truncated);
        /* cut short: what decoded is kept, marked truncated */
        response(&b, hdr, z, zn - 8);
        r = parse(h, &b);
        CHECK(r.body_truncated);
        CHECK(r.body_len <= n && !memcmp(r.body, BODY, r.body_len));
    }
    size_t bn = sizeof z;
    CHECK(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, n, (const uint8_t *)BODY, &bn, z));
    response(&b, "Content-Encoding: br\r\n", z, bn);
    mm_http_response r = parse(h, &b);
    check_body(&r, BODY);
    /* gzip then chunked */
    size_t zn = zpack(BODY, n, 31, z, sizeof z);
    mm_buf body = {0};
    mm_buf_printf(&body, "%zx\r\n", zn);
    mm_buf_append(&body, z, zn);
    mm_buf_puts(&body, "\r\n0\r\n\r\n");
    response(&b, "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", body.data, body.len);
    r = parse(h, &b);
    check_body(&r, BODY);
    /* ClueWeb: "gzip" declared, body already plain */
    response(&b, "Content-Encoding: gzip\r\n", BODY, n);
    r = parse(h, &b);
    check_body(&r, BODY);
    CHECK(!r.body_truncated);
    /* Common Crawl: X-Crawler-Content-Encoding */
    response(&b, "X-Crawler-Content-Encoding: gzip\r\n", BODY, n);
    r = parse(h, &b);
    check_body(&r, BODY);
    mm_buf_free(&body);
    mm_buf_free(&b);
    mm_http_free(h);
}

TEST(body_cap) {
    mm_http *h = mm_http_create(100);
    static char big[10000];
    memset(big, 'a', sizeof big);
    unsigned char z[2048];
    size_t zn = zpack(big, sizeof big, 31, z, sizeof z);
    mm_buf b = {0};
    response(&b, "Content-Encoding: gzip\r\n", z, zn);
    mm_http_response r = parse(h, &b);
    CHECK_EQ_INT(r.body_len, 100);
    CHECK(r.body_truncated);
    mm_buf_free(&b);
    mm_http_free(h);
}

TEST(header_never_ends) {
    mm_http *h = mm_http_create(0);
    mm_buf b = {0};
    mm_buf_puts(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/ht");
    mm_http_response r = parse(h, &b);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.body_len, 0);
    CHECK(r.body_truncated);
    mm_buf_free(&b);
    mm_http_free(h);
}

int main(void) {
    test_prog_ = "test_http";
    RUN(status_headers_charset);
    RUN(chunked);
    RUN(content_encodings);
    RUN(body_cap);
    RUN(header_never_ends);
    return test_summary();
}
