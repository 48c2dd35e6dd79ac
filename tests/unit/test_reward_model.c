/* tests/unit/test_reward_model.c — the outcome reward model's machinery on synthetic data
 * (fast; the model trained on real policy samples is tests/integration/rm_arith.sh): a score
 * does not depend on the padding of its batch, training on a learnable label ranks held-out
 * positives above negatives, a saved model scores the same after loading, and replay keeps
 * the stated share of distinct old sequences. */
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

int main(void) {
    test_prog_ = "test_reward_model";
    RUN(score_ignores_padding);
    RUN(learns_a_label_and_reloads);
    RUN(replay_keeps_the_share);
    return test_summary();
}
