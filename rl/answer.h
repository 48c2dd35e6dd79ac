/* rl/answer.h — final answers of math outputs: extraction and one checker for every
 * benchmark (GSM8K, MATH, MATH500, SVAMP, ASDiv, MAWPS, CMATH, MGSM-zh, Minerva OCW, the
 * multiple-choice sets).  Pure functions over byte ranges; nothing is printed or allocated
 * that outlives a call.  Fuzzed by tests/fuzz/fuzz_answer.c.
 *
 * Extraction (mm_answer_extract): the final answer is whichever of these markers comes last
 * in the text:
 *   \boxed{...} or \fbox{...}   the content, braces balanced (nested braces kept)
 *   #### ...                    the rest of that line (GSM8K)
 *   "The answer is ..."         the rest of the sentence (also "答案是", "answer:")
 * With MM_ANSWER_LAST_NUMBER, an output with none of them falls back to its last number
 * (lenient: a model that never learned a marker still gets scored; documented in
 * docs/grpo.md because it can reward a number that merely appears last).
 *
 * Equality (mm_answer_equal): both sides are normalised (LaTeX spacing, \left/\right,
 * \text{}/\mathrm{} unwrapped, $ and \$ and %, degrees, \dfrac/\tfrac → \frac, a leading
 * "x =" or "x \in", thousands separators, trailing units after a number: "9 (apples)",
 * "18 dollars", "5\text{ cm}").  Equal strings are equal; otherwise lists (top-level ',' or
 * ';': tuples and intervals compare in order with the same brackets, bare lists and sets
 * \{...\} in any order) compare element by element; otherwise both sides are evaluated as
 * expressions (fractions \frac34 \frac{3}{4} 3/4, mixed numbers 2\frac12 and "2 1/2", \sqrt,
 * powers, \pi, \sin..., implicit multiplication, variables) at fixed pseudo-random points
 * and compared with a relative tolerance of 1e-6; a gold answer written as a decimal with d
 * places also accepts any value that rounds to it (|pred - gold| <= 0.5·10^-d).
 *
 * Multiple choice (mm_answer_choice): the option letters an answer names: "B", "(B)",
 * "\text{(B)}", "b)", "Option B", "A, D", or else the last standalone capital letter. */
#ifndef MM_ANSWER_H
#define MM_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

enum { MM_ANSWER_LAST_NUMBER = 1 };

typedef enum {
    MM_ANSWER_NONE = 0,
    MM_ANSWER_BOXED,
    MM_ANSWER_HASHES, /* #### */
    MM_ANSWER_PHRASE, /* "The answer is" */
    MM_ANSWER_NUMBER, /* last-number fallback */
} mm_answer_marker;

/* Find the final answer of s[0..n).  Returns the marker found (NONE = no answer) and sets
 * [*off, *off + *len) to the answer's bytes, trimmed of spaces, '$' and a final '.'. */
MM_API mm_answer_marker mm_answer_extract(const char *s, size_t n, int flags, size_t *off,
                                          size_t *len);

/* The content of the last \\boxed{} / \\fbox{} of s[0..n) (trimmed); 1 when there is one. */
MM_API int mm_answer_boxed(const char *s, size_t n, size_t *off, size_t *len);

/* Does the predicted answer equal the gold answer (both bare answers, not whole outputs)?
 * Asymmetric only in the decimal rounding rule (the gold's decimal places set it). */
MM_API bool mm_answer_equal(const char *pred, size_t np, const char *gold, size_t ng);

/* The option letters named by the answer s[0..n) as a bit mask (bit 0 = A; "AD" and "A, D"
 * name two, as Gaokao's multi-answer items do), or 0.  `nopts` bounds the letters (0 = up
 * to E). */
MM_API unsigned mm_answer_choice(const char *s, size_t n, int nopts);

/* Normalise an answer into out (capacity cap; the result is NUL-terminated and truncated to
 * fit).  Returns the normalised length.  Exposed for tests and --dump. */
MM_API size_t mm_answer_normalize(const char *s, size_t n, char *out, size_t cap);

/* Evaluate a normalised answer as an expression with every variable (a letter or a Greek
 * letter command) set to vars[slot] (64 slots).  Returns 1 and *v on success. */
MM_API int mm_answer_eval(const char *s, size_t n, const double *vars, double *v);

#endif
