#!/usr/bin/env bash
# Golden bad inputs for the WARC reader (tests/golden/warc/NAME, written by make.py there):
# `mathmine warc ls NAME` must print exactly NAME.expected — the records, the messages naming
# file, byte offset and reason, and the exit status.  --update rewrites the .expected files.
source "$(dirname "$0")/../lib.sh"
G=$SRC/tests/golden/warc
update=${1:-}
run_one() { # name -> the expected-file text
  local f=$1 out err rc
  out=$(cd "$G" && "$MM" warc ls "$f" 2>"$T/err"); rc=$?
  printf '%s\n--- stderr\n%s\n--- exit %s\n' "$out" "$(cat "$T/err")" "$rc"
}
for f in $(cd "$G" && ls | grep -v -e '\.expected$' -e '^make\.py$'); do
  got=$(run_one "$f")
  if [ "$update" = --update ]; then printf '%s\n' "$got" >"$G/$f.expected"; continue; fi
  if [ ! -f "$G/$f.expected" ]; then fail "$f: no $f.expected"; continue; fi
  if [ "$got" == "$(cat "$G/$f.expected")" ]; then ok "$f"
  else fail "$f"; diff <(cat "$G/$f.expected") <(printf '%s\n' "$got") | head -10 | sed 's/^/    /'; fi
done
# gzip inputs again with every member streamed (isa-l) instead of inflated whole (libdeflate)
for f in $(cd "$G" && ls *.gz); do
  got=$(MM_WARC_GZIP_STREAM=1 run_one "$f")
  same "$f (streaming inflate)" "$got" "$(cat "$G/$f.expected")"
done
# the same records whatever the container
same "gzip one member = plain" "$(cd "$G" && "$MM" warc ls gzip-one-member-for-all.warc.gz)" \
  "$(cd "$G" && "$MM" warc ls good-three-records.warc)"
finish
