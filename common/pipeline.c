/* common/pipeline.c — pipeline files, tasks in child processes, Slurm submission, status
 * (common/pipeline.h). */
#include "common/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/stage.h"

enum { MAX_INPUTS = 16, NSLURM = 6 };
static const char *const slurm_keys[NSLURM] = {"partition", "time",    "mem",
                                               "cpus",      "account", "extra"};

typedef struct stage {
    char *name, *cmd;
    bool reduce;
    char *inputs[MAX_INPUTS];
    size_t ninputs;
    char *base;
    uint32_t tasks; /* 0 until resolved */
    char *slurm[NSLURM];
    bool loop;           /* an `iterate = ARGS` section, expanded into its stages at load */
    uint32_t iterations; /* its iterations (0 = the paper's 4) */
} stage;

struct mm_pipe {
    char *out, *name, *exe;
    uint32_t tasks, max_array, array_limit;
    char *slurm[NSLURM];
    stage *st;
    size_t n;
};

/* ---- parsing ---- */

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    s[n] = 0;
    return s;
}

static mm_err set_str(char **dst, const char *v) {
    char *c = strdup(v);
    if (!c) return mm_fail(MM_ERR_NOMEM, "pipeline: out of memory");
    free(*dst);
    *dst = c;
    return MM_OK;
}

static int slurm_key(const char *k) {
    for (int i = 0; i < NSLURM; i++)
        if (!strcmp(k, slurm_keys[i])) return i;
    return -1;
}

static mm_err parse_u32(const char *where, const char *v, uint32_t min, uint32_t *out) {
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno || end == v || *end || x < min || x > 10000000)
        return mm_fail(MM_ERR_FORMAT, "%s: '%s' is not a number >= %u", where, v, min);
    *out = (uint32_t)x;
    return MM_OK;
}

static mm_err top_key(mm_pipe *p, const char *where, const char *k, const char *v) {
    if (!strcmp(k, "out")) return set_str(&p->out, v);
    if (!strcmp(k, "name")) return set_str(&p->name, v);
    if (!strcmp(k, "mathmine")) return set_str(&p->exe, v);
    if (!strcmp(k, "tasks")) return parse_u32(where, v, 1, &p->tasks);
    if (!strcmp(k, "max_array")) return parse_u32(where, v, 1, &p->max_array);
    if (!strcmp(k, "array_limit")) return parse_u32(where, v, 0, &p->array_limit);
    return mm_fail(MM_ERR_FORMAT, "%s: unknown key '%s'", where, k);
}

static mm_err stage_key(stage *s, const char *where, const char *k, const char *v) {
    int sk = slurm_key(k);
    if (sk >= 0) return set_str(&s->slurm[sk], v);
    if (!strcmp(k, "map") || !strcmp(k, "reduce") || !strcmp(k, "iterate")) {
        if (s->cmd)
            return mm_fail(MM_ERR_FORMAT, "%s: a stage has one map, reduce or iterate line", where);
        if (k[0] == 'i' && (strstr(v, "--max-iter") || strstr(v, "--map") ||
                            strstr(v, "--wait-for-tasks") || strstr(v, "--work-dir") == NULL))
            return mm_fail(MM_ERR_FORMAT,
                           "%s: iterate = the options of `mathmine iterate` with --work-dir, "
                           "without --max-iter (use `iterations = N`), --map or --wait-for-tasks "
                           "(the stages it expands into add them)",
                           where);
        s->reduce = k[0] == 'r';
        s->loop = k[0] == 'i';
        return set_str(&s->cmd, v);
    }
    if (!strcmp(k, "iterations")) return parse_u32(where, v, 1, &s->iterations);
    if (!strcmp(k, "inputs")) {
        if (s->ninputs == MAX_INPUTS)
            return mm_fail(MM_ERR_FORMAT, "%s: too many inputs lines", where);
        return set_str(&s->inputs[s->ninputs++], v);
    }
    if (!strcmp(k, "base")) return set_str(&s->base, v);
    if (!strcmp(k, "tasks")) return parse_u32(where, v, 1, &s->tasks);
    return mm_fail(MM_ERR_FORMAT, "%s: unknown key '%s'", where, k);
}

static mm_err new_stage(mm_pipe *p, const char *where, const char *name) {
    if (!*name ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
            strlen(name))
        return mm_fail(MM_ERR_FORMAT, "%s: stage name '%s': use letters, digits, '_', '-', '.'",
                       where, name);
    if (mm_pipe_find(p, name) >= 0)
        return mm_fail(MM_ERR_FORMAT, "%s: stage '%s' twice", where, name);
    stage *v = realloc(p->st, (p->n + 1) * sizeof *v);
    if (!v) return mm_fail(MM_ERR_NOMEM, "pipeline: out of memory");
    p->st = v;
    memset(&v[p->n], 0, sizeof *v);
    return set_str(&v[p->n++].name, name);
}

static mm_err parse_line(mm_pipe *p, const char *path, int lineno, char *line, int *section) {
    char where[1200];
    snprintf(where, sizeof where, "%s: line %d", path, lineno);
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';') return MM_OK;
    if (*s == '[') {
        char *e = strchr(s, ']');
        if (!e || e[1]) return mm_fail(MM_ERR_FORMAT, "%s: expected [section]", where);
        *e = 0;
        char *name = trim(s + 1);
        if (!strcmp(name, "slurm")) return *section = -2, MM_OK;
        MM_TRY(new_stage(p, where, name));
        *section = (int)p->n - 1;
        return MM_OK;
    }
    char *eq = strchr(s, '=');
    if (!eq) return mm_fail(MM_ERR_FORMAT, "%s: expected key = value", where);
    *eq = 0;
    char *k = trim(s), *v = trim(eq + 1);
    if (*section == -1) return top_key(p, where, k, v);
    if (*section == -2) {
        int sk = slurm_key(k);
        if (sk < 0) return mm_fail(MM_ERR_FORMAT, "%s: unknown [slurm] key '%s'", where, k);
        return set_str(&p->slurm[sk], v);
    }
    return stage_key(&p->st[*section], where, k, v);
}

/* The stages of `iterate = ARGS` (`iterations = N`, the paper's 4 by default), in the order the
 * driver needs them (docs/iterate.md, "Scale"): per iteration K a reduce NAME-K-train (the
 * driver: commits iteration K-1, trains K's classifier), a map NAME-K-score (its tasks score
 * their pool shards), a reduce NAME-K-cut (the collection's cut-off, collected.ids), a map
 * NAME-K-count (per-shard domain and prefix count summaries), a reduce NAME-K-select (merges
 * the summaries: domains, URL prefixes), a map NAME-K-newpos (the shards' new positives); and a
 * last reduce NAME-end that commits the last iteration.  Every one has the section's pool inputs,
 * tasks and sbatch options.  After a stop rule ends the run, the later stages find nothing to do
 * and succeed at once. */
static mm_err expand_loop(mm_pipe *p, size_t at) {
    stage loop = p->st[at];
    uint32_t n = loop.iterations ? loop.iterations : 4;
    enum { STEPS = 6 };
    size_t add = STEPS * (size_t)n + 1;
    stage *v = realloc(p->st, (p->n - 1 + add) * sizeof *v);
    if (!v) return mm_fail(MM_ERR_NOMEM, "pipeline: out of memory");
    p->st = v;
    memmove(&v[at + add], &v[at + 1], (p->n - at - 1) * sizeof *v);
    memset(&v[at], 0, add * sizeof *v);
    p->n += add - 1;
    static const char *const step[STEPS] = {"train", "score", "cut", "count", "select", "newpos"};
    mm_err e = MM_OK;
    for (size_t i = 0; i < add && e == MM_OK; i++) {
        stage *s = &v[at + i];
        bool map = i < add - 1 && i % 2 == 1; /* score, count, newpos */
        char name[512];
        if (i < add - 1)
            snprintf(name, sizeof name, "%s-%zu-%s", loop.name, i / STEPS + 1, step[i % STEPS]);
        else
            snprintf(name, sizeof name, "%s-end", loop.name);
        mm_buf cmd = {0};
        e = mm_buf_printf(&cmd, "iterate %s --max-iter %u %s", loop.cmd, n,
                          map ? "--map" : "--wait-for-tasks");
        if (e == MM_OK) e = set_str(&s->name, name);
        if (e == MM_OK) e = set_str(&s->cmd, cmd.data);
        mm_buf_free(&cmd);
        s->reduce = !map;
        s->tasks = map ? loop.tasks : 0;
        for (size_t k = 0; e == MM_OK && k < loop.ninputs; k++)
            if ((e = set_str(&s->inputs[k], loop.inputs[k])) == MM_OK) s->ninputs++;
        if (e == MM_OK && loop.base) e = set_str(&s->base, loop.base);
        for (int k = 0; e == MM_OK && k < NSLURM; k++)
            if (loop.slurm[k]) e = set_str(&s->slurm[k], loop.slurm[k]);
    }
    free(loop.name), free(loop.cmd), free(loop.base);
    for (size_t k = 0; k < loop.ninputs; k++)
        free(loop.inputs[k]);
    for (int k = 0; k < NSLURM; k++)
        free(loop.slurm[k]);
    return e;
}

static mm_err check(mm_pipe *p, const char *path) {
    if (!p->out) return mm_fail(MM_ERR_FORMAT, "%s: 'out = FOLDER' is required", path);
    if (!p->n) return mm_fail(MM_ERR_FORMAT, "%s: no stages", path);
    if (!p->name) {
        const char *b = strrchr(p->out, '/');
        MM_TRY(set_str(&p->name, b && b[1] ? b + 1 : p->out));
    }
    for (size_t i = 0; i < p->n; i++) {
        stage *s = &p->st[i];
        if (!s->cmd)
            return mm_fail(MM_ERR_FORMAT, "%s: stage [%s] has no map, reduce or iterate line", path,
                           s->name);
        if (s->iterations && !s->loop)
            return mm_fail(MM_ERR_FORMAT,
                           "%s: stage [%s]: `iterations` belongs to an iterate stage", path,
                           s->name);
        if (s->loop) {
            if (!s->ninputs)
                return mm_fail(MM_ERR_FORMAT, "%s: stage [%s]: give the pool as `inputs = ...`",
                               path, s->name);
            size_t len = strlen(s->name);
            for (size_t j = 0; j < p->n; j++)
                if (j != i && !strncmp(p->st[j].name, s->name, len) && p->st[j].name[len] == '-')
                    return mm_fail(MM_ERR_FORMAT,
                                   "%s: stage [%s] would clash with the iterate stage [%s]'s "
                                   "stages (%s-1-train ... %s-end)",
                                   path, p->st[j].name, s->name, s->name, s->name);
            MM_TRY(expand_loop(p, i));
            s = &p->st[i];
        }
        if (s->reduce)
            s->tasks = 1;
        else if (!s->tasks)
            s->tasks = p->tasks;
        if (s->tasks > p->max_array) s->tasks = p->max_array;
    }
    return MM_OK;
}

mm_err mm_pipe_load(const char *path, mm_pipe **out) {
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return mm_fail(MM_ERR_IO, "%s: %s", path, strerror(errno));
    mm_pipe *p = calloc(1, sizeof *p);
    if (!p) return fclose(f), mm_fail(MM_ERR_NOMEM, "pipeline: out of memory");
    p->tasks = 16, p->max_array = 1000;
    char line[8192];
    int lineno = 0, section = -1;
    mm_err e = MM_OK;
    while (e == MM_OK && fgets(line, sizeof line, f))
        e = parse_line(p, path, ++lineno, line, &section);
    fclose(f);
    if (e == MM_OK) e = check(p, path);
    if (e != MM_OK) return mm_pipe_free(p), e;
    *out = p;
    return MM_OK;
}

void mm_pipe_free(mm_pipe *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        stage *s = &p->st[i];
        free(s->name), free(s->cmd), free(s->base);
        for (size_t k = 0; k < s->ninputs; k++)
            free(s->inputs[k]);
        for (int k = 0; k < NSLURM; k++)
            free(s->slurm[k]);
    }
    for (int k = 0; k < NSLURM; k++)
        free(p->slurm[k]);
    free(p->st), free(p->out), free(p->name), free(p->exe), free(p);
}

const char *mm_pipe_out(const mm_pipe *p) {
    return p->out;
}
size_t mm_pipe_nstages(const mm_pipe *p) {
    return p->n;
}
const char *mm_pipe_stage_name(const mm_pipe *p, size_t s) {
    return p->st[s].name;
}
bool mm_pipe_stage_reduce(const mm_pipe *p, size_t s) {
    return p->st[s].reduce;
}
uint32_t mm_pipe_stage_tasks(const mm_pipe *p, size_t s) {
    return p->st[s].tasks;
}

int mm_pipe_find(const mm_pipe *p, const char *name) {
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->st[i].name, name)) return (int)i;
    return -1;
}

mm_err mm_pipe_set(mm_pipe *p, const char *section, const char *key, const char *value) {
    if (section && !strcmp(section, "slurm")) {
        int sk = slurm_key(key);
        if (sk < 0) return mm_fail(MM_ERR_ARG, "unknown sbatch option '%s'", key);
        return set_str(&p->slurm[sk], value);
    }
    MM_TRY(top_key(p, "option", key, value));
    for (size_t i = 0; i < p->n; i++) /* re-apply the caps */
        if (!p->st[i].reduce && p->st[i].tasks > p->max_array) p->st[i].tasks = p->max_array;
    return MM_OK;
}

/* ---- paths ---- */

static void task_path(const mm_pipe *p, size_t s, uint32_t t, const char *ext, char *out,
                      size_t cap) {
    snprintf(out, cap, "%s/_run/%s/task-%05u-of-%05u%s", p->out, p->st[s].name, t, p->st[s].tasks,
             ext);
}

void mm_pipe_task_file(const mm_pipe *p, size_t s, uint32_t t, const char *ext, char *out,
                       size_t cap) {
    task_path(p, s, t, ext, out, cap);
}

bool mm_pipe_task_done(const mm_pipe *p, size_t s, uint32_t t) {
    char path[4096];
    task_path(p, s, t, ".json", path, sizeof path);
    mm_json_doc *doc;
    mm_json *root;
    if (mm_json_parse_file(path, &doc, &root) != MM_OK) return mm_error_clear(), false;
    bool done = !strcmp(mm_json_get_str(root, "status", ""), "done");
    mm_json_doc_free(doc);
    return done;
}

/* `s` with every {out} replaced. */
static mm_err subst(const mm_pipe *p, const char *s, mm_buf *b) {
    mm_buf_clear(b);
    for (const char *q; (q = strstr(s, "{out}")); s = q + 5) {
        MM_TRY(mm_buf_grow_append(b, s, (size_t)(q - s)));
        MM_TRY(mm_buf_puts(b, p->out));
    }
    return mm_buf_puts(b, s);
}

/* ---- inputs ---- */

static bool is_glob(const char *s) {
    return strpbrk(s, "*?[") != NULL;
}

static mm_err stage_inputs(const mm_pipe *p, const stage *s, mm_inputs *in) {
    mm_buf b = {0};
    mm_err e = MM_OK;
    for (size_t i = 0; e == MM_OK && i < s->ninputs; i++) {
        if ((e = subst(p, s->inputs[i], &b))) break;
        if (!is_glob(b.data)) {
            e = mm_inputs_read(in, b.data, s->base);
            continue;
        }
        glob_t g;
        int r = glob(b.data, 0, NULL, &g);
        for (size_t k = 0; r == 0 && e == MM_OK && k < g.gl_pathc; k++)
            e = mm_inputs_add(in, NULL, g.gl_pathv[k]);
        if (r == 0) globfree(&g);
    }
    mm_buf_free(&b);
    return e;
}

/* OUT/_run/STAGE/inputs.txt: every task of a stage writes the same bytes, atomically, through
 * a temp name of its own (host, process and thread: tasks run as threads here, as processes on
 * many hosts under Slurm). */
static mm_err write_list(const mm_inputs *in, const char *path) {
    mm_buf b = {0};
    mm_err e = MM_OK;
    for (size_t i = 0; e == MM_OK && i < in->n; i++)
        e = mm_buf_printf(&b, "%s\n", in->v[i]);
    char tmp[4400], host[128] = "";
    gethostname(host, sizeof host - 1);
    snprintf(tmp, sizeof tmp, "%s.tmp.%s.%d.%d", path, host, (int)getpid(), (int)gettid());
    FILE *f = e == MM_OK ? fopen(tmp, "w") : NULL;
    if (e == MM_OK && !f) e = mm_fail(MM_ERR_IO, "%s: %s", tmp, strerror(errno));
    if (f) {
        bool short_write = b.len && fwrite(b.data, 1, b.len, f) != b.len;
        bool close_failed = fclose(f) != 0; /* closed whether or not the write failed */
        bool bad = short_write || close_failed;
        if (bad || rename(tmp, path))
            e = mm_fail(MM_ERR_IO, "%s: %s", path, strerror(errno)), unlink(tmp);
    }
    mm_buf_free(&b);
    return e;
}

/* ---- argv ---- */

typedef struct argv_b {
    char **v;
    size_t n, cap;
} argv_b;

static mm_err argv_add(argv_b *a, const char *s, size_t n) {
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, cap * sizeof *v);
        if (!v) return mm_fail(MM_ERR_NOMEM, "out of memory");
        a->v = v, a->cap = cap;
    }
    if (!(a->v[a->n] = strndup(s, n))) return mm_fail(MM_ERR_NOMEM, "out of memory");
    a->v[++a->n] = NULL;
    return MM_OK;
}

static void argv_free(argv_b *a) {
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

/* Split on blanks; '...' and "..." group words (no escapes inside). */
static mm_err split_words(const char *s, argv_b *a) {
    mm_buf w = {0};
    mm_err e = MM_OK;
    while (e == MM_OK && *s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s) break;
        mm_buf_clear(&w);
        while (e == MM_OK && *s && *s != ' ' && *s != '\t') {
            if (*s == '\'' || *s == '"') {
                const char *q = strchr(s + 1, *s);
                if (!q)
                    e = mm_fail(MM_ERR_FORMAT, "unmatched quote in '%s'", s);
                else
                    e = mm_buf_grow_append(&w, s + 1, (size_t)(q - s - 1)), s = q + 1;
            } else {
                e = mm_buf_grow_append(&w, s++, 1);
            }
        }
        if (e == MM_OK) e = argv_add(a, w.data ? w.data : "", w.len);
    }
    mm_buf_free(&w);
    return e;
}

static mm_err task_argv(const mm_pipe *p, size_t s, uint32_t t, const char *exe, const char *list,
                        const char *stats, argv_b *a) {
    const stage *st = &p->st[s];
    mm_buf b = {0};
    mm_err e = subst(p, st->cmd, &b);
    if (e == MM_OK) e = argv_add(a, exe, strlen(exe));
    if (e == MM_OK) e = split_words(b.data, a);
    if (e == MM_OK && list) e = argv_add(a, "--inputs", 8);
    if (e == MM_OK && list) e = argv_add(a, list, strlen(list));
    char task[64];
    snprintf(task, sizeof task, "%u/%u", t, st->tasks);
    if (e == MM_OK && !st->reduce) e = argv_add(a, "--task", 6);
    if (e == MM_OK && !st->reduce) e = argv_add(a, task, strlen(task));
    if (e == MM_OK) e = argv_add(a, "--stats", 7);
    if (e == MM_OK) e = argv_add(a, stats, strlen(stats));
    mm_buf_free(&b);
    return e;
}

/* ---- one task ---- */

static double wall_now(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static mm_err write_text(const char *path, const char *text, size_t n) {
    mm_out *o;
    MM_TRY(mm_out_open(path, 0, &o));
    mm_err e = mm_out_write(o, text, n);
    if (e != MM_OK) return mm_out_abort(o), e;
    return mm_out_commit(o);
}

static mm_err spawn(char **argv, const char *log, volatile int *stop, int *code,
                    struct rusage *ru) {
    pid_t pid = fork();
    if (pid < 0) return mm_fail(MM_ERR_IO, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2), close(fd);
        execv(argv[0], argv);
        dprintf(2, "mathmine run: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    bool signalled = false;
    for (;;) {
        pid_t r = wait4(pid, &status, 0, ru);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return mm_fail(MM_ERR_IO, "wait: %s", strerror(errno));
        if (stop && *stop && !signalled) kill(pid, SIGTERM), signalled = true;
    }
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return MM_OK;
}

static uint64_t input_bytes(const mm_inputs *in, size_t lo, size_t hi) {
    uint64_t n = 0;
    struct stat sb;
    for (size_t i = lo; i < hi; i++)
        if (!strstr(in->v[i], "://") && !stat(in->v[i], &sb)) n += (uint64_t)sb.st_size;
    return n;
}

typedef struct task_rec {
    int code;
    size_t ninputs;
    uint64_t bytes;
    double start, end, cpu;
    long rss_kb;
} task_rec;

static mm_err write_marker(const mm_pipe *p, size_t s, uint32_t t, const task_rec *r,
                           const char *log, const char *stats) {
    mm_buf b = {0}, js = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *job = getenv("SLURM_JOB_ID");
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "stage"), mm_jw_string(&w, p->st[s].name);
    mm_jw_key(&w, "task"), mm_jw_uint(&w, t);
    mm_jw_key(&w, "tasks"), mm_jw_uint(&w, p->st[s].tasks);
    mm_jw_key(&w, "status"), mm_jw_string(&w, r->code ? "failed" : "done");
    mm_jw_key(&w, "exit"), mm_jw_int(&w, r->code);
    mm_jw_key(&w, "inputs"), mm_jw_uint(&w, r->ninputs);
    mm_jw_key(&w, "input_bytes"), mm_jw_uint(&w, r->bytes);
    char t0[64], t1[64]; /* epoch seconds to the millisecond (mm_jw_double keeps 9 digits) */
    snprintf(t0, sizeof t0, "%.3f", r->start), snprintf(t1, sizeof t1, "%.3f", r->end);
    mm_jw_key(&w, "start"), mm_jw_raw(&w, t0);
    mm_jw_key(&w, "end"), mm_jw_raw(&w, t1);
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, r->end - r->start);
    mm_jw_key(&w, "cpu_s"), mm_jw_double(&w, r->cpu);
    mm_jw_key(&w, "max_rss_kb"), mm_jw_int(&w, r->rss_kb);
    mm_jw_key(&w, "host"), mm_jw_string(&w, host);
    mm_jw_key(&w, "slurm_job"), job ? mm_jw_string(&w, job) : mm_jw_null(&w);
    mm_jw_key(&w, "log"), mm_jw_string(&w, log);
    mm_jw_key(&w, "stats");
    mm_json_doc *doc;
    mm_json *root;
    /* the command's own summary, when it wrote a valid one */
    if (stats && mm_read_file(stats, &js) == MM_OK && mm_buf_putc(&js, 0) == MM_OK &&
        mm_json_parse(js.data, js.len - 1, &doc, &root) == MM_OK) {
        mm_json_doc_free(doc);
        while (js.len > 1 && strchr(" \n\r\t", js.data[js.len - 2]))
            js.data[--js.len - 1] = 0;
        mm_jw_raw(&w, js.data);
    } else {
        mm_error_clear();
        mm_jw_null(&w);
    }
    mm_jw_obj_end(&w);
    mm_err e = mm_buf_putc(&b, '\n');
    char path[4096];
    task_path(p, s, t, ".json", path, sizeof path);
    if (e == MM_OK) e = write_text(path, b.data, b.len);
    mm_buf_free(&b), mm_buf_free(&js);
    return e;
}

static mm_err mark_started(const mm_pipe *p, size_t s, uint32_t t) {
    char path[4096], text[512], host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *job = getenv("SLURM_JOB_ID");
    int n = snprintf(text, sizeof text,
                     "{\"host\":\"%s\",\"pid\":%d,\"start\":%.3f,\"slurm_job\":\"%s\"}\n", host,
                     (int)getpid(), wall_now(), job ? job : "");
    task_path(p, s, t, ".json", path, sizeof path);
    unlink(path); /* a rerun replaces the old marker */
    task_path(p, s, t, ".started", path, sizeof path);
    return write_text(path, text, (size_t)n);
}

mm_err mm_pipe_task_run(const mm_pipe *p, size_t s, uint32_t t, const char *exe, volatile int *stop,
                        int *exit_code) {
    *exit_code = 1;
    const stage *st = &p->st[s];
    if (t >= st->tasks)
        return mm_fail(MM_ERR_ARG, "stage %s has tasks 0..%u", st->name, st->tasks - 1);
    char dir[4096], list[4200], log[4200], stats[4200];
    snprintf(dir, sizeof dir, "%s/_run/%s", p->out, st->name);
    MM_TRY(mm_mkdirs(dir));
    mm_inputs in = {0};
    mm_err e = stage_inputs(p, st, &in);
    snprintf(list, sizeof list, "%s/inputs.txt", dir);
    if (e == MM_OK && st->ninputs) e = write_list(&in, list);
    mm_task tk = {t, st->tasks};
    size_t lo, hi;
    mm_task_range(st->reduce ? NULL : &tk, in.n, &lo, &hi);
    task_rec r = {.ninputs = hi - lo, .bytes = input_bytes(&in, lo, hi), .start = wall_now()};
    task_path(p, s, t, ".log", log, sizeof log);
    task_path(p, s, t, ".stats.json", stats, sizeof stats);
    argv_b a = {0};
    if (e == MM_OK) e = mark_started(p, s, t);
    if (e == MM_OK) e = task_argv(p, s, t, exe, st->ninputs ? list : NULL, stats, &a);
    struct rusage ru = {0};
    if (e == MM_OK && !st->reduce && lo == hi)
        r.code = 0; /* nothing to do: a task past the inputs */
    else if (e == MM_OK)
        e = spawn(a.v, log, stop, &r.code, &ru);
    argv_free(&a);
    mm_inputs_free(&in);
    if (e != MM_OK) return e;
    r.end = wall_now();
    r.cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
            ru.ru_stime.tv_usec / 1e6;
    r.rss_kb = ru.ru_maxrss;
    e = write_marker(p, s, t, &r, log, stats);
    unlink(stats);
    *exit_code = r.code;
    return e;
}

mm_err mm_pipe_record(const mm_pipe *p, const char *pipeline_path) {
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/_run", p->out);
    snprintf(path, sizeof path, "%s/pipeline.ini", dir);
    if (!strcmp(pipeline_path, path)) return MM_OK;
    mm_buf b = {0};
    mm_err e = mm_mkdirs(dir);
    if (e == MM_OK) e = mm_read_file(pipeline_path, &b);
    if (e == MM_OK) e = write_text(path, b.data ? b.data : "", b.len);
    mm_buf_free(&b);
    return e;
}

/* ---- local runs ---- */

typedef struct local_job {
    const mm_pipe *p;
    size_t s;
    const char *exe;
    volatile int *stop;
    uint32_t *todo;
    int *codes;
    char detail[1024]; /* the first failure's detail (the workers' own error slots are lost) */
    mm_err err;
} local_job;

static mm_err local_one(void *ctx, size_t i, int worker) {
    (void)worker;
    local_job *j = ctx;
    if (j->stop && *j->stop) return j->codes[i] = 130, MM_OK;
    mm_err e = mm_pipe_task_run(j->p, j->s, j->todo[i], j->exe, j->stop, &j->codes[i]);
    if (e != MM_OK) {
        j->codes[i] = 1;
        if (__sync_bool_compare_and_swap(&j->err, MM_OK, e))
            snprintf(j->detail, sizeof j->detail, "stage %s task %u: %s", j->p->st[j->s].name,
                     j->todo[i], mm_error_detail());
    }
    return e;
}

mm_err mm_pipe_run_local(const mm_pipe *p, const char *exe, int jobs, int only, volatile int *stop,
                         mm_pipe_run_stats *st) {
    memset(st, 0, sizeof *st);
    st->failed_stage = -1;
    mm_err first = MM_OK;
    for (size_t s = 0; s < p->n && !(stop && *stop); s++) {
        if (only >= 0 && (size_t)only != s) continue;
        uint32_t n = p->st[s].tasks, k = 0;
        local_job j = {p,
                       s,
                       p->exe ? p->exe : exe,
                       stop,
                       calloc(n, sizeof(uint32_t)),
                       calloc(n, sizeof(int)),
                       "",
                       MM_OK};
        if (!j.todo || !j.codes)
            return free(j.todo), free(j.codes), mm_fail(MM_ERR_NOMEM, "out of memory");
        for (uint32_t t = 0; t < n; t++)
            if (mm_pipe_task_done(p, s, t))
                st->skipped++;
            else
                j.todo[k++] = t;
        mm_pool_run(k, jobs, local_one, &j);
        if (j.err != MM_OK && first == MM_OK) first = mm_fail(j.err, "%s", j.detail);
        uint32_t failed = 0;
        for (uint32_t i = 0; i < k; i++)
            failed += j.codes[i] != 0;
        st->ran += k, st->failed += failed;
        free(j.todo), free(j.codes);
        if (failed) {
            st->failed_stage = (int)s;
            break;
        }
    }
    return first;
}

/* ---- Slurm ---- */

/* Run argv, its stdout into *out; *code its exit status; quiet: its stderr to /dev/null. */
static mm_err capture_to(char **argv, mm_buf *out, int *code, bool quiet) {
    int fds[2];
    if (pipe(fds)) return mm_fail(MM_ERR_IO, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        return close(fds[0]), close(fds[1]), mm_fail(MM_ERR_IO, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(fds[1], 1), close(fds[0]), close(fds[1]);
        int null = quiet ? open("/dev/null", O_WRONLY) : -1;
        if (null >= 0) dup2(null, 2), close(null);
        execvp(argv[0], argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    mm_buf_clear(out);
    char buf[4096];
    ssize_t k;
    while ((k = read(fds[0], buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR))
        if (k > 0 && mm_buf_grow_append(out, buf, (size_t)k) != MM_OK) break;
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return mm_buf_putc(out, 0) == MM_OK ? (out->len--, MM_OK) : MM_ERR_NOMEM;
}

/* Run argv, its standard output into `out`, *code its exit status (127: could not be run). */
static mm_err capture(char **argv, mm_buf *out, int *code) {
    return capture_to(argv, out, code, false);
}

static void job_name(const mm_pipe *p, size_t s, char *out, size_t cap) {
    snprintf(out, cap, "mm-%s-%s", p->name, p->st[s].name);
}

/* Jobs of this pipeline still in the queue: pending ones that can never start are cancelled. */
static mm_err queued_jobs(const mm_pipe *p, mm_buf *busy) {
    mm_buf names = {0}, out = {0};
    for (size_t s = 0; s < p->n; s++) {
        char n[512];
        job_name(p, s, n, sizeof n);
        mm_buf_printf(&names, "%s%s", s ? "," : "", n);
    }
    char *argv[] = {"squeue", "--me", "-h", "-o", "%A %T %r", "--name", names.data, NULL};
    int code;
    mm_err e = capture(argv, &out, &code);
    mm_buf_free(&names);
    if (e == MM_OK && code)
        e = mm_fail(MM_ERR_IO, "squeue failed (exit %d): is Slurm reachable?", code);
    mm_buf_clear(busy);
    for (char *save = NULL, *l = e ? NULL : strtok_r(out.data, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        char id[64];
        if (sscanf(l, "%63s", id) != 1) continue;
        if (strstr(l, "DependencyNeverSatisfied")) {
            char *cargv[] = {"scancel", id, NULL};
            mm_buf ign = {0};
            capture(cargv, &ign, &code);
            mm_buf_free(&ign);
        } else {
            mm_buf_printf(busy, "%s%s", busy->len ? " " : "", id);
        }
    }
    mm_buf_free(&out);
    return e;
}

static const char *slurm_opt(const mm_pipe *p, size_t s, int k) {
    return p->st[s].slurm[k] ? p->st[s].slurm[k] : p->slurm[k];
}

/* The sbatch script of stage s, or with s == MANIFEST_JOB of the job that writes the manifest
 * once the stages are over (`run PIPELINE --cost`, the file's top-level [slurm] options). */
#define MANIFEST_JOB ((size_t)-1)
static mm_err write_script(const mm_pipe *p, size_t s, const char *exe, const char *pipeline,
                           const char *path) {
    static const char *const flags[NSLURM] = {"--partition",     "--time",    "--mem",
                                              "--cpus-per-task", "--account", NULL};
    bool man = s == MANIFEST_JOB;
    char cwd[4096], name[512];
    if (!getcwd(cwd, sizeof cwd)) return mm_fail(MM_ERR_IO, "getcwd: %s", strerror(errno));
    if (man)
        snprintf(name, sizeof name, "mm-%s-_manifest", p->name);
    else
        job_name(p, s, name, sizeof name);
    mm_buf b = {0};
    if (man)
        mm_buf_printf(&b, "#!/bin/sh\n# written by mathmine run --slurm: the manifest of %s\n",
                      pipeline);
    else
        mm_buf_printf(&b, "#!/bin/sh\n# written by mathmine run --slurm: stage %s of %s\n",
                      p->st[s].name, pipeline);
    mm_buf_printf(&b, "#SBATCH --job-name=%s\n#SBATCH --chdir=%s\n", name, cwd);
    if (man)
        mm_buf_printf(&b, "#SBATCH --output=%s/_run/manifest-%%j.out\n", p->out);
    else
        mm_buf_printf(&b, "#SBATCH --output=%s/_run/%s/slurm-%%A_%%a.out\n", p->out, p->st[s].name);
    for (int k = 0; k < NSLURM; k++) {
        const char *v = man ? p->slurm[k] : slurm_opt(p, s, k);
        if (v && flags[k])
            mm_buf_printf(&b, "#SBATCH %s=%s\n", flags[k], v);
        else if (v)
            mm_buf_printf(&b, "#SBATCH %s\n", v);
    }
    if (man)
        mm_buf_printf(&b, "exec '%s' run '%s' --cost\n", exe, pipeline);
    else
        mm_buf_printf(&b, "exec '%s' run '%s' --stage '%s' --task \"${SLURM_ARRAY_TASK_ID:-0}\"\n",
                      exe, pipeline, p->st[s].name);
    mm_err e = write_text(path, b.data, b.len);
    mm_buf_free(&b);
    return e;
}

/* After the last submitted stage, whatever its outcome (afterany): a job that writes
 * OUT/_run/manifest.json and prints the cost table into OUT/_run/manifest-JOB.out. */
static mm_err submit_manifest(const mm_pipe *p, const char *exe, const char *pipeline,
                              const char *after, bool dry_run, mm_buf *log) {
    char script[4200], dep[128];
    snprintf(script, sizeof script, "%s/_run/manifest.sbatch", p->out);
    MM_TRY(write_script(p, MANIFEST_JOB, exe, pipeline, script));
    if (dry_run) {
        mm_buf_printf(log, "manifest: would submit after %s: %s\n", after, script);
        return MM_OK;
    }
    snprintf(dep, sizeof dep, "--dependency=afterany:%s", after);
    char *argv[] = {"sbatch", "--parsable", dep, script, NULL};
    mm_buf out = {0};
    int code;
    mm_err e = capture(argv, &out, &code);
    if (e == MM_OK && (code || !out.len))
        e = mm_fail(MM_ERR_IO, "sbatch for the manifest failed (exit %d): %s", code, script);
    char jobid[64] = "";
    if (e == MM_OK) sscanf(out.data, "%63[0-9]", jobid);
    if (e == MM_OK) mm_buf_printf(log, "manifest: job %s, after %s\n", jobid, after);
    mm_buf_free(&out);
    return e;
}

static mm_err unfinished(const mm_pipe *p, size_t s, mm_buf *ids, uint32_t *n) {
    mm_buf_clear(ids);
    *n = 0;
    uint32_t tasks = p->st[s].tasks;
    for (uint32_t t = 0; t < tasks;) {
        if (mm_pipe_task_done(p, s, t)) {
            t++;
            continue;
        }
        uint32_t e = t;
        while (e + 1 < tasks && !mm_pipe_task_done(p, s, e + 1))
            e++;
        MM_TRY(e > t ? mm_buf_printf(ids, "%s%u-%u", ids->len ? "," : "", t, e)
                     : mm_buf_printf(ids, "%s%u", ids->len ? "," : "", t));
        *n += e - t + 1;
        t = e + 1;
    }
    if (!ids->len) MM_TRY(mm_buf_puts(ids, ""));
    return MM_OK;
}

mm_err mm_pipe_submit(const mm_pipe *p, const char *exe, const char *pipeline, bool dry_run,
                      mm_buf *log) {
    mm_buf busy = {0}, ids = {0}, out = {0};
    mm_err e = dry_run ? MM_OK : queued_jobs(p, &busy);
    if (e == MM_OK && busy.len)
        e = mm_fail(
            MM_ERR_ARG,
            "jobs of this pipeline are still queued or running (%s): wait for them or scancel them",
            busy.data);
    char prev[64] = "";
    exe = p->exe ? p->exe : exe;
    for (size_t s = 0; e == MM_OK && s < p->n; s++) {
        uint32_t n;
        if ((e = unfinished(p, s, &ids, &n))) break;
        if (!n) {
            mm_buf_printf(log, "%s: done (%u tasks)\n", p->st[s].name, p->st[s].tasks);
            continue;
        }
        char dir[4096], script[4200], array[256], dep[128];
        snprintf(dir, sizeof dir, "%s/_run/%s", p->out, p->st[s].name);
        snprintf(script, sizeof script, "%s/slurm.sbatch", dir);
        if ((e = mm_mkdirs(dir)) || (e = write_script(p, s, exe, pipeline, script))) break;
        mm_buf arr = {0};
        mm_buf_printf(&arr, "--array=%s", ids.data);
        if (p->array_limit) mm_buf_printf(&arr, "%%%u", p->array_limit);
        snprintf(array, sizeof array, "%s", arr.len < sizeof array ? arr.data : "--array=0");
        snprintf(dep, sizeof dep, "--dependency=afterok:%s", prev);
        char *argv[8];
        int k = 0;
        argv[k++] = "sbatch", argv[k++] = "--parsable";
        /* a long id list goes in full through the argument, not the fixed buffer */
        argv[k++] = arr.data;
        if (*prev) argv[k++] = dep;
        argv[k++] = script, argv[k] = NULL;
        if (dry_run) {
            mm_buf_printf(log, "%s: would submit %u of %u tasks (%s)%s%s: %s\n", p->st[s].name, n,
                          p->st[s].tasks, ids.data, *prev ? " after " : "", prev, script);
            snprintf(prev, sizeof prev, "%s", "DRYRUN");
            mm_buf_free(&arr);
            continue;
        }
        int code;
        e = capture(argv, &out, &code);
        mm_buf_free(&arr);
        if (e == MM_OK && (code || !out.len))
            e = mm_fail(MM_ERR_IO, "sbatch for stage %s failed (exit %d): %s", p->st[s].name, code,
                        script);
        if (e != MM_OK) break;
        char jobid[64] = "";
        sscanf(out.data, "%63[0-9]", jobid);
        mm_buf_printf(log, "%s: job %s, %u of %u tasks (%s)%s%s\n", p->st[s].name, jobid, n,
                      p->st[s].tasks, ids.data, *prev ? ", after " : "", prev);
        snprintf(prev, sizeof prev, "%s", jobid);
    }
    if (e == MM_OK && *prev) e = submit_manifest(p, exe, pipeline, prev, dry_run, log);
    mm_buf_free(&busy), mm_buf_free(&ids), mm_buf_free(&out);
    return e;
}

/* ---- status ---- */

/* The stage's jobs in the Slurm queue, one line per array element: " JOBID STATE" (squeue -r
 * prints each element's own job id, the SLURM_JOB_ID its task records).  False when squeue
 * cannot be run or fails: then nothing is known about the queue. */
static bool slurm_queue(const mm_pipe *p, size_t s, mm_buf *q) {
    char name[512];
    job_name(p, s, name, sizeof name);
    char *argv[] = {"squeue", "--me", "-r", "-h", "-o", " %A %T", "--name", name, NULL};
    int code;
    if (capture_to(argv, q, &code, true) != MM_OK) return mm_error_clear(), false;
    return code == 0;
}

typedef enum { TASK_RUNNING, TASK_PENDING, TASK_GONE } task_state;

/* What became of a task that wrote OUT/_run/STAGE/task-*.started and no marker yet.  Under
 * Slurm (the marker names a job) the queue decides when it could be read: a job still listed
 * runs (or waits again, requeued), one no longer listed was cancelled, timed out or lost its
 * node.  Otherwise a task started on this host runs while its process lives; one started
 * elsewhere cannot be checked and is taken as running. */
static task_state started_task_state(const mm_pipe *p, size_t s, const char *started, mm_buf *queue,
                                     int *queue_known, char *job, size_t cap) {
    mm_json_doc *doc;
    mm_json *root;
    *job = 0;
    if (mm_json_parse_file(started, &doc, &root) != MM_OK) return mm_error_clear(), TASK_RUNNING;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    bool here = !strcmp(mm_json_get_str(root, "host", ""), host);
    pid_t pid = (pid_t)mm_json_get_num(root, "pid", 0);
    snprintf(job, cap, "%s", mm_json_get_str(root, "slurm_job", ""));
    mm_json_doc_free(doc);
    if (*job && *queue_known < 0) *queue_known = slurm_queue(p, s, queue);
    if (*job && *queue_known) {
        char key[96];
        snprintf(key, sizeof key, " %s ", job);
        const char *at = queue->len ? strstr(queue->data, key) : NULL;
        if (!at) return TASK_GONE;
        at += strlen(key);
        return !strncmp(at, "PENDING", 7) || !strncmp(at, "REQUEUE", 7) ? TASK_PENDING
                                                                        : TASK_RUNNING;
    }
    if (!here) return TASK_RUNNING;
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) ? TASK_RUNNING : TASK_GONE;
}

/* The number of documents a command's stats name: the first of these keys, at the top or one
 * object down (dedup nests its stages). */
static double stats_docs(const mm_json *st) {
    static const char *const keys[] = {"docs_in", "docs", "html"};
    if (!st || st->type != MM_JSON_OBJ) return 0;
    for (size_t k = 0; k < 3; k++) {
        const mm_json *v = mm_json_get(st, keys[k]);
        if (v && v->type == MM_JSON_NUM) return v->num;
    }
    for (const mm_json *c = st->child; c; c = c->next)
        if (c->type == MM_JSON_OBJ) {
            double d = stats_docs(c);
            if (d > 0) return d;
        }
    return 0;
}

static void last_error_line(const char *log, char *out, size_t cap) {
    mm_buf b = {0};
    out[0] = 0;
    if (mm_read_file(log, &b) != MM_OK || !b.len) return mm_error_clear(), mm_buf_free(&b);
    mm_buf_putc(&b, 0);
    char *last = NULL, *any = NULL;
    for (char *save = NULL, *l = strtok_r(b.data, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (strstr(l, "error") || strstr(l, "Error")) last = l;
        any = l;
    }
    snprintf(out, cap, "%s", last ? last : any ? any : "");
    mm_buf_free(&b);
}

static void add_finished(mm_pipe_status *st, const mm_json *root) {
    st->inputs += (uint64_t)mm_json_get_num(root, "inputs", 0);
    double bytes = mm_json_get_num(root, "input_bytes", 0);
    if (bytes <= 0) /* URL inputs have no size here: what the command read */
        bytes = mm_json_get_num(mm_json_get(root, "stats"), "bytes_in", 0);
    st->bytes_in += (uint64_t)bytes;
    st->docs += (uint64_t)stats_docs(mm_json_get(root, "stats"));
    st->seconds += mm_json_get_num(root, "seconds", 0);
    st->cpu_s += mm_json_get_num(root, "cpu_s", 0);
    double a = mm_json_get_num(root, "start", 0), b = mm_json_get_num(root, "end", 0);
    if (a > 0 && (!st->first_start || a < st->first_start)) st->first_start = a;
    if (b > st->last_end) st->last_end = b;
}

mm_err mm_pipe_stage_status(const mm_pipe *p, size_t s, mm_pipe_status *st) {
    memset(st, 0, sizeof *st);
    st->tasks = p->st[s].tasks;
    mm_buf queue = {0};
    int queue_known = -1; /* squeue asked once, at the first Slurm task without a marker */
    for (uint32_t t = 0; t < st->tasks; t++) {
        char path[4096];
        task_path(p, s, t, ".json", path, sizeof path);
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse_file(path, &doc, &root) == MM_OK) {
            bool done = !strcmp(mm_json_get_str(root, "status", ""), "done");
            if (done)
                st->done++;
            else
                st->failed++;
            add_finished(st, root);
            if (!done) {
                snprintf(st->failed_log, sizeof st->failed_log, "%s",
                         mm_json_get_str(root, "log", ""));
                last_error_line(st->failed_log, st->failed_line, sizeof st->failed_line);
            }
            mm_json_doc_free(doc);
            continue;
        }
        mm_error_clear();
        task_path(p, s, t, ".started", path, sizeof path);
        struct stat sb;
        if (stat(path, &sb)) {
            st->pending++;
            continue;
        }
        char job[64];
        task_state ts = started_task_state(p, s, path, &queue, &queue_known, job, sizeof job);
        if (ts == TASK_RUNNING)
            st->running++;
        else if (ts == TASK_PENDING)
            st->pending++;
        else {
            st->failed++; /* started, gone, and it left no marker: killed */
            task_path(p, s, t, ".log", st->failed_log, sizeof st->failed_log);
            if (*job)
                snprintf(st->failed_line, sizeof st->failed_line,
                         "killed: Slurm job %s left the queue without a marker (cancelled, out of "
                         "time or its node failed: `sacct -j %s` says which)",
                         job, job);
            else
                snprintf(st->failed_line, sizeof st->failed_line,
                         "killed: the task's process ended without a marker");
        }
    }
    mm_buf_free(&queue);
    return MM_OK;
}
