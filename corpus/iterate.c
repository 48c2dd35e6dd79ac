/* corpus/iterate.c — the iteration driver (see corpus/iterate.h for the algorithm). */
#include "corpus/iterate.h"

#include <dirent.h>
#include <errno.h>
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

#define PATH_CAP 4096

void mm_iter_opts_default(mm_iter_opts *o) {
    memset(o, 0, sizeof *o);
    o->max_iter = 4;
    o->min_new = 0.02;
    o->collect_mode = MM_SELECT_THRESHOLD;
    o->collect_value = 0.5;
    o->domain_threshold = 0.10;
    o->domain_min_pages = 5;
    o->prefix_threshold = 0.30;
    o->prefix_min_pages = 5;
    o->key = MM_ITER_KEY_DOMAIN;
    mm_clf_train_opts_default(&o->train);
    o->train.threads = 1; /* bit-reproducible training */
}

/* Everything one iteration needs to know and carries to the next. */
typedef struct iter_state {
    const mm_iter_opts *o;
    int k;
    char dir[PATH_CAP], tmp[PATH_CAP];
    mm_idset *prev_collected; /* NULL in iteration 1 */
    mm_idset *collected;
    mm_idset *positive_ids;
    char **score_paths;
    iter_counts domains, prefixes;
    bool *math_domain;        /* per domain index */
    bool *prefix_chosen;      /* per prefix index */
    char **prefix_reason;     /* per prefix index, static strings */
    mm_strmap *prev_math;     /* math domains of the previous iteration */
    double hist[20];
    mm_iter_summary sum;
} iter_state;

static void path_in(char *out, const char *dir, const char *name) {
    snprintf(out, PATH_CAP, "%s/%s", dir, name);
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
    for (size_t i = 0; i < o->npositives; i++) MM_TRY(mm_jw_string(&w, o->positives[i]));
    MM_TRY(mm_jw_arr_end(&w));
    MM_TRY(mm_jw_key(&w, "pool"));
    MM_TRY(mm_jw_arr_begin(&w));
    for (size_t i = 0; i < o->npool; i++) MM_TRY(mm_jw_string(&w, o->pool[i]));
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
    MM_TRY(mm_jw_key(&w, "domain_min_pages"));
    MM_TRY(mm_jw_uint(&w, o->domain_min_pages));
    MM_TRY(mm_jw_key(&w, "prefix_threshold"));
    MM_TRY(mm_jw_double(&w, o->prefix_threshold));
    MM_TRY(mm_jw_key(&w, "prefix_min_pages"));
    MM_TRY(mm_jw_uint(&w, o->prefix_min_pages));
    MM_TRY(mm_jw_key(&w, "domain_key"));
    MM_TRY(mm_jw_string(&w, o->key == MM_ITER_KEY_HOST ? "host" : "domain"));
    const mm_clf_train_opts *t = &o->train;
    MM_TRY(mm_jw_key(&w, "fasttext"));
    MM_TRY(mm_jw_obj_begin(&w));
    MM_TRY(mm_jw_key(&w, "dim"));
    MM_TRY(mm_jw_int(&w, t->dim));
    MM_TRY(mm_jw_key(&w, "lr"));
    MM_TRY(mm_jw_double(&w, t->lr));
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
            while (have.data[i] && have.data[i] == want.data[i]) i++;
            e = mm_fail(MM_ERR_MISMATCH,
                        "%s was started with another configuration (config.json differs at byte "
                        "%zu: '%.40s'); use a new --work-dir, or the options it was started with",
                        o->work_dir, i, have.data + i);
        }
    } else if (e == MM_OK) {
        mm_out *out;
        e = mm_out_open(path, 0, &out);
        if (e == MM_OK) e = mm_out_write(out, want.data, want.len);
        if (e == MM_OK) e = mm_out_commit(out);
        else mm_out_abort(out);
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
    for (size_t i = 0; i < o->npositives; i++) p[m++] = strdup(o->positives[i]);
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
    for (size_t i = 0; i < n; i++) free(p[i]);
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
 * write the pages at or below it.  Memory: k keys, whatever the pool size. */
static mm_err write_negatives(iter_state *s, uint64_t k, const char *out_path, uint64_t *written) {
    bottom_k h = {mm_calloc(k ? k : 1, sizeof(uint64_t)), 0, k};
    if (!h.v) return MM_ERR_NOMEM;
    mm_err e = MM_OK;
    for (int pass = 0; pass < 2 && e == MM_OK; pass++) {
        uint64_t cut = h.n ? h.v[0] : 0;
        mm_out *out = NULL;
        if (pass == 1 && (e = mm_out_open(out_path, 3, &out)) != MM_OK) break;
        for (size_t i = 0; i < s->o->npool && e == MM_OK; i++) {
            mm_doc_reader *r;
            if ((e = mm_doc_reader_open(s->o->pool[i], &r)) != MM_OK) break;
            mm_doc d;
            int rc;
            while (e == MM_OK && (rc = mm_doc_reader_next(r, &d, &e)) != 0) {
                if (rc < 0 || !negative_eligible(s, &d)) continue;
                uint64_t key = sample_key(s, &d);
                if (pass == 0) heap_push(&h, key);
                else if (h.n == h.k ? key <= cut : true) {
                    e = mm_out_write(out, d.raw, d.raw_len);
                    if (e == MM_OK) e = mm_out_write(out, "\n", 1);
                    (*written)++;
                }
            }
            mm_doc_reader_close(r);
        }
        if (pass == 1) {
            if (e == MM_OK) e = mm_out_commit(out);
            else mm_out_abort(out);
        }
    }
    free(h.v);
    return e;
}

static mm_err train_model(iter_state *s) {
    char model[PATH_CAP], negs[PATH_CAP];
    path_in(model, s->tmp, "model.bin");
    path_in(negs, s->tmp, "negatives.jsonl.zst");
    char **pos;
    size_t npos;
    MM_TRY(positive_paths(s, &pos, &npos));
    mm_err e = MM_OK;
    uint64_t count = 0;
    for (size_t i = 0; i < npos && e == MM_OK; i++) e = count_positives(s, pos[i], &count);
    s->sum.positives = count;
    if (e == MM_OK && count == 0)
        e = mm_fail(MM_ERR_ARG, "the seed has no usable documents (%zu file(s) given)",
                    s->o->npositives);
    if (e == MM_OK && !mm_file_done(negs)) e = write_negatives(s, count, negs, &s->sum.negatives);
    else if (e == MM_OK) {
        uint64_t n = 0;
        mm_lines *r;
        if ((e = mm_lines_open(negs, 0, &r)) == MM_OK) {
            const char *l;
            size_t len;
            while (mm_lines_next(r, &l, &len, &e) == 1) n++;
            mm_lines_close(r);
        }
        s->sum.negatives = n;
    }
    if (e == MM_OK && s->sum.negatives == 0)
        e = mm_fail(MM_ERR_ARG, "the pool has no pages left to draw negatives from (%zu shard(s))",
                    s->o->npool);
    if (e == MM_OK && !mm_file_done(model)) {
        const char *negp[1] = {negs};
        mm_clf_train_opts t = s->o->train;
        t.seed = (int)(s->o->seed & 0x7fffffff);
        e = mm_clf_train_files((const char *const *)pos, npos, negp, 1, &t, model, NULL);
    }
    free_strs(pos, npos);
    return e;
}

/* ---------------------------------------------------------------- scoring and collecting */

static mm_err score_pool(iter_state *s) {
    char model[PATH_CAP], sdir[PATH_CAP];
    path_in(model, s->tmp, "model.bin");
    path_in(sdir, s->tmp, "scores");
    MM_TRY(mm_mkdirs(sdir));
    mm_clf_scorer_opts so;
    mm_clf_scorer_opts_default(&so);
    /* Big models score 2-3x faster read into (huge-page) memory than mapped from the file,
     * where every random row read can fault; small ones load instantly either way. */
    struct stat model_st;
    so.preload = stat(model, &model_st) == 0 && model_st.st_size >= (64 << 20);
    mm_clf_scorer *sc;
    MM_TRY(mm_clf_scorer_open(model, &so, &sc));
    s->score_paths = mm_calloc(s->o->npool, sizeof *s->score_paths);
    if (!s->score_paths) {
        mm_clf_scorer_close(sc);
        return MM_ERR_NOMEM;
    }
    for (size_t i = 0; i < s->o->npool; i++) {
        s->score_paths[i] = mm_malloc(PATH_CAP);
        if (!s->score_paths[i]) {
            mm_clf_scorer_close(sc);
            return MM_ERR_NOMEM;
        }
        mm_clf_score_path(sdir, s->o->pool[i], s->score_paths[i], PATH_CAP);
    }
    mm_clf_score_stats st = {0};
    mm_err e = mm_clf_score_shards(sc, s->o->pool, s->o->npool, sdir, s->o->threads, false, NULL,
                                   NULL, &st);
    mm_clf_scorer_close(sc);
    return e;
}

static mm_err collect(iter_state *s) {
    char ids[PATH_CAP];
    path_in(ids, s->tmp, "collected.ids");
    mm_select_stats st = {0};
    MM_TRY(mm_select_ids((const char *const *)s->score_paths, s->o->npool, s->o->collect_mode,
                         s->o->collect_value, ids, &st));
    s->sum.pool_pages = st.rows;
    s->sum.collected = st.selected;
    s->sum.collected_tokens = st.tokens_selected;
    s->sum.cutoff = st.cutoff;
    return mm_idset_load(ids, &s->collected);
}

/* ---------------------------------------------------------------- counting (per shard, merged) */

typedef struct count_job {
    iter_state *s;
    iter_counts *parts; /* one per shard */
    bool prefixes;      /* false: domains and the score histogram; true: prefixes */
    uint64_t (*hist)[20];
} count_job;

static mm_err count_shard(void *ctx, size_t i, int worker) {
    (void)worker;
    count_job *j = ctx;
    iter_state *s = j->s;
    mm_clf_scores *r;
    MM_TRY(mm_clf_scores_open(s->score_paths[i], &r));
    mm_clf_score_row row;
    mm_err e = MM_OK;
    int rc;
    char key[512], p0[1024], p1[1024], p2[1024];
    while (e == MM_OK && (rc = mm_clf_scores_next(r, &row, &e)) != 0) {
        if (rc < 0) continue;
        uint64_t got = mm_idset_has(s->collected, row.id, strlen(row.id));
        uint64_t tok = got ? row.tokens : 0;
        iter_row_key(&row, s->o->key, key, sizeof key);
        if (!j->prefixes) {
            int b = (int)(row.score * 20);
            j->hist[i][b < 0 ? 0 : b > 19 ? 19 : b]++;
            e = iter_counts_add(&j->parts[i], key, 1, got, tok);
            continue;
        }
        int64_t d = mm_strmap_find(s->domains.keys, key, strlen(key));
        if (d < 0 || !s->math_domain[d]) continue;
        iter_url_prefixes(row.url, p0, p1, p2, sizeof p1);
        const char *levels[3] = {p0, p1, p2};
        for (int l = 0; l < 3 && e == MM_OK; l++)
            if (levels[l][0]) e = iter_counts_add(&j->parts[i], levels[l], 1, got, tok);
    }
    mm_clf_scores_close(r);
    return e;
}

static mm_err count_all(iter_state *s, bool prefixes) {
    size_t n = s->o->npool;
    count_job j = {s, mm_calloc(n, sizeof(iter_counts)), prefixes, mm_calloc(n, sizeof *j.hist)};
    mm_err e = j.parts && j.hist ? MM_OK : MM_ERR_NOMEM;
    for (size_t i = 0; i < n && e == MM_OK; i++) e = iter_counts_init(&j.parts[i]);
    if (e == MM_OK) e = mm_pool_run(n, s->o->threads, count_shard, &j);
    iter_counts *into = prefixes ? &s->prefixes : &s->domains;
    for (size_t i = 0; i < n && e == MM_OK; i++) { /* merge in shard order: deterministic */
        e = iter_counts_merge(into, &j.parts[i]);
        for (int b = 0; b < 20 && !prefixes; b++) s->hist[b] += (double)j.hist[i][b];
    }
    for (size_t i = 0; j.parts && i < n; i++) iter_counts_free(&j.parts[i]);
    free(j.parts);
    free(j.hist);
    return e;
}

static double share(uint64_t collected, uint64_t pages) {
    return pages ? (double)collected / (double)pages : 0;
}

static mm_err choose_domains(iter_state *s) {
    size_t n = mm_strmap_size(s->domains.keys);
    s->math_domain = mm_calloc(n, sizeof *s->math_domain);
    if (!s->math_domain) return MM_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        bool m = share(s->domains.collected[i], s->domains.pages[i]) > s->o->domain_threshold &&
                 s->domains.pages[i] >= s->o->domain_min_pages;
        s->math_domain[i] = m;
        if (!m) continue;
        s->sum.math_domains++;
        const char *k = mm_strmap_key(s->domains.keys, i);
        if (!s->prev_math || mm_strmap_find(s->prev_math, k, strlen(k)) < 0) s->sum.domains_gained++;
    }
    size_t np = s->prev_math ? mm_strmap_size(s->prev_math) : 0;
    for (size_t i = 0; i < np; i++) {
        const char *k = mm_strmap_key(s->prev_math, i);
        int64_t d = mm_strmap_find(s->domains.keys, k, strlen(k));
        if (d < 0 || !s->math_domain[d]) s->sum.domains_lost++;
    }
    return MM_OK;
}

/* ---------------------------------------------------------------- prefixes */

/* Read a person's decisions: a TSV with a header naming the columns "prefix" and "decision". */
static mm_err load_annotations(const char *path, mm_strmap *allow, mm_strmap *deny) {
    mm_lines *r;
    MM_TRY(mm_lines_open(path, 0, &r));
    const char *l;
    size_t n;
    mm_err e = MM_OK;
    int col_prefix = -1, col_dec = -1;
    while (e == MM_OK && mm_lines_next(r, &l, &n, &e) == 1) {
        if (!n || l[0] == '#') continue;
        char *line = mm_strndup(l, n), *save = NULL, *tok;
        const char *f[32] = {0};
        int nf = 0;
        for (tok = strtok_r(line, "\t", &save); tok && nf < 32; tok = strtok_r(NULL, "\t", &save))
            f[nf++] = tok;
        if (col_prefix < 0) {
            for (int i = 0; i < nf; i++) {
                if (!strcmp(f[i], "prefix")) col_prefix = i;
                if (!strcmp(f[i], "decision")) col_dec = i;
            }
            if (col_prefix < 0 || col_dec < 0)
                e = mm_fail(MM_ERR_FORMAT, "%s: line %llu: the header must name the columns "
                            "'prefix' and 'decision'", path,
                            (unsigned long long)mm_lines_number(r));
        } else if (col_prefix < nf && col_dec < nf) {
            const char *d = f[col_dec];
            mm_strmap *m = !strcmp(d, "allow") ? allow : !strcmp(d, "deny") ? deny : NULL;
            if (m && mm_strmap_put(m, f[col_prefix], strlen(f[col_prefix]), NULL) < 0)
                e = mm_fail(MM_ERR_NOMEM, "annotations");
        }
        free(line);
    }
    mm_lines_close(r);
    return e;
}

/* "host/a/b/" -> "host/a/"; NULL for "host/a/" and "host/" ("host/" holds only top-level
 * pages, so it is nobody's parent). */
static const char *parent_prefix(const char *p, char *out, size_t cap) {
    size_t n = strlen(p);
    if (n < 2) return NULL;
    const char *q = p + n - 2;
    while (q > p && *q != '/') q--;
    if (q == p || !memchr(p, '/', (size_t)(q - p))) return NULL;
    snprintf(out, cap, "%.*s", (int)(q - p + 1), p);
    return out;
}

static mm_err choose_prefixes(iter_state *s, bool *have_annotations) {
    size_t n = mm_strmap_size(s->prefixes.keys);
    s->prefix_chosen = mm_calloc(n, sizeof *s->prefix_chosen);
    s->prefix_reason = mm_calloc(n, sizeof *s->prefix_reason);
    if (!s->prefix_chosen || !s->prefix_reason) return MM_ERR_NOMEM;
    mm_strmap *allow = mm_strmap_create(), *deny = mm_strmap_create();
    mm_err e = allow && deny ? MM_OK : mm_fail(MM_ERR_NOMEM, "annotations");
    *have_annotations = s->o->annotations != NULL;
    if (e == MM_OK && s->o->annotations) e = load_annotations(s->o->annotations, allow, deny);
    for (size_t i = 0; i < n && e == MM_OK; i++) {
        const char *k = mm_strmap_key(s->prefixes.keys, i);
        bool rule = share(s->prefixes.collected[i], s->prefixes.pages[i]) >= s->o->prefix_threshold &&
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
    for (size_t i = 0; i < n && e == MM_OK; i++) {
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
    for (size_t i = 0; i < n; i++) s->sum.math_prefixes += s->prefix_chosen[i];
    mm_strmap_free(allow);
    mm_strmap_free(deny);
    return e;
}

/* ---------------------------------------------------------------- new positives */

static bool under_chosen(const iter_state *s, const char *url, const char **which) {
    char p0[1024], p1[1024], p2[1024];
    iter_url_prefixes(url, p0, p1, p2, sizeof p1);
    const char *cand[3] = {p0, p1, p2};
    for (int i = 0; i < 3; i++) {
        if (!cand[i][0]) continue;
        int64_t k = mm_strmap_find(s->prefixes.keys, cand[i], strlen(cand[i]));
        if (k >= 0 && s->prefix_chosen[k]) {
            *which = mm_strmap_key(s->prefixes.keys, (size_t)k);
            return true;
        }
    }
    return false;
}

static mm_err add_new_positives(iter_state *s) {
    char docs[PATH_CAP], prov[PATH_CAP];
    path_in(docs, s->tmp, "new_positives.jsonl.zst");
    path_in(prov, s->tmp, "new_positives.tsv");
    mm_out *od, *op;
    MM_TRY(mm_out_open(docs, 3, &od));
    mm_err e = mm_out_open(prov, 0, &op);
    if (e != MM_OK) {
        mm_out_abort(od);
        return e;
    }
    mm_buf line = {0};
    e = mm_out_write(op, "id\turl\tdomain\tprefix\titeration\n", 31);
    for (size_t i = 0; i < s->o->npool && e == MM_OK; i++) {
        mm_doc_reader *r;
        if ((e = mm_doc_reader_open(s->o->pool[i], &r)) != MM_OK) break;
        mm_doc d;
        int rc;
        const char *which;
        while (e == MM_OK && (rc = mm_doc_reader_next(r, &d, &e)) != 0) {
            if (rc < 0 || !d.id[0]) continue;
            size_t idn = strlen(d.id);
            if (mm_idset_has(s->collected, d.id, idn) || mm_idset_has(s->positive_ids, d.id, idn))
                continue;
            if (!under_chosen(s, d.url, &which)) continue;
            e = mm_out_write(od, d.raw, d.raw_len);
            if (e == MM_OK) e = mm_out_write(od, "\n", 1);
            mm_buf_clear(&line);
            mm_buf_printf(&line, "%s\t%s\t%s\t%s\t%d\n", d.id, d.url, d.domain, which, s->k);
            if (e == MM_OK) e = mm_out_write(op, line.data, line.len);
            if (e == MM_OK) e = mm_idset_add(s->positive_ids, d.id, idn); /* once per page */
            s->sum.new_positives++;
        }
        mm_doc_reader_close(r);
    }
    mm_buf_free(&line);
    if (e == MM_OK) e = mm_out_commit(od);
    else mm_out_abort(od);
    if (e == MM_OK) e = mm_out_commit(op);
    else mm_out_abort(op);
    return e;
}

/* ---------------------------------------------------------------- one iteration */

static mm_err overlap_with_prev(iter_state *s) {
    char ids[PATH_CAP];
    path_in(ids, s->tmp, "collected.ids");
    s->sum.overlap_prev = 0;
    if (s->prev_collected) {
        mm_lines *r;
        MM_TRY(mm_lines_open(ids, 0, &r));
        const char *l;
        size_t n;
        mm_err e;
        while (mm_lines_next(r, &l, &n, &e) == 1)
            if (n && mm_idset_has(s->prev_collected, l, n)) s->sum.overlap_prev++;
        mm_lines_close(r);
        MM_TRY(e);
    }
    s->sum.new_share =
        s->sum.collected ? 1.0 - (double)s->sum.overlap_prev / (double)s->sum.collected : 0;
    if (!s->prev_collected) s->sum.new_share = 1;
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
    s->positive_ids = NULL;
    ITER_STEP(s, mm_idset_create(&s->positive_ids));
    ITER_STEP(s, train_model(s));
    ITER_STEP(s, score_pool(s));
    ITER_STEP(s, collect(s));
    ITER_STEP(s, overlap_with_prev(s));
    ITER_STEP(s, iter_counts_init(&s->domains));
    ITER_STEP(s, count_all(s, false));
    ITER_STEP(s, choose_domains(s));
    ITER_STEP(s, iter_counts_init(&s->prefixes));
    ITER_STEP(s, count_all(s, true));
    bool annotated;
    ITER_STEP(s, choose_prefixes(s, &annotated));
    ITER_STEP(s, iter_write_domains(s->tmp, &s->domains, s->math_domain));
    ITER_STEP(s, iter_write_prefixes(s->tmp, &s->prefixes, s->prefix_chosen,
                                     (const char *const *)s->prefix_reason,
                                     s->o->annotate && !annotated));
    if (s->o->annotate && !annotated) {
        res->done = MM_ITER_DONE_ANNOTATE;
        path_in(res->annotate_path, s->tmp, "prefixes.tsv");
        return MM_OK;
    }
    if (s->o->annotations) {
        char copy[PATH_CAP];
        path_in(copy, s->tmp, "annotations.tsv");
        ITER_STEP(s, iter_copy_file(s->o->annotations, copy));
    }
    ITER_STEP(s, add_new_positives(s));
    s->sum.seconds = mm_now() - t0;
    ITER_STEP(s, iter_write_report(s->tmp, &s->sum, s->hist, &s->domains, s->math_domain));
    if (rename(s->tmp, s->dir))
        return mm_fail(MM_ERR_IO, "committing %s as %s: %s", s->tmp, s->dir, strerror(errno));
    return MM_OK;
}

static void state_free(iter_state *s) {
    mm_idset_free(s->collected);
    mm_idset_free(s->positive_ids);
    if (s->score_paths) free_strs(s->score_paths, s->o->npool);
    iter_counts_free(&s->domains);
    iter_counts_free(&s->prefixes);
    free(s->math_domain);
    free(s->prefix_chosen);
    free(s->prefix_reason);
}

/* The math domains of a finished iteration, from its domains.tsv. */
static mm_err load_math_domains(const char *dir, mm_strmap **out) {
    char p[PATH_CAP];
    path_in(p, dir, "domains.tsv");
    *out = mm_strmap_create();
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

mm_err mm_iter_run(const mm_iter_opts *o, mm_iter_event_fn on_iter, void *arg,
                   mm_iter_result *res) {
    memset(res, 0, sizeof *res);
    if (!o->npool) return mm_fail(MM_ERR_ARG, "the pool is empty: give document shards with --pool");
    if (!o->npositives) return mm_fail(MM_ERR_ARG, "no seed: give --positives");
    MM_TRY(check_config(o));
    mm_idset *prev = NULL;
    mm_strmap *prev_math = NULL;
    mm_iter_summary *all = mm_calloc((size_t)o->max_iter + 1, sizeof *all);
    if (!all) return MM_ERR_NOMEM;
    mm_err e = MM_OK;
    res->done = MM_ITER_DONE_MAX;
    for (int k = 1; k <= o->max_iter && e == MM_OK; k++) {
        iter_state s = {.o = o, .k = k, .prev_collected = prev, .prev_math = prev_math};
        snprintf(s.dir, sizeof s.dir, "%s/iter-%d", o->work_dir, k);
        snprintf(s.tmp, sizeof s.tmp, "%s/iter-%d.tmp", o->work_dir, k);
        bool resumed = dir_exists(s.dir);
        if (resumed) e = iter_read_summary(s.dir, &s.sum);
        else e = run_iteration(&s, res);
        if (e == MM_OK && res->done == MM_ITER_DONE_ANNOTATE) {
            state_free(&s);
            break;
        }
        s.sum.iter = k;
        if (e == MM_OK) all[k - 1] = s.sum;
        res->iterations = k;
        if (e == MM_OK && on_iter) on_iter(arg, &s.sum, resumed);
        state_free(&s);
        mm_idset_free(prev);
        mm_strmap_free(prev_math);
        prev = NULL;
        prev_math = NULL;
        if (e != MM_OK) break;
        char ids[PATH_CAP];
        path_in(ids, s.dir, "collected.ids");
        if ((e = mm_idset_load(ids, &prev)) != MM_OK) break;
        if ((e = load_math_domains(s.dir, &prev_math)) != MM_OK) break;
        if (k >= 2 && s.sum.new_share < o->min_new) {
            res->done = MM_ITER_DONE_CONVERGED;
            break;
        }
    }
    if (e == MM_OK && res->iterations > 0 && res->done != MM_ITER_DONE_ANNOTATE)
        e = iter_write_final(o->work_dir, all, (size_t)res->iterations);
    mm_idset_free(prev);
    mm_strmap_free(prev_math);
    free(all);
    return e;
}
