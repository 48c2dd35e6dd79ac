/* tests/fuzz/fuzz_answer.c — answer extraction, number parsing, expression evaluation and
 * per-step checks on arbitrary bytes (model outputs and GSM8K answers are untrusted text). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rl/answer.h"
#include "rl/task.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    double v;
    (void)mm_task_extract_answer(s, size, &v);
    (void)mm_task_last_number(s, size, &v);
    size_t k = mm_task_parse_number(s, size, &v);
    if (k > size) abort();
    (void)mm_task_eval_expr(s, size, &v);
    double vals[3] = {1, 2, 3};
    mm_task_item it = {.question = "q",
                       .solution = "1+2=3\n#### 3",
                       .answer = 3,
                       .nsteps = 3,
                       .step_values = vals,
                       .gold = "3"};
    mm_task_step st[16];
    int ns = mm_task_steps(&it, s, size, st, 16);
    size_t prev = 0;
    for (int i = 0; i < ns; i++) { /* steps tile the output in order */
        if (st[i].begin != prev || st[i].end <= st[i].begin || st[i].end > size) abort();
        prev = st[i].end;
    }
    if (size && prev != size) abort();
    mm_reward r = mm_task_reward(&it, s, size, 0.5, 0);
    if (r.correct && !r.formatted) abort();
    if (r.has_answer && r.ans_off + r.ans_len > size) abort();
    /* the checker: an answer equals itself; the first half of the input against the second */
    size_t off, len;
    if (mm_answer_extract(s, size, MM_ANSWER_LAST_NUMBER, &off, &len) != MM_ANSWER_NONE &&
        off + len > size)
        abort();
    (void)mm_answer_equal(s, size / 2, s + size / 2, size - size / 2);
    if (!mm_answer_equal(s, size, s, size)) abort();
    (void)mm_answer_choice(s, size, 4);
    char norm[256];
    if (mm_answer_normalize(s, size, norm, sizeof norm) >= sizeof norm) abort();
    double vars[64] = {0};
    (void)mm_answer_eval(s, size, vars, &v);
    mm_task_item mc = {.question = "q", .solution = "", .answer = NAN, .gold = "B", .nopts = 4};
    if (mm_task_check(&mc, "B", 1) != 1) abort();
    (void)mm_task_check(&mc, s, size);
    return 0;
}
