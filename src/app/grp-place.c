/* grp-place.c: window positions on X11. */
#include "grp-place.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#include <X11/Xatom.h>
#endif

#define GAP 6
/* The console's window: its size where there is room (as in
 * ui/grp-console-window.ui), and how much of a member window in the column
 * left of the right-most one shows at least where there is not. */
#define CONSOLE_WIDTH 1100
#define CONSOLE_HEIGHT 720
#define MEMBER_WIDTH 340
#define SHOWN 200
/* Narrower, the console's tiles and story no longer fit side by side
 * (tests/test-window.c tries it at 800x560): windows cover it then. */
#define CONSOLE_MIN_WIDTH 640
/* The cells the demo fills: its five members and one added; past them the
 * places are taken again. */
#define COLUMNS 2
#define ROWS 3

static int beside_w, beside_h;

void
grp_place_set_beside (int width, int height)
{
  beside_w = MAX (width, 0);
  beside_h = MAX (height, 0);
}

/* The part of the monitor (of `surface`, or the primary one) that windows
 * may take: on X11 the work area, without the desktop's panels. */
static gboolean
monitor_area (GdkDisplay *display, GdkSurface *surface, GdkRectangle *area)
{
  GdkMonitor *monitor = NULL;
  g_autoptr(GdkMonitor) first = NULL;

  if (surface != NULL)
    monitor = gdk_display_get_monitor_at_surface (display, surface);
#ifdef GDK_WINDOWING_X11
  if (monitor == NULL && GDK_IS_X11_DISPLAY (display))
    monitor = gdk_x11_display_get_primary_monitor (display);
#endif
  if (monitor == NULL)
    monitor = first = g_list_model_get_item (gdk_display_get_monitors (display), 0);
  if (monitor == NULL)
    return FALSE;
  gdk_monitor_get_geometry (monitor, area);
#ifdef GDK_WINDOWING_X11
  if (GDK_IS_X11_MONITOR (monitor))
    {
      GdkRectangle work;

      gdk_x11_monitor_get_workarea (monitor, &work);
      if (work.width > 0 && work.height > 0)
        *area = work;
    }
#endif
  return area->width > 0 && area->height > 0;
}

void
grp_place_console_size (GdkDisplay *display, int *width, int *height)
{
  GdkRectangle area;

  *width = CONSOLE_WIDTH;
  *height = CONSOLE_HEIGHT;
  if (display == NULL || !monitor_area (display, NULL, &area))
    return;
  /* Two columns of member windows beside it, side by side where there is
   * room, else the left one partly under the right one. */
  *width = MIN (CONSOLE_WIDTH, MAX (area.width - GAP * 2 - COLUMNS * (MEMBER_WIDTH + GAP),
                                    area.width - GAP * 2 - (MEMBER_WIDTH + GAP) - SHOWN));
  *width = MAX (*width, CONSOLE_MIN_WIDTH);
  /* A narrow console takes the whole height: its story needs the room. */
  *height = *width < CONSOLE_WIDTH ? area.height : MIN (CONSOLE_HEIGHT, area.height);
}

/* Puts what is seen of `window` at `x`, `y`.  Under a compositing window
 * manager (GNOME's) GTK draws the window's shadow inside its X window, 61
 * px left and right, 55 above and 67 below with Adwaita, and says so in
 * _GTK_FRAME_EXTENTS: the X window goes that much up and left.  Moved by
 * its X window's corner, each window stood 61 px right of and 55 px below
 * its place, past the screen's right and bottom edges.  Without a
 * compositor there is no shadow, and the window's content lies inside a
 * visible frame (Adwaita's solid-csd: 5 px) that is part of what is seen. */
static void
move_to (GtkWindow *window, int x, int y)
{
#ifdef GDK_WINDOWING_X11
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  double left = 0, top = 0;

  if (surface == NULL || !GDK_IS_X11_DISPLAY (display))
    return;
  /* GTK draws a shadow with a compositor and a window manager that knows
   * _GTK_FRAME_EXTENTS. */
  if (gdk_display_is_composited (display) &&
      gdk_x11_screen_supports_net_wm_hint (gdk_x11_display_get_screen (display),
                                           "_GTK_FRAME_EXTENTS"))
    gtk_native_get_surface_transform (GTK_NATIVE (window), &left, &top);
  XMoveWindow (gdk_x11_display_get_xdisplay (display), gdk_x11_surface_get_xid (surface),
               x - (int) left, y - (int) top);
#endif
}

#ifdef GDK_WINDOWING_X11
/* What is seen of the top-level X window `xid` (`a`, its geometry): the
 * whole, less the shadow a GTK window says it draws inside (move_to). */
static void
seen_part (Display *xdisplay, Window xid, XWindowAttributes *a)
{
  Atom type;
  int format;
  unsigned long n = 0, after;
  unsigned char *data = NULL;

  if (XGetWindowProperty (xdisplay, xid, XInternAtom (xdisplay, "_GTK_FRAME_EXTENTS", False), 0,
                          4, False, XA_CARDINAL, &type, &format, &n, &after, &data) == Success &&
      type == XA_CARDINAL && format == 32 && n == 4)
    {
      long *e = (long *) data;     /* left, right, top, bottom */

      a->x += (int) e[0];
      a->y += (int) e[2];
      a->width -= (int) (e[0] + e[1]);
      a->height -= (int) (e[2] + e[3]);
    }
  if (data != NULL)
    XFree (data);
}
#endif

/* Where windows overlap, the one lower on the screen, or in the same row
 * further right, goes over the other: each shows its top-left corner (its
 * Crash button, name and role), whichever mapped first.  `x`, `y` is the
 * window's new place and `w` x `h` its size; it goes just below the
 * lowest-stacked window that it overlaps and that should be over it.  The
 * other windows are other processes' and may go at any time (a crash):
 * X errors are ignored. */
static void
restack (GtkWindow *window, int x, int y, int w, int h)
{
#ifdef GDK_WINDOWING_X11
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  Display *xdisplay;
  Window self, root, parent, *children = NULL, unused, *unused_children;
  unsigned int n = 0, n_unused;

  if (surface == NULL || !GDK_IS_X11_DISPLAY (display))
    return;
  xdisplay = gdk_x11_display_get_xdisplay (display);
  self = gdk_x11_surface_get_xid (surface);
  gdk_x11_display_error_trap_push (display);
  /* The window's top-level: itself, or the frame a window manager put it
   * in. */
  for (;;)
    {
      if (!XQueryTree (xdisplay, self, &root, &parent, &unused_children, &n_unused))
        goto out;
      if (unused_children != NULL)
        XFree (unused_children);
      if (parent == root)
        break;
      self = parent;
    }
  if (!XQueryTree (xdisplay, root, &unused, &unused, &children, &n))
    goto out;
  /* Bottom to top: the first that should be over this window. */
  for (unsigned int i = 0; i < n && children[i] != self; i++)
    {
      XWindowAttributes a;

      if (!XGetWindowAttributes (xdisplay, children[i], &a) || a.map_state != IsViewable)
        continue;
      seen_part (xdisplay, children[i], &a);
      if (a.x >= x + w || a.x + a.width <= x || a.y >= y + h || a.y + a.height <= y)
        continue;
      if (a.y > y + GAP || (ABS (a.y - y) <= GAP && a.x > x + GAP))
        {
          XWindowChanges changes = { .sibling = children[i], .stack_mode = Below };

          XReconfigureWMWindow (xdisplay, gdk_x11_surface_get_xid (surface),
                                gdk_x11_screen_get_screen_number (
                                  gdk_x11_display_get_screen (display)),
                                CWSibling | CWStackMode, &changes);
          break;
        }
    }
  if (children != NULL)
    XFree (children);
out:
  gdk_x11_display_error_trap_pop_ignored (display);
#endif
}

/* The windows of the demo start at once, each in its own process, and
 * map in any order: the order is checked again for a few seconds, each
 * window going below those that should be over it, until none is left. */
typedef struct {
  GtkWindow *window;
  int x, y, w, h;
  guint left;
} Restack;

static void
restack_free (gpointer data)
{
  Restack *r = data;

  if (r->window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (r->window), (gpointer *) &r->window);
  g_free (r);
}

static gboolean
restack_again (gpointer data)
{
  Restack *r = data;

  if (r->window == NULL || !gtk_widget_get_mapped (GTK_WIDGET (r->window)))
    return G_SOURCE_REMOVE;
  restack (r->window, r->x, r->y, r->w, r->h);
  return --r->left > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
keep_stacked (GtkWindow *window, int x, int y, int w, int h)
{
  Restack *r = g_new0 (Restack, 1);

  *r = (Restack) { window, x, y, w, h, 10 };
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &r->window);
  restack (window, x, y, w, h);
  g_timeout_add_full (G_PRIORITY_DEFAULT, 400, restack_again, r, restack_free);
}

/* More windows than places: one of the `lap`-th round (from 0) goes LAP
 * px lower than its place per round, or higher where the screen ends below
 * it (the bottom row), within `area`.  Restacked (the lower goes over),
 * each window of two rounds shows its header (its Crash button, name and
 * role).  Each of a later round took its place exactly, and the seventh
 * window of the demo hid the first.  Past twice the places, headers may be
 * covered. */
#define LAP 52

static int
lapped (const GdkRectangle *area, int h, int lap, int y)
{
  if (y + lap * LAP <= area->y + area->height - h)
    return y + lap * LAP;
  return MAX (area->y, y - lap * LAP);
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
  GdkRectangle area;
  int w, h, cols, cells, clear = 0, n, x, y, room, dx, dy, col, row, places;

  if (surface == NULL || slot < 0 || !monitor_area (display, surface, &area))
    return;
  gtk_window_get_default_size (window, &w, &h);
  w = MAX (w, gtk_widget_get_width (GTK_WIDGET (window))) + GAP;
  h = MAX (h, gtk_widget_get_height (GTK_WIDGET (window))) + GAP;
  cols = MAX (1, area.width / w);
  cells = cols * MAX (1, area.height / h);
  for (int cell = 0; cell < cells; cell++)
    clear += cell_at (&area, w, h, cols, cell, &x, &y);
  if (clear >= COLUMNS * ROWS || beside_w == 0)
    {
      /* The n-th clear cell (every cell counts when none is clear). */
      places = clear > 0 ? clear : cells;
      n = slot % places;
      for (int cell = 0; cell < cells; cell++)
        if ((cell_at (&area, w, h, cols, cell, &x, &y) || clear == 0) && n-- == 0)
          {
            y = lapped (&area, h - GAP, slot / places, y);
            move_to (window, x, y);
            keep_stacked (window, x, y, w - GAP, h - GAP);
            return;
          }
      return;
    }
  /* Too few whole cells beside the console (a screen narrower or lower
   * than about 1800x1100): COLUMNS x ROWS places in the room right of it,
   * over the whole height, overlapping where they must.  Each column fills
   * from the top and the left column first, so that the windows started
   * later lie over the bottom of the one above them and over the right of
   * the one left of them: each shows its header and its card, and none
   * covers the console. */
  room = area.width - MIN (beside_w, area.width);
  dx = room > w ? MIN (w, (room - w) / (COLUMNS - 1)) : 0;
  dy = area.height > h ? MIN (h, (area.height - h) / (ROWS - 1)) : 0;
  n = slot % (COLUMNS * ROWS);
  col = n / ROWS;
  row = n % ROWS;
  x = area.x + area.width - w + GAP - (COLUMNS - 1 - col) * dx;
  y = area.y + row * dy;
  y = lapped (&area, h - GAP, slot / (COLUMNS * ROWS), y);
  move_to (window, x, y);
  keep_stacked (window, x, y, w - GAP, h - GAP);
}

void
grp_place_at_origin (GtkWindow *window)
{
  GdkRectangle area;

  if (monitor_area (gtk_widget_get_display (GTK_WIDGET (window)),
                    gtk_native_get_surface (GTK_NATIVE (window)), &area))
    move_to (window, area.x, area.y);
  else
    move_to (window, 0, 0);
}
