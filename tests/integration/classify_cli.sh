#!/usr/bin/env bash
# classify_cli — `mathmine classify` and `mathmine select` end to end on real text:
# train on GSM8K/MATH (positives) vs article texts (negatives) with a held-out split, our scores
# equal to the `fasttext predict-prob` command for .bin and .ftz, score files (atomic, skip on
# rerun), eval (metrics, SVG), select (threshold, top fraction, token budget, --docs), and bad
# inputs (foreign / truncated model, one-class data, broken shard lines) failing cleanly.
source "$(dirname "$0")/../lib.sh"

# ---- data: plain text, one document per line, and a document shard ----
$PY - "$SHARED" "$T" <<'EOF'
import json, sys, random
shared, t = sys.argv[1], sys.argv[2]
random.seed(5)
pos = []
for l in open(shared + '/benchmarks/gsm8k/train.jsonl'):
    d = json.loads(l); pos.append(d['question'] + ' ' + d['answer'])
for l in open(shared + '/benchmarks/math/test.jsonl'):
    d = json.loads(l); pos.append(d['problem'] + ' ' + d['solution'])
random.shuffle(pos); pos = pos[:1500]
gt = json.load(open(shared + '/testdata/article-extraction-benchmark/ground-truth.json'))
neg = [p for v in gt.values() for p in v.get('articleBody', '').split('\n\n') if len(p) >= 150]
one = lambda s: ' '.join(s.split())
open(t + '/pos.txt', 'w').write(''.join(one(x) + '\n' for x in pos[:1200]))
open(t + '/neg.txt', 'w').write(''.join(one(x) + '\n' for x in neg[:1200]))
open(t + '/pos_test.txt', 'w').write(''.join(one(x) + '\n' for x in pos[1200:]))
open(t + '/neg_test.txt', 'w').write(''.join(one(x) + '\n' for x in neg[1200:]))
# fastText format input works too
open(t + '/pos.ft', 'w').write(''.join('__label__whatever ' + one(x) + '\n' for x in pos[:50]))
with open(t + '/docs.jsonl', 'w') as f:
    for i, x in enumerate(pos[1200:1300] + neg[1200:1300]):
        f.write(json.dumps({'id': 'd%03d' % i, 'text': x, 'url': 'http://h%d.org/p' % (i % 7),
                            'domain': 'h%d.org' % (i % 7)}) + '\n')
        if i == 10: f.write('{"id": "broken", "text": \n')
EOF
zstd -q "$T/docs.jsonl" -o "$T/docs2.jsonl.zst"

OPTS="--dim 16 --epoch 5 --bucket 20000 -j 1 --seed 2"
check "train with --valid-frac prints held-out metrics" \
  bash -c "'$MM' classify train --pos '$T/pos.txt' '$T/pos.ft' --neg '$T/neg.txt' -o '$T/m.bin' $OPTS --valid-frac 0.2 --quantize --stats '$T/train.json' > '$T/train.out'"
auc=$(sed -n 's/.*roc_auc \([0-9.]*\).*/\1/p' "$T/train.out")
if [ -n "$auc" ] && awk -v a="$auc" 'BEGIN{exit !(a >= 0.95)}'; then ok "held-out ROC-AUC $auc >= 0.95"; else fail "held-out ROC-AUC [$auc]"; cat "$T/train.out"; fi
check ".ftz written by --quantize" test -s "$T/m.ftz"
check "train --stats JSON" grep -q '"valid_roc_auc"' "$T/train.json"

# ---- positives and negatives from list files (--pos-inputs/--neg-inputs: the --inputs reader) ----
printf '# positives\n%s\n\n' "$T/pos.ft" | gzip > "$T/pos.list.gz"
echo "$T/neg.txt" > "$T/neg.list"
check "train --pos-inputs (gzipped, a comment) --neg-inputs" \
  bash -c "'$MM' classify train --pos '$T/pos.txt' --pos-inputs '$T/pos.list.gz' --neg-inputs '$T/neg.list' -o '$T/m_list.bin' $OPTS --valid-frac 0.2 > '$T/train_list.out'"
check "the same model as from the arguments" cmp "$T/m.bin" "$T/m_list.bin"
same "the same held-out metrics" "$(cat "$T/train_list.out")" "$(cat "$T/train.out")"
expect_fail_list() { "$MM" classify train --pos "$T/pos.txt" --neg-inputs "$T/no-such.list" -o "$T/x.bin" $OPTS >/dev/null 2>"$T/list.err"; echo $?; }
same "a missing list file fails (exit 1)" "$(expect_fail_list)" "1"
check "and names it" grep -q "no-such.list" "$T/list.err"
check "--pos-inputs in train --help" bash -c "'$MM' classify train --help | grep -q -- --pos-inputs && '$MM' classify eval --help | grep -q -- --neg-inputs"

# ---- our scorer == the fasttext command ----
cat "$T/pos_test.txt" "$T/neg_test.txt" | "$MM" classify normalize > "$T/norm.txt"
printf 'zzzunknownword\n\n' >> "$T/norm.txt"
for m in m.bin m.ftz; do
  fasttext predict-prob "$T/$m" "$T/norm.txt" 2 > "$T/ft.out"
  "$MM" classify predict --model "$T/$m" --normalized --all "$T/norm.txt" > "$T/ours.out"
  d=$($PY - "$T/ft.out" "$T/ours.out" <<'EOF'
import sys
def parse(f):
    return [{t[i]: float(t[i+1]) for i in range(0, len(t), 2)} for t in (l.split() for l in open(f))]
a, b = parse(sys.argv[1]), parse(sys.argv[2])
if len(a) != len(b): print('count', len(a), len(b)); sys.exit()
m = 0
for x, y in zip(a, b):
    if x:  # fastText prints nothing for a line without known tokens; we print 0
        m = max([m] + [abs(x[k] - y.get(k, 0)) for k in x])
print('%.3g' % m)
EOF
)
  n=$(wc -l < "$T/norm.txt")
  if [ "$($PY -c "print(1 if '$d'.replace('.','',1).replace('e-','',1).isdigit() and float('$d') <= 1e-5 else 0)")" = 1 ]; then
    ok "$m: scores equal fasttext predict-prob on $n docs (max |diff| $d)"
  else fail "$m: max |diff| [$d]"; fi
done

# ---- score files ----
check "score two shards" "$MM" classify score --model "$T/m.bin" --out-dir "$T/scores" -j 2 --stats "$T/score.json" "$T/docs.jsonl" "$T/docs2.jsonl.zst"
same "score file per shard" "$(ls "$T/scores" | tr '\n' ' ')" "docs.scores.tsv docs2.scores.tsv "
same "one line per good document" "$(wc -l < "$T/scores/docs.scores.tsv")" "200"
same "broken lines counted" "$($PY -c "import json;print(json.load(open('$T/score.json'))['bad_lines'])")" "2"
same "5 columns" "$(awk -F'\t' '{print NF}' "$T/scores/docs.scores.tsv" | sort -u)" "5"
cmp -s "$T/scores/docs.scores.tsv" "$T/scores/docs2.scores.tsv" && ok "same scores from .jsonl and .jsonl.zst" || fail "shard formats differ"
touch -d '2000-01-01' "$T/scores/docs.scores.tsv"
"$MM" classify score --model "$T/m.bin" --out-dir "$T/scores" --stats "$T/score2.json" "$T/docs.jsonl" 2>/dev/null
same "rerun skips finished outputs" "$($PY -c "import json;print(json.load(open('$T/score2.json'))['files_skipped'])")" "1"
same "no temp files left" "$(ls "$T/scores" | grep -c tmp)" "0"
# --tokenizer: the tokens column counts the project's BPE (what --top-tokens budgets), not bytes/4
check "tokenizer trained on the shard" "$MM" -q tokenizer train --vocab 400 -o "$T/tok" "$T/docs2.jsonl.zst"
check "score with --tokenizer" "$MM" classify score --model "$T/m.bin" --out-dir "$T/scores-tok" --tokenizer "$T/tok" --stats "$T/score-tok.json" "$T/docs2.jsonl.zst"
zstd -dcq "$T/docs2.jsonl.zst" | head -1 | $PY -c "import json,sys; sys.stdout.write(json.loads(sys.stdin.readline())['text'])" > "$T/first.txt"
want=$("$MM" tokenizer encode --tokenizer "$T/tok" "$T/first.txt" | wc -w)
bytes4=$(( ($(wc -c < "$T/first.txt") + 3) / 4 ))
got=$(head -1 "$T/scores-tok/docs2.scores.tsv" | cut -f5)
[ "$got" = "$want" ] && [ "$got" != "$bytes4" ] && ok "--tokenizer: tokens = \`tokenizer encode\`'s count ($got; bytes/4 $bytes4)" \
  || fail "--tokenizer: tokens (got $got, encode $want, bytes/4 $bytes4)"
same "--tokenizer: scores unchanged" "$(cut -f1-4 "$T/scores-tok/docs2.scores.tsv" | md5sum)" "$(cut -f1-4 "$T/scores/docs2.scores.tsv" | md5sum)"
grep -q '"tokens":"'"$T/tok"'"' "$T/score-tok.json" && ok "--stats names the tokenizer" || fail "--stats names the tokenizer"
good=$(awk -F'\t' '$1 < "d100" && $2 > 0.5' "$T/scores/docs.scores.tsv" | wc -l)
[ "$good" -ge 90 ] && ok "math documents score high ($good/100)" || fail "math documents score high: $good/100"

# ---- eval ----
check "eval" bash -c "'$MM' classify eval --model '$T/m.bin' --pos '$T/pos_test.txt' --neg '$T/neg_test.txt' --svg '$T/pr.svg' --stats '$T/eval.json' --target-precision 0.95 > '$T/eval.out'"
check "eval prints ROC-AUC and the threshold for the target" bash -c "grep -q roc_auc '$T/eval.out' && grep -q 'target precision' '$T/eval.out'"
check "PR curve SVG" grep -q '<svg' "$T/pr.svg"
echo "$T/pos_test.txt" > "$T/pos_test.list"; echo "$T/neg_test.txt" | zstd -q > "$T/neg_test.list.zst"
check "eval --pos-inputs --neg-inputs (a .zst list)" bash -c "'$MM' classify eval --model '$T/m.bin' --pos-inputs '$T/pos_test.list' --neg-inputs '$T/neg_test.list.zst' --target-precision 0.95 > '$T/eval_list.out'"
same "eval from lists = eval from arguments" "$(cat "$T/eval_list.out")" "$(cat "$T/eval.out")"
auc=$($PY -c "import json;print(json.load(open('$T/eval.json'))['roc_auc'])")
awk -v a="$auc" 'BEGIN{exit !(a >= 0.95)}' && ok "eval ROC-AUC $auc" || fail "eval ROC-AUC $auc"

# ---- select ----
check "select --threshold" "$MM" select --scores "$T/scores/docs.scores.tsv" --threshold 0.5 -o "$T/ids.txt" --docs "$T/docs.jsonl" --out-dir "$T/sel" --stats "$T/sel.json"
same "selected ids = rows over the threshold" "$(wc -l < "$T/ids.txt")" "$(awk -F'\t' '$2 >= 0.5' "$T/scores/docs.scores.tsv" | wc -l)"
same "selected docs written" "$(zstd -dc "$T/sel/docs.jsonl.zst" | wc -l)" "$(wc -l < "$T/ids.txt")"
check "select --top-frac" "$MM" select --scores "$T/scores/docs.scores.tsv" --top-frac 0.25 -o "$T/ids2.txt"
same "top 25% of 200" "$(wc -l < "$T/ids2.txt")" "50"
check "select --top-tokens" "$MM" select --scores "$T/scores/docs.scores.tsv" --top-tokens 2000 -o "$T/ids3.txt" --stats "$T/sel3.json"
tok=$($PY -c "import json;d=json.load(open('$T/sel3.json'));print(d['tokens_selected'] >= 2000 and d['selected'] < 200)")
same "token budget reached, not everything" "$tok" "True"

# ---- bad input: clear errors, no crash ----
expect_fail() { # what code cmd...
  local what=$1 code=$2; shift 2
  "$@" > "$T/bad.out" 2>&1; local rc=$?
  if [ "$rc" = "$code" ]; then ok "$what (exit $rc: $(head -c 120 "$T/bad.out" | tr '\n' ' '))"; else fail "$what: exit $rc"; cat "$T/bad.out"; fi
}
echo "hello, I am not a model" > "$T/junk.bin"
expect_fail "non-fastText model" 1 "$MM" classify score --model "$T/junk.bin" --out-dir "$T/x" "$T/docs.jsonl"
expect_fail "--tokenizer: a folder without one" 1 "$MM" classify score --model "$T/m.bin" --out-dir "$T/x" --tokenizer "$T/nothing" "$T/docs.jsonl"
head -c 100000 "$T/m.bin" > "$T/cut.bin"
expect_fail "truncated model" 1 "$MM" classify predict --model "$T/cut.bin" "$T/norm.txt"
expect_fail "truncated model (reference loader)" 1 "$MM" classify predict --reference --model "$T/cut.bin" "$T/norm.txt"
: > "$T/empty.txt"
expect_fail "one-class training data" 1 "$MM" classify train --pos "$T/pos.txt" --neg "$T/empty.txt" -o "$T/x.bin" $OPTS
expect_fail "missing option" 2 "$MM" classify train --pos "$T/pos.txt" -o "$T/x.bin"
expect_fail "two selection modes" 2 "$MM" select --scores "$T/scores/docs.scores.tsv" --threshold 0.5 --top-frac 0.1 -o "$T/x.txt"
check "no model left behind by failed training" test ! -e "$T/x.bin"
check "--help" bash -c "'$MM' classify train --help | grep -q word-ngrams && '$MM' select --help | grep -q top-tokens"
# Issue 19: --bucket 0 with word n-grams (fastText divides by it), shards of one name in two
# folders (each gets its own output), a score file whose token column is negative.
expect_fail "--bucket 0 with word n-grams" 1 "$MM" classify train --pos "$T/pos.txt" --neg "$T/neg.txt" -o "$T/b0.bin" --bucket 0 --word-ngrams 2
check "no model or temp file left by --bucket 0" bash -c "! ls '$T'/b0.bin* 2>/dev/null | grep -q ."
mkdir -p "$T/d1" "$T/d2"; cp "$T/docs.jsonl" "$T/d1/x.jsonl"; head -50 "$T/docs.jsonl" > "$T/d2/x.jsonl"
check "score two shards of one name" "$MM" classify score --model "$T/m.bin" --out-dir "$T/same" "$T/d1/x.jsonl" "$T/d2/x.jsonl"
full=$(wc -l < "$T/scores/docs.scores.tsv")
part=$("$MM" classify score --model "$T/m.bin" --out-dir "$T/part" "$T/d2/x.jsonl" >/dev/null 2>&1; wc -l < "$T/part/x.scores.tsv")
same "each scored into its own file" "$(wc -l "$T"/same/*.scores.tsv | grep -v total | awk '{print $1}' | sort -n | tr '\n' ' ')" "$part $full "
check "select --docs from two shards of one name" "$MM" select --scores "$T"/same/*.scores.tsv --threshold 0 -o "$T/same.ids" --docs "$T/d1/x.jsonl" "$T/d2/x.jsonl" --out-dir "$T/samesel"
same "both shards' documents written" "$(zstd -dc "$T"/samesel/*.jsonl.zst | wc -l) $(ls "$T"/samesel/*.jsonl.zst | wc -l)" "$((part + full)) 2"
printf 'a\t0.9\thttp://x/1\tx\t-4\nb\t0.8\thttp://x/2\tx\t12\n' > "$T/neg.scores.tsv"
"$MM" select --scores "$T/neg.scores.tsv" --top-tokens 10 -o "$T/neg.ids" --stats "$T/neg.json" 2>/dev/null
same "a token count of -4 is a broken row, not 2^64-4" "$($PY -c "import json;d=json.load(open('$T/neg.json'));print(d['tokens_total'], d['bad_lines'])")" "12 1"
finish
