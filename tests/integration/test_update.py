"""Updates: a feed with a short interval is polled again and again; a new
item appears, an item whose content changed (same guid) is updated in place,
keeps its id and is filtered again; once removed, the feed is polled no
more."""

import copy
import signal
import time

import expect
import harness
from harness import check

OLD = """<title>Central bank raises rates</title>"""
OLD_TEXT = """Russia's central bank raised its key rate by two points."""
NEW = """<title>Central bank holds rates</title>"""
NEW_TEXT = """The key rate stays where it was."""


def main(env):
    url = env.url("/world.rss")
    sources = {"world": ("world", url)}
    env.write_config([("world", url, "1s")],
                     [("all", {}), ("rj", {"keywords": expect.RJ_KEYWORDS})])
    d = env.start()
    every = expect.items(["world"])
    d.wait_entries("all", [i.title for i in every])
    harness.check_output(d, "all", every, sources)
    harness.check_output(d, "rj", expect.items(["world"], rj=True), sources)
    ids = {e.link: e.id for e in d.atom("all").entries}
    n = env.count("/world.rss")
    harness.wait_until("a second poll within the 1 s interval",
                       lambda: env.count("/world.rss") >= n + 1, 5.0, alive=d)

    env.edit_feed("world.rss", "</channel>", expect.NEW_WORLD_XML)
    env.edit_feed("world.rss", OLD, NEW)
    env.edit_feed("world.rss", OLD_TEXT, NEW_TEXT)
    changed = [i for i in every if i.link == "http://127.0.0.1/world/2"][0]
    every.remove(changed)
    changed = copy.copy(changed)
    changed.title = "Central bank holds rates"
    changed.hits = set()
    changed.rj = False
    every = expect.newest_first(every + [changed, expect.NEW_WORLD])
    d.wait_entries("all", [i.title for i in every], timeout=10.0)
    harness.check_output(d, "all", every, sources)
    harness.check_output(d, "rj", [i for i in every if i.rj], sources)
    for e in d.atom("all").entries:
        if e.link in ids:
            check(e.id == ids[e.link], "entry %r: id %r became %r", e.title,
                  ids[e.link], e.id)

    n = env.count("/world.rss")
    harness.wait_until("polls to go on every second",
                       lambda: env.count("/world.rss") >= n + 2, 6.0, alive=d)
    harness.check_output(d, "all", every, sources)

    # A feed removed on reload is polled no more.
    sources["extra"] = ("extra", env.url("/extra.rss"))
    env.write_config([sources["extra"]], [("all", {})])
    d.send_signal(signal.SIGHUP)
    d.wait_entries("all", [i.title for i in expect.items(["extra"])])
    n = env.count("/world.rss")
    time.sleep(2.5)
    check(env.count("/world.rss") == n, "a removed feed was polled %d times "
          "in 2.5 s", env.count("/world.rss") - n)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


harness.run(main)
