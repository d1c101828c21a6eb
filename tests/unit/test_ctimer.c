// SPDX-License-Identifier: BSD-2-Clause
/*
 * A connection's timers over long idle periods and on unusual input paths:
 * the keepalive deadline is armed on every exit of connection input
 * (tcp_keepalive_timer runs for every established socket that asked for
 * it), TCP_USER_TIMEOUT counts from the oldest unacknowledged data or the
 * first zero-window probe (tcp_write_timeout, tcp_probe_timer's
 * icsk_probes_tstamp), and millisecond rate limits stay right after any
 * idle time.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"

#define CSEQ 0x30000000u
#define TSV0 7000u
#define MS(x) ((uint64_t)(x) * TERN_NSEC_PER_MSEC)
#define SEC(x) ((uint64_t)(x) * TERN_NSEC_PER_SEC)

static struct h hh;

struct ev {
	uint64_t at;
	struct tern_tx tx;
};

static struct ev evs[256];
static uint32_t nev;

static void reset(const struct tern_listen_opts *lo)
{
	struct tern_seg s;

	if (hh.mem)
		h_free(&hh);
	h_init(&hh, NULL);
	s = h_seg(&hh, 0, 0, 0);
	if (lo)
		tern_stack__listen_opts(hh.s, &s.t.laddr, 80, lo);
}

static void log_out(struct h *h)
{
	for (uint32_t i = 0; i < h->out.n && nev < sizeof(evs) / sizeof(evs[0]); i++)
		evs[nev++] = (struct ev){ .at = h->now, .tx = h->tx[i] };
}

/* Poll at every deadline up to `until`, logging what is sent. */
static void run_until(struct h *h, uint64_t until)
{
	nev = 0;
	for (int guard = 0; guard < 100000; guard++) {
		uint64_t d = tern_stack__next_deadline(h->s);

		if (d > until)
			break;
		if (d > h->now)
			h->now = d;
		h_poll(h);
		log_out(h);
		if (tern_stack__next_deadline(h->s) <= h->now)
			break; /* nothing moved: do not spin */
	}
	h->now = until;
	h_poll(h);
	log_out(h);
}

/* SYN with the Linux option set; returns tern's ISS and our TSval. */
static bool syn(uint32_t *iss, uint32_t *tsval)
{
	struct tern_seg s = h_seg(&hh, TERN_TH_SYN, CSEQ, 0);

	h_linux_syn_opts(&s, TSV0);
	h_in(&hh, &s);
	if (hh.out.n != 1)
		return false;
	*iss = hh.tx[0].seq;
	*tsval = h_tx_opts(&hh.tx[0]).tsval;
	return true;
}

static const struct tern_listen_opts ka_opts = {
	.keepalive_idle_s = 10, .keepalive_intvl_s = 2, .keepalive_cnt = 3,
};

/*
 * The final ACK of a timestamp handshake arrives without a timestamp (a
 * middlebox stripped it): whatever the connection does with that segment,
 * it is established, and its keepalive must run 10 s later.
 */
TEST(test_synrcvd_ack_without_ts_keepalive_armed)
{
	uint32_t iss, tsval;
	struct tern_seg s;
	uint64_t t0;

	reset(&ka_opts);
	REQUIRE(syn(&iss, &tsval));
	s = h_seg(&hh, TERN_TH_ACK, CSEQ + 1, iss + 1);
	s.win = 502;
	h_in(&hh, &s);
	REQUIRE(hh.conn);
	REQUIRE_EQ(tern_stack__nconns(hh.s), 1);
	t0 = hh.now;
	CHECK(tern_stack__next_deadline(hh.s) <= t0 + SEC(10));

	run_until(&hh, t0 + SEC(10));
	REQUIRE_EQ(nev, 1);
	CHECK_EQ(evs[0].at, t0 + SEC(10));
	CHECK_EQ(evs[0].tx.flags, TERN_TH_ACK);
	CHECK_EQ(evs[0].tx.seq, iss);
	CHECK_EQ(evs[0].tx.ack, CSEQ + 1);
	CHECK_EQ(H_MIB(&hh, TCPKeepAlive), 1);
}

/* A segment the connection drops (a SYN in the window: challenge ACK)
 * leaves the keepalive deadline armed too. */
TEST(test_estab_dropped_segment_keepalive_armed)
{
	uint32_t iss;
	struct tern_seg s;
	uint64_t t0;

	reset(&ka_opts);
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &iss));
	t0 = hh.now;
	h_advance(&hh, SEC(1));
	s = h_seg(&hh, TERN_TH_SYN, CSEQ + 1, 0);
	h_ts(&s, TSV0 + 2, 0);
	h_in(&hh, &s);
	CHECK_EQ(H_MIB(&hh, TCPSYNChallenge), 1);
	CHECK(tern_stack__next_deadline(hh.s) <= t0 + SEC(10));
	run_until(&hh, t0 + SEC(10));
	REQUIRE_EQ(nev, 1);
	CHECK_EQ(evs[0].tx.seq, iss);
	CHECK_EQ(H_MIB(&hh, TCPKeepAlive), 1);
}

/* --- TCP_USER_TIMEOUT after idle --- */

static uint8_t buf[4096]; /* payload: the core keeps pointers until acked */
static uint32_t cts = TSV0 + 1; /* the client's TS clock */

static struct tern_seg cseg(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win)
{
	struct tern_seg s = h_seg(&hh, flags, seq, ack);

	s.win = win;
	h_ts(&s, ++cts, tern_ms(hh.now) + hh.conn->ts_off);
	return s;
}

static const struct tern_listen_opts ut_opts = { .user_timeout_ms = 5000 };

/*
 * Data acked at once, then a minute of idle, then the peer shuts its
 * window and the application sends: the user timeout counts from the
 * first zero-window probe (icsk_probes_tstamp), not from the last ACK a
 * minute ago, and the probe timer is clamped to what is left of it
 * (tcp_clamp_probe0_to_user_timeout).
 */
TEST(test_estab_user_timeout_zero_window_after_idle)
{
	uint32_t iss, first = 0;
	struct tern_seg s;
	uint64_t t1, probe_at = 0, rst_at = 0;

	reset(&ut_opts);
	cts = TSV0 + 1;
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &iss));
	REQUIRE_EQ(h_send(&hh, buf, 100), 100);
	h_advance(&hh, MS(10));
	s = cseg(TERN_TH_ACK, CSEQ + 1, iss + 101, 502);
	h_in(&hh, &s);
	REQUIRE_EQ(hh.conn->snd_una, iss + 101);

	h_advance(&hh, SEC(60));
	s = cseg(TERN_TH_ACK, CSEQ + 1, iss + 101, 0);
	h_in(&hh, &s);
	REQUIRE_EQ(hh.conn->snd_wnd, 0);
	REQUIRE_EQ(h_send(&hh, buf, 100), 100);
	CHECK_EQ(hh.out.n, 0);
	t1 = hh.now;

	run_until(&hh, t1 + SEC(30));
	for (uint32_t i = 0; i < nev; i++) {
		if (evs[i].tx.flags & TERN_TH_RST) {
			rst_at = evs[i].at;
			break;
		}
		CHECK_EQ(evs[i].tx.flags, TERN_TH_ACK);
		CHECK_EQ(evs[i].tx.seq, iss + 100); /* SND.UNA - 1 */
		if (!first++)
			probe_at = evs[i].at;
	}
	REQUIRE(probe_at);
	CHECK(probe_at > t1);
	REQUIRE(rst_at);
	/* within the ms clock's resolution */
	CHECK(rst_at > probe_at + SEC(5) - MS(1) && rst_at <= probe_at + SEC(5));
	CHECK_EQ(hh.last_reason, TERN_CLOSE_USER_TIMEOUT);
	CHECK_EQ(H_MIB(&hh, TCPAbortOnTimeout), 1);
	CHECK(H_MIB(&hh, TCPWinProbe) >= 2);
}

/* The peer answers every probe with a zero window: probing goes on past
 * the retry count (RFC 1122 4.2.2.17) but ends at the user timeout. */
TEST(test_estab_user_timeout_probes_answered)
{
	uint32_t iss;
	struct tern_seg s;
	uint64_t t1, first = 0;

	reset(&ut_opts);
	cts = TSV0 + 1;
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &iss));
	h_advance(&hh, SEC(3600));
	s = cseg(TERN_TH_ACK, CSEQ + 1, iss + 1, 0);
	h_in(&hh, &s);
	REQUIRE_EQ(h_send(&hh, buf, 10), 10);
	t1 = hh.now;
	for (int i = 0; i < 1000 && hh.conn && tern_stack__nconns(hh.s); i++) {
		uint64_t d = tern_stack__next_deadline(hh.s);

		REQUIRE(d != UINT64_MAX);
		hh.now = d > hh.now ? d : hh.now;
		h_poll(&hh);
		if (hh.out.n && (hh.tx[0].flags & TERN_TH_RST))
			break;
		if (hh.out.n && !first)
			first = hh.now;
		s = cseg(TERN_TH_ACK, CSEQ + 1, iss + 1, 0);
		h_in(&hh, &s);
	}
	REQUIRE(first > t1);
	CHECK(hh.now > first + SEC(5) - MS(1) && hh.now <= first + SEC(5));
	CHECK_EQ(tern_stack__nconns(hh.s), 0);
	CHECK_EQ(hh.last_reason, TERN_CLOSE_USER_TIMEOUT);
}

/* --- millisecond clocks after long idle --- */

/* An in-window SYN on an established connection: RFC 5961 4.2 challenge. */
static uint32_t syn_challenges(uint32_t iss)
{
	struct tern_seg s = h_seg(&hh, TERN_TH_SYN, CSEQ + 1, 0);

	h_ts(&s, ++cts, 0);
	h_in(&hh, &s);
	if (hh.out.n != 1)
		return 0;
	CHECK_EQ(hh.tx[0].flags, TERN_TH_ACK);
	CHECK_EQ(hh.tx[0].seq, iss + 1);
	CHECK_EQ(hh.tx[0].ack, CSEQ + 1);
	return 1;
}

/*
 * The per-connection limit (one challenge per 500 ms) holds, and a
 * challenge is sent again after 24.8 days + 1 s and after 49.7 days +
 * 100 ms of idle: neither idle time may look like "less than 500 ms ago"
 * on a wrapped 32-bit ms clock.
 */
TEST(test_estab_challenge_ack_after_long_idle)
{
	uint32_t iss;

	reset(NULL);
	cts = TSV0 + 1;
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &iss));
	CHECK_EQ(syn_challenges(iss), 1);
	h_advance(&hh, MS(100));
	CHECK_EQ(syn_challenges(iss), 0);
	CHECK_EQ(H_MIB(&hh, TCPACKSkippedChallenge), 1);

	h_advance(&hh, MS((1ull << 31) + 1000));
	CHECK_EQ(syn_challenges(iss), 1);
	h_advance(&hh, MS((1ull << 32) + 100));
	CHECK_EQ(syn_challenges(iss), 1);
	h_advance(&hh, MS(499));
	CHECK_EQ(syn_challenges(iss), 0);
	CHECK_EQ(H_MIB(&hh, TCPACKSkippedChallenge), 2);
	CHECK_EQ(H_MIB(&hh, TCPChallengeACK), 3);
}

/* An application timer beyond what a 32-bit ms deadline can hold is cut
 * to 2^31 - 1 ms instead of firing at once. */
TEST(test_estab_app_timer_longest)
{
	uint32_t iss;
	uint64_t d;

	reset(NULL);
	REQUIRE(h_connect(&hh, CSEQ, TSV0, &iss));
	tern_conn__set_timer(hh.s, hh.conn, UINT32_MAX, hh.now);
	d = tern_stack__next_deadline(hh.s);
	CHECK(d > hh.now + SEC(3600)); /* the wheel may wake early, not now */
	CHECK_EQ(hh.conn->app_at - tern_ms(hh.now), TERN_DEADLINE_MAX_MS);
	h_advance(&hh, SEC(1));
	h_poll(&hh);
	CHECK(hh.conn->app_at); /* not fired */
}

TEST(test_cfg_fin_timeout_beyond_deadline_range_rejected)
{
	struct tern_cfg cfg;

	tern_cfg__defaults(&cfg);
	cfg.fin_timeout_ms = TERN_DEADLINE_MAX_MS;
	CHECK(tern_stack__memsize(&cfg) > 0);
	cfg.fin_timeout_ms = TERN_DEADLINE_MAX_MS + 1;
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
	tern_cfg__defaults(&cfg);
	cfg.time_wait_ms = TERN_DEADLINE_MAX_MS + 1;
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
}

/* TCP_USER_TIMEOUT is an int in Linux: above INT32_MAX ms it is refused
 * (the ms clock's elapsed-time comparisons would wrap). */
TEST(test_listen_user_timeout_bound)
{
	struct tern_listen_opts o = { .user_timeout_ms = TERN_DEADLINE_MAX_MS };
	struct tern_seg s;

	reset(NULL);
	s = h_seg(&hh, 0, 0, 0);
	CHECK_EQ(tern_stack__listen_opts(hh.s, &s.t.laddr, 80, &o), 0);
	o.user_timeout_ms = TERN_DEADLINE_MAX_MS + 1;
	CHECK_EQ(tern_stack__listen_opts(hh.s, &s.t.laddr, 80, &o), -EINVAL);
}
