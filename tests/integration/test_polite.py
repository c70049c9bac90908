"""Polling that is polite and never stuck, against a feedserver that
misbehaves on purpose: conditional requests answered 304 (nothing parsed
again), gzip/deflate/br/zstd bodies, a body that drips, an endless body, a
redirect loop, redirects to file: and ftp:, a 301 whose new URL is kept
across a restart until the config's URL changes, a 410 that stops polling,
500 five times (backoff grows, then resets), the User-Agent with its
contact; then `feedmux poll`: a second run all conditional, 410 and
Retry-After of earlier runs honoured."""

import os
import re
import shutil
import signal
import time

import expect
import harness
from harness import check, soft_check

CONTACT = "https://example-org.localhost/feedmux-test"
MAX_SIZE = 1024 * 1024
# interval, then the path; every feed on the one feedserver.
FEEDS = {
    "cond": ("1s", "/world.rss?validators=1"),
    "lastmod": ("1s", "/asia.atom?validators=lastmod"),
    "gz": ("1h", "/ar.rss?encoding=gzip"),
    "br": ("1h", "/extra.rss?encoding=br"),
    "zstd": ("1h", "/z.rss?encoding=zstd"),
    "deflate": ("1h", "/d.rss?encoding=deflate"),
    "drip": ("1h", "/world.rss?drip=1000"),
    "endless": ("1h", "/endless.rss?endless=1"),
    "loop": ("1h", "/loop.rss?loop=1"),
    "tofile": ("1h", "/tofile.rss?redirect=302&to=file:///etc/passwd"),
    "toftp": ("1h", "/toftp.rss?redirect=301&to=ftp://127.0.0.1/x.rss"),
    "gone": ("1s", "/gone.rss?status=410"),
    "moved": ("1s", "/moved.rss?redirect=301&to=/new.rss"),
    "flaky": ("1s", "/flaky.rss?fail=5"),
}
POLL = {"concurrency": "16", "per_host": "16", "max_backoff": "3s",
        "timeout": "4s", "low_speed_limit": "100", "low_speed_time": "2s",
        "max_size": "1M", "contact": CONTACT, "startup_spread": "1s"}


def uris(env, path, part):
    return [r for r in env.requests(path) if part in r["uri"]]


def hdr(req, name):
    for k, v in req["headers"].items():
        if k.lower() == name.lower():
            return v
    return None


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def check_conditional(env, d):
    """cond: ETag and Last-Modified sent back; lastmod: Last-Modified only.
    A 304 parses nothing: one 'items' line per feed, then 'not modified'."""
    harness.wait_until("three polls of cond and lastmod", lambda:
                       len(uris(env, "/world.rss", "validators")) >= 3 and
                       len(env.requests("/asia.atom")) >= 3, 10.0, alive=d)
    for name, path, part in (("cond", "/world.rss", "validators"),
                             ("lastmod", "/asia.atom", "validators")):
        reqs = uris(env, path, part)
        soft_check(hdr(reqs[0], "If-None-Match") is None and
                   hdr(reqs[0], "If-Modified-Since") is None,
                   "%s: first request conditional: %r", name, reqs[0])
        for r in reqs[1:]:
            if name == "cond":
                soft_check(hdr(r, "If-None-Match") and
                           hdr(r, "If-Modified-Since"),
                           "cond: request without both validators: %r", r)
            else:
                soft_check(hdr(r, "If-None-Match") is None and
                           hdr(r, "If-Modified-Since"),
                           "lastmod: want If-Modified-Since alone: %r", r)
        log = d.log_text()
        parsed = re.findall(r"feed %s: \d+ items" % name, log)
        notmod = re.findall(r"feed %s: not modified" % name, log)
        soft_check(len(parsed) == 1 and len(notmod) >= 2,
                   "%s: parsed %d times, %d times not modified; want once"
                   " and at least twice", name, len(parsed), len(notmod))


def check_encodings(env, d):
    want = expect.items(["ar", "extra"])
    harness.wait_until("the compressed feeds' items", lambda: set(
        i.title for i in want) <= set(d.atom("all").titles()), 10.0,
        alive=d)
    for name in ("gz", "br", "zstd", "deflate"):
        path = FEEDS[name][1].split("?")[0]
        reqs = env.requests(path)
        check(reqs, "%s: never asked for", name)
        ae = [c.strip() for c in (hdr(reqs[0], "Accept-Encoding") or
                                  "").split(",")]
        for coding in ("gzip", "deflate", "br", "zstd"):
            soft_check(coding in ae, "%s: Accept-Encoding %r lacks %s",
                       name, ae, coding)
        soft_check(re.search(r"feed %s: \d+ items, \d+ new" % name,
                             d.log_text()),
                   "%s: the %s body was not read", name, name)


def check_limits(env, d):
    t0 = time.monotonic()
    d.wait_log(r"feed drip: too slow", 10.0)
    took = time.monotonic() - t0
    d.wait_log(r"feed endless: body larger than %d bytes" % MAX_SIZE, 10.0)
    d.wait_log(r"feed loop: more than 5 redirects", 10.0)
    d.wait_log(r"feed tofile: redirect to file:///etc/passwd refused", 10.0)
    d.wait_log(r"feed toftp: redirect to ftp://127\.0\.0\.1/x\.rss refused",
               10.0)
    soft_check(env.count("/loop.rss") == 6,
               "loop: %d requests, want 6 (5 redirects followed)",
               env.count("/loop.rss"))
    # The cap holds memory down whatever the body: 1 GB would be sent.
    hwm = vm_hwm_kb(d.proc.pid)
    soft_check(hwm < 200 * 1024, "daemon's peak RSS %d kB after an endless"
               " body", hwm)
    print("drip cut after %.1f s more; peak RSS %d kB" % (took, hwm))
    # Slow sources never slow the server.
    t = time.monotonic()
    check(d.get("/").status == 200, "GET / failed")
    soft_check(time.monotonic() - t < 1.0, "GET / took %.2f s",
               time.monotonic() - t)


def check_backoff(env, d):
    """flaky answers 500 five times: the gaps grow (1s interval doubled,
    up to max_backoff 3s), then a success brings the interval back."""
    harness.wait_until("flaky to succeed and be polled again", lambda:
                       len(env.requests("/flaky.rss")) >= 7, 25.0, alive=d)
    times = [r["time"] for r in env.requests("/flaky.rss")]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # Due times are whole seconds: a gap of d seconds is in (d-1, d].
    want = [1, 2, 3, 3, 3, 1]
    print("flaky: gaps %s" % ", ".join("%.2f" % g for g in gaps))
    # Never early; late by a loaded machine's margin, but a reset (last
    # gap) must stay well apart from max_backoff.
    for i, (g, w) in enumerate(zip(gaps, want)):
        soft_check(w - 1 - 0.1 < g <= w + (1.5 if i < 5 else 1.0),
                   "flaky: gap %d is %.2f s, want about %d s (gaps %r)",
                   i + 1, g, w, gaps)
    soft_check(re.search(r"feed flaky: HTTP status 500 \(5 failures in a row",
                         d.log_text()), "flaky: 5th failure not logged")


def check_gone_and_moved(env, d, config):
    d.wait_log(r"feed gone: \S+ is gone \(HTTP 410\): no more polls until "
               r"its url at %s:\d+ changes" % re.escape(config), 10.0)
    d.wait_log(r"feed moved: \S+/moved\.rss\S* moved permanently to "
               r"http://127\.0\.0\.1:%d/new\.rss; polling the new URL from now"
               r" on \(change url at %s:\d+ to it\)"
               % (env.server_port, re.escape(config)), 10.0)
    n = env.count("/new.rss")
    harness.wait_until("moved to be polled at its new URL", lambda:
                       env.count("/new.rss") >= n + 2, 10.0, alive=d)
    check(env.count("/moved.rss") == 1, "moved: old URL asked %d times",
          env.count("/moved.rss"))
    check(env.count("/gone.rss") == 1, "gone: asked %d times",
          env.count("/gone.rss"))
    page = d.get("/").body.decode("utf-8", "replace")
    soft_check("gone (HTTP 410)" in page, "GET / does not say gone")


def check_user_agent(env, version):
    ua = hdr(env.requests("/ar.rss")[0], "User-Agent")
    soft_check(ua == "feedmux/%s (+%s)" % (version, CONTACT),
               "User-Agent %r", ua)


def serve(env):
    shutil.copy(os.path.join(env.feeds, "extra.rss"),
                os.path.join(env.feeds, "new.rss"))
    for name in ("z.rss", "d.rss", "flaky.rss"):
        shutil.copy(os.path.join(env.feeds, "asia.atom"),
                    os.path.join(env.feeds, name))
    feeds = [(n, env.url(p), i) for n, (i, p) in FEEDS.items()]
    config = env.write_config(feeds, [("all", {})], poll=POLL)
    rc, out, _ = env.feedmux("version")
    version = out.split()[-1]
    # A failure repeated the same way is logged at debug only: -v shows it.
    d = env.start(verbose=True)
    check_conditional(env, d)
    check_encodings(env, d)
    check_limits(env, d)
    check_gone_and_moved(env, d, config)
    check_user_agent(env, version)
    check_backoff(env, d)
    check(d.proc.poll() is None, "daemon died")
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit %d after SIGTERM", rc)

    # Restart: saved next polls are kept (an hourly feed is not asked
    # again), the 301's URL and the 410 too.
    counts = {p: env.count(p) for p in ("/ar.rss", "/moved.rss", "/new.rss",
                                        "/gone.rss")}
    d = env.start()
    d.wait_log(r"feed gone: gone \(HTTP 410\), not polled until its url", 5)
    harness.wait_until("moved at its new URL after the restart", lambda:
                       env.count("/new.rss") > counts["/new.rss"], 10.0,
                       alive=d)
    time.sleep(1.5)
    for p in ("/ar.rss", "/moved.rss", "/gone.rss"):
        check(env.count(p) == counts[p], "%s asked again after the restart",
              p)

    # A new URL in the config forgets the redirect and the 410.
    FEEDS["gone"] = ("1s", "/gone.rss?status=410&again=1")
    FEEDS["moved"] = ("1s", "/moved.rss?redirect=302&to=/new.rss")
    feeds = [(n, env.url(p), i) for n, (i, p) in FEEDS.items()]
    env.write_config(feeds, [("all", {})], poll=POLL)
    d.send_signal(signal.SIGHUP)
    harness.wait_until("the changed URLs to be polled", lambda:
                       env.count("/gone.rss") == counts["/gone.rss"] + 1 and
                       env.count("/moved.rss") >= counts["/moved.rss"] + 2,
                       10.0, alive=d)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit %d after SIGTERM", rc)


def poll(env):
    """`feedmux poll` twice: the second run is all conditional; 410 and
    Retry-After kept from the first are honoured, and said."""
    feeds = [("e", env.url("/world.rss?validators=etag")),
             ("l", env.url("/asia.atom?validators=lastmod")),
             ("g", env.url("/g2.rss?status=410"))]
    config = env.write_config(feeds, [("all", {})],
                              path=os.path.join(env.dir, "poll.conf"),
                              database=os.path.join(env.dir, "poll.db"))
    rc, out, err = env.feedmux("poll", "-c", config)
    check(rc == 0, "poll #1: exit %d\n%s%s", rc, out, err)
    lines = sorted(out.splitlines())
    check(re.match(r"e: ok, \d+ items, \d+ new$", lines[0]) and
          lines[1].startswith("g: failed: gone (HTTP 410)") and
          re.match(r"l: ok, \d+ items, \d+ new$", lines[2]),
          "poll #1 printed %r", lines)
    rc, out, err = env.feedmux("poll", "-c", config)
    lines = sorted(out.splitlines())
    check(rc == 0 and lines[0] == "e: ok, not modified" and
          re.match(r"g: skipped: gone \(HTTP 410 at \S+\); change its url "
                   r"at %s:\d+ to poll it again$" % re.escape(config),
                   lines[1]) and
          lines[2] == "l: ok, not modified",
          "poll #2 printed %r (exit %d)\n%s", lines, rc, err)
    check(env.count("/g2.rss") == 1, "poll asked a gone feed again")
    e = [r for r in env.requests("/world.rss") if "etag" in r["uri"]]
    check(len(e) == 2 and hdr(e[1], "If-None-Match"),
          "poll #2 was not conditional: %r", e)

    # A host that asked for a pause is left alone, with the reason.
    feeds = [("busy", env.url("/busy.rss?status=429&retry_after=60"))]
    config = env.write_config(feeds, [("all", {})],
                              path=os.path.join(env.dir, "busy.conf"),
                              database=os.path.join(env.dir, "busy.db"))
    rc, out, err = env.feedmux("poll", "-c", config)
    check(rc == 0 and out == "busy: failed: HTTP status 429\n",
          "busy poll #1 printed %r (exit %d)\n%s", out, rc, err)
    rc, out, err = env.feedmux("poll", "-c", config)
    check(rc == 0 and re.match(r"busy: skipped: 127\.0\.0\.1 asked for no "
                               r"requests before \S+ \(Retry-After\)\n$",
                               out),
          "busy poll #2 printed %r (exit %d)\n%s", out, rc, err)
    check(env.count("/busy.rss") == 1, "a held host was asked again")


def main(env):
    serve(env)
    poll(env)


harness.run(main)
