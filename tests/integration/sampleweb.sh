#!/usr/bin/env bash
# The sample web (tools/sampleweb/): the --small set builds into one WARC per site, with many
# pages each, real host names in the URLs, chunked and gzip responses, a manifest that says which
# sites are math, and a rerun that keeps what is there.  serve.py answers proxy-style absolute URIs
# and Host headers alike.
source "$(dirname "$0")/../lib.sh"
SW=$SRC/tools/sampleweb
W=$T/web

# ---- build --------------------------------------------------------------------------------
t0=$SECONDS
check "build.sh --small builds" bash "$SW/build.sh" "$W" --small --no-install
echo "    (built in $((SECONDS - t0)) s)"
[ -f "$W/manifest.tsv" ] || { fail "manifest.tsv written"; finish; }
expect=$(awk -F'\t' '!/^[ \t]*#/ && NF == 9 && $7 != "-" { print $1 }' "$SW/sites.tsv" | sort -u)
got=$(cd "$W" && ls *.warc.gz | sed 's/\.warc\.gz$//' | sort)
same "one .warc.gz per site of the small set" "$got" "$expect"
same "six sites in the small set" "$(wc -l <<<"$expect")" "6"
same "no temporary files left" "$(cd "$W" && ls -A | grep -E '^\.(tmp|work)' || true)" ""

# ---- each WARC ------------------------------------------------------------------------------
for h in $expect; do
  f=$W/$h.warc.gz
  resp=$(zcat "$f" | grep -ac '^WARC-Type: response')
  [ "$resp" -ge 30 ] && ok "$h: $resp response records" || fail "$h: only $resp response records"
  uhosts=$(zcat "$f" | grep -aE '^WARC-Target-URI: <?https?://' | sed -E 's|.*https?://([^/:>]+).*|\1|' | sort -u)
  same "$h: every record's URL is on host $h" "$uhosts" "$h"
  html=$(zcat "$f" | grep -aci '^Content-Type: text/html')
  [ "$html" -ge 30 ] && ok "$h: $html HTML responses" || fail "$h: only $html HTML responses"
  zcat "$f" | grep -aq '^Transfer-Encoding: chunked' && ok "$h: chunked responses" || fail "$h: no chunked response"
  zcat "$f" | grep -aq '^Content-Encoding: gzip' && ok "$h: gzip responses" || fail "$h: no gzip response"
  pages=$(awk -F'\t' -v h="$h" '$1 == h { print $3 }' "$W/manifest.tsv")
  [ "${pages:-0}" -ge 30 ] && [ "$pages" -le 70 ] && ok "$h: $pages pages (200 text/html)" || fail "$h: $pages pages, expected 30-70"
  if [ -x "$MM" ] && "$MM" warc ls "$f" >"$T/ls.out" 2>"$T/ls.err"; then
    n=$(grep -c "http://$h/" "$T/ls.out" || true)
    [ "$n" -ge "$resp" ] && ok "$h: mathmine warc ls lists the records" || fail "$h: mathmine warc ls lists $n of $resp"
  fi
done

# ---- manifest: math flags, distinct registered domains -------------------------------------------
same "manifest: 3 math sites" "$(awk -F'\t' 'NR > 1 && $2 == "1"' "$W/manifest.tsv" | wc -l)" "3"
same "manifest: 3 other sites" "$(awk -F'\t' 'NR > 1 && $2 == "0"' "$W/manifest.tsv" | wc -l)" "3"
if command -v psl >/dev/null; then
  doms=$(psl --print-reg-domain $expect | sed 's/.*: //' | sort -u | wc -l)
  same "each site has its own registered domain (psl)" "$doms" "$(wc -l <<<"$expect")"
fi

# ---- gzip and chunked bodies decode to the file served ------------------------------------------
check "gzip+chunked WARC payloads decode to the served files" "$PY" - "$W" "$SW/sites.tsv" <<'EOF'
import gzip, os, sys, zlib, urllib.parse
sys.path.insert(0, os.path.dirname(sys.argv[2]))
import stats
sites = stats.read_sites(sys.argv[2])
folders = {}
for line in open(sys.argv[2]):
    c = line.rstrip("\n").split("\t")
    if len(c) == 9 and not line.startswith("#"):
        folders.setdefault(c[0], []).append((c[1], c[3]))
kinds = set(); checked = 0
for fn in sorted(os.listdir(sys.argv[1])):
    if not fn.endswith(".warc.gz"): continue
    host = fn[:-8]
    for hdr, block in stats.walk(os.path.join(sys.argv[1], fn)):
        if hdr.get("warc-type") != "response": continue
        head, body = block.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 200 " not in lines[0] + " ": continue
        f = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        if "chunked" in f.get("transfer-encoding", ""):
            out, rest = b"", body
            while True:
                size, rest = rest.split(b"\r\n", 1)
                n = int(size.split(b";")[0], 16)
                if n == 0: break
                out += rest[:n]; rest = rest[n + 2:]
            body = out; kinds.add("chunked")
        if f.get("content-encoding") == "gzip":
            body = gzip.decompress(body); kinds.add("gzip")
        uri = urllib.parse.urlsplit(hdr["warc-target-uri"].strip("<>"))
        path = urllib.parse.unquote(uri.path)
        for prefix, folder in folders[host]:
            if path.startswith(prefix) and path.endswith(".html"):
                want = open(os.path.join(folder, path[len(prefix):]), "rb").read()
                assert body == want, f"{fn}: {path}: payload differs from the file"
                checked += 1
assert kinds == {"chunked", "gzip"}, kinds
assert checked > 200, checked
print(checked, "payloads checked")
EOF

# ---- serve.py on its own: proxy-form and Host-header requests, robots.txt, unknown hosts -----------
PORT_FILE=$T/port
"$PY" "$SW/serve.py" --set small --port-file "$PORT_FILE" 2>"$T/serve.err" &
_bg_pids="${_bg_pids:-} $!"
for _ in $(seq 100); do [ -s "$PORT_FILE" ] && break; sleep 0.05; done
P=$(cat "$PORT_FILE" 2>/dev/null || echo 0)
http() { # raw request line + Host header -> response head and body on stdout
  exec 3<>"/dev/tcp/127.0.0.1/$P"
  printf '%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$1" "$2" >&3
  cat <&3; exec 3<&-
}
r=$(http "GET http://mpmath.readthedocs.io/index.html" "mpmath.readthedocs.io" | tr -d '\r')
grep -q '^HTTP/1.1 200' <<<"$r" && grep -q '^Content-Type: text/html' <<<"$r" && ok "serve.py: absolute-URI request" || fail "serve.py: absolute-URI request: $(head -1 <<<"$r")"
r=$(http "GET /en/2.2.x/" "flask.palletsprojects.com:$P" | tr -d '\r')
grep -q '^HTTP/1.1 200' <<<"$r" && grep -qi 'flask' <<<"$r" && ok "serve.py: Host-header request" || fail "serve.py: Host-header request: $(head -1 <<<"$r")"
r=$(http "GET http://nowhere.example/" "nowhere.example" | tr -d '\r')
grep -q '^HTTP/1.1 404' <<<"$r" && ok "serve.py: unknown host is 404" || fail "serve.py: unknown host: $(head -1 <<<"$r")"
r=$(http "GET http://www.postgresql.org/robots.txt" "www.postgresql.org" | tr -d '\r')
nd=$(grep -c '^Disallow: /docs/15/' <<<"$r" || true)
[ "$nd" -gt 1000 ] && ok "serve.py: robots.txt disallows the $nd pages beyond the cap" || fail "serve.py: robots.txt has $nd Disallow lines"
r=$(http "GET http://www.postgresql.org/docs/15/../../../../../etc/passwd" "www.postgresql.org" | tr -d '\r')
r+=$'\n'$(http "GET /docs/15/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd" "www.postgresql.org" | tr -d '\r')
! grep -q 'root:' <<<"$r" && [ "$(grep -c '^HTTP/1.1 404' <<<"$r")" = 2 ] && ok "serve.py: no way out of the folder" || fail "serve.py: path traversal: $(head -1 <<<"$r")"

# ---- rerun keeps what is there ---------------------------------------------------------------
before=$(cd "$W" && cksum *.warc.gz)
out=$(bash "$SW/build.sh" "$W" --small --no-install --quiet 2>&1)
same "rerun keeps the WARCs" "$(cd "$W" && cksum *.warc.gz)" "$before"
grep -q '0 sites crawled, 6 already there' <<<"$out" && ok "rerun crawls nothing" || fail "rerun: $out"
rm "$W/mpmath.readthedocs.io.warc.gz"
bash "$SW/build.sh" "$W" --small --no-install --quiet >/dev/null 2>&1
[ -s "$W/mpmath.readthedocs.io.warc.gz" ] && ok "rerun rebuilds a missing site" || fail "rerun did not rebuild a missing site"
# a build stopped in the middle leaves complete WARCs or none, and the next run finishes the set
two=mpmath.readthedocs.io,arblib.github.io
bash "$SW/build.sh" "$T/web3" --small --sites "$two" --no-install --quiet -j 1 >/dev/null 2>&1 &
bp=$!; sleep 1.5; kill -TERM "$bp" 2>/dev/null; wait "$bp" 2>/dev/null; sleep 0.5
same "stopped build: no temporary files" "$(ls -A "$T/web3" 2>/dev/null | grep -E '^\.(tmp|work)' || true)" ""
bad=0; for f in "$T"/web3/*.warc.gz; do [ -f "$f" ] && { gzip -t "$f" 2>/dev/null || bad=1; }; done
same "stopped build: the WARCs there are whole" "$bad" "0"
bash "$SW/build.sh" "$T/web3" --small --sites "$two" --no-install --quiet >/dev/null 2>&1
same "stopped build: a rerun completes it" "$(cd "$T/web3" && ls *.warc.gz | wc -l)" "2"
r=$(bash "$SW/build.sh" "$T/web2" --small --sites nowhere.example --no-install 2>&1); rc=$?
[ "$rc" = 2 ] && ok "unknown site is a usage error" || fail "unknown site: exit $rc: $r"

finish
