/* Unit tests for the common core: buffers, JSON, UTF-8, line reader/atomic writer, documents. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/doc.h"
#include "common/hash.h"
#include "common/hugemem.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/stage.h"
#include "common/strmap.h"
#include "common/svg.h"
#include "test.h"

TEST(json_escape_invalid_utf8) {
    mm_buf b = {0};
    mm_json_str(&b, "a\"b\\\n\x01\xff\xe4\xb8\xad", 10);
    CHECK_STR(b.data, "\"a\\\"b\\\\\\n\\u0001\xEF\xBF\xBD\xe4\xb8\xad\"");
    CHECK(mm_utf8_valid(b.data, b.len));
    mm_buf_free(&b);
}

/* The writer skips plain bytes 16 at a time: a special byte at every position of a 40-byte
 * string (and a 2-byte character across each block edge) still comes out escaped and reads
 * back as it went in (an invalid byte as U+FFFD). */
TEST(json_escape_every_position) {
    static const struct {
        const char *in, *back;
    } specials[] = {{"\"", "\""},
                    {"\\", "\\"},
                    {"\n", "\n"},
                    {"\x01", "\x01"},
                    {"\xff", "\xEF\xBF\xBD"},
                    {"\xc3\xa9", "\xc3\xa9"}};
    for (size_t k = 0; k < sizeof specials / sizeof *specials; k++)
        for (size_t at = 0; at < 40; at++) {
            char in[64], want[64];
            memset(in, 'x', 40), memset(want, 'x', 40);
            size_t li = strlen(specials[k].in), lb = strlen(specials[k].back);
            memcpy(in + at, specials[k].in, li);
            memcpy(want + at, specials[k].back, lb);
            memset(in + at + li, 'y', 40 - at), memset(want + at + lb, 'y', 40 - at);
            mm_buf b = {0};
            CHECK(mm_buf_puts(&b, "{\"s\":") == MM_OK && mm_json_str(&b, in, 40 + li) == MM_OK &&
                  mm_buf_putc(&b, '}') == MM_OK);
            mm_json_doc *d;
            mm_json *r;
            CHECK_EQ_INT(mm_json_parse(b.data, b.len, &d, &r), MM_OK);
            want[40 + lb] = 0;
            CHECK_STR(mm_json_get_str(r, "s", ""), want);
            mm_json_doc_free(d);
            mm_buf_free(&b);
        }
}

TEST(json_parse_roundtrip) {
    const char *t =
        "{\"a\": [1, 2.5, -3e2], \"s\": \"x\\u00e9\\ud83d\\ude00\\n\", \"o\": {\"t\": true, "
        "\"n\": null}}";
    mm_json_doc *d;
    mm_json *r;
    CHECK_EQ_INT(mm_json_parse(t, strlen(t), &d, &r), MM_OK);
    CHECK_EQ_INT(mm_json_get(r, "a")->len, 3);
    CHECK_NEAR(mm_json_at(mm_json_get(r, "a"), 2)->num, -300, 0);
    CHECK_STR(mm_json_get_str(r, "s", ""), "x\xc3\xa9\xf0\x9f\x98\x80\n");
    CHECK(mm_json_get(mm_json_get(r, "o"), "t")->b);
    mm_json_doc_free(d);
}

/* Strings built from pieces whose decoding is known, at every length and alignment the 16-byte
 * scan of parse_string meets (escapes straddling a 16-byte boundary, right before the closing
 * quote); and strings that end inside an escape. */
TEST(json_parse_string_pieces) {
    static const struct {
        const char *json, *text;
    } pieces[] = {{"a", "a"},
                  {"bc", "bc"},
                  {"\\n", "\n"},
                  {"\\\"", "\""},
                  {"\\\\", "\\"},
                  {"\\/", "/"},
                  {"\\u00e9", "\xc3\xa9"},
                  {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
                  {"\xe4\xb8\xad", "\xe4\xb8\xad"},
                  {"0123456789abcdef", "0123456789abcdef"}};
    enum { NP = sizeof pieces / sizeof *pieces };
    mm_rng rng;
    mm_rng_seed(&rng, 14);
    for (int round = 0; round < 3000; round++) {
        char js[1024] = "{\"s\":\"", want[1024] = "";
        size_t jl = strlen(js), wl = 0;
        int n = (int)(mm_rng_next(&rng) % 24);
        for (int i = 0; i < n; i++) {
            size_t k = mm_rng_next(&rng) % NP;
            size_t a = strlen(pieces[k].json), b = strlen(pieces[k].text);
            memcpy(js + jl, pieces[k].json, a), jl += a;
            memcpy(want + wl, pieces[k].text, b), wl += b;
        }
        memcpy(js + jl, "\"}", 3), jl += 2;
        want[wl] = 0;
        mm_json_doc *d;
        mm_json *r;
        CHECK_EQ_INT(mm_json_parse(js, jl, &d, &r), MM_OK);
        const mm_json *v = mm_json_get(r, "s");
        CHECK(v && v->len == wl && !memcmp(v->str, want, wl));
        mm_json_doc_free(d);
    }
    const char *bad[] = {"\"abc\\",   "\"abc\\\"", "\"0123456789abcde\\",
                         "\"\\u12\"", "\"\\x\"",   "\"\\u12g4\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mm_json_doc *d;
        mm_json *r;
        CHECK_EQ_INT(mm_json_parse(bad[i], strlen(bad[i]), &d, &r), MM_ERR_FORMAT);
    }
}

TEST(json_parse_errors_name_offset) {
    const char *bad[] = {"{", "{\"a\":}", "[1,]", "\"abc", "{\"a\":1} x", "tru", "{\"a\" 1}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mm_json_doc *d;
        mm_json *r;
        CHECK_EQ_INT(mm_json_parse(bad[i], strlen(bad[i]), &d, &r), MM_ERR_FORMAT);
        CHECK(strstr(mm_error_detail(), "at byte") != NULL);
    }
    char deep[2000];
    memset(deep, '[', sizeof deep);
    mm_json_doc *d;
    mm_json *r;
    CHECK_EQ_INT(mm_json_parse(deep, sizeof deep, &d, &r), MM_ERR_FORMAT);
}

/* mm_json_members against the tree: the same strings for the wanted keys, and a refusal exactly
 * where mm_json_parse refuses. */
static void members_like_tree(const char *line) {
    static const char *const keys[3] = {"id", "text", "url"};
    mm_buf out[3] = {{0}};
    bool found[3];
    mm_err e = mm_json_members(line, strlen(line), keys, 3, out, found);
    mm_json_doc *doc = NULL;
    mm_json *root = NULL;
    mm_err te = mm_json_parse(line, strlen(line), &doc, &root);
    if (te == MM_OK && root->type != MM_JSON_OBJ) te = MM_ERR_FORMAT;
    if ((e == MM_OK) != (te == MM_OK)) printf("  members %d, tree %d: %s\n", e, te, line);
    CHECK_EQ_INT(e == MM_OK, te == MM_OK);
    for (int k = 0; e == MM_OK && te == MM_OK && k < 3; k++) {
        const mm_json *v = mm_json_get(root, keys[k]);
        bool str = v && v->type == MM_JSON_STR;
        CHECK_EQ_INT(found[k], str);
        if (str && found[k]) {
            CHECK_EQ_INT(out[k].len, v->len);
            CHECK(!memcmp(out[k].data, v->str, v->len) && out[k].data[v->len] == 0);
        }
    }
    mm_json_doc_free(doc);
    for (int k = 0; k < 3; k++)
        mm_buf_free(&out[k]);
}

TEST(json_members_like_tree) {
    const char *lines[] = {
        "{\"id\":\"a\",\"text\":\"x\\ny \\u00e9 \\ud83d\\ude00 \\\"q\\\"\",\"url\":\"u\"}",
        " { \"math\" : {\"inline\": 1, \"l\": [1, 2.5e3, -3, true, false, null, {\"a\": \"}\"}]},"
        " \"text\" : \"plain\" , \"id\": \"z\" } ",
        "{\"text\":\"first\",\"text\":\"second\"}",
        "{\"text\":1,\"text\":\"second\"}",
        "{\"t\\u0065xt\":\"escaped key\"}",
        "{\"text\":\"\"}",
        "{}",
        "[1, 2]",
        "\"text\"",
        "{\"text\":\"unterminated}",
        "{\"text\":\"bad escape \\q\"}",
        "{\"text\":\"short \\u12\"}",
        "{\"text\":\"x\"} trailing",
        "{\"text\":\"x\",}",
        "{\"n\": 1.2.3, \"text\":\"x\"}",
        "{\"n\": tru, \"text\":\"x\"}",
        "{\"a\": [1, 2, \"text\":\"x\"}",
        "{\"a\" 1}",
        "{\"id\":\"only id\"}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        members_like_tree(lines[i]);
    /* every prefix of a good line: refused or accepted as the tree does */
    const char *good = lines[1];
    char cut[512];
    for (size_t n = 0; n < strlen(good); n++) {
        memcpy(cut, good, n);
        cut[n] = 0;
        members_like_tree(cut);
    }
}

TEST(jw_builds_valid_json) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "n");
    mm_jw_int(&w, -5);
    mm_jw_key(&w, "l");
    mm_jw_arr_begin(&w);
    mm_jw_double(&w, 0.5);
    mm_jw_double(&w, NAN);
    mm_jw_string(&w, "q");
    mm_jw_arr_end(&w);
    mm_jw_obj_end(&w);
    CHECK_STR(b.data, "{\"n\":-5,\"l\":[0.5,null,\"q\"]}");
    mm_buf_free(&b);
}

TEST(zst_lines_roundtrip_and_atomic) {
    char path[512];
    snprintf(path, sizeof path, "%s/mm_common_%d.jsonl.zst", test_tmpdir(), (int)getpid());
    mm_out *o;
    CHECK_EQ_INT(mm_out_open(path, 3, &o), MM_OK);
    CHECK(!mm_file_done(path)); /* nothing visible before commit */
    for (int i = 0; i < 20000; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "line %d\n", i);
        mm_out_write(o, line, (size_t)n);
    }
    CHECK_EQ_INT(mm_out_commit(o), MM_OK);
    CHECK(mm_file_done(path));
    mm_lines *r;
    CHECK_EQ_INT(mm_lines_open(path, 0, &r), MM_OK);
    const char *l;
    size_t n;
    mm_err e;
    int count = 0, ok = 1;
    while (mm_lines_next(r, &l, &n, &e) == 1) {
        char want[64];
        snprintf(want, sizeof want, "line %d", count);
        if (strcmp(l, want)) ok = 0;
        count++;
    }
    CHECK_EQ_INT(e, MM_OK);
    CHECK_EQ_INT(count, 20000);
    CHECK(ok);
    mm_lines_close(r);
    unlink(path);
}

static bool exists(const char *dir, const char *name) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}
static void touch(const char *dir, const char *name) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
}

/* Opening an output removes the temps a dead run left for that name (and only for it: a live
 * process's and other names' stay).  The folder is listed once per process, so a temp that
 * appears after the first open in it is not looked for again (it can only be a live one's). */
TEST(stale_temps_removed_per_name) {
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0); /* a pid no process has now */
    char dir[512], name[256];
    snprintf(dir, sizeof dir, "%s/mm_stale_%d", test_tmpdir(), (int)getpid());
    mkdir(dir, 0755);
    const char *bases[3] = {"a.jsonl.zst", "b.tsv", "c.tsv"};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s.tmp.%d", bases[i], (int)child);
        touch(dir, name);
    }
    touch(dir, "a.jsonl.zst.tmp.1"); /* pid 1 is alive: kept */
    snprintf(name, sizeof name, "other.tmp.%d", (int)child);
    touch(dir, name);             /* no output of that name is opened: kept */
    for (int i = 0; i < 2; i++) { /* a and b */
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, bases[i]);
        mm_out *o;
        CHECK_EQ_INT(mm_out_open(path, 0, &o), MM_OK);
        mm_out_write(o, "x\n", 2);
        CHECK_EQ_INT(mm_out_commit(o), MM_OK);
        snprintf(name, sizeof name, "%s.tmp.%d", bases[i], (int)child);
        CHECK(!exists(dir, name));
        CHECK(exists(dir, bases[i]));
        if (i == 0) { /* made after the folder was listed: not seen by this process */
            snprintf(name, sizeof name, "b.tsv.tmp.%d.late", (int)child);
            touch(dir, name);
        }
    }
    snprintf(name, sizeof name, "b.tsv.tmp.%d.late", (int)child);
    CHECK(exists(dir, name));
    CHECK(exists(dir, "a.jsonl.zst.tmp.1"));
    snprintf(name, sizeof name, "other.tmp.%d", (int)child);
    CHECK(exists(dir, name));
    snprintf(name, sizeof name, "c.tsv.tmp.%d", (int)child);
    CHECK(exists(dir, name));
    char p[1024]; /* c's own removal still works through the listing */
    snprintf(p, sizeof p, "%s/c.tsv", dir);
    CHECK_EQ_INT(mm_remove_stale_temps(p), 1);
    CHECK(!exists(dir, name));
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* Count the lines of `path` and return the reader's final error. */
static mm_err count_lines(const char *path, int *count) {
    mm_lines *r;
    mm_err e = mm_lines_open(path, 0, &r);
    if (e != MM_OK) return e;
    const char *l;
    size_t n;
    *count = 0;
    while (mm_lines_next(r, &l, &n, &e) == 1)
        (*count)++;
    mm_lines_close(r);
    return e;
}

/* A .zst cut anywhere (inside the first block, mid-file, one byte short) or empty is an error
 * naming the file and byte, never a shorter valid-looking stream; the whole file reads fine. */
TEST(zst_cut_short_is_an_error) {
    char path[512], cut[560];
    snprintf(path, sizeof path, "%s/mm_cut_%d.jsonl.zst", test_tmpdir(), (int)getpid());
    snprintf(cut, sizeof cut, "%s/mm_cut_%d.part.zst", test_tmpdir(), (int)getpid());
    mm_out *o;
    CHECK_EQ_INT(mm_out_open(path, 1, &o), MM_OK);
    uint64_t rng = 1;
    for (int i = 0; i < 60000; i++) { /* pseudo-random text, so the frame spans many blocks */
        char line[64];
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int n = snprintf(line, sizeof line, "line %d %llx\n", i, (unsigned long long)rng);
        mm_out_write(o, line, (size_t)n);
    }
    CHECK_EQ_INT(mm_out_commit(o), MM_OK);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    char *all = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    CHECK(fread(all, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    int count;
    CHECK_EQ_INT(count_lines(path, &count), MM_OK);
    CHECK_EQ_INT(count, 60000);
    long cuts[] = {0, 20, size / 2, size - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        f = fopen(cut, "wb");
        fwrite(all, 1, (size_t)cuts[k], f);
        fclose(f);
        CHECK_EQ_INT(count_lines(cut, &count), MM_ERR_TRUNCATED);
        CHECK(strstr(mm_error_detail(), cut) != NULL);
        CHECK(strstr(mm_error_detail(), "byte") != NULL);
        if (cuts[k] < size - 8) CHECK(count < 60000); /* else only the checksum is cut */
    }
    free(all);
    unlink(cut);
    unlink(path);
}

/* A failure detail that wraps the previous detail (mm_fail(e, "%s: %s", x, mm_error_detail()))
 * comes out whole: the formatter must not read the buffer it writes. */
TEST(error_detail_wraps_itself) {
    mm_fail(MM_ERR_FORMAT, "vocab.json: byte 3: unexpected character");
    mm_fail(MM_ERR_FORMAT, "%s: %s", "ckpt/vocab.json", mm_error_detail());
    const char *d = mm_error_detail(); /* MM_DEBUG builds prefix each part with [file:line] */
    CHECK(strstr(d, "ckpt/vocab.json: ") != NULL);
    CHECK(strstr(d, "vocab.json: byte 3: unexpected character") != NULL);
    CHECK(strstr(d, "ckpt/vocab.json") < strstr(d, "byte 3"));
}

TEST(lines_skip_overlong) {
    char path[512];
    snprintf(path, sizeof path, "%s/mm_long_%d.txt", test_tmpdir(), (int)getpid());
    FILE *f = fopen(path, "w");
    fprintf(f, "a\n");
    for (int i = 0; i < 5000; i++)
        fputc('x', f);
    fprintf(f, "\nb\r\nc");
    fclose(f);
    mm_lines *r;
    CHECK_EQ_INT(mm_lines_open(path, 1000, &r), MM_OK);
    const char *l;
    size_t n;
    mm_err e;
    CHECK(mm_lines_next(r, &l, &n, &e) == 1 && !strcmp(l, "a"));
    CHECK(mm_lines_next(r, &l, &n, &e) == 1 && !strcmp(l, "b"));
    CHECK_EQ_INT(mm_lines_number(r), 3);
    CHECK(mm_lines_next(r, &l, &n, &e) == 1 && !strcmp(l, "c"));
    CHECK(mm_lines_next(r, &l, &n, &e) == 0);
    CHECK_EQ_INT(mm_lines_skipped_long(r), 1);
    mm_lines_close(r);
    unlink(path);
}

/* After the first document of doc_roundtrip_and_bad_lines: two broken lines named and
 * counted, one more document, the end. */
static void rest_of_docs(mm_doc_reader *r) {
    mm_doc got;
    mm_err e;
    CHECK_EQ_INT(mm_doc_reader_next(r, &got, &e), -1);
    CHECK(strstr(mm_error_detail(), "line 2") != NULL);
    CHECK_EQ_INT(mm_doc_reader_next(r, &got, &e), -1);
    CHECK_EQ_INT(mm_doc_reader_next(r, &got, &e), 1);
    CHECK_EQ_INT(mm_doc_reader_next(r, &got, &e), 0);
    CHECK_EQ_INT(mm_doc_reader_bad(r), 2);
    mm_doc_reader_close(r);
}

TEST(doc_roundtrip_and_bad_lines) {
    char path[512];
    snprintf(path, sizeof path, "%s/mm_docs_%d.jsonl", test_tmpdir(), (int)getpid());
    mm_buf b = {0};
    mm_doc d = {.id = "0001",
                .text = "x = $\\frac{1}{2}$\n\xe4\xb8\xad",
                .url = "http://a.b/c",
                .host = "a.b",
                .domain = "a.b",
                .lang = "en",
                .lang_score = 0.5,
                .math_json = "{\"inline\":1}",
                .warc_offset = 42};
    d.text_len = strlen(d.text);
    mm_doc_to_json(&b, &d);
    mm_buf_puts(&b, "{broken\n\n[1]\n");
    mm_doc_to_json(&b, &d);
    FILE *f = fopen(path, "w");
    fwrite(b.data, 1, b.len, f);
    fclose(f);
    mm_doc_reader *r;
    CHECK_EQ_INT(mm_doc_reader_open(path, &r), MM_OK);
    mm_doc got;
    mm_err e;
    int rc = mm_doc_reader_next(r, &got, &e);
    CHECK_EQ_INT(rc, 1);
    CHECK_STR(got.text, d.text);
    CHECK_STR(got.url, "http://a.b/c");
    CHECK_EQ_INT(got.warc_offset, 42);
    CHECK_STR(got.math_json, "{\"inline\":1}");
    rest_of_docs(r);
    /* the light reader: id, text, url and the raw line; the same lines refused */
    CHECK_EQ_INT(mm_doc_reader_open(path, &r), MM_OK);
    mm_doc_reader_light(r);
    CHECK_EQ_INT(mm_doc_reader_next(r, &got, &e), 1);
    CHECK_STR(got.text, d.text);
    CHECK_EQ_INT(got.text_len, d.text_len);
    CHECK_STR(got.id, "0001");
    CHECK_STR(got.url, "http://a.b/c");
    CHECK_STR(got.host, "");
    CHECK(got.raw_len > 0 && got.raw[0] == '{' && got.raw[got.raw_len - 1] == '}');
    rest_of_docs(r);
    mm_buf_free(&b);
    unlink(path);
}

static mm_err count_item(void *ctx, size_t i, int worker) {
    (void)worker;
    __atomic_fetch_add((long *)ctx, (long)i, __ATOMIC_RELAXED);
    return i == 7 ? MM_ERR_FORMAT : MM_OK;
}

TEST(pool_runs_every_item) {
    long sum = 0;
    CHECK_EQ_INT(mm_pool_run(100, 3, count_item, &sum), MM_ERR_FORMAT);
    CHECK_EQ_INT(sum, 4950);
}

TEST(stem_and_rng) {
    char s[256];
    mm_stem("/x/CC-MAIN-1.warc.gz", s, sizeof s);
    CHECK_STR(s, "CC-MAIN-1");
    mm_stem("a/b.jsonl.zst", s, sizeof s);
    CHECK_STR(s, "b");
    mm_rng r1, r2;
    mm_rng_seed(&r1, 5);
    mm_rng_seed(&r2, 5);
    CHECK(mm_rng_next(&r1) == mm_rng_next(&r2));
    CHECK(mm_hash64("abc", 3, 0) != mm_hash64("abd", 3, 0));
}

TEST(svg_written) {
    char path[512];
    snprintf(path, sizeof path, "%s/mm_svg_%d.svg", test_tmpdir(), (int)getpid());
    double y[] = {3, 2, 1.5, 1.2};
    mm_svg_series s = {"loss", NULL, y, 4};
    CHECK_EQ_INT(mm_svg_lines(path, "t<1>", "step", "loss", &s, 1), MM_OK);
    mm_buf b = {0};
    CHECK_EQ_INT(mm_read_file(path, &b), MM_OK);
    CHECK(strstr(b.data, "<polyline") && strstr(b.data, "t&lt;1&gt;"));
    mm_buf_free(&b);
    unlink(path);
}

TEST(strmap_and_idset) {
    mm_strmap *m = mm_strmap_create();
    int added;
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK_EQ_INT(mm_strmap_put(m, key, strlen(key), &added), i);
    }
    CHECK_EQ_INT(mm_strmap_put(m, "k77", 3, &added), 77);
    CHECK_EQ_INT(added, 0);
    CHECK_EQ_INT(mm_strmap_find(m, "k4999", 5), 4999);
    CHECK_EQ_INT(mm_strmap_find(m, "nope", 4), -1);
    CHECK_STR(mm_strmap_key(m, 12), "k12");
    mm_strmap_free(m);
    mm_u64set *s = mm_u64set_create();
    for (uint64_t v = 0; v < 10000; v += 3)
        mm_u64set_add(s, v * 0x9E3779B97F4A7C15ull);
    CHECK_EQ_INT(mm_u64set_size(s), 3334);
    CHECK(mm_u64set_has(s, 0));
    CHECK(mm_u64set_has(s, 9ull * 0x9E3779B97F4A7C15ull));
    CHECK(!mm_u64set_has(s, 10ull * 0x9E3779B97F4A7C15ull));
    mm_u64set_free(s);
}

/* Huge-page memory: zeroed, 2 MB-aligned from 2 MB up, writable to the last byte; small and
 * empty sizes work too. */
TEST(huge_alloc) {
    size_t sizes[] = {0, 1, 4096, (2u << 20) - 1, 2u << 20, (5u << 20) + 3};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        unsigned char *p = mm_huge_alloc(n);
        CHECK(p != NULL);
        if (!p) continue;
        if (n >= (2u << 20)) CHECK_EQ_INT((uintptr_t)p % (2u << 20), 0);
        size_t nonzero = 0;
        for (size_t i = 0; i < n; i += 997)
            nonzero += p[i] != 0;
        if (n) nonzero += p[n - 1] != 0;
        CHECK_EQ_INT(nonzero, 0);
        if (n) memset(p, 0xAB, n);
        mm_huge_free(p, n);
    }
}

/* Task blocks cover every input exactly once, in order, for any split; parse and env mapping. */
TEST(task_ranges_and_parse) {
    for (size_t n = 0; n < 40; n++)
        for (uint32_t count = 1; count < 12; count++) {
            size_t next = 0;
            for (uint32_t i = 0; i < count; i++) {
                mm_task t = {i, count};
                size_t lo, hi;
                mm_task_range(&t, n, &lo, &hi);
                CHECK(lo == next && hi >= lo && hi - lo <= n / count + 1);
                next = hi;
            }
            CHECK(next == n);
        }
    mm_task t;
    CHECK(mm_task_parse("3/8", &t) == MM_OK && t.index == 3 && t.count == 8);
    CHECK(mm_task_parse("8/8", &t) == MM_ERR_ARG);
    CHECK(mm_task_parse("1/0", &t) == MM_ERR_ARG);
    CHECK(mm_task_parse("x/2", &t) == MM_ERR_ARG);
    CHECK(mm_task_parse("1/2x", &t) == MM_ERR_ARG);
    setenv("SLURM_ARRAY_TASK_ID", "12", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "10", 1);
    setenv("SLURM_ARRAY_TASK_MAX", "14", 1);
    CHECK(mm_task_from_env(&t) == MM_OK && t.index == 2 && t.count == 5);
    unsetenv("SLURM_ARRAY_TASK_ID");
    CHECK(mm_task_from_env(&t) == MM_OK && t.count == 0);
    unsetenv("SLURM_ARRAY_TASK_MIN");
    unsetenv("SLURM_ARRAY_TASK_MAX");
    mm_inputs in = {0};
    CHECK(mm_inputs_add(&in, "https://h/", "a/b.gz") == MM_OK);
    CHECK(mm_inputs_add(&in, "/data", "c.gz") == MM_OK);
    CHECK(mm_inputs_add(&in, "/data", "/abs.gz") == MM_OK);
    CHECK(in.n == 3);
    if (in.n == 3) {
        CHECK_STR(in.v[0], "https://h/a/b.gz");
        CHECK_STR(in.v[1], "/data/c.gz");
        CHECK_STR(in.v[2], "/abs.gz");
    }
    mm_inputs_free(&in);
}

int main(void) {
    test_prog_ = "test_common";
    RUN(task_ranges_and_parse);
    RUN(json_escape_invalid_utf8);
    RUN(json_escape_every_position);
    RUN(json_parse_roundtrip);
    RUN(json_parse_string_pieces);
    RUN(json_parse_errors_name_offset);
    RUN(json_members_like_tree);
    RUN(jw_builds_valid_json);
    RUN(zst_lines_roundtrip_and_atomic);
    RUN(stale_temps_removed_per_name);
    RUN(lines_skip_overlong);
    RUN(zst_cut_short_is_an_error);
    RUN(error_detail_wraps_itself);
    RUN(doc_roundtrip_and_bad_lines);
    RUN(pool_runs_every_item);
    RUN(stem_and_rng);
    RUN(svg_written);
    RUN(strmap_and_idset);
    RUN(huge_alloc);
    return test_summary();
}
