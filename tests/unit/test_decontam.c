/* Decontamination: the tokenizer, the n-gram / whole-text rules, and real benchmark questions and
 * answers (English and Chinese) hidden in real article texts with case, whitespace and
 * punctuation changed: every one must be caught, and clean articles must not be.
 * Random choices come from a seed (MM_SEED, else the time), printed first. */
#include <ctype.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/json.h"
#include "dedup/decontam.h"
#include "dedup/words.h"
#include "articles.h"
#include "test.h"

static const char *norm(const char *s) {
    static mm_buf b;
    mm_buf_clear(&b);
    mm_dedup_normalise(s, strlen(s), &b);
    return b.data ? b.data : "";
}

TEST(words) {
    CHECK_STR(norm("Hello,   World!\n\tIt's 3.5"), "hello world it s 3 5");
    CHECK_STR(norm("你好，world。數學"), "你 好 world 數 學");
    CHECK_STR(norm("ÉCOLE Straße ΑΒΓ"), "école straße αβγ");
    CHECK_STR(norm("ＡＢＣ１２３ x"), "abc123 x");
    CHECK_STR(norm("“quoted” — dash…end"), "quoted dash end");
    CHECK_STR(norm("$x^2+y_1$"), "x 2 y 1");
    CHECK_STR(norm("\xff\xfe bad"), "bad");
    uint64_t a[4], b[4];
    CHECK_EQ_INT(mm_dedup_words("Janet's DUCKS", 13, a, 4), 3);
    CHECK_EQ_INT(mm_dedup_words("janet s ducks", 13, b, 4), 3);
    CHECK(!memcmp(a, b, sizeof(uint64_t) * 3));
}

static size_t scan(const mm_decontam *d, const char *s, mm_decontam_match *m) {
    return mm_decontam_scan(d, s, strlen(s), m, 64);
}

TEST(rules) {
    mm_decontam *d;
    CHECK_EQ_INT(mm_decontam_create(10, &d), MM_OK);
    const char *longq =
        "Natalia sold clips to 48 of her friends in April and then she sold half as many";
    const char *shortq = "Compute the binomial coefficient eight choose four"; /* 7 words */
    mm_decontam_add_text(d, "t", longq, strlen(longq));
    mm_decontam_add_text(d, "t", shortq, strlen(shortq));
    mm_decontam_add_text(d, "t", "two words", 9);
    CHECK_EQ_INT(mm_decontam_build(d), MM_OK);
    mm_decontam_bench_info bi;
    mm_decontam_bench(d, 0, &bi);
    CHECK_EQ_INT(bi.texts, 2);
    CHECK_EQ_INT(bi.short_texts, 1);
    CHECK_EQ_INT(bi.too_short, 1);
    mm_decontam_match m[64];
    /* any 10-gram of the long text */
    CHECK_EQ_INT(scan(d, "blah: TO 48 of her friends, in april AND then she sold!! more", m), 1);
    CHECK_EQ_INT(m[0].len, 10);
    CHECK(!m[0].whole);
    CHECK_EQ_INT(m[0].doc_word, 1);
    mm_buf b = {0};
    mm_decontam_ngram(d, &m[0], &b);
    CHECK_STR(b.data, "to 48 of her friends in april and then she");
    /* 9 words of it are not enough */
    CHECK_EQ_INT(scan(d, "to 48 of her friends in april and then", m), 0);
    /* the short text whole, in other case and punctuation */
    CHECK_EQ_INT(scan(d, "we said: COMPUTE the binomial-coefficient (eight choose four)!", m), 1);
    CHECK(m[0].whole);
    /* ... but not a part of it */
    CHECK_EQ_INT(scan(d, "compute the binomial coefficient eight choose", m), 0);
    CHECK_EQ_INT(scan(d, "the binomial coefficient eight choose four", m), 0);
    /* a word glued to it is another word */
    CHECK_EQ_INT(scan(d, "xcompute the binomial coefficient eight choose four", m), 0);
    /* under 3 words: never */
    CHECK_EQ_INT(scan(d, "two words", m), 0);
    mm_buf_free(&b);
    mm_decontam_free(d);
    /* numbers and single letters alone are not used */
    CHECK_EQ_INT(mm_decontam_create(10, &d), MM_OK);
    const char *table = "1 2 3 4 5 6 7 8 9 10 11 12", *ans = "3, 5, 7",
               *sol = "so x = 4 and y = 5 hence";
    mm_decontam_add_text(d, "t", table, strlen(table));
    mm_decontam_add_text(d, "t", ans, strlen(ans));
    mm_decontam_add_text(d, "t", sol, strlen(sol));
    CHECK_EQ_INT(mm_decontam_build(d), MM_OK);
    mm_decontam_bench(d, 0, &bi);
    CHECK_EQ_INT(bi.trivial, 2);
    CHECK_EQ_INT(bi.texts, 1);
    CHECK_EQ_INT(scan(d, "see the table: 1 2 3 4 5 6 7 8 9 10 11 12", m), 0);
    CHECK_EQ_INT(scan(d, "primes 3, 5, 7 are odd", m), 0);
    CHECK_EQ_INT(scan(d, "So x = 4, and y = 5; hence...", m), 1);
    mm_buf_free(&b);
    mm_decontam_free(d);
}

/* ---- real benchmarks in real pages ---- */

/* Clean real pages: the benchmark's article texts over 200 bytes. */
static test_articles load_articles(void) {
    return test_articles_load(201);
}

/* Change case, whitespace and punctuation without joining or splitting words. */
static void perturb(const char *s, size_t n, mm_rng *r, mm_buf *out) {
    static const char punct[] = ",.;:!?\"'()-";
    mm_buf_clear(out);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        uint64_t x = mm_rng_next(r) % 100;
        if (isspace(ch)) {
            while (i + 1 < n && isspace((unsigned char)s[i + 1]))
                i++;
            const char *ws[] = {" ", "  ", "\n", "\t", " \n ", " , ", " ... "};
            mm_buf_puts(out, ws[mm_rng_next(r) % 7]);
        } else if (ch < 128 && ispunct(ch) && x < 50) {
            mm_buf_putc(out, punct[mm_rng_next(r) % (sizeof punct - 1)]);
        } else if (ch < 128 && isalpha(ch) && x < 30) {
            mm_buf_putc(out, (char)(isupper(ch) ? tolower(ch) : toupper(ch)));
        } else {
            mm_buf_putc(out, (char)ch);
        }
    }
}

/* Insert `ins` into page at a random whitespace position. */
static void insert(const char *page, const char *ins, mm_rng *r, mm_buf *out) {
    size_t n = strlen(page), at = mm_rng_next(r) % n;
    while (at < n && !isspace((unsigned char)page[at]))
        at++;
    mm_buf_clear(out);
    mm_buf_append(out, page, at);
    mm_buf_puts(out, " ");
    mm_buf_puts(out, ins);
    mm_buf_puts(out, " ");
    mm_buf_puts(out, page + at);
}

static uint64_t seed_;

TEST(real_benchmarks_in_real_pages) {
    test_articles pg = load_articles();
    CHECK(pg.n > 100);
    mm_decontam *d;
    CHECK_EQ_INT(mm_decontam_create(10, &d), MM_OK);
    CHECK_EQ_INT(mm_decontam_add_dir(d, test_shared("benchmarks")), MM_OK);
    CHECK_EQ_INT(mm_decontam_build(d), MM_OK);
    CHECK_EQ_INT(mm_decontam_nproblems(d), 0);
    for (size_t i = 0; i < mm_decontam_nproblems(d); i++)
        printf("  %s\n", mm_decontam_problem(d, i));
    mm_decontam_match m[64];
    /* clean pages stay */
    size_t clean_hits = 0;
    for (size_t i = 0; i < pg.n; i++)
        clean_hits += mm_decontam_scan(d, pg.text[i], strlen(pg.text[i]), m, 64) > 0;
    CHECK_EQ_INT(clean_hits, 0);
    /* every benchmark file, a few random texts each (zh: cmath, mgsm_zh, gaokao) */
    mm_rng r;
    mm_rng_seed(&r, seed_);
    uint32_t nt = mm_decontam_ntexts(d);
    mm_buf var = {0}, doc = {0};
    size_t tried = 0, caught = 0, zh = 0, shorts = 0;
    for (size_t b = 0; b < mm_decontam_nbench(d); b++) {
        uint32_t first = UINT32_MAX, last = 0;
        for (uint32_t t = 0; t < nt; t++) {
            mm_decontam_text_info ti;
            mm_decontam_text(d, t, &ti);
            if (ti.bench == b) {
                if (first == UINT32_MAX) first = t;
                last = t;
            }
        }
        if (first == UINT32_MAX) continue;
        for (int k = 0; k < 12; k++) {
            uint32_t t = first + (uint32_t)(mm_rng_next(&r) % (last - first + 1));
            mm_decontam_text_info ti;
            mm_decontam_text(d, t, &ti);
            if (!ti.used || ti.bench != b) continue;
            perturb(ti.text, ti.len, &r, &var);
            insert(pg.text[mm_rng_next(&r) % pg.n], var.data, &r, &doc);
            size_t nm = mm_decontam_scan(d, doc.data, doc.len, m, 64);
            bool hit = false;
            for (size_t j = 0; j < nm; j++)
                hit |= m[j].text == t;
            tried++;
            caught += hit;
            zh += (unsigned char)ti.text[0] >= 0xE0 || strstr(ti.text, "\xe7\x9a\x84") != NULL;
            shorts += ti.words < 10;
            if (!hit) {
                mm_decontam_bench_info bi;
                mm_decontam_bench(d, b, &bi);
                printf("  missed: %s item %llu field %s (%u words): %.120s\n", bi.file,
                       (unsigned long long)ti.item, ti.field, ti.words, var.data);
            }
        }
    }
    printf("  inserted %zu benchmark texts (%zu Chinese, %zu of 3-9 words): %zu caught\n", tried,
           zh, shorts, caught);
    CHECK(tried > 300);
    CHECK(zh > 30);
    CHECK_EQ_INT(caught, tried);
    mm_buf_free(&var);
    mm_buf_free(&doc);
    test_articles_free(&pg);
    mm_decontam_free(d);
}

/* Byte offset of word number k in s. */
static size_t ws_at(const char *s, uint64_t k) {
    const uint8_t *ws, *we;
    uint64_t h;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, s, strlen(s));
    for (uint64_t i = 0; mm_dedup_iter_next(&it, &h, &ws, &we); i++)
        if (i == k) return (size_t)(ws - (const uint8_t *)s);
    return 0;
}

/* Short MATH problems (3-9 words) count only as whole texts: every one found whole, none
 * found from all but its last word. */
TEST(short_math_only_whole) {
    mm_decontam *d;
    CHECK_EQ_INT(mm_decontam_create(10, &d), MM_OK);
    char spec[4200];
    snprintf(spec, sizeof spec, "math=%s", test_shared("benchmarks/math/test.jsonl"));
    CHECK_EQ_INT(mm_decontam_add_spec(d, spec), MM_OK);
    CHECK_EQ_INT(mm_decontam_build(d), MM_OK);
    test_articles pg = load_articles();
    mm_rng r;
    mm_rng_seed(&r, seed_ + 1);
    mm_decontam_match m[64];
    mm_buf doc = {0}, part = {0};
    size_t nshort = 0, whole_ok = 0, part_hits = 0;
    for (uint32_t t = 0; t < mm_decontam_ntexts(d); t++) {
        mm_decontam_text_info ti;
        mm_decontam_text(d, t, &ti);
        if (!ti.used || ti.words >= 10) continue;
        nshort++;
        const char *page = pg.text[mm_rng_next(&r) % pg.n];
        insert(page, ti.text, &r, &doc);
        size_t nm = mm_decontam_scan(d, doc.data, doc.len, m, 64);
        bool hit = false;
        for (size_t j = 0; j < nm; j++)
            hit |= m[j].text == t && m[j].whole;
        whole_ok += hit;
        /* all words but the last */
        const uint8_t *ws, *we, *cut = (const uint8_t *)ti.text;
        uint64_t h;
        mm_dedup_iter it;
        mm_dedup_iter_init(&it, ti.text, ti.len);
        for (uint32_t k = 0; k + 1 < ti.words && mm_dedup_iter_next(&it, &h, &ws, &we); k++)
            cut = we;
        mm_buf_clear(&part);
        mm_buf_append(&part, ti.text, (size_t)(cut - (const uint8_t *)ti.text));
        mm_buf_puts(&part, " qzxv"); /* so that the page's next word cannot complete it */
        insert(page, part.data, &r, &doc);
        nm = mm_decontam_scan(d, doc.data, doc.len, m, 64);
        for (size_t j = 0; j < nm; j++)
            if (m[j].text == t) {
                part_hits++;
                printf("  found from a part: [%s] in [...%.80s...]\n", part.data,
                       doc.data + (ws_at(doc.data, m[j].doc_word)));
            }
    }
    printf("  %zu short MATH texts: %zu found whole, %zu found from a part\n", nshort, whole_ok,
           part_hits);
    CHECK(nshort > 300);
    CHECK_EQ_INT(whole_ok, nshort);
    CHECK_EQ_INT(part_hits, 0);
    mm_buf_free(&doc);
    mm_buf_free(&part);
    test_articles_free(&pg);
    mm_decontam_free(d);
}

TEST(bad_benchmark_lines) {
    char path[4096];
    snprintf(path, sizeof path, "%s/mm-decontam-bad-%d.jsonl", test_tmpdir(), (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("{\"question\": \"one two three four five six seven eight nine ten eleven\"}\n"
          "{broken\n"
          "{\"answer\": \"no question here at all\"}\n"
          "\n"
          "{\"question\": \"alpha beta gamma delta\"}\n",
          f);
    fclose(f);
    mm_decontam *d;
    mm_decontam_create(10, &d);
    char spec[4200];
    snprintf(spec, sizeof spec, "mine=%s@question", path);
    CHECK_EQ_INT(mm_decontam_add_spec(d, spec), MM_OK);
    CHECK_EQ_INT(mm_decontam_nproblems(d), 2);
    CHECK(strstr(mm_decontam_problem(d, 0), ": line 2: ") != NULL);
    CHECK(strstr(mm_decontam_problem(d, 1), ": line 3: missing field \"question\"") != NULL);
    mm_decontam_bench_info bi;
    mm_decontam_bench(d, 0, &bi);
    CHECK_EQ_INT(bi.records, 3);
    CHECK_EQ_INT(bi.bad, 2);
    CHECK_EQ_INT(bi.texts, 2);
    CHECK_EQ_INT(mm_decontam_add_spec(d, "nosuchpreset=/nonexistent.jsonl"), MM_ERR_ARG);
    mm_decontam_free(d);
    remove(path);
}

/* The fuzz_bench seed 57609b63: a quoted CSV field holding a NUL byte, invalid UTF-8 and a
 * newline.  It is three words, "find a e", with one real word: at n = 3 that is an n-gram
 * without two real words, so the index does not use it (and a scan of it finds nothing, which is
 * right); at n = 4 it is a short text, used, and a scan of itself finds it whole. */
TEST(csv_nul_trivial_ngram) {
    static const char csv[] = "\"FInd\xdf\xe0\0a\x8d\x9a"
                              "e,\n`\"";
    char path[4096];
    snprintf(path, sizeof path, "%s/mm-decontam-nul-%d.csv", test_tmpdir(), (int)getpid());
    FILE *f = fopen(path, "wb");
    fwrite(csv, 1, sizeof csv - 1, f);
    fclose(f);
    char spec[4200];
    snprintf(spec, sizeof spec, "f=%s@0,1+2", path);
    for (int n = 3; n <= 4; n++) {
        mm_decontam *d;
        CHECK_EQ_INT(mm_decontam_create(n, &d), MM_OK);
        CHECK_EQ_INT(mm_decontam_add_spec(d, spec), MM_OK);
        CHECK_EQ_INT(mm_decontam_nproblems(d), 1);
        CHECK(strstr(mm_decontam_problem(d, 0), ": line 1: missing field \"1\"") != NULL);
        CHECK_EQ_INT(mm_decontam_build(d), MM_OK);
        CHECK_EQ_INT(mm_decontam_ntexts(d), 1);
        mm_decontam_text_info ti;
        mm_decontam_text(d, 0, &ti);
        CHECK_EQ_INT(ti.len, 14); /* the NUL and the bytes after it are kept */
        CHECK(!memcmp(ti.text,
                      "FInd\xdf\xe0\0a\x8d\x9a"
                      "e,\n`",
                      14));
        CHECK_EQ_INT(ti.words, 3);
        mm_buf b = {0};
        mm_dedup_normalise(ti.text, ti.len, &b);
        CHECK_STR(b.data, "find a e");
        mm_buf_free(&b);
        mm_decontam_bench_info bi;
        mm_decontam_bench(d, 0, &bi);
        mm_decontam_match m[4];
        size_t self = mm_decontam_scan(d, ti.text, ti.len, m, 4);
        if (n == 3) {
            CHECK(!ti.used);
            CHECK_EQ_INT(bi.trivial, 1);
            CHECK_EQ_INT(bi.texts, 0);
            CHECK_EQ_INT(mm_decontam_keys(d), 0);
            CHECK_EQ_INT(self, 0);
        } else {
            CHECK(ti.used);
            CHECK_EQ_INT(bi.short_texts, 1);
            CHECK_EQ_INT(self, 1);
            CHECK(m[0].whole);
            CHECK_EQ_INT(scan(d, "we FIND: a, e!", m), 1);
            CHECK_EQ_INT(scan(d, "find a", m), 0);
        }
        mm_decontam_free(d);
    }
    remove(path);
}

/* The fast word iterator against the byte-by-byte reference over text[0..n): same words, same
 * bounds, same hashes; and every word's hash is the hash of its normalised form.  Returns the
 * number of words, or -1 at the first difference. */
static long fast_equals_ref(const char *text, size_t n) {
    const uint8_t *q = (const uint8_t *)text, *end = q + n, *ws, *we, *ws2, *we2;
    uint64_t h, h2;
    long k = 0;
    mm_buf nb = {0};
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, text, n);
    for (;; k++) {
        int a = mm_dedup_iter_next(&it, &h, &ws, &we);
        int b = mm_dedup_word_next_ref(&q, end, &h2, &ws2, &we2);
        if (a != b || (a && (h != h2 || ws != ws2 || we != we2))) {
            printf("  word %ld differs at byte %ld: fast [%.*s] ref [%.*s]\n", k,
                   (long)(ws2 - (const uint8_t *)text), a ? (int)(we - ws) : 0,
                   a ? (const char *)ws : "", b ? (int)(we2 - ws2) : 0, b ? (const char *)ws2 : "");
            mm_buf_free(&nb);
            return -1;
        }
        if (!a) break;
        mm_buf_clear(&nb);
        mm_dedup_normalise((const char *)ws, (size_t)(we - ws), &nb);
        const uint8_t *r = (const uint8_t *)nb.data, *rend = r + nb.len, *x, *y;
        uint64_t hn;
        if (!nb.len || !mm_dedup_word_next_ref(&r, rend, &hn, &x, &y) || hn != h) {
            printf("  word %ld [%.*s]: hash differs from its normalised form's\n", k,
                   (int)(we - ws), ws);
            mm_buf_free(&nb);
            return -1;
        }
    }
    mm_buf_free(&nb);
    return k;
}

/* The SSE2 fast path of the word iterator gives what the plain reference gives: on real English
 * and Chinese texts, and on random mixes of ASCII words, long words, punctuation, UTF-8 letters,
 * CJK and invalid bytes placed across the 32-byte windows. */
TEST(fast_words_equal_reference) {
    test_articles pg = load_articles();
    CHECK(pg.n > 100);
    long words = 0;
    for (size_t i = 0; i < pg.n; i++) {
        long k = fast_equals_ref(pg.text[i], strlen(pg.text[i]));
        CHECK(k >= 0);
        if (k < 0) break;
        words += k;
    }
    mm_buf f = {0};
    CHECK_EQ_INT(mm_read_file(test_shared("benchmarks/cmath_test/test.jsonl"), &f), MM_OK);
    long zh = fast_equals_ref(f.data, f.len);
    CHECK(zh > 1000);
    mm_buf_free(&f);
    static const char *const parts[] = {"a",
                                        "Bc",
                                        "x1",
                                        "ABCDEFGH",
                                        "abcdefghi",
                                        "0123456789abcdef",
                                        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
                                        " ",
                                        "  ",
                                        ",",
                                        "'",
                                        "\n",
                                        "é",
                                        "École",
                                        "Ω",
                                        "数",
                                        "学",
                                        "\xe2\x80\x99",
                                        "—",
                                        "\xff",
                                        "\xc3",
                                        "ＡＢ",
                                        "x\xc3\xa9y",
                                        "z"};
    size_t np = sizeof parts / sizeof *parts;
    mm_rng r;
    mm_rng_seed(&r, seed_ + 7);
    mm_buf t = {0};
    long mixed = 0;
    for (int round = 0; round < 3000; round++) {
        mm_buf_clear(&t);
        size_t len = 1 + mm_rng_next(&r) % 200;
        while (t.len < len)
            mm_buf_puts(&t, parts[mm_rng_next(&r) % np]);
        long k = fast_equals_ref(t.data, t.len);
        CHECK(k >= 0);
        if (k < 0) break;
        mixed += k;
    }
    printf("  %ld article words, %ld Chinese benchmark words, %ld words of random mixes: same\n",
           words, zh, mixed);
    mm_buf_free(&t);
    test_articles_free(&pg);
}

/* The scan against a plain reference: every window of a document's words compared with every
 * n-gram and every short text, word hash by word hash.  Documents mix benchmark words with
 * others, so runs of benchmark words (the vocabulary filter) start and break everywhere, and
 * carry pasted pieces of the texts; the set of texts found must be the same. */
static bool ref_has(const uint64_t *doc, size_t m, const uint64_t *t, size_t k, size_t len) {
    for (size_t s = 0; s + len <= k; s++)
        for (size_t p = 0; p + len <= m; p++)
            if (!memcmp(doc + p, t + s, len * sizeof *t)) return true;
    return false;
}

TEST(scan_equals_reference) {
    static const char *vocab[] = {"apples", "bought",  "chickens", "dollars", "eggs",    "farmer",
                                  "gives",  "half",    "items",    "joins",   "kept",    "left",
                                  "more",   "numbers", "oranges",  "pays",    "quarter", "sells"};
    static const char *other[] = {"zebra", "xylophone", "quokka", "yonder", "vortex"};
    enum { NV = sizeof vocab / sizeof *vocab, NO = sizeof other / sizeof *other, NT = 40 };
    mm_rng r;
    mm_rng_seed(&r, seed_);
    mm_decontam *d;
    CHECK_EQ_INT(mm_decontam_create(10, &d), MM_OK);
    uint64_t tw[NT][24];
    size_t tk[NT], tv[NT][24]; /* each text's words: hashes, vocabulary indices */
    mm_buf t = {0}, doc = {0};
    for (int i = 0; i < NT; i++) {
        tk[i] = 3 + mm_rng_next(&r) % 22;
        mm_buf_clear(&t);
        for (size_t j = 0; j < tk[i]; j++) {
            tv[i][j] = mm_rng_next(&r) % NV;
            mm_buf_printf(&t, "%s ", vocab[tv[i][j]]);
        }
        mm_dedup_words(t.data, t.len, tw[i], 24);
        mm_decontam_add_text(d, "t", t.data, t.len);
    }
    CHECK_EQ_INT(mm_decontam_build(d), MM_OK);
    uint64_t dw[1024];
    long found = 0, docs = 300;
    for (long n = 0; n < docs; n++) {
        mm_buf_clear(&doc);
        size_t m = 20 + mm_rng_next(&r) % 200;
        for (size_t j = 0; j < m; j++) {
            if (mm_rng_uniform(&r) < 0.02) { /* a piece of a text, or all of it */
                int i = (int)(mm_rng_next(&r) % NT);
                size_t len = 3 + mm_rng_next(&r) % 12, s;
                if (len > tk[i]) len = tk[i];
                s = mm_rng_next(&r) % (tk[i] - len + 1);
                for (size_t q = 0; q < len; q++)
                    mm_buf_printf(&doc, "%s, ", vocab[tv[i][s + q]]);
            }
            const char *word = mm_rng_uniform(&r) < 0.7 ? vocab[mm_rng_next(&r) % NV]
                                                        : other[mm_rng_next(&r) % NO];
            mm_buf_printf(&doc, j % 7 ? "%s " : "%s. ", word);
        }
        size_t dn = mm_dedup_words(doc.data, doc.len, dw, 1024);
        CHECK(dn <= 1024); /* at most ~300 words */
        mm_decontam_match got[64];
        size_t ng = mm_decontam_scan(d, doc.data, doc.len, got, 64);
        bool want[NT] = {0}, have[NT] = {0};
        size_t nwant = 0;
        for (int i = 0; i < NT; i++) {
            want[i] = ref_has(dw, dn, tw[i], tk[i], tk[i] < 10 ? tk[i] : 10);
            nwant += want[i];
        }
        for (size_t g = 0; g < ng; g++)
            have[got[g].text] = true;
        bool same = ng == nwant;
        for (int i = 0; i < NT; i++)
            same = same && want[i] == have[i];
        if (!same)
            printf("  doc %ld (seed %llu): scan found %zu texts, the reference %zu\n", n,
                   (unsigned long long)seed_, ng, nwant);
        CHECK(same);
        found += ng > 0;
    }
    printf("  %ld of %ld documents contaminated, every one as the reference says\n", found, docs);
    CHECK(found > 10 && found < docs); /* both kinds were tried */
    mm_buf_free(&t);
    mm_buf_free(&doc);
    mm_decontam_free(d);
}

int main(void) {
    test_prog_ = "test_decontam";
    seed_ = test_seed();
    RUN(words);
    RUN(fast_words_equal_reference);
    RUN(rules);
    RUN(real_benchmarks_in_real_pages);
    RUN(short_math_only_whole);
    RUN(bad_benchmark_lines);
    RUN(csv_nul_trivial_ngram);
    RUN(scan_equals_reference);
    return test_summary();
}
