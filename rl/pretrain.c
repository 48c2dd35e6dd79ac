/* rl/pretrain.c — data loader, learning-rate schedule, training loop, checkpoints, benchmark.
 * See pretrain.h for the run directory and the resume contract. */
#include "rl/pretrain.h"

#include <cblas.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/json.h"
#include "common/progress.h"
#include "common/svg.h"
#include "rl/gpt2_internal.h"
#include "rl/tokenizer.h"
#include "rl/tokshard.h"

/* ---- data -------------------------------------------------------------------------------- */

struct mm_pretrain_data {
    char **paths;
    mm_tokshard **shards;
    size_t n, total;
    int vocab, T;
    mm_pretrain_pos pos;
};

void mm_pretrain_data_close(mm_pretrain_data *d) {
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) {
        mm_tokshard_close(d->shards[i]);
        free(d->paths[i]);
    }
    free(d->shards);
    free(d->paths);
    free(d);
}

static mm_err data_add(mm_pretrain_data *d, const char *path) {
    mm_tokshard *s;
    MM_TRY(mm_tokshard_open(path, &s));
    d->shards[d->n] = s;
    d->paths[d->n] = strdup(path);
    d->n++;
    d->total += mm_tokshard_count(s);
    return d->paths[d->n - 1] ? MM_OK : mm_fail(MM_ERR_NOMEM, "out of memory");
}

mm_err mm_pretrain_data_open(const char *pattern, int vocab, int T, mm_pretrain_data **out) {
    *out = NULL;
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);
    if (rc == GLOB_NOMATCH) return mm_fail(MM_ERR_IO, "%s: no token shard matches", pattern);
    if (rc) return mm_fail(MM_ERR_IO, "%s: cannot expand the pattern", pattern);
    mm_pretrain_data *d = calloc(1, sizeof *d);
    mm_err e = d ? MM_OK : mm_fail(MM_ERR_NOMEM, "out of memory");
    if (e == MM_OK) {
        d->vocab = vocab;
        d->T = T;
        d->shards = calloc(g.gl_pathc, sizeof *d->shards);
        d->paths = calloc(g.gl_pathc, sizeof *d->paths);
        if (!d->shards || !d->paths) e = mm_fail(MM_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; e == MM_OK && i < g.gl_pathc; i++)
        e = data_add(d, g.gl_pathv[i]);
    globfree(&g);
    size_t longest = 0;
    for (size_t i = 0; e == MM_OK && i < d->n; i++)
        if (mm_tokshard_count(d->shards[i]) > longest) longest = mm_tokshard_count(d->shards[i]);
    if (e == MM_OK && longest < (size_t)T + 1)
        e = mm_fail(MM_ERR_ARG, "%s: no shard holds a full row of %d tokens (context %d + 1)",
                    pattern, T + 1, T);
    if (e != MM_OK) {
        mm_pretrain_data_close(d);
        return e;
    }
    *out = d;
    return MM_OK;
}

/* Move pos to the next place where a row of T+1 tokens fits. */
static void data_fit(mm_pretrain_data *d) {
    for (;;) {
        size_t cnt = mm_tokshard_count(d->shards[d->pos.shard]);
        if ((size_t)d->pos.offset + d->T + 1 <= cnt) return;
        d->pos.offset = 0;
        if (++d->pos.shard == (int64_t)d->n) {
            d->pos.shard = 0;
            d->pos.epoch++;
        }
    }
}

mm_err mm_pretrain_data_next(mm_pretrain_data *d, int B, int32_t *inputs, int32_t *targets) {
    int T = d->T;
    int32_t *row = malloc(((size_t)T + 1) * sizeof *row); /* [T+1] */
    if (!row) return mm_fail(MM_ERR_NOMEM, "out of memory");
    for (int b = 0; b < B; b++) {
        data_fit(d);
        mm_tokshard *s = d->shards[d->pos.shard];
        mm_err e = mm_tokshard_read(s, (size_t)d->pos.offset, (size_t)T + 1, row);
        for (int t = 0; e == MM_OK && t <= T; t++)
            if (row[t] < 0 || row[t] >= d->vocab)
                e = mm_fail(MM_ERR_FORMAT,
                            "%s: token %lld is %d, outside the model's vocabulary of %d",
                            d->paths[d->pos.shard], (long long)d->pos.offset + t, row[t], d->vocab);
        if (e != MM_OK) {
            free(row);
            return e;
        }
        memcpy(inputs + (size_t)b * T, row, (size_t)T * sizeof *row);
        memcpy(targets + (size_t)b * T, row + 1, (size_t)T * sizeof *row);
        d->pos.offset += T;
    }
    free(row);
    return MM_OK;
}

mm_pretrain_pos mm_pretrain_data_tell(const mm_pretrain_data *d) {
    return d->pos;
}

mm_err mm_pretrain_data_seek(mm_pretrain_data *d, mm_pretrain_pos p) {
    if (p.shard < 0 || p.shard >= (int64_t)d->n || p.offset < 0 || p.epoch < 0 ||
        (size_t)p.offset > mm_tokshard_count(d->shards[p.shard]))
        return mm_fail(MM_ERR_MISMATCH,
                       "data position (shard %lld, offset %lld) does not exist in "
                       "the %zu shards given",
                       (long long)p.shard, (long long)p.offset, d->n);
    d->pos = p;
    return MM_OK;
}

size_t mm_pretrain_data_tokens(const mm_pretrain_data *d) {
    return d->total;
}
size_t mm_pretrain_data_shards(const mm_pretrain_data *d) {
    return d->n;
}

/* ---- learning rate ----------------------------------------------------------------------- */

float mm_pretrain_lr(long step, long steps, long warmup, float lr, float min_lr) {
    if (step < warmup) return lr * (float)(step + 1) / (float)warmup;
    if (steps <= warmup) return lr;
    double r = (double)(step - warmup) / (double)(steps - warmup);
    if (r > 1) r = 1;
    return (float)(min_lr + 0.5 * (lr - min_lr) * (1.0 + cos(M_PI * r)));
}

/* Optimisation options left unset (-1) are taken from the checkpoint on --resume, else from
 * these defaults. */
void mm_pretrain_defaults(mm_pretrain_opts *o) {
    memset(o, 0, sizeof *o);
    o->batch = o->accum = -1;            /* 8, 1 */
    o->steps = o->warmup = -1;           /* 1000, steps / 20 */
    o->lr = o->min_lr = -1;              /* 6e-4, lr / 10 */
    o->weight_decay = o->grad_clip = -1; /* 0.1, 1.0 */
    o->beta1 = 0.9f;
    o->beta2 = 0.95f;
    o->eps = 1e-8f;
    o->val_every = o->val_batches = o->ckpt_every = -1; /* 100, 8, 500 */
    o->seed = 1337;
}

/* Fill the unset options from the saved state `st` (may be NULL), then from the defaults. */
static void resolve_opts(mm_pretrain_opts *o, const mm_json *st) {
#define FILL(field, key, def)                                                                      \
    if (o->field < 0) o->field = st ? (__typeof__(o->field))mm_json_get_num(st, key, def) : (def);
    FILL(batch, "batch", 8)
    FILL(accum, "accum", 1)
    FILL(steps, "steps", 1000)
    FILL(lr, "lr", 6e-4f)
    FILL(weight_decay, "weight_decay", 0.1f)
    FILL(grad_clip, "grad_clip", 1.0f)
    FILL(warmup, "warmup", o->steps / 20)
    FILL(min_lr, "min_lr", o->lr / 10)
    FILL(val_every, "val_every", 100)
    FILL(val_batches, "val_batches", 8)
    FILL(ckpt_every, "ckpt_every", 500)
#undef FILL
}

/* ---- run state --------------------------------------------------------------------------- */

typedef struct run {
    const mm_pretrain_opts *o;
    mm_gpt *m;
    mm_pretrain_data *train, *val;
    long step, steps, warmup;
    float min_lr;
    int T;
    int32_t *in, *tg;          /* [B, T] */
    mm_buf log;                /* JSONL, one line per step and per validation */
    double *lx, *ly, *vx, *vy; /* loss curve points */
    size_t nl, nv, capl, capv;
    size_t tokens_seen;
    int eos; /* the tokenizer's <|endoftext|> id for config.json, or -1 */
} run;

static mm_err push_point(double **x, double **y, size_t *n, size_t *cap, double a, double b) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        double *nx = realloc(*x, c * sizeof *nx);
        if (nx) *x = nx;
        double *ny = nx ? realloc(*y, c * sizeof *ny) : NULL;
        if (!ny) return mm_fail(MM_ERR_NOMEM, "out of memory");
        *y = ny;
        *cap = c;
    }
    (*x)[*n] = a;
    (*y)[(*n)++] = b;
    return MM_OK;
}

static mm_err write_text(const char *path, const char *s, size_t n) {
    mm_out *o;
    MM_TRY(mm_out_open(path, 0, &o));
    mm_err e = mm_out_write(o, s, n);
    if (e == MM_OK) return mm_out_commit(o);
    mm_out_abort(o);
    return e;
}

/* log.jsonl and loss.svg into `dir`. */
static mm_err write_log(run *r, const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    MM_TRY(write_text(path, r->log.data ? r->log.data : "", r->log.len));
    snprintf(path, sizeof path, "%s/loss.svg", dir);
    mm_svg_series s[2] = {{"train", r->lx, r->ly, r->nl}, {"val", r->vx, r->vy, r->nv}};
    return mm_svg_lines(path, "pretraining loss", "step", "cross-entropy (nats/token)", s,
                        r->nv ? 2 : 1);
}

static mm_err write_state(run *r, const char *path) {
    const mm_pretrain_opts *o = r->o;
    mm_pretrain_pos p = mm_pretrain_data_tell(r->train);
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "format"), mm_jw_string(&w, "mathmine-pretrain");
    mm_jw_key(&w, "version"), mm_jw_int(&w, 1);
    mm_jw_key(&w, "step"), mm_jw_int(&w, r->step);
    mm_jw_key(&w, "steps"), mm_jw_int(&w, r->steps);
    mm_jw_key(&w, "tokens_seen"), mm_jw_uint(&w, r->tokens_seen);
    mm_jw_key(&w, "data"), mm_jw_string(&w, o->data);
    mm_jw_key(&w, "data_shards"), mm_jw_uint(&w, mm_pretrain_data_shards(r->train));
    mm_jw_key(&w, "data_tokens"), mm_jw_uint(&w, mm_pretrain_data_tokens(r->train));
    mm_jw_key(&w, "shard"), mm_jw_int(&w, p.shard);
    mm_jw_key(&w, "offset"), mm_jw_int(&w, p.offset);
    mm_jw_key(&w, "epoch"), mm_jw_int(&w, p.epoch);
    mm_jw_key(&w, "batch"), mm_jw_int(&w, o->batch);
    mm_jw_key(&w, "accum"), mm_jw_int(&w, o->accum);
    mm_jw_key(&w, "lr"), mm_jw_double(&w, o->lr);
    mm_jw_key(&w, "min_lr"), mm_jw_double(&w, r->min_lr);
    mm_jw_key(&w, "warmup"), mm_jw_int(&w, r->warmup);
    mm_jw_key(&w, "weight_decay"), mm_jw_double(&w, o->weight_decay);
    mm_jw_key(&w, "grad_clip"), mm_jw_double(&w, o->grad_clip);
    mm_jw_key(&w, "val_every"), mm_jw_int(&w, o->val_every);
    mm_jw_key(&w, "val_batches"), mm_jw_int(&w, o->val_batches);
    mm_jw_key(&w, "ckpt_every"), mm_jw_int(&w, o->ckpt_every);
    mm_jw_key(&w, "seed"), mm_jw_uint(&w, o->seed);
    mm_jw_obj_end(&w);
    mm_buf_putc(&b, '\n');
    mm_err e = b.data ? write_text(path, b.data, b.len) : mm_fail(MM_ERR_NOMEM, "out of memory");
    mm_buf_free(&b);
    return e;
}

/* Copy the regular files of the tokenizer directory into `dir`. */
static mm_err copy_tokenizer(const char *src, const char *dir) {
    DIR *d = opendir(src);
    if (!d)
        return mm_fail(MM_ERR_IO, "%s: cannot open the tokenizer directory: %s", src,
                       strerror(errno));
    struct dirent *de;
    mm_err e = MM_OK;
    mm_buf b = {0};
    while (e == MM_OK && (de = readdir(d))) {
        char from[4200], to[4200];
        struct stat st;
        snprintf(from, sizeof from, "%s/%s", src, de->d_name);
        if (de->d_name[0] == '.' || stat(from, &st) || !S_ISREG(st.st_mode)) continue;
        if (!strcmp(de->d_name, "config.json") || strstr(de->d_name, ".safetensors")) continue;
        snprintf(to, sizeof to, "%s/%s", dir, de->d_name);
        e = mm_read_file(from, &b);
        if (e == MM_OK) e = write_text(to, b.data, b.len);
    }
    closedir(d);
    mm_buf_free(&b);
    return e;
}

/* The whole checkpoint in a fresh temp dir, then swapped in for opts.out. */
static mm_err checkpoint(run *r) {
    const char *out = r->o->out;
    char tmp[4200], path[4300];
    MM_TRY(mm_gpt_tmpdir(out, tmp, sizeof tmp));
    mm_err e = mm_gpt_write_files(r->m, tmp, r->eos);
    snprintf(path, sizeof path, "%s/optimizer.safetensors", tmp);
    if (e == MM_OK) e = mm_gpt_save_optimizer(r->m, path);
    snprintf(path, sizeof path, "%s/train_state.json", tmp);
    if (e == MM_OK) e = write_state(r, path);
    if (e == MM_OK && r->o->tokenizer_dir) e = copy_tokenizer(r->o->tokenizer_dir, tmp);
    if (e == MM_OK) e = write_log(r, tmp);
    if (e == MM_OK) e = mm_gpt_replace_dir(tmp, out);
    if (e != MM_OK) mm_gpt_rmtree(tmp);
    return e;
}

/* ---- resume ------------------------------------------------------------------------------ */

/* Keep the log lines up to the checkpoint's step, and rebuild the curve from them. */
static mm_err restore_log(run *r) {
    char path[4200];
    snprintf(path, sizeof path, "%s/log.jsonl", r->o->out);
    mm_buf b = {0};
    if (mm_read_file(path, &b) != MM_OK) return MM_OK; /* no log: start a new one */
    mm_err e = MM_OK;
    for (char *line = b.data, *nl; e == MM_OK && line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        mm_json_doc *doc;
        mm_json *j;
        if (mm_json_parse(line, n, &doc, &j) != MM_OK) continue;
        long step = (long)mm_json_get_num(j, "step", -1);
        const mm_json *l = mm_json_get(j, "loss"), *v = mm_json_get(j, "val_loss");
        if (step >= 0 && step <= r->step) {
            e = mm_buf_append(&r->log, line, n);
            if (e == MM_OK) e = mm_buf_putc(&r->log, '\n');
            if (e == MM_OK && l && l->type == MM_JSON_NUM)
                e = push_point(&r->lx, &r->ly, &r->nl, &r->capl, step, l->num);
            if (e == MM_OK && v && v->type == MM_JSON_NUM)
                e = push_point(&r->vx, &r->vy, &r->nv, &r->capv, step, v->num);
        }
        mm_json_doc_free(doc);
    }
    mm_buf_free(&b);
    return e;
}

static mm_err check_resume_config(const mm_gpt_config *want, const mm_gpt_config *have,
                                  const char *dir) {
    const int w[5] = {want->layers, want->heads, want->dim, want->ctx, want->vocab};
    const int h[5] = {have->layers, have->heads, have->dim, have->ctx, have->vocab};
    static const char *const nm[5] = {"layers", "heads", "dim", "ctx", "vocab"};
    for (int i = 0; i < 5; i++)
        if (w[i] > 0 && w[i] != h[i])
            return mm_fail(MM_ERR_MISMATCH,
                           "%s: --config %s=%d does not fit the checkpoint (%s=%d)", dir, nm[i],
                           w[i], nm[i], h[i]);
    return MM_OK;
}

static mm_err resume(run *r) {
    const mm_pretrain_opts *o = r->o;
    char path[4200];
    MM_TRY(mm_gpt_load(o->out, &r->m));
    MM_TRY(check_resume_config(&o->cfg, mm_gpt_get_config(r->m), o->out));
    snprintf(path, sizeof path, "%s/optimizer.safetensors", o->out);
    MM_TRY(mm_gpt_load_optimizer(r->m, path));
    snprintf(path, sizeof path, "%s/train_state.json", o->out);
    mm_json_doc *doc = NULL;
    mm_json *j;
    mm_err e = mm_json_parse_file(path, &doc, &j);
    if (e == MM_OK && strcmp(mm_json_get_str(j, "format", ""), "mathmine-pretrain"))
        e = mm_fail(MM_ERR_FORMAT, "%s: not a mathmine training state", path);
    if (e == MM_OK) {
        double step = mm_json_get_num(j, "step", -1);
        if (!(step >= 0 && step <= (double)o->steps))
            e = mm_fail(MM_ERR_MISMATCH,
                        "%s: step %g is not between 0 and --steps %ld: give --steps at least the "
                        "checkpoint's step (the schedule spans --steps)",
                        path, step, o->steps);
        r->step = e == MM_OK ? (long)step : 0;
        r->tokens_seen = (size_t)mm_json_get_num(j, "tokens_seen", 0);
        size_t shards = (size_t)mm_json_get_num(j, "data_shards", 0);
        if (shards != mm_pretrain_data_shards(r->train))
            e = mm_fail(MM_ERR_MISMATCH, "%s: the run was trained on %zu shards, --data gives %zu",
                        path, shards, mm_pretrain_data_shards(r->train));
    }
    if (e == MM_OK) {
        mm_pretrain_pos p = {(int64_t)mm_json_get_num(j, "shard", 0),
                             (int64_t)mm_json_get_num(j, "offset", 0),
                             (int64_t)mm_json_get_num(j, "epoch", 0)};
        e = mm_pretrain_data_seek(r->train, p);
    }
    mm_json_doc_free(doc);
    return e == MM_OK ? restore_log(r) : e;
}

/* ---- the loop ---------------------------------------------------------------------------- */

static mm_err validate(run *r, float *out) {
    const mm_pretrain_opts *o = r->o;
    mm_pretrain_pos zero = {0, 0, 0};
    MM_TRY(mm_pretrain_data_seek(r->val, zero));
    double sum = 0;
    for (int i = 0; i < o->val_batches; i++) {
        float l;
        MM_TRY(mm_pretrain_data_next(r->val, o->batch, r->in, r->tg));
        MM_TRY(mm_gpt_forward(r->m, r->in, o->batch, r->T, NULL));
        MM_TRY(mm_gpt_loss(r->m, r->tg, &l));
        sum += l;
    }
    *out = (float)(sum / o->val_batches);
    return MM_OK;
}

/* One optimizer step: accum micro-batches, clip, AdamW.  *loss = mean micro-batch loss. */
static mm_err train_step(run *r, float lr, float *loss, float *norm) {
    const mm_pretrain_opts *o = r->o;
    mm_gpt_zero_grad(r->m);
    double sum = 0;
    for (int k = 0; k < o->accum; k++) {
        float l;
        MM_TRY(mm_pretrain_data_next(r->train, o->batch, r->in, r->tg));
        MM_TRY(mm_gpt_forward(r->m, r->in, o->batch, r->T, NULL));
        MM_TRY(mm_gpt_loss(r->m, r->tg, &l));
        if (!isfinite(l)) {
            *loss = l;
            return MM_ERR_NUMERIC;
        }
        MM_TRY(mm_gpt_backward(r->m, NULL));
        sum += l;
    }
    size_t n;
    float *g = mm_gpt_grads(r->m, &n);
    if (o->accum > 1) { /* gradients of the mean over micro-batches */
        float s = 1.0f / o->accum;
        for (size_t i = 0; i < n; i++)
            g[i] *= s;
    }
    *loss = (float)(sum / o->accum);
    *norm = mm_gpt_clip_grad(r->m, o->grad_clip);
    if (!isfinite(*norm)) return MM_ERR_NUMERIC;
    mm_adamw_opts ao = {lr, o->beta1, o->beta2, o->eps, o->weight_decay};
    MM_TRY(mm_gpt_adamw_step(r->m, &ao));
    r->tokens_seen += (size_t)o->accum * o->batch * r->T;
    return MM_OK;
}

static mm_err log_step(run *r, const mm_pretrain_event *ev) {
    mm_buf *b = &r->log;
    MM_TRY(mm_buf_printf(b,
                         "{\"step\": %ld, \"loss\": %.6f, \"lr\": %.6g, \"grad_norm\": %.6g, "
                         "\"tokens\": %zu, \"step_ms\": %.1f, \"tokens_per_s\": %.1f}\n",
                         ev->step, ev->loss, ev->lr, ev->grad_norm, r->tokens_seen,
                         ev->step_s * 1e3, ev->tokens_per_s));
    MM_TRY(push_point(&r->lx, &r->ly, &r->nl, &r->capl, (double)ev->step, ev->loss));
    if (isnan(ev->val_loss)) return MM_OK;
    MM_TRY(mm_buf_printf(b, "{\"step\": %ld, \"val_loss\": %.6f}\n", ev->step, ev->val_loss));
    return push_point(&r->vx, &r->vy, &r->nv, &r->capv, (double)ev->step, ev->val_loss);
}

static mm_err numeric_error(run *r, float loss, float norm) {
    return mm_fail(MM_ERR_NUMERIC,
                   "step %ld: %s is %s; training stopped (lower --lr or raise --warmup); the last "
                   "good checkpoint stays in %s",
                   r->step + 1, isfinite(loss) ? "the gradient norm" : "the loss",
                   isnan(isfinite(loss) ? norm : loss) ? "NaN" : "infinite", r->o->out);
}

static mm_err one_step(run *r, mm_pretrain_result *res) {
    const mm_pretrain_opts *o = r->o;
    float lr = mm_pretrain_lr(r->step, r->steps, r->warmup, o->lr, r->min_lr), loss = NAN,
          norm = NAN;
    double t0 = mm_now();
    mm_err e = train_step(r, lr, &loss, &norm);
    if (e == MM_ERR_NUMERIC) return numeric_error(r, loss, norm);
    MM_TRY(e);
    r->step++;
    mm_pretrain_event ev = {r->step, r->steps, loss, NAN, lr, norm, mm_now() - t0, 0, 0};
    ev.tokens_per_s = (double)o->accum * o->batch * r->T / ev.step_s;
    if (r->val && (r->step % o->val_every == 0 || r->step == r->steps)) {
        MM_TRY(validate(r, &ev.val_loss));
        if (isnan(res->first_val)) res->first_val = ev.val_loss;
        res->last_val = ev.val_loss;
    }
    if (isnan(res->first_loss)) res->first_loss = loss;
    res->last_loss = loss;
    MM_TRY(log_step(r, &ev));
    int stop = (o->stop && *o->stop) || r->step == o->stop_at;
    if (r->step % o->ckpt_every == 0 || r->step == r->steps || stop) {
        MM_TRY(checkpoint(r));
        ev.checkpointed = 1;
    } else if (!isnan(ev.val_loss)) { /* refresh the curve between checkpoints */
        MM_TRY(mm_mkdirs(o->out));
        MM_TRY(write_log(r, o->out));
    }
    if (o->on_event) o->on_event(o->ctx, &ev);
    return MM_OK;
}

/* Validation loss of the untrained model: the start of the curve. */
static mm_err initial_validation(run *r, mm_pretrain_result *res) {
    float v;
    MM_TRY(validate(r, &v));
    res->first_val = res->last_val = v;
    MM_TRY(mm_buf_printf(&r->log, "{\"step\": 0, \"val_loss\": %.6f}\n", v));
    return push_point(&r->vx, &r->vy, &r->nv, &r->capv, 0, v);
}

static void run_free(run *r) {
    mm_gpt_free(r->m);
    mm_pretrain_data_close(r->train);
    mm_pretrain_data_close(r->val);
    free(r->in);
    free(r->tg);
    mm_buf_free(&r->log);
    free(r->lx), free(r->ly), free(r->vx), free(r->vy);
}

static mm_err check_opts(const mm_pretrain_opts *o) {
    if (!o->data || !o->out) return mm_fail(MM_ERR_ARG, "pretrain: data and out are required");
    if (o->batch < 1 || o->accum < 1 || o->steps < 1 || o->val_every < 1 || o->val_batches < 1 ||
        o->ckpt_every < 1 || !(o->lr >= 0) || !(o->weight_decay >= 0))
        return mm_fail(
            MM_ERR_ARG,
            "pretrain: batch, accum, steps, val_every, val_batches, ckpt_every must be >= 1");
    return MM_OK;
}

/* Model, data and buffers for a fresh run or a resumed one. */
/* The tokenizer must fit the model; its <|endoftext|> id goes into config.json. */
static mm_err check_tokenizer(const char *dir, int vocab, int *eos) {
    *eos = -1;
    if (!dir) return MM_OK;
    mm_tok *t;
    MM_TRY(mm_tok_load(dir, &t));
    int n = mm_tok_vocab_size(t);
    *eos = mm_tok_eot(t);
    mm_tok_free(t);
    if (n > vocab)
        return mm_fail(MM_ERR_MISMATCH,
                       "%s: the tokenizer has %d tokens, more than the model's vocabulary of %d",
                       dir, n, vocab);
    return MM_OK;
}

/* The effective options: the caller's, completed from the checkpoint (resume) or defaults. */
static mm_err effective_opts(mm_pretrain_opts *o) {
    if (!o->data || !o->out) return mm_fail(MM_ERR_ARG, "pretrain: data and out are required");
    struct stat st;
    char path[4200];
    snprintf(path, sizeof path, "%s/train_state.json", o->out);
    int exists = stat(path, &st) == 0;
    if (o->resume && !exists)
        return mm_fail(MM_ERR_ARG, "%s: no checkpoint to resume from (train_state.json missing)",
                       o->out);
    if (!o->resume && exists && !o->force)
        return mm_fail(MM_ERR_ARG,
                       "%s already holds a run; pass --resume to continue it, --force to start "
                       "over (its checkpoint is lost), or choose another --out",
                       o->out);
    if (!o->resume)
        MM_TRY(mm_out_dir_check(o->out, "train_state.json", o->force, "pretraining run"));
    if (!o->resume) {
        resolve_opts(o, NULL);
        return check_opts(o);
    }
    mm_json_doc *doc = NULL;
    mm_json *j;
    mm_err e = mm_json_parse_file(path, &doc, &j);
    if (e == MM_OK) resolve_opts(o, j);
    mm_json_doc_free(doc);
    return e == MM_OK ? check_opts(o) : e;
}

static mm_err setup(run *r, mm_pretrain_opts *o) {
    MM_TRY(effective_opts(o));
    r->steps = o->steps;
    r->warmup = o->warmup;
    r->min_lr = o->min_lr;
    mm_gpt_config cfg = o->cfg;
    if (o->resume) {
        mm_gpt_config have;
        mm_gpt *probe;
        MM_TRY(mm_gpt_load(o->out, &probe));
        have = *mm_gpt_get_config(probe);
        mm_gpt_free(probe);
        MM_TRY(check_resume_config(&o->cfg, &have, o->out));
        cfg = have;
    }
    r->T = cfg.ctx;
    MM_TRY(check_tokenizer(o->tokenizer_dir, cfg.vocab, &r->eos));
    MM_TRY(mm_pretrain_data_open(o->data, cfg.vocab, r->T, &r->train));
    if (o->val) MM_TRY(mm_pretrain_data_open(o->val, cfg.vocab, r->T, &r->val));
    r->in = malloc((size_t)o->batch * r->T * sizeof *r->in);
    r->tg = malloc((size_t)o->batch * r->T * sizeof *r->tg);
    if (!r->in || !r->tg) return mm_fail(MM_ERR_NOMEM, "out of memory");
    if (o->resume) return resume(r);
    return mm_gpt_create(&cfg, o->seed, &r->m);
}

mm_err mm_pretrain_run(const mm_pretrain_opts *opts, mm_pretrain_result *res) {
    memset(res, 0, sizeof *res);
    res->first_loss = res->last_loss = res->first_val = res->last_val = NAN;
    mm_pretrain_opts eff = *opts;
    const mm_pretrain_opts *o = &eff;
    run r = {.o = o};
    mm_err e = setup(&r, &eff);
    if (e == MM_OK) mm_gpt_params(r.m, &res->params);
    if (e == MM_OK && r.val && r.step == 0) e = initial_validation(&r, res);
    double t0 = mm_now();
    size_t tok0 = r.tokens_seen;
    while (e == MM_OK && r.step < r.steps && !(o->stop && *o->stop) &&
           !(o->stop_at > 0 && r.step >= o->stop_at))
        e = one_step(&r, res);
    res->steps_done = r.step;
    res->seconds = mm_now() - t0;
    res->tokens_per_s = res->seconds > 0 ? (double)(r.tokens_seen - tok0) / res->seconds : 0;
    run_free(&r);
    return e;
}

/* ---- benchmark --------------------------------------------------------------------------- */

double mm_pretrain_sgemm_peak(void) {
    enum { N = 1536 };
    float *a = malloc((size_t)N * N * sizeof *a), *b = malloc((size_t)N * N * sizeof *b);
    float *c = malloc((size_t)N * N * sizeof *c);
    double best = 0;
    int was = openblas_get_num_threads();
    openblas_set_num_threads(
        omp_get_max_threads()); /* OpenBLAS's own threading, as users know it */
    if (a && b && c) {
        for (size_t i = 0; i < (size_t)N * N; i++)
            a[i] = b[i] = (float)(i % 7) * 0.1f;
        for (int rep = 0; rep < 6; rep++) {
            double t = mm_now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N, 0.0f,
                        c, N);
            t = mm_now() - t;
            double g = 2.0 * N * N * N / t / 1e9;
            if (rep && g > best) best = g; /* the first run warms up */
        }
    }
    openblas_set_num_threads(was);
    free(a), free(b), free(c);
    return best;
}

mm_err mm_pretrain_benchmark(const mm_gpt_config *cfg, int batch, int steps, uint64_t seed,
                             mm_pretrain_bench *out) {
    memset(out, 0, sizeof *out);
    mm_gpt *m;
    MM_TRY(mm_gpt_create(cfg, seed, &m));
    int T = cfg->ctx;
    size_t n = (size_t)batch * T;
    int32_t *in = malloc(n * sizeof *in), *tg = malloc(n * sizeof *tg);
    mm_err e = in && tg ? MM_OK : mm_fail(MM_ERR_NOMEM, "out of memory");
    mm_rng rng;
    mm_rng_seed(&rng, seed);
    for (size_t i = 0; e == MM_OK && i < n; i++) {
        in[i] = (int32_t)(mm_rng_next(&rng) % (uint64_t)cfg->vocab);
        tg[i] = (int32_t)(mm_rng_next(&rng) % (uint64_t)cfg->vocab);
    }
    mm_adamw_opts ao = {1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f};
    double t0 = 0;
    for (int s = 0; e == MM_OK && s <= steps; s++) {
        if (s == 1) t0 = mm_now(); /* step 0 warms up */
        float loss;
        mm_gpt_zero_grad(m);
        e = mm_gpt_forward(m, in, batch, T, NULL);
        if (e == MM_OK) e = mm_gpt_loss(m, tg, &loss);
        if (e == MM_OK) e = mm_gpt_backward(m, NULL);
        if (e == MM_OK) mm_gpt_clip_grad(m, 1.0f);
        if (e == MM_OK) e = mm_gpt_adamw_step(m, &ao);
    }
    double dt = mm_now() - t0;
    if (e == MM_OK) {
        double L = cfg->layers, D = cfg->dim;
        mm_gpt_params(m, &out->params);
        out->tokens_per_s = (double)n * steps / dt;
        out->ms_per_step = dt / steps * 1e3;
        out->flops_per_token = 6.0 * (12.0 * L * D * D + (double)cfg->vocab * D) + 12.0 * L * T * D;
        out->achieved_gflops = out->flops_per_token * out->tokens_per_s / 1e9;
        out->peak_gflops = mm_pretrain_sgemm_peak();
        out->mfu = out->peak_gflops > 0 ? out->achieved_gflops / out->peak_gflops : 0;
    }
    free(in), free(tg);
    mm_gpt_free(m);
    return e;
}
