/* common/doc.h — the document record of mathmine's document shards (*.jsonl.zst), Dolma-style:
 *
 *   {"id","text","source","url","host","domain","lang","lang_score","date",
 *    "warc":{"file","offset","record_id"},"math":{...counts...}[,"truncated":"reason"]}
 *
 * mm_doc holds borrowed pointers: after mm_doc_reader_next they point into the reader and stay
 * valid until the next call; when writing, the caller owns them.  `raw`/`raw_len` is the
 * original JSON line, so a stage that only selects documents can copy it unchanged.  Fields
 * missing from a line are "" (strings) or 0/-1 (numbers).  `math_json` is the raw JSON object of
 * math counts ("{}" when absent).  `truncated` is "" for a whole page, else why the page's
 * text is only part of it ("length", "eof", "gzip", "http", …; see docs/extract.md); the key is
 * written only when it is not "". */
#ifndef MM_DOC_H
#define MM_DOC_H

#include <stdint.h>

#include "common/buf.h"
#include "common/io.h"

typedef struct mm_doc {
    const char *id, *text, *source, *url, *host, *domain, *lang, *date;
    size_t text_len;
    double lang_score;
    const char *warc_file, *warc_record_id;
    int64_t warc_offset; /* -1 when unknown */
    const char *math_json;
    const char *truncated; /* "" or NULL: a whole page */
    const char *raw;
    size_t raw_len;
} mm_doc;

/* Append `d` as one JSON line (with '\n') to `b`. */
MM_API mm_err mm_doc_to_json(mm_buf *b, const mm_doc *d);

/* A stable id: 16 hex digits of a 64-bit hash of `key` (the WARC record id, or the URL). */
MM_API void mm_doc_make_id(const char *key, size_t n, char out[17]);

typedef struct mm_doc_reader mm_doc_reader;

/* Reads a document shard (.jsonl or .jsonl.zst, "-" = stdin). */
MM_API mm_err mm_doc_reader_open(const char *path, mm_doc_reader **out);
/* 1 = *d filled; 0 = end of input; -1 = this line is broken (detail names file and line;
 * the reader has already moved past it, call again to go on).  Fatal errors: *err != MM_OK. */
MM_API int mm_doc_reader_next(mm_doc_reader *r, mm_doc *d, mm_err *err);
/* From now on fill only id, text, url, raw and raw_len (the other fields "" or -1, math_json
 * "{}"), read without building a JSON tree: for stages that scan the text and copy lines
 * (decontamination).  Broken lines are refused, named and counted as before. */
MM_API void mm_doc_reader_light(mm_doc_reader *r);
MM_API uint64_t mm_doc_reader_bad(const mm_doc_reader *r);   /* broken lines seen so far */
MM_API uint64_t mm_doc_reader_bytes(const mm_doc_reader *r); /* decompressed bytes consumed */
MM_API void mm_doc_reader_close(mm_doc_reader *r);

#endif
