/* rl/safetensors.c — safetensors reader (validating) and F32 writer.  See safetensors.h. */
#include "rl/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/io.h"
#include "common/json.h"

#define ST_MAX_HEADER (100u << 20) /* the reference implementation's cap */

struct mm_st {
    mm_buf owned; /* file bytes when opened from a path */
    mm_json_doc *doc;
    const mm_json *meta;
    mm_st_tensor *t;
    size_t n;
};

static const struct {
    const char *name;
    int size;
} st_dtypes[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                 {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1},
                 {"U16", 2}, {"U32", 4}, {"U64", 8}};

static int dtype_size(const char *d) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
        if (!strcmp(d, st_dtypes[i].name)) return st_dtypes[i].size;
    return 0;
}

/* A JSON number that is a non-negative integer below 2^53, or -1. */
static int64_t json_uint(const mm_json *j) {
    if (!j || j->type != MM_JSON_NUM || !(j->num >= 0) || j->num > 9007199254740992.0) return -1;
    if (j->num != (double)(int64_t)j->num) return -1;
    return (int64_t)j->num;
}

/* Fill one tensor from its header entry; `datalen` bounds the offsets. */
static mm_err parse_entry(const mm_json *e, uint64_t datalen, const uint8_t *data,
                          mm_st_tensor *t) {
    t->name = e->key;
    if (e->type != MM_JSON_OBJ)
        return mm_fail(MM_ERR_FORMAT, "tensor '%s': not an object", t->name);
    const mm_json *dt = mm_json_get(e, "dtype"), *sh = mm_json_get(e, "shape"),
                  *off = mm_json_get(e, "data_offsets");
    if (!dt || dt->type != MM_JSON_STR || !dtype_size(dt->str))
        return mm_fail(MM_ERR_FORMAT, "tensor '%s': missing or unknown dtype", t->name);
    if (!sh || sh->type != MM_JSON_ARR || sh->len > MM_ST_MAX_DIMS)
        return mm_fail(MM_ERR_FORMAT, "tensor '%s': bad shape", t->name);
    if (!off || off->type != MM_JSON_ARR || off->len != 2)
        return mm_fail(MM_ERR_FORMAT, "tensor '%s': bad data_offsets", t->name);
    t->dtype = dt->str;
    t->ndim = (int)sh->len;
    uint64_t bytes = (uint64_t)dtype_size(dt->str);
    for (int d = 0; d < t->ndim; d++) {
        int64_t v = json_uint(mm_json_at(sh, (size_t)d));
        if (v < 0) return mm_fail(MM_ERR_FORMAT, "tensor '%s': bad shape entry", t->name);
        t->shape[d] = v;
        if (v && bytes > UINT64_MAX / (uint64_t)v)
            return mm_fail(MM_ERR_FORMAT, "tensor '%s': shape overflows", t->name);
        bytes *= (uint64_t)v;
    }
    int64_t b = json_uint(mm_json_at(off, 0)), en = json_uint(mm_json_at(off, 1));
    if (b < 0 || en < b || (uint64_t)en > datalen)
        return mm_fail(MM_ERR_FORMAT,
                       "tensor '%s': data_offsets [%lld, %lld] outside %llu data bytes", t->name,
                       (long long)b, (long long)en, (unsigned long long)datalen);
    if ((uint64_t)(en - b) != bytes)
        return mm_fail(MM_ERR_FORMAT, "tensor '%s': %llu bytes for a shape needing %llu", t->name,
                       (unsigned long long)(en - b), (unsigned long long)bytes);
    t->begin = (uint64_t)b;
    t->end = (uint64_t)en;
    t->data = data + b;
    return MM_OK;
}

static int by_begin(const void *a, const void *b) {
    const mm_st_tensor *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Tensors must not share bytes (the format forbids it; zero-size tensors are exempt). */
static mm_err check_overlap(const mm_st *st) {
    mm_st_tensor *s = malloc(st->n * sizeof *s + 1);
    if (!s) return mm_fail(MM_ERR_NOMEM, "safetensors: out of memory");
    memcpy(s, st->t, st->n * sizeof *s);
    qsort(s, st->n, sizeof *s, by_begin);
    mm_err e = MM_OK;
    uint64_t end = 0;
    for (size_t i = 0; i < st->n && e == MM_OK; i++) {
        if (s[i].begin == s[i].end) continue;
        if (s[i].begin < end)
            e = mm_fail(MM_ERR_FORMAT, "tensor '%s' overlaps the previous tensor", s[i].name);
        end = s[i].end;
    }
    free(s);
    return e;
}

static mm_err parse_header(mm_st *st, const mm_json *root, uint64_t datalen, const uint8_t *data) {
    if (root->type != MM_JSON_OBJ)
        return mm_fail(MM_ERR_FORMAT, "safetensors: header is not an object");
    st->t = calloc(root->len + 1, sizeof *st->t);
    if (!st->t) return mm_fail(MM_ERR_NOMEM, "safetensors: out of memory");
    for (const mm_json *e = root->child; e; e = e->next) {
        if (!strcmp(e->key, "__metadata__")) {
            if (e->type != MM_JSON_OBJ)
                return mm_fail(MM_ERR_FORMAT, "safetensors: bad __metadata__");
            st->meta = e;
            continue;
        }
        for (size_t i = 0; i < st->n; i++)
            if (!strcmp(st->t[i].name, e->key))
                return mm_fail(MM_ERR_FORMAT, "tensor '%s' appears twice", e->key);
        MM_TRY(parse_entry(e, datalen, data, &st->t[st->n]));
        st->n++;
    }
    return check_overlap(st);
}

mm_err mm_st_parse(const void *bytes, size_t n, mm_st **out) {
    *out = NULL;
    const uint8_t *p = bytes;
    if (n < 8)
        return mm_fail(MM_ERR_TRUNCATED,
                       "safetensors: %zu bytes, shorter than the 8-byte header length", n);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | p[i];
    if (hlen > ST_MAX_HEADER)
        return mm_fail(MM_ERR_FORMAT, "safetensors: header length %llu is implausible",
                       (unsigned long long)hlen);
    if (hlen > n - 8)
        return mm_fail(MM_ERR_TRUNCATED,
                       "safetensors: header of %llu bytes but only %zu bytes follow",
                       (unsigned long long)hlen, n - 8);
    mm_st *st = calloc(1, sizeof *st);
    if (!st) return mm_fail(MM_ERR_NOMEM, "safetensors: out of memory");
    mm_json *root;
    mm_err e = mm_json_parse((const char *)p + 8, (size_t)hlen, &st->doc, &root);
    if (e == MM_OK) e = parse_header(st, root, n - 8 - hlen, p + 8 + hlen);
    if (e != MM_OK) {
        mm_st_free(st);
        return e;
    }
    *out = st;
    return MM_OK;
}

mm_err mm_st_open(const char *path, mm_st **out) {
    *out = NULL;
    mm_buf b = {0};
    MM_TRY(mm_read_file(path, &b));
    mm_err e = mm_st_parse(b.data, b.len, out);
    if (e != MM_OK) {
        mm_buf_free(&b);
        char detail[512];
        snprintf(detail, sizeof detail, "%s", mm_error_detail());
        return mm_fail(e, "%s: %s", path, detail);
    }
    (*out)->owned = b;
    return MM_OK;
}

void mm_st_free(mm_st *st) {
    if (!st) return;
    mm_json_doc_free(st->doc);
    mm_buf_free(&st->owned);
    free(st->t);
    free(st);
}

size_t mm_st_count(const mm_st *st) {
    return st->n;
}
const mm_st_tensor *mm_st_at(const mm_st *st, size_t i) {
    return i < st->n ? &st->t[i] : NULL;
}

const mm_st_tensor *mm_st_find(const mm_st *st, const char *name) {
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name)) return &st->t[i];
    return NULL;
}

const char *mm_st_meta(const mm_st *st, const char *key) {
    if (!st->meta) return NULL;
    const mm_json *v = mm_json_get(st->meta, key);
    return v && v->type == MM_JSON_STR ? v->str : NULL;
}

uint64_t mm_st_numel(const mm_st_tensor *t) {
    uint64_t n = 1;
    for (int d = 0; d < t->ndim; d++)
        n *= (uint64_t)t->shape[d];
    return n;
}

mm_err mm_st_read_f32(const mm_st_tensor *t, float *dst, size_t n) {
    if (strcmp(t->dtype, "F32"))
        return mm_fail(MM_ERR_UNSUPPORTED, "tensor '%s' is %s, only F32 is supported", t->name,
                       t->dtype);
    if (mm_st_numel(t) != n)
        return mm_fail(MM_ERR_MISMATCH, "tensor '%s' has %llu elements, expected %zu", t->name,
                       (unsigned long long)mm_st_numel(t), n);
    memcpy(dst, t->data, n * sizeof *dst); /* the format is little-endian, like x86 */
    return MM_OK;
}

/* ---- writing ---- */

static mm_err write_header(mm_buf *h, const mm_st_entry *t, size_t n, const char *const *meta,
                           size_t nmeta) {
    mm_jw w;
    mm_jw_init(&w, h);
    MM_TRY(mm_jw_obj_begin(&w));
    if (nmeta) {
        MM_TRY(mm_jw_key(&w, "__metadata__"));
        MM_TRY(mm_jw_obj_begin(&w));
        for (size_t i = 0; i < nmeta; i++) {
            MM_TRY(mm_jw_key(&w, meta[2 * i]));
            MM_TRY(mm_jw_string(&w, meta[2 * i + 1]));
        }
        MM_TRY(mm_jw_obj_end(&w));
    }
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t numel = 1;
        MM_TRY(mm_jw_key(&w, t[i].name));
        MM_TRY(mm_jw_obj_begin(&w));
        MM_TRY(mm_jw_key(&w, "dtype"));
        MM_TRY(mm_jw_string(&w, "F32"));
        MM_TRY(mm_jw_key(&w, "shape"));
        MM_TRY(mm_jw_arr_begin(&w));
        for (int d = 0; d < t[i].ndim; d++) {
            MM_TRY(mm_jw_int(&w, t[i].shape[d]));
            numel *= (uint64_t)t[i].shape[d];
        }
        MM_TRY(mm_jw_arr_end(&w));
        MM_TRY(mm_jw_key(&w, "data_offsets"));
        MM_TRY(mm_jw_arr_begin(&w));
        MM_TRY(mm_jw_uint(&w, off));
        off += numel * 4;
        MM_TRY(mm_jw_uint(&w, off));
        MM_TRY(mm_jw_arr_end(&w));
        MM_TRY(mm_jw_obj_end(&w));
    }
    MM_TRY(mm_jw_obj_end(&w));
    while (h->len % 8)
        MM_TRY(mm_buf_putc(h, ' ')); /* keep the data 8-byte aligned */
    return MM_OK;
}

static mm_err write_body(mm_out *o, const mm_buf *h, const mm_st_entry *t, size_t n) {
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)h->len >> (8 * i));
    MM_TRY(mm_out_write(o, len, 8));
    MM_TRY(mm_out_write(o, h->data, h->len));
    for (size_t i = 0; i < n; i++) {
        uint64_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++)
            numel *= (uint64_t)t[i].shape[d];
        if (numel) MM_TRY(mm_out_write(o, t[i].data, numel * 4));
    }
    return MM_OK;
}

mm_err mm_st_write(const char *path, const mm_st_entry *t, size_t n, const char *const *meta,
                   size_t nmeta_pairs) {
    mm_buf h = {0};
    mm_err e = write_header(&h, t, n, meta, nmeta_pairs);
    mm_out *o = NULL;
    if (e == MM_OK) e = mm_out_open(path, 0, &o);
    if (e == MM_OK) e = write_body(o, &h, t, n);
    if (e == MM_OK) {
        e = mm_out_commit(o);
    } else {
        mm_out_abort(o);
    }
    mm_buf_free(&h);
    return e;
}
