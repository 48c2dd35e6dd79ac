#!/usr/bin/env bash
# `iterate = ...` in a pipeline file: `mathmine run` expands it into the iteration's stages
# (per iteration: train, score (map), cut, count (map), select, newpos (map); then end) and runs
# them with the same machinery as every other stage (local -j here; the same stages go to Slurm
# arrays with --slurm).  The pool is a web crawled in the test (tools/sampleweb + the article
# benchmark's news pages, served on 127.0.0.1 and crawled by GNU wget); the iterations' files
# (the per-shard count summaries included) must be byte-identical to one `mathmine iterate`
# process's.  Then --top-tokens, driver and map tasks run by hand, against one process too.
source "$(dirname "$0")/../lib.sh"

crawl_test_web "$T/web" && ok "test web crawled" || { fail "test web crawled"; finish; }
check "extract the crawl" "$MM" -q extract -o "$T/docs" "$T/web"/*.warc.gz
seed=$(ls "$T/docs"/mpmath*.jsonl.zst 2>/dev/null) || { fail "seed shard extracted"; finish; }
ls "$T/docs"/*.jsonl.zst >"$T/pool.list"
# a small fastText model so that iterations take seconds (the defaults' thresholds otherwise)
OPTS="--positives $seed --seed 1 --dim 32 --bucket 100000 --epoch 30 --lr 1 --min-count 1 --word-ngrams 1 --min-updates 0 -j 1"

"$MM" iterate $OPTS --max-iter 3 --pool-from "$T/pool.list" --work-dir "$T/single" >"$T/single.out" 2>"$T/single.err"
same "one iterate process exits 0" "$?" 0
n=$(cd "$T/single" && ls -d iter-* | grep -vc tmp)
[ "$n" -ge 2 ] && ok "the single run made $n iterations" || { fail "the single run made $n iterations"; cat "$T/single.err"; }

cat >"$T/it.ini" <<INI
out = $T/pipe
tasks = 3

[iterate]
iterate = $OPTS --work-dir {out}/iterate
iterations = 3
inputs = $T/pool.list
INI
check "run the pipeline (-j 2)" "$MM" run "$T/it.ini" -j 2
"$MM" status "$T/pipe" >"$T/status.out"; rc=$?
cat "$T/status.out"
same "status: every stage done" "$rc" 0
want=""
for k in 1 2 3; do
  want="${want}iterate-$k-train:reduce/1 iterate-$k-score:map/3 iterate-$k-cut:reduce/1 iterate-$k-count:map/3 iterate-$k-select:reduce/1 iterate-$k-newpos:map/3 "
done
same "stages: 3 x (train, score, cut, count, select, newpos) + end" \
  "$(awk 'NR>1{printf "%s:%s/%s ", $1, $2, $3}' "$T/status.out")" "${want}iterate-end:reduce/1 "
# every file of every iteration equals the single process's (reports carry times: compared
# without their "seconds"; config.json names the seed by the same path in both); the count
# summaries (counts/) included
compare_dirs() { # SINGLE OTHER -> sets diffs, files
  diffs=0; files=0
  for f in $(cd "$1" && find . -path '*tmp*' -prune -o -type f -print | sort); do
    files=$((files+1))
    case "$f" in
      *report.json) $PY - "$1/$f" "$2/$f" <<'PY' || { diffs=$((diffs+1)); echo "differs: $f"; }
import json, sys
def strip(o):
    if isinstance(o, dict): return {k: strip(v) for k, v in o.items() if k not in ("seconds", "train_seconds", "score_seconds")}
    if isinstance(o, list): return [strip(v) for v in o]
    return o
a, b = (strip(json.load(open(p))) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
PY
      ;;
      *report.md|*.svg) ;;  # times in the text and plots
      *) cmp -s "$1/$f" "$2/$f" || { diffs=$((diffs+1)); echo "differs: $f"; } ;;
    esac
  done
}
compare_dirs "$T/single" "$T/pipe/iterate"
[ "$files" -ge 20 ] && ok "$files files compared" || fail "$files files compared"
same "the pipeline's iterations are the single process's, file for file" "$diffs" 0
same "each iteration keeps two count summaries per shard (domains, prefixes)" \
  "$(ls "$T/pipe/iterate/iter-1/counts" | wc -l) $(ls "$T/pipe/iterate/iter-1/counts" | grep -c '.domains.tsv$')" \
  "$(( 2 * $(wc -l < "$T/pool.list") )) $(wc -l < "$T/pool.list")"

# --top-tokens (the cut is known only after every shard is scored, so the counts need their own
# map pass after it): the driver and two map tasks by hand, round after round, against one process
# (its driver with a tiny merge fan-in and sort chunk; no merge or sort file left behind)
TT="--top-tokens 250000 --max-iter 2 --pool-from $T/pool.list"
"$MM" iterate $OPTS $TT --work-dir "$T/tt-single" >/dev/null 2>"$T/tt-single.err"
same "top-tokens: one iterate process exits 0" "$?" 0
reran=no
for round in $(seq 1 12); do
  # the reduces merge 3 files at a time (hierarchical merges of the shards' summaries) and sort
  # the domains in chunks of 2 rows (spilled runs): the same files as the defaults'
  MM_MERGE_FANIN=3 MM_ITER_SORT_ROWS=2 "$MM" iterate $OPTS $TT --work-dir "$T/tt-tasks" --wait-for-tasks >/dev/null 2>"$T/tt.err" \
    || { cat "$T/tt.err"; break; }
  grep -q "waits for map tasks" "$T/tt.err" || break
  for i in 0 1; do "$MM" iterate $OPTS $TT --work-dir "$T/tt-tasks" --map --task $i/2 2>>"$T/tt-map.err"; done
  if grep -q "have no counts" "$T/tt.err" && [ "$reran" = no ]; then
    # a count task run again skips the summaries it wrote
    "$MM" iterate $OPTS $TT --work-dir "$T/tt-tasks" --map --task 0/2 2>"$T/tt-rerun.err"
    grep -q ": 0 scored, 0 counted, 0 with" "$T/tt-rerun.err" && reran=ok || { reran=fail; cat "$T/tt-rerun.err"; }
  fi
done
same "top-tokens: a rerun count task skips its finished summaries" "$reran" ok
grep -q "[1-9][0-9]* counted" "$T/tt-map.err" && ok "top-tokens: the map tasks wrote count summaries" \
  || { fail "top-tokens: the map tasks wrote count summaries"; cat "$T/tt-map.err"; }
same "top-tokens: two iterations by driver and tasks" "$(cd "$T/tt-tasks" && ls -d iter-? | tr '\n' ' ')" "iter-1 iter-2 "
same "top-tokens: no merge or sort file left in counts/" "$(ls "$T/tt-tasks"/iter-*/counts | grep -vc -e '\.domains\.tsv$' -e '\.prefixes\.tsv$' -e '^$' -e ':$')" 0
compare_dirs "$T/tt-single" "$T/tt-tasks"
[ "$files" -ge 20 ] && ok "top-tokens: $files files compared" || fail "top-tokens: $files files compared"
same "top-tokens: the tasks' iterations are the single process's, file for file" "$diffs" 0
# a rerun does nothing; a stage whose marker is removed reruns alone and changes nothing
"$MM" run "$T/it.ini" -j 2 >"$T/rerun.out" 2>&1
grep -q "0 tasks run, 37 already done" "$T/rerun.out" && ok "a rerun runs nothing" || { fail "a rerun runs nothing"; cat "$T/rerun.out"; }
bad_ini() { # TEXT EXPECTED-MESSAGE
  printf 'out = %s/bad\n[it]\n%s\ninputs = %s\n' "$T" "$1" "$T/pool.list" >"$T/bad.ini"
  "$MM" status "$T/bad.ini" >"$T/bad.out" 2>&1
  grep -q -- "$2" "$T/bad.out" && ok "refused: $1" || { fail "refused: $1"; cat "$T/bad.out"; }
}
bad_ini "iterate = $OPTS --work-dir x --max-iter 2" "use \`iterations = N\`"
bad_ini "iterate = $OPTS" "with --work-dir"
finish
