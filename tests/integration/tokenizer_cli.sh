#!/usr/bin/env bash
# tokenizer_cli: `mathmine tokenizer train|encode|decode` and `mathmine shard` end to end:
# exact round trips through the CLI (text and binary ids, invalid UTF-8), identical outputs
# from two runs and from different -j, llm.c shard headers and bodies read back by Python,
# the validation split, the seeded shuffle, --mix, rerun/--force, and clean failures.
source "$(dirname "$0")/../lib.sh"

$PY - "$SHARED" "$T" <<'PY'
import json, sys
sh, t = sys.argv[1], sys.argv[2]
def docs(path, keys):
    for i, line in enumerate(open(path, encoding="utf-8")):
        d = json.loads(line)
        yield {"id": "%s-%d" % (path.split("/")[-2], i), "text": "\n".join(str(d[k]) for k in keys if k in d)}
with open(t + "/gsm.jsonl", "w") as f:
    for d in list(docs(sh + "/benchmarks/gsm8k/train.jsonl", ["question", "answer"]))[:1500]: f.write(json.dumps(d, ensure_ascii=False) + "\n")
with open(t + "/zh.jsonl", "w") as f:
    for d in docs(sh + "/benchmarks/cmath/cmath_dev.jsonl", ["input", "golden"]): f.write(json.dumps(d, ensure_ascii=False) + "\n")
    f.write("{broken json\n")
with open(t + "/mix.jsonl", "w") as f:
    for i in range(20): f.write(json.dumps({"id": "mix%d" % i, "text": "MIXDOC %d: 17 + 25 = 42. #### 42" % i}) + "\n")
open(t + "/bytes.bin", "wb").write(bytes(range(256)) * 8 + b"\xe4\xb8 \xed\xa0\x80 \xf0\x9f\x98")
PY
zstd -q "$T/gsm.jsonl" -o "$T/gsm.jsonl.zst"
g="$SHARED/testdata/article-extraction-benchmark/ground-truth.json"; cat "$g" "$g" "$g" > "$T/web.txt"  # 2.8 MB

check "train from a .jsonl.zst shard, a .jsonl shard and a text file" \
  $MM tokenizer train --vocab 2048 -j 2 --stats "$T/train.json" "$T/gsm.jsonl.zst" "$T/zh.jsonl" "$T/web.txt" -o "$T/tok"
check "train again with -j 1" $MM tokenizer train --vocab 2048 -j 1 "$T/gsm.jsonl.zst" "$T/zh.jsonl" "$T/web.txt" -o "$T/tok1"
if cmp -s "$T/tok/vocab.json" "$T/tok1/vocab.json" && cmp -s "$T/tok/merges.txt" "$T/tok1/merges.txt"; then ok "two trainings (-j 2, -j 1) give identical files"; else fail "training is not deterministic"; fi
same "stats: vocab" "$($PY -c 'import json,sys;print(json.load(open(sys.argv[1]))["vocab"])' "$T/train.json")" 2048
out=$($MM tokenizer train --vocab 2048 "$T/zh.jsonl" -o "$T/tok" 2>&1)
case "$out" in *skipped*) ok "rerun skips a complete tokenizer dir";; *) fail "rerun did not skip: $out";; esac

for f in web.txt bytes.bin gsm.jsonl; do
  $MM tokenizer encode --tokenizer "$T/tok" "$T/$f" > "$T/$f.ids"
  $MM tokenizer encode --tokenizer "$T/tok" < "$T/$f" > "$T/$f.ids2"
  $MM tokenizer decode --tokenizer "$T/tok" "$T/$f.ids" > "$T/$f.back"
  if cmp -s "$T/$f" "$T/$f.back"; then ok "decode(encode($f)) is byte-exact"; else fail "round trip of $f"; fi
  if cmp -s "$T/$f.ids" "$T/$f.ids2"; then ok "encode($f) is identical across runs (file vs stdin)"; else fail "encode $f differs"; fi
done
$MM tokenizer encode --binary --tokenizer "$T/tok" "$T/bytes.bin" | $MM tokenizer decode --binary --tokenizer "$T/tok" > "$T/bytes.back2"
if cmp -s "$T/bytes.bin" "$T/bytes.back2"; then ok "binary ids round trip"; else fail "binary ids round trip"; fi
echo "1 2 999999" | $MM tokenizer decode --tokenizer "$T/tok" >/dev/null 2>"$T/err"; rc=$?
if [ $rc = 1 ] && grep -q "outside the vocabulary" "$T/err"; then ok "decode of an unknown id fails clearly"; else fail "decode bad id: rc=$rc $(cat "$T/err")"; fi
$MM tokenizer encode --tokenizer "$T/nope" "$T/web.txt" >/dev/null 2>"$T/err"; rc=$?
if [ $rc = 1 ] && grep -q "nope/vocab.json" "$T/err"; then ok "missing tokenizer names the file"; else fail "missing tokenizer: rc=$rc"; fi
$MM tokenizer train "$T/web.txt" -o "$T/x" >/dev/null 2>&1; same "train without --vocab is a usage error" $? 2

# ---- shards
check "shard -j 2" $MM shard -j 2 --tokenizer "$T/tok" --shard-tokens 50000 --val-tokens 20000 --seed 3 \
  --mix "$T/mix.jsonl:3" --stats "$T/shard.json" "$T/gsm.jsonl.zst" "$T/zh.jsonl" -o "$T/s2"
check "shard -j 1" $MM shard -j 1 --tokenizer "$T/tok" --shard-tokens 50000 --val-tokens 20000 --seed 3 \
  --mix "$T/mix.jsonl:3" "$T/gsm.jsonl.zst" "$T/zh.jsonl" -o "$T/s1"
if diff -r -x shards.json "$T/s1" "$T/s2" >/dev/null; then ok "shards identical for -j 1 and -j 2"; else fail "shards differ with -j"; fi
check "shard --seed 4" $MM shard --tokenizer "$T/tok" --shard-tokens 50000 --val-tokens 20000 --seed 4 \
  --mix "$T/mix.jsonl:3" "$T/gsm.jsonl.zst" "$T/zh.jsonl" -o "$T/s4"
if ! cmp -s "$T/s2/train_000000.bin" "$T/s4/train_000000.bin"; then ok "another seed shuffles differently"; else fail "seed has no effect"; fi

# Read the shards back in Python: header, size, token width, <|endoftext|> before every
# document; decode every document and compare with the inputs.
res=$($PY - "$T" "$MM" <<'PY'
import glob, json, struct, subprocess, sys
t, mm = sys.argv[1], sys.argv[2]
vocab = json.load(open(t + "/tok/vocab.json", encoding="utf-8")); eot = vocab["<|endoftext|>"]
def read(path):
    b = open(path, "rb").read()
    h = struct.unpack("<256i", b[:1024])
    assert h[0] == 20240520 and h[1] == 1, ("header", path, h[:3])
    assert len(b) == 1024 + 2 * h[2], ("size", path)
    return list(struct.unpack("<%dH" % h[2], b[1024:]))
man = json.load(open(t + "/s2/shards.json"))
train = [x for f in man["train"] for x in read(t + "/s2/" + f)]
val = [x for f in man["val"] for x in read(t + "/s2/" + f)]
for f in man["train"][:-1]: assert len(read(t + "/s2/" + f)) == 50000, "fixed shard size"
assert train[0] == eot and val[0] == eot, "starts with <|endoftext|>"
assert len(train) == man["train_tokens"] and len(val) == man["val_tokens"]
assert 20000 <= len(val) < 20000 + 2000, len(val)
def decode(ids):
    return subprocess.run([mm, "tokenizer", "decode", "--tokenizer", t + "/tok"], input=" ".join(map(str, ids)).encode(), capture_output=True, check=True).stdout.decode("utf-8")
# <|endoftext|> decodes to its own text, which none of the inputs contains: split on it
td = decode(train).split("<|endoftext|>")[1:]
vd = decode(val).split("<|endoftext|>")[1:]
expect = [json.loads(l)["text"] for p in ("gsm.jsonl", "zh.jsonl") for l in open(t + "/" + p, encoding="utf-8") if l.startswith("{\"")]
mix = [json.loads(l)["text"] for l in open(t + "/mix.jsonl")]
assert sorted(td + vd) == sorted(expect + mix * 3), ("documents differ", len(td) + len(vd), len(expect) + 3 * len(mix))
assert not any("MIXDOC" in d for d in vd), "mix documents only in train"
print("ok %d train docs, %d val docs, %d+%d tokens" % (len(td), len(vd), len(train), len(val)))
PY
)
case "$res" in ok*) ok "shards read back: headers, fixed size, <|endoftext|>, every document exactly once (mix x3, train only): ${res#ok }";; *) fail "shard read-back: $res";; esac
same "one broken input line counted" "$($PY -c 'import json,sys;print(json.load(open(sys.argv[1]))["bad_lines"])' "$T/shard.json")" 1

# a text file is one document; past 1 MB it is encoded in pieces on several threads
$MM shard -j 2 --val-tokens 0 --tokenizer "$T/tok" "$T/web.txt" -o "$T/w2" 2>/dev/null
$MM shard -j 1 --val-tokens 0 --tokenizer "$T/tok" "$T/web.txt" -o "$T/w1" 2>/dev/null
if cmp -s "$T/w1/train_000000.bin" "$T/w2/train_000000.bin"; then ok "a $(($(stat -c %s "$T/web.txt") / 1000000)) MB text: identical shards for -j 1 and -j 2"; else fail "big text shards differ with -j"; fi
$PY -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); print(" ".join(map(str, struct.unpack("<%dH" % ((len(b)-1024)//2), b[1024:]))))' "$T/w2/train_000000.bin" \
  | $MM tokenizer decode --tokenizer "$T/tok" > "$T/w2.back"
if cmp -s "$T/w2.back" <(printf '<|endoftext|>'; cat "$T/web.txt"); then ok "its shard decodes to <|endoftext|> + the file"; else fail "big text shard does not decode to the file"; fi

out=$($MM shard --tokenizer "$T/tok" "$T/zh.jsonl" -o "$T/s2" 2>&1)
case "$out" in *skipped*) ok "rerun skips a complete shard dir";; *) fail "rerun did not skip: $out";; esac
check "--force redoes it (--val-frac 0.1)" $MM shard --force --val-frac 0.1 --tokenizer "$T/tok" "$T/zh.jsonl" -o "$T/s2"
n=$(ls "$T/s2" | grep -c 'train_.*bin'); same "old shards removed on --force" "$n" 1
$MM shard --tokenizer "$T/tok" "$T/zh.jsonl" "$T/missing.jsonl" -o "$T/s5" 2>"$T/err"; rc=$?
if [ $rc = 1 ] && grep -q "missing.jsonl" "$T/err" && [ ! -e "$T/s5/shards.json" ] && [ -z "$(ls "$T/s5")" ]; then ok "a missing input fails, names it, leaves nothing"; else fail "missing input: rc=$rc $(ls "$T/s5")"; fi
$MM shard --tokenizer "$T/tok" -o "$T/s6" >/dev/null 2>&1; same "shard without inputs is a usage error" $? 2
# issue 19 row 10: one huge document and a small one: the huge one does not become the
# validation split; the split that cannot meet the target is warned about and recorded
$PY -c 'import json,sys; t=open(sys.argv[1]).read(); print(json.dumps({"id":"big","text":t})); print(json.dumps({"id":"small","text":"a small page about primes"}))' "$T/web.txt" >"$T/deg.jsonl"
$MM shard --tokenizer "$T/tok" "$T/deg.jsonl" -o "$T/s7" 2>"$T/deg.err"; rc=$?
same "degenerate split: exit 0" "$rc" 0
vt=$($PY -c 'import json,sys;m=json.load(open(sys.argv[1]));print(m["val_tokens"], m["train_tokens"] > 100000, m["split_warning"] is not None)' "$T/s7/shards.json")
same "the small page is validation, the huge one training, and shards.json says so" "${vt#* }" "True True"
[ "${vt%% *}" -lt 100 ] && ok "validation: ${vt%% *} tokens, not the huge page" || fail "validation took the huge page: $vt"
grep -q "warning: validation holds .* tokens (1 documents) where .* were asked" "$T/deg.err" && ok "a clear warning names the asked and the real size" || { fail "degenerate split warning"; cat "$T/deg.err"; }
finish
