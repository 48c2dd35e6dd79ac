#!/usr/bin/env bash
# select_map — `select --attrs` as a map stage: a reduce (`--cut-out`) finds the cut over every
# score file once; map tasks (`--cut`, `--task I/N` or Slurm's array variables) write the
# attribute files of their own shards.  The attribute files must be byte-identical to the
# one-job run's, for --top-tokens (ties split by id), --top-frac and --threshold, whatever N.
source "$(dirname "$0")/../lib.sh"
mkdir -p "$T/docs" "$T/scores" "$T/docs2"
# 7 shards of 40 documents; scores with exact ties (2 decimals); two shards share a stem in two
# folders (their score files are <stem>.<hash>.scores.tsv, as classify score names them).
$PY - "$T" <<'EOF'
import json, random, subprocess, sys
t = sys.argv[1]
random.seed(5)
shards = ["%s/docs/s%d.jsonl" % (t, i) for i in range(6)] + ["%s/docs2/s0.jsonl" % t]
with open(t + "/shards.list", "w") as L:
    for k, p in enumerate(shards):
        L.write(p + ".zst\n")
        with open(p, "w") as f:
            for i in range(40):
                text = "word " * random.randint(5, 400)
                f.write(json.dumps({"id": "d%d-%02d" % (k, i), "text": text, "url": "http://h%d.org/%d" % (k, i)}) + "\n")
            if k == 2: f.write('{"id": "broken", "text": \n')
        subprocess.run(["zstd", "-q", "--rm", p])
EOF
# score files from the shards themselves, in the names classify score uses (its stems)
$PY - "$T" <<'EOF'
import json, random, subprocess, sys, os
t = sys.argv[1]
random.seed(9)
for p in open(t + "/shards.list").read().split():
    stem = os.path.basename(p)[:-len(".jsonl.zst")]
    lines = subprocess.run(["zstd", "-dcq", p], capture_output=True, text=True).stdout.splitlines()
    rows = []
    for l in lines:
        try: d = json.loads(l)
        except Exception: continue
        rows.append("%s\t%.2f\t%s\th.org\t%d\n" % (d["id"], random.choice([0.1, 0.25, 0.5, 0.5, 0.75, 0.9]), d["url"], (len(d["text"]) + 3) // 4))
    open(t + "/rows-" + stem + ("-2" if "docs2" in p else ""), "w").writelines(rows)
EOF
run_case() { # name mode-args...
  local name=$1; shift
  local A1=$T/$name-one A2=$T/$name-map C=$T/$name-cut.json
  "$MM" select --scores-from "$T/scores.list" "$@" -o "$T/$name.ids" --docs-from "$T/shards.list" \
    --attrs "$A1" --stats "$T/$name-one.json" 2>"$T/$name-one.err" || { fail "$name: one job"; cat "$T/$name-one.err"; return; }
  "$MM" select --scores-from "$T/scores.list" "$@" --cut-out "$C" --stats "$T/$name-cut-stats.json" 2>"$T/$name-cut.err" \
    || { fail "$name: reduce"; cat "$T/$name-cut.err"; return; }
  for i in 0 1 2; do
    "$MM" select --cut "$C" --scores-dir "$T/scores" --attrs "$A2" --inputs "$T/shards.list" --task $i/3 \
      --stats "$T/$name-map$i.json" 2>"$T/$name-map$i.err" || fail "$name: map task $i/3"
  done
  same "$name: the same attribute files as one job (3 tasks)" "$(cd "$A2" && ls | tr '\n' ' ')" "$(cd "$A1" && ls | tr '\n' ' ')"
  local diff=0
  for f in "$A1"/*; do cmp -s "$f" "$A2/$(basename "$f")" || diff=$((diff + 1)); done
  same "$name: byte-identical" "$diff" "0"
  same "$name: the reduce counts the one job's selection" \
    "$($PY -c "import json;print(json.load(open('$C'))['selected'])")" \
    "$($PY -c "import json;print(json.load(open('$T/$name-one.json'))['selected'])")"
  local listed
  listed=$($PY -c "import json;print(sum(json.load(open('$T/$name-map%d.json' % i))['docs_listed'] for i in range(3)))")
  same "$name: the tasks list every document not selected" "$listed" "$(( $(cat "$T"/rows-* | wc -l) - $(wc -l < "$T/$name.ids") ))"
}

# classify's stems: a shard alone in its stem keeps it; two of one stem get "<stem>.<8 hex>".
# Learn them from the one-job attribute run of a throwaway threshold selection.
for f in "$T"/rows-*; do cat "$f"; done > "$T/all.tsv"
"$MM" select --scores "$T/all.tsv" --threshold 2 -o "$T/none.ids" --docs-from "$T/shards.list" --attrs "$T/stems" 2>/dev/null
ls "$T/stems" | sed 's/\.below_threshold\.attrs\.tsv$//' | sort > "$T/stems.txt"
same "7 stems, two of them hashed" "$(wc -l < "$T/stems.txt") $(grep -c '^s0\.' "$T/stems.txt")" "7 2"
# pair each hashed s0 stem with its shard: the one-job run lists every document of a shard
for s in $(cat "$T/stems.txt"); do
  first=$(grep -v '^#' "$T/stems/$s.below_threshold.attrs.tsv" | head -1 | cut -f1)
  k=${first#d}; k=${k%%-*}
  if [ "$k" = 6 ]; then src=$T/rows-s0-2; else src=$T/rows-s$k; fi
  cp "$src" "$T/scores/$s.scores.tsv"
done
ls "$T"/scores/*.tsv > "$T/scores.list"

run_case tokens --top-tokens 3000
run_case frac --top-frac 0.37
run_case thr --threshold 0.5

# Slurm's array variables pick the task as --task does
rm -rf "$T/slurm"
for i in 0 1; do
  SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=2 \
    "$MM" select --cut "$T/tokens-cut.json" --scores-dir "$T/scores" --attrs "$T/slurm" --inputs "$T/shards.list" 2>/dev/null \
    || fail "slurm task $i"
done
diff=0; for f in "$T"/tokens-one/*; do cmp -s "$f" "$T/slurm/$(basename "$f")" || diff=$((diff + 1)); done
same "a 2-task Slurm array writes the same files" "$diff" "0"

# misuse
"$MM" select --cut "$T/tokens-cut.json" --attrs "$T/x" --inputs "$T/shards.list" >/dev/null 2>&1; same "--cut without --scores-dir: usage error" "$?" "2"
"$MM" select --scores-from "$T/scores.list" --top-frac 0.5 --cut-out "$T/c.json" --task 0/2 >/dev/null 2>&1; same "--task on the reduce: usage error" "$?" "2"
echo '{"none": 3}' > "$T/bad-cut.json"
"$MM" select --cut "$T/bad-cut.json" --scores-dir "$T/scores" --attrs "$T/x" --inputs "$T/shards.list" >/dev/null 2>"$T/bad.err"
same "a file that is not a cut: exit 1" "$?" "1"
check "and says what it wants" grep -q "not a selection cut" "$T/bad.err"
check "--help explains --cut and --cut-out" bash -c "'$MM' select --help | grep -q -- '--cut-out' && '$MM' select --help | grep -q -- '--scores-dir'"
finish
