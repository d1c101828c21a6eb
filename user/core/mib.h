/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stack counters. Names follow Linux's SNMP/netstat MIB names where one
 * exists (nstat shows them as TcpExt<Name> or Tcp<Name>), so that operators
 * can compare tern with a Linux listener. tern-only counters are marked.
 */
#ifndef TERN_CORE_MIB_H
#define TERN_CORE_MIB_H

#define TERN_MIBS(X)                                                           \
	X(InSegs)                 /* segments handed to the state machine */   \
	X(OutSegs)                /* segments emitted */                       \
	X(InErrs)                 /* segments dropped as erroneous */          \
	X(InSyns)                 /* tern: SYNs without ACK (flood rate) */    \
	X(OutRsts)                /* RSTs sent */                              \
	X(RetransSegs)            /* segments retransmitted */                 \
	X(ActiveOpens)            /* tern_stack__connect() completed */       \
	X(PassiveOpens)           /* handshakes completed (SYN-RCVD -> EST) */ \
	X(AttemptFails)           /* half-opens reset or failed */             \
	X(EstabResets)            /* established connections reset */          \
	X(SyncookiesSent)                                                      \
	X(SyncookiesRecv)                                                      \
	X(SyncookiesFailed)                                                    \
	X(FlowFilterSaturated)    /* tern: XDP flow filter counter stuck at 255 */ \
	X(SyncookiesRecvPrevKey)  /* tern: cookies valid under the rotated-out key */ \
	X(TCPReqQFullDoCookies)   /* half-open table full, cookie sent */      \
	X(TCPReqQFullDrop)        /* half-open table full, SYN dropped */      \
	X(ListenOverflows)        /* connection table full */                  \
	X(ListenDrops)                                                         \
	X(TCPChallengeACK)        /* challenge ACKs sent */                    \
	X(TCPSYNChallenge)        /* SYNs in synchronized states */            \
	X(PAWSEstab)              /* segments rejected by PAWS */              \
	X(TCPACKSkippedSynRecv)   /* rate-limited ACKs in SYN-RCVD */          \
	X(TCPACKSkippedPAWS)                                                   \
	X(TCPACKSkippedSeq)                                                    \
	X(TCPACKSkippedChallenge)                                              \
	X(TCPSynRetrans)          /* SYN-ACK retransmissions */                \
	X(TCPTimeouts)            /* retransmission timer expiries */          \
	X(TCPFastRetrans)         /* NewReno fast retransmits */               \
	X(TCPRenoRecovery)        /* fast recoveries entered (no SACK used) */ \
	X(TCPCwndClamped)         /* tern: cwnd held at cfg.cwnd_clamp */      \
	X(TCPSackRecovery)        /* recoveries entered from SACK information */ \
	X(TCPSACKDiscard)         /* SACK blocks outside SND.UNA..SND.MAX */  \
	X(TCPSACKReneging)        /* an RTO found SND.UNA SACKed: SACKs forgotten */ \
	X(TCPDSACKRecv)           /* D-SACK blocks received (RFC 2883) */      \
	X(TCPSackRangesFull)      /* tern: a SACKed range dropped at the bound */ \
	X(TCPLossProbes)          /* tail loss probes sent */                  \
	X(TCPLostRetransmit)      /* retransmissions found lost again */       \
	X(TCPLossProbeRecovery)   /* recoveries started by a loss probe */     \
	X(TCPRackSegsFull)        /* tern: no RACK record: DupThresh till idle */ \
	X(TCPSACKReorder)         /* reordering seen: a hole filled below SACKs */ \
	X(TCPRackReoTimeout)      /* tern: RACK reordering timer expiries */  \
	X(TCPDSACKUndo)           /* undone: D-SACKs covered every resend */   \
	X(TCPFullUndo)            /* recovery undone at its end (Eifel) */     \
	X(TCPPartialUndo)         /* recovery undone on a partial ACK */      \
	X(TCPLossUndo)            /* RTO recovery undone */                    \
	X(TCPSpuriousRTOs)        /* of those, by F-RTO (RFC 5682) */          \
	X(TCPSackRescue)          /* tern: RFC 6675 rescue retransmissions */  \
	X(TCPHystartTrainDetect)  /* HyStart ended slow start: ACK train */   \
	X(TCPHystartTrainCwnd)    /* sum of cwnd (segments) at those ends */   \
	X(TCPHystartDelayDetect)  /* HyStart ended slow start: delay rise */   \
	X(TCPHystartDelayCwnd)    /* sum of cwnd (segments) at those ends */   \
	X(DelayedACKs)            /* delayed-ACK timers armed */               \
	X(TCPOFOQueue)            /* out-of-order segments queued */           \
	X(TCPOFODrop)             /* out-of-order segments dropped (bound) */  \
	X(TCPZeroWindowDrop)      /* data at RCV.NXT with the window at zero */ \
	X(InRcvCreditTrim)        /* tern: a segment cut to the credit left */  \
	X(TCPAbortOnData)         /* RST: data after close */                  \
	X(TCPAbortOnClose)        /* RST: closed with unread data */           \
	X(TCPAbortOnTimeout)      /* RST: retries, user timeout or keepalive */ \
	X(TCPAbortOnMemory)       /* RST: closed beyond max_orphans */          \
	X(TCPKeepAlive)           /* keepalive probes sent */                  \
	X(TCPWinProbe)            /* zero-window probes sent */                \
	X(TCPReqExpired)          /* tern: half-opens freed after retries */   \
	X(TCPFinWait2Timeout)     /* tern: orphaned FIN-WAIT-2 timed out */    \
	X(OutSndBufFull)          /* tern: send refused, buffer or pool full */ \
	X(OutSndQuotaFull)        /* tern: send refused, connection's pool share */ \
	X(OutSndMemFull)          /* tern: send refused, stack memory bound */ \
	X(TCPMemoryPressures)     /* the stack entered memory pressure */      \
	X(TCPRcvQDrop)            /* data dropped at the stack's memory bound */ \
	X(TCPToZeroWindowAdv)     /* window advertised went to zero */        \
	X(TCPFromZeroWindowAdv)   /* window advertised reopened from zero */  \
	X(OfoPruned)              /* out-of-order queue pruned for a lower segment */ \
	X(InNoListener)           /* tern: segment for no listener (RST) */    \
	X(InDropListenFlags)      /* tern: bad flag mix in LISTEN */           \
	X(InDropNotAccepting)     /* tern: new connection while shutting down */ \
	X(InDropOutOfWindow)      /* tern: unacceptable sequence, dropped */   \
	X(InDropAckUnsent)        /* tern: ACK for data never sent */          \
	X(OutAckGlobalLimited)    /* tern: ACK held back by the global budget */ \
	X(TW)                     /* connections entering TIME-WAIT */         \
	X(TWKilled)               /* TIME-WAIT killed by RST (RFC 1337 off) */ \
	X(TWRecycled)             /* TIME-WAIT reused by a new SYN */          \
	X(TCPTimeWaitOverflow)    /* TIME-WAIT table full, record skipped */   \
	X(TCPACKSkippedTimeWait)  /* rate-limited ACKs in TIME-WAIT */         \
	X(Ip6InHdrErrors)         /* IPv6 SYN with a v4-mapped address */     \
	X(IcmpInDestUnreachs)     /* ICMP destination unreachable, any code */ \
	X(Icmp6InPktTooBigs)      /* ICMPv6 packet too big */                  \
	X(IcmpInErrors)           /* ICMP error for no connection (handoff off) */ \
	X(Icmp6InErrors)          /* the same for ICMPv6 */                    \
	X(OutOfWindowIcmps)       /* quoted sequence outside SND.UNA..SND.NXT */ \
	X(TCPPMTUReduced)         /* tern: a connection's path MTU lowered */  \
	X(InDropIcmpMtu)          /* tern: MTU below the minimum or not below the path's */ \
	X(OutDropNoRoom)          /* tern: reply dropped, out array full */

enum tern_mib {
#define X(name) TERN_MIB_##name,
	TERN_MIBS(X)
#undef X
	TERN_MIB__COUNT
};

const char *tern_mib_name(int mib);

#endif
