/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Segment and reply descriptors shared by the parser, the state machine and
 * the frame builder. Everything here is plain data: no pointers to kernel
 * objects, no I/O. Multi-byte fields are in host byte order.
 */
#ifndef TERN_CORE_SEG_H
#define TERN_CORE_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/tern.h"

/* TCP header flags, as in the header's 13th byte. */
#define TERN_TH_FIN 0x01
#define TERN_TH_SYN 0x02
#define TERN_TH_RST 0x04
#define TERN_TH_PSH 0x08
#define TERN_TH_ACK 0x10
#define TERN_TH_URG 0x20
#define TERN_TH_ECE 0x40
#define TERN_TH_CWR 0x80

#define TERN_ETH_HLEN 14
#define TERN_VLAN_HLEN 4
#define TERN_IP4_HLEN 20
#define TERN_IP6_HLEN 40
#define TERN_TCP_HLEN 20
#define TERN_TCP_MAX_OPTLEN 40

/*
 * Link-layer facts of the frame that caused a reply. Replies go back to the
 * Ethernet source (the router in front of tern) with the VLAN tag kept.
 */
struct tern_l2 {
	uint8_t peer_mac[6];  /* Ethernet source of the received frame */
	uint8_t local_mac[6]; /* Ethernet destination of the received frame */
	uint16_t vlan_tci;    /* host order, PCP/DEI/VID; valid if has_vlan */
	uint8_t has_vlan;
	uint8_t pad;
};

/* struct tern_opts.present bits */
#define TERN_OPT_MSS 0x01
#define TERN_OPT_WS 0x02
#define TERN_OPT_SACKOK 0x04
#define TERN_OPT_TS 0x08
#define TERN_OPT_SACK 0x10

#define TERN_MAX_SACK 4
#define TERN_MAX_WSCALE 14

struct tern_sack_blk {
	uint32_t start;
	uint32_t end;
};

/* TCP options as parsed from a segment (only fields whose bit is present). */
struct tern_opts {
	uint8_t present; /* TERN_OPT_* */
	uint8_t wscale;  /* already clamped to TERN_MAX_WSCALE */
	uint8_t nsack;   /* number of valid sack[] blocks */
	uint8_t pad;
	uint16_t mss;
	uint16_t pad2;
	uint32_t tsval;
	uint32_t tsecr;
	struct tern_sack_blk sack[TERN_MAX_SACK];
};

/*
 * A checked, parsed segment. payload points into the received frame; the
 * frame must stay valid for as long as the core may read it (the duration
 * of the tern_stack__input() call, unless the core says it kept the frame).
 */
struct tern_seg {
	struct tern_tuple t; /* laddr = IP destination, raddr = IP source */
	struct tern_l2 l2;
	uint32_t seq;
	uint32_t ack;
	uint16_t win; /* raw window field, not scaled */
	uint8_t flags; /* TERN_TH_* */
	uint8_t pad;
	struct tern_opts opt;
	const uint8_t *payload;
	uint32_t len;    /* payload length in bytes */
	uint64_t frame;  /* opaque handle of the frame, chosen by the caller */
};

/*
 * A segment the core wants sent. The core fills it; tern_build() turns it
 * into an Ethernet frame. Options are pre-encoded by the core (it owns
 * option order), optlen is a multiple of 4 and at most 40.
 */
struct tern_tx {
	struct tern_tuple t; /* laddr = IP source of the reply */
	struct tern_l2 l2;   /* peer_mac = Ethernet destination of the reply */
	uint32_t seq;
	uint32_t ack;
	uint16_t win;        /* raw window field */
	uint8_t flags;
	uint8_t optlen;
	uint8_t opt[TERN_TCP_MAX_OPTLEN];
	const uint8_t *payload;
	uint32_t len;
};

/* Wrap-safe sequence-number comparisons (RFC 793 modular arithmetic). */
static inline bool tern_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool tern_seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool tern_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool tern_seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/* Wrap-safe comparisons for 64-bit nanosecond times. */
static inline bool tern_time_before(uint64_t a, uint64_t b) { return (int64_t)(a - b) < 0; }
static inline bool tern_time_after(uint64_t a, uint64_t b) { return (int64_t)(a - b) > 0; }

/* a = ::ffff:b0.b1.b2.b3 */
static inline void tern_addr_set_v4(struct tern_addr *a, uint8_t b0, uint8_t b1, uint8_t b2,
				    uint8_t b3)
{
	for (int i = 0; i < 10; i++)
		a->b[i] = 0;
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = b0;
	a->b[13] = b1;
	a->b[14] = b2;
	a->b[15] = b3;
}

static inline bool tern_addr_is_v4mapped(const struct tern_addr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *p = a->b;
	for (int i = 0; i < 12; i++)
		if (p[i] != pfx[i])
			return false;
	return true;
}

#endif
