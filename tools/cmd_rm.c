/* mathmine rm — train an outcome or process reward model on a policy's own samples labelled by
 * the task's checker, and report its held-out AUC and accuracy (rl/reward_model.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "rl/reward_model.h"
#include "tools/blas_setup.h"
#include "tools/cli.h"
#include "tools/task_args.h"

#define CMD "rm"

static void usage(FILE *f) {
    /* clang-format off: one option a line, as the other commands */
    fprintf(
        f, "Usage: mathmine rm --policy CKPT -o DIR [options] [task options]\n\n"
           "Outcome reward model (DeepSeekMath §4.1, the default --kind orm): samples --samples\n"
           "outputs for each of --questions train questions from the policy, labels each by the\n"
           "task's checker (1 = right final answer), and trains a GPT-2 with a scalar head\n"
           "(initialised from --init, default the policy, as the paper initialises its reward\n"
           "model from the SFT model) with binary cross-entropy on the score at the last token.\n"
           "Held-out: outputs sampled for --test-questions questions of the test split, never\n"
           "trained on; the AUC (the chance a right output outscores a wrong one) and accuracy\n"
           "are reported before and after.\n\n"
           "--kind prm trains a process reward model instead: the same network scored at the end\n"
           "of every step (a line of the output), each step's target the share of --rollouts\n"
           "continuations of the output up to that step (plus the output's own) that reach the\n"
           "right answer (Math-Shepherd's labels, as DeepSeekMath uses); the held-out AUC is then\n"
           "reported per step (against target >= 1/2) and per solution (its lowest step score).\n\n"
           "Output: DIR/final/ (model.safetensors + config.json: the backbone; score.safetensors:\n"
           "the head; the tokenizer) and DIR/summary.json, also printed on stdout.\n"
           "Use it in RL with `mathmine grpo --reward orm:DIR/final` (or prm:DIR/final).\n\n"
           "Options:\n"
           "  --policy CKPT          the policy that samples (required)\n"
           "  --init CKPT            the reward model's starting point (default: the policy; a\n"
           "                         reward-model checkpoint continues its training)\n"
           "  --tokenizer DIR        tokenizer (default: the one in the policy checkpoint)\n"
           "  -o DIR                 output directory (required)\n"
           "  --kind K               orm (default): one score per output | prm: one per step\n"
           "  --rollouts N           prm: continuations per step prefix for its target, train and\n"
           "                         held-out samples alike (default 4; 0 = every step gets the\n"
           "                         output's outcome)\n"
           "  --questions N          train questions (default 256)\n"
           "  --samples K            samples per question (default 8)\n"
           "  --test-questions N     held-out test questions (default 100)\n"
           "  --temperature T        sampling temperature (default 1)\n"
           "  --max-new-tokens N     completion length cap (default 64)\n"
           "  --epochs N             passes over the samples (default 3)\n"
           "  --batch N              sequences per optimizer step (default 32)\n"
           "  --lr LR                AdamW learning rate (default 3e-4)\n"
           "  --weight-decay W       (default 0)\n"
           "  --grad-clip C          global gradient-norm clip (default 1)\n"
           "  --micro-batch N        sequences generated at once (default 64)\n"
           "  --seed N               sampling and example order (default 1)\n"
           "  -j N                   threads (default: all cores)\n"
           "  --stats FILE           the summary as JSON\n"
           "  -h, --help             this help\n\n");
    /* clang-format on */
    grpo_task_usage(f);
}

static int on_epoch(void *ud, int epoch, double loss) {
    (void)ud;
    cli_info(0, "epoch %d  loss %.4f", epoch + 1, loss);
    return cli_interrupted;
}

static void eval_json(mm_jw *w, const char *key, const mm_rm_eval_result *e) {
    mm_jw_key(w, key), mm_jw_obj_begin(w);
    mm_jw_key(w, "n"), mm_jw_int(w, e->n);
    mm_jw_key(w, "positives"), mm_jw_int(w, e->positives);
    mm_jw_key(w, "auc"), mm_jw_double(w, e->auc);
    mm_jw_key(w, "accuracy"), mm_jw_double(w, e->accuracy);
    mm_jw_key(w, "majority"), mm_jw_double(w, e->majority);
    mm_jw_key(w, "loss"), mm_jw_double(w, e->loss);
    mm_jw_key(w, "mean_score_right"), mm_jw_double(w, e->mean_pos);
    mm_jw_key(w, "mean_score_wrong"), mm_jw_double(w, e->mean_neg);
    mm_jw_key(w, "steps"), mm_jw_int(w, e->steps);
    mm_jw_key(w, "step_positives"), mm_jw_int(w, e->step_positives);
    mm_jw_key(w, "step_auc"), mm_jw_double(w, e->step_auc);
    mm_jw_obj_end(w);
}

static void summary(const char *out, const char *stats, const mm_rm_build_opts *o,
                    const mm_rm_build_result *r) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    char p[4096];
    snprintf(p, sizeof p, "%s/final", out);
    mm_jw_key(&w, "checkpoint"), mm_jw_string(&w, p);
    mm_jw_key(&w, "kind"), mm_jw_string(&w, o->train.process ? "prm" : "orm");
    if (o->train.process) mm_jw_key(&w, "rollouts"), mm_jw_int(&w, o->train.rollouts);
    mm_jw_key(&w, "train_samples"), mm_jw_int(&w, r->train_n);
    mm_jw_key(&w, "train_positives"), mm_jw_int(&w, r->train_positives);
    mm_jw_key(&w, "train_loss"), mm_jw_double(&w, r->final_loss);
    eval_json(&w, "held_out_before", &r->before);
    eval_json(&w, "held_out", &r->after);
    mm_jw_key(&w, "sample_seconds"), mm_jw_double(&w, r->sample_s);
    mm_jw_key(&w, "train_seconds"), mm_jw_double(&w, r->train_s);
    mm_jw_obj_end(&w);
    printf("%s\n", b.data);
    snprintf(p, sizeof p, "%s/summary.json", out);
    cli_write_stats(CMD, p, &b);
    cli_write_stats(CMD, stats, &b);
    mm_buf_free(&b);
}

static mm_err save_tokenizer(void *ud, const char *dir) {
    return mm_grpo_codec_save(ud, dir);
}

int cmd_rm(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    task_args ta;
    grpo_task_args_default(&ta);
    mm_rm_build_opts o = {.train = {256, 8, 1.0f, 64, 64, 1}, .test = {100, 8, 1.0f, 64, 64, 2}};
    mm_rm_train_opts_default(&o.fit);
    const char *policy = NULL, *init = NULL, *tok_dir = NULL, *out = NULL, *stats = NULL;
    const char *kind = "orm";
    o.train.rollouts = o.test.rollouts = 4;
    int threads = 0;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* clang-format off */
#define VAL() (i + 1 < argc ? argv[++i] : (cli_usage_error(CMD, "%s needs a value", a), ""))
        if (grpo_task_arg(CMD, argc, argv, &i, &ta)) continue;
        if (!strcmp(a, "--policy")) policy = VAL();
        else if (!strcmp(a, "--init")) init = VAL();
        else if (!strcmp(a, "--tokenizer")) tok_dir = VAL();
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = VAL();
        else if (!strcmp(a, "--kind")) kind = VAL();
        else if (!strcmp(a, "--rollouts")) o.train.rollouts = o.test.rollouts = (int)cli_parse_int(CMD, a, VAL(), 0, 1024);
        else if (!strcmp(a, "--questions")) o.train.questions = (int)cli_parse_int(CMD, a, VAL(), 1, 10000000);
        else if (!strcmp(a, "--samples")) o.train.per_question = o.test.per_question = (int)cli_parse_int(CMD, a, VAL(), 1, 4096);
        else if (!strcmp(a, "--test-questions")) o.test.questions = (int)cli_parse_int(CMD, a, VAL(), 1, 10000000);
        else if (!strcmp(a, "--temperature")) o.train.temperature = o.test.temperature = (float)cli_parse_double(CMD, a, VAL(), 0, 100);
        else if (!strcmp(a, "--max-new-tokens")) o.train.max_new_tokens = o.test.max_new_tokens = (int)cli_parse_int(CMD, a, VAL(), 1, 1 << 20);
        else if (!strcmp(a, "--epochs")) o.fit.epochs = (int)cli_parse_int(CMD, a, VAL(), 1, 100000);
        else if (!strcmp(a, "--batch")) o.fit.batch = (int)cli_parse_int(CMD, a, VAL(), 1, 100000);
        else if (!strcmp(a, "--lr")) o.fit.lr = (float)cli_parse_double(CMD, a, VAL(), 0, 1);
        else if (!strcmp(a, "--weight-decay")) o.fit.weight_decay = (float)cli_parse_double(CMD, a, VAL(), 0, 1);
        else if (!strcmp(a, "--grad-clip")) o.fit.grad_clip = (float)cli_parse_double(CMD, a, VAL(), 0, 1e9);
        else if (!strcmp(a, "--micro-batch")) o.train.batch = o.test.batch = o.score_batch = (int)cli_parse_int(CMD, a, VAL(), 1, 100000);
        else if (!strcmp(a, "--seed")) seed = (uint64_t)cli_parse_int(CMD, a, VAL(), 0, 1LL << 62);
        else if (!strcmp(a, "-j")) threads = (int)cli_parse_int(CMD, a, VAL(), 1, 4096);
        else if (!strcmp(a, "--stats")) stats = VAL();
        else cli_usage_error(CMD, "unknown option '%s'", a);
#undef VAL
        /* clang-format on */
    }
    if (!policy) cli_usage_error(CMD, "--policy CKPT is required");
    if (!out) cli_usage_error(CMD, "-o DIR is required");
    if (strcmp(kind, "orm") && strcmp(kind, "prm"))
        cli_usage_error(CMD, "--kind must be orm or prm, got '%s'", kind);
    o.train.process = o.test.process = !strcmp(kind, "prm");
    o.train.seed = seed, o.test.seed = seed + 1, o.fit.seed = seed;
    cli_blas_setup();
    cli_set_threads(threads);
    mm_task *task = grpo_task_open(CMD, &ta);
    mm_gpt *pol;
    mm_err e = mm_gpt_load(policy, &pol);
    if (e != MM_OK) cli_die(CMD, e);
    mm_grpo_codec *c;
    if ((e = mm_grpo_codec_open(policy, tok_dir, mm_gpt_get_config(pol)->vocab, &c)) != MM_OK)
        cli_die(CMD, e);
    mm_value *rm;
    if ((e = mm_value_load(init ? init : policy, seed, &rm)) != MM_OK) cli_die(CMD, e);
    mm_rm_build_result r;
    if ((e = mm_rm_build(pol, c, task, rm, &o, on_epoch, NULL, &r)) != MM_OK) cli_die(CMD, e);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/final", out);
    if ((e = mm_mkdirs(out)) == MM_OK) e = mm_value_save(rm, dir, c->eos, save_tokenizer, c);
    if (e != MM_OK) cli_die(CMD, e);
    summary(out, stats, &o, &r);
    mm_value_free(rm);
    mm_grpo_codec_close(c);
    mm_gpt_free(pol);
    mm_task_free(task);
    return cli_interrupted ? CLI_EXIT_INTERRUPTED : CLI_EXIT_OK;
}
