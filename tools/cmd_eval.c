/* mathmine eval — greedy accuracy, Pass@K and Maj@K of a checkpoint on a task split
 * (rl/grpo.h, mm_eval_run), or with --loss its loss on the split's worked solutions
 * (mm_eval_loss), as one JSON object on stdout. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "rl/answer.h"
#include "rl/grpo.h"
#include "tools/blas_setup.h"
#include "tools/cli.h"
#include "tools/task_args.h"

#define CMD "eval"

static void dump_line(void *ud, const mm_task_item *it, const char *out, size_t n,
                      const mm_reward *r) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "question"), mm_jw_string(&w, it->question);
    mm_jw_key(&w, "output"), mm_jw_stringn(&w, out ? out : "", out ? n : 0);
    mm_jw_key(&w, "gold"), mm_jw_string(&w, it->gold ? it->gold : "");
    mm_jw_key(&w, "extracted");
    if (r->has_answer)
        mm_jw_stringn(&w, out + r->ans_off, r->ans_len);
    else
        mm_jw_null(&w);
    mm_jw_key(&w, "correct"), mm_jw_bool(&w, r->correct);
    mm_jw_obj_end(&w);
    mm_buf_putc(&b, '\n');
    mm_err e = mm_out_write(ud, b.data, b.len);
    mm_buf_free(&b);
    if (e != MM_OK) cli_die(CMD, e);
}

/* "curve": [{"k": 1, "pass": ..., "maj": ...}, ...] */
static void write_curve(mm_jw *w, const mm_eval_result *r) {
    mm_jw_key(w, "curve");
    mm_jw_arr_begin(w);
    for (int j = 0; j < r->curve_n; j++) {
        mm_jw_obj_begin(w);
        mm_jw_key(w, "k"), mm_jw_int(w, r->curve_k[j]);
        mm_jw_key(w, "pass"), mm_jw_double(w, r->curve_pass[j]);
        mm_jw_key(w, "maj"), mm_jw_double(w, r->curve_maj[j]);
        mm_jw_obj_end(w);
    }
    mm_jw_arr_end(w);
}

/* The result object: what was evaluated first, json_end prints it (and writes --stats). */
static void json_begin(mm_jw *w, mm_buf *b, const char *ckpt, const mm_task *task,
                       const char *split, int n) {
    mm_jw_init(w, b);
    mm_jw_obj_begin(w);
    mm_jw_key(w, "ckpt"), mm_jw_string(w, ckpt);
    mm_jw_key(w, "task"), mm_jw_string(w, mm_task_name(task));
    mm_jw_key(w, "split"), mm_jw_string(w, split);
    mm_jw_key(w, "n"), mm_jw_int(w, n);
}

static void json_end(mm_jw *w, mm_buf *b, const char *stats) {
    mm_jw_obj_end(w);
    printf("%s\n", b->data);
    cli_write_stats(CMD, stats, b);
    mm_buf_free(b);
}

/* --loss --dump: one line per item, {"question", "nats", "bytes"} (its solution's loss). */
static void dump_loss(const char *path, const mm_task *task, mm_task_split sp, int n,
                      const double *nats, const long long *bytes) {
    mm_out *out;
    mm_err e = mm_out_open(path, 0, &out);
    if (e != MM_OK) cli_die(CMD, e);
    mm_buf b = {0};
    for (int i = 0; i < n && e == MM_OK; i++) {
        mm_jw w;
        mm_buf_clear(&b);
        mm_jw_init(&w, &b);
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "question"), mm_jw_string(&w, mm_task_get(task, sp, (size_t)i)->question);
        mm_jw_key(&w, "nats"), mm_jw_double(&w, nats[i]);
        mm_jw_key(&w, "bytes"), mm_jw_int(&w, bytes[i]);
        mm_jw_obj_end(&w);
        mm_buf_putc(&b, '\n');
        e = mm_out_write(out, b.data, b.len);
    }
    mm_buf_free(&b);
    if (e == MM_OK) e = mm_out_commit(out);
    if (e != MM_OK) cli_die(CMD, e);
}

/* --loss: score the worked solutions and print the JSON (with --dump, each item's loss). */
static void print_loss(const char *ckpt, const mm_task *task, const char *split, mm_gpt *m,
                       const mm_grpo_codec *c, mm_task_split sp, mm_loss_opts *lo,
                       const char *stats, const char *dump) {
    mm_loss_result r;
    int n = (int)mm_task_count(task, sp);
    if (lo->n > 0 && lo->n < n) n = lo->n;
    if (dump && n > 0) {
        lo->item_nats = calloc((size_t)n, sizeof *lo->item_nats);
        lo->item_bytes = calloc((size_t)n, sizeof *lo->item_bytes);
        if (!lo->item_nats || !lo->item_bytes) cli_die(CMD, MM_ERR_NOMEM);
    }
    mm_err e = mm_eval_loss(m, c, task, sp, lo, &r);
    if (e != MM_OK) cli_die(CMD, e);
    if (dump && n > 0) dump_loss(dump, task, sp, n, lo->item_nats, lo->item_bytes);
    free(lo->item_nats), free(lo->item_bytes);
    mm_buf b = {0};
    mm_jw w;
    json_begin(&w, &b, ckpt, task, split, r.n);
    mm_jw_key(&w, "conditioned"), mm_jw_bool(&w, lo->conditioned);
    mm_jw_key(&w, "tokens"), mm_jw_int(&w, r.tokens);
    mm_jw_key(&w, "bytes"), mm_jw_int(&w, r.bytes);
    mm_jw_key(&w, "nats_per_token"), mm_jw_double(&w, r.nats_per_token);
    mm_jw_key(&w, "bits_per_byte"), mm_jw_double(&w, r.bits_per_byte);
    mm_jw_key(&w, "windows"), mm_jw_int(&w, r.windows);
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, r.seconds);
    json_end(&w, &b, stats);
}

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine eval --ckpt CKPT [--task arith|bench ...] [--k K] [options]\n"
        "       mathmine eval --loss --ckpt CKPT [--task ...] [--unconditioned] [options]\n\n"
        "Accuracy of a checkpoint on the task's held-out test split: greedy decoding, and K\n"
        "samples per question at --temperature for Pass@K (some sample is right) and Maj@K\n"
        "(the most frequent extracted answer is right).  Prints one JSON object on stdout.\n"
        "The answer is the last marked one of the output (\\boxed{...}, '#### N' or 'The answer\n"
        "is ...'), checked against the gold answer by rl/answer.h (numbers, fractions, LaTeX,\n"
        "expressions, tuples, intervals, option letters; docs/grpo.md).\n\n"
        "With --loss nothing is generated: the model scores the reference solution of each item\n"
        "('<solution>\\n', e.g. GSM8K's answer, MATH's solution) given its prompt (with --shots\n"
        "examples), and the JSON gives the negative log-likelihood in nats per token and bits\n"
        "per UTF-8 byte (compare models with different tokenizers by bits per byte).  Solutions\n"
        "longer than the context are scored in overlapping windows (docs/corpus_eval.md).\n\n"
        "Options:\n"
        "  --ckpt CKPT          checkpoint directory (model.safetensors, config.json, tokenizer)\n"
        "  --tokenizer DIR      tokenizer (default: the checkpoint's; none = byte-level)\n"
        "  --k K                samples per question for Pass@K / Maj@K (default 0 = greedy only)\n"
        "  --curve              also Pass@k and Maj@k for k = 1, 2, 4, ... <= K from the same K\n"
        "                       samples (\"curve\": [{k, pass, maj}]; Pass@k is the unbiased\n"
        "                       estimate from the K samples, Maj@k the mean over the K/k\n"
        "                       disjoint blocks of k samples), as the paper's Fig. 7\n"
        "  --temperature T      sampling temperature for the K samples (default 0.7)\n"
        "  --top-k K            the K samples: from the K most likely tokens (default 0 = off)\n"
        "  --top-p P            the K samples: nucleus sampling (default 1 = off)\n"
        "  --n N                evaluate the first N test items (default: all)\n"
        "  --split S            test (default) | train\n"
        "  --max-new-tokens N   completion length cap (default 64)\n"
        "  --batch N            sequences generated at once (default 64); --loss: rows of ctx\n"
        "                       tokens per forward pass (default 8)\n"
        "  --seed N             sampling seed (default 1)\n"
        "  -j N                 threads (default: all cores)\n"
        "  --last-number        score an output without a marked answer by its last number\n"
        "                       (lenient; default: off, such an output is wrong)\n"
        "  --dump FILE          the greedy outputs as JSONL (question, output, gold, extracted,\n"
        "                       correct); --loss: each item's loss (question, nats, bytes)\n"
        "  --stats FILE         also write the JSON to FILE\n"
        "  --loss               loss on the worked solutions instead of accuracy (default: off)\n"
        "  --unconditioned      --loss: score each solution as a document of its own, after\n"
        "                       end-of-text only (default: after its question's prompt)\n"
        "  --stride N           --loss: scored tokens per window when a solution outgrows the\n"
        "                       context (default ctx/2: every token sees >= ctx/2 of context)\n"
        "  -h, --help           this help\n\n");
    grpo_task_usage(f);
}

int cmd_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    task_args ta;
    grpo_task_args_default(&ta);
    mm_eval_opts o = {.k = 0,
                      .temperature = 0.7f,
                      .top_p = 1.0f,
                      .n = 0,
                      .max_new_tokens = 64,
                      .batch = 64,
                      .seed = 1};
    const char *ckpt = NULL, *tok_dir = NULL, *stats = NULL, *split = "test", *dump = NULL;
    int threads = 0, loss = 0, unconditioned = 0, stride = 0, loss_batch = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define VAL() (i + 1 < argc ? argv[++i] : (cli_usage_error(CMD, "%s needs a value", a), ""))
        if (grpo_task_arg(CMD, argc, argv, &i, &ta)) continue;
        if (!strcmp(a, "--ckpt"))
            ckpt = VAL();
        else if (!strcmp(a, "--tokenizer"))
            tok_dir = VAL();
        else if (!strcmp(a, "--k"))
            o.k = (int)cli_parse_int(CMD, a, VAL(), 0, 4096);
        else if (grpo_sampling_arg(CMD, argc, argv, &i, &o.temperature, &o.top_k, &o.top_p)) {
        } else if (!strcmp(a, "--n"))
            o.n = (int)cli_parse_int(CMD, a, VAL(), 1, 100000000);
        else if (!strcmp(a, "--split"))
            split = VAL();
        else if (!strcmp(a, "--max-new-tokens"))
            o.max_new_tokens = (int)cli_parse_int(CMD, a, VAL(), 1, 1 << 20);
        else if (!strcmp(a, "--batch"))
            loss_batch = o.batch = (int)cli_parse_int(CMD, a, VAL(), 1, 100000);
        else if (!strcmp(a, "--seed"))
            o.seed = (uint64_t)cli_parse_int(CMD, a, VAL(), 0, 1LL << 62);
        else if (!strcmp(a, "-j"))
            threads = (int)cli_parse_int(CMD, a, VAL(), 1, 4096);
        else if (!strcmp(a, "--stats"))
            stats = VAL();
        else if (!strcmp(a, "--dump"))
            dump = VAL();
        else if (!strcmp(a, "--curve"))
            o.curve = 1;
        else if (!strcmp(a, "--last-number"))
            o.answer_flags = MM_ANSWER_LAST_NUMBER;
        else if (!strcmp(a, "--loss"))
            loss = 1;
        else if (!strcmp(a, "--unconditioned"))
            unconditioned = 1;
        else if (!strcmp(a, "--stride"))
            stride = (int)cli_parse_int(CMD, a, VAL(), 1, 1 << 20);
        else
            cli_usage_error(CMD, "unknown option '%s'", a);
#undef VAL
    }
    if (!ckpt) cli_usage_error(CMD, "--ckpt CKPT is required");
    if (o.curve && o.k < 1) cli_usage_error(CMD, "--curve needs --k K (K samples per question)");
    if (strcmp(split, "test") && strcmp(split, "train"))
        cli_usage_error(CMD, "--split must be test or train, got '%s'", split);
    if (!loss && (unconditioned || stride))
        cli_usage_error(CMD, "--unconditioned and --stride go with --loss");
    if (loss && o.k) cli_usage_error(CMD, "--loss generates nothing: --k does not go with it");
    cli_blas_setup(); /* may re-exec with the fastest OpenBLAS kernels */
    cli_set_threads(threads);
    mm_task *task = grpo_task_open(CMD, &ta);
    mm_gpt *m;
    mm_err e = mm_gpt_load(ckpt, &m);
    if (e != MM_OK) cli_die(CMD, e);
    mm_grpo_codec *c;
    if ((e = mm_grpo_codec_open(ckpt, tok_dir, mm_gpt_get_config(m)->vocab, &c)) != MM_OK)
        cli_die(CMD, e);
    mm_task_split sp = !strcmp(split, "test") ? MM_TASK_TEST : MM_TASK_TRAIN;
    if (loss) {
        mm_loss_opts lo = {.n = o.n,
                           .conditioned = !unconditioned,
                           .batch = loss_batch,
                           .stride = stride,
                           .stop = &cli_interrupted};
        print_loss(ckpt, task, split, m, c, sp, &lo, stats, dump);
        mm_grpo_codec_close(c);
        mm_gpt_free(m);
        mm_task_free(task);
        return CLI_EXIT_OK;
    }
    mm_out *dump_out = NULL;
    if (dump && (e = mm_out_open(dump, 0, &dump_out)) != MM_OK) cli_die(CMD, e);
    o.on_greedy = dump ? dump_line : NULL, o.ud = dump_out;
    o.stop = &cli_interrupted;
    mm_eval_result r;
    e = mm_eval_run(m, c, task, sp, &o, &r);
    if (e != MM_OK) cli_die(CMD, e);
    if (dump_out && (e = mm_out_commit(dump_out)) != MM_OK) cli_die(CMD, e);
    mm_buf b = {0};
    mm_jw w;
    json_begin(&w, &b, ckpt, task, split, r.n);
    mm_jw_key(&w, "k"), mm_jw_int(&w, r.k);
    mm_jw_key(&w, "temperature"), mm_jw_double(&w, o.temperature);
    mm_jw_key(&w, "greedy_acc"), mm_jw_double(&w, r.greedy_acc);
    if (r.k > 0) {
        char key[32];
        snprintf(key, sizeof key, "pass_at_%d", r.k);
        mm_jw_key(&w, key), mm_jw_double(&w, r.pass_k);
        snprintf(key, sizeof key, "maj_at_%d", r.k);
        mm_jw_key(&w, key), mm_jw_double(&w, r.maj_k);
        mm_jw_key(&w, "sample_acc"), mm_jw_double(&w, r.sample_acc);
    }
    if (r.curve_n > 0) write_curve(&w, &r);
    mm_jw_key(&w, "format_rate"), mm_jw_double(&w, r.format_rate);
    mm_jw_key(&w, "greedy_len"), mm_jw_double(&w, r.greedy_len);
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, r.seconds);
    mm_jw_key(&w, "tokens_per_s"), mm_jw_double(&w, r.tokens_per_s);
    json_end(&w, &b, stats);
    mm_grpo_codec_close(c);
    mm_gpt_free(m);
    mm_task_free(task);
    return CLI_EXIT_OK;
}
