"""Restart: SIGTERM ends the daemon in time even with a fetch in flight; a
new daemon on the same database polls again when its feeds are due and
stores no item twice; after
a SIGKILL, what was stored is served even when every source fails."""

import os
import re
import signal

import expect
import harness
from harness import check

FEEDS = ["world", "asia", "ar"]
PATHS = {"world": "/world.rss", "asia": "/asia.atom", "ar": "/ar.rss"}
# Answers 404 after 4 s: a fetch still in flight when the daemon is stopped.
SLOW = "/missing.rss?delay=4000"


def snapshot(d, output):
    return [(e.id, e.title, e.link) for e in d.atom(output).entries]


def wait_polled(env, d, counts):
    """Until the daemon has fetched every feed again and logged the result."""
    for k in FEEDS:
        harness.wait_until("feed %s to be fetched again" % k,
                           lambda: env.count(PATHS[k]) > counts[k], 10.0,
                           alive=d)
        d.wait_log(r"feed %s: " % re.escape(k), 10.0)


def main(env):
    sources = {k: (k, env.url(PATHS[k])) for k in FEEDS}
    # A restart keeps the saved next polls and spreads the overdue ones over
    # startup_spread: short ones here, so that each daemon polls again soon.
    env.write_config([sources[k] + ("3s",) for k in FEEDS] +
                     [("slow", env.url(SLOW), "3s")],
                     [("all", {}), ("rj", {"keywords": expect.RJ_KEYWORDS})],
                     poll={"startup_spread": "1s"})
    every = expect.items(FEEDS)
    d = env.start()
    d.wait_entries("all", [i.title for i in every])
    harness.check_output(d, "all", every, sources)
    harness.check_output(d, "rj", expect.items(FEEDS, rj=True), sources)
    before = {o: snapshot(d, o) for o in ("all", "rj")}
    check(env.count("/missing.rss") == 1, "the slow feed was not asked for")
    rc, took = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)
    print("SIGTERM with a fetch in flight: exit in %.2f s" % took)

    # The same database again: the same entries with the same ids.
    counts = {k: env.count(PATHS[k]) for k in FEEDS}
    d = env.start()
    wait_polled(env, d, counts)
    for o in ("all", "rj"):
        after = snapshot(d, o)
        check(after == before[o], "output %s after restart:\n%r\nbefore:\n%r",
              o, after, before[o])
    harness.check_output(d, "all", every, sources)

    # A third daemon stores a new item and is killed; a fourth, whose every
    # poll fails, still serves it and everything else.
    env.edit_feed("world.rss", "</channel>", expect.NEW_WORLD_XML)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)
    counts = {k: env.count(PATHS[k]) for k in FEEDS}
    d = env.start()
    wait_polled(env, d, counts)
    every = expect.newest_first(every + [expect.NEW_WORLD])
    d.wait_entries("all", [i.title for i in every])
    stored = snapshot(d, "all")
    d.crash()
    for k in FEEDS:
        p = os.path.join(env.feeds, PATHS[k][1:])
        os.rename(p, p + ".off")
    counts = {k: env.count(PATHS[k]) for k in FEEDS}
    d = env.start()
    wait_polled(env, d, counts)
    check(snapshot(d, "all") == stored, "after SIGKILL and failed polls:\n%r"
          "\nwant what was stored:\n%r", snapshot(d, "all"), stored)
    harness.check_output(d, "all", every, sources)
    rc, took = d.stop(signal.SIGINT)
    check(rc == 0, "exit status %d after SIGINT", rc)
    for k in FEEDS:
        p = os.path.join(env.feeds, PATHS[k][1:])
        os.rename(p + ".off", p)

    # A one-shot poll on the same database finds nothing new.
    rc, out, err = env.feedmux("poll", "-c", env.config)
    check(rc == 0, "feedmux poll: exit %d\n%s%s", rc, out, err)
    lines = out.splitlines()
    want = ["%s: ok, %d items, 0 new" % (k, len([i for i in every
                                                 if i.feed == k]))
            for k in FEEDS]
    slow = [l for l in lines if l.startswith("slow: ")]
    check(sorted(l for l in lines if l not in slow) == sorted(want),
          "feedmux poll printed %r, want %r and one line for slow", lines,
          want)
    check(len(slow) == 1 and slow[0].startswith("slow: failed: "),
          "feedmux poll printed %r for the slow feed", slow)


harness.run(main)
