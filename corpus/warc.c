/* corpus/warc.c — the WARC record parser on top of the input layer (warc_input.c).
 *
 * The reader keeps one window of decompressed bytes, buf[pos..len), whose first byte is at
 * position `base` of the decompressed stream.  A record is parsed where it lies in the window:
 * header fields are located as offsets first (so a failed check leaves the bytes untouched for
 * resynchronisation), then, once the whole block is in the window, NUL-terminated in place and
 * handed out as pointers.  Nothing moves until the next mm_warc_next, which drops the consumed
 * record (compaction happens only when the window must grow or refill).
 *
 * Damage and resynchronisation: a record start must be "WARC/" at the start of a line.  When a
 * check fails (garbage, bad header, a block that is not followed by the record end, a file cut
 * short) the reader reports once and scans forward for the next "\nWARC/".  Scanning restarts
 * right after the damaged record's header, so a Content-Length that is too long (swallowing the
 * next record) or too short loses only that record.  Damage in the compressed layer comes up
 * from mm_in_read as an event and costs at most the record it cut. */
#include "corpus/warc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "corpus/warc_digest.h"
#include "corpus/warc_input.h"

enum {
    READ_CHUNK = 256 << 10, /* smallest read into the window */
    HEADER_MAX = 1 << 20,   /* a record header larger than this is damage */
    DEFAULT_MAX_RECORD = 32 << 20,
};

typedef struct hfield {
    size_t name, name_len, value, value_end; /* offsets from the record start */
    bool folded;
} hfield;

typedef enum {
    NEED_OK = 1,
    NEED_EOF = 0,
    NEED_DAMAGE = -1,
    NEED_FATAL = -2,
    NEED_TOO_BIG = -3
} need_rc;

struct mm_warc {
    mm_in *in;
    char *name;
    size_t max_record;
    bool verify;
    unsigned char *buf;
    size_t pos, len, cap;
    size_t chunk; /* smallest read: READ_CHUNK, less for a small plain file */
    uint64_t base;
    bool eof;
    mm_in_damage in_dmg; /* an input damage event not yet reported */
    char in_msg[320];
    mm_err fatal;
    uint64_t skip; /* block bytes of an oversized record still to skip */
    bool skip_active, seen_any;
    hfield *hf;
    size_t nhf, hf_cap;
    mm_warc_header *hdrs;
    size_t hdr_cap;
    size_t hdr_len, cl; /* of the record being parsed */
    mm_warc_stats st;
    char loc[512]; /* loc()'s message prefix */
};

static const char *const type_names[] = {"warcinfo",   "response",     "resource",
                                         "request",    "metadata",     "revisit",
                                         "conversion", "continuation", "other"};

const char *mm_warc_type_name(mm_warc_type t) {
    return (unsigned)t <= MM_WARC_OTHER ? type_names[t] : "other";
}

static const char *const trunc_names[] = {"",    "length", "time",  "disconnect", "unspecified",
                                          "eof", "gzip",   "stream"};

const char *mm_warc_trunc_name(mm_warc_trunc t) {
    return (unsigned)t < MM_WARC_TRUNC_COUNT ? trunc_names[t] : "";
}

/* The WARC-Truncated header's reason; a value outside the standard's four is "unspecified". */
static mm_warc_trunc trunc_of(const char *v) {
    if (!v) return MM_WARC_TRUNC_NONE;
    for (int t = MM_WARC_TRUNC_LENGTH; t <= MM_WARC_TRUNC_DISCONNECT; t++)
        if (!strcasecmp(v, trunc_names[t])) return (mm_warc_trunc)t;
    return MM_WARC_TRUNC_UNSPECIFIED;
}

static mm_warc_type type_of(const char *s) {
    for (int t = 0; t < MM_WARC_OTHER; t++)
        if (!strcasecmp(s, type_names[t])) return (mm_warc_type)t;
    return MM_WARC_OTHER;
}

/* ---- the window ------------------------------------------------------------------------- */

static uint64_t upos(const mm_warc *w, size_t i) {
    return w->base + i;
}

/* "NAME: byte N" for messages: the file offset where there is one (a plain file, a gzip member
 * start), else the offset in the decompressed stream, said so. */
static const char *loc(mm_warc *w, uint64_t at) {
    uint64_t off = at;
    bool in_file = mm_in_get_codec(w->in) == MM_IN_PLAIN ||
                   (mm_in_get_codec(w->in) == MM_IN_GZIP && mm_in_member_at(w->in, at, &off));
    snprintf(w->loc, sizeof w->loc, "%s: byte %llu%s", w->name, (unsigned long long)off,
             in_file ? "" : " of the decompressed stream");
    return w->loc;
}

static mm_err window_make_room(mm_warc *w, size_t need_total) {
    size_t chunk = w->chunk;
    if (w->pos > 0 && (w->cap - w->len < chunk || w->cap < need_total + w->pos)) {
        memmove(w->buf, w->buf + w->pos, w->len - w->pos);
        w->base += w->pos;
        w->len -= w->pos;
        w->pos = 0;
    }
    size_t want = need_total > w->len ? need_total : w->len;
    if (w->cap - w->len < chunk || w->cap < want) {
        size_t cap = w->cap ? w->cap : chunk * 4;
        while (cap < want || cap - w->len < chunk)
            cap *= 2;
        unsigned char *p = realloc(w->buf, cap + 1);
        if (!p)
            return mm_fail(MM_ERR_NOMEM, "%s: out of memory for a %zu byte record", w->name,
                           need_total);
        w->buf = p, w->cap = cap;
    }
    return MM_OK;
}

/* Make sure buf[pos..pos+n) is in the window.  NEED_EOF: the input ended first (what there is
 * stays); NEED_DAMAGE: the input reported damage (kept in in_dmg); NEED_FATAL: w->fatal. */
static need_rc need(mm_warc *w, size_t n) {
    while (w->len - w->pos < n) {
        if (w->eof) return NEED_EOF;
        if (w->in_dmg != MM_DMG_NONE) return NEED_DAMAGE;
        mm_err e = window_make_room(w, n);
        if (e != MM_OK) return w->fatal = e, NEED_FATAL;
        mm_in_damage d;
        ssize_t got = mm_in_read(w->in, w->buf + w->len, w->cap - w->len, &d, &e);
        if (got > 0) {
            w->len += (size_t)got;
        } else if (got == 0) {
            w->eof = true;
        } else if (d != MM_DMG_NONE) {
            w->in_dmg = d;
            snprintf(w->in_msg, sizeof w->in_msg, "%s", mm_error_detail());
            return NEED_DAMAGE;
        } else {
            return w->fatal = e, NEED_FATAL;
        }
    }
    return NEED_OK;
}

/* ---- reporting damage ---------------------------------------------------------------------- */

static int damaged(mm_warc *w, uint64_t *counter, mm_err code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int damaged(mm_warc *w, uint64_t *counter, mm_err code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (counter) (*counter)++;
    w->st.damaged++;
    mm_fail(code, "%s", msg);
    return -1;
}

static uint64_t *dmg_counter(mm_warc *w, mm_in_damage d) {
    if (d == MM_DMG_GARBAGE) return &w->st.skipped_garbage;
    if (d == MM_DMG_TRUNCATED) return &w->st.skipped_truncated;
    return &w->st.skipped_bad_gzip;
}

/* The input reported damage.  If a record was in progress it is lost with it. */
static int input_damage(mm_warc *w, bool in_record, uint64_t rec_at) {
    mm_in_damage d = w->in_dmg;
    w->in_dmg = MM_DMG_NONE;
    w->pos = w->len; /* the stream is discontinuous here */
    mm_err code = d == MM_DMG_TRUNCATED ? MM_ERR_TRUNCATED : MM_ERR_FORMAT;
    if (!in_record) return damaged(w, dmg_counter(w, d), code, "%s", w->in_msg);
    return damaged(w, dmg_counter(w, d), code, "%s (the record at stream byte %llu is lost)",
                   w->in_msg, (unsigned long long)rec_at);
}

static int need_failed(mm_warc *w, need_rc r, bool in_record, uint64_t rec_at, mm_err *err) {
    if (r == NEED_FATAL) return *err = w->fatal, 0;
    return input_damage(w, in_record, rec_at);
}

/* Scan from buf[from] for the next "WARC/" at a line start; pos moves there (true) or to the
 * end of the input / the point of an input damage (false).  Memory stays bounded: only the last
 * few bytes are kept while scanning. */
static bool resync(mm_warc *w, size_t from, mm_err *err) {
    for (;;) {
        size_t avail = w->len - from;
        const unsigned char *p = avail >= 6 ? memmem(w->buf + from, avail, "\nWARC/", 6) : NULL;
        if (p) {
            w->pos = (size_t)(p - w->buf) + 1;
            return true;
        }
        w->pos = avail > 5 ? w->len - 5 : from;
        need_rc r = need(w, w->len - w->pos + 1);
        if (r != NEED_OK) {
            if (r == NEED_FATAL) *err = w->fatal;
            if (r == NEED_EOF) w->pos = w->len;
            return false;
        }
        from = w->pos;
    }
}

/* ---- the header ----------------------------------------------------------------------------- */

/* Find the blank line ending the header that starts at pos: sets hdr_len (including the blank
 * line).  LF-only line ends are accepted. */
static need_rc find_header_end(mm_warc *w) {
    size_t scanned = 0;
    for (;;) {
        const unsigned char *s = w->buf + w->pos, *e = w->buf + w->len;
        const unsigned char *p = s + scanned;
        while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
            if (p + 1 < e && p[1] == '\n') return w->hdr_len = (size_t)(p + 2 - s), NEED_OK;
            if (p + 2 < e && p[1] == '\r' && p[2] == '\n')
                return w->hdr_len = (size_t)(p + 3 - s), NEED_OK;
            if (p + 2 >= e) break;
            p++;
        }
        scanned = (size_t)(e - s) > 2 ? (size_t)(e - s) - 2 : 0;
        if (scanned > HEADER_MAX) return NEED_TOO_BIG;
        need_rc r = need(w, w->len - w->pos + 1);
        if (r != NEED_OK) return r;
    }
}

static mm_err push_field(mm_warc *w, const hfield *f) {
    if (w->nhf == w->hf_cap) {
        size_t cap = w->hf_cap ? w->hf_cap * 2 : 32;
        hfield *p = realloc(w->hf, cap * sizeof *p);
        if (!p) return mm_fail(MM_ERR_NOMEM, "%s: out of memory", w->name);
        w->hf = p, w->hf_cap = cap;
    }
    w->hf[w->nhf++] = *f;
    return MM_OK;
}

static bool is_ws(unsigned char c) {
    return c == ' ' || c == '\t';
}

/* Locate the fields of the header buf[pos..pos+hdr_len) as offsets; nothing is modified.  A
 * line starting with a blank continues the previous field (folding).  Lines without a colon are
 * ignored. */
static mm_err scan_fields(mm_warc *w) {
    const unsigned char *s = w->buf + w->pos;
    size_t i = 0, end = w->hdr_len;
    w->nhf = 0;
    while (i < end && s[i] != '\n')
        i++; /* the version line */
    for (i++; i < end;) {
        size_t eol = i;
        while (eol < end && s[eol] != '\n')
            eol++;
        size_t vend = eol > i && s[eol - 1] == '\r' ? eol - 1 : eol;
        if (vend == i) break; /* the blank line */
        if (is_ws(s[i]) && w->nhf > 0) {
            w->hf[w->nhf - 1].value_end = vend;
            w->hf[w->nhf - 1].folded = true;
        } else {
            const unsigned char *colon = memchr(s + i, ':', vend - i);
            if (colon) {
                size_t c = (size_t)(colon - s), ne = c;
                while (ne > i && is_ws(s[ne - 1]))
                    ne--;
                size_t v = c + 1;
                while (v < vend && is_ws(s[v]))
                    v++;
                MM_TRY(push_field(w, &(hfield){i, ne - i, v, vend, false}));
            }
        }
        i = eol + 1;
    }
    return MM_OK;
}

static bool name_is(const mm_warc *w, const hfield *f, const char *name) {
    size_t n = strlen(name);
    return f->name_len == n && !strncasecmp((const char *)w->buf + w->pos + f->name, name, n);
}

/* Content-Length: digits only (surrounding blanks allowed), no overflow. */
static bool parse_length(const unsigned char *s, size_t n, uint64_t *out) {
    while (n && is_ws(s[n - 1]))
        n--;
    if (n == 0 || n > 19) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool find_length(mm_warc *w, uint64_t *cl) {
    for (size_t i = 0; i < w->nhf; i++)
        if (name_is(w, &w->hf[i], "Content-Length")) {
            const hfield *f = &w->hf[i];
            return parse_length(w->buf + w->pos + f->value, f->value_end - f->value, cl);
        }
    return false;
}

/* NUL-terminate the fields in place and build the header array.  Folded values are joined with
 * one space; values only shrink, so the writes stay inside each field's own line(s). */
static mm_err finish_fields(mm_warc *w, mm_warc_record *rec) {
    if (w->nhf > w->hdr_cap) {
        mm_warc_header *p = realloc(w->hdrs, w->nhf * sizeof *p);
        if (!p) return mm_fail(MM_ERR_NOMEM, "%s: out of memory", w->name);
        w->hdrs = p, w->hdr_cap = w->nhf;
    }
    char *s = (char *)w->buf + w->pos;
    for (size_t i = 0; i < w->nhf; i++) {
        hfield *f = &w->hf[i];
        size_t o = f->value;
        if (f->folded) {
            size_t r = f->value;
            bool blank = false;
            for (; r < f->value_end; r++) {
                char c = s[r];
                if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
                    blank = true;
                else {
                    if (blank && o > f->value) s[o++] = ' ';
                    blank = false;
                    s[o++] = c;
                }
            }
        } else {
            o = f->value_end;
            while (o > f->value && is_ws((unsigned char)s[o - 1]))
                o--;
        }
        s[o] = '\0';
        s[f->name + f->name_len] = '\0';
        w->hdrs[i] = (mm_warc_header){s + f->name, s + f->value};
    }
    rec->headers = w->hdrs;
    rec->nheaders = w->nhf;
    return MM_OK;
}

static void fill_record(mm_warc *w, mm_warc_record *rec) {
    char *s = (char *)w->buf + w->pos;
    size_t v = 0;
    while (s[v] && s[v] != '\r' && s[v] != '\n' && !is_ws((unsigned char)s[v]))
        v++;
    s[v] = '\0';
    rec->version = s;
    rec->type_name = mm_warc_header_get(rec, "WARC-Type");
    if (!rec->type_name) rec->type_name = "";
    rec->type = type_of(rec->type_name);
    const char *id = mm_warc_header_get(rec, "WARC-Record-ID");
    rec->record_id = id ? id : "";
    const char *d = mm_warc_header_get(rec, "WARC-Date");
    rec->date = d ? d : "";
    const char *ct = mm_warc_header_get(rec, "Content-Type");
    rec->content_type = ct ? ct : "";
    char *u = (char *)mm_warc_header_get(rec, "WARC-Target-URI");
    if (u && u[0] == '<') {
        size_t n = strlen(u);
        if (n >= 2 && u[n - 1] == '>') u[n - 1] = '\0';
        u++;
    }
    rec->target_uri = u ? u : "";
    if (rec->truncated == MM_WARC_TRUNC_NONE)
        rec->truncated = trunc_of(mm_warc_header_get(rec, "WARC-Truncated"));
}

/* ---- the record end ------------------------------------------------------------------------- */

/* After the block, a record ends with "\r\n\r\n".  Tolerated: LF-only ("\n\n"), fewer line ends
 * when the next record or the end of input follows at once.  Returns the trailer length, or -1
 * when the bytes after the block are not a record end (a wrong Content-Length), -2 on input
 * damage/fatal (left in w). */
enum { TRAILER_SLACK = 16 }; /* extra line ends tolerated after a block (warcio does too) */

static size_t crlf_run(const mm_warc *w, size_t at) {
    size_t k = 0;
    while (at + k < w->len && k < TRAILER_SLACK &&
           (w->buf[at + k] == '\r' || w->buf[at + k] == '\n'))
        k++;
    return k;
}

static int trailer(mm_warc *w, size_t rel) {
    need_rc r = need(w, rel + 4);
    if (r == NEED_FATAL) return -2;
    /* damage right after a complete block: keep the record; the damage is reported next */
    if (r == NEED_DAMAGE) return (int)crlf_run(w, w->pos + rel);
    size_t at = w->pos + rel;
    if (w->len - at >= 4 && !memcmp(w->buf + at, "\r\n\r\n", 4)) return 4;
    r = need(w, rel + TRAILER_SLACK + 5);
    if (r == NEED_FATAL) return -2;
    at = w->pos + rel;
    size_t k = crlf_run(w, at), avail = w->len - at;
    if (r == NEED_DAMAGE || (k == avail && w->eof)) return (int)k;
    if (avail >= k + 5 && !memcmp(w->buf + at + k, "WARC/", 5) &&
        (k == 0 || w->buf[at + k - 1] == '\n'))
        return (int)k;
    return -1;
}

/* ---- digests --------------------------------------------------------------------------------- */

static void check_digests(mm_warc *w, mm_warc_record *rec) {
    rec->digest_ok = -1;
    if (!w->verify || !rec->block || rec->block_len < rec->content_length) return;
    int b = mm_warc_digest_check(mm_warc_header_get(rec, "WARC-Block-Digest"), rec->block,
                                 rec->block_len);
    size_t off = 0;
    if (!strncasecmp(rec->content_type, "application/http", 16))
        off = mm_warc_http_header_len(rec->block, rec->block_len);
    /* a revisit's payload digest names the original's payload, which is not here */
    int p = rec->type == MM_WARC_REVISIT
                ? -1
                : mm_warc_digest_check(mm_warc_header_get(rec, "WARC-Payload-Digest"),
                                       rec->block + off, rec->block_len - off);
    if (b == 0 || p == 0)
        rec->digest_ok = 0;
    else if (b == 1 || p == 1)
        rec->digest_ok = 1;
    if (rec->digest_ok == 0) w->st.digest_failures++;
}

/* ---- one record ------------------------------------------------------------------------------ */

static int garbage(mm_warc *w, mm_err *err) {
    uint64_t at = upos(w, w->pos);
    if (at == 0 && need(w, 11) == NEED_FATAL) return *err = w->fatal, 0;
    if (at == 0 && w->len - w->pos >= 11 && !memcmp(w->buf + w->pos, "filedesc://", 11)) {
        *err = mm_fail(MM_ERR_UNSUPPORTED,
                       "%s: byte 0: this is an ARC file (the format before WARC), not a WARC file; "
                       "ARC is not supported",
                       w->name);
        return 0;
    }
    bool found = resync(w, w->pos, err);
    if (*err != MM_OK) return 0;
    uint64_t n = upos(w, w->pos) - at;
    if (!found && !w->seen_any && at == 0 && w->in_dmg == MM_DMG_NONE)
        return damaged(w, &w->st.skipped_garbage, MM_ERR_FORMAT,
                       "%s: byte 0: not a WARC file (%llu bytes, no \"WARC/\" record found)",
                       w->name, (unsigned long long)n);
    return damaged(w, &w->st.skipped_garbage, MM_ERR_FORMAT, "%s: %llu bytes of garbage %s",
                   loc(w, at), (unsigned long long)n,
                   found ? "before the next record" : "at the end of the input");
}

static int bad_header(mm_warc *w, uint64_t at, const char *why, mm_err *err) {
    size_t from = w->pos + 1;
    resync(w, from, err);
    if (*err != MM_OK) return 0;
    return damaged(w, &w->st.skipped_bad_header, MM_ERR_FORMAT, "%s: bad record header: %s",
                   loc(w, at), why);
}

/* The block did not fit what the header declared. */
static int bad_block(mm_warc *w, uint64_t at, uint64_t cl, mm_err *err) {
    size_t from = w->pos + w->hdr_len;
    uint64_t from_abs = upos(w, from);
    bool found = resync(w, from, err);
    if (*err != MM_OK) return 0;
    if (found)
        return damaged(
            w, &w->st.skipped_bad_length, MM_ERR_FORMAT,
            "%s: wrong Content-Length %llu (the next record starts %llu bytes into the block)",
            loc(w, at), (unsigned long long)cl, (unsigned long long)(upos(w, w->pos) - from_abs));
    if (w->in_dmg != MM_DMG_NONE) return input_damage(w, true, at);
    return damaged(
        w, &w->st.skipped_truncated, MM_ERR_TRUNCATED,
        "%s: record cut short: Content-Length %llu but the input ends %llu bytes into the block",
        loc(w, at), (unsigned long long)cl, (unsigned long long)(upos(w, w->len) - from_abs));
}

static void set_offsets(mm_warc *w, mm_warc_record *rec, uint64_t at) {
    rec->stream_offset = at;
    rec->offset = at;
    rec->offset_in_stream = mm_in_get_codec(w->in) != MM_IN_PLAIN;
    uint64_t off;
    if (mm_in_get_codec(w->in) == MM_IN_GZIP && mm_in_member_at(w->in, at, &off))
        rec->offset = off, rec->offset_in_stream = false;
}

/* Hand out the record at pos: its header, and `blen` bytes of block (w->cl unless the block
 * was cut short) followed by a `tlen`-byte record end. */
static int deliver(mm_warc *w, mm_warc_record *rec, uint64_t at, size_t blen, size_t tlen,
                   mm_err *err) {
    mm_err e = finish_fields(w, rec);
    if (e != MM_OK) return *err = e, 0;
    fill_record(w, rec);
    set_offsets(w, rec, at);
    rec->content_length = w->cl;
    if (rec->truncated != MM_WARC_TRUNC_NONE) {
        w->st.truncated++;
        w->st.truncated_by[rec->truncated]++;
    }
    if (!rec->oversized) {
        rec->block = w->buf + w->pos + w->hdr_len;
        rec->block_len = blen;
        check_digests(w, rec);
        w->pos += w->hdr_len + blen + tlen; /* consumed; stays in place until the next call */
    } else {
        rec->digest_ok = -1;
        w->st.skipped_oversized++;
    }
    w->st.records++;
    w->st.by_type[rec->type]++;
    w->st.bytes_in = mm_in_bytes_in(w->in);
    w->seen_any = true;
    return 1;
}

/* Skip the block of an oversized record returned by the previous call, then its record end. */
static int skip_oversized(mm_warc *w, mm_err *err) {
    uint64_t at = upos(w, w->pos);
    while (w->skip > 0) {
        size_t have = w->len - w->pos;
        size_t k = have < w->skip ? have : (size_t)w->skip;
        w->pos += k, w->skip -= k;
        if (w->skip == 0) break;
        need_rc r = need(w, 1);
        if (r == NEED_EOF)
            return w->skip = 0,
                   damaged(w, &w->st.skipped_truncated, MM_ERR_TRUNCATED,
                           "%s: oversized record cut short by the end of the input", loc(w, at));
        if (r != NEED_OK) return w->skip = 0, need_failed(w, r, true, at, err);
    }
    w->skip_active = false;
    int t = trailer(w, 0);
    if (t == -2) return need_failed(w, w->fatal ? NEED_FATAL : NEED_DAMAGE, false, at, err);
    if (t < 0) {
        bool found = resync(w, w->pos, err);
        if (*err != MM_OK) return 0;
        return damaged(w, &w->st.skipped_bad_length, MM_ERR_FORMAT,
                       "%s: oversized record: no record end after its Content-Length%s", loc(w, at),
                       found ? "" : " (nothing more follows)");
    }
    w->pos += (size_t)t;
    return 1;
}

static int skip_blank_lines(mm_warc *w) {
    for (;;) {
        while (w->pos < w->len && (w->buf[w->pos] == '\r' || w->buf[w->pos] == '\n'))
            w->pos++;
        if (w->pos < w->len) return NEED_OK;
        need_rc r = need(w, 1);
        if (r != NEED_OK) return r;
    }
}

/* The input stopped inside the block: it ended (NEED_EOF) or the layer below reported damage
 * (NEED_DAMAGE).  When what was read holds no record start, the Content-Length was not wrong
 * but the record was cut: it is returned with the bytes there are, marked truncated (FastWARC
 * and warcio return such records too).  A gzip member cut by the end of the file needs no
 * report of its own; other input damage is still reported by the next call, as it may have
 * cost more than this record.  A record start in the bytes means a wrong Content-Length. */
static int cut_block(mm_warc *w, mm_warc_record *rec, uint64_t at, need_rc r, mm_err *err) {
    size_t from = w->pos + w->hdr_len, have = w->len - from;
    if (have >= 6 && memmem(w->buf + from, have, "\nWARC/", 6)) return bad_block(w, at, w->cl, err);
    mm_in_codec codec = mm_in_get_codec(w->in);
    rec->truncated = r == NEED_EOF         ? MM_WARC_TRUNC_EOF
                     : codec == MM_IN_GZIP ? MM_WARC_TRUNC_GZIP
                                           : MM_WARC_TRUNC_STREAM;
    if (r == NEED_DAMAGE && w->in_dmg == MM_DMG_TRUNCATED && codec == MM_IN_GZIP)
        w->in_dmg = MM_DMG_NONE; /* "cut short by the end of the file": nothing follows */
    return deliver(w, rec, at, have, 0, err);
}

static int read_block(mm_warc *w, mm_warc_record *rec, uint64_t at, mm_err *err) {
    uint64_t cl = w->cl;
    /* A plain file's size is known: a block that would run past its end is a wrong length,
     * found before an oversized skip could swallow the records after it. */
    uint64_t size = mm_in_size(w->in);
    if (cl > w->max_record && size && mm_in_get_codec(w->in) == MM_IN_PLAIN &&
        at + w->hdr_len + cl > size)
        return bad_block(w, at, cl, err);
    if (cl > w->max_record) {
        rec->oversized = true;
        int rc = deliver(w, rec, at, 0, 0, err);
        w->pos += w->hdr_len; /* the header stays readable: nothing moves before the next call */
        w->skip = cl;
        w->skip_active = true;
        return rc;
    }
    need_rc r = need(w, w->hdr_len + (size_t)cl);
    if (r == NEED_FATAL) return *err = w->fatal, 0;
    if (r != NEED_OK) return cut_block(w, rec, at, r, err);
    int t = trailer(w, w->hdr_len + (size_t)cl);
    if (t == -2 && w->fatal != MM_OK) return *err = w->fatal, 0;
    if (t < 0) return bad_block(w, at, cl, err);
    return deliver(w, rec, at, (size_t)cl, (size_t)t, err);
}

int mm_warc_next(mm_warc *w, mm_warc_record *rec, mm_err *err) {
    *err = MM_OK;
    memset(rec, 0, sizeof *rec);
    if (w->fatal != MM_OK) return *err = w->fatal, 0;
    if (w->in_dmg != MM_DMG_NONE) return input_damage(w, false, 0);
    if (w->skip_active) {
        int rc = skip_oversized(w, err);
        if (rc <= 0) return rc;
    }
    need_rc r = skip_blank_lines(w);
    if (r == NEED_EOF) {
        w->st.bytes_in = mm_in_bytes_in(w->in);
        w->st.bytes_out = upos(w, w->len);
        if (!w->seen_any && upos(w, w->len) == 0 && w->st.damaged == 0)
            return damaged(w, NULL, MM_ERR_FORMAT,
                           "%s: byte 0: empty file (0 bytes): not a WARC file", w->name);
        return 0;
    }
    if (r != NEED_OK) return need_failed(w, r, false, 0, err);
    uint64_t at = upos(w, w->pos);
    r = need(w, 5);
    if (r < NEED_EOF) return need_failed(w, r, true, at, err);
    if (w->len - w->pos < 5 || memcmp(w->buf + w->pos, "WARC/", 5)) return garbage(w, err);
    r = find_header_end(w);
    if (r == NEED_EOF)
        return w->pos = w->len,
               damaged(w, &w->st.skipped_truncated, MM_ERR_TRUNCATED,
                       "%s: record header cut short by the end of the input", loc(w, at));
    if (r == NEED_TOO_BIG) return bad_header(w, at, "longer than 1 MiB", err);
    if (r != NEED_OK) return need_failed(w, r, true, at, err);
    mm_err e = scan_fields(w);
    if (e != MM_OK) return *err = e, 0;
    uint64_t cl;
    if (!find_length(w, &cl)) return bad_header(w, at, "no valid Content-Length", err);
    w->cl = cl;
    int rc = read_block(w, rec, at, err);
    w->st.bytes_out = upos(w, w->pos);
    return rc;
}

/* ---- open / close / small API ---------------------------------------------------------------- */

mm_err mm_warc_open(const char *path, const mm_warc_opts *opts, mm_warc **out) {
    *out = NULL;
    mm_warc *w = mm_calloc(1, sizeof *w);
    if (!w) return MM_ERR_NOMEM;
    const char *name = opts && opts->name ? opts->name : path;
    w->name = mm_strndup(name, strlen(name));
    w->max_record = opts && opts->max_record ? opts->max_record : DEFAULT_MAX_RECORD;
    w->verify = opts && opts->verify_digests;
    mm_err e = w->name ? mm_in_open(path, w->name, opts ? opts->http : NULL, &w->st.http, &w->in)
                       : MM_ERR_NOMEM;
    if (e != MM_OK) return mm_warc_close(w), e;
    uint64_t size = mm_in_size(w->in);
    w->chunk = size && size < READ_CHUNK && mm_in_get_codec(w->in) == MM_IN_PLAIN
                   ? (size_t)size + 64
                   : READ_CHUNK;
    *out = w;
    return MM_OK;
}

void mm_warc_close(mm_warc *w) {
    if (!w) return;
    mm_in_close(w->in);
    free(w->buf);
    free(w->hf);
    free(w->hdrs);
    free(w->name);
    free(w);
}

const mm_warc_stats *mm_warc_get_stats(const mm_warc *w) {
    return &w->st;
}

const char *mm_warc_header_get(const mm_warc_record *rec, const char *name) {
    for (size_t i = 0; i < rec->nheaders; i++)
        if (!strcasecmp(rec->headers[i].name, name)) return rec->headers[i].value;
    return NULL;
}

bool mm_warc_can_seek(const mm_warc *w) {
    return mm_in_get_codec(w->in) != MM_IN_ARCHIVE && mm_in_seekable(w->in);
}

mm_err mm_warc_seek(mm_warc *w, uint64_t offset) {
    MM_TRY(mm_in_seek(w->in, offset));
    w->pos = w->len = 0;
    w->base = offset;
    w->eof = false;
    w->in_dmg = MM_DMG_NONE;
    w->skip = 0;
    w->skip_active = false;
    w->seen_any = true;
    return MM_OK;
}
