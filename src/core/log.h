/* log.h: the member's log of positions.
 *
 * Invariants kept by these functions:
 *  - no entry is held below log_lo (trimmed: stable and delivered);
 *  - every position in [log_lo, recv_upto] is held: recv_upto is the
 *    highest position held with none missing below it;
 *  - an entry is replaced only by an entry of a newer view, and never at or
 *    below recv_upto (what may have been delivered or reported stays);
 *  - high_known is at least every position held;
 *  - the positions held span a bounded range, and loops over positions run
 *    over what the ring holds, so a peer's numbers bound neither memory nor
 *    time; the data path takes positions at most grp_log_max_ahead() above
 *    recv_upto.
 */
#pragma once

#include "grp-core.h"

GrpEntry  *grp_log_get (GrpCore *core, guint64 seq);
/* Keeps `entry` (a reference) unless the rules above refuse it; advances
 * recv_upto over every position now held without a gap. */
void       grp_log_put (GrpCore *core, GrpEntry *entry);
/* Drops every position from `seq` on: a newly agreed view starts there. */
void       grp_log_truncate_from (GrpCore *core, guint64 seq);
/* Forgets what every member holds and we delivered. */
void       grp_log_trim (GrpCore *core);
/* How far above recv_upto an honest leader's positions can be: a member is
 * excluded when it lags by more than max_lag. */
guint64    grp_log_max_ahead (GrpCore *core);
/* A peer says position `high` exists (bounded as above). */
void       grp_log_note_high (GrpCore *core, guint64 high);
/* Adds to `msg` the entries held in [lo, hi], in order, as long as the
 * message stays within max_msg_bytes (it always takes one entry): FALSE if
 * it stopped short (the receiver asks again for the rest). */
gboolean   grp_log_collect (GrpCore *core, GrpMsg *msg, guint64 lo, guint64 hi);
