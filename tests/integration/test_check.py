"""feedmux check: "configuration OK" and exit 0 for a valid config; every
error as FILE:LINE: message and exit 1 for an invalid one."""

import os
import re

import harness
from harness import check

VALID = """\
# every kind of section and key
[server]
listen = 127.0.0.1:{port}
database = {dir}/check.db

[poll]
interval = 90s
concurrency = 4

[feed world]
url = http://127.0.0.1:{port}/world.rss
interval = 1h30m

[feed ar]
url = http://127.0.0.1:{port}/ar.rss

[output rj]
title = روسيا واليابان
keywords = russia, japan, روسيا, اليابان
exclude = football
max_items = 50

[output all]
"""

# Errors on lines 6, 10 and 13, and a feed without url (15).
INVALID = """\
[server]
listen = 127.0.0.1:{port}
database = {dir}/check.db

[poll]
interval = soon

[feed world]
url = http://127.0.0.1:{port}/world.rss
this line has no equals sign

[output rj]
keywords = japan, =russia*

[feed nourl]
interval = 1h
"""


def main(env):
    port = harness.free_port()
    valid = os.path.join(env.dir, "valid.conf")
    env.write_file(valid, VALID.format(port=port, dir=env.dir))
    rc, out, err = env.feedmux("check", "-c", valid)
    check(rc == 0, "check of a valid config: exit %d\n%s%s", rc, out, err)
    check("configuration OK" in out + err,
          "check of a valid config printed %r %r", out, err)

    invalid = os.path.join(env.dir, "invalid.conf")
    env.write_file(invalid, INVALID.format(port=port, dir=env.dir))
    rc, out, err = env.feedmux("check", "-c", invalid)
    check(rc == 1, "check of an invalid config: exit %d\n%s%s", rc, out, err)
    rx = re.compile(r"^%s:(\d+): \S" % re.escape(invalid))
    lines = {int(m.group(1)) for m in map(rx.match, (out + err).splitlines())
             if m}
    for line in (6, 10, 13):
        check(line in lines, "no error for line %d of:\n%s\nin:\n%s%s", line,
              INVALID, out, err)
    check(lines & {15, 16}, "no error for the feed without url in:\n%s%s",
          out, err)
    check("configuration OK" not in out + err, "invalid config said OK")

    rc, out, err = env.feedmux("check", "-c",
                               os.path.join(env.dir, "none.conf"))
    check(rc == 1, "check of a missing file: exit %d", rc)
    check("none.conf" in out + err, "check of a missing file: %r %r", out, err)


harness.run(main)
