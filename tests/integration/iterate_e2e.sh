#!/usr/bin/env bash
# End-to-end `mathmine iterate` over a multi-site web crawled in the test: real HTML from Debian
# documentation packages served on 127.0.0.1 under one host name per site (tools/sampleweb),
# crawled by GNU wget, extracted by mathmine, seeded with one math site.
source "$(dirname "$0")/../lib.sh"

# Most of the web is not mathematics: besides the documentation sites, a non-math site of 181
# real news pages (the article benchmark's HTML), crawled by wget too (crawl_test_web, lib.sh).
crawl_test_web "$T/web" && ok "test web crawled" || { fail "test web crawled"; finish; }
check "extract the sample web" "$MM" -q extract -o "$T/docs" "$T/web"/*.warc.gz
seed=$(ls "$T/docs"/mpmath*.jsonl.zst 2>/dev/null) || { fail "seed shard extracted"; finish; }
# The paper's order: the pool is deduplicated by URL, then near-duplicates removed.
check "URL dedup of the pool" "$MM" -q dedup url --out-dir "$T/url" "$T/docs"/*.jsonl.zst
check "near-dedup of the pool" "$MM" -q dedup minhash all --out-dir "$T/pool" "$T/url"/*.jsonl.zst
# Every threshold at its default (collection 0.5, domains 10% and 5 pages, prefixes 0.20 and 5
# pages, new share 0.02, held-out AUC 0.6, 500K caps, host keys, the paper's 4 iterations).
# Only the size of the fastText model and its training are set, so that four iterations take
# seconds, not the minutes of a 2 GB dim-256 model.
FT=(--dim 32 --bucket 100000 --epoch 30 --lr 1 --min-count 1 --word-ngrams 1 --min-updates 0)
ARGS=(--positives "$seed" --pool "$T/pool" --seed 1 "${FT[@]}" -j 2)

"$MM" iterate "${ARGS[@]}" --work-dir "$T/a" --stats "$T/a.json" >"$T/a.out" 2>"$T/a.err"
rc=$?
same "iterate exits 0" "$rc" 0
cat "$T/a.out" "$T/a.err"
grep -q "converged after\|added no new positives\|stopped at --max-iter" "$T/a.err" \
  && ok "a stop rule ended the run" || fail "a stop rule ended the run"
last=$(cd "$T/a" && ls -d iter-* | grep -v tmp | sed "s/iter-//" | sort -n | tail -1)
[ "${last:-0}" -ge 2 ] && ok "at least two iterations ($last)" || fail "at least two iterations ($last)"
for f in report.json report.md growth.svg config.json; do
  [ -s "$T/a/$f" ] && ok "work dir has $f" || fail "work dir has $f"
done
for f in model.bin valid.tsv collected.ids domains.tsv prefixes.tsv report.json score_hist.svg new_positives.tsv; do
  [ -s "$T/a/iter-1/$f" ] && ok "iter-1 has $f" || fail "iter-1 has $f"
done
[ -s "$T/a.json" ] && ok "--stats written" || fail "--stats written"
auc=$($PY -c "import json; print(json.load(open('$T/a/iter-1/report.json'))['summary']['valid_auc'])")
$PY -c "import sys; sys.exit(0 if $auc >= 0.6 else 1)" && ok "iteration 1 validated on held-out pages (AUC $auc)" \
  || fail "iteration 1 validated on held-out pages (AUC $auc)"
grep -q "^mpmath.readthedocs.io	" "$T/a/iter-1/domains.tsv" && ok "domains are hosts" || fail "domains are hosts"

# Recall per kind of site from domains.tsv (hosts) and the sample web's manifest; the news site
# (127.0.0.1) is not mathematics.
recall() { # ITER -> "other_math_recall nonmath_max_share"
  $PY - "$T/web/manifest.tsv" "$T/a/iter-$1/domains.tsv" <<'PY'
import sys
manifest, dom = sys.argv[1:3]
math = {l.split('\t')[0]: l.split('\t')[1] == '1' for l in open(manifest).read().splitlines()[1:]}
math['127.0.0.1'] = False
rows = [l.split('\t') for l in open(dom).read().splitlines()[1:]]
other = [(int(r[1]), int(r[2])) for r in rows if math.get(r[0]) and not r[0].startswith('mpmath')]
nonmath = [int(r[2]) / int(r[1]) for r in rows if r[0] in math and not math[r[0]]]
print('%.3f %.3f' % (sum(c for _, c in other) / max(1, sum(p for p, _ in other)), max(nonmath)))
PY
}
read -r first_other first_non <<<"$(recall 1)"
read -r last_other last_non <<<"$(recall "$last")"
echo "other math sites recalled: iter-1 $first_other, iter-$last $last_other; non-math max share: $first_non, $last_non"
$PY -c "import sys; sys.exit(0 if $last_other > $first_other else 1)" \
  && ok "recall rises from the first iteration to the last ($first_other -> $last_other)" \
  || fail "recall rises from the first iteration to the last ($first_other -> $last_other)"
# Issue 15's targets: the other math sites recalled at 0.6 or more, no non-math site over 0.1
# (at the defaults, on 20 crawls of this web: recall 0.93-0.98, non-math at most 0.068; the
# lift's base without the seed's own pages and the prefix rule's 0.20, docs/iterate.md
# "Measured", round 3).
$PY -c "import sys; sys.exit(0 if $last_other >= 0.6 else 1)" \
  && ok "the other math sites are recalled ($last_other >= 0.6)" || fail "the other math sites are recalled ($last_other >= 0.6)"
$PY -c "import sys; sys.exit(0 if $last_non <= 0.1 else 1)" \
  && ok "non-math sites stay low ($last_non <= 0.1)" || fail "non-math sites stay low ($last_non <= 0.1)"

# The seed and the pool from list files (a gzipped list with a comment, a plain one): the same
# inputs as the arguments above, so iteration 1 collects the same pages.
printf '# the seed\n%s\n' "$seed" | gzip > "$T/seed.list.gz"
ls "$T/pool"/*.jsonl.zst > "$T/pool.list"
L=(--positives-from "$T/seed.list.gz" --pool-from "$T/pool.list" --seed 1 --max-iter 1 "${FT[@]}" -j 2)
"$MM" iterate "${L[@]}" --work-dir "$T/l" >/dev/null 2>"$T/l.err"
same "iterate --positives-from/--pool-from exits 0" "$?" 0
cmp -s "$T/l/iter-1/collected.ids" "$T/a/iter-1/collected.ids" \
  && ok "list files give the same iteration 1 as the arguments" || fail "list files give the same iteration 1 as the arguments"
"$MM" iterate --positives-from "$T/missing.list" --pool "$T/pool" --work-dir "$T/l2" >/dev/null 2>"$T/l2.err"
[ $? = 1 ] && grep -q "missing.list" "$T/l2.err" && ok "a missing list file: an error naming it" \
  || { fail "a missing list file: an error naming it"; cat "$T/l2.err"; }

# --tokenizer: the score files count tokens with the project's BPE (what --top-tokens budgets),
# not bytes/4; the first page of a shard counts as many tokens as `tokenizer encode` gives.
check "tokenizer trained on the pool" "$MM" -q tokenizer train --vocab 1000 -o "$T/tok" "$T/pool"/*.jsonl.zst
"$MM" iterate "${L[@]}" --top-tokens 100000 --tokenizer "$T/tok" --work-dir "$T/tk" >/dev/null 2>"$T/tk.err"
same "iterate --top-tokens --tokenizer exits 0" "$?" 0
shard=$(ls "$T/pool"/*.jsonl.zst | head -1)
zstd -dcq "$shard" | head -1 | $PY -c "import json,sys; sys.stdout.write(json.loads(sys.stdin.readline())['text'])" > "$T/first.txt"
want=$("$MM" tokenizer encode --tokenizer "$T/tok" "$T/first.txt" | wc -w)
bytes4=$(( ($(wc -c < "$T/first.txt") + 3) / 4 ))
got=$(head -1 "$T/tk/iter-1/scores/$(basename "$shard" .jsonl.zst).scores.tsv" | cut -f5)
[ "$got" = "$want" ] && [ "$got" != "$bytes4" ] && ok "score files count BPE tokens with --tokenizer ($got, bytes/4 $bytes4)" \
  || fail "score files count BPE tokens with --tokenizer (got $got, encode $want, bytes/4 $bytes4)"
grep -q '"tokens":"'"$T/tok"'"' "$T/tk/config.json" && ok "config.json records the tokenizer" || fail "config.json records the tokenizer"
tk=$($PY -c "import json; s=json.load(open('$T/tk/iter-1/report.json'))['summary']; print(s['collected_tokens'])")
[ "$tk" -gt 0 ] && ok "--top-tokens with the tokenizer collects ($tk tokens)" || fail "--top-tokens with the tokenizer collects ($tk tokens)"

# Dump scale: the per-shard work of each iteration (scoring, counting, new positives) as map
# tasks, the driver stopping until they are done; task 1 of 3 takes its block from Slurm's
# variables.  The iterations are the same files as the single process's (run "a" above).
S=(--positives "$seed" --pool "$T/pool" --seed 1 --max-iter 2 "${FT[@]}" -j 2 --work-dir "$T/s")
rounds=0 waits=0
while [ $rounds -lt 10 ]; do
  rounds=$((rounds + 1))
  "$MM" iterate "${S[@]}" --wait-for-tasks >/dev/null 2>"$T/s.err" || { cat "$T/s.err"; break; }
  grep -q "waits for map tasks" "$T/s.err" || break
  waits=$((waits + 1))
  "$MM" iterate "${S[@]}" --map --task 0/3 2>>"$T/s.map"
  SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3 "$MM" iterate "${S[@]}" --map 2>>"$T/s.map"
  "$MM" iterate "${S[@]}" --map --task 2/3 2>>"$T/s.map"
done
# (with --threshold the score tasks count their shards too: no wait for the counts)
[ -d "$T/s/iter-2" ] && [ "$waits" = 4 ] && ok "map tasks: the driver waited 4 times (scores, new positives x 2 iterations) and finished" \
  || { fail "map tasks: the driver waited 4 times and finished (waits $waits)"; cat "$T/s.err" "$T/s.map"; }
# with --threshold the cut is known before scoring: the score tasks count their shards too
grep -q "shards 0-2: 2 scored, 2 counted" "$T/s.map" && ok "--threshold: a score task counts its shards too" \
  || { fail "--threshold: a score task counts its shards too"; cat "$T/s.map"; }
grep -q "shards 2-4: 2 scored" "$T/s.map" && ok "a map task takes its block from SLURM_ARRAY_TASK_*" \
  || { fail "a map task takes its block from SLURM_ARRAY_TASK_*"; cat "$T/s.map"; }
split_same=1
for k in 1 2; do
  for f in collected.ids domains.tsv prefixes.tsv new_positives.tsv scores/mpmath.readthedocs.io.scores.tsv \
           counts/mpmath.readthedocs.io.domains.tsv counts/mpmath.readthedocs.io.prefixes.tsv; do
    cmp -s "$T/a/iter-$k/$f" "$T/s/iter-$k/$f" || { split_same=0; echo "differs: iter-$k/$f"; }
  done
  cmp -s <(zstd -dcq "$T/a/iter-$k/new_positives.jsonl.zst") <(zstd -dcq "$T/s/iter-$k/new_positives.jsonl.zst") \
    || { split_same=0; echo "differs: iter-$k/new_positives.jsonl.zst"; }
done
same "map tasks + driver give the single process's iterations" "$split_same" 1
"$MM" iterate "${S[@]}" --map --task 3/3 >/dev/null 2>&1
same "--task out of range is a usage error" "$?" 2

# Killed in the middle, then restarted: the same result.
"$MM" iterate "${ARGS[@]}" --work-dir "$T/c" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do [ -d "$T/c/iter-2.tmp/scores" ] && break; sleep 0.05; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
[ -d "$T/c/iter-1" ] && [ ! -d "$T/c/iter-2" ] && ok "killed during iteration 2 (iter-1 committed, iter-2 not)" \
  || fail "killed during iteration 2 (iter-1 committed, iter-2 not)"
"$MM" iterate "${ARGS[@]}" --work-dir "$T/c" >"$T/c.out" 2>&1
grep -q "done earlier" "$T/c.out" && ok "restart resumes after the finished iteration" || fail "restart resumes after the finished iteration"
same_sets=1
for d in "$T/a"/iter-[0-9]*; do
  cmp -s "$d/collected.ids" "$T/c/$(basename "$d")/collected.ids" || same_sets=0
done
same "killed and restarted run gives the same result" "$same_sets" 1

# A work dir from another configuration is refused and left as it was.
before=$(cat "$T/a/config.json" | cksum)
"$MM" iterate "${ARGS[@]/--seed/--seed}" --seed 8 --work-dir "$T/a" >/dev/null 2>"$T/cfg.err"
rc=$?
[ "$rc" != 0 ] && grep -q "another configuration" "$T/cfg.err" && ok "other configuration refused" \
  || { fail "other configuration refused (rc $rc)"; cat "$T/cfg.err"; }
same "config.json untouched" "$(cat "$T/a/config.json" | cksum)" "$before"

# Bad input: an empty pool, a seed with no usable document.
mkdir -p "$T/empty"; : > "$T/empty/none.jsonl"
"$MM" iterate --positives "$seed" --pool "$T/empty/none.jsonl" --work-dir "$T/e1" >/dev/null 2>"$T/e1.err"
[ $? = 1 ] && grep -q "no pages left\|empty" "$T/e1.err" && ok "empty pool: clear error" || { fail "empty pool: clear error"; cat "$T/e1.err"; }
"$MM" iterate --positives "$T/empty/none.jsonl" --pool "$T/docs" --work-dir "$T/e2" >/dev/null 2>"$T/e2.err"
[ $? = 1 ] && grep -q "no usable documents" "$T/e2.err" && ok "empty seed: clear error" || { fail "empty seed: clear error"; cat "$T/e2.err"; }

# Stops that end a run cleanly: a pool that is all seed (nothing to draw negatives from).
"$MM" iterate --positives "$seed" --pool "$seed" --work-dir "$T/e3" "${FT[@]}" >/dev/null 2>"$T/e3.err"
[ $? = 0 ] && grep -q "none is left to draw negatives" "$T/e3.err" && ok "pool of positives only: clear stop" \
  || { fail "pool of positives only: clear stop"; cat "$T/e3.err"; }
"$MM" iterate "${ARGS[@]}" --bucket 0 --word-ngrams 2 --work-dir "$T/e4" >/dev/null 2>"$T/e4.err"
rc=$?
[ "$rc" = 1 ] && grep -q "bucket 0" "$T/e4.err" && ok "--bucket 0 with n-grams: an error, not SIGFPE (rc $rc)" \
  || { fail "--bucket 0 with n-grams: an error, not SIGFPE (rc $rc)"; cat "$T/e4.err"; }
ls "$T/e4"/iter-1.tmp/*.tmp.* "$T/e4"/iter-1.tmp/*.train.* 2>/dev/null | grep -q . \
  && fail "no temp files left by the refused training" || ok "no temp files left by the refused training"

# The annotation flow, iteration by iteration: annotate -> edit -> continue -> annotate the next.
mark() { # CANDIDATES OUT: a person allows the prefixes of the math sites, denies the rest
  awk -F'\t' 'BEGIN{OFS="\t"} /^#/ {next} $1=="prefix" {print; next} {$5 = ($1 ~ /^(mpmath|arblib|eigen)/) ? "allow" : "deny"; print}' "$1" > "$2"
}
N=(--positives "$seed" --pool "$T/pool" --seed 1 --max-iter 2 "${FT[@]}" -j 2 --work-dir "$T/n" --annotate)
"$MM" iterate "${N[@]}" >/dev/null 2>"$T/n1.err"
cand=$T/n/annotations/iter-1.candidates.tsv
[ -s "$cand" ] && grep -q "decision" "$cand" && [ ! -d "$T/n/iter-1" ] && grep -q "iteration 1 waits" "$T/n1.err" \
  && ok "--annotate: iteration 1 waits at its candidates, nothing committed" \
  || { fail "--annotate: iteration 1 waits at its candidates, nothing committed"; cat "$T/n1.err"; }
"$MM" iterate "${N[@]}" >/dev/null 2>"$T/n2.err"
[ ! -d "$T/n/iter-1" ] && grep -q "iteration 1 waits" "$T/n2.err" && ok "a rerun without decisions waits again" \
  || fail "a rerun without decisions waits again"
if [ -s "$cand" ]; then
  mark "$cand" "$T/n/annotations/iter-1.tsv"
  "$MM" iterate "${N[@]}" >/dev/null 2>"$T/n3.err"
  [ -d "$T/n/iter-1" ] && [ -s "$T/n/iter-1/annotations.tsv" ] && grep -q "annotated" "$T/n/iter-1/prefixes.tsv" \
    && ! grep -Ev '^(mpmath|arblib|eigen)' "$T/n/iter-1/prefixes.tsv" | grep -q "	allow	" \
    && ok "the person's decisions finish iteration 1" || { fail "the person's decisions finish iteration 1"; cat "$T/n3.err"; }
  if grep -q "added no new positives" "$T/n3.err"; then
    ok "iteration 2 not needed: iteration 1 added no positives"
  else
    [ -s "$T/n/annotations/iter-2.candidates.tsv" ] && [ ! -d "$T/n/iter-2" ] && grep -q "iteration 2 waits" "$T/n3.err" \
      && ok "then iteration 2 waits at its own candidates" || { fail "then iteration 2 waits at its own candidates"; cat "$T/n3.err"; }
    mark "$T/n/annotations/iter-2.candidates.tsv" "$T/n/annotations/iter-2.tsv"
    "$MM" iterate "${N[@]}" >/dev/null 2>"$T/n4.err"
    [ -d "$T/n/iter-2" ] && [ -s "$T/n/iter-2/annotations.tsv" ] && ok "the second person's decisions finish iteration 2" \
      || { fail "the second person's decisions finish iteration 2"; cat "$T/n4.err"; }
    [ -s "$T/n/iter-2/domains.tsv" ] && echo "with a person's decisions, iteration 2: $(cut -f1-4 "$T/n/iter-2/domains.tsv" | tail -n +2 | tr '\n' ' ')"
  fi
fi
finish
