/* tests/unit/test_report.c — the run report (common/report.h) on small crafted run folders:
 * task markers of one stage are summed (counts add, peak RSS is the maximum), sections appear
 * only for the stages present, text from the inputs is escaped, a damaged JSON file is skipped
 * and named, a missing folder is an error naming it. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/report.h"
#include "test.h"

static char dir[256];

static void put(const char *rel, const char *text) {
    char p[512], d[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    snprintf(d, sizeof d, "%s", p);
    for (char *s = d + strlen(dir) + 1; (s = strchr(s, '/')); *s++ = '/') {
        *s = 0;
        mkdir(d, 0755);
    }
    FILE *f = fopen(p, "w");
    if (f) fputs(text, f), fclose(f);
}

static bool has_section(const mm_report_info *in, const char *id) {
    for (size_t i = 0; i < in->nsections; i++)
        if (!strcmp(in->sections[i], id)) return true;
    return false;
}

static void fresh(void) {
    snprintf(dir, sizeof dir, "/tmp/test_report.%d.XXXXXX", (int)getpid());
    if (!mkdtemp(dir)) abort();
}

static void cleanup(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) printf("  could not remove %s\n", dir);
}

#define EXTRACT_STATS(rec, html)                                                                   \
    "{\"records\":" #rec ",\"responses\":" #html ",\"html\":" #html ",\"extracted\":" #html        \
    ",\"math_docs\":1,\"bytes_in\":1000,\"math_found\":{\"text_tex\":3},"                          \
    "\"math_written\":{\"text_tex\":2},\"skipped\":{\"lang\":0}}"

TEST(markers_are_summed) {
    fresh();
    put("_run/extract/task-00000-of-00002.json",
        "{\"status\":\"done\",\"seconds\":2,\"cpu_s\":1.5,\"max_rss_kb\":1000,\"input_bytes\":500,"
        "\"stats\":" EXTRACT_STATS(50, 16) "}");
    put("_run/extract/task-00001-of-00002.json",
        "{\"status\":\"failed\",\"seconds\":1,\"cpu_s\":0.5,\"max_rss_kb\":3000,\"input_bytes\":"
        "700,"
        "\"log\":\"/nonexistent/task.log\",\"stats\":" EXTRACT_STATS(30, 4) "}");
    mm_buf b = {0};
    mm_report_info in;
    CHECK_EQ_INT(mm_report_html(dir, NULL, &b, &in), MM_OK);
    CHECK_EQ_INT(in.stages, 1);
    CHECK(has_section(&in, "funnel") && has_section(&in, "stages") &&
          has_section(&in, "extraction"));
    CHECK(!has_section(&in, "training") && !has_section(&in, "iterations"));
    CHECK(strstr(b.data, "<td>WARC records</td><td class=n>80</td>") != NULL); /* 50 + 30 */
    CHECK(strstr(b.data, "<td>HTML pages</td><td class=n>20</td>") != NULL);
    CHECK(strstr(b.data, "3.1 MB") != NULL); /* max RSS 3000 KB */
    CHECK(strstr(b.data, "1 task(s) failed") != NULL);
    CHECK(strstr(b.data, "<td>text_tex</td><td class=n>6</td><td class=n>4</td>") != NULL);
    mm_buf_free(&b);
    cleanup();
}

TEST(sections_escape_and_damage) {
    fresh();
    put("pretrain/log.jsonl", "{\"step\":0,\"val_loss\":5}\n{\"step\":1,\"loss\":4.5,\"lr\":0.1}\n"
                              "{\"step\":2,\"loss\":4.0,\"lr\":0.1}\n");
    put("eval.json", "{\"task\":\"arith\",\"n\":10,\"greedy_acc\":0.5,\"pass_at_4\":0.75,"
                     "\"maj_at_4\":0.5}");
    put("decontam-report.json",
        "{\"benchmarks\":[{\"name\":\"gsm8k\",\"texts\":5,\"items_found\":1}],\"removed\":[{"
        "\"url\":"
        "\"http://x/<script>\",\"matches\":[{\"benchmark\":\"gsm8k\",\"ngram\":\"a <b> c\"}]}]}");
    put("broken.json", "{\"records\": 3,");
    /* a tokenizer vocabulary: words as keys, some of them stats words; not a stage */
    put("tok/vocab.json", "{\"rows\":1,\"selected\":2,\"cutoff\":3,\"merge\":4,\"map\":5}");
    mm_buf b = {0};
    mm_report_info in;
    CHECK_EQ_INT(mm_report_html(dir, NULL, &b, &in), MM_OK);
    CHECK(has_section(&in, "training") && has_section(&in, "decontamination"));
    CHECK(!has_section(&in, "funnel") && !has_section(&in, "extraction"));
    CHECK_EQ_INT(in.files_bad, 1);
    CHECK_EQ_INT(in.stages, 1); /* eval.json only */
    CHECK(strstr(b.data, "<code>broken.json</code>") != NULL);
    CHECK(strstr(b.data, "http://x/&lt;script&gt;") != NULL && !strstr(b.data, "<script"));
    CHECK(strstr(b.data, "a &lt;b&gt; c") != NULL);
    CHECK(strstr(b.data, "<td class=n>0.750 (K=4)</td>") != NULL);
    CHECK(strstr(b.data, "<svg") != NULL); /* the loss curve */
    mm_buf_free(&b);
    cleanup();
}

TEST(missing_folder) {
    mm_buf b = {0};
    CHECK_EQ_INT(mm_report_html("/nonexistent/run", NULL, &b, NULL), MM_ERR_IO);
    CHECK(strstr(mm_error_detail(), "/nonexistent/run") != NULL);
    mm_buf_free(&b);
}

int main(void) {
    test_prog_ = "test_report";
    RUN(markers_are_summed);
    RUN(sections_escape_and_damage);
    RUN(missing_folder);
    return test_summary();
}
