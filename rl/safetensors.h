/* rl/safetensors.h — the safetensors file format (Hugging Face): reading and writing.
 *
 * Layout: an 8-byte little-endian header length N, N bytes of JSON header, then the raw tensor
 * bytes.  The header maps each tensor name to {"dtype": "F32", "shape": [..], "data_offsets":
 * [begin, end]} (offsets relative to the start of the data); an optional "__metadata__" member
 * maps strings to strings.
 *
 * Reading: mm_st_parse validates everything before anything is trusted — header length within
 * the file, valid JSON, known dtypes, shapes whose byte size equals the offsets span, offsets
 * inside the data, tensors not overlapping — and names the offending tensor on failure.
 * An mm_st borrows the bytes given to mm_st_parse (they must outlive it); mm_st_open reads a
 * file and owns its bytes.  Names and metadata strings stay valid until mm_st_free.
 *
 * Writing: mm_st_write writes F32 tensors atomically (temp file + rename). */
#ifndef MM_SAFETENSORS_H
#define MM_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define MM_ST_MAX_DIMS 8

typedef struct mm_st_tensor {
    const char *name;
    const char *dtype; /* "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL" */
    int ndim;
    int64_t shape[MM_ST_MAX_DIMS];
    uint64_t begin, end; /* byte offsets in the data section */
    const void *data;    /* begin of the bytes; may be unaligned (use memcpy) */
} mm_st_tensor;

typedef struct mm_st mm_st;

MM_API mm_err mm_st_parse(const void *bytes, size_t n, mm_st **out);
MM_API mm_err mm_st_open(const char *path, mm_st **out);
MM_API void mm_st_free(mm_st *st); /* accepts NULL */

MM_API size_t mm_st_count(const mm_st *st);
MM_API const mm_st_tensor *mm_st_at(const mm_st *st, size_t i); /* in header order */
MM_API const mm_st_tensor *mm_st_find(const mm_st *st, const char *name);
/* A "__metadata__" value, or NULL. */
MM_API const char *mm_st_meta(const mm_st *st, const char *key);
/* Number of elements of a tensor (product of its shape). */
MM_API uint64_t mm_st_numel(const mm_st_tensor *t);

/* Copy an F32 tensor of exactly `n` elements into dst; MM_ERR_MISMATCH names the tensor when the
 * dtype or size differs. */
MM_API mm_err mm_st_read_f32(const mm_st_tensor *t, float *dst, size_t n);

typedef struct mm_st_entry {
    const char *name;
    int ndim;
    int64_t shape[MM_ST_MAX_DIMS];
    const float *data; /* product(shape) floats */
} mm_st_entry;

/* Write tensors (F32) and optional metadata pairs meta[0]=key0, meta[1]=value0, ... */
MM_API mm_err mm_st_write(const char *path, const mm_st_entry *t, size_t n, const char *const *meta,
                          size_t nmeta_pairs);

#endif
