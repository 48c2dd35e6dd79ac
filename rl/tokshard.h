/* rl/tokshard.h — token shards in llm.c's .bin format.
 *
 * Layout: a header of 256 little-endian int32 — [0] magic (20240520 for uint16 tokens,
 * 20240801 for uint32 tokens), [1] version (1), [2] token count — then the tokens.  uint32 is
 * used when the vocabulary exceeds 65,535.  Readers check magic, version and that the file
 * size equals header + count * token size, and say what is wrong otherwise. */
#ifndef MM_TOKSHARD_H
#define MM_TOKSHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define MM_TOKSHARD_MAGIC16 20240520
#define MM_TOKSHARD_MAGIC32 20240801
#define MM_TOKSHARD_VERSION 1

/* Write `n` tokens to `path` atomically; uint16 when vocab <= 65536, else uint32. */
MM_API mm_err mm_tokshard_write(const char *path, const uint32_t *tokens, size_t n, int vocab);

/* A shard opened for reading: the tokens are memory-mapped. */
typedef struct mm_tokshard mm_tokshard;
MM_API mm_err mm_tokshard_open(const char *path, mm_tokshard **out);
MM_API size_t mm_tokshard_count(const mm_tokshard *s);
MM_API uint32_t mm_tokshard_get(const mm_tokshard *s, size_t i);
/* Copy tokens [from, from+n) into dst as int32 (n must fit). */
MM_API mm_err mm_tokshard_read(const mm_tokshard *s, size_t from, size_t n, int32_t *dst);
MM_API void mm_tokshard_close(mm_tokshard *s);

/* ---- the shard stage: documents -> train/val token shards (what `mathmine shard` runs) ----
 * Every document is preceded by <|endoftext|>; documents are shuffled with `seed`; corpus
 * documents go to validation until it holds val_tokens (or val_frac of the corpus' tokens;
 * -1 = use val_frac), at least one staying in training, none taking validation past twice the
 * target; mix documents go to training `repeat` times each.  Outputs OUT/train_NNNNNN.bin,
 * OUT/val_NNNNNN.bin of shard_tokens tokens, and OUT/shards.json last (the summary, also in
 * result.json).  A complete OUT is skipped unless force.  A validation split outside half to
 * twice the target fills result.split_warning (and warn()); an empty training split fails.
 * On failure or stop nothing is left in OUT but what was there. */
typedef struct mm_shard_mix {
    const char *path;
    int repeat;
} mm_shard_mix;

typedef struct mm_shard_opts {
    const char *tok; /* tokenizer folder */
    const char *out;
    const char *const *inputs;
    int ninputs;
    const mm_shard_mix *mix;
    int nmix;
    double val_frac;
    long long val_tokens; /* -1: use val_frac */
    uint64_t seed;
    long long shard_tokens;
    int threads, force;
    bool progress;                            /* a progress line on a terminal */
    volatile int *stop;                       /* may be NULL: non-zero stops the work (MM_ERR_IO) */
    void (*warn)(void *ctx, const char *msg); /* broken input lines (first 10), the split */
    void *ctx;
} mm_shard_opts;

typedef struct mm_shard_result {
    bool skipped; /* OUT was complete */
    mm_buf json;  /* shards.json */
    uint64_t docs, bytes, bad, train_tokens, val_tokens;
    int train_shards, val_shards, threads;
    double secs, encode_s;
    char split_warning[512]; /* "" when the split is as asked */
} mm_shard_result;

MM_API mm_err mm_shard_build(const mm_shard_opts *o, mm_shard_result *r);
MM_API void mm_shard_result_free(mm_shard_result *r);

#endif
