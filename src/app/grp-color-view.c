/* grp-color-view.c: fills its allocation with one color. */
#include "grp-color-view.h"

struct _GrpColorView {
  GtkWidget parent_instance;
  guint32 color;
};

G_DEFINE_FINAL_TYPE (GrpColorView, grp_color_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_COLOR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
grp_color_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GrpColorView *self = GRP_COLOR_VIEW (widget);
  GdkRGBA rgba = {
    ((self->color >> 16) & 0xff) / 255.0f,
    ((self->color >> 8) & 0xff) / 255.0f,
    (self->color & 0xff) / 255.0f,
    1.0f,
  };

  gtk_snapshot_append_color (snapshot, &rgba,
                             &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                  gtk_widget_get_height (widget)));
}

guint32
grp_color_view_get_color (GrpColorView *self)
{
  return self->color;
}

void
grp_color_view_set_color (GrpColorView *self, guint32 color)
{
  if (self->color == color)
    return;
  self->color = color;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR]);
}

static void
grp_color_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_COLOR:
      g_value_set_uint (value, GRP_COLOR_VIEW (object)->color);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_color_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_COLOR:
      grp_color_view_set_color (GRP_COLOR_VIEW (object), g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_color_view_class_init (GrpColorViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = grp_color_view_get_property;
  object_class->set_property = grp_color_view_set_property;
  widget_class->snapshot = grp_color_view_snapshot;

  properties[PROP_COLOR] =
    g_param_spec_uint ("color", NULL, NULL, 0, 0xffffff, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
grp_color_view_init (GrpColorView *self)
{
}
