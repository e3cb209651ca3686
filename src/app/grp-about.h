/* grp-about.h: the About window, shared by the member window and the
 * console. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void grp_show_about (GtkWindow *parent);

G_END_DECLS
