#!/usr/bin/env bash
# bench_extract_survival: formula survival of `mathmine extract` (defaults) on the math sites of
# the demo's sample web (the default set's hosts with a math section in sites.tsv, built into
# build/sampleweb and reused when there): of the formulas tools/survival/count.py finds in the
# raw HTML, per site and per form, the share found in the extracted text, each loss marked
# content (dropped by content selection) or math_pass (lost with --keep-boilerplate too), and the
# worst pages with lost formulas.  `make bench BENCH_ONLY=extract` runs it after bench_extract.sh.
# Writes $BENCH/extract_survival.json.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MM=${MM:-$SRC/build/mathmine}
BENCH=${BENCH:-$SRC/build/bench}
WEB=${SAMPLEWEB:-$SRC/build/sampleweb}
PY=/usr/bin/python3
mkdir -p "$BENCH"
hosts=$(awk -F'\t' '!/^#/ && NF >= 9 && $6 == 1 && $8 != "-" && !s[$1]++ { printf "%s%s", n++ ? "," : "", $1 }' \
  "$SRC/tools/sampleweb/sites.tsv")
bash "$SRC/tools/sampleweb/build.sh" "$WEB" --sites "$hosts" --quiet
t0=$(date +%s)
$PY "$SRC/tools/survival/count.py" --mathmine "$MM" --diagnose --worst 15 \
  --json "$BENCH/extract_survival.json" "$WEB"
echo "extracted, counted and diagnosed in $(( $(date +%s) - t0 )) s; $BENCH/extract_survival.json"
