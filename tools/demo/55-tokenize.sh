#!/usr/bin/env bash
# demo step 55: train a byte-level BPE tokenizer (vocabulary 8192) on the mined corpus and
# write llm.c token shards for the pretrainer: $DEMO/tokenizer/ (vocab.json, merges.txt) and
# $DEMO/tokens/{train,val}_NNNNNN.bin + shards.json.  The corpus is the cleaned document shards
# ($DEMO/clean/) when the dedup/decontamination steps made them, else the extracted ones
# ($DEMO/docs/).  A rerun keeps a finished tokenizer and finished shards.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO=${DEMO:-$SRC/demo-out}
MM=${MM:-$SRC/build/mathmine}
VOCAB=${DEMO_VOCAB:-8192}

src=""
for d in "$DEMO/clean" "$DEMO/docs"; do
  if [ -d "$d" ] && [ -n "$(find "$d" -name '*.jsonl.zst' -o -name '*.jsonl' | head -1)" ]; then src=$d; break; fi
done
if [ -z "$src" ]; then
  echo "55-tokenize: no document shards in $DEMO/clean or $DEMO/docs; run the earlier demo steps first" >&2
  exit 1
fi
mapfile -t shards < <(find "$src" \( -name '*.jsonl.zst' -o -name '*.jsonl' \) -type f | sort)
echo "tokenizer: ${#shards[@]} document shards from $src"
# --min-freq 1: on a small demo corpus, let rare pairs fill the vocabulary the model expects
$MM tokenizer train --vocab "$VOCAB" --min-freq 1 "${shards[@]}" -o "$DEMO/tokenizer"
$MM shard --tokenizer "$DEMO/tokenizer" --val-frac 0.05 --seed 1 --shard-tokens 10M \
  --stats "$DEMO/tokens-stats.json" "${shards[@]}" -o "$DEMO/tokens"
/usr/bin/python3 - "$DEMO/tokens/shards.json" "$DEMO/tokenizer/vocab.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); v = json.load(open(sys.argv[2], encoding="utf-8"))
print("tokens: vocab %d; %d documents -> train %d tokens in %d shard(s), val %d tokens; %.2f bytes/token"
      % (len(v), m["documents"], m["train_tokens"], len(m["train"]), m["val_tokens"],
         m["input_bytes"] / max(1, m["train_tokens"] + m["val_tokens"])))
PY
