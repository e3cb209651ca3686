/* grp-window.c: the window binds to the worker (the model); it never talks
 * to the network. */
#include "grp-window.h"

#include "grp-color-view.h"
#include "grp-history-view.h"

struct _GrpWindow {
  GtkApplicationWindow parent_instance;

  GrpWorker *worker;
  GrpColorView *color_view;
  GtkLabel *name_label;
  GtkLabel *role_label;
  GtkLabel *view_label;
  GtkLabel *members_label;
  GtkLabel *seq_label;
  GrpHistoryView *history;
  GtkButton *crash_button;
};

G_DEFINE_FINAL_TYPE (GrpWindow, grp_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_WORKER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_role (GrpWindow *self)
{
  const char *role = grp_role_to_string (grp_worker_get_role (self->worker));
  g_autofree char *title = g_strdup_printf ("%s — %s", grp_worker_get_name (self->worker), role);

  gtk_label_set_text (self->role_label, role);
  gtk_window_set_title (GTK_WINDOW (self), title);
}

static void
update_view (GrpWindow *self)
{
  g_auto(GStrv) members = grp_worker_dup_members (self->worker);
  g_autofree char *view = g_strdup_printf ("view %" G_GUINT64_FORMAT, grp_worker_get_view_id (self->worker));
  g_autofree char *list = g_strjoinv (", ", members);

  gtk_label_set_text (self->view_label, view);
  gtk_label_set_text (self->members_label, list);
}

static void
update_seq (GrpWindow *self)
{
  g_autofree char *seq = g_strdup_printf ("delivered #%" G_GUINT64_FORMAT, grp_worker_get_last_seq (self->worker));

  gtk_label_set_text (self->seq_label, seq);
}

static void
update_history (GrpWindow *self)
{
  guint n;
  const guint32 *colors = grp_worker_get_history (self->worker, &n);

  grp_history_view_set_colors (self->history, colors, n);
}

static void
crash_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  grp_worker_crash (GRP_WINDOW (widget)->worker);
}

/* Closing the window kills the worker, with no goodbye: this is "killing
 * the leader window". */
static gboolean
grp_window_close_request (GtkWindow *window)
{
  grp_worker_crash (GRP_WINDOW (window)->worker);
  return TRUE;
}

static void
grp_window_set_worker (GrpWindow *self, GrpWorker *worker)
{
  self->worker = g_object_ref (worker);
  gtk_label_set_text (self->name_label, grp_worker_get_name (worker));
  g_object_bind_property (worker, "color", self->color_view, "color", G_BINDING_SYNC_CREATE);
  g_signal_connect_object (worker, "notify::role", G_CALLBACK (update_role), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::view-id", G_CALLBACK (update_view), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::last-seq", G_CALLBACK (update_seq), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::color", G_CALLBACK (update_history), self, G_CONNECT_SWAPPED);
  update_role (self);
  update_view (self);
  update_seq (self);
  update_history (self);
}

static void
grp_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_WORKER:
      grp_window_set_worker (GRP_WINDOW (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_WORKER:
      g_value_set_object (value, GRP_WINDOW (object)->worker);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_window_dispose (GObject *object)
{
  GrpWindow *self = GRP_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), GRP_TYPE_WINDOW);
  g_clear_object (&self->worker);
  G_OBJECT_CLASS (grp_window_parent_class)->dispose (object);
}

static void
grp_window_class_init (GrpWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->set_property = grp_window_set_property;
  object_class->get_property = grp_window_get_property;
  object_class->dispose = grp_window_dispose;
  window_class->close_request = grp_window_close_request;

  properties[PROP_WORKER] =
    g_param_spec_object ("worker", NULL, NULL, GRP_TYPE_WORKER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GRP_TYPE_COLOR_VIEW);
  g_type_ensure (GRP_TYPE_HISTORY_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/groupy/Groupy/grp-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, color_view);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, name_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, role_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, view_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, members_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, seq_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, history);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, crash_button);

  gtk_widget_class_install_action (widget_class, "win.crash", NULL, crash_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK, "win.crash", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
grp_window_init (GrpWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GrpWindow *
grp_window_new (GtkApplication *app, GrpWorker *worker)
{
  return g_object_new (GRP_TYPE_WINDOW, "application", app, "worker", worker, NULL);
}
