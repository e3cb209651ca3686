/* test-worker.c: the color worker (src/worker) in process, two of them on
 * 127.0.0.1, driven as the signals and the console drive it: SIGUSR1
 * (quiesce) and SIGUSR2 (resume) may come while the worker is still
 * joining.  Each wait is bounded, by the main loop, never by a sleep. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "grp-worker.h"

#define WAIT_MS 10000

static GString *printed;

/* A worker of the command line `args` (NULL-terminated), prepared. */
static GrpWorker *
worker_of_args (const char *const *args)
{
  char **argv = g_memdup2 (args, sizeof (char *) * (g_strv_length ((char **) args) + 1));
  int argc = g_strv_length (argv);
  char **parsed = argv;
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  GrpWorker *worker;

  g_assert_true (grp_options_parse (&options, &argc, &parsed, "", NULL, &error));
  g_free (argv);
  worker = grp_worker_new (&options);
  g_assert_true (grp_worker_prepare (worker, &error));
  return worker;
}

static GrpWorker *
new_worker (const char *name, const char *join, const char *crash_rate)
{
  const char *args[] = { "test-worker", "--name", name, "--sleep", "50", "--crash-rate",
                         crash_rate, "--seed", "1", join ? "--join" : NULL, join, NULL };

  return worker_of_args (args);
}

static void
started (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (grp_worker_start_finish (GRP_WORKER (source), res, &error));
  *(gboolean *) data = TRUE;
}

static void
stopped (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (grp_worker_stop_finish (GRP_WORKER (source), res, &error));
  *(gboolean *) data = TRUE;
}

static gboolean
time_out (gpointer data)
{
  g_error ("timed out after %u ms waiting for %s", WAIT_MS, (const char *) data);
  return G_SOURCE_REMOVE;
}

static void
wait_for (gboolean *flag, const char *what)
{
  guint guard = g_timeout_add (WAIT_MS, time_out, (gpointer) what);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
}

static void
start (GrpWorker *worker)
{
  gboolean done = FALSE;

  grp_worker_start_async (worker, started, &done);
  wait_for (&done, "a start");
}

static void
stop_and_free (GrpWorker *worker)
{
  gboolean done = FALSE;

  grp_worker_stop_async (worker, stopped, &done);
  wait_for (&done, "a stop");
  g_object_unref (worker);
}

/* The worker's own timers (a change's wait, the crash roll) are sources
 * with the worker for their data: none is left once it is quiet. */
static gboolean
has_timers (GrpWorker *worker)
{
  return g_main_context_find_source_by_user_data (NULL, worker) != NULL;
}

/* SIGUSR2 while joining started the sending and the crash roll, and the
 * join's end started them again: the first pair ran on, out of reach of
 * SIGUSR1 and of a stop (and, with the worker freed, on freed memory). */
static void
test_resume_while_joining (void)
{
  GrpWorker *a = new_worker ("a", NULL, "0");
  g_autofree char *contact = NULL;
  GrpWorker *b;
  gboolean joined = FALSE;

  start (a);
  contact = g_strdup (grp_worker_get_address (a));
  b = new_worker ("b", contact, "1000000");
  grp_worker_start_async (b, started, &joined);
  g_assert_cmpint (grp_worker_get_role (b), !=, GRP_ROLE_MEMBER);
  grp_worker_resume (b);
  wait_for (&joined, "b's join");
  grp_worker_quiesce (b);
  g_assert_false (has_timers (b));
  stop_and_free (b);
  stop_and_free (a);
}

/* SIGUSR1 while joining: the join's end started sending and crash rolls
 * all the same, on a member told to be quiet. */
static void
test_quiesce_while_joining (void)
{
  GrpWorker *a = new_worker ("a", NULL, "0");
  g_autofree char *contact = NULL;
  GrpWorker *b;
  gboolean joined = FALSE;

  start (a);
  contact = g_strdup (grp_worker_get_address (a));
  b = new_worker ("b", contact, "1000000");
  grp_worker_start_async (b, started, &joined);
  grp_worker_quiesce (b);
  wait_for (&joined, "b's join");
  g_assert_false (has_timers (b));
  /* SIGUSR2 starts it as any quiet member. */
  grp_worker_resume (b);
  g_assert_true (has_timers (b));
  stop_and_free (b);
  stop_and_free (a);
}

/* A log that cannot be written (a full disk) is the user's to fix, as one
 * that cannot be opened: the worker ran on without one, saying nothing. */
static void
test_log_unwritable (void)
{
  const char *args[] = { "test-worker", "--log", "/dev/full", NULL };
  char **argv = g_memdup2 (args, sizeof args);
  char **parsed = argv;
  int argc = g_strv_length (argv);
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  g_autofree char *said = NULL;
  GrpWorker *worker;

  if (!g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /dev/full");
      g_free (argv);
      return;
    }
  g_assert_true (grp_options_parse (&options, &argc, &parsed, "", NULL, &error));
  g_free (argv);
  worker = grp_worker_new (&options);
  g_assert_false (grp_worker_prepare (worker, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
  said = g_strdup_printf ("cannot write the log /dev/full: %s", g_strerror (ENOSPC));
  g_assert_cmpstr (error->message, ==, said);
  g_object_unref (worker);
}

/* A seed the random generator cannot take was taken all the same: a
 * negative one as no seed (a run that does not replay), one beyond 32 bits
 * cut to its low bits (--seed 4294967296 ran as --seed 0). */
static void
test_seed_range (void)
{
  const char *const seeds[] = { "-2", "4294967296", "-1" };

  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      const char *args[] = { "test-worker", "--seed", seeds[i], NULL };
      char **argv = g_memdup2 (args, sizeof args);
      char **parsed = argv;
      int argc = g_strv_length (argv);
      GrpOptions options;
      g_autoptr(GError) error = NULL;

      g_assert_false (grp_options_parse (&options, &argc, &parsed, "", NULL, &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_cmpstr (error->message, ==, "--seed takes 0 to 4294967295");
      g_free (argv);
    }
}

static void
keep_printed (const char *text)
{
  g_string_append (printed, text);
}

/* A worker reading commands from a pipe on standard input, what it says
 * on stderr kept in `printed`. */
typedef struct {
  GrpWorker *worker;
  GPrintFunc old;
  int in;
  int saved_stdin;
} Commands;

static void
commands_start (Commands *c)
{
  const char *args[] = { "test-worker", "--name", "w", "--commands", NULL };
  char **argv = g_memdup2 (args, sizeof args);
  char **parsed = argv;
  int argc = g_strv_length (argv);
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_true (grp_options_parse (&options, &argc, &parsed, "", NULL, &error));
  g_free (argv);
  c->saved_stdin = dup (0);
  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (dup2 (fds[0], 0), ==, 0);
  close (fds[0]);
  c->in = fds[1];
  printed = g_string_new (NULL);
  c->old = g_set_printerr_handler (keep_printed);
  c->worker = grp_worker_new (&options);
  g_assert_true (grp_worker_prepare (c->worker, &error));
  grp_worker_handle_signals (c->worker);
}

/* Writes `text` (`len` bytes), and waits until the worker said `said`. */
static void
commands_say (Commands *c, const char *text, gsize len, const char *said)
{
  guint guard = g_timeout_add (WAIT_MS, time_out, (gpointer) said);

  g_string_truncate (printed, 0);
  g_assert_cmpint (write (c->in, text, len), ==, (gssize) len);
  while (strlen (printed->str) < strlen (said))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
  g_assert_cmpstr (printed->str, ==, said);
}

static void
commands_end (Commands *c)
{
  guint guard = g_timeout_add (WAIT_MS, time_out, (gpointer) "the worker's end");

  /* The end of input ends the reading, and with it the read's hold. */
  close (c->in);
  g_object_add_weak_pointer (G_OBJECT (c->worker), (gpointer *) &c->worker);
  g_object_unref (c->worker);
  while (c->worker != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
  g_set_printerr_handler (c->old);
  g_string_free (printed, TRUE);
  g_assert_cmpint (dup2 (c->saved_stdin, 0), ==, 0);
  close (c->saved_stdin);
}

/* A command on standard input (--commands, the console's channel) with a
 * number out of range was called unknown: "unknown command "sleep
 * 99999999" (crash, sleep MS, crash-rate N)". */
static void
test_command_out_of_range (void)
{
  const char *const lines[][2] = {
    { "sleep 99999999\n", "w: sleep takes MS from 0 to 3600000, not \"99999999\"\n" },
    { "crash-rate -1\n", "w: crash-rate takes N from 0 (off) to 2147483647, not \"-1\"\n" },
    { "sleep\n", "w: sleep takes MS from 0 to 3600000\n" },
    { "jump 3\n",
      "w: unknown command \"jump 3\" (crash, sleep MS, crash-rate N, quiet, resume)\n" },
  };
  Commands c;

  commands_start (&c);
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    commands_say (&c, lines[i][0], strlen (lines[i][0]), lines[i][1]);
  commands_end (&c);
}

/* One line that was not UTF-8 ended the commands for good, saying
 * nothing; a line without end was read into memory without end. */
static void
test_command_bad_lines (void)
{
  g_autofree char *endless = g_malloc (16 * 1024); /* within a pipe's buffer */
  Commands c;

  commands_start (&c);
  commands_say (&c, "sl\xff" "ep 5\njump\n", 13,
                "w: a command that is not UTF-8 text, ignored\n"
                "w: unknown command \"jump\" (crash, sleep MS, crash-rate N, quiet, resume)\n");
  memset (endless, 'x', 16 * 1024);
  commands_say (&c, endless, 16 * 1024,
                "w: a command longer than 4096 bytes: no more commands\n");
  commands_end (&c);
}

/* Port 0 means "any free one" where a member listens; others cannot dial
 * it: --advertise 127.0.0.1:0 was taken, and the member said it listened
 * on 127.0.0.1:0, the address to give others' --join. */
static void
test_advertise_port_zero (void)
{
  const char *const cases[][3] = {
    { "--advertise", "127.0.0.1:0", "--advertise takes HOST:PORT, not \"127.0.0.1:0\"" },
    { "--join", "127.0.0.1:0", "--join takes the HOST:PORT of a member, not \"127.0.0.1:0\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[] = { "test-worker", cases[i][0], cases[i][1], NULL };
      char **argv = g_memdup2 (args, sizeof args);
      char **parsed = argv;
      int argc = g_strv_length (argv);
      GrpOptions options;
      g_autoptr(GError) error = NULL;

      g_assert_false (grp_options_parse (&options, &argc, &parsed, "", NULL, &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_true (g_str_has_prefix (error->message, cases[i][2]));
      g_assert_nonnull (strstr (error->message, "port 0"));
      g_free (argv);
    }
}

/* A member told to join through its own address dialed itself, and said
 * "could not join the group: 127.0.0.1:7411: it refused us: it claims our
 * own id". */
static void
test_join_self (void)
{
  const char *const cases[][4] = {
    { "--listen", "127.0.0.1:7411", "127.0.0.1:7411", NULL },
    { "--advertise", "127.0.0.1:7411", "127.0.0.1:7411", NULL },
    { "--listen", "[::1]:7411", "::1:7411", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[] = { "test-worker", cases[i][0], cases[i][1], "--join", cases[i][2],
                             NULL };
      char **argv = g_memdup2 (args, sizeof args);
      char **parsed = argv;
      int argc = g_strv_length (argv);
      GrpOptions options;
      g_autoptr(GError) error = NULL;
      g_autofree char *said = g_strdup_printf ("--join takes the HOST:PORT of another member: "
                                               "\"%s\" is this one's own", cases[i][2]);

      g_assert_false (grp_options_parse (&options, &argc, &parsed, "", NULL, &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_cmpstr (error->message, ==, said);
      g_free (argv);
    }
}

static void
joined_other (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (grp_worker_join_other_finish (GRP_WORKER (source), res, &error));
  *(gboolean *) data = TRUE;
}

/* Join Another Group ends the log of the group of one and goes on in
 * FILE.2 (one log per group); the end of the first names the second
 * ("next", beside it), so that groupy-demo and groupy-console, which read
 * FILE, follow the member there.  They lost it: FILE said "exit", as if it
 * had left, and nothing more. */
static void
test_join_other_names_next_log (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-worker-XXXXXX", NULL);
  g_autofree char *log = g_build_filename (dir, "solo.log", NULL);
  g_autofree char *log2 = g_build_filename (dir, "solo.log.2", NULL);
  const char *args[] = { "test-worker", "--name", "solo", "--sleep", "50", "--crash-rate", "0",
                         "--log", log, NULL };
  char **argv = g_memdup2 (args, sizeof args);
  int argc = g_strv_length (argv);
  char **parsed = argv;
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;
  g_auto(GStrv) lines = NULL;
  GrpWorker *host = new_worker ("host", NULL, "0");
  GrpWorker *solo;
  gboolean joined = FALSE;
  guint n;

  g_assert_true (grp_options_parse (&options, &argc, &parsed, "", NULL, &error));
  g_free (argv);
  solo = grp_worker_new (&options);
  g_assert_true (grp_worker_prepare (solo, &error));
  start (host);
  start (solo);
  grp_worker_join_other_async (solo, grp_worker_get_address (host), joined_other, &joined);
  wait_for (&joined, "solo's join of host's group");
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  lines = g_strsplit (g_strchomp (text), "\n", -1);
  n = g_strv_length (lines);
  g_test_message ("solo.log ends: %s", lines[n - 1]);
  g_assert_true (g_str_has_prefix (lines[n - 1], "{\"ev\":\"exit\",\"next\":\"solo.log.2\","));
  g_assert_true (g_file_get_contents (log2, &text2, NULL, NULL));
  g_assert_true (g_str_has_prefix (text2, "{\"ev\":\"start\""));
  stop_and_free (solo);
  stop_and_free (host);
  g_unlink (log);
  g_unlink (log2);
  g_rmdir (dir);
}

/* --log FILE opens FILE for writing: given the group's secret, or a
 * certificate or key, it overwrote it with the log (the secret was read
 * first, and lost on disk). */
static void
test_log_over_input (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-worker-XXXXXX", NULL);
  g_autofree char *secret = g_build_filename (dir, "secret", NULL);
  g_autofree char *again = g_build_filename (dir, ".", "secret", NULL);
  g_autofree char *after = NULL;
  const char *const cases[][3] = {
    { "--secret-file", secret, "--secret-file" },
    { "--secret-file", again, "--secret-file" },
    { "--tls-ca", secret, "--tls-ca" },
  };

  g_assert_true (g_file_set_contents (secret, "the secret\n", -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      char **parsed;
      int argc;
      GrpOptions options;
      g_autoptr(GError) error = NULL;
      g_autofree char *said = g_strdup_printf ("--log FILE is written: \"%s\" is the %s file",
                                               cases[i][1], cases[i][2]);

      g_ptr_array_add (args, (char *) "test-worker");
      g_ptr_array_add (args, (char *) cases[i][0]);
      g_ptr_array_add (args, secret);
      if (g_str_equal (cases[i][0], "--tls-ca"))
        {
          g_ptr_array_add (args, (char *) "--tls-cert");
          g_ptr_array_add (args, secret);
        }
      g_ptr_array_add (args, (char *) "--log");
      g_ptr_array_add (args, (char *) cases[i][1]);
      argc = (int) args->len;
      g_ptr_array_add (args, NULL);
      parsed = (char **) args->pdata;
      g_assert_false (grp_options_parse (&options, &argc, &parsed, "", NULL, &error));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_cmpstr (error->message, ==, said);
    }
  g_assert_true (g_file_get_contents (secret, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, "the secret\n");
  g_unlink (secret);
  g_rmdir (dir);
}

static void
foreign_joined (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (grp_group_join_finish (GRP_GROUP (source), res, &error));
  *(gboolean *) data = TRUE;
}

static void
foreign_left (GObject *source, GAsyncResult *res, gpointer data)
{
  grp_group_leave_finish (GRP_GROUP (source), res, NULL);
  *(gboolean *) data = TRUE;
}

static void
foreign_delivered (GrpGroup *group, guint64 seq, const char *from, guint64 ctr,
                   GBytes *payload, gpointer data)
{
  if (g_str_equal (from, grp_group_get_name (group)))
    *(guint64 *) data = seq;
}

static gboolean
log_has (const char *path, const char *text)
{
  g_autofree char *all = NULL;

  return g_file_get_contents (path, &all, NULL, NULL) && strstr (all, text) != NULL;
}

/* A program that is not a worker shares the group (the library, embedded)
 * and multicasts what is not a color change: the worker logs the position
 * as delivered (the sender, its size, a digest), and counts it as its last
 * position.  It logged nothing, so groupy-check saw a gap in every
 * worker's log, and the window's position stopped short. */
static void
test_foreign_message (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-worker-XXXXXX", NULL);
  g_autofree char *log = g_build_filename (dir, "w.log", NULL);
  const char *args[] = { "test-worker", "--name", "w", "--sleep", "20", "--crash-rate", "0",
                         "--log", log, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GrpWorker) worker = worker_of_args (args);
  g_autoptr(GrpGroup) x = grp_group_new ("x");
  g_autoptr(GBytes) payload = g_bytes_new_static ("a greeting", 10);
  g_autofree char *line = NULL;
  gboolean joined = FALSE, left = FALSE;
  guint64 seq = 0;
  guint guard;

  start (worker);
  g_signal_connect (x, "delivered", G_CALLBACK (foreign_delivered), &seq);
  g_assert_true (grp_group_listen (x, "127.0.0.1:0", NULL, &error));
  grp_group_join_async (x, grp_worker_get_address (worker), NULL, foreign_joined, &joined);
  wait_for (&joined, "the join");
  g_assert_cmpuint (grp_group_multicast (x, payload, &error), !=, 0);
  g_assert_no_error (error);
  guard = g_timeout_add (WAIT_MS, time_out, (gpointer) "the worker's delivery");
  while (seq == 0 || grp_worker_get_last_seq (worker) < seq)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
  line = g_strdup_printf ("{\"ev\":\"deliver\",\"seq\":%" G_GUINT64_FORMAT
                          ",\"from\":\"x\",\"bytes\":10,\"digest\":", seq);
  grp_group_leave_async (x, NULL, foreign_left, &left);
  wait_for (&left, "the leave");
  stop_and_free (g_steal_pointer (&worker));
  g_assert_true (log_has (log, line));
  g_unlink (log);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/worker/resume-while-joining", test_resume_while_joining);
  g_test_add_func ("/worker/quiesce-while-joining", test_quiesce_while_joining);
  g_test_add_func ("/worker/log-unwritable", test_log_unwritable);
  g_test_add_func ("/worker/seed-range", test_seed_range);
  g_test_add_func ("/worker/command-out-of-range", test_command_out_of_range);
  g_test_add_func ("/worker/command-bad-lines", test_command_bad_lines);
  g_test_add_func ("/worker/advertise-port-zero", test_advertise_port_zero);
  g_test_add_func ("/worker/join-self", test_join_self);
  g_test_add_func ("/worker/log-over-input", test_log_over_input);
  g_test_add_func ("/worker/foreign-message", test_foreign_message);
  g_test_add_func ("/worker/join-other-names-next-log", test_join_other_names_next_log);
  return g_test_run ();
}
