/* common/report.h — one self-contained HTML report of a run (`mathmine report DIR`).
 *
 * The report reads what the stages already write under DIR, at any depth: the commands'
 * `--stats` JSON files, the task markers of `mathmine run` (OUT/_run/STAGE/task-*.json, which
 * hold the task's stats, CPU time and peak RSS), `iterate`'s work folder (report.json,
 * iter-K/domains.tsv, prefixes.tsv), decontamination reports and removed documents, the
 * training logs (log.jsonl of pretrain, grpo and its supervised warm-up), `eval` results, and
 * the document shards (for languages, page kinds and a sample of kept and removed pages).
 * Each file is recognised by its content, not its name, so any layout works.  A section is
 * written only when its stage's outputs are present.
 *
 * The page is one file: inline CSS and SVG charts, no script, no network.
 * Ownership: the caller owns `html` (an mm_buf) and frees it; `info` is plain data. */
#ifndef MM_REPORT_H
#define MM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef struct mm_report_opts {
    const char *title;  /* NULL: "mathmine report" */
    size_t samples;     /* documents shown in each sample list (0: 6) */
    uint64_t scan_docs; /* document lines read for languages and page kinds (0: 20000) */
} mm_report_opts;

enum { MM_REPORT_MAX_SECTIONS = 16 };

typedef struct mm_report_info {
    size_t files_read; /* stats, reports and logs recognised and used */
    size_t files_bad;  /* JSON files that did not parse (skipped; named in the page) */
    size_t stages;     /* stages found (a stats file, or a pipeline stage's tasks) */
    size_t nsections;
    const char *sections[MM_REPORT_MAX_SECTIONS]; /* ids of the sections written, in order */
} mm_report_info;

/* Append the report of `dir` to `html`.  Fails (MM_ERR_IO, naming the folder) when `dir` cannot
 * be read; files that cannot be parsed are skipped and counted.  `o` and `info` may be NULL. */
MM_API mm_err mm_report_html(const char *dir, const mm_report_opts *o, mm_buf *html,
                             mm_report_info *info);

/* The same, written atomically to `path`. */
MM_API mm_err mm_report_write(const char *dir, const char *path, const mm_report_opts *o,
                              mm_report_info *info);

#endif
