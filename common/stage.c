/* common/stage.c — input lists and task ranges (common/stage.h). */
#include "common/stage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/io.h"

static bool is_absolute(const char *p) {
    return p[0] == '/' || strstr(p, "://") != NULL;
}

mm_err mm_inputs_add(mm_inputs *in, const char *base, const char *path) {
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 64;
        char **v = realloc(in->v, cap * sizeof *v);
        if (!v) return mm_fail(MM_ERR_NOMEM, "input list: out of memory");
        in->v = v, in->cap = cap;
    }
    bool prefix = base && *base && !is_absolute(path);
    size_t lb = prefix ? strlen(base) : 0, lp = strlen(path);
    bool slash = prefix && base[lb - 1] != '/';
    char *s = malloc(lb + slash + lp + 1);
    if (!s) return mm_fail(MM_ERR_NOMEM, "input list: out of memory");
    memcpy(s, base ? base : "", lb);
    if (slash) s[lb] = '/';
    memcpy(s + lb + slash, path, lp + 1);
    in->v[in->n++] = s;
    return MM_OK;
}

/* One list line: trailing CR/spaces dropped; empty and '#' lines skipped. */
static mm_err add_line(mm_inputs *in, const char *base, char *line, size_t len) {
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    line[len] = 0;
    while (*line == ' ' || *line == '\t')
        line++;
    if (!*line || *line == '#') return MM_OK;
    return mm_inputs_add(in, base, line);
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* zlib reads .gz and, transparently, plain text (and stdin through its descriptor). */
static mm_err read_gz(mm_inputs *in, const char *list, const char *base) {
    gzFile f = strcmp(list, "-") ? gzopen(list, "rb") : gzdopen(0, "rb");
    if (!f) return mm_fail(MM_ERR_IO, "%s: cannot open input list: %s", list, strerror(errno));
    char buf[65536];
    mm_err e = MM_OK;
    uint64_t line = 0;
    while (e == MM_OK && gzgets(f, buf, sizeof buf)) {
        line++;
        size_t len = strlen(buf);
        if (len && buf[len - 1] == '\n')
            len--;
        else if (len == sizeof buf - 1)
            e = mm_fail(MM_ERR_TOO_LARGE, "%s: line %llu: longer than %zu bytes", list,
                        (unsigned long long)line, sizeof buf - 2);
        if (e == MM_OK) e = add_line(in, base, buf, len);
    }
    int zerr = 0;
    const char *msg = gzerror(f, &zerr);
    if (e == MM_OK && zerr != Z_OK && zerr != Z_STREAM_END)
        e = mm_fail(MM_ERR_FORMAT, "%s: line %llu: %s", list, (unsigned long long)line, msg);
    gzclose(f);
    return e;
}

static mm_err read_zst(mm_inputs *in, const char *list, const char *base) {
    mm_lines *r;
    MM_TRY(mm_lines_open(list, 65536, &r));
    const char *line;
    size_t len;
    mm_err e = MM_OK;
    char buf[65536];
    while (e == MM_OK && mm_lines_next(r, &line, &len, &e) == 1) {
        memcpy(buf, line, len);
        e = add_line(in, base, buf, len);
    }
    mm_lines_close(r);
    return e;
}

mm_err mm_inputs_read(mm_inputs *in, const char *list, const char *base) {
    return ends_with(list, ".zst") ? read_zst(in, list, base) : read_gz(in, list, base);
}

void mm_inputs_free(mm_inputs *in) {
    if (!in) return;
    for (size_t i = 0; i < in->n; i++)
        free(in->v[i]);
    free(in->v);
    memset(in, 0, sizeof *in);
}

enum { TASK_MAX = 10000000 };

static bool parse_u32(const char *s, char **end, uint32_t *v) {
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    unsigned long long x = strtoull(s, end, 10);
    if (errno || x > TASK_MAX) return false;
    *v = (uint32_t)x;
    return true;
}

mm_err mm_task_parse(const char *spec, mm_task *t) {
    char *end;
    mm_task r;
    if (!parse_u32(spec, &end, &r.index) || *end != '/' || !parse_u32(end + 1, &end, &r.count) ||
        *end || !r.count || r.index >= r.count)
        return mm_fail(MM_ERR_ARG, "task '%s': expected I/N with 0 <= I < N <= %d", spec, TASK_MAX);
    *t = r;
    return MM_OK;
}

static bool env_u32(const char *name, uint32_t *v) {
    const char *s = getenv(name);
    char *end;
    return s && *s && parse_u32(s, &end, v) && !*end;
}

mm_err mm_task_from_env(mm_task *t) {
    t->index = t->count = 0;
    uint32_t id, min = 0, max, count;
    if (!getenv("SLURM_ARRAY_TASK_ID")) return MM_OK;
    if (!env_u32("SLURM_ARRAY_TASK_ID", &id))
        return mm_fail(MM_ERR_ARG, "SLURM_ARRAY_TASK_ID='%s' is not a task number",
                       getenv("SLURM_ARRAY_TASK_ID"));
    env_u32("SLURM_ARRAY_TASK_MIN", &min);
    if (!env_u32("SLURM_ARRAY_TASK_COUNT", &count)) {
        if (!env_u32("SLURM_ARRAY_TASK_MAX", &max) || max < min)
            return mm_fail(MM_ERR_ARG, "Slurm array without SLURM_ARRAY_TASK_COUNT or _MAX");
        count = max - min + 1;
    }
    if (id < min || id - min >= count)
        return mm_fail(MM_ERR_ARG,
                       "Slurm array task %u is not in %u..%u: the array is not contiguous "
                       "(give --task I/N explicitly)",
                       id, min, min + count - 1);
    t->index = id - min, t->count = count;
    return MM_OK;
}

void mm_task_range(const mm_task *t, size_t n, size_t *lo, size_t *hi) {
    if (!t || !t->count) {
        *lo = 0, *hi = n;
        return;
    }
    *lo = (size_t)((unsigned __int128)n * t->index / t->count);
    *hi = (size_t)((unsigned __int128)n * (t->index + 1) / t->count);
}
