/* tests/unit/articles.h — the texts of the article-extraction benchmark's ground truth
 * (../shared, read in place), the real clean pages several unit tests need. */
#ifndef MM_TEST_ARTICLES_H
#define MM_TEST_ARTICLES_H

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "test.h"

typedef struct test_articles {
    char **text, **id; /* id: the first 16 characters of the page's key */
    size_t n;
} test_articles;

/* The article bodies of at least min_len bytes, in file order (n = 0 when unreadable). */
static inline test_articles test_articles_load(size_t min_len) {
    test_articles a = {0};
    mm_buf f = {0};
    mm_json_doc *doc;
    mm_json *root;
    if (mm_read_file(test_shared("testdata/article-extraction-benchmark/ground-truth.json"), &f) ||
        mm_json_parse(f.data, f.len, &doc, &root)) {
        mm_buf_free(&f);
        return a;
    }
    a.text = calloc(root->len, sizeof *a.text);
    a.id = calloc(root->len, sizeof *a.id);
    for (const mm_json *c = root->child; c; c = c->next) {
        const char *body = mm_json_get_str(c, "articleBody", "");
        if (strlen(body) < min_len) continue;
        a.text[a.n] = strdup(body);
        a.id[a.n++] = strndup(c->key, 16);
    }
    mm_json_doc_free(doc);
    mm_buf_free(&f);
    return a;
}

static inline void test_articles_free(test_articles *a) {
    for (size_t i = 0; i < a->n; i++)
        free(a->text[i]), free(a->id[i]);
    free(a->text), free(a->id);
    *a = (test_articles){0};
}

#endif
