/* mathmine grpo — Group Relative Policy Optimization on a checkpoint (rl/grpo.h), the online
 * RFT and RFT baselines, a supervised warm-up, and the arith task's documents for
 * pre-training.  The task options are shared with `mathmine eval` (tools/cmd_eval.c). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "common/progress.h"
#include "common/svg.h"
#include "rl/grpo.h"
#include "tools/blas_setup.h"
#include "tools/cli.h"
#include "tools/rl_args.h"
#include "tools/task_args.h"

#define CMD "grpo"

/* ---- task options (tools/task_args.h, shared with cmd_eval.c) ---- */

void grpo_task_args_default(task_args *t) {
    memset(t, 0, sizeof *t);
    t->kind = "arith";
    mm_arith_opts_default(&t->arith);
}

void grpo_task_usage(FILE *f) {
    fprintf(
        f,
        "Task options:\n"
        "  --task arith|bench  arith (default): generated multi-step word problems; bench (or "
        "jsonl):\n"
        "                      benchmark files in any format of ../shared/benchmarks (GSM8K, "
        "MATH,\n"
        "                      MATH500, SVAMP, ASDiv, MAWPS, CMATH, MGSM-zh, Minerva OCW, "
        "AGIEval,\n"
        "                      MathQA, MMLU .csv/.jsonl, SAT), answers checked by rl/answer.h\n"
        "  --ops N             arith: operations per problem (default 2)\n"
        "  --digits N          arith: digits of the operands (default 2)\n"
        "  --no-mul            arith: only + and - steps\n"
        "  --plain             arith: bare expressions (\"Compute (3 + 4) * 2.\") instead of "
        "words\n"
        "  --task-seed N       arith: generator seed (default 1); the test split depends only on "
        "it\n"
        "  --n-train N         arith: train items (default 20000)\n"
        "  --n-test N          arith: held-out test items (default 500)\n"
        "  --train-file F      bench: training questions (default: none; training needs one)\n"
        "  --test-file F       bench: test questions (e.g. ../shared/benchmarks/gsm8k/test.jsonl)\n"
        "  --train-on-test     bench: train on the test file (or a train file that is the test "
        "file)\n"
        "                      on purpose; refused otherwise, since the accuracy it reports is "
        "then\n"
        "                      on questions the model trained on (default: off)\n"
        "  --shots K           k-shot prompts: the first K train items' worked solutions go "
        "before\n"
        "                      every question (the same template for sft, eval and grpo; a bench\n"
        "                      task needs --train-file, e.g. an MMLU *_dev.csv) (default 0)\n");
}

/* Consume argv[*i] (and its value) when it is a task option; 1 = consumed. */
int grpo_sampling_arg(const char *cmd, int argc, char **argv, int *i, float *temperature,
                      int *top_k, float *top_p) {
    const char *a = argv[*i];
    if (!strcmp(a, "--temperature"))
        *temperature = (float)cli_parse_double(cmd, a, cli_value(cmd, argc, argv, i), 0, 100);
    else if (!strcmp(a, "--top-k"))
        *top_k = (int)cli_parse_int(cmd, a, cli_value(cmd, argc, argv, i), 0, 1 << 24);
    else if (!strcmp(a, "--top-p"))
        *top_p = (float)cli_parse_double(cmd, a, cli_value(cmd, argc, argv, i), 0.001, 1);
    else
        return 0;
    return 1;
}

int grpo_task_arg(const char *cmd, int argc, char **argv, int *i, task_args *t) {
    const char *a = argv[*i];
#define VAL() (*i + 1 < argc ? argv[++*i] : (cli_usage_error(cmd, "%s needs a value", a), ""))
    if (!strcmp(a, "--task"))
        t->kind = VAL();
    else if (!strcmp(a, "--ops"))
        t->arith.ops = (int)cli_parse_int(cmd, a, VAL(), 1, 16);
    else if (!strcmp(a, "--digits"))
        t->arith.digits = (int)cli_parse_int(cmd, a, VAL(), 1, 6);
    else if (!strcmp(a, "--no-mul"))
        t->arith.mul = 0;
    else if (!strcmp(a, "--plain"))
        t->arith.plain = 1;
    else if (!strcmp(a, "--task-seed"))
        t->arith.seed = (uint64_t)cli_parse_int(cmd, a, VAL(), 0, 1LL << 62);
    else if (!strcmp(a, "--n-train"))
        t->arith.n_train = (size_t)cli_parse_int(cmd, a, VAL(), 1, 100000000);
    else if (!strcmp(a, "--n-test"))
        t->arith.n_test = (size_t)cli_parse_int(cmd, a, VAL(), 1, 10000000);
    else if (!strcmp(a, "--train-file"))
        t->train_file = VAL();
    else if (!strcmp(a, "--test-file"))
        t->test_file = VAL();
    else if (!strcmp(a, "--train-on-test"))
        t->train_on_test = 1;
    else if (!strcmp(a, "--shots"))
        t->shots = (int)cli_parse_int(cmd, a, VAL(), 0, 64);
    else
        return 0;
#undef VAL
    return 1;
}

mm_task *grpo_task_open(const char *cmd, const task_args *t) {
    mm_task *task = NULL;
    mm_err e;
    if (!strcmp(t->kind, "arith")) {
        e = mm_task_arith_create(&t->arith, &task);
    } else if (!strcmp(t->kind, "jsonl") || !strcmp(t->kind, "bench")) {
        if (!t->test_file) cli_usage_error(cmd, "--task %s needs --test-file", t->kind);
        const char *train = t->train_file;
        char a[4096], b[4096];
        int same = train && realpath(train, a) && realpath(t->test_file, b) && !strcmp(a, b);
        if (t->training && (!train || same) && !t->train_on_test)
            cli_usage_error(cmd,
                            "%s: training on the test questions (%s); give --train-file F "
                            "(e.g. gsm8k/train.jsonl) or --train-on-test to do it on purpose",
                            t->test_file,
                            train ? "--train-file is the test file" : "no --train-file");
        if (t->training && !train) train = t->test_file;
        if (t->training && (!t->train_file || same))
            cli_warn(cmd, "--train-on-test: training on %s, the file accuracy is reported on",
                     t->test_file);
        e = mm_task_jsonl_create(train, t->test_file, &task);
        if (e == MM_OK && mm_task_skipped(task))
            cli_warn(cmd, "%llu broken or answerless lines skipped",
                     (unsigned long long)mm_task_skipped(task));
    } else {
        cli_usage_error(cmd, "--task must be arith or bench (jsonl), got '%s'", t->kind);
    }
    if (e == MM_OK && t->shots) e = mm_task_set_shots(task, t->shots);
    if (e != MM_OK) cli_die(cmd, e);
    return task;
}

/* ---- the command ---- */

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine grpo --init CKPT -o DIR [options]\n"
        "       mathmine grpo --algo sft --init new:L,H,D,CTX -o DIR [options]\n"
        "       mathmine grpo --write-train N -o FILE.jsonl.zst [task options]\n\n"
        "Reinforcement learning on a task with rule-based rewards (DeepSeekMath §4).  Each step\n"
        "samples --group outputs for each of --questions train questions from the old policy,\n"
        "scores them, computes group-relative advantages and updates the policy with the\n"
        "clipped surrogate minus beta times the KL to a frozen reference model.\n\n"
        "Output: DIR/final/ (checkpoint: model.safetensors, config.json and the tokenizer),\n"
        "DIR/step-N/ and DIR/resume/ (with --save-every), DIR/log.jsonl (one line per step),\n"
        "DIR/curves.svg and DIR/kl.svg, DIR/summary.json; the summary also goes to stdout.\n\n"
        "Options:\n"
        "  --init CKPT            starting checkpoint (new:L,H,D,CTX = a fresh model, L layers,\n"
        "                         H heads, D dims, CTX context, for --algo sft: byte-level, or\n"
        "                         with the vocabulary of --tokenizer)\n"
        "  --tokenizer DIR        tokenizer (default: the one in CKPT; none = byte-level)\n"
        "  -o, --out DIR          output directory (required): missing, empty or a grpo run;\n"
        "                         a folder holding other files is refused\n"
        "  --force                overwrite the finished run in -o DIR (default: refused)\n"
        "  --algo A               grpo (default) | online-rft (fine-tune on the policy's own\n"
        "                         correct samples) | rft (on samples of the frozen initial model) "
        "|\n"
        "                         sft (supervised warm-up on the task's worked solutions)\n"
        "  --supervision S        outcome (default) | process (per-step rewards)\n"
        "  --steps N              steps (default 50)\n"
        "  --questions N          questions per step (default 8)\n"
        "  --group G              samples per question (default 8; the paper: 64)\n"
        "  --beta B               KL coefficient (default 0.04)\n"
        "  --clip E               clip range epsilon (default 0.2)\n"
        "  --clip-high E          upper clip epsilon: the ratio is clipped to [1-E_clip, 1+E] "
        "(DAPO's\n"
        "                         clip-higher, e.g. 0.28; default 0 = the same as --clip)\n"
        "  --lr LR                AdamW learning rate (default 1e-5; the paper: 1e-6; sft: 1e-3)\n"
        "  --warmup N             the learning rate rises linearly over the first N steps\n"
        "                         (default 0: a 5-step warm-up did not help on the demo's\n"
        "                         model, docs/grpo.md)\n"
        "  --lr-schedule S        constant (default, as the paper) | cosine (from --lr after\n"
        "                         the warm-up down to --min-lr-ratio times --lr at the end)\n"
        "  --min-lr-ratio R       the cosine's end as a share of --lr (default 0.1)\n"
        "  --weight-decay W       (default 0)\n"
        "  --grad-clip C          global gradient-norm clip (default 1)\n"
        "  --updates-per-batch M  policy updates per sampled batch, mu (default 1)\n"
        "  --max-new-tokens N     completion length cap (default 64)\n"
        "  --temperature T        sampling temperature (default 1)\n"
        "  --top-k K              sample from the K most likely tokens (default 0 = off)\n"
        "  --top-p P              nucleus sampling: the smallest set of tokens with probability\n"
        "                         >= P (default 1 = off).  The old log-probabilities stay those\n"
        "                         of the full distribution at temperature 1 (as for "
        "--temperature)\n"
        "  --no-std-norm          advantages r - mean(r), without dividing by std (Dr. GRPO)\n"
        "  --token-mean           one mean over all tokens of the batch instead of per output\n"
        "  --iterative K          reset the reference model to the policy every K steps\n"
        "  --filter-groups        train only on groups with signal: groups whose rewards are all\n"
        "                         equal are dropped and new questions sampled (DAPO; default on)\n"
        "  --no-filter-groups     train on every group, as the paper does\n"
        "  --filter-tries N       extra sampling rounds per step for --filter-groups (default 3)\n"
        "  --format-reward W      add W for an output with a marked answer (####, \\boxed, 'The "
        "answer\n"
        "                         is'; default 0)\n"
        "  --micro-batch N        sequences per forward/backward and generation (default 32)\n"
        "  --eval-every N         greedy held-out accuracy every N steps (default 0 = off)\n"
        "  --eval-n N             test items for --eval-every (default 100)\n"
        "  --save-every N         every N steps write DIR/step-N/ (the policy) and\n"
        "                         DIR/resume/ (the whole training state, for --resume;\n"
        "                         replaced at each save) (default 0 = neither)\n"
        "  --resume               continue the run in -o DIR from DIR/resume/ (after a kill or\n"
        "                         Ctrl-C): give the options of the saved run; it ends with the\n"
        "                         weights and log of the uninterrupted run (same -j)\n"
        "  --sft-batch N          sft: documents per step (default 32)\n"
        "  --seed N               sampling and question order (default 1)\n"
        "  --write-train N        write N train-split documents (prompt + worked solution) as a\n"
        "                         document shard to -o FILE, for `mathmine shard --mix`\n"
        "  --write-split S        train (default) | test, for --write-train\n"
        "  -j N                   threads (default: all cores)\n"
        "  --stats FILE           the summary as JSON\n"
        "  -h, --help             this help\n\n");
    grpo_task_usage(f);
    grpo_rl_usage(f); /* hook: learned rewards, PPO, DPO (tools/rl_args.h) */
}

typedef struct run {
    const char *out;
    mm_out *log;
    mm_buf text; /* the log so far, saved with the training state (--save-every) */
    int every, steps, save_every;
    mm_gpt *model;
    const mm_grpo_codec *codec;
    double t0;
    /* curves */
    double *x, *reward, *acc, *eval_x, *eval_y, *kl, *clip, *len;
    int n, ne;
    double equal_sum; /* sum over steps of the share of all-equal groups */
    mm_grpo_step_stats last;
    double last_eval;
} run;

static void log_line(run *r, const mm_grpo_step_stats *s) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
#define D(k, v) (mm_jw_key(&w, k), mm_jw_double(&w, v))
    mm_jw_key(&w, "step"), mm_jw_int(&w, s->step);
    D("reward_mean", s->reward_mean), D("reward_std", s->reward_std), D("accuracy", s->accuracy);
    D("kl", s->kl), D("clip_frac", s->clip_frac), D("entropy", s->entropy), D("ratio", s->ratio);
    D("out_len", s->out_len), D("prompt_len", s->prompt_len), D("equal_groups", s->equal_groups),
        D("loss", s->loss);
    D("grad_norm", s->grad_norm);
    mm_jw_key(&w, "groups_trained"), mm_jw_int(&w, s->groups_trained);
    mm_jw_key(&w, "resampled"), mm_jw_int(&w, s->resampled);
    D("lr", s->lr);
    D("rollout_s", s->rollout_s), D("update_s", s->update_s), D("rollout_tok_s", s->rollout_tok_s);
    if (s->eval_acc >= 0) D("eval_acc", s->eval_acc);
    if (s->value_loss != 0 || s->pairs) /* ppo, dpo */
        D("value_loss", s->value_loss), D("pairs", s->pairs);
    if (s->rm_round) /* iterative reward-model retraining */
        D("rm_round", s->rm_round), D("rm_fresh", s->rm_fresh), D("rm_replayed", s->rm_replayed),
            D("rm_loss", s->rm_loss);
#undef D
    mm_jw_obj_end(&w);
    mm_buf_putc(&b, '\n');
    mm_err e = mm_out_write(r->log, b.data, b.len);
    if (e == MM_OK) e = mm_buf_append(&r->text, b.data, b.len);
    mm_buf_free(&b);
    if (e != MM_OK) cli_die(CMD, e);
}

static void save_ckpt(run *r, const char *name) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", r->out, name);
    mm_err e = mm_grpo_save_ckpt(r->model, r->codec, dir);
    if (e != MM_OK) cli_die(CMD, e);
}

/* A step's point on the curves and in the summary. */
static void add_point(run *r, const mm_grpo_step_stats *s) {
    int i = r->n++;
    r->x[i] = s->step, r->reward[i] = s->reward_mean, r->acc[i] = s->accuracy;
    r->kl[i] = s->kl, r->clip[i] = s->clip_frac, r->len[i] = s->out_len;
    if (s->eval_acc >= 0) {
        r->eval_x[r->ne] = s->step, r->eval_y[r->ne++] = s->eval_acc;
        r->last_eval = s->eval_acc;
    }
    r->last = *s;
    r->equal_sum += s->equal_groups;
}

static int on_step(void *ud, const mm_grpo_step_stats *s) {
    run *r = ud;
    log_line(r, s);
    add_point(r, s);
    if (s->step % r->every == 0 || s->step == r->steps)
        cli_info(0,
                 "step %d/%d  reward %.3f  acc %.3f  kl %.4f  clip %.3f  len %.1f  equal %.2f%s  "
                 "(%.1f s rollout %.0f tok/s, %.1f s update)",
                 s->step, r->steps, s->reward_mean, s->accuracy, s->kl, s->clip_frac, s->out_len,
                 s->equal_groups, s->eval_acc >= 0 ? "  eval" : "", s->rollout_s, s->rollout_tok_s,
                 s->update_s);
    if (s->eval_acc >= 0) cli_info(0, "  held-out greedy accuracy %.3f", s->eval_acc);
    if (r->save_every > 0 && s->step % r->save_every == 0) {
        char name[64];
        snprintf(name, sizeof name, "step-%d", s->step);
        save_ckpt(r, name);
    }
    return cli_interrupted;
}

/* o.save_extra: the log so far goes into the training state, so a resumed run's log is the
 * uninterrupted run's. */
static mm_err save_log(void *ud, const char *tmpdir, int step) {
    (void)step;
    run *r = ud;
    char p[4200];
    snprintf(p, sizeof p, "%s/log.jsonl", tmpdir);
    FILE *f = fopen(p, "wb");
    int ok = f && fwrite(r->text.data ? r->text.data : "", 1, r->text.len, f) == r->text.len;
    if (f && fclose(f)) ok = 0;
    return ok ? MM_OK : mm_fail(MM_ERR_IO, "%s: write failed", p);
}

/* --resume: the saved log's lines start the new log and the curves. */
static void restore_log(run *r, const char *state_dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/grpo_state.json", state_dir);
    if (!mm_file_done(p))
        cli_die(CMD, mm_fail(MM_ERR_IO,
                             "%s: no saved state to resume from (a run saves one every "
                             "--save-every N steps)",
                             state_dir));
    snprintf(p, sizeof p, "%s/log.jsonl", state_dir);
    mm_buf b = {0};
    mm_err e = mm_read_file(p, &b);
    for (char *line = b.data, *nl; e == MM_OK && line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
        mm_json_doc *doc;
        mm_json *j;
        if ((e = mm_json_parse(line, n, &doc, &j)) != MM_OK) break;
        mm_grpo_step_stats st = {.step = (int)mm_json_get_num(j, "step", 0)};
        st.reward_mean = mm_json_get_num(j, "reward_mean", 0);
        st.accuracy = mm_json_get_num(j, "accuracy", 0), st.kl = mm_json_get_num(j, "kl", 0);
        st.clip_frac = mm_json_get_num(j, "clip_frac", 0);
        st.out_len = mm_json_get_num(j, "out_len", 0);
        st.equal_groups = mm_json_get_num(j, "equal_groups", 0);
        st.eval_acc = mm_json_get_num(j, "eval_acc", -1);
        mm_json_doc_free(doc);
        if (r->n >= r->steps) {
            e = mm_fail(MM_ERR_MISMATCH, "%s: more lines than --steps %d", p, r->steps);
            break;
        }
        add_point(r, &st);
        e = mm_out_write(r->log, line, n);
        if (e == MM_OK) e = mm_buf_append(&r->text, line, n);
    }
    mm_buf_free(&b);
    if (e != MM_OK) cli_die(CMD, e);
}

static int on_sft(void *ud, int step, double loss) {
    run *r = ud;
    mm_buf b = {0};
    mm_buf_printf(&b, "{\"step\":%d,\"loss\":%.6f}\n", step + 1, loss);
    if (mm_out_write(r->log, b.data, b.len) != MM_OK) cli_die(CMD, MM_ERR_IO);
    mm_buf_free(&b);
    int i = r->n++;
    r->x[i] = step + 1, r->reward[i] = loss;
    if ((step + 1) % r->every == 0 || step + 1 == r->steps)
        cli_info(0, "sft step %d/%d  loss %.4f  (%.0f s)", step + 1, r->steps, loss,
                 mm_now() - r->t0);
    return cli_interrupted;
}

static void write_curves(run *r, int sft) {
    char p[4096];
    mm_err e;
    if (sft) {
        mm_svg_series s[1] = {{"loss", r->x, r->reward, (size_t)r->n}};
        snprintf(p, sizeof p, "%s/curves.svg", r->out);
        e = mm_svg_lines(p, "supervised warm-up", "step", "cross-entropy", s, 1);
    } else {
        mm_svg_series s[3] = {{"reward (mean)", r->x, r->reward, (size_t)r->n},
                              {"sample accuracy", r->x, r->acc, (size_t)r->n},
                              {"held-out greedy accuracy", r->eval_x, r->eval_y, (size_t)r->ne}};
        snprintf(p, sizeof p, "%s/curves.svg", r->out);
        e = mm_svg_lines(p, "GRPO: reward and accuracy", "step", "", s, r->ne ? 3 : 2);
        if (e == MM_OK) {
            mm_svg_series k[2] = {{"KL to reference", r->x, r->kl, (size_t)r->n},
                                  {"clip fraction", r->x, r->clip, (size_t)r->n}};
            snprintf(p, sizeof p, "%s/kl.svg", r->out);
            e = mm_svg_lines(p, "GRPO: KL and clipping", "step", "", k, 2);
        }
    }
    if (e != MM_OK) cli_warn(CMD, "cannot write curves: %s", mm_error_detail());
}

mm_gpt *grpo_open_model(const char *cmd, const char *init, const char *tok_dir,
                        const mm_grpo_codec **codec, uint64_t seed) {
    mm_gpt *m = NULL;
    mm_err e;
    if (!strncmp(init, "new:", 4)) {
        mm_gpt_config c = {.vocab = 257};
        if (sscanf(init + 4, "%d,%d,%d,%d", &c.layers, &c.heads, &c.dim, &c.ctx) != 4)
            cli_usage_error(cmd, "--init new:L,H,D,CTX expected, got '%s'", init);
        *codec = mm_grpo_codec_bytes();
        if (tok_dir) { /* a BPE tokenizer: the model gets its vocabulary */
            mm_grpo_codec *bc;
            if ((e = mm_grpo_codec_open(NULL, tok_dir, 1 << 24, &bc)) != MM_OK) cli_die(cmd, e);
            *codec = bc, c.vocab = bc->vocab;
        }
        if ((e = mm_gpt_create(&c, seed, &m)) != MM_OK) cli_die(cmd, e);
        return m;
    }
    if ((e = mm_gpt_load(init, &m)) != MM_OK) cli_die(cmd, e);
    mm_grpo_codec *c;
    if ((e = mm_grpo_codec_open(init, tok_dir, mm_gpt_get_config(m)->vocab, &c)) != MM_OK)
        cli_die(cmd, e);
    *codec = c;
    return m;
}

static void summary(run *r, const mm_grpo_opts *o, const char *algo, const char *stats, int sft) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "algo"), mm_jw_string(&w, algo);
    mm_jw_key(&w, "steps"), mm_jw_int(&w, r->n);
    mm_jw_key(&w, "checkpoint");
    char p[4096];
    snprintf(p, sizeof p, "%s/final", r->out);
    mm_jw_string(&w, p);
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, mm_now() - r->t0);
    if (sft) {
        mm_jw_key(&w, "loss"), mm_jw_double(&w, r->n ? r->reward[r->n - 1] : NAN);
    } else {
        mm_jw_key(&w, "group"), mm_jw_int(&w, o->group);
        mm_jw_key(&w, "reward_mean"), mm_jw_double(&w, r->last.reward_mean);
        mm_jw_key(&w, "accuracy"), mm_jw_double(&w, r->last.accuracy);
        mm_jw_key(&w, "kl"), mm_jw_double(&w, r->last.kl);
        mm_jw_key(&w, "equal_groups"), mm_jw_double(&w, r->n ? r->equal_sum / r->n : NAN);
        if (r->ne) mm_jw_key(&w, "eval_acc"), mm_jw_double(&w, r->last_eval);
    }
    mm_jw_obj_end(&w);
    printf("%s\n", b.data);
    snprintf(p, sizeof p, "%s/summary.json", r->out);
    cli_write_stats(CMD, p, &b);
    cli_write_stats(CMD, stats, &b);
    mm_buf_free(&b);
}

static int write_train(const task_args *ta0, long n, const char *split, const char *out) {
    if (!out) cli_usage_error(CMD, "--write-train needs -o FILE");
    mm_task_split s = !strcmp(split, "test") ? MM_TASK_TEST : MM_TASK_TRAIN;
    task_args ta1 = *ta0, *ta = &ta1; /* arith: make as many distinct draws as asked for */
    if (s == MM_TASK_TRAIN && ta->arith.n_train < (size_t)n) ta->arith.n_train = (size_t)n;
    if (s == MM_TASK_TEST && ta->arith.n_test < (size_t)n) ta->arith.n_test = (size_t)n;
    mm_task *t = grpo_task_open(CMD, ta);
    mm_err e = mm_task_write_docs(t, s, (size_t)n, out);
    mm_task_free(t);
    if (e != MM_OK) cli_die(CMD, e);
    cli_info(0, "wrote %ld %s documents to %s", n, split, out);
    return CLI_EXIT_OK;
}

int cmd_grpo(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    task_args ta;
    grpo_task_args_default(&ta);
    mm_grpo_opts o;
    mm_grpo_opts_default(&o);
    o.micro_batch = 32;
    const char *init = NULL, *tok_dir = NULL, *out = NULL, *stats = NULL, *algo = "grpo";
    const char *split = "train";
    rl_args ra;
    grpo_rl_args_default(&ra);
    long write_n = 0;
    int save_every = 0, threads = 0, lr_set = 0, sft_batch = 32, force = 0, resume = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VAL() (i + 1 < argc ? argv[++i] : (cli_usage_error(CMD, "%s needs a value", a), ""))
        if (grpo_task_arg(CMD, argc, argv, &i, &ta)) continue;
        if (grpo_rl_arg(CMD, argc, argv, &i, &ra, &o)) continue; /* hook: tools/rl_args.h */
        if (!strcmp(a, "--init"))
            init = VAL();
        else if (!strcmp(a, "--tokenizer"))
            tok_dir = VAL();
        else if (cli_is_out(a))
            out = VAL();
        else if (!strcmp(a, "--algo"))
            algo = VAL();
        else if (!strcmp(a, "--supervision")) {
            const char *s = VAL();
            if (!strcmp(s, "outcome"))
                o.supervision = MM_GRPO_OUTCOME;
            else if (!strcmp(s, "process"))
                o.supervision = MM_GRPO_PROCESS;
            else
                cli_usage_error(CMD, "--supervision must be outcome or process, got '%s'", s);
        } else if (!strcmp(a, "--steps"))
            o.steps = (int)cli_parse_int(CMD, a, VAL(), 1, 10000000);
        else if (!strcmp(a, "--questions"))
            o.questions = (int)cli_parse_int(CMD, a, VAL(), 1, 100000);
        else if (!strcmp(a, "--group"))
            o.group = (int)cli_parse_int(CMD, a, VAL(), 1, 1024);
        else if (!strcmp(a, "--beta"))
            o.beta = (float)cli_parse_double(CMD, a, VAL(), 0, 100);
        else if (!strcmp(a, "--clip"))
            o.clip = (float)cli_parse_double(CMD, a, VAL(), 0, 10);
        else if (!strcmp(a, "--clip-high"))
            o.clip_high = (float)cli_parse_double(CMD, a, VAL(), 0, 10);
        else if (!strcmp(a, "--lr"))
            o.lr = (float)cli_parse_double(CMD, a, VAL(), 0, 1), lr_set = 1;
        else if (!strcmp(a, "--weight-decay"))
            o.weight_decay = (float)cli_parse_double(CMD, a, VAL(), 0, 1);
        else if (!strcmp(a, "--grad-clip"))
            o.grad_clip = (float)cli_parse_double(CMD, a, VAL(), 0, 1e9);
        else if (!strcmp(a, "--updates-per-batch"))
            o.updates = (int)cli_parse_int(CMD, a, VAL(), 1, 1000);
        else if (!strcmp(a, "--max-new-tokens"))
            o.max_new_tokens = (int)cli_parse_int(CMD, a, VAL(), 1, 1 << 20);
        else if (grpo_sampling_arg(CMD, argc, argv, &i, &o.temperature, &o.top_k, &o.top_p)) {
        } else if (!strcmp(a, "--no-std-norm"))
            o.std_norm = 0;
        else if (!strcmp(a, "--token-mean"))
            o.token_mean = 1;
        else if (!strcmp(a, "--iterative"))
            o.iterative = (int)cli_parse_int(CMD, a, VAL(), 1, 10000000);
        else if (!strcmp(a, "--filter-groups"))
            o.filter_groups = 1;
        else if (!strcmp(a, "--no-filter-groups"))
            o.filter_groups = 0;
        else if (!strcmp(a, "--filter-tries"))
            o.filter_tries = (int)cli_parse_int(CMD, a, VAL(), 0, 100);
        else if (!strcmp(a, "--format-reward"))
            o.format_reward = cli_parse_double(CMD, a, VAL(), 0, 100);
        else if (!strcmp(a, "--warmup"))
            o.warmup = (int)cli_parse_int(CMD, a, VAL(), 0, 10000000);
        else if (!strcmp(a, "--lr-schedule")) {
            const char *v = VAL();
            if (!strcmp(v, "constant"))
                o.lr_schedule = MM_GRPO_LR_CONSTANT;
            else if (!strcmp(v, "cosine"))
                o.lr_schedule = MM_GRPO_LR_COSINE;
            else
                cli_usage_error(CMD, "--lr-schedule must be constant or cosine, got '%s'", v);
        } else if (!strcmp(a, "--min-lr-ratio"))
            o.lr_min_frac = (float)cli_parse_double(CMD, a, VAL(), 0, 1);
        else if (!strcmp(a, "--resume"))
            resume = 1;
        else if (!strcmp(a, "--micro-batch"))
            o.micro_batch = (int)cli_parse_int(CMD, a, VAL(), 1, 100000);
        else if (!strcmp(a, "--eval-every"))
            o.eval_every = (int)cli_parse_int(CMD, a, VAL(), 0, 10000000);
        else if (!strcmp(a, "--eval-n"))
            o.eval_n = (int)cli_parse_int(CMD, a, VAL(), 1, 10000000);
        else if (!strcmp(a, "--save-every"))
            save_every = (int)cli_parse_int(CMD, a, VAL(), 1, 10000000);
        else if (!strcmp(a, "--sft-batch"))
            sft_batch = (int)cli_parse_int(CMD, a, VAL(), 1, 100000);
        else if (!strcmp(a, "--seed"))
            o.seed = (uint64_t)cli_parse_int(CMD, a, VAL(), 0, 1LL << 62);
        else if (!strcmp(a, "--write-train"))
            write_n = (long)cli_parse_int(CMD, a, VAL(), 1, 1000000000);
        else if (!strcmp(a, "--write-split")) {
            split = VAL();
            if (strcmp(split, "train") && strcmp(split, "test"))
                cli_usage_error(CMD, "--write-split must be train or test, got '%s'", split);
        } else if (!strcmp(a, "-j"))
            threads = (int)cli_parse_int(CMD, a, VAL(), 1, 4096);
        else if (!strcmp(a, "--stats"))
            stats = VAL();
        else if (!strcmp(a, "--force"))
            force = 1;
        else
            cli_usage_error(CMD, "unknown option '%s'", a);
#undef VAL
    }
    cli_blas_setup(); /* may re-exec with the fastest OpenBLAS kernels */
    cli_set_threads(threads);
    ta.training = !write_n || strcmp(split, "test") != 0; /* test-split documents train nothing */
    if (write_n) return write_train(&ta, write_n, split, out);
    if (!init) cli_usage_error(CMD, "--init CKPT is required");
    if (!out) cli_usage_error(CMD, "-o DIR is required");
    int sft = !strcmp(algo, "sft");
    if (!strcmp(algo, "grpo"))
        o.algo = MM_GRPO_ALGO_GRPO;
    else if (!strcmp(algo, "online-rft"))
        o.algo = MM_GRPO_ALGO_ONLINE_RFT;
    else if (!strcmp(algo, "rft"))
        o.algo = MM_GRPO_ALGO_RFT;
    else if (!sft && !grpo_rl_algo(algo, &o)) /* hook: ppo, dpo, online-dpo */
        cli_usage_error(CMD,
                        "--algo must be grpo, online-rft, rft, ppo, dpo, online-dpo or "
                        "sft, got '%s'",
                        algo);
    if (!strncmp(init, "new:", 4) && !sft) cli_usage_error(CMD, "--init new:... needs --algo sft");
    char state_dir[4096];
    snprintf(state_dir, sizeof state_dir, "%s/resume", out);
    if (resume && sft) cli_usage_error(CMD, "--resume: --algo sft does not save a training state");
    if (resume && force)
        cli_usage_error(CMD, "--resume continues the run in -o DIR; --force would replace it");
    mm_err ce = resume ? MM_OK : mm_out_dir_check(out, "log.jsonl", force, "grpo run");
    if (ce != MM_OK) cli_die(CMD, ce);
    o.save_every = sft ? 0 : save_every, o.resume = resume, o.save_extra = save_log;
    o.state_dir = state_dir;
    if (!sft) grpo_rl_open(CMD, &ra, init, &o); /* hook: reward and value models */

    mm_task *task = grpo_task_open(CMD, &ta);
    run r = {
        .out = out, .steps = o.steps, .save_every = save_every, .t0 = mm_now(), .last_eval = -1};
    r.model = grpo_open_model(CMD, init, tok_dir, &r.codec, o.seed);
    r.every = o.steps >= 20 ? o.steps / 20 : 1;
    mm_err e = mm_mkdirs(out);
    char p[4096];
    snprintf(p, sizeof p, "%s/log.jsonl", out);
    if (e == MM_OK) e = mm_out_open(p, 0, &r.log);
    if (e != MM_OK) cli_die(CMD, e);
    size_t cap = (size_t)o.steps + 1;
    double *blk = calloc(cap * 8, sizeof *blk);
    if (!blk) cli_die(CMD, MM_ERR_NOMEM);
    r.x = blk, r.reward = blk + cap, r.acc = blk + 2 * cap, r.eval_x = blk + 3 * cap;
    r.eval_y = blk + 4 * cap, r.kl = blk + 5 * cap, r.clip = blk + 6 * cap, r.len = blk + 7 * cap;
    if (resume) restore_log(&r, state_dir);
    if (sft) {
        mm_sft_opts so = {o.steps,        sft_batch,   lr_set ? o.lr : 1e-3f,
                          o.weight_decay, o.grad_clip, o.seed};
        e = mm_grpo_sft(r.model, r.codec, task, &so, on_sft, &r);
    } else {
        e = mm_grpo_train(r.model, r.codec, task, &o, on_step, &r);
    }
    if (e != MM_OK) {
        mm_out_abort(r.log);
        cli_die(CMD, e);
    }
    if (cli_interrupted) { /* a run cut short leaves no log or final model, only DIR/resume/ */
        mm_out_abort(r.log);
        if (!sft && save_every)
            cli_warn(CMD,
                     "interrupted after step %d of %d; continue from the last save (every "
                     "%d steps) with --resume",
                     r.n, o.steps, save_every);
        else
            cli_warn(CMD, "interrupted after step %d of %d: no checkpoint written", r.n, o.steps);
        free(blk);
        return CLI_EXIT_INTERRUPTED;
    }
    if ((e = mm_out_commit(r.log)) != MM_OK) cli_die(CMD, e);
    save_ckpt(&r, "final");
    if (!sft && r.n && r.equal_sum / r.n > 0.5)
        cli_warn(CMD,
                 "%.0f%% of the groups had all-equal rewards and carried no signal: the "
                 "model is mostly always right or always wrong on these questions.  Try "
                 "a larger --group or --filter-tries, a higher --temperature, easier questions, "
                 "or more SFT first",
                 100 * r.equal_sum / r.n);
    write_curves(&r, sft);
    summary(&r, &o, algo, stats, sft);
    free(blk);
    mm_buf_free(&r.text);
    grpo_rl_close(CMD, &ra, out, r.codec); /* hook: OUT/value/ (ppo), OUT/reward/ */
    if (r.codec != mm_grpo_codec_bytes()) mm_grpo_codec_close((mm_grpo_codec *)r.codec);
    mm_gpt_free(r.model);
    mm_task_free(task);
    return cli_interrupted ? CLI_EXIT_INTERRUPTED : CLI_EXIT_OK;
}
