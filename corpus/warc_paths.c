/* corpus/warc_paths.c — Common Crawl path listings (warc.paths.gz) turned into input names. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "corpus/warc.h"
#include "corpus/warc_input.h"

static mm_err slurp(const char *listing, mm_buf *text) {
    mm_in *in;
    MM_TRY(mm_in_open(listing, listing, NULL, NULL, &in));
    mm_err e = MM_OK;
    for (;;) {
        if ((e = mm_buf_reserve(text, 1 << 16)) != MM_OK) break;
        mm_in_damage d;
        ssize_t n = mm_in_read(in, text->data + text->len, text->cap - text->len - 1, &d, &e);
        if (n <= 0) {
            if (n < 0 && d != MM_DMG_NONE) e = MM_ERR_FORMAT; /* detail already set */
            break;
        }
        text->len += (size_t)n;
        text->data[text->len] = '\0';
    }
    mm_in_close(in);
    return e;
}

/* One allocation: the pointer array, then the strings. */
static mm_err build(const mm_buf *text, const char *base, char ***paths, size_t *n) {
    size_t blen = base ? strlen(base) : 0, lines = 0, bytes = 0;
    for (const char *p = text->data, *e = p + text->len; p < e;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t l = (size_t)((nl ? nl : e) - p);
        while (l && (p[l - 1] == '\r' || p[l - 1] == ' '))
            l--;
        if (l) lines++, bytes += blen + l + 1;
        p = nl ? nl + 1 : e;
    }
    char **arr = mm_malloc((lines + 1) * sizeof *arr + bytes);
    if (!arr) return MM_ERR_NOMEM;
    char *s = (char *)(arr + lines + 1);
    size_t k = 0;
    for (const char *p = text->data, *e = p + text->len; p < e;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t l = (size_t)((nl ? nl : e) - p);
        while (l && (p[l - 1] == '\r' || p[l - 1] == ' '))
            l--;
        if (l) {
            arr[k++] = s;
            memcpy(s, base, blen);
            memcpy(s + blen, p, l);
            s[blen + l] = '\0';
            s += blen + l + 1;
        }
        p = nl ? nl + 1 : e;
    }
    arr[k] = NULL;
    *paths = arr, *n = k;
    return MM_OK;
}

mm_err mm_warc_read_paths(const char *listing, const char *base, char ***paths, size_t *n) {
    *paths = NULL, *n = 0;
    mm_buf text = {0};
    mm_err e = slurp(listing, &text);
    if (e == MM_OK && text.len) e = build(&text, base ? base : "", paths, n);
    mm_buf_free(&text);
    return e;
}
