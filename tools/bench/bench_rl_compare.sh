#!/usr/bin/env bash
# bench_rl_compare — the paper's RL comparisons at small scale (DeepSeekMath §5.2), several seeds:
#
#  * GRPO vs online RFT vs RFT at an equal number of samples (the paper's Fig. 5);
#  * outcome vs process supervision (GRPO, rule-based step rewards);
#  * GRPO vs PPO at equal samples: accuracy, seconds per step and peak RSS, with the value
#    model's training state (parameters, gradients, AdamW moments) computed from its size;
#  * DPO and online DPO beside them;
#  * the rule reward vs a learned outcome reward model (`mathmine rm`, `--reward orm:CKPT`);
#  * optional rows (ALGOS, not in the default list; bench_rl_rewards.sh runs them): a learned
#    process reward model (`mathmine rm --kind prm`) as GRPO's process reward (`prm`), and the
#    mix rule:0.5+prm:CKPT:0.5 with process supervision (`mix`).
#
# Model: a fresh byte-level GPT-2 (2 layers, 4 heads, 64 dims) after SFT_STEPS (400) steps of
# `grpo --algo sft` on arith worked solutions (--plain --ops 2 --digits 1).  Every RL run: STEPS
# (20) steps of 16 questions x 8 samples (2,560 samples), lr 1e-4, beta 0.04, every group
# trained on (--no-filter-groups, so all runs see the same number of samples); evaluated on 200
# held-out questions (greedy; K = 8 samples at temperature 0.7).  The reward model is trained
# once, on samples of the warmed-up model, as in docs/grpo.md; so is the process reward model
# when a `prm` or `mix` row is asked for (same questions and samples, 4 Monte-Carlo
# continuations of every step prefix for its step targets).
# Knobs (environment): SFT_STEPS STEPS SEEDS THREADS ALGOS NAME.  Writes $BENCH/$NAME.json,
# $BENCH/$NAME.md (tables) and $BENCH/$NAME*.svg (charts); NAME defaults to rl_compare.
set -euo pipefail
: "${MM:?}" "${BENCH:?}"
SFT_STEPS=${SFT_STEPS:-400} STEPS=${STEPS:-20} SEEDS=${SEEDS:-1 2 3} THREADS=${THREADS:-2}
ALGOS=${ALGOS:-grpo orft rft proc ppo dpo odpo orm} NAME=${NAME:-rl_compare}
W=$BENCH/$NAME-work
source "$(dirname "$0")/rl_setup.sh"
rl_setup "$W" "$STEPS"
EVAL="$TASK --n 200 --k 8 --temperature 0.7 --max-new-tokens 32 -j $THREADS"
t0=$SECONDS
START=$(rl_warmup)
ln -sfn "$(dirname "$START")" "$W/sft"  # rl_report.py reads the policy's size there
$MM eval --ckpt "$START" $EVAL > "$W/before.json"
if [[ " $ALGOS " == *" orm "* ]]; then
  echo "outcome reward model: 128 questions x 8 samples of the warmed-up model"
  $MM -q rm --policy "$START" --plain --ops 2 --digits 1 --task-seed 1 --questions 128 \
    --samples 8 --test-questions 100 --max-new-tokens 32 --epochs 6 --lr 1e-3 --seed 1 \
    -j "$THREADS" -o "$W/rm" > "$W/rm.json"
fi
if [[ " $ALGOS " == *" prm "* || " $ALGOS " == *" mix "* ]]; then
  echo "process reward model: the same 128 questions x 8 samples, 4 continuations of every step"
  /usr/bin/time -f "%e %M" -o "$W/prm.time" $MM -q rm --kind prm --rollouts 4 --policy "$START" \
    --plain --ops 2 --digits 1 --task-seed 1 --questions 128 --samples 8 --test-questions 100 \
    --max-new-tokens 32 --epochs 6 --lr 1e-3 --seed 1 -j "$THREADS" -o "$W/prm" > "$W/prm.json"
fi
# With a learned reward in the rows: every model's greedy answers to 200 train questions
# (`mathmine generate`, kept as ALGO-SEED.probe) show what the policy converges to, e.g. one
# answer for every question; rl_report.py counts them against the true answers.
PROBE=()
if [[ " $ALGOS " == *" orm "* || " $ALGOS " == *" prm "* || " $ALGOS " == *" mix "* ]]; then
  $MM -q grpo $TASK --write-train 200 -o "$W/probe.jsonl" > /dev/null
  mapfile -t PROBE < <(/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)["text"]
    print("--tokens"); print(" ".join(str(b) for b in t[:t.index("Answer:\n") + 8].encode()))' \
    "$W/probe.jsonl")
fi
probe() { # CKPT OUT: greedy answers to the probe questions
  [ ${#PROBE[@]} -eq 0 ] || $MM generate --ckpt "$1" "${PROBE[@]}" --temperature 0 --max-new 32 \
    > "$2" 2> /dev/null
}
probe "$START" "$W/before.probe"
opts_of() {
  case $1 in
    grpo) echo "" ;;
    orft) echo "--algo online-rft" ;;
    rft) echo "--algo rft" ;;
    proc) echo "--supervision process" ;;
    ppo) echo "--algo ppo" ;;
    dpo) echo "--algo dpo" ;;
    odpo) echo "--algo online-dpo" ;;
    orm) echo "--reward orm:$W/rm/final" ;;
    prm) echo "--reward prm:$W/prm/final --supervision process" ;;
    mix) echo "--reward rule:0.5+prm:$W/prm/final:0.5 --supervision process" ;;
  esac
}
for s in $SEEDS; do
  for a in $ALGOS; do
    echo "seed $s: $a"
    # shellcheck disable=SC2046
    /usr/bin/time -f "%e %M" -o "$W/$a-$s.time" $MM -q grpo --init "$START" $RL $(opts_of $a) \
      --seed "$s" -o "$W/$a-$s" > "$W/$a-$s.summary" 2> "$W/$a-$s.err"
    $MM eval --ckpt "$W/$a-$s/final" $EVAL --seed "$s" > "$W/$a-$s.json"
    probe "$W/$a-$s/final" "$W/$a-$s.probe"
  done
done
/usr/bin/python3 "$(dirname "$0")/rl_report.py" compare "$W" "$BENCH/$NAME" \
  --seconds $((SECONDS - t0)) --steps "$STEPS" --algos "$ALGOS" --seeds "$SEEDS"
