#!/usr/bin/env bash
# mathmine pretrain / generate end to end on real text (GSM8K problems and solutions, byte-level
# tokens, vocab 256): validation loss falls clearly; a run split with --stop-at/--resume gives
# exactly the losses of an uninterrupted run; bad shards, a config that does not fit the
# checkpoint and a NaN loss fail with clear messages; generation runs from the checkpoint.
source "$(dirname "$0")/../lib.sh"
export OMP_NUM_THREADS=1 # one thread: immune to a loaded machine; kernels are compared multi-threaded in the unit tests

# Byte-level token shards (llm.c format, uint16) from real text.
$PY - "$SHARED/benchmarks/gsm8k" "$T/data" <<'EOF'
import json, os, struct, sys
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
def text(path, limit):
    parts, n = [], 0
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        t = (d["question"] + "\n" + d["answer"] + "\n\n").encode("utf-8")
        parts.append(t); n += len(t)
        if n >= limit: break
    return b"".join(parts)
def shard(path, data, magic=20240520, count=None, cut=0):
    hdr = [0] * 256
    hdr[0], hdr[1], hdr[2] = magic, 1, len(data) if count is None else count
    body = struct.pack("<%dH" % len(data), *data)
    with open(path, "wb") as f:
        f.write(struct.pack("<256i", *hdr) + body[: len(body) - cut])
train = text(f"{src}/train.jsonl", 400000)
half = len(train) // 2
shard(f"{out}/train_000.bin", train[:half])
shard(f"{out}/train_001.bin", train[half:])
shard(f"{out}/val_000.bin", text(f"{src}/test.jsonl", 40000))
shard(f"{out}/badmagic_000.bin", train[:5000], magic=12345)
shard(f"{out}/trunc_000.bin", train[:5000], cut=100)
EOF
D=$T/data
CFG="layers=2,heads=2,dim=64,ctx=64,vocab=256"
COMMON=(--data "$D/train_*.bin" --val "$D/val_*.bin" --config "$CFG" --batch 8 --lr 3e-3 --warmup 10 -q)

# 1. training drives validation loss clearly down
check "pretrain 150 steps" "$MM" pretrain "${COMMON[@]}" --steps 150 --val-every 50 --ckpt-every 75 \
  --val-batches 4 --out "$T/run" --stats "$T/stats.json"
read -r v0 v1 < <($PY -c "import json;d=json.load(open('$T/stats.json'));print(d['first_val_loss'],d['last_val_loss'])" 2>/dev/null)
echo "    val loss $v0 -> $v1"
if $PY -c "import sys; a,b=float('$v0'),float('$v1'); sys.exit(0 if b < a - 1.5 and b < 3.2 else 1)" 2>/dev/null; then
  ok "validation loss falls clearly ($v0 -> $v1)"; else fail "validation loss did not fall enough ($v0 -> $v1)"; fi
for f in model.safetensors config.json optimizer.safetensors train_state.json log.jsonl loss.svg; do
  [ -s "$T/run/$f" ] || fail "checkpoint lacks $f"; done
ok "checkpoint files present"
same "log has a line per step and per validation" "$(grep -c '"loss"' "$T/run/log.jsonl") $(grep -c val_loss "$T/run/log.jsonl")" "150 4"

# 2. resume continues exactly
check "uninterrupted 30 steps" "$MM" pretrain "${COMMON[@]}" --steps 30 --val-every 10 --ckpt-every 100 --val-batches 2 --out "$T/a"
check "first 13 steps" "$MM" pretrain "${COMMON[@]}" --steps 30 --val-every 10 --ckpt-every 100 --val-batches 2 --out "$T/b" --stop-at 13
check "resume to 30 (options from the checkpoint)" "$MM" pretrain --data "$D/train_*.bin" --val "$D/val_*.bin" -q --out "$T/b" --resume
strip() { sed -E 's/, "step_ms".*//' "$1"; } # timings differ, losses must not
same "resumed log equals the uninterrupted one" "$(strip "$T/b/log.jsonl" | md5sum)" "$(strip "$T/a/log.jsonl" | md5sum)"
cmp -s "$T/a/model.safetensors" "$T/b/model.safetensors" && ok "resumed parameters are bit-identical" || fail "resumed parameters differ"

# 3. bad input
"$MM" pretrain --data "$D/badmagic_*.bin" --config "$CFG" --steps 2 --out "$T/x1" -q 2>"$T/err1"
rc=$?; same "wrong magic exits 1" "$rc" 1
grep -q "magic" "$T/err1" && ok "wrong magic is named" || { fail "wrong magic message"; cat "$T/err1"; }
"$MM" pretrain --data "$D/trunc_*.bin" --config "$CFG" --steps 2 --out "$T/x2" -q 2>"$T/err2"
grep -q "truncated" "$T/err2" && ok "truncated shard is named" || { fail "truncated message"; cat "$T/err2"; }
"$MM" pretrain "${COMMON[@]}" --config "layers=2,heads=2,dim=32,ctx=64,vocab=256" --steps 40 --out "$T/b" --resume 2>"$T/err3"
grep -q "does not fit the checkpoint" "$T/err3" && ok "config that does not fit is refused" || { fail "config mismatch message"; cat "$T/err3"; }
"$MM" pretrain "${COMMON[@]}" --steps 5 --out "$T/run" 2>"$T/err4"
grep -q "already holds a run" "$T/err4" && ok "an existing run is not overwritten" || { fail "existing run message"; cat "$T/err4"; }
"$MM" pretrain "${COMMON[@]}" --lr 1e30 --warmup 0 --steps 6 --ckpt-every 1 --out "$T/nan" 2>"$T/err5"
rc=$?; same "NaN loss exits 1" "$rc" 1
grep -qE "NaN|infinite" "$T/err5" && grep -q "last good checkpoint" "$T/err5" && ok "NaN loss is reported" || { fail "NaN message"; cat "$T/err5"; }
step=$($PY -c "import json;print(json.load(open('$T/nan/train_state.json'))['step'])" 2>/dev/null)
[ -n "$step" ] && [ "$step" -ge 1 ] && [ -s "$T/nan/model.safetensors" ] && ok "last good checkpoint kept (step $step)" || fail "no checkpoint after NaN"

# 4. generation from the checkpoint (bytes: vocab 256 without a tokenizer)
check "generate greedy" "$MM" generate --ckpt "$T/run" --prompt "Natalia sold" --max-new 40 --temperature 0
"$MM" generate --ckpt "$T/run" --prompt "Natalia sold" --prompt "How many" -n 2 --max-new 24 --top-k 20 --top-p 0.9 --seed 3 --json -q >"$T/gen.jsonl"
same "generate batches prompts x samples" "$(wc -l <"$T/gen.jsonl")" 4
"$MM" generate --ckpt "$T/run" --prompt "Natalia sold" --prompt "How many" -n 2 --max-new 24 --top-k 20 --top-p 0.9 --seed 3 --json -q >"$T/gen2.jsonl"
cmp -s "$T/gen.jsonl" "$T/gen2.jsonl" && ok "sampling is reproducible for a seed" || fail "sampling differs between runs"
finish
