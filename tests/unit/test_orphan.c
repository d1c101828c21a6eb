// SPDX-License-Identifier: BSD-2-Clause
/*
 * Orphans: connections the application closed that are still alive (FIN
 * or data unacknowledged). Their retransmissions and zero-window probes end
 * after orphan_retries (Linux tcp_orphan_retries(): 0 means 8 while the
 * backed-off RTO is below TCP_RTO_MAX, then none), even when the peer
 * answers every probe; and a close beyond max_orphans resets at once
 * (__tcp_close -> tcp_check_oom, TCPAbortOnMemory). Connections come from
 * h_connect(): TS, SACK, WS 7, no RTT sample yet (RTO 1 s).
 */
#include <stdbool.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"

#define CSEQ 0x60000000u
#define TSV0 4000u
#define SEC(x) ((uint64_t)(x) * TERN_NSEC_PER_SEC)

static struct h hh;
static uint8_t sbuf[1024];
static uint32_t cts;

struct ev {
	uint64_t at;
	struct tern_tx tx;
};

static struct ev evs[64];
static uint32_t nev;

static struct tern_conn *open_one(void (*tweak)(struct tern_cfg *), uint32_t *iss)
{
	if (hh.mem)
		h_free(&hh);
	h_init(&hh, tweak);
	cts = TSV0 + 1;
	return h_connect(&hh, CSEQ, TSV0, iss);
}

/* Poll at every deadline until the stack has no connection or `until`. */
static void run_until(uint64_t until)
{
	nev = 0;
	for (int guard = 0; guard < 10000 && tern_stack__nconns(hh.s); guard++) {
		uint64_t d = tern_stack__next_deadline(hh.s);

		if (d > until)
			break;
		if (d > hh.now)
			hh.now = d;
		h_poll(&hh);
		for (uint32_t i = 0; i < hh.out.n && nev < 64; i++)
			evs[nev++] = (struct ev){ .at = hh.now, .tx = hh.tx[i] };
	}
}

/* The peer's ACK of `ack` with window `win`. */
static void peer_ack(struct tern_conn *c, uint32_t ack, uint16_t win)
{
	struct tern_seg s = h_seg(&hh, TERN_TH_ACK, CSEQ + 1, ack);

	s.win = win;
	h_ts(&s, ++cts, tern_ms(hh.now) + c->ts_off);
	h_in(&hh, &s);
}

/* Backed-off RTO n times from rto0 ms, capped at TCP_RTO_MAX (ns). */
static uint64_t backed_off(uint32_t rto0, uint32_t n)
{
	uint64_t ms = (uint64_t)rto0 << n;

	return (ms < 120000 ? ms : 120000) * TERN_NSEC_PER_MSEC;
}

/* Timer expiries an orphan lives through with tcp_orphan_retries 0: 8
 * retries, fewer when the backed-off RTO reaches TCP_RTO_MAX first. */
static uint32_t orphan_expiries(uint32_t rto0)
{
	uint32_t n = 0;

	while (n < 8 && ((uint64_t)rto0 << n) < 120000)
		n++;
	return n;
}

/* The RTO's rule alone: no tail loss probe before the first expiry. */
static void no_loss_probes(struct tern_cfg *c)
{
	c->loss_probes = 0;
}

/*
 * Closed, FIN never acknowledged: retransmitted with the backed-off RTO
 * (orphan_retries 0 -> 8 while alive), and the orphan is reset at the
 * first expiry where 8 retries are spent or the backed-off RTO has
 * reached TCP_RTO_MAX. With the 1 s initial RTO: 7 FINs (1 s << 7 =
 * 128 s), not the 15 retransmissions of a live connection.
 */
TEST(test_fin_wait_1_orphan_fin_retries)
{
	uint32_t iss, rto0, n;
	struct tern_conn *c;
	uint64_t t0, at;

	REQUIRE((c = open_one(no_loss_probes, &iss)));
	rto0 = c->rto_ms;
	n = orphan_expiries(rto0);
	CHECK(n < 15);
	CHECK(rto0 != 1000 || n == 7);
	REQUIRE_EQ(h_close(&hh), 0);
	REQUIRE_EQ(hh.out.n, 1);
	t0 = hh.now;
	run_until(t0 + SEC(3600));
	REQUIRE_EQ(nev, n + 1);
	at = t0;
	for (uint32_t i = 0; i < n; i++) {
		at += backed_off(rto0, i);
		CHECK_EQ(evs[i].at, at);
		CHECK_EQ(evs[i].tx.flags, TERN_TH_FIN | TERN_TH_ACK);
		CHECK_EQ(evs[i].tx.seq, iss + 1);
	}
	CHECK_EQ(evs[n].at, at + backed_off(rto0, n));
	CHECK_EQ(evs[n].tx.flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(evs[n].tx.seq, iss + 2);
	CHECK_EQ(tern_stack__nconns(hh.s), 0);
	CHECK_EQ(hh.last_reason, TERN_CLOSE_TIMEOUT);
	CHECK_EQ(H_MIB(&hh, TCPAbortOnTimeout), 1);
	CHECK_EQ(H_MIB(&hh, RetransSegs), n);
}

static void orphan_retries_3(struct tern_cfg *c)
{
	c->orphan_retries = 3;
	c->loss_probes = 0;
}

TEST(test_fin_wait_1_orphan_retries_configured)
{
	uint32_t iss, rto0;
	struct tern_conn *c;
	uint64_t t0;

	REQUIRE((c = open_one(orphan_retries_3, &iss)));
	rto0 = c->rto_ms;
	REQUIRE_EQ(h_close(&hh), 0);
	t0 = hh.now;
	run_until(t0 + SEC(3600));
	REQUIRE_EQ(nev, 4);
	CHECK_EQ(evs[2].at, t0 + backed_off(rto0, 0) + backed_off(rto0, 1) + backed_off(rto0, 2));
	CHECK_EQ(evs[2].tx.flags, TERN_TH_FIN | TERN_TH_ACK);
	CHECK_EQ(evs[3].at, evs[2].at + backed_off(rto0, 3));
	CHECK_EQ(evs[3].tx.flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(H_MIB(&hh, TCPAbortOnTimeout), 1);
}

/*
 * The peer keeps a zero window and answers every probe. A live
 * connection probes for ever (RFC 1122 4.2.2.17); an orphan dies when its
 * probe backoff reaches TCP_RTO_MAX (7 probes with the 1 s initial RTO:
 * 1 s << 7 >= 120 s), then a reset, as Linux's tcp_probe_timer() with
 * SOCK_DEAD.
 */
TEST(test_fin_wait_1_orphan_zero_window_dies)
{
	uint32_t iss, probes = 0, alive_probes = 0;
	struct tern_conn *c;
	int rst = 0;

	REQUIRE((c = open_one(NULL, &iss)));
	while (((uint64_t)c->rto_ms << alive_probes) < 120000)
		alive_probes++; /* 7 with the 1 s initial RTO */
	peer_ack(c, iss + 1, 0);
	REQUIRE_EQ(c->snd_wnd, 0);
	REQUIRE_EQ(h_send(&hh, sbuf, 100), 100);
	CHECK_EQ(hh.out.n, 0);
	REQUIRE_EQ(h_close(&hh), 0);
	CHECK_EQ(hh.out.n, 0); /* data and FIN wait for the window */
	for (int i = 0; i < 100 && !rst; i++) {
		uint64_t d = tern_stack__next_deadline(hh.s);

		REQUIRE(d != UINT64_MAX);
		hh.now = d > hh.now ? d : hh.now;
		h_poll(&hh);
		for (uint32_t k = 0; k < hh.out.n; k++) {
			if (hh.tx[k].flags & TERN_TH_RST) {
				rst = 1;
				CHECK_EQ(hh.tx[k].seq, iss + 1);
			} else {
				CHECK_EQ(hh.tx[k].flags, TERN_TH_ACK);
				CHECK_EQ(hh.tx[k].seq, iss); /* SND.UNA - 1 */
				probes++;
			}
		}
		if (!rst && hh.out.n)
			peer_ack(c, iss + 1, 0); /* answered, window still 0 */
	}
	CHECK(rst);
	CHECK_EQ(probes, alive_probes);
	CHECK_EQ(tern_stack__nconns(hh.s), 0);
	CHECK_EQ(hh.last_reason, TERN_CLOSE_TIMEOUT);
	CHECK_EQ(H_MIB(&hh, TCPAbortOnTimeout), 1);
	CHECK_EQ(H_MIB(&hh, TCPWinProbe), alive_probes);
	CHECK(alive_probes > 0 && alive_probes < 15);
}

static void max_orphans_1(struct tern_cfg *c)
{
	c->max_orphans = 1;
}

/* The second orphan beyond max_orphans 1 is reset at close; once the
 * first is gone, a close is orderly again. */
TEST(test_estab_close_beyond_max_orphans_resets)
{
	uint32_t iss_a, iss_b, iss_c;
	struct tern_conn *a, *b, *c;

	REQUIRE((a = open_one(max_orphans_1, &iss_a)));
	hh.cport = 40001;
	REQUIRE((b = h_connect(&hh, CSEQ, TSV0, &iss_b)));
	hh.cport = 40002;
	REQUIRE((c = h_connect(&hh, CSEQ, TSV0, &iss_c)));

	hh.conn = a;
	REQUIRE_EQ(h_close(&hh), 0);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].flags, TERN_TH_FIN | TERN_TH_ACK);
	CHECK_EQ(H_MIB(&hh, TCPAbortOnMemory), 0);

	/* as __tcp_close(): the FIN goes out, then the reset after it */
	hh.conn = b;
	REQUIRE_EQ(h_close(&hh), 0);
	REQUIRE_EQ(hh.out.n, 2);
	CHECK_EQ(hh.tx[0].flags, TERN_TH_FIN | TERN_TH_ACK);
	CHECK_EQ(hh.tx[1].flags, TERN_TH_RST | TERN_TH_ACK);
	CHECK_EQ(hh.tx[1].seq, iss_b + 2);
	CHECK_EQ(hh.tx[1].t.rport, 40001);
	CHECK_EQ(H_MIB(&hh, TCPAbortOnMemory), 1);
	CHECK_EQ(tern_stack__nconns(hh.s), 2);
	CHECK_EQ(hh.s->orphans, 1);

	/* a's FIN acknowledged and the peer's FIN: a goes to TIME-WAIT */
	hh.cport = 40000;
	peer_ack(a, iss_a + 2, 502);
	{
		struct tern_seg s = h_seg(&hh, TERN_TH_FIN | TERN_TH_ACK, CSEQ + 1, iss_a + 2);

		s.win = 502;
		h_ts(&s, ++cts, tern_ms(hh.now) + a->ts_off);
		h_in(&hh, &s);
	}
	REQUIRE_EQ(tern_stack__nconns(hh.s), 1);
	CHECK_EQ(hh.s->orphans, 0);

	hh.conn = c;
	REQUIRE_EQ(h_close(&hh), 0);
	REQUIRE_EQ(hh.out.n, 1);
	CHECK_EQ(hh.tx[0].flags, TERN_TH_FIN | TERN_TH_ACK);
	CHECK_EQ(H_MIB(&hh, TCPAbortOnMemory), 1);
}

TEST(test_cfg_max_orphans_default_half_of_conns)
{
	uint32_t iss;

	REQUIRE(open_one(NULL, &iss));
	CHECK_EQ(hh.s->max_orphans, hh.s->cfg.max_conns / 2);
}
