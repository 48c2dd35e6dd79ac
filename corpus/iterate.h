/* corpus/iterate.h — DeepSeekMath's iterative seed expansion with domain-level recall.
 *
 * One iteration K (1-based) over a fixed pool of document shards:
 *   1. positives = the seed + every page that earlier iterations added (new_positives), a
 *      random sample of at most `pos_cap` of them; negatives = as many pages (at most
 *      `neg_cap`) drawn at random from the whole pool (seeded bottom-k by URL hash), never a
 *      positive, and with `exclude_collected` never a page iteration K-1 collected;
 *   2. train a fastText classifier (classifier/) on all but a held-out `valid_frac` of each
 *      class, with at least `min_updates` updates (epochs raised for small seeds); validate it
 *      on the held-out part (ROC-AUC); when the AUC is under `min_auc` the classifier separates
 *      nothing and the run stops (MM_ITER_DONE_NO_SIGNAL) before collecting anything;
 *   3. score every pool shard (one score file each, names unique within the pool);
 *   4. collect: the pages selected by threshold / top fraction / token budget (as `select`),
 *      the cut-off found from score histograms in bounded memory;
 *   5. domain statistics (pages, collected) per host (or registered domain), counted per shard
 *      into small key-sorted summaries and merged shard by shard; a domain is math when its
 * collected share exceeds `domain_threshold` and `domain_lift` times the share of the whole pool
 * that was collected, and it has at least `domain_min_pages`;
 *   6. URL prefix statistics inside math domains (host + first one and two directory segments);
 *      math prefixes chosen by rule (share and page thresholds) or by a person's annotations;
 *   7. pages under math prefixes that were not collected become new positives of iteration K+1.
 * It stops when the share of iteration K's collection that K-1 had not collected falls below
 * `min_new` (MM_ITER_DONE_CONVERGED), when iteration K added no new positives (the next one
 * would train on the same positives: MM_ITER_DONE_NO_NEW), when the pool has no page left to
 * draw negatives from (MM_ITER_DONE_NO_NEGATIVES), or after `max_iter` iterations.
 *
 * Work dir: config.json (what the run was started with; a rerun with another configuration is
 * refused) and iter-K/ for each finished iteration, built in iter-K.tmp/ and renamed when
 * complete, so an iteration is there completely or not at all; a rerun resumes from the last
 * finished iteration and reuses the finished files inside iter-K.tmp/ (each is atomic).
 * With `annotate`, iteration K stops at its prefix candidates (annotations/iter-K.candidates.tsv)
 * until a person's decisions are saved as annotations/iter-K.tsv; a rerun then finishes K and
 * stops at K+1's candidates.
 * Deterministic for a given seed (fastText trains with one thread unless told otherwise).
 *
 * Memory: the reduce reads the score files shard by shard for the cut-off (score histograms)
 * and merges the shards' count summaries with a bounded number of files open, the domains
 * through an external sort into domains.tsv's order; it holds the math domains, their
 * prefixes and the ids of the positives; never the text of the pool, every domain, nor a sort
 * of every score row. */
#ifndef MM_ITERATE_H
#define MM_ITERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifier/classifier.h"
#include "common/error.h"
#include "common/stage.h"

typedef enum { MM_ITER_KEY_HOST, MM_ITER_KEY_DOMAIN } mm_iter_key;

typedef struct mm_iter_opts {
    const char *const *positives; /* seed: document shards or text files */
    size_t npositives;
    const char *const *pool; /* document shards of the dump */
    size_t npool;
    const char *work_dir;
    uint64_t seed;
    int max_iter;                /* 4 */
    double min_new;              /* 0.02 */
    mm_select_mode collect_mode; /* MM_SELECT_THRESHOLD */
    double collect_value;        /* 0.5 */
    uint64_t pos_cap;            /* 500000: positives sampled for training (the paper's 500K) */
    uint64_t neg_cap;            /* 500000: negatives at most (as many as the positives) */
    bool exclude_collected;      /* false: negatives never pages the previous iteration collected */
    bool neg_skip_math;          /* negatives never pages of a domain an earlier iteration
                                    declared math */
    double valid_frac;           /* 0.1: held out of each class to validate the classifier */
    double min_auc;              /* 0.75: stop when the held-out ROC-AUC is below */
    uint64_t min_updates;        /* 20000: epochs raised until epochs x documents reach this */
    double domain_threshold;     /* 0.10 */
    double domain_lift;          /* 1.5: and more than lift x the pool's collected share */
    uint64_t domain_min_pages;   /* 5 */
    double prefix_threshold;     /* 0.20: collected share a prefix needs (rule mode) */
    uint64_t prefix_min_pages;   /* 5 */
    mm_iter_key key;             /* MM_ITER_KEY_HOST (the paper's base URL) */
    bool annotate;               /* each iteration waits for a person's prefix decisions */
    const char *annotations;     /* TSV with columns prefix and decision (allow|deny) applied to
                                    every iteration, or NULL */
    const char *tokenizer;       /* what counts the score files' tokens (recorded in config.json):
                                    a tokenizer's name, NULL = bytes / 4 */
    const mm_clf_token_counter *tokens; /* its counter (NULL: MM_CLF_TOKENS); borrowed */
    bool wait_for_tasks;     /* the per-shard work (scoring, new positives) is left to map
                                tasks (mm_iter_map): stop with MM_ITER_DONE_TASKS while some
                                shard's output is missing; rerun when the tasks are done */
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
    uint64_t pool_positives, collected_positives; /* pool pages that are training positives */
    uint64_t overlap_prev; /* collected pages the previous iteration collected too */
    double new_share;      /* 1 - overlap_prev / collected (1 for the first iteration) */
    uint64_t math_domains, domains_gained, domains_lost, math_prefixes;
    double domain_cut; /* the collected share a math domain had to exceed (threshold, lift) */
    double cutoff;     /* lowest collected score */
    /* the classifier: epochs used, held-out documents and how it did on them */
    uint64_t epochs, valid_pos, valid_neg;
    double valid_auc;                     /* ROC-AUC on the held-out documents */
    double valid_precision, valid_recall; /* at the collection cut-off */
    double score_mean, score_sd;          /* the spread of the pool's scores */
    double seconds;
    /* the cut (mm_select_cut): kept so the next iteration can compare collections */
    bool cut_none, cut_all_ties;
    double cut_score;
    char cut_id[256];
} mm_iter_summary;

/* Called after each finished (or resumed) iteration; the library prints nothing itself. */
typedef void (*mm_iter_event_fn)(void *arg, const mm_iter_summary *s, bool resumed);

typedef enum {
    MM_ITER_DONE_CONVERGED,    /* the stop rule fired */
    MM_ITER_DONE_MAX,          /* max_iter reached */
    MM_ITER_DONE_ANNOTATE,     /* stopped for annotation (see annotate_path) */
    MM_ITER_DONE_NO_NEW,       /* nothing new to add to the positives: another round would repeat */
    MM_ITER_DONE_NO_SIGNAL,    /* the classifier separates nothing (held-out AUC < min_auc) */
    MM_ITER_DONE_NO_NEGATIVES, /* every pool page is a positive: nothing to draw negatives from */
    MM_ITER_DONE_TASKS,        /* wait_for_tasks: map tasks (mm_iter_map) have shards to do */
} mm_iter_done;

typedef struct mm_iter_result {
    mm_iter_done done;
    int iterations;
    char annotate_path[4096];  /* where the prefix candidates were written, with --annotate */
    char decisions_path[4096]; /* where the person's decisions are expected */
    mm_iter_summary last;      /* the iteration that stopped the run (NO_SIGNAL: its AUC) */
    size_t tasks_missing;      /* DONE_TASKS: shards whose map output is not there yet */
    char tasks_what[32];       /* ... "scores" or "new positives" */
} mm_iter_result;

/* The parts of the algorithm worth testing alone. */
/* Key of a page: its host, or its registered domain (the shard's "domain" field when set). */
MM_API void mm_iter_page_key(const char *url, const char *domain, mm_iter_key key, char *out,
                             size_t cap);
/* The URL prefixes of a page: "host/seg1/" (level 1) and "host/seg1/seg2/" (level 2), where
 * segments are directories (followed by '/'); a page with no directory has the level-0 prefix
 * "host/" instead.  "" where a level does not apply. */
MM_API void mm_iter_url_prefixes(const char *url, char *p0, char *p1, char *p2, size_t cap);
/* The domain rule: math when more than `threshold` of its pages were collected and it has at
 * least `min_pages` pages. */
MM_API bool mm_iter_domain_is_math(uint64_t pages, uint64_t collected, double threshold,
                                   uint64_t min_pages);
/* The share a math domain must exceed: max(threshold, lift x collected / pool_pages).  The
 * paper's 10% assumes a collection that is a small share of the pool (35.5M of 40B pages):
 * when a broad classifier collects a large share, every host passes 10% by chance, so a host
 * must stand out from the pool-wide share as well.  The driver passes the pool's pages that
 * are not training positives (a classifier collects its own training pages almost surely, so
 * on a small pool they would raise the share a host has to beat). */
MM_API double mm_iter_domain_cut(double threshold, double lift, uint64_t collected,
                                 uint64_t pool_pages);
/* Which stop rule (an mm_iter_done) ends the run after the finished iteration `s`; -1 = go
 * on.  Order: no new positives, then the new-share rule (from iteration 2), then max_iter. */
MM_API int mm_iter_stop_after(const mm_iter_opts *o, const mm_iter_summary *s);

MM_API mm_err mm_iter_run(const mm_iter_opts *o, mm_iter_event_fn on_iter, void *arg,
                          mm_iter_result *res);

/* One map task of the iteration in progress (the first iteration not yet committed), over
 * block `task` of the pool shards (mm_task_range; count 0 = every shard): scores its shards
 * when the iteration's model is there; writes their count summaries (iter-K.tmp/counts/: pages,
 * collected pages and tokens per domain and per URL prefix, the score histogram, the overlap
 * with the previous iteration) once the driver has decided the collection
 * (iter-K.tmp/collect.tsv), or right after scoring them with a threshold cut; and writes their new
 * positives (iter-K.tmp/newpos/) once the driver has decided the prefixes (iter-K.tmp/cut.tsv).
 * Skips what is already done; does nothing (and says so) when the driver has not got that far.  The
 * driver (mm_iter_run with wait_for_tasks) finds the cut from the score files in bounded memory,
 * merges the count summaries shard by shard (a few dozen files open at once) for the domains and
 * prefixes, and merges the per-shard new positives in pool order, so the outputs are the same as a
 * single process's.  Tasks must run with the driver's options (checked against config.json) and
 * decisions: a person's annotations changed after the tasks wrote their new positives are not
 * noticed (delete iter-K.tmp/newpos/ to redo them). */
typedef struct mm_iter_map_result {
    int iter;                       /* the iteration worked on; 0 = none in progress */
    size_t scored, counted, newpos; /* shards scored, counted (summaries written), and whose
                                       new positives were written */
    size_t lo, hi;                  /* the task's block of shards */
    bool waiting;                   /* nothing to do yet: no model, or prefixes not decided */
} mm_iter_map_result;
MM_API mm_err mm_iter_map(const mm_iter_opts *o, mm_task task, mm_iter_map_result *r);

#endif
