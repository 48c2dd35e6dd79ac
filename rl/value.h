/* rl/value.h — a GPT-2 with a scalar head: the value model of PPO and the outcome reward model
 * (DeepSeekMath §4.1: both are language models of the policy's architecture with the LM head
 * replaced by a scalar output).
 *
 * The backbone is an mm_gpt (rl/gpt2.h), the same code as the policy; the head reads the
 * output of the final LayerNorm h[b, t] ([dim]) at every position:
 *
 *     value[b, t] = h[b, t] · w + bias          w [dim], bias [1]
 *
 * value[b, t] has seen tokens 0..t, so it is the value of the state before token t+1 (PPO), and
 * at the last token of a sequence it is the score of the whole sequence (outcome reward model,
 * as Hugging Face's GPT2ForSequenceClassification reads it).  The LM head is still computed in
 * the forward pass but receives no gradient unless the caller passes dlogits.
 *
 * Checkpoints: DIR/model.safetensors + DIR/config.json (the backbone, loadable as a plain
 * GPT-2) and DIR/score.safetensors ("score.weight" [1, dim], "score.bias" [1]), written
 * together atomically (temp directory + rename).
 *
 * Ownership: an mm_value owns its backbone, head, gradients and optimizer state; the values
 * pointer returned by the forward pass stays valid until the next forward or mm_value_free.
 * Not thread-safe (one per thread), as mm_gpt. */
#ifndef MM_VALUE_H
#define MM_VALUE_H

#include <stdint.h>

#include "common/error.h"
#include "rl/gpt2.h"

typedef struct mm_value mm_value;

/* A fresh model (GPT-2 initialisation; head w ~ N(0, 0.02), bias 0), deterministic for seed. */
MM_API mm_err mm_value_create(const mm_gpt_config *cfg, uint64_t seed, mm_value **out);
/* A model whose backbone is a copy of `init` (the paper initialises its reward and value
 * models from the SFT policy) and a fresh head drawn from seed. */
MM_API mm_err mm_value_from_gpt(const mm_gpt *init, uint64_t seed, mm_value **out);
/* Load DIR as written by mm_value_save; a directory with no score.safetensors (a policy
 * checkpoint) loads the backbone with a fresh head drawn from seed. */
MM_API mm_err mm_value_load(const char *dir, uint64_t seed, mm_value **out);
/* Write the checkpoint (see above); tok_eos >= 0 goes into config.json as bos/eos_token_id.
 * Extra files the caller wants inside the checkpoint are written by `extra(ud, tmpdir)`
 * before the rename (may be NULL), e.g. the tokenizer. */
MM_API mm_err mm_value_save(const mm_value *v, const char *dir, int tok_eos,
                            mm_err (*extra)(void *ud, const char *tmpdir), void *ud);
MM_API void mm_value_free(mm_value *v);

MM_API mm_gpt *mm_value_gpt(mm_value *v); /* the backbone (owned by v) */
/* The head's parameters: w [dim] then bias [1]; and their gradients. */
MM_API float *mm_value_head(mm_value *v);
MM_API float *mm_value_head_grad(mm_value *v);

/* Forward over B sequences of T tokens: *values -> [B, T] floats owned by v.  *logits (may
 * be NULL) -> the backbone's LM logits [B, T, vocab]. */
MM_API mm_err mm_value_forward(mm_value *v, const int32_t *tokens, int B, int T,
                               const float **values, const float **logits);
/* Backward of the last forward from dvalues [B, T] (dL/dvalue) and dlogits [B, T, vocab]
 * (NULL = none).  Gradients accumulate, into the head and the backbone. */
MM_API mm_err mm_value_backward(mm_value *v, const float *dvalues, const float *dlogits);
MM_API void mm_value_zero_grad(mm_value *v);
/* Clip the global gradient norm of backbone and head together; returns the norm before. */
MM_API float mm_value_clip_grad(mm_value *v, float max_norm);
/* AdamW on backbone and head (w decays, bias does not), as mm_gpt_adamw_step. */
MM_API mm_err mm_value_adamw_step(mm_value *v, const mm_adamw_opts *o);
/* Optimizer state (moments and step counts of backbone and head) as DIR/optimizer.safetensors
 * (the backbone's, as mm_gpt_save_optimizer) and DIR/score_optimizer.safetensors, for a
 * resumable run (grpo --resume); load checks that it fits the model. */
MM_API mm_err mm_value_save_optimizer(const mm_value *v, const char *dir);
MM_API mm_err mm_value_load_optimizer(mm_value *v, const char *dir);

#endif
