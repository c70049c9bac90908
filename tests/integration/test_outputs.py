"""Every output format as readers see it: Atom and RSS parsed back by
feedparser (bozo 0), JSON Feed checked against the rules of JSON Feed 1.1
(Debian's feedparser 6.0 reads no JSON Feed), the HTML view, the index,
/opml, /healthz, /metrics, and WebSub pings to a hub of the test's own."""

import html.parser
import json
import re
import signal
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import expect
import harness
from harness import check, soft_check

FEEDS = ["world", "asia", "ar"]
PATHS = {"world": "/world.rss", "asia": "/asia.atom", "ar": "/ar.rss"}
LANGS = {"world": "en", "asia": "en", "ar": "ar"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class Hub:
    """A WebSub hub on loopback that records the publish pings it gets."""

    def __init__(self):
        self.pings = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n).decode()
                hub.pings.append((self.path,
                                  self.headers.get("Content-Type"),
                                  urllib.parse.parse_qs(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def feedparse(body, what, version):
    try:
        import feedparser
    except ImportError:
        raise harness.TestSkip("no feedparser module in this Python "
                               "(Debian's /usr/bin/python3 has it)")
    f = feedparser.parse(body)
    check(f.bozo == 0, "feedparser: %s is not well-formed: %s", what,
          f.get("bozo_exception"))
    check(f.version == version, "feedparser: %s is %r, not %s", what,
          f.version, version)
    return f


def check_entries(f, want, what, sources):
    """feedparser's entries against the fixture items, newest first."""
    have = [(e.title, e.link) for e in f.entries]
    exp = [(i.title, i.link) for i in want]
    check(have == exp, "%s: entries %r, want %r", what, have, exp)
    for e, i in zip(f.entries, want):
        w = "%s: entry %r" % (what, i.title)
        check(e.id.startswith("urn:uuid:"), "%s: id %r", w, e.id)
        check(e.get("author"), "%s: no author", w)
        tags = [t.term for t in e.get("tags", [])]
        check(i.category in tags, "%s: tags %r, want %r", w, tags,
              i.category)
        check(e.get("summary"), "%s: no summary", w)
        check(e.get("updated_parsed"), "%s: no updated date", w)
        name, url = sources[i.feed]
        src = e.get("source", {})
        check(src.get("title") == (expect.TITLES[i.feed] or name),
              "%s: source %r", w, src)
        # RSS's source has its url as href; Atom's, a link rel=self.
        hrefs = [src.get("href")] + [l.get("href") for l in
                                     src.get("links", [])
                                     if l.get("rel") == "self"]
        check(url in hrefs, "%s: source %r, want %s", w, src, url)


def check_jsonfeed(body, want, base, output, sources):
    """The rules of JSON Feed 1.1 that a reader relies on."""
    doc = json.loads(body.decode("utf-8"))
    check(doc.get("version") == "https://jsonfeed.org/version/1.1",
          "json: version %r", doc.get("version"))
    check(isinstance(doc.get("title"), str) and doc["title"],
          "json: no title")
    check(doc.get("feed_url") == "%s/feeds/%s.json" % (base, output),
          "json: feed_url %r", doc.get("feed_url"))
    check(doc.get("home_page_url") == "%s/feeds/%s.html" % (base, output),
          "json: home_page_url %r", doc.get("home_page_url"))
    items = doc.get("items")
    check(isinstance(items, list), "json: items is not a list")
    check([(i.get("title"), i.get("url")) for i in items] ==
          [(i.title, i.link) for i in want], "json: items %r",
          [i.get("title") for i in items])
    for it, i in zip(items, want):
        w = "json: item %r" % i.title
        check(isinstance(it.get("id"), str) and it["id"], "%s: no id", w)
        check(isinstance(it.get("content_html"), str) or
              isinstance(it.get("content_text"), str),
              "%s: neither content_html nor content_text", w)
        for k in ("date_published", "date_modified"):
            if k in it:
                harness.rfc3339(it[k])
        check("date_modified" in it, "%s: no date_modified", w)
        if "summary" in it:
            check("<" not in it["summary"] or "<" in i.title,
                  "%s: summary is not plain text: %r", w, it["summary"])
        check(i.category in it.get("tags", []), "%s: tags %r", w,
              it.get("tags"))
        check(it.get("authors") and it["authors"][0].get("name"),
              "%s: no author", w)
        check(it.get("language") == LANGS[i.feed], "%s: language %r", w,
              it.get("language"))
        for k in it:
            check(k in ("id", "url", "title", "content_html",
                        "content_text", "summary", "date_published",
                        "date_modified", "authors", "tags", "language",
                        "external_url", "image", "banner_image",
                        "attachments") or re.match(r"^_[a-z]", k),
                  "%s: unknown key %r (extensions start with _)", w, k)
        src = it["_feedmux"]["sources"][0]
        name, url = sources[i.feed]
        check(src.get("name") == name and src.get("feed_url") == url,
              "%s: _feedmux source %r", w, src)
    return doc


class Page(html.parser.HTMLParser):
    """Counts what the HTML view must and must not hold."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []
        self.stack = []
        self.h2 = []
        self.links = []
        self.autodir = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.stack.append((tag, a))
        if tag == "a" and "href" in a:
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if not data.strip():
            return
        self.text.append(data)
        # The nearest element with a dir, from the inside out.
        dirs = [a.get("dir") for _, a in self.stack if "dir" in a]
        inside = [t for t, _ in self.stack]
        if "article" in inside:
            self.autodir.append((data, dirs[-1] if dirs else None))


def check_html_view(body, want, output):
    p = Page()
    p.feed(body.decode("utf-8"))
    text = "".join(p.text)
    for bad in ("script", "iframe", "img", "object", "embed"):
        check(bad not in p.tags, "html view: a <%s> element", bad)
    for i in want:
        check(i.title in text, "html view: title %r missing", i.title)
        check(i.link in p.links, "html view: no link to %s", i.link)
    # Every text of an entry has its own direction.
    nodir = [t for t, d in p.autodir if d != "auto"]
    check(not nodir, "html view: text without dir=auto: %r", nodir[:5])
    for ext in ("atom", "rss", "json"):
        check("%s.%s" % (output, ext) in p.links,
              "html view: no subscribe link to %s.%s", output, ext)
    # The feed's own markup never reaches the page: <p> and <b> of the
    # summaries come out as text.
    check("<b>" not in body.decode("utf-8"), "html view: feed markup")
    return text


def main(env):
    hub = Hub()
    try:
        run(env, hub)
    finally:
        hub.close()


def run(env, hub):
    sources = {k: (k + "-feed", env.url(PATHS[k])) for k in FEEDS}
    hub_url = "http://127.0.0.1:%d/hub" % hub.port
    env.write_config([sources[k] for k in FEEDS], [
        ("rj", {"title": "روسيا واليابان", "keywords": expect.RJ_KEYWORDS,
                "hub": hub_url}),
        ("all", {"title": "Everything"}),
    ])
    d = env.start()
    base = "http://127.0.0.1:%d" % d.port
    every = expect.items(FEEDS)
    rj = expect.items(FEEDS, rj=True)
    d.wait_entries("all", [i.title for i in every])
    d.wait_entries("rj", [i.title for i in rj])

    for out, want in (("rj", rj), ("all", every)):
        # Atom
        r = d.get("/feeds/%s.atom" % out)
        check(r.header("Content-Type") ==
              "application/atom+xml; charset=utf-8",
              "atom Content-Type %r", r.header("Content-Type"))
        f = feedparse(r.body, out + ".atom", "atom10")
        check_entries(f, want, out + ".atom", sources)
        links = {(l.rel, l.href) for l in f.feed.links}
        for rel, href in (("self", "%s/feeds/%s.atom" % (base, out)),
                          ("alternate", "%s/feeds/%s.html" % (base, out))):
            check((rel, href) in links, "atom: no link rel=%s %s in %r", rel,
                  href, links)
        if out == "rj":
            check(("hub", hub_url) in links, "atom: no rel=hub %s", hub_url)
        root = ET.fromstring(r.body)
        for e, i in zip(root.findall(harness.ATOM + "entry"), want):
            check(e.get(XML_LANG) == LANGS[i.feed], "atom: %r xml:lang %r",
                  i.title, e.get(XML_LANG))
        atom_ids = [e.id for e in f.entries]

        # RSS 2.0
        r = d.get("/feeds/%s.rss" % out)
        check(r.header("Content-Type") ==
              "application/rss+xml; charset=utf-8",
              "rss Content-Type %r", r.header("Content-Type"))
        f = feedparse(r.body, out + ".rss", "rss20")
        check_entries(f, want, out + ".rss", sources)
        check(f.feed.link == "%s/feeds/%s.html" % (base, out),
              "rss: channel link %r", f.feed.link)
        check([e.id for e in f.entries] == atom_ids,
              "rss: guids differ from the Atom ids")
        root = ET.fromstring(r.body)
        for e, i in zip(root.findall("channel/item"), want):
            check(e.get(XML_LANG) == LANGS[i.feed], "rss: %r xml:lang %r",
                  i.title, e.get(XML_LANG))

        # JSON Feed 1.1
        r = d.get("/feeds/%s.json" % out)
        check(r.header("Content-Type") ==
              "application/feed+json; charset=utf-8",
              "json Content-Type %r", r.header("Content-Type"))
        doc = check_jsonfeed(r.body, want, base, out, sources)
        check([i["id"] for i in doc["items"]] == atom_ids,
              "json: ids differ from the Atom ids")
        if out == "rj":
            check(doc.get("hubs") == [{"type": "WebSub", "url": hub_url}],
                  "json: hubs %r", doc.get("hubs"))

        # The HTML view
        r = d.get("/feeds/%s.html" % out)
        check(r.header("Content-Type") == "text/html; charset=utf-8",
              "html Content-Type %r", r.header("Content-Type"))
        check("default-src 'none'" in (r.header(
            "Content-Security-Policy") or ""), "html: no CSP")
        check_html_view(r.body, want, out)

    # The Lavrov article's summary, as plain text, cut with an ellipsis.
    page = d.get("/feeds/rj.html").body.decode("utf-8")
    check("أعلن وزير الخارجية الروسي، سيرغي لافروف" in page,
          "html view: Arabic summary text missing")
    check("\u2026</p>" in page, "html view: long summary not cut")

    # The index: every output with its subscribe links, every feed.
    r = d.get("/")
    page = r.body.decode("utf-8")
    for out in ("rj", "all"):
        for ext in ("html", "atom", "rss", "json"):
            soft_check('href="feeds/%s.%s"' % (out, ext) in page,
                       "index: no link to feeds/%s.%s", out, ext)
    for k in FEEDS:
        soft_check(sources[k][0] in page, "index: no feed %s", k)
    soft_check("loaded at start" in page, "index: no config state")

    # OPML 2.0 of the configured feeds.
    r = d.get("/opml")
    check(r.status == 200, "/opml: %d", r.status)
    check((r.header("Content-Type") or "").startswith("text/x-opml"),
          "/opml Content-Type %r", r.header("Content-Type"))
    root = ET.fromstring(r.body)
    check(root.tag == "opml" and root.get("version") == "2.0",
          "/opml: root %s version %r", root.tag, root.get("version"))
    outlines = root.findall("body/outline")
    check([o.get("xmlUrl") for o in outlines] ==
          [sources[k][1] for k in FEEDS], "/opml: xmlUrls %r",
          [o.get("xmlUrl") for o in outlines])
    check([o.get("text") for o in outlines] ==
          [expect.TITLES[k] for k in FEEDS], "/opml: texts %r",
          [o.get("text") for o in outlines])
    check(all(o.get("type") == "rss" for o in outlines), "/opml: types")

    # Health and metrics.
    r = d.get("/healthz")
    check(r.status == 200 and r.body == b"ok\n", "/healthz: %d %r",
          r.status, r.body)
    r = d.get("/metrics")
    check(r.status == 200, "/metrics: %d", r.status)
    check((r.header("Content-Type") or "").startswith(
        "text/plain; version=0.0.4"), "/metrics Content-Type %r",
        r.header("Content-Type"))
    metrics = {}
    for line in r.body.decode().splitlines():
        if line.startswith("#") or not line:
            continue
        m = re.match(r'^([a-z_]+(\{[^}]*\})?) ([0-9.e+-]+)$', line)
        check(m, "/metrics: bad line %r", line)
        metrics[m.group(1)] = float(m.group(3))
    for key, want in (('feedmux_feeds{state="ok"}', 3),
                      ('feedmux_feeds{state="failing"}', 0),
                      ('feedmux_fetches_total{result="ok"}', 3),
                      ("feedmux_items_stored", len(every)),
                      ('feedmux_items_total{kind="new"}', len(every)),
                      ("feedmux_outputs", 2)):
        check(metrics.get(key) == want, "/metrics: %s = %r, want %r", key,
              metrics.get(key), want)
    check(metrics.get("feedmux_fetched_bytes_total", 0) > 1000,
          "/metrics: bytes fetched %r",
          metrics.get("feedmux_fetched_bytes_total"))
    check(metrics.get('feedmux_http_requests_total{route="atom",code="200"}',
                      0) >= 2, "/metrics: atom requests not counted")
    check(metrics.get('feedmux_http_requests_total{route="healthz",'
                      'code="200"}') == 1, "/metrics: healthz not counted")

    # WebSub: the rj output changed when its items came; its hub hears of
    # each of its topics, the all output (no hub) pings nobody.
    topics = {"%s/feeds/rj.%s" % (base, x) for x in ("atom", "rss", "json")}
    harness.wait_until("three WebSub pings",
                       lambda: len(hub.pings) >= 3, 10.0, alive=d)
    got = set()
    for path, ctype, form in hub.pings:
        check(path == "/hub", "websub: ping to %s", path)
        check(ctype == "application/x-www-form-urlencoded",
              "websub: Content-Type %r", ctype)
        check(form.get("hub.mode") == ["publish"], "websub: %r", form)
        got.update(form.get("hub.url", []))
    check(got == topics, "websub: topics %r, want %r", got, topics)

    # A new matching item: the output changes, the hub hears again.
    n = len(hub.pings)
    env.edit_feed("world.rss", "</channel>", expect.NEW_WORLD_XML)
    # A new URL is polled at once.
    env.write_config([(k + "-feed", env.url(PATHS[k] + (
        "?again=1" if k == "world" else ""))) for k in FEEDS], [
        ("rj", {"title": "روسيا واليابان", "keywords": expect.RJ_KEYWORDS,
                "hub": hub_url}),
        ("all", {"title": "Everything"}),
    ])
    d.send_signal(signal.SIGHUP)
    d.wait_entries("rj", [i.title for i in rj] + [expect.NEW_WORLD.title])
    harness.wait_until("three more WebSub pings",
                       lambda: len(hub.pings) >= n + 3, 10.0, alive=d)
    rc, _ = d.stop()
    check(rc == 0, "exit status %d", rc)


harness.run(main)
