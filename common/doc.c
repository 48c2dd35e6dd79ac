#include "common/doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/json.h"

void mm_doc_make_id(const char *key, size_t n, char out[17]) {
    snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits(key, n));
}

static mm_err key_str(mm_jw *w, const char *k, const char *v) {
    MM_TRY(mm_jw_key(w, k));
    return mm_jw_string(w, v ? v : "");
}

mm_err mm_doc_to_json(mm_buf *b, const mm_doc *d) {
    mm_jw w;
    mm_jw_init(&w, b);
    MM_TRY(mm_jw_obj_begin(&w));
    MM_TRY(key_str(&w, "id", d->id));
    MM_TRY(mm_jw_key(&w, "text"));
    MM_TRY(mm_jw_stringn(&w, d->text ? d->text : "", d->text ? d->text_len : 0));
    MM_TRY(key_str(&w, "source", d->source));
    MM_TRY(key_str(&w, "url", d->url));
    MM_TRY(key_str(&w, "host", d->host));
    MM_TRY(key_str(&w, "domain", d->domain));
    MM_TRY(key_str(&w, "lang", d->lang));
    MM_TRY(mm_jw_key(&w, "lang_score"));
    MM_TRY(mm_jw_double(&w, d->lang_score));
    MM_TRY(key_str(&w, "date", d->date));
    MM_TRY(mm_jw_key(&w, "warc"));
    MM_TRY(mm_jw_obj_begin(&w));
    MM_TRY(key_str(&w, "file", d->warc_file));
    MM_TRY(mm_jw_key(&w, "offset"));
    MM_TRY(mm_jw_int(&w, d->warc_offset));
    MM_TRY(key_str(&w, "record_id", d->warc_record_id));
    MM_TRY(mm_jw_obj_end(&w));
    MM_TRY(mm_jw_key(&w, "math"));
    MM_TRY(mm_jw_raw(&w, d->math_json && *d->math_json ? d->math_json : "{}"));
    if (d->truncated && *d->truncated) MM_TRY(key_str(&w, "truncated", d->truncated));
    MM_TRY(mm_jw_obj_end(&w));
    return mm_buf_putc(b, '\n');
}

struct mm_doc_reader {
    mm_lines *lines;
    char *path;
    mm_json_doc *json;
    mm_buf math;
    uint64_t bad;
    bool light;       /* mm_doc_reader_light: id, text and url only */
    mm_buf member[3]; /* their decoded values */
};

void mm_doc_reader_light(mm_doc_reader *r) {
    r->light = true;
}

/* The light path: id, text and url through mm_json_members, no tree.  Returns 1 when *d is
 * filled; 0 when the line must go through the full parser (it is broken, or has no text
 * string), which then names what is wrong exactly as it does for every reader. */
static int light_next(mm_doc_reader *r, const char *line, size_t len, mm_doc *d) {
    static const char *const keys[3] = {"id", "text", "url"};
    bool found[3];
    if (mm_json_members(line, len, keys, 3, r->member, found) != MM_OK || !found[1]) return 0;
    memset(d, 0, sizeof *d);
    d->id = found[0] ? r->member[0].data : "";
    d->text = r->member[1].data;
    d->text_len = r->member[1].len;
    d->url = found[2] ? r->member[2].data : "";
    d->source = d->host = d->domain = d->lang = d->date = "";
    d->warc_file = d->warc_record_id = d->truncated = "";
    d->warc_offset = -1;
    d->math_json = "{}";
    d->raw = line;
    d->raw_len = len;
    return 1;
}

mm_err mm_doc_reader_open(const char *path, mm_doc_reader **out) {
    *out = NULL;
    mm_doc_reader *r = mm_calloc(1, sizeof *r);
    if (!r) return MM_ERR_NOMEM;
    mm_err e = mm_lines_open(path, 256u << 20, &r->lines);
    r->path = mm_strndup(path, strlen(path));
    if (e != MM_OK || !r->path) {
        mm_doc_reader_close(r);
        return e ? e : MM_ERR_NOMEM;
    }
    *out = r;
    return MM_OK;
}

static const char *str_or_empty(const mm_json *o, const char *k) {
    return mm_json_get_str(o, k, "");
}

/* Re-serialise the "math" object compactly (it is small: a few counters). */
static mm_err math_to_json(mm_buf *b, const mm_json *m) {
    mm_buf_clear(b);
    if (!m || m->type != MM_JSON_OBJ) return mm_buf_puts(b, "{}");
    mm_jw w;
    mm_jw_init(&w, b);
    MM_TRY(mm_jw_obj_begin(&w));
    for (const mm_json *c = m->child; c; c = c->next) {
        if (c->type != MM_JSON_NUM) continue;
        MM_TRY(mm_jw_key(&w, c->key));
        MM_TRY(mm_jw_double(&w, c->num));
    }
    return mm_jw_obj_end(&w);
}

int mm_doc_reader_next(mm_doc_reader *r, mm_doc *d, mm_err *err) {
    const char *line;
    size_t len;
    *err = MM_OK;
    for (;;) {
        int got = mm_lines_next(r->lines, &line, &len, err);
        if (got <= 0) return 0;
        if (len == 0) continue; /* blank lines are not records */
        if (r->light && light_next(r, line, len, d)) return 1;
        mm_json_doc_free(r->json);
        r->json = NULL;
        mm_json *root;
        mm_err e = mm_json_parse(line, len, &r->json, &root);
        if (e == MM_OK && root->type != MM_JSON_OBJ)
            e = mm_fail(MM_ERR_FORMAT, "not a JSON object");
        const mm_json *text = e == MM_OK ? mm_json_get(root, "text") : NULL;
        if (e == MM_OK && (!text || text->type != MM_JSON_STR))
            e = mm_fail(MM_ERR_FORMAT, "no \"text\" string");
        if (e != MM_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", mm_error_detail());
            mm_fail(e, "%s: line %llu (byte %llu): %s; line skipped", r->path,
                    (unsigned long long)mm_lines_number(r->lines),
                    (unsigned long long)mm_lines_offset(r->lines), why);
            r->bad++;
            return -1;
        }
        memset(d, 0, sizeof *d);
        d->text = text->str;
        d->text_len = text->len;
        d->id = str_or_empty(root, "id");
        d->source = str_or_empty(root, "source");
        d->url = str_or_empty(root, "url");
        d->host = str_or_empty(root, "host");
        d->domain = str_or_empty(root, "domain");
        d->lang = str_or_empty(root, "lang");
        d->date = str_or_empty(root, "date");
        d->lang_score = mm_json_get_num(root, "lang_score", 0);
        const mm_json *warc = mm_json_get(root, "warc");
        d->warc_file = str_or_empty(warc, "file");
        d->warc_record_id = str_or_empty(warc, "record_id");
        d->warc_offset = (int64_t)mm_json_get_num(warc, "offset", -1);
        if ((*err = math_to_json(&r->math, mm_json_get(root, "math"))) != MM_OK) return 0;
        d->math_json = r->math.data;
        d->truncated = str_or_empty(root, "truncated");
        d->raw = line;
        d->raw_len = len;
        return 1;
    }
}

uint64_t mm_doc_reader_bad(const mm_doc_reader *r) {
    return r->bad;
}
uint64_t mm_doc_reader_bytes(const mm_doc_reader *r) {
    return mm_lines_offset(r->lines);
}

void mm_doc_reader_close(mm_doc_reader *r) {
    if (!r) return;
    mm_lines_close(r->lines);
    mm_json_doc_free(r->json);
    mm_buf_free(&r->math);
    for (int k = 0; k < 3; k++)
        mm_buf_free(&r->member[k]);
    free(r->path);
    free(r);
}
