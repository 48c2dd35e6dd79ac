#!/usr/bin/env bash
# grpo's other algorithms and rewards, end to end on a tiny byte-level model: an outcome reward
# model (mathmine rm) as the reward (--reward orm:CKPT), PPO with its value model, offline and
# online DPO, iterative retraining of the reward model with replay.  Checks the outputs, the
# numbers that must hold (DPO's first loss is ln 2: the policy is still the reference; learned
# rewards are not 0/1; the replayed share), determinism and usage errors.
source "$(dirname "$0")/../lib.sh"
export OMP_WAIT_POLICY=passive
TASK="--plain --ops 1 --digits 1 --task-seed 1 --n-test 50"
RUN="$TASK --steps 2 --questions 4 --group 4 --lr 1e-3 --max-new-tokens 16 --micro-batch 8 --seed 1 -j 2"
logf() { $PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])])[sys.argv[3]])' "$@"; }
near() { $PY -c "import sys; sys.exit(0 if abs(float('$1') - float('$2')) <= $3 else 1)"; }

check "sft: a tiny policy" $MM -q grpo --algo sft --init new:1,2,32,64 $TASK --steps 40 --lr 3e-3 --seed 1 -j 2 -o "$T/sft"
P=$T/sft/final
check "rm: a tiny outcome reward model" \
  $MM -q rm --policy "$P" $TASK --questions 8 --samples 4 --test-questions 4 --max-new-tokens 16 --epochs 1 -j 2 -o "$T/rm"
RM=$T/rm/final

check "grpo --reward orm" $MM -q grpo --init "$P" $RUN --reward "orm:$RM" -o "$T/orm"
r=$(logf "$T/orm/log.jsonl" 0 reward_mean); a=$(logf "$T/orm/log.jsonl" 0 accuracy)
$PY -c "import sys; r, a = $r, $a; sys.exit(0 if 0 < r < 1 and r != a else 1)" \
  && ok "learned rewards are sigma(score), not the checker's 0/1 (reward $r, accuracy $a)" || fail "reward $r, accuracy $a"

check "grpo --algo ppo" $MM -q grpo --init "$P" $RUN --algo ppo --reward "orm:$RM" --beta 0.05 -o "$T/ppo"
for f in model.safetensors config.json score.safetensors; do
  [ -s "$T/ppo/value/$f" ] && ok "ppo writes the value model: $f" || fail "ppo: no value/$f"
done
v=$(logf "$T/ppo/log.jsonl" 0 value_loss)
$PY -c "import sys; sys.exit(0 if $v > 0 else 1)" && ok "ppo logs the value loss ($v)" || fail "value_loss $v"
check "ppo again" $MM -q grpo --init "$P" $RUN --algo ppo --reward "orm:$RM" --beta 0.05 -o "$T/ppo2"
cmp -s "$T/ppo/final/model.safetensors" "$T/ppo2/final/model.safetensors" && cmp -s "$T/ppo/value/score.safetensors" "$T/ppo2/value/score.safetensors" \
  && ok "ppo is deterministic (policy and value model)" || fail "ppo runs differ"
cmp -s "$P/model.safetensors" "$T/ppo/final/model.safetensors" && fail "ppo left the policy unchanged" || ok "ppo changed the policy"

for algo in dpo online-dpo; do
  check "grpo --algo $algo" $MM -q grpo --init "$P" $RUN --algo $algo --reward "orm:$RM" -o "$T/$algo"
  l0=$(logf "$T/$algo/log.jsonl" 0 loss); l1=$(logf "$T/$algo/log.jsonl" 1 loss); p=$(logf "$T/$algo/log.jsonl" 0 pairs)
  near "$l0" 0.693147 1e-5 && ok "$algo: the first loss is ln 2 ($l0): policy = reference" || fail "$algo: first loss $l0"
  near "$l1" 0.693147 1e-7 && fail "$algo: the second loss is still ln 2" || ok "$algo: the second loss moved ($l1)"
  [ "$p" -gt 0 ] && ok "$algo: $p pairs" || fail "$algo: no pairs"
done

check "grpo --iterative 1 --rm-retrain" $MM -q grpo --init "$P" $RUN --reward "orm:$RM" --iterative 1 --rm-retrain -o "$T/iter"
round() { echo "$(logf "$T/iter/log.jsonl" $1 rm_round)/$(logf "$T/iter/log.jsonl" $1 rm_fresh)/$(logf "$T/iter/log.jsonl" $1 rm_replayed)"; }
same "round 1 (round/new/replayed): the step's 16 samples, nothing older" "$(round 0)" "1/16/0"
same "round 2: 16 new + 10% of the 16 older" "$(round 1)" "2/16/2"
[ -s "$T/iter/reward/score.safetensors" ] && ok "the retrained reward model is written" || fail "no reward/"
cmp -s "$RM/score.safetensors" "$T/iter/reward/score.safetensors" && fail "the reward model did not change" || ok "the reward model changed"
$MM grpo --init "$P" -o "$T/x" --rm-retrain >/dev/null 2>&1; same "--rm-retrain without --reward orm: usage error" "$?" 2

$MM grpo --init "$P" -o "$T/x" --reward bogus >/dev/null 2>&1; same "--reward bogus: usage error" "$?" 2
check "orm with process supervision (its score on the last step)" $MM -q grpo --init "$P" $RUN --reward "orm:$RM" --supervision process -o "$T/orm-proc"
$MM grpo --init "$P" -o "$T/x" --algo ppo --supervision process >/dev/null 2>&1; same "ppo with process supervision: usage error" "$?" 2
$MM grpo --init "$P" -o "$T/x" --algo bogus >/dev/null 2>&1; same "--algo bogus: usage error" "$?" 2
$MM grpo --help | grep -q -- "--value-clip" && ok "--help lists the PPO options" || fail "--help"
finish
