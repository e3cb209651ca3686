/* groupy-demo: open N worker windows in one group and keep the demo going.
 *
 *   groupy-demo [--windows N] [--crash-rate N] [--sleep MS] [--no-respawn]
 *               [--headless] [--log-dir DIR] [--secret-file FILE]
 *
 * Every worker is its own process (`groupy`, or `groupy-node` with
 * --headless).  When one dies -- an injected crash, a closed window, kill -9
 * -- a fresh worker joins through a survivor, unless --no-respawn.  The
 * terminal shows one line per event worth knowing: a crash, a new leader, a
 * join.  Ctrl-C ends every worker it started. */
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

typedef struct {
  GSubprocess *proc;
  char *name;
  char *addr;
  char *log;
  goffset read_to;
  gboolean exited;
  gboolean crashed_logged;
} Worker;

typedef struct {
  GMainLoop *loop;
  GPtrArray *workers;
  char *program;
  char *dir;
  char *secret_file;      /* given to every worker */
  int windows;
  int crash_rate;
  int sleep_ms;
  gboolean respawn;
  gboolean stopping;
  guint next_name;
  char *leader;
  guint64 view;
  GRand *rand;
} Demo;

static void
say (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
say (const char *fmt, ...)
{
  va_list ap;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");

  printf ("%s  ", stamp);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
}

static void
child_setup (gpointer data)
{
  /* If the demo itself is killed, its windows go with it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static Worker *
live_worker (Demo *d, Worker *except)
{
  g_autoptr(GPtrArray) live = g_ptr_array_new ();

  for (guint i = 0; i < d->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (d->workers, i);

      if (!w->exited && w->addr != NULL && w != except)
        g_ptr_array_add (live, w);
    }
  if (live->len == 0)
    return NULL;
  return g_ptr_array_index (live, g_rand_int_range (d->rand, 0, (gint32) live->len));
}

static void spawn (Demo *d);
static gboolean watch_logs (gpointer data);

static void
on_exit (GObject *source, GAsyncResult *res, gpointer data)
{
  Demo *d = g_object_get_data (source, "demo");
  Worker *w = data;
  GSubprocess *p = G_SUBPROCESS (source);

  g_subprocess_wait_finish (p, res, NULL);
  w->exited = TRUE;
  if (d->stopping)
    {
      for (guint i = 0; i < d->workers->len; i++)
        if (!((Worker *) g_ptr_array_index (d->workers, i))->exited)
          return;
      g_main_loop_quit (d->loop);
      return;
    }
  watch_logs (d); /* an injected crash says so in its log: tell that first */
  if (w->crashed_logged)
    ;
  else if (g_subprocess_get_if_signaled (p))
    say ("%s died (%s)", w->name, g_subprocess_get_term_sig (p) == SIGKILL ? "killed" : g_strsignal (g_subprocess_get_term_sig (p)));
  else if (g_subprocess_get_exit_status (p) == 2)
    say ("%s could not join (see its window's terminal output)", w->name);
  else
    say ("%s exited", w->name);
  if (d->respawn)
    spawn (d);
}

static void
spawn (Demo *d)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *sleep_ms = g_strdup_printf ("%d", d->sleep_ms);
  g_autofree char *rate = g_strdup_printf ("%d", d->crash_rate);
  Worker *w = g_new0 (Worker, 1);
  Worker *contact = live_worker (d, NULL);
  const char *argv[16];
  int n = 0;

  w->name = g_strdup_printf ("w%u", ++d->next_name);
  w->log = g_strdup_printf ("%s/%s.log", d->dir, w->name);
  argv[n++] = d->program;
  argv[n++] = "--name";
  argv[n++] = w->name;
  argv[n++] = "--log";
  argv[n++] = w->log;
  argv[n++] = "--sleep";
  argv[n++] = sleep_ms;
  argv[n++] = "--crash-rate";
  argv[n++] = rate;
  if (d->secret_file != NULL)
    {
      argv[n++] = "--secret-file";
      argv[n++] = d->secret_file;
    }
  if (contact != NULL)
    {
      argv[n++] = "--join";
      argv[n++] = contact->addr;
    }
  argv[n] = NULL;
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  w->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (w->proc == NULL)
    {
      g_printerr ("groupy-demo: cannot start %s: %s\n", d->program, error->message);
      exit (2);
    }
  g_object_set_data (G_OBJECT (w->proc), "demo", d);
  g_ptr_array_add (d->workers, w);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (w->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, NULL);
  if (line != NULL && strstr (line, " listening on ") != NULL)
    w->addr = g_strdup (strrchr (line, ' ') + 1);
  g_subprocess_wait_async (w->proc, NULL, on_exit, w);
  if (contact != NULL)
    say ("%s joins through %s", w->name, contact->name);
  else
    say ("%s creates the group", w->name);
}

/* Read what the workers logged since last time: crashes and views. */
static gboolean
watch_logs (gpointer data)
{
  Demo *d = data;

  if (d->stopping)
    return G_SOURCE_CONTINUE; /* the leaves of the shutdown are no news */

  for (guint i = 0; i < d->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (d->workers, i);
      g_autofree char *text = NULL;
      gsize len;
      char *line, *nl;

      if (!g_file_get_contents (w->log, &text, &len, NULL) || (goffset) len <= w->read_to)
        continue;
      for (line = text + w->read_to; (nl = memchr (line, '\n', text + len - line)) != NULL; line = nl + 1)
        {
          *nl = '\0';
          if (g_str_has_prefix (line, "{\"ev\":\"crash\"}") && !w->crashed_logged)
            {
              w->crashed_logged = TRUE;
              say ("%s crashed part-way through a broadcast (the injected fault)", w->name);
            }
          else if (g_str_has_prefix (line, "{\"ev\":\"view\""))
            {
              g_autofree char *leader = NULL;
              const char *l = strstr (line, "\"leader\":\"");
              guint64 view = g_ascii_strtoull (line + strlen ("{\"ev\":\"view\",\"view\":"), NULL, 10);

              if (l == NULL || view <= d->view)
                continue;
              l += strlen ("\"leader\":\"");
              leader = g_strndup (l, strcspn (l, "\""));
              if (g_strcmp0 (leader, d->leader) != 0)
                say ("new leader: %s (view %" G_GUINT64_FORMAT ")", leader, view);
              d->view = view;
              g_free (d->leader);
              d->leader = g_steal_pointer (&leader);
            }
          else if (g_str_has_prefix (line, "{\"ev\":\"excluded\"}"))
            say ("%s was left out (stopped or cut off too long); it rejoins", w->name);
        }
      w->read_to = line - text;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_interrupt (gpointer data)
{
  Demo *d = data;
  gboolean any = FALSE;

  if (d->stopping)
    return G_SOURCE_CONTINUE;
  d->stopping = TRUE;
  say ("stopping every worker");
  for (guint i = 0; i < d->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (d->workers, i);

      if (!w->exited)
        {
          g_subprocess_send_signal (w->proc, SIGTERM);
          any = TRUE;
        }
    }
  if (!any)
    g_main_loop_quit (d->loop);
  return G_SOURCE_CONTINUE;
}

static char *
find_program (const char *argv0, const char *name)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = g_path_get_dirname (self ? self : argv0);
  const char *candidates[] = { ".", "../app", "../node" };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      char *path = g_build_filename (dir, candidates[i], name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        return path;
      g_free (path);
    }
  return g_find_program_in_path (name);
}

int
main (int argc, char **argv)
{
  Demo d = { 0 };
  gint64 windows = 5, rate = 100, sleep_ms = 1000;
  gboolean no_respawn = FALSE, headless = FALSE;
  char *dir = NULL;
  GOptionEntry entries[] = {
    { "windows", 'n', 0, G_OPTION_ARG_INT64, &windows, "How many workers (default 5)", "N" },
    { "crash-rate", 'r', 0, G_OPTION_ARG_INT64, &rate, "Injected leader crash chance 1/N per 100 ms (default 100; 0: off)", "N" },
    { "sleep", 's', 0, G_OPTION_ARG_INT64, &sleep_ms, "Longest wait between a worker's changes (default 1000)", "MS" },
    { "no-respawn", 0, 0, G_OPTION_ARG_NONE, &no_respawn, "Do not replace workers that die", NULL },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless, "Run groupy-node workers, without windows", NULL },
    { "log-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Keep the workers' logs there (default: a new temporary folder)", "DIR" },
    { "secret-file", 0, 0, G_OPTION_ARG_FILENAME, &d.secret_file,
      "The group secret every worker is given (docs/SECURITY.md)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- open Groupy windows in one group");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "groupy-demo: %s (see --help)\n", error->message);
      return 2;
    }
  if (windows < 1 || windows > 64 || rate < 0 || sleep_ms < 0)
    {
      fprintf (stderr, "groupy-demo: --windows takes 1 to 64, --crash-rate and --sleep at least 0\n");
      return 2;
    }
  if (!headless && g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      fprintf (stderr, "groupy-demo: no display to open windows on; use --headless to run the workers without\n");
      return 2;
    }
  d.program = find_program (argv[0], headless ? "groupy-node" : "groupy");
  if (d.program == NULL)
    {
      fprintf (stderr, "groupy-demo: cannot find %s next to groupy-demo or in PATH\n", headless ? "groupy-node" : "groupy");
      return 2;
    }
  if (dir == NULL)
    dir = g_dir_make_tmp ("groupy-demo-XXXXXX", NULL);
  else
    g_mkdir_with_parents (dir, 0755);
  d.dir = dir;
  d.windows = (int) windows;
  d.crash_rate = (int) rate;
  d.sleep_ms = (int) sleep_ms;
  d.respawn = !no_respawn;
  d.loop = g_main_loop_new (NULL, FALSE);
  d.workers = g_ptr_array_new ();
  d.rand = g_rand_new ();

  say ("%d workers, crash injection %s, logs in %s; Ctrl-C ends them all", d.windows,
       d.crash_rate ? g_strdup_printf ("1/%d", d.crash_rate) : "off", d.dir);
  for (int i = 0; i < d.windows; i++)
    spawn (&d);
  g_timeout_add (100, watch_logs, &d);
  g_unix_signal_add (SIGINT, on_interrupt, &d);
  g_unix_signal_add (SIGTERM, on_interrupt, &d);
  g_main_loop_run (d.loop);
  say ("done");
  return 0;
}
