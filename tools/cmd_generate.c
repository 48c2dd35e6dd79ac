/* tools/cmd_generate.c — `mathmine generate`: sample continuations from a checkpoint with the
 * KV-cache sampler (mm_gpt_generate), batched over prompts and samples. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/progress.h"
#include "rl/gpt2.h"
#include "rl/tokenizer.h"
#include "tools/blas_setup.h"
#include "tools/cli.h"
#include "tools/task_args.h"

#define CMD "generate"

static void usage(FILE *f) {
    fprintf(
        f, "Usage: mathmine generate --ckpt DIR --prompt TEXT [--prompt TEXT...] [options]\n\n"
           "Sample continuations of each prompt from a checkpoint (a `mathmine pretrain --out`\n"
           "directory or any GPT-2 safetensors checkpoint with config.json), all prompts and\n"
           "samples in one batch with a KV cache.  Text goes to stdout; speed to stderr.\n\n"
           "  --ckpt DIR          checkpoint directory (required)\n"
           "  --prompt TEXT       a prompt (repeatable)\n"
           "  --tokens \"ID ...\"   a prompt given as token ids (repeatable)\n"
           "  --tokenizer DIR     tokenizer (default: the checkpoint's own vocab.json/merges.txt;\n"
           "                      without one, a 256-token model reads bytes)\n"
           "  -n, --num-samples N samples per prompt (1)\n"
           "  --max-new N         new tokens per sample at most (64)\n"
           "  --temperature X     0 = greedy (1.0)\n"
           "  --top-k K           keep the K most likely tokens (0 = off)\n"
           "  --top-p X           nucleus sampling (1.0 = off)\n"
           "  --seed N            sampling seed (1)\n"
           "  --no-stop           do not stop at <|endoftext|>\n"
           "  --json              one JSON object per sample: prompt, text, tokens, logprobs\n"
           "  -j, --threads N     threads (all cores)\n"
           "  -q, --quiet         warnings off; -v, --verbose more messages (as before the "
           "command)\n");
}

typedef struct gen_args {
    const char *ckpt, *tok_dir;
    const char **prompts;
    int nprompts, *is_ids, samples, json, no_stop, threads;
    mm_sample_opts o;
} gen_args;

static void add_prompt(gen_args *a, const char *p, int ids) {
    a->prompts = realloc(a->prompts, (size_t)(a->nprompts + 1) * sizeof *a->prompts);
    a->is_ids = realloc(a->is_ids, (size_t)(a->nprompts + 1) * sizeof *a->is_ids);
    if (!a->prompts || !a->is_ids) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
    a->prompts[a->nprompts] = p;
    a->is_ids[a->nprompts++] = ids;
}

static void parse_args(int argc, char **argv, gen_args *a) {
    a->samples = 1;
    a->o = (mm_sample_opts){.temperature = 1.0f,
                            .top_k = 0,
                            .top_p = 1.0f,
                            .seed = 1,
                            .max_new_tokens = 64,
                            .stop_token = -1};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
#define IS(x) (!strcmp(s, x))
        if (IS("--ckpt"))
            a->ckpt = cli_value(CMD, argc, argv, &i);
        else if (IS("--prompt"))
            add_prompt(a, cli_value(CMD, argc, argv, &i), 0);
        else if (IS("--tokens"))
            add_prompt(a, cli_value(CMD, argc, argv, &i), 1);
        else if (IS("--tokenizer"))
            a->tok_dir = cli_value(CMD, argc, argv, &i);
        else if (IS("-n") || IS("--num-samples"))
            a->samples = (int)cli_parse_int(CMD, s, cli_value(CMD, argc, argv, &i), 1, 1 << 16);
        else if (IS("--max-new"))
            a->o.max_new_tokens =
                (int)cli_parse_int(CMD, s, cli_value(CMD, argc, argv, &i), 0, 1 << 20);
        else if (grpo_sampling_arg(CMD, argc, argv, &i, &a->o.temperature, &a->o.top_k,
                                   &a->o.top_p)) {
        } else if (IS("--seed"))
            a->o.seed =
                (uint64_t)cli_parse_int(CMD, s, cli_value(CMD, argc, argv, &i), 0, INT64_MAX);
        else if (IS("--no-stop"))
            a->no_stop = 1;
        else if (IS("--json"))
            a->json = 1;
        else if (IS("-q") || IS("--quiet"))
            cli_verbosity = -1;
        else if (IS("-v") || IS("--verbose"))
            cli_verbosity++;
        else if (IS("-j") || IS("--threads"))
            a->threads = (int)cli_parse_int(CMD, s, cli_value(CMD, argc, argv, &i), 1, 4096);
        else
            cli_usage_error(CMD, "unknown option '%s'", s);
#undef IS
    }
    if (!a->ckpt) cli_usage_error(CMD, "--ckpt DIR is required");
    if (!a->nprompts) cli_usage_error(CMD, "give at least one --prompt or --tokens");
}

/* The tokenizer: --tokenizer, else the checkpoint's own files, else NULL (bytes). */
static mm_tok *load_tokenizer(const gen_args *a) {
    char path[4200];
    const char *dir = a->tok_dir;
    struct stat st;
    snprintf(path, sizeof path, "%s/vocab.json", a->ckpt);
    if (!dir && stat(path, &st) == 0) dir = a->ckpt;
    if (!dir) return NULL;
    mm_tok *t;
    mm_err e = mm_tok_load(dir, &t);
    if (e != MM_OK) cli_die(CMD, e);
    return t;
}

static void encode(const gen_args *a, int k, mm_tok *tok, mm_tok_enc *enc, int vocab,
                   mm_tok_ids *ids) {
    const char *p = a->prompts[k];
    if (a->is_ids[k]) {
        for (char *end; *p;) {
            long v = strtol(p, &end, 10);
            if (end == p)
                cli_usage_error(CMD, "--tokens: '%s' is not a list of ids", a->prompts[k]);
            if (v < 0 || v >= vocab)
                cli_usage_error(CMD, "--tokens: id %ld is outside the vocabulary (0..%d)", v,
                                vocab - 1);
            mm_tok_ids_push(ids, (uint32_t)v);
            p = end + strspn(end, " ,");
        }
    } else if (tok) {
        mm_err e = mm_tok_encode(enc, p, strlen(p), ids);
        if (e != MM_OK) cli_die(CMD, e);
    } else if (vocab == 256) {
        for (; *p; p++)
            mm_tok_ids_push(ids, (unsigned char)*p);
    } else {
        cli_usage_error(CMD, "no tokenizer in %s; give --tokenizer DIR or --tokens", a->ckpt);
    }
    if (ids->len == 0) cli_usage_error(CMD, "prompt %d is empty", k + 1);
}

static void print_text(mm_tok *tok, const uint32_t *ids, size_t n, mm_buf *out) {
    mm_buf_clear(out);
    if (tok) {
        mm_tok_decode(tok, ids, n, out);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (ids[i] < 256)
                mm_buf_putc(out, (char)ids[i]);
            else
                mm_buf_printf(out, "<%u>", ids[i]);
        }
    }
}

static void emit(const gen_args *a, mm_tok *tok, int b, int k, const mm_tok_ids *prompt,
                 const int32_t *o, int n, const float *lp) {
    mm_buf text = {0}, line = {0};
    uint32_t *all = malloc((prompt->len + (size_t)n + 1) * sizeof *all);
    if (!all) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
    memcpy(all, prompt->v, prompt->len * sizeof *all);
    for (int i = 0; i < n; i++)
        all[prompt->len + i] = (uint32_t)o[i];
    if (a->json) {
        mm_jw w;
        mm_jw_init(&w, &line);
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "prompt_index"), mm_jw_int(&w, k);
        print_text(tok, all, prompt->len, &text);
        mm_jw_key(&w, "prompt"), mm_jw_stringn(&w, text.data ? text.data : "", text.len);
        print_text(tok, all + prompt->len, (size_t)n, &text);
        mm_jw_key(&w, "text"), mm_jw_stringn(&w, text.data ? text.data : "", text.len);
        mm_jw_key(&w, "tokens"), mm_jw_arr_begin(&w);
        for (int i = 0; i < n; i++)
            mm_jw_int(&w, o[i]);
        mm_jw_arr_end(&w);
        mm_jw_key(&w, "logprobs"), mm_jw_arr_begin(&w);
        for (int i = 0; i < n; i++)
            mm_jw_double(&w, lp[i]);
        mm_jw_arr_end(&w);
        mm_jw_obj_end(&w);
        printf("%s\n", line.data);
    } else {
        print_text(tok, all, prompt->len + (size_t)n, &text);
        printf("--- sample %d (prompt %d)\n", b + 1, k + 1);
        fwrite(text.data ? text.data : "", 1, text.len, stdout);
        printf("\n");
    }
    free(all);
    mm_buf_free(&text);
    mm_buf_free(&line);
}

int cmd_generate(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    cli_blas_setup();
    gen_args a = {0};
    parse_args(argc, argv, &a);
    cli_set_threads(a.threads);
    mm_gpt *m;
    mm_err e = mm_gpt_load(a.ckpt, &m);
    if (e != MM_OK) cli_die(CMD, e);
    int vocab = mm_gpt_get_config(m)->vocab;
    mm_tok *tok = load_tokenizer(&a);
    mm_tok_enc *enc = NULL;
    if (tok && (e = mm_tok_enc_create(tok, &enc)) != MM_OK) cli_die(CMD, e);
    if (tok && !a.no_stop) a.o.stop_token = mm_tok_eot(tok);
    int B = a.nprompts * a.samples;
    mm_tok_ids *ids = calloc((size_t)a.nprompts, sizeof *ids);
    const int32_t **prompts = calloc((size_t)B, sizeof *prompts);
    int *plen = calloc((size_t)B, sizeof *plen), *olen = calloc((size_t)B, sizeof *olen);
    int32_t **outs = calloc((size_t)B, sizeof *outs);
    float **lps = calloc((size_t)B, sizeof *lps);
    if (!ids || !prompts || !plen || !olen || !outs || !lps)
        cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
    for (int k = 0; k < a.nprompts; k++)
        encode(&a, k, tok, enc, vocab, &ids[k]);
    for (int b = 0; b < B; b++) {
        const mm_tok_ids *p = &ids[b / a.samples];
        prompts[b] = (const int32_t *)p->v; /* ids < 2^31: same bits as int32 */
        plen[b] = (int)p->len;
        outs[b] = malloc(((size_t)a.o.max_new_tokens + 1) * sizeof **outs);
        lps[b] = malloc(((size_t)a.o.max_new_tokens + 1) * sizeof **lps);
        if (!outs[b] || !lps[b]) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
    }
    double t0 = mm_now();
    a.o.stop = &cli_interrupted;
    e = mm_gpt_generate(m, B, prompts, plen, &a.o, outs, olen, lps);
    double dt = mm_now() - t0;
    if (e != MM_OK) cli_die(CMD, e);
    long total = 0;
    for (int b = 0; b < B; b++) {
        emit(&a, tok, b, b / a.samples, &ids[b / a.samples], outs[b], olen[b], lps[b]);
        total += olen[b];
    }
    if (cli_verbosity >= 0)
        fprintf(stderr,
                "generated %ld tokens in %d sequences in %.2fs: %.1f tokens/s (%d threads)\n",
                total, B, dt, dt > 0 ? total / dt : 0, omp_get_max_threads());
    for (int b = 0; b < B; b++)
        free(outs[b]), free(lps[b]);
    for (int k = 0; k < a.nprompts; k++)
        mm_tok_ids_free(&ids[k]);
    free(ids), free(prompts), free(plen), free(olen), free(outs), free(lps), free(a.prompts),
        free(a.is_ids);
    mm_tok_enc_free(enc);
    mm_tok_free(tok);
    mm_gpt_free(m);
    return CLI_EXIT_OK;
}
