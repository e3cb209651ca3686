/* stage.c: what the exercise's stages share (stage.h): the list of
 * members, joining with the state, multicasting through the leader, the
 * leader's broadcast, delivery, and watching the leader's heartbeats. */
#include "stage.h"

#include <string.h>

#define STAGE(p) ((GrpStage *) (p))

GrpProto *
grp_stage_new (const GrpStageKind *kind,
               const GrpCoreConfig *config,
               const GrpMember     *self)
{
  GrpStage *s = g_new0 (GrpStage, 1);

  s->kind = kind;
  s->cfg = *config;
  grp_member_copy (&s->self, self);
  s->status = GRP_STATUS_IDLE;
  s->list = g_array_new (FALSE, FALSE, sizeof (GrpId));
  s->addrs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  s->next_ctr = 1;
  s->pending = g_array_new (FALSE, FALSE, sizeof (guint64));
  s->history = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                      (GDestroyNotify) grp_entry_unref);
  s->held = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                   (GDestroyNotify) grp_entry_unref);
  return &s->parent;
}

void
grp_stage_free (GrpProto *proto)
{
  GrpStage *s = STAGE (proto);

  grp_member_clear (&s->self);
  g_array_unref (s->list);
  g_clear_pointer (&s->view, grp_view_unref);
  g_hash_table_unref (s->addrs);
  g_array_unref (s->pending);
  g_clear_pointer (&s->admitted, grp_entry_unref);
  g_clear_pointer (&s->last, grp_entry_unref);
  g_hash_table_unref (s->history);
  g_hash_table_unref (s->held);
  g_free (s);
}

static void
set_status (GrpStage *s, GrpStatus status, const GError *error)
{
  if (s->status == status)
    return;
  g_debug ("%s: status %d -> %d", s->self.name, s->status, status);
  s->status = status;
  if (s->parent.cb.status != NULL)
    s->parent.cb.status (&s->parent, status, error, s->parent.user_data);
}

static gboolean
finished (GrpStage *s)
{
  return s->status == GRP_STATUS_LEFT || s->status == GRP_STATUS_EXCLUDED ||
         s->status == GRP_STATUS_FAILED;
}

static void
remember_addr (GrpStage *s, GrpId id, const char *addr)
{
  if (id == 0 || addr == NULL)
    return;
  g_hash_table_replace (s->addrs, g_memdup2 (&id, sizeof id), g_strdup (addr));
}

static guint64
view_id (GrpStage *s)
{
  return s->view != NULL ? s->view->id : 0;
}

/* ---- the list ------------------------------------------------------------ */

static GrpId
member_at (GrpStage *s, guint i)
{
  return g_array_index (s->list, GrpId, i);
}

GrpId
grp_stage_leader (GrpStage *s)
{
  return s->list->len > 0 ? member_at (s, 0) : 0;
}

gboolean
grp_stage_i_lead (GrpStage *s)
{
  return grp_stage_leader (s) == s->self.id;
}

GrpId
grp_stage_next_leader (GrpStage *s)
{
  return s->list->len > 1 ? member_at (s, 1) : 0;
}

gboolean
grp_stage_led_by_leader (GrpStage *s, const GrpView *view)
{
  return grp_view_leader (view) == grp_stage_leader (s);
}

/* The addresses kept are the list's (a view's, or known already): those
 * of members gone, or of views a peer made up, do not pile up. */
static void
set_list (GrpStage *s, const GrpView *view)
{
  g_autoptr(GHashTable) old = s->addrs;

  s->addrs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_array_set_size (s->list, 0);
  for (guint i = 0; i < view->n_members; i++)
    {
      GrpId id = view->members[i].id;
      const char *addr = view->members[i].addr;

      g_array_append_val (s->list, id);
      remember_addr (s, id, addr != NULL && *addr != '\0' ? addr : g_hash_table_lookup (old, &id));
    }
}

/* `view` as delivered at position `seq`. */
static GrpView *
view_at (const GrpView *view, guint64 seq)
{
  GrpView *v = grp_view_new (view->id, seq, view->n_members);

  for (guint i = 0; i < view->n_members; i++)
    {
      grp_member_copy (&v->members[i], &view->members[i]);
      v->needs_state[i] = view->needs_state[i];
    }
  return v;
}

/* A view of the list's members (with their names from our last view, and
 * `extra` at the end if given): the next view a leader sends. */
static GrpView *
view_of_list (GrpStage *s, const GrpMember *extra, guint64 seq)
{
  GrpView *v = grp_view_new (view_id (s) + 1, seq, s->list->len + (extra != NULL));

  for (guint i = 0; i < s->list->len; i++)
    {
      GrpId id = member_at (s, i);
      int k = grp_view_index (s->view, id);

      if (k >= 0)
        grp_member_copy (&v->members[i], &s->view->members[k]);
      else
        {
          v->members[i].id = id;
          v->members[i].name = g_strdup ("?");
          v->members[i].addr = g_strdup (g_hash_table_lookup (s->addrs, &id));
        }
    }
  if (extra != NULL)
    grp_member_copy (&v->members[s->list->len], extra);
  return v;
}

/* ---- sending --------------------------------------------------------------- */

void
grp_stage_send (GrpStage *s,
                GrpId     to,
                GrpMsg   *msg)
{
  if (to == s->self.id || to == 0)
    return;
  s->parent.cb.send (&s->parent, to, g_hash_table_lookup (s->addrs, &to), msg,
                     s->parent.user_data);
}

/* The exercise's bcast: one send after the other, in list order.  An
 * injected crash (the transport's, the fixture's) cuts it part-way. */
static void
send_each (GrpStage *s, const GrpView *to, GrpEntry *e)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_SEQ, s->self.id, view_id (s));

  grp_msg_add_entry (msg, e);
  if (to != NULL)
    for (guint i = 0; i < to->n_members; i++)
      grp_stage_send (s, to->members[i].id, msg);
  else
    for (guint i = 0; i < s->list->len; i++)
      grp_stage_send (s, member_at (s, i), msg);
}

void
grp_stage_bcast (GrpStage *s,
                 GrpEntry *e)
{
  send_each (s, NULL, e);
}

/* ---- delivering ------------------------------------------------------------ */

static void
forget_pending (GrpStage *s,
                guint64   ctr)
{
  for (guint i = 0; i < s->pending->len; i++)
    if (g_array_index (s->pending, guint64, i) == ctr)
      {
        g_array_remove_index (s->pending, i);
        return;
      }
}

void
grp_stage_deliver (GrpStage *s,
                   GrpEntry *e,
                   guint64   seq)
{
  s->delivered = seq;
  if (s->kind->history > 0)
    {
      guint64 old = seq - MIN (seq, s->kind->history);

      g_hash_table_replace (s->history, g_memdup2 (&seq, sizeof seq), grp_entry_ref (e));
      g_hash_table_remove (s->history, &old);
    }
  if (e->kind == GRP_ENTRY_DATA)
    {
      g_autoptr(GBytes) payload = grp_entry_dup_payload (e);

      if (e->origin == s->self.id)
        forget_pending (s, e->ctr);
      s->parent.cb.deliver (&s->parent, seq, e->origin, e->ctr, payload, s->parent.user_data);
    }
  else
    {
      GrpView *v = view_at (e->view, seq);

      g_debug ("%s: view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT ", %u members, led by %s",
               s->self.name, v->id, seq, v->n_members, v->members[0].name);
      g_clear_pointer (&s->view, grp_view_unref);
      s->view = v;
      set_list (s, v);
      s->parent.cb.view (&s->parent, v, s->parent.user_data);
    }
}

/* The number the leader gives what it sends next (0: the stage has none). */
static guint64
number (GrpStage *s)
{
  return s->kind->numbered ? s->delivered + 1 : 0;
}

void
grp_stage_lead (GrpStage *s,
                GrpEntry *e)
{
  /* A view goes to its own members: the newcomer too. */
  send_each (s, e->kind == GRP_ENTRY_VIEW ? e->view : NULL, e);
  grp_stage_deliver (s, e, s->delivered + 1);
}

void
grp_stage_drop_leader (GrpStage *s)
{
  g_debug ("%s: the leader is gone; %s", s->self.name,
           grp_stage_next_leader (s) == s->self.id ? "leading" : "the next one leads");
  if (s->list->len > 0)
    g_array_remove_index (s->list, 0);
  /* What we sent the old leader and it did not send back is lost. */
  g_array_set_size (s->pending, 0);
  s->last_leader_heard = s->now;
  s->last_hb_sent = s->now;
}

void
grp_stage_announce (GrpStage *s)
{
  g_autoptr(GrpView) view = view_of_list (s, NULL, number (s));
  g_autoptr(GrpEntry) e = grp_entry_new_view (view);

  grp_stage_lead (s, e);
}

/* ---- life cycle ---------------------------------------------------------- */

void
grp_stage_create (GrpProto *proto,
                  gint64    now)
{
  GrpStage *s = STAGE (proto);
  g_autoptr(GrpView) view = grp_view_new (1, 1, 1);

  g_return_if_fail (s->status == GRP_STATUS_IDLE);
  s->now = now;
  grp_member_copy (&view->members[0], &s->self);
  s->delivered = 1;
  s->view = grp_view_ref (view);
  set_list (s, view);
  set_status (s, GRP_STATUS_MEMBER, NULL);
  s->parent.cb.view (&s->parent, view, s->parent.user_data);
}

void
grp_stage_join (GrpProto   *proto,
                GrpId       contact,
                const char *contact_addr,
                gint64      now)
{
  GrpStage *s = STAGE (proto);
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_JOIN, s->self.id, 0);

  g_return_if_fail (s->status == GRP_STATUS_IDLE);
  g_return_if_fail (contact != 0);
  s->now = now;
  remember_addr (s, contact, contact_addr);
  s->contact = contact;
  s->join_started = now;
  set_status (s, GRP_STATUS_JOINING, NULL);
  grp_member_copy (&msg->join.member, &s->self);
  grp_stage_send (s, contact, msg);
}

void
grp_stage_leave (GrpProto *proto,
                 gint64    now)
{
  GrpStage *s = STAGE (proto);

  /* The exercise has no goodbye: a member that leaves is gone, as if it
   * had crashed (its transport says it ended). */
  s->now = now;
  if (!finished (s))
    set_status (s, GRP_STATUS_LEFT, NULL);
}

guint64
grp_stage_multicast (GrpProto *proto,
                     GBytes   *payload,
                     gint64    now,
                     GError  **error)
{
  GrpStage *s = STAGE (proto);
  guint64 ctr;

  g_return_val_if_fail (payload != NULL, 0);
  s->now = now;
  if (s->status != GRP_STATUS_MEMBER)
    {
      g_set_error (error, GRP_CORE_ERROR, GRP_CORE_ERROR_NOT_MEMBER,
                   "Not a member of a group yet: wait for the join to complete");
      return 0;
    }
  if (s->pending->len >= s->cfg.window)
    {
      g_set_error (error, GRP_CORE_ERROR, GRP_CORE_ERROR_BUSY,
                   "%u multicasts are still in flight: wait for deliveries", s->pending->len);
      return 0;
    }
  ctr = s->next_ctr++;
  if (grp_stage_i_lead (s))
    {
      g_autoptr(GrpEntry) e = grp_entry_new_data (number (s), view_id (s), s->self.id, ctr,
                                                   payload);

      grp_stage_lead (s, e);
    }
  else
    {
      g_autoptr(GrpMsg) req = grp_msg_new (GRP_MSG_REQ, s->self.id, view_id (s));
      g_autoptr(GrpEntry) e = grp_entry_new_data (0, view_id (s), s->self.id, ctr, payload);

      grp_msg_add_entry (req, e);
      g_array_append_val (s->pending, ctr);
      grp_stage_send (s, grp_stage_leader (s), req);
    }
  return ctr;
}

/* ---- joining -------------------------------------------------------------- */

/* Names of the last view (which holds everyone in the list). */
static gboolean
name_taken (GrpStage *s, const char *name)
{
  for (guint i = 0; s->view != NULL && i < s->view->n_members; i++)
    if (g_strcmp0 (s->view->members[i].name, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
id_in_list (GrpStage *s, GrpId id)
{
  for (guint i = 0; i < s->list->len; i++)
    if (member_at (s, i) == id)
      return TRUE;
  return FALSE;
}

/* The leader: the newcomer goes at the end of the list, the new list out
 * as a view, and the state (as of that view) to the newcomer. */
static void
admit (GrpStage        *s,
       const GrpMember *m)
{
  g_autoptr(GrpView) view = NULL;
  g_autoptr(GrpEntry) e = NULL;
  g_autoptr(GrpMsg) state = NULL;

  if (id_in_list (s, m->id))
    return;
  /* As many members as the real protocol admits, at most: the list (and
   * each view, which must fit in a frame) does not grow by what peers ask. */
  if (name_taken (s, m->name) || s->list->len >= GRP_STAGE_MAX_MEMBERS)
    {
      g_autoptr(GrpMsg) no = grp_msg_new (GRP_MSG_JOIN_REFUSED, s->self.id, view_id (s));

      if (s->list->len >= GRP_STAGE_MAX_MEMBERS)
        no->join_refused.reason = g_strdup_printf ("the group has %u members, the most it can "
                                                   "have", s->list->len);
      else
        no->join_refused.reason = g_strdup_printf ("a member of the group is called %s already",
                                                   m->name);
      /* Not remembered: only members' addresses are kept. */
      s->parent.cb.send (&s->parent, m->id, m->addr, no, s->parent.user_data);
      return;
    }
  remember_addr (s, m->id, m->addr);
  view = view_of_list (s, m, number (s));
  e = grp_entry_new_view (view);
  grp_stage_lead (s, e);
  state = grp_msg_new (GRP_MSG_STATE, s->self.id, view_id (s));
  state->state.seq = s->delivered;
  state->state.state = s->parent.cb.get_state (&s->parent, s->parent.user_data);
  grp_stage_send (s, m->id, state);
}

static void
recv_join (GrpStage *s,
           GrpMsg   *msg)
{
  const GrpMember *m = &msg->join.member;

  if (s->status != GRP_STATUS_MEMBER || m->id == 0 || m->name == NULL || *m->name == '\0' ||
      strlen (m->name) > GRP_STAGE_MAX_NAME)
    return;
  if (grp_stage_i_lead (s))
    admit (s, m);
  else if (msg->from == m->id)
    {
      /* A slave hands the join to its leader (once: a join handed on
       * already is not handed on again). */
      g_autoptr(GrpMsg) fwd = grp_msg_new (GRP_MSG_JOIN, s->self.id, view_id (s));

      grp_member_copy (&fwd->join.member, m);
      grp_stage_send (s, grp_stage_leader (s), fwd);
    }
}

static void
recv_state (GrpStage *s,
            GrpMsg   *msg)
{
  g_autoptr(GrpView) view = NULL;

  if (s->status != GRP_STATUS_JOINING || s->admitted == NULL || msg->state.state == NULL)
    return;
  s->parent.cb.set_state (&s->parent, msg->state.seq, msg->state.state, s->parent.user_data);
  s->delivered = msg->state.seq;
  view = view_at (s->admitted->view, msg->state.seq);
  s->view = grp_view_ref (view);
  set_list (s, view);
  if (s->kind->numbered)
    s->last = grp_entry_ref (s->admitted);
  g_clear_pointer (&s->admitted, grp_entry_unref);
  s->last_leader_heard = s->now;
  set_status (s, GRP_STATUS_MEMBER, NULL);
  s->parent.cb.view (&s->parent, view, s->parent.user_data);
}

/* ---- receiving -------------------------------------------------------------- */

/* A view a member can take: at most GRP_STAGE_MAX_MEMBERS members, each once (a
 * list naming a member twice makes whoever leads from it send that member
 * everything twice). */
static gboolean
view_ok (const GrpView *view)
{
  if (view->n_members > GRP_STAGE_MAX_MEMBERS)
    return FALSE;
  for (guint i = 0; i < view->n_members; i++)
    for (guint j = 0; j < i; j++)
      if (view->members[j].id == view->members[i].id)
        return FALSE;
  return TRUE;
}

static void
recv_seq (GrpStage *s,
          GrpMsg   *msg)
{
  GPtrArray *entries = msg->seq.entries;

  for (guint i = 0; entries != NULL && i < entries->len && !finished (s); i++)
    {
      GrpEntry *e = g_ptr_array_index (entries, i);

      if (e->kind == GRP_ENTRY_VIEW && !view_ok (e->view))
        continue;
      if (s->status == GRP_STATUS_JOINING)
        {
          /* The view that admits us; the state follows from the leader. */
          if (s->admitted == NULL && e->kind == GRP_ENTRY_VIEW &&
              grp_view_contains (e->view, s->self.id))
            s->admitted = grp_entry_ref (e);
        }
      /* The leader takes nothing from others (the exercise's leader
       * receives mcast and join only). */
      else if (s->status == GRP_STATUS_MEMBER && !grp_stage_i_lead (s))
        s->kind->recv_seq (s, msg->from, e);
    }
}

static void
recv_req (GrpStage *s,
          GrpMsg   *msg)
{
  GPtrArray *entries = msg->req.entries;

  if (s->status != GRP_STATUS_MEMBER || !grp_stage_i_lead (s))
    return; /* a request that reached a slave is lost */
  /* A handler may leave on a delivery: then the rest goes undelivered. */
  for (guint i = 0; entries != NULL && i < entries->len && !finished (s); i++)
    {
      g_autoptr(GrpEntry) e = grp_entry_new_data_like (g_ptr_array_index (entries, i), number (s),
                                                       view_id (s));

      e->origin = msg->from;
      grp_stage_lead (s, e);
    }
}

void
grp_stage_receive (GrpProto *proto,
                   GrpMsg   *msg,
                   gint64    now)
{
  GrpStage *s = STAGE (proto);

  s->now = now;
  if (finished (s) || msg->from == s->self.id || msg->from == 0)
    return;
  if (msg->from == grp_stage_leader (s))
    s->last_leader_heard = now;
  switch (msg->type)
    {
    case GRP_MSG_JOIN:
      recv_join (s, msg);
      break;
    case GRP_MSG_JOIN_REFUSED:
      if (s->status == GRP_STATUS_JOINING)
        {
          g_autoptr(GError) error = g_error_new (GRP_CORE_ERROR, GRP_CORE_ERROR_NAME_TAKEN, "%s",
                                                 msg->join_refused.reason ? msg->join_refused.reason
                                                 : "the group refused us");

          set_status (s, GRP_STATUS_FAILED, error);
        }
      break;
    case GRP_MSG_REQ:
      recv_req (s, msg);
      break;
    case GRP_MSG_SEQ:
      recv_seq (s, msg);
      break;
    case GRP_MSG_STATE:
      recv_state (s, msg);
      break;
    case GRP_MSG_HB:
      break; /* heard, above */
    default:
      if (s->kind->recv_other != NULL && s->status == GRP_STATUS_MEMBER)
        s->kind->recv_other (s, msg);
      break;
    }
}

void
grp_stage_unreachable (GrpProto *proto,
                       GrpId     peer,
                       gboolean  confirmed,
                       gint64    now)
{
  GrpStage *s = STAGE (proto);

  s->now = now;
  /* Only the leader is watched (the exercise's monitor): a dead slave
   * stays in the list for good. */
  if (s->status == GRP_STATUS_MEMBER && s->kind->leader_lost != NULL && !grp_stage_i_lead (s) &&
      peer == grp_stage_leader (s))
    s->kind->leader_lost (s);
}

void
grp_stage_tick (GrpProto *proto,
                gint64    now)
{
  GrpStage *s = STAGE (proto);

  s->now = now;
  if (s->status == GRP_STATUS_JOINING && now - s->join_started > s->cfg.join_timeout)
    {
      g_autoptr(GError) error = g_error_new (GRP_CORE_ERROR, GRP_CORE_ERROR_JOIN_TIMEOUT,
                                             "No reply from the leader within %" G_GINT64_FORMAT
                                             " ms", s->cfg.join_timeout / 1000);

      set_status (s, GRP_STATUS_FAILED, error);
      return;
    }
  if (s->status != GRP_STATUS_MEMBER)
    return;
  if (s->kind->tick != NULL)
    s->kind->tick (s);
  if (s->kind->leader_lost == NULL)
    return;
  if (grp_stage_i_lead (s))
    {
      if (now - s->last_hb_sent >= s->cfg.heartbeat_interval)
        {
          g_autoptr(GrpMsg) hb = grp_msg_new (GRP_MSG_HB, s->self.id, view_id (s));

          s->last_hb_sent = now;
          for (guint i = 0; i < s->list->len; i++)
            grp_stage_send (s, member_at (s, i), hb);
        }
    }
  else if (now - s->last_leader_heard > s->cfg.suspect_timeout)
    {
      g_debug ("%s: the leader has been silent for %" G_GINT64_FORMAT " ms", s->self.name,
               (now - s->last_leader_heard) / 1000);
      s->kind->leader_lost (s);
    }
}

/* ---- queries ---------------------------------------------------------------- */

gboolean
grp_stage_flush (GrpProto *proto)
{
  return FALSE; /* every message leaves when it is made */
}

gboolean
grp_stage_has_batch (GrpProto *proto)
{
  return FALSE;
}

GrpStatus
grp_stage_get_status (GrpProto *proto)
{
  return STAGE (proto)->status;
}

const GrpView *
grp_stage_get_view (GrpProto *proto)
{
  return STAGE (proto)->view;
}

gboolean
grp_stage_is_leader (GrpProto *proto)
{
  GrpStage *s = STAGE (proto);

  return s->status == GRP_STATUS_MEMBER && grp_stage_i_lead (s);
}

guint64
grp_stage_get_delivered (GrpProto *proto)
{
  return STAGE (proto)->delivered;
}

gboolean
grp_stage_has_state (GrpProto *proto)
{
  return STAGE (proto)->view != NULL;
}

guint
grp_stage_get_pending (GrpProto *proto)
{
  return STAGE (proto)->pending->len;
}

guint
grp_stage_get_window (GrpProto *proto)
{
  return STAGE (proto)->cfg.window;
}

char *
grp_stage_describe (GrpProto *proto)
{
  GrpStage *s = STAGE (proto);
  GString *d = g_string_new (NULL);

  g_string_append_printf (d, "%s: %s, status %d, view %" G_GUINT64_FORMAT ", %s, list of %u, "
                          "delivered %" G_GUINT64_FORMAT ", pending %u, held %u",
                          s->self.name, proto->klass->name, s->status, view_id (s),
                          grp_stage_i_lead (s) ? "leader" : "slave", s->list->len, s->delivered,
                          s->pending->len, g_hash_table_size (s->held));
  return g_string_free (d, FALSE);
}
