"""Harness for the feedmux integration tests: a feedserver serving the
fixture feeds, config files, a running `feedmux serve`, HTTP on loopback.

Every wait has a deadline; every process started here is ended by close(),
and a failing test prints the logs of both servers.

A test script calls run(main), where main(env) raises on failure.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import expect

ATOM = expect.ATOM
# Proxies from the environment must never see a request: loopback only.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class TestFailure(AssertionError):
    pass


class TestSkip(Exception):
    """Raised when something the test needs is not installed: the test
    exits with SKIP_STATUS, which CTest reports as skipped, not passed."""


SKIP_STATUS = 77


def check(cond, fmt, *args):
    if not cond:
        raise TestFailure(fmt % args if args else fmt)


_soft_failures = []


def soft_check(cond, fmt, *args):
    """Like check, but the test goes on, so that one run reports every
    independent deviation; run() fails the test at the end."""
    if not cond:
        msg = fmt % args if args else fmt
        _soft_failures.append(msg)
        sys.stderr.write("FAIL: %s\n" % msg)
    return bool(cond)


def wait_until(what, pred, timeout=10.0, interval=0.05, alive=None):
    """Calls pred until it returns a true value, which it returns. Fails after
    timeout seconds, or at once when the Daemon alive has exited."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = pred()
            if value:
                return value
        except (OSError, ET.ParseError, TestFailure) as e:
            last = e
        if alive is not None and alive.proc.poll() is not None:
            raise TestFailure("daemon exited (status %s) while waiting for %s"
                              % (alive.proc.returncode, what))
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.1f s waiting for %s%s"
                              % (timeout, what,
                                 "" if last is None else " (last: %s)" % last))
        time.sleep(interval)


def free_port():
    """A loopback port that was free a moment ago. Nothing listens on it once
    this returns, which also makes it an unreachable source."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# What systemd hands a service: a daemon started by a test sees none of it
# unless the test says so (the tests may themselves run under systemd).
SYSTEMD_VARS = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
                "JOURNAL_STREAM", "INVOCATION_ID")


def child_env(extra=None):
    """The environment of feedmux runs: without the proxies of the machine,
    which must never see a loopback request, nor systemd's variables, plus
    extra."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy",
                                "no_proxy") and k not in SYSTEMD_VARS}
    env.update(extra or {})
    return env


def _die_with_parent():
    """Runs in each child before exec: if the test itself is killed (a CTest
    timeout), Linux ends the child too instead of leaving it running."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)


def http(url, method="GET", timeout=5.0, headers=None):
    """One request; 4xx and 5xx are answers, not exceptions. The body is
    returned as sent (urllib decodes no Content-Encoding)."""
    check(url.startswith("http://127.0.0.1:"), "not a loopback URL: %s", url)
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        with e:
            return Response(e.code, e.headers, e.read())


def raw(port, data, timeout=5.0, until_close=True):
    """Sends bytes over a bare socket and returns what comes back until the
    server closes (or, with until_close False, until it pauses for 0.5 s),
    or the timeout passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        s.settimeout(0.5 if not until_close else 0.2)
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                if not until_close and out:
                    break
                continue
            if not chunk:
                break
            out += chunk
        return out


def responses(data, heads=False):
    """Splits bytes of HTTP/1.1 responses framed by Content-Length into
    [(status, {header: value}, body)], lower-case header names; a 304 answer
    has no body, nor has any when heads is true (answers to HEAD)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        check(sep, "no end of headers in %r", data[:200])
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        status = int(lines[0].split()[1])
        n = 0 if status == 304 or heads else \
            int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def raw_head(port, path, timeout=5.0):
    """HEAD over a bare socket, so that a body sent after the headers shows
    (http.client would throw it away). Returns (status line, headers, rest)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(("HEAD %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "Connection: close\r\n\r\n" % (path, port)).encode())
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, sep, rest = data.partition(b"\r\n\r\n")
    check(sep, "HEAD %s: no end of headers in %r", path, data[:200])
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers, rest


# Atom --------------------------------------------------------------------

_RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?"
                      r"(Z|[+-]\d\d:\d\d)$", re.I)


def rfc3339(s):
    """Seconds since the epoch of an RFC 3339 date-time; fails on others."""
    import calendar
    m = _RFC3339.match(s or "")
    check(m, "not an RFC 3339 date-time: %r", s)
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    t = calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0))
    z = m.group(8)
    if z.upper() != "Z":
        off = int(z[1:3]) * 3600 + int(z[4:6]) * 60
        t -= off if z[0] == "+" else -off
    return t


class Entry:
    def __init__(self, e):
        self.elem = e
        self.id = e.findtext(ATOM + "id")
        self.title = e.findtext(ATOM + "title")
        self.links = [(l.get("rel", "alternate"), l.get("href"))
                      for l in e.findall(ATOM + "link")]
        alt = [h for r, h in self.links if r == "alternate"]
        self.link = alt[0] if alt else None
        self.published = e.findtext(ATOM + "published")
        self.updated = e.findtext(ATOM + "updated")
        self.authors = [a.findtext(ATOM + "name")
                        for a in e.findall(ATOM + "author")]
        self.categories = [c.get("term") for c in e.findall(ATOM + "category")]
        self.summary = e.find(ATOM + "summary")
        self.content = e.find(ATOM + "content")
        src = e.find(ATOM + "source")
        self.source = src
        self.source_title = None if src is None else src.findtext(ATOM + "title")
        self.source_self = None
        if src is not None:
            for l in src.findall(ATOM + "link"):
                if l.get("rel") == "self":
                    self.source_self = l.get("href")

    def time(self):
        """When the entry sorts: published, else updated."""
        return rfc3339(self.published if self.published else self.updated)

    def __repr__(self):
        return "<entry %r>" % self.title


class Feed:
    def __init__(self, body):
        self.root = ET.fromstring(body)
        check(self.root.tag == ATOM + "feed", "root is %s, not atom:feed",
              self.root.tag)
        self.title = self.root.findtext(ATOM + "title")
        self.entries = [Entry(e) for e in self.root.findall(ATOM + "entry")]

    def titles(self):
        return [e.title for e in self.entries]


def check_atom(feed, what):
    """The parts of RFC 4287 and of the contract every output must have."""
    r = feed.root
    for name in ("id", "title", "updated"):
        check(r.find(ATOM + name) is not None, "%s: feed without atom:%s",
              what, name)
    rfc3339(r.findtext(ATOM + "updated"))
    for e in feed.entries:
        w = "%s: entry %r" % (what, e.title)
        check(e.id, "%s: no id", w)
        check(e.title, "%s: no title", w)
        check(e.link, "%s: no link rel=alternate", w)
        check(e.updated, "%s: no updated (required by RFC 4287)", w)
        rfc3339(e.updated)
        if e.published:
            rfc3339(e.published)
        check(e.authors and all(e.authors), "%s: no author/name", w)
        check(e.categories and all(e.categories), "%s: no category term", w)
        bodies = [b for b in (e.summary, e.content) if b is not None]
        check(bodies, "%s: neither summary nor content", w)
        for b in bodies:
            check(b.get("type") == "html", "%s: %s type=%r, not html", w,
                  b.tag[len(ATOM):], b.get("type"))
        check(e.source is not None, "%s: no atom:source", w)
        check(e.source_title, "%s: atom:source without title", w)
        check(e.source_self, "%s: atom:source without link rel=self", w)
    ids = [e.id for e in feed.entries]
    check(len(set(ids)) == len(ids), "%s: duplicate ids %r", what, ids)


# Processes ---------------------------------------------------------------

class Daemon:
    def __init__(self, env, config, log, args, environ=None, pass_fds=()):
        self.env = env
        self.config = config
        self.log = log
        self.port = env.listen_port
        self._logf = open(log, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=self._logf,
                                     env=child_env(environ),
                                     pass_fds=pass_fds,
                                     preexec_fn=_die_with_parent)
        self.started = time.monotonic()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path, method="GET"):
        return http(self.url(path), method)

    def atom(self, output):
        r = self.get("/feeds/%s.atom" % output)
        check(r.status == 200, "GET /feeds/%s.atom: %d", output, r.status)
        return Feed(r.body)

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_ready(self, timeout=10.0):
        wait_until("the daemon to answer GET /",
                   lambda: self.get("/").status == 200, timeout, alive=self)

    def wait_entries(self, output, want_titles, timeout=15.0):
        """Until the output holds exactly these titles (as a set)."""
        want = sorted(want_titles)

        def ok():
            return sorted(self.atom(output).titles()) == want
        try:
            wait_until("output %s to hold %d entries" % (output, len(want)),
                       ok, timeout, interval=0.1, alive=self)
        except TestFailure:
            have = sorted(self.atom(output).titles()) \
                if self.proc.poll() is None else None
            raise TestFailure("output %s: want %r, have %r"
                              % (output, want, have))

    def wait_log(self, pattern, timeout=10.0, start=0):
        """Until the log (from offset start) matches the regex pattern."""
        rx = re.compile(pattern, re.M)
        return wait_until("log line /%s/" % pattern,
                          lambda: rx.search(self.log_text()[start:]),
                          timeout, alive=self)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends sig and returns (exit status, seconds it took), or fails if
        the daemon outlives timeout."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure("daemon still running %.1f s after signal %d"
                              % (timeout, sig))
        finally:
            self._logf.close()
        return rc, time.monotonic() - t0

    def crash(self):
        """SIGKILL: what a power cut leaves is what the store wrote."""
        self.proc.kill()
        self.proc.wait(5)
        self._logf.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        if not self._logf.closed:
            self._logf.close()


class Env:
    def __init__(self, args, name):
        self.args = args
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="feedmux-%s-" % name)
        self.feeds = os.path.join(self.dir, "feeds")
        shutil.copytree(args.fixtures, self.feeds)
        expect.check_fixtures(self.feeds)
        self.daemons = []
        self.config = os.path.join(self.dir, "feedmux.conf")
        self.database = os.path.join(self.dir, "feedmux.db")
        self.listen_port = free_port()
        self.server_log = os.path.join(self.dir, "feedserver.log")
        portfile = os.path.join(self.dir, "feedserver.port")
        self._slog = open(self.server_log, "wb")
        self.server = subprocess.Popen(
            [args.feedserver, "--root", self.feeds, "--port-file", portfile],
            stdin=subprocess.DEVNULL, stdout=self._slog, stderr=self._slog,
            preexec_fn=_die_with_parent)

        def port():
            if self.server.poll() is not None:
                raise TestFailure("feedserver exited with %d"
                                  % self.server.returncode)
            with open(portfile) as f:
                return int(f.read())
        self.server_port = wait_until("feedserver's port file", port, 5.0)

    def url(self, path):
        """The feedserver URL of a path (with its query)."""
        return "http://127.0.0.1:%d%s" % (self.server_port, path)

    def count(self, path):
        """How often the feedserver was asked for path."""
        r = http(self.url("/_count?path=" + urllib.request.quote(path)))
        check(r.status == 200, "feedserver /_count: %d", r.status)
        return int(r.body)

    def requests(self, path):
        """The requests the feedserver had for path, oldest first: dicts
        of time (seconds since the epoch), uri and headers."""
        import json
        r = http(self.url("/_requests?path=" + urllib.request.quote(path)))
        check(r.status == 200, "feedserver /_requests: %d", r.status)
        return [json.loads(l) for l in r.body.decode().splitlines() if l]

    def write_config(self, feeds, outputs, path=None, database=None,
                     poll=None):
        """feeds: [(name, url)] or [(name, url, interval)], outputs:
        [(name, {key: value})], poll: {key: value} added to (or replacing
        those of) [poll]. Written under a temporary name and renamed, as an
        editor would."""
        path = path or self.config
        # Tests poll often: short intervals need a low floor.
        settings = {"interval": "15m", "concurrency": "4",
                    "min_interval": "1s",
                    # A restarted daemon spreads overdue feeds over this
                    # window (default 1m): tests that restart must not wait.
                    "startup_spread": "1s"}
        settings.update(poll or {})
        lines = ["# written by the %s integration test" % self.name,
                 "[server]",
                 "listen = 127.0.0.1:%d" % self.listen_port,
                 "database = %s" % (database or self.database),
                 "",
                 "[poll]"]
        lines += ["%s = %s" % kv for kv in settings.items()]
        lines.append("")
        for feed in feeds:
            name, url, interval = (tuple(feed) + ("1h",))[:3]
            lines += ["[feed %s]" % name, "url = %s" % url,
                      "interval = %s" % interval, ""]
        for name, opts in outputs:
            lines.append("[output %s]" % name)
            lines += ["%s = %s" % kv for kv in opts.items()]
            lines.append("")
        self.write_file(path, "\n".join(lines))
        return path

    def edit_feed(self, name, old, new):
        """Replaces the text old by new in a served feed file (once)."""
        path = os.path.join(self.feeds, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        check(text.count(old) == 1, "%s: %r is not there once", name, old)
        self.write_file(path, text.replace(old, new))

    def write_file(self, path, text):
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.rename(tmp, path)

    def start(self, config=None, verbose=False, environ=None, pass_fds=(),
              wrapper=(), wait=True):
        """Starts `feedmux serve` and waits until it answers (unless wait
        is false). environ: variables to add; wrapper: a command line that
        execs the daemon's (given after it), in the same process."""
        config = config or self.config
        n = len(self.daemons)
        log = os.path.join(self.dir, "feedmux-%d.log" % n)
        args = list(wrapper) + [self.args.feedmux, "serve", "-c", config]
        if verbose:
            args.append("-v")
        d = Daemon(self, config, log, args, environ, pass_fds)
        self.daemons.append(d)
        if wait:
            d.wait_ready()
        return d

    def feedmux(self, *args, timeout=30.0, cwd=None, environ=None):
        """Runs feedmux to its end: (status, stdout, stderr)."""
        try:
            p = subprocess.run([self.args.feedmux] + list(args),
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=timeout, cwd=cwd,
                               env=child_env(environ),
                               preexec_fn=_die_with_parent)
        except subprocess.TimeoutExpired:
            raise TestFailure("feedmux %s ran over %.0f s"
                              % (" ".join(args), timeout))
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def dump(self):
        for d in self.daemons:
            sys.stderr.write("----- %s -----\n%s\n" % (d.log, d.log_text()))
        with open(self.server_log, "rb") as f:
            sys.stderr.write("----- %s -----\n%s\n"
                             % (self.server_log,
                                f.read().decode("utf-8", "replace")))

    def close(self):
        """Ends every process; returns the feedserver's exit status."""
        for d in self.daemons:
            d.kill()
        if self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(5)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(5)
        if not self._slog.closed:
            self._slog.close()
        return self.server.returncode

    def cleanup(self):
        if not os.environ.get("FEEDMUX_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def run(main):
    """Runs main(env) as one test: exit status 0 on success, 1 on failure
    (with the logs printed), and every process ended either way."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--feedmux", required=True)
    ap.add_argument("--feedserver", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--artifacts", help="where tests leave files to keep")
    args = ap.parse_args()
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    t0 = time.monotonic()
    env = None
    try:
        env = Env(args, name)
        main(env)
        check(not _soft_failures, "%d check(s) failed:\n  %s",
              len(_soft_failures), "\n  ".join(_soft_failures))
        rc = env.close()
        check(rc == 0, "feedserver exited with %d", rc)
    except TestSkip as e:
        print("SKIP %s: %s" % (name, e))
        env.close()
        env.cleanup()
        sys.exit(SKIP_STATUS)
    except BaseException:
        traceback.print_exc()
        if env is not None:
            env.close()
            env.dump()
            sys.stderr.write("(files kept in %s)\n" % env.dir)
        sys.exit(1)
    env.cleanup()
    print("%s: passed in %.1f s" % (name, time.monotonic() - t0))
    sys.exit(0)


def check_output(daemon, output, want, sources):
    """Fetches an output and checks it holds exactly the items want (a list of
    expect.Item, newest first), in that order, each with its source.
    sources maps a fixture key to (config name, URL in the config).
    Returns the Feed."""
    feed = daemon.atom(output)
    check_atom(feed, output)
    have = [(e.title, e.link) for e in feed.entries]
    exp = [(i.title, i.link) for i in want]
    missing = sorted(set(exp) - set(have))
    extra = sorted(set(have) - set(exp))
    check(not missing and not extra and len(have) == len(exp),
          "output %s: missing %r, unexpected %r (have %d entries, want %d)",
          output, missing, extra, len(have), len(exp))
    check(have == exp, "output %s: order %r, want newest first %r",
          output, [t for t, _ in have], [i.title for i in want])
    for e, i in zip(feed.entries, want):
        w = "output %s: entry %r" % (output, i.title)
        name, url = sources[i.feed]
        title = expect.TITLES[i.feed] or name
        check(e.source_title == title, "%s: source title %r, want %r", w,
              e.source_title, title)
        check(e.source_self == url, "%s: source self link %r, want %r", w,
              e.source_self, url)
        check(i.category in e.categories, "%s: categories %r, want %r", w,
              e.categories, i.category)
        if i.when is not None:
            check(e.time() == i.when, "%s: published %r updated %r, want %s"
                  " %d", w, e.published, e.updated, i.kind, i.when)
        if i.kind == "published":
            check(e.published is not None, "%s: no published", w)
    return feed
