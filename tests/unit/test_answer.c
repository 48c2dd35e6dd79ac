/* tests/unit/test_answer.c — the answer checker (rl/answer.h) and the benchmark tasks
 * (rl/task_bench.c): extraction, normalisation, equality by evaluation, lists, multiple
 * choice, and on every benchmark file of ../shared/benchmarks: every gold answer loads, is
 * found again in a model-style output, equals itself written another way, and does not equal
 * a perturbed version of itself. */
#include "rl/answer.h"

#include <math.h>
#include <unistd.h>

#include "rl/task.h"
#include "tests/unit/test.h"

static int eq(const char *p, const char *g) {
    return mm_answer_equal(p, strlen(p), g, strlen(g));
}

static const char *extracted(const char *s, int flags, char *buf, size_t cap) {
    size_t off, len;
    if (mm_answer_extract(s, strlen(s), flags, &off, &len) == MM_ANSWER_NONE) return "<none>";
    snprintf(buf, cap, "%.*s", (int)len, s + off);
    return buf;
}

TEST(extract) {
    char b[256];
    CHECK_STR(extracted("so $\\boxed{\\frac{1}{\\sqrt{2}}}$.", 0, b, sizeof b),
              "\\frac{1}{\\sqrt{2}}");
    CHECK_STR(extracted("\\boxed{1} then \\boxed{ {a}+{b} }", 0, b, sizeof b), "{a}+{b}");
    CHECK_STR(extracted("x\n#### 1,000\n", 0, b, sizeof b), "1,000");
    CHECK_STR(extracted("So the answer is 3.5 apples.\nDone", 0, b, sizeof b), "3.5 apples");
    CHECK_STR(extracted("The answer is (B).", 0, b, sizeof b), "(B)");
    CHECK_STR(extracted("\xe7\xad\x94\xe6\xa1\x88\xe6\x98\xaf 18\xe3\x80\x82", 0, b, sizeof b),
              "18");
    /* the marker that comes last wins */
    CHECK_STR(extracted("#### 4\nThe answer is \\boxed{5}", 0, b, sizeof b), "5");
    CHECK_STR(extracted("no marker, 12 then -7.5 here", 0, b, sizeof b), "<none>");
    CHECK_STR(extracted("no marker, 12 then -7.5 here", MM_ANSWER_LAST_NUMBER, b, sizeof b),
              "-7.5");
    CHECK_STR(extracted("\\boxed{unclosed", 0, b, sizeof b), "<none>");
    CHECK_STR(extracted("\\boxed 7$", 0, b, sizeof b), "7");
}

TEST(numbers) {
    CHECK(eq("1,000", "1000"));
    CHECK(eq("$1,234.50", "1234.5"));
    CHECK(eq("\\$18", "18"));
    CHECK(eq("18 dollars", "18"));
    CHECK(eq("9", "9 (apples)"));
    CHECK(eq("5\\text{ cm}", "5"));
    CHECK(eq("50\\%", "50"));
    CHECK(eq("30^\\circ", "30"));
    CHECK(eq("3/4", "\\frac34"));
    CHECK(eq("0.75", "\\dfrac{3}{4}"));
    CHECK(eq("2\\frac{1}{2}", "5/2"));
    CHECK(eq("2 1/2", "2.5"));
    CHECK(eq("-\\frac{1}{3}", "-1/3"));
    CHECK(eq("1.6", "1.6"));
    CHECK(eq("1.64", "1.6")); /* rounds to the gold's one decimal place */
    CHECK(!eq("1.66", "1.6"));
    CHECK(!eq("1.6", "1.64")); /* the gold's places set the tolerance */
    CHECK(!eq("12346", "12345"));
    CHECK(!eq("0.33", "1/3"));
    CHECK(eq("0.3333333333", "1/3"));
    CHECK(!eq("19", "18"));
    CHECK(!eq("", "18"));
    CHECK(!eq("18", ""));
}

TEST(latex) {
    CHECK(eq("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"));
    CHECK(eq("\\text{Evelyn}", "Evelyn"));
    CHECK(!eq("Evelyn", "Evelin"));
    CHECK(eq("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt3"));
    CHECK(eq("\\sqrt{12}", "2\\sqrt{3}"));
    CHECK(eq("2x+2", "2(x+1)"));
    CHECK(eq("x^2-1", "(x-1)(x+1)"));
    CHECK(!eq("x^2+1", "(x-1)(x+1)"));
    CHECK(eq("y = 2x + 3", "y=3+2x"));
    CHECK(eq("x=5", "5"));
    CHECK(eq("\\sin^2\\theta+\\cos^2\\theta", "1"));
    CHECK(eq("\\dfrac{1}{2}\\pi r^2", "\\frac{\\pi r^{2}}{2}"));
    CHECK(eq("10{,}000", "10000"));
    CHECK(eq("1\\,000", "1000"));
    CHECK(eq("3!", "6"));
}

TEST(lists) {
    CHECK(eq("(3,4]", "(3, 4]"));
    CHECK(!eq("[3,4]", "(3,4]"));
    CHECK(!eq("(4,3]", "(3,4]"));
    CHECK(eq("x \\in [-2,7]", "[-2,7]"));
    CHECK(eq("2, -3", "-3,2"));          /* bare lists: any order */
    CHECK(eq("\\{1,2\\}", "\\{2,1\\}")); /* sets: any order */
    CHECK(!eq("(1,2)", "(2,1)"));        /* tuples: in order */
    CHECK(!eq("1,2", "1,2,3"));
    CHECK(eq("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "(1,2)"));
    CHECK(eq("$5$;$10$", "5, 10"));
    CHECK(eq("(-\\infty, 3]", "(-\\infty,3]"));
}

TEST(choice) {
    CHECK_EQ_INT(mm_answer_choice("B", 1, 4), 2);
    CHECK_EQ_INT(mm_answer_choice("(c)", 3, 4), 4);
    CHECK_EQ_INT(mm_answer_choice("\\text{(D)}", 10, 4), 8);
    CHECK_EQ_INT(mm_answer_choice("Option A", 8, 4), 1);
    CHECK_EQ_INT(mm_answer_choice("A, D", 4, 4), 9);
    CHECK_EQ_INT(mm_answer_choice("AD", 2, 4), 9);
    CHECK_EQ_INT(mm_answer_choice("E", 1, 4), 0); /* past the options */
    CHECK_EQ_INT(mm_answer_choice("I think it is C because", 23, 4), 4);
    CHECK_EQ_INT(mm_answer_choice("none", 4, 4), 0);
}

/* ---- every benchmark's gold answers ---- */

/* Another way to write gold g (into out), or 0 when no rewrite applies. */
static int rewrite(const mm_task_item *it, char *out, size_t cap) {
    const char *g = it->gold;
    if (it->nopts) { /* "\text{(a)}", "(a, d)" */
        unsigned c = mm_answer_choice(g, strlen(g), it->nopts);
        size_t k = snprintf(out, cap, "\\text{(");
        for (int j = 0; j < 26; j++)
            if (c >> j & 1) k += snprintf(out + k, cap - k, "%s%c", k > 7 ? ", " : "", 'a' + j);
        snprintf(out + k, cap - k, ")}");
        return c != 0;
    }
    char norm[4096];
    size_t n = mm_answer_normalize(g, strlen(g), norm, sizeof norm);
    double vars[64], v, w;
    for (int k = 0; k < 64; k++)
        vars[k] = 1.5 + k * 0.01;
    vars[0] = 1.7;
    if (!mm_answer_eval(norm, n, vars, &v) || !isfinite(v) || strchr(g, '=')) {
        /* words, lists, equations: spacing */
        size_t k = 0;
        out[k++] = '$';
        for (size_t i = 0; g[i] && k + 8 < cap; i++) {
            out[k++] = g[i];
            if (g[i] == ',') out[k++] = ' ';
        }
        out[k++] = '$', out[k] = 0;
        return 1;
    }
    for (int k = 0; k < 64; k++)
        vars[k] = 2.3 + k * 0.01; /* constant or variable? */
    mm_answer_eval(norm, n, vars, &w);
    if (v == w && (fabs(v) < 1e-3 || fabs(v) > 1e12) && v != 0) { /* 6.72\times10^{-5} */
        char m[64];
        snprintf(m, sizeof m, "%.12e", v);
        char *ex = strchr(m, 'e');
        *ex = 0;
        return snprintf(out, cap, "%s\\times 10^{%d}", m, atoi(ex + 1)) > 0;
    }
    if (v == w) return snprintf(out, cap, "%.12g", v) > 0;
    return snprintf(out, cap, "\\dfrac{2 \\left(%s\\right)}{2}", g) > 0;
}

/* A wrong answer close to gold g, or 0 when none is made. */
static int perturb(const mm_task_item *it, char *out, size_t cap) {
    const char *g = it->gold;
    if (it->nopts) { /* one letter more or less */
        unsigned c = mm_answer_choice(g, strlen(g), it->nopts), d = 0;
        int j = c ? __builtin_ctz(c) : 0, next = (j + 1) % it->nopts;
        d = (c & ~(1u << j)) | 1u << next;
        if (d == c || d == 0) d = c ^ 1u << next;
        size_t k = 0;
        for (int j = 0; j < it->nopts; j++)
            if (d >> j & 1) out[k++] = (char)('A' + j);
        out[k] = 0;
        return c != 0 && k > 0;
    }
    char norm[4096];
    size_t n = mm_answer_normalize(g, strlen(g), norm, sizeof norm);
    double vars[64], v;
    for (int k = 0; k < 64; k++)
        vars[k] = 1.5 + k * 0.01;
    if (mm_answer_eval(norm, n, vars, &v) && isfinite(v))
        return snprintf(out, cap, "%s+1", norm) > 0;
    snprintf(out, cap, "%s", g);
    for (size_t i = strlen(out); i-- > 0;)
        if (out[i] >= '0' && out[i] <= '9')
            return out[i] = (char)('0' + (out[i] - '0' + 1) % 10), 1;
    return snprintf(out, cap, "%sx", g) > 0;
}

static void self_check(const char *rel) {
    const char *p = test_shared(rel);
    if (access(p, R_OK) != 0) {
        fprintf(stderr, "  skip %s (missing)\n", rel);
        return;
    }
    mm_task *t;
    mm_err e = mm_task_jsonl_create(NULL, p, &t);
    CHECK(e == MM_OK);
    if (e != MM_OK) return;
    size_t n = mm_task_count(t, MM_TASK_TEST), self = 0, boxed = 0, other = 0, wrong = 0;
    int shown = 0;
    char out[8192], alt[4096];
    for (size_t i = 0; i < n; i++) {
        const mm_task_item *it = mm_task_get(t, MM_TASK_TEST, i);
        size_t gl = strlen(it->gold);
        self += mm_task_check(it, it->gold, gl);
        snprintf(out, sizeof out, "Let me think.\nSo the answer is $\\boxed{%s}$.", it->gold);
        mm_reward r = mm_task_reward(it, out, strlen(out), 0, 0);
        boxed += r.correct;
        int ok_alt = rewrite(it, alt, sizeof alt) && mm_task_check(it, alt, strlen(alt));
        other += ok_alt;
        char bad[4096];
        int ok_bad = perturb(it, bad, sizeof bad) && !mm_task_check(it, bad, strlen(bad));
        wrong += ok_bad;
        if ((!ok_alt || !ok_bad || !r.correct) && shown++ < 12)
            fprintf(stderr, "  %s #%zu gold [%s] alt [%s]%s bad [%s]%s boxed %d\n", rel, i,
                    it->gold, alt, ok_alt ? "" : " FAILS", bad, ok_bad ? "" : " PASSES", r.correct);
    }
    fprintf(stderr,
            "  %-36s %5zu items, %llu skipped: self %zu, boxed %zu, rewritten %zu, "
            "perturbed rejected %zu\n",
            rel, n, (unsigned long long)mm_task_skipped(t), self, boxed, other, wrong);
    CHECK(n > 0);
    CHECK_EQ_INT(self, n);
    CHECK_EQ_INT(boxed, n);
    CHECK_EQ_INT(other, n);
    CHECK_EQ_INT(wrong, n);
    mm_task_free(t);
}

TEST(benchmarks) {
    static const char *const FILES[] = {"benchmarks/gsm8k/test.jsonl",
                                        "benchmarks/gsm8k/train.jsonl",
                                        "benchmarks/math/test.jsonl",
                                        "benchmarks/math500/test.jsonl",
                                        "benchmarks/minerva_ocw/test.jsonl",
                                        "benchmarks/svamp/SVAMP.json",
                                        "benchmarks/asdiv/ASDiv.xml",
                                        "benchmarks/asdiv_jsonl/test.jsonl",
                                        "benchmarks/mawps/test.jsonl",
                                        "benchmarks/mawps/addsub.jsonl",
                                        "benchmarks/mawps/multiarith.jsonl",
                                        "benchmarks/mawps/singleeq.jsonl",
                                        "benchmarks/mawps/singleop.jsonl",
                                        "benchmarks/cmath/cmath_dev.jsonl",
                                        "benchmarks/cmath/distractor.jsonl",
                                        "benchmarks/cmath_test/test.jsonl",
                                        "benchmarks/mgsm_zh/mgsm_zh.jsonl",
                                        "benchmarks/agieval/math.jsonl",
                                        "benchmarks/agieval/gaokao-mathcloze.jsonl",
                                        "benchmarks/agieval/aqua-rat.jsonl",
                                        "benchmarks/agieval/sat-math.jsonl",
                                        "benchmarks/agieval/gaokao-mathqa.jsonl",
                                        "benchmarks/mathqa/test.jsonl",
                                        "benchmarks/mmlu_stem/test.jsonl",
                                        "benchmarks/sat_math/test.jsonl",
                                        "benchmarks/mmlu_math/abstract_algebra_test.csv",
                                        "benchmarks/mmlu_math/college_mathematics_test.csv",
                                        "benchmarks/mmlu_math/elementary_mathematics_test.csv",
                                        "benchmarks/mmlu_math/high_school_mathematics_test.csv",
                                        "benchmarks/mmlu_math/high_school_statistics_test.csv"};
    for (size_t k = 0; k < sizeof FILES / sizeof *FILES; k++)
        self_check(FILES[k]);
}

int main(void) {
    test_prog_ = "test_answer";
    RUN(extract);
    RUN(numbers);
    RUN(latex);
    RUN(lists);
    RUN(choice);
    RUN(benchmarks);
    return test_summary();
}
