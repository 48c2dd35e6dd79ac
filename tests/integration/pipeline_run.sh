#!/usr/bin/env bash
# `mathmine run PIPELINE` here: stages as tasks with markers, a rerun skips finished tasks, a
# failed task is reported with its log, a task killed without a marker counts as failed, and
# `--slurm --dry-run` writes the sbatch scripts with the file's options.
source "$(dirname "$0")/../lib.sh"
D=$SHARED/testdata/chatnoir-resiliparse/tests/data
mkdir -p "$T/w"
for i in 1 2 3 4 5; do cp "$D/warcfile.warc.gz" "$T/w/w$i.warc.gz"; done
(cd "$T/w" && ls) >"$T/list.txt"
cat >"$T/p.ini" <<P
# a comment
out = $T/out
tasks = 3
max_array = 2
[slurm]
partition = batch
time = 01:00:00
mem = 2G
cpus = 1
account = math
[extract]
map = extract -j 1 -o {out}/docs
inputs = $T/list.txt
base = $T/w
mem = 8G
[minhash-sig]
map = dedup minhash signatures -j 1 --work {out}/mh
inputs = {out}/docs/*.jsonl.zst
tasks = 4
[minhash-clusters]
reduce = dedup minhash buckets --work {out}/mh
P
check "run" $MM run "$T/p.ini" -j 2
same "max_array caps the tasks: 2 extract markers" "$(ls "$T"/out/_run/extract/*.json | wc -l)" 2
same "5 shards" "$(ls "$T/out/docs" | wc -l)" 5
same "marker status" "$(grep -o '"status":"done"' "$T/out/_run/extract/task-00000-of-00002.json")" '"status":"done"'
grep -q '"stats":{"files":2' "$T/out/_run/extract/task-00000-of-00002.json" && ok "marker holds the command's stats (2 inputs in task 0)" || fail "marker holds the command's stats"
$MM run "$T/p.ini" 2>"$T/r2.err"
grep -q "0 tasks run, 5 already done" "$T/r2.err" && ok "a rerun runs nothing" || { fail "a rerun runs nothing"; cat "$T/r2.err"; }
check "status of a finished run" $MM status "$T/out"
$MM status "$T/out" --json >"$T/st.json"
same "status --json: docs of extract" "$($PY -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][0]["docs"])' "$T/st.json")" 80
# a failing task: its marker says failed, run exits 1, status names the log and the error
rm "$T/out/_run/extract/task-00001-of-00002.json" "$T/out/docs/w5.jsonl.zst"
chmod 000 "$T/w/w5.warc.gz" 2>/dev/null; mv "$T/w/w5.warc.gz" "$T/w5.bak"
$MM run "$T/p.ini" 2>"$T/r3.err"; rc=$?
same "a failed task: run exits 1" "$rc" 1
grep -q "stage extract failed: .*task-00001-of-00002.log" "$T/r3.err" && ok "run names the failed task's log" || { fail "run names the failed task's log"; cat "$T/r3.err"; }
$MM status "$T/out" >"$T/st3.out"; same "status exits 1" "$?" 1
grep -q "failed: .*task-00001-of-00002.log: .*w5.warc.gz" "$T/st3.out" && ok "status shows the log and its error line" || { fail "status shows the log and its error line"; cat "$T/st3.out"; }
mv "$T/w5.bak" "$T/w/w5.warc.gz"; chmod 644 "$T/w/w5.warc.gz"
check "rerun after the fix" $MM run "$T/p.ini"
check "every task done" $MM status "$T/out"
# a task that started and died without a marker (SIGKILL) counts as failed
rm "$T/out/_run/extract/task-00001-of-00002.json"
sleep 30 & pid=$!
printf '{"host":"%s","pid":%d,"start":1,"slurm_job":""}\n' "$(hostname)" $pid >"$T/out/_run/extract/task-00001-of-00002.started"
same "status: a live task is running" "$($MM status "$T/out" | awk '$1=="extract"{print $5}')" 1
kill -9 $pid; wait $pid 2>/dev/null
same "status: a killed task is failed" "$($MM status "$T/out" | awk '$1=="extract"{print $6}')" 1
# --slurm --dry-run: scripts with the sbatch options; only unfinished tasks
$MM run "$T/p.ini" --slurm --dry-run --time 02:00:00 >"$T/dry.out"
grep -q "^extract: would submit 1 of 2 tasks (1)" "$T/dry.out" && ok "dry run: only the unfinished extract task" || { fail "dry run"; cat "$T/dry.out"; }
sc=$T/out/_run/extract/slurm.sbatch
grep -q "^#SBATCH --partition=batch" "$sc" && grep -q "^#SBATCH --time=02:00:00" "$sc" && grep -q "^#SBATCH --mem=8G" "$sc" \
  && grep -q "^#SBATCH --account=math" "$sc" && grep -q "run '$T/p.ini' --stage 'extract' --task" "$sc" \
  && ok "sbatch script: file options, command-line override, stage override" || { fail "sbatch script"; cat "$sc"; }
$MM run "$T/p.ini" --stage extract --task 7 2>/dev/null; same "--task out of range is a usage error" "$?" 2
printf 'out = x\n[a]\ninputs = y\n' >"$T/bad.ini"
$MM run "$T/bad.ini" 2>"$T/bad.err"; same "a stage without map/reduce: exit 1" "$?" 1
grep -q "bad.ini: stage \[a\] has no map, reduce or iterate line" "$T/bad.err" && ok "the error names the file and stage" || { fail "bad pipeline message"; cat "$T/bad.err"; }
finish
