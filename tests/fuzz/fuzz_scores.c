/* Fuzz the two text formats `iterate` reads back: score files (mm_clf_scores_next, then the
 * bounded-memory selection cut against the exact sort) and a person's prefix annotations
 * (iter_load_annotations).  The first input byte picks the reader; the rest is the file.
 * Properties: no crash, no leak; every row read has a finite or NaN score and an id; the
 * histogram cut equals the exact sort's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifier/classifier.h"
#include "common/strmap.h"
#include "corpus/iterate_report.h"

static void scores(const char *path, unsigned mode) {
    mm_clf_scores *r;
    if (mm_clf_scores_open(path, &r) != MM_OK) return;
    mm_clf_score_row row;
    mm_err e;
    int k;
    while ((k = mm_clf_scores_next(r, &row, &e)) != 0 && e == MM_OK)
        if (k > 0 && (!row.id || !row.id[0] || !row.url || !row.domain)) abort();
    mm_clf_scores_close(r);
    const char *p[1] = {path};
    mm_select_mode m = mode & 1 ? MM_SELECT_TOP_TOKENS : MM_SELECT_TOP_FRAC;
    double v = mode & 1 ? (double)(mode >> 1) * 7 : ((mode >> 1) % 100 + 1) / 100.0;
    mm_select_cut a, b;
    if (mm_select_find_cut(p, 1, m, v, &a, NULL) == MM_OK &&
        mm_select_find_cut_exact(p, 1, m, v, &b) == MM_OK) {
        if (a.none != b.none) abort();
        if (!a.none &&
            (a.score != b.score || a.all_ties != b.all_ties || (!a.all_ties && strcmp(a.id, b.id))))
            abort();
        mm_select_cut_free(&b);
    }
    mm_select_cut_free(&a);
}

static void annotations(const char *path) {
    mm_strmap *allow = mm_strmap_create(), *deny = mm_strmap_create();
    if (allow && deny && iter_load_annotations(path, allow, deny) == MM_OK)
        for (size_t i = 0; i < mm_strmap_size(allow); i++) {
            const char *k = mm_strmap_key(allow, i);
            if (mm_strmap_find(deny, k, strlen(k)) >= 0) abort(); /* one decision per prefix */
        }
    mm_strmap_free(allow);
    mm_strmap_free(deny);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    char path[256];
    snprintf(path, sizeof path, "/tmp/fuzz_scores.%d.tsv", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    if (data[0] & 1)
        annotations(path);
    else
        scores(path, data[0] >> 1);
    unlink(path);
    return 0;
}
