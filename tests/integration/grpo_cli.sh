#!/usr/bin/env bash
# mathmine grpo / eval: options, outputs and logs on a tiny byte-level model (seconds, no
# learning claims: tests/integration/grpo_arith.sh checks that GRPO raises accuracy).
source "$(dirname "$0")/../lib.sh"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=passive
TASK="--ops 1 --digits 1 --n-train 200 --n-test 20"
jget() { $PY -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

# usage errors exit 2
$MM grpo --steps 3 >/dev/null 2>&1; same "grpo without --init exits 2" "$?" 2
$MM grpo --init x -o y --algo nope >/dev/null 2>&1; same "unknown --algo exits 2" "$?" 2
$MM eval --ckpt x --task nope >/dev/null 2>&1; same "unknown task exits 2" "$?" 2
$MM eval >/dev/null 2>&1; same "eval without --ckpt exits 2" "$?" 2
$MM grpo --help | grep -q -- "--updates-per-batch" && ok "grpo --help lists the options" || fail "grpo --help"
$MM eval --ckpt "$T/none" $TASK >/dev/null 2>&1; same "a missing checkpoint exits 1" "$?" 1

# documents for pre-training
check "--write-train writes a document shard" $MM grpo --write-train 30 $TASK -o "$T/arith.jsonl.zst"
n=$(zstd -dc "$T/arith.jsonl.zst" | wc -l); same "30 documents" "$n" 30
zstd -dc "$T/arith.jsonl.zst" | head -1 | $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); t=d["text"]; assert t.startswith("Question: ") and "\n#### " in t and d["source"]=="mathmine-arith", t' \
  && ok "documents hold prompt and worked solution" || fail "document text"

# a tiny model: two warm-up steps, then each algorithm for two steps
check "sft warm-up" $MM grpo --algo sft --init new:1,2,32,128 $TASK --steps 2 --sft-batch 4 -o "$T/sft"
[ -f "$T/sft/final/model.safetensors" ] && [ -f "$T/sft/final/config.json" ] && ok "checkpoint written" || fail "checkpoint files"
same "byte-level checkpoint: eos_token_id 256 in config.json" \
  "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get("eos_token_id"))' "$T/sft/final/config.json")" 256
common="--init $T/sft/final $TASK --steps 2 --questions 2 --group 3 --max-new-tokens 12 --lr 1e-4"
check "grpo outcome" $MM grpo $common -o "$T/g1" --eval-every 2 --eval-n 5
same "log has one line per step" "$(wc -l < "$T/g1/log.jsonl")" 2
head -1 "$T/g1/log.jsonl" | $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); [d[k] for k in ("reward_mean","reward_std","accuracy","kl","clip_frac","out_len","entropy","equal_groups")]' \
  && ok "log fields" || fail "log fields"
tail -1 "$T/g1/log.jsonl" | grep -q eval_acc && ok "held-out accuracy logged" || fail "eval_acc missing"
[ -s "$T/g1/curves.svg" ] && [ -s "$T/g1/kl.svg" ] && ok "SVG curves" || fail "SVG curves"
check "grpo process + iterative + token-mean + no-std-norm" $MM grpo $common -o "$T/g2" --supervision process --iterative 1 --token-mean --no-std-norm --updates-per-batch 2
check "grpo filter-groups" $MM grpo $common -o "$T/g3" --filter-groups --filter-tries 1
check "grpo clip-higher" $MM grpo $common -o "$T/gch" --clip-high 0.28
check "online-rft" $MM grpo $common -o "$T/g4" --algo online-rft
check "rft" $MM grpo $common -o "$T/g5" --algo rft
out=$($MM eval --ckpt "$T/g1/final" $TASK --k 3 --max-new-tokens 12 2>/dev/null)
same "eval n" "$(jget n <<<"$out")" 20
for k in greedy_acc pass_at_3 maj_at_3; do
  v=$(jget $k <<<"$out" 2>/dev/null); $PY -c "import sys; v=float('$v'); sys.exit(0 if 0<=v<=1 else 1)" 2>/dev/null && ok "eval $k in [0,1]" || fail "eval $k: $v"
done
# determinism: the same seed gives the same log
$MM grpo $common -o "$T/g1b" --eval-every 2 --eval-n 5 >/dev/null 2>&1
same "same seed, same rewards" "$(cut -d, -f1-4 "$T/g1b/log.jsonl")" "$(cut -d, -f1-4 "$T/g1/log.jsonl")"
# a BPE tokenizer (rl/tokenizer.h): a fresh model takes its vocabulary, checkpoints carry it
if $MM tokenizer train --vocab 300 "$T/arith.jsonl.zst" -o "$T/tok" >/dev/null 2>&1; then
  check "sft with a BPE tokenizer" $MM grpo --algo sft --init new:1,2,32,96 --tokenizer "$T/tok" $TASK --steps 2 --sft-batch 4 -o "$T/bpe"
  check "grpo on it (process supervision)" $MM grpo --init "$T/bpe/final" $TASK --steps 1 --questions 2 --group 2 --max-new-tokens 8 --supervision process -o "$T/bpe2"
  [ -f "$T/bpe2/final/vocab.json" ] && [ -f "$T/bpe2/final/merges.txt" ] && ok "the checkpoint carries the tokenizer" || fail "tokenizer files missing in the checkpoint"
  grep -q '"vocab_size": 300' "$T/bpe2/final/config.json" && ok "model vocabulary = tokenizer's" || fail "vocab_size: $(grep vocab_size "$T/bpe2/final/config.json")"
  eot=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["<|endoftext|>"])' "$T/bpe2/final/vocab.json" 2>/dev/null)
  same "BPE checkpoint: eos_token_id is the tokenizer's end of text" \
    "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get("eos_token_id"))' "$T/bpe2/final/config.json")" "$eot"
  ls -d "$T"/bpe2/final.tmp.* >/dev/null 2>&1 && fail "temp checkpoint left behind" || ok "no temp checkpoint left"
fi

# GSM8K format: short questions fit the tiny model; a long one is a clear error
printf '%s\n' '{"question": "What is 2 plus 3?", "answer": "2+3=<<2+3=5>>5\n#### 5"}' 'not json' \
  '{"question": "What is 4 minus 1?", "answer": "4-1=<<4-1=3>>3\n#### 3"}' > "$T/g.jsonl"
out=$($MM eval --ckpt "$T/sft/final" --task jsonl --test-file "$T/g.jsonl" --max-new-tokens 4 2>"$T/err")
same "jsonl task evaluates" "$(jget n <<<"$out" 2>/dev/null)" 2
grep -q "1 broken" "$T/err" && ok "broken jsonl line counted" || fail "broken line not reported: $(cat "$T/err")"
out=$($MM eval --ckpt "$T/sft/final" --task bench --test-file "$T/g.jsonl" --k 3 --top-k 5 --top-p 0.9 \
      --max-new-tokens 4 2>"$T/err")
same "eval samples with --top-k/--top-p" "$(jget n <<<"$out" 2>/dev/null)" 2
$MM eval --ckpt "$T/sft/final" --task bench --test-file "$T/g.jsonl" --shots 1 >/dev/null 2>"$T/err"
rc=$?; same "--shots without train items exits 1" "$rc" 1
grep -q "1-shot prompting needs 1 train items" "$T/err" && ok "and says why" || fail "message: $(cat "$T/err")"
# training on the test file is refused unless asked for, and warned about when asked for
$MM grpo --init "$T/sft/final" --task bench --test-file "$T/g.jsonl" -o "$T/tot" --steps 1 \
  --questions 1 --group 2 --max-new-tokens 4 >/dev/null 2>"$T/err"
rc=$?; same "grpo on a test file without --train-file exits 2" "$rc" 2
grep -q "training on the test questions" "$T/err" && ok "and says why" || fail "message: $(cat "$T/err")"
$MM grpo --init "$T/sft/final" --task bench --test-file "$T/g.jsonl" --train-file "$T/g.jsonl" \
  -o "$T/tot" --steps 1 --questions 1 --group 2 --max-new-tokens 4 >/dev/null 2>"$T/err"
rc=$?; same "--train-file = --test-file exits 2" "$rc" 2
$MM grpo --init "$T/sft/final" --task bench --test-file "$T/g.jsonl" --train-on-test \
  -o "$T/tot" --steps 1 --questions 1 --group 2 --max-new-tokens 4 >/dev/null 2>"$T/err"
rc=$?; same "--train-on-test runs" "$rc" 0
grep -q "training on .*g.jsonl" "$T/err" && ok "and warns" || fail "no warning: $(cat "$T/err")"
# every benchmark format loads (the evaluation itself: a handful of items)
for f in math500/test.jsonl svamp/SVAMP.json asdiv/ASDiv.xml mmlu_math/abstract_algebra_dev.csv \
         cmath_test/test.jsonl mgsm_zh/mgsm_zh.jsonl agieval/sat-math.jsonl mathqa/test.jsonl; do
  [ -f "$SHARED/benchmarks/$f" ] || continue
  out=$($MM eval --ckpt "$T/sft/final" --task bench --test-file "$SHARED/benchmarks/$f" --n 1 \
        --max-new-tokens 2 --dump "$T/dump.jsonl" 2>"$T/err")
  rc=$?
  if [ $rc = 1 ] && grep -q "does not fit" "$T/err"; then ok "$f loads (question longer than the tiny model's context)"
  else same "$f evaluates" "$(jget n <<<"$out" 2>/dev/null)" 1; fi
done
if [ -f "$SHARED/benchmarks/gsm8k/test.jsonl" ]; then
  $MM eval --ckpt "$T/sft/final" --task jsonl --test-file "$SHARED/benchmarks/gsm8k/test.jsonl" --n 2 2>"$T/err" >/dev/null
  rc=$?; same "GSM8K prompt longer than the context exits 1" "$rc" 1
  grep -q "does not fit" "$T/err" && ok "and says why" || fail "error message: $(cat "$T/err")"
fi
finish
