/* classifier/train.c — training inputs (shards, plain text, fastText files) -> normalised,
 * labelled, shuffled fastText training file -> libfasttext -> model, plus a held-out check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifier/classifier.h"
#include "common/doc.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/progress.h"

void mm_clf_train_opts_default(mm_clf_train_opts *o) {
    memset(o, 0, sizeof *o);
    o->dim = 256;
    o->lr = 0.1;
    o->word_ngrams = 3;
    o->min_count = 3;
    o->epoch = 3;
    o->loss = "softmax";
    o->bucket = 2000000;
    o->neg = 5;
    o->ws = 5;
    o->lr_update_rate = 100;
    o->t = 1e-4;
    o->max_bytes = MM_CLF_MAX_BYTES_DEFAULT;
    o->min_chars = 1;
}

mm_err mm_clf_train_opts_check(const mm_clf_train_opts *o) {
    if (o->dim <= 0 || o->epoch <= 0 || !(o->lr > 0) || o->bucket < 0 || o->word_ngrams <= 0 ||
        o->min_count < 0 || o->minn < 0 || o->maxn < 0)
        return mm_fail(MM_ERR_ARG,
                       "bad fastText options (dim %d, epoch %d, lr %g, bucket %d, "
                       "wordNgrams %d, minCount %d, minn %d, maxn %d)",
                       o->dim, o->epoch, o->lr, o->bucket, o->word_ngrams, o->min_count, o->minn,
                       o->maxn);
    /* fastText hashes word and character n-grams modulo bucket: 0 buckets divides by zero */
    if (o->bucket == 0 && (o->word_ngrams > 1 || o->maxn > 0))
        return mm_fail(MM_ERR_ARG, "bucket 0 leaves no room for n-grams: use bucket >= 1, or "
                                   "word n-grams 1 and no character n-grams (maxn 0)");
    return MM_OK;
}

/* A class's documents: normalised strings, optionally a uniform sample of `want` of them
 * (reservoir sampling, Algorithm R, seeded). */
typedef struct docset {
    char **d;
    size_t n, cap;
    uint64_t seen, want;
    mm_rng rng;
} docset;

static mm_err docset_offer(docset *s, const char *p, size_t n) {
    s->seen++;
    size_t slot = s->n;
    if (s->want && s->n >= s->want) {
        uint64_t j = mm_rng_next(&s->rng) % s->seen;
        if (j >= s->want) return MM_OK;
        slot = (size_t)j;
    }
    char *copy = mm_strndup(p, n);
    if (!copy) return MM_ERR_NOMEM;
    if (slot < s->n) {
        free(s->d[slot]);
        s->d[slot] = copy;
        return MM_OK;
    }
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 1024;
        char **q = realloc(s->d, c * sizeof *q);
        if (!q) {
            free(copy);
            return mm_fail(MM_ERR_NOMEM, "out of memory collecting training documents");
        }
        s->d = q, s->cap = c;
    }
    s->d[s->n++] = copy;
    return MM_OK;
}

static void docset_free(docset *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->d[i]);
    free(s->d);
}

typedef struct reader_ctx {
    const mm_clf_train_opts *o;
    mm_clf_train_report *rep;
    mm_buf norm;
    docset *s;
} reader_ctx;

static mm_err offer_text(void *arg, const char *text, size_t n) {
    reader_ctx *rc = arg;
    if (rc->o->stop && *rc->o->stop) return mm_fail(MM_ERR_IO, "interrupted");
    mm_buf_clear(&rc->norm);
    MM_TRY(mm_clf_normalize(&rc->norm, text, n, rc->o->max_bytes));
    if (rc->norm.len < (rc->o->min_chars ? rc->o->min_chars : 1)) {
        rc->rep->skipped_empty++;
        return MM_OK;
    }
    return docset_offer(rc->s, rc->norm.data, rc->norm.len);
}

/* ---- the classifier's inputs (train and eval read them alike) ---- */

static bool is_shard(const char *p) {
    size_t n = strlen(p);
    return (n > 6 && !strcmp(p + n - 6, ".jsonl")) || (n > 10 && !strcmp(p + n - 10, ".jsonl.zst"));
}

static mm_err read_shard(const char *path, mm_clf_text_fn fn, void *arg, uint64_t *bad) {
    mm_doc_reader *r;
    MM_TRY(mm_doc_reader_open(path, &r));
    mm_doc_reader_light(r); /* the text is all it needs */
    mm_doc d;
    mm_err e = MM_OK;
    int k;
    while ((k = mm_doc_reader_next(r, &d, &e)) != 0 && e == MM_OK)
        if (k > 0 && (e = fn(arg, d.text, d.text_len)) != MM_OK) break;
    *bad += mm_doc_reader_bad(r);
    mm_doc_reader_close(r);
    return e;
}

/* Plain text (a document per line) or fastText format (leading __label__ tokens dropped). */
static mm_err read_lines(const char *path, mm_clf_text_fn fn, void *arg, uint64_t *bad) {
    mm_lines *r;
    MM_TRY(mm_lines_open(path, 64u << 20, &r));
    const char *line;
    size_t len;
    mm_err e = MM_OK;
    while (mm_lines_next(r, &line, &len, &e) == 1) {
        while (len >= 9 && !memcmp(line, "__label__", 9)) {
            while (len && *line != ' ' && *line != '\t')
                line++, len--;
            while (len && (*line == ' ' || *line == '\t'))
                line++, len--;
        }
        if ((e = fn(arg, line, len)) != MM_OK) break;
    }
    *bad += mm_lines_skipped_long(r);
    mm_lines_close(r);
    return e;
}

mm_err mm_clf_read_inputs(const char *const *paths, size_t n, mm_clf_text_fn fn, void *arg,
                          uint64_t *bad) {
    for (size_t i = 0; i < n; i++)
        MM_TRY(is_shard(paths[i]) ? read_shard(paths[i], fn, arg, bad)
                                  : read_lines(paths[i], fn, arg, bad));
    return MM_OK;
}

static mm_err read_inputs(reader_ctx *rc, const char *const *paths, size_t n, docset *s) {
    rc->s = s;
    return mm_clf_read_inputs(paths, n, offer_text, rc, &rc->rep->bad_lines);
}

static void shuffle(char **a, size_t n, mm_rng *r) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(mm_rng_next(r) % i);
        char *t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Held-out count for a class of n documents. */
static size_t holdout_count(size_t n, double frac) {
    if (frac <= 0 || n < 2) return 0;
    size_t k = (size_t)floor(frac * (double)n + 0.5);
    if (k == 0) k = 1;
    if (k >= n) k = n - 1;
    return k;
}

typedef struct labelled {
    const char *text;
    bool pos;
} labelled;

static mm_err write_train_file(const char *path, docset *pos, size_t pos_from, docset *neg,
                               size_t neg_from, mm_rng *rng) {
    size_t n = (pos->n - pos_from) + (neg->n - neg_from), k = 0;
    labelled *all = mm_malloc((n ? n : 1) * sizeof *all);
    if (!all) return MM_ERR_NOMEM;
    for (size_t i = pos_from; i < pos->n; i++)
        all[k++] = (labelled){pos->d[i], true};
    for (size_t i = neg_from; i < neg->n; i++)
        all[k++] = (labelled){neg->d[i], false};
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(mm_rng_next(rng) % i);
        labelled t = all[i - 1];
        all[i - 1] = all[j];
        all[j] = t;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        free(all);
        return mm_fail(MM_ERR_IO, "%s: cannot create the training file", path);
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s %s\n", all[i].pos ? MM_CLF_LABEL_POS : MM_CLF_LABEL_NEG, all[i].text);
    free(all);
    if (fclose(f) != 0) return mm_fail(MM_ERR_IO, "%s: write failed (disk full?)", path);
    return MM_OK;
}

static mm_err validate(const char *model, docset *pos, size_t npv, docset *neg, size_t nnv,
                       const mm_clf_train_opts *o, mm_clf_train_report *rep) {
    mm_clf_scorer_opts so;
    mm_clf_scorer_opts_default(&so);
    so.max_bytes = o->max_bytes;
    mm_clf_scorer *s;
    MM_TRY(mm_clf_scorer_open(model, &so, &s));
    mm_clf_ctx *c;
    mm_err e = mm_clf_ctx_create(s, &c);
    float *ps = mm_malloc((npv + 1) * sizeof *ps), *ns = mm_malloc((nnv + 1) * sizeof *ns);
    if (e == MM_OK && ps && ns) {
        for (size_t i = 0; i < npv; i++)
            ps[i] = mm_clf_score_line(c, pos->d[i], strlen(pos->d[i]));
        for (size_t i = 0; i < nnv; i++)
            ns[i] = mm_clf_score_line(c, neg->d[i], strlen(neg->d[i]));
        rep->valid_auc = mm_clf_roc_auc(ps, npv, ns, nnv);
        mm_clf_eval_point pt;
        mm_clf_eval_at(ps, npv, ns, nnv, 0.5, &pt);
        rep->valid_precision = pt.precision;
        rep->valid_recall = pt.recall;
        rep->valid_f1 = pt.f1;
        rep->valid_accuracy = (double)(pt.tp + pt.tn) / (double)(npv + nnv);
        if (o->keep_valid_scores) {
            rep->valid_pos_scores = ps, rep->valid_neg_scores = ns;
            ps = ns = NULL;
        }
    } else if (e == MM_OK) {
        e = MM_ERR_NOMEM;
    }
    free(ps);
    free(ns);
    mm_clf_ctx_free(c);
    mm_clf_scorer_close(s);
    return e;
}

mm_err mm_clf_train_files(const char *const *pos_paths, size_t npos, const char *const *neg_paths,
                          size_t nneg, const mm_clf_train_opts *opts, const char *model_out,
                          mm_clf_train_report *rep_out) {
    mm_clf_train_opts o;
    if (opts)
        o = *opts;
    else
        mm_clf_train_opts_default(&o);
    mm_clf_train_report rep0, *rep = rep_out ? rep_out : &rep0;
    memset(rep, 0, sizeof *rep);
    MM_TRY(mm_clf_train_opts_check(&o));
    if (!npos || !nneg)
        return mm_fail(MM_ERR_ARG,
                       "one-class training data: need positive and negative inputs "
                       "(%zu positive, %zu negative files)",
                       npos, nneg);
    docset pos = {0}, neg = {0};
    pos.want = o.pos_sample, neg.want = o.neg_sample;
    mm_rng_seed(&pos.rng, (uint64_t)o.seed * 2 + 1);
    mm_rng_seed(&neg.rng, (uint64_t)o.seed * 2 + 2);
    reader_ctx rc = {&o, rep, {0}, NULL};
    mm_err e = read_inputs(&rc, pos_paths, npos, &pos);
    if (e == MM_OK) e = read_inputs(&rc, neg_paths, nneg, &neg);
    mm_buf_free(&rc.norm);
    if (e == MM_OK && (!pos.n || !neg.n))
        e = mm_fail(MM_ERR_ARG,
                    "one-class training data: %zu positive and %zu negative "
                    "non-empty documents",
                    pos.n, neg.n);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d.train.txt", model_out, (int)getpid());
    mm_remove_stale_temps(model_out); /* left by a killed run */
    mm_rng rng;
    mm_rng_seed(&rng, (uint64_t)o.seed + 7);
    size_t npv = 0, nnv = 0;
    if (e == MM_OK) {
        shuffle(pos.d, pos.n, &rng);
        shuffle(neg.d, neg.n, &rng);
        npv = holdout_count(pos.n, o.valid_frac);
        nnv = holdout_count(neg.n, o.valid_frac);
        rep->pos_docs = pos.n - npv, rep->neg_docs = neg.n - nnv;
        rep->pos_valid = npv, rep->neg_valid = nnv;
        e = write_train_file(tmp, &pos, npv, &neg, nnv, &rng);
    }
    if (e == MM_OK && o.min_updates) {
        uint64_t docs = rep->pos_docs + rep->neg_docs;
        uint64_t want = (o.min_updates + docs - 1) / (docs ? docs : 1);
        if (want > (uint64_t)o.epoch) {
            o.epoch = want > 1000 ? 1000 : (int)want;
            if (o.small_lr > o.lr) o.lr = o.small_lr;
        }
    }
    rep->epochs = o.epoch;
    rep->lr = o.lr;
    if (e == MM_OK) {
        double t0 = mm_now();
        e = mm_ft_train_file(tmp, &o, model_out);
        rep->train_seconds = mm_now() - t0;
    }
    unlink(tmp);
    if (e == MM_OK) {
        mm_clf_model_info info;
        if ((e = mm_clf_model_check(model_out, &info)) == MM_OK)
            rep->vocab_words = (uint64_t)info.nwords, rep->vocab_labels = (uint64_t)info.nlabels;
    }
    if (e == MM_OK && npv && nnv) e = validate(model_out, &pos, npv, &neg, nnv, &o, rep);
    docset_free(&pos);
    docset_free(&neg);
    return e;
}
