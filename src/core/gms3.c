/* gms3.c: the original Groupy exercise's gms3, kept on purpose.
 *
 * This is the algorithm the exercise ends with, not ours: the leader sends
 * each message to the members one by one in list order and then delivers it;
 * members watch only the leader; when it dies the first member of the list
 * takes over and re-sends the last message it received; members drop
 * anything numbered below what they expect.  There are no view ids, no
 * survivor synchronisation, no gap repair, no retransmission of requests and
 * dead members stay in the view.  The simulator runs it under the same faults
 * to show that the invariants it checks can fail (`groupy-sim --protocol
 * gms3`), and the teaching mode builds on it.
 */
#include "core.h"
#include "gms3.h"

static void
set_view (GrpCore *core,
          GrpView *view)
{
  g_clear_pointer (&core->view, grp_view_unref);
  core->view = grp_view_ref (view);
  for (guint i = 0; i < view->n_members; i++)
    grp_core_remember_addr (core, &view->members[i]);
  core->last_leader_heard = core->now;
}

static void
apply (GrpCore  *core,
       GrpEntry *e)
{
  core->g3_expected = e->seq + 1;
  g_clear_pointer (&core->g3_last, grp_entry_unref);
  core->g3_last = grp_entry_ref (e);
  core->delivered = e->seq;
  if (e->kind == GRP_ENTRY_DATA)
    {
      g_autoptr(GBytes) payload = grp_entry_dup_payload (e);

      core->cb.deliver (core, e->seq, e->origin, e->ctr, payload, core->user_data);
    }
  else
    {
      if (!grp_view_contains (e->view, core->self.id))
        return;
      set_view (core, e->view);
      core->cb.view (core, e->view, core->user_data);
    }
}

/* Leader: send to every member in list order, then deliver locally.  A crash
 * injected part-way through this loop is what the exercise studies. */
static void
broadcast (GrpCore  *core,
           GrpEntry *e)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_SEQ, core->self.id, 0);
  g_autoptr(GrpView) members = grp_view_ref (e->kind == GRP_ENTRY_VIEW ? e->view : core->view);

  grp_msg_add_entry (msg, e);
  for (guint i = 0; i < members->n_members; i++)
    grp_core_send (core, members->members[i].id, msg);
  apply (core, e);
}

void
grp_gms3_create (GrpCore *core)
{
  core->next_seq = 2;
  core->g3_expected = 2;
  core->delivered = 1;
  core->cb.view (core, core->view, core->user_data);
}

void
grp_gms3_join (GrpCore *core)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_JOIN, core->self.id, 0);

  grp_member_copy (&msg->join.member, &core->self);
  grp_core_send (core, core->contact, msg);
}

guint64
grp_gms3_multicast (GrpCore *core,
                    GBytes  *payload)
{
  guint64 ctr = core->next_ctr++;

  if (grp_core_i_lead (core))
    {
      g_autoptr(GrpEntry) e = grp_entry_new_data (core->next_seq++, 0, core->self.id, ctr, payload);

      broadcast (core, e);
    }
  else
    {
      g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_REQ, core->self.id, 0);
      g_autoptr(GrpEntry) e = grp_entry_new_data (0, 0, core->self.id, ctr, payload);

      grp_msg_add_entry (msg, e);
      grp_core_send (core, grp_view_leader (core->view), msg);
    }
  return ctr;
}

static void
admit (GrpCore         *core,
       const GrpMember *m)
{
  g_autoptr(GrpView) view = grp_view_new (core->next_seq, core->next_seq, core->view->n_members + 1);
  g_autoptr(GrpEntry) e = NULL;
  g_autoptr(GrpMsg) state = NULL;

  if (grp_view_contains (core->view, m->id))
    return;
  for (guint i = 0; i < core->view->n_members; i++)
    grp_member_copy (&view->members[i], &core->view->members[i]);
  grp_member_copy (&view->members[core->view->n_members], m);
  grp_core_remember_addr (core, m);
  core->next_seq++;
  e = grp_entry_new_view (view);
  broadcast (core, e);
  state = grp_msg_new (GRP_MSG_STATE, core->self.id, 0);
  state->state.seq = view->seq;
  state->state.state = core->cb.get_state (core, core->user_data);
  grp_core_send (core, m->id, state);
}

void
grp_gms3_receive (GrpCore *core,
                  GrpMsg  *msg)
{
  if (core->view != NULL && msg->from == grp_view_leader (core->view))
    core->last_leader_heard = core->now;

  switch (msg->type)
    {
    case GRP_MSG_JOIN:
      if (core->view == NULL || core->status != GRP_STATUS_MEMBER)
        return;
      if (grp_core_i_lead (core))
        admit (core, &msg->join.member);
      else
        grp_core_send (core, grp_view_leader (core->view), msg);
      break;

    case GRP_MSG_REQ:
      if (grp_core_i_lead (core) && msg->req.entries != NULL && msg->req.entries->len > 0)
        {
          GrpEntry *r = g_ptr_array_index (msg->req.entries, 0);
          g_autoptr(GrpEntry) e = grp_entry_new_data_like (r, core->next_seq++, 0);

          e->origin = msg->from;
          broadcast (core, e);
        }
      break;

    case GRP_MSG_SEQ:
      {
        GrpEntry *e;

        if (msg->seq.entries == NULL || msg->seq.entries->len == 0)
          return;
        e = g_ptr_array_index (msg->seq.entries, 0);

        if (core->status == GRP_STATUS_JOINING)
          {
            /* The view that admits us; the state follows from the leader. */
            if (e->kind == GRP_ENTRY_VIEW && grp_view_contains (e->view, core->self.id) &&
                core->view == NULL)
              set_view (core, e->view);
            return;
          }
        if (e->seq < core->g3_expected)
          return;
        apply (core, e);
      }
      break;

    case GRP_MSG_STATE:
      if (core->status != GRP_STATUS_JOINING || core->view == NULL)
        return;
      core->cb.set_state (core, msg->state.seq, msg->state.state, core->user_data);
      core->has_state = TRUE;
      core->g3_expected = msg->state.seq + 1;
      core->delivered = msg->state.seq;
      grp_core_set_status (core, GRP_STATUS_MEMBER, NULL);
      core->cb.view (core, core->view, core->user_data);
      break;

    case GRP_MSG_HB:
    default:
      break;
    }
}

/* The leader is gone (or looks gone): the first remaining member leads,
 * re-sends the last message it got and announces a view. */
static void
elect (GrpCore *core)
{
  GrpId dead = grp_view_leader (core->view);
  g_autoptr(GrpView) view = NULL;
  guint n = 0;

  if (core->status != GRP_STATUS_MEMBER)
    return;
  view = grp_view_new (core->g3_expected, core->g3_expected, core->view->n_members - 1);
  for (guint i = 0; i < core->view->n_members; i++)
    if (core->view->members[i].id != dead)
      grp_member_copy (&view->members[n++], &core->view->members[i]);
  view->n_members = n;
  set_view (core, view);
  if (grp_core_i_lead (core))
    {
      g_autoptr(GrpView) next = NULL;
      g_autoptr(GrpEntry) e = NULL;

      if (core->g3_last != NULL)
        {
          g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_SEQ, core->self.id, 0);

          grp_msg_add_entry (msg, core->g3_last);
          grp_core_send_view (core, msg);
        }
      core->next_seq = core->g3_expected;
      next = grp_view_new (core->next_seq, core->next_seq, view->n_members);
      for (guint i = 0; i < view->n_members; i++)
        grp_member_copy (&next->members[i], &view->members[i]);
      core->next_seq++;
      e = grp_entry_new_view (next);
      broadcast (core, e);
    }
}

void
grp_gms3_unreachable (GrpCore *core,
                      GrpId    peer)
{
  if (core->view != NULL && peer == grp_view_leader (core->view))
    elect (core);
}

void
grp_gms3_tick (GrpCore *core)
{
  if (core->view == NULL || core->status != GRP_STATUS_MEMBER)
    return;
  if (grp_core_i_lead (core))
    {
      g_autoptr(GrpMsg) hb = grp_msg_new (GRP_MSG_HB, core->self.id, 0);

      grp_core_send_view (core, hb);
    }
  else if (core->now - core->last_leader_heard > core->cfg.suspect_timeout)
    elect (core);
}
