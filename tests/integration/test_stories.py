"""Stories across feeds: three outlets carry the same story, one with utm_
parameters on the same link, one with another link and the title in another
Arabic spelling; each output has one entry for it, naming the first outlet
as atom:source and the two others as link rel="via". Then the first outlet
edits its title: still one entry, the same id, the new title, a new updated.
"""

import os
import signal
import time

import feeds
import harness
from feeds import Entry
from harness import ATOM, check

NOW = int(time.time())
LINK = "http://127.0.0.1/news/2024/lavrov-osaka-summit"
TITLE_A = "لافروف: القمة الروسية اليابانية ستعقد في أواخر يونيو في أوساكا"
# The same title as another desk spells it: ة as ه, أ as ا, with tashkeel.
TITLE_C = "لافروف القمه الروسيه اليابانيه ستُعقد في اواخر يونيو في اوساكا"
TITLE_B = "Lavrov: Russia-Japan summit in Osaka in late June"
TITLE_A2 = "لافروف: القمة الروسية اليابانية ستعقد في أوساكا يوم 28 يونيو"


def feed_a(title, more=()):
    return feeds.rss("Desk A", [
        Entry("a-1", title, LINK, NOW - 7200,
              "أعلن وزير الخارجية الروسي أن القمة الروسية اليابانية ستعقد."),
        Entry("a-2", "Weather stays mild across the region",
              "http://127.0.0.1/a/weather", NOW - 3600),
    ] + list(more))


def renders(d):
    """How many times each output was rendered, from /metrics."""
    r = d.get("/metrics")
    check(r.status == 200, "/metrics: %d", r.status)
    out = {}
    for line in r.body.decode().splitlines():
        if line.startswith('feedmux_output_renders_total{output="'):
            name = line.split('"')[1]
            out[name] = int(line.rsplit(" ", 1)[1])
    return out


def feed_b():
    return feeds.rss("Desk B", [
        Entry("b-7", TITLE_B,
              LINK + "?utm_source=rss&utm_medium=feed&utm_campaign=b#top",
              NOW - 5400, "Russia and Japan will meet in Osaka."),
        Entry("b-8", "Football: the derby ends in a draw",
              "http://127.0.0.1/b/derby", NOW - 600),
    ])


def feed_c():
    return feeds.atom("Desk C", [
        Entry("tag:127.0.0.1,2024:c/3", TITLE_C, "http://127.0.0.1/c/world/3",
              NOW - 1800, "القمة الروسية اليابانية في أوساكا."),
        Entry("tag:127.0.0.1,2024:c/4", "Trade talks between China and Japan",
              "http://127.0.0.1/c/world/4", NOW - 900),
    ])


def story(d, output):
    """The output's entries, and the one entry of the story."""
    feed = d.atom(output)
    harness.check_atom(feed, output)
    mine = [e for e in feed.entries if e.link == LINK]
    check(len(mine) == 1, "output %s: %d entries of the story, want 1: %r",
          output, len(mine), feed.titles())
    return feed, mine[0]


def main(env):
    for name, text in (("a.rss", feed_a(TITLE_A)), ("b.rss", feed_b()),
                       ("c.atom", feed_c())):
        env.write_file(os.path.join(env.feeds, name), text)
    src = {k: (k, env.url("/%s" % f)) for k, f in
           (("a", "a.rss"), ("b", "b.rss"), ("c", "c.atom"))}
    outputs = [("all", {}), ("rj", {"keywords": "روسيا, اليابان, japan"})]

    # Desk A first, so that it is the story's first source.
    env.write_config([src["a"] + ("1s",)], outputs)
    d = env.start()
    d.wait_entries("all", [TITLE_A, "Weather stays mild across the region"])
    env.write_config([src["a"] + ("1s",), src["b"], src["c"]], outputs)
    d.send_signal(signal.SIGHUP)
    want = [TITLE_A, "Weather stays mild across the region",
            "Football: the derby ends in a draw",
            "Trade talks between China and Japan"]
    d.wait_entries("all", want)

    for output in ("all", "rj"):
        feed, e = story(d, output)
        check(e.title == TITLE_A, "%s: title %r", output, e.title)
        check(e.source_title == "Desk A" and e.source_self == src["a"][1],
              "%s: atom:source %r %r, want Desk A", output, e.source_title,
              e.source_self)
        via = sorted((l.get("href"), l.get("title"))
                     for l in e.elem.findall(ATOM + "link")
                     if l.get("rel") == "via")
        check(via == sorted([(LINK + "?utm_source=rss&utm_medium=feed"
                              "&utm_campaign=b#top", "Desk B"),
                             ("http://127.0.0.1/c/world/3", "Desk C")]),
              "%s: via links %r", output, via)
        check(harness.rfc3339(e.published) == NOW - 7200,
              "%s: published %r", output, e.published)
    feed, _ = story(d, "rj")
    check(sorted(feed.titles()) == sorted([TITLE_A,
                                           "Trade talks between China and "
                                           "Japan"]),
          "rj: %r", feed.titles())
    _, before = story(d, "all")
    updated0 = harness.rfc3339(before.updated)

    # A new item that only "all" takes renders "all" again, not "rj".
    n0 = renders(d)
    check(n0.get("all", 0) > 0 and n0.get("rj", 0) > 0, "renders %r", n0)
    extra = Entry("a-3", "Markets close higher on Tuesday",
                  "http://127.0.0.1/a/markets", NOW - 300)
    env.write_file(os.path.join(env.feeds, "a.rss"),
                   feed_a(TITLE_A, [extra]))
    d.wait_entries("all", want + [extra.title])
    n1 = renders(d)
    check(n1["all"] > n0["all"], "all was not rendered again: %r, %r", n0,
          n1)
    check(n1["rj"] == n0["rj"], "rj was rendered again for an item it "
          "does not take: %r, %r", n0, n1)
    want.append(extra.title)

    # The first outlet edits its title.
    time.sleep(1.1)   # a second later, so that the new updated shows
    env.write_file(os.path.join(env.feeds, "a.rss"),
                   feed_a(TITLE_A2, [extra]))
    want[0] = TITLE_A2
    d.wait_entries("all", want)
    for output in ("all", "rj"):
        feed, e = story(d, output)
        check(e.id == before.id, "%s: id %r became %r", output, before.id,
              e.id)
        check(e.title == TITLE_A2, "%s: title %r", output, e.title)
        check(harness.rfc3339(e.updated) > updated0,
              "%s: updated %r, was %r", output, e.updated, before.updated)
        check(harness.rfc3339(e.updated) >= NOW,
              "%s: updated %r is not the time of the edit", output,
              e.updated)
        check(harness.rfc3339(e.published) == NOW - 7200,
              "%s: published %r moved", output, e.published)
        check(len([l for l in e.elem.findall(ATOM + "link")
                   if l.get("rel") == "via"]) == 2,
              "%s: the sources went", output)

    # After a restart: the same entries, the same ids.
    ids = sorted(e.id for e in d.atom("all").entries)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d", rc)
    d = env.start()
    d.wait_entries("all", want)
    check(sorted(e.id for e in d.atom("all").entries) == ids,
          "ids changed across a restart")
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d", rc)


harness.run(main)
