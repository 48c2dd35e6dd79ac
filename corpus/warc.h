/* corpus/warc.h — the streaming WARC reader used by every stage.
 *
 *   mm_warc *w;  mm_warc_open("x.warc.gz", &opts, &w);
 *   mm_warc_record rec;
 *   while ((rc = mm_warc_next(w, &rec, &err)) != 0) {
 *       if (rc < 0) { report mm_error_detail(); continue; }   // damaged record, already skipped
 *       ... rec.type, rec.target_uri, ... ; mm_warc_read_block(w, ...) or mm_warc_http(w, ...)
 *   }
 *   mm_warc_close(w);
 *
 * Inputs: .warc, .warc.gz (per-record members or one member), .bz2, .xz, .zst, .lz4, "-" for
 * stdin, http(s):// URLs (streamed with libcurl).  The reader never holds a whole file: it keeps
 * one record's block in memory, up to opts.max_record (larger blocks are skipped and counted).
 *
 * Ownership: everything a record points to belongs to the reader and stays valid until the next
 * mm_warc_next or mm_warc_close.  Damage (a wrong Content-Length, garbage between records, a
 * bad gzip member, a header cut short) makes mm_warc_next return -1 with the detail naming file,
 * byte offset and reason; the reader has resynchronised on the next "WARC/" line and the
 * following call returns the next good record.  Counts of what was skipped and why are in
 * mm_warc_stats.  A record whose block is cut short (by the end of the input, of its gzip member
 * or of the compressed stream) is returned with what was read and rec.truncated set, not
 * skipped; when the gzip member or stream was damaged rather than just cut by the end of the
 * file, the damage is still reported (-1) by the next call, since it may have held more. */
#ifndef MM_WARC_H
#define MM_WARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct mm_warc mm_warc;

/* How an http(s):// input survives the internet (corpus/fetch.c).  An attempt that fails with
 * a connection error, a timeout, a transfer cut short, HTTP 429 or 5xx is tried again after a
 * delay: delay_s, doubled per retry up to max_delay_s, each drawn uniformly from [d/2, d]
 * (jitter, so that a thousand tasks do not come back at once); a Retry-After header (seconds
 * or an HTTP date) is waited instead, up to max_delay_s.  A transfer that broke off after some
 * bytes resumes with "Range: bytes=N-": a 206 whose Content-Range starts at N continues; a 200
 * (the server ignores Range) is read again from the start, its first N bytes dropped.  Other
 * HTTP errors (404, 403, ...) fail at once.  0 in a field means its default. */
typedef struct mm_http_retry {
    unsigned tries;     /* attempts per URL in all (default 5) */
    double delay_s;     /* the first retry's delay (default 1 s) */
    double max_delay_s; /* cap of one delay and of Retry-After (default 60 s) */
    double timeout_s;   /* connecting, or no byte received, for this long fails an attempt (60 s) */
} mm_http_retry;

/* The defaults above, each overridden by its environment variable when set: MM_HTTP_TRIES,
 * MM_HTTP_DELAY, MM_HTTP_MAX_DELAY, MM_HTTP_TIMEOUT (seconds, decimals allowed). */
MM_API void mm_http_retry_defaults(mm_http_retry *r);

/* What fetching a URL input took (all zero for local files). */
typedef struct mm_http_fetch_stats {
    uint64_t tries;    /* attempts started */
    uint64_t retries;  /* attempts after a failed one */
    uint64_t resumes;  /* retries continued by a Range request (206) */
    uint64_t restarts; /* retries the server answered from the start (Range ignored) */
} mm_http_fetch_stats;

typedef struct mm_warc_opts {
    size_t max_record;         /* largest record block kept in memory; 0 = 32 MiB default */
    bool verify_digests;       /* check WARC-Block-Digest / WARC-Payload-Digest (sha1) */
    const char *name;          /* name used in messages (default: the path) */
    const mm_http_retry *http; /* URL inputs: retry limits (NULL = mm_http_retry_defaults) */
} mm_warc_opts;

typedef enum {
    MM_WARC_WARCINFO,
    MM_WARC_RESPONSE,
    MM_WARC_RESOURCE,
    MM_WARC_REQUEST,
    MM_WARC_METADATA,
    MM_WARC_REVISIT,
    MM_WARC_CONVERSION,
    MM_WARC_CONTINUATION,
    MM_WARC_OTHER
} mm_warc_type;

/* Why a record's block holds less than the page had.  Either the writer said so (the
 * WARC-Truncated header: the block is whole, the payload in it was cut when crawling; Common
 * Crawl cuts payloads at 1 MiB and writes "length"), or the reader found the block cut short
 * (the input, the gzip member or the compressed stream ends inside it: block_len is then less
 * than content_length, and block holds every byte that could be read).  When both apply, the
 * reader's finding wins. */
typedef enum {
    MM_WARC_TRUNC_NONE,
    MM_WARC_TRUNC_LENGTH,      /* "length": WARC-Truncated: length */
    MM_WARC_TRUNC_TIME,        /* "time": WARC-Truncated: time */
    MM_WARC_TRUNC_DISCONNECT,  /* "disconnect": WARC-Truncated: disconnect */
    MM_WARC_TRUNC_UNSPECIFIED, /* "unspecified": WARC-Truncated: unspecified or another value */
    MM_WARC_TRUNC_EOF,         /* "eof": the input (or a decompressed stream) ends in the block */
    MM_WARC_TRUNC_GZIP,        /* "gzip": the gzip member holding the block is cut short or bad */
    MM_WARC_TRUNC_STREAM,      /* "stream": the .bz2/.xz/.zst/.lz4 stream breaks off in the block */
    MM_WARC_TRUNC_COUNT
} mm_warc_trunc;

typedef struct mm_warc_header {
    const char *name, *value; /* name as written; value with folded lines joined by one space */
} mm_warc_header;

typedef struct mm_warc_record {
    uint64_t offset;     /* byte offset of the record in the (compressed) file */
    const char *version; /* "WARC/1.0", "WARC/1.1", "WARC/0.18" */
    mm_warc_type type;
    const char *type_name;    /* WARC-Type as written */
    const char *record_id;    /* WARC-Record-ID, "" if absent */
    const char *target_uri;   /* WARC-Target-URI with <...> unwrapped, "" if absent */
    const char *date;         /* WARC-Date, "" if absent */
    const char *content_type; /* Content-Type of the block */
    uint64_t content_length;  /* declared block length */
    const mm_warc_header *headers;
    size_t nheaders;
    const unsigned char *block; /* the record block (content_length bytes) */
    size_t block_len;
    bool oversized; /* block larger than max_record: not kept, block == NULL */
    int digest_ok;  /* 1 verified, 0 mismatch, -1 not checked / no digest */
    /* Additions.  `offset` is where mm_warc_seek (and `mathmine warc cat --offset`) finds the
     * record: the file offset for a plain file, the gzip member's start when the record starts
     * a member (per-record gzip, Common Crawl's layout); otherwise (one gzip member for many
     * records, .bz2/.xz/.zst/.lz4) the offset in the decompressed stream, and
     * offset_in_stream is true. */
    uint64_t stream_offset; /* offset of the record in the decompressed stream */
    bool offset_in_stream;
    /* MM_WARC_TRUNC_NONE, or why the block is not the whole page (mm_warc_trunc_name).  For a
     * block cut short, block_len < content_length and digests are not checked. */
    mm_warc_trunc truncated;
} mm_warc_record;

typedef struct mm_warc_stats {
    uint64_t records, by_type[MM_WARC_OTHER + 1];
    uint64_t bytes_in;  /* compressed bytes read */
    uint64_t bytes_out; /* uncompressed bytes of records */
    uint64_t skipped_truncated, skipped_bad_length, skipped_garbage, skipped_bad_gzip,
        skipped_bad_header, skipped_oversized, digest_failures;
    uint64_t damaged; /* number of -1 returns (each one message) */
    /* records returned marked truncated (all reasons), and by reason */
    uint64_t truncated, truncated_by[MM_WARC_TRUNC_COUNT];
    mm_http_fetch_stats http; /* a URL input's attempts */
} mm_warc_stats;

MM_API mm_err mm_warc_open(const char *path, const mm_warc_opts *opts, mm_warc **out);
/* 1 = a record; 0 = end of input; -1 = a damaged record was skipped (see mm_error_detail()).
 * A fatal error (cannot read at all) returns 0 with *err set. */
MM_API int mm_warc_next(mm_warc *w, mm_warc_record *rec, mm_err *err);
MM_API const char *mm_warc_header_get(const mm_warc_record *rec,
                                      const char *name); /* case-insensitive */
MM_API const mm_warc_stats *mm_warc_get_stats(const mm_warc *w);
MM_API void mm_warc_close(mm_warc *w);
MM_API const char *mm_warc_type_name(mm_warc_type t);
/* "length", "time", "disconnect", "unspecified", "eof", "gzip", "stream"; "" for NONE. */
MM_API const char *mm_warc_trunc_name(mm_warc_trunc t);

/* Additions. */
/* Restart reading at a record's `offset` (as reported in mm_warc_record.offset).  Works for
 * local plain files and gzip member starts; MM_ERR_UNSUPPORTED for pipes, URLs and other
 * codecs (read on and compare offsets instead).  The next mm_warc_next reads the record there. */
MM_API mm_err mm_warc_seek(mm_warc *w, uint64_t offset);
/* True when the input is a local file where mm_warc_seek(record.offset) works for records
 * whose offset_in_stream is false. */
MM_API bool mm_warc_can_seek(const mm_warc *w);
/* Read a Common Crawl path listing (warc.paths.gz: one relative path per line; any codec the
 * reader knows, a URL or "-") and prefix each line with `base` (e.g.
 * "https://data.commoncrawl.org/"; NULL or "" = no prefix).  *paths is one malloc'd array of
 * *n strings, freed with free(*paths). */
MM_API mm_err mm_warc_read_paths(const char *listing, const char *base, char ***paths, size_t *n);
/* The HTTP status of a response block ("HTTP/1.1 200 OK..."), 0 when the block is not one;
 * cheap: only the status line is looked at. */
MM_API int mm_http_status(const unsigned char *block, size_t n);

/* ---- HTTP payloads (corpus/http.c) ---- */
typedef struct mm_http_response {
    int status;               /* 0 when the block is not an HTTP response */
    const char *content_type; /* Content-Type header value, "" if absent */
    const char *charset;      /* charset= parameter, "" if absent */
    const mm_warc_header *headers;
    size_t nheaders;
    const unsigned char *body; /* de-chunked and decompressed (gzip, deflate, br) */
    size_t body_len;
    bool body_truncated; /* decoding stopped early (damage or cap); body is what we got */
} mm_http_response;

typedef struct mm_http mm_http; /* reusable decoder context (owns the body buffers) */
MM_API mm_http *mm_http_create(size_t max_body);
MM_API void mm_http_free(mm_http *h);
/* Parse an HTTP response block.  Pointers stay valid until the next call on `h`.
 * Common Crawl's X-Crawler-Content-Encoding / X-Crawler-Transfer-Encoding mean the payload is
 * already decoded. */
MM_API mm_err mm_http_parse(mm_http *h, const unsigned char *block, size_t n,
                            mm_http_response *out);
MM_API const char *mm_http_header_get(const mm_http_response *r, const char *name);

#endif
