#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tern embedded in a program: `make install` into a temporary prefix, build
# tools/example/hello.c against the installed library with pkg-config
# (shared and static), run it in the server namespace, connect from the
# client, stop it with SIGTERM.
#   tests/net/test_embed.sh BUILD_DIR
NET_SUITE=test_embed
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_tern_arg "$@"
BUILD=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PORT=7070
net_setup
INST=$NET_TMP/inst
# A sanitizer build of the library needs the example built the same way.
SAN=
[ "${SANITIZE:-}" = 1 ] && SAN="-fsanitize=address,undefined"

pc() {
	PKG_CONFIG_PATH=$INST/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$INST pkg-config "$@" tern
}

t_install() {
	make -C "$SRC" --no-print-directory -s install BUILD="$BUILD" DESTDIR="$INST" \
		PREFIX=/usr >"$NET_TMP/install.log" 2>&1 || { cat "$NET_TMP/install.log"; fail "make install"; }
	for f in usr/include/tern/server.h usr/include/tern/app.h usr/include/tern/tern.h \
		usr/lib/libtern.a usr/lib/libtern.so usr/lib/pkgconfig/tern.pc usr/lib/tern/tern.bpf.o; do
		[ -e "$INST/$f" ] || fail "not installed: $f"
	done
	pc --exists || fail "pkg-config does not know tern"
}

t_build() {
	# shellcheck disable=SC2046,SC2086
	cc $SAN -Wall -Werror -o "$NET_TMP/hello" "$SRC/tools/example/hello.c" $(pc --cflags --libs) ||
		fail "build against the shared library"
	# shellcheck disable=SC2046,SC2086
	cc $SAN -Wall -Werror -o "$NET_TMP/hello-static" "$SRC/tools/example/hello.c" \
		$(pc --cflags) "$INST/usr/lib/libtern.a" $(pkg-config --libs libxdp libbpf liburing libpcap) \
		-lpthread || fail "build against the static library"
}

run_hello() { # run_hello BINARY: start, 20 clients, SIGTERM, exit 0
	local bin=$1 pid got

	ip netns exec "$NS_S" env LD_LIBRARY_PATH="$INST/usr/lib" \
		TERN_BPF_OBJ="$INST/usr/lib/tern/tern.bpf.o" "$bin" "$DEV_S" "$IP4_S" "$PORT" \
		"$NET_BPFFS" >"$NET_TMP/hello.log" 2>&1 &
	pid=$!
	net_bg_pid "$pid"
	wait_until grep -q '^tern: ready' "$NET_TMP/hello.log" ||
		{ cat "$NET_TMP/hello.log"; fail "$bin did not start"; }
	got=$(in_c python3 -c "
import socket
ok = 0
for i in range(20):
    s = socket.create_connection(('$IP4_S', $PORT), timeout=5)
    d = b''
    while True:
        b = s.recv(100)
        if not b: break
        d += b
    ok += d == b'hello from an embedded tern\n'
print(ok)")
	[ "$got" = 20 ] || fail "$got/20 clients got the greeting"
	kill -TERM "$pid"
	wait "$pid" || { cat "$NET_TMP/hello.log"; fail "$bin exited $?"; }
	grep -q "frames: .*: ok" "$NET_TMP/hello.log" || fail "frame accounting"
}

t_shared() { run_hello "$NET_TMP/hello"; }
t_static() { run_hello "$NET_TMP/hello-static"; }

t_run "make install: headers, libtern.a/.so, tern.pc, BPF object" t_install
t_run "the example builds against the installed library (pkg-config)" t_build
t_run "embedded (shared library): 20 clients greeted, SIGTERM exits 0" t_shared
t_run "embedded (static library): 20 clients greeted, SIGTERM exits 0" t_static
net_finish
