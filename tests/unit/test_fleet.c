// SPDX-License-Identifier: BSD-2-Clause
/* Fleet cookie keys: a cookie one stack issued validates on another with
 * the same secret; rotation keeps the previous keys for their window. */
#include <errno.h>

#include "harness.h"
#include "t.h"

#define MINUTE (60 * TERN_NSEC_PER_SEC)

static void always(struct tern_cfg *c)
{
	c->syncookies = TERN_COOKIES_ALWAYS;
}

static void secret_bytes(uint8_t *b, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + i * 13 + (i >> 3));
}

static struct tern_fleet_keys keys_of(uint8_t seed)
{
	struct tern_fleet_keys k;
	uint8_t b[64];

	secret_bytes(b, sizeof(b), seed);
	memset(&k, 0, sizeof(k));
	if (tern_fleet_keys__derive(b, sizeof(b), &k))
		t_fail(__FILE__, __LINE__, "derive");
	return k;
}

/* A host of the fleet: its own host keys (differing from the other
 * host's), the fleet keys of seed, count_off. A issues cookies (always),
 * B runs the default auto mode and has sent none. */
static void host(struct h *h, void (*tweak)(struct tern_cfg *), uint8_t host_id, uint8_t seed,
		 int64_t count_off)
{
	struct tern_fleet_keys k = keys_of(seed);

	h_init(h, tweak);
	h->s->sec.isn.k0 ^= host_id;
	h->s->sec.table.k1 ^= host_id;
	tern_stack__set_fleet(h->s, &k, count_off);
}

static struct tern_tx syn_to(struct h *h, uint32_t cseq)
{
	struct tern_seg seg = h_seg(h, TERN_TH_SYN, cseq, 0);
	struct tern_tx none = { 0 };

	h_linux_syn_opts(&seg, 7);
	h_in(h, &seg);
	return h->out.n == 1 && h->tx[0].flags == (TERN_TH_SYN | TERN_TH_ACK) ? h->tx[0] : none;
}

/* The final ACK for sa into h, echoing sa's TSval. */
static void ack_to(struct h *h, uint32_t cseq, const struct tern_tx *sa)
{
	struct tern_seg seg = h_seg(h, TERN_TH_ACK, cseq + 1, sa->seq + 1);

	h_ts(&seg, 8, h_tx_opts(sa).tsval);
	h_in(h, &seg);
}

TEST(test_fleet_derive_same_bytes_same_keys)
{
	struct tern_fleet_keys a = keys_of(1), b = keys_of(1), c = keys_of(2), d;
	uint8_t bytes[TERN_FLEET_SECRET_MAX + 1];

	CHECK(!memcmp(&a, &b, sizeof(a)));
	CHECK(memcmp(&a, &c, sizeof(a)));
	/* distinct labels: no two keys alike */
	CHECK(memcmp(&a.cookie[0], &a.cookie[1], sizeof(a.cookie[0])));
	CHECK(memcmp(&a.cookie[0], &a.tsoff, sizeof(a.tsoff)));
	CHECK(memcmp(&a.cookie[1], &a.tsoff, sizeof(a.tsoff)));
	/* every byte counts, the last as the first */
	secret_bytes(bytes, 64, 1);
	bytes[63] ^= 1;
	REQUIRE_EQ(tern_fleet_keys__derive(bytes, 64, &d), 0);
	CHECK(memcmp(&a, &d, sizeof(a)));
	secret_bytes(bytes, 64, 1);
	bytes[0] ^= 1;
	REQUIRE_EQ(tern_fleet_keys__derive(bytes, 64, &d), 0);
	CHECK(memcmp(&a, &d, sizeof(a)));
	/* bounds */
	memset(bytes, 7, sizeof(bytes));
	CHECK_EQ(tern_fleet_keys__derive(bytes, TERN_FLEET_SECRET_MIN - 1, &d), -EINVAL);
	CHECK_EQ(tern_fleet_keys__derive(bytes, TERN_FLEET_SECRET_MIN, &d), 0);
	CHECK_EQ(tern_fleet_keys__derive(bytes, TERN_FLEET_SECRET_MAX, &d), 0);
	CHECK_EQ(tern_fleet_keys__derive(bytes, TERN_FLEET_SECRET_MAX + 1, &d), -EINVAL);
}

/* A's SYN-ACK, the ACK into B: B establishes with the options A's cookie
 * carried (decoded from the TSecr with the shared ts-off key). */
TEST(test_fleet_cookie_from_a_establishes_on_b)
{
	struct h a, b;
	struct tern_tx sa;
	struct tern_conn *c;

	host(&a, always, 1, 5, 0);
	host(&b, NULL, 2, 5, 0);
	b.now = a.now;
	sa = syn_to(&a, 1000);
	REQUIRE_EQ(sa.flags, TERN_TH_SYN | TERN_TH_ACK);
	CHECK_EQ(H_MIB(&a, SyncookiesSent), 1);
	h_advance(&b, TERN_NSEC_PER_SEC);
	ack_to(&b, 1000, &sa);
	CHECK_EQ(b.out.n, 0);
	CHECK_EQ(H_MIB(&b, SyncookiesRecv), 1);
	CHECK_EQ(H_MIB(&b, SyncookiesFailed), 0);
	CHECK_EQ(H_MIB(&b, PassiveOpens), 1);
	REQUIRE(b.conn);
	c = b.conn;
	CHECK_EQ(c->state, TERN_ESTABLISHED);
	CHECK_EQ(c->snd_una, sa.seq + 1);
	CHECK_EQ(c->optf, TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS);
	CHECK_EQ(c->snd_wscale, 7);
	CHECK_EQ(c->mss, 1460 - 12);
	/* B's TSvals continue from A's: never behind the SYN-ACK's */
	REQUIRE_EQ(h_send(&b, "x", 1), 1);
	REQUIRE(b.out.n >= 1);
	CHECK((int32_t)(h_tx_opts(&b.tx[0]).tsval - h_tx_opts(&sa).tsval) >= 0);
	h_free(&a);
	h_free(&b);
}

/* B's monotonic clock far behind A's: with the same count offset to the
 * shared clock the cookie still validates, and B's TSvals do not go back. */
TEST(test_fleet_clocks_apart_count_off)
{
	struct h a, b;
	struct tern_tx sa;
	uint64_t a_now = 1000 * MINUTE + 5 * TERN_NSEC_PER_SEC;
	uint64_t b_now = 7 * MINUTE + 9 * TERN_NSEC_PER_SEC;
	int64_t wall = 500000 * (int64_t)MINUTE;

	host(&a, always, 1, 5, wall - (int64_t)a_now);
	host(&b, NULL, 2, 5, wall - (int64_t)b_now);
	a.now = a_now;
	b.now = b_now;
	sa = syn_to(&a, 1000);
	REQUIRE_EQ(sa.flags, TERN_TH_SYN | TERN_TH_ACK);
	ack_to(&b, 1000, &sa);
	CHECK_EQ(H_MIB(&b, SyncookiesRecv), 1);
	REQUIRE(b.conn);
	REQUIRE_EQ(h_send(&b, "x", 1), 1);
	REQUIRE(b.out.n >= 1);
	CHECK((int32_t)(h_tx_opts(&b.tx[0]).tsval - h_tx_opts(&sa).tsval) >= 0);
	h_free(&a);
	h_free(&b);
}

TEST(test_fleet_different_secret_fails)
{
	struct h a, b;
	struct tern_tx sa;

	host(&a, always, 1, 5, 0);
	host(&b, NULL, 2, 6, 0);
	sa = syn_to(&a, 1000);
	REQUIRE_EQ(sa.flags, TERN_TH_SYN | TERN_TH_ACK);
	ack_to(&b, 1000, &sa);
	REQUIRE_EQ(b.out.n, 1);
	CHECK_EQ(b.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(H_MIB(&b, SyncookiesFailed), 1);
	CHECK_EQ(H_MIB(&b, SyncookiesRecv), 0);
	CHECK_EQ(tern_stack__nconns(b.s), 0);
	h_free(&a);
	h_free(&b);
}

/* Without fleet keys a stack that sent no cookies answers a cookie ACK
 * with a RST, as Linux (tcp_synq_no_recent_overflow). */
TEST(test_fleet_off_no_recent_cookies_rst)
{
	struct h a, b;
	struct tern_tx sa;

	h_init(&a, always);
	h_init(&b, NULL); /* the harness's keys: the same on both */
	sa = syn_to(&a, 1000);
	REQUIRE_EQ(sa.flags, TERN_TH_SYN | TERN_TH_ACK);
	ack_to(&b, 1000, &sa);
	REQUIRE_EQ(b.out.n, 1);
	CHECK_EQ(b.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(H_MIB(&b, SyncookiesRecv), 0);
	h_free(&a);
	h_free(&b);
}

/* A cookie issued before one rotation validates after it, on the host
 * that rotated and on another; the new keys issue new cookies. */
TEST(test_fleet_rotation_previous_key_in_window)
{
	struct tern_fleet_keys k2 = keys_of(9);
	struct h a, b, fresh;
	struct tern_tx old, neu;

	host(&a, always, 1, 5, 0);
	host(&b, NULL, 2, 5, 0);
	host(&fresh, NULL, 3, 9, 0); /* knows only the new keys */
	a.now = b.now = fresh.now = (a.now / MINUTE) * MINUTE + 30 * TERN_NSEC_PER_SEC;
	old = syn_to(&a, 1000);
	REQUIRE_EQ(old.flags, TERN_TH_SYN | TERN_TH_ACK);
	h_advance(&a, TERN_NSEC_PER_SEC);
	h_advance(&b, TERN_NSEC_PER_SEC);
	tern_stack__rotate(a.s, &k2, a.now);
	tern_stack__rotate(b.s, &k2, b.now);
	a.cport++;
	neu = syn_to(&a, 2000);
	REQUIRE_EQ(neu.flags, TERN_TH_SYN | TERN_TH_ACK);
	h_advance(&b, 40 * TERN_NSEC_PER_SEC); /* the next minute */
	ack_to(&b, 1000, &old);
	CHECK_EQ(b.out.n, 0);
	CHECK_EQ(H_MIB(&b, SyncookiesRecv), 1);
	CHECK_EQ(H_MIB(&b, SyncookiesRecvPrevKey), 1);
	REQUIRE(b.conn);
	CHECK_EQ(b.conn->optf, TERN_NEG_TS | TERN_NEG_SACK | TERN_NEG_WS); /* prev ts-off key */
	CHECK_EQ(b.conn->snd_wscale, 7);
	/* the new cookie is the new keys' */
	fresh.cport = a.cport;
	h_advance(&fresh, TERN_NSEC_PER_SEC);
	ack_to(&fresh, 2000, &neu);
	CHECK_EQ(H_MIB(&fresh, SyncookiesRecv), 1);
	CHECK_EQ(H_MIB(&fresh, SyncookiesRecvPrevKey), 0);
	h_free(&a);
	h_free(&b);
	h_free(&fresh);
}

/* Two rotations: the keys of the first are gone, even in the window. */
TEST(test_fleet_rotation_two_ago_fails)
{
	struct tern_fleet_keys k2 = keys_of(9), k3 = keys_of(11);
	struct h a;
	struct tern_tx old;

	host(&a, always, 1, 5, 0);
	a.now = (a.now / MINUTE) * MINUTE + 10 * TERN_NSEC_PER_SEC;
	old = syn_to(&a, 1000);
	REQUIRE_EQ(old.flags, TERN_TH_SYN | TERN_TH_ACK);
	tern_stack__rotate(a.s, &k2, a.now);
	tern_stack__rotate(a.s, &k3, a.now);
	h_advance(&a, TERN_NSEC_PER_SEC);
	ack_to(&a, 1000, &old);
	REQUIRE_EQ(a.out.n, 1);
	CHECK_EQ(a.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(H_MIB(&a, SyncookiesFailed), 1);
	CHECK_EQ(H_MIB(&a, SyncookiesRecv), 0);
	h_free(&a);
}

/* After the window a previous key's cookie fails, and the key is wiped. */
TEST(test_fleet_rotation_previous_key_after_window_fails)
{
	struct tern_fleet_keys k2 = keys_of(9);
	struct tern_fleet_keys zero;
	struct h a;
	struct tern_tx old, other;

	memset(&zero, 0, sizeof(zero));
	host(&a, always, 1, 5, 0);
	a.now = (a.now / MINUTE) * MINUTE + 10 * TERN_NSEC_PER_SEC;
	old = syn_to(&a, 1000);
	REQUIRE_EQ(old.flags, TERN_TH_SYN | TERN_TH_ACK);
	tern_stack__rotate(a.s, &k2, a.now);
	CHECK(memcmp(&a.s->sec.prev, &zero, sizeof(zero)));
	h_advance(&a, 2 * MINUTE); /* the count two past the rotation's */
	a.cport++;
	other = syn_to(&a, 1); /* keeps cookies recent */
	(void)other;
	a.cport--;
	ack_to(&a, 1000, &old);
	REQUIRE_EQ(a.out.n, 1);
	CHECK_EQ(a.tx[0].flags, TERN_TH_RST);
	CHECK_EQ(H_MIB(&a, SyncookiesFailed), 1);
	CHECK_EQ(H_MIB(&a, SyncookiesRecvPrevKey), 0);
	CHECK(!memcmp(&a.s->sec.prev, &zero, sizeof(zero)));
	CHECK_EQ(a.s->sec.has_prev, 0);
	h_free(&a);
}
