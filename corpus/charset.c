/* corpus/charset.c — any web page's bytes → valid UTF-8 (BOM, HTTP, <meta>, uchardet, iconv). */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/json.h"
#include "corpus/extract.h"
#include "corpus/html.h"

enum { NCACHE = 4, META_SCAN = 4096, DETECT_SCAN = 64 * 1024 };

typedef struct cached_cd {
    char name[40];
    iconv_t cd;
} cached_cd;

struct mm_charset {
    cached_cd cache[NCACHE];
    int next_slot;
    uchardet_t det;
    char used[40];
};

mm_charset *mm_charset_create(void) {
    mm_charset *c = mm_calloc(1, sizeof *c);
    if (!c) return NULL;
    for (int i = 0; i < NCACHE; i++)
        c->cache[i].cd = (iconv_t)-1;
    c->det = uchardet_new();
    return c;
}

void mm_charset_free(mm_charset *c) {
    if (!c) return;
    for (int i = 0; i < NCACHE; i++)
        if (c->cache[i].cd != (iconv_t)-1) iconv_close(c->cache[i].cd);
    if (c->det) uchardet_delete(c->det);
    free(c);
}

/* WHATWG's encoding labels, reduced to the ones the web really uses, mapped to the superset
 * iconv should decode with (browsers decode "iso-8859-1" as windows-1252, "gb2312" as GB18030,
 * "shift_jis" as Microsoft's CP932, …). */
static const struct {
    const char *label, *iconv;
} aliases[] = {
    {"utf-8", "UTF-8"},
    {"utf8", "UTF-8"},
    {"unicode-1-1-utf-8", "UTF-8"},
    {"iso-8859-1", "WINDOWS-1252"},
    {"iso8859-1", "WINDOWS-1252"},
    {"latin1", "WINDOWS-1252"},
    {"l1", "WINDOWS-1252"},
    {"us-ascii", "WINDOWS-1252"},
    {"ascii", "WINDOWS-1252"},
    {"cp1252", "WINDOWS-1252"},
    {"x-cp1252", "WINDOWS-1252"},
    {"iso_8859-1", "WINDOWS-1252"},
    {"ansi_x3.4-1968", "WINDOWS-1252"},
    {"cp819", "WINDOWS-1252"},
    {"ibm819", "WINDOWS-1252"},
    {"gb2312", "GB18030"},
    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},
    {"gb_2312-80", "GB18030"},
    {"chinese", "GB18030"},
    {"csgb2312", "GB18030"},
    {"euc-cn", "GB18030"},
    {"shift_jis", "CP932"},
    {"shift-jis", "CP932"},
    {"sjis", "CP932"},
    {"x-sjis", "CP932"},
    {"ms_kanji", "CP932"},
    {"windows-31j", "CP932"},
    {"csshiftjis", "CP932"},
    {"euc-kr", "CP949"},
    {"ks_c_5601-1987", "CP949"},
    {"korean", "CP949"},
    {"iso-8859-9", "WINDOWS-1254"},
    {"latin5", "WINDOWS-1254"},
    {"tis-620", "WINDOWS-874"},
    {"iso-8859-11", "WINDOWS-874"},
    {"big5", "BIG5-HKSCS"},
    {"x-x-big5", "BIG5-HKSCS"},
    {"unicode", "UTF-16LE"},
    {"utf-16", "UTF-16LE"},
    {"ucs-2", "UTF-16LE"},
};

/* Normalise a label (trim, lower-case, strip quotes) and map it to an iconv name in out. */
static void iconv_name(const char *label, size_t n, char *out, size_t cap) {
    char low[40];
    size_t k = 0;
    while (n && (isspace((unsigned char)*label) || *label == '"' || *label == '\''))
        label++, n--;
    for (size_t i = 0; i < n && k + 1 < sizeof low; i++) {
        unsigned char ch = (unsigned char)label[i];
        if (isspace(ch) || ch == '"' || ch == '\'' || ch == ';') break;
        low[k++] = (char)tolower(ch);
    }
    low[k] = 0;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (!strcmp(low, aliases[i].label)) {
            snprintf(out, cap, "%s", aliases[i].iconv);
            return;
        }
    snprintf(out, cap, "%s", low);
}

/* An iconv descriptor to UTF-8 from `name`, from the small per-context cache. */
static iconv_t get_cd(mm_charset *c, const char *name) {
    for (int i = 0; i < NCACHE; i++)
        if (c->cache[i].cd != (iconv_t)-1 && !strcmp(c->cache[i].name, name)) {
            iconv(c->cache[i].cd, NULL, NULL, NULL, NULL); /* reset shift state */
            return c->cache[i].cd;
        }
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1) return cd;
    cached_cd *slot = &c->cache[c->next_slot++ % NCACHE];
    if (slot->cd != (iconv_t)-1) iconv_close(slot->cd);
    slot->cd = cd;
    snprintf(slot->name, sizeof slot->name, "%s", name);
    return cd;
}

static bool known(mm_charset *c, const char *name) {
    return *name && (!strcmp(name, "UTF-8") || get_cd(c, name) != (iconv_t)-1);
}

static const char *find_ci(const char *h, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!strncasecmp(h + i, needle, k)) return h + i;
    return NULL;
}

/* The charset named by a <meta charset=…> or <meta http-equiv content="…; charset=…"> in the
 * first bytes (the HTML "prescan", simplified: the first "charset" inside a <meta …> tag). */
static bool meta_charset(const char *s, size_t n, char *out, size_t cap) {
    if (n > META_SCAN) n = META_SCAN;
    const char *end = s + n, *p = s;
    while ((p = find_ci(p, (size_t)(end - p), "<meta")) != NULL) {
        const char *gt = memchr(p, '>', (size_t)(end - p));
        const char *tag_end = gt ? gt : end;
        const char *cs = find_ci(p, (size_t)(tag_end - p), "charset");
        if (cs) {
            cs += 7;
            while (cs < tag_end &&
                   (isspace((unsigned char)*cs) || *cs == '=' || *cs == '"' || *cs == '\''))
                cs++;
            const char *e = cs;
            while (e < tag_end && (isalnum((unsigned char)*e) || strchr("-_.:", *e)))
                e++;
            if (e > cs) {
                iconv_name(cs, (size_t)(e - cs), out, cap);
                return true;
            }
        }
        p = tag_end;
    }
    return false;
}

static bool detect(mm_charset *c, const char *s, size_t n, char *out, size_t cap) {
    if (!c->det) return false;
    uchardet_reset(c->det);
    if (uchardet_handle_data(c->det, s, n > DETECT_SCAN ? DETECT_SCAN : n) != 0) return false;
    uchardet_data_end(c->det);
    const char *r = uchardet_get_charset(c->det);
    if (!r || !*r) return false;
    iconv_name(r, strlen(r), out, cap);
    return true;
}

/* Copy UTF-8, replacing every byte that starts no valid sequence with U+FFFD. */
static mm_err copy_utf8(const unsigned char *s, size_t n, mm_buf *out) {
    MM_TRY(mm_buf_reserve(out, n + 16));
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] < 0x80)
            run++;
        if (run > i) MM_TRY(mm_buf_append(out, s + i, run - i));
        i = run;
        if (i >= n) break;
        int k = mm_utf8_seq_len(s + i, n - i);
        if (k > 0) {
            MM_TRY(mm_buf_append(out, s + i, (size_t)k));
            i += (size_t)k;
        } else {
            MM_TRY(mm_buf_append(out, "\xEF\xBF\xBD", 3));
            i++;
        }
    }
    return MM_OK;
}

/* Decode with iconv; an invalid or incomplete sequence becomes U+FFFD and decoding goes on
 * one byte later, so any input gives valid UTF-8. */
static mm_err decode_iconv(iconv_t cd, const char *s, size_t n, mm_buf *out) {
    char *in = (char *)s;
    size_t left = n;
    while (left > 0) {
        MM_TRY(mm_buf_reserve(out, left * 2 + 64));
        char *o = out->data + out->len;
        size_t room = out->cap - out->len - 1, room0 = room;
        size_t r = iconv(cd, &in, &left, &o, &room);
        out->len += room0 - room;
        out->data[out->len] = 0;
        if (r == (size_t)-1 && (errno == EILSEQ || errno == EINVAL)) {
            MM_TRY(mm_buf_append(out, "\xEF\xBF\xBD", 3));
            in++, left--;
            iconv(cd, NULL, NULL, NULL, NULL);
        } else if (r == (size_t)-1 && errno != E2BIG) {
            return mm_fail(MM_ERR_FORMAT, "iconv: %s", strerror(errno));
        }
    }
    /* output is UTF-8 by construction, but a broken converter must not break our JSON */
    return MM_OK;
}

/* 1 = valid UTF-8 with multi-byte sequences, 0 = pure ASCII, -1 = not valid UTF-8.
 * ASCII runs are skipped eight bytes at a time: most of a page is ASCII markup. */
static int utf8_kind(const char *s, size_t n) {
    int multi = 0;
    size_t i = 0;
    while (i < n) {
        /* ASCII runs many bytes at a time: this reads every byte of every page */
#if defined(__SSE2__)
        if (i + 32 <= n) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
            if (!_mm_movemask_epi8(_mm_or_si128(a, b))) {
                i += 32;
                continue;
            }
        }
#endif
        uint64_t w;
        if (i + 8 <= n && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ull) == 0)) {
            i += 8;
            continue;
        }
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        int k = mm_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k <= 0) return -1;
        multi = 1;
        i += (size_t)k;
    }
    return multi;
}

/* Pick the charset: BOM, then valid multi-byte UTF-8 (pages that declare latin1 but are UTF-8
 * are common; the reverse, latin1 text that happens to be valid UTF-8, is vanishingly rare),
 * then the HTTP header, the <meta> prescan, uchardet, and windows-1252. A declared UTF-8 that is
 * not valid UTF-8 goes on to detection (a lying header). */
static const char *choose(mm_charset *c, const char *s, size_t n, const char *http, size_t *skip,
                          bool *valid) {
    char *nm = c->used;
    *skip = 0;
    *valid = false;
    const unsigned char *u = (const unsigned char *)s;
    if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) return *skip = 3, "UTF-8";
    if (n >= 2 && u[0] == 0xFF && u[1] == 0xFE) return *skip = 2, "UTF-16LE";
    if (n >= 2 && u[0] == 0xFE && u[1] == 0xFF) return *skip = 2, "UTF-16BE";
    int kind = utf8_kind(s, n);
    *valid = kind >= 0;
    if (kind == 1) return "UTF-8";
    if (http && *http) {
        iconv_name(http, strlen(http), nm, sizeof c->used);
        if (known(c, nm) && strcmp(nm, "UTF-8") && strncmp(nm, "UTF-16", 6)) return nm;
        if (!strcmp(nm, "UTF-8") && kind == 0) return "UTF-8";
    }
    if (meta_charset(s, n, nm, sizeof c->used) && known(c, nm) && strncmp(nm, "UTF-16", 6)) {
        if (strcmp(nm, "UTF-8") || kind == 0) return nm;
    }
    if (kind == 0) return "UTF-8"; /* plain ASCII */
    if (detect(c, s, n, nm, sizeof c->used) && known(c, nm) && strcmp(nm, "UTF-8")) return nm;
    return "WINDOWS-1252";
}

mm_err mm_charset_to_utf8(mm_charset *c, const void *in, size_t n, const char *http_charset,
                          mm_buf *out, const char **used) {
    const char *text;
    size_t len;
    MM_TRY(mm_charset_decode(c, in, n, http_charset, out, used, &text, &len));
    return text == out->data ? MM_OK : mm_buf_append(out, text, len);
}

mm_err mm_charset_decode(mm_charset *c, const void *in, size_t n, const char *http_charset,
                         mm_buf *out, const char **used, const char **text, size_t *len) {
    const char *s = in;
    size_t skip;
    bool valid;
    const char *cs = choose(c, s, n, http_charset, &skip, &valid);
    if (cs != c->used) snprintf(c->used, sizeof c->used, "%s", cs);
    for (char *p = c->used; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *used = c->used;
    mm_buf_clear(out);
    s += skip, n -= skip;
    bool utf8 = !strcmp(cs, "UTF-8") || !strcmp(c->used, "utf-8");
    if (utf8 && valid && skip == 0) { /* already what we want: no copy */
        *text = s, *len = n;
        return MM_OK;
    }
    mm_err e;
    if (utf8)
        e = copy_utf8((const unsigned char *)s, n, out);
    else {
        iconv_t cd = get_cd(c, cs == c->used ? c->used : cs);
        if (cd == (iconv_t)-1) {
            snprintf(c->used, sizeof c->used, "utf-8");
            e = copy_utf8((const unsigned char *)s, n, out);
        } else {
            e = decode_iconv(cd, s, n, out);
        }
    }
    *text = out->data ? out->data : "", *len = out->len;
    return e;
}
