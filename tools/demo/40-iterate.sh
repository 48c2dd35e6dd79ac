#!/usr/bin/env bash
# demo step 40: DeepSeekMath's iterative collection on the sample web.  As in the paper, the pool
# is deduplicated first: one page per normalised URL (dedup url), then near-duplicates removed
# (dedup minhash) -> $DEMO/pool/near/.  Seeded with one math site (mpmath's documentation),
# iterate recalls math pages from that pool with the paper's settings (fastText dim 256, lr 0.1,
# word n-grams 3, minCount 3, and lr 0.5 while the seed is too small for the paper's 3 epochs
# (--small-lr); host domains, the 10% domain rule with its 1.5x-the-pool's-share lift, pages by
# threshold 0.5),
# expands by domain-level recall and stops by its rules.  Then the collected pages of the last
# iteration are copied to $DEMO/collected/ for the next steps.
# DEMO_ITER_ARGS adds options (e.g. "--dim 64 --bucket 200000" for a smaller, faster model).
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
MM=${MM:-$SRC/build/mathmine}
W=$DEMO/iterate
P=$DEMO/pool
shopt -s nullglob
docs=("$DEMO"/docs/*.jsonl.zst)
[ ${#docs[@]} -gt 0 ] || { echo "40-iterate: no shards in $DEMO/docs (step 20 makes them)" >&2; exit 1; }
"$MM" -q dedup url --out-dir "$P/url" --work "$P/url-work" "${docs[@]}"
"$MM" -q dedup minhash all --out-dir "$P/near" --work "$P/near-work" "$P"/url/*.jsonl.zst
echo "40-iterate: pool of $(zstd -dcq "$P"/near/*.jsonl.zst | wc -l) pages after URL and near-dedup ($(zstd -dcq "${docs[@]}" | wc -l) extracted)"
seed=$(ls "$DEMO"/docs/mpmath*.jsonl.zst)
# shellcheck disable=SC2086
"$MM" iterate --positives "$seed" --pool "$P/near" --work-dir "$W" --seed 1 ${DEMO_ITER_ARGS:-}
last=$(cd "$W" && ls -d iter-* | grep -v tmp | sed 's/iter-//' | sort -n | tail -1)
"$MM" -q select --scores "$W/iter-$last"/scores/*.tsv --threshold 0.5 -o "$DEMO/collected.ids" \
  --docs "$P"/near/*.jsonl.zst --out-dir "$DEMO/collected" --force
echo "collected pages per site (iteration $last):"
cut -f1-4 "$W/iter-$last/domains.tsv" | column -t
echo "report: $W/report.md   plot: $W/growth.svg"
