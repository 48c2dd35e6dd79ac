/* common/io.h — line-oriented reading of (optionally zstd-compressed) files, and atomic output.
 *
 * mm_lines: reads `path` ("-" = stdin) line by line; a name ending in ".zst" is decompressed
 * with libzstd as it streams.  Lines are returned without their '\n'; the pointer stays valid
 * until the next call.  Lines longer than `max_line` are skipped and counted (never buffered
 * whole), so memory stays bounded.  mm_lines_offset() is the byte offset of the current line in
 * the decompressed stream, for error messages.
 *
 * mm_out: writes to "<path>.tmp.<pid>" and only mm_out_commit() renames it over `path`, so a
 * crash or an error never leaves a half-written output.  A name ending in ".zst" is compressed.
 * mm_out_abort (and mm_out_commit on failure) removes the temp file. */
#ifndef MM_IO_H
#define MM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct mm_lines mm_lines;

MM_API mm_err mm_lines_open(const char *path, size_t max_line, mm_lines **out);
/* 1 = got a line, 0 = end of input, <0 never; errors are returned as mm_err through *err. */
MM_API int mm_lines_next(mm_lines *r, const char **line, size_t *len, mm_err *err);
MM_API uint64_t mm_lines_offset(const mm_lines *r);
MM_API uint64_t mm_lines_number(const mm_lines *r); /* 1-based number of the current line */
MM_API uint64_t mm_lines_skipped_long(const mm_lines *r);
MM_API void mm_lines_close(mm_lines *r);

typedef struct mm_out mm_out;

MM_API mm_err mm_out_open(const char *path, int zstd_level, mm_out **out);
MM_API mm_err mm_out_write(mm_out *o, const void *data, size_t n);
MM_API mm_err mm_out_commit(mm_out *o); /* flush, fsync, rename; frees o */
MM_API void mm_out_abort(mm_out *o);    /* remove the temp file; frees o; accepts NULL */
/* open, write data[0..n), commit: a small file written atomically in one call */
MM_API mm_err mm_out_file(const char *path, int zstd_level, const void *data, size_t n);
MM_API uint64_t mm_out_bytes(const mm_out *o); /* bytes given to mm_out_write so far */
/* Remove the temp files of every output still open (they are not freed): for a program that
 * exits on an error or an interrupt (tools/ call it at exit), so nothing half-written stays. */
MM_API void mm_out_remove_temps(void);
/* Remove "<path>.tmp.<pid>[.*]" files and folders left by a killed run: only those whose pid is
 * no process on this machine.  mm_out_open does it for its path; stages with other temp names
 * call it.  Returns how many were removed. */
MM_API int mm_remove_stale_temps(const char *path);

/* True when `path` exists as a regular, non-empty file (a finished output to skip). */
MM_API bool mm_file_done(const char *path);
/* May a command write its output folder `dir`, replacing what is there?  Yes when `dir` is
 * missing or empty; when it holds `marker` (a file only mathmine writes there, e.g.
 * "train_state.json"), only with `force`.  Anything else (a folder of other files, a file) is
 * refused with MM_ERR_ARG naming `dir` and one of its entries: no command deletes what it did
 * not create.  `what` names the run in the message ("pretraining run"). */
MM_API mm_err mm_out_dir_check(const char *dir, const char *marker, bool force, const char *what);
/* mkdir -p */
MM_API mm_err mm_mkdirs(const char *path);
/* Basename of `path` with a known extension chain (.warc.gz, .jsonl.zst, ...) removed. */
MM_API void mm_stem(const char *path, char *out, size_t cap);

#endif
