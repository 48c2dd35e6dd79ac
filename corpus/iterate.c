/* corpus/iterate.c — the iteration driver (see corpus/iterate.h for the algorithm). */
#include "corpus/iterate.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/doc.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"
#include "corpus/iterate_report.h"
#include "corpus/iterate_stats.h"
#include "corpus/iterate_summary.h"

#define PATH_CAP 4096

void mm_iter_opts_default(mm_iter_opts *o) {
    memset(o, 0, sizeof *o);
    o->max_iter = 4;
    o->min_new = 0.02;
    o->collect_mode = MM_SELECT_THRESHOLD;
    o->collect_value = 0.5;
    o->pos_cap = 500000;
    o->neg_cap = 500000;
    o->valid_frac = 0.1;
    o->min_auc = 0.6;
    o->min_updates = 10000;
    o->domain_threshold = 0.10;
    o->domain_lift = 1.5;
    o->domain_min_pages = 5;
    o->prefix_threshold = 0.20;
    o->prefix_min_pages = 5;
    o->key = MM_ITER_KEY_HOST;
    mm_clf_train_opts_default(&o->train);
    o->train.threads = 1; /* bit-reproducible training */
    o->train.small_lr = 0.5;
}

/* Everything one iteration needs to know and carries to the next. */
typedef struct iter_state {
    const mm_iter_opts *o;
    int k;
    char dir[PATH_CAP], tmp[PATH_CAP];
    const mm_iter_summary *prev; /* the previous iteration's summary, NULL in iteration 1 */
    mm_idset *prev_collected;    /* only with exclude_collected */
    mm_select_cut cut;           /* which pages this iteration collects */
    mm_idset *positive_ids;
    char **stems; /* unique stems of the pool shards (score file names) */
    char **score_paths;
    float *vpos, *vneg; /* held-out scores of the classifier */
    uint64_t nvpos, nvneg;
    double score_sum, score_sq;
    iter_counts domains;        /* the report's top domains (domains.tsv is streamed) */
    iter_counts prefixes;       /* the prefixes of the math domains */
    bool *math_domain;          /* per index of `domains`: the report's top domains */
    mm_strmap *math_set;        /* this iteration's math domains */
    bool *prefix_chosen;        /* per prefix index */
    char **prefix_reason;       /* per prefix index, static strings */
    mm_strmap *prev_math;       /* math domains of the previous iteration */
    const mm_strmap *math_ever; /* math domains of every earlier iteration (neg_skip_math) */
    double hist[20];
    mm_iter_summary sum;
} iter_state;

static void path_in(char *out, const char *dir, const char *name) {
    snprintf(out, PATH_CAP, "%s/%s", dir, name);
}

/* The score file of the shard `stem` in an iteration's folder (iter-K or iter-K.tmp). */
static void score_path(char *out, const char *iter_dir, const char *stem) {
    snprintf(out, PATH_CAP, "%s/scores/%s.scores.tsv", iter_dir, stem);
}

static bool dir_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_shard(const char *p) {
    return strstr(p, ".jsonl") != NULL;
}

/* ---------------------------------------------------------------- configuration */

static mm_err config_json(const mm_iter_opts *o, mm_buf *b) {
    mm_jw w;
    mm_jw_init(&w, b);
    MM_TRY(mm_jw_obj_begin(&w));
    MM_TRY(mm_jw_key(&w, "positives"));
    MM_TRY(mm_jw_arr_begin(&w));
    for (size_t i = 0; i < o->npositives; i++)
        MM_TRY(mm_jw_string(&w, o->positives[i]));
    MM_TRY(mm_jw_arr_end(&w));
    MM_TRY(mm_jw_key(&w, "pool"));
    MM_TRY(mm_jw_arr_begin(&w));
    for (size_t i = 0; i < o->npool; i++)
        MM_TRY(mm_jw_string(&w, o->pool[i]));
    MM_TRY(mm_jw_arr_end(&w));
    static const char *const modes[] = {"threshold", "top-frac", "top-tokens"};
    MM_TRY(mm_jw_key(&w, "seed"));
    MM_TRY(mm_jw_uint(&w, o->seed));
    MM_TRY(mm_jw_key(&w, "collect"));
    MM_TRY(mm_jw_string(&w, modes[o->collect_mode]));
    MM_TRY(mm_jw_key(&w, "collect_value"));
    MM_TRY(mm_jw_double(&w, o->collect_value));
    MM_TRY(mm_jw_key(&w, "domain_threshold"));
    MM_TRY(mm_jw_double(&w, o->domain_threshold));
    MM_TRY(mm_jw_key(&w, "domain_lift"));
    MM_TRY(mm_jw_double(&w, o->domain_lift));
    MM_TRY(mm_jw_key(&w, "domain_min_pages"));
    MM_TRY(mm_jw_uint(&w, o->domain_min_pages));
    MM_TRY(mm_jw_key(&w, "prefix_threshold"));
    MM_TRY(mm_jw_double(&w, o->prefix_threshold));
    MM_TRY(mm_jw_key(&w, "prefix_min_pages"));
    MM_TRY(mm_jw_uint(&w, o->prefix_min_pages));
    MM_TRY(mm_jw_key(&w, "pos_cap"));
    MM_TRY(mm_jw_uint(&w, o->pos_cap));
    MM_TRY(mm_jw_key(&w, "neg_cap"));
    MM_TRY(mm_jw_uint(&w, o->neg_cap));
    MM_TRY(mm_jw_key(&w, "exclude_collected"));
    MM_TRY(mm_jw_bool(&w, o->exclude_collected));
    MM_TRY(mm_jw_key(&w, "neg_skip_math"));
    MM_TRY(mm_jw_bool(&w, o->neg_skip_math));
    MM_TRY(mm_jw_key(&w, "valid_frac"));
    MM_TRY(mm_jw_double(&w, o->valid_frac));
    MM_TRY(mm_jw_key(&w, "min_updates"));
    MM_TRY(mm_jw_uint(&w, o->min_updates));
    MM_TRY(mm_jw_key(&w, "tokens"));
    MM_TRY(mm_jw_string(&w, o->tokenizer ? o->tokenizer : "bytes/4"));
    MM_TRY(mm_jw_key(&w, "domain_key"));
    MM_TRY(mm_jw_string(&w, o->key == MM_ITER_KEY_HOST ? "host" : "domain"));
    const mm_clf_train_opts *t = &o->train;
    MM_TRY(mm_jw_key(&w, "fasttext"));
    MM_TRY(mm_jw_obj_begin(&w));
    MM_TRY(mm_jw_key(&w, "dim"));
    MM_TRY(mm_jw_int(&w, t->dim));
    MM_TRY(mm_jw_key(&w, "lr"));
    MM_TRY(mm_jw_double(&w, t->lr));
    MM_TRY(mm_jw_key(&w, "small_lr"));
    MM_TRY(mm_jw_double(&w, t->small_lr));
    MM_TRY(mm_jw_key(&w, "wordNgrams"));
    MM_TRY(mm_jw_int(&w, t->word_ngrams));
    MM_TRY(mm_jw_key(&w, "minCount"));
    MM_TRY(mm_jw_int(&w, t->min_count));
    MM_TRY(mm_jw_key(&w, "epoch"));
    MM_TRY(mm_jw_int(&w, t->epoch));
    MM_TRY(mm_jw_key(&w, "bucket"));
    MM_TRY(mm_jw_int(&w, t->bucket));
    MM_TRY(mm_jw_key(&w, "loss"));
    MM_TRY(mm_jw_string(&w, t->loss ? t->loss : "softmax"));
    MM_TRY(mm_jw_key(&w, "threads"));
    MM_TRY(mm_jw_int(&w, t->threads));
    MM_TRY(mm_jw_obj_end(&w));
    return mm_jw_obj_end(&w);
}

/* A new work dir gets config.json; an existing one must have been made with the same. */
static mm_err check_config(const mm_iter_opts *o) {
    char path[PATH_CAP];
    MM_TRY(mm_mkdirs(o->work_dir));
    path_in(path, o->work_dir, "config.json");
    mm_buf want = {0}, have = {0};
    mm_err e = config_json(o, &want);
    if (e == MM_OK) e = mm_buf_putc(&want, '\n');
    if (e == MM_OK && mm_file_done(path)) {
        e = mm_read_file(path, &have);
        if (e == MM_OK && strcmp(have.data, want.data)) {
            size_t i = 0;
            while (have.data[i] && have.data[i] == want.data[i])
                i++;
            e = mm_fail(MM_ERR_MISMATCH,
                        "%s was started with another configuration (config.json differs at byte "
                        "%zu: '%.40s'); use a new --work-dir, or the options it was started with",
                        o->work_dir, i, have.data + i);
        }
    } else if (e == MM_OK) {
        mm_out *out;
        e = mm_out_open(path, 0, &out);
        if (e == MM_OK) e = mm_out_write(out, want.data, want.len);
        if (e == MM_OK)
            e = mm_out_commit(out);
        else
            mm_out_abort(out);
    }
    mm_buf_free(&want);
    mm_buf_free(&have);
    return e;
}

/* ---------------------------------------------------------------- positives and negatives */

/* The training positives of iteration k: the seed, then every earlier iteration's additions. */
static mm_err positive_paths(const iter_state *s, char ***out, size_t *n) {
    const mm_iter_opts *o = s->o;
    char **p = mm_calloc(o->npositives + (size_t)s->k + 1, sizeof *p);
    if (!p) return MM_ERR_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < o->npositives; i++)
        p[m++] = strdup(o->positives[i]);
    for (int j = 1; j < s->k; j++) {
        char f[PATH_CAP];
        snprintf(f, sizeof f, "%s/iter-%d/new_positives.jsonl.zst", o->work_dir, j);
        if (mm_file_done(f)) p[m++] = strdup(f);
    }
    *out = p;
    *n = m;
    return MM_OK;
}

static void free_strs(char **p, size_t n) {
    if (!p) return;
    for (size_t i = 0; i < n; i++)
        free(p[i]);
    free(p);
}

/* Count documents (non-blank lines) in a file and remember the ids of shard documents. */
static mm_err count_positives(iter_state *s, const char *path, uint64_t *count) {
    if (!is_shard(path)) {
        mm_lines *r;
        MM_TRY(mm_lines_open(path, 0, &r));
        const char *l;
        size_t n;
        mm_err e;
        while (mm_lines_next(r, &l, &n, &e) == 1)
            if (n) (*count)++;
        mm_lines_close(r);
        return e;
    }
    mm_doc_reader *r;
    MM_TRY(mm_doc_reader_open(path, &r));
    mm_doc d;
    mm_err e = MM_OK;
    int rc;
    while ((rc = mm_doc_reader_next(r, &d, &e)) != 0) {
        if (rc < 0) continue;
        (*count)++;
        if (d.id[0] && (e = mm_idset_add(s->positive_ids, d.id, strlen(d.id))) != MM_OK) break;
    }
    mm_doc_reader_close(r);
    return e;
}

/* A max-heap of the k smallest sampling keys: the bottom-k sample of the eligible pages. */
typedef struct {
    uint64_t *v;
    size_t n, k;
} bottom_k;

static void heap_push(bottom_k *h, uint64_t x) {
    if (h->n < h->k) {
        size_t i = h->n++;
        h->v[i] = x;
        while (i && h->v[(i - 1) / 2] < h->v[i]) {
            uint64_t t = h->v[i];
            h->v[i] = h->v[(i - 1) / 2];
            h->v[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (!h->k || x >= h->v[0]) return;
    h->v[0] = x;
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->v[l] > h->v[m]) m = l;
        if (r < h->n && h->v[r] > h->v[m]) m = r;
        if (m == i) break;
        uint64_t t = h->v[i];
        h->v[i] = h->v[m];
        h->v[m] = t;
        i = m;
    }
}

static bool negative_eligible(const iter_state *s, const mm_doc *d) {
    size_t n = strlen(d->id);
    if (s->prev_collected && mm_idset_has(s->prev_collected, d->id, n)) return false;
    if (s->math_ever && mm_strmap_size(s->math_ever)) {
        char key[512];
        mm_iter_page_key(d->url, d->domain, s->o->key, key, sizeof key);
        if (mm_strmap_find(s->math_ever, key, strlen(key)) >= 0) return false;
    }
    return !mm_idset_has(s->positive_ids, d->id, n);
}

/* The sampling key of a page: a seeded hash of its URL (of its id when it has none), so that a
 * re-crawl of the same pages, whose WARC record ids and so document ids are new, draws the same
 * negatives. */
static uint64_t sample_key(const iter_state *s, const mm_doc *d) {
    const char *k = d->url && d->url[0] ? d->url : d->id;
    return mm_hash64(k, strlen(k), s->o->seed * 1000003u + (uint64_t)s->k);
}

/* Two passes over the pool: find the k-th smallest sampling key among eligible pages, then
 * write the pages at or below it.  Memory: k keys, whatever the pool size.  An empty output
 * (no eligible page) is still committed: the caller stops the run on it. */
static mm_err write_negatives(iter_state *s, uint64_t k, const char *out_path, uint64_t *written) {
    bottom_k h = {mm_calloc(k ? k : 1, sizeof(uint64_t)), 0, k};
    if (!h.v) return MM_ERR_NOMEM;
    mm_err e = MM_OK;
    uint64_t pages = 0;
    for (int pass = 0; pass < 2 && e == MM_OK; pass++) {
        uint64_t cut = h.n ? h.v[0] : 0;
        mm_out *out = NULL;
        if (pass == 1 && (e = mm_out_open(out_path, 3, &out)) != MM_OK) break;
        for (size_t i = 0; i < s->o->npool && e == MM_OK && (pass == 0 || h.n); i++) {
            mm_doc_reader *r;
            if ((e = mm_doc_reader_open(s->o->pool[i], &r)) != MM_OK) break;
            mm_doc d;
            int rc;
            while (e == MM_OK && (rc = mm_doc_reader_next(r, &d, &e)) != 0) {
                if (rc < 0) continue;
                pages += pass == 0;
                if (!negative_eligible(s, &d)) continue;
                uint64_t key = sample_key(s, &d);
                if (pass == 0)
                    heap_push(&h, key);
                else if (h.n == h.k ? key <= cut : true) {
                    e = mm_out_write(out, d.raw, d.raw_len);
                    if (e == MM_OK) e = mm_out_write(out, "\n", 1);
                    (*written)++;
                }
            }
            mm_doc_reader_close(r);
        }
        if (pass == 0 && e == MM_OK && pages == 0)
            e = mm_fail(MM_ERR_ARG, "the pool is empty: its %zu shard(s) hold no readable page",
                        s->o->npool);
        if (pass == 1) {
            if (e == MM_OK)
                e = mm_out_commit(out);
            else
                mm_out_abort(out);
        }
    }
    free(h.v);
    return e;
}

static mm_err count_lines(const char *path, uint64_t *n) {
    mm_lines *r;
    MM_TRY(mm_lines_open(path, 0, &r));
    const char *l;
    size_t len;
    mm_err e = MM_OK;
    *n = 0;
    while (mm_lines_next(r, &l, &len, &e) == 1)
        (*n)++;
    mm_lines_close(r);
    return e;
}

/* valid.tsv: the held-out documents' class and score, written after the model; an iteration
 * resumed with a model but no valid.tsv trains again. */
static mm_err write_valid(const char *path, const float *ps, uint64_t np, const float *ns,
                          uint64_t nn) {
    mm_buf b = {0};
    mm_buf_puts(&b, "class\tscore\n");
    for (uint64_t i = 0; i < np; i++)
        mm_buf_printf(&b, "pos\t%.7g\n", (double)ps[i]);
    for (uint64_t i = 0; i < nn; i++)
        mm_buf_printf(&b, "neg\t%.7g\n", (double)ns[i]);
    mm_err e = iter_write_whole(path, &b);
    mm_buf_free(&b);
    return e;
}

static mm_err read_valid(iter_state *s, const char *path) {
    uint64_t n;
    MM_TRY(count_lines(path, &n));
    s->vpos = mm_calloc(n + 1, sizeof *s->vpos);
    s->vneg = mm_calloc(n + 1, sizeof *s->vneg);
    if (!s->vpos || !s->vneg) return MM_ERR_NOMEM;
    mm_lines *r;
    MM_TRY(mm_lines_open(path, 0, &r));
    const char *l;
    size_t len;
    mm_err e = MM_OK;
    while (mm_lines_next(r, &l, &len, &e) == 1) {
        if (len < 5 || l[3] != '\t') continue;
        float v = strtof(l + 4, NULL);
        if (!memcmp(l, "pos", 3))
            s->vpos[s->nvpos++] = v;
        else if (!memcmp(l, "neg", 3))
            s->vneg[s->nvneg++] = v;
    }
    mm_lines_close(r);
    return e;
}

/* Train (unless model.bin and valid.tsv are there) on the positives and a negative sample.
 * Sets res->done to MM_ITER_DONE_NO_NEGATIVES when the pool has nothing left to draw from. */
static mm_err train_model(iter_state *s, mm_iter_result *res) {
    char model[PATH_CAP], negs[PATH_CAP], valid[PATH_CAP];
    path_in(model, s->tmp, "model.bin");
    path_in(negs, s->tmp, "negatives.jsonl.zst");
    path_in(valid, s->tmp, "valid.tsv");
    char **pos;
    size_t npos;
    MM_TRY(positive_paths(s, &pos, &npos));
    mm_err e = MM_OK;
    uint64_t count = 0;
    for (size_t i = 0; i < npos && e == MM_OK; i++)
        e = count_positives(s, pos[i], &count);
    s->sum.positives = count;
    if (e == MM_OK && count == 0)
        e = mm_fail(MM_ERR_ARG, "the seed has no usable documents (%zu file(s) given)",
                    s->o->npositives);
    uint64_t want = count < s->o->pos_cap || !s->o->pos_cap ? count : s->o->pos_cap;
    if (s->o->neg_cap && want > s->o->neg_cap) want = s->o->neg_cap;
    if (e == MM_OK && !mm_file_done(negs))
        e = write_negatives(s, want, negs, &s->sum.negatives);
    else if (e == MM_OK)
        e = count_lines(negs, &s->sum.negatives);
    if (e == MM_OK && s->sum.negatives == 0) {
        res->done = MM_ITER_DONE_NO_NEGATIVES;
        free_strs(pos, npos);
        return MM_OK;
    }
    if (e == MM_OK && (!mm_file_done(model) || !mm_file_done(valid))) {
        const char *negp[1] = {negs};
        mm_clf_train_opts t = s->o->train;
        t.seed = (int)(s->o->seed & 0x7fffffff);
        t.pos_sample = s->o->pos_cap;
        t.valid_frac = s->o->valid_frac;
        t.min_updates = s->o->min_updates;
        t.keep_valid_scores = true;
        mm_clf_train_report rep;
        e = mm_clf_train_files((const char *const *)pos, npos, negp, 1, &t, model, &rep);
        if (e == MM_OK)
            e = write_valid(valid, rep.valid_pos_scores, rep.pos_valid, rep.valid_neg_scores,
                            rep.neg_valid);
        free(rep.valid_pos_scores);
        free(rep.valid_neg_scores);
    }
    if (e == MM_OK) e = read_valid(s, valid);
    mm_clf_model_info info;
    if (e == MM_OK && (e = mm_clf_model_check(model, &info)) == MM_OK) s->sum.epochs = info.epoch;
    s->sum.valid_pos = s->nvpos, s->sum.valid_neg = s->nvneg;
    s->sum.valid_auc = mm_clf_roc_auc(s->vpos, s->nvpos, s->vneg, s->nvneg);
    free_strs(pos, npos);
    return e;
}

/* ---------------------------------------------------------------- scoring and collecting */

static mm_err score_pool(iter_state *s, mm_iter_result *res) {
    char model[PATH_CAP], sdir[PATH_CAP];
    path_in(model, s->tmp, "model.bin");
    path_in(sdir, s->tmp, "scores");
    MM_TRY(mm_mkdirs(sdir));
    mm_clf_scorer_opts so;
    mm_clf_scorer_opts_default(&so);
    so.tokens = s->o->tokens;
    /* Big models score 2-3x faster read into (huge-page) memory than mapped from the file,
     * where every random row read can fault; small ones load instantly either way. */
    struct stat model_st;
    so.preload = stat(model, &model_st) == 0 && model_st.st_size >= (64 << 20);
    s->score_paths = mm_calloc(s->o->npool, sizeof *s->score_paths);
    if (!s->score_paths) return MM_ERR_NOMEM;
    for (size_t i = 0; i < s->o->npool; i++) {
        s->score_paths[i] = mm_malloc(PATH_CAP);
        if (!s->score_paths[i]) return MM_ERR_NOMEM;
        score_path(s->score_paths[i], s->tmp, s->stems[i]);
    }
    if (s->o->wait_for_tasks) {
        size_t missing = 0;
        for (size_t i = 0; i < s->o->npool; i++)
            missing += !mm_file_done(s->score_paths[i]);
        if (missing) {
            res->done = MM_ITER_DONE_TASKS;
            res->tasks_missing = missing;
            snprintf(res->tasks_what, sizeof res->tasks_what, "scores");
            return MM_OK;
        }
    }
    mm_clf_scorer *sc;
    MM_TRY(mm_clf_scorer_open(model, &so, &sc));
    mm_clf_score_stats st = {0};
    mm_err e = mm_clf_score_shards(sc, s->o->pool, s->o->npool, 0, s->o->npool, sdir, s->o->threads,
                                   false, NULL, NULL, &st);
    mm_clf_scorer_close(sc);
    return e;
}

/* The cut line: none, all_ties, score (exact), id. */
static mm_err put_cut_line(mm_buf *b, const mm_select_cut *c) {
    return mm_buf_printf(b, "%d\t%d\t%.17g\t%s\n", c->none, c->all_ties, c->score,
                         c->id ? c->id : "");
}

/* The cut from the first line of `text` (read from `path`, which only names it in messages);
 * that line's newline becomes a NUL. */
static mm_err parse_cut(const char *path, char *text, mm_select_cut *c) {
    memset(c, 0, sizeof *c);
    if (!text) return mm_fail(MM_ERR_FORMAT, "%s: empty: not a cut line", path);
    text[strcspn(text, "\n")] = 0; /* the cut line alone (sscanf's \t skips newlines too) */
    int none = 0, ties = 0, at = 0;
    if (sscanf(text, "%d\t%d\t%lf\t%n", &none, &ties, &c->score, &at) < 3 || at <= 0)
        return mm_fail(MM_ERR_FORMAT, "%s: not a cut line (none, all_ties, score, id)", path);
    size_t n = strlen(text + at);
    c->none = none, c->all_ties = ties;
    c->id = n ? mm_strndup(text + at, n) : NULL;
    return n && !c->id ? MM_ERR_NOMEM : MM_OK;
}

/* The cut, written once the prefixes are decided: a map task that finds it may write its
 * shards' new positives.  One line, put_cut_line's. */
static mm_err write_cut(const char *path, const mm_select_cut *c) {
    mm_buf b = {0};
    mm_err e = put_cut_line(&b, c);
    if (e == MM_OK) e = iter_write_whole(path, &b);
    mm_buf_free(&b);
    return e;
}

static mm_err read_cut(const char *path, mm_select_cut *c) {
    mm_buf b = {0};
    MM_TRY(mm_read_file(path, &b));
    mm_err e = parse_cut(path, b.data, c);
    mm_buf_free(&b);
    return e;
}

/* collect.tsv: the cut line (as cut.tsv), then the collection's numbers (rows, selected,
 * tokens selected, the lowest selected score as an exact hex float).  Written after
 * collected.ids: count tasks wait for it, and a rerun of the driver reads it instead of finding
 * the cut again. */
static mm_err write_collect(const char *path, const mm_select_cut *c, const mm_select_stats *st) {
    mm_buf b = {0};
    mm_err e = put_cut_line(&b, c);
    if (e == MM_OK)
        e = mm_buf_printf(&b, "%llu\t%llu\t%llu\t%a\n", (unsigned long long)st->rows,
                          (unsigned long long)st->selected, (unsigned long long)st->tokens_selected,
                          st->cutoff);
    if (e == MM_OK) e = iter_write_whole(path, &b);
    mm_buf_free(&b);
    return e;
}

static mm_err read_collect(const char *path, mm_select_cut *c, mm_select_stats *st) {
    mm_buf b = {0};
    MM_TRY(mm_read_file(path, &b));
    const char *l2 = b.data ? strchr(b.data, '\n') : NULL; /* before parse_cut ends line 1 */
    unsigned long long rows, sel, tok;
    char cutoff[64];
    mm_err e = parse_cut(path, b.data, c);
    if (e == MM_OK &&
        (!l2 || sscanf(l2 + 1, "%llu\t%llu\t%llu\t%63s", &rows, &sel, &tok, cutoff) != 4))
        e = mm_fail(MM_ERR_FORMAT,
                    "%s: no collection line (rows, selected, tokens, cutoff): delete it and rerun",
                    path);
    else if (e == MM_OK)
        st->rows = rows, st->selected = sel, st->tokens_selected = tok,
        st->cutoff = strtod(cutoff, NULL);
    mm_buf_free(&b);
    return e;
}

/* The cut-off from score histograms (bounded memory), then collected.ids in pool order (both
 * once: a rerun reads collect.tsv), and the held-out precision and recall at the cut-off. */
static mm_err collect(iter_state *s) {
    char ids[PATH_CAP], cp[PATH_CAP];
    path_in(ids, s->tmp, "collected.ids");
    path_in(cp, s->tmp, "collect.tsv");
    mm_select_stats st = {0};
    const char *const *paths = (const char *const *)s->score_paths;
    if (mm_file_done(ids) && mm_file_done(cp)) {
        MM_TRY(read_collect(cp, &s->cut, &st));
    } else {
        MM_TRY(mm_select_find_cut(paths, s->o->npool, s->o->collect_mode, s->o->collect_value,
                                  &s->cut, &st.bad_lines));
        MM_TRY(mm_select_write_ids(paths, s->o->npool, &s->cut, ids, &st));
        MM_TRY(write_collect(cp, &s->cut, &st));
    }
    s->sum.pool_pages = st.rows;
    s->sum.collected = st.selected;
    s->sum.collected_tokens = st.tokens_selected;
    s->sum.cutoff = st.cutoff;
    s->sum.cut_none = s->cut.none, s->sum.cut_all_ties = s->cut.all_ties;
    s->sum.cut_score = s->cut.score;
    snprintf(s->sum.cut_id, sizeof s->sum.cut_id, "%s", s->cut.id ? s->cut.id : "");
    mm_clf_eval_point pt = {0};
    if (st.selected) mm_clf_eval_at(s->vpos, s->nvpos, s->vneg, s->nvneg, st.cutoff, &pt);
    s->sum.valid_precision = pt.precision, s->sum.valid_recall = pt.recall;
    return MM_OK;
}

/* The previous iteration's cut, from its summary. */
static void prev_cut(const mm_iter_summary *p, mm_select_cut *c) {
    memset(c, 0, sizeof *c);
    c->none = p->cut_none, c->all_ties = p->cut_all_ties, c->score = p->cut_score;
    c->id = (char *)p->cut_id; /* borrowed: never freed */
}

/* ---------------------------------------------------------------- counting (map) and merging */

/* Where shard i's count summary goes (corpus/iterate_summary.h). */
static void count_paths(const char *tmp, const char *stem, char *dom, char *pre) {
    snprintf(dom, PATH_CAP, "%s/counts/%s.domains.tsv", tmp, stem);
    snprintf(pre, PATH_CAP, "%s/counts/%s.prefixes.tsv", tmp, stem);
}

static bool count_done(const iter_state *s, size_t i) {
    char dom[PATH_CAP], pre[PATH_CAP];
    count_paths(s->tmp, s->stems[i], dom, pre);
    return mm_file_done(dom) && mm_file_done(pre);
}

typedef struct count_job {
    iter_state *s;
    const mm_select_cut *prev_cut; /* NULL in iteration 1 */
    size_t lo;
    size_t *done; /* per worker: shards counted */
} count_job;

static mm_err count_one(void *ctx, size_t j, int worker) {
    count_job *c = ctx;
    iter_state *s = c->s;
    size_t i = c->lo + j;
    if (count_done(s, i)) return MM_OK;
    char scores[PATH_CAP], prev[PATH_CAP], dom[PATH_CAP], pre[PATH_CAP];
    score_path(scores, s->tmp, s->stems[i]);
    char prev_dir[PATH_CAP];
    snprintf(prev_dir, sizeof prev_dir, "%s/iter-%d", s->o->work_dir, s->k - 1);
    score_path(prev, prev_dir, s->stems[i]);
    count_paths(s->tmp, s->stems[i], dom, pre);
    iter_count_in in = {scores,      c->prev_cut ? prev : NULL, &s->cut,
                        c->prev_cut, s->positive_ids,           s->o->key};
    MM_TRY(iter_count_shard(&in, dom, pre));
    c->done[worker]++;
    return MM_OK;
}

/* Count shards [lo, hi) that have no summary yet (threads); *counted = how many. */
static mm_err count_shards(iter_state *s, const mm_select_cut *prev_cut, size_t lo, size_t hi,
                           size_t *counted) {
    char dir[PATH_CAP];
    path_in(dir, s->tmp, "counts");
    MM_TRY(mm_mkdirs(dir));
    size_t nw = (size_t)mm_pool_threads(s->o->threads, hi - lo);
    count_job c = {s, prev_cut, lo, mm_calloc(nw ? nw : 1, sizeof(size_t))};
    if (!c.done) return MM_ERR_NOMEM;
    mm_err e = mm_pool_run(hi - lo, s->o->threads, count_one, &c);
    for (size_t w = 0; w < (nw ? nw : 1); w++)
        *counted += c.done[w];
    free(c.done);
    return e;
}

/* The driver's count pass: every shard without a summary; with wait_for_tasks none, and a
 * missing one stops the run for the count tasks. */
static mm_err count_pool(iter_state *s, mm_iter_result *res) {
    if (s->o->wait_for_tasks) {
        size_t missing = 0;
        for (size_t i = 0; i < s->o->npool; i++)
            missing += !count_done(s, i);
        if (missing) {
            res->done = MM_ITER_DONE_TASKS;
            res->tasks_missing = missing;
            snprintf(res->tasks_what, sizeof res->tasks_what, "counts");
        }
        return MM_OK;
    }
    mm_select_cut pc;
    if (s->prev) prev_cut(s->prev, &pc);
    size_t counted = 0;
    return count_shards(s, s->prev ? &pc : NULL, 0, s->o->npool, &counted);
}

/* The shards' totals, added in pool order (so the score sums do not depend on threads). */
static mm_err merge_totals(iter_state *s) {
    uint64_t hist[20] = {0};
    for (size_t i = 0; i < s->o->npool; i++) {
        char dom[PATH_CAP], pre[PATH_CAP];
        count_paths(s->tmp, s->stems[i], dom, pre);
        iter_totals t;
        MM_TRY(iter_read_totals(dom, &t));
        for (int b = 0; b < 20; b++)
            hist[b] += t.hist[b];
        s->sum.pool_positives += t.pool_positives;
        s->sum.collected_positives += t.collected_positives;
        s->sum.overlap_prev += t.overlap;
        s->score_sum += t.sum, s->score_sq += t.sq;
    }
    for (int b = 0; b < 20; b++)
        s->hist[b] = (double)hist[b];
    if (s->sum.pool_pages) {
        double n1 = (double)s->sum.pool_pages, m = s->score_sum / n1;
        s->sum.score_mean = m;
        s->sum.score_sd = sqrt(fmax(0, s->score_sq / n1 - m * m));
    }
    s->sum.new_share = 1;
    if (s->prev)
        s->sum.new_share =
            s->sum.collected ? 1.0 - (double)s->sum.overlap_prev / (double)s->sum.collected : 0;
    return MM_OK;
}

/* A merged prefix row ("prefix \t domain"): counted when its domain is math. */
static mm_err add_prefix(void *ctx, const char *key, const uint64_t v[3]) {
    iter_state *s = ctx;
    const char *tab = strchr(key, '\t');
    if (!tab) return mm_fail(MM_ERR_FORMAT, "count summary: prefix row without a domain: %s", key);
    if (mm_strmap_find(s->math_set, tab + 1, strlen(tab + 1)) < 0) return MM_OK;
    char p[1024];
    snprintf(p, sizeof p, "%.*s", (int)(tab - key), key);
    return iter_counts_add(&s->prefixes, p, v[0], v[1], v[2]);
}

/* Merge every shard's summary of one kind ("domains" or "prefixes") into emit. */
static mm_err merge_kind(iter_state *s, bool prefixes, iter_merge_emit emit, void *ctx) {
    char **paths = mm_calloc(s->o->npool ? s->o->npool : 1, sizeof *paths);
    if (!paths) return MM_ERR_NOMEM;
    mm_err e = MM_OK;
    for (size_t i = 0; i < s->o->npool && e == MM_OK; i++) {
        char dom[PATH_CAP], pre[PATH_CAP];
        count_paths(s->tmp, s->stems[i], dom, pre);
        if (!(paths[i] = strdup(prefixes ? pre : dom))) e = MM_ERR_NOMEM;
    }
    char tmp[PATH_CAP];
    snprintf(tmp, sizeof tmp, "%s/counts/merge-%s", s->tmp, prefixes ? "prefixes" : "domains");
    if (e == MM_OK) e = iter_merge_counts((const char *const *)paths, s->o->npool, tmp, emit, ctx);
    free_strs(paths, s->o->npool);
    return e;
}

static double share(uint64_t collected, uint64_t pages) {
    return pages ? (double)collected / (double)pages : 0;
}

/* The domain pass of the reduce, in bounded memory: each merged domain is decided as it
 * streams past (math or not: the cut needs only the totals), the math ones kept in a set, and
 * every one goes through an external sort into domains.tsv's order (pages, descending, then
 * domain), written as it leaves the sort; the report's top domains are kept on the way. */
typedef struct domain_pass {
    iter_state *s;
    iter_sorter *sort;
    mm_out *out;
} domain_pass;

static mm_err decide_domain(void *ctx, const char *key, const uint64_t v[3]) {
    domain_pass *d = ctx;
    iter_state *s = d->s;
    bool m = mm_iter_domain_is_math(v[0], v[1], s->sum.domain_cut, s->o->domain_min_pages);
    if (m) {
        s->sum.math_domains++;
        if (mm_strmap_put(s->math_set, key, strlen(key), NULL) < 0) return MM_ERR_NOMEM;
        if (!s->prev_math || mm_strmap_find(s->prev_math, key, strlen(key)) < 0)
            s->sum.domains_gained++;
    }
    char k[640]; /* a key that sorts by pages (descending), then domain */
    snprintf(k, sizeof k, "%016" PRIx64 "\t%s", UINT64_MAX - v[0], key);
    uint64_t row[3] = {v[0], v[1], m};
    return iter_sort_add(d->sort, k, row);
}

static mm_err write_domain(void *ctx, const char *key, const uint64_t v[3]) {
    domain_pass *d = ctx;
    iter_state *s = d->s;
    const char *name = key + 17;
    MM_TRY(iter_domains_row(d->out, name, v[0], v[1], v[2]));
    size_t top = mm_strmap_size(s->domains.keys);
    if (!v[1] || top >= 20) return MM_OK;
    s->math_domain[top] = v[2];
    return iter_counts_add(&s->domains, name, v[0], v[1], 0);
}

static mm_err domain_pass_run(iter_state *s) {
    /* The lift compares a host with the pool's pages that are not positives already. */
    s->sum.domain_cut = mm_iter_domain_cut(s->o->domain_threshold, s->o->domain_lift,
                                           s->sum.collected - s->sum.collected_positives,
                                           s->sum.pool_pages - s->sum.pool_positives);
    s->math_set = mm_strmap_create();
    s->math_domain = mm_calloc(20, sizeof *s->math_domain);
    if (!s->math_set || !s->math_domain) return MM_ERR_NOMEM;
    MM_TRY(iter_counts_init(&s->domains));
    char tmp[PATH_CAP];
    snprintf(tmp, sizeof tmp, "%s/counts/sort-domains", s->tmp);
    domain_pass d = {s, NULL, NULL};
    MM_TRY(iter_sort_open(tmp, &d.sort));
    mm_err e = merge_kind(s, false, decide_domain, &d);
    if (e != MM_OK) {
        iter_sort_free(d.sort);
        return e;
    }
    if ((e = iter_domains_open(s->tmp, &d.out)) != MM_OK) {
        iter_sort_free(d.sort);
        return e;
    }
    e = iter_sort_finish(d.sort, write_domain, &d);
    if (e == MM_OK) return mm_out_commit(d.out);
    mm_out_abort(d.out);
    return e;
}

static void count_domains_lost(iter_state *s) {
    size_t np = s->prev_math ? mm_strmap_size(s->prev_math) : 0;
    for (size_t i = 0; i < np; i++) {
        const char *k = mm_strmap_key(s->prev_math, i);
        if (mm_strmap_find(s->math_set, k, strlen(k)) < 0) s->sum.domains_lost++;
    }
}

/* The reduce: totals, domains (merged shard by shard, decided, sorted into domains.tsv), then
 * the prefixes of the math domains. */
static mm_err merge_counts(iter_state *s) {
    MM_TRY(merge_totals(s));
    MM_TRY(domain_pass_run(s));
    count_domains_lost(s);
    MM_TRY(iter_counts_init(&s->prefixes));
    return merge_kind(s, true, add_prefix, s);
}

/* ---------------------------------------------------------------- prefixes */

/* "host/a/b/" -> "host/a/"; NULL for "host/a/" and "host/" ("host/" holds only top-level
 * pages, so it is nobody's parent). */
static const char *parent_prefix(const char *p, char *out, size_t cap) {
    size_t n = strlen(p);
    if (n < 2) return NULL;
    const char *q = p + n - 2;
    while (q > p && *q != '/')
        q--;
    if (q == p || !memchr(p, '/', (size_t)(q - p))) return NULL;
    snprintf(out, cap, "%.*s", (int)(q - p + 1), p);
    return out;
}

/* Where a person's decisions for iteration k are read, and its candidates written. */
static void annotation_paths(const iter_state *s, char *decisions, char *candidates) {
    snprintf(decisions, PATH_CAP, "%s/annotations/iter-%d.tsv", s->o->work_dir, s->k);
    snprintf(candidates, PATH_CAP, "%s/annotations/iter-%d.candidates.tsv", s->o->work_dir, s->k);
}

/* Decisions for this iteration: the person's file of this iteration (with annotate), then the
 * run-wide --annotations file for prefixes it leaves open, then the rule. */
static mm_err load_decisions(const iter_state *s, mm_strmap *allow, mm_strmap *deny, bool *have) {
    char dec[PATH_CAP], cand[PATH_CAP];
    annotation_paths(s, dec, cand);
    *have = false;
    if (s->o->annotate && mm_file_done(dec)) {
        MM_TRY(iter_load_annotations(dec, allow, deny));
        *have = true;
    }
    if (s->o->annotations) MM_TRY(iter_load_annotations(s->o->annotations, allow, deny));
    return MM_OK;
}

static mm_err choose_prefixes(iter_state *s, mm_strmap *allow, mm_strmap *deny) {
    size_t n = mm_strmap_size(s->prefixes.keys);
    s->prefix_chosen = mm_calloc(n ? n : 1, sizeof *s->prefix_chosen);
    s->prefix_reason = mm_calloc(n ? n : 1, sizeof *s->prefix_reason);
    if (!s->prefix_chosen || !s->prefix_reason) return MM_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *k = mm_strmap_key(s->prefixes.keys, i);
        bool rule =
            share(s->prefixes.collected[i], s->prefixes.pages[i]) >= s->o->prefix_threshold &&
            s->prefixes.pages[i] >= s->o->prefix_min_pages;
        if (mm_strmap_find(allow, k, strlen(k)) >= 0) {
            s->prefix_chosen[i] = true;
            s->prefix_reason[i] = "annotated allow";
        } else if (mm_strmap_find(deny, k, strlen(k)) >= 0) {
            s->prefix_reason[i] = "annotated deny";
        } else {
            s->prefix_chosen[i] = rule;
            s->prefix_reason[i] = rule ? "rule: share and pages over thresholds"
                                       : "rule: share or pages under thresholds";
        }
    }
    /* a prefix under a chosen shorter prefix adds nothing */
    for (size_t i = 0; i < n; i++) {
        char par[1024], up[1024];
        const char *k = mm_strmap_key(s->prefixes.keys, i);
        if (!s->prefix_chosen[i]) continue;
        for (const char *q = k; parent_prefix(q, par, sizeof par) && strcmp(par, q);) {
            int64_t p = mm_strmap_find(s->prefixes.keys, par, strlen(par));
            if (p >= 0 && (size_t)p != i && s->prefix_chosen[p]) {
                s->prefix_chosen[i] = false;
                s->prefix_reason[i] = "covered by a chosen shorter prefix";
                break;
            }
            snprintf(up, sizeof up, "%s", par);
            q = up;
        }
    }
    for (size_t i = 0; i < n; i++)
        s->sum.math_prefixes += s->prefix_chosen[i];
    return MM_OK;
}

/* ---------------------------------------------------------------- new positives */

/* The chosen prefix a URL falls under (its shortest), or NULL. */
static const char *under_chosen(const mm_strmap *chosen, const char *url) {
    char p0[1024], p1[1024], p2[1024];
    mm_iter_url_prefixes(url, p0, p1, p2, sizeof p1);
    const char *cand[3] = {p0, p1, p2};
    for (int i = 0; i < 3; i++) {
        if (!cand[i][0]) continue;
        int64_t k = mm_strmap_find(chosen, cand[i], strlen(cand[i]));
        if (k >= 0) return mm_strmap_key(chosen, (size_t)k);
    }
    return NULL;
}

/* The score row of the next readable document of a shard: score files hold one row per
 * readable document, in shard order, so a shard and its score file are read side by side
 * instead of holding the collected ids in memory.  1 = row matches the document, 0 = the
 * document had no usable id (its row is skipped too); an error when the two disagree. */
static int next_row_of(mm_clf_scores *sc, const mm_doc *d, const char *score_path,
                       mm_clf_score_row *row, mm_err *e) {
    int rc = mm_clf_scores_next(sc, row, e);
    if (*e != MM_OK) return 0;
    if (rc == 0) {
        *e = mm_fail(MM_ERR_MISMATCH,
                     "%s: ends before document %s of its shard (score the "
                     "pool again: delete the iteration's scores/)",
                     score_path, d->id);
        return 0;
    }
    if (rc < 0 || !d->id[0]) return 0;
    if (strcmp(row->id, d->id)) {
        *e = mm_fail(MM_ERR_MISMATCH,
                     "%s: row for %s where its shard has %s (score the pool "
                     "again: delete the iteration's scores/)",
                     score_path, row->id, d->id);
        return 0;
    }
    return 1;
}

/* What the new-positive pass of one shard needs: the same for the driver and a map task. */
typedef struct newpos_ctx {
    const mm_iter_opts *o;
    int k;
    const char *tmp;           /* iter-K.tmp */
    const char *const *stems;  /* unique stems of the pool shards */
    const mm_select_cut *cut;  /* this iteration's collection */
    const mm_idset *positives; /* ids of the positives it trained on */
    const mm_strmap *chosen;   /* the math prefixes */
} newpos_ctx;

/* Where shard i's new positives go: newpos/<stem>.jsonl.zst and newpos/<stem>.tsv (the .tsv,
 * committed last, with a header line so that it is never empty, marks the shard done). */
static void newpos_paths(const newpos_ctx *c, size_t i, char *docs, char *prov) {
    snprintf(docs, PATH_CAP, "%s/newpos/%s.jsonl.zst", c->tmp, c->stems[i]);
    snprintf(prov, PATH_CAP, "%s/newpos/%s.tsv", c->tmp, c->stems[i]);
}

static const char NEWPOS_HEADER[] = "id\turl\tdomain\tprefix\titeration\n";

static mm_err newpos_scan(const newpos_ctx *c, size_t i, mm_out *od, mm_out *op) {
    char sp[PATH_CAP];
    score_path(sp, c->tmp, c->stems[i]);
    mm_doc_reader *r;
    MM_TRY(mm_doc_reader_open(c->o->pool[i], &r));
    mm_clf_scores *sc;
    mm_err e = mm_clf_scores_open(sp, &sc);
    if (e != MM_OK) {
        mm_doc_reader_close(r);
        return e;
    }
    mm_buf line = {0};
    mm_doc d;
    mm_clf_score_row row;
    int rc;
    while (e == MM_OK && (rc = mm_doc_reader_next(r, &d, &e)) != 0) {
        if (rc < 0) continue;
        if (next_row_of(sc, &d, sp, &row, &e) != 1) continue;
        if (mm_select_cut_has(c->cut, row.score, row.id) ||
            mm_idset_has(c->positives, d.id, strlen(d.id)))
            continue;
        const char *which = under_chosen(c->chosen, d.url);
        if (!which) continue;
        e = mm_out_write(od, d.raw, d.raw_len);
        if (e == MM_OK) e = mm_out_write(od, "\n", 1);
        mm_buf_clear(&line);
        mm_buf_printf(&line, "%s\t%s\t%s\t%s\t%d\n", d.id, d.url, d.domain, which, c->k);
        if (e == MM_OK) e = mm_out_write(op, line.data, line.len);
    }
    mm_buf_free(&line);
    mm_clf_scores_close(sc);
    mm_doc_reader_close(r);
    return e;
}

/* Open a pass's two outputs: its documents (zstd) and its positives' table, header written;
 * on failure neither is left open. */
static mm_err open_both(const char *docs, const char *prov, mm_out **od, mm_out **op) {
    MM_TRY(mm_out_open(docs, 3, od));
    mm_err e = mm_out_open(prov, 0, op);
    if (e != MM_OK) {
        mm_out_abort(*od);
        return e;
    }
    e = mm_out_write(*op, NEWPOS_HEADER, sizeof NEWPOS_HEADER - 1);
    if (e != MM_OK) {
        mm_out_abort(*od);
        mm_out_abort(*op);
    }
    return e;
}

/* Commit a pass's documents file, then its positives file; after an error (e != MM_OK, or the
 * first commit failing) abort what is left uncommitted. */
static mm_err commit_both(mm_err e, mm_out *od, mm_out *op) {
    if (e == MM_OK)
        e = mm_out_commit(od);
    else
        mm_out_abort(od);
    if (e == MM_OK)
        e = mm_out_commit(op);
    else
        mm_out_abort(op);
    return e;
}

/* The new positives of pool shard i: its pages under a chosen prefix that were neither
 * collected nor positives already.  A shard and its score file are read side by side, so no
 * set of collected ids is held in memory. */
static mm_err newpos_shard(const newpos_ctx *c, size_t i) {
    char docs[PATH_CAP], prov[PATH_CAP], dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s/newpos", c->tmp);
    MM_TRY(mm_mkdirs(dir));
    newpos_paths(c, i, docs, prov);
    mm_out *od, *op;
    mm_err e = open_both(docs, prov, &od, &op);
    if (e != MM_OK) return e;
    e = newpos_scan(c, i, od, op);
    return commit_both(e, od, op);
}

static bool newpos_done(const newpos_ctx *c, size_t i) {
    char docs[PATH_CAP], prov[PATH_CAP];
    newpos_paths(c, i, docs, prov);
    return mm_file_done(docs) && mm_file_done(prov);
}

/* Append every line of `path` but the first `skip` to `out`; counts the lines appended. */
static mm_err append_lines(const char *path, size_t skip, mm_out *out, uint64_t *n) {
    mm_lines *r;
    MM_TRY(mm_lines_open(path, 0, &r));
    const char *l;
    size_t len;
    mm_err e = MM_OK;
    for (size_t k = 0; e == MM_OK && mm_lines_next(r, &l, &len, &e) == 1; k++) {
        if (k < skip) continue;
        e = mm_out_write(out, l, len);
        if (e == MM_OK) e = mm_out_write(out, "\n", 1);
        if (n) (*n)++;
    }
    mm_lines_close(r);
    return e;
}

/* new_positives.jsonl.zst and new_positives.tsv: the shards' files in pool order (a map task
 * or the driver wrote each), so a task-split run writes what a single process does. */
static mm_err merge_new_positives(iter_state *s, const newpos_ctx *c) {
    char docs[PATH_CAP], prov[PATH_CAP];
    path_in(docs, s->tmp, "new_positives.jsonl.zst");
    path_in(prov, s->tmp, "new_positives.tsv");
    mm_out *od, *op;
    mm_err e = open_both(docs, prov, &od, &op);
    if (e != MM_OK) return e;
    s->sum.new_positives = 0;
    for (size_t i = 0; i < s->o->npool && e == MM_OK; i++) {
        char d[PATH_CAP], p[PATH_CAP];
        newpos_paths(c, i, d, p);
        e = append_lines(d, 0, od, NULL);
        if (e == MM_OK) e = append_lines(p, 1, op, &s->sum.new_positives);
    }
    return commit_both(e, od, op);
}

/* The chosen prefixes as a set (for the driver: from this iteration's decisions). */
static mm_err chosen_set(const iter_state *s, mm_strmap **out) {
    *out = mm_strmap_create();
    if (!*out) return MM_ERR_NOMEM;
    size_t n = mm_strmap_size(s->prefixes.keys);
    for (size_t i = 0; i < n; i++) {
        const char *k = mm_strmap_key(s->prefixes.keys, i);
        if (s->prefix_chosen[i] && mm_strmap_put(*out, k, strlen(k), NULL) < 0) return MM_ERR_NOMEM;
    }
    return MM_OK;
}

/* The driver's new-positive pass: every shard a map task has not done yet, then the merge.
 * With wait_for_tasks it does none itself: a missing shard stops the run for the tasks. */
static mm_err add_new_positives(iter_state *s, mm_iter_result *res) {
    char cutp[PATH_CAP];
    path_in(cutp, s->tmp, "cut.tsv");
    MM_TRY(write_cut(cutp, &s->cut));
    mm_strmap *chosen;
    mm_err e = chosen_set(s, &chosen);
    newpos_ctx c = {s->o,  s->k, s->tmp, (const char *const *)s->stems, &s->cut, s->positive_ids,
                    chosen};
    size_t missing = 0;
    for (size_t i = 0; i < s->o->npool && e == MM_OK; i++) {
        /* alone, the driver redoes every shard: files left by an earlier run (another
         * person's decisions, say) are never taken on trust */
        if (!s->o->wait_for_tasks)
            e = newpos_shard(&c, i);
        else if (!newpos_done(&c, i))
            missing++;
    }
    if (e == MM_OK && missing) {
        res->done = MM_ITER_DONE_TASKS;
        res->tasks_missing = missing;
        snprintf(res->tasks_what, sizeof res->tasks_what, "new positives");
    } else if (e == MM_OK) {
        e = merge_new_positives(s, &c);
    }
    mm_strmap_free(chosen);
    return e;
}

/* ---------------------------------------------------------------- one iteration */

/* Train and validate; false when the run stops here (no negatives, or no signal). */
static mm_err train_and_check(iter_state *s, mm_iter_result *res, bool *go_on) {
    *go_on = false;
    MM_TRY(train_model(s, res));
    if (res->done == MM_ITER_DONE_NO_NEGATIVES) return MM_OK;
    if (!isnan(s->sum.valid_auc) && s->sum.valid_auc < s->o->min_auc) {
        res->done = MM_ITER_DONE_NO_SIGNAL;
        return MM_OK;
    }
    *go_on = true;
    return MM_OK;
}

static mm_err domains_and_prefixes(iter_state *s, mm_iter_result *res) {
    MM_TRY(merge_counts(s));
    mm_strmap *allow = mm_strmap_create(), *deny = mm_strmap_create();
    bool have = false;
    mm_err e = allow && deny ? MM_OK : mm_fail(MM_ERR_NOMEM, "annotations");
    if (e == MM_OK) e = load_decisions(s, allow, deny, &have);
    if (e == MM_OK) e = choose_prefixes(s, allow, deny);
    mm_strmap_free(allow);
    mm_strmap_free(deny);
    MM_TRY(e);
    char p[PATH_CAP], dec[PATH_CAP], cand[PATH_CAP];
    path_in(p, s->tmp, "prefixes.tsv");
    annotation_paths(s, dec, cand);
    bool wait = s->o->annotate && !have;
    MM_TRY(iter_write_prefixes(p, &s->prefixes, s->prefix_chosen,
                               (const char *const *)s->prefix_reason, false));
    if (wait) {
        char dir[PATH_CAP];
        snprintf(dir, sizeof dir, "%s/annotations", s->o->work_dir);
        MM_TRY(mm_mkdirs(dir));
        MM_TRY(iter_write_prefixes(cand, &s->prefixes, s->prefix_chosen,
                                   (const char *const *)s->prefix_reason, true));
        res->done = MM_ITER_DONE_ANNOTATE;
        snprintf(res->annotate_path, sizeof res->annotate_path, "%s", cand);
        snprintf(res->decisions_path, sizeof res->decisions_path, "%s", dec);
        return MM_OK;
    }
    if (have) {
        char copy[PATH_CAP];
        path_in(copy, s->tmp, "annotations.tsv");
        MM_TRY(iter_copy_file(dec, copy));
    } else if (s->o->annotations) {
        char copy[PATH_CAP];
        path_in(copy, s->tmp, "annotations.tsv");
        MM_TRY(iter_copy_file(s->o->annotations, copy));
    }
    return MM_OK;
}

/* Every step of an iteration is tried only while the caller has not asked to stop (Ctrl-C:
 * opts.train.stop); the uncommitted iter-K.tmp/ is picked up again by the next run. */
#define ITER_STEP(s, expr)                                                                         \
    do {                                                                                           \
        if ((s)->o->train.stop && *(s)->o->train.stop)                                             \
            return mm_fail(MM_ERR_IO, "%s: interrupted", (s)->tmp);                                \
        MM_TRY(expr);                                                                              \
    } while (0)

static mm_err run_iteration(iter_state *s, mm_iter_result *res) {
    double t0 = mm_now();
    ITER_STEP(s, mm_mkdirs(s->tmp));
    bool go_on;
    ITER_STEP(s, train_and_check(s, res, &go_on));
    if (!go_on) return MM_OK;
    ITER_STEP(s, score_pool(s, res));
    if (res->done == MM_ITER_DONE_TASKS) return MM_OK;
    ITER_STEP(s, collect(s));
    ITER_STEP(s, count_pool(s, res));
    if (res->done == MM_ITER_DONE_TASKS) return MM_OK;
    ITER_STEP(s, domains_and_prefixes(s, res));
    if (res->done == MM_ITER_DONE_ANNOTATE) return MM_OK;
    ITER_STEP(s, add_new_positives(s, res));
    if (res->done == MM_ITER_DONE_TASKS) return MM_OK;
    s->sum.seconds = mm_now() - t0;
    ITER_STEP(s, iter_write_report(s->tmp, &s->sum, s->hist, &s->domains, s->math_domain));
    if (rename(s->tmp, s->dir))
        return mm_fail(MM_ERR_IO, "committing %s as %s: %s", s->tmp, s->dir, strerror(errno));
    return MM_OK;
}

static void state_free(iter_state *s) {
    mm_idset_free(s->prev_collected);
    mm_idset_free(s->positive_ids);
    mm_select_cut_free(&s->cut);
    if (s->score_paths) free_strs(s->score_paths, s->o->npool);
    iter_counts_free(&s->domains);
    iter_counts_free(&s->prefixes);
    free(s->math_domain);
    mm_strmap_free(s->math_set);
    free(s->prefix_chosen);
    free(s->prefix_reason);
    free(s->vpos);
    free(s->vneg);
}

/* Add the math domains of a finished iteration, from its domains.tsv, to *out (created when
 * NULL). */
static mm_err load_math_domains(const char *dir, mm_strmap **out) {
    char p[PATH_CAP];
    path_in(p, dir, "domains.tsv");
    if (!*out) *out = mm_strmap_create();
    if (!*out) return MM_ERR_NOMEM;
    mm_lines *r;
    MM_TRY(mm_lines_open(p, 0, &r));
    const char *l;
    size_t n;
    mm_err e;
    while (mm_lines_next(r, &l, &n, &e) == 1) {
        const char *tab = memchr(l, '\t', n);
        if (tab && n > 2 && l[n - 1] == '1' && l[n - 2] == '\t')
            mm_strmap_put(*out, l, (size_t)(tab - l), NULL);
    }
    mm_lines_close(r);
    return e;
}

int mm_iter_stop_after(const mm_iter_opts *o, const mm_iter_summary *s) {
    if (s->iter >= 2 && s->new_share < o->min_new) return MM_ITER_DONE_CONVERGED;
    if (s->new_positives == 0) return MM_ITER_DONE_NO_NEW;
    if (s->iter >= o->max_iter) return MM_ITER_DONE_MAX;
    return -1;
}

/* Set up iteration k's state (what it carries over from k-1). */
static mm_err state_init(iter_state *s, const mm_iter_opts *o, int k, char **stems,
                         const mm_iter_summary *prev, mm_strmap *prev_math) {
    memset(s, 0, sizeof *s);
    s->o = o, s->k = k, s->stems = stems, s->prev = prev, s->prev_math = prev_math;
    s->sum.iter = k;
    snprintf(s->dir, sizeof s->dir, "%s/iter-%d", o->work_dir, k);
    snprintf(s->tmp, sizeof s->tmp, "%s/iter-%d.tmp", o->work_dir, k);
    MM_TRY(mm_idset_create(&s->positive_ids));
    if (prev && o->exclude_collected) {
        char ids[PATH_CAP];
        snprintf(ids, sizeof ids, "%s/iter-%d/collected.ids", o->work_dir, k - 1);
        MM_TRY(mm_idset_load(ids, &s->prev_collected));
    }
    return MM_OK;
}

static mm_err run_all(const mm_iter_opts *o, char **stems, mm_iter_summary *all,
                      mm_iter_event_fn on_iter, void *arg, mm_iter_result *res) {
    mm_strmap *prev_math = NULL, *math_ever = NULL;
    mm_err e = MM_OK;
    res->done = MM_ITER_DONE_MAX;
    for (int k = 1; k <= o->max_iter && e == MM_OK; k++) {
        iter_state s;
        e = state_init(&s, o, k, stems, k > 1 ? &all[k - 2] : NULL, prev_math);
        if (o->neg_skip_math) s.math_ever = math_ever;
        bool resumed = e == MM_OK && dir_exists(s.dir);
        if (e == MM_OK) e = resumed ? iter_read_summary(s.dir, &s.sum) : run_iteration(&s, res);
        s.sum.iter = k;
        bool stopped_inside = e == MM_OK && !resumed && res->done != MM_ITER_DONE_MAX;
        if (stopped_inside) res->last = s.sum;
        if (e == MM_OK && !stopped_inside) {
            all[k - 1] = s.sum;
            res->iterations = k;
            res->last = s.sum;
            if (on_iter) on_iter(arg, &s.sum, resumed);
        }
        state_free(&s);
        mm_strmap_free(prev_math);
        prev_math = NULL;
        if (e != MM_OK || stopped_inside) break;
        if ((e = load_math_domains(s.dir, &prev_math)) != MM_OK) break;
        if (o->neg_skip_math && (e = load_math_domains(s.dir, &math_ever)) != MM_OK) break;
        int stop = mm_iter_stop_after(o, &all[k - 1]);
        if (stop >= 0) {
            res->done = (mm_iter_done)stop;
            break;
        }
    }
    mm_strmap_free(prev_math);
    mm_strmap_free(math_ever);
    return e;
}

mm_err mm_iter_run(const mm_iter_opts *o, mm_iter_event_fn on_iter, void *arg,
                   mm_iter_result *res) {
    memset(res, 0, sizeof *res);
    if (!o->npool)
        return mm_fail(MM_ERR_ARG, "the pool is empty: give document shards with --pool");
    if (!o->npositives) return mm_fail(MM_ERR_ARG, "no seed: give --positives");
    MM_TRY(check_config(o));
    char **stems;
    MM_TRY(mm_clf_unique_stems(o->pool, o->npool, &stems));
    mm_iter_summary *all = mm_calloc((size_t)o->max_iter + 1, sizeof *all);
    mm_err e = all ? run_all(o, stems, all, on_iter, arg, res) : MM_ERR_NOMEM;
    if (e == MM_OK && res->iterations > 0)
        e = iter_write_final(o->work_dir, all, (size_t)res->iterations);
    mm_clf_free_stems(stems, o->npool);
    free(all);
    return e;
}

/* ---------------------------------------------------------------- map tasks */

/* The first iteration not committed yet, 0 when every one up to max_iter is. */
static int iteration_in_progress(const mm_iter_opts *o) {
    for (int k = 1; k <= o->max_iter; k++) {
        char d[PATH_CAP];
        snprintf(d, sizeof d, "%s/iter-%d", o->work_dir, k);
        if (!dir_exists(d)) return k;
    }
    return 0;
}

static mm_err count_task(iter_state *s, size_t lo, size_t hi, mm_iter_map_result *r);

/* The score tasks' work: score their shards.  With --threshold the cut is known already (the
 * threshold), so they count their shards too, while the score files are fresh: the count
 * tasks then find nothing left to do. */
static mm_err map_score(iter_state *s, size_t lo, size_t hi, mm_iter_map_result *r) {
    char model[PATH_CAP], sdir[PATH_CAP];
    path_in(model, s->tmp, "model.bin");
    path_in(sdir, s->tmp, "scores");
    mm_clf_scorer_opts so;
    mm_clf_scorer_opts_default(&so);
    so.tokens = s->o->tokens;
    mm_clf_scorer *sc;
    MM_TRY(mm_clf_scorer_open(model, &so, &sc));
    mm_clf_score_stats st = {0};
    mm_err e = mm_clf_score_shards(sc, s->o->pool, s->o->npool, lo, hi, sdir, s->o->threads, false,
                                   NULL, NULL, &st);
    mm_clf_scorer_close(sc);
    r->scored = st.files;
    if (e != MM_OK || s->o->collect_mode != MM_SELECT_THRESHOLD) return e;
    /* the driver's cut (collect) for a threshold: it reads no score row */
    MM_TRY(mm_select_find_cut(NULL, 0, MM_SELECT_THRESHOLD, s->o->collect_value, &s->cut, NULL));
    return count_task(s, lo, hi, r);
}

/* The positives' ids, as the driver's training counted them. */
static mm_err load_positive_ids(iter_state *s) {
    char **pos;
    size_t npos;
    MM_TRY(positive_paths(s, &pos, &npos));
    uint64_t count = 0;
    mm_err e = MM_OK;
    for (size_t i = 0; i < npos && e == MM_OK; i++)
        e = count_positives(s, pos[i], &count);
    free_strs(pos, npos);
    return e;
}

/* Count shards [lo, hi) with the cut in s->cut, the positives' ids and the previous
 * iteration's cut (from its report) for the overlap. */
static mm_err count_task(iter_state *s, size_t lo, size_t hi, mm_iter_map_result *r) {
    MM_TRY(load_positive_ids(s));
    mm_iter_summary prev;
    mm_select_cut pc;
    if (s->k > 1) {
        char pd[PATH_CAP];
        snprintf(pd, sizeof pd, "%s/iter-%d", s->o->work_dir, s->k - 1);
        MM_TRY(iter_read_summary(pd, &prev));
        prev_cut(&prev, &pc);
    }
    return count_shards(s, s->k > 1 ? &pc : NULL, lo, hi, &r->counted);
}

/* The count tasks' work: summaries of their shards, with the cut the driver decided
 * (collect.tsv). */
static mm_err map_count(iter_state *s, size_t lo, size_t hi, mm_iter_map_result *r) {
    char cp[PATH_CAP];
    path_in(cp, s->tmp, "collect.tsv");
    mm_select_stats st;
    MM_TRY(read_collect(cp, &s->cut, &st));
    return count_task(s, lo, hi, r);
}

static mm_err map_newpos(iter_state *s, size_t lo, size_t hi, mm_iter_map_result *r) {
    char cutp[PATH_CAP], prefp[PATH_CAP];
    path_in(cutp, s->tmp, "cut.tsv");
    path_in(prefp, s->tmp, "prefixes.tsv");
    MM_TRY(read_cut(cutp, &s->cut));
    MM_TRY(load_positive_ids(s));
    mm_strmap *chosen = mm_strmap_create(), *deny = mm_strmap_create();
    mm_err e = chosen && deny ? iter_load_annotations(prefp, chosen, deny) : MM_ERR_NOMEM;
    newpos_ctx c = {s->o,  s->k, s->tmp, (const char *const *)s->stems, &s->cut, s->positive_ids,
                    chosen};
    for (size_t i = lo; i < hi && e == MM_OK; i++) {
        if (newpos_done(&c, i)) continue;
        e = newpos_shard(&c, i);
        r->newpos += e == MM_OK;
    }
    mm_strmap_free(chosen);
    mm_strmap_free(deny);
    return e;
}

mm_err mm_iter_map(const mm_iter_opts *o, mm_task task, mm_iter_map_result *r) {
    memset(r, 0, sizeof *r);
    if (!o->npool)
        return mm_fail(MM_ERR_ARG, "the pool is empty: give document shards with --pool");
    MM_TRY(check_config(o));
    int k = iteration_in_progress(o);
    r->iter = k;
    mm_task_range(&task, o->npool, &r->lo, &r->hi);
    char **stems;
    MM_TRY(mm_clf_unique_stems(o->pool, o->npool, &stems));
    iter_state s;
    mm_err e = k ? state_init(&s, o, k, stems, NULL, NULL) : MM_OK;
    if (e == MM_OK && k) {
        char model[PATH_CAP], valid[PATH_CAP], cutp[PATH_CAP], collp[PATH_CAP];
        path_in(model, s.tmp, "model.bin");
        path_in(valid, s.tmp, "valid.tsv");
        path_in(cutp, s.tmp, "cut.tsv");
        path_in(collp, s.tmp, "collect.tsv");
        if (!mm_file_done(model) || !mm_file_done(valid))
            r->waiting = true;
        else if (!mm_file_done(collp))
            e = map_score(&s, r->lo, r->hi, r);
        else if (!mm_file_done(cutp))
            e = map_count(&s, r->lo, r->hi, r);
        else
            e = map_newpos(&s, r->lo, r->hi, r);
        state_free(&s);
    } else if (e == MM_OK) {
        r->waiting = true;
    }
    mm_clf_free_stems(stems, o->npool);
    return e;
}
