/* grp-history-view.c: equal cells, one per remembered color. */
#include "grp-history-view.h"

#include <string.h>

#include "grp-worker.h"

struct _GrpHistoryView {
  GtkWidget parent_instance;
  guint32 colors[GRP_WORKER_HISTORY];
  guint n;
};

G_DEFINE_FINAL_TYPE (GrpHistoryView, grp_history_view, GTK_TYPE_WIDGET)

static void
grp_history_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GrpHistoryView *self = GRP_HISTORY_VIEW (widget);
  /* On a dark frame (like the text card), so that a cell the color of the
   * window -- the newest one, always -- still shows. */
  const float pad = 2.0f;
  float width = (float) gtk_widget_get_width (widget);
  float h = (float) gtk_widget_get_height (widget) - 2 * pad;
  float w = (width - 2 * pad) / GRP_WORKER_HISTORY;
  /* Right-aligned: the newest color is always in the last cell. */
  guint first = GRP_WORKER_HISTORY - self->n;
  GdkRGBA frame = { 0, 0, 0, 0.62f };

  gtk_snapshot_append_color (snapshot, &frame,
                             &GRAPHENE_RECT_INIT (0, 0, width, gtk_widget_get_height (widget)));

  for (guint i = 0; i < self->n; i++)
    {
      guint32 c = self->colors[i];
      GdkRGBA rgba = { ((c >> 16) & 0xff) / 255.0f, ((c >> 8) & 0xff) / 255.0f,
                       (c & 0xff) / 255.0f, 1.0f };

      gtk_snapshot_append_color (snapshot, &rgba,
                                 &GRAPHENE_RECT_INIT (pad + (first + i) * w, pad, w - 1, h));
    }
}

void
grp_history_view_set_colors (GrpHistoryView *self, const guint32 *colors, guint n)
{
  n = MIN (n, GRP_WORKER_HISTORY);
  if (n == self->n && memcmp (self->colors, colors, n * sizeof *colors) == 0)
    return;
  memcpy (self->colors, colors, n * sizeof *colors);
  self->n = n;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
grp_history_view_class_init (GrpHistoryViewClass *klass)
{
  GTK_WIDGET_CLASS (klass)->snapshot = grp_history_view_snapshot;
}

static void
grp_history_view_init (GrpHistoryView *self)
{
}
