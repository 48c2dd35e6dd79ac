/* dedup/stages.h — the dedup stages over a set of shards, as `mathmine dedup` runs them: file
 * naming in the work folder, skipping finished outputs, threads, attribute mode and the
 * recorded MinHash parameters.  Built on dedup.h and minhash.h.
 *
 * Work folder W:  W/url/keys/<stem>.keys  W/url/drops/<stem>.drops  (and W/exact/...)
 *                 W/sig/<stem>.sig  W/buckets/band-BBB.pairs  W/clusters/<stem>.rm
 *                 W/params.json (the MinHash parameters, written by the signatures stage)
 * Outputs, copy mode (out):        D/<stem>.jsonl.zst and D/removed/<stem>.tsv
 *         attribute mode (attrs):  A/<stem>.<tag>.attrs.tsv (common/attrs.h); the attribute
 *                                  files of the tags before this stage's in A are read and
 *                                  their documents treated as absent.
 * A per-shard (or per-band) output that is done and newer than its input is skipped unless
 * `force`.  A failed shard is recorded in the result (its error line) and the others go on;
 * a failure of a whole-set stage (merge, clusters) is returned.  Ownership: the caller owns
 * the options' strings; mm_dedup_result_free releases the result's error lines. */
#ifndef MM_DEDUP_STAGES_H
#define MM_DEDUP_STAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "dedup/dedup.h"
#include "dedup/minhash.h"

typedef struct mm_dedup_opts {
    const char *work;          /* W (required) */
    const char *out;           /* copy mode: D */
    const char *attrs;         /* attribute mode: A (then out is not used) */
    const char *const *shards; /* this task's shards */
    size_t nshards;
    mm_minhash_params mh;
    int band;    /* buckets: one band, or -1 for every band */
    size_t mem;  /* merge: drop-list bytes before spilling */
    int threads; /* 0 = all cores */
    bool force;
    bool progress;      /* a progress line on a terminal */
    volatile int *stop; /* may be NULL: when non-zero, no new item is started */
} mm_dedup_opts;

typedef struct mm_dedup_result {
    mm_dedup_stats st;    /* summed over the items */
    uint64_t done_before; /* items skipped as already done */
    size_t items, failed; /* shards or bands; of which failed */
    mm_buf errors;        /* "ITEM: detail\n" per failed item */
    double seconds;
    int threads;
    uint64_t pairs;              /* buckets */
    mm_minhash_cluster_stats cs; /* clusters */
    char dir[4096];              /* where the removed lists or attributes went */
} mm_dedup_result;
MM_API void mm_dedup_result_free(mm_dedup_result *r);

/* url/exact (kind) and MinHash (kind 0) per-shard stages. */
MM_API mm_err mm_dedup_run_map(mm_dedup_kind kind, const mm_dedup_opts *o, mm_dedup_result *r);
MM_API mm_err mm_dedup_run_merge(mm_dedup_kind kind, const mm_dedup_opts *o, mm_dedup_result *r);
MM_API mm_err mm_dedup_run_filter(mm_dedup_kind kind, const mm_dedup_opts *o, mm_dedup_result *r);
MM_API mm_err mm_minhash_run_buckets(const mm_dedup_opts *o, mm_dedup_result *r);
MM_API mm_err mm_minhash_run_clusters(const mm_dedup_opts *o, mm_dedup_result *r);
MM_API mm_err mm_minhash_run_synth(const mm_dedup_opts *o, uint64_t docs, uint64_t shards,
                                   double dup_rate, mm_dedup_result *r);

/* The MinHash parameters of a work folder (W/params.json).  `given` marks the fields the user
 * set (bit 0 bands, 1 rows, 2 ngram, 3 seed); the others are taken from the record when there
 * is one.  A given value that differs from the record fails with MM_ERR_MISMATCH naming both
 * values.  With `record`, a missing record is written from *p (the signatures stage). */
#define MM_MINHASH_GIVEN_BANDS 1u
#define MM_MINHASH_GIVEN_ROWS 2u
#define MM_MINHASH_GIVEN_NGRAM 4u
#define MM_MINHASH_GIVEN_SEED 8u
MM_API mm_err mm_minhash_params_sync(const char *work, mm_minhash_params *p, unsigned given,
                                     bool record);

#endif
