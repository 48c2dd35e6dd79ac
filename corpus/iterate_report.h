/* corpus/iterate_report.h — internal to iterate: the files an iteration leaves behind
 * (domains.tsv, prefixes.tsv, report.json, score_hist.svg) and the run's final report
 * (report.json, report.md, growth.svg). */
#ifndef MM_ITERATE_REPORT_H
#define MM_ITERATE_REPORT_H

#include "common/io.h"
#include "corpus/iterate.h"
#include "corpus/iterate_stats.h"

/* domains.tsv in `dir`, written row by row in its order (pages, descending, then domain):
 * open (header written; on failure nothing is left open), a row per domain, then
 * mm_out_commit (or mm_out_abort). */
mm_err iter_domains_open(const char *dir, mm_out **o);
mm_err iter_domains_row(mm_out *o, const char *domain, uint64_t pages, uint64_t collected,
                        bool math);
/* prefixes.tsv at `path`.  `for_person`: the decision column is left for a person ("?"), the
 * rule's choice shown as a suggestion. */
mm_err iter_write_prefixes(const char *path, const iter_counts *p, const bool *chosen,
                           const char *const *reason, bool for_person);
/* report.json and score_hist.svg; `d` holds at least the top domains (the first 20 with
 * collected pages in domains.tsv's order), `math` their flags. */
mm_err iter_write_report(const char *dir, const mm_iter_summary *s, const double hist[20],
                         const iter_counts *d, const bool *math);
mm_err iter_read_summary(const char *dir, mm_iter_summary *s);
mm_err iter_write_final(const char *work_dir, const mm_iter_summary *all, size_t n);
mm_err iter_copy_file(const char *from, const char *to);
/* `b` as the whole of the file `path`, atomically. */
mm_err iter_write_whole(const char *path, const mm_buf *b);
/* Read allow/deny decisions (columns "prefix" and "decision"; '?' = undecided) into the maps;
 * a prefix already in either map keeps its decision. */
mm_err iter_load_annotations(const char *path, mm_strmap *allow, mm_strmap *deny);

#endif
