/* sim.h: the randomized campaign on the simulated cluster (fixture.h).
 *
 * Each seed builds a group on the fixture and, for a fault phase, throws
 * at it what processes and networks do: kills (the leader most often),
 * pauses past the suspicion timeout, partitions that stall or break
 * connections, one-way cuts, backed-up links, reconnections, false
 * suspicions, joins, leaves, clusters of faults within a few ms, and an
 * adversary that strikes while a view change is under way (it holds the
 * proposer's links, resumes stopped members, kills the proposer and
 * another member).  Then the faults stop and the group must converge,
 * unless it is rightly blocked (fixture.h).  Every invariant is checked
 * after every step.
 */
#pragma once

#include "fixture.h"

typedef struct {
  guint64 seed;
  guint members;          /* 0: drawn per seed from 3..6 */
  int delivery;           /* -1: drawn per seed */
  const GrpProtoClass *protocol; /* NULL: the real one */
  gboolean trace;         /* keep a readable trace of every step */
} SimOptions;

typedef struct {
  gboolean ok;
  char *violation;        /* the first violation, or NULL */
  char *trace;            /* when options.trace */
  GrpFixtureStats stats;
  guint joins;
  guint partitions;
  guint traps;
  guint blocked;          /* members up at the end and rightly blocked */
  gboolean lost;          /* every member up at the end is rightly blocked */
  gint64 end_time;
} SimResult;

void sim_run (const SimOptions *options, SimResult *result);
void sim_result_clear (SimResult *result);
