/* corpus/iterate_summary.h — internal to iterate: the per-shard count summaries of an
 * iteration (written by map tasks, or by the driver's threads) and their merge (the reduce).
 *
 * A shard's summary is two small text files beside each other in iter-K.tmp/counts/:
 *   <stem>.prefixes.tsv  "prefix \t domain \t pages \t collected \t tokens", one row per
 *                        (URL prefix, domain key) of the shard's pages, sorted by key bytewise;
 *   <stem>.domains.tsv   a header line, a totals line ("# totals", rows, pool positives,
 *                        collected positives, overlap with the previous iteration, the score sum
 *                        and sum of squares as exact hex floats, the 20-bin score histogram),
 *                        then "domain \t pages \t collected \t tokens" sorted by domain bytewise.
 *                        Written last: its presence marks the shard done.
 * Every page's prefixes are counted, whatever its domain: which domains are math is only known
 * once every shard's domain counts are merged, and the reduce keeps the prefixes of those.
 *
 * The merge reads key-sorted count files with at most mm_merge_fanin() (common/merge.h) open at
 * once: with more, it first merges groups into intermediate files (same format, removed when done),
 * level after level, so tens of thousands of shards merge in bounded memory and open files.  The
 * merged domains leave in key order; an external sort (iter_sorter) puts them in the order of
 * domains.tsv without holding every domain in memory. */
#ifndef MM_ITERATE_SUMMARY_H
#define MM_ITERATE_SUMMARY_H

#include <stdint.h>

#include "classifier/classifier.h"
#include "corpus/iterate.h"

/* What one shard's summary adds to the iteration's totals. */
typedef struct iter_totals {
    uint64_t rows;
    uint64_t pool_positives, collected_positives; /* pages that are training positives */
    uint64_t overlap;                             /* collected by this and the previous iteration */
    double sum, sq;                               /* of the scores, in row order */
    uint64_t hist[20];
} iter_totals;

/* What counting one shard needs. */
typedef struct iter_count_in {
    const char *scores;            /* the shard's score file */
    const char *prev_scores;       /* the previous iteration's, NULL in iteration 1 */
    const mm_select_cut *cut;      /* this iteration's collection */
    const mm_select_cut *prev_cut; /* the previous one's (with prev_scores) */
    const mm_idset *positives;     /* ids of the training positives */
    mm_iter_key key;
} iter_count_in;

/* Count one shard into domains_out and prefixes_out (atomic each; prefixes first). */
mm_err iter_count_shard(const iter_count_in *in, const char *domains_out, const char *prefixes_out);
/* The totals line of a shard's domains file. */
mm_err iter_read_totals(const char *domains_path, iter_totals *t);

/* Called once per distinct key of a merge, in key order, with the sums of its three counts
 * (pages, collected, tokens). */
typedef mm_err (*iter_merge_emit)(void *ctx, const char *key, const uint64_t v[3]);
/* Merge the key-sorted count files paths[0..n) (lines starting with '#' skipped); intermediate
 * files go next to tmp_prefix. */
mm_err iter_merge_counts(const char *const *paths, size_t n, const char *tmp_prefix,
                         iter_merge_emit emit, void *ctx);

/* An external sort of count rows by key (bytewise), in bounded memory: rows are held up to a
 * chunk (iter_sort_chunk(): 500,000 rows, or MM_ITER_SORT_ROWS), each full chunk sorted and
 * written to a run file next to tmp_prefix; iter_sort_finish merges the runs into emit (as
 * iter_merge_counts: equal keys summed) and removes them. */
typedef struct iter_sorter iter_sorter;
mm_err iter_sort_open(const char *tmp_prefix, iter_sorter **out);
mm_err iter_sort_add(iter_sorter *s, const char *key, const uint64_t v[3]);
/* Emit every row in key order; frees s (also on failure). */
mm_err iter_sort_finish(iter_sorter *s, iter_merge_emit emit, void *ctx);
void iter_sort_free(iter_sorter *s); /* accepts NULL; removes the run files */
size_t iter_sort_chunk(void);

#endif
