/* classifier/eval.c — ROC-AUC, precision/recall/F1 at a threshold, the threshold that reaches a
 * target precision, and the PR curve as SVG.  "score >= threshold" means predicted positive. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier.h"
#include "common/json.h"
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

/* ---- the whole evaluation ---- */

mm_err mm_clf_evaluate(mm_clf_ctx *c, const char *const *pos, size_t npos, const char *const *neg,
                       size_t nneg, const double *thresholds, size_t nthresholds,
                       double target_precision, const char *svg, volatile int *stop,
                       mm_clf_eval_report *r) {
    memset(r, 0, sizeof *r);
    r->target_precision = target_precision;
    float *P = NULL, *N = NULL;
    mm_err e = mm_clf_score_inputs(c, pos, npos, stop, &P, &r->npos, &r->bad);
    if (e == MM_OK) e = mm_clf_score_inputs(c, neg, nneg, stop, &N, &r->nneg, &r->bad);
    if (e == MM_OK && (!r->npos || !r->nneg))
        e = mm_fail(MM_ERR_ARG, "one-class evaluation data: %zu positive, %zu negative documents",
                    r->npos, r->nneg);
    if (e == MM_OK && nthresholds && !(r->points = calloc(nthresholds, sizeof *r->points)))
        e = mm_fail(MM_ERR_NOMEM, "out of memory");
    if (e == MM_OK) {
        r->roc_auc = mm_clf_roc_auc(P, r->npos, N, r->nneg);
        for (size_t i = 0; i < nthresholds; i++)
            mm_clf_eval_at(P, r->npos, N, r->nneg, thresholds[i], &r->points[i]);
        r->npoints = nthresholds;
        r->target_reached =
            mm_clf_threshold_for_precision(P, r->npos, N, r->nneg, target_precision, &r->at_target);
        if (svg) e = mm_clf_pr_svg(svg, P, r->npos, N, r->nneg, "classifier precision / recall");
    }
    free(P), free(N);
    if (e != MM_OK) mm_clf_eval_report_free(r);
    return e;
}

mm_err mm_clf_eval_report_text(const mm_clf_eval_report *r, mm_buf *out) {
    MM_TRY(
        mm_buf_printf(out, "docs\tpos %zu\tneg %zu\troc_auc %.4f\n", r->npos, r->nneg, r->roc_auc));
    MM_TRY(mm_buf_printf(out, "threshold\tprecision\trecall\tf1\ttp\tfp\tfn\ttn\n"));
    for (size_t i = 0; i < r->npoints; i++) {
        const mm_clf_eval_point *pt = &r->points[i];
        MM_TRY(mm_buf_printf(out, "%g\t%.4f\t%.4f\t%.4f\t%llu\t%llu\t%llu\t%llu\n", pt->threshold,
                             pt->precision, pt->recall, pt->f1, (unsigned long long)pt->tp,
                             (unsigned long long)pt->fp, (unsigned long long)pt->fn,
                             (unsigned long long)pt->tn));
    }
    if (r->target_reached)
        return mm_buf_printf(
            out, "target precision %.3f: threshold %.6g (precision %.4f, recall %.4f)\n",
            r->target_precision, r->at_target.threshold, r->at_target.precision,
            r->at_target.recall);
    return mm_buf_printf(out, "target precision %.3f: not reached at any threshold\n",
                         r->target_precision);
}

mm_err mm_clf_eval_report_json(const mm_clf_eval_report *r, mm_buf *out) {
    mm_jw w;
    mm_jw_init(&w, out);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "pos"), mm_jw_uint(&w, r->npos);
    mm_jw_key(&w, "neg"), mm_jw_uint(&w, r->nneg);
    mm_jw_key(&w, "roc_auc"), mm_jw_double(&w, r->roc_auc);
    mm_jw_key(&w, "thresholds"), mm_jw_arr_begin(&w);
    for (size_t i = 0; i < r->npoints; i++) {
        const mm_clf_eval_point *pt = &r->points[i];
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "threshold"), mm_jw_double(&w, pt->threshold);
        mm_jw_key(&w, "precision"), mm_jw_double(&w, pt->precision);
        mm_jw_key(&w, "recall"), mm_jw_double(&w, pt->recall);
        mm_jw_key(&w, "f1"), mm_jw_double(&w, pt->f1);
        mm_jw_obj_end(&w);
    }
    mm_jw_arr_end(&w);
    mm_jw_key(&w, "target_precision"), mm_jw_double(&w, r->target_precision);
    if (r->target_reached) {
        mm_jw_key(&w, "threshold_for_target"), mm_jw_double(&w, r->at_target.threshold);
        mm_jw_key(&w, "recall_at_target"), mm_jw_double(&w, r->at_target.recall);
    }
    return mm_jw_obj_end(&w);
}

void mm_clf_eval_report_free(mm_clf_eval_report *r) {
    free(r->points);
    r->points = NULL, r->npoints = 0;
}
