"""Bad sources next to good ones: unreachable, 404, 500, garbage, truncated
and slow feeds. Each failure is logged with its feed's name, the good feeds
are served, the daemon lives on; `feedmux poll` reports every feed."""

import os
import re
import signal

import expect
import harness
from harness import check

GOOD = {"good": ("world", "/world.rss"),
        "slow": ("asia", "/asia.atom?delay=1000")}
BAD = {"notfound": "/missing.rss",
       "servererror": "/world.rss?status=500",
       "garbage": "/ar.rss?garbage=1",
       "truncated": "/ar.rss?truncate=300"}


def main(env):
    unreachable = "http://127.0.0.1:%d/world.rss" % harness.free_port()
    feeds = [(name, env.url(path)) for name, (_, path) in GOOD.items()]
    feeds += [(name, env.url(path)) for name, path in BAD.items()]
    feeds.append(("unreachable", unreachable))
    names = [n for n, _ in feeds]
    sources = {k: (name, env.url(path)) for name, (k, path) in GOOD.items()}
    env.write_config(feeds, [("all", {})])

    d = env.start(verbose=True)
    good = expect.items([k for k, _ in GOOD.values()])
    d.wait_entries("all", [i.title for i in good])
    harness.check_output(d, "all", good, sources)
    for name in list(BAD) + ["unreachable"]:
        d.wait_log(r"feed %s: " % re.escape(name), 10.0)
    check(d.proc.poll() is None, "daemon died")
    r = d.get("/")
    check(r.status == 200, "GET /: %d", r.status)
    page = r.body.decode("utf-8", "replace")
    for name in names:
        check(name in page, "GET / does not name feed %s", name)
    # The last fetch result of each feed, as far as a status code shows it.
    for code in ("404", "500"):
        check(code in page, "GET / does not show a fetch that got %s", code)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)

    # feedmux poll on a database of its own, named relative to the config
    # and run from elsewhere: one line per feed, exit 0.
    config = env.write_config(feeds, [("all", {})],
                              path=os.path.join(env.dir, "poll.conf"),
                              database="poll.db")
    elsewhere = os.path.join(env.dir, "elsewhere")
    os.mkdir(elsewhere)
    for run, new in ((1, True), (2, False)):
        rc, out, err = env.feedmux("poll", "-c", config, cwd=elsewhere)
        check(rc == 0, "feedmux poll #%d: exit %d\n%s%s", run, rc, out, err)
        lines = out.splitlines()
        check(sorted(l.split(":")[0] for l in lines) == sorted(names),
              "feedmux poll #%d printed %r: want one line per feed", run,
              lines)
        for name, (k, _) in GOOD.items():
            n = len(expect.items([k]))
            want = "%s: ok, %d items, %d new" % (name, n, n if new else 0)
            check(want in lines, "feedmux poll #%d printed %r, want %r",
                  run, lines, want)
        for name in list(BAD) + ["unreachable"]:
            check(any(re.match(r"%s: failed: \S" % re.escape(name), l)
                      for l in lines),
                  "feedmux poll #%d printed %r, want '%s: failed: ...'",
                  run, lines, name)

    check(os.path.exists(os.path.join(env.dir, "poll.db")) and
          not os.path.exists(os.path.join(elsewhere, "poll.db")),
          "database = poll.db is not beside its config file")

    # Exit 1 only when the config or the database cannot be opened.
    rc, out, err = env.feedmux("poll", "-c", os.path.join(env.dir, "none.conf"))
    check(rc == 1, "feedmux poll of a missing config: exit %d", rc)
    config = env.write_config(feeds[:1], [("all", {})],
                              path=os.path.join(env.dir, "nodb.conf"),
                              database=os.path.join(env.dir, "no", "such",
                                                    "dir", "x.db"))
    rc, out, err = env.feedmux("poll", "-c", config)
    check(rc == 1, "feedmux poll with a database that cannot be opened: "
          "exit %d\n%s%s", rc, out, err)


harness.run(main)
