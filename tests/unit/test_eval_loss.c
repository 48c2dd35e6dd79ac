/* tests/unit/test_eval_loss.c — mm_eval_loss (rl/eval_loss.c) against plain references: one
 * forward pass per item when the solutions fit the context, and one forward pass per scored
 * token (its own sliding window) when they do not; token and byte counts; the prompt is
 * context, never scored; errors. */
#include "rl/grpo.h"
#include "test.h"

static mm_task *arith_task(int n_test) {
    mm_arith_opts a;
    mm_arith_opts_default(&a);
    a.n_train = 4, a.n_test = (size_t)n_test, a.seed = 7;
    mm_task *t = NULL;
    if (mm_task_arith_create(&a, &t) != MM_OK) return NULL;
    return t;
}

static mm_gpt *model(int ctx, uint64_t seed) {
    mm_gpt_config cfg = {.vocab = 257, .ctx = ctx, .layers = 2, .heads = 2, .dim = 32};
    mm_gpt *m = NULL;
    return mm_gpt_create(&cfg, seed, &m) == MM_OK ? m : NULL;
}

/* The byte-level sequence of an item: [256] + prompt (when conditioned) + solution "\n". */
static int item_bytes(const mm_task_item *it, int conditioned, int32_t *x, int *p) {
    mm_buf b = {0};
    if (conditioned) mm_task_prompt(it, &b);
    int np = (int)b.len;
    mm_buf_printf(&b, "%s\n", it->solution);
    x[0] = 256;
    for (size_t i = 0; i < b.len; i++)
        x[1 + i] = (unsigned char)b.data[i];
    int L = 1 + (int)b.len;
    mm_buf_free(&b);
    *p = 1 + np;
    return L;
}

/* -ln softmax(row)[tok] in double. */
static double nll(const float *row, int V, int tok) {
    double mx = row[0], s = 0;
    for (int v = 1; v < V; v++)
        mx = row[v] > mx ? row[v] : mx;
    for (int v = 0; v < V; v++)
        s += exp((double)row[v] - mx);
    return -((double)row[tok] - mx - log(s));
}

/* Reference: every target t >= p predicted from the window x[max(0, t - ctx) .. t), one
 * forward pass per token (stride 1 in mm_eval_loss's terms). */
static double ref_sliding(mm_gpt *m, const int32_t *x, int p, int L, int ctx, long long *ntok) {
    double sum = 0;
    for (int t = p; t < L; t++) {
        int a = t - ctx > 0 ? t - ctx : 0;
        const float *logits;
        if (mm_gpt_forward(m, x + a, 1, t - a, &logits) != MM_OK) return NAN;
        sum += nll(logits + (size_t)(t - a - 1) * 257, 257, x[t]);
        (*ntok)++;
    }
    return sum;
}

static int32_t xbuf[8192];

TEST(matches_one_forward_per_item) {
    mm_task *t = arith_task(6);
    mm_gpt *m = model(512, 3);
    CHECK(t && m);
    if (!t || !m) return;
    for (int cond = 0; cond < 2; cond++) {
        double want = 0;
        long long ntok = 0, nbytes = 0;
        for (size_t i = 0; i < 6; i++) {
            int p, L = item_bytes(mm_task_get(t, MM_TASK_TEST, i), cond, xbuf, &p);
            CHECK(L <= 513);
            const float *logits;
            CHECK(mm_gpt_forward(m, xbuf, 1, L - 1, &logits) == MM_OK);
            for (int k = p; k < L; k++)
                want += nll(logits + (size_t)(k - 1) * 257, 257, xbuf[k]);
            ntok += L - p, nbytes += L - p;
        }
        mm_loss_opts o = {.conditioned = cond,
                          .batch = 4}; /* 6 items: a full and a short last batch */
        mm_loss_result r;
        CHECK(mm_eval_loss(m, mm_grpo_codec_bytes(), t, MM_TASK_TEST, &o, &r) == MM_OK);
        CHECK_EQ_INT(r.n, 6);
        CHECK_EQ_INT(r.tokens, ntok);
        CHECK_EQ_INT(r.bytes, nbytes);
        CHECK_EQ_INT(r.windows, 6);
        CHECK_NEAR(r.nats / want, 1.0, 1e-5);
        CHECK_NEAR(r.nats_per_token, want / ntok, 1e-4);
        /* byte-level: a token is a byte */
        CHECK_NEAR(r.bits_per_byte, r.nats_per_token / log(2.0), 1e-9);
        /* an untrained model is near uniform over 257 tokens */
        CHECK(fabs(r.nats_per_token - log(257.0)) < 0.5);
    }
    mm_gpt_free(m);
    mm_task_free(t);
}

TEST(windows_match_sliding_reference) {
    mm_task *t = arith_task(3);
    mm_gpt *m = model(8, 5);
    CHECK(t && m);
    if (!t || !m) return;
    double want = 0, want_item[3];
    long long ntok = 0, nwin = 0, nbytes = 0;
    for (size_t i = 0; i < 3; i++) {
        int p, L = item_bytes(mm_task_get(t, MM_TASK_TEST, i), 1, xbuf, &p);
        CHECK(L - p > 3 * 8); /* several windows per solution */
        want += want_item[i] = ref_sliding(m, xbuf, p, L, 8, &ntok);
        nwin += (L - p + 3) / 4; /* windows of the default stride, ctx/2 = 4 */
    }
    /* each item's own loss too (eval --loss --dump): windows of several items share a pass */
    double item_nats[3];
    long long item_b[3];
    mm_loss_opts o = {
        .conditioned = 1, .batch = 5, .stride = 1, .item_nats = item_nats, .item_bytes = item_b};
    mm_loss_result r;
    CHECK(mm_eval_loss(m, mm_grpo_codec_bytes(), t, MM_TASK_TEST, &o, &r) == MM_OK);
    CHECK_EQ_INT(r.tokens, ntok);
    CHECK_EQ_INT(r.windows, ntok);
    CHECK_NEAR(r.nats / want, 1.0, 1e-5);
    for (int i = 0; i < 3; i++) {
        CHECK_NEAR(item_nats[i] / want_item[i], 1.0, 1e-5);
        CHECK_EQ_INT(item_b[i], (long long)strlen(mm_task_get(t, MM_TASK_TEST, i)->solution) + 1);
        nbytes += item_b[i];
    }
    CHECK_EQ_INT(nbytes, r.bytes);
    /* the default stride (ctx/2) scores every token once too, in fewer windows, and gives
     * nearly the same loss (less context for some tokens) */
    mm_loss_opts d = {.conditioned = 1};
    mm_loss_result rd;
    CHECK(mm_eval_loss(m, mm_grpo_codec_bytes(), t, MM_TASK_TEST, &d, &rd) == MM_OK);
    CHECK_EQ_INT(rd.tokens, ntok);
    CHECK_EQ_INT(rd.windows, nwin);
    CHECK_NEAR(rd.nats_per_token, r.nats_per_token, 0.05);
    CHECK(rd.nats != r.nats);
    mm_gpt_free(m);
    mm_task_free(t);
}

TEST(prompt_is_context_only) {
    /* conditioned and unconditioned score the same tokens; only their context differs */
    mm_task *t = arith_task(4);
    mm_gpt *m = model(256, 9);
    CHECK(t && m);
    if (!t || !m) return;
    mm_loss_opts a = {.conditioned = 1, .n = 2}, b = {.conditioned = 0, .n = 2};
    mm_loss_result ra, rb;
    CHECK(mm_eval_loss(m, mm_grpo_codec_bytes(), t, MM_TASK_TEST, &a, &ra) == MM_OK);
    CHECK(mm_eval_loss(m, mm_grpo_codec_bytes(), t, MM_TASK_TEST, &b, &rb) == MM_OK);
    CHECK_EQ_INT(ra.n, 2);
    CHECK_EQ_INT(ra.tokens, rb.tokens);
    CHECK_EQ_INT(ra.bytes, rb.bytes);
    CHECK(ra.nats != rb.nats);
    mm_gpt_free(m);
    mm_task_free(t);
}

TEST(errors) {
    mm_task *t = arith_task(2);
    mm_gpt *m = model(64, 1);
    CHECK(t && m);
    if (!t || !m) return;
    mm_loss_result r;
    volatile int stop = 1;
    mm_loss_opts o = {.stop = &stop};
    CHECK(mm_eval_loss(m, mm_grpo_codec_bytes(), t, MM_TASK_TEST, &o, &r) == MM_ERR_IO);
    mm_loss_opts z = {0};
    mm_task *empty = NULL;
    mm_arith_opts a;
    mm_arith_opts_default(&a);
    a.n_train = 2, a.n_test = 0;
    CHECK(mm_task_arith_create(&a, &empty) == MM_OK);
    if (empty)
        CHECK(mm_eval_loss(m, mm_grpo_codec_bytes(), empty, MM_TASK_TEST, &z, &r) == MM_ERR_ARG);
    mm_task_free(empty);
    /* a model whose vocabulary lacks the codec's end-of-text token */
    mm_gpt_config small = {.vocab = 200, .ctx = 32, .layers = 1, .heads = 1, .dim = 16};
    mm_gpt *s = NULL;
    CHECK(mm_gpt_create(&small, 1, &s) == MM_OK);
    if (s) CHECK(mm_eval_loss(s, mm_grpo_codec_bytes(), t, MM_TASK_TEST, &z, &r) == MM_ERR_ARG);
    mm_gpt_free(s);
    mm_gpt_free(m);
    mm_task_free(t);
}

int main(void) {
    test_prog_ = "test_eval_loss";
    RUN(matches_one_forward_per_item);
    RUN(windows_match_sliding_reference);
    RUN(prompt_is_context_only);
    RUN(errors);
    return test_summary();
}
