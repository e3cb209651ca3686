/* join.c: creating a group, joining, leaving and state transfer.
 *
 * A newcomer sends JOIN to any member, which forwards it to the leader.  The
 * leader admits newcomers through a view change (viewchange.c): the new view
 * lists them with needs_state set.  When the view's leader delivers that
 * view -- so its application state is exactly the state after every position
 * before the view -- it takes the state and sends it (with the duplicate
 * filter) to each newcomer.  The newcomer sets it and delivers from the view
 * on.  If the leader fails first, the next view lists the newcomer as still
 * needing state (it said so in its promise) and the next leader sends it.
 * A join that has not completed within join_timeout fails with an error:
 * it never hangs.  A name already used by another member is refused.
 */
#include "core-private.h"

void
grp_core_create (GrpCore *core,
                 gint64   now)
{
  g_autoptr(GrpView) view = grp_view_new (1, 1, 1);

  core->now = now;
  g_return_if_fail (core->status == GRP_STATUS_IDLE);
  grp_member_copy (&view->members[0], &core->self);
  grp_core_set_status (core, GRP_STATUS_MEMBER, NULL);
  if (core->cfg.protocol == GRP_PROTOCOL_GMS3)
    {
      core->view = grp_view_ref (view);
      core->has_state = TRUE;
      grp_gms3_create (core);
      return;
    }
  grp_vc_install (core, view);
}

static void
send_join (GrpCore *core)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_JOIN, core->self.id, 0);

  grp_member_copy (&msg->member, &core->self);
  grp_core_send (core, core->contact, msg);
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
  grp_core_remember_addr (core, &c);
  core->contact = contact;
  core->join_started = now;
  grp_core_set_status (core, GRP_STATUS_JOINING, NULL);
  if (core->cfg.protocol == GRP_PROTOCOL_GMS3)
    {
      grp_gms3_join (core);
      return;
    }
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

void
grp_join_on_join (GrpCore *core,
                  GrpMsg  *msg)
{
  const GrpMember *m = &msg->member;
  GrpJoinReq *req;

  if (core->view == NULL || m->id == 0 || core->status == GRP_STATUS_JOINING)
    return;
  grp_core_remember_addr (core, m);
  if (!grp_core_i_lead (core))
    {
      /* Forwarded as our own message: a transport checks that a message
       * comes from the peer at the other end of its connection. */
      g_autoptr(GrpMsg) fwd = grp_msg_new (GRP_MSG_JOIN, core->self.id, core->view->id);

      grp_member_copy (&fwd->member, m);
      grp_core_send (core, grp_view_leader (core->view), fwd);
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

      refused->reason = g_strdup_printf ("the name \"%s\" is already used by a member of the group; "
                                         "choose another with --name", m->name);
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
  req = g_new0 (GrpJoinReq, 1);
  grp_member_copy (&req->member, m);
  req->asked_at = core->now;
  g_ptr_array_add (core->pending_joins, req);
  g_debug ("%s: admits %s", core->self.name, m->name);
  if (core->vc == GRP_VC_NONE && !core->frozen)
    grp_vc_start (core);
}

void
grp_join_on_refused (GrpCore *core,
                     GrpMsg  *msg)
{
  g_autoptr(GError) error = NULL;

  if (core->status != GRP_STATUS_JOINING || core->view != NULL)
    return;
  error = g_error_new (GRP_CORE_ERROR, GRP_CORE_ERROR_NAME_TAKEN, "Join refused: %s",
                       msg->reason ? msg->reason : "no reason given");
  grp_core_set_status (core, GRP_STATUS_FAILED, error);
}

static void
send_state_to (GrpCore *core,
               GrpId    to)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_STATE, core->self.id, core->view->id);
  GHashTableIter iter;
  gpointer key, value;

  msg->seq = core->state_seq;
  msg->payload = g_bytes_ref (core->state_blob);
  msg->seen = g_array_new (FALSE, FALSE, sizeof (GrpSeen));
  g_hash_table_iter_init (&iter, core->seen);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GrpSeen s = { *(GrpId *) key, *(guint64 *) value };

      g_array_append_val (msg->seen, s);
    }
  grp_core_send (core, to, msg);
}

/* The leader delivers `view`: the state now is the state at view->seq. */
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
  core->state_blob = core->cb.get_state (core, core->user_data);
  core->state_seq = view->seq;
  for (guint i = 0; i < view->n_members; i++)
    if (view->needs_state[i])
      send_state_to (core, view->members[i].id);
}

void
grp_join_on_state (GrpCore *core,
                   GrpMsg  *msg)
{
  if (core->view == NULL || core->has_state || msg->view != core->view->id ||
      msg->seq != core->view->seq || msg->payload == NULL ||
      msg->from != grp_view_leader (core->view))
    return;
  core->cb.set_state (core, msg->seq, msg->payload, core->user_data);
  g_hash_table_remove_all (core->seen);
  grp_normal_seen_changed (core);
  if (msg->seen != NULL)
    for (guint i = 0; i < msg->seen->len; i++)
      {
        GrpSeen *s = &g_array_index (msg->seen, GrpSeen, i);

        g_hash_table_insert (core->seen, g_memdup2 (&s->origin, sizeof s->origin),
                             g_memdup2 (&s->ctr, sizeof s->ctr));
      }
  core->has_state = TRUE;
  core->delivered = msg->seq - 1;
  g_debug ("%s: state set at %" G_GUINT64_FORMAT, core->self.name, msg->seq);
  grp_core_set_status (core, GRP_STATUS_MEMBER, NULL);
  grp_normal_deliver (core);
  grp_normal_send_ack (core, TRUE);
}

void
grp_join_on_state_req (GrpCore *core,
                       GrpMsg  *msg)
{
  int i;

  if (!grp_core_i_lead (core) || core->state_blob == NULL || core->state_seq != core->view->seq)
    return;
  i = grp_view_index (core->view, msg->from);
  if (i >= 0 && core->view->needs_state[i])
    send_state_to (core, msg->from);
}

/* Hand the leadership over: ask the first member after us that is not known
 * to be leaving to run the view change that removes every leaver.  A member
 * that is leaving too adds itself and passes it on; if nobody stays, the
 * group dissolves and each leaver ends by its leave timeout. */
static void
send_handoff (GrpCore *core, GArray *leavers)
{
  int me = grp_view_index (core->view, core->self.id);

  for (guint i = (guint) me + 1; i < core->view->n_members; i++)
    {
      GrpId id = core->view->members[i].id;
      gboolean leaving = FALSE;
      g_autoptr(GrpMsg) msg = NULL;

      for (guint k = 0; k < leavers->len; k++)
        leaving |= g_array_index (leavers, GrpId, k) == id;
      if (leaving || grp_core_peer (core, id)->dead)
        continue;
      msg = grp_msg_new (GRP_MSG_LEAVE, core->self.id, core->view->id);
      msg->dead = g_array_copy (leavers);
      grp_core_send (core, id, msg);
      return;
    }
}

static void
handoff_from_leader (GrpCore *core)
{
  g_autoptr(GArray) leavers = g_array_copy (core->pending_leaves);

  if (!grp_join_is_leaving (core, core->self.id))
    g_array_append_val (leavers, core->self.id);
  send_handoff (core, leavers);
}

void
grp_core_leave (GrpCore *core,
                gint64   now)
{
  core->now = now;
  if (core->status == GRP_STATUS_LEFT || core->status == GRP_STATUS_EXCLUDED ||
      core->status == GRP_STATUS_FAILED)
    return;
  if (core->view == NULL || core->view->n_members == 1 || core->cfg.protocol == GRP_PROTOCOL_GMS3)
    {
      grp_core_set_status (core, GRP_STATUS_LEFT, NULL);
      return;
    }
  core->leaving = TRUE;
  core->leave_started = now;
  if (grp_core_i_lead (core))
    {
      /* Hand over: stop sequencing and ask the next member to run the view
       * change that removes us; we still promise, so nothing is lost. */
      core->frozen = TRUE;
      core->freeze_upto = core->recv_upto;
      handoff_from_leader (core);
    }
  else
    {
      g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_LEAVE, core->self.id, core->view->id);

      grp_core_send (core, grp_view_leader (core->view), msg);
    }
  core->last_join_sent = now;
}

gboolean
grp_join_is_leaving (GrpCore *core,
                     GrpId    id)
{
  for (guint i = 0; i < core->pending_leaves->len; i++)
    if (g_array_index (core->pending_leaves, GrpId, i) == id)
      return TRUE;
  return FALSE;
}

void
grp_join_on_leave (GrpCore *core,
                   GrpMsg  *msg)
{
  GrpId id = msg->from;

  if (msg->dead != NULL)
    {
      /* A hand-off: remove every leaver it names. */
      for (guint i = 0; i < msg->dead->len; i++)
        {
          GrpId l = g_array_index (msg->dead, GrpId, i);

          if (!grp_join_is_leaving (core, l))
            g_array_append_val (core->pending_leaves, l);
          if (l == grp_view_leader (core->view))
            grp_core_peer (core, l)->suspected = TRUE;
        }
      if (core->leaving)
        {
          g_autoptr(GArray) leavers = g_array_copy (msg->dead);

          g_array_append_val (leavers, core->self.id);
          send_handoff (core, leavers);
        }
      else if (core->vc != GRP_VC_PREPARING && core->vc != GRP_VC_ACCEPTING)
        grp_vc_start (core);
      return;
    }

  for (guint i = 0; i < core->pending_leaves->len; i++)
    if (g_array_index (core->pending_leaves, GrpId, i) == id)
      goto start;
  g_array_append_val (core->pending_leaves, id);
start:
  if (grp_core_i_lead (core))
    {
      if (core->leaving)
        handoff_from_leader (core); /* leaving too: pass both on */
      else if (core->vc == GRP_VC_NONE && !core->frozen)
        grp_vc_start (core);
    }
}

/* Does the leader have membership work for a view change? */
gboolean
grp_join_view_work (GrpCore *core)
{
  if (core->pending_joins->len > 0 || core->pending_leaves->len > 0)
    return TRUE;
  for (guint i = 1; i < core->view->n_members; i++)
    if (grp_core_peer (core, core->view->members[i].id)->suspected)
      return TRUE;
  return FALSE;
}

void
grp_join_forget (GrpCore *core,
                 GrpId    id)
{
  for (guint i = core->pending_joins->len; i-- > 0;)
    if (((GrpJoinReq *) g_ptr_array_index (core->pending_joins, i))->member.id == id)
      g_ptr_array_remove_index (core->pending_joins, i);
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
          g_autoptr(GError) error =
            g_error_new (GRP_CORE_ERROR, GRP_CORE_ERROR_JOIN_TIMEOUT,
                         core->view == NULL
                           ? "No member admitted us within %" G_GINT64_FORMAT " ms: "
                             "check that the address given to --join is a running member"
                           : "Admitted, but no state arrived within %" G_GINT64_FORMAT " ms "
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
  if (core->leaving && core->view != NULL)
    {
      if (core->now - core->leave_started >= core->cfg.join_timeout)
        grp_core_set_status (core, GRP_STATUS_LEFT, NULL);
      else if (core->now - core->last_join_sent >= resend && core->vc == GRP_VC_NONE)
        {
          if (grp_core_i_lead (core))
            handoff_from_leader (core);
          else
            {
              g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_LEAVE, core->self.id, core->view->id);

              grp_core_send (core, grp_view_leader (core->view), msg);
            }
          core->last_join_sent = core->now;
        }
    }
}
