#!/usr/bin/env bash
# bench_pipeline: WARC to clean document shards on one node, end to end, as `mathmine run` runs
# it: extract → URL dedup (map, merge, filter) → exact dedup (map, merge, filter) → MinHash
# (signatures, buckets, clusters, filter) → decontamination against every benchmark in
# ../shared/benchmarks.  Inputs: the sample web (tools/sampleweb/build.sh, the default set,
# built into $SAMPLEWEB = build/sampleweb when missing) plus the real Common Crawl excerpt in
# ../shared.  Per stage, from the run's manifest (OUT/_run/manifest.json, the tasks' rusage):
# CPU seconds, documents per CPU second, MB of WARC input per CPU second (the same WARC bytes
# divided by each stage's CPU time, so the stages add up), CPU-hours per TB of WARC, and the
# CPU-hours projected for a 90,000-file Common Crawl dump at 1.1 GB per WARC file (the dump's
# ~100 TB / 90,000; the sample web's files are far smaller, so the projection goes by bytes).
# A cost per task rather than per byte (decontamination loading its benchmark index, the
# stats' benchmark_load_cpu_s) is taken out of the per-byte rate and projected once per task,
# for 1,000 tasks per stage (Slurm's usual MaxArraySize, 90 WARC files per task).
# Then classification (`classify score` of the clean shards with a small fastText model trained
# before the run on GSM8K text against the article texts of ../shared/testdata: the training
# is not a per-dump cost and is left out) and the token stages: `tokenizer train` (vocabulary
# 8192, a reduce; for a dump it is trained once on a sample, so it is projected as one job of
# the size measured here, not by bytes) and `shard` (llm.c token shards, a reduce).
# PIPELINE_FLOW=attrs (default): the dedup and decontamination filters run over the extracted
# shards writing attribute files and one `apply` writes the clean shards (docs/dedup.md); copy:
# each filter writes a corpus copy that the next one reads.
# Writes $BENCH/pipeline.json (pipeline-copy.json for the copy flow).
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MM=${MM:-$SRC/build/mathmine}
BENCH=${BENCH:-$SRC/build/bench}
PY=/usr/bin/python3
WEB=${SAMPLEWEB:-$SRC/build/sampleweb}
FILE_BYTES=${PIPELINE_FILE_BYTES:-1.1e9}
FLOW=${PIPELINE_FLOW:-attrs} # attrs: filters write attribute files, one apply; copy: each filter writes a copy
OUTJ=$BENCH/pipeline.json; [ "$FLOW" = copy ] && OUTJ=$BENCH/pipeline-copy.json
W=$BENCH/pipeline-work
export MM_NO_PROGRESS=1
cores=$(nproc)

ls "$WEB"/*.warc.gz >/dev/null 2>&1 || bash "$SRC/tools/sampleweb/build.sh" "$WEB" --quiet
rm -rf "$W"
mkdir -p "$W"
ls "$WEB"/*.warc.gz >"$W/warcs.txt"
CC=$SRC/../shared/testdata/chatnoir-resiliparse/tests/data/warcfile.warc.gz
[ -f "$CC" ] && echo "$CC" >>"$W/warcs.txt"
# the classifier the classify stage scores with (small: the bench measures scoring, not training)
$PY - "$SRC/../shared" "$W" <<'PYEOF2'
import json, sys
shared, w = sys.argv[1], sys.argv[2]
with open(w + "/pos.txt", "w") as f:
    for i, line in enumerate(open(shared + "/benchmarks/gsm8k/train.jsonl")):
        if i >= 3000: break
        d = json.loads(line)
        f.write(" ".join((d["question"] + " " + d["answer"]).split()) + "\n")
gt = json.load(open(shared + "/testdata/article-extraction-benchmark/ground-truth.json"))
with open(w + "/neg.txt", "w") as f:
    for v in gt.values():
        f.write(" ".join(v["articleBody"].split()) + "\n")
PYEOF2
$MM classify train --pos "$W/pos.txt" --neg "$W/neg.txt" -o "$W/model.bin" --dim 64 --bucket 200000 \
  --epoch 5 --lr 0.5 --min-count 1 --word-ngrams 2 --seed 1 -j "$cores" 2>"$W/train.log" \
  || { tail -5 "$W/train.log"; exit 1; }
cat >"$W/pipeline.ini" <<INI
out = $W/out
tasks = $cores
[extract]
map = extract -j 1 -o {out}/docs
inputs = $W/warcs.txt
[url-map]
map = dedup url --stage map -j 1 --work {out}/url-work
inputs = {out}/docs/*.jsonl.zst
[url-merge]
reduce = dedup url --stage merge --work {out}/url-work
inputs = {out}/docs/*.jsonl.zst
INI
if [ "$FLOW" = copy ]; then
cat >>"$W/pipeline.ini" <<INI
[url-filter]
map = dedup url --stage filter -j 1 --work {out}/url-work --out-dir {out}/url
inputs = {out}/docs/*.jsonl.zst
[exact-map]
map = dedup exact --stage map -j 1 --work {out}/exact-work
inputs = {out}/url/*.jsonl.zst
[exact-merge]
reduce = dedup exact --stage merge --work {out}/exact-work
inputs = {out}/url/*.jsonl.zst
[exact-filter]
map = dedup exact --stage filter -j 1 --work {out}/exact-work --out-dir {out}/exact
inputs = {out}/url/*.jsonl.zst
[minhash-sig]
map = dedup minhash signatures -j 1 --work {out}/mh
inputs = {out}/exact/*.jsonl.zst
[minhash-buckets]
reduce = dedup minhash buckets --work {out}/mh
[minhash-clusters]
reduce = dedup minhash clusters --work {out}/mh
[minhash-filter]
map = dedup minhash filter -j 1 --work {out}/mh --out-dir {out}/near
inputs = {out}/exact/*.jsonl.zst
[decontaminate]
map = decontaminate -j 1 --bench-dir $SRC/../shared/benchmarks --out-dir {out}/clean
inputs = {out}/near/*.jsonl.zst
INI
else # the attribute flow: every filter over the extracted shards, one apply
cat >>"$W/pipeline.ini" <<INI
[url-filter]
map = dedup url --stage filter -j 1 --work {out}/url-work --attrs {out}/attrs
inputs = {out}/docs/*.jsonl.zst
[exact-map]
map = dedup exact --stage map -j 1 --work {out}/exact-work --attrs {out}/attrs
inputs = {out}/docs/*.jsonl.zst
[exact-merge]
reduce = dedup exact --stage merge --work {out}/exact-work --attrs {out}/attrs
inputs = {out}/docs/*.jsonl.zst
[exact-filter]
map = dedup exact --stage filter -j 1 --work {out}/exact-work --attrs {out}/attrs
inputs = {out}/docs/*.jsonl.zst
[minhash-sig]
map = dedup minhash signatures -j 1 --work {out}/mh --attrs {out}/attrs
inputs = {out}/docs/*.jsonl.zst
[minhash-buckets]
reduce = dedup minhash buckets --work {out}/mh --attrs {out}/attrs
[minhash-clusters]
reduce = dedup minhash clusters --work {out}/mh --attrs {out}/attrs
[minhash-filter]
map = dedup minhash filter -j 1 --work {out}/mh --attrs {out}/attrs
inputs = {out}/docs/*.jsonl.zst
[decontaminate]
map = decontaminate -j 1 --bench-dir $SRC/../shared/benchmarks --attrs {out}/attrs
inputs = {out}/docs/*.jsonl.zst
[apply]
map = apply -j 1 --attrs {out}/attrs -o {out}/clean
inputs = {out}/docs/*.jsonl.zst
INI
fi
cat >>"$W/pipeline.ini" <<INI
[classify]
map = classify score -j 1 --model $W/model.bin --out-dir {out}/scores
inputs = {out}/clean/*.jsonl.zst
[tokenizer]
reduce = tokenizer train --vocab 8192 --min-freq 1 -j 1 -o {out}/tokenizer
inputs = {out}/clean/*.jsonl.zst
[shard]
reduce = shard --tokenizer {out}/tokenizer --val-frac 0.05 --seed 1 -o {out}/tokens
inputs = {out}/clean/*.jsonl.zst
INI
t0=$(date +%s.%N)
$MM run "$W/pipeline.ini" -j "$cores" 2>"$W/run.log" || { tail -20 "$W/run.log"; exit 1; }
t1=$(date +%s.%N)
$MM run "$W/pipeline.ini" --cost --file-bytes "$FILE_BYTES" >"$W/cost.txt"

$PY - "$W/out/_run/manifest.json" "$W/out/clean" "$OUTJ" "$cores" \
    "$(echo "$t1 - $t0" | bc)" "$FILE_BYTES" "$FLOW" <<'PYEOF'
import glob, json, subprocess, sys
m = json.load(open(sys.argv[1]))
clean, out, cores, wall, fb = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
c = m["cost"]
warc_mb = c["warc_bytes"] / 1e6
files = c["warc_files"]
docs_in = m["stages"][0]["docs"]
clean_docs = sum(int(subprocess.run("zstd -dc %s | wc -l" % f, shell=True, capture_output=True,
                                    text=True).stdout) for f in glob.glob(clean + "/*.jsonl.zst"))
TASKS = 1000
ONCE = {"tokenizer"}  # trained once, on a sample: one job of the size measured here
def project(var_s, fixed_per_task_s, tasks=TASKS):
    return (var_s / c["warc_bytes"] * fb * 90000 + fixed_per_task_s * tasks) / 3600
def docs_of(s):  # the manifest's docs_in/docs/html, else the token stages' own counts
    if s["docs"]: return s["docs"]
    st = [k.get("stats") or {} for k in s["task_markers"]]
    return sum(x.get("documents", x.get("texts", 0)) for x in st)
rows, total_cpu, total_proj = [], 0.0, 0.0
for s in m["stages"]:
    cpu = s["cpu_s"]
    s["docs"] = docs_of(s)
    fixed = sum((k.get("stats") or {}).get("benchmark_load_cpu_s", 0) for k in s["task_markers"])
    if s["name"] in ONCE: fixed = cpu
    fixed = min(fixed, cpu)
    var = cpu - fixed
    proj = project(var, fixed / max(1, len(s["task_markers"])), 1 if s["name"] in ONCE else TASKS)
    total_cpu += cpu
    total_proj += proj
    rate = var if var > 0 else cpu  # the tokenizer: all of it is the one job's cost
    rows.append({"stage": s["name"], "tasks": s["tasks"], "cpu_s": round(cpu, 3),
                 "fixed_cpu_s": round(fixed, 3), "docs": s["docs"],
                 "docs_per_cpu_s": round(s["docs"] / rate, 1) if rate > 0 else 0,
                 "warc_mb_per_cpu_s": round(warc_mb / rate, 2) if rate > 0 else 0,
                 "cpu_hours_per_tb": round(var / 3600 / (c["warc_bytes"] / 1e12), 2),
                 "projected_cpu_hours": round(proj)})
var_total = sum(r["cpu_s"] - r["fixed_cpu_s"] for r in rows)
total = {"cpu_s": round(total_cpu, 3), "docs_per_cpu_s": round(docs_in / var_total, 1),
         "warc_mb_per_cpu_s": round(warc_mb / var_total, 2),
         "cpu_hours_per_tb": round(var_total / 3600 / (c["warc_bytes"] / 1e12), 2),
         "projected_cpu_hours": round(total_proj),
         "wall_s": round(wall, 1), "warc_mb_per_s_wall": round(warc_mb / wall, 2)}
print("\n%d WARC files, %.1f MB; %d HTML pages in, %d clean documents out; %d cores, %.1f s wall; %s flow"
      % (files, warc_mb, docs_in, clean_docs, cores, wall, sys.argv[7]))
print("%-18s %6s %9s %9s %12s %13s %10s %16s" % ("stage", "tasks", "CPU s", "docs", "docs/CPU-s",
                                                 "WARC MB/CPU-s", "CPU-h/TB", "90k-dump CPU-h"))
for r in rows + [dict(total, stage="total", tasks="", docs=docs_in)]:
    print("%-18s %6s %9.2f %9d %12.1f %13.2f %10.1f %16.0f" % (r["stage"], r["tasks"], r["cpu_s"], r["docs"],
          r["docs_per_cpu_s"], r["warc_mb_per_cpu_s"], r["cpu_hours_per_tb"], r["projected_cpu_hours"]))
print("(rates without per-task costs: decontamination's benchmark index load and the tokenizer's"
      " training, %.2f CPU s here;" % sum(r["fixed_cpu_s"] for r in rows))
print(" projection: 90,000 WARC files of %.3g bytes by WARC bytes, plus per-task costs x %d tasks;"
      " the tokenizer once)" % (fb, TASKS))
def part(names):  # WARC -> clean documents, and WARC -> token shards
    sel = [r for r in rows if r["stage"] in names]
    var = sum(r["cpu_s"] - r["fixed_cpu_s"] for r in sel)
    return {"cpu_s": round(sum(r["cpu_s"] for r in sel), 3), "warc_mb_per_cpu_s": round(warc_mb / var, 2) if var else 0,
            "docs_per_cpu_s": round(docs_in / var, 1) if var else 0, "projected_cpu_hours": round(sum(r["projected_cpu_hours"] for r in sel))}
names = [r["stage"] for r in rows]
last = "apply" if "apply" in names else "decontaminate"
to_clean = part(names[:names.index(last) + 1]) if last in names else {}
if to_clean:
    print("WARC -> clean documents: %.2f WARC MB/CPU-s, %.1f docs/CPU-s, %d CPU-h projected; "
          "WARC -> token shards (all stages): %.2f WARC MB/CPU-s, %d CPU-h"
          % (to_clean["warc_mb_per_cpu_s"], to_clean["docs_per_cpu_s"], to_clean["projected_cpu_hours"],
             total["warc_mb_per_cpu_s"], total["projected_cpu_hours"]))
json.dump({"flow": sys.argv[7], "cores": cores, "warc_files": files, "warc_mb": round(warc_mb, 2), "docs_in": docs_in,
           "clean_docs": clean_docs, "assumed_file_bytes": fb, "dump_files": 90000, "tasks_per_stage": TASKS,
           "stages": rows, "total": total, "warc_to_clean_docs": to_clean}, open(out, "w"), indent=1)
PYEOF
echo "wrote $OUTJ"
