/* grp-console-window.c: the group console.
 *
 * One tile per member (GrpMemberTile), the group's story as a timeline,
 * and the controls a teacher needs: add a member, pause and resume the
 * whole group, the pace and the crash rate, and stop -- after which the
 * checker's verdict over every log is shown in a banner.  Everything comes
 * from a GrpSupervisor; the console never reads a log itself. */
#include "config.h"

#include "grp-console-window.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "grp-about.h"
#include "grp-limits.h"
#include "grp-member-tile.h"
#include "grp-place.h"
#include "grp-proto.h"

#define MAX_EVENTS 500

struct _GrpConsoleWindow {
  AdwApplicationWindow parent_instance;

  GrpSupervisor *supervisor;
  GrpSupervisorConfig config;   /* to start a new group alike */
  guint n_members;
  guint freeze_seconds;
  gboolean quit_when_stopped;

  AdwWindowTitle *window_title;
  GtkRevealer *verdict_revealer;
  GtkLabel *verdict_label;
  GtkFlowBox *tiles;
  GtkSpinButton *sleep_spin;
  GtkSpinButton *rate_spin;
  GtkSpinButton *freeze_spin;
  AdwActionRow *protocol_row;
  GtkDropDown *protocol_drop;
  GtkScrolledWindow *timeline_scroll;
  GtkListBox *timeline;
  GtkToggleButton *pause_button;
  AdwButtonContent *pause_content;
  guint n_events;
  gboolean follow;              /* the timeline shows its newest line */
  guint to_end_tick;            /* timeline_to_end, pending */
};

G_DEFINE_FINAL_TYPE (GrpConsoleWindow, grp_console_window, ADW_TYPE_APPLICATION_WINDOW)

static void set_supervisor (GrpConsoleWindow *self, GrpSupervisor *supervisor);

/* ---- the story -------------------------------------------------------- */

static const char *
event_mark (GrpEventKind kind)
{
  switch (kind)
    {
    case GRP_EVENT_JOIN:
      return "＋";
    case GRP_EVENT_VIEW:
      return "★";
    case GRP_EVENT_CRASH:
      return "✖";
    case GRP_EVENT_SUSPECT:
      return "?";
    case GRP_EVENT_BLOCKED:
      return "‖";
    case GRP_EVENT_LEAVE:
      return "−";
    case GRP_EVENT_VERDICT:
      return "✔";
    case GRP_EVENT_PROBLEM:
      return "!";
    case GRP_EVENT_CONTROL:
    default:
      return "•";
    }
}

/* The timeline follows the story, unless the user scrolled back to read:
 * then it stays where it is until scrolled to the end again.
 *
 * A new line's height is known once the list box is allocated, and that is
 * when the adjustment says "changed": from inside the viewport's
 * size_allocate (GTK emits it as the viewport thaws the adjustment's
 * notifications), after the list box was placed at the old value.  Setting
 * the value there moved the adjustment but not the list box, which stayed
 * where it was, frames on, until the next allocation: the newest lines
 * were out of sight below while the scrollbar said "at the end" (a burst of
 * lines hid as many).  The value is set on the next frame instead, in its
 * update phase, before its layout. */
static gboolean
timeline_to_end (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  GrpConsoleWindow *self = data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->timeline_scroll);

  self->to_end_tick = 0;
  if (self->follow)
    gtk_adjustment_set_value (adj,
                              gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  return G_SOURCE_REMOVE;
}

static void
timeline_grew (GtkAdjustment *adj, GrpConsoleWindow *self)
{
  if (self->follow && self->to_end_tick == 0)
    self->to_end_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->timeline_scroll),
                                                      timeline_to_end, self, NULL);
}

static void
timeline_scrolled (GtkAdjustment *adj, GrpConsoleWindow *self)
{
  self->follow = gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
                 >= gtk_adjustment_get_upper (adj) - 8;
}

static void
on_event (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  GrpConsoleWindow *self = data;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *time = gtk_label_new (stamp);
  GtkWidget *mark = gtk_label_new (event_mark (kind));
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (time, "groupy-event-time");
  gtk_widget_set_valign (time, GTK_ALIGN_START);
  gtk_widget_set_valign (mark, GTK_ALIGN_START);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_margin_start (row, 8);
  gtk_widget_set_margin_end (row, 8);
  gtk_widget_set_margin_top (row, 4);
  gtk_widget_set_margin_bottom (row, 4);
  gtk_box_append (GTK_BOX (row), time);
  gtk_box_append (GTK_BOX (row), mark);
  gtk_box_append (GTK_BOX (row), label);
  gtk_list_box_append (self->timeline, row);
  if (++self->n_events > MAX_EVENTS)
    {
      GtkWidget *oldest = GTK_WIDGET (gtk_list_box_get_row_at_index (self->timeline, 0));
      GtkWidget *next = GTK_WIDGET (gtk_list_box_get_row_at_index (self->timeline, 1));
      graphene_rect_t a, b;

      /* A user who scrolled back to read keeps their place: the lines
       * below the oldest move up by its height as it goes, and so does
       * the view. */
      if (!self->follow && gtk_widget_compute_bounds (oldest, GTK_WIDGET (self->timeline), &a) &&
          gtk_widget_compute_bounds (next, GTK_WIDGET (self->timeline), &b) &&
          b.origin.y > a.origin.y)
        {
          GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->timeline_scroll);
          double gone = b.origin.y - a.origin.y;

          gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) - gone);
        }
      gtk_list_box_remove (self->timeline, oldest);
      self->n_events--;
    }
}

static void
on_verdict (GrpSupervisor *supervisor, gboolean ok, const char *text, gpointer data)
{
  GrpConsoleWindow *self = data;
  g_autofree char *banner = ok ? g_strdup_printf ("✔ %s", text)
                               : g_strdup_printf ("✘ %s", text);

  gtk_label_set_text (self->verdict_label, banner);
  gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_label), ok ? "bad" : "ok");
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_label), ok ? "ok" : "bad");
  gtk_revealer_set_reveal_child (self->verdict_revealer, TRUE);
  /* Closed (its button, Ctrl-C, SIGTERM, SIGHUP): the window goes once the
   * group is stopped, and with it the banner; the checker's verdict was
   * shown nowhere.  The terminal keeps it. */
  if (self->quit_when_stopped)
    fprintf (stderr, "groupy-console: %s\n", banner);
}

static void
update_title (GrpConsoleWindow *self)
{
  GrpSupervisor *s = self->supervisor;
  g_autofree char *subtitle = NULL;

  if (grp_supervisor_is_stopped (s))
    subtitle = g_strdup (_("stopped"));
  else if (grp_supervisor_get_all_gone (s))
    {
      g_autofree char *pos = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                              grp_supervisor_get_positions (s));

      /* TRANSLATORS: "gms2 · every member is gone · #1234" (gms2: the protocol) */
      subtitle = g_strdup_printf (_("%s · every member is gone · #%s"),
                                  grp_supervisor_get_protocol (s), pos);
    }
  else if (grp_supervisor_get_view (s) == 0 && grp_supervisor_get_switching (s))
    subtitle = g_strdup (_("joining another group"));
  else if (grp_supervisor_get_view (s) == 0)
    subtitle = g_strdup (_("starting"));
  else
    {
      g_autofree char *view = g_strdup_printf ("%" G_GUINT64_FORMAT, grp_supervisor_get_view (s));
      g_autofree char *pos = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                              grp_supervisor_get_positions (s));

      /* TRANSLATORS: "gms2 · view 7 · w2 leads · #1234" (gms2: the protocol) */
      subtitle = g_strdup_printf (_("%s · view %s · %s leads · #%s"),
                                  grp_supervisor_get_protocol (s), view,
                                  grp_supervisor_get_leader (s), pos);
    }
  adw_window_title_set_subtitle (self->window_title, subtitle);
}

static void
on_stopped (GrpConsoleWindow *self)
{
  gboolean stopped = grp_supervisor_is_stopped (self->supervisor);

  update_title (self);
  /* Stopped without Stop too: a founder that could not start. */
  if (stopped)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-member", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pause", FALSE);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-group", stopped);
  gtk_widget_set_sensitive (GTK_WIDGET (self->protocol_drop), stopped);
  /* The logs are kept or gone by now: Keep the Logs would do nothing. */
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self),
                                                                            "keep-logs")),
                               !stopped);
  if (stopped && self->quit_when_stopped)
    gtk_window_destroy (GTK_WINDOW (self));
}

/* ---- actions ---------------------------------------------------------- */

static void
add_member_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  grp_supervisor_add_member (GRP_CONSOLE_WINDOW (widget)->supervisor);
}

static void
pause_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  GrpConsoleWindow *self = GRP_CONSOLE_WINDOW (widget);

  grp_supervisor_set_paused (self->supervisor, !grp_supervisor_get_paused (self->supervisor));
}

/* The button says what a click does: pause, or resume. */
static void
on_paused (GrpConsoleWindow *self)
{
  gboolean paused = grp_supervisor_get_paused (self->supervisor);

  gtk_toggle_button_set_active (self->pause_button, paused);
  adw_button_content_set_label (self->pause_content, paused ? _("_Resume") : _("_Pause"));
  adw_button_content_set_icon_name (self->pause_content,
                                    paused ? "media-playback-start-symbolic"
                                           : "media-playback-pause-symbolic");
}

static void
stop_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  GrpConsoleWindow *self = GRP_CONSOLE_WINDOW (widget);

  gtk_widget_action_set_enabled (widget, "win.stop", FALSE);
  gtk_widget_action_set_enabled (widget, "win.add-member", FALSE);
  gtk_widget_action_set_enabled (widget, "win.pause", FALSE);
  grp_supervisor_stop (self->supervisor);
}

static void
new_group_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  GrpConsoleWindow *self = GRP_CONSOLE_WINDOW (widget);
  GrpSupervisorConfig cfg = self->config;
  g_autoptr(GError) error = NULL;
  GrpSupervisor *supervisor;

  cfg.worker = g_strdup (self->config.worker);
  cfg.checker = g_strdup (self->config.checker);
  cfg.log_dir = g_strdup (self->config.log_dir);
  cfg.protocol = g_strdup (self->config.protocol);
  cfg.secret_file = g_strdup (self->config.secret_file);
  cfg.sleep_ms = grp_supervisor_get_sleep (self->supervisor);
  cfg.crash_rate = grp_supervisor_get_crash_rate (self->supervisor);
  supervisor = grp_supervisor_new (&cfg, &error);
  if (supervisor == NULL)
    {
      on_event (self->supervisor, GRP_EVENT_PROBLEM, error->message, self);
      return;
    }
  for (GtkWidget *row; (row = gtk_widget_get_first_child (GTK_WIDGET (self->timeline))) != NULL;)
    gtk_list_box_remove (self->timeline, row);
  self->n_events = 0;
  gtk_revealer_set_reveal_child (self->verdict_revealer, FALSE);
  set_supervisor (self, supervisor);
  g_object_unref (supervisor);
  grp_supervisor_start (self->supervisor, self->n_members);
}

static void
keep_logs_changed (GSimpleAction *action, GVariant *value, gpointer data)
{
  GrpConsoleWindow *self = data;

  g_simple_action_set_state (action, value);
  self->config.keep_logs = g_variant_get_boolean (value);
  grp_supervisor_set_keep_logs (self->supervisor, self->config.keep_logs);
}

static void
sleep_changed (GrpConsoleWindow *self)
{
  grp_supervisor_set_sleep (self->supervisor,
                            (guint) gtk_spin_button_get_value_as_int (self->sleep_spin));
}

static void
rate_changed (GrpConsoleWindow *self)
{
  grp_supervisor_set_crash_rate (self->supervisor,
                                 (guint) gtk_spin_button_get_value_as_int (self->rate_spin));
}

/* The next group's protocol (New Group). */
static void
protocol_changed (GrpConsoleWindow *self)
{
  guint i = gtk_drop_down_get_selected (self->protocol_drop);
  const GrpProtoClass *const *all = grp_proto_list ();

  if (i == GTK_INVALID_LIST_POSITION)
    return;
  g_free (self->config.protocol);
  self->config.protocol = g_strdup (all[i]->name);
}

/* What the group runs: its protocol, and what that protocol lacks. */
static void
show_protocol (GrpConsoleWindow *self)
{
  const GrpProtoClass *const *all = grp_proto_list ();
  const char *name = grp_supervisor_get_protocol (self->supervisor);
  const GrpProtoClass *p = grp_proto_find (name);
  g_autofree char *subtitle = g_strdup_printf ("%s: %s", name, p->summary);

  adw_action_row_set_subtitle (self->protocol_row, subtitle);
  for (guint i = 0; all[i] != NULL; i++)
    if (all[i] == p)
      gtk_drop_down_set_selected (self->protocol_drop, i);
}

static void
freeze_changed (GrpConsoleWindow *self)
{
  self->freeze_seconds = (guint) gtk_spin_button_get_value_as_int (self->freeze_spin);
}

/* Closing the console stops the group first: the members leave, the logs
 * are checked and removed, then the window goes. */
static gboolean
grp_console_window_close_request (GtkWindow *window)
{
  GrpConsoleWindow *self = GRP_CONSOLE_WINDOW (window);

  if (grp_supervisor_is_stopped (self->supervisor))
    return GTK_WINDOW_CLASS (grp_console_window_parent_class)->close_request (window);
  self->quit_when_stopped = TRUE;
  stop_activated (GTK_WIDGET (self), NULL, NULL);
  return TRUE;
}

/* ---- construction ----------------------------------------------------- */

static GtkWidget *
create_tile (gpointer item, gpointer data)
{
  GrpConsoleWindow *self = data;

  return grp_member_tile_new (self->supervisor, item, &self->freeze_seconds);
}

static void
set_supervisor (GrpConsoleWindow *self, GrpSupervisor *supervisor)
{
  GAction *keep;

  if (self->supervisor != NULL)
    g_signal_handlers_disconnect_by_data (self->supervisor, self);
  g_set_object (&self->supervisor, supervisor);
  g_signal_connect (supervisor, "event", G_CALLBACK (on_event), self);
  g_signal_connect (supervisor, "verdict", G_CALLBACK (on_verdict), self);
  g_signal_connect_swapped (supervisor, "notify::view", G_CALLBACK (update_title), self);
  g_signal_connect_swapped (supervisor, "notify::leader", G_CALLBACK (update_title), self);
  g_signal_connect_swapped (supervisor, "notify::positions", G_CALLBACK (update_title), self);
  g_signal_connect_swapped (supervisor, "notify::all-gone", G_CALLBACK (update_title), self);
  g_signal_connect_swapped (supervisor, "notify::stopped", G_CALLBACK (on_stopped), self);
  g_signal_connect_swapped (supervisor, "notify::paused", G_CALLBACK (on_paused), self);
  gtk_flow_box_bind_model (self->tiles, grp_supervisor_get_members (supervisor), create_tile,
                           self, NULL);
  gtk_spin_button_set_value (self->sleep_spin, grp_supervisor_get_sleep (supervisor));
  gtk_spin_button_set_value (self->rate_spin, grp_supervisor_get_crash_rate (supervisor));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-member", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pause", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-group", FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->protocol_drop), FALSE);
  keep = g_action_map_lookup_action (G_ACTION_MAP (self), "keep-logs");
  if (keep != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (keep), TRUE);
  show_protocol (self);
  on_paused (self);
  update_title (self);
}

static void
grp_console_window_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (grp_console_window_parent_class)->map (widget);
  grp_place_at_origin (GTK_WINDOW (widget));
}

static void
grp_console_window_dispose (GObject *object)
{
  GrpConsoleWindow *self = GRP_CONSOLE_WINDOW (object);

  if (self->supervisor != NULL)
    g_signal_handlers_disconnect_by_data (self->supervisor, self);
  if (self->to_end_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->timeline_scroll), self->to_end_tick);
  self->to_end_tick = 0;
  gtk_widget_dispose_template (GTK_WIDGET (self), GRP_TYPE_CONSOLE_WINDOW);
  g_clear_object (&self->supervisor);
  G_OBJECT_CLASS (grp_console_window_parent_class)->dispose (object);
}

static void
grp_console_window_finalize (GObject *object)
{
  GrpConsoleWindow *self = GRP_CONSOLE_WINDOW (object);

  grp_supervisor_config_clear (&self->config);
  G_OBJECT_CLASS (grp_console_window_parent_class)->finalize (object);
}

static void
grp_console_window_class_init (GrpConsoleWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = grp_console_window_dispose;
  object_class->finalize = grp_console_window_finalize;
  widget_class->map = grp_console_window_map;
  window_class->close_request = grp_console_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/groupy/Groupy/grp-console-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, verdict_revealer);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, tiles);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, sleep_spin);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, rate_spin);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, freeze_spin);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, protocol_row);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, protocol_drop);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, timeline_scroll);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, timeline);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, GrpConsoleWindow, pause_content);

  gtk_widget_class_install_action (widget_class, "win.add-member", NULL, add_member_activated);
  gtk_widget_class_install_action (widget_class, "win.pause", NULL, pause_activated);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_activated);
  gtk_widget_class_install_action (widget_class, "win.new-group", NULL, new_group_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.add-member", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK,
                                       "win.pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.stop", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_q, GDK_CONTROL_MASK,
                                       "window.close", NULL);
}

static void
grp_console_window_init (GrpConsoleWindow *self)
{
  g_autoptr(GSimpleAction) keep = NULL;
  g_autoptr(GtkStringList) protocols = gtk_string_list_new (NULL);
  const GrpProtoClass *const *all = grp_proto_list ();

  self->freeze_seconds = 5;
  self->follow = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The members' own ranges, those of groupy-console's --sleep and
   * --crash-rate: from 10 to 10000, the spin buttons brought a value given
   * outside into it, and the members were told that one. */
  gtk_spin_button_set_range (self->sleep_spin, 0, GRP_LIMIT_SLEEP_MAX_MS);
  gtk_spin_button_set_range (self->rate_spin, 0, GRP_LIMIT_CRASH_RATE_MAX);
  for (guint i = 0; all[i] != NULL; i++)
    gtk_string_list_append (protocols, all[i]->name);
  gtk_drop_down_set_model (self->protocol_drop, G_LIST_MODEL (protocols));
  g_signal_connect_swapped (self->protocol_drop, "notify::selected",
                            G_CALLBACK (protocol_changed), self);
  g_signal_connect (gtk_scrolled_window_get_vadjustment (self->timeline_scroll), "changed",
                    G_CALLBACK (timeline_grew), self);
  g_signal_connect (gtk_scrolled_window_get_vadjustment (self->timeline_scroll), "value-changed",
                    G_CALLBACK (timeline_scrolled), self);
  keep = g_simple_action_new_stateful ("keep-logs", NULL, g_variant_new_boolean (FALSE));
  g_signal_connect (keep, "change-state", G_CALLBACK (keep_logs_changed), self);
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (keep));
  g_signal_connect_swapped (self->sleep_spin, "value-changed", G_CALLBACK (sleep_changed), self);
  g_signal_connect_swapped (self->rate_spin, "value-changed", G_CALLBACK (rate_changed), self);
  g_signal_connect_swapped (self->freeze_spin, "value-changed", G_CALLBACK (freeze_changed), self);
}

GrpConsoleWindow *
grp_console_window_new (GtkApplication *app, GrpSupervisorConfig *config, guint n_members,
                        GError **error)
{
  GrpConsoleWindow *self = g_object_new (GRP_TYPE_CONSOLE_WINDOW, "application", app, NULL);
  GrpSupervisorConfig cfg = *config;
  g_autoptr(GrpSupervisor) supervisor = NULL;

  /* The window keeps a copy to start a new group alike; the supervisor
   * takes the original. */
  self->config = *config;
  self->config.worker = g_strdup (config->worker);
  self->config.checker = g_strdup (config->checker);
  self->config.log_dir = g_strdup (config->log_dir);
  self->config.protocol = g_strdup (config->protocol);
  self->config.secret_file = g_strdup (config->secret_file);
  memset (config, 0, sizeof *config);
  supervisor = grp_supervisor_new (&cfg, error);
  if (supervisor == NULL)
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return NULL;
    }
  self->n_members = n_members;
  set_supervisor (self, supervisor);
  g_action_change_state (g_action_map_lookup_action (G_ACTION_MAP (self), "keep-logs"),
                         g_variant_new_boolean (self->config.keep_logs));
  grp_supervisor_start (supervisor, n_members);
  return self;
}

GrpSupervisor *
grp_console_window_get_supervisor (GrpConsoleWindow *self)
{
  return self->supervisor;
}
