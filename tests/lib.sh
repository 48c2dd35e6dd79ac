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

# The multi-site test web of the iterate tests, crawled in the test into DIR: the small sample
# web (real Debian documentation HTML, one host per site, tools/sampleweb: WARCs in DIR) and a
# non-math site of the article benchmark's 181 news pages served on 127.0.0.1 and crawled by
# GNU wget (DIR/news.warc.gz).  Returns 1 (with the reason printed) when either fails.
crawl_test_web() {
  local dir=$1
  bash "$SRC/tools/sampleweb/build.sh" "$dir" --small --quiet >"$T/web.log" 2>&1 \
    || { cat "$T/web.log"; echo "sample web not built"; return 1; }
  mkdir -p "$T/news"
  for f in "$SHARED"/testdata/article-extraction-benchmark/html/*.html.gz; do
    zcat "$f" > "$T/news/$(basename "$f" .gz)"
  done
  serve_dir "$T/news" || return 1
  (cd "$T" && wget -q -r -l 1 -e robots=off --warc-file="$dir/news" --no-warc-keep-log \
     -P "$T/crawl" "http://127.0.0.1:$PORT/")
  [ -s "$dir/news.warc.gz" ] || { echo "news site not crawled"; return 1; }
}
