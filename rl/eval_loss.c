/* rl/eval_loss.c — the loss of a model on a task's worked solutions, per token and per byte
 * (mm_eval_loss; the contract is in rl/grpo.h).
 *
 * Windows.  Item i is the sequence x[0..L) whose targets x[p..L) are scored (p = 1 + prompt
 * tokens); the logits at input position j predict x[j + 1].  A window scores the targets
 * [next, end), end = min(L, next + stride), from the inputs x[a..end-1) with
 * a = max(0, end - 1 - ctx), so it holds at most ctx inputs; the first starts at next = p and
 * each following one at the previous end.  Since end - next <= stride <= ctx, next >= a + 1:
 * every scored target has its input inside the window, and it sees at least
 * min(next - 1, ctx - stride) tokens before the first target of the window. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "rl/grpo.h"

/* One forward pass worth of rows: inputs and targets [B, T] (target -1 = not scored). */
typedef struct loss_batch {
    mm_gpt *m;
    int B, T, V, rows; /* rows filled of B */
    int32_t *in, *tgt;
    float *logp;
    int *row_item;     /* [B]: the item of each row */
    double *item_nats; /* per-item sums, or NULL */
    mm_loss_result *r;
} loss_batch;

static mm_err batch_flush(loss_batch *b) {
    if (b->rows == 0) return MM_OK;
    const float *logits; /* only the rows filled: the last pass of a run may be shorter */
    MM_TRY(mm_gpt_forward(b->m, b->in, b->rows, b->T, &logits));
    mm_grpo_token_logp(logits, b->tgt, b->rows, b->T, b->V, b->logp);
    for (long k = 0; k < (long)b->rows * b->T; k++)
        if (b->tgt[k] >= 0) {
            b->r->nats -= b->logp[k], b->r->tokens++;
            if (b->item_nats) b->item_nats[b->row_item[k / b->T]] -= b->logp[k];
        }
    b->r->windows += b->rows;
    b->rows = 0;
    return MM_OK;
}

/* Add the window scoring targets [next, end) of x to the batch (see the top of the file). */
static mm_err batch_add(loss_batch *b, const int32_t *x, int next, int end, int item) {
    int a = end - 1 - b->T > 0 ? end - 1 - b->T : 0;
    int32_t *in = b->in + (size_t)b->rows * b->T, *tgt = b->tgt + (size_t)b->rows * b->T;
    for (int j = 0; j < b->T; j++) {
        int pos = a + j, t = pos + 1;
        in[j] = pos < end - 1 ? x[pos] : 0;
        tgt[j] = pos < end - 1 && t >= next ? x[t] : -1;
    }
    b->row_item[b->rows] = item;
    if (++b->rows == b->B) MM_TRY(batch_flush(b));
    return MM_OK;
}

/* Append the tokens of s[0..n) to x (cap: room left); returns the count or -1. */
static int encode_into(const mm_grpo_codec *c, const char *s, size_t n, int32_t *x, size_t cap,
                       int V) {
    if (n == 0) return 0;
    int k = c->encode(c->ud, s, n, x, cap > (size_t)INT32_MAX ? INT32_MAX : (int)cap);
    for (int i = 0; i < k; i++)
        if (x[i] < 0 || x[i] >= V) return -1;
    return k;
}

/* Score one item: build [eot] + prompt + solution "\n" and queue its windows. */
static mm_err score_item(loss_batch *b, const mm_grpo_codec *c, const mm_task_item *it, int item,
                         int conditioned, int stride, mm_buf *text, int32_t **x, size_t *xcap,
                         long long *bytes) {
    mm_buf_clear(text);
    if (conditioned) MM_TRY(mm_task_prompt(it, text));
    size_t plen = text->len;
    MM_TRY(mm_buf_puts(text, it->solution));
    MM_TRY(mm_buf_putc(text, '\n'));
    size_t need = text->len + 2; /* a token holds at least one byte, plus end-of-text */
    if (need > *xcap) {
        int32_t *nx = realloc(*x, need * sizeof **x);
        if (!nx) return mm_fail(MM_ERR_NOMEM, "eval loss");
        *x = nx, *xcap = need;
    }
    (*x)[0] = c->eos;
    int np = encode_into(c, text->data, plen, *x + 1, need - 1, b->V);
    int ns = np < 0 ? -1
                    : encode_into(c, text->data + plen, text->len - plen, *x + 1 + np,
                                  need - 1 - (size_t)np, b->V);
    if (np < 0 || ns < 0)
        return mm_fail(MM_ERR_FORMAT,
                       "eval loss: cannot encode the %s of \"%.40s...\" within "
                       "the model's vocabulary",
                       np < 0 ? "prompt" : "solution", it->question);
    *bytes = (long long)(text->len - plen);
    b->r->bytes += *bytes;
    int p = 1 + np, L = p + ns;
    for (int next = p; next < L;) {
        int end = next + stride < L ? next + stride : L;
        MM_TRY(batch_add(b, *x, next, end, item));
        next = end;
    }
    return MM_OK;
}

mm_err mm_eval_loss(mm_gpt *m, const mm_grpo_codec *c, const mm_task *t, mm_task_split s,
                    const mm_loss_opts *o, mm_loss_result *r) {
    memset(r, 0, sizeof *r);
    int n = (int)mm_task_count(t, s);
    if (o->n > 0 && o->n < n) n = o->n;
    if (n == 0) return mm_fail(MM_ERR_ARG, "eval loss: the split is empty");
    const mm_gpt_config *cfg = mm_gpt_get_config(m);
    if (c->eos < 0 || c->eos >= cfg->vocab)
        return mm_fail(MM_ERR_ARG, "eval loss: end-of-text token %d outside the vocabulary (%d)",
                       c->eos, cfg->vocab);
    int stride = o->stride > 0 ? (o->stride < cfg->ctx ? o->stride : cfg->ctx)
                               : (cfg->ctx / 2 > 0 ? cfg->ctx / 2 : 1);
    loss_batch b = {
        .m = m, .B = o->batch > 0 ? o->batch : 8, .T = cfg->ctx, .V = cfg->vocab, .r = r};
    size_t cells = (size_t)b.B * b.T;
    b.in = malloc(cells * sizeof *b.in), b.tgt = malloc(cells * sizeof *b.tgt);
    b.logp = malloc(cells * sizeof *b.logp);
    b.row_item = malloc((size_t)b.B * sizeof *b.row_item);
    b.item_nats = o->item_nats;
    if (o->item_nats) memset(o->item_nats, 0, (size_t)n * sizeof *o->item_nats);
    int32_t *x = NULL;
    size_t xcap = 0;
    mm_buf text = {0};
    double t0 = mm_now();
    mm_err e = b.in && b.tgt && b.logp && b.row_item ? MM_OK : mm_fail(MM_ERR_NOMEM, "eval loss");
    for (int i = 0; i < n && e == MM_OK; i++) {
        long long bytes = 0;
        if (o->stop && *o->stop)
            e = mm_fail(MM_ERR_IO, "interrupted");
        else
            e = score_item(&b, c, mm_task_get(t, s, (size_t)i), i, o->conditioned, stride, &text,
                           &x, &xcap, &bytes);
        if (o->item_bytes) o->item_bytes[i] = bytes;
    }
    if (e == MM_OK) e = batch_flush(&b);
    free(b.in), free(b.tgt), free(b.logp), free(b.row_item), free(x);
    mm_buf_free(&text);
    if (e != MM_OK) return e;
    r->n = n;
    r->nats_per_token = r->tokens ? r->nats / (double)r->tokens : 0;
    r->bits_per_byte = r->bytes ? r->nats / log(2.0) / (double)r->bytes : 0;
    r->seconds = mm_now() - t0;
    return MM_OK;
}
