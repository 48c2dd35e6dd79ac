/* tools/task_args.h — the task and model options shared by `mathmine grpo`, `eval` and `sft`
 * (--task, --train/--test files, the arith generator's settings), defined in cmd_grpo.c. */
#ifndef MM_TASK_ARGS_H
#define MM_TASK_ARGS_H

#include <stdio.h>

#include "rl/grpo.h"
#include "rl/task.h"

typedef struct task_args {
    const char *kind, *train_file, *test_file;
    mm_arith_opts arith;
    int train_on_test; /* --train-on-test: a benchmark task may train on its test file */
    int training;      /* set by the training commands: refuse train == test */
    int shots;         /* --shots K: k-shot prompts from the train split */
} task_args;

void grpo_task_args_default(task_args *t);
/* Consume the task option at argv[*i] (and its value); 1 if it was one, else 0. */
int grpo_task_arg(const char *cmd, int argc, char **argv, int *i, task_args *t);
mm_task *grpo_task_open(const char *cmd, const task_args *t);
void grpo_task_usage(FILE *f);
/* Consume --temperature, --top-k or --top-p at argv[*i] (and its value) into the sampling
 * settings of grpo, eval and generate; 1 if it was one, else 0. */
int grpo_sampling_arg(const char *cmd, int argc, char **argv, int *i, float *temperature,
                      int *top_k, float *top_p);
/* The model of --init: a checkpoint (with its codec) or "new:L,H,D,CTX" (byte-level, or the
 * vocabulary of tok_dir).  Exits on failure. */
mm_gpt *grpo_open_model(const char *cmd, const char *init, const char *tok_dir,
                        const mm_grpo_codec **codec, uint64_t seed);

#endif
