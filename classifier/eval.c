/* classifier/eval.c — ROC-AUC, precision/recall/F1 at a threshold, the threshold that reaches a
 * target precision, and the PR curve as SVG.  "score >= threshold" means predicted positive. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier.h"
#include "common/svg.h"

typedef struct sc {
    float s;
    bool pos;
} sc;

static int cmp_desc(const void *a, const void *b) {
    float x = ((const sc *)a)->s, y = ((const sc *)b)->s;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* All scores, labelled, sorted by score descending (NULL on OOM). */
static sc *merged(const float *pos, size_t npos, const float *neg, size_t nneg) {
    sc *a = malloc((npos + nneg + 1) * sizeof *a);
    if (!a) return NULL;
    for (size_t i = 0; i < npos; i++)
        a[i] = (sc){pos[i], true};
    for (size_t i = 0; i < nneg; i++)
        a[npos + i] = (sc){neg[i], false};
    qsort(a, npos + nneg, sizeof *a, cmp_desc);
    return a;
}

double mm_clf_roc_auc(const float *pos, size_t npos, const float *neg, size_t nneg) {
    if (!npos || !nneg) return NAN;
    sc *a = merged(pos, npos, neg, nneg);
    if (!a) return NAN;
    /* Walk groups of equal scores from the top: each negative in a group beats the positives
     * already above it, and ties count half. */
    double wins = 0, pos_above = 0;
    size_t n = npos + nneg;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double gp = 0, gn = 0;
        while (j < n && a[j].s == a[i].s)
            (a[j].pos ? gp++ : gn++), j++;
        wins += gn * pos_above + 0.5 * gn * gp;
        pos_above += gp;
        i = j;
    }
    free(a);
    return wins / ((double)npos * (double)nneg);
}

static void fill_point(mm_clf_eval_point *pt, double thr, uint64_t tp, uint64_t fp, size_t npos,
                       size_t nneg) {
    pt->threshold = thr;
    pt->tp = tp, pt->fp = fp, pt->fn = npos - tp, pt->tn = nneg - fp;
    pt->precision = tp + fp ? (double)tp / (double)(tp + fp) : 1.0;
    pt->recall = npos ? (double)tp / (double)npos : 0.0;
    double pr = pt->precision + pt->recall;
    pt->f1 = pr > 0 ? 2 * pt->precision * pt->recall / pr : 0.0;
}

void mm_clf_eval_at(const float *pos, size_t npos, const float *neg, size_t nneg, double threshold,
                    mm_clf_eval_point *pt) {
    uint64_t tp = 0, fp = 0;
    for (size_t i = 0; i < npos; i++)
        tp += pos[i] >= threshold;
    for (size_t i = 0; i < nneg; i++)
        fp += neg[i] >= threshold;
    fill_point(pt, threshold, tp, fp, npos, nneg);
}

bool mm_clf_threshold_for_precision(const float *pos, size_t npos, const float *neg, size_t nneg,
                                    double target, mm_clf_eval_point *pt) {
    sc *a = merged(pos, npos, neg, nneg);
    if (!a) return false;
    size_t n = npos + nneg;
    uint64_t tp = 0, fp = 0;
    bool found = false;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && a[j].s == a[i].s)
            (a[j].pos ? tp++ : fp++), j++;
        if ((double)tp / (double)(tp + fp) >= target) {
            fill_point(pt, a[i].s, tp, fp, npos, nneg); /* lower thresholds: more recall */
            found = true;
        }
        i = j;
    }
    free(a);
    return found;
}

mm_err mm_clf_pr_svg(const char *path, const float *pos, size_t npos, const float *neg, size_t nneg,
                     const char *title) {
    sc *a = merged(pos, npos, neg, nneg);
    size_t n = npos + nneg, maxp = 501;
    double *x = malloc(maxp * sizeof *x), *y = malloc(maxp * sizeof *y);
    if (!a || !x || !y) {
        free(a), free(x), free(y);
        return mm_fail(MM_ERR_NOMEM, "out of memory");
    }
    size_t np = 0, step = n / (maxp - 1) + 1;
    uint64_t tp = 0, fp = 0;
    for (size_t i = 0; i < n && np < maxp;) {
        size_t j = i;
        while (j < n && a[j].s == a[i].s)
            (a[j].pos ? tp++ : fp++), j++;
        if (np == 0 || j == n || j / step != i / step) {
            x[np] = npos ? (double)tp / (double)npos : 0;
            y[np] = (double)tp / (double)(tp + fp);
            np++;
        }
        i = j;
    }
    mm_svg_series s = {"precision", x, y, np};
    mm_err e =
        mm_svg_lines(path, title ? title : "precision / recall", "recall", "precision", &s, 1);
    free(a), free(x), free(y);
    return e;
}

/* ---- scoring the inputs of an evaluation ---- */

typedef struct score_job {
    mm_clf_ctx *c;
    volatile int *stop;
    float *v;
    size_t n, cap;
} score_job;

static mm_err score_one(void *arg, const char *text, size_t n) {
    score_job *j = arg;
    if (j->stop && *j->stop) return mm_fail(MM_ERR_IO, "interrupted");
    if (!n) return MM_OK;
    if (j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 1024;
        float *v = realloc(j->v, cap * sizeof *v);
        if (!v) return mm_fail(MM_ERR_NOMEM, "out of memory for %zu scores", cap);
        j->v = v, j->cap = cap;
    }
    j->v[j->n++] = mm_clf_score_text(j->c, text, n);
    return MM_OK;
}

mm_err mm_clf_score_inputs(mm_clf_ctx *c, const char *const *paths, size_t n, volatile int *stop,
                           float **scores, size_t *nscores, uint64_t *bad) {
    score_job j = {c, stop, NULL, 0, 0};
    mm_err e = mm_clf_read_inputs(paths, n, score_one, &j, bad);
    if (e != MM_OK) {
        free(j.v);
        j.v = NULL, j.n = 0;
    }
    *scores = j.v;
    *nscores = j.n;
    return e;
}
