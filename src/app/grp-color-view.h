/* grp-color-view.h: a widget that is one color (its "color" property,
 * 0xRRGGBB), for binding to the worker's color. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GRP_TYPE_COLOR_VIEW (grp_color_view_get_type ())
G_DECLARE_FINAL_TYPE (GrpColorView, grp_color_view, GRP, COLOR_VIEW, GtkWidget)

guint32 grp_color_view_get_color (GrpColorView *self);
void    grp_color_view_set_color (GrpColorView *self, guint32 color);

G_END_DECLS
