/* grp-history-view.h: a strip of the colors after the last deliveries,
 * oldest on the left, so windows can be compared at a glance. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GRP_TYPE_HISTORY_VIEW (grp_history_view_get_type ())
G_DECLARE_FINAL_TYPE (GrpHistoryView, grp_history_view, GRP, HISTORY_VIEW, GtkWidget)

void grp_history_view_set_colors (GrpHistoryView *self, const guint32 *colors, guint n);

G_END_DECLS
