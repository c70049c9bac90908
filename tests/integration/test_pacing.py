"""Pacing: Retry-After holds every feed of the host until it passes; the
per-host limit; overdue feeds spread over startup_spread after a restart;
a proxy from the config or from the environment."""

import os
import re
import shutil
import signal
import time

import expect
import harness
from harness import check, soft_check


def copies(env, names, src="world.rss"):
    for n in names:
        shutil.copy(os.path.join(env.feeds, src), os.path.join(env.feeds, n))


def retry_after(env):
    """A 429 with Retry-After: 3 holds the whole host, the other feed too."""
    copies(env, ["other.rss", "busy.rss"])
    feeds = [("busy", env.url("/busy.rss?status=429&retry_after=3"), "1s"),
             ("other", env.url("/other.rss"), "1s")]
    env.write_config(feeds, [("all", {})], poll={"per_host": "4"})
    d = env.start()
    d.wait_log(r"feed busy: 127\.0\.0\.1 asks for no requests before \S+ "
               r"\(Retry-After\)", 5.0)
    t0 = env.requests("/busy.rss")[0]["time"]
    harness.wait_until("a request after the pause", lambda: any(
        r["time"] > t0 + 2.9 for r in env.requests("/other.rss")), 8.0,
        alive=d)
    # A request already under way when the 429 came is no fault: allow the
    # daemon a second (a loaded CI machine) to take the answer in.
    early = [(p, r["time"] - t0) for p in ("/busy.rss", "/other.rss")
             for r in env.requests(p) if t0 + 1.0 < r["time"] < t0 + 3.0]
    check(not early, "requests during the pause, seconds after the 429: %r",
          early)
    rc, _ = d.stop()
    check(rc == 0, "exit %d", rc)


def per_host(env):
    """per_host = 1: three slow feeds of one host are asked one at a time,
    and a feed of another host (localhost) does not wait for them."""
    copies(env, ["s1.rss", "s2.rss", "s3.rss", "l.rss"])
    feeds = [("s%d" % i, env.url("/s%d.rss?delay=700" % i)) for i in (1, 2, 3)]
    feeds.append(("l", "http://localhost:%d/l.rss?delay=700"
                  % env.server_port))
    env.write_config(feeds, [("all", {})], poll={"per_host": "1"},
                     database=os.path.join(env.dir, "perhost.db"))
    d = env.start()
    harness.wait_until("the three slow feeds", lambda: all(
        env.count("/s%d.rss" % i) for i in (1, 2, 3)), 8.0, alive=d)
    times = sorted(env.requests("/s%d.rss" % i)[0]["time"] for i in (1, 2, 3))
    gaps = [b - a for a, b in zip(times, times[1:])]
    check(all(g >= 0.65 for g in gaps), "per_host 1: requests %r s apart",
          gaps)
    if env.count("/l.rss"):
        lt = env.requests("/l.rss")[0]["time"]
        soft_check(lt < times[1], "localhost waited for 127.0.0.1's slot")
    rc, _ = d.stop()
    check(rc == 0, "exit %d", rc)


def spread(env):
    """After a restart, overdue feeds go over startup_spread, not at once."""
    n = 8
    feeds = [("w%d" % i, env.url("/w.rss?i=%d" % i), "2s") for i in range(n)]
    copies(env, ["w.rss"])
    env.write_config(feeds, [("all", {})],
                     poll={"per_host": "16", "startup_spread": "4s"},
                     database=os.path.join(env.dir, "spread.db"))
    d = env.start()
    harness.wait_until("every feed polled", lambda: len(
        set(r["uri"] for r in env.requests("/w.rss"))) == n, 5.0, alive=d)
    d.stop()
    time.sleep(2.5)     # every feed overdue now
    before = len(env.requests("/w.rss"))
    t1 = time.time()
    d = env.start()
    harness.wait_until("every feed polled again", lambda: len(set(
        r["uri"] for r in env.requests("/w.rss")[before:])) == n, 8.0,
        alive=d)
    first = {}
    for r in env.requests("/w.rss")[before:]:
        first.setdefault(r["uri"], r["time"] - t1)
    offs = sorted(first.values())
    print("after the restart, first polls at %s s"
          % ", ".join("%.1f" % o for o in offs))
    check(offs[-1] - offs[0] >= 1.5 and offs[-1] <= 6.0,
          "overdue feeds not spread over 4 s: %r", offs)
    d.stop()


def proxy(env):
    """The proxy of the config; then http_proxy from the environment, and
    proxy = none that overrides it. The feed's own address is dead: only
    the proxy (the feedserver) can answer."""
    dead = "http://127.0.0.1:%d/world.rss" % harness.free_port()
    n = len(expect.items(["world"]))
    for name, poll, environ, want in (
            ("config", {"proxy": env.url("/")}, None, "ok"),
            ("environ", {}, {"http_proxy": env.url("/")}, "ok"),
            ("none", {"proxy": "none"}, {"http_proxy": env.url("/")},
             "failed")):
        config = env.write_config(
            [("p", dead)], [("all", {})], poll=poll,
            path=os.path.join(env.dir, "proxy-%s.conf" % name),
            database=os.path.join(env.dir, "proxy-%s.db" % name))
        rc, out, err = env.feedmux("poll", "-c", config, environ=environ)
        if want == "ok":
            check(out == "p: ok, %d items, %d new\n" % (n, n),
                  "proxy %s: printed %r\n%s", name, out, err)
        else:
            check(out.startswith("p: failed: "), "proxy %s: printed %r",
                  name, out)
    via = [r for r in env.requests("/world.rss")
           if r["uri"].startswith("http://")]
    check(len(via) == 2, "requests through the proxy: %r", via)


def main(env):
    retry_after(env)
    per_host(env)
    spread(env)
    proxy(env)


harness.run(main)
