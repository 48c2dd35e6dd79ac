#!/usr/bin/env bash
# demo step 50: dedup and decontaminate the collected corpus into $DEMO/clean/.
#   input: $DEMO/collected/ (the iterate step's collected set) when it exists, else $DEMO/docs/
#   1. URL dedup      -> $DEMO/dedup/url/      (one document per normalised URL)
#   2. exact dedup    -> $DEMO/dedup/exact/    (one document per normalised text)
#   3. MinHash-LSH    -> $DEMO/dedup/minhash/  (near-duplicates, 14 bands x 8 rows)
#   4. decontaminate  -> $DEMO/clean/*.jsonl.zst, removed documents and the report in
#                        $DEMO/dedup/ (decontam-removed.jsonl.zst, decontam-report.json)
# against every benchmark in ../shared/benchmarks (presets), plus the files in $DEMO_BENCH
# (space-separated --bench SPECs, e.g. DEMO_BENCH="mine=/data/q.jsonl@question,answer").
# A rerun redoes the steps whose inputs changed (each stage skips its finished outputs).
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
MM=${MM:-$SRC/build/mathmine}
BENCHDIR=${DEMO_BENCH_DIR:-$SRC/../shared/benchmarks}

src=""
for d in "$DEMO/collected" "$DEMO/docs"; do
  if [ -d "$d" ] && [ -n "$(find "$d" -maxdepth 1 -name '*.jsonl.zst' | head -1)" ]; then src=$d; break; fi
done
if [ -z "$src" ]; then
  echo "50-dedup: no document shards in $DEMO/collected or $DEMO/docs yet (the extract step makes them); skipped"
  exit 0
fi
mapfile -t in < <(find "$src" -maxdepth 1 -name '*.jsonl.zst' -type f | sort)
D=$DEMO/dedup
echo "dedup: ${#in[@]} shards from $src"
$MM dedup url --out-dir "$D/url" --stats "$D/url.json" "${in[@]}"
mapfile -t in < <(find "$D/url" -maxdepth 1 -name '*.jsonl.zst' -type f | sort)
$MM dedup exact --out-dir "$D/exact" --stats "$D/exact.json" "${in[@]}"
mapfile -t in < <(find "$D/exact" -maxdepth 1 -name '*.jsonl.zst' -type f | sort)
$MM dedup minhash all --out-dir "$D/minhash" --stats "$D/minhash.json" "${in[@]}"
mapfile -t in < <(find "$D/minhash" -maxdepth 1 -name '*.jsonl.zst' -type f | sort)

benches=()
[ -d "$BENCHDIR" ] && benches+=(--bench-dir "$BENCHDIR")
for spec in ${DEMO_BENCH:-}; do benches+=(--bench "$spec"); done
if [ ${#benches[@]} = 0 ]; then
  echo "50-dedup: no benchmarks found ($BENCHDIR missing, DEMO_BENCH empty)" >&2
  exit 1
fi
rm -rf "$DEMO/clean"
$MM decontaminate "${benches[@]}" --out-dir "$DEMO/clean" --removed "$D/decontam-removed.jsonl.zst" \
  --report "$D/decontam-report.json" --stats "$D/decontam.json" "${in[@]}"
/usr/bin/python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
u, e, m, c = (json.load(open("%s/%s.json" % (d, n))) for n in ("url", "exact", "minhash", "decontam"))
r = json.load(open(d + "/decontam-report.json"))
print("dedup: %d docs -> url %d removed -> exact %d removed -> minhash %d removed (%d clusters) -> "
      "decontamination %d removed -> %d clean documents in clean/"
      % (u["map"]["docs"], u["filter"]["removed"], e["filter"]["removed"], m["filter"]["removed"],
         m["clusters"]["clusters"], c["docs_removed"], c["docs_in"] - c["docs_removed"]))
for b in r["benchmarks"]:
    if b["items_found"]: print("  contaminated by %s (%s): %d items" % (b["name"], b["file"].split("/")[-1], b["items_found"]))
PY
