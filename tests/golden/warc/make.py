#!/usr/bin/python3
"""Writes the golden bad (and odd) WARC inputs in this folder.  Each NAME has NAME.expected
beside it: the stdout of `mathmine warc ls NAME`, then '--- stderr' and the messages (with the
folder part of the path removed), then '--- exit N'.  Run from anywhere; the inputs are
deterministic (fixed dates, ids, gzip mtime 0).  Regenerate the .expected files with
tests/integration/warc_golden.sh --update after checking the differences by eye."""
import gzip, os, zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def record(typ, uri, body, n=0, cl=None, extra=b"", eol=b"\r\n", names=None):
    names = names or {}
    h = [b"WARC/1.0",
         names.get("type", b"WARC-Type") + b": " + typ,
         b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-%012d>" % n,
         b"WARC-Date: 2024-01-0%dT00:00:00Z" % (n % 9 + 1)]
    if uri is not None:
        h.append(b"WARC-Target-URI: " + uri)
    h.append(b"Content-Type: " + (b"application/http; msgtype=response" if typ == b"response" else b"text/plain"))
    if cl != "none":
        h.append(names.get("cl", b"Content-Length") + b": " + (str(len(body)).encode() if cl is None else cl))
    head = eol.join(h) + eol + extra + eol
    return head + body + eol + eol


def http(body, status=b"200 OK", ctype=b"text/html"):
    return b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: " + \
        str(len(body)).encode() + b"\r\n\r\n" + body


def gz(data):
    return gzip.compress(data, mtime=0)


A = record(b"response", b"http://a.example/", http(b"<p>first</p>"), 1)
B = record(b"response", b"http://b.example/", http(b"<p>second</p>"), 2)
C = record(b"resource", b"http://c.example/c.txt", b"third\n", 3)
D = record(b"resource", b"http://d.example/d.txt", b"".join(b"line %d of a longer page\n" % i for i in range(400)), 4)
files = {
    "good-three-records.warc": A + B + C,
    "garbage-between-records.warc": A + b"this is not a record\r\nnor is this\r\n" + B + C,
    "garbage-at-start.warc": b"leading junk\n" + A + B,
    "content-length-too-long.warc":
        record(b"response", b"http://a.example/", http(b"<p>first</p>"), 1, cl=b"400") + B + C,
    "content-length-too-short.warc":
        record(b"response", b"http://a.example/", http(b"<p>first</p>"), 1, cl=b"20") + B + C,
    "content-length-huge.warc":
        record(b"response", b"http://a.example/", http(b"<p>first</p>"), 1, cl=b"99999999999") + B + C,
    "content-length-not-a-number.warc":
        A + record(b"response", b"http://b.example/", http(b"<p>second</p>"), 2, cl=b"12x") + C,
    "content-length-missing.warc":
        A + record(b"response", b"http://b.example/", http(b"<p>second</p>"), 2, cl="none") + C,
    "truncated-in-block.warc": A + B + C[:len(C) - 6],
    "truncated-in-header.warc": A + B + C[:40],
    "empty.warc": b"",
    "not-a-warc.html": b"<html><body>hello</body></html>\n",
    "lf-only-line-ends.warc":
        record(b"resource", b"http://lf.example/", b"body\n", 4, eol=b"\n") +
        record(b"resource", b"http://lf2.example/", b"body2\n", 5, eol=b"\n"),
    "lowercase-field-names.warc":
        record(b"resource", b"http://lc.example/", b"x", 6, names={"type": b"warc-type", "cl": b"content-length"}),
    "folded-header-line.warc":
        record(b"resource", b"http://fold.example/", b"x", 7, extra=b"X-Long: one\r\n  two\r\n\tthree\r\n"),
    "angle-bracket-target-uri.warc": record(b"resource", b"<http://wget.example/>", b"x", 8),
    "no-trailer-before-next-record.warc": A[:-4] + B,
    "gzip-one-member-for-all.warc.gz": gz(A + B + C),
    "gzip-bad-member-in-middle.warc.gz":
        gz(A) + (lambda m: m[:20] + bytes(b ^ 0x5A for b in m[20:40]) + m[40:])(gz(B)) + gz(C),
    "gzip-garbage-between-members.warc.gz": gz(A) + b"\x00garbage\x00" * 3 + gz(B) + gz(C),
    "gzip-member-cut-short.warc.gz": gz(A) + gz(B) + gz(C)[:30],
    "gzip-member-cut-in-block.warc.gz": gz(A) + gz(B) + gz(D)[:len(gz(D)) // 2],
    "warc-truncated-header.warc":
        A + record(b"response", b"http://b.example/", http(b"<p>sec"), 2, extra=b"WARC-Truncated: length\r\n") + C,
    "gzip-members-split-records.warc.gz": gz(A[:50]) + gz(A[50:] + B[:10]) + gz(B[10:] + C),
}
for name, data in files.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
