/* tests/fuzz/fuzz_answer.c — answer extraction, number parsing, expression evaluation and
 * per-step checks on arbitrary bytes (model outputs and GSM8K answers are untrusted text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    mm_task_item it = {.question = "q", .solution = "", .answer = 3, .nsteps = 3,
                       .step_values = vals};
    mm_task_step st[16];
    int ns = mm_task_steps(&it, s, size, st, 16);
    size_t prev = 0;
    for (int i = 0; i < ns; i++) { /* steps tile the output in order */
        if (st[i].begin != prev || st[i].end <= st[i].begin || st[i].end > size) abort();
        prev = st[i].end;
    }
    if (size && prev != size) abort();
    mm_reward r = mm_task_reward(&it, s, size, 0.5);
    if (r.correct && !r.formatted) abort();
    return 0;
}
