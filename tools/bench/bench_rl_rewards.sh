#!/usr/bin/env bash
# bench_rl_rewards — rule vs learned rewards for GRPO at several seeds (DeepSeekMath §5.2's
# outcome vs process supervision, with reward models): the rule's outcome reward, its per-line
# process rewards, a learned outcome reward model (`--reward orm:CKPT`), a learned process
# reward model as process reward (`--reward prm:CKPT --supervision process`) and the mix
# `rule:0.5+prm:CKPT:0.5 --supervision process`.  bench_rl_compare.sh with these rows: the
# same SFT model, samples, seeds and evaluation, so its GRPO, process and ORM rows are the same
# runs as rl_compare's for the same seeds; the ORM and the PRM are trained once in the bench,
# on 128 questions x 8 samples of the SFT model, and their held-out AUC is reported; every
# model's greedy answers to 200 train questions show what a policy converges to (e.g. one answer
# for everything, which a weak reward model can pay for).
# Knobs (environment): SFT_STEPS STEPS SEEDS THREADS ALGOS.  Writes $BENCH/rl_rewards.json,
# $BENCH/rl_rewards.md and $BENCH/rl_rewards*.svg.
set -euo pipefail
export NAME=rl_rewards ALGOS=${ALGOS:-grpo proc orm prm mix}
exec bash "$(dirname "$0")/bench_rl_compare.sh"
