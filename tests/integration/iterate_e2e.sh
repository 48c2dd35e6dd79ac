#!/usr/bin/env bash
# End-to-end `mathmine iterate` over a multi-site web crawled in the test: real HTML from Debian
# documentation packages served on 127.0.0.1 under one host name per site (tools/sampleweb),
# crawled by GNU wget, extracted by mathmine, seeded with one math site.
source "$(dirname "$0")/../lib.sh"

bash "$SRC/tools/sampleweb/build.sh" "$T/web" --small --quiet >"$T/web.log" 2>&1 \
  || { cat "$T/web.log"; fail "sample web built"; finish; }
# Most of the web is not mathematics: a non-math site of 181 real news pages (the article
# benchmark's HTML) served on 127.0.0.1 and crawled by wget too.
mkdir -p "$T/news"
for f in "$SHARED"/testdata/article-extraction-benchmark/html/*.html.gz; do
  zcat "$f" > "$T/news/$(basename "$f" .gz)"
done
serve_dir "$T/news"
(cd "$T" && wget -q -r -l 1 -e robots=off --warc-file="$T/web/news" --no-warc-keep-log \
   -P "$T/crawl" "http://127.0.0.1:$PORT/")
[ -s "$T/web/news.warc.gz" ] && ok "news site crawled" || fail "news site crawled"
check "extract the sample web" "$MM" -q extract -o "$T/docs" "$T/web"/*.warc.gz
seed=$(ls "$T/docs"/mpmath*.jsonl.zst 2>/dev/null) || { fail "seed shard extracted"; finish; }
# Small-data fastText settings (the defaults are DeepSeekMath's, sized for 500K documents).
ARGS=(--positives "$seed" --pool "$T/docs" --seed 1 --max-iter 5 --min-new 0.1
      --dim 32 --bucket 100000 --epoch 30 --lr 1 --min-count 1 --word-ngrams 1
      --domain-min-pages 3 --prefix-threshold 0.2 -j 2)

"$MM" iterate "${ARGS[@]}" --work-dir "$T/a" --stats "$T/a.json" >"$T/a.out" 2>"$T/a.err"
rc=$?
same "iterate exits 0" "$rc" 0
cat "$T/a.out"
if grep -q "converged after" "$T/a.err"; then ok "the stop rule fired"; else fail "the stop rule fired"; cat "$T/a.err"; fi
last=$(cd "$T/a" && ls -d iter-* | grep -v tmp | sed "s/iter-//" | sort -n | tail -1)
[ "${last:-0}" -ge 2 ] && ok "at least two iterations ($last)" || fail "at least two iterations ($last)"
for f in report.json report.md growth.svg config.json; do
  [ -s "$T/a/$f" ] && ok "work dir has $f" || fail "work dir has $f"
done
for f in model.bin collected.ids domains.tsv prefixes.tsv report.json score_hist.svg new_positives.tsv; do
  [ -s "$T/a/iter-1/$f" ] && ok "iter-1 has $f" || fail "iter-1 has $f"
done
[ -s "$T/a.json" ] && ok "--stats written" || fail "--stats written"

# Recall per kind of site, from the shards' math flags (sampleweb manifest) and domains.tsv.
recall() { # ITER -> "other_math_share nonmath_max_share"
  $PY - "$T/web/manifest.tsv" "$T/docs" "$T/a/iter-$1/domains.tsv" <<'PY'
import sys, json, glob, subprocess
manifest, docs, dom = sys.argv[1:4]
math = {l.split('\t')[0]: l.split('\t')[1] == '1' for l in open(manifest).read().splitlines()[1:]}
host2dom = {}
for f in glob.glob(docs + '/*.jsonl.zst'):
    out = subprocess.run(['zstd', '-dc', f], capture_output=True, text=True).stdout
    for line in out.splitlines():
        d = json.loads(line); host2dom[d['host']] = d['domain']
dmath = {host2dom[h]: m for h, m in math.items() if h in host2dom}
rows = [l.split('\t') for l in open(dom).read().splitlines()[1:]]
other = [(int(r[1]), int(r[2])) for r in rows if dmath.get(r[0]) and not r[0].startswith('mpmath')]
nonmath = [int(r[2]) / int(r[1]) for r in rows if r[0] in dmath and not dmath[r[0]]]
print('%.3f %.3f' % (sum(c for _, c in other) / max(1, sum(p for p, _ in other)), max(nonmath)))
PY
}
read -r first_other first_non <<<"$(recall 1)"
read -r last_other last_non <<<"$(recall "$last")"
echo "other math sites recalled: iter-1 $first_other, iter-$last $last_other; non-math max share: $first_non, $last_non"
$PY -c "import sys; sys.exit(0 if $last_other >= $first_other + 0.15 else 1)" \
  && ok "later iteration recalls clearly more of the other math sites ($first_other -> $last_other)" \
  || fail "later iteration recalls clearly more of the other math sites ($first_other -> $last_other)"
$PY -c "import sys; sys.exit(0 if max($first_non, $last_non) < 0.25 else 1)" \
  && ok "non-math sites stay low ($first_non, $last_non)" || fail "non-math sites stay low ($first_non, $last_non)"

# Same seed, another work dir: the same collected set in every iteration.
"$MM" iterate "${ARGS[@]}" --work-dir "$T/b" >/dev/null 2>&1
same_sets=1
for d in "$T/a"/iter-[0-9]*; do
  cmp -s "$d/collected.ids" "$T/b/$(basename "$d")/collected.ids" || same_sets=0
done
same "second run with the same seed collects the same sets" "$same_sets" 1

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

# The annotation flow: --annotate stops with candidates; --annotations goes on with them.
"$MM" iterate "${ARGS[@]}" --max-iter 1 --work-dir "$T/n" --annotate >/dev/null 2>"$T/n.err"
cand=$(ls "$T/n"/iter-1.tmp/prefixes.tsv 2>/dev/null)
[ -n "$cand" ] && grep -q "decision" "$cand" && [ ! -d "$T/n/iter-1" ] && ok "--annotate writes candidates, commits nothing" \
  || fail "--annotate writes candidates, commits nothing"
if [ -n "$cand" ]; then
  awk -F'\t' 'BEGIN{OFS="\t"} /^#/ {next} NR>0 && $1=="prefix" {print; next} {$5 = ($1 ~ /^mpmath/) ? "allow" : "deny"; print}' "$cand" > "$T/marked.tsv"
  "$MM" iterate "${ARGS[@]}" --max-iter 1 --work-dir "$T/n" --annotations "$T/marked.tsv" >/dev/null 2>&1
  [ -s "$T/n/iter-1/annotations.tsv" ] && grep -q "annotated" "$T/n/iter-1/prefixes.tsv" \
    && ! grep -v '^mpmath' "$T/n/iter-1/prefixes.tsv" | grep -q "allow" \
    && ok "--annotations decides the prefixes" || fail "--annotations decides the prefixes"
fi
finish
