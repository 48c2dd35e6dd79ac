#!/usr/bin/env bash
# `extract -j 2` finishes (libxml2 set up once before the workers start: two workers creating
# their first parser at once used to deadlock) and writes the same shards as `-j 1`.
source "$(dirname "$0")/../lib.sh"

W=$SHARED/testdata/chatnoir-resiliparse/tests/data
for i in 1 2 3 4; do cp "$W/warcfile.warc.gz" "$T/in$i.warc.gz"; done
cp "$W/block-sized-records.warc.gz" "$T/in5.warc.gz"
timeout 120 "$MM" -q extract -j 1 -o "$T/one" "$T"/in*.warc.gz
same "extract -j 1 exits 0" "$?" 0
hung=0; differs=0
for run in 1 2 3 4 5 6; do
  rm -rf "$T/two"
  timeout 60 "$MM" -q extract -j 2 -o "$T/two" "$T"/in*.warc.gz
  rc=$?
  [ "$rc" = 124 ] && hung=$((hung + 1))
  for f in "$T"/one/*.jsonl.zst; do
    cmp -s <(zstd -dcq "$f") <(zstd -dcq "$T/two/$(basename "$f")" 2>/dev/null) || differs=$((differs + 1))
  done
done
same "six runs of extract -j 2 never hang" "$hung" 0
same "extract -j 2 writes what -j 1 writes" "$differs" 0
finish
