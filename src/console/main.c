/* groupy-console: the group console, what the desktop entry opens.
 *
 * It starts a group of member windows (or of groupy-node workers with
 * --headless) and shows every member as a tile, the group's story as a
 * timeline, and the controls to drive it; when the group is stopped it
 * shows groupy-check's verdict over every log. */
#include "config.h"

#include <adwaita.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "grp-about.h"
#include "grp-console-window.h"
#include "grp-place.h"

typedef struct {
  AdwApplication *app;
  GrpSupervisorConfig config;
  gint64 members;
  int width, height;            /* the console's size on this screen */
  int status;
  guint signals;                /* SIGINT, SIGTERM and SIGHUP so far */
} Console;

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  Console *console = data;

  grp_show_about (gtk_application_get_active_window (GTK_APPLICATION (console->app)));
}

/* SIGINT (Ctrl-C in the terminal it was started from), SIGHUP (that
 * terminal closed) or SIGTERM (kill, the session's end) close the console
 * as its close button does: the members leave one at a time, the logs are
 * checked and removed, then it quits.  Their default action ended it at
 * once: its temporary log folder stayed behind, and its members, told all
 * at once by their parent's death, waited out their leave timeouts.  A
 * second one while that goes on (Ctrl-C twice) stops at once: the members
 * still running are killed, the logs are not checked, and the console says
 * so in the terminal too.  The second was ignored, and a member that did
 * not leave was waited for until the stop's grace ran out. */
static void
print_event (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  fprintf (stderr, "groupy-console: %s\n", text);
}

static gboolean
on_signal (gpointer data)
{
  Console *console = data;
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (console->app)));
  gboolean again = console->signals++ > 0;

  /* A window may go while the others are told (a stop at once that ends
   * at once destroys it). */
  for (GList *l = windows; l != NULL; l = l->next)
    g_object_ref (l->data);
  for (GList *l = windows; l != NULL; l = l->next)
    {
      if (again && GRP_IS_CONSOLE_WINDOW (l->data))
        {
          GrpSupervisor *supervisor = grp_console_window_get_supervisor (l->data);
          gulong id = g_signal_connect (supervisor, "event", G_CALLBACK (print_event), NULL);

          grp_supervisor_stop_now (supervisor);
          g_signal_handler_disconnect (supervisor, id);
        }
      if (g_list_find (gtk_application_get_windows (GTK_APPLICATION (console->app)), l->data))
        gtk_window_close (l->data);
    }
  g_list_free_full (windows, g_object_unref);
  return G_SOURCE_CONTINUE;
}

static void
activate (GApplication *application, gpointer data)
{
  Console *console = data;
  g_autoptr(GError) error = NULL;
  GrpConsoleWindow *window;

  window = grp_console_window_new (GTK_APPLICATION (console->app), &console->config,
                                   (guint) console->members, &error);
  if (window == NULL)
    {
      fprintf (stderr, "groupy-console: %s\n", error->message);
      console->status = 2;
      return;
    }
  gtk_window_set_default_size (GTK_WINDOW (window), console->width, console->height);
  gtk_window_present (GTK_WINDOW (window));
}

/* Says which option is out of its range, and the range. */
#define in_range(option, value, min, max) \
  grp_supervisor_option_in_range ("groupy-console", option, value, min, max)

int
main (int argc, char **argv)
{
  Console console = { .members = 5 };
  gint64 rate = 100, sleep_ms = 2000, color_rate = 3;
  gint64 suspect = G_MININT64; /* not given: the workers' default */
  gboolean headless = FALSE, keep = FALSE;
  g_autofree char *dir = NULL;
  g_autofree char *protocol = NULL;
  GOptionEntry entries[] = {
    { "members", 'n', 0, G_OPTION_ARG_INT64, &console.members,
      "How many members to start with (default 5)", "N" },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      "Members without windows (groupy-node): tiles only", NULL },
    { "crash-rate", 'r', 0, G_OPTION_ARG_INT64, &rate,
      "Injected leader crash chance 1/N per 100 ms (default 100; 0: off)", "N" },
    { "sleep", 's', 0, G_OPTION_ARG_INT64, &sleep_ms,
      "Longest wait between a member's changes (default 2000)", "MS" },
    { "color-rate", 0, 0, G_OPTION_ARG_INT64, &color_rate,
      "Windows change color at most N times a second (default 3; 0: every delivery)", "N" },
    { "suspect-timeout", 0, 0, G_OPTION_ARG_INT64, &suspect,
      "Silence after which a member is suspected (default: the members')", "MS" },
    { "log-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
      "Write the members' logs there and keep them (default: a temporary folder)", "DIR" },
    { "keep-logs", 0, 0, G_OPTION_ARG_NONE, &keep,
      "Keep the logs once the group is stopped", NULL },
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &protocol,
      "groupy (default: the real protocol), or a stage of the exercise: gms1, gms2, gms3, gms4 "
      "(docs/TUTORIAL.md)", "NAME" },
    { NULL }
  };
  const GActionEntry actions[] = { { "about", about_activated, NULL, NULL, NULL } };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- watch and drive a Groupy group");
  g_autoptr(GError) error = NULL;
  char *args[] = { argv[0], NULL };
  guint sigint_id, sigterm_id, sighup_id;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "groupy-console: %s (see --help)\n", error->message);
      return 2;
    }
  if (!in_range ("--members", console.members, 1, GRP_SUPERVISOR_MAX_MEMBERS) ||
      !grp_supervisor_worker_options_ok ("groupy-console", rate, sleep_ms, color_rate, suspect,
                                         protocol))
    return 2;
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    g_setenv ("GTK_A11Y", "none", FALSE);
  if (!gtk_init_check ())
    {
      fprintf (stderr, "groupy-console: cannot open a display "
               "(groupy-demo --headless runs a group in a terminal)\n");
      return 2;
    }
  console.config.worker = grp_supervisor_find_program (headless ? "groupy-node" : "groupy");
  console.config.checker = grp_supervisor_find_program ("groupy-check");
  if (console.config.worker == NULL || console.config.checker == NULL)
    {
      fprintf (stderr, "groupy-console: cannot find %s next to groupy-console or in PATH\n",
               console.config.worker == NULL ? (headless ? "groupy-node" : "groupy")
                                             : "groupy-check");
      return 2;
    }
  console.config.windows = !headless;
  /* The console's place at the top-left corner (its size on this screen,
   * and a margin): its windows go beside it. */
  grp_place_console_size (gdk_display_get_default (), &console.width, &console.height);
  console.config.beside_width = (guint) console.width + 12;
  console.config.beside_height = (guint) console.height + 12;
  console.config.log_dir = g_steal_pointer (&dir);
  console.config.keep_logs = keep;
  console.config.respawn = TRUE;
  console.config.sleep_ms = (guint) sleep_ms;
  console.config.crash_rate = (guint) rate;
  console.config.color_rate = (guint) color_rate;
  console.config.suspect_ms = suspect != G_MININT64 ? (guint) suspect : 0;
  console.config.protocol = g_steal_pointer (&protocol);

  console.app = adw_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  g_action_map_add_action_entries (G_ACTION_MAP (console.app), actions, G_N_ELEMENTS (actions),
                                   &console);
  g_signal_connect (console.app, "activate", G_CALLBACK (activate), &console);
  sigint_id = g_unix_signal_add (SIGINT, on_signal, &console);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &console);
  sighup_id = g_unix_signal_add (SIGHUP, on_signal, &console);
  status = g_application_run (G_APPLICATION (console.app), 1, args);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_source_remove (sighup_id);
  g_object_unref (console.app);
  grp_supervisor_config_clear (&console.config);
  return console.status ? console.status : status;
}
