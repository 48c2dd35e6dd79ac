/* tests/unit/test_task.c — tasks: number parsing, answer extraction, the arith generator
 * (determinism, disjoint splits, solutions that check), rewards and per-step checks, GSM8K. */
#include "rl/task.h"
#include "rl/grpo.h"

#include <unistd.h>

#include "common/io.h"
#include "tests/unit/test.h"

static double num(const char *s) {
    double v = NAN;
    mm_task_parse_number(s, strlen(s), &v);
    return v;
}

TEST(parse_number) {
    CHECK_NEAR(num("42"), 42, 0);
    CHECK_NEAR(num("-7 apples"), -7, 0);
    CHECK_NEAR(num("$1,234.50"), 1234.5, 1e-9);
    CHECK_NEAR(num("12,34"), 12, 0); /* not a thousands group */
    CHECK_NEAR(num("50%"), 50, 0);
    double v;
    CHECK_EQ_INT(mm_task_parse_number("abc", 3, &v), 0);
    CHECK_EQ_INT(mm_task_parse_number("-", 1, &v), 0);
    CHECK_EQ_INT(mm_task_parse_number("3.", 2, &v), 1);
}

TEST(extract_answer) {
    double v = 0;
    const char *a = "She makes 9 * 2 = $<<9*2=18>>18.\n#### 18";
    CHECK(mm_task_extract_answer(a, strlen(a), &v) && v == 18);
    const char *b = "#### 1\nmore\n#### 1,000";
    CHECK(mm_task_extract_answer(b, strlen(b), &v) && v == 1000);
    CHECK(!mm_task_extract_answer("no answer 12", 12, &v));
    CHECK(!mm_task_extract_answer("#### x", 6, &v));
    CHECK(mm_task_last_number("so 3-4 gives -1.", 16, &v) && v == -1);
    CHECK(mm_task_last_number("3-4", 3, &v) && v == 4);
    CHECK(mm_task_same_number(0.1 + 0.2, 0.3));
    CHECK(!mm_task_same_number(18, 18.01));
}

TEST(eval_expr) {
    double v;
    CHECK(mm_task_eval_expr("2+3*4", 5, &v) && v == 14);
    CHECK(mm_task_eval_expr(" (2 + 3) * 4 ", 13, &v) && v == 20);
    CHECK(mm_task_eval_expr("16-3-4", 6, &v) && v == 9);
    CHECK(mm_task_eval_expr("10/4", 4, &v) && v == 2.5);
    CHECK(!mm_task_eval_expr("1/0", 3, &v));
    CHECK(!mm_task_eval_expr("2+", 2, &v));
    CHECK(!mm_task_eval_expr("((((1", 5, &v));
}

TEST(arith_generator) {
    mm_arith_opts o;
    mm_arith_opts_default(&o);
    o.n_train = 300, o.n_test = 50, o.seed = 7;
    mm_task *a, *b;
    CHECK(mm_task_arith_create(&o, &a) == MM_OK);
    o.n_train = 10;
    CHECK(mm_task_arith_create(&o, &b) == MM_OK);
    CHECK_EQ_INT(mm_task_count(a, MM_TASK_TEST), 50);
    /* the test split does not depend on the train size; the splits are disjoint */
    for (size_t i = 0; i < 50; i++)
        CHECK_STR(mm_task_get(a, MM_TASK_TEST, i)->question,
                  mm_task_get(b, MM_TASK_TEST, i)->question);
    for (size_t i = 0; i < 300; i++)
        for (size_t j = 0; j < 50; j++)
            if (!strcmp(mm_task_get(a, MM_TASK_TRAIN, i)->question,
                        mm_task_get(a, MM_TASK_TEST, j)->question))
                CHECK(!"train question in the test split");
    /* every reference solution earns full reward and full step rewards */
    for (size_t i = 0; i < 300; i++) {
        const mm_task_item *it = mm_task_get(a, MM_TASK_TRAIN, i);
        mm_reward r = mm_task_reward(it, it->solution, strlen(it->solution), 0, 0);
        CHECK(r.correct && r.formatted);
        mm_task_step st[8];
        int ns = mm_task_steps(it, it->solution, strlen(it->solution), st, 8);
        CHECK_EQ_INT(ns, o.ops + 1);
        for (int k = 0; k < ns; k++)
            CHECK_NEAR(st[k].reward, 1, 0);
    }
    printf("  e.g. %s\n  %s\n", mm_task_get(a, MM_TASK_TEST, 0)->question,
           mm_task_get(a, MM_TASK_TEST, 0)->solution);
    mm_task_free(a), mm_task_free(b);
}

TEST(arith_plain) {
    mm_arith_opts o;
    mm_arith_opts_default(&o);
    o.plain = 1, o.ops = 3, o.n_train = 50, o.n_test = 10;
    mm_task *t;
    CHECK(mm_task_arith_create(&o, &t) == MM_OK);
    for (size_t i = 0; i < 50; i++) {
        const mm_task_item *it = mm_task_get(t, MM_TASK_TRAIN, i);
        CHECK(!strncmp(it->question, "Compute ((", 10));
        /* the expression in the question evaluates to the answer */
        const char *q = it->question + 8;
        double v;
        CHECK(mm_task_eval_expr(q, strlen(q) - 1, &v) && mm_task_same_number(v, it->answer));
    }
    mm_task_free(t);
}

TEST(steps_and_rewards) {
    mm_task_item it = {.question = "q",
                       .solution = "",
                       .answer = 35,
                       .nsteps = 2,
                       .step_values = (double[]){40, 35},
                       .gold = "35"};
    const char *out = "23 + 17 = 40\n40 - 5 = 36\n#### 36\n";
    mm_task_step st[8];
    int ns = mm_task_steps(&it, out, strlen(out), st, 8);
    CHECK_EQ_INT(ns, 3);
    CHECK_NEAR(st[0].reward, 1, 0);
    CHECK_NEAR(st[1].reward, 0, 0);
    CHECK_NEAR(st[2].reward, 0, 0);
    CHECK_EQ_INT(st[0].begin, 0);
    CHECK_EQ_INT(st[0].end, 13);
    CHECK_EQ_INT(st[2].end, strlen(out));
    mm_reward r = mm_task_reward(&it, out, strlen(out), 0.1, 0);
    CHECK(!r.correct && r.formatted);
    CHECK_NEAR(r.reward, 0.1, 1e-12);
    /* steps beyond cap merge into the last one */
    CHECK_EQ_INT(mm_task_steps(&it, out, strlen(out), st, 2), 2);
    CHECK_EQ_INT(st[1].end, strlen(out));
    CHECK_EQ_INT(mm_task_steps(&it, "", 0, st, 8), 0);
    /* GSM8K annotations */
    mm_task_item g = {.question = "q",
                      .answer = 18,
                      .gold = "18",
                      .solution =
                          "16 - 3 - 4 = <<16-3-4=9>>9 eggs.\n9 * 2 = $<<9*2=18>>18.\n#### 18"};
    const char *s = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs.\n"
                    "She makes 9 * 2 = $<<9*2=17>>17.\n#### 18";
    ns = mm_task_steps(&g, s, strlen(s), st, 8);
    CHECK_EQ_INT(ns, 3);
    CHECK_NEAR(st[0].reward, 1, 0);
    CHECK_NEAR(st[1].reward, 0, 0);
    CHECK_NEAR(st[2].reward, 1, 0);
}

TEST(few_shot) {
    mm_arith_opts o;
    mm_arith_opts_default(&o);
    o.n_train = 10, o.n_test = 3;
    mm_task *t;
    CHECK(mm_task_arith_create(&o, &t) == MM_OK);
    mm_buf zero = {0}, two = {0}, ex = {0};
    const mm_task_item *it = mm_task_get(t, MM_TASK_TEST, 0);
    CHECK(mm_task_prompt(it, &zero) == MM_OK);
    for (int i = 0; i < 2; i++) { /* the examples: the first two train documents */
        mm_task_document(mm_task_get(t, MM_TASK_TRAIN, (size_t)i), &ex);
        mm_buf_putc(&ex, '\n');
    }
    mm_buf_append(&ex, zero.data, zero.len);
    CHECK(mm_task_set_shots(t, 2) == MM_OK);
    CHECK(mm_task_prompt(it, &two) == MM_OK);
    CHECK(two.len == ex.len && !memcmp(two.data, ex.data, ex.len));
    CHECK(mm_task_set_shots(t, 11) != MM_OK); /* more than the train split has */
    CHECK(mm_task_set_shots(t, 0) == MM_OK);
    mm_buf_clear(&two);
    CHECK(mm_task_prompt(it, &two) == MM_OK);
    CHECK(two.len == zero.len && !memcmp(two.data, zero.data, zero.len));
    mm_buf_free(&zero), mm_buf_free(&two), mm_buf_free(&ex);
    mm_task_free(t);
}

/* Step rewards summed over an output. */
static double step_sum(const mm_task_item *it, const char *out) {
    mm_task_step st[64];
    int ns = mm_task_steps(it, out, strlen(out), st, 64);
    double sum = 0;
    for (int i = 0; i < ns; i++)
        sum += st[i].reward;
    return sum;
}

TEST(process_padding) {
    /* GSM8K test item 0: its reference steps are 9 and 18 */
    mm_task_item g = {.question = "q",
                      .answer = 18,
                      .gold = "18",
                      .solution = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
                                  "She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"};
    const char *good = "16 - 3 - 4 = 9\n9 * 2 = 18\n#### 18";
    const char *padded = "1 + 1 = 2\n2 + 2 = 4\n16 - 3 - 4 = 9\n16 - 3 - 4 = 9\n3 * 3 = 9\n"
                         "9 * 2 = 18\n9 * 2 = 18\n10 + 8 = 18\n#### 18";
    const char *only_pad = "1 + 1 = 2\n2 + 2 = 4\n3 + 3 = 6\n4 + 4 = 8\n#### 7";
    CHECK_NEAR(step_sum(&g, good), 3, 0);
    CHECK_NEAR(step_sum(&g, padded), 3, 0); /* each reference step is credited once */
    CHECK_NEAR(step_sum(&g, only_pad), 0, 0);
    /* through the group normalisation: the padded output's first token gets no more */
    const char *outs[2] = {good, padded};
    float rw[2][64], adv[2][256];
    int ends[2][64], nst[2];
    mm_grpo_steps gs[2];
    for (int i = 0; i < 2; i++) {
        mm_task_step st[64];
        nst[i] = mm_task_steps(&g, outs[i], strlen(outs[i]), st, 64);
        for (int k = 0; k < nst[i]; k++)
            rw[i][k] = (float)st[k].reward, ends[i][k] = k + 1;
        gs[i] = (mm_grpo_steps){nst[i], ends[i], rw[i]};
    }
    int lens[2] = {nst[0], nst[1]};
    mm_grpo_process_advantages(2, gs, lens, 1, (float *[]){adv[0], adv[1]});
    CHECK(adv[1][0] < adv[0][0]);
}

TEST(gsm8k_and_docs) {
    const char *p = test_shared("benchmarks/gsm8k/test.jsonl");
    if (access(p, R_OK) == 0) {
        mm_task *t;
        CHECK(mm_task_jsonl_create(NULL, p, &t) == MM_OK);
        CHECK(mm_task_count(t, MM_TASK_TEST) > 1000);
        CHECK_EQ_INT(mm_task_count(t, MM_TASK_TRAIN), 0); /* no train file: nothing to train on */
        CHECK_NEAR(mm_task_get(t, MM_TASK_TEST, 0)->answer, 18, 0);
        mm_task_free(t);
    }
    mm_arith_opts o;
    mm_arith_opts_default(&o);
    o.n_train = 20, o.n_test = 5;
    mm_task *a;
    CHECK(mm_task_arith_create(&o, &a) == MM_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/mm-task-%d.jsonl.zst", test_tmpdir(), (int)getpid());
    CHECK(mm_task_write_docs(a, MM_TASK_TRAIN, 30, path) == MM_OK);
    mm_task *back;
    /* a document shard is not GSM8K format: reading it as jsonl finds no usable line */
    CHECK(mm_task_jsonl_create(NULL, path, &back) == MM_ERR_FORMAT);
    unlink(path);
    mm_task_free(a);
}

int main(void) {
    test_prog_ = "test_task";
    RUN(parse_number);
    RUN(extract_answer);
    RUN(eval_expr);
    RUN(arith_generator);
    RUN(arith_plain);
    RUN(steps_and_rewards);
    RUN(few_shot);
    RUN(process_padding);
    RUN(gsm8k_and_docs);
    return test_summary();
}
