/* grp-member-tile.c: a console tile bound to a GrpMemberInfo. */
#include "config.h"

#include "grp-member-tile.h"

#include <glib/gi18n.h>

#include "grp-color-view.h"

/* The swatch takes a new color at most this often: the console too keeps
 * under three changes a second.  It samples the member's color and
 * position on the wall clock's multiples of this, as every tile does (and
 * the windows, on theirs): sampling each on a phase of its own, tiles of
 * members at the same position showed different colors, and a position
 * beside the color of the one before. */
#define SWATCH_INTERVAL_MS 350

struct _GrpMemberTile {
  GtkWidget parent_instance;

  GrpSupervisor *supervisor;
  GrpMemberInfo *member;
  const guint *freeze_seconds;
  guint swatch_id;
  guint64 shown_seq;        /* the position sampled with the swatch's color */

  GtkWidget *box;
  GrpColorView *swatch;
  GtkLabel *name_label;
  GtkLabel *role_badge;
  GtkLabel *view_label;
  GtkLabel *status_label;
  GtkWidget *buttons;
};

G_DEFINE_FINAL_TYPE (GrpMemberTile, grp_member_tile, GTK_TYPE_WIDGET)

static const char *
role_text (const char *role)
{
  if (g_str_equal (role, "leader"))
    return C_("role", "★ leader");
  if (g_str_equal (role, "alone"))
    return C_("role", "★ alone");
  if (g_str_equal (role, "member"))
    return C_("role", "member");
  if (g_str_equal (role, "joining"))
    return C_("role", "joining");
  if (g_str_equal (role, "rejoining"))
    return C_("role", "rejoining");
  return C_("role", "gone");
}

static void
update (GrpMemberTile *self)
{
  static const char *const classes[] = { "leader", "joining", "gone", "frozen" };
  GrpMemberInfo *m = self->member;
  const char *role = grp_member_info_get_role (m);
  GrpMemberState state = grp_member_info_get_state (m);
  const char *cls = NULL;
  g_autofree char *view = NULL;
  g_autofree char *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, self->shown_seq);
  g_autofree char *v = g_strdup_printf ("%" G_GUINT64_FORMAT, grp_member_info_get_view (m));

  if (state == GRP_MEMBER_FROZEN)
    cls = "frozen";
  else if (state == GRP_MEMBER_LEFT)
    cls = NULL; /* as asked: plain, where a crash is red */
  else if (!grp_member_info_is_alive (m))
    cls = "gone";
  else if (g_str_equal (role, "leader") || g_str_equal (role, "alone"))
    cls = "leader";
  else if (g_str_equal (role, "joining") || g_str_equal (role, "rejoining"))
    cls = "joining";
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (g_strcmp0 (classes[i], cls) != 0)
      gtk_widget_remove_css_class (GTK_WIDGET (self->role_badge), classes[i]);
  if (cls != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->role_badge), cls);
  gtk_label_set_text (self->role_badge,
                      state == GRP_MEMBER_FROZEN ? C_("role", "frozen")
                      : state == GRP_MEMBER_LEFT ? C_("role", "left")
                      : role_text (role));

  if (grp_member_info_get_view (m) == 0)
    view = g_strdup (_("not in a view yet"));
  else
    /* TRANSLATORS: "view 7 · #412": the view and the last position */
    view = g_strdup_printf (_("view %s · #%s"), v, seq);
  gtk_label_set_text (self->view_label, view);
  gtk_label_set_text (self->status_label, grp_member_info_get_status (m));
  if (grp_member_info_is_alive (m))
    gtk_widget_remove_css_class (self->box, "gone");
  else
    gtk_widget_add_css_class (self->box, "gone");
  gtk_widget_set_sensitive (self->buttons, grp_member_info_is_alive (m));
}

static gboolean sample (gpointer data);

static void
sample_at_boundary (GrpMemberTile *self)
{
  gint64 interval = SWATCH_INTERVAL_MS * 1000;
  gint64 now = g_get_real_time ();
  gint64 at = (now / interval + 1) * interval;

  self->swatch_id = g_timeout_add ((guint) ((at - now + 999) / 1000), sample, self);
}

/* The color and the position, taken together. */
static void
take_sample (GrpMemberTile *self)
{
  grp_color_view_set_color (self->swatch, grp_member_info_get_color (self->member));
  if (self->shown_seq != grp_member_info_get_seq (self->member))
    {
      self->shown_seq = grp_member_info_get_seq (self->member);
      update (self);
    }
}

static gboolean
sample (gpointer data)
{
  GrpMemberTile *self = data;

  take_sample (self);
  sample_at_boundary (self);
  return G_SOURCE_REMOVE;
}

static void
crash_clicked (GrpMemberTile *self)
{
  grp_supervisor_crash (self->supervisor, self->member);
}

static void
freeze_clicked (GrpMemberTile *self)
{
  grp_supervisor_freeze (self->supervisor, self->member, *self->freeze_seconds);
}

static void
leave_clicked (GrpMemberTile *self)
{
  grp_supervisor_leave (self->supervisor, self->member);
}

static void
grp_member_tile_dispose (GObject *object)
{
  GrpMemberTile *self = GRP_MEMBER_TILE (object);

  g_clear_handle_id (&self->swatch_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), GRP_TYPE_MEMBER_TILE);
  g_clear_object (&self->member);
  g_clear_object (&self->supervisor);
  G_OBJECT_CLASS (grp_member_tile_parent_class)->dispose (object);
}

static void
grp_member_tile_class_init (GrpMemberTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = grp_member_tile_dispose;

  g_type_ensure (GRP_TYPE_COLOR_VIEW);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/groupy/Groupy/grp-member-tile.ui");
  gtk_widget_class_bind_template_child (widget_class, GrpMemberTile, box);
  gtk_widget_class_bind_template_child (widget_class, GrpMemberTile, swatch);
  gtk_widget_class_bind_template_child (widget_class, GrpMemberTile, name_label);
  gtk_widget_class_bind_template_child (widget_class, GrpMemberTile, role_badge);
  gtk_widget_class_bind_template_child (widget_class, GrpMemberTile, view_label);
  gtk_widget_class_bind_template_child (widget_class, GrpMemberTile, status_label);
  gtk_widget_class_bind_template_child (widget_class, GrpMemberTile, buttons);
  gtk_widget_class_bind_template_callback (widget_class, crash_clicked);
  gtk_widget_class_bind_template_callback (widget_class, freeze_clicked);
  gtk_widget_class_bind_template_callback (widget_class, leave_clicked);
}

static void
grp_member_tile_init (GrpMemberTile *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
grp_member_tile_new (GrpSupervisor *supervisor, GrpMemberInfo *member, const guint *freeze_seconds)
{
  GrpMemberTile *self = g_object_new (GRP_TYPE_MEMBER_TILE, NULL);

  self->supervisor = g_object_ref (supervisor);
  self->member = g_object_ref (member);
  self->freeze_seconds = freeze_seconds;
  gtk_label_set_text (self->name_label, grp_member_info_get_name (member));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), grp_member_info_get_name (member));
  g_signal_connect_object (member, "notify::role", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (member, "notify::view", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (member, "notify::state", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (member, "notify::status", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  self->shown_seq = grp_member_info_get_seq (member);
  update (self);
  take_sample (self);
  sample_at_boundary (self);
  return GTK_WIDGET (self);
}
