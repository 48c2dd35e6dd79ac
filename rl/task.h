/* rl/task.h — tasks for GRPO and evaluation: questions with a reference answer, a prompt
 * format, rule-based rewards (final answer, format, per-step checks) and answer extraction.
 *
 * Two task kinds:
 *   arith  a seeded generator of multi-step integer arithmetic word problems with worked
 *          solutions, one step a line ("23 + 17 = 40"), the final answer after "#### ".
 *          Difficulty: number of operations and digits of the operands.  The train and test
 *          splits are disjoint by construction (a question belongs to the test split iff
 *          a hash of its text falls in the test bucket).
 *   jsonl  benchmark files (alias "bench"): every format in ../shared/benchmarks, told apart
 *          by extension and fields (rl/task_bench.c): GSM8K, MATH, MATH500, Minerva OCW,
 *          CMATH, MGSM-zh, MAWPS, ASDiv (.jsonl and .xml), SVAMP (.json), AGIEval, MathQA,
 *          MMLU (.csv and .jsonl), SAT; multiple-choice items carry their options in the
 *          question and a letter as gold answer.  Answers are checked by rl/answer.h.
 *
 * Text format shared by prompts, rewards and pre-training documents (sft, eval and grpo all
 * use mm_task_prompt):
 *   prompt      [k worked examples, each "Question: ...\nAnswer:\n<solution>\n\n"]
 *               "Question: <question>\nAnswer:\n"
 *   completion  "<step>\n<step>\n#### <answer>\n"   (then the end-of-text token)
 *
 * Ownership: an mm_task owns its items and their strings; pointers returned by mm_task_get
 * stay valid until mm_task_free.  Everything here is pure (no printing, no globals). */
#ifndef MM_TASK_H
#define MM_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef enum { MM_TASK_TRAIN = 0, MM_TASK_TEST = 1 } mm_task_split;

typedef struct mm_task_item {
    char *question; /* the question text (with its lettered options for multiple choice) */
    char *solution; /* worked solution: steps, one a line, then the final answer ("#### N",
                     * "\\boxed{...}" or "The answer is ...") */
    double answer;  /* the final answer as a number (NAN when it is not one) */
    int nsteps;     /* arith: number of reference steps (results in step_values) */
    double *step_values;
    char *gold;        /* the final answer as text: what rl/answer.h compares against */
    int nopts;         /* multiple choice: number of options, gold is a letter; 0 = free answer */
    const char *shots; /* few-shot examples put before the prompt (owned by the task), or NULL */
} mm_task_item;

typedef struct mm_task mm_task;

typedef struct mm_arith_opts {
    int ops;        /* operations per problem (>= 1); default 2 */
    int digits;     /* digits of the operands of + and - (1..6); default 2 */
    int mul;        /* 1 = allow "times as many" steps (factor 2..4); default 1 */
    int plain;      /* 1 = bare expressions ("Compute (3 + 4) * 2."), short for tiny models */
    uint64_t seed;  /* generator seed */
    size_t n_train; /* items generated for the train split (default 20000) */
    size_t n_test;  /* items generated for the test split (default 500) */
} mm_arith_opts;

MM_API void mm_arith_opts_default(mm_arith_opts *o);
MM_API mm_err mm_task_arith_create(const mm_arith_opts *o, mm_task **out);
/* Benchmark files (any format above).  train_path may be NULL: then the train split is
 * empty, so nothing trains on the test questions by accident (pass the test file as
 * train_path to do that on purpose).  Records without a question or a gold answer are
 * skipped and counted. */
MM_API mm_err mm_task_jsonl_create(const char *train_path, const char *test_path, mm_task **out);
MM_API void mm_task_free(mm_task *t);

MM_API const char *mm_task_name(const mm_task *t); /* "arith" or "jsonl" */
MM_API size_t mm_task_count(const mm_task *t, mm_task_split s);
MM_API const mm_task_item *mm_task_get(const mm_task *t, mm_task_split s, size_t i);
MM_API uint64_t mm_task_skipped(const mm_task *t); /* broken input lines (jsonl) */

/* Append the prompt for `it` to `b` (with its few-shot examples, if any). */
MM_API mm_err mm_task_prompt(const mm_task_item *it, mm_buf *b);
/* k-shot prompting: the first k items of the train split, as zero-shot documents each
 * followed by a blank line, go before every prompt of both splits (k = 0: zero-shot again).
 * Fails when the train split has fewer than k items. */
MM_API mm_err mm_task_set_shots(mm_task *t, int k);
/* Append the whole training document (prompt + solution + "\n") to `b`. */
MM_API mm_err mm_task_document(const mm_task_item *it, mm_buf *b);
/* Write the first n items of split s as a document shard (jsonl[.zst], common/doc.h), text =
 * mm_task_document, source "mathmine-<task>", atomically. */
MM_API mm_err mm_task_write_docs(const mm_task *t, mm_task_split s, size_t n, const char *path);

/* ---- rewards ---- */
typedef struct mm_reward {
    double reward;           /* correct + format_weight * formatted */
    int correct;             /* final answer extracted and equal to the reference */
    int formatted;           /* the answer was marked ("####", \\boxed{}, "The answer is") */
    int has_answer;          /* an answer was extracted (marked or, with MM_ANSWER_LAST_NUMBER, the
                              * last number) */
    double answer;           /* the extracted answer as a number (NAN when it is not one) */
    size_t ans_off, ans_len; /* the extracted answer's bytes in the output */
} mm_reward;

/* Score a model output (the completion text, without the prompt).  format_weight adds a
 * bonus for a marked final answer (0 = off, the paper's setting: correctness only).  flags:
 * rl/answer.h's MM_ANSWER_LAST_NUMBER or 0. */
MM_API mm_reward mm_task_reward(const mm_task_item *it, const char *out, size_t n,
                                double format_weight, int flags);
/* Is the bare answer ans[0..n) right for `it` (multiple choice: the same letter)? */
MM_API bool mm_task_check(const mm_task_item *it, const char *ans, size_t n);
/* Do two extracted answers agree (for majority voting)? */
MM_API bool mm_task_same_answer(const mm_task_item *it, const char *a, size_t na, const char *b,
                                size_t nb);

/* One reasoning step of an output: bytes [begin, end) of the output and its reward. */
typedef struct mm_task_step {
    size_t begin, end;
    double reward;
} mm_task_step;

/* Split an output into steps (lines; the last step runs to the end of the output) and score
 * each against the reference solution (a rule-based process reward): an equation line
 * ("<expr> = <value>", or GSM8K's <<a*b=c>> annotations, all of which must be right) earns 1
 * when its arithmetic is right and its result is one of the reference solution's step values
 * (arith: step_values; otherwise the results of the worked solution's equations) that no
 * earlier line was credited with; a line with a marked final answer earns 1 when the answer
 * is right; every other line earns 0.  Each reference step is credited once, so padding with
 * true but unneeded equations ("1 + 1 = 2") or repeating a step earns nothing, and under the
 * group normalisation such zero steps only lower the suffix sums.  Limits: a right step
 * computed by another route than the reference's (a different intermediate value) earns 0,
 * and a line is judged alone, not whether it follows from the previous ones.  Returns the
 * number of steps (<= cap; at least 1 when n > 0 — lines past cap-1 are merged into the
 * last step, which keeps the lowest reward). */
MM_API int mm_task_steps(const mm_task_item *it, const char *out, size_t n, mm_task_step *steps,
                         int cap);

/* ---- answer extraction (pure; fuzzed by tests/fuzz/fuzz_answer.c) ---- */

/* Parse a number at the start of s[0..n): optional sign, optional '$', digits with optional
 * thousands commas, optional fraction, optional trailing '%'.  Returns bytes consumed (0 = no
 * number). */
MM_API size_t mm_task_parse_number(const char *s, size_t n, double *v);
/* The answer after the last "####" (strict).  Returns 1 and sets *v when a number follows. */
MM_API int mm_task_extract_answer(const char *s, size_t n, double *v);
/* The last number in the text (lenient fallback for free-form outputs). */
MM_API int mm_task_last_number(const char *s, size_t n, double *v);
/* Numbers equal up to 1e-6 relative (1e-9 absolute near zero). */
MM_API bool mm_task_same_number(double a, double b);
/* Evaluate an arithmetic expression (+ - * / parentheses, numbers as mm_task_parse_number,
 * spaces, x and × as multiplication).  Returns 1 and sets *v on success. */
MM_API int mm_task_eval_expr(const char *s, size_t n, double *v);

#endif
