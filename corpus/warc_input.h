/* corpus/warc_input.h — internal: the input layer under the WARC reader (not installed).
 *
 * An mm_in turns a path ("-" = stdin, http(s):// URL, local file) into a stream of decompressed
 * bytes.  The codec is found from the first bytes, not the name: gzip (libdeflate member by
 * member, zlib streaming for a member too big to hold), bzip2/xz/zstd/lz4 (libarchive's raw
 * format), or plain.
 *
 * Damage in the compressed layer (a bad gzip member, bytes that are not a gzip member, a member
 * cut short) is an event: mm_in_read first returns every byte decoded before it, then returns
 * -1 once with `*dmg` set and the detail recorded (file, byte offset, reason), then carries on
 * from the next gzip member.  The stream is discontinuous at that point.
 *
 * Member marks: for gzip input, the position in the decompressed stream where each member starts
 * and its offset in the file are remembered (the last MM_IN_MARKS of them), so the reader can
 * give a record's offset as the seekable member start. */
#ifndef MM_WARC_INPUT_H
#define MM_WARC_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "corpus/warc.h"

typedef enum { MM_IN_PLAIN, MM_IN_GZIP, MM_IN_ARCHIVE } mm_in_codec;
typedef enum { MM_DMG_NONE, MM_DMG_GARBAGE, MM_DMG_BAD_GZIP, MM_DMG_TRUNCATED } mm_in_damage;

typedef struct mm_in mm_in;

/* Open `path` for reading; `name` is used in messages.  A URL is fetched with `http`'s retry
 * limits (NULL = defaults) and its attempts counted into *hst (may be NULL).  Fails
 * (MM_ERR_IO) when the file or URL cannot be opened at all. */
mm_err mm_in_open(const char *path, const char *name, const mm_http_retry *http,
                  mm_http_fetch_stats *hst, mm_in **out);
/* Up to `cap` decoded bytes into dst: >0 bytes, 0 end of input, -1 damage (*dmg says which,
 * detail set) or a fatal read error (*dmg == MM_DMG_NONE, *err set). */
ssize_t mm_in_read(mm_in *in, void *dst, size_t cap, mm_in_damage *dmg, mm_err *err);
/* The file offset of the gzip member starting at decompressed position `upos`, if one does. */
bool mm_in_member_at(const mm_in *in, uint64_t upos, uint64_t *file_off);
/* Restart decoding at file offset `off` (a plain file, or a gzip member start in a local file).
 * Decompressed positions restart at `off` too.  MM_ERR_UNSUPPORTED for pipes, URLs, libarchive. */
mm_err mm_in_seek(mm_in *in, uint64_t off);
mm_in_codec mm_in_get_codec(const mm_in *in);
bool mm_in_seekable(const mm_in *in);     /* a local regular file */
uint64_t mm_in_bytes_in(const mm_in *in); /* compressed bytes consumed so far */
uint64_t mm_in_size(const mm_in *in);     /* size of a regular file; 0 when unknown */
const char *mm_in_name(const mm_in *in);
void mm_in_close(mm_in *in);

#endif
