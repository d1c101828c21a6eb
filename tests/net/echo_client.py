# SPDX-License-Identifier: BSD-2-Clause
"""Linux echo clients for the echo and valgrind suites (client namespace).

  echo_client.py CMD HOST PORT [ARGS]
    big N            one connection: write N random bytes while reading the echo
    writefirst N [SNDBUF]  one connection: write all N bytes, then read the
                     echo (SNDBUF: the client's SO_SNDBUF, default the kernel's)
    many N SIZE      N concurrent connections, each SIZE bytes echoed then EOF
    refused          nobody listens: the connection must be refused
    rst              an echo, then an abortive close (the client sends RST)
    drain READY      hold a connection (READY is created once it echoes); the
                     daemon's stop must FIN it
    hold READY       the same, never closed: FIN, then RST at the daemon's
                     drain timeout (2 s)

CLIENT_TIMEOUT (seconds, default 10) bounds connects and reads; under
valgrind the suite raises it.
"""
import os, resource, selectors, socket, struct, sys, threading, time

T = float(os.environ.get("CLIENT_TIMEOUT", "10"))

def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def big(host, port, n):
    """One connection: write n random bytes while reading the echo."""
    data = os.urandom(n)
    s = socket.create_connection((host, port), timeout=T)
    t0 = time.monotonic()
    w = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
    w.start()
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    w.join()
    dt = time.monotonic() - t0
    s.close()
    if bytes(got) != data:
        sys.exit("echo mismatch: sent %d bytes, got %d back" % (n, len(got)))
    print("    %d bytes echoed in %.3f s (%.1f Mbit/s each way)" % (n, dt, n * 8 / dt / 1e6))


def writefirst(host, port, n, sndbuf=0):
    """One connection that reads only after writing all n bytes: the bytes
    in flight must fit the buffers on the way (the client's, the echo's);
    a server that cannot hold its share stalls the write forever."""
    data = os.urandom(n)
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    if sndbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    s.settimeout(3 * T)
    s.connect((host, port))
    t0 = time.monotonic()
    try:
        s.sendall(data)
    except socket.timeout:
        sys.exit("write stalled (%.0f s) before all %d bytes were sent" % (3 * T, n))
    s.shutdown(socket.SHUT_WR)
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    dt = time.monotonic() - t0
    s.close()
    if bytes(got) != data:
        sys.exit("echo mismatch: sent %d bytes, got %d back" % (n, len(got)))
    print("    %d bytes written, then echoed back, in %.3f s" % (n, dt))


def many(host, port, n, size):
    """n concurrent connections, each writes size bytes, reads them back, EOF."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
    sel = selectors.DefaultSelector()
    for _ in range(n):
        s = socket.socket(fam(host), socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        st = {"s": s, "out": os.urandom(size), "sent": 0, "got": bytearray()}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
    left, bad, deadline = n, 0, time.monotonic() + 60
    while left and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=1):
            st, s = key.data, key.fileobj
            try:
                if ev & selectors.EVENT_WRITE and st["sent"] < size:
                    st["sent"] += s.send(st["out"][st["sent"]:])
                    if st["sent"] == size:
                        s.shutdown(socket.SHUT_WR)
                        sel.modify(s, selectors.EVENT_READ, st)
                if ev & selectors.EVENT_READ:
                    b = s.recv(65536)
                    if b:
                        st["got"] += b
                        continue
                    bad += bytes(st["got"]) != st["out"]
                    sel.unregister(s)
                    s.close()
                    left -= 1
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as e:
                print("    connection error: %s" % e)
                bad += 1
                sel.unregister(s)
                s.close()
                left -= 1
    if left or bad:
        sys.exit("%d of %d connections unfinished, %d bad" % (left, n, bad))
    print("    %d connections x %d bytes echoed" % (n, size))


def refused(host, port):
    """Nobody listens: the kernel must answer with a RST."""
    try:
        socket.create_connection((host, port), timeout=5).close()
    except ConnectionRefusedError:
        return
    sys.exit("connection to %s:%d was not refused" % (host, port))


def rst(host, port):
    """An echo, then an abortive close (SO_LINGER 0: the client sends RST)."""
    s = socket.create_connection((host, port), timeout=T)
    s.sendall(b"x" * 100)
    got = b""
    while len(got) < 100:
        b = s.recv(100 - len(got))
        if not b:
            sys.exit("EOF before the echo")
        got += b
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def drain(host, port, ready):
    """Hold a connection open; the daemon's SIGTERM must FIN it."""
    s = socket.create_connection((host, port), timeout=T)
    s.sendall(b"ping")
    if s.recv(4) != b"ping":
        sys.exit("no echo")
    open(ready, "w").close()
    s.settimeout(10 * T)  # the checks before the stop take a while
    if s.recv(1) != b"":
        sys.exit("expected FIN")
    s.close()


def hold(host, port, ready, drain_ms=None):
    """Hold a connection open and never close it: after the FIN, the daemon
    must give up at its drain timeout with a RST, not much before it (0.3 s:
    the FIN's own delay); with drain_ms given (not under valgrind), not much
    after it either (1 s)."""
    want = (drain_ms or 2000) / 1000.0
    s = socket.create_connection((host, port), timeout=T)
    s.sendall(b"ping")
    if s.recv(4) != b"ping":
        sys.exit("no echo")
    open(ready, "w").close()
    s.settimeout(6 * T)
    if s.recv(1) != b"":
        sys.exit("expected FIN")
    t0 = time.monotonic()
    while time.monotonic() < t0 + want + 30:
        # set by the RST (EPIPE in CLOSE_WAIT, tcp_reset)
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            dt = time.monotonic() - t0
            print("    RST %.2f s after the FIN (drain timeout %.1f s)" % (dt, want))
            if dt < want - 0.3:
                sys.exit("RST before the drain timeout")
            if drain_ms is not None and dt > want + 1.0:
                sys.exit("RST long after the drain timeout")
            return
        time.sleep(0.02)
    sys.exit("no RST after the drain timeout")


cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
args = [int(a) if a.isdigit() else a for a in sys.argv[4:]]
{"big": big, "writefirst": writefirst, "many": many, "refused": refused, "rst": rst, "drain": drain,
 "hold": hold}[cmd](host, port, *args)
