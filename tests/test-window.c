/* test-window.c: the member window and the console at every size, and the
 * window's color pace, with real workers, under a private X server
 * (tests/with-xvfb.sh).
 *
 * Layout: for sizes from the smallest the window allows to 1600x1000, the
 * parts a user reads or presses (name, role badge, view, members,
 * position, notices, strip, header buttons; the console's tiles, their
 * buttons, the settings and the timeline) lie inside the window and do not
 * overlap one another, and the stage's text grows with the window.
 *
 * Pace: a worker alone in its group delivers a change every 10 ms or so;
 * the window shows at most three new colors in any second, and shows the
 * worker's color once the worker is quiet.
 *
 * No quorum: the window's worker leads a group of three whose two other
 * members (groupy-node processes) are stopped; the window says "no quorum
 * — waiting", and "quorum back — going on" once they run again. */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "grp-color-view.h"
#include "grp-console-window.h"
#include "grp-limits.h"
#include "grp-member-tile.h"
#include "grp-window.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif

typedef struct {
  const char *what;
  GtkWidget *widget;
} Part;

static void
wait_until (gboolean (*done) (gpointer), gpointer data, guint timeout_ms, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out after %u ms waiting for %s", timeout_ms, what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

typedef struct {
  GtkWidget *window;
  int width, height;
  guint frames;
} Sized;

static void
count_frame (GdkFrameClock *clock, gpointer data)
{
  ((Sized *) data)->frames++;
}

/* Allocated at the size asked for (or at its minimum, when larger), and
 * drawn a few frames since, so that a size-dependent restyle settled. */
static gboolean
settled (gpointer data)
{
  Sized *s = data;
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (s->window));
  int w = gtk_widget_get_width (content), h = gtk_widget_get_height (content);
  int min_w, min_h;

  if (!gtk_widget_get_mapped (s->window) || w == 0 || s->frames < 6)
    return FALSE;
  /* Styles may still change (settings arrive late): settled is when the
   * content has at least the room it asks for. */
  gtk_widget_measure (content, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, NULL, NULL, NULL);
  gtk_widget_measure (content, GTK_ORIENTATION_VERTICAL, w, &min_h, NULL, NULL, NULL);
  if (w < min_w || h < min_h)
    {
      s->frames = 0;
      return FALSE;
    }
  return TRUE;
}

static void
show_at (GtkWidget *window, int width, int height)
{
  Sized s = { window, width, height, 0 };
  GdkFrameClock *clock;
  gulong id;

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  wait_until ((gboolean (*) (gpointer)) gtk_widget_get_mapped, window, 10000, "the window to map");
  clock = gtk_widget_get_frame_clock (window);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (count_frame), &s);
  gdk_frame_clock_begin_updating (clock);
  wait_until (settled, &s, 10000, "the window to settle at its size");
  gdk_frame_clock_end_updating (clock);
  g_signal_handler_disconnect (clock, id);
}

static graphene_rect_t
bounds_in (GtkWidget *widget, GtkWidget *window)
{
  graphene_rect_t r;

  g_assert_true (gtk_widget_compute_bounds (widget, window, &r));
  return r;
}

/* Every part lies in the window, and no two visible parts overlap. */
static void
assert_layout (GtkWidget *window, Part *parts, guint n, const char *where)
{
  int w = gtk_widget_get_width (window), h = gtk_widget_get_height (window);

  for (guint i = 0; i < n; i++)
    {
      graphene_rect_t a;

      if (!gtk_widget_get_mapped (parts[i].widget))
        continue;
      a = bounds_in (parts[i].widget, window);
      if (a.origin.x < -0.5 || a.origin.y < -0.5 || a.origin.x + a.size.width > w + 0.5 ||
          a.origin.y + a.size.height > h + 0.5)
        g_error ("%s: %s at %gx%g+%g+%g is not inside the %dx%d window", where, parts[i].what,
                 a.size.width, a.size.height, a.origin.x, a.origin.y, w, h);
      if (a.size.width < 1 || a.size.height < 1)
        g_error ("%s: %s has no room (%gx%g)", where, parts[i].what, a.size.width, a.size.height);
      for (guint j = 0; j < i; j++)
        {
          graphene_rect_t b, both;

          if (!gtk_widget_get_mapped (parts[j].widget))
            continue;
          b = bounds_in (parts[j].widget, window);
          if (graphene_rect_intersection (&a, &b, &both) &&
              both.size.width > 0.5 && both.size.height > 0.5)
            g_error ("%s: %s (%gx%g+%g+%g) overlaps %s (%gx%g+%g+%g)", where, parts[i].what,
                     a.size.width, a.size.height, a.origin.x, a.origin.y, parts[j].what,
                     b.size.width, b.size.height, b.origin.x, b.origin.y);
        }
    }
}

static GtkWidget *
child (GtkWidget *window, GType type, const char *name)
{
  GObject *object = gtk_widget_get_template_child (window, type, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

/* ---- the member window ------------------------------------------------ */

static GrpWorker *
new_worker_with (const char *name, guint sleep_ms, const char *heartbeat_ms, const char *suspect_ms)
{
  g_autofree char *sleep = g_strdup_printf ("%u", sleep_ms);
  char *args[] = { "test-window", "--name", (char *) name, "--crash-rate", "0", "--sleep", sleep,
                   "--heartbeat", (char *) heartbeat_ms, "--suspect-timeout", (char *) suspect_ms,
                   NULL };
  char **argv = args;
  int argc = G_N_ELEMENTS (args) - 1;
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  GrpWorker *worker;

  g_assert_true (grp_options_parse (&options, &argc, &argv, "", NULL, &error));
  worker = grp_worker_new (&options);
  g_assert_true (grp_worker_prepare (worker, &error));
  grp_worker_start_async (worker, NULL, NULL);
  return worker;
}

static GrpWorker *
new_worker (const char *name, guint sleep_ms)
{
  return new_worker_with (name, sleep_ms, "100", "2000");
}

static gboolean
in_view (gpointer data)
{
  return grp_worker_get_view_id (data) > 0;
}

static gboolean
has_notice (gpointer data)
{
  return gtk_widget_get_first_child (data) != NULL;
}

static void
test_window_sizes (void)
{
  static const int sizes[][2] = {
    { 1, 1 }, { 240, 200 }, { 320, 320 }, { 420, 380 }, { 640, 480 }, { 800, 600 }, { 1024, 768 },
    { 1280, 800 }, { 1600, 1000 }, { 1600, 340 }, { 360, 1000 },
  };
  /* A name far too long for a small window: it must be ellipsized. */
  g_autoptr(GrpWorker) worker = new_worker ("a-member-with-a-name-of-forty-characters", 5);
  int name_height_small = 0, name_height_large = 0;

  wait_until (in_view, worker, 10000, "the worker's first view");
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      GtkWidget *window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
      GtkWidget *notices = child (window, GRP_TYPE_WINDOW, "notices");
      g_autofree char *where = g_strdup_printf ("window at %dx%d", sizes[i][0], sizes[i][1]);
      g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
      const char *names[] = { "name_label", "role_badge", "view_label", "members_label",
                              "seq_label", "history", "window_title", "crash_button",
                              "menu_button" };
      Part *p;

      /* Three notices, as many as the window keeps. */
      for (guint k = 0; k < 3; k++)
        gtk_widget_activate_action (window, "win.copy-address", NULL);
      wait_until (has_notice, notices, 5000, "a notice");
      show_at (window, sizes[i][0], sizes[i][1]);
      for (guint k = 0; k < G_N_ELEMENTS (names); k++)
        {
          p = g_new (Part, 1);
          *p = (Part) { names[k], child (window, GRP_TYPE_WINDOW, names[k]) };
          g_ptr_array_add (parts, p);
        }
      for (GtkWidget *n = gtk_widget_get_first_child (notices); n;
           n = gtk_widget_get_next_sibling (n))
        {
          p = g_new (Part, 1);
          *p = (Part) { "a notice", n };
          g_ptr_array_add (parts, p);
        }
      {
        Part flat[32];
        guint n = MIN (parts->len, G_N_ELEMENTS (flat));

        for (guint k = 0; k < n; k++)
          flat[k] = *(Part *) parts->pdata[k];
        assert_layout (window, flat, n, where);
      }
      g_test_message ("%s: %dx%d, nothing overlaps", where, gtk_widget_get_width (window),
                      gtk_widget_get_height (window));
      if (i == 0)
        name_height_small = gtk_widget_get_height (child (window, GRP_TYPE_WINDOW, "name_label"));
      if (sizes[i][0] == 1600 && sizes[i][1] == 1000)
        name_height_large = gtk_widget_get_height (child (window, GRP_TYPE_WINDOW, "name_label"));
      gtk_window_destroy (GTK_WINDOW (window));
    }
  /* Readable from the back of a room: the name is far larger maximized. */
  g_test_message ("the name is %d px tall at the minimum, %d px at 1600x1000", name_height_small,
                  name_height_large);
  g_assert_cmpint (name_height_large, >=, 2 * name_height_small);
}

/* ---- the title --------------------------------------------------------- */

/* A label under `widget` whose text is `text`, or NULL. */
static GtkLabel *
label_showing (GtkWidget *widget, const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return GTK_LABEL (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkLabel *found = label_showing (c, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The same, if it is cut to fit. */
static GtkLabel *
cut_label (GtkWidget *widget, const char *text)
{
  GtkLabel *label = label_showing (widget, text);

  return label != NULL && pango_layout_is_ellipsized (gtk_label_get_layout (label)) ? label : NULL;
}

/* Whether the header of a window at its default size, with the window
 * buttons `layout` (gtk-decoration-layout), shows `name` in full. */
static gboolean
title_shows (const char *name, const char *layout)
{
  g_autoptr(GrpWorker) worker = new_worker (name, 5);
  GtkSettings *settings = gtk_settings_get_default ();
  g_autofree char *was = NULL;
  GtkWidget *window, *title;
  gboolean cut;

  g_object_get (settings, "gtk-decoration-layout", &was, NULL);
  g_object_set (settings, "gtk-decoration-layout", layout, NULL);
  wait_until (in_view, worker, 10000, "the worker's first view");
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
  title = child (window, GRP_TYPE_WINDOW, "window_title");
  show_at (window, 340, 360);
  cut = cut_label (title, name) != NULL;
  g_test_message ("%s beside \"%s\": %s in a title %d px wide", name, layout,
                  cut ? "cut" : "in full", gtk_widget_get_width (title));
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_set (settings, "gtk-decoration-layout", was, NULL);
  return !cut;
}

/* A window started without --name says its default name in full in its
 * header at its default size: "worker-PID" showed as "work…" beside
 * minimize, maximize and close (GTK's default without a desktop, and
 * Ubuntu's).  The default name is "w" and the process id: in full there up
 * to five digits, and up to Linux's largest, 4194304, beside GNOME's close
 * button alone. */
static void
test_window_default_name (void)
{
  char *args[] = { "test-window", NULL };
  char **argv = args;
  int argc = G_N_ELEMENTS (args) - 1;
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  g_autofree char *ours = grp_options_default_name ((int) getpid ());
  g_autofree char *five = grp_options_default_name (99999);
  g_autofree char *longest = grp_options_default_name (4194304);

  g_assert_true (grp_options_parse (&options, &argc, &argv, "", NULL, &error));
  g_assert_cmpstr (options.name, ==, ours);
  grp_options_clear (&options);
  g_assert_true (title_shows (five, "menu:minimize,maximize,close"));
  g_assert_true (title_shows (longest, "appmenu:close"));
}

/* ---- the place -------------------------------------------------------- */

/* A window given a place (--slot) is there before it maps.  It mapped at
 * the top-left corner and moved after: for a moment over the console and,
 * without a compositor, showing there the console's tiles it carried along
 * (the X server moves a window's pixels with it) until it drew itself. */
static void
test_window_placed_before_map (void)
{
#ifdef GDK_WINDOWING_X11
  g_autoptr(GrpWorker) worker = new_worker ("placed", 5);
  GdkDisplay *display = gdk_display_get_default ();
  GtkWidget *window;
  GdkSurface *surface;
  Window root;
  int x = 0, y = 0, screen_w;
  unsigned int w, h, border, depth;

  if (!GDK_IS_X11_DISPLAY (display))
    {
      g_test_skip ("not on X11");
      return;
    }
  wait_until (in_view, worker, 10000, "the worker's first view");
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, 0));
  gtk_widget_realize (window);
  surface = gtk_native_get_surface (GTK_NATIVE (window));
  XSync (gdk_x11_display_get_xdisplay (display), False);
  g_assert_true (XGetGeometry (gdk_x11_display_get_xdisplay (display),
                               gdk_x11_surface_get_xid (surface), &root, &x, &y, &w, &h, &border,
                               &depth));
  screen_w = (int) WidthOfScreen (DefaultScreenOfDisplay (gdk_x11_display_get_xdisplay (display)));
  g_test_message ("slot 0, realized and not yet mapped: at %d,%d on a screen %d px wide", x, y,
                  screen_w);
  /* Slot 0: the top-right cell (no console here: nothing beside). */
  g_assert_cmpint (x, >, screen_w / 2);
  g_assert_false (gtk_widget_get_mapped (window));
  /* Shown before it goes: a window destroyed realized and never shown left
   * GTK a handler on its surface that later met the freed window. */
  show_at (window, 340, 360);
  gtk_window_destroy (GTK_WINDOW (window));
#else
  g_test_skip ("built without X11");
#endif
}

/* ---- the pace of colors ----------------------------------------------- */

typedef struct {
  GArray *times;            /* µs, monotonic */
  GArray *phases;           /* µs after a multiple of the pace's interval, wall clock */
  GrpWorker *worker;
  GrpColorView *view;
} Pace;

/* The windows' interval at three colors a second (grp-window.c). */
#define PACE_INTERVAL (G_USEC_PER_SEC / 3 + 10000)

static void
color_shown (GrpColorView *view, GParamSpec *pspec, Pace *pace)
{
  gint64 now = g_get_monotonic_time ();
  gint64 phase = g_get_real_time () % PACE_INTERVAL;

  g_array_append_val (pace->times, now);
  g_array_append_val (pace->phases, phase);
}

static gboolean
enough_changes (gpointer data)
{
  return ((Pace *) data)->times->len >= 10;
}

static gboolean
shows_worker_color (gpointer data)
{
  Pace *pace = data;

  return grp_color_view_get_color (pace->view) == grp_worker_get_color (pace->worker);
}

static void
test_window_pace (void)
{
  g_autoptr(GrpWorker) worker = new_worker ("pace", 20);
  Pace pace = { g_array_new (FALSE, FALSE, sizeof (gint64)),
                g_array_new (FALSE, FALSE, sizeof (gint64)), worker, NULL };
  guint on_boundary = 0;
  GtkWidget *window;

  wait_until (in_view, worker, 10000, "the worker's first view");
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
  pace.view = GRP_COLOR_VIEW (child (window, GRP_TYPE_WINDOW, "color_view"));
  g_signal_connect (pace.view, "notify::color", G_CALLBACK (color_shown), &pace);
  show_at (window, 320, 320);
  wait_until (enough_changes, &pace, 20000, "ten changes of the window's color");
  /* The worker delivered hundreds meanwhile; the window never showed more
   * than three colors in a second. */
  g_test_message ("the worker delivered #%" G_GUINT64_FORMAT "; the window showed %u colors",
                  grp_worker_get_last_seq (worker), pace.times->len);
  g_assert_cmpuint (grp_worker_get_last_seq (worker), >, 100);
  for (guint i = 0; i < pace.times->len; i++)
    {
      guint in_second = 0;

      for (guint j = i; j < pace.times->len; j++)
        in_second += g_array_index (pace.times, gint64, j) <
                     g_array_index (pace.times, gint64, i) + G_USEC_PER_SEC;
      g_assert_cmpuint (in_second, <=, 3);
    }
  /* Each color after the first shows on a boundary that every window of
   * the group shares (a multiple of the interval on the wall clock), so
   * that they change together: most within 40 ms of one (a timer may fire
   * late on a busy machine); on phases of their own, a tenth would be. */
  for (guint i = 1; i < pace.phases->len; i++)
    on_boundary += g_array_index (pace.phases, gint64, i) < 40000;
  g_test_message ("%u of %u later colors shown within 40 ms of a shared boundary", on_boundary,
                  pace.phases->len - 1);
  g_assert_cmpuint (on_boundary * 10, >=, (pace.phases->len - 1) * 7);
  grp_worker_quiesce (worker);
  wait_until (shows_worker_color, &pace, 5000, "the window to show the quiet worker's color");
  gtk_window_destroy (GTK_WINDOW (window));
  g_array_unref (pace.times);
  g_array_unref (pace.phases);
}

/* A window just opened does not have its Crash button focused: Space or
 * Enter there killed the worker (a newcomer's trial). */
static void
test_window_focus (void)
{
  g_autoptr(GrpWorker) worker = new_worker ("focus", 200);
  GtkWidget *window, *crash, *focus;

  wait_until (in_view, worker, 10000, "the worker's first view");
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
  crash = child (window, GRP_TYPE_WINDOW, "crash_button");
  show_at (window, 320, 320);
  focus = gtk_window_get_focus (GTK_WINDOW (window));
  g_assert_nonnull (focus);
  g_assert_false (focus == crash || gtk_widget_is_ancestor (focus, crash));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- no quorum -------------------------------------------------------- */

typedef struct {
  GtkWidget *notices;
  const char *text;
} Notice;

/* One of the notices shown reads `text` (a view may follow at once). */
static gboolean
has_notice_text (gpointer data)
{
  Notice *n = data;

  for (GtkWidget *l = gtk_widget_get_first_child (n->notices); l;
       l = gtk_widget_get_next_sibling (l))
    if (g_str_equal (gtk_label_get_text (GTK_LABEL (l)), n->text))
      return TRUE;
  return FALSE;
}

static gboolean
three_in_view (gpointer data)
{
  return g_strv_length ((char **) grp_worker_get_members (data)) == 3;
}

static void
die_with_test (gpointer data)
{
  /* A test that fails ends at once (an abort): its nodes go with it, and
   * hold the test's output open no longer (meson waited for them). */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
spawn_node (const char *name, const char *contact)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  GSubprocess *p;

  g_subprocess_launcher_set_child_setup (l, die_with_test, NULL, NULL);
  p = g_subprocess_launcher_spawn (l, &error, g_getenv ("GROUPY_NODE"), "--name", name,
                                   "--join", contact, "--heartbeat", "20", "--suspect-timeout",
                                   "400", "--crash-rate", "0", "--sleep", "50", NULL);
  g_assert_no_error (error);
  return p;
}

/* The member that waited for a quorum goes on ("quorum back"), or learns
 * that the others went on without it ("left out"): the two it stopped
 * came back suspecting it, past their suspicion timeout (400 ms), and as
 * a quorum, may have left it out first (as under the sanitizers). */
static gboolean
back_or_left_out (gpointer data)
{
  Notice *back = data;
  Notice left = { back->notices, "left out — rejoining" };

  return has_notice_text (back) || has_notice_text (&left);
}

static void
test_window_no_quorum (void)
{
  g_autoptr(GrpWorker) worker = new_worker_with ("lead", 50, "20", "400");
  g_autoptr(GSubprocess) b = NULL;
  g_autoptr(GSubprocess) c = NULL;
  GtkWidget *window;
  Notice waiting = { NULL, "no quorum — waiting" };
  Notice back = { NULL, "quorum back — going on" };

  g_assert_nonnull (g_getenv ("GROUPY_NODE"));
  wait_until (in_view, worker, 10000, "the worker's first view");
  b = spawn_node ("b", grp_worker_get_address (worker));
  c = spawn_node ("c", grp_worker_get_address (worker));
  wait_until (three_in_view, worker, 20000, "a view of three");
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
  waiting.notices = back.notices = child (window, GRP_TYPE_WINDOW, "notices");
  show_at (window, 420, 380);
  g_assert_false (grp_worker_is_blocked (worker));
  /* Two of three stopped: the leader is no quorum by itself. */
  g_subprocess_send_signal (b, SIGSTOP);
  g_subprocess_send_signal (c, SIGSTOP);
  wait_until (has_notice_text, &waiting, 10000, "\"no quorum — waiting\"");
  g_assert_true (grp_worker_is_blocked (worker));
  g_subprocess_send_signal (b, SIGCONT);
  g_subprocess_send_signal (c, SIGCONT);
  wait_until (back_or_left_out, &back, 10000, "\"quorum back — going on\" or \"left out\"");
  g_assert_false (grp_worker_is_blocked (worker));
  g_subprocess_force_exit (b);
  g_subprocess_force_exit (c);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Whether a notice begins with `data`. */
static gboolean
has_notice_starting (GtkWidget *notices, const char *start)
{
  for (GtkWidget *l = gtk_widget_get_first_child (notices); l; l = gtk_widget_get_next_sibling (l))
    if (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (l)), start))
      return TRUE;
  return FALSE;
}

static gboolean
says_rejoined (gpointer data)
{
  return has_notice_starting (data, "rejoined view ");
}

/* The leader stopped past the suspicion timeout (its main loop does not
 * run, as under SIGSTOP): back, it hears the others, so it waits for a
 * quorum no more, then learns that they went on without it.  The window
 * said "quorum back — going on", then "left out — rejoining". */
static void
test_window_back_left_out (void)
{
  g_autoptr(GrpWorker) worker = new_worker_with ("lead", 50, "20", "400");
  g_autoptr(GSubprocess) b = NULL;
  g_autoptr(GSubprocess) c = NULL;
  GtkWidget *window;
  GtkWidget *notices;

  g_assert_nonnull (g_getenv ("GROUPY_NODE"));
  wait_until (in_view, worker, 10000, "the worker's first view");
  b = spawn_node ("b", grp_worker_get_address (worker));
  c = spawn_node ("c", grp_worker_get_address (worker));
  wait_until (three_in_view, worker, 20000, "a view of three");
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
  notices = child (window, GRP_TYPE_WINDOW, "notices");
  show_at (window, 420, 380);
  g_usleep (2000 * G_TIME_SPAN_MILLISECOND);
  wait_until (says_rejoined, notices, 10000, "\"rejoined view N, state as of #M\"");
  for (GtkWidget *l = gtk_widget_get_first_child (notices); l; l = gtk_widget_get_next_sibling (l))
    g_test_message ("notice: %s", gtk_label_get_text (GTK_LABEL (l)));
  g_assert_true (has_notice_starting (notices, "left out — rejoining"));
  g_assert_false (has_notice_starting (notices, "quorum back"));
  g_subprocess_force_exit (b);
  g_subprocess_force_exit (c);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- quitting while joining another group ------------------------------ */

static void
on_stopped (GrpWorker *worker, const GError *error, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static gboolean
is_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
switch_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (grp_worker_join_other_finish (GRP_WORKER (source), res, &error));
  g_assert_nonnull (error);
  *(gboolean *) data = TRUE;
}

/* Quit (Ctrl+Q, SIGTERM) while Join Another Group is under way: the leave
 * stops the join, and the worker is out of every group when it says
 * "stopped".  It founded a group of one again from the join's callback,
 * inside the leave, and went on sending there after "stopped". */
static void
test_window_quit_while_switching (void)
{
  g_autoptr(GrpWorker) worker = new_worker ("switcher", 5);
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contact = NULL;
  gboolean answered = FALSE, stopped = FALSE;
  guint64 seq;
  guint16 port;
  GtkWidget *window;

  wait_until (in_view, worker, 10000, "the worker's first view");
  /* Listens, never answers: the join waits for its timeout. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  contact = g_strdup_printf ("127.0.0.1:%u", port);
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
  show_at (window, 320, 320);
  g_signal_connect (worker, "stopped", G_CALLBACK (on_stopped), &stopped);
  grp_worker_join_other_async (worker, contact, switch_done, &answered);
  g_assert_cmpint (grp_worker_get_role (worker), ==, GRP_ROLE_JOINING);
  grp_worker_stop (worker);
  wait_until (is_set, &stopped, 10000, "\"stopped\"");
  g_assert_true (answered);
  g_assert_cmpint (grp_worker_get_role (worker), ==, GRP_ROLE_LEFT);
  /* Nothing more is delivered once stopped. */
  seq = grp_worker_get_last_seq (worker);
  for (gint64 end = g_get_monotonic_time () + 300000; g_get_monotonic_time () < end;)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  g_assert_cmpuint (grp_worker_get_last_seq (worker), ==, seq);
  g_assert_cmpint (grp_worker_get_role (worker), ==, GRP_ROLE_LEFT);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
other_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  *(gint *) data = grp_worker_join_other_finish (GRP_WORKER (source), res, &error) ? 1 : 2;
}

static gboolean
delivered_some (gpointer data)
{
  return grp_worker_get_last_seq (data) > 3;
}

static gboolean
alone (gpointer data)
{
  return grp_worker_get_role (data) == GRP_ROLE_ALONE;
}

/* Join Another Group that fails after one that succeeded: the worker
 * founds a group of its own, and the window says so.  It said "joined view
 * 1, state as of #N", N the state of the group it had joined before. */
static void
test_window_join_other_fails (void)
{
  g_autoptr(GrpWorker) worker = new_worker_with ("solo", 50, "20", "400");
  g_autoptr(GrpWorker) host = new_worker_with ("host", 20, "20", "400");
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *silent = NULL;
  gint done = 0;
  Notice joined = { NULL, NULL };
  Notice founded = { NULL, "founded the group: view 1" };
  GtkWidget *window;
  guint16 port;

  wait_until (in_view, worker, 10000, "the worker's first view");
  wait_until (delivered_some, host, 10000, "the host's deliveries");
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
  joined.notices = founded.notices = child (window, GRP_TYPE_WINDOW, "notices");
  show_at (window, 320, 320);
  grp_worker_join_other_async (worker, grp_worker_get_address (host), other_done, &done);
  wait_until (is_set, &done, 10000, "the first join");
  g_assert_cmpint (done, ==, 1);
  /* Alone again (only such a member may join another group). */
  grp_worker_stop (host);
  wait_until (alone, worker, 10000, "the host's leave");
  /* Listens, never answers: the join runs out its time. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  silent = g_strdup_printf ("127.0.0.1:%u", port);
  done = 0;
  grp_worker_join_other_async (worker, silent, other_done, &done);
  wait_until (is_set, &done, 20000, "the second join");
  g_assert_cmpint (done, ==, 2);
  wait_until (in_view, worker, 10000, "a group of its own");
  wait_until (has_notice_text, &founded, 5000, "\"founded the group: view 1\"");
  for (GtkWidget *l = gtk_widget_get_first_child (joined.notices); l;
       l = gtk_widget_get_next_sibling (l))
    g_assert_false (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (l)), "joined view 1,"));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The message dialog on screen whose heading is `heading`, or NULL. */
static AdwMessageDialog *
dialog_headed (const char *heading)
{
  GListModel *windows = gtk_window_get_toplevels (); /* GTK's own */

  for (guint i = 0; i < g_list_model_get_n_items (windows); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (windows, i);

      if (ADW_IS_MESSAGE_DIALOG (w) &&
          g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (w)), heading) == 0)
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static gboolean
could_not_join_shown (gpointer data)
{
  return dialog_headed ("Could Not Join") != NULL;
}

/* Join Another Group through the window's own dialog, refused: the window
 * says why in a dialog, as one whose --join fails does.  It said so only in
 * a notice, cut at the window's width ("could not join: this group runs
 * gms2, you r…"), after "founded the group: view 1", which read as if the
 * join had worked. */
static void
test_window_join_other_refused (void)
{
  g_autoptr(GrpWorker) worker = new_worker ("solo", 50);
  AdwMessageDialog *dialog;
  const char *body;
  GtkWidget *window;

  wait_until (in_view, worker, 10000, "the worker's first view");
  window = GTK_WIDGET (grp_window_new (NULL, worker, 3, -1));
  show_at (window, 320, 320);
  g_assert_true (gtk_widget_activate_action (window, "win.join", NULL));
  dialog = dialog_headed ("Join Another Group");
  g_assert_nonnull (dialog);
  /* Port 1 of loopback: nothing listens there, the join is refused at once. */
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)),
                         "127.0.0.1:1");
  adw_message_dialog_response (dialog, "join");
  wait_until (could_not_join_shown, NULL, 10000, "a dialog saying why the join failed");
  dialog = dialog_headed ("Could Not Join");
  body = adw_message_dialog_get_body (dialog);
  g_test_message ("%s", body);
  g_assert_nonnull (strstr (body, "could not reach 127.0.0.1:1"));
  g_assert_nonnull (strstr (body, "alone"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- the console ------------------------------------------------------ */

/* Whether the console shows `want` members, each in a view. */
static gboolean
n_running (GrpConsoleWindow *console, guint want)
{
  GListModel *members = grp_supervisor_get_members (grp_console_window_get_supervisor (console));
  guint n = g_list_model_get_n_items (members);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GrpMemberInfo) m = g_list_model_get_item (members, i);

      if (grp_member_info_get_view (m) == 0)
        return FALSE;
    }
  return n == want;
}

static gboolean
all_running (gpointer data)
{
  return n_running (data, 3);
}

static gboolean
all_running_2 (gpointer data)
{
  return n_running (data, 2);
}

static gboolean
console_stopped (gpointer data)
{
  return grp_supervisor_is_stopped (grp_console_window_get_supervisor (data));
}

static void
collect_console_parts (GtkWidget *widget, GtkWidget *window, GPtrArray *parts)
{
  /* The leaves a user reads or presses: labels, buttons, entries. */
  if (GTK_IS_LABEL (widget) || GTK_IS_BUTTON (widget) || GTK_IS_SPIN_BUTTON (widget) ||
      GTK_IS_MENU_BUTTON (widget) || GRP_IS_COLOR_VIEW (widget))
    {
      Part *p = g_new (Part, 1);

      *p = (Part) { G_OBJECT_TYPE_NAME (widget), widget };
      g_ptr_array_add (parts, p);
      return;
    }
  if (GTK_IS_SCROLLED_WINDOW (widget) &&
      gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW) == NULL &&
      GTK_IS_LIST_BOX (gtk_widget_get_first_child (gtk_widget_get_first_child (widget))))
    {
      /* The timeline: what is scrolled out of sight lies outside, so the
       * scrolled window is the part. */
      Part *p = g_new (Part, 1);

      *p = (Part) { "the timeline", widget };
      g_ptr_array_add (parts, p);
      return;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_console_parts (c, window, parts);
}

/* Whether a label under `widget` reads `text`. */
static gboolean
has_label (GtkWidget *widget, const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (has_label (c, text))
      return TRUE;
  return FALSE;
}

static gboolean
says_resume (gpointer data)
{
  return has_label (data, "Resume") && !has_label (data, "Pause");
}

static gboolean
says_pause (gpointer data)
{
  return has_label (data, "Pause") && !has_label (data, "Resume");
}

/* A console of `n` groupy-node members (GROUPY_NODE, GROUPY_CHECK) with
 * the pace `sleep_ms`, no injected crash, and `protocol` (NULL: the real
 * one); `respawn`: dead members are replaced. */
static GrpConsoleWindow *
new_console (guint n, guint sleep_ms, gboolean respawn, const char *protocol)
{
  GrpSupervisorConfig cfg = { 0 };
  g_autoptr(GError) error = NULL;
  GrpConsoleWindow *console;

  cfg.worker = g_strdup (g_getenv ("GROUPY_NODE"));
  cfg.checker = g_strdup (g_getenv ("GROUPY_CHECK"));
  cfg.sleep_ms = sleep_ms;
  cfg.crash_rate = 0;
  cfg.respawn = respawn;
  cfg.protocol = g_strdup (protocol);
  g_assert_nonnull (cfg.worker);
  console = grp_console_window_new (NULL, &cfg, n, &error);
  g_assert_no_error (error);
  return console;
}

/* Removes what fake_console wrote in `dir`, and `dir`. */
static void
remove_fake (const char *dir)
{
  g_autofree char *worker = g_build_filename (dir, "fake-worker", NULL);

  g_unlink (worker);
  g_rmdir (dir);
}

/* The swatches of the console's tiles, under `widget`. */
static void
collect_swatches (GtkWidget *widget, GPtrArray *swatches)
{
  if (GRP_IS_COLOR_VIEW (widget) && gtk_widget_get_ancestor (widget, GRP_TYPE_MEMBER_TILE))
    g_ptr_array_add (swatches, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_swatches (c, swatches);
}

static void
swatch_changed (GrpColorView *view, GParamSpec *pspec, GArray *phases)
{
  gint64 phase = g_get_real_time () % (350 * 1000);

  g_array_append_val (phases, phase);
}

static gboolean
enough_swatch_changes (gpointer data)
{
  return ((GArray *) data)->len >= 30;
}

/* The tiles' swatches change together, on the wall clock's multiples of
 * their interval: each sampled its member on a phase of its own, and
 * tiles of members at the same position showed different colors (a
 * newcomer's trial saw it in 11 samples of 30). */
static void
test_console_tiles_together (void)
{
  GrpConsoleWindow *console = new_console (3, 20, FALSE, NULL);
  g_autoptr(GPtrArray) swatches = g_ptr_array_new ();
  g_autoptr(GArray) phases = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint on_boundary = 0;

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_running, console, 20000, "three members in the console");
  collect_swatches (GTK_WIDGET (console), swatches);
  g_assert_cmpuint (swatches->len, ==, 3);
  for (guint i = 0; i < swatches->len; i++)
    g_signal_connect (swatches->pdata[i], "notify::color", G_CALLBACK (swatch_changed), phases);
  wait_until (enough_swatch_changes, phases, 20000, "thirty changes of the swatches");
  for (guint i = 0; i < swatches->len; i++)
    g_signal_handlers_disconnect_by_data (swatches->pdata[i], phases);
  /* Within 40 ms of a boundary (a timer may fire late on a busy machine);
   * on phases of their own, about a ninth would be. */
  for (guint i = 0; i < phases->len; i++)
    on_boundary += g_array_index (phases, gint64, i) < 40000;
  g_test_message ("%u of %u swatch changes within 40 ms of a shared boundary", on_boundary,
                  phases->len);
  g_assert_cmpuint (on_boundary * 10, >=, phases->len * 7);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
}

static void
test_console_sizes (void)
{
  static const int sizes[][2] = { { 1, 1 }, { 800, 560 }, { 1100, 720 }, { 1600, 1000 } };
  GrpConsoleWindow *console = new_console (3, 200, TRUE, NULL);

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_running, console, 20000, "three members in the console");
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *where = g_strdup_printf ("console at %dx%d", sizes[i][0], sizes[i][1]);
      g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
      Part flat[256];
      guint n, tiles_seen = 0;

      gtk_widget_set_visible (GTK_WIDGET (console), FALSE);
      show_at (GTK_WIDGET (console), sizes[i][0], sizes[i][1]);
      collect_console_parts (GTK_WIDGET (console), GTK_WIDGET (console), parts);
      n = MIN (parts->len, G_N_ELEMENTS (flat));
      for (guint k = 0; k < n; k++)
        flat[k] = *(Part *) parts->pdata[k];
      /* Tiles scrolled out of sight are no parts of what is seen. */
      for (guint k = 0; k < n; k++)
        {
          GtkWidget *scroller = gtk_widget_get_ancestor (flat[k].widget, GTK_TYPE_SCROLLED_WINDOW);
          graphene_rect_t a, clip, both;

          if (scroller == NULL || !gtk_widget_get_mapped (flat[k].widget))
            continue;
          a = bounds_in (flat[k].widget, GTK_WIDGET (console));
          clip = bounds_in (scroller, GTK_WIDGET (console));
          if (!graphene_rect_intersection (&a, &clip, &both) || !graphene_rect_equal (&both, &a))
            flat[k].widget = NULL;
          else
            tiles_seen++;
        }
      /* Labels inside buttons are parts of their buttons. */
      for (guint k = 0; k < n; k++)
        if (flat[k].widget != NULL &&
            gtk_widget_get_ancestor (gtk_widget_get_parent (flat[k].widget),
                                     GTK_TYPE_BUTTON) != NULL)
          flat[k].widget = gtk_widget_get_ancestor (flat[k].widget, GTK_TYPE_BUTTON);
      for (guint k = 0; k < n; k++)
        for (guint j = 0; j < k; j++)
          if (flat[k].widget != NULL && flat[j].widget == flat[k].widget)
            flat[k].widget = NULL;
      {
        guint m = 0;

        for (guint k = 0; k < n; k++)
          if (flat[k].widget != NULL)
            flat[m++] = flat[k];
        n = m;
      }
      assert_layout (GTK_WIDGET (console), flat, n, where);
      /* At least one whole tile: its swatch, name, role, view, status and
       * three buttons. */
      g_assert_cmpuint (tiles_seen, >=, 8);
      g_test_message ("%s: %dx%d, %u parts (%u in tiles), nothing overlaps", where,
                      gtk_widget_get_width (GTK_WIDGET (console)),
                      gtk_widget_get_height (GTK_WIDGET (console)), n, tiles_seen);
    }
  /* The pause button says what a click does (it said Pause while paused). */
  g_assert_true (says_pause (console));
  gtk_widget_activate_action (GTK_WIDGET (console), "win.pause", NULL);
  wait_until (says_resume, console, 5000, "the pause button to say Resume");
  gtk_widget_activate_action (GTK_WIDGET (console), "win.pause", NULL);
  wait_until (says_pause, console, 5000, "the pause button to say Pause again");
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
}

/* ---- the console's timeline ------------------------------------------- */

typedef struct {
  GtkWidget *console;
  guint frames;
} Frames;

static void
count_console_frame (GdkFrameClock *clock, gpointer data)
{
  ((Frames *) data)->frames++;
}

static gboolean
enough_frames (gpointer data)
{
  return ((Frames *) data)->frames >= 4;
}

/* Lets the console lay out and draw a few frames, as it would on a screen
 * between two lines of the story. */
static void
let_frames_pass (GtkWidget *console)
{
  Frames f = { console, 0 };
  GdkFrameClock *clock = gtk_widget_get_frame_clock (console);
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (count_console_frame), &f);

  gdk_frame_clock_begin_updating (clock);
  wait_until (enough_frames, &f, 10000, "the console to draw");
  gdk_frame_clock_end_updating (clock);
  g_signal_handler_disconnect (clock, id);
}

/* How far (px) the bottom of the timeline's newest line is below the
 * bottom of what the timeline shows: 0 when it is in sight. */
static double
newest_line_below (GtkWidget *scroll, GtkWidget *list)
{
  GtkWidget *last = gtk_widget_get_last_child (list);
  graphene_rect_t row, seen;

  while (last != NULL && !GTK_IS_LIST_BOX_ROW (last))
    last = gtk_widget_get_prev_sibling (last);
  g_assert_nonnull (last);
  g_assert_true (gtk_widget_compute_bounds (last, scroll, &row));
  g_assert_true (gtk_widget_compute_bounds (scroll, scroll, &seen));
  return MAX (0, row.origin.y + row.size.height - (seen.origin.y + seen.size.height));
}

static double
short_of_end (GtkAdjustment *adj)
{
  return gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) -
         gtk_adjustment_get_value (adj);
}

typedef struct {
  GrpSupervisor *supervisor;
  GtkWidget *console, *scroll, *list;
  GtkAdjustment *adj;
  guint n;                      /* lines told so far */
} Timeline;

/* `lines` more lines of the story, short and long, told at once; then a
 * few frames pass. */
static void
tell (Timeline *t, guint lines)
{
  static const char *texts[] = {
    "w1 crashed (injected) — w2 leads view 7",
    "w6 joined view 8 through w2, with the state as of #1234; the group has five members again, "
    "and every one of them delivers from #1235 on",
    "pause",
    "w3 left out while alive (it went silent for longer than the suspicion timeout, 2000 ms): "
    "the others went on without it in view 9; it finds out when it runs again, and rejoins "
    "with the state of the group as it is then",
  };

  for (guint k = 0; k < lines; k++, t->n++)
    {
      g_autofree char *text = g_strdup_printf ("line %u: %s", t->n,
                                               texts[(t->n * 7 + t->n / 5) % 4]);

      g_signal_emit_by_name (t->supervisor, "event", GRP_EVENT_CONTROL, text);
    }
  let_frames_pass (t->console);
}

/* The newest line is in sight, and the timeline at its end. */
static void
assert_newest_in_sight (Timeline *t, const char *when)
{
  double below = newest_line_below (t->scroll, t->list), shy = short_of_end (t->adj);

  if (below > 0.5 || shy > 0.5)
    g_error ("%s, after %u lines: the newest line is %g px below sight, the timeline %g px "
             "short of its end (upper %g, page %g, value %g)", when, t->n, below, shy,
             gtk_adjustment_get_upper (t->adj), gtk_adjustment_get_page_size (t->adj),
             gtk_adjustment_get_value (t->adj));
}

/* The line at the top of what the timeline shows, and how far below the
 * top it is. */
static GtkWidget *
top_line (Timeline *t, double *y)
{
  for (GtkWidget *row = gtk_widget_get_first_child (t->list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      graphene_rect_t r;

      if (GTK_IS_LIST_BOX_ROW (row) && gtk_widget_compute_bounds (row, t->scroll, &r) &&
          r.origin.y + r.size.height > 0)
        {
          *y = r.origin.y;
          return row;
        }
    }
  g_assert_not_reached ();
}

static gboolean
row_is_in_list (Timeline *t, GtkWidget *row)
{
  for (GtkWidget *c = gtk_widget_get_first_child (t->list); c; c = gtk_widget_get_next_sibling (c))
    if (c == row)
      return TRUE;
  return FALSE;
}

/* The timeline shows its newest line as lines come, one at a time and in
 * bursts, short and long, past its cap (its oldest lines go then); a user
 * who scrolled back to read is left where they are, the lines they read
 * staying put while lines come and old ones go; scrolled to the end again,
 * the timeline follows once more.  It showed the newest line a burst late:
 * the adjustment at its end, the lines drawn where they were. */
static void
test_console_timeline (void)
{
  GrpConsoleWindow *console = new_console (1, 1000, FALSE, NULL);
  Timeline t = { 0 };
  GtkWidget *reading;
  double y, y_after, value;

  t.supervisor = grp_console_window_get_supervisor (console);
  t.console = GTK_WIDGET (console);
  t.scroll = child (t.console, GRP_TYPE_CONSOLE_WINDOW, "timeline_scroll");
  t.list = child (t.console, GRP_TYPE_CONSOLE_WINDOW, "timeline");
  t.adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (t.scroll));
  show_at (t.console, 1100, 720);

  /* Following, below the cap. */
  for (guint burst = 0; t.n < 60; burst++)
    {
      tell (&t, 1 + burst % 4);
      assert_newest_in_sight (&t, "following");
    }
  g_test_message ("following: the newest of %u lines in sight after every burst", t.n);

  /* Following at the cap: old lines go as new ones come. */
  while (t.n < 495)
    tell (&t, MIN (25, 495 - t.n));
  assert_newest_in_sight (&t, "following, near the cap");
  for (guint burst = 0; t.n < 530; burst++)
    {
      tell (&t, 1 + burst % 4);
      assert_newest_in_sight (&t, "following, at the cap");
    }
  g_test_message ("at the cap: the newest of %u lines in sight after every burst", t.n);

  /* Scrolled back to read (as a drag of the scrollbar does): not followed,
   * and what the user reads stays in place while old lines go. */
  gtk_adjustment_set_value (t.adj, gtk_adjustment_get_upper (t.adj) / 2);
  let_frames_pass (t.console);
  value = gtk_adjustment_get_value (t.adj);
  reading = top_line (&t, &y);
  for (guint burst = 0; burst < 8; burst++)
    {
      tell (&t, 1 + burst % 4);
      g_assert_true (row_is_in_list (&t, reading));
      top_line (&t, &y_after);
      {
        graphene_rect_t r;

        g_assert_true (gtk_widget_compute_bounds (reading, t.scroll, &r));
        if (G_APPROX_VALUE (r.origin.y, y, 0.5) == FALSE)
          g_error ("scrolled back, after %u lines: the line read moved from %g to %g px "
                   "(value %g, was %g)", t.n, y, r.origin.y, gtk_adjustment_get_value (t.adj),
                   value);
      }
      g_assert_cmpfloat (short_of_end (t.adj), >, gtk_adjustment_get_page_size (t.adj));
    }
  g_test_message ("scrolled back: the line read stayed at y = %g px over %u lines", y,
                  t.n);

  /* Scrolled to the end again: followed. */
  gtk_adjustment_set_value (t.adj, gtk_adjustment_get_upper (t.adj) -
                                   gtk_adjustment_get_page_size (t.adj));
  let_frames_pass (t.console);
  for (guint burst = 0; burst < 8; burst++)
    {
      tell (&t, 1 + burst % 4);
      assert_newest_in_sight (&t, "scrolled to the end again");
    }
  g_test_message ("scrolled to the end again: followed over %u lines", t.n);

  gtk_widget_activate_action (t.console, "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
}

typedef struct {
  GPtrArray *told;              /* the control lines of the story */
} Told;

static void
on_event (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  Told *t = data;

  if (kind == GRP_EVENT_CONTROL)
    g_ptr_array_add (t->told, g_strdup (text));
}

/* How many control lines of the story begin with `start`. */
static guint
told (Told *t, const char *start)
{
  guint n = 0;

  for (guint i = 0; i < t->told->len; i++)
    n += g_str_has_prefix (t->told->pdata[i], start);
  return n;
}

static gboolean
settings_told (gpointer data)
{
  return told (data, "crash rate") > 0 && told (data, "pace") > 0;
}

/* A change of the crash rate or of the pace is told in the timeline, as the
 * other controls are, once where the spin button came to rest (held down,
 * it steps many times a second).  Neither was told at all. */
static void
test_console_settings_told (void)
{
  GrpConsoleWindow *console = new_console (1, 1000, FALSE, NULL);
  GtkSpinButton *rate, *pace;
  Told t = { g_ptr_array_new_with_free_func (g_free) };

  g_signal_connect (grp_console_window_get_supervisor (console), "event", G_CALLBACK (on_event),
                    &t);
  show_at (GTK_WIDGET (console), 1100, 720);
  rate = GTK_SPIN_BUTTON (child (GTK_WIDGET (console), GRP_TYPE_CONSOLE_WINDOW, "rate_spin"));
  pace = GTK_SPIN_BUTTON (child (GTK_WIDGET (console), GRP_TYPE_CONSOLE_WINDOW, "sleep_spin"));
  for (guint k = 1; k <= 5; k++)
    {
      gtk_spin_button_set_value (rate, 10 * k);
      gtk_spin_button_set_value (pace, 1000 + 100 * k);
    }
  wait_until (settings_told, &t, 5000, "the crash rate and the pace told in the timeline");
  let_frames_pass (GTK_WIDGET (console));
  for (guint i = 0; i < t.told->len; i++)
    g_test_message ("told: %s", (char *) t.told->pdata[i]);
  g_assert_cmpuint (told (&t, "crash rate"), ==, 1);
  g_assert_cmpuint (told (&t, "crash rate 1 in 50 "), ==, 1);
  g_assert_cmpuint (told (&t, "pace"), ==, 1);
  g_assert_cmpuint (told (&t, "pace 1500 ms"), ==, 1);

  g_signal_handlers_disconnect_by_data (grp_console_window_get_supervisor (console), &t);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  g_ptr_array_unref (t.told);
}

static void
on_crash_told (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  g_test_message ("%s", text);
  if (kind == GRP_EVENT_CRASH)
    g_ptr_array_add (data, g_strdup (text));
}

static gboolean
six_running (gpointer data)
{
  return n_running (data, 6);
}

/* Stop lets every member leave, the leader last: the injected crash is off
 * for all of them once the stop begins.  The leader, asked last, went on
 * rolling for a crash while the others left, and crashed part-way through
 * a broadcast in the middle of the stop (here at once: a crash rate of 1
 * arms it on every roll). */
static void
test_console_stop_no_injected_crash (void)
{
  GrpConsoleWindow *console = new_console (6, 30, FALSE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  g_autoptr(GPtrArray) crashes = g_ptr_array_new_with_free_func (g_free);
  GtkSpinButton *rate;

  g_signal_connect (supervisor, "event", G_CALLBACK (on_crash_told), crashes);
  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (six_running, console, 30000, "six members in the console");
  rate = GTK_SPIN_BUTTON (child (GTK_WIDGET (console), GRP_TYPE_CONSOLE_WINDOW, "rate_spin"));
  gtk_spin_button_set_value (rate, 1);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 60000, "the console's group to stop");
  for (guint i = 0; i < crashes->len; i++)
    g_test_message ("told: %s", (char *) crashes->pdata[i]);
  g_assert_cmpuint (crashes->len, ==, 0);
  g_signal_handlers_disconnect_by_data (supervisor, crashes);
  gtk_window_destroy (GTK_WINDOW (console));
}

static gboolean
left_told (gpointer data)
{
  GrpMemberInfo *m = data;

  return grp_member_info_get_state (m) == GRP_MEMBER_LEFT;
}

/* A frozen member asked to leave is thawed at once; its freeze's timer
 * went on, no longer known to anyone, and fired on the member once a New
 * Group had let it go (here three seconds on). */
static void
test_console_leave_frozen (void)
{
  GrpConsoleWindow *console = new_console (3, 200, FALSE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  g_autoptr(GrpMemberInfo) m = NULL;
  GrpMemberInfo *weak;

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_running, console, 20000, "three members in the console");
  m = g_list_model_get_item (grp_supervisor_get_members (supervisor), 1);
  grp_supervisor_freeze (supervisor, m, 3);
  g_assert_cmpint (grp_member_info_get_state (m), ==, GRP_MEMBER_FROZEN);
  grp_supervisor_leave (supervisor, m);
  wait_until (left_told, m, 10000, "the frozen member to leave");
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  /* New Group: the old group's members go. */
  weak = m;
  g_object_add_weak_pointer (G_OBJECT (weak), (gpointer *) &weak);
  g_clear_object (&m);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.new-group", NULL);
  g_assert_null (weak);
  for (gint64 end = g_get_monotonic_time () + 4 * G_USEC_PER_SEC;
       g_get_monotonic_time () < end;)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the new group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
}

typedef struct {
  GrpConsoleWindow *console;
  GPtrArray *ended;             /* the crashes and problems of the story */
} Ends;

static void
on_end_told (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  Ends *e = data;

  g_test_message ("%s", text);
  if (kind == GRP_EVENT_CRASH || kind == GRP_EVENT_PROBLEM)
    g_ptr_array_add (e->ended, g_strdup (text));
}

static gboolean
four_running_or_ended (gpointer data)
{
  Ends *e = data;

  return e->ended->len > 0 || n_running (e->console, 4);
}

/* A member added while the group is paused is paused too, and lives: the
 * pause reached it as a signal the moment it was started, before it had a
 * handler for it, and the signal's default action killed it (SIGUSR1);
 * its replacement, paused alike, died alike, one after the other until the
 * group was resumed. */
static void
test_console_add_while_paused (void)
{
  GrpConsoleWindow *console = new_console (3, 200, TRUE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  Ends e = { console, g_ptr_array_new_with_free_func (g_free) };

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_running, console, 20000, "three members in the console");
  g_signal_connect (supervisor, "event", G_CALLBACK (on_end_told), &e);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.pause", NULL);
  g_assert_true (grp_supervisor_get_paused (supervisor));
  gtk_widget_activate_action (GTK_WIDGET (console), "win.add-member", NULL);
  wait_until (four_running_or_ended, &e, 20000, "the new member in the view, or its end");
  for (guint i = 0; i < e.ended->len; i++)
    g_test_message ("ended: %s", (char *) e.ended->pdata[i]);
  g_assert_cmpuint (e.ended->len, ==, 0);
  /* And it is paused: its log says it went quiet. */
  {
    g_autoptr(GrpMemberInfo) m = g_list_model_get_item (grp_supervisor_get_members (supervisor),
                                                        3);
    g_autofree char *log = g_strdup_printf ("%s/%s.log", grp_supervisor_get_log_dir (supervisor),
                                            grp_member_info_get_name (m));
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "\"ev\":\"quiet\""));
  }
  g_signal_handlers_disconnect_by_data (supervisor, &e);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  g_ptr_array_unref (e.ended);
}

static gboolean
member_ended (gpointer data)
{
  return !grp_member_info_is_alive (data);
}

/* A member asked to leave while it starts (Leave on its tile, or a stop)
 * goes as asked, and the story says so: SIGTERM reached it before it had a
 * handler for it, and the story told a crash, "killed from outside". */
static void
test_console_leave_starting (void)
{
  GrpConsoleWindow *console = new_console (2, 200, TRUE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  Ends e = { console, g_ptr_array_new_with_free_func (g_free) };
  g_autoptr(GrpMemberInfo) m = NULL;

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_running_2, console, 20000, "two members in the console");
  g_signal_connect (supervisor, "event", G_CALLBACK (on_end_told), &e);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.add-member", NULL);
  m = g_list_model_get_item (grp_supervisor_get_members (supervisor), 2);
  g_assert_cmpint (grp_member_info_get_state (m), ==, GRP_MEMBER_STARTING);
  grp_supervisor_leave (supervisor, m);
  wait_until (member_ended, m, 20000, "the new member to end");
  for (guint i = 0; i < e.ended->len; i++)
    g_test_message ("ended: %s", (char *) e.ended->pdata[i]);
  g_assert_cmpuint (e.ended->len, ==, 0);
  g_assert_cmpint (grp_member_info_get_state (m), ==, GRP_MEMBER_LEFT);
  g_signal_handlers_disconnect_by_data (supervisor, &e);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  g_ptr_array_unref (e.ended);
}

typedef struct {
  char *log;
  GPtrArray *told;              /* "quiet" and "resume", as the log says them */
} Pauses;

static gboolean
three_pauses_logged (gpointer data)
{
  Pauses *p = data;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  g_ptr_array_set_size (p->told, 0);
  if (!g_file_get_contents (p->log, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "\"ev\":\"quiet\"") != NULL)
      g_ptr_array_add (p->told, "quiet");
    else if (strstr (lines[i], "\"ev\":\"resume\"") != NULL)
      g_ptr_array_add (p->told, "resume");
  return p->told->len >= 3;
}

/* Pause, Resume, Pause while a member is frozen: it ends paused, as the
 * group.  The signals waited, pending, until it ran again, and were then
 * handled in their numbers' order, not the clicks': SIGUSR1, then SIGUSR2,
 * and it went on with its changes in a paused group. */
static void
test_console_pause_frozen (void)
{
  GrpConsoleWindow *console = new_console (3, 200, TRUE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  g_autoptr(GrpMemberInfo) m = NULL;
  Pauses p = { NULL, g_ptr_array_new () };

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_running, console, 20000, "three members in the console");
  m = g_list_model_get_item (grp_supervisor_get_members (supervisor), 1);
  p.log = g_strdup_printf ("%s/%s.log", grp_supervisor_get_log_dir (supervisor),
                           grp_member_info_get_name (m));
  grp_supervisor_freeze (supervisor, m, 1);
  for (guint i = 0; i < 3; i++)
    gtk_widget_activate_action (GTK_WIDGET (console), "win.pause", NULL);
  g_assert_true (grp_supervisor_get_paused (supervisor));
  wait_until (three_pauses_logged, &p, 20000, "the frozen member to pause, resume and pause");
  for (guint i = 0; i < p.told->len; i++)
    g_test_message ("%s", (char *) p.told->pdata[i]);
  g_assert_cmpstr (p.told->pdata[p.told->len - 1], ==, "quiet");
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  g_ptr_array_unref (p.told);
  g_free (p.log);
}

/* The widget under `widget` that activates `action`. */
static GtkWidget *
actionable (GtkWidget *widget, const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = actionable (c, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A founder that cannot start stops the group by itself (the reason in
 * the timeline): Stop, Add Member and Pause go as after Stop, and New Group
 * comes.  They stayed, doing nothing when pressed. */
static void
test_console_founder_fails (void)
{
  GrpSupervisorConfig cfg = { 0 };
  g_autoptr(GError) error = NULL;
  GrpConsoleWindow *console;
  GtkWidget *pause;

  cfg.worker = g_strdup (g_getenv ("GROUPY_NODE"));
  cfg.checker = g_strdup (g_getenv ("GROUPY_CHECK"));
  cfg.sleep_ms = 200;
  cfg.suspect_ms = 1; /* refused by the workers */
  console = grp_console_window_new (NULL, &cfg, 2, &error);
  g_assert_no_error (error);
  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (console_stopped, console, 20000, "the group to stop by itself");
  let_frames_pass (GTK_WIDGET (console));
  pause = child (GTK_WIDGET (console), GRP_TYPE_CONSOLE_WINDOW, "pause_button");
  g_assert_false (gtk_widget_is_sensitive (pause));
  g_assert_false (gtk_widget_is_sensitive (actionable (GTK_WIDGET (console), "win.stop")));
  g_assert_false (gtk_widget_is_sensitive (actionable (GTK_WIDGET (console), "win.add-member")));
  gtk_window_destroy (GTK_WINDOW (console));
}

/* A stand-in for a worker, cheap enough to start by the dozen: it says it
 * is in a view of its own and listening, then waits. */
static const char fake_worker[] =
  "#!/bin/sh\n"
  "while [ $# -gt 0 ]; do\n"
  "  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; esac\n"
  "  shift\n"
  "done\n"
  "printf '{\"ev\":\"view\",\"view\":1,\"leader\":\"%s\",\"members\":[\"%s\"],\"t\":1}\\n' "
  "\"$name\" \"$name\" > \"$log\"\n"
  "echo \"$name listening on 127.0.0.1:9\"\n"
  "exec sleep 600\n";

static gboolean
all_have_address (gpointer data)
{
  return n_running (data, g_list_model_get_n_items (grp_supervisor_get_members (
                              grp_console_window_get_supervisor (data))));
}

/* The same stand-in, keeping what it is told on its standard input in
 * LOG.in. */
static const char fake_listener[] =
  "#!/bin/sh\n"
  "while [ $# -gt 0 ]; do\n"
  "  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; esac\n"
  "  shift\n"
  "done\n"
  "printf '{\"ev\":\"view\",\"view\":1,\"leader\":\"%s\",\"members\":[\"%s\"],\"t\":1}\\n' "
  "\"$name\" \"$name\" > \"$log\"\n"
  "echo \"$name listening on 127.0.0.1:9\"\n"
  "exec cat > \"$log.in\"\n";

/* A console of `n` members run by `script` (fake_worker, fake_listener),
 * written into `dir`; their logs in `log_dir` (NULL: the console's own). */
static GrpConsoleWindow *
fake_console (const char *dir, const char *script, guint n, const char *log_dir)
{
  g_autofree char *worker = g_build_filename (dir, "fake-worker", NULL);
  GrpSupervisorConfig cfg = { 0 };
  g_autoptr(GError) error = NULL;
  GrpConsoleWindow *console;

  g_assert_true (g_file_set_contents (worker, script, -1, NULL));
  g_assert_cmpint (g_chmod (worker, 0755), ==, 0);
  cfg.worker = g_strdup (worker);
  cfg.checker = g_strdup (g_getenv ("GROUPY_CHECK"));
  cfg.log_dir = g_strdup (log_dir);
  cfg.sleep_ms = 200;
  console = grp_console_window_new (NULL, &cfg, n, &error);
  g_assert_no_error (error);
  return console;
}

static gboolean
four_in_view (gpointer data)
{
  return n_running (data, 4);
}

/* Whether no member of the console from the `first` on is alive. */
static gboolean
none_alive_from (GrpConsoleWindow *console, guint first)
{
  GListModel *members = grp_supervisor_get_members (grp_console_window_get_supervisor (console));

  for (guint i = first; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(GrpMemberInfo) m = g_list_model_get_item (members, i);

      if (grp_member_info_is_alive (m))
        return FALSE;
    }
  return TRUE;
}

static gboolean
all_gone (gpointer data)
{
  return none_alive_from (data, 0);
}

/* The crash rate changed once Stop has begun (its spin button stays live
 * for the next group) is not sent to the members still there: the stop
 * turned crash injection off for all of them, and the change turned it on
 * again for those not yet gone -- the leader, asked last, crashed
 * part-way through a broadcast in the middle of the stop. */
static void
test_console_rate_while_stopping (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  g_autofree char *logs = g_build_filename (dir, "logs", NULL);
  g_autofree char *told = NULL;
  g_autoptr(GError) error = NULL;
  GrpConsoleWindow *console;
  GrpSupervisor *supervisor;

  console = fake_console (dir, fake_listener, 4, logs);
  supervisor = grp_console_window_get_supervisor (console);
  wait_until (four_in_view, console, 20000, "four members");
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  grp_supervisor_set_crash_rate (supervisor, 1);
  wait_until (all_gone, console, 20000, "every member to go");
  {
    g_autoptr(GrpMemberInfo) m = g_list_model_get_item (grp_supervisor_get_members (supervisor), 3);
    g_autofree char *in = g_strdup_printf ("%s/%s.log.in", logs, grp_member_info_get_name (m));

    g_assert_true (g_file_get_contents (in, &told, NULL, NULL));
  }
  g_test_message ("the last member was told: %s", told);
  g_assert_null (strstr (told, "crash-rate 1\n"));
  g_assert_cmpuint (grp_supervisor_get_crash_rate (supervisor), ==, 1);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  {
    g_autoptr(GError) rm_error = NULL;
    g_autofree char *cmd = g_strdup_printf ("rm -rf %s", dir);

    g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, &rm_error));
  }
}

/* A stand-in founder (no --join) in a view of its own; a stand-in joiner
 * that took the state and installed view 2, which the founder has not
 * logged yet (its line comes later: another process, another moment). */
static const char fake_joiner[] =
  "#!/bin/sh\n"
  "join=\n"
  "while [ $# -gt 0 ]; do\n"
  "  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; --join) join=$2; shift ;; "
  "esac\n"
  "  shift\n"
  "done\n"
  "if [ -z \"$join\" ]; then\n"
  "  printf '{\"ev\":\"view\",\"view\":1,\"seq\":1,\"leader\":\"%s\",\"members\":[\"%s\"],"
  "\"t\":1}\\n' \"$name\" \"$name\" > \"$log\"\n"
  "else\n"
  "  printf '{\"ev\":\"state\",\"seq\":5,\"color\":[1,2,3],\"t\":2}\\n"
  "{\"ev\":\"view\",\"view\":2,\"seq\":5,\"leader\":\"w1\",\"members\":[\"w1\",\"%s\"],"
  "\"t\":2}\\n' \"$name\" > \"$log\"\n"
  "fi\n"
  "echo \"$name listening on 127.0.0.1:9\"\n"
  "exec sleep 600\n";

static void
keep_event (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  g_string_append_printf (data, "%s\n", text);
}

static gboolean
joined_told (gpointer data)
{
  return strstr (((GString *) data)->str, "w2 joined") != NULL;
}

/* A joiner's state is told after the view that admitted it, which the
 * joiner's own log gives right after: "w2 joined with the state as of #5"
 * came first, then "view 2 led by w1 ... members w1 w2", when the
 * joiner's lines were read before any other member's view 2. */
static void
test_console_join_after_view (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  g_autoptr(GString) told = g_string_new (NULL);
  GrpConsoleWindow *console = fake_console (dir, fake_joiner, 2, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  const char *join, *view;

  g_signal_connect (supervisor, "event", G_CALLBACK (keep_event), told);
  wait_until (joined_told, told, 20000, "w2's join told");
  g_test_message ("told:\n%s", told->str);
  join = strstr (told->str, "w2 joined with the state as of #5");
  view = strstr (told->str, "view 2 ");
  g_assert_nonnull (join);
  g_assert_nonnull (view);
  g_assert_true (view < join);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  remove_fake (dir);
}

/* A stand-in window alone in its group, at position 50, that joins another
 * (Join Another Group: its log ends with "next", and the next group's
 * events go on in NAME.log.2), where x1 admits it in view 2 with the state
 * as of #3, and it delivers #4. */
static const char fake_switcher[] =
  "#!/bin/sh\n"
  "while [ $# -gt 0 ]; do\n"
  "  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; esac\n"
  "  shift\n"
  "done\n"
  "printf '{\"ev\":\"view\",\"view\":1,\"seq\":1,\"leader\":\"%s\",\"members\":[\"%s\"],"
  "\"t\":1}\\n' \"$name\" \"$name\" > \"$log\"\n"
  "echo '{\"ev\":\"deliver\",\"seq\":50,\"from\":\"w1\",\"id\":49,\"change\":1,"
  "\"color\":[0,0,1],\"t\":2}' >> \"$log\"\n"
  "echo \"$name listening on 127.0.0.1:9\"\n"
  "printf '{\"ev\":\"exit\",\"next\":\"%s.log.2\",\"t\":3}\\n' \"$name\" >> \"$log\"\n"
  "printf '{\"ev\":\"state\",\"seq\":3,\"color\":[0,0,9],\"t\":4}\\n"
  "{\"ev\":\"view\",\"view\":2,\"seq\":3,\"leader\":\"x1\",\"members\":[\"x1\",\"%s\"],"
  "\"color\":[0,0,9],\"t\":5}\\n"
  "{\"ev\":\"deliver\",\"seq\":4,\"from\":\"x1\",\"id\":2,\"change\":1,"
  "\"color\":[0,0,10],\"t\":6}\\n' \"$name\" > \"$log.2\"\n"
  "exec sleep 600\n";

static gboolean
in_view_2 (gpointer data)
{
  return grp_member_info_get_view (data) == 2;
}

/* A member in a view of the group it went to: its tile says it runs.  It
 * said "joining another group" for as long as the member ran. */
static void
test_console_switched_runs (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  GrpConsoleWindow *console = fake_console (dir, fake_switcher, 1, NULL);
  GListModel *members = grp_supervisor_get_members (grp_console_window_get_supervisor (console));
  g_autoptr(GrpMemberInfo) m = g_list_model_get_item (members, 0);

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (in_view_2, m, 20000, "the member in view 2 of the other group");
  let_frames_pass (GTK_WIDGET (console));
  g_assert_cmpstr (grp_member_info_get_status (m), ==, "running");
  g_assert_cmpint (grp_member_info_get_state (m), ==, GRP_MEMBER_RUNNING);
  g_assert_true (has_label (GTK_WIDGET (console), "running"));
  g_assert_false (has_label (GTK_WIDGET (console), "joining another group"));
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  remove_fake (dir);
}

static gboolean
at_4 (gpointer data)
{
  return grp_member_info_get_seq (data) == 4;
}

/* The console's title gives the positions of the group its members are in
 * now: after a switch, those of the other group ("#4"), not the highest of
 * the group left ("#50"), until the new one passed it. */
static void
test_console_switched_positions (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  GrpConsoleWindow *console = fake_console (dir, fake_switcher, 1, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  g_autoptr(GrpMemberInfo) m = g_list_model_get_item (grp_supervisor_get_members (supervisor), 0);

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (at_4, m, 20000, "the member at #4 in the other group");
  g_assert_cmpuint (grp_supervisor_get_view (supervisor), ==, 2);
  g_assert_cmpuint (grp_supervisor_get_positions (supervisor), ==, 4);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  remove_fake (dir);
}

/* fake_switcher, which writes its log in the other group only once the
 * test has made the file "go" beside it. */
static const char fake_slow_switcher[] =
  "#!/bin/sh\n"
  "while [ $# -gt 0 ]; do\n"
  "  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; esac\n"
  "  shift\n"
  "done\n"
  "printf '{\"ev\":\"view\",\"view\":1,\"seq\":1,\"leader\":\"%s\",\"members\":[\"%s\"],"
  "\"t\":1}\\n' \"$name\" \"$name\" > \"$log\"\n"
  "echo \"$name listening on 127.0.0.1:9\"\n"
  "printf '{\"ev\":\"exit\",\"next\":\"%s.log.2\",\"t\":3}\\n' \"$name\" >> \"$log\"\n"
  "i=0\n"
  "while [ ! -e \"$(dirname \"$log\")/go\" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n"
  "printf '{\"ev\":\"view\",\"view\":2,\"seq\":3,\"leader\":\"x1\",\"members\":[\"x1\",\"%s\"],"
  "\"color\":[0,0,9],\"t\":5}\\n' \"$name\" > \"$log.2\"\n"
  "exec sleep 600\n";

static const char *
console_subtitle (GrpConsoleWindow *console)
{
  return adw_window_title_get_subtitle (ADW_WINDOW_TITLE (
    child (GTK_WIDGET (console), GRP_TYPE_CONSOLE_WINDOW, "window_title")));
}

static gboolean
subtitle_says_joining (gpointer data)
{
  return strstr (console_subtitle (data), "joining another group") != NULL;
}

static gboolean
subtitle_says_view_2 (gpointer data)
{
  return strstr (console_subtitle (data), "view 2 · x1 leads") != NULL;
}

/* Between a switch and the other group's first view, the title says that
 * the member joins another group: it said "starting", as if the console's
 * group were being founded again. */
static void
test_console_switching_title (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  GrpConsoleWindow *console = fake_console (dir, fake_slow_switcher, 1, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  g_autofree char *go = NULL;

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (subtitle_says_joining, console, 20000, "the title to say it joins another group");
  go = g_build_filename (grp_supervisor_get_log_dir (supervisor), "go", NULL);
  g_assert_true (g_file_set_contents (go, "", 0, NULL));
  wait_until (subtitle_says_view_2, console, 20000, "the title to give the other group's view");
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  remove_fake (dir);
}

/* A stand-in member in a view of its own that has no quorum (it logs
 * "blocked"), and waits. */
static const char fake_blocked[] =
  "#!/bin/sh\n"
  "while [ $# -gt 0 ]; do\n"
  "  case $1 in --name) name=$2; shift ;; --log) log=$2; shift ;; esac\n"
  "  shift\n"
  "done\n"
  "printf '{\"ev\":\"view\",\"view\":1,\"leader\":\"%s\",\"members\":[\"%s\"],\"t\":1}\\n"
  "{\"ev\":\"blocked\",\"t\":2}\\n' \"$name\" \"$name\" > \"$log\"\n"
  "echo \"$name listening on 127.0.0.1:9\"\n"
  "exec sleep 600\n";

static gboolean
waiting_for_quorum (gpointer data)
{
  return g_strcmp0 (grp_member_info_get_status (data), "no quorum — waiting") == 0;
}

static gboolean
thawed (gpointer data)
{
  return grp_member_info_get_state (data) == GRP_MEMBER_RUNNING;
}

/* A member without a quorum, frozen and thawed, still has none: its tile
 * says so.  It said "running" once thawed, as it did when a stop let
 * frozen members go on. */
static void
test_console_thaw_blocked (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  GrpConsoleWindow *console = fake_console (dir, fake_blocked, 1, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  g_autoptr(GrpMemberInfo) m = g_list_model_get_item (grp_supervisor_get_members (supervisor), 0);

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (waiting_for_quorum, m, 20000, "the member to wait for a quorum");
  grp_supervisor_freeze (supervisor, m, 1);
  g_assert_cmpint (grp_member_info_get_state (m), ==, GRP_MEMBER_FROZEN);
  wait_until (thawed, m, 20000, "the member to be thawed");
  g_assert_cmpstr (grp_member_info_get_status (m), ==, "no quorum — waiting");
  grp_supervisor_freeze (supervisor, m, 60);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  g_assert_cmpstr (grp_member_info_get_status (m), ==, "no quorum — waiting");
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  remove_fake (dir);
}

/* The console takes the members' own ranges for the pace and the crash
 * rate (groupy-console's --sleep and --crash-rate), and keeps what it was
 * given: its spin buttons went from 10 to 10000 and brought what they were
 * set to within that, so --sleep 0 ran at 10 ms, --sleep 20000 at 10000 ms,
 * and the members were told so. */
static void
test_console_option_ranges (void)
{
  const guint values[][2] = { { 0, 0 }, { 20000, 50000 },
                              { GRP_LIMIT_SLEEP_MAX_MS, GRP_LIMIT_CRASH_RATE_MAX } };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
      g_autofree char *worker = g_build_filename (dir, "fake-worker", NULL);
      GrpSupervisorConfig cfg = { 0 };
      g_autoptr(GError) error = NULL;
      GrpConsoleWindow *console;
      GrpSupervisor *supervisor;

      g_assert_true (g_file_set_contents (worker, fake_worker, -1, NULL));
      g_assert_cmpint (g_chmod (worker, 0755), ==, 0);
      cfg.worker = g_strdup (worker);
      cfg.checker = g_strdup (g_getenv ("GROUPY_CHECK"));
      cfg.sleep_ms = values[i][0];
      cfg.crash_rate = values[i][1];
      console = grp_console_window_new (NULL, &cfg, 1, &error);
      g_assert_no_error (error);
      supervisor = grp_console_window_get_supervisor (console);
      show_at (GTK_WIDGET (console), 1100, 720);
      wait_until (all_have_address, console, 20000, "the member");
      g_test_message ("given sleep %u, crash rate %u: the console runs %u and %u", values[i][0],
                      values[i][1], grp_supervisor_get_sleep (supervisor),
                      grp_supervisor_get_crash_rate (supervisor));
      g_assert_cmpuint (grp_supervisor_get_sleep (supervisor), ==, values[i][0]);
      g_assert_cmpuint (grp_supervisor_get_crash_rate (supervisor), ==, values[i][1]);
      gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
      wait_until (console_stopped, console, 30000, "the console's group to stop");
      gtk_window_destroy (GTK_WINDOW (console));
      remove_fake (dir);
    }
}

/* Add Member held down (Ctrl+N repeats) starts no more members than the
 * console starts with at most (64): it started one more process each
 * repeat, windows by the hundred. */
static void
test_console_add_member_bound (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  GrpConsoleWindow *console;
  GListModel *members;

  console = fake_console (dir, fake_worker, 1, NULL);
  members = grp_supervisor_get_members (grp_console_window_get_supervisor (console));
  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_have_address, console, 20000, "the first member");
  for (guint i = 0; i < 70; i++)
    gtk_widget_activate_action (GTK_WIDGET (console), "win.add-member", NULL);
  g_test_message ("%u members", g_list_model_get_n_items (members));
  g_assert_cmpuint (g_list_model_get_n_items (members), ==, 64);
  wait_until (all_have_address, console, 20000, "every member to say it is in a view");
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  remove_fake (dir);
}

/* The console's title once every member has gone. */
/* The first member tile's role badge under `widget`. */
static GtkLabel *
first_badge (GtkWidget *widget)
{
  if (GRP_IS_MEMBER_TILE (widget))
    return GTK_LABEL (child (widget, GRP_TYPE_MEMBER_TILE, "role_badge"));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkLabel *badge = first_badge (c);

      if (badge != NULL)
        return badge;
    }
  return NULL;
}

static gboolean
title_says_all_gone (gpointer data)
{
  return strstr (console_subtitle (data), "every member is gone") != NULL;
}

/* Add Member once every member has left says that nobody is left to join
 * through, not "no member can admit a newcomer right now", as if a moment
 * later one could.  The title says so too: it named the last leader, "w0
 * leads", with w0 gone. */
static void
test_console_add_to_none (void)
{
  GrpConsoleWindow *console = new_console (1, 200, TRUE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  Ends e = { console, g_ptr_array_new_with_free_func (g_free) };
  g_autoptr(GrpMemberInfo) m = NULL;

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_have_address, console, 20000, "the member in a view");
  m = g_list_model_get_item (grp_supervisor_get_members (supervisor), 0);
  grp_supervisor_leave (supervisor, m);
  wait_until (member_ended, m, 20000, "the member to leave");
  wait_until (title_says_all_gone, console, 5000, "the title to say every member is gone");
  g_assert_null (strstr (console_subtitle (console), "leads"));
  /* A member that left as asked: "left", not a red "gone" as a crash. */
  g_assert_cmpstr (gtk_label_get_text (first_badge (GTK_WIDGET (console))), ==, "left");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (first_badge (GTK_WIDGET (console))),
                                            "gone"));
  g_signal_connect (supervisor, "event", G_CALLBACK (on_end_told), &e);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.add-member", NULL);
  g_assert_cmpuint (e.ended->len, ==, 1);
  g_assert_cmpstr (e.ended->pdata[0], ==, "every member is gone: nobody is left to join through");
  g_signal_handlers_disconnect_by_data (supervisor, &e);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  g_ptr_array_unref (e.ended);
}

/* A console given a secret file (as an embedding program may) owns a copy
 * of its name, as of the other strings, for New Group: the window and
 * its supervisor freed the same string.  (A double free: ASan tells at
 * once; without it, glibc may or may not.) */
static void
test_console_secret_file (void)
{
  GrpSupervisorConfig cfg = { 0 };
  g_autoptr(GError) error = NULL;
  GrpConsoleWindow *console;

  cfg.worker = g_strdup (g_getenv ("GROUPY_NODE"));
  cfg.checker = g_strdup (g_getenv ("GROUPY_CHECK"));
  cfg.sleep_ms = 200;
  cfg.secret_file = g_strdup ("/nonexistent/secret"); /* the founder cannot start */
  console = grp_console_window_new (NULL, &cfg, 1, &error);
  g_assert_no_error (error);
  wait_until (console_stopped, console, 20000, "the group to stop by itself");
  gtk_widget_activate_action (GTK_WIDGET (console), "win.new-group", NULL);
  wait_until (console_stopped, console, 20000, "the new group to stop by itself");
  gtk_window_destroy (GTK_WINDOW (console));
}

static gboolean
two_alive_in_view (gpointer data)
{
  GListModel *members = grp_supervisor_get_members (grp_console_window_get_supervisor (data));
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(GrpMemberInfo) m = g_list_model_get_item (members, i);

      n += grp_member_info_is_alive (m) && grp_member_info_get_view (m) > 0;
    }
  return n == 2;
}

/* Leave, then Add Member, again and again: the newcomer takes the place of
 * the member that left, as a replacement takes a dead one's.  The tiles of
 * those that left piled up without end, each member's log held open and
 * read every 100 ms. */
static void
test_console_leave_add (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  GrpConsoleWindow *console;
  GrpSupervisor *supervisor;
  GListModel *members;

  console = fake_console (dir, fake_worker, 2, NULL);
  supervisor = grp_console_window_get_supervisor (console);
  members = grp_supervisor_get_members (supervisor);
  wait_until (all_running_2, console, 20000, "two members");
  for (guint k = 0; k < 5; k++)
    {
      g_autoptr(GrpMemberInfo) m = g_list_model_get_item (members, 1);

      grp_supervisor_leave (supervisor, m);
      wait_until (member_ended, m, 20000, "the member to leave");
      gtk_widget_activate_action (GTK_WIDGET (console), "win.add-member", NULL);
      wait_until (two_alive_in_view, console, 20000, "the newcomer in a view");
    }
  g_assert_cmpuint (g_list_model_get_n_items (members), ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  remove_fake (dir);
}

static void
on_control_told (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  if (kind == GRP_EVENT_CONTROL)
    g_ptr_array_add (data, g_strdup (text));
}

/* Crash or Leave clicked twice (a double click) is done, and told, once:
 * the second click, before the member was gone, told "Crash w2" or "w2
 * asked to leave" again and sent it again. */
static void
test_console_double_click (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-window-XXXXXX", NULL);
  g_autoptr(GPtrArray) told = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GrpMemberInfo) a = NULL;
  g_autoptr(GrpMemberInfo) b = NULL;
  GrpConsoleWindow *console;
  GrpSupervisor *supervisor;

  console = fake_console (dir, fake_worker, 3, NULL);
  supervisor = grp_console_window_get_supervisor (console);
  wait_until (all_running, console, 20000, "three members");
  a = g_list_model_get_item (grp_supervisor_get_members (supervisor), 1);
  b = g_list_model_get_item (grp_supervisor_get_members (supervisor), 2);
  g_signal_connect (supervisor, "event", G_CALLBACK (on_control_told), told);
  grp_supervisor_crash (supervisor, a);
  grp_supervisor_crash (supervisor, a);
  grp_supervisor_leave (supervisor, b);
  grp_supervisor_leave (supervisor, b);
  for (guint i = 0; i < told->len; i++)
    g_test_message ("told: %s", (char *) told->pdata[i]);
  g_assert_cmpuint (told->len, ==, 2);
  g_signal_handlers_disconnect_by_data (supervisor, told);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  remove_fake (dir);
}

/* The process id in the log of `m` (its "start" line). */
static GPid
pid_of (GrpSupervisor *supervisor, GrpMemberInfo *m)
{
  g_autofree char *log = g_strdup_printf ("%s/%s.log", grp_supervisor_get_log_dir (supervisor),
                                          grp_member_info_get_name (m));
  g_autofree char *text = NULL;
  const char *p;

  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  p = strstr (text, "\"pid\":");
  g_assert_nonnull (p);
  return (GPid) g_ascii_strtoll (p + strlen ("\"pid\":"), NULL, 10);
}

static gboolean
alive_in_view_5 (gpointer data)
{
  GListModel *members = grp_supervisor_get_members (grp_console_window_get_supervisor (data));
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(GrpMemberInfo) m = g_list_model_get_item (members, i);

      n += grp_member_info_get_state (m) == GRP_MEMBER_RUNNING && grp_member_info_get_view (m) > 0;
    }
  return n == 5;
}

static gboolean
five_running (gpointer data)
{
  return n_running (data, 5);
}

/* Two members killed at once, the three others frozen: the first death's
 * replacement waits for a member that can admit it.  It joined through the
 * other one killed, whose death was not handled yet (its process reaped,
 * its end not yet told), and "could not join the group": connection
 * refused. */
static void
test_console_two_killed (void)
{
  GrpConsoleWindow *console = new_console (5, 200, TRUE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  GListModel *members = grp_supervisor_get_members (supervisor);
  Ends e = { console, g_ptr_array_new_with_free_func (g_free) };
  GPid killed[2];

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (five_running, console, 30000, "five members in the console");
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(GrpMemberInfo) m = g_list_model_get_item (members, i);

      if (i == 2 || i == 3)
        killed[i - 2] = pid_of (supervisor, m);
      else
        grp_supervisor_freeze (supervisor, m, 2);
    }
  g_signal_connect (supervisor, "event", G_CALLBACK (on_end_told), &e);
  g_assert_cmpint (kill (killed[0], SIGKILL), ==, 0);
  g_assert_cmpint (kill (killed[1], SIGKILL), ==, 0);
  /* Both reaped (GLib's worker thread waits for them) before the main
   * loop hears of either. */
  for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
       kill (killed[0], 0) == 0 || kill (killed[1], 0) == 0;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (1000);
    }
  wait_until (alive_in_view_5, console, 40000, "two replacements in the view");
  for (guint i = 0; i < e.ended->len; i++)
    g_test_message ("told: %s", (char *) e.ended->pdata[i]);
  for (guint i = 0; i < e.ended->len; i++)
    g_assert_null (strstr (e.ended->pdata[i], "could not join"));
  g_signal_handlers_disconnect_by_data (supervisor, &e);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
  g_ptr_array_unref (e.ended);
}

static void
on_any_told (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  g_test_message ("%s", text);
  g_ptr_array_add (data, g_strdup (text));
}

/* The index of the first line of `told` holding `what`, or told->len. */
static guint
first_told (GPtrArray *told, const char *what)
{
  for (guint i = 0; i < told->len; i++)
    if (strstr (told->pdata[i], what) != NULL)
      return i;
  return told->len;
}

typedef struct {
  GrpConsoleWindow *console;
  GPtrArray *told;
} Story;

/* The member left has lost its quorum, and every other one has ended:
 * the two killed, and any replacement started before the loss was known
 * has given up. */
static gboolean
no_quorum_and_alone (gpointer data)
{
  Story *st = data;

  if (first_told (st->told, "has no quorum") == st->told->len)
    return FALSE;
  return none_alive_from (st->console, 1);
}

/* Two of three members killed: the one left has no quorum and admits
 * nobody.  Replacements were started through it all the same, and when
 * they gave up, others, one more every 8 s (a join's timeout), without
 * end. */
static void
test_console_majority_killed (void)
{
  GrpConsoleWindow *console = new_console (3, 200, TRUE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  GListModel *members = grp_supervisor_get_members (supervisor);
  g_autoptr(GPtrArray) told = g_ptr_array_new_with_free_func (g_free);
  Story st = { console, told };
  GPid killed[2];

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_running, console, 20000, "three members in the console");
  for (guint i = 1; i < 3; i++)
    {
      g_autoptr(GrpMemberInfo) m = g_list_model_get_item (members, i);

      killed[i - 1] = pid_of (supervisor, m);
    }
  g_signal_connect (supervisor, "event", G_CALLBACK (on_any_told), told);
  g_assert_cmpint (kill (killed[0], SIGKILL), ==, 0);
  g_assert_cmpint (kill (killed[1], SIGKILL), ==, 0);
  wait_until (no_quorum_and_alone, &st, 40000,
              "the member left to lose its quorum, and every other one to end");
  /* Nobody joins through the member without a quorum once it said so.  A
   * replacement may still start through the other one killed, whose end
   * the console has not seen yet (a loaded machine reaps it later than
   * the one left finds it has no quorum): that join fails, as it should. */
  {
    guint at = first_told (told, "has no quorum");
    g_autofree char *name = g_strndup (told->pdata[at], strcspn (told->pdata[at], " "));
    g_autofree char *through = g_strdup_printf ("starts and joins through %s", name);

    for (guint i = at; i < told->len; i++)
      g_assert_null (strstr (told->pdata[i], through));
  }
  g_signal_handlers_disconnect_by_data (supervisor, told);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
}

/* Stop lets a frozen member run (SIGCONT) to leave: its tile says so at
 * once.  It said "frozen for 30 s" until the member had gone. */
static void
test_console_stop_frozen (void)
{
  GrpConsoleWindow *console = new_console (3, 200, TRUE, NULL);
  GrpSupervisor *supervisor = grp_console_window_get_supervisor (console);
  g_autoptr(GrpMemberInfo) m = NULL;

  show_at (GTK_WIDGET (console), 1100, 720);
  wait_until (all_running, console, 20000, "three members in the console");
  m = g_list_model_get_item (grp_supervisor_get_members (supervisor), 1);
  grp_supervisor_freeze (supervisor, m, 30);
  g_assert_cmpint (grp_member_info_get_state (m), ==, GRP_MEMBER_FROZEN);
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  g_assert_cmpint (grp_member_info_get_state (m), !=, GRP_MEMBER_FROZEN);
  g_assert_null (strstr (grp_member_info_get_status (m), "frozen"));
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
}

/* Keep the Logs, once the group is stopped and its logs are gone, would
 * keep nothing: it can no longer be chosen, until New Group.  It could,
 * and did nothing. */
static void
test_console_keep_logs_stopped (void)
{
  GrpConsoleWindow *console = new_console (1, 200, TRUE, NULL);
  GAction *keep = g_action_map_lookup_action (G_ACTION_MAP (console), "keep-logs");

  g_assert_true (g_action_get_enabled (keep));
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  g_assert_false (g_action_get_enabled (keep));
  gtk_widget_activate_action (GTK_WIDGET (console), "win.new-group", NULL);
  g_assert_true (g_action_get_enabled (keep));
  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the new group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
}

/* The protocol row says what the group runs in full at every size the
 * console takes beside its windows (src/app/grp-place.c: 722x800 on a
 * 1280x800 screen, 808x768 on 1366x768) and at its smallest: the stages'
 * summaries, the longest gms2's, were cut to three lines ending in "…". */
static void
test_console_protocol_summary (void)
{
  static const int sizes[][2] = { { 800, 560 }, { 722, 800 }, { 808, 768 }, { 1100, 720 } };
  GrpConsoleWindow *console = new_console (1, 1000, FALSE, "gms2");
  GtkWidget *row;
  const char *subtitle;
  GtkLabel *label;

  row = child (GTK_WIDGET (console), GRP_TYPE_CONSOLE_WINDOW, "protocol_row");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_assert_nonnull (strstr (subtitle, "drift apart)"));
  label = label_showing (row, subtitle);
  g_assert_nonnull (label);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int shown;

      gtk_widget_set_visible (GTK_WIDGET (console), FALSE);
      show_at (GTK_WIDGET (console), sizes[i][0], sizes[i][1]);
      pango_layout_get_pixel_size (gtk_label_get_layout (label), NULL, &shown);
      g_test_message ("at %dx%d the summary takes %d px, %d lines", sizes[i][0], sizes[i][1],
                      shown, pango_layout_get_line_count (gtk_label_get_layout (label)));
      if (pango_layout_is_ellipsized (gtk_label_get_layout (label)) ||
          gtk_widget_get_height (GTK_WIDGET (label)) < shown)
        g_error ("the console at %dx%d cuts the protocol's summary: \"%s\"", sizes[i][0],
                 sizes[i][1], subtitle);
    }

  gtk_widget_activate_action (GTK_WIDGET (console), "win.stop", NULL);
  wait_until (console_stopped, console, 30000, "the console's group to stop");
  gtk_window_destroy (GTK_WINDOW (console));
}

int
main (int argc, char **argv)
{
  g_setenv ("GTK_A11Y", "none", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* What AdwApplication does for the programs: the resource's style.css. */
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, "/org/groupy/Groupy/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
  g_test_add_func ("/window/sizes", test_window_sizes);
  g_test_add_func ("/window/default-name", test_window_default_name);
  g_test_add_func ("/window/placed-before-map", test_window_placed_before_map);
  g_test_add_func ("/window/pace", test_window_pace);
  g_test_add_func ("/window/focus", test_window_focus);
  g_test_add_func ("/window/no-quorum", test_window_no_quorum);
  g_test_add_func ("/window/back-left-out", test_window_back_left_out);
  g_test_add_func ("/window/join-other-fails", test_window_join_other_fails);
  g_test_add_func ("/window/join-other-refused", test_window_join_other_refused);
  g_test_add_func ("/console/tiles-together", test_console_tiles_together);
  g_test_add_func ("/window/quit-while-switching", test_window_quit_while_switching);
  g_test_add_func ("/console/sizes", test_console_sizes);
  g_test_add_func ("/console/timeline", test_console_timeline);
  g_test_add_func ("/console/settings-told", test_console_settings_told);
  g_test_add_func ("/console/protocol-summary", test_console_protocol_summary);
  g_test_add_func ("/console/stop-no-injected-crash", test_console_stop_no_injected_crash);
  g_test_add_func ("/console/leave-frozen", test_console_leave_frozen);
  g_test_add_func ("/console/add-while-paused", test_console_add_while_paused);
  g_test_add_func ("/console/leave-starting", test_console_leave_starting);
  g_test_add_func ("/console/pause-frozen", test_console_pause_frozen);
  g_test_add_func ("/console/founder-fails", test_console_founder_fails);
  g_test_add_func ("/console/add-member-bound", test_console_add_member_bound);
  g_test_add_func ("/console/option-ranges", test_console_option_ranges);
  g_test_add_func ("/console/switched-runs", test_console_switched_runs);
  g_test_add_func ("/console/switched-positions", test_console_switched_positions);
  g_test_add_func ("/console/thaw-blocked", test_console_thaw_blocked);
  g_test_add_func ("/console/add-to-none", test_console_add_to_none);
  g_test_add_func ("/console/switching-title", test_console_switching_title);
  g_test_add_func ("/console/secret-file", test_console_secret_file);
  g_test_add_func ("/console/rate-while-stopping", test_console_rate_while_stopping);
  g_test_add_func ("/console/leave-add", test_console_leave_add);
  g_test_add_func ("/console/double-click", test_console_double_click);
  g_test_add_func ("/console/join-after-view", test_console_join_after_view);
  g_test_add_func ("/console/two-killed", test_console_two_killed);
  g_test_add_func ("/console/majority-killed", test_console_majority_killed);
  g_test_add_func ("/console/stop-frozen", test_console_stop_frozen);
  g_test_add_func ("/console/keep-logs-stopped", test_console_keep_logs_stopped);
  return g_test_run ();
}
