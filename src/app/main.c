/* groupy: one worker, one window painted in the group's color.
 *
 * Takes the options of groupy-node (same parser), and two of its own:
 * --color-rate (how often the window may change color) and --slot (where
 * on the screen it goes).  Several run side by side: the application is
 * G_APPLICATION_NON_UNIQUE.  Closing the window or "Crash" (Ctrl+K) kills
 * the worker like kill -9; Ctrl+Q, SIGTERM and SIGINT leave the group
 * cleanly; SIGUSR1 stops multicasting, SIGUSR2 starts it again. */
#include "config.h"

#include <adwaita.h>
#include <malloc.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "grp-about.h"
#include "grp-limits.h"
#include "grp-place.h"
#include "grp-security.h"
#include "grp-window.h"

typedef struct {
  AdwApplication *app;
  GrpWorker *worker;
  gint64 color_rate;
  gint64 slot;
  char *beside;
  gboolean driven;      /* --commands: a console or demo runs it, and tells its end */
  int status;
} App;

static void
on_stopped (GrpWorker *worker, const GError *error, gpointer data)
{
  App *app = data;

  if (error != NULL)
    {
      fprintf (stderr, "groupy: %s\n", error->message);
      app->status = 1;
    }
  g_application_quit (G_APPLICATION (app->app));
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  App *app = data;

  grp_worker_stop (app->worker);
}

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  App *app = data;

  grp_show_about (gtk_application_get_active_window (GTK_APPLICATION (app->app)));
}

static void
refused_response (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  App *app = data;

  g_application_quit (G_APPLICATION (app->app));
}

/* The join failed: the window says why before it goes (the reason was
 * on standard error only, and the window vanished). */
static void
show_join_failure (App *app, const char *heading, const char *body)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app->app));
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (window, heading, body));
  gtk_window_set_title (GTK_WINDOW (dialog), heading);
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_set_close_response (dialog, "close");
  g_signal_connect (dialog, "response", G_CALLBACK (refused_response), app);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
started (GObject *source, GAsyncResult *res, gpointer data)
{
  App *app = data;
  g_autoptr(GError) error = NULL;

  if (!grp_worker_start_finish (app->worker, res, &error))
    {
      /* Quit while joining (Ctrl+Q, SIGTERM): the leave ended the join, and
       * its own callback, which runs next, logs the exit and says
       * "stopped". */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      fprintf (stderr, "groupy: could not join the group: %s\n", error->message);
      app->status = 2;
      if (g_error_matches (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_PROTOCOL))
        {
          /* TRANSLATORS: %s is "this group runs gms2, you run groupy" */
          g_autofree char *body = g_strdup_printf (
            _("This window cannot join the group: %s. Every member of a group runs the same "
              "protocol: start this window with the group's --protocol."), error->message);

          show_join_failure (app, _("Another Protocol"), body);
        }
      else if (!app->driven)
        {
          /* TRANSLATORS: %s is why, for example "could not reach 10.0.0.2:7411: Connection
           * refused" */
          g_autofree char *body = g_strdup_printf (_("This window could not join the group: %s."),
                                                   error->message);

          show_join_failure (app, _("Could Not Join"), body);
        }
      else /* its console says why */
        g_application_quit (G_APPLICATION (app->app));
    }
}

static void
on_failed (GrpWorker *worker, const GError *error, gpointer data)
{
  App *app = data;

  fprintf (stderr, "groupy: left out of the group and could not rejoin: %s\n", error->message);
  app->status = 1;
  g_application_quit (G_APPLICATION (app->app));
}

static void
activate (GApplication *application, gpointer data)
{
  App *app = data;
  GrpWindow *window;

  window = grp_window_new (GTK_APPLICATION (app->app), app->worker, (guint) app->color_rate,
                           (int) app->slot);
  gtk_window_present (GTK_WINDOW (window));
  grp_worker_start_async (app->worker, started, app);
}

int
main (int argc, char **argv)
{
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  App app = { .color_rate = 3, .slot = -1 };
  const GOptionEntry window_entries[] = {
    { "color-rate", 0, 0, G_OPTION_ARG_INT64, &app.color_rate,
      "Change the window's color at most N times a second (default 3, the limit for viewers "
      "with photosensitive epilepsy; 0: on every delivery)", "N" },
    { "slot", 0, 0, G_OPTION_ARG_INT64, &app.slot,
      "Place the window in cell N of a grid over the screen "
      "(X11; groupy-demo and groupy-console set it)", "N" },
    { "beside", 0, 0, G_OPTION_ARG_STRING, &app.beside,
      "Leave the top-left WIDTHxHEIGHT of the screen free when placing by --slot "
      "(groupy-console's own place; it sets it)", "WxH" },
    { NULL }
  };
  const GActionEntry actions[] = {
    { "quit", quit_activated, NULL, NULL, NULL },
    { "about", about_activated, NULL, NULL, NULL },
  };
  const char *quit_accels[] = { "<Control>q", NULL };
  char *args[] = { argv[0], NULL };
  g_autofree char *notice = NULL;
  int status;

  /* As groupy-node's: large frames' buffers from mmap (src/node/main.c). */
  mallopt (M_MMAP_THRESHOLD, 1024 * 1024);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!grp_options_parse (&options, &argc, &argv,
                          "A Groupy worker with a window painted in the group's color.",
                          window_entries, &error))
    {
      fprintf (stderr, "groupy: %s (see groupy --help)\n", error->message);
      return 2;
    }
  if (app.color_rate < 0 || app.color_rate > GRP_LIMIT_COLOR_RATE_MAX || app.slot < -1 ||
      app.slot > GRP_LIMIT_SLOT_MAX)
    {
      grp_options_clear (&options);
      fprintf (stderr, "groupy: --color-rate takes 0 to %d, --slot 0 to %d\n",
               GRP_LIMIT_COLOR_RATE_MAX, GRP_LIMIT_SLOT_MAX);
      return 2;
    }
  if (app.beside != NULL)
    {
      int bw = 0, bh = 0;

      if (sscanf (app.beside, "%dx%d", &bw, &bh) != 2 || bw < 0 || bh < 0 || bw > 100000 ||
          bh > 100000)
        {
          grp_options_clear (&options);
          fprintf (stderr, "groupy: --beside takes WIDTHxHEIGHT, for example 1100x720\n");
          return 2;
        }
      grp_place_set_beside (bw, bh);
      g_clear_pointer (&app.beside, g_free);
    }
  if (options.new_secret != NULL)
    return grp_options_new_secret (&options, "groupy");
  notice = grp_options_security_notice (&options, options.name);
  /* Without a session bus there is no accessibility bus either: say so to
   * GTK rather than let it warn. */
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    g_setenv ("GTK_A11Y", "none", FALSE);
  /* Before GTK starts threads that may read the environment. */
  grp_security_choose_ciphers ();
  app.driven = options.commands;
  app.worker = grp_worker_new (&options);
  /* SIGTERM and SIGINT leave cleanly from here on (handled once the main
   * loop runs): while GTK started, a window told to go died of the
   * signal's default action, without its log. */
  grp_worker_handle_signals (app.worker);
  if (!gtk_init_check ())
    {
      g_object_unref (app.worker);
      fprintf (stderr, "groupy: cannot open a display (use groupy-node without one)\n");
      return 2;
    }
  if (!grp_worker_prepare (app.worker, &error))
    {
      fprintf (stderr, "groupy: %s\n", error->message);
      return 2;
    }
  printf ("%s listening on %s\n", grp_worker_get_name (app.worker),
          grp_worker_get_address (app.worker));
  if (notice != NULL)
    printf ("%s\n", notice);
  fflush (stdout);

  app.app = adw_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  g_action_map_add_action_entries (G_ACTION_MAP (app.app), actions, G_N_ELEMENTS (actions), &app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app.app), "app.quit", quit_accels);
  g_signal_connect (app.app, "activate", G_CALLBACK (activate), &app);
  g_signal_connect (app.worker, "failed", G_CALLBACK (on_failed), &app);
  g_signal_connect (app.worker, "stopped", G_CALLBACK (on_stopped), &app);

  status = g_application_run (G_APPLICATION (app.app), 1, args);
  g_object_unref (app.app);
  g_object_unref (app.worker);
  return app.status ? app.status : status;
}
