#!/usr/bin/env bash
# The attribute flow: select, URL / exact / MinHash dedup and decontamination write attribute
# files over the original shards, and `mathmine apply` writes the clean shards once.  The clean
# documents must be byte-identical to those of the chain of commands that copies the corpus at
# every step.  Inputs: real article texts with planted URL, exact and near copies and a GSM8K
# question, plus two real WARCs extracted; score files made here with fixed pseudo scores.
source "$(dirname "$0")/../lib.sh"
D=$SHARED/testdata/chatnoir-resiliparse/tests/data
mkdir -p "$T/p" "$T/s"
$MM extract -o "$T/x" "$D/warcfile.warc.gz" "$D/clueweb-quirk.warc.gz" 2>"$T/x.log" || fail "extract"
$PY - "$SHARED" "$T" <<'PYEOF'
import glob, hashlib, json, subprocess, sys
shared, t = sys.argv[1], sys.argv[2]
bodies = json.load(open(shared + "/testdata/article-extraction-benchmark/ground-truth.json"))
gsm = [json.loads(l)["question"] for l in open(shared + "/benchmarks/gsm8k/test.jsonl")][:3]
docs = []
for n, (key, a) in enumerate(sorted(bodies.items())[:120]):
    text, url = a["articleBody"], a["url"]
    if len(text) < 400: continue
    docs.append({"id": "a%04d" % n, "text": text, "url": url, "date": "2024-02-02"})
    if n % 7 == 0:   # the same page crawled again, later: a URL duplicate
        docs.append({"id": "u%04d" % n, "text": text[: len(text) // 2], "url": url + "#frag", "date": "2024-09-09"})
    if n % 9 == 0:   # the same text elsewhere, other spacing: an exact duplicate
        docs.append({"id": "e%04d" % n, "text": "\n" + text.replace(". ", ".  "), "url": "https://copy.example/%d" % n, "date": "2024-03-03"})
    if n % 5 == 0:   # a near copy: every 60th word changed
        w = text.split()
        docs.append({"id": "n%04d" % n, "text": " ".join(x if i % 60 else "zzq%d" % i for i, x in enumerate(w)),
                     "url": "https://near.example/%d" % n, "date": "2024-04-04"})
    if n % 31 == 0:  # a page quoting a benchmark question
        docs.append({"id": "g%04d" % n, "text": text[:300] + " " + gsm[n % 3], "url": "https://quiz.example/%d" % n, "date": "2024-05-05"})
for s in range(3):
    with open("%s/p/part-%d.jsonl" % (t, s), "w") as f:
        for d in docs[s::3]: f.write(json.dumps(d) + "\n")
for x in glob.glob(t + "/x/*.jsonl.zst"):
    stem = x.split("/")[-1][:-len(".jsonl.zst")]
    open("%s/p/%s.jsonl" % (t, stem), "wb").write(subprocess.run(["zstd", "-dcq", x], capture_output=True).stdout)
for p in sorted(glob.glob(t + "/p/*.jsonl")):
    stem = p.split("/")[-1][:-len(".jsonl")]
    with open("%s/s/%s.tsv" % (t, stem), "w") as f:
        for l in open(p):
            d = json.loads(l)
            score = int(hashlib.sha1(d["id"].encode()).hexdigest()[:8], 16) / 2**32
            f.write("%s\t%.6f\t%s\t%s\t%d\n" % (d["id"], score, d.get("url", ""), "", (len(d["text"]) + 3) // 4))
PYEOF
B="--bench gsm8k=$SHARED/benchmarks/gsm8k/test.jsonl"
# ---- the chain: a new corpus copy at every step
check "chain: select" $MM select --scores "$T"/s/*.tsv --threshold 0.15 -o "$T/ids.txt" --docs "$T"/p/*.jsonl --out-dir "$T/c0"
check "chain: dedup url" $MM dedup url --out-dir "$T/c1" "$T"/c0/*.jsonl.zst
check "chain: dedup exact" $MM dedup exact --out-dir "$T/c2" "$T"/c1/*.jsonl.zst
check "chain: dedup minhash" $MM dedup minhash all --out-dir "$T/c3" "$T"/c2/*.jsonl.zst
check "chain: decontaminate" $MM decontaminate $B --out-dir "$T/c4" "$T"/c3/*.jsonl.zst
# ---- the attribute flow: every filter over the original shards, one final pass
A=$T/attrs
check "attrs: select" $MM select --scores "$T"/s/*.tsv --threshold 0.15 -o "$T/ids2.txt" --docs "$T"/p/*.jsonl --attrs "$A"
check "attrs: dedup url" $MM dedup url --attrs "$A" "$T"/p/*.jsonl
check "attrs: dedup exact" $MM dedup exact --attrs "$A" "$T"/p/*.jsonl
check "attrs: dedup minhash" $MM dedup minhash all --attrs "$A" -j 1 "$T"/p/*.jsonl
check "attrs: decontaminate" $MM decontaminate $B --attrs "$A" "$T"/p/*.jsonl
check "apply" $MM apply --attrs "$A" -o "$T/final" --stats "$T/apply.json" "$T"/p/*.jsonl
same "no corpus copy in the attribute folder" "$(find "$A" -name '*.jsonl*' | wc -l)" 0
nshards=$(ls "$T"/p/*.jsonl | wc -l)
same "one attribute file per shard and filter" "$(ls "$A"/*.attrs.tsv | wc -l)" $((nshards * 5))
alldiff=0
for f in "$T"/c4/*.jsonl.zst; do
  cmp -s <(zstd -dcq "$f") <(zstd -dcq "$T/final/$(basename "$f")") || { alldiff=1; echo "differs: $(basename "$f")"; }
done
same "apply gives byte-identical clean documents to the chain ($nshards shards)" "$alldiff:$(ls "$T/final" | wc -l)" "0:$nshards"
# every filter dropped something, and apply counts what each did as the chain removed it
cnt() { $PY -c "import json,sys;print(json.load(open(sys.argv[1]))['dropped_by_tag'][sys.argv[2]])" "$T/apply.json" "$1"; }
lines() { cat "$@" 2>/dev/null | grep -c . ; }
same "below_threshold = the documents select left out" "$(cnt below_threshold)" "$(( $(cat "$T"/p/*.jsonl | wc -l) - $(zstd -dcq "$T"/c0/*.jsonl.zst | wc -l) ))"
same "url_dup = the chain's URL removals" "$(cnt url_dup)" "$(lines "$T"/c1/removed/*.tsv)"
same "exact_dup = the chain's exact removals" "$(cnt exact_dup)" "$(lines "$T"/c2/removed/*.tsv)"
same "minhash_dup = the chain's MinHash removals" "$(cnt minhash_dup)" "$(lines "$T"/c3/removed/*.tsv)"
same "contaminated = the chain's decontamination removals" "$(cnt contaminated)" "$(zstd -dcq "$T"/c4/removed/removed.jsonl.zst | grep -c .)"
for tag in url_dup exact_dup minhash_dup contaminated; do
  [ "$(cnt $tag)" -gt 0 ] && ok "$tag drops some documents" || fail "$tag drops nothing: the test would prove little"
done
grep -q '"contaminated:gsm8k":' "$T/apply.json" && ok "apply --stats counts per reason (contaminated:gsm8k)" || fail "reasons in apply stats"
# rerun: done shards are skipped; a shard swapped for another file of the same name is refused
$MM apply --attrs "$A" -o "$T/final" "$T"/p/*.jsonl 2>"$T/re.err"
grep -q "$nshards shards already done" "$T/re.err" && ok "apply rerun skips finished shards" || { fail "apply rerun"; cat "$T/re.err"; }
mkdir -p "$T/q"; head -n 3 "$T/p/part-0.jsonl" >"$T/q/part-0.jsonl"
$MM apply --attrs "$A" -o "$T/fq" "$T/q/part-0.jsonl" 2>"$T/q.err"; rc=$?
same "apply: attributes of another version of the shard: exit 1" "$rc" 1
grep -q "part-0.jsonl: id .* of .*part-0\..*\.attrs\.tsv is not in this shard" "$T/q.err" && ok "apply names the missing id and its attribute file" || { fail "apply mismatch message"; cat "$T/q.err"; }
same "apply: nothing written for the refused shard" "$(ls "$T/fq" 2>/dev/null | wc -l)" 0
printf 'junk\n' >"$A/part-1.url_dup.attrs.tsv"
$MM apply --attrs "$A" -o "$T/fj" "$T/p/part-1.jsonl" 2>"$T/j.err"; rc=$?
grep -q "part-1.url_dup.attrs.tsv: line 1: not an attribute file" "$T/j.err" && same "a damaged attribute file: exit 1, named" "$rc" 1 || { fail "damaged attribute file"; cat "$T/j.err"; }
finish
