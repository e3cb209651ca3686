/* grp-window.h: one worker's window, painted in the group's color. */
#pragma once

#include <adwaita.h>

#include "grp-worker.h"

G_BEGIN_DECLS

#define GRP_TYPE_WINDOW (grp_window_get_type ())
G_DECLARE_FINAL_TYPE (GrpWindow, grp_window, GRP, WINDOW, AdwApplicationWindow)

/* `color_rate`: new colors a second, at most (0: every delivery); `slot`:
 * the place on the screen (grp_place_in_slot), -1 to let the desktop
 * choose. */
GrpWindow *grp_window_new (GtkApplication *app, GrpWorker *worker, guint color_rate, int slot);
GrpWorker *grp_window_get_worker (GrpWindow *self);

G_END_DECLS
