"""Faults of the disk: the database on a small tmpfs that the test fills up,
then moved to the test's directory and its files made immutable (chattr +i:
a read-only disk, also for root; tmpfs does not refuse writes through files
already open, ext4 and xfs do). Each time the daemon says so once, keeps
serving what it has, and catches up when writes work again.

Needs root (mount, chattr); without it the test says it is skipped (exit
status 77)."""

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import time

import feeds
import harness
from feeds import Entry
from harness import check

SKIP = 77
NOW = int(time.time())
DISK_SIZE = "16m"
FAULT = r"cannot be written"
RECOVERED = r"writes work again"


def can_run():
    """Whether this machine lets us mount a tmpfs."""
    if os.geteuid() != 0:
        return "not root"
    d = tempfile.mkdtemp(prefix="feedmux-faults-probe-")
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                            d], capture_output=True, timeout=10)
        if r.returncode != 0:
            return "mount: %s" % r.stderr.decode(errors="replace").strip()
        subprocess.run(["umount", "-l", d], timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    finally:
        os.rmdir(d)
    return None


def refuses_writes(directory):
    """Whether an immutable file of this file system refuses a write through
    a descriptor opened before; None if it does, else why not."""
    p = os.path.join(directory, "immutable-probe")
    fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        r = subprocess.run(["chattr", "+i", p], capture_output=True,
                           timeout=10)
        if r.returncode != 0:
            return "chattr: %s" % r.stderr.decode(errors="replace").strip()
        try:
            os.pwrite(fd, b"x", 0)
            return "writes to immutable files work on %s" % directory
        except OSError:
            return None
        finally:
            subprocess.run(["chattr", "-i", p], timeout=10)
    finally:
        os.close(fd)
        os.unlink(p)


def entries(n, size=0):
    """n items, newest first; size bytes of text each."""
    return [Entry("f-%d" % i, "Item number %d of the feed" % i,
                  "http://127.0.0.1/f/%d" % i, NOW - 100000 + i,
                  ("word%d " % i) * (size // 7) if size else "")
            for i in range(n, 0, -1)]


def fill(path):
    """Writes until the disk is full, to the last block; returns the bytes
    written."""
    n = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 512):
            chunk = b"\0" * size
            while True:
                try:
                    n += os.write(fd, chunk)
                except OSError as e:
                    check(e.errno == errno.ENOSPC, "filling: %s", e)
                    break
    finally:
        os.close(fd)
    return n


def count(d, pattern):
    import re
    return len(re.findall(pattern, d.log_text()))


def chattr(flag, paths):
    for p in paths:
        if os.path.exists(p):
            subprocess.run(["chattr", flag, p], check=True, timeout=10)


def main(env):
    disk = os.path.join(env.dir, "disk")
    os.mkdir(disk)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + DISK_SIZE,
                    "tmpfs", disk], check=True, timeout=10)
    dbfiles = []
    try:
        db = os.path.join(disk, "feedmux.db")
        dbfiles = [db, db + "-wal", disk]
        env.write_file(os.path.join(env.feeds, "f.rss"),
                       feeds.rss("F", entries(5)))
        env.write_config([("f", env.url("/f.rss"), "1s")], [("all", {})],
                         database=db)
        d = env.start()
        d.wait_entries("all", [e.title for e in entries(5)])
        served = d.get("/feeds/all.atom").body

        # A full disk: 1.5 MB of new items cannot be stored.
        filler = os.path.join(disk, "filler")
        fill(filler)
        env.write_file(os.path.join(env.feeds, "f.rss"),
                       feeds.rss("F", entries(20, 100000)))
        d.wait_log(FAULT, 10.0)
        n = env.count("/f.rss")
        harness.wait_until("three more polls",
                           lambda: env.count("/f.rss") >= n + 3, 10.0,
                           alive=d)
        check(count(d, FAULT) == 1, "the fault was logged %d times, "
              "not once", count(d, FAULT))
        r = d.get("/feeds/all.atom")
        check(r.status == 200 and r.body == served,
              "while the disk is full, the output changed or failed: %d",
              r.status)
        r = d.get("/")
        check(r.status == 200 and b"cannot be written" in r.body,
              "the index page does not say the database fails")
        r = d.get("/healthz")
        check(r.status == 503 and b"does not take writes" in r.body,
              "/healthz while the disk is full: %d %r", r.status, r.body)

        os.unlink(filler)
        d.wait_entries("all", [e.title for e in entries(20)], timeout=30.0)
        d.wait_log(RECOVERED, 5.0)
        check(count(d, RECOVERED) == 1, "recovery logged %d times",
              count(d, RECOVERED))
        r = d.get("/healthz")
        check(r.status == 200, "/healthz after the disk has room again: "
              "%d %r", r.status, r.body)

        rc, _ = d.stop()
        check(rc == 0, "exit status %d", rc)

        # A read-only disk: immutable files refuse every write, even root's.
        why = refuses_writes(env.dir)
        if why is not None:
            print("test_faults: the read-only part is skipped: %s" % why)
            return
        ro = os.path.join(env.dir, "ro")
        os.mkdir(ro)
        for name in os.listdir(disk):
            if name.startswith("feedmux.db"):
                shutil.move(os.path.join(disk, name), os.path.join(ro, name))
        db = os.path.join(ro, "feedmux.db")
        dbfiles = [db, db + "-wal", ro]
        env.write_config([("f", env.url("/f.rss"), "1s")], [("all", {})],
                         database=db)
        d = env.start()
        d.wait_entries("all", [e.title for e in entries(20)])
        n = env.count("/f.rss")
        harness.wait_until("a poll", lambda: env.count("/f.rss") > n, 5.0,
                           alive=d)
        chattr("+i", dbfiles)
        env.write_file(os.path.join(env.feeds, "f.rss"),
                       feeds.rss("F", entries(21)))
        d.wait_log(FAULT, 10.0)
        n = env.count("/f.rss")
        harness.wait_until("three more polls",
                           lambda: env.count("/f.rss") >= n + 3, 10.0,
                           alive=d)
        check(count(d, FAULT) == 1, "the read-only fault was logged %d "
              "times", count(d, FAULT))
        check(sorted(d.atom("all").titles()) ==
              sorted(e.title for e in entries(20)),
              "while the disk is read-only, the output changed")
        r = d.get("/healthz")
        check(r.status == 503, "/healthz while the disk is read-only: %d",
              r.status)
        chattr("-i", dbfiles)
        d.wait_entries("all", [e.title for e in entries(21)], timeout=30.0)
        d.wait_log(RECOVERED, 5.0)
        rc, _ = d.stop()
        check(rc == 0, "exit status %d", rc)

        # Nothing was lost: a new daemon serves the same.
        d = env.start()
        d.wait_entries("all", [e.title for e in entries(21)])
        rc, _ = d.stop()
        check(rc == 0, "exit status %d", rc)
    finally:
        chattr("-i", dbfiles)
        for dm in env.daemons:
            dm.kill()
        subprocess.run(["umount", "-l", disk], timeout=10)


if __name__ == "__main__":
    why = can_run()
    if why is not None:
        print("test_faults: skipped: %s" % why)
        sys.exit(SKIP)
    harness.run(main)
