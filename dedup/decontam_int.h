/* dedup/decontam_int.h — internals shared by decontam.c (index, scan) and decontam_load.c
 * (benchmark file loaders).  Not installed. */
#ifndef MM_DEDUP_DECONTAM_INT_H
#define MM_DEDUP_DECONTAM_INT_H

#include "dedup/decontam.h"

typedef struct dc_bench {
    char *name, *file, *fields;
    uint64_t records, texts, short_texts, too_short, trivial, bad;
} dc_bench;

typedef struct dc_text {
    uint32_t bench, words, used;
    uint32_t field; /* offset of the field name in the arena */
    uint32_t id;    /* offset of the id in the arena */
    uint64_t off;   /* offset of the text in the arena */
    uint64_t len, item, line;
} dc_text;

typedef struct dc_entry {
    uint32_t text, start, next;
} dc_entry;

typedef struct dc_pending {
    uint64_t key, filt;
    uint32_t text, start;
} dc_pending;

struct mm_decontam {
    int n;
    bool built;
    mm_buf arena; /* texts, field names and ids, NUL-separated */
    dc_bench *bench;
    size_t nbench, capbench;
    dc_text *texts;
    size_t ntexts, captexts;
    char **problems;
    size_t nproblems, capproblems;
    dc_pending *pend;
    size_t npend, cappend;
    /* the built index */
    uint64_t *keys;  /* open addressing, 0 = empty */
    uint32_t *heads; /* first entry of each key's chain */
    uint64_t mask;   /* table size - 1 */
    uint64_t nkeys;
    dc_entry *ent;
    size_t nent;
    uint64_t *bits; /* prefilter over n-gram and whole-text keys: 1 bit per key */
    int bits_shift; /* 64 - log2(64-bit words of bits) */
    uint64_t *tri;  /* prefilter over the last trigram of each short text */
    int tri_shift;
    uint64_t *ends;      /* one bit per word hash of the last word of each short text */
    int ends_shift;      /* 64 - log2(bits of ends) */
    uint64_t *vocab;     /* one bit per word hash of every benchmark text (words.h) */
    int vocab_shift;     /* 64 - log2(bits of vocab) */
    uint64_t short_lens; /* bit k set: some short text has k words */
    uint64_t powB[MM_DECONTAM_MAX_N + 2];
};

/* Record a loading problem ("FILE: line N: why"); the library never prints. */
mm_err dc_problem(mm_decontam *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Start a benchmark (one loaded file); returns its index in *bi. */
mm_err dc_bench_add(mm_decontam *d, const char *name, const char *file, const char *fields,
                    uint32_t *bi);
/* Add one text of benchmark bi. */
mm_err dc_text_add(mm_decontam *d, uint32_t bi, const char *text, size_t n, uint64_t item,
                   uint64_t line, const char *field, const char *id);

#endif
