/* dedup/minhash.h — MinHash-LSH near-duplicate detection, as four restartable stages.
 *
 * Signatures.  A document's shingles are its word n-grams (default 5; words of words.h); a
 * document with fewer words has one shingle, all of them; a document without words has no
 * signature and is never a duplicate.  Each shingle is a 64-bit hash x; permutation j maps it to
 * a_j * x + b_j (mod 2^64, a_j odd, a_j and b_j from the seed), and the signature holds the
 * minimum of each of the bands * rows permutations (FineWeb: 14 bands x 8 rows).  Two documents
 * become candidates when all rows of some band agree: band keys are 64-bit hashes of a band.
 *
 * Stages (work folder W; every output atomic, so any stage can be rerun or run as a Slurm array):
 *   signatures  per shard:  SHARD → W/sig/<stem>.sig: for each band, (band key, position) sorted
 *                           by key: a sorted run on disk; 16 bytes per document and band.
 *   buckets     per band:   all .sig files → W/buckets/band-BB.pairs: a k-way merge of that band's
 *                           sorted runs; each later member of a bucket is paired with its first.
 *                           At most 64 files open (runs.h: merged in levels beyond that).
 *   clusters    one job:    all pairs → union-find over documents (4 bytes per document: the
 *                           only per-document state in memory), the root being the smallest
 *                           global index (shard order, then position), so clusters are the
 *                           same whatever the order of the pairs or the thread count →
 *                           W/clusters/<stem>.rm: the positions to remove and their cluster.
 *   filter      per shard:  SHARD + .rm → kept documents, and "id \t cluster" lines for the
 *                           removed ones (cluster = "<stem>:<position>" of the kept document).
 * Shard order is the sorted order of the .sig file names; stems must be unique. */
#ifndef MM_DEDUP_MINHASH_H
#define MM_DEDUP_MINHASH_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "dedup/dedup.h"

typedef struct mm_minhash_params {
    int bands, rows, ngram;
    uint64_t seed;
} mm_minhash_params;

#define MM_MINHASH_DEFAULTS ((mm_minhash_params){14, 8, 5, 1})
#define MM_MINHASH_MAX_PERMS 1024

/* One context per thread (it owns a shingle scratch buffer). */
typedef struct mm_minhash mm_minhash;
MM_API mm_err mm_minhash_create(const mm_minhash_params *p, mm_minhash **out);
MM_API void mm_minhash_free(mm_minhash *m);

/* Shingle hashes of text[0..n) (valid until the next call); returns their count. */
MM_API size_t mm_minhash_shingles(mm_minhash *m, const char *text, size_t n, const uint64_t **sh);
/* sig[bands*rows] of text; returns the shingle count (0: no words, sig untouched). */
MM_API size_t mm_minhash_signature(mm_minhash *m, const char *text, size_t n, uint64_t *sig);

/* The kernels over given shingles: the plain reference, and the fast one (AVX-512 where the CPU
 * has it, else a 4-way unrolled scalar loop).  Tests check they are equal. */
MM_API void mm_minhash_sig_scalar(const mm_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig);
MM_API void mm_minhash_sig_unrolled(const mm_minhash *m, const uint64_t *sh, size_t n,
                                    uint64_t *sig);
MM_API void mm_minhash_sig_fast(const mm_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig);
MM_API const char *mm_minhash_kernel(void); /* "avx512" or "unrolled" */

/* keys[bands]: the band keys of a signature. */
MM_API void mm_minhash_band_keys(const mm_minhash *m, const uint64_t *sig, uint64_t *keys);

/* ---- stages ---- */
/* skip: documents of earlier filters, read as absent (dedup.h).  The .sig records the shard's
 * document count and id checksum; filter refuses a shard whose documents differ from them. */
MM_API mm_err mm_minhash_signatures(const mm_minhash_params *p, const char *shard,
                                    const mm_attrs *skip, const char *sig_path, mm_dedup_stats *st);
MM_API mm_err mm_minhash_buckets(const char *const *sig_paths, size_t n, int band,
                                 const char *pairs_path, uint64_t *pairs);

typedef struct mm_minhash_cluster_stats {
    uint64_t docs, pairs, clusters, removed;
    uint64_t union_find_bytes;
} mm_minhash_cluster_stats;
MM_API mm_err mm_minhash_clusters(const char *const *sig_paths, size_t n,
                                  const char *const *pairs_paths, size_t npairs,
                                  const char *const *rm_paths, mm_minhash_cluster_stats *st);
/* stems[i]: the stem of shard i (for the cluster names in removed_tsv).  Copy mode (out_shard,
 * removed_tsv) or attribute mode (attrs_path: tag minhash_dup, detail "cluster STEM:POS"), as
 * mm_dedup_filter.  Refuses (MM_ERR_MISMATCH, nothing written) a shard whose documents are not
 * those signed: count and id checksum recorded at signing. */
MM_API mm_err mm_minhash_filter(const char *shard, const mm_attrs *skip, const char *rm_path,
                                const char *const *stems, size_t nstems, const char *out_shard,
                                const char *removed_tsv, const char *attrs_path,
                                mm_dedup_stats *st);

/* Benchmarks: write a signature file for `ndocs` synthetic documents with global indices
 * base..base+ndocs-1, as the signatures stage would.  A fraction dup_rate of them are
 * near-duplicates of a random earlier document (sharing most of its band keys); the rest have
 * random keys.  Deterministic given seed. */
MM_API mm_err mm_minhash_synth(const mm_minhash_params *p, uint64_t ndocs, uint64_t base,
                               double dup_rate, uint64_t seed, const char *sig_path);

#endif
