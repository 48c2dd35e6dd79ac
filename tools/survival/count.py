#!/usr/bin/python3
"""count.py — formula survival: how many of the formulas in the raw HTML of a sample web's math
pages reach the text `mathmine extract` writes.  See docs/extract.md, "Formula survival".

Usage:
  count.py [--docs DIR | --mathmine MM] [--json OUT] [--worst N] [--diagnose] WEB_DIR
  count.py --count-only FILE.html...        (the formulas of some HTML files, as JSON)

WEB_DIR is a built sample web (tools/sampleweb/build.sh): its *.warc.gz and manifest.tsv.  The
math sites are the hosts with math = 1 in manifest.tsv and the math sections (mounts) of a mixed
host.  The counter is independent of mathmine: it reads the WARCs itself (gzip members, HTTP
chunked and gzip bodies), parses each 200 text/html page with lxml and finds every formula by form:

  script_tex        <script type="math/tex">             (MathJax v2 inline)
  script_tex_display <script type="math/tex; mode=display">
  mathml_tex        <math> with a TeX annotation or alttext (the TeX is compared)
  mathml            <math> without TeX (its token letters and digits are compared)
  katex             the application/x-tex annotation of a span.katex
  math_container    the text of a .math-container (StackExchange)
  img_tex           <img> whose class says math/latex/tex/formula (Sphinx imgmath, Doxygen), whose
                    src is under _images/math/ or a TeX-image service (latex.php, codecogs, mimetex,
                    mathtex, chart?cht=tx); the TeX is its alt
  mathjax_inline    \\(...\\) in text
  mathjax_display   \\[...\\] in text
  dollar_display    $$...$$ in text
  tex_env           \\begin{env}...\\end{env} of a math environment in text, outside the above
  text_math         an element of class math, Math or SimpleMath holding plain text and none of
                    the forms above (Texinfo's <em class="math">, GAPDoc's span.SimpleMath without
                    MathJax): its text is the formula

Text means the page's text outside the tags MathJax skips (script, noscript, style, textarea, pre,
code, annotation) and outside kbd and samp; a delimiter pair never spans two blocks (p, div, li,
td, ...).  Single dollars are not counted (MathJax does not render them by
default and prose uses them).

Matching.  Both sides are compared with every whitespace character removed.  A formula's key is
its TeX without whitespace and without its outer delimiters ($$, $, \\(\\), \\[\\]).  It survives when
the document extracted for its URL holds the key delimited as a formula: $key$, $$key$$, \\(key\\)
or \\[key\\] (for tex_env also the bare environment; for text_math the bare key: a weak check for
one-letter formulas, which any text holds), counted as a multiset per page: a page with
the key n five times in its HTML and three times in its text has three survivors.  A MathML
formula without TeX survives when some $...$ span of the text has the same ASCII letters and
digits (commands like \\frac dropped) as its token elements.

--mathmine MM runs `MM -q extract -o TMP WEB_DIR/<host>.warc.gz` (defaults) on the math hosts'
WARCs and reads its shards;
--docs DIR reads shards made before.  --diagnose (needs --mathmine) runs
`MM extract --html --json --keep-boilerplate` on every page that lost a formula: a formula found
there was dropped by content selection or boilerplate pruning ("content"), one lost there too by
the math or strip pass, or as invisible ("math_pass"); "no_document" when the page gave no
document.
Writes the table to stdout and, with --json, the per-site and per-form counts and the worst pages
with examples of lost formulas.  Python 3 standard library and lxml only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib

import lxml.etree
import lxml.html

# the sample web's own record walker (independent of mathmine, as the counter must be)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sampleweb"))
from stats import http_head, walk  # noqa: E402

# ---- HTTP payloads --------------------------------------------------------------------------


def dechunk(body):
    out, i = [], 0
    while i < len(body):
        j = body.find(b"\r\n", i)
        if j < 0:
            break
        size = int(body[i:j].split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out.append(body[j + 2:j + 2 + size])
        i = j + 2 + size + 2
    return b"".join(out)


def http_page(block):
    """(status, content-type, charset, body bytes) of an HTTP response block."""
    status, fields, body = http_head(block)
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body = dechunk(body)
    enc = fields.get("content-encoding", "").lower()
    if "gzip" in enc:
        body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
    elif "deflate" in enc:
        body = zlib.decompress(body)
    ctype = fields.get("content-type", "").lower()
    m = re.search(r"charset=([\w.-]+)", ctype)
    return status, ctype.split(";")[0].strip(), m.group(1) if m else None, body


def decode_html(body, charset):
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = re.search(rb"""<meta[^>]+charset=["']?([\w.-]+)""", body[:4096], re.I)
    for cs in (charset, m.group(1).decode() if m else None, "windows-1252"):
        if cs:
            try:
                return body.decode(cs, "replace")
            except LookupError:
                continue
    return body.decode("latin-1")


def math_sites(manifest):
    """[(site label, host, prefix)] of the math sites and sections in manifest.tsv."""
    sites = []
    with open(manifest, encoding="utf-8") as f:
        rows = [l.rstrip("\n").split("\t") for l in f][1:]
    for r in rows:
        host, math, mounts = r[0], r[1], r[9] if len(r) > 9 else ""
        if math == "1":
            sites.append((host, host, "/"))
        elif math == "mixed":
            for m in mounts.split(","):
                prefix, _, rest = m.partition(":")
                if rest.split(":")[1:2] == ["1"]:
                    sites.append((host + prefix.rstrip("/"), host, prefix))
    return sites


def site_of(url, sites):
    m = re.match(r"[a-z]+://([^/:]+)(?::\d+)?(/.*)?$", url)
    if not m:
        return None
    host, path = m.group(1).lower(), m.group(2) or "/"
    best = None
    for label, h, prefix in sites:
        if h == host and path.startswith(prefix) and (best is None or len(prefix) > len(best[1])):
            best = (label, prefix)
    return best[0] if best else None


def math_pages(web_dir, sites):
    """Yield (site, url, html text, raw body) of every 200 text/html page of the math sites."""
    for name in sorted(os.listdir(web_dir)):
        if not name.endswith((".warc.gz", ".warc")):
            continue
        for hdr, block in walk(os.path.join(web_dir, name)):
            if hdr.get("warc-type") != "response":
                continue
            url = hdr.get("warc-target-uri", "").strip("<>")
            site = site_of(url, sites)
            if site is None:
                continue
            status, ctype, charset, body = http_page(block)
            if status == "200" and ctype in ("text/html", "application/xhtml+xml"):
                yield site, url, decode_html(body, charset), body

# ---- finding formulas in the HTML ----------------------------------------------------------


SKIP = {"script", "noscript", "style", "textarea", "pre", "code", "annotation", "annotation-xml",
        "kbd", "samp", "svg", "title", "head", "template", "iframe", "object"}
BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "td", "th", "tr", "table", "tbody",
         "thead", "tfoot", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section",
         "article", "aside", "nav", "header", "footer", "main", "body", "html", "form",
         "fieldset", "figure", "figcaption", "center", "hr", "address", "details", "summary"}
MATH_ENVS = ("equation", "align", "gather", "multline", "eqnarray", "flalign", "alignat",
             "split", "aligned", "gathered", "alignedat", "matrix", "pmatrix", "bmatrix",
             "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix", "cases", "array", "displaymath",
             "math", "subequations", "dcases")
IMG_SERVICE = re.compile(r"latex\.php|codecogs\.com|mimetex|mathtex|chart\?[^ ]*cht=tx|"
                         r"/_images/math/|^_images/math/|(^|/)math/[0-9a-f]{20,}\.(png|svg)", re.I)
IMG_CLASS = re.compile(r"(^|[\s_-])(math|latex|tex|formula\w*)($|[\s_-])", re.I)
TEXT_MATH = re.compile(r"(^|\s)(math|Math|SimpleMath)(\s|$)")
TEX_MARK = re.compile(r"\\\(|\\\[|\$|\\begin\{")
RENDERED = re.compile(r"(^|\s)(MathJax\w*|mjx-\w+|katex-html)(\s|$)")


def classes(el):
    return el.get("class") or ""


def tex_of_math(el):
    """(form, key source) of a <math> element."""
    for ann in el.iter("{*}annotation", "annotation"):
        if (ann.get("encoding") or "").lower() in ("application/x-tex", "tex", "latex",
                                                   "text/x-tex"):
            return "mathml_tex", ann.text or ""
    if el.get("alttext"):
        return "mathml_tex", el.get("alttext")
    leaves = []
    for t in el.iter():
        if isinstance(t.tag, str) and t.tag.split("}")[-1] in ("mi", "mn", "mo", "mtext", "ms"):
            leaves.append(t.text or "")
    return "mathml", "".join(leaves)


def find_formulas(html):
    """[(form, tex)] of one page, the TeX as written (delimiters of text forms included)."""
    try:
        root = lxml.html.fromstring(html.encode("utf-8"),
                                    parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError):
        return []
    found, text = [], []
    stack = [(root, False)]
    while stack:
        el, closing = stack.pop()
        if closing:  # after the element: its block break, then its tail
            if el.tag in BLOCK:
                text.append("\0")
            if el.tail:
                text.append(el.tail)
            continue
        stack.append((el, True))
        if not isinstance(el.tag, str):  # comment, processing instruction
            continue
        tag = el.tag.split("}")[-1].lower()
        cls = classes(el)
        if tag == "script":
            t = (el.get("type") or "").lower().replace(" ", "")
            if t.startswith("math/tex"):
                found.append(("script_tex_display" if "mode=display" in t else "script_tex",
                              el.text or ""))
            continue
        if tag in SKIP or RENDERED.search(cls):
            continue
        if tag == "math":
            found.append(tex_of_math(el))
            continue
        if re.search(r"(^|\s)katex(\s|$)", cls):
            anns = [a for a in el.iter("{*}annotation", "annotation")
                    if (a.get("encoding") or "").lower() == "application/x-tex"]
            if anns:
                found.append(("katex", anns[0].text or ""))
                continue
        if re.search(r"(^|\s)math-container(\s|$)", cls):
            found.append(("math_container", el.text_content()))
            continue
        if tag != "img" and TEXT_MATH.search(cls) and not TEX_MARK.search(el.text_content()) and not any(
                isinstance(d.tag, str) and d.tag in ("img", "math", "script")
                for d in el.iterdescendants()):
            if el.text_content().strip():
                found.append(("text_math", el.text_content()))
            continue
        if tag == "img":
            alt, src = (el.get("alt") or "").strip(), el.get("src") or ""
            if alt and (IMG_CLASS.search(cls) or IMG_SERVICE.search(src)):
                found.append(("img_tex", alt))
            continue
        if tag in BLOCK:
            text.append("\0")
        if el.text:
            text.append(el.text)
        for child in reversed(el):
            stack.append((child, False))
    for block in "".join(text).split("\0"):
        found.extend(text_formulas(block))
    return found


OPEN = re.compile(r"\\\\|\\\(|\\\[|\$\$|\\begin\{(%s)(\*?)\}" % "|".join(MATH_ENVS))


def close_at(s, i, closer):
    """Index just past closer in s from i, stepping over \\\\ pairs; -1 when missing."""
    while True:
        j = s.find(closer, i)
        if j < 0:
            return -1
        k = j  # a closer that starts with a backslash must not be the second half of \\
        n = 0
        while k > i and s[k - 1] == "\\":
            k -= 1
            n += 1
        if closer[0] == "\\" and n % 2 == 1:
            i = j + 1
            continue
        return j + len(closer)


def text_formulas(s):
    out, i = [], 0
    while True:
        m = OPEN.search(s, i)
        if not m:
            return out
        tok = m.group(0)
        if tok == "\\\\":
            i = m.end()
            continue
        if tok.startswith("\\begin"):
            form, closer = "tex_env", "\\end{%s%s}" % (m.group(1), m.group(2))
        else:
            form, closer = {"\\(": ("mathjax_inline", "\\)"), "\\[": ("mathjax_display", "\\]"),
                            "$$": ("dollar_display", "$$")}[tok]
        end = close_at(s, m.end(), closer)
        if end < 0:
            i = m.end()
            continue
        out.append((form, s[m.start():end]))
        i = end

# ---- matching ------------------------------------------------------------------------------


WS = re.compile(r"\s+")
DELIMS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))


def key_of(tex):
    k = WS.sub("", tex)
    changed = True
    while changed:
        changed = False
        for a, b in DELIMS:
            if len(k) >= len(a) + len(b) and k.startswith(a) and k.endswith(b):
                k, changed = k[len(a):len(k) - len(b)], True
                break
    return k


def ascii_alnum(s):
    return "".join(c for c in s if c.isascii() and c.isalnum())


def occurrences(key, form, flat, spans_alnum):
    """How many times the document (flat: its text without whitespace) holds the formula."""
    if form == "mathml":
        a = ascii_alnum(key)
        return spans_alnum.count(a) if a else 0
    if not key:
        return 0
    dd = flat.count("$$" + key + "$$")
    n = dd + flat.count("\\[" + key + "\\]") + flat.count("\\(" + key + "\\)")
    n += flat.count("$" + key + "$") - dd  # $key$ also occurs inside each $$key$$
    if form in ("tex_env", "text_math"):
        n = max(n, flat.count(key))
    return n


SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)


def match_page(formulas, text):
    """[(form, tex, kept)] for the formulas of one page against its document text (None: none)."""
    flat = WS.sub("", text or "")
    spans = [ascii_alnum(re.sub(r"\\[A-Za-z]+", "", "".join(g for g in m.groups() if g)))
             for m in SPAN.finditer(text or "")] if any(f == "mathml" for f, _ in formulas) else []
    budget, out = {}, []
    for form, tex in formulas:
        key = key_of(tex)
        if (form, key) not in budget and text is not None:
            budget[(form, key)] = occurrences(key, form, flat, spans)
        left = budget.get((form, key), 0)
        out.append((form, tex, left > 0))
        if left > 0:
            budget[(form, key)] = left - 1
    return out

# ---- the run -------------------------------------------------------------------------------


def read_docs(doc_dir):
    docs = {}
    for name in sorted(os.listdir(doc_dir)):
        if not name.endswith(".jsonl.zst"):
            continue
        out = subprocess.run(["zstd", "-dc", os.path.join(doc_dir, name)], check=True,
                             capture_output=True).stdout.decode("utf-8")
        for line in out.splitlines():
            d = json.loads(line)
            docs[d["url"]] = d["text"]
    return docs


def run_extract(mm, web_dir, out_dir, hosts, extra=()):
    """Extract the WARCs of these hosts (the sample web names them <host>.warc.gz), else all."""
    warcs = sorted(os.path.join(web_dir, n) for n in os.listdir(web_dir)
                   if n.endswith((".warc.gz", ".warc")))
    mine = [w for w in warcs if re.sub(r"\.warc(\.gz)?$", "", os.path.basename(w)) in hosts]
    warcs = mine or warcs
    subprocess.run([mm, "-q", "extract", "-o", out_dir, *extra, *warcs], check=True)


def diagnose(mm, lossy, tmp):
    """Run --keep-boilerplate on the pages that lost formulas; mark each loss by its cause."""
    d = os.path.join(tmp, "lossy")
    os.makedirs(d, exist_ok=True)
    for i, p in enumerate(lossy):
        with open(os.path.join(d, "p%05d.html" % i), "wb") as f:
            f.write(p["body"])
    out = subprocess.run([mm, "-q", "extract", "--html", "--json", "--keep-boilerplate", d],
                         check=True, capture_output=True).stdout.decode("utf-8")
    kb = {}
    for line in out.splitlines():
        j = json.loads(line)
        kb[j["file"]] = j["text"]
    for i, p in enumerate(lossy):
        lost = [(f, t) for f, t, k in p["matched"] if not k]
        for _, _, k in match_page(lost, kb.get("p%05d" % i)):
            p["causes"].append("no_document" if p["text"] is None else
                               "content" if k else "math_pass")


def pct(kept, n):
    return 100.0 * kept / n if n else None


def summarise(pages, worst_n, examples):
    sites, forms, causes = {}, {}, {}
    for p in pages:
        s = sites.setdefault(p["site"], {"pages": 0, "pages_with_math": 0, "no_document": 0,
                                         "forms": {}})
        s["pages"] += 1
        s["pages_with_math"] += bool(p["matched"])
        s["no_document"] += p["text"] is None
        for form, _, kept in p["matched"]:
            for c in (s["forms"].setdefault(form, {"html": 0, "kept": 0}),
                      forms.setdefault(form, {"html": 0, "kept": 0})):
                c["html"] += 1
                c["kept"] += kept
        for form, cause in zip([f for f, _, k in p["matched"] if not k], p["causes"]):
            c = causes.setdefault(p["site"], {}).setdefault(form, {})
            c[cause] = c.get(cause, 0) + 1
    for c in list(forms.values()) + [f for s in sites.values() for f in s["forms"].values()]:
        c["survival"] = round(pct(c["kept"], c["html"]), 2)
    for s in sites.values():
        n = sum(c["html"] for c in s["forms"].values())
        k = sum(c["kept"] for c in s["forms"].values())
        s.update(html=n, kept=k, survival=round(pct(k, n), 2) if n else None)
    n = sum(c["html"] for c in forms.values())
    k = sum(c["kept"] for c in forms.values())
    worst = sorted((p for p in pages if any(not m[2] for m in p["matched"])),
                   key=lambda p: (-sum(not m[2] for m in p["matched"]), p["url"]))[:worst_n]
    worst_out = []
    for p in worst:
        lost = [(f, t) for f, t, kept in p["matched"] if not kept]
        ex = []
        for j, (f, t) in enumerate(lost[:examples]):
            e = {"form": f, "tex": t[:200]}
            if p["causes"]:
                e["cause"] = p["causes"][j]
            ex.append(e)
        worst_out.append({"url": p["url"], "site": p["site"], "html": len(p["matched"]),
                          "lost": len(lost), "document": p["text"] is not None, "examples": ex})
    return {"total": {"html": n, "kept": k, "survival": round(pct(k, n), 2) if n else None},
            "forms": forms, "sites": sites, "causes": causes, "worst_pages": worst_out}


def fmt(v):
    return "-" if v is None else "%.1f" % v


def print_table(res, out=sys.stdout):
    forms = sorted(res["forms"])
    cols = ["all"] + forms
    w = max([len(s) for s in res["sites"]] + [12])

    def row(name, pages, n, values):
        out.write("%-*s %6s %8s  %s\n" % (w, name, pages, n, "  ".join(
            v.rjust(max(len(c), 5)) for c, v in zip(cols, values))))

    out.write("formula survival (% of the formulas in the HTML found in the extracted text)\n")
    row("site", "pages", "formulas", cols)
    for name in sorted(res["sites"]):
        s = res["sites"][name]
        row(name, s["pages"], s["html"], [fmt(s["survival"])] + [
            fmt(s["forms"][f]["survival"]) if f in s["forms"] else "-" for f in forms])
    t = res["total"]
    row("all", "", t["html"], [fmt(t["survival"])] + [fmt(res["forms"][f]["survival"])
                                                       for f in forms])
    out.write("per form: %s\n" % ", ".join("%s %d/%d" % (f, res["forms"][f]["kept"],
                                                         res["forms"][f]["html"]) for f in forms))
    if res["causes"]:
        out.write("losses by cause (content = dropped by content selection, math_pass = lost "
                  "with --keep-boilerplate too):\n")
        for site in sorted(res["causes"]):
            for f, c in sorted(res["causes"][site].items()):
                out.write("  %-*s %-18s %s\n" % (w, site, f, ", ".join(
                    "%s %d" % kv for kv in sorted(c.items()))))
    if res["worst_pages"]:
        out.write("worst pages (lost/formulas, examples):\n")
        for p in res["worst_pages"]:
            out.write("  %d/%d %s%s\n" % (p["lost"], p["html"], p["url"],
                                          "" if p["document"] else " (no document)"))
            for e in p["examples"]:
                out.write("      %s%s: %s\n" % (e["form"], " [%s]" % e["cause"] if "cause" in e
                                                else "", WS.sub(" ", e["tex"])[:100]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("web", nargs="*", help="sample web folder (or HTML files with --count-only)")
    ap.add_argument("--manifest", help="manifest.tsv (default WEB/manifest.tsv)")
    ap.add_argument("--docs", help="folder of the shards `mathmine extract` wrote for WEB")
    ap.add_argument("--mathmine", help="run this mathmine binary's extract (defaults) on WEB")
    ap.add_argument("--diagnose", action="store_true",
                    help="find each loss's cause with --keep-boilerplate (needs --mathmine)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--worst", type=int, default=15, help="worst pages listed (15)")
    ap.add_argument("--examples", type=int, default=3, help="lost formulas shown per page (3)")
    ap.add_argument("--count-only", action="store_true",
                    help="arguments are HTML files: print their formulas per form as JSON")
    a = ap.parse_args()
    if a.count_only:
        res = {}
        for path in a.web:
            with open(path, "rb") as f:
                found = find_formulas(decode_html(f.read(), None))
            res[path] = {"forms": {}, "formulas": [[f, t] for f, t in found]}
            for f, _ in found:
                res[path]["forms"][f] = res[path]["forms"].get(f, 0) + 1
        json.dump(res, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if len(a.web) != 1 or bool(a.docs) == bool(a.mathmine):
        ap.error("one WEB folder and one of --docs or --mathmine")
    if a.diagnose and not a.mathmine:
        ap.error("--diagnose needs --mathmine")
    web = a.web[0]
    sites = math_sites(a.manifest or os.path.join(web, "manifest.tsv"))
    with tempfile.TemporaryDirectory(prefix="survival.") as tmp:
        if a.mathmine:
            run_extract(a.mathmine, web, os.path.join(tmp, "docs"), {s[1] for s in sites})
        docs = read_docs(a.docs or os.path.join(tmp, "docs"))
        pages = []
        for site, url, html, body in math_pages(web, sites):
            text = docs.get(url)
            pages.append({"site": site, "url": url, "text": text, "causes": [],
                          "matched": match_page(find_formulas(html), text),
                          "body": body})
        lossy = [p for p in pages if any(not m[2] for m in p["matched"])]
        if a.diagnose and lossy:
            diagnose(a.mathmine, lossy, tmp)
        for p in pages:
            if not any(not m[2] for m in p["matched"]):
                p["body"] = None
    res = summarise(pages, a.worst, a.examples)
    res["web"] = os.path.abspath(web)
    res["sites_counted"] = [s[0] for s in sites]
    if a.json:
        with open(a.json + ".tmp", "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1, ensure_ascii=False)
        os.replace(a.json + ".tmp", a.json)
    print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
