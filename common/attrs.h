/* common/attrs.h — attribute files: per document shard, the ids that a filter drops and why, so
 * that selection, dedup and decontamination never rewrite the corpus; one final pass
 * (mm_attrs_apply, `mathmine apply`) writes the clean shards once.  As Dolma's taggers do.
 *
 * File: ATTRS_DIR/<stem>.<tag>.attrs.tsv, where <stem> is the shard's stem (mm_stem) and <tag>
 * one of the tags below.  Plain text, written atomically (temp file + rename):
 *
 *     #mathmine-attrs 1 <tag>
 *     <id> \t <reason> [\t <detail>]        one line per dropped document
 *
 * reason is the tag, or for decontamination `contaminated:<benchmark>`; detail is free text
 * (the MinHash cluster, the matching benchmark item).  Ids may not contain tabs or newlines.
 * An empty list (only the header) means "this filter drops nothing here" and marks it done.
 *
 * Order.  The tags have a fixed order, that of the pipeline: below_threshold, url_dup,
 * exact_dup, minhash_dup, contaminated.  A tagger run over the original shards reads the
 * attribute files of the tags before its own and treats those documents as absent
 * (mm_attrs_load with `upto`), so the attributes of the five filters give exactly the
 * documents that the chain of commands writing copies (select → dedup url → exact → minhash →
 * decontaminate) keeps.
 *
 * Matching is by document id, never by position.  mm_attrs_apply refuses a shard in which an
 * id of its attribute files does not occur (the attributes were made from another version of
 * the shard). */
#ifndef MM_ATTRS_H
#define MM_ATTRS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef enum mm_attr_tag {
    MM_ATTR_BELOW_THRESHOLD,
    MM_ATTR_URL_DUP,
    MM_ATTR_EXACT_DUP,
    MM_ATTR_MINHASH_DUP,
    MM_ATTR_CONTAMINATED,
    MM_ATTR_NTAGS
} mm_attr_tag;

MM_API const char *mm_attr_tag_name(mm_attr_tag t);

/* path = DIR/<stem of shard>.<tag>.attrs.tsv (replaces b's contents). */
MM_API mm_err mm_attr_path(const char *dir, const char *shard, mm_attr_tag t, mm_buf *path);

/* ---- writing ---- */
typedef struct mm_attr_writer mm_attr_writer;
MM_API mm_err mm_attr_writer_open(const char *path, mm_attr_tag t, mm_attr_writer **out);
/* reason NULL = the tag's name; detail NULL or "" = none. */
MM_API mm_err mm_attr_writer_add(mm_attr_writer *w, const char *id, const char *reason,
                                 const char *detail);
MM_API uint64_t mm_attr_writer_count(const mm_attr_writer *w);
MM_API mm_err mm_attr_writer_commit(mm_attr_writer *w); /* frees w */
MM_API void mm_attr_writer_abort(mm_attr_writer *w);    /* frees w; accepts NULL */

/* ---- reading ---- */
typedef struct mm_attrs mm_attrs;

/* The ids dropped by the attribute files of `shard` found in dirs[0..ndirs), for the tags
 * before `upto` (MM_ATTR_NTAGS: all).  A missing file is no error; a damaged one is
 * (file and line named).  *out is never NULL on success. */
MM_API mm_err mm_attrs_load(const char *const *dirs, size_t ndirs, const char *shard,
                            mm_attr_tag upto, mm_attrs **out);
MM_API void mm_attrs_free(mm_attrs *a); /* accepts NULL */
/* The reason `id` is dropped for, or NULL when it is kept (a may be NULL: keeps all). */
MM_API const char *mm_attrs_reason(const mm_attrs *a, const char *id, size_t n);
MM_API size_t mm_attrs_size(const mm_attrs *a);
MM_API size_t mm_attrs_files(const mm_attrs *a); /* attribute files read */

/* ---- the final pass ---- */
#define MM_APPLY_MAX_REASONS 64

typedef struct mm_apply_stats {
    uint64_t docs, kept, dropped, bad, bytes_in, bytes_out;
    uint64_t by_tag[MM_ATTR_NTAGS];
    size_t nreasons; /* distinct reasons (past MM_APPLY_MAX_REASONS counted in the last one) */
    char reason[MM_APPLY_MAX_REASONS][64];
    uint64_t reason_docs[MM_APPLY_MAX_REASONS];
} mm_apply_stats;

/* Copy the documents of `shard` that `a` does not drop, lines unchanged, to out_shard
 * (atomic).  Fails (nothing written) when an id of `a` is not in the shard.  Counts are
 * added to *st. */
MM_API mm_err mm_attrs_apply(const mm_attrs *a, const char *shard, const char *out_shard,
                             mm_apply_stats *st);
/* Accumulate b into a. */
MM_API void mm_apply_stats_add(mm_apply_stats *a, const mm_apply_stats *b);

#endif
