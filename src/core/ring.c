/* ring.c: the log's storage (ring.h). */
#include "ring.h"

#define RING_MIN 1024

void
grp_ring_init (GrpRing *ring)
{
  ring->cap = RING_MIN;
  ring->slots = g_new0 (GrpEntry *, ring->cap);
  ring->count = 0;
  ring->min = ring->max = 0;
}

void
grp_ring_clear (GrpRing *ring)
{
  for (guint64 i = 0; i < ring->cap && ring->count > 0; i++)
    if (ring->slots[i] != NULL)
      {
        g_clear_pointer (&ring->slots[i], grp_entry_unref);
        ring->count--;
      }
  g_clear_pointer (&ring->slots, g_free);
}

GrpEntry *
grp_ring_get (const GrpRing *ring,
              guint64        seq)
{
  GrpEntry *e = ring->slots[seq & (ring->cap - 1)];

  return e != NULL && e->seq == seq ? e : NULL;
}

static void
grow (GrpRing *ring,
      guint64  span)
{
  guint64 cap = ring->cap;
  GrpEntry **slots;

  while (cap < span)
    cap *= 2;
  slots = g_new0 (GrpEntry *, cap);
  for (guint64 i = 0; i < ring->cap; i++)
    if (ring->slots[i] != NULL)
      slots[ring->slots[i]->seq & (cap - 1)] = ring->slots[i];
  g_free (ring->slots);
  ring->slots = slots;
  ring->cap = cap;
}

gboolean
grp_ring_put (GrpRing  *ring,
              GrpEntry *entry,
              guint64   limit)
{
  guint64 lo = entry->seq, hi = entry->seq;
  GrpEntry **slot;

  if (ring->count > 0)
    {
      lo = MIN (lo, ring->min);
      hi = MAX (hi, ring->max);
    }
  if (hi - lo + 1 > limit)
    return FALSE;
  if (hi - lo + 1 > ring->cap)
    grow (ring, hi - lo + 1);
  slot = &ring->slots[entry->seq & (ring->cap - 1)];
  if (*slot != NULL)
    grp_entry_unref (*slot); /* the same position: nothing else fits here */
  else
    ring->count++;
  *slot = grp_entry_ref (entry);
  ring->min = lo;
  ring->max = hi;
  return TRUE;
}

void
grp_ring_remove (GrpRing *ring,
                 guint64  seq)
{
  GrpEntry **slot;

  if (ring->count == 0 || seq < ring->min || seq > ring->max)
    return;
  slot = &ring->slots[seq & (ring->cap - 1)];
  if (*slot != NULL && (*slot)->seq == seq)
    {
      g_clear_pointer (slot, grp_entry_unref);
      ring->count--;
    }
  /* Keep [min, max] tight at the ends, where trims and truncations cut. */
  if (ring->count == 0)
    ring->min = ring->max = 0;
  else if (seq == ring->min)
    ring->min++;
  else if (seq == ring->max)
    ring->max--;
}

void
grp_ring_remove_range (GrpRing *ring,
                       guint64  lo,
                       guint64  hi)
{
  if (ring->count == 0)
    return;
  lo = MAX (lo, ring->min);
  hi = MIN (hi, ring->max);
  for (guint64 s = lo; s <= hi && ring->count > 0; s++)
    {
      /* Entries leave the log long after they came: their memory is cold.
       * Ask for the one a few positions on while freeing this one. */
      GrpEntry *ahead = ring->slots[(s + 8) & (ring->cap - 1)];

      if (ahead != NULL)
        __builtin_prefetch (ahead);
      grp_ring_remove (ring, s);
    }
}
