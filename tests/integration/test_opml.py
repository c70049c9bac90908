"""feedmux import-opml: [feed] sections for an OPML file, with unique
names, that make a valid config; bad and hostile OPML files are errors that
name the file, never a crash or a leak."""

import os

import harness
from harness import check


def main(env):
    opml = os.path.join(os.path.dirname(env.args.fixtures), "opml")

    def run(*args):
        return env.feedmux(*args, cwd=opml)

    rc, out, err = run("import-opml", "subscriptions.opml")
    check(rc == 0, "exit %d: %s", rc, err)
    with open(os.path.join(opml, "subscriptions.expected"),
              encoding="utf-8") as f:
        want = f.read()
    check(out == want, "output:\n%s\nwant:\n%s", out, want)
    check(err.strip() == "feedmux: subscriptions.opml: 7 feeds, 3 skipped",
          "stderr %r", err)

    # What it prints is a config (here a drop-in of one).
    port = harness.free_port()
    confd = os.path.join(env.dir, "conf.d")
    os.mkdir(confd)
    env.write_file(os.path.join(confd, "imported.conf"), out)
    main_conf = os.path.join(env.dir, "main.conf")
    env.write_file(main_conf, "[server]\nlisten = 127.0.0.1:%d\n"
                   "database = %s\n\n[output all]\n\n"
                   "include = conf.d/*.conf\n" % (port, env.database))
    rc, cout, cerr = env.feedmux("check", "-c", main_conf)
    check(rc == 0, "check of the imported feeds: %s%s", cout, cerr)

    # With -c, names and URLs of the config are kept clear of.
    mine = os.path.join(env.dir, "mine.conf")
    env.write_file(mine, "[feed bbc-arabic]\nurl = http://127.0.0.1:1/a\n\n"
                   "[feed f24]\nurl = https://www.france24.localhost/ar/rss\n")
    rc, out, err = run("import-opml", "-c", mine, "subscriptions.opml")
    check(rc == 0, "exit %d: %s", rc, err)
    check("[feed bbc-arabic]" not in out, "a name of the config reused")
    check("[feed bbc-arabic-2]\nurl = https://feeds.bbci.localhost/arabic/rss.xml"
          in out, "first BBC feed not renamed:\n%s", out)
    check("[feed bbc-arabic-3]\nurl = https://feeds.bbci.localhost/arabic/"
          "middle_east/rss.xml" in out, "second BBC feed:\n%s", out)
    check("# line 12: skipped: https://www.france24.localhost/ar/rss is [feed f24] "
          "already" in out, "a URL of the config imported again:\n%s", out)
    check("6 feeds, 4 skipped" in err, "stderr %r", err)

    # Bad files: exit 1, a message that names the file; nothing on stdout.
    for name, msg in (("not-opml.xml", "not-opml.xml: not OPML (the root "
                       "element is <rss>, not <opml>)"),
                      ("truncated.opml", "truncated.opml:5: not XML: "),
                      ("xxe.opml", "xxe.opml:9: not XML: "),
                      ("missing.opml", "missing.opml: No such file")):
        rc, out, err = run("import-opml", name)
        check(rc == 1, "%s: exit %d", name, rc)
        check(out == "", "%s: printed %r", name, out)
        check(msg in err, "%s: stderr %r, want %r", name, err, msg)
        check("TOP-SECRET" not in out + err, "%s: the secret leaked", name)

    rc, out, err = run("import-opml", "empty.opml")
    check(rc == 0 and "0 feeds, 0 skipped" in err, "empty: %d %r", rc, err)
    rc, out, err = run("import-opml")
    check(rc == 2 and "usage" in err, "no file: %d %r", rc, err)
    rc, out, err = run("import-opml", "a.opml", "b.opml")
    check(rc == 2, "two files: %d", rc)


harness.run(main)
