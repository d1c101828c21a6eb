// SPDX-License-Identifier: BSD-2-Clause
/*
 * --app proxy's relay on a stack in virtual time (the client side, built
 * segments) with a real io_uring and a real backend: a TCP listener on
 * 127.0.0.1 in this process. The ring is driven here as the worker's loop
 * drives it: submit, reap, call the op's callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "t.h"
#include "user/app/proxy_priv.h"
#include "user/io/frames.h"

/*
 * A worker's UMEM as the proxy sees it (what user/io/path.c gives it):
 * frames with exact states, buffers (get/put) and received frames kept
 * from data() (hold). A client segment is received into a frame (RX)
 * while the stack takes it, which then goes back unless the core or the
 * application kept it.
 */
#define UM_FRAMES 512u
#define UM_SIZE 2048u
#define UM_RX_OFF 66u  /* the payload of a received frame: after its headers */
#define UM_APP_OFF 144u

struct umem {
	uint8_t area[UM_FRAMES * UM_SIZE] __attribute__((aligned(UM_SIZE)));
	struct tern_frames f;
	struct tern_app_frames af;
	uint32_t max;      /* application frames (app, app_rx) at most */
	uint64_t limited;  /* get/hold refused at max */
};

static struct umem um;

static uint32_t um_app(void)
{
	return um.f.c.n[TERN_FS_APP] + um.f.c.n[TERN_FS_APP_RX];
}

static int um_get(void *ctx, uint8_t **buf)
{
	uint64_t base;

	if (um_app() >= um.max || !tern_frames__get(&um.f, TERN_FS_APP, &base)) {
		um.limited++;
		return -ENOBUFS;
	}
	*buf = um.area + base + UM_APP_OFF;
	return 0;
}

static int um_hold(void *ctx, const uint8_t *p)
{
	uint64_t base = tern_frames__base(&um.f, (uint64_t)(p - um.area));

	if (p < um.area || p >= um.area + sizeof(um.area) ||
	    !tern_frames__in(&um.f, base, TERN_FS_RX))
		return -EINVAL;
	if (um_app() >= um.max) {
		um.limited++;
		return -ENOBUFS;
	}
	tern_frames__move(&um.f, base, TERN_FS_RX, TERN_FS_APP_RX);
	return 0;
}

static void um_put(void *ctx, uint8_t *buf)
{
	uint64_t base = tern_frames__base(&um.f, (uint64_t)(buf - um.area));

	tern_frames__put(&um.f, base,
			 tern_frames__in(&um.f, base, TERN_FS_APP_RX) ? TERN_FS_APP_RX : TERN_FS_APP);
}

static void um_release(void *ctx, uint64_t frame)
{
	tern_frames__put(&um.f, frame, TERN_FS_KEPT);
}

static int um_init(void)
{
	memset(&um.f, 0, sizeof(um.f));
	um.max = UM_FRAMES / 2;
	um.limited = 0;
	um.af = (struct tern_app_frames){ .room = UM_SIZE - UM_APP_OFF, .max = um.max,
					  .get = um_get, .put = um_put, .hold = um_hold };
	return !tern_frames__init(&um.f, UM_FRAMES, UM_SIZE);
}

/* Every frame free again, none moved twice. */
static int um_idle(void)
{
	return um.f.c.n[TERN_FS_FREE] == UM_FRAMES && !tern_frames__check(&um.f.c) &&
	       !tern_frames__verify(&um.f);
}

struct px_h {
	struct h h;
	void *app;
	bool umem;        /* the proxy gets um's frames */
	struct io_uring ring;
	struct tern_ring r;
	struct tern_app_opts o;
	int lfd, bfd;
	uint32_t iss, cseq, ts;
};

static struct px_h ph;

/* The client's round trip in the handshake px_open_bufs() makes (ns):
 * its ACK comes this long after the SYN-ACK. */
static uint64_t open_rtt;

static int backend_listen(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)sa, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Run the ring for about ms milliseconds: completions go to their ops. */
static void pump(int ms)
{
	struct __kernel_timespec ts = { .tv_nsec = 5 * 1000000 };

	for (int i = 0; i < ms / 5; i++) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		tern_app_proxy.batch_end(ph.app); /* the end of the previous pass */
		io_uring_submit(&ph.ring);
		io_uring_wait_cqe_timeout(&ph.ring, &cqe, &ts);
		io_uring_for_each_cqe(&ph.ring, head, cqe) {
			if (io_uring_cqe_get_data64(cqe) > TERN_RING_TAG_MAX) {
				struct tern_ring_op *op = io_uring_cqe_get_data(cqe);

				op->cb(op, cqe->res, cqe->flags);
			}
			n++;
		}
		io_uring_cq_advance(&ph.ring, n);
		tern_app_proxy.batch_end(ph.app);
	}
}

/* The proxy on a fresh stack, a backend listening (listening: 0 = the
 * port is closed again before the connect), one client connected; buf is
 * --proxy-buf (0: the default), which the listener's rcv_buf follows as
 * the daemon sets it. */
static int px_open_bufs(int proxy_protocol, int listening, uint32_t buf, uint32_t init)
{
	struct tern_listen_opts lo;
	struct tern_app_env env;
	struct sockaddr_in sa;
	struct tern_seg s;

	bool umem = ph.umem;

	memset(&ph, 0, sizeof(ph));
	ph.umem = umem;
	ph.bfd = -1;
	h_init(&ph.h, NULL);
	if (umem && !um_init())
		return 0;
	if (io_uring_queue_init(64, &ph.ring, 0))
		return 0;
	ph.r.ring = &ph.ring;
	ph.lfd = backend_listen(&sa);
	if (ph.lfd < 0)
		return 0;
	if (!listening) {
		close(ph.lfd);
		ph.lfd = -1;
	}
	memcpy(&ph.o.proxy.backends[0].sa, &sa, sizeof(sa));
	ph.o.proxy.backends[0].salen = sizeof(sa);
	ph.o.proxy.nbackends = 1;
	ph.o.proxy.proxy_protocol = (uint8_t)proxy_protocol;
	ph.o.proxy.health_interval_ms = UINT32_MAX;
	ph.o.proxy.buf = buf;
	ph.o.proxy.buf_init = init;
	lo = (struct tern_listen_opts){ .rcv_buf = tern_proxy__rcv_buf(&ph.o.proxy) };
	env = (struct tern_app_env){ .stack = ph.h.s, .out = &ph.h.out, .now = &ph.h.now,
				     .max_conns = 16, .opts = &ph.o, .ring = &ph.r,
				     .frames = umem ? &um.af : NULL };
	ph.app = tern_app_proxy.worker_init(&env);
	if (umem)
		tern_stack__set_release(ph.h.s, um_release, NULL);
	if (!ph.app)
		return 0;
	s = h_seg(&ph.h, 0, 0, 0);
	if (tern_stack__listen_opts(ph.h.s, &s.t.laddr, 80, &lo))
		return 0;
	tern_stack__set_app(ph.h.s, tern_app_proxy.ops, ph.app);
	s = h_seg(&ph.h, TERN_TH_SYN, 1000, 0);
	h_linux_syn_opts(&s, 5);
	h_in(&ph.h, &s);
	if (ph.h.out.n != 1)
		return 0;
	ph.iss = ph.h.tx[0].seq;
	h_advance(&ph.h, open_rtt);
	s = h_seg(&ph.h, TERN_TH_ACK, 1001, ph.iss + 1);
	h_ts(&s, 6, 0);
	s.win = 502;
	h_in(&ph.h, &s);
	ph.cseq = 1001;
	ph.ts = 7;
	return tern_stack__nconns(ph.h.s) == 1;
}

static int px_open_buf(int proxy_protocol, int listening, uint32_t buf)
{
	return px_open_bufs(proxy_protocol, listening, buf, 0);
}

static int px_open(int proxy_protocol, int listening)
{
	return px_open_buf(proxy_protocol, listening, 0);
}

/* Closes everything; with um, 1 when every frame came back exactly once. */
static int px_close(void)
{
	int idle = 1;

	io_uring_queue_exit(&ph.ring); /* the worker's order: ring, then app */
	tern_app_proxy.worker_fini(ph.app);
	h_free(&ph.h);
	if (ph.umem) {
		idle = um_idle();
		tern_frames__fini(&um.f);
	}
	ph.umem = false;
	if (ph.bfd >= 0)
		close(ph.bfd);
	if (ph.lfd >= 0)
		close(ph.lfd);
	return idle;
}

/* The backend's end of the relayed connection (1 s receive timeout). */
static int backend_accept(void)
{
	struct timeval tv = { .tv_sec = 1 };

	ph.bfd = accept(ph.lfd, NULL, NULL);
	if (ph.bfd >= 0)
		setsockopt(ph.bfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return ph.bfd >= 0;
}

/* A segment from the client at sequence number seq; with um, received
 * into a frame as the worker does (rx_one). */
static void client_at(uint32_t seq, uint8_t flags, const void *p, uint32_t len, uint32_t ack)
{
	struct tern_seg s = h_seg(&ph.h, flags | TERN_TH_ACK, seq, ack);
	uint64_t base = 0;
	int r;

	h_ts(&s, ph.ts++, 0);
	s.win = 502;
	s.payload = p;
	s.len = len;
	if (ph.umem && len) {
		REQUIRE(tern_frames__get(&um.f, TERN_FS_RX, &base));
		memcpy(um.area + base + UM_RX_OFF, p, len);
		s.payload = um.area + base + UM_RX_OFF;
		s.frame = base;
	}
	r = h_in(&ph.h, &s);
	if (!ph.umem || !len)
		return;
	if (r == 1) /* tern_stack__input: the core keeps it */
		tern_frames__move(&um.f, base, TERN_FS_RX, TERN_FS_KEPT);
	else if (tern_frames__in(&um.f, base, TERN_FS_RX))
		tern_frames__put(&um.f, base, TERN_FS_RX);
}

static void client(uint8_t flags, const void *p, uint32_t len, uint32_t ack)
{
	client_at(ph.cseq, flags, p, len, ack);
	ph.cseq += len + !!(flags & TERN_TH_FIN);
}

/* Exactly n bytes from the backend's socket, or fewer on EOF/timeout. */
static ssize_t backend_read(uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(ph.bfd, buf + got, n - got, 0);

		if (r <= 0)
			return got ? (ssize_t)got : r;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static uint64_t ctr(int i)
{
	uint64_t v[PX__COUNT];

	tern_app_proxy.counters(ph.app, v);
	return v[i];
}

static int out_has(uint8_t flag)
{
	for (uint32_t i = 0; i < ph.h.out.n; i++)
		if (ph.h.tx[i].flags & flag)
			return 1;
	return 0;
}

/* Both ways, PROXY v2 first, half-close each way, everything released. */
TEST(test_proxy_relay_both_ways_half_close)
{
	static const uint8_t hdr[28] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
		0x21, 0x11, 0x00, 0x0c, 10, 0, 0, 2, 10, 0, 0, 1, 0x9c, 0x40, 0x00, 0x50,
	};
	uint8_t buf[64];
	const struct tern_tx *tx = NULL;

	REQUIRE(px_open(2, 1));
	client(TERN_TH_PSH, "hello", 5, ph.iss + 1); /* while the connect runs */
	pump(50);
	REQUIRE(backend_accept());
	REQUIRE_EQ(backend_read(buf, 33), 33);
	CHECK(!memcmp(buf, hdr, sizeof(hdr)));
	CHECK(!memcmp(buf + 28, "hello", 5));
	CHECK_EQ(ctr(PX_BYTES_TO_BACKEND), 5);

	/* backend -> client, then the backend's FIN after its data */
	REQUIRE_EQ(send(ph.bfd, "world", 5, 0), 5);
	shutdown(ph.bfd, SHUT_WR);
	ph.h.out.n = 0;
	pump(50);
	for (uint32_t i = 0; i < ph.h.out.n; i++)
		if (ph.h.tx[i].len)
			tx = &ph.h.tx[i];
	REQUIRE(tx);
	CHECK_EQ(tx->len, 5);
	CHECK(!memcmp(tx->payload, "world", 5));
	CHECK(out_has(TERN_TH_FIN));

	/* the client still sends: it reaches the backend */
	client(TERN_TH_PSH, "more", 4, ph.iss + 1 + 5 + 1);
	pump(30);
	REQUIRE_EQ(backend_read(buf, 4), 4);
	CHECK(!memcmp(buf, "more", 4));

	/* the client's FIN: the backend reads EOF; the connection ends */
	client(TERN_TH_FIN, NULL, 0, ph.iss + 1 + 5 + 1);
	pump(30);
	CHECK_EQ(backend_read(buf, 1), 0);
	CHECK_EQ(tern_stack__nconns(ph.h.s), 0);
	CHECK_EQ(ctr(PX_CONNS), 0);
	CHECK_EQ(ctr(PX_BUF_BYTES), 0);
	CHECK_EQ(ctr(PX_BACKEND_FDS), 0);
	px_close();
}

/* The client's FIN first: the backend gets EOF, its answer still comes. */
TEST(test_proxy_relay_client_half_close)
{
	uint8_t buf[8];
	int data = 0;

	REQUIRE(px_open(0, 1));
	pump(30);
	REQUIRE(backend_accept());
	client(TERN_TH_PSH | TERN_TH_FIN, "q", 1, ph.iss + 1);
	pump(30);
	REQUIRE_EQ(backend_read(buf, 2), 1);
	CHECK_EQ(buf[0], 'q');
	REQUIRE_EQ(send(ph.bfd, "answer", 6, 0), 6);
	close(ph.bfd);
	ph.bfd = -1;
	ph.h.out.n = 0;
	pump(30);
	for (uint32_t i = 0; i < ph.h.out.n; i++)
		data += ph.h.tx[i].len == 6 && !memcmp(ph.h.tx[i].payload, "answer", 6);
	CHECK_EQ(data, 1);
	CHECK(out_has(TERN_TH_FIN));
	client(0, NULL, 0, ph.iss + 1 + 6 + 1); /* ACK of the data and the FIN */
	pump(20);
	CHECK_EQ(tern_stack__nconns(ph.h.s), 0);
	CHECK_EQ(ctr(PX_CONNS), 0);
	CHECK_EQ(ctr(PX_BACKEND_FDS), 0);
	px_close();
}

TEST(test_proxy_backend_refused_resets_client)
{
	REQUIRE(px_open(0, 0));
	ph.h.out.n = 0;
	pump(30);
	CHECK(out_has(TERN_TH_RST));
	CHECK_EQ(ctr(PX_CONNECT_FAILS), 1);
	CHECK_EQ(tern_stack__nconns(ph.h.s), 0);
	CHECK_EQ(ctr(PX_CONNS), 0);
	CHECK_EQ(ctr(PX_BACKEND_FDS), 0);
	px_close();
}

TEST(test_proxy_client_rst_resets_backend)
{
	uint8_t buf[8];
	ssize_t r;

	REQUIRE(px_open(0, 1));
	pump(30);
	REQUIRE(backend_accept());
	{
		struct tern_seg s = h_seg(&ph.h, TERN_TH_RST, ph.cseq, 0);

		h_in(&ph.h, &s);
	}
	pump(30);
	r = recv(ph.bfd, buf, sizeof(buf), 0);
	CHECK(r < 0 && errno == ECONNRESET);
	CHECK_EQ(ctr(PX_CLIENT_RESETS), 1);
	CHECK_EQ(ctr(PX_CONNS), 0);
	CHECK_EQ(ctr(PX_BACKEND_FDS), 0);
	px_close();
}

/* The backend resets its end: the client is reset, counted, and the
 * relayed connection is gone. */
static void backend_rst(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(ph.bfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(ph.bfd);
	ph.bfd = -1;
	ph.h.out.n = 0;
	pump(30);
	CHECK(out_has(TERN_TH_RST));
	CHECK_EQ(ctr(PX_BACKEND_RESETS), 1);
	CHECK_EQ(tern_stack__nconns(ph.h.s), 0);
	CHECK_EQ(ctr(PX_CONNS), 0);
}

TEST(test_proxy_backend_rst_resets_client)
{
	REQUIRE(px_open(0, 1));
	pump(30);
	REQUIRE(backend_accept());
	backend_rst();
	px_close();
}

/* No connect answer within --backend-timeout: the client is reset. */
TEST(test_proxy_connect_timeout_resets_client)
{
	REQUIRE(px_open(0, 1));
	/* the connect has not been submitted yet: time runs out first */
	ph.h.out.n = 0;
	h_advance(&ph.h, (uint64_t)TERN_PROXY_CONNECT_MS_DEF * 1000000 + 1);
	h_poll(&ph.h);
	CHECK(out_has(TERN_TH_RST));
	CHECK_EQ(ctr(PX_CONNECT_TIMEOUTS), 1);
	pump(30); /* the cancelled connect comes back; then all is released */
	CHECK_EQ(ctr(PX_CONNS), 0);
	CHECK_EQ(ctr(PX_BACKEND_FDS), 0);
	px_close();
}

/* Byte i of a relayed stream: a period (251) that divides neither the
 * ring nor the chunks, so a byte out of place changes the content. */
static uint8_t pat(uint32_t i)
{
	return (uint8_t)(i % 251);
}

/*
 * With --proxy-buf 4096 (the smallest), 20 chunks of 1000 bytes each way:
 * each ring wraps four times, chunks straddle its end, and every byte
 * arrives in order on the other side.
 */
TEST(test_proxy_relay_wraps_small_buffer)
{
	enum { CHUNK = 1000, N = 20 };
	uint8_t msg[CHUNK], got[CHUNK];
	uint32_t from_backend = 0, bad = 0;

	REQUIRE(px_open_buf(0, 1, 4096));
	/* client -> backend */
	for (uint32_t k = 0; k < N; k++) {
		for (uint32_t i = 0; i < CHUNK; i++)
			msg[i] = pat(k * CHUNK + i);
		client(TERN_TH_PSH, msg, CHUNK, ph.iss + 1);
		pump(20);
		if (k == 0)
			REQUIRE(backend_accept());
		REQUIRE_EQ(backend_read(got, CHUNK), CHUNK);
		bad += !!memcmp(got, msg, CHUNK);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(ctr(PX_BYTES_TO_BACKEND), N * CHUNK);

	/* backend -> client, the client ACKing what it got */
	bad = 0;
	for (uint32_t k = 0; k < N; k++) {
		uint32_t want = (k + 1) * CHUNK;

		for (uint32_t i = 0; i < CHUNK; i++)
			msg[i] = pat(k * CHUNK + i);
		REQUIRE_EQ(send(ph.bfd, msg, CHUNK, 0), CHUNK);
		for (int tries = 0; tries < 20 && from_backend < want; tries++) {
			ph.h.out.n = 0;
			pump(10);
			for (uint32_t i = 0; i < ph.h.out.n; i++) {
				const struct tern_tx *tx = &ph.h.tx[i];

				if (!tx->len || tx->seq != ph.iss + 1 + from_backend)
					continue;
				for (uint32_t j = 0; j < tx->len; j++)
					bad += tx->payload[j] != pat(from_backend + j);
				from_backend += tx->len;
			}
			client(0, NULL, 0, ph.iss + 1 + from_backend);
		}
		REQUIRE_EQ(from_backend, want);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(ctr(PX_BYTES_TO_CLIENT), N * CHUNK);
	px_close();
}

/* Client bytes k * len .. up to the backend, all of them read back. */
static int upload(uint32_t off, uint32_t len)
{
	static uint8_t msg[16384], got[16384];
	ssize_t n;

	for (uint32_t i = 0; i < len; i++)
		msg[i] = pat(off + i);
	client(TERN_TH_PSH, msg, len, ph.iss + 1);
	pump(20);
	if (ph.bfd < 0 && !backend_accept())
		return 0;
	n = backend_read(got, len);
	return n == (ssize_t)len && !memcmp(got, msg, len);
}

/*
 * --proxy-buf 4096,16384: the ring toward the backend starts at 4 KiB and
 * doubles each time the client fills it and the backend takes all of it,
 * the new room going to the client as window: after two doublings a
 * 16 KiB burst goes through whole; at 16 KiB it stops. A burst past the
 * ring's room would be cut to the window (the backend would read less).
 */
TEST(test_proxy_relay_c2b_ring_grows_to_max)
{
	uint64_t bytes0;

	REQUIRE(px_open_bufs(0, 1, 16384, 4096));
	bytes0 = ctr(PX_BUF_BYTES);
	CHECK(upload(0, 4096));
	CHECK_EQ(ctr(PX_BUF_GROWS), 1);
	CHECK_EQ(ctr(PX_BUF_BYTES), bytes0 + 4096);
	CHECK(upload(4096, 8192));
	CHECK_EQ(ctr(PX_BUF_GROWS), 2);
	CHECK(upload(12288, 16384));
	CHECK(upload(28672, 16384));
	CHECK_EQ(ctr(PX_BUF_GROWS), 2); /* at --proxy-buf */
	CHECK_EQ(ctr(PX_BUF_BYTES), bytes0 + 4096 + 8192);
	CHECK_EQ(ctr(PX_BYTES_TO_BACKEND), 4096 + 8192 + 2 * 16384);
	px_close();
}

/* The client fills the ring: len bytes at off in 16 KiB segments with no
 * pass of the worker in between, then the backend reads them all. */
static int fill(uint32_t off, uint32_t len)
{
	static uint8_t msg[16384], got[1u << 18];

	for (uint32_t k = 0; k < len; k += sizeof(msg)) {
		for (uint32_t i = 0; i < sizeof(msg); i++)
			msg[i] = pat(off + k + i);
		client(TERN_TH_PSH, msg, sizeof(msg), ph.iss + 1);
	}
	pump(20);
	if (ph.bfd < 0 && !backend_accept())
		return 0;
	if (len > sizeof(got) || backend_read(got, len) != (ssize_t)len)
		return 0;
	for (uint32_t i = 0; i < len; i++)
		if (got[i] != pat(off + i))
			return 0;
	return 1;
}

/* By default the ring grows past 256 KiB (MAX is Linux's tcp_wmem[2],
 * 4 MiB): filled at 64, 128 and 256 KiB, it doubles each time. */
TEST(test_proxy_relay_c2b_ring_default_max)
{
	REQUIRE(px_open(0, 1));
	CHECK(fill(0, 65536));
	CHECK(fill(65536, 131072));
	CHECK(fill(196608, 262144));
	CHECK_EQ(ctr(PX_BUF_GROWS), 3);
	px_close();
}

/* --proxy-buf 4096,16384, a client 10 ms away: 2,500 bytes up, then
 * gap ns later 2,500 more, each less than the ring's room. */
static int upload_apart(uint64_t gap)
{
	int ok;

	open_rtt = 10 * 1000000ull;
	ok = px_open_bufs(0, 1, 16384, 4096);
	open_rtt = 0;
	if (!ok || !upload(0, 2500))
		return 0;
	h_advance(&ph.h, gap);
	return upload(2500, 2500);
}

/*
 * A client whose window is the ring: each round trip it sends less than
 * the ring holds, which the backend takes at once, so the ring never
 * fills. 5,000 bytes taken over one round trip grow the ring to twice
 * that (tcp_rcv_space_adjust()), 4 KiB -> 16 KiB at --proxy-buf, and the
 * client gets the room: a 12,000-byte burst goes through whole.
 */
TEST(test_proxy_relay_c2b_ring_grows_with_rtt)
{
	REQUIRE(upload_apart(10 * 1000000ull));
	CHECK_EQ(ctr(PX_BUF_GROWS), 2);
	CHECK(upload(5000, 12000));
	CHECK_EQ(ctr(PX_BYTES_TO_BACKEND), 17000);
	px_close();
}

/* The same bytes with a pause of more than two round trips between
 * them did not come in one: the ring stays at its first size. */
TEST(test_proxy_relay_c2b_ring_pause_stays_small)
{
	REQUIRE(upload_apart(30 * 1000000ull));
	CHECK_EQ(ctr(PX_BUF_GROWS), 0);
	px_close();
}

/* A ring that never fills stays at its first size. */
TEST(test_proxy_relay_c2b_ring_stays_small)
{
	REQUIRE(px_open_bufs(0, 1, 16384, 4096));
	for (uint32_t k = 0; k < 8; k++)
		CHECK(upload(k * 2000, 2000));
	CHECK_EQ(ctr(PX_BUF_GROWS), 0);
	px_close();
}

/* len bytes from the backend, collected from tern's segments with no ACK
 * in between (the ring's size bounds them), then all acknowledged. The
 * bytes that came through, in order and intact, or -1. */
static int64_t download(uint32_t off, uint32_t len)
{
	static uint8_t msg[16384];
	uint32_t got = 0;

	for (uint32_t i = 0; i < len; i++)
		msg[i] = pat(off + i);
	if (send(ph.bfd, msg, len, 0) != (ssize_t)len)
		return -1;
	for (int tries = 0; tries < 10 && got < len; tries++) {
		ph.h.out.n = 0;
		pump(10);
		for (uint32_t i = 0; i < ph.h.out.n; i++) {
			const struct tern_tx *tx = &ph.h.tx[i];

			if (!tx->len || tx->seq != ph.iss + 1 + off + got)
				continue;
			for (uint32_t j = 0; j < tx->len; j++)
				if (tx->payload[j] != pat(off + got + j))
					return -1;
			got += tx->len;
		}
	}
	client(0, NULL, 0, ph.iss + 1 + off + got);
	pump(10);
	return got;
}

/*
 * Without UMEM buffers (an embedding, these tests) the ring toward the
 * client starts at 4 KiB too and doubles once the client has
 * acknowledged all of a full one: 4 KiB, then 8 KiB in one flight.
 */
TEST(test_proxy_relay_b2c_ring_grows_when_acked)
{
	REQUIRE(px_open_bufs(0, 1, 16384, 4096));
	REQUIRE(upload(0, 100));
	CHECK_EQ(download(0, 4096), 4096);
	CHECK_EQ(ctr(PX_BUF_GROWS), 1);
	CHECK_EQ(download(4096, 8192), 8192);
	CHECK_EQ(ctr(PX_BUF_GROWS), 2);
	px_close();
}

/* ---- client -> backend from the received frames (um) ---- */

/* The proxy's socket to the backend: the one whose address is the
 * backend's peer (the proxy keeps its descriptor to itself). */
static int proxy_backend_fd(void)
{
	struct sockaddr_in peer, a;
	socklen_t len = sizeof(peer);

	if (getpeername(ph.bfd, (struct sockaddr *)&peer, &len))
		return -1;
	for (int fd = 3; fd < 1024; fd++) {
		len = sizeof(a);
		if (fd != ph.bfd && !getsockname(fd, (struct sockaddr *)&a, &len) &&
		    len == sizeof(a) && a.sin_family == AF_INET && a.sin_port == peer.sin_port)
			return fd;
	}
	return -1;
}

/* The proxy with um's frames and --proxy-buf buf (0: the default), the
 * backend connected; small: the backend's receive buffer and the proxy's
 * send buffer toward it at their least, so a send takes only part. */
static int px_open_umem(uint32_t buf, int small)
{
	int one = 1;

	ph.umem = true;
	if (!px_open_buf(0, 1, buf))
		return 0;
	if (small && setsockopt(ph.lfd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)))
		return 0;
	pump(30);
	if (!backend_accept())
		return 0;
	return !small || !setsockopt(proxy_backend_fd(), SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
}

/* n client segments of len bytes, stream offset off on (pat). */
static void up_segs(uint32_t off, uint32_t n, uint32_t len)
{
	static uint8_t msg[2048];

	for (uint32_t k = 0; k < n; k++) {
		for (uint32_t i = 0; i < len; i++)
			msg[i] = pat(off + k * len + i);
		client(TERN_TH_PSH, msg, len, ph.iss + 1);
	}
}

/* Read n bytes at the backend while the ring runs (the proxy resubmits
 * what a partial send left); 1 when all came, equal to pat(off...). */
static int backend_drain(uint32_t off, uint32_t n)
{
	static uint8_t got[1 << 17];
	uint32_t have = 0;

	for (int tries = 0; tries < 200 && have < n; tries++) {
		ssize_t r;

		pump(10);
		r = recv(ph.bfd, got + have, n - have, MSG_DONTWAIT);
		if (r > 0)
			have += (uint32_t)r;
	}
	for (uint32_t i = 0; i < have; i++)
		if (got[i] != pat(off + i))
			return 0;
	return have == n;
}

/* Each segment stays in its frame (app_rx) until the send that covers it
 * completes; then the frame goes back. */
TEST(test_proxy_up_frames_back_when_sent)
{
	REQUIRE(px_open_umem(0, 0));
	up_segs(0, 10, 1000);
	CHECK_EQ(um.f.c.n[TERN_FS_APP_RX], 10); /* the send goes at the pass's end */
	CHECK_EQ(ctr(PX_UP_FRAMES), 10);
	CHECK_EQ(ctr(PX_UP_HELD), 10);
	CHECK_EQ(ctr(PX_UP_COPIED), 0);
	CHECK(backend_drain(0, 10000));
	CHECK_EQ(um.f.c.n[TERN_FS_APP_RX], 0);
	CHECK_EQ(ctr(PX_UP_FRAMES), 0);
	CHECK_EQ(ctr(PX_BYTES_TO_BACKEND), 10000);
	CHECK(px_close());
}

/* A backend with a small receive buffer takes part of a send: the frames
 * it covered go back, the rest stays held and goes in the next send. */
TEST(test_proxy_up_partial_send)
{
	uint64_t held;

	REQUIRE(px_open_umem(0, 1));
	up_segs(0, 40, 1400);
	pump(30);
	held = ctr(PX_UP_FRAMES);
	CHECK(held > 0 && held < 40);
	CHECK_EQ(um.f.c.n[TERN_FS_APP_RX], held);
	CHECK(backend_drain(0, 40 * 1400));
	CHECK_EQ(ctr(PX_UP_FRAMES), 0);
	CHECK_EQ(um.f.c.n[TERN_FS_APP_RX], 0);
	CHECK(px_close());
}

/* The backend resets while frames are held (its send pending): the
 * client is reset and every frame goes back. */
TEST(test_proxy_up_backend_rst_frees_frames)
{
	REQUIRE(px_open_umem(0, 1));
	up_segs(0, 40, 1400);
	pump(30);
	REQUIRE(ctr(PX_UP_FRAMES) > 0);
	backend_rst();
	CHECK_EQ(ctr(PX_UP_FRAMES), 0);
	CHECK_EQ(um.f.c.n[TERN_FS_APP_RX], 0);
	CHECK(px_close());
}

/* The client resets its connection: the proxy's record of it ends. */
static void client_rst(void)
{
	struct tern_seg s = h_seg(&ph.h, TERN_TH_RST, ph.cseq, 0);

	h_in(&ph.h, &s);
	pump(30);
	CHECK_EQ(ctr(PX_CONNS), 0);
}

/* The client resets while frames are held: the backend's send is
 * cancelled, the backend reset, every frame back. */
TEST(test_proxy_up_client_rst_frees_frames)
{
	uint8_t buf[8];

	REQUIRE(px_open_umem(0, 1));
	up_segs(0, 40, 1400);
	pump(30);
	REQUIRE(ctr(PX_UP_FRAMES) > 0);
	client_rst();
	CHECK_EQ(ctr(PX_UP_FRAMES), 0);
	CHECK_EQ(um.f.c.n[TERN_FS_APP_RX], 0);
	while (recv(ph.bfd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	CHECK(errno == ECONNRESET);
	CHECK(px_close());
}

/*
 * A connection holds at most --proxy-buf / 1 KiB frames both ways (16
 * with 16 KiB): beyond what its pending recv from the backend holds, the
 * upload keeps frames up to that share and copies the rest into the ring
 * (counted), in order.
 */
TEST(test_proxy_up_conn_share_then_copy)
{
	uint64_t down, share;

	REQUIRE(px_open_umem(16384, 0));
	down = ctr(PX_FRAMES); /* the recv's buffers: PX_RIOV_MIN while idle */
	CHECK_EQ(down, 2);
	REQUIRE(down < 16);
	share = 16 - down;
	up_segs(0, 20, 500);
	CHECK_EQ(ctr(PX_UP_HELD), share);
	CHECK_EQ(ctr(PX_UP_COPIED), 20 - share);
	CHECK_EQ(ctr(PX_FRAME_QUOTA), 20 - share);
	CHECK_EQ(um.f.c.n[TERN_FS_APP_RX], share);
	CHECK(backend_drain(0, 10000));
	CHECK_EQ(ctr(PX_UP_FRAMES), 0);
	up_segs(10000, 4, 500); /* the share is free again */
	CHECK_EQ(ctr(PX_UP_HELD), share + 4);
	CHECK(backend_drain(10000, 2000));
	CHECK(px_close());
}

/* Uploads hold at most half of what the worker lends (max / 2): the
 * other half stays for buffers from the backends. */
TEST(test_proxy_up_half_of_worker_then_copy)
{
	REQUIRE(px_open_umem(0, 0));
	um.af.max = 8;
	up_segs(0, 6, 500);
	CHECK_EQ(ctr(PX_UP_HELD), 4);
	CHECK_EQ(ctr(PX_UP_COPIED), 2);
	CHECK_EQ(ctr(PX_UP_SHARE), 2);
	CHECK(backend_drain(0, 3000));
	CHECK_EQ(ctr(PX_UP_FRAMES), 0);
	CHECK(px_close());
}

/* The worker's share (tern_app_frames.max) reached: copied, counted. */
TEST(test_proxy_up_worker_share_then_copy)
{
	REQUIRE(px_open_umem(0, 0));
	um.max = um_app() + 2;
	up_segs(0, 5, 500);
	CHECK_EQ(ctr(PX_UP_HELD), 2);
	CHECK_EQ(ctr(PX_UP_COPIED), 3);
	CHECK_EQ(ctr(PX_FRAME_NONE), 3);
	CHECK_EQ(um.limited, 3);
	CHECK(backend_drain(0, 2500));
	CHECK(px_close());
}

/* Data the core delivers from its out-of-order queue is in a frame the
 * core keeps: copied; the segment that filled the hole is held. */
TEST(test_proxy_up_ooo_data_copied)
{
	uint8_t a[500], b[500];

	REQUIRE(px_open_umem(0, 0));
	for (uint32_t i = 0; i < 500; i++) {
		a[i] = pat(i);
		b[i] = pat(500 + i);
	}
	client_at(ph.cseq + 500, TERN_TH_PSH, b, 500, ph.iss + 1);
	CHECK_EQ(um.f.c.n[TERN_FS_KEPT], 1);
	client(TERN_TH_PSH, a, 500, ph.iss + 1);
	ph.cseq += 500;
	CHECK_EQ(ctr(PX_UP_HELD), 1);
	CHECK_EQ(ctr(PX_UP_COPIED), 1);
	CHECK_EQ(um.f.c.n[TERN_FS_KEPT], 0);
	CHECK(backend_drain(0, 1000));
	CHECK(px_close());
}

/* With UMEM buffers an idle backend's recv holds PX_RIOV_MIN of them;
 * the recv grows with what it is given, and every byte arrives. */
TEST(test_proxy_b2c_recv_grows_from_two)
{
	REQUIRE(px_open_umem(0, 0));
	CHECK_EQ(ctr(PX_FRAMES), 2);
	for (uint32_t k = 0; k < 4; k++) /* within the initial window each */
		CHECK_EQ(download(k * 8192, 8192), 8192);
	CHECK(px_close());
}

/* ---- backend -> client past the UMEM share (um) ---- */

/* len bytes (at most 16 KiB) from the backend, stream offset off on. */
static int backend_send(uint32_t off, uint32_t len)
{
	static uint8_t msg[16384];

	for (uint32_t i = 0; i < len; i++)
		msg[i] = pat(off + i);
	return send(ph.bfd, msg, len, 0) == (ssize_t)len;
}

/* The next bytes of the stream from offset off + *got on in tern's
 * segments so far: 0, or -1 when one is not pat(). */
static int take(uint32_t off, uint32_t *got)
{
	for (uint32_t i = 0; i < ph.h.out.n; i++) {
		const struct tern_tx *tx = &ph.h.tx[i];

		if (!tx->len || tx->seq != ph.iss + 1 + off + *got)
			continue;
		for (uint32_t j = 0; j < tx->len; j++)
			if (tx->payload[j] != pat(off + *got + j))
				return -1;
		*got += tx->len;
	}
	return 0;
}

/* Collect len bytes from tern's segments (those already out too), the
 * client acknowledging what it got after every pass; the bytes that came
 * in order and intact, or -1. */
static int64_t collect_acked(uint32_t off, uint32_t len)
{
	uint32_t got = 0;

	for (int tries = 0; tries < 40 && got < len; tries++) {
		if (take(off, &got))
			return -1;
		client(0, NULL, 0, ph.iss + 1 + off + got); /* its reply: more segments */
		if (take(off, &got))
			return -1;
		ph.h.out.n = 0;
		pump(10);
	}
	client(0, NULL, 0, ph.iss + 1 + off + got);
	return got;
}

/*
 * --proxy-buf 16384 (a share of 16 buffers) with 256 bytes a buffer: the
 * share holds about 6 KiB, yet all 8 KiB the backend sends are read
 * before the client acknowledges any, the rest in the ring (counted),
 * and reach the client in order, buffers and ring pieces mixed.
 */
TEST(test_proxy_b2c_conn_share_then_ring)
{
	REQUIRE(px_open_umem(16384, 0));
	um.af.room = 256;
	REQUIRE(backend_send(0, 8192));
	ph.h.out.n = 0;
	pump(30);
	CHECK_EQ(ctr(PX_QUEUED_TO_CLIENT), 8192);
	CHECK(ctr(PX_FRAME_QUOTA) > 0);
	CHECK(ctr(PX_DOWN_RING) > 0 && ctr(PX_DOWN_RING) < 8192);
	CHECK_EQ(ctr(PX_FRAMES), 16);
	CHECK_EQ(collect_acked(0, 8192), 8192);
	REQUIRE(backend_send(8192, 16384)); /* the whole bound: more ring */
	CHECK_EQ(collect_acked(8192, 16384), 16384);
	CHECK_EQ(ctr(PX_BYTES_TO_CLIENT), 8192 + 16384);
	CHECK(px_close());
}

/* The worker lends no more buffers: the rest goes into the ring, in order
 * after the buffers the recv already holds. */
TEST(test_proxy_b2c_worker_none_then_ring)
{
	REQUIRE(px_open_umem(0, 0));
	um.max = um_app() + 2;
	CHECK_EQ(download(0, 8192), 8192);
	CHECK(ctr(PX_FRAME_NONE) > 0);
	CHECK(ctr(PX_DOWN_RING) > 0);
	CHECK(px_close());
}

/* The client resets with buffers and ring pieces queued toward it: the
 * backend is reset, every buffer goes back. */
TEST(test_proxy_b2c_ring_client_rst_frees_frames)
{
	REQUIRE(px_open_umem(16384, 0));
	um.af.room = 256;
	REQUIRE(backend_send(0, 8192));
	pump(30);
	REQUIRE(ctr(PX_DOWN_RING) > 0);
	client_rst();
	CHECK_EQ(ctr(PX_FRAMES), 0);
	CHECK(px_close());
}
