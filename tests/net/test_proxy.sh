#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# --app proxy end to end: clients in one namespace, tern in the server
# namespace, backends (nginx and a Python helper) in a third namespace
# behind a second veth (plain kernel networking). curl and wrk through
# tern; large transfers each way with digests compared; half-close each
# way; backend down, unreachable, reset; a backend that does not read
# (bounded memory); a client reset mid-transfer; PROXY protocol v1 and v2
# parsed by nginx; round robin, least connections and health checks;
# defer-accept; stop with relayed connections open.
#   tests/net/test_proxy.sh BUILD_DIR
# TERN_PROXY_XFER_MB sets the size of the large transfers (default below).
NET_SUITE=test_proxy
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/proxy_lib.sh
. "$(dirname "$0")/proxy_lib.sh"

net_tern_arg "$@"
TERNCTL=$(realpath "$1/tools/ternctl")
PORT=80
QUEUES=2
XFER_MB=${TERN_PROXY_XFER_MB:-1024}
PBUF=4194304 # --proxy-buf of the daemon running (tern's default)
PBUF_INIT=65536 # and the size its rings start at
IP4_GONE=10.202.$NET_X.3 # on the backend link, answers nothing
write_helper() {
	cat >"$NET_TMP/px.py" <<'PYEOF'
import hashlib, os, socket, struct, sys, threading, time

BLOCK_LEN = (1 << 20) + 7      # not a power of two: a shifted or repeated piece changes the digest

def block():
    import random
    return random.Random(7).randbytes(BLOCK_LEN)

def stream(n):
    """The deterministic byte stream of length n, in pieces."""
    b = block()
    bb = memoryview(b + b)
    off = 0
    while n:
        k = min(n, 1 << 20)
        yield bb[off:off + k]
        off = (off + k) % BLOCK_LEN
        n -= k

def digest(n):
    h = hashlib.sha256()
    for p in stream(n):
        h.update(p)
    return h.hexdigest()

def log(d, msg):
    with open(os.path.join(d, "events"), "a") as f:
        f.write(msg + "\n")

def read_digest(s):
    """Reads s to EOF: (bytes, sha256 hex)."""
    h, n = hashlib.sha256(), 0
    while True:
        b = s.recv(1 << 20)
        if not b:
            return n, h.hexdigest()
        h.update(b)
        n += len(b)

# ---- backend side ----------------------------------------------------------

def sink(c, d):
    """Reads to EOF; answers "bytes sha256" and closes (client->backend)."""
    n, hx = read_digest(c)
    c.sendall(b"%d %s\n" % (n, hx.encode()))
    c.close()
    log(d, "sink %d" % n)

def source(c, d):
    """Reads "N\\n", sends N stream bytes, shuts down its side, then counts
    what the client still sends (backend->client half-close)."""
    line = b""
    while not line.endswith(b"\n"):
        b = c.recv(64)
        if not b:
            return
        line += b
    n = int(line)
    try:
        for p in stream(n):
            c.sendall(p)
        c.shutdown(socket.SHUT_WR)
        got = 0
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += len(b)
        log(d, "after %d" % got)
    except OSError as e:
        log(d, "source-error %s" % e.__class__.__name__)
    c.close()

def sink_burst(c, d):
    """sink, reading in bursts behind a small receive buffer: 256 KiB,
    then a 10 ms pause, so the window toward tern closes and opens again
    many times."""
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    h, n, burst = hashlib.sha256(), 0, 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
        burst += len(b)
        if burst >= 1 << 18:
            burst = 0
            time.sleep(0.01)
    c.sendall(b"%d %s\n" % (n, h.hexdigest().encode()))
    c.close()
    log(d, "sink %d" % n)

def slow(c, d):
    """Never reads; holds the connection until the peer goes: a FIN (the
    socket's TCP state leaves ESTABLISHED: with unread data queued, recv
    never reports it) or a RST (SO_ERROR)."""
    log(d, "slow open")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    while True:
        time.sleep(0.2)
        try:
            e = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            state = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
        except OSError:
            break
        if e or state != 1:  # TCP_ESTABLISHED
            break
    c.close()
    log(d, "slow closed")

def rst(c, d):
    """Resets the connection."""
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    log(d, "rst sent")

def http_id(c, d):
    """A minimal HTTP responder that names itself "B"."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        try:
            b = c.recv(4096)
        except OSError:    # health checks connect and reset
            b = b""
        if not b:
            c.close()
            return
        buf += b
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nB\n")
    c.close()

MODES = {"sink": sink, "sink_burst": sink_burst, "source": source, "slow": slow, "rst": rst}

def mux(c, d):
    """The first line names the mode (the rest of the line is the mode's)."""
    line = b""
    while not line.endswith(b"\n"):
        b = c.recv(1)
        if not b:
            c.close()
            return
        line += b
    MODES[line.strip().decode()](c, d)

def serve(host, d, port, mode):
    fn = {"mux": mux, "http_id": http_id}[mode]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(512)
    open(os.path.join(d, "ready-%s" % port), "w").close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=fn, args=(c, d), daemon=True).start()

# ---- client side -----------------------------------------------------------

def conn(host, port):
    return socket.create_connection((host, int(port)), timeout=60)

def upload(host, port, n, mode="sink"):
    n = int(n)
    t0 = time.time()
    s = conn(host, port)
    s.sendall(mode.encode() + b"\n")
    for p in stream(n):
        s.sendall(p)
    s.shutdown(socket.SHUT_WR)          # half-close: the answer still comes
    ans = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        ans += b
    s.close()
    got_n, got_h = ans.split()
    assert int(got_n) == n, (got_n, n)
    assert got_h.decode() == digest(n), "digest differs"
    print("    uploaded %d bytes in %.1f s, digests equal" % (n, time.time() - t0))

def download(host, port, n, after):
    n, after = int(n), int(after)
    t0 = time.time()
    s = conn(host, port)
    s.sendall(b"source\n%d\n" % n)
    got, hx = read_digest(s)
    assert got == n, (got, n)
    assert hx == digest(n), "digest differs"
    # the backend closed its side; ours still carries data
    s.sendall(b"x" * after)
    s.shutdown(socket.SHUT_WR)
    assert s.recv(1) == b""
    s.close()
    print("    downloaded %d bytes in %.1f s, digests equal; %d bytes sent after the backend's FIN"
          % (n, time.time() - t0, after))

def expect_reset(host, port, first, wait):
    """Connects, sends the line `first` (none if "-"), waits: the connection
    must be reset."""
    t0 = time.time()
    try:
        s = conn(host, port)
        s.settimeout(float(wait))
        if first != "-":
            s.sendall(first.encode() + b"\n")
        b = s.recv(100)
        sys.exit("expected a reset, got %r" % b)
    except (ConnectionResetError, BrokenPipeError):
        print("    reset after %.1f s" % (time.time() - t0))

def abort_mid(host, port, n, keep):
    """Downloads `keep` of n bytes, then resets the connection (SO_LINGER 0)."""
    s = conn(host, port)
    s.sendall(b"source\n%d\n" % int(n))
    got = 0
    while got < int(keep):
        b = s.recv(65536)
        assert b, "EOF too early"
        got += len(b)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("    reset after %d bytes" % got)

def flood_slow(host, port, secs, out, hold):
    """Sends as much as it can for secs seconds toward a backend that does not
    read; writes how many bytes the socket took, holds `hold` seconds, then
    resets the connection."""
    s = conn(host, port)
    s.sendall(b"slow\n")
    s.setblocking(False)
    sent, end = 0, time.time() + float(secs)
    chunk = b"z" * 65536
    while time.time() < end:
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)
    with open(out, "w") as f:
        f.write("%d\n" % sent)
    time.sleep(float(hold))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()

def slow_reader(host, port, n, marker, pause):
    """Asks for n stream bytes, reads none for `pause` seconds (marker
    exists meanwhile), then reads them all and checks the digest."""
    n = int(n)
    s = conn(host, port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b"source\n%d\n" % n)
    open(marker, "w").close()
    time.sleep(float(pause))
    got, hx = read_digest(s)
    assert got == n and hx == digest(n), (got, n)
    s.close()
    print("    then read %d bytes, digest equal" % got)

def burst_reader(host, port, n):
    """Asks for n stream bytes and reads them in bursts behind a small
    receive buffer: 256 KiB, then a 10 ms pause, so tern's window toward
    it closes and opens again many times; checks the digest."""
    n = int(n)
    t0 = time.time()
    s = conn(host, port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"source\n%d\n" % n)
    h, got, burst = hashlib.sha256(), 0, 0
    while True:
        b = s.recv(65536)
        if not b:
            break
        h.update(b)
        got += len(b)
        burst += len(b)
        if burst >= 1 << 18:
            burst = 0
            time.sleep(0.01)
    assert got == n and h.hexdigest() == digest(n), (got, n)
    s.close()
    print("    read %d bytes in bursts in %.1f s, digest equal" % (got, time.time() - t0))

def keep_ids(host, port, n, ready, stop, out):
    """n kept-alive connections asking GET /id in turn until `stop` exists
    (`ready` after the first round), then closed in order; `out` gets one
    line per connection: its requests and the ids answered. Any error (a
    reset, an EOF, a short answer) ends it with status 1."""
    ss = [conn(host, port) for _ in range(int(n))]
    seen = [dict() for _ in ss]
    req = b"GET /id HTTP/1.1\r\nHost: x\r\n\r\n"
    rounds = 0
    while not os.path.exists(stop):
        for i, s in enumerate(ss):
            s.sendall(req)
            buf = b""
            while b"\r\n\r\n" not in buf:
                b = s.recv(4096)
                if not b:
                    sys.exit("connection %d: EOF after %d requests" % (i, rounds))
                buf += b
            head, body = buf.split(b"\r\n\r\n", 1)
            clen = int([l.split(b":")[1] for l in head.split(b"\r\n")
                        if l.lower().startswith(b"content-length:")][0])
            while len(body) < clen:
                b = s.recv(4096)
                if not b:
                    sys.exit("connection %d: EOF in a body" % i)
                body += b
            k = body.strip().decode()
            seen[i][k] = seen[i].get(k, 0) + 1
        rounds += 1
        if rounds == 1:
            open(ready, "w").close()
        time.sleep(0.05)
    for s in ss:
        s.shutdown(socket.SHUT_WR)
        if s.recv(1) != b"":
            sys.exit("data after the close")
        s.close()
    with open(out, "w") as f:
        for d in seen:
            f.write("%d %s\n" % (rounds, " ".join("%s=%d" % kv for kv in sorted(d.items()))))

def hold(host, port, path, watch=None):
    """Opens a connection, sends an HTTP request head without its end, holds.
    With watch: never closes or reads; appends "fin" to path.events when
    the connection enters CLOSE_WAIT (the peer's FIN) and "rst" when it
    then goes to CLOSE (a RST, which in CLOSE_WAIT leaves EPIPE), from the
    socket's TCP_INFO state, polled every 20 ms for up to 60 s."""
    s = conn(host, port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    open(path, "w").close()
    if not watch:
        time.sleep(3600)
    seen = []
    for _ in range(3000):
        st = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
        ev = {8: "fin", 7: "rst"}.get(st)  # TCP_CLOSE_WAIT, TCP_CLOSE
        if ev == "rst" and "fin" not in seen:
            ev = "rst-without-fin"
        if ev and ev not in seen:
            seen.append(ev)
            with open(path + ".events", "a") as f:
                f.write(ev + "\n")
        if st == 7:
            break
        time.sleep(0.02)
    time.sleep(3600)

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "serve":
        serve(*args)
    else:
        globals()[cmd](*args)
PYEOF
}

start_backends() {
	proxy_backends || return 1
	# not through in_b: a shell in between would report the kill at exit
	ip netns exec "$NS_B" python3 "$NET_TMP/px.py" serve "$IP4_B" "$NET_TMP" 9000 mux &
	net_bg_pid $!
	disown $!
	wait_until test -e "$NET_TMP/ready-9000"
}

CTL=
FD0=
# proxy_start ARGS: tern --app proxy on both addresses, 2 queues. FD0: its
# open descriptors once ready (health checks off: nothing comes and goes).
proxy_start() {
	CTL=$NET_TMP/tern-$RANDOM.sock
	tern_start --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" --queues "$QUEUES" \
		--cpus 0-1 --app proxy --ctl "$CTL" "$@" || return 1
	FD0=$(fd_count)
}

fd_count() { find "/proc/$(tern_pid)/fd" -mindepth 1 | wc -l; }

# proxy_stop: SIGTERM; tern must exit 0 (the sanitizer build: no leak)
# with every frame accounted for.
proxy_stop() {
	local rc

	kill -TERM "$(tern_pid)"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	rc=$(cat "$NET_TMP/tern.rc")
	[ "$rc" = 0 ] || { sed 's/^/    /' "$NET_TMP/tern.log" >&2; fail "tern exited $rc"; }
	[ "$(grep -c 'frames: total .*: ok$' "$NET_TMP/tern.log")" = "$QUEUES" ] ||
		fail "frame accounting: not every queue says ok"
}

# ctr NAME: the daemon's total of an application counter.
ctr() {
	in_s "$TERNCTL" stats --dev "$DEV_S" --ctl "$CTL" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["app"][sys.argv[1]])' "$1"
}

# qtot KEY: the daemon's total of a queue counter or gauge (tx_inplace,
# frames_app, ...).
qtot() {
	in_s "$TERNCTL" stats --dev "$DEV_S" --ctl "$CTL" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"][sys.argv[1]])' "$1"
}

# No UMEM buffer held by the application: every one it took came back
# exactly once (a second return would be a refused move, "bad", which
# proxy_stop's accounting check fails on).
frames_idle() {
	[ "$(qtot frames_app)" = 0 ] && [ "$(qtot frames_app_tx)" = 0 ] && ctr_is ProxyFrames 0 &&
		[ "$(qtot frames_app_rx)" = 0 ] && ctr_is ProxyUpFrames 0
}

# inplace_mark: what inplace_since compares with (tx_inplace, and
# ProxyDownRingBytes: bytes read into the ring past the UMEM share).
inplace_mark() {
	echo "$(qtot tx_inplace) $(ctr ProxyDownRingBytes)"
}

# inplace_since MARK BYTES: the segments of a BYTES transfer that were
# read into UMEM buffers (not into the ring) were built around them in
# place (at least half of them: a partial recv, a retransmission or a
# window-limited split are copied).
inplace_since() {
	local d ring

	set -- $1 "$2"
	d=$(($(qtot tx_inplace) - $1))
	ring=$(($(ctr ProxyDownRingBytes) - $2))
	echo "    $d segments built in place, $(qtot tx_inplace_busy) copied while on the TX ring;" \
		"$ring bytes read into the ring"
	[ "$d" -ge $((($3 - ring) / 1448 / 2)) ] ||
		fail "only $d segments built in place for $3 bytes ($ring in the ring)"
}

# ctr_is NAME VALUE / ctr_ge NAME VALUE (polled: counters are published
# every 50 ms while busy and when a worker sleeps)
ctr_is() { [ "$(ctr "$1")" = "$2" ]; }
ctr_ge() { [ "$(ctr "$1")" -ge "$2" ]; }

# Nothing left: no relayed connection, buffer or backend socket.
idle_clean() {
	wait_until ctr_is ProxyConns 0 || {
		in_s "$TERNCTL" conns --dev "$DEV_S" --ctl "$CTL" | sed 's/^/    /' >&2
		echo "    $(app_stats)" >&2
		fail "ProxyConns $(ctr ProxyConns) after the clients left"
	}
	wait_until ctr_is ProxyBufBytes 0 || fail "ProxyBufBytes $(ctr ProxyBufBytes)"
	wait_until ctr_is ProxyBackendFds 0 || fail "ProxyBackendFds $(ctr ProxyBackendFds)"
	wait_until frames_idle || fail "UMEM buffers held at idle: app $(qtot frames_app)," \
		"app_tx $(qtot frames_app_tx), ProxyFrames $(ctr ProxyFrames)," \
		"app_rx $(qtot frames_app_rx), ProxyUpFrames $(ctr ProxyUpFrames)"
	[ -z "$FD0" ] || [ "$(fd_count)" = "$FD0" ] || fail "tern has $(fd_count) fds, had $FD0"
}

app_stats() {
	in_s "$TERNCTL" stats --dev "$DEV_S" --ctl "$CTL" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["app"])'
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$(tern_pid)/status"; }

# ---- checks: nginx behind tern -------------------------------------------

t_curl() {
	local body

	body=$(in_c curl -sS --max-time 10 "http://$IP4_S/id") || fail "curl over IPv4"
	[ "$body" = A ] || fail "IPv4 body '$body'"
	body=$(in_c curl -sS --max-time 10 -g "http://[$IP6_S]/id") || fail "curl over IPv6"
	[ "$body" = A ] || fail "IPv6 body '$body'"
	in_s "$TERNCTL" stats --dev "$DEV_S" --ctl "$CTL" | grep -q 'ProxyAccepted *2$' ||
		fail "ternctl stats does not show ProxyAccepted 2"
	# the same counters on /metrics, with their types
	in_s "$TERNCTL" stats --dev "$DEV_S" --ctl "$CTL" --prometheus >"$NET_TMP/proxy.prom"
	grep -qx '# TYPE tern_proxy_accepted_total counter' "$NET_TMP/proxy.prom" ||
		fail "no tern_proxy_accepted_total counter"
	grep -qx '# TYPE tern_proxy_backends_healthy gauge' "$NET_TMP/proxy.prom" ||
		fail "no tern_proxy_backends_healthy gauge"
	awk '/^tern_proxy_accepted_total\{/ { n += $2 } END { exit n != 2 }' "$NET_TMP/proxy.prom" ||
		fail "tern_proxy_accepted_total is not 2"
	idle_clean
}

t_curl_big() {
	local want got t0 in0

	in0=$(inplace_mark)
	want=$(sha256sum <"$NET_TMP/www/big" | cut -d' ' -f1)
	t0=$(date +%s%N)
	got=$(in_c curl -sS --max-time 120 "http://$IP4_S/big" | sha256sum | cut -d' ' -f1)
	echo "    $XFER_MB MiB from nginx in $((($(date +%s%N) - t0) / 1000000)) ms"
	[ "$got" = "$want" ] || fail "digest differs"
	inplace_since "$in0" "$(xfer_bytes)"
	idle_clean
}

# wrk_ok ARGS: wrk through tern; every response 2xx, no socket error.
wrk_ok() {
	local out

	out=$(in_c wrk -t1 -c16 -d2s "$@" "http://$IP4_S/id" 2>&1) || fail "wrk failed: $out"
	echo "$out" | grep -E 'Requests/sec' | sed 's/^/    /'
	! echo "$out" | grep -qE 'Non-2xx|Socket errors' || { echo "$out" >&2; fail "wrk saw errors"; }
	echo "$out" | grep -qE '[1-9][0-9]* requests in' || fail "no request completed"
}

t_wrk() {
	wrk_ok
	wrk_ok -H 'Connection: close'
	[ "$(ctr ProxyBackendConnectFails)" = 0 ] || fail "connect failures"
	idle_clean
}

# SIGTERM with relayed connections open: FIN to the clients, RST to what
# is left after the drain (the held clients never close), every buffer and
# socket released (the sanitizer build checks leaks at exit). The clients
# record what their own kernel saw: CLOSE_WAIT (FIN), then CLOSE (RST).
t_stop_open() {
	local h

	in_c python3 "$NET_TMP/px.py" hold "$IP4_S" "$PORT" "$NET_TMP/held1" watch &
	net_bg_pid $!
	in_c python3 "$NET_TMP/px.py" hold "$IP6_S" "$PORT" "$NET_TMP/held2" watch &
	net_bg_pid $!
	wait_until test -e "$NET_TMP/held1" && wait_until test -e "$NET_TMP/held2" ||
		fail "clients did not connect"
	wait_until ctr_is ProxyConns 2 || fail "ProxyConns $(ctr ProxyConns), want 2"
	proxy_stop
	for h in held1 held2; do
		wait_until grep -qx rst "$NET_TMP/$h.events" 2>/dev/null || true
		echo "    $h saw: $(tr '\n' ' ' <"$NET_TMP/$h.events" 2>/dev/null)"
		[ "$(cat "$NET_TMP/$h.events" 2>/dev/null)" = "$(printf 'fin\nrst')" ] ||
			fail "$h: want a FIN, then a RST"
	done
}

# ---- checks: the Python helper behind tern ---------------------------------

xfer_bytes() { echo $((XFER_MB << 20)); }

# The upload is sent to the backend from the received frames: at least
# half of its segments (a segment the core delivers from its out-of-order
# queue, or one past a share, is copied).
t_upload() {
	local h0 c0 d

	h0=$(ctr ProxyUpHeld)
	c0=$(ctr ProxyUpCopied)
	in_c python3 "$NET_TMP/px.py" upload "$IP4_S" "$PORT" "$(xfer_bytes)"
	d=$(($(ctr ProxyUpHeld) - h0))
	echo "    $d segments sent from their frames, $(($(ctr ProxyUpCopied) - c0)) copied"
	[ "$d" -ge $(($(xfer_bytes) / 1448 / 2)) ] || fail "only $d segments sent from their frames"
	idle_clean
}

t_download() {
	local in0

	in0=$(inplace_mark)
	in_c python3 "$NET_TMP/px.py" download "$IP4_S" "$PORT" "$(xfer_bytes)" 100000
	inplace_since "$in0" "$(xfer_bytes)"
	wait_until grep -q '^after 100000$' "$NET_TMP/events" ||
		fail "the backend did not get the bytes sent after its FIN"
	idle_clean
}

t_v6_both() {
	in_c python3 "$NET_TMP/px.py" upload "$IP6_S" "$PORT" 4194304
	in_c python3 "$NET_TMP/px.py" download "$IP6_S" "$PORT" 4194304 10
	idle_clean
}

# Both directions with a peer that reads in bursts behind a small receive
# buffer: the windows close and open again many times while the rings
# wrap; byte-exact (SHA-256) at both ends.
t_bursts() {
	in_c python3 "$NET_TMP/px.py" upload "$IP4_S" "$PORT" $((16 << 20)) sink_burst
	in_c python3 "$NET_TMP/px.py" burst_reader "$IP4_S" "$PORT" $((16 << 20))
	idle_clean
}

# Six downloads at once through queues of 256 UMEM frames: a worker lets
# the proxy hold 32 (frames / 8), a connection 16 (half of that; the
# 4 MiB --proxy-buf alone would allow 4096), so the connections wait at
# their share and, three or more on one of the two workers, for each
# other's buffers; every byte arrives intact and every buffer comes back.
t_frame_bounds() {
	local pids=() p q0 n0

	q0=$(ctr ProxyFrameQuotaFull)
	n0=$(($(qtot app_frame_limit) + $(ctr ProxyFrameNone)))
	for _ in 1 2 3 4 5 6; do
		in_c python3 "$NET_TMP/px.py" download "$IP4_S" "$PORT" $((16 << 20)) 10 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "a download failed"
	done
	echo "    ProxyFrameQuotaFull +$(($(ctr ProxyFrameQuotaFull) - q0)), worker limit" \
		"+$(($(qtot app_frame_limit) + $(ctr ProxyFrameNone) - n0))"
	[ "$(ctr ProxyFrameQuotaFull)" -gt "$q0" ] || fail "no connection reached its share"
	# at least three of the six share a worker: 48 buffers wanted of 32
	[ $(($(qtot app_frame_limit) + $(ctr ProxyFrameNone))) -gt "$n0" ] ||
		fail "no worker reached its share"
	idle_clean
}

# Six clients upload to a backend that does not read, through queues of
# 256 frames: each worker lets the proxy hold 32 (frames / 8), the
# uploads half of that, a connection 16 both ways, so the stalled uploads
# hold at most 16 received frames per queue and copy the rest; the fill
# ring keeps its frames and the buffers from the backends their half, so
# another client's upload and download on the same workers go through,
# intact.
t_up_stalled() {
	local pids=() p i c0 n0 rx

	c0=$(ctr ProxyUpCopied)
	n0=$(($(ctr ProxyFrameQuotaFull) + $(ctr ProxyFrameNone)))
	rm -f "$NET_TMP"/stall.*
	for i in 1 2 3 4 5 6; do
		in_c python3 "$NET_TMP/px.py" flood_slow "$IP4_S" "$PORT" 2 "$NET_TMP/stall.$i" 8 &
		pids+=($!)
		net_bg_pid $!
	done
	for i in 1 2 3 4 5 6; do
		wait_until test -s "$NET_TMP/stall.$i" || fail "stalled client $i did not finish"
	done
	rx=$(qtot frames_app_rx)
	echo "    stalled: app_rx $rx, ProxyUpFrames $(ctr ProxyUpFrames), copied" \
		"+$(($(ctr ProxyUpCopied) - c0)), at a share" \
		"+$(($(ctr ProxyFrameQuotaFull) + $(ctr ProxyFrameNone) - n0))"
	[ "$rx" -gt 0 ] && [ "$rx" -le 32 ] || fail "app_rx $rx, want 1..32 (16 per queue)"
	[ "$(ctr ProxyUpShareFull)" -gt 0 ] || fail "the uploads never reached their half"
	[ "$(ctr ProxyUpCopied)" -gt "$c0" ] || fail "no upload segment copied at a share"
	in_c python3 "$NET_TMP/px.py" upload "$IP4_S" "$PORT" $((4 << 20)) ||
		fail "upload beside the stalled ones failed"
	in_c python3 "$NET_TMP/px.py" download "$IP4_S" "$PORT" $((4 << 20)) 10 ||
		fail "download beside the stalled ones failed"
	for p in "${pids[@]}"; do
		wait "$p" || fail "a stalled client failed"
	done
	idle_clean
}

t_backend_rst() {
	local before

	before=$(ctr ProxyBackendResets)
	in_c python3 "$NET_TMP/px.py" expect_reset "$IP4_S" "$PORT" rst 10
	wait_until ctr_is ProxyBackendResets $((before + 1)) || fail "ProxyBackendResets did not move"
	idle_clean
}

t_client_rst() {
	local before

	before=$(ctr ProxyClientResets)
	: >"$NET_TMP/events"
	in_c python3 "$NET_TMP/px.py" abort_mid "$IP4_S" "$PORT" $((1 << 30)) 1048576
	wait_until grep -q '^source-error ConnectionResetError$' "$NET_TMP/events" ||
		fail "the backend did not see a reset: $(grep '^source' "$NET_TMP/events")"
	grep '^source-error' "$NET_TMP/events" | sed 's/^/    backend: /'
	wait_until ctr_is ProxyClientResets $((before + 1)) || fail "ProxyClientResets did not move"
	idle_clean
}

# A backend that never reads: the client's window closes, tern holds a
# full ring toward it, at least the size it starts at (PBUF_INIT) and at
# most --proxy-buf (PBUF; the ring grows only while the backend's kernel
# takes all of it), and the daemon's memory stays flat.
# (a function: wait_until re-runs it)
slow_closed_since() { [ "$(grep -c '^slow closed' "$NET_TMP/events")" -gt "$1" ]; }

t_slow() {
	local rss0 rss1 sent q pid closed0

	rm -f "$NET_TMP/slow.sent"
	closed0=$(grep -c '^slow closed' "$NET_TMP/events" 2>/dev/null || true)
	rss0=$(rss_kb)
	in_c python3 "$NET_TMP/px.py" flood_slow "$IP4_S" "$PORT" 4 "$NET_TMP/slow.sent" 3 &
	pid=$!
	net_bg_pid $pid
	wait_until test -s "$NET_TMP/slow.sent" || wait_until test -s "$NET_TMP/slow.sent" ||
		fail "flood client did not finish"
	q=$(ctr ProxyQueuedToBackend)
	rss1=$(rss_kb)
	sent=$(cat "$NET_TMP/slow.sent")
	echo "    client socket took $sent bytes in 4 s; tern holds $q toward the backend;" \
		"RSS $rss0 -> $rss1 KiB"
	# the ring toward the backend is full: at least half of its first size
	# (a smaller buffer, or one the option did not size, fails), at most
	# --proxy-buf
	[ "$q" -ge $((PBUF_INIT / 2)) ] && [ "$q" -le "$PBUF" ] ||
		fail "ProxyQueuedToBackend $q, want $((PBUF_INIT / 2))..$PBUF (--proxy-buf $PBUF)"
	[ "$sent" -lt $((48 << 20)) ] || fail "the client was never held back"
	[ $((rss1 - rss0)) -lt 16384 ] || fail "RSS grew by $((rss1 - rss0)) KiB"
	wait "$pid" || fail "flood client failed"
	wait_until slow_closed_since "${closed0:-0}" || fail "the backend was not closed"
	idle_clean
}

# A client that does not read: tern stops reading the backend once its
# queue toward the client holds --proxy-buf (PBUF) or the connection's
# share of UMEM buffers (PBUF / 1 KiB buffers, at most half of the
# eighth of --frames a worker lends: 256 of the default 4096), each
# holding up to an MSS (1448 here), whichever is less: past the share
# the ring takes bytes only while the queue is below twice what the
# client acknowledged over its last round trip (none here) or the
# ring's first size. The transfer then completes.
t_slow_client() {
	local pid q rss0 rss1 bufs=$((PBUF / 1024 < 256 ? PBUF / 1024 : 256)) max

	rm -f "$NET_TMP/stalled"
	rss0=$(rss_kb)
	in_c python3 "$NET_TMP/px.py" slow_reader "$IP4_S" "$PORT" $((64 << 20)) \
		"$NET_TMP/stalled" 3 &
	pid=$!
	net_bg_pid $pid
	wait_until test -e "$NET_TMP/stalled" || fail "slow reader did not connect"
	sleep 2
	q=$(ctr ProxyQueuedToClient)
	rss1=$(rss_kb)
	echo "    client not reading: tern holds $q bytes toward it; RSS $rss0 -> $rss1 KiB"
	max=$((bufs * 1448 < PBUF ? bufs * 1448 : PBUF))
	[ "$q" -ge $((max / 2)) ] && [ "$q" -le "$max" ] ||
		fail "ProxyQueuedToClient $q, want $((max / 2))..$max (--proxy-buf $PBUF, $bufs buffers)"
	[ $((rss1 - rss0)) -lt 16384 ] || fail "RSS grew by $((rss1 - rss0)) KiB"
	wait "$pid" || fail "slow reader failed"
	idle_clean
}

# ---- checks: failures, PROXY protocol, balance, health, defer-accept ---------

# Refused (nothing listens) and unreachable (no answer: timeout) backends,
# round robin per queue: four connections reach both on some queue.
t_backend_down() {
	for _ in 1 2 3 4; do
		in_c python3 "$NET_TMP/px.py" expect_reset "$IP4_S" "$PORT" - 10
	done
	wait_until ctr_ge ProxyBackendConnectFails 1 || fail "ProxyBackendConnectFails did not move"
	wait_until ctr_ge ProxyBackendConnectTimeouts 1 ||
		fail "ProxyBackendConnectTimeouts did not move"
	echo "    fails $(ctr ProxyBackendConnectFails), timeouts $(ctr ProxyBackendConnectTimeouts)"
	idle_clean
}

# pp_check FAMILY_ADDR CLIENT_ADDR: nginx answers with $proxy_protocol_addr.
pp_check() {
	local body

	body=$(in_c curl -sS --max-time 10 -g "http://$1/") || fail "curl $1"
	echo "    nginx: proxy_protocol_addr/port $body"
	[ "${body% *}" = "$2" ] || fail "nginx saw '$body', want $2"
}

t_proxy_protocol() {
	: >"$NET_TMP/pp.log"
	pp_check "$IP4_S" "$IP4_C"
	pp_check "[$IP6_S]" "$IP6_C"
	wait_until grep -q "^$IP4_C [0-9]* $IP4_BS\$" "$NET_TMP/pp.log" ||
		fail "nginx's log lacks the IPv4 client"
	grep -q "^$IP6_C [0-9]* $IP4_BS\$" "$NET_TMP/pp.log" || fail "nginx's log lacks the IPv6 client"
	idle_clean
}

# ids N: the bodies of N requests, one per line.
ids() {
	for _ in $(seq "$1"); do
		in_c curl -sS --max-time 10 "http://$IP4_S/id" || echo ERR
	done
}

t_health() {
	local out pid

	out=$(ids 20)
	[ "$(echo "$out" | grep -c '^A$')" -ge 5 ] && [ "$(echo "$out" | grep -c '^B$')" -ge 5 ] ||
		fail "round robin: $(echo "$out" | sort | uniq -c | tr '\n' ' ')"
	echo "    round robin: $(echo "$out" | sort | uniq -c | tr -s ' \n' ' ')"
	kill "$(cat "$NET_TMP/b.pid")"
	wait_until ctr_is ProxyBackendsHealthy "$QUEUES" || fail "B not taken out: $(app_stats)"
	echo "    B out: down $(ctr ProxyBackendDown), health fails $(ctr ProxyHealthFails)"
	out=$(ids 10)
	[ "$(echo "$out" | grep -c '^A$')" = 10 ] || fail "with B out: $(echo "$out" | tr '\n' ' ')"
	start_b
	wait_until ctr_is ProxyBackendsHealthy $((2 * QUEUES)) || fail "B not put back"
	echo "    B back: up $(ctr ProxyBackendUp)"
	out=$(ids 10)
	echo "$out" | grep -q '^B$' || fail "B back but unused: $(echo "$out" | tr '\n' ' ')"
	idle_clean
}

start_b() {
	rm -f "$NET_TMP/ready-9006"
	ip netns exec "$NS_B" python3 "$NET_TMP/px.py" serve "$IP4_B" "$NET_TMP" 9006 http_id &
	echo $! >"$NET_TMP/b.pid"
	net_bg_pid $!
	disown $! # killed on purpose: no "Terminated" from the shell
	wait_until test -e "$NET_TMP/ready-9006"
}

# One queue: a held connection takes the first backend; least connections
# sends every later one to the other.
t_leastconn() {
	local out

	in_c python3 "$NET_TMP/px.py" hold "$IP4_S" "$PORT" "$NET_TMP/held3" &
	net_bg_pid $!
	wait_until test -e "$NET_TMP/held3" || fail "held client did not connect"
	wait_until ctr_is ProxyConns 1 || fail "held connection not relayed"
	out=$(ids 10)
	[ "$(echo "$out" | sort -u)" = B ] || fail "leastconn: $(echo "$out" | tr '\n' ' ')"
}

t_defer() {
	local c0

	c0=$(ctr ProxyBackendConnects)
	in_c python3 "$NET_TMP/px.py" expect_reset "$IP4_S" "$PORT" - 10
	wait_until ctr_is ProxyDeferTimeouts 1 || fail "ProxyDeferTimeouts $(ctr ProxyDeferTimeouts)"
	[ "$(ctr ProxyBackendConnects)" = "$c0" ] || fail "a silent client reached the backend"
	[ "$(in_c curl -sS --max-time 10 "http://$IP4_S/id")" = A ] || fail "curl with defer-accept"
	[ "$(ctr ProxyBackendConnects)" = $((c0 + 1)) ] || fail "ProxyBackendConnects"
	idle_clean
}

# Option errors: exit 2 with one "Error:" line, before touching anything.
t_options() {
	local a out rc

	for a in "" "--backend 10.0.0.1" "--backend 10.0.0.1:80 --proxy-buf 5000" \
		"--backend 10.0.0.1:80 --proxy-buf 128k,64k" "--backend 10.0.0.1:80 --proxy-buf 6k,64k" \
		"--backend 10.0.0.1:80 --proxy-protocol v3" "--backend 10.0.0.1:80 --balance x" \
		"--backend 10.0.0.1:80 --defer-accept 0" "--backend [::1]80"; do
		rc=0
		# shellcheck disable=SC2086
		out=$(in_s "$TERN" --dev "$DEV_S" --addr 10.0.0.1 --port 80 --app proxy $a 2>&1) || rc=$?
		[ "$rc" = 2 ] && [ "$(echo "$out" | grep -c '^Error: ')" = 1 ] ||
			fail "'$a': exit $rc, '$out'"
	done
	rc=0
	in_s "$TERN" --dev "$DEV_S" --addr 10.0.0.1 --port 80 --backend 10.0.0.1:80 2>/dev/null || rc=$?
	[ "$rc" = 2 ] || fail "--backend without --app proxy: exit $rc"
}

# ---- checks: reload and drain ------------------------------------------------

# write_conf LINE...: the daemon's configuration file.
write_conf() { printf '%s\n' "$@" >"$NET_TMP/px.conf"; }

# reload_ok REGEX: ternctl reload succeeds and one line of its output matches.
reload_ok() {
	local out

	out=$(in_s "$TERNCTL" reload --dev "$DEV_S" --ctl "$CTL" 2>&1) || fail "reload: $out"
	echo "$out" | sed 's/^/    reload: /'
	echo "$out" | grep -qE "$1" || fail "reload did not say '$1'"
}

# keep_start N: N kept-alive connections asking /id until keep_stop.
KPID=
keep_start() {
	rm -f "$NET_TMP/k-ready" "$NET_TMP/k-stop" "$NET_TMP/k-out"
	in_c python3 "$NET_TMP/px.py" keep_ids "$IP4_S" "$PORT" "$1" "$NET_TMP/k-ready" \
		"$NET_TMP/k-stop" "$NET_TMP/k-out" &
	KPID=$!
	net_bg_pid $KPID
	wait_until test -e "$NET_TMP/k-ready" || fail "kept-alive clients did not start"
}

# keep_stop ID: every kept-alive connection ended without an error, having
# been answered by backend ID only.
keep_stop() {
	touch "$NET_TMP/k-stop"
	wait "$KPID" || fail "a kept-alive connection failed"
	sed 's/^/    kept-alive: requests, ids: /' "$NET_TMP/k-out"
	! grep -v " $1=[0-9]*$" "$NET_TMP/k-out" | grep -q . ||
		fail "a kept-alive connection changed backend"
}

# wrk_clean NAME PID: that wrk ended with requests, no error, no non-2xx.
wrk_clean() {
	wait "$2" || fail "wrk $1 failed"
	grep -E 'requests in|Requests/sec' "$NET_TMP/$1" | sed "s/^/    $1: /"
	! grep -qE 'Non-2xx|Socket errors' "$NET_TMP/$1" || {
		cat "$NET_TMP/$1" >&2
		fail "wrk $1 saw errors"
	}
}

# Under load through A: reload to A+B, then to B only. No client sees an
# error; established connections stay on A (and end normally after A has
# left the set); new ones use the new set.
t_reload() {
	local w1 w2 out

	keep_start 4
	in_c wrk -t1 -c8 -d6s "http://$IP4_S/id" >"$NET_TMP/wrk-ka" 2>&1 &
	w1=$!
	in_c wrk -t1 -c8 -d6s -H 'Connection: close' "http://$IP4_S/id" >"$NET_TMP/wrk-close" 2>&1 &
	w2=$!
	sleep 1
	write_conf "backend = $IP4_B:8080" "backend = $IP4_B:8082" "health-interval = 0"
	reload_ok "^backends: applied \($IP4_B:8080 $IP4_B:8082\)$"
	# wrk's connections move the round-robin cursors too: 20 samples, at
	# least 2 of each (a fair coin fails this once in 25,000 runs)
	out=$(ids 20)
	[ "$(echo "$out" | grep -c '^A$')" -ge 2 ] && [ "$(echo "$out" | grep -c '^B$')" -ge 2 ] ||
		fail "A+B: $(echo "$out" | sort | uniq -c | tr -s ' \n' ' ')"
	echo "    A+B: $(echo "$out" | sort | uniq -c | tr -s ' \n' ' ')"
	write_conf "backend = $IP4_B:8082" "health-interval = 0"
	reload_ok "^backends: applied \($IP4_B:8082\)$"
	out=$(ids 10)
	[ "$(echo "$out" | sort -u)" = B ] || fail "B only: $(echo "$out" | tr '\n' ' ')"
	echo "    B only: 10 of 10 on B"
	wrk_clean wrk-ka "$w1"
	wrk_clean wrk-close "$w2"
	keep_stop A
	[ "$(ctr ProxyBackendConnectFails)" = 0 ] && [ "$(ctr ProxyNoBackend)" = 0 ] ||
		fail "connect failures: $(app_stats)"
	idle_clean
}

# Health settings take effect at a reload (checks were off).
t_reload_health() {
	local c0

	c0=$(ctr ProxyHealthChecks)
	write_conf "backend = $IP4_B:8082" "health-interval = 200ms" "health-timeout = 500ms" \
		"health-fall = 1"
	reload_ok "^health: applied \(interval 200 ms, timeout 500 ms, rise 2, fall 1\)$"
	wait_until ctr_ge ProxyHealthChecks $((c0 + 2 * QUEUES)) ||
		fail "no health checks after the reload: $(app_stats)"
	echo "    health checks: $c0 -> $(ctr ProxyHealthChecks)"
	write_conf "backend = $IP4_B:8082" "health-interval = 0"
	reload_ok "^health: applied \(checks off"
	reload_ok "^no change$"
}

# ternctl drain B: new connections go to A only, B's kept-alive ones
# finish on it; the mark survives a reload and ternctl undrain lifts it.
t_drain() {
	local out

	keep_start 2 # on B, the only backend
	write_conf "backend = $IP4_B:8080" "backend = $IP4_B:8082" "health-interval = 0"
	reload_ok "^backends: applied"
	out=$(in_s "$TERNCTL" drain --dev "$DEV_S" --ctl "$CTL" "$IP4_B:8082") || fail "drain: $out"
	echo "    $out"
	wait_until ctr_is ProxyBackendsDrained "$QUEUES" || fail "not drained: $(app_stats)"
	in_s "$TERNCTL" stats --dev "$DEV_S" --ctl "$CTL" | grep -q "ProxyBackendsDrained *$QUEUES$" ||
		fail "ternctl stats does not show ProxyBackendsDrained $QUEUES"
	out=$(ids 10)
	[ "$(echo "$out" | sort -u)" = A ] || fail "drained B got: $(echo "$out" | tr '\n' ' ')"
	reload_ok "^no change$"
	out=$(ids 6)
	[ "$(echo "$out" | sort -u)" = A ] || fail "after a reload: $(echo "$out" | tr '\n' ' ')"
	keep_stop B
	out=$(in_s "$TERNCTL" undrain --dev "$DEV_S" --ctl "$CTL" "$IP4_B:8082") || fail "undrain: $out"
	echo "    $out"
	wait_until ctr_is ProxyBackendsDrained 0 || fail "still drained"
	out=$(ids 10)
	echo "$out" | grep -q '^B$' || fail "undrained B unused: $(echo "$out" | tr '\n' ' ')"
	! in_s "$TERNCTL" drain --dev "$DEV_S" --ctl "$CTL" "$IP4_B:9999" 2>"$NET_TMP/err" ||
		fail "drain of an unknown backend succeeded"
	grep -q 'not one of the backends' "$NET_TMP/err" || fail "drain error: $(cat "$NET_TMP/err")"
	echo "    $(cat "$NET_TMP/err")"
	idle_clean
}

# ---- run -------------------------------------------------------------------

net_need curl wrk nginx sha256sum
net_setup
# After an RTO Linux moves a flow to another veth queue (another tern
# stack); a NIC's RSS does not.
in_c sysctl -qw net.core.txrehash=0
write_helper
mkdir -p "$NET_TMP/www"
head -c $((XFER_MB << 20)) /dev/urandom >"$NET_TMP/www/big"
start_backends || net_die "backends did not start: $(cat "$NET_TMP/nginx-error.log" 2>/dev/null)"
echo "    transfers: $XFER_MB MiB each way"

t_run "option errors" t_options
write_conf "backend = $IP4_B:8080" "health-interval = 0"
proxy_start --config "$NET_TMP/px.conf" || net_die "tern did not start"
t_run "reload under load: A -> A+B -> B, no client error, kept connections stay" t_reload
FD0= # health check sockets come and go
t_run "reload: health settings" t_reload_health
t_run "ternctl drain / undrain a backend" t_drain
t_run "stop" proxy_stop
proxy_start --backend "$IP4_B:8080" --health-interval 0 || net_die "tern did not start"
t_run "curl through tern (IPv4, IPv6)" t_curl
t_run "wrk keep-alive and Connection: close" t_wrk
t_run "$XFER_MB MiB from nginx, digest equal" t_curl_big
t_run "SIGTERM with relayed connections open" t_stop_open

proxy_start --backend "$IP4_B:9000" --health-interval 0 || net_die "tern did not start"
t_run "$XFER_MB MiB to the backend; client half-close" t_upload
t_run "$XFER_MB MiB from the backend; backend half-close" t_download
t_run "IPv6 client, both ways" t_v6_both
t_run "both ways, peers reading in bursts (windows close and reopen)" t_bursts
t_run "backend RST -> client RST" t_backend_rst
t_run "client RST mid-transfer -> backend reset" t_client_rst
t_run "backend that does not read: bounded" t_slow
t_run "client that does not read: bounded" t_slow_client
t_run "stop" proxy_stop

# The rings grew: every connection above filled its 4 KiB one.
t_grew() {
	echo "    ProxyBufGrows $(ctr ProxyBufGrows), ProxyBufBytes $(ctr ProxyBufBytes)"
	[ "$(ctr ProxyBufGrows)" -ge 2 ] || fail "ProxyBufGrows $(ctr ProxyBufGrows), want >= 2"
}

# A non-default --proxy-buf: the rings start at 4 KiB and grow to 16 KiB,
# the bounds follow the maximum, and transfers wrap the rings many times.
PBUF=16384
PBUF_INIT=4096
proxy_start --backend "$IP4_B:9000" --health-interval 0 --proxy-buf "4096,$PBUF" ||
	net_die "tern did not start"
t_run "--proxy-buf 4096,$PBUF: IPv6 client, both ways" t_v6_both
t_run "--proxy-buf 4096,$PBUF: both ways, peers reading in bursts" t_bursts
t_run "--proxy-buf 4096,$PBUF: backend that does not read: bounded" t_slow
t_run "--proxy-buf 4096,$PBUF: client that does not read: bounded" t_slow_client
t_run "--proxy-buf 4096,$PBUF: the rings grew" t_grew
t_run "stop" proxy_stop
PBUF=4194304
PBUF_INIT=65536

proxy_start --backend "$IP4_B:9000" --health-interval 0 --frames 256 ||
	net_die "tern did not start"
t_run "--frames 256: six downloads at the UMEM buffer bounds" t_frame_bounds
t_run "--frames 256: six uploads to a backend that does not read" t_up_stalled
t_run "stop" proxy_stop

proxy_start --backend "$IP4_B:9999" --backend "$IP4_GONE:80" --backend-timeout 500 \
	--health-interval 0 || net_die "tern did not start"
t_run "backend refused / unreachable -> client RST, counted" t_backend_down
t_run "stop" proxy_stop

proxy_start --backend "$IP4_B:8081" --proxy-protocol v1 --health-interval 0 ||
	net_die "tern did not start"
t_run "PROXY v1 parsed by nginx" t_proxy_protocol
t_run "stop" proxy_stop
proxy_start --backend "$IP4_B:8081" --proxy-protocol v2 --health-interval 0 ||
	net_die "tern did not start"
t_run "PROXY v2 parsed by nginx" t_proxy_protocol
t_run "stop" proxy_stop

start_b || net_die "backend B did not start"
proxy_start --backend "$IP4_B:8080" --backend "$IP4_B:9006" --balance rr \
	--health-interval 200 --health-timeout 1000 --health-rise 2 --health-fall 2 ||
	net_die "tern did not start"
FD0= # health check sockets come and go
t_run "round robin; health check takes B out and puts it back" t_health
t_run "stop" proxy_stop

# Every client segment on queue 0 (XPS on the client's veth: veth delivers
# on the receive queue numbered as the transmit queue), so one worker
# sees every connection.
xps() { in_c sh -c "echo $2 >/sys/class/net/$DEV_C/queues/tx-$1/xps_cpus"; }
XPS0=$(in_c cat "/sys/class/net/$DEV_C/queues/tx-0/xps_cpus")
XPS1=$(in_c cat "/sys/class/net/$DEV_C/queues/tx-1/xps_cpus")
xps 1 0 && xps 0 3 || net_die "cannot set XPS on $DEV_C"
QUEUES=1
tern_start --addr "$IP4_S" --port "$PORT" --queues 1 --allow-unserved-queues --cpus 0 --app proxy \
	--ctl "$NET_TMP/lc.sock" --backend "$IP4_B:8080" --backend "$IP4_B:8082" \
	--balance leastconn --health-interval 0 || net_die "tern did not start"
CTL=$NET_TMP/lc.sock
FD0=$(fd_count)
t_run "least connections" t_leastconn
t_run "stop" proxy_stop
QUEUES=2
xps 0 "$XPS0" && xps 1 "$XPS1" || net_die "cannot restore XPS on $DEV_C"

proxy_start --backend "$IP4_B:8080" --defer-accept 1 --health-interval 0 ||
	net_die "tern did not start"
t_run "defer-accept: silent client reset, backend untouched" t_defer
t_run "stop" proxy_stop

net_finish
