/* tests/fuzz/fuzz_ftmodel.c — the fastText model parser and scorer on arbitrary bytes: parse,
 * and when the file passes validation, build the scorer and score a few lines (known words,
 * unknown words, labels, long tokens).  Nothing may crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classifier/classifier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mm_clf_model_info info;
    if (mm_clf_model_check_mem(data, size, &info) != MM_OK) return 0;
    mm_clf_scorer_opts o;
    mm_clf_scorer_opts_default(&o);
    mm_clf_scorer *s;
    if (mm_clf_scorer_open_mem(data, size, &o, &s) != MM_OK) {
        /* the scorer may still refuse (no such label): then try the first label */
        o.label = "__label__other";
        if (mm_clf_scorer_open_mem(data, size, &o, &s) != MM_OK) return 0;
    }
    mm_clf_ctx *c;
    if (mm_clf_ctx_create(s, &c) == MM_OK) {
        static const char *lines[] = {
            "the cat sat on the mat", "", "__label__math x y z",
            "$ \\frac { 1 } { 2 } $ ünïcödé 数学",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
        float probs[64];
        for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
            (void)mm_clf_score_line(c, lines[i], strlen(lines[i]));
            if (info.nlabels <= 64) (void)mm_clf_predict_line(c, lines[i], strlen(lines[i]), probs);
        }
        (void)mm_clf_score_text(c, "Some Text, with $x$.", 20);
        mm_clf_ctx_free(c);
    }
    mm_clf_scorer_close(s);
    return 0;
}
