/* rl/sft.c — supervised fine-tuning over epochs with validation (contract in rl/sft.h), and
 * the batch builder shared with the GRPO warm-up (mm_grpo_sft in rl/grpo.c). */
#include "rl/sft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/progress.h"
#include "rl/grpo_internal.h"

/* Rows [0, nb) of tok/tgt: the documents of items[], prompt tokens masked (target -1), rows
 * padded with target -1, then compacted from stride ctx to stride *T (the longest row). */
mm_err mm_sft_batch(const mm_grpo_codec *c, const mm_task_item *const *items, int nb, int ctx,
                    int32_t *tok, int32_t *tgt, int32_t *one, mm_buf *doc, int *T, long *ntgt) {
    *T = 2, *ntgt = 0;
    for (int b = 0; b < nb; b++) {
        const mm_task_item *it = items[b];
        mm_buf_clear(doc);
        MM_TRY(mm_task_prompt(it, doc));
        int np = c->encode(c->ud, doc->data, doc->len, one, ctx);
        MM_TRY(mm_buf_puts(doc, it->solution));
        MM_TRY(mm_buf_putc(doc, '\n'));
        int n = c->encode(c->ud, doc->data, doc->len, one, ctx - 1);
        if (np <= 0 || n <= 0)
            return mm_fail(MM_ERR_TOO_LARGE,
                           "sft: a document does not fit the context of %d tokens "
                           "(question: %.60s...)",
                           ctx, it->question);
        one[n++] = c->eos;
        int32_t *tr = tok + (size_t)b * ctx, *gr = tgt + (size_t)b * ctx;
        for (int p = 0; p < ctx; p++)
            tr[p] = 0, gr[p] = -1;
        for (int p = 0; p < n - 1; p++) {
            tr[p] = one[p];
            if (p + 1 >= np) gr[p] = one[p + 1], (*ntgt)++; /* only the response is learned */
        }
        *T = n - 1 > *T ? n - 1 : *T;
    }
    for (int b = 1; b < nb; b++) {
        memmove(tok + (size_t)b * *T, tok + (size_t)b * ctx, (size_t)*T * sizeof *tok);
        memmove(tgt + (size_t)b * *T, tgt + (size_t)b * ctx, (size_t)*T * sizeof *tgt);
    }
    return MM_OK;
}

/* Buffers for batches of up to B documents. */
typedef struct sft_bufs {
    int32_t *tok, *tgt, *one;
    const mm_task_item **items;
    mm_buf doc;
} sft_bufs;

static mm_err bufs_init(sft_bufs *s, int B, int ctx) {
    memset(s, 0, sizeof *s);
    s->tok = malloc((size_t)B * ctx * sizeof *s->tok);
    s->tgt = malloc((size_t)B * ctx * sizeof *s->tgt);
    s->one = malloc((size_t)ctx * sizeof *s->one);
    s->items = malloc((size_t)B * sizeof *s->items);
    return s->tok && s->tgt && s->one && s->items ? MM_OK : mm_fail(MM_ERR_NOMEM, "sft buffers");
}

static void bufs_free(sft_bufs *s) {
    free(s->tok), free(s->tgt), free(s->one), free(s->items), mm_buf_free(&s->doc);
}

mm_err mm_sft_loss(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s, int n,
                   int batch, double *loss) {
    int total = (int)mm_task_count(t, s);
    if (n <= 0 || n > total) n = total;
    *loss = NAN;
    if (n == 0) return MM_OK;
    int ctx = mm_gpt_get_config(m)->ctx, B = batch > 0 ? batch : 16;
    sft_bufs sb;
    mm_err e = bufs_init(&sb, B, ctx);
    double sum = 0;
    long count = 0;
    for (int i0 = 0; i0 < n && e == MM_OK; i0 += B) {
        int nb = n - i0 < B ? n - i0 : B, T;
        long ntgt;
        for (int b = 0; b < nb; b++)
            sb.items[b] = mm_task_get(t, s, (size_t)(i0 + b));
        e = mm_sft_batch(c, sb.items, nb, ctx, sb.tok, sb.tgt, sb.one, &sb.doc, &T, &ntgt);
        float l;
        if (e == MM_OK) e = mm_gpt_forward(m, sb.tok, nb, T, NULL);
        if (e == MM_OK) e = mm_gpt_loss(m, sb.tgt, &l);
        if (e == MM_OK) sum += (double)l * ntgt, count += ntgt; /* token-weighted mean */
    }
    bufs_free(&sb);
    if (e == MM_OK && count) *loss = sum / count;
    return e;
}

void mm_sft_train_opts_default(mm_sft_train_opts *o) {
    *o = (mm_sft_train_opts){.epochs = 3,
                             .batch = 16,
                             .lr = 3e-4f,
                             .weight_decay = 0.1f,
                             .grad_clip = 1.0f,
                             .seed = 1,
                             .val_n = 200,
                             .start_epoch = 0};
}

static double lr_sched(double lr, long step, long steps) { /* warm-up 5%, cosine to 10% */
    long warm = steps / 20 + 1;
    if (step < warm) return lr * (step + 1) / warm;
    double p = (double)(step - warm) / (steps - warm > 0 ? steps - warm : 1);
    return lr * (0.1 + 0.45 * (1 + cos(M_PI * (p < 1 ? p : 1))));
}

/* A seeded permutation of [0, n) (Fisher-Yates). */
static void shuffle(size_t *perm, size_t n, uint64_t seed) {
    mm_rng r;
    mm_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = mm_rng_next(&r) % i, x = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = x;
    }
}

/* One optimizer step on a built batch; *loss its mean response-token loss. */
static mm_err train_step(mm_gpt *m, sft_bufs *sb, int nb, int T, const mm_sft_train_opts *o,
                         double lr, float *loss) {
    mm_gpt_zero_grad(m);
    MM_TRY(mm_gpt_forward(m, sb->tok, nb, T, NULL));
    MM_TRY(mm_gpt_loss(m, sb->tgt, loss));
    if (!isfinite(*loss)) return mm_fail(MM_ERR_NUMERIC, "sft: the loss is not finite");
    MM_TRY(mm_gpt_backward(m, NULL));
    mm_gpt_clip_grad(m, o->grad_clip);
    mm_adamw_opts ao = {(float)lr, 0.9f, 0.95f, 1e-8f, o->weight_decay};
    return mm_gpt_adamw_step(m, &ao);
}

mm_err mm_sft_train(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, const mm_sft_train_opts *o,
                    mm_sft_step_fn on_step, mm_sft_epoch_fn on_epoch, void *ud) {
    size_t n = mm_task_count(t, MM_TASK_TRAIN);
    if (n == 0) return mm_fail(MM_ERR_ARG, "sft: the train split is empty");
    if (o->epochs < 1 || o->batch < 1 || o->start_epoch < 0)
        return mm_fail(MM_ERR_ARG, "sft: epochs and batch must be >= 1");
    int ctx = mm_gpt_get_config(m)->ctx, B = o->batch;
    long per_epoch = (long)((n + (size_t)B - 1) / (size_t)B), total = per_epoch * o->epochs;
    long step = per_epoch * o->start_epoch;
    size_t *perm = malloc(n * sizeof *perm);
    sft_bufs sb;
    mm_err e = perm ? bufs_init(&sb, B, ctx) : mm_fail(MM_ERR_NOMEM, "sft");
    int stop = 0;
    for (int ep = o->start_epoch; ep < o->epochs && e == MM_OK && !stop; ep++) {
        double t0 = mm_now(), sum = 0;
        long k = 0;
        shuffle(perm, n, o->seed + (uint64_t)ep * 0x9e3779b97f4a7c15ull);
        for (size_t i0 = 0; i0 < n && e == MM_OK && !stop; i0 += (size_t)B, step++, k++) {
            int nb = n - i0 < (size_t)B ? (int)(n - i0) : B, T;
            long ntgt;
            for (int b = 0; b < nb; b++)
                sb.items[b] = mm_task_get(t, MM_TASK_TRAIN, perm[i0 + b]);
            e = mm_sft_batch(c, sb.items, nb, ctx, sb.tok, sb.tgt, sb.one, &sb.doc, &T, &ntgt);
            float loss = 0;
            double lr = lr_sched(o->lr, step, total);
            if (e == MM_OK) e = train_step(m, &sb, nb, T, o, lr, &loss);
            sum += loss;
            if (e == MM_OK && on_step && on_step(ud, step + 1, loss, lr)) stop = 1;
        }
        if (e != MM_OK) break;
        mm_sft_epoch_stats st = {ep + 1, step, k ? sum / k : NAN, NAN, 0};
        e = mm_sft_loss(m, c, t, MM_TASK_TEST, o->val_n, B, &st.val_loss);
        st.seconds = mm_now() - t0;
        if (e == MM_OK && on_epoch && on_epoch(ud, &st)) stop = 1;
    }
    if (perm) bufs_free(&sb);
    free(perm);
    return e;
}
