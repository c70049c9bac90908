"""Logs: on the journal's stream (JOURNAL_STREAM naming stderr) every line
starts with its <N> syslog priority; on any other stream, with the program's
name. A feed that keeps failing the same way is logged once at warning (the
repeats only at debug), and its recovery once."""

import os
import re
import shutil
import signal

import harness
from harness import check

LINE = re.compile(r"^<([0-7])>(.*)$")


def log_path(env):
    """The file the next daemon logs to, made now so that it can be stat'ed."""
    path = os.path.join(env.dir, "feedmux-%d.log" % len(env.daemons))
    open(path, "ab").close()
    return path


def main(env):
    env.write_config([("world", env.url("/world.rss")),
                      ("flaky", env.url("/flaky.rss"), "1s")], [("all", {})])
    st = os.stat(log_path(env))
    d = env.start(verbose=True, environ={
        "JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)})
    harness.wait_until("three polls of the failing feed",
                       lambda: env.count("/flaky.rss") >= 3, 10.0, alive=d)
    # Its file appears: the next poll works.
    shutil.copy(os.path.join(env.feeds, "world.rss"),
                os.path.join(env.feeds, "flaky.rss"))
    d.wait_log(r"feed flaky: works again", 5.0)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d", rc)

    lines = d.log_text().splitlines()
    check(lines, "no log at all")
    prio = {}
    for line in lines:
        m = LINE.match(line)
        check(m, "line without a <N> prefix: %r", line)
        prio.setdefault(m.group(2), int(m.group(1)))
        check("feedmux: " not in line[:12], "name prefix too: %r", line)

    def find(rx):
        return [(p, t) for t, p in prio.items() if re.search(rx, t)]

    check(find(r"^listening on ") and find(r"^listening on ")[0][0] == 5,
          "listening line is not a notice: %r", find(r"^listening"))
    fails = [l for l in lines if re.match(r"<\d>feed flaky: HTTP status 404",
                                          l)]
    warned = [l for l in fails if l.startswith("<4>")]
    check(len(warned) == 1, "the same failure logged %d times at warning:\n%s",
          len(warned), "\n".join(fails))
    check(len(fails) >= 3 and all(l.startswith(("<4>", "<7>")) for l in fails),
          "repeats not at debug:\n%s", "\n".join(fails))
    check(find(r"^feed flaky: works again$")[0][0] == 5,
          "recovery is not a notice")
    check(find(r"^feed world: \d+ items")[0][0] == 6, "a poll is not info")
    check(find(r"^feed flaky: fetching ")[0][0] == 7, "fetching is not debug")

    # JOURNAL_STREAM inherited by a process whose stderr is elsewhere: the
    # plain format.
    env.write_config([("world", env.url("/world.rss"))], [("all", {})])
    d = env.start(environ={"JOURNAL_STREAM": "%d:%d" % (st.st_dev,
                                                        st.st_ino + 1)})
    d.wait_log(r"^feedmux: listening on ", 5.0)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d", rc)
    for line in d.log_text().splitlines():
        check(line.startswith("feedmux: "), "line %r", line)


harness.run(main)
