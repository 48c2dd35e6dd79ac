/* common/report.c — find what a run wrote under DIR and sum it per stage (common/report.h).
 *
 * Every JSON file under DIR is parsed and recognised by its keys (rk_kind); its numbers are
 * flattened to "a.b" keys.  Task markers of `mathmine run` (_run/STAGE/task-*.json) are summed
 * per stage: counts add up, peak RSS takes the maximum, rates and thresholds keep the last
 * value (the page recomputes rates from the sums).  Other files are listed by role (training
 * logs, document shard folders, removed documents) for report_html.c to read. */
#include "common/report.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/io.h"
#include "common/json.h"
#include "common/report_int.h"

enum { MAX_DEPTH = 8, MAX_JSON_BYTES = 256 << 20 };

static mm_err list_add(rp_list *l, const char *s) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return mm_fail(MM_ERR_NOMEM, "report: list");
        l->v = v, l->cap = cap;
    }
    if (!(l->v[l->n] = mm_strndup(s, strlen(s)))) return MM_ERR_NOMEM;
    l->n++;
    return MM_OK;
}

static void list_free(rp_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_sort(rp_list *l) {
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, cmp_str);
}

static bool ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !memcmp(s + n - m, suf, m);
}

const char *rp_rel(const rp_run *r, const char *path) {
    size_t n = strlen(r->dir);
    if (!strncmp(path, r->dir, n) && path[n] == '/') return path + n + 1;
    return path;
}

double rp_get(const rp_stage *s, const char *key, double def) {
    for (size_t i = 0; s && i < s->nkv; i++)
        if (!strcmp(s->kv[i].key, key)) return s->kv[i].v;
    return def;
}

/* The first stage of `kind` whose name contains `name_part` (NULL: any). */
const rp_stage *rp_find(const rp_run *r, rk_kind kind, const char *name_part) {
    for (size_t i = 0; i < r->nst; i++)
        if (r->st[i].kind == kind && (!name_part || strstr(r->st[i].name, name_part)))
            return &r->st[i];
    return NULL;
}

/* How a value from one more task combines with the sum so far. */
static double combine(const char *key, double sum, double v) {
    if (ends_with(key, "rss_kb")) return fmax(sum, v);
    static const char *const last[] = {"per_s",   "_per_",     "cutoff", "auc",
                                       "threads", "precision", "recall", "f1",
                                       "share",   "threshold", "bands"};
    for (size_t i = 0; i < sizeof last / sizeof *last; i++)
        if (strstr(key, last[i])) return v;
    return sum + v;
}

static mm_err kv_add(rp_stage *s, const char *key, double v) {
    for (size_t i = 0; i < s->nkv; i++)
        if (!strcmp(s->kv[i].key, key)) {
            s->kv[i].v = combine(key, s->kv[i].v, v);
            return MM_OK;
        }
    if (s->nkv == s->capkv) {
        size_t cap = s->capkv ? s->capkv * 2 : 32;
        rp_kv *p = realloc(s->kv, cap * sizeof *p);
        if (!p) return mm_fail(MM_ERR_NOMEM, "report: stats");
        s->kv = p, s->capkv = cap;
    }
    if (!(s->kv[s->nkv].key = mm_strndup(key, strlen(key)))) return MM_ERR_NOMEM;
    s->kv[s->nkv++].v = v;
    return MM_OK;
}

static mm_err flatten(rp_stage *s, const mm_json *obj, const char *prefix, int depth) {
    if (depth > 4) return MM_OK;
    for (const mm_json *c = obj->child; c; c = c->next) {
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", c->key ? c->key : "");
        if (c->type == MM_JSON_NUM && isfinite(c->num))
            MM_TRY(kv_add(s, key, c->num));
        else if (c->type == MM_JSON_OBJ)
            MM_TRY(flatten(s, c, key, depth + 1));
    }
    return MM_OK;
}

static bool has(const mm_json *o, const char *key) {
    return mm_json_get(o, key) != NULL;
}

static bool has_obj(const mm_json *o, const char *key) {
    const mm_json *v = mm_json_get(o, key);
    return v && v->type == MM_JSON_OBJ;
}

/* A stats object is small; a tokenizer's vocab.json (every word a key) is not, and holds
 * words such as "rows" and "selected" that would pass for stats keys. */
enum { MAX_STATS_KEYS = 256 };

static rk_kind kind_of(const mm_json *st) {
    if (!st || st->type != MM_JSON_OBJ || st->len > MAX_STATS_KEYS) return RK_UNKNOWN;
    if (has_obj(st, "math_found") && has(st, "records")) return RK_EXTRACT;
    if (has(st, "pos_docs") && has(st, "neg_docs")) return RK_TRAIN;
    if (has(st, "roc_auc") && has(st, "thresholds")) return RK_EVALCLS;
    if (has(st, "rows") && has(st, "selected") && has(st, "tokens_selected")) return RK_SELECT;
    if (has(st, "load_seconds") && has(st, "docs")) return RK_SCORE;
    if (has_obj(st, "signatures") || has_obj(st, "buckets") || has_obj(st, "clusters"))
        return RK_MINHASH;
    if (has_obj(st, "filter") || has_obj(st, "map") || has_obj(st, "merge")) return RK_DEDUP;
    if (has(st, "benchmark_keys") && !has(st, "benchmarks")) return RK_DECONTAM;
    if (has(st, "train_tokens") && has(st, "val_tokens")) return RK_TOKENS;
    if (has(st, "greedy_acc")) return RK_EVAL;
    return RK_UNKNOWN;
}

static rp_stage *stage_get(rp_run *r, const char *name, rk_kind kind) {
    for (size_t i = 0; i < r->nst; i++)
        if (!strcmp(r->st[i].name, name)) return &r->st[i];
    if (r->nst == r->capst) {
        size_t cap = r->capst ? r->capst * 2 : 16;
        rp_stage *p = realloc(r->st, cap * sizeof *p);
        if (!p) return mm_fail(MM_ERR_NOMEM, "report: stages"), NULL;
        r->st = p, r->capst = cap;
    }
    rp_stage *s = &r->st[r->nst];
    memset(s, 0, sizeof *s);
    if (!(s->name = mm_strndup(name, strlen(name)))) return NULL;
    s->kind = kind;
    r->nst++;
    return s;
}

static void stage_free(rp_stage *s) {
    for (size_t i = 0; i < s->nkv; i++)
        free(s->kv[i].key);
    for (size_t i = 0; i < s->nfail; i++)
        free(s->fail[i]);
    free(s->kv);
    free(s->name);
}

/* Two stats files with the same numbers (e.g. `shard --stats` and its shards.json) are one
 * stage: the later one is dropped. */
static bool same_as_earlier(const rp_run *r, const rp_stage *s) {
    for (const rp_stage *o = r->st; o < s; o++) {
        if (o->kind != s->kind || o->nkv != s->nkv || o->marker) continue;
        size_t i = 0;
        while (i < s->nkv && !strcmp(o->kv[i].key, s->kv[i].key) && o->kv[i].v == s->kv[i].v)
            i++;
        if (i == s->nkv) return true;
    }
    return false;
}

/* The last line of a task log that reads like an error, for a failed task. */
static void last_error(const char *log, char *out, size_t cap) {
    mm_lines *l;
    *out = 0;
    if (mm_lines_open(log, 1 << 16, &l) != MM_OK) return mm_error_clear();
    const char *line;
    size_t n;
    mm_err e;
    while (mm_lines_next(l, &line, &n, &e) == 1)
        if (strstr(line, "error") || strstr(line, "failed") || !*out)
            snprintf(out, cap, "%.*s", (int)(n < 300 ? n : 300), line);
    mm_lines_close(l);
}

/* OUT/_run/STAGE/task-*.json: add one task to stage STAGE. */
static mm_err add_marker(rp_run *r, const char *path, const mm_json *root) {
    char stage[256];
    const char *end = strrchr(path, '/'), *beg = end;
    while (beg > path && beg[-1] != '/')
        beg--;
    snprintf(stage, sizeof stage, "%.*s", (int)(end - beg), beg);
    const mm_json *st = mm_json_get(root, "stats");
    rp_stage *s = stage_get(r, stage, kind_of(st));
    if (!s) return MM_ERR_NOMEM;
    if (s->kind == RK_UNKNOWN) s->kind = kind_of(st);
    s->marker = true;
    s->tasks++;
    s->wall_s += mm_json_get_num(root, "seconds", 0);
    s->cpu_s += mm_json_get_num(root, "cpu_s", 0);
    s->rss_kb = fmax(s->rss_kb, mm_json_get_num(root, "max_rss_kb", 0));
    s->in_bytes += mm_json_get_num(root, "input_bytes", 0);
    if (strcmp(mm_json_get_str(root, "status", ""), "done")) {
        s->failed++;
        if (s->nfail < sizeof s->fail / sizeof *s->fail) {
            char err[320], line[700];
            const char *log = mm_json_get_str(root, "log", "");
            last_error(log, err, sizeof err);
            snprintf(line, sizeof line, "%s: %s", rp_rel(r, log), err);
            if (!(s->fail[s->nfail] = mm_strndup(line, strlen(line)))) return MM_ERR_NOMEM;
            s->nfail++;
        }
    }
    if (st && st->type == MM_JSON_OBJ) MM_TRY(flatten(s, st, "", 0));
    return MM_OK;
}

static mm_err add_stats(rp_run *r, const char *path, const mm_json *root, rk_kind kind) {
    char name[1024];
    snprintf(name, sizeof name, "%s", rp_rel(r, path));
    if (ends_with(name, ".json")) name[strlen(name) - 5] = 0;
    rp_stage *s = stage_get(r, name, kind);
    if (!s) return MM_ERR_NOMEM;
    s->tasks = 1;
    MM_TRY(flatten(s, root, "", 0));
    if (same_as_earlier(r, s)) {
        stage_free(s);
        r->nst--;
    }
    return MM_OK;
}

static bool is_marker(const char *path) {
    const char *base = strrchr(path, '/');
    return base && !strncmp(base + 1, "task-", 5) && strstr(path, "/_run/");
}

static mm_err add_json(rp_run *r, const char *path, const char *dir) {
    struct stat sb;
    if (stat(path, &sb) || sb.st_size > MAX_JSON_BYTES) return MM_OK;
    mm_json_doc *doc;
    mm_json *root;
    if (mm_json_parse_file(path, &doc, &root) != MM_OK) {
        mm_error_clear();
        return list_add(&r->bad_files, rp_rel(r, path));
    }
    mm_err e = MM_OK;
    rk_kind kind = kind_of(root);
    bool used = true;
    if (root->type != MM_JSON_OBJ)
        used = false;
    else if (is_marker(path))
        e = add_marker(r, path, root);
    else if (has(root, "iterations"))
        e = list_add(&r->iterate_dirs, dir);
    else if (has(root, "benchmarks") && has(root, "removed"))
        e = list_add(&r->decontam_reports, path);
    else if (kind == RK_EVAL)
        e = list_add(&r->evals, path), e = e ? e : add_stats(r, path, root, kind);
    else if (kind != RK_UNKNOWN)
        e = add_stats(r, path, root, kind);
    else
        used = false;
    r->files_read += used;
    mm_json_doc_free(doc);
    return e;
}

/* log.jsonl: pretrain (loss with lr, or val_loss), GRPO (reward_mean) or the supervised
 * warm-up of `grpo --algo sft` (step and loss only), told by its first lines. */
static mm_err add_log(rp_run *r, const char *path) {
    mm_lines *l;
    if (mm_lines_open(path, 1 << 20, &l) != MM_OK) return mm_error_clear(), MM_OK;
    const char *line;
    size_t n;
    mm_err e = MM_OK;
    rp_list *to = NULL;
    for (int k = 0; k < 3 && !to && mm_lines_next(l, &line, &n, &e) == 1; k++) {
        if (memmem(line, n, "\"reward_mean\"", 13))
            to = &r->grpo_logs;
        else if (memmem(line, n, "\"lr\"", 4) || memmem(line, n, "\"val_loss\"", 10))
            to = &r->pretrain_logs;
        else if (memmem(line, n, "\"loss\"", 6))
            to = &r->sft_logs;
    }
    mm_lines_close(l);
    if (!to) return MM_OK;
    r->files_read++;
    return list_add(to, path);
}

static mm_err walk(rp_run *r, const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) {
        if (depth == 0) return mm_fail(MM_ERR_IO, "%s: cannot read the folder", dir);
        return MM_OK;
    }
    mm_err e = MM_OK;
    bool shards = false;
    rp_list subdirs = {0};
    struct dirent *de;
    while (e == MM_OK && (de = readdir(d))) {
        const char *nm = de->d_name;
        if (nm[0] == '.' || strstr(nm, ".tmp.")) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        struct stat sb;
        if (stat(path, &sb)) continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth < MAX_DEPTH) e = list_add(&subdirs, path);
        } else if (ends_with(nm, ".json")) {
            e = add_json(r, path, dir);
        } else if (!strcmp(nm, "log.jsonl")) {
            e = add_log(r, path);
        } else if (ends_with(nm, ".jsonl.zst") && strstr(nm, "removed")) {
            e = list_add(&r->removed_docs, path);
        } else if (ends_with(nm, ".jsonl.zst")) {
            shards = true;
        } else if (ends_with(nm, ".tsv") && ends_with(dir, "/removed")) {
            e = list_add(&r->removed_tsv, path);
        }
    }
    closedir(d);
    if (e == MM_OK && shards) e = list_add(&r->shard_dirs, dir);
    list_sort(&subdirs); /* the same page whatever order readdir gives */
    for (size_t i = 0; e == MM_OK && i < subdirs.n; i++)
        e = walk(r, subdirs.v[i], depth + 1);
    list_free(&subdirs);
    return e;
}

static int cmp_stage(const void *a, const void *b) {
    const rp_stage *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static void run_free(rp_run *r) {
    for (size_t i = 0; i < r->nst; i++)
        stage_free(&r->st[i]);
    free(r->st);
    rp_list *lists[] = {
        &r->iterate_dirs, &r->decontam_reports, &r->pretrain_logs, &r->grpo_logs,  &r->sft_logs,
        &r->evals,        &r->removed_docs,     &r->removed_tsv,   &r->shard_dirs, &r->bad_files};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        list_free(lists[i]);
}

mm_err mm_report_html(const char *dir, const mm_report_opts *o, mm_buf *html,
                      mm_report_info *info) {
    mm_report_info dummy;
    rp_run r = {0};
    char clean[4096];
    snprintf(clean, sizeof clean, "%s", dir);
    for (size_t n = strlen(clean); n > 1 && clean[n - 1] == '/'; n--)
        clean[n - 1] = 0;
    r.dir = clean;
    if (o) r.o = *o;
    if (!r.o.samples) r.o.samples = 6;
    if (!r.o.scan_docs) r.o.scan_docs = 20000;
    r.info = info ? info : &dummy;
    memset(r.info, 0, sizeof *r.info);
    mm_err e = walk(&r, clean, 0);
    if (e == MM_OK) {
        /* markers and stats files in name order: stable, and pipeline stages stay together */
        if (r.nst > 1) qsort(r.st, r.nst, sizeof *r.st, cmp_stage);
        rp_list *sorted[] = {&r.iterate_dirs, &r.decontam_reports, &r.pretrain_logs,
                             &r.grpo_logs,    &r.sft_logs,         &r.evals,
                             &r.removed_docs, &r.removed_tsv,      &r.shard_dirs};
        for (size_t i = 0; i < sizeof sorted / sizeof *sorted; i++)
            list_sort(sorted[i]);
        r.info->files_read = r.files_read;
        r.info->files_bad = r.bad_files.n;
        r.info->stages = r.nst;
        e = rp_render(&r, html);
    }
    run_free(&r);
    return e;
}

mm_err mm_report_write(const char *dir, const char *path, const mm_report_opts *o,
                       mm_report_info *info) {
    mm_buf b = {0};
    mm_err e = mm_report_html(dir, o, &b, info);
    mm_out *out = NULL;
    if (e == MM_OK) e = mm_out_open(path, 0, &out);
    if (e == MM_OK && (e = mm_out_write(out, b.data, b.len)) != MM_OK)
        mm_out_abort(out);
    else if (e == MM_OK)
        e = mm_out_commit(out);
    mm_buf_free(&b);
    return e;
}
