#!/usr/bin/env bash
# Every command listed by `mathmine --help` answers --help on stdout with exit 0, and a bad
# option with a message on stderr and exit 2 (the documented usage-error code).  And the one
# convention of docs/cli.md holds for every command: --name=value, attached short values (-j1),
# -o/--out for the output with the old spellings as aliases, --inputs FILE, --version.
source "$(dirname "$0")/../lib.sh"

"$MM" --help >"$T/top.out" 2>"$T/top.err"
same "mathmine --help exits 0" "$?" 0
[ -s "$T/top.out" ] && [ ! -s "$T/top.err" ] && ok "top help on stdout" || fail "top help on stdout"
cmds=$(awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{on=0}' "$T/top.out")
[ "$(echo "$cmds" | wc -w)" -ge 13 ] && ok "13 commands listed" || fail "13 commands listed: $cmds"
for c in $cmds; do
  "$MM" "$c" --help >"$T/h.out" 2>"$T/h.err"; rc=$?
  if [ "$rc" = 0 ] && grep -qi "usage" "$T/h.out" && [ "$(wc -l <"$T/h.out")" -ge 5 ]; then
    ok "$c --help"
  else fail "$c --help (rc $rc)"; fi
  "$MM" "$c" --no-such-option >"$T/b.out" 2>"$T/b.err"; rc=$?
  if [ "$rc" = 2 ] && [ -s "$T/b.err" ]; then ok "$c: bad option is a usage error"; else fail "$c: bad option is a usage error (rc $rc)"; fi
done
"$MM" no-such-command >/dev/null 2>"$T/u.err"
same "unknown command exits 2" "$?" 2
"$MM" --version >"$T/v.out"
grep -q "^mathmine " "$T/v.out" && ok "--version" || fail "--version"
for lib in libxml2 zstd fastText OpenBLAS libcurl; do
  grep -Eq "^  $lib .*[0-9]" "$T/v.out" && ok "--version names $lib with a version" || { fail "--version names $lib"; cat "$T/v.out"; }
done

# The convention, for every command (the ones with subcommands through their first one).
declare -A pre=([classify]="classify score" [dedup]="dedup url" [tokenizer]="tokenizer train" [warc]="warc ls")
outs=" extract classify dedup decontaminate select iterate tokenizer shard pretrain grpo report "
for c in $cmds; do
  p=${pre[$c]:-$c}
  "$MM" $p --no-such-option=1 >/dev/null 2>"$T/e.err"; rc=$?
  if [ "$rc" = 2 ] && grep -Eq -- "--no-such-option('|$)" "$T/e.err" && ! grep -q -- "=1" "$T/e.err"; then
    ok "$p: --name=value is split before parsing"
  else fail "$p: --name=value (rc $rc: $(head -1 "$T/e.err"))"; fi
  "$MM" $p --help >"$T/h.out" 2>&1
  if grep -Eq '^ +-j[ ,]' "$T/h.out"; then
    "$MM" $p -jx >/dev/null 2>"$T/j.err"; rc=$?
    [ "$rc" = 2 ] && grep -q "got 'x'" "$T/j.err" && ok "$p: -jx is -j x (attached short value)" \
      || fail "$p: attached -jx (rc $rc: $(head -1 "$T/j.err"))"
  fi
  if [[ "$outs" == *" $c "* ]]; then
    grep -Eq -- '-o, --out|\(alias -o' "$T/h.out" && ok "$p --help: -o, --out names the output" \
      || fail "$p --help: -o, --out names the output"
  fi
done
"$MM" classify train --help | grep -q -- "-o, --out" && ok "classify train: -o, --out" || fail "classify train: -o, --out"

# The spellings do the same thing: outputs byte-identical whatever the spelling.
W=$SHARED/testdata/chatnoir-resiliparse/tests/data/warcfile.warc.gz
check "extract -oDIR -j1" "$MM" -q extract -o"$T/x1" -j1 "$W"
check "extract --out-dir=DIR (old spelling, = form)" "$MM" -q extract --out-dir="$T/x2" -j 1 "$W"
check "extract --out DIR --stats=FILE" "$MM" -q extract --out "$T/x3" --stats="$T/x3.json" "$W"
cmp -s "$T/x1/warcfile.jsonl.zst" "$T/x2/warcfile.jsonl.zst" && cmp -s "$T/x1/warcfile.jsonl.zst" "$T/x3/warcfile.jsonl.zst" \
  && ok "extract: same shard whatever the spelling" || fail "extract: same shard whatever the spelling"
[ -s "$T/x3.json" ] && ok "--stats=FILE written" || fail "--stats=FILE written"
check "dedup url -o DIR" "$MM" -q dedup url -o "$T/d1" "$T/x1/warcfile.jsonl.zst"
check "dedup url --out-dir DIR (alias)" "$MM" -q dedup url --out-dir "$T/d2" "$T/x1/warcfile.jsonl.zst"
cmp -s "$T/d1/warcfile.jsonl.zst" "$T/d2/warcfile.jsonl.zst" && ok "dedup: same output with -o and --out-dir" || fail "dedup: -o vs --out-dir"
# Bundled short flags, as getopt allows: -vq before the command, -qj1 / -vo out inside one.
check "mathmine -vq extract (bundled global flags)" "$MM" -vq extract -o "$T/b1" -j1 "$W"
cmp -s "$T/x1/warcfile.jsonl.zst" "$T/b1/warcfile.jsonl.zst" && ok "-vq: same shard" || fail "-vq: same shard"
"$MM" -vq --version >/dev/null; same "-vq --version exits 0" "$?" 0
"$MM" -vx extract >/dev/null 2>"$T/vx.err"; rc=$?
[ "$rc" = 2 ] && grep -q -- "-vx" "$T/vx.err" && ok "-vx: unknown global bundle is a usage error" || fail "-vx (rc $rc)"
"$MM" generate --help | grep -Eq -- '-q, --quiet' || fail "generate takes -q (bundle test needs it)"
"$MM" pretrain -qj1 --no-such-option >/dev/null 2>"$T/qj.err"; rc=$?
[ "$rc" = 2 ] && grep -q -- "--no-such-option" "$T/qj.err" && ! grep -q -- "-qj1" "$T/qj.err" \
  && ok "pretrain -qj1 splits into -q -j 1" || fail "pretrain -qj1 (rc $rc: $(head -1 "$T/qj.err"))"
"$MM" extract -jq "$W" >/dev/null 2>"$T/jq.err"; rc=$?
[ "$rc" = 2 ] && grep -q "got 'q'" "$T/jq.err" && ok "-jq is -j q, not a bundle" || fail "-jq (rc $rc)"
# --inputs FILE on the commands that read many inputs
echo "$T/x1/warcfile.jsonl.zst" >"$T/list.txt"
check "tokenizer train --inputs FILE" "$MM" -q tokenizer train --vocab 300 --min-freq 1 --inputs "$T/list.txt" -o "$T/tok1"
check "tokenizer train SHARD" "$MM" -q tokenizer train --vocab 300 --min-freq 1 "$T/x1/warcfile.jsonl.zst" -o "$T/tok2"
cmp -s "$T/tok1/merges.txt" "$T/tok2/merges.txt" && ok "tokenizer: --inputs reads the same inputs" || fail "tokenizer: --inputs"
basename "$W" >"$T/wlist.txt"
same "warc ls --inputs FILE --base DIR/" "$("$MM" warc ls --inputs "$T/wlist.txt" --base "$(dirname "$W")/" | wc -l)" "$("$MM" warc ls "$W" | wc -l)"
finish
