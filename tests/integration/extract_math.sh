#!/usr/bin/env bash
# extract_math: every web form of a formula comes out as the exact LaTeX expected, with no
# rendered-twin noise.  tests/fixtures/math/NAME.html is one small page per form; NAME.expected
# is the exact text `mathmine extract --html` must print for it.  Then two real pages from
# ../shared: Wikipedia (MathML with TeX annotations + fallback images) and a DOM saved after
# MathJax v3 ran (CHTML glyph spans + assistive MathML).
source "$(dirname "$0")/../lib.sh"
F=$SRC/tests/fixtures/math
for html in "$F"/*.html; do
  name=$(basename "$html" .html)
  if out=$("$MM" extract --html "$html") && [ "$out" == "$(cat "$F/$name.expected")" ]; then
    ok "fixture $name: exact text and LaTeX"
  else
    fail "fixture $name"; diff <(echo "$out") "$F/$name.expected" | head -20 | sed 's/^/    /'
  fi
done

# math counts per form, from --json
math_of() { "$MM" extract --html --json "$1" | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["math"], sort_keys=True))'; }
same "counts: MathJax v2 scripts" "$(math_of "$F/mathjax2_script.html")" '{"display": 1, "rendered_removed": 4, "script_tex": 3}'
same "counts: KaTeX" "$(math_of "$F/katex.html")" '{"display": 1, "rendered_removed": 2, "tex_annotation": 2}'
same "counts: MathML" "$(math_of "$F/mathml.html")" '{"display": 2, "mathml": 5, "mathml_alttext": 1, "tex_annotation": 1}'
same "counts: images" "$(math_of "$F/img_tex.html")" '{"img_tex": 6}'
same "counts: StackExchange" "$(math_of "$F/stackexchange.html")" '{"display": 1, "math_container": 3}'
same "counts: delimiters in text" "$(math_of "$F/text_delims.html")" '{"display": 2, "text_tex": 4}'
same "counts: TeX in image alt/title (prose alts are not formulas)" "$(math_of "$F/img_alt.html")" '{"display": 2, "img_alt": 1, "img_tex": 6}'
same "counts: AsciiMath scripts" "$(math_of "$F/asciimath.html")" '{"display": 1, "script_asciimath": 6}'
same "counts: MathML scripts" "$(math_of "$F/mathml_script.html")" '{"display": 1, "script_mml": 2}'
same "counts: MathJax v2 configuration with \$" "$(math_of "$F/mathjax_config.html")" '{"display": 1, "text_tex": 4}'
same "counts: MathJax v3 configuration without \$: prices stay text" "$(math_of "$F/currency.html")" '{"display": 1, "text_tex": 2}'
same "counts: KaTeX auto-render delimiters" "$(math_of "$F/katex_autorender.html")" '{"display": 1, "text_tex": 2}'
same "counts: environments" "$(math_of "$F/environments.html")" '{"display": 2, "text_env": 2}'
same "counts: BBCode" "$(math_of "$F/bbcode.html")" '{"bbcode": 3, "display": 1}'
same "counts: nothing in code" "$(math_of "$F/code_verbatim.html")" '{"text_tex": 2}'

# --stats: per form, the formulas found in the HTML and those written (content selection drops
# the navigation's and the footer's); every form has its key, zeros too
cat > "$T/pruned.html" <<'EOF'
<html><body><nav><a href="/">Home</a> <a href="/a">\(nav\)</a></nav>
<article><h1>Title</h1><p>A long paragraph about \(x^2\), with commas, and more words, so that it is the
article: <script type="math/tex">y</script> and more, more, more text to make it score well, really.</p>
<p>Another paragraph, with commas, about <img class="latex" src="q.png" alt="z_1"> and words.</p></article>
<footer>Footer \(f\) <script type="math/tex">g</script> copyright</footer></body></html>
EOF
"$MM" extract --html --stats "$T/stats.json" "$T/pruned.html" > "$T/pruned.txt" 2> "$T/pruned.err"
forms() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1]))[sys.argv[2]]; print({k: v for k, v in d.items() if v})' "$T/stats.json" "$1"; }
same "stats: math found per form" "$(forms math_found)" "{'script_tex': 2, 'img_tex': 1, 'text_tex': 3}"
same "stats: math written per form" "$(forms math_written)" "{'script_tex': 1, 'img_tex': 1, 'text_tex': 1}"
same "stats: every form named" "$($PY -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["math_found"]))' "$T/stats.json")" "script_tex,script_asciimath,script_mml,tex_annotation,mathml_alttext,mathml,math_container,img_tex,img_alt,text_tex,text_env,bbcode"
check "stats: summary line with found/written" grep -qF 'math formulas found/written: script_tex 2/1, img_tex 1/1, text_tex 3/1' "$T/pruned.err"

P=$SHARED/testdata/readability/test/test-pages
"$MM" extract --html "$P/wikipedia-3/source.html" > "$T/wiki.txt"
same "wikipedia-3: 66 TeX annotations" "$(math_of "$P/wikipedia-3/source.html")" '{"display": 2, "tex_annotation": 66}'
check "wikipedia-3: inline formula exact" grep -qF 'If the conjugate transpose of a matrix $A$ is denoted by $A^{\mathsf {H}}$, then' "$T/wiki.txt"
check "wikipedia-3: display formula exact" grep -qxF '$$\langle w,Av\rangle =\langle Aw,v\rangle ,$$' "$T/wiki.txt"
check "wikipedia-3: Rayleigh quotient kept" grep -qxF '$R(M,x):={\frac {x^{\mathsf {H}}Mx}{x^{\mathsf {H}}x}}$.' "$T/wiki.txt"
check "wikipedia-3: no {\\displaystyle wrapper, no fallback-image twin" bash -c "! grep -qF 'displaystyle' '$T/wiki.txt'"
same "wikipedia-3: every formula once" "$(grep -oF 'A^{\mathsf {H}}=A^{\dagger }=A^{\ast }' "$T/wiki.txt" | wc -l)" 1

"$MM" extract --html "$P/mathjax/source.html" > "$T/mj.txt"
same "mathjax v3: 13 MathML formulas, CHTML removed" "$(math_of "$P/mathjax/source.html")" '{"display": 8, "mathml": 13, "rendered_removed": 13}'
check "mathjax v3: inline converted" grep -qxF '$a\neq0$, there are two solutions to $ax^{2}+bx+c=0$ and they are' "$T/mj.txt"
check "mathjax v3: display converted" grep -qxF '$$x=\frac{-b\pm\sqrt{b^{2}-4ac}}{2a}\text{.}$$' "$T/mj.txt"
check "mathjax v3: no glyph/CSS noise" bash -c "! grep -qE 'mjx-|CtxtMenu|margin-left|TEX-I' '$T/mj.txt'"
finish
