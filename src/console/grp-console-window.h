/* grp-console-window.h: the group console's window. */
#pragma once

#include <adwaita.h>

#include "grp-supervisor.h"

G_BEGIN_DECLS

#define GRP_TYPE_CONSOLE_WINDOW (grp_console_window_get_type ())
G_DECLARE_FINAL_TYPE (GrpConsoleWindow, grp_console_window, GRP, CONSOLE_WINDOW,
                      AdwApplicationWindow)

/* Starts a group of `n_members` as `config` says (taken over). */
GrpConsoleWindow *grp_console_window_new (GtkApplication       *app,
                                          GrpSupervisorConfig  *config,
                                          guint                 n_members,
                                          GError              **error);
GrpSupervisor    *grp_console_window_get_supervisor (GrpConsoleWindow *self);

G_END_DECLS
