/* rl/task_jsonl.c — the `jsonl` task: GSM8K-format files, one JSON object a line with
 * "question" and "answer" (worked solution ending in "#### <number>").  A line that is not
 * JSON, lacks a field or has no numeric final answer is counted and skipped. */
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "rl/task_internal.h"

static mm_err read_file_items(mm_task *t, const char *path, mm_task_list *l) {
    mm_lines *r;
    MM_TRY(mm_lines_open(path, 1u << 20, &r));
    const char *line;
    size_t len;
    mm_err e = MM_OK;
    while (mm_lines_next(r, &line, &len, &e) == 1) {
        if (len == 0) continue;
        mm_json_doc *doc;
        mm_json *root;
        if (mm_json_parse(line, len, &doc, &root) != MM_OK) {
            t->skipped++;
            continue;
        }
        const char *q = mm_json_get_str(root, "question", NULL);
        const char *a = mm_json_get_str(root, "answer", NULL);
        double v;
        if (!q || !a || !mm_task_extract_answer(a, strlen(a), &v)) {
            t->skipped++;
            mm_json_doc_free(doc);
            continue;
        }
        char *qq = mm_strndup(q, strlen(q)), *aa = mm_strndup(a, strlen(a));
        mm_json_doc_free(doc);
        if (!qq || !aa) {
            free(qq), free(aa);
            e = MM_ERR_NOMEM;
            break;
        }
        if ((e = mm_task_list_push(l, qq, aa, v, NULL, 0)) != MM_OK) break;
    }
    mm_lines_close(r);
    if (e == MM_OK && l->n == 0)
        e = mm_fail(MM_ERR_FORMAT, "%s: no usable {\"question\", \"answer\": \"... #### N\"} line",
                    path);
    return e;
}

mm_err mm_task_jsonl_create(const char *train_path, const char *test_path, mm_task **out) {
    *out = NULL;
    mm_task *t = mm_calloc(1, sizeof *t);
    if (!t) return MM_ERR_NOMEM;
    t->name = "jsonl";
    mm_err e = read_file_items(t, test_path, &t->split[MM_TASK_TEST]);
    uint64_t skipped = t->skipped;
    if (e == MM_OK)
        e = read_file_items(t, train_path ? train_path : test_path, &t->split[MM_TASK_TRAIN]);
    if (!train_path) t->skipped = skipped; /* the same file twice: count its lines once */
    if (e != MM_OK) {
        mm_task_free(t);
        return e;
    }
    *out = t;
    return MM_OK;
}
