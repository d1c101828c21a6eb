// SPDX-License-Identifier: BSD-2-Clause
/*
 * The send MSS taken from the peer's MSS option (tcp_mtu_to_mss): clamped
 * from below by tcp_min_snd_mss (48) before the timestamp option is taken
 * off, so a tiny option gives neither 1-byte, empty nor wrapped segments.
 */
#include <string.h>

#include "tests/unit/harness.h"
#include "tests/unit/t.h"

#define CSEQ 0x20000000u
#define TSV0 5000u

static struct h hh;

static void reset(void (*tweak)(struct tern_cfg *))
{
	if (hh.mem)
		h_free(&hh);
	h_init(&hh, tweak);
}

/* Handshake with a SYN offering `mss` (and TS when ts). */
static struct tern_conn *open_with_mss(uint16_t mss, int ts, uint32_t *iss)
{
	struct tern_seg s = h_seg(&hh, TERN_TH_SYN, CSEQ, 0);
	struct tern_opts o;

	h_linux_syn_opts(&s, TSV0);
	s.opt.mss = mss;
	if (!ts)
		s.opt.present &= (uint8_t)~TERN_OPT_TS;
	h_in(&hh, &s);
	if (hh.out.n != 1 || hh.tx[0].flags != (TERN_TH_SYN | TERN_TH_ACK))
		return NULL;
	*iss = hh.tx[0].seq;
	o = h_tx_opts(&hh.tx[0]);
	s = h_seg(&hh, TERN_TH_ACK, CSEQ + 1, *iss + 1);
	s.win = 502;
	if (ts)
		h_ts(&s, TSV0 + 1, o.tsval);
	h_in(&hh, &s);
	return hh.conn;
}

static uint8_t payload[400];

/* Send 100 bytes and check they leave as segments of `seglen` payload. */
static void check_segments(uint32_t iss, uint32_t seglen)
{
	uint32_t off = 0;

	REQUIRE_EQ(h_send(&hh, payload, 100), 100);
	REQUIRE_EQ(hh.out.n, (100 + seglen - 1) / seglen);
	for (uint32_t i = 0; i < hh.out.n; i++) {
		uint32_t want = 100 - off < seglen ? 100 - off : seglen;

		CHECK_EQ(hh.tx[i].seq, iss + 1 + off);
		CHECK_EQ(hh.tx[i].len, want);
		off += hh.tx[i].len;
	}
	CHECK_EQ(off, 100);
}

TEST(test_synrcvd_mss_8_with_ts)
{
	uint32_t iss;
	struct tern_conn *c;

	reset(NULL);
	c = open_with_mss(8, 1, &iss);
	REQUIRE(c);
	CHECK_EQ(c->mss, 48 - 12); /* never 8 - 12 wrapped to 65532 */
	check_segments(iss, 36);
}

TEST(test_synrcvd_mss_12_with_ts)
{
	uint32_t iss;
	struct tern_conn *c;

	reset(NULL);
	c = open_with_mss(12, 1, &iss);
	REQUIRE(c);
	CHECK_EQ(c->mss, 36); /* never 0 */
	check_segments(iss, 36);
}

TEST(test_synrcvd_mss_1_no_ts)
{
	uint32_t iss;
	struct tern_conn *c;

	reset(NULL);
	c = open_with_mss(1, 0, &iss);
	REQUIRE(c);
	CHECK_EQ(c->mss, 48); /* never 1-byte segments */
	check_segments(iss, 48);
}

TEST(test_synrcvd_mss_47_no_ts)
{
	uint32_t iss;

	reset(NULL);
	REQUIRE(open_with_mss(47, 0, &iss));
	check_segments(iss, 48);
}

TEST(test_synrcvd_mss_48_unchanged)
{
	uint32_t iss;

	reset(NULL);
	REQUIRE(open_with_mss(60, 1, &iss));
	CHECK_EQ(hh.conn->mss, 48); /* above the floor: 60 less the TS option */
	check_segments(iss, 48);
}

static void floor_64(struct tern_cfg *c)
{
	c->min_snd_mss = 64;
}

TEST(test_synrcvd_mss_floor_configurable)
{
	uint32_t iss;

	reset(floor_64);
	REQUIRE(open_with_mss(8, 1, &iss));
	CHECK_EQ(hh.conn->mss, 64 - 12);
	check_segments(iss, 52);
}

static void floor_47(struct tern_cfg *c)
{
	c->min_snd_mss = 47;
}

TEST(test_cfg_min_snd_mss_below_48_rejected)
{
	struct tern_cfg cfg;

	tern_cfg__defaults(&cfg);
	CHECK_EQ(cfg.min_snd_mss, 48);
	floor_47(&cfg);
	CHECK_EQ(tern_stack__memsize(&cfg), 0);
}
