/* tools/cmd_pretrain.c — `mathmine pretrain`: train a GPT-2 model on token shards, or time
 * training steps (--bench). */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/progress.h"
#include "rl/pretrain.h"
#include "rl/tokenizer.h"
#include "tools/blas_setup.h"
#include "tools/cli.h"

#define CMD "pretrain"

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine pretrain --data 'DIR/train_*.bin' [--val 'DIR/val_*.bin'] --out DIR\n"
        "                         [--config layers=L,heads=H,dim=D,ctx=T,vocab=V] [options]\n"
        "       mathmine pretrain --bench [--config ...] [--batch B] [--steps S]\n\n"
        "Train a GPT-2 model (fp32, CPU: OpenBLAS + OpenMP) on llm.c token shards.  DIR (--out)\n"
        "is replaced as a whole at every checkpoint and always holds one complete checkpoint\n"
        "that transformers' GPT2LMHeadModel loads (model.safetensors, config.json, the tokenizer\n"
        "files), plus optimizer.safetensors and train_state.json for --resume, log.jsonl and\n"
        "loss.svg.  See docs/pretrain.md.\n\n"
        "Data and model:\n"
        "  --data GLOB          training shards (quote the pattern)\n"
        "  --val GLOB           validation shards (no validation without it)\n"
        "  --config K=V,...     layers (6), heads (6), dim (384), ctx (256), vocab (the\n"
        "                       tokenizer's size; required without --tokenizer)\n"
        "  --tokenizer DIR      tokenizer to copy into the checkpoint (and take vocab from)\n"
        "  -o, --out DIR        run / checkpoint directory (required): missing or empty, or\n"
        "                       a run of this command (a folder holding other files is\n"
        "                       refused: mathmine never deletes what it did not create)\n"
        "  --force              start over in an --out that holds a finished run (its\n"
        "                       checkpoint is replaced; default: refused)\n"
        "  --resume             continue the run in --out exactly where its checkpoint ended\n"
        "                       (optimisation options not given come from the checkpoint)\n"
        "  --stop-at N          checkpoint and stop after step N (the schedule still spans\n"
        "                       --steps); continue later with --resume\n"
        "Optimisation:\n"
        "  --batch B            sequences per micro-batch (8)\n"
        "  --accum A            micro-batches per optimizer step (1)\n"
        "  --steps S            optimizer steps in total (1000)\n"
        "  --lr X               peak learning rate (6e-4)\n"
        "  --min-lr X           final learning rate of the cosine (lr/10)\n"
        "  --warmup N           linear warm-up steps (steps/20)\n"
        "  --weight-decay X     AdamW decay on matrices and embeddings (0.1)\n"
        "  --grad-clip X        clip the global gradient norm (1.0; 0 = off)\n"
        "  --seed N             initialisation seed (1337)\n"
        "Monitoring:\n"
        "  --val-every N        validate every N steps and at the end (100)\n"
        "  --val-batches N      batches per validation (8)\n"
        "  --ckpt-every N       checkpoint every N steps and at the end (500)\n"
        "  --log-every N        progress line on stderr every N steps (10)\n"
        "  --stats FILE         summary as JSON\n"
        "  -j, --threads N      threads (OMP_NUM_THREADS, else all cores)\n"
        "  -q, --quiet          warnings off; -v, --verbose more messages (as before the command)\n"
        "Benchmark:\n"
        "  --bench              time --steps (default 5) steps on random tokens; prints tokens/s\n"
        "                       and MFU against the sgemm peak it measures with the same "
        "threads\n\n"
        "OpenBLAS's AVX-512 kernels are selected automatically on CPUs that have AVX-512\n"
        "(OPENBLAS_CORETYPE=SkylakeX), and idle OpenMP threads sleep (OMP_WAIT_POLICY=passive\n"
        "unless set); MM_BLAS_NO_REEXEC=1 keeps the environment as it is.\n"
        "Exit: 0 done, 1 error (NaN loss: the last good checkpoint stays), 2 usage, 130 "
        "interrupted.\n");
}

static void parse_config(const char *s, mm_gpt_config *c) {
    char *dup = strdup(s), *save = NULL;
    if (!dup) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
    for (char *kv = strtok_r(dup, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) cli_usage_error(CMD, "--config: '%s' is not KEY=VALUE", kv);
        *eq = 0;
        int v = (int)cli_parse_int(CMD, kv, eq + 1, 1, 1 << 24);
        if (!strcmp(kv, "layers"))
            c->layers = v;
        else if (!strcmp(kv, "heads"))
            c->heads = v;
        else if (!strcmp(kv, "dim"))
            c->dim = v;
        else if (!strcmp(kv, "ctx"))
            c->ctx = v;
        else if (!strcmp(kv, "vocab"))
            c->vocab = v;
        else
            cli_usage_error(CMD, "--config: unknown key '%s' (layers, heads, dim, ctx, vocab)", kv);
    }
    free(dup);
}

typedef struct cli_state {
    long log_every;
    double t0;
} cli_state;

static void on_event(void *ctx, const mm_pretrain_event *e) {
    cli_state *s = ctx;
    int show =
        e->step % s->log_every == 0 || e->step == e->steps || !isnan(e->val_loss) || e->step == 1;
    if (!show || cli_verbosity < 0) return;
    fprintf(stderr, "step %5ld/%ld  loss %.4f", e->step, e->steps, e->loss);
    if (!isnan(e->val_loss)) fprintf(stderr, "  val %.4f", e->val_loss);
    fprintf(stderr, "  lr %.2e  norm %.3f  %.0f tok/s  %.1fs%s\n", e->lr, e->grad_norm,
            e->tokens_per_s, mm_now() - s->t0, e->checkpointed ? "  [checkpoint]" : "");
}

static int run_bench(const mm_gpt_config *c, int batch, int steps, uint64_t seed, int threads) {
    mm_pretrain_bench b;
    mm_err e = mm_pretrain_benchmark(c, batch, steps, seed, &b);
    if (e != MM_OK) cli_die(CMD, e);
    printf("config        layers=%d heads=%d dim=%d ctx=%d vocab=%d  batch %d  (%.2fM params)\n",
           c->layers, c->heads, c->dim, c->ctx, c->vocab, batch, b.params / 1e6);
    printf("blas          %s, %d threads\n", openblas_get_corename(), threads);
    printf("step          %.1f ms\n", b.ms_per_step);
    printf("tokens/s      %.1f\n", b.tokens_per_s);
    printf("model GFLOP/s %.1f  (%.1f MFLOP/token)\n", b.achieved_gflops, b.flops_per_token / 1e6);
    printf("sgemm peak    %.1f GFLOP/s\n", b.peak_gflops);
    printf("MFU           %.1f%%\n", 100 * b.mfu);
    return CLI_EXIT_OK;
}

static void write_stats(const char *path, const mm_pretrain_opts *o, const mm_pretrain_result *r) {
    if (!path) return;
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "out"), mm_jw_string(&w, o->out);
    mm_jw_key(&w, "params"), mm_jw_uint(&w, r->params);
    mm_jw_key(&w, "steps"), mm_jw_int(&w, r->steps_done);
    mm_jw_key(&w, "first_loss"), mm_jw_double(&w, r->first_loss);
    mm_jw_key(&w, "last_loss"), mm_jw_double(&w, r->last_loss);
    mm_jw_key(&w, "first_val_loss"), mm_jw_double(&w, r->first_val);
    mm_jw_key(&w, "last_val_loss"), mm_jw_double(&w, r->last_val);
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, r->seconds);
    mm_jw_key(&w, "tokens_per_s"), mm_jw_double(&w, r->tokens_per_s);
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, path, &b);
    mm_buf_free(&b);
}

typedef struct args {
    mm_pretrain_opts o;
    const char *stats;
    int bench, threads;
    long log_every;
} args;

static void parse_args(int argc, char **argv, args *a) {
    mm_pretrain_opts *o = &a->o;
    long steps = -1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
#define IS(x) (!strcmp(s, x))
#define INT(lo, hi) cli_parse_int(CMD, s, cli_value(CMD, argc, argv, &i), lo, hi)
#define DBL(lo, hi) (float)cli_parse_double(CMD, s, cli_value(CMD, argc, argv, &i), lo, hi)
        if (IS("--data"))
            o->data = cli_value(CMD, argc, argv, &i);
        else if (IS("--val"))
            o->val = cli_value(CMD, argc, argv, &i);
        else if (cli_is_out(s))
            o->out = cli_value(CMD, argc, argv, &i);
        else if (IS("--config"))
            parse_config(cli_value(CMD, argc, argv, &i), &o->cfg);
        else if (IS("--tokenizer"))
            o->tokenizer_dir = cli_value(CMD, argc, argv, &i);
        else if (IS("--resume"))
            o->resume = 1;
        else if (IS("--force"))
            o->force = 1;
        else if (IS("--stop-at"))
            o->stop_at = (long)INT(1, 1000000000);
        else if (IS("--batch"))
            o->batch = (int)INT(1, 1 << 20);
        else if (IS("--accum"))
            o->accum = (int)INT(1, 1 << 20);
        else if (IS("--steps"))
            steps = (long)INT(1, 1000000000);
        else if (IS("--lr"))
            o->lr = DBL(0, 1e30);
        else if (IS("--min-lr"))
            o->min_lr = DBL(0, 1e30);
        else if (IS("--warmup"))
            o->warmup = (long)INT(0, 1000000000);
        else if (IS("--weight-decay"))
            o->weight_decay = DBL(0, 10);
        else if (IS("--grad-clip"))
            o->grad_clip = DBL(0, 1e30);
        else if (IS("--seed"))
            o->seed = (uint64_t)INT(0, INT64_MAX);
        else if (IS("--val-every"))
            o->val_every = (int)INT(1, 1 << 30);
        else if (IS("--val-batches"))
            o->val_batches = (int)INT(1, 1 << 20);
        else if (IS("--ckpt-every"))
            o->ckpt_every = (int)INT(1, 1 << 30);
        else if (IS("--log-every"))
            a->log_every = (long)INT(1, 1 << 30);
        else if (IS("--stats"))
            a->stats = cli_value(CMD, argc, argv, &i);
        else if (IS("-j") || IS("--threads"))
            a->threads = (int)INT(1, 4096);
        else if (IS("--bench"))
            a->bench = 1;
        else if (IS("-q") || IS("--quiet"))
            cli_verbosity = -1;
        else if (IS("-v") || IS("--verbose"))
            cli_verbosity++;
        else
            cli_usage_error(CMD, "unknown option '%s'", s);
#undef IS
#undef INT
#undef DBL
    }
    o->steps = steps > 0 ? steps : a->bench ? 5 : -1;
    if (a->bench && o->batch <= 0) o->batch = 8;
}

static void fill_config(args *a) {
    mm_gpt_config *c = &a->o.cfg;
    if (a->o.resume) return; /* taken from the checkpoint; given fields are checked */
    if (c->vocab <= 0 && a->o.tokenizer_dir) {
        mm_tok *t;
        mm_err e = mm_tok_load(a->o.tokenizer_dir, &t);
        if (e != MM_OK) cli_die(CMD, e);
        c->vocab = mm_tok_vocab_size(t);
        mm_tok_free(t);
    }
    if (c->vocab <= 0 && a->bench) c->vocab = 8192;
    if (c->vocab <= 0) cli_usage_error(CMD, "--config vocab=V is needed (or --tokenizer DIR)");
    if (c->layers <= 0) c->layers = 6;
    if (c->heads <= 0) c->heads = 6;
    if (c->dim <= 0) c->dim = 384;
    if (c->ctx <= 0) c->ctx = 256;
    if (c->dim % c->heads)
        cli_usage_error(CMD, "--config: dim %d is not a multiple of heads %d", c->dim, c->heads);
}

int cmd_pretrain(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    cli_blas_setup();
    args a = {.log_every = 10};
    mm_pretrain_defaults(&a.o);
    parse_args(argc, argv, &a);
    fill_config(&a);
    cli_set_threads(a.threads);
    int threads = omp_get_max_threads();
    if (a.bench) return run_bench(&a.o.cfg, a.o.batch, (int)a.o.steps, a.o.seed, threads);
    if (!a.o.data) cli_usage_error(CMD, "--data GLOB is required");
    if (!a.o.out) cli_usage_error(CMD, "--out DIR is required");
    cli_state st = {a.log_every, mm_now()};
    a.o.on_event = on_event;
    a.o.ctx = &st;
    a.o.stop = &cli_interrupted;
    mm_pretrain_result r;
    mm_err e = mm_pretrain_run(&a.o, &r);
    if (e != MM_OK) cli_die(CMD, e);
    write_stats(a.stats, &a.o, &r);
    printf("steps %ld  loss %.4f -> %.4f", r.steps_done, r.first_loss, r.last_loss);
    if (!isnan(r.first_val)) printf("  val %.4f -> %.4f", r.first_val, r.last_val);
    printf("  %.0f tok/s  %.1fs  checkpoint %s\n", r.tokens_per_s, r.seconds, a.o.out);
    return cli_interrupted ? CLI_EXIT_INTERRUPTED : CLI_EXIT_OK;
}
