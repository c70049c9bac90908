"""A browser's view: headless Chromium (Debian's chromium) loads the index
and an output's HTML view from the running daemon. The DOM it built must
hold the Arabic titles with dir="auto" on them, no element from a feed's
markup, and the subscribe links; a screenshot of each page is kept as a
test artifact (test-artifacts/ in the build directory)."""

import html.parser
import os
import shutil
import subprocess
import tempfile

import expect
import harness
from harness import check

FEEDS = ["world", "asia", "ar"]
PATHS = {"world": "/world.rss", "asia": "/asia.atom", "ar": "/ar.rss"}


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def chromium(env, url, *args):
    # A profile of its own each time: a second run on the same one hands
    # its work to the first (gone by then) and does nothing.
    profile = tempfile.mkdtemp(prefix="chromium-", dir=env.dir)
    cmd = [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update",
           "--disable-default-apps", "--disable-extensions", "--disable-sync",
           "--no-first-run", "--no-default-browser-check",
           "--metrics-recording-only", "--disable-dev-shm-usage",
           # Anything but loopback (which Chromium never sends through a
           # proxy) goes to a port where nothing listens.
           "--proxy-server=http://127.0.0.1:9",
           "--user-data-dir=" + profile, "--window-size=1000,1400",
           "--lang=ar"] + list(args) + [url]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=90, cwd=env.dir)
    except subprocess.TimeoutExpired:
        raise harness.TestFailure("chromium ran over 90 s on %s" % url)
    check(p.returncode == 0, "chromium %s: status %d: %s", url,
          p.returncode, p.stderr.decode("utf-8", "replace")[-2000:])
    return p.stdout.decode("utf-8", "replace")


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.tags = set()
        self.texts = []     # (text, nearest dir)
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag in ("br", "meta", "link", "img", "hr", "input"):
            return
        self.stack.append((tag, a))
        if tag == "a":
            self.links.append(a.get("href"))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if data.strip():
            dirs = [a["dir"] for _, a in self.stack if "dir" in a]
            self.texts.append((data.strip(), dirs[-1] if dirs else None))


def page(env, d, path, name):
    url = d.url(path)
    dom = Dom()
    dom.feed(chromium(env, url, "--dump-dom"))
    if env.args.artifacts:
        os.makedirs(env.args.artifacts, exist_ok=True)
        shot = os.path.join(env.args.artifacts, "browser-%s.png" % name)
        if os.path.exists(shot):
            os.unlink(shot)
        chromium(env, url, "--screenshot=" + shot,
                 "--hide-scrollbars")
        check(os.path.getsize(shot) > 1000, "screenshot %s is empty", shot)
        print("screenshot of %s: %s" % (path, shot))
    return dom


def main(env):
    if chromium_path() is None:
        raise harness.TestSkip("chromium is not installed (.ci/run "
                               "installs it: contrib/install-deps --browser)")
    sources = [(k, env.url(PATHS[k])) for k in FEEDS]
    env.write_config(sources, [("rj", {"title": "روسيا واليابان",
                                       "keywords": expect.RJ_KEYWORDS}),
                               ("all", {})])
    d = env.start()
    rj = expect.items(FEEDS, rj=True)
    d.wait_entries("rj", [i.title for i in rj])

    # The HTML view: the Arabic titles, each with its own direction.
    dom = page(env, d, "/feeds/rj.html", "rj")
    texts = dict(dom.texts)
    for i in rj:
        check(i.title in texts, "rj.html: title %r not in the DOM", i.title)
        check(texts[i.title] == "auto", "rj.html: %r has dir %r", i.title,
              texts[i.title])
        check(i.link in dom.links, "rj.html: no link to %s", i.link)
    check(texts.get("روسيا واليابان") == "auto", "rj.html: heading dir %r",
          texts.get("روسيا واليابان"))
    for bad in ("script", "iframe", "img", "object"):
        check(bad not in dom.tags, "rj.html: a <%s> in the DOM", bad)
    for ext in ("atom", "rss", "json"):
        check("rj.%s" % ext in dom.links, "rj.html: no link to rj.%s", ext)

    # The index: outputs with their subscribe links, feeds with status.
    dom = page(env, d, "/", "index")
    texts = dict(dom.texts)
    check(texts.get("روسيا واليابان") == "auto", "index: output title "
          "dir %r", texts.get("روسيا واليابان"))
    check(texts.get("أخبار عربية") == "auto", "index: feed title dir %r",
          texts.get("أخبار عربية"))
    for out in ("rj", "all"):
        for ext in ("html", "atom", "rss", "json"):
            check("feeds/%s.%s" % (out, ext) in dom.links,
                  "index: no link to feeds/%s.%s", out, ext)
    for k in FEEDS:
        check(k in texts, "index: feed %s not shown", k)
    rc, _ = d.stop()
    check(rc == 0, "exit status %d", rc)


harness.run(main)
