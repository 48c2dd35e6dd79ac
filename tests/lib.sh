# tests/lib.sh — helpers for integration tests (bash).  Source it, then:
#   ok "what"            / fail "what"           count a result
#   check "what" CMD...  run CMD; pass when it exits 0
#   finish               print "NAME: N passed, N failed" and exit accordingly
# $MM is the mathmine binary, $SRC the repository root, $SHARED ../shared, $T a fresh temp dir.
set -u
SRC=${MM_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
MM=${MM:-$SRC/${MM_BUILD:-build}/mathmine}
SHARED=$SRC/../shared
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/mmtest.XXXXXX")
export MM_NO_PROGRESS=1
_pass=0; _fail=0; _name=$(basename "$0" .sh)
_cleanup() { for p in ${_bg_pids:-}; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap _cleanup EXIT
ok()   { _pass=$((_pass+1)); echo "ok   $*"; }
fail() { _fail=$((_fail+1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" >"$T/.out" 2>&1; then ok "$what"; else fail "$what"; sed 's/^/    /' "$T/.out" | tail -15; fi; }
# same "what" A B: pass when the two strings are equal
same() { if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: got [$2] expected [$3]"; fi; }
finish() { echo "$_name: $_pass passed, $_fail failed"; [ "$_fail" = 0 ]; exit $?; }

# Start a static HTTP server for DIR on a free 127.0.0.1 port; sets PORT.  Stopped on exit.
serve_dir() {
  local dir=$1
  PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  $PY -m http.server "$PORT" --bind 127.0.0.1 --directory "$dir" >"$T/http-$PORT.log" 2>&1 &
  _bg_pids="${_bg_pids:-} $!"
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.1; done
  echo "server on $PORT did not start"; return 1
}
