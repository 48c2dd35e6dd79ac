/* dedup/keyed.c — URL and exact dedup: map, merge, filter (dedup.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/buf.h"
#include "common/doc.h"
#include "dedup/dedup.h"
#include "dedup/runs.h"
#include "dedup/urlnorm.h"
#include "dedup/words.h"

static const char KEYS_MAGIC[8] = "MMDDKEY1";
static const char DROP_MAGIC[8] = "MMDDDRP1";

typedef struct keyrec {
    uint64_t k1, k2, date, len;
    uint32_t pos, pad;
} keyrec;

void mm_dedup_stats_add(mm_dedup_stats *a, const mm_dedup_stats *b) {
    a->docs += b->docs, a->keyed += b->keyed, a->bad += b->bad, a->groups += b->groups;
    a->dropped += b->dropped, a->kept += b->kept, a->bytes += b->bytes, a->skipped += b->skipped;
}

void mm_dedup_text_key(const char *text, size_t n, uint64_t key[2], uint64_t *words) {
    uint64_t w, a = 0, c = 0, k = 0;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, text, n);
    while (mm_dedup_iter_next(&it, &w, NULL, NULL)) {
        a = a * 0x9E3779B97F4A7C15ull + w;
        c = c * 0xD6E8FEB86659FD93ull + (w ^ 0x5851F42D4C957F2Dull);
        k++;
    }
    key[0] = mm_dedup_mix64(a + k);
    key[1] = mm_dedup_mix64(c ^ (k * 0xC2B2AE3D27D4EB4Full));
    *words = k;
}

static int cmp_key(const void *x, const void *y) {
    const keyrec *a = x, *b = y;
    if (a->k1 != b->k1) return a->k1 < b->k1 ? -1 : 1;
    if (a->k2 != b->k2) return a->k2 < b->k2 ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The id checksum of a document (runs.h). */
static uint64_t id_hash(const mm_doc *d) {
    return XXH3_64bits(d->id, strlen(d->id));
}

mm_err mm_dedup_map(mm_dedup_kind kind, const char *shard, const mm_attrs *skip,
                    const char *keys_path, mm_dedup_stats *st) {
    memset(st, 0, sizeof *st);
    mm_doc_reader *r;
    MM_TRY(mm_doc_reader_open(shard, &r));
    keyrec *recs = NULL;
    size_t n = 0, cap = 0;
    mm_buf url = {0};
    mm_doc d;
    mm_err e = MM_OK;
    int got;
    uint32_t pos = 0;
    uint64_t idsum = 0;
    while ((got = mm_doc_reader_next(r, &d, &e)) != 0) {
        if (got < 0) continue;
        if (mm_attrs_reason(skip, d.id, strlen(d.id))) {
            st->skipped++;
            continue;
        }
        idsum = dd_idsum_add(idsum, id_hash(&d));
        keyrec k = {.date = dd_date_key(d.date), .len = d.text_len, .pos = pos++};
        st->docs++;
        st->bytes += d.text_len;
        if (kind == MM_DEDUP_URL) {
            mm_buf_clear(&url);
            if ((e = mm_urlnorm(d.url, strlen(d.url), &url))) break;
            if (!url.len) continue;
            XXH128_hash_t h = XXH3_128bits(url.data, url.len);
            k.k1 = h.high64, k.k2 = h.low64;
        } else {
            uint64_t key[2], words;
            mm_dedup_text_key(d.text, d.text_len, key, &words);
            if (!words) continue;
            k.k1 = key[0], k.k2 = key[1];
        }
        if ((e = DD_GROW(recs, cap, n + 1))) break;
        recs[n++] = k;
    }
    st->bad = mm_doc_reader_bad(r);
    mm_doc_reader_close(r);
    mm_buf_free(&url);
    st->keyed = n;
    if (!e) {
        if (n) qsort(recs, n, sizeof *recs, cmp_key);
        dd_writer w;
        uint64_t p[8] = {(uint64_t)kind, st->docs, idsum};
        e = dd_create(&w, keys_path, KEYS_MAGIC, sizeof(keyrec), p);
        if (!e && (e = dd_write(&w, recs, n, sizeof *recs))) dd_abort(&w);
        if (!e) e = dd_close(&w);
    }
    free(recs);
    return e;
}

/* ---- merge ---- */

static int rec_less(const void *x, uint32_t fa, const void *y, uint32_t fb) {
    const keyrec *a = x, *b = y;
    if (a->k1 != b->k1) return a->k1 < b->k1;
    if (a->k2 != b->k2) return a->k2 < b->k2;
    if (fa != fb) return fa < fb;
    return a->pos < b->pos;
}

typedef struct member {
    uint32_t file, pos;
    uint64_t date, len;
} member;

/* Is a a better keeper than b? */
static int better(mm_dedup_kind kind, const member *a, const member *b) {
    if (kind == MM_DEDUP_URL) {
        if (a->date != b->date) return a->date > b->date;
        if (a->len != b->len) return a->len > b->len;
    }
    if (a->file != b->file) return a->file < b->file;
    return a->pos < b->pos;
}

typedef struct drops {
    uint32_t *pos;
    size_t n, cap;
    uint64_t total;
    uint64_t docs, idsum; /* of the shard, from its keys file */
    char *spill;          /* path of the spill file, once used */
} drops;

static mm_err spill(drops *d, const char *final_path) {
    if (!d->n) return MM_OK;
    if (!d->spill) {
        mm_buf b = {0};
        MM_TRY(mm_buf_printf(&b, "%s.spill", final_path));
        d->spill = b.data;
        remove(d->spill);
    }
    FILE *f = fopen(d->spill, "ab");
    if (!f || fwrite(d->pos, sizeof *d->pos, d->n, f) != d->n || fclose(f)) {
        if (f) fclose(f);
        return mm_fail(MM_ERR_IO, "%s: cannot write", d->spill);
    }
    d->n = 0;
    return MM_OK;
}

static mm_err write_drops(drops *d, const char *path) {
    dd_writer w;
    uint64_t p[8] = {d->docs, d->idsum};
    MM_TRY(dd_create(&w, path, DROP_MAGIC, 4, p));
    mm_err e = MM_OK;
    if (d->spill) {
        FILE *f = fopen(d->spill, "rb");
        uint32_t buf[4096];
        size_t got;
        while (!e && f && (got = fread(buf, 4, 4096, f)) > 0)
            e = dd_write(&w, buf, got, 4);
        if (f)
            fclose(f);
        else
            e = mm_fail(MM_ERR_IO, "%s: cannot read", d->spill);
        remove(d->spill);
    }
    if (!e) e = dd_write(&w, d->pos, d->n, 4);
    if (e) {
        dd_abort(&w);
        return e;
    }
    return dd_close(&w);
}

typedef struct merge_ctx {
    mm_dedup_kind kind;
    member *g;
    size_t ng, capg, buffered, mem_limit, nfiles;
    uint64_t gk1, gk2;
    drops *dr;
    const char *const *drops_paths;
    mm_dedup_stats *st;
} merge_ctx;

static mm_err take_group(merge_ctx *m) {
    if (m->ng < 2) return MM_OK;
    m->st->groups++;
    size_t best = 0;
    for (size_t i = 1; i < m->ng; i++)
        if (better(m->kind, &m->g[i], &m->g[best])) best = i;
    for (size_t i = 0; i < m->ng; i++) {
        if (i == best) continue;
        drops *d = &m->dr[m->g[i].file];
        MM_TRY(DD_GROW(d->pos, d->cap, d->n + 1));
        d->pos[d->n++] = m->g[i].pos;
        d->total++;
        m->st->dropped++;
        if (++m->buffered * 4 > m->mem_limit) {
            for (size_t f = 0; f < m->nfiles; f++)
                MM_TRY(spill(&m->dr[f], m->drops_paths[f]));
            m->buffered = 0;
        }
    }
    return MM_OK;
}

static mm_err merge_emit(void *ctx, const void *rec, uint32_t file) {
    merge_ctx *m = ctx;
    const keyrec *k = rec;
    if (m->ng && (k->k1 != m->gk1 || k->k2 != m->gk2)) {
        MM_TRY(take_group(m));
        m->ng = 0;
    }
    m->gk1 = k->k1, m->gk2 = k->k2;
    MM_TRY(DD_GROW(m->g, m->capg, m->ng + 1));
    m->g[m->ng++] = (member){file, k->pos, k->date, k->len};
    return MM_OK;
}

/* Check every keys file (one open at a time) and describe its records as a merge source. */
static mm_err keys_sources(mm_dedup_kind kind, const char *const *keys_paths, size_t n, dd_src *src,
                           drops *dr, mm_dedup_stats *st) {
    for (size_t i = 0; i < n; i++) {
        dd_reader r;
        mm_err e = dd_open(&r, keys_paths[i], KEYS_MAGIC, sizeof(keyrec));
        if (!e && r.h.p[0] != (uint64_t)kind)
            e = mm_fail(MM_ERR_MISMATCH, "%s: keys of another dedup kind", keys_paths[i]);
        if (!e) {
            st->docs += r.h.p[1];
            st->keyed += r.count;
            dr[i].docs = r.h.p[1], dr[i].idsum = r.h.p[2];
            src[i] = (dd_src){keys_paths[i], 0, r.count, (uint32_t)i};
        }
        dd_close_reader(&r);
        if (e) return e;
    }
    return MM_OK;
}

mm_err mm_dedup_merge(mm_dedup_kind kind, const char *const *keys_paths,
                      const char *const *drops_paths, size_t n, size_t mem_limit,
                      mm_dedup_stats *st) {
    memset(st, 0, sizeof *st);
    if (n > UINT32_MAX) return mm_fail(MM_ERR_TOO_LARGE, "%zu key files: at most 2^32-1", n);
    dd_src *src = mm_calloc(n ? n : 1, sizeof *src);
    drops *dr = mm_calloc(n ? n : 1, sizeof *dr);
    merge_ctx m = {.kind = kind,
                   .dr = dr,
                   .drops_paths = drops_paths,
                   .mem_limit = mem_limit,
                   .nfiles = n,
                   .st = st};
    mm_err e = src && dr ? keys_sources(kind, keys_paths, n, src, dr, st) : MM_ERR_NOMEM;
    if (!e && n)
        e = dd_merge(src, n, KEYS_MAGIC, sizeof(keyrec), offsetof(keyrec, pad), drops_paths[0],
                     rec_less, merge_emit, &m);
    if (!e) e = take_group(&m);
    for (size_t i = 0; !e && i < n; i++)
        e = write_drops(&dr[i], drops_paths[i]);
    for (size_t i = 0; dr && i < n; i++) {
        if (dr[i].spill) remove(dr[i].spill);
        free(dr[i].pos);
        free(dr[i].spill);
    }
    free(src);
    free(dr);
    free(m.g);
    return e;
}

/* ---- filter ---- */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct keyed_line {
    const char *reason;
} keyed_line;

static mm_err keyed_line_fn(void *ctx, size_t k, const mm_doc *d, bool attrs, mm_buf *out) {
    (void)k;
    if (attrs) return MM_OK;
    return mm_buf_printf(out, "%s\t%s\t%s\n", d->id, d->url, ((keyed_line *)ctx)->reason);
}

mm_err mm_dedup_filter(mm_dedup_kind kind, const char *shard, const mm_attrs *skip,
                       const char *drops_path, const char *out_shard, const char *removed_tsv,
                       const char *attrs_path, mm_dedup_stats *st) {
    memset(st, 0, sizeof *st);
    dd_reader dr;
    uint32_t *pos = NULL;
    size_t np = 0, cap = 0;
    mm_err e = dd_open(&dr, drops_path, DROP_MAGIC, 4);
    uint64_t docs = dr.h.p[0], idsum = dr.h.p[1];
    const uint32_t *p;
    while (!e && (p = dd_next(&dr, &e))) {
        if ((e = DD_GROW(pos, cap, np + 1))) break;
        pos[np++] = *p;
    }
    dd_close_reader(&dr);
    if (np) qsort(pos, np, sizeof *pos, cmp_u32);
    keyed_line kl = {kind == MM_DEDUP_URL ? "url" : "exact"};
    dd_filter f = {.shard = shard,
                   .skip = skip,
                   .pos = pos,
                   .npos = np,
                   .docs = docs,
                   .idsum = idsum,
                   .recorded_in = drops_path,
                   .out_shard = out_shard,
                   .removed_tsv = removed_tsv,
                   .attrs_path = attrs_path,
                   .tag = kind == MM_DEDUP_URL ? MM_ATTR_URL_DUP : MM_ATTR_EXACT_DUP,
                   .line = keyed_line_fn,
                   .ctx = &kl};
    if (!e) e = dd_filter_run(&f, st);
    free(pos);
    return e;
}
