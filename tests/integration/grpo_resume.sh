#!/usr/bin/env bash
# mathmine grpo --save-every / --resume: a run killed with SIGKILL after a save and resumed ends
# with the same final weights and the same log as the run that was never interrupted — for
# GRPO with the cosine schedule and warm-up, for PPO (value model and its optimizer), and for
# iterative GRPO with a retrained reward model and replay (reward model, its optimizer, the
# replay buffer).  Also: the learning rate the log records, and resume's usage errors.
source "$(dirname "$0")/../lib.sh"
export OMP_WAIT_POLICY=passive
TASK="--plain --ops 1 --digits 1 --task-seed 1 --n-test 20"
# -j 1: results depend on the thread count through the order of sums
RUN="$TASK --questions 4 --group 4 --lr 1e-3 --max-new-tokens 16 --micro-batch 8 --seed 3 -j 1 --save-every 2"
# the log without its timings (rollout_s, update_s, rollout_tok_s), which differ run to run
notime() { $PY -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    print(json.dumps({k: v for k, v in d.items() if not k.endswith("_s")}))' "$1"; }
logf() { $PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])])[sys.argv[3]])' "$@"; }

check "sft: a tiny policy" $MM -q grpo --algo sft --init new:1,2,32,64 $TASK --steps 40 --lr 3e-3 --seed 1 -j 2 -o "$T/sft"
P=$T/sft/final
check "rm: a tiny outcome reward model" \
  $MM -q rm --policy "$P" $TASK --questions 8 --samples 4 --test-questions 4 --max-new-tokens 16 --epochs 1 -j 2 -o "$T/rm"
RM=$T/rm/final

# Run `grpo ARGS -o DIR` in the background and SIGKILL it as soon as its first save is
# complete; 0 when it was killed before it finished (else the run was too fast to cut).
run_and_kill() {
  local dir=$1; shift
  $MM -q grpo "$@" -o "$dir" >/dev/null 2>&1 &
  local pid=$! i
  for i in $(seq 1 2000); do
    [ -f "$dir/resume/grpo_state.json" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.01
  done
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  [ ! -e "$dir/final" ] && [ -f "$dir/resume/grpo_state.json" ]
}

# one scenario: the uninterrupted run, then a killed and resumed one, compared
scenario() {
  local name=$1; shift
  check "$name: the uninterrupted run" $MM -q grpo "$@" -o "$T/$name-a"
  local killed=1 try
  for try in 1 2 3; do
    rm -rf "$T/$name-b"
    if run_and_kill "$T/$name-b" "$@"; then killed=0; break; fi
  done
  [ $killed = 0 ] && ok "$name: killed (SIGKILL) after its save of step $(logf "$T/$name-b/resume/grpo_state.json" 0 step), before the end" \
    || fail "$name: the run could not be killed mid-way"
  check "$name: --resume" $MM -q grpo "$@" --resume -o "$T/$name-b"
  cmp -s "$T/$name-a/final/model.safetensors" "$T/$name-b/final/model.safetensors" \
    && ok "$name: the resumed run's final weights are byte-identical" || fail "$name: final weights differ"
  same "$name: the resumed run's log is the uninterrupted run's (timings aside)" \
    "$(notime "$T/$name-b/log.jsonl")" "$(notime "$T/$name-a/log.jsonl")"
}

scenario grpo --init "$P" $RUN --steps 10 --lr-schedule cosine --warmup 2 --iterative 3
cmp -s "$T/grpo-a/final/model.safetensors" "$T/grpo-a/resume/model.safetensors" \
  && ok "the last save is the final policy" || fail "resume/ is not the final policy"
scenario ppo --init "$P" $RUN --steps 10 --algo ppo --reward "orm:$RM" --beta 0.05
cmp -s "$T/ppo-a/value/model.safetensors" "$T/ppo-b/value/model.safetensors" \
  && ok "ppo: the value model is byte-identical too" || fail "ppo: value models differ"
scenario iter --init "$P" $RUN --steps 10 --reward "orm:$RM" --iterative 1 --rm-retrain
cmp -s "$T/iter-a/reward/score.safetensors" "$T/iter-b/reward/score.safetensors" \
  && cmp -s "$T/iter-a/reward/model.safetensors" "$T/iter-b/reward/model.safetensors" \
  && ok "iterative: the retrained reward model is byte-identical too" || fail "iterative: reward models differ"
same "iterative: round 3 replays 10% of the 32 older samples (3)" "$(logf "$T/iter-b/log.jsonl" 2 rm_replayed)" 3

# the learning rate each step used: warm-up over 2 steps, then a cosine to 0.1 of 1e-3 at step 10
lrs=$($PY -c 'import json,sys; print(" ".join("%.3g" % json.loads(l)["lr"] for l in open(sys.argv[1])))' "$T/grpo-a/log.jsonl")
same "cosine schedule with warm-up in the log" "$lrs" "0.0005 0.001 0.000966 0.000868 0.000722 0.00055 0.000378 0.000232 0.000134 0.0001"
check "constant schedule (the default)" $MM -q grpo --init "$P" $TASK --steps 2 --questions 2 --group 2 --max-new-tokens 8 --lr 1e-4 -o "$T/const"
same "constant: lr in the log" "$($PY -c "print('%.3g' % $(logf "$T/const/log.jsonl" 1 lr))")" 0.0001

# usage and state errors
$MM grpo --init "$P" $TASK --steps 2 --resume -o "$T/none" >/dev/null 2>&1; same "--resume without a saved state exits 1" "$?" 1
$MM grpo --init "$P" $RUN --steps 10 --group 3 --resume -o "$T/grpo-b" >"$T/.err" 2>&1; rc=$?
same "--resume with another --group exits 1" "$rc" 1
grep -q "group" "$T/.err" && ok "  and names the option" || fail "message: $(cat "$T/.err")"
$MM grpo --algo sft --init "$P" $TASK --steps 2 --resume -o "$T/x" >/dev/null 2>&1; same "--resume with --algo sft: usage error" "$?" 2
$MM grpo --init "$P" $TASK --lr-schedule step -o "$T/x" >/dev/null 2>&1; same "--lr-schedule step: usage error" "$?" 2
$MM grpo --help | grep -q -- "--resume" && $MM grpo --help | grep -q -- "--lr-schedule" \
  && ok "--help lists --resume and --lr-schedule" || fail "--help"
finish
