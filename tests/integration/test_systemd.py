"""systemd: the notify protocol heard by a datagram listener standing in for
systemd on NOTIFY_SOCKET (READY=1 only once the port answers, RELOADING=1
and READY=1 around a reload, STATUS= with the reload error's FILE:LINE,
WATCHDOG=1 at the asked pace, STOPPING=1, every message from the main
process), and socket activation (LISTEN_FDS) on a socket the test made."""

import os
import re
import signal
import socket
import struct
import time

import harness
from harness import check


class Notify:
    """A unix datagram socket that records what the daemon tells systemd,
    with the sender's pid from SCM_CREDENTIALS, as systemd checks it."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)
        self.messages = []      # (pid, text), in arrival order
        self.seen = 0           # messages that wait() has gone past

    def _recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, anc, _, _ = self.sock.recvmsg(
                4096, socket.CMSG_SPACE(struct.calcsize("iII")))
        except socket.timeout:
            return False
        pid = None
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:12])[0]
        self.messages.append((pid, data.decode("utf-8", "replace")))
        return True

    def wait(self, pred, what, daemon, timeout=10.0):
        """The next message after the last one returned for which pred(text)
        is true; the ones before it are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            while self.seen < len(self.messages):
                pid, text = self.messages[self.seen]
                self.seen += 1
                if pred(text):
                    check(pid == daemon.proc.pid, "%r came from pid %s, not "
                          "the main process %d", text, pid, daemon.proc.pid)
                    return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise harness.TestFailure(
                    "no %s in %.0f s; heard %r" % (what, timeout,
                                                   [t for _, t in
                                                    self.messages[-20:]]))
            if daemon.proc.poll() is not None and not self._recv(0.05):
                raise harness.TestFailure("daemon exited (%s) before %s"
                                          % (daemon.proc.returncode, what))
            self._recv(min(left, 0.2))

    def status(self, rx, daemon, timeout=10.0):
        """The next STATUS= whose text matches rx."""
        text = self.wait(lambda t: any(re.search(rx, l[7:]) for l in
                                       t.split("\n")
                                       if l.startswith("STATUS=")),
                         "STATUS= matching /%s/" % rx, daemon, timeout)
        return [l[7:] for l in text.split("\n") if l.startswith("STATUS=")][0]

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._recv(end - time.monotonic())

    def close(self):
        self.sock.close()


def line_is(s):
    return lambda t: s in t.split("\n")


def main(env):
    world = ("world", env.url("/world.rss"))
    down = ("down", "http://127.0.0.1:%d/down.rss" % harness.free_port())
    env.write_config([world, down], [("all", {})])
    n = Notify(os.path.join(env.dir, "notify.sock"))
    d = env.start(environ={"NOTIFY_SOCKET": n.path,
                           "WATCHDOG_USEC": "400000"}, wait=False)

    n.wait(line_is("READY=1"), "READY=1", d)
    # Ready means ready: the port answers at once.
    check(d.get("/").status == 200, "GET / right after READY=1")
    st = n.status(r"failing", d)
    check(re.fullmatch(r"2 feeds, [01] failing, 1 output", st),
          "STATUS after start: %r", st)
    st = n.status(r"^2 feeds, 1 failing, 1 output$", d)

    # WATCHDOG=1 twice per WATCHDOG_USEC, from the loop.
    t0 = time.monotonic()
    for _ in range(4):
        n.wait(line_is("WATCHDOG=1"), "WATCHDOG=1", d, 2.0)
    took = time.monotonic() - t0
    check(took < 1.6, "4 WATCHDOG=1 took %.2f s (want one per 0.2 s)", took)

    # A reload: RELOADING=1 (with the monotonic clock), then READY=1 and the
    # new state.
    env.write_config([world], [("all", {}), ("japan", {"keywords": "japan"})])
    d.send_signal(signal.SIGHUP)
    text = n.wait(lambda t: "RELOADING=1" in t.split("\n"), "RELOADING=1", d)
    check(re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=\d+", text),
          "reloading message %r", text)
    usec = int(text.split("=")[-1])
    now = time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6
    check(0 <= now - usec < 10e6, "MONOTONIC_USEC %d is not CLOCK_MONOTONIC"
          " (now %d)", usec, now)
    n.wait(line_is("READY=1"), "READY=1 after the reload", d)
    n.status(r"^1 feed, 0 failing, 2 outputs$", d)

    # A broken config: kept running, the error with FILE:LINE in STATUS=
    # and on GET /.
    good = open(env.config, encoding="utf-8").read()
    env.write_file(env.config, good.replace("[poll]", "[poll]\nnot a key"))
    bad_line = good.split("\n").index("[poll]") + 2
    d.send_signal(signal.SIGHUP)
    n.wait(lambda t: "RELOADING=1" in t.split("\n"), "RELOADING=1", d)
    n.wait(line_is("READY=1"), "READY=1 after a failed reload", d)
    where = "%s:%d: " % (env.config, bad_line)
    st = n.status(r"^reload failed", d)
    check(st.startswith("reload failed, running the previous configuration:"
                        " " + where), "STATUS after a failed reload: %r", st)
    check(st.endswith("; 1 feed, 0 failing, 2 outputs"), "STATUS: %r", st)
    page = d.get("/").body.decode("utf-8")
    check(where in page, "GET / does not show %r", where)
    check(d.get("/feeds/japan.atom").status == 200, "running config lost")

    env.write_file(env.config, good)
    d.send_signal(signal.SIGHUP)
    n.status(r"^1 feed, 0 failing, 2 outputs$", d)

    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)
    n.wait(line_is("STOPPING=1"), "STOPPING=1", d, 2.0)
    n.close()

    socket_activation(env)


def socket_activation(env):
    """The daemon serves on the socket it is given, not on listen =."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    port = s.getsockname()[1]
    fd = s.fileno()
    check(fd != 3, "the test's socket is descriptor 3")
    # sh execs feedmux in its own process, so $$ is the daemon's pid.
    wrapper = ["/bin/sh", "-c",
               "LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=http; "
               "export LISTEN_PID LISTEN_FDS LISTEN_FDNAMES; "
               'exec "$0" "$@" 3<&%d %d<&-' % (fd, fd)]
    env.write_config([("world", env.url("/world.rss"))], [("all", {})])
    d = env.start(wrapper=wrapper, pass_fds=(fd,), wait=False)
    s.close()
    url = "http://127.0.0.1:%d/" % port
    harness.wait_until("GET / on the passed socket",
                       lambda: harness.http(url).status == 200, 10.0,
                       alive=d)
    d.wait_log(r"listening on 1 socket from systemd", 5.0)
    try:
        socket.create_connection(("127.0.0.1", env.listen_port), 1).close()
        check(False, "listen = %d was bound too" % env.listen_port)
    except ConnectionRefusedError:
        pass
    # Reloads keep serving on it.
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"configuration reloaded", 5.0)
    check(harness.http(url).status == 200, "GET / after a reload")
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)

    # Something that is not a listening socket at descriptor 3: refused.
    wrapper = ["/bin/sh", "-c",
               "LISTEN_PID=$$ LISTEN_FDS=1; export LISTEN_PID LISTEN_FDS; "
               'exec "$0" "$@" 3</dev/null']
    d = env.start(wrapper=wrapper, wait=False)
    try:
        rc = d.proc.wait(10)
    except Exception:
        raise harness.TestFailure("daemon runs on a descriptor that is not "
                                  "a socket")
    check(rc == 1, "exit status %d with a bad LISTEN_FDS", rc)
    check("descriptor 3 is not a listening socket" in d.log_text(),
          "log: %r", d.log_text())


harness.run(main)
