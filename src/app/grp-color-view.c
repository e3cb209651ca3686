/* grp-color-view.c: one color under one child, easing between colors. */
#include "grp-color-view.h"

#include <adwaita.h>

struct _GrpColorView {
  GtkWidget parent_instance;

  GtkWidget *child;
  guint32 color;
  GdkRGBA from;             /* where the running transition started */
  GdkRGBA shown;            /* what is painted now */
  guint transition_ms;
  AdwAnimation *animation;
  int width, height;        /* as last drawn */
  guint resize_id;
};

G_DEFINE_FINAL_TYPE (GrpColorView, grp_color_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_COLOR,
  PROP_CHILD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_RESIZE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GdkRGBA
rgba_of (guint32 c)
{
  return (GdkRGBA) { ((c >> 16) & 0xff) / 255.0f, ((c >> 8) & 0xff) / 255.0f,
                     (c & 0xff) / 255.0f, 1.0f };
}

static void
animate (double value, gpointer data)
{
  GrpColorView *self = data;
  GdkRGBA to = rgba_of (self->color);
  float t = (float) value;

  self->shown.red = self->from.red + (to.red - self->from.red) * t;
  self->shown.green = self->from.green + (to.green - self->from.green) * t;
  self->shown.blue = self->from.blue + (to.blue - self->from.blue) * t;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* A size seen by snapshot (which follows every allocation that changes
 * it) is told after the frame, never from inside the allocation. */
static gboolean
emit_resize (gpointer data)
{
  GrpColorView *self = data;

  self->resize_id = 0;
  g_signal_emit (self, signals[SIGNAL_RESIZE], 0, self->width, self->height);
  return G_SOURCE_REMOVE;
}

static void
grp_color_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GrpColorView *self = GRP_COLOR_VIEW (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  if ((width != self->width || height != self->height) && self->resize_id == 0)
    self->resize_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, emit_resize, self, NULL);
  self->width = width;
  self->height = height;
  gtk_snapshot_append_color (snapshot, &self->shown,
                             &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                  gtk_widget_get_height (widget)));
  if (self->child != NULL)
    gtk_widget_snapshot_child (widget, self->child, snapshot);
}

guint32
grp_color_view_get_color (GrpColorView *self)
{
  g_return_val_if_fail (GRP_IS_COLOR_VIEW (self), 0);

  return self->color;
}

void
grp_color_view_set_color (GrpColorView *self, guint32 color)
{
  g_return_if_fail (GRP_IS_COLOR_VIEW (self));

  if (self->color == color)
    return;
  self->color = color;
  self->from = self->shown;
  /* AdwTimedAnimation skips to its end where animations are off. */
  if (self->transition_ms > 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      adw_timed_animation_set_duration (ADW_TIMED_ANIMATION (self->animation), self->transition_ms);
      adw_animation_play (self->animation);
    }
  else
    {
      adw_animation_reset (self->animation);
      animate (1.0, self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR]);
}

void
grp_color_view_set_transition (GrpColorView *self, guint ms)
{
  g_return_if_fail (GRP_IS_COLOR_VIEW (self));

  self->transition_ms = ms;
}

GtkWidget *
grp_color_view_get_child (GrpColorView *self)
{
  g_return_val_if_fail (GRP_IS_COLOR_VIEW (self), NULL);

  return self->child;
}

void
grp_color_view_set_child (GrpColorView *self, GtkWidget *child)
{
  g_return_if_fail (GRP_IS_COLOR_VIEW (self));

  if (self->child == child)
    return;
  g_clear_pointer (&self->child, gtk_widget_unparent);
  self->child = child;
  if (child != NULL)
    gtk_widget_set_parent (child, GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);
}

static void
grp_color_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GrpColorView *self = GRP_COLOR_VIEW (object);

  switch (prop_id)
    {
    case PROP_COLOR:
      g_value_set_uint (value, self->color);
      break;
    case PROP_CHILD:
      g_value_set_object (value, self->child);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_color_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GrpColorView *self = GRP_COLOR_VIEW (object);

  switch (prop_id)
    {
    case PROP_COLOR:
      grp_color_view_set_color (self, g_value_get_uint (value));
      break;
    case PROP_CHILD:
      grp_color_view_set_child (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_color_view_dispose (GObject *object)
{
  GrpColorView *self = GRP_COLOR_VIEW (object);

  g_clear_handle_id (&self->resize_id, g_source_remove);
  g_clear_pointer (&self->child, gtk_widget_unparent);
  g_clear_object (&self->animation);
  G_OBJECT_CLASS (grp_color_view_parent_class)->dispose (object);
}

static void
grp_color_view_class_init (GrpColorViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = grp_color_view_get_property;
  object_class->set_property = grp_color_view_set_property;
  object_class->dispose = grp_color_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  widget_class->snapshot = grp_color_view_snapshot;

  properties[PROP_COLOR] =
    g_param_spec_uint ("color", NULL, NULL, 0, 0xffffff, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHILD] =
    g_param_spec_object ("child", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Its size changed to width x height (to scale what it holds); emitted
   * after the frame that showed the new size. */
  signals[SIGNAL_RESIZE] =
    g_signal_new ("resize", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  gtk_widget_class_set_css_name (widget_class, "groupy-color");
}

static void
grp_color_view_init (GrpColorView *self)
{
  AdwAnimationTarget *target = adw_callback_animation_target_new (animate, self, NULL);

  self->shown = rgba_of (0);
  self->animation = adw_timed_animation_new (GTK_WIDGET (self), 0.0, 1.0, 250, target);
  adw_timed_animation_set_easing (ADW_TIMED_ANIMATION (self->animation), ADW_EASE_OUT_CUBIC);
}
