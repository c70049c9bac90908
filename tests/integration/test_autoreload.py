"""Reload on its own: editing the config file or a file of its conf.d
(include = conf.d/*.conf) is applied without a signal. A feed added and one
removed, an output's keywords changed, then a broken file that must leave
the running config in place; reload_on_change = no turns it off."""

import os
import re
import signal
import time

import expect
import harness
from harness import check

PATHS = {"world": "/world.rss", "asia": "/asia.atom", "extra": "/extra.rss"}


def main(env):
    sources = {"world": ("world", env.url(PATHS["world"])),
               "asia": ("asia", env.url(PATHS["asia"])),
               "extra": ("extra-news", env.url(PATHS["extra"]))}
    confd = os.path.join(env.dir, "conf.d")

    def feed_text(key):
        name, url = sources[key]
        return "[feed %s]\nurl = %s\ninterval = 1h\n" % (name, url)

    def write_main(feeds, rj_keywords, server_extra=""):
        text = ("[server]\nlisten = 127.0.0.1:%d\ndatabase = %s\n%s\n"
                "[output all]\n\n[output rj]\nkeywords = %s\n\n"
                % (env.listen_port, env.database, server_extra, rj_keywords))
        text += "\n".join(feed_text(k) for k in feeds)
        # The drop-ins, relative to this file.
        text += "\ninclude = conf.d/*.conf\n"
        env.write_file(env.config, text)

    def reloads(d):
        return len(re.findall(r"configuration changed: reloading",
                              d.log_text()))

    write_main(["world", "asia"], expect.RJ_KEYWORDS)
    d = env.start()
    feeds = ["world", "asia"]
    d.wait_entries("all", [i.title for i in expect.items(feeds)])
    check(reloads(d) == 0, "reloaded before any change")

    # conf.d appears, then a drop-in with a new feed: polled at once.
    os.mkdir(confd)
    d.wait_log(r"configuration reloaded", 5.0)
    offset = len(d.log_text())
    env.write_file(os.path.join(confd, "extra.conf"), feed_text("extra"))
    d.wait_log(r"configuration changed: reloading", 5.0, start=offset)
    feeds = ["world", "asia", "extra"]
    d.wait_entries("all", [i.title for i in expect.items(feeds)])
    harness.check_output(d, "all", expect.items(feeds), sources)
    check(env.count(PATHS["extra"]) == 1, "extra.rss fetched %d times",
          env.count(PATHS["extra"]))

    # The main file edited: a feed removed, an output's keywords changed.
    write_main(["world"], "japan")
    feeds = ["world", "extra"]
    d.wait_entries("all", [i.title for i in expect.items(feeds)])
    want = expect.items(feeds, keywords=["japan"])
    d.wait_entries("rj", [i.title for i in want])
    harness.check_output(d, "rj", want, sources)
    asia_polls = env.count(PATHS["asia"])

    # A broken drop-in: logged with FILE:LINE, shown on GET /, and the
    # running config stays.
    offset = len(d.log_text())
    bad = os.path.join(confd, "bad.conf")
    env.write_file(bad, "# broken\n[feed bad]\nurl = ftp://127.0.0.1/x\n")
    d.wait_log(r"%s:3: url: scheme \"ftp\"" % re.escape(bad), 5.0,
               start=offset)
    check("reload failed" in d.log_text()[offset:], "no 'reload failed'")
    page = d.get("/").body.decode("utf-8")
    check("%s:3: " % bad in page, "GET / does not show the error")
    harness.check_output(d, "rj", want, sources)
    harness.check_output(d, "all", expect.items(feeds), sources)

    # Removing it is a change too, and the reload then works.
    offset = len(d.log_text())
    os.unlink(bad)
    d.wait_log(r"configuration reloaded", 5.0, start=offset)
    check("%s:3: " % bad not in d.get("/").body.decode("utf-8"),
          "GET / still shows the old error")

    # reload_on_change = no: edits wait for SIGHUP.
    offset = len(d.log_text())
    write_main(["world"], "japan", "reload_on_change = no\n")
    d.wait_log(r"configuration reloaded", 5.0, start=offset)
    offset = len(d.log_text())
    write_main(["world", "asia"], "japan", "reload_on_change = no\n")
    time.sleep(1.5)
    check("reloading" not in d.log_text()[offset:],
          "reloaded with reload_on_change = no:\n%s", d.log_text()[offset:])
    check(env.count(PATHS["asia"]) == asia_polls, "asia polled again")
    d.send_signal(signal.SIGHUP)
    feeds = ["world", "asia", "extra"]
    d.wait_entries("all", [i.title for i in expect.items(feeds)])

    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


harness.run(main)
