#!/usr/bin/env bash
# demo step 50: dedup and decontaminate the collected corpus into $DEMO/clean/, as a pipeline
# runs it (the attribute flow, docs/dedup.md): each filter lists the documents it drops in
# attribute files, $DEMO/dedup/attrs/<stem>.<tag>.attrs.tsv, reading the earlier filters'
# files so that it sees what they kept; then one `apply` writes the clean shards, the only
# copy of the corpus this step makes.
#   input: $DEMO/collected/ (the iterate step's collected set) when it exists, else $DEMO/docs/
#   1. URL dedup      -> url_dup      (one document per normalised URL)
#   2. exact dedup    -> exact_dup    (one document per normalised text)
#   3. MinHash-LSH    -> minhash_dup  (near-duplicates, 14 bands x 8 rows)
#   4. decontaminate  -> contaminated:<benchmark>; the removed documents and the report in
#                        $DEMO/dedup/ (decontam-removed.jsonl.zst, decontam-report.json)
#   5. apply          -> $DEMO/clean/*.jsonl.zst
# against every benchmark in ../shared/benchmarks (presets), plus the files in $DEMO_BENCH
# (space-separated --bench SPECs, e.g. DEMO_BENCH="mine=/data/q.jsonl@question,answer").
# A rerun starts over (the attribute files hold ids of the shards they were made from).
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
A=$D/attrs
echo "dedup: ${#in[@]} shards from $src (attribute files in $A)"
rm -rf "$A" "$DEMO/clean"
benches=()
[ -d "$BENCHDIR" ] && benches+=(--bench-dir "$BENCHDIR")
for spec in ${DEMO_BENCH:-}; do benches+=(--bench "$spec"); done
if [ ${#benches[@]} = 0 ]; then
  echo "50-dedup: no benchmarks found ($BENCHDIR missing, DEMO_BENCH empty)" >&2
  exit 1
fi
$MM dedup url --attrs "$A" --stats "$D/url.json" "${in[@]}"
$MM dedup exact --attrs "$A" --stats "$D/exact.json" "${in[@]}"
$MM dedup minhash all --attrs "$A" --stats "$D/minhash.json" "${in[@]}"
$MM decontaminate "${benches[@]}" --attrs "$A" --removed "$D/decontam-removed.jsonl.zst" \
  --report "$D/decontam-report.json" --stats "$D/decontam.json" "${in[@]}"
$MM apply --attrs "$A" -o "$DEMO/clean" --stats "$D/apply.json" "${in[@]}"
/usr/bin/python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
u, e, m, c, a = (json.load(open("%s/%s.json" % (d, n))) for n in ("url", "exact", "minhash", "decontam", "apply"))
r = json.load(open(d + "/decontam-report.json"))
print("dedup: %d docs -> url %d removed -> exact %d removed -> minhash %d removed (%d clusters) -> "
      "decontamination %d removed -> apply: %d clean documents in clean/"
      % (u["map"]["docs"], u["filter"]["removed"], e["filter"]["removed"], m["filter"]["removed"],
         m["clusters"]["clusters"], c["docs_removed"], a["docs_kept"]))
for b in r["benchmarks"]:
    if b["items_found"]: print("  contaminated by %s (%s): %d items" % (b["name"], b["file"].split("/")[-1], b["items_found"]))
PY
