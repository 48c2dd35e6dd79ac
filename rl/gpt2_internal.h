/* rl/gpt2_internal.h — internal: the mm_gpt struct shared by gpt2.c and gpt2_generate.c. */
#ifndef MM_GPT2_INTERNAL_H
#define MM_GPT2_INTERNAL_H

#include "rl/gpt2.h"

/* Tensors per transformer block, in Hugging Face order. */
enum {
    GP_LN1W,
    GP_LN1B,
    GP_QKVW,
    GP_QKVB,
    GP_ATTPW,
    GP_ATTPB,
    GP_LN2W,
    GP_LN2B,
    GP_FCW,
    GP_FCB,
    GP_FCPW,
    GP_FCPB,
    GP_NLAYER
};

/* Pointers into the flat parameter (or gradient) array for one block; D = dim. */
typedef struct gpt_block {
    float *ln1w, *ln1b;   /* [D], [D] */
    float *qkvw, *qkvb;   /* [D, 3D], [3D] */
    float *attpw, *attpb; /* [D, D], [D] */
    float *ln2w, *ln2b;   /* [D], [D] */
    float *fcw, *fcb;     /* [D, 4D], [4D] */
    float *fcpw, *fcpb;   /* [4D, D], [D] */
} gpt_block;

typedef struct gpt_weights {
    float *wte;         /* [V, D] */
    float *wpe;         /* [ctx, D] */
    gpt_block *h;       /* [layers] */
    float *lnfw, *lnfb; /* [D], [D] */
} gpt_weights;

/* Activations kept by the forward pass for backward, for one (B, T); N = B*T. */
typedef struct gpt_acts {
    float *encoded;             /* [N, D] token + position embedding (input of block 0) */
    float *ln1;                 /* [L, N, D] */
    float *ln1_mean, *ln1_rstd; /* [L, N] */
    float *qkv;                 /* [L, N, 3D] */
    float *att;                 /* [L, B, H, T, T] softmax probabilities */
    float *atty;                /* [L, N, D] attention output before c_proj */
    float *res2;                /* [L, N, D] residual after attention */
    float *ln2;                 /* [L, N, D] */
    float *ln2_mean, *ln2_rstd; /* [L, N] */
    float *fch;                 /* [L, N, 4D] c_fc output (before GELU) */
    float *fch_gelu;            /* [L, N, 4D] */
    float *res3;                /* [L, N, D] residual after the MLP (input of block l+1) */
    float *lnf;                 /* [N, D] */
    float *lnf_mean, *lnf_rstd; /* [N] */
    float *logits;              /* [N, V] */
    float *dlogits;             /* [N, V] */
    /* backward scratch */
    float *dres;  /* [N, D] gradient of the residual stream */
    float *dln;   /* [N, D] */
    float *datty; /* [N, D] */
    float *dqkv;  /* [N, 3D] */
    float *dfch;  /* [N, 4D] */
    float *dfchg; /* [N, 4D] */
} gpt_acts;

enum { GPT_MAX_TENSORS_FIXED = 4 }; /* wte, wpe, ln_f.weight, ln_f.bias */

struct mm_gpt {
    mm_gpt_config cfg;
    size_t nparams;
    float *params, *grads; /* [nparams] each, tensors in mm_gpt_tensor_at order */
    float *m, *v;          /* [nparams] AdamW moments (allocated on the first step) */
    long long step;        /* AdamW steps taken */
    gpt_weights w, g;      /* views into params and grads */
    mm_gpt_tensor *tensors;
    size_t ntensors;
    char *names; /* storage for tensor names */
    /* activations */
    int B, T;
    int *tokens; /* [B, T] tokens of the last forward */
    float *actmem;
    size_t actcap; /* floats allocated in actmem */
    gpt_acts a;
    int have_forward;
    /* data-parallel backward: private gradient arrays of threads 1..npriv */
    float **priv;       /* [npriv][nparams] */
    gpt_weights *gpriv; /* views into priv */
    int npriv;
};

/* Checkpoint helpers shared with the pretrainer (gpt2.c). */
/* model.safetensors + config.json (with bos/eos_token_id = eos when eos >= 0) */
mm_err mm_gpt_write_files(const mm_gpt *m, const char *dir, int eos);
mm_err mm_gpt_tmpdir(const char *dir, char *tmp, size_t cap); /* fresh "<dir>.tmp.<pid>" */
mm_err mm_gpt_replace_dir(const char *tmp, const char *dir);  /* rename tmp over dir */
void mm_gpt_rmtree(const char *dir);

#endif
