/* tests/unit/test_classifier.c — the normaliser, training on real text (held-out ROC-AUC), our
 * scorer against libfasttext (.bin and .ftz), bad model files, eval metrics, score files and
 * selection. */
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classifier/classifier.h"
#include "common/buf.h"
#include "common/json.h"
#include "test.h"
#include "test_io.h"

static char tmpdir[512];

static const char *tmp(const char *name) {
    return test_path(tmpdir, name);
}

static const char *norm(const char *s, size_t max) {
    static mm_buf b;
    mm_buf_clear(&b);
    if (mm_clf_normalize(&b, s, strlen(s), max) != MM_OK) return "(error)";
    return b.data ? b.data : "";
}

TEST(normalize_rules) {
    CHECK_STR(norm("Hello,  World!", 0), "hello , world !");
    CHECK_STR(norm("  x+y=1.\n\tNext line ", 0), "x + y = 1 . next line");
    CHECK_STR(norm("$\\frac{a}{b}$ and $$x^2$$", 0), "$ \\frac { a } { b } $ and $$ x ^ 2 $$");
    CHECK_STR(norm("\\Delta \\{x\\} \\\\ \\,", 0), "\\Delta \\{ x \\} \\\\ \\,");
    CHECK_STR(norm("数学题ABC", 0), "数 学 题 abc");
    CHECK_STR(norm("ÉCOLE Ωmega ДОМ", 0), "école ωmega дом");
    CHECK_STR(norm("a\xc2\xa0"
                   "b\xe2\x80\x83"
                   "c",
                   0),
              "a b c");                        /* NBSP, em space */
    CHECK_STR(norm("x \xff\xfe y", 0), "x y"); /* invalid UTF-8 dropped */
    CHECK_STR(norm("a ≤ b → c", 0), "a ≤ b → c");
    CHECK_STR(norm("don't", 0), "don ' t");
    CHECK_STR(norm("", 0), "");
    CHECK_STR(norm(" \n\t ", 0), "");
}

TEST(normalize_cap_and_idempotent) {
    CHECK_STR(norm("alpha beta gamma", 10), "alpha beta");
    CHECK_STR(norm("alpha beta gamma", 11), "alpha beta");
    CHECK_STR(norm("alpha beta gamma", 4), "");
    const char *samples[] = {
        "Let $x \\in \\mathbb{R}$, then $$\\sum_{i=1}^n i = \\frac{n(n+1)}{2}$$.",
        "中文：求解方程 x²+1=0。", "Mixed\tCASE, punctuation!!! ... ok?", "\\ lone backslash \\",
        "$$$ three"};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        char once[512];
        snprintf(once, sizeof once, "%s", norm(samples[i], 0));
        CHECK_STR(norm(once, 0), once);
    }
}

/* ---- training on real text ------------------------------------------------------------------ */

/* Write up to `max` documents of a JSONL benchmark file (fields a + " " + b) as plain lines. */
static size_t jsonl_to_lines(const char *path, const char *fa, const char *fb, FILE *out,
                             size_t max) {
    mm_buf b = {0};
    if (mm_read_file(path, &b) != MM_OK) return 0;
    size_t n = 0;
    char *p = b.data, *end = b.data + b.len;
    while (p < end && n < max) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        mm_json_doc *d;
        mm_json *root;
        if (nl > p && mm_json_parse(p, (size_t)(nl - p), &d, &root) == MM_OK) {
            const char *a = mm_json_get_str(root, fa, ""), *c = mm_json_get_str(root, fb, "");
            for (const char *s = a; *s; s++)
                fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
            fputc(' ', out);
            for (const char *s = c; *s; s++)
                fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
            fputc('\n', out);
            n++;
            mm_json_doc_free(d);
        }
        p = nl + 1;
    }
    mm_buf_free(&b);
    return n;
}

/* Article texts, split into paragraphs of >= 150 bytes, one per line. */
static size_t articles_to_lines(const char *path, FILE *out) {
    mm_buf b = {0};
    if (mm_read_file(path, &b) != MM_OK) return 0;
    mm_json_doc *d;
    mm_json *root;
    size_t n = 0;
    if (mm_json_parse(b.data, b.len, &d, &root) == MM_OK) {
        for (const mm_json *c = root->child; c; c = c->next) {
            const char *t = mm_json_get_str(c, "articleBody", "");
            while (*t) {
                const char *e = strstr(t, "\n\n");
                size_t len = e ? (size_t)(e - t) : strlen(t);
                if (len >= 150) {
                    for (size_t i = 0; i < len; i++)
                        fputc(t[i] == '\n' ? ' ' : t[i], out);
                    fputc('\n', out);
                    n++;
                }
                t += len;
                while (*t == '\n')
                    t++;
            }
        }
        mm_json_doc_free(d);
    }
    mm_buf_free(&b);
    return n;
}

static bool have_data;

TEST(train_real_text_auc) {
    FILE *p = fopen(tmp("pos.txt"), "w"), *n = fopen(tmp("neg.txt"), "w");
    CHECK(p && n);
    if (!p || !n) return;
    size_t np =
        jsonl_to_lines(test_shared("benchmarks/gsm8k/train.jsonl"), "question", "answer", p, 1200);
    np += jsonl_to_lines(test_shared("benchmarks/math/test.jsonl"), "problem", "solution", p, 1200);
    size_t nn = articles_to_lines(
        test_shared("testdata/article-extraction-benchmark/ground-truth.json"), n);
    fclose(p);
    fclose(n);
    printf("  %zu positives, %zu negatives\n", np, nn);
    CHECK(np >= 2000 && nn >= 1000);
    mm_clf_train_opts o;
    mm_clf_train_opts_default(&o);
    o.dim = 16, o.epoch = 5, o.bucket = 20000, o.threads = 1, o.seed = 3, o.valid_frac = 0.2;
    mm_clf_train_report rep;
    const char *pos[] = {tmp("pos.txt")}, *neg[] = {tmp("neg.txt")};
    mm_err e = mm_clf_train_files(pos, 1, neg, 1, &o, tmp("m.bin"), &rep);
    if (e) printf("  %s\n", mm_error_detail());
    CHECK_EQ_INT(e, MM_OK);
    printf("  held out: %llu + %llu, ROC-AUC %.4f, F1 %.4f\n", (unsigned long long)rep.pos_valid,
           (unsigned long long)rep.neg_valid, rep.valid_auc, rep.valid_f1);
    CHECK(rep.valid_auc >= 0.95);
    CHECK(rep.pos_valid > 100 && rep.neg_valid > 100);
    have_data = e == MM_OK;
}

/* Our scorer vs libfasttext on every line of `lines`; returns max |diff|. */
static double compare_with_reference(const char *model, const char *lines, size_t *count) {
    mm_ft_model *ref;
    mm_clf_scorer *s;
    mm_clf_ctx *c;
    if (mm_ft_load(model, &ref) != MM_OK) return 1e9;
    if (mm_clf_scorer_open(model, NULL, &s) != MM_OK) return 1e9;
    if (mm_clf_ctx_create(s, &c) != MM_OK) return 1e9;
    FILE *f = fopen(lines, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    double maxd = 0;
    mm_buf b = {0};
    *count = 0;
    while (f && (len = getline(&line, &cap, f)) > 0) {
        mm_buf_clear(&b);
        mm_clf_normalize(&b, line, (size_t)len, MM_CLF_MAX_BYTES_DEFAULT);
        float theirs, ours = mm_clf_score_line(c, b.data ? b.data : "", b.len);
        if (mm_ft_prob(ref, b.data ? b.data : "", b.len, MM_CLF_LABEL_POS, &theirs) != MM_OK)
            return 1e9;
        double d = fabs((double)ours - theirs);
        if (d > maxd) maxd = d;
        (*count)++;
    }
    if (f) fclose(f);
    free(line);
    mm_buf_free(&b);
    mm_clf_ctx_free(c);
    mm_clf_scorer_close(s);
    mm_ft_free(ref);
    return maxd;
}

TEST(scorer_matches_libfasttext_bin_ftz) {
    if (!have_data) return;
    size_t n1, n2;
    double d1 = compare_with_reference(tmp("m.bin"), tmp("pos.txt"), &n1);
    double d2 = compare_with_reference(tmp("m.bin"), tmp("neg.txt"), &n2);
    printf("  .bin: %zu docs, max |diff| %.3g / %.3g\n", n1 + n2, d1, d2);
    CHECK(d1 <= 1e-6 && d2 <= 1e-6 && n1 > 0 && n2 > 0);
    mm_ft_quant_opts q;
    mm_ft_quant_opts_default(&q);
    CHECK_EQ_INT(mm_ft_quantize_file(tmp("m.bin"), tmp("m.ftz"), &q), MM_OK);
    d1 = compare_with_reference(tmp("m.ftz"), tmp("pos.txt"), &n1);
    d2 = compare_with_reference(tmp("m.ftz"), tmp("neg.txt"), &n2);
    printf("  .ftz: %zu docs, max |diff| %.3g / %.3g\n", n1 + n2, d1, d2);
    CHECK(d1 <= 1e-6 && d2 <= 1e-6);
    mm_clf_model_info info;
    CHECK_EQ_INT(mm_clf_model_check(tmp("m.ftz"), &info), MM_OK);
    CHECK(info.quant_input && info.dim == 16 && info.nlabels == 2);
}

static void write_prefix(const char *from, const char *to, size_t n) {
    mm_buf b = {0};
    mm_read_file(from, &b);
    FILE *f = fopen(to, "wb");
    fwrite(b.data, 1, n < b.len ? n : b.len, f);
    fclose(f);
    mm_buf_free(&b);
}

TEST(bad_model_files) {
    mm_clf_scorer *s;
    mm_ft_model *m;
    FILE *f = fopen(tmp("junk.bin"), "w");
    fputs("this is not a model at all, just text\n", f);
    fclose(f);
    CHECK_EQ_INT(mm_clf_scorer_open(tmp("junk.bin"), NULL, &s), MM_ERR_FORMAT);
    CHECK(strstr(mm_error_detail(), "not a fastText model") != NULL);
    CHECK_EQ_INT(mm_ft_load(tmp("junk.bin"), &m), MM_ERR_FORMAT);
    CHECK(mm_clf_scorer_open(tmp("missing.bin"), NULL, &s) == MM_ERR_IO);
    if (!have_data) return;
    struct stat st;
    stat(tmp("m.bin"), &st);
    size_t cuts[] = {0, 3, 8, 40, 70, 200, 5000, (size_t)st.st_size / 2, (size_t)st.st_size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_prefix(tmp("m.bin"), tmp("cut.bin"), cuts[i]);
        mm_err e = mm_clf_scorer_open(tmp("cut.bin"), NULL, &s);
        CHECK(e == MM_ERR_TRUNCATED || e == MM_ERR_FORMAT);
        CHECK(mm_ft_load(tmp("cut.bin"), &m) != MM_OK);
    }
    stat(tmp("m.ftz"), &st);
    write_prefix(tmp("m.ftz"), tmp("cut.ftz"), (size_t)st.st_size - 10);
    CHECK_EQ_INT(mm_clf_scorer_open(tmp("cut.ftz"), NULL, &s), MM_ERR_TRUNCATED);
    mm_clf_scorer_opts so;
    mm_clf_scorer_opts_default(&so);
    so.label = "__label__nope";
    CHECK_EQ_INT(mm_clf_scorer_open(tmp("m.bin"), &so, &s), MM_ERR_MISMATCH);
}

TEST(bad_training_data) {
    FILE *f = fopen(tmp("empty.txt"), "w");
    fclose(f);
    mm_clf_train_opts o;
    mm_clf_train_opts_default(&o);
    o.dim = 8, o.bucket = 1000, o.epoch = 1, o.threads = 1;
    const char *p[] = {tmp("empty.txt")}, *n[] = {have_data ? tmp("neg.txt") : tmp("empty.txt")};
    CHECK_EQ_INT(mm_clf_train_files(p, 1, n, 1, &o, tmp("x.bin"), NULL), MM_ERR_ARG);
    CHECK(strstr(mm_error_detail(), "one-class") != NULL);
    CHECK_EQ_INT(mm_clf_train_files(p, 1, n, 0, &o, tmp("x.bin"), NULL), MM_ERR_ARG);
    const char *missing[] = {tmp("nope.txt")};
    CHECK_EQ_INT(mm_clf_train_files(missing, 1, n, 1, &o, tmp("x.bin"), NULL), MM_ERR_IO);
    CHECK(access(tmp("x.bin"), F_OK) != 0);
}

TEST(eval_metrics) {
    float pos[] = {0.9f, 0.8f, 0.4f}, neg[] = {0.7f, 0.3f, 0.2f, 0.1f};
    CHECK_NEAR(mm_clf_roc_auc(pos, 3, neg, 4), 11.0 / 12.0, 1e-12);
    float tp[] = {0.5f}, tn[] = {0.5f};
    CHECK_NEAR(mm_clf_roc_auc(tp, 1, tn, 1), 0.5, 1e-12);
    CHECK(isnan(mm_clf_roc_auc(pos, 3, neg, 0)));
    mm_clf_eval_point pt;
    mm_clf_eval_at(pos, 3, neg, 4, 0.5, &pt);
    CHECK_EQ_INT(pt.tp, 2);
    CHECK_EQ_INT(pt.fp, 1);
    CHECK_NEAR(pt.precision, 2.0 / 3, 1e-12);
    CHECK_NEAR(pt.recall, 2.0 / 3, 1e-12);
    CHECK(mm_clf_threshold_for_precision(pos, 3, neg, 4, 1.0, &pt));
    CHECK_NEAR(pt.threshold, 0.8, 1e-6);
    CHECK(mm_clf_threshold_for_precision(pos, 3, neg, 4, 0.75, &pt));
    CHECK_NEAR(pt.threshold, 0.4, 1e-6); /* 3 tp / 4: precision 0.75 at the lowest */
    CHECK_EQ_INT(mm_clf_pr_svg(tmp("pr.svg"), pos, 3, neg, 4, "t"), MM_OK);
    CHECK(access(tmp("pr.svg"), F_OK) == 0);
}

static size_t count_lines(const char *path) {
    mm_buf b = {0};
    mm_read_file(path, &b);
    size_t n = 0;
    for (size_t i = 0; i < b.len; i++)
        n += b.data[i] == '\n';
    mm_buf_free(&b);
    return n;
}

TEST(score_shard_and_select) {
    if (!have_data) return;
    FILE *f = fopen(tmp("s.jsonl"), "w");
    fprintf(f, "{\"id\":\"a\",\"text\":\"Solve for x: $x^2 - 5x + 6 = 0$. The roots are 2 and 3.\","
               "\"url\":\"http://m.org/1\",\"domain\":\"m.org\"}\n");
    fprintf(
        f,
        "{\"id\":\"b\",\"text\":\"The mayor said on Tuesday that the city council will "
        "vote on the new budget next week.\",\"url\":\"http://n.com/2\",\"domain\":\"n.com\"}\n");
    fprintf(f, "{\"id\":\"broken\",\"text\":\n");
    fprintf(f, "{\"id\":\"c\",\"text\":\"Compute the integral of $\\\\frac{1}{x}$ from 1 to e, "
               "answer 1.\",\"url\":\"http://m.org/3\",\"domain\":\"m.org\"}\n");
    fclose(f);
    mm_clf_scorer *s;
    mm_clf_ctx *c;
    CHECK_EQ_INT(mm_clf_scorer_open(tmp("m.bin"), NULL, &s), MM_OK);
    CHECK_EQ_INT(mm_clf_ctx_create(s, &c), MM_OK);
    mm_clf_score_stats st = {0};
    CHECK_EQ_INT(mm_clf_score_shard(c, tmp("s.jsonl"), tmp("s.scores.tsv"), &st), MM_OK);
    CHECK_EQ_INT(st.docs, 3);
    CHECK_EQ_INT(st.bad_lines, 1);
    mm_clf_scores *r;
    CHECK_EQ_INT(mm_clf_scores_open(tmp("s.scores.tsv"), &r), MM_OK);
    mm_clf_score_row row;
    mm_err e;
    double sa = -1, sb = -1;
    while (mm_clf_scores_next(r, &row, &e) == 1) {
        if (!strcmp(row.id, "a")) {
            sa = row.score;
            CHECK_STR(row.domain, "m.org");
        }
        if (!strcmp(row.id, "b")) {
            sb = row.score;
            CHECK(row.tokens > 10);
        }
    }
    mm_clf_scores_close(r);
    printf("  math doc %.4f, news doc %.4f\n", sa, sb);
    CHECK(sa > 0.5 && sb < 0.5);
    const char *paths[] = {tmp("s.scores.tsv")};
    mm_select_stats ss;
    CHECK_EQ_INT(mm_select_ids(paths, 1, MM_SELECT_THRESHOLD, 0.5, tmp("ids.txt"), &ss), MM_OK);
    CHECK_EQ_INT(ss.rows, 3);
    CHECK_EQ_INT(count_lines(tmp("ids.txt")), ss.selected);
    CHECK_EQ_INT(mm_select_ids(paths, 1, MM_SELECT_TOP_FRAC, 0.34, tmp("ids.txt"), &ss), MM_OK);
    CHECK_EQ_INT(ss.selected, 2); /* ceil(0.34 * 3) */
    CHECK_EQ_INT(mm_select_ids(paths, 1, MM_SELECT_TOP_TOKENS, 1, tmp("ids.txt"), &ss), MM_OK);
    CHECK_EQ_INT(ss.selected, 1);
    mm_idset *ids;
    CHECK_EQ_INT(mm_idset_load(tmp("ids.txt"), &ids), MM_OK);
    uint64_t kept = 0, bad = 0;
    CHECK_EQ_INT(mm_select_docs(ids, tmp("s.jsonl"), tmp("sel.jsonl"), &kept, &bad), MM_OK);
    CHECK_EQ_INT(kept, 1);
    CHECK_EQ_INT(bad, 1);
    mm_idset_free(ids);
    CHECK_EQ_INT(mm_select_ids(paths, 1, MM_SELECT_TOP_FRAC, 0, tmp("ids.txt"), &ss), MM_ERR_ARG);
    mm_clf_ctx_free(c);
    mm_clf_scorer_close(s);
}

/* The classifier's input reader (train and eval): shard texts, text lines, fastText labels
 * dropped, a broken shard line counted; and eval's scores of them through one scorer equal the
 * scorer's own score of each text. */
static mm_err collect(void *arg, const char *text, size_t n) {
    mm_buf *b = arg;
    MM_TRY(mm_buf_append(b, text, n));
    return mm_buf_putc(b, '|');
}

TEST(read_and_score_inputs) {
    FILE *f = fopen(tmp("in.jsonl"), "w");
    fprintf(
        f,
        "{\"id\":\"a\",\"text\":\"one\\ntwo\"}\n{\"id\":\"x\",\"text\":\n{\"text\":\"three\"}\n");
    fclose(f);
    f = fopen(tmp("in.txt"), "w");
    fprintf(f, "__label__math __label__x four five\n\nsix\n");
    fclose(f);
    const char *paths[2] = {tmp("in.jsonl"), tmp("in.txt")};
    mm_buf b = {0};
    uint64_t bad = 0;
    CHECK_EQ_INT(mm_clf_read_inputs(paths, 2, collect, &b, &bad), MM_OK);
    CHECK_EQ_INT(mm_buf_putc(&b, 0), MM_OK);
    CHECK_STR(b.data, "one\ntwo|three|four five||six|");
    CHECK_EQ_INT(bad, 1);
    mm_buf_free(&b);
    if (!have_data) return;
    mm_clf_scorer *s;
    mm_clf_ctx *c;
    CHECK_EQ_INT(mm_clf_scorer_open(tmp("m.bin"), NULL, &s), MM_OK);
    CHECK_EQ_INT(mm_clf_ctx_create(s, &c), MM_OK);
    float *v = NULL;
    size_t n = 0;
    bad = 0;
    CHECK_EQ_INT(mm_clf_score_inputs(c, paths, 2, NULL, &v, &n, &bad), MM_OK);
    CHECK_EQ_INT(n, 4); /* the empty line is not a document */
    CHECK(v && v[0] == mm_clf_score_text(c, "one\ntwo", 7) &&
          v[3] == mm_clf_score_text(c, "six", 3));
    volatile int stop = 1;
    free(v);
    CHECK_EQ_INT(mm_clf_score_inputs(c, paths, 2, &stop, &v, &n, &bad), MM_ERR_IO);
    CHECK(v == NULL && n == 0);
    mm_clf_ctx_free(c);
    mm_clf_scorer_close(s);
}

/* mm_clf_evaluate: the report equals the parts computed one by one from the same scores. */
TEST(evaluate_report) {
    if (!have_data) return;
    mm_clf_scorer *s;
    mm_clf_ctx *c;
    CHECK_EQ_INT(mm_clf_scorer_open(tmp("m.bin"), NULL, &s), MM_OK);
    CHECK_EQ_INT(mm_clf_ctx_create(s, &c), MM_OK);
    const char *pos[] = {tmp("pos.txt")}, *neg[] = {tmp("neg.txt")};
    double thr[] = {0.2, 0.5, 0.9};
    mm_clf_eval_report r;
    CHECK_EQ_INT(mm_clf_evaluate(c, pos, 1, neg, 1, thr, 3, 0.95, tmp("pr.svg"), NULL, &r), MM_OK);
    float *P = NULL, *N = NULL;
    size_t np = 0, nn = 0;
    uint64_t bad = 0;
    CHECK_EQ_INT(mm_clf_score_inputs(c, pos, 1, NULL, &P, &np, &bad), MM_OK);
    CHECK_EQ_INT(mm_clf_score_inputs(c, neg, 1, NULL, &N, &nn, &bad), MM_OK);
    CHECK(r.npos == np && r.nneg == nn && r.npoints == 3);
    CHECK(r.roc_auc == mm_clf_roc_auc(P, np, N, nn) && r.roc_auc > 0.9);
    for (size_t i = 0; i < 3; i++) {
        mm_clf_eval_point pt;
        mm_clf_eval_at(P, np, N, nn, thr[i], &pt);
        CHECK(r.points[i].tp == pt.tp && r.points[i].fp == pt.fp &&
              r.points[i].threshold == thr[i]);
    }
    CHECK(r.points[0].tp >= r.points[1].tp && r.points[1].tp >= r.points[2].tp);
    CHECK(r.target_reached && r.at_target.precision >= 0.95);
    mm_buf text = {0}, json = {0};
    CHECK_EQ_INT(mm_clf_eval_report_text(&r, &text), MM_OK);
    CHECK_EQ_INT(mm_clf_eval_report_json(&r, &json), MM_OK);
    CHECK(text.len && strstr(text.data, "target precision 0.950: threshold"));
    mm_json_doc *doc;
    mm_json *root;
    CHECK_EQ_INT(mm_json_parse(json.data, json.len, &doc, &root), MM_OK);
    CHECK(mm_json_get_num(root, "pos", 0) == (double)np &&
          fabs(mm_json_get_num(root, "threshold_for_target", -1) - r.at_target.threshold) < 1e-6);
    mm_json_doc_free(doc);
    struct stat st;
    CHECK(stat(tmp("pr.svg"), &st) == 0 && st.st_size > 100);
    mm_buf_free(&text), mm_buf_free(&json);
    mm_clf_eval_report_free(&r);
    /* one class empty: an error, nothing to free */
    const char *empty[] = {tmp("empty.txt")};
    FILE *f = fopen(tmp("empty.txt"), "w");
    if (f) fclose(f);
    CHECK_EQ_INT(mm_clf_evaluate(c, pos, 1, empty, 1, thr, 3, 0.9, NULL, NULL, &r), MM_ERR_ARG);
    CHECK(r.points == NULL);
    free(P), free(N);
    mm_clf_ctx_free(c);
    mm_clf_scorer_close(s);
}

int main(void) {
    test_prog_ = "test_classifier";
    snprintf(tmpdir, sizeof tmpdir, "%s/mm_clf_%d", test_tmpdir(), (int)getpid());
    mkdir(tmpdir, 0777);
    RUN(normalize_rules);
    RUN(normalize_cap_and_idempotent);
    RUN(train_real_text_auc);
    RUN(scorer_matches_libfasttext_bin_ftz);
    RUN(bad_model_files);
    RUN(bad_training_data);
    RUN(eval_metrics);
    RUN(score_shard_and_select);
    RUN(read_and_score_inputs);
    RUN(evaluate_report);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("  (could not remove %s)\n", tmpdir);
    return test_summary();
}
