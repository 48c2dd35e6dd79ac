#!/usr/bin/env bash
# mathmine dedup url / exact / minhash on real article texts with planted duplicates: the right
# documents go, results do not depend on the shard split or the thread count, stages rerun.
source "$(dirname "$0")/../lib.sh"
SEED=${MM_SEED:-$(date +%s)}
echo "seed $SEED (MM_SEED=$SEED to repeat)"
$PY - "$SHARED/testdata/article-extraction-benchmark/ground-truth.json" "$T" "$SEED" <<'PYEOF'
import json, random, sys
src, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(seed)
arts = json.load(open(src))
docs = []
for k, v in sorted(arts.items()):
    if len(v["articleBody"]) < 500: continue
    docs.append({"id": k[:16], "text": v["articleBody"], "url": v["url"], "date": "2024-01-01T00:00:00Z"})
orig = list(docs)
extra = []
for i, d in enumerate(orig):
    if i % 4 == 0:  # near copy: 1 in 100 words changed
        w = d["text"].split(" ")
        for j in range(rnd.randrange(min(100, len(w))), len(w), 100): w[j] = "zz%d" % rnd.randrange(10**6)
        extra.append({"id": d["id"] + "-near", "text": " ".join(w), "url": "https://copies.example/%d" % i, "date": "2023-05-05"})
    if i % 5 == 0:  # same text, other case and spacing
        extra.append({"id": d["id"] + "-exact", "text": "  " + d["text"].upper().replace(" ", "\n "), "url": "https://mirror.example/%d" % i, "date": "2023-05-05"})
    if i % 6 == 0:  # same URL, crawled later, shorter
        u = d["url"].replace("https://", "HTTP://", 1) + ("&" if "?" in d["url"] else "?") + "utm_source=feed#top"
        extra.append({"id": d["id"] + "-later", "text": d["text"][:300], "url": u, "date": "2024-06-01"})
allp = orig + extra
with open(out + "/all.jsonl", "w") as f:
    for d in allp: f.write(json.dumps(d) + "\n")
# three shards, in order (names sort in the same order)
n = (len(allp) + 2) // 3
for s in range(3):
    with open(out + "/part-%d.jsonl" % s, "w") as f:
        for d in allp[s * n:(s + 1) * n]: f.write(json.dumps(d) + "\n")
        if s == 1: f.write("{this line is broken\n")
json.dump({"orig": len(orig), "near": sum(1 for d in extra if d["id"].endswith("-near")),
           "exact": sum(1 for d in extra if d["id"].endswith("-exact")),
           "later": sum(1 for d in extra if d["id"].endswith("-later"))}, open(out + "/counts.json", "w"))
PYEOF
cnt() { $PY -c "import json;print(json.load(open('$T/counts.json'))['$1'])"; }
ids() { for f in "$@"; do zstd -dcq "$f"; done | $PY -c "import sys,json;print('\n'.join(sorted(json.loads(l)['id'] for l in sys.stdin)))"; }
removed() { cat "$1"/removed/*.tsv | cut -f1 | sort; }

# ---- url
check "url: runs (3 shards, -j2)" $MM dedup url --out-dir $T/u3 -j 2 --stats $T/u3.json $T/part-*.jsonl
check "url: runs (1 shard, -j1)" $MM dedup url --out-dir $T/u1 -j 1 $T/all.jsonl
same "url: same kept documents for 1 or 3 shards" "$(ids $T/u1/*.jsonl.zst)" "$(ids $T/u3/*.jsonl.zst)"
same "url: one document per URL (later crawl wins)" "$(removed $T/u3 | grep -c .)" "$(cnt later)"
same "url: removed are the earlier crawls" "$(removed $T/u3 | grep -vc -- '-later$' || true)" "$(cnt later)"
same "url: broken shard line counted" "$($PY -c "import json;print(json.load(open('$T/u3.json'))['map']['broken_lines_skipped'])")" 1
out=$($MM dedup url --out-dir $T/u3 -j 2 $T/part-*.jsonl 2>&1)
case "$out" in *"3 shards already done"*) ok "url: rerun skips finished shards";; *) fail "url: rerun skips finished shards: $out";; esac

# ---- exact
check "exact: runs" $MM dedup exact --out-dir $T/e3 -j 2 $T/part-*.jsonl
same "exact: the re-cased copies go, originals stay" "$(removed $T/e3 | grep -c -- '-exact$')" "$(cnt exact)"
same "exact: nothing else goes" "$(removed $T/e3 | grep -vc -- '-exact$' || true)" 0

# ---- minhash: all at once vs stage by stage, 1 vs 3 shards, 1 vs 2 threads
check "minhash all (3 shards, -j2)" $MM dedup minhash all --out-dir $T/m3 -j 2 $T/part-*.jsonl
check "minhash all (1 shard, -j1)" $MM dedup minhash all --out-dir $T/m1 -j 1 $T/all.jsonl
same "minhash: same removed ids for 1 or 3 shards, 1 or 2 threads" "$(removed $T/m1)" "$(removed $T/m3)"
near=$(removed $T/m3 | grep -c -- '-near$'); exact=$(removed $T/m3 | grep -c -- '-exact$')
same "minhash: exact copies clustered" "$exact" "$(cnt exact)"
if [ "$near" -ge $(( $(cnt near) * 95 / 100 )) ]; then ok "minhash: $near of $(cnt near) near copies clustered"; else fail "minhash: only $near of $(cnt near) near copies"; fi
same "minhash: no original removed" "$(removed $T/m3 | grep -vcE -- '-(near|exact|later)$' || true)" 0
W=$T/m3s/work
check "minhash signatures" $MM dedup minhash signatures --work $W -j 1 $T/part-*.jsonl
for b in $(seq 0 13); do $MM -q dedup minhash buckets --work $W --band $b -j 1 || fail "buckets band $b"; done
check "minhash clusters" $MM dedup minhash clusters --work $W
check "minhash filter" $MM dedup minhash filter --work $W --out-dir $T/m3s -j 2 $T/part-*.jsonl
same "minhash: stage by stage = all" "$(removed $T/m3s)" "$(removed $T/m3)"
same "minhash: removed list names the cluster" "$(cat $T/m3/removed/*.tsv | head -1 | cut -f2 | grep -cE '^part-[0-9]:[0-9]+$')" 1
$MM dedup minhash bogus --work $W >/dev/null 2>&1; same "unknown stage is a usage error" $? 2
# issue 19 row 6: the stages record their parameters; a later stage that disagrees is refused
P=$T/mp/work
$MM -q dedup minhash signatures --bands 20 --rows 4 --work $P -j 1 $T/part-*.jsonl || fail "signatures --bands 20 --rows 4"
same "signatures record their parameters" "$(tr -d ' \n' <$P/params.json)" '{"bands":20,"rows":4,"ngram":5,"seed":1}'
$MM -q dedup minhash buckets --work $P -j 1 || fail "buckets without the options"
same "buckets without the options take the recorded 20 bands" "$(ls $P/buckets/*.pairs | wc -l)" 20
out=$($MM dedup minhash clusters --bands 14 --work $P 2>&1); rc=$?
case "$rc:$out" in 2:*"--bands 14 disagrees with bands 20 recorded in $P/params.json"*) ok "a stage given other parameters: exit 2 naming both values";;
  *) fail "parameter mismatch: rc $rc: $out";; esac
# row 7: filter matches the shard it was signed on; another file of the same name is refused
check "clusters" $MM dedup minhash clusters --work $P
mkdir -p $T/other; head -n 20 $T/part-2.jsonl | tail -n 10 >$T/other/part-0.jsonl; head -n 10 $T/part-0.jsonl >>$T/other/part-0.jsonl
out=$($MM dedup minhash filter --work $P --out-dir $T/mpo $T/other/part-0.jsonl 2>&1); rc=$?
case "$rc:$out" in 1:*"other/part-0.jsonl: "*"other ids than the"*"part-0.rm"*) ok "minhash filter refuses a different file with the signed name (exit 1, named)";;
  *) fail "filter of a swapped shard: rc $rc: $out";; esac
same "nothing written for the swapped shard" "$(ls $T/mpo/*.jsonl.zst 2>/dev/null | wc -l)" 0
check "minhash filter of the signed shards" $MM dedup minhash filter --work $P --out-dir $T/mpo $T/part-*.jsonl
$MM -q dedup url --stage map --work $T/uw $T/part-*.jsonl && $MM -q dedup url --stage merge --work $T/uw || fail "url map+merge"
out=$($MM dedup url --stage filter --work $T/uw --out-dir $T/uwo $T/other/part-0.jsonl 2>&1); rc=$?
case "$rc:$out" in 1:*"other ids than the"*) ok "url filter refuses a different file with the mapped name";; *) fail "url filter swapped: rc $rc: $out";; esac
printf 'not a sig file' > $T/bad.sig; mkdir -p $T/bw/sig; cp $T/bad.sig $T/bw/sig/x.sig
out=$($MM dedup minhash buckets --work $T/bw 2>&1); rc=$?
case "$rc:$out" in 1:*"x.sig"*) ok "a damaged signature file is refused by name";; *) fail "damaged sig: rc $rc: $out";; esac
finish
