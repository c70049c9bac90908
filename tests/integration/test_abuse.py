"""HTTP abuse against the running daemon, on 127.0.0.1 and bounded in count
and time: 2,000 concurrent connections, 500 slowloris connections sending a
byte every few seconds, malformed request lines and headers, 64 KB headers,
pipelined requests, and more connections than the server allows (the
oldest idle ones make room). Through all of it a normal client gets its
output within 1 s; afterwards the daemon holds no more file descriptors than before, and its
memory stayed bounded."""

import os
import resource
import signal
import socket
import time

import expect
import harness
from harness import check, soft_check

LATENCY = 1.0           # what a normal client may wait, at most
MANY = 2000             # concurrent connections
SLOW = 500              # slowloris connections
SLOW_SECONDS = 21       # how long the slowloris phase lasts
SLOW_EVERY = 7          # seconds between two bytes of each slow client
RSS_LIMIT_KB = 64 * 1024
OVER = 100              # connections beyond the server's limit


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def timed_get(d, path):
    t0 = time.monotonic()
    r = d.get(path)
    return r, time.monotonic() - t0


def normal_client(d, what, worst):
    r, took = timed_get(d, "/feeds/all.atom")
    soft_check(r.status == 200, "%s: GET /feeds/all.atom gave %d", what,
               r.status)
    soft_check(took < LATENCY, "%s: a normal client waited %.2f s", what,
               took)
    worst[0] = max(worst[0], took)


def metric(d, name):
    r = d.get("/metrics")
    check(r.status == 200, "/metrics: %d", r.status)
    for line in r.body.decode().splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    check(False, "/metrics has no %s" % name)


def closed_by_peer(s):
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def connect(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def exchange(port, data, timeout=5.0):
    """Sends raw bytes, returns what came back until the server closed or
    went quiet."""
    s = connect(port)
    s.settimeout(timeout)
    try:
        s.sendall(data)
    except OSError:
        pass
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    s.close()
    return out


def status_of(reply):
    line = reply.split(b"\r\n", 1)[0]
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def responses(data):
    """The status codes of consecutive HTTP/1.1 responses, each framed by its
    Content-Length."""
    codes = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.split(b"\r\n")
        codes.append(status_of(lines[0]))
        length = 0
        for l in lines[1:]:
            name, _, value = l.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        data = rest[length:]
    return codes


def main(env):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = MANY + SLOW + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    check(resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= need,
          "this test needs %d file descriptors", need)

    env.write_config([("world", env.url("/world.rss"))], [("all", {})])
    d = env.start()
    d.wait_entries("all", [i.title for i in expect.items(["world"])])
    port = d.port
    pid = d.proc.pid
    time.sleep(0.5)
    fds0, rss0 = fds(pid), rss_kb(pid)
    worst = [0.0]
    peak = [rss0]

    # 1. Many connections at once, each with a whole request unsent.
    socks = []
    for _ in range(MANY):
        socks.append(connect(port))
    for s in socks[::2]:
        s.sendall(b"GET /feeds/all.atom HTTP/1.1\r\nHost: x\r\n")
    normal_client(d, "%d open connections" % MANY, worst)
    peak[0] = max(peak[0], rss_kb(pid))
    for s in socks[1::2]:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    served = 0
    deadline = time.monotonic() + 20
    for s in socks[1::2]:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            if s.recv(12).startswith(b"HTTP/1.1 200"):
                served += 1
        except OSError:
            pass
    check(served == MANY // 2, "%d of %d concurrent requests served", served,
          MANY // 2)
    normal_client(d, "after %d requests" % served, worst)
    peak[0] = max(peak[0], rss_kb(pid))
    for s in socks:
        s.close()

    # 2. Slowloris: a byte every SLOW_EVERY seconds on SLOW connections.
    slow = [connect(port) for _ in range(SLOW)]
    request = b"GET /feeds/all.atom HTTP/1.1\r\nX-Slow: "
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < SLOW_SECONDS:
        for s in slow:
            try:
                s.send(request[sent % len(request):][:1])
            except OSError:
                pass
        sent += 1
        end = time.monotonic() + SLOW_EVERY
        while time.monotonic() < end:
            normal_client(d, "%d slowloris connections" % SLOW, worst)
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.5)
    for s in slow:
        s.close()

    # 3. Malformed requests get a 4xx or a closed connection, never a crash.
    bad = [b"GARBAGE\r\n\r\n",
           b"GET\r\n\r\n",
           b"GET / HTTP/9.9\r\n\r\n",
           b"GET /feeds/all.atom HTTP/1.1\r\nNo colon here\r\n\r\n",
           b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
           b"\x00\x01\x02\xff\r\n\r\n",
           b"GET /%00%ff/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
           b"POST /feeds/all.atom HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
           b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
           b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]
    for req in bad:
        reply = exchange(port, req)
        code = status_of(reply)
        soft_check(code is None or 400 <= code < 500 or code == 501,
                   "malformed request %r...: status %r", req[:30], code)
        check(d.proc.poll() is None, "daemon died on %r", req[:40])
    normal_client(d, "after malformed requests", worst)

    # 4. A 64 KB header is refused.
    big = (b"GET /feeds/all.atom HTTP/1.1\r\nHost: x\r\nX-Big: " +
           b"b" * 65536 + b"\r\n\r\n")
    code = status_of(exchange(port, big))
    soft_check(code is None or code in (400, 413, 431),
               "64 KB header: status %r", code)

    # 5. Pipelined requests on one connection are all answered, in order.
    pipe = b"".join(b"GET /feeds/all.atom HTTP/1.1\r\nHost: x\r\n\r\n"
                    for _ in range(9))
    pipe += b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    statuses = responses(exchange(port, pipe))
    soft_check(statuses == [200] * 9 + [404],
               "pipelined requests answered %r", statuses)
    normal_client(d, "after pipelining", worst)

    # 6. More connections than the server allows (4,096, or fewer if its
    # descriptor limit says so): the oldest idle ones are closed to make
    # room, a normal client is still served, the count never passes it.
    limit = metric(d, "feedmux_http_connections_max")
    need = limit + OVER + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (need, max(hard, need)))
        except (ValueError, OSError):
            pass
    check(resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= need,
          "this test needs %d file descriptors", need)
    socks = []
    for _ in range(limit + OVER):
        socks.append(connect(port))
    normal_client(d, "%d connections, %d allowed" % (len(socks), limit),
                  worst)
    open_now = metric(d, "feedmux_http_connections")
    check(open_now <= limit, "%d connections open, limit %d", open_now,
          limit)
    peak[0] = max(peak[0], rss_kb(pid))
    time.sleep(0.5)
    gone = sum(1 for s in socks if closed_by_peer(s))
    check(gone >= OVER, "%d connections over the limit of %d, only %d "
          "closed by the server", len(socks) - limit, limit, gone)
    check(d.proc.poll() is None, "daemon died at the connection limit")
    for s in socks:
        s.close()
    print("abuse: limit %d connections; %d opened, %d closed by the server, "
          "%d open" % (limit, len(socks), gone, open_now))

    time.sleep(1.0)
    fds1 = fds(pid)
    soft_check(fds1 <= fds0, "file descriptors: %d before, %d after", fds0,
               fds1)
    soft_check(peak[0] < RSS_LIMIT_KB, "peak RSS %d kB (limit %d)", peak[0],
               RSS_LIMIT_KB)
    print("abuse: fds %d before, %d after; RSS %d kB before, %d kB peak; "
          "slowest normal request %.3f s" % (fds0, fds1, rss0, peak[0],
                                            worst[0]))
    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


if __name__ == "__main__":
    harness.run(main)
