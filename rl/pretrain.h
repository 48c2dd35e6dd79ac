/* rl/pretrain.h — the pretraining loop: token-shard data loader, warm-up + cosine learning
 * rate, gradient accumulation and clipping, AdamW, validation, JSONL log, SVG loss curve,
 * checkpoints and exact resumption.
 *
 * Run directory (opts.out), replaced as a whole at every checkpoint (temp dir + rename), so it
 * always holds one complete, consistent checkpoint that transformers' GPT2LMHeadModel loads:
 *   model.safetensors, config.json      the model (Hugging Face GPT-2 names and layouts)
 *   vocab.json, merges.txt, ...         the tokenizer files, when opts.tokenizer_dir is given
 *   optimizer.safetensors               AdamW moments and step
 *   train_state.json                    step, data position, options: what --resume needs
 *   log.jsonl, loss.svg                 the log and loss curve (also refreshed in place at
 *                                       every validation)
 * Resuming restores parameters, moments, step and data position, so the run continues with
 * exactly the losses an uninterrupted run would have had (same thread count assumed).
 * A NaN/Inf loss stops the run with MM_ERR_NUMERIC; the directory keeps the last good
 * checkpoint.  Nothing is printed: progress goes to opts.on_step. */
#ifndef MM_PRETRAIN_H
#define MM_PRETRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "rl/gpt2.h"

/* ---- data ---- */

/* Token shards matching a glob (sorted by name), read sequentially as rows of T+1 tokens; each
 * row starts T tokens after the previous one; a shard's tail too short for a row is skipped
 * and the reader wraps around after the last shard (epoch + 1). */
typedef struct mm_pretrain_data mm_pretrain_data;

typedef struct mm_pretrain_pos {
    int64_t shard, offset, epoch;
} mm_pretrain_pos;

MM_API mm_err mm_pretrain_data_open(const char *glob, int vocab, int T, mm_pretrain_data **out);
/* inputs[B, T] and targets[B, T] (the inputs shifted by one). */
MM_API mm_err mm_pretrain_data_next(mm_pretrain_data *d, int B, int32_t *inputs, int32_t *targets);
MM_API mm_pretrain_pos mm_pretrain_data_tell(const mm_pretrain_data *d);
MM_API mm_err mm_pretrain_data_seek(mm_pretrain_data *d, mm_pretrain_pos p);
MM_API size_t mm_pretrain_data_tokens(const mm_pretrain_data *d); /* total over the shards */
MM_API size_t mm_pretrain_data_shards(const mm_pretrain_data *d);
MM_API void mm_pretrain_data_close(mm_pretrain_data *d);

/* ---- learning rate ---- */

/* Linear warm-up over `warmup` steps to lr, then cosine decay to min_lr at step `steps`. */
MM_API float mm_pretrain_lr(long step, long steps, long warmup, float lr, float min_lr);

/* ---- training ---- */

typedef struct mm_pretrain_event {
    long step, steps; /* optimizer steps done, total */
    float loss;       /* training loss of this step (mean over its micro-batches) */
    float val_loss;   /* NaN unless validated at this step */
    float lr, grad_norm;
    double step_s; /* wall time of this step */
    double tokens_per_s;
    int checkpointed; /* 1 when a checkpoint was written after this step */
} mm_pretrain_event;

typedef struct mm_pretrain_opts {
    mm_gpt_config cfg;         /* for a fresh run; on resume it must match the checkpoint
                                  (fields <= 0 are taken from the checkpoint) */
    const char *data;          /* glob of training shards */
    const char *val;           /* glob of validation shards (NULL: no validation) */
    const char *out;           /* run / checkpoint directory */
    const char *tokenizer_dir; /* copied into the checkpoint when set */
    int batch, accum;          /* micro-batch rows, micro-batches per step */
    long steps, warmup;
    float lr, min_lr, weight_decay, grad_clip, beta1, beta2, eps;
    int val_every, val_batches, ckpt_every;
    uint64_t seed;
    int resume;
    int force;          /* a fresh run may replace the finished run in `out` (never other files) */
    long stop_at;       /* > 0: checkpoint and return after this step (the schedule still
                           spans `steps`); for splitting a run into jobs */
    volatile int *stop; /* when it becomes non-zero the run checkpoints and returns */
    void (*on_event)(void *ctx, const mm_pretrain_event *e);
    void *ctx;
} mm_pretrain_opts;

/* Defaults for everything but cfg, data, val, out.  batch, accum, steps, warmup, lr, min_lr,
 * weight_decay, grad_clip, val_every, val_batches and ckpt_every are left unset (-1): a
 * resumed run takes them from its checkpoint, a fresh one gets 8, 1, 1000, steps/20, 6e-4,
 * lr/10, 0.1, 1.0, 100, 8, 500. */
MM_API void mm_pretrain_defaults(mm_pretrain_opts *o);

typedef struct mm_pretrain_result {
    long steps_done;
    float first_loss, last_loss, first_val, last_val; /* NaN when absent */
    double seconds, tokens_per_s;
    size_t params;
} mm_pretrain_result;

MM_API mm_err mm_pretrain_run(const mm_pretrain_opts *o, mm_pretrain_result *res);

/* ---- benchmark ---- */

typedef struct mm_pretrain_bench {
    double tokens_per_s, ms_per_step;
    double flops_per_token; /* model FLOPs: 6 * matmul params + 12 * L * T * D (PaLM) */
    double achieved_gflops; /* flops_per_token * tokens_per_s */
    double peak_gflops;     /* measured sgemm peak with the current BLAS threads */
    double mfu;             /* achieved / peak */
    size_t params;
} mm_pretrain_bench;

/* Train on random tokens for `steps` steps (after one warm-up step) and measure. */
MM_API mm_err mm_pretrain_benchmark(const mm_gpt_config *cfg, int batch, int steps, uint64_t seed,
                                    mm_pretrain_bench *out);
/* GFLOP/s of a large square sgemm with the current BLAS threads (best of a few runs). */
MM_API double mm_pretrain_sgemm_peak(void);

#endif
