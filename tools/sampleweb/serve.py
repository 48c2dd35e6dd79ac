#!/usr/bin/python3
"""serve.py — the sample web's server: many web sites on one 127.0.0.1 port.

Each site of tools/sampleweb/sites.tsv is a host name with one or more mounts (URL path prefix ->
folder of HTML that a Debian package installs).  The server picks the site from the request's
absolute URI (what a client sends to an HTTP proxy: "GET http://host/path HTTP/1.1") or else from
its Host header, so a crawler pointed at it as a proxy ("wget -e use_proxy=yes -e
http_proxy=127.0.0.1:PORT http://host/") sees real host names in its URLs while every connection
goes to localhost.

What it answers, so a crawl of it looks like a small real web:
  * files with their Content-Type (HTML as text/html, with or without "; charset=utf-8"),
    Last-Modified, HEAD, 404 for what is missing, 301 for a folder without its slash, 302 from a
    mount's root to its start page when the folder has no index.html, and a generated index page at
    "/" for a host with several mounts;
  * text bodies in one of four framings chosen by a hash of the path (stable from run to run):
    plain with Content-Length, Transfer-Encoding: chunked, Content-Encoding: gzip with
    Content-Length, or gzip and chunked (gzip only where the request's Accept-Encoding allows it);
  * /robots.txt per host: when a mount has a page cap N (--set picks the column of sites.tsv), the
    first N HTML pages in breadth-first link order from its start page are allowed and the mount's
    other HTML pages are disallowed, so a crawler that obeys robots.txt fetches about N pages.

Usage: serve.py --sites sites.tsv [--set default] [--hosts h1,h2] [--max-pages N] [--port 0]
                [--port-file F] [--log FILE] [--list]
--list prints the chosen mounts with their page counts (all / allowed) and exits.
Standard library only (run with /usr/bin/python3).
"""
import argparse
import email.utils
import gzip
import html
import http.server
import mimetypes
import os
import posixpath
import re
import socket
import socketserver
import sys
import threading
import urllib.parse
import zlib

SETS = ("small", "default", "big")
HTML_EXT = (".html", ".htm")
TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/xml",
              "image/svg+xml")


class Mount:
    def __init__(self, host, prefix, package, folder, start, math, cap):
        self.host, self.prefix, self.package, self.folder = host, prefix, package, folder
        self.start, self.math, self.cap = start, math, cap
        self.pages_all = 0
        self.allowed = None  # set of URL paths, None = all
        self.disallowed = []


def read_sites(path, set_name, hosts, max_pages=0):
    """Rows of sites.tsv: host mount package folder start math small default big."""
    col = 6 + SETS.index(set_name)
    mounts = []
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 9:
                sys.exit(f"{path}:{ln}: expected 9 tab-separated columns, got {len(cols)}")
            host, prefix, package, folder, start, math = cols[:6]
            cap = cols[col].strip()
            if cap == "-":
                continue
            if hosts and host not in hosts:
                continue
            if not prefix.startswith("/") or not prefix.endswith("/"):
                sys.exit(f"{path}:{ln}: mount must start and end with '/': {prefix}")
            cap = int(cap)
            if max_pages > 0 and (cap == 0 or cap > max_pages):
                cap = max_pages
            mounts.append(Mount(host, prefix, package, folder, start, math == "1", cap))
    return mounts


HREF_RE = re.compile(rb"""(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
BASE_RE = re.compile(rb"""<base\s[^>]*href\s*=\s*["']?([^"'\s>]+)""", re.I)


def url_to_file(m, path):
    """URL path (decoded) under mount m -> file system path, or None when outside the mount."""
    if not path.startswith(m.prefix):
        return None
    rel = path[len(m.prefix):]
    norm = posixpath.normpath("/" + rel)
    if norm.startswith("/.."):
        return None
    return os.path.join(m.folder, norm.lstrip("/")) if norm != "/" else m.folder


def plan_mount(m):
    """Count the mount's HTML pages; with a cap, choose the first `cap` pages in BFS link order."""
    all_pages = []
    for root, dirs, files in os.walk(m.folder, followlinks=False):
        dirs.sort()
        for fn in sorted(files):
            if fn.lower().endswith(HTML_EXT):
                rel = os.path.relpath(os.path.join(root, fn), m.folder)
                all_pages.append(m.prefix + rel.replace(os.sep, "/"))
    m.pages_all = len(all_pages)
    if m.cap <= 0 or m.cap >= len(all_pages):
        return
    start = m.prefix + m.start
    seen, order, queue = {start}, [], [start]
    qi = 0
    while qi < len(queue) and len(order) < m.cap:
        page = queue[qi]
        qi += 1
        fpath = url_to_file(m, page)
        if fpath is None or not os.path.isfile(fpath):
            continue
        order.append(page)
        try:
            with open(fpath, "rb") as f:
                data = f.read()
        except OSError:
            continue
        base = page
        b = BASE_RE.search(data)
        if b:
            base = urllib.parse.urljoin(page, html.unescape(b.group(1).decode("latin-1")))
        for g in HREF_RE.finditer(data):
            raw = (g.group(1) or g.group(2) or g.group(3) or b"").decode("latin-1")
            link = html.unescape(raw).strip()
            if not link or link.startswith(("#", "mailto:", "javascript:", "data:")):
                continue
            u = urllib.parse.urlsplit(urllib.parse.urljoin("http://" + m.host + base, link))
            if u.scheme != "http" or u.hostname != m.host:  # the crawl skips https
                continue
            p = posixpath.normpath(urllib.parse.unquote(u.path) or "/")
            if u.path.endswith("/") and not p.endswith("/"):
                p += "/"
            if p.endswith("/"):
                idx = p + "index.html"
                fp = url_to_file(m, idx)
                if fp and os.path.isfile(fp):
                    p = idx
            if not p.lower().endswith(HTML_EXT) or p in seen or not p.startswith(m.prefix):
                continue
            seen.add(p)
            queue.append(p)
    m.allowed = set(order)
    m.disallowed = [p for p in all_pages if p not in m.allowed]


class Web:
    def __init__(self, mounts):
        self.hosts = {}
        for m in mounts:
            self.hosts.setdefault(m.host, []).append(m)
        for ms in self.hosts.values():
            ms.sort(key=lambda m: -len(m.prefix))  # longest prefix first
        self.robots = {}
        for host, ms in self.hosts.items():
            lines = ["# sample web: robots.txt for " + host, "User-agent: *"]
            dis = [p for m in sorted(ms, key=lambda m: m.prefix) for p in m.disallowed]
            lines += ["Disallow: " + urllib.parse.quote(p) for p in dis] or ["Disallow:"]
            self.robots[host] = ("\n".join(lines) + "\n").encode()

    def mount_for(self, host, path):
        for m in self.hosts.get(host, []):
            if path.startswith(m.prefix) or path + "/" == m.prefix:
                return m
        return None

    def host_index(self, host):
        ms = sorted(self.hosts[host], key=lambda m: m.prefix)
        items = "\n".join(
            f'<li><a href="{html.escape(m.prefix)}">{html.escape(m.package)}</a> '
            f"({html.escape(m.prefix)})</li>" for m in ms)
        return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(host)}"
                f"</title></head>\n<body><h1>Documentation on {html.escape(host)}</h1>\n<ul>\n"
                f"{items}\n</ul></body></html>\n").encode()


def framing(path):
    """0 plain, 1 chunked, 2 gzip, 3 gzip+chunked; stable for a path."""
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % 4


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sampleweb/1.0"
    wbufsize = 1 << 16  # headers and body leave in one write (no Nagle/delayed-ACK stalls)

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if self.server.logf:
            with self.server.loglock:
                self.server.logf.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
                self.server.logf.flush()

    def do_HEAD(self):
        self.handle_req(head=True)

    def do_GET(self):
        self.handle_req(head=False)

    def send_body(self, code, ctype, body, head, extra=(), path="", allow_encode=True):
        mode = framing(path) if allow_encode else 0
        accept = self.headers.get("Accept-Encoding", "")
        gz_ok = "gzip" in accept.lower()
        if mode in (2, 3) and not gz_ok:
            mode -= 2
        if mode in (2, 3):
            body = gzip.compress(body, compresslevel=6, mtime=0)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        if mode in (2, 3):
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        chunked = mode in (1, 3)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        if not chunked:
            self.wfile.write(body)
            return
        # chunk sizes vary with the path so readers meet odd boundaries
        step = 1000 + zlib.crc32(path.encode("utf-8", "surrogateescape")) % 7000
        out = []
        for i in range(0, len(body), step):
            piece = body[i:i + step]
            out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
        out.append(b"0\r\n\r\n")
        self.wfile.write(b"".join(out))

    def error(self, code, msg, head, extra=()):
        body = (f"<!DOCTYPE html>\n<html><head><title>{code} {msg}</title></head>"
                f"<body><h1>{code} {msg}</h1></body></html>\n").encode()
        self.send_body(code, "text/html; charset=utf-8", body, head, extra, allow_encode=False)

    def handle_req(self, head):
        web = self.server.web
        target = self.path
        if target.startswith(("http://", "https://")):  # proxy form: absolute URI
            u = urllib.parse.urlsplit(target)
            host, raw_path = u.hostname or "", u.path or "/"
        else:
            host = re.sub(r":\d+$", "", self.headers.get("Host") or "")
            raw_path = urllib.parse.urlsplit(target).path or "/"
        host = host.lower().rstrip(".")
        if host not in web.hosts:
            return self.error(404, "No such site", head)
        path = urllib.parse.unquote(raw_path)
        if path == "/robots.txt":
            return self.send_body(200, "text/plain; charset=utf-8", web.robots[host], head,
                                  path=path, allow_encode=False)
        m = web.mount_for(host, path)
        if m is None:
            if path == "/":
                return self.send_body(200, "text/html; charset=utf-8", web.host_index(host), head,
                                      path=path)
            return self.error(404, "Not Found", head)
        if path + "/" == m.prefix:
            return self.error(301, "Moved Permanently", head, [("Location", m.prefix)])
        fpath = url_to_file(m, path)
        if fpath is None:
            return self.error(404, "Not Found", head)
        if os.path.isdir(fpath):
            if not path.endswith("/"):
                return self.error(301, "Moved Permanently", head,
                                  [("Location", urllib.parse.quote(path + "/"))])
            idx = os.path.join(fpath, "index.html")
            if os.path.isfile(idx):
                fpath, path = idx, path + "index.html"
            elif path == m.prefix and m.start:
                return self.error(302, "Found", head,
                                  [("Location", urllib.parse.quote(m.prefix + m.start))])
            else:
                return self.error(404, "Not Found", head)
        if m.allowed is not None and path.lower().endswith(HTML_EXT) and path not in m.allowed:
            return self.error(404, "Not Found", head)  # beyond the cap (robots.txt disallows it)
        try:
            with open(fpath, "rb") as f:
                body = f.read()
            mtime = os.stat(fpath).st_mtime
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return self.error(404, "Not Found", head)
        except OSError:
            return self.error(403, "Forbidden", head)
        ctype = mimetypes.guess_type(fpath)[0] or "application/octet-stream"
        if fpath.lower().endswith(HTML_EXT):
            ctype = "text/html"
        textual = ctype.startswith(TEXT_TYPES)
        if textual and zlib.crc32(path.encode("utf-8", "surrogateescape")) % 3 != 0:
            try:
                body.decode("utf-8")
                ctype += "; charset=utf-8"
            except UnicodeDecodeError:
                pass
        extra = [("Last-Modified", email.utils.formatdate(mtime, usegmt=True))]
        self.send_body(200, ctype, body, head, extra, path=path, allow_encode=textual)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "sites.tsv"))
    ap.add_argument("--set", default="default", choices=SETS)
    ap.add_argument("--hosts", default="", help="comma-separated host names (default: all)")
    ap.add_argument("--max-pages", type=int, default=0, help="cap every mount at N pages")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--log", help="request log file")
    ap.add_argument("--list", action="store_true", help="print mounts and page counts, exit")
    a = ap.parse_args()
    hosts = set(h for h in a.hosts.split(",") if h)
    mounts = read_sites(a.sites, a.set, hosts, a.max_pages)
    missing = [m.folder for m in mounts if not os.path.isdir(m.folder)]
    if missing:
        sys.exit("serve.py: missing folders (install the packages): " + " ".join(missing))
    for m in mounts:
        plan_mount(m)
    web = Web(mounts)
    if a.list:
        for m in mounts:
            n = len(m.allowed) if m.allowed is not None else m.pages_all
            print(f"{m.host}\t{m.prefix}\t{m.package}\t{int(m.math)}\t{m.pages_all}\t{n}")
        return
    srv = Server((a.bind, a.port), Handler)
    srv.web = web
    srv.logf = open(a.log, "a", encoding="utf-8") if a.log else None
    srv.loglock = threading.Lock()
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
