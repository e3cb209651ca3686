/* grp-color-view.h: a widget painted in one color (its "color" property,
 * 0xRRGGBB) under one child, for binding to the worker's color.  A new
 * color eases in over "transition" ms, or at once where the desktop asks
 * for no animations (gtk-enable-animations). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GRP_TYPE_COLOR_VIEW (grp_color_view_get_type ())
G_DECLARE_FINAL_TYPE (GrpColorView, grp_color_view, GRP, COLOR_VIEW, GtkWidget)

guint32    grp_color_view_get_color (GrpColorView *self);
void       grp_color_view_set_color (GrpColorView *self, guint32 color);
GtkWidget *grp_color_view_get_child (GrpColorView *self);
void       grp_color_view_set_child (GrpColorView *self, GtkWidget *child);
void       grp_color_view_set_transition (GrpColorView *self, guint ms);

G_END_DECLS
