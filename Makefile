# SPDX-License-Identifier: BSD-2-Clause
# tern — AF_XDP TCP terminator. `make help` lists the targets.

PREFIX ?= /usr/local
LIBTERN_VER := 0.1.0
DESTDIR ?=
# Sanitizer builds live apart so ASan and plain objects never mix.
BUILD ?= build$(if $(filter 1,$(SANITIZE)),/san)
CC ?= cc
CLANG ?= clang
FUZZ_SECONDS ?= 60

# Debian packages the build, the tests and the benchmarks use.
DEB_PKGS := gcc make clang llvm libclang-rt-14-dev libxdp-dev libbpf-dev \
	liburing-dev pkg-config iproute2 ethtool python3 valgrind xdp-tools curl apache2-utils wrk \
	nginx gnuplot-nox netsniff-ng libpcap-dev tcpdump prometheus haproxy systemd \
	frr exabgp

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -I. -Iinclude -MMD -MP
# tern's version and its libraries' (user/io/version.h: --version, build info)
VERSION_DEFS := -DTERN_VERSION='"$(LIBTERN_VER)"' \
	-DTERN_LIBXDP_VERSION='"$(shell pkg-config --modversion libxdp 2>/dev/null)"' \
	-DTERN_LIBBPF_VERSION='"$(shell pkg-config --modversion libbpf 2>/dev/null)"' \
	-DTERN_LIBURING_VERSION='"$(shell pkg-config --modversion liburing 2>/dev/null)"'
CFLAGS += $(VERSION_DEFS)
LDFLAGS ?=
ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS += $(SAN)
LDFLAGS += $(SAN)
endif

CORE_SRCS := $(wildcard user/core/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
CORE_LIB := $(BUILD)/libterncore.a

APP_SRCS := $(wildcard user/app/*.c)
APP_OBJS := $(APP_SRCS:%.c=$(BUILD)/%.o)
APP_LIB := $(BUILD)/libternapp.a

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
# I/O pieces the unit tests exercise directly (real sockets, no packets)
UNIT_IO_OBJS := $(BUILD)/user/io/ctl.o $(BUILD)/user/io/ctl_client.o $(BUILD)/user/io/log.o \
	$(BUILD)/user/io/conf.o $(BUILD)/user/io/metrics_name.o $(BUILD)/user/io/notify.o \
	$(BUILD)/user/io/backend.o $(BUILD)/user/io/xsk.o $(BUILD)/user/io/xsk_sock.o \
	$(BUILD)/user/io/frames.o $(BUILD)/user/io/gso.o \
	$(BUILD)/user/io/netdev.o $(BUILD)/user/io/metrics.o $(BUILD)/user/io/ctl_out.o
UNIT_BIN := $(BUILD)/tests/unit-tests
UNIT_IO_OBJS += $(BUILD)/user/io/mailbox.o

BENCH_BIN := $(BUILD)/tools/tern-bench-core
DEMO_BIN := $(BUILD)/tools/tern-demo-core
FUZZ_BIN := $(BUILD)/tests/fuzz-core
# Raw-frame flood generator of the robustness suites (tests/net/test_flood.sh).
RAWFLOOD_BIN := $(BUILD)/tests/rawflood
# XDP SYN-ACKs against the core through BPF_PROG_TEST_RUN (tests/net/test_xdpsyn.sh).
XDPSYN_BIN := $(BUILD)/tests/xdpsyn-check
# XDP steering of ICMP errors through BPF_PROG_TEST_RUN (tests/run.sh xdpicmp).
XDPICMP_BIN := $(BUILD)/tests/xdpicmp-check
# XDP_PASS on the client veth of test_xdpsyn.sh (veth delivers XDP_TX only then).
PASS_OBJ := $(BUILD)/tests/net/pass.bpf.o
# The soak's loss on the client veth (XDP, 1 frame in 50).
SOAK_DROP_OBJ := $(BUILD)/tests/soak/drop.bpf.o
# Random loss both ways on the client veth of test_datapath.sh (XDP and tc).
LOSS_OBJ := $(BUILD)/tests/net/loss.bpf.o
SOAK_SECONDS ?= 600

# XDP steering program and ternctl (loader shared with the daemon).
BPF_OBJ := $(BUILD)/bpf/tern.bpf.o
BPF_CFLAGS := -O2 -g -target bpf -I/usr/include/$(shell gcc -dumpmachine) \
	-Iinclude -Wall -Wextra -MMD -MP
XDP_LIBS := $(shell pkg-config --libs libxdp libbpf 2>/dev/null || echo -lxdp -lbpf) \
	-lelf -lz
TERNCTL_BIN := $(BUILD)/tools/ternctl
TERNCTL_OBJS := $(BUILD)/tools/ternctl.o $(BUILD)/user/io/loader.o $(BUILD)/user/io/svcmap.o $(BUILD)/user/io/ctl_client.o \
	$(BUILD)/user/io/version.o \
	$(BUILD)/tools/ternctl_top.o $(BUILD)/tools/ternctl_capture.o $(BUILD)/tools/ternctl_json.o \
	$(BUILD)/user/io/metrics_name.o

# Benchmark tools: tern-flood (SYN generator that counts replies) and
# tern-reflect (bare SYN -> SYN-ACK reflector, the harness ceiling), on
# bpf/flood.bpf.o and user/io's AF_XDP socket and frame pool.
FLOOD_BPF_OBJ := $(BUILD)/bpf/flood.bpf.o
FLOOD_BIN := $(BUILD)/tools/tern-flood
REFLECT_BIN := $(BUILD)/tools/tern-reflect
FLOOD_COMMON := $(BUILD)/tools/flood/flood_xdp.o $(BUILD)/user/io/xsk.o $(BUILD)/user/io/xsk_sock.o \
	$(BUILD)/user/io/frames.o $(BUILD)/user/io/netdev.o
# The benchmarks' XDP programs: random loss on the client veth (one object
# per percentage; 100 is the XDP_DROP sink) and the XDP_TX reflector.
BENCH_LOSS_OBJ_PCTS := 0 1 3 100
BENCH_XDP_OBJS := $(BENCH_LOSS_OBJ_PCTS:%=$(BUILD)/tools/bench/xdp/loss%.bpf.o) \
	$(BUILD)/tools/bench/xdp/reflect_tx.bpf.o $(BUILD)/tools/bench/xdp/progrun.bpf.o
# ns per SYN of tern's XDP SYN-ACK against the reflector (BPF_PROG_TEST_RUN).
BENCH_XDP_BIN := $(BUILD)/tools/tern-bench-xdp
# LD_PRELOAD object: a peer's listeners on a chosen congestion control
# (never sanitized: it is loaded into other programs).
BENCH_CC_SO := $(BUILD)/tools/tern-bench-cc.so
# A path delay (tun in, AF_PACKET out) for the benchmarks' round-trip times.
BENCH_DELAY_BIN := $(BUILD)/tools/tern-bench-delay

# The daemon: AF_XDP workers (user/io) on the core and the applications.
TERN_BIN := $(BUILD)/tern
IO_SRCS := $(wildcard user/io/*.c)
IO_OBJS := $(IO_SRCS:%.c=$(BUILD)/%.o)

# libtern: core + applications + I/O, as a static archive and as a shared
# library (its own -fPIC objects, exported symbols per user/libtern.map).
LIBTERN_A := $(BUILD)/libtern.a
LIBTERN_SO := $(BUILD)/libtern.so.$(LIBTERN_VER)
LIB_SRCS := $(CORE_SRCS) $(APP_SRCS) $(IO_SRCS)
PIC_OBJS := $(LIB_SRCS:%.c=$(BUILD)/pic/%.o)

.PHONY: all test unit fuzz-ci bench demo demo-core clean install deps help soak vg
.DEFAULT_GOAL := all

all: $(CORE_LIB) $(UNIT_BIN) $(BENCH_BIN) $(DEMO_BIN) $(BPF_OBJ) $(TERNCTL_BIN) $(TERN_BIN) \
	$(LIBTERN_A) $(LIBTERN_SO) $(FLOOD_BIN) $(REFLECT_BIN) $(FLOOD_BPF_OBJ) $(RAWFLOOD_BIN) \
	$(SOAK_DROP_OBJ) $(XDPSYN_BIN) $(XDPICMP_BIN) $(PASS_OBJ) $(LOSS_OBJ) $(BENCH_XDP_OBJS) \
	$(BENCH_CC_SO) $(BENCH_DELAY_BIN)

help:
	@echo "make [all]        build the core library, tests and tools"
	@echo "make test         run every test suite (unit, fuzz; FUZZ_SECONDS=$(FUZZ_SECONDS))"
	@echo "make vg           the plain build valgrind runs, in BUILD/vg (part of test)"
	@echo "make bench        run the benchmarks (never part of test)"
	@echo "make demo         run the demo"
	@echo "make soak         mixed traffic, floods and loss for SOAK_SECONDS=$(SOAK_SECONDS) (root)"
	@echo "make install      install into DESTDIR/PREFIX ($(PREFIX)), with man pages and unit"
	@echo "make uninstall    remove what install put (the same DESTDIR, PREFIX, LIBDIR, ...)"
	@echo "make deps         apt-get install what is missing: $(DEB_PKGS)"
	@echo "options: V=1 verbose, SANITIZE=1 ASan+UBSan, CC=, CPPFLAGS=, BUILD=$(BUILD)"
	@echo "install: DESTDIR=, PREFIX=$(PREFIX), LIBDIR=, INCLUDEDIR=, SBINDIR=, SYSCONFDIR="

# Installs only what is missing, so it is cheap to depend on.
deps:
	$(Q)missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		[ "$$(id -u)" = 0 ] || { echo "Error: deps: need root to apt-get install$$missing" >&2; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(APP_LIB): $(APP_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_BIN): $(UNIT_OBJS) $(UNIT_IO_OBJS) $(APP_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(XDP_LIBS) -luring -lpthread

BENCH_SRCS := $(wildcard tools/bench/*.c)
$(BENCH_BIN): $(BENCH_SRCS:%.c=$(BUILD)/%.o) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(RAWFLOOD_BIN): $(BUILD)/tests/net/rawflood.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(XDPSYN_BIN): $(BUILD)/tests/net/xdpsyn_check.o $(BUILD)/user/io/svcmap.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(XDP_LIBS)

$(XDPICMP_BIN): $(BUILD)/tests/net/xdpicmp_check.o $(BUILD)/user/io/svcmap.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(XDP_LIBS)

$(DEMO_BIN): $(BUILD)/tools/demo/demo_core.o $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(BPF_OBJ): bpf/tern.bpf.c bpf/synack.h bpf/icmp.h include/tern/cookie.h include/tern/xdp.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(FLOOD_BPF_OBJ): bpf/flood.bpf.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(SOAK_DROP_OBJ): tests/soak/drop.bpf.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BUILD)/tools/bench/xdp/loss%.bpf.o: tools/bench/xdp/loss.bpf.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(CLANG) $(BPF_CFLAGS) -DLOSS_PCT=$* -c -o $@ $<

$(BUILD)/tools/bench/xdp/progrun.bpf.o: tools/bench/xdp/progrun.bpf.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BUILD)/tools/bench/xdp/reflect_tx.bpf.o: tools/bench/xdp/reflect_tx.bpf.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(PASS_OBJ): tests/net/pass.bpf.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(LOSS_OBJ): tests/net/loss.bpf.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(FLOOD_BIN): $(BUILD)/tools/flood/tern-flood.o $(FLOOD_COMMON) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(XDP_LIBS)

$(REFLECT_BIN): $(BUILD)/tools/bench/reflect/tern-reflect.o $(FLOOD_COMMON) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(XDP_LIBS)

$(BENCH_CC_SO): tools/bench/ccpreload/cc_preload.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(filter-out $(SAN),$(CFLAGS)) -fPIC -shared -o $@ $< -ldl

$(BENCH_DELAY_BIN): $(BUILD)/tools/bench/delay/tern-bench-delay.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(BENCH_XDP_BIN): $(BUILD)/tools/bench/progrun/tern-bench-xdp.o $(BUILD)/user/io/svcmap.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(XDP_LIBS)

$(TERNCTL_BIN): $(TERNCTL_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(XDP_LIBS)

$(LIBTERN_A): $(CORE_OBJS) $(APP_OBJS) $(IO_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC -fPIC $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c -o $@ $<

$(LIBTERN_SO): $(PIC_OBJS) user/libtern.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libtern.so.0 \
		-Wl,--version-script=user/libtern.map -o $@ $(PIC_OBJS) $(XDP_LIBS) -luring -lpthread -lpcap

$(TERN_BIN): $(BUILD)/user/tern.o $(LIBTERN_A)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(XDP_LIBS) -luring -lpthread -lpcap

# libFuzzer target: always clang with ASan+UBSan, built from the core sources.
$(FUZZ_BIN): tests/fuzz/fuzz_core.c $(CORE_SRCS) $(wildcard user/core/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CLANG) -O1 -g -std=gnu11 -I. -Iinclude \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ tests/fuzz/fuzz_core.c $(CORE_SRCS)

unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

fuzz-ci: $(FUZZ_BIN)
	$(Q)tests/fuzz/run.sh $(FUZZ_BIN) $(FUZZ_SECONDS)

test: deps
	$(Q)$(MAKE) --no-print-directory all $(FUZZ_BIN) vg
	$(Q)tests/run.sh $(BUILD) $(FUZZ_SECONDS)

# The plain build that tests/net/test_valgrind.sh runs under valgrind, which
# cannot run ASan binaries: tern, ternctl, the XDP object and the loss
# program, never sanitized, in $(BUILD)/vg (build/vg, or build/san/vg with
# SANITIZE=1).
vg:
	$(Q)$(MAKE) --no-print-directory SANITIZE= BUILD=$(BUILD)/vg $(BUILD)/vg/tern \
		$(BUILD)/vg/tools/ternctl $(BUILD)/vg/bpf/tern.bpf.o $(BUILD)/vg/tests/soak/drop.bpf.o

bench: deps
	$(Q)$(MAKE) --no-print-directory SANITIZE= BUILD=$(BUILD)/bench $(BUILD)/bench/tools/tern-bench-core \
		$(BUILD)/bench/tern $(BUILD)/bench/bpf/tern.bpf.o $(BUILD)/bench/tools/tern-flood \
		$(BUILD)/bench/tools/ternctl \
		$(BUILD)/bench/tools/tern-reflect $(BUILD)/bench/bpf/flood.bpf.o \
		$(BUILD)/bench/tools/tern-bench-xdp $(BUILD)/bench/tools/tern-bench-cc.so \
		$(BUILD)/bench/tools/tern-bench-delay \
		$(BENCH_XDP_OBJS:$(BUILD)/%=$(BUILD)/bench/%)
	$(Q)tools/bench/run.sh $(BUILD)/bench

# The demo: tern + echo on a veth pair in namespaces, clients, a SYN flood.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo/demo.sh $(BUILD)

# Robustness soak (README "Robustness"); CI runs 45 s of it in tests/run.sh.
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/soak/soak.sh $(BUILD) $(SOAK_SECONDS)

# The core alone in virtual time (no network).
demo-core: deps
	$(Q)$(MAKE) --no-print-directory $(DEMO_BIN)
	$(Q)$(DEMO_BIN)

# The installed layout (docs/operations.md): SBINDIR tern, ternctl;
# PREFIX/lib/tern the XDP object (the executables find it as ../lib/tern);
# LIBDIR libtern (static, shared) and pkgconfig/tern.pc; INCLUDEDIR/tern
# the public headers; man pages, the systemd unit (tern@IFACE.service
# reads SYSCONFDIR/tern/IFACE.conf) and an example configuration.
# `make uninstall` with the same variables removes exactly these files.
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/tern
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BPFDIR := $(PREFIX)/lib/tern
PUBLIC_HEADERS := $(wildcard include/tern/*.h)
INSTALLED := $(SBINDIR)/tern $(SBINDIR)/ternctl $(BPFDIR)/tern.bpf.o \
	$(LIBDIR)/libtern.a $(LIBDIR)/libtern.so.$(LIBTERN_VER) $(LIBDIR)/libtern.so.0 \
	$(LIBDIR)/libtern.so $(LIBDIR)/pkgconfig/tern.pc \
	$(PUBLIC_HEADERS:include/%=$(INCLUDEDIR)/%) \
	$(MANDIR)/man8/tern.8 $(MANDIR)/man8/ternctl.8 $(MANDIR)/man5/tern.conf.5 \
	$(SYSTEMDUNITDIR)/tern@.service $(DOCDIR)/tern.conf.example

.PHONY: install-ops uninstall
install: all install-ops
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BPFDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/tern
	install -m 755 $(BUILD)/tern $(BUILD)/tools/ternctl $(DESTDIR)$(SBINDIR)/
	install -m 644 $(BUILD)/bpf/tern.bpf.o $(DESTDIR)$(BPFDIR)/
	install -m 644 $(LIBTERN_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIBTERN_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libtern.so.$(LIBTERN_VER) $(DESTDIR)$(LIBDIR)/libtern.so.0
	ln -sf libtern.so.0 $(DESTDIR)$(LIBDIR)/libtern.so
	sed -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(LIBTERN_VER)|' tools/tern.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/tern.pc
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/tern/

install-ops:
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 644 man/tern.8 man/ternctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/tern.conf.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		tools/systemd/tern@.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/tern@.service
	install -m 644 tools/systemd/tern.conf.example $(DESTDIR)$(DOCDIR)/

# Only the directories that are tern's own go, and only when empty.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(BPFDIR) $(DESTDIR)$(INCLUDEDIR)/tern $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf $(BUILD)

-include $(CORE_OBJS:.o=.d) $(APP_OBJS:.o=.d) $(IO_OBJS:.o=.d) $(PIC_OBJS:.o=.d) \
	$(BUILD)/user/tern.d $(UNIT_OBJS:.o=.d) $(BENCH_SRCS:%.c=$(BUILD)/%.d) \
	$(BUILD)/tools/demo/demo_core.d $(BUILD)/tests/net/rawflood.d $(BUILD)/tests/net/xdpsyn_check.d \
	$(BUILD)/tests/net/xdpicmp_check.d \
	$(BPF_OBJ:.o=.d) $(TERNCTL_OBJS:.o=.d) $(FLOOD_BPF_OBJ:.o=.d) $(FLOOD_COMMON:.o=.d) \
	$(BUILD)/tools/flood/tern-flood.d $(BUILD)/tools/bench/reflect/tern-reflect.d \
	$(BUILD)/tools/bench/delay/tern-bench-delay.d \
	$(SOAK_DROP_OBJ:.o=.d) $(LOSS_OBJ:.o=.d) $(BENCH_XDP_OBJS:.o=.d)
