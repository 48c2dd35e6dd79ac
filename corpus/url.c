/* corpus/url.c — host and registered domain (libpsl). */
#include "corpus/url.h"

#include <ctype.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

/* The system's list (/usr/share/publicsuffix, updated by the publicsuffix package) is newer than
 * the one compiled into libpsl; fall back to the built-in one when it is missing. */
static void psl_init(void) {
    psl = psl_latest(NULL);
    if (!psl) psl = psl_builtin();
}

void mm_url_host(const char *url, char *out, size_t cap) {
    if (!cap) return;
    out[0] = 0;
    const char *p = strstr(url, "://");
    if (!p) return;
    p += 3;
    size_t end = strcspn(p, "/?#");
    const char *at = memchr(p, '@', end);
    if (at) {
        end -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    size_t hl = end;
    if (p[0] == '[') {
        const char *rb = memchr(p, ']', end);
        hl = rb ? (size_t)(rb - p + 1) : end;
    } else {
        const char *colon = memchr(p, ':', end);
        if (colon) hl = (size_t)(colon - p);
    }
    while (hl > 0 && p[hl - 1] == '.')
        hl--;
    if (hl >= cap) hl = cap - 1;
    for (size_t i = 0; i < hl; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[hl] = 0;
}

static int is_ip(const char *h) {
    if (h[0] == '[') return 1;
    for (const char *s = h; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '.') return 0;
    return 1;
}

void mm_url_domain(const char *host, char *out, size_t cap) {
    if (!cap) return;
    pthread_once(&psl_once, psl_init);
    const char *d = NULL;
    if (psl && *host && !is_ip(host)) d = psl_registrable_domain(psl, host);
    snprintf(out, cap, "%s", d ? d : host);
}
