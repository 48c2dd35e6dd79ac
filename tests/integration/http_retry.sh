#!/usr/bin/env bash
# http_retry: WARC inputs over HTTP that fail the way the internet does, served by a real HTTP
# server on 127.0.0.1 (a small http.server subclass).  Each URL serves the same real Common Crawl
# excerpt; its name picks the misbehaviour:
#   /flaky/  answers 503 twice (Retry-After: 0, then Retry-After: 1), then the file
#   /dated/  answers 429 with Retry-After as an HTTP date, then the file
#   /drop/   sends half the body and closes the connection; honours Range (206) after that
#   /norange/ drops too, then ignores Range and sends the whole file again (200)
#   /hang/   accepts, reads the request, and never answers
#   /gone/   404 (not retried)
# plus a URL on a port where nothing listens (connection refused).  Checks: the readable ones
# give output identical to extracting the local file, with the retries, resumes and restarts
# counted; the Retry-After wait was honoured; the broken ones are reported with their URL and
# tries, their outputs not written, the others finished, exit status 1; a rerun skips what is done.
. "$(dirname "$0")/../lib.sh"

CC_WARC=$SHARED/testdata/chatnoir-resiliparse/tests/data/warcfile.warc.gz
[ -f "$CC_WARC" ] || { fail "missing $CC_WARC"; finish; }

cat >"$T/server.py" <<'PYEOF'
import http.server, socketserver, sys, threading, time
data = open(sys.argv[1], "rb").read()
log = open(sys.argv[2], "a", buffering=1)
port_file = sys.argv[3]
seen = {}
lock = threading.Lock()

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        kind = self.path.split("/")[1]
        with lock:
            n = seen.get(self.path, 0) + 1
            seen[self.path] = n
        rng = self.headers.get("Range", "-")
        log.write("%s\t%d\t%s\t%.3f\n" % (self.path, n, rng, time.time()))
        if kind == "hang":
            time.sleep(30)
            return
        if kind == "gone":
            return self.reply(404, b"not here\n")
        if kind == "flaky" and n <= 2:
            return self.reply(503, b"busy\n", {"Retry-After": "0" if n == 1 else "1"})
        if kind == "dated" and n == 1:  # Retry-After as an HTTP date (in the past: retry now)
            return self.reply(429, b"slow down\n", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        if kind in ("drop", "norange") and n == 1:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if kind == "drop" and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:])
            return
        self.reply(200, data)
    def reply(self, code, body, extra={}):
        self.send_response(code)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

s = S(("127.0.0.1", 0), H)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
PYEOF
$PY "$T/server.py" "$CC_WARC" "$T/requests.tsv" "$T/port" 2>"$T/server.err" &
_bg_pids="${_bg_pids:-} $!"
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port" 2>/dev/null)
[ -n "$PORT" ] || { fail "http server did not start"; cat "$T/server.err"; finish; }
# a port with nothing listening: bind, note it, close
DEAD=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

# the reference: the same file under each name, extracted locally
mkdir -p "$T/local"
for n in a b c; do ln -s "$CC_WARC" "$T/local/$n.warc.gz"; done
check "local extraction" "$MM" extract -j 1 -o "$T/ref" "$T/local/a.warc.gz" "$T/local/b.warc.gz" "$T/local/c.warc.gz"

U=http://127.0.0.1:$PORT
cat >"$T/inputs.txt" <<EOF
$U/flaky/a.warc.gz
$U/drop/b.warc.gz
$U/norange/c.warc.gz
$U/hang/d.warc.gz
$U/gone/e.warc.gz
http://127.0.0.1:$DEAD/f.warc.gz
EOF
HTTP="--http-tries 3 --http-delay 0.05 --http-max-delay 2 --http-timeout 3"  # 3 s: a loaded machine still answers
t0=$(date +%s.%N)
"$MM" extract -j 6 -o "$T/out" --inputs "$T/inputs.txt" $HTTP --stats "$T/stats.json" \
    >"$T/run.out" 2>"$T/run.err"
rc=$?
t1=$(date +%s.%N)
same "exit status 1 when some inputs failed" "$rc" 1

for n in a b c; do
    if [ -f "$T/out/$n.jsonl.zst" ] && cmp -s <(zstd -dc "$T/ref/$n.jsonl.zst") <(zstd -dc "$T/out/$n.jsonl.zst"); then
        ok "$n: read whole over HTTP, output identical to the local file"
    else
        fail "$n: output differs from the local file (or missing)"; tail -5 "$T/run.err"
    fi
done
[ "$(zstd -dc "$T/ref/a.jsonl.zst" | wc -l)" -gt 10 ] && ok "reference has documents" || fail "reference is empty"
for n in d e f; do
    [ ! -e "$T/out/$n.jsonl.zst" ] && ok "$n: failed input not marked done" || fail "$n: output written"
done

# the failures are reported at the end with URL, tries and the last error
grep -q "failed: $U/hang/d.warc.gz: .*after 3 tries: timed out" "$T/run.err" \
    && ok "hanging server reported with its URL, tries and timeout" \
    || { fail "hang not reported"; cat "$T/run.err"; }
grep -q "failed: $U/gone/e.warc.gz: .*after 1 try: HTTP 404" "$T/run.err" \
    && ok "404 reported after one try (not retried)" || fail "404 not reported"
grep -q "failed: http://127.0.0.1:$DEAD/f.warc.gz: .*after 3 tries" "$T/run.err" \
    && ok "refused connection reported after 3 tries" || fail "refused not reported"

# what the server saw
reqs() { awk -F'\t' -v p="$1" '$1 == p' "$T/requests.tsv" | wc -l; }
same "flaky: 503, 503, then 200 (3 requests)" "$(reqs /flaky/a.warc.gz)" 3
same "hang: tried 3 times" "$(reqs /hang/d.warc.gz)" 3
same "gone: asked once" "$(reqs /gone/e.warc.gz)" 1
range_b=$(awk -F'\t' '$1 == "/drop/b.warc.gz" && $2 == 2 {print $3}' "$T/requests.tsv")
size=$(stat -L -c %s "$CC_WARC")
same "drop: resumed with a Range from where the body broke off" "$range_b" "bytes=$((size / 2))-"
gap=$(awk -F'\t' '$1 == "/flaky/a.warc.gz" {t[$2] = $4} END {printf "%.2f", t[3] - t[2]}' "$T/requests.tsv")
awk -v g="$gap" 'BEGIN {exit !(g >= 0.95)}' && ok "Retry-After: 1 honoured (waited ${gap}s)" \
    || fail "Retry-After not honoured (waited ${gap}s)"

# the stats: counters and the failed list
$PY - "$T/stats.json" "$U" "$DEAD" <<'PYEOF' >"$T/py.out" 2>&1
import json, sys
s = json.load(open(sys.argv[1]))
u, dead = sys.argv[2], sys.argv[3]
assert s["files_failed"] == 3, s["files_failed"]
assert s["http_resumes"] == 1, s["http_resumes"]
assert s["http_restarts"] == 1, s["http_restarts"]
# of the inputs read: flaky 2 + drop 1 + norange 1 (the failed ones say theirs in the error)
assert s["http_retries"] == 4, s["http_retries"]
failed = {f["input"]: f["error"] for f in s["failed_inputs"]}
assert set(failed) == {u + "/hang/d.warc.gz", u + "/gone/e.warc.gz",
                       "http://127.0.0.1:%s/f.warc.gz" % dead}, failed
assert "3 tries" in failed[u + "/hang/d.warc.gz"], failed
PYEOF
[ $? = 0 ] && ok "stats: failed_inputs and retry/resume/restart counts" || { fail "stats"; cat "$T/py.out"; }

# a rerun does only what is unfinished: the three failed URLs, not the done ones
before=$(reqs /flaky/a.warc.gz)
"$MM" extract -j 6 -o "$T/out" --inputs "$T/inputs.txt" --http-tries 1 --http-timeout 1 \
    --stats "$T/stats2.json" >/dev/null 2>&1
same "rerun: exit 1 again" "$?" 1
same "rerun: done inputs not fetched again" "$(reqs /flaky/a.warc.gz)" "$before"
same "rerun: 3 done skipped" "$($PY -c 'import json,sys;print(json.load(open(sys.argv[1]))["files_skipped_done"])' "$T/stats2.json")" 3

# under `mathmine run`: URL inputs have no size on disk, so the manifest takes the WARC bytes the
# task read (extract's bytes_in); a 429 with an HTTP-date Retry-After is retried
cat >"$T/urls.txt" <<EOF
dated/g.warc.gz
drop/h.warc.gz
EOF
cat >"$T/p.ini" <<EOF
out = $T/run
tasks = 2
[extract]
map = extract -j 1 -o {out}/docs $HTTP
inputs = $T/urls.txt
base = $U/
EOF
check "run over URL inputs" "$MM" run "$T/p.ini" -j 2
same "dated: 429 then the file (2 requests)" "$(reqs /dated/g.warc.gz)" 2
same "manifest: WARC bytes = what the tasks read" \
    "$($PY -c 'import json,sys;print(json.load(open(sys.argv[1]))["cost"]["warc_bytes"])' "$T/run/_run/manifest.json")" \
    "$((2 * size))"

# environment variables set the defaults
MM_HTTP_TRIES=2 MM_HTTP_DELAY=0.01 "$MM" warc stats "$U/gone/x.warc.gz" "http://127.0.0.1:$DEAD/y.warc.gz" >/dev/null 2>"$T/env.err"
grep -q "y.warc.gz.*after 2 tries" "$T/env.err" && ok "MM_HTTP_TRIES sets the tries (warc stats)" \
    || { fail "MM_HTTP_TRIES"; cat "$T/env.err"; }
echo "# whole run: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
finish
