#!/usr/bin/env bash
# demo step 20: extract the sample web ($DEMO/web/*.warc.gz, made by step 10) into document
# shards, one $DEMO/docs/<host>.jsonl.zst per site: main text with the math kept as LaTeX,
# language, host and registered domain.  A rerun skips the shards already there.
# Prints the extraction summary and a few lines of one math page, and writes
# $DEMO/docs/extract-stats.json.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
MM=${MM:-$SRC/build/mathmine}
shopt -s nullglob
warcs=("$DEMO"/web/*.warc.gz)
if [ ${#warcs[@]} = 0 ]; then
  echo "20-extract: no WARCs in $DEMO/web (step 10 builds them)" >&2; exit 1
fi
"$MM" extract -o "$DEMO/docs" --stats "$DEMO/docs/extract-stats.json" "${warcs[@]}"
/usr/bin/python3 - "$DEMO/docs" <<'PY'
import glob, json, os, subprocess, sys
docs = 0; math = 0; langs = {}; sample = None
for shard in sorted(glob.glob(os.path.join(sys.argv[1], "*.jsonl.zst"))):
    out = subprocess.run(["zstd", "-dcq", shard], stdout=subprocess.PIPE, check=True).stdout
    for line in out.decode("utf-8").splitlines():
        d = json.loads(line)
        docs += 1
        langs[d["lang"]] = langs.get(d["lang"], 0) + 1
        if d["math"].get("script_tex", 0) + d["math"].get("tex_annotation", 0) + d["math"].get("text_tex", 0) + d["math"].get("mathml", 0) + d["math"].get("img_tex", 0) > 0:
            math += 1
            if sample is None or ("$" in d["text"] and "$" not in sample["text"]):
                sample = d
print("20-extract: %d documents, %d with math; languages: %s" % (
    docs, math, ", ".join("%s %d" % kv for kv in sorted(langs.items(), key=lambda kv: -kv[1])[:6])))
if sample:
    text = sample["text"]
    i = max(0, text.find("$") - 200) if "$" in text else 0
    print("  e.g. %s  math=%s\n  | %s" % (sample["url"], json.dumps(sample["math"]),
          text[i:i + 400].replace("\n", "\n  | ")))
PY
