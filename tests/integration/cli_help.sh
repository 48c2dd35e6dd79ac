#!/usr/bin/env bash
# Every command listed by `mathmine --help` answers --help on stdout with exit 0, and a bad
# option with a message on stderr and exit 2 (the documented usage-error code).
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
"$MM" --version | grep -q "^mathmine " && ok "--version" || fail "--version"
finish
