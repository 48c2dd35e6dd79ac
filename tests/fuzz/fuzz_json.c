/* Fuzz the JSON reader (common/json.c): no crash on any input, and what it reads survives a
 * write and a second read: write(read(write(read(x)))) == write(read(x)).  Strings cover the
 * 16-byte scan for quotes and backslashes, every escape, and invalid UTF-8 (written as U+FFFD).
 * mm_json_members (no tree) accepts exactly the objects the tree parser accepts and reads the
 * same strings for the keys it is asked for. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static void put(mm_buf *b, const mm_json *v) {
    char num[64];
    switch (v->type) {
    case MM_JSON_NULL:
        mm_buf_puts(b, "null");
        break;
    case MM_JSON_BOOL:
        mm_buf_puts(b, v->b ? "true" : "false");
        break;
    case MM_JSON_NUM: /* 1e999 reads as inf, which JSON cannot write */
        if (isfinite(v->num))
            snprintf(num, sizeof num, "%.17g", v->num), mm_buf_puts(b, num);
        else
            mm_buf_puts(b, "null");
        break;
    case MM_JSON_STR:
        mm_json_str(b, v->str, v->len);
        break;
    case MM_JSON_ARR:
    case MM_JSON_OBJ:
        mm_buf_putc(b, v->type == MM_JSON_ARR ? '[' : '{');
        for (const mm_json *c = v->child; c; c = c->next) {
            if (c != v->child) mm_buf_putc(b, ',');
            if (v->type == MM_JSON_OBJ) mm_json_str(b, c->key, strlen(c->key)), mm_buf_putc(b, ':');
            put(b, c);
        }
        mm_buf_putc(b, v->type == MM_JSON_ARR ? ']' : '}');
        break;
    }
}

/* write(read(text)) into *out; false when text is not JSON. */
static bool cycle(const char *text, size_t n, mm_buf *out) {
    mm_json_doc *d;
    mm_json *r;
    if (mm_json_parse(text, n, &d, &r) != MM_OK) return false;
    put(out, r);
    mm_json_doc_free(d);
    return true;
}

static void members_agree(const char *text, size_t n) {
    static const char *const keys[2] = {"text", "id"};
    mm_buf out[2] = {{0}};
    bool found[2];
    mm_err e = mm_json_members(text, n, keys, 2, out, found);
    mm_json_doc *d;
    mm_json *r;
    mm_err te = mm_json_parse(text, n, &d, &r);
    bool obj = te == MM_OK && r->type == MM_JSON_OBJ;
    if ((e == MM_OK) != obj) abort();
    for (int k = 0; obj && k < 2; k++) {
        const mm_json *v = mm_json_get(r, keys[k]);
        bool str = v && v->type == MM_JSON_STR;
        if (found[k] != str) abort();
        if (str && (out[k].len != v->len || memcmp(out[k].data, v->str, v->len))) abort();
    }
    if (te == MM_OK) mm_json_doc_free(d);
    mm_buf_free(&out[0]);
    mm_buf_free(&out[1]);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    mm_buf a = {0}, b = {0};
    members_agree((const char *)data, size);
    if (cycle((const char *)data, size, &a)) {
        if (!cycle(a.data ? a.data : "", a.len, &b)) abort(); /* what we wrote must read */
        if (a.len != b.len || memcmp(a.data, b.data, a.len)) abort();
    }
    mm_buf_free(&a);
    mm_buf_free(&b);
    return 0;
}
