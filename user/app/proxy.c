// SPDX-License-Identifier: BSD-2-Clause
/*
 * proxy: every connection tern accepts is relayed to a backend over the
 * kernel's TCP, with the backend socket driven on the worker's io_uring
 * (user/io/backend.h). Per connection at most o.buf bytes each way:
 *
 *   client -> backend (c2b): at most c2b_size bytes, o.buf_init growing
 *   to o.buf. The connection runs in receive-credit mode with that size
 *   (the listener's rcv_buf, so from the SYN-ACK on); data() keeps the
 *   received frame that holds the bytes (env.frames->hold) and the send
 *   to the backend points into it, or, when no frame can be kept (the
 *   connection's or the worker's share held, data the core delivers
 *   from its out-of-order queue), copies them into a ring of c2b_size
 *   bytes. The pieces stay in order in the up queue; credit goes back to
 *   the client, and a frame to the worker, only when the kernel has
 *   taken the bytes, so a slow backend closes the client's window.
 *   When the client filled the ring and the backend then took all of it
 *   in one send, the ring limited the upload: it doubles, up to o.buf,
 *   and the client gets the new room as credit (c2b_grow), as Linux's
 *   receive buffer grows with what the reader takes.
 *
 *   backend -> client (b2c): recv from the backend into the worker's
 *   UMEM buffers (env.frames), one per segment (the connection's MSS),
 *   queued on tern by reference: a segment that starts a buffer is built
 *   around it in place and the buffer goes to the NIC, so the payload is
 *   copied once (by the kernel's recv). A connection holds at most
 *   px->fquota UMEM frames, both directions together (o.buf / 1 KiB, at
 *   most half of what the worker gives the application), so one cannot
 *   take them all. Past them, or without UMEM buffers (an embedding
 *   without them, the unit tests), into the free part of a ring, queued
 *   on tern by reference too; the pieces stay in order in fr, buffers
 *   and ring runs mixed. With buffers the ring takes bytes only while
 *   the queue is below twice what the client acknowledged over its last
 *   round trip (b2c_ring_allowed), so near the client the buffers carry
 *   all. The ring starts at o.buf_init and doubles, up to o.buf, when
 *   the client has acknowledged all of a full one (b2c_grow: tern's send
 *   queue points into it, so it can move only when empty). At most o.buf
 *   bytes are held, buffers and ring together; the memory frees as the
 *   client acknowledges it. At the bound no recv is pending: the
 *   backend's kernel socket fills and its window closes.
 *
 * One send and one recv per connection are in flight at most, each over
 * all the room there is (two iovecs where a ring wraps, one per UMEM
 * buffer up to PX_RIOV). The next one
 * is not posted from the callback that makes it possible (a completion,
 * the client's data or ACK) but at the end of the worker's pass
 * (batch_end), so it covers everything the pass's segments brought or
 * freed: one recv of what a whole RX batch of ACKs freed instead of one
 * sized when the previous recv came back.
 *
 * Close: the client's FIN becomes shutdown(SHUT_WR) on the backend once
 * c2b is sent; the backend's EOF becomes tern_conn__shutdown once b2c is
 * queued; the other direction keeps going. The client's RST (or any
 * abnormal end of the tern connection) closes the backend with a RST
 * (SO_LINGER 0); a backend error (ECONNRESET, ...) or a failed or timed
 * out connect resets the client (tern_conn__abort). With --defer-accept
 * the backend is connected only at the client's first byte, and a client
 * silent for that long is reset (no FIN, no TIME-WAIT: it never
 * delivered anything).
 *
 * A px_conn lives until the tern connection is gone (closed()), no ring
 * operation of it is pending and no callback of it is running (hold).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_priv.h"
#include "user/io/vg.h"

enum px_phase {
	PH_DEFER = 0,   /* waiting for the client's first byte */
	PH_CONNECTING,
	PH_RELAY,
};

/* A piece of the download, in order: len bytes in a UMEM buffer (p), or
 * in the b2c ring from position pos (p NULL). */
struct px_frame {
	uint8_t *p;
	uint32_t pos;
	uint32_t len;
};

/* At most this many buffers per recv (its iovecs); a recv posts twice
 * as many as the previous one filled, at least PX_RIOV_MIN, so an idle
 * backend does not tie up the worker's buffers. */
#define PX_RIOV 64u
#define PX_RIOV_MIN 2u

/* A piece of the upload, in order: len bytes in a received frame kept
 * for it (p), or in the c2b ring from position pos (p NULL). */
struct px_up {
	uint8_t *p;
	uint32_t pos;
	uint32_t len;
};

/* A measure of the bytes one direction moved over the client's round
 * trip: the count (c2b_head, b2c_head) and the time it began at. */
struct px_rate {
	uint32_t seq;
	uint64_t time;
};

/* At most this many iovecs per send to the backend (with frames). */
#define PX_SIOV 64u

struct px_conn {
	struct px *px;
	struct tern_conn *c;      /* NULL once closed() */
	struct px_conn *prev, *next;
	struct tern_ring_op op_conn, op_send, op_recv;
	struct msghdr smh, rmh;   /* the send's and the recv's, in flight */
	struct iovec *siov;       /* the send's: 2 (the ring) or PX_SIOV (frames) */
	struct iovec *riov;       /* the recv's: 2 (the ring) or PX_RIOV (buffers);
				   * the allocation holds siov, fr and up too */
	struct px_conn *due_next; /* in px->due */
	int fd;
	struct px_backend *be;    /* the backend it relays to, NULL */
	uint8_t *c2b, *b2c;       /* the rings (b2c: with UMEM buffers, from its first use) */
	uint32_t c2b_size;        /* a power of two, o.buf_init .. o.buf */
	uint32_t b2c_size;        /* same; 0 before the b2c ring's first use */
	uint32_t c2b_posted;      /* bytes in the send in flight */
	uint32_t c2b_head;        /* sent to the backend */
	uint32_t c2b_tail;        /* received from the client */
	uint32_t c2b_rhead, c2b_rtail; /* the ring's part of them (copied) */
	struct px_rate c2b_rate;  /* from c2b_head */
	struct px_up *up;         /* c2b in order: up_cap slots */
	uint32_t up_cap;          /* 2 * fquota + 2: a ring piece around each frame */
	uint32_t up_head, up_tail;
	uint32_t c2b_frames;      /* received frames held in up */
	uint32_t b2c_head;        /* acknowledged by the client */
	uint32_t b2c_sent;        /* handed to tern_conn__send */
	uint32_t b2c_tail;        /* received from the backend */
	uint32_t b2c_rhead, b2c_rtail; /* the b2c ring's part of them */
	struct px_frame *fr;      /* b2c in order: fr_cap slots */
	uint32_t fr_cap;          /* 2 * fquota + 2: a ring piece around each buffer */
	uint32_t fr_head;         /* oldest piece not yet acknowledged in full */
	uint32_t fr_head_off;     /* its bytes acknowledged */
	uint32_t fr_sent;         /* first piece not yet queued on tern in full */
	uint32_t fr_sent_off;     /* its bytes queued */
	uint32_t fr_tail;         /* next free slot (the recv's buffers start there) */
	uint32_t fr_recv;         /* buffers in the pending recv */
	uint32_t b2c_frames;      /* UMEM buffers with data in fr */
	struct px_rate b2c_rate;  /* from b2c_head */
	uint32_t b2c_rtt_acked;   /* the client acknowledged over its last round trip */
	uint32_t fr_want;         /* buffers the next recv posts at most */
	uint32_t alloc;           /* bytes allocated for the rings and slots */
	uint32_t ops;             /* ring operations pending */
	uint32_t hold;            /* callbacks of ours running */
	uint8_t phase;
	uint8_t hdr[TERN_PROXY_HDR_MAX];
	uint8_t hdr_len, hdr_off; /* PROXY header, sent before any data */
	bool sending, recving;
	bool rrecv;               /* the pending recv reads into the b2c ring */
	bool cfin;                /* the client's FIN arrived */
	bool bwr_shut;            /* shutdown(SHUT_WR) done on the backend */
	bool beof;                /* the backend's EOF arrived */
	bool cshut;               /* tern_conn__shutdown done */
	bool dead;                /* no new operations; end when ops == 0 */
	bool reset;               /* close the backend with a RST */
	bool due;                 /* in px->due (holds pc) */
	bool c2b_full, b2c_full;  /* the ring filled up since it last could grow */
};

static void release(struct px_conn *pc);
static void up_drop(struct px_conn *pc);
static void pump_c2b(struct px_conn *pc);
static void pump_b2c_recv(struct px_conn *pc);
static tern_ring_cb c2b_sent, b2c_received, connected;

/* ---- life of a px_conn ---- */

static void conn_free_mem(struct px_conn *pc)
{
	free(pc->c2b);
	free(pc->b2c);
	free(pc->riov);
	free(pc);
}

/* The slots after the recv's iovecs: the send's iovecs, the b2c buffers,
 * the up queue. */
static void conn_aux(struct px_conn *pc, uint32_t niov, uint32_t nsiov)
{
	pc->siov = pc->riov + niov;
	pc->fr = (struct px_frame *)(void *)(pc->siov + nsiov);
	pc->up = (struct px_up *)(void *)(pc->fr + pc->fr_cap);
}

/* The c2b ring, the b2c ring without UMEM buffers (with them it comes
 * at its first use), the slots after the recv's iovecs, each at its first
 * size. */
static struct px_conn *conn_new(struct px *px, struct tern_conn *c)
{
	uint32_t init = px->o.buf_init, niov = px->fquota ? PX_RIOV : 2;
	uint32_t nsiov = px->fquota ? PX_SIOV : 2, ncap = 2 * px->fquota + 2;
	uint32_t aux = (niov + nsiov) * (uint32_t)sizeof(struct iovec) +
		       ncap * (uint32_t)(sizeof(struct px_frame) + sizeof(struct px_up));
	struct px_conn *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	pc->c2b_size = init;
	pc->c2b_rate.time = pc->b2c_rate.time = *px->env.now;
	pc->b2c_size = px->fquota ? 0 : init;
	pc->c2b = malloc(init);
	pc->riov = malloc(aux);
	pc->b2c = pc->b2c_size ? malloc(init) : NULL;
	if (!pc->c2b || !pc->riov || (pc->b2c_size && !pc->b2c)) {
		conn_free_mem(pc);
		return NULL;
	}
	pc->alloc = init + aux + pc->b2c_size;
	pc->px = px;
	pc->up_cap = ncap;
	pc->fr_cap = ncap;
	pc->fr_want = PX_RIOV_MIN;
	conn_aux(pc, niov, nsiov);
	pc->c = c;
	pc->fd = -1;
	pc->op_conn.cb = connected;
	pc->op_send.cb = c2b_sent;
	pc->op_recv.cb = b2c_received;
	pc->next = px->live;
	if (px->live)
		px->live->prev = pc;
	px->live = pc;
	px->ctr[PX_CONNS]++;
	px->ctr[PX_BUF_BYTES] += pc->alloc;
	return pc;
}

/* ---- UMEM buffers (b2c) ---- */

static struct px_frame *slot(struct px_conn *pc, uint32_t i)
{
	return &pc->fr[i % pc->fr_cap];
}

static void frame_put(struct px *px, uint8_t *p)
{
	px->env.frames->put(px->env.frames->ctx, p);
	px->ctr[PX_FRAMES]--;
}

/* UMEM frames pc holds both ways: the b2c buffers with data or in the
 * pending recv, the received frames of c2b. */
static uint32_t frames_held(const struct px_conn *pc)
{
	return pc->b2c_frames + pc->fr_recv + pc->c2b_frames;
}

/* Give back the buffers of the pending recv from its k-th on (the
 * recv is over: the kernel writes none of them any more). */
static void frames_unpost(struct px_conn *pc, uint32_t k)
{
	for (; k < pc->fr_recv; k++)
		frame_put(pc->px, slot(pc, pc->fr_tail + k)->p);
	pc->fr_recv = 0;
}

/* Give back every buffer with data and empty the ring's part (the
 * connection is gone: tern's send queue no longer points into them). */
static void frames_drop(struct px_conn *pc)
{
	for (; pc->fr_head != pc->fr_tail; pc->fr_head++)
		if (slot(pc, pc->fr_head)->p)
			frame_put(pc->px, slot(pc, pc->fr_head)->p);
	pc->fr_sent = pc->fr_tail;
	pc->fr_head_off = pc->fr_sent_off = 0;
	pc->b2c_frames = 0;
	pc->b2c_rhead = pc->b2c_rtail;
}

static void backend_close(struct px_conn *pc)
{
	struct px *px = pc->px;

	if (pc->fd >= 0) {
		tern_backend__close(pc->fd, pc->reset);
		pc->fd = -1;
		px->ctr[PX_BACKEND_FDS]--;
	}
	if (pc->be) {
		px_pool__leave(pc->be);
		pc->be = NULL;
	}
}

static void conn_free(struct px_conn *pc)
{
	struct px *px = pc->px;

	backend_close(pc);
	if (pc->prev)
		pc->prev->next = pc->next;
	else
		px->live = pc->next;
	if (pc->next)
		pc->next->prev = pc->prev;
	px->ctr[PX_CONNS]--;
	px->ctr[PX_BUF_BYTES] -= pc->alloc;
	frames_drop(pc);
	frames_unpost(pc, 0); /* worker_fini: the ring, and the recv, are gone */
	up_drop(pc);
	conn_free_mem(pc);
}

/* Stop the backend side: cancel what is pending on its socket; the
 * socket closes (with a RST if asked) when the last operation is back. */
static void kill_backend(struct px_conn *pc, bool reset)
{
	if (pc->dead)
		return;
	pc->dead = true;
	pc->reset = reset;
	if (pc->fd >= 0 && pc->ops && tern_backend__cancel(pc->px->env.ring, pc->fd))
		shutdown(pc->fd, SHUT_RDWR); /* no SQE: wake the operations instead */
}

/* Drop a hold (or an operation) and free what has ended. */
static void release(struct px_conn *pc)
{
	if (pc->hold || pc->ops || pc->c)
		return;
	if (!pc->dead) { /* the client is gone in order: finish the backend side */
		if (pc->hdr_off < pc->hdr_len || pc->c2b_head != pc->c2b_tail || !pc->bwr_shut)
			return;
		pc->dead = true;
	}
	conn_free(pc);
}

/* Both ends go: the backend's operations are cancelled (its socket closes
 * with a RST if reset) and the client is reset (closed() follows at once).
 * counter: what to count, or -1. */
static void fail_both(struct px_conn *pc, int counter, bool reset)
{
	struct px *px = pc->px;

	if (counter >= 0)
		px->ctr[counter]++;
	kill_backend(pc, reset);
	if (pc->c)
		tern_conn__abort(px->env.stack, pc->c, *px->env.now, px->env.out);
}

/* A callback of ours starts: pc stays allocated until leave(). */
static void enter(struct px_conn *pc)
{
	pc->hold++;
}

static void leave(struct px_conn *pc)
{
	pc->hold--;
	release(pc);
}

/* A ring operation of pc completed: false if pc is ending (the result
 * does not matter any more; leave() still follows). */
static bool op_enter(struct px_conn *pc)
{
	enter(pc);
	pc->ops--;
	return !pc->dead;
}

/* The iovecs of len bytes from position pos of a ring of size bytes:
 * one, or two where they wrap. Returns how many. */
static size_t ring_iov(uint8_t *ring, uint32_t size, uint32_t pos, uint32_t len,
		       struct iovec iov[2])
{
	uint32_t off = pos & (size - 1), n = size - off < len ? size - off : len;

	iov[0] = (struct iovec){ .iov_base = ring + off, .iov_len = n };
	if (n == len)
		return 1;
	iov[1] = (struct iovec){ .iov_base = ring, .iov_len = len - n };
	return 2;
}

/*
 * Double a ring of *size bytes holding [head, tail): the bytes keep their
 * positions (head and tail run on). 0; -ENOSPC at o.buf; -ENOMEM (counted)
 * leaves the old ring as it was. No operation may point into it.
 */
static int ring_grow(struct px_conn *pc, uint8_t **ring, uint32_t *size, uint32_t head,
		     uint32_t tail)
{
	struct px *px = pc->px;
	uint32_t nsize = *size * 2;
	struct iovec iov[2];
	size_t k = 0;
	uint8_t *n;

	if (*size >= px->o.buf)
		return -ENOSPC;
	n = malloc(nsize);
	if (!n) {
		px->ctr[PX_BUF_GROW_FAILS]++;
		return -ENOMEM;
	}
	if (head != tail)
		k = ring_iov(*ring, *size, head, tail - head, iov);
	for (size_t i = 0; i < k; i++)
		tern_app__ring_put(n, nsize, &head, iov[i].iov_base, (uint32_t)iov[i].iov_len);
	free(*ring);
	*ring = n;
	pc->alloc += nsize - *size;
	px->ctr[PX_BUF_BYTES] += nsize - *size;
	px->ctr[PX_BUF_GROWS]++;
	*size = nsize;
	return 0;
}

/* Post pc's next operations at the end of the worker's pass
 * (px_batch_end); pc stays allocated until then. */
static void due(struct px_conn *pc)
{
	if (pc->due)
		return;
	pc->due = true;
	enter(pc);
	pc->due_next = pc->px->due;
	pc->px->due = pc;
}

/* ---- client -> backend ---- */

static struct px_up *up_slot(struct px_conn *pc, uint32_t i)
{
	return &pc->up[i % pc->up_cap];
}

static void up_frame_put(struct px_conn *pc, uint8_t *p)
{
	pc->px->env.frames->put(pc->px->env.frames->ctx, p);
	pc->c2b_frames--;
	pc->px->ctr[PX_UP_FRAMES]--;
}

/* Give back every received frame c2b holds (no send points into them:
 * none is in flight, or the ring is gone). */
static void up_drop(struct px_conn *pc)
{
	for (; pc->up_head != pc->up_tail; pc->up_head++)
		if (up_slot(pc, pc->up_head)->p)
			up_frame_put(pc, up_slot(pc, pc->up_head)->p);
}

/* Keep the received frame data() lends p from: not beyond the
 * connection's share (counted), the uploads' half of what the worker
 * lends (counted: the other half stays for b2c buffers, so stalled
 * uploads cannot stop other connections' downloads) or the worker's
 * share (counted), nor for data the core delivers from its out-of-order
 * queue. */
static bool up_hold(struct px_conn *pc, const uint8_t *p)
{
	struct px *px = pc->px;
	const struct tern_app_frames *af = px->env.frames;
	int r;

	if (!px->fquota || !af->hold)
		return false;
	if (frames_held(pc) >= px->fquota) {
		px->ctr[PX_FRAME_QUOTA]++;
		return false;
	}
	if (px->ctr[PX_UP_FRAMES] >= af->max / 2) { /* the other half: b2c buffers */
		px->ctr[PX_UP_SHARE]++;
		return false;
	}
	r = af->hold(af->ctx, p);
	if (r == -ENOBUFS)
		px->ctr[PX_FRAME_NONE]++;
	return !r;
}

/* The client's len bytes at p join c2b: in their frame, or copied into
 * the ring (a piece that follows a ring piece extends it). The credit
 * guarantees c2b has room for them. */
static void up_add(struct px_conn *pc, const uint8_t *p, uint32_t len)
{
	struct px *px = pc->px;
	struct px_up *last = pc->up_tail != pc->up_head ? up_slot(pc, pc->up_tail - 1) : NULL;

	pc->c2b_tail += len;
	if (up_hold(pc, p)) {
		*up_slot(pc, pc->up_tail++) = (struct px_up){ .p = (uint8_t *)p, .len = len };
		pc->c2b_frames++;
		px->ctr[PX_UP_FRAMES]++;
		px->ctr[PX_UP_HELD]++;
		return;
	}
	px->ctr[PX_UP_COPIED]++;
	if (last && !last->p)
		last->len += len;
	else
		*up_slot(pc, pc->up_tail++) = (struct px_up){ .pos = pc->c2b_rtail, .len = len };
	tern_app__ring_put(pc->c2b, pc->c2b_size, &pc->c2b_rtail, p, len);
}

/* The send's iovecs over c2b from its head, at most nsiov; *len: their
 * bytes. Returns how many. */
static size_t up_iov(struct px_conn *pc, uint32_t *len)
{
	size_t max = pc->px->fquota ? PX_SIOV : 2, k = 0;

	*len = 0;
	for (uint32_t i = pc->up_head; i != pc->up_tail && k < max; i++) {
		struct px_up *u = up_slot(pc, i);

		if (u->p)
			pc->siov[k++] = (struct iovec){ .iov_base = u->p, .iov_len = u->len };
		else if (k + 2 <= max)
			k += ring_iov(pc->c2b, pc->c2b_size, u->pos, u->len, pc->siov + k);
		else
			break;
		*len += u->len;
	}
	return k;
}

/* The backend took n bytes from c2b's head: a frame they cover in full
 * goes back to the worker; a partial send leaves the rest for the next. */
static void up_took(struct px_conn *pc, uint32_t n)
{
	while (n) {
		struct px_up *u = up_slot(pc, pc->up_head);
		uint32_t k = n < u->len ? n : u->len;

		n -= k;
		if (!u->p)
			pc->c2b_rhead += k;
		if (k == u->len) {
			if (u->p)
				up_frame_put(pc, u->p);
			pc->up_head++;
			continue;
		}
		u->len -= k;
		if (u->p)
			u->p += k;
		else
			u->pos += k;
	}
}

/* The client filled the ring: less room is left than one segment (the
 * window it was offered is rounded to the window scale, so the last bytes
 * may never come). */
static void c2b_check_full(struct px_conn *pc)
{
	uint32_t room = pc->c2b_size - (pc->c2b_tail - pc->c2b_head);
	struct tern_conn_info ci;

	/* an MSS is 16 bits: more room is never full (no call per segment) */
	if (pc->c2b_full || !pc->c || room > UINT16_MAX)
		return;
	tern_conn__info(pc->c, &ci);
	if (room < ci.mss)
		pc->c2b_full = true;
}

/*
 * The bytes a direction moved (its count is at seq) over the last round
 * trip of the client connection (its SRTT), once one has passed since the
 * measure m began; 0 before (or without an RTT sample).
 * tcp_rcv_space_adjust()'s measure of what the reader copied in one RTT.
 * tern: a measure that spans more than two round trips starts again and
 * counts nothing (the peer paused, so its bytes did not move in one RTT):
 * the rings are memory allocated, not charged per segment as Linux's
 * socket buffers are.
 */
static uint32_t rtt_moved(struct px_conn *pc, struct px_rate *m, uint32_t seq)
{
	uint64_t now = *pc->px->env.now, rtt;
	struct tern_conn_info ci;
	uint32_t moved;

	tern_conn__info(pc->c, &ci);
	rtt = (uint64_t)ci.srtt_us * 1000;
	if (!rtt || now - m->time < rtt)
		return 0;
	moved = now - m->time <= 2 * rtt ? seq - m->seq : 0;
	m->seq = seq;
	m->time = now;
	return moved;
}

/*
 * A send came back having taken `took` bytes of the ring; the backend took
 * all that was posted, so the ring, not the backend, may limit the upload.
 * It doubles (no send is in flight), up to o.buf, when the client filled
 * it, and, as Linux's receive buffer grows to twice what the reader
 * copied in one RTT (tcp_rcv_space_adjust()), while it is under twice
 * what the backend took over the client's last round trip and under the
 * window the client connection aims at (tern_conn__rcvbuf(): --rmem's
 * MAX, less under memory pressure, as sk_rcvbuf is bounded by
 * tcp_rmem[2]): over a long path the window, not the ring, stops the
 * client, and the ring never fills. Returns the room added.
 */
static uint32_t c2b_grow(struct px_conn *pc, uint32_t took)
{
	uint32_t old = pc->c2b_size;
	bool full = pc->c2b_full;
	uint64_t want;

	pc->c2b_full = false;
	if (took < pc->c2b_posted || !pc->c || old >= pc->px->o.buf)
		return 0;
	want = full ? old + 1 : 2ull * rtt_moved(pc, &pc->c2b_rate, pc->c2b_head);
	if (!full && want > tern_conn__rcvbuf(pc->px->env.stack, pc->c))
		want = tern_conn__rcvbuf(pc->px->env.stack, pc->c);
	while (pc->c2b_size < want &&
	       !ring_grow(pc, &pc->c2b, &pc->c2b_size, pc->c2b_rhead, pc->c2b_rtail))
		;
	return pc->c2b_size - old;
}

static void c2b_sent(struct tern_ring_op *op, int res, uint32_t flags)
{
	struct px_conn *pc = container_of(op, struct px_conn, op_send);
	struct px *px = pc->px;
	uint32_t n = res > 0 ? (uint32_t)res : 0;

	pc->sending = false;
	if (!op_enter(pc))
		goto out;
	if (res < 0) {
		fail_both(pc, PX_BACKEND_RESETS, true);
		goto out;
	}
	if (pc->hdr_off < pc->hdr_len) {
		pc->hdr_off = (uint8_t)(pc->hdr_off + n);
	} else {
		pc->c2b_head += n;
		up_took(pc, n);
		px->ctr[PX_BYTES_TO_BACKEND] += n;
		n += c2b_grow(pc, n);
		if (pc->c)
			tern_conn__rcv_credit(px->env.stack, pc->c, n, *px->env.now, px->env.out);
	}
	due(pc);
out:
	leave(pc);
}

/* Send the PROXY header, then c2b; once all is sent after the client's
 * FIN, half-close the backend. */
static void pump_c2b(struct px_conn *pc)
{
	struct px *px = pc->px;

	if (pc->dead || pc->phase != PH_RELAY || pc->sending || pc->bwr_shut)
		return;
	pc->smh = (struct msghdr){ .msg_iov = pc->siov, .msg_iovlen = 1 };
	if (pc->hdr_off < pc->hdr_len) {
		pc->siov[0] = (struct iovec){ .iov_base = pc->hdr + pc->hdr_off,
					      .iov_len = (size_t)(pc->hdr_len - pc->hdr_off) };
	} else if (pc->c2b_head != pc->c2b_tail) {
		pc->smh.msg_iovlen = up_iov(pc, &pc->c2b_posted);
	} else {
		if (pc->cfin || !pc->c) {
			tern_backend__shutdown_wr(pc->fd);
			pc->bwr_shut = true;
		}
		return;
	}
	if (tern_backend__sendv(px->env.ring, &pc->op_send, pc->fd, &pc->smh)) {
		fail_both(pc, -1, true);
		return;
	}
	pc->sending = true;
	pc->ops++;
}

/* ---- backend -> client ---- */

/* Queue the pieces on tern, each buffer its own chunk and a ring piece
 * one or two (where it wraps), up to PX_RIOV in one call (one output
 * pass for all). */
static void frames_send(struct px_conn *pc)
{
	struct px *px = pc->px;
	struct tern_piece v[PX_RIOV];
	struct iovec iov[2];

	while (pc->fr_sent != pc->fr_tail) {
		uint32_t n = 0, off = pc->fr_sent_off;
		int r;

		for (uint32_t i = pc->fr_sent; i != pc->fr_tail && n + 2 <= PX_RIOV; i++, off = 0) {
			struct px_frame *f = slot(pc, i);
			size_t k = 1;

			if (f->p)
				iov[0] = (struct iovec){ .iov_base = f->p + off, .iov_len = f->len - off };
			else
				k = ring_iov(pc->b2c, pc->b2c_size, f->pos + off, f->len - off, iov);
			for (size_t j = 0; j < k; j++)
				v[n++] = (struct tern_piece){ iov[j].iov_base, (uint32_t)iov[j].iov_len };
		}
		r = tern_conn__sendv(px->env.stack, pc->c, v, n, *px->env.now, px->env.out);
		if (r <= 0)
			return; /* -EAGAIN: writable() calls again */
		pc->b2c_sent += (uint32_t)r;
		for (uint32_t left = (uint32_t)r; left;) {
			uint32_t k = slot(pc, pc->fr_sent)->len - pc->fr_sent_off;

			if (left < k) {
				pc->fr_sent_off += left;
				break;
			}
			left -= k;
			pc->fr_sent++;
			pc->fr_sent_off = 0;
		}
	}
}

/* The client acknowledged n more bytes: buffers it covers in full go
 * back, the ring's part it covers is free. */
static void frames_acked(struct px_conn *pc, uint32_t n)
{
	while (n) {
		struct px_frame *f = slot(pc, pc->fr_head);
		uint32_t left = f->len - pc->fr_head_off, k = n < left ? n : left;

		n -= k;
		if (!f->p)
			pc->b2c_rhead += k;
		if (k < left) {
			pc->fr_head_off += k;
			return;
		}
		if (f->p) {
			frame_put(pc->px, f->p);
			pc->b2c_frames--;
		}
		pc->fr_head++;
		pc->fr_head_off = 0;
	}
}

/* The ring's recv wrote len bytes at its tail: they join the last piece
 * when that is the ring's (its bytes end at the tail), or take a slot. */
static void ring_add(struct px_conn *pc, uint32_t len)
{
	struct px_frame *last = pc->fr_tail != pc->fr_head ? slot(pc, pc->fr_tail - 1) : NULL;

	if (last && !last->p) {
		if (pc->fr_sent == pc->fr_tail) { /* queued in full: the rest is not */
			pc->fr_sent--;
			pc->fr_sent_off = last->len;
		}
		last->len += len;
	} else {
		*slot(pc, pc->fr_tail++) = (struct px_frame){ .pos = pc->b2c_rtail, .len = len };
	}
	pc->b2c_rtail += len;
	if (pc->b2c_rtail - pc->b2c_rhead == pc->b2c_size)
		pc->b2c_full = true;
}

/* The client acknowledged all of a ring it had filled: nothing of it is
 * queued on tern any more and no recv writes into it, so it can double. */
static void b2c_grow(struct px_conn *pc)
{
	if (!pc->b2c_full || pc->b2c_rhead != pc->b2c_rtail || pc->rrecv)
		return;
	pc->b2c_full = false;
	ring_grow(pc, &pc->b2c, &pc->b2c_size, pc->b2c_rhead, pc->b2c_rtail);
}

static void pump_b2c_send(struct px_conn *pc)
{
	struct px *px = pc->px;

	if (!pc->c)
		return;
	frames_send(pc);
	if (pc->beof && !pc->cshut && pc->b2c_sent == pc->b2c_tail) {
		pc->cshut = true;
		tern_conn__shutdown(px->env.stack, pc->c, *px->env.now, px->env.out);
	}
}

static void b2c_received(struct tern_ring_op *op, int res, uint32_t flags)
{
	struct px_conn *pc = container_of(op, struct px_conn, op_recv);
	struct px *px = pc->px;
	bool ring = pc->rrecv;

	pc->recving = false;
	pc->rrecv = false;
	if (!op_enter(pc) || res < 0) {
		frames_unpost(pc, 0);
		if (res < 0 && !pc->dead)
			fail_both(pc, PX_BACKEND_RESETS, true);
		goto out;
	}
	if (res == 0)
		pc->beof = true;
	if (!ring)
		pc->fr_want = PX_RIOV_MIN;
	for (size_t i = 0, left = (size_t)res; i < pc->rmh.msg_iovlen && left; i++) {
		size_t n = left < pc->riov[i].iov_len ? left : pc->riov[i].iov_len;

		tern_vg__kernel_wrote(pc->riov[i].iov_base, (uint32_t)n);
		left -= n;
		if (ring)
			continue;
		if (pc->c) { /* the buffer joins the queued pieces */
			slot(pc, pc->fr_tail++)->len = (uint32_t)n;
			pc->fr_recv--;
			pc->b2c_frames++;
		}
		if (2 * i + 2 > pc->fr_want)
			pc->fr_want = 2 * (uint32_t)i + 2 < PX_RIOV ? 2 * (uint32_t)i + 2 : PX_RIOV;
	}
	frames_unpost(pc, 0); /* the buffers the data did not reach */
	if (ring && pc->c && res > 0)
		ring_add(pc, (uint32_t)res);
	if (ring && px->fquota)
		px->ctr[PX_DOWN_RING] += (uint32_t)res;
	pc->b2c_tail += (uint32_t)res;
	px->ctr[PX_BYTES_TO_CLIENT] += (uint32_t)res;
	pump_b2c_send(pc);
	due(pc);
	if (pc->beof && pc->bwr_shut)
		backend_close(pc); /* both directions done on the backend */
out:
	leave(pc);
}

/*
 * The recv's iovecs over UMEM buffers for up to room bytes, one buffer
 * per segment of the connection's MSS, in the slots from fr_tail on.
 * Returns how many; 0 when the connection holds its share (counted) or
 * the worker has none to give (counted).
 */
static size_t frames_iov(struct px_conn *pc, uint32_t room)
{
	struct px *px = pc->px;
	const struct tern_app_frames *af = px->env.frames;
	struct tern_conn_info ci;
	uint32_t held = frames_held(pc), k = 0, seg;
	uint8_t *p;

	tern_conn__info(pc->c, &ci);
	seg = ci.mss < af->room ? ci.mss : af->room;
	while (room && k < pc->fr_want && held + k < px->fquota && !af->get(af->ctx, &p)) {
		uint32_t n = room < seg ? room : seg;

		px->ctr[PX_FRAMES]++;
		slot(pc, pc->fr_tail + k)->p = p;
		pc->riov[k++] = (struct iovec){ .iov_base = p, .iov_len = n };
		room -= n;
	}
	if (!k && held >= px->fquota)
		px->ctr[PX_FRAME_QUOTA]++;
	else if (!k)
		px->ctr[PX_FRAME_NONE]++;
	pc->fr_recv = k;
	return k;
}

/* The b2c ring at its first size, at its first use with UMEM buffers. */
static int b2c_ring_new(struct px_conn *pc)
{
	struct px *px = pc->px;

	pc->b2c = malloc(px->o.buf_init);
	if (!pc->b2c) {
		px->ctr[PX_BUF_GROW_FAILS]++;
		return -ENOMEM;
	}
	pc->b2c_size = px->o.buf_init;
	pc->alloc += pc->b2c_size;
	px->ctr[PX_BUF_BYTES] += pc->b2c_size;
	return 0;
}

/*
 * Of room bytes more toward the client, those the ring may take. Without
 * UMEM buffers all. With them, beyond the buffers, while the queue toward
 * the client is below twice what the client acknowledged over its last
 * round trip (at least o.buf_init), as Linux's send buffer grows to twice
 * the congestion window (tcp_sndbuf_expand()): over a long round trip the
 * ring carries what the share cannot, and grows as the client takes it;
 * near the client the buffers, freed within a round trip, carry all.
 */
static uint32_t b2c_ring_allowed(struct px_conn *pc, uint32_t room)
{
	uint32_t used = pc->b2c_tail - pc->b2c_head;
	uint64_t want = 2ull * pc->b2c_rtt_acked;

	if (!pc->px->fquota)
		return room;
	if (want < pc->px->o.buf_init)
		want = pc->px->o.buf_init;
	/* less than a quarter of the bound: wait for the client's ACKs
	 * rather than read (and send) a sliver */
	if (used >= want || want - used < want / 4)
		return 0;
	return want - used < room ? (uint32_t)(want - used) : room;
}

/*
 * The recv's iovecs over the b2c ring's free part for up to room bytes:
 * one, or two where it wraps. 0 while a full ring below o.buf waits for
 * the client to acknowledge all of it and doubles (b2c_grow: a recv into
 * the room its ACKs free would keep it from ever being empty), or without
 * memory (counted).
 */
static size_t ring_recv_iov(struct px_conn *pc, uint32_t room)
{
	uint32_t free_room;

	room = b2c_ring_allowed(pc, room);
	if (!room)
		return 0;
	if (!pc->b2c && b2c_ring_new(pc))
		return 0;
	if (pc->b2c_full && pc->b2c_size < pc->px->o.buf)
		return 0;
	free_room = pc->b2c_size - (pc->b2c_rtail - pc->b2c_rhead);
	if (room > free_room)
		room = free_room;
	if (!room)
		return 0;
	pc->rrecv = true;
	return ring_iov(pc->b2c, pc->b2c_size, pc->b2c_rtail, room, pc->riov);
}

/*
 * Read the backend while tern's queue toward the client is below o.buf:
 * into UMEM buffers while the connection's share and the worker lend
 * them, else into the b2c ring (tern: Linux's send queue is bounded by
 * sk_sndbuf alone; here the UMEM buffers are the worker's, lent per
 * connection, and the ring carries the rest up to the same bound).
 */
static void pump_b2c_recv(struct px_conn *pc)
{
	struct px *px = pc->px;
	uint32_t room = px->o.buf - (pc->b2c_tail - pc->b2c_head);

	if (pc->dead || pc->phase != PH_RELAY || pc->recving || pc->beof || !pc->c || !room)
		return;
	pc->rmh = (struct msghdr){ .msg_iov = pc->riov };
	if (px->fquota)
		pc->rmh.msg_iovlen = frames_iov(pc, room);
	if (!pc->rmh.msg_iovlen)
		pc->rmh.msg_iovlen = ring_recv_iov(pc, room);
	if (!pc->rmh.msg_iovlen) {
		/* The client's ACKs free buffers and ring (px_acked); with
		 * nothing of it unacknowledged, try again at the next pass. */
		if (pc->b2c_head == pc->b2c_tail)
			due(pc);
		return;
	}
	if (tern_backend__recvv(px->env.ring, &pc->op_recv, pc->fd, &pc->rmh)) {
		frames_unpost(pc, 0);
		pc->rrecv = false;
		fail_both(pc, -1, true);
		return;
	}
	pc->recving = true;
	pc->ops++;
}

/* ---- connect ---- */

static void connected(struct tern_ring_op *op, int res, uint32_t flags)
{
	struct px_conn *pc = container_of(op, struct px_conn, op_conn);
	struct px *px = pc->px;
	int n;

	if (!op_enter(pc))
		goto out;
	if (res < 0) {
		fail_both(pc, PX_CONNECT_FAILS, false);
		goto out;
	}
	pc->phase = PH_RELAY;
	tern_conn__set_timer(px->env.stack, pc->c, 0, *px->env.now);
	if (px->o.proxy_protocol) {
		n = tern_proxy__header(px->o.proxy_protocol, tern_conn__tuple(pc->c), pc->hdr,
				       sizeof(pc->hdr));
		pc->hdr_len = n > 0 ? (uint8_t)n : 0;
	}
	pump_c2b(pc);
	pump_b2c_recv(pc);
out:
	leave(pc);
}

static int start_connect(struct px_conn *pc)
{
	struct px *px = pc->px;
	struct px_backend *be = px_pool__pick(px);
	const struct tern_proxy_backend *b;
	int fd;

	if (!be) {
		px->ctr[PX_NO_BACKEND]++;
		return -ECONNREFUSED;
	}
	b = &be->cfg;
	fd = tern_backend__socket(b->sa.ss_family);
	if (fd < 0) {
		px->ctr[PX_CONNECT_FAILS]++;
		return fd;
	}
	if (tern_backend__connect(px->env.ring, &pc->op_conn, fd, (const struct sockaddr *)&b->sa,
				  b->salen, NULL)) {
		tern_backend__close(fd, true);
		px->ctr[PX_CONNECT_FAILS]++;
		return -EBUSY;
	}
	px->ctr[PX_CONNECTS]++;
	px->ctr[PX_BACKEND_FDS]++;
	be->conns++;
	pc->be = be;
	pc->fd = fd;
	pc->ops++;
	pc->phase = PH_CONNECTING;
	tern_conn__set_timer(px->env.stack, pc->c, px->o.connect_ms, *px->env.now);
	return 0;
}

/* ---- tern callbacks ---- */

static int px_accept(void *ctx, struct tern_conn *c)
{
	struct px *px = ctx;
	struct px_conn *pc;
	int err;

	if (!px->env.ring)
		return -EOPNOTSUPP;
	pc = conn_new(px, c);
	if (!pc) {
		px->ctr[PX_NO_MEMORY]++;
		return -ENOBUFS;
	}
	px->ctr[PX_ACCEPTED]++;
	tern_conn__set_user(c, pc);
	if (px->o.defer_accept_ms) {
		pc->phase = PH_DEFER;
		tern_conn__set_timer(px->env.stack, c, px->o.defer_accept_ms, *px->env.now);
		return 0;
	}
	err = start_connect(pc);
	if (err) {
		pc->dead = true;
		return err; /* closed() follows and frees pc */
	}
	return 0;
}

static void px_data(void *ctx, struct tern_conn *c, const uint8_t *p, uint32_t len)
{
	struct px_conn *pc = tern_conn__user(c);

	if (!pc || pc->dead)
		return;
	enter(pc);
	up_add(pc, p, len);
	c2b_check_full(pc);
	if (pc->phase == PH_DEFER && start_connect(pc))
		fail_both(pc, -1, false);
	else
		due(pc);
	leave(pc);
}

static void px_fin(void *ctx, struct tern_conn *c)
{
	struct px *px = ctx;
	struct px_conn *pc = tern_conn__user(c);

	if (!pc || pc->dead)
		return;
	enter(pc);
	pc->cfin = true;
	if (pc->phase == PH_DEFER) /* nothing to relay: close as a server would */
		tern_conn__close(px->env.stack, c, *px->env.now, px->env.out);
	else
		pump_c2b(pc);
	leave(pc);
}

static void px_acked(void *ctx, struct tern_conn *c, uint32_t bytes)
{
	struct px_conn *pc = tern_conn__user(c);

	if (!pc)
		return;
	enter(pc);
	pc->b2c_head += bytes;
	if (pc->px->fquota) {
		uint32_t moved = rtt_moved(pc, &pc->b2c_rate, pc->b2c_head);

		if (moved || pc->b2c_rate.seq == pc->b2c_head) /* a round trip ended */
			pc->b2c_rtt_acked = moved;
	}
	frames_acked(pc, bytes);
	b2c_grow(pc);
	due(pc);
	leave(pc);
}

static void px_writable(void *ctx, struct tern_conn *c)
{
	struct px_conn *pc = tern_conn__user(c);

	if (!pc)
		return;
	enter(pc);
	pump_b2c_send(pc);
	leave(pc);
}

static void px_timer(void *ctx, struct tern_conn *c)
{
	struct px_conn *pc = tern_conn__user(c);

	if (!pc || pc->dead || pc->phase == PH_RELAY)
		return;
	enter(pc);
	fail_both(pc, pc->phase == PH_DEFER ? PX_DEFER_TIMEOUTS : PX_CONNECT_TIMEOUTS, true);
	leave(pc);
}

static void px_closed(void *ctx, struct tern_conn *c, int reason)
{
	struct px *px = ctx;
	struct px_conn *pc = tern_conn__user(c);

	if (!pc)
		return;
	tern_conn__set_user(c, NULL);
	pc->c = NULL;
	frames_drop(pc); /* tern's send queue is gone */
	if (!pc->dead) {
		if (reason == TERN_CLOSE_RST)
			px->ctr[PX_CLIENT_RESETS]++;
		/* In order only after the backend's EOF, with our FIN sent:
		 * finish sending c2b. Anything else resets the backend. */
		if (reason != TERN_CLOSE_FIN || !pc->beof)
			kill_backend(pc, true);
		else
			pump_c2b(pc);
	}
	release(pc);
}

/* The end of the worker's pass: post the sends and recvs that became
 * possible during it. */
static void px_batch_end(void *ctx)
{
	struct px *px = ctx;
	struct px_conn *pc = px->due, *next;

	px->due = NULL;
	for (; pc; pc = next) {
		next = pc->due_next;
		pc->due = false;
		pump_c2b(pc);
		pump_b2c_recv(pc);
		leave(pc);
	}
}

/* ---- instance ---- */

static const struct tern_app_ops proxy_ops = {
	.accept = px_accept,
	.data = px_data,
	.fin = px_fin,
	.acked = px_acked,
	.writable = px_writable,
	.timer = px_timer,
	.closed = px_closed,
};

static const char *const counter_names[] = {
#define X(id, name, kind) name,
	PX_COUNTERS(X)
#undef X
};

static const uint8_t counter_kinds[] = {
#define X(id, name, kind) kind,
	PX_COUNTERS(X)
#undef X
};

static void px_counters(void *ctx, uint64_t *v)
{
	struct px *px = ctx;

	px->ctr[PX_QUEUED_TO_BACKEND] = px->ctr[PX_QUEUED_TO_CLIENT] = 0;
	for (struct px_conn *pc = px->live; pc; pc = pc->next) {
		px->ctr[PX_QUEUED_TO_BACKEND] += pc->c2b_tail - pc->c2b_head;
		px->ctr[PX_QUEUED_TO_CLIENT] += pc->b2c_tail - pc->b2c_head;
	}
	memcpy(v, px->ctr, sizeof(px->ctr));
}

static void opts_defaults(struct tern_proxy_opts *o)
{
	if (!o->buf)
		o->buf = TERN_PROXY_BUF_DEF;
	if (!o->buf_init)
		o->buf_init = o->buf < TERN_PROXY_BUF_INIT_DEF ? o->buf : TERN_PROXY_BUF_INIT_DEF;
	if (!o->connect_ms)
		o->connect_ms = TERN_PROXY_CONNECT_MS_DEF;
	if (!o->health_interval_ms)
		o->health_interval_ms = TERN_PROXY_HEALTH_INTERVAL_MS_DEF;
	if (!o->health_timeout_ms)
		o->health_timeout_ms = TERN_PROXY_HEALTH_TIMEOUT_MS_DEF;
	if (!o->health_rise)
		o->health_rise = TERN_PROXY_HEALTH_RISE_DEF;
	if (!o->health_fall)
		o->health_fall = TERN_PROXY_HEALTH_FALL_DEF;
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

uint32_t tern_proxy__rcv_buf(const struct tern_proxy_opts *o)
{
	struct tern_proxy_opts d = *o;

	opts_defaults(&d);
	return d.buf_init;
}

static void *proxy_init(const struct tern_app_env *env)
{
	struct px *px;

	if (!env->opts || !env->opts->proxy.nbackends) {
		errno = EDESTADDRREQ; /* --backend is required */
		return NULL;
	}
	px = calloc(1, sizeof(*px));
	if (!px)
		return NULL;
	px->env = *env;
	px->o = env->opts->proxy;
	opts_defaults(&px->o);
	if (!pow2(px->o.buf) || !pow2(px->o.buf_init) || px->o.buf_init > px->o.buf ||
	    px->o.buf_init < TERN_PROXY_BUF_MIN) {
		free(px);
		errno = EINVAL; /* the rings need a power of two */
		return NULL;
	}
	if (env->frames && env->frames->room && env->frames->max >= 2) {
		px->fquota = (px->o.buf + 1023) / 1024;
		if (px->fquota > env->frames->max / 2)
			px->fquota = env->frames->max / 2;
	}
	if (px_pool__init(px)) {
		free(px);
		errno = ENOMEM;
		return NULL;
	}
	return px;
}

/*
 * A reload: the backends (with their drain marks), the balance rule and
 * the health settings apply to new connections and the next checks;
 * established connections keep their backend. The rest (buffers, PROXY
 * protocol, timeouts) stays as at start.
 */
static int proxy_reconfigure(void *ctx, const struct tern_app_opts *opts)
{
	struct px *px = ctx;
	struct tern_proxy_opts o = opts->proxy;

	if (!o.nbackends)
		return -EDESTADDRREQ;
	opts_defaults(&o);
	return px_pool__set(px, &o);
}

/* The worker's ring is gone by now: nothing pending can complete. */
static void proxy_fini(void *ctx)
{
	struct px *px = ctx;

	if (!px)
		return;
	px->due = NULL; /* every px_conn goes below */
	while (px->live) {
		px->live->reset = true;
		conn_free(px->live);
	}
	px_pool__fini(px);
	free(px);
}

const struct tern_app tern_app_proxy = {
	.name = "proxy",
	.ops = &proxy_ops,
	.rcv_buf = TERN_PROXY_BUF_INIT_DEF, /* the daemon: tern_proxy__rcv_buf() */
	.worker_init = proxy_init,
	.worker_fini = proxy_fini,
	.reconfigure = proxy_reconfigure,
	.counter_names = counter_names,
	.ncounters = PX__COUNT,
	.counters = px_counters,
	.counter_kinds = counter_kinds,
	.batch_end = px_batch_end,
};
