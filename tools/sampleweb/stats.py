#!/usr/bin/python3
"""stats.py — what a built sample web holds, per site, read from its .warc.gz files.

Usage: stats.py [--sites sites.tsv] [--manifest OUT.tsv] [--json] WARC_DIR
Prints a table (site, math, HTML pages, responses, chunked, gzip, MB of .warc.gz) and with
--manifest writes it as TSV with the header
  host  math  pages  responses  html_200  chunked  gzip  status_other  warc_bytes  mounts
where math is 1, 0 or "mixed" (from sites.tsv: a host whose sections differ), pages is the number
of 200 text/html responses, and mounts lists "prefix:package:math:pages" for each of the host's
sections (pages under that URL prefix).
Standard library only; reads the WARCs with Python's gzip module (a plain record walker, enough for
the WARCs GNU wget writes — not a general WARC reader).
"""
import argparse
import gzip
import json
import os
import sys


def read_sites(path):
    hosts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            hosts.setdefault(c[0], []).append((c[1], c[2], c[5]))
    return hosts


def walk(path):
    """Yield (warc_headers dict, block bytes) for every record of a .warc.gz (or plain .warc)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        while True:
            line = f.readline()
            if not line:
                return
            if not line.strip():
                continue
            if not line.startswith(b"WARC/"):
                raise ValueError(f"{path}: expected a WARC record, got {line[:40]!r}")
            hdr = {}
            while True:
                line = f.readline()
                if not line or line in (b"\r\n", b"\n"):
                    break
                k, _, v = line.decode("utf-8", "replace").partition(":")
                hdr[k.strip().lower()] = v.strip()
            n = int(hdr.get("content-length", "0"))
            yield hdr, f.read(n)


def http_head(block):
    """(status, {lower-cased field name: value}, body bytes) of an HTTP response block."""
    head, _, body = block.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    fields = {}
    for h in lines[1:]:
        k, _, v = h.partition(":")
        fields[k.strip().lower()] = v.strip()
    return parts[1] if len(parts) > 1 else "", fields, body


def scan(path):
    s = dict(responses=0, html_200=0, chunked=0, gzip=0, status_other=0, hosts=set(), paths=[])
    for hdr, block in walk(path):
        if hdr.get("warc-type") != "response":
            continue
        s["responses"] += 1
        uri = hdr.get("warc-target-uri", "").strip("<>")
        if "://" in uri:
            s["hosts"].add(uri.split("/")[2].split(":")[0])
        status, fields, _ = http_head(block)
        fields = {k: v.lower() for k, v in fields.items()}
        if "chunked" in fields.get("transfer-encoding", ""):
            s["chunked"] += 1
        if "gzip" in fields.get("content-encoding", ""):
            s["gzip"] += 1
        if status != "200":
            s["status_other"] += 1
        elif fields.get("content-type", "").startswith("text/html"):
            s["html_200"] += 1
            if "://" in uri:
                s["paths"].append("/" + uri.split("/", 3)[3] if uri.count("/") >= 3 else "/")
    return s


def mount_pages(prefix, mounts, paths):
    """HTML pages whose longest matching mount prefix is `prefix`."""
    n = 0
    for path in paths:
        best = max((m[0] for m in mounts if path.startswith(m[0])), key=len, default=None)
        n += best == prefix
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "sites.tsv"))
    ap.add_argument("--manifest")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("dir")
    a = ap.parse_args()
    sites = read_sites(a.sites)
    rows = []
    for fn in sorted(os.listdir(a.dir)):
        if not fn.endswith(".warc.gz") or fn.startswith("."):
            continue
        host = fn[:-len(".warc.gz")]
        s = scan(os.path.join(a.dir, fn))
        mounts = sites.get(host, [])
        flags = {m[2] for m in mounts}
        math = "mixed" if len(flags) > 1 else (flags.pop() if flags else "?")
        rows.append(dict(host=host, math=math, pages=s["html_200"], responses=s["responses"],
                         html_200=s["html_200"], chunked=s["chunked"], gzip=s["gzip"],
                         status_other=s["status_other"],
                         warc_bytes=os.path.getsize(os.path.join(a.dir, fn)),
                         mounts=",".join(f"{p}:{pkg}:{m}:{mount_pages(p, mounts, s['paths'])}"
                                         for p, pkg, m in mounts),
                         uri_hosts=sorted(s["hosts"])))
    cols = ["host", "math", "pages", "responses", "html_200", "chunked", "gzip", "status_other",
            "warc_bytes", "mounts"]
    if a.manifest:
        tmp = a.manifest + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\t".join(cols) + "\n")
            for r in rows:
                f.write("\t".join(str(r[c]) for c in cols) + "\n")
        os.replace(tmp, a.manifest)
    if a.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return
    print(f"{'site':<28} {'math':>5} {'pages':>6} {'resp':>6} {'chunk':>6} {'gzip':>6} "
          f"{'MB':>7}")
    tp = tr = tb = 0
    for r in rows:
        print(f"{r['host']:<28} {r['math']:>5} {r['pages']:>6} {r['responses']:>6} "
              f"{r['chunked']:>6} {r['gzip']:>6} {r['warc_bytes'] / 1e6:>7.2f}")
        tp += r["pages"]
        tr += r["responses"]
        tb += r["warc_bytes"]
    print(f"{'total (' + str(len(rows)) + ' sites)':<28} {'':>5} {tp:>6} {tr:>6} {'':>6} {'':>6} "
          f"{tb / 1e6:>7.2f}")


if __name__ == "__main__":
    main()
