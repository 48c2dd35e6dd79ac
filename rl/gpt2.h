/* rl/gpt2.h — the GPT-2 model (fp32, CPU): forward and backward in C with OpenBLAS sgemm for the
 * matrix products and OpenMP for the rest; AdamW; safetensors checkpoints with Hugging Face
 * GPT-2 names and layouts; generation with a KV cache.
 *
 * Architecture exactly GPT-2: learned position embeddings, pre-LayerNorm (eps 1e-5), GELU with
 * the tanh approximation, tied input/output embeddings, biases everywhere.
 *
 * Ownership: an mm_gpt owns its parameters, gradients, optimizer state and activation buffers.
 * Pointers returned by accessors stay valid until the next call that changes the batch shape
 * (activations) or mm_gpt_free.  Not thread-safe: one model per thread (it uses OpenMP/BLAS
 * threads inside).  Threads: the model sets OpenBLAS to one thread and splits its work over the
 * OpenMP threads itself (omp_set_num_threads decides how many); results depend on that count
 * only through the order of floating-point sums. */
#ifndef MM_GPT2_H
#define MM_GPT2_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct mm_gpt_config {
    int vocab;  /* vocabulary size (padded size is internal) */
    int ctx;    /* maximum sequence length (n_positions) */
    int layers; /* n_layer */
    int heads;  /* n_head */
    int dim;    /* n_embd */
} mm_gpt_config;

typedef struct mm_gpt mm_gpt;

/* New model with GPT-2 initialisation (normal 0.02; residual projections scaled by
 * 1/sqrt(2*layers)), deterministic for `seed`. */
MM_API mm_err mm_gpt_create(const mm_gpt_config *cfg, uint64_t seed, mm_gpt **out);
/* Load DIR/model.safetensors + DIR/config.json (Hugging Face GPT-2 names); checks shapes. */
MM_API mm_err mm_gpt_load(const char *dir, mm_gpt **out);
/* Write DIR/model.safetensors + DIR/config.json atomically (temp dir + rename). */
MM_API mm_err mm_gpt_save(const mm_gpt *m, const char *dir);
MM_API void mm_gpt_free(mm_gpt *m);
MM_API const mm_gpt_config *mm_gpt_get_config(const mm_gpt *m);
MM_API mm_err mm_gpt_copy_params(mm_gpt *dst, const mm_gpt *src); /* same config required */

/* Forward pass over B sequences of T tokens (T <= ctx), keeping the activations needed by
 * backward.  *logits points to [B, T, vocab] floats owned by the model. */
MM_API mm_err mm_gpt_forward(mm_gpt *m, const int32_t *tokens, int B, int T, const float **logits);
/* Mean cross-entropy of the last forward against targets [B, T] (target < 0 = ignored), and
 * writes its gradient into the model's dlogits buffer (ready for mm_gpt_backward(m, NULL)). */
MM_API mm_err mm_gpt_loss(mm_gpt *m, const int32_t *targets, float *loss);
/* Backward from dlogits [B, T, vocab] (NULL = the buffer mm_gpt_loss filled).  Gradients are
 * ACCUMULATED into the parameter gradients (call mm_gpt_zero_grad between optimizer steps). */
MM_API mm_err mm_gpt_backward(mm_gpt *m, const float *dlogits);
MM_API void mm_gpt_zero_grad(mm_gpt *m);
/* For heads other than the LM head (rl/value.h): the output of the final LayerNorm of the
 * last forward, [B, T, dim] (NULL before any forward), and a backward from dlogits [B, T,
 * vocab] (NULL = no LM-head gradient) plus dhidden [B, T, dim] (NULL = none), accumulating
 * as mm_gpt_backward does. */
MM_API const float *mm_gpt_hidden(const mm_gpt *m);
MM_API mm_err mm_gpt_backward_hidden(mm_gpt *m, const float *dlogits, const float *dhidden);

/* All parameters (and gradients) as one flat array, in the order of mm_gpt_tensor(). */
MM_API float *mm_gpt_params(mm_gpt *m, size_t *n);
MM_API float *mm_gpt_grads(mm_gpt *m, size_t *n);
/* The i-th tensor: Hugging Face name ("h.0.attn.c_attn.weight"), shape, data, grad; NULL past
 * the end. */
typedef struct mm_gpt_tensor {
    const char *name;
    int ndim;
    int shape[2];
    float *data, *grad;
    size_t size;
    int decay; /* 1 = weight decay applies (matrices and embeddings) */
} mm_gpt_tensor;
MM_API const mm_gpt_tensor *mm_gpt_tensor_at(mm_gpt *m, size_t i);

/* AdamW (beta1 0.9, beta2 0.95, eps 1e-8, decoupled weight decay on tensors with decay=1). */
typedef struct mm_adamw_opts {
    float lr, beta1, beta2, eps, weight_decay;
} mm_adamw_opts;
MM_API mm_err mm_gpt_adamw_step(mm_gpt *m, const mm_adamw_opts *o); /* increments step count */
/* Clip the global gradient norm to max_norm (if > 0); returns the norm before clipping. */
MM_API float mm_gpt_clip_grad(mm_gpt *m, float max_norm);
/* Optimizer state (m, v, step) next to a checkpoint, for --resume. */
MM_API mm_err mm_gpt_save_optimizer(const mm_gpt *m, const char *path);
MM_API mm_err mm_gpt_load_optimizer(mm_gpt *m, const char *path);

/* ---- inference with a KV cache ---- */
typedef struct mm_sample_opts {
    float temperature; /* 0 = greedy */
    int top_k;         /* 0 = off */
    float top_p;       /* 1 = off */
    uint64_t seed;
    int max_new_tokens;
    int stop_token;     /* generation of a sequence ends after this token (-1 = none) */
    volatile int *stop; /* when it becomes non-zero, generation fails with "interrupted" */
} mm_sample_opts;

/* Generate continuations for B prompts at once (batched, KV cache).  prompts[b] has
 * prompt_len[b] tokens.  out[b] receives up to max_new_tokens tokens, out_len[b] their count;
 * if logprobs != NULL, logprobs[b][t] is log pi(token) under the sampling distribution of the
 * model at temperature 1 (before top-k/top-p), as GRPO needs for the old policy. */
MM_API mm_err mm_gpt_generate(mm_gpt *m, int B, const int32_t *const *prompts,
                              const int *prompt_len, const mm_sample_opts *o, int32_t **out,
                              int *out_len, float **logprobs);

#endif
