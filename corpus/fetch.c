/* corpus/fetch.c — an http(s):// input that survives the internet.  See fetch.h and
 * mm_http_retry in warc.h.
 *
 * One libcurl easy handle per URL, driven through a multi handle so that reading stays a pull
 * (the WARC reader asks for bytes; libcurl hands over one receive buffer per perform call, so
 * memory stays bounded).  No CURLOPT_FAILONERROR: it would end an error response before its
 * Retry-After header is seen, so the status comes from our header callback and an error body
 * is dropped.
 *
 * Resuming: `have` counts the body bytes accepted so far.  A retry after some bytes asks for
 * "Range: bytes=have-".  The first body bytes of an attempt decide what it is:
 *   206 whose Content-Range starts at `have`  → the continuation, kept;
 *   206 starting elsewhere                    → abandoned; later attempts ask without Range;
 *   200                                       → the whole body again: its first `have` bytes
 *                                               are dropped, the rest kept;
 *   anything else (an error status)           → dropped; the attempt fails on its status. */
#include "corpus/fetch.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "corpus/curl_dl.h"

struct mm_fetch {
    const mm_curl_api *c;
    CURLM *multi;
    CURL *easy;
    char *url, *name;
    mm_http_retry o;
    mm_http_fetch_stats *st, own_st;
    char curl_err[CURL_ERROR_SIZE];
    mm_buf pend; /* received, not yet read */
    size_t pend_pos;
    uint64_t have;  /* body bytes accepted so far: the offset of the next one */
    unsigned tries; /* attempts started */
    bool ended, failed, no_range;
    char last[200]; /* why the last attempt failed */
    unsigned seed;  /* jitter */
    /* the current attempt */
    int status;          /* of the last status line (redirects followed) */
    double retry_after;  /* seconds, -1 none */
    int64_t range_start; /* a 206's Content-Range start, -1 none */
    uint64_t skip;       /* bytes of this attempt's body still to drop */
    bool asked_range, body_started, keep, mismatch, nomem;
};

/* ---- options ----------------------------------------------------------------------------------
 * ---- */

static double env_num(const char *name, double dflt) {
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *end;
    double d = strtod(v, &end);
    return end != v && !*end && d >= 0 ? d : dflt;
}

void mm_http_retry_defaults(mm_http_retry *r) {
    double tries = env_num("MM_HTTP_TRIES", 5);
    r->tries = tries >= 1 ? (unsigned)tries : 1;
    r->delay_s = env_num("MM_HTTP_DELAY", 1);
    r->max_delay_s = env_num("MM_HTTP_MAX_DELAY", 60);
    r->timeout_s = env_num("MM_HTTP_TIMEOUT", 60);
}

static void fill_opts(mm_http_retry *o, const mm_http_retry *given) {
    mm_http_retry d;
    mm_http_retry_defaults(&d);
    *o = given ? *given : d;
    if (!o->tries) o->tries = d.tries;
    if (!o->delay_s) o->delay_s = d.delay_s;
    if (!o->max_delay_s) o->max_delay_s = d.max_delay_s;
    if (!o->timeout_s) o->timeout_s = d.timeout_s;
}

/* ---- libcurl callbacks ------------------------------------------------------------------------
 * ---- */

/* Retry-After: delta seconds or an HTTP date; -1 when neither. */
static double parse_retry_after(const char *v) {
    char *end;
    double d = strtod(v, &end);
    if (end != v && (*end == 0 || *end == '\r' || *end == '\n' || *end == ' '))
        return isnan(d) ? -1 : d < 0 ? 0 : d;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!strptime(v, "%a, %d %b %Y %H:%M:%S", &tm)) return -1;
    double wait = difftime(timegm(&tm), time(NULL));
    return wait > 0 ? wait : 0;
}

void mm_fetch_header(const char *b, size_t len, int *status, double *retry_after,
                     int64_t *range_start) {
    char line[512];
    size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, b, k);
    line[k] = 0;
    if (!strncasecmp(line, "HTTP/", 5)) {
        *status = mm_http_status((const unsigned char *)line, k);
        *retry_after = -1, *range_start = -1;
    } else if (!strncasecmp(line, "Retry-After:", 12)) {
        *retry_after = parse_retry_after(line + 12 + strspn(line + 12, " \t"));
    } else if (!strncasecmp(line, "Content-Range:", 14)) {
        unsigned long long a;
        if (sscanf(line + 14, " bytes %llu-", &a) == 1 && a <= INT64_MAX) *range_start = (int64_t)a;
    }
}

static size_t header_cb(char *b, size_t size, size_t n, void *ud) {
    mm_fetch *f = ud;
    mm_fetch_header(b, size * n, &f->status, &f->retry_after, &f->range_start);
    return size * n;
}

/* The first body bytes of an attempt: keep them, drop them, or abandon the attempt. */
static bool body_start(mm_fetch *f) {
    f->body_started = true;
    if (f->status / 100 != 2) return f->keep = false, true;
    f->keep = true;
    if (f->status == 206) {
        if (f->asked_range && f->range_start == (int64_t)f->have) {
            f->st->resumes++;
            return true;
        }
        snprintf(f->last, sizeof f->last, "HTTP 206 from byte %lld when byte %llu was asked for",
                 (long long)f->range_start, (unsigned long long)f->have);
        f->no_range = f->mismatch = true;
        return false;
    }
    if (f->have > 0) { /* Range ignored: the whole body again */
        f->skip = f->have;
        f->st->restarts++;
    }
    return true;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud) {
    mm_fetch *f = ud;
    size_t len = size * n, off = 0;
    if (!f->body_started && !body_start(f)) return 0;
    if (!f->keep) return len;
    if (f->skip) {
        off = f->skip < len ? (size_t)f->skip : len;
        f->skip -= off;
    }
    if (mm_buf_append(&f->pend, p + off, len - off) != MM_OK) return f->nomem = true, 0;
    f->have += len - off;
    return len;
}

/* ---- attempts ---------------------------------------------------------------------------------
 * ---- */

static mm_err attempt_start(mm_fetch *f) {
    const mm_curl_api *c = f->c;
    f->tries++;
    f->st->tries++;
    if (f->tries > 1) f->st->retries++;
    f->status = 0, f->retry_after = -1, f->range_start = -1, f->skip = 0;
    f->body_started = f->keep = f->mismatch = false;
    f->curl_err[0] = 0;
    char range[32];
    f->asked_range = f->have > 0 && !f->no_range;
    snprintf(range, sizeof range, "%llu-", (unsigned long long)f->have);
    c->easy_setopt(f->easy, CURLOPT_RANGE, f->asked_range ? range : NULL);
    if (c->multi_add_handle(f->multi, f->easy) != CURLM_OK)
        return mm_fail(MM_ERR_IO, "%s: cannot start libcurl", f->name);
    return MM_OK;
}

static bool retryable_curl(CURLcode rc) {
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_REMOTE_ACCESS_DENIED:
    case CURLE_LOGIN_DENIED:
    case CURLE_FILESIZE_EXCEEDED:
        return false;
    default:
        return true;
    }
}

/* Seconds to wait before retry number `k` (1 = the first): delay·2^(k-1), capped, drawn from
 * [d/2, d]; a Retry-After the server sent instead, capped the same way. */
static double backoff(mm_fetch *f, unsigned k) {
    if (f->retry_after >= 0)
        return f->retry_after < f->o.max_delay_s ? f->retry_after : f->o.max_delay_s;
    double d = f->o.delay_s * ldexp(1.0, (int)(k < 60 ? k - 1 : 59));
    if (d > f->o.max_delay_s) d = f->o.max_delay_s;
    return d / 2 + d / 2 * ((double)rand_r(&f->seed) / RAND_MAX);
}

static void nap(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL); /* a signal ends the wait early: the caller's stop flag takes over */
}

/* The attempt ended with libcurl's `rc`: done, retried after a delay, or failed for good. */
static mm_err attempt_end(mm_fetch *f, CURLcode rc) {
    f->c->multi_remove_handle(f->multi, f->easy);
    if (f->nomem) return f->failed = true, mm_fail(MM_ERR_NOMEM, "%s: out of memory", f->name);
    int s = f->status;
    bool retry;
    if (rc == CURLE_OK && s / 100 == 2) {
        f->ended = true;
        return MM_OK;
    }
    if (f->mismatch) {
        retry = true;
    } else if (s >= 300 && (rc == CURLE_OK || !f->keep)) {
        retry = s == 408 || s == 429 || s >= 500;
        snprintf(f->last, sizeof f->last, "HTTP %d", s);
    } else {
        retry = retryable_curl(rc);
        if (rc == CURLE_OPERATION_TIMEDOUT)
            snprintf(f->last, sizeof f->last, "timed out (nothing received for %g s)",
                     f->o.timeout_s);
        else
            snprintf(f->last, sizeof f->last, "%s",
                     f->curl_err[0] ? f->curl_err : f->c->easy_strerror(rc));
    }
    if (!retry || f->tries >= f->o.tries) {
        f->failed = true;
        return mm_fail(MM_ERR_IO, "%s: byte %llu: download failed after %u %s: %s", f->name,
                       (unsigned long long)f->have, f->tries, f->tries == 1 ? "try" : "tries",
                       f->last);
    }
    nap(backoff(f, f->tries));
    return attempt_start(f);
}

/* Drive the transfer until some bytes arrived, it ended, or it failed for good. */
static mm_err pump(mm_fetch *f) {
    while (f->pend.len == f->pend_pos && !f->ended) {
        if (f->failed) return mm_fail(MM_ERR_IO, "%s: download failed", f->name);
        int still = 0, left;
        f->c->multi_perform(f->multi, &still);
        if (f->pend.len > f->pend_pos) break;
        CURLMsg *m = f->c->multi_info_read(f->multi, &left);
        if (m && m->msg == CURLMSG_DONE) {
            MM_TRY(attempt_end(f, m->data.result));
            continue;
        }
        f->c->multi_poll(f->multi, NULL, 0, 1000, NULL);
    }
    return MM_OK;
}

/* ---- API --------------------------------------------------------------------------------------
 * ---- */

mm_err mm_fetch_open(const char *url, const char *name, const mm_http_retry *opts,
                     mm_http_fetch_stats *stats, mm_fetch **out) {
    *out = NULL;
    const mm_curl_api *c;
    MM_TRY(mm_curl_load(name, &c));
    mm_fetch *f = mm_calloc(1, sizeof *f);
    if (!f) return MM_ERR_NOMEM;
    f->c = c;
    f->st = stats ? stats : &f->own_st;
    fill_opts(&f->o, opts);
    f->seed = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)f;
    f->url = mm_strndup(url, strlen(url));
    f->name = mm_strndup(name, strlen(name));
    f->easy = c->easy_init();
    f->multi = c->multi_init();
    if (!f->url || !f->name || !f->easy || !f->multi) {
        mm_fetch_close(f);
        return mm_fail(MM_ERR_NOMEM, "%s: cannot start libcurl", name);
    }
    long timeout = (long)ceil(f->o.timeout_s);
    c->easy_setopt(f->easy, CURLOPT_URL, f->url);
    c->easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, write_cb);
    c->easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
    c->easy_setopt(f->easy, CURLOPT_HEADERFUNCTION, header_cb);
    c->easy_setopt(f->easy, CURLOPT_HEADERDATA, f);
    c->easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 1L);
    c->easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->curl_err);
    c->easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
    c->easy_setopt(f->easy, CURLOPT_USERAGENT, "mathmine/0.1 (WARC reader)");
    c->easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(f->o.timeout_s * 1000));
    /* a stalled transfer: under 1 byte/s for `timeout` seconds (waiting for the response too) */
    c->easy_setopt(f->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c->easy_setopt(f->easy, CURLOPT_LOW_SPEED_TIME, timeout > 0 ? timeout : 1L);
    mm_err e = attempt_start(f);
    if (e != MM_OK) return mm_fetch_close(f), e;
    *out = f;
    return MM_OK;
}

ssize_t mm_fetch_read(mm_fetch *f, void *dst, size_t cap, mm_err *err) {
    mm_err e = pump(f);
    if (e != MM_OK) return *err = e, -1;
    size_t n = f->pend.len - f->pend_pos;
    if (n > cap) n = cap;
    if (n) memcpy(dst, f->pend.data + f->pend_pos, n);
    f->pend_pos += n;
    if (f->pend_pos == f->pend.len) f->pend_pos = 0, f->pend.len = 0;
    return (ssize_t)n;
}

void mm_fetch_close(mm_fetch *f) {
    if (!f) return;
    if (f->multi) {
        if (f->easy) f->c->multi_remove_handle(f->multi, f->easy);
        f->c->multi_cleanup(f->multi);
    }
    if (f->easy) f->c->easy_cleanup(f->easy);
    mm_buf_free(&f->pend);
    free(f->url);
    free(f->name);
    free(f);
}
