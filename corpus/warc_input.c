/* corpus/warc_input.c — the input layer of the WARC reader: raw bytes (file, stdin, libcurl
 * stream, corpus/fetch.c) and their decoding (gzip by member, libarchive filters, plain).  See
 * warc_input.h. */
#include "corpus/warc_input.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>

#include "common/buf.h"
#include "corpus/fetch.h"

enum {
    RAW_CHUNK = 1 << 20,     /* one read() from a file or pipe */
    IN_TARGET = 1 << 20,     /* the compressed window's usual size */
    IN_LOW = 256 << 10,      /* refill when fewer bytes than this are ahead of a member */
    IN_FAST_MAX = 8 << 20,   /* larger members are inflated by streaming */
    OUT_FIRST = 1 << 20,     /* first output buffer for one member */
    OUT_FAST_MAX = 16 << 20, /* members inflating to more are streamed */
    MM_IN_MARKS = 64,
    DIRECT_MIN = 4 << 10, /* try inflating straight into the caller's buffer from this size */
};

/* ---- raw bytes: a file descriptor or a libcurl transfer --------------------------------- */

typedef struct raw {
    int fd;        /* -1 for a URL */
    mm_fetch *url; /* for a URL */
    bool seekable, own_fd;
    mm_buf pend; /* bytes received but not yet read (peek) */
    size_t pend_pos;
    uint64_t pos;  /* file offset of the next byte raw_read returns */
    uint64_t size; /* of a regular file, else 0 */
} raw;

/* One read() of a file descriptor or of the URL's stream. */
static ssize_t raw_source(raw *r, void *dst, size_t cap, mm_err *err) {
    if (r->url) return mm_fetch_read(r->url, dst, cap, err);
    for (;;) {
        ssize_t n = read(r->fd, dst, cap);
        if (n >= 0 || errno != EINTR) return n;
    }
}

static ssize_t raw_read(raw *r, void *dst, size_t cap, const char *name, mm_err *err) {
    if (r->pend.len > r->pend_pos) {
        size_t n = r->pend.len - r->pend_pos;
        if (n > cap) n = cap;
        memcpy(dst, r->pend.data + r->pend_pos, n);
        r->pend_pos += n;
        if (r->pend_pos == r->pend.len) r->pend_pos = 0, r->pend.len = 0;
        r->pos += n;
        return (ssize_t)n;
    }
    ssize_t n = raw_source(r, dst, cap, err);
    if (n >= 0) return r->pos += (uint64_t)n, n;
    if (!r->url)
        *err = mm_fail(MM_ERR_IO, "%s: byte %llu: read failed: %s", name,
                       (unsigned long long)r->pos, strerror(errno));
    return -1;
}

/* Look at the first `n` bytes without consuming them (fewer at end of input). */
static mm_err raw_peek(raw *r, size_t n, const char *name, const unsigned char **p, size_t *got) {
    while (r->pend.len - r->pend_pos < n) {
        unsigned char tmp[64];
        mm_err e = MM_OK;
        ssize_t k = raw_source(r, tmp, n - (r->pend.len - r->pend_pos), &e);
        if (k < 0 && r->url) return e;
        if (k < 0) return mm_fail(MM_ERR_IO, "%s: read failed: %s", name, strerror(errno));
        if (k == 0) break;
        MM_TRY(mm_buf_append(&r->pend, tmp, (size_t)k));
    }
    *got = r->pend.len - r->pend_pos;
    *p = *got ? (const unsigned char *)r->pend.data + r->pend_pos : (const unsigned char *)"";
    return MM_OK;
}

static void raw_close(raw *r) {
    mm_fetch_close(r->url);
    if (r->own_fd && r->fd >= 0) close(r->fd);
    mm_buf_free(&r->pend);
}

/* ---- the decoder --------------------------------------------------------------------------- */

typedef struct mark {
    uint64_t upos, off;
} mark;

struct mm_in {
    char *name;
    raw raw;
    mm_in_codec codec;
    uint64_t upos; /* decompressed bytes delivered so far (+ the seek base) */
    uint64_t size; /* of a regular file, else 0 */
    size_t target; /* the compressed window's size: IN_TARGET, less for a small file */
    /* gzip */
    struct libdeflate_decompressor *ld;
    struct inflate_state *isal; /* streaming inflate (isa-l igzip) for members too big to hold */
    bool streaming, raw_eof, force_stream;
    unsigned char *in; /* compressed window: file bytes [in_off, in_off + in_len) */
    size_t in_pos, in_len, in_cap;
    uint64_t in_off, member_off;
    unsigned char *out; /* one member inflated by libdeflate, delivered from out_pos */
    size_t out_pos, out_len, out_cap;
    mm_in_damage pend_dmg; /* damage to report once the bytes before it are delivered */
    char pend_msg[256];
    mark marks[MM_IN_MARKS];
    unsigned nmarks;
    /* libarchive */
    struct archive *ar;
    unsigned char *abuf;
    mm_err ar_err;
};

const char *mm_in_name(const mm_in *in) {
    return in->name;
}
mm_in_codec mm_in_get_codec(const mm_in *in) {
    return in->codec;
}
bool mm_in_seekable(const mm_in *in) {
    return in->raw.seekable;
}

uint64_t mm_in_size(const mm_in *in) {
    return in->size;
}

uint64_t mm_in_bytes_in(const mm_in *in) {
    if (in->codec == MM_IN_GZIP) return in->in_off + in->in_pos;
    return in->raw.pos;
}

bool mm_in_member_at(const mm_in *in, uint64_t upos, uint64_t *file_off) {
    unsigned n = in->nmarks < MM_IN_MARKS ? in->nmarks : MM_IN_MARKS;
    for (unsigned i = 0; i < n; i++) {
        const mark *m = &in->marks[(in->nmarks - 1 - i) % MM_IN_MARKS];
        if (m->upos == upos) return *file_off = m->off, true;
        if (m->upos < upos) break;
    }
    return false;
}

/* ---- gzip ---------------------------------------------------------------------------------- */

/* Make sure at least `want` compressed bytes are in the window after in_pos (fewer at end of
 * input).  The window slides: bytes before in_pos are dropped, but only when the tail has no
 * room for `want` (moving the window per member would cost a memmove of it each time). */
static mm_err gz_fill(mm_in *in, size_t want, mm_err *err) {
    if (in->in_len - in->in_pos >= want || in->raw_eof) return MM_OK;
    if (in->in_pos > 0 && in->in_pos + want > in->in_cap) {
        memmove(in->in, in->in + in->in_pos, in->in_len - in->in_pos);
        in->in_off += in->in_pos;
        in->in_len -= in->in_pos;
        in->in_pos = 0;
    }
    if (want > in->in_cap) {
        size_t cap = want > in->target ? want : in->target;
        unsigned char *p = realloc(in->in, cap);
        if (!p) return *err = mm_fail(MM_ERR_NOMEM, "%s: out of memory", in->name);
        in->in = p, in->in_cap = cap;
    }
    while (!in->raw_eof && in->in_len - in->in_pos < want) {
        ssize_t n = raw_read(&in->raw, in->in + in->in_len, in->in_cap - in->in_len, in->name, err);
        if (n < 0) return *err;
        if (n == 0) in->raw_eof = true;
        in->in_len += (size_t)n;
    }
    return MM_OK;
}

static bool gz_magic(const unsigned char *p) {
    return p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

static void gz_damage(mm_in *in, mm_in_damage d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void gz_damage(mm_in *in, mm_in_damage d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->pend_msg, sizeof in->pend_msg, fmt, ap);
    va_end(ap);
    in->pend_dmg = d;
}

/* Move in_pos to the next gzip magic (or the end of input). */
static mm_err gz_scan_magic(mm_in *in, mm_err *err) {
    for (;;) {
        MM_TRY(gz_fill(in, 3, err));
        size_t avail = in->in_len - in->in_pos;
        if (avail < 3) {
            in->in_pos = in->in_len;
            if (!in->raw_eof) continue;
            break;
        }
        unsigned char *p = memchr(in->in + in->in_pos + 1, 0x1f, avail - 1);
        if (p && (size_t)(in->in + in->in_len - p) >= 3) {
            in->in_pos = (size_t)(p - in->in);
            if (gz_magic(p)) break;
            continue;
        }
        in->in_pos = p ? (size_t)(p - in->in) : in->in_len;
        if (in->raw_eof && in->in_len - in->in_pos < 3) {
            in->in_pos = in->in_len;
            break;
        }
        MM_TRY(gz_fill(in, in->in_len - in->in_pos + RAW_CHUNK, err));
    }
    return MM_OK;
}

/* Skip bytes up to the next gzip magic (or end of input), reporting them as garbage. */
static mm_err gz_skip_garbage(mm_in *in, mm_err *err) {
    uint64_t start = in->in_off + in->in_pos;
    MM_TRY(gz_scan_magic(in, err));
    uint64_t end = in->in_off + in->in_pos;
    gz_damage(in, MM_DMG_GARBAGE, "%s: byte %llu: %llu bytes that are not a gzip member%s",
              in->name, (unsigned long long)start, (unsigned long long)(end - start),
              in->in_pos == in->in_len ? " (up to the end of the file)" : "");
    return MM_OK;
}

static mm_err grow_out(mm_in *in, mm_err *err) {
    size_t cap = in->out_cap ? in->out_cap * 2 : OUT_FIRST;
    unsigned char *p = realloc(in->out, cap);
    if (!p) return *err = mm_fail(MM_ERR_NOMEM, "%s: out of memory", in->name);
    in->out = p, in->out_cap = cap;
    return MM_OK;
}

/* The fast path: inflate one whole member with libdeflate, which needs the whole member in
 * memory and an output buffer big enough.  We do not know the member's compressed size in
 * advance, so a failure can mean "the window holds only part of it": grow the window (up to
 * IN_FAST_MAX) and try again.  Output too large for OUT_FAST_MAX, a member larger than the
 * window, or a member that fails with all of it present: returns false and the caller streams
 * it with isa-l, which also tells real damage apart and keeps what decoded before it. */
static bool gz_fast(mm_in *in, mm_err *err) {
    if (!in->out && grow_out(in, err) != MM_OK) return false;
    for (;;) {
        size_t avail = in->in_len - in->in_pos, ain = 0, aout = 0;
        enum libdeflate_result r = libdeflate_gzip_decompress_ex(in->ld, in->in + in->in_pos, avail,
                                                                 in->out, in->out_cap, &ain, &aout);
        if (r == LIBDEFLATE_SUCCESS) {
            in->in_pos += ain;
            in->out_pos = 0, in->out_len = aout;
            return true;
        }
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE && in->out_cap < OUT_FAST_MAX) {
            if (grow_out(in, err) != MM_OK) return false;
            continue;
        }
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE || in->raw_eof || avail >= IN_FAST_MAX) return false;
        size_t want = avail * 2 < IN_FAST_MAX ? avail * 2 : IN_FAST_MAX;
        if (gz_fill(in, want, err) != MM_OK) return false;
    }
}

/* A member failed to inflate: skip to the next gzip magic after the point of failure and say
 * where reading resumes. */
static const char *isal_why(int rc) {
    switch (rc) {
    case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
        return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance";
    case ISAL_INVALID_WRAPPER:
        return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
        return "not deflate";
    case ISAL_INCORRECT_CHECKSUM:
        return "CRC mismatch";
    default:
        return "inflate error";
    }
}

static mm_err gz_bad_member(mm_in *in, int rc, mm_err *err) {
    char why[96];
    uint64_t at = in->in_off + in->in_pos;
    snprintf(why, sizeof why, "%s", isal_why(rc));
    /* A damaged deflate stream is often noticed only bytes or members later (a broken
     * end-of-block code makes the inflater run on into the next members, until a CRC check or
     * an invalid code stops it), so look for the next member from just after this one's start
     * when those bytes are still in the window. */
    uint64_t resume = in->member_off + 1;
    if (resume >= in->in_off && resume <= in->in_off + in->in_len)
        in->in_pos = (size_t)(resume - in->in_off);
    else if (in->in_pos < in->in_len)
        in->in_pos++;
    MM_TRY(gz_scan_magic(in, err));
    uint64_t next = in->in_off + in->in_pos;
    if (in->in_pos == in->in_len)
        gz_damage(in, MM_DMG_BAD_GZIP,
                  "%s: byte %llu: bad gzip member (%s at byte %llu); no gzip member follows",
                  in->name, (unsigned long long)in->member_off, why, (unsigned long long)at);
    else
        gz_damage(
            in, MM_DMG_BAD_GZIP,
            "%s: byte %llu: bad gzip member (%s at byte %llu); resuming at the member at byte %llu",
            in->name, (unsigned long long)in->member_off, why, (unsigned long long)at,
            (unsigned long long)next);
    return MM_OK;
}

/* Streaming inflate of the current member straight into dst (isa-l igzip, which parses the
 * gzip header and checks the trailer's CRC).  Returns bytes produced; 0 with in->streaming
 * cleared at the member's end; damage is left in pend_dmg. */
static ssize_t gz_stream(mm_in *in, unsigned char *dst, size_t cap, mm_err *err) {
    struct inflate_state *st = in->isal;
    for (;;) {
        if (in->in_pos == in->in_len && gz_fill(in, RAW_CHUNK, err) != MM_OK) return -1;
        size_t avail = in->in_len - in->in_pos;
        st->next_in = in->in + in->in_pos;
        st->avail_in = (uint32_t)(avail > (1u << 30) ? (1u << 30) : avail);
        st->next_out = dst;
        st->avail_out = (uint32_t)(cap > (1u << 30) ? (1u << 30) : cap);
        uint32_t before_in = st->avail_in, before_out = st->avail_out;
        int rc = isal_inflate(st);
        /* isa-l keeps read-ahead bits and may hand some back: count from next_in, clamped */
        const unsigned char *start = in->in + in->in_pos;
        size_t used = st->next_in >= start ? (size_t)(st->next_in - start) : 0;
        if (used > avail) used = avail;
        size_t made = before_out - st->avail_out;
        (void)before_in;
        in->in_pos += used;
        if (rc >= 0 && st->block_state == ISAL_BLOCK_FINISH) {
            in->streaming = false;
            return (ssize_t)made;
        }
        if (rc >= 0 && made > 0) return (ssize_t)made;
        bool stuck = used == 0 && in->in_pos < in->in_len;
        if (rc >= 0 && !stuck && !(in->raw_eof && in->in_pos == in->in_len)) continue;
        in->streaming = false;
        if (rc >= 0 && !stuck)
            gz_damage(in, MM_DMG_TRUNCATED,
                      "%s: byte %llu: gzip member cut short by the end of the file at byte %llu",
                      in->name, (unsigned long long)in->member_off,
                      (unsigned long long)(in->in_off + in->in_pos));
        else if (gz_bad_member(in, rc < 0 ? rc : ISAL_INVALID_BLOCK, err) != MM_OK)
            return -1;
        return (ssize_t)made;
    }
}

/* The common case first: the member is wholly in the window and inflates into the caller's
 * free space, so the bytes land where the parser reads them (no copy).  Returns the bytes
 * made, or 0 to go the general way. */
static size_t gz_direct(mm_in *in, unsigned char *dst, size_t cap) {
    size_t ain = 0, aout = 0;
    if (cap < DIRECT_MIN) return 0;
    if (libdeflate_gzip_decompress_ex(in->ld, in->in + in->in_pos, in->in_len - in->in_pos, dst,
                                      cap, &ain, &aout) != LIBDEFLATE_SUCCESS)
        return 0;
    in->in_pos += ain;
    return aout;
}

/* Start the member at in_pos: inflated straight into dst (*made), into the member buffer, or
 * (too big, or damaged) by streaming. */
static mm_err gz_start_member(mm_in *in, unsigned char *dst, size_t cap, size_t *made,
                              mm_err *err) {
    in->member_off = in->in_off + in->in_pos;
    in->marks[in->nmarks++ % MM_IN_MARKS] = (mark){in->upos, in->member_off};
    if (!in->force_stream) {
        if ((*made = gz_direct(in, dst, cap)) > 0) return MM_OK;
        if (gz_fast(in, err)) return MM_OK;
        if (*err != MM_OK) return *err;
    }
    if (!in->isal && !(in->isal = malloc(sizeof *in->isal)))
        return *err = mm_fail(MM_ERR_NOMEM, "%s: out of memory", in->name);
    isal_inflate_init(in->isal);
    in->isal->crc_flag = ISAL_GZIP;
    in->streaming = true;
    return MM_OK;
}

static ssize_t gz_read(mm_in *in, unsigned char *dst, size_t cap, mm_in_damage *dmg, mm_err *err) {
    for (;;) {
        if (in->out_pos < in->out_len) {
            size_t n = in->out_len - in->out_pos;
            if (n > cap) n = cap;
            memcpy(dst, in->out + in->out_pos, n);
            in->out_pos += n;
            return (ssize_t)n;
        }
        if (in->pend_dmg != MM_DMG_NONE) {
            *dmg = in->pend_dmg;
            in->pend_dmg = MM_DMG_NONE;
            mm_fail(*dmg == MM_DMG_TRUNCATED ? MM_ERR_TRUNCATED : MM_ERR_FORMAT, "%s",
                    in->pend_msg);
            return -1;
        }
        if (in->streaming) {
            ssize_t n = gz_stream(in, dst, cap, err);
            if (n != 0) return n;
            continue;
        }
        if (gz_fill(in, in->target < IN_LOW ? in->target : IN_LOW, err) != MM_OK) return -1;
        if (in->in_pos == in->in_len) return 0;
        if (in->in_len - in->in_pos < 3 || !gz_magic(in->in + in->in_pos)) {
            if (gz_skip_garbage(in, err) != MM_OK) return -1;
            continue;
        }
        size_t made = 0;
        if (gz_start_member(in, dst, cap, &made, err) != MM_OK) return -1;
        if (made > 0) return (ssize_t)made;
    }
}

/* ---- libarchive (bzip2, xz, zstd, lz4) ------------------------------------------------------ */

static la_ssize_t ar_read_cb(struct archive *a, void *ud, const void **buf) {
    mm_in *in = ud;
    mm_err e = MM_OK;
    ssize_t n = raw_read(&in->raw, in->abuf, RAW_CHUNK, in->name, &e);
    if (n < 0) {
        in->ar_err = e;
        archive_set_error(a, EIO, "%s", mm_error_detail());
        return -1;
    }
    *buf = in->abuf;
    return n;
}

static mm_err ar_open(mm_in *in) {
    in->abuf = malloc(RAW_CHUNK);
    in->ar = archive_read_new();
    if (!in->abuf || !in->ar) return mm_fail(MM_ERR_NOMEM, "%s: out of memory", in->name);
    archive_read_support_filter_all(in->ar);
    archive_read_support_format_raw(in->ar);
    struct archive_entry *entry;
    if (archive_read_open(in->ar, in, NULL, ar_read_cb, NULL) != ARCHIVE_OK ||
        archive_read_next_header(in->ar, &entry) != ARCHIVE_OK)
        return mm_fail(MM_ERR_FORMAT, "%s: byte 0: cannot decompress: %s", in->name,
                       archive_error_string(in->ar) ? archive_error_string(in->ar)
                                                    : "unknown filter");
    return MM_OK;
}

static ssize_t ar_read(mm_in *in, void *dst, size_t cap, mm_in_damage *dmg, mm_err *err) {
    if (in->pend_dmg == MM_DMG_TRUNCATED) return 0; /* reported once; nothing follows */
    la_ssize_t n = archive_read_data(in->ar, dst, cap);
    if (n >= 0) return (ssize_t)n;
    if (in->ar_err != MM_OK) return *err = in->ar_err, -1;
    in->pend_dmg = *dmg = MM_DMG_TRUNCATED;
    mm_fail(
        MM_ERR_TRUNCATED,
        "%s: byte %llu: compressed stream damaged or cut short (%s); nothing after it can be read",
        in->name, (unsigned long long)in->raw.pos,
        archive_error_string(in->ar) ? archive_error_string(in->ar) : "decompression error");
    return -1;
}

/* ---- open / read / seek / close ---------------------------------------------------------------
 */

static mm_err raw_open(raw *r, const char *path, const char *name, const mm_http_retry *http,
                       mm_http_fetch_stats *hst) {
    r->fd = -1;
    if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
        return mm_fetch_open(path, name, http, hst, &r->url);
    if (!strcmp(path, "-")) {
        r->fd = 0;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) return mm_fail(MM_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
        r->own_fd = true;
    }
    struct stat st;
    r->seekable = fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode);
    r->size = r->seekable ? (uint64_t)st.st_size : 0;
    if (r->seekable) posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return MM_OK;
}

static mm_in_codec sniff(const unsigned char *p, size_t n) {
    if (n >= 3 && gz_magic(p)) return MM_IN_GZIP;
    if (n >= 3 && !memcmp(p, "BZh", 3)) return MM_IN_ARCHIVE;
    if (n >= 6 && !memcmp(p,
                          "\xfd"
                          "7zXZ\0",
                          6))
        return MM_IN_ARCHIVE;
    if (n >= 4 && !memcmp(p, "\x28\xb5\x2f\xfd", 4)) return MM_IN_ARCHIVE;
    if (n >= 4 && !memcmp(p, "\x04\x22\x4d\x18", 4)) return MM_IN_ARCHIVE;
    return MM_IN_PLAIN;
}

static mm_err in_setup(mm_in *in, const char *path, const mm_http_retry *http,
                       mm_http_fetch_stats *hst) {
    MM_TRY(raw_open(&in->raw, path, in->name, http, hst));
    const unsigned char *head = NULL;
    size_t got = 0;
    MM_TRY(raw_peek(&in->raw, 6, in->name, &head, &got));
    in->codec = sniff(head, got);
    in->size = in->raw.size;
    in->target = in->size && in->size < IN_TARGET ? (size_t)in->size + 64 : IN_TARGET;
    if (in->codec == MM_IN_ARCHIVE) return ar_open(in);
    if (in->codec == MM_IN_GZIP) {
        /* MM_WARC_GZIP_STREAM=1: stream every member (tests run both inflate paths with it) */
        const char *fs = getenv("MM_WARC_GZIP_STREAM");
        in->force_stream = fs && *fs == '1';
        in->ld = libdeflate_alloc_decompressor();
        if (!in->ld) return mm_fail(MM_ERR_NOMEM, "%s: out of memory", in->name);
    }
    return MM_OK;
}

mm_err mm_in_open(const char *path, const char *name, const mm_http_retry *http,
                  mm_http_fetch_stats *hst, mm_in **out) {
    *out = NULL;
    mm_in *in = mm_calloc(1, sizeof *in);
    if (!in) return MM_ERR_NOMEM;
    in->name = mm_strndup(name ? name : path, strlen(name ? name : path));
    if (!in->name) return mm_in_close(in), MM_ERR_NOMEM;
    mm_err e = in_setup(in, path, http, hst);
    if (e != MM_OK) return mm_in_close(in), e;
    *out = in;
    return MM_OK;
}

ssize_t mm_in_read(mm_in *in, void *dst, size_t cap, mm_in_damage *dmg, mm_err *err) {
    *dmg = MM_DMG_NONE;
    *err = MM_OK;
    ssize_t n;
    if (in->codec == MM_IN_GZIP)
        n = gz_read(in, dst, cap, dmg, err);
    else if (in->codec == MM_IN_ARCHIVE)
        n = ar_read(in, dst, cap, dmg, err);
    else
        n = raw_read(&in->raw, dst, cap, in->name, err);
    if (n > 0) in->upos += (uint64_t)n;
    return n;
}

mm_err mm_in_seek(mm_in *in, uint64_t off) {
    if (in->codec == MM_IN_ARCHIVE || !in->raw.seekable)
        return mm_fail(MM_ERR_UNSUPPORTED, "%s: cannot seek in this input", in->name);
    if (lseek(in->raw.fd, (off_t)off, SEEK_SET) < 0)
        return mm_fail(MM_ERR_IO, "%s: cannot seek to byte %llu: %s", in->name,
                       (unsigned long long)off, strerror(errno));
    in->raw.pend.len = in->raw.pend_pos = 0;
    in->raw.pos = off;
    in->upos = off;
    in->in_pos = in->in_len = 0;
    in->in_off = off;
    in->out_pos = in->out_len = 0;
    in->streaming = in->raw_eof = false;
    in->pend_dmg = MM_DMG_NONE;
    in->nmarks = 0;
    return MM_OK;
}

void mm_in_close(mm_in *in) {
    if (!in) return;
    if (in->ar) archive_read_free(in->ar);
    free(in->isal);
    if (in->ld) libdeflate_free_decompressor(in->ld);
    raw_close(&in->raw);
    free(in->abuf);
    free(in->in);
    free(in->out);
    free(in->name);
    free(in);
}
