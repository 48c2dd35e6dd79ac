# tools/bench/rl_setup.sh — sourced by bench_rl_compare.sh and bench_rl_passk.sh: the arith task
# both use, their RL options (16 questions x 8 samples, lr 1e-4, beta 0.04, every group trained
# on), and the warm-up model both start from.
#   rl_setup W STEPS      makes the work folder W afresh, sets TASK and RL
#   rl_warmup             prints the path of the warmed-up model: a fresh byte-level GPT-2
#                         (2 layers, 4 heads, 64 dims) after SFT_STEPS steps of `grpo --algo
#                         sft` on worked solutions, built once per $BENCH, SFT_STEPS and
#                         mathmine binary (its checksum is in the folder's name) and reused
#                         by the next bench (the same seed gives the same model)
rl_setup() {
  rm -rf "$1"; mkdir -p "$1"
  export OMP_WAIT_POLICY=passive
  TASK="--task arith --plain --ops 2 --digits 1 --task-seed 1 --n-test 200"
  RL="$TASK --steps $2 --questions 16 --group 8 --lr 1e-4 --beta 0.04 --max-new-tokens 32"
  RL="$RL --micro-batch 32 --no-filter-groups -j $THREADS"
}

rl_warmup() {
  local dir
  dir=$BENCH/rl-warmup-$SFT_STEPS-$(cksum < "$MM" | cut -d' ' -f1)
  if [ ! -f "$dir/final/config.json" ]; then
    echo "warm-up: byte-level GPT-2 (2 layers, 4 heads, 64 dims), $SFT_STEPS steps of worked solutions" >&2
    $MM -q grpo --algo sft --init new:2,4,64,96 $TASK --steps "$SFT_STEPS" --sft-batch 32 \
      --lr 3e-3 --seed 1 -j "$THREADS" --force -o "$dir" > /dev/null
  else
    echo "warm-up: reusing $dir ($SFT_STEPS steps, built by an earlier bench of this run)" >&2
  fi
  echo "$dir/final"
}
