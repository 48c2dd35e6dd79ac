#!/usr/bin/env bash
# mathmine decontaminate end to end: benchmark items from JSONL (English, Chinese), XML (ASDiv),
# CSV (MMLU) and a JSON array (SVAMP) planted in real article texts are removed and reported;
# clean pages stay; bad benchmark lines are reported with their line number; broken shard lines
# are counted and skipped.
source "$(dirname "$0")/../lib.sh"
SEED=${MM_SEED:-$(date +%s)}
echo "seed $SEED (MM_SEED=$SEED to repeat)"
B=$SHARED/benchmarks
$PY - "$SHARED/testdata/article-extraction-benchmark/ground-truth.json" "$B" "$T" "$SEED" <<'PYEOF'
import json, random, sys, csv, re
import xml.etree.ElementTree as ET
src, B, out, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rnd = random.Random(seed)
pages = [v["articleBody"] for k, v in sorted(json.load(open(src)).items()) if len(v["articleBody"]) > 300]
def jl(p): return [json.loads(l) for l in open(p) if l.strip()]
picks = []  # (benchmark, text)
for q in rnd.sample(jl(B + "/gsm8k/test.jsonl"), 3): picks.append(("gsm8k", q["question"]))
picks.append(("gsm8k", rnd.choice(jl(B + "/gsm8k/test.jsonl"))["answer"]))
for q in rnd.sample(jl(B + "/cmath_test/test.jsonl"), 3): picks.append(("cmath", q["question"]))
picks.append(("mgsm_zh", rnd.choice(jl(B + "/mgsm_zh/mgsm_zh.jsonl"))["messages"][0]["content"]))
probs = ET.parse(B + "/asdiv/ASDiv.xml").getroot().iter("Problem")
p = rnd.choice(list(probs)); picks.append(("asdiv", p.find("Body").text + " " + p.find("Question").text))
rows = list(csv.reader(open(B + "/mmlu_math/college_mathematics_test.csv")))
picks.append(("mmlu", rnd.choice([r for r in rows if len(r[0].split()) >= 12])[0]))
sv = json.load(open(B + "/svamp/SVAMP.json")); s = rnd.choice(sv); picks.append(("svamp", s["Body"] + " " + s["Question"]))
def perturb(t):
    t = "".join(c.upper() if c.isalpha() and rnd.random() < 0.3 else c for c in t)
    t = re.sub(r"\s+", lambda m: rnd.choice([" ", "  ", "\n", "\t"]), t)
    return t.replace(",", " ;").replace("?", "?!")
docs = []
for i, pg in enumerate(pages):
    docs.append({"id": "clean-%d" % i, "text": pg, "url": "https://news.example/%d" % i})
for j, (b, t) in enumerate(picks):
    pg = rnd.choice(pages); at = pg.find(" ", rnd.randrange(len(pg)))
    at = at if at >= 0 else len(pg)
    docs.append({"id": "dirty-%d-%s" % (j, b), "text": pg[:at] + " " + perturb(t) + " " + pg[at:], "url": "https://leak.example/%d" % j})
rnd.shuffle(docs)
half = len(docs) // 2
with open(out + "/a.jsonl", "w") as f:
    for d in docs[:half]: f.write(json.dumps(d, ensure_ascii=False) + "\n")
with open(out + "/b.jsonl", "w") as f:
    for d in docs[half:]: f.write(json.dumps(d, ensure_ascii=False) + "\n")
    f.write("{broken line\n")
open(out + "/ndirty", "w").write(str(len(picks)))
PYEOF
zstd -q $T/a.jsonl -o $T/a.jsonl.zst && rm $T/a.jsonl
ND=$(cat $T/ndirty)
check "decontaminate with presets (jsonl, xml, csv folder, json array)" \
  $MM decontaminate --bench gsm8k=$B/gsm8k/test.jsonl --bench cmath=$B/cmath_test/test.jsonl \
    --bench mgsm_zh=$B/mgsm_zh/mgsm_zh.jsonl --bench asdiv=$B/asdiv/ASDiv.xml --bench mmlu=$B/mmlu_math \
    --bench $B/svamp/SVAMP.json --out-dir $T/out --report $T/rep.json --stats $T/st.json -j 2 $T/a.jsonl.zst $T/b.jsonl
removed_ids=$(zstd -dcq $T/out/removed/removed.jsonl.zst | $PY -c "import sys,json;print('\n'.join(sorted(json.loads(l)['id'] for l in sys.stdin)))")
same "every planted item removed, nothing else" "$(grep -c '^dirty-' <<<"$removed_ids")/$(grep -vc '^dirty-' <<<"$removed_ids")" "$ND/0"
same "clean shards hold the rest" "$( (zstd -dcq $T/out/a.jsonl.zst; zstd -dcq $T/out/b.jsonl.zst) | grep -c '"id": *"clean-')" \
  "$($PY -c "import json;r=json.load(open('$T/rep.json'));print(r['docs_clean'])")"
$PY - $T/rep.json <<'PYEOF' && ok "report names benchmark, item, n-gram per removed doc and items per benchmark" || fail "report content"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["broken_lines_skipped"] == 1, r["broken_lines_skipped"]
for d in r["removed"]:
    b = d["id"].split("-", 2)[2]
    assert any(m["benchmark"] == b for m in d["matches"]), (d["id"], d["matches"])
    for m in d["matches"]:
        assert m["ngram"] and m["kind"] in ("ngram", "whole") and m["item"] >= 0, m
found = {b["name"] for b in r["benchmarks"] if b["items_found"] > 0}
assert {"gsm8k", "cmath", "mgsm_zh", "asdiv", "mmlu", "svamp"} <= found, found
assert all(len(b["found"]) == b["items_found"] or b["items_found"] <= len(b["found"]) for b in r["benchmarks"])
PYEOF
same "stats: broken line counted" "$($PY -c "import json;print(json.load(open('$T/st.json'))['broken_lines_skipped'])")" 1

check "--bench-dir loads every preset folder" $MM decontaminate --bench-dir $B --out-dir $T/out2 -j 1 $T/a.jsonl.zst $T/b.jsonl
same "--bench-dir: same documents removed" "$(zstd -dcq $T/out2/removed/removed.jsonl.zst | wc -l)" "$ND"

# custom fields, and bad benchmark lines reported by line
printf '%s\n' '{"q": "the quick brown fox jumps over the lazy dog again and again"}' '{oops' '{"other": 1}' > $T/mine.jsonl
printf '%s\n' '{"id":"x1","text":"we saw THE quick, brown fox -- jumps over the lazy DOG again and again!"}' > $T/c.jsonl
$MM decontaminate --bench mine=$T/mine.jsonl@q --out-dir $T/out3 $T/c.jsonl 2>$T/err; rc=$?
same "bad benchmark lines: exit 1" "$rc" 1
grep -q 'mine.jsonl: line 2' $T/err && grep -q 'mine.jsonl: line 3: missing field "q"' $T/err \
  && ok "bad benchmark lines named with their line numbers" || { fail "bad line messages"; cat $T/err; }
same "custom fields: the document is caught" "$(zstd -dcq $T/out3/removed/removed.jsonl.zst | grep -c x1)" 1
$MM decontaminate --bench nosuch=$T/mine.jsonl --out-dir $T/o4 $T/c.jsonl 2>/dev/null; same "unknown preset without fields fails" $? 1
$MM decontaminate --out-dir $T/o4 $T/c.jsonl 2>/dev/null; same "no benchmark is a usage error" $? 2
$MM decontaminate -n 2 --bench gsm8k=$B/gsm8k/test.jsonl --out-dir $T/o4 $T/c.jsonl 2>/dev/null; same "-n below 3 is a usage error" $? 2
finish
