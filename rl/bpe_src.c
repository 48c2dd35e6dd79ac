/* rl/bpe_src.c — the texts of an input file: document shards through common/doc.h, any other
 * file as one text. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/doc.h"
#include "rl/tokenizer.h"

struct mm_tok_src {
    mm_doc_reader *docs; /* a document shard, or NULL for a plain text file */
    mm_buf whole;        /* the plain text file */
    int given;           /* the plain text was handed out */
    uint64_t bytes;
};

static int is_doc_shard(const char *path) {
    size_t n = strlen(path);
    static const char *const ext[] = {".jsonl", ".jsonl.zst", ".json.zst"};
    if (!strcmp(path, "-")) return 1;
    for (int i = 0; i < 3; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && !strcmp(path + n - k, ext[i])) return 1;
    }
    return 0;
}

mm_err mm_tok_src_open(const char *path, mm_tok_src **out) {
    *out = NULL;
    mm_tok_src *s = mm_calloc(1, sizeof *s);
    if (!s) return MM_ERR_NOMEM;
    mm_err e =
        is_doc_shard(path) ? mm_doc_reader_open(path, &s->docs) : mm_read_file(path, &s->whole);
    if (e != MM_OK) {
        mm_tok_src_close(s);
        return e;
    }
    *out = s;
    return MM_OK;
}

int mm_tok_src_next(mm_tok_src *s, const char **text, size_t *len, mm_err *err) {
    *err = MM_OK;
    if (!s->docs) {
        if (s->given) return 0;
        s->given = 1;
        *text = s->whole.data ? s->whole.data : "";
        *len = s->whole.len;
        s->bytes = s->whole.len;
        return 1;
    }
    mm_doc d;
    int r = mm_doc_reader_next(s->docs, &d, err);
    s->bytes = mm_doc_reader_bytes(s->docs);
    if (r == 1) {
        *text = d.text;
        *len = d.text_len;
    }
    return r;
}

uint64_t mm_tok_src_bytes(const mm_tok_src *s) {
    return s->bytes;
}

void mm_tok_src_close(mm_tok_src *s) {
    if (!s) return;
    mm_doc_reader_close(s->docs);
    mm_buf_free(&s->whole);
    free(s);
}
