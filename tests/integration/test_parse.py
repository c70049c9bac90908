"""feedmux parse: one JSON line per file, "file" as given, in one process;
HTTP context from --http-context or --sidecars; a file it cannot read is an
error line and exit 1; a body over the maximum is refused without being
read whole, from a file or a pipe, in bounded time and memory."""

import json
import os
import subprocess
import time

import harness
from harness import check

MB = 1024 * 1024


def lines(out):
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def main(env):
    feeds = env.feeds
    names = sorted(f for f in os.listdir(feeds) if f.endswith((".rss", ".atom")))
    check(len(names) >= 3, "fixtures: %r", names)

    # Several files, one process, one line each, in order, "file" as given.
    rc, out, err = env.feedmux("parse", *names, cwd=feeds)
    check(rc == 0, "parse: exit %d: %s", rc, err)
    got = lines(out)
    check([g["file"] for g in got] == names, "files: %r", [g.get("file") for g in got])
    for g in got:
        check(g["items"], "%s: no feed read: %r", g["file"], g)
        for it in g["items"]:
            for key in ("id", "title", "link", "published", "updated", "author",
                        "summary_text", "content_text", "categories"):
                check(key in it, "%s: item without %s", g["file"], key)

    # An HTTP context: a relative link resolved against its URL.
    rel = os.path.join(env.dir, "rel.rss")
    env.write_file(rel, "<rss><channel><title>r</title><link>/home</link>"
                   "<item><title>i</title><link>a/b</link></item></channel></rss>")
    ctx = os.path.join(env.dir, "rel.rss.headers")
    env.write_file(ctx, "# the document's address\nURL: http://127.0.0.1/x/feed.rss\n"
                   "Content-Type: application/rss+xml; charset=utf-8\n")
    rc, out, err = env.feedmux("parse", "--http-context=" + ctx, rel)
    g = lines(out)[0]
    check(rc == 0 and g["feed"]["link"] == "http://127.0.0.1/home"
          and g["items"][0]["link"] == "http://127.0.0.1/x/a/b", "context: %r", g)
    rc, out, err = env.feedmux("parse", "--sidecars", rel, os.path.join(feeds, names[0]))
    got = lines(out)
    check(rc == 0 and len(got) == 2 and got[0]["items"][0]["link"] == "http://127.0.0.1/x/a/b",
          "sidecars: %r", got)
    rc, out, err = env.feedmux("parse", rel)
    check(lines(out)[0]["items"][0]["link"] == "a/b", "no context: %r", out)

    # Not a feed: a result, not a failure. Not readable: an error line, exit 1.
    junk = os.path.join(env.dir, "page.html")
    env.write_file(junk, "<html><body>hello</body></html>")
    missing = os.path.join(env.dir, "missing.xml")
    rc, out, err = env.feedmux("parse", junk, missing, rel)
    got = lines(out)
    check(rc == 1, "missing file: exit %d", rc)
    check(len(got) == 3 and got[0]["items"] == [] and "_error" in got[0]
          and "error" in got[1] and got[1]["file"] == missing
          and got[2]["items"], "not a feed, missing, good: %r", got)
    check("missing.xml" in err, "no message for the missing file: %r", err)

    # 100 MB, sparse: refused by its size, at once, never read.
    big = os.path.join(env.dir, "big.xml")
    with open(big, "wb") as f:
        f.write(b"<rss><channel><title>big</title><item><description>")
        f.truncate(100 * MB)
    t0 = time.monotonic()
    rc, out, err = env.feedmux("parse", big, rel)
    got = lines(out)
    check(rc == 1 and "error" in got[0] and "maximum" in got[0]["error"]
          and got[1]["items"], "100 MB file: %d %r", rc, got)
    check(time.monotonic() - t0 < 5, "100 MB file took %.1f s", time.monotonic() - t0)
    rc, out, err = env.feedmux("parse", "--max-bytes", str(200 * MB), rel)
    check(rc == 0, "--max-bytes: exit %d %s", rc, err)
    size = os.path.getsize(rel)
    for limit, want in ((size, 0), (size - 1, 1)):
        rc, out, err = env.feedmux("parse", "--max-bytes", str(limit), rel)
        check(rc == want, "file of %d bytes, --max-bytes %d: exit %d", size, limit, rc)
        rc, out, err, _ = piped(env, ["--max-bytes", str(limit), "-"], None, rel)
        check(rc == want, "pipe of %d bytes, --max-bytes %d: exit %d", size, limit, rc)
    rc, out, err = env.feedmux("parse", "--max-bytes", "lots", rel)
    check(rc == 2, "bad --max-bytes: exit %d", rc)

    # 100 MB through a pipe: it stops reading past the maximum (16 MB), so
    # its memory stays near that of parsing a small file, and it says why.
    rc, out, err, base = piped(env, [rel], None)
    check(rc == 0, "small file: exit %d %s", rc, err)
    rc, out, err, peak = piped(env, ["-"], 100 * MB)
    got = lines(out)
    check(rc == 1 and "maximum" in got[0].get("error", ""), "100 MB pipe: %d %r", rc, got)
    check(peak - base < 80, "100 MB pipe: peak RSS %.0f MB, %.0f MB for a small file",
          peak, base)


def piped(env, args, size, path=None):
    """feedmux parse ARGS with SIZE bytes of feed (or the file PATH) written
    to its standard input: (status, stdout, stderr, its own peak RSS in MB)."""
    p = subprocess.Popen([env.args.feedmux, "parse"] + args, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunk = b"<item><title>x</title></item>" * 2000
    sent = 0
    t0 = time.monotonic()
    try:
        if path is not None:
            with open(path, "rb") as f:
                p.stdin.write(f.read())
        if size is not None:
            p.stdin.write(b"<rss><channel>")
            while sent < size and time.monotonic() - t0 < 30:
                p.stdin.write(chunk)
                sent += len(chunk)
        p.stdin.close()
    except BrokenPipeError:
        pass
    check(size is None or sent < size, "the whole %d bytes were read", size or 0)
    # Small outputs: reading them one after the other cannot block.
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stdout.close()
    p.stderr.close()
    return p.returncode, out, err, ru.ru_maxrss / 1024


harness.run(main)
