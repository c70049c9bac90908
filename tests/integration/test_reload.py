"""Reload: SIGHUP applies a new config (feeds and outputs added and removed)
and keeps the running one when the new one is invalid."""

import signal

import expect
import harness
from harness import check

PATHS = {"world": "/world.rss", "asia": "/asia.atom", "extra": "/extra.rss"}
RJ = {"keywords": expect.RJ_KEYWORDS}
JAPAN = {"keywords": "japan"}


def japan_items(feeds):
    return expect.items(feeds, keywords=["japan"])


def main(env):
    # extra.rss has no title of its own: outputs name it "extra-news".
    sources = {"world": ("world", env.url(PATHS["world"])),
               "asia": ("asia", env.url(PATHS["asia"])),
               "extra": ("extra-news", env.url(PATHS["extra"]))}

    def config(feeds, outputs):
        env.write_config([sources[k] for k in feeds], outputs)

    config(["world", "asia"], [("all", {}), ("rj", RJ)])
    d = env.start()
    feeds = ["world", "asia"]
    d.wait_entries("all", [i.title for i in expect.items(feeds)])
    harness.check_output(d, "all", expect.items(feeds), sources)
    harness.check_output(d, "rj", expect.items(feeds, rj=True), sources)
    check(d.get("/feeds/japan.atom").status == 404, "japan exists too soon")
    check(env.count("/extra.rss") == 0, "extra.rss fetched before its time")

    # A feed and an output added: the feed is polled at once, the new
    # output filters what is already stored as well.
    config(["world", "asia", "extra"], [("all", {}), ("rj", RJ),
                                        ("japan", JAPAN)])
    d.send_signal(signal.SIGHUP)
    feeds = ["world", "asia", "extra"]
    d.wait_entries("all", [i.title for i in expect.items(feeds)])
    harness.check_output(d, "all", expect.items(feeds), sources)
    harness.check_output(d, "rj", expect.items(feeds, rj=True), sources)
    harness.wait_until("output japan to appear",
                       lambda: d.get("/feeds/japan.atom").status == 200,
                       5.0, alive=d)
    harness.check_output(d, "japan", japan_items(feeds), sources)

    # A feed and an output removed: the feed's items leave every output.
    config(["world", "extra"], [("all", {}), ("japan", JAPAN)])
    d.send_signal(signal.SIGHUP)
    feeds = ["world", "extra"]
    d.wait_entries("all", [i.title for i in expect.items(feeds)])
    harness.check_output(d, "all", expect.items(feeds), sources)
    harness.check_output(d, "japan", japan_items(feeds), sources)
    harness.wait_until("output rj to go (404)",
                       lambda: d.get("/feeds/rj.atom").status == 404,
                       5.0, alive=d)

    # An output's filter changed: what it holds is filtered again.
    config(["world", "extra"], [("all", {}), ("japan", {"keywords": "russia",
                                                        "max_items": "1"})])
    d.send_signal(signal.SIGHUP)
    want = expect.items(feeds, keywords=["russia"])[:1]
    d.wait_entries("japan", [i.title for i in want])
    harness.check_output(d, "japan", want, sources)
    config(["world", "extra"], [("all", {}), ("japan", JAPAN)])
    d.send_signal(signal.SIGHUP)
    d.wait_entries("japan", [i.title for i in japan_items(feeds)])

    # An invalid config: logged with FILE:LINE, the running one kept.
    good = open(env.config, encoding="utf-8").read()
    env.write_file(env.config, "\n".join([
        "# an invalid configuration: line 3 is neither section nor key",
        "[server]",
        "this line is not a key and value",
        "listen = 127.0.0.1:%d" % env.listen_port,
        "database = %s" % env.database,
        "",
        "[feed world]",
        "url = %s" % sources["world"][1],
        ""]))
    offset = len(d.log_text())
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"feedmux\.conf:3: ", 5.0, start=offset)
    check(d.proc.poll() is None, "daemon died on an invalid config")
    check(d.get("/").status == 200, "GET / after an invalid config")
    harness.check_output(d, "all", expect.items(feeds), sources)
    harness.check_output(d, "japan", japan_items(feeds), sources)

    # A valid config after the invalid one still applies; the removed feed
    # comes back with the items stored before.
    env.write_file(env.config, good)
    config(["world", "asia", "extra"], [("all", {})])
    d.send_signal(signal.SIGHUP)
    feeds = ["world", "asia", "extra"]
    d.wait_entries("all", [i.title for i in expect.items(feeds)])
    harness.check_output(d, "all", expect.items(feeds), sources)
    harness.wait_until("output japan to go (404)",
                       lambda: d.get("/feeds/japan.atom").status == 404,
                       5.0, alive=d)

    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


harness.run(main)
