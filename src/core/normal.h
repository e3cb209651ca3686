/* normal.h: the data path within one view.
 *
 * Members send multicast requests (REQ) to the leader; the leader gives each
 * the next position and sends it to every member (SEQ).  Members keep the
 * positions they hold in the log and acknowledge the highest position they
 * hold with no gap below (ACK).  The minimum over the view is the stable
 * point: every member holds it, so it can be trimmed, and with safe delivery
 * only stable positions are delivered.  A member that sees a gap asks for
 * the missing range (NAK); the leader answers from its log.
 *
 * Exactly-once: the leader accepts a member's request only as the next of
 * that member's counter (the duplicate filter, `seen`).  The filter is part
 * of the replicated state: members update it on delivery, a new leader
 * completes it from the log it inherited, a newcomer receives it with the
 * state.
 *
 * Preconditions: every function needs an installed view (core->view), except
 * where it says otherwise.
 */
#pragma once

#include "grp-core.h"

/* Receive functions: each checks who may send it (the view's leader for
 * SEQ and HB; a member of the view, to us as leader, for REQ, ACK and NAK)
 * and bounds what it carries; the caller has checked the view id. */
void       grp_normal_recv_req (GrpCore *core, GrpMsg *msg);
void       grp_normal_recv_seq (GrpCore *core, GrpMsg *msg);
void       grp_normal_recv_hb (GrpCore *core, GrpMsg *msg);
void       grp_normal_recv_ack (GrpCore *core, GrpMsg *msg);
void       grp_normal_recv_nak (GrpCore *core, GrpMsg *msg);

/* Delivers every position up to the limit of the delivery level (and of
 * the freeze); needs the state.  Trims the log after. */
void       grp_normal_deliver (GrpCore *core);
/* Leader: sequence own multicasts made while it could not (a view change,
 * no lease), in counter order, after those already in the log. */
void       grp_normal_sequence_own (GrpCore *core);
/* May we assign positions now: leader, no view change, not frozen, lease. */
gboolean   grp_normal_can_sequence (GrpCore *core);
/* The lease (normal.c); TRUE while a quorum echoed a recent stamp. */
gboolean   grp_normal_lease_ok (GrpCore *core);
/* Member: ACK what we hold, if due (or `force`). */
void       grp_normal_send_ack (GrpCore *core, gboolean force);
/* Member: send own requests not known to be sequenced: never sent, sent
 * long ago, or (`all`) every one (a new leader). */
void       grp_normal_send_pending (GrpCore *core, gboolean all);
/* Leader: recompute the stable point from the acks; announce it with safe
 * delivery. */
void       grp_normal_update_stable (GrpCore *core);
/* Leader: nothing held, nothing in flight counted: a view's start. */
void       grp_normal_flow_reset (GrpCore *core);
void       grp_normal_tick (GrpCore *core);
/* A new leader completes the duplicate filter from what it holds but has
 * not delivered. */
void       grp_normal_rebuild_seen (GrpCore *core);
/* The filter without origins that left the view. */
void       grp_normal_prune_seen (GrpCore *core);
/* The filter as of position `upto` (delivered), for a state transfer
 * (GrpSeen), and its replacement by one received with a state (no view
 * needed). */
GArray    *grp_normal_dup_seen_upto (GrpCore *core, guint64 upto);
void       grp_normal_set_seen (GrpCore *core, GArray *seen);
/* Drop own pending multicasts the filter says were sequenced and
 * delivered (they are in a state received). */
void       grp_normal_drop_own_seen (GrpCore *core);
