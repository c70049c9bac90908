"""A reload that changes the filter of an output over thousands of stored
items chooses them anew in short steps from the event loop: the daemon
answers while it runs, the output is right when it ends, and a restart in
the middle starts the walk over instead of leaving the output half done."""

import os
import re
import signal
import time

import harness
from harness import check

N = 6000
# A step of the walk ends after this many items however fast the machine
# is (INGEST_REFILTER_STEP_ITEMS in daemon/ingest.h), or after 20 ms.
STEP_ITEMS = 500
FILLER = ("نص طويل من الأخبار اليومية عن الاقتصاد والسياسة والطقس " * 12)


def kind(i):
    """What item i mentions: every third Japan, every fifth Korea."""
    return ("Japan" if i % 3 == 0 else "") + (" Korea" if i % 5 == 0 else "")


def big_feed():
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0">',
           "<channel>", "<title>Big</title>", "<link>http://127.0.0.1/</link>"]
    for i in range(N):
        out.append("<item><title>item %d</title>"
                   "<link>http://127.0.0.1/big/%d</link>"
                   "<guid>big-%d</guid>"
                   "<pubDate>Mon, 04 Mar 2024 %02d:%02d:%02d GMT</pubDate>"
                   "<description>&lt;p&gt;%s %s&lt;/p&gt;</description></item>"
                   % (i, i, i, i // 3600 % 24, i // 60 % 60, i % 60, FILLER,
                      kind(i)))
    out += ["</channel>", "</rss>"]
    return "\n".join(out)


def count(d, output):
    r = d.get("/feeds/%s.atom" % output)
    check(r.status == 200, "GET %s: %d", output, r.status)
    return r.body.count(b"<entry>")


def main(env):
    with open(os.path.join(env.feeds, "big.rss"), "w", encoding="utf-8") as f:
        f.write(big_feed())
    feeds = [("big", env.url("/big.rss"))]
    japan = sum(1 for i in range(N) if "Japan" in kind(i))
    korea = sum(1 for i in range(N) if "Korea" in kind(i))

    def config(keywords):
        env.write_config(feeds, [("news", {"keywords": keywords,
                                           "max_items": "10000"})])

    config("japan")
    d = env.start()
    harness.wait_until("%d japan items" % japan,
                       lambda: count(d, "news") == japan, 60, 0.5, alive=d)

    # The walk runs while readers are served.
    offset = len(d.log_text())
    config("korea")
    t0 = time.monotonic()
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"choosing the items of news anew", 10, start=offset)
    answers = 0
    done = re.compile(r"items of news chosen anew from (\d+) stored items "
                      r"in [\d.]+s, (\d+) steps, the longest (\d+) ms")
    # The index and /metrics say how far the walk has got, as it goes (not
    # always forward: the watcher's reload of the file just written may
    # start the walk over).
    shown = re.compile(rb'<a href="feeds/news.html"[^\n]*?re-filtering after '
                       rb'its filter changed: (\d+) of (\d+) stored items')
    progress, metrics = [], []
    while not done.search(d.log_text()[offset:]):
        # Not a bound on its speed: a guard against a walk that never ends.
        check(time.monotonic() - t0 < 120, "refilter still running")
        r = d.get("/")
        answers += r.status == 200
        m = shown.search(r.body)
        if m:
            progress.append((int(m.group(1)), int(m.group(2))))
        r = d.get("/metrics")
        check(r.status == 200, "GET /metrics: %d", r.status)
        m = re.search(rb"^feedmux_refilter_outputs (\d+)$.*"
                      rb"^feedmux_refilter_items\{state=\"done\"\} (\d+)$\n"
                      rb"^feedmux_refilter_items\{state=\"covered\"\} (\d+)$",
                      r.body, re.M | re.S)
        check(m is not None, "no refilter lines in /metrics")
        if int(m.group(1)) > 0:
            metrics.append(tuple(int(g) for g in m.groups()))
    print("GET / showed the walk %d times: %s" % (
        len(progress), ", ".join("%d of %d" % p for p in progress[:8])))
    print("/metrics showed it %d times" % len(metrics))
    m = done.search(d.log_text()[offset:])
    items, steps, longest = (int(g) for g in m.groups())
    midway = [p for p in progress if 0 < p[0] < p[1]]
    print("refilter: %d items, %d steps, longest %d ms; %d answers to GET / "
          "meanwhile, %d of them midway" % (items, steps, longest, answers,
                                           len(midway)))
    check(items == N, "walked %d items, want %d", items, N)
    # No bound on time (the machine may be slow or busy): the loop got its
    # turn between steps, which a walk in one step never gives. The walk
    # takes N / STEP_ITEMS steps at least, on any machine, and GET / was
    # answered while it was half done.
    check(steps >= N // STEP_ITEMS, "%d steps for %d items: the walk "
          "blocked the loop", steps, N)
    check(midway, "GET / never answered while the walk was half done")
    check(metrics, "/metrics never showed the walk under way")
    for n, total in progress:
        check(total == N and 0 <= n <= total, "index: %d of %d", n, total)
    for outs, n, total in metrics:
        check(outs == 1 and total == N and 0 <= n <= total,
              "metrics: %d outputs, %d of %d", outs, n, total)
    check(count(d, "news") == korea, "news has %d items, want %d korea",
          count(d, "news"), korea)
    # Once it is over, neither says so any more.
    r = d.get("/")
    check(b"re-filtering" not in r.body, "the index still shows the walk")
    r = d.get("/metrics")
    check(re.search(rb"^feedmux_refilter_outputs 0$", r.body, re.M),
          "/metrics still shows the walk")

    # Stopped in the middle by a restart: started over, and right again.
    offset = len(d.log_text())
    config("japan")
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"choosing the items of news anew", 10, start=offset)
    rc, _ = d.stop(signal.SIGTERM, timeout=10)
    check(rc == 0, "exit status %d after SIGTERM", rc)
    finished = "items of news chosen anew" in d.log_text()[offset:]
    d = env.start()
    harness.wait_until("news back to japan",
                       lambda: count(d, "news") == japan, 60, 0.5, alive=d)
    walked = "choosing the items of news anew" in d.log_text()
    print("stopped %s the walk; the restart walked %s" % (
        "after" if finished else "during", "again" if walked else "not"))
    check(walked != finished, "walk finished %s, walked again after the "
          "restart %s", finished, walked)
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


harness.run(main)
