/* dedup/keyed.c — URL and exact dedup: map, merge, filter (dedup.h). */
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
    a->dropped += b->dropped, a->kept += b->kept, a->bytes += b->bytes;
}

void mm_dedup_text_key(const char *text, size_t n, uint64_t key[2], uint64_t *words) {
    const uint8_t *ws, *we;
    uint64_t w, a = 0, c = 0, k = 0;
    mm_dedup_iter it;
    mm_dedup_iter_init(&it, text, n);
    while (mm_dedup_iter_next(&it, &w, &ws, &we)) {
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

mm_err mm_dedup_map(mm_dedup_kind kind, const char *shard, const char *keys_path, mm_dedup_stats *st) {
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
    while ((got = mm_doc_reader_next(r, &d, &e)) != 0) {
        if (got < 0) continue;
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
        uint64_t p[6] = {(uint64_t)kind, st->docs};
        e = dd_create(&w, keys_path, KEYS_MAGIC, sizeof(keyrec), p);
        if (!e && (e = dd_write(&w, recs, n, sizeof *recs))) dd_abort(&w);
        if (!e) e = dd_close(&w);
    }
    free(recs);
    return e;
}

/* ---- merge ---- */

typedef struct cursor {
    dd_reader r;
    const keyrec *cur;
    uint32_t file;
} cursor;

static int cur_less(const cursor *a, const cursor *b) {
    if (a->cur->k1 != b->cur->k1) return a->cur->k1 < b->cur->k1;
    if (a->cur->k2 != b->cur->k2) return a->cur->k2 < b->cur->k2;
    if (a->file != b->file) return a->file < b->file;
    return a->cur->pos < b->cur->pos;
}

static int cur_less_v(const void *a, const void *b) { return cur_less(a, b); }

static void sift_down(cursor **h, size_t n, size_t i) {
    dd_heap_sift_down((void **)h, n, i, cur_less_v);
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
    char *spill; /* path of the spill file, once used */
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
    MM_TRY(dd_create(&w, path, DROP_MAGIC, 4, NULL));
    mm_err e = MM_OK;
    if (d->spill) {
        FILE *f = fopen(d->spill, "rb");
        uint32_t buf[4096];
        size_t got;
        while (!e && f && (got = fread(buf, 4, 4096, f)) > 0) e = dd_write(&w, buf, got, 4);
        if (f) fclose(f);
        else e = mm_fail(MM_ERR_IO, "%s: cannot read", d->spill);
        remove(d->spill);
    }
    if (!e) e = dd_write(&w, d->pos, d->n, 4);
    if (e) {
        dd_abort(&w);
        return e;
    }
    return dd_close(&w);
}

static mm_err take_group(mm_dedup_kind kind, member *g, size_t ng, drops *dr,
                         const char *const *drops_paths, size_t *buffered, size_t mem_limit,
                         size_t nfiles, mm_dedup_stats *st) {
    if (ng < 2) return MM_OK;
    st->groups++;
    size_t best = 0;
    for (size_t i = 1; i < ng; i++)
        if (better(kind, &g[i], &g[best])) best = i;
    for (size_t i = 0; i < ng; i++) {
        if (i == best) continue;
        drops *d = &dr[g[i].file];
        MM_TRY(DD_GROW(d->pos, d->cap, d->n + 1));
        d->pos[d->n++] = g[i].pos;
        d->total++;
        st->dropped++;
        if (++*buffered * 4 > mem_limit) {
            for (size_t f = 0; f < nfiles; f++) MM_TRY(spill(&dr[f], drops_paths[f]));
            *buffered = 0;
        }
    }
    return MM_OK;
}

mm_err mm_dedup_merge(mm_dedup_kind kind, const char *const *keys_paths,
                      const char *const *drops_paths, size_t n, size_t mem_limit,
                      mm_dedup_stats *st) {
    memset(st, 0, sizeof *st);
    cursor *cs = mm_calloc(n ? n : 1, sizeof *cs);
    cursor **heap = mm_calloc(n ? n : 1, sizeof *heap);
    drops *dr = mm_calloc(n ? n : 1, sizeof *dr);
    member *g = NULL;
    size_t ng = 0, capg = 0, nh = 0, buffered = 0;
    mm_err e = cs && heap && dr ? MM_OK : MM_ERR_NOMEM;
    for (size_t i = 0; !e && i < n; i++) {
        cs[i].file = (uint32_t)i;
        if ((e = dd_open(&cs[i].r, keys_paths[i], KEYS_MAGIC, sizeof(keyrec)))) break;
        if (cs[i].r.h.p[0] != (uint64_t)kind) {
            e = mm_fail(MM_ERR_MISMATCH, "%s: keys of another dedup kind", keys_paths[i]);
            break;
        }
        st->docs += cs[i].r.h.p[1];
        st->keyed += cs[i].r.count;
        if ((cs[i].cur = dd_next(&cs[i].r, &e))) heap[nh++] = &cs[i];
    }
    for (size_t i = nh / 2; !e && i-- > 0;) sift_down(heap, nh, i);
    uint64_t gk1 = 0, gk2 = 0;
    while (!e && nh) {
        cursor *c = heap[0];
        const keyrec *k = c->cur;
        if (ng && (k->k1 != gk1 || k->k2 != gk2)) {
            if ((e = take_group(kind, g, ng, dr, drops_paths, &buffered, mem_limit, n, st))) break;
            ng = 0;
        }
        gk1 = k->k1, gk2 = k->k2;
        if ((e = DD_GROW(g, capg, ng + 1))) break;
        g[ng++] = (member){c->file, k->pos, k->date, k->len};
        c->cur = dd_next(&c->r, &e);
        if (!c->cur) heap[0] = heap[--nh];
        sift_down(heap, nh, 0);
    }
    if (!e) e = take_group(kind, g, ng, dr, drops_paths, &buffered, mem_limit, n, st);
    for (size_t i = 0; !e && i < n; i++) e = write_drops(&dr[i], drops_paths[i]);
    for (size_t i = 0; i < n; i++) {
        if (cs) dd_close_reader(&cs[i].r);
        if (dr) {
            if (dr[i].spill) remove(dr[i].spill);
            free(dr[i].pos);
            free(dr[i].spill);
        }
    }
    free(cs);
    free(heap);
    free(dr);
    free(g);
    return e;
}

/* ---- filter ---- */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

mm_err mm_dedup_filter(mm_dedup_kind kind, const char *shard, const char *drops_path,
                       const char *out_shard, const char *removed_tsv, mm_dedup_stats *st) {
    memset(st, 0, sizeof *st);
    dd_reader dr;
    uint32_t *pos = NULL;
    size_t np = 0, cap = 0;
    mm_err e = dd_open(&dr, drops_path, DROP_MAGIC, 4);
    const uint32_t *p;
    while (!e && (p = dd_next(&dr, &e))) {
        if ((e = DD_GROW(pos, cap, np + 1))) break;
        pos[np++] = *p;
    }
    dd_close_reader(&dr);
    if (np) qsort(pos, np, sizeof *pos, cmp_u32);
    mm_doc_reader *r = NULL;
    mm_out *o = NULL, *t = NULL;
    if (!e) e = mm_doc_reader_open(shard, &r);
    if (!e) e = mm_out_open(out_shard, 3, &o);
    if (!e) e = mm_out_open(removed_tsv, 0, &t);
    mm_doc d;
    int got;
    uint32_t at = 0;
    size_t k = 0;
    mm_buf line = {0};
    const char *reason = kind == MM_DEDUP_URL ? "url" : "exact";
    while (!e && (got = mm_doc_reader_next(r, &d, &e)) != 0) {
        if (got < 0) continue;
        st->docs++;
        st->bytes += d.text_len;
        while (k < np && pos[k] < at) k++;
        if (k < np && pos[k] == at) {
            st->dropped++;
            mm_buf_clear(&line);
            e = mm_buf_printf(&line, "%s\t%s\t%s\n", d.id, d.url, reason);
            if (!e) e = mm_out_write(t, line.data, line.len);
        } else {
            st->kept++;
            e = mm_out_write(o, d.raw, d.raw_len);
            if (!e) e = mm_out_write(o, "\n", 1);
        }
        at++;
    }
    if (r) st->bad = mm_doc_reader_bad(r);
    mm_doc_reader_close(r);
    if (!e) e = mm_out_commit(t), t = NULL;
    if (!e) e = mm_out_commit(o), o = NULL;
    mm_out_abort(t);
    mm_out_abort(o);
    mm_buf_free(&line);
    free(pos);
    return e;
}
