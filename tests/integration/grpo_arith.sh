#!/usr/bin/env bash
# GRPO raises held-out accuracy: a tiny byte-level GPT-2 (2 layers, 64 dims) is trained in the
# test on the arith task's worked solutions until it is sometimes right, then a short GRPO run
# must raise its greedy accuracy on the held-out test split.  Seeded end to end.
source "$(dirname "$0")/../lib.sh"
export OMP_WAIT_POLICY=passive
TASK="--plain --ops 2 --digits 1 --task-seed 1 --n-test 200"
EVAL="$TASK --n 200 --max-new-tokens 32 -j 2"
acc() { $PY -c 'import json,sys; print(json.loads(sys.stdin.read())["greedy_acc"])'; }

t0=$SECONDS
check "warm-up: a small model trained in the test" \
  $MM -q grpo --algo sft --init new:2,4,64,96 $TASK --steps ${SFT_STEPS:-400} --sft-batch 32 --lr 3e-3 --seed 1 -j 2 -o "$T/sft"
before=$($MM eval --ckpt "$T/sft/final" $EVAL | acc)
check "grpo: 12 steps of 16 questions x 8 samples" \
  $MM -q grpo --init "$T/sft/final" $TASK --steps 12 --questions 16 --group 8 --lr 1e-4 --max-new-tokens 32 --seed 1 -j 2 -o "$T/grpo"
after=$($MM eval --ckpt "$T/grpo/final" $EVAL | acc)
echo "held-out greedy accuracy: before GRPO $before, after $after ($((SECONDS - t0)) s)"
$PY -c "import sys; b, a = float('$before'), float('$after'); sys.exit(0 if 0 < b < 0.6 else 1)" \
  && ok "the warmed-up model is sometimes right ($before)" || fail "warm-up accuracy $before is outside (0, 0.6): RL has nothing to sharpen"
$PY -c "import sys; b, a = float('$before'), float('$after'); sys.exit(0 if a >= b + 0.0149 else 1)" \
  && ok "GRPO raises held-out accuracy ($before -> $after)" || fail "GRPO did not raise held-out accuracy: $before -> $after"
finish
