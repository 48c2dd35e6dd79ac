/* tests/unit/test_reward_model.c — the reward models' machinery on synthetic data (fast; the
 * models trained on real policy samples are tests/integration/rm_arith.sh and prm_arith.sh):
 * a score does not depend on the padding of its batch, training on a learnable label ranks
 * held-out positives above negatives, a saved model scores the same after loading, replay
 * keeps the stated share of distinct old sequences; a process reward model's step scores are
 * the scores of the prefixes and it learns step targets; the --reward syntax and the mixing
 * arithmetic, through to GRPO's process advantages. */
#include <omp.h>
#include <unistd.h>

#include "common/hash.h"
#include "rl/reward_model.h"
#include "tests/unit/test.h"

enum { V = 16 };

/* n random sequences of 4..10 tokens in 1..V-1; label 1 iff token 7 occurs (half of them,
 * by construction). */
static void synth(mm_rm_data *d, int n, uint64_t seed) {
    mm_rng r;
    mm_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int32_t t[10];
        int len = 4 + (int)(mm_rng_next(&r) % 7), y = i % 2;
        for (int k = 0; k < len; k++) {
            t[k] = 1 + (int32_t)(mm_rng_next(&r) % (V - 1));
            if (!y && t[k] == 7) t[k] = 8;
        }
        if (y) t[mm_rng_next(&r) % (uint64_t)len] = 7;
        CHECK_EQ_INT(mm_rm_data_add(d, t, len, 1, y), MM_OK);
    }
}

static mm_value *tiny(void) {
    mm_gpt_config cfg = {.vocab = V, .ctx = 12, .layers = 1, .heads = 2, .dim = 16};
    mm_value *v = NULL;
    CHECK_EQ_INT(mm_value_create(&cfg, 3, &v), MM_OK);
    return v;
}

TEST(score_ignores_padding) {
    mm_value *v = tiny();
    if (!v) return;
    mm_rm_data d = {0};
    synth(&d, 9, 1);
    float batched[9], alone;
    CHECK_EQ_INT(mm_rm_score(v, (const int32_t *const *)d.tokens, d.len, d.n, 4, batched), MM_OK);
    double worst = 0;
    for (int i = 0; i < d.n; i++) {
        CHECK_EQ_INT(mm_rm_score(v, (const int32_t *const *)d.tokens + i, d.len + i, 1, 1, &alone),
                     MM_OK);
        worst = fmax(worst, fabs(alone - batched[i]));
    }
    printf("  largest difference alone vs in a padded batch: %.2e\n", worst);
    CHECK(worst < 1e-5);
    mm_rm_data_free(&d);
    mm_value_free(v);
}

TEST(learns_a_label_and_reloads) {
    omp_set_num_threads(1);
    mm_value *v = tiny();
    if (!v) return;
    mm_rm_data train = {0}, test = {0};
    synth(&train, 512, 11);
    synth(&test, 200, 12); /* held out: other sequences */
    mm_rm_eval_result before, after;
    CHECK_EQ_INT(mm_rm_evaluate(v, &test, 64, &before), MM_OK);
    mm_rm_train_opts o;
    mm_rm_train_opts_default(&o);
    o.epochs = 8, o.lr = 3e-3f;
    CHECK_EQ_INT(mm_rm_train(v, &train, &o, NULL, NULL), MM_OK);
    CHECK_EQ_INT(mm_rm_evaluate(v, &test, 64, &after), MM_OK);
    printf("  held-out AUC %.3f -> %.3f, accuracy %.3f -> %.3f (majority %.3f), loss %.3f -> "
           "%.3f\n",
           before.auc, after.auc, before.accuracy, after.accuracy, after.majority, before.loss,
           after.loss);
    CHECK(after.auc > 0.9);
    CHECK(after.accuracy > after.majority + 0.2);
    CHECK(after.mean_pos > after.mean_neg);
    /* the checkpoint scores the same */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/mm-rm-%d", test_tmpdir(), (int)getpid());
    CHECK_EQ_INT(mm_value_save(v, dir, -1, NULL, NULL), MM_OK);
    mm_value *back = NULL;
    CHECK_EQ_INT(mm_value_load(dir, 5, &back), MM_OK);
    if (back) {
        mm_rm_eval_result again;
        CHECK_EQ_INT(mm_rm_evaluate(back, &test, 64, &again), MM_OK);
        CHECK_NEAR(again.auc, after.auc, 0);
        CHECK_NEAR(again.loss, after.loss, 1e-9);
        mm_value_free(back);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
    mm_rm_data_free(&train);
    mm_rm_data_free(&test);
    mm_value_free(v);
}

static int same_seq(const mm_rm_data *a, int i, const mm_rm_data *b, int j) {
    return a->len[i] == b->len[j] && a->label[i] == b->label[j] &&
           !memcmp(a->tokens[i], b->tokens[j], (size_t)a->len[i] * sizeof(int32_t));
}

TEST(replay_keeps_the_share) {
    mm_rm_data old = {0}, fresh = {0};
    synth(&old, 200, 21);
    synth(&fresh, 90, 22);
    CHECK_EQ_INT(mm_rm_data_replay(&old, 0.10, 7, &fresh), MM_OK);
    CHECK_EQ_INT(fresh.n, 90 + 20); /* 10% of 200 old sequences */
    int distinct = 1, found = 1;
    for (int i = 90; i < fresh.n; i++) {
        int hit = 0;
        for (int j = 0; j < old.n; j++)
            hit |= same_seq(&fresh, i, &old, j);
        found &= hit;
        for (int k = 90; k < i; k++)
            distinct &= !same_seq(&fresh, i, &fresh, k);
    }
    CHECK(found);    /* every replayed sequence is an old one */
    CHECK(distinct); /* drawn without replacement (synth makes no two alike here) */
    mm_rm_data again = {0};
    CHECK_EQ_INT(mm_rm_data_replay(&old, 0.10, 7, &again), MM_OK);
    int same = again.n == 20;
    for (int i = 0; i < again.n && same; i++)
        same = same_seq(&again, i, &fresh, 90 + i);
    CHECK(same); /* the seed decides */
    mm_rm_data none = {0};
    CHECK_EQ_INT(mm_rm_data_replay(&old, 0, 7, &none), MM_OK);
    CHECK_EQ_INT(none.n, 0);
    CHECK_EQ_INT(mm_rm_data_replay(&old, 1.0, 7, &none), MM_OK);
    CHECK_EQ_INT(none.n, old.n);
    mm_rm_data_free(&old), mm_rm_data_free(&fresh), mm_rm_data_free(&again);
    mm_rm_data_free(&none);
}

/* n sequences of 6..10 tokens in 1..V-1, split into steps of 2 tokens (the last step takes
 * the rest); a step's target is 1 until a 7 has appeared in the sequence so far (a wrong step
 * spoils what follows), and the outcome is the last step's target. */
static void synth_steps(mm_rm_data *d, int n, uint64_t seed) {
    mm_rng r;
    mm_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int32_t t[10];
        int len = 6 + (int)(mm_rng_next(&r) % 5), end[5], ns = 0;
        float y[5];
        for (int k = 0; k < len; k++)
            t[k] = 1 + (int32_t)(mm_rng_next(&r) % (V - 1));
        if (i % 2) /* half of them never see a 7 */
            for (int k = 0; k < len; k++)
                t[k] = t[k] == 7 ? 8 : t[k];
        int seen = 0;
        for (int k = 0; k < len; k++) {
            seen |= t[k] == 7;
            if ((k % 2 == 1 && k + 2 < len) || k == len - 1)
                end[ns] = k + 1, y[ns++] = (float)!seen;
        }
        CHECK_EQ_INT(mm_rm_data_add_steps(d, t, len, 1, y[ns - 1] > 0, ns, end, y), MM_OK);
    }
}

TEST(process_model_scores_prefixes_and_learns_steps) {
    omp_set_num_threads(1);
    mm_value *v = tiny();
    if (!v) return;
    mm_rm_data train = {0}, test = {0};
    synth_steps(&train, 512, 31);
    synth_steps(&test, 200, 32);
    /* the score at a step end is the score of the prefix that ends there (causal model) */
    float *sc[4], buf[4][5], pre;
    for (int i = 0; i < 4; i++)
        sc[i] = buf[i];
    CHECK_EQ_INT(mm_rm_score_steps(v, (const int32_t *const *)test.tokens, test.len, test.nsteps,
                                   (const int *const *)test.step_end, 4, 3, sc),
                 MM_OK);
    double worst = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < test.nsteps[i]; j++) {
            int L = test.step_end[i][j];
            CHECK_EQ_INT(mm_rm_score(v, (const int32_t *const *)test.tokens + i, &L, 1, 1, &pre),
                         MM_OK);
            worst = fmax(worst, fabs(pre - buf[i][j]));
        }
    printf("  largest difference step score vs prefix score: %.2e\n", worst);
    CHECK(worst < 1e-5);
    mm_rm_eval_result before, after;
    CHECK_EQ_INT(mm_rm_evaluate(v, &test, 64, &before), MM_OK);
    mm_rm_train_opts o;
    mm_rm_train_opts_default(&o);
    o.epochs = 8, o.lr = 3e-3f;
    CHECK_EQ_INT(mm_rm_train(v, &train, &o, NULL, NULL), MM_OK);
    CHECK_EQ_INT(mm_rm_evaluate(v, &test, 64, &after), MM_OK);
    printf("  held-out step AUC %.3f -> %.3f over %d steps (%d good), solution AUC %.3f -> %.3f\n",
           before.step_auc, after.step_auc, after.steps, after.step_positives, before.auc,
           after.auc);
    CHECK(after.steps > test.n); /* several steps per sequence */
    CHECK(after.step_auc > 0.9);
    CHECK(after.auc > 0.9);
    /* an outcome copy keeps one step with the label */
    mm_rm_data orm = {0};
    CHECK_EQ_INT(mm_rm_data_copy(&orm, &test, 0, 0), MM_OK);
    CHECK_EQ_INT(orm.nsteps[0], 1);
    CHECK_EQ_INT(orm.step_end[0][0], test.len[0]);
    CHECK_EQ_INT((int)orm.step_y[0][0], test.label[0]);
    int bad_end[2] = {3, 3};
    float y2[2] = {1, 1};
    CHECK(mm_rm_data_add_steps(&orm, test.tokens[0], 3, 1, 1, 2, bad_end, y2) != MM_OK);
    mm_rm_data_free(&orm), mm_rm_data_free(&train), mm_rm_data_free(&test);
    mm_value_free(v);
}

TEST(reward_spec_syntax) {
    mm_reward_spec s;
    CHECK_EQ_INT(mm_reward_spec_parse("rule", &s), MM_OK);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.term[0].kind, MM_REWARD_RULE);
    CHECK_NEAR(s.term[0].weight, 1, 0);
    CHECK_EQ_INT(mm_reward_spec_parse("rule:0.5+orm:runs/rm/final:0.25+prm:p:q", &s), MM_OK);
    CHECK_EQ_INT(s.n, 3);
    CHECK_NEAR(s.term[0].weight, 0.5, 0);
    CHECK_EQ_INT(s.term[1].kind, MM_REWARD_ORM);
    CHECK_STR(s.term[1].path, "runs/rm/final");
    CHECK_NEAR(s.term[1].weight, 0.25, 0);
    CHECK_EQ_INT(s.term[2].kind, MM_REWARD_PRM);
    CHECK_STR(s.term[2].path, "p:q"); /* the last field is no number: part of the path */
    CHECK_NEAR(s.term[2].weight, 1, 0);
    const char *bad[] = {"",
                         "bogus",
                         "orm",
                         "orm:",
                         "orm::2",
                         "rule:abc",
                         "rule:-1",
                         "rule+rule",
                         "rule+",
                         "+rule",
                         "prm:a+orm:b+rule+orm:c"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int e = mm_reward_spec_parse(bad[i], &s);
        if (e == MM_OK) printf("  accepted a bad spec: '%s'\n", bad[i]);
        CHECK(e != MM_OK);
    }
}

/* The arithmetic of a mix, by hand: two outputs of one group, three steps each. */
TEST(mixing_arithmetic) {
    const float l3 = logf(3.0f); /* σ(ln 3) = 3/4 */
    float prm[2][3] = {{l3, 0, l3}, {-l3, l3, 0}}, orm[2] = {l3, -l3};
    float rule[2][3] = {{1, 0, 1}, {0, 1, 0}};
    /* outcome: rule = correct, orm = σ(s), prm = the lowest σ(s_j) */
    CHECK_NEAR(mm_reward_term_outcome(MM_REWARD_RULE, 1, NULL, 0), 1, 0);
    CHECK_NEAR(mm_reward_term_outcome(MM_REWARD_ORM, 1, orm, 1), 0.75, 1e-6);
    CHECK_NEAR(mm_reward_term_outcome(MM_REWARD_PRM, 1, prm[0], 3), 0.5, 1e-6);
    CHECK_NEAR(mm_reward_term_outcome(MM_REWARD_PRM, 0, prm[1], 3), 0.25, 1e-6);
    /* process: rule:0.5 + orm:0.5 + prm:1 */
    float w[2][3] = {{0}};
    for (int i = 0; i < 2; i++) {
        mm_reward_term_steps(MM_REWARD_RULE, 0.5, rule[i], NULL, 3, w[i]);
        mm_reward_term_steps(MM_REWARD_ORM, 0.5, NULL, &orm[i], 3, w[i]);
        mm_reward_term_steps(MM_REWARD_PRM, 1, NULL, prm[i], 3, w[i]);
    }
    const float want[2][3] = {{0.5f + 0.75f, 0.5f, 0.5f + 0.375f + 0.75f},
                              {0.25f, 0.5f + 0.75f, 0.5f + 0.125f}};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            CHECK_NEAR(w[i][j], want[i][j], 1e-6);
    /* GRPO's process advantages on those step rewards: steps end at tokens 2, 4, 6 */
    int end[3] = {2, 4, 6}, len[2] = {6, 6};
    mm_grpo_steps st[2] = {{3, end, w[0]}, {3, end, w[1]}};
    float a0[6], a1[6], *adv[2] = {a0, a1};
    mm_grpo_process_advantages(2, st, len, 1, adv);
    double m = 0, sd = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            m += want[i][j] / 6.0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            sd += (want[i][j] - m) * (want[i][j] - m) / 5.0;
    sd = sqrt(sd) + 1e-4;
    for (int i = 0; i < 2; i++)
        for (int t = 0; t < 6; t++) {
            double suffix = 0; /* the steps that end after token t */
            for (int j = t / 2; j < 3; j++)
                suffix += (want[i][j] - m) / sd;
            CHECK_NEAR(adv[i][t], suffix, 1e-5);
        }
}

int main(void) {
    test_prog_ = "test_reward_model";
    RUN(score_ignores_padding);
    RUN(learns_a_label_and_reloads);
    RUN(replay_keeps_the_share);
    RUN(process_model_scores_prefixes_and_learns_steps);
    RUN(reward_spec_syntax);
    RUN(mixing_arithmetic);
    return test_summary();
}
