#include "corpus/iterate_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/url.h"

mm_err iter_counts_init(iter_counts *c) {
    memset(c, 0, sizeof *c);
    c->keys = mm_strmap_create();
    return c->keys ? MM_OK : mm_fail(MM_ERR_NOMEM, "counter map");
}

void iter_counts_free(iter_counts *c) {
    mm_strmap_free(c->keys);
    free(c->pages);
    free(c->collected);
    free(c->tokens);
    memset(c, 0, sizeof *c);
}

static mm_err grow_arrays(iter_counts *c, size_t need) {
    if (need <= c->cap) return MM_OK;
    size_t cap = c->cap ? c->cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    uint64_t **arrs[] = {&c->pages, &c->collected, &c->tokens};
    for (int i = 0; i < 3; i++) {
        uint64_t *p = realloc(*arrs[i], cap * sizeof **arrs[i]);
        if (!p) return mm_fail(MM_ERR_NOMEM, "counters for %zu keys", cap);
        memset(p + c->cap, 0, (cap - c->cap) * sizeof *p);
        *arrs[i] = p;
    }
    c->cap = cap;
    return MM_OK;
}

mm_err iter_counts_add(iter_counts *c, const char *key, uint64_t pages, uint64_t collected,
                       uint64_t tokens) {
    int64_t k = mm_strmap_put(c->keys, key, strlen(key), NULL);
    if (k < 0) return mm_fail(MM_ERR_NOMEM, "counter map");
    MM_TRY(grow_arrays(c, (size_t)k + 1));
    c->pages[k] += pages;
    c->collected[k] += collected;
    c->tokens[k] += tokens;
    return MM_OK;
}

mm_err iter_counts_merge(iter_counts *into, const iter_counts *from) {
    size_t n = mm_strmap_size(from->keys);
    for (size_t i = 0; i < n; i++)
        MM_TRY(iter_counts_add(into, mm_strmap_key(from->keys, i), from->pages[i],
                               from->collected[i], from->tokens[i]));
    return MM_OK;
}

static const iter_counts *order_ctx; /* qsort has no context argument; calls are not nested */

static int cmp_pages(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    uint64_t px = order_ctx->pages[x], py = order_ctx->pages[y];
    if (px != py) return px > py ? -1 : 1;
    return strcmp(mm_strmap_key(order_ctx->keys, x), mm_strmap_key(order_ctx->keys, y));
}

size_t *iter_counts_order(const iter_counts *c) {
    size_t n = mm_strmap_size(c->keys);
    size_t *idx = mm_malloc((n ? n : 1) * sizeof *idx);
    if (!idx) return NULL;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    order_ctx = c;
    qsort(idx, n, sizeof *idx, cmp_pages);
    return idx;
}

void mm_iter_url_prefixes(const char *url, char *p0, char *p1, char *p2, size_t cap) {
    p0[0] = p1[0] = p2[0] = 0;
    char host[512];
    mm_url_host(url, host, sizeof host);
    if (!host[0]) return;
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    s += strcspn(s, "/?#"); /* skip the authority */
    size_t plen = *s == '/' ? strcspn(s, "?#") : 0;
    /* directory segments are those followed by another '/' */
    const char *seg = s + 1, *end = s + plen;
    const char *slash1 = plen ? memchr(seg, '/', (size_t)(end - seg)) : NULL;
    if (!slash1 || slash1 == seg) { /* a page at the top of its site */
        snprintf(p0, cap, "%s/", host);
        return;
    }
    snprintf(p1, cap, "%s/%.*s/", host, (int)(slash1 - seg), seg);
    const char *seg2 = slash1 + 1;
    const char *slash2 = seg2 < end ? memchr(seg2, '/', (size_t)(end - seg2)) : NULL;
    if (!slash2 || slash2 == seg2) return;
    snprintf(p2, cap, "%s/%.*s/%.*s/", host, (int)(slash1 - seg), seg, (int)(slash2 - seg2), seg2);
}

void mm_iter_page_key(const char *url, const char *domain, mm_iter_key key, char *out, size_t cap) {
    char host[512];
    if (key == MM_ITER_KEY_DOMAIN && domain && domain[0]) {
        snprintf(out, cap, "%s", domain);
        return;
    }
    mm_url_host(url ? url : "", host, sizeof host);
    if (key == MM_ITER_KEY_DOMAIN)
        mm_url_domain(host, out, cap);
    else
        snprintf(out, cap, "%s", host);
}

bool mm_iter_domain_is_math(uint64_t pages, uint64_t collected, double threshold,
                            uint64_t min_pages) {
    return pages >= min_pages && pages > 0 && (double)collected / (double)pages > threshold;
}

double mm_iter_domain_cut(double threshold, double lift, uint64_t collected, uint64_t pool_pages) {
    double base = pool_pages ? lift * (double)collected / (double)pool_pages : 0;
    return base > threshold ? base : threshold;
}
