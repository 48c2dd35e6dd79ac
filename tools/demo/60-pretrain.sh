#!/usr/bin/env bash
# demo step 60: pretrain a small GPT-2 for a few minutes on the demo's token shards
# ($DEMO/tokens/, step 55) with its tokenizer ($DEMO/tokenizer/), and print the loss curve's
# start and end.  The checkpoint (loadable by transformers' GPT2LMHeadModel, tokenizer files
# included) goes to $DEMO/ckpt/, with log.jsonl and loss.svg; GRPO (step 70) starts from it.
# The number of steps is calibrated with `pretrain --bench` so the run takes about
# DEMO_PRETRAIN_SECONDS (180) on this machine; DEMO_PRETRAIN_STEPS fixes it instead.
# A rerun keeps a finished checkpoint.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
MM=${MM:-$SRC/build/mathmine}
BUDGET=${DEMO_PRETRAIN_SECONDS:-180}
CKPT=$DEMO/ckpt
TOK=$DEMO/tokenizer
if [ ! -d "$DEMO/tokens" ] || ! ls "$DEMO"/tokens/train_*.bin >/dev/null 2>&1; then
  echo "60-pretrain: no token shards in $DEMO/tokens; run demo step 55 first" >&2
  exit 1
fi
VOCAB=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1], encoding="utf-8"))))' "$TOK/vocab.json")
CONFIG="layers=4,heads=4,dim=128,ctx=128,vocab=$VOCAB"
BATCH=16

curve() { # start and end of the curve from the log
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
tr = [(r["step"], r["loss"]) for r in rows if "loss" in r]
va = [(r["step"], r["val_loss"]) for r in rows if "val_loss" in r]
print("train loss: " + "  ".join("step %d %.3f" % p for p in tr[:3]) + "  ...  " +
      "  ".join("step %d %.3f" % p for p in tr[-3:]))
if va:
    print("val loss:   " + "  ".join("step %d %.3f" % p for p in va))
PY
}

if [ -f "$CKPT/train_state.json" ]; then
  echo "pretrain: $CKPT already holds a finished run (remove it to train again)"
  curve "$CKPT/log.jsonl"
  exit 0
fi

if [ -n "${DEMO_PRETRAIN_STEPS:-}" ]; then
  STEPS=$DEMO_PRETRAIN_STEPS
else
  ms=$("$MM" pretrain --bench --config "$CONFIG" --batch "$BATCH" --steps 3 | awk '/^step/ {print $2}')
  STEPS=$(awk -v b="$BUDGET" -v ms="$ms" 'BEGIN { s = int(b * 1000 / (ms * 1.15)); if (s < 50) s = 50; if (s > 3000) s = 3000; print s }')
  echo "pretrain: $CONFIG, batch $BATCH: ${ms} ms/step here -> $STEPS steps for about ${BUDGET}s"
fi
VAL_EVERY=$(( STEPS / 8 > 0 ? STEPS / 8 : 1 ))
"$MM" pretrain --data "$DEMO/tokens/train_*.bin" --val "$DEMO/tokens/val_*.bin" --tokenizer "$TOK" \
  --config "$CONFIG" --batch "$BATCH" --steps "$STEPS" --lr 2e-3 --warmup $(( STEPS / 20 + 1 )) \
  --val-every "$VAL_EVERY" --val-batches 8 --ckpt-every "$STEPS" --log-every "$VAL_EVERY" \
  --out "$CKPT" --stats "$DEMO/pretrain-stats.json"
curve "$CKPT/log.jsonl"
echo "checkpoint: $CKPT (model.safetensors, config.json, tokenizer; loss curve in loss.svg)"
"$MM" generate --ckpt "$CKPT" --prompt "The number of" --max-new 40 --temperature 0.8 --top-k 40 --seed 1 -q
