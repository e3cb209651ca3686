/* grp-window.h: one worker's window, painted in the group's color. */
#pragma once

#include <gtk/gtk.h>

#include "grp-worker.h"

G_BEGIN_DECLS

#define GRP_TYPE_WINDOW (grp_window_get_type ())
G_DECLARE_FINAL_TYPE (GrpWindow, grp_window, GRP, WINDOW, GtkApplicationWindow)

GrpWindow *grp_window_new (GtkApplication *app, GrpWorker *worker);

G_END_DECLS
