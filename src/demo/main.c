/* groupy-demo: a demo group in a terminal.
 *
 *   groupy-demo [--windows N] [--crash-rate N] [--sleep MS] [--no-respawn]
 *               [--headless] [--log-dir DIR] [--keep-logs] [--secret-file FILE] ...
 *
 * Every worker is its own process (`groupy`, or `groupy-node` with
 * --headless).  When one dies -- an injected crash, a closed window, kill -9
 * -- a fresh worker joins through a survivor and takes its place on the
 * screen, unless --no-respawn.  The terminal tells the group's story, one
 * line per event: views and their leaders, crashes and their cause, joins
 * with their state, members left out while alive.  Ctrl-C lets every worker
 * leave, runs groupy-check over every log and prints its verdict; the logs
 * are removed unless --keep-logs or --log-dir.  groupy-console shows the
 * same in a window, with controls. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "grp-proto.h"
#include "grp-supervisor.h"

typedef struct {
  GMainLoop *loop;
  GrpSupervisor *supervisor;
  gboolean ok;
  guint interrupts;
} Demo;

static void
on_event (GrpSupervisor *supervisor, int kind, const char *text, gpointer data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");

  printf ("%s  %s\n", stamp, text);
  fflush (stdout);
}

static void
on_verdict (GrpSupervisor *supervisor, gboolean ok, const char *text, gpointer data)
{
  Demo *demo = data;

  demo->ok = ok;
}

static void
on_stopped (GrpSupervisor *supervisor, GParamSpec *pspec, gpointer data)
{
  Demo *demo = data;

  if (grp_supervisor_is_stopped (supervisor))
    g_main_loop_quit (demo->loop);
}

/* The first Ctrl-C (or SIGTERM, SIGHUP) lets every worker leave, one at a
 * time, then checks the logs; a second one while that goes on stops at
 * once: the workers still running are killed, and the logs are not
 * checked.  The second was ignored, and a worker that did not leave was
 * waited for until the stop's grace ran out. */
static gboolean
on_interrupt (gpointer data)
{
  Demo *demo = data;

  if (demo->interrupts++ == 0)
    grp_supervisor_stop (demo->supervisor);
  else
    grp_supervisor_stop_now (demo->supervisor);
  return G_SOURCE_CONTINUE;
}

/* Says which option is out of its range, and the range. */
#define in_range(option, value, min, max) \
  grp_supervisor_option_in_range ("groupy-demo", option, value, min, max)

int
main (int argc, char **argv)
{
  Demo demo = { 0 };
  /* Its strings are freed on an early return; grp_supervisor_new takes them. */
  g_auto (GrpSupervisorConfig) cfg = { 0 };
  gint64 windows = 5, rate = 100, sleep_ms = 2000, color_rate = 3;
  gint64 suspect = G_MININT64; /* not given: the workers' default */
  gboolean no_respawn = FALSE, headless = FALSE, keep = FALSE;
  g_autofree char *dir = NULL;
  g_autofree char *protocol = NULL;
  GOptionEntry entries[] = {
    { "windows", 'n', 0, G_OPTION_ARG_INT64, &windows, "How many workers (default 5)", "N" },
    { "crash-rate", 'r', 0, G_OPTION_ARG_INT64, &rate,
      "Injected leader crash chance 1/N per 100 ms (default 100; 0: off)", "N" },
    { "sleep", 's', 0, G_OPTION_ARG_INT64, &sleep_ms,
      "Longest wait between a worker's changes (default 2000)", "MS" },
    { "color-rate", 0, 0, G_OPTION_ARG_INT64, &color_rate,
      "Windows change color at most N times a second (default 3; 0: every delivery)", "N" },
    { "suspect-timeout", 0, 0, G_OPTION_ARG_INT64, &suspect,
      "Silence after which a worker is suspected (default: the workers')", "MS" },
    { "no-respawn", 0, 0, G_OPTION_ARG_NONE, &no_respawn,
      "Do not replace workers that die", NULL },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      "Run groupy-node workers, without windows", NULL },
    { "log-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
      "Write the workers' logs there and keep them (default: a temporary folder)", "DIR" },
    { "keep-logs", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the logs at the end", NULL },
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &protocol,
      "groupy (default: the real protocol), or a stage of the exercise: gms1, gms2, gms3, gms4 "
      "(docs/TUTORIAL.md)", "NAME" },
    { "secret-file", 0, 0, G_OPTION_ARG_FILENAME, &cfg.secret_file,
      "The group secret every worker is given (docs/SECURITY.md)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- a Groupy group, told in a terminal");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "groupy-demo: %s (see --help)\n", error->message);
      return 2;
    }
  if (!in_range ("--windows", windows, 1, GRP_SUPERVISOR_MAX_MEMBERS) ||
      !grp_supervisor_worker_options_ok ("groupy-demo", rate, sleep_ms, color_rate, suspect,
                                         protocol) ||
      (cfg.secret_file != NULL && !grp_supervisor_secret_file_ok ("groupy-demo", cfg.secret_file)))
    return 2;
  if (!headless && g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      fprintf (stderr, "groupy-demo: no display to open windows on; "
               "use --headless to run the workers without\n");
      return 2;
    }
  cfg.worker = grp_supervisor_find_program (headless ? "groupy-node" : "groupy");
  cfg.checker = grp_supervisor_find_program ("groupy-check");
  if (cfg.worker == NULL || cfg.checker == NULL)
    {
      fprintf (stderr, "groupy-demo: cannot find %s next to groupy-demo or in PATH\n",
               cfg.worker == NULL ? (headless ? "groupy-node" : "groupy") : "groupy-check");
      return 2;
    }
  cfg.windows = !headless;
  cfg.log_dir = g_steal_pointer (&dir);
  cfg.keep_logs = keep;
  cfg.respawn = !no_respawn;
  cfg.sleep_ms = (guint) sleep_ms;
  cfg.crash_rate = (guint) rate;
  cfg.color_rate = (guint) color_rate;
  cfg.suspect_ms = suspect != G_MININT64 ? (guint) suspect : 0;
  cfg.protocol = g_steal_pointer (&protocol);
  demo.supervisor = grp_supervisor_new (&cfg, &error);
  if (demo.supervisor == NULL)
    {
      fprintf (stderr, "groupy-demo: %s\n", error->message);
      return 2;
    }
  demo.loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (demo.supervisor, "event", G_CALLBACK (on_event), &demo);
  g_signal_connect (demo.supervisor, "verdict", G_CALLBACK (on_verdict), &demo);
  g_signal_connect (demo.supervisor, "notify::stopped", G_CALLBACK (on_stopped), &demo);
  g_unix_signal_add (SIGINT, on_interrupt, &demo);
  g_unix_signal_add (SIGTERM, on_interrupt, &demo);
  /* The terminal closed: the same, or the temporary logs stayed behind. */
  g_unix_signal_add (SIGHUP, on_interrupt, &demo);

  {
    const GrpProtoClass *p = grp_proto_find (grp_supervisor_get_protocol (demo.supervisor));

    printf ("protocol %s: %s\n", p->name, p->summary);
  }
  if (rate > 0)
    printf ("%d workers, crash injection 1/%d, logs in %s; "
            "Ctrl-C ends them all and checks the logs\n",
            (int) windows, (int) rate, grp_supervisor_get_log_dir (demo.supervisor));
  else
    printf ("%d workers, crash injection off, logs in %s; "
            "Ctrl-C ends them all and checks the logs\n",
            (int) windows, grp_supervisor_get_log_dir (demo.supervisor));
  grp_supervisor_start (demo.supervisor, (guint) windows);
  g_main_loop_run (demo.loop);
  g_object_unref (demo.supervisor);
  g_main_loop_unref (demo.loop);
  return demo.ok ? 0 : 1;
}
