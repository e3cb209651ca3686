/* grp-place.c: window positions on X11. */
#include "grp-place.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

#define GAP 6

static int beside_w, beside_h;

void
grp_place_set_beside (int width, int height)
{
  beside_w = MAX (width, 0);
  beside_h = MAX (height, 0);
}

static void
move_to (GtkWindow *window, int x, int y)
{
#ifdef GDK_WINDOWING_X11
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));

  if (surface == NULL || !GDK_IS_X11_DISPLAY (display))
    return;
  XMoveWindow (gdk_x11_display_get_xdisplay (display), gdk_x11_surface_get_xid (surface), x, y);
#endif
}

/* Cell `cell` of the grid: from the top-right corner, right to left, then
 * down; whether it is clear of the console's place. */
static gboolean
cell_at (const GdkRectangle *area, int w, int h, int cols, int cell, int *x, int *y)
{
  *x = area->x + area->width - (cell % cols + 1) * w;
  *y = area->y + (cell / cols) * h;
  return *x >= area->x + beside_w || *y >= area->y + beside_h;
}

void
grp_place_in_slot (GtkWindow *window, int slot)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  GdkMonitor *monitor;
  GdkRectangle area;
  int w, h, cols, cells, clear = 0, n, x, y;

  if (surface == NULL || slot < 0)
    return;
  monitor = gdk_display_get_monitor_at_surface (display, surface);
  if (monitor == NULL)
    return;
  gdk_monitor_get_geometry (monitor, &area);
  gtk_window_get_default_size (window, &w, &h);
  w = MAX (w, gtk_widget_get_width (GTK_WIDGET (window))) + GAP;
  h = MAX (h, gtk_widget_get_height (GTK_WIDGET (window))) + GAP;
  cols = MAX (1, area.width / w);
  cells = cols * MAX (1, area.height / h);
  for (int cell = 0; cell < cells; cell++)
    clear += cell_at (&area, w, h, cols, cell, &x, &y);
  /* The n-th clear cell (every cell counts when none is clear). */
  n = slot % (clear > 0 ? clear : cells);
  for (int cell = 0; cell < cells; cell++)
    if ((cell_at (&area, w, h, cols, cell, &x, &y) || clear == 0) && n-- == 0)
      {
        move_to (window, x, y);
        return;
      }
}

void
grp_place_at_origin (GtkWindow *window)
{
  move_to (window, 0, 0);
}
