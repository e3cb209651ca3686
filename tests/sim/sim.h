/* sim.h: a deterministic simulated cluster of protocol cores.
 *
 * One virtual clock; a heap of events (message arrivals, ticks, crash
 * reports) fired earliest first; links that keep FIFO order but delay each
 * message differently, lose and duplicate messages; partitions; kills that
 * cut a broadcast part-way and lose part of what the dead process had sent;
 * pauses that provoke false suspicion; joins, leaves and rejoins at any time.
 * On top runs the Groupy worker: every member multicasts `change N` and on
 * delivery sets (R,G,B) := (G, B, (R+N) mod 256).  The invariants of
 * docs/PROTOCOL.md are checked after every step.  Everything is drawn from
 * one seeded generator, so a seed replays exactly.
 */
#pragma once

#include "grp-core.h"

typedef struct {
  guint64 seed;
  guint members;          /* 0: drawn per seed from 3..6 */
  int delivery;           /* -1: drawn per seed */
  GrpProtocol protocol;
  gboolean trace;         /* keep a readable trace of every step */
} SimOptions;

typedef struct {
  gboolean ok;
  char *violation;        /* the first violation, or NULL */
  GString *trace;         /* when options.trace */
  guint64 events;
  guint64 deliveries;
  guint kills;
  guint leader_kills;
  guint pauses;
  guint partitions;
  guint joins;
  guint views;
  guint blocked;
  gboolean lost;          /* no unblocked member survived: the group is gone */          /* survivors left without a majority (must block) */
  gint64 end_time;
} SimResult;

void sim_run (const SimOptions *options, SimResult *result);
void sim_result_clear (SimResult *result);
