/* tests/unit/test.h — a minimal unit-test harness.  Each tests/unit/test_*.c is one program:
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_STR(s, "x"); CHECK_NEAR(a, b, tol); }
 *   int main(void) { RUN(name); return test_summary(); }
 *
 * A failed check prints file:line and the values, and the test goes on.  test_summary() prints
 * "NAME: N passed, N failed" (counted per TEST) and returns non-zero on any failure.
 * MM_SRC is the repository root (tests find ../shared through it). */
#ifndef MM_TEST_H
#define MM_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int test_passed_, test_failed_, test_cur_failed_;
static const char *test_prog_ = "unit";

#define TEST(name) static void test_##name(void)
#define RUN(name)                                                                                  \
    do {                                                                                           \
        test_cur_failed_ = 0;                                                                      \
        test_##name();                                                                             \
        if (test_cur_failed_) {                                                                    \
            test_failed_++;                                                                        \
            printf("FAIL %s\n", #name);                                                            \
        } else {                                                                                   \
            test_passed_++;                                                                        \
            printf("ok   %s\n", #name);                                                            \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                      \
            test_cur_failed_ = 1;                                                                  \
        }                                                                                          \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            printf("  %s:%d: %s == %s failed: %lld vs %lld\n", __FILE__, __LINE__, #a, #b, a_,     \
                   b_);                                                                            \
            test_cur_failed_ = 1;                                                                  \
        }                                                                                          \
    } while (0)
#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_)) {                                                        \
            printf("  %s:%d: %s == %s failed:\n    got:      [%s]\n    expected: [%s]\n",          \
                   __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");            \
            test_cur_failed_ = 1;                                                                  \
        }                                                                                          \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol))) {                                                           \
            printf("  %s:%d: %s ~ %s failed: %.9g vs %.9g (tol %g)\n", __FILE__, __LINE__, #a, #b, \
                   a_, b_, (double)(tol));                                                         \
            test_cur_failed_ = 1;                                                                  \
        }                                                                                          \
    } while (0)

static inline const char *test_src(void) {
    const char *s = getenv("MM_SRC");
    return s ? s : ".";
}

/* Path of a file under ../shared (next to the repository). */
static inline const char *test_shared(const char *rel) {
    static char buf[8][4096];
    static int k;
    char *b = buf[k++ & 7];
    snprintf(b, 4096, "%s/../shared/%s", test_src(), rel);
    return b;
}

/* The seed of a randomised test: MM_SEED, else the time; printed so that a failure can be
 * repeated. */
static inline unsigned long long test_seed(void) {
    const char *s = getenv("MM_SEED");
    unsigned long long seed = s ? strtoull(s, NULL, 10) : (unsigned long long)time(NULL);
    printf("seed %llu (MM_SEED=%llu to repeat)\n", seed, seed);
    return seed;
}

static inline const char *test_tmpdir(void) {
    const char *t = getenv("MM_TMP");
    return t ? t : "/tmp";
}

static inline int test_summary(void) {
    printf("%s: %d passed, %d failed\n", test_prog_, test_passed_, test_failed_);
    return test_failed_ ? 1 : 0;
}

#endif
