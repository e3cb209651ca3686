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

G_END_DECLS
