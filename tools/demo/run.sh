#!/usr/bin/env bash
# make demo — the whole pipeline on a bundled default: runs tools/demo/NN-*.sh in order.
# Each step reads and writes under $DEMO (default demo-out/) and may use what earlier steps made.
set -euo pipefail
cd "$(dirname "$0")/../.."
export MM=$PWD/${MM_BUILD:-build}/mathmine DEMO=${DEMO:-$PWD/demo-out} SRC=$PWD
mkdir -p "$DEMO"
for step in tools/demo/[0-9][0-9]-*.sh; do
  [ -f "$step" ] || continue
  echo "=== demo: $(basename "$step" .sh)"
  bash "$step"
done
echo "=== demo finished; outputs in $DEMO, report in $DEMO/report.html"
