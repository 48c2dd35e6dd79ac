#!/usr/bin/env bash
# Formula survival on the sample web: of the formulas in the raw HTML of the math sites, counted by
# an independent counter (tools/survival/count.py: its own WARC reader, lxml), how many reach the
# text `mathmine extract` writes at its defaults.  Each form must keep ≥ 98% over all math sites;
# the per-site table and the worst pages (with each loss's cause) are printed.
# First the counter itself, on a handcrafted page whose formulas are known, so that it can never
# pass by finding nothing.  MM_SURVIVAL_MIN (98) and MM_SURVIVAL_PAGES (150 a section) change the
# threshold and the size; the full table is in the log (build/test-logs/...), each line "# ".
source "$(dirname "$0")/../lib.sh"
COUNT=$SRC/tools/survival/count.py
FORMS=$SRC/tests/fixtures/survival_forms.html
MIN=${MM_SURVIVAL_MIN:-98}
# The hosts of the default set with a math section (sites.tsv), each section capped at 150 pages:
# Sphinx MathJax, Sphinx imgmath, Doxygen MathJax, GAPDoc with and without MathJax, Texinfo.
HOSTS=$(awk -F'\t' '!/^#/ && NF >= 9 && $6 == 1 && $8 != "-" && !s[$1]++ { printf "%s%s", n++ ? "," : "", $1 }' \
  "$SRC/tools/sampleweb/sites.tsv")
CAP=${MM_SURVIVAL_PAGES:-150}

# ---- the counter on a known page -----------------------------------------------------------
$PY "$COUNT" --count-only "$FORMS" >"$T/forms.json" || fail "count.py --count-only runs"
got=$($PY -c 'import json,sys; r=json.load(open(sys.argv[1])); f=list(r.values())[0]["forms"]; print(" ".join("%s=%d" % kv for kv in sorted(f.items())))' "$T/forms.json")
same "counter finds each form of the handcrafted page" "$got" \
  "dollar_display=1 img_tex=4 katex=2 math_container=1 mathjax_display=1 mathjax_inline=3 mathml=1 mathml_tex=2 script_tex=2 script_tex_display=1 tex_env=1 text_math=2"

# The matching, without mathmine: the page in a WARC (chunked and gzip, as on the sample web) on
# a math host and a non-math host, and a shard written by hand that keeps some formulas.
mkdir -p "$T/known/docs"
$PY - "$FORMS" "$T/known" <<'EOF'
import gzip, json, sys
page, out = open(sys.argv[1], "rb").read(), sys.argv[2]
body = gzip.compress(page)
chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 500]), body[i:i + 500])
                   for i in range(0, len(body), 500)) + b"0\r\n\r\n"
http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
with open(out + "/known.warc.gz", "wb") as f:
    for host in ("math.example", "other.example"):
        head = ("WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://%s/p.html\r\n"
                "Content-Length: %d\r\n\r\n" % (host, len(http))).encode()
        f.write(gzip.compress(head + http + b"\r\n\r\n"))
with open(out + "/manifest.tsv", "w") as f:
    f.write("host\tmath\tpages\tresponses\thtml_200\tchunked\tgzip\tstatus_other\twarc_bytes\tmounts\n")
    f.write("math.example\t1\t1\t1\t1\t1\t1\t0\t0\t/:x:1:1\n")
    f.write("other.example\t0\t1\t1\t1\t1\t1\t0\t0\t/:x:0:1\n")
text = ("Kept: $a^2$ and $$\\int_0^1 x\\,dx = \\frac12$$ $x^{3}$, $y + 1$, $\\frac{p}{7}$, $k \\le n$, "
        "$\\det A \\ne 0$, $m \\times n$, $A^T A$, 2^{53}, enum, \\(\\alpha+\\beta\\),\n"
        "$$\\lim_{n\\to\\infty} (1+1/n)^n$$\n\\begin{eqnarray*} a &=& b \\end{eqnarray*}\n"
        "Lost: b_1 (bare), v^*, the sum, the array, Euler's identity.")
with open(out + "/docs/known.jsonl", "w") as f:
    f.write(json.dumps({"url": "http://math.example/p.html", "text": text}) + "\n")
EOF
zstd -q --rm "$T/known/docs/known.jsonl"
$PY "$COUNT" --docs "$T/known/docs" --json "$T/known.json" "$T/known" >"$T/known.txt" \
  || { cat "$T/known.txt"; fail "count.py on the known WARC"; }
got=$($PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print(" ".join("%s=%d/%d" % (k, v["kept"], v["html"]) for k, v in sorted(r["forms"].items())), list(r["sites"]))' "$T/known.json")
same "counter matches the known text (kept/html per form; the non-math host ignored)" "$got" \
  "dollar_display=1/1 img_tex=2/4 katex=1/2 math_container=1/1 mathjax_display=0/1 mathjax_inline=1/3 mathml=1/1 mathml_tex=2/2 script_tex=1/2 script_tex_display=1/1 tex_env=1/1 text_math=2/2 ['math.example']"

# ---- the sample web ------------------------------------------------------------------------
t0=$(date +%s)
bash "$SRC/tools/sampleweb/build.sh" "$T/web" --no-install --quiet --sites "$HOSTS" \
  --max-pages "$CAP" >"$T/web.log" 2>&1 || { cat "$T/web.log"; fail "sample web built"; finish; }
t1=$(date +%s)
$PY "$COUNT" --mathmine "$MM" --diagnose --worst 12 --json "$T/survival.json" "$T/web" \
  >"$T/survival.txt" 2>&1 || { cat "$T/survival.txt"; fail "count.py on the sample web"; finish; }
t2=$(date +%s)
sed "s/^/# /" "$T/survival.txt"  # "# ": tests/run.sh lists the FAIL lines, not the table
echo "sample web built in $((t1 - t0)) s, extracted and counted in $((t2 - t1)) s"

# The counter must see the forms these sites are made of, in numbers: never a pass by zero.
for f in mathjax_inline:10000 mathjax_display:300 img_tex:500 text_math:1000; do
  n=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["forms"].get(sys.argv[2], {}).get("html", 0))' \
        "$T/survival.json" "${f%%:*}")
  [ "$n" -ge "${f##*:}" ] && ok "counter finds ${f%%:*} on the sample web ($n ≥ ${f##*:})" \
    || fail "counter finds ${f%%:*} on the sample web ($n, expected ≥ ${f##*:})"
done
while read -r form kept html pct; do
  min=$MIN
  if $PY -c "import sys; sys.exit(0 if $pct >= $min else 1)"; then
    ok "survival of $form ≥ $min%: $kept/$html = $pct%"
  else
    fail "survival of $form ≥ $min%: $kept/$html = $pct%"
  fi
done < <($PY -c 'import json,sys
for k, v in sorted(json.load(open(sys.argv[1]))["forms"].items()):
    print(k, v["kept"], v["html"], v["survival"])' "$T/survival.json")
finish
