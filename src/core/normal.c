/* normal.c: the data path within one view (normal.h). */
#include "core.h"
#include "join.h"
#include "log.h"
#include "normal.h"
#include "viewchange.h"

/* ---- the duplicate filter ---------------------------------------------- */

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

void
grp_normal_prune_seen (GrpCore *core)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, core->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!grp_view_contains (core->view, *(GrpId *) key))
      g_hash_table_iter_remove (&iter);
  core->seen_ctr = NULL;
}

/* The leader counts a request in the filter when it sequences it, which
 * may be after `upto`: those positions are in its log, and it takes each
 * origin's counters in order (seen + 1), so an origin's value as of `upto`
 * is one less than its lowest counter sequenced after it. */
GArray *
grp_normal_dup_seen_upto (GrpCore *core,
                          guint64  upto)
{
  g_autoptr(GHashTable) before = g_hash_table_new (g_int64_hash, g_int64_equal);
  GArray *seen = g_array_sized_new (FALSE, FALSE, sizeof (GrpSeen), g_hash_table_size (core->seen));
  GHashTableIter iter;
  gpointer key, value;

  for (guint64 s = upto + 1; s <= core->recv_upto; s++)
    {
      GrpEntry *e = grp_log_get (core, s);

      if (e != NULL && e->kind == GRP_ENTRY_DATA && !g_hash_table_contains (before, &e->origin))
        g_hash_table_insert (before, &e->origin, e);
    }
  g_hash_table_iter_init (&iter, core->seen);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GrpSeen s = { *(GrpId *) key, *(guint64 *) value };
      GrpEntry *first_after = g_hash_table_lookup (before, key);

      if (first_after != NULL)
        s.ctr = MIN (s.ctr, first_after->ctr - 1);
      if (s.ctr > 0)
        g_array_append_val (seen, s);
    }
  return seen;
}

void
grp_normal_set_seen (GrpCore *core,
                     GArray  *seen)
{
  g_hash_table_remove_all (core->seen);
  core->seen_ctr = NULL;
  for (guint i = 0; seen != NULL && i < seen->len; i++)
    {
      GrpSeen *s = &g_array_index (seen, GrpSeen, i);

      seen_note (core, s->origin, s->ctr);
    }
}

static void delivered_own (GrpCore *core, guint64 ctr);

void
grp_normal_drop_own_seen (GrpCore *core)
{
  guint64 done = seen_get (core, core->self.id);

  if (done > core->my_delivered_ctr)
    delivered_own (core, done);
  core->my_seq_ctr = MAX (core->my_seq_ctr, core->my_delivered_ctr);
}

/* ---- delivery ----------------------------------------------------------- */

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

static void
delivered_own (GrpCore *core,
               guint64  ctr)
{
  GrpPending *p;

  core->my_delivered_ctr = ctr;
  while ((p = g_queue_peek_head (&core->pending)) != NULL && p->ctr <= ctr)
    {
      g_queue_pop_head (&core->pending);
      g_bytes_unref (p->payload);
      g_free (p);
    }
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
          g_autoptr(GBytes) payload = NULL;

          seen_note (core, e->origin, e->ctr);
          if (e->origin == core->self.id)
            delivered_own (core, e->ctr);
          payload = grp_entry_dup_payload (e); /* lives only for the call */
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

/* ---- sequencing (leader) ------------------------------------------------ */

/* `e` (new, at position next_seq) takes its position.  The caller then
 * updates stability and delivers, once for a whole batch. */
/* Whether a batch of `bytes` has no room for `e` (max_msg_bytes). */
static gboolean
batch_full (GrpCore  *core,
            gsize     bytes,
            GrpEntry *e)
{
  return core->cfg.max_msg_bytes != 0 && bytes + grp_entry_size (e) > core->cfg.max_msg_bytes;
}

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
  if (core->out_seq != NULL &&
      (core->out_seq->view != core->view->id || batch_full (core, core->out_seq_bytes, e)))
    grp_core_flush_batches (core);
  if (core->out_seq == NULL)
    {
      core->out_seq = grp_msg_new (GRP_MSG_SEQ, core->self.id, core->view->id);
      core->out_seq_bytes = 0;
    }
  grp_msg_add_entry (core->out_seq, e);
  core->out_seq_bytes += grp_entry_size (e);
  if (core->out_seq->seq.entries->len >= core->cfg.max_batch)
    grp_core_flush_batches (core);
  core->last_hb_at = core->now;
}

/* The leader's lease: it sequences only while members that answered one
 * of its own messages sent within half the suspicion timeout form a quorum
 * with it (answers echo the leader's stamp, so a backlog read after a stop
 * does not count).  A proposer replaces a leader only after a whole timeout
 * of silence (or its confirmed crash), so a leader that was stopped or cut
 * off from everyone usually stops sequencing before a view without it
 * exists, and learns its fate before it delivers much that the group will
 * not (acceptors promise at once: a leader cut off from some members only
 * may go on for up to half a timeout after such a view).  A view we proposed
 * gives us the same grace from when the phase that chose it went out
 * (fresh_from), not from when we read the answers.  Safety does not rest on
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

  if (core->fresh_from >= since)
    return TRUE; /* a view we proposed: a quorum answered what we sent then */
  /* Asked for every request sequenced: the answer stands for this instant
   * until an echo or the view changes (each clears lease_at). */
  if (core->lease_at != core->now)
    {
      core->lease = grp_vc_is_quorum (core, echoed_lately, &since);
      core->lease_at = core->now;
    }
  return core->lease;
}

gboolean
grp_normal_can_sequence (GrpCore *core)
{
  return grp_core_i_lead (core) && core->vc == GRP_VC_NONE && !core->frozen &&
         grp_normal_lease_ok (core);
}

/* ---- flow control (leader) ---------------------------------------------- */

/* Whether one more entry may take a position: the group runs at most
 * max_lag positions and flow_bytes bytes ahead of what every member holds
 * (flow_lo: the stable point, or the view's own position, since every member
 * of a view holds what lies below it).  So the slowest member sets the
 * pace, the leader's log and what its connections queue stay bounded, and
 * a member that is merely slow is never excluded for it. */
static gboolean
flow_open (GrpCore *core)
{
  if (core->view->n_members == 1)
    return TRUE;
  return core->next_seq - 1 - core->flow_lo < core->cfg.max_lag &&
         (core->cfg.flow_bytes == 0 || core->flow_used < core->cfg.flow_bytes);
}

/* The stable point moved: what every member now holds leaves the count. */
static void
flow_advance (GrpCore *core)
{
  guint64 to = MAX (core->stable, core->view->seq);

  for (; core->flow_lo < to; core->flow_lo++)
    {
      GrpEntry *e = grp_log_get (core, core->flow_lo + 1);

      if (e != NULL)
        core->flow_used -= MIN (core->flow_used, grp_entry_size (e));
    }
  if (core->flow_lo + 1 >= core->next_seq)
    core->flow_used = 0; /* nothing in flight: no count can linger */
}

void
grp_normal_flow_reset (GrpCore *core)
{
  g_queue_clear_full (&core->held, (GDestroyNotify) grp_entry_unref);
  g_hash_table_remove_all (core->held_by);
  core->flow_lo = core->view->seq;
  core->flow_used = 0;
}

/* The next counter the leader takes from `origin`: after those held. */
static guint64
next_ctr_of (GrpCore *core,
             GrpId    origin)
{
  GrpHeld *h = g_hash_table_lookup (core->held_by, &origin);

  return (h != NULL ? h->last : seen_get (core, origin)) + 1;
}

/* `e`, the leader's own entry for a request (no position yet, its origin
 * set), takes the next position. */
static void
sequence_request (GrpCore  *core,
                  GrpEntry *e)
{
  e->seq = core->next_seq;
  e->view_id = core->view->id;
  core->flow_used += grp_entry_size (e);
  sequence_entry (core, e);
}

/* Sequences what waits, oldest first, as far as the bound lets it. */
static void
release_held (GrpCore *core)
{
  GrpEntry *e;

  while ((e = g_queue_peek_head (&core->held)) != NULL && grp_normal_can_sequence (core) &&
         flow_open (core))
    {
      GrpHeld *h = g_hash_table_lookup (core->held_by, &e->origin);

      g_queue_pop_head (&core->held);
      h->bytes -= MIN (h->bytes, grp_entry_size (e));
      if (--h->count == 0)
        g_hash_table_remove (core->held_by, &e->origin);
      /* Each origin's in order (own ones are numbered by the pending
       * queue); one that left the view meanwhile is done. */
      if (e->origin == core->self.id ||
          (grp_core_is_member (core, e->origin) && e->ctr == seen_get (core, e->origin) + 1))
        sequence_request (core, e);
      grp_entry_unref (e);
    }
}

/* Whether an origin with `count` requests of `bytes` held may have one
 * more of `size` held: at most a window of them (an honest member never
 * has more in flight), and flow_bytes of them, or one. */
static gboolean
held_has_room (GrpCore *core,
               guint    count,
               gsize    bytes,
               gsize    size)
{
  return count == 0 ||
         (count < grp_core_get_window (core) &&
          (core->cfg.flow_bytes == 0 || bytes + size <= core->cfg.flow_bytes));
}

/* A request with the counter its origin is due next (`e`: the leader's own
 * entry for it, origin set): sequenced now, or held while the bound is
 * reached or older ones wait.  FALSE if refused (held_has_room; it is sent
 * again). */
static gboolean
offer_request (GrpCore  *core,
               GrpEntry *e)
{
  GrpHeld *h;
  gsize size = grp_entry_size (e);

  if (core->held.length == 0 && flow_open (core))
    {
      sequence_request (core, e);
      return TRUE;
    }
  h = g_hash_table_lookup (core->held_by, &e->origin);
  if (h != NULL && !held_has_room (core, h->count, h->bytes, size))
    return FALSE;
  if (h == NULL)
    {
      h = g_new0 (GrpHeld, 1);
      g_hash_table_insert (core->held_by, g_memdup2 (&e->origin, sizeof e->origin), h);
    }
  h->last = e->ctr;
  h->count++;
  h->bytes += size;
  g_queue_push_tail (&core->held, grp_entry_ref (e));
  return TRUE;
}

void
grp_normal_sequence_own (GrpCore *core)
{
  GList *l = core->pending.tail;
  guint64 next = MAX (core->my_seq_ctr + 1, next_ctr_of (core, core->self.id));

  release_held (core);
  /* Own requests are sequenced in counter order: start after the last one
   * already in the log or held. */
  while (l != NULL && l->prev != NULL && ((GrpPending *) l->prev->data)->ctr >= next)
    l = l->prev;
  while (l != NULL && grp_normal_can_sequence (core))
    {
      GrpPending *p = l->data;

      l = l->next;
      if (p->ctr >= next)
        {
          g_autoptr(GrpEntry) e = grp_entry_new_data (0, core->view->id, core->self.id, p->ctr,
                                                      p->payload);

          if (!offer_request (core, e))
            break;
          next = p->ctr + 1;
        }
    }
  grp_normal_update_stable (core);
  grp_normal_deliver (core);
}

/* Whether most of a REQ's frame is not what the leader takes from it.
 * Entries share the frame they came in (no copy); a frame padded with
 * entries that are refused, or with one large one, would stay alive for
 * each small entry taken from it, in the held queue and the log, beyond
 * what their bounds count.  Those entries get a copy of their own.  An
 * entry counts as taken only if it is next in its origin's order and fits
 * in what the origin may have held (held_has_room), whether it is held or
 * not. */
static gboolean
mostly_unwanted (GrpCore *core,
                 GrpMsg  *msg)
{
  GPtrArray *entries = msg->req.entries;
  GrpHeld *h = g_hash_table_lookup (core->held_by, &msg->from);
  guint64 expect = next_ctr_of (core, msg->from);
  guint count = h != NULL ? h->count : 0;
  gsize bytes = h != NULL ? h->bytes : 0;
  gsize wanted = 0, frame = 0;

  for (guint i = 0; i < entries->len; i++)
    {
      GrpEntry *e = g_ptr_array_index (entries, i);
      gsize size = grp_entry_size (e);

      if (e->frame != NULL)
        frame = g_bytes_get_size (e->frame);
      if (e->kind != GRP_ENTRY_DATA || e->ctr != expect)
        continue;
      if (!held_has_room (core, count, bytes, size))
        break;
      wanted += size;
      bytes += size;
      count++;
      expect++;
    }
  /* An honest REQ is all wanted, and its frame is smaller than what its
   * entries count (a frame spends less than grp_entry_size's 40 bytes on
   * an entry): 64 bytes covers the frame's own header.  With 4 KiB here,
   * a member could make one entry of 41 bytes keep a frame of 4 KiB alive,
   * and the log's 4 MiB of entries (flow_bytes) keep 400 MiB. */
  return frame > 2 * wanted + 64;
}

/* REQ: to us as leader, from a member of the view.  Only the next of the
 * member's counter is taken: earlier ones are duplicates, later ones mean a
 * request was lost and will come again in order.  The origin is who sent
 * it, whatever the entries say. */
void
grp_normal_recv_req (GrpCore *core,
                     GrpMsg  *msg)
{
  GPtrArray *entries = msg->req.entries;
  gboolean copy;

  if (!grp_core_is_member (core, msg->from) || entries == NULL || !grp_normal_can_sequence (core))
    return; /* the member re-sends it, to whoever leads by then */
  release_held (core);
  copy = mostly_unwanted (core, msg);
  for (guint i = 0; i < entries->len && grp_normal_can_sequence (core); i++)
    {
      GrpEntry *req = g_ptr_array_index (entries, i);
      g_autoptr(GrpEntry) e = NULL;

      if (req->kind != GRP_ENTRY_DATA || req->ctr != next_ctr_of (core, msg->from))
        continue;
      if (copy)
        {
          gsize len;
          const guint8 *data = grp_entry_get_data (req, &len);
          g_autoptr(GBytes) payload = g_bytes_new (data, len);

          e = grp_entry_new_data (0, core->view->id, msg->from, req->ctr, payload);
        }
      else
        e = grp_entry_new_data_like (req, 0, core->view->id); /* a slice of its frame */
      e->origin = msg->from; /* whoever sent it, whatever the entry says */
      if (!offer_request (core, e))
        break;
    }
  grp_normal_update_stable (core);
  grp_normal_deliver (core);
}

/* ---- member side --------------------------------------------------------- */

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
  nak->nak.lo = core->recv_upto + 1;
  nak->nak.hi = MIN (core->high_known, core->recv_upto + core->cfg.max_batch);
  grp_core_send (core, grp_view_leader (core->view), nak);
}

/* What the leader says about stability and its clock.  A stable point
 * above what we hold is one we cannot have been told honestly; a stamp is
 * the leader's to echo, whatever it is. */
static void
note_leader (GrpCore *core,
             guint64  stable,
             gint64   stamp)
{
  stable = MIN (stable, core->recv_upto);
  if (stable > core->stable)
    core->stable = stable;
  core->leader_stamp = MAX (core->leader_stamp, stamp);
}

/* An entry the leader may send us: a position not too far ahead, assigned
 * in a view no newer than ours; a view entry only as the view it is. */
static gboolean
entry_ok (GrpCore  *core,
          GrpEntry *e)
{
  if (e->seq == 0 || e->seq > core->recv_upto + grp_log_max_ahead (core) ||
      e->view_id > core->view->id)
    return FALSE;
  if (e->kind == GRP_ENTRY_VIEW)
    return e->view != NULL && e->view->id == e->view_id && e->view->seq == e->seq;
  return e->kind == GRP_ENTRY_DATA;
}

/* SEQ: only from the leader of our view, and only while we have not
 * promised to replace it (frozen). */
void
grp_normal_recv_seq (GrpCore *core,
                     GrpMsg  *msg)
{
  GPtrArray *entries = msg->seq.entries;

  if (msg->from != grp_view_leader (core->view) || grp_core_i_lead (core) || core->frozen ||
      entries == NULL)
    return;
  for (guint i = 0; i < entries->len; i++)
    {
      GrpEntry *e = g_ptr_array_index (entries, i);

      if (entry_ok (core, e))
        grp_log_put (core, e);
    }
  note_leader (core, msg->seq.stable, msg->seq.stamp);
  maybe_nak (core);
  grp_normal_deliver (core);
  grp_normal_send_ack (core, FALSE);
}

/* HB: only from the leader of our view. */
void
grp_normal_recv_hb (GrpCore *core,
                    GrpMsg  *msg)
{
  if (msg->from != grp_view_leader (core->view) || grp_core_i_lead (core) || core->frozen)
    return;
  grp_log_note_high (core, msg->hb.high);
  note_leader (core, msg->hb.stable, msg->hb.stamp);
  maybe_nak (core);
  grp_normal_deliver (core);
  grp_normal_send_ack (core, FALSE);
}

static void
send_heartbeat (GrpCore *core)
{
  g_autoptr(GrpMsg) hb = grp_msg_new (GRP_MSG_HB, core->self.id, core->view->id);

  hb->hb.high = core->next_seq - 1;
  hb->hb.stable = core->stable;
  hb->hb.stamp = core->now;
  grp_core_send_view (core, hb);
  core->last_hb_at = core->now;
}

void
grp_normal_update_stable (GrpCore *core)
{
  guint64 s = core->recv_upto;

  if (!grp_core_i_lead (core))
    return;
  /* Called for every request and acknowledgement: the member that held
   * the stable point last time most likely still does (then it cannot
   * move), and the scan stops at the first one that does (s only falls). */
  if (core->stable_by != 0 && grp_core_peer (core, core->stable_by)->acked <= core->stable)
    return;
  core->stable_by = 0;
  for (guint i = 0; i < core->view->n_members && s > core->stable; i++)
    {
      GrpId id = core->view->members[i].id;
      guint64 acked;

      if (id == core->self.id)
        continue;
      acked = grp_core_peer (core, id)->acked;
      if (acked < s)
        {
          s = acked;
          core->stable_by = id;
        }
    }
  if (s <= core->stable)
    return;
  core->stable = s;
  flow_advance (core);
  release_held (core);
  if (core->cfg.delivery == GRP_DELIVERY_SAFE && core->view->n_members > 1)
    send_heartbeat (core); /* members wait for this to deliver: tell them now */
  grp_normal_deliver (core);
}

/* ACK: to us as leader, from a member of the view.  It cannot hold more
 * than we sequenced, nor echo a stamp we have not sent yet. */
void
grp_normal_recv_ack (GrpCore *core,
                     GrpMsg  *msg)
{
  GrpPeer *peer;

  if (!grp_core_i_lead (core) || !grp_core_is_member (core, msg->from))
    return;
  peer = grp_core_peer (core, msg->from);
  peer->acked = MAX (peer->acked, MIN (msg->ack.recv_upto, core->recv_upto));
  if (msg->ack.stamp <= core->now && msg->ack.stamp > peer->echo)
    {
      peer->echo = msg->ack.stamp;
      core->lease_at = G_MININT64; /* the lease is checked again */
    }
  grp_normal_update_stable (core);
}

/* NAK: to us as leader, from a member of the view; at most max_batch
 * positions are sent back, from what the log holds. */
void
grp_normal_recv_nak (GrpCore *core,
                     GrpMsg  *msg)
{
  g_autoptr(GrpMsg) reply = NULL;
  guint64 lo = msg->nak.lo, hi = msg->nak.hi;

  if (!grp_core_i_lead (core) || !grp_core_is_member (core, msg->from) || lo == 0 || hi < lo)
    return;
  hi = MIN (hi, lo + core->cfg.max_batch - 1);
  reply = grp_msg_new (GRP_MSG_SEQ, core->self.id, core->view->id);
  reply->seq.stable = core->stable;
  reply->seq.stamp = core->now;
  grp_log_collect (core, reply, lo, hi);
  if (reply->seq.entries != NULL)
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
  ack->ack.recv_upto = core->recv_upto;
  ack->ack.has_state = core->has_state;
  /* A member that promised (frozen) no longer grants the old leader its
   * lease: a view without it may be under way, and the stamp would renew
   * the lease when this ACK arrives late (test
   * /core/promised-member-echoes-no-stamp).  The leader cannot use it
   * anyway: it neither sequences during its own view change nor may a
   * frozen member take its SEQs. */
  ack->ack.stamp = core->frozen ? 0 : core->leader_stamp;
  grp_core_send (core, grp_view_leader (core->view), ack);
  core->last_ack_sent = core->recv_upto;
  core->last_ack_at = core->now;
}

/* A REQ carries requests as entries with no position; batched, one REQ
 * gathers a turn's requests. */
static void
send_req (GrpCore    *core,
          GrpPending *p)
{
  GrpId leader = grp_view_leader (core->view);
  g_autoptr(GrpEntry) e = grp_entry_new_data (0, core->view->id, core->self.id, p->ctr, p->payload);

  p->sent_at = core->now;
  if (!core->cfg.batch)
    {
      g_autoptr(GrpMsg) req = grp_msg_new (GRP_MSG_REQ, core->self.id, core->view->id);

      grp_msg_add_entry (req, e);
      grp_core_send (core, leader, req);
      return;
    }
  if (core->out_req != NULL &&
      (core->out_req_to != leader || core->out_req->view != core->view->id ||
       batch_full (core, core->out_req_bytes, e)))
    grp_core_flush_batches (core);
  if (core->out_req == NULL)
    {
      core->out_req = grp_msg_new (GRP_MSG_REQ, core->self.id, core->view->id);
      core->out_req_to = leader;
      core->out_req_bytes = 0;
    }
  grp_msg_add_entry (core->out_req, e);
  core->out_req_bytes += grp_entry_size (e);
  if (core->out_req->req.entries->len >= core->cfg.max_batch)
    grp_core_flush_batches (core);
}

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

void
grp_normal_tick (GrpCore *core)
{
  if (grp_core_i_lead (core))
    {
      if (core->now - core->last_hb_at >= core->cfg.heartbeat_interval)
        send_heartbeat (core);
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

  g_return_val_if_fail (payload != NULL, 0);
  core->now = now;
  if (core->status != GRP_STATUS_MEMBER || core->leaving || core->leave_wanted)
    {
      g_set_error (error, GRP_CORE_ERROR, GRP_CORE_ERROR_NOT_MEMBER,
                   "Not a member of a group yet: wait for the join to complete");
      return 0;
    }
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
  else if (core->view != NULL && !core->frozen && core->vc == GRP_VC_NONE &&
           !grp_core_i_lead (core))
    send_req (core, p); /* earlier ones were sent when made, or wait for the tick */
  if (!core->cfg.batch)
    grp_core_flush_batches (core);
  return ctr;
}
