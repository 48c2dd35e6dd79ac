#!/usr/bin/env bash
# A process reward model (mathmine rm --kind prm) trained on a policy's own samples with
# Monte-Carlo step targets (4 continuations of every step prefix, checked by the task's
# checker) ranks held-out outputs (for test-split questions it never saw) right above wrong,
# per solution and per step; then GRPO takes its step scores as process rewards, alone and in
# a mix whose arithmetic the log shows, and --rm-retrain retrains it.  The policy is the tiny
# byte-level GPT-2 of rm_arith.sh, warmed up in the test.  Seeded end to end (-j 2).
source "$(dirname "$0")/../lib.sh"
export OMP_WAIT_POLICY=passive
TASK="--plain --ops 2 --digits 1 --task-seed 1 --n-test 200"
field() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }
logf() { $PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])])[sys.argv[3]])' "$@"; }

t0=$SECONDS
check "warm-up: a small policy trained in the test" \
  $MM -q grpo --algo sft --init new:2,4,64,96 $TASK --steps 400 --sft-batch 32 --lr 3e-3 --seed 1 -j 2 -o "$T/sft"
P=$T/sft/final
check "rm --kind prm: 128 train questions x 8 samples, 100 held-out questions x 8, 4 rollouts a step" \
  $MM -q rm --kind prm --rollouts 4 --policy "$P" $TASK --questions 128 --samples 8 --test-questions 100 \
     --max-new-tokens 32 --epochs 6 --lr 1e-3 --seed 1 -j 2 -o "$T/prm"
S=$T/prm/summary.json
same "the summary names the kind" "$(field "$S" '["kind"]')" prm
before=$(field "$S" '["held_out_before"]["auc"]'); after=$(field "$S" '["held_out"]["auc"]')
sb=$(field "$S" '["held_out_before"]["step_auc"]'); sa=$(field "$S" '["held_out"]["step_auc"]')
n=$(field "$S" '["held_out"]["n"]'); steps=$(field "$S" '["held_out"]["steps"]'); good=$(field "$S" '["held_out"]["step_positives"]')
pos=$(field "$S" '["held_out"]["positives"]')
echo "held-out: solution AUC $before -> $after ($pos of $n right); step AUC $sb -> $sa ($good of $steps steps good; $((SECONDS - t0)) s)"
$PY -c "import sys; sys.exit(0 if $steps >= 2 * $n else 1)" && ok "several steps per output ($steps steps, $n outputs)" || fail "$steps steps for $n outputs"
$PY -c "import sys; sys.exit(0 if $good > $pos else 1)" \
  && ok "Monte-Carlo targets: more good steps ($good) than right outputs ($pos)" || fail "good steps $good, right outputs $pos"
$PY -c "import sys; sys.exit(0 if $after >= 0.6 and $after >= $before + 0.05 else 1)" \
  && ok "the PRM ranks right solutions above wrong ones (AUC $before -> $after)" || fail "solution AUC $before -> $after (want >= 0.6 and +0.05)"
$PY -c "import sys; sys.exit(0 if $sa >= 0.6 and $sa >= $sb + 0.05 else 1)" \
  && ok "the PRM ranks good steps above bad ones (AUC $sb -> $sa)" || fail "step AUC $sb -> $sa (want >= 0.6 and +0.05)"
for f in model.safetensors config.json score.safetensors; do
  [ -s "$T/prm/final/$f" ] && ok "checkpoint has $f" || fail "checkpoint lacks $f"
done
PRM=$T/prm/final

RUN="$TASK --steps 2 --questions 4 --group 4 --lr 1e-3 --max-new-tokens 32 --micro-batch 8 --seed 1 -j 2 --no-filter-groups"
check "grpo --reward prm --supervision process" $MM -q grpo --init "$P" $RUN --reward "prm:$PRM" --supervision process -o "$T/gp"
cmp -s "$P/model.safetensors" "$T/gp/final/model.safetensors" && fail "PRM process rewards left the policy unchanged" || ok "PRM process rewards changed the policy"
check "grpo --reward prm (outcome: the lowest step)" $MM -q grpo --init "$P" $RUN --reward "prm:$PRM" -o "$T/go"
check "grpo --reward rule:0.5+prm:$PRM:0.5" $MM -q grpo --init "$P" $RUN --reward "rule:0.5+prm:$PRM:0.5" -o "$T/gm"
# step 1 samples the same outputs in all three runs (same policy, same seed)
a=$(logf "$T/gm/log.jsonl" 0 accuracy); rp=$(logf "$T/go/log.jsonl" 0 reward_mean); rm=$(logf "$T/gm/log.jsonl" 0 reward_mean)
$PY -c "import sys; sys.exit(0 if abs($rm - (0.5 * $a + 0.5 * $rp)) < 1e-6 and 0 < $rp < 1 else 1)" \
  && ok "the mix's mean reward $rm = 0.5 x accuracy $a + 0.5 x PRM reward $rp" || fail "mix $rm, accuracy $a, prm $rp"
check "grpo --reward prm --iterative 1 --rm-retrain" \
  $MM -q grpo --init "$P" $RUN --reward "prm:$PRM" --supervision process --iterative 1 --rm-retrain -o "$T/gi"
same "round 2 (round/new/replayed): 16 new + 10% of the 16 older" \
  "$(logf "$T/gi/log.jsonl" 1 rm_round)/$(logf "$T/gi/log.jsonl" 1 rm_fresh)/$(logf "$T/gi/log.jsonl" 1 rm_replayed)" "2/16/2"
cmp -s "$PRM/score.safetensors" "$T/gi/reward/score.safetensors" && fail "the PRM did not change" || ok "the retrained PRM is written and changed"

$MM grpo --init "$P" -o "$T/x" --reward "prm:$PRM+orm:$PRM" --rm-retrain --iterative 1 >/dev/null 2>&1; same "--rm-retrain with two learned terms: usage error" "$?" 2
$MM grpo --init "$P" -o "$T/x" --reward "prm:$PRM+prm:$PRM" >/dev/null 2>&1; same "a kind twice: usage error" "$?" 2
$MM grpo --init "$P" -o "$T/x" --reward "rule:x" >/dev/null 2>&1; same "a bad weight: usage error" "$?" 2
$MM rm --policy "$P" -o "$T/x" --kind bogus >/dev/null 2>&1; same "rm --kind bogus: usage error" "$?" 2
$MM rm --help | grep -q -- "--rollouts" && ok "rm --help lists --kind and --rollouts" || fail "rm --help"
$MM grpo --help | grep -q -- "prm:CKPT" && ok "grpo --help explains prm rewards" || fail "grpo --help"
finish
