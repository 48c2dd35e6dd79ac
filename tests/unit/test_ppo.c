/* tests/unit/test_ppo.c — the arithmetic of PPO, DPO and the scalar value head against PyTorch
 * (tests/py/rl_reference.py, one /usr/bin/python3 start for every case): per-token KL rewards,
 * GAE with γ and λ, whitening, the clipped policy loss (GRPO's, fed GAE advantages) and the
 * clipped value loss with their gradients; the DPO loss, its dlogits and gradient coefficient
 * (the paper's length-normalised form and the original sum); the value head's values,
 * gradients through the backbone (together with the LM head's) and AdamW steps.  Plus known
 * GAE values and AUC by hand. */
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/json.h"
#include "rl/dpo.h"
#include "rl/gpt2.h"
#include "rl/grpo.h"
#include "rl/ppo.h"
#include "rl/reward_model.h"
#include "rl/safetensors.h"
#include "rl/value.h"
#include "tests/unit/test.h"
#include "tests/unit/test_io.h"

TEST(gae_by_hand) {
    float r[3] = {0, 0, 1}, v[3] = {0.5f, 0.25f, 0.75f}, a[3], R[3];
    /* λ = 1, γ = 1: A_t = Σ_{j≥t} r_j − V_t (Monte Carlo); R_t = 1 */
    mm_ppo_gae(3, r, v, 1, 1, a, R);
    CHECK_NEAR(a[0], 0.5, 1e-7);
    CHECK_NEAR(a[1], 0.75, 1e-7);
    CHECK_NEAR(a[2], 0.25, 1e-7);
    for (int t = 0; t < 3; t++)
        CHECK_NEAR(R[t], 1, 1e-7);
    /* λ = 0: A_t = δ_t = r_t + γ V_{t+1} − V_t */
    mm_ppo_gae(3, r, v, 0.9f, 0, a, R);
    CHECK_NEAR(a[0], 0.9 * 0.25 - 0.5, 1e-7);
    CHECK_NEAR(a[1], 0.9 * 0.75 - 0.25, 1e-7);
    CHECK_NEAR(a[2], 1 - 0.75, 1e-7);
    /* rewards: the KL penalty at every token, the score added at the last */
    float old[3] = {-1, -2, -0.5f}, ref[3] = {-1.5f, -2, 0}, rw[3];
    mm_ppo_rewards(3, old, ref, 0.1f, 2, rw);
    CHECK_NEAR(rw[0], -0.05, 1e-7);
    CHECK_NEAR(rw[1], 0, 0);
    CHECK_NEAR(rw[2], 2 + 0.05, 1e-6);
    /* whitening: mean 0, population sd 1 over the masked positions only */
    float x[4] = {1, 2, 3, 100}, m[4] = {1, 1, 1, 0};
    mm_ppo_whiten(x, m, 4);
    CHECK_NEAR(x[0] + x[1] + x[2], 0, 1e-6);
    CHECK_NEAR(x[0] * x[0] + x[1] * x[1] + x[2] * x[2], 3, 1e-5);
    CHECK_NEAR(x[3], 100, 0);
}

TEST(auc_by_hand) {
    float s[6] = {0.9f, 0.8f, 0.7f, 0.7f, 0.2f, 0.1f};
    int y[6] = {1, 1, 0, 1, 0, 0};
    /* pairs (pos, neg): 9; pos 0.9 and 0.8 beat all 3 negatives (6), 0.7 ties one (0.5) and
     * beats two (2): 8.5 / 9 */
    CHECK_NEAR(mm_rm_auc(s, y, 6), 8.5 / 9, 1e-12);
    int same[3] = {1, 1, 1};
    CHECK(isnan(mm_rm_auc(s, same, 3)));
    float flat[4] = {1, 1, 1, 1};
    int y4[4] = {1, 0, 1, 0};
    CHECK_NEAR(mm_rm_auc(flat, y4, 4), 0.5, 1e-12);
}

TEST(value_loss_by_hand) {
    /* one position, V = 1, V_old = 0, R = 2, ε_v = 0.2: unclipped (1-2)² = 1, clipped
     * (0.2-2)² = 3.24 is larger and active, so the gradient is 0 (V outside the trust region) */
    float v = 1, vo = 0, R = 2, mk = 1, dv;
    mm_ppo_value_in in = {1, 1, &v, &vo, &R, &mk, 0, 0};
    mm_ppo_value_opts o = {0.2f, 1, 0};
    mm_ppo_value_stats st;
    CHECK(mm_ppo_value_loss(&in, &o, &dv, &st) == MM_OK);
    CHECK_NEAR(st.loss, 0.5 * 3.24, 1e-6);
    CHECK_NEAR(dv, 0, 0);
    CHECK_NEAR(st.clipped, 1, 0);
    o.clip = 0; /* no clipping: 1/2 (V - R)², dV = V - R */
    CHECK(mm_ppo_value_loss(&in, &o, &dv, &st) == MM_OK);
    CHECK_NEAR(st.loss, 0.5, 1e-7);
    CHECK_NEAR(dv, -1, 1e-7);
}

/* ---- parity with PyTorch ---- */

static double json_num(const char *dir, const char *file, const char *key) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    mm_buf b = {0};
    double x = NAN;
    if (mm_read_file(path, &b) == MM_OK) {
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse(b.data, b.len, &doc, &root) == MM_OK) {
            x = mm_json_get_num(root, key, NAN);
            mm_json_doc_free(doc);
        }
    }
    mm_buf_free(&b);
    return x;
}

static void case_dir(char *dir, size_t cap, const char *name) {
    snprintf(dir, cap, "%s/mm-ppo-parity-%d-%s", test_tmpdir(), (int)getpid(), name);
}

static void write_meta(const char *dir, mm_buf *meta) {
    mkdir(dir, 0755);
    CHECK(test_write_raw(dir, "meta.json", meta->data, meta->len) == 0);
    mm_buf_free(meta);
}

/* Largest |a - b| relative to max |b|, and the largest |a - b| / |b| over entries with |b| above
 * 1% of the largest. */
static void compare(const float *a, const float *b, size_t n, double *abs_rel, double *elem_rel) {
    double big = 0, worst = 0, er = 0;
    for (size_t i = 0; i < n; i++)
        big = fmax(big, fabs(b[i]));
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        worst = fmax(worst, d);
        if (fabs(b[i]) > 1e-2 * big) er = fmax(er, d / fabs(b[i]));
    }
    *abs_rel = worst / (big > 0 ? big : 1);
    *elem_rel = er;
}

/* PPO: logits, rollout log-probs, values and scores at random; C computes rewards, GAE,
 * (whitening), the policy loss (mm_grpo_loss with beta 0) and the value loss. */
typedef struct ppo_cfg {
    const char *name;
    int token_mean, whiten;
    float gamma, lam, beta, clip, vclip;
} ppo_cfg;

static void run_ppo(const ppo_cfg *c, int phase) {
    enum { B = 6, T = 12, V = 23 };
    static float logits[B * T * V], dlog[B * T * V], dref[B * T * V];
    float mask[B * T], old[B * T], ref[B * T], val[B * T], oval[B * T], adv[B * T], ret[B * T];
    float dval[B * T], advr[B * T], retr[B * T], dvalr[B * T], score[B], logp[B * T];
    int32_t tg[B * T];
    mm_rng rng;
    mm_rng_seed(&rng, 99 + (uint64_t)c->token_mean);
    for (int i = 0; i < B * T * V; i++)
        logits[i] = (float)(mm_rng_uniform(&rng) * 6 - 3);
    for (int b = 0; b < B; b++) {
        int start = 1 + (int)(mm_rng_next(&rng) % 3);
        int len = b == B - 1
                      ? 0
                      : 1 + (int)(mm_rng_next(&rng) % (unsigned)(T - start)); /* one empty row */
        score[b] = (float)(mm_rng_next(&rng) % 2);
        for (int t = 0; t < T; t++) {
            int r = b * T + t;
            mask[r] = t >= start && t < start + len;
            tg[r] = mask[r] ? (int32_t)(mm_rng_next(&rng) % V) : -1;
            oval[r] = (float)(mm_rng_uniform(&rng) * 2 - 0.5);
            val[r] = oval[r] + (float)(mm_rng_uniform(&rng) * 0.6 - 0.3); /* some beyond ε_v */
        }
    }
    mm_grpo_token_logp(logits, tg, B, T, V, logp);
    for (int r = 0; r < B * T; r++) {
        old[r] = mask[r] ? logp[r] + (float)(mm_rng_uniform(&rng) * 0.8 - 0.4) : 0;
        ref[r] = mask[r] ? logp[r] + (float)(mm_rng_uniform(&rng) * 1.0 - 0.5) : 0;
    }
    /* per output: rewards and GAE over its completion positions (contiguous here) */
    memset(adv, 0, sizeof adv), memset(ret, 0, sizeof ret);
    for (int b = 0; b < B; b++) {
        int s = 0, n = 0;
        while (s < T && !mask[b * T + s])
            s++;
        while (s + n < T && mask[b * T + s + n])
            n++;
        float rw[T];
        int o = b * T + s;
        mm_ppo_rewards(n, old + o, ref + o, c->beta, score[b], rw);
        mm_ppo_gae(n, rw, oval + o, c->gamma, c->lam, adv + o, ret + o);
    }
    memcpy(retr, ret, sizeof ret); /* returns before whitening */
    if (c->whiten) mm_ppo_whiten(adv, mask, B * T);
    mm_grpo_loss_in pin = {B, T, V, logits, tg, mask, adv, old, NULL, 0, 0};
    mm_grpo_loss_opts po = {c->clip, 0, c->token_mean, 0};
    mm_grpo_loss_stats pst;
    CHECK(mm_grpo_loss(&pin, &po, dlog, &pst) == MM_OK);
    mm_ppo_value_in vin = {B, T, val, oval, ret, mask, 0, 0};
    mm_ppo_value_opts vo = {c->vclip, 1, c->token_mean};
    mm_ppo_value_stats vst;
    CHECK(mm_ppo_value_loss(&vin, &vo, dval, &vst) == MM_OK);
    char dir[512];
    case_dir(dir, sizeof dir, c->name);
    if (phase == 0) {
        mm_buf meta = {0};
        mm_buf_printf(&meta,
                      "{\"kind\": \"ppo\", \"B\": %d, \"T\": %d, \"V\": %d, \"token_mean\": %d, "
                      "\"whiten\": %d, \"gamma\": %.9g, \"lam\": %.9g, \"beta\": %.9g, "
                      "\"clip\": %.9g, \"vclip\": %.9g, \"scores\": [",
                      B, T, V, c->token_mean, c->whiten, c->gamma, c->lam, c->beta, c->clip,
                      c->vclip);
        for (int b = 0; b < B; b++)
            mm_buf_printf(&meta, "%s%g", b ? ", " : "", score[b]);
        mm_buf_puts(&meta, "]}");
        write_meta(dir, &meta);
        CHECK(test_write_raw(dir, "logits.f32", logits, sizeof logits) == 0);
        CHECK(test_write_raw(dir, "targets.i32", tg, sizeof tg) == 0);
        CHECK(test_write_raw(dir, "mask.f32", mask, sizeof mask) == 0);
        CHECK(test_write_raw(dir, "old.f32", old, sizeof old) == 0);
        CHECK(test_write_raw(dir, "ref.f32", ref, sizeof ref) == 0);
        CHECK(test_write_raw(dir, "values.f32", val, sizeof val) == 0);
        CHECK(test_write_raw(dir, "old_values.f32", oval, sizeof oval) == 0);
        return;
    }
    CHECK(test_read_raw(dir, "adv.f32", advr, sizeof advr) == 0);
    float retp[B * T];
    CHECK(test_read_raw(dir, "ret.f32", retp, sizeof retp) == 0);
    CHECK(test_read_raw(dir, "dlogits.f32", dref, sizeof dref) == 0);
    CHECK(test_read_raw(dir, "dvalues.f32", dvalr, sizeof dvalr) == 0);
    double pl = json_num(dir, "loss.json", "policy"), vl = json_num(dir, "loss.json", "value");
    double a_adv, e_adv, a_ret, e_ret, a_dl, e_dl, a_dv, e_dv;
    compare(adv, advr, B * T, &a_adv, &e_adv);
    compare(retr, retp, B * T, &a_ret, &e_ret);
    compare(dlog, dref, B * T * V, &a_dl, &e_dl);
    compare(dval, dvalr, B * T, &a_dv, &e_dv);
    double prel = fabs(pst.loss - pl) / fmax(fabs(pl), 1e-12);
    double vrel = fabs(vst.loss - vl) / fmax(fabs(vl), 1e-12);
    printf("  %s: policy loss C %.8f torch %.8f (rel %.1e), value loss C %.8f torch %.8f (rel "
           "%.1e)\n    max rel diff: adv %.1e, returns %.1e, dlogits %.1e (elementwise %.1e), "
           "dvalues %.1e (elementwise %.1e); clipped: policy %.0f, value %.0f of %.0f\n",
           c->name, pst.loss, pl, prel, vst.loss, vl, vrel, a_adv, a_ret, a_dl, e_dl, a_dv, e_dv,
           pst.clipped, vst.clipped, vst.tokens);
    CHECK(prel <= 1e-4 && vrel <= 1e-4);
    CHECK(a_adv <= 1e-5 && a_ret <= 1e-5);
    CHECK(a_dl <= 1e-5 && e_dl <= 1e-4);
    CHECK(a_dv <= 1e-5 && e_dv <= 1e-4);
    CHECK(pst.clipped > 0 && vst.clipped > 0); /* both clipping branches were exercised */
}

/* DPO: random logits and reference log-probs for P pairs. */
typedef struct dpo_cfg {
    const char *name;
    int length_norm;
    float beta;
} dpo_cfg;

static void run_dpo(const dpo_cfg *c, int phase) {
    enum { P = 4, B = 2 * P, T = 10, V = 19 };
    static float logits[B * T * V], dlog[B * T * V], dref[B * T * V];
    float mask[B * T], ref[B * T], logp[B * T], coef[P], coefr[P];
    int32_t tg[B * T];
    mm_rng rng;
    mm_rng_seed(&rng, 7 + (uint64_t)c->length_norm);
    for (int i = 0; i < B * T * V; i++)
        logits[i] = (float)(mm_rng_uniform(&rng) * 4 - 2);
    for (int b = 0; b < B; b++) {
        int start = 1 + (int)(mm_rng_next(&rng) % 3);
        int len = 1 + (int)(mm_rng_next(&rng) % (unsigned)(T - start));
        for (int t = 0; t < T; t++) {
            int r = b * T + t;
            mask[r] = t >= start && t < start + len;
            tg[r] = mask[r] ? (int32_t)(mm_rng_next(&rng) % V) : -1;
        }
    }
    mm_grpo_token_logp(logits, tg, B, T, V, logp);
    for (int r = 0; r < B * T; r++)
        ref[r] = mask[r] ? logp[r] + (float)(mm_rng_uniform(&rng) * 1.6 - 0.8) : 0;
    mm_dpo_in in = {P, T, V, logits, tg, mask, ref, 0};
    mm_dpo_opts o = {c->beta, c->length_norm};
    mm_dpo_stats st;
    CHECK(mm_dpo_loss(&in, &o, dlog, coef, &st) == MM_OK);
    char dir[512];
    case_dir(dir, sizeof dir, c->name);
    if (phase == 0) {
        mm_buf meta = {0};
        mm_buf_printf(&meta,
                      "{\"kind\": \"dpo\", \"P\": %d, \"T\": %d, \"V\": %d, \"length_norm\": %d, "
                      "\"beta\": %.9g}",
                      P, T, V, c->length_norm, c->beta);
        write_meta(dir, &meta);
        CHECK(test_write_raw(dir, "logits.f32", logits, sizeof logits) == 0);
        CHECK(test_write_raw(dir, "targets.i32", tg, sizeof tg) == 0);
        CHECK(test_write_raw(dir, "mask.f32", mask, sizeof mask) == 0);
        CHECK(test_write_raw(dir, "ref.f32", ref, sizeof ref) == 0);
        return;
    }
    CHECK(test_read_raw(dir, "dlogits.f32", dref, sizeof dref) == 0);
    CHECK(test_read_raw(dir, "coef.f32", coefr, sizeof coefr) == 0);
    double l = json_num(dir, "loss.json", "loss");
    double a_dl, e_dl, a_c, e_c;
    compare(dlog, dref, B * T * V, &a_dl, &e_dl);
    compare(coef, coefr, P, &a_c, &e_c);
    double lrel = fabs(st.loss - l) / fmax(fabs(l), 1e-12);
    printf("  %s: loss C %.8f torch %.8f (rel %.1e); max rel diff: dlogits %.1e (elementwise "
           "%.1e), coefficient %.1e; pairs right %.0f/%d\n",
           c->name, st.loss, l, lrel, a_dl, e_dl, a_c, st.right, P);
    CHECK(lrel <= 1e-5);
    CHECK(a_dl <= 1e-5 && e_dl <= 1e-4);
    CHECK(e_c <= 1e-5);
    CHECK(st.right > 0 && st.right < P); /* both signs of the margin occur */
}

/* The value head: values and gradients of Σ c·V + cross-entropy (both heads into one
 * backbone), then AdamW steps on ½ mean (V − y)² with joint clipping. */
enum { VB = 4, VT = 9, VSTEPS = 3 };

static void snapshot(mm_value *vm, mm_st_entry *e, size_t *n, char names[][64], const char *prefix,
                     int grads) {
    mm_gpt *g = mm_value_gpt(vm);
    const mm_gpt_tensor *t;
    for (size_t i = 0; (t = mm_gpt_tensor_at(g, i)); i++) {
        snprintf(names[*n], 64, "%s%s", prefix, t->name);
        float *c = malloc(t->size * sizeof *c);
        memcpy(c, grads ? t->grad : t->data, t->size * sizeof *c);
        e[*n] = (mm_st_entry){names[*n], t->ndim, {t->shape[0], t->shape[1]}, c};
        (*n)++;
    }
    int D = mm_gpt_get_config(g)->dim;
    const float *h = grads ? mm_value_head_grad(vm) : mm_value_head(vm);
    float *w = malloc((size_t)D * sizeof *w), *b = malloc(sizeof *b);
    memcpy(w, h, (size_t)D * sizeof *w), *b = h[D];
    snprintf(names[*n], 64, "%sscore.weight", prefix);
    e[*n] = (mm_st_entry){names[*n], 2, {1, D}, w}, (*n)++;
    snprintf(names[*n], 64, "%sscore.bias", prefix);
    e[*n] = (mm_st_entry){names[*n], 1, {1}, b}, (*n)++;
}

/* dL/dlogits of the mean cross-entropy over the targets >= 0: (softmax − onehot) / count. */
static float *ce_dlogits(const float *logits, const int32_t *tgt, int N, int V) {
    float *d = malloc((size_t)N * V * sizeof *d);
    int cnt = 0;
    for (int i = 0; i < N; i++)
        cnt += tgt[i] >= 0;
    for (int i = 0; i < N; i++) {
        const float *z = logits + (size_t)i * V;
        float *dz = d + (size_t)i * V;
        double mx = z[0], s = 0;
        for (int v = 1; v < V; v++)
            mx = fmax(mx, z[v]);
        for (int v = 0; v < V; v++)
            s += exp(z[v] - mx);
        for (int v = 0; v < V; v++)
            dz[v] = tgt[i] < 0 ? 0 : (float)(exp(z[v] - mx) / s / cnt);
        if (tgt[i] >= 0) dz[tgt[i]] -= 1.0f / (float)cnt;
    }
    return d;
}

static void run_value(int phase) {
    char dir[512], ck[600], io[600];
    case_dir(dir, sizeof dir, "value");
    if (phase == 1) {
        const char *kinds[] = {"values", "grad", "adamw-loss", "adamw-param"};
        for (int k = 0; k < 4; k++) {
            double r = json_num(dir, "result.json", kinds[k]);
            printf("  value head: %-11s max rel diff %.2e\n", kinds[k], r);
            CHECK(r <= 1e-4); /* NAN (missing) fails too */
        }
        return;
    }
    mkdir(dir, 0755);
    snprintf(ck, sizeof ck, "%s/ckpt", dir);
    snprintf(io, sizeof io, "%s/io.safetensors", dir);
    mm_gpt_config cfg = {.vocab = 31, .ctx = 12, .layers = 2, .heads = 2, .dim = 16};
    mm_value *vm;
    CHECK_EQ_INT(mm_value_create(&cfg, 11, &vm), MM_OK);
    if (!vm) return;
    float *head = mm_value_head(vm);
    head[cfg.dim] = 0.3f; /* a bias off zero, and a head large enough to move the backbone */
    for (int i = 0; i < cfg.dim; i++)
        head[i] = 0.5f * sinf((float)i + 1);
    CHECK_EQ_INT(mm_value_save(vm, ck, -1, NULL, NULL), MM_OK);
    omp_set_num_threads(2); /* B = 4 on 2 threads: the data-parallel backward */
    int32_t tok[VB * VT], tgt[VB * VT];
    float ftok[VB * VT], ftgt[VB * VT], c[VB * VT], y[VB * VT], dv[VB * VT], losses[VSTEPS];
    mm_rng r;
    mm_rng_seed(&r, 5);
    for (int i = 0; i < VB * VT; i++) {
        tok[i] = (int32_t)(mm_rng_next(&r) % cfg.vocab);
        tgt[i] = i % 7 == 3 ? -1 : (int32_t)(mm_rng_next(&r) % cfg.vocab);
        ftok[i] = (float)tok[i], ftgt[i] = (float)tgt[i];
        c[i] = (float)(mm_rng_uniform(&r) * 2 - 1);
        y[i] = (float)(mm_rng_uniform(&r) * 2 - 1);
    }
    size_t ne = 0, cap = 2 * (4 + 12 * cfg.layers + 2) + 8;
    mm_st_entry *e = calloc(cap, sizeof *e);
    char(*names)[64] = calloc(cap, 64);
    const float *vals, *logits;
    float *vcopy = malloc(sizeof(float) * VB * VT);
    mm_value_zero_grad(vm);
    CHECK_EQ_INT(mm_value_forward(vm, tok, VB, VT, &vals, &logits), MM_OK);
    memcpy(vcopy, vals, sizeof(float) * VB * VT);
    float *dlm = ce_dlogits(logits, tgt, VB * VT, cfg.vocab);
    CHECK_EQ_INT(mm_value_backward(vm, c, dlm), MM_OK); /* both heads into one backbone */
    free(dlm);
    e[ne++] = (mm_st_entry){"values", 2, {VB, VT}, vcopy};
    snapshot(vm, e, &ne, names, "grad.", 1);
    mm_adamw_opts ao = {
        .lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-5f, .weight_decay = 0.1f};
    for (int s = 0; s < VSTEPS; s++) {
        mm_value_zero_grad(vm);
        CHECK_EQ_INT(mm_value_forward(vm, tok, VB, VT, &vals, NULL), MM_OK);
        double l = 0;
        for (int i = 0; i < VB * VT; i++) {
            l += 0.5 * (vals[i] - y[i]) * (vals[i] - y[i]) / (VB * VT);
            dv[i] = (vals[i] - y[i]) / (VB * VT);
        }
        losses[s] = (float)l;
        CHECK_EQ_INT(mm_value_backward(vm, dv, NULL), MM_OK);
        mm_value_clip_grad(vm, 0.5f); /* below the first norms: clipping is active */
        CHECK_EQ_INT(mm_value_adamw_step(vm, &ao), MM_OK);
    }
    snapshot(vm, e, &ne, names, "final.", 0);
    e[ne++] = (mm_st_entry){"tokens", 2, {VB, VT}, ftok};
    e[ne++] = (mm_st_entry){"targets", 2, {VB, VT}, ftgt};
    e[ne++] = (mm_st_entry){"c", 2, {VB, VT}, c};
    e[ne++] = (mm_st_entry){"y", 2, {VB, VT}, y};
    e[ne++] = (mm_st_entry){"losses", 1, {VSTEPS}, losses};
    const char *meta[] = {"steps", "3",    "lr",  "0.01", "weight_decay",
                          "0.1",   "clip", "0.5", "eps",  "1e-5"};
    CHECK_EQ_INT(mm_st_write(io, e, ne, meta, 5), MM_OK);
    /* a reload gives the same values (score.safetensors round trip) */
    mm_value *back;
    CHECK_EQ_INT(mm_value_load(ck, 99, &back), MM_OK);
    if (back) {
        CHECK_EQ_INT(mm_value_forward(back, tok, VB, VT, &vals, NULL), MM_OK);
        double d = 0;
        for (int i = 0; i < VB * VT; i++)
            d = fmax(d, fabs(vals[i] - vcopy[i]));
        if (d != 0) printf("  reloaded values differ by %g\n", d);
        CHECK(d == 0);
        mm_value_free(back);
    }
    for (size_t i = 0; i < ne; i++)
        if (e[i].data != ftok && e[i].data != ftgt && e[i].data != c && e[i].data != y &&
            e[i].data != losses)
            free((void *)e[i].data);
    free(e);
    free(names);
    mm_buf m = {0};
    mm_buf_puts(&m, "{\"kind\": \"value\"}");
    CHECK(test_write_raw(dir, "meta.json", m.data, m.len) == 0);
    mm_buf_free(&m);
    mm_value_free(vm);
}

static const ppo_cfg ppo_cases[] = {
    {"ppo_sample_mean", 0, 0, 1.0f, 0.95f, 0.05f, 0.2f, 0.2f},
    {"ppo_token_mean_whiten", 1, 1, 0.9f, 0.8f, 0.1f, 0.1f, 0.1f},
};
static const dpo_cfg dpo_cases[] = {
    {"dpo_paper", 1, 0.5f},
    {"dpo_sum", 0, 0.1f},
};

TEST(parity_reference_runs) {
    char cmd[8192], dir[512];
    int n = snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/py/rl_reference.py", test_src());
    const char *names[5] = {ppo_cases[0].name, ppo_cases[1].name, dpo_cases[0].name,
                            dpo_cases[1].name, "value"};
    run_ppo(&ppo_cases[0], 0), run_ppo(&ppo_cases[1], 0);
    run_dpo(&dpo_cases[0], 0), run_dpo(&dpo_cases[1], 0);
    run_value(0);
    for (int i = 0; i < 5; i++) {
        case_dir(dir, sizeof dir, names[i]);
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " %s", dir);
    }
    fflush(stdout);
    CHECK_EQ_INT(system(cmd), 0);
}
TEST(parity_ppo_sample_mean) {
    run_ppo(&ppo_cases[0], 1);
}
TEST(parity_ppo_token_mean_whiten) {
    run_ppo(&ppo_cases[1], 1);
}
TEST(parity_dpo_paper) {
    run_dpo(&dpo_cases[0], 1);
}
TEST(parity_dpo_sum) {
    run_dpo(&dpo_cases[1], 1);
}
TEST(parity_value_head) {
    run_value(1);
}

TEST(cleanup) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s/mm-ppo-parity-%d-*", test_tmpdir(), (int)getpid());
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void) {
    test_prog_ = "test_ppo";
    RUN(gae_by_hand);
    RUN(auc_by_hand);
    RUN(value_loss_by_hand);
    RUN(parity_reference_runs);
    RUN(parity_ppo_sample_mean);
    RUN(parity_ppo_token_mean_whiten);
    RUN(parity_dpo_paper);
    RUN(parity_dpo_sum);
    RUN(parity_value_head);
    RUN(cleanup);
    return test_summary();
}
