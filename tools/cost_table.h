/* tools/cost_table.h — the cost table of a pipeline run (`mathmine run --cost`, `mathmine status
 * --cost`), from mm_pipe_cost_of (common/pipeline.h). */
#ifndef MM_COST_TABLE_H
#define MM_COST_TABLE_H

#include "common/pipeline.h"

/* Print, per stage and in total: CPU-hours, MB and documents per CPU second, CPU-hours per TB
 * of WARC input and per million documents, and the projection for the whole dump. */
void cost_table_print(const mm_pipe *p, const mm_pipe_cost_opts *o);

#endif
