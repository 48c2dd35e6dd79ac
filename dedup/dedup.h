/* dedup/dedup.h — URL dedup and exact-text dedup as map → merge → filter, so that they scale
 * to Common Crawl: no stage holds more than one shard's keys or one merge cursor per shard.
 *
 *   map (per shard, parallel, restartable):  SHARD → KEYS, the shard's (key, date, length,
 *        position) records sorted by key; 40 bytes per document.
 *        URL: key = 128-bit hash of the normalised URL (urlnorm.h); documents without a URL are
 *        never URL-duplicates.  EXACT: key = 128-bit hash of the normalised text (the words of
 *        words.h joined by spaces); documents without words are left alone.
 *   merge (one job): all KEYS files → one DROPS file per shard: a k-way merge over the sorted
 *        key files groups equal keys and picks one keeper per group.  URL: the latest crawl
 *        date, then the longest text, then the first in (shard order, position).  EXACT: the
 *        first in (shard order, position).  Memory: one cursor per shard plus the drop lists,
 *        which are spilled to disk every `mem_limit` bytes.
 *   filter (per shard, parallel): SHARD + DROPS → the kept documents (a shard) and the removed
 *        ones as TSV lines "id \t url \t reason"; or, in attribute mode (attrs_path given), only
 *        an attribute file (common/attrs.h) listing the removed ids, tag url_dup / exact_dup.
 *
 * `skip` (may be NULL): documents that earlier filters drop (their attribute files,
 * mm_attrs_load); map and filter read the shard as if they were absent.  The map stage records
 * the shard's document count and an id checksum; filter refuses a shard whose documents differ
 * (another file of the same name), so positions are only applied where they were counted.
 * The merge holds at most mm_merge_fanin() (64) key files open: with more shards it merges them in
 * levels through intermediate runs (see runs.h), with the same result.
 *
 * Document positions count the shard's readable records (broken lines are skipped the same
 * way by every stage).  Shard order is the order of the KEYS paths given to merge. */
#ifndef MM_DEDUP_DEDUP_H
#define MM_DEDUP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "common/attrs.h"
#include "common/error.h"

typedef enum mm_dedup_kind { MM_DEDUP_URL = 1, MM_DEDUP_EXACT = 2 } mm_dedup_kind;

typedef struct mm_dedup_stats {
    uint64_t docs;    /* documents read */
    uint64_t keyed;   /* documents with a key */
    uint64_t bad;     /* broken lines skipped */
    uint64_t groups;  /* merge: keys seen more than once */
    uint64_t dropped; /* merge, filter: documents removed */
    uint64_t kept;    /* filter: documents written */
    uint64_t bytes;   /* text bytes read */
    uint64_t skipped; /* documents dropped by earlier filters (skip), read as absent */
} mm_dedup_stats;

/* Accumulate b into a. */
MM_API void mm_dedup_stats_add(mm_dedup_stats *a, const mm_dedup_stats *b);

MM_API mm_err mm_dedup_map(mm_dedup_kind kind, const char *shard, const mm_attrs *skip,
                           const char *keys_path, mm_dedup_stats *st);
MM_API mm_err mm_dedup_merge(mm_dedup_kind kind, const char *const *keys_paths,
                             const char *const *drops_paths, size_t n, size_t mem_limit,
                             mm_dedup_stats *st);
/* Copy mode: out_shard and removed_tsv, attrs_path NULL.  Attribute mode: attrs_path, the
 * other two NULL. */
MM_API mm_err mm_dedup_filter(mm_dedup_kind kind, const char *shard, const mm_attrs *skip,
                              const char *drops_path, const char *out_shard,
                              const char *removed_tsv, const char *attrs_path, mm_dedup_stats *st);

/* The sorted full paths of the files in `dir` whose names end with `suffix`; free with
 * mm_dedup_list_free. */
MM_API mm_err mm_dedup_list(const char *dir, const char *suffix, char ***paths, size_t *n);
MM_API void mm_dedup_list_free(char **paths, size_t n);

/* The 128-bit key of a text's normalised words (EXACT's key), as two 64-bit halves. */
MM_API void mm_dedup_text_key(const char *text, size_t n, uint64_t key[2], uint64_t *words);

#endif
