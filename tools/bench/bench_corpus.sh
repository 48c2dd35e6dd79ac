#!/usr/bin/env bash
# bench_corpus: what the mining buys (DeepSeekMath §2.2 at toy scale, docs/corpus_eval.md).
# The sample web (tools/sampleweb, the demo's default set) is extracted and deduplicated into a
# pool; `mathmine iterate` mines the math corpus out of it; the pages of the pool's non-math
# sites that it did not collect are the non-math corpus.  Both are decontaminated against ../shared/benchmarks, one BPE
# tokenizer is trained on both, each becomes token shards, and the same GPT-2 (same config,
# seed and steps, so the same number of training tokens, fewer than either corpus holds) is
# pretrained on each.  Every checkpoint is scored with `mathmine eval --loss` on the worked
# solutions of GSM8K and MATH500 (bits per byte, nats per token; conditioned on the question)
# and with greedy zero-shot accuracy on GSM8K.  Prints a table (mean ± sd over the seeds) and
# writes $BENCH/corpus.json.
# Knobs (environment): CORPUS_SEEDS ("1 2 3"), CORPUS_STEPS (300), CORPUS_CONFIG
# (layers=4,heads=4,dim=128,ctx=256), CORPUS_BATCH (8), CORPUS_VOCAB (4096), CORPUS_EVAL_N
# (200 items per benchmark), CORPUS_ACC_N (100 GSM8K questions for accuracy; 0 = skip),
# CORPUS_WEB (a folder of sample-web WARCs to reuse instead of building one), CORPUS_SET
# (default | small: the sample-web set to build), CORPUS_TAG (a suffix for the runs folder and
# the JSON, to keep runs of other settings: CORPUS_TAG=-long -> runs-long/, corpus-long.json).
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MM=${MM:-$SRC/build/mathmine}
BENCH=${BENCH:-$SRC/build/bench}
W=$BENCH/corpus-work
SEEDS=${CORPUS_SEEDS:-1 2 3}
STEPS=${CORPUS_STEPS:-300}
CONFIG=${CORPUS_CONFIG:-layers=4,heads=4,dim=128,ctx=256}
BATCH=${CORPUS_BATCH:-8}
VOCAB=${CORPUS_VOCAB:-4096}
EVAL_N=${CORPUS_EVAL_N:-200}
ACC_N=${CORPUS_ACC_N:-100}
SET=${CORPUS_SET:-default}
TAG=${CORPUS_TAG:-}
BM=$SRC/../shared/benchmarks
PY=/usr/bin/python3
export MM_NO_PROGRESS=1
mkdir -p "$W"
t_start=$(date +%s)
lap() { echo "  [$(( $(date +%s) - t_start )) s] $*"; }

# 1. the sample web and its pool (URL dedup + near-dedup), as demo steps 10, 20 and 40 make it
web=${CORPUS_WEB:-$W/web}
if [ -z "${CORPUS_WEB:-}" ]; then
  flag=(); [ "$SET" = small ] && flag=(--small)
  bash "$SRC/tools/sampleweb/build.sh" "$web" "${flag[@]}" --quiet
fi
"$MM" -q extract -o "$W/docs" "$web"/*.warc.gz
"$MM" -q dedup url --out-dir "$W/pool/url" --work "$W/pool/url-work" "$W"/docs/*.jsonl.zst
"$MM" -q dedup minhash all --out-dir "$W/pool/near" --work "$W/pool/near-work" "$W"/pool/url/*.jsonl.zst
lap "pool: $(zstd -dcq "$W"/pool/near/*.jsonl.zst | wc -l) pages"

# 2. mining: iterate from one math site's pages (the demo's seed) with every threshold at its
#    default and the small fastText model of tests/integration/iterate_e2e.sh (at the paper's
#    fastText settings a seed of 37 pages collects the whole sample web, README "Measured");
#    the last iteration's collection at threshold 0.5 is the math corpus; the pages of the
#    non-math sites (tools/sampleweb/sites.tsv) that it did not collect are the non-math one
#    (the math-site pages it missed go to neither)
if [ ! -f "$W/mined.ids" ]; then
  "$MM" -q iterate --positives "$W"/docs/mpmath*.jsonl.zst --pool "$W/pool/near" --work-dir "$W/iterate" \
    --seed 1 --max-iter 5 --dim 32 --bucket 100000 --epoch 30 --lr 1 --min-count 1 --word-ngrams 1 \
    --min-updates 0
  last=$(cd "$W/iterate" && ls -d iter-* | grep -v tmp | sed 's/iter-//' | sort -n | tail -1)
  "$MM" -q select --scores "$W/iterate/iter-$last"/scores/*.tsv --threshold 0.5 -o "$W/mined.ids.tmp" --force
  mv "$W/mined.ids.tmp" "$W/mined.ids"
fi
rm -rf "$W/split" && mkdir -p "$W/split/math" "$W/split/other"
$PY - "$SRC/tools/sampleweb/sites.tsv" "$W/mined.ids" "$W/split" "$W"/pool/near/*.jsonl.zst <<'PY'
import json, subprocess, sys
# which sections of the sample web are math (sites.tsv: host, mount, ..., math flag)
sections = []
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip(): continue
    f = line.rstrip("\n").split("\t")
    sections.append(("://" + f[0] + f[1], f[5] == "1"))
def math_site(url):
    best = max((p for p in sections if p[0] in url), key=lambda p: len(p[0]), default=None)
    return bool(best and best[1])
ids = set(l.split("\t")[0].strip() for l in open(sys.argv[2]) if l.strip())
out = {k: subprocess.Popen(["zstd", "-qc", "-o", "%s/%s/part.jsonl.zst" % (sys.argv[3], k)],
                           stdin=subprocess.PIPE) for k in ("math", "other")}
n = {"mined_math_site": 0, "mined_other_site": 0, "other": 0, "left_out": 0}
for shard in sys.argv[4:]:
    for line in subprocess.run(["zstd", "-dcq", shard], stdout=subprocess.PIPE, check=True).stdout.splitlines():
        d = json.loads(line); m = math_site(d.get("url", ""))
        if d["id"] in ids:
            out["math"].stdin.write(line + b"\n"); n["mined_math_site" if m else "mined_other_site"] += 1
        elif not m:
            out["other"].stdin.write(line + b"\n"); n["other"] += 1
        else:
            n["left_out"] += 1
for p in out.values(): p.stdin.close(); p.wait()
json.dump(n, open(sys.argv[3] + "/split.json", "w"))
print("  mined math corpus: %d pages (%d from math sites, %d from the others); non-math corpus: %d pages "
      "of the non-math sites not mined; %d math-site pages not mined are in neither"
      % (n["mined_math_site"] + n["mined_other_site"], n["mined_math_site"], n["mined_other_site"],
         n["other"], n["left_out"]))
PY

# 3. decontaminate each against every benchmark, one tokenizer on both, token shards of each
for k in math other; do
  rm -rf "$W/clean/$k"
  "$MM" -q decontaminate --bench-dir "$BM" --out-dir "$W/clean/$k" "$W/split/$k"/*.jsonl.zst
done
"$MM" -q tokenizer train --vocab "$VOCAB" --min-freq 1 --force "$W"/clean/math/*.jsonl.zst \
  "$W"/clean/other/*.jsonl.zst -o "$W/tok"
for k in math other; do
  "$MM" -q shard --tokenizer "$W/tok" --val-tokens 20000 --seed 1 --force "$W/clean/$k"/*.jsonl.zst \
    -o "$W/tokens/$k"
done
lap "tokenizer and shards done"

# 4. the same model, seed and steps on each corpus; then loss on benchmark solutions
train_tokens=$(( STEPS * BATCH * $(echo "$CONFIG" | sed -E 's/.*ctx=([0-9]+).*/\1/') ))
for k in math other; do
  have=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_tokens"])' "$W/tokens/$k/shards.json")
  [ "$have" -ge "$train_tokens" ] || echo "  note: the $k corpus holds $have training tokens, fewer than the $train_tokens a run reads (it wraps around)"
done
evals=(gsm8k:"$BM/gsm8k/test.jsonl" math500:"$BM/math500/test.jsonl")
for seed in $SEEDS; do
  for k in math other; do
    R=$W/runs$TAG/$k-s$seed
    "$MM" -q pretrain --data "$W/tokens/$k/train_*.bin" --val "$W/tokens/$k/val_*.bin" --tokenizer "$W/tok" \
      --config "$CONFIG" --batch "$BATCH" --steps "$STEPS" --lr 2e-3 --warmup $(( STEPS / 20 + 1 )) \
      --seed "$seed" --val-every "$STEPS" --val-batches 8 --ckpt-every "$STEPS" --log-every "$STEPS" \
      --out "$R" --force --stats "$R.pretrain.json" >/dev/null
    for e in "${evals[@]}"; do
      name=${e%%:*} file=${e#*:}
      "$MM" eval --loss --ckpt "$R" --task bench --test-file "$file" --n "$EVAL_N" > "$R.loss-$name.json"
    done
    if [ "$ACC_N" -gt 0 ]; then
      "$MM" eval --ckpt "$R" --task bench --test-file "$BM/gsm8k/test.jsonl" --n "$ACC_N" \
        --max-new-tokens 48 --last-number > "$R.acc-gsm8k.json"
    fi
    lap "seed $seed, $k corpus: trained and evaluated"
  done
done

# 5. the table
$PY - "$W" "$BENCH/corpus$TAG.json" "$TAG" "$SEEDS" "$STEPS" "$CONFIG" "$BATCH" "$train_tokens" "$(( $(date +%s) - t_start ))" <<'PY'
import json, math, os, statistics, sys
w, out, tag, seeds, steps, config, batch, train_tokens, secs = sys.argv[1:]
seeds = seeds.split()
def ms(v):
    m = statistics.mean(v); s = statistics.stdev(v) if len(v) > 1 else 0.0
    return m, s
def load(p):
    return json.load(open(p)) if os.path.exists(p) else None
res = {"steps": int(steps), "config": config, "batch": int(batch), "train_tokens": int(train_tokens),
       "seeds": [int(s) for s in seeds], "seconds": int(secs), "corpora": {},
       "split": json.load(open(w + "/split/split.json"))}
for k in ("math", "other"):
    sh = json.load(open("%s/tokens/%s/shards.json" % (w, k)))
    row = {"documents": sh["documents"], "corpus_train_tokens": sh["train_tokens"]}
    vals = {}
    for s in seeds:
        r = "%s/runs%s/%s-s%s" % (w, tag, k, s)
        log = [json.loads(l) for l in open(r + "/log.jsonl") if l.strip()]
        vals.setdefault("own_val_loss", []).append([x["val_loss"] for x in log if "val_loss" in x][-1])
        for b in ("gsm8k", "math500"):
            j = json.load(open("%s.loss-%s.json" % (r, b)))
            vals.setdefault(b + "_bpb", []).append(j["bits_per_byte"])
            vals.setdefault(b + "_nats_per_token", []).append(j["nats_per_token"])
            row[b + "_items"] = j["n"]
        a = load(r + ".acc-gsm8k.json")
        if a: vals.setdefault("gsm8k_acc", []).append(a["greedy_acc"])
    for key, v in vals.items():
        m, s = ms(v); row[key] = {"mean": m, "sd": s, "runs": v}
    res["corpora"][k] = row
json.dump(res, open(out, "w"), indent=1)
M, O = res["corpora"]["math"], res["corpora"]["other"]
print("\nsame GPT-2 (%s), %d steps x %d x ctx = %d training tokens from each corpus; seeds %s"
      % (config, int(steps), int(batch), int(train_tokens), " ".join(seeds)))
print("%-34s %22s %22s" % ("", "mined math corpus", "non-math pages"))
print("%-34s %22d %22d" % ("documents", M["documents"], O["documents"]))
print("%-34s %22d %22d" % ("corpus training tokens", M["corpus_train_tokens"], O["corpus_train_tokens"]))
def line(label, key, fmt="%.3f"):
    if key not in M: return
    f = lambda r: (fmt + " ± " + fmt) % (r[key]["mean"], r[key]["sd"])
    print("%-34s %22s %22s" % (label, f(M), f(O)))
line("own validation loss (nats/token)", "own_val_loss")
line("GSM8K solutions, bits/byte", "gsm8k_bpb")
line("GSM8K solutions, nats/token", "gsm8k_nats_per_token")
line("MATH500 solutions, bits/byte", "math500_bpb")
line("MATH500 solutions, nats/token", "math500_nats_per_token")
line("GSM8K greedy accuracy (0-shot)", "gsm8k_acc")
sp = res["split"]
print("(loss conditioned on the question; %d GSM8K and %d MATH500 items; the mined corpus: %d pages "
      "of math sites, %d of the others; %s s in all)"
      % (M["gsm8k_items"], M["math500_items"], sp["mined_math_site"], sp["mined_other_site"], secs))
PY
