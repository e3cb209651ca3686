/* grp-group-private.h: what the tree's own programs use of GrpGroup beyond
 * the public API.  Not installed, not exported from libgroupy.so: the worker
 * and groupy-bench link the static library. */
#pragma once

#include "grp-group.h"

G_BEGIN_DECLS

/* Crash injection (the Groupy exercise's fault): the next broadcast this
 * member sends as leader reaches `frames` peers, then `func` runs (it is
 * expected to kill the process).  `func` NULL disarms. */
void grp_group_arm_crash (GrpGroup *self, guint frames, void (*func) (gpointer),
                          gpointer user_data);

/* The protocol this member runs (grp-proto.h): "groupy" (the default), or
 * one of the exercise's stages, "gms1" to "gms4".  Every member of a group
 * runs the same one; a member of another is refused when they meet
 * (GRP_GROUP_ERROR_PROTOCOL).  Before listening.  Fails, with
 * GRP_GROUP_ERROR_PROTOCOL, for a name that is none, or a protocol without
 * safe delivery when safe delivery was asked for. */
gboolean    grp_group_set_protocol (GrpGroup *self, const char *name, GError **error);
const char *grp_group_get_protocol (GrpGroup *self);

/* Why `name` is not in the last view delivered (one of the view-changed
 * signal's `left`), as far as this member knew when it installed it, as the
 * nick of grp_group_get_departure's value: "left"
 * (it said so), "crashed" (its process ended), "silent" (nothing heard for
 * the suspicion timeout), "slow" (it did not keep pace), "left-out" (the
 * others left it out); NULL if not known (the exercise's stages). */
const char *grp_group_get_departure_nick (GrpGroup *self, const char *name);

/* How many member names this member keeps: the last view's, and any of
 * members gone that a delivery under way may still point to.  For tests:
 * it must not grow with the joins a group has seen. */
guint       grp_group_get_n_known_names (GrpGroup *self);

/* How long a member given the suspicion timeout `suspect_ms` may take to
 * leave (ms): its leave timeout.  The demo's supervisor gives a member it
 * asked to leave that long and more before it takes it for stuck. */
guint64     grp_group_leave_timeout_ms (guint suspect_ms);

G_END_DECLS
