/* grp-place.c: window positions on X11. */
#include "grp-place.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

#define GAP 6

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

void
grp_place_in_slot (GtkWindow *window, int slot)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  GdkMonitor *monitor;
  GdkRectangle area;
  int w, h, cols, rows;

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
  rows = MAX (1, area.height / h);
  slot %= cols * rows;
  move_to (window, area.x + area.width - (slot % cols + 1) * w, area.y + (slot / cols) * h);
}

void
grp_place_at_origin (GtkWindow *window)
{
  move_to (window, 0, 0);
}
