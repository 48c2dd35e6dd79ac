/* mathmine sft — supervised fine-tuning on a task's worked solutions (rl/sft.h): epochs,
 * shuffling, validation loss, a checkpoint per epoch, --resume. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "common/progress.h"
#include "rl/sft.h"
#include "tools/blas_setup.h"
#include "tools/cli.h"
#include "tools/task_args.h"

#define CMD "sft"

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine sft --init CKPT|new:L,H,D,CTX -o DIR [task options] [options]\n\n"
        "Supervised fine-tuning on the task's worked solutions: the prompt (\"Question: ...\\n\n"
        "Answer:\\n\") is masked, the loss is on the response (the solution and end of text).\n"
        "Each epoch visits every train item once in a seeded order; after each epoch the loss on\n"
        "the test split (validation) is measured and DIR/epoch-N/ is written (model.safetensors,\n"
        "config.json with eos_token_id, tokenizer files, optimizer.safetensors), then\n"
        "DIR/sft_state.json names it.  DIR/final/ is the last epoch's model, DIR/log.jsonl has\n"
        "one line per epoch; a JSON summary goes to stdout.  Prompt/response JSONL\n"
        "({\"prompt\": ..., \"response\": ...}) is read by --task bench like any benchmark "
        "file.\n\n"
        "Options:\n"
        "  --init CKPT|new:L,H,D,CTX  start from a checkpoint, or a fresh model (byte-level, or\n"
        "                       with the vocabulary of --tokenizer)\n"
        "  --tokenizer DIR      tokenizer (default: the checkpoint's)\n"
        "  -o DIR               output directory (required)\n"
        "  --epochs N           passes over the train split (default 3)\n"
        "  --batch N            documents per step (default 16)\n"
        "  --lr LR              peak learning rate: warm-up 5%% of all steps, cosine to 10%%\n"
        "                       (default 3e-4)\n"
        "  --weight-decay W     AdamW decoupled weight decay on matrices and embeddings\n"
        "                       (default 0.1)\n"
        "  --grad-clip C        global gradient norm clip (default 1; 0 = off)\n"
        "  --val-n N            validation items from the test split (default 200; 0 = all)\n"
        "  --seed N             shuffling and new-model seed (default 1)\n"
        "  --resume             continue DIR from the epoch DIR/sft_state.json names (same\n"
        "                       options; the order and the schedule continue where they were)\n"
        "  -j N                 threads (default: all cores)\n"
        "  --stats FILE         also write the summary JSON to FILE\n"
        "  -h, --help           this help\n\n");
    grpo_task_usage(f);
}

typedef struct sft_run {
    const char *out;
    mm_gpt *m;
    const mm_grpo_codec *c;
    mm_out *log;
    mm_sft_epoch_stats last, first;
    int epochs;
    double t0;
} sft_run;

static void write_state(sft_run *r, int epoch) {
    char p[4096];
    mm_buf b = {0};
    mm_buf_printf(&b, "{\"epoch\": %d, \"ckpt\": \"epoch-%d\"}\n", epoch, epoch);
    snprintf(p, sizeof p, "%s/sft_state.json", r->out);
    mm_out *o;
    mm_err e = mm_out_open(p, 0, &o);
    if (e == MM_OK) e = mm_out_write(o, b.data, b.len);
    if (e == MM_OK) e = mm_out_commit(o);
    mm_buf_free(&b);
    if (e != MM_OK) cli_die(CMD, e);
}

static int on_epoch(void *ud, const mm_sft_epoch_stats *s) {
    sft_run *r = ud;
    if (r->first.epoch == 0) r->first = *s;
    r->last = *s;
    char dir[4096], p[4200];
    snprintf(dir, sizeof dir, "%s/epoch-%d", r->out, s->epoch);
    mm_err e = mm_grpo_save_ckpt(r->m, r->c, dir);
    snprintf(p, sizeof p, "%s/optimizer.safetensors", dir);
    if (e == MM_OK) e = mm_gpt_save_optimizer(r->m, p);
    if (e != MM_OK) cli_die(CMD, e);
    write_state(r, s->epoch); /* written last: names a complete checkpoint */
    mm_buf b = {0};
    mm_buf_printf(&b, "{\"epoch\": %d, \"steps\": %ld, \"train_loss\": %.6f, ", s->epoch, s->steps,
                  s->train_loss);
    if (isnan(s->val_loss))
        mm_buf_puts(&b, "\"val_loss\": null");
    else
        mm_buf_printf(&b, "\"val_loss\": %.6f", s->val_loss);
    mm_buf_printf(&b, ", \"seconds\": %.2f}\n", s->seconds);
    e = mm_out_write(r->log, b.data, b.len);
    mm_buf_free(&b);
    if (e != MM_OK) cli_die(CMD, e);
    cli_info(1, "sft: epoch %d/%d: train loss %.4f, validation loss %.4f (%.1f s)", s->epoch,
             r->epochs, s->train_loss, s->val_loss, s->seconds);
    return cli_interrupted;
}

static int on_step(void *ud, long step, double loss, double lr) {
    (void)ud, (void)step, (void)loss, (void)lr;
    return cli_interrupted;
}

/* --resume: the epoch DIR/sft_state.json names (0 = none) and its checkpoint path. */
static int resume_epoch(const char *out, char *ckpt, size_t cap) {
    char p[4096];
    snprintf(p, sizeof p, "%s/sft_state.json", out);
    mm_json_doc *doc;
    mm_json *root;
    if (mm_json_parse_file(p, &doc, &root) != MM_OK) return 0;
    int epoch = (int)mm_json_get_num(root, "epoch", 0);
    snprintf(ckpt, cap, "%s/%s", out, mm_json_get_str(root, "ckpt", ""));
    mm_json_doc_free(doc);
    return epoch;
}

static void summary(sft_run *r, const char *stats) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    char p[4200];
    snprintf(p, sizeof p, "%s/final", r->out);
    mm_jw_key(&w, "checkpoint"), mm_jw_string(&w, p);
    mm_jw_key(&w, "epochs"), mm_jw_int(&w, r->last.epoch);
    mm_jw_key(&w, "steps"), mm_jw_int(&w, r->last.steps);
    mm_jw_key(&w, "first_train_loss"), mm_jw_double(&w, r->first.train_loss);
    mm_jw_key(&w, "train_loss"), mm_jw_double(&w, r->last.train_loss);
    mm_jw_key(&w, "first_val_loss"), mm_jw_double(&w, r->first.val_loss);
    mm_jw_key(&w, "val_loss"), mm_jw_double(&w, r->last.val_loss);
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, mm_now() - r->t0);
    mm_jw_obj_end(&w);
    mm_buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, stdout);
    if (stats) cli_write_stats(CMD, stats, &b);
    mm_buf_free(&b);
}

int cmd_sft(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    task_args ta;
    grpo_task_args_default(&ta);
    ta.training = 1;
    mm_sft_train_opts o;
    mm_sft_train_opts_default(&o);
    const char *init = NULL, *tok_dir = NULL, *out = NULL, *stats = NULL;
    int threads = 0, resume = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VAL() (i + 1 < argc ? argv[++i] : (cli_usage_error(CMD, "%s needs a value", a), ""))
        if (grpo_task_arg(CMD, argc, argv, &i, &ta)) continue;
        if (!strcmp(a, "--init"))
            init = VAL();
        else if (!strcmp(a, "--tokenizer"))
            tok_dir = VAL();
        else if (!strcmp(a, "-o"))
            out = VAL();
        else if (!strcmp(a, "--epochs"))
            o.epochs = (int)cli_parse_int(CMD, a, VAL(), 1, 100000);
        else if (!strcmp(a, "--batch"))
            o.batch = (int)cli_parse_int(CMD, a, VAL(), 1, 65536);
        else if (!strcmp(a, "--lr"))
            o.lr = (float)cli_parse_double(CMD, a, VAL(), 0, 10);
        else if (!strcmp(a, "--weight-decay"))
            o.weight_decay = (float)cli_parse_double(CMD, a, VAL(), 0, 10);
        else if (!strcmp(a, "--grad-clip"))
            o.grad_clip = (float)cli_parse_double(CMD, a, VAL(), 0, 1e6);
        else if (!strcmp(a, "--val-n"))
            o.val_n = (int)cli_parse_int(CMD, a, VAL(), 0, 100000000);
        else if (!strcmp(a, "--seed"))
            o.seed = (uint64_t)cli_parse_int(CMD, a, VAL(), 0, 1LL << 62);
        else if (!strcmp(a, "--resume"))
            resume = 1;
        else if (!strcmp(a, "-j"))
            threads = (int)cli_parse_int(CMD, a, VAL(), 1, 4096);
        else if (!strcmp(a, "--stats"))
            stats = VAL();
        else
            cli_usage_error(CMD, "unknown option '%s'", a);
#undef VAL
    }
    if (!init) cli_usage_error(CMD, "--init CKPT|new:L,H,D,CTX is required");
    if (!out) cli_usage_error(CMD, "-o DIR is required");
    cli_blas_setup();
    cli_set_threads(threads);
    cli_install_signal_handlers();
    char ckpt[4200];
    if (resume && (o.start_epoch = resume_epoch(out, ckpt, sizeof ckpt)) > 0)
        init = ckpt;
    else if (resume)
        cli_warn(CMD, "--resume: %s/sft_state.json not found, starting fresh", out);
    mm_task *task = grpo_task_open(CMD, &ta);
    sft_run r = {.out = out, .epochs = o.epochs, .t0 = mm_now()};
    r.m = grpo_open_model(CMD, init, tok_dir, &r.c, o.seed);
    mm_err e = mm_mkdirs(out);
    char p[4300];
    if (e == MM_OK && o.start_epoch > 0) {
        snprintf(p, sizeof p, "%s/optimizer.safetensors", ckpt);
        e = mm_gpt_load_optimizer(r.m, p);
    }
    snprintf(p, sizeof p, "%s/log.jsonl", out);
    if (e == MM_OK) e = mm_out_open(p, 0, &r.log);
    if (e == MM_OK) e = mm_sft_train(r.m, r.c, task, &o, on_step, on_epoch, &r);
    if (e != MM_OK) {
        mm_out_abort(r.log);
        cli_die(CMD, e);
    }
    if ((e = mm_out_commit(r.log)) != MM_OK) cli_die(CMD, e);
    snprintf(p, sizeof p, "%s/final", out);
    if ((e = mm_grpo_save_ckpt(r.m, r.c, p)) != MM_OK) cli_die(CMD, e);
    summary(&r, stats);
    if (r.c != mm_grpo_codec_bytes()) mm_grpo_codec_close((mm_grpo_codec *)r.c);
    mm_gpt_free(r.m);
    mm_task_free(task);
    return cli_interrupted ? CLI_EXIT_INTERRUPTED : CLI_EXIT_OK;
}
