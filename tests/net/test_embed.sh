#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tern embedded in a program: `make install` into a temporary prefix (the
# layout file by file, LIBDIR, CPPFLAGS), build tools/example/hello.c
# against the installed library with pkg-config (shared and static), run
# it in the server namespace, connect from the client, stop it with
# SIGTERM; `make uninstall` leaves nothing.
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

# inst_make DESTDIR TARGET VAR=VALUE...: make install or uninstall quietly.
inst_make() {
	local dest=$1 target=$2

	shift 2
	make -C "$SRC" --no-print-directory -s "$target" BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr \
		"$@" >"$NET_TMP/$target.log" 2>&1 || { cat "$NET_TMP/$target.log"; fail "make $target"; }
}

# Every file and link under a tree, relative to it, sorted.
tree_files() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort); }

# What `make install PREFIX=/usr` puts, LIB its library directory: the
# public headers are include/tern/*.h, and nothing else from the tree.
layout() {
	local lib=$1 h

	for h in "$SRC"/include/tern/*.h; do echo "usr/include/tern/${h##*/}"; done |
		LC_ALL=C sort - <(LC_ALL=C sort <<EOF2
$lib/libtern.a
$lib/libtern.so
$lib/libtern.so.0
$lib/libtern.so.0.1.0
$lib/pkgconfig/tern.pc
usr/lib/systemd/system/tern@.service
usr/lib/tern/tern.bpf.o
usr/sbin/tern
usr/sbin/ternctl
usr/share/doc/tern/tern.conf.example
usr/share/man/man5/tern.conf.5
usr/share/man/man8/tern.8
usr/share/man/man8/ternctl.8
EOF2
)
}

t_install() {
	inst_make "$INST" install
	diff <(layout usr/lib) <(tree_files "$INST") >"$NET_TMP/layout.diff" ||
		{ sed 's/^/    /' "$NET_TMP/layout.diff"; fail "installed files differ from the layout"; }
	echo "    $(tree_files "$INST" | wc -l) files, public headers only"
	pc --exists || fail "pkg-config does not know tern"
}

t_install_libdir() {
	local dest=$NET_TMP/inst-libdir lib=usr/lib/x86_64-linux-gnu

	inst_make "$dest" install LIBDIR=/$lib
	diff <(layout $lib) <(tree_files "$dest") >"$NET_TMP/layout.diff" ||
		{ sed 's/^/    /' "$NET_TMP/layout.diff"; fail "LIBDIR not honoured"; }
	grep -qx "libdir=/$lib" "$dest/$lib/pkgconfig/tern.pc" || fail "tern.pc: $(grep libdir= "$dest/$lib/pkgconfig/tern.pc")"
	inst_make "$dest" uninstall LIBDIR=/$lib
	[ -z "$(tree_files "$dest")" ] || fail "left after uninstall: $(tree_files "$dest")"
}

t_cppflags() {
	make -C "$SRC" --no-print-directory -n -B BUILD="$BUILD" CPPFLAGS=-DTERN_CPPFLAGS_SEEN \
		"$BUILD/user/io/log.o" "$BUILD/pic/user/io/log.o" >"$NET_TMP/cpp.log" 2>&1 || fail "make -n"
	[ "$(grep -c -- '-DTERN_CPPFLAGS_SEEN' "$NET_TMP/cpp.log")" = 2 ] || fail "CPPFLAGS not used"
}

t_uninstall() {
	inst_make "$INST" uninstall
	[ -z "$(tree_files "$INST")" ] || fail "left after uninstall: $(tree_files "$INST")"
	! find "$INST" -type d -name tern | grep -q . || fail "a tern directory is left"
	echo "    nothing left under DESTDIR but shared directories"
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

# Out-of-range values in the public configuration are refused with -EINVAL
# before anything touches the interface (the suite's own veth); the
# defaults of the congestion control and XDP-cookie fields are the
# daemon's (CUBIC, overload).
t_config() {
	cat >"$NET_TMP/cfg.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <tern/server.h>
#include <tern/tern.h>

static void *init(const struct tern_app_env *env)
{
	static int ctx;

	(void)env;
	return &ctx;
}

/* A valid application: only the configuration can make start() fail. */
static int start(struct tern_server_config *c)
{
	static const struct tern_app_ops ops;
	static const struct tern_app app = { .name = "none", .ops = &ops, .worker_init = init };
	struct tern_server *srv;

	return tern_server__start(&srv, c, &app, NULL);
}

int main(int argc, char **argv)
{
	struct tern_server_service svc = { "10.0.0.1", 80 };
	struct tern_server_config c;
	int fails = 0;

	tern_server_config__init(&c);
	if (c.cc != 0 || c.xdp_cookies != 1 || c.frto != 2) {
		printf("defaults: cc %d xdp_cookies %d frto %d\n", c.cc, c.xdp_cookies, c.frto);
		fails++;
	}
	c.dev = argv[argc - 1];
	c.services = &svc;
	c.nservices = 1;
	c.cc = 3; /* 0 CUBIC, 1 NewReno, 2 BBR */
	fails += start(&c) != -EINVAL;
	c.cc = 1;
	c.xdp_cookies = 3;
	fails += start(&c) != -EINVAL;
	c.xdp_cookies = -1;
	fails += start(&c) != -EINVAL;
	c.xdp_cookies = 1;
	c.frto = 3;
	fails += start(&c) != -EINVAL;
	c.frto = 256; /* not 0 once narrowed to the core's 8 bits */
	fails += start(&c) != -EINVAL;
	printf("%d\n", fails);
	return fails != 0;
}
C
	# shellcheck disable=SC2046,SC2086
	cc $SAN -Wall -Werror -o "$NET_TMP/cfg" "$NET_TMP/cfg.c" $(pc --cflags --libs) ||
		fail "build the configuration check"
	ip netns exec "$NS_S" env LD_LIBRARY_PATH="$INST/usr/lib" "$NET_TMP/cfg" "$DEV_S" ||
		fail "a bad cc, xdp_cookies or frto was not refused, or the defaults differ"
}

t_shared() { run_hello "$NET_TMP/hello"; }
t_static() { run_hello "$NET_TMP/hello-static"; }

t_run "make install: exactly the layout, public headers only" t_install
t_run "make install LIBDIR=: libraries and tern.pc there; uninstall" t_install_libdir
t_run "CPPFLAGS reach every compile" t_cppflags
t_run "the example builds against the installed library (pkg-config)" t_build
t_run "embedding config: cc, xdp_cookies and frto defaults; out of range refused" t_config
t_run "embedded (shared library): 20 clients greeted, SIGTERM exits 0" t_shared
t_run "embedded (static library): 20 clients greeted, SIGTERM exits 0" t_static
t_run "make uninstall removes exactly what install put" t_uninstall
net_finish
