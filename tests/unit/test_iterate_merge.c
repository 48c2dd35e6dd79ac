/* tests/unit/test_iterate_merge.c — issue 15, "at dump scale": the per-shard count summaries of
 * an iteration (the count map tasks) and their merge (the select reduce).  SHARDS score files
 * (2,000) of ROWS_PER_SHARD rows (50) over HOSTS hosts (20,000; a few hosts hold most pages);
 * each shard counted into its summary; then the summaries merged by a child process (this
 * program again, `--reduce DIR`) under `ulimit -n 256`, with 2,000+ files and the default
 * fan-in (64) or a small one (MM_MERGE_FANIN=7: three levels), the merged domains through the
 * external sort into domains.tsv's order (one chunk, or chunks of 1,000 rows).  The merged domain
 * and prefix counts (of the math domains: every 50th host) and the totals must equal counting every
 * score row directly.  Prints the reduce's time and peak RSS, and the direct count's time for
 * comparison; MM_MERGE_SHARDS, MM_MERGE_ROWS (per shard) and MM_MERGE_HOSTS size the pool for a
 * measurement. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "classifier/classifier.h"
#include "common/io.h"
#include "common/merge.h"
#include "common/strmap.h"
#include "corpus/iterate.h"
#include "corpus/iterate_stats.h"
#include "corpus/iterate_summary.h"
#include "test.h"
#include "test_io.h"

static char tmpdir[512];
static size_t shards = 2000, rows_per_shard = 50, hosts = 20000;

static size_t env_size(const char *name, size_t dflt) {
    const char *s = getenv(name);
    return s && atol(s) > 0 ? (size_t)atol(s) : dflt;
}

static double now_s(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static const char *shard_path(const char *kind, size_t f) {
    static char p[4][1024];
    static int k;
    char *b = p[k++ & 3];
    snprintf(b, 1024, "%s/s%05zu.%s.tsv", tmpdir, f, kind);
    return b;
}

/* Score files as the scorer writes them: id, score (%.7g), url, domain, tokens. */
static void write_pool(void) {
    uint64_t x = 88172645463325252ull;
    for (size_t f = 0; f < shards; f++) {
        FILE *o = fopen(shard_path("scores", f), "w");
        for (size_t i = 0; i < rows_per_shard; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            double u = (double)(x >> 11) / 9007199254740992.0;
            size_t h = (size_t)((double)hosts * u * u * u); /* skewed: few big hosts */
            unsigned d1 = (unsigned)(x >> 40) % 7, d2 = (unsigned)(x >> 50) % 5;
            double score = (double)((x >> 20) % 100000) / 100000.0;
            if (d2 == 4) /* a page at the top of its site: the level-0 prefix */
                fprintf(o, "d%zx-%zx\t%.7g\thttp://h%zu.example.org/p%zu.html\texample.org\t%u\n",
                        f, i, score, h, i, 1 + (unsigned)(x % 2000));
            else
                fprintf(o,
                        "d%zx-%zx\t%.7g\thttp://h%zu.example.org/a%u/b%u/p%zu.html\texample.org\t"
                        "%u\n",
                        f, i, score, h, d1, d2, i, 1 + (unsigned)(x % 2000));
        }
        fclose(o);
    }
}

static const mm_select_cut CUT = {false, 0.5, true, NULL};

/* The reduce keeps the prefixes of the math domains only: here every 50th host. */
static bool is_math(const char *host) {
    return host[0] == 'h' && strtoul(host + 1, NULL, 10) % 50 == 0;
}

/* Every row counted directly (the reduce of before): domains, "prefix \t domain", totals. */
static void count_direct(iter_counts *dom, iter_counts *pre, iter_totals *t) {
    for (size_t f = 0; f < shards; f++) {
        mm_clf_scores *r;
        if (mm_clf_scores_open(shard_path("scores", f), &r) != MM_OK) return;
        mm_clf_score_row row;
        mm_err e = MM_OK;
        while (mm_clf_scores_next(r, &row, &e) > 0) {
            bool got = mm_select_cut_has(&CUT, row.score, row.id);
            char key[512], p[3][1024], pk[1600];
            mm_iter_page_key(row.url, row.domain, MM_ITER_KEY_HOST, key, sizeof key);
            iter_counts_add(dom, key, 1, got, got ? row.tokens : 0);
            mm_iter_url_prefixes(row.url, p[0], p[1], p[2], sizeof p[0]);
            for (int l = 0; l < 3 && is_math(key); l++) {
                if (!p[l][0]) continue;
                snprintf(pk, sizeof pk, "%s\t%s", p[l], key);
                iter_counts_add(pre, pk, 1, got, got ? row.tokens : 0);
            }
            int b = (int)(row.score * 20);
            t->hist[b < 0 ? 0 : b > 19 ? 19 : b]++;
            t->rows++;
        }
        mm_clf_scores_close(r);
    }
}

static int cmp_key(const void *a, const void *b, void *m) {
    return strcmp(mm_strmap_key(m, *(const size_t *)a), mm_strmap_key(m, *(const size_t *)b));
}

/* Counters as "key \t pages \t collected \t tokens" lines in key order. */
static void dump(const iter_counts *c, const char *path) {
    size_t n = mm_strmap_size(c->keys);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_key, c->keys);
    FILE *o = fopen(path, "w");
    for (size_t i = 0; i < n; i++)
        fprintf(o, "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n", mm_strmap_key(c->keys, idx[i]),
                c->pages[idx[i]], c->collected[idx[i]], c->tokens[idx[i]]);
    fclose(o);
    free(idx);
}

/* tmpdir/WHO-domains, WHO-prefixes and WHO-totals (rows and the histogram). */
static void dump_all(const iter_counts *dom, const iter_counts *pre, const iter_totals *t,
                     const char *who) {
    char name[64];
    snprintf(name, sizeof name, "%s-domains", who);
    if (dom) dump(dom, test_path(tmpdir, name));
    snprintf(name, sizeof name, "%s-prefixes", who);
    dump(pre, test_path(tmpdir, name));
    snprintf(name, sizeof name, "%s-totals", who);
    FILE *o = fopen(test_path(tmpdir, name), "w");
    fprintf(o, "%" PRIu64, t->rows);
    for (int b = 0; b < 20; b++)
        fprintf(o, " %" PRIu64, t->hist[b]);
    fclose(o);
}

static mm_err add_math_prefix(void *ctx, const char *key, const uint64_t v[3]) {
    const char *tab = strchr(key, '\t');
    return tab && is_math(tab + 1) ? iter_counts_add(ctx, key, v[0], v[1], v[2]) : MM_OK;
}

/* This process's peak RSS (VmHWM: of this program alone; getrusage's ru_maxrss keeps the
 * forked parent's across exec). */
static long peak_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

/* The child's domain pass, as the driver's: merged domains stream past (written out in key
 * order for the comparison) into the external sort by pages (descending), then domain; the
 * sort's output is checked to come out in that order, every domain once. */
typedef struct domain_pass {
    FILE *out;
    iter_sorter *sort;
    uint64_t domains, sorted, last_pages;
    char last[640];
    bool misordered;
} domain_pass;

static mm_err stream_domain(void *ctx, const char *key, const uint64_t v[3]) {
    domain_pass *d = ctx;
    fprintf(d->out, "%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n", key, v[0], v[1], v[2]);
    d->domains++;
    char k[640];
    snprintf(k, sizeof k, "%016" PRIx64 "\t%s", UINT64_MAX - v[0], key);
    return iter_sort_add(d->sort, k, v);
}

static mm_err check_sorted(void *ctx, const char *key, const uint64_t v[3]) {
    domain_pass *d = ctx;
    if (d->sorted &&
        (v[0] > d->last_pages || (v[0] == d->last_pages && strcmp(key + 17, d->last) <= 0)))
        d->misordered = true;
    d->sorted++, d->last_pages = v[0];
    snprintf(d->last, sizeof d->last, "%s", key + 17);
    return MM_OK;
}

/* The child: the reduce's merge of every shard's summary, as the driver does it (domains
 * streamed through the external sort, the prefix rows of the math domains kept, the others
 * streamed past). */
static int reduce_main(const char *dir) {
    snprintf(tmpdir, sizeof tmpdir, "%s", dir);
    char **dom = calloc(shards, sizeof *dom), **pre = calloc(shards, sizeof *pre);
    for (size_t f = 0; f < shards; f++)
        dom[f] = strdup(shard_path("domains", f)), pre[f] = strdup(shard_path("prefixes", f));
    double t0 = now_s();
    iter_totals sum = {0};
    for (size_t f = 0; f < shards; f++) {
        iter_totals t;
        if (iter_read_totals(dom[f], &t) != MM_OK) return 3;
        sum.rows += t.rows;
        for (int b = 0; b < 20; b++)
            sum.hist[b] += t.hist[b];
    }
    domain_pass d = {.out = fopen(test_path(dir, "merged-domains"), "w")};
    iter_counts p;
    iter_counts_init(&p);
    mm_err e = iter_sort_open(test_path(dir, "m-sort"), &d.sort);
    if (e == MM_OK)
        e = iter_merge_counts((const char *const *)dom, shards, test_path(dir, "m-dom"),
                              stream_domain, &d);
    if (e == MM_OK) e = iter_sort_finish(d.sort, check_sorted, &d);
    fclose(d.out);
    if (e == MM_OK)
        e = iter_merge_counts((const char *const *)pre, shards, test_path(dir, "m-pre"),
                              add_math_prefix, &p);
    double secs = now_s() - t0;
    if (e != MM_OK) {
        printf("reduce: %s\n", mm_error_detail());
        return 2;
    }
    printf("reduce: %zu summaries x 2 merged (fan-in %zu, sort chunk %zu) in %.2f s, peak RSS %ld "
           "KB: %" PRIu64 " domains, %zu math-domain prefix rows, %" PRIu64 " pages\n",
           shards, mm_merge_fanin(), iter_sort_chunk(), secs, peak_rss_kb(), d.domains,
           mm_strmap_size(p.keys), sum.rows);
    dump_all(NULL, &p, &sum, "merged");
    iter_counts_free(&p);
    for (size_t f = 0; f < shards; f++)
        free(dom[f]), free(pre[f]);
    free(dom);
    free(pre);
    return d.misordered || d.sorted != d.domains ? 4 : 0;
}

static bool same_file(const char *a, const char *b) {
    mm_buf x = {0}, y = {0};
    bool same = mm_read_file(a, &x) == MM_OK && mm_read_file(b, &y) == MM_OK && x.len == y.len &&
                (!x.len || !memcmp(x.data, y.data, x.len));
    mm_buf_free(&x);
    mm_buf_free(&y);
    return same;
}

/* Run the reduce in a child with at most 256 open files; its exit status. */
static int run_reduce(const char *self, const char *fanin, const char *chunk) {
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {256, 256};
        setrlimit(RLIMIT_NOFILE, &rl);
        if (fanin) setenv("MM_MERGE_FANIN", fanin, 1);
        if (chunk) setenv("MM_ITER_SORT_ROWS", chunk, 1);
        execl(self, self, "--reduce", tmpdir, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *self_path;

TEST(summaries_merge_like_direct_counting) {
    write_pool();
    iter_counts dom, pre;
    iter_totals ref = {0};
    iter_counts_init(&dom);
    iter_counts_init(&pre);
    double t0 = now_s();
    count_direct(&dom, &pre, &ref);
    double direct = now_s() - t0;
    t0 = now_s();
    for (size_t f = 0; f < shards; f++) {
        iter_count_in in = {shard_path("scores", f), NULL, &CUT, NULL, NULL, MM_ITER_KEY_HOST};
        mm_idset *none;
        mm_idset_create(&none);
        in.positives = none;
        CHECK(iter_count_shard(&in, shard_path("domains", f), shard_path("prefixes", f)) == MM_OK);
        mm_idset_free(none);
    }
    printf("%zu rows in %zu shards over %zu hosts: counted directly in %.2f s (one thread), "
           "summaries written in %.2f s\n",
           ref.rows, shards, hosts, direct, now_s() - t0);
    dump_all(&dom, &pre, &ref, "ref");
    const char *fanins[2] = {NULL, "7"}, *chunks[2] = {NULL, "1000"};
    for (int k = 0; k < 2; k++) {
        CHECK_EQ_INT(run_reduce(self_path, fanins[k], chunks[k]), 0);
        CHECK(same_file(test_path(tmpdir, "ref-domains"), test_path(tmpdir, "merged-domains")));
        CHECK(same_file(test_path(tmpdir, "ref-prefixes"), test_path(tmpdir, "merged-prefixes")));
        CHECK(same_file(test_path(tmpdir, "ref-totals"), test_path(tmpdir, "merged-totals")));
        unlink(test_path(tmpdir, "merged-domains"));
    }
    iter_counts_free(&dom);
    iter_counts_free(&pre);
}

int main(int argc, char **argv) {
    shards = env_size("MM_MERGE_SHARDS", shards);
    rows_per_shard = env_size("MM_MERGE_ROWS", rows_per_shard);
    hosts = env_size("MM_MERGE_HOSTS", hosts);
    if (argc == 3 && !strcmp(argv[1], "--reduce")) return reduce_main(argv[2]);
    self_path = argv[0];
    /* thousands of small synced files: in memory when it can (MM_TMP chooses) */
    struct stat st;
    const char *base = getenv("MM_TMP") || stat("/dev/shm", &st) ? test_tmpdir() : "/dev/shm";
    snprintf(tmpdir, sizeof tmpdir, "%s/mm-iterate-merge-%d", base, (int)getpid());
    mkdir(tmpdir, 0755);
    RUN(summaries_merge_like_direct_counting);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmpdir);
    return test_summary();
}
