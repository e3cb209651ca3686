/* grp-member-tile.h: one member in the console: its color, name, role,
 * view and last position, how it is, and its Crash, Freeze and Leave. */
#pragma once

#include <gtk/gtk.h>

#include "grp-supervisor.h"

G_BEGIN_DECLS

#define GRP_TYPE_MEMBER_TILE (grp_member_tile_get_type ())
G_DECLARE_FINAL_TYPE (GrpMemberTile, grp_member_tile, GRP, MEMBER_TILE, GtkWidget)

/* The freeze lasts `*freeze_seconds` (the console's setting) when pressed. */
GtkWidget *grp_member_tile_new (GrpSupervisor *supervisor, GrpMemberInfo *member,
                                const guint *freeze_seconds);

G_END_DECLS
