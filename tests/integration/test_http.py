"""The output server's HTTP: validators and 304, gzip with Vary, HEAD,
methods, unknown paths, limits on heads and on slow clients, keep-alive and
pipelining, Cache-Control, Content-Type with charset."""

import gzip
import socket
import threading
import time

import expect
import harness
from harness import check, soft_check

FEEDS = ["world", "asia", "ar"]
PATHS = {"world": "/world.rss", "asia": "/asia.atom", "ar": "/ar.rss"}
ROUTES = {
    "/feeds/rj.atom": "application/atom+xml; charset=utf-8",
    "/feeds/rj.rss": "application/rss+xml; charset=utf-8",
    "/feeds/rj.json": "application/feed+json; charset=utf-8",
    "/feeds/rj.html": "text/html; charset=utf-8",
    "/": "text/html; charset=utf-8",
    "/opml": "text/x-opml; charset=utf-8",
}
TIMEOUT = 10    # HTTP_REQUEST_TIMEOUT in daemon/http.h


class Slow:
    """A client that sends half a request and stops: it must be cut off
    after the request timeout, not kept forever."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        self.start = time.monotonic()
        self.closed_after = None
        self.reply = b""
        self.thread = threading.Thread(target=self.wait, daemon=True)
        self.thread.start()

    def wait(self):
        try:
            while True:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                self.reply += chunk
        except OSError:
            pass
        self.closed_after = time.monotonic() - self.start
        self.sock.close()


def get(d, path, method="GET", headers=None):
    return harness.http(d.url(path), method, headers=headers)


def main(env):
    sources = [(k, env.url(PATHS[k]), "10m") for k in FEEDS]
    env.write_config(sources, [("rj", {"keywords": expect.RJ_KEYWORDS})])
    d = env.start()
    slow = Slow(d.port)
    d.wait_entries("rj", [i.title for i in expect.items(FEEDS, rj=True)])

    for path, ctype in ROUTES.items():
        r = get(d, path)
        check(r.status == 200, "GET %s: %d", path, r.status)
        soft_check(r.header("Content-Type") == ctype,
                   "GET %s: Content-Type %r, want %r", path,
                   r.header("Content-Type"), ctype)
        etag, lastmod = r.header("ETag"), r.header("Last-Modified")
        check(etag and etag.startswith('"') and etag.endswith('"'),
              "GET %s: ETag %r is not strong", path, etag)
        check(lastmod, "GET %s: no Last-Modified", path)
        cc = r.header("Cache-Control")
        if path.startswith("/feeds/"):
            # The shortest poll interval: ten minutes.
            soft_check(cc == "max-age=600", "GET %s: Cache-Control %r",
                       path, cc)
        else:
            soft_check(cc == "no-cache", "GET %s: Cache-Control %r", path,
                       cc)
        soft_check(r.header("Vary") == "Accept-Encoding", "GET %s: Vary %r",
                   path, r.header("Vary"))

        # Validators round trip to 304, with no body.
        for h in ({"If-None-Match": etag},
                  {"If-None-Match": '"nope", W/%s' % etag},
                  {"If-None-Match": "*"},
                  {"If-Modified-Since": lastmod},
                  {"If-Modified-Since": "Sun, 06 Nov 2044 08:49:37 GMT",
                   "If-None-Match": etag}):
            r2 = get(d, path, headers=h)
            soft_check(r2.status == 304 and r2.body == b"",
                       "GET %s with %r: %d, %d bytes", path, h, r2.status,
                       len(r2.body))
            soft_check(r2.header("ETag") == etag, "304 of %s: ETag %r",
                       path, r2.header("ETag"))
        for h in ({"If-None-Match": '"other"'},
                  {"If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"},
                  {"If-Modified-Since": "yesterday"}):
            r2 = get(d, path, headers=h)
            soft_check(r2.status == 200 and r2.body == r.body,
                       "GET %s with %r: %d", path, h, r2.status)

        # gzip when asked, the same bytes once decompressed.
        for ae in ("gzip", "gzip, deflate, br", "*", "br;q=1, gzip;q=0.5"):
            rz = get(d, path, headers={"Accept-Encoding": ae})
            soft_check(rz.header("Content-Encoding") == "gzip",
                       "GET %s, Accept-Encoding %r: Content-Encoding %r",
                       path, ae, rz.header("Content-Encoding"))
            if rz.header("Content-Encoding") == "gzip":
                soft_check(gzip.decompress(rz.body) == r.body,
                           "GET %s: gzip body differs", path)
                soft_check(len(rz.body) < len(r.body), "gzip not smaller")
                soft_check(rz.header("ETag") not in (None, etag),
                           "GET %s: gzip has the identity ETag", path)
                r2 = get(d, path, headers={"Accept-Encoding": ae,
                                           "If-None-Match":
                                           rz.header("ETag")})
                soft_check(r2.status == 304, "gzip ETag: %d", r2.status)
        for ae in ("gzip;q=0", "identity", "br", "*;q=0", "gzip;q=0.000"):
            r2 = get(d, path, headers={"Accept-Encoding": ae})
            soft_check(r2.header("Content-Encoding") is None and
                       r2.body == r.body, "GET %s, Accept-Encoding %r: "
                       "Content-Encoding %r", path, ae,
                       r2.header("Content-Encoding"))

        # HEAD: the same head, no body.
        status, headers, rest = harness.raw_head(d.port, path)
        soft_check(" 200 " in status + " ", "HEAD %s: %r", path, status)
        soft_check(rest == b"", "HEAD %s: %d bytes of body", path, len(rest))
        soft_check(headers.get("content-length") == str(len(r.body)),
                   "HEAD %s: Content-Length %r, GET has %d", path,
                   headers.get("content-length"), len(r.body))
        soft_check(headers.get("etag") == etag, "HEAD %s: ETag", path)

    for path in ("/healthz", "/metrics"):
        r = get(d, path)
        soft_check(r.status == 200, "GET %s: %d", path, r.status)
        soft_check(r.header("Cache-Control") == "no-store",
                   "GET %s: Cache-Control %r", path, r.header("Cache-Control"))
        soft_check("charset=utf-8" in (r.header("Content-Type") or ""),
                   "GET %s: Content-Type %r", path, r.header("Content-Type"))

    # Methods and paths.
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"):
        for path in ("/feeds/rj.atom", "/", "/nope"):
            r = get(d, path, method)
            soft_check(r.status == 405, "%s %s: %d", method, path, r.status)
            allow = sorted(m.strip() for m in
                           (r.header("Allow") or "").split(","))
            soft_check(allow == ["GET", "HEAD"], "%s %s: Allow %r", method,
                       path, r.header("Allow"))
    for path in ("/nope", "/feeds/", "/feeds/rj", "/feeds/rj.nope",
                 "/feeds/nope.atom", "/feeds/.atom", "/feeds/../opml",
                 "/feeds/rj.atom/", "//", "/opml/", "/feeds/" + "a" * 70 +
                 ".atom", "/feeds/r%00j.atom", "/" + "x" * 2000):
        r = get(d, path)
        soft_check(r.status == 404, "GET %s: %d, want 404", path[:80],
                   r.status)
    # Percent-encoding, a query, the absolute form: the same document.
    body = get(d, "/feeds/rj.atom").body
    for path in ("/feeds/%72j.atom", "/feeds/rj.atom?utm_source=x"):
        r = get(d, path)
        soft_check(r.status == 200 and r.body == body, "GET %s: %d", path,
                   r.status)
    out = harness.raw(d.port, b"GET http://example.invalid/feeds/rj.atom "
                      b"HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    (st, _, b), = harness.responses(out)
    soft_check(st == 200 and b == body, "absolute-form: %d", st)

    # Bad requests get their status and the connection is closed.
    big = b"X-Big: " + b"a" * 20000 + b"\r\n"
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(200))
    for req, want in (
            (b"GET / HTTP/1.1\r\nHost: a\r\n" + big + b"\r\n", 431),
            (b"GET / HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n", 431),
            (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
            (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
            (b"GET / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            (b"GET /\r\n\r\n", 400),
            (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
             b"Content-Length: 2\r\n\r\n", 400),
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
             400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
             200),
            (b"POST /feeds/rj.atom HTTP/1.1\r\nHost: a\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
             405),
    ):
        t0 = time.monotonic()
        out = harness.raw(d.port, req, timeout=5.0)
        took = time.monotonic() - t0
        soft_check(out.startswith(b"HTTP/1.1 %d " % want),
                   "%r...: %r, want %d", req[:40], out[:60], want)
        # Answered and closed at once, not left to a timeout.
        soft_check(took < 3.0, "%r...: connection open %.1f s", req[:40],
                   took)
        if want != 200:
            soft_check(b"Connection: close\r\n" in out,
                       "%r...: no Connection: close", req[:40])

    # Keep-alive and pipelining: three requests in one write, three
    # answers in order on one connection; HTTP/1.0 asks for keep-alive.
    out = harness.raw(d.port,
                      b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                      b"\r\nHEAD /feeds/rj.atom HTTP/1.1\r\nHost: a\r\n\r\n"
                      b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
                      b"GET /feeds/rj.atom HTTP/1.0\r\n"
                      b"Connection: keep-alive\r\n\r\n"
                      b"GET /healthz HTTP/1.1\r\nHost: a\r\n"
                      b"Connection: close\r\n\r\n")
    # HEAD's answer has a Content-Length but no body: split by hand.
    first, sep, rest = out.partition(b"ok\n")
    check(sep, "pipelining: no first answer in %r", out[:200])
    rs = harness.responses(first + sep)
    head, sep2, rest = rest.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 200 ") and b"Content-Length: %d" %
          len(body) in head, "pipelining: HEAD answer %r", head[:100])
    rs += harness.responses(rest)
    codes = [s for s, _, _ in rs]
    check(codes == [200, 404, 200, 200], "pipelining: statuses %r", codes)
    check(rs[2][2] == body and rs[2][1].get("connection") == "keep-alive",
          "pipelining: HTTP/1.0 keep-alive answer %r", rs[2][1])
    check(rs[3][1].get("connection") == "close", "pipelining: no close")

    # Idle connections do not stop a client that asks.
    idle = [socket.create_connection(("127.0.0.1", d.port))
            for _ in range(200)]
    t0 = time.monotonic()
    r = get(d, "/feeds/rj.atom")
    check(r.status == 200 and time.monotonic() - t0 < 1.0,
          "with 200 idle connections: %d in %.2f s", r.status,
          time.monotonic() - t0)
    for s in idle:
        s.close()

    # The slow client of the start was answered 408 and cut off.
    harness.wait_until("the slow client to be cut off",
                       lambda: slow.closed_after is not None,
                       TIMEOUT + 5.0, alive=d)
    check(TIMEOUT - 1 <= slow.closed_after <= TIMEOUT + 3,
          "slow client cut off after %.1f s, want about %d",
          slow.closed_after, TIMEOUT)
    check(slow.reply.startswith(b"HTTP/1.1 408 "), "slow client got %r",
          slow.reply[:60])

    r = get(d, "/metrics")
    text = r.body.decode()
    for line in ('feedmux_http_requests_total{route="atom",code="304"}',
                 'feedmux_http_requests_total{route="other",code="431"}',
                 'feedmux_http_requests_total{route="other",code="408"} 1',
                 'feedmux_http_requests_total{route="index",code="405"}'):
        soft_check(line in text, "/metrics: no %s", line)
    rc, _ = d.stop()
    check(rc == 0, "exit status %d", rc)


harness.run(main)
