/* dedup/decontam_run.h — the decontamination stage over document shards (what `mathmine
 * decontaminate` runs): each shard scanned with mm_decontam_scan (dedup/decontam.h), in
 * parallel, clean documents copied to OUT/<stem>.jsonl.zst or, in attribute mode, the
 * contaminated ids written to OUT/<stem>.contaminated.attrs.tsv (common/attrs.h; documents that
 * earlier filters' attribute files in OUT drop are not scanned).  The removed documents are
 * kept, in input order, for the removed file and the report.  The library prints nothing: the
 * first broken lines of each shard are kept as warnings, errors per shard as messages. */
#ifndef MM_DEDUP_DECONTAM_RUN_H
#define MM_DEDUP_DECONTAM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/progress.h"
#include "dedup/decontam.h"

typedef struct mm_decontam_run_opts {
    const char *out_dir;   /* clean shards, or the attribute folder (created) */
    bool attrs;            /* attribute files instead of clean copies */
    int max_matches;       /* benchmark texts kept per removed document (1..64; 0 = 8) */
    int threads;           /* 0 = all cores */
    volatile int *stop;    /* when it becomes non-zero the run ends with "interrupted" */
    mm_progress *progress; /* may be NULL: one unit per shard, bytes as they are read */
} mm_decontam_run_opts;

/* What each shard and the whole run did. */
typedef struct mm_decontam_shard_stats {
    const char *path;
    uint64_t in, removed, bad, bytes, skipped; /* skipped: dropped by earlier attribute files */
    double scan_time, read_time, cpu; /* seconds in the scan, reading (zstd, lines, JSON), and
                                         thread CPU for the whole shard */
    mm_err err;                       /* MM_OK, or why the shard failed (message: errmsg) */
    const char *errmsg;
    size_t nwarnings; /* the first broken lines' messages (file, line, byte offset, reason) */
    const char *const *warnings;
} mm_decontam_shard_stats;

typedef struct mm_decontam_run mm_decontam_run;

/* Check the shards' stems (unique; "removed" is reserved) and run every shard.  A shard that
 * fails is recorded in its stats, the others go on; the return value is MM_OK unless the run
 * could not start (bad stems: MM_ERR_ARG, out of memory, the folder) or was stopped
 * ("interrupted"); *out is set only on MM_OK. */
MM_API mm_err mm_decontam_run_shards(const mm_decontam *d, const char *const *paths, size_t n,
                                     const mm_decontam_run_opts *o, mm_decontam_run **out);
MM_API size_t mm_decontam_run_nshards(const mm_decontam_run *r);
MM_API void mm_decontam_run_shard(const mm_decontam_run *r, size_t i, mm_decontam_shard_stats *s);
/* The removed documents' raw lines, in input order, appended to `out`. */
MM_API mm_err mm_decontam_run_removed(const mm_decontam_run *r, mm_buf *out);
/* The JSON report: n, document counts, text bytes, the index (keys, load_s), scan_s, max_rss_kb,
 * the benchmark problems, per benchmark its counts and the items found (with how many documents
 * each), and per removed document its id, url, shard, line and matches (benchmark, file, item,
 * line, id, field, kind, ngram, doc_word). */
MM_API mm_err mm_decontam_run_report(const mm_decontam_run *r, const mm_decontam *d, int n,
                                     double load_s, double scan_s, uint64_t max_rss_kb,
                                     mm_buf *out);
MM_API void mm_decontam_run_free(mm_decontam_run *r); /* accepts NULL */

#endif
