#!/usr/bin/env bash
# An outcome reward model trained on a policy's own samples, labelled by the task's checker,
# ranks held-out outputs (sampled for test-split questions it never saw) correct above
# incorrect.  The policy is a tiny byte-level GPT-2 warmed up in the test (as grpo_arith.sh);
# the reward model starts from it.  Seeded end to end (-j 2).  tests/long/rm_arith_long.sh
# does the same from a stronger policy (SFT_STEPS, RM_TEMP and MIN_AUC set it).
source "$(dirname "$0")/../lib.sh"
export OMP_WAIT_POLICY=passive
TASK="--plain --ops 2 --digits 1 --task-seed 1 --n-test 200"
field() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }

t0=$SECONDS
check "warm-up: a small policy trained in the test" \
  $MM -q grpo --algo sft --init new:2,4,64,96 $TASK --steps ${SFT_STEPS:-400} --sft-batch 32 --lr 3e-3 --seed 1 -j 2 -o "$T/sft"
check "rm: 128 train questions x 8 samples, 100 held-out questions x 8" \
  $MM -q rm --policy "$T/sft/final" $TASK --questions 128 --samples 8 --test-questions 100 \
     --max-new-tokens 32 --epochs 6 --lr 1e-3 --temperature ${RM_TEMP:-1} --seed 1 -j 2 -o "$T/rm" --stats "$T/stats.json"
S=$T/rm/summary.json
before=$(field "$S" '["held_out_before"]["auc"]'); after=$(field "$S" '["held_out"]["auc"]')
pos=$(field "$S" '["held_out"]["positives"]'); n=$(field "$S" '["held_out"]["n"]')
echo "held-out AUC: fresh head $before, trained $after ($pos of $n held-out samples right; $((SECONDS - t0)) s)"
$PY -c "import sys; sys.exit(0 if 10 <= $pos <= $n - 10 else 1)" \
  && ok "held-out samples of both labels ($pos right of $n)" || fail "held-out labels too one-sided: $pos of $n"
$PY -c "import sys; sys.exit(0 if $after >= ${MIN_AUC:-0.6} and $after >= $before + 0.05 else 1)" \
  && ok "the trained reward model ranks right above wrong (AUC $before -> $after)" \
  || fail "held-out AUC $before -> $after (want >= ${MIN_AUC:-0.6} and +0.05)"
for f in model.safetensors config.json score.safetensors; do
  [ -s "$T/rm/final/$f" ] && ok "checkpoint has $f" || fail "checkpoint lacks $f"
done
cmp -s "$S" "$T/stats.json" && ok "--stats writes the summary" || fail "--stats differs from summary.json"
$MM rm --policy "$T/sft/final" >/dev/null 2>&1; same "no -o: usage error" "$?" 2
$MM rm -o "$T/x" --bogus >/dev/null 2>&1; same "unknown option: usage error" "$?" 2
$MM rm --help | grep -q -- "--test-questions" && ok "--help lists the options" || fail "--help"
finish
