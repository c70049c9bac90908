"""End to end: feedmux serve polls three fixture feeds (RSS, Atom, Arabic
RSS) and serves filtered, merged Atom outputs over HTTP."""

import signal

import expect
import harness
from harness import check, soft_check

FEEDS = ["world", "asia", "ar"]
PATHS = {"world": "/world.rss", "asia": "/asia.atom", "ar": "/ar.rss"}
# Config names, long enough to be found on the index page.
NAMES = {"world": "world-wire", "asia": "asia-desk", "ar": "arabic-news"}
OUTPUTS = [
    ("rj", {"title": "روسيا واليابان", "keywords": expect.RJ_KEYWORDS}),
    ("all", {"title": "Everything"}),
    ("latest", {"max_items": "3"}),
    ("calm", {"exclude": "football, chess"}),
]


def check_feedparser(body, what):
    try:
        import feedparser
    except ImportError:
        print("SKIP feedparser check of %s: no feedparser module in this "
              "Python (Debian's /usr/bin/python3 has it)" % what)
        return
    f = feedparser.parse(body)
    check(f.bozo == 0, "feedparser: %s is not well-formed: %s", what,
          f.get("bozo_exception"))
    check(f.version == "atom10", "feedparser: %s is %r, not atom10", what,
          f.version)
    print("feedparser %s: %s reads as atom10, %d entries, bozo 0"
          % (feedparser.__version__, what, len(f.entries)))
    return len(f.entries)


def main(env):
    sources = {k: (NAMES[k], env.url(PATHS[k])) for k in FEEDS}
    env.write_config([sources[k] for k in FEEDS], OUTPUTS)
    d = env.start()

    every = expect.items(FEEDS)
    d.wait_entries("all", [i.title for i in every])
    harness.check_output(d, "all", every, sources)
    rj = harness.check_output(d, "rj", expect.items(FEEDS, rj=True), sources)
    harness.check_output(d, "latest", every[:3], sources)
    harness.check_output(d, "calm", [i for i in every if i.title not in (
        "Local football results", "Chess final ends in a draw")], sources)

    # An entry keeps its id in every output that carries it.
    ids = {}
    for out, _ in OUTPUTS:
        for e in d.atom(out).entries:
            check(ids.setdefault(e.link, e.id) == e.id,
                  "entry %r has id %r in %s but %r elsewhere", e.title, e.id,
                  out, ids[e.link])

    # The Arabic article reaches the output with its text intact.
    art = [e for e in rj.entries if e.link == "http://127.0.0.1/ar/1"][0]
    text = "".join((b.text or "") for b in (art.summary, art.content)
                   if b is not None)
    check("روسيا واليابان" in text, "Arabic article text lost: %r", text[:200])
    check(rj.title == "روسيا واليابان", "rj title %r", rj.title)

    r = d.get("/feeds/rj.atom")
    ctype = r.header("Content-Type") or ""
    check(ctype.split(";")[0].strip() == "application/atom+xml",
          "Content-Type of an output: %r", ctype)
    for out in ("rj", "all"):
        body = d.get("/feeds/%s.atom" % out).body
        n = check_feedparser(body, out)
        if n is not None:
            want = len(expect.items(FEEDS, rj=True if out == "rj" else None))
            check(n == want, "feedparser: %s has %d entries, want %d", out, n,
                  want)

    # The index names every output with its URL and every feed.
    r = d.get("/")
    soft_check(r.status == 200, "GET /: %d", r.status)
    ctype = r.header("Content-Type") or ""
    soft_check(ctype.startswith("text/html"), "GET /: Content-Type %r",
               ctype)
    page = r.body.decode("utf-8", "replace")
    for out, _ in OUTPUTS:
        soft_check("/feeds/%s.atom" % out in page, "GET / does not link %s",
                   out)
    for k in FEEDS:
        soft_check(NAMES[k] in page, "GET / does not name feed %s",
                   NAMES[k])

    for path in ("/nope", "/feeds/nope.atom", "/feeds/", "/feeds/rj.nope"):
        r = d.get(path)
        soft_check(r.status == 404, "GET %s: %d, want 404", path, r.status)
    for method, path in (("POST", "/feeds/rj.atom"), ("PUT", "/"),
                         ("DELETE", "/feeds/all.atom")):
        r = d.get(path, method)
        soft_check(r.status == 405, "%s %s: %d, want 405", method, path,
                   r.status)
        allow = [m.strip() for m in (r.header("Allow") or "").split(",")]
        soft_check(sorted(allow) == ["GET", "HEAD"], "%s %s: Allow %r",
                   method, path, r.header("Allow"))
    for path, ctype in (("/feeds/rj.atom", "application/atom+xml"),
                        ("/", "text/html")):
        status, headers, rest = harness.raw_head(d.port, path)
        soft_check(" 200 " in status + " ", "HEAD %s: %r", path, status)
        soft_check(headers.get("content-type", "").startswith(ctype),
                   "HEAD %s: Content-Type %r", path,
                   headers.get("content-type"))
        soft_check(rest == b"", "HEAD %s: %d bytes of body after the "
                   "headers, want none", path, len(rest))

    # One poll at start, none more within the hour's interval.
    for k in FEEDS:
        n = env.count(PATHS[k])
        check(n == 1, "feed %s fetched %d times, want 1", k, n)
    log = d.log_text()
    for k in FEEDS:
        check("feed %s:" % NAMES[k] in log, "log has no line 'feed %s:'",
              NAMES[k])

    rc, took = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


harness.run(main)
