/* classifier/ftmodel.c — our own reader of fastText model files (.bin and product-quantized
 * .ftz) and a fast scorer that reproduces `fasttext predict-prob`.
 *
 * File layout (fastText 0.9.x, little-endian, no padding):
 *   int32 magic 793712314, int32 version (11 or 12)
 *   Args: int32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn,
 *         lrUpdateRate; double t                                                    (56 bytes)
 *   Dictionary: int32 size, nwords, nlabels; int64 ntokens, pruneidx_size;
 *         size x { NUL-terminated word, int64 count, int8 type (0 word, 1 label) };
 *         pruneidx_size x { int32 from, int32 to }   (pruneidx_size = -1: not pruned)
 *   uint8 quant_input; input matrix; uint8 qout; output matrix, where a matrix is either
 *     dense:  int64 m, int64 n, m*n float32
 *     quant:  uint8 qnorm, int64 m, int64 n, int32 codesize, codesize uint8 codes,
 *             PQ {int32 dim, nsubq, dsub, lastdsub; dim*256 float32 centroids},
 *             if qnorm: m uint8 norm codes, PQ (dim 1)
 *
 * How fastText turns a line into a probability (we follow it operation by operation, in float,
 * in the same order, so results agree to the last bit or within a few ulps of libm):
 *   tokens are split on ' ' \n \r \t \v \f \0; the end of line is the token "</s>".
 *   Each token's FNV-1a hash (bytes sign-extended!) finds it in the vocabulary.  A known word
 *   contributes its row (or, with maxn > 0, itself plus its character n-gram rows); an unknown
 *   word contributes its character n-grams only; every word token (known or not) contributes
 *   its hash to the word n-grams: for i, j in i+1..i+n-1, h = h*116049371 + hash[j] (64-bit,
 *   hashes sign-extended from int32), row nwords + h % bucket (through pruneidx when pruned).
 *   hidden = sum of rows in that order, times (float)(1.0/rows).  Output = W_out * hidden;
 *   softmax (max-subtracted), or a table sigmoid (ns, ova), or a Huffman tree (hs).  The
 *   printed probability is exp(log(p + 1e-5)).
 *
 * Speed.  A DeepSeekMath-size model has 2M+ rows of 256 floats (1 KB each) and every token
 * touches about wordNgrams random rows: the loop is bound by memory latency, not arithmetic.
 * We (1) map the matrix from the file, so loading is a dictionary parse; (2) compute all row
 * indexes of a document first, then (3) accumulate rows while software-prefetching the rows
 * PF_DIST ahead, so many cache misses are in flight at once instead of one at a time. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

#include "classifier/classifier.h"
#include "common/hugemem.h"

#define FT_MAGIC 793712314
#define PF_DIST 10 /* rows prefetched ahead (tuned on a 2M x 256 model) */

typedef float ufloat __attribute__((aligned(1))); /* matrix data in the file is unaligned */

/* ---- parsing ------------------------------------------------------------------------------ */

typedef struct pq_info {
    int32_t dim, nsubq, dsub, lastdsub;
    size_t centroids_off; /* dim * 256 floats */
} pq_info;

typedef struct mat_info {
    bool quant, qnorm;
    int64_t m, n;
    size_t data_off; /* dense: floats; quant: codes */
    pq_info pq, npq;
    size_t norm_codes_off;
} mat_info;

typedef struct ft_parsed {
    mm_clf_model_info info;
    int32_t ws, neg, loss, model, lr_update_rate;
    int32_t size;
    size_t dict_off, pruneidx_off;
    mat_info in, out;
} ft_parsed;

typedef struct rd {
    const uint8_t *p;
    size_t n, off;
} rd;

static bool rd_get(rd *r, void *dst, size_t k) {
    if (r->n - r->off < k) return false;
    memcpy(dst, r->p + r->off, k);
    r->off += k;
    return true;
}

static const char *const loss_names[] = {"?", "hs", "ns", "softmax", "ova"};

#define TRUNC(what)                                                                                \
    mm_fail(MM_ERR_TRUNCATED, "%s: byte %zu: file ends inside %s", name, r->off, what)

static mm_err parse_pq(rd *r, const char *name, int32_t want_dim, pq_info *pq) {
    if (!rd_get(r, &pq->dim, 4) || !rd_get(r, &pq->nsubq, 4) || !rd_get(r, &pq->dsub, 4) ||
        !rd_get(r, &pq->lastdsub, 4))
        return TRUNC("a product quantizer header");
    if (pq->dim != want_dim || pq->dsub <= 0 || pq->dsub > pq->dim || pq->lastdsub <= 0 ||
        pq->lastdsub > pq->dsub || pq->nsubq <= 0 ||
        (int64_t)(pq->nsubq - 1) * pq->dsub + pq->lastdsub != pq->dim)
        return mm_fail(MM_ERR_FORMAT,
                       "%s: byte %zu: inconsistent product quantizer (dim %d, "
                       "nsubq %d, dsub %d, lastdsub %d)",
                       name, r->off, pq->dim, pq->nsubq, pq->dsub, pq->lastdsub);
    size_t bytes = (size_t)pq->dim * 256 * 4;
    if (r->n - r->off < bytes) return TRUNC("product quantizer centroids");
    pq->centroids_off = r->off;
    r->off += bytes;
    return MM_OK;
}

static mm_err parse_matrix(rd *r, const char *name, bool quant, const char *what, mat_info *m) {
    memset(m, 0, sizeof *m);
    m->quant = quant;
    if (!quant) {
        if (!rd_get(r, &m->m, 8) || !rd_get(r, &m->n, 8)) return TRUNC(what);
        if (m->m < 0 || m->n <= 0 || m->n > (1 << 20) || m->m > ((int64_t)1 << 40))
            return mm_fail(MM_ERR_FORMAT, "%s: byte %zu: bad %s size %lld x %lld", name, r->off,
                           what, (long long)m->m, (long long)m->n);
        uint64_t bytes = (uint64_t)m->m * (uint64_t)m->n * 4;
        if (r->n - r->off < bytes) return TRUNC(what);
        m->data_off = r->off;
        r->off += bytes;
        return MM_OK;
    }
    uint8_t qn;
    int32_t codesize;
    if (!rd_get(r, &qn, 1) || !rd_get(r, &m->m, 8) || !rd_get(r, &m->n, 8) ||
        !rd_get(r, &codesize, 4))
        return TRUNC(what);
    m->qnorm = qn != 0;
    if (qn > 1 || m->m < 0 || m->n <= 0 || m->n > (1 << 20) || codesize < 0)
        return mm_fail(MM_ERR_FORMAT, "%s: byte %zu: bad quantized %s header", name, r->off, what);
    if (r->n - r->off < (size_t)codesize) return TRUNC(what);
    m->data_off = r->off;
    r->off += (size_t)codesize;
    MM_TRY(parse_pq(r, name, (int32_t)m->n, &m->pq));
    if ((int64_t)codesize != m->m * m->pq.nsubq)
        return mm_fail(MM_ERR_FORMAT,
                       "%s: quantized %s: %d code bytes for %lld rows x %d "
                       "sub-quantizers",
                       name, what, codesize, (long long)m->m, m->pq.nsubq);
    if (m->qnorm) {
        if (r->n - r->off < (uint64_t)m->m) return TRUNC("norm codes");
        m->norm_codes_off = r->off;
        r->off += (size_t)m->m;
        MM_TRY(parse_pq(r, name, 1, &m->npq));
    }
    return MM_OK;
}

static mm_err parse_dict(rd *r, const char *name, ft_parsed *f) {
    mm_clf_model_info *in = &f->info;
    int32_t nw, nl;
    if (!rd_get(r, &f->size, 4) || !rd_get(r, &nw, 4) || !rd_get(r, &nl, 4) ||
        !rd_get(r, &in->ntokens, 8) || !rd_get(r, &in->pruneidx_size, 8))
        return TRUNC("the dictionary header");
    in->nwords = nw;
    in->nlabels = nl;
    if (f->size < 0 || nw < 0 || nl < 0 || (int64_t)nw + nl != f->size || in->pruneidx_size < -1 ||
        in->pruneidx_size > (1LL << 31))
        return mm_fail(MM_ERR_FORMAT,
                       "%s: byte %zu: bad dictionary sizes (size %d, nwords %d, "
                       "nlabels %d, pruneidx %lld)",
                       name, r->off, f->size, nw, nl, (long long)in->pruneidx_size);
    f->dict_off = r->off;
    for (int32_t i = 0; i < f->size; i++) {
        const uint8_t *z = memchr(r->p + r->off, 0, r->n - r->off);
        if (!z) return TRUNC("a dictionary word");
        size_t at = r->off;
        r->off = (size_t)(z - r->p) + 1;
        int64_t count;
        int8_t type;
        if (!rd_get(r, &count, 8) || !rd_get(r, &type, 1)) return TRUNC("a dictionary entry");
        if (type != (i < nw ? 0 : 1))
            return mm_fail(MM_ERR_FORMAT,
                           "%s: byte %zu: dictionary entry %d has type %d "
                           "(words must come before labels)",
                           name, at, i, type);
    }
    f->pruneidx_off = r->off;
    if (in->pruneidx_size > 0) {
        if ((uint64_t)(r->n - r->off) / 8 < (uint64_t)in->pruneidx_size)
            return TRUNC("the prune index");
        r->off += (size_t)in->pruneidx_size * 8;
    }
    return MM_OK;
}

static mm_err parse_args(rd *r, const char *name, ft_parsed *f) {
    mm_clf_model_info *in = &f->info;
    int32_t magic, v[12];
    double t;
    if (!rd_get(r, &magic, 4) || magic != FT_MAGIC)
        return mm_fail(MM_ERR_FORMAT, "%s: not a fastText model (bad magic number at byte 0)",
                       name);
    if (!rd_get(r, &in->version, 4)) return TRUNC("the header");
    if (in->version != 11 && in->version != 12)
        return mm_fail(MM_ERR_UNSUPPORTED, "%s: fastText model version %d (supported: 11, 12)",
                       name, in->version);
    if (!rd_get(r, v, sizeof v) || !rd_get(r, &t, 8)) return TRUNC("the model options");
    in->dim = v[0], f->ws = v[1], in->epoch = v[2], in->min_count = v[3], f->neg = v[4];
    in->word_ngrams = v[5], f->loss = v[6], f->model = v[7], in->bucket = v[8];
    in->minn = v[9], in->maxn = v[10], f->lr_update_rate = v[11];
    if (in->version == 11 && f->model == 3) in->maxn = 0;
    if (in->dim <= 0 || in->dim > (1 << 20) || f->loss < 1 || f->loss > 4 || f->model < 1 ||
        f->model > 3 || in->bucket < 0 || in->minn < 0 || in->maxn < 0 || in->maxn > 1024 ||
        in->word_ngrams < 0 || in->word_ngrams > 1024)
        return mm_fail(MM_ERR_FORMAT,
                       "%s: byte 8: implausible model options (dim %d, loss %d, "
                       "model %d, bucket %d)",
                       name, in->dim, f->loss, f->model, in->bucket);
    in->loss = loss_names[f->loss];
    return MM_OK;
}

/* Parse and validate everything; offsets into `data` land in *f. */
static mm_err ft_parse(const uint8_t *data, size_t n, const char *name, ft_parsed *f) {
    memset(f, 0, sizeof *f);
    rd rr = {data, n, 0}, *r = &rr;
    MM_TRY(parse_args(r, name, f));
    MM_TRY(parse_dict(r, name, f));
    mm_clf_model_info *in = &f->info;
    uint8_t q;
    if (!rd_get(r, &q, 1)) return TRUNC("the matrix flags");
    if (q > 1) return mm_fail(MM_ERR_FORMAT, "%s: byte %zu: bad quantization flag", name, r->off);
    MM_TRY(parse_matrix(r, name, q, "input matrix", &f->in));
    if (!q && in->pruneidx_size >= 0)
        return mm_fail(MM_ERR_FORMAT, "%s: pruned dictionary with a dense matrix", name);
    if (!rd_get(r, &q, 1)) return TRUNC("the output flag");
    if (q > 1) return mm_fail(MM_ERR_FORMAT, "%s: byte %zu: bad qout flag", name, r->off);
    MM_TRY(parse_matrix(r, name, q && f->in.quant, "output matrix", &f->out));
    in->quant_input = f->in.quant;
    in->quant_output = f->out.quant;
    in->qnorm = f->in.qnorm;
    in->input_rows = f->in.m;
    in->file_bytes = n;
    if (f->in.n != in->dim || f->out.n != in->dim)
        return mm_fail(MM_ERR_FORMAT, "%s: matrix width %lld/%lld differs from dim %d", name,
                       (long long)f->in.n, (long long)f->out.n, in->dim);
    int64_t want_rows = in->pruneidx_size >= 0 ? -1 : (int64_t)in->nwords + in->bucket;
    if (want_rows >= 0 && f->in.m != want_rows)
        return mm_fail(MM_ERR_FORMAT,
                       "%s: input matrix has %lld rows, expected nwords + bucket "
                       "= %lld",
                       name, (long long)f->in.m, (long long)want_rows);
    if (f->in.m < in->nwords)
        return mm_fail(MM_ERR_FORMAT, "%s: input matrix has fewer rows than words", name);
    return MM_OK;
}

mm_err mm_clf_model_check_mem(const void *data, size_t n, mm_clf_model_info *info) {
    ft_parsed f;
    MM_TRY(ft_parse(data, n, "<memory>", &f));
    if (info) *info = f.info;
    return MM_OK;
}

/* ---- the scorer ---------------------------------------------------------------------------- */

typedef struct hs_node {
    int32_t parent, left, right;
    int64_t count;
    bool binary;
} hs_node;

/* One slot of the vocabulary hash table: one cache-line access decides most lookups, since
 * words of up to 12 bytes are compared inline; longer ones against the dictionary bytes. */
typedef struct word_slot {
    uint32_t hash, id1, len; /* id1 = entry id + 1, 0 = empty */
    char inl[12];
} word_slot;

struct mm_clf_scorer {
    ft_parsed f;
    mm_clf_scorer_opts opts;
    char *path;
    uint8_t *map; /* the whole file, mapped read-only */
    size_t map_len;
    bool borrowed;    /* map is the caller's buffer (mm_clf_scorer_open_mem) */
    float *preloaded; /* preload: aligned copy of a dense input matrix */
    size_t preload_len;
    const ufloat *in; /* dense input rows (dim floats each) */
    const uint8_t *in_codes, *in_norm_codes;
    float *in_centroids, *in_norm_centroids; /* quant: copies, aligned */
    float *out;                              /* osz x dim, decoded to floats */
    float *out_alpha; /* osz: row scale (quantized output norms; 1 otherwise) */
    int32_t osz;
    /* dictionary */
    const char **words;
    uint32_t *word_len;
    word_slot *tab; /* open addressing over all entries (words and labels) */
    size_t tab_bytes;
    uint32_t tab_mask;
    uint32_t *prune_key, *prune_val, prune_mask; /* key + 1, 0 = empty */
    hs_node *tree;
    int32_t label_idx; /* index of opts.label among the labels */
    float sigmoid_tab[513];
};

struct mm_clf_ctx {
    const mm_clf_scorer *s;
    int32_t *rows;
    size_t nrows, caprows;
    int32_t *hashes;
    size_t nhash, caphash;
    float *hidden, *output;
    mm_buf norm;
    void *tok; /* the token counter's state of this thread (opts.tokens) */
};

void mm_clf_scorer_opts_default(mm_clf_scorer_opts *o) {
    memset(o, 0, sizeof *o);
    o->label = MM_CLF_LABEL_POS;
    o->max_bytes = MM_CLF_MAX_BYTES_DEFAULT;
}

const mm_clf_model_info *mm_clf_scorer_info(const mm_clf_scorer *s) {
    return &s->f.info;
}

static uint32_t fnv(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint32_t)(int32_t)(int8_t)s[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t pow2_at_least(uint64_t n) {
    uint32_t c = 16;
    while (c < n && c < (1u << 31))
        c <<= 1;
    return c;
}

static mm_err build_dict(mm_clf_scorer *s) {
    ft_parsed *f = &s->f;
    size_t size = (size_t)f->size;
    s->words = mm_calloc(size + 1, sizeof *s->words);
    s->word_len = mm_calloc(size + 1, sizeof *s->word_len);
    uint32_t cap = pow2_at_least((uint64_t)size * 2 + 2);
    s->tab_bytes = (size_t)cap * sizeof *s->tab;
    s->tab = mm_huge_alloc(s->tab_bytes); /* zero-filled */
    if (!s->words || !s->word_len || !s->tab) return mm_fail(MM_ERR_NOMEM, "out of memory");
    s->tab_mask = cap - 1;
    const uint8_t *p = s->map + f->dict_off;
    for (size_t i = 0; i < size; i++) {
        const char *w = (const char *)p;
        size_t len = strlen(w);
        s->words[i] = w;
        s->word_len[i] = (uint32_t)len;
        uint32_t h = fnv(w, len), k = h & s->tab_mask;
        for (;; k = (k + 1) & s->tab_mask) {
            word_slot *t = &s->tab[k];
            if (!t->id1) {
                t->id1 = (uint32_t)i + 1, t->hash = h, t->len = (uint32_t)len;
                if (len <= sizeof t->inl) memcpy(t->inl, w, len);
                break;
            }
            if (t->hash == h && t->len == len && !memcmp(s->words[t->id1 - 1], w, len))
                break; /* duplicate word: the first wins, as in fastText */
        }
        p += len + 1 + 9;
    }
    return MM_OK;
}

static mm_err build_prune(mm_clf_scorer *s) {
    int64_t n = s->f.info.pruneidx_size;
    if (n <= 0) return MM_OK;
    uint32_t cap = pow2_at_least((uint64_t)n * 2 + 2);
    s->prune_key = mm_calloc(cap, 4);
    s->prune_val = mm_calloc(cap, 4);
    if (!s->prune_key || !s->prune_val) return MM_ERR_NOMEM;
    s->prune_mask = cap - 1;
    const uint8_t *p = s->map + s->f.pruneidx_off;
    int64_t maxrow = s->f.in.m - s->f.info.nwords;
    for (int64_t i = 0; i < n; i++, p += 8) {
        int32_t from, to;
        memcpy(&from, p, 4);
        memcpy(&to, p + 4, 4);
        if (to < 0 || to >= maxrow)
            return mm_fail(MM_ERR_FORMAT, "%s: prune index entry %lld maps to row %d of %lld",
                           s->path, (long long)i, to, (long long)maxrow);
        uint32_t k = fnv((const char *)&from, 4) & s->prune_mask;
        for (;; k = (k + 1) & s->prune_mask) {
            if (!s->prune_key[k]) {
                s->prune_key[k] = (uint32_t)from + 1u, s->prune_val[k] = (uint32_t)to;
                break;
            }
            if (s->prune_key[k] == (uint32_t)from + 1u) {
                s->prune_val[k] = (uint32_t)to; /* std::unordered_map: the last one wins */
                break;
            }
        }
    }
    return MM_OK;
}

static float *copy_floats(const uint8_t *src, size_t n) {
    float *d = NULL;
    if (posix_memalign((void **)&d, 64, n * 4 + 64)) return NULL;
    memcpy(d, src, n * 4);
    return d;
}

/* Centroid of sub-quantizer m, code c (fastText's ProductQuantizer::get_centroids). */
static inline const float *centroid(const pq_info *pq, const float *cent, int32_t m, uint8_t c) {
    if (m == pq->nsubq - 1) return cent + (size_t)m * 256 * pq->dsub + (size_t)c * pq->lastdsub;
    return cent + ((size_t)m * 256 + c) * pq->dsub;
}

static mm_err build_output(mm_clf_scorer *s) {
    mat_info *o = &s->f.out;
    int32_t dim = s->f.info.dim;
    int64_t want = s->f.info.nlabels; /* hs uses the first nlabels - 1 rows (inner nodes) */
    if (o->m != want || want <= 0)
        return mm_fail(MM_ERR_FORMAT, "%s: output matrix has %lld rows for %lld labels (loss %s)",
                       s->path, (long long)o->m, (long long)s->f.info.nlabels, s->f.info.loss);
    s->osz = (int32_t)o->m;
    s->out = mm_calloc((size_t)o->m * dim, sizeof(float));
    s->out_alpha = mm_calloc((size_t)o->m, sizeof(float));
    if (!s->out || !s->out_alpha) return MM_ERR_NOMEM;
    if (!o->quant) {
        memcpy(s->out, s->map + o->data_off, (size_t)o->m * dim * 4);
        for (int64_t i = 0; i < o->m; i++)
            s->out_alpha[i] = 1.0f;
        return MM_OK;
    }
    float *cent = copy_floats(s->map + o->pq.centroids_off, (size_t)dim * 256);
    float *ncent = o->qnorm ? copy_floats(s->map + o->npq.centroids_off, 256) : NULL;
    if (!cent || (o->qnorm && !ncent)) {
        free(cent);
        free(ncent);
        return MM_ERR_NOMEM;
    }
    for (int64_t i = 0; i < o->m; i++) {
        const uint8_t *code = s->map + o->data_off + (size_t)i * o->pq.nsubq;
        for (int32_t m = 0; m < o->pq.nsubq; m++) {
            const float *c = centroid(&o->pq, cent, m, code[m]);
            int32_t d = m == o->pq.nsubq - 1 ? o->pq.lastdsub : o->pq.dsub;
            memcpy(s->out + (size_t)i * dim + (size_t)m * o->pq.dsub, c, (size_t)d * 4);
        }
        s->out_alpha[i] = o->qnorm ? ncent[s->map[o->norm_codes_off + i]] : 1.0f;
    }
    free(cent);
    free(ncent);
    return MM_OK;
}

/* fastText's HierarchicalSoftmaxLoss::buildTree over the label counts. */
static mm_err build_tree(mm_clf_scorer *s) {
    int32_t osz = (int32_t)s->f.info.nlabels;
    s->tree = mm_calloc((size_t)2 * osz, sizeof *s->tree);
    if (!s->tree) return MM_ERR_NOMEM;
    hs_node *t = s->tree;
    for (int32_t i = 0; i < 2 * osz - 1; i++)
        t[i] = (hs_node){-1, -1, -1, (int64_t)1e15, false};
    const uint8_t *p = s->map + s->f.dict_off;
    for (int32_t i = 0; i < s->f.size; i++) {
        size_t len = s->word_len[i];
        int64_t count;
        memcpy(&count, p + len + 1, 8);
        if (i >= s->f.info.nwords) t[i - s->f.info.nwords].count = count;
        p += len + 1 + 9;
    }
    int32_t leaf = osz - 1, node = osz;
    for (int32_t i = osz; i < 2 * osz - 1; i++) {
        int32_t mini[2] = {0, 0};
        for (int j = 0; j < 2; j++)
            mini[j] = (leaf >= 0 && t[leaf].count < t[node].count) ? leaf-- : node++;
        t[i].left = mini[0];
        t[i].right = mini[1];
        t[i].count = t[mini[0]].count + t[mini[1]].count;
        t[mini[0]].parent = i;
        t[mini[1]].parent = i;
        t[mini[1]].binary = true;
    }
    return MM_OK;
}

static mm_err map_file(mm_clf_scorer *s, const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mm_fail(MM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        return mm_fail(MM_ERR_FORMAT, "%s: not a fastText model (empty or not a regular file)",
                       path);
    }
    s->map_len = (size_t)st.st_size;
    int flags = MAP_PRIVATE | (s->opts.populate ? MAP_POPULATE : 0);
    void *p = mmap(NULL, s->map_len, PROT_READ, flags, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        s->map_len = 0;
        return mm_fail(MM_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    }
    s->map = p;
    madvise(p, s->map_len, MADV_RANDOM);
    return MM_OK;
}

/* preload: read a dense input matrix into 2 MB-aligned anonymous memory advised to use huge
 * pages.  Random 1 KB rows out of a 2 GB matrix mapped with 4 KB pages cost a page walk (and, the
 * first time, a page fault) each; with 2 MB pages the TLB covers the whole matrix.  Measured on
 * a 2M x 256 model: ~8x more documents per CPU-second than the plain mapping, for ~1 s of load.
 * pread() copies straight from the page cache (no faults on a source mapping). */
static mm_err preload_input(mm_clf_scorer *s, const char *path) {
    size_t bytes = (size_t)s->f.in.m * s->f.in.n * 4;
    uint8_t *a = mm_huge_alloc(bytes);
    if (!a) return mm_fail(MM_ERR_NOMEM, "%s: cannot allocate %zu bytes", s->path, bytes);
    s->preloaded = (float *)a;
    s->preload_len = bytes;
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    size_t done = 0;
    while (fd >= 0 && done < bytes) {
        size_t want = bytes - done < (64u << 20) ? bytes - done : (64u << 20);
        ssize_t k = pread(fd, a + done, want, (off_t)(s->f.in.data_off + done));
        if (k <= 0) break;
        done += (size_t)k;
    }
    if (fd >= 0) close(fd);
    if (done < bytes) memcpy(a + done, s->map + s->f.in.data_off + done, bytes - done);
    s->in = (const ufloat *)a;
    return MM_OK;
}

static mm_err setup(mm_clf_scorer *s, const char *path) {
    ft_parsed *f = &s->f;
    MM_TRY(ft_parse(s->map, s->map_len, s->path, f));
    if (f->model != 3)
        return mm_fail(MM_ERR_UNSUPPORTED, "%s: not a supervised model (a word-vector model)",
                       s->path);
    if (f->info.nlabels < 1) return mm_fail(MM_ERR_FORMAT, "%s: the model has no labels", s->path);
    MM_TRY(build_dict(s));
    MM_TRY(build_prune(s));
    MM_TRY(build_output(s));
    if (f->loss == 1) MM_TRY(build_tree(s));
    s->label_idx = -1;
    for (int64_t i = 0; i < f->info.nlabels; i++)
        if (!strcmp(s->words[f->info.nwords + i], s->opts.label)) s->label_idx = (int32_t)i;
    if (s->label_idx < 0)
        return mm_fail(MM_ERR_MISMATCH,
                       "%s: the model has no label '%s' (its first label is "
                       "'%s')",
                       s->path, s->opts.label, s->words[f->info.nwords]);
    if (f->in.quant) {
        s->in_codes = s->map + f->in.data_off;
        s->in_centroids = copy_floats(s->map + f->in.pq.centroids_off, (size_t)f->info.dim * 256);
        if (!s->in_centroids) return MM_ERR_NOMEM;
        if (f->in.qnorm) {
            s->in_norm_codes = s->map + f->in.norm_codes_off;
            s->in_norm_centroids = copy_floats(s->map + f->in.npq.centroids_off, 256);
            if (!s->in_norm_centroids) return MM_ERR_NOMEM;
        }
    } else if (s->opts.preload) {
        MM_TRY(preload_input(s, path));
    } else {
        s->in = (const ufloat *)(s->map + f->in.data_off);
    }
    for (int i = 0; i < 513; i++) {
        float x = (float)(i * 2 * 8) / 512 - 8;
        s->sigmoid_tab[i] = (float)(1.0 / (1.0 + exp(-x)));
    }
    return MM_OK;
}

static mm_clf_scorer *scorer_new(const char *path, const mm_clf_scorer_opts *opts) {
    mm_clf_scorer *s = mm_calloc(1, sizeof *s);
    if (!s) return NULL;
    if (opts)
        s->opts = *opts;
    else
        mm_clf_scorer_opts_default(&s->opts);
    if (!s->opts.label) s->opts.label = MM_CLF_LABEL_POS;
    if (!s->opts.max_bytes) s->opts.max_bytes = MM_CLF_MAX_BYTES_DEFAULT;
    s->path = mm_strndup(path, strlen(path));
    if (!s->path) {
        free(s);
        return NULL;
    }
    return s;
}

mm_err mm_clf_scorer_open_mem(const void *data, size_t n, const mm_clf_scorer_opts *opts,
                              mm_clf_scorer **out) {
    *out = NULL;
    mm_clf_scorer *s = scorer_new("<memory>", opts);
    if (!s) return MM_ERR_NOMEM;
    s->map = (uint8_t *)data, s->map_len = n, s->borrowed = true;
    mm_err e = setup(s, NULL);
    if (e != MM_OK) {
        mm_clf_scorer_close(s);
        return e;
    }
    *out = s;
    return MM_OK;
}

mm_err mm_clf_scorer_open(const char *path, const mm_clf_scorer_opts *opts, mm_clf_scorer **out) {
    *out = NULL;
    mm_clf_scorer *s = scorer_new(path, opts);
    if (!s) return MM_ERR_NOMEM;
    mm_err e = map_file(s, path);
    if (e == MM_OK) e = setup(s, path);
    if (e != MM_OK) {
        mm_clf_scorer_close(s);
        return e;
    }
    *out = s;
    return MM_OK;
}

void mm_clf_scorer_close(mm_clf_scorer *s) {
    if (!s) return;
    if (s->map && !s->borrowed) munmap(s->map, s->map_len);
    mm_huge_free(s->preloaded, s->preload_len);
    free(s->in_centroids);
    free(s->in_norm_centroids);
    free(s->out);
    free(s->out_alpha);
    free(s->words);
    free(s->word_len);
    mm_huge_free(s->tab, s->tab_bytes);
    free(s->prune_key);
    free(s->prune_val);
    free(s->tree);
    free(s->path);
    free(s);
}

const char *mm_clf_scorer_label(const mm_clf_scorer *s, int i) {
    if (i < 0 || i >= s->f.info.nlabels) return "";
    return s->words[s->f.info.nwords + i];
}

mm_err mm_clf_ctx_create(const mm_clf_scorer *s, mm_clf_ctx **out) {
    *out = NULL;
    mm_clf_ctx *c = mm_calloc(1, sizeof *c);
    if (!c) return MM_ERR_NOMEM;
    c->s = s;
    int dim = s->f.info.dim;
    if (posix_memalign((void **)&c->hidden, 64, (size_t)dim * 4 + 64) ||
        !(c->output = mm_calloc((size_t)s->f.info.nlabels + 1, sizeof(float)))) {
        mm_clf_ctx_free(c);
        return mm_fail(MM_ERR_NOMEM, "out of memory");
    }
    const mm_clf_token_counter *tc = s->opts.tokens;
    if (tc && !(c->tok = tc->open(tc->arg))) {
        mm_clf_ctx_free(c);
        return mm_fail(MM_ERR_NOMEM, "out of memory (token counter)");
    }
    *out = c;
    return MM_OK;
}

mm_err mm_clf_ctx_tokens(mm_clf_ctx *c, const char *text, size_t n, uint64_t *tokens) {
    const mm_clf_token_counter *tc = c->s->opts.tokens;
    if (!tc) {
        *tokens = MM_CLF_TOKENS(n);
        return MM_OK;
    }
    return tc->count(c->tok, text, n, tokens);
}

void mm_clf_ctx_free(mm_clf_ctx *c) {
    if (!c) return;
    free(c->rows);
    free(c->hashes);
    free(c->hidden);
    free(c->output);
    mm_buf_free(&c->norm);
    if (c->tok) c->s->opts.tokens->close(c->tok);
    free(c);
}

/* ---- line -> rows ---------------------------------------------------------------------------- */

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static inline bool push_row(mm_clf_ctx *c, int32_t r) {
    if (c->nrows == c->caprows && !grow((void **)&c->rows, &c->caprows, c->nrows + 1, 4))
        return false;
    c->rows[c->nrows++] = r;
    return true;
}

/* fastText's Dictionary::pushHash. */
static inline bool push_hash(mm_clf_ctx *c, int32_t id) {
    const mm_clf_scorer *s = c->s;
    int64_t ps = s->f.info.pruneidx_size;
    if (ps == 0 || id < 0) return true;
    if (ps > 0) {
        uint32_t k = fnv((const char *)&id, 4) & s->prune_mask;
        for (;; k = (k + 1) & s->prune_mask) {
            if (!s->prune_key[k]) return true;
            if (s->prune_key[k] == (uint32_t)id + 1u) break;
        }
        id = (int32_t)s->prune_val[k];
    }
    return push_row(c, (int32_t)s->f.info.nwords + id);
}

static int32_t lookup(const mm_clf_scorer *s, const char *w, size_t len, uint32_t h) {
    for (uint32_t k = h & s->tab_mask;; k = (k + 1) & s->tab_mask) {
        const word_slot *t = &s->tab[k];
        if (!t->id1) return -1;
        if (t->hash != h || t->len != len) continue;
        if (len <= sizeof t->inl ? !memcmp(t->inl, w, len) : !memcmp(s->words[t->id1 - 1], w, len))
            return (int32_t)t->id1 - 1;
    }
}

/* fastText's computeSubwords on "<" + word + ">" (`bw` holds it). */
static bool subwords(mm_clf_ctx *c, const char *bw, size_t n) {
    const mm_clf_model_info *in = &c->s->f.info;
    for (size_t i = 0; i < n; i++) {
        if ((bw[i] & 0xC0) == 0x80) continue;
        size_t j = i;
        for (int nn = 1; j < n && nn <= in->maxn; nn++) {
            j++;
            while (j < n && (bw[j] & 0xC0) == 0x80)
                j++;
            if (nn >= in->minn && !(nn == 1 && (i == 0 || j == n))) {
                int32_t h = (int32_t)(fnv(bw + i, j - i) % (uint32_t)in->bucket);
                if (!push_hash(c, h)) return false;
            }
        }
    }
    return true;
}

static bool add_word(mm_clf_ctx *c, const char *w, size_t len, int32_t wid, bool eos) {
    const mm_clf_model_info *in = &c->s->f.info;
    if (in->maxn <= 0 || in->bucket <= 0) return wid >= 0 ? push_row(c, wid) : true;
    if (wid >= 0 && !push_row(c, wid)) return false;
    if (eos) return true;
    char tmp[512];
    char *bw = len + 2 <= sizeof tmp ? tmp : malloc(len + 2);
    if (!bw) return false;
    bw[0] = '<';
    memcpy(bw + 1, w, len);
    bw[len + 1] = '>';
    bool ok = subwords(c, bw, len + 2);
    if (bw != tmp) free(bw);
    return ok;
}

static bool is_ft_space(unsigned char ch) {
    return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t' || ch == '\v' || ch == '\f' ||
           ch == 0;
}

/* fastText's Dictionary::getLine + addWordNgrams: fill c->rows. */
static bool line_rows(mm_clf_ctx *c, const char *line, size_t n) {
    const mm_clf_scorer *s = c->s;
    const mm_clf_model_info *in = &s->f.info;
    c->nrows = c->nhash = 0;
    size_t i = 0;
    for (bool done = false; !done;) {
        while (i < n && is_ft_space((unsigned char)line[i]) && line[i] != '\n')
            i++;
        const char *w = line + i;
        size_t len = 0;
        bool eos = i >= n || line[i] == '\n';
        if (eos) {
            w = "</s>", len = 4, done = true;
        } else {
            while (i + len < n && !is_ft_space((unsigned char)line[i + len]))
                len++;
            i += len;
        }
        uint32_t h = fnv(w, len);
        int32_t wid = lookup(s, w, len, h);
        bool label = wid >= 0 ? wid >= in->nwords : (len >= 9 && !memcmp(w, "__label__", 9));
        if (label) continue;
        if (!add_word(c, w, len, wid, eos)) return false;
        if (c->nhash == c->caphash && !grow((void **)&c->hashes, &c->caphash, c->nhash + 1, 4))
            return false;
        c->hashes[c->nhash++] = (int32_t)h;
    }
    if (in->bucket <= 0) return true;
    for (size_t a = 0; a < c->nhash; a++) {
        uint64_t h = (uint64_t)(int64_t)c->hashes[a];
        for (size_t b = a + 1; b < c->nhash && b < a + (size_t)in->word_ngrams; b++) {
            h = h * 116049371u + (uint64_t)(int64_t)c->hashes[b];
            if (!push_hash(c, (int32_t)(h % (uint64_t)in->bucket))) return false;
        }
    }
    return true;
}

/* ---- rows -> hidden -> probabilities ------------------------------------------------------- */

static inline void prefetch_row(const void *p, size_t bytes) {
    const char *q = p;
    for (size_t o = 0; o < bytes; o += 64)
        __builtin_prefetch(q + o, 0, 3);
}

static inline void add_row(float *restrict h, const ufloat *r, int dim) {
    int j = 0;
#if defined(__SSE2__)
    for (; j + 8 <= dim; j += 8) {
        __m128 a = _mm_add_ps(_mm_load_ps(h + j), _mm_loadu_ps((const float *)(r + j)));
        __m128 b = _mm_add_ps(_mm_load_ps(h + j + 4), _mm_loadu_ps((const float *)(r + j + 4)));
        _mm_store_ps(h + j, a);
        _mm_store_ps(h + j + 4, b);
    }
#endif
    for (; j < dim; j++)
        h[j] += r[j];
}

static void hidden_dense(mm_clf_ctx *c) {
    const mm_clf_scorer *s = c->s;
    int dim = s->f.info.dim;
    size_t rowb = (size_t)dim * 4;
    const int32_t *rows = c->rows;
    size_t n = c->nrows;
    for (size_t k = 0; k < n && k < PF_DIST; k++)
        prefetch_row(s->in + (size_t)rows[k] * dim, rowb);
    for (size_t k = 0; k < n; k++) {
        if (k + PF_DIST < n) prefetch_row(s->in + (size_t)rows[k + PF_DIST] * dim, rowb);
        add_row(c->hidden, s->in + (size_t)rows[k] * dim, dim);
    }
}

static void hidden_quant(mm_clf_ctx *c) {
    const mm_clf_scorer *s = c->s;
    const pq_info *pq = &s->f.in.pq;
    float *h = c->hidden;
    size_t n = c->nrows, cb = (size_t)pq->nsubq;
    for (size_t k = 0; k < n && k < PF_DIST; k++)
        prefetch_row(s->in_codes + (size_t)c->rows[k] * cb, cb);
    for (size_t k = 0; k < n; k++) {
        if (k + PF_DIST < n) prefetch_row(s->in_codes + (size_t)c->rows[k + PF_DIST] * cb, cb);
        size_t r = (size_t)c->rows[k];
        float alpha = 1.0f;
        if (s->in_norm_codes) alpha = s->in_norm_centroids[s->in_norm_codes[r]];
        const uint8_t *code = s->in_codes + r * cb;
        for (int32_t m = 0; m < pq->nsubq; m++) {
            const float *cc = centroid(pq, s->in_centroids, m, code[m]);
            int32_t d = m == pq->nsubq - 1 ? pq->lastdsub : pq->dsub;
            float *x = h + (size_t)m * pq->dsub;
            for (int32_t t = 0; t < d; t++)
                x[t] += alpha * cc[t];
        }
    }
}

static inline float dot_out(const mm_clf_scorer *s, const float *h, int32_t i) {
    int dim = s->f.info.dim;
    const float *w = s->out + (size_t)i * dim;
    float d = 0.0f;
    for (int j = 0; j < dim; j++)
        d += w[j] * h[j];
    return d * s->out_alpha[i];
}

static inline float std_log(float x) {
    return (float)log((double)x + 1e-5);
}

static float table_sigmoid(const mm_clf_scorer *s, float x) {
    if (isnan(x)) return x; /* fastText throws on NaN; never index the table with it */
    if (x < -8) return 0.0f;
    if (x > 8) return 1.0f;
    int64_t i = (int64_t)((x + 8) * 512 / 8 / 2);
    return s->sigmoid_tab[i];
}

/* Log-probability (fastText's std_log sums) of label `leaf` under the hs tree. */
static float hs_logp(const mm_clf_scorer *s, const float *h, int32_t leaf) {
    int32_t path[64], np = 0, osz = (int32_t)s->f.info.nlabels;
    for (int32_t n = leaf; s->tree[n].parent >= 0 && np < 64; n = s->tree[n].parent)
        path[np++] = n;
    float score = 0.0f;
    for (int32_t k = np - 1; k >= 0; k--) {
        int32_t node = path[k], parent = s->tree[node].parent;
        float f = dot_out(s, h, parent - osz);
        f = (float)(1. / (1 + exp(-(double)f)));
        score = score + std_log(s->tree[node].binary ? f : (float)(1.0 - f));
    }
    return score;
}

/* Probabilities as fastText prints them, for all labels; 0 labels when the line is empty. */
static int predict_rows(mm_clf_ctx *c, float *probs) {
    const mm_clf_scorer *s = c->s;
    int dim = s->f.info.dim;
    int32_t nl = (int32_t)s->f.info.nlabels;
    if (c->nrows == 0) return 0;
    memset(c->hidden, 0, (size_t)dim * 4);
    if (s->f.in.quant)
        hidden_quant(c);
    else
        hidden_dense(c);
    float scale = (float)(1.0 / (double)c->nrows);
    for (int j = 0; j < dim; j++)
        c->hidden[j] *= scale;
    float *o = c->output;
    if (s->f.loss == 1) {
        for (int32_t i = 0; i < nl; i++)
            probs[i] = expf(hs_logp(s, c->hidden, i));
        return nl;
    }
    for (int32_t i = 0; i < nl; i++)
        o[i] = dot_out(s, c->hidden, i);
    if (s->f.loss == 3) {
        float mx = o[0], z = 0.0f;
        for (int32_t i = 0; i < nl; i++)
            mx = o[i] > mx ? o[i] : mx;
        for (int32_t i = 0; i < nl; i++) {
            o[i] = (float)exp((double)(o[i] - mx));
            z += o[i];
        }
        for (int32_t i = 0; i < nl; i++)
            o[i] /= z;
    } else {
        for (int32_t i = 0; i < nl; i++)
            o[i] = table_sigmoid(s, o[i]);
    }
    for (int32_t i = 0; i < nl; i++)
        probs[i] = expf(std_log(o[i]));
    return nl;
}

int mm_clf_predict_line(mm_clf_ctx *c, const char *line, size_t n, float *probs) {
    if (!line_rows(c, line, n)) return 0;
    return predict_rows(c, probs);
}

static float score_rows(mm_clf_ctx *c) {
    const mm_clf_scorer *s = c->s;
    float stackp[16], *p = stackp;
    if (s->f.info.nlabels > 16) {
        p = malloc((size_t)s->f.info.nlabels * sizeof *p);
        if (!p) return 0;
    }
    float r = predict_rows(c, p) ? p[s->label_idx] : 0.0f;
    if (p != stackp) free(p);
    return r;
}

float mm_clf_score_line(mm_clf_ctx *c, const char *line, size_t n) {
    if (!line_rows(c, line, n)) return 0;
    return score_rows(c);
}

float mm_clf_score_text(mm_clf_ctx *c, const char *text, size_t n) {
    mm_buf_clear(&c->norm);
    if (mm_clf_normalize(&c->norm, text, n, c->s->opts.max_bytes) != MM_OK) return 0;
    return mm_clf_score_line(c, c->norm.data ? c->norm.data : "", c->norm.len);
}

mm_err mm_clf_score_batch(mm_clf_ctx *c, const char *const *texts, const size_t *lens, size_t n,
                          float *scores) {
    for (size_t i = 0; i < n; i++) {
        mm_buf_clear(&c->norm);
        MM_TRY(mm_clf_normalize(&c->norm, texts[i], lens[i], c->s->opts.max_bytes));
        if (!line_rows(c, c->norm.data ? c->norm.data : "", c->norm.len))
            return mm_fail(MM_ERR_NOMEM, "out of memory scoring a document");
        scores[i] = score_rows(c);
    }
    return MM_OK;
}

mm_err mm_clf_model_check(const char *path, mm_clf_model_info *info) {
    mm_clf_scorer s;
    memset(&s, 0, sizeof s);
    s.path = (char *)path;
    MM_TRY(map_file(&s, path));
    ft_parsed f;
    mm_err e = ft_parse(s.map, s.map_len, path, &f);
    munmap(s.map, s.map_len);
    if (e == MM_OK && info) *info = f.info;
    return e;
}
