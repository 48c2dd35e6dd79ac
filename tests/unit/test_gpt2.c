/* Unit tests for the GPT-2 model: every fast kernel against its plain reference, safetensors
 * round trips and bad headers, checkpoints, generation, and the PyTorch parity check
 * (tests/py/gpt2_reference.py: logits, loss, every gradient and a few AdamW steps). */
#include <stdint.h>
#include <unistd.h>

#include <omp.h>

#include "common/hash.h"
#include "rl/gpt2.h"
#include "rl/gpt2_kern.h"
#include "rl/safetensors.h"
#include "test.h"

static void fill(float *x, size_t n, uint64_t seed, float scale) {
    mm_rng r;
    mm_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(mm_rng_uniform(&r) * 2 - 1) * scale;
}

/* max|a-b| / max|b| */
static double relmax(const float *a, const float *b, size_t n) {
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        d = e > d || isnan(e) ? e : d;
        m = fabs(b[i]) > m ? fabs(b[i]) : m;
    }
    return d / (m > 0 ? m : 1);
}

static float *fl(size_t n) {
    return calloc(n ? n : 1, sizeof(float));
}

TEST(kernel_matmul) {
    int N = 37, C = 29, OC = 51;
    float *in = fl(N * C), *w = fl(C * OC), *b = fl(OC), *o1 = fl(N * OC), *o2 = fl(N * OC);
    float *dout = fl(N * OC), *di1 = fl(N * C), *di2 = fl(N * C), *dw1 = fl(C * OC),
          *dw2 = fl(C * OC);
    float *db1 = fl(OC), *db2 = fl(OC);
    fill(in, N * C, 1, 1), fill(w, C * OC, 2, 0.5f), fill(b, OC, 3, 0.1f), fill(dout, N * OC, 4, 1);
    fill(dw1, C * OC, 5, 1), memcpy(dw2, dw1, C * OC * sizeof(float));
    mm_gk_matmul_fwd(o1, in, w, b, N, C, OC);
    mm_gk_matmul_fwd_ref(o2, in, w, b, N, C, OC);
    CHECK(relmax(o1, o2, N * OC) < 1e-5);
    mm_gk_matmul_bwd(di1, dw1, db1, dout, in, w, N, C, OC);
    mm_gk_matmul_bwd_ref(di2, dw2, db2, dout, in, w, N, C, OC);
    CHECK(relmax(di1, di2, N * C) < 1e-5);
    CHECK(relmax(dw1, dw2, C * OC) < 1e-5);
    CHECK(relmax(db1, db2, OC) < 1e-5);
    free(in), free(w), free(b), free(o1), free(o2), free(dout), free(di1), free(di2), free(dw1),
        free(dw2), free(db1), free(db2);
}

TEST(kernel_layernorm) {
    int N = 23, C = 70;
    float *x = fl(N * C), *w = fl(C), *b = fl(C), *o1 = fl(N * C), *o2 = fl(N * C);
    float *m1 = fl(N), *m2 = fl(N), *r1 = fl(N), *r2 = fl(N), *dy = fl(N * C);
    float *dx1 = fl(N * C), *dx2 = fl(N * C), *dw1 = fl(C), *dw2 = fl(C), *db1 = fl(C),
          *db2 = fl(C);
    fill(x, N * C, 7, 3), fill(w, C, 8, 1), fill(b, C, 9, 1), fill(dy, N * C, 10, 1);
    mm_gk_layernorm_fwd(o1, m1, r1, x, w, b, N, C);
    mm_gk_layernorm_fwd_ref(o2, m2, r2, x, w, b, N, C);
    CHECK(relmax(o1, o2, N * C) < 1e-5);
    CHECK(relmax(r1, r2, N) < 1e-5);
    mm_gk_layernorm_bwd(dx1, dw1, db1, dy, x, w, m1, r1, N, C);
    mm_gk_layernorm_bwd_ref(dx2, dw2, db2, dy, x, w, m2, r2, N, C);
    CHECK(relmax(dx1, dx2, N * C) < 1e-5);
    CHECK(relmax(dw1, dw2, C) < 1e-5);
    CHECK(relmax(db1, db2, C) < 1e-5);
    free(x), free(w), free(b), free(o1), free(o2), free(m1), free(m2), free(r1), free(r2), free(dy),
        free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
}

TEST(kernel_gelu) {
    size_t n = 10007;
    float *x = fl(n), *o1 = fl(n), *o2 = fl(n), *dy = fl(n), *d1 = fl(n), *d2 = fl(n);
    fill(x, n, 11, 6), fill(dy, n, 12, 1);
    mm_gk_gelu_fwd(o1, x, n);
    mm_gk_gelu_fwd_ref(o2, x, n);
    CHECK(relmax(o1, o2, n) < 1e-6);
    mm_gk_gelu_bwd(d1, x, dy, n);
    mm_gk_gelu_bwd_ref(d2, x, dy, n);
    CHECK(relmax(d1, d2, n) < 1e-5);
    free(x), free(o1), free(o2), free(dy), free(d1), free(d2);
}

static void attention_case(int B, int T, int D, int H) {
    size_t nq = (size_t)B * T * 3 * D, no = (size_t)B * T * D, na = (size_t)B * H * T * T;
    float *qkv = fl(nq), *o1 = fl(no), *o2 = fl(no), *a1 = fl(na), *a2 = fl(na), *dy = fl(no);
    float *d1 = fl(nq), *d2 = fl(nq);
    fill(qkv, nq, 13, 2), fill(dy, no, 14, 1);
    mm_gk_attention_fwd(o1, a1, qkv, B, T, D, H);
    mm_gk_attention_fwd_ref(o2, a2, qkv, B, T, D, H);
    CHECK(relmax(o1, o2, no) < 1e-5);
    mm_gk_attention_bwd(d1, dy, qkv, a1, B, T, D, H);
    mm_gk_attention_bwd_ref(d2, dy, qkv, a2, B, T, D, H);
    CHECK(relmax(d1, d2, nq) < 1e-5);
    free(qkv), free(o1), free(o2), free(a1), free(a2), free(dy), free(d1), free(d2);
}

TEST(kernel_attention) {
    attention_case(2, 9, 24, 3);   /* one causal block */
    attention_case(1, 150, 16, 2); /* several blocks, a partial last one */
}

TEST(safetensors_roundtrip_and_bad_headers) {
    char path[512];
    snprintf(path, sizeof path, "%s/mm_st_%d.safetensors", test_tmpdir(), (int)getpid());
    float a[6] = {1, 2, 3, 4, 5, 6}, b[1] = {-1};
    mm_st_entry e[2] = {{"a.weight", 2, {2, 3}, a}, {"b", 1, {1}, b}};
    const char *meta[] = {"k", "v"};
    CHECK_EQ_INT(mm_st_write(path, e, 2, meta, 1), MM_OK);
    mm_st *st;
    CHECK_EQ_INT(mm_st_open(path, &st), MM_OK);
    if (st) {
        CHECK_EQ_INT(mm_st_count(st), 2);
        const mm_st_tensor *t = mm_st_find(st, "a.weight");
        float got[6];
        CHECK(t && t->ndim == 2 && t->shape[1] == 3);
        CHECK(t && mm_st_read_f32(t, got, 6) == MM_OK && got[5] == 6);
        CHECK(t && mm_st_read_f32(t, got, 5) == MM_ERR_MISMATCH);
        CHECK_STR(mm_st_meta(st, "k"), "v");
        mm_st_free(st);
    }
    unlink(path);
    /* golden bad headers: each must fail cleanly */
    const char *bad[] = {
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", /* size mismatch */
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", /* past the data */
        "{\"x\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}",  /* dtype */
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",   /* overlap */
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", /* shape */
        "[1,2]",
        "{\"x\":",
        ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        unsigned char buf[256] = {0};
        size_t h = strlen(bad[i]);
        buf[0] = (unsigned char)h;
        memcpy(buf + 8, bad[i], h);
        CHECK(mm_st_parse(buf, 8 + h + 4, &st) != MM_OK);
    }
    unsigned char huge[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    CHECK(mm_st_parse(huge, 8, &st) != MM_OK);
    CHECK(mm_st_parse(huge, 3, &st) == MM_ERR_TRUNCATED);
}

static const mm_gpt_config small = {.vocab = 67, .ctx = 16, .layers = 2, .heads = 2, .dim = 24};

TEST(checkpoint_roundtrip_and_mismatch) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/mm_gpt_ck_%d", test_tmpdir(), (int)getpid());
    mm_gpt *m, *l = NULL;
    CHECK_EQ_INT(mm_gpt_create(&small, 5, &m), MM_OK);
    CHECK_EQ_INT(mm_gpt_save(m, dir), MM_OK);
    CHECK_EQ_INT(mm_gpt_save(m, dir), MM_OK); /* replaces the previous one */
    CHECK_EQ_INT(mm_gpt_load(dir, &l), MM_OK);
    size_t n1, n2;
    float *p1 = mm_gpt_params(m, &n1), *p2 = l ? mm_gpt_params(l, &n2) : NULL;
    CHECK(p2 && n1 == n2 && !memcmp(p1, p2, n1 * sizeof(float)));
    CHECK_STR(mm_gpt_tensor_at(m, 2)->name, "h.0.ln_1.weight");
    CHECK_EQ_INT(mm_gpt_tensor_at(m, 4)->shape[1], 3 * small.dim);
    /* a config.json that does not fit the tensors */
    char cfg[600], cmd[1400];
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(cmd, sizeof cmd, "sed -i 's/\"n_embd\": 24/\"n_embd\": 32/' %s", cfg);
    CHECK_EQ_INT(system(cmd), 0);
    mm_gpt *bad = NULL;
    CHECK_EQ_INT(mm_gpt_load(dir, &bad), MM_ERR_MISMATCH);
    CHECK(strstr(mm_error_detail(), "wte.weight") != NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
    mm_gpt_free(m);
    mm_gpt_free(l);
}

TEST(generate_matches_forward) {
    /* Greedy generation with the KV cache must pick the argmax of a full forward pass. */
    mm_gpt *m;
    CHECK_EQ_INT(mm_gpt_create(&small, 9, &m), MM_OK);
    int32_t p0[3] = {1, 2, 3}, p1[5] = {7, 8, 9, 10, 11};
    const int32_t *prompts[2] = {p0, p1};
    int plen[2] = {3, 5}, olen[2];
    int32_t o0[8], o1[8], *outs[2] = {o0, o1};
    float l0[8], l1[8], *lps[2] = {l0, l1};
    mm_sample_opts o = {
        .temperature = 0, .top_p = 1, .seed = 1, .max_new_tokens = 6, .stop_token = -1};
    CHECK_EQ_INT(mm_gpt_generate(m, 2, prompts, plen, &o, outs, olen, lps), MM_OK);
    CHECK_EQ_INT(olen[0], 6);
    int32_t seq[16];
    memcpy(seq, p1, sizeof p1);
    memcpy(seq + 5, o1, 6 * sizeof *o1);
    const float *logits;
    CHECK_EQ_INT(mm_gpt_forward(m, seq, 1, 11, &logits), MM_OK);
    for (int t = 4; t < 10; t++) {
        const float *r = logits + (size_t)t * small.vocab;
        int best = 0;
        double mx = r[0], s = 0;
        for (int i = 1; i < small.vocab; i++)
            if (r[i] > r[best]) best = i, mx = r[i];
        for (int i = 0; i < small.vocab; i++)
            s += exp(r[i] - mx);
        CHECK_EQ_INT(best, seq[t + 1]);
        CHECK_NEAR(l1[t - 4], r[best] - mx - log(s), 1e-4);
    }
    /* sampling is reproducible for a seed, and top_k = 1 is greedy */
    int32_t a0[8], a1[8], *outs2[2] = {a0, a1};
    mm_sample_opts s = {
        .temperature = 1, .top_k = 1, .top_p = 1, .seed = 3, .max_new_tokens = 6, .stop_token = -1};
    CHECK_EQ_INT(mm_gpt_generate(m, 2, prompts, plen, &s, outs2, olen, NULL), MM_OK);
    CHECK(!memcmp(a1, o1, 6 * sizeof *a1));
    mm_gpt_free(m);
}

static void add_tensor_entries(mm_gpt *m, mm_st_entry *e, size_t *n, const char *prefix, int grads,
                               char names[][64]) {
    const mm_gpt_tensor *t;
    for (size_t i = 0; (t = mm_gpt_tensor_at(m, i)); i++) {
        snprintf(names[*n], 64, "%s%s", prefix, t->name);
        float *c = malloc(t->size * sizeof *c); /* a snapshot: the model changes later */
        memcpy(c, grads ? t->grad : t->data, t->size * sizeof *c);
        e[*n] = (mm_st_entry){names[*n], t->ndim, {t->shape[0], t->shape[1]}, c};
        (*n)++;
    }
}

TEST(pytorch_parity) {
    const char *py = "/usr/bin/python3";
    if (access(py, X_OK)) {
        printf("  no %s\n", py);
        CHECK(0);
        return;
    }
    char dir[512], io[600], cmd[2048];
    snprintf(dir, sizeof dir, "%s/mm_gpt_ref_%d", test_tmpdir(), (int)getpid());
    snprintf(io, sizeof io, "%s.io.safetensors", dir);
    mm_gpt_config cfg = {.vocab = 97, .ctx = 16, .layers = 2, .heads = 3, .dim = 36};
    mm_gpt *m;
    CHECK_EQ_INT(mm_gpt_create(&cfg, 42, &m), MM_OK);
    /* perturb the LayerNorm parameters and biases so their gradients are tested off the init */
    const mm_gpt_tensor *t;
    for (size_t i = 0; (t = mm_gpt_tensor_at(m, i)); i++)
        if (t->ndim == 1)
            for (size_t k = 0; k < t->size; k++)
                t->data[k] += 0.1f * sinf((float)(k + 3 * i));
    CHECK_EQ_INT(mm_gpt_save(m, dir), MM_OK);
    enum { B = 4, T = 13, STEPS = 3 };
    omp_set_num_threads(2); /* B = 4 on 2 threads: the data-parallel path */
    int32_t tok[B * T], tgt[B * T];
    float ftok[B * T], ftgt[B * T];
    mm_rng r;
    mm_rng_seed(&r, 77);
    for (int i = 0; i < B * T; i++)
        tok[i] = (int32_t)(mm_rng_next(&r) % cfg.vocab);
    for (int i = 0; i < B * T; i++)
        tgt[i] = i % 11 == 5 ? -1 : (int32_t)(mm_rng_next(&r) % cfg.vocab);
    for (int i = 0; i < B * T; i++)
        ftok[i] = (float)tok[i], ftgt[i] = (float)tgt[i];
    size_t ne = 0, ntens = 4 + 12 * cfg.layers;
    mm_st_entry *e = calloc(2 * ntens + 8, sizeof *e);
    char(*names)[64] = calloc(2 * ntens + 8, 64);
    const float *logits;
    float loss, losses[STEPS];
    mm_adamw_opts ao = {
        .lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-5f, .weight_decay = 0.1f};
    for (int s = 0; s < STEPS; s++) {
        mm_gpt_zero_grad(m);
        CHECK_EQ_INT(mm_gpt_forward(m, tok, B, T, &logits), MM_OK);
        CHECK_EQ_INT(mm_gpt_loss(m, tgt, &loss), MM_OK);
        CHECK_EQ_INT(mm_gpt_backward(m, NULL), MM_OK);
        losses[s] = loss;
        if (s == 0) {
            float *lc = malloc((size_t)B * T * cfg.vocab * sizeof *lc), *lo = malloc(sizeof *lo);
            memcpy(lc, logits, (size_t)B * T * cfg.vocab * sizeof *lc);
            *lo = loss;
            e[ne++] = (mm_st_entry){"logits", 3, {B, T, cfg.vocab}, lc};
            e[ne++] = (mm_st_entry){"loss", 1, {1}, lo};
            add_tensor_entries(m, e, &ne, "grad.", 1, names);
        }
        mm_gpt_clip_grad(m, 1.0f);
        CHECK_EQ_INT(mm_gpt_adamw_step(m, &ao), MM_OK);
    }
    add_tensor_entries(m, e, &ne, "final.", 0, names);
    e[ne++] = (mm_st_entry){"tokens", 2, {B, T}, ftok};
    e[ne++] = (mm_st_entry){"targets", 2, {B, T}, ftgt};
    e[ne++] = (mm_st_entry){"losses", 1, {STEPS}, losses};
    const char *meta[] = {"steps", "3",    "lr",  "0.01", "weight_decay",
                          "0.1",   "clip", "1.0", "eps",  "1e-5"};
    CHECK_EQ_INT(mm_st_write(io, e, ne, meta, 5), MM_OK);
    snprintf(cmd, sizeof cmd, "%s %s/tests/py/gpt2_reference.py %s %s --tol 1e-4", py, test_src(),
             dir, io);
    fflush(stdout);
    CHECK_EQ_INT(system(cmd), 0);
    for (size_t i = 0; i < ne; i++)
        if (strcmp(e[i].name, "tokens") && strcmp(e[i].name, "targets") &&
            strcmp(e[i].name, "losses"))
            free((void *)e[i].data);
    free(e);
    free(names);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, io);
    CHECK_EQ_INT(system(cmd), 0);
    mm_gpt_free(m);
}

/* Gradients of one forward/backward with the given thread count; caller frees. */
static float *grads_with_threads(mm_gpt *m, int threads, const int32_t *tok, const int32_t *tgt,
                                 int B, int T, float *loss) {
    omp_set_num_threads(threads);
    mm_gpt_zero_grad(m);
    CHECK_EQ_INT(mm_gpt_forward(m, tok, B, T, NULL), MM_OK);
    CHECK_EQ_INT(mm_gpt_loss(m, tgt, loss), MM_OK);
    CHECK_EQ_INT(mm_gpt_backward(m, NULL), MM_OK);
    size_t n;
    float *g = mm_gpt_grads(m, &n), *c = malloc(n * sizeof *c);
    memcpy(c, g, n * sizeof *c);
    return c;
}

TEST(threading_paths_agree) {
    /* one thread; data-parallel (B = 4 on 2 threads); kernel-parallel (B = 3 on 2 threads) */
    mm_gpt *m;
    mm_gpt_config cfg = {.vocab = 50, .ctx = 70, .layers = 2, .heads = 2, .dim = 32};
    CHECK_EQ_INT(mm_gpt_create(&cfg, 3, &m), MM_OK);
    enum { B = 4, T = 70 };
    int32_t tok[B * T], tgt[B * T];
    for (int i = 0; i < B * T; i++)
        tok[i] = (i * 7) % 50, tgt[i] = (i * 13 + 1) % 50;
    size_t n;
    mm_gpt_params(m, &n);
    for (int b = 3; b <= 4; b++) {
        float l1, l2;
        float *g1 = grads_with_threads(m, 1, tok, tgt, b, T, &l1);
        float *g2 = grads_with_threads(m, 2, tok, tgt, b, T, &l2);
        CHECK_NEAR(l1, l2, 1e-5);
        CHECK(relmax(g2, g1, n) < 1e-5);
        free(g1), free(g2);
    }
    omp_set_num_threads(2);
    mm_gpt_free(m);
}

int main(void) {
    test_prog_ = "test_gpt2";
    RUN(kernel_matmul);
    RUN(kernel_layernorm);
    RUN(kernel_gelu);
    RUN(kernel_attention);
    RUN(safetensors_roundtrip_and_bad_headers);
    RUN(checkpoint_roundtrip_and_mismatch);
    RUN(generate_matches_forward);
    RUN(threading_paths_agree);
    RUN(pytorch_parity);
    return test_summary();
}
