/* viewchange.c: agreeing on the next view and installing it.
 *
 * Every view change -- a join, a leave, a member or the leader failing -- is
 * one instance of single-decree Paxos over the slot "view id + 1", whose
 * acceptors are the members of the current view:
 *
 *  1. PREPARE(slot, ballot): the proposer asks every member.  A member that
 *     promises stops taking new positions from the old leader and delivering
 *     past what it holds (it is "frozen"), and answers PROMISE with the
 *     position it holds up to, the entries the proposer lacks, and any value
 *     it already accepted in this slot.
 *  2. With promises from a quorum -- a majority of the view, not counting
 *     members whose crash was confirmed -- and from every member it does not
 *     suspect, the proposer picks the value: an already accepted value with
 *     the highest ballot if there is one (it may have been decided), or a
 *     new view: itself first, then the other members that promised in their
 *     old order, then the newcomers; positioned at the first position the
 *     union of the promised logs does not cover.  ACCEPT carries the value
 *     and, to each member, the entries it lacks below that position.
 *  3. With ACCEPTED from a quorum the value is chosen: DECIDE goes to the
 *     old and new members, and each installs it.
 *
 * Why this keeps the guarantees: any two quorums intersect (members that
 * crashed never answer, so discounting them keeps the intersection), so a
 * chosen value is seen by every later proposer and re-proposed, never a
 * rival.  The cut lies above everything any promiser delivered (it delivered
 * only what it held without gap, and reported it), so the new view starts
 * after every position a survivor delivered and every survivor gets the
 * entries below it.  Stale leaders are fenced: once a member promised it
 * ignores the old view's positions, and after the install every message of
 * the old view is refused.
 */
#include "core-private.h"

/* The quorum rule.  A set S of the view's members is a quorum if it holds a
 * strict majority of the view, or exactly half of it while every member
 * outside S is known for certain to have crashed (GrpPeer.dead: only the
 * transport's confirmed reports set it, and we never count ourselves
 * crashed).  Any two quorums share a member (docs/PROTOCOL.md, "Quorums"):
 * two majorities do; a half and a majority do; and two disjoint halves
 * would each need the other's members to have crashed before it was
 * counted, including the member that counted the other one while alive. */
gboolean
grp_vc_is_quorum (GrpCore            *core,
                  GrpMemberPredicate  in_set,
                  gpointer            data)
{
  guint n = core->view->n_members, count = 0;
  gboolean rest_crashed = TRUE;

  for (guint i = 0; i < n; i++)
    {
      GrpId id = core->view->members[i].id;

      if (in_set (core, id, data))
        count++;
      else if (id == core->self.id || !grp_core_peer (core, id)->dead)
        rest_crashed = FALSE;
    }
  return 2 * count > n || (2 * count == n && rest_crashed);
}

static GrpPromise *
find_promise (GrpCore *core,
              GrpId    id)
{
  for (guint i = 0; i < core->promises->len; i++)
    {
      GrpPromise *p = &g_array_index (core->promises, GrpPromise, i);

      if (p->id == id)
        return p;
    }
  return NULL;
}

static void
freeze (GrpCore *core)
{
  if (core->frozen)
    return;
  core->frozen = TRUE;
  core->freeze_upto = core->recv_upto;
}

void
grp_vc_reset (GrpCore *core)
{
  core->vc = GRP_VC_NONE;
  g_array_set_size (core->promises, 0);
  g_clear_pointer (&core->proposal, grp_view_unref);
}

GrpMsg *
grp_vc_decide_msg (GrpCore *core)
{
  GrpMsg *msg = grp_msg_new (GRP_MSG_DECIDE, core->self.id, core->view->id);

  msg->value = grp_view_ref (core->view);
  return msg;
}

/* The member that should propose: the first in view order that we do not
 * suspect.  We never suspect ourselves. */
static GrpId
first_candidate (GrpCore *core)
{
  for (guint i = 0; i < core->view->n_members; i++)
    {
      GrpId id = core->view->members[i].id;

      if (id == core->self.id || !grp_core_peer (core, id)->suspected)
        return id;
    }
  return core->self.id;
}

static void
maybe_propose (GrpCore *core)
{
  if (core->vc != GRP_VC_WAITING || !core->has_state || core->leaving)
    return;
  /* Someone else is proposing: let it finish rather than preempt it. */
  if (core->yielded_at != 0 && core->now - core->yielded_at < 2 * core->cfg.suspect_timeout)
    return;
  if (first_candidate (core) == core->self.id)
    grp_vc_start (core);
}

void
grp_vc_leader_suspected (GrpCore *core)
{
  if (core->vc == GRP_VC_NONE)
    {
      g_debug ("%s: leader %s suspected", core->self.name, core->view->members[0].name);
      core->vc = GRP_VC_WAITING;
      core->vc_since = core->now;
    }
  maybe_propose (core);
}

static void
add_entries (GrpCore *core,
             GrpMsg  *msg,
             guint64  lo,
             guint64  hi)
{
  for (guint64 s = lo; s <= hi && s != 0; s++)
    {
      GrpEntry *e = grp_log_get (core, s);

      if (e != NULL)
        grp_msg_add_entry (msg, e);
    }
}

static void
send_prepare (GrpCore *core,
              GrpId    to)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_PREPARE, core->self.id, core->view->id + 1);

  msg->ballot = core->ballot;
  msg->high = core->recv_upto;
  msg->lo = core->log_lo;
  grp_core_send (core, to, msg);
}

static void check_promises (GrpCore *core);

void
grp_vc_start (GrpCore *core)
{
  GrpPromise self = { core->self.id, 0, TRUE, FALSE };
  guint64 n;

  /* A member that is leaving never proposes: its view would include it. */
  if (!core->has_state || core->view == NULL || core->leaving)
    return;
  n = MAX (core->promised.n, core->accepted_ballot.n);
  n = MAX (n, core->ballot.n) + 1;
  core->ballot = (GrpBallot) { n, core->self.id };
  core->promised = core->ballot;
  freeze (core);
  core->vc = GRP_VC_PREPARING;
  core->vc_since = core->vc_sent_at = core->now;
  g_clear_pointer (&core->proposal, grp_view_unref);
  g_array_set_size (core->promises, 0);
  self.recv_upto = core->recv_upto;
  g_array_append_val (core->promises, self);
  g_debug ("%s: proposes view %" G_GUINT64_FORMAT " (ballot %" G_GUINT64_FORMAT ")",
           core->self.name, core->view->id + 1, n);
  for (guint i = 0; i < core->view->n_members; i++)
    if (!grp_core_peer (core, core->view->members[i].id)->dead)
      send_prepare (core, core->view->members[i].id);
  check_promises (core);
}

static gboolean
log_covers (GrpCore *core,
            guint64  lo,
            guint64  hi)
{
  for (guint64 s = lo; s <= hi; s++)
    if (grp_log_get (core, s) == NULL)
      return FALSE;
  return TRUE;
}

static GrpView *
build_value (GrpCore *core)
{
  guint64 min_recv = G_MAXUINT64;
  guint64 cut;
  GrpView *value;
  guint n = 0, total;

  for (guint i = 0; i < core->promises->len; i++)
    {
      GrpPromise *p = &g_array_index (core->promises, GrpPromise, i);

      if (p->has_state)
        min_recv = MIN (min_recv, p->recv_upto);
    }
  /* Positions below our log are stable: every member with state holds
   * them.  Newcomers without state need none of the past. */
  cut = MAX (min_recv, core->log_lo - 1) + 1;
  while (grp_log_get (core, cut) != NULL)
    cut++;
  g_assert (cut > core->recv_upto || core->recv_upto < core->log_lo);

  total = core->promises->len + core->pending_joins->len;
  value = grp_view_new (core->view->id + 1, cut, total);
  grp_member_copy (&value->members[n++], &core->self);
  for (guint i = 0; i < core->view->n_members; i++)
    {
      const GrpMember *m = &core->view->members[i];
      GrpPromise *p = find_promise (core, m->id);

      /* A promise counts towards the quorum even from a member that has
       * crashed since; the view it is proposed for need not carry it. */
      if (p == NULL || m->id == core->self.id || grp_join_is_leaving (core, m->id) ||
          grp_core_peer (core, m->id)->dead)
        continue;
      value->needs_state[n] = !p->has_state;
      grp_member_copy (&value->members[n++], m);
    }
  for (guint i = 0; i < core->pending_joins->len; i++)
    {
      const GrpMember *m = &((GrpJoinReq *) g_ptr_array_index (core->pending_joins, i))->member;

      if (grp_view_index (value, m->id) >= 0)
        continue;
      value->needs_state[n] = TRUE;
      grp_member_copy (&value->members[n++], m);
    }
  value->n_members = n;
  return value;
}

static void
send_accept (GrpCore    *core,
             GrpPromise *p)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_ACCEPT, core->self.id, core->view->id + 1);

  msg->ballot = core->ballot;
  msg->value = grp_view_ref (core->proposal);
  add_entries (core, msg, p->recv_upto + 1, core->proposal->seq - 1);
  grp_core_send (core, p->id, msg);
}

static void check_accepts (GrpCore *core);

static gboolean
promised (GrpCore *core, GrpId id, gpointer data)
{
  return find_promise (core, id) != NULL;
}

static gboolean
accepted (GrpCore *core, GrpId id, gpointer data)
{
  GrpPromise *p = find_promise (core, id);

  return p != NULL && p->accepted;
}

static void
check_promises (GrpCore *core)
{
  gboolean all_in = TRUE;
  GrpView *value;
  guint64 min_recv = G_MAXUINT64;

  if (core->vc != GRP_VC_PREPARING)
    return;
  for (guint i = 0; i < core->view->n_members; i++)
    {
      GrpId id = core->view->members[i].id;
      GrpPeer *peer = grp_core_peer (core, id);

      if (id != core->self.id && peer->suspected)
        continue;
      if (find_promise (core, id) == NULL)
        all_in = FALSE;
    }
  if (!grp_vc_is_quorum (core, promised, NULL))
    return;
  if (!all_in && core->now - core->vc_since < core->cfg.suspect_timeout)
    return;

  for (guint i = 0; i < core->promises->len; i++)
    min_recv = MIN (min_recv, g_array_index (core->promises, GrpPromise, i).recv_upto);
  if (core->accepted != NULL)
    {
      /* A value may already have been chosen: it must be the one. */
      value = grp_view_ref (core->accepted);
      if (!log_covers (core, min_recv + 1, value->seq - 1))
        {
          grp_view_unref (value);
          return; /* wait for the promises that hold the rest */
        }
    }
  else
    value = build_value (core);

  core->proposal = value;
  core->vc = GRP_VC_ACCEPTING;
  core->vc_since = core->vc_sent_at = core->now;
  core->accepted_ballot = core->ballot;
  g_clear_pointer (&core->accepted, grp_view_unref);
  core->accepted = grp_view_ref (value);
  g_debug ("%s: value for view %" G_GUINT64_FORMAT ": %u members at %" G_GUINT64_FORMAT,
           core->self.name, value->id, value->n_members, value->seq);
  for (guint i = 0; i < core->promises->len; i++)
    {
      GrpPromise *p = &g_array_index (core->promises, GrpPromise, i);

      p->accepted = p->id == core->self.id;
      if (!p->accepted)
        send_accept (core, p);
    }
  check_accepts (core);
}

static void
decide (GrpCore *core)
{
  g_autoptr(GrpView) value = grp_view_ref (core->proposal);
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_DECIDE, core->self.id, value->id);

  msg->value = grp_view_ref (value);
  /* Old members learn whether they are still in; new ones learn the view. */
  for (guint i = 0; i < core->view->n_members; i++)
    if (!grp_core_peer (core, core->view->members[i].id)->dead)
      grp_core_send (core, core->view->members[i].id, msg);
  for (guint i = 0; i < value->n_members; i++)
    if (!grp_view_contains (core->view, value->members[i].id))
      grp_core_send (core, value->members[i].id, msg);
  if (grp_view_contains (value, core->self.id))
    grp_vc_install (core, value);
  else
    grp_core_set_status (core, core->leaving ? GRP_STATUS_LEFT : GRP_STATUS_EXCLUDED, NULL);
}

static void
check_accepts (GrpCore *core)
{
  gboolean all = TRUE;

  if (core->vc != GRP_VC_ACCEPTING)
    return;
  for (guint i = 0; i < core->promises->len; i++)
    {
      GrpPromise *p = &g_array_index (core->promises, GrpPromise, i);

      if (!p->accepted && grp_view_contains (core->proposal, p->id))
        all = FALSE;
    }
  if (!grp_vc_is_quorum (core, accepted, NULL))
    return;
  if (!all && core->now - core->vc_since < 2 * core->cfg.retry_interval)
    return;
  decide (core);
}

/* Acceptor side: is this view-change message about our next slot, from a
 * member of our view?  Answers senders that are ahead or behind. */
static gboolean
slot_ok (GrpCore *core,
         GrpMsg  *msg)
{
  if (core->view == NULL)
    return FALSE;
  if (msg->view <= core->view->id)
    {
      /* The sender is behind: show it the view we are in. */
      g_autoptr(GrpMsg) reply = NULL;

      if (grp_view_contains (core->view, msg->from))
        reply = grp_vc_decide_msg (core);
      else
        {
          reply = grp_msg_new (GRP_MSG_NOT_MEMBER, core->self.id, core->view->id);
          reply->value = grp_view_ref (core->view);
        }
      grp_core_send (core, msg->from, reply);
      return FALSE;
    }
  if (msg->view > core->view->id + 1)
    {
      g_autoptr(GrpMsg) ask = grp_msg_new (GRP_MSG_NEED_VIEW, core->self.id, core->view->id);

      grp_core_send (core, msg->from, ask);
      return FALSE;
    }
  return grp_view_contains (core->view, msg->from);
}

static void
reject (GrpCore *core,
        GrpMsg  *msg)
{
  g_autoptr(GrpMsg) reply = grp_msg_new (GRP_MSG_REJECT, core->self.id, msg->view);

  reply->ballot = core->promised;
  grp_core_send (core, msg->from, reply);
}

/* Someone with a higher ballot is at work: stop our own attempt and wait. */
static void
yield_to (GrpCore  *core,
          GrpBallot ballot)
{
  if (grp_ballot_cmp (ballot, core->promised) > 0)
    core->promised = ballot;
  if (core->vc == GRP_VC_PREPARING || core->vc == GRP_VC_ACCEPTING)
    {
      g_array_set_size (core->promises, 0);
      g_clear_pointer (&core->proposal, grp_view_unref);
    }
  core->vc = GRP_VC_WAITING;
  core->vc_since = core->now;
  core->yielded_at = core->now;
}

void
grp_vc_on_prepare (GrpCore *core,
                   GrpMsg  *msg)
{
  g_autoptr(GrpMsg) reply = NULL;
  int cmp;

  if (!slot_ok (core, msg))
    return;
  cmp = grp_ballot_cmp (msg->ballot, core->promised);
  if (cmp < 0)
    {
      reject (core, msg);
      return;
    }
  if (msg->ballot.id != core->self.id)
    yield_to (core, msg->ballot);
  freeze (core);
  reply = grp_msg_new (GRP_MSG_PROMISE, core->self.id, msg->view);
  reply->ballot = msg->ballot;
  reply->recv_upto = core->recv_upto;
  reply->has_state = core->has_state;
  if (core->accepted != NULL)
    {
      reply->accepted_ballot = core->accepted_ballot;
      reply->value = grp_view_ref (core->accepted);
    }
  /* What the proposer may lack: above what it holds, and below its floor
   * down to what every member is known to hold. */
  add_entries (core, reply, MAX (msg->high + 1, core->log_lo), core->high_known);
  if (msg->lo > core->stable + 1)
    add_entries (core, reply, MAX (core->stable + 1, core->log_lo), msg->lo - 1);
  grp_core_send (core, msg->from, reply);
}

void
grp_vc_on_promise (GrpCore *core,
                   GrpMsg  *msg)
{
  GrpPromise p = { msg->from, msg->recv_upto, msg->has_state, FALSE };

  if (core->view == NULL || core->vc != GRP_VC_PREPARING || msg->view != core->view->id + 1 ||
      grp_ballot_cmp (msg->ballot, core->ballot) != 0 || find_promise (core, msg->from) != NULL ||
      !grp_view_contains (core->view, msg->from))
    return;
  g_array_append_val (core->promises, p);
  if (msg->entries != NULL)
    for (guint i = 0; i < msg->entries->len; i++)
      grp_log_put (core, g_ptr_array_index (msg->entries, i));
  if (msg->value != NULL &&
      (core->accepted == NULL || grp_ballot_cmp (msg->accepted_ballot, core->accepted_ballot) > 0))
    {
      g_clear_pointer (&core->accepted, grp_view_unref);
      core->accepted = grp_view_ref (msg->value);
      core->accepted_ballot = msg->accepted_ballot;
    }
  check_promises (core);
}

void
grp_vc_on_reject (GrpCore *core,
                  GrpMsg  *msg)
{
  if (core->view == NULL || msg->view != core->view->id + 1)
    return;
  if ((core->vc == GRP_VC_PREPARING || core->vc == GRP_VC_ACCEPTING) &&
      grp_ballot_cmp (msg->ballot, core->ballot) > 0)
    {
      g_debug ("%s: yields to ballot %" G_GUINT64_FORMAT, core->self.name, msg->ballot.n);
      yield_to (core, msg->ballot);
    }
}

void
grp_vc_on_accept (GrpCore *core,
                  GrpMsg  *msg)
{
  g_autoptr(GrpMsg) reply = NULL;

  if (!slot_ok (core, msg) || msg->value == NULL)
    return;
  if (grp_ballot_cmp (msg->ballot, core->promised) < 0)
    {
      reject (core, msg);
      return;
    }
  if (msg->ballot.id != core->self.id)
    yield_to (core, msg->ballot);
  freeze (core);
  core->accepted_ballot = msg->ballot;
  g_clear_pointer (&core->accepted, grp_view_unref);
  core->accepted = grp_view_ref (msg->value);
  if (msg->entries != NULL)
    for (guint i = 0; i < msg->entries->len; i++)
      grp_log_put (core, g_ptr_array_index (msg->entries, i));
  reply = grp_msg_new (GRP_MSG_ACCEPTED, core->self.id, msg->view);
  reply->ballot = msg->ballot;
  grp_core_send (core, msg->from, reply);
}

void
grp_vc_on_accepted (GrpCore *core,
                    GrpMsg  *msg)
{
  GrpPromise *p;

  if (core->view == NULL || core->vc != GRP_VC_ACCEPTING || msg->view != core->view->id + 1 ||
      grp_ballot_cmp (msg->ballot, core->ballot) != 0)
    return;
  p = find_promise (core, msg->from);
  if (p == NULL)
    return;
  p->accepted = TRUE;
  check_accepts (core);
}

void
grp_vc_on_decide (GrpCore *core,
                  GrpMsg  *msg)
{
  GrpView *value = msg->value;

  if (value == NULL || (core->view != NULL && value->id <= core->view->id))
    return;
  if (!grp_view_contains (value, core->self.id))
    {
      if (core->view != NULL)
        {
          g_debug ("%s: view %" G_GUINT64_FORMAT " leaves us out", core->self.name, value->id);
          grp_core_set_status (core, core->leaving ? GRP_STATUS_LEFT : GRP_STATUS_EXCLUDED, NULL);
        }
      return;
    }
  if (core->view == NULL && core->status != GRP_STATUS_JOINING)
    return;
  grp_vc_install (core, value);
}

static void
remove_settled_requests (GrpCore *core)
{
  for (guint i = core->pending_joins->len; i-- > 0;)
    {
      GrpJoinReq *r = g_ptr_array_index (core->pending_joins, i);

      if (grp_view_contains (core->view, r->member.id))
        g_ptr_array_remove_index (core->pending_joins, i);
    }
  for (guint i = core->pending_leaves->len; i-- > 0;)
    if (!grp_view_contains (core->view, g_array_index (core->pending_leaves, GrpId, i)))
      g_array_remove_index (core->pending_leaves, i);
}

static void
prune_seen (GrpCore *core)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, core->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!grp_view_contains (core->view, *(GrpId *) key))
      g_hash_table_iter_remove (&iter);
  grp_normal_seen_changed (core);
}

void
grp_vc_install (GrpCore *core,
                GrpView *value)
{
  g_autoptr(GrpEntry) entry = grp_entry_new_view (value);
  gboolean joining = core->view == NULL;
  int me = grp_view_index (value, core->self.id);

  grp_core_flush_batches (core); /* what the old view produced goes first */
  g_debug ("%s: installs view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT " led by %s (%u members)",
           core->self.name, value->id, value->seq, value->members[0].name, value->n_members);
  g_clear_pointer (&core->view, grp_view_unref);
  core->view = grp_view_ref (value);
  if (joining || !core->has_state)
    {
      /* Without state the past is of no use: the state we will receive is
       * taken at this view, and we deliver from it on. */
      grp_log_truncate_from (core, core->log_lo);
      core->recv_upto = value->seq - 1;
      core->delivered = value->seq - 1;
      core->high_known = value->seq - 1;
      core->has_state = !value->needs_state[me];
    }
  grp_log_truncate_from (core, value->seq);
  grp_log_put (core, entry);
  grp_normal_note_high (core, value->seq);

  /* A fresh slot: nothing promised or accepted yet. */
  core->promised = (GrpBallot) { 0, 0 };
  core->accepted_ballot = (GrpBallot) { 0, 0 };
  g_clear_pointer (&core->accepted, grp_view_unref);
  core->frozen = FALSE;
  core->yielded_at = 0;
  grp_vc_reset (core);
  remove_settled_requests (core);
  prune_seen (core);
  grp_core_reset_peers (core);
  for (guint i = 0; i < value->n_members; i++)
    grp_core_remember_addr (core, &value->members[i]);
  core->last_leader_heard = core->now;
  core->installed_at = core->now;
  core->leader_stamp = 0;
  core->last_ack_sent = 0;

  /* Which of our own requests the new order already holds. */
  core->my_seq_ctr = core->my_delivered_ctr;
  for (guint64 s = core->delivered + 1; s <= core->recv_upto; s++)
    {
      GrpEntry *e = grp_log_get (core, s);

      if (e->kind == GRP_ENTRY_DATA && e->origin == core->self.id)
        core->my_seq_ctr = MAX (core->my_seq_ctr, e->ctr);
    }

  if (grp_core_i_lead (core))
    {
      core->next_seq = value->seq + 1;
      core->last_hb_at = G_MININT64 / 2;
      grp_normal_rebuild_seen (core);
      grp_normal_tick (core);
    }
  else
    {
      grp_normal_send_ack (core, TRUE);
      grp_normal_send_pending (core, TRUE);
    }
  grp_normal_deliver (core);
}

void
grp_vc_tick (GrpCore *core)
{
  switch (core->vc)
    {
    case GRP_VC_NONE:
      if (core->frozen && !core->leaving && core->now - core->vc_since >= core->cfg.suspect_timeout)
        {
          /* Promised long ago and no decision came: someone has to finish. */
          core->vc = GRP_VC_WAITING;
          core->vc_since = core->now;
        }
      break;

    case GRP_VC_WAITING:
      /* A proposer may need a whole timeout to collect promises (waiting
       * for a silent member) and a little more to collect accepts: give it
       * two before taking over, and stagger by rank so that two waiting
       * members do not take over at the same moment and preempt each other
       * for ever. */
      if (core->now - core->vc_since >= 2 * core->cfg.suspect_timeout +
          (gint64) MAX (grp_view_index (core->view, core->self.id), 0) * core->cfg.suspect_timeout / 4)
        {
          GrpId first = first_candidate (core);

          /* Whoever should have finished the change did not: suspect it. */
          if (first != core->self.id)
            grp_core_peer (core, first)->suspected = TRUE;
          core->vc_since = core->now;
        }
      /* The group may have moved on without us (we were stopped or cut
       * off): any member in a newer view answers this with it. */
      if (core->now - core->vc_sent_at >= core->cfg.suspect_timeout)
        {
          g_autoptr(GrpMsg) ask = grp_msg_new (GRP_MSG_NEED_VIEW, core->self.id, core->view->id);

          core->vc_sent_at = core->now;
          grp_core_send_view (core, ask);
        }
      maybe_propose (core);
      break;

    case GRP_VC_PREPARING:
      if (core->now - core->vc_sent_at >= core->cfg.retry_interval)
        {
          core->vc_sent_at = core->now;
          for (guint i = 0; i < core->view->n_members; i++)
            {
              GrpId id = core->view->members[i].id;

              if (find_promise (core, id) == NULL && !grp_core_peer (core, id)->dead)
                send_prepare (core, id);
            }
        }
      if (core->now - core->vc_since >= core->cfg.suspect_timeout)
        for (guint i = 0; i < core->view->n_members; i++)
          if (find_promise (core, core->view->members[i].id) == NULL)
            grp_core_peer (core, core->view->members[i].id)->suspected = TRUE;
      check_promises (core);
      /* No quorum came: promises may have gone to a ballot that has since
       * died, or been lost with a connection.  Try again, higher. */
      if (core->vc == GRP_VC_PREPARING && core->now - core->vc_since >= 2 * core->cfg.suspect_timeout)
        grp_vc_start (core);
      break;

    case GRP_VC_ACCEPTING:
      if (core->now - core->vc_sent_at >= core->cfg.retry_interval)
        {
          core->vc_sent_at = core->now;
          for (guint i = 0; i < core->promises->len; i++)
            {
              GrpPromise *p = &g_array_index (core->promises, GrpPromise, i);

              if (!p->accepted)
                send_accept (core, p);
            }
        }
      check_accepts (core);
      if (core->vc == GRP_VC_ACCEPTING && core->now - core->vc_since >= 2 * core->cfg.suspect_timeout)
        grp_vc_start (core); /* no quorum accepted: try again, higher */
      break;
    }
}
