#!/usr/bin/env bash
# demo step 30: the math classifier on the sample web.  Positives are the extracted pages of the
# math sites (tools/sampleweb/sites.tsv, matched by host and URL path, so the mixed site
# docs.openlibs.net contributes its /flint/ section only) plus GSM8K questions as seed text;
# negatives are the pages of the other sites.  A fifth of each is held out and the metrics are
# printed; then every shard of $DEMO/docs is scored, evaluated, and the top pages selected.
# fastText is sized for a few thousand pages (DeepSeekMath's defaults are for 500K documents:
# dim 256, bucket 2M, a 2 GB model).
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
MM=${MM:-$SRC/build/mathmine}
W=$DEMO/classify
mkdir -p "$W"
shopt -s nullglob
docs=("$DEMO"/docs/*.jsonl.zst)
if [ ${#docs[@]} = 0 ]; then echo "30-classify: no extracted documents in $DEMO/docs (run step 20 first)"; exit 1; fi

/usr/bin/python3 - "$SRC" "$W" "${docs[@]}" <<'EOF'
import sys, json, subprocess, os
src, w, shards = sys.argv[1], sys.argv[2], sys.argv[3:]
math = []  # (host, mount, is_math)
for line in open(os.path.join(src, 'tools/sampleweb/sites.tsv')):
    if line.startswith('#') or not line.strip(): continue
    f = line.rstrip('\n').split('\t')
    math.append((f[0], f[1], f[5] == '1'))
def is_math(url):
    best = None
    for host, mount, m in math:
        pre = '://' + host + mount
        if pre in url and (best is None or len(pre) > best[0]): best = (len(pre), m)
    return best[1] if best else False
npos = nneg = 0
with open(w + '/pos.jsonl', 'w') as P, open(w + '/neg.jsonl', 'w') as N:
    for s in shards:
        for line in subprocess.run(['zstd', '-dcq', s], capture_output=True, text=True).stdout.splitlines():
            try: d = json.loads(line)
            except Exception: continue
            if is_math(d.get('url', '')): P.write(line + '\n'); npos += 1
            else: N.write(line + '\n'); nneg += 1
seed = os.path.join(src, '..', 'shared', 'benchmarks', 'gsm8k', 'train.jsonl')
with open(w + '/seed.txt', 'w') as S:
    if os.path.exists(seed):
        for i, line in enumerate(open(seed)):
            if i >= 300: break
            d = json.loads(line); S.write(' '.join((d['question'] + ' ' + d['answer']).split()) + '\n')
print('math-site pages %d, other pages %d' % (npos, nneg))
EOF
opts="--dim 64 --bucket 200000 --epoch 10 --lr 0.5 --min-count 1 --word-ngrams 2 --seed 1"
echo "== train (20% held out)"
"$MM" classify train --pos "$W/pos.jsonl" "$W/seed.txt" --neg "$W/neg.jsonl" -o "$W/model.bin" \
  $opts --valid-frac 0.2 --stats "$W/train.json"
echo "== score every shard"
"$MM" classify score --model "$W/model.bin" --out-dir "$W/scores" --stats "$W/score.json" "${docs[@]}"
echo "== eval (on the training pages: see the held-out line above for the honest numbers)"
"$MM" classify eval --model "$W/model.bin" --pos "$W/pos.jsonl" --neg "$W/neg.jsonl" \
  --svg "$W/pr.svg" --stats "$W/eval.json" --thresholds 0.2,0.5,0.8
echo "== select the top 30% of pages"
"$MM" select --scores "$W"/scores/*.tsv --top-frac 0.3 -o "$W/top.ids" --stats "$W/select.json"
echo "mean score per shard:"
for f in "$W"/scores/*.tsv; do
  awk -F'\t' -v n="$(basename "$f" .scores.tsv)" '{s+=$2; c++} END {if (c) printf "  %-36s %5d pages  mean score %.3f\n", n, c, s/c}' "$f"
done
echo "outputs: $W (model.bin, scores/, pr.svg, top.ids)"
