/* rl/tokshard.h — token shards in llm.c's .bin format.
 *
 * Layout: a header of 256 little-endian int32 — [0] magic (20240520 for uint16 tokens,
 * 20240801 for uint32 tokens), [1] version (1), [2] token count — then the tokens.  uint32 is
 * used when the vocabulary exceeds 65,535.  Readers check magic, version and that the file
 * size equals header + count * token size, and say what is wrong otherwise. */
#ifndef MM_TOKSHARD_H
#define MM_TOKSHARD_H

#include <stddef.h>
#include <stdint.h>

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

#endif
