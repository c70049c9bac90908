"""Crash safety: the daemon is killed with SIGKILL at random moments of a
heavy ingest, 20 times. After each kill the database passes PRAGMA
integrity_check and foreign_key_check, no story is there twice, and every
entry an output served before the kill is served after the restart.

Feeds change all the time (a writer thread adds items every 100 ms), each
item is a few KB, and a fifth of the stories are carried by two feeds (the
same link with utm_ parameters), so kills land in inserts, story merges,
retention, commits and checkpoints alike. Seeded, so a failure can be run
again with FEEDMUX_CRASH_SEED."""

import os
import random
import re
import sqlite3
import threading
import time

import feeds
import harness
from feeds import Entry
from harness import check

ROUNDS = 20
FEEDS = 12
BUDGET = 100.0       # seconds for all rounds, under the CTest timeout
NOW = int(time.time())
WORDS = ("talks summit minister market rain harbour festival election "
         "economy growth rates football science satellite japan russia "
         "اليابان روسيا القمة محادثات").split()


class Source:
    """The items of all feeds, and the files that list them."""

    def __init__(self, env, rng):
        self.env = env
        self.rng = rng
        self.lock = threading.Lock()
        self.items = {k: [] for k in range(FEEDS)}
        self.n = 0
        for k in range(FEEDS):
            for _ in range(30):
                self.add(k)
            self.write(k)

    def add(self, k):
        self.n += 1
        i = self.n
        shared = i % 5 == 0
        link = ("http://127.0.0.1/shared/%d" % (i // 10) if shared else
                "http://127.0.0.1/story/%d" % i)
        if shared and k % 2:
            link += "?utm_source=feed%d&utm_medium=rss" % k
        text = " ".join(self.rng.choice(WORDS) for _ in range(100))
        self.items[k].append(Entry("f%d-%d" % (k, i),
                                   "Story number %d from feed %d" % (i, k),
                                   link, NOW - 86400 + i, text))

    def write(self, k):
        # The newest 30, as feeds do; older ones stay stored.
        path = os.path.join(self.env.feeds, "f%d.rss" % k)
        self.env.write_file(path, feeds.rss("Feed %d" % k,
                                            self.items[k][-30:][::-1]))

    def churn(self, stop):
        while not stop.wait(0.1):
            with self.lock:
                k = self.rng.randrange(FEEDS)
                for _ in range(3):
                    self.add(k)
                self.write(k)


def served(d):
    """The entries of the output, as {id: link}; checks they are stories."""
    feed = d.atom("all")
    ids = [e.id for e in feed.entries]
    check(len(set(ids)) == len(ids), "duplicate entry ids")
    links = [re.sub(r"\?.*", "", e.link) for e in feed.entries]
    dup = sorted(set(l for l in links if links.count(l) > 1))
    check(not dup, "one story in several entries: %r", dup[:5])
    return {e.id: e.link for e in feed.entries}


def check_db(path):
    db = sqlite3.connect(path, timeout=10)
    try:
        r = db.execute("PRAGMA integrity_check").fetchall()
        check(r == [("ok",)], "integrity_check: %r", r[:5])
        r = db.execute("PRAGMA foreign_key_check").fetchall()
        check(r == [], "foreign_key_check: %r", r[:5])
        r = db.execute("SELECT canon, count(DISTINCT story_id) FROM items"
                       " WHERE canon IS NOT NULL GROUP BY canon"
                       " HAVING count(DISTINCT story_id) > 1").fetchall()
        check(r == [], "stories twice: %r", r[:5])
        r = db.execute("SELECT count(*) FROM items WHERE story_id NOT IN"
                       " (SELECT id FROM stories)").fetchone()[0]
        check(r == 0, "%d items without their story", r)
        r = db.execute("SELECT count(*) FROM stories WHERE id NOT IN"
                       " (SELECT story_id FROM items)").fetchone()[0]
        check(r == 0, "%d empty stories", r)
        return db.execute("SELECT count(*) FROM items").fetchone()[0]
    finally:
        db.close()


def main(env):
    seed = int(os.environ.get("FEEDMUX_CRASH_SEED", random.randrange(1 << 30)))
    print("test_crash: seed %d" % seed)
    rng = random.Random(seed)
    src = Source(env, rng)
    env.write_config([("f%d" % k, env.url("/f%d.rss" % k), "1s")
                      for k in range(FEEDS)],
                     [("all", {"max_items": "10000"}),
                      ("some", {"keywords": "japan, روسيا"})],
                     # Every restart polls every feed at once.
                     poll={"startup_spread": "0"})
    stop = threading.Event()
    writer = threading.Thread(target=src.churn, args=(stop,), daemon=True)
    writer.start()
    t0 = time.monotonic()
    before = {}
    nitems = 0
    try:
        for rnd in range(ROUNDS):
            check(time.monotonic() - t0 < BUDGET, "over %.0f s after %d "
                  "rounds", BUDGET, rnd)
            d = env.start()
            after = served(d)
            lost = sorted(set(before) - set(after))
            check(not lost, "round %d: %d entries served before the kill "
                  "are gone, such as %r", rnd, len(lost),
                  [before[i] for i in lost[:3]])
            time.sleep(rng.uniform(0.1, 0.8))
            before = served(d)
            time.sleep(rng.uniform(0.0, 0.2))
            d.crash()
            n = check_db(env.database)
            check(n >= nitems, "round %d: %d items, were %d", rnd, n,
                  nitems)
            nitems = n
        d = env.start()
        after = served(d)
        lost = sorted(set(before) - set(after))
        check(not lost, "after the last kill: %d entries gone", len(lost))
        rc, _ = d.stop()
        check(rc == 0, "exit status %d", rc)
        print("test_crash: %d kills, %d items stored, %.1f s"
              % (ROUNDS, nitems, time.monotonic() - t0))
    finally:
        stop.set()
        writer.join(5)


harness.run(main)
