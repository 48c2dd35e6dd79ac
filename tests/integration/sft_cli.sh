#!/usr/bin/env bash
# mathmine sft: the loss falls (train and validation), checkpoints reload and carry
# eos_token_id, --resume continues to the same weights, training on the test file is refused,
# prompt/response JSONL trains.
source "$(dirname "$0")/../lib.sh"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
TASK="--task arith --plain --ops 2 --digits 1 --n-train 1200 --n-test 100"
OPTS="--init new:2,4,64,96 --epochs 3 --batch 16 --lr 3e-3 --val-n 100 -j 1"
jget() { $PY -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

$MM sft >/dev/null 2>&1; same "sft without --init exits 2" "$?" 2
$MM sft --help | grep -q -- "--weight-decay" && ok "sft --help lists the options" || fail "sft --help"

out=$($MM sft $OPTS $TASK -o "$T/a" 2>"$T/err"); rc=$?
same "sft runs" "$rc" 0
$PY - "$out" <<'PY' && ok "train and validation loss fall" || fail "losses: $out"
import json, sys
d = json.loads(sys.argv[1])
assert d["epochs"] == 3 and d["val_loss"] < 0.9 * d["first_val_loss"], d
assert d["train_loss"] < 0.8 * d["first_train_loss"], d
PY
same "log has one line per epoch" "$(wc -l < "$T/a/log.jsonl")" 3
same "eos_token_id in config.json" \
  "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get("eos_token_id"))' "$T/a/final/config.json")" 256
for d in epoch-1 epoch-2 epoch-3; do
  [ -f "$T/a/$d/model.safetensors" ] && [ -f "$T/a/$d/optimizer.safetensors" ] || fail "$d incomplete"
done
ev=$($MM eval --ckpt "$T/a/final" $TASK --n 50 -j 1 2>/dev/null)
same "the checkpoint reloads and evaluates" "$(jget n <<<"$ev")" 50

# resume: epoch 1 of the same run, continued, gives the same final weights
mkdir -p "$T/b" && cp -r "$T/a/epoch-1" "$T/b/" && printf '{"epoch": 1, "ckpt": "epoch-1"}\n' > "$T/b/sft_state.json"
out=$($MM sft $OPTS $TASK -o "$T/b" --resume 2>"$T/err"); rc=$?
same "--resume runs" "$rc" 0
same "--resume ran the remaining 2 epochs" "$(wc -l < "$T/b/log.jsonl")" 2
cmp -s "$T/a/final/model.safetensors" "$T/b/final/model.safetensors" \
  && ok "resumed run ends with the same weights" || fail "resumed weights differ"

# benchmark files: training on the test file is refused; prompt/response JSONL trains
printf '%s\n' '{"prompt": "What is 2 plus 3?", "response": "2 + 3 = 5\nThe answer is 5."}' \
  '{"prompt": "What is 4 minus 1?", "response": "4 - 1 = 3\nThe answer is 3."}' > "$T/pr.jsonl"
printf '%s\n' '{"prompt": "What is 1 plus 1?", "response": "1 + 1 = 2\nThe answer is 2."}' > "$T/prv.jsonl"
$MM sft --init new:1,2,32,64 --task bench --test-file "$T/pr.jsonl" -o "$T/c" >/dev/null 2>"$T/err"
same "sft on a test file without --train-file exits 2" "$?" 2
out=$($MM sft --init new:1,2,32,128 --task bench --train-file "$T/pr.jsonl" --test-file "$T/prv.jsonl" \
      --epochs 2 --batch 2 -j 1 -o "$T/c" 2>"$T/err"); rc=$?
same "prompt/response JSONL trains" "$rc" 0
finish
