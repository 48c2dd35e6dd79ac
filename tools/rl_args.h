/* tools/rl_args.h — the options of `mathmine grpo` for learned rewards, PPO and DPO
 * (tools/rl_args.c), kept apart from cmd_grpo.c, which calls them at a few marked places. */
#ifndef MM_RL_ARGS_H
#define MM_RL_ARGS_H

#include <stdio.h>

#include "rl/grpo.h"

typedef struct rl_args {
    const char *reward; /* --reward: "rule", "orm:CKPT", "prm:CKPT" or a mix (rl/reward_model.h) */
    const char *value_init; /* PPO: the value model's start (NULL = the policy checkpoint) */
    mm_value *rm[MM_REWARD_MAX_TERMS], *vm; /* the reward terms' models (NULL for rule) */
    int retrain; /* --rm-retrain: the reward model is written to OUT/reward/ */
} rl_args;

void grpo_rl_args_default(rl_args *ra);
/* Consume argv[*i] (and its value) when it is one of these options; 1 = consumed. */
int grpo_rl_arg(const char *cmd, int argc, char **argv, int *i, rl_args *ra, mm_grpo_opts *o);
/* Set o->algo for ppo, dpo and online-dpo; 0 when `algo` is none of them. */
int grpo_rl_algo(const char *algo, mm_grpo_opts *o);
/* Load the reward and value models the options ask for into o (exits on failure). */
void grpo_rl_open(const char *cmd, rl_args *ra, const char *init, mm_grpo_opts *o);
/* Save the value model (PPO) to OUT/value/, the retrained reward model to OUT/reward/, and
 * free everything. */
void grpo_rl_close(const char *cmd, rl_args *ra, const char *out, const mm_grpo_codec *c);
void grpo_rl_usage(FILE *f);

#endif
