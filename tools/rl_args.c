/* tools/rl_args.c — `mathmine grpo` options for learned rewards, PPO and DPO (rl_args.h). */
#include "tools/rl_args.h"

#include <string.h>

#include "rl/reward_model.h"
#include "tools/cli.h"

void grpo_rl_args_default(rl_args *ra) {
    *ra = (rl_args){.reward = "rule"};
}

void grpo_rl_usage(FILE *f) {
    /* clang-format off: one option a line, as the other commands */
    fprintf(
        f,
        "Learned rewards, PPO and DPO (docs/grpo.md):\n"
        "  --reward R          the reward (default rule): one term or a weighted sum of terms\n"
        "                      TERM[+TERM...], TERM = rule[:W] | orm:CKPT[:W] | prm:CKPT[:W],\n"
        "                      W the weight (default 1), e.g. rule:0.5+prm:P:0.5.  rule: the\n"
        "                      task's checker (1 = right); orm: an outcome reward model of\n"
        "                      `mathmine rm` (sigma(score)); prm: a process reward model of\n"
        "                      `mathmine rm --kind prm` (sigma(score) at each step end; with\n"
        "                      outcome supervision the lowest step's).  With --supervision\n"
        "                      process: step rewards rule = per-line checks, prm = its step\n"
        "                      scores, orm = sigma(score) on the last step\n"
        "  --algo ppo          PPO with a value model: per-token rewards with the KL penalty\n"
        "                      (--beta), GAE, clipped policy loss (--clip), clipped value loss\n"
        "  --value CKPT        ppo: the value model's start (default: the policy, a fresh head)\n"
        "  --gamma G           ppo: discount (default 1)\n"
        "  --lambda L          ppo: GAE lambda (default 0.95)\n"
        "  --value-clip E      ppo: value clipping range (default 0.2; 0 = none)\n"
        "  --value-lr LR       ppo: the value model's learning rate (default: --lr)\n"
        "  --no-whiten         ppo: do not whiten the advantages over the batch\n"
        "  --algo dpo          DPO on pairs (a group's best against its worst output) sampled\n"
        "                      from the frozen initial model; online-dpo: from the policy\n"
        "  --dpo-beta B        dpo: beta (default 0.1)\n"
        "  --rm-retrain        with one orm or prm term and --iterative K: every K steps that\n"
        "                      model takes a pass over the round's samples (checker labels; a\n"
        "                      prm: every step labelled with the outcome) plus a replay of older\n"
        "                      ones; written to DIR/reward/ at the end\n"
        "  --rm-replay F       share of older samples replayed (default 0.1, as the paper)\n"
        "  --rm-lr LR          the reward model's learning rate (default 3e-4)\n");
    /* clang-format on */
}

int grpo_rl_arg(const char *cmd, int argc, char **argv, int *i, rl_args *ra, mm_grpo_opts *o) {
    const char *a = argv[*i];
    /* clang-format off */
#define VAL() (*i + 1 < argc ? argv[++*i] : (cli_usage_error(cmd, "%s needs a value", a), ""))
    if (!strcmp(a, "--reward")) ra->reward = VAL();
    else if (!strcmp(a, "--value")) ra->value_init = VAL();
    else if (!strcmp(a, "--gamma")) o->gamma = (float)cli_parse_double(cmd, a, VAL(), 0, 1);
    else if (!strcmp(a, "--lambda")) o->lambda = (float)cli_parse_double(cmd, a, VAL(), 0, 1);
    else if (!strcmp(a, "--value-clip")) o->value_clip = (float)cli_parse_double(cmd, a, VAL(), 0, 1e6);
    else if (!strcmp(a, "--value-lr")) o->value_lr = (float)cli_parse_double(cmd, a, VAL(), 0, 1);
    else if (!strcmp(a, "--no-whiten")) o->whiten = 0;
    else if (!strcmp(a, "--dpo-beta")) o->dpo_beta = (float)cli_parse_double(cmd, a, VAL(), 1e-6, 1e3);
    else if (!strcmp(a, "--rm-retrain")) o->rm_retrain = ra->retrain = 1;
    else if (!strcmp(a, "--rm-replay")) o->rm_replay = cli_parse_double(cmd, a, VAL(), 0, 1);
    else if (!strcmp(a, "--rm-lr")) o->rm_lr = (float)cli_parse_double(cmd, a, VAL(), 0, 1);
    else return 0;
#undef VAL
    /* clang-format on */
    return 1;
}

int grpo_rl_algo(const char *algo, mm_grpo_opts *o) {
    if (!strcmp(algo, "ppo"))
        o->algo = MM_GRPO_ALGO_PPO;
    else if (!strcmp(algo, "dpo"))
        o->algo = MM_GRPO_ALGO_DPO;
    else if (!strcmp(algo, "online-dpo"))
        o->algo = MM_GRPO_ALGO_ONLINE_DPO;
    else
        return 0;
    return 1;
}

void grpo_rl_open(const char *cmd, rl_args *ra, const char *init, mm_grpo_opts *o) {
    mm_reward_spec sp;
    mm_err e = mm_reward_spec_parse(ra->reward, &sp);
    if (e != MM_OK) cli_usage_error(cmd, "%s", mm_error_detail());
    int learned = 0;
    for (int k = 0; k < sp.n; k++) {
        if (sp.term[k].kind != MM_REWARD_RULE) {
            if ((e = mm_value_load(sp.term[k].path, o->seed, &ra->rm[k])) != MM_OK) cli_die(cmd, e);
            learned++, o->reward_model = ra->rm[k];
        }
        o->reward[k] = (mm_reward_term){sp.term[k].kind, sp.term[k].weight, ra->rm[k]};
    }
    /* the plain rule (weight 1) is the built-in path: no mixing */
    o->nreward =
        sp.n == 1 && sp.term[0].kind == MM_REWARD_RULE && sp.term[0].weight == 1 ? 0 : sp.n;
    if (ra->retrain && learned != 1)
        cli_usage_error(cmd,
                        "--rm-retrain needs exactly one orm:CKPT or prm:CKPT term in --reward");
    if (!ra->retrain) o->reward_model = NULL;
    if (o->algo >= MM_GRPO_ALGO_PPO && o->supervision == MM_GRPO_PROCESS)
        cli_usage_error(cmd,
                        "--algo ppo/dpo/online-dpo take outcome rewards: no --supervision process");
    if (o->algo == MM_GRPO_ALGO_PPO) {
        if ((e = mm_value_load(ra->value_init ? ra->value_init : init, o->seed, &ra->vm)) != MM_OK)
            cli_die(cmd, e);
        o->value_model = ra->vm;
    }
}

static mm_err save_tokenizer(void *ud, const char *dir) {
    return mm_grpo_codec_save(ud, dir);
}

void grpo_rl_close(const char *cmd, rl_args *ra, const char *out, const mm_grpo_codec *c) {
    const char *name[2] = {"value", "reward"};
    mm_value *m[2] = {ra->vm, NULL};
    for (int k = 0; k < MM_REWARD_MAX_TERMS && ra->retrain; k++)
        m[1] = ra->rm[k] ? ra->rm[k] : m[1];
    for (int k = 0; k < 2; k++) {
        if (!m[k]) continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", out, name[k]);
        mm_err e = mm_value_save(m[k], dir, c->eos, save_tokenizer, (void *)c);
        if (e != MM_OK) cli_die(cmd, e);
    }
    mm_value_free(ra->vm);
    for (int k = 0; k < MM_REWARD_MAX_TERMS; k++)
        mm_value_free(ra->rm[k]);
    *ra = (rl_args){0};
}
