/* dedup/minhash_stages.c — the signatures, buckets, clusters and filter stages (minhash.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/buf.h"
#include "common/doc.h"
#include "common/hash.h"
#include "dedup/minhash.h"
#include "dedup/runs.h"

static const char SIG_MAGIC[8] = "MMMHSIG1";
static const char PAIR_MAGIC[8] = "MMMHPAR1";
static const char RM_MAGIC[8] = "MMMHRM01";

typedef struct bandrec {
    uint64_t key;
    uint32_t pos, pad;
} bandrec;

typedef struct pairrec {
    uint64_t a, b; /* (shard << 32 | position): b joins a's bucket */
} pairrec;

typedef struct rmrec {
    uint32_t pos, root_shard, root_pos, pad;
} rmrec;

static int cmp_band(const void *x, const void *y) {
    const bandrec *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

mm_err mm_minhash_signatures(const mm_minhash_params *p, const char *shard, const mm_attrs *skip,
                             const char *sig_path, mm_dedup_stats *st) {
    memset(st, 0, sizeof *st);
    mm_minhash *m;
    MM_TRY(mm_minhash_create(p, &m));
    mm_doc_reader *r = NULL;
    mm_err e = mm_doc_reader_open(shard, &r);
    bandrec **bands = mm_calloc((size_t)p->bands, sizeof *bands);
    size_t nsig = 0, cap = 0;
    uint64_t sig[MM_MINHASH_MAX_PERMS], keys[MM_MINHASH_MAX_PERMS];
    if (!bands) e = MM_ERR_NOMEM;
    mm_doc d;
    int got;
    uint32_t pos = 0;
    uint64_t idsum = 0;
    while (!e && (got = mm_doc_reader_next(r, &d, &e)) != 0) {
        if (got < 0) continue;
        if (mm_attrs_reason(skip, d.id, strlen(d.id))) {
            st->skipped++;
            continue;
        }
        idsum = dd_idsum_add(idsum, XXH3_64bits(d.id, strlen(d.id)));
        st->docs++;
        st->bytes += d.text_len;
        uint32_t at = pos++;
        if (!mm_minhash_signature(m, d.text, d.text_len, sig)) continue;
        mm_minhash_band_keys(m, sig, keys);
        if (nsig == cap) {
            size_t c = cap ? cap * 2 : 1024;
            for (int b = 0; b < p->bands && !e; b++) {
                bandrec *q = realloc(bands[b], c * sizeof *q);
                if (!q)
                    e = mm_fail(MM_ERR_NOMEM, "%s: out of memory for signatures", shard);
                else
                    bands[b] = q;
            }
            cap = c;
        }
        for (int b = 0; b < p->bands && !e; b++)
            bands[b][nsig] = (bandrec){keys[b], at, 0};
        nsig++;
    }
    if (r) st->bad = mm_doc_reader_bad(r);
    mm_doc_reader_close(r);
    st->keyed = nsig;
    if (!e) {
        dd_writer w;
        uint64_t hp[8] = {(uint64_t)p->bands,
                          (uint64_t)p->rows,
                          (uint64_t)p->ngram,
                          p->seed,
                          st->docs,
                          nsig,
                          idsum};
        e = dd_create(&w, sig_path, SIG_MAGIC, sizeof(bandrec), hp);
        for (int b = 0; !e && b < p->bands; b++) {
            if (nsig) qsort(bands[b], nsig, sizeof(bandrec), cmp_band);
            if ((e = dd_write(&w, bands[b], nsig, sizeof(bandrec)))) dd_abort(&w);
        }
        if (!e) e = dd_close(&w);
    }
    for (int b = 0; bands && b < p->bands; b++)
        free(bands[b]);
    free(bands);
    mm_minhash_free(m);
    return e;
}

/* ---- buckets: k-way merge of one band's sorted runs ---- */

static int rec_less(const void *x, uint32_t fa, const void *y, uint32_t fb) {
    const bandrec *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key;
    if (fa != fb) return fa < fb;
    return a->pos < b->pos;
}

static mm_err check_params(const dd_reader *first, const dd_reader *r) {
    for (int i = 0; i < 4; i++)
        if (first->h.p[i] != r->h.p[i])
            return mm_fail(MM_ERR_MISMATCH,
                           "%s: made with other MinHash parameters than %s "
                           "(bands/rows/ngram/seed); redo its signatures",
                           r->path, first->path);
    return MM_OK;
}

/* Check every signature file against the first (one open at a time); src[i] = band's run. */
static mm_err band_sources(const char *const *sig_paths, size_t n, int band, dd_src *src) {
    dd_reader r0 = {0};
    mm_err e = n ? dd_open(&r0, sig_paths[0], SIG_MAGIC, sizeof(bandrec)) : MM_OK;
    for (size_t i = 0; !e && i < n; i++) {
        dd_reader r;
        e = dd_open(&r, sig_paths[i], SIG_MAGIC, sizeof(bandrec));
        if (!e) e = check_params(&r0, &r);
        uint64_t nsig = r.h.p[5];
        if (!e && (band < 0 || (uint64_t)band >= r.h.p[0]))
            e = mm_fail(MM_ERR_ARG, "band %d: the signatures have %llu bands", band,
                        (unsigned long long)r.h.p[0]);
        if (!e) src[i] = (dd_src){sig_paths[i], (uint64_t)band * nsig, nsig, (uint32_t)i};
        dd_close_reader(&r);
    }
    dd_close_reader(&r0);
    return e;
}

typedef struct bucket_ctx {
    dd_writer w;
    pairrec buf[4096];
    size_t nb;
    uint64_t key, first;
    bool have;
} bucket_ctx;

static mm_err bucket_emit(void *ctx, const void *rec, uint32_t file) {
    bucket_ctx *b = ctx;
    const bandrec *r = rec;
    uint64_t ref = (uint64_t)file << 32 | r->pos;
    if (b->have && r->key == b->key) {
        b->buf[b->nb++] = (pairrec){b->first, ref};
        if (b->nb == 4096) {
            b->nb = 0;
            return dd_write(&b->w, b->buf, 4096, sizeof *b->buf);
        }
    } else {
        b->key = r->key, b->first = ref, b->have = true;
    }
    return MM_OK;
}

mm_err mm_minhash_buckets(const char *const *sig_paths, size_t n, int band, const char *pairs_path,
                          uint64_t *npairs) {
    *npairs = 0;
    if (n > UINT32_MAX) return mm_fail(MM_ERR_TOO_LARGE, "%zu signature files: at most 2^32-1", n);
    dd_src *src = mm_calloc(n ? n : 1, sizeof *src);
    bucket_ctx *b = mm_calloc(1, sizeof *b);
    mm_err e = src && b ? band_sources(sig_paths, n, band, src) : MM_ERR_NOMEM;
    uint64_t hp[8] = {(uint64_t)band, n};
    bool open = false;
    if (!e) e = dd_create(&b->w, pairs_path, PAIR_MAGIC, sizeof(pairrec), hp), open = !e;
    if (!e)
        e = dd_merge(src, n, SIG_MAGIC, sizeof(bandrec), offsetof(bandrec, pad), pairs_path,
                     rec_less, bucket_emit, b);
    if (!e && b->nb) e = dd_write(&b->w, b->buf, b->nb, sizeof *b->buf);
    if (open) {
        *npairs = b->w.count;
        if (e)
            dd_abort(&b->w);
        else
            e = dd_close(&b->w);
    }
    free(src);
    free(b);
    return e;
}

/* ---- clusters: union-find ---- */

static uint32_t find(uint32_t *parent, uint32_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

/* Shard of global index g: the last i with off[i] <= g. */
static size_t shard_of(const uint64_t *off, size_t n, uint64_t g) {
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (off[mid] <= g)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static mm_err load_offsets(const char *const *sig_paths, size_t n, uint64_t *off,
                           uint64_t *idsums) {
    dd_reader r0 = {0};
    mm_err e = MM_OK;
    off[0] = 0;
    for (size_t i = 0; !e && i < n; i++) {
        dd_reader r;
        e = dd_open(&r, sig_paths[i], SIG_MAGIC, sizeof(bandrec));
        if (!e && i == 0) e = dd_open(&r0, sig_paths[0], SIG_MAGIC, sizeof(bandrec));
        if (!e) e = check_params(&r0, &r);
        if (!e) off[i + 1] = off[i] + r.h.p[4], idsums[i] = r.h.p[6];
        dd_close_reader(&r);
    }
    dd_close_reader(&r0);
    if (!e && off[n] >= UINT32_MAX)
        e = mm_fail(MM_ERR_TOO_LARGE,
                    "%llu documents: clusters handles up to 4,294,967,294 per run; "
                    "dedup smaller groups of shards",
                    (unsigned long long)off[n]);
    return e;
}

static mm_err union_pairs(uint32_t *parent, const uint64_t *off, size_t n, const char *path,
                          uint64_t *count) {
    dd_reader r;
    MM_TRY(dd_open(&r, path, PAIR_MAGIC, sizeof(pairrec)));
    mm_err e = MM_OK;
    if (r.h.p[1] != n)
        e = mm_fail(MM_ERR_MISMATCH,
                    "%s: made from %llu signature files, there are %zu now; redo buckets", path,
                    (unsigned long long)r.h.p[1], n);
    const pairrec *pr;
    while (!e && (pr = dd_next(&r, &e))) {
        uint64_t fa = pr->a >> 32, fb = pr->b >> 32;
        uint64_t ga = off[fa] + (pr->a & 0xffffffffu), gb = off[fb] + (pr->b & 0xffffffffu);
        if (fa >= n || fb >= n || ga >= off[fa + 1] || gb >= off[fb + 1]) {
            e = mm_fail(MM_ERR_FORMAT,
                        "%s: a pair names a document that does not exist; redo buckets", path);
            break;
        }
        uint32_t ra = find(parent, (uint32_t)ga), rb = find(parent, (uint32_t)gb);
        if (ra < rb)
            parent[rb] = ra;
        else if (rb < ra)
            parent[ra] = rb;
        (*count)++;
    }
    dd_close_reader(&r);
    return e;
}

mm_err mm_minhash_clusters(const char *const *sig_paths, size_t n, const char *const *pairs_paths,
                           size_t npairs, const char *const *rm_paths,
                           mm_minhash_cluster_stats *st) {
    memset(st, 0, sizeof *st);
    uint64_t *off = mm_calloc(n + 1, sizeof *off), *idsums = mm_calloc(n + 1, sizeof *idsums);
    if (!off || !idsums) {
        free(off);
        free(idsums);
        return MM_ERR_NOMEM;
    }
    mm_err e = load_offsets(sig_paths, n, off, idsums);
    uint64_t total = e ? 0 : off[n];
    uint32_t *parent = e ? NULL : mm_malloc((total ? total : 1) * sizeof *parent);
    uint64_t *seen = e ? NULL : mm_calloc(total / 64 + 1, 8); /* roots with members */
    if (!e && (!parent || !seen)) e = MM_ERR_NOMEM;
    for (uint64_t i = 0; !e && i < total; i++)
        parent[i] = (uint32_t)i;
    st->docs = total;
    st->union_find_bytes = total * 4 + (total / 64 + 1) * 8;
    for (size_t i = 0; !e && i < npairs; i++)
        e = union_pairs(parent, off, n, pairs_paths[i], &st->pairs);
    for (size_t f = 0; !e && f < n; f++) {
        dd_writer w;
        uint64_t hp[8] = {f, n, off[f + 1] - off[f], idsums[f]};
        if ((e = dd_create(&w, rm_paths[f], RM_MAGIC, sizeof(rmrec), hp))) break;
        for (uint64_t g = off[f]; !e && g < off[f + 1]; g++) {
            uint32_t r = find(parent, (uint32_t)g);
            if (r == g) continue;
            if (!(seen[r >> 6] >> (r & 63) & 1)) {
                seen[r >> 6] |= 1ull << (r & 63);
                st->clusters++;
            }
            size_t rs = shard_of(off, n, r);
            rmrec rec = {(uint32_t)(g - off[f]), (uint32_t)rs, (uint32_t)(r - off[rs]), 0};
            e = dd_write(&w, &rec, 1, sizeof rec);
            st->removed++;
        }
        if (e)
            dd_abort(&w);
        else
            e = dd_close(&w);
    }
    free(parent);
    free(seen);
    free(off);
    free(idsums);
    return e;
}

/* ---- filter ---- */

typedef struct mh_line {
    const rmrec *rm;
    const char *const *stems;
    size_t nstems;
} mh_line;

static mm_err mh_line_fn(void *ctx, size_t k, const mm_doc *d, bool attrs, mm_buf *out) {
    const mh_line *m = ctx;
    const char *stem = m->rm[k].root_shard < m->nstems ? m->stems[m->rm[k].root_shard] : "?";
    if (attrs) return mm_buf_printf(out, "cluster %s:%u", stem, m->rm[k].root_pos);
    return mm_buf_printf(out, "%s\t%s:%u\t%s\n", d->id, stem, m->rm[k].root_pos, d->url);
}

mm_err mm_minhash_filter(const char *shard, const mm_attrs *skip, const char *rm_path,
                         const char *const *stems, size_t nstems, const char *out_shard,
                         const char *removed_tsv, const char *attrs_path, mm_dedup_stats *st) {
    memset(st, 0, sizeof *st);
    dd_reader rr;
    rmrec *rm = NULL;
    uint32_t *pos = NULL;
    size_t nr = 0, cap = 0, capp = 0;
    mm_err e = dd_open(&rr, rm_path, RM_MAGIC, sizeof(rmrec));
    uint64_t docs = rr.h.p[2], idsum = rr.h.p[3];
    if (!e && rr.h.p[1] != nstems)
        e = mm_fail(MM_ERR_MISMATCH, "%s: made for %llu shards, %zu given; redo clusters", rm_path,
                    (unsigned long long)rr.h.p[1], nstems);
    const rmrec *p;
    while (!e && (p = dd_next(&rr, &e))) {
        if ((e = DD_GROW(rm, cap, nr + 1)) || (e = DD_GROW(pos, capp, nr + 1))) break;
        pos[nr] = p->pos;
        rm[nr++] = *p;
    }
    dd_close_reader(&rr);
    mh_line ml = {rm, stems, nstems};
    dd_filter f = {.shard = shard,
                   .skip = skip,
                   .pos = pos,
                   .npos = nr,
                   .docs = docs,
                   .idsum = idsum,
                   .recorded_in = rm_path,
                   .out_shard = out_shard,
                   .removed_tsv = removed_tsv,
                   .attrs_path = attrs_path,
                   .tag = MM_ATTR_MINHASH_DUP,
                   .line = mh_line_fn,
                   .ctx = &ml};
    if (!e) e = dd_filter_run(&f, st);
    free(rm);
    free(pos);
    return e;
}

mm_err mm_minhash_synth(const mm_minhash_params *p, uint64_t ndocs, uint64_t base, double dup_rate,
                        uint64_t seed, const char *sig_path) {
    if (ndocs >= UINT32_MAX) return mm_fail(MM_ERR_ARG, "at most 2^32-1 documents per shard");
    bandrec *recs = mm_malloc((ndocs ? ndocs : 1) * sizeof *recs);
    uint64_t *cluster = mm_malloc((ndocs ? ndocs : 1) * sizeof *cluster);
    if (!recs || !cluster) {
        free(recs);
        free(cluster);
        return MM_ERR_NOMEM;
    }
    mm_rng r;
    mm_rng_seed(&r, seed ^ (base * 0x9E3779B97F4A7C15ull));
    for (uint64_t i = 0; i < ndocs; i++) {
        uint64_t g = base + i;
        cluster[i] = (g > 0 && mm_rng_uniform(&r) < dup_rate) ? mm_rng_next(&r) % g : g;
    }
    dd_writer w;
    uint64_t hp[8] = {
        (uint64_t)p->bands, (uint64_t)p->rows, (uint64_t)p->ngram, p->seed, ndocs, ndocs};
    mm_err e = dd_create(&w, sig_path, SIG_MAGIC, sizeof(bandrec), hp);
    for (int b = 0; !e && b < p->bands; b++) {
        for (uint64_t i = 0; i < ndocs; i++) {
            uint64_t c = cluster[i];
            /* a near-duplicate shares each band of its original with probability 0.7 */
            bool share = c != base + i && (mm_rng_next(&r) % 10) < 7;
            uint64_t k = share ? mm_hash64(&c, 8, (uint64_t)b) : mm_rng_next(&r);
            if (!share && c == base + i) k = mm_hash64(&c, 8, (uint64_t)b);
            recs[i] = (bandrec){k, (uint32_t)i, 0};
        }
        qsort(recs, ndocs, sizeof *recs, cmp_band);
        if ((e = dd_write(&w, recs, ndocs, sizeof *recs))) dd_abort(&w);
    }
    if (!e) e = dd_close(&w);
    free(recs);
    free(cluster);
    return e;
}
