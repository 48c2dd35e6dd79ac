#!/usr/bin/python3
"""Main-content quality on the article-extraction benchmark (../shared/testdata/
article-extraction-benchmark: 181 pages, html/<id>.html.gz, ground-truth.json {id: {articleBody}}).

The benchmark's metric, re-implemented from its description: a page's text is its `\\w+` tokens;
the 4-gram shingles of the ground truth and of the prediction are compared as multisets
(TP = shared shingles, FP = predicted only, FN = truth only); each page's (TP, FP, FN) is
normalised to sum 1 so every page weighs the same; the normalised counts are summed over pages;
precision = TP/(TP+FP), recall = TP/(TP+FN), F1 their harmonic mean.

Usage:
  extract_score.py --mathmine BIN [--min-f1 0.90]   score `BIN extract --html --json DIR`
  extract_score.py --readability | --html2text     score the Debian Python extractors
Prints one line "NAME: P=… R=… F1=… pages=N cpu_s=… docs_per_cpu_s=… mb_per_cpu_s=…" and, with
--json FILE, writes the same numbers as JSON.  Exit 1 when F1 < --min-f1.
"""
import argparse
import collections
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import time

TOKEN = re.compile(r"\w+")


def shingles(text, n=4):
    toks = TOKEN.findall(text or "")
    if len(toks) < n:
        return collections.Counter([tuple(toks)]) if toks else collections.Counter()
    return collections.Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def page_counts(truth, pred):
    t, p = shingles(truth), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def score(truth, preds):
    tp = fp = fn = 0.0
    for key, gt in truth.items():
        a, b, c = page_counts(gt.get("articleBody", gt.get("content")), preds.get(key, ""))
        tp, fp, fn = tp + a, fp + b, fn + c
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def held_out(key):
    """The pages set aside from tuning: those whose id's second character is c, d, e or f (the
    ids are hex digests; about a quarter of each set).  Extraction rules are tuned on the others
    only, and the held-out scores are reported beside them."""
    return len(key) > 1 and key[1] in "cdef"


def load_pages(html_dir):
    pages = {}
    for name in sorted(os.listdir(html_dir)):
        if name.endswith(".html.gz"):
            with gzip.open(os.path.join(html_dir, name), "rb") as f:
                pages[name[:-len(".html.gz")]] = f.read()
    return pages


def run_mathmine(binary, html_dir):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([binary, "extract", "--html", "--json", html_dir],
                         check=True, stdout=subprocess.PIPE).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    preds = {}
    for line in out.decode("utf-8").splitlines():
        d = json.loads(line)
        preds[d["file"]] = d["text"]
    return preds, cpu


def run_python(kind, pages):
    if kind == "readability":
        from readability import Document
        import lxml.html

        def extract(html):
            summary = Document(html).summary()
            return lxml.html.fromstring(summary).text_content() if summary.strip() else ""
    else:
        import html2text

        def extract(html):
            h = html2text.HTML2Text()
            h.ignore_links = True
            h.ignore_images = True
            return h.handle(html)
    preds = {}
    t0 = time.process_time()
    for key, raw in pages.items():
        try:
            preds[key] = extract(raw.decode("utf-8", "replace"))
        except Exception:  # an extractor failing on a page scores it as empty
            preds[key] = ""
    return preds, time.process_time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mathmine")
    ap.add_argument("--readability", action="store_true")
    ap.add_argument("--html2text", action="store_true")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "../../../shared/testdata/article-extraction-benchmark"))
    ap.add_argument("--min-f1", type=float, default=0.0)
    ap.add_argument("--json")
    ap.add_argument("--worst", type=int, default=0, help="list the N worst pages by F1")
    ap.add_argument("--split", choices=["all", "tune", "held"], default="all",
                    help="score only the pages kept for tuning or the held-out pages (HELD_OUT)")
    a = ap.parse_args()
    with open(os.path.join(a.data, "ground-truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    if a.split != "all":
        truth = {k: v for k, v in truth.items() if held_out(k) == (a.split == "held")}
    html_dir = os.path.join(a.data, "html")
    pages = load_pages(html_dir)
    mb = sum(len(v) for v in pages.values()) / 1e6
    if a.mathmine:
        name, (preds, cpu) = "mathmine", run_mathmine(a.mathmine, html_dir)
    else:
        name = "readability" if a.readability else "html2text"
        preds, cpu = run_python(name, pages)
    p, r, f1 = score(truth, preds)
    if a.split != "all":
        name += "[%s]" % a.split
    res = {"name": name, "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
           "pages": len(truth), "cpu_s": round(cpu, 3),
           "docs_per_cpu_s": round(len(pages) / cpu, 1) if cpu > 0 else None,
           "mb_per_cpu_s": round(mb / cpu, 2) if cpu > 0 else None}
    print("%s: P=%.4f R=%.4f F1=%.4f pages=%d cpu_s=%.2f docs_per_cpu_s=%s mb_per_cpu_s=%s" % (
        name, p, r, f1, len(truth), cpu, res["docs_per_cpu_s"], res["mb_per_cpu_s"]))
    if a.worst:
        per = []
        for key, gt in truth.items():
            tp, fp, fn = page_counts(gt.get("articleBody", gt.get("content")), preds.get(key, ""))
            pp = tp / (tp + fp) if tp + fp else 0
            rr = tp / (tp + fn) if tp + fn else 0
            per.append((2 * pp * rr / (pp + rr) if pp + rr else 0, pp, rr, key))
        for f, pp, rr, key in sorted(per)[:a.worst]:
            print("  %.3f P=%.3f R=%.3f %s %s" % (f, pp, rr, key, truth[key].get("url", "")))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f)
    if f1 < a.min_f1:
        print("FAIL: F1 %.4f below %.2f" % (f1, a.min_f1))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
