/* grp-window.c: the window binds to the worker (the model); it never talks
 * to the network.
 *
 * What it shows, and why:
 *  - the whole window is painted in the worker's color, but paced: it takes
 *    a new color at most "color-rate" times a second (WCAG 2.3.1 allows
 *    three flashes a second), on boundaries every window shares so that
 *    the windows of a group change together, easing into it unless the
 *    desktop turned animations off.  Every delivery still reaches the strip, and every
 *    color it shows is logged ("shown"), so the pace can be checked;
 *  - the card says who this is, the protocol it runs (one of the exercise's
 *    stages stands out: it is meant to fail), its role as a badge (the
 *    leader's is gold),
 *    the view with the leader (★) and this member marked, and the last
 *    position delivered -- all as the worker's log says it;
 *  - short notices tell what just happened: who went and why (crashed,
 *    left, went silent, as far as this member knew) and who leads now,
 *    who joined, the state this member joined with, waiting for a quorum
 *    (the minority of a partition), being left out;
 *  - the stage scales with the window, so a maximized window reads from
 *    the back of a lecture hall.
 */
#include "config.h"

#include "grp-window.h"

#include <glib/gi18n.h>

#include "grp-color-view.h"
#include "grp-history-view.h"
#include "grp-limits.h"
#include "grp-options.h"
#include "grp-place.h"
#include "grp-proto.h"

#define N_NOTICES 3

struct _GrpWindow {
  AdwApplicationWindow parent_instance;

  GrpWorker *worker;
  guint color_rate;
  int slot;

  AdwWindowTitle *window_title;
  GtkWidget *crash_button;
  GtkWidget *menu_button;
  GrpColorView *color_view;
  GtkWidget *stage;
  GtkWidget *card;
  GtkLabel *name_label;
  GtkLabel *protocol_label;
  GtkLabel *role_badge;
  GtkLabel *view_label;
  GtkLabel *members_label;
  GtkLabel *seq_label;
  GtkWidget *notices;
  GrpHistoryView *history;

  gint64 shown_at;          /* monotonic time the color last changed */
  GArray *shown_times;      /* gint64: monotonic times of the last color-rate changes */
  guint pace_id;
  char *leader;             /* of the last view, for "X gone -- Y leads" */
  guint64 state_seq;        /* the state this membership began with */
  gboolean excluded;
  gboolean unblock_untold;  /* hears a quorum again: said once it goes on */
  const char *scale_class;
  GtkWidget *join_entry;
};

G_DEFINE_FINAL_TYPE (GrpWindow, grp_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_WORKER,
  PROP_COLOR_RATE,
  PROP_SLOT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- the color, paced ------------------------------------------------- */

static void
show_color (GrpWindow *self)
{
  guint n;
  const guint32 *colors = grp_worker_get_history (self->worker, &n);
  guint32 color = grp_worker_get_color (self->worker);

  self->shown_at = g_get_monotonic_time ();
  grp_history_view_set_colors (self->history, colors, n);
  if (color == grp_color_view_get_color (self->color_view))
    return;
  grp_color_view_set_color (self->color_view, color);
  grp_worker_log_shown (self->worker, color);
  g_array_append_val (self->shown_times, self->shown_at);
  if (self->shown_times->len > self->color_rate)
    g_array_remove_range (self->shown_times, 0, self->shown_times->len - self->color_rate);
}

/* The time between two boundaries, in µs: a little more than 1/rate s. */
static gint64
min_interval (GrpWindow *self)
{
  return self->color_rate == 0 ? 0 : G_USEC_PER_SEC / self->color_rate + 10000;
}

/* Whether a change now keeps to `rate` changes in any second (WCAG 2.3.1). */
static gboolean
may_show (GrpWindow *self)
{
  GArray *t = self->shown_times;

  return t->len < self->color_rate ||
         g_get_monotonic_time () - g_array_index (t, gint64, t->len - self->color_rate) >
           G_USEC_PER_SEC;
}

static gboolean pace_done (gpointer data);

/* The next boundary every window shares: the wall clock's multiples of the
 * interval.  The windows of a group deliver the same colors within
 * milliseconds of each other; each pacing itself on a phase of its own (at
 * once if the last change was long enough ago, else that long after it),
 * they showed different colors much of the time while nothing was wrong.
 * On shared boundaries they change together, each to the newest color it
 * has. */
static void
pace_to_boundary (GrpWindow *self)
{
  gint64 interval = min_interval (self);
  gint64 now = g_get_real_time ();
  gint64 at = (now / interval + 1) * interval;

  self->pace_id = g_timeout_add ((guint) ((at - now + 999) / 1000), pace_done, self);
}

static gboolean
pace_done (gpointer data)
{
  GrpWindow *self = data;

  self->pace_id = 0;
  /* A timer that fired late could make the changes of some second too
   * many: this one waits for the next boundary. */
  if (!may_show (self))
    pace_to_boundary (self);
  else
    show_color (self);
  return G_SOURCE_REMOVE;
}

/* The first color shows at once; each later one at the next boundary. */
static void
color_changed (GrpWindow *self)
{
  if (self->pace_id != 0)
    return; /* the pending change will show the newest color */
  if (self->color_rate == 0 || self->shown_at == 0)
    show_color (self);
  else
    pace_to_boundary (self);
}

/* ---- the card --------------------------------------------------------- */

/* The protocol: the real one, or a stage of the exercise (which stands
 * out, and whose tooltip says what it lacks). */
static void
set_protocol (GrpWindow *self)
{
  const char *name = grp_worker_get_protocol (self->worker);
  const GrpProtoClass *protocol = grp_proto_find (name);
  gboolean stage = protocol != grp_proto_default ();
  g_autofree char *text = NULL;

  /* TRANSLATORS: the protocol a member runs: "groupy", or "gms2" (a stage of the exercise) */
  text = g_strdup_printf (stage ? _("%s · a stage of the exercise") : _("protocol %s"), name);
  gtk_label_set_text (self->protocol_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->protocol_label),
                               protocol != NULL ? protocol->summary : NULL);
  if (stage)
    gtk_widget_add_css_class (GTK_WIDGET (self->protocol_label), "stage");
}

/* Numbers go into translatable text as strings: a G_GUINT64_FORMAT inside
 * a message would hide the message from xgettext. */
static char *
u64 (guint64 value)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT, value);
}

static const char *
role_text (GrpRole role)
{
  switch (role)
    {
    case GRP_ROLE_NONE:
      return C_("role", "starting");
    case GRP_ROLE_JOINING:
      return C_("role", "joining");
    case GRP_ROLE_REJOINING:
      return C_("role", "rejoining");
    case GRP_ROLE_MEMBER:
      return C_("role", "member");
    case GRP_ROLE_LEADER:
      return C_("role", "leader");
    case GRP_ROLE_ALONE:
      return C_("role", "alone");
    case GRP_ROLE_LEFT:
      return C_("role", "left");
    case GRP_ROLE_FAILED:
      return C_("role", "failed");
    default:
      return "?";
    }
}

static void
update_role (GrpWindow *self)
{
  static const char *const classes[] = { "leader", "joining", "gone" };
  GrpRole role = grp_worker_get_role (self->worker);
  const char *text = role_text (role);
  const char *cls = NULL;
  g_autofree char *badge = NULL;
  g_autofree char *title = NULL;

  if (role == GRP_ROLE_LEADER || role == GRP_ROLE_ALONE)
    cls = "leader";
  else if (role == GRP_ROLE_JOINING || role == GRP_ROLE_REJOINING || role == GRP_ROLE_NONE)
    cls = "joining";
  else if (role == GRP_ROLE_LEFT || role == GRP_ROLE_FAILED)
    cls = "gone";
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (g_strcmp0 (classes[i], cls) != 0)
      gtk_widget_remove_css_class (GTK_WIDGET (self->role_badge), classes[i]);
  if (cls != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->role_badge), cls);
  badge = cls != NULL && g_str_equal (cls, "leader") ? g_strdup_printf ("★ %s", text)
                                                     : g_strdup (text);
  gtk_label_set_text (self->role_badge, badge);

  /* The window manager's title, in the C locale "NAME — ROLE (PROTOCOL)"
   * (the GUI test finds windows by it). */
  title = g_strdup_printf ("%s — %s (%s)", grp_worker_get_name (self->worker), text,
                           grp_worker_get_protocol (self->worker));
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_subtitle (self->window_title, text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join", role == GRP_ROLE_ALONE);
}

static void
update_view (GrpWindow *self)
{
  const char *const *members = grp_worker_get_members (self->worker);
  const char *me = grp_worker_get_name (self->worker);
  guint n = g_strv_length ((char **) members);
  g_autoptr(GString) markup = g_string_new (NULL);
  g_autofree char *view = NULL;

  if (grp_worker_get_view_id (self->worker) == 0)
    view = g_strdup (_("not in a view yet"));
  else
    {
      g_autofree char *id = u64 (grp_worker_get_view_id (self->worker));

      /* TRANSLATORS: "view 7 · 4 members" */
      view = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "view %s · %u member",
                                           "view %s · %u members", n),
                              id, n);
    }
  gtk_label_set_text (self->view_label, view);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_markup_escape_text (members[i], -1);

      if (i > 0)
        g_string_append (markup, "  ·  ");
      if (i == 0)
        g_string_append (markup, "★ ");
      if (g_str_equal (members[i], me))
        /* TRANSLATORS: this member in the list of the view's members */
        g_string_append_printf (markup, _("<b>%s</b> (you)"), name);
      else
        g_string_append (markup, name);
    }
  gtk_label_set_markup (self->members_label, markup->str);
  gtk_widget_set_visible (GTK_WIDGET (self->members_label), n > 0);
}

static void
update_seq (GrpWindow *self)
{
  guint64 seq = grp_worker_get_last_seq (self->worker);
  g_autofree char *pos = u64 (seq);
  g_autofree char *text = NULL;

  if (seq == 0)
    text = g_strdup (_("nothing delivered yet"));
  else if (grp_worker_get_view_id (self->worker) == 0)
    text = g_strdup_printf (_("state as of #%s"), pos);
  else
    text = g_strdup_printf (_("delivered #%s"), pos);
  gtk_label_set_text (self->seq_label, text);
}

/* ---- notices ---------------------------------------------------------- */

static void
notice (GrpWindow *self, const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  GtkWidget *child;
  guint n = 0;

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_halign (label, GTK_ALIGN_START);
  gtk_widget_add_css_class (label, "groupy-notice");
  gtk_widget_set_tooltip_text (label, text);
  /* Newest at the bottom, nearest the strip; older ones dim, then go. */
  for (child = gtk_widget_get_first_child (self->notices); child;
       child = gtk_widget_get_next_sibling (child))
    {
      gtk_widget_add_css_class (child, "old");
      n++;
    }
  if (n == N_NOTICES)
    gtk_box_remove (GTK_BOX (self->notices), gtk_widget_get_first_child (self->notices));
  gtk_box_append (GTK_BOX (self->notices), label);
}

static char *
join_names (const char *const *names)
{
  return g_strjoinv (", ", (char **) names);
}

/* "w1 crashed, w4 left": who went, and why as far as this member knew. */
static char *
describe_gone (GrpWorker *worker, const char *const *gone)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; gone[i] != NULL; i++)
    {
      const char *why = grp_worker_get_departure (worker, gone[i]);
      char *part;

      /* TRANSLATORS: each is "<member> <what happened>", joined by commas */
      if (g_strcmp0 (why, "crashed") == 0)
        part = g_strdup_printf (_("%s crashed"), gone[i]);
      else if (g_strcmp0 (why, "left") == 0)
        part = g_strdup_printf (_("%s left"), gone[i]);
      else if (g_strcmp0 (why, "silent") == 0)
        part = g_strdup_printf (_("%s went silent"), gone[i]);
      else if (g_strcmp0 (why, "slow") == 0)
        part = g_strdup_printf (_("%s could not keep up"), gone[i]);
      else if (g_strcmp0 (why, "left-out") == 0)
        part = g_strdup_printf (_("%s was left out"), gone[i]);
      else
        part = g_strdup_printf (_("%s gone"), gone[i]);
      g_ptr_array_add (parts, part);
    }
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (", ", (char **) parts->pdata);
}

/* Back to a quorum, said once the member goes on (blocked_changed). */
static void
going_on (GrpWindow *self)
{
  if (!self->unblock_untold)
    return;
  self->unblock_untold = FALSE;
  notice (self, _("quorum back — going on"));
}

static void
on_view_changed (GrpWorker *worker, guint64 view, GStrv joined, GStrv gone, gboolean first,
                 gpointer data)
{
  GrpWindow *self = data;
  const char *leader = grp_worker_get_leader (worker);
  gboolean me_leads = g_strcmp0 (leader, grp_worker_get_name (worker)) == 0;
  g_autofree char *v = u64 (view);
  g_autofree char *state = u64 (self->state_seq);
  g_autofree char *text = NULL;

  going_on (self);
  if (first && self->state_seq != 0)
    text = g_strdup_printf (self->excluded ? _("rejoined view %s, state as of #%s")
                                           : _("joined view %s, state as of #%s"), v, state);
  else if (first)
    text = g_strdup_printf (_("founded the group: view %s"), v);
  else if (self->leader != NULL && g_strv_contains ((const char *const *) gone, self->leader))
    {
      g_autofree char *names = describe_gone (worker, (const char *const *) gone);

      /* TRANSLATORS: "w3 crashed — w2 leads view 7" */
      text = me_leads ? g_strdup_printf (_("%s — you lead view %s"), names, v)
                      : g_strdup_printf (_("%s — %s leads view %s"), names, leader, v);
    }
  else if (g_strcmp0 (self->leader, leader) != 0)
    text = g_strdup_printf (_("%s leads view %s"), leader, v);
  else if (gone[0] != NULL && joined[0] != NULL)
    {
      g_autofree char *in = join_names ((const char *const *) joined);
      g_autofree char *out = describe_gone (worker, (const char *const *) gone);

      text = g_strdup_printf (_("%s joined, %s (view %s)"), in, out, v);
    }
  else if (gone[0] != NULL)
    {
      g_autofree char *out = describe_gone (worker, (const char *const *) gone);

      text = g_strdup_printf (_("%s (view %s)"), out, v);
    }
  else if (joined[0] != NULL)
    {
      g_autofree char *in = join_names ((const char *const *) joined);

      text = g_strdup_printf (_("%s joined (view %s)"), in, v);
    }
  if (text != NULL)
    notice (self, text);
  g_free (self->leader);
  self->leader = g_strdup (leader);
  if (first)
    {
      self->excluded = FALSE;
      self->state_seq = 0; /* the next membership's own comes before its first view */
    }
}

static void
on_state_received (GrpWorker *worker, guint64 seq, gpointer data)
{
  GrpWindow *self = data;

  self->state_seq = seq;
}

static void
on_excluded (GrpWorker *worker, gpointer data)
{
  GrpWindow *self = data;

  self->excluded = TRUE;
  self->unblock_untold = FALSE;
  notice (self, _("left out — rejoining"));
}

/* Nothing is delivered while it waits, so the notice stays the newest one
 * until the wait ends.  That it waits no more says that it hears a quorum
 * of its view again, not that it goes on: back from a freeze, it hears the
 * others, then learns that they went on without it, and the window said
 * "quorum back — going on", then "left out — rejoining".  So "quorum back"
 * waits for the member to go on: a delivery or a view (going_on). */
static void
blocked_changed (GrpWindow *self)
{
  if (grp_worker_is_blocked (self->worker))
    {
      /* Waiting again before it went on: "no quorum — waiting" still holds. */
      if (!self->unblock_untold)
        notice (self, _("no quorum — waiting"));
      self->unblock_untold = FALSE;
    }
  else if (!self->excluded)
    self->unblock_untold = TRUE;
}

/* ---- size ------------------------------------------------------------- */

/* The stage's font scale for a window of width x height: it grows with the
 * smaller of the two ratios to the default size, in steps, so that the
 * card and its text fill a maximized window as they fill a small one. */
static const char *
scale_class_for (int width, int height)
{
  static const struct { double scale; const char *cls; } steps[] = {
    { 3.5, "scale-350" }, { 3.0, "scale-300" }, { 2.5, "scale-250" }, { 2.0, "scale-200" },
    { 1.75, "scale-175" }, { 1.5, "scale-150" }, { 1.25, "scale-125" },
  };
  double s = MIN (width / 320.0, height / 300.0);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (s >= steps[i].scale)
      return steps[i].cls;
  return NULL;
}

static void
apply_scale (GrpWindow *self)
{
  const char *cls = scale_class_for (gtk_widget_get_width (GTK_WIDGET (self->color_view)),
                                     gtk_widget_get_height (GTK_WIDGET (self->color_view)));

  if (cls == self->scale_class)
    return;
  if (self->scale_class != NULL)
    gtk_widget_remove_css_class (self->stage, self->scale_class);
  if (cls != NULL)
    gtk_widget_add_css_class (self->stage, cls);
  self->scale_class = cls;
}

static void
stage_resized (GrpWindow *self, int width, int height)
{
  apply_scale (self);
}

/* ---- actions ---------------------------------------------------------- */

static void
crash_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  grp_worker_crash (GRP_WINDOW (widget)->worker);
}

static void
copy_address_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  GrpWindow *self = GRP_WINDOW (widget);
  const char *address = grp_worker_get_address (self->worker);
  g_autofree char *text = g_strdup_printf (_("address copied: %s"), address);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), address);
  notice (self, text);
}

static void
joined_other (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GrpWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!grp_worker_join_other_finish (GRP_WORKER (source), res, &error))
    {
      g_autofree char *text = g_strdup_printf (_("could not join: %s"), error->message);
      /* TRANSLATORS: %s is why, for example "this group runs gms2, you run groupy" */
      g_autofree char *body = g_strdup_printf (_("This window could not join the other group: "
                                                 "%s. It goes on alone, in a group of its own."),
                                               error->message);
      AdwMessageDialog *dialog;

      notice (self, text);
      /* Quit while joining: the window is going, nobody asked why. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The notice is cut at the window's width, and comes after
       * "founded the group: view 1": the reason, whole, where it is read. */
      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Could Not Join"),
                                                           body));
      adw_message_dialog_add_response (dialog, "close", _("_Close"));
      adw_message_dialog_set_close_response (dialog, "close");
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
join_response (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  GrpWindow *self = data;
  const char *address = gtk_editable_get_text (GTK_EDITABLE (self->join_entry));

  if (g_str_equal (response, "join"))
    {
      g_autofree char *text = g_strdup_printf (_("joining through %s…"), address);

      notice (self, text);
      grp_worker_join_other_async (self->worker, address, joined_other, g_object_ref (self));
    }
  self->join_entry = NULL;
}

static void
join_entry_changed (GtkEditable *entry, gpointer data)
{
  AdwMessageDialog *dialog = data;
  const char *address = gtk_editable_get_text (entry);

  adw_message_dialog_set_response_enabled (dialog, "join", grp_options_check_address (address));
}

static void
join_activated (GtkWidget *widget, const char *action, GVariant *param)
{
  GrpWindow *self = GRP_WINDOW (widget);
  AdwMessageDialog *dialog;
  GtkWidget *entry = gtk_entry_new ();

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Join Another Group"),
                                                       _("Type the address of any member of "
                                                         "the other group, as its window’s "
                                                         "Copy Address gives it. This window "
                                                         "leaves its group of one.")));
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), "127.0.0.1:40000");
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "join", _("_Join"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "join", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "join");
  adw_message_dialog_set_close_response (dialog, "cancel");
  adw_message_dialog_set_response_enabled (dialog, "join", FALSE);
  g_signal_connect (entry, "changed", G_CALLBACK (join_entry_changed), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (join_response), self);
  self->join_entry = entry;
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Closing the window kills the worker, with no goodbye: this is "killing
 * the leader window". */
static gboolean
grp_window_close_request (GtkWindow *window)
{
  grp_worker_crash (GRP_WINDOW (window)->worker);
  return TRUE;
}

/* ---- construction ----------------------------------------------------- */

static void
grp_window_set_worker (GrpWindow *self, GrpWorker *worker)
{
  self->worker = g_object_ref (worker);
  gtk_label_set_text (self->name_label, grp_worker_get_name (worker));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), grp_worker_get_name (worker));
  adw_window_title_set_title (self->window_title, grp_worker_get_name (worker));
  set_protocol (self);
  g_signal_connect_object (worker, "notify::role", G_CALLBACK (update_role), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::members", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::view-id", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::view-id", G_CALLBACK (update_seq), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::last-seq", G_CALLBACK (going_on), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::last-seq", G_CALLBACK (update_seq), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "notify::color", G_CALLBACK (color_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (worker, "view-changed", G_CALLBACK (on_view_changed), self, 0);
  g_signal_connect_object (worker, "state-received", G_CALLBACK (on_state_received), self, 0);
  g_signal_connect_object (worker, "excluded", G_CALLBACK (on_excluded), self, 0);
  g_signal_connect_object (worker, "notify::blocked", G_CALLBACK (blocked_changed), self,
                           G_CONNECT_SWAPPED);
  update_role (self);
  update_view (self);
  update_seq (self);
  show_color (self);
}

/* The window goes to its place before it maps: mapped at the top-left
 * corner and moved after, it lay over the console for a moment and, with
 * no compositor, carried the console's pixels there to its place until it
 * drew itself.  Placed again once mapped, where a window manager may have
 * put it elsewhere. */
static void
grp_window_realize (GtkWidget *widget)
{
  GrpWindow *self = GRP_WINDOW (widget);

  GTK_WIDGET_CLASS (grp_window_parent_class)->realize (widget);
  if (self->slot >= 0)
    grp_place_in_slot (GTK_WINDOW (self), self->slot);
}

static void
grp_window_map (GtkWidget *widget)
{
  GrpWindow *self = GRP_WINDOW (widget);

  GTK_WIDGET_CLASS (grp_window_parent_class)->map (widget);
  if (self->slot >= 0)
    grp_place_in_slot (GTK_WINDOW (self), self->slot);
}

static void
grp_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GrpWindow *self = GRP_WINDOW (object);

  switch (prop_id)
    {
    case PROP_WORKER:
      grp_window_set_worker (self, g_value_get_object (value));
      break;
    case PROP_COLOR_RATE:
      self->color_rate = g_value_get_uint (value);
      /* Ease in a fraction of the time between two colors, never longer. */
      grp_color_view_set_transition (self->color_view, self->color_rate ? 200 : 0);
      break;
    case PROP_SLOT:
      self->slot = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GrpWindow *self = GRP_WINDOW (object);

  switch (prop_id)
    {
    case PROP_WORKER:
      g_value_set_object (value, self->worker);
      break;
    case PROP_COLOR_RATE:
      g_value_set_uint (value, self->color_rate);
      break;
    case PROP_SLOT:
      g_value_set_int (value, self->slot);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_window_dispose (GObject *object)
{
  GrpWindow *self = GRP_WINDOW (object);

  g_clear_handle_id (&self->pace_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), GRP_TYPE_WINDOW);
  g_clear_object (&self->worker);
  G_OBJECT_CLASS (grp_window_parent_class)->dispose (object);
}

static void
grp_window_finalize (GObject *object)
{
  GrpWindow *self = GRP_WINDOW (object);

  g_free (self->leader);
  g_array_unref (self->shown_times);
  G_OBJECT_CLASS (grp_window_parent_class)->finalize (object);
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
  object_class->finalize = grp_window_finalize;
  widget_class->realize = grp_window_realize;
  widget_class->map = grp_window_map;
  window_class->close_request = grp_window_close_request;

  properties[PROP_WORKER] =
    g_param_spec_object ("worker", NULL, NULL, GRP_TYPE_WORKER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR_RATE] =
    g_param_spec_uint ("color-rate", NULL, NULL, 0, GRP_LIMIT_COLOR_RATE_MAX, 3,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SLOT] =
    g_param_spec_int ("slot", NULL, NULL, -1, GRP_LIMIT_SLOT_MAX, -1,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GRP_TYPE_COLOR_VIEW);
  g_type_ensure (GRP_TYPE_HISTORY_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/groupy/Groupy/grp-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, crash_button);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, color_view);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, stage);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, card);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, name_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, protocol_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, role_badge);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, view_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, members_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, seq_label);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, notices);
  gtk_widget_class_bind_template_child (widget_class, GrpWindow, history);
  gtk_widget_class_bind_template_callback (widget_class, stage_resized);

  gtk_widget_class_install_action (widget_class, "win.crash", NULL, crash_activated);
  gtk_widget_class_install_action (widget_class, "win.copy-address", NULL, copy_address_activated);
  gtk_widget_class_install_action (widget_class, "win.join", NULL, join_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK,
                                       "win.crash", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.copy-address", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_j, GDK_CONTROL_MASK, "win.join", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
}

static void
grp_window_init (GrpWindow *self)
{
  self->slot = -1;
  self->color_rate = 3;
  self->shown_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Not Crash, the first button: Space or Enter in a window just opened
   * killed its worker (a newcomer's trial).  The menu is harmless. */
  gtk_window_set_focus (GTK_WINDOW (self), self->menu_button);
}

GrpWindow *
grp_window_new (GtkApplication *app, GrpWorker *worker, guint color_rate, int slot)
{
  return g_object_new (GRP_TYPE_WINDOW, "application", app, "color-rate", color_rate, "slot", slot,
                       "worker", worker, NULL);
}

GrpWorker *
grp_window_get_worker (GrpWindow *self)
{
  g_return_val_if_fail (GRP_IS_WINDOW (self), NULL);

  return self->worker;
}
