/* corpus/iterate_stats.h — internal to iterate: per-key page/collected counters merged over
 * shards, URL prefixes, and the small TSV/JSON files of an iteration. */
#ifndef MM_ITERATE_STATS_H
#define MM_ITERATE_STATS_H

#include "classifier/classifier.h"
#include "common/strmap.h"
#include "corpus/iterate.h"

/* Counters per key (domain, host or URL prefix): dense arrays indexed by the strmap index. */
typedef struct iter_counts {
    mm_strmap *keys;
    uint64_t *pages, *collected, *tokens;
    size_t cap;
} iter_counts;

mm_err iter_counts_init(iter_counts *c);
void iter_counts_free(iter_counts *c);
mm_err iter_counts_add(iter_counts *c, const char *key, uint64_t pages, uint64_t collected,
                       uint64_t tokens);
mm_err iter_counts_merge(iter_counts *into, const iter_counts *from);
/* Keys sorted by pages (desc), then key (asc): a deterministic order for reports. */
size_t *iter_counts_order(const iter_counts *c);

/* The URL prefixes of a page: "host/seg1/" (level 1) and "host/seg1/seg2/" (level 2), where
 * segments are directories (followed by '/'); a page with no directory (at the top of its site,
 * as on flat documentation sites) has the level-0 prefix "host/" instead, which stands for the
 * top-level pages of that host only.  "" where a level does not apply. */
void iter_url_prefixes(const char *url, char *p0, char *p1, char *p2, size_t cap);
/* Key of a score row: its domain (or the registered domain of its host), or its host. */
void iter_row_key(const mm_clf_score_row *row, mm_iter_key key, char *out, size_t cap);

#endif
