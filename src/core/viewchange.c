/* viewchange.c: agreeing on the next view and installing it (viewchange.h).
 *
 *  1. PREPARE(slot, ballot): the proposer asks every member.  A member that
 *     promises stops taking new positions from the old leader and delivering
 *     past what it holds (it is "frozen"), and answers PROMISE with the
 *     position it holds up to, the entries the proposer lacks, and any value
 *     it already accepted in this slot.
 *  2. With promises from a quorum, and from every member it does not
 *     suspect (or after a timeout), the proposer picks the value: an already
 *     accepted value with the highest ballot if there is one (it may have
 *     been chosen), or a new view: itself first, then the other members that
 *     promised in their old order, then newcomers; positioned at the first
 *     position the union of the promised logs does not cover.  ACCEPT
 *     carries the value and, to each member, the entries it lacks below it.
 *  3. With ACCEPTED from a quorum the value is chosen: DECIDE goes to the
 *     old and new members, and each installs it.
 *
 * Why this keeps the guarantees is docs/PROTOCOL.md's "Why each guarantee
 * holds": any two quorums share a member, so a chosen value is seen by every
 * later proposer and re-proposed; the position lies above everything any
 * promiser delivered; stale leaders are fenced by the freeze and the view
 * id.
 */
#include "core.h"
#include "join.h"
#include "log.h"
#include "normal.h"
#include "viewchange.h"

#include <string.h>

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

gboolean
grp_vc_view_ok (const GrpView *view)
{
  if (view == NULL || view->id == 0 || view->seq == 0 || view->n_members == 0 ||
      view->n_members > GRP_MAX_MEMBERS)
    return FALSE;
  for (guint i = 0; i < view->n_members; i++)
    {
      const GrpMember *m = &view->members[i];

      if (m->id == 0 || m->name == NULL || *m->name == '\0' || strlen (m->name) > GRP_MAX_NAME)
        return FALSE;
      for (guint j = 0; j < i; j++)
        if (view->members[j].id == m->id)
          return FALSE;
    }
  return TRUE;
}

/* A view goes on without us: we left if we asked to (or were about to). */
static void
set_out (GrpCore *core)
{
  grp_core_set_status (core, core->leaving || core->leave_wanted ? GRP_STATUS_LEFT
                                                                 : GRP_STATUS_EXCLUDED, NULL);
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

static void
reset_proposal (GrpCore *core)
{
  g_array_set_size (core->promises, 0);
  g_clear_pointer (&core->proposal, grp_view_unref);
  g_clear_pointer (&core->reported, grp_view_unref);
  core->reported_ballot = (GrpBallot) { 0, 0 };
}

GrpMsg *
grp_vc_decide_msg (GrpCore *core)
{
  GrpMsg *msg = grp_msg_new (GRP_MSG_DECIDE, core->self.id, core->view->id);

  msg->decide.view = grp_view_ref (core->view);
  return msg;
}

/* ---- ballots ------------------------------------------------------------- */

/* The highest ballot number we know of in this slot. */
static guint64
ballot_known (GrpCore *core)
{
  return MAX (MAX (core->promised.n, core->accepted_ballot.n),
              MAX (core->ballot.n, core->ballot_seen));
}

/* A ballot a peer may use: its own, bounded (core.h: GRP_MAX_BALLOT). */
static gboolean
ballot_ok (GrpCore  *core,
           GrpBallot b,
           GrpId     proposer)
{
  if (b.id == 0 || (proposer != 0 && b.id != proposer) || b.n == 0 || b.n > GRP_MAX_BALLOT ||
      b.n > ballot_known (core) + GRP_BALLOT_STEP)
    return FALSE;
  core->ballot_seen = MAX (core->ballot_seen, b.n);
  return TRUE;
}

/* ---- proposer ------------------------------------------------------------ */

GrpId
grp_vc_first_candidate (GrpCore *core)
{
  for (guint i = 0; i < core->view->n_members; i++)
    {
      GrpId id = core->view->members[i].id;

      if (id == core->self.id)
        {
          if (!core->leaving)
            return id;
        }
      else if (!grp_core_peer (core, id)->suspected && !grp_join_is_leaving (core, id))
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
  if (grp_vc_first_candidate (core) == core->self.id)
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
send_prepare (GrpCore *core,
              GrpId    to)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_PREPARE, core->self.id, core->view->id + 1);

  msg->prepare.ballot = core->ballot;
  msg->prepare.high = core->recv_upto;
  msg->prepare.lo = core->log_lo;
  grp_core_send (core, to, msg);
}

static void check_promises (GrpCore *core);

/* A value that lists us but starts at or below what we delivered is never
 * built by an honest proposer: we promised the ballot that built it, its
 * position lies above all we held then, and we have been frozen since (a
 * member that took its state after promising without it could be the one
 * exception; it was never seen in the campaigns).  So it is forged, and it
 * cannot have been chosen by honest acceptors: we neither accept it nor
 * take it from a promise as the value to propose again.  Else a member
 * holding the secret could wedge the group: once such a value is chosen,
 * every member it lists must leave rather than install it
 * (grp_vc_install), and the others are out of it (review of issue 16). */
static gboolean
lists_us_below_delivered (GrpCore       *core,
                          const GrpView *value)
{
  return core->has_state && value->seq <= core->delivered &&
         grp_view_contains (value, core->self.id);
}

void
grp_vc_start (GrpCore *core)
{
  GrpPromise self = { core->self.id, 0, TRUE, FALSE, { 0, 0 } };
  guint64 n;

  /* A member that is leaving never proposes: its view would include it. */
  if (!core->has_state || core->view == NULL || core->leaving)
    return;
  n = ballot_known (core) + 1;
  core->ballot = (GrpBallot) { n, core->self.id };
  core->promised = core->ballot;
  freeze (core);
  core->vc = GRP_VC_PREPARING;
  core->vc_since = core->vc_sent_at = core->asked_at = core->now;
  reset_proposal (core);
  self.recv_upto = core->recv_upto;
  if (core->accepted != NULL)
    {
      self.acc_ballot = core->accepted_ballot;
      core->reported = grp_view_ref (core->accepted);
      core->reported_ballot = core->accepted_ballot;
    }
  g_array_append_val (core->promises, self);
  g_debug ("%s: proposes view %" G_GUINT64_FORMAT " (ballot %" G_GUINT64_FORMAT ")",
           core->self.name, core->view->id + 1, n);
  for (guint i = 0; i < core->view->n_members; i++)
    if (!grp_core_peer (core, core->view->members[i].id)->dead)
      send_prepare (core, core->view->members[i].id);
  check_promises (core);
}

static GrpView *
build_value (GrpCore *core)
{
  guint64 min_recv = G_MAXUINT64;
  guint64 cut;
  GrpView *value;
  guint n = 0, total, known = 0, newcomers = 0, max_newcomers;

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

  total = MIN (core->promises->len + core->pending_joins->len, GRP_MAX_MEMBERS);
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
  /* Newcomers have not shown yet that they will answer: so that the
   * members that promised stay a quorum of the new view even if every
   * newcomer is silent, at most one fewer than them join at once (at least
   * one; the rest wait for the next view). */
  known = n;
  max_newcomers = MAX (known, 2) - 1;
  for (guint i = 0; i < core->pending_joins->len && newcomers < max_newcomers && n < total; i++)
    {
      const GrpMember *m = &((GrpJoinReq *) g_ptr_array_index (core->pending_joins, i))->member;

      if (grp_view_index (value, m->id) >= 0)
        continue;
      value->needs_state[n] = TRUE;
      grp_member_copy (&value->members[n++], m);
      newcomers++;
    }
  value->n_members = n;
  return value;
}

static void
send_accept (GrpCore    *core,
             GrpPromise *p)
{
  guint64 lo = p->recv_upto + 1, hi = core->proposal->seq - 1;
  gboolean all;

  /* Every position the promiser lacks below the value, in as many ACCEPTs
   * as max_msg_bytes needs: they arrive in order, and it accepts only once
   * it holds them all (grp_vc_recv_accept), so that a chosen value always
   * has a quorum that holds what lies below it. */
  do
    {
      g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_ACCEPT, core->self.id, core->view->id + 1);
      GPtrArray *entries;

      msg->accept.ballot = core->ballot;
      msg->accept.value = grp_view_ref (core->proposal);
      /* (A promiser without a state takes one with the view instead.) */
      all = grp_log_collect (core, msg, lo, hi) || !p->has_state;
      entries = grp_msg_entries (msg);
      if (!all)
        lo = ((GrpEntry *) g_ptr_array_index (entries, entries->len - 1))->seq + 1;
      grp_core_send (core, p->id, msg);
    }
  while (!all);
}

static void check_accepts (GrpCore *core);
static void decide (GrpCore *core);

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

/* The learner's rule: a value is chosen once a quorum accepted it with one
 * ballot; its proposer accepted it before asking anyone.  Promises tell who
 * had accepted what, so a proposer can learn that the value of the highest
 * ballot they report was chosen even when too few members are left to
 * choose anything again (the members that accepted it are then a quorum of
 * the view it makes). */
typedef struct {
  GrpCore *core;
  GrpBallot ballot;
} AcceptedWith;

static gboolean
accepted_with (GrpCore *core, GrpId id, gpointer data)
{
  AcceptedWith *a = data;
  GrpPromise *p = find_promise (core, id);

  return id == a->ballot.id || (p != NULL && grp_ballot_cmp (p->acc_ballot, a->ballot) == 0);
}

static gboolean
known_chosen (GrpCore *core)
{
  AcceptedWith a = { core, core->reported_ballot };
  guint n = core->view->n_members, count = 0;

  if (core->reported == NULL || core->reported_ballot.id == 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    count += accepted_with (core, core->view->members[i].id, &a);
  /* A majority meets every quorum.  Half of the view meets every other
   * quorum (the lemma) only if we are in it: the lemma needs the one who
   * counts to be in the set it counts. */
  if (2 * count > n)
    return TRUE;
  return accepted_with (core, core->self.id, &a) && grp_vc_is_quorum (core, accepted_with, &a);
}

/* Does our log hold every position from `lo` to `hi`?  Below the log's
 * floor every member holds them (they are stable). */
static gboolean
log_covers (GrpCore *core,
            guint64  lo,
            guint64  hi)
{
  for (guint64 s = MAX (lo, core->log_lo); s <= hi; s++)
    if (grp_log_get (core, s) == NULL)
      return FALSE;
  return TRUE;
}

static void
check_promises (GrpCore *core)
{
  gboolean all_in = TRUE, chosen;
  GrpView *value;
  guint64 min_recv = G_MAXUINT64, max_recv = 0;

  if (core->vc != GRP_VC_PREPARING)
    return;
  chosen = known_chosen (core);
  if (!chosen)
    {
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
    }

  for (guint i = 0; i < core->promises->len; i++)
    {
      GrpPromise *p = &g_array_index (core->promises, GrpPromise, i);

      if (p->has_state)
        {
          min_recv = MIN (min_recv, p->recv_upto);
          max_recv = MAX (max_recv, p->recv_upto);
        }
    }
  /* A new value's position lies above everything a promiser holds (it may
   * have delivered all of it): wait until we hold it all too, which the
   * promises bring, in parts if large. */
  if (core->reported == NULL && max_recv > 0 && !log_covers (core, min_recv + 1, max_recv))
    return;
  if (core->reported != NULL)
    {
      /* A value may already have been chosen: it must be the one. */
      value = grp_view_ref (core->reported);
      if (!log_covers (core, min_recv + 1, value->seq - 1))
        {
          grp_view_unref (value);
          return; /* wait for the promises that hold the rest */
        }
    }
  else
    value = build_value (core);

  core->proposal = value;
  if (chosen)
    {
      g_debug ("%s: view %" G_GUINT64_FORMAT " was chosen already (ballot %" G_GUINT64_FORMAT ")",
               core->self.name, value->id, core->reported_ballot.n);
      decide (core);
      return;
    }
  core->vc = GRP_VC_ACCEPTING;
  core->vc_since = core->vc_sent_at = core->asked_at = core->now;
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

  msg->decide.view = grp_view_ref (value);
  /* Old members learn whether they are still in; new ones learn the view. */
  for (guint i = 0; i < core->view->n_members; i++)
    if (!grp_core_peer (core, core->view->members[i].id)->dead)
      grp_core_send (core, core->view->members[i].id, msg);
  for (guint i = 0; i < value->n_members; i++)
    if (!grp_view_contains (core->view, value->members[i].id))
      grp_core_send (core, value->members[i].id, msg);
  /* The answers that chose the view (promises that showed it chosen, or
   * accepts) came from members that heard from us no earlier than this
   * phase went out: the lease's grace counts from then, not from now (a
   * proposer stopped for a while reads stale answers when it resumes). */
  core->decided_from = core->asked_at;
  if (grp_view_contains (value, core->self.id))
    grp_vc_install (core, value);
  else
    set_out (core);
  core->decided_from = G_MININT64;
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

/* ---- acceptor ------------------------------------------------------------- */

/* Is this view-change message about our next slot, from a member of our
 * view?  Answers senders that are behind or ahead. */
static gboolean
slot_ok (GrpCore *core,
         GrpMsg  *msg)
{
  if (core->view == NULL)
    return FALSE;
  if (msg->view <= core->view->id)
    {
      grp_core_fence_reply (core, msg->from,
                            msg->type == GRP_MSG_PREPARE ? msg->prepare.high : G_MAXUINT64);
      return FALSE;
    }
  if (msg->view > core->view->id + 1)
    {
      grp_core_ask_view (core, msg->from);
      return FALSE;
    }
  return grp_core_is_member (core, msg->from);
}

static void
reject (GrpCore *core,
        GrpMsg  *msg)
{
  g_autoptr(GrpMsg) reply = grp_msg_new (GRP_MSG_REJECT, core->self.id, msg->view);

  reply->reject.ballot = core->promised;
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
    reset_proposal (core);
  core->vc = GRP_VC_WAITING;
  core->vc_since = core->now;
  core->yielded_at = core->now;
}

/* PREPARE: from a member of our view, for the next slot, with its own
 * ballot, bounded. */
void
grp_vc_recv_prepare (GrpCore *core,
                     GrpMsg  *msg)
{
  g_autoptr(GrpMsg) reply = NULL;
  GrpMsgPrepare *prep = &msg->prepare;

  if (!slot_ok (core, msg) || !ballot_ok (core, prep->ballot, msg->from))
    return;
  if (grp_ballot_cmp (prep->ballot, core->promised) < 0)
    {
      reject (core, msg);
      return;
    }
  if (prep->ballot.id != core->self.id)
    yield_to (core, prep->ballot);
  freeze (core);
  reply = grp_msg_new (GRP_MSG_PROMISE, core->self.id, msg->view);
  reply->promise.ballot = prep->ballot;
  reply->promise.recv_upto = core->recv_upto;
  reply->promise.has_state = core->has_state;
  if (core->pending_view != NULL)
    {
      /* We know this slot's value was chosen (a DECIDE came); any ballot
       * accepted since carries it, so reporting it as accepted just below
       * the asker's ballot makes it the one re-proposed, as it must be. */
      reply->promise.accepted_ballot = (GrpBallot) { prep->ballot.n - 1, G_MAXUINT64 };
      reply->promise.accepted = grp_view_ref (core->pending_view);
    }
  else if (core->accepted != NULL)
    {
      reply->promise.accepted_ballot = core->accepted_ballot;
      reply->promise.accepted = grp_view_ref (core->accepted);
    }
  /* The crashes we are certain of: the proposer may count exactly half of
   * the view only if every other member has crashed, and some of them it
   * may never have reached itself (grp-transport.h). */
  reply->promise.dead = g_array_new (FALSE, FALSE, sizeof (GrpId));
  for (guint i = 0; i < core->view->n_members; i++)
    {
      GrpId id = core->view->members[i].id;

      if (id != core->self.id && grp_core_peer (core, id)->dead)
        g_array_append_val (reply->promise.dead, id);
    }
  /* What the proposer may lack: above what it holds, and below its floor
   * down to what every member is known to hold. */
  grp_log_collect (core, reply, MAX (prep->high + 1, core->log_lo), core->high_known);
  if (prep->lo > core->stable + 1)
    grp_log_collect (core, reply, MAX (core->stable + 1, core->log_lo), prep->lo - 1);
  grp_core_send (core, msg->from, reply);
}

/* What a promiser holds beyond us comes in its promises; one promise may
 * carry only part of it (max_msg_bytes): PREPARE goes again to those whose
 * prefix we lack (grp_vc_tick), and each answer brings the next part. */
static void
take_promised_entries (GrpCore       *core,
                       GrpMsgPromise *pr)
{
  if (pr->entries != NULL)
    for (guint i = 0; i < pr->entries->len; i++)
      grp_log_put (core, g_ptr_array_index (pr->entries, i));
}

/* PROMISE: to us as proposer, for our ballot, from a member of the view. */
void
grp_vc_recv_promise (GrpCore *core,
                     GrpMsg  *msg)
{
  GrpMsgPromise *pr = &msg->promise;
  GrpPromise p = { msg->from, pr->recv_upto, pr->has_state, FALSE, pr->accepted_ballot };
  GrpView *accepted = pr->accepted;

  if (core->view == NULL || core->vc != GRP_VC_PREPARING || msg->view != core->view->id + 1 ||
      grp_ballot_cmp (pr->ballot, core->ballot) != 0 || !grp_core_is_member (core, msg->from))
    return;
  if (find_promise (core, msg->from) != NULL)
    {
      /* Its answer to a PREPARE sent again: only the entries are new (a
       * promise carries at most max_msg_bytes of them). */
      take_promised_entries (core, pr);
      check_promises (core);
      return;
    }
  /* An acceptor cannot have accepted a ballot above the one it promised
   * us, and a value for this slot must be one. */
  if (pr->accepted != NULL &&
      (grp_ballot_cmp (pr->accepted_ballot, pr->ballot) >= 0 || pr->accepted->id != msg->view ||
       !grp_vc_view_ok (pr->accepted)))
    return;
  if (accepted != NULL && lists_us_below_delivered (core, accepted))
    {
      /* Forged (above): the promise counts, as one with nothing accepted. */
      accepted = NULL;
      p.acc_ballot = (GrpBallot) { 0, 0 };
    }
  g_array_append_val (core->promises, p);
  /* A confirmed crash is a fact, whoever saw it (members are trusted:
   * docs/SECURITY.md); only members of the view count, and never we. */
  for (guint i = 0; pr->dead != NULL && i < pr->dead->len; i++)
    {
      GrpId id = g_array_index (pr->dead, GrpId, i);

      if (id != core->self.id && id != msg->from && grp_core_is_member (core, id))
        {
          GrpPeer *peer = grp_core_peer (core, id);

          peer->dead = TRUE;
          peer->suspected = TRUE;
        }
    }
  take_promised_entries (core, pr);
  if (accepted != NULL &&
      (core->reported == NULL || grp_ballot_cmp (pr->accepted_ballot, core->reported_ballot) > 0))
    {
      g_clear_pointer (&core->reported, grp_view_unref);
      core->reported = grp_view_ref (accepted);
      core->reported_ballot = pr->accepted_ballot;
    }
  check_promises (core);
}

/* REJECT: to us as proposer, from a member of the view, naming a higher
 * ballot than ours (bounded). */
void
grp_vc_recv_reject (GrpCore *core,
                    GrpMsg  *msg)
{
  if (core->view == NULL || msg->view != core->view->id + 1 ||
      !grp_core_is_member (core, msg->from) || !ballot_ok (core, msg->reject.ballot, 0))
    return;
  if ((core->vc == GRP_VC_PREPARING || core->vc == GRP_VC_ACCEPTING) &&
      grp_ballot_cmp (msg->reject.ballot, core->ballot) > 0)
    {
      g_debug ("%s: yields to ballot %" G_GUINT64_FORMAT, core->self.name, msg->reject.ballot.n);
      yield_to (core, msg->reject.ballot);
    }
}

/* ACCEPT: from a member of our view, for the next slot, with its own
 * ballot at least the one we promised, and a well-formed value for the
 * slot. */
void
grp_vc_recv_accept (GrpCore *core,
                    GrpMsg  *msg)
{
  g_autoptr(GrpMsg) reply = NULL;
  GrpMsgAccept *acc = &msg->accept;

  if (!slot_ok (core, msg) || !ballot_ok (core, acc->ballot, msg->from) ||
      !grp_vc_view_ok (acc->value) || acc->value->id != msg->view ||
      lists_us_below_delivered (core, acc->value))
    return;
  if (grp_ballot_cmp (acc->ballot, core->promised) < 0)
    {
      reject (core, msg);
      return;
    }
  if (acc->ballot.id != core->self.id)
    yield_to (core, acc->ballot);
  freeze (core);
  if (acc->entries != NULL)
    for (guint i = 0; i < acc->entries->len; i++)
      {
        GrpEntry *e = g_ptr_array_index (acc->entries, i);

        if (e->seq < acc->value->seq)
          grp_log_put (core, e);
      }
  /* Accept only holding every position below the value: the ACCEPTs that
   * carry the rest follow (send_accept), or the proposer sends them all
   * again.  An acceptor that counted without them could make a value
   * chosen whose positions no live member holds (wide campaign seed
   * 1077879, -k7 safe, with small messages). */
  if (core->has_state && core->recv_upto < acc->value->seq - 1)
    return;
  core->accepted_ballot = acc->ballot;
  g_clear_pointer (&core->accepted, grp_view_unref);
  core->accepted = grp_view_ref (acc->value);
  reply = grp_msg_new (GRP_MSG_ACCEPTED, core->self.id, msg->view);
  reply->accepted.ballot = acc->ballot;
  grp_core_send (core, msg->from, reply);
}

/* ACCEPTED: to us as proposer, for our ballot, from a member that promised. */
void
grp_vc_recv_accepted (GrpCore *core,
                      GrpMsg  *msg)
{
  GrpPromise *p;

  if (core->view == NULL || core->vc != GRP_VC_ACCEPTING || msg->view != core->view->id + 1 ||
      grp_ballot_cmp (msg->accepted.ballot, core->ballot) != 0)
    return;
  p = find_promise (core, msg->from);
  if (p == NULL)
    return;
  p->accepted = TRUE;
  check_accepts (core);
}

/* Asks the members of the pending view, and of ours, for what we lack
 * below it: any of them that installed it answers with its view and those
 * positions. */
static void
ask_for_pending (GrpCore *core)
{
  g_autoptr(GrpMsg) ask = grp_msg_new (GRP_MSG_NEED_VIEW, core->self.id, core->view->id);

  ask->need_view.recv_upto = core->recv_upto;
  core->pending_asked_at = core->now;
  for (guint i = 0; i < core->pending_view->n_members; i++)
    grp_core_send (core, core->pending_view->members[i].id, ask);
}

/* Nobody alive can give us the positions below the pending view: every
 * member of it that held them before it (all but its newcomers) other than
 * us is known to have crashed.  Their effect lives on in the state of its
 * members that do have it. */
static gboolean
pending_lost (GrpCore *core)
{
  const GrpView *v = core->pending_view;

  for (guint i = 0; i < v->n_members; i++)
    {
      GrpId id = v->members[i].id;

      if (id == core->self.id || v->needs_state[i])
        continue;
      if (!grp_core_is_member (core, id) || !grp_core_peer (core, id)->dead)
        return FALSE;
    }
  return TRUE;
}

/* A chosen view that lists us: installed as soon as we hold every position
 * below it (a member never installs a view with a hole under it: it would
 * report less than it delivers next time).  Until then it waits, frozen,
 * and asks for them.  If nobody alive can give them, we install it as a
 * member without state and receive the state like a newcomer. */
static void
try_install (GrpCore *core,
             GrpView *value)
{
  if (core->view != NULL && value->id <= core->view->id)
    return;
  if (!core->has_state || log_covers (core, core->recv_upto + 1, value->seq - 1))
    {
      grp_vc_install (core, value);
      return;
    }
  if (core->pending_view == NULL || core->pending_view->id < value->id)
    {
      g_debug ("%s: view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT
               " chosen, but we hold only up to %" G_GUINT64_FORMAT ": asking for the rest",
               core->self.name, value->id, value->seq, core->recv_upto);
      g_clear_pointer (&core->pending_view, grp_view_unref);
      core->pending_view = grp_view_ref (value);
      freeze (core);
      ask_for_pending (core);
    }
  if (pending_lost (core))
    {
      g_message ("%s: no member alive holds the positions %" G_GUINT64_FORMAT
                 " to %" G_GUINT64_FORMAT " before view %" G_GUINT64_FORMAT
                 ": taking the state instead",
                 core->self.name, core->recv_upto + 1, value->seq - 1, value->id);
      core->has_state = FALSE;
      /* Until the state comes, as a newcomer waits for it (and as long). */
      core->join_started = core->now;
      grp_core_set_status (core, GRP_STATUS_JOINING, NULL);
      grp_vc_install (core, value);
    }
}

/* DECIDE: a newer view.  Installed if it lists us and comes from one of its
 * members or of ours; taken as our exclusion only from a member of our own
 * view.  A view that starts at or below what we delivered cannot be one
 * whose change we took part in: it is refused.  Entries below the view
 * (what we said we lack) are taken from it first. */
void
grp_vc_recv_decide (GrpCore *core,
                    GrpMsg  *msg)
{
  GrpView *value = msg->decide.view;
  gboolean from_ours = core->view != NULL && grp_core_is_member (core, msg->from);

  if (!grp_vc_view_ok (value) || (core->view != NULL && value->id <= core->view->id))
    return;
  if (!grp_view_contains (value, core->self.id))
    {
      if (from_ours)
        {
          g_debug ("%s: view %" G_GUINT64_FORMAT " leaves us out", core->self.name, value->id);
          set_out (core);
        }
      return;
    }
  if (!from_ours && !grp_view_contains (value, msg->from))
    return;
  if (core->view == NULL && core->status != GRP_STATUS_JOINING)
    return;
  if (core->has_state && value->seq <= core->delivered)
    return;
  if (core->has_state && msg->decide.entries != NULL)
    for (guint i = 0; i < msg->decide.entries->len; i++)
      {
        GrpEntry *e = g_ptr_array_index (msg->decide.entries, i);

        if (e->seq < value->seq)
          grp_log_put (core, e);
      }
  try_install (core, value);
}

/* NOT_MEMBER: a newer view that leaves us out.  A member takes it from a
 * member of its own view that is in that view; a joiner takes it from the
 * member it asked (a redirect: the view names the leader to ask). */
void
grp_vc_recv_not_member (GrpCore *core,
                        GrpMsg  *msg)
{
  GrpView *value = msg->not_member.view;

  if (!grp_vc_view_ok (value) || grp_view_contains (value, core->self.id) ||
      !grp_view_contains (value, msg->from))
    return;
  if (core->view == NULL)
    {
      grp_join_redirect (core, msg->from, value);
      return;
    }
  if (value->id <= core->view->id || !grp_core_is_member (core, msg->from))
    return;
  g_debug ("%s: view %" G_GUINT64_FORMAT " excludes us", core->self.name, value->id);
  set_out (core);
}

/* ---- installing ------------------------------------------------------------ */

/* Why each member of our view is not in `value`, as far as we know (for
 * the application's narration; before the peers are reset). */
static void
note_departures (GrpCore       *core,
                 const GrpView *value)
{
  g_array_set_size (core->departures, 0);
  core->departures_view = value->id;
  for (guint i = 0; core->view != NULL && i < core->view->n_members; i++)
    {
      GrpGone gone = { core->view->members[i].id, GRP_DEPARTURE_LEFT_OUT };
      GrpPeer *peer = g_hash_table_lookup (core->peers, &gone.id);

      if (gone.id == core->self.id || grp_view_contains (value, gone.id))
        continue;
      if (peer != NULL && peer->leaving)
        gone.why = GRP_DEPARTURE_LEFT;
      else if (peer != NULL && peer->dead)
        gone.why = GRP_DEPARTURE_CRASHED;
      else if (grp_join_is_leaving (core, gone.id))
        gone.why = GRP_DEPARTURE_SLOW; /* what the leader excludes, besides leavers */
      else if (peer != NULL && peer->suspected)
        gone.why = GRP_DEPARTURE_SILENT;
      g_array_append_val (core->departures, gone);
    }
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

void
grp_vc_install (GrpCore *core,
                GrpView *value)
{
  g_autoptr(GrpEntry) entry = NULL;
  gboolean joining = core->view == NULL;

  if (!joining && core->has_state && value->seq <= core->delivered)
    {
      /* We delivered positions at or above where the view starts: the
       * group's order there is not ours, so we cannot be in it.  No honest
       * run comes here, and no forged value either since we neither accept
       * nor re-propose one (lists_us_below_delivered; a DECIDE of one is
       * refused): the last guard of our log, should either fail.  We are
       * out, and rejoin with a new incarnation and the state. */
      g_debug ("%s: view %" G_GUINT64_FORMAT " starts at %" G_GUINT64_FORMAT
               ", but we delivered up to %" G_GUINT64_FORMAT ": we are out",
               core->self.name, value->id, value->seq, core->delivered);
      set_out (core);
      return;
    }
  entry = grp_entry_new_view (value);
  grp_core_flush_batches (core); /* what the old view produced goes first */
  g_debug ("%s: installs view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT
           " led by %s (%u members)", core->self.name, value->id, value->seq,
           value->members[0].name, value->n_members);
  note_departures (core, value);
  g_clear_pointer (&core->view, grp_view_unref);
  core->view = grp_view_ref (value);
  if (joining || !core->has_state)
    {
      /* Without state the past is of no use: the state we will receive is
       * taken at this view, and we deliver from it on.  (A member that has
       * the state keeps it even if the view lists it as needing it -- it
       * promised before its state came: try_install made sure it holds
       * every position below the view.) */
      grp_log_truncate_from (core, core->log_lo);
      core->recv_upto = value->seq - 1;
      core->delivered = value->seq - 1;
      core->high_known = value->seq - 1;
      core->stable = MIN (core->stable, value->seq - 1);
      core->log_lo = value->seq;
      /* Only the creator of a group holds the state of its first view;
       * anyone else waits for STATE, whatever a view says. */
      core->has_state = joining && core->has_state;
    }
  grp_log_truncate_from (core, value->seq);
  grp_log_put (core, entry);
  grp_log_note_high (core, value->seq);

  /* A fresh slot: nothing promised or accepted yet. */
  core->promised = (GrpBallot) { 0, 0 };
  core->accepted_ballot = (GrpBallot) { 0, 0 };
  core->ballot = (GrpBallot) { 0, 0 };
  core->ballot_seen = 0;
  g_clear_pointer (&core->accepted, grp_view_unref);
  g_clear_pointer (&core->pending_view, grp_view_unref);
  core->frozen = FALSE;
  core->yielded_at = 0;
  core->vc = GRP_VC_NONE;
  reset_proposal (core);
  remove_settled_requests (core);
  grp_normal_prune_seen (core);
  grp_normal_flow_reset (core); /* members send what we held again */
  grp_core_reset_peers (core);
  core->last_leader_heard = core->now;
  core->installed_at = core->now;
  /* Only the proposer (decide) knows when a quorum last heard from it; a
   * member that installs a DECIDE, however old, has no grace. */
  core->fresh_from = core->decided_from;
  core->leader_stamp = 0;
  core->last_ack_sent = 0;

  /* Members talk to the leader only; but the transport reports a crash as
   * certain only at an address where it has reached that member before
   * (grp-transport.h), and the quorum's half rule needs certain crashes.
   * So each member reaches every other once per view: a NEED_VIEW, which a
   * member of the same view just ignores. */
  if (value->n_members > 1)
    {
      g_autoptr(GrpMsg) hello = grp_msg_new (GRP_MSG_NEED_VIEW, core->self.id, value->id);

      hello->need_view.recv_upto = core->recv_upto;
      grp_core_send_view (core, hello);
    }

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

/* ---- time ------------------------------------------------------------------ */

void
grp_vc_tick (GrpCore *core)
{
  if (core->pending_view != NULL)
    {
      g_autoptr(GrpView) pending = grp_view_ref (core->pending_view);

      /* Whatever came since may complete it; else ask again, now and then. */
      try_install (core, pending);
      if (core->pending_view != NULL &&
          core->now - core->pending_asked_at >= 4 * core->cfg.retry_interval)
        ask_for_pending (core);
      if (core->pending_view != NULL)
        return; /* no other view change while one is known chosen */
    }
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
          (gint64) MAX (grp_view_index (core->view, core->self.id), 0) *
            core->cfg.suspect_timeout / 4)
        {
          GrpId first = grp_vc_first_candidate (core);

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

              GrpPromise *p = find_promise (core, id);

              /* Those that have not promised, and those whose prefix we
               * do not hold yet (their promise carried only part of it). */
              if ((p == NULL && !grp_core_peer (core, id)->dead) ||
                  (p != NULL && p->has_state && p->recv_upto > core->recv_upto &&
                   id != core->self.id))
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
      if (core->vc == GRP_VC_PREPARING &&
          core->now - core->vc_since >= 2 * core->cfg.suspect_timeout)
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
      if (core->vc == GRP_VC_ACCEPTING &&
          core->now - core->vc_since >= 2 * core->cfg.suspect_timeout)
        grp_vc_start (core); /* no quorum accepted: try again, higher */
      break;
    }
}
