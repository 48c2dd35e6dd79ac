#!/usr/bin/env bash
# make bench — runs tools/bench/bench_*.sh; each prints its table and writes build/bench/NAME.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
export MM=$PWD/${MM_BUILD:-build}/mathmine SRC=$PWD BENCH=$PWD/${MM_BUILD:-build}/bench
mkdir -p "$BENCH"
for b in tools/bench/bench_*.sh; do
  [ -f "$b" ] || continue
  if [ -n "${BENCH_ONLY:-}" ] && [[ "$b" != *$BENCH_ONLY* ]]; then continue; fi
  echo "=== bench: $(basename "$b" .sh)"
  bash "$b"
done
