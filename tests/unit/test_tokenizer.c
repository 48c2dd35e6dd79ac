/* Unit tests for rl/tokenizer: GPT-2 pre-tokenisation rules, training, save/load, exact
 * round trips on real multilingual text and on invalid UTF-8, determinism, the fast encoder
 * against the plain reference, and loader errors that name the file and line. */
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/json.h"
#include "rl/bpe_internal.h"
#include "rl/tokenizer.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

/* Pre-tokens of s joined by '|'. */
static const char *split_str(const char *s) {
    static char out[1024];
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n;) {
        size_t j = mm_tok_split(s, n, i);
        if (i) out[o++] = '|';
        memcpy(out + o, s + i, j - i);
        o += j - i;
        i = j;
    }
    out[o] = 0;
    return out;
}

/* The "text"-like string fields of a JSONL file, joined with blank lines. */
static void jsonl_texts(const char *path, mm_buf *out, size_t max) {
    mm_buf raw = {0};
    if (mm_read_file(path, &raw) != MM_OK) {
        printf("  cannot read %s\n", path);
        return;
    }
    for (size_t i = 0; i < raw.len && out->len < max;) {
        const char *nl = memchr(raw.data + i, '\n', raw.len - i);
        size_t end = nl ? (size_t)(nl - raw.data) : raw.len;
        mm_json_doc *d;
        mm_json *r;
        if (mm_json_parse(raw.data + i, end - i, &d, &r) == MM_OK) {
            for (const mm_json *m = r->type == MM_JSON_OBJ ? r->child : NULL; m; m = m->next)
                if (m->type == MM_JSON_STR) {
                    mm_buf_append(out, m->str, m->len);
                    mm_buf_puts(out, "\n\n");
                }
            mm_json_doc_free(d);
        }
        i = end + 1;
    }
    mm_buf_free(&raw);
}

/* Maths in English and Chinese, LaTeX, and web articles in many languages. */
static mm_buf corpus;
static void load_corpus(void) {
    if (corpus.len) return;
    jsonl_texts(test_shared("benchmarks/gsm8k/train.jsonl"), &corpus, 1500000);
    size_t n = corpus.len;
    jsonl_texts(test_shared("benchmarks/cmath/cmath_dev.jsonl"), &corpus, n + 400000);
    n = corpus.len;
    jsonl_texts(test_shared("benchmarks/math/test.jsonl"), &corpus, n + 1000000);
    mm_buf gt = {0};
    if (mm_read_file(test_shared("testdata/article-extraction-benchmark/ground-truth.json"), &gt) ==
        MM_OK) {
        mm_json_doc *d;
        mm_json *r;
        if (mm_json_parse(gt.data, gt.len, &d, &r) == MM_OK) {
            for (const mm_json *a = r->child; a && corpus.len < n + 3000000; a = a->next) {
                const mm_json *b = mm_json_get(a, "articleBody");
                if (b && b->type == MM_JSON_STR) {
                    mm_buf_append(&corpus, b->str, b->len);
                    mm_buf_puts(&corpus, "\n\n");
                }
            }
            mm_json_doc_free(d);
        }
    }
    mm_buf_free(&gt);
}

static mm_tok *train(const char *text, size_t n, int vocab, int threads) {
    mm_tok_train_opts o = {.vocab = vocab, .min_freq = 2, .threads = threads};
    mm_tok_trainer *tr;
    if (mm_tok_trainer_create(&o, &tr) != MM_OK) return NULL;
    /* in pieces, so that several threads count */
    const char *ptr[64];
    size_t len[64], k = 0, step = n / 64 + 1;
    for (size_t i = 0; i < n && k < 64; i += step, k++) {
        ptr[k] = text + i;
        len[k] = n - i < step ? n - i : step;
    }
    mm_tok *t = NULL;
    if (mm_tok_trainer_add(tr, ptr, len, k) != MM_OK || mm_tok_trainer_train(tr, &t) != MM_OK)
        printf("  train: %s\n", mm_error_detail());
    mm_tok_trainer_free(tr);
    return t;
}

static mm_tok *shared_tok;
static mm_tok *get_tok(void) {
    if (!shared_tok) {
        load_corpus();
        shared_tok = train(corpus.data, corpus.len > 2500000 ? 2500000 : corpus.len, 4000, 2);
    }
    return shared_tok;
}

static int roundtrip(mm_tok *t, const char *s, size_t n, size_t *ntok) {
    mm_tok_enc *e;
    mm_tok_ids ids = {0};
    mm_buf out = {0};
    int ok = mm_tok_enc_create(t, &e) == MM_OK && mm_tok_encode(e, s, n, &ids) == MM_OK &&
             mm_tok_decode(t, ids.v, ids.len, &out) == MM_OK && out.len == n &&
             (n == 0 || !memcmp(out.data, s, n));
    if (ntok) *ntok = ids.len;
    mm_tok_enc_free(e);
    mm_tok_ids_free(&ids);
    mm_buf_free(&out);
    return ok;
}

static const char *tmp_dir(const char *name) {
    static char b[4][512];
    static int k;
    char *p = b[k++ & 3];
    snprintf(p, 512, "%s/mm_tok_%d_%s", test_tmpdir(), (int)getpid(), name);
    return p;
}

static void rm_tok_dir(const char *d) {
    char p[600];
    const char *f[] = {"vocab.json", "merges.txt", "tokenizer_config.json"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", d, f[i]);
        unlink(p);
    }
    rmdir(d);
}

/* ---------------------------------------------------------------- tests */

TEST(byte_table_is_gpt2s) {
    CHECK_EQ_INT(bpe_byte_cp('A'), 'A');
    CHECK_EQ_INT(bpe_byte_cp(' '), 0x120);  /* 'Ġ' */
    CHECK_EQ_INT(bpe_byte_cp('\n'), 0x10A); /* 'Ċ' */
    CHECK_EQ_INT(bpe_byte_cp(0), 0x100);
    CHECK_EQ_INT(bpe_byte_cp(0xAD), 0x143);
    CHECK_EQ_INT(bpe_byte_rank('!'), 0);
    CHECK_EQ_INT(bpe_byte_rank(0), 188);
    for (unsigned b = 0; b < 256; b++) {
        CHECK_EQ_INT(bpe_cp_byte(bpe_byte_cp(b)), b);
        CHECK_EQ_INT(bpe_rank_byte(bpe_byte_rank(b)), b);
    }
    CHECK_EQ_INT(bpe_cp_byte(0x20), -1);
    CHECK_EQ_INT(bpe_cp_byte(0x4E2D), -1);
}

TEST(unicode_classes) {
    CHECK_EQ_INT(bpe_class('a'), BPE_LETTER);
    CHECK_EQ_INT(bpe_class(0x4E2D), BPE_LETTER); /* 中 */
    CHECK_EQ_INT(bpe_class(0x3042), BPE_LETTER); /* あ */
    CHECK_EQ_INT(bpe_class(0xAC00), BPE_LETTER); /* 가 */
    CHECK_EQ_INT(bpe_class(0x0416), BPE_LETTER); /* Ж */
    CHECK_EQ_INT(bpe_class(0x05D0), BPE_LETTER); /* א */
    CHECK_EQ_INT(bpe_class(0x0663), BPE_NUMBER); /* Arabic-Indic 3 */
    CHECK_EQ_INT(bpe_class(0x00B2), BPE_NUMBER); /* ² */
    CHECK_EQ_INT(bpe_class(0x216B), BPE_NUMBER); /* Ⅻ */
    CHECK_EQ_INT(bpe_class(0x3000), BPE_SPACE);
    CHECK_EQ_INT(bpe_class(0x00A0), BPE_SPACE);
    CHECK_EQ_INT(bpe_class(0x0301), BPE_OTHER); /* combining acute: a mark, not a letter */
    CHECK_EQ_INT(bpe_class(0x1F600), BPE_OTHER);
    CHECK_EQ_INT(bpe_class('+'), BPE_OTHER);
}

/* Expected splits checked against Python's `regex` module with GPT-2's pattern. */
TEST(pretokenizer_follows_gpt2_pattern) {
    CHECK_STR(split_str("Hello world"), "Hello| world");
    CHECK_STR(split_str("don't"), "don|'t");
    CHECK_STR(split_str("we'll've"), "we|'ll|'ve");
    CHECK_STR(split_str("I'M"), "I|'|M");
    CHECK_STR(split_str("' s"), "'| s");
    CHECK_STR(split_str("a  b"), "a| | b");
    CHECK_STR(split_str("a\n\nb"), "a|\n|\n|b");
    CHECK_STR(split_str("x  "), "x|  ");
    CHECK_STR(split_str("  \t x"), "  \t| x");
    CHECK_STR(split_str("123abc"), "123|abc");
    CHECK_STR(split_str(" 3.14"), " 3|.|14");
    CHECK_STR(split_str("$x^2+1$"), "$|x|^|2|+|1|$");
    CHECK_STR(split_str("\xe4\xb8\xad\xe6\x96\x87"
                        "abc \xe6\x95\xb0\xe5\xad\xa6"),
              "中文abc| 数学");
    CHECK_STR(split_str("x\xc2\xb2\xc2\xbd \xe2\x85\xab"), "x|²½| Ⅻ");
    CHECK_STR(split_str("na\xc3\xafve\xcc\x81x"), "naïve|\xcc\x81|x");
    /* invalid UTF-8: each bad byte is an "other" character */
    CHECK_STR(split_str("ab\xff\xfe cd"), "ab|\xff\xfe| cd");
    CHECK_STR(split_str("\xe4\xb8x"), "\xe4\xb8|x");
    CHECK_STR(split_str(" \xed\xa0\x80"), " \xed\xa0\x80");
}

/* Splitting at mm_tok_safe_cut points gives the same pre-tokens as the whole text. */
TEST(safe_cuts_are_exact) {
    load_corpus();
    size_t n = corpus.len > 400000 ? 400000 : corpus.len, cuts = 0;
    const char *s = corpus.data;
    mm_buf whole = {0}, parts = {0};
    for (size_t i = 0; i < n; i = mm_tok_split(s, n, i))
        mm_buf_printf(&whole, "%zu,", i);
    for (size_t a = 0; a < n;) {
        size_t b = mm_tok_safe_cut(s, n, a + 997, a + 50000);
        cuts += b < n;
        for (size_t i = a; i < b; i = mm_tok_split(s, b, i))
            mm_buf_printf(&parts, "%zu,", i);
        a = b;
    }
    CHECK(cuts > 100);
    CHECK(whole.len == parts.len && !memcmp(whole.data, parts.data, whole.len));
    CHECK_EQ_INT(mm_tok_safe_cut("ab  cd", 6, 0, 6), 6);
    CHECK_EQ_INT(mm_tok_safe_cut("ab cd", 5, 0, 5), 2);
    CHECK_EQ_INT(mm_tok_safe_cut("\xe4\xb8\xad \xe6\x96\x87", 7, 0, 7), 7);
    mm_buf_free(&whole);
    mm_buf_free(&parts);
}

TEST(train_shape) {
    mm_tok *t = get_tok();
    CHECK(t != NULL);
    if (!t) return;
    CHECK_EQ_INT(mm_tok_vocab_size(t), 4000);
    CHECK_EQ_INT(mm_tok_eot(t), 3999);
    CHECK_EQ_INT(mm_tok_merges(t) >= 4000 - 257, 1);
    size_t n;
    const char *b = mm_tok_bytes(t, 3999, &n);
    CHECK(n == 13 && !memcmp(b, "<|endoftext|>", 13));
    b = mm_tok_bytes(t, 0, &n);
    CHECK(n == 1 && b[0] == '!');
    CHECK(mm_tok_bytes(t, 4000, &n) == NULL);
}

TEST(roundtrip_real_multilingual_text) {
    mm_tok *t = get_tok();
    if (!t) {
        CHECK(0);
        return;
    }
    size_t ntok = 0;
    CHECK(roundtrip(t, corpus.data, corpus.len, &ntok));
    CHECK(ntok > 0 && ntok < corpus.len / 2); /* it compresses */
    /* files as they are on disk (JSON escapes, Chinese, LaTeX) */
    const char *files[] = {"benchmarks/cmath/cmath_dev.jsonl", "benchmarks/mgsm_zh/mgsm_zh.jsonl",
                           "testdata/article-extraction-benchmark/ground-truth.json"};
    for (int i = 0; i < 3; i++) {
        mm_buf b = {0};
        if (mm_read_file(test_shared(files[i]), &b) != MM_OK) continue; /* a directory */
        CHECK(roundtrip(t, b.data, b.len > 4000000 ? 4000000 : b.len, NULL));
        mm_buf_free(&b);
    }
}

TEST(roundtrip_invalid_utf8_and_edge_cases) {
    mm_tok *t = get_tok();
    if (!t) {
        CHECK(0);
        return;
    }
    mm_rng r;
    mm_rng_seed(&r, 12345);
    printf("  random seed 12345\n");
    char buf[20000];
    for (int round = 0; round < 20; round++) {
        size_t n = (size_t)(mm_rng_next(&r) % sizeof buf);
        for (size_t i = 0; i < n; i++) {
            uint64_t x = mm_rng_next(&r);
            /* mostly bytes around UTF-8 lead/continuation values, spaces and apostrophes */
            static const char pick[] = " '\n\x80\xbf\xc2\xe4\xed\xf0\xf4\xff"
                                       "as1";
            buf[i] = (x & 1) ? (char)(x >> 8) : pick[(x >> 8) % (sizeof pick - 1)];
        }
        CHECK(roundtrip(t, buf, n, NULL));
    }
    const char *edge[] = {"",
                          " ",
                          "\n",
                          "'",
                          "''s",
                          "<|endoftext|>",
                          "\xf0\x9f\x98",
                          "\xc0\xaf",
                          "\xed\xa0\x80",
                          "\xf4\x90\x80\x80",
                          "   \xe3\x80\x80x"};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        CHECK(roundtrip(t, edge[i], strlen(edge[i]), NULL));
    char zeros[100] = {0};
    CHECK(roundtrip(t, zeros, sizeof zeros, NULL));
}

TEST(fast_encoder_equals_reference) {
    mm_tok *t = get_tok();
    if (!t) {
        CHECK(0);
        return;
    }
    mm_buf s = {0};
    mm_buf_append(&s, corpus.data, corpus.len > 600000 ? 600000 : corpus.len);
    /* long pre-tokens go through the heap merger */
    for (int i = 0; i < 300; i++)
        mm_buf_puts(&s, i % 7 ? "ab" : "a");
    mm_buf_puts(&s, " ");
    for (int i = 0; i < 200; i++)
        mm_buf_puts(&s, "1234567890" + i % 10);
    mm_buf_puts(&s, " ");
    for (int i = 0; i < 100; i++)
        mm_buf_puts(&s, "\xe6\x95\xb0\xe5\xad\xa6\xe9\xa2\x98"); /* 数学题 */
    for (int i = 0; i < 100; i++)
        mm_buf_puts(&s, "==--");
    /* a pre-token over 1 MB is merged in 1 MB pieces by both */
    mm_buf_puts(&s, " ");
    for (int i = 0; i < 530000; i++)
        mm_buf_puts(&s, "ab");
    mm_tok_enc *e;
    mm_tok_ids a = {0}, b = {0};
    CHECK_EQ_INT(mm_tok_enc_create(t, &e), MM_OK);
    CHECK_EQ_INT(mm_tok_encode(e, s.data, s.len, &a), MM_OK);
    CHECK_EQ_INT(bpe_encode_reference(t, s.data, s.len, &b), MM_OK);
    CHECK_EQ_INT(a.len, b.len);
    CHECK(a.len == b.len && !memcmp(a.v, b.v, a.len * sizeof *a.v));
    /* a second pass through the warm cache gives the same ids */
    a.len = 0;
    CHECK_EQ_INT(mm_tok_encode(e, s.data, s.len, &a), MM_OK);
    CHECK(a.len == b.len && !memcmp(a.v, b.v, a.len * sizeof *a.v));
    mm_tok_enc_free(e);
    mm_tok_ids_free(&a);
    mm_tok_ids_free(&b);
    mm_buf_free(&s);
}

TEST(token_counter_counts_what_encode_gives) {
    mm_tok *t = get_tok();
    CHECK(t != NULL);
    if (!t) return;
    void *c = mm_tok_counter_open(t);
    CHECK(c != NULL);
    if (!c) return;
    size_t n = corpus.len > 20000 ? 20000 : corpus.len;
    mm_tok_enc *e;
    mm_tok_ids ids = {0};
    CHECK_EQ_INT(mm_tok_enc_create(t, &e), MM_OK);
    CHECK_EQ_INT(mm_tok_encode(e, corpus.data, n, &ids), MM_OK);
    uint64_t k = 0;
    CHECK_EQ_INT(mm_tok_counter_count(c, corpus.data, n, &k), MM_OK);
    CHECK(k == ids.len && k > 0 && k < n); /* merges make fewer tokens than bytes */
    /* the counter reuses its ids: a second, shorter text counts alone */
    CHECK_EQ_INT(mm_tok_counter_count(c, "ab", 2, &k), MM_OK);
    CHECK(k >= 1 && k <= 2);
    CHECK_EQ_INT(mm_tok_counter_count(c, "", 0, &k), MM_OK);
    CHECK(k == 0);
    mm_tok_counter_close(c);
    mm_tok_counter_close(NULL);
    mm_tok_enc_free(e);
    mm_tok_ids_free(&ids);
}

static int same_file(const char *d1, const char *d2, const char *name) {
    char p1[600], p2[600];
    snprintf(p1, sizeof p1, "%s/%s", d1, name);
    snprintf(p2, sizeof p2, "%s/%s", d2, name);
    mm_buf a = {0}, b = {0};
    int same = mm_read_file(p1, &a) == MM_OK && mm_read_file(p2, &b) == MM_OK && a.len == b.len &&
               !memcmp(a.data, b.data, a.len);
    mm_buf_free(&a);
    mm_buf_free(&b);
    return same;
}

TEST(training_is_deterministic_and_save_load_roundtrips) {
    load_corpus();
    size_t n = corpus.len > 800000 ? 800000 : corpus.len;
    mm_tok *t1 = train(corpus.data, n, 1500, 1), *t2 = train(corpus.data, n, 1500, 2);
    if (!t1 || !t2) {
        CHECK(0);
        return;
    }
    const char *d1 = tmp_dir("a"), *d2 = tmp_dir("b");
    CHECK_EQ_INT(mm_tok_save(t1, d1), MM_OK);
    CHECK_EQ_INT(mm_tok_save(t2, d2), MM_OK);
    CHECK(same_file(d1, d2, "vocab.json"));
    CHECK(same_file(d1, d2, "merges.txt"));
    mm_tok *t3;
    CHECK_EQ_INT(mm_tok_load(d1, &t3), MM_OK);
    if (mm_error_detail()[0]) printf("  %s\n", mm_error_detail());
    CHECK_EQ_INT(mm_tok_vocab_size(t3), 1500);
    CHECK_EQ_INT(mm_tok_eot(t3), 1499);
    CHECK_EQ_INT(mm_tok_merges(t3), mm_tok_merges(t1));
    mm_tok_enc *e1, *e3;
    mm_tok_ids a = {0}, b = {0};
    mm_tok_enc_create(t1, &e1);
    mm_tok_enc_create(t3, &e3);
    CHECK_EQ_INT(mm_tok_encode(e1, corpus.data, corpus.len, &a), MM_OK);
    CHECK_EQ_INT(mm_tok_encode(e3, corpus.data, corpus.len, &b), MM_OK);
    CHECK(a.len == b.len && !memcmp(a.v, b.v, a.len * sizeof *a.v));
    mm_tok_enc_free(e1);
    mm_tok_enc_free(e3);
    mm_tok_ids_free(&a);
    mm_tok_ids_free(&b);
    mm_tok_free(t1);
    mm_tok_free(t2);
    mm_tok_free(t3);
    rm_tok_dir(d1);
    rm_tok_dir(d2);
}

TEST(tiny_corpus_stops_early) {
    mm_tok *t = train("aaaa bbbb", 9, 1000, 1);
    if (!t) {
        CHECK(0);
        return;
    }
    CHECK(mm_tok_vocab_size(t) < 270);
    CHECK_EQ_INT(mm_tok_eot(t), mm_tok_vocab_size(t) - 1);
    CHECK(roundtrip(t, "aaaa bbbb aaab", 14, NULL));
    mm_tok_free(t);
    mm_tok_train_opts o = {.vocab = 100, .threads = 1};
    mm_tok_trainer *tr;
    CHECK_EQ_INT(mm_tok_trainer_create(&o, &tr), MM_ERR_ARG);
}

/* A minimal valid vocabulary: the 256 bytes (ids in byte order here) + "ab" + eot. */
static void tiny_vocab(mm_buf *v, const char *extra) {
    mm_buf_puts(v, "{");
    for (unsigned b = 0; b < 256; b++) {
        char u[4];
        int k = mm_utf8_encode(bpe_byte_cp(b), u);
        mm_json_str(v, u, (size_t)k);
        mm_buf_printf(v, ":%u,", b);
    }
    mm_buf_printf(v, "\"ab\":256,\"<|endoftext|>\":257%s}", extra);
}

static mm_err load_tiny(const char *extra, const char *merges) {
    mm_buf v = {0};
    tiny_vocab(&v, extra);
    mm_tok *t = NULL;
    mm_err e = mm_tok_load_mem(v.data, v.len, merges, strlen(merges), &t);
    if (e == MM_OK) {
        CHECK_EQ_INT(mm_tok_vocab_size(t), 258);
        CHECK(roundtrip(t, "abab \xff", 6, NULL));
        mm_tok_ids ids = {0};
        mm_tok_enc *enc;
        mm_tok_enc_create(t, &enc);
        mm_tok_encode(enc, "abab", 4, &ids);
        CHECK_EQ_INT(ids.len, 2);
        CHECK_EQ_INT(ids.len ? ids.v[0] : 0, 256);
        uint32_t bad[2] = {1, 258};
        mm_buf out = {0};
        CHECK_EQ_INT(mm_tok_decode(t, bad, 2, &out), MM_ERR_ARG);
        CHECK(strstr(mm_error_detail(), "token 1") != NULL);
        mm_buf_free(&out);
        mm_tok_ids_free(&ids);
        mm_tok_enc_free(enc);
    }
    mm_tok_free(t);
    mm_buf_free(&v);
    return e;
}

TEST(loader_accepts_gpt2_files_and_names_errors) {
    CHECK_EQ_INT(load_tiny("", "#version: 0.2\na b\n"), MM_OK);
    CHECK_EQ_INT(load_tiny("", "a b\r\n"), MM_OK); /* no header, CRLF */
    CHECK_EQ_INT(load_tiny("", "#version: 0.2\na b\nx y z\n"), MM_ERR_FORMAT);
    CHECK(strstr(mm_error_detail(), "merges.txt: line 3") != NULL);
    CHECK_EQ_INT(load_tiny("", "#version: 0.2\nb c\n"), MM_ERR_FORMAT);
    CHECK(strstr(mm_error_detail(), "line 2") && strstr(mm_error_detail(), "not in vocab.json"));
    CHECK_EQ_INT(load_tiny(",\"zz\":3", "a b\n"), MM_ERR_FORMAT); /* id 3 twice */
    CHECK(strstr(mm_error_detail(), "vocab.json") != NULL);
    CHECK_EQ_INT(load_tiny(",\"zz\":900", "a b\n"), MM_ERR_FORMAT); /* id out of range */
    mm_tok *t;
    const char *v = "{\"a\":0,\"b\":1}";
    CHECK_EQ_INT(mm_tok_load_mem(v, strlen(v), "", 0, &t), MM_ERR_FORMAT);
    CHECK(strstr(mm_error_detail(), "no token for byte") != NULL);
    CHECK_EQ_INT(mm_tok_load_mem("[1]", 3, "", 0, &t), MM_ERR_FORMAT);
    CHECK_EQ_INT(mm_tok_load_mem("{\"a\":", 5, "", 0, &t), MM_ERR_FORMAT);
    CHECK(strstr(mm_error_detail(), "vocab.json") != NULL);
    CHECK_EQ_INT(mm_tok_load(tmp_dir("missing"), &t), MM_ERR_IO);
}

int main(void) {
    test_prog_ = "test_tokenizer";
    RUN(byte_table_is_gpt2s);
    RUN(unicode_classes);
    RUN(pretokenizer_follows_gpt2_pattern);
    RUN(safe_cuts_are_exact);
    RUN(train_shape);
    RUN(roundtrip_real_multilingual_text);
    RUN(roundtrip_invalid_utf8_and_edge_cases);
    RUN(fast_encoder_equals_reference);
    RUN(token_counter_counts_what_encode_gives);
    RUN(training_is_deterministic_and_save_load_roundtrips);
    RUN(tiny_corpus_stops_early);
    RUN(loader_accepts_gpt2_files_and_names_errors);
    mm_tok_free(shared_tok);
    mm_buf_free(&corpus);
    return test_summary();
}
