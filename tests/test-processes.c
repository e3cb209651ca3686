/* test-processes.c: groupy-node as real processes on 127.0.0.1.
 *
 * Every test waits for what a user would look for (a line in a log, a
 * process exit) with a deadline, never for a fixed time, and ends by
 * running groupy-check over every log it produced.  Timings are tightened
 * with --heartbeat and --suspect-timeout so a test takes seconds. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#define HB "20"
#define SUSPECT "400"

typedef struct {
  guint delivers;
  guint views;
  guint crashes;
  guint states;
  guint excluded;
  gboolean exit_seen;
  gboolean exit_clean; /* the exit did not say "clean": false */
  gboolean quiet;    /* it stopped multicasting (SIGUSR1) */
  gboolean blocked;  /* waiting for a quorum ("blocked" not yet followed by "unblocked") */
  guint blocks;      /* "blocked" events */
  guint all_sends;   /* its multicasts over the whole log */
  guint delivers_at_block; /* deliveries before its last "blocked" */
  guint sends_at_block;    /* multicasts before it */
  guint sends;       /* its own multicasts, since its last state */
  guint own_delivers; /* of which it delivered */
  char *leader;      /* of the last view */
  char **members;    /* of the last view */
  char *gone;        /* "name=why;" for each member a view said went, and why */
  guint64 view_id;
  guint64 last_seq;
} LogInfo;

typedef struct {
  GSubprocess *proc;
  LogInfo info;           /* what its log said so far */
  goffset read_to;        /* bytes of the log already read */
  char *name;
  char *addr;
  char *log;
  gboolean exited;
  gboolean signaled;
  int status;
} Proc;

typedef struct {
  char *dir;
  GPtrArray *procs;
  guint serial;
} Fixture;

static const char *
node_path (void)
{
  return g_getenv ("GROUPY_NODE");
}

static void log_info_clear (LogInfo *i);

static void
proc_free (Proc *p)
{
  log_info_clear (&p->info);
  if (p->proc && !p->exited)
    g_subprocess_force_exit (p->proc);
  g_clear_object (&p->proc);
  g_free (p->name);
  g_free (p->addr);
  g_free (p->log);
  g_free (p);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("groupy-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->procs = g_ptr_array_new_with_free_func ((GDestroyNotify) proc_free);
}

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_ptr_array_unref (f->procs);
  if (g_test_failed ())
    g_printerr ("logs kept in %s\n", f->dir);
  else
    rm_rf (f->dir);
  g_free (f->dir);
}

static void
exited (GObject *source, GAsyncResult *res, gpointer data)
{
  Proc *p = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  p->exited = TRUE;
  p->signaled = g_subprocess_get_if_signaled (G_SUBPROCESS (source));
  p->status = p->signaled ? 128 + g_subprocess_get_term_sig (G_SUBPROCESS (source))
                          : g_subprocess_get_exit_status (G_SUBPROCESS (source));
}

static void
die_with_parent (gpointer data)
{
  /* If the test dies (a failed assertion), its workers die too, rather
   * than keep the test runner waiting on their output. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *
launcher (GSubprocessFlags flags)
{
  static GSubprocessLauncher *l[3];
  int i = flags == G_SUBPROCESS_FLAGS_STDOUT_PIPE ? 0
          : flags == (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE) ? 2 : 1;

  if (l[i] == NULL)
    {
      l[i] = g_subprocess_launcher_new (flags);
      g_subprocess_launcher_set_child_setup (l[i], die_with_parent, NULL, NULL);
    }
  return l[i];
}

/* Start a worker; returns once it printed its address, or NULL if it
 * exited first.  With `commands`, its standard input is a pipe
 * (--commands: grp_worker's command channel, send_command). */
static Proc *
spawn_full (Fixture *f, const char *name, const char *join, const char *const *extra,
            gboolean commands)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  Proc *p = g_new0 (Proc, 1);

  p->name = g_strdup (name);
  p->log = g_strdup_printf ("%s/%s-%u.log", f->dir, name, f->serial++);
  g_ptr_array_add (argv, (char *) node_path ());
  g_ptr_array_add (argv, "--name");
  g_ptr_array_add (argv, p->name);
  g_ptr_array_add (argv, "--log");
  g_ptr_array_add (argv, p->log);
  g_ptr_array_add (argv, "--heartbeat");
  g_ptr_array_add (argv, HB);
  g_ptr_array_add (argv, "--suspect-timeout");
  g_ptr_array_add (argv, SUSPECT);
  if (join)
    {
      g_ptr_array_add (argv, "--join");
      g_ptr_array_add (argv, (char *) join);
    }
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (char *) extra[i]);
  g_ptr_array_add (argv, NULL);
  p->proc = g_subprocess_launcher_spawnv (launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                    (commands ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0)),
                                          (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (p->proc, NULL, exited, p);
  g_ptr_array_add (f->procs, p);
  /* "NAME listening on HOST:PORT" comes first, before any network I/O. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, NULL);
  if (line == NULL || strstr (line, " listening on ") == NULL)
    return NULL;
  p->addr = g_strdup (strrchr (line, ' ') + 1);
  return p;
}

static Proc *
spawn (Fixture *f, const char *name, const char *join, const char *const *extra)
{
  return spawn_full (f, name, join, extra, FALSE);
}

/* A line on the standard input of a worker spawned with commands. */
static void
send_command (Proc *p, const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("%s\n", line);

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (p->proc), text, strlen (text), NULL,
                             NULL, &error);
  g_assert_no_error (error);
}

/* ---- reading logs ----------------------------------------------------- */


static void
log_info_clear (LogInfo *i)
{
  g_free (i->leader);
  g_strfreev (i->members);
  g_free (i->gone);
  memset (i, 0, sizeof *i);
}

static void
read_line (LogInfo *info, const char *line, JsonParser *parser, const char *own_from)
{
  JsonObject *o;
  const char *ev;

  /* Deliveries are most of a log: count them without a JSON parser. */
  if (g_str_has_prefix (line, "{\"ev\":\"deliver\",\"seq\":"))
    {
      info->delivers++;
      info->last_seq = g_ascii_strtoull (line + strlen ("{\"ev\":\"deliver\",\"seq\":"), NULL, 10);
      if (strstr (line, own_from) != NULL)
        info->own_delivers++;
      return;
    }
  if (g_str_has_prefix (line, "{\"ev\":\"send\""))
    {
      info->sends++;
      info->all_sends++;
      return;
    }
  if (!json_parser_load_from_data (parser, line, -1, NULL))
    return;
  o = json_node_get_object (json_parser_get_root (parser));
  ev = json_object_get_string_member_with_default (o, "ev", "");
  if (g_str_equal (ev, "view"))
    {
      JsonArray *m = json_object_get_array_member (o, "members");

      info->views++;
      info->view_id = (guint64) json_object_get_int_member (o, "view");
      info->last_seq = (guint64) json_object_get_int_member (o, "seq");
      g_free (info->leader);
      info->leader = g_strdup (json_object_get_string_member (o, "leader"));
      g_strfreev (info->members);
      info->members = g_new0 (char *, json_array_get_length (m) + 1);
      for (guint k = 0; k < json_array_get_length (m); k++)
        info->members[k] = g_strdup (json_array_get_string_element (m, k));
      if (json_object_has_member (o, "gone"))
        {
          JsonObject *gone = json_object_get_object_member (o, "gone");
          g_autoptr(GList) names = json_object_get_members (gone);

          for (GList *l = names; l != NULL; l = l->next)
            {
              char *more = g_strdup_printf ("%s%s=%s;", info->gone ? info->gone : "",
                                            (char *) l->data,
                                            json_object_get_string_member (gone, l->data));

              g_free (info->gone);
              info->gone = more;
            }
        }
    }
  else if (g_str_equal (ev, "crash"))
    info->crashes++;
  else if (g_str_equal (ev, "state"))
    {
      info->states++;
      info->sends = info->own_delivers = 0; /* a new incarnation: count from here */
    }
  else if (g_str_equal (ev, "excluded"))
    info->excluded++;
  else if (g_str_equal (ev, "exit"))
    {
      info->exit_seen = TRUE;
      info->exit_clean = json_object_get_boolean_member_with_default (o, "clean", TRUE);
    }
  else if (g_str_equal (ev, "quiet"))
    info->quiet = TRUE;
  else if (g_str_equal (ev, "blocked"))
    {
      info->blocked = TRUE;
      info->blocks++;
      info->delivers_at_block = info->delivers;
      info->sends_at_block = info->all_sends;
    }
  else if (g_str_equal (ev, "unblocked"))
    info->blocked = FALSE;
}

/* Reads what was added to p's log since the last call (whole lines only). */
static const LogInfo *
refresh (Proc *p)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *text = NULL;
  g_autofree char *own_from = g_strdup_printf ("\"from\":\"%s\"", p->name);
  gsize len;
  char *line, *nl;

  if (!g_file_get_contents (p->log, &text, &len, NULL) || (goffset) len <= p->read_to)
    return &p->info;
  parser = json_parser_new ();
  for (line = text + p->read_to; (nl = memchr (line, '\n', text + len - line)) != NULL;
       line = nl + 1)
    {
      *nl = '\0';
      if (*line)
        read_line (&p->info, line, parser, own_from);
    }
  p->read_to = line - text;
  return &p->info;
}

/* ---- waiting ---------------------------------------------------------- */

typedef gboolean (*Pred) (Fixture *f, gpointer data);

static gboolean
wake (gpointer data)
{
  g_main_context_wakeup (NULL);
  return G_SOURCE_CONTINUE;
}

/* Run the main loop until pred holds; FALSE at the deadline.  The 10 ms
 * wake-up re-reads the logs: it paces the check, it waits for nothing. */
static gboolean
wait_for (Fixture *f, Pred pred, gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint id = g_timeout_add (10, wake, NULL);
  gboolean ok;

  while (!(ok = pred (f, data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  return ok;
}

static Proc *
live (Fixture *f, guint i)
{
  Proc *p = g_ptr_array_index (f->procs, i);

  return p->exited || p->addr == NULL ? NULL : p;
}

static guint
n_live (Fixture *f)
{
  guint n = 0;

  for (guint i = 0; i < f->procs->len; i++)
    n += live (f, i) != NULL;
  return n;
}

/* Every live worker delivered a view listing exactly the live workers (and,
 * if data is non-NULL, all reached the same position). */
static gboolean
all_in_one_view (Fixture *f, gpointer data)
{
  gboolean same_pos = data != NULL;
  guint64 view = 0, seq = 0;
  guint n = n_live (f);

  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *p = live (f, i);
      const LogInfo *info;
      gboolean ok;

      if (p == NULL)
        continue;
      info = refresh (p);
      ok = info->members != NULL && g_strv_length (info->members) == n &&
           (view == 0 || (info->view_id == view && (!same_pos || info->last_seq == seq)));
      for (guint k = 0; ok && k < f->procs->len; k++)
        {
          Proc *q = live (f, k);

          if (q && !g_strv_contains ((const char *const *) info->members, q->name))
            ok = FALSE;
        }
      view = info->view_id;
      seq = info->last_seq;
      if (!ok)
        return FALSE;
    }
  return n > 0;
}

static gboolean
all_delivered (Fixture *f, gpointer data)
{
  guint want = GPOINTER_TO_UINT (data);

  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *p = live (f, i);
      const LogInfo *info;
      gboolean ok;

      if (p == NULL)
        continue;
      info = refresh (p);
      ok = info->delivers >= want;
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
all_exited (Fixture *f, gpointer data)
{
  for (guint i = 0; i < f->procs->len; i++)
    if (!((Proc *) g_ptr_array_index (f->procs, i))->exited)
      return FALSE;
  return TRUE;
}

static const LogInfo *info_of (Proc *p);

/* Quiet: every live worker delivered all it sent since it (re)joined, and
 * all are in one view at the same position. */
static gboolean
quiet (Fixture *f, gpointer data)
{
  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *p = live (f, i);
      const LogInfo *info = p != NULL ? info_of (p) : NULL;

      if (info != NULL && (!info->quiet || info->own_delivers < info->sends))
        return FALSE;
    }
  return all_in_one_view (f, GINT_TO_POINTER (1));
}

static void
signal_live (Fixture *f, int sig)
{
  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *p = live (f, i);

      if (p != NULL)
        g_subprocess_send_signal (p->proc, sig);
    }
}

/* SIGUSR1 (stop multicasting) to every live worker, then wait until the
 * group is quiet. */
static void
quiesce (Fixture *f)
{
  signal_live (f, SIGUSR1);
  g_assert_true (wait_for (f, quiet, NULL, 15000));
}

/* Quiesce, then SIGTERM every live worker: each leaves cleanly, exits 0. */
static void
stop_all (Fixture *f)
{
  quiesce (f);
  signal_live (f, SIGTERM);
  g_assert_true (wait_for (f, all_exited, NULL, 10000));
}

/* groupy-check over the logs of `procs`; its exit status, and its verdict
 * in `out`. */
static int
run_check (GPtrArray *procs, gboolean same_end, char **out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) check = NULL;

  g_ptr_array_add (argv, (char *) g_getenv ("GROUPY_CHECK"));
  if (same_end)
    g_ptr_array_add (argv, "--same-end");
  for (guint i = 0; i < procs->len; i++)
    {
      Proc *p = g_ptr_array_index (procs, i);

      if (g_file_test (p->log, G_FILE_TEST_EXISTS))
        g_ptr_array_add (argv, p->log);
    }
  g_ptr_array_add (argv, NULL);
  check = g_subprocess_newv ((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                             &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (check, NULL, NULL, out, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("%s", *out);
  return g_subprocess_get_exit_status (check);
}

static void
assert_check_passes (Fixture *f)
{
  g_autofree char *out = NULL;

  if (run_check (f->procs, TRUE, &out) != 0)
    g_error ("groupy-check failed: %s", out);
}

static const LogInfo *
info_of (Proc *p)
{
  return refresh (p);
}

static Proc *
find_live (Fixture *f, const char *name)
{
  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *p = live (f, i);

      if (p && g_str_equal (p->name, name))
        return p;
    }
  return NULL;
}

/* ---- the tests -------------------------------------------------------- */

static void quiesce (Fixture *f);

static gboolean
delivered_by (Fixture *f, gpointer data)
{
  return info_of (data)->delivers >= 2000;
}

/* 1. Five workers, 2,000 changes, no faults: identical sequences and colors. */
static void
test_no_faults (Fixture *f, gconstpointer data)
{
  const char *const opts[] = { "--sleep", "2", "--count", "400", "--crash-rate", "0", NULL };
  Proc *first = spawn (f, "w0", NULL, opts);

  g_assert_nonnull (first);
  for (guint i = 1; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);

      g_assert_nonnull (spawn (f, name, first->addr, opts));
    }
  /* The first worker delivers all 2,000; then the group goes quiet, with
   * everyone at the same position (late joiners got the rest as state). */
  g_assert_true (wait_for (f, delivered_by, first, 60000));
  quiesce (f);
  g_assert_cmpuint (info_of (first)->delivers, ==, 2000);
  stop_all (f);
  for (guint i = 0; i < f->procs->len; i++)
    g_assert_cmpint (((Proc *) g_ptr_array_index (f->procs, i))->status, ==, 0);
  assert_check_passes (f);
}

static guint
crashes_logged (Fixture *f)
{
  guint n = 0;

  for (guint i = 0; i < f->procs->len; i++)
    {
      const LogInfo *info = info_of (g_ptr_array_index (f->procs, i));

      n += info->crashes;
    }
  return n;
}

static gboolean
five_leader_crashes (Fixture *f, gpointer data)
{
  const char *const *opts = data;
  guint name = f->serial;

  /* Replace every worker that died with a fresh one joining a survivor. */
  while (n_live (f) < 5)
    {
      g_autofree char *n = g_strdup_printf ("r%u", name++);
      Proc *contact = NULL;

      /* Through a member (one that installed a view): the newest live
       * process may be a joiner itself, which admits nobody; joiners that
       * chained through each other all failed while the last member
       * delivered alone (one run in two to four under the sanitizers). */
      for (guint i = f->procs->len; i-- > 0 && contact == NULL;)
        if (live (f, i) != NULL && info_of (live (f, i))->view_id != 0)
          contact = live (f, i);
      for (guint i = f->procs->len; i-- > 0 && contact == NULL;)
        contact = live (f, i);
      if (contact == NULL)
        g_error ("the whole group died");
      spawn (f, n, contact->addr, opts);
    }
  return crashes_logged (f) >= 5;
}

/* 2. Crash injection on, replacements joining, until 5 leaders crashed. */
static void
test_crash_injection (Fixture *f, gconstpointer data)
{
  static const char *const opts[] = { "--sleep", "10", "--crash-rate", "4", NULL };
  Proc *first = spawn (f, "w0", NULL, opts);

  g_assert_nonnull (first);
  for (guint i = 1; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);

      g_assert_nonnull (spawn (f, name, first->addr, opts));
    }
  g_assert_true (wait_for (f, five_leader_crashes, (gpointer) opts, 60000));
  g_assert_true (wait_for (f, all_in_one_view, NULL, 10000));
  stop_all (f);
  g_test_message ("%u injected leader crashes, %u workers in all", crashes_logged (f),
                  f->procs->len);
  assert_check_passes (f);
}

static const char *
current_leader (Fixture *f)
{
  static char name[64];

  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *p = live (f, i);

      if (p != NULL)
        {
          const LogInfo *info = info_of (p);

          g_strlcpy (name, info->leader ? info->leader : "", sizeof name);
          return name;
        }
    }
  return NULL;
}

/* 3. kill -9 of the leader and of members, with joins at the same moment. */
static gboolean
has_exited (Fixture *f, gpointer data)
{
  return ((Proc *) data)->exited;
}

static gboolean view_without (Fixture *f, gpointer data);

/* The views of the members alive say that `p` went, and why: the leader
 * says `why` (or `or_why`: a process killed is "crashed" once its
 * connection closed, "silent" if the suspicion timeout came first), no
 * member says it left when it did not (the others may know less). */
static void
assert_gone_as (Fixture *f, Proc *p, const char *why, const char *or_why)
{
  g_autofree char *said = g_strdup_printf ("%s=%s;", p->name, why);
  g_autofree char *or_said = g_strdup_printf ("%s=%s;", p->name, or_why ? or_why : why);
  g_autofree char *left = g_strdup_printf ("%s=left;", p->name);

  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *q = live (f, i);
      const LogInfo *info;

      if (q == NULL || q == p)
        continue;
      info = info_of (q);
      if (g_strcmp0 (q->name, current_leader (f)) == 0)
        {
          g_test_message ("%s says: %s", q->name, info->gone);
          g_assert_nonnull (info->gone);
          g_assert_true (strstr (info->gone, said) || strstr (info->gone, or_said));
        }
      if (!g_str_equal (why, "left") && info->gone != NULL)
        g_assert_null (strstr (info->gone, left));
    }
}

static void
test_kill_and_join (Fixture *f, gconstpointer data)
{
  const char *const opts[] = { "--sleep", "10", "--crash-rate", "0", NULL };
  Proc *first = spawn (f, "w0", NULL, opts);
  GRand *rand = g_rand_new_with_seed (7);

  g_assert_nonnull (first);
  for (guint i = 1; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);

      g_assert_nonnull (spawn (f, name, first->addr, opts));
    }
  g_assert_true (wait_for (f, all_in_one_view, NULL, 10000));
  for (guint round = 0; round < 6; round++)
    {
      Proc *victim = round % 2 == 0 ? find_live (f, current_leader (f)) : NULL;
      Proc *contact = NULL;
      g_autofree char *name = g_strdup_printf ("j%u", round);

      while (victim == NULL)
        victim = live (f, (guint) g_rand_int_range (rand, 0, (gint32) f->procs->len));
      while (contact == NULL || contact == victim)
        contact = live (f, (guint) g_rand_int_range (rand, 0, (gint32) f->procs->len));
      g_test_message ("round %u: kill -9 %s, %s joins through %s", round, victim->name, name,
                      contact->name);
      g_subprocess_send_signal (victim->proc, SIGKILL);
      g_assert_nonnull (spawn (f, name, contact->addr, opts));
      g_assert_true (wait_for (f, all_in_one_view, NULL, 15000));
      assert_gone_as (f, victim, "crashed", "silent");
    }
  g_rand_free (rand);
  /* A member that leaves cleanly is said to have left (the group quiet
   * first, so that every member that lived to the end ends together). */
  quiesce (f);
  {
    Proc *leaver = find_live (f, current_leader (f));

    g_subprocess_send_signal (leaver->proc, SIGTERM);
    g_assert_true (wait_for (f, has_exited, leaver, 10000));
    g_assert_true (wait_for (f, view_without, leaver, 10000));
    assert_gone_as (f, leaver, "left", NULL);
  }
  stop_all (f);
  assert_check_passes (f);
}

static gboolean
view_without (Fixture *f, gpointer data)
{
  Proc *stopped = data;

  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *p = live (f, i);
      const LogInfo *info;
      gboolean ok;

      if (p == NULL || p == stopped)
        continue;
      info = info_of (p);
      ok = info->members && !g_strv_contains ((const char *const *) info->members, stopped->name);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
rejoined (Fixture *f, gpointer data)
{
  Proc *p = data;
  const LogInfo *info = info_of (p);
  gboolean ok = info->excluded == 1 && info->states >= 1;

  return ok && all_in_one_view (f, NULL);
}

/* 4. SIGSTOP the leader past the suspicion timeout, then SIGCONT. */
static void
test_stopped_leader (Fixture *f, gconstpointer data)
{
  const char *const opts[] = { "--sleep", "10", "--crash-rate", "0", NULL };
  Proc *first = spawn (f, "w0", NULL, opts);

  g_assert_nonnull (first);
  for (guint i = 1; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);

      g_assert_nonnull (spawn (f, name, first->addr, opts));
    }
  g_assert_true (wait_for (f, all_in_one_view, NULL, 10000));
  g_assert_cmpstr (current_leader (f), ==, "w0");
  g_subprocess_send_signal (first->proc, SIGSTOP);
  g_assert_true (wait_for (f, view_without, first, 10000));
  g_subprocess_send_signal (first->proc, SIGCONT);
  /* It learns it was replaced, rejoins as a newcomer with the state. */
  g_assert_true (wait_for (f, rejoined, first, 10000));
  {
    const LogInfo *info = info_of (first);

    g_assert_cmpstr (info->leader, !=, "w0");
  }
  stop_all (f);
  assert_check_passes (f);
}

/* 5. Ten joins at once through different members. */
static void
test_ten_joins (Fixture *f, gconstpointer data)
{
  const char *const opts[] = { "--sleep", "20", "--crash-rate", "0", NULL };
  Proc *seed[3];

  seed[0] = spawn (f, "w0", NULL, opts);
  g_assert_nonnull (seed[0]);
  seed[1] = spawn (f, "w1", seed[0]->addr, opts);
  seed[2] = spawn (f, "w2", seed[0]->addr, opts);
  g_assert_true (wait_for (f, all_in_one_view, NULL, 10000));
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%u", i);

      g_assert_nonnull (spawn (f, name, seed[i % 3]->addr, opts));
    }
  g_assert_true (wait_for (f, all_in_one_view, NULL, 20000));
  g_assert_cmpuint (n_live (f), ==, 13);
  stop_all (f);
  assert_check_passes (f);
}

static gboolean
is_blocked (Fixture *f, gpointer data)
{
  return info_of (data)->blocked;
}

static gboolean
unblocked (Fixture *f, gpointer data)
{
  return !info_of (data)->blocked;
}

/* Blocked, it goes on multicasting (its requests wait in its window): five
 * more since it said so are time enough to see it deliver nothing. */
static gboolean
sent_while_blocked (Fixture *f, gpointer data)
{
  const LogInfo *info = info_of (data);

  return info->all_sends >= info->sends_at_block + 5;
}

/* A group of three, w0 (returned), w1 and w2 (*b and *c), the last two
 * stopped (SIGSTOP): w0 is left without a quorum, says so, and goes on
 * multicasting into its window. */
static Proc *
three_without_quorum (Fixture *f, Proc **b, Proc **c)
{
  const char *const opts[] = { "--sleep", "20", "--crash-rate", "0", NULL };
  Proc *a = spawn (f, "w0", NULL, opts);

  g_assert_nonnull (a);
  *b = spawn (f, "w1", a->addr, opts);
  *c = spawn (f, "w2", a->addr, opts);
  g_assert_nonnull (*b);
  g_assert_nonnull (*c);
  g_assert_true (wait_for (f, all_in_one_view, NULL, 10000));
  g_assert_cmpuint (info_of (a)->blocks, ==, 0);
  g_subprocess_send_signal ((*b)->proc, SIGSTOP);
  g_subprocess_send_signal ((*c)->proc, SIGSTOP);
  g_assert_true (wait_for (f, is_blocked, a, 10000));
  g_assert_true (wait_for (f, sent_while_blocked, a, 10000));
  return a;
}

/* 6. No quorum: two of three stopped.  The one left waits, says so in its
 * log and delivers nothing; when they come back, the three go on. */
static void
test_no_quorum (Fixture *f, gconstpointer data)
{
  Proc *b, *c;
  Proc *a = three_without_quorum (f, &b, &c);
  const LogInfo *info = info_of (a);

  g_assert_cmpuint (info->delivers, ==, info->delivers_at_block);
  g_assert_cmpuint (g_strv_length (info->members), ==, 3);
  g_subprocess_send_signal (b->proc, SIGCONT);
  g_subprocess_send_signal (c->proc, SIGCONT);
  g_assert_true (wait_for (f, unblocked, a, 10000));
  g_assert_true (wait_for (f, all_delivered, GUINT_TO_POINTER (info_of (a)->delivers + 20), 10000));
  stop_all (f);
  g_assert_cmpuint (info_of (a)->excluded, ==, 0);
  assert_check_passes (f);
}

static gboolean
in_view_of_two (Fixture *f, gpointer data)
{
  const LogInfo *info = info_of (data);

  return info->members != NULL && g_strv_length (info->members) == 2;
}

/* 6b. Stopped (SIGTERM) while its group has no quorum: it cannot leave
 * cleanly, and must not say it did (a clean exit tells groupy-check that
 * everything it sent was delivered): exit status 1, "clean": false in its
 * log.  The other two come back and go on without it. */
static void
test_stop_without_quorum (Fixture *f, gconstpointer data)
{
  Proc *b, *c;
  Proc *a = three_without_quorum (f, &b, &c);

  g_subprocess_send_signal (a->proc, SIGTERM);
  g_assert_true (wait_for (f, has_exited, a, 20000));
  g_assert_cmpint (a->status, ==, 1);
  g_assert_true (info_of (a)->exit_seen);
  g_assert_false (info_of (a)->exit_clean);
  g_subprocess_send_signal (b->proc, SIGCONT);
  g_subprocess_send_signal (c->proc, SIGCONT);
  g_assert_true (wait_for (f, in_view_of_two, b, 15000));
  g_assert_true (wait_for (f, all_delivered, GUINT_TO_POINTER (info_of (b)->delivers + 20), 10000));
  stop_all (f);
  g_assert_true (info_of (b)->exit_clean && info_of (c)->exit_clean);
  g_assert_cmpint (b->status, ==, 0);
  assert_check_passes (f);
}

/* 6c. Stopped (SIGTERM) while it joins: the join stops, and the worker
 * leaves as asked, cleanly: status 0 and "exit" in its log.  The join's
 * callback ran inside the leave and ended the process as "could not join
 * the group" (status 2, the supervisors' "could not join" problem), before
 * the leave's own callback could log the exit. */
static void
test_stop_while_joining (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contact = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  Proc *p;

  g_assert_no_error (error);
  contact = g_strdup_printf ("127.0.0.1:%u", port);
  p = spawn (f, "joiner", contact, NULL);
  g_assert_nonnull (p);
  /* It dialed its contact, which never answers: it is joining. */
  conn = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);
  g_subprocess_send_signal (p->proc, SIGTERM);
  g_assert_true (wait_for (f, has_exited, p, 10000));
  g_assert_cmpint (p->status, ==, 0);
  g_assert_true (info_of (p)->exit_seen);
}

static int
run_node (const char *const *args, char **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (char *) node_path ());
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (launcher (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                              G_SUBPROCESS_FLAGS_STDERR_PIPE),
                                    (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (p);
}

static void
assert_fails_with (const char *const *args, const char *needle)
{
  g_autofree char *err = NULL;
  int status = run_node (args, &err);

  g_test_message ("%s", err);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, needle));
  /* One line that says what to do. */
  g_assert_cmpuint (strlen (err), >, 0);
  g_assert_null (strchr (err, '\n') == err + strlen (err) - 1 ? NULL : strchr (err, '\n'));
}

/* 7. Bad options, an unreachable peer, a port in use, a name taken, other
 *    failure-detection times than the group's. */
static void
test_bad_input (Fixture *f, gconstpointer data)
{
  const char *const bogus[] = { "--bogus", NULL };
  const char *const sleep[] = { "--sleep", "-5", NULL };
  const char *const delivery[] = { "--delivery", "fast", NULL };
  const char *const listen[] = { "--listen", "nowhere", NULL };
  const char *const extra[] = { "extra", NULL };
  const char *const refused[] = { "--join", "127.0.0.1:1", NULL };
  const char *const wide[] = { "--listen", "0.0.0.0:0", "--advertise", "192.0.2.1:7000", NULL };
  const char *const any[] = { "--listen", "0.0.0.0:0", "--insecure", NULL };
  const char *const no_secret[] = { "--secret-file", "/nonexistent/secret", NULL };
  const char *const half_pki[] = { "--tls-cert", "/nonexistent/cert.pem", NULL };
  Proc *p = spawn (f, "w0", NULL, NULL);
  g_autofree char *addr = NULL;

  assert_fails_with (bogus, "Unknown option");
  assert_fails_with (sleep, "--sleep");
  assert_fails_with (delivery, "agreed or safe");
  assert_fails_with (listen, "HOST:PORT");
  assert_fails_with (extra, "unexpected argument");
  assert_fails_with (refused, "could not reach 127.0.0.1:1");
  assert_fails_with (wide, "loopback only");
  assert_fails_with (wide, "--secret-file FILE, made by --new-secret FILE; or --insecure");
  assert_fails_with (any, "cannot reach 0.0.0.0");
  assert_fails_with (any, "(--advertise HOST:PORT)");
  assert_fails_with (no_secret, "cannot read the secret file");
  assert_fails_with (half_pki, "--tls-ca and --tls-cert");
  {
    g_autofree char *secret = g_build_filename (f->dir, "secret", NULL);
    const char *const make[] = { "--new-secret", secret, NULL };
    const char *const open[] = { "--secret-file", secret, NULL };
    g_autofree char *out = NULL;

    g_assert_cmpint (run_node (make, &out), ==, 0);
    assert_fails_with (make, "exists already");
    g_assert_cmpint (g_chmod (secret, 0640), ==, 0);
    assert_fails_with (open, "chmod 600");
    g_unlink (secret);
  }
  g_assert_nonnull (p);
  addr = g_strdup (p->addr);
  {
    const char *const in_use[] = { "--listen", addr, NULL };
    const char *const same_name[] = { "--name", "w0", "--join", addr, "--heartbeat", HB,
                                      "--suspect-timeout", SUSPECT, NULL };
    /* The default times, not the group's. */
    const char *const other_times[] = { "--name", "w9", "--join", addr, NULL };

    assert_fails_with (in_use, "already in use");
    assert_fails_with (in_use, "(--listen HOST:PORT)");
    assert_fails_with (same_name, "already used");
    assert_fails_with (other_times, "could not join the group: this group's members send a "
                       "heartbeat every " HB " ms and suspect a silent member after " SUSPECT);
    assert_fails_with (other_times, "give every member the same times");
  }
  /* The member they all talked to is still fine. */
  g_assert_false (p->exited);
  stop_all (f);
  g_assert_cmpint (p->status, ==, 0);
}

/* 8. Garbage on the wire closes that connection only. */
static void
test_malformed_frames (Fixture *f, gconstpointer data)
{
  const char *const opts[] = { "--sleep", "10", "--crash-rate", "0", NULL };
  Proc *a = spawn (f, "w0", NULL, opts);
  Proc *b;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  const guint8 garbage[][12] = {
    { 0xff, 0xff, 0xff, 0x7f, 1, 2, 3 },        /* absurd length */
    { 8, 0, 0, 0, 3, 2, 0, 0, 0, 0, 0, 0 },     /* message before HELLO (wire version 3) */
    { 4, 0, 0, 0, 9, 1, 0, 0 },                 /* unknown version */
  };
  guint before_delivers;
  guint64 before_view;

  g_assert_nonnull (a);
  b = spawn (f, "w1", a->addr, opts);
  g_assert_nonnull (b);
  g_assert_true (wait_for (f, all_in_one_view, NULL, 10000));
  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, a->addr, 0,
                                                                           NULL, &error);

      g_assert_no_error (error);
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), garbage[i],
                                 sizeof garbage[i], NULL, NULL, &error);
      g_assert_no_error (error);
    }
  before_delivers = info_of (b)->delivers;
  before_view = info_of (b)->view_id;
  g_assert_true (wait_for (f, all_delivered, GUINT_TO_POINTER (before_delivers + 20), 10000));
  g_assert_cmpuint (info_of (b)->view_id, ==, before_view);
  g_assert_false (a->exited);
  stop_all (f);
  assert_check_passes (f);
}

/* ---- the exercise's stages (src/stages) ------------------------------- */

/* The members of `group` that are alive have all delivered one view that
 * lists exactly them. */
static gboolean
group_in_one_view (Fixture *f, gpointer data)
{
  GPtrArray *group = data;
  guint64 view = 0;
  guint n = 0;

  for (guint i = 0; i < group->len; i++)
    n += !((Proc *) g_ptr_array_index (group, i))->exited;
  for (guint i = 0; i < group->len; i++)
    {
      Proc *p = g_ptr_array_index (group, i);
      const LogInfo *info;

      if (p->exited)
        continue;
      info = info_of (p);
      if (info->members == NULL || g_strv_length (info->members) != n ||
          (view != 0 && info->view_id != view))
        return FALSE;
      for (guint k = 0; k < group->len; k++)
        {
          Proc *q = g_ptr_array_index (group, k);

          if (!q->exited && !g_strv_contains ((const char *const *) info->members, q->name))
            return FALSE;
        }
      view = info->view_id;
    }
  return n > 0;
}

typedef struct {
  GPtrArray *group;
  guint want;   /* deliveries each live member of the group has made, at least */
} Progress;

static gboolean
group_delivered (Fixture *f, gpointer data)
{
  Progress *progress = data;

  for (guint i = 0; i < progress->group->len; i++)
    {
      Proc *p = g_ptr_array_index (progress->group, i);

      if (!p->exited && info_of (p)->delivers < progress->want)
        return FALSE;
    }
  return TRUE;
}

static Proc *
spawn_into (Fixture *f, GPtrArray *group, const char *name, const char *join,
            const char *const *opts)
{
  Proc *p = spawn (f, name, join, opts);

  g_assert_nonnull (p);
  g_ptr_array_add (group, p);
  return p;
}

/* gms1: when the leader dies, nobody delivers again; the real protocol,
 * killed the same way in the same run, goes on.  The real group's
 * progress is the clock: it shows the time in which the gms1 members,
 * which go on multicasting, could have delivered. */
static void
test_gms1_freezes (Fixture *f, gconstpointer data)
{
  const char *const gms1[] = { "--protocol", "gms1", "--sleep", "10", "--crash-rate", "0", NULL };
  const char *const groupy[] = { "--sleep", "10", "--crash-rate", "0", NULL };
  g_autoptr(GPtrArray) stage = g_ptr_array_new ();
  g_autoptr(GPtrArray) real = g_ptr_array_new ();
  Proc *s0 = spawn_into (f, stage, "s0", NULL, gms1);
  Proc *g0 = spawn_into (f, real, "g0", NULL, groupy);
  Progress progress = { real, 0 };
  guint delivers[2], sends[2];

  spawn_into (f, stage, "s1", s0->addr, gms1);
  spawn_into (f, stage, "s2", s0->addr, gms1);
  spawn_into (f, real, "g1", g0->addr, groupy);
  spawn_into (f, real, "g2", g0->addr, groupy);
  g_assert_true (wait_for (f, group_in_one_view, stage, 10000));
  g_assert_true (wait_for (f, group_in_one_view, real, 10000));
  progress.group = stage;
  progress.want = 20;
  g_assert_true (wait_for (f, group_delivered, &progress, 10000));

  /* Both leaders die as kill -9 kills them. */
  g_subprocess_send_signal (s0->proc, SIGKILL);
  g_subprocess_send_signal (g0->proc, SIGKILL);
  g_assert_true (wait_for (f, has_exited, s0, 10000));
  g_assert_true (wait_for (f, has_exited, g0, 10000));
  /* The real group goes on without its leader: a view, then 100
   * deliveries.  What the gms1 leader sent before it died has been read
   * by then (its members count from here).  Counted from the view
   * instead, a loaded machine had them deliver three more (CI, 35 == 32):
   * in their sockets still, not a sign of life. */
  g_assert_true (wait_for (f, group_in_one_view, real, 10000));
  progress.group = real;
  progress.want = info_of (g_ptr_array_index (real, 1))->delivers + 100;
  g_assert_true (wait_for (f, group_delivered, &progress, 20000));
  for (guint i = 0; i < 2; i++)
    {
      const LogInfo *info = info_of (g_ptr_array_index (stage, i + 1));

      delivers[i] = info->delivers;
      sends[i] = info->sends;
    }
  progress.want = info_of (g_ptr_array_index (real, 1))->delivers + 100;
  g_assert_true (wait_for (f, group_delivered, &progress, 20000));
  for (guint i = 0; i < 2; i++)
    {
      Proc *p = g_ptr_array_index (stage, i + 1);
      const LogInfo *info = info_of (p);

      g_test_message ("%s: %u deliveries once the real group went on, %u 100 later; %u more sends",
                      p->name, delivers[i], info->delivers, info->sends - sends[i]);
      g_assert_false (p->exited);
      /* It still multicasts, and nothing comes back: frozen in its color. */
      g_assert_cmpuint (info->sends, >, sends[i] + 10);
      g_assert_cmpuint (info->delivers, ==, delivers[i]);
      g_assert_cmpstr (info->leader, ==, "s0");
    }
  signal_live (f, SIGTERM);
  g_assert_true (wait_for (f, all_exited, NULL, 10000));
  {
    g_autofree char *out = NULL;

    g_assert_cmpint (run_check (real, FALSE, &out), ==, 0);
  }
}

/* The leader of a group of four runs `protocol`, multicasts nothing, and,
 * told so once every member joined, crashes part-way through the next
 * broadcast as --crash-rate does.  Its --seed fixes how far the broadcast
 * gets: with seed 1 it reaches some of the three members, not all.  The
 * survivors go on for a while, then leave; returns groupy-check's status
 * over every log, its verdict in `out`. */
static int
crash_mid_broadcast (Fixture *f, const char *protocol, char **out)
{
  /* A stage takes a leader silent for the suspicion timeout for dead, and
   * splits for good: at 400 ms, the sanitized CI's m1 did so while the
   * machine was busy, before the crash.  The crash itself is told by its
   * connections closing, not by silence.  (The real protocol recovers
   * from a false suspicion, and its members' leave at the end waits a
   * timeout that grows with this one.) */
  const char *suspect = g_str_equal (protocol, "groupy") ? SUSPECT : "3000";
  const char *const lead[] = { "--protocol", protocol, "--sleep", "3600000", "--crash-rate", "0",
                               "--commands", "--seed", "1", "--suspect-timeout", suspect, NULL };
  const char *const opts[] = { "--protocol", protocol, "--sleep", "20", "--crash-rate", "0",
                               "--suspect-timeout", suspect, NULL };
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  g_autoptr(GPtrArray) survivors = g_ptr_array_new ();
  Proc *leader = spawn_full (f, "L", NULL, lead, TRUE);
  Progress progress = { survivors, 0 };

  g_assert_nonnull (leader);
  g_ptr_array_add (all, leader);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i);
      Proc *p = spawn_into (f, all, name, leader->addr, opts);

      g_ptr_array_add (survivors, p);
      /* One at a time: the list order is the order of the joins. */
      g_assert_true (wait_for (f, group_in_one_view, all, 10000));
    }
  send_command (leader, "crash-rate 1");
  g_assert_true (wait_for (f, has_exited, leader, 10000));
  g_assert_cmpint (leader->status, ==, 128 + SIGKILL);
  g_assert_cmpuint (info_of (leader)->crashes, ==, 1);
  g_assert_true (wait_for (f, group_in_one_view, survivors, 10000));
  progress.want = info_of (g_ptr_array_index (survivors, 0))->delivers + 30;
  g_assert_true (wait_for (f, group_delivered, &progress, 10000));
  signal_live (f, SIGTERM);
  g_assert_true (wait_for (f, all_exited, NULL, 10000));
  return run_check (all, FALSE, out);
}

/* gms2: a crash part-way through a broadcast; nothing is sent again, and
 * the members' histories differ from that position on. */
static void
test_gms2_drifts (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (crash_mid_broadcast (f, "gms2", &out), ==, 1);
  g_assert_nonnull (strstr (out, "VIOLATION: position "));
}

/* The same crash, with the same seed, under the real protocol. */
static void
test_gms2_seed_under_groupy (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (crash_mid_broadcast (f, "groupy", &out), ==, 0);
}

/* One protocol per group: a member of another is refused, saying which. */
static void
test_protocol_refused (Fixture *f, gconstpointer data)
{
  const char *const gms2[] = { "--protocol", "gms2", "--sleep", "20", "--crash-rate", "0", NULL };
  const char *const groupy[] = { "--sleep", "20", "--crash-rate", "0", NULL };
  g_autoptr(GPtrArray) stage = g_ptr_array_new ();
  g_autoptr(GPtrArray) real = g_ptr_array_new ();
  Proc *s0 = spawn_into (f, stage, "s0", NULL, gms2);
  Proc *g0 = spawn_into (f, real, "g0", NULL, groupy);
  Progress progress = { stage, 0 };

  spawn_into (f, stage, "s1", s0->addr, gms2);
  g_assert_true (wait_for (f, group_in_one_view, stage, 10000));
  {
    const char *const plain[] = { "--name", "x", "--join", s0->addr, NULL };
    const char *const gms3[] = { "--name", "y", "--protocol", "gms3", "--join", s0->addr, NULL };
    const char *const gms1[] = { "--name", "z", "--protocol", "gms1", "--join", g0->addr, NULL };

    assert_fails_with (plain, "could not join the group: this group runs gms2, you run groupy");
    assert_fails_with (gms3, "this group runs gms2, you run gms3");
    assert_fails_with (gms1, "this group runs groupy, you run gms1");
  }
  /* The groups go on as they were. */
  progress.want = info_of (s0)->delivers + 10;
  g_assert_true (wait_for (f, group_delivered, &progress, 10000));
  g_assert_true (group_in_one_view (f, stage));
  g_assert_cmpuint (g_strv_length (info_of (g0)->members), ==, 1);
  signal_live (f, SIGTERM);
  g_assert_true (wait_for (f, all_exited, NULL, 10000));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (node_path () == NULL || g_getenv ("GROUPY_CHECK") == NULL)
    {
      g_printerr ("set GROUPY_NODE and GROUPY_CHECK (meson test does)\n");
      return 1;
    }
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/processes/no-faults", test_no_faults);
  ADD ("/processes/crash-injection", test_crash_injection);
  ADD ("/processes/kill-and-join", test_kill_and_join);
  ADD ("/processes/stopped-leader", test_stopped_leader);
  ADD ("/processes/ten-joins", test_ten_joins);
  ADD ("/processes/no-quorum", test_no_quorum);
  ADD ("/processes/stop-without-quorum", test_stop_without_quorum);
  ADD ("/processes/stop-while-joining", test_stop_while_joining);
  ADD ("/processes/bad-input", test_bad_input);
  ADD ("/processes/malformed-frames", test_malformed_frames);
  ADD ("/processes/gms1-freezes", test_gms1_freezes);
  ADD ("/processes/gms2-drifts", test_gms2_drifts);
  ADD ("/processes/gms2-seed-under-groupy", test_gms2_seed_under_groupy);
  ADD ("/processes/protocol-refused", test_protocol_refused);
  return g_test_run ();
}
