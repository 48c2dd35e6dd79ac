#include "dedup/runs.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"

mm_err dd_grow(void **arr, size_t *cap, size_t need, size_t sz) {
    if (need <= *cap) return MM_OK;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need) c *= 2;
    void *p = realloc(*arr, c * sz);
    if (!p) return mm_fail(MM_ERR_NOMEM, "out of memory (%zu items of %zu bytes)", c, sz);
    *arr = p;
    *cap = c;
    return MM_OK;
}

mm_err dd_create(dd_writer *w, const char *path, const char magic[8], uint32_t recsize,
                 const uint64_t p[6]) {
    memset(w, 0, sizeof *w);
    memcpy(w->magic, magic, 8);
    MM_TRY(mm_out_open(path, 0, &w->o));
    dd_header h = {.version = DD_VERSION, .recsize = recsize};
    memcpy(h.magic, magic, 8);
    if (p) memcpy(h.p, p, sizeof h.p);
    mm_err e = mm_out_write(w->o, &h, sizeof h);
    if (e) dd_abort(w);
    return e;
}

mm_err dd_write(dd_writer *w, const void *recs, size_t n, size_t recsize) {
    if (!n) return MM_OK; /* recs may be NULL then */
    w->count += n;
    return mm_out_write(w->o, recs, n * recsize);
}

mm_err dd_close(dd_writer *w) {
    uint64_t t[2];
    t[0] = w->count;
    memcpy(&t[1], w->magic, 8);
    mm_err e = mm_out_write(w->o, t, sizeof t);
    if (e) {
        dd_abort(w);
        return e;
    }
    e = mm_out_commit(w->o);
    w->o = NULL;
    return e;
}

void dd_abort(dd_writer *w) {
    mm_out_abort(w->o);
    w->o = NULL;
}

mm_err dd_open(dd_reader *r, const char *path, const char magic[8], uint32_t recsize) {
    memset(r, 0, sizeof *r);
    r->path = mm_strndup(path, strlen(path));
    if (!r->path) return MM_ERR_NOMEM;
    r->f = fopen(path, "rb");
    if (!r->f) return mm_fail(MM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    uint64_t t[2];
    if (fstat(fileno(r->f), &st) || fread(&r->h, sizeof r->h, 1, r->f) != 1)
        return mm_fail(MM_ERR_TRUNCATED, "%s: shorter than its header; rerun the stage that wrote it", path);
    if (memcmp(r->h.magic, magic, 8))
        return mm_fail(MM_ERR_FORMAT, "%s: byte 0: not a %.8s file", path, magic);
    if (r->h.version != DD_VERSION || r->h.recsize != recsize)
        return mm_fail(MM_ERR_UNSUPPORTED, "%s: version %u record size %u, expected %u/%u; rerun the stage that wrote it",
                       path, r->h.version, r->h.recsize, DD_VERSION, recsize);
    if ((uint64_t)st.st_size < sizeof r->h + sizeof t || fseeko(r->f, st.st_size - (off_t)sizeof t, SEEK_SET) ||
        fread(t, sizeof t, 1, r->f) != 1 || memcmp(&t[1], magic, 8) ||
        (uint64_t)st.st_size != sizeof r->h + sizeof t + t[0] * recsize)
        return mm_fail(MM_ERR_TRUNCATED, "%s: size %lld does not match its trailer (truncated?); rerun the stage that wrote it",
                       path, (long long)st.st_size);
    r->count = t[0];
    r->buf_recs = recsize >= 4096 ? 1 : 65536 / recsize;
    r->buf = mm_malloc(r->buf_recs * recsize);
    if (!r->buf) return MM_ERR_NOMEM;
    return dd_seek(r, 0, r->count);
}

mm_err dd_seek(dd_reader *r, uint64_t first, uint64_t n) {
    if (first + n > r->count) return mm_fail(MM_ERR_FORMAT, "%s: range past the end", r->path);
    if (fseeko(r->f, (off_t)(sizeof r->h + first * r->h.recsize), SEEK_SET))
        return mm_fail(MM_ERR_IO, "%s: seek: %s", r->path, strerror(errno));
    r->left = n;
    r->buf_n = r->buf_i = 0;
    return MM_OK;
}

const void *dd_next(dd_reader *r, mm_err *err) {
    *err = MM_OK;
    if (r->buf_i == r->buf_n) {
        if (!r->left) return NULL;
        size_t want = r->left < r->buf_recs ? (size_t)r->left : r->buf_recs;
        size_t got = fread(r->buf, r->h.recsize, want, r->f);
        if (got != want) {
            *err = mm_fail(MM_ERR_IO, "%s: read failed", r->path);
            return NULL;
        }
        r->left -= got;
        r->buf_n = got;
        r->buf_i = 0;
    }
    return r->buf + (r->buf_i++) * r->h.recsize;
}

void dd_close_reader(dd_reader *r) {
    if (r->f) fclose(r->f);
    free(r->buf);
    free(r->path);
    memset(r, 0, sizeof *r);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

mm_err dd_list(const char *dir, const char *suffix, char ***paths, size_t *n) {
    *paths = NULL;
    *n = 0;
    DIR *dh = opendir(dir);
    if (!dh) return mm_fail(MM_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    size_t cap = 0, sl = strlen(suffix);
    struct dirent *de;
    mm_err e = MM_OK;
    while (!e && (de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l <= sl || strcmp(de->d_name + l - sl, suffix)) continue;
        if ((e = DD_GROW(*paths, cap, *n + 1))) break;
        mm_buf b = {0};
        if ((e = mm_buf_printf(&b, "%s/%s", dir, de->d_name))) break;
        (*paths)[(*n)++] = b.data;
    }
    closedir(dh);
    if (*n) qsort(*paths, *n, sizeof **paths, cmp_str);
    return e;
}

void dd_free_list(char **paths, size_t n) {
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

uint64_t dd_date_key(const char *date) {
    uint64_t v = 0;
    int k = 0;
    for (const char *p = date; p && *p && k < 14; p++)
        if (*p >= '0' && *p <= '9') v = v * 10 + (uint64_t)(*p - '0'), k++;
    for (; k > 0 && k < 14; k++) v *= 10;
    return v;
}

#include "dedup/dedup.h"
mm_err mm_dedup_list(const char *dir, const char *suffix, char ***paths, size_t *n) {
    return dd_list(dir, suffix, paths, n);
}
void mm_dedup_list_free(char **paths, size_t n) { dd_free_list(paths, n); }

void dd_heap_sift_down(void **h, size_t n, size_t i, dd_less_fn less) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && less(h[l], h[m])) m = l;
        if (l + 1 < n && less(h[l + 1], h[m])) m = l + 1;
        if (m == i) return;
        void *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}
