/* dedup/runs.h — internal: the binary run files of the dedup stages, and a k-way merge.
 *
 * Every file: a 64-byte header (8-byte magic, u32 version, u32 record size, six u64 parameters),
 * the records, and a 16-byte trailer (u64 record count, the magic again).  Readers check magic,
 * version, record size and that the file size matches the count, so a truncated or foreign file
 * is refused with a message saying what to rerun.  Little-endian host byte order. */
#ifndef MM_DEDUP_RUNS_H
#define MM_DEDUP_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/io.h"

#define DD_VERSION 1

typedef struct dd_header {
    char magic[8];
    uint32_t version, recsize;
    uint64_t p[6];
} dd_header;

/* Writing: mm_out + header now, trailer at dd_close. */
typedef struct dd_writer {
    mm_out *o;
    char magic[8];
    uint64_t count;
} dd_writer;
mm_err dd_create(dd_writer *w, const char *path, const char magic[8], uint32_t recsize,
                 const uint64_t p[6]);
mm_err dd_write(dd_writer *w, const void *recs, size_t n, size_t recsize);
mm_err dd_close(dd_writer *w); /* commit */
void dd_abort(dd_writer *w);

/* Reading: buffered records from [first, first + n) of a checked file. */
typedef struct dd_reader {
    FILE *f;
    char *path;
    dd_header h;
    uint64_t count;     /* records in the file */
    uint64_t left;      /* records left in the current range */
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

/* The k-way merge's binary min-heap of cursors: restore the heap property below node i of
 * h[0..n) with `less` ordering two cursors (the caller's own cursor type). */
typedef int (*dd_less_fn)(const void *a, const void *b);
void dd_heap_sift_down(void **h, size_t n, size_t i, dd_less_fn less);

/* Grow helper: *arr holds *cap elements of size sz; make room for need. */
mm_err dd_grow(void **arr, size_t *cap, size_t need, size_t sz);
#define DD_GROW(arr, cap, need) dd_grow((void **)&(arr), &(cap), (need), sizeof *(arr))

/* ISO date "2024-01-02T03:04:05Z" -> 20240102030405 (first 14 digits; 0 when none). */
uint64_t dd_date_key(const char *date);

#endif
