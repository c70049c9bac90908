"""feedmux status: a line per feed of the config with its health from the
database, a summary, exit 3 while a feed fails; no database, no table (and
none made); readable while the daemon runs."""

import os
import re
import signal

import harness
from harness import check


def main(env):
    good = ("world", env.url("/world.rss"))
    bad = ("gone", env.url("/gone.rss"))
    later = ("later", env.url("/asia.atom"))

    env.write_config([good, bad], [("all", {})])
    rc, out, err = env.feedmux("status", "-c", env.config)
    check(rc == 1, "status without a database: exit %d", rc)
    check(env.database in err and "has feedmux serve or poll run" in err,
          "status without a database: %r", err)
    check(not os.path.exists(env.database), "status made a database")

    rc, out, err = env.feedmux("poll", "-c", env.config)
    check(rc == 0, "poll: exit %d %s", rc, err)
    env.write_config([good, bad, later], [("all", {})])
    rc, out, err = env.feedmux("status", "-c", env.config)
    check(rc == 3, "status with a failing feed: exit %d\n%s%s", rc, out, err)
    lines = out.splitlines()
    check(re.match(r"^FEED +STATE +LAST POLL +NEXT +ITEMS +RESULT$",
                   lines[0]), "header %r", lines[0])
    rows = {l.split()[0]: l for l in lines[1:-1]}
    check(sorted(rows) == ["gone", "later", "world"], "rows %r", lines)
    # feedmux poll records when the daemon should poll next.
    check(re.match(r"^world +ok +\d+s ago +(-|due|in \d+[smhd]) +8 +"
                   r"HTTP 200, 8 new$",
                   rows["world"]), "world: %r", rows["world"])
    check(re.match(r"^gone +failing +\d+s ago +(-|due|in \d+[smhd]) +0 +"
                   r"HTTP status 404$",
                   rows["gone"]), "gone: %r", rows["gone"])
    check(re.match(r"^later +new +never +- +0 +not polled yet$",
                   rows["later"]), "later: %r", rows["later"])
    check(lines[-1] == "3 feeds: 1 ok, 1 failing, 1 not polled yet",
          "summary %r", lines[-1])

    # Beside the running daemon (which keeps the next poll that feedmux
    # poll recorded).
    env.write_config([good], [("all", {})])
    d = env.start()
    rc, out, err = env.feedmux("status", "-c", env.config)
    check(rc == 0, "status with every feed ok: exit %d %s", rc, err)
    check(re.search(r"^world +ok .* in \d+m ", out, re.M),
          "status beside the daemon:\n%s", out)
    check(out.splitlines()[-1] == "1 feed: 1 ok, 0 failing, 0 not polled yet",
          "summary %r", out)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d", rc)


harness.run(main)
