#!/usr/bin/env bash
# bad_inputs — the bad-input matrix (issue 19): damaged and misused inputs x every command that
# reads that kind of input, and an interrupt test for every long-running command.  Each cell
# asserts the exit code, that the message names the file, and what is or is not left on disk.
# Every row of issue 19's table is a named case ("row N: ...").  Rows fixed on other branches are
# listed in PENDING_ROWS: their cases print "pending (other branch)" and are not counted.
#   MM_BAD_SUBSET=1 runs the fast part only (the ASan run of `make test-asan-cli`).
source "$(dirname "$0")/../lib.sh"
PENDING_ROWS=${MM_PENDING_ROWS-""} # e.g. MM_PENDING_ROWS=" 6 8 " skips rows
export OMP_NUM_THREADS=1 MM_BLAS_NO_REEXEC=1

# ---- helpers ----------------------------------------------------------------------------------
# run NAME CMD...: run CMD, keep its exit code in $rc and its stderr in $T/err/NAME
mkdir -p "$T/err"
run() { local n=$1; shift; "$@" >"$T/err/$n.out" 2>"$T/err/$n"; rc=$?; last=$n; }
# expect WHAT RC [NEEDLE...]: the last run exited RC and its stderr names every NEEDLE
expect() {
  local what=$1 want=$2; shift 2
  local bad=""
  [ "$rc" = "$want" ] || bad="exit $rc, expected $want"
  for s in "$@"; do grep -qF -- "$s" "$T/err/$last" || bad="$bad; message lacks '$s'"; done
  if grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer' "$T/err/$last"; then bad="$bad; sanitizer report"; fi
  if [ -z "$bad" ]; then ok "$what"; else fail "$what: $bad"; sed 's/^/    /' "$T/err/$last" | head -8; fi
}
# absent WHAT PATH...: none of the paths exists (globs allowed); present WHAT PATH...: all exist
absent() { local what=$1; shift; local p; for p in "$@"; do if compgen -G "$p" >/dev/null; then fail "$what: $p exists"; return; fi; done; ok "$what"; }
present() { local what=$1; shift; local p; for p in "$@"; do if ! compgen -G "$p" >/dev/null; then fail "$what: $p missing"; return; fi; done; ok "$what"; }
# no temp files under DIR
no_temps() { local left; left=$(find "$2" -name '*.tmp.*' 2>/dev/null | head -3); if [ -z "$left" ]; then ok "$1"; else fail "$1: $left"; fi; }
pending() { [[ "$PENDING_ROWS" == *" $1 "* ]]; }
row() { # row N: skip the rest of the case when N is pending
  if pending "$1"; then echo "pending (other branch): row $1: $2"; return 1; fi; return 0; }

# ---- fixtures: small real inputs --------------------------------------------------------------
F=$T/fx; mkdir -p "$F"
$PY - "$SHARED" "$F" <<'EOF'
import json, sys, random
shared, f = sys.argv[1], sys.argv[2]
random.seed(7)
pos = []
for l in open(shared + '/benchmarks/gsm8k/train.jsonl'):
    d = json.loads(l); pos.append(d['question'] + ' ' + d['answer'])
    if len(pos) >= 400: break
gt = json.load(open(shared + '/testdata/article-extraction-benchmark/ground-truth.json'))
neg = [p for v in gt.values() for p in v.get('articleBody', '').split('\n\n') if len(p) >= 150][:400]
def write(path, texts, tag):
    with open(path, 'w') as o:
        for i, t in enumerate(texts):
            o.write(json.dumps({'id': '%s%04d' % (tag, i), 'text': t, 'url': 'http://h%d.org/%s/%d' % (i % 9, tag, i),
                                'domain': 'h%d.org' % (i % 9)}) + '\n')
write(f + '/pos.jsonl', pos, 'p')
write(f + '/neg.jsonl', neg, 'n')
mixed = pos[:250] + neg[:250]
random.shuffle(mixed)
write(f + '/docs.jsonl', mixed, 'd')
EOF
for s in pos neg docs; do zstd -q -f "$F/$s.jsonl" -o "$F/$s.jsonl.zst"; done
"$MM" -q classify train --pos "$F/pos.jsonl.zst" --neg "$F/neg.jsonl.zst" -o "$F/m.bin" --dim 16 --epoch 2 --bucket 20000 -j 1 2>/dev/null
"$MM" -q tokenizer train --vocab 300 "$F/docs.jsonl.zst" -o "$F/tok" >/dev/null 2>&1
"$MM" -q shard --tokenizer "$F/tok" "$F/docs.jsonl.zst" -o "$F/tokens" >/dev/null 2>&1
"$MM" -q pretrain --data "$F/tokens/train_*.bin" --tokenizer "$F/tok" --config layers=1,heads=1,dim=16,ctx=128 --batch 2 --steps 2 --out "$F/ckpt" >/dev/null 2>&1
"$MM" -q classify score --model "$F/m.bin" "$F/docs.jsonl.zst" --out-dir "$F/scores" >/dev/null 2>&1
WARC=$SHARED/testdata/chatnoir-resiliparse/tests/data/warcfile.warc
gzip -c "$WARC" > "$F/w.warc.gz"
for x in m.bin tok/vocab.json tokens/shards.json ckpt/config.json scores/docs.scores.tsv; do
  [ -e "$F/$x" ] || { fail "fixture $x was not built"; ls -R "$F" | head -30; cat "$T"/err/fx-*; finish; }
done
ok "fixtures: shards, classifier, tokenizer, token shards, checkpoint, scores"

# Damaged document shards: cut mid-file, cut inside the first block, junk, empty.
D=$T/dmg; mkdir -p "$D"
size=$(stat -c %s "$F/docs.jsonl.zst")
head -c $((size / 2)) "$F/docs.jsonl.zst" > "$D/cut.jsonl.zst"
head -c 100 "$F/docs.jsonl.zst" > "$D/cutfirst.jsonl.zst"
head -c 5000 /dev/urandom > "$D/junk.jsonl.zst"
: > "$D/empty.jsonl.zst"
DAMAGES="cut cutfirst junk empty"
[ -n "${MM_BAD_SUBSET:-}" ] && DAMAGES="cut empty" # the ASan run: two damages, no 50 MB lines

# ---- row 4 (and its class): a damaged document shard, given to every command that reads one ----
# Each reads the damaged shard beside a good one where it can: exit 1, the damaged file named
# with a byte offset, its output not written (so a rerun redoes it), no temp file left.
BENCH="gsm8k=$SHARED/benchmarks/gsm8k/test.jsonl"
for dmg in $DAMAGES; do
  S=$D/$dmg.jsonl.zst O=$T/o4-$dmg; mkdir -p "$O"
  run "score-$dmg" "$MM" classify score --model "$F/m.bin" "$S" --out-dir "$O/score"
  expect "row 4: classify score on a $dmg shard" 1 "$S" "byte"
  absent "row 4: classify score $dmg: no score file" "$O/score/$dmg.*"
  run "train-$dmg" "$MM" classify train --pos "$F/pos.jsonl.zst" "$S" --neg "$F/neg.jsonl.zst" -o "$O/m.bin" --dim 8 --epoch 1 --bucket 1000 -j 1
  expect "row 4: classify train on a $dmg shard" 1 "$S" "byte"
  absent "row 4: classify train $dmg: no model" "$O/m.bin"
  for k in url exact; do
    run "dedup-$k-$dmg" "$MM" dedup $k --out-dir "$O/$k" "$F/docs.jsonl.zst" "$S"
    expect "row 4: dedup $k on a $dmg shard" 1 "$S" "byte"
    absent "row 4: dedup $k $dmg: no output for it" "$O/$k/$dmg.jsonl.zst"
  done
  run "minhash-$dmg" "$MM" dedup minhash all --out-dir "$O/mh" "$F/docs.jsonl.zst" "$S"
  expect "row 4: dedup minhash all on a $dmg shard" 1 "$S" "byte"
  absent "row 4: dedup minhash $dmg: no output for it" "$O/mh/$dmg.jsonl.zst"
  run "tok-$dmg" "$MM" tokenizer train --vocab 300 "$F/docs.jsonl.zst" "$S" -o "$O/tok"
  expect "row 4: tokenizer train on a $dmg shard" 1 "$S" "byte"
  absent "row 4: tokenizer train $dmg: no tokenizer" "$O/tok/vocab.json"
  run "shard-$dmg" "$MM" shard --tokenizer "$F/tok" "$F/docs.jsonl.zst" "$S" -o "$O/tokens"
  expect "row 4: shard on a $dmg shard" 1 "$S" "byte"
  absent "row 4: shard $dmg: not marked done" "$O/tokens/shards.json"
  run "iterate-$dmg" "$MM" iterate --positives "$F/pos.jsonl.zst" --pool "$F/docs.jsonl.zst" --pool "$S" --work-dir "$O/it" --max-iter 1 --dim 8 --epoch 1 --bucket 1000
  expect "row 4: iterate on a $dmg pool shard" 1 "$S" "byte"
  absent "row 4: iterate $dmg: iteration not committed" "$O/it/iter-1"
  run "select-$dmg" "$MM" select --scores "$F/scores/docs.scores.tsv" --threshold 0 -o "$O/ids.txt" --docs "$S" --out-dir "$O/sel"
  expect "row 4: select --docs on a $dmg shard" 1 "$S" "byte"
  absent "row 4: select $dmg: no output for it" "$O/sel/$dmg.jsonl.zst"
  run "decont-$dmg" "$MM" decontaminate --bench "$BENCH" --out-dir "$O/dc" "$F/docs.jsonl.zst" "$S"
  expect "row 4: decontaminate on a $dmg shard" 1 "$S" "byte"
  absent "row 4: decontaminate $dmg: no output for it" "$O/dc/$dmg.jsonl.zst"
  no_temps "row 4: $dmg: no temp files left" "$O"
done

# ---- row 3: SIGINT to every long-running command: exit 130, nothing half-written, a rerun
# completes.  Each is started with settings that would run for minutes. ----
# interrupt NAME OUTPUT CMD...: SIGINT after 1.5 s; OUTPUT must not exist afterwards
interrupt() {
  local n=$1 out=$2; shift 2
  "$@" >"$T/err/int-$n.out" 2>"$T/err/int-$n" &
  local pid=$! t0=$SECONDS
  sleep 1.5
  kill -INT "$pid" 2>/dev/null
  wait "$pid"; rc=$?; last=int-$n
  expect "row 3: SIGINT to $n: exit 130 within $((SECONDS - t0)) s" 130
  absent "row 3: SIGINT to $n: no output" "$out"
  no_temps "row 3: SIGINT to $n: no temp files" "$(dirname "$out")"
}
I=$T/int; mkdir -p "$I"
interrupt "classify train" "$I/m.bin" "$MM" classify train --pos "$F/pos.jsonl.zst" --neg "$F/neg.jsonl.zst" -o "$I/m.bin" --dim 16 --epoch 100000 --bucket 20000 -j 1
run rerun-train "$MM" classify train --pos "$F/pos.jsonl.zst" --neg "$F/neg.jsonl.zst" -o "$I/m.bin" --dim 8 --epoch 1 --bucket 1000 -j 1
expect "row 3: classify train rerun completes" 0; present "row 3: classify train rerun: model" "$I/m.bin"
interrupt "iterate" "$I/it/iter-1" "$MM" iterate --positives "$F/pos.jsonl.zst" --pool "$F/docs.jsonl.zst" --work-dir "$I/it" --max-iter 1 --dim 16 --epoch 200 --bucket 20000 --min-auc 0
run rerun-it "$MM" iterate --positives "$F/pos.jsonl.zst" --pool "$F/docs.jsonl.zst" --work-dir "$I/it" --max-iter 1 --dim 16 --epoch 200 --bucket 20000 --min-auc 0
expect "row 3: iterate rerun completes" 0; present "row 3: iterate rerun: iteration committed" "$I/it/iter-1"
interrupt "eval --k 16" "$I/dump.jsonl" "$MM" eval --ckpt "$F/ckpt" --k 16 --n 100000 --max-new-tokens 32 --dump "$I/dump.jsonl"
run rerun-eval "$MM" eval --ckpt "$F/ckpt" --k 2 --n 4 --max-new-tokens 4 --dump "$I/dump.jsonl"
expect "row 3: eval rerun completes" 0; present "row 3: eval rerun: dump" "$I/dump.jsonl"
interrupt "generate -n 65536" "$I/none" "$MM" generate --ckpt "$F/ckpt" --prompt "The answer is" -n 65536 --max-new 128
run rerun-gen "$MM" generate --ckpt "$F/ckpt" --prompt "The answer is" -n 2 --max-new 4
expect "row 3: generate rerun completes" 0
# pretrain checkpoints when interrupted (by design: the run resumes from there)
"$MM" pretrain --data "$F/tokens/train_*.bin" --tokenizer "$F/tok" --config layers=2,heads=2,dim=64,ctx=32 --steps 1000000 --ckpt-every 1000000 --out "$I/pt" >/dev/null 2>"$T/err/int-pt" &
pid=$!; sleep 1.5; kill -INT $pid; wait $pid; rc=$?; last=int-pt
expect "row 3: SIGINT to pretrain: exit 130" 130
present "row 3: SIGINT to pretrain: a whole checkpoint to resume from" "$I/pt/train_state.json" "$I/pt/model.safetensors"
no_temps "row 3: SIGINT to pretrain: no temp files" "$I"
step=$($PY -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["step"]))' "$I/pt/train_state.json")
run rerun-pt "$MM" pretrain --data "$F/tokens/train_*.bin" --steps $((step + 2)) --out "$I/pt" --resume
expect "row 3: pretrain --resume after SIGINT completes" 0

# the other long commands: a 200 MB shard keeps each busy past the signal; nothing marked done
$PY - "$I/big.jsonl" <<'EOF2'
import json, random, sys
random.seed(3)
words = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(2, 9))) for _ in range(20000)]
base = [" ".join(random.choices(words, k=800)) for _ in range(2000)]
with open(sys.argv[1], "w") as f:
    for c in range(40):
        for i, t in enumerate(base):
            f.write(json.dumps({"id": "c%d_%d" % (c, i), "url": "http://h%d.org/%d/%d" % (i % 50, c, i), "text": t}) + "\n")
EOF2
zstd -q -1 --rm "$I/big.jsonl"
interrupt "tokenizer train" "$I/tok2/vocab.json" "$MM" tokenizer train --vocab 20000 "$I/big.jsonl.zst" -o "$I/tok2"
interrupt "shard" "$I/sh/shards.json" "$MM" shard --tokenizer "$F/tok" -j 1 "$I/big.jsonl.zst" -o "$I/sh"
# 128 bands (not 14): the whole of `minhash all` on this shard takes ~2.4 s at the default, so a
# late wake-up of the 1.5 s sleep on a loaded machine let it finish before the signal
interrupt "dedup minhash all" "$I/mho/big.jsonl.zst" "$MM" dedup minhash all -j 1 --bands 128 --work "$I/mhw" -o "$I/mho" "$I/big.jsonl.zst"
interrupt "decontaminate" "$I/dc/big.jsonl.zst" "$MM" decontaminate --bench-dir "$SHARED/benchmarks" -j 1 -o "$I/dc" "$I/big.jsonl.zst"
interrupt "grpo" "$I/g/final" "$MM" grpo --algo sft --init new:2,4,64,96 --task arith --plain --ops 2 --digits 1 --steps 1000000 --sft-batch 8 -o "$I/g"
rm -f "$I/big.jsonl.zst"

# ---- row 1: no command deletes what it did not create ----
PT=(--data "$F/tokens/train_*.bin" --tokenizer "$F/tok" --config layers=1,heads=1,dim=16,ctx=32 --steps 1)
mkdir -p "$T/r1/x"; echo keep > "$T/r1/x/a.txt"
run r1-foreign "$MM" pretrain "${PT[@]}" --out "$T/r1/x"
expect "row 1: pretrain into a non-empty folder that is not a run: refused" 1 "$T/r1/x" "a.txt"
same "row 1: the user's file is still there" "$(cat "$T/r1/x/a.txt" 2>&1)" keep
run r1-first "$MM" pretrain "${PT[@]}" --out "$T/r1/run"
expect "row 1: pretrain into a new folder" 0
run r1-again "$MM" pretrain "${PT[@]}" --out "$T/r1/run"
expect "row 1: a finished checkpoint is not overwritten without --force" 1 "$T/r1/run" "--force"
run r1-force "$MM" pretrain "${PT[@]}" --out "$T/r1/run" --force
expect "row 1: --force starts over" 0
mkdir -p "$T/r1/g"; echo keep > "$T/r1/g/notes.txt"
run r1-grpo "$MM" grpo --algo sft --init new:1,1,16,32 --task arith --steps 1 --sft-batch 2 -o "$T/r1/g"
expect "row 1: grpo into a non-empty folder that is not a run: refused" 1 "$T/r1/g" "notes.txt"
present "row 1: grpo: the user's file is still there" "$T/r1/g/notes.txt"
: > "$T/r1/file"
run r1-file "$MM" pretrain "${PT[@]}" --out "$T/r1/file"
expect "row 1: --out naming a file: refused" 1 "$T/r1/file"

# ---- row 5: extract on a cut .warc.gz, random bytes, an empty file ----
W=$T/r5; mkdir -p "$W/in"
wsize=$(stat -c %s "$F/w.warc.gz")
head -c $((wsize / 2)) "$F/w.warc.gz" > "$W/in/w.warc.gz"
head -c 4000 /dev/urandom > "$W/in/junk.warc.gz"
: > "$W/in/empty.warc.gz"
for x in w junk empty; do
  run "r5-$x" "$MM" -q extract -o "$W/out" "$W/in/$x.warc.gz"
  expect "row 5: extract on a $x .warc.gz: exit 1, named (even with -q)" 1 "$W/in/$x.warc.gz" "byte"
  absent "row 5: extract $x: no shard (not marked done)" "$W/out/$x.jsonl.zst"
done
grep -q "failed: $W/in/w.warc.gz" "$T/err/r5-w" && ok "row 5: the failed input is named again at the end" || fail "row 5: failed input not listed at the end"
cp "$F/w.warc.gz" "$W/in/w.warc.gz"
run r5-rerun "$MM" -q extract -o "$W/out" "$W/in/w.warc.gz"
expect "row 5: a rerun with the whole file extracts it" 0
n=$(zstd -dc "$W/out/w.jsonl.zst" | wc -l)
check "row 5: its shard holds every page ($n)" test "$n" -ge 10
no_temps "row 5: no temp files" "$W"

# ---- row 9: an empty benchmark set is an error ----
mkdir -p "$T/r9/empty"; : > "$T/r9/gsm8k.jsonl"
run r9-dir "$MM" decontaminate --bench-dir "$T/r9/empty" --out-dir "$T/r9/o" "$F/docs.jsonl.zst"
expect "row 9: --bench-dir with no benchmark folder" 1 "$T/r9/empty"
run r9-file "$MM" decontaminate --bench "gsm8k=$T/r9/gsm8k.jsonl" --out-dir "$T/r9/o" "$F/docs.jsonl.zst"
expect "row 9: --bench gsm8k=<empty file>" 1 "$T/r9/gsm8k.jsonl"
absent "row 9: nothing written" "$T/r9/o/docs.jsonl.zst"

# ---- row 11: extract --html: deep nesting, a corrupt .html.gz ----
$PY -c 'print("<html><body>" + "<div>" * 300 + "<p>deep text here</p>" + "</div>" * 300 + "<p>after the deep node</p></body></html>")' > "$T/deep.html"
run r11-deep "$MM" extract --html --keep-boilerplate "$T/deep.html"
expect "row 11: 300 nested divs parse" 0
same "row 11: the text inside and after the deep node is kept" "$(grep -c 'deep text here\|after the deep node' "$T/err/r11-deep.out")" 2
echo '<html><body><p>hello world</p></body></html>' | gzip > "$T/ok.html.gz"
head -c 25 "$T/ok.html.gz" > "$T/cut.html.gz"; head -c 200 /dev/urandom > "$T/junk.html.gz"
for x in cut junk; do
  run "r11-$x" "$MM" extract --html "$T/$x.html.gz"
  expect "row 11: extract --html on a $x .html.gz" 1 "$T/$x.html.gz" "byte"
done

# ---- row 12: NaN weights; a training state beyond --steps ----
cp -r "$F/ckpt" "$T/nan"
$PY - "$T/nan/model.safetensors" <<'PYEOF'
import json, struct, sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n])
k = sorted(x for x in h if x != '__metadata__')[0]
b[8 + n + h[k]['data_offsets'][0]: 8 + n + h[k]['data_offsets'][0] + 4] = struct.pack('<f', float('nan'))
open(p, 'wb').write(bytes(b))
PYEOF
run r12-gen "$MM" generate --ckpt "$T/nan" --prompt "x" --max-new 2
expect "row 12: generate on NaN weights" 1 "$T/nan/model.safetensors" "NaN"
run r12-eval "$MM" eval --ckpt "$T/nan" --n 2 --max-new-tokens 2
expect "row 12: eval on NaN weights" 1 "$T/nan/model.safetensors" "NaN"
cp -r "$T/r1/run" "$T/beyond"
$PY -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); d["step"]=50; json.dump(d, open(p, "w"))' "$T/beyond/train_state.json"
run r12-step "$MM" pretrain --data "$F/tokens/train_*.bin" --steps 5 --out "$T/beyond" --resume
expect "row 12: --resume from a step beyond --steps" 1 "$T/beyond/train_state.json" "step 50"

# ---- row 14: junk JSON files give whole messages (the detail formatter no longer reads the
# buffer it writes) ----
cp -r "$F/ckpt" "$T/junk1"; printf '{"a": tru' > "$T/junk1/vocab.json"
run r14-vocab "$MM" generate --ckpt "$T/junk1" --prompt "x" --max-new 2
expect "row 14: junk vocab.json: named whole" 1 "$T/junk1/" "vocab.json: " "unexpected character at byte 6"
cp -r "$F/ckpt" "$T/junk2"; printf '{"n_layer": ' > "$T/junk2/config.json"
run r14-config "$MM" eval --ckpt "$T/junk2" --n 2
expect "row 14: bad config.json: named whole" 1 "$T/junk2/config.json"
cp -r "$T/r1/run" "$T/junk3"; printf '[1, 2' > "$T/junk3/train_state.json"
run r14-state "$MM" pretrain --data "$F/tokens/train_*.bin" --steps 5 --out "$T/junk3" --resume
expect "row 14: bad train_state.json: named whole" 1 "$T/junk3/train_state.json"

# ---- row 15 ----
run r15 "$MM" grpo --task arith --write-train 3 --write-split bogus -o "$T/bogus.jsonl.zst"
expect "row 15: grpo --write-split bogus is a usage error" 2 "bogus"
absent "row 15: nothing written" "$T/bogus.jsonl.zst"

# ---- rows fixed on other branches (skipped while listed in PENDING_ROWS) ----
# one_of WHAT CODES...: the last run exited with one of CODES (the fix may call it usage or failure)
one_of() { local what=$1; shift; local c; for c in "$@"; do [ "$rc" = "$c" ] && { ok "$what (exit $rc)"; return; }; done; fail "$what: exit $rc"; sed 's/^/    /' "$T/err/$last" | head -5; }
if row 2 "classify train --bucket 0"; then
  run r2 "$MM" classify train --pos "$F/pos.jsonl.zst" --neg "$F/neg.jsonl.zst" -o "$T/r2/m.bin" --bucket 0 --dim 8 --epoch 1
  one_of "row 2: classify train --bucket 0 does not crash" 1 2
  no_temps "row 2: no temp files" "$T"
  run r2i "$MM" iterate --positives "$F/pos.jsonl.zst" --pool "$F/docs.jsonl.zst" --work-dir "$T/r2/it" --max-iter 1 --bucket 0
  one_of "row 2: iterate --bucket 0 does not crash" 1 2
fi
if row 6 "minhash stages record and check their parameters"; then
  run r6a "$MM" dedup minhash signatures --work "$T/r6" --bands 20 --rows 4 "$F/docs.jsonl.zst"
  expect "row 6: signatures with --bands 20 --rows 4" 0
  run r6b "$MM" dedup minhash buckets --work "$T/r6"
  expect "row 6: buckets without the options takes the recorded 20 bands" 0 "20 bands"
  run r6c "$MM" dedup minhash buckets --work "$T/r6" --bands 14
  expect "row 6: buckets with other parameters is refused, naming both" 2 "--bands 14" "bands 20" "params.json"
fi
if row 7 "minhash filter matches documents by id"; then
  run r7a "$MM" dedup minhash all --work "$T/r7/w" --out-dir "$T/r7/o" "$F/docs.jsonl.zst"
  mkdir -p "$T/r7/other"; cp "$F/pos.jsonl.zst" "$T/r7/other/docs.jsonl.zst"
  run r7b "$MM" dedup minhash filter --work "$T/r7/w" --out-dir "$T/r7/o2" "$T/r7/other/docs.jsonl.zst"
  expect "row 7: filter on another file of the same name is refused" 1 "$T/r7/other/docs.jsonl.zst"
fi
if row 8 "same-named shards in two folders"; then
  mkdir -p "$T/r8/a" "$T/r8/b"; cp "$F/docs.jsonl.zst" "$T/r8/a/x.jsonl.zst"; cp "$F/pos.jsonl.zst" "$T/r8/b/x.jsonl.zst"
  run r8 "$MM" classify score --model "$F/m.bin" "$T/r8/a/x.jsonl.zst" "$T/r8/b/x.jsonl.zst" --out-dir "$T/r8/s"
  expect "row 8: classify score: two shards of one name" 0
  n=$(ls "$T/r8/s" | grep -c 'scores.tsv$'); rows=$(cat "$T/r8/s"/*scores.tsv | wc -l)
  same "row 8: classify score: each shard scored into its own file (files, rows)" "$n $rows" "2 $(( $(zstd -dc "$T/r8/a/x.jsonl.zst" | wc -l) + $(zstd -dc "$T/r8/b/x.jsonl.zst" | wc -l) ))"
  run r8s "$MM" select --scores "$T/r8/s"/*scores.tsv --threshold 0 -o "$T/r8/ids" --docs "$T/r8/a/x.jsonl.zst" "$T/r8/b/x.jsonl.zst" --out-dir "$T/r8/sel"
  expect "row 8: select --docs: two shards of one name" 0
  same "row 8: select --docs: one output each, every document kept at threshold 0" "$(ls "$T/r8/sel" | grep -c 'jsonl.zst$') $(zstd -dc "$T/r8/sel"/*.jsonl.zst | wc -l)" "2 $rows"
fi
if row 10 "shard: a degenerate split"; then
  $PY -c 'import json; print(json.dumps({"id": "big", "text": "word " * 10000000})); print(json.dumps({"id": "small", "text": "a small one"}))' > "$T/r10.jsonl"
  run r10 "$MM" shard --tokenizer "$F/tok" "$T/r10.jsonl" -o "$T/r10"
  expect "row 10: a degenerate split is warned about" 0 "warning"
  grep -q split_warning "$T/r10/shards.json" && ok "row 10: the warning is recorded in shards.json" \
    || fail "row 10: no split_warning in shards.json"
  train=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["train_tokens"])' "$T/r10/shards.json" 2>/dev/null)
  [ "${train:-0}" -gt 1000000 ] && ok "row 10: the big document stays in training ($train tokens)" \
    || fail "row 10: training tokens $train"
fi
if row 13 "a negative token column"; then
  printf 'd1\t0.9\thttp://a/\ta\t-4\n' > "$T/r13.tsv"
  run r13 "$MM" select --scores "$T/r13.tsv" --top-tokens 10 -o "$T/r13.ids"
  expect "row 13: a negative token count is refused, naming file and line" 1 "$T/r13.tsv" "line 1"
fi

# ---- misuse: directories for files, collisions, absurd options, unwritable and non-empty
# output folders ----
mkdir -p "$T/m/dir.jsonl.zst" "$T/m/dir.warc.gz" "$T/m/ro"
run m-dir-score "$MM" classify score --model "$F/m.bin" "$T/m/dir.jsonl.zst" --out-dir "$T/m/o1"
expect "directory for a shard: classify score" 1 "$T/m/dir.jsonl.zst"
run m-dir-dedup "$MM" dedup exact --out-dir "$T/m/o2" "$T/m/dir.jsonl.zst"
expect "directory for a shard: dedup exact" 1 "$T/m/dir.jsonl.zst"
run m-dir-tok "$MM" tokenizer train --vocab 300 "$T/m/dir.jsonl.zst" -o "$T/m/o3"
expect "directory for a shard: tokenizer train" 1 "$T/m/dir.jsonl.zst"
run m-dir-warc "$MM" extract -o "$T/m/o4" "$T/m/dir.warc.gz"
expect "directory for a WARC: extract" 1 "$T/m/dir.warc.gz"
run m-dir-model "$MM" classify score --model "$T/m" "$F/docs.jsonl.zst" --out-dir "$T/m/o5"
expect "directory for a model: classify score" 1 "$T/m"
run m-file-ckpt "$MM" generate --ckpt "$F/m.bin" --prompt x
expect "a file for a checkpoint folder: generate" 1 "$F/m.bin"
cp "$F/docs.jsonl.zst" "$T/m/a.jsonl.zst"; cp "$F/docs.jsonl" "$T/m/a.jsonl"
run m-coll-dc "$MM" decontaminate --bench "$BENCH" --out-dir "$T/m/o6" "$T/m/a.jsonl.zst" "$T/m/a.jsonl"
expect "two inputs, one output name: decontaminate" 2 "$T/m/a.jsonl"
cp "$F/w.warc.gz" "$T/m/w.warc.gz"; gzip -dc "$F/w.warc.gz" > "$T/m/w.warc"
run m-coll-ex "$MM" extract -o "$T/m/o7" "$T/m/w.warc.gz" "$T/m/w.warc"
expect "two inputs, one output name: extract" 2 "$T/m/w.warc"
absurd() { # absurd WHAT CMD...: a usage error (exit 2)
  local what=$1; shift; run absurd "$@"; expect "absurd option: $what" 2; }
absurd "-j -1" "$MM" extract -j -1 -o "$T/m/x" "$F/w.warc.gz"
absurd "--vocab 0" "$MM" tokenizer train --vocab 0 "$F/docs.jsonl.zst" -o "$T/m/x"
absurd "--steps 0" "$MM" pretrain "${PT[@]}" --steps 0 --out "$T/m/x"
absurd "--threshold nan" "$MM" select --scores "$F/scores/docs.scores.tsv" --threshold nan -o "$T/m/x"
absurd "--top-frac 0" "$MM" select --scores "$F/scores/docs.scores.tsv" --top-frac 0 -o "$T/m/x"
absurd "--epoch 0" "$MM" classify train --pos "$F/pos.jsonl.zst" --neg "$F/neg.jsonl.zst" -o "$T/m/x" --epoch 0
absurd "--dim -5" "$MM" classify train --pos "$F/pos.jsonl.zst" --neg "$F/neg.jsonl.zst" -o "$T/m/x" --dim -5
absurd "--k -1" "$MM" eval --ckpt "$F/ckpt" --k -1
absurd "-n 3 (decontaminate n-gram)" "$MM" decontaminate -n 2 --bench "$BENCH" --out-dir "$T/m/x" "$F/docs.jsonl.zst"
absurd "--bands 0" "$MM" dedup minhash all --bands 0 --out-dir "$T/m/x" "$F/docs.jsonl.zst"
absurd "--max-bytes 0" "$MM" extract --max-bytes 0 -o "$T/m/x" "$F/w.warc.gz"
absurd "--tokens 99999999" "$MM" generate --ckpt "$F/ckpt" --tokens 99999999
absurd "--steps 1x" "$MM" grpo --init "$F/ckpt" --steps 1x -o "$T/m/x"
absent "absurd options: nothing written" "$T/m/x"
if [ "$(id -u)" != 0 ]; then
  chmod 555 "$T/m/ro"
  run m-ro "$MM" dedup exact --out-dir "$T/m/ro/out" "$F/docs.jsonl.zst"
  expect "read-only output folder: dedup exact" 1 "$T/m/ro/out"
  run m-ro2 "$MM" classify score --model "$F/m.bin" "$F/docs.jsonl.zst" --out-dir "$T/m/ro"
  expect "read-only output folder: classify score" 1 "$T/m/ro"
  chmod 755 "$T/m/ro"
else
  echo "skip read-only cases: running as root"
fi
run m-notdir "$MM" dedup exact --out-dir "$F/m.bin/out" "$F/docs.jsonl.zst"
expect "output folder under a file: dedup exact" 1 "$F/m.bin/out"
run m-notdir2 "$MM" extract -o "$F/m.bin/out" "$F/w.warc.gz"
expect "output folder under a file: extract" 1 "$F/m.bin/out"
run m-notdir3 "$MM" tokenizer train --vocab 300 "$F/docs.jsonl.zst" -o "$F/m.bin/tok"
expect "output folder under a file: tokenizer train" 1 "$F/m.bin/tok"

# ---- damaged lines inside good shards: counted and skipped, the rest is read ----
$PY - "$F/docs.jsonl" "$T/l" <<'PYEOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
out = sys.argv[2]
with open(out + '-broken.jsonl', 'w') as o:   # a broken JSON line in the middle
    o.write('\n'.join(lines[:100] + ['{"id": "x", "text": '] + lines[100:]) + '\n')
with open(out + '-utf8.jsonl', 'wb') as o:    # invalid UTF-8 inside JSON strings
    for i, l in enumerate(lines):
        b = l.encode()
        o.write(b.replace(b'"text": "', b'"text": "\xff\xfe bad \xc3( ', 1) if i % 5 == 0 else b)
        o.write(b'\n')
with open(out + '-big.jsonl', 'w') as o:      # one 50 MB line among small ones
    o.write(lines[0] + '\n')
    o.write(json.dumps({'id': 'big', 'text': 'x' * 10 + ' words of text' * 3600000, 'url': 'http://big.org/'}) + '\n')
    o.write('\n'.join(lines[1:50]) + '\n')
PYEOF
LC_ALL=C grep -qa $'\xff\xfe bad' "$T/l-utf8.jsonl" && ok "invalid UTF-8 fixture has raw bytes" || fail "invalid UTF-8 fixture"
run l-broken "$MM" dedup exact --out-dir "$T/l/b" "$T/l-broken.jsonl"
expect "broken JSON line: dedup exact goes on (exit 0)" 0
same "broken JSON line: every good document after it read" "$(zstd -dc "$T/l/b/l-broken.jsonl.zst" | wc -l)" "$(zstd -dc "$F/docs.jsonl.zst" | sort -u | wc -l)"
for c in score dc tok; do
  case $c in
    score) args=(classify score --model "$F/m.bin" --out-dir "$T/l/$c") ;;
    dc) args=(decontaminate --bench "$BENCH" --out-dir "$T/l/$c") ;;
    tok) args=(tokenizer train --vocab 300 -o "$T/l/$c") ;;
  esac
  for k in broken utf8 big; do
    [ -n "${MM_BAD_SUBSET:-}" ] && [ $k = big ] && continue
    run "l-$c-$k" "$MM" "${args[@]}" "$T/l-$k.jsonl"
    expect "$k line(s): ${args[0]} ${args[1]} goes on (exit 0)" 0
    rm -rf "$T/l/$c"
  done
done

# ---- stale temp files of a killed run are removed by the next run on the same outputs (only
# when their pid is no live process) ----
dead=4190000; while kill -0 $dead 2>/dev/null; do dead=$((dead + 1)); done
S=$T/stale; mkdir -p "$S/scores" "$S/x.tmp.$dead"
echo half > "$S/scores/docs.scores.tsv.tmp.$dead"; echo mine > "$S/scores/docs.scores.tsv.tmp.$$"
echo half > "$S/m.bin.tmp.$dead.train.txt"; echo half > "$S/m.bin.tmp.$dead"
cp -r "$F/ckpt" "$S/ck.tmp.$dead"
run st-score "$MM" classify score --model "$F/m.bin" "$F/docs.jsonl.zst" --out-dir "$S/scores"
expect "stale temps: classify score runs" 0
absent "stale temps: a dead run's temp score file removed" "$S/scores/docs.scores.tsv.tmp.$dead"
present "stale temps: a live process's temp file kept" "$S/scores/docs.scores.tsv.tmp.$$"
run st-train "$MM" classify train --pos "$F/pos.jsonl.zst" --neg "$F/neg.jsonl.zst" -o "$S/m.bin" --dim 8 --epoch 1 --bucket 1000 -j 1
expect "stale temps: classify train runs" 0
absent "stale temps: a dead run's training file and model temp removed" "$S/m.bin.tmp.$dead.train.txt" "$S/m.bin.tmp.$dead"
run st-pt "$MM" pretrain "${PT[@]}" --out "$S/ck"
expect "stale temps: pretrain runs" 0
absent "stale temps: a dead run's checkpoint temp folder removed" "$S/ck.tmp.$dead"
present "stale temps: an unrelated name is kept" "$S/x.tmp.$dead"
finish
