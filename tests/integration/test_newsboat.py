"""newsboat (Debian) subscribes to two Atom outputs as a reader would: a
throwaway config, urls file and cache, `newsboat -x reload`; the cache then
holds every entry with its title, link, author and id, and a third reload
(newsboat 2.21 sends validators from its third run on) is answered 304."""

import os
import re
import shutil
import sqlite3
import subprocess

import expect
import harness
from harness import check

FEEDS = ["world", "asia", "ar"]
PATHS = {"world": "/world.rss", "asia": "/asia.atom", "ar": "/ar.rss"}


def newsboat(env, home, *args):
    # A clean environment: no proxy, no user config, nothing but loopback.
    e = {"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    try:
        p = subprocess.run(
            ["newsboat", "-C", os.path.join(home, "config"), "-u",
             os.path.join(home, "urls"), "-c", os.path.join(home, "cache.db")]
            + list(args), env=e, stdin=subprocess.DEVNULL,
            capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise harness.TestFailure("newsboat %s ran over 60 s" % " ".join(args))
    check(p.returncode == 0, "newsboat %s: status %d: %s", " ".join(args),
          p.returncode, p.stderr.decode("utf-8", "replace"))
    return p.stdout.decode("utf-8", "replace")


def main(env):
    if shutil.which("newsboat") is None:
        raise harness.TestSkip("newsboat is not installed "
                               "(contrib/install-deps installs it)")
    sources = [(k, env.url(PATHS[k])) for k in FEEDS]
    env.write_config(sources, [("rj", {"title": "روسيا واليابان",
                                       "keywords": expect.RJ_KEYWORDS}),
                               ("all", {})])
    d = env.start()
    want = {"rj": expect.items(FEEDS, rj=True), "all": expect.items(FEEDS)}
    for out, items in want.items():
        d.wait_entries(out, [i.title for i in items])

    home = os.path.join(env.dir, "newsboat")
    os.mkdir(home)
    urls = {out: d.url("/feeds/%s.atom" % out) for out in want}
    with open(os.path.join(home, "urls"), "w") as f:
        f.write("".join(u + "\n" for u in urls.values()))
    with open(os.path.join(home, "config"), "w") as f:
        f.write("download-timeout 10\nreload-threads 2\n")

    newsboat(env, home, "-x", "reload")
    # An entry keeps its id in every output: newsboat stores it once.
    every = want["all"]
    out = newsboat(env, home, "-x", "print-unread")
    check(re.match(r"^%d unread articles?$" % len(every), out.strip()),
          "newsboat print-unread: %r, want %d unread", out, len(every))

    ids = {}
    for out in want:
        for e in d.atom(out).entries:
            check(ids.setdefault(e.link, e.id) == e.id, "two ids for %s",
                  e.link)
    db = sqlite3.connect(os.path.join(home, "cache.db"))
    try:
        rows = db.execute("SELECT title, url, author, guid, feedurl"
                          " FROM rss_item").fetchall()
        have = sorted((t, u) for t, u, _, _, _ in rows)
        check(have == sorted((i.title, i.link) for i in every),
              "newsboat: %r", have)
        for title, url, author, guid, feedurl in rows:
            check(author, "newsboat: %r has no author", title)
            check(guid == ids[url], "newsboat: %r has id %r, the outputs "
                  "say %r", title, guid, ids[url])
            check(feedurl in urls.values(), "newsboat: %r from %s", title,
                  feedurl)
        for out in want:
            title, = db.execute("SELECT title FROM rss_feed WHERE rssurl = ?",
                                (urls[out],)).fetchone()
            check(title == (out if out == "all" else "روسيا واليابان"),
                  "newsboat: feed title %r", title)
    finally:
        db.close()

    # A reader that polls again costs a 304, not the whole output.
    newsboat(env, home, "-x", "reload")
    newsboat(env, home, "-x", "reload")
    text = d.get("/metrics").body.decode()
    m = re.search(r'^feedmux_http_requests_total\{route="atom",code="304"\} '
                  r'(\d+)$', text, re.M)
    check(m and int(m.group(1)) >= len(urls),
          "newsboat's third reload: %s 304 answers, want %d",
          m.group(1) if m else "no", len(urls))
    rc, _ = d.stop()
    check(rc == 0, "exit status %d", rc)


harness.run(main)
