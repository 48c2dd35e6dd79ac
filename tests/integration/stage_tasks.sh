#!/usr/bin/env bash
# Every map command takes --inputs LIST (.gz allowed, --base prefix) and --task I/N (or a Slurm
# array's environment); the outputs are byte-identical whether one task or three did the work.
source "$(dirname "$0")/../lib.sh"
D=$SHARED/testdata/chatnoir-resiliparse/tests/data
mkdir -p "$T/w"
for i in 1 2 3 4 5; do cp "$D/warcfile.warc.gz" "$T/w/w$i.warc.gz"; done
cp "$D/clueweb-quirk.warc.gz" "$T/w/w6.warc.gz"
cp "$D/clipped.warc.gz" "$T/w/w7.warc.gz"  # cut short at its end: kept with --keep-cut
(cd "$T/w" && { echo "# a comment"; ls *.warc.gz; echo; }) | gzip >"$T/list.gz"

# same [what] DIR_A DIR_B: every file under the two folders, byte for byte
same_tree() {
  if [ "$(cd "$2" && find . -type f | sort)" == "$(cd "$3" && find . -type f | sort)" ] &&
     (cd "$2" && find . -type f -print0 | sort -z | xargs -0 cat) | cmp -s - <(cd "$3" && find . -type f -print0 | sort -z | xargs -0 cat); then
    ok "$1"
  else fail "$1"; diff -r "$2" "$3" | head -5; fi
}

check "extract, one task over the list" $MM extract --keep-cut -o "$T/x1" --inputs "$T/list.gz" --base "$T/w"
for t in 0 1 2; do $MM extract --keep-cut -o "$T/x3" --inputs "$T/list.gz" --base "$T/w" --task $t/3 2>>"$T/log" || fail "extract task $t/3"; done
same "extract: 7 shards" "$(ls "$T/x1" | wc -l)" 7
same_tree "extract: 3 tasks give the same shards as 1" "$T/x1" "$T/x3"
# Slurm's array environment selects the block when --task is not given: 7 inputs, task 1 of 4 = inputs 1..2
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 $MM extract --keep-cut -o "$T/xs" --inputs "$T/list.gz" --base "$T/w" 2>>"$T/log"
same "extract: SLURM_ARRAY_TASK_ID 1 of 4 does inputs 1..2" "$(ls "$T/xs" | tr '\n' ' ')" "w2.jsonl.zst w3.jsonl.zst "
SLURM_ARRAY_TASK_ID=11 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_MAX=13 $MM extract --keep-cut -o "$T/xm" --inputs "$T/list.gz" --base "$T/w" 2>>"$T/log"
same "extract: an array 10-13 maps id 11 to task 1 of 4" "$(ls "$T/xm" | tr '\n' ' ')" "w2.jsonl.zst w3.jsonl.zst "
$MM extract -o "$T/xb" --inputs "$T/list.gz" --task 3/3 2>/dev/null; same "--task 3/3 is a usage error" "$?" 2
SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_COUNT=2 $MM extract -o "$T/xb" --inputs "$T/list.gz" 2>/dev/null
same "a sparse array without --task is a usage error" "$?" 2
$MM extract -o "$T/xb" --inputs "$T/nonexistent.txt" 2>"$T/err"; rc=$?
same "a missing list fails with exit 1" "$rc" 1
grep -q nonexistent.txt "$T/err" && ok "the error names the list" || fail "the error names the list"
# a task with no inputs (more tasks than inputs) succeeds and writes nothing
$MM extract -o "$T/xe" "$T/w/w1.warc.gz" --task 0/2 2>>"$T/log"; same "an empty task exits 0" "$?" 0

ls "$T"/x1/*.jsonl.zst >"$T/shards.txt"
# dedup url: map per task, merge once, filter per task
check "dedup url, one task" $MM dedup url --out-dir "$T/u1" --inputs "$T/shards.txt"
for t in 0 1 2; do $MM dedup url --stage map --work "$T/u3/work" --inputs "$T/shards.txt" --task $t/3 2>>"$T/log" || fail "url map $t"; done
$MM dedup url --stage merge --work "$T/u3/work" --inputs "$T/shards.txt" 2>>"$T/log" || fail "url merge"
for t in 0 1 2; do $MM dedup url --stage filter --out-dir "$T/u3" --inputs "$T/shards.txt" --task $t/3 2>>"$T/log" || fail "url filter $t"; done
rm -rf "$T/u1/work" "$T/u3/work"
same_tree "dedup url: 3 tasks give the same kept and removed files" "$T/u1" "$T/u3"
$MM dedup url --stage merge --work "$T/u3/work" --inputs "$T/shards.txt" --task 0/3 2>/dev/null
same "dedup merge refuses a task of several" "$?" 2
# minhash: signatures and filter per task
check "minhash all, one task" $MM dedup minhash all --out-dir "$T/m1" --inputs "$T/shards.txt"
for t in 0 1 2; do $MM dedup minhash signatures --work "$T/m3/work" --inputs "$T/shards.txt" --task $t/3 2>>"$T/log" || fail "signatures $t"; done
$MM dedup minhash buckets --work "$T/m3/work" 2>>"$T/log" && $MM dedup minhash clusters --work "$T/m3/work" 2>>"$T/log" || fail "buckets/clusters"
for t in 0 1 2; do $MM dedup minhash filter --work "$T/m3/work" --out-dir "$T/m3" --inputs "$T/shards.txt" --task $t/3 2>>"$T/log" || fail "filter $t"; done
rm -rf "$T/m1/work" "$T/m3/work"
same_tree "minhash: 3 tasks give the same kept and removed files" "$T/m1" "$T/m3"
# decontaminate: clean shards identical; each task writes its own report and removed file
B="--bench gsm8k=$SHARED/benchmarks/gsm8k"
check "decontaminate, one task" $MM decontaminate $B --out-dir "$T/d1" --inputs "$T/shards.txt"
for t in 0 1 2; do $MM decontaminate $B --out-dir "$T/d3" --inputs "$T/shards.txt" --task $t/3 2>>"$T/log" || fail "decontaminate $t"; done
same "decontaminate: a report per task" "$(ls "$T/d3" | grep -c 'decontam-report-task-.-of-3.json')" 3
rm -rf "$T"/d1/removed "$T"/d3/removed "$T"/d1/decontam-report* "$T"/d3/decontam-report*
same_tree "decontaminate: 3 tasks give the same clean shards" "$T/d1" "$T/d3"
finish
