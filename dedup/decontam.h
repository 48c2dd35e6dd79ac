/* dedup/decontam.h — n-gram benchmark decontamination (DeepSeekMath, section 2.1).
 *
 * A document is contaminated when it contains any n-gram (default n = 10 words) of a benchmark
 * text, or, for a benchmark text of 3 to n-1 words, the whole text as a contiguous word
 * sequence.  Texts under 3 words are not used.  Words are those of dedup/words.h (lowercase,
 * punctuation dropped, every CJK character a word).  Word sequences with no real word (only
 * numbers and single letters: "1 2 3 4 5 6 7 8 9 10", "3 5 7", "p q r") are not used either,
 * and an n-gram needs two real words: they occur on countless clean pages.
 *
 * Benchmarks are loaded from JSONL, JSON arrays, CSV and ASDiv-style XML, either through a
 * preset named after the benchmark (gsm8k, math, math500, cmath, agieval, mmlu, mmlu_stem, svamp,
 * asdiv, mawps, mathqa, minerva_ocw, sat_math, mgsm_zh) or with explicit fields:
 *
 *   SPEC   = [NAME=]PATH[@FIELDS]       PATH: a file, or a folder whose data files are all loaded
 *   FIELDS = TEXT[,TEXT...]             each TEXT is one benchmark text of a record
 *   TEXT   = PART[+PART...]             parts joined (e.g. SVAMP's Body+Question)
 *   PART   = PATH[|PATH...][?]          first present alternative; '?' = may be missing
 *   PATH   = key[.key|.index...]        JSON path (other.solution, messages.0.content); a CSV
 *                                       column number; an XML child element name
 *   XML records are the elements named by a leading "Tag/" in FIELDS (default Problem/).
 *
 * Ownership: the mm_decontam owns everything it loads; the info structs it fills point into it
 * and stay valid until mm_decontam_free.  After mm_decontam_build the index is read-only and
 * mm_decontam_scan may be called from any number of threads at once. */
#ifndef MM_DEDUP_DECONTAM_H
#define MM_DEDUP_DECONTAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define MM_DECONTAM_MAX_N 100

typedef struct mm_decontam mm_decontam;

/* n: the n-gram length, 3..MM_DECONTAM_MAX_N (DeepSeekMath: 10). */
MM_API mm_err mm_decontam_create(int n, mm_decontam **out);
MM_API void mm_decontam_free(mm_decontam *d);

/* Load one SPEC (grammar above).  Bad records are not errors: they are counted per benchmark and
 * listed by mm_decontam_problems with file and line; the rest of the file is loaded.  Errors:
 * MM_ERR_IO (cannot read), MM_ERR_ARG (unknown preset without FIELDS, bad FIELDS), MM_ERR_FORMAT
 * (a file with no record: empty or all broken — an empty benchmark would pass every document
 * as clean). */
MM_API mm_err mm_decontam_add_spec(mm_decontam *d, const char *spec);
/* Load every folder of `dir` named after a preset (the ../shared/benchmarks layout: gsm8k/,
 * math/, cmath_test/, mmlu_math/, asdiv_jsonl/, ...).  Unknown folders are listed as problems;
 * a `dir` with no such folder is MM_ERR_ARG. */
MM_API mm_err mm_decontam_add_dir(mm_decontam *d, const char *dir);
/* Add one text directly (tests, custom sources).  `bench` names its benchmark. */
MM_API mm_err mm_decontam_add_text(mm_decontam *d, const char *bench, const char *text, size_t n);
/* Build the index.  No more texts may be added afterwards. */
MM_API mm_err mm_decontam_build(mm_decontam *d);

/* Problems met while loading ("FILE: line N: why"). */
MM_API size_t mm_decontam_nproblems(const mm_decontam *d);
MM_API const char *mm_decontam_problem(const mm_decontam *d, size_t i);

typedef struct mm_decontam_bench_info {
    const char *name, *file, *fields;
    uint64_t records;     /* records read */
    uint64_t texts;       /* texts used (>= 3 words) */
    uint64_t short_texts; /* of which 3..n-1 words (matched whole) */
    uint64_t too_short;   /* texts under 3 words, not used */
    uint64_t trivial;     /* texts of numbers and single letters only, not used */
    uint64_t bad;         /* broken records or missing required fields */
} mm_decontam_bench_info;
MM_API size_t mm_decontam_nbench(const mm_decontam *d);
MM_API void mm_decontam_bench(const mm_decontam *d, size_t i, mm_decontam_bench_info *out);

typedef struct mm_decontam_text_info {
    uint32_t bench;         /* index for mm_decontam_bench */
    uint64_t item;          /* 0-based record number in its file */
    uint64_t line;          /* 1-based line where the record starts; 0 when unknown (JSON arrays) */
    const char *field, *id; /* the FIELDS text spec; the record's id/idx/ID ("" if none) */
    const char *text;
    size_t len;
    uint32_t words;
    bool used; /* false: under 3 words, or nothing but numbers and single letters */
} mm_decontam_text_info;
MM_API uint32_t mm_decontam_ntexts(const mm_decontam *d);
MM_API void mm_decontam_text(const mm_decontam *d, uint32_t t, mm_decontam_text_info *out);

typedef struct mm_decontam_match {
    uint32_t text;     /* benchmark text */
    uint32_t start;    /* first matching word in the benchmark text */
    uint32_t len;      /* words matched (n, or the whole short text) */
    bool whole;        /* a short text matched as a whole */
    uint64_t doc_word; /* index of the first matching word in the document */
} mm_decontam_match;

/* Scan text[0..n).  Fills out[0..cap) with matches of distinct benchmark texts, in order of
 * appearance, and returns their count (stops scanning when cap is reached; cap 1 = "is it
 * contaminated?").  Thread-safe; allocates nothing. */
MM_API size_t mm_decontam_scan(const mm_decontam *d, const char *text, size_t n,
                               mm_decontam_match *out, size_t cap);
/* The benchmark words of a match, normalised (lowercase, single spaces), appended to b. */
MM_API mm_err mm_decontam_ngram(const mm_decontam *d, const mm_decontam_match *m, mm_buf *b);

/* Index size: distinct keys and bytes of memory held. */
MM_API uint64_t mm_decontam_keys(const mm_decontam *d);
MM_API uint64_t mm_decontam_bytes(const mm_decontam *d);

#endif
