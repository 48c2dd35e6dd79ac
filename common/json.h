/* common/json.h — JSON writing and a small DOM parser.
 *
 * Writing: mm_json_str appends a quoted, escaped string; invalid UTF-8 bytes become U+FFFD, so
 * whatever the input, the output is valid UTF-8 JSON.  mm_jw_* build an object/array with commas
 * handled for you.
 *
 * Reading: mm_json_parse builds a tree in an arena owned by the mm_json_doc; every node and
 * string stays valid until mm_json_doc_free.  Strings are decoded (escapes, \u surrogate pairs)
 * and NUL-terminated; `len` gives their byte length (they may contain NUL via \u0000).
 * Depth is capped at 512 (deeper input is MM_ERR_FORMAT, never a stack overflow). */
#ifndef MM_JSON_H
#define MM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* ---- writing ---- */
MM_API mm_err mm_json_str(mm_buf *b, const char *s, size_t n);

typedef struct mm_jw {
    mm_buf *b;
    int depth;
    bool need_comma[64];
} mm_jw;

MM_API void mm_jw_init(mm_jw *w, mm_buf *b);
MM_API mm_err mm_jw_obj_begin(mm_jw *w);
MM_API mm_err mm_jw_obj_end(mm_jw *w);
MM_API mm_err mm_jw_arr_begin(mm_jw *w);
MM_API mm_err mm_jw_arr_end(mm_jw *w);
MM_API mm_err mm_jw_key(mm_jw *w, const char *key);
MM_API mm_err mm_jw_string(mm_jw *w, const char *s);
MM_API mm_err mm_jw_stringn(mm_jw *w, const char *s, size_t n);
MM_API mm_err mm_jw_int(mm_jw *w, int64_t v);
MM_API mm_err mm_jw_uint(mm_jw *w, uint64_t v);
MM_API mm_err mm_jw_double(mm_jw *w, double v); /* NaN/Inf written as null */
MM_API mm_err mm_jw_bool(mm_jw *w, bool v);
MM_API mm_err mm_jw_null(mm_jw *w);
MM_API mm_err mm_jw_raw(mm_jw *w, const char *json); /* an already-encoded value */

/* ---- reading ---- */
typedef enum {
    MM_JSON_NULL,
    MM_JSON_BOOL,
    MM_JSON_NUM,
    MM_JSON_STR,
    MM_JSON_ARR,
    MM_JSON_OBJ
} mm_json_type;

typedef struct mm_json {
    mm_json_type type;
    bool b;
    double num;
    const char *str; /* STR: decoded string; NUM: the literal text */
    size_t len;      /* STR: byte length; ARR/OBJ: number of children */
    const char *key; /* set on members of an object */
    struct mm_json *child, *next;
} mm_json;

typedef struct mm_json_doc mm_json_doc;

/* Parse `text[0..n)`.  On success *root points into *doc.  On failure the detail names the
 * byte offset.  Trailing whitespace is allowed, other trailing bytes are an error. */
MM_API mm_err mm_json_parse(const char *text, size_t n, mm_json_doc **doc, mm_json **root);
MM_API void mm_json_doc_free(mm_json_doc *doc);
/* Read and parse a (small) JSON file; on failure the detail names the file. */
MM_API mm_err mm_json_parse_file(const char *path, mm_json_doc **doc, mm_json **root);

MM_API const mm_json *mm_json_get(const mm_json *obj, const char *key);
MM_API const mm_json *mm_json_at(const mm_json *arr, size_t i);
/* Convenience: the string/number at `key`, or `def` when missing or of another type. */
MM_API const char *mm_json_get_str(const mm_json *obj, const char *key, const char *def);
MM_API double mm_json_get_num(const mm_json *obj, const char *key, double def);

/* The string members keys[0..nkeys) of the object text[0..n), without building a tree: each
 * one found is decoded into out[k] (cleared first; NUL-terminated, its length in out[k].len)
 * and found[k] set; every other value is skipped, its shape checked as mm_json_parse checks it
 * (a line mm_json_parse refuses is refused here too).  A wanted key whose value is not a string
 * is not found; of a repeated key the first counts.  Keys are at most 32 bytes.
 * At most MM_JSON_MEMBERS_MAX keys.
 * For readers that want a few fields of big records: a document's id and text. */
#define MM_JSON_MEMBERS_MAX 8
MM_API mm_err mm_json_members(const char *text, size_t n, const char *const *keys, size_t nkeys,
                              mm_buf *out, bool *found);

/* UTF-8 helpers. */
MM_API bool mm_utf8_valid(const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the byte starts no valid sequence. */
MM_API int mm_utf8_seq_len(const unsigned char *s, size_t avail);
/* Decode one code point; returns bytes consumed (>=1).  Invalid bytes decode as U+FFFD, 1 byte. */
MM_API int mm_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);
MM_API int mm_utf8_encode(uint32_t cp, char out[4]);

#endif
