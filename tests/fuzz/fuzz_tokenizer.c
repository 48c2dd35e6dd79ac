/* fuzz_tokenizer: loading vocab.json + merges.txt, and encoding arbitrary bytes.
 *
 * The first byte picks what the rest is:
 *   0  "VOCAB\n===\nMERGES\n===\nTEXT": load both files from memory; when they load, TEXT must
 *      round-trip and the fast encoder must agree with the reference
 *   1  "MERGES\n===\nTEXT": GPT-2's 256 byte tokens plus one token per merge line that names
 *      two known tokens — a vocabulary whose merges are whatever the input says
 *   2+ TEXT for a small tokenizer trained once on built-in text
 * Properties: no crash, no leak, decode(encode(x)) == x, encode == reference encode. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "rl/bpe_internal.h"
#include "rl/tokenizer.h"

static void check_text(const mm_tok *t, const char *s, size_t n) {
    mm_tok_enc *e;
    if (mm_tok_enc_create(t, &e) != MM_OK) return;
    mm_tok_ids a = {0}, b = {0};
    mm_buf out = {0};
    if (mm_tok_encode(e, s, n, &a) != MM_OK || bpe_encode_reference(t, s, n, &b) != MM_OK) abort();
    if (a.len != b.len || (a.len && memcmp(a.v, b.v, a.len * sizeof *a.v))) abort();
    if (mm_tok_decode(t, a.v, a.len, &out) != MM_OK) abort();
    if (out.len != n || (n && memcmp(out.data, s, n))) abort();
    mm_buf_free(&out);
    mm_tok_ids_free(&a);
    mm_tok_ids_free(&b);
    mm_tok_enc_free(e);
}

static const char *next_part(const char **p, const char *end, size_t *len) {
    const char *s = *p, *sep = memmem(s, (size_t)(end - s), "\n===\n", 5);
    *len = sep ? (size_t)(sep - s) : (size_t)(end - s);
    *p = sep ? sep + 5 : end;
    return s;
}

static void mode_files(const char *p, const char *end) {
    size_t vn, mn, tn;
    const char *v = next_part(&p, end, &vn), *m = next_part(&p, end, &mn);
    const char *t = next_part(&p, end, &tn);
    mm_tok *tok;
    if (mm_tok_load_mem(v, vn, m, mn, &tok) != MM_OK) return;
    check_text(tok, t, tn);
    mm_tok_free(tok);
}

/* vocab.json of the 256 byte tokens, then each merge line's concatenation as a new token. */
static void mode_merges(const char *p, const char *end) {
    size_t mn, tn;
    const char *m = next_part(&p, end, &mn), *t = next_part(&p, end, &tn);
    mm_buf v = {0};
    mm_buf_puts(&v, "{");
    for (unsigned b = 0; b < 256; b++) {
        char u[4];
        int k = mm_utf8_encode(bpe_byte_cp(b), u);
        mm_json_str(&v, u, (size_t)k);
        mm_buf_printf(&v, ":%u,", b);
    }
    unsigned id = 256;
    for (size_t i = 0; i < mn && id < 2000;) {
        const char *nl = memchr(m + i, '\n', mn - i);
        size_t e = nl ? (size_t)(nl - m) : mn;
        const char *sp = memchr(m + i, ' ', e - i);
        if (sp) { /* "A B" -> token "AB" (possibly a duplicate key: the loader must cope) */
            mm_buf cat = {0};
            mm_buf_append(&cat, m + i, (size_t)(sp - m - i));
            mm_buf_append(&cat, sp + 1, e - (size_t)(sp - m) - 1);
            mm_json_str(&v, cat.data ? cat.data : "", cat.len);
            mm_buf_printf(&v, ":%u,", id++);
            mm_buf_free(&cat);
        }
        i = e + 1;
    }
    mm_buf_printf(&v, "\"<|endoftext|>\":%u}", id);
    mm_tok *tok;
    if (mm_tok_load_mem(v.data, v.len, m, mn, &tok) == MM_OK) {
        check_text(tok, t, tn);
        mm_tok_free(tok);
    }
    mm_buf_free(&v);
}

static mm_tok *trained;
static const char *seed_text =
    "Let x be a real number with x^2 + 3x - 4 = 0. Then (x + 4)(x - 1) = 0, so x = 1 or x = -4.\n"
    "The sum of the first n odd numbers is n^2: 1 + 3 + 5 + ... + (2n - 1) = n^2.\n"
    "\xe5\xb0\x8f\xe6\x98\x8e\xe6\x9c\x89 12 \xe4\xb8\xaa\xe8\x8b\xb9\xe6\x9e\x9c\xef\xbc\x8c"
    "\xe5\x90\x83\xe4\xba\x86 5 \xe4\xb8\xaa\xef\xbc\x8c\xe8\xbf\x98\xe5\x89\xa9 7 "
    "\xe4\xb8\xaa\xe3\x80\x82 We'll see that it's true, isn't it? $\\frac{a}{b}$ \\sqrt{2}\n";

static void mode_trained(const char *p, const char *end) {
    if (!trained) {
        mm_tok_train_opts o = {.vocab = 300, .min_freq = 1, .threads = 1};
        mm_tok_trainer *tr;
        if (mm_tok_trainer_create(&o, &tr) != MM_OK) abort();
        size_t n = strlen(seed_text);
        const char *texts[1] = {seed_text};
        if (mm_tok_trainer_add(tr, texts, &n, 1) != MM_OK) abort();
        if (mm_tok_trainer_train(tr, &trained) != MM_OK) abort();
        mm_tok_trainer_free(tr);
    }
    check_text(trained, p, (size_t)(end - p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    if (data[0] == 0)
        mode_files(p, end);
    else if (data[0] == 1)
        mode_merges(p, end);
    else
        mode_trained(p, end);
    return 0;
}
