/* grp-color.h: the Groupy worker's rule, shared by the worker, the
 * simulator's model of it and the tests: on `change N`,
 * (R,G,B) := (G, B, (R+N) mod 256).  The rotation makes order visible: two
 * changes applied in a different order give different colors. */
#pragma once

#include <glib.h>

static inline void
grp_color_apply (guint8 rgb[3], guint8 n)
{
  guint8 r = rgb[0];

  rgb[0] = rgb[1];
  rgb[1] = rgb[2];
  rgb[2] = (guint8) ((r + n) % 256);
}
