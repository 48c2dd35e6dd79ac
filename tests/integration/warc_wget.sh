#!/usr/bin/env bash
# End to end: a small Python server on 127.0.0.1 serves files as they are, chunked, gzip-encoded
# and both; GNU wget crawls them into a WARC (--warc-file); `mathmine warc cat` must give back
# exactly the files served.  Then the same WARC as .warc, .zst, .bz2, .xz, .lz4, through stdin,
# through an http:// URL and through a --paths listing must give identical `warc ls` output.
source "$(dirname "$0")/../lib.sh"
command -v wget >/dev/null || { echo "wget missing"; fail "wget installed"; finish; }

# ---- the files served: real HTML from the installed docs when there is some, plus odd ones ----
mkdir -p "$T/www"
n=0
for f in $(find /usr/share/doc -type f -name '*.html' -size +2k -size -200k 2>/dev/null | sort | head -4); do
  cp "$f" "$T/www/page$n.html"; n=$((n+1))
done
$PY - "$T/www" <<'EOF'
import os, sys, random
d = sys.argv[1]
r = random.Random(7)
open(os.path.join(d, "math.html"), "w").write(
    "<html><body>" + "".join("<p>$x_%d^2 + y^2 = z^2$ \\(\\alpha\\)</p>\n" % i for i in range(2000)) + "</body></html>\n")
open(os.path.join(d, "binary.bin"), "wb").write(bytes(r.randrange(256) for _ in range(70000)))
open(os.path.join(d, "empty.txt"), "wb").write(b"")
open(os.path.join(d, "crlf.txt"), "wb").write(b"WARC/1.0\r\n\r\nnot a record\r\n" * 50)
EOF

cat >"$T/server.py" <<'EOF'
# /plain/NAME as is; /chunked/NAME chunked; /gzip/NAME gzip-encoded; /gzchunk/NAME both.
# (no "coding" followed by a colon in the first two lines: Python would take it as the encoding)
import gzip, http.server, os, sys
root = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        parts = self.path.split("/", 2)
        path = os.path.join(root, parts[2] if len(parts) == 3 else "")
        if len(parts) != 3 or not os.path.isfile(path):
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        data = open(path, "rb").read()
        mode = parts[1]
        if mode in ("gzip", "gzchunk"):
            data = gzip.compress(data, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8" if path.endswith(".html") else "application/octet-stream")
        if mode in ("gzip", "gzchunk"):
            self.send_header("Content-Encoding", "gzip")
        if mode in ("chunked", "gzchunk"):
            self.send_header("Transfer-Encoding", "chunked"); self.end_headers()
            for i in range(0, len(data), 3000):
                c = data[i:i + 3000]
                self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data))); self.end_headers()
            self.wfile.write(data)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
$PY "$T/server.py" "$PORT" "$T/www" >"$T/server.log" 2>&1 &
_bg_pids="${_bg_pids:-} $!"
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

: >"$T/urls"
for f in $(cd "$T/www" && ls); do
  for mode in plain chunked gzip gzchunk; do echo "http://127.0.0.1:$PORT/$mode/$f" >>"$T/urls"; done
done
nurls=$(wc -l <"$T/urls")
(cd "$T" && wget -q --tries=1 --warc-file=crawl -i urls -O /dev/null) 2>"$T/wget.log"
check "wget wrote crawl.warc.gz" test -s "$T/crawl.warc.gz"

# ---- every payload read back equals the file served ----
"$MM" warc ls "$T/crawl.warc.gz" >"$T/ls.gz" 2>"$T/ls.err"
same "warc ls exit status and no warnings" "$?:$(cat "$T/ls.err")" "0:"
same "one response per URL" "$(awk -F'\t' '$2=="response"' "$T/ls.gz" | wc -l)" "$nurls"
bad=0
while IFS=$'\t' read -r off type uri _; do
  [ "$type" = response ] || continue
  f=$(basename "$uri")
  "$MM" warc cat "$T/crawl.warc.gz" --offset "$off" >"$T/payload" 2>>"$T/cat.err" || { bad=$((bad+1)); echo "    cat failed: $uri"; continue; }
  cmp -s "$T/payload" "$T/www/$f" || { bad=$((bad+1)); echo "    differs: $uri"; }
done <"$T/ls.gz"
same "payloads equal the files served (plain, chunked, gzip, gzip+chunked)" "$bad" 0

# ---- the same WARC in every container gives identical output ----
gzip -dc "$T/crawl.warc.gz" >"$T/crawl.warc"
zstd -q -f "$T/crawl.warc" -o "$T/crawl.warc.zst"
bzip2 -k -f "$T/crawl.warc"; xz -k -f "$T/crawl.warc"; lz4 -q -f "$T/crawl.warc" "$T/crawl.warc.lz4"
gzip -c "$T/crawl.warc" >"$T/crawl-one-member.warc.gz"
"$MM" warc ls "$T/crawl.warc" >"$T/ls.plain"
same "plain and gzip list the same records" "$(cut -f2- "$T/ls.plain")" "$(cut -f2- "$T/ls.gz")"
for ext in warc.zst warc.bz2 warc.xz warc.lz4 -one-member.warc.gz; do
  f="$T/crawl.$ext"; [ "$ext" = -one-member.warc.gz ] && f="$T/crawl-one-member.warc.gz"
  same "$ext: identical ls output" "$("$MM" warc ls "$f" 2>&1)" "$(cat "$T/ls.plain")"
done
same "stdin (gzip): identical ls output" "$("$MM" warc ls - <"$T/crawl.warc.gz" 2>&1)" "$(cat "$T/ls.gz")"
same "stdin (zst): identical ls output" "$("$MM" warc ls - <"$T/crawl.warc.zst" 2>&1)" "$(cat "$T/ls.plain")"
mkdir -p "$T/www/w"; cp "$T"/crawl.warc* "$T/www/w/"
same "http:// URL (gzip): identical ls output" \
  "$("$MM" warc ls "http://127.0.0.1:$PORT/plain/w/crawl.warc.gz" 2>&1)" "$(cat "$T/ls.gz")"
same "http:// URL (chunked xz): identical ls output" \
  "$("$MM" warc ls "http://127.0.0.1:$PORT/chunked/w/crawl.warc.xz" 2>&1)" "$(cat "$T/ls.plain")"
"$MM" warc ls "http://127.0.0.1:$PORT/plain/w/missing.warc.gz" >/dev/null 2>"$T/err404"
same "a missing URL fails with a message" "$?:$(grep -c '404' "$T/err404")" "1:1"

# ---- cat from a compressed stream (no seek: offsets in the decompressed stream) ----
off=$(awk -F'\t' '$2=="response" && $3 ~ /gzchunk\/math.html$/ {print $1}' "$T/ls.plain")
"$MM" warc cat "$T/crawl.warc.zst" --offset "$off" >"$T/p.zst"
check "cat --offset from .zst" cmp "$T/p.zst" "$T/www/math.html"

# ---- Common Crawl style path listing with a base URL; stats -j 2 ----
printf 'plain/w/crawl.warc.gz\nplain/w/crawl.warc.zst\nchunked/w/crawl.warc.bz2\n' | gzip >"$T/warc.paths.gz"
"$MM" warc stats --paths "$T/warc.paths.gz" --base "http://127.0.0.1:$PORT/" -j 2 --stats "$T/stats.json" >"$T/stats.txt"
one=$("$MM" warc stats "$T/crawl.warc.gz" | awk '$1=="records"{print $2}')
same "--paths listing over http, -j 2: 3 x the records" "$(awk '$1=="records"{print $2}' "$T/stats.txt")" "$((3 * one))"
check "--stats writes JSON" $PY -c "import json,sys; d=json.load(open('$T/stats.json')); sys.exit(d['records'] != 3 * $one or d['files'] != 3)"
check "--help explains the options" bash -c "'$MM' warc --help | grep -q -- '--max-record'"
"$MM" warc frob >/dev/null 2>&1
same "unknown subcommand is a usage error" "$?" 2
finish
