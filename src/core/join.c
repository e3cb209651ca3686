/* join.c: creating a group, joining, leaving and state transfer (join.h). */
#include "core.h"
#include "join.h"
#include "normal.h"
#include "viewchange.h"

#include <string.h>

void
grp_core_create (GrpCore *core,
                 gint64   now)
{
  g_autoptr(GrpView) view = grp_view_new (1, 1, 1);

  core->now = now;
  g_return_if_fail (core->status == GRP_STATUS_IDLE);
  grp_member_copy (&view->members[0], &core->self);
  grp_core_set_status (core, GRP_STATUS_MEMBER, NULL);
  core->has_state = TRUE;
  grp_vc_install (core, view);
}

/* JOIN goes to the member we were given and, once one of them named it, to
 * the leader: whoever leads by now admits us, or tells us who does. */
static void
send_join (GrpCore *core)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_JOIN, core->self.id, 0);

  grp_member_copy (&msg->join.member, &core->self);
  grp_core_send (core, core->contact, msg);
  if (core->join_leader != 0 && core->join_leader != core->contact)
    grp_core_send (core, core->join_leader, msg);
  core->last_join_sent = core->now;
}

void
grp_core_join (GrpCore    *core,
               GrpId       contact,
               const char *contact_addr,
               gint64      now)
{
  GrpMember c = { contact, NULL, (char *) contact_addr };

  core->now = now;
  g_return_if_fail (core->status == GRP_STATUS_IDLE);
  g_return_if_fail (contact != 0);
  grp_core_remember_addr (core, &c);
  core->contact = contact;
  core->join_started = now;
  grp_core_set_status (core, GRP_STATUS_JOINING, NULL);
  send_join (core);
}

void
grp_join_redirect (GrpCore       *core,
                   GrpId          from,
                   const GrpView *view)
{
  const GrpMember *leader = &view->members[0];

  if (core->status != GRP_STATUS_JOINING || core->view != NULL ||
      (from != core->contact && from != core->join_leader) || leader->id == core->join_leader)
    return;
  g_debug ("%s: %s leads the group: asking it", core->self.name, leader->name);
  grp_core_remember_addr (core, leader);
  core->join_leader = leader->id;
  send_join (core);
}

static gboolean
name_taken (GrpCore         *core,
            const GrpMember *m)
{
  for (guint i = 0; i < core->view->n_members; i++)
    if (core->view->members[i].id != m->id && g_strcmp0 (core->view->members[i].name, m->name) == 0)
      return TRUE;
  for (guint i = 0; i < core->pending_joins->len; i++)
    {
      GrpMember *p = &((GrpJoinReq *) g_ptr_array_index (core->pending_joins, i))->member;

      if (p->id != m->id && g_strcmp0 (p->name, m->name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* JOIN: from the newcomer itself (its own connection: the transport binds
 * the sender to it), with a name of bounded length.  A member that does
 * not lead answers with its view, which names the leader. */
void
grp_join_recv_join (GrpCore *core,
                    GrpMsg  *msg)
{
  const GrpMember *m = &msg->join.member;
  GrpJoinReq *req;

  if (core->view == NULL || core->status != GRP_STATUS_MEMBER || m->id != msg->from || m->id == 0 ||
      m->name == NULL || *m->name == '\0' || strlen (m->name) > GRP_MAX_NAME)
    return;
  if (g_hash_table_size (core->addrs) < GRP_MAX_ADDRS)
    grp_core_remember_addr (core, m); /* the answer goes there */
  if (!grp_core_i_lead (core))
    {
      grp_core_fence_reply (core, msg->from, G_MAXUINT64);
      return;
    }
  if (grp_view_contains (core->view, m->id))
    {
      /* Admitted already: the DECIDE (or the state) must have been lost. */
      g_autoptr(GrpMsg) decide = grp_vc_decide_msg (core);

      grp_core_send (core, m->id, decide);
      return;
    }
  if (name_taken (core, m))
    {
      g_autoptr(GrpMsg) refused = grp_msg_new (GRP_MSG_JOIN_REFUSED, core->self.id, core->view->id);

      refused->join_refused.reason =
        g_strdup_printf ("the name \"%s\" is already used by a member of the group; "
                         "choose another name", m->name);
      grp_core_send (core, m->id, refused);
      return;
    }
  for (guint i = 0; i < core->pending_joins->len; i++)
    {
      req = g_ptr_array_index (core->pending_joins, i);
      if (req->member.id == m->id)
        {
          req->asked_at = core->now; /* it is still waiting */
          return;
        }
    }
  if (core->pending_joins->len >= GRP_MAX_PENDING_JOINS ||
      core->view->n_members + core->pending_joins->len >= GRP_MAX_MEMBERS)
    return; /* it asks again later */
  grp_core_remember_addr (core, m);
  req = g_new0 (GrpJoinReq, 1);
  grp_member_copy (&req->member, m);
  req->asked_at = core->now;
  g_ptr_array_add (core->pending_joins, req);
  g_debug ("%s: admits %s", core->self.name, m->name);
  if (core->vc == GRP_VC_NONE && !core->frozen)
    grp_vc_start (core);
}

/* JOIN_REFUSED: only while we wait for admission, from a member we asked. */
void
grp_join_recv_refused (GrpCore *core,
                       GrpMsg  *msg)
{
  g_autoptr(GError) error = NULL;
  const char *reason = msg->join_refused.reason;

  if (core->status != GRP_STATUS_JOINING || core->view != NULL ||
      (msg->from != core->contact && msg->from != core->join_leader))
    return;
  /* The leader's reason says it all ("the name "c" is already used ..."):
   * the programs say "could not join the group: " before it. */
  error = g_error_new_literal (GRP_CORE_ERROR, GRP_CORE_ERROR_NAME_TAKEN,
                              reason ? reason : "the group refused it without a reason");
  grp_core_set_status (core, GRP_STATUS_FAILED, error);
}

static void
send_state_to (GrpCore *core,
               GrpId    to)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_STATE, core->self.id, core->view->id);

  msg->state.seq = core->state_seq;
  msg->state.state = g_bytes_ref (core->state_blob);
  msg->state.seen = g_array_ref (core->state_seen);
  grp_core_send (core, to, msg);
}

void
grp_join_send_state (GrpCore       *core,
                     const GrpView *view)
{
  gboolean any = FALSE;

  for (guint i = 0; i < view->n_members; i++)
    any |= view->needs_state[i];
  if (!any)
    return;
  g_clear_pointer (&core->state_blob, g_bytes_unref);
  g_clear_pointer (&core->state_seen, g_array_unref);
  core->state_blob = core->cb.get_state (core, core->user_data);
  core->state_seq = view->seq;
  /* The filter goes with the state, as of the same position: counters the
   * leader has sequenced past it are not in the state. */
  core->state_seen = grp_normal_dup_seen_upto (core, view->seq);
  for (guint i = 0; i < view->n_members; i++)
    if (view->needs_state[i])
      send_state_to (core, view->members[i].id);
}

/* STATE: only from the leader of our view, taken at that view, while we
 * need it. */
void
grp_join_recv_state (GrpCore *core,
                     GrpMsg  *msg)
{
  if (core->view == NULL || core->has_state || msg->view != core->view->id ||
      msg->state.seq != core->view->seq || msg->state.state == NULL ||
      msg->from != grp_view_leader (core->view))
    return;
  core->cb.set_state (core, msg->state.seq, msg->state.state, core->user_data);
  grp_normal_set_seen (core, msg->state.seen);
  /* Our own multicasts the state already holds (a member that had to take
   * the state again sent them before) are done. */
  grp_normal_drop_own_seen (core);
  core->has_state = TRUE;
  core->delivered = msg->state.seq - 1;
  g_debug ("%s: state set at %" G_GUINT64_FORMAT, core->self.name, msg->state.seq);
  grp_core_set_status (core, GRP_STATUS_MEMBER, NULL);
  grp_normal_deliver (core);
  grp_normal_send_ack (core, TRUE);
}

/* STATE_REQ: to us as leader, from a member of the view that needs it. */
void
grp_join_recv_state_req (GrpCore *core,
                         GrpMsg  *msg)
{
  int i;

  if (!grp_core_i_lead (core) || core->state_blob == NULL || core->state_seq != core->view->seq)
    return;
  i = grp_view_index (core->view, msg->from);
  if (i > 0 && core->view->needs_state[i])
    send_state_to (core, msg->from);
}

/* ---- leaving ------------------------------------------------------------ */

static void
send_leave (GrpCore *core)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_LEAVE, core->self.id, core->view->id);

  grp_core_send_view (core, msg);
  core->last_leave_sent = core->now;
}

/* Says LEAVE; a leader stops sequencing, and the first member after it
 * that stays takes over.  We still promise and accept, so nothing we hold
 * is lost. */
static void
announce_leave (GrpCore *core)
{
  core->leave_wanted = FALSE;
  core->leaving = TRUE;
  if (grp_core_i_lead (core))
    {
      core->frozen = TRUE;
      core->freeze_upto = core->recv_upto;
    }
  send_leave (core);
}

/* Whether every multicast of ours has a position (or none is pending). */
static gboolean
own_sequenced (GrpCore *core)
{
  GrpPending *last = g_queue_peek_tail (&core->pending);

  return last == NULL || last->ctr <= core->my_seq_ctr;
}

void
grp_core_leave (GrpCore *core,
                gint64   now)
{
  core->now = now;
  if (core->status == GRP_STATUS_LEFT || core->status == GRP_STATUS_EXCLUDED ||
      core->status == GRP_STATUS_FAILED || core->leaving || core->leave_wanted)
    return;
  if (core->view == NULL || core->view->n_members == 1)
    {
      grp_core_set_status (core, GRP_STATUS_LEFT, NULL);
      return;
    }
  core->leave_started = now;
  /* What we multicast goes first: a request waiting at the leader (flow
   * control), or refused there and to be re-sent, would be lost once we
   * are out of the view.  We wait for it as a member, up to half the
   * join timeout (GrpGroup's leave waits that much longer); then we go
   * whatever is left. */
  if (core->status == GRP_STATUS_MEMBER && !own_sequenced (core))
    core->leave_wanted = TRUE;
  else
    announce_leave (core);
}

gboolean
grp_join_is_leaving (GrpCore *core,
                     GrpId    id)
{
  if (id == core->self.id)
    return core->leaving;
  if (grp_core_is_member (core, id) && grp_core_peer (core, id)->leaving)
    return TRUE;
  for (guint i = 0; i < core->pending_leaves->len; i++)
    if (g_array_index (core->pending_leaves, GrpId, i) == id)
      return TRUE;
  return FALSE;
}

/* LEAVE: from a member of the view, about itself.  The leader removes it;
 * if the leader itself leaves, the first member after it that stays (and
 * is not suspected) runs the change. */
void
grp_join_recv_leave (GrpCore *core,
                     GrpMsg  *msg)
{
  GrpId leader = grp_view_leader (core->view);

  if (!grp_core_is_member (core, msg->from))
    return;
  grp_core_peer (core, msg->from)->leaving = TRUE;
  if (core->leaving || core->vc == GRP_VC_PREPARING || core->vc == GRP_VC_ACCEPTING)
    return;
  if (grp_core_i_lead (core))
    {
      if (core->vc == GRP_VC_NONE && !core->frozen)
        grp_vc_start (core);
    }
  else if (grp_join_is_leaving (core, leader) && grp_vc_first_candidate (core) == core->self.id)
    grp_vc_start (core);
}

void
grp_join_forget (GrpCore *core,
                 GrpId    id)
{
  for (guint i = core->pending_joins->len; i-- > 0;)
    if (((GrpJoinReq *) g_ptr_array_index (core->pending_joins, i))->member.id == id)
      g_ptr_array_remove_index (core->pending_joins, i);
}

gboolean
grp_join_view_work (GrpCore *core)
{
  if (core->pending_joins->len > 0 || core->pending_leaves->len > 0)
    return TRUE;
  for (guint i = 1; i < core->view->n_members; i++)
    {
      GrpPeer *peer = grp_core_peer (core, core->view->members[i].id);

      if (peer->suspected || peer->leaving)
        return TRUE;
    }
  return FALSE;
}

/* A newcomer that has not asked again for a whole join timeout has given
 * up (its own timeout is as long): admitting it would put a member that
 * never answers into the view. */
static void
expire_joins (GrpCore *core)
{
  for (guint i = core->pending_joins->len; i-- > 0;)
    {
      GrpJoinReq *r = g_ptr_array_index (core->pending_joins, i);

      if (core->now - r->asked_at >= core->cfg.join_timeout)
        {
          g_debug ("%s: forgets the join of %s (it gave up)", core->self.name, r->member.name);
          g_ptr_array_remove_index (core->pending_joins, i);
        }
    }
}

void
grp_join_tick (GrpCore *core)
{
  gint64 resend = core->cfg.retry_interval * 4;

  expire_joins (core);
  if (core->status == GRP_STATUS_JOINING)
    {
      if (core->now - core->join_started >= core->cfg.join_timeout)
        {
          /* Unanswered: the contact is not a running member, or the
           * members cannot reach us where we say we are (a wrong
           * advertised address), which the contact's answer needs. */
          g_autoptr(GError) error =
            core->view == NULL
              ? g_error_new (GRP_CORE_ERROR, GRP_CORE_ERROR_JOIN_TIMEOUT,
                             "No member admitted us within %" G_GINT64_FORMAT " ms: check that "
                             "the contact is a running member (if it crashed meanwhile, join "
                             "through another), and that members can reach this one at %s, "
                             "the address it advertises",
                             core->cfg.join_timeout / 1000,
                             core->self.addr != NULL ? core->self.addr : "(none)")
              : g_error_new (GRP_CORE_ERROR, GRP_CORE_ERROR_JOIN_TIMEOUT,
                             "Admitted, but no state arrived within %" G_GINT64_FORMAT " ms "
                             "(the group lost its leader during the join): try again",
                             core->cfg.join_timeout / 1000);
          grp_core_set_status (core, GRP_STATUS_FAILED, error);
          return;
        }
      if (core->view == NULL && core->now - core->last_join_sent >= resend)
        send_join (core);
      else if (core->view != NULL && !core->has_state && core->now - core->last_state_req >= resend)
        {
          g_autoptr(GrpMsg) req = grp_msg_new (GRP_MSG_STATE_REQ, core->self.id, core->view->id);

          core->last_state_req = core->now;
          grp_core_send (core, grp_view_leader (core->view), req);
        }
    }
  if (core->leave_wanted && core->view != NULL &&
      (own_sequenced (core) || core->now - core->leave_started >= core->cfg.join_timeout / 2))
    announce_leave (core);
  if (core->leaving && core->view != NULL)
    {
      if (core->now - core->leave_started >= core->cfg.join_timeout)
        grp_core_set_status (core, GRP_STATUS_LEFT, NULL);
      else if (core->now - core->last_leave_sent >= resend)
        send_leave (core);
    }
}
