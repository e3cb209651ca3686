/* normal.c: the data path within one view.
 *
 * Members send multicast requests (REQ) to the leader; the leader gives each
 * the next position and sends it to every member (SEQ).  Members keep the
 * positions they hold in the log and acknowledge the highest position they
 * hold with no gap below (ACK).  The minimum over the view is the stable
 * point: every member holds it, so it can be trimmed, and with safe delivery
 * only stable positions are delivered.  A member that sees a gap (a later
 * position, or a heartbeat announcing a higher one) asks for the missing
 * range (NAK); the leader answers from its log, which keeps everything above
 * the stable point.
 *
 * Exactly-once: the leader accepts a member's request only as the next of
 * that member's counter (seen[origin] + 1).  The filter is part of the
 * replicated state: members update it on delivery, a new leader completes it
 * from the log it inherited, a newcomer receives it with the state.
 */
#include "core-private.h"

GrpEntry *
grp_log_get (GrpCore *core,
             guint64  seq)
{
  return grp_ring_get (&core->log, seq);
}

/* Adds `entry` unless an entry of the same or a newer view holds its
 * position.  Advances recv_upto over every position now held without gap. */
void
grp_log_put (GrpCore  *core,
             GrpEntry *entry)
{
  GrpEntry *old;

  if (entry->seq < core->log_lo)
    return;
  old = grp_log_get (core, entry->seq);
  if (old != NULL && old->view_id >= entry->view_id)
    return;
  if (old != NULL && entry->seq <= core->recv_upto)
    {
      /* Never rewrite a position we may have delivered or reported. */
      return;
    }
  /* Legitimate positions stay within the lag limit of each other. */
  if (!grp_ring_put (&core->log, entry, MAX ((guint64) core->cfg.max_lag * 4, 1 << 20)))
    return;
  if (entry->seq > core->high_known)
    core->high_known = entry->seq;
  while ((old = grp_log_get (core, core->recv_upto + 1)) != NULL)
    {
      core->recv_upto++;
      if (old->kind == GRP_ENTRY_DATA && old->origin == core->self.id)
        core->my_seq_ctr = MAX (core->my_seq_ctr, old->ctr);
    }
}

/* Drops every position from `seq` on: a newly agreed view starts there. */
void
grp_log_truncate_from (GrpCore *core,
                       guint64  seq)
{
  grp_ring_remove_range (&core->log, seq, G_MAXUINT64);
  if (core->recv_upto >= seq)
    core->recv_upto = seq - 1;
  if (core->high_known >= seq)
    core->high_known = seq - 1;
}

/* Forget what every member holds and we delivered. */
void
grp_log_trim (GrpCore *core)
{
  guint64 upto = MIN (core->stable, core->delivered);

  if (core->log_lo <= upto)
    {
      grp_ring_remove_range (&core->log, core->log_lo, upto);
      core->log_lo = upto + 1;
    }
}

static guint64 *
seen_lookup (GrpCore *core,
             GrpId    origin)
{
  if (core->seen_ctr == NULL || core->seen_origin != origin)
    {
      core->seen_ctr = g_hash_table_lookup (core->seen, &origin);
      core->seen_origin = origin;
    }
  return core->seen_ctr;
}

/* Call after removing from `seen`. */
void
grp_normal_seen_changed (GrpCore *core)
{
  core->seen_ctr = NULL;
}

static guint64
seen_get (GrpCore *core,
          GrpId    origin)
{
  guint64 *ctr = seen_lookup (core, origin);

  return ctr ? *ctr : 0;
}

static void
seen_note (GrpCore *core,
           GrpId    origin,
           guint64  ctr)
{
  guint64 *old = seen_lookup (core, origin);

  if (old == NULL)
    {
      core->seen_ctr = g_memdup2 (&ctr, sizeof ctr);
      g_hash_table_insert (core->seen, g_memdup2 (&origin, sizeof origin), core->seen_ctr);
    }
  else if (*old < ctr)
    *old = ctr;
}

/* A new leader completes the duplicate filter with what it holds but has not
 * delivered yet. */
void
grp_normal_rebuild_seen (GrpCore *core)
{
  for (guint64 s = core->delivered + 1; s <= core->recv_upto; s++)
    {
      GrpEntry *e = grp_log_get (core, s);

      if (e != NULL && e->kind == GRP_ENTRY_DATA)
        seen_note (core, e->origin, e->ctr);
    }
}

static guint64
deliver_limit (GrpCore *core)
{
  guint64 limit = core->recv_upto;

  if (core->cfg.delivery == GRP_DELIVERY_SAFE)
    limit = MIN (limit, core->stable);
  if (core->frozen)
    limit = MIN (limit, core->freeze_upto);
  return limit;
}

void
grp_normal_deliver (GrpCore *core)
{
  guint64 limit;

  if (core->view == NULL || !core->has_state)
    return;
  limit = deliver_limit (core);
  while (core->delivered < limit)
    {
      GrpEntry *e = grp_log_get (core, core->delivered + 1);

      g_assert (e != NULL);
      core->delivered++;
      if (e->kind == GRP_ENTRY_DATA)
        {
          seen_note (core, e->origin, e->ctr);
          if (e->origin == core->self.id)
            {
              core->my_delivered_ctr = e->ctr;
              GrpPending *p;

              while ((p = g_queue_peek_head (&core->pending)) != NULL && p->ctr <= e->ctr)
                {
                  g_queue_pop_head (&core->pending);
                  g_bytes_unref (p->payload);
                  g_free (p);
                }
            }
          g_autoptr(GBytes) payload = grp_entry_dup_payload (e); /* lives only for the call */

          core->cb.deliver (core, e->seq, e->origin, e->ctr, payload, core->user_data);
        }
      else
        {
          core->cb.view (core, e->view, core->user_data);
          if (e->view->id == core->view->id && grp_core_i_lead (core))
            grp_join_send_state (core, e->view);
        }
    }
  grp_log_trim (core);
}

/* Leader: `e` (new, at position next_seq) takes its position.  The caller
 * then updates stability and delivers, once for a whole batch. */
static void
sequence_entry (GrpCore  *core,
                GrpEntry *e)
{
  core->next_seq++;
  if (G_UNLIKELY (core->debug_seq))
    g_debug ("%s: position %" G_GUINT64_FORMAT " to %" G_GINT64_MODIFIER "x#%" G_GUINT64_FORMAT,
             core->self.name, e->seq, e->origin, e->ctr);
  seen_note (core, e->origin, e->ctr);
  grp_log_put (core, e);
  if (core->out_seq != NULL && core->out_seq->view != core->view->id)
    grp_core_flush_batches (core);
  if (core->out_seq == NULL)
    core->out_seq = grp_msg_new (GRP_MSG_SEQ, core->self.id, core->view->id);
  grp_msg_add_entry (core->out_seq, e);
  if (core->out_seq->entries->len >= core->cfg.max_batch)
    grp_core_flush_batches (core);
  core->last_hb_at = core->now;
}

/* Leader: give the next position to (origin, ctr). */
void
grp_normal_sequence (GrpCore *core,
                     GrpId    origin,
                     guint64  ctr,
                     GBytes  *payload)
{
  g_autoptr(GrpEntry) e = grp_entry_new_data (core->next_seq, core->view->id, origin, ctr, payload);

  sequence_entry (core, e);
  grp_normal_update_stable (core);
  grp_normal_deliver (core);
}

/* The leader's lease: it sequences only while members that answered one
 * of its own messages sent within half the suspicion timeout form a quorum
 * with it (answers echo the leader's stamp, so a backlog read after a stop
 * does not count).  Members replace a leader only after a whole timeout of
 * silence (or its confirmed crash), so a leader that was stopped or cut off
 * stops sequencing before a view without it can exist, and learns its fate
 * before it delivers much that the group will not.  Safety does not rest on
 * this (docs/PROTOCOL.md): it bounds what a stale leader delivers alone. */
static gboolean
echoed_lately (GrpCore *core, GrpId id, gpointer data)
{
  gint64 since = *(gint64 *) data;

  return id == core->self.id || grp_core_peer (core, id)->echo >= since;
}

gboolean
grp_normal_lease_ok (GrpCore *core)
{
  gint64 since = core->now - core->cfg.suspect_timeout / 2;

  if (core->installed_at >= since)
    return TRUE; /* a fresh view: a quorum of its members just accepted it */
  return grp_vc_is_quorum (core, echoed_lately, &since);
}

gboolean
grp_normal_can_sequence (GrpCore *core)
{
  return grp_core_i_lead (core) && core->vc == GRP_VC_NONE && !core->frozen &&
         grp_normal_lease_ok (core);
}

void
grp_normal_on_req (GrpCore *core,
                   GrpMsg  *msg)
{
  if (!grp_normal_can_sequence (core))
    return; /* the member re-sends it, to whoever leads by then */
  /* Only the next of the member's counter: earlier ones are duplicates,
   * later ones mean a request was lost and will come again in order. */
  if (msg->entries == NULL)
    {
      if (msg->ctr == seen_get (core, msg->from) + 1 && msg->payload != NULL)
        grp_normal_sequence (core, msg->from, msg->ctr, msg->payload);
      return;
    }
  for (guint i = 0; i < msg->entries->len && grp_normal_can_sequence (core); i++)
    {
      GrpEntry *e = g_ptr_array_index (msg->entries, i);

      if (e->kind == GRP_ENTRY_DATA && e->ctr == seen_get (core, msg->from) + 1)
        {
          /* Shares the request's payload (a slice of its frame). */
          g_autoptr(GrpEntry) s = grp_entry_new_data_like (e, core->next_seq, core->view->id);

          s->origin = msg->from; /* who sent it, not what it says */
          sequence_entry (core, s);
        }
    }
  grp_normal_update_stable (core);
  grp_normal_deliver (core);
}

void
grp_normal_note_high (GrpCore *core,
                      guint64  high)
{
  if (high > core->high_known)
    core->high_known = high;
}

static void
maybe_nak (GrpCore *core)
{
  g_autoptr(GrpMsg) nak = NULL;

  if (core->recv_upto >= core->high_known || core->frozen || grp_core_i_lead (core))
    return;
  if (core->now - core->last_nak_at < core->cfg.retry_interval)
    return;
  core->last_nak_at = core->now;
  nak = grp_msg_new (GRP_MSG_NAK, core->self.id, core->view->id);
  nak->lo = core->recv_upto + 1;
  nak->hi = MIN (core->high_known, core->recv_upto + core->cfg.max_batch);
  grp_core_send (core, grp_view_leader (core->view), nak);
}

static void
note_stable (GrpCore *core,
             guint64  stable)
{
  if (stable > core->stable)
    core->stable = stable;
}

void
grp_normal_on_seq (GrpCore *core,
                   GrpMsg  *msg)
{
  if (grp_core_i_lead (core) || core->frozen || msg->entries == NULL)
    return;
  for (guint i = 0; i < msg->entries->len; i++)
    {
      GrpEntry *e = g_ptr_array_index (msg->entries, i);

      grp_log_put (core, e);
    }
  note_stable (core, msg->stable);
  core->leader_stamp = MAX (core->leader_stamp, msg->stamp);
  maybe_nak (core);
  grp_normal_deliver (core);
  grp_normal_send_ack (core, FALSE);
}

void
grp_normal_on_hb (GrpCore *core,
                  GrpMsg  *msg)
{
  if (grp_core_i_lead (core) || core->frozen)
    return;
  grp_normal_note_high (core, msg->high);
  note_stable (core, msg->stable);
  core->leader_stamp = MAX (core->leader_stamp, msg->stamp);
  maybe_nak (core);
  grp_normal_deliver (core);
  grp_normal_send_ack (core, FALSE);
}

void
grp_normal_update_stable (GrpCore *core)
{
  guint64 s = core->recv_upto;

  if (!grp_core_i_lead (core))
    return;
  for (guint i = 0; i < core->view->n_members; i++)
    {
      GrpId id = core->view->members[i].id;

      if (id != core->self.id)
        s = MIN (s, grp_core_peer (core, id)->acked);
    }
  if (s <= core->stable)
    return;
  core->stable = s;
  if (core->cfg.delivery == GRP_DELIVERY_SAFE && core->view->n_members > 1)
    {
      /* Members wait for this to deliver: tell them now. */
      g_autoptr(GrpMsg) hb = grp_msg_new (GRP_MSG_HB, core->self.id, core->view->id);

      hb->high = core->next_seq - 1;
      hb->stable = core->stable;
      hb->stamp = core->now;
      grp_core_send_view (core, hb);
      core->last_hb_at = core->now;
    }
  grp_normal_deliver (core);
}

void
grp_normal_on_ack (GrpCore *core,
                   GrpMsg  *msg)
{
  GrpPeer *peer;

  if (!grp_core_i_lead (core))
    return;
  peer = grp_core_peer (core, msg->from);
  peer->acked = MAX (peer->acked, msg->recv_upto);
  peer->echo = MAX (peer->echo, msg->stamp);
  grp_normal_update_stable (core);
}

void
grp_normal_on_nak (GrpCore *core,
                   GrpMsg  *msg)
{
  g_autoptr(GrpMsg) reply = NULL;
  guint64 hi;

  if (!grp_core_i_lead (core) || msg->lo == 0 || msg->hi < msg->lo)
    return;
  hi = MIN (msg->hi, msg->lo + core->cfg.max_batch - 1);
  reply = grp_msg_new (GRP_MSG_SEQ, core->self.id, core->view->id);
  reply->stable = core->stable;
  for (guint64 s = msg->lo; s <= hi; s++)
    {
      GrpEntry *e = grp_log_get (core, s);

      if (e != NULL)
        grp_msg_add_entry (reply, e);
    }
  if (reply->entries != NULL)
    grp_core_send (core, msg->from, reply);
}

void
grp_normal_send_ack (GrpCore *core,
                     gboolean force)
{
  g_autoptr(GrpMsg) ack = NULL;
  gboolean due;

  if (core->view == NULL || grp_core_i_lead (core))
    return;
  due = force ||
        (core->recv_upto != core->last_ack_sent &&
         (core->cfg.delivery == GRP_DELIVERY_SAFE ||
          core->recv_upto >= core->last_ack_sent + 32)) ||
        core->now - core->last_ack_at >= core->cfg.heartbeat_interval;
  if (!due)
    return;
  ack = grp_msg_new (GRP_MSG_ACK, core->self.id, core->view->id);
  ack->recv_upto = core->recv_upto;
  ack->has_state = core->has_state;
  ack->stamp = core->leader_stamp;
  grp_core_send (core, grp_view_leader (core->view), ack);
  core->last_ack_sent = core->recv_upto;
  core->last_ack_at = core->now;
}

static void
send_req (GrpCore    *core,
          GrpPending *p)
{
  GrpId leader = grp_view_leader (core->view);
  g_autoptr(GrpEntry) e = NULL;

  p->sent_at = core->now;
  if (!core->cfg.batch)
    {
      g_autoptr(GrpMsg) req = grp_msg_new (GRP_MSG_REQ, core->self.id, core->view->id);

      req->ctr = p->ctr;
      req->payload = g_bytes_ref (p->payload);
      grp_core_send (core, leader, req);
      return;
    }
  /* Batched: one REQ carries several requests, as entries with no position. */
  if (core->out_req != NULL && (core->out_req_to != leader || core->out_req->view != core->view->id))
    grp_core_flush_batches (core);
  if (core->out_req == NULL)
    {
      core->out_req = grp_msg_new (GRP_MSG_REQ, core->self.id, core->view->id);
      core->out_req_to = leader;
    }
  e = grp_entry_new_data (0, core->view->id, core->self.id, p->ctr, p->payload);
  grp_msg_add_entry (core->out_req, e);
  if (core->out_req->entries->len >= core->cfg.max_batch)
    grp_core_flush_batches (core);
}

/* Send own requests that are not known to be sequenced: those never sent
 * (window), those sent long ago (lost), or all of them (new leader). */
void
grp_normal_send_pending (GrpCore *core,
                         gboolean all)
{
  guint n = 0;

  if (core->view == NULL || core->frozen || core->vc != GRP_VC_NONE || grp_core_i_lead (core))
    return;
  for (GList *l = core->pending.head; l != NULL && n < grp_core_get_window (core); l = l->next, n++)
    {
      GrpPending *p = l->data;

      if (p->ctr <= core->my_seq_ctr)
        continue;
      if (!all && p->sent_at != 0 && core->now - p->sent_at < core->cfg.retry_interval * 4)
        continue;
      send_req (core, p);
    }
}

/* Leader: sequence own multicasts that could not be when they were made
 * (during a view change, or without the lease). */
void
grp_normal_sequence_own (GrpCore *core)
{
  GList *l = core->pending.tail;

  /* Own requests are sequenced in counter order: start after the last one
   * already in the log. */
  while (l != NULL && l->prev != NULL && ((GrpPending *) l->prev->data)->ctr > core->my_seq_ctr)
    l = l->prev;
  while (l != NULL && grp_normal_can_sequence (core))
    {
      GrpPending *p = l->data;

      l = l->next;
      if (p->ctr > core->my_seq_ctr)
        {
          g_autoptr(GrpEntry) e = grp_entry_new_data (core->next_seq, core->view->id, core->self.id, p->ctr,
                                                      p->payload);

          sequence_entry (core, e);
        }
    }
  grp_normal_update_stable (core);
  grp_normal_deliver (core);
}

void
grp_normal_tick (GrpCore *core)
{
  if (grp_core_i_lead (core))
    {
      if (core->now - core->last_hb_at >= core->cfg.heartbeat_interval)
        {
          g_autoptr(GrpMsg) hb = grp_msg_new (GRP_MSG_HB, core->self.id, core->view->id);

          hb->high = core->next_seq - 1;
          hb->stable = core->stable;
          hb->stamp = core->now;
          grp_core_send_view (core, hb);
          core->last_hb_at = core->now;
        }
      grp_normal_update_stable (core);
      grp_normal_sequence_own (core);
    }
  else
    {
      grp_normal_send_ack (core, FALSE);
      maybe_nak (core);
      grp_normal_send_pending (core, FALSE);
    }
  grp_normal_deliver (core);
}

guint64
grp_core_multicast (GrpCore *core,
                    GBytes  *payload,
                    gint64   now,
                    GError **error)
{
  GrpPending *p;
  guint64 ctr;

  core->now = now;
  if (core->status != GRP_STATUS_MEMBER || core->leaving)
    {
      g_set_error (error, GRP_CORE_ERROR, GRP_CORE_ERROR_NOT_MEMBER,
                   "Not a member of a group yet: wait for the join to complete");
      return 0;
    }
  if (core->cfg.protocol == GRP_PROTOCOL_GMS3)
    return grp_gms3_multicast (core, payload);
  if (core->pending.length >= grp_core_get_window (core))
    {
      g_set_error (error, GRP_CORE_ERROR, GRP_CORE_ERROR_BUSY,
                   "%u multicasts are still in flight: wait for deliveries", core->pending.length);
      return 0;
    }
  p = g_new0 (GrpPending, 1);
  p->ctr = ctr = core->next_ctr++;
  p->payload = g_bytes_ref (payload);
  g_queue_push_tail (&core->pending, p);
  if (grp_normal_can_sequence (core))
    {
      /* In order, after any of ours still waiting (a lease that lapsed):
       * may deliver them at once, and free p. */
      grp_normal_sequence_own (core);
    }
  else if (core->view != NULL && !core->frozen && core->vc == GRP_VC_NONE && !grp_core_i_lead (core))
    send_req (core, p); /* earlier ones were sent when made, or wait for the tick */
  if (!core->cfg.batch)
    grp_core_flush_batches (core);
  return ctr;
}
