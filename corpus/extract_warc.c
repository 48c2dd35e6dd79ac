/* corpus/extract_warc.c — one WARC → one document shard (see mm_extract_warc in extract.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/doc.h"
#include "common/io.h"
#include "corpus/extract.h"
#include "corpus/langid.h"
#include "corpus/url.h"
#include "corpus/warc.h"

typedef struct run {
    mm_extract *x;
    const mm_extract_file_opts *o;
    mm_extract_stats *st;
    mm_http *http;
    mm_out *out;
    mm_buf line, math;
    const char *file; /* basename of the WARC */
    size_t max_bytes;
    uint64_t good;     /* records the reader returned (rc > 0) */
    bool cut;          /* the input ends inside a record: the file is incomplete */
    char cut_why[512]; /* the message naming file, byte and reason (cut, or no record) */
} run;

void mm_extract_stats_add(mm_extract_stats *into, const mm_extract_stats *s) {
    uint64_t *a = (uint64_t *)into;
    const uint64_t *b = (const uint64_t *)s;
    for (size_t i = 0; i < sizeof *s / sizeof(uint64_t); i++)
        a[i] += b[i];
}

static size_t utf8_chars(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* "zh" keeps "zh" and "zh-Hant"; "zh-Hant" keeps only itself. */
static bool lang_wanted(const mm_extract_file_opts *o, const char *lang) {
    if (!o->langs || !o->nlangs) return true;
    for (size_t i = 0; i < o->nlangs; i++) {
        size_t k = strlen(o->langs[i]);
        if (!strncmp(lang, o->langs[i], k) && (lang[k] == 0 || lang[k] == '-')) return true;
    }
    return false;
}

/* The charset= parameter of a Content-Type value, copied to out ("" when none). */
static const char *ct_charset(const char *ct, char *out, size_t cap) {
    const char *p = strcasestr(ct, "charset=");
    size_t k = 0;
    if (p)
        for (p += 8; *p && *p != ';' && *p != ' ' && *p != '"' && k + 1 < cap; p++)
            out[k++] = *p;
    out[k] = 0;
    return out;
}

/* The payload of a response (HTTP-decoded) or resource record; false = skipped and counted.
 * *cut is set to "http" when the HTTP body's chunking or compression broke off. */
static bool payload(run *r, const mm_warc_record *rec, const unsigned char **body, size_t *n,
                    const char **ct, const char **charset, const char **cut) {
    if (rec->type == MM_WARC_RESOURCE) {
        *body = rec->block, *n = rec->block_len, *ct = rec->content_type, *charset = "";
        return true;
    }
    mm_http_response h;
    if (mm_http_parse(r->http, rec->block, rec->block_len, &h) != MM_OK || h.status == 0) {
        r->st->skip_http_error++;
        return false;
    }
    if (h.status == 206) { /* a byte range of a page, not the page */
        r->st->skip_http_partial++;
        return false;
    }
    if (h.status < 200 || h.status >= 300) {
        r->st->skip_status++;
        return false;
    }
    if (h.body_truncated && h.body_len >= r->max_bytes) {
        r->st->skip_too_large++;
        return false;
    }
    *body = h.body, *n = h.body_len, *ct = h.content_type, *charset = h.charset;
    if (h.body_truncated && !**cut) *cut = "http"; /* the record's own reason comes first */
    return true;
}

static mm_err write_doc(run *r, const mm_warc_record *rec, const mm_extract_result *res,
                        const char *lang, double score, const char *cut) {
    char id[17], host[256], domain[256];
    const char *key = *rec->record_id ? rec->record_id : rec->target_uri;
    mm_doc_make_id(key, strlen(key), id);
    mm_url_host(rec->target_uri, host, sizeof host);
    mm_url_domain(host, domain, sizeof domain);
    mm_buf_clear(&r->math);
    MM_TRY(mm_extract_math_json(&res->math, &r->math));
    mm_doc d = {.id = id,
                .text = res->text,
                .text_len = res->text_len,
                .source = "web",
                .url = rec->target_uri,
                .host = host,
                .domain = domain,
                .lang = lang,
                .lang_score = score,
                .date = rec->date,
                .warc_file = r->file,
                .warc_record_id = rec->record_id,
                .warc_offset = (int64_t)rec->offset,
                .math_json = r->math.data,
                .truncated = cut};
    mm_buf_clear(&r->line);
    MM_TRY(mm_doc_to_json(&r->line, &d));
    r->st->bytes_out += r->line.len;
    r->st->extracted++;
    mm_extract_stats_doc(r->st, res);
    r->st->truncated += *cut != 0;
    return mm_out_write(r->out, r->line.data, r->line.len);
}

/* Filters on the text (length, language), then the document. */
static mm_err text_doc(run *r, const mm_warc_record *rec, const mm_extract_result *res,
                       const char *cut) {
    if (res->text_len == 0) return r->st->skip_empty++, MM_OK;
    if (utf8_chars(res->text, res->text_len) < r->o->min_chars)
        return r->st->skip_min_chars++, MM_OK;
    char lang[16];
    double score = mm_lang_detect(res->text, res->text_len, lang, sizeof lang);
    if (!lang_wanted(r->o, lang)) return r->st->skip_lang++, MM_OK;
    return write_doc(r, rec, res, lang, score, cut);
}

/* A WET record: the crawler's plain text of a page, taken as it is. */
static mm_err conversion(run *r, const mm_warc_record *rec) {
    r->st->conversions++;
    const char *ct = rec->content_type;
    while (*ct == ' ')
        ct++;
    if (*ct && strncasecmp(ct, "text/plain", 10)) return r->st->skip_not_html++, MM_OK;
    if (rec->oversized || !rec->block || rec->block_len > r->max_bytes)
        return r->st->skip_too_large++, MM_OK;
    char cs[64];
    mm_extract_result res;
    MM_TRY(mm_extract_text(r->x, rec->block, rec->block_len, ct_charset(ct, cs, sizeof cs), &res));
    r->st->text_docs++;
    return text_doc(r, rec, &res, mm_warc_trunc_name(rec->truncated));
}

static mm_err one_record(run *r, const mm_warc_record *rec) {
    if (rec->type == MM_WARC_CONVERSION) return conversion(r, rec);
    if (rec->type != MM_WARC_RESPONSE && rec->type != MM_WARC_RESOURCE) return MM_OK;
    r->st->responses++;
    if (rec->oversized || !rec->block) {
        r->st->skip_too_large++;
        return MM_OK;
    }
    const unsigned char *body;
    size_t n;
    const char *ct, *charset, *cut = mm_warc_trunc_name(rec->truncated);
    if (!payload(r, rec, &body, &n, &ct, &charset, &cut)) return MM_OK;
    if (!mm_extract_is_html(ct, body, n)) {
        r->st->skip_not_html++;
        return MM_OK;
    }
    if (n > r->max_bytes) {
        r->st->skip_too_large++;
        return MM_OK;
    }
    r->st->html++;
    r->st->html_bytes += n;
    mm_extract_result res;
    MM_TRY(mm_extract_html(r->x, body, n, charset, &res));
    return text_doc(r, rec, &res, cut);
}

/* Whether the input ends inside a record, as seen after each reader event: a record returned
 * cut short by the end of the input, its gzip member or its compressed stream, or a damaged one
 * skipped because it was cut (header or block).  A later good record clears it: damage in the
 * middle is counted and skipped, only an input that stops inside a record is incomplete. */
static void track_end(run *r, mm_warc *w, int rc, const mm_warc_record *rec, uint64_t cut_before) {
    if (rc > 0) {
        r->good++;
        mm_warc_trunc t = rec->truncated;
        r->cut = t == MM_WARC_TRUNC_EOF || t == MM_WARC_TRUNC_GZIP || t == MM_WARC_TRUNC_STREAM;
        if (r->cut)
            snprintf(r->cut_why, sizeof r->cut_why,
                     "%s: byte %llu: the input ends inside this record (cut short: %s)", r->file,
                     (unsigned long long)rec->offset, mm_warc_trunc_name(t));
        return;
    }
    const mm_warc_stats *ws = mm_warc_get_stats(w);
    uint64_t cut_now = ws->skipped_truncated + ws->skipped_bad_gzip;
    if (cut_now != cut_before) r->cut = true;
    if (cut_now != cut_before || !r->good)
        snprintf(r->cut_why, sizeof r->cut_why, "%s", mm_error_detail());
}

static mm_err loop(run *r, mm_warc *w) {
    mm_warc_record rec;
    mm_err err = MM_OK;
    uint64_t last_bytes = 0, pending = 0;
    int rc;
    for (;;) {
        const mm_warc_stats *ws = mm_warc_get_stats(w);
        uint64_t cut_before = ws->skipped_truncated + ws->skipped_bad_gzip;
        if ((rc = mm_warc_next(w, &rec, &err)) == 0) break;
        track_end(r, w, rc, &rec, cut_before);
        if (r->o->stop && *r->o->stop) return mm_fail(MM_ERR_IO, "interrupted");
        r->st->records++;
        if (rc < 0) {
            r->st->skip_damaged++;
            continue;
        }
        MM_TRY(one_record(r, &rec));
        if (r->o->progress && ++pending >= 64) {
            uint64_t b = mm_warc_get_stats(w)->bytes_in;
            r->o->progress(r->o->progress_ctx, pending, b - last_bytes);
            last_bytes = b, pending = 0;
        }
    }
    if (r->o->progress)
        r->o->progress(r->o->progress_ctx, pending, mm_warc_get_stats(w)->bytes_in - last_bytes);
    return err;
}

/* An input with no WARC record at all (empty, random bytes, another format) or one that ends
 * inside a record fails, so its shard is not marked done and a rerun with the whole file redoes
 * it; o->keep_cut keeps the shard of a cut input (its last document marked truncated). */
static mm_err incomplete(run *r) {
    if (!r->good)
        return mm_fail(MM_ERR_FORMAT, "%s", r->cut_why[0] ? r->cut_why : "no WARC record found");
    if (!r->cut) return MM_OK;
    r->st->inputs_cut++;
    if (r->o->keep_cut) return MM_OK;
    return mm_fail(MM_ERR_TRUNCATED,
                   "%s; the file is incomplete, so no shard was written (fetch the whole file, "
                   "or give --keep-cut to keep what was read)",
                   r->cut_why);
}

mm_err mm_extract_warc(mm_extract *x, const char *in, const char *out,
                       const mm_extract_file_opts *o, mm_extract_stats *st) {
    run r = {.x = x, .o = o, .st = st};
    r.max_bytes = o->extract.max_bytes ? o->extract.max_bytes : 8u << 20;
    const char *slash = strrchr(in, '/');
    r.file = slash ? slash + 1 : in;
    mm_warc_opts wo = {.max_record = r.max_bytes * 4 + (1u << 20), .name = in, .http = o->http};
    mm_warc *w;
    MM_TRY(mm_warc_open(in, &wo, &w));
    r.http = mm_http_create(r.max_bytes + 1);
    mm_err e = r.http ? mm_out_open(out, o->zstd_level ? o->zstd_level : 3, &r.out)
                      : mm_fail(MM_ERR_NOMEM, "out of memory");
    if (e == MM_OK) e = loop(&r, w);
    const mm_warc_stats *ws = mm_warc_get_stats(w);
    st->bytes_in += ws->bytes_in;
    st->http_retries += ws->http.retries;
    st->http_resumes += ws->http.resumes;
    st->http_restarts += ws->http.restarts;
    if (e == MM_OK) e = incomplete(&r);
    if (e == MM_OK)
        e = mm_out_commit(r.out);
    else
        mm_out_abort(r.out);
    mm_warc_close(w);
    mm_http_free(r.http);
    mm_buf_free(&r.line);
    mm_buf_free(&r.math);
    return e;
}
