/* log.c: which entry holds each position (log.h). */
#include "core.h"
#include "log.h"

GrpEntry *
grp_log_get (GrpCore *core,
             guint64  seq)
{
  return grp_ring_get (&core->log, seq);
}

guint64
grp_log_max_ahead (GrpCore *core)
{
  return core->cfg.max_lag + core->cfg.max_batch + 1;
}

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
    return; /* never rewrite a position we may have delivered or reported */
  /* The span the ring may hold: generous (a leader's log spans everything
   * since the stable point, which a member about to be excluded for lag
   * holds back), but bounded. */
  if (!grp_ring_put (&core->log, entry, MAX (4 * grp_log_max_ahead (core), 1 << 20)))
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

void
grp_log_note_high (GrpCore *core,
                   guint64  high)
{
  high = MIN (high, core->recv_upto + grp_log_max_ahead (core));
  if (high > core->high_known)
    core->high_known = high;
}

gboolean
grp_log_collect (GrpCore *core,
                 GrpMsg  *msg,
                 guint64  lo,
                 guint64  hi)
{
  gsize size = core->cfg.max_msg_bytes != 0 ? grp_msg_entries_size (msg) : 0;
  gboolean any = size > 0;

  if (core->log.count == 0)
    return TRUE;
  lo = MAX (lo, core->log.min);
  hi = MIN (hi, core->log.max);
  for (guint64 s = lo; s <= hi && s != 0; s++)
    {
      GrpEntry *e = grp_log_get (core, s);

      if (e == NULL)
        continue;
      if (core->cfg.max_msg_bytes != 0)
        {
          gsize more = grp_entry_size (e);

          if (any && size + more > core->cfg.max_msg_bytes)
            return FALSE; /* the rest another time */
          size += more;
        }
      grp_msg_add_entry (msg, e);
      any = TRUE;
    }
  return TRUE;
}
