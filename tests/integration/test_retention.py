"""Retention: a feed kept for 3 seconds loses its items to pruning, and they
do not come back while the feed goes on listing them (tombstones), dated or
not; a new item still comes. A feed kept to 5 items keeps its 5 newest."""

import os
import sqlite3
import time

import feeds
import harness
from feeds import Entry
from harness import check

NOW = int(time.time())

OLD = [Entry("r-1", "An item dated a year ago", "http://127.0.0.1/r/1",
             NOW - 365 * 86400),
       Entry("r-2", "An item dated an hour ago", "http://127.0.0.1/r/2",
             NOW - 3600),
       # Undated items sort by when feedmux first stored them: without a
       # tombstone each poll would bring them back as new.
       Entry("r-3", "An item without a date", "http://127.0.0.1/r/3"),
       Entry("r-4", "Another item without a date", None)]
NEW = Entry("r-5", "A new item after the pruning", "http://127.0.0.1/r/5")
COUNTED = [Entry("n-%d" % i, "Counted entry number %d" % i,
                 "http://127.0.0.1/n/%d" % i, NOW - 1000 * i)
           for i in range(1, 9)]


def titles(d, output):
    return sorted(d.atom(output).titles())


def main(env):
    env.write_file(os.path.join(env.feeds, "r.rss"), feeds.rss("R", OLD))
    env.write_file(os.path.join(env.feeds, "n.rss"),
                   feeds.rss("N", COUNTED))
    path = env.write_config(
        [("r", env.url("/r.rss"), "1s"), ("n", env.url("/n.rss"), "1s")],
        [("r", {"keywords": "item"}), ("n", {"keywords": "counted"})],
        poll={"keep_age": "0"})
    # keep_age and keep_items per feed: added to the feeds' sections.
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = text.replace("[feed n]\n", "[feed n]\nkeep_items = 5\n")
    text = text.replace("[feed r]\n", "[feed r]\nkeep_age = 3s\n")
    env.write_file(path, text)

    d = env.start()
    d.wait_entries("r", [e.title for e in OLD])
    # Pruned within the 3 s and the pass that follows.
    d.wait_entries("r", [], timeout=10.0)
    d.wait_log(r"retention: \d+ items pruned")
    n = env.count("/r.rss")
    harness.wait_until("three more polls of r",
                       lambda: env.count("/r.rss") >= n + 3, 6.0, alive=d)
    check(titles(d, "r") == [], "pruned items came back: %r",
          titles(d, "r"))

    # The 5 newest of n, and no more, whatever n lists.
    want = [e.title for e in COUNTED[:5]]
    d.wait_entries("n", want)
    n = env.count("/n.rss")
    harness.wait_until("two more polls of n",
                       lambda: env.count("/n.rss") >= n + 2, 6.0, alive=d)
    check(titles(d, "n") == sorted(want), "n: %r", titles(d, "n"))

    db = sqlite3.connect("file:%s?mode=ro" % env.database, uri=True,
                         timeout=5)
    try:
        tomb = dict(db.execute(
            "SELECT f.name, count(*) FROM tombstones t JOIN feeds f"
            " ON f.id = t.feed_id GROUP BY f.name").fetchall())
        items = dict(db.execute(
            "SELECT f.name, count(i.id) FROM feeds f LEFT JOIN items i"
            " ON i.feed_id = f.id GROUP BY f.name").fetchall())
    finally:
        db.close()
    check(tomb == {"r": 4, "n": 3}, "tombstones %r", tomb)
    check(items.get("r") == 0 and items.get("n") == 5, "items %r", items)

    # A new item is not a pruned one.
    env.write_file(os.path.join(env.feeds, "r.rss"),
                   feeds.rss("R", OLD + [NEW]))
    d.wait_entries("r", [NEW.title], timeout=5.0)
    d.wait_entries("r", [], timeout=10.0)


harness.run(main)
