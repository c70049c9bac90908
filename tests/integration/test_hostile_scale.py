"""Hostile sources at scale: 1,000 feeds of one host, a tenth of which
misbehave (a body that drips a byte a second, an endless body, garbage, a
redirect loop, 500s). The other nine tenths are all polled on time, again
and again, and a reader is served all along."""

import os
import shutil
import signal
import time

import harness
from harness import check, soft_check

GOOD = 900
BAD = ["drip=1000", "endless=1", "garbage=1", "loop=1", "status=500"]
PER_BAD = 20
INTERVAL = 6            # seconds between two polls of a feed
WINDOW = 20             # seconds in which each good feed must come twice


def counts(env, paths):
    return {p: env.count(p) for p in paths}


def main(env):
    src = os.path.join(env.feeds, "world.rss")
    good = []
    for i in range(GOOD):
        name = "g%03d.rss" % i
        shutil.copy(src, os.path.join(env.feeds, name))
        good.append("/" + name)
    feeds = [("g%03d" % i, env.url(p), "%ds" % INTERVAL)
             for i, p in enumerate(good)]
    for kind in BAD:
        for j in range(PER_BAD):
            feeds.append(("bad-%s-%d" % (kind.split("=")[0], j),
                          env.url("/world.rss?%s&n=%d" % (kind, j)),
                          "%ds" % INTERVAL))
    env.write_config(feeds, [("all", {"max_items": "50"})], poll={
        "concurrency": "48", "per_host": "48", "timeout": "5s",
        "connect_timeout": "2s", "low_speed_limit": "100",
        "low_speed_time": "2s", "max_size": "1M", "max_backoff": "30s",
        "startup_spread": "1s"})

    d = env.start()
    t0 = time.monotonic()
    harness.wait_until("every good feed polled once", lambda: all(
        c >= 1 for c in counts(env, good).values()), 60.0, interval=1.0,
        alive=d)
    print("hostile_scale: all %d good feeds polled within %.1f s"
          % (GOOD, time.monotonic() - t0))
    before = counts(env, good)
    end = time.monotonic() + WINDOW
    slowest = 0.0
    while time.monotonic() < end:
        t = time.monotonic()
        r = d.get("/feeds/all.atom")
        slowest = max(slowest, time.monotonic() - t)
        check(r.status == 200, "GET /feeds/all.atom: %d", r.status)
        time.sleep(1.0)
    after = counts(env, good)
    late = sorted(p for p in good if after[p] - before[p] < 2)
    soft_check(not late, "%d good feeds polled fewer than twice in %d s "
               "(interval %d s): %s", len(late), WINDOW, INTERVAL,
               ", ".join(late[:10]))
    soft_check(slowest < 1.0, "a reader waited %.2f s", slowest)
    polls = sum(after[p] - before[p] for p in good)
    print("hostile_scale: %d polls of good feeds in %d s (%.1f per feed), "
          "slowest reader %.3f s" % (polls, WINDOW, polls / GOOD, slowest))
    # The bad ones did misbehave, and were reported as failing.
    for kind in BAD:
        d.wait_log(r"feed bad-%s-\d+: " % kind.split("=")[0], 10.0)
    check(d.proc.poll() is None, "daemon died")
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


if __name__ == "__main__":
    harness.run(main)
