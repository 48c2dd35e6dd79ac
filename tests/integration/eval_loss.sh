#!/usr/bin/env bash
# `mathmine eval --loss` from the command line: the loss of a tiny byte-level model on GSM8K test
# solutions (--stride 64: several windows each), fresh and after a short supervised warm-up on
# GSM8K train; per-token and per-byte units agree for a byte-level model; --unconditioned scores
# the same tokens; usage errors.
source "$(dirname "$0")/../lib.sh"

G=$SHARED/benchmarks/gsm8k
TASK=(--task bench --test-file "$G/test.jsonl")
# the GSM8K train items short enough for the warm-up's context of 384 bytes
$PY - "$G/train.jsonl" "$T/short.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as f:
    for line in open(sys.argv[1], encoding="utf-8"):
        d = json.loads(line)
        if len((d["question"] + d["answer"]).encode()) < 300: f.write(line)
PY
SFT=(--algo sft --init new:2,4,64,384 --task bench --train-file "$T/short.jsonl" --test-file "$G/test.jsonl" -j 2)
check "fresh model" "$MM" -q grpo "${SFT[@]}" --steps 1 --lr 1e-9 -o "$T/fresh"
check "warm-up on GSM8K train" "$MM" -q grpo "${SFT[@]}" --steps 100 --lr 3e-3 -o "$T/sft"
for m in fresh sft; do
  "$MM" eval --loss --ckpt "$T/$m/final" "${TASK[@]}" --n 40 --stride 64 -j 2 --dump "$T/$m.items.jsonl" \
    > "$T/$m.json" 2>"$T/$m.err" || { fail "eval --loss $m"; cat "$T/$m.err"; }
done
# --dump: each item's loss; they add up to the total
$PY - "$T/sft.json" "$T/sft.items.jsonl" <<'PY' && ok "--loss --dump: per-item losses sum to the total" || fail "--loss --dump: per-item losses sum to the total"
import json, sys
t = json.load(open(sys.argv[1])); items = [json.loads(l) for l in open(sys.argv[2])]
assert len(items) == t["n"] == 40 and all(i["question"] and i["nats"] > 0 for i in items)
assert sum(i["bytes"] for i in items) == t["bytes"]
total = t["nats_per_token"] * t["tokens"]
assert abs(sum(i["nats"] for i in items) - total) < 1e-6 * total
PY
"$MM" eval --loss --unconditioned --ckpt "$T/sft/final" "${TASK[@]}" --n 40 --stats "$T/unc.stats" > "$T/unc.json"
field() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
same "40 items scored" "$(field "$T/sft.json" n)" 40
same "conditioned by default" "$(field "$T/sft.json" conditioned)" True
same "--unconditioned" "$(field "$T/unc.json" conditioned)" False
cmp -s "$T/unc.json" "$T/unc.stats" && ok "--stats holds the JSON" || fail "--stats holds the JSON"
$PY - "$T/fresh.json" "$T/sft.json" "$T/unc.json" <<'PY' && ok "tokens, units and the warm-up's gain" || fail "tokens, units and the warm-up's gain"
import json, math, sys
f, s, u = (json.load(open(p)) for p in sys.argv[1:])
print("fresh %.3f bits/byte, warmed up %.3f (conditioned), %.3f (unconditioned)"
      % (f["bits_per_byte"], s["bits_per_byte"], u["bits_per_byte"]))
assert s["tokens"] > 1000 and s["tokens"] == s["bytes"], "byte-level: one token per byte"
assert u["tokens"] == s["tokens"] == f["tokens"], "the same tokens with and without the question"
assert abs(s["bits_per_byte"] - s["nats_per_token"] / math.log(2)) < 1e-6
assert abs(f["bits_per_byte"] - math.log2(257)) < 0.3, "an untrained model is near uniform"
assert s["bits_per_byte"] < f["bits_per_byte"] - 1, "the warm-up lowers the loss on GSM8K solutions"
assert s["windows"] > 40, "--stride 64: several windows per solution"
PY
"$MM" eval --stride 8 --ckpt "$T/sft/final" "${TASK[@]}" >/dev/null 2>"$T/u1.err"
same "--stride without --loss: usage error" "$?" 2
"$MM" eval --loss --k 4 --ckpt "$T/sft/final" "${TASK[@]}" >/dev/null 2>"$T/u2.err"
same "--loss with --k: usage error" "$?" 2
grep -q "generates nothing" "$T/u2.err" && ok "the message says why" || fail "the message says why"
finish
