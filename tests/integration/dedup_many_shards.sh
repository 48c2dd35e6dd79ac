#!/usr/bin/env bash
# The dedup merges over 5,000 input shards under `ulimit -n 256`: URL and exact merges and the
# MinHash buckets merge at most 64 files at a time (intermediate runs beyond that); the URL
# merge gives the same drop lists as a one-level merge (MM_MERGE_FANIN above the shard count, no
# file limit), and a six-level one (exact, fan-in 4) removes exactly the planted copies.  Tiny shards keep it fast; the work goes to /dev/shm when there is
# one, since every output is fsync'ed and 5,000 fsyncs per stage take minutes on a shared disk.
[ -w /dev/shm ] && export TMPDIR=/dev/shm
source "$(dirname "$0")/../lib.sh"
N=5000
$PY - "$T/in" $N <<'PYEOF'
import json, os, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma".split()
for i in range(n):
    with open("%s/s%05d.jsonl" % (out, i), "w") as f:
        k = i % (n // 2)   # shard i and i + n/2 share a URL, a text and a near text
        t = " ".join(words[(k * 7 + j) % len(words)] + str(k) for j in range(40))
        f.write(json.dumps({"id": "u%05d" % i, "url": "https://ex.example/p/%d" % k, "text": "page %d of shard %d" % (k, i), "date": "2024-01-0%d" % (1 + i % 2)}) + "\n")
        f.write(json.dumps({"id": "t%05d" % i, "url": "https://t.example/%d" % i, "text": t.upper() if i >= n // 2 else t}) + "\n")
PYEOF
ls "$T"/in/*.jsonl >"$T/list.txt"
same "5000 shards" "$(wc -l <"$T/list.txt")" $N
removed() { cat "$1"/removed/*.tsv | sort; }
( ulimit -n 256; $MM dedup url --out-dir "$T/u2" -j 2 --inputs "$T/list.txt" ) 2>"$T/u2.log" \
  && ok "url dedup of 5000 shards under ulimit -n 256" || { fail "url under ulimit -n 256"; tail -3 "$T/u2.log"; }
same "url: $((N / 2)) documents removed" "$(removed "$T/u2" | wc -l)" $((N / 2))
# one level, no file limit: the reference merge, from the same keys
MM_MERGE_FANIN=100000 $MM dedup url --stage merge --work "$T/u2/work" 2>"$T/u1.log" && mv "$T/u2/work/url/drops" "$T/drops1" \
  && $MM dedup url --stage merge --work "$T/u2/work" 2>>"$T/u1.log" || fail "url merges again"
same "url: hierarchical merge = one-level merge (drop lists byte for byte)" \
  "$(cat "$T"/drops1/*.drops | md5sum)" "$(cat "$T"/u2/work/url/drops/*.drops | md5sum)"
( ulimit -n 256; MM_MERGE_FANIN=4 $MM dedup exact --attrs "$T/e4" -j 2 --inputs "$T/list.txt" ) 2>"$T/e4.log" \
  && ok "exact dedup, fan-in 4 (six levels), under ulimit -n 256" || { fail "exact fan-in 4"; tail -3 "$T/e4.log"; }
same "exact: the $((N / 2)) upper-cased copies (later shards) removed, nothing else" \
  "$(cat "$T"/e4/*.exact_dup.attrs.tsv | grep -v '^#' | cut -f1 | sort | tr '\n' ' ')" "$(seq -f 't%05g' $((N / 2)) $((N - 1)) | tr '\n' ' ')"
( ulimit -n 256; $MM dedup minhash all --bands 4 --rows 2 --attrs "$T/a" -j 2 --inputs "$T/list.txt" ) 2>"$T/m.log" \
  && ok "minhash (signatures, buckets, clusters, filter as attributes) under ulimit -n 256" || { fail "minhash under ulimit"; tail -3 "$T/m.log"; }
same "minhash: the upper-cased copies clustered" "$(cat "$T"/a/*.minhash_dup.attrs.tsv | grep -v '^#' | cut -f1 | grep -c '^t')" $((N / 2))
same "no intermediate run left behind" "$(find "$T/u2" "$T/e4" "$T/a" -name '*.merge-*' | wc -l)" 0
finish
