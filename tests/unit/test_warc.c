/* tests/unit/test_warc.c — the WARC reader on the warcio and FastWARC (chatnoir-resiliparse)
 * test files, read in place from ../shared, plus small synthetic inputs. */
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

#include "common/buf.h"
#include "corpus/warc.h"
#include "tests/unit/test.h"

typedef struct tally {
    int records, damaged, cut, by_type[MM_WARC_OTHER + 1];
    uint64_t offsets[64];
    mm_err fatal;
    int digest_bad;
} tally;

static tally read_all(const char *path, const mm_warc_opts *opts) {
    tally t;
    memset(&t, 0, sizeof t);
    mm_warc *w;
    t.fatal = mm_warc_open(path, opts, &w);
    if (t.fatal != MM_OK) return t;
    mm_warc_record r;
    int rc;
    mm_err e;
    while ((rc = mm_warc_next(w, &r, &e)) != 0) {
        if (rc < 0) {
            t.damaged++;
            CHECK(strstr(mm_error_detail(), "byte ") != NULL); /* every message names an offset */
            continue;
        }
        if (t.records < 64) t.offsets[t.records] = r.offset;
        t.records++;
        t.by_type[r.type]++;
        if (r.digest_ok == 0) t.digest_bad++;
        if (r.truncated >= MM_WARC_TRUNC_EOF) t.cut++;
        /* a block is whole, or cut short and marked so */
        CHECK(r.oversized || r.block_len == r.content_length ||
              (r.block_len < r.content_length && r.truncated >= MM_WARC_TRUNC_EOF));
    }
    t.fatal = e;
    mm_warc_close(w);
    return t;
}

/* What warcio's and FastWARC's own tests expect of their files (see ../shared/testdata/SOURCES.md).
 * Differences, by design: single-member .warc.gz files (warcio refuses them) are read; ARC
 * files are reported as "ARC, not supported" (MM_ERR_UNSUPPORTED); damaged records are
 * reported (-1) rather than returned, except a block cut short (clipped.warc.gz), which is
 * returned with what there is, as FastWARC does, and marked truncated. */
typedef struct expect {
    const char *file;
    int records, damaged, warcinfo, response, request, other_types;
    mm_err fatal;
} expect;

static const expect EXPECT[] = {
    {"testdata/warcio/test/data/example.warc", 6, 0, 2, 1, 2, 1, MM_OK},
    {"testdata/warcio/test/data/example.warc.gz", 6, 0, 2, 1, 2, 1, MM_OK},
    {"testdata/warcio/test/data/example-bad-non-chunked.warc.gz", 6, 0, 2, 1, 2, 1, MM_OK},
    {"testdata/warcio/test/data/example-bad.warc.gz.bad", 6, 0, 1, 2, 2, 1, MM_OK},
    {"testdata/warcio/test/data/example-trunc.warc", 3, 1, 2, 0, 1, 0,
     MM_OK}, /* 4 records, 1 damaged */
    {"testdata/warcio/test/data/example-digest.warc", 4, 0, 0, 0, 4, 0, MM_OK},
    {"testdata/warcio/test/data/example-iana.org-chunked.warc", 3, 0, 1, 1, 1, 0, MM_OK},
    {"testdata/warcio/test/data/example-wrong-chunks.warc.gz", 2, 0, 0, 1, 1, 0, MM_OK},
    {"testdata/warcio/test/data/example-wget-bad-target-uri.warc.gz", 6, 0, 1, 1, 1, 3, MM_OK},
    {"testdata/warcio/test/data/example-space-in-target-uri.warc.gz", 2, 0, 1, 0, 0, 1, MM_OK},
    {"testdata/warcio/test/data/example-resource.warc.gz", 3, 0, 2, 0, 0, 1, MM_OK},
    {"testdata/warcio/test/data/post-test.warc.gz", 6, 0, 0, 3, 3, 0, MM_OK},
    {"testdata/warcio/test/data/example.arc", 0, 0, 0, 0, 0, 0, MM_ERR_UNSUPPORTED},
    {"testdata/warcio/test/data/example.arc.gz", 0, 0, 0, 0, 0, 0, MM_ERR_UNSUPPORTED},
    {"testdata/warcio/test/data/example-space-in-url.arc", 0, 0, 0, 0, 0, 0, MM_ERR_UNSUPPORTED},
    {"testdata/warcio/test/data/bad.arc", 0, 0, 0, 0, 0, 0, MM_ERR_UNSUPPORTED},
    {"testdata/chatnoir-resiliparse/tests/data/warcfile.warc", 50, 0, 1, 16, 17, 16, MM_OK},
    {"testdata/chatnoir-resiliparse/tests/data/warcfile.warc.gz", 50, 0, 1, 16, 17, 16, MM_OK},
    {"testdata/chatnoir-resiliparse/tests/data/warcfile.warc.lz4", 50, 0, 1, 16, 17, 16, MM_OK},
    {"testdata/chatnoir-resiliparse/tests/data/clueweb-quirk.warc.gz", 30, 0, 1, 29, 0, 0, MM_OK},
    {"testdata/chatnoir-resiliparse/tests/data/clipped.warc.gz", 1, 0, 0, 1, 0, 0,
     MM_OK}, /* kept, cut */
    {"testdata/chatnoir-resiliparse/tests/data/block-sized-records.warc", 3, 0, 0, 0, 0, 3, MM_OK},
    {"testdata/chatnoir-resiliparse/tests/data/block-sized-records.warc.gz", 3, 0, 0, 0, 0, 3,
     MM_OK},
    {"testdata/chatnoir-resiliparse/tests/data/block-sized-records.warc.lz4", 3, 0, 0, 0, 0, 3,
     MM_OK},
};

static void check_shared_files(void) {
    for (size_t i = 0; i < sizeof EXPECT / sizeof *EXPECT; i++) {
        const expect *x = &EXPECT[i];
        tally t = read_all(test_shared(x->file), NULL);
        int other = t.records - t.by_type[MM_WARC_WARCINFO] - t.by_type[MM_WARC_RESPONSE] -
                    t.by_type[MM_WARC_REQUEST];
        if (t.records != x->records || t.damaged != x->damaged || t.fatal != x->fatal ||
            t.by_type[MM_WARC_WARCINFO] != x->warcinfo ||
            t.by_type[MM_WARC_RESPONSE] != x->response ||
            t.by_type[MM_WARC_REQUEST] != x->request || other != x->other_types) {
            printf("  %s: records %d damaged %d fatal %d warcinfo %d response %d request %d other "
                   "%d\n",
                   x->file, t.records, t.damaged, t.fatal, t.by_type[MM_WARC_WARCINFO],
                   t.by_type[MM_WARC_RESPONSE], t.by_type[MM_WARC_REQUEST], other);
            CHECK(!"counts as expected");
        }
    }
}

TEST(shared_files) {
    check_shared_files();
}

/* The same with every gzip member streamed by isa-l instead of inflated whole by libdeflate. */
TEST(shared_files_streaming_inflate) {
    setenv("MM_WARC_GZIP_STREAM", "1", 1);
    check_shared_files();
    tally t = read_all(
        test_shared("testdata/chatnoir-resiliparse/tests/data/block-sized-records.warc.gz"), NULL);
    CHECK_EQ_INT(t.offsets[1], 204);
    CHECK_EQ_INT(t.offsets[2], 409);
    unsetenv("MM_WARC_GZIP_STREAM");
}

TEST(block_sized_offsets) {
    /* FastWARC's test: plain [0, 16386, 32772]; gzip member starts [0, 204, 409] */
    tally t = read_all(
        test_shared("testdata/chatnoir-resiliparse/tests/data/block-sized-records.warc"), NULL);
    CHECK_EQ_INT(t.offsets[1], 16386);
    CHECK_EQ_INT(t.offsets[2], 32772);
    t = read_all(
        test_shared("testdata/chatnoir-resiliparse/tests/data/block-sized-records.warc.gz"), NULL);
    CHECK_EQ_INT(t.offsets[0], 0);
    CHECK_EQ_INT(t.offsets[1], 204);
    CHECK_EQ_INT(t.offsets[2], 409);
}

TEST(digests) {
    mm_warc_opts o = {.verify_digests = true};
    CHECK_EQ_INT(read_all(test_shared("testdata/warcio/test/data/example.warc"), &o).digest_bad, 0);
    CHECK_EQ_INT(read_all(test_shared("testdata/warcio/test/data/example.warc.gz"), &o).digest_bad,
                 0);
    /* record 1's payload digest is not valid; 2 and 3 are base64 / base64url */
    CHECK_EQ_INT(
        read_all(test_shared("testdata/warcio/test/data/example-digest.warc"), &o).digest_bad, 1);
    CHECK_EQ_INT(
        read_all(test_shared("testdata/chatnoir-resiliparse/tests/data/warcfile.warc.gz"), &o)
            .digest_bad,
        0);
}

static const mm_warc_record *first(mm_warc *w, mm_warc_record *r, int skip) {
    mm_err e;
    for (int rc; (rc = mm_warc_next(w, r, &e)) != 0;)
        if (rc > 0 && skip-- == 0) return r;
    return NULL;
}

TEST(fields) {
    mm_warc *w;
    mm_warc_record r;
    CHECK_EQ_INT(
        mm_warc_open(test_shared("testdata/chatnoir-resiliparse/tests/data/clueweb-quirk.warc.gz"),
                     NULL, &w),
        MM_OK);
    CHECK(first(w, &r, 1) != NULL);
    CHECK_STR(r.version, "WARC/0.18");
    CHECK_STR(r.type_name, "response");
    CHECK_STR(r.target_uri, "http://www.uraharajuku.st/shopdetail/001005000005/019/000/order/");
    CHECK_STR(r.date, "2008-10-294T05:21:46-0700");
    CHECK_STR(mm_warc_header_get(&r, "warc-trec-id"), "clueweb09-ja0016-50-00000");
    mm_http *h = mm_http_create(0);
    mm_http_response resp;
    CHECK_EQ_INT(mm_http_parse(h, r.block, r.block_len, &resp), MM_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_STR(resp.charset, "euc-jp");
    CHECK(resp.body_len > 1000 && !memcmp(resp.body, "<html>", 6)); /* "gzip" but stored plain */
    mm_warc_close(w);

    CHECK_EQ_INT(
        mm_warc_open(test_shared("testdata/warcio/test/data/example-wget-bad-target-uri.warc.gz"),
                     NULL, &w),
        MM_OK);
    CHECK(first(w, &r, 1) != NULL);
    CHECK_STR(r.target_uri, "http://example.com/");
    mm_warc_close(w);

    /* chunked body stored raw: de-chunked by mm_http_parse */
    CHECK_EQ_INT(
        mm_warc_open(test_shared("testdata/warcio/test/data/example-iana.org-chunked.warc"), NULL,
                     &w),
        MM_OK);
    CHECK(first(w, &r, 1) != NULL);
    CHECK_EQ_INT(mm_http_parse(h, r.block, r.block_len, &resp), MM_OK);
    CHECK(resp.body_len > 15 && !memcmp(resp.body, "<!doctype html>", 15));
    CHECK(!resp.body_truncated);
    mm_warc_close(w);

    /* Common Crawl: X-Crawler-Content-Encoding, payload stored decoded */
    CHECK_EQ_INT(
        mm_warc_open(test_shared("testdata/chatnoir-resiliparse/tests/data/warcfile.warc.gz"), NULL,
                     &w),
        MM_OK);
    CHECK(first(w, &r, 2) != NULL);
    CHECK_EQ_INT(r.type, MM_WARC_RESPONSE);
    CHECK_EQ_INT(mm_http_parse(h, r.block, r.block_len, &resp), MM_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK(!resp.body_truncated);
    CHECK(resp.body_len > 0 && memmem(resp.body, resp.body_len, "<html", 5) != NULL);
    mm_warc_close(w);
    mm_http_free(h);
}

TEST(seek) {
    mm_warc *w;
    mm_warc_record r;
    mm_err e;
    CHECK_EQ_INT(
        mm_warc_open(test_shared("testdata/chatnoir-resiliparse/tests/data/warcfile.warc.gz"), NULL,
                     &w),
        MM_OK);
    CHECK(mm_warc_can_seek(w));
    CHECK_EQ_INT(mm_warc_seek(w, 12685), MM_OK);
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
    CHECK_EQ_INT(r.offset, 12685);
    CHECK_STR(r.target_uri, "http://01spb.ru/company/");
    CHECK_EQ_INT(mm_warc_seek(w, 0), MM_OK);
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
    CHECK_EQ_INT(r.type, MM_WARC_WARCINFO);
    mm_warc_close(w);
    CHECK_EQ_INT(mm_warc_open(test_shared("testdata/chatnoir-resiliparse/tests/data/warcfile.warc"),
                              NULL, &w),
                 MM_OK);
    CHECK_EQ_INT(mm_warc_seek(w, 39775), MM_OK);
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
    CHECK_EQ_INT(r.content_length, 104911);
    mm_warc_close(w);
}

static const char *write_tmp(const char *name, const void *data, size_t n) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/mm_test_warc_%d_%s", test_tmpdir(), (int)getpid(), name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
    return path;
}

static void add_record(mm_buf *b, const char *uri, size_t body_len, char fill) {
    mm_buf_printf(
        b, "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: %s\r\nContent-Length: %zu\r\n\r\n",
        uri, body_len);
    for (size_t i = 0; i < body_len; i++)
        mm_buf_putc(b, fill);
    mm_buf_puts(b, "\r\n\r\n");
}

TEST(oversized_is_skipped_and_counted) {
    mm_buf b = {0};
    add_record(&b, "http://small/", 10, 'a');
    add_record(&b, "http://big/", 5000, 'b');
    add_record(&b, "http://after/", 10, 'c');
    const char *p = write_tmp("big.warc", b.data, b.len);
    mm_warc_opts o = {.max_record = 1000};
    mm_warc *w;
    mm_warc_record r;
    mm_err e;
    CHECK_EQ_INT(mm_warc_open(p, &o, &w), MM_OK);
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
    CHECK(r.oversized && r.block == NULL);
    CHECK_STR(r.target_uri, "http://big/");
    CHECK_EQ_INT(r.content_length, 5000);
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
    CHECK_STR(r.target_uri, "http://after/");
    CHECK(r.block_len == 10 && r.block[0] == 'c');
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 0);
    CHECK_EQ_INT(mm_warc_get_stats(w)->skipped_oversized, 1);
    CHECK_EQ_INT(mm_warc_get_stats(w)->records, 3);
    mm_warc_close(w);
    unlink(p);
    mm_buf_free(&b);
}

/* Random damage: cut or corrupt a file of good records anywhere; the reader must never crash,
 * must report damage, and must read every record that lies wholly outside the damaged span. */
TEST(random_damage_loses_only_damaged_records) {
    unsigned seed = 12345;
    printf("  seed %u\n", seed);
    srand(seed);
    mm_buf b = {0};
    size_t starts[41];
    for (int i = 0; i < 40; i++) {
        starts[i] = b.len;
        char uri[32];
        snprintf(uri, sizeof uri, "http://r%d/", i);
        add_record(&b, uri, (size_t)(rand() % 3000), (char)('a' + i % 26));
    }
    starts[40] = b.len;
    for (int trial = 0; trial < 30; trial++) {
        mm_buf c = {0};
        mm_buf_append(&c, b.data, b.len);
        size_t at = (size_t)rand() % c.len, n = 1 + (size_t)rand() % 40;
        if (at + n > c.len) n = c.len - at;
        for (size_t k = 0; k < n; k++)
            c.data[at + k] = (char)rand();
        int hit = 0;
        for (int i = 0; i < 40; i++)
            hit += starts[i] < at + n && starts[i + 1] > at;
        const char *p = write_tmp("damaged.warc", c.data, c.len);
        tally t = read_all(p, NULL);
        CHECK_EQ_INT(t.fatal, MM_OK);
        if (t.records < 40 - hit - 1)
            printf("  trial %d: %d records, %d hit\n", trial, t.records, hit);
        CHECK(t.records >= 40 - hit - 1); /* the record after a damaged one may lose its start */
        unlink(p);
        mm_buf_free(&c);
    }
    mm_buf_free(&b);
}

static void gzip_append(mm_buf *out, const char *src, size_t n) {
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    mm_buf_reserve(out, deflateBound(&z, n) + 64);
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out->data + out->len;
    z.avail_out = (uInt)(out->cap - out->len);
    deflate(&z, Z_FINISH);
    out->len += z.total_out;
    deflateEnd(&z);
}

/* The same with one gzip member per record, through both inflate paths: a corrupted span costs
 * only the members it touches. */
TEST(random_gzip_damage_loses_only_damaged_members) {
    unsigned seed = 777;
    printf("  seed %u\n", seed);
    srand(seed);
    mm_buf b = {0}, rec = {0};
    size_t starts[41];
    for (int i = 0; i < 40; i++) {
        starts[i] = b.len;
        char uri[32];
        snprintf(uri, sizeof uri, "http://g%d/", i);
        mm_buf_clear(&rec);
        add_record(&rec, uri, (size_t)(rand() % 5000), (char)('a' + i % 26));
        gzip_append(&b, rec.data, rec.len);
    }
    starts[40] = b.len;
    for (int trial = 0; trial < 40; trial++) {
        mm_buf c = {0};
        mm_buf_append(&c, b.data, b.len);
        size_t at = (size_t)rand() % c.len, n = 1 + (size_t)rand() % 30;
        if (at + n > c.len) n = c.len - at;
        for (size_t k = 0; k < n; k++)
            c.data[at + k] ^= (char)(1 + rand() % 255);
        int hit = 0;
        for (int i = 0; i < 40; i++)
            hit += starts[i] < at + n && starts[i + 1] > at;
        const char *p = write_tmp("damaged.warc.gz", c.data, c.len);
        setenv("MM_WARC_GZIP_STREAM", trial % 2 ? "1" : "0", 1);
        tally t = read_all(p, NULL);
        CHECK_EQ_INT(t.fatal, MM_OK);
        if (t.records < 40 - hit) {
            printf("  trial %d: %d records, %d hit (at %zu, %zu bytes)\n", trial, t.records, hit,
                   at, n);
            if (getenv("MM_KEEP")) {
                char k[64];
                snprintf(k, sizeof k, "/tmp/dmg_%d.warc.gz", trial);
                rename(p, k);
            }
        }
        CHECK(t.records >= 40 - hit);
        unlink(p);
        mm_buf_free(&c);
    }
    unsetenv("MM_WARC_GZIP_STREAM");
    mm_buf_free(&b);
    mm_buf_free(&rec);
}

static void read_file(const char *path, mm_buf *b) {
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t k;
    mm_buf_clear(b);
    while (f && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
        mm_buf_append(b, chunk, k);
    if (f) fclose(f);
}

/* FastWARC's clipped.warc.gz: one gzip member cut short, so its record's block is too.  The
 * record comes back with every byte that inflates (compared with zlib's own inflate of the
 * file), marked "gzip", with no damage reported, through both inflate paths. */
TEST(clipped_gzip_member_is_kept) {
    const char *path = test_shared("testdata/chatnoir-resiliparse/tests/data/clipped.warc.gz");
    mm_buf z = {0};
    gzFile g = gzopen(path, "rb");
    CHECK(g != NULL);
    char chunk[65536];
    int k;
    while (g && (k = gzread(g, chunk, sizeof chunk)) > 0)
        mm_buf_append(&z, chunk, (size_t)k);
    if (g) gzclose(g);
    CHECK(z.len > 1000);
    for (int stream = 0; stream < 2; stream++) {
        setenv("MM_WARC_GZIP_STREAM", stream ? "1" : "0", 1);
        mm_warc *w;
        mm_warc_record r;
        mm_err e;
        CHECK_EQ_INT(mm_warc_open(path, NULL, &w), MM_OK);
        CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
        CHECK_EQ_INT(r.truncated, MM_WARC_TRUNC_GZIP);
        CHECK_STR(mm_warc_trunc_name(r.truncated), "gzip");
        CHECK(r.block_len < r.content_length && r.block_len > 0 && r.block_len < z.len);
        /* the block is the tail of what inflates, right after the header's blank line */
        CHECK(!memcmp(z.data + z.len - r.block_len, r.block, r.block_len));
        CHECK(!memcmp(z.data + z.len - r.block_len - 4, "\r\n\r\n", 4));
        CHECK(strstr(r.target_uri, "houstonpress.com") != NULL);
        CHECK_EQ_INT(mm_warc_next(w, &r, &e), 0);
        CHECK_EQ_INT(e, MM_OK);
        const mm_warc_stats *st = mm_warc_get_stats(w);
        CHECK_EQ_INT(st->damaged, 0);
        CHECK_EQ_INT(st->truncated, 1);
        CHECK_EQ_INT(st->truncated_by[MM_WARC_TRUNC_GZIP], 1);
        mm_warc_close(w);
    }
    unsetenv("MM_WARC_GZIP_STREAM");
    mm_buf_free(&z);
}

/* A real WARC cut anywhere inside a record's block (as `head -c` would): every record before
 * it reads whole, the cut one comes back with the bytes up to the cut, marked "eof", and nothing
 * is reported as damaged.  The same cut file gzipped as one member reads the same ("eof": the
 * member is whole, the WARC in it is not). */
TEST(plain_file_cut_in_a_block) {
    mm_buf full = {0}, cut = {0}, gz = {0};
    read_file(test_shared("testdata/chatnoir-resiliparse/tests/data/warcfile.warc"), &full);
    CHECK(full.len > 100000);
    tally all =
        read_all(test_shared("testdata/chatnoir-resiliparse/tests/data/warcfile.warc"), NULL);
    CHECK_EQ_INT(all.records, 50);
    unsigned seed = 4242;
    printf("  seed %u\n", seed);
    srand(seed);
    for (int trial = 0; trial < 12; trial++) {
        int k = 1 + rand() % 48; /* the record to cut */
        size_t start = (size_t)all.offsets[k];
        const char *hend = memmem(full.data + start, full.len - start, "\r\n\r\n", 4);
        CHECK(hend != NULL);
        if (!hend) break;
        size_t body = (size_t)(hend + 4 - full.data), next = (size_t)all.offsets[k + 1];
        size_t clen = next - 4 - body; /* the block: up to the record end before the next one */
        if (clen < 2) continue;
        size_t keep = 1 + (size_t)rand() % (clen - 1);
        mm_buf_clear(&cut);
        mm_buf_append(&cut, full.data, body + keep);
        mm_buf_clear(&gz);
        gzip_append(&gz, cut.data, cut.len);
        for (int pass = 0; pass < 2; pass++) {
            const char *p = pass ? write_tmp("cut.warc.gz", gz.data, gz.len)
                                 : write_tmp("cut.warc", cut.data, cut.len);
            mm_warc *w;
            mm_warc_record r;
            mm_err e;
            int rc, n = 0, damaged = 0;
            CHECK_EQ_INT(mm_warc_open(p, NULL, &w), MM_OK);
            while ((rc = mm_warc_next(w, &r, &e)) != 0) {
                if (rc < 0) {
                    damaged++;
                    continue;
                }
                if (n++ < k) {
                    CHECK_EQ_INT(r.truncated, MM_WARC_TRUNC_NONE);
                    continue;
                }
                CHECK_EQ_INT(r.truncated, MM_WARC_TRUNC_EOF);
                CHECK_EQ_INT(r.stream_offset, start);
                CHECK_EQ_INT(r.content_length, clen);
                CHECK_EQ_INT(r.block_len, keep);
                CHECK(!memcmp(r.block, full.data + body, keep));
            }
            CHECK_EQ_INT(n, k + 1);
            CHECK_EQ_INT(damaged, 0);
            CHECK_EQ_INT(mm_warc_get_stats(w)->truncated_by[MM_WARC_TRUNC_EOF], 1);
            mm_warc_close(w);
            unlink(p);
        }
    }
    mm_buf_free(&full);
    mm_buf_free(&cut);
    mm_buf_free(&gz);
}

/* WARC-Truncated (Common Crawl writes "length" for payloads cut at 1 MiB): the block is whole
 * and read as usual, the reason is given; a value outside the standard is "unspecified". */
TEST(warc_truncated_header) {
    static const char *const values[] = {"length", "time", "disconnect", "unspecified", "bogus"};
    static const mm_warc_trunc want[] = {MM_WARC_TRUNC_LENGTH, MM_WARC_TRUNC_TIME,
                                         MM_WARC_TRUNC_DISCONNECT, MM_WARC_TRUNC_UNSPECIFIED,
                                         MM_WARC_TRUNC_UNSPECIFIED};
    mm_buf b = {0};
    add_record(&b, "http://whole/", 7, 'w');
    for (int i = 0; i < 5; i++)
        mm_buf_printf(&b,
                      "WARC/1.0\r\nWARC-Type: response\r\nWARC-Truncated: %s\r\n"
                      "Content-Length: 5\r\n\r\nabcde\r\n\r\n",
                      values[i]);
    const char *p = write_tmp("trunc-header.warc", b.data, b.len);
    mm_warc *w;
    mm_warc_record r;
    mm_err e;
    CHECK_EQ_INT(mm_warc_open(p, &(mm_warc_opts){.verify_digests = true}, &w), MM_OK);
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
    CHECK_EQ_INT(r.truncated, MM_WARC_TRUNC_NONE);
    CHECK_STR(mm_warc_trunc_name(r.truncated), "");
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(mm_warc_next(w, &r, &e), 1);
        CHECK_EQ_INT(r.truncated, want[i]);
        CHECK(r.block_len == 5 && !memcmp(r.block, "abcde", 5));
    }
    CHECK_EQ_INT(mm_warc_next(w, &r, &e), 0);
    const mm_warc_stats *st = mm_warc_get_stats(w);
    CHECK_EQ_INT(st->truncated, 5);
    CHECK_EQ_INT(st->truncated_by[MM_WARC_TRUNC_UNSPECIFIED], 2);
    CHECK_EQ_INT(st->damaged, 0);
    mm_warc_close(w);
    unlink(p);
    mm_buf_free(&b);
}

TEST(read_paths) {
    const char *listing = "crawl-data/a.warc.gz\r\ncrawl-data/b.warc.gz\n\n";
    const char *p = write_tmp("warc.paths", listing, strlen(listing));
    char **paths;
    size_t n;
    CHECK_EQ_INT(mm_warc_read_paths(p, "https://data.commoncrawl.org/", &paths, &n), MM_OK);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_STR(paths[0], "https://data.commoncrawl.org/crawl-data/a.warc.gz");
        CHECK_STR(paths[1], "https://data.commoncrawl.org/crawl-data/b.warc.gz");
    }
    free(paths);
    unlink(p);
}

TEST(missing_file) {
    mm_warc *w;
    CHECK_EQ_INT(mm_warc_open("/nonexistent/x.warc", NULL, &w), MM_ERR_IO);
    CHECK(strstr(mm_error_detail(), "/nonexistent/x.warc") != NULL);
    mm_warc_close(NULL);
}

int main(void) {
    test_prog_ = "test_warc";
    RUN(shared_files);
    RUN(shared_files_streaming_inflate);
    RUN(block_sized_offsets);
    RUN(digests);
    RUN(fields);
    RUN(seek);
    RUN(oversized_is_skipped_and_counted);
    RUN(random_damage_loses_only_damaged_records);
    RUN(random_gzip_damage_loses_only_damaged_members);
    RUN(clipped_gzip_member_is_kept);
    RUN(plain_file_cut_in_a_block);
    RUN(warc_truncated_header);
    RUN(read_paths);
    RUN(missing_file);
    return test_summary();
}
