#!/usr/bin/env bash
# select_bounded — the selection cut-off at pool scale: ROWS score rows (default 1M; 10M in
# tests/long/select_10m.sh) in 2,000 score files, `select --top-tokens` and `--top-frac` against
# an exact reference (GNU sort of every row, then a running token sum), and the peak RSS of
# `select` (the cut comes from score histograms, not from sorting the rows in memory).
source "$(dirname "$0")/../lib.sh"
ROWS=${MM_SELECT_ROWS:-1000000}
FILES=2000
RSS_MAX_KB=${MM_SELECT_RSS_KB:-1048576}
mkdir -p "$T/s"
# Random scores printed as score files print them (%.7g: many exact ties among millions of
# rows, split by id), 1..2000 tokens per row.
awk -v n="$ROWS" -v files=$FILES -v dir="$T/s" 'BEGIN {
  srand(7); per = int(n / files)
  for (f = 0; f < files; f++) {
    fn = sprintf("%s/s%04d.scores.tsv", dir, f)
    for (i = 0; i < per; i++)
      printf "d%x-%x\t%.7g\thttp://h%d.org/p/%d\th%d.org\t%d\n", f, i, rand(), f % 97, i, f % 97, 1 + int(rand() * 2000) > fn
    close(fn)
  }
}'
got=$(cat "$T"/s/*.tsv | wc -l)
same "$ROWS rows in $FILES score files" "$got" "$ROWS"
total=$(cat "$T"/s/*.tsv | awk -F'\t' '{t += $5} END {printf "%.0f", t}')
budget=$((total * 3 / 10))
# The reference: every row sorted by score (highest first), ties by id (bytewise), then the rows
# up to the one whose running token sum reaches the budget.
LC_ALL=C sort -t$'\t' -S 200M -k2,2gr -k1,1 "$T"/s/*.tsv > "$T/ranked.tsv"
read -r ref_n ref_score ref_id < <(awk -F'\t' -v b="$budget" '{s += $5; if (s >= b) {print NR, $2, $1; exit}}' "$T/ranked.tsv")
echo "reference: $ref_n rows up to score $ref_score (id $ref_id) for $budget of $total tokens"

/usr/bin/time -f "%M %e" -o "$T/time" "$MM" select --scores "$T"/s/*.tsv --top-tokens "$budget" \
  -o "$T/top.ids" --stats "$T/st.json" 2>"$T/err" || { cat "$T/err"; fail "select --top-tokens ran"; }
read -r rss secs < "$T/time"
echo "select --top-tokens: ${rss} KB peak RSS, ${secs} s"
same "top-tokens: as many rows as the exact sort" "$($PY -c "import json;print(json.load(open('$T/st.json'))['selected'])")" "$ref_n"
same "top-tokens: the same cut-off score" "$($PY -c "import json;print('%.7g' % json.load(open('$T/st.json'))['cutoff'])")" "$($PY -c "print('%.7g' % $ref_score)")"
same "top-tokens: the same ids" "$(LC_ALL=C sort "$T/top.ids" | md5sum)" "$(head -n "$ref_n" "$T/ranked.tsv" | cut -f1 | LC_ALL=C sort | md5sum)"
[ "$rss" -lt "$RSS_MAX_KB" ] && ok "peak RSS $rss KB under $RSS_MAX_KB KB" || fail "peak RSS $rss KB under $RSS_MAX_KB KB"

frac_n=$(( (ROWS * 17 + 99) / 100 ))
"$MM" select --scores "$T"/s/*.tsv --top-frac 0.17 -o "$T/frac.ids" --stats "$T/fr.json" 2>"$T/err" \
  || { cat "$T/err"; fail "select --top-frac ran"; }
same "top-frac: ceil(0.17 x rows)" "$(wc -l < "$T/frac.ids")" "$frac_n"
same "top-frac: the same ids as the exact sort" "$(LC_ALL=C sort "$T/frac.ids" | md5sum)" "$(head -n "$frac_n" "$T/ranked.tsv" | cut -f1 | LC_ALL=C sort | md5sum)"
# the 2,000 score files named in a gzipped list file instead of on the command line
{ echo "# score files"; ls "$T"/s/*.tsv; } | gzip > "$T/scores.list.gz"
"$MM" select --scores-from "$T/scores.list.gz" --top-frac 0.17 -o "$T/frac2.ids" 2>"$T/err" \
  || { cat "$T/err"; fail "select --scores-from ran"; }
same "--scores-from a list file: the same ids, in the same order" "$(md5sum < "$T/frac2.ids")" "$(md5sum < "$T/frac.ids")"
finish
