/* tests/unit/test_iterate.c — the parts of `iterate` that decide things: page keys (host or
 * registered domain), URL prefixes, the domain rule, the stop rules (the summary rules and,
 * through real runs, "no negatives left" and "the classifier separates nothing"), the
 * annotation file round trip, unique score-file names, the bounded-memory selection cut
 * against the exact sort, the score-file and training-option checks of issue 19, and (issue 15)
 * the lift's base without the positives and negatives that skip math domains. */
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classifier/classifier.h"
#include "common/doc.h"
#include "common/hash.h"
#include "common/strmap.h"
#include "corpus/iterate.h"
#include "corpus/iterate_report.h"
#include "corpus/iterate_stats.h"
#include "test.h"
#include "test_io.h"

static char tmpdir[512];

static const char *tmp(const char *name) {
    return test_path(tmpdir, name);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

TEST(page_keys_host_and_domain) {
    char k[256];
    mm_iter_page_key("https://math.stackexchange.com/questions/1", "stackexchange.com",
                     MM_ITER_KEY_HOST, k, sizeof k);
    CHECK_STR(k, "math.stackexchange.com");
    mm_iter_page_key("https://math.stackexchange.com/questions/1", "stackexchange.com",
                     MM_ITER_KEY_DOMAIN, k, sizeof k);
    CHECK_STR(k, "stackexchange.com");
    /* no domain field: the registered domain from the public suffix list */
    mm_iter_page_key("http://www.math.ucla.edu/~tao/", "", MM_ITER_KEY_DOMAIN, k, sizeof k);
    CHECK_STR(k, "ucla.edu");
    mm_iter_page_key("http://www.math.ucla.edu/~tao/", "", MM_ITER_KEY_HOST, k, sizeof k);
    CHECK_STR(k, "www.math.ucla.edu");
    mm_iter_page_key("https://Terrytao.WordPress.com/2020/", "wordpress.com", MM_ITER_KEY_HOST, k,
                     sizeof k);
    CHECK_STR(k, "terrytao.wordpress.com");
    mm_iter_opts o;
    mm_iter_opts_default(&o);
    CHECK_EQ_INT(o.key, MM_ITER_KEY_HOST); /* the paper's base URL is the default */
}

TEST(url_prefixes) {
    char p0[256], p1[256], p2[256];
    mm_iter_url_prefixes("https://mathoverflow.net/questions/123/why", p0, p1, p2, sizeof p0);
    CHECK_STR(p0, "");
    CHECK_STR(p1, "mathoverflow.net/questions/");
    CHECK_STR(p2, "mathoverflow.net/questions/123/");
    mm_iter_url_prefixes("http://mpmath.org/index.html", p0, p1, p2, sizeof p0);
    CHECK_STR(p0, "mpmath.org/");
    CHECK_STR(p1, "");
    CHECK_STR(p2, "");
    mm_iter_url_prefixes("http://a.org/docs/intro.html?x=/y/z#/q/", p0, p1, p2, sizeof p0);
    CHECK_STR(p1, "a.org/docs/");
    CHECK_STR(p2, "");
    mm_iter_url_prefixes("http://a.org", p0, p1, p2, sizeof p0);
    CHECK_STR(p0, "a.org/");
    mm_iter_url_prefixes("not a url", p0, p1, p2, sizeof p0);
    CHECK_STR(p0, "");
}

TEST(domain_rule) {
    /* more than 10% collected, at least min_pages pages */
    CHECK(mm_iter_domain_is_math(100, 11, 0.10, 5));
    CHECK(!mm_iter_domain_is_math(100, 10, 0.10, 5)); /* exactly 10% is not over */
    CHECK(!mm_iter_domain_is_math(4, 4, 0.10, 5));    /* too few pages */
    CHECK(mm_iter_domain_is_math(5, 1, 0.10, 5));
    CHECK(!mm_iter_domain_is_math(0, 0, 0.10, 0));
}

TEST(domain_cut_lift) {
    /* a small collection (the paper: 35.5M of 40B pages): the 10% rule alone */
    CHECK(fabs(mm_iter_domain_cut(0.10, 1.5, 1, 1000) - 0.10) < 1e-12);
    /* a broad one (47% of the pool, the demo's weak classifier): 1.5 x 0.47 */
    CHECK(fabs(mm_iter_domain_cut(0.10, 1.5, 1502, 3221) - 1.5 * 1502 / 3221.0) < 1e-12);
    CHECK(!mm_iter_domain_is_math(487, 201, mm_iter_domain_cut(0.10, 1.5, 1502, 3221), 5));
    CHECK(mm_iter_domain_is_math(300, 235, mm_iter_domain_cut(0.10, 1.5, 1502, 3221), 5));
    /* lift 0 and an empty pool: the threshold */
    CHECK(fabs(mm_iter_domain_cut(0.10, 0, 1502, 3221) - 0.10) < 1e-12);
    CHECK(fabs(mm_iter_domain_cut(0.10, 1.5, 0, 0) - 0.10) < 1e-12);
}

TEST(stop_rules) {
    mm_iter_opts o;
    mm_iter_opts_default(&o);
    mm_iter_summary s = {.iter = 1, .new_share = 1, .new_positives = 5};
    CHECK_EQ_INT(mm_iter_stop_after(&o, &s), -1);
    s.new_positives = 0; /* the next iteration would train on the same positives */
    CHECK_EQ_INT(mm_iter_stop_after(&o, &s), MM_ITER_DONE_NO_NEW);
    s = (mm_iter_summary){.iter = 2, .new_share = 0.019, .new_positives = 5};
    CHECK_EQ_INT(mm_iter_stop_after(&o, &s), MM_ITER_DONE_CONVERGED);
    s.new_share = 0.02;
    CHECK_EQ_INT(mm_iter_stop_after(&o, &s), -1);
    s.iter = o.max_iter;
    CHECK_EQ_INT(mm_iter_stop_after(&o, &s), MM_ITER_DONE_MAX);
    s = (mm_iter_summary){.iter = 1, .new_share = 0.0, .new_positives = 3}; /* rule needs two */
    CHECK_EQ_INT(mm_iter_stop_after(&o, &s), -1);
}

/* A pool shard of n documents "<host>/<i>" whose text is `text` (or text + i when vary). */
static void write_shard(const char *path, const char *host, int n, const char *text, bool vary) {
    FILE *f = fopen(path, "w");
    for (int i = 0; i < n; i++)
        fprintf(f,
                "{\"id\":\"%s-%d\",\"text\":\"%s%s%d\",\"url\":\"http://%s/p/%d.html\","
                "\"host\":\"%s\",\"domain\":\"%s\"}\n",
                host, i, text, vary ? " word" : "", vary ? i : 0, host, i, host, host);
    fclose(f);
}

static void small_opts(mm_iter_opts *o, const char *const *pos, const char *const *pool,
                       size_t npool, const char *work) {
    mm_iter_opts_default(o);
    o->positives = pos, o->npositives = 1, o->pool = pool, o->npool = npool;
    o->work_dir = work, o->seed = 1, o->threads = 1;
    o->train.dim = 8, o->train.bucket = 1000, o->train.min_count = 1, o->train.word_ngrams = 1;
    o->min_updates = 200;
}

TEST(stop_when_no_negatives_left) {
    /* the pool is the seed: every page is a positive */
    write_shard(tmp("seed.jsonl"), "m.org", 30, "integral of x squared dx", true);
    const char *pos[] = {tmp("seed.jsonl")}, *pool[] = {tmp("seed.jsonl")};
    mm_iter_opts o;
    small_opts(&o, pos, pool, 1, tmp("w-noneg"));
    mm_iter_result r;
    CHECK_EQ_INT(mm_iter_run(&o, NULL, NULL, &r), MM_OK);
    CHECK_EQ_INT(r.done, MM_ITER_DONE_NO_NEGATIVES);
    CHECK_EQ_INT(r.iterations, 0);
}

TEST(stop_when_classifier_separates_nothing) {
    /* positives and pool pages say exactly the same thing: no classifier can tell them apart */
    write_shard(tmp("same-seed.jsonl"), "a.org", 40, "the same words in every page", false);
    write_shard(tmp("same-pool.jsonl"), "b.org", 80, "the same words in every page", false);
    const char *pos[] = {tmp("same-seed.jsonl")}, *pool[] = {tmp("same-pool.jsonl")};
    mm_iter_opts o;
    small_opts(&o, pos, pool, 1, tmp("w-nosig"));
    o.valid_frac = 0.25;
    mm_iter_result r;
    CHECK_EQ_INT(mm_iter_run(&o, NULL, NULL, &r), MM_OK);
    CHECK_EQ_INT(r.done, MM_ITER_DONE_NO_SIGNAL);
    CHECK_EQ_INT(r.iterations, 0);
    CHECK(r.last.valid_auc < 0.6);
    CHECK_EQ_INT(r.last.valid_pos, 10);
    struct stat st;
    CHECK(stat(tmp("w-nosig/iter-1"), &st) != 0); /* nothing committed, nothing collected */
    CHECK(stat(tmp("w-nosig/iter-1.tmp/collected.ids"), &st) != 0);
}

TEST(annotation_round_trip) {
    iter_counts c;
    CHECK_EQ_INT(iter_counts_init(&c), MM_OK);
    iter_counts_add(&c, "m.org/a/", 10, 9, 0);
    iter_counts_add(&c, "m.org/b/", 8, 1, 0);
    iter_counts_add(&c, "m.org/c/", 6, 3, 0);
    bool chosen[3] = {true, false, true};
    const char *reason[3] = {"r", "r", "r"};
    CHECK_EQ_INT(iter_write_prefixes(tmp("cand.tsv"), &c, chosen, reason, true), MM_OK);
    /* a person marks a/ deny, b/ allow and leaves c/ open */
    FILE *in = fopen(tmp("cand.tsv"), "r"), *out = fopen(tmp("marked.tsv"), "w");
    char line[1024];
    int rows = 0;
    while (in && fgets(line, sizeof line, in)) {
        char *q = strstr(line, "\t?\t");
        const char *mark = !q                              ? NULL
                           : !strncmp(line, "m.org/a/", 8) ? "deny"
                           : !strncmp(line, "m.org/b/", 8) ? "allow"
                                                           : "?";
        rows += q != NULL;
        if (q)
            fprintf(out, "%.*s\t%s\t%s", (int)(q - line), line, mark, q + 3);
        else
            fputs(line, out);
    }
    if (in) fclose(in);
    fclose(out);
    CHECK_EQ_INT(rows, 3);
    mm_strmap *allow = mm_strmap_create(), *deny = mm_strmap_create();
    CHECK_EQ_INT(iter_load_annotations(tmp("marked.tsv"), allow, deny), MM_OK);
    CHECK(mm_strmap_find(allow, "m.org/b/", 8) >= 0);
    CHECK(mm_strmap_find(deny, "m.org/a/", 8) >= 0);
    CHECK(mm_strmap_find(allow, "m.org/c/", 8) < 0 && mm_strmap_find(deny, "m.org/c/", 8) < 0);
    /* a second file cannot overturn a decision already made (the iteration's own file wins) */
    write_text(tmp("global.tsv"), "prefix\tdecision\nm.org/b/\tdeny\nm.org/c/\tallow\n");
    CHECK_EQ_INT(iter_load_annotations(tmp("global.tsv"), allow, deny), MM_OK);
    CHECK(mm_strmap_find(deny, "m.org/b/", 8) < 0);
    CHECK(mm_strmap_find(allow, "m.org/c/", 8) >= 0);
    /* a typo is an error naming the line, not a silent "follow the rule" */
    write_text(tmp("typo.tsv"), "prefix\tdecision\nm.org/d/\talow\n");
    CHECK_EQ_INT(iter_load_annotations(tmp("typo.tsv"), allow, deny), MM_ERR_FORMAT);
    CHECK(strstr(mm_error_detail(), "line 2") != NULL);
    write_text(tmp("nohdr.tsv"), "m.org/a/\tallow\n");
    CHECK_EQ_INT(iter_load_annotations(tmp("nohdr.tsv"), allow, deny), MM_ERR_FORMAT);
    mm_strmap_free(allow);
    mm_strmap_free(deny);
    iter_counts_free(&c);
}

TEST(unique_score_file_names) {
    const char *paths[] = {"a/x.jsonl.zst", "b/x.jsonl.zst", "c/y.jsonl", "c/y.jsonl.zst",
                           "z.jsonl.zst"};
    char **st;
    CHECK_EQ_INT(mm_clf_unique_stems(paths, 5, &st), MM_OK);
    CHECK_STR(st[4], "z"); /* a stem of its own keeps its plain name */
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            CHECK(strcmp(st[i], st[j]) != 0);
    CHECK(!strncmp(st[0], "x.", 2) && strlen(st[0]) == 10);
    /* a task of a split list names its shard as the whole list does */
    char **again;
    CHECK_EQ_INT(mm_clf_unique_stems(paths, 5, &again), MM_OK);
    for (int i = 0; i < 5; i++)
        CHECK_STR(again[i], st[i]);
    mm_clf_free_stems(again, 5);
    mm_clf_free_stems(st, 5);
    const char *twice[] = {"a/x.jsonl", "a/x.jsonl"};
    CHECK_EQ_INT(mm_clf_unique_stems(twice, 2, &st), MM_ERR_ARG);
}

/* Score files of `files` x `rows` random rows (scores on a coarse grid, so ties are many). */
static void write_scores(int files, int rows, uint64_t seed, char paths[][1024]) {
    mm_rng r;
    mm_rng_seed(&r, seed);
    for (int f = 0; f < files; f++) {
        snprintf(paths[f], 1024, "%s/s%d.scores.tsv", tmpdir, f);
        FILE *o = fopen(paths[f], "w");
        for (int i = 0; i < rows; i++)
            fprintf(o, "id%llx\t%.7g\thttp://h/%d\th\t%llu\n", (unsigned long long)mm_rng_next(&r),
                    (double)(mm_rng_next(&r) % 50) / 49.0, i,
                    (unsigned long long)(mm_rng_next(&r) % 300));
        fclose(o);
    }
}

extern uint64_t mm_select_small_bin_; /* classifier/select.c: rows ranked in memory */

static bool same_cut(const mm_select_cut *a, const mm_select_cut *b) {
    if (a->none || b->none) return a->none == b->none;
    return a->score == b->score && a->all_ties == b->all_ties &&
           (a->all_ties || !strcmp(a->id, b->id));
}

TEST(cut_equals_exact_sort) {
    static char paths[7][1024];
    write_scores(7, 900, test_seed(), paths);
    const char *p[7];
    for (int i = 0; i < 7; i++)
        p[i] = paths[i];
    struct {
        mm_select_mode m;
        double v;
    } cases[] = {{MM_SELECT_TOP_FRAC, 0.001}, {MM_SELECT_TOP_FRAC, 0.3},
                 {MM_SELECT_TOP_FRAC, 1.0},   {MM_SELECT_TOP_TOKENS, 1},
                 {MM_SELECT_TOP_TOKENS, 1e5}, {MM_SELECT_TOP_TOKENS, 1e9}};
    for (size_t i = 0; i < 2 * sizeof cases / sizeof *cases; i++) {
        /* the second round ranks at most 5 rows in memory: every refinement level runs */
        mm_select_small_bin_ = i < sizeof cases / sizeof *cases ? 1u << 20 : 5;
        size_t c = i % (sizeof cases / sizeof *cases);
        mm_select_cut a, b;
        CHECK_EQ_INT(mm_select_find_cut(p, 7, cases[c].m, cases[c].v, &a, NULL), MM_OK);
        CHECK_EQ_INT(mm_select_find_cut_exact(p, 7, cases[c].m, cases[c].v, &b), MM_OK);
        if (!same_cut(&a, &b))
            printf("  case %zu: %.9g/%s vs %.9g/%s\n", i, a.score, a.id ? a.id : "-", b.score,
                   b.id ? b.id : "-");
        CHECK(same_cut(&a, &b));
        mm_select_cut_free(&a);
        mm_select_cut_free(&b);
    }
    mm_select_small_bin_ = 1u << 20;
    mm_select_stats st;
    CHECK_EQ_INT(mm_select_ids(p, 7, MM_SELECT_TOP_FRAC, 0.3, tmp("top.ids"), &st), MM_OK);
    CHECK_EQ_INT(st.selected, 1890); /* ceil(0.3 x 6300), ties at the cut split by id */
}

TEST(score_rows_reject_bad_token_counts) {
    write_text(tmp("bad.scores.tsv"), "a\t0.9\thttp://x/1\tx\t-4\n"
                                      "b\t0.8\thttp://x/2\tx\t12\n"
                                      "c\t0.7\thttp://x/3\tx\t1e3\n");
    mm_clf_scores *r;
    CHECK_EQ_INT(mm_clf_scores_open(tmp("bad.scores.tsv"), &r), MM_OK);
    mm_clf_score_row row;
    mm_err e;
    CHECK_EQ_INT(mm_clf_scores_next(r, &row, &e), -1);
    CHECK(strstr(mm_error_detail(), "line 1") != NULL);
    CHECK_EQ_INT(mm_clf_scores_next(r, &row, &e), 1);
    CHECK_EQ_INT(row.tokens, 12);
    CHECK_EQ_INT(mm_clf_scores_next(r, &row, &e), -1);
    mm_clf_scores_close(r);
    const char *p[] = {tmp("bad.scores.tsv")};
    mm_select_stats st;
    CHECK_EQ_INT(mm_select_ids(p, 1, MM_SELECT_TOP_TOKENS, 10, tmp("t.ids"), &st), MM_OK);
    CHECK_EQ_INT(st.tokens_total, 12); /* never 2^64 - 4 */
    CHECK_EQ_INT(st.bad_lines, 2);
}

/* Pages of `host` with ids "<tag>-i" under http://<host>/p/<tag>-i.html, appended to `path`. */
static void append_pages(const char *path, const char *host, const char *tag, int n,
                         const char *text) {
    FILE *f = fopen(path, "a");
    for (int i = 0; i < n; i++)
        fprintf(f,
                "{\"id\":\"%s-%d\",\"text\":\"%s %s%d\",\"url\":\"http://%s/p/%s-%d.html\","
                "\"host\":\"%s\",\"domain\":\"%s\"}\n",
                tag, i, text, tag, i, host, tag, i, host, host);
    fclose(f);
}

/* The lift compares a host with the pool's pages that are not positives; with
 * neg_skip_math, iteration 2 draws no negative from a host iteration 1 declared math. */
TEST(lift_base_and_math_negatives) {
    const char *M = "integral derivative theorem lemma proof matrix eigenvalue";
    const char *N = "recipe garden football weather travel music holiday";
    append_pages(tmp("lm-seed.jsonl"), "s.org", "s", 30, M);
    append_pages(tmp("lm-pool.jsonl"), "s.org", "s", 30, M); /* the seed, in the pool too */
    append_pages(tmp("lm-pool.jsonl"), "m.org", "m", 30, M);
    append_pages(tmp("lm-pool.jsonl"), "m.org", "x", 10, N); /* m.org's pages not collected */
    append_pages(tmp("lm-pool.jsonl"), "n.org", "n", 150, N);
    const char *pos[] = {tmp("lm-seed.jsonl")}, *pool[] = {tmp("lm-pool.jsonl")};
    mm_iter_opts o;
    small_opts(&o, pos, pool, 1, tmp("w-lm"));
    o.max_iter = 2, o.neg_skip_math = true, o.min_updates = 2000;
    mm_iter_result r;
    CHECK_EQ_INT(mm_iter_run(&o, NULL, NULL, &r), MM_OK);
    CHECK_EQ_INT(r.iterations, 2);
    mm_iter_summary s1;
    CHECK_EQ_INT(iter_read_summary(tmp("w-lm/iter-1"), &s1), MM_OK);
    CHECK_EQ_INT(s1.pool_positives, 30);
    CHECK_EQ_INT(s1.collected_positives, 30);
    /* the seed's 30 pool pages are left out of the share the lift multiplies */
    double base = (double)(s1.collected - 30) / (220 - 30);
    CHECK(fabs(s1.domain_cut - fmax(0.10, 1.5 * base)) < 1e-9);
    CHECK(s1.domain_cut < 1.5 * (double)s1.collected / 220);
    mm_doc_reader *rd;
    CHECK_EQ_INT(mm_doc_reader_open(tmp("w-lm/iter-2/negatives.jsonl.zst"), &rd), MM_OK);
    mm_doc d;
    mm_err e = MM_OK;
    int negs = 0, from_math = 0;
    while (mm_doc_reader_next(rd, &d, &e) > 0)
        negs++, from_math += !strcmp(d.host, "m.org") || !strcmp(d.host, "s.org");
    mm_doc_reader_close(rd);
    CHECK(negs > 0);
    CHECK_EQ_INT(from_math, 0);
}

TEST(bucket_zero_is_refused_not_a_crash) {
    mm_clf_train_opts o;
    mm_clf_train_opts_default(&o);
    o.bucket = 0;
    CHECK_EQ_INT(mm_clf_train_opts_check(&o), MM_ERR_ARG); /* word n-grams 3 need buckets */
    o.word_ngrams = 1;
    CHECK_EQ_INT(mm_clf_train_opts_check(&o), MM_OK);
    o.maxn = 5;
    CHECK_EQ_INT(mm_clf_train_opts_check(&o), MM_ERR_ARG);
    write_shard(tmp("p.jsonl"), "p.org", 5, "alpha beta", true);
    write_shard(tmp("n.jsonl"), "n.org", 5, "gamma delta", true);
    const char *pos[] = {tmp("p.jsonl")}, *neg[] = {tmp("n.jsonl")};
    mm_clf_train_opts_default(&o);
    o.bucket = 0;
    CHECK_EQ_INT(mm_clf_train_files(pos, 1, neg, 1, &o, tmp("b0.bin"), NULL), MM_ERR_ARG);
    struct stat st;
    CHECK(stat(tmp("b0.bin"), &st) != 0);
}

/* iterate's small_lr: the lr is raised only when min_updates raised the epochs. */
TEST(small_lr_only_when_epochs_raised) {
    write_shard(tmp("lr-p.jsonl"), "p.org", 20, "alpha beta", true);
    write_shard(tmp("lr-n.jsonl"), "n.org", 20, "gamma delta", true);
    const char *pos[] = {tmp("lr-p.jsonl")}, *neg[] = {tmp("lr-n.jsonl")};
    mm_iter_opts io;
    mm_iter_opts_default(&io);
    mm_clf_train_opts o = io.train;
    CHECK(fabs(o.small_lr - 0.5) < 1e-12 && fabs(o.lr - 0.1) < 1e-12);
    o.dim = 8, o.bucket = 1000, o.min_count = 1, o.word_ngrams = 1;
    mm_clf_train_report rep;
    CHECK_EQ_INT(mm_clf_train_files(pos, 1, neg, 1, &o, tmp("lr0.bin"), &rep), MM_OK);
    CHECK_EQ_INT(rep.epochs, 3); /* no min_updates: the paper's epochs and lr */
    CHECK(fabs(rep.lr - 0.1) < 1e-12);
    o.min_updates = 400; /* 40 documents: 10 epochs */
    CHECK_EQ_INT(mm_clf_train_files(pos, 1, neg, 1, &o, tmp("lr1.bin"), &rep), MM_OK);
    CHECK_EQ_INT(rep.epochs, 10);
    CHECK(fabs(rep.lr - 0.5) < 1e-12);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "%s/mm-iterate-%d", test_tmpdir(), (int)getpid());
    mkdir(tmpdir, 0755);
    RUN(page_keys_host_and_domain);
    RUN(url_prefixes);
    RUN(domain_rule);
    RUN(domain_cut_lift);
    RUN(stop_rules);
    RUN(stop_when_no_negatives_left);
    RUN(stop_when_classifier_separates_nothing);
    RUN(annotation_round_trip);
    RUN(unique_score_file_names);
    RUN(cut_equals_exact_sort);
    RUN(score_rows_reject_bad_token_counts);
    RUN(lift_base_and_math_negatives);
    RUN(bucket_zero_is_refused_not_a_crash);
    RUN(small_lr_only_when_epochs_raised);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmpdir);
    return test_summary();
}
