/* rl/gpt2_kern.h — internal: the GPT-2 layer kernels (forward and backward), each fast kernel
 * beside a plain reference kernel that tests compare it with.  Not installed; used by gpt2.c,
 * gpt2_generate.c and tests/unit/test_gpt2.c.
 *
 * Conventions: N = rows (B*T), C = input features, OC = output features, row-major.
 * Weights use GPT-2's Conv1D layout w[C, OC] (in x out), so y = x w + b.
 * "(+=)" marks an output that is accumulated into, "(=)" one that is overwritten. */
#ifndef MM_GPT2_KERN_H
#define MM_GPT2_KERN_H

#include <stddef.h>

/* Make OpenBLAS single-threaded (once): the kernels split matrix products over OpenMP threads. */
void mm_gk_blas_single(void);

/* log Σ_v exp(z[v]) of one row of V logits, in double (the log-prob of token t is z[t] minus
 * it); used by the GRPO/PPO and DPO losses. */
double mm_gk_row_logsumexp(const float *z, int V);

/* out[N,OC] (=) = in[N,C] w[C,OC] + b[OC] (b may be NULL). */
void mm_gk_matmul_fwd(float *out, const float *in, const float *w, const float *b, int N, int C,
                      int OC);
void mm_gk_matmul_fwd_ref(float *out, const float *in, const float *w, const float *b, int N, int C,
                          int OC);
/* din[N,C] (=) = dout w^T (skipped when din is NULL); dw[C,OC] (+=) in^T dout;
 * db[OC] (+=) column sums of dout (skipped when NULL). */
void mm_gk_matmul_bwd(float *din, float *dw, float *db, const float *dout, const float *in,
                      const float *w, int N, int C, int OC);
void mm_gk_matmul_bwd_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                          const float *w, int N, int C, int OC);

/* Logits with the tied embedding: out[N,V] (=) = in[N,C] wte[V,C]^T. */
void mm_gk_lmhead_fwd(float *out, const float *in, const float *wte, int N, int C, int V);
/* din[N,C] (=) = dout[N,V] wte; dwte[V,C] (+=) dout^T in. */
void mm_gk_lmhead_bwd(float *din, float *dwte, const float *dout, const float *in, const float *wte,
                      int N, int C, int V);

/* LayerNorm (eps 1e-5): out[N,C] (=), mean[N] (=), rstd[N] (=). */
void mm_gk_layernorm_fwd(float *out, float *mean, float *rstd, const float *in, const float *w,
                         const float *b, int N, int C);
void mm_gk_layernorm_fwd_ref(float *out, float *mean, float *rstd, const float *in, const float *w,
                             const float *b, int N, int C);
/* din[N,C] (+=), dw[C] (+=), db[C] (+=). */
void mm_gk_layernorm_bwd(float *din, float *dw, float *db, const float *dout, const float *in,
                         const float *w, const float *mean, const float *rstd, int N, int C);
void mm_gk_layernorm_bwd_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, const float *mean, const float *rstd, int N, int C);

/* GELU, tanh approximation: out[n] (=); din[n] (=) = gelu'(in) * dout. */
void mm_gk_gelu_fwd(float *out, const float *in, size_t n);
void mm_gk_gelu_fwd_ref(float *out, const float *in, size_t n);
void mm_gk_gelu_bwd(float *din, const float *in, const float *dout, size_t n);
void mm_gk_gelu_bwd_ref(float *din, const float *in, const float *dout, size_t n);

/* Causal self-attention over qkv[B,T,3D] (q | k | v, heads of D/H contiguous inside each).
 * out[B,T,D] (=); att[B,H,T,T] (=) keeps the softmax probabilities (row t valid for j <= t). */
void mm_gk_attention_fwd(float *out, float *att, const float *qkv, int B, int T, int D, int H);
void mm_gk_attention_fwd_ref(float *out, float *att, const float *qkv, int B, int T, int D, int H);
/* dqkv[B,T,3D] (=) from dout[B,T,D]. */
void mm_gk_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *att, int B,
                         int T, int D, int H);
void mm_gk_attention_bwd_ref(float *dqkv, const float *dout, const float *qkv, const float *att,
                             int B, int T, int D, int H);

/* One decoding step of causal attention for B sequences at position `pos`: queries from
 * qkv[B,3D]; keys and values of positions 0..pos from the caches kc, vc [B, cap, D].
 * out[B,D] (=). */
void mm_gk_attention_step(float *out, const float *qkv, const float *kc, const float *vc, int B,
                          int pos, int cap, int D, int H);

/* Mean cross-entropy over rows whose target >= 0; dlogits[N,V] (=) its gradient (zero rows for
 * ignored targets).  Returns the loss (0 when no target counts); *count = targets counted. */
double mm_gk_crossentropy(float *dlogits, const float *logits, const int *targets, int N, int V,
                          int *count);

/* a[n] (+=) b[n] */
void mm_gk_add(float *a, const float *b, size_t n);
/* out[n] (=) a + b */
void mm_gk_add3(float *out, const float *a, const float *b, size_t n);

#endif
