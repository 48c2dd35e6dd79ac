#!/usr/bin/env bash
# `iterate = ...` in a pipeline file: `mathmine run` expands it into the iteration's stages
# (per iteration: train, score (map), select, newpos (map); then end) and runs them with the
# same machinery as every other stage (local -j here; the same stages go to Slurm arrays with
# --slurm).  The pool is a web crawled in the test (tools/sampleweb + the article benchmark's
# news pages, served on 127.0.0.1 and crawled by GNU wget); the iterations' files must be
# byte-identical to one `mathmine iterate` process's.
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
same "stages: 3 x (train, score, select, newpos) + end" \
  "$(awk 'NR>1{printf "%s:%s/%s ", $1, $2, $3}' "$T/status.out")" \
  "iterate-1-train:reduce/1 iterate-1-score:map/3 iterate-1-select:reduce/1 iterate-1-newpos:map/3 iterate-2-train:reduce/1 iterate-2-score:map/3 iterate-2-select:reduce/1 iterate-2-newpos:map/3 iterate-3-train:reduce/1 iterate-3-score:map/3 iterate-3-select:reduce/1 iterate-3-newpos:map/3 iterate-end:reduce/1 "
# every file of every iteration equals the single process's (reports carry times: compared
# without their "seconds"; config.json names the seed by the same path in both)
diffs=0; files=0
for f in $(cd "$T/single" && find . -path '*tmp*' -prune -o -type f -print | sort); do
  files=$((files+1))
  case "$f" in
    *report.json) $PY - "$T/single/$f" "$T/pipe/iterate/$f" <<'PY' || { diffs=$((diffs+1)); echo "differs: $f"; }
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
    *) cmp -s "$T/single/$f" "$T/pipe/iterate/$f" || { diffs=$((diffs+1)); echo "differs: $f"; } ;;
  esac
done
[ "$files" -ge 20 ] && ok "$files files compared" || fail "$files files compared"
same "the pipeline's iterations are the single process's, file for file" "$diffs" 0
# a rerun does nothing; a stage whose marker is removed reruns alone and changes nothing
"$MM" run "$T/it.ini" -j 2 >"$T/rerun.out" 2>&1
grep -q "0 tasks run, 25 already done" "$T/rerun.out" && ok "a rerun runs nothing" || { fail "a rerun runs nothing"; cat "$T/rerun.out"; }
bad_ini() { # TEXT EXPECTED-MESSAGE
  printf 'out = %s/bad\n[it]\n%s\ninputs = %s\n' "$T" "$1" "$T/pool.list" >"$T/bad.ini"
  "$MM" status "$T/bad.ini" >"$T/bad.out" 2>&1
  grep -q -- "$2" "$T/bad.out" && ok "refused: $1" || { fail "refused: $1"; cat "$T/bad.out"; }
}
bad_ini "iterate = $OPTS --work-dir x --max-iter 2" "use \`iterations = N\`"
bad_ini "iterate = $OPTS" "with --work-dir"
finish
