/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-segment records for RACK-TLP (RFC 8985, Linux tcp_recovery.c) and
 * the undo state of a loss episode (tcp_input.c's undo_marker,
 * undo_retrans, prior_cwnd, prior_ssthresh, retrans_stamp).
 *
 * Invariant: while a connection uses RACK (tern_rack_on()), its records
 * cover every data byte in flight, [SND.UNA, SND.MAX) less our FIN (timed
 * on its own: fin_us, fin_order), in
 * sequence order with no gap: a record keeps only its end, its start is
 * the previous record's end (SND.UNA for the first). Records come from one
 * pool per stack (cfg.rack_segs) with a share per connection
 * (cfg.rack_segs_per_conn). A connection that cannot get a record gives
 * all of its records back and detects loss by RFC 6675's DupThresh rule
 * until nothing is in flight (TCPRackSegsFull).
 */
#ifndef TERN_CORE_RACK_H
#define TERN_CORE_RACK_H

#include <stdint.h>

#include "minmax.h"

#define TERN_RSEG_SACKED 0x01  /* TCPCB_SACKED_ACKED */
#define TERN_RSEG_RETRANS 0x02 /* TCPCB_SACKED_RETRANS: resent, not lost since */
#define TERN_RSEG_LOST 0x04    /* TCPCB_LOST */
#define TERN_RSEG_EVER 0x08    /* TCPCB_EVER_RETRANS */
#define TERN_RSEG_APP 0x10     /* tx.is_app_limited (rate.c) */

#define TERN_RACK_RECOVERY_THRESH 16 /* TCP_RACK_RECOVERY_THRESH */
#define TERN_RACK_DUPTHRESH 3        /* tp->reordering's default, tcp_reordering */
#define TERN_MIN_RTT_WLEN_MS 300000  /* tcp_min_rtt_wlen: 300 s */

struct tern_rseg {
	uint32_t end;     /* end_seq */
	uint32_t sent_us; /* the last transmission (skb_mstamp), wraps */
	uint32_t next;    /* TERN_NIL ends */
	uint8_t flags;
	uint8_t pad;
	uint16_t order;   /* the connection's transmission count, wraps */
};

/*
 * A record's delivery-rate state when it went out (Linux's skb tx
 * fields, tcp_rate_skb_sent()), kept only when the congestion control
 * reads rate samples: an array parallel to the records (rate.c).
 */
struct tern_rrate {
	uint32_t delivered;    /* tx.delivered: tern_rate.delivered then */
	uint32_t delivered_us; /* tx.delivered_mstamp */
	uint32_t first_tx_us;  /* tx.first_tx_mstamp */
};

struct tern_rseg_pool {
	struct tern_rseg *base;
	uint32_t cap;
	uint32_t used;
	uint32_t free_head;
};

/* One per connection, indexed like the connection pool. */
struct tern_rack {
	uint32_t head, tail, n;   /* records in sequence order */
	uint32_t pipe;            /* counted bytes, the head's from 0 (rack.c) */
	uint32_t mstamp_us;       /* rack.mstamp: latest send time delivered */
	uint32_t end_seq;         /* rack.end_seq */
	uint16_t order;           /* the order of that transmission */
	uint16_t tx_order;        /* transmissions so far (tern_rseg.order) */
	uint32_t rtt_us;          /* rack.rtt_us */
	uint32_t fack;            /* highest SACKed byte + 1 */
	uint32_t reo_seq;         /* snd_max when reo_steps last grew */
	uint32_t reo_at;          /* tcp_rack_reo_timeout() ms deadline; 0: none */
	uint32_t undo_marker;     /* SND.UNA when the episode began */
	int32_t undo_retrans;     /* segments resent less those D-SACKed; -1: none */
	uint32_t prior_cwnd;
	uint32_t prior_ssthresh;
	uint32_t retrans_ts;      /* our TSval of the first retransmission */
	uint32_t tsecr;           /* the last ACK's TSecr, 0: none */
	struct tern_minmax min_rtt; /* tp->rtt_min, µs over ms; UINT32_MAX: no sample */
	uint32_t fin_us;          /* our FIN's last transmission */
	uint16_t fin_order;       /* and its order (tern_rseg.order) */
	uint8_t reo_steps;        /* rack.reo_wnd_steps */
	uint8_t reo_persist;      /* rack.reo_wnd_persist */
	uint8_t off : 1;          /* records given back: DupThresh */
	uint8_t reord_seen : 1;   /* tp->reord_seen */
	uint8_t dsack_seen : 1;   /* rack.dsack_seen */
	uint8_t advanced : 1;     /* rack.advanced */
	uint8_t xmit_set : 1;     /* mstamp_us and end_seq hold a delivery */
	uint8_t undo_on : 1;      /* undo_marker is set */
	uint8_t reo_armed : 1;    /* rto_at is the reordering timer */
	uint8_t fin_out : 1;      /* our FIN is sent, not acknowledged */
	uint8_t fin_lost : 1;     /* and found lost: to send again */
	uint8_t fin_ever : 1;     /* and was sent more than once */
	uint8_t frto : 1;         /* tp->frto: this RTO may prove spurious */
	uint8_t frto_new : 1;     /* F-RTO step 2b: this ACK sends new data */
	/* what this ACK did (tcp_ack()'s flag), for F-RTO and the RTT
	 * sample's FLAG_ACK_MAYBE_DELAYED (rtt.c) */
	uint8_t ack_orig : 1;     /* FLAG_ORIG_SACK_ACKED: delivered an original
				   * sent before the RTO, never resent */
	uint8_t ack_sacked : 1;   /* FLAG_DATA_SACKED: SACKed data anew */
	uint8_t ack_dsack : 1;    /* FLAG_DSACKING_ACK: carried a D-SACK */
	uint8_t reord_now : 1;    /* this walk filled a hole below a SACK */
};

/*
 * One ACK's RTT samples from the records it delivers, in µs (-1: none):
 * tcp_clean_rtx_queue()'s first_ackt / last_ackt (the oldest and newest
 * cumulatively ACKed segment never resent, and FLAG_RETRANS_DATA_ACKED
 * when one was resent) and tcp_sacktag_one()'s first_sackt / last_sackt
 * (the same for newly SACKed segments). Records never resent were sent
 * in sequence order, so the oldest is the longest RTT: blocks may come
 * in any order.
 */
struct tern_rack_rtt {
	int32_t seq_us;       /* oldest cumulatively ACKed: seq_rtt_us */
	int32_t ca_us;        /* newest: ca_rtt_us */
	int32_t sack_us;      /* oldest newly SACKed: sack_rtt_us */
	int32_t sack_ca_us;   /* newest newly SACKed */
	uint32_t acked;       /* segments cumulatively ACKed (pkts_acked) */
	/* the rate sample's segment (tcp_rate_skb_delivered()): the
	 * delivered record sent last */
	uint32_t rs_delivered;    /* its tx.delivered (prior_delivered) */
	uint32_t rs_delivered_us; /* its tx.delivered_mstamp (prior_mstamp) */
	uint32_t rs_sent_us;      /* its send time */
	uint32_t rs_end;          /* its end (last_end_seq) */
	int32_t rs_send_us;       /* its send interval (interval_us) */
	uint8_t rs_set : 1;       /* a record with rate state was delivered */
	uint8_t rs_app : 1;       /* is_app_limited */
	uint8_t on : 1;       /* the records took this ACK (tern_rack_on) */
	uint8_t retrans : 1;  /* FLAG_RETRANS_DATA_ACKED */
	uint8_t prior_sacked : 1; /* something was SACKed before it */
};

#define TERN_RACK_RTT_NONE \
	((struct tern_rack_rtt){ .seq_us = -1, .ca_us = -1, .sack_us = -1, .sack_ca_us = -1 })

#endif
