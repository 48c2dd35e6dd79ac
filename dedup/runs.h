/* dedup/runs.h — internal: the binary run files of the dedup stages, and a k-way merge.
 *
 * Every file: an 80-byte header (8-byte magic, u32 version, u32 record size, eight u64 parameters),
 * the records, and a 16-byte trailer (u64 record count, the magic again).  Readers check magic,
 * version, record size and that the file size matches the count, so a truncated or foreign file
 * is refused with a message saying what to rerun.  Little-endian host byte order. */
#ifndef MM_DEDUP_RUNS_H
#define MM_DEDUP_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/attrs.h"
#include "common/doc.h"
#include "common/error.h"
#include "common/io.h"
#include "dedup/dedup.h"

#define DD_VERSION 2 /* 2: eight header parameters (1 had six) */

typedef struct dd_header {
    char magic[8];
    uint32_t version, recsize;
    uint64_t p[8];
} dd_header;

/* Writing: mm_out + header now, trailer at dd_close. */
typedef struct dd_writer {
    mm_out *o;
    char magic[8];
    uint64_t count;
} dd_writer;
mm_err dd_create(dd_writer *w, const char *path, const char magic[8], uint32_t recsize,
                 const uint64_t p[8]);
mm_err dd_write(dd_writer *w, const void *recs, size_t n, size_t recsize);
mm_err dd_close(dd_writer *w); /* commit */
void dd_abort(dd_writer *w);

/* Reading: buffered records from [first, first + n) of a checked file. */
typedef struct dd_reader {
    FILE *f;
    char *path;
    dd_header h;
    uint64_t count; /* records in the file */
    uint64_t left;  /* records left in the current range */
    unsigned char *buf;
    size_t buf_recs, buf_n, buf_i;
} dd_reader;
mm_err dd_open(dd_reader *r, const char *path, const char magic[8], uint32_t recsize);
mm_err dd_seek(dd_reader *r, uint64_t first, uint64_t n);
/* Next record, or NULL at the end of the range (*err set on a read failure). */
const void *dd_next(dd_reader *r, mm_err *err);
void dd_close_reader(dd_reader *r);

/* Sorted names in `dir` ending with `suffix` (full paths); caller frees with dd_free_list. */
mm_err dd_list(const char *dir, const char *suffix, char ***paths, size_t *n);
void dd_free_list(char **paths, size_t n);

/* ---- hierarchical k-way merge ----
 *
 * A merge of thousands of sorted runs would hold thousands of files open.  dd_merge holds at
 * most `fan-in` (mm_merge_fanin(), common/merge.h: 64, or MM_MERGE_FANIN) open: with more runs it
 * first merges groups of fan-in runs into intermediate run files (next to `tmp_prefix`, removed
 * when done), level after level, then merges the last level into `emit`.  Records keep the index of
 * the run they came from: an intermediate file stores it in the record's spare u32 at `file_off`,
 * so the final order and every emitted (record, file) pair are those of a one-level merge. */
typedef struct dd_src {
    const char *path;  /* a checked file of `magic` records */
    uint64_t first, n; /* the sorted range of records to merge */
    uint32_t file;     /* the run's index, given to less() and emit() */
} dd_src;
/* Order of two records; ties are broken by file in the caller's less (file a, file b). */
typedef int (*dd_rec_less)(const void *a, uint32_t fa, const void *b, uint32_t fb);
typedef mm_err (*dd_rec_emit)(void *ctx, const void *rec, uint32_t file);
mm_err dd_merge(const dd_src *src, size_t n, const char magic[8], uint32_t recsize, size_t file_off,
                const char *tmp_prefix, dd_rec_less less, dd_rec_emit emit, void *ctx);

/* Checksum of a shard's document ids in order (the stages record it and check it later, so that
 * positions are only ever applied to the very documents they were counted on). */
static inline uint64_t dd_idsum_add(uint64_t sum, uint64_t id_hash) {
    return (sum ^ id_hash) * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
}

/* ---- the filter stages ----
 * Read `shard` (documents that `skip` drops are absent, as for the stage that counted the
 * positions), and drop the documents at positions pos[0..npos) (sorted): copy mode writes the
 * rest to out_shard and a TSV line per dropped one to removed_tsv; attribute mode writes the
 * dropped ids to attrs_path instead.  The shard's documents must be the ones the positions were
 * counted on: their count and id checksum are compared with docs/idsum (recorded by the map
 * stage) and a difference fails the shard, nothing written. */
typedef struct dd_filter {
    const char *shard;
    const mm_attrs *skip;
    const uint32_t *pos;
    size_t npos;
    uint64_t docs, idsum;
    const char *recorded_in; /* the file holding docs/idsum, for messages */
    const char *out_shard, *removed_tsv;
    const char *attrs_path;
    mm_attr_tag tag;
    /* the TSV line (copy mode) or the detail (attribute mode) of drop k, appended to out */
    mm_err (*line)(void *ctx, size_t k, const mm_doc *d, bool attrs, mm_buf *out);
    void *ctx;
} dd_filter;
mm_err dd_filter_run(const dd_filter *f, mm_dedup_stats *st);

/* Grow helper: *arr holds *cap elements of size sz; make room for need. */
mm_err dd_grow(void **arr, size_t *cap, size_t need, size_t sz);
#define DD_GROW(arr, cap, need) dd_grow((void **)&(arr), &(cap), (need), sizeof *(arr))

/* ISO date "2024-01-02T03:04:05Z" -> 20240102030405 (first 14 digits; 0 when none). */
uint64_t dd_date_key(const char *date);

#endif
