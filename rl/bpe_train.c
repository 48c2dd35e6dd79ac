/* rl/bpe_train.c — byte-level BPE training.
 *
 * 1. Counting.  Texts are split into pre-tokens (mm_tok_split) and each distinct pre-token
 *    ("word") is counted, one hash map per thread, merged at the end.  Merges never cross a
 *    pre-token boundary, so from here on only the distinct words and their counts matter:
 *    100 MB of text is a few hundred thousand words.  A pre-token longer than MAX_WORD bytes
 *    (a run of digits or symbols) is counted as MAX_WORD-byte pieces, so that one pathological
 *    word cannot make every merge scan megabytes.
 *
 * 2. Merging.  Every adjacent symbol pair has a count (the sum of the counts of the words it
 *    occurs in, once per occurrence) and a list of the words it occurs in.  A max-heap orders
 *    the pairs by count, ties by the smaller (left id, right id), which makes training
 *    deterministic whatever the thread count.  Each step pops the best pair (a, b), names its
 *    concatenation z (a new id, or the id of an equal string made earlier by another pair, as
 *    Hugging Face's trainer does), and rewrites only the words on (a, b)'s list.  In a word,
 *    each occurrence  x a b y  becomes  x z y:  the counts of (x,a), (a,b), (b,y) drop by the
 *    word's count and (x,z), (z,y) rise.  Back-to-back occurrences  a b a b  are handled by
 *    letting the second occurrence account for the pair between them: (b,a) drops once and
 *    (z,z) rises once.  Pairs whose count rose are pushed again; the heap is lazy: a popped
 *    entry whose count no longer matches is re-pushed with the current count if that is
 *    lower, and dropped if it is higher (a fresher entry exists).  Word lists may hold stale
 *    or repeated words; rewriting a word that no longer has the pair changes nothing, and a
 *    per-word stamp skips repeats within one step. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/pool.h"
#include "common/progress.h" /* mm_now */
#include "rl/bpe_internal.h"

#define MAX_WORD 256

struct mm_tok_trainer {
    mm_tok_train_opts o;
    int threads;
    bpe_strmap *maps; /* per worker: word -> count */
    uint64_t *w_pretokens, *w_long, *w_bytes;
    mm_tok_train_stats st;
    /* the batch being counted */
    const char *const *texts;
    const size_t *lens;
};

mm_err mm_tok_trainer_create(const mm_tok_train_opts *o, mm_tok_trainer **out) {
    *out = NULL;
    if (o->vocab < 257 || o->vocab > (1 << 24))
        return mm_fail(MM_ERR_ARG,
                       "vocabulary size %d: must be in [257, 16777216] (256 bytes, "
                       "<|endoftext|> and the merges)",
                       o->vocab);
    mm_tok_trainer *tr = mm_calloc(1, sizeof *tr);
    if (!tr) return MM_ERR_NOMEM;
    tr->o = *o;
    if (tr->o.min_freq <= 0) tr->o.min_freq = 2;
    tr->threads = o->threads > 0 ? o->threads : mm_cpu_count();
    tr->maps = mm_calloc((size_t)tr->threads, sizeof *tr->maps);
    tr->w_pretokens = mm_calloc((size_t)tr->threads, sizeof(uint64_t));
    tr->w_long = mm_calloc((size_t)tr->threads, sizeof(uint64_t));
    tr->w_bytes = mm_calloc((size_t)tr->threads, sizeof(uint64_t));
    if (!tr->maps || !tr->w_pretokens || !tr->w_long || !tr->w_bytes) {
        mm_tok_trainer_free(tr);
        return MM_ERR_NOMEM;
    }
    *out = tr;
    return MM_OK;
}

void mm_tok_trainer_free(mm_tok_trainer *tr) {
    if (!tr) return;
    for (int i = 0; tr->maps && i < tr->threads; i++)
        bpe_strmap_free(&tr->maps[i]);
    free(tr->maps);
    free(tr->w_pretokens);
    free(tr->w_long);
    free(tr->w_bytes);
    free(tr);
}

/* ---------------------------------------------------------------- counting */

static mm_err count_word(bpe_strmap *m, const char *w, size_t n) {
    bool added;
    int64_t k = bpe_strmap_put(m, w, n, bpe_hash(w, n), 0, &added);
    if (k < 0) return mm_fail(MM_ERR_NOMEM, "pre-token counts (%zu distinct)", m->n);
    m->val[k]++;
    return MM_OK;
}

static mm_err count_text(void *ctx, size_t item, int worker) {
    mm_tok_trainer *tr = ctx;
    const char *s = tr->texts[item];
    size_t n = tr->lens[item];
    bpe_strmap *m = &tr->maps[worker];
    for (size_t i = 0; i < n;) {
        size_t j = mm_tok_split(s, n, i);
        tr->w_pretokens[worker]++;
        if (j - i > MAX_WORD) tr->w_long[worker]++;
        for (size_t p = i; p < j; p += MAX_WORD)
            MM_TRY(count_word(m, s + p, j - p < MAX_WORD ? j - p : MAX_WORD));
        i = j;
    }
    tr->w_bytes[worker] += n;
    return MM_OK;
}

mm_err mm_tok_trainer_add(mm_tok_trainer *tr, const char *const *texts, const size_t *lens,
                          size_t k) {
    double t0 = mm_now();
    tr->texts = texts;
    tr->lens = lens;
    mm_err e = mm_pool_run(k, tr->threads, count_text, tr);
    tr->st.count_s += mm_now() - t0;
    return e;
}

/* ---------------------------------------------------------------- merging: state */

typedef struct {
    uint32_t *v;
    uint32_t len, cap;
} u32vec;

typedef struct {
    int64_t count;
    uint32_t pair;
} heap_ent;

typedef struct trainer_state {
    /* words */
    size_t nwords;
    uint64_t *w_off;   /* [nwords] into sym */
    uint32_t *w_len;   /* [nwords] current number of symbols */
    uint64_t *w_count; /* [nwords] */
    uint32_t *w_stamp; /* [nwords] last step that rewrote the word */
    uint32_t *sym;
    /* tokens */
    bpe_strmap tokens; /* bytes -> id; key i of the map is token i */
    uint32_t ntok;
    /* merges */
    uint32_t *ma, *mb, *mz;
    uint32_t nmerges, mcap;
    /* pairs */
    bpe_pairmap pidx; /* (a, b) -> pair index */
    uint32_t *pa, *pb;
    int64_t *pcount, *pold;
    uint32_t *pstamp;
    uint8_t *pdone;
    u32vec *pwhere;
    size_t npairs, pcap;
    uint32_t *touched;
    size_t ntouched, tcap;
    /* heap */
    heap_ent *heap;
    size_t hn, hcap;
    uint32_t step;
} trainer_state;

static void state_free(trainer_state *S) {
    free(S->w_off);
    free(S->w_len);
    free(S->w_count);
    free(S->w_stamp);
    free(S->sym);
    bpe_strmap_free(&S->tokens);
    free(S->ma);
    free(S->mb);
    free(S->mz);
    bpe_pairmap_free(&S->pidx);
    free(S->pa);
    free(S->pb);
    free(S->pcount);
    free(S->pold);
    free(S->pstamp);
    free(S->pdone);
    for (size_t i = 0; i < S->npairs; i++)
        free(S->pwhere[i].v);
    free(S->pwhere);
    free(S->touched);
    free(S->heap);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static mm_err pairs_grow(trainer_state *S) {
    size_t c = S->pcap ? S->pcap * 2 : 1 << 16;
    void *arr[7] = {S->pa, S->pb, S->pcount, S->pold, S->pstamp, S->pdone, S->pwhere};
    size_t el[7] = {4, 4, 8, 8, 4, 1, sizeof(u32vec)};
    for (int i = 0; i < 7; i++) {
        void *q = realloc(arr[i], c * el[i]);
        if (!q) return mm_fail(MM_ERR_NOMEM, "pair table of %zu", c);
        arr[i] = q;
        memset((char *)q + S->pcap * el[i], 0, (c - S->pcap) * el[i]);
    }
    S->pa = arr[0], S->pb = arr[1], S->pcount = arr[2], S->pold = arr[3], S->pstamp = arr[4];
    S->pdone = arr[5], S->pwhere = arr[6];
    S->pcap = c;
    return MM_OK;
}

static mm_err vec_push(u32vec *v, uint32_t x) {
    if (v->len == v->cap) {
        uint32_t c = v->cap ? v->cap * 2 : 4;
        uint32_t *q = realloc(v->v, (size_t)c * sizeof *q);
        if (!q) return mm_fail(MM_ERR_NOMEM, "word list of %u", c);
        v->v = q;
        v->cap = c;
    }
    v->v[v->len++] = x;
    return MM_OK;
}

/* Larger count first; ties: smaller left id, then smaller right id. */
static int ent_before(const trainer_state *S, heap_ent x, heap_ent y) {
    if (x.count != y.count) return x.count > y.count;
    if (S->pa[x.pair] != S->pa[y.pair]) return S->pa[x.pair] < S->pa[y.pair];
    return S->pb[x.pair] < S->pb[y.pair];
}

static mm_err heap_push(trainer_state *S, uint32_t pair) {
    if (grow((void **)&S->heap, &S->hcap, S->hn + 1, sizeof *S->heap))
        return mm_fail(MM_ERR_NOMEM, "pair heap of %zu", S->hn + 1);
    heap_ent v = {S->pcount[pair], pair};
    size_t i = S->hn++;
    while (i && ent_before(S, v, S->heap[(i - 1) / 2])) {
        S->heap[i] = S->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    S->heap[i] = v;
    return MM_OK;
}

static heap_ent heap_pop(trainer_state *S) {
    heap_ent top = S->heap[0], v = S->heap[--S->hn];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= S->hn) break;
        if (c + 1 < S->hn && ent_before(S, S->heap[c + 1], S->heap[c])) c++;
        if (!ent_before(S, S->heap[c], v)) break;
        S->heap[i] = S->heap[c];
        i = c;
    }
    if (S->hn) S->heap[i] = v;
    return top;
}

/* Add d to the count of pair (a, b), creating it; a rise records `word` in its list. */
static mm_err pair_add(trainer_state *S, uint32_t a, uint32_t b, int64_t d, uint32_t word) {
    bool added;
    uint32_t *slot = bpe_pairmap_put(&S->pidx, bpe_pair_key(a, b), (uint32_t)S->npairs, &added);
    if (!slot) return mm_fail(MM_ERR_NOMEM, "pair index");
    uint32_t p = *slot;
    if (added) {
        if (S->npairs == S->pcap) MM_TRY(pairs_grow(S));
        S->npairs++;
        S->pa[p] = a;
        S->pb[p] = b;
    }
    if (S->pstamp[p] != S->step) {
        S->pstamp[p] = S->step;
        S->pold[p] = S->pcount[p];
        if (grow((void **)&S->touched, &S->tcap, S->ntouched + 1, sizeof *S->touched))
            return mm_fail(MM_ERR_NOMEM, "touched pairs");
        S->touched[S->ntouched++] = p;
    }
    S->pcount[p] += d;
    u32vec *w = &S->pwhere[p];
    if (d > 0 && (w->len == 0 || w->v[w->len - 1] != word)) MM_TRY(vec_push(w, word));
    return MM_OK;
}

/* ---------------------------------------------------------------- merging: setup */

static mm_err add_token(trainer_state *S, const char *b, size_t n, uint32_t *id) {
    bool added;
    int64_t k = bpe_strmap_put(&S->tokens, b, n, bpe_hash(b, n), S->ntok, &added);
    if (k < 0) return mm_fail(MM_ERR_NOMEM, "token table");
    if (added) S->ntok++;
    *id = (uint32_t)S->tokens.val[k];
    return MM_OK;
}

/* Sum the per-thread maps into the first one. */
static mm_err merge_maps(mm_tok_trainer *tr) {
    bpe_strmap *m0 = &tr->maps[0];
    for (int t = 1; t < tr->threads; t++) {
        bpe_strmap *m = &tr->maps[t];
        for (size_t i = 0; i < m->n; i++) {
            const char *k = bpe_strmap_key(m, i);
            bool added;
            int64_t j = bpe_strmap_put(m0, k, m->key_len[i], bpe_hash(k, m->key_len[i]), 0, &added);
            if (j < 0) return mm_fail(MM_ERR_NOMEM, "pre-token counts");
            m0->val[j] += m->val[i];
        }
        bpe_strmap_free(m);
    }
    return MM_OK;
}

static mm_err setup_words(trainer_state *S, const bpe_strmap *m, const uint32_t byte_id[256]) {
    S->nwords = m->n;
    size_t n = m->n ? m->n : 1;
    S->w_off = mm_malloc(n * sizeof *S->w_off);
    S->w_len = mm_malloc(n * sizeof *S->w_len);
    S->w_count = mm_malloc(n * sizeof *S->w_count);
    S->w_stamp = mm_calloc(n, sizeof *S->w_stamp);
    S->sym = mm_malloc((m->arena_len ? m->arena_len : 1) * sizeof *S->sym);
    if (!S->w_off || !S->w_len || !S->w_count || !S->w_stamp || !S->sym) return MM_ERR_NOMEM;
    uint64_t o = 0;
    for (size_t i = 0; i < m->n; i++) {
        const unsigned char *k = (const unsigned char *)bpe_strmap_key(m, i);
        S->w_off[i] = o;
        S->w_len[i] = m->key_len[i];
        S->w_count[i] = m->val[i];
        for (uint32_t j = 0; j < m->key_len[i]; j++)
            S->sym[o++] = byte_id[k[j]];
    }
    return MM_OK;
}

static mm_err setup_pairs(trainer_state *S) {
    MM_TRY(bpe_pairmap_init(&S->pidx, 1 << 16));
    S->step = 1; /* stamps start at 0: the first touch of each pair registers it */
    for (size_t w = 0; w < S->nwords; w++) {
        const uint32_t *s = S->sym + S->w_off[w];
        for (uint32_t i = 0; i + 1 < S->w_len[w]; i++)
            MM_TRY(pair_add(S, s[i], s[i + 1], (int64_t)S->w_count[w], (uint32_t)w));
    }
    S->ntouched = 0;
    for (size_t p = 0; p < S->npairs; p++)
        MM_TRY(heap_push(S, (uint32_t)p));
    return MM_OK;
}

/* ---------------------------------------------------------------- merging: one step */

/* Rewrite word w: every non-overlapping (a, b), left to right, becomes z. */
static mm_err rewrite_word(trainer_state *S, uint32_t w, uint32_t a, uint32_t b, uint32_t z) {
    uint32_t *s = S->sym + S->w_off[w];
    uint32_t len = S->w_len[w], o = 0;
    int64_t c = (int64_t)S->w_count[w];
    for (uint32_t i = 0; i < len;) {
        if (!(i + 1 < len && s[i] == a && s[i + 1] == b)) {
            s[o++] = s[i++];
            continue;
        }
        MM_TRY(pair_add(S, a, b, -c, w));
        if (o > 0) { /* s[i-1] is still the original left neighbour: writes stay below o */
            MM_TRY(pair_add(S, s[i - 1], a, -c, w));
            MM_TRY(pair_add(S, s[o - 1], z, c, w));
        }
        bool next_is_pair = i + 3 < len && s[i + 2] == a && s[i + 3] == b;
        if (i + 2 < len && !next_is_pair) {
            MM_TRY(pair_add(S, b, s[i + 2], -c, w));
            MM_TRY(pair_add(S, z, s[i + 2], c, w));
        }
        s[o++] = z;
        i += 2;
    }
    S->w_len[w] = o;
    return MM_OK;
}

static mm_err merges_grow(trainer_state *S) {
    uint32_t c = S->mcap ? S->mcap * 2 : 1024;
    uint32_t **arr[3] = {&S->ma, &S->mb, &S->mz};
    for (int i = 0; i < 3; i++) {
        uint32_t *q = realloc(*arr[i], (size_t)c * sizeof *q);
        if (!q) return mm_fail(MM_ERR_NOMEM, "merge list of %u", c);
        *arr[i] = q;
    }
    S->mcap = c;
    return MM_OK;
}

static mm_err merge_pair(trainer_state *S, uint32_t p) {
    uint32_t a = S->pa[p], b = S->pb[p], z;
    size_t la, lb;
    const char *ka = bpe_strmap_key(&S->tokens, a), *kb = bpe_strmap_key(&S->tokens, b);
    la = S->tokens.key_len[a];
    lb = S->tokens.key_len[b];
    char *cat = mm_malloc(la + lb);
    if (!cat) return MM_ERR_NOMEM;
    memcpy(cat, ka, la);
    memcpy(cat + la, kb, lb);
    mm_err e = add_token(S, cat, la + lb, &z);
    free(cat);
    MM_TRY(e);
    if (S->nmerges == S->mcap) MM_TRY(merges_grow(S));
    S->ma[S->nmerges] = a, S->mb[S->nmerges] = b, S->mz[S->nmerges] = z;
    S->nmerges++;
    S->step++;
    S->ntouched = 0;
    S->pdone[p] = 1;
    u32vec where = S->pwhere[p];
    S->pwhere[p] = (u32vec){0};
    for (uint32_t i = 0; i < where.len && e == MM_OK; i++) {
        uint32_t w = where.v[i];
        if (S->w_stamp[w] == S->step) continue;
        S->w_stamp[w] = S->step;
        e = rewrite_word(S, w, a, b, z);
    }
    free(where.v);
    for (size_t i = 0; i < S->ntouched && e == MM_OK; i++) {
        uint32_t q = S->touched[i];
        if (!S->pdone[q] && S->pcount[q] > S->pold[q]) e = heap_push(S, q);
    }
    return e;
}

/* Pop entries until a current one; returns the pair or -1 when the heap is empty. */
static int64_t pop_best(trainer_state *S, mm_err *e) {
    while (S->hn) {
        heap_ent top = heap_pop(S);
        int64_t cur = S->pcount[top.pair];
        if (S->pdone[top.pair] || cur <= 0 || cur > top.count) continue;
        if (cur == top.count) return top.pair;
        if ((*e = heap_push(S, top.pair)) != MM_OK) return -1;
    }
    return -1;
}

/* ---------------------------------------------------------------- result */

static mm_err to_parts(trainer_state *S, bpe_parts *p) {
    memset(p, 0, sizeof *p);
    p->n = S->ntok + 1;
    size_t eotn = strlen(MM_TOK_EOT_STR);
    p->arena = mm_malloc(S->tokens.arena_len + eotn + 1);
    p->off = mm_malloc(p->n * sizeof *p->off);
    p->len = mm_malloc(p->n * sizeof *p->len);
    if (!p->arena || !p->off || !p->len) {
        free(p->arena);
        free(p->off);
        free(p->len);
        return MM_ERR_NOMEM;
    }
    memcpy(p->arena, S->tokens.arena, S->tokens.arena_len);
    for (uint32_t i = 0; i < S->ntok; i++) {
        p->off[i] = S->tokens.key_off[i];
        p->len[i] = S->tokens.key_len[i];
    }
    memcpy(p->arena + S->tokens.arena_len, MM_TOK_EOT_STR, eotn);
    p->off[S->ntok] = S->tokens.arena_len;
    p->len[S->ntok] = (uint32_t)eotn;
    p->eot = (int)S->ntok;
    p->nmerges = S->nmerges;
    p->ma = S->ma, p->mb = S->mb, p->mz = S->mz;
    S->ma = S->mb = S->mz = NULL;
    return MM_OK;
}

static mm_err run_merges(mm_tok_trainer *tr, trainer_state *S) {
    mm_err e = MM_OK;
    while (S->ntok < (uint32_t)tr->o.vocab - 1 && e == MM_OK) {
        int64_t p = pop_best(S, &e);
        if (p < 0 || S->pcount[p] < tr->o.min_freq) break;
        e = merge_pair(S, (uint32_t)p);
        if (tr->o.progress && S->nmerges % 256 == 0 &&
            tr->o.progress(tr->o.progress_ctx, (int)S->ntok + 1, tr->o.vocab))
            break;
    }
    return e;
}

mm_err mm_tok_trainer_train(mm_tok_trainer *tr, mm_tok **out) {
    *out = NULL;
    double t0 = mm_now();
    MM_TRY(merge_maps(tr));
    for (int i = 0; i < tr->threads; i++) {
        tr->st.pretokens += tr->w_pretokens[i];
        tr->st.long_words_split += tr->w_long[i];
        tr->st.bytes += tr->w_bytes[i];
    }
    tr->st.unique_words = tr->maps[0].n;
    trainer_state S;
    memset(&S, 0, sizeof S);
    uint32_t byte_id[256];
    mm_err e = MM_OK;
    for (unsigned r = 0; r < 256 && e == MM_OK; r++) {
        char c = (char)bpe_rank_byte(r);
        e = add_token(&S, &c, 1, &byte_id[(unsigned char)c]);
    }
    if (e == MM_OK) e = setup_words(&S, &tr->maps[0], byte_id);
    bpe_strmap_free(&tr->maps[0]);
    if (e == MM_OK) e = setup_pairs(&S);
    if (e == MM_OK) e = run_merges(tr, &S);
    bpe_parts parts;
    if (e == MM_OK) e = to_parts(&S, &parts);
    state_free(&S);
    if (e == MM_OK) e = bpe_tok_build(&parts, "trained tokenizer", out);
    if (e == MM_OK) {
        tr->st.merges = mm_tok_merges(*out);
        tr->st.vocab = mm_tok_vocab_size(*out);
    }
    tr->st.merge_s = mm_now() - t0;
    return e;
}

void mm_tok_trainer_stats(const mm_tok_trainer *tr, mm_tok_train_stats *s) {
    *s = tr->st;
}
