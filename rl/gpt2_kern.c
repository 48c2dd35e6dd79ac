/* rl/gpt2_kern.c — GPT-2 layer kernels.  Matrix products go to OpenBLAS sgemm; the rest are
 * row loops parallelised with OpenMP, their inner loops written so the compiler vectorises them
 * (`omp simd`; hot row functions are also compiled for AVX-512/AVX2 and picked at run time).
 * Each fast kernel has a plain `_ref` twin below it that the unit tests compare against. */
#ifdef __clang__ /* the fuzz build: `omp simd` loops clang cannot vectorise are fine as they are   \
                  */
#pragma clang diagnostic ignored "-Wpass-failed"
#endif
#include "rl/gpt2_kern.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Compile a row function for AVX-512 and AVX2 as well, chosen at load time (GCC only; clang,
 * used for the fuzz build, gets the portable version). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
#define MM_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MM_HOT
#endif

#define GELU_SCALE 0.7978845608028654f /* sqrt(2/pi) */

/* exp(x) in a form the vectoriser turns into SIMD code (libm's expf, floorf and fminf stay
 * scalar without -ffast-math): x = n ln2 + r with |r| <= ln2/2 (n rounded with the 1.5 * 2^23
 * trick, ln2 split in two for precision), exp(r) by its degree-7 Taylor polynomial (relative
 * error < 1e-7 measured over [-87, 88]), 2^n from the exponent bits.  Inputs are clamped to
 * [-87, 88], where the result stays a normal float. */
static inline float exp_fast(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float n = (x * 1.4426950408889634f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-6f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#define LN_EPS 1e-5f

/* ---- matmul ------------------------------------------------------------------------------

   Threading: OpenBLAS runs single-threaded (mm_gk_blas_single) and the matrix products are split
   between the OpenMP threads here, each calling sgemm on its block.  Two thread pools (OpenMP's
   and OpenBLAS's) would each spin while the other works, and on a machine with few cores that
   spinning takes the cores away from the work.  A product is split over rows when each thread
   gets at least 64 of them, else over output columns (generation has few rows). */

void mm_gk_blas_single(void) {
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

/* Thread teams only for work that repays waking them (on a busy machine a wake-up or a barrier
 * can cost a scheduler time slice): a product of at least 8M multiply-adds (about 0.1 ms on
 * one core), an elementwise pass over at least 256K floats.  Never inside a parallel region
 * (the data-parallel pass calls the kernels from its threads). */
static int big_gemm(int N, int C, int OC) {
    return (double)N * C * OC >= (1 << 23) && !omp_in_parallel();
}
#define BIG_ELEMS(n) ((size_t)(n) >= (size_t)(1 << 18) && !omp_in_parallel())

/* [lo, hi) of n for thread id of nt, in multiples of `align` except the last. */
static void split(int n, int id, int nt, int align, int *lo, int *hi) {
    int blocks = (n + align - 1) / align;
    *lo = (int)((long)blocks * id / nt) * align;
    *hi = (int)((long)blocks * (id + 1) / nt) * align;
    if (*lo > n) *lo = n;
    if (*hi > n) *hi = n;
}

/* out[rows, cols] = in[rows, C] w[C, cols] (+ b[cols]); all with their own leading dims. */
static void gemm_bias(float *out, int ldo, const float *in, const float *w, int ldw, const float *b,
                      int rows, int cols, int C) {
    if (rows <= 0 || cols <= 0) return;
    if (b)
        for (int n = 0; n < rows; n++)
            memcpy(out + (size_t)n * ldo, b, (size_t)cols * sizeof *out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, C, 1.0f, in, C, w, ldw,
                b ? 1.0f : 0.0f, out, ldo);
}

void mm_gk_matmul_fwd(float *out, const float *in, const float *w, const float *b, int N, int C,
                      int OC) {
    mm_gk_blas_single();
#pragma omp parallel if (big_gemm(N, C, OC))
    {
        int nt = omp_get_num_threads(), id = omp_get_thread_num(), lo, hi;
        if (N >= 64 * nt) {
            split(N, id, nt, 1, &lo, &hi);
            gemm_bias(out + (size_t)lo * OC, OC, in + (size_t)lo * C, w, OC, b, hi - lo, OC, C);
        } else {
            split(OC, id, nt, 16, &lo, &hi);
            gemm_bias(out + lo, OC, in, w + lo, OC, b ? b + lo : NULL, N, hi - lo, C);
        }
    }
}

void mm_gk_matmul_fwd_ref(float *out, const float *in, const float *w, const float *b, int N, int C,
                          int OC) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double s = b ? b[o] : 0;
            for (int c = 0; c < C; c++)
                s += (double)in[(size_t)n * C + c] * w[(size_t)c * OC + o];
            out[(size_t)n * OC + o] = (float)s;
        }
}

/* db[lo..hi) (+=) column sums of dout[N, OC] over those columns. */
static void colsum_add(float *db, const float *dout, int N, int OC, int lo, int hi) {
    enum { BLK = 64 };
    for (int o0 = lo; o0 < hi; o0 += BLK) {
        float acc[BLK] = {0};
        int w = hi - o0 < BLK ? hi - o0 : BLK;
        for (int n = 0; n < N; n++) {
            const float *r = dout + (size_t)n * OC + o0;
#pragma omp simd
            for (int o = 0; o < w; o++)
                acc[o] += r[o];
        }
        for (int o = 0; o < w; o++)
            db[o0 + o] += acc[o];
    }
}

/* Each thread: its rows of din, and its columns of dw and db. */
void mm_gk_matmul_bwd(float *din, float *dw, float *db, const float *dout, const float *in,
                      const float *w, int N, int C, int OC) {
    mm_gk_blas_single();
#pragma omp parallel if (big_gemm(N, C, OC))
    {
        int nt = omp_get_num_threads(), id = omp_get_thread_num(), lo, hi;
        split(N, id, nt, 1, &lo, &hi);
        if (din && hi > lo)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, hi - lo, C, OC, 1.0f,
                        dout + (size_t)lo * OC, OC, w, OC, 0.0f, din + (size_t)lo * C, C);
        split(OC, id, nt, 16, &lo, &hi);
        if (hi > lo) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, hi - lo, N, 1.0f, in, C,
                        dout + lo, OC, 1.0f, dw + lo, OC);
            if (db) colsum_add(db, dout, N, OC, lo, hi);
        }
    }
}

void mm_gk_matmul_bwd_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                          const float *w, int N, int C, int OC) {
    for (int n = 0; n < N && din; n++)
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int o = 0; o < OC; o++)
                s += (double)dout[(size_t)n * OC + o] * w[(size_t)c * OC + o];
            din[(size_t)n * C + c] = (float)s;
        }
    for (int c = 0; c < C; c++)
        for (int o = 0; o < OC; o++) {
            double s = 0;
            for (int n = 0; n < N; n++)
                s += (double)in[(size_t)n * C + c] * dout[(size_t)n * OC + o];
            dw[(size_t)c * OC + o] += (float)s;
        }
    for (int o = 0; o < OC && db; o++) {
        double s = 0;
        for (int n = 0; n < N; n++)
            s += dout[(size_t)n * OC + o];
        db[o] += (float)s;
    }
}

void mm_gk_lmhead_fwd(float *out, const float *in, const float *wte, int N, int C, int V) {
    mm_gk_blas_single();
#pragma omp parallel if (big_gemm(N, C, V))
    {
        int nt = omp_get_num_threads(), id = omp_get_thread_num(), lo, hi;
        if (N >= 64 * nt) {
            split(N, id, nt, 1, &lo, &hi);
            if (hi > lo)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, hi - lo, V, C, 1.0f,
                            in + (size_t)lo * C, C, wte, C, 0.0f, out + (size_t)lo * V, V);
        } else {
            split(V, id, nt, 16, &lo, &hi);
            if (hi > lo)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, hi - lo, C, 1.0f, in, C,
                            wte + (size_t)lo * C, C, 0.0f, out + lo, V);
        }
    }
}

void mm_gk_lmhead_bwd(float *din, float *dwte, const float *dout, const float *in, const float *wte,
                      int N, int C, int V) {
    mm_gk_blas_single();
#pragma omp parallel if (big_gemm(N, C, V))
    {
        int nt = omp_get_num_threads(), id = omp_get_thread_num(), lo, hi;
        split(N, id, nt, 1, &lo, &hi);
        if (hi > lo)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, C, V, 1.0f,
                        dout + (size_t)lo * V, V, wte, C, 0.0f, din + (size_t)lo * C, C);
        split(V, id, nt, 16, &lo, &hi);
        if (hi > lo)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, C, N, 1.0f, dout + lo, V,
                        in, C, 1.0f, dwte + (size_t)lo * C, C);
    }
}

/* ---- layernorm --------------------------------------------------------------------------- */

MM_HOT static void ln_row_fwd(float *o, float *mean, float *rstd, const float *x, const float *w,
                              const float *b, int C) {
    float s = 0, ss = 0;
#pragma omp simd reduction(+ : s)
    for (int c = 0; c < C; c++)
        s += x[c];
    float m = s / C;
#pragma omp simd reduction(+ : ss)
    for (int c = 0; c < C; c++)
        ss += (x[c] - m) * (x[c] - m);
    float r = 1.0f / sqrtf(ss / C + LN_EPS);
#pragma omp simd
    for (int c = 0; c < C; c++)
        o[c] = (x[c] - m) * r * w[c] + b[c];
    *mean = m;
    *rstd = r;
}

void mm_gk_layernorm_fwd(float *out, float *mean, float *rstd, const float *in, const float *w,
                         const float *b, int N, int C) {
#pragma omp parallel for schedule(static) if (BIG_ELEMS((size_t)N * C))
    for (int n = 0; n < N; n++)
        ln_row_fwd(out + (size_t)n * C, mean + n, rstd + n, in + (size_t)n * C, w, b, C);
}

void mm_gk_layernorm_fwd_ref(float *out, float *mean, float *rstd, const float *in, const float *w,
                             const float *b, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * C;
        double m = 0, v = 0;
        for (int c = 0; c < C; c++)
            m += x[c];
        m /= C;
        for (int c = 0; c < C; c++)
            v += (x[c] - m) * (x[c] - m);
        double r = 1.0 / sqrt(v / C + LN_EPS);
        for (int c = 0; c < C; c++)
            out[(size_t)n * C + c] = (float)((x[c] - m) * r * w[c] + b[c]);
        mean[n] = (float)m;
        rstd[n] = (float)r;
    }
}

/* One row of LayerNorm backward.  With xhat = (x - mean) * rstd and g = dout * w:
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  dw += dout * xhat,  db += dout. */
MM_HOT static void ln_row_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                              const float *w, float mean, float rstd, int C) {
    float sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
    for (int c = 0; c < C; c++) {
        float xh = (x[c] - mean) * rstd, g = dy[c] * w[c];
        sg += g;
        sgx += g * xh;
    }
    sg /= C;
    sgx /= C;
#pragma omp simd
    for (int c = 0; c < C; c++) {
        float xh = (x[c] - mean) * rstd;
        dw[c] += dy[c] * xh;
        db[c] += dy[c];
        dx[c] += rstd * (dy[c] * w[c] - sg - xh * sgx);
    }
}

/* Threads accumulate dw/db into private rows of `part` [nthreads, 2C], summed at the end. */
void mm_gk_layernorm_bwd(float *din, float *dw, float *db, const float *dout, const float *in,
                         const float *w, const float *mean, const float *rstd, int N, int C) {
    int nt = omp_get_max_threads();
    float *part = calloc((size_t)nt * 2 * C, sizeof *part); /* [nt, 2, C] */
    if (!part) { /* out of memory: the serial reference needs no scratch */
        mm_gk_layernorm_bwd_ref(din, dw, db, dout, in, w, mean, rstd, N, C);
        return;
    }
#pragma omp parallel num_threads(nt) if (BIG_ELEMS((size_t)N * C))
    {
        float *pw = part + (size_t)omp_get_thread_num() * 2 * C, *pb = pw + C;
#pragma omp for schedule(static)
        for (int n = 0; n < N; n++)
            ln_row_bwd(din + (size_t)n * C, pw, pb, dout + (size_t)n * C, in + (size_t)n * C, w,
                       mean[n], rstd[n], C);
    }
    for (int t = 0; t < nt; t++)
        for (int c = 0; c < C; c++) {
            dw[c] += part[(size_t)t * 2 * C + c];
            db[c] += part[(size_t)t * 2 * C + C + c];
        }
    free(part);
}

void mm_gk_layernorm_bwd_ref(float *din, float *dw, float *db, const float *dout, const float *in,
                             const float *w, const float *mean, const float *rstd, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x = in + (size_t)n * C, *dy = dout + (size_t)n * C;
        double sg = 0, sgx = 0;
        for (int c = 0; c < C; c++) {
            double xh = (x[c] - mean[n]) * (double)rstd[n];
            sg += dy[c] * w[c];
            sgx += dy[c] * w[c] * xh;
        }
        sg /= C;
        sgx /= C;
        for (int c = 0; c < C; c++) {
            double xh = (x[c] - mean[n]) * (double)rstd[n];
            dw[c] += (float)(dy[c] * xh);
            db[c] += dy[c];
            din[(size_t)n * C + c] += (float)(rstd[n] * (dy[c] * w[c] - sg - xh * sgx));
        }
    }
}

/* ---- GELU (tanh approximation) ----------------------------------------------------------- */

/* GELU with u = sqrt(2/pi) (x + 0.044715 x^3):  gelu = 0.5 x (1 + tanh u) = x s,  where
 * s = e / (e + 1) with e = exp(2u) (1 + tanh u = 2s without the cancellation near tanh = -1).
 * Derivative: 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) u' = s + 2 x s (1 - s) u'. */
MM_HOT static void gelu_chunk_fwd(float *o, const float *x, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float v = x[i], e = exp_fast(2.0f * GELU_SCALE * (v + 0.044715f * v * v * v));
        o[i] = v * (e / (e + 1.0f));
    }
}

MM_HOT static void gelu_chunk_bwd(float *dx, const float *x, const float *dy, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float v = x[i], e = exp_fast(2.0f * GELU_SCALE * (v + 0.044715f * v * v * v));
        float s = e / (e + 1.0f), du = GELU_SCALE * (1.0f + 3.0f * 0.044715f * v * v);
        dx[i] = dy[i] * (s + 2.0f * v * s * (1.0f - s) * du);
    }
}

enum { CHUNK = 4096 };

void mm_gk_gelu_fwd(float *out, const float *in, size_t n) {
    size_t nc = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (BIG_ELEMS(n))
    for (size_t k = 0; k < nc; k++) {
        size_t a = k * CHUNK, len = n - a < CHUNK ? n - a : CHUNK;
        gelu_chunk_fwd(out + a, in + a, len);
    }
}

void mm_gk_gelu_fwd_ref(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double x = in[i], u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
        out[i] = (float)(0.5 * x * (1.0 + tanh(u)));
    }
}

void mm_gk_gelu_bwd(float *din, const float *in, const float *dout, size_t n) {
    size_t nc = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (BIG_ELEMS(n))
    for (size_t k = 0; k < nc; k++) {
        size_t a = k * CHUNK, len = n - a < CHUNK ? n - a : CHUNK;
        gelu_chunk_bwd(din + a, in + a, dout + a, len);
    }
}

void mm_gk_gelu_bwd_ref(float *din, const float *in, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double x = in[i], u = 0.7978845608028654 * (x + 0.044715 * x * x * x), t = tanh(u);
        double du = 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x * x);
        din[i] = (float)(dout[i] * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du));
    }
}

/* ---- attention --------------------------------------------------------------------------- */

/* One query row: p[j] = softmax_j(q . k_j * scale) for j <= t, y = sum_j p[j] v_j.
 * q, k, v: head slices of length hs; rows of k and v are `stride` floats apart. */
MM_HOT static void attn_row_fwd(float *y, float *p, const float *q, const float *k, const float *v,
                                int t, int hs, size_t stride, float scale) {
    float mx = -INFINITY;
    for (int j = 0; j <= t; j++) {
        const float *kj = k + (size_t)j * stride;
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int i = 0; i < hs; i++)
            s += q[i] * kj[i];
        s *= scale;
        p[j] = s;
        if (s > mx) mx = s;
    }
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j <= t; j++) {
        p[j] = exp_fast(p[j] - mx);
        sum += p[j];
    }
    float inv = 1.0f / sum;
    for (int i = 0; i < hs; i++)
        y[i] = 0;
    for (int j = 0; j <= t; j++) {
        p[j] *= inv;
        const float *vj = v + (size_t)j * stride;
        float pj = p[j];
#pragma omp simd
        for (int i = 0; i < hs; i++)
            y[i] += pj * vj[i];
    }
}

/* Attention on sgemm, one (b, h) pair per task.  Causality is used blockwise: with rows and
 * columns cut in blocks of ATT_BS, row block i only needs column blocks 0..i, so the products
 * skip the upper block triangle (T = 256: 10 of 16 blocks computed); inside the diagonal blocks
 * the entries above the diagonal are computed and then zeroed in P.  For T < ATT_BS one block.
 * Entries of att beyond a row's block end are never written (rows are valid for j <= t). */
enum { ATT_BS = 64 };

/* Row t of S (scaled scores, j <= t) -> probabilities; zero j in (t, end). */
MM_HOT static void softmax_causal_row(float *p, int t, int end) {
    float mx = -INFINITY, sum = 0;
    for (int j = 0; j <= t; j++)
        mx = p[j] > mx ? p[j] : mx;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j <= t; j++) {
        p[j] = exp_fast(p[j] - mx);
        sum += p[j];
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int j = 0; j <= t; j++)
        p[j] *= inv;
    for (int j = t + 1; j < end; j++)
        p[j] = 0;
}

/* One (b, h): q, k, v [T, hs] with row stride s3; y [T, hs] with row stride D; p [T, T]. */
static void attn_head_fwd(float *y, float *p, const float *q, const float *k, const float *v, int T,
                          int hs, int s3, int D, float scale) {
    for (int r0 = 0; r0 < T; r0 += ATT_BS) {
        int nr = T - r0 < ATT_BS ? T - r0 : ATT_BS, end = r0 + nr;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, end, hs, scale,
                    q + (size_t)r0 * s3, s3, k, s3, 0.0f, p + (size_t)r0 * T, T);
        for (int t = r0; t < end; t++)
            softmax_causal_row(p + (size_t)t * T, t, end);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, hs, end, 1.0f,
                    p + (size_t)r0 * T, T, v, s3, 0.0f, y + (size_t)r0 * D, D);
    }
}

void mm_gk_attention_fwd(float *out, float *att, const float *qkv, int B, int T, int D, int H) {
    int hs = D / H, s3 = 3 * D;
    float scale = 1.0f / sqrtf((float)hs);
    mm_gk_blas_single();
#pragma omp parallel for collapse(2) schedule(static) if (!omp_in_parallel())
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *q = qkv + (size_t)b * T * s3 + (size_t)h * hs;
            attn_head_fwd(out + (size_t)b * T * D + (size_t)h * hs,
                          att + ((size_t)b * H + h) * T * T, q, q + D, q + 2 * D, T, hs, s3, D,
                          scale);
        }
}

void mm_gk_attention_fwd_ref(float *out, float *att, const float *qkv, int B, int T, int D, int H) {
    int hs = D / H;
    double scale = 1.0 / sqrt((double)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * D + (size_t)h * hs;
                float *p = att + (((size_t)b * H + h) * T + t) * T;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j <= t; j++) {
                    const float *k = qkv + ((size_t)b * T + j) * 3 * D + D + (size_t)h * hs;
                    double s = 0;
                    for (int i = 0; i < hs; i++)
                        s += (double)q[i] * k[i];
                    p[j] = (float)(s * scale);
                    if (p[j] > mx) mx = p[j];
                }
                for (int j = 0; j <= t; j++)
                    sum += exp(p[j] - mx);
                for (int j = 0; j <= t; j++)
                    p[j] = (float)(exp(p[j] - mx) / sum);
                for (int i = 0; i < hs; i++) {
                    double y = 0;
                    for (int j = 0; j <= t; j++)
                        y += p[j] *
                             (double)qkv[((size_t)b * T + j) * 3 * D + 2 * D + (size_t)h * hs + i];
                    out[((size_t)b * T + t) * D + (size_t)h * hs + i] = (float)y;
                }
            }
}

/* Row t of dS from P and dP (in place in dp): dS_j = P_j (dP_j - sum_i P_i dP_i) * scale for
 * j <= t, 0 for j in (t, end) — the softmax backward with the score scale folded in. */
MM_HOT static void softmax_causal_row_bwd(float *dp, const float *p, int t, int end, float scale) {
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j <= t; j++)
        dot += p[j] * dp[j];
#pragma omp simd
    for (int j = 0; j <= t; j++)
        dp[j] = p[j] * (dp[j] - dot) * scale;
    for (int j = t + 1; j < end; j++)
        dp[j] = 0;
}

/* One (b, h), with S = scale Q K^T, P = softmax(S), Y = P V:
 *   dP = dY V^T,  dV = P^T dY,  dS = softmax backward,  dQ = dS K,  dK = dS^T Q.
 * dq, dk, dv [T, hs] with row stride s3 (overwritten); ds: [T, T] scratch. */
static void attn_head_bwd(float *dq, float *dk, float *dv, float *ds, const float *dy,
                          const float *p, const float *q, const float *k, const float *v, int T,
                          int hs, int s3, int D, float scale) {
    for (int r0 = 0; r0 < T; r0 += ATT_BS) {
        int nr = T - r0 < ATT_BS ? T - r0 : ATT_BS, end = r0 + nr;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, end, hs, 1.0f, dy + (size_t)r0 * D,
                    D, v, s3, 0.0f, ds + (size_t)r0 * T, T);
        for (int t = r0; t < end; t++)
            softmax_causal_row_bwd(ds + (size_t)t * T, p + (size_t)t * T, t, end, scale);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, hs, end, 1.0f,
                    ds + (size_t)r0 * T, T, k, s3, 0.0f, dq + (size_t)r0 * s3, s3);
    }
    for (int c0 = 0; c0 < T; c0 += ATT_BS) { /* column block c: rows c0..T contribute */
        int nc = T - c0 < ATT_BS ? T - c0 : ATT_BS, rows = T - c0;
        size_t at = (size_t)c0 * T + c0;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc, hs, rows, 1.0f, p + at, T,
                    dy + (size_t)c0 * D, D, 0.0f, dv + (size_t)c0 * s3, s3);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc, hs, rows, 1.0f, ds + at, T,
                    q + (size_t)c0 * s3, s3, 0.0f, dk + (size_t)c0 * s3, s3);
    }
}

void mm_gk_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *att, int B,
                         int T, int D, int H) {
    int hs = D / H, s3 = 3 * D;
    float scale = 1.0f / sqrtf((float)hs);
    mm_gk_blas_single();
#pragma omp parallel if (!omp_in_parallel())
    {
        float *ds = malloc((size_t)T * T * sizeof *ds); /* [T, T] scratch */
#pragma omp for collapse(2) schedule(static)
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++) {
                size_t off = (size_t)b * T * s3 + (size_t)h * hs;
                if (ds)
                    attn_head_bwd(dqkv + off, dqkv + off + D, dqkv + off + 2 * D, ds,
                                  dout + (size_t)b * T * D + (size_t)h * hs,
                                  att + ((size_t)b * H + h) * T * T, qkv + off, qkv + off + D,
                                  qkv + off + 2 * D, T, hs, s3, D, scale);
            }
        free(ds);
    }
}

void mm_gk_attention_bwd_ref(float *dqkv, const float *dout, const float *qkv, const float *att,
                             int B, int T, int D, int H) {
    int hs = D / H;
    size_t s3 = (size_t)3 * D;
    double scale = 1.0 / sqrt((double)hs);
    memset(dqkv, 0, (size_t)B * T * s3 * sizeof *dqkv);
    double *dp = malloc((size_t)T * sizeof *dp);
    if (!dp) return;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++) {
                const float *p = att + (((size_t)b * H + h) * T + t) * T;
                const float *dy = dout + ((size_t)b * T + t) * D + (size_t)h * hs;
                size_t qo = ((size_t)b * T + t) * s3 + (size_t)h * hs;
                double dot = 0;
                for (int j = 0; j <= t; j++) {
                    size_t jo = ((size_t)b * T + j) * s3 + (size_t)h * hs;
                    double s = 0;
                    for (int i = 0; i < hs; i++) {
                        s += (double)dy[i] * qkv[jo + 2 * D + i];
                        dqkv[jo + 2 * D + i] += (float)(p[j] * dy[i]);
                    }
                    dp[j] = s;
                    dot += p[j] * s;
                }
                for (int j = 0; j <= t; j++) {
                    size_t jo = ((size_t)b * T + j) * s3 + (size_t)h * hs;
                    double ds = p[j] * (dp[j] - dot) * scale;
                    for (int i = 0; i < hs; i++) {
                        dqkv[qo + i] += (float)(ds * qkv[jo + D + i]);
                        dqkv[jo + D + i] += (float)(ds * qkv[qo + i]);
                    }
                }
            }
    free(dp);
}

void mm_gk_attention_step(float *out, const float *qkv, const float *kc, const float *vc, int B,
                          int pos, int cap, int D, int H) {
    int hs = D / H;
    float scale = 1.0f / sqrtf((float)hs);
#pragma omp parallel if (BIG_ELEMS((size_t)B * (pos + 1) * D))
    {
        float *p = malloc((size_t)(pos + 1) * sizeof *p); /* [pos+1] scratch */
#pragma omp for collapse(2) schedule(static)
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++) {
                size_t c = (size_t)b * cap * D + (size_t)h * hs;
                if (p)
                    attn_row_fwd(out + (size_t)b * D + (size_t)h * hs, p,
                                 qkv + (size_t)b * 3 * D + (size_t)h * hs, kc + c, vc + c, pos, hs,
                                 (size_t)D, scale);
            }
        free(p);
    }
}

/* ---- cross-entropy ----------------------------------------------------------------------- */

MM_HOT static double ce_row(float *dl, const float *l, int target, int V, float scale) {
    float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
    for (int i = 0; i < V; i++)
        mx = l[i] > mx ? l[i] : mx;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < V; i++) {
        dl[i] = exp_fast(l[i] - mx);
        sum += dl[i];
    }
    float inv = scale / sum;
#pragma omp simd
    for (int i = 0; i < V; i++)
        dl[i] *= inv;
    dl[target] -= scale;
    return (double)logf(sum) + mx - l[target];
}

double mm_gk_crossentropy(float *dlogits, const float *logits, const int *targets, int N, int V,
                          int *count) {
    int cnt = 0;
    for (int n = 0; n < N; n++)
        cnt += targets[n] >= 0;
    *count = cnt;
    float scale = cnt ? 1.0f / cnt : 0.0f;
    double loss = 0;
#pragma omp parallel for reduction(+ : loss) schedule(static) if (BIG_ELEMS((size_t)N * V))
    for (int n = 0; n < N; n++) {
        float *dl = dlogits + (size_t)n * V;
        if (targets[n] < 0) {
            memset(dl, 0, (size_t)V * sizeof *dl);
            continue;
        }
        loss += ce_row(dl, logits + (size_t)n * V, targets[n], V, scale);
    }
    return cnt ? loss / cnt : 0.0;
}

/* ---- elementwise ------------------------------------------------------------------------- */

void mm_gk_add(float *a, const float *b, size_t n) {
#pragma omp parallel for simd schedule(static) if (BIG_ELEMS(n))
    for (size_t i = 0; i < n; i++)
        a[i] += b[i];
}

void mm_gk_add3(float *out, const float *a, const float *b, size_t n) {
#pragma omp parallel for simd schedule(static) if (BIG_ELEMS(n))
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

double mm_gk_row_logsumexp(const float *z, int V) {
    float mx = z[0];
    for (int v = 1; v < V; v++)
        mx = z[v] > mx ? z[v] : mx;
    double s = 0;
    for (int v = 0; v < V; v++)
        s += exp((double)z[v] - mx);
    return mx + log(s);
}
