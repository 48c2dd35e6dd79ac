/* corpus/iterate.h — DeepSeekMath's iterative seed expansion with domain-level recall.
 *
 * One iteration K (1-based) over a fixed pool of document shards:
 *   1. positives = the seed + every page that earlier iterations added (new_positives);
 *      negatives = as many pages drawn at random from the pool (seeded), never a page that the
 *      previous iteration collected nor a positive;
 *   2. train a fastText classifier (classifier/), score every pool shard (one score file each);
 *   3. collect: the pages selected by threshold / top fraction / token budget (as `select`);
 *   4. domain statistics from the score files (pages, collected); a domain is math when its
 *      collected share exceeds `domain_threshold` and it has at least `domain_min_pages`;
 *   5. URL prefix statistics inside math domains (host + first one and two directory segments);
 *      math prefixes chosen by rule (share and page thresholds) or by a person's annotations;
 *   6. pages under math prefixes that were not collected become new positives of iteration K+1.
 * It stops when the share of iteration K's collection that K-1 had not collected falls below
 * `min_new`, or after `max_iter` iterations.
 *
 * Work dir: config.json (what the run was started with; a rerun with another configuration is
 * refused) and iter-K/ for each finished iteration, built in iter-K.tmp/ and renamed when
 * complete, so an iteration is there completely or not at all; a rerun resumes from the last
 * finished iteration and reuses the finished files inside iter-K.tmp/ (each is atomic).
 * Deterministic for a given seed (fastText trains with one thread unless told otherwise).
 *
 * Scale: scoring and the domain/prefix counts run per shard (threads here, a job array on a
 * cluster: `mathmine classify score` per shard, then this driver's merge); the merged state is
 * per-domain and per-prefix counters plus the collected id set, never the text. */
#ifndef MM_ITERATE_H
#define MM_ITERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifier/classifier.h"
#include "common/error.h"

typedef enum { MM_ITER_KEY_DOMAIN, MM_ITER_KEY_HOST } mm_iter_key;

typedef struct mm_iter_opts {
    const char *const *positives; /* seed: document shards or text files */
    size_t npositives;
    const char *const *pool; /* document shards of the dump */
    size_t npool;
    const char *work_dir;
    uint64_t seed;
    int max_iter;            /* 4 */
    double min_new;          /* 0.02 */
    mm_select_mode collect_mode; /* MM_SELECT_THRESHOLD */
    double collect_value;    /* 0.5 */
    double domain_threshold; /* 0.10 */
    uint64_t domain_min_pages; /* 5 */
    double prefix_threshold; /* 0.30: collected share a prefix needs (rule mode) */
    uint64_t prefix_min_pages; /* 5 */
    mm_iter_key key;         /* MM_ITER_KEY_DOMAIN */
    bool annotate;           /* stop after writing the prefix candidates for a person */
    const char *annotations; /* TSV with columns prefix and decision (allow|deny), or NULL */
    int threads;             /* scoring / counting threads, 0 = all cores */
    mm_clf_train_opts train; /* fastText settings (DeepSeekMath defaults, threads 1); its
                                `stop` flag also stops the iteration between its steps */
} mm_iter_opts;

MM_API void mm_iter_opts_default(mm_iter_opts *o);

/* What one iteration found (also written to iter-K/report.json). */
typedef struct mm_iter_summary {
    int iter;
    uint64_t positives, new_positives, negatives;
    uint64_t pool_pages, collected, collected_tokens;
    uint64_t overlap_prev; /* collected pages the previous iteration collected too */
    double new_share;      /* 1 - overlap_prev / collected (1 for the first iteration) */
    uint64_t math_domains, domains_gained, domains_lost, math_prefixes;
    double cutoff;         /* score of the last collected page */
    double seconds;
} mm_iter_summary;

/* Called after each finished (or resumed) iteration; the library prints nothing itself. */
typedef void (*mm_iter_event_fn)(void *arg, const mm_iter_summary *s, bool resumed);

typedef enum {
    MM_ITER_DONE_CONVERGED, /* the stop rule fired */
    MM_ITER_DONE_MAX,       /* max_iter reached */
    MM_ITER_DONE_ANNOTATE,  /* stopped for annotation (see annotate_path) */
    MM_ITER_DONE_NO_NEW,    /* nothing new to add to the positives: another round would repeat */
} mm_iter_done;

typedef struct mm_iter_result {
    mm_iter_done done;
    int iterations;
    char annotate_path[4096]; /* where the prefix candidates were written, with --annotate */
} mm_iter_result;

MM_API mm_err mm_iter_run(const mm_iter_opts *o, mm_iter_event_fn on_iter, void *arg,
                          mm_iter_result *res);

#endif
