/* groupy: one worker, one window painted in the group's color.
 *
 * Takes the options of groupy-node (same parser).  Several run side by side:
 * the application is G_APPLICATION_NON_UNIQUE.  Closing the window or
 * "Crash" (Ctrl+K) kills the worker like kill -9; Ctrl+Q, SIGTERM and
 * SIGINT leave the group cleanly; SIGUSR1 stops multicasting, SIGUSR2
 * starts it again. */
#include <gtk/gtk.h>
#include <stdio.h>

#include "grp-window.h"

typedef struct {
  GtkApplication *app;
  GrpWorker *worker;
  int status;
} App;

static void
on_stopped (GrpWorker *worker, gpointer data)
{
  App *app = data;

  g_application_quit (G_APPLICATION (app->app));
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  App *app = data;

  grp_worker_stop (app->worker);
}

static void
started (GObject *source, GAsyncResult *res, gpointer data)
{
  App *app = data;
  g_autoptr(GError) error = NULL;

  if (!grp_worker_start_finish (app->worker, res, &error))
    {
      fprintf (stderr, "groupy: could not join the group: %s\n", error->message);
      app->status = 2;
      g_application_quit (G_APPLICATION (app->app));
    }
}

static void
on_failed (GrpGroup *group, const GError *error, gpointer data)
{
  App *app = data;

  if (grp_worker_get_view_id (app->worker) == 0)
    return; /* a failed first join is reported by `started` */
  fprintf (stderr, "groupy: left out of the group and could not rejoin: %s\n", error->message);
  app->status = 1;
  g_application_quit (G_APPLICATION (app->app));
}

static void
activate (GApplication *application, gpointer data)
{
  App *app = data;
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  GrpWindow *window;

  gtk_css_provider_load_from_resource (css, "/org/groupy/Groupy/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  window = grp_window_new (app->app, app->worker);
  gtk_window_present (GTK_WINDOW (window));
  grp_worker_start_async (app->worker, started, app);
}

int
main (int argc, char **argv)
{
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  App app = { 0 };
  const GActionEntry actions[] = { { "quit", quit_activated, NULL, NULL, NULL } };
  const char *quit_accels[] = { "<Control>q", NULL };
  char *args[] = { argv[0], NULL };
  g_autofree char *notice = NULL;
  int status;

  if (!grp_options_parse (&options, &argc, &argv,
                          "A Groupy worker with a window painted in the group's color.", &error))
    {
      fprintf (stderr, "groupy: %s (see groupy --help)\n", error->message);
      return 2;
    }
  if (options.new_secret != NULL)
    return grp_options_new_secret (&options, "groupy");
  notice = grp_options_security_notice (&options, options.name);
  /* Without a session bus there is no accessibility bus either: say so to
   * GTK rather than let it warn. */
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    g_setenv ("GTK_A11Y", "none", FALSE);
  if (!gtk_init_check ())
    {
      fprintf (stderr, "groupy: cannot open a display (use groupy-node without one)\n");
      return 2;
    }
  app.worker = grp_worker_new (&options);
  if (!grp_worker_prepare (app.worker, &error))
    {
      fprintf (stderr, "groupy: %s\n", error->message);
      return 2;
    }
  printf ("%s listening on %s\n", grp_worker_get_name (app.worker), grp_worker_get_address (app.worker));
  if (notice != NULL)
    printf ("%s\n", notice);
  fflush (stdout);

  app.app = gtk_application_new ("org.groupy.Groupy", G_APPLICATION_NON_UNIQUE);
  g_action_map_add_action_entries (G_ACTION_MAP (app.app), actions, G_N_ELEMENTS (actions), &app);
  gtk_application_set_accels_for_action (app.app, "app.quit", quit_accels);
  g_signal_connect (app.app, "activate", G_CALLBACK (activate), &app);
  g_signal_connect (grp_worker_get_group (app.worker), "failed", G_CALLBACK (on_failed), &app);
  grp_worker_handle_signals (app.worker);
  g_signal_connect (app.worker, "stopped", G_CALLBACK (on_stopped), &app);

  status = g_application_run (G_APPLICATION (app.app), 1, args);
  g_object_unref (app.app);
  g_object_unref (app.worker);
  return app.status ? app.status : status;
}
