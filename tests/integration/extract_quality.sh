#!/usr/bin/env bash
# extract_quality: main-content quality of `mathmine extract --html` on the article-extraction
# benchmark (181 real pages with human ground truth, ../shared/testdata/article-extraction-
# benchmark), scored with the benchmark's metric by extract_score.py.  Fails below F1 0.95.
source "$(dirname "$0")/../lib.sh"
D=$SHARED/testdata/article-extraction-benchmark
if [ ! -f "$D/ground-truth.json" ]; then fail "benchmark data missing at $D"; finish; fi
if line=$($PY "$SRC/tests/integration/extract_score.py" --mathmine "$MM" --data "$D" --min-f1 0.95); then
  ok "F1 >= 0.95: $line"
else
  fail "main-content quality: $line"
fi
# --keep-boilerplate keeps more text (recall up, precision down) but stays well-formed
line=$("$MM" extract --html --keep-boilerplate --json "$D/html" | $PY -c '
import json, sys
n = sum(1 for l in sys.stdin if json.loads(l)["text"] is not None)
print(n)')
same "--keep-boilerplate: one JSON line per page" "$line" 181
finish
