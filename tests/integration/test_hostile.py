"""Hostile feeds: an external entity naming a local file, an external DTD
on the feed server, and an entity bomb. The daemon reads neither file nor
DTD, survives the bomb in bounded time, and serves its good feed."""

import os
import signal

import expect
import harness
from harness import check

SECRET = "SECRET-c0ffee-7f3a"

XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [
<!ENTITY secret SYSTEM "file://{secret}">
<!ENTITY % remote SYSTEM "{dtd}">
%remote;
]>
<rss version="2.0"><channel><title>XXE probe</title>
<link>http://127.0.0.1/xxe/</link><description>d</description>
<item><title>xxeprobe &secret;</title><link>http://127.0.0.1/xxe/1</link>
<guid isPermaLink="false">xxe-1</guid><category>Probe</category>
<author>x@127.0.0.1 (Probe)</author>
<description>xxeprobe body &secret;</description></item>
</channel></rss>
"""

DTD_ONLY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss SYSTEM "{dtd}">
<rss version="2.0"><channel><title>DTD probe</title>
<link>http://127.0.0.1/dtd/</link><description>d</description>
<item><title>dtdprobe &ext;</title><link>http://127.0.0.1/dtd/1</link>
<guid isPermaLink="false">dtd-1</guid><category>Probe</category>
<description>dtdprobe</description></item>
</channel></rss>
"""

EVIL_DTD = """<!ENTITY ext "%s">
<!ENTITY %% leak SYSTEM "file://{secret}">
""" % SECRET


def bomb():
    ents = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    for n in range(1, 12):
        ents.append('<!ENTITY lol%d "%s">' % (n, ("&lol%d;" % (n - 1)) * 10))
    return ("""<?xml version="1.0"?>
<!DOCTYPE rss [
%s
]>
<rss version="2.0"><channel><title>Bomb</title><link>http://127.0.0.1/b/</link>
<description>d</description>
<item><title>bombprobe &lol11;</title><link>http://127.0.0.1/b/1</link>
<description>bombprobe</description></item>
</channel></rss>
""" % "\n".join(ents))


def main(env):
    secret = os.path.join(env.dir, "secret.txt")
    env.write_file(secret, SECRET + "\n")
    dtd = env.url("/evil.dtd")
    env.write_file(os.path.join(env.feeds, "evil.dtd"),
                   EVIL_DTD.format(secret=secret))
    env.write_file(os.path.join(env.feeds, "xxe.rss"),
                   XXE.format(secret=secret, dtd=dtd))
    env.write_file(os.path.join(env.feeds, "dtd.rss"), DTD_ONLY.format(dtd=dtd))
    env.write_file(os.path.join(env.feeds, "bomb.rss"), bomb())
    sources = {"world": ("world", env.url("/world.rss"))}
    feeds = [sources["world"], ("xxe", env.url("/xxe.rss")),
             ("dtd", env.url("/dtd.rss")), ("bomb", env.url("/bomb.rss"))]
    env.write_config(feeds, [
        ("good", {"exclude": "xxeprobe, dtdprobe, bombprobe"}),
        ("all", {})])

    d = env.start()
    every = expect.items(["world"])
    d.wait_entries("good", [i.title for i in every])
    for name in ("xxe", "dtd", "bomb"):
        d.wait_log(r"feed %s: " % name, 10.0)
    harness.check_output(d, "good", every, sources)
    check(env.count("/evil.dtd") == 0, "the daemon fetched an external DTD")
    body = d.get("/feeds/all.atom").body.decode("utf-8", "replace")
    check(SECRET not in body, "a local file leaked into an output")
    check(body.count("lollollol") < 100, "the entity bomb went off: %d bytes",
          len(body))
    check(d.get("/").status == 200, "GET / after hostile feeds")

    rc, out, err = env.feedmux("poll", "-c", env.config, timeout=20.0)
    check(rc == 0, "feedmux poll: exit %d\n%s%s", rc, out, err)
    check(SECRET not in out + err, "feedmux poll printed the secret")
    check(env.count("/evil.dtd") == 0, "feedmux poll fetched an external DTD")
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


harness.run(main)
