#!/usr/bin/env bash
# `mathmine report` on a small demo-like run, opened in a real browser.  The run: the small
# sample web (real Debian documentation HTML crawled by wget) extracted and URL-deduplicated by
# `mathmine run` (task markers: CPU time, peak RSS), decontaminated against GSM8K with one
# planted contaminated page, iterated (DeepSeekMath's collection), tokenized, a tiny pretrain,
# a short GRPO run and an eval.  Checks: every section the run should have is in the page,
# the numbers in it match the stats, Debian's headless chromium loads it without a console
# error, and a screenshot is kept in build/test-logs/report_html.png (not committed).
source "$(dirname "$0")/../lib.sh"
R=$T/run
bash "$SRC/tools/sampleweb/build.sh" "$T/web" --small --quiet >"$T/web.log" 2>&1 \
  || { cat "$T/web.log"; fail "sample web built"; finish; }
ls "$T/web"/*.warc.gz >"$T/warcs.txt"
# a page that copies a GSM8K test question: decontamination must remove it
mkdir -p "$T/planted"
$PY - "$SHARED/benchmarks/gsm8k/test.jsonl" "$T/planted/planted.jsonl" <<'PY'
import json, sys
q = json.loads(open(sys.argv[1]).readline())["question"]
d = {"id": "planted1", "text": "Homework help\n" + q + "\nThanks!", "url": "http://cheat.example/q1",
     "host": "cheat.example", "domain": "cheat.example", "lang": "en", "source": "web", "math": {}}
open(sys.argv[2], "w").write(json.dumps(d) + "\n")
PY
zstd -q --rm "$T/planted/planted.jsonl"
cat >"$T/p.ini" <<P
out = $R
tasks = 2
[extract]
map = extract -j 1 -o {out}/docs
inputs = $T/warcs.txt
[url-map]
map = dedup url --stage map -j 1 --work {out}/work
inputs = {out}/docs/*.jsonl.zst
[url-merge]
reduce = dedup url --stage merge --work {out}/work
[url-filter]
map = dedup url --stage filter -j 1 --work {out}/work --out-dir {out}/url
inputs = {out}/docs/*.jsonl.zst
[decontaminate]
map = decontaminate -j 1 --bench gsm8k=$SHARED/benchmarks/gsm8k/test.jsonl@question,answer --out-dir {out}/clean --report {out}/decontam-report.json --removed {out}/decontam-removed.jsonl.zst
inputs = {out}/url/*.jsonl.zst
inputs = $T/planted/*.jsonl.zst
tasks = 1
P
check "pipeline run" $MM -q run "$T/p.ini" -j 2
seed=$(ls "$R/docs"/mpmath*.jsonl.zst)
check "iterate" $MM -q iterate --positives "$seed" --pool "$R/docs" --work-dir "$R/iterate" --seed 1 \
  --max-iter 2 --dim 16 --bucket 20000 --epoch 10 --lr 0.5 --min-count 1 --word-ngrams 1 --domain-min-pages 3 -j 2
check "tokenizer" $MM -q tokenizer train --vocab 400 --min-freq 1 "$R"/clean/*.jsonl.zst -o "$R/tokenizer"
check "shard" $MM -q shard --tokenizer "$R/tokenizer" --val-frac 0.1 --seed 1 --stats "$R/tokens.json" \
  "$R"/clean/*.jsonl.zst -o "$R/tokens"
check "pretrain" $MM -q pretrain --data "$R/tokens/train_*.bin" --val "$R/tokens/val_*.bin" \
  --tokenizer "$R/tokenizer" --config layers=1,heads=2,dim=32,ctx=32,vocab=400 --batch 4 --steps 12 \
  --val-every 4 --val-batches 2 --log-every 4 --ckpt-every 12 --out "$R/ckpt"
TASK=(--task arith --plain --ops 1 --digits 1 --task-seed 1 --n-test 20)
check "sft warm-up" $MM -q grpo --algo sft --init new:1,2,32,96 "${TASK[@]}" --steps 5 --sft-batch 8 -o "$R/warmup"
check "grpo" $MM -q grpo --init "$R/warmup/final" "${TASK[@]}" --steps 3 --questions 4 --group 4 \
  --max-new-tokens 8 --eval-every 3 --eval-n 10 -o "$R/grpo"
$MM -q eval --ckpt "$R/grpo/final" "${TASK[@]}" --n 10 --k 2 --max-new-tokens 8 >"$R/eval.json" 2>"$T/eval.err" \
  && ok "eval" || { fail "eval"; cat "$T/eval.err"; }

$MM report "$R" --stats "$T/rs.json" >"$T/report.out" 2>"$T/report.err"
same "report exits 0" "$?" 0
same "report prints its path" "$(cat "$T/report.out")" "$R/report.html"
H=$R/report.html
sections=$($PY -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["sections"]))' "$T/rs.json")
same "sections of this run (stats)" "$sections" "summary funnel stages extraction iterations decontamination samples training"
for s in summary funnel stages extraction iterations decontamination samples training; do
  grep -q "<section id=\"$s\">" "$H" && ok "page has section $s" || fail "page has section $s"
done
! grep -q '<section id="classifier">' "$H" && ok "no classifier section (no classify stage ran)" || fail "no classifier section"
# numbers the page must carry: the extract stage's record count summed over its 2 tasks
recs=$($PY - "$R/_run/extract" <<'PY'
import glob, json, sys
print(sum(json.load(open(f))["stats"]["records"] for f in glob.glob(sys.argv[1] + "/task-*.json")))
PY
)
recs_fmt=$($PY -c "print(format($recs, ','))")
grep -q "<td>WARC records</td><td class=n>$recs_fmt</td>" "$H" && ok "funnel: WARC records = $recs_fmt (sum of the task stats)" \
  || fail "funnel: WARC records = $recs_fmt"
grep -q '<td>after decontamination</td>' "$H" && ok "funnel reaches decontamination" || fail "funnel reaches decontamination"
grep -q 'http://cheat.example/q1' "$H" && ok "the planted page is shown as removed with its match" || fail "planted page in the page"
grep -A3 '<td>gsm8k</td>' "$H" | grep -q '<td class=n>1</td>' && ok "gsm8k: 1 document removed" || fail "gsm8k: 1 document removed"
grep -q 'CPU-hours' "$H" && grep -Eq '<td class=n>0\.[0-9]{4}</td>' "$H" && ok "stages table has CPU-hours from the markers" \
  || fail "stages table has CPU-hours"
[ "$(grep -c '<svg' "$H")" -ge 4 ] && ok "inline charts (iterations, loss, GRPO)" || fail "inline charts: $(grep -c '<svg' "$H")"
! grep -Eiq '<script|https?://[^"<]*\.(css|js)|<link ' "$H" && ok "self-contained: no script, no external CSS" || fail "self-contained"

# a real browser: Debian's chromium, headless
if ! command -v chromium >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >"$T/apt.log" 2>&1 \
    || { tail -5 "$T/apt.log"; }
fi
if command -v chromium >/dev/null; then
  CR=(chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$T/chrome"
      --enable-logging=stderr --v=0)
  timeout 120 "${CR[@]}" --dump-dom "file://$H" >"$T/dom.html" 2>"$T/chrome.err"
  same "chromium loads the page" "$?" 0
  n=0
  for s in summary funnel stages extraction iterations decontamination samples training; do
    grep -q "<section id=\"$s\">" "$T/dom.html" && n=$((n+1))
  done
  same "the DOM chromium built has every section" "$n" 8
  if grep -Eq 'CONSOLE|Uncaught|Refused to|Failed to load resource|net::ERR' "$T/chrome.err"; then
    fail "no console errors"; grep -E 'CONSOLE|Uncaught|Refused|Failed to load|net::ERR' "$T/chrome.err" | head -5
  else ok "no console errors"; fi
  art=$SRC/${MM_BUILD:-build}/test-logs
  mkdir -p "$art"
  timeout 120 "${CR[@]}" --hide-scrollbars --window-size=1400,2400 --screenshot="$art/report_html.png" \
    "file://$H" >/dev/null 2>"$T/shot.err"
  [ -s "$art/report_html.png" ] && ok "screenshot: $art/report_html.png" || { fail "screenshot"; tail -3 "$T/shot.err"; }
else
  fail "chromium could not be installed (apt-get install chromium)"
fi

# a folder with nothing in it: a page with the run section only; a missing folder: exit 1
mkdir -p "$T/empty"
$MM -q report "$T/empty" --stats "$T/e.json" >/dev/null
same "empty folder: summary only" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["sections"])' "$T/e.json")" "['summary']"
$MM -q report "$T/nope" >/dev/null 2>"$T/nope.err"
same "missing folder: exit 1" "$?" 1
grep -q "nope: cannot read the folder" "$T/nope.err" && ok "the error names the folder" || fail "the error names the folder"
# a damaged stats file is skipped and named, the rest still reported
echo '{"records": 3,' >"$R/broken.json"
$MM -q report "$R" -o "$T/r2.html" --stats "$T/r2.json" >/dev/null
same "damaged JSON counted" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["files_bad"])' "$T/r2.json")" 1
grep -q '<code>broken.json</code>' "$T/r2.html" && ok "damaged JSON named in the page" || fail "damaged JSON named"
finish
