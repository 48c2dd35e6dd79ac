/* tests/unit/test_grpo.c — GRPO's arithmetic: known advantages, and the loss and its gradient
 * with respect to the logits against a PyTorch implementation of the same formula
 * (tests/py/grpo_reference.py, run with /usr/bin/python3), for outcome and process
 * supervision, sample- and token-mean, with and without std normalisation. */
#include "rl/grpo.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/json.h"
#include "tests/unit/test.h"
#include "tests/unit/test_io.h"

TEST(outcome_advantages) {
    float r[4] = {1, 0, 0, 0}, a[4];
    mm_grpo_outcome_advantages(r, 4, 1, a);
    /* mean 0.25, sample std 0.5 */
    CHECK_NEAR(a[0], 0.75 / 0.5001, 1e-6);
    CHECK_NEAR(a[1], -0.25 / 0.5001, 1e-6);
    mm_grpo_outcome_advantages(r, 4, 0, a);
    CHECK_NEAR(a[0], 0.75, 1e-7);
    CHECK_NEAR(a[3], -0.25, 1e-7);
    float eq[5] = {1, 1, 1, 1, 1}, z[5];
    mm_grpo_outcome_advantages(eq, 5, 1, z);
    for (int i = 0; i < 5; i++)
        CHECK_NEAR(z[i], 0, 0);
    float zero[3] = {0, 0, 0};
    mm_grpo_outcome_advantages(zero, 3, 1, z);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(z[i], 0, 0);
    float one[1] = {1};
    mm_grpo_outcome_advantages(one, 1, 1, z);
    CHECK_NEAR(z[0], 0, 0);
}

TEST(process_advantages) {
    /* output 0: steps ending at 2 and 5 with rewards 1, 0; output 1: one step (0) to 3 */
    int e0[2] = {2, 5}, e1[1] = {3}, len[2] = {5, 4};
    float r0[2] = {1, 0}, r1[1] = {0};
    mm_grpo_steps st[2] = {{2, e0, r0}, {1, e1, r1}};
    float a0[5], a1[4];
    float *adv[2] = {a0, a1};
    mm_grpo_process_advantages(2, st, len, 0, adv);
    /* mean of {1,0,0} = 1/3: normalised 2/3, -1/3, -1/3 */
    CHECK_NEAR(a0[0], 1.0 / 3, 1e-6); /* 2/3 - 1/3 */
    CHECK_NEAR(a0[1], 1.0 / 3, 1e-6);
    CHECK_NEAR(a0[2], -1.0 / 3, 1e-6);
    CHECK_NEAR(a0[4], -1.0 / 3, 1e-6);
    CHECK_NEAR(a1[0], -1.0 / 3, 1e-6);
    CHECK_NEAR(a1[2], -1.0 / 3, 1e-6);
    CHECK_NEAR(a1[3], 0, 0); /* past the last step */
    /* equal step rewards give zero everywhere */
    float q0[2] = {1, 1}, q1[1] = {1};
    mm_grpo_steps eqs[2] = {{2, e0, q0}, {1, e1, q1}};
    mm_grpo_process_advantages(2, eqs, len, 1, adv);
    for (int t = 0; t < 5; t++)
        CHECK_NEAR(a0[t], 0, 0);
    for (int t = 0; t < 4; t++)
        CHECK_NEAR(a1[t], 0, 0);
}

/* ---- parity with PyTorch ---- */

typedef struct cfg {
    const char *name;
    int process, token_mean, std_norm, on_policy;
    float beta, clip;
} cfg;

/* phase 0: write the inputs for the reference; phase 1: compare with what it wrote.  The C side
 * is recomputed in both phases (cheap and deterministic), so one Python start serves all. */
static void run_parity(const cfg *c, int phase) {
    enum { G = 4, NG = 2, B = G * NG, T = 14, V = 37, MAXS = 4 };
    static float logits[B * T * V], dlog[B * T * V], dref[B * T * V];
    static float mask[B * T], old[B * T], ref[B * T], adv[B * T], advref[B * T];
    int32_t targets[B * T];
    int start[B], len[B], nsteps[B], ends[B][MAXS];
    float rewards[B], srew[B][MAXS];
    mm_rng rng;
    mm_rng_seed(&rng, 1234 + (uint64_t)c->process * 7 + (uint64_t)c->token_mean * 3);
    if (phase) printf("  seed %d\n", 1234 + c->process * 7 + c->token_mean * 3);
    for (int i = 0; i < B * T * V; i++)
        logits[i] = (float)(mm_rng_uniform(&rng) * 6 - 3);
    for (int b = 0; b < B; b++) {
        start[b] = 2 + (int)(mm_rng_next(&rng) % 3);
        len[b] = 1 + (int)(mm_rng_next(&rng) % (unsigned)(T - start[b]));
        rewards[b] = (float)(mm_rng_next(&rng) % 2);
        nsteps[b] = 1 + (int)(mm_rng_next(&rng) % MAXS);
        if (nsteps[b] > len[b]) nsteps[b] = len[b];
        /* increasing ends, the last one at len */
        for (int j = 0; j < nsteps[b]; j++) {
            ends[b][j] = j == nsteps[b] - 1 ? len[b] : (j + 1) * len[b] / nsteps[b];
            srew[b][j] = (float)(mm_rng_next(&rng) % 2);
        }
        for (int t = 0; t < T; t++) {
            int r = b * T + t;
            mask[r] = t >= start[b] && t < start[b] + len[b];
            targets[r] = mask[r] ? (int32_t)(mm_rng_next(&rng) % V) : -1;
        }
    }
    /* group 1 of the outcome case: all equal rewards (no signal) */
    if (!c->process) {
        for (int i = G; i < 2 * G; i++)
            rewards[i] = 1;
        rewards[0] = 1, rewards[1] = 0; /* group 0 has signal */
    }
    float logp[B * T];
    mm_grpo_token_logp(logits, targets, B, T, V, logp);
    for (int r = 0; r < B * T; r++) { /* ratios spread across the clip range */
        old[r] = logp[r] + (float)(mm_rng_uniform(&rng) * 0.8 - 0.4);
        ref[r] = logp[r] + (float)(mm_rng_uniform(&rng) * 1.0 - 0.5);
    }
    /* advantages in C */
    memset(adv, 0, sizeof adv);
    for (int g = 0; g < NG; g++) {
        if (!c->process) {
            float a[G];
            mm_grpo_outcome_advantages(rewards + g * G, G, c->std_norm, a);
            for (int i = 0; i < G; i++)
                for (int t = 0; t < len[g * G + i]; t++)
                    adv[(g * G + i) * T + start[g * G + i] + t] = a[i];
        } else {
            mm_grpo_steps st[G];
            float *rows[G];
            for (int i = 0; i < G; i++) {
                int b = g * G + i;
                st[i] = (mm_grpo_steps){nsteps[b], ends[b], srew[b]};
                rows[i] = adv + b * T + start[b];
            }
            mm_grpo_process_advantages(G, st, len + g * G, c->std_norm, rows);
        }
    }
    mm_grpo_loss_in in = {B,   T, V, logits, targets, mask, adv, c->on_policy ? NULL : old,
                          ref, 0, 0};
    mm_grpo_loss_opts o = {c->clip, c->beta, c->token_mean, 0};
    mm_grpo_loss_stats st;
    CHECK(mm_grpo_loss(&in, &o, dlog, &st) == MM_OK);
    /* the reference */
    char dir[512], cmd[2048];
    snprintf(dir, sizeof dir, "%s/mm-grpo-parity-%d-%s", test_tmpdir(), (int)getpid(), c->name);
    if (phase == 1) goto compare;
    mkdir(dir, 0755);
    mm_buf meta = {0};
    mm_jw w;
    mm_jw_init(&w, &meta);
    mm_jw_obj_begin(&w);
#define KI(k, v) (mm_jw_key(&w, k), mm_jw_int(&w, v))
    KI("B", B), KI("T", T), KI("V", V), KI("G", G), KI("token_mean", c->token_mean);
    KI("std_norm", c->std_norm), KI("on_policy", c->on_policy);
    mm_jw_key(&w, "clip"), mm_jw_double(&w, c->clip);
    mm_jw_key(&w, "beta"), mm_jw_double(&w, c->beta);
    mm_jw_key(&w, "supervision"), mm_jw_string(&w, c->process ? "process" : "outcome");
    mm_jw_key(&w, "start"), mm_jw_arr_begin(&w);
    for (int b = 0; b < B; b++)
        mm_jw_int(&w, start[b]);
    mm_jw_arr_end(&w), mm_jw_key(&w, "len"), mm_jw_arr_begin(&w);
    for (int b = 0; b < B; b++)
        mm_jw_int(&w, len[b]);
    mm_jw_arr_end(&w), mm_jw_key(&w, "rewards"), mm_jw_arr_begin(&w);
    for (int b = 0; b < B; b++)
        mm_jw_double(&w, rewards[b]);
    mm_jw_arr_end(&w), mm_jw_key(&w, "steps"), mm_jw_arr_begin(&w);
    for (int b = 0; b < B; b++) {
        mm_jw_arr_begin(&w);
        for (int j = 0; j < nsteps[b]; j++) {
            mm_jw_arr_begin(&w), mm_jw_int(&w, ends[b][j]), mm_jw_double(&w, srew[b][j]);
            mm_jw_arr_end(&w);
        }
        mm_jw_arr_end(&w);
    }
    mm_jw_arr_end(&w), mm_jw_obj_end(&w);
#undef KI
    CHECK(test_write_raw(dir, "meta.json", meta.data, meta.len) == 0);
    mm_buf_free(&meta);
    CHECK(test_write_raw(dir, "logits.f32", logits, sizeof logits) == 0);
    CHECK(test_write_raw(dir, "targets.i32", targets, sizeof targets) == 0);
    CHECK(test_write_raw(dir, "mask.f32", mask, sizeof mask) == 0);
    CHECK(test_write_raw(dir, "old.f32", old, sizeof old) == 0);
    CHECK(test_write_raw(dir, "ref.f32", ref, sizeof ref) == 0);
    return;
compare:;
    mm_buf lj = {0};
    char lp[1024];
    snprintf(lp, sizeof lp, "%s/loss.json", dir);
    double ref_loss = NAN;
    if (mm_read_file(lp, &lj) == MM_OK) {
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse(lj.data, lj.len, &doc, &root) == MM_OK) {
            ref_loss = mm_json_get_num(root, "loss", NAN);
            mm_json_doc_free(doc);
        }
    }
    mm_buf_free(&lj);
    CHECK(test_read_raw(dir, "adv.f32", advref, sizeof advref) == 0);
    CHECK(test_read_raw(dir, "dlogits.f32", dref, sizeof dref) == 0);
    double amax = 0, gmax = 0, gref = 0, grel = 0;
    for (int r = 0; r < B * T; r++)
        amax = fmax(amax, fabs(adv[r] - advref[r]));
    for (int i = 0; i < B * T * V; i++)
        gref = fmax(gref, fabs(dref[i]));
    for (int i = 0; i < B * T * V; i++) {
        double d = fabs(dlog[i] - dref[i]);
        gmax = fmax(gmax, d);
        if (fabs(dref[i]) > 1e-2 * gref) grel = fmax(grel, d / fabs(dref[i]));
    }
    double lrel = fabs(st.loss - ref_loss) / fmax(fabs(ref_loss), 1e-12);
    printf("  %s: loss C %.8f torch %.8f (rel %.2e); max |dA| %.2e; dlogits max |d| %.2e "
           "(max |g| %.2e, max rel %.2e); clipped %.0f/%.0f tokens\n",
           c->name, st.loss, ref_loss, lrel, amax, gmax, gref, grel, st.clipped, st.tokens);
    CHECK(lrel <= 1e-4);
    CHECK(amax <= 1e-4);
    CHECK(gmax <= 1e-4 * gref);
    CHECK(grel <= 1e-4);
    CHECK(st.clipped > 0 || c->on_policy);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("  could not remove %s\n", dir);
}

static const cfg cases[] = {
    {"outcome", 0, 0, 1, 0, 0.04f, 0.2f},
    {"process", 1, 0, 1, 0, 0.04f, 0.2f},
    {"dr_grpo", 0, 1, 0, 0, 0.1f, 0.2f},
    {"on_policy", 1, 1, 1, 1, 0.04f, 0.2f},
};

/* Write every case's inputs and run the PyTorch reference once over all of them. */
TEST(parity_reference_runs) {
    char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/py/grpo_reference.py", test_src());
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        run_parity(&cases[i], 0);
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " %s/mm-grpo-parity-%d-%s", test_tmpdir(),
                      (int)getpid(), cases[i].name);
    }
    CHECK_EQ_INT(system(cmd), 0);
}
TEST(parity_outcome) {
    run_parity(&cases[0], 1);
}
TEST(parity_process) {
    run_parity(&cases[1], 1);
}
TEST(parity_dr_grpo) {
    run_parity(&cases[2], 1);
}
TEST(parity_on_policy_process_token_mean) {
    run_parity(&cases[3], 1);
}

TEST(loss_edge_cases) {
    float logits[6] = {0, 1, 2, 0, 0, 0}, mask[2] = {0, 0}, adv[2] = {1, 1}, d[6];
    int32_t tg[2] = {1, 2};
    mm_grpo_loss_in in = {1, 2, 3, logits, tg, mask, adv, NULL, NULL, 0, 0};
    mm_grpo_loss_opts o = {0.2f, 0, 0, 0};
    mm_grpo_loss_stats st;
    CHECK(mm_grpo_loss(&in, &o, d, &st) == MM_OK);
    CHECK_NEAR(st.loss, 0, 0);
    { /* clip-higher: ratio 1.25 with A > 0 is clipped at ε = 0.2, not at ε_high = 0.28 */
        float lg[3] = {0, 1, 2}, m1 = 1, a1 = 1, old, dd[3];
        int32_t t1 = 1;
        mm_grpo_token_logp(lg, &t1, 1, 1, 3, &old);
        old -= logf(1.25f);
        mm_grpo_loss_in one = {1, 1, 3, lg, &t1, &m1, &a1, &old, NULL, 0, 0};
        mm_grpo_loss_opts c = {0.2f, 0, 0, 0};
        CHECK(mm_grpo_loss(&one, &c, dd, &st) == MM_OK);
        CHECK_NEAR(st.clipped, 1, 0);
        CHECK_NEAR(dd[1], 0, 0); /* no gradient through the clipped term */
        c.clip_high = 0.28f;
        CHECK(mm_grpo_loss(&one, &c, dd, &st) == MM_OK);
        CHECK_NEAR(st.clipped, 0, 0);
        CHECK(dd[1] < 0); /* dL/dz of the target: pushed up */
    }
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(d[i], 0, 0);
    o.beta = 0.04f; /* beta without reference log-probs is a caller error */
    CHECK(mm_grpo_loss(&in, &o, d, &st) == MM_ERR_ARG);
    /* byte codec round trip */
    const mm_grpo_codec *c = mm_grpo_codec_bytes();
    int32_t tok[16];
    CHECK_EQ_INT(c->encode(c->ud, "ab\n", 3, tok, 16), 3);
    mm_buf b = {0};
    for (int i = 0; i < 3; i++)
        c->decode(c->ud, tok[i], &b);
    c->decode(c->ud, c->eos, &b);
    CHECK_STR(b.data, "ab\n");
    mm_buf_free(&b);
}

/* End to end through the model: updates with the GRPO loss raise the log-probability of the
 * outputs with positive advantage and lower it for negative ones. */
TEST(update_direction) {
    enum { B = 4, T = 6, V = 11 };
    mm_gpt_config cfg = {V, 8, 1, 2, 8};
    mm_gpt *m;
    CHECK(mm_gpt_create(&cfg, 3, &m) == MM_OK);
    if (!m) return;
    int32_t tok[B * T], tgt[B * T];
    float mask[B * T], adv[B * T], ref[B * T], before[B * T], after[B * T];
    static float dlog[B * T * V];
    mm_rng rng;
    mm_rng_seed(&rng, 5);
    for (int r = 0; r < B * T; r++) {
        tok[r] = (int32_t)(mm_rng_next(&rng) % V);
        mask[r] = r % T >= 2 && r % T < T - 1;
        adv[r] = (r / T) % 2 ? -1.0f : 1.0f;
    }
    for (int r = 0; r < B * T; r++)
        tgt[r] = r % T < T - 1 ? tok[r + 1] : -1;
    const float *logits;
    CHECK(mm_gpt_forward(m, tok, B, T, &logits) == MM_OK);
    mm_grpo_token_logp(logits, tgt, B, T, V, before);
    memcpy(ref, before, sizeof ref);
    mm_grpo_loss_opts o = {0.2f, 0.04f, 0, 0};
    mm_adamw_opts ao = {1e-2f, 0.9f, 0.95f, 1e-8f, 0};
    for (int it = 0; it < 10; it++) {
        CHECK(mm_gpt_forward(m, tok, B, T, &logits) == MM_OK);
        mm_grpo_loss_in in = {B, T, V, logits, tgt, mask, adv, NULL, ref, 0, 0};
        mm_grpo_loss_stats st;
        CHECK(mm_grpo_loss(&in, &o, dlog, &st) == MM_OK);
        mm_gpt_zero_grad(m);
        CHECK(mm_gpt_backward(m, dlog) == MM_OK);
        CHECK(mm_gpt_adamw_step(m, &ao) == MM_OK);
    }
    CHECK(mm_gpt_forward(m, tok, B, T, &logits) == MM_OK);
    mm_grpo_token_logp(logits, tgt, B, T, V, after);
    double up = 0, down = 0;
    for (int r = 0; r < B * T; r++) {
        if (!mask[r]) continue;
        if (adv[r] > 0)
            up += after[r] - before[r];
        else
            down += after[r] - before[r];
    }
    printf("  log-prob change: positive advantage %+.4f, negative %+.4f\n", up, down);
    CHECK(up > 0);
    CHECK(down < 0);
    mm_gpt_free(m);
}

int main(void) {
    test_prog_ = "test_grpo";
    RUN(outcome_advantages);
    RUN(process_advantages);
    RUN(parity_reference_runs);
    RUN(parity_outcome);
    RUN(parity_process);
    RUN(parity_dr_grpo);
    RUN(parity_on_policy_process_token_mean);
    RUN(loss_edge_cases);
    RUN(update_direction);
    return test_summary();
}
