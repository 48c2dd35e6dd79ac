/* rl/tokenizer.c — the byte-level BPE tokenizer: building, Hugging Face files, encode, decode.
 * Training lives in rl/bpe_train.c, the pre-tokeniser and byte table in rl/bpe_unicode.c. */
#include "rl/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/json.h"
#include "rl/bpe_internal.h"

struct mm_tok {
    uint32_t n;
    char *arena;
    uint64_t *off;
    uint32_t *len;
    uint8_t *special;
    uint32_t nmerges;
    uint32_t *ma, *mb, *mz;
    bpe_pairmap rank; /* (a, b) -> rank */
    int eot;
    uint32_t byte_tok[256]; /* the single-byte token of each byte */
};

/* ---------------------------------------------------------------- id vectors */

mm_err mm_tok_ids_push(mm_tok_ids *ids, uint32_t id) {
    if (ids->len == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 256;
        uint32_t *v = realloc(ids->v, cap * sizeof *v);
        if (!v) return mm_fail(MM_ERR_NOMEM, "token id vector of %zu", cap);
        ids->v = v;
        ids->cap = cap;
    }
    ids->v[ids->len++] = id;
    return MM_OK;
}

static mm_err ids_reserve(mm_tok_ids *ids, size_t extra) {
    if (ids->len + extra <= ids->cap) return MM_OK;
    size_t cap = ids->cap ? ids->cap : 256;
    while (cap < ids->len + extra)
        cap *= 2;
    uint32_t *v = realloc(ids->v, cap * sizeof *v);
    if (!v) return mm_fail(MM_ERR_NOMEM, "token id vector of %zu", cap);
    ids->v = v;
    ids->cap = cap;
    return MM_OK;
}

void mm_tok_ids_free(mm_tok_ids *ids) {
    free(ids->v);
    ids->v = NULL;
    ids->len = ids->cap = 0;
}

/* ---------------------------------------------------------------- building */

static void parts_free(bpe_parts *p) {
    free(p->arena);
    free(p->off);
    free(p->len);
    free(p->special);
    free(p->ma);
    free(p->mb);
    free(p->mz);
    memset(p, 0, sizeof *p);
}

void mm_tok_free(mm_tok *t) {
    if (!t) return;
    free(t->arena);
    free(t->off);
    free(t->len);
    free(t->special);
    free(t->ma);
    free(t->mb);
    free(t->mz);
    bpe_pairmap_free(&t->rank);
    free(t);
}

/* Index the merges by pair.  A pair listed twice keeps its first (lowest) rank. */
static mm_err index_merges(mm_tok *t, const char *what) {
    MM_TRY(bpe_pairmap_init(&t->rank, t->nmerges));
    for (uint32_t r = 0; r < t->nmerges; r++) {
        if (t->ma[r] >= t->n || t->mb[r] >= t->n || t->mz[r] >= t->n)
            return mm_fail(MM_ERR_FORMAT, "%s: merge %u names a token outside the vocabulary", what,
                           r + 1);
        bool added;
        if (!bpe_pairmap_put(&t->rank, bpe_pair_key(t->ma[r], t->mb[r]), r, &added))
            return mm_fail(MM_ERR_NOMEM, "%s: merge index", what);
    }
    return MM_OK;
}

mm_err bpe_tok_build(bpe_parts *p, const char *what, mm_tok **out) {
    *out = NULL;
    mm_tok *t = mm_calloc(1, sizeof *t);
    if (!t || (!p->special && !(p->special = mm_calloc(p->n ? p->n : 1, 1)))) {
        free(t);
        parts_free(p);
        return MM_ERR_NOMEM;
    }
    if (p->eot >= 0) p->special[p->eot] = 1;
    t->n = p->n;
    t->arena = p->arena;
    t->off = p->off;
    t->len = p->len;
    t->special = p->special;
    t->nmerges = p->nmerges;
    t->ma = p->ma;
    t->mb = p->mb;
    t->mz = p->mz;
    t->eot = p->eot;
    memset(p, 0, sizeof *p);
    int found[256] = {0};
    for (uint32_t i = 0; i < t->n; i++) {
        if (t->len[i] != 1 || t->special[i]) continue;
        unsigned b = (unsigned char)t->arena[t->off[i]];
        if (!found[b]) t->byte_tok[b] = i, found[b] = 1;
    }
    for (unsigned b = 0; b < 256; b++)
        if (!found[b]) {
            mm_tok_free(t);
            return mm_fail(MM_ERR_FORMAT,
                           "%s: no token for byte 0x%02X (code point U+%04X); a byte-level "
                           "vocabulary needs all 256",
                           what, b, bpe_byte_cp(b));
        }
    mm_err e = index_merges(t, what);
    if (e != MM_OK) {
        mm_tok_free(t);
        return e;
    }
    *out = t;
    return MM_OK;
}

int mm_tok_vocab_size(const mm_tok *t) {
    return (int)t->n;
}
int mm_tok_merges(const mm_tok *t) {
    return (int)t->nmerges;
}
int mm_tok_eot(const mm_tok *t) {
    return t->eot;
}

const char *mm_tok_bytes(const mm_tok *t, uint32_t id, size_t *len) {
    if (id >= t->n) return NULL;
    *len = t->len[id];
    return t->arena + t->off[id];
}

/* ---------------------------------------------------------------- saving */

/* A token as it appears in vocab.json / merges.txt: each byte as its GPT-2 code point. */
static mm_err put_token_str(const mm_tok *t, uint32_t id, mm_buf *b) {
    const unsigned char *p = (const unsigned char *)t->arena + t->off[id];
    if (t->special[id]) return mm_buf_append(b, p, t->len[id]);
    for (uint32_t i = 0; i < t->len[id]; i++) {
        char u[4];
        int k = mm_utf8_encode(bpe_byte_cp(p[i]), u);
        MM_TRY(mm_buf_append(b, u, (size_t)k));
    }
    return MM_OK;
}

static mm_err write_file(const char *dir, const char *name, const mm_buf *b) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mm_out *o;
    MM_TRY(mm_out_open(path, 0, &o));
    mm_err e = mm_out_write(o, b->data, b->len);
    if (e != MM_OK) {
        mm_out_abort(o);
        return e;
    }
    return mm_out_commit(o);
}

static mm_err vocab_json(const mm_tok *t, mm_buf *b) {
    mm_buf s = {0};
    mm_err e = mm_buf_puts(b, "{");
    for (uint32_t i = 0; i < t->n && e == MM_OK; i++) {
        mm_buf_clear(&s);
        e = put_token_str(t, i, &s);
        if (e == MM_OK) e = mm_buf_puts(b, i ? ",\n" : "\n");
        if (e == MM_OK) e = mm_json_str(b, s.data, s.len);
        if (e == MM_OK) e = mm_buf_printf(b, ": %u", i);
    }
    if (e == MM_OK) e = mm_buf_puts(b, "\n}\n");
    mm_buf_free(&s);
    return e;
}

static mm_err merges_txt(const mm_tok *t, mm_buf *b) {
    MM_TRY(mm_buf_puts(b, "#version: 0.2\n"));
    for (uint32_t r = 0; r < t->nmerges; r++) {
        MM_TRY(put_token_str(t, t->ma[r], b));
        MM_TRY(mm_buf_putc(b, ' '));
        MM_TRY(put_token_str(t, t->mb[r], b));
        MM_TRY(mm_buf_putc(b, '\n'));
    }
    return MM_OK;
}

static mm_err config_json(const mm_tok *t, mm_buf *b) {
    mm_jw w;
    mm_jw_init(&w, b);
    MM_TRY(mm_jw_obj_begin(&w));
    MM_TRY(mm_jw_key(&w, "tokenizer_class"));
    MM_TRY(mm_jw_string(&w, "GPT2Tokenizer"));
    MM_TRY(mm_jw_key(&w, "add_prefix_space"));
    MM_TRY(mm_jw_bool(&w, false));
    MM_TRY(mm_jw_key(&w, "model_max_length"));
    MM_TRY(mm_jw_int(&w, 1024));
    static const char *const names[] = {"bos_token", "eos_token", "unk_token"};
    for (int i = 0; i < 3 && t->eot >= 0; i++) {
        MM_TRY(mm_jw_key(&w, names[i]));
        MM_TRY(mm_jw_string(&w, MM_TOK_EOT_STR));
    }
    MM_TRY(mm_jw_key(&w, "vocab_size"));
    MM_TRY(mm_jw_uint(&w, t->n));
    MM_TRY(mm_jw_obj_end(&w));
    return mm_buf_putc(b, '\n');
}

mm_err mm_tok_save(const mm_tok *t, const char *dir) {
    MM_TRY(mm_mkdirs(dir));
    mm_buf b = {0};
    mm_err e = vocab_json(t, &b);
    if (e == MM_OK) e = write_file(dir, "vocab.json", &b);
    mm_buf_clear(&b);
    if (e == MM_OK) e = merges_txt(t, &b);
    if (e == MM_OK) e = write_file(dir, "merges.txt", &b);
    mm_buf_clear(&b);
    if (e == MM_OK) e = config_json(t, &b);
    if (e == MM_OK) e = write_file(dir, "tokenizer_config.json", &b);
    mm_buf_free(&b);
    return e;
}

/* ---------------------------------------------------------------- loading */

/* The bytes a vocab.json string stands for.  Returns false when a character is outside GPT-2's
 * byte table (then the string is an added token, kept verbatim). */
static bool unmap_str(const char *s, size_t n, mm_buf *out) {
    mm_buf_clear(out);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += (size_t)mm_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        int b = bpe_cp_byte(cp);
        if (b < 0) return false;
        char c = (char)b;
        if (mm_buf_append(out, &c, 1) != MM_OK) return false;
    }
    return true;
}

typedef struct loader {
    bpe_parts p;
    bpe_strmap by_str; /* vocab.json key -> id */
    size_t arena_len, arena_cap;
} loader;

static mm_err loader_alloc(loader *L, uint32_t n) {
    L->p.n = n;
    L->p.off = mm_calloc(n ? n : 1, sizeof *L->p.off);
    L->p.len = mm_calloc(n ? n : 1, sizeof *L->p.len);
    L->p.special = mm_calloc(n ? n : 1, 1);
    if (!L->p.off || !L->p.len || !L->p.special) return MM_ERR_NOMEM;
    return MM_OK;
}

static mm_err arena_add(loader *L, const char *s, size_t n, uint64_t *off) {
    if (L->arena_len + n + 1 > L->arena_cap) {
        size_t cap = L->arena_cap ? L->arena_cap * 2 : 1 << 16;
        while (cap < L->arena_len + n + 1)
            cap *= 2;
        char *a = realloc(L->p.arena, cap);
        if (!a) return mm_fail(MM_ERR_NOMEM, "token arena of %zu bytes", cap);
        L->p.arena = a;
        L->arena_cap = cap;
    }
    *off = L->arena_len;
    if (n) memcpy(L->p.arena + L->arena_len, s, n);
    L->arena_len += n;
    return MM_OK;
}

/* One "token": id member of vocab.json. */
static mm_err load_token(loader *L, const mm_json *m, uint8_t *seen, mm_buf *tmp) {
    if (m->type != MM_JSON_NUM || m->num < 0 || m->num >= L->p.n || m->num != (uint32_t)m->num)
        return mm_fail(MM_ERR_FORMAT,
                       "vocab.json: token \"%.40s\": id must be an integer in [0, %u)", m->key,
                       L->p.n);
    uint32_t id = (uint32_t)m->num;
    if (seen[id])
        return mm_fail(MM_ERR_FORMAT, "vocab.json: id %u is given to two tokens (\"%.40s\")", id,
                       m->key);
    seen[id] = 1;
    size_t klen = strlen(m->key);
    bool added;
    if (bpe_strmap_put(&L->by_str, m->key, klen, bpe_hash(m->key, klen), id, &added) < 0)
        return mm_fail(MM_ERR_NOMEM, "vocab.json: token index");
    bool special = !strcmp(m->key, MM_TOK_EOT_STR);
    if (special) L->p.eot = (int)id;
    if (special || !unmap_str(m->key, klen, tmp)) {
        L->p.special[id] = 1;
        MM_TRY(arena_add(L, m->key, klen, &L->p.off[id]));
        L->p.len[id] = (uint32_t)klen;
    } else {
        MM_TRY(arena_add(L, tmp->data, tmp->len, &L->p.off[id]));
        L->p.len[id] = (uint32_t)tmp->len;
    }
    return MM_OK;
}

static mm_err load_vocab(loader *L, const char *text, size_t n) {
    mm_json_doc *doc;
    mm_json *root;
    mm_err e = mm_json_parse(text, n, &doc, &root);
    if (e != MM_OK) return mm_fail(e, "vocab.json: %s", mm_error_detail());
    if (root->type != MM_JSON_OBJ || root->len == 0 || root->len > (1u << 30)) {
        mm_json_doc_free(doc);
        return mm_fail(MM_ERR_FORMAT, "vocab.json: expected a non-empty object of token: id");
    }
    e = loader_alloc(L, (uint32_t)root->len);
    uint8_t *seen = e == MM_OK ? mm_calloc(root->len, 1) : NULL;
    if (!seen) e = MM_ERR_NOMEM;
    mm_buf tmp = {0};
    for (const mm_json *m = root->child; m && e == MM_OK; m = m->next)
        e = load_token(L, m, seen, &tmp);
    /* ids are distinct and < n, and there are n members: so they are exactly 0..n-1 */
    mm_buf_free(&tmp);
    free(seen);
    mm_json_doc_free(doc);
    return e;
}

/* One "A B" line of merges.txt, 1-based line number `ln`. */
static mm_err load_merge(loader *L, const char *s, size_t n, size_t ln, mm_buf *cat, uint32_t r) {
    const char *sp = memchr(s, ' ', n);
    if (!sp || sp == s || sp + 1 == s + n || memchr(sp + 1, ' ', (size_t)(s + n - sp - 1)))
        return mm_fail(MM_ERR_FORMAT,
                       "merges.txt: line %zu: expected two tokens separated by "
                       "one space",
                       ln);
    size_t na = (size_t)(sp - s), nb = n - na - 1;
    int64_t a = bpe_strmap_find(&L->by_str, s, na, bpe_hash(s, na));
    int64_t b = bpe_strmap_find(&L->by_str, sp + 1, nb, bpe_hash(sp + 1, nb));
    mm_buf_clear(cat);
    MM_TRY(mm_buf_append(cat, s, na));
    MM_TRY(mm_buf_append(cat, sp + 1, nb));
    int64_t z = bpe_strmap_find(&L->by_str, cat->data, cat->len, bpe_hash(cat->data, cat->len));
    if (a < 0 || b < 0 || z < 0)
        return mm_fail(MM_ERR_FORMAT, "merges.txt: line %zu: token \"%.*s\" is not in vocab.json",
                       ln,
                       (int)(a < 0   ? na
                             : b < 0 ? nb
                                     : cat->len),
                       a < 0   ? s
                       : b < 0 ? sp + 1
                               : cat->data);
    L->p.ma[r] = (uint32_t)L->by_str.val[a];
    L->p.mb[r] = (uint32_t)L->by_str.val[b];
    L->p.mz[r] = (uint32_t)L->by_str.val[z];
    return MM_OK;
}

static mm_err load_merges(loader *L, const char *text, size_t n) {
    size_t lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    L->p.ma = mm_malloc(lines * sizeof *L->p.ma);
    L->p.mb = mm_malloc(lines * sizeof *L->p.mb);
    L->p.mz = mm_malloc(lines * sizeof *L->p.mz);
    if (!L->p.ma || !L->p.mb || !L->p.mz) return MM_ERR_NOMEM;
    mm_buf cat = {0};
    mm_err e = MM_OK;
    size_t ln = 0;
    for (size_t i = 0; i < n && e == MM_OK;) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - text) : n, len = end - i;
        ln++;
        if (len && text[i + len - 1] == '\r') len--;
        bool skip = len == 0 || (ln == 1 && len >= 9 && !memcmp(text + i, "#version:", 9));
        if (!skip) e = load_merge(L, text + i, len, ln, &cat, L->p.nmerges++);
        i = end + 1;
    }
    mm_buf_free(&cat);
    return e;
}

mm_err mm_tok_load_mem(const char *vocab, size_t vn, const char *merges, size_t mn, mm_tok **out) {
    *out = NULL;
    loader L;
    memset(&L, 0, sizeof L);
    L.p.eot = -1;
    mm_err e = load_vocab(&L, vocab, vn);
    if (e == MM_OK) e = load_merges(&L, merges, mn);
    bpe_strmap_free(&L.by_str);
    if (e != MM_OK) {
        parts_free(&L.p);
        return e;
    }
    return bpe_tok_build(&L.p, "vocab.json", out);
}

mm_err mm_tok_load(const char *dir, mm_tok **out) {
    *out = NULL;
    char path[4096];
    mm_buf v = {0}, m = {0};
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    mm_err e = mm_read_file(path, &v);
    if (e == MM_OK) {
        snprintf(path, sizeof path, "%s/merges.txt", dir);
        e = mm_read_file(path, &m);
    }
    if (e == MM_OK) {
        e = mm_tok_load_mem(v.data, v.len, m.data, m.len, out);
        if (e != MM_OK) mm_fail(e, "%s/%s", dir, mm_error_detail());
    }
    mm_buf_free(&v);
    mm_buf_free(&m);
    return e;
}

/* ---------------------------------------------------------------- encoding */

#define CACHE_MAX_WORD 256       /* longer pre-tokens are encoded every time */
#define CACHE_MAX_IDS (1u << 24) /* the cache is cleared when it holds more ids than this */
#define NAIVE_MAX 48             /* longer words merge with a heap, O(n log n) */
/* A pre-token longer than this (a megabyte of letters without a space) is merged in pieces of
 * this size, so that the scratch memory stays bounded; no real text comes near it. */
#define MAX_BPE_WORD (1u << 20)

struct mm_tok_enc {
    const mm_tok *t;
    bpe_strmap cache; /* pre-token -> (offset << 16 | count) into cids */
    uint32_t *cids;
    size_t clen, ccap;
    /* scratch for long words */
    uint32_t *sym;
    int32_t *prev, *next;
    uint64_t *heap;
    size_t scap;
};

mm_err mm_tok_enc_create(const mm_tok *t, mm_tok_enc **out) {
    mm_tok_enc *e = mm_calloc(1, sizeof *e);
    if (!e) return MM_ERR_NOMEM;
    e->t = t;
    *out = e;
    return MM_OK;
}

void mm_tok_enc_free(mm_tok_enc *e) {
    if (!e) return;
    bpe_strmap_free(&e->cache);
    free(e->cids);
    free(e->sym);
    free(e->prev);
    free(e->next);
    free(e->heap);
    free(e);
}

/* One thread's token counter: an encoder and the id vector it reuses. */
typedef struct tok_counter {
    mm_tok_enc *enc;
    mm_tok_ids ids;
} tok_counter;

void *mm_tok_counter_open(void *tok) {
    tok_counter *c = mm_calloc(1, sizeof *c);
    if (c && mm_tok_enc_create(tok, &c->enc) != MM_OK) {
        free(c);
        c = NULL;
    }
    return c;
}

mm_err mm_tok_counter_count(void *state, const char *text, size_t n, uint64_t *tokens) {
    tok_counter *c = state;
    c->ids.len = 0;
    MM_TRY(mm_tok_encode(c->enc, text, n, &c->ids));
    *tokens = c->ids.len;
    return MM_OK;
}

void mm_tok_counter_close(void *state) {
    tok_counter *c = state;
    if (!c) return;
    mm_tok_enc_free(c->enc);
    mm_tok_ids_free(&c->ids);
    free(c);
}

static inline uint32_t rank_of(const mm_tok *t, uint32_t a, uint32_t b) {
    return bpe_pairmap_get(&t->rank, bpe_pair_key(a, b));
}

/* Short words: find the lowest-ranked adjacent pair, merge every occurrence of it left to
 * right, repeat.  sym[0..m) in, the merged symbols out; returns their number. */
static size_t merge_naive(const mm_tok *t, uint32_t *sym, size_t m) {
    while (m > 1) {
        uint32_t best = UINT32_MAX;
        size_t pos = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            uint32_t r = rank_of(t, sym[i], sym[i + 1]);
            if (r < best) best = r, pos = i;
        }
        if (best == UINT32_MAX) break;
        uint32_t a = t->ma[best], b = t->mb[best], z = t->mz[best];
        size_t o = pos;
        for (size_t i = pos; i < m;) {
            if (i + 1 < m && sym[i] == a && sym[i + 1] == b) {
                sym[o++] = z;
                i += 2;
            } else {
                sym[o++] = sym[i++];
            }
        }
        m = o;
    }
    return m;
}

static mm_err scratch_reserve(mm_tok_enc *e, size_t m) {
    if (m <= e->scap) return MM_OK;
    size_t cap = e->scap ? e->scap : 1024;
    while (cap < m)
        cap *= 2;
    uint32_t *s = realloc(e->sym, cap * sizeof *s);
    if (s) e->sym = s;
    int32_t *p = realloc(e->prev, cap * sizeof *p);
    if (p) e->prev = p;
    int32_t *n = realloc(e->next, cap * sizeof *n);
    if (n) e->next = n;
    uint64_t *h = realloc(e->heap, 3 * cap * sizeof *h); /* m-1 pairs + 2 per merge */
    if (h) e->heap = h;
    if (!s || !p || !n || !h) return mm_fail(MM_ERR_NOMEM, "encoder scratch for %zu bytes", m);
    e->scap = cap;
    return MM_OK;
}

/* Min-heap of (rank << 32 | position): the lowest rank first, then the leftmost. */
static void heap_push(uint64_t *h, size_t *n, uint64_t v) {
    size_t i = (*n)++;
    while (i && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n) {
    uint64_t top = h[0], v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1] < h[c]) c++;
        if (h[c] >= v) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = v;
    return top;
}

static void push_pair(const mm_tok *t, const mm_tok_enc *e, uint64_t *heap, size_t *hn, int32_t i) {
    if (i < 0 || e->next[i] < 0) return;
    uint32_t r = rank_of(t, e->sym[i], e->sym[e->next[i]]);
    if (r != UINT32_MAX) heap_push(heap, hn, (uint64_t)r << 32 | (uint32_t)i);
}

/* Long words: the same merges in the same order, on a linked list with a heap of candidate
 * pairs.  An entry is stale when its left symbol was merged away or the pair at its position
 * has changed; since ranks are unique per pair, "rank still matches" detects both. */
static size_t merge_heap(mm_tok_enc *e, size_t m) {
    const mm_tok *t = e->t;
    size_t hn = 0;
    for (size_t i = 0; i < m; i++) {
        e->prev[i] = (int32_t)i - 1;
        e->next[i] = i + 1 < m ? (int32_t)i + 1 : -1;
    }
    for (size_t i = 0; i + 1 < m; i++)
        push_pair(t, e, e->heap, &hn, (int32_t)i);
    while (hn) {
        uint64_t top = heap_pop(e->heap, &hn);
        uint32_t r = (uint32_t)(top >> 32);
        int32_t i = (int32_t)(uint32_t)top;
        if (e->sym[i] == UINT32_MAX || e->next[i] < 0) continue;
        int32_t j = e->next[i];
        if (e->sym[i] != t->ma[r] || e->sym[j] != t->mb[r]) continue;
        e->sym[i] = t->mz[r];
        e->sym[j] = UINT32_MAX; /* dead */
        e->next[i] = e->next[j];
        if (e->next[j] >= 0) e->prev[e->next[j]] = i;
        push_pair(t, e, e->heap, &hn, e->prev[i]);
        push_pair(t, e, e->heap, &hn, i);
    }
    size_t o = 0;
    for (int32_t i = 0; i >= 0; i = e->next[i])
        e->sym[o++] = e->sym[i];
    return o;
}

/* Encode one pre-token into ids (appended). */
static mm_err encode_word(mm_tok_enc *e, const unsigned char *w, size_t m, mm_tok_ids *ids) {
    const mm_tok *t = e->t;
    MM_TRY(ids_reserve(ids, m));
    uint32_t *out = ids->v + ids->len;
    if (m == 1) {
        out[0] = t->byte_tok[w[0]];
        ids->len++;
        return MM_OK;
    }
    size_t k;
    if (m <= NAIVE_MAX) {
        for (size_t i = 0; i < m; i++)
            out[i] = t->byte_tok[w[i]];
        k = merge_naive(t, out, m);
    } else {
        MM_TRY(scratch_reserve(e, m));
        for (size_t i = 0; i < m; i++)
            e->sym[i] = t->byte_tok[w[i]];
        k = merge_heap(e, m);
        memcpy(out, e->sym, k * sizeof *out);
    }
    ids->len += k;
    return MM_OK;
}

static mm_err cache_store(mm_tok_enc *e, const char *w, size_t m, uint64_t h, const uint32_t *v,
                          size_t k) {
    if (e->clen + k > CACHE_MAX_IDS) {
        bpe_strmap_clear(&e->cache);
        e->clen = 0;
    }
    if (e->clen + k > e->ccap) {
        size_t cap = e->ccap ? e->ccap * 2 : 1 << 16;
        while (cap < e->clen + k)
            cap *= 2;
        uint32_t *c = realloc(e->cids, cap * sizeof *c);
        if (!c) return mm_fail(MM_ERR_NOMEM, "encoder cache of %zu ids", cap);
        e->cids = c;
        e->ccap = cap;
    }
    bool added;
    if (bpe_strmap_put(&e->cache, w, m, h, (uint64_t)e->clen << 16 | k, &added) < 0)
        return mm_fail(MM_ERR_NOMEM, "encoder cache");
    memcpy(e->cids + e->clen, v, k * sizeof *v);
    e->clen += k;
    return MM_OK;
}

static mm_err encode_cached(mm_tok_enc *e, const char *w, size_t m, mm_tok_ids *ids) {
    if (m == 1 || m > CACHE_MAX_WORD) return encode_word(e, (const unsigned char *)w, m, ids);
    uint64_t h = bpe_hash(w, m);
    int64_t hit = bpe_strmap_find(&e->cache, w, m, h);
    if (hit >= 0) {
        uint64_t v = e->cache.val[hit];
        size_t k = v & 0xFFFF;
        MM_TRY(ids_reserve(ids, k));
        memcpy(ids->v + ids->len, e->cids + (v >> 16), k * sizeof *ids->v);
        ids->len += k;
        return MM_OK;
    }
    size_t before = ids->len;
    MM_TRY(encode_word(e, (const unsigned char *)w, m, ids));
    return cache_store(e, w, m, h, ids->v + before, ids->len - before);
}

mm_err mm_tok_encode(mm_tok_enc *e, const char *text, size_t n, mm_tok_ids *ids) {
    for (size_t i = 0; i < n;) {
        size_t j = mm_tok_split(text, n, i);
        for (size_t k = i; k < j; k += MAX_BPE_WORD)
            MM_TRY(encode_cached(e, text + k, j - k < MAX_BPE_WORD ? j - k : MAX_BPE_WORD, ids));
        i = j;
    }
    return MM_OK;
}

mm_err bpe_encode_reference(const mm_tok *t, const char *text, size_t n, mm_tok_ids *ids) {
    for (size_t i = 0; i < n;) {
        size_t j = mm_tok_split(text, n, i);
        for (size_t k = i; k < j; k += MAX_BPE_WORD) {
            size_t m = j - k < MAX_BPE_WORD ? j - k : MAX_BPE_WORD;
            MM_TRY(ids_reserve(ids, m));
            uint32_t *out = ids->v + ids->len;
            for (size_t x = 0; x < m; x++)
                out[x] = t->byte_tok[(unsigned char)text[k + x]];
            ids->len += merge_naive(t, out, m);
        }
        i = j;
    }
    return MM_OK;
}

mm_err mm_tok_decode(const mm_tok *t, const uint32_t *ids, size_t n, mm_buf *out) {
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= t->n)
            return mm_fail(MM_ERR_ARG, "token %zu: id %u is outside the vocabulary of %u", i,
                           ids[i], t->n);
        MM_TRY(mm_buf_append(out, t->arena + t->off[ids[i]], t->len[ids[i]]));
    }
    return MM_OK;
}
