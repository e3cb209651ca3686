/* ring.h: the log's storage, a ring of entries indexed by position.
 *
 * A slot holds the entry whose position maps to it (seq & (cap - 1)); the
 * entry's own seq tells whether the slot holds the position asked for.  The
 * ring doubles when the positions held no longer fit, so lookups, inserts
 * and trims are O(1) with no allocation per entry.  Every position held is
 * in [min, max]; a put that would stretch that span beyond a limit is
 * refused, so a bogus position cannot make the ring allocate without bound.
 */
#pragma once

#include "grp-msg.h"

typedef struct {
  GrpEntry **slots;  /* cap slots; position s lives at s & (cap - 1) */
  guint64 cap;       /* a power of two */
  guint64 count;
  guint64 min, max;  /* every position held is in [min, max] */
} GrpRing;

void       grp_ring_init (GrpRing *ring);
void       grp_ring_clear (GrpRing *ring);
/* The entry at `seq`, or NULL. */
GrpEntry  *grp_ring_get (const GrpRing *ring, guint64 seq);
/* Takes a reference to `entry`, replacing what holds its position.  FALSE
 * (and nothing changes) if the positions held would span more than
 * `limit`. */
gboolean   grp_ring_put (GrpRing *ring, GrpEntry *entry, guint64 limit);
void       grp_ring_remove (GrpRing *ring, guint64 seq);
/* Removes every position in [lo, hi]; costs the positions held, not
 * hi - lo. */
void       grp_ring_remove_range (GrpRing *ring, guint64 lo, guint64 hi);
