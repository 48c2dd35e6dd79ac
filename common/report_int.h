/* common/report_int.h — internals shared by report.c (finding and summing what a run wrote)
 * and report_html.c (the page).  Not installed. */
#ifndef MM_REPORT_INT_H
#define MM_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/report.h"

/* What a stats JSON is, told by its keys. */
typedef enum {
    RK_UNKNOWN,
    RK_EXTRACT,  /* extract: math_found */
    RK_SCORE,    /* classify score: load_seconds */
    RK_SELECT,   /* select: rows, selected */
    RK_TRAIN,    /* classify train: pos_docs */
    RK_EVALCLS,  /* classify eval: roc_auc, thresholds */
    RK_DEDUP,    /* dedup url|exact: map/merge/filter objects */
    RK_MINHASH,  /* dedup minhash: signatures/buckets/clusters */
    RK_DECONTAM, /* decontaminate: benchmark_keys */
    RK_TOKENS,   /* shard: train_tokens, val_tokens */
    RK_EVAL,     /* eval: greedy_acc */
} rk_kind;

typedef struct rp_kv {
    char *key; /* "a.b" for nested objects */
    double v;
} rp_kv;

typedef struct rp_stage {
    char *name; /* pipeline stage, or the stats file's path under DIR without ".json" */
    rk_kind kind;
    rp_kv *kv;
    size_t nkv, capkv;
    bool marker; /* from `mathmine run` task markers: the fields below are measured */
    unsigned tasks, failed;
    double wall_s, cpu_s, rss_kb, in_bytes;
    char *fail[8]; /* "log: last error line" of failed tasks */
    size_t nfail;
} rp_stage;

typedef struct rp_list {
    char **v;
    size_t n, cap;
} rp_list;

typedef struct rp_run {
    const char *dir;
    mm_report_opts o;
    rp_stage *st;
    size_t nst, capst;
    rp_list iterate_dirs, decontam_reports, pretrain_logs, grpo_logs, sft_logs, evals;
    rp_list removed_docs, removed_tsv, shard_dirs, bad_files;
    size_t files_read;
    mm_report_info *info;
} rp_run;

/* report.c */
double rp_get(const rp_stage *s, const char *key, double def);
const rp_stage *rp_find(const rp_run *r, rk_kind kind, const char *name_part);
const char *rp_rel(const rp_run *r, const char *path); /* path under r->dir */

/* report_html.c */
mm_err rp_render(rp_run *r, mm_buf *html);

#endif
