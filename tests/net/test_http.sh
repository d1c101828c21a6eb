#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The tern daemon with --app http and --app discard on a veth pair: curl
# (HTTP/1.0, keep-alive reuse, Connection: close, IPv6), a raw pipelining
# client, ab and wrk as real clients, a 301 with Location, malformed and
# oversized requests, the idle timeout, and discard of 1 MiB.
#   tests/net/test_http.sh BUILD_DIR
NET_SUITE=test_http
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
PORT=80
QUEUES=2

write_client() {
	cat >"$NET_TMP/client.py" <<'PYEOF'
import os, socket, sys, time

def conn(host, port):
    s = socket.create_connection((host, int(port)), timeout=10)
    return s

def read_responses(s, n):
    """Reads n responses (Content-Length framed); returns [(status, head, body)]."""
    buf, out = b"", []
    while len(out) < n:
        while b"\r\n\r\n" not in buf:
            b = s.recv(65536)
            if not b:
                sys.exit("EOF after %d of %d responses" % (len(out), n))
            buf += b
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        clen = 0
        for l in lines[1:]:
            k, v = l.split(b":", 1)
            if k.strip().lower() == b"content-length":
                clen = int(v)
        if head.startswith(b"HEAD"):
            clen = 0
        while len(buf) < clen:
            b = s.recv(65536)
            if not b:
                sys.exit("EOF in a body")
            buf += b
        out.append((status, head, buf[:clen]))
        buf = buf[clen:]
    return out, buf

def pipeline(host, port):
    """Three requests in one write (GET, HEAD, GET) on one connection, then
    a request split over three writes: four responses, in order."""
    s = conn(host, port)
    get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    s.sendall(get + b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get)
    r, rest = read_responses(s, 3)
    assert [x[0] for x in r] == [200, 200, 200], r
    assert r[0][2] == b"tern\n" and r[2][2] == b"tern\n", r
    # the HEAD response has no body: the third one starts right after it
    assert b"Content-Length: 5" in r[1][1] and rest == b"", (r, rest)
    for part in (b"GET / HT", b"TP/1.1\r\nHost: x\r", b"\n\r\n"):
        s.sendall(part)
        time.sleep(0.05)
    r, rest = read_responses(s, 1)
    assert r[0][0] == 200 and r[0][2] == b"tern\n" and rest == b""
    # 200 pipelined requests in one go
    s.sendall(get * 200)
    r, rest = read_responses(s, 200)
    assert all(x[0] == 200 and x[2] == b"tern\n" for x in r) and rest == b""
    s.close()
    print("    4 + 200 pipelined responses in order")

def raw(host, port, want, data):
    """Sends data, reads to EOF (tern must close): the status must be want."""
    s = conn(host, port)
    t0 = time.monotonic()
    s.sendall(data.encode("latin-1") if isinstance(data, str) else data)
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    line = got.split(b"\r\n", 1)[0].decode()
    if not line.startswith("HTTP/1.1 %s " % want):
        sys.exit("expected %s, got %r after %.2f s" % (want, got[:200], time.monotonic() - t0))
    print("    %s, then EOF from tern (%.2f s)" % (line, time.monotonic() - t0))

def idle(host, port, secs):
    """A keep-alive connection left idle is closed by tern after about secs."""
    s = conn(host, port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    read_responses(s, 1)
    t0 = time.monotonic()
    s.settimeout(float(secs) + 5)
    b = s.recv(100)
    dt = time.monotonic() - t0
    assert b == b"", b
    assert float(secs) - 0.5 < dt < float(secs) + 3, dt
    print("    closed by tern after %.2f s idle" % dt)

def reload_keepalive(host, port, ready, go):
    """One kept-alive connection: a request answered with the start's
    response; `ready` is created, and once `go` exists (the daemon has
    reloaded) the next request on the same connection and one on a new
    connection get the new response (503 "moved")."""
    s = conn(host, port)
    get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    s.sendall(get)
    r, _ = read_responses(s, 1)
    assert r[0][0] == 200 and r[0][2] == b"tern\n", r
    open(ready, "w").close()
    t0 = time.time()
    while not os.path.exists(go):
        assert time.time() < t0 + 30, "no reload"
        time.sleep(0.05)
    s.sendall(get)
    r, _ = read_responses(s, 1)
    assert r[0][0] == 503 and r[0][2] == b"moved\n", r
    assert b"\r\nX-Reloaded: yes" in r[0][1], r
    s.close()
    n = conn(host, port)
    n.sendall(get)
    r, _ = read_responses(n, 1)
    assert r[0][0] == 503 and r[0][2] == b"moved\n", r
    n.close()
    print("    kept-alive and new connection: %d %r" % (r[0][0], r[0][2]))

def discard(host, port, n):
    s = conn(host, port)
    s.sendall(b"\0" * int(n))
    s.shutdown(socket.SHUT_WR)
    got = s.recv(65536)
    assert got == b"", "discard sent %d bytes back" % len(got)
    s.close()
    print("    %d bytes sent, nothing back, closed by tern" % int(n))

cmd = sys.argv[1]
if cmd == "raw":
    raw(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].encode().decode("unicode_escape"))
elif cmd == "big":
    # exactly the 8 KiB window tern offers, no end of head: more would be
    # answered with a RST after tern's close
    pre = "GET / HTTP/1.1\r\nX-Pad: "
    raw(sys.argv[2], sys.argv[3], sys.argv[4], pre + "a" * (8192 - len(pre)))
else:
    globals()[cmd](*sys.argv[2:])
PYEOF
}

client() { in_c timeout 60 python3 "$NET_TMP/client.py" "$@"; }

# start_tern [ARGS]: as in test_echo.sh.
start_tern() {
	rm -f "$NET_TMP/tern.pid" "$NET_TMP/tern.rc"
	(
		set +e
		sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$NET_TMP/tern.pid" \
			ip netns exec "$NS_S" "$TERN" --dev "$DEV_S" --addr "$IP4_S" \
			--addr "$IP6_S" --port "$PORT" --queues "$QUEUES" --cpus 0-1 \
			--bpffs "$NET_BPFFS" "$@" >"$NET_TMP/tern.log" 2>&1 &
		wait $!
		echo $? >"$NET_TMP/tern.rc"
	) 2>/dev/null &
	net_bg_pid $!
	wait_until test -s "$NET_TMP/tern.pid"
	net_bg_pid "$(cat "$NET_TMP/tern.pid")"
	if ! wait_until grep -q '^tern: ready' "$NET_TMP/tern.log"; then
		sed 's/^/    /' "$NET_TMP/tern.log" >&2
		return 1
	fi
}

# stop_tern: SIGTERM, exit 0, every frame accounted for.
stop_tern() {
	local rc

	kill -TERM "$(cat "$NET_TMP/tern.pid")"
	wait_until test -s "$NET_TMP/tern.rc" || fail "tern did not exit"
	rc=$(cat "$NET_TMP/tern.rc")
	[ "$rc" = 0 ] || { sed 's/^/    /' "$NET_TMP/tern.log" >&2; fail "tern exited $rc"; }
	[ "$(grep -c 'frames: total .*: ok$' "$NET_TMP/tern.log")" = "$QUEUES" ] ||
		fail "frame accounting: not every queue says ok"
}

URL4=http://$IP4_S/
URL6=http://[$IP6_S]/

# ---- checks ------------------------------------------------------------------

t_curl10() {
	local out

	out=$(in_c curl -sS -0 -v -m 10 "$URL4" 2>&1)
	grep -q '^> GET / HTTP/1.0' <<<"$out" || fail "curl -0 did not send HTTP/1.0: $out"
	grep -q '^< HTTP/1.1 200 OK' <<<"$out" || fail "curl -0: $out"
	grep -q '^< Connection: close' <<<"$out" || fail "curl -0: not closed: $out"
	grep -q '^tern$' <<<"$out" || fail "curl -0: no body: $out"
}

t_curl_keepalive() {
	local out

	out=$(in_c curl -sS -v -m 10 "$URL4" "$URL4" 2>&1)
	grep -q 'Re-using existing connection' <<<"$out" || fail "no reuse: $out"
	[ "$(grep -c '^tern$' <<<"$out")" = 2 ] || fail "two bodies expected: $out"
	grep -q '< Connection: keep-alive' <<<"$out" || fail "no keep-alive header"
}

t_curl_close() {
	local out

	out=$(in_c curl -sS -v -m 10 -H 'Connection: close' "$URL4" 2>&1)
	grep -q '< HTTP/1.1 200 OK' <<<"$out" || fail "$out"
	grep -q '< Connection: close' <<<"$out" || fail "no Connection: close: $out"
	# tern closes first: EOF without the client closing
	client raw "$IP4_S" "$PORT" 200 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	client raw "$IP4_S" "$PORT" 200 'GET / HTTP/1.0\r\n\r\n'
}

t_curl6() {
	local out

	out=$(in_c curl -sS -g -m 10 -w ' %{http_code}' "$URL6")
	[ "$out" = $'tern\n 200' ] || fail "curl IPv6: $out"
}

t_pipeline() { client pipeline "$IP4_S" "$PORT"; }

t_bad() {
	client raw "$IP4_S" "$PORT" 400 'hello world\r\n\r\n'
	client raw "$IP4_S" "$PORT" 400 'GET / HTTP/9.9\r\n\r\n'
	client raw "$IP4_S" "$PORT" 400 'POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc'
	client big "$IP4_S" "$PORT" 431
}

# ab: no failed requests, no non-2xx (HTTP/1.0: one connection per request,
# tern closes each; then -k keep-alive).
ab_check() {
	local out=$1 n=$2

	grep -q "^Complete requests: *$n\$" <<<"$out" || fail "ab: $(grep -E 'Complete|Failed' <<<"$out")"
	grep -q '^Failed requests: *0$' <<<"$out" || fail "ab: $(grep -A4 'Failed' <<<"$out")"
	! grep -q 'Non-2xx' <<<"$out" || fail "ab: $(grep 'Non-2xx' <<<"$out")"
	echo "    ab $3: $(grep 'Requests per second' <<<"$out" | tr -s ' ')"
}

t_ab() {
	local out

	out=$(in_c timeout 60 ab -q -n 3000 -c 20 -s 10 "$URL4" 2>&1) || fail "ab: $out"
	ab_check "$out" 3000 "-c 20"
	out=$(in_c timeout 60 ab -q -k -n 3000 -c 20 -s 10 "$URL4" 2>&1) || fail "ab -k: $out"
	ab_check "$out" 3000 "-k -c 20"
	grep -q '^Keep-Alive requests: *3000$' <<<"$out" || fail "ab -k: not all keep-alive"
}

t_wrk() {
	local out

	out=$(in_c timeout 30 wrk -t2 -c32 -d3s "$URL4" 2>&1) || fail "wrk: $out"
	! grep -q 'Non-2xx' <<<"$out" || fail "wrk: $(grep 'Non-2xx' <<<"$out")"
	! grep -q 'Socket errors' <<<"$out" || fail "wrk: $(grep 'Socket errors' <<<"$out")"
	grep -Eq '^ +[1-9][0-9]* requests in' <<<"$out" || fail "wrk: no requests: $out"
	echo "    wrk -c32 3 s: $(grep -E 'requests in|Requests/sec' <<<"$out" | tr -s ' ' | tr '\n' ' ')"
}

t_idle() { client idle "$IP4_S" "$PORT" 3; }

t_301() {
	local out

	out=$(in_c curl -sS -m 10 -o /dev/null -w '%{http_code} %{redirect_url}' "$URL4")
	[ "$out" = "301 http://x/" ] || fail "301: $out"
	out=$(in_c curl -sS -m 10 "$URL4")
	[ "$out" = "moved" ] || fail "body: $out"
}

t_errors() {
	local base=(--dev "$DEV_S" --addr "$IP4_S" --port "$PORT" --bpffs "$NET_BPFFS" --app http)
	local rc

	head -c 1048577 /dev/zero >"$NET_TMP/big.body"
	for args in "--http-status 99" "--http-status 600" "--http-idle 0" \
		"--http-body $NET_TMP/nosuchfile" "--http-body $NET_TMP/big.body"; do
		rc=0
		# shellcheck disable=SC2086
		in_s "$TERN" "${base[@]}" $args >/dev/null 2>"$NET_TMP/err" || rc=$?
		[ "$rc" = 2 ] && grep -q '^Error: ' "$NET_TMP/err" || fail "$args: exit $rc"
		echo "    $(head -1 "$NET_TMP/err")"
	done
	for h in 'NoColon' 'Bad Name: x' $'X: a\r\nY: b' 'Content-Length: 3'; do
		rc=0
		in_s "$TERN" "${base[@]}" --http-header "$h" >/dev/null 2>"$NET_TMP/err" || rc=$?
		[ "$rc" = 2 ] && grep -q '^Error: ' "$NET_TMP/err" || fail "--http-header $h: exit $rc"
		echo "    $(head -1 "$NET_TMP/err")"
	done
}

# SIGHUP re-reads the file: the response changes for the next request of a
# kept-alive connection and for new ones, without closing any.
t_reload() {
	rm -f "$NET_TMP/rl-ready" "$NET_TMP/rl-go"
	client reload_keepalive "$IP4_S" "$PORT" "$NET_TMP/rl-ready" "$NET_TMP/rl-go" &
	local cpid=$!
	wait_until test -e "$NET_TMP/rl-ready" || fail "client did not get its first response"
	printf '%s\n' "http-status = 503" "http-body = $NET_TMP/moved.txt" \
		"http-header = X-Reloaded: yes" >"$NET_TMP/http.conf"
	kill -HUP "$(tern_pid)"
	wait_until grep -q 'SIGHUP: reload: http-response: applied' "$NET_TMP/tern.log" || {
		sed 's/^/    /' "$NET_TMP/tern.log" >&2
		fail "no http-response line after SIGHUP"
	}
	grep 'SIGHUP: reload' "$NET_TMP/tern.log" | sed 's/^/    /'
	! grep -q 'needs a restart' "$NET_TMP/tern.log" || fail "a key needs a restart"
	touch "$NET_TMP/rl-go"
	wait "$cpid" || fail "the response did not change on the kept-alive or a new connection"
}

t_discard() {
	client discard "$IP4_S" "$PORT" 1048576
	client discard "$IP6_S" "$PORT" 65536
}

# ---- run ---------------------------------------------------------------------

net_setup
in_c sysctl -qw net.core.txrehash=0
net_need curl ab wrk
write_client

printf 'moved\n' >"$NET_TMP/moved.txt"

start_tern --app http --http-idle 3 || net_die "tern --app http did not start"
t_run "curl HTTP/1.0: 200, body, closed" t_curl10
t_run "curl HTTP/1.1: two URLs on one kept-alive connection" t_curl_keepalive
t_run "Connection: close and HTTP/1.0: response, then tern closes" t_curl_close
t_run "curl over IPv6" t_curl6
t_run "pipelining: in order, split requests, 200 in one write" t_pipeline
t_run "malformed (400), request body (400), 8 KiB head (431): then close" t_bad
t_run "ab (HTTP/1.0 and -k): no failed, no non-2xx" t_ab
t_run "wrk: no errors, no non-2xx" t_wrk
t_run "--http-idle 3: an idle keep-alive connection is closed" t_idle
t_run "SIGTERM: exit 0, frames accounted" stop_tern

start_tern --app http --http-status 301 --http-header 'Location: http://x/' \
	--http-body "$NET_TMP/moved.txt" || net_die "tern --http-status 301 did not start"
t_run "--http-status 301 --http-header Location --http-body" t_301
t_run "SIGTERM: exit 0, frames accounted" stop_tern

t_run "errors: bad --http-status/--http-idle/--http-body/--http-header exit 2" t_errors

printf 'http-status = 200\n' >"$NET_TMP/http.conf"
start_tern --app http --config "$NET_TMP/http.conf" || net_die "tern --config did not start"
t_run "SIGHUP: new status, body and header on a kept-alive and a new connection" t_reload
t_run "SIGTERM: exit 0, frames accounted" stop_tern

start_tern --app discard || net_die "tern --app discard did not start"
t_run "discard: 1 MiB in, nothing back, closed after the client's FIN" t_discard
t_run "SIGTERM: exit 0, frames accounted" stop_tern

net_finish
