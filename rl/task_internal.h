/* rl/task_internal.h — the task object shared by task.c, task_arith.c and task_jsonl.c (not
 * installed, not API). */
#ifndef MM_TASK_INTERNAL_H
#define MM_TASK_INTERNAL_H

#include "rl/task.h"

typedef struct mm_task_list {
    mm_task_item *items;
    size_t n, cap;
} mm_task_list;

struct mm_task {
    const char *name;
    mm_task_list split[2];
    uint64_t skipped;
    mm_buf shots; /* the few-shot prefix items point to */
};

/* Append an item; takes ownership of its strings and step_values (freed on failure). */
mm_err mm_task_list_push(mm_task_list *l, mm_task_item it);

#endif
