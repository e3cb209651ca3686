/* join.h: creating a group, joining, leaving and state transfer.
 *
 * A newcomer sends JOIN to any member; a member that does not lead answers
 * with its view (NOT_MEMBER), and the newcomer asks the leader named there
 * directly, so that the JOIN the leader admits always comes from the
 * newcomer's own connection.  The leader admits newcomers through a view
 * change: the new view lists them as needing state.  When that view's
 * leader delivers it -- its application state is then exactly the state
 * after every position before the view -- it sends the state (with the
 * duplicate filter) to each newcomer.  A join that has not completed within
 * join_timeout fails with an error: it never hangs.
 *
 * A member leaves by telling every member of its view (LEAVE, from itself
 * only); the leader, or if the leader is leaving the first member after it
 * that stays, runs the view change without the leavers.
 */
#pragma once

#include "grp-core.h"

/* Receive functions; each checks who may send it first. */
void       grp_join_recv_join (GrpCore *core, GrpMsg *msg);
void       grp_join_recv_refused (GrpCore *core, GrpMsg *msg);
void       grp_join_recv_state (GrpCore *core, GrpMsg *msg);
void       grp_join_recv_state_req (GrpCore *core, GrpMsg *msg);
void       grp_join_recv_leave (GrpCore *core, GrpMsg *msg);
/* A joiner was told the view by `from`, which does not lead it: ask the
 * leader the view names. */
void       grp_join_redirect (GrpCore *core, GrpId from, const GrpView *view);
/* The leader delivers `view`: send the state to the newcomers it lists. */
void       grp_join_send_state (GrpCore *core, const GrpView *view);
void       grp_join_tick (GrpCore *core);
/* Does the leader have membership work for a view change? */
gboolean   grp_join_view_work (GrpCore *core);
/* Is `id` leaving (it said so) or being removed for lag? */
gboolean   grp_join_is_leaving (GrpCore *core, GrpId id);
/* Drop a pending join: the newcomer is known to be gone. */
void       grp_join_forget (GrpCore *core, GrpId id);
