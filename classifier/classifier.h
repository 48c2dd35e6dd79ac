/* classifier/classifier.h — the math classifier: fastText training through libfasttext, a
 * fastText-compatible scorer of our own, the shared text normaliser, evaluation, and selection.
 *
 * Pieces (all in this one public header):
 *   mm_clf_normalize*   the text normalisation used by training and scoring alike
 *   mm_clf_train_*      train a supervised fastText model from positive / negative inputs
 *   mm_ft_*             the plain reference: libfasttext itself (load/save .bin, quantize to
 *                       .ftz, predict), wrapped in C; tests compare our scorer against it
 *   mm_clf_scorer_*     our own scorer: reads .bin and .ftz (product-quantized) files, maps the
 *                       input matrix from the file (no copy), one scorer shared by all threads,
 *                       one mm_clf_ctx per thread
 *   mm_clf_score_*      score document shards into score files; read score files back
 *   mm_clf_eval_*       metrics: P/R/F1 at thresholds, ROC-AUC, threshold for a precision, PR SVG
 *   mm_select_*         choose documents by score: threshold, top fraction, top token budget
 *
 * Labels.  Training writes two fastText labels: MM_CLF_LABEL_POS ("__label__math") for positives
 * and MM_CLF_LABEL_NEG ("__label__other") for negatives.  A document's score is the probability
 * of the positive label exactly as `fasttext predict-prob MODEL FILE -1` prints it: fastText ranks
 * labels by log(p + 1e-5) and prints exp() of that, so the score is p + 1e-5 (it may read
 * 1.00001); we reproduce that so scores equal fastText's to within float rounding.
 *
 * Score files (one per input shard, "<out_dir>/<stem>.scores.tsv"): one line per document,
 *   id \t score \t url \t domain \t tokens
 * score printed with "%.7g" (full float precision), tokens = the document's token estimate
 * (MM_CLF_TOKENS: ceil(UTF-8 bytes of text / 4)).  Readers accept 4 columns (tokens = 0).
 *
 * Ownership: every create/open has a matching free/close that accepts NULL.  Strings passed in
 * are borrowed for the call only.  Rows returned by readers point into the reader and stay valid
 * until the next call.  The library never prints or exits; failures return an mm_err with a
 * detail (mm_error_detail) naming the file and byte offset or line. */
#ifndef MM_CLASSIFIER_H
#define MM_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define MM_CLF_LABEL_POS "__label__math"
#define MM_CLF_LABEL_NEG "__label__other"

/* ---------------------------------------------------------------------------------------------
 * Normalisation (see docs/classifier.md for the exact rules):
 *   - lowercase (ASCII, and Latin-1/Greek/Cyrillic letters through simple case mapping),
 *   - punctuation split off into its own token ("x+y=1." -> "x + y = 1 ."),
 *   - LaTeX commands kept whole as one token ("\frac{a}{b}" -> "\frac { a } { b }"),
 *   - "$" and "$$" kept as tokens,
 *   - every CJK character (Han, Hiragana, Katakana, Hangul, CJK punctuation) its own token,
 *   - all whitespace (incl. newlines, tabs, NBSP) folded to one space, no leading/trailing space,
 *   - invalid UTF-8 bytes dropped,
 *   - a length cap: output stops at the last whole token within `max_bytes`.
 * The output is one line with no tabs or newlines, ready for fastText.  Idempotent:
 * normalize(normalize(x)) == normalize(x).
 * ------------------------------------------------------------------------------------------- */
#define MM_CLF_MAX_BYTES_DEFAULT 100000 /* normalised bytes per document */

/* Append the normalised form of text[0..n) to `out` (not cleared first). */
MM_API mm_err mm_clf_normalize(mm_buf *out, const char *text, size_t n, size_t max_bytes);

/* Token estimate used by score files and --top-tokens: ceil(n / 4) for n UTF-8 bytes of text. */
#define MM_CLF_TOKENS(nbytes) (((uint64_t)(nbytes) + 3) / 4)

/* ---------------------------------------------------------------------------------------------
 * Training.  Defaults are DeepSeekMath's: dim 256, lr 0.1, wordNgrams 3, minCount 3, epoch 3,
 * and bucket 2,000,000.  Loss defaults to softmax (with two labels it is logistic regression and
 * gives calibrated probabilities; hs/ns/ova are accepted too).  The remaining fields are
 * fastText's own defaults for supervised training.
 * ------------------------------------------------------------------------------------------- */
typedef struct mm_clf_train_opts {
    /* fastText options */
    int dim;             /* 256 */
    double lr;           /* 0.1 */
    int word_ngrams;     /* 3 */
    int min_count;       /* 3 */
    int min_count_label; /* 0 */
    int epoch;           /* 3 */
    const char *loss;    /* "softmax" | "hs" | "ns" | "ova" */
    int bucket;          /* 2000000 */
    int minn, maxn;      /* 0, 0 (no character n-grams, as in supervised fastText) */
    int neg;             /* 5 */
    int ws;              /* 5 */
    int lr_update_rate;  /* 100 */
    double t;            /* 1e-4 */
    int threads;         /* 0 = all cores.  Note: fastText training with >1 thread is not
                            bit-reproducible; threads = 1 is. */
    int seed;            /* 0: fastText's seed; also the seed of sampling / shuffling / holdout */
    const char *pretrained_vectors; /* NULL */
    /* our input handling */
    size_t max_bytes;       /* normalisation cap per document (MM_CLF_MAX_BYTES_DEFAULT) */
    uint64_t neg_sample;    /* > 0: draw this many negatives (uniformly, seeded) from the negative
                               inputs; 0 = use them all */
    uint64_t pos_sample;    /* same for positives; 0 = all */
    double valid_frac;      /* hold out this fraction of each class for validation (0 = none) */
    uint64_t min_updates;   /* > 0: raise epoch until epoch x training documents >= this (fastText
                               makes one update per document per epoch); capped at 1000 epochs */
    double small_lr;        /* > 0: when min_updates raises the epochs (a sample too small for
                               `epoch`), lr is at least this; 0 = lr as given */
    bool keep_valid_scores; /* fill the report's valid_*_scores (caller frees them) */
    size_t min_chars;       /* skip documents whose normalised text is shorter (default 1) */
    volatile int *stop;     /* when it becomes non-zero, reading and fastText's training stop and
                               the call fails (no model written); NULL = never */
} mm_clf_train_opts;

MM_API void mm_clf_train_opts_default(mm_clf_train_opts *o);
/* MM_ERR_ARG with a detail when fastText would reject or crash on the options (e.g. bucket 0
 * with word or character n-grams, which fastText divides by).  Training calls it first. */
MM_API mm_err mm_clf_train_opts_check(const mm_clf_train_opts *o);

/* What training saw and, with valid_frac > 0, how the model did on the held-out part
 * (scored with our scorer at threshold 0.5). */
typedef struct mm_clf_train_report {
    uint64_t pos_docs, neg_docs;       /* documents used for training */
    uint64_t pos_valid, neg_valid;     /* documents held out */
    uint64_t skipped_empty, bad_lines; /* inputs skipped: empty after normalisation, broken */
    uint64_t vocab_words, vocab_labels;
    double train_seconds;
    int epochs; /* epochs trained (opts->epoch, or more for min_updates) */
    double lr;  /* learning rate used (opts->lr, or small_lr when min_updates raised the epochs) */
    /* valid only when pos_valid > 0 && neg_valid > 0 */
    double valid_auc, valid_precision, valid_recall, valid_f1, valid_accuracy;
    float *valid_pos_scores, *valid_neg_scores; /* [pos_valid], [neg_valid] with
                                                   keep_valid_scores, else NULL; free() them */
} mm_clf_train_report;

/* Train from inputs, each one of:
 *   - a document shard (*.jsonl, *.jsonl.zst: the "text" field of each line),
 *   - a fastText-format file (a line starting with "__label__": its labels are dropped and the
 *     rest is used as text of the class given by which list it is in),
 *   - plain text, one document per line (*.txt, anything else; .zst decompressed).
 * The normalised, labelled, shuffled training file is written to a temp file next to
 * `model_out`, fastText is trained on it, and the model is saved atomically to `model_out`
 * (.bin).  Errors: no positives or no negatives (MM_ERR_ARG, "one-class"), unreadable inputs
 * (MM_ERR_IO naming the file).  Broken lines in shards are counted in rep->bad_lines.
 * `rep` may be NULL. */
MM_API mm_err mm_clf_train_files(const char *const *pos_paths, size_t npos,
                                 const char *const *neg_paths, size_t nneg,
                                 const mm_clf_train_opts *opts, const char *model_out,
                                 mm_clf_train_report *rep);

/* Train directly from a fastText-format file (labels already in it, text already normalised). */
MM_API mm_err mm_ft_train_file(const char *fasttext_input, const mm_clf_train_opts *opts,
                               const char *model_out);

/* ---------------------------------------------------------------------------------------------
 * The reference: libfasttext (wrapped C++).  Slow load (it reads the whole matrix), exact.
 * ------------------------------------------------------------------------------------------- */
typedef struct mm_ft_model mm_ft_model;

/* Load a .bin or .ftz.  The file is first validated by our own parser (mm_clf_model_check), so a
 * truncated or foreign file is an error (MM_ERR_FORMAT / MM_ERR_TRUNCATED), never a crash. */
MM_API mm_err mm_ft_load(const char *path, mm_ft_model **out);
MM_API mm_err mm_ft_save(const mm_ft_model *m, const char *path); /* atomic */
MM_API void mm_ft_free(mm_ft_model *m);

typedef struct mm_ft_quant_opts {
    int64_t cutoff;    /* 0 = keep every row; > 0: keep the `cutoff` most important rows */
    int dsub;          /* 2: dimensions per sub-quantizer */
    bool qnorm;        /* false: quantize norms separately */
    bool qout;         /* false: quantize the output matrix too */
    bool retrain;      /* false: retrain after pruning (needs `input`) */
    const char *input; /* training file for retrain, else NULL */
} mm_ft_quant_opts;
MM_API void mm_ft_quant_opts_default(mm_ft_quant_opts *o);

/* Product-quantize `m` in place (then mm_ft_save it as .ftz). */
MM_API mm_err mm_ft_quantize(mm_ft_model *m, const mm_ft_quant_opts *o);
/* Convenience: load `in_bin`, quantize, save `out_ftz`. */
MM_API mm_err mm_ft_quantize_file(const char *in_bin, const char *out_ftz,
                                  const mm_ft_quant_opts *o);

/* Probability of `label` (e.g. MM_CLF_LABEL_POS) for one line of already-normalised text, as
 * `fasttext predict-prob` reports it.  0 when the line has no known token. */
MM_API mm_err mm_ft_prob(const mm_ft_model *m, const char *line, size_t n, const char *label,
                         float *prob);
/* Number of labels and the name of label i. */
MM_API int mm_ft_nlabels(const mm_ft_model *m);
MM_API const char *mm_ft_label(const mm_ft_model *m, int i);

/* ---------------------------------------------------------------------------------------------
 * Our scorer.  Reads fastText .bin (version 11/12) and .ftz; supports losses softmax, ns, ova
 * and hs; word n-grams and subword (minn/maxn) models.  The input matrix is memory-mapped from
 * the file (load costs a dictionary parse only); `preload` copies it into (huge-page backed)
 * anonymous memory instead, which costs load time and RAM but makes random row reads faster.
 * One scorer is shared read-only by any number of threads; each thread uses its own mm_clf_ctx.
 * ------------------------------------------------------------------------------------------- */
typedef struct mm_clf_scorer mm_clf_scorer;
typedef struct mm_clf_ctx mm_clf_ctx;

/* How score files count a document's tokens (their 5th column, what --top-tokens budgets).
 * Each scoring thread calls open(arg) once (NULL = out of memory), count() per document, and
 * close() at the end, so a tokenizer that needs per-thread state (rl/tokenizer.h's encoders:
 * mm_tok_counter_*) plugs in without classifier/ depending on it. */
typedef struct mm_clf_token_counter {
    void *(*open)(void *arg);
    mm_err (*count)(void *state, const char *text, size_t n, uint64_t *tokens);
    void (*close)(void *state);
    void *arg;
} mm_clf_token_counter;

typedef struct mm_clf_scorer_opts {
    const char *label; /* the label whose probability is the score: MM_CLF_LABEL_POS */
    const mm_clf_token_counter *tokens; /* NULL: MM_CLF_TOKENS (bytes / 4); borrowed */
    size_t max_bytes; /* normalisation cap (MM_CLF_MAX_BYTES_DEFAULT); must match training */
    bool preload;     /* false: mmap the matrix; true: copy it into memory (madvise huge) */
    bool populate;    /* false: map lazily; true: MAP_POPULATE (fault everything in at load) */
} mm_clf_scorer_opts;
MM_API void mm_clf_scorer_opts_default(mm_clf_scorer_opts *o);

/* What a model file says about itself. */
typedef struct mm_clf_model_info {
    int version, dim, word_ngrams, minn, maxn, bucket, min_count, epoch;
    const char *loss; /* "softmax", "hs", "ns", "ova" */
    int64_t nwords, nlabels, ntokens, input_rows, pruneidx_size;
    bool quant_input, quant_output, qnorm;
    uint64_t file_bytes;
} mm_clf_model_info;

/* Parse and validate a model file without keeping it: magic, version, every size against the
 * file size.  MM_ERR_FORMAT (not fastText), MM_ERR_TRUNCATED, MM_ERR_UNSUPPORTED. */
MM_API mm_err mm_clf_model_check(const char *path, mm_clf_model_info *info);
/* The same on a buffer (the fuzz target's entry point). */
MM_API mm_err mm_clf_model_check_mem(const void *data, size_t n, mm_clf_model_info *info);

MM_API mm_err mm_clf_scorer_open(const char *model_path, const mm_clf_scorer_opts *opts,
                                 mm_clf_scorer **out);
/* The same over a model already in memory (borrowed: keep it alive until close). */
MM_API mm_err mm_clf_scorer_open_mem(const void *data, size_t n, const mm_clf_scorer_opts *opts,
                                     mm_clf_scorer **out);
MM_API void mm_clf_scorer_close(mm_clf_scorer *s);
MM_API const mm_clf_model_info *mm_clf_scorer_info(const mm_clf_scorer *s);

MM_API mm_err mm_clf_ctx_create(const mm_clf_scorer *s, mm_clf_ctx **out);
MM_API void mm_clf_ctx_free(mm_clf_ctx *c);
/* The tokens of raw text[0..n) as score files count them: the scorer's token counter, else
 * MM_CLF_TOKENS(n). */
MM_API mm_err mm_clf_ctx_tokens(mm_clf_ctx *c, const char *text, size_t n, uint64_t *tokens);

/* Score one line of already-normalised text (what fastText would read: tokens separated by
 * whitespace; an end-of-line token is implied).  Returns the score (see "Labels" above); 0 when
 * no token of the line is known to the model (fastText prints nothing then). */
MM_API float mm_clf_score_line(mm_clf_ctx *c, const char *line, size_t n);
/* Normalise raw document text with the scorer's max_bytes, then score it. */
MM_API float mm_clf_score_text(mm_clf_ctx *c, const char *text, size_t n);
/* Score n raw texts (normalised with the scorer's max_bytes) into scores[0..n).  Row prefetching
 * runs within each document (documents are long enough for it to pay); this saves per-call
 * overhead only. */
MM_API mm_err mm_clf_score_batch(mm_clf_ctx *c, const char *const *texts, const size_t *lens,
                                 size_t n, float *scores);
/* Probabilities of every label (as fastText prints them) for a normalised line; `probs` has
 * room for info->nlabels values.  Returns the number of labels, or 0 for an empty line. */
MM_API int mm_clf_predict_line(mm_clf_ctx *c, const char *line, size_t n, float *probs);
MM_API const char *mm_clf_scorer_label(const mm_clf_scorer *s, int i);

/* ---------------------------------------------------------------------------------------------
 * Scoring document shards into score files.
 * ------------------------------------------------------------------------------------------- */
typedef struct mm_clf_score_stats {
    uint64_t files, files_skipped, files_failed; /* skipped: output already there */
    uint64_t docs, bad_lines, bytes;             /* bytes: decompressed shard bytes read */
    double seconds;
} mm_clf_score_stats;

/* "<out_dir>/<stem of shard>.scores.tsv" into out[cap] (a shard alone; in a list, the stems of
 * mm_clf_unique_stems). */
MM_API void mm_clf_score_path(const char *out_dir, const char *shard_path, char *out, size_t cap);

/* Score every document of one shard (.jsonl / .jsonl.zst) into `out_path`, atomically.  Broken
 * lines are counted in st->bad_lines and skipped.  `ctx` is the calling thread's context.  Adds
 * to *st (may be NULL; not thread-safe: give each thread its own and sum). */
MM_API mm_err mm_clf_score_shard(mm_clf_ctx *ctx, const char *shard_path, const char *out_path,
                                 mm_clf_score_stats *st);

/* Output stems for the shards paths[0..n) (new strings in *stems[0..n), free with
 * mm_clf_free_stems), unique within the list: mm_stem(path) when no other path of the list has
 * that stem, else that stem + "." + 8 hex digits of a hash of the whole path.  So a/x.jsonl.zst
 * and b/x.jsonl.zst, or x.jsonl beside x.jsonl.zst, get outputs of their own.  MM_ERR_ARG when
 * one path is given twice.  Every task of a split list sees the whole list, so all agree. */
MM_API mm_err mm_clf_unique_stems(const char *const *paths, size_t n, char ***stems);
MM_API void mm_clf_free_stems(char **stems, size_t n);

/* Score shards[lo..hi) of the list shards[0..n) with `threads` threads (0 = all cores) sharing
 * the scorer; shards[i] goes to "<out_dir>/<stem i>.scores.tsv" with the stems of
 * mm_clf_unique_stems over the whole list; finished ones are skipped unless `force`.
 * `on_progress` (may be NULL) is called from worker threads after each file with (docs, bytes)
 * added.  Goes on past a failed shard and returns the first error at the end. */
typedef void (*mm_clf_progress_fn)(void *arg, uint64_t docs, uint64_t bytes);
MM_API mm_err mm_clf_score_shards(const mm_clf_scorer *s, const char *const *shards, size_t n,
                                  size_t lo, size_t hi, const char *out_dir, int threads,
                                  bool force, mm_clf_progress_fn on_progress, void *arg,
                                  mm_clf_score_stats *st);

/* Cancellation: when `*flag` becomes non-zero (a signal handler sets it), mm_clf_score_shard
 * stops at the next document, removes its temp output and returns MM_ERR_IO ("interrupted");
 * mm_clf_score_shards then skips the remaining files.  Process-wide; NULL turns it off. */
MM_API void mm_clf_set_cancel_flag(volatile int *flag);

/* Reading score files. */
typedef struct mm_clf_score_row {
    const char *id, *url, *domain; /* NUL-terminated, valid until the next call */
    double score;
    uint64_t tokens; /* 0 when the file has only 4 columns */
} mm_clf_score_row;
typedef struct mm_clf_scores mm_clf_scores;
MM_API mm_err mm_clf_scores_open(const char *path, mm_clf_scores **out);
/* 1 = row filled, 0 = end, -1 = broken line skipped (detail names file:line; call again). */
MM_API int mm_clf_scores_next(mm_clf_scores *r, mm_clf_score_row *row, mm_err *err);
MM_API void mm_clf_scores_close(mm_clf_scores *r);

/* ---------------------------------------------------------------------------------------------
 * Evaluation.
 * ------------------------------------------------------------------------------------------- */
/* The documents of classifier inputs, as train and eval read them: a *.jsonl / *.jsonl.zst path
 * is a document shard (the "text" of each line), anything else a text file with one document a
 * line (.zst decompressed; leading __label__ tokens of fastText format dropped).  fn(arg, text,
 * n) is called for each (empty lines too), in order; the first error it returns stops the read.
 * Broken shard lines and overlong text lines are skipped and added to *bad. */
typedef mm_err (*mm_clf_text_fn)(void *arg, const char *text, size_t n);
MM_API mm_err mm_clf_read_inputs(const char *const *paths, size_t n, mm_clf_text_fn fn, void *arg,
                                 uint64_t *bad);
/* The score of every non-empty document of the inputs (mm_clf_read_inputs) into *scores
 * (malloc'ed, *nscores of them; the caller frees it), broken lines added to *bad.  Stops with
 * MM_ERR_IO "interrupted" when *stop becomes non-zero (stop may be NULL). */
MM_API mm_err mm_clf_score_inputs(mm_clf_ctx *c, const char *const *paths, size_t n,
                                  volatile int *stop, float **scores, size_t *nscores,
                                  uint64_t *bad);

typedef struct mm_clf_eval_point {
    double threshold, precision, recall, f1;
    uint64_t tp, fp, fn, tn;
} mm_clf_eval_point;

/* ROC-AUC of scores of positives vs negatives (ties count half).  NaN if a class is empty. */
MM_API double mm_clf_roc_auc(const float *pos, size_t npos, const float *neg, size_t nneg);
/* Confusion counts and P/R/F1 when "score >= threshold" means positive. */
MM_API void mm_clf_eval_at(const float *pos, size_t npos, const float *neg, size_t nneg,
                           double threshold, mm_clf_eval_point *pt);
/* Smallest threshold whose precision is >= target (with the recall it gets); false if none. */
MM_API bool mm_clf_threshold_for_precision(const float *pos, size_t npos, const float *neg,
                                           size_t nneg, double target, mm_clf_eval_point *pt);
/* The PR curve (recall on x, precision on y) as an SVG chart. */
MM_API mm_err mm_clf_pr_svg(const char *path, const float *pos, size_t npos, const float *neg,
                            size_t nneg, const char *title);

/* `classify eval` as one call: the inputs scored (mm_clf_score_inputs), ROC-AUC, the confusion
 * counts and P/R/F1 at each of `thresholds`, the lowest threshold reaching `target_precision`,
 * and (svg != NULL) the PR curve.  A class with no document is MM_ERR_ARG "one-class
 * evaluation data". */
typedef struct mm_clf_eval_report {
    size_t npos, nneg; /* documents scored */
    uint64_t bad;      /* broken or overlong input lines skipped */
    double roc_auc;
    mm_clf_eval_point *points; /* [npoints], one per threshold asked, in their order */
    size_t npoints;
    double target_precision;
    bool target_reached; /* at_target is the lowest such threshold */
    mm_clf_eval_point at_target;
} mm_clf_eval_report;

MM_API mm_err mm_clf_evaluate(mm_clf_ctx *c, const char *const *pos, size_t npos,
                              const char *const *neg, size_t nneg, const double *thresholds,
                              size_t nthresholds, double target_precision, const char *svg,
                              volatile int *stop, mm_clf_eval_report *r);
/* The report as the table `classify eval` prints, and as its --stats JSON object {"pos", "neg",
 * "roc_auc", "thresholds": [{"threshold", "precision", "recall", "f1"}], "target_precision",
 * "threshold_for_target", "recall_at_target" (these two when reached)}. */
MM_API mm_err mm_clf_eval_report_text(const mm_clf_eval_report *r, mm_buf *out);
MM_API mm_err mm_clf_eval_report_json(const mm_clf_eval_report *r, mm_buf *out);
MM_API void mm_clf_eval_report_free(mm_clf_eval_report *r);

/* ---------------------------------------------------------------------------------------------
 * Selection.  Rows of all score files are ranked by score (descending), ties broken by id
 * (ascending) so the result is deterministic.
 *   THRESHOLD:  every row with score >= value
 *   TOP_FRAC:   the first ceil(value * rows) rows (value in (0, 1])
 *   TOP_TOKENS: the first rows while the running token total is below value (the row that
 *               crosses the budget is included), tokens from the score file's 5th column
 * The ranking is never materialised: the cut-off is found with a few passes of score
 * histograms (bounded memory, however many rows), and equals what a full sort gives (the
 * reference mm_select_find_cut_exact does the full sort; tests compare the two).
 * ------------------------------------------------------------------------------------------- */
typedef enum { MM_SELECT_THRESHOLD, MM_SELECT_TOP_FRAC, MM_SELECT_TOP_TOKENS } mm_select_mode;

/* Which rows a selection keeps: a row is selected when its score is above `score`, or equal
 * to it and (all_ties, or its id <= `id`).  none: nothing is selected. */
typedef struct mm_select_cut {
    bool none;
    double score;
    bool all_ties;
    char *id; /* owned; NULL with all_ties */
} mm_select_cut;

MM_API bool mm_select_cut_has(const mm_select_cut *c, double score, const char *id);
MM_API void mm_select_cut_free(mm_select_cut *c); /* frees c->id; accepts NULL */

/* The cut for `mode`/`value` over the rows of paths[0..n), in bounded memory (see above).
 * Broken rows are skipped and counted into *bad_rows (may be NULL).  Free with
 * mm_select_cut_free. */
MM_API mm_err mm_select_find_cut(const char *const *paths, size_t n, mm_select_mode mode,
                                 double value, mm_select_cut *cut, uint64_t *bad_rows);
/* The plain reference: every row in memory, sorted. */
MM_API mm_err mm_select_find_cut_exact(const char *const *paths, size_t n, mm_select_mode mode,
                                       double value, mm_select_cut *cut);

typedef struct mm_select_stats {
    uint64_t rows, selected, tokens_total, tokens_selected, bad_lines;
    double cutoff; /* lowest selected score (NaN if none) */
} mm_select_stats;

/* The message of the first broken score row counted by the last mm_select_ids /
 * mm_select_find_cut on this thread ("" when none), for the caller's warning. */
MM_API const char *mm_select_bad_example(void);

/* The selected ids, one per line in score-file order (the files in the order given), written
 * atomically to `ids_out` (may end in .zst).  Memory does not grow with the rows. */
MM_API mm_err mm_select_ids(const char *const *score_paths, size_t n, mm_select_mode mode,
                            double value, const char *ids_out, mm_select_stats *st);
/* The same for a cut already found (st->bad_lines is kept, the rest recounted); ids_out NULL
 * only counts. */
MM_API mm_err mm_select_write_ids(const char *const *score_paths, size_t n,
                                  const mm_select_cut *cut, const char *ids_out,
                                  mm_select_stats *st);

/* A selection as a map stage (docs/cluster.md): one reduce finds the cut over every score file
 * and saves it (with the stats of the whole selection) as a small JSON file; then each task
 * writes the attribute files of its own shards from the cut and each shard's score file.  The
 * score is written with 17 significant digits, so the loaded cut is the one found. */
MM_API mm_err mm_select_cut_save(const mm_select_cut *c, const mm_select_stats *st,
                                 const char *path);
/* mm_select_ids with the cut saved to `cut_out` as well (when not NULL, and some row is valid);
 * `ids_out` may be NULL (only the counts and the cut). */
MM_API mm_err mm_select_save(const char *const *score_paths, size_t n, mm_select_mode mode,
                             double value, const char *ids_out, const char *cut_out,
                             mm_select_stats *st);
/* Load a cut saved by mm_select_cut_save (free with mm_select_cut_free); *st may be NULL. */
MM_API mm_err mm_select_cut_load(const char *path, mm_select_cut *c, mm_select_stats *st);
/* A map task's shard: the rows of `scores_path` (the shard's score file) that `cut` selects
 * are kept; every other document of `shard_path` goes to the attribute file `attrs_path`, as
 * mm_select_attrs writes it with the ids of the whole selection (ids are per document, so a
 * document's row is in its own shard's score file). */
MM_API mm_err mm_select_attrs_cut(const mm_select_cut *cut, const char *scores_path,
                                  const char *shard_path, const char *attrs_path, uint64_t *kept,
                                  uint64_t *dropped, uint64_t *bad);

/* An id set (one id per line, as mm_select_ids writes it). */
typedef struct mm_idset mm_idset;
MM_API mm_err mm_idset_load(const char *path, mm_idset **out);
MM_API mm_err mm_idset_create(mm_idset **out);
MM_API mm_err mm_idset_add(mm_idset *s, const char *id, size_t n);
MM_API bool mm_idset_has(const mm_idset *s, const char *id, size_t n);
MM_API size_t mm_idset_size(const mm_idset *s);
MM_API void mm_idset_free(mm_idset *s);

/* Copy the documents of `shard_path` whose id is in `ids` to `out_path` (atomically; raw lines
 * unchanged).  Broken lines counted in *bad.  *kept = documents written. */
MM_API mm_err mm_select_docs(const mm_idset *ids, const char *shard_path, const char *out_path,
                             uint64_t *kept, uint64_t *bad);
/* Attribute mode: the documents of `shard_path` whose id is NOT in `ids` are written to the
 * attribute file `attrs_path` (common/attrs.h, tag below_threshold) instead of copying the
 * selected ones.  *kept, *dropped = documents selected, listed. */
MM_API mm_err mm_select_attrs(const mm_idset *ids, const char *shard_path, const char *attrs_path,
                              uint64_t *kept, uint64_t *dropped, uint64_t *bad);

#endif
