#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# XDP steering on a veth pair, with no AF_XDP socket bound: ternctl
# load/status/stats/unload, fallback to the kernel, drops of malformed TCP
# to a service, ternctl's errors, and coexistence with another program
# through libxdp's dispatcher.
#   tests/net/test_xdp.sh BUILD_DIR
NET_SUITE=test_xdp
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
TERNCTL=$(realpath "$1/tools/ternctl")
[ -x "$TERNCTL" ] || { echo "Error: $TERNCTL: not built (make)" >&2; exit 2; }
PORT=8080  # steered
OTHER=9090 # not steered

# ternctl in the server namespace, on the run's bpffs.
ctl() { in_s "$TERNCTL" "$@" --bpffs "$NET_BPFFS"; }
load() { ctl load --dev "$DEV_S" --mode native --addr "$IP4_S" --addr "$IP6_S" --port "$PORT" "$@"; }

# ---- helpers ---------------------------------------------------------------

# snap ARRAY: the XDP counters into an associative array.
snap() {
	local -n _snap=$1
	local k v out

	out=$(ctl stats --dev "$DEV_S" --json)
	while read -r k v; do
		_snap[$k]=$v
	done < <(python3 -c 'import json, sys
for k, v in json.loads(sys.argv[1])["xdp"].items():
    print(k, v)' "$out")
}

counter() {
	local -A c
	snap c
	echo "${c[$1]}"
}

counter_above() { [ "$(counter "$1")" -gt "$2" ]; }

# A TCP client in the client namespace: connects, expects the server's line.
connect() {
	in_c timeout 10 python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
data = s.recv(64)
s.close()
sys.exit(0 if data == b"tern-ok\n" else 1)
EOF
}

# A kernel listener on PORT and OTHER (IPv4 and IPv6) in the server namespace.
start_server() {
	in_s python3 - "$PORT" "$OTHER" "$NET_TMP/ready" <<'EOF' &
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in sys.argv[1:3]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(port)))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
open(sys.argv[3], "w").close()
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        c.sendall(b"tern-ok\n")
        c.close()
EOF
	net_bg_pid $!
	wait_until test -e "$NET_TMP/ready"
}

# Frames made by hand, sent on the client veth (AF_PACKET), so that nothing
# in the client's stack fixes them up. KIND picks the fault.
write_craft() {
	cat >"$NET_TMP/craft.py" <<'EOF'
import random, socket, struct, sys
from pkt import csum  # tests/net/pkt.py (PYTHONPATH)

dev, smac, dmac, s4, d4, s6, d6, port, kind = sys.argv[1:10]
smac, dmac = bytes.fromhex(smac.replace(":", "")), bytes.fromhex(dmac.replace(":", ""))
s4, d4 = socket.inet_pton(socket.AF_INET, s4), socket.inet_pton(socket.AF_INET, d4)
s6, d6 = socket.inet_pton(socket.AF_INET6, s6), socket.inet_pton(socket.AF_INET6, d6)
port = int(port)
FIN, SYN, RST = 1, 2, 4

def tcp(src, dst, flags, doff=5):
    h = struct.pack("!HHIIBBHHH", random.randint(20000, 60000), port, 1000, 0,
                    doff << 4, flags, 65535, 0, 0)
    if len(src) == 4:
        ph = src + dst + struct.pack("!BBH", 0, 6, len(h))
    else:
        ph = src + dst + struct.pack("!IxxxB", len(h), 6)
    return h[:16] + struct.pack("!H", csum(ph + h)) + h[18:]

def ip4(payload, ihl=5, frag=0, tot=None):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 1, frag, 64, 6, 0, s4, d4)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

def ip6(payload, nh=6):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, s6, d6) + payload

def eth(payload, proto, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dmac + smac + tag + struct.pack("!H", proto) + payload

V4, V6 = 0x0800, 0x86dd
frames = {
    "syn": lambda: eth(ip4(tcp(s4, d4, SYN)), V4),
    "synfin": lambda: eth(ip4(tcp(s4, d4, SYN | FIN)), V4),
    "synrst": lambda: eth(ip4(tcp(s4, d4, SYN | RST)), V4),
    "frag_mf": lambda: eth(ip4(tcp(s4, d4, SYN), frag=0x2000), V4),
    "frag_off": lambda: eth(ip4(tcp(s4, d4, SYN), frag=0x0010), V4),
    "doff4": lambda: eth(ip4(tcp(s4, d4, SYN, doff=4)), V4),
    "ihl4": lambda: eth(ip4(tcp(s4, d4, SYN), ihl=4), V4),
    "totlen": lambda: eth(ip4(tcp(s4, d4, SYN), tot=200), V4),
    "v6_synfin": lambda: eth(ip6(tcp(s6, d6, SYN | FIN)), V6),
    "v6_doff15": lambda: eth(ip6(tcp(s6, d6, SYN, doff=15)), V6),
    # Hop-by-hop header (PadN) before TCP: the core takes none, dropped.
    "v6_exthdr": lambda: eth(ip6(bytes([6, 0, 1, 4, 0, 0, 0, 0]) + tcp(s6, d6, SYN), nh=0), V6),
    # ... before UDP: not a service frame, left to the kernel.
    "v6_exthdr_udp": lambda: eth(ip6(bytes([17, 0, 1, 4, 0, 0, 0, 0]) + tcp(s6, d6, SYN), nh=0), V6),
    "vlan_synfin": lambda: eth(ip4(tcp(s4, d4, SYN | FIN)), V4, vlan=100),
}
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
s.send(frames[kind]())
EOF
}


# Sources the client does not own, so that no reply comes back (the
# server's SYN-ACK finds no neighbour) and every count is exact.
craft() {
	in_c env PYTHONPATH="$NET_DIR" python3 "$NET_TMP/craft.py" "$DEV_C" "$MAC_C" "$MAC_S" \
		"10.200.$NET_X.99" "$IP4_S" fd00:200::99 "$IP6_S" "$PORT" "$1"
}

DROPS="XdpDropTcpHdr XdpDropSynFin XdpDropSynRst XdpDropFrag XdpDropIp6Ext XdpDropMartian
XdpNoSocket XdpSteered"

# frame_case KIND COUNTER: one crafted frame moves COUNTER by exactly one
# (XdpPassed: at least one, as neighbour discovery passes too) and no other
# verdict counter.
frame_case() {
	local -A b a
	local k

	snap b
	craft "$1"
	for _ in $(seq 50); do
		snap a
		[ "${a[$2]}" -gt "${b[$2]}" ] && break
		sleep 0.1
	done
	[ "${a[$2]}" = $((b[$2] + 1)) ] || [ "$2" = XdpPassed ] ||
		fail "$1: $2 ${b[$2]} -> ${a[$2]}, expected +1"
	[ "${a[$2]}" -gt "${b[$2]}" ] || fail "$1: $2 did not move"
	for k in $DROPS; do
		[ "$k" = "$2" ] || [ "${a[$k]}" = "${b[$k]}" ] ||
			fail "$1: $k moved too (${b[$k]} -> ${a[$k]})"
	done
}

# expect_error RC CMD...: exit code RC, stderr is one line starting "Error:".
expect_error() {
	local want=$1 rc=0 err

	shift
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, expected $want (stderr: $err)"
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$*: stderr not one line: $err"
	[[ $err == Error:* ]] || fail "$*: stderr does not start with Error: $err"
	echo "    $err"
}

status_json() { ctl status --dev "$DEV_S" --json; }

# py_check JSON EXPR: EXPR (Python, over `s`) must be true.
py_check() {
	python3 -c 'import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" || fail "status: not ($2): $1"
}

no_xdp_on() { ! ip -n "$1" link show "$2" | grep -q 'prog/xdp'; }

# ---- checks ---------------------------------------------------------------

t_load() {
	local out rc=0

	# -v: libbpf's and libxdp's messages, which say why there is no dispatcher.
	out=$(ctl -v load --dev "$DEV_S" --mode native --addr "$IP4_S" --addr "$IP6_S" \
		--port "$PORT" 2>"$NET_TMP/load.log") || rc=$?
	if [ "$rc" != 0 ] && grep -q "^Error:.*Operation not supported" "$NET_TMP/load.log"; then
		skip "native XDP on veth: $(grep ^Error: "$NET_TMP/load.log")"
	fi
	[ "$rc" = 0 ] || fail "load: $(grep ^Error: "$NET_TMP/load.log")"
	echo "    $out"
	test -e "$NET_BPFFS/tern/$DEV_S/tern_counters" || fail "no counters pin"
}

t_malformed() {
	frame_case syn XdpNoSocket
	frame_case synfin XdpDropSynFin
	frame_case synrst XdpDropSynRst
	frame_case frag_mf XdpDropFrag
	frame_case frag_off XdpDropFrag
	frame_case doff4 XdpDropTcpHdr
	frame_case ihl4 XdpDropTcpHdr
	frame_case totlen XdpDropTcpHdr
	frame_case v6_synfin XdpDropSynFin
	frame_case v6_doff15 XdpDropTcpHdr
	frame_case vlan_synfin XdpDropSynFin
	frame_case v6_exthdr XdpDropIp6Ext
	frame_case v6_exthdr_udp XdpPassed
}

t_fallback() {
	local -A b a
	local fam

	for fam in "$IP4_S" "$IP6_S"; do
		snap b
		connect "$fam" "$PORT" || fail "connect to $fam port $PORT failed"
		wait_until counter_above XdpNoSocket "${b[XdpNoSocket]}" ||
			fail "$fam: XdpNoSocket did not move"
		snap a
		[ "${a[XdpSeen]}" -gt "${b[XdpSeen]}" ] || fail "$fam: XdpSeen did not move"
		[ "${a[XdpSteered]}" = "${b[XdpSteered]}" ] || fail "$fam: XdpSteered moved"
	done
}

t_not_steered() {
	local -A b

	snap b
	connect "$IP4_S" "$OTHER" || fail "connect to port $OTHER failed"
	wait_until counter_above XdpPassed $((b[XdpPassed] + 2)) ||
		fail "XdpPassed did not move by 3 (SYN, ACK, FIN)"
}

t_status() {
	local js

	js=$(status_json)
	printf '%s' "$js" | python3 -m json.tool >/dev/null || fail "not JSON: $js"
	py_check "$js" 's["attached"] and s["pinned"] and s["mode"] == "native"'
	py_check "$js" "{'addr': '$IP4_S', 'port': $PORT} in s['services']"
	py_check "$js" "{'addr': '$IP6_S', 'port': $PORT} in s['services']"
	py_check "$js" 'len(s["services"]) == 2 and s["counters"]["XdpSeen"] > 0'
	ctl stats --dev "$DEV_S" --json | python3 -m json.tool >/dev/null
	ctl status --dev "$DEV_S" | grep -q "^  $IP4_S:$PORT\$" || fail "text status"
	ctl stats --dev "$DEV_S" | grep -q '^  XdpSeen ' || fail "text stats"
}

t_errors() {
	local p

	expect_error 1 ctl status --dev "nosuch$NET_SUFFIX"
	expect_error 1 ctl load --dev "nosuch$NET_SUFFIX" --addr "$IP4_S" --port 1
	expect_error 2 ctl load --dev "$DEV_S" --addr 10.200.1.300 --port 80
	expect_error 2 ctl load --dev "$DEV_S" --addr not-an-ip --port 80
	expect_error 2 ctl load --dev "$DEV_S" --addr 0.0.0.0 --port 80
	for p in 0 70000 abc -1 ''; do
		expect_error 2 ctl load --dev "$DEV_S" --addr "$IP4_S" --port "$p"
	done
	expect_error 2 ctl load --dev "$DEV_S" --addr "$IP4_S"
	expect_error 2 ctl load --dev "$DEV_S" --addr "$IP4_S" --port 80 --mode fast
	expect_error 2 ctl status
	expect_error 2 ctl status --dev "$DEV_S" --bogus
	expect_error 2 ctl unload --dev "$DEV_S" --json
	expect_error 2 "$TERNCTL" frobnicate
	expect_error 1 in_c "$TERNCTL" unload --dev "$DEV_C" --bpffs "$NET_BPFFS"
	expect_error 1 in_c "$TERNCTL" status --dev "$DEV_C" --bpffs "$NET_BPFFS"
	expect_error 1 in_c "$TERNCTL" stats --dev "$DEV_C" --bpffs "$NET_BPFFS"
	expect_error 1 in_s "$TERNCTL" status --dev "$DEV_S" --bpffs "$NET_TMP"
	expect_error 1 in_s "$TERNCTL" status --dev "$DEV_S" --bpffs "$NET_TMP/nonexistent"
	if command -v setpriv >/dev/null; then
		expect_error 1 in_s setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$TERNCTL" status --dev "$DEV_S" --bpffs "$NET_BPFFS"
	fi
	for p in load unload status stats; do
		"$TERNCTL" "$p" --help | grep -q "^usage: ternctl $p" || fail "$p --help"
	done
}

# A program attached without libxdp's dispatcher (by iproute2) is not ours
# to replace: load must refuse, naming it.
t_foreign() {
	local err rc=0

	make_other_prog
	in_c ip link set dev "$DEV_C" xdpgeneric obj "$NET_TMP/other.bpf.o" sec xdp
	expect_error 1 in_c "$TERNCTL" load --dev "$DEV_C" --mode skb --addr "$IP4_C" \
		--port 80 --bpffs "$NET_BPFFS"
	err=$(in_c "$TERNCTL" load --dev "$DEV_C" --mode skb --addr "$IP4_C" --port 80 \
		--bpffs "$NET_BPFFS" 2>&1) || rc=$?
	[[ $err == *"without libxdp's dispatcher"* ]] || fail "message: $err"
	in_c ip link set dev "$DEV_C" xdpgeneric off
	[ ! -e "$NET_BPFFS/tern/$DEV_C" ] || fail "pins left for $DEV_C"
}

make_other_prog() {
	[ -e "$NET_TMP/other.bpf.o" ] && return 0
	cat >"$NET_TMP/other.bpf.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int other_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
char _license[] SEC("license") = "GPL";
EOF
	clang -O2 -g -target bpf -I"/usr/include/$(gcc -dumpmachine)" \
		-c -o "$NET_TMP/other.bpf.o" "$NET_TMP/other.bpf.c"
}

xdp_tool() { in_s env LIBXDP_BPFFS="$NET_BPFFS" "$@"; }

# Single program (no dispatcher): xdp-filter must refuse to replace tern,
# and tern must keep counting.
t_coexist_single() {
	local before

	command -v xdp-filter >/dev/null || fail "xdp-filter not installed (make deps installs xdp-tools)"
	if xdp_tool xdp-filter load -m native "$DEV_S" 2>/dev/null; then
		xdp_tool xdp-filter unload "$DEV_S" || true
		fail "xdp-filter replaced a program attached without a dispatcher"
	fi
	py_check "$(status_json)" 's["attached"] and s["main"]["name"] == "tern_steer"'
	before=$(counter XdpNoSocket)
	connect "$IP4_S" "$PORT" || fail "connect failed"
	wait_until counter_above XdpNoSocket "$before" || fail "tern stopped counting"
}

# Under the dispatcher: xdp-filter and tern both attached, tern counting;
# unloading either leaves the other.
t_coexist_dispatcher() {
	local before out

	xdp_tool xdp-filter load -m native "$DEV_S" || fail "xdp-filter load"
	out=$(xdp_tool xdp-loader status "$DEV_S")
	[[ $out == *tern_steer* && $out == *xdpfilt_* ]] || fail "xdp-loader status: $out"
	py_check "$(status_json)" 's["attached"] and s["dispatcher"] and len(s["programs"]) == 2'
	before=$(counter XdpNoSocket)
	connect "$IP4_S" "$PORT" || fail "connect through the filter failed"
	wait_until counter_above XdpNoSocket "$before" || fail "tern did not count"
	ctl unload --dev "$DEV_S" >/dev/null
	out=$(xdp_tool xdp-loader status "$DEV_S")
	[[ $out != *tern_steer* && $out == *xdpfilt_* ]] || fail "after unload: $out"
	load >/dev/null
	xdp_tool xdp-filter unload "$DEV_S"
	py_check "$(status_json)" 's["attached"] and len(s["services"]) == 2'
}

DISPATCHER=0

t_coexist() {
	command -v xdp-filter >/dev/null || fail "xdp-filter not installed (make deps installs xdp-tools)"
	if [ "$DISPATCHER" = 0 ]; then
		skip "libxdp could not use its dispatcher, so tern runs as a single" \
			"program and no second XDP program can share $DEV_S; libxdp said:" \
			"$(grep -E 'load failed|Compatibility check|Falling back' \
				"$NET_TMP/load.log" | tr '\n' ' ')"
	fi
	t_coexist_dispatcher
}

t_idempotent() {
	local js1 js2 seen

	js1=$(status_json)
	load >/dev/null || fail "second load"
	js2=$(status_json)
	seen=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["counters"]["XdpSeen"])' "$js1")
	py_check "$js2" "s['main'] == $(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["main"])' "$js1")"
	py_check "$js2" "len(s['services']) == 2 and s['counters']['XdpSeen'] >= $seen"
	py_check "$js2" '[p["name"] for p in s["programs"]].count("tern_steer") <= 1'
	load --port $((PORT + 1)) >/dev/null || fail "load adding a port"
	py_check "$(status_json)" "len(s['services']) == 4"
}

t_unload() {
	ctl unload --dev "$DEV_S" >/dev/null || fail "unload"
	[ ! -e "$NET_BPFFS/tern/$DEV_S/tern_counters" ] || fail "counters pin left"
	[ ! -e "$NET_BPFFS/tern/$DEV_S" ] || fail "pin directory left"
	no_xdp_on "$NS_S" "$DEV_S" || fail "XDP still attached"
	connect "$IP4_S" "$PORT" || fail "no traffic after unload"
	expect_error 1 ctl unload --dev "$DEV_S"
	expect_error 1 ctl stats --dev "$DEV_S"
}

t_skb_mode() {
	ctl load --dev "$DEV_S" --mode skb --addr "$IP4_S" --port "$PORT" >/dev/null ||
		fail "load --mode skb"
	py_check "$(status_json)" 's["attached"] and s["mode"] == "skb"'
	expect_error 1 load
	connect "$IP4_S" "$PORT" || fail "connect in skb mode"
	wait_until counter_above XdpNoSocket 0 || fail "skb mode: no XdpNoSocket"
	ctl unload --dev "$DEV_S" >/dev/null || fail "unload skb"
	no_xdp_on "$NS_S" "$DEV_S" || fail "XDP still attached"
}

# ---- main -----------------------------------------------------------------

net_setup
net_need clang gcc timeout
write_craft
MAC_S=$(mac_of "$NS_S" "$DEV_S")
MAC_C=$(mac_of "$NS_C" "$DEV_C")
start_server

t_run "load native on $DEV_S" t_load
[ "$NET_PASSED" = 1 ] || net_finish
DISPATCHER=$(status_json | python3 -c 'import json, sys; print(int(json.load(sys.stdin)["dispatcher"]))')
t_run "(c) malformed TCP to a service is dropped and counted" t_malformed
t_run "(a) no socket bound: kernel fallback, XdpNoSocket" t_fallback
t_run "(b) a port not steered passes, XdpPassed" t_not_steered
t_run "(d) status --json shows the services" t_status
t_run "(e) ternctl errors" t_errors
t_run "(e) load refuses a program attached without dispatcher" t_foreign
if [ "$DISPATCHER" = 0 ]; then
	t_run "(g) single program: xdp-filter cannot replace tern" t_coexist_single
fi
# (g) needs libxdp's dispatcher, which needs the kernel to load an extension
# (freplace) program. This project's machines refuse that (EPERM: the
# sandbox has no CAP_SYS_RESOURCE and no BPF_PROG_TYPE_EXT), so libxdp falls
# back to a single program. Then (g) is reported as not run, by name
# (tests/run.sh compares the names with tests/not_run.allowed, where this one
# is listed with its reason); TERN_TEST_DISPATCHER=1 demands it. Where the
# dispatcher works, (g) runs by itself.
if [ "$DISPATCHER" = 1 ] || [ "${TERN_TEST_DISPATCHER:-0}" = 1 ]; then
	t_run "(g) coexistence under libxdp's dispatcher" t_coexist
else
	not_run "(g) coexistence under libxdp's dispatcher" \
		"libxdp fell back to a single program on this kernel (extension programs" \
		"refused: no CAP_SYS_RESOURCE); see tests/not_run.allowed"
fi
t_run "(f) load twice is idempotent and adds services" t_idempotent
t_run "(f) unload removes pins, traffic still flows" t_unload
t_run "skb mode" t_skb_mode
net_finish
