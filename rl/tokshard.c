/* rl/tokshard.c — llm.c token shards: writing (atomic, through mm_out) and reading (mmap).
 *
 * The header is 256 little-endian int32; the body `count` tokens of 2 or 4 bytes.  The reader
 * checks, in this order: the file is at least a header long, the magic is one of the two known,
 * the version is 1, the count is not negative, and the file size is exactly header + body.
 * Each failure names the file, the byte offset of what is wrong and what to do. */
#include "rl/tokshard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/io.h"

#define HDR_INTS 256
#define HDR_BYTES (HDR_INTS * 4)

struct mm_tokshard {
    char *path;
    void *map; /* the whole file, read-only */
    size_t map_len;
    const unsigned char *body; /* first token */
    size_t count;
    int width; /* 2 or 4 bytes per token */
};

static void put_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Writes the body in chunks so memory stays small whatever n is. */
static mm_err write_body(mm_out *o, const uint32_t *tokens, size_t n, int width, int vocab,
                         const char *path) {
    unsigned char chunk[1 << 16];
    size_t per = sizeof chunk / (size_t)width, done = 0;
    while (done < n) {
        size_t k = n - done < per ? n - done : per;
        for (size_t i = 0; i < k; i++) {
            uint32_t t = tokens[done + i];
            if (t >= (uint32_t)vocab)
                return mm_fail(MM_ERR_ARG, "%s: token %zu is %u, outside the vocabulary of %d",
                               path, done + i, t, vocab);
            if (width == 2) {
                chunk[2 * i] = (unsigned char)t;
                chunk[2 * i + 1] = (unsigned char)(t >> 8);
            } else {
                put_le32(chunk + 4 * i, t);
            }
        }
        MM_TRY(mm_out_write(o, chunk, k * (size_t)width));
        done += k;
    }
    return MM_OK;
}

mm_err mm_tokshard_write(const char *path, const uint32_t *tokens, size_t n, int vocab) {
    if (vocab <= 0) return mm_fail(MM_ERR_ARG, "%s: vocabulary size %d", path, vocab);
    if (n > INT32_MAX)
        return mm_fail(MM_ERR_TOO_LARGE, "%s: %zu tokens do not fit the int32 count of the header",
                       path, n);
    int wide = vocab > 65536;
    unsigned char hdr[HDR_BYTES];
    memset(hdr, 0, sizeof hdr);
    put_le32(hdr, wide ? MM_TOKSHARD_MAGIC32 : MM_TOKSHARD_MAGIC16);
    put_le32(hdr + 4, MM_TOKSHARD_VERSION);
    put_le32(hdr + 8, (uint32_t)n);
    mm_out *o;
    MM_TRY(mm_out_open(path, 0, &o));
    mm_err e = mm_out_write(o, hdr, sizeof hdr);
    if (e == MM_OK) e = write_body(o, tokens, n, wide ? 4 : 2, vocab, path);
    if (e != MM_OK) {
        mm_out_abort(o);
        return e;
    }
    return mm_out_commit(o);
}

/* Checks the header against the file size; fills width and count. */
static mm_err check_header(const char *path, const unsigned char *h, size_t size, int *width,
                           size_t *count) {
    uint32_t magic = get_le32(h), version = get_le32(h + 4);
    int32_t cnt = (int32_t)get_le32(h + 8);
    if (magic == MM_TOKSHARD_MAGIC16)
        *width = 2;
    else if (magic == MM_TOKSHARD_MAGIC32)
        *width = 4;
    else
        return mm_fail(MM_ERR_FORMAT,
                       "%s: byte 0: magic %u is neither %d (uint16 tokens) nor %d (uint32 "
                       "tokens); not an llm.c token shard (write one with `mathmine shard`)",
                       path, magic, MM_TOKSHARD_MAGIC16, MM_TOKSHARD_MAGIC32);
    if (version != MM_TOKSHARD_VERSION)
        return mm_fail(MM_ERR_UNSUPPORTED, "%s: byte 4: version %u, only version %d is known", path,
                       version, MM_TOKSHARD_VERSION);
    if (cnt < 0) return mm_fail(MM_ERR_FORMAT, "%s: byte 8: negative token count %d", path, cnt);
    size_t want = HDR_BYTES + (size_t)cnt * (size_t)*width;
    if (size < want)
        return mm_fail(MM_ERR_TRUNCATED,
                       "%s: byte %zu: file ends early: the header promises %d tokens (%zu bytes) "
                       "but only %zu tokens are there; the shard is truncated, write it again",
                       path, size, cnt, want, (size - HDR_BYTES) / (size_t)*width);
    if (size > want)
        return mm_fail(MM_ERR_FORMAT,
                       "%s: byte %zu: %zu bytes after the %d tokens the header promises; the "
                       "shard is damaged, write it again",
                       path, want, size - want, cnt);
    *count = (size_t)cnt;
    return MM_OK;
}

static mm_err map_file(const char *path, int fd, size_t size, void **map) {
    *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (*map == MAP_FAILED) {
        *map = NULL;
        return mm_fail(MM_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    }
    return MM_OK;
}

mm_err mm_tokshard_open(const char *path, mm_tokshard **out) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mm_fail(MM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return mm_fail(MM_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    size_t size = (size_t)st.st_size;
    if (size < HDR_BYTES) {
        close(fd);
        return mm_fail(MM_ERR_TRUNCATED,
                       "%s: byte %zu: file ends inside the %d-byte header; not a complete token "
                       "shard",
                       path, size, HDR_BYTES);
    }
    void *map;
    mm_err e = map_file(path, fd, size, &map);
    close(fd);
    if (e != MM_OK) return e;
    mm_tokshard *s = mm_calloc(1, sizeof *s);
    if (!s) {
        munmap(map, size);
        return MM_ERR_NOMEM;
    }
    s->map = map;
    s->map_len = size;
    e = check_header(path, map, size, &s->width, &s->count);
    if (e == MM_OK && !(s->path = mm_strndup(path, strlen(path)))) e = MM_ERR_NOMEM;
    if (e != MM_OK) {
        mm_tokshard_close(s);
        return e;
    }
    s->body = (const unsigned char *)map + HDR_BYTES;
    *out = s;
    return MM_OK;
}

size_t mm_tokshard_count(const mm_tokshard *s) {
    return s->count;
}

uint32_t mm_tokshard_get(const mm_tokshard *s, size_t i) {
    const unsigned char *p = s->body + i * (size_t)s->width;
    return s->width == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : get_le32(p);
}

mm_err mm_tokshard_read(const mm_tokshard *s, size_t from, size_t n, int32_t *dst) {
    if (from > s->count || n > s->count - from)
        return mm_fail(MM_ERR_ARG, "%s: tokens [%zu, %zu) asked, the shard holds %zu", s->path,
                       from, from + n, s->count);
    if (s->width == 2) {
        const unsigned char *p = s->body + from * 2;
        for (size_t i = 0; i < n; i++)
            dst[i] = (int32_t)((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8);
    } else {
        const unsigned char *p = s->body + from * 4;
        for (size_t i = 0; i < n; i++)
            dst[i] = (int32_t)get_le32(p + 4 * i);
    }
    return MM_OK;
}

void mm_tokshard_close(mm_tokshard *s) {
    if (!s) return;
    if (s->map) munmap(s->map, s->map_len);
    free(s->path);
    free(s);
}
