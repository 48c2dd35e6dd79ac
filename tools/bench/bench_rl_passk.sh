#!/usr/bin/env bash
# bench_rl_passk — Pass@K and Maj@K for K = 1, 2, 4, ..., 64 before and after GRPO (the
# paper's Fig. 7: RL raises Maj@K but not Pass@K), several seeds.
#
# Model: a fresh byte-level GPT-2 (2 layers, 4 heads, 64 dims) after SFT_STEPS (400) steps of
# `grpo --algo sft` on arith worked solutions (--plain --ops 2 --digits 1), as bench_rl_compare.
# GRPO: STEPS (30) steps of 16 questions x 8 samples, lr 1e-4, beta 0.04, --no-filter-groups,
# one run per seed.  Each model: `eval --k 64 --curve` on 200 held-out questions at temperature
# 0.7 (the curve comes from the same 64 samples per question: Pass@k the unbiased estimate,
# Maj@k the mean over disjoint blocks of k; docs/grpo.md, "Evaluation").
# Knobs (environment): SFT_STEPS STEPS SEEDS THREADS KMAX.  Writes $BENCH/rl_passk.json,
# $BENCH/rl_passk.md and $BENCH/rl_passk.svg.
set -euo pipefail
: "${MM:?}" "${BENCH:?}"
SFT_STEPS=${SFT_STEPS:-400} STEPS=${STEPS:-30} SEEDS=${SEEDS:-1 2 3} THREADS=${THREADS:-2}
KMAX=${KMAX:-64}
W=$BENCH/rl_passk-work
source "$(dirname "$0")/rl_setup.sh"
rl_setup "$W" "$STEPS"
EVAL="$TASK --n 200 --k $KMAX --curve --temperature 0.7 --max-new-tokens 32 --batch 256 -j $THREADS"
t0=$SECONDS
START=$(rl_warmup)
echo "before RL: $KMAX samples per question"
$MM eval --ckpt "$START" $EVAL > "$W/before.json"
for s in $SEEDS; do
  echo "seed $s: GRPO, then $KMAX samples per question"
  $MM -q grpo --init "$START" $RL --seed "$s" -o "$W/grpo-$s" > "$W/grpo-$s.summary" \
    2> "$W/grpo-$s.err"
  $MM eval --ckpt "$W/grpo-$s/final" $EVAL --seed "$s" > "$W/grpo-$s.json"
done
/usr/bin/python3 "$(dirname "$0")/rl_report.py" passk "$W" "$BENCH/rl_passk" \
  --seconds $((SECONDS - t0)) --steps "$STEPS" --seeds "$SEEDS"
