/* dedup/stages.c — the dedup stages over a set of shards (stages.h). */
#include "dedup/stages.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/attrs.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"

void mm_dedup_result_free(mm_dedup_result *r) {
    if (r) mm_buf_free(&r->errors);
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...) {
    mm_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    char tmp[4096];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp || mm_buf_append(&b, tmp, (size_t)n) ||
        mm_buf_putc(&b, 0)) {
        mm_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* Is `out` done and not older than `in`? */
static bool up_to_date(const char *out, const char *in) {
    struct stat so, si;
    if (!mm_file_done(out) || stat(out, &so)) return false;
    if (!in || stat(in, &si)) return true;
    return so.st_mtim.tv_sec > si.st_mtim.tv_sec ||
           (so.st_mtim.tv_sec == si.st_mtim.tv_sec && so.st_mtim.tv_nsec >= si.st_mtim.tv_nsec);
}

static const char *kind_name(mm_dedup_kind kind) {
    return kind == MM_DEDUP_URL ? "url" : kind == MM_DEDUP_EXACT ? "exact" : "minhash";
}

static mm_attr_tag kind_tag(mm_dedup_kind kind) {
    return kind == MM_DEDUP_URL     ? MM_ATTR_URL_DUP
           : kind == MM_DEDUP_EXACT ? MM_ATTR_EXACT_DUP
                                    : MM_ATTR_MINHASH_DUP;
}

/* ---- per-item jobs on the pool ---- */

typedef enum job_kind { J_MAP, J_FILTER, J_BUCKET } job_kind;

typedef struct job {
    const mm_dedup_opts *o;
    job_kind what;
    mm_dedup_kind kind; /* 0 = MinHash */
    size_t n;
    char **in, **out, **aux, **aux2; /* per item */
    int *band;
    const char *const *stems; /* MinHash filter: stems of every signed shard */
    size_t nstems;
    const char *newest; /* buckets: the newest signature file */
    mm_dedup_stats *st;
    uint64_t *count;
    int *failed, *skipped;
    char (*err)[512];
    mm_progress *prog;
} job;

static mm_err load_skip(const job *j, size_t i, mm_attrs **skip) {
    *skip = NULL;
    if (!j->o->attrs) return MM_OK;
    const char *dirs[1] = {j->o->attrs};
    return mm_attrs_load(dirs, 1, j->in[i], kind_tag(j->kind), skip);
}

static mm_err item_map(job *j, size_t i) {
    if (!j->o->force && up_to_date(j->out[i], j->in[i])) return j->skipped[i] = 1, MM_OK;
    mm_attrs *skip;
    MM_TRY(load_skip(j, i, &skip));
    mm_err e = j->kind ? mm_dedup_map(j->kind, j->in[i], skip, j->out[i], &j->st[i])
                       : mm_minhash_signatures(&j->o->mh, j->in[i], skip, j->out[i], &j->st[i]);
    mm_attrs_free(skip);
    return e;
}

static mm_err item_filter(job *j, size_t i) {
    const char *attrs = j->o->attrs ? j->out[i] : NULL;
    bool done = up_to_date(j->out[i], j->aux[i]) && (attrs || up_to_date(j->aux2[i], j->aux[i]));
    if (!j->o->force && done) return j->skipped[i] = 1, MM_OK;
    const char *out = attrs ? NULL : j->out[i], *tsv = attrs ? NULL : j->aux2[i];
    mm_attrs *skip;
    MM_TRY(load_skip(j, i, &skip));
    mm_err e = j->kind
                   ? mm_dedup_filter(j->kind, j->in[i], skip, j->aux[i], out, tsv, attrs, &j->st[i])
                   : mm_minhash_filter(j->in[i], skip, j->aux[i], j->stems, j->nstems, out, tsv,
                                       attrs, &j->st[i]);
    mm_attrs_free(skip);
    return e;
}

static mm_err item_bucket(job *j, size_t i) {
    if (!j->o->force && up_to_date(j->out[i], j->newest)) return j->skipped[i] = 1, MM_OK;
    return mm_minhash_buckets(j->stems, j->nstems, j->band[i], j->out[i], &j->count[i]);
}

static mm_err run_item(void *ctx, size_t i, int w) {
    (void)w;
    job *j = ctx;
    if (j->o->stop && *j->o->stop) {
        j->failed[i] = 1;
        snprintf(j->err[i], sizeof j->err[i], "%s: not started: interrupted",
                 j->in[i] ? j->in[i] : j->out[i]);
        return MM_OK;
    }
    mm_err e = j->what == J_MAP      ? item_map(j, i)
               : j->what == J_FILTER ? item_filter(j, i)
                                     : item_bucket(j, i);
    if (e) {
        j->failed[i] = 1;
        snprintf(j->err[i], sizeof j->err[i], "%s: %s", j->in[i] ? j->in[i] : j->out[i],
                 mm_error_detail());
    }
    mm_progress_add(j->prog, 1, j->st[i].bytes);
    return MM_OK;
}

static mm_err job_new(job *j, const mm_dedup_opts *o, job_kind what, mm_dedup_kind kind, size_t n) {
    memset(j, 0, sizeof *j);
    j->o = o, j->what = what, j->kind = kind, j->n = n;
    size_t m = n + 1;
    j->in = mm_calloc(m, sizeof(char *));
    j->out = mm_calloc(m, sizeof(char *));
    j->aux = mm_calloc(m, sizeof(char *));
    j->aux2 = mm_calloc(m, sizeof(char *));
    j->band = mm_calloc(m, sizeof *j->band);
    j->st = mm_calloc(m, sizeof *j->st);
    j->count = mm_calloc(m, sizeof *j->count);
    j->failed = mm_calloc(m, sizeof *j->failed);
    j->skipped = mm_calloc(m, sizeof *j->skipped);
    j->err = mm_calloc(m, sizeof *j->err);
    bool ok = j->in && j->out && j->aux && j->aux2 && j->band && j->st && j->count && j->failed &&
              j->skipped && j->err;
    return ok ? MM_OK : MM_ERR_NOMEM;
}

static void job_free(job *j, bool own_in) {
    for (size_t i = 0; i < j->n; i++) {
        if (j->in && own_in) free(j->in[i]);
        if (j->out) free(j->out[i]);
        if (j->aux) free(j->aux[i]);
        if (j->aux2) free(j->aux2[i]);
    }
    free(j->in), free(j->out), free(j->aux), free(j->aux2), free(j->band), free(j->st);
    free(j->count), free(j->failed), free(j->skipped), free(j->err);
}

/* Run the items; sums into r. */
static mm_err job_run(job *j, const char *label, const char *unit, mm_dedup_result *r) {
    double t0 = mm_now();
    j->prog = j->o->progress ? mm_progress_create(label, j->n, unit) : NULL;
    mm_err e = mm_pool_run(j->n, j->o->threads, run_item, j);
    mm_progress_done(j->prog);
    r->items += j->n;
    r->threads = mm_pool_threads(j->o->threads, j->n);
    for (size_t i = 0; !e && i < j->n; i++) {
        r->failed += (size_t)j->failed[i];
        r->done_before += (uint64_t)j->skipped[i];
        r->pairs += j->count[i];
        mm_dedup_stats_add(&r->st, &j->st[i]);
        if (j->failed[i]) e = mm_buf_printf(&r->errors, "%s\n", j->err[i]);
    }
    r->seconds += mm_now() - t0;
    return e;
}

static mm_err stem_of(const char *path, const char *suffix, char *out, size_t cap) {
    mm_stem(path, out, cap);
    size_t l = strlen(out), s = strlen(suffix);
    if (l > s && !strcmp(out + l - s, suffix)) out[l - s] = 0;
    return MM_OK;
}

#define TRY_PATH(dst, ...)                                                                         \
    do {                                                                                           \
        if (!((dst) = pathf(__VA_ARGS__))) return MM_ERR_NOMEM;                                    \
    } while (0)

/* ---- url / exact ---- */

static mm_err fill_shards(job *j, const mm_dedup_opts *o) {
    for (size_t i = 0; i < o->nshards; i++)
        j->in[i] = (char *)o->shards[i];
    return MM_OK;
}

static mm_err map_paths(job *j, mm_dedup_kind kind, const mm_dedup_opts *o) {
    char stem[1024];
    MM_TRY(fill_shards(j, o));
    for (size_t i = 0; i < o->nshards; i++) {
        mm_stem(o->shards[i], stem, sizeof stem);
        if (kind)
            TRY_PATH(j->out[i], "%s/%s/keys/%s.keys", o->work, kind_name(kind), stem);
        else
            TRY_PATH(j->out[i], "%s/sig/%s.sig", o->work, stem);
    }
    return MM_OK;
}

static mm_err mkdir_f(const char *fmt, const char *a, const char *b) {
    char *d = pathf(fmt, a, b);
    mm_err e = d ? mm_mkdirs(d) : MM_ERR_NOMEM;
    free(d);
    return e;
}

mm_err mm_dedup_run_map(mm_dedup_kind kind, const mm_dedup_opts *o, mm_dedup_result *r) {
    if (kind)
        MM_TRY(mkdir_f("%s/%s/keys", o->work, kind_name(kind)));
    else
        MM_TRY(mkdir_f("%s/%s", o->work, "sig"));
    if (!kind) MM_TRY(mm_minhash_params_sync(o->work, (mm_minhash_params *)&o->mh, 15, true));
    job j = {0};
    mm_err e = job_new(&j, o, J_MAP, kind, o->nshards);
    if (!e) e = map_paths(&j, kind, o);
    if (!e) e = job_run(&j, kind ? kind_name(kind) : "signatures", "shards", r);
    job_free(&j, false);
    return e;
}

/* The per-shard files of a work subfolder, sorted, and their stems. */
static mm_err list_stems(const char *dir, const char *suffix, char ***paths, size_t *n,
                         char ***stems) {
    MM_TRY(mm_dedup_list(dir, suffix, paths, n));
    *stems = mm_calloc(*n + 1, sizeof **stems);
    if (!*stems) return MM_ERR_NOMEM;
    for (size_t i = 0; i < *n; i++) {
        char st[1024];
        stem_of((*paths)[i], suffix, st, sizeof st);
        if (!((*stems)[i] = mm_strndup(st, strlen(st)))) return MM_ERR_NOMEM;
    }
    return MM_OK;
}

static void free_strs(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

mm_err mm_dedup_run_merge(mm_dedup_kind kind, const mm_dedup_opts *o, mm_dedup_result *r) {
    double t0 = mm_now();
    char *kdir = pathf("%s/%s/keys", o->work, kind_name(kind)),
         *ddir = pathf("%s/%s/drops", o->work, kind_name(kind));
    char **keys = NULL, **stems = NULL, **drops = NULL;
    size_t nk = 0;
    mm_err e = kdir && ddir ? mm_mkdirs(ddir) : MM_ERR_NOMEM;
    if (!e) e = list_stems(kdir, ".keys", &keys, &nk, &stems);
    if (!e && !(drops = mm_calloc(nk + 1, sizeof *drops))) e = MM_ERR_NOMEM;
    for (size_t i = 0; !e && i < nk; i++)
        if (!(drops[i] = pathf("%s/%s.drops", ddir, stems[i]))) e = MM_ERR_NOMEM;
    mm_dedup_stats s;
    if (!e)
        e = mm_dedup_merge(kind, (const char *const *)keys, (const char *const *)drops, nk, o->mem,
                           &s);
    if (!e) mm_dedup_stats_add(&r->st, &s), r->items += nk;
    r->seconds += mm_now() - t0;
    free_strs(drops, nk);
    free_strs(stems, nk);
    mm_dedup_list_free(keys, nk);
    free(kdir);
    free(ddir);
    return e;
}

/* Where the filter writes: the removed lists (copy mode) or the attribute folder. */
static mm_err filter_dirs(const mm_dedup_opts *o, mm_dedup_result *r) {
    if (!o->attrs && !o->out)
        return mm_fail(MM_ERR_ARG, "filter: give an output folder or an attribute folder");
    if (o->attrs)
        snprintf(r->dir, sizeof r->dir, "%s", o->attrs);
    else
        snprintf(r->dir, sizeof r->dir, "%s/removed", o->out);
    return mm_mkdirs(r->dir);
}

static mm_err filter_paths(job *j, mm_dedup_kind kind, const mm_dedup_opts *o, const char *rdir) {
    char stem[1024];
    mm_buf ap = {0};
    MM_TRY(fill_shards(j, o));
    for (size_t i = 0; i < o->nshards; i++) {
        mm_stem(o->shards[i], stem, sizeof stem);
        if (kind)
            TRY_PATH(j->aux[i], "%s/%s/drops/%s.drops", o->work, kind_name(kind), stem);
        else
            TRY_PATH(j->aux[i], "%s/clusters/%s.rm", o->work, stem);
        if (o->attrs) {
            mm_err e = mm_attr_path(o->attrs, o->shards[i], kind_tag(kind), &ap);
            if (!e && !(j->out[i] = mm_strndup(ap.data, ap.len))) e = MM_ERR_NOMEM;
            if (e) return mm_buf_free(&ap), e;
        } else {
            TRY_PATH(j->out[i], "%s/%s.jsonl.zst", o->out, stem);
            TRY_PATH(j->aux2[i], "%s/%s.tsv", rdir, stem);
        }
    }
    mm_buf_free(&ap);
    return MM_OK;
}

static mm_err need_signatures(const char *sdir, char ***sigs, size_t *ns, char ***stems) {
    MM_TRY(list_stems(sdir, ".sig", sigs, ns, stems));
    if (!*ns)
        return mm_fail(MM_ERR_ARG, "no signatures in %s: run 'dedup minhash signatures' first",
                       sdir);
    return MM_OK;
}

mm_err mm_dedup_run_filter(mm_dedup_kind kind, const mm_dedup_opts *o, mm_dedup_result *r) {
    MM_TRY(filter_dirs(o, r));
    char *sdir = pathf("%s/sig", o->work), **sigs = NULL, **stems = NULL;
    size_t ns = 0;
    job j = {0};
    mm_err e = sdir ? job_new(&j, o, J_FILTER, kind, o->nshards) : MM_ERR_NOMEM;
    if (!e && !kind) e = need_signatures(sdir, &sigs, &ns, &stems);
    j.stems = (const char *const *)stems, j.nstems = ns;
    if (!e) e = filter_paths(&j, kind, o, r->dir);
    if (!e) e = job_run(&j, kind ? kind_name(kind) : "filter", "shards", r);
    job_free(&j, false);
    free_strs(stems, ns);
    mm_dedup_list_free(sigs, ns);
    free(sdir);
    return e;
}

/* ---- MinHash buckets, clusters, synth ---- */

mm_err mm_minhash_run_buckets(const mm_dedup_opts *o, mm_dedup_result *r) {
    char *sdir = pathf("%s/sig", o->work), *bdir = pathf("%s/buckets", o->work), **sigs = NULL,
         **stems = NULL;
    size_t ns = 0, nb = o->band >= 0 ? 1 : (size_t)o->mh.bands;
    job j = {0};
    mm_err e = sdir && bdir ? mm_mkdirs(bdir) : MM_ERR_NOMEM;
    if (!e) e = need_signatures(sdir, &sigs, &ns, &stems);
    if (!e) e = job_new(&j, o, J_BUCKET, 0, nb);
    if (!e) {
        j.stems = (const char *const *)sigs, j.nstems = ns;
        /* a band is redone when any signature file is newer than its pairs */
        size_t newest = 0;
        for (size_t i = 1; i < ns; i++)
            if (!up_to_date(sigs[newest], sigs[i])) newest = i;
        j.newest = sigs[newest];
        for (size_t i = 0; !e && i < nb; i++) {
            j.band[i] = o->band >= 0 ? o->band : (int)i;
            if (!(j.out[i] = pathf("%s/band-%03d.pairs", bdir, j.band[i]))) e = MM_ERR_NOMEM;
        }
        if (!e) e = job_run(&j, "buckets", "bands", r);
        job_free(&j, false);
    }
    free_strs(stems, ns);
    mm_dedup_list_free(sigs, ns);
    free(sdir);
    free(bdir);
    return e;
}

mm_err mm_minhash_run_clusters(const mm_dedup_opts *o, mm_dedup_result *r) {
    double t0 = mm_now();
    char *sdir = pathf("%s/sig", o->work), *bdir = pathf("%s/buckets", o->work),
         *cdir = pathf("%s/clusters", o->work);
    char **sigs = NULL, **stems = NULL, **pairs = NULL, **rms = NULL;
    size_t ns = 0, np = 0;
    mm_err e = sdir && bdir && cdir ? mm_mkdirs(cdir) : MM_ERR_NOMEM;
    if (!e) e = need_signatures(sdir, &sigs, &ns, &stems);
    if (!e) e = mm_dedup_list(bdir, ".pairs", &pairs, &np);
    if (!e && np < (size_t)o->mh.bands)
        e = mm_fail(
            MM_ERR_ARG,
            "only %zu of %d bands have pairs in %s: run 'dedup minhash buckets' for the rest", np,
            o->mh.bands, bdir);
    if (!e && !(rms = mm_calloc(ns + 1, sizeof *rms))) e = MM_ERR_NOMEM;
    for (size_t i = 0; !e && i < ns; i++)
        if (!(rms[i] = pathf("%s/%s.rm", cdir, stems[i]))) e = MM_ERR_NOMEM;
    if (!e)
        e = mm_minhash_clusters((const char *const *)sigs, ns, (const char *const *)pairs, np,
                                (const char *const *)rms, &r->cs);
    r->items += ns;
    r->seconds += mm_now() - t0;
    free_strs(rms, ns);
    free_strs(stems, ns);
    mm_dedup_list_free(sigs, ns);
    mm_dedup_list_free(pairs, np);
    free(sdir), free(bdir), free(cdir);
    return e;
}

typedef struct synth_job {
    const mm_dedup_opts *o;
    const char *sdir;
    uint64_t per, docs;
    double dup_rate;
    int *failed;
    char (*err)[512];
} synth_job;

static mm_err run_synth(void *ctx, size_t i, int w) {
    (void)w;
    synth_job *j = ctx;
    uint64_t base = (uint64_t)i * j->per, n = j->docs - base < j->per ? j->docs - base : j->per;
    char *path = pathf("%s/synth-%05zu.sig", j->sdir, i);
    mm_err e = path ? mm_minhash_synth(&j->o->mh, n, base, j->dup_rate, j->o->mh.seed, path)
                    : MM_ERR_NOMEM;
    if (e) {
        j->failed[i] = 1;
        snprintf(j->err[i], sizeof j->err[i], "%s: %s", path ? path : "synth", mm_error_detail());
    }
    free(path);
    return MM_OK;
}

mm_err mm_minhash_run_synth(const mm_dedup_opts *o, uint64_t docs, uint64_t shards, double dup_rate,
                            mm_dedup_result *r) {
    double t0 = mm_now();
    char *sdir = pathf("%s/sig", o->work);
    uint64_t ns = shards ? shards : 1;
    synth_job j = {o,
                   sdir,
                   (docs + ns - 1) / ns,
                   docs,
                   dup_rate,
                   mm_calloc(ns, sizeof(int)),
                   mm_calloc(ns, 512)};
    mm_err e = sdir && j.failed && j.err ? mm_mkdirs(sdir) : MM_ERR_NOMEM;
    if (!e) e = mm_minhash_params_sync(o->work, (mm_minhash_params *)&o->mh, 15, true);
    if (!e) e = mm_pool_run(ns, o->threads, run_synth, &j);
    for (uint64_t i = 0; !e && i < ns; i++)
        if (j.failed[i]) r->failed++, e = mm_buf_printf(&r->errors, "%s\n", j.err[i]);
    r->items += ns;
    r->seconds += mm_now() - t0;
    free(j.failed);
    free(j.err);
    free(sdir);
    return e;
}

/* ---- recorded MinHash parameters ---- */

static const char *const PNAMES[4] = {"bands", "rows", "ngram", "seed"};

static uint64_t pget(const mm_minhash_params *p, int k) {
    return k == 0   ? (uint64_t)p->bands
           : k == 1 ? (uint64_t)p->rows
           : k == 2 ? (uint64_t)p->ngram
                    : p->seed;
}

static void pset(mm_minhash_params *p, int k, uint64_t v) {
    if (k == 0)
        p->bands = (int)v;
    else if (k == 1)
        p->rows = (int)v;
    else if (k == 2)
        p->ngram = (int)v;
    else
        p->seed = v;
}

static mm_err params_write(const char *path, const mm_minhash_params *p) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_err e = mm_jw_obj_begin(&w);
    for (int k = 0; !e && k < 4; k++) {
        e = mm_jw_key(&w, PNAMES[k]);
        if (!e) e = mm_jw_uint(&w, pget(p, k));
    }
    if (!e) e = mm_jw_obj_end(&w);
    if (!e) e = mm_buf_putc(&b, '\n');
    if (!e) e = mm_out_file(path, 0, b.data, b.len);
    mm_buf_free(&b);
    return e;
}

mm_err mm_minhash_params_sync(const char *work, mm_minhash_params *p, unsigned given, bool record) {
    char *path = pathf("%s/params.json", work);
    if (!path) return MM_ERR_NOMEM;
    mm_err e = MM_OK;
    struct stat st;
    if (stat(path, &st)) {
        if (record) e = mm_mkdirs(work), e = e ? e : params_write(path, p);
        free(path);
        return e;
    }
    mm_json_doc *doc = NULL;
    mm_json *root = NULL;
    e = mm_json_parse_file(path, &doc, &root);
    for (int k = 0; !e && k < 4; k++) {
        double v = mm_json_get_num(root, PNAMES[k], -1);
        if (v < 0 || v != (double)(uint64_t)v) {
            e = mm_fail(MM_ERR_FORMAT,
                        "%s: no valid \"%s\"; remove the work folder and redo the stages", path,
                        PNAMES[k]);
            break;
        }
        uint64_t rec = (uint64_t)v;
        if ((given >> k & 1) && pget(p, k) != rec)
            e = mm_fail(MM_ERR_MISMATCH,
                        "--%s %llu disagrees with %s %llu recorded in %s by the signatures stage; "
                        "use the recorded value (leave the option out) or a new work folder",
                        PNAMES[k], (unsigned long long)pget(p, k), PNAMES[k],
                        (unsigned long long)rec, path);
        else
            pset(p, k, rec);
    }
    if (doc) mm_json_doc_free(doc);
    free(path);
    return e;
}
