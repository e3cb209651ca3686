/* gms4.c: the report's own next step: ask for what is missing.
 *
 * As gms3, and a slave that receives a message numbered beyond the one it
 * expects holds it and asks the leader for the numbers in between (NAK);
 * every member keeps its last HISTORY deliveries, so the leader -- or the
 * next one -- can send them again.  A lost message is no longer skipped.
 * What is left: a slow leader taken for dead still gives the same numbers
 * to different messages, and a new leader that lacks the last messages of
 * the old one (TCP loses what a dying process had not yet sent) numbers
 * new ones over them.  docs/PROTOCOL.md says what it takes to close those. */
#include "grp-stages.h"
#include "stage.h"

/* Deliveries each member keeps to send again, and messages it holds beyond
 * a gap, at most. */
#define HISTORY 1024
/* Numbers asked for in one NAK, and sent again in one answer, at most. */
#define MAX_ASK 256

static void elect (GrpStage *s);

static gboolean
from_next_leader (GrpStage *s, const GrpView *view)
{
  return grp_view_leader (view) == grp_stage_next_leader (s) &&
         !grp_view_contains (view, grp_stage_leader (s));
}

static void
deliver (GrpStage *s, GrpEntry *e)
{
  grp_stage_deliver (s, e, e->seq);
  g_clear_pointer (&s->last, grp_entry_unref);
  s->last = grp_entry_ref (e);
}

/* Ask the leader for what lies between what we delivered and the first
 * message we hold (at most once per retry interval). */
static void
ask (GrpStage *s)
{
  g_autoptr(GrpMsg) nak = NULL;
  GHashTableIter it;
  gpointer key;
  guint64 first = G_MAXUINT64;

  if (g_hash_table_size (s->held) == 0 || s->now - s->last_nak_sent < s->cfg.retry_interval)
    return;
  g_hash_table_iter_init (&it, s->held);
  while (g_hash_table_iter_next (&it, &key, NULL))
    first = MIN (first, *(guint64 *) key);
  nak = grp_msg_new (GRP_MSG_NAK, s->self.id, s->view != NULL ? s->view->id : 0);
  nak->nak.lo = s->delivered + 1;
  nak->nak.hi = MIN (first - 1, nak->nak.lo + MAX_ASK - 1);
  s->last_nak_sent = s->now;
  g_debug ("%s: asks for %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, s->self.name, nak->nak.lo,
           nak->nak.hi);
  grp_stage_send (s, grp_stage_leader (s), nak);
}

static void
recv_seq (GrpStage *s, GrpId from, GrpEntry *e)
{
  GrpEntry *next;
  guint64 want;

  if (e->kind == GRP_ENTRY_VIEW)
    {
      if (!grp_view_contains (e->view, s->self.id))
        return;
      if (from_next_leader (s, e->view))
        elect (s);
      if (s->status != GRP_STATUS_MEMBER)
        return; /* a handler left on the view the election announced */
      if (!grp_stage_led_by_leader (s, e->view))
        return;
    }
  if (e->seq < s->delivered + 1)
    return; /* a duplicate */
  if (e->seq > s->delivered + 1)
    {
      if (g_hash_table_size (s->held) < HISTORY)
        g_hash_table_replace (s->held, g_memdup2 (&e->seq, sizeof e->seq), grp_entry_ref (e));
      ask (s);
      return;
    }
  deliver (s, e);
  /* What we held behind the gap, as far as it goes on (and while a
   * handler has not left). */
  want = s->delivered + 1;
  while (s->status == GRP_STATUS_MEMBER && (next = g_hash_table_lookup (s->held, &want)) != NULL)
    {
      g_autoptr(GrpEntry) held = grp_entry_ref (next);

      g_hash_table_remove (s->held, &want);
      deliver (s, held);
      want = s->delivered + 1;
    }
  ask (s);
}

/* Someone asks for numbers it missed: send what we still keep. */
static void
recv_other (GrpStage *s, GrpMsg *msg)
{
  g_autoptr(GrpMsg) again = NULL;

  if (msg->type != GRP_MSG_NAK || msg->nak.lo > msg->nak.hi)
    return;
  again = grp_msg_new (GRP_MSG_SEQ, s->self.id, s->view != NULL ? s->view->id : 0);
  for (guint64 n = msg->nak.lo; n <= msg->nak.hi && n - msg->nak.lo < MAX_ASK; n++)
    {
      GrpEntry *e = g_hash_table_lookup (s->history, &n);
      gsize size = grp_msg_entries_size (again);

      if (e == NULL)
        continue;
      /* One message must fit in a frame: the asker asks again for the rest. */
      if (size > 0 && s->cfg.max_msg_bytes != 0 &&
          size + grp_entry_size (e) > s->cfg.max_msg_bytes)
        break;
      grp_msg_add_entry (again, e);
    }
  if (grp_msg_entries (again)->len > 0)
    grp_stage_send (s, msg->from, again);
}

static void
tick (GrpStage *s)
{
  ask (s);
}

/* As gms3's: the new leader re-sends the last message, then its view. */
static void
elect (GrpStage *s)
{
  grp_stage_drop_leader (s);
  g_hash_table_remove_all (s->held); /* the next leader's numbers follow its own */
  if (!grp_stage_i_lead (s))
    return;
  if (s->last != NULL)
    grp_stage_bcast (s, s->last);
  grp_stage_announce (s);
}

static const GrpStageKind kind = {
  .numbered = TRUE,
  .recv_seq = recv_seq,
  .leader_lost = elect,
  .recv_other = recv_other,
  .tick = tick,
  .history = HISTORY,
};

static GrpProto *
gms4_new (const GrpCoreConfig *config, const GrpMember *self)
{
  return grp_stage_new (&kind, config, self);
}

const GrpProtoClass grp_gms4_class = {
  .name = "gms4",
  .summary = "gms3, and members ask the leader for the messages they miss (a lost message is "
             "mended; a slow leader taken for dead still breaks it)",
  .new = gms4_new,
  GRP_STAGE_METHODS,
};
