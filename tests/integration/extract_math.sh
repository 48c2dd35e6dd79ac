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
