/* Unit tests for rl/tokshard: llm.c .bin header and body, both token widths, and the reader's
 * errors on a wrong magic, a wrong version, a truncated body, trailing bytes, a short header. */
#include <stdint.h>
#include <unistd.h>

#include "common/buf.h"
#include "rl/tokshard.h"
#include "test.h"

static const char *tmp_path(const char *name) {
    static char b[4][512];
    static int k;
    char *p = b[k++ & 3];
    snprintf(p, 512, "%s/mm_tokshard_%d_%s", test_tmpdir(), (int)getpid(), name);
    return p;
}

static int32_t le32(const unsigned char *p) {
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static void write_raw(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

TEST(uint16_header_and_body) {
    uint32_t tok[5] = {50256, 0, 1, 65535, 300};
    const char *p = tmp_path("a.bin");
    CHECK_EQ_INT(mm_tokshard_write(p, tok, 5, 65536), MM_OK);
    mm_buf b = {0};
    CHECK_EQ_INT(mm_read_file(p, &b), MM_OK);
    CHECK_EQ_INT(b.len, 1024 + 10);
    const unsigned char *u = (const unsigned char *)b.data;
    CHECK_EQ_INT(le32(u), 20240520);
    CHECK_EQ_INT(le32(u + 4), 1);
    CHECK_EQ_INT(le32(u + 8), 5);
    for (int i = 3; i < 256; i++)
        CHECK_EQ_INT(le32(u + 4 * i), 0);
    CHECK_EQ_INT(u[1024] | u[1025] << 8, 50256);
    CHECK_EQ_INT(u[1030] | u[1031] << 8, 65535);
    mm_tokshard *s;
    CHECK_EQ_INT(mm_tokshard_open(p, &s), MM_OK);
    CHECK_EQ_INT(mm_tokshard_count(s), 5);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(mm_tokshard_get(s, i), tok[i]);
    int32_t d[3];
    CHECK_EQ_INT(mm_tokshard_read(s, 2, 3, d), MM_OK);
    CHECK_EQ_INT(d[0], 1);
    CHECK_EQ_INT(d[1], 65535);
    CHECK_EQ_INT(d[2], 300);
    CHECK_EQ_INT(mm_tokshard_read(s, 3, 3, d), MM_ERR_ARG);
    mm_tokshard_close(s);
    mm_buf_free(&b);
    unlink(p);
}

TEST(uint32_when_vocab_large) {
    uint32_t tok[3] = {70000, 5, 99999};
    const char *p = tmp_path("b.bin");
    CHECK_EQ_INT(mm_tokshard_write(p, tok, 3, 100000), MM_OK);
    mm_buf b = {0};
    CHECK_EQ_INT(mm_read_file(p, &b), MM_OK);
    CHECK_EQ_INT(b.len, 1024 + 12);
    CHECK_EQ_INT(le32((const unsigned char *)b.data), 20240801);
    mm_tokshard *s;
    CHECK_EQ_INT(mm_tokshard_open(p, &s), MM_OK);
    CHECK_EQ_INT(mm_tokshard_count(s), 3);
    CHECK_EQ_INT(mm_tokshard_get(s, 0), 70000);
    CHECK_EQ_INT(mm_tokshard_get(s, 2), 99999);
    mm_tokshard_close(s);
    mm_buf_free(&b);
    unlink(p);
}

TEST(empty_shard) {
    const char *p = tmp_path("e.bin");
    CHECK_EQ_INT(mm_tokshard_write(p, NULL, 0, 8192), MM_OK);
    mm_tokshard *s;
    CHECK_EQ_INT(mm_tokshard_open(p, &s), MM_OK);
    CHECK_EQ_INT(mm_tokshard_count(s), 0);
    mm_tokshard_close(s);
    unlink(p);
}

TEST(token_outside_vocab_is_refused) {
    uint32_t tok[2] = {1, 8192};
    const char *p = tmp_path("v.bin");
    CHECK_EQ_INT(mm_tokshard_write(p, tok, 2, 8192), MM_ERR_ARG);
    CHECK(access(p, F_OK) != 0); /* nothing half-written */
}

/* A valid 4-token uint16 shard as raw bytes, for the damaged variants below. */
static size_t good_bytes(unsigned char *buf) {
    memset(buf, 0, 1024 + 8);
    int32_t h[3] = {20240520, 1, 4};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++)
            buf[4 * i + k] = (unsigned char)((uint32_t)h[i] >> (8 * k));
    for (int i = 0; i < 4; i++)
        buf[1024 + 2 * i] = (unsigned char)(i + 1);
    return 1024 + 8;
}

static void expect_error(const unsigned char *bytes, size_t n, mm_err want, const char *needle) {
    const char *p = tmp_path("bad.bin");
    write_raw(p, bytes, n);
    mm_tokshard *s = (mm_tokshard *)1;
    mm_err e = mm_tokshard_open(p, &s);
    CHECK_EQ_INT(e, want);
    CHECK(s == NULL);
    CHECK(strstr(mm_error_detail(), p) != NULL);
    if (!strstr(mm_error_detail(), needle)) printf("  detail: %s\n", mm_error_detail());
    CHECK(strstr(mm_error_detail(), needle) != NULL);
    unlink(p);
}

TEST(wrong_magic) {
    unsigned char b[1032];
    size_t n = good_bytes(b);
    b[0] ^= 0x55;
    expect_error(b, n, MM_ERR_FORMAT, "byte 0: magic");
}

TEST(wrong_version) {
    unsigned char b[1032];
    size_t n = good_bytes(b);
    b[4] = 7;
    expect_error(b, n, MM_ERR_UNSUPPORTED, "version 7");
}

TEST(truncated_body) {
    unsigned char b[1032];
    size_t n = good_bytes(b);
    expect_error(b, n - 3, MM_ERR_TRUNCATED, "truncated");
}

TEST(trailing_bytes) {
    unsigned char b[1040] = {0};
    good_bytes(b);
    expect_error(b, sizeof b, MM_ERR_FORMAT, "bytes after");
}

TEST(short_header) {
    unsigned char b[1032];
    good_bytes(b);
    expect_error(b, 100, MM_ERR_TRUNCATED, "header");
}

TEST(missing_file) {
    mm_tokshard *s;
    CHECK_EQ_INT(mm_tokshard_open(tmp_path("nope.bin"), &s), MM_ERR_IO);
    mm_tokshard_close(NULL);
}

int main(void) {
    test_prog_ = "test_tokshard";
    RUN(uint16_header_and_body);
    RUN(uint32_when_vocab_large);
    RUN(empty_shard);
    RUN(token_outside_vocab_is_refused);
    RUN(wrong_magic);
    RUN(wrong_version);
    RUN(truncated_body);
    RUN(trailing_bytes);
    RUN(short_header);
    RUN(missing_file);
    return test_summary();
}
