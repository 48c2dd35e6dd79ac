/* MinHash: the fast signature kernel equals the plain reference; real articles and copies with
 * a few percent of their words changed share a band, unrelated articles do not; the stages give
 * the same clusters for one shard or several.  Seeded (MM_SEED, else the time; printed). */
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/json.h"
#include "dedup/minhash.h"
#include "articles.h"
#include "test.h"

static uint64_t seed_;

TEST(kernels_equal_reference) {
    mm_minhash_params ps[] = {MM_MINHASH_DEFAULTS, {5, 3, 5, 42}, {1, 1, 1, 7}, {20, 20, 3, 9}};
    mm_rng r;
    mm_rng_seed(&r, seed_);
    uint64_t sh[700], a[MM_MINHASH_MAX_PERMS], b[MM_MINHASH_MAX_PERMS], c[MM_MINHASH_MAX_PERMS];
    for (size_t p = 0; p < sizeof ps / sizeof *ps; p++) {
        mm_minhash *m;
        CHECK_EQ_INT(mm_minhash_create(&ps[p], &m), MM_OK);
        int k = ps[p].bands * ps[p].rows;
        for (int t = 0; t < 60; t++) {
            size_t n = (size_t)(mm_rng_next(&r) % 700);
            for (size_t i = 0; i < n; i++)
                sh[i] = mm_rng_next(&r) >> (t % 3 ? 0 : 40);
            mm_minhash_sig_scalar(m, sh, n, a);
            mm_minhash_sig_unrolled(m, sh, n, b);
            mm_minhash_sig_fast(m, sh, n, c);
            CHECK(!memcmp(a, b, (size_t)k * 8));
            CHECK(!memcmp(a, c, (size_t)k * 8));
        }
        mm_minhash_free(m);
    }
    printf("  fast kernel: %s\n", mm_minhash_kernel());
}

/* Real documents: the benchmark's article texts of 500 bytes or more. */
static test_articles load_articles(void) {
    return test_articles_load(500);
}

/* A copy of s with about `pct` percent of its space-separated words replaced. */
static char *mutate(const char *s, double pct, mm_rng *r) {
    mm_buf b = {0};
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (mm_rng_uniform(r) * 100 < pct)
            mm_buf_printf(&b, "w%llu", (unsigned long long)(mm_rng_next(r) % 100000));
        else
            mm_buf_append(&b, p, n);
        if (!e) break;
        mm_buf_putc(&b, ' ');
        p = e + 1;
    }
    return b.data;
}

static bool share_band(const uint64_t *x, const uint64_t *y, int bands) {
    for (int b = 0; b < bands; b++)
        if (x[b] == y[b]) return true;
    return false;
}

TEST(near_duplicates_share_a_band) {
    test_articles a = load_articles();
    CHECK(a.n > 100);
    mm_minhash_params p = MM_MINHASH_DEFAULTS;
    mm_minhash *m;
    mm_minhash_create(&p, &m);
    uint64_t(*keys)[14] = calloc(a.n, sizeof *keys);
    uint64_t sig[112], ck[14];
    mm_rng r;
    mm_rng_seed(&r, seed_);
    size_t found1 = 0, found2 = 0, found3 = 0;
    for (size_t i = 0; i < a.n; i++) {
        mm_minhash_signature(m, a.text[i], strlen(a.text[i]), sig);
        mm_minhash_band_keys(m, sig, keys[i]);
        char *c1 = mutate(a.text[i], 1, &r), *c2 = mutate(a.text[i], 2, &r),
             *c3 = mutate(a.text[i], 3, &r);
        mm_minhash_signature(m, c2, strlen(c2), sig);
        mm_minhash_band_keys(m, sig, ck);
        found2 += share_band(keys[i], ck, 14);
        free(c2);
        mm_minhash_signature(m, c1, strlen(c1), sig);
        mm_minhash_band_keys(m, sig, ck);
        found1 += share_band(keys[i], ck, 14);
        mm_minhash_signature(m, c3, strlen(c3), sig);
        mm_minhash_band_keys(m, sig, ck);
        found3 += share_band(keys[i], ck, 14);
        free(c1);
        free(c3);
    }
    size_t false_pairs = 0;
    for (size_t i = 0; i < a.n; i++)
        for (size_t j = i + 1; j < a.n; j++)
            false_pairs += share_band(keys[i], keys[j], 14);
    printf("  %zu articles: copies with 1%%/2%%/3%% of words changed found %zu/%zu/%zu; unrelated "
           "pairs sharing a band: %zu\n",
           a.n, found1, found2, found3, false_pairs);
    /* Jaccard of 5-shingles after changing p% of words ~ (1-5p)/(1+5p): 0.9, 0.82, 0.74; the
     * 14x8 LSH curve 1-(1-J^8)^14 then gives ~99.9%, ~95%, ~73% for long texts; short
     * articles have few shingles and vary more (173-178 of 178 at 1% over random seeds), so
     * the floors sit below the curve by a margin a broken LSH could not meet */
    CHECK(found1 * 100 >= a.n * 95);
    CHECK(found2 * 100 >= a.n * 85);
    CHECK(found3 * 100 >= a.n * 50);
    CHECK_EQ_INT(false_pairs, 0);
    free(keys);
    mm_minhash_free(m);
    test_articles_free(&a);
}

/* ---- the stages, one shard vs three ---- */

static void write_shards(const test_articles *a, int nshards, const char *dir, mm_rng *r) {
    mm_buf line = {0};
    FILE *f[3];
    for (int s = 0; s < nshards; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/shard-%d.jsonl", dir, s);
        f[s] = fopen(path, "w");
    }
    /* originals first, then copies, split in order across the shards */
    size_t total = a->n * 2, per = (total + (size_t)nshards - 1) / (size_t)nshards;
    for (size_t k = 0; k < total; k++) {
        size_t i = k % a->n;
        char *t = k < a->n ? strdup(a->text[i]) : mutate(a->text[i], 1, r);
        mm_buf_clear(&line);
        mm_buf_printf(&line, "{\"id\":\"%s%s\",\"text\":", a->id[i], k < a->n ? "" : "-copy");
        mm_json_str(&line, t, strlen(t));
        mm_buf_puts(&line, "}\n");
        fputs(line.data, f[k / per]);
        free(t);
    }
    for (int s = 0; s < nshards; s++)
        fclose(f[s]);
    mm_buf_free(&line);
}

/* Run the four stages; return the removed ids, sorted, joined by '\n'. */
static char *run_stages(const char *dir, int nshards) {
    mm_minhash_params p = MM_MINHASH_DEFAULTS;
    char sig[3][4096], rm[3][4096], shard[3][4096], out[4096], tsv[3][4096], pairs[14][4096],
        stems[3][32];
    const char *sigp[3], *rmp[3], *pp[14], *st[3];
    mm_dedup_stats ds;
    for (int s = 0; s < nshards; s++) {
        snprintf(shard[s], 4096, "%s/shard-%d.jsonl", dir, s);
        snprintf(sig[s], 4096, "%s/shard-%d.sig", dir, s);
        snprintf(rm[s], 4096, "%s/shard-%d.rm", dir, s);
        snprintf(tsv[s], 4096, "%s/shard-%d.tsv", dir, s);
        snprintf(stems[s], 32, "shard-%d", s);
        sigp[s] = sig[s], rmp[s] = rm[s], st[s] = stems[s];
        CHECK_EQ_INT(mm_minhash_signatures(&p, shard[s], NULL, sig[s], &ds), MM_OK);
    }
    for (int b = 0; b < 14; b++) {
        uint64_t np;
        snprintf(pairs[b], 4096, "%s/band-%02d.pairs", dir, b);
        pp[b] = pairs[b];
        CHECK_EQ_INT(mm_minhash_buckets(sigp, (size_t)nshards, b, pairs[b], &np), MM_OK);
    }
    mm_minhash_cluster_stats cs;
    CHECK_EQ_INT(mm_minhash_clusters(sigp, (size_t)nshards, pp, 14, rmp, &cs), MM_OK);
    mm_buf ids = {0};
    for (int s = 0; s < nshards; s++) {
        snprintf(out, sizeof out, "%s/kept-%d.jsonl", dir, s);
        CHECK_EQ_INT(
            mm_minhash_filter(shard[s], NULL, rm[s], st, (size_t)nshards, out, tsv[s], NULL, &ds),
            MM_OK);
        mm_buf t = {0};
        mm_read_file(tsv[s], &t);
        for (char *l = t.len ? t.data : NULL; l && *l;) {
            char *e = strchr(l, '\n');
            mm_buf_append(&ids, l, strcspn(l, "\t"));
            mm_buf_putc(&ids, '\n');
            l = e ? e + 1 : l + strlen(l);
        }
        mm_buf_free(&t);
    }
    return ids.data ? ids.data : strdup("");
}

static int cmp_line(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted_lines(char *s) {
    char *lines[4096];
    size_t n = 0;
    for (char *t = strtok(s, "\n"); t && n < 4096; t = strtok(NULL, "\n"))
        lines[n++] = t;
    qsort(lines, n, sizeof *lines, cmp_line);
    mm_buf b = {0};
    for (size_t i = 0; i < n; i++)
        mm_buf_printf(&b, "%s\n", lines[i]);
    return b.data ? b.data : strdup("");
}

TEST(stages_one_shard_or_three) {
    test_articles a = load_articles();
    char dir1[4096], dir3[4096];
    snprintf(dir1, sizeof dir1, "%s/mm-minhash-%d-1", test_tmpdir(), (int)getpid());
    snprintf(dir3, sizeof dir3, "%s/mm-minhash-%d-3", test_tmpdir(), (int)getpid());
    mm_mkdirs(dir1);
    mm_mkdirs(dir3);
    mm_rng r1, r3;
    mm_rng_seed(&r1, seed_);
    mm_rng_seed(&r3, seed_);
    write_shards(&a, 1, dir1, &r1);
    write_shards(&a, 3, dir3, &r3);
    char *x = run_stages(dir1, 1), *y = run_stages(dir3, 3);
    char *sx = sorted_lines(x), *sy = sorted_lines(y);
    CHECK_STR(sx, sy);
    size_t removed = 0, copies = 0;
    for (char *p = sx; *p; p++)
        removed += *p == '\n';
    for (char *p = strstr(sx, "-copy"); p; p = strstr(p + 1, "-copy"))
        copies++;
    printf("  %zu articles + %zu copies (1%% of words changed): %zu removed, %zu of them copies\n",
           a.n, a.n, removed, copies);
    CHECK_EQ_INT(copies, removed);   /* only copies go, never an original */
    CHECK(copies * 100 >= a.n * 97); /* LSH at Jaccard ~0.9: about 1 in 1000 missed */
    free(x), free(y), free(sx), free(sy);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir1, dir3);
    CHECK_EQ_INT(system(cmd), 0);
    test_articles_free(&a);
}

int main(void) {
    test_prog_ = "test_dedup_minhash";
    seed_ = test_seed();
    RUN(kernels_equal_reference);
    RUN(near_duplicates_share_a_band);
    RUN(stages_one_shard_or_three);
    return test_summary();
}
