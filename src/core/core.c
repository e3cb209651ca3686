/* core.c: life cycle, message dispatch, fencing and failure detection.
 *
 * Fencing rule: a message of the data path (REQ, SEQ, HB, ACK, NAK,
 * STATE_REQ, LEAVE) is processed only when its view id equals ours and its
 * sender is a member of our view.  An older view id means the sender is
 * behind or was left out: it gets our view (as a DECIDE if it is a member,
 * NOT_MEMBER otherwise).  A newer one means we are behind: we ask the sender
 * for its view (NEED_VIEW).  View-change messages carry the slot they agree
 * on and are checked in viewchange.c; every receive function checks who may
 * send it before anything else.
 */
#include "core.h"
#include "join.h"
#include "log.h"
#include "normal.h"
#include "viewchange.h"

G_DEFINE_QUARK (grp-core-error-quark, grp_core_error)

void
grp_core_config_init (GrpCoreConfig *config)
{
  *config = (GrpCoreConfig) {
    .delivery = GRP_DELIVERY_AGREED,
    .heartbeat_interval = 100 * 1000,
    .suspect_timeout = 1500 * 1000,
    .retry_interval = 50 * 1000,
    .join_timeout = 5000 * 1000,
    .window = 1024,
    .group_window = 4096,
    .max_batch = 256,
    .max_lag = 100000,
    .flow_bytes = 4 * 1024 * 1024,
  };
}

static void
pending_free (gpointer data)
{
  GrpPending *p = data;

  g_bytes_unref (p->payload);
  g_free (p);
}

static void
free_join_req (gpointer data)
{
  GrpJoinReq *r = data;

  grp_member_clear (&r->member);
  g_free (r);
}

GrpCore *
grp_core_new (const GrpCoreConfig    *config,
              const GrpMember        *self,
              const GrpCoreCallbacks *callbacks,
              gpointer                user_data)
{
  GrpCore *core;

  g_return_val_if_fail (config != NULL && self != NULL && callbacks != NULL, NULL);
  g_return_val_if_fail (self->id != 0, NULL);
  core = g_new0 (GrpCore, 1);
  core->cfg = *config;
  core->cb = *callbacks;
  core->user_data = user_data;
  grp_member_copy (&core->self, self);
  core->status = GRP_STATUS_IDLE;
  core->lease_at = G_MININT64;
  core->fresh_from = core->decided_from = G_MININT64;
  /* Per-position traces cost a formatted string each: only when asked. */
  core->debug_seq = !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
  core->peers = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  core->addrs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  grp_ring_init (&core->log);
  core->seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_queue_init (&core->pending);
  g_queue_init (&core->held);
  core->held_by = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  core->next_ctr = 1;
  core->pending_joins = g_ptr_array_new_with_free_func (free_join_req);
  core->log_lo = 1;
  core->pending_leaves = g_array_new (FALSE, FALSE, sizeof (GrpId));
  core->promises = g_array_new (FALSE, TRUE, sizeof (GrpPromise));
  core->departures = g_array_new (FALSE, FALSE, sizeof (GrpGone));
  grp_core_remember_addr (core, self);
  return core;
}

void
grp_core_free (GrpCore *core)
{
  if (core == NULL)
    return;
  grp_member_clear (&core->self);
  g_clear_pointer (&core->view, grp_view_unref);
  g_hash_table_unref (core->peers);
  g_hash_table_unref (core->addrs);
  grp_ring_clear (&core->log);
  g_hash_table_unref (core->seen);
  g_queue_clear_full (&core->pending, pending_free);
  g_queue_clear_full (&core->held, (GDestroyNotify) grp_entry_unref);
  g_hash_table_unref (core->held_by);
  g_ptr_array_unref (core->pending_joins);
  g_array_unref (core->pending_leaves);
  g_array_unref (core->departures);
  g_clear_pointer (&core->state_blob, g_bytes_unref);
  g_clear_pointer (&core->state_seen, g_array_unref);
  g_clear_pointer (&core->pending_view, grp_view_unref);
  g_clear_pointer (&core->accepted, grp_view_unref);
  g_clear_pointer (&core->proposal, grp_view_unref);
  g_clear_pointer (&core->reported, grp_view_unref);
  g_array_unref (core->promises);
  g_clear_pointer (&core->out_seq, grp_msg_unref);
  g_clear_pointer (&core->out_req, grp_msg_unref);
  g_free (core);
}

/* ---- peers and addresses ------------------------------------------------ */

GrpPeer *
grp_core_peer (GrpCore *core,
               GrpId    id)
{
  GrpPeer *peer = g_hash_table_lookup (core->peers, &id);

  if (peer == NULL)
    {
      peer = g_new0 (GrpPeer, 1);
      peer->id = id;
      peer->last_heard = core->now;
      peer->pace_at = core->now;
      peer->last_fence_reply = G_MININT64 / 2;
      g_hash_table_insert (core->peers, &peer->id, peer);
    }
  return peer;
}

gboolean
grp_core_is_member (GrpCore *core,
                    GrpId    id)
{
  return id != core->self.id && grp_view_contains (core->view, id);
}

static gboolean
not_in_view (gpointer key, gpointer value, gpointer data)
{
  GrpCore *core = data;
  GrpId id = *(GrpId *) key;

  if (id == core->self.id || id == core->contact || id == core->join_leader)
    return FALSE;
  for (guint i = 0; i < core->pending_joins->len; i++)
    if (((GrpJoinReq *) g_ptr_array_index (core->pending_joins, i))->member.id == id)
      return FALSE;
  return !grp_view_contains (core->view, id);
}

void
grp_core_reset_peers (GrpCore *core)
{
  g_hash_table_foreach_remove (core->peers, not_in_view, core);
  core->lease_at = G_MININT64;
  core->stable_by = 0;
  /* Addresses of former members and askers are kept, so that a member left
   * behind can be told (the transport needs an address to answer); past a
   * bound, only those of the view, joiners and our contact stay. */
  if (g_hash_table_size (core->addrs) >= GRP_MAX_ADDRS)
    g_hash_table_foreach_remove (core->addrs, not_in_view, core);
  for (guint i = 0; i < core->view->n_members; i++)
    {
      GrpPeer *peer = grp_core_peer (core, core->view->members[i].id);

      grp_core_remember_addr (core, &core->view->members[i]);
      peer->last_heard = core->now;
      peer->suspected = peer->dead;
      peer->acked = 0;
      peer->pace_at = core->now;
      peer->pace_acked = 0;
      peer->pace_lag = 0;
    }
}

void
grp_core_remember_addr (GrpCore         *core,
                        const GrpMember *member)
{
  if (member->addr == NULL || member->id == 0)
    return;
  g_hash_table_replace (core->addrs, g_memdup2 (&member->id, sizeof member->id),
                        g_strdup (member->addr));
}

/* ---- sending ---------------------------------------------------------------- */

void
grp_core_send (GrpCore *core,
               GrpId    to,
               GrpMsg  *msg)
{
  if (msg != core->out_seq && msg != core->out_req)
    grp_core_flush_batches (core); /* keep the order of sends */
  if (to == core->self.id || to == 0)
    return;
  core->cb.send (core, to, g_hash_table_lookup (core->addrs, &to), msg, core->user_data);
}

void
grp_core_flush_batches (GrpCore *core)
{
  if (core->out_seq != NULL)
    {
      g_autoptr(GrpMsg) seq = g_steal_pointer (&core->out_seq);

      /* The latest stability and stamp (the stamp is the lease's echo). */
      seq->seq.stable = core->stable;
      seq->seq.stamp = core->now;
      for (guint i = 0; core->view != NULL && i < core->view->n_members; i++)
        grp_core_send (core, core->view->members[i].id, seq);
    }
  if (core->out_req != NULL)
    {
      g_autoptr(GrpMsg) req = g_steal_pointer (&core->out_req);

      grp_core_send (core, core->out_req_to, req);
    }
}

gboolean
grp_core_has_batch (GrpCore *core)
{
  return core->out_seq != NULL || core->out_req != NULL;
}

gboolean
grp_core_flush (GrpCore *core)
{
  gboolean any = grp_core_has_batch (core);

  grp_core_flush_batches (core);
  return any;
}

/* What a call produced goes out before it returns, unless batching. */
static void
end_of_call (GrpCore *core)
{
  if (!core->cfg.batch)
    grp_core_flush_batches (core);
}

void
grp_core_send_view (GrpCore *core,
                    GrpMsg  *msg)
{
  for (guint i = 0; i < core->view->n_members; i++)
    grp_core_send (core, core->view->members[i].id, msg);
}

void
grp_core_set_status (GrpCore      *core,
                     GrpStatus     status,
                     const GError *error)
{
  if (core->status == status)
    return;
  g_debug ("%s: status %d -> %d", core->self.name, core->status, status);
  core->status = status;
  if (core->cb.status)
    core->cb.status (core, status, error, core->user_data);
}

gboolean
grp_core_i_lead (GrpCore *core)
{
  return core->view != NULL && grp_view_leader (core->view) == core->self.id;
}

static gboolean
finished (GrpCore *core)
{
  return core->status == GRP_STATUS_LEFT || core->status == GRP_STATUS_EXCLUDED ||
         core->status == GRP_STATUS_FAILED;
}

/* ---- fencing -------------------------------------------------------------- */

/* May we answer `to` now?  At most once per retry interval each; members
 * of the view are timed in their peer record, anyone else in a few slots,
 * so that answering strangers costs no memory and, once every slot is
 * recent, nothing. */
static gboolean
answer_due (GrpCore *core,
            GrpId    to)
{
  GrpFenceSlot *oldest = &core->fenced[0];

  if (grp_core_is_member (core, to))
    {
      GrpPeer *peer = grp_core_peer (core, to);

      if (core->now - peer->last_fence_reply < core->cfg.retry_interval)
        return FALSE;
      peer->last_fence_reply = core->now;
      return TRUE;
    }
  for (guint i = 0; i < GRP_FENCE_SLOTS; i++)
    {
      GrpFenceSlot *slot = &core->fenced[i];

      if (slot->id == to)
        {
          if (core->now - slot->at < core->cfg.retry_interval)
            return FALSE;
          slot->at = core->now;
          return TRUE;
        }
      if (slot->at < oldest->at)
        oldest = slot;
    }
  if (oldest->id != 0 && core->now - oldest->at < core->cfg.retry_interval)
    return FALSE;
  oldest->id = to;
  oldest->at = core->now;
  return TRUE;
}

void
grp_core_fence_reply (GrpCore *core,
                      GrpId    to,
                      guint64  recv_upto)
{
  g_autoptr(GrpMsg) reply = NULL;

  if (core->view == NULL || to == 0 || !answer_due (core, to))
    return;
  if (grp_core_is_member (core, to))
    {
      reply = grp_vc_decide_msg (core);
      /* What it lacks below our view, if it said (and we hold it: we hold
       * every position below our view that is not stable, and a member of
       * our view holds every stable one). */
      if (recv_upto != G_MAXUINT64 && core->has_state && recv_upto + 1 < core->view->seq)
        grp_log_collect (core, reply, recv_upto + 1,
                         MIN (core->view->seq - 1, recv_upto + GRP_MAX_CATCH_UP));
    }
  else
    {
      reply = grp_msg_new (GRP_MSG_NOT_MEMBER, core->self.id, core->view->id);
      reply->not_member.view = grp_view_ref (core->view);
    }
  grp_core_send (core, to, reply);
}

void
grp_core_ask_view (GrpCore *core,
                   GrpId    to)
{
  g_autoptr(GrpMsg) ask = NULL;

  if (!answer_due (core, to))
    return;
  ask = grp_msg_new (GRP_MSG_NEED_VIEW, core->self.id, core->view ? core->view->id : 0);
  /* What we hold, so that the answer brings what we lack below its view
   * (a member without state needs none of it). */
  ask->need_view.recv_upto = core->has_state ? core->recv_upto : G_MAXUINT64;
  grp_core_send (core, to, ask);
}

/* ---- receiving ------------------------------------------------------------ */

/* A message from a member of our view: it is alive. */
static void
note_heard (GrpCore *core,
            GrpMsg  *msg)
{
  GrpPeer *peer;

  if (core->view == NULL || !grp_core_is_member (core, msg->from))
    return;
  peer = grp_core_peer (core, msg->from);
  peer->last_heard = core->now;
  if (!peer->dead)
    peer->suspected = FALSE;
  if (msg->from == grp_view_leader (core->view) && msg->view == core->view->id)
    {
      core->last_leader_heard = core->now;
      /* We suspected it, but it is back and nobody asked us to change the
       * view: carry on with it. */
      if (core->vc == GRP_VC_WAITING && !core->frozen)
        core->vc = GRP_VC_NONE;
    }
}

static void
do_receive (GrpCore *core,
            GrpMsg  *msg,
            gint64   now)
{
  core->now = now;
  if (finished (core) || msg->from == core->self.id || msg->from == 0)
    return;
  note_heard (core, msg);

  switch (msg->type)
    {
    case GRP_MSG_JOIN:
      grp_join_recv_join (core, msg);
      return;
    case GRP_MSG_JOIN_REFUSED:
      grp_join_recv_refused (core, msg);
      return;
    case GRP_MSG_NOT_MEMBER:
      grp_vc_recv_not_member (core, msg);
      return;
    case GRP_MSG_NEED_VIEW:
      /* Anyone may ask; only a sender that is behind gets an answer. */
      if (core->view != NULL && msg->view < core->view->id)
        grp_core_fence_reply (core, msg->from, msg->need_view.recv_upto);
      /* A newcomer that a member of a view asks after, long after it asked
       * to join: it was admitted, and the decision did not reach it (the
       * leader died as it installed the view).  Ask back: a member of that
       * view answers with the view.  (Sooner, the decision is on its way.) */
      else if (core->view == NULL && core->status == GRP_STATUS_JOINING && msg->view > 0 &&
               core->now - core->join_started >= core->cfg.suspect_timeout)
        grp_core_ask_view (core, msg->from);
      return;
    case GRP_MSG_DECIDE:
      grp_vc_recv_decide (core, msg);
      return;
    case GRP_MSG_PREPARE:
      grp_vc_recv_prepare (core, msg);
      return;
    case GRP_MSG_PROMISE:
      grp_vc_recv_promise (core, msg);
      return;
    case GRP_MSG_REJECT:
      grp_vc_recv_reject (core, msg);
      return;
    case GRP_MSG_ACCEPT:
      grp_vc_recv_accept (core, msg);
      return;
    case GRP_MSG_ACCEPTED:
      grp_vc_recv_accepted (core, msg);
      return;
    case GRP_MSG_STATE:
      grp_join_recv_state (core, msg);
      return;
    default:
      break;
    }

  /* The data path: our view only, from its members only. */
  if (core->view == NULL)
    return;
  if (msg->view < core->view->id)
    {
      grp_core_fence_reply (core, msg->from, G_MAXUINT64);
      return;
    }
  if (msg->view > core->view->id)
    {
      grp_core_ask_view (core, msg->from);
      return;
    }
  if (!grp_core_is_member (core, msg->from))
    return;

  switch (msg->type)
    {
    case GRP_MSG_REQ:
      grp_normal_recv_req (core, msg);
      break;
    case GRP_MSG_SEQ:
      grp_normal_recv_seq (core, msg);
      break;
    case GRP_MSG_HB:
      grp_normal_recv_hb (core, msg);
      break;
    case GRP_MSG_ACK:
      grp_normal_recv_ack (core, msg);
      break;
    case GRP_MSG_NAK:
      grp_normal_recv_nak (core, msg);
      break;
    case GRP_MSG_STATE_REQ:
      grp_join_recv_state_req (core, msg);
      break;
    case GRP_MSG_LEAVE:
      grp_join_recv_leave (core, msg);
      break;
    default:
      g_debug ("%s: ignoring %s", core->self.name, grp_msg_type_name (msg->type));
      break;
    }
}

void
grp_core_receive (GrpCore *core,
                  GrpMsg  *msg,
                  gint64   now)
{
  g_return_if_fail (core != NULL && msg != NULL);
  do_receive (core, msg, now);
  end_of_call (core);
}

static void
do_unreachable (GrpCore *core,
                GrpId    id,
                gboolean confirmed,
                gint64   now)
{
  GrpPeer *peer;

  core->now = now;
  if (finished (core) || id == core->self.id)
    return;
  /* A newcomer out of reach is not admitted: a view with a member that
   * never answers could need its confirmed crash to move on, and the
   * newcomer may be one we can never confirm.  If it lives, it asks again. */
  grp_join_forget (core, id);
  if (!grp_core_is_member (core, id))
    return;
  peer = grp_core_peer (core, id);
  /* The transport confirms a crash only when it is certain that the member
   * will never send again (grp-transport.h): such a member can take part in
   * no decision, which is what the quorum rule needs to know
   * (viewchange.c). */
  if (confirmed)
    peer->dead = TRUE;
  peer->suspected = TRUE;
  g_debug ("%s: %" G_GINT64_MODIFIER "x unreachable%s", core->self.name, id,
           confirmed ? " (crashed)" : "");
  if (grp_core_i_lead (core))
    {
      if (core->vc == GRP_VC_NONE)
        grp_vc_start (core);
    }
  else if (id == grp_view_leader (core->view))
    grp_vc_leader_suspected (core);
}

void
grp_core_unreachable (GrpCore *core,
                      GrpId    id,
                      gboolean confirmed,
                      gint64   now)
{
  g_return_if_fail (core != NULL);
  do_unreachable (core, id, confirmed, now);
  end_of_call (core);
}

/* Members other than the leader hear from each other too, so that when
 * the leader goes silent each already knows which of the others went with
 * it (a whole host killed at once): the first live candidate proposes, and
 * waits for no dead member's promise, within the same suspicion timeout.
 * A NEED_VIEW of our own view is the ping: a member of the same view only
 * notes that we are alive, one in a newer view answers with it.  In views
 * of up to GRP_PING_ALL members each watches all the others (at most
 * 31 x 30 pings per quarter timeout); in larger ones only the
 * GRP_PING_BEFORE members just before it in view order, the candidates it
 * would otherwise wait for, so that the cost grows with the view, not its
 * square (a dead member further on then costs a proposer up to a timeout
 * of waiting for its promise, as before the pings). */
#define GRP_PING_ALL 32
#define GRP_PING_BEFORE 8

/* Does the member at index `watcher` of our view watch the one at `i`? */
static gboolean
watches (GrpCore *core,
         guint    i,
         gint     watcher)
{
  if (i == 0 || (gint) i == watcher || watcher <= 0)
    return FALSE;
  return core->view->n_members <= GRP_PING_ALL ||
         ((gint) i < watcher && watcher - (gint) i <= GRP_PING_BEFORE);
}

static void
ping_members (GrpCore *core)
{
  gint64 interval = MAX (core->cfg.heartbeat_interval, core->cfg.suspect_timeout / 4);
  gint self = grp_view_index (core->view, core->self.id);
  g_autoptr(GrpMsg) ping = NULL;

  if (core->view->n_members < 3 || core->now - core->last_ping_at < interval)
    return;
  core->last_ping_at = core->now;
  ping = grp_msg_new (GRP_MSG_NEED_VIEW, core->self.id, core->view->id);
  ping->need_view.recv_upto = core->has_state ? core->recv_upto : G_MAXUINT64;
  /* To those that watch us. */
  for (guint i = 1; i < core->view->n_members; i++)
    if (self > 0 && watches (core, (guint) self, (gint) i))
      grp_core_send (core, core->view->members[i].id, ping);
}

/* Those we watch (ping_members) that have been silent for a timeout are
 * suspected.  That changes nothing until the leader is suspected: then it
 * tells who is left to propose and whose promise is worth waiting for.
 * (Also whom a leaving leader hands over to, and whether a member shows as
 * blocked: grp_join_recv_leave, grp_core_is_blocked.) */
static void
suspect_silent_members (GrpCore *core,
                        gint64   limit)
{
  gint self = grp_view_index (core->view, core->self.id);

  for (guint i = 1; i < core->view->n_members; i++)
    {
      GrpPeer *peer;

      if (!watches (core, i, self))
        continue;
      peer = grp_core_peer (core, core->view->members[i].id);
      if (!peer->suspected && peer->last_heard < limit)
        {
          g_debug ("%s: suspects %s (silent)", core->self.name, core->view->members[i].name);
          peer->suspected = TRUE;
        }
    }
}

/* Leader: whether a member keeps pace.  One that lags holds back the
 * stable point, and with it the whole group (flow control), so over each
 * suspicion timeout it is behind, it must take at least half of what it
 * lacked at the start, or half of what gap repair brings in a timeout if
 * that is less: a slow member does so many times over (it lags by the
 * bound at most and takes thousands of positions a second), one that is
 * stuck, or acknowledges a position now and then to hold the group back,
 * does not.  A window starts again whenever the member holds
 * everything, and while a view change is under way: a member that promised
 * is frozen and takes nothing (nor asks for it) until the install, and a
 * proposal may wait a whole timeout for a silent member. */
static gboolean
keeps_pace (GrpCore *core,
            GrpPeer *peer)
{
  gboolean restart = peer->acked + 1 >= core->next_seq || core->frozen ||
                     core->vc != GRP_VC_NONE;

  /* What gap repair can bring it in a timeout (a NAK per retry interval,
   * max_batch positions each), for a member that lost a run of SEQs and
   * holds everything after the gap: it need not take more than that. */
  guint64 repair = (guint64) core->cfg.max_batch *
                   (guint64) MAX (core->cfg.suspect_timeout / MAX (core->cfg.retry_interval, 1), 1);

  if (!restart && core->now - peer->pace_at < core->cfg.suspect_timeout)
    return TRUE;
  if (!restart && (peer->acked - peer->pace_acked) * 2 < MIN (peer->pace_lag, repair))
    return FALSE;
  peer->pace_at = core->now;
  peer->pace_acked = peer->acked;
  peer->pace_lag = core->next_seq - 1 - peer->acked;
  return TRUE;
}

/* Heartbeat-based suspicion: the leader watches every member, every member
 * watches the leader.  Together they cover every failure: a dead member is
 * removed by the leader, a dead leader by its first surviving member.  A
 * member also marks the others it watches that went silent
 * (suspect_silent_members). */
static void
detect_failures (GrpCore *core)
{
  gint64 limit = core->now - core->cfg.suspect_timeout;

  if (grp_core_i_lead (core))
    {
      for (guint i = 1; i < core->view->n_members; i++)
        {
          GrpPeer *peer = grp_core_peer (core, core->view->members[i].id);

          if (!peer->suspected && peer->last_heard < limit)
            {
              g_debug ("%s: suspects %s (silent)", core->self.name, core->view->members[i].name);
              peer->suspected = TRUE;
            }
          if (!peer->suspected && !keeps_pace (core, peer) &&
              !grp_join_is_leaving (core, peer->id) && core->installed_at < limit)
            {
              GrpId id = peer->id;

              g_message ("%s: %s took %" G_GUINT64_FORMAT " of the %" G_GUINT64_FORMAT
                         " positions it lacked in %" G_GINT64_FORMAT " ms: it cannot keep up; "
                         "excluding it (it will rejoin with a fresh state)", core->self.name,
                         core->view->members[i].name, peer->acked - peer->pace_acked,
                         peer->pace_lag, (core->now - peer->pace_at) / 1000);
              peer->suspected = TRUE;
              g_array_append_val (core->pending_leaves, id);
            }
        }
    }
  else
    {
      suspect_silent_members (core, limit);
      if (core->vc == GRP_VC_NONE && !core->frozen && core->last_leader_heard < limit)
        {
          grp_core_peer (core, grp_view_leader (core->view))->suspected = TRUE;
          grp_vc_leader_suspected (core);
        }
    }
}

static void
do_tick (GrpCore *core,
         gint64   now)
{
  core->now = now;
  if (finished (core))
    return;
  grp_join_tick (core);
  if (core->view == NULL || finished (core))
    return;
  detect_failures (core);
  ping_members (core);
  grp_normal_tick (core);
  grp_vc_tick (core);
  if (grp_core_i_lead (core) && core->vc == GRP_VC_NONE && !core->frozen &&
      grp_join_view_work (core))
    grp_vc_start (core);
}

void
grp_core_tick (GrpCore *core,
               gint64   now)
{
  g_return_if_fail (core != NULL);
  do_tick (core, now);
  end_of_call (core);
}

/* ---- queries -------------------------------------------------------------- */

GrpStatus
grp_core_get_status (GrpCore *core)
{
  return core->status;
}

const GrpView *
grp_core_get_view (GrpCore *core)
{
  return core->view;
}

GrpId
grp_core_get_id (GrpCore *core)
{
  return core->self.id;
}

gboolean
grp_core_is_leader (GrpCore *core)
{
  return core->status == GRP_STATUS_MEMBER && grp_core_i_lead (core);
}

GrpDeparture
grp_core_get_departure (GrpCore *core,
                        guint64  view_id,
                        GrpId    id)
{
  if (view_id != core->departures_view)
    return GRP_DEPARTURE_UNKNOWN;
  for (guint i = 0; i < core->departures->len; i++)
    if (g_array_index (core->departures, GrpGone, i).id == id)
      return g_array_index (core->departures, GrpGone, i).why;
  return GRP_DEPARTURE_UNKNOWN;
}

guint64
grp_core_get_delivered (GrpCore *core)
{
  return core->delivered;
}

guint64
grp_core_get_received (GrpCore *core)
{
  return core->recv_upto;
}

gboolean
grp_core_has_state (GrpCore *core)
{
  return core->has_state;
}

const GrpView *
grp_core_get_pending_view (GrpCore *core)
{
  return core->pending_view;
}

guint
grp_core_get_pending (GrpCore *core)
{
  return core->pending.length;
}

char *
grp_core_describe (GrpCore *core)
{
  static const char *const phases[] = { "none", "waiting", "preparing", "accepting" };
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s: status %d, view %" G_GUINT64_FORMAT ", %s, vc %s%s%s, lease %s, "
                          "recv %" G_GUINT64_FORMAT ", delivered %" G_GUINT64_FORMAT
                          ", stable %" G_GUINT64_FORMAT ", high %" G_GUINT64_FORMAT
                          ", next_seq %" G_GUINT64_FORMAT
                          ", log %u, pending %u, joins %u, leaves %u, state %s",
                          core->self.name, core->status, core->view ? core->view->id : 0,
                          grp_core_i_lead (core) ? "leader" : "member", phases[core->vc],
                          core->frozen ? " frozen" : "",
                          grp_core_is_blocked (core) ? " blocked" : "",
                          core->view && grp_core_i_lead (core)
                            ? (grp_normal_lease_ok (core) ? "ok" : "expired") : "-",
                          core->recv_upto, core->delivered, core->stable, core->high_known,
                          core->next_seq,
                          (guint) core->log.count, core->pending.length, core->pending_joins->len,
                          core->pending_leaves->len, core->has_state ? "yes" : "no");
  return g_string_free (s, FALSE);
}

static gboolean
not_suspected (GrpCore *core, GrpId id, gpointer data)
{
  return id == core->self.id || !grp_core_peer (core, id)->suspected;
}

gboolean
grp_core_is_blocked (GrpCore *core)
{
  if ((core->status != GRP_STATUS_MEMBER && core->status != GRP_STATUS_JOINING) ||
      core->view == NULL)
    return FALSE;
  if (core->pending_view != NULL)
    return TRUE; /* waiting for the positions below a chosen view */
  if (core->vc == GRP_VC_NONE && !core->frozen)
    return FALSE;
  return !grp_vc_is_quorum (core, not_suspected, NULL);
}

guint
grp_core_get_window (GrpCore *core)
{
  guint n = core->view != NULL ? core->view->n_members : 1;

  if (core->cfg.group_window == 0)
    return core->cfg.window;
  return CLAMP (core->cfg.group_window / n, MIN (32, core->cfg.window), core->cfg.window);
}

guint
grp_core_get_log_size (GrpCore *core)
{
  return (guint) core->log.count;
}
