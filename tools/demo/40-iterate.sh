#!/usr/bin/env bash
# demo step 40: DeepSeekMath's iterative collection on the sample web — seeded with one math site
# (mpmath's documentation), recall math pages from every extracted page ($DEMO/docs), expand by
# domain-level recall, stop when an iteration collects (almost) nothing new.  Then the collected
# pages of the last iteration are copied to $DEMO/collected/ for the next steps.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
MM=${MM:-$SRC/build/mathmine}
W=$DEMO/iterate
seed=$(ls "$DEMO"/docs/mpmath*.jsonl.zst)
# fastText sized for a few thousand pages (DeepSeekMath's defaults are for 500K documents).
"$MM" iterate --positives "$seed" --pool "$DEMO/docs" --work-dir "$W" --seed 1 \
  --dim 64 --bucket 200000 --epoch 20 --lr 0.5 --min-count 1 --word-ngrams 1 \
  --domain-min-pages 5 --max-iter 6
last=$(cd "$W" && ls -d iter-* | grep -v tmp | sed 's/iter-//' | sort -n | tail -1)
"$MM" -q select --scores "$W/iter-$last"/scores/*.tsv --threshold 0.5 -o "$DEMO/collected.ids" \
  --docs "$DEMO"/docs/*.jsonl.zst --out-dir "$DEMO/collected" --force
echo "collected pages per site (iteration $last):"
cut -f1-4 "$W/iter-$last/domains.tsv" | column -t
echo "report: $W/report.md   plot: $W/growth.svg"
