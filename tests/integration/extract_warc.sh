#!/usr/bin/env bash
# extract_warc: end to end, WARC → document shards.  A small site (math, Latin-1, GB2312 Chinese,
# a PNG, a 404, binary bytes labelled HTML) is served on 127.0.0.1 and crawled by GNU wget into a
# WARC; then a real Common Crawl excerpt from ../shared.  Checks: valid UTF-8 JSON shards with the
# fields filled, math kept, charsets decoded, skips counted by reason, rerun skips finished
# outputs, --force redoes them, filters, -j over several inputs, bad inputs never crash.
source "$(dirname "$0")/../lib.sh"
CC_WARC=$SHARED/testdata/chatnoir-resiliparse/tests/data/warcfile.warc.gz
CLIPPED=$SHARED/testdata/chatnoir-resiliparse/tests/data/clipped.warc.gz

# ---- the site ----
W=$T/site; mkdir -p "$W"
cat > "$W/index.html" <<'HTML'
<!DOCTYPE html><html><head><title>Home</title></head><body>
<nav><a href="math.html">Math</a> <a href="cafe.html">Café</a> <a href="zh.html">中文</a>
<a href="logo.png">logo</a> <a href="missing.html">gone</a> <a href="binary.html">bin</a></nav>
<main><p>Welcome to the test site. It has a page about mathematics, one in French written in
Latin-1, and one in Chinese written in GB2312, so that every charset path is exercised.</p></main>
</body></html>
HTML
cat > "$W/math.html" <<'HTML'
<!DOCTYPE html><html><head><title>Quadratics</title></head><body><article>
<h1>Solving quadratics</h1>
<p>Every quadratic equation <script type="math/tex">ax^2+bx+c=0</script> with real coefficients
has the solutions given by the famous formula, which one derives by completing the square:</p>
<script type="math/tex; mode=display">x = \frac{-b \pm \sqrt{b^2-4ac}}{2a}</script>
<p>When the discriminant is negative, the two solutions are complex conjugates of each other,
and when it is zero the equation has one double root, as a short computation shows.</p>
</article></body></html>
HTML
printf '<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head><body><div class="content"><p>Le caf\xe9 est une boisson tr\xe8s populaire en France, et l\x27on y discute souvent de math\xe9matiques, de philosophie et de litt\xe9rature pendant des heures enti\xe8res.</p><p>Les gar\xe7ons du caf\xe9 connaissent tous leurs clients r\xe9guliers par leur pr\xe9nom.</p></div></body></html>' > "$W/cafe.html"
printf '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>x</title></head><body><div class="article"><p>' > "$W/zh.html"
printf '数学是研究数量、结构、变化以及空间等概念的一门学科。数学家通过抽象化和逻辑推理，从计数、计算、量度和对物体形状及运动的观察中产生数学。二次方程的求根公式是初中数学的重要内容，学生们需要熟练掌握。' | iconv -f UTF-8 -t GB2312 >> "$W/zh.html"
printf '</p></div></body></html>' >> "$W/zh.html"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' > "$W/logo.png"
head -c 3000 /dev/urandom > "$W/binary.html"

serve_dir "$W" || { fail "http server"; finish; }
( cd "$T" && wget -q --recursive --level=2 --no-host-directories -P "$T/dl" \
    --warc-file="$T/crawl" "http://127.0.0.1:$PORT/" ) >/dev/null 2>&1
check "wget wrote a WARC" test -s "$T/crawl.warc.gz"

# ---- extract ----
validate() { # shard → prints "n docs" after checking every line
  zstd -dc "$1" | $PY -c '
import json, re, sys
n = 0
for raw in sys.stdin.buffer:
    line = raw.decode("utf-8")            # raises on invalid UTF-8
    d = json.loads(line)
    assert re.fullmatch(r"[0-9a-f]{16}", d["id"]), d["id"]
    for k in ("text", "url", "host", "domain", "lang", "date", "source"):
        assert isinstance(d[k], str) and d[k], (k, d.get("url"))
    assert 0 <= d["lang_score"] <= 1
    assert d["warc"]["file"] and d["warc"]["record_id"].startswith("<urn:") and d["warc"]["offset"] >= 0
    assert isinstance(d["math"], dict)
    n += 1
print(n)'
}
doc_field() { # shard url-substring field
  zstd -dc "$1" | $PY -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    if sys.argv[1] in d["url"]:
        v = d
        for k in sys.argv[2].split("."): v = v[k]
        print(v if not isinstance(v, dict) else json.dumps(v, sort_keys=True))' "$2" "$3"
}
stat_of() { $PY -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }

O=$T/out
check "extract the wget WARC" "$MM" -q extract -o "$O" --stats "$T/s1.json" "$T/crawl.warc.gz"
S=$O/crawl.jsonl.zst
same "4 documents, all valid" "$(validate "$S")" 4
same "math page: inline and display TeX kept" "$(doc_field "$S" math.html text | grep -cF -e 'equation $ax^2+bx+c=0$ with' -e '$$x = \frac{-b \pm \sqrt{b^2-4ac}}{2a}$$')" 2
same "math page: counts" "$(doc_field "$S" math.html math)" '{"display": 1, "script_tex": 2}'
check "Latin-1 page decoded" bash -c "[[ \"\$(zstd -dc '$S' | grep -c 'Le café est une boisson très populaire')\" == 1 ]]"
same "GB2312 page decoded and identified as Chinese" "$(doc_field "$S" zh.html lang)" zh
check "GB2312 text" bash -c "zstd -dc '$S' | grep -q '二次方程的求根公式'"
same "host" "$(doc_field "$S" math.html host)" 127.0.0.1
same "english" "$(doc_field "$S" math.html lang)" en
same "404s counted (missing.html, robots.txt)" "$(stat_of "$T/s1.json" skipped.http_status)" 2
check "PNG, binary and wget's log records counted as not HTML" test "$(stat_of "$T/s1.json" skipped.not_html)" -ge 2
same "stats: extracted" "$(stat_of "$T/s1.json" extracted)" 4
same "stats: html docs" "$(stat_of "$T/s1.json" html)" 4

# ---- rerun skips, --force redoes ----
before=$(stat -c %Y.%i "$S")
sleep 1
check "rerun" "$MM" -q extract -o "$O" --stats "$T/s2.json" "$T/crawl.warc.gz"
same "rerun skipped the finished output" "$(stat_of "$T/s2.json" files_skipped_done)" 1
same "rerun left it untouched" "$(stat -c %Y.%i "$S")" "$before"
check "--force" "$MM" -q extract -o "$O" --force --stats "$T/s3.json" "$T/crawl.warc.gz"
same "--force redid it" "$(stat_of "$T/s3.json" files_skipped_done)/$(stat_of "$T/s3.json" extracted)" 0/4
check "--force replaced the file" test "$(stat -c %Y.%i "$S")" != "$before"
check "no temp files left" bash -c "! ls '$O' | grep -q tmp"

# ---- filters ----
"$MM" -q extract -o "$T/zh" --lang zh --stats "$T/s4.json" "$T/crawl.warc.gz"
same "--lang zh keeps the Chinese page" "$(validate "$T/zh/crawl.jsonl.zst")/$(stat_of "$T/s4.json" skipped.lang)" 1/3
"$MM" -q extract -o "$T/min" --min-chars 100000 --stats "$T/s5.json" "$T/crawl.warc.gz"
same "--min-chars drops short pages" "$(stat_of "$T/s5.json" skipped.min_chars)" 4
"$MM" -q extract -o "$T/max" --max-bytes 300 --stats "$T/s6.json" "$T/crawl.warc.gz"
check "--max-bytes skips large payloads" test "$(stat_of "$T/s6.json" skipped.too_large)" -ge 3

# ---- real Common Crawl, several inputs with -j ----
check "extract CC + wget WARCs with -j 2" "$MM" -q extract -j 2 -o "$T/cc" --stats "$T/s7.json" "$CC_WARC" "$T/crawl.warc.gz"
n=$(validate "$T/cc/warcfile.jsonl.zst")
check "Common Crawl: at least 10 valid documents ($n)" test "${n:-0}" -ge 10
same "Common Crawl: 16 HTML responses" "$(stat_of "$T/s7.json" html)" 20
check "Common Crawl: Chinese and English found" bash -c "zstd -dc '$T/cc/warcfile.jsonl.zst' | grep -q '\"lang\":\"zh\"' && zstd -dc '$T/cc/warcfile.jsonl.zst' | grep -q '\"lang\":\"en\"'"
same "Common Crawl: registered domain" "$(doc_field "$T/cc/warcfile.jsonl.zst" 035.psb556.com domain)" psb556.com
same "stable ids across runs" "$(doc_field "$T/cc/crawl.jsonl.zst" math.html id)" "$(doc_field "$S" math.html id)"

# ---- bad inputs ----
# ---- truncated records are kept and marked (FastWARC's clipped.warc.gz: its gzip member is cut) ----
"$MM" -q extract -o "$T/bad0" "$CLIPPED" 2>"$T/clip.err"; rc=$?
same "clipped at the end: the input fails (exit 1, named when it fails and in the final list, no shard)" "$rc:$(grep -c 'error: .*clipped.warc.gz: byte [0-9]*: the input ends inside this record' "$T/clip.err"):$(grep -c 'failed: .*clipped.warc.gz: byte [0-9]*: the input ends inside this record' "$T/clip.err"):$(ls "$T/bad0" | wc -l)" 1:1:1:0
"$MM" -q extract --keep-cut -o "$T/bad" --stats "$T/sc.json" "$CLIPPED" 2>/dev/null
same "clipped gzip member: its page is a valid document" "$(validate "$T/bad/clipped.jsonl.zst")" 1
same "clipped gzip member: marked truncated gzip" "$(doc_field "$T/bad/clipped.jsonl.zst" houstonpress truncated)" gzip
check "clipped gzip member: text from the part that inflated" bash -c "[ \"\$(zstd -dc '$T/bad/clipped.jsonl.zst' | wc -c)\" -gt 2000 ]"
same "clipped: stats truncated 1, damaged 0" "$(stat_of "$T/sc.json" truncated)/$(stat_of "$T/sc.json" skipped.damaged)" 1/0
check "clipped: warc ls shows it, reason gzip" bash -c "'$MM' warc ls '$CLIPPED' 2>/dev/null | awk -F'\t' '\$8 == \"gzip\"' | grep -q houstonpress"
check "clipped: warc stats counts it" bash -c "'$MM' warc stats --stats '$T/ws.json' '$CLIPPED' >/dev/null 2>&1; [ \"\$('$PY' -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[\"truncated_kept\"], d[\"truncated_by\"][\"gzip\"], d[\"damaged\"])' '$T/ws.json')\" = '1 1 0' ]"

# a real uncompressed Common Crawl WARC cut with head -c inside the block of its last response
PLAIN=$SHARED/testdata/chatnoir-resiliparse/tests/data/warcfile.warc
last=$("$MM" warc ls "$PLAIN" | awk -F'\t' '$2 == "response" && $6 == 200 { o = $1; n = $5; u = $3 } END { print o, n, u }')
read -r loff llen luri <<<"$last"
body=$($PY -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.index(b"\r\n\r\n", int(sys.argv[2])) + 4)' "$PLAIN" "$loff")
head -c $((body + llen * 2 / 3)) "$PLAIN" > "$T/cut.warc"
"$MM" warc ls "$T/cut.warc" >"$T/cut.ls" 2>"$T/cut.err"; rc=$?
same "cut .warc: warc ls lists the cut record last, reason eof" "$(tail -1 "$T/cut.ls" | cut -f1,2,8)" "$loff	response	eof"
same "cut .warc: one warning naming file and offset, exit 1" "$rc:$(grep -c "cut.warc: byte $loff: record cut short" "$T/cut.err")" 1:1
"$MM" -q extract -o "$T/cut0" "$CC_WARC" "$T/cut.warc" 2>"$T/cut0.err"; rc=$?
same "cut .warc: exit 1, the cut input named (when it fails, in the final list), its shard not written, the other done" "$rc:$(grep -c "error: .*cut.warc: byte $loff: the input ends inside" "$T/cut0.err"):$(grep -c "failed: .*cut.warc: byte $loff: the input ends inside" "$T/cut0.err"):$(ls "$T/cut0" | tr '\n' ' ')" "1:1:1:warcfile.jsonl.zst "
"$MM" -q extract --keep-cut -o "$T/cut" --stats "$T/scut.json" "$CC_WARC" "$T/cut.warc" 2>/dev/null
same "cut .warc: its page is kept, marked eof" "$(doc_field "$T/cut/cut.jsonl.zst" "$luri" truncated)" eof
same "cut .warc: every page of the whole file is there" "$(validate "$T/cut/cut.jsonl.zst")" "$(validate "$T/cc/warcfile.jsonl.zst")"
same "cut .warc: only that one is truncated" "$(zstd -dc "$T/cut/cut.jsonl.zst" | grep -c '"truncated":')/$(stat_of "$T/scut.json" truncated)" 1/1
idtext() { zstd -dc "$1" | $PY -c 'import hashlib, json, sys
for l in sys.stdin:
    d = json.loads(l)
    if sys.argv[1] != d["url"]: print(d["id"], hashlib.sha1(d["text"].encode()).hexdigest())' "$luri"; }
same "cut .warc: the other pages are identical (ids, texts)" "$(idtext "$T/cut/cut.jsonl.zst")" "$(idtext "$T/cut/warcfile.jsonl.zst")"

# WARC-Truncated: length (Common Crawl cuts payloads at 1 MiB) and HTTP 206, from a real page
$PY - "$SHARED/testdata/article-extraction-benchmark" "$T/trunc.warc" <<'PYEOF'
import gzip, json, os, sys
# a page whose article starts in its first half, so that the first 2/3 still hold text
g = json.load(open(os.path.join(sys.argv[1], "ground-truth.json")))
for k in sorted(g):
    page = gzip.open(os.path.join(sys.argv[1], "html", k + ".html.gz")).read()
    if g[k]["articleBody"][:40].encode() in page[: len(page) // 2]:
        break
def rec(n, uri, payload, extra=b"", status=b"200 OK"):
    http = b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n" + extra + b"\r\n" + payload
    warc_extra = b"WARC-Truncated: length\r\n" if n == 1 else b""
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-00000000000%d>\r\n"
            b"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: %s\r\n%s"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n") % (n, uri, warc_extra, len(http))
    return head + http + b"\r\n\r\n"
cut = page[: len(page) * 2 // 3]
out = rec(1, b"http://cc.example/cut-at-1mib", cut)
out += rec(2, b"http://cc.example/partial", page[:4000], b"Content-Range: bytes 0-3999/%d\r\n" % len(page), b"206 Partial Content")
out += rec(3, b"http://cc.example/whole", page)
open(sys.argv[2], "wb").write(out)
PYEOF
"$MM" -q extract -o "$T/tr" --stats "$T/str.json" "$T/trunc.warc"
same "WARC-Truncated: length: the page is a document marked length" "$(doc_field "$T/tr/trunc.jsonl.zst" cut-at-1mib truncated)" length
same "WARC-Truncated: the whole page has no truncated field" "$(zstd -dc "$T/tr/trunc.jsonl.zst" | grep -F cc.example/whole | grep -c '"truncated"')" 0
same "HTTP 206: skipped, counted as http_partial" "$(stat_of "$T/str.json" skipped.http_partial)/$(doc_field "$T/tr/trunc.jsonl.zst" partial id | wc -l)" 1/0
same "stats: 2 extracted, 1 truncated" "$(stat_of "$T/str.json" extracted)/$(stat_of "$T/str.json" truncated)" 2/1
same "warc ls: the header's reason" "$("$MM" warc ls "$T/trunc.warc" | cut -f8 | tr '\n' ' ')" "length - - "

# ---- WET: conversion records (the crawler's plain text) are documents too, with a warning ----
$PY - "$SHARED/testdata/article-extraction-benchmark/ground-truth.json" "$T/wet.warc" "$T/wet.expected" <<'PYEOF'
import json, sys
g = json.load(open(sys.argv[1]))
bodies = [v for v in g.values() if len(v["articleBody"]) > 800][:3]
def rec(typ, n, uri, block, ctype):
    head = (b"WARC/1.0\r\nWARC-Type: %s\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            b"WARC-Record-ID: <urn:uuid:10000000-0000-0000-0000-00000000000%d>\r\n" % (typ, n))
    if uri: head += b"WARC-Target-URI: " + uri + b"\r\nWARC-Refers-To: <urn:uuid:20000000-0000-0000-0000-00000000000%d>\r\n" % n
    head += b"Content-Type: " + ctype + b"\r\nContent-Length: %d\r\n\r\n" % len(block)
    return head + block + b"\r\n\r\n"
out = rec(b"warcinfo", 0, None, b"Software-Info: test\r\nExtracted-Date: 2024\r\n", b"application/warc-fields")
exp = []
for i, b in enumerate(bodies, 1):
    text = b["articleBody"].strip()
    out += rec(b"conversion", i, b["url"].encode(), text.encode() + b"\n", b"text/plain")
    exp.append(b["url"] + "\t" + text.replace("\n", "\\n"))
open(sys.argv[2], "wb").write(out)
open(sys.argv[3], "w").write("\n".join(exp) + "\n")
PYEOF
"$MM" extract -o "$T/wet" --stats "$T/swet.json" "$T/wet.warc" 2>"$T/wet.err"; rc=$?
same "WET: exit 0, 3 valid documents" "$rc/$(validate "$T/wet/wet.jsonl.zst")" 0/3
same "WET: the text as it is, per URL" \
  "$(zstd -dc "$T/wet/wet.jsonl.zst" | $PY -c 'import json,sys
for l in sys.stdin: d=json.loads(l); print(d["url"] + "\t" + d["text"].replace("\n", "\\n"))')" "$(cat "$T/wet.expected")"
same "WET: languages identified" "$(zstd -dc "$T/wet/wet.jsonl.zst" | grep -c '"lang":"en"')" 3
same "WET: counted (conversions, text_docs, extracted)" \
  "$(stat_of "$T/swet.json" conversions)/$(stat_of "$T/swet.json" text_docs)/$(stat_of "$T/swet.json" extracted)" 3/3/3
same "WET: one warning that the math markup is gone" "$(grep -c 'math markup' "$T/wet.err")" 1
"$MM" extract -o "$T/wet2" "$T/wet.warc" "$T/crawl.warc.gz" 2>"$T/wet2.err"
same "WET: one warning per WET input, none for a WARC" "$(grep -c 'math markup' "$T/wet2.err")/$(grep -c 'wet.warc' "$T/wet2.err")" 1/1
"$MM" -q extract -o "$T/bad2" "$T/nonexistent.warc.gz" "$T/crawl.warc.gz" 2>/dev/null; rc=$?
same "a missing input fails the run (exit 1) ..." "$rc" 1
check "... but the other input is done" test -s "$T/bad2/crawl.jsonl.zst"
check "... and nothing is written for the missing one" test ! -e "$T/bad2/nonexistent.jsonl.zst"
"$MM" extract -o "$T/x" >/dev/null 2>&1; same "no inputs: usage error" "$?" 2
"$MM" -q extract -o /proc/mm-not-writable "$CC_WARC" >/dev/null 2>&1; same "unwritable output folder: exit 1" "$?" 1

# ---- Ctrl-C: exit 130, nothing committed, no temp file left ----
for i in $(seq 60); do cat "$CC_WARC"; done > "$T/big.warc.gz"   # gzip members concatenate
"$MM" -q extract -j 1 -o "$T/int" "$T/big.warc.gz" & pid=$!
sleep 0.4; kill -INT "$pid"; wait "$pid"; rc=$?
same "SIGINT: exit 130" "$rc" 130
check "SIGINT: no shard and no temp file" bash -c "[ -z \"\$(ls -A '$T/int')\" ]"
finish
