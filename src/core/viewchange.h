/* viewchange.h: agreeing on the next view and installing it.
 *
 * Every view change -- a join, a leave, a member or the leader failing -- is
 * one instance of single-decree Paxos over the slot "view id + 1", whose
 * acceptors are the members of the current view; decisions need a quorum
 * (grp_vc_is_quorum; docs/PROTOCOL.md, "Quorums").
 *
 * Preconditions: an installed view, except for grp_vc_recv_decide (a
 * joiner installs its first view from it).  Invariants kept: a member
 * promises and accepts only for the slot after its view, only from members
 * of its view, never a ballot below the one it promised; a proposer
 * re-proposes the highest accepted value its promises carry; a value is
 * installed only once chosen; a member that promised delivers nothing past
 * what it held then (frozen) until a view is installed.
 */
#pragma once

#include "grp-core.h"

typedef gboolean (*GrpMemberPredicate) (GrpCore *core, GrpId id, gpointer data);

/* Is the set of the view's members for which `in_set` holds a quorum: a
 * strict majority, or exactly half with every other member known to have
 * crashed (GrpPeer.dead)? */
gboolean   grp_vc_is_quorum (GrpCore *core, GrpMemberPredicate in_set, gpointer data);
/* Propose the next view: a new ballot, PREPARE to every member.  Not for a
 * member without state or one that is leaving. */
void       grp_vc_start (GrpCore *core);
/* Who should propose: the first member in view order that we do not
 * suspect and that is not leaving (never ourselves while leaving). */
GrpId      grp_vc_first_candidate (GrpCore *core);
/* The leader is suspected: wait, or propose if we are first in line. */
void       grp_vc_leader_suspected (GrpCore *core);
void       grp_vc_tick (GrpCore *core);
/* Receive functions: each checks the slot, the sender's membership and
 * role, and the ballot's bounds first. */
void       grp_vc_recv_prepare (GrpCore *core, GrpMsg *msg);
void       grp_vc_recv_promise (GrpCore *core, GrpMsg *msg);
void       grp_vc_recv_reject (GrpCore *core, GrpMsg *msg);
void       grp_vc_recv_accept (GrpCore *core, GrpMsg *msg);
void       grp_vc_recv_accepted (GrpCore *core, GrpMsg *msg);
void       grp_vc_recv_decide (GrpCore *core, GrpMsg *msg);
void       grp_vc_recv_not_member (GrpCore *core, GrpMsg *msg);
/* Install a chosen view that lists us; if we delivered at or past where it
 * starts, we are out instead (status EXCLUDED, or LEFT if leaving). */
void       grp_vc_install (GrpCore *core, GrpView *view);
/* Our view, as a DECIDE (the answer to members that are behind). */
GrpMsg    *grp_vc_decide_msg (GrpCore *core);
/* Is `view` well formed: ids and positions from 1, 1..GRP_MAX_MEMBERS
 * members with distinct non-zero ids and names of bounded length? */
gboolean   grp_vc_view_ok (const GrpView *view);
