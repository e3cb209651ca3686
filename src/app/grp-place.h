/* grp-place.h: windows that keep their place.
 *
 * The demo's windows fill the screen in a grid of cells the size of one
 * window, from the top-right corner, right to left, then down; a window
 * that replaces a dead one takes its cell ("slot").  Where fewer than six
 * whole cells fit beside the console, six places right of it overlap.  With
 * more windows than places, those of a later round lie lower (higher on
 * the bottom row) than the earlier ones, whose headers still show.
 * GTK 4 leaves window positions to the display server: this works on X11
 * and does nothing on Wayland, where the compositor places windows. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void grp_place_in_slot (GtkWindow *window, int slot);
/* Cells that overlap the top-left `width` x `height` (the console's own
 * place) are skipped: the console's windows covered its controls. */
void grp_place_set_beside (int width, int height);
/* The console's size on `display`'s primary monitor: 1100x720 where two
 * columns of member windows fit beside it, else narrower and as tall as the
 * screen, so that the member windows take the room right of it. */
void grp_place_console_size (GdkDisplay *display, int *width, int *height);
/* Where the console itself goes: the top-left corner (X11). */
void grp_place_at_origin (GtkWindow *window);

G_END_DECLS
