# SPDX-License-Identifier: BSD-2-Clause
"""Linux clients (the client namespace's kernel TCP) exchange random-sized
data with an echo service through random loss both ways, and check that
every byte comes back once and in order.

CONNS connections, PAR at a time, each sends 1 to 4 rounds of 1 byte to
MAXB bytes (random data) while reading the echo, then closes its sending
side and reads to the end: what came back must be exactly what was sent.
Sizes, data and round counts come from the seed (printed; TERN_TEST_SEED
repeats them; the loss itself is random in the XDP/tc program and so is
the timing). Each connection has SECS to finish; the whole run is bounded
by CONNS / PAR * SECS.
usage: lossy_echo.py HOST PORT CONNS PAR MAXB SECS
"""
import os, random, select, socket, sys, threading, time

host, port, conns, par, maxb, secs = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:7])
seed = int(os.environ.get("TERN_TEST_SEED", random.randrange(1 << 30)))
print("lossy echo: seed %d (TERN_TEST_SEED=%d repeats sizes and data)" % (seed, seed))
sys.stdout.flush()


def plan(i):
    r = random.Random(seed * 1000 + i)
    return [r.randbytes(r.randint(1, maxb)) for _ in range(r.randint(1, 4))]


def one(i, res):
    rounds = plan(i)
    want = b"".join(rounds)
    got, sent, end = bytearray(), 0, time.monotonic() + secs
    try:
        s = socket.create_connection((host, port), timeout=secs)
        s.setblocking(False)
        shut = False
        while True:
            left = end - time.monotonic()
            if left <= 0:
                res[i] = "timed out after %d s: sent %d of %d, got back %d" % (
                    secs, sent, len(want), len(got))
                break
            wl = [s] if sent < len(want) else []
            r, w, _ = select.select([s], wl, [], min(left, 0.5))
            if w:
                sent += s.send(want[sent:sent + 65536])
            if sent == len(want) and not shut:
                s.shutdown(socket.SHUT_WR)
                shut = True
            if r:
                b = s.recv(1 << 20)
                if not b:
                    break
                got += b
        s.close()
    except OSError as e:
        res[i] = "%s after %d bytes back" % (e, len(got))
        return
    if res[i] is None and bytes(got) != want:
        bad = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]),
                   min(len(got), len(want)))
        res[i] = "got %d bytes back for %d sent, first difference at byte %d" % (
            len(got), len(want), bad)
    elif res[i] is None:
        res[i] = len(want)


def main():
    res = [None] * conns
    idx = iter(range(conns))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = next(idx, None)
            if i is None:
                return
            one(i, res)
    th = [threading.Thread(target=worker) for _ in range(par)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    bad = [(i, r) for i, r in enumerate(res) if not isinstance(r, int)]
    total = sum(r for r in res if isinstance(r, int))
    for i, r in bad:
        print("connection %d (seed %d): %s" % (i, seed, r))
    print("lossy echo: %d connections, %d bytes each way, %d failed (seed %d)" % (
        conns, total, len(bad), seed))
    sys.exit(1 if bad else 0)


main()
