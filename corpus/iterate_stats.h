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

#endif
