#include "common/io.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/buf.h"

/* ---------------------------------------------------------------- reading */

struct mm_lines {
    FILE *f;
    bool is_stdin;
    char *path;
    ZSTD_DCtx *z;
    char *in, *raw; /* compressed input buffer; decompressed window */
    size_t in_cap, in_len, in_pos;
    size_t raw_cap, raw_len, raw_pos;
    bool eof_in, skipping, raw_drained_full;
    size_t zhint;     /* last ZSTD_decompressStream result: 0 = a frame just ended */
    uint64_t in_read; /* compressed bytes read so far (for messages) */
    mm_buf line;
    size_t max_line;
    uint64_t offset, next_offset, lineno, skipped_long;
};

#define CHUNK (1u << 17)

mm_err mm_lines_open(const char *path, size_t max_line, mm_lines **out) {
    *out = NULL;
    mm_lines *r = mm_calloc(1, sizeof *r);
    if (!r) return MM_ERR_NOMEM;
    r->max_line = max_line ? max_line : (64u << 20);
    r->is_stdin = !strcmp(path, "-");
    r->f = r->is_stdin ? stdin : fopen(path, "rb");
    r->path = mm_strndup(path, strlen(path));
    if (!r->f) {
        mm_err e = mm_fail(MM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        mm_lines_close(r);
        return e;
    }
    size_t n = strlen(path);
    if (n > 4 && !strcmp(path + n - 4, ".zst")) {
        r->z = ZSTD_createDCtx();
        r->in_cap = ZSTD_DStreamInSize();
        r->in = mm_malloc(r->in_cap);
    }
    r->raw_cap = CHUNK;
    r->raw = mm_malloc(r->raw_cap);
    if (!r->raw || (r->z && !r->in)) {
        mm_lines_close(r);
        return MM_ERR_NOMEM;
    }
    *out = r;
    return MM_OK;
}

/* At the end of a compressed file: the last frame must be complete.  A file cut short (a copy
 * that stopped, a job killed while writing without mm_out) would otherwise read as a shorter,
 * valid-looking shard; an empty file has no frame at all. */
static mm_err zstd_check_end(mm_lines *r) {
    if (r->in_read == 0)
        return mm_fail(MM_ERR_TRUNCATED, "%s: byte 0: empty file, not a zstd stream", r->path);
    if (r->zhint != 0)
        return mm_fail(MM_ERR_TRUNCATED,
                       "%s: byte %llu: zstd frame cut short (file truncated after %llu "
                       "decompressed bytes)",
                       r->path, (unsigned long long)r->in_read, (unsigned long long)r->next_offset);
    return MM_OK;
}

/* Refill raw[] with the next decompressed bytes. Returns bytes produced, 0 at end. */
static mm_err refill(mm_lines *r, size_t *got) {
    r->raw_pos = r->raw_len = 0;
    *got = 0;
    if (!r->z) {
        r->raw_len = fread(r->raw, 1, r->raw_cap, r->f);
        if (!r->raw_len && ferror(r->f))
            return mm_fail(MM_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
        *got = r->raw_len;
        return MM_OK;
    }
    while (!r->raw_len) {
        /* a call that filled raw[] may hold more output: drain it before reading on */
        bool pending = r->zhint != 0 && r->raw_drained_full;
        if (r->in_pos == r->in_len && !pending) {
            if (r->eof_in) return MM_OK;
            r->in_len = fread(r->in, 1, r->in_cap, r->f);
            r->in_pos = 0;
            r->in_read += r->in_len;
            if (!r->in_len) {
                r->eof_in = true;
                if (ferror(r->f))
                    return mm_fail(MM_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
                return zstd_check_end(r);
            }
        }
        ZSTD_inBuffer ib = {r->in, r->in_len, r->in_pos};
        ZSTD_outBuffer ob = {r->raw, r->raw_cap, 0};
        size_t rc = ZSTD_decompressStream(r->z, &ob, &ib);
        if (ZSTD_isError(rc))
            return mm_fail(MM_ERR_FORMAT, "%s: zstd error near decompressed byte %llu: %s", r->path,
                           (unsigned long long)r->next_offset, ZSTD_getErrorName(rc));
        r->in_pos = ib.pos;
        r->raw_len = ob.pos;
        r->zhint = rc;
        r->raw_drained_full = ob.pos == ob.size;
    }
    *got = r->raw_len;
    return MM_OK;
}

/* The line s[0..take) lies whole in raw[] followed by its '\n': hand it out in place, the
 * '\n' (and a '\r' before it) overwritten with NUL.  raw[] is not refilled before the next
 * call, so the line stays valid as long as a copied one would. */
static int whole_line(mm_lines *r, char *s, size_t take, const char **line, size_t *len) {
    r->raw_pos += take + 1;
    r->next_offset += take + 1;
    r->lineno++;
    s[take] = 0;
    if (take && s[take - 1] == '\r') s[--take] = 0;
    *line = s;
    *len = take;
    return 1;
}

int mm_lines_next(mm_lines *r, const char **line, size_t *len, mm_err *err) {
    *err = MM_OK;
    mm_buf_clear(&r->line);
    r->offset = r->next_offset;
    bool have = false;
    for (;;) {
        if (r->raw_pos == r->raw_len) {
            size_t got;
            if ((*err = refill(r, &got)) != MM_OK) return 0;
            if (!got) break;
        }
        char *s = r->raw + r->raw_pos;
        size_t avail = r->raw_len - r->raw_pos;
        char *nl = memchr(s, '\n', avail);
        size_t take = nl ? (size_t)(nl - s) : avail;
        if (nl && !r->line.len && !r->skipping && take <= r->max_line)
            return whole_line(r, s, take, line, len); /* no copy: the line is in raw[] */
        have = true;
        if (!r->skipping) {
            if (r->line.len + take > r->max_line) {
                r->skipping = true;
                mm_buf_clear(&r->line);
            } else if ((*err = mm_buf_append(&r->line, s, take)) != MM_OK)
                return 0;
        }
        r->raw_pos += take + (nl ? 1 : 0);
        r->next_offset += take + (nl ? 1 : 0);
        if (!nl) continue;
        if (r->skipping) { /* a line over the cap: count it, start over */
            r->skipping = false;
            r->skipped_long++;
            r->lineno++;
            r->offset = r->next_offset;
            have = false;
            continue;
        }
        break;
    }
    if (!have) return 0;
    if (r->skipping) { /* last line, unterminated and too long */
        r->skipping = false;
        r->skipped_long++;
        return 0;
    }
    r->lineno++;
    if (!r->line.data) mm_buf_reserve(&r->line, 0);
    size_t n = r->line.len;
    if (n && r->line.data[n - 1] == '\r') r->line.data[--n] = 0;
    *line = r->line.data;
    *len = n;
    return 1;
}

uint64_t mm_lines_offset(const mm_lines *r) {
    return r->offset;
}
uint64_t mm_lines_number(const mm_lines *r) {
    return r->lineno;
}
uint64_t mm_lines_skipped_long(const mm_lines *r) {
    return r->skipped_long;
}

void mm_lines_close(mm_lines *r) {
    if (!r) return;
    if (r->f && !r->is_stdin) fclose(r->f);
    ZSTD_freeDCtx(r->z);
    free(r->in);
    free(r->raw);
    free(r->path);
    mm_buf_free(&r->line);
    free(r);
}

/* ---------------------------------------------------------------- writing */

struct mm_out {
    FILE *f;
    char *path, *tmp;
    struct mm_out *prev, *next; /* the open outputs (see mm_out_remove_temps) */
    ZSTD_CCtx *z;
    char *zbuf;
    size_t zcap;
    uint64_t bytes;
};

/* Every output between open and commit/abort, so that a process that exits on an error or an
 * interrupt can remove their temp files (mm_out_remove_temps). */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static mm_out *open_outs;

static void out_register(mm_out *o) {
    pthread_mutex_lock(&open_lock);
    o->next = open_outs;
    if (open_outs) open_outs->prev = o;
    open_outs = o;
    pthread_mutex_unlock(&open_lock);
}

static void out_unregister(mm_out *o) {
    pthread_mutex_lock(&open_lock);
    if (o->prev)
        o->prev->next = o->next;
    else if (open_outs == o)
        open_outs = o->next;
    if (o->next) o->next->prev = o->prev;
    o->prev = o->next = NULL;
    pthread_mutex_unlock(&open_lock);
}

void mm_out_remove_temps(void) {
    pthread_mutex_lock(&open_lock);
    for (mm_out *o = open_outs; o; o = o->next)
        if (o->tmp) unlink(o->tmp);
    pthread_mutex_unlock(&open_lock);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

/* "<base>.tmp.<pid>" or "<base>.tmp.<pid>.<anything>": the pid, else 0. */
static long temp_pid(const char *name, const char *base, size_t blen) {
    if (strncmp(name, base, blen) || strncmp(name + blen, ".tmp.", 5)) return 0;
    char *end;
    long pid = strtol(name + blen + 5, &end, 10);
    if (end == name + blen + 5 || (*end && *end != '.') || pid <= 0) return 0;
    return pid;
}

/* Does a directory entry look like a temp file ("<base>.tmp.<digits>[.<anything>]")? */
static bool temp_like(const char *name) {
    for (const char *t = strstr(name, ".tmp."); t; t = strstr(t + 1, ".tmp.")) {
        const char *q = t + 5;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q > t + 5 && (*q == 0 || *q == '.')) return true;
    }
    return false;
}

/* The temp-looking entries of each folder, listed once per process: a stage that writes N
 * outputs into one folder would otherwise read the folder N times (quadratic: 4,000 files took
 * 7.8 s).  Temps are left by runs that ended before this one, so one listing sees them; an entry
 * another process makes later is its own live temp, which is never to be removed anyway. */
typedef struct temp_dir {
    struct temp_dir *next;
    char *dir;
    char **names;
    size_t n, cap;
} temp_dir;
static temp_dir *temp_dirs;
static pthread_mutex_t temp_lock = PTHREAD_MUTEX_INITIALIZER;

static temp_dir *temp_dir_listed(const char *dir) {
    for (temp_dir *t = temp_dirs; t; t = t->next)
        if (!strcmp(t->dir, dir)) return t;
    temp_dir *t = mm_calloc(1, sizeof *t);
    if (!t || !(t->dir = mm_strndup(dir, strlen(dir)))) {
        free(t);
        return NULL;
    }
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (!temp_like(de->d_name)) continue;
        if (t->n == t->cap) {
            size_t c = t->cap ? 2 * t->cap : 16;
            char **p = realloc(t->names, c * sizeof *p);
            if (!p) break;
            t->names = p, t->cap = c;
        }
        if ((t->names[t->n] = mm_strndup(de->d_name, strlen(de->d_name)))) t->n++;
    }
    if (d) closedir(d);
    t->next = temp_dirs;
    temp_dirs = t;
    return t;
}

int mm_remove_stale_temps(const char *path) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? path + (slash - dir) + 1 : path;
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if (!*base) return 0;
    const char *where = slash && !*dir ? "/" : dir;
    size_t blen = strlen(base);
    int removed = 0;
    pthread_mutex_lock(&temp_lock);
    temp_dir *t = temp_dir_listed(where);
    for (size_t i = 0; t && i < t->n;) {
        const char *name = t->names[i];
        long pid = temp_pid(name, base, blen);
        if (!pid || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
            i++;
            continue;
        }
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", slash && !*dir ? "" : dir, name);
        if (nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0) removed++;
        free(t->names[i]);
        t->names[i] = t->names[--t->n]; /* listed once: done with, removed or not */
    }
    pthread_mutex_unlock(&temp_lock);
    return removed;
}

mm_err mm_out_open(const char *path, int zstd_level, mm_out **out) {
    *out = NULL;
    mm_out *o = mm_calloc(1, sizeof *o);
    if (!o) return MM_ERR_NOMEM;
    size_t n = strlen(path);
    o->path = mm_strndup(path, n);
    o->tmp = mm_malloc(n + 32);
    if (!o->path || !o->tmp) {
        mm_out_abort(o);
        return MM_ERR_NOMEM;
    }
    snprintf(o->tmp, n + 32, "%s.tmp.%d", path, (int)getpid());
    mm_remove_stale_temps(path);
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        mm_err e = mm_fail(MM_ERR_IO, "%s: cannot create: %s", o->tmp, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        mm_out_abort(o);
        return e;
    }
    if (n > 4 && !strcmp(path + n - 4, ".zst")) {
        o->z = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(o->z, ZSTD_c_compressionLevel, zstd_level ? zstd_level : 3);
        ZSTD_CCtx_setParameter(o->z, ZSTD_c_checksumFlag, 1);
        o->zcap = ZSTD_CStreamOutSize();
        o->zbuf = mm_malloc(o->zcap);
        if (!o->z || !o->zbuf) {
            mm_out_abort(o);
            return MM_ERR_NOMEM;
        }
    }
    out_register(o);
    *out = o;
    return MM_OK;
}

static mm_err out_raw(mm_out *o, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, o->f) != n)
        return mm_fail(MM_ERR_IO, "%s: write failed: %s", o->tmp, strerror(errno));
    return MM_OK;
}

static mm_err out_z(mm_out *o, const void *p, size_t n, ZSTD_EndDirective mode) {
    ZSTD_inBuffer ib = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer ob = {o->zbuf, o->zcap, 0};
        size_t rem = ZSTD_compressStream2(o->z, &ob, &ib, mode);
        if (ZSTD_isError(rem))
            return mm_fail(MM_ERR_IO, "%s: zstd: %s", o->tmp, ZSTD_getErrorName(rem));
        MM_TRY(out_raw(o, o->zbuf, ob.pos));
        if (mode == ZSTD_e_end ? rem == 0 : ib.pos == ib.size) return MM_OK;
    }
}

mm_err mm_out_write(mm_out *o, const void *data, size_t n) {
    o->bytes += n;
    return o->z ? out_z(o, data, n, ZSTD_e_continue) : out_raw(o, data, n);
}

uint64_t mm_out_bytes(const mm_out *o) {
    return o->bytes;
}

mm_err mm_out_commit(mm_out *o) {
    mm_err e = MM_OK;
    if (o->z) e = out_z(o, "", 0, ZSTD_e_end);
    if (e == MM_OK && (fflush(o->f) || fsync(fileno(o->f))))
        e = mm_fail(MM_ERR_IO, "%s: flush failed: %s", o->tmp, strerror(errno));
    if (e == MM_OK) {
        int rc = fclose(o->f);
        o->f = NULL;
        if (rc) e = mm_fail(MM_ERR_IO, "%s: close failed: %s", o->tmp, strerror(errno));
    }
    if (e == MM_OK && rename(o->tmp, o->path))
        e = mm_fail(MM_ERR_IO, "%s: rename to %s failed: %s", o->tmp, o->path, strerror(errno));
    if (e == MM_OK) {
        free(o->tmp);
        o->tmp = NULL;
    }
    mm_out_abort(o);
    return e;
}

void mm_out_abort(mm_out *o) {
    if (!o) return;
    out_unregister(o);
    if (o->f) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    ZSTD_freeCCtx(o->z);
    free(o->zbuf);
    free(o->tmp);
    free(o->path);
    free(o);
}

/* ---------------------------------------------------------------- paths */

bool mm_file_done(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

mm_err mm_out_dir_check(const char *dir, const char *marker, bool force, const char *what) {
    struct stat st;
    if (stat(dir, &st)) return MM_OK;
    if (!S_ISDIR(st.st_mode))
        return mm_fail(MM_ERR_ARG, "%s: exists and is not a folder; choose another output folder",
                       dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, marker);
    if (stat(path, &st) == 0)
        return force ? MM_OK
                     : mm_fail(MM_ERR_ARG,
                               "%s already holds a finished %s (%s): pass --force to overwrite "
                               "it, or choose another output folder",
                               dir, what, marker);
    DIR *d = opendir(dir);
    if (!d) return mm_fail(MM_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    char other[256] = "";
    for (struct dirent *de; !other[0] && (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            snprintf(other, sizeof other, "%s", de->d_name);
    closedir(d);
    if (!other[0]) return MM_OK;
    return mm_fail(MM_ERR_ARG,
                   "%s: not empty and not a %s (it holds '%s'): mathmine never deletes what it "
                   "did not create; choose another output folder",
                   dir, what, other);
}

mm_err mm_mkdirs(const char *path) {
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp) return mm_fail(MM_ERR_ARG, "path too long: %s", path);
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != 0) continue;
        char c = tmp[i];
        tmp[i] = 0;
        if (mkdir(tmp, 0777) && errno != EEXIST)
            return mm_fail(MM_ERR_IO, "%s: cannot create directory: %s", tmp, strerror(errno));
        tmp[i] = c;
    }
    return MM_OK;
}

void mm_stem(const char *path, char *out, size_t cap) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, cap, "%s", b);
    static const char *const exts[] = {".gz",  ".zst",   ".bz2",  ".xz",  ".lz4", ".warc",
                                       ".arc", ".jsonl", ".json", ".txt", ".tsv", ".html"};
    for (int again = 1; again;) {
        again = 0;
        size_t n = strlen(out);
        for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
            size_t k = strlen(exts[i]);
            if (n > k && !strcmp(out + n - k, exts[i])) {
                out[n - k] = 0;
                again = 1;
                break;
            }
        }
    }
}

mm_err mm_out_file(const char *path, int zstd_level, const void *data, size_t n) {
    mm_out *o;
    MM_TRY(mm_out_open(path, zstd_level, &o));
    mm_err e = mm_out_write(o, data, n);
    if (e != MM_OK) {
        mm_out_abort(o);
        return e;
    }
    return mm_out_commit(o);
}
