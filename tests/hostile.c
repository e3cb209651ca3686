/* hostile.c: a hostile peer against a live group of groupy-node processes.
 *
 *   hostile --mode open|stranger|member [GTest options]
 *
 * Every test case starts a fresh group of three groupy-node processes on
 * 127.0.0.1 (each with the common limit of 1,024 descriptors), runs one
 * attack on it, and asserts what a user would check:
 *
 *  - no member dies (except one the attack kills on purpose), nor is
 *    excluded (it would join again: a new incarnation in its log);
 *  - no name but the members' appears in any view;
 *  - the group delivers again within a second of the attack's end;
 *  - each member stays under 64 MB of resident memory (its peak, VmHWM)
 *    and, while attack connections are held, under 10 % of one core;
 *  - groupy-check finds nothing in the logs (the group is let go quiet
 *    and stopped cleanly at the end).
 *
 * The modes: "open", a group without a secret (anyone may speak, so the
 * bounds alone must hold); "stranger", a group with a secret, attacked by
 * a peer without it (refused before anything it sends is read); "member",
 * a group with a secret, attacked by a peer that holds it (a buggy or
 * hostile member: the bounds, and the core's checks, must stop it).
 *
 * An attack is one function: it gets the group, and a way to connect to a
 * member as whoever the mode lets it be (hostile_speak: plaintext HELLO in
 * the open mode; TLS, the proof of the secret and a HELLO in the member
 * mode), then to send frames built with the project's codec.
 *
 * The transport's rows: silent connections, half handshakes, large frames,
 * an impostor, a stranger.  The core's rows, each a function too, in every
 * mode (in the stranger mode refused before a frame is read): a forged
 * DECIDE at position 0, NOT_MEMBER from the attacker, SEQ entries claiming
 * members' multicasts, PREPARE with ballot 2^64 - 1, invented JOINs, a
 * heartbeat at 2^62, NEED_VIEW floods, SEQ far ahead with 16 MiB payloads,
 * LEAVE in others' names; and a "mole" that joins for real on the
 * project's transport and then sends SEQ, a heartbeat at 2^62, large
 * frames and ballot 2^64 - 1 from inside the view (its name is the only
 * one besides the members' let into a view).  The attacker learns the
 * view as a peer can
 * (learn_view); each function says which mutant of the core
 * (tests/mutants/mutants.txt) it fails against, or that none.
 */
#include "grp-codec.h"
#include "grp-security.h"
#include "grp-transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define N_NODES 3
/* The figures the issue asks members to hold under attack. */
#define RSS_MAX_KB (64 * 1024)
#define CPU_MAX 0.10
#define REDELIVER_MS 1000
/* Descriptors a member gets: the common default. */
#define NODE_NOFILE 1024
#define FLOOD 3000
/* Generous: a member starved of CPU by the attack must not be taken for
 * dead by the others (that would be a test of the machine, not of us). */
#define NODE_OPTS "--sleep", "20", "--crash-rate", "0", "--heartbeat", "100", \
                  "--suspect-timeout", "2000"

typedef enum {
  MODE_OPEN = 1 << 0,      /* no secret */
  MODE_STRANGER = 1 << 1,  /* secret; the attacker has none */
  MODE_MEMBER = 1 << 2,    /* secret; the attacker has it */
} Mode;
#define MODE_ALL (MODE_OPEN | MODE_STRANGER | MODE_MEMBER)

static Mode mode;
static const char *node_path, *check_path;

typedef struct {
  GSubprocess *proc;
  char *name;
  char *addr;
  char *log;
  goffset read_to;
  guint delivers;
  GStrv members;           /* of its last view */
  guint64 view_id, view_seq; /* of its last view */
  guint64 last_seq;        /* the last position it delivered */
  guint rejoins;           /* states taken after deliveries: new incarnations */
  gboolean exit_seen;
  gboolean killed;         /* on purpose, by the attack */
} Node;

typedef struct {
  char *dir;
  char *secret;            /* the group's secret file, or NULL */
  GrpSecurity *security;   /* the attacker's, in the member mode */
  GrpView *view;           /* as the attacker learnt it (learn_view) */
  const char *mole;        /* a name the attack may bring into a view */
  Node nodes[N_NODES];
  GHashTable *names;       /* every name seen in a view */
  gint64 cpu_start[N_NODES];
  gint64 cpu_at;
  double cpu_base[N_NODES]; /* share of a core without the attack */
} Group;

/* ---- the group ---------------------------------------------------------- */

static void
child_setup (gpointer data)
{
  struct rlimit lim = { NODE_NOFILE, NODE_NOFILE };

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  getrlimit (RLIMIT_NOFILE, &lim);
  lim.rlim_cur = MIN (lim.rlim_max, NODE_NOFILE);
  setrlimit (RLIMIT_NOFILE, &lim);
}

static void
node_start (Group *g, guint i, const char *join)
{
  Node *n = &g->nodes[i];
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  const char *opts[] = { NODE_OPTS };

  n->name = g_strdup_printf ("n%u", i);
  n->log = g_strdup_printf ("%s/%s.log", g->dir, n->name);
  g_ptr_array_add (argv, (char *) node_path);
  g_ptr_array_add (argv, "--name");
  g_ptr_array_add (argv, n->name);
  g_ptr_array_add (argv, "--log");
  g_ptr_array_add (argv, n->log);
  for (guint k = 0; k < G_N_ELEMENTS (opts); k++)
    g_ptr_array_add (argv, (char *) opts[k]);
  if (g->secret != NULL)
    {
      g_ptr_array_add (argv, "--secret-file");
      g_ptr_array_add (argv, g->secret);
    }
  if (join != NULL)
    {
      g_ptr_array_add (argv, "--join");
      g_ptr_array_add (argv, (char *) join);
    }
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_child_setup (l, child_setup, NULL, NULL);
  n->proc = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (n->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, NULL);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, " listening on "));
  n->addr = g_strdup (strrchr (line, ' ') + 1);
}

/* Reads what was added to the node's log (whole lines). */
static void
node_refresh (Group *g, Node *n)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  gsize len;
  char *line, *nl;

  if (!g_file_get_contents (n->log, &text, &len, NULL) || (goffset) len <= n->read_to)
    return;
  for (line = text + n->read_to; (nl = memchr (line, '\n', text + len - line)) != NULL;
       line = nl + 1)
    {
      JsonObject *o;
      const char *ev;

      *nl = '\0';
      if (g_str_has_prefix (line, "{\"ev\":\"deliver\""))
        {
          const char *seq = strstr (line, "\"seq\":");

          n->delivers++;
          if (seq != NULL)
            n->last_seq = MAX (n->last_seq, g_ascii_strtoull (seq + 6, NULL, 10));
          continue;
        }
      if (!json_parser_load_from_data (parser, line, -1, NULL))
        continue;
      o = json_node_get_object (json_parser_get_root (parser));
      ev = json_object_get_string_member_with_default (o, "ev", "");
      if (g_str_equal (ev, "view"))
        {
          JsonArray *m = json_object_get_array_member (o, "members");

          n->view_id = (guint64) json_object_get_int_member_with_default (o, "view", 0);
          n->view_seq = (guint64) json_object_get_int_member_with_default (o, "seq", 0);
          n->last_seq = MAX (n->last_seq, n->view_seq);
          g_strfreev (n->members);
          n->members = g_new0 (char *, json_array_get_length (m) + 1);
          for (guint k = 0; k < json_array_get_length (m); k++)
            {
              n->members[k] = g_strdup (json_array_get_string_element (m, k));
              g_hash_table_add (g->names, g_strdup (n->members[k]));
            }
        }
      else if (g_str_equal (ev, "state") && n->delivers > 0)
        n->rejoins++; /* excluded, it joined again (as groupy-check counts) */
      else if (g_str_equal (ev, "exit"))
        n->exit_seen = TRUE;
    }
  n->read_to = line - text;
}

/* Alive: not reaped (the main context reaps children; it is run here). */
static gboolean
node_alive (Node *n)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return n->proc != NULL && !n->killed && g_subprocess_get_identifier (n->proc) != NULL;
}

typedef gboolean (*Pred) (Group *g, gconstpointer data);

/* Polls the logs until pred holds; FALSE at the deadline.  The pause
 * paces the polling; nothing waits for it. */
static gboolean
wait_for (Group *g, Pred pred, gconstpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      for (guint i = 0; i < N_NODES; i++)
        node_refresh (g, &g->nodes[i]);
      if (pred (g, data))
        return TRUE;
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (10 * 1000);
    }
}

static gboolean
view_is (Group *g, gconstpointer data)
{
  const char *const *want = data;

  for (guint i = 0; i < N_NODES; i++)
    {
      Node *n = &g->nodes[i];

      if (n->killed)
        continue;
      if (n->members == NULL || g_strv_length (n->members) != g_strv_length ((GStrv) want))
        return FALSE;
      for (guint k = 0; want[k] != NULL; k++)
        if (!g_strv_contains ((const char *const *) n->members, want[k]))
          return FALSE;
    }
  return TRUE;
}

static void
group_start (Group *g)
{
  const char *all[] = { "n0", "n1", "n2", NULL };
  g_autoptr(GError) error = NULL;

  memset (g, 0, sizeof *g);
  g->dir = g_dir_make_tmp ("groupy-hostile-XXXXXX", &error);
  g_assert_no_error (error);
  g->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (mode != MODE_OPEN)
    {
      g->secret = g_build_filename (g->dir, "secret", NULL);
      g_assert_true (grp_security_write_secret (g->secret, &error));
      g_assert_no_error (error);
    }
  if (mode == MODE_MEMBER)
    {
      g->security = grp_security_new ();
      g_assert_true (grp_security_load_secret (g->security, g->secret, &error));
    }
  node_start (g, 0, NULL);
  node_start (g, 1, g->nodes[0].addr);
  node_start (g, 2, g->nodes[0].addr);
  g_assert_true (wait_for (g, view_is, all, 20000));
}

static gint64
node_cpu_ticks (Node *n)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", g_subprocess_get_identifier (n->proc));
  g_autofree char *text = NULL;
  g_auto(GStrv) f = NULL;
  char *close;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (close = strrchr (text, ')')) == NULL)
    return 0;
  f = g_strsplit (close + 2, " ", 0);
  /* After the name: state is field 3, utime and stime fields 14 and 15. */
  return g_ascii_strtoll (f[11], NULL, 10) + g_ascii_strtoll (f[12], NULL, 10);
}

static guint
node_peak_rss_kb (Node *n)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status",
                                           g_subprocess_get_identifier (n->proc));
  g_autofree char *text = NULL;
  const char *hwm;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (hwm = strstr (text, "VmHWM:")) == NULL)
    return 0;
  return (guint) g_ascii_strtoull (hwm + strlen ("VmHWM:"), NULL, 10);
}

/* Start measuring the members' CPU. */
static void
cpu_mark (Group *g)
{
  for (guint i = 0; i < N_NODES; i++)
    g->cpu_start[i] = node_alive (&g->nodes[i]) ? node_cpu_ticks (&g->nodes[i]) : 0;
  g->cpu_at = g_get_monotonic_time ();
}

/* Each member's CPU since cpu_mark, as a share of one core. */
static double
cpu_share (Group *g, guint i)
{
  double seconds = (double) (g_get_monotonic_time () - g->cpu_at) / G_USEC_PER_SEC;

  return (double) (node_cpu_ticks (&g->nodes[i]) - g->cpu_start[i]) / sysconf (_SC_CLK_TCK) /
         seconds;
}

/* What the attack cost each member since cpu_mark, beyond what the group's
 * own traffic costs it (cpu_base): within the figure. */
static void
assert_cpu (Group *g, const char *what)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      Node *n = &g->nodes[i];
      double share;

      if (!node_alive (n))
        continue;
      share = cpu_share (g, i);
      g_test_message ("%s: %s used %.1f %% of a core (%.1f %% without the attack)", what,
                      n->name, 100 * share, 100 * g->cpu_base[i]);
      g_assert_cmpfloat (share - g->cpu_base[i], <, CPU_MAX);
    }
}

static void
assert_rss (Group *g)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      Node *n = &g->nodes[i];
      guint kb;

      if (!node_alive (n))
        continue;
      kb = node_peak_rss_kb (n);
      g_test_message ("%s: peak resident memory %.1f MB", n->name, kb / 1024.0);
      g_assert_cmpuint (kb, <, RSS_MAX_KB);
    }
}

typedef struct {
  guint before[N_NODES];
} Counts;

static gboolean
all_delivered_more (Group *g, gconstpointer data)
{
  const Counts *c = data;

  for (guint i = 0; i < N_NODES; i++)
    if (node_alive (&g->nodes[i]) && g->nodes[i].delivers <= c->before[i])
      return FALSE;
  return TRUE;
}

static void assert_delivers_within (Group *g, guint ms, const char *what);

/* Connections waiting in the accept queue of the socket listening on
 * `addr` (127.0.0.1:PORT), from /proc/net/tcp; -1 if not found. */
static int
accept_queue (const char *addr)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *want = g_strdup_printf ("0100007F:%04X", atoi (strrchr (addr, ':') + 1));

  if (!g_file_get_contents ("/proc/net/tcp", &text, NULL, NULL))
    return -1;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr(GPtrArray) w = g_ptr_array_new ();

      for (guint k = 0; f[k] != NULL; k++)
        if (*f[k])
          g_ptr_array_add (w, f[k]);
      /* sl local rem st tx:rx ...: a listening socket (0A) shows its
       * accept queue as rx. */
      if (w->len > 4 && g_str_equal (g_ptr_array_index (w, 1), want) &&
          g_str_equal (g_ptr_array_index (w, 3), "0A"))
        return (int) g_ascii_strtoll (strchr (g_ptr_array_index (w, 4), ':') + 1, NULL, 16);
    }
  return -1;
}

static gboolean
accepted_all (Group *g, gconstpointer data)
{
  return accept_queue (data) == 0;
}

/* What each member spends on the group's own traffic over `ms`, before an
 * attack: the baseline hold() subtracts. */
static void
cpu_baseline (Group *g, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  cpu_mark (g);
  while (g_get_monotonic_time () < end)
    assert_delivers_within (g, 1000, "before the attack");
  for (guint i = 0; i < N_NODES; i++)
    g->cpu_base[i] = node_alive (&g->nodes[i]) ? cpu_share (g, i) : 0;
}

/* Holds an attack for `ms`, checking that the group keeps delivering, and
 * then that no member spent more than CPU_MAX of a core on it meanwhile. */
static void
hold (Group *g, guint ms, const char *what)
{
  gint64 end;

  /* What is measured is the cost of holding the connections: from when
   * the leader has taken every one of them off its accept queue. */
  g_assert_true (wait_for (g, accepted_all, g->nodes[0].addr, 10000));
  end = g_get_monotonic_time () + (gint64) ms * 1000;
  cpu_mark (g);
  while (g_get_monotonic_time () < end)
    assert_delivers_within (g, 1000, what);
  assert_cpu (g, what);
}

/* Every live member delivers something new within `ms`. */
static void
assert_delivers_within (Group *g, guint ms, const char *what)
{
  Counts c;
  gint64 t0 = g_get_monotonic_time ();

  for (guint i = 0; i < N_NODES; i++)
    {
      node_refresh (g, &g->nodes[i]);
      c.before[i] = g->nodes[i].delivers;
    }
  g_assert_true (wait_for (g, all_delivered_more, &c, ms));
  g_debug ("%s: every member delivered again within %.0f ms", what,
           (g_get_monotonic_time () - t0) / 1000.0);
}

static gboolean
all_exited (Group *g, gconstpointer data)
{
  for (guint i = 0; i < N_NODES; i++)
    if (node_alive (&g->nodes[i]) && !g->nodes[i].exit_seen)
      return FALSE;
  return TRUE;
}

static gboolean
node_exited (Group *g, gconstpointer data)
{
  Node *n = (Node *) data;

  return !node_alive (n) || n->exit_seen;
}

/* The end of every test: no member died, no invented name in a view, the
 * group stops cleanly, and groupy-check finds nothing. */
static void
group_finish (Group *g)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) check = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *verdict = NULL;
  GHashTableIter it;
  const char *name;

  for (guint i = 0; i < N_NODES; i++)
    {
      Node *n = &g->nodes[i];

      node_refresh (g, n);
      if (!n->killed)
        g_assert_true (node_alive (n));
      g_test_message ("%s: %u new incarnations", n->name, n->rejoins);
      g_assert_cmpuint (n->rejoins, ==, 0);
    }
  g_hash_table_iter_init (&it, g->names);
  while (g_hash_table_iter_next (&it, (gpointer *) &name, NULL))
    {
      g_test_message ("in a view: %s", name);
      g_assert_true (g_str_equal (name, "n0") || g_str_equal (name, "n1") ||
                     g_str_equal (name, "n2") || g_strcmp0 (name, g->mole) == 0);
    }
  /* One at a time, the leader (n0) last: each leave is then one view
   * change of those that stay, tens of ms.  Asked all at once, nobody
   * stays to install a view without them, and each waits out its leave's
   * timeout (docs/PROTOCOL.md, "Leaving"): 6 s here, in every test. */
  for (guint i = N_NODES; i-- > 0;)
    if (node_alive (&g->nodes[i]))
      {
        g_subprocess_send_signal (g->nodes[i].proc, SIGTERM);
        g_assert_true (wait_for (g, node_exited, &g->nodes[i], 20000));
      }
  g_assert_true (wait_for (g, all_exited, NULL, 20000));
  g_ptr_array_add (argv, (char *) check_path);
  for (guint i = 0; i < N_NODES; i++)
    g_ptr_array_add (argv, g->nodes[i].log);
  g_ptr_array_add (argv, NULL);
  /* Its verdict goes into the TAP stream as a comment, not as a bare line. */
  check = g_subprocess_newv ((const char *const *) argv->pdata,
                             G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                             &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (check, NULL, NULL, &verdict, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("%s", g_strchomp (verdict));
  g_assert_true (g_subprocess_get_if_exited (check));
  g_assert_cmpint (g_subprocess_get_exit_status (check), ==, 0);
}

static void
group_free (Group *g)
{
  for (guint i = 0; i < N_NODES; i++)
    {
      Node *n = &g->nodes[i];

      if (n->proc != NULL)
        {
          g_subprocess_force_exit (n->proc);
          g_subprocess_wait (n->proc, NULL, NULL);
        }
      g_clear_object (&n->proc);
      if (!g_test_failed ())
        g_unlink (n->log);
      g_free (n->name);
      g_free (n->addr);
      g_free (n->log);
      g_strfreev (n->members);
    }
  if (g->secret != NULL)
    g_unlink (g->secret);
  if (g_test_failed ())
    g_printerr ("logs kept in %s\n", g->dir);
  else
    g_rmdir (g->dir);
  g_free (g->dir);
  g_free (g->secret);
  g_clear_object (&g->security);
  g_clear_pointer (&g->view, grp_view_unref);
  g_hash_table_unref (g->names);
}

/* ---- raw connections ----------------------------------------------------- */

static int
tcp_connect (const char *addr)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sa.sin_port = htons ((guint16) atoi (strrchr (addr, ':') + 1));
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd >= 0 && connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* `n` connections to `addr`, each sending `first` (may be empty) and then
 * nothing more; closed by close_all. */
static GArray *
open_many (const char *addr, guint n, const guint8 *first, gsize len)
{
  GArray *fds = g_array_new (FALSE, FALSE, sizeof (int));
  struct rlimit lim;

  getrlimit (RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit (RLIMIT_NOFILE, &lim);
  for (guint i = 0; i < n; i++)
    {
      int fd = tcp_connect (addr);

      if (fd < 0)
        continue;
      if (len > 0 && send (fd, first, len, MSG_NOSIGNAL) < 0)
        {
          close (fd);
          continue;
        }
      g_array_append_val (fds, fd);
    }
  return fds;
}

static void
close_all (GArray *fds)
{
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  g_array_unref (fds);
}

/* ---- speaking as a peer -------------------------------------------------- */

typedef struct {
  GSocketConnection *conn;
  GIOStream *stream;       /* conn, or TLS over it */
  GrpId id;
  GByteArray *got;         /* every byte the member sent us */
} Speaker;

static gboolean
accept_any (GTlsConnection *c, GTlsCertificate *cert, GTlsCertificateFlags e, gpointer d)
{
  return TRUE;
}

static gboolean
speaker_write (Speaker *s, GByteArray *frames)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (s->stream), frames->data,
                                    frames->len, NULL, NULL, NULL);
}

/* The member's next frame (its body, appended to `got` whole), or NULL at
 * the end of the stream or after a second of silence. */
static GBytes *
speaker_read_frame (Speaker *s)
{
  GInputStream *in = g_io_stream_get_input_stream (s->stream);
  guint8 header[GRP_FRAME_HEADER];
  g_autofree guint8 *body = NULL;
  gsize n = 0;
  guint32 len;

  /* At the end of the stream read_all succeeds with fewer bytes: the
   * header was left unset (a length of 0 made a NULL buffer, a critical). */
  if (!g_input_stream_read_all (in, header, sizeof header, &n, NULL, NULL) || n < sizeof header)
    return NULL;
  len = grp_codec_frame_length (header);
  g_assert_cmpuint (len, >=, 2);
  g_assert_cmpuint (len, <=, GRP_FRAME_MAX);
  body = g_malloc (len);
  if (!g_input_stream_read_all (in, body, len, &n, NULL, NULL) || n < len)
    return NULL;
  g_byte_array_append (s->got, header, sizeof header);
  g_byte_array_append (s->got, body, len);
  return g_bytes_new_take (g_steal_pointer (&body), len);
}

static GrpFrameKind
frame_kind (GBytes *frame)
{
  GrpFrameKind kind = 0;

  grp_codec_frame_kind (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame), &kind, NULL);
  return kind;
}

static void
speaker_free (Speaker *s)
{
  if (s->stream != NULL)
    g_io_stream_close (G_IO_STREAM (s->conn), NULL, NULL);
  g_clear_object (&s->stream);
  g_clear_object (&s->conn);
  g_byte_array_unref (s->got);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Speaker, speaker_free)

/* Connects to `node` and gets as far as the mode lets a peer: in the open
 * mode, and in the member mode (TLS, and the proof of the secret first),
 * it says HELLO as `as` and reads the member's HELLO; a stranger (no
 * secret) completes TLS, which anyone can, and is left there.  NULL if
 * the member refused (as it must, in the stranger mode). */
static Speaker *
hostile_speak (Group *g, Node *node, const GrpMember *as)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(Speaker) s = g_new0 (Speaker, 1);

  s->got = g_byte_array_new ();
  s->id = as->id;
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 2);
  s->conn = g_socket_client_connect_to_host (client, node->addr, 0, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (s->conn), 5);
  s->stream = g_object_ref (G_IO_STREAM (s->conn));
  if (g->secret != NULL)
    {
      GIOStream *tls = g_tls_client_connection_new (G_IO_STREAM (s->conn), NULL, &error);

      g_assert_no_error (error);
      g_tls_connection_set_database (G_TLS_CONNECTION (tls), NULL);
      g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
      g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
      g_clear_object (&s->stream);
      s->stream = tls;
      if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error))
        return NULL;
      if (g->security == NULL)
        return g_steal_pointer (&s); /* a stranger: no proof to give */
      {
        guint8 proof[GRP_PROOF_LEN];
        g_autoptr(GBytes) theirs = NULL;

        g_assert_true (grp_security_prove (g->security, G_TLS_CONNECTION (tls), FALSE, proof,
                                           &error));
        grp_codec_append_auth (out, proof);
        g_assert_true (speaker_write (s, out));
        g_byte_array_set_size (out, 0);
        theirs = speaker_read_frame (s);
        g_assert_nonnull (theirs);
        g_assert_cmpint (frame_kind (theirs), ==, GRP_FRAME_AUTH);
      }
    }
  grp_codec_append_hello (out, as, "groupy", NULL);
  if (!speaker_write (s, out))
    return NULL;
  for (;;)
    {
      g_autoptr(GBytes) frame = speaker_read_frame (s);

      if (frame == NULL || frame_kind (frame) == GRP_FRAME_BYE)
        return NULL;
      if (frame_kind (frame) == GRP_FRAME_HELLO)
        return g_steal_pointer (&s);
    }
}

/* Reads what the member sends until it closes or goes quiet for a
 * second; returns the kinds of frames it sent, in order ("H" HELLO, "M"
 * a message, "B" BYE, "A" AUTH). */
static char *
speaker_drain (Speaker *s)
{
  GString *kinds = g_string_new (NULL);
  GBytes *frame;

  g_socket_set_timeout (g_socket_connection_get_socket (s->conn), 1);
  while ((frame = speaker_read_frame (s)) != NULL)
    {
      g_string_append_c (kinds, "?HMBA"[MIN (frame_kind (frame), 4)]);
      g_bytes_unref (frame);
    }
  return g_string_free (kinds, FALSE);
}

/* Who listens at `node` (its HELLO), learnt as a peer may. */
static gboolean
learn_member (Group *g, Node *node, GrpMember *out)
{
  GrpMember me = { g_random_int () | 1, "curious", "127.0.0.1:9" };
  g_autoptr(Speaker) s = hostile_speak (g, node, &me);
  GrpFrameKind kind;
  g_autoptr(GrpMsg) msg = NULL;

  if (s == NULL)
    return FALSE;
  /* The member's HELLO is in what it sent, after its proof (if any). */
  for (gsize off = 0; off + GRP_FRAME_HEADER <= s->got->len;)
    {
      guint32 len = grp_codec_frame_length (s->got->data + off);

      if (grp_codec_parse (s->got->data + off + GRP_FRAME_HEADER, len, &kind, &msg, out, NULL, NULL,
                           NULL) &&
          kind == GRP_FRAME_HELLO)
        return TRUE;
      off += GRP_FRAME_HEADER + len;
    }
  return FALSE;
}

/* ---- the attacks --------------------------------------------------------- */

typedef struct {
  const char *name;
  Mode modes;
  void (*run) (Group *g);
  const char *what;
} Attack;

/* 3,000 connections to the leader that never say anything, held. */
static void
attack_silent (Group *g)
{
  GArray *fds;

  cpu_baseline (g, 2000);
  fds = open_many (g->nodes[0].addr, FLOOD, NULL, 0);

  g_test_message ("%u silent connections open", fds->len);
  g_assert_cmpuint (fds->len, >, FLOOD / 2);
  hold (g, 2000, "3,000 silent connections held");
  close_all (fds);
}

/* 3,000 connections that start a handshake and stop half-way: half a
 * HELLO frame in the open mode; a TLS record header and half a
 * ClientHello where TLS is expected. */
static void
attack_half_handshakes (Group *g)
{
  g_autoptr(GByteArray) first = g_byte_array_new ();
  GArray *fds;

  if (g->secret == NULL)
    {
      GrpMember me = { 0x5eed, "half", "127.0.0.1:9" };

      grp_codec_append_hello (first, &me, "groupy", NULL);
      g_byte_array_set_size (first, first->len / 2);
    }
  else
    {
      const guint8 record[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 };

      g_byte_array_append (first, record, sizeof record);
    }
  cpu_baseline (g, 2000);
  fds = open_many (g->nodes[0].addr, FLOOD, first->data, first->len);
  g_test_message ("%u half-handshaked connections open", fds->len);
  g_assert_cmpuint (fds->len, >, FLOOD / 2);
  hold (g, 2000, "3,000 half-handshaked connections held");
  close_all (fds);
}

/* Frames announcing 60 MiB: before any HELLO, on many connections; and,
 * where the mode lets the attacker say HELLO, after it, on several
 * connections at once, with the bytes sent too (as far as the member
 * reads them). */
static void
attack_large_frames (Group *g)
{
  guint32 big = GUINT32_TO_LE (60u * 1024 * 1024);
  GArray *fds = open_many (g->nodes[0].addr, 200, (const guint8 *) &big, sizeof big);
  g_autofree guint8 *junk = g_malloc0 (1024 * 1024);
  g_autoptr(GPtrArray) speakers = g_ptr_array_new_with_free_func ((GDestroyNotify) speaker_free);

  g_test_message ("%u connections announced 60 MiB before HELLO", fds->len);
  for (guint i = 0; i < fds->len; i++)
    for (guint k = 0; k < 4; k++)
      if (send (g_array_index (fds, int, i), junk, 1024 * 1024, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        break;
  for (guint i = 0; i < 6 && mode != MODE_STRANGER; i++)
    {
      GrpMember me = { 0xb16b16 + i, "big", "127.0.0.1:9" };
      Speaker *s = hostile_speak (g, &g->nodes[i % N_NODES], &me);
      g_autoptr(GByteArray) out = g_byte_array_new ();
      guint32 len = GUINT32_TO_LE (GRP_FRAME_MAX);

      g_assert_nonnull (s);
      g_byte_array_append (out, (const guint8 *) &len, sizeof len);
      g_socket_set_timeout (g_socket_connection_get_socket (s->conn), 2);
      speaker_write (s, out);
      for (guint k = 0; k < 17; k++)
        {
          g_byte_array_set_size (out, 0);
          g_byte_array_append (out, junk, 1024 * 1024);
          if (!speaker_write (s, out))
            break; /* closed by the member: over its budget */
        }
      g_ptr_array_add (speakers, s);
    }
  assert_delivers_within (g, 3000, "during the large frames");
  close_all (fds);
}

/* A peer says HELLO with a member's id (learnt from that member's own
 * HELLO) to the leader, and keeps the connection; then the member is
 * killed.  The impostor must get nothing meant for the member, and the
 * crash must be known at once, not after the suspicion timeout. */
static void
attack_impostor (Group *g)
{
  GrpMember victim = { 0 };
  Speaker *held[2];
  const char *survivors[] = { "n0", "n2", NULL };
  gint64 t0;

  g_assert_true (learn_member (g, &g->nodes[1], &victim));
  g_test_message ("n1 is %" G_GINT64_MODIFIER "x", victim.id);
  g_free (victim.addr);
  victim.addr = g_strdup ("127.0.0.1:9"); /* wherever the impostor likes */
  /* The leader has n1's own connection: it refuses the impostor.  n2 may
   * not have one yet: then the impostor is let in, and holds it. */
  held[0] = hostile_speak (g, &g->nodes[0], &victim);
  g_assert_null (held[0]);
  held[1] = hostile_speak (g, &g->nodes[2], &victim);
  g_test_message ("n2 %s the impostor", held[1] ? "let in" : "refused");
  g_subprocess_send_signal (g->nodes[1].proc, SIGKILL);
  g->nodes[1].killed = TRUE;
  t0 = g_get_monotonic_time ();
  g_assert_true (wait_for (g, view_is, survivors, 10000));
  g_test_message ("the view without n1 came %.0f ms after the kill",
                  (g_get_monotonic_time () - t0) / 1000.0);
  /* Well before the 2 s suspicion timeout: the transport told. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 1500 * 1000);
  if (held[1] != NULL)
    {
      g_autofree char *kinds = speaker_drain (held[1]);

      /* Whatever it got (a BYE when n1's end was known), no message. */
      g_test_message ("the impostor got: %s", kinds);
      g_assert_null (strchr (kinds, 'M'));
      speaker_free (held[1]);
    }
  grp_member_clear (&victim);
}

/* A peer without the secret: plaintext, TLS without a proof, TLS with a
 * made-up proof, and a real member with another secret.  Each is refused;
 * none learns who the members are; none appears in a view. */
static void
attack_stranger (Group *g)
{
  GrpMember me = { 0x57a4, "stranger", "127.0.0.1:9" };
  GrpMember learnt = { 0 };
  g_autofree char *other = g_build_filename (g->dir, "other-secret", NULL);
  g_autoptr(GError) error = NULL;

  /* Plaintext HELLO and a message: the member expects TLS. */
  {
    g_autoptr(GByteArray) out = g_byte_array_new ();
    g_autoptr(GrpMsg) m = grp_msg_new (GRP_MSG_NEED_VIEW, me.id, 0);
    int fd = tcp_connect (g->nodes[0].addr);
    guint8 buf[4096];
    gssize n, total = 0;

    grp_codec_append_hello (out, &me, "groupy", NULL);
    grp_codec_append_msg (out, m);
    g_assert_cmpint (send (fd, out->data, out->len, MSG_NOSIGNAL), ==, (gssize) out->len);
    while ((n = read (fd, buf, sizeof buf)) > 0)
      total += n;
    g_test_message ("plaintext: %zd bytes back (a BYE saying only that TLS is needed), then "
                    "closed", total);
    g_assert_cmpint (total, <, 64);
    close (fd);
  }
  /* TLS, then HELLO without a proof; then a made-up proof. */
  g_assert_false (learn_member (g, &g->nodes[0], &learnt));
  for (int k = 0; k < 2; k++)
    {
      g_autoptr(Speaker) s = hostile_speak (g, &g->nodes[k], &me);
      g_autoptr(GByteArray) out = g_byte_array_new ();
      g_autofree char *kinds = NULL;
      guint8 proof[GRP_PROOF_LEN] = { 0 };

      g_assert_nonnull (s); /* TLS itself: anyone can */
      if (k == 1)
        grp_codec_append_auth (out, proof);
      grp_codec_append_hello (out, &me, "groupy", NULL);
      speaker_write (s, out);
      kinds = speaker_drain (s);
      g_test_message ("TLS %s proof: the member sent %s", k ? "with a made-up" : "without a",
                      kinds);
      /* At most its own proof, then BYE: never its HELLO. */
      g_assert_null (strchr (kinds, 'H'));
      g_assert_null (strchr (kinds, 'M'));
    }
  /* A real member with another secret. */
  g_assert_true (grp_security_write_secret (other, &error));
  {
    g_autoptr(GSubprocess) p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                 G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                                                 node_path, "--name", "intruder", "--secret-file",
                                                 other, "--join", g->nodes[0].addr, NULL);
    g_autofree char *err = NULL;

    g_assert_no_error (error);
    g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, &error);
    g_test_message ("another secret: %s", err);
    g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
    g_assert_nonnull (strstr (err, "group secret"));
  }
  g_unlink (other);
  assert_delivers_within (g, REDELIVER_MS, "after the strangers");
}

/* ---- the core's rows ------------------------------------------------------ */

/* The transport hands the core a message only if its sender is the peer
 * that said HELLO on the connection (grp-transport.c): the attacker speaks
 * as itself, a peer outside the view, or, where a member lets it in, as a
 * member that has no connection there yet (the impostor above).  Each
 * attack below says which check of the core stops it, and which mutant of
 * tests/mutants/mutants.txt (the core with that check removed) it fails
 * against. */

static void
speaker_send (Speaker *s, const GrpMsg *m)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  grp_codec_append_msg (out, m);
  /* In the stranger mode the member has closed the connection already. */
  speaker_write (s, out);
}

/* The view as a peer outside it learns it: each member's id and name
 * from its own HELLO (learn_member), and the view's id, position and
 * order of members (the leader first) from the members' logs, which the
 * test reads anyway.  (A NEED_VIEW would tell all of it in one NOT_MEMBER,
 * but a member sends that answer to the address the asker advertised, and
 * this attacker listens nowhere.)  NULL for a stranger: it learns nothing. */
static GrpView *
learn_view (Group *g)
{
  GrpMember m[N_NODES] = { 0 };
  Node *n0 = &g->nodes[0];
  GrpView *v;

  for (guint i = 0; i < N_NODES; i++)
    if (!learn_member (g, &g->nodes[i], &m[i]))
      {
        for (guint k = 0; k < N_NODES; k++)
          grp_member_clear (&m[k]);
        return NULL;
      }
  node_refresh (g, n0);
  g_assert_cmpuint (g_strv_length (n0->members), ==, N_NODES);
  v = grp_view_new (n0->view_id, n0->view_seq, N_NODES);
  for (guint k = 0; k < N_NODES; k++)
    for (guint i = 0; i < N_NODES; i++)
      if (g_str_equal (m[i].name, n0->members[k]))
        grp_member_copy (&v->members[k], &m[i]);
  for (guint i = 0; i < N_NODES; i++)
    {
      g_assert_nonnull (v->members[i].name);
      grp_member_clear (&m[i]);
    }
  return v;
}

static GrpView *
made_up_view (void)
{
  GrpView *v = grp_view_new (1, 1, N_NODES);

  for (guint i = 0; i < N_NODES; i++)
    {
      v->members[i].id = g_random_int () | 1;
      v->members[i].name = g_strdup_printf ("n%u", i);
    }
  return v;
}

/* The attacker at node i, as itself (id `self`, a name no member has),
 * and the view it learnt there.  In the stranger mode the connection is
 * TLS without a proof: the member has refused it already, and what the
 * attack sends next goes nowhere (hostile_done checks it). */
static Speaker *
hostile_at (Group *g, guint i, GrpId self, GrpView **view)
{
  GrpMember me = { self, "hostile", "127.0.0.1:9" };
  Speaker *s = hostile_speak (g, &g->nodes[i], &me);

  if (g->view == NULL)
    g->view = mode == MODE_STRANGER ? made_up_view () : learn_view (g);
  g_assert_nonnull (g->view);
  *view = grp_view_ref (g->view);
  if (mode == MODE_STRANGER)
    {
      g_autoptr(GByteArray) out = g_byte_array_new ();

      g_assert_nonnull (s); /* TLS itself: anyone can */
      grp_codec_append_hello (out, &me, "groupy", NULL);
      speaker_write (s, out);
    }
  g_assert_nonnull (s);
  return s;
}

/* The attacker at node `to` as the member at `as` (by the id its view
 * gave), if `to` lets it in: only while `to` has no connection from the
 * real one.  NULL if refused (always, in the stranger mode). */
static Speaker *
impostor_at (Group *g, guint to, const GrpView *v, guint as)
{
  GrpMember who = { v->members[as].id, v->members[as].name, "127.0.0.1:9" };
  Speaker *s;

  if (mode == MODE_STRANGER)
    return NULL;
  s = hostile_speak (g, &g->nodes[to], &who);
  g_test_message ("n%u %s an impostor of %s", to, s ? "let in" : "refused", who.name);
  return s;
}

/* The end of an attack on one connection: the member may have answered
 * (NOT_MEMBER, REJECT), but in the stranger mode nothing at all. */
static void
hostile_done (Speaker *s)
{
  if (s == NULL)
    return;
  if (mode == MODE_STRANGER)
    {
      g_autofree char *kinds = speaker_drain (s);

      g_test_message ("a stranger's frames: the member sent %s", kinds);
      g_assert_null (strchr (kinds, 'H'));
      g_assert_null (strchr (kinds, 'M'));
    }
  speaker_free (s);
}

/* The view `v` with `self` (a member or the attacker) added first. */
static GrpView *
view_with (const GrpView *v, guint64 id, guint64 seq, GrpId self, const char *name)
{
  GrpView *w = grp_view_new (id, seq, v->n_members + 1);

  w->members[0].id = self;
  w->members[0].name = g_strdup (name);
  for (guint i = 0; i < v->n_members; i++)
    grp_member_copy (&w->members[i + 1], &v->members[i]);
  return w;
}

static guint
node_of (Group *g, const GrpView *v, GrpId id)
{
  for (guint i = 0; i < v->n_members; i++)
    if (v->members[i].id == id)
      return (guint) g_ascii_strtoull (v->members[i].name + 1, NULL, 10);
  g_assert_not_reached ();
}

/* The position the group is about to sequence, about: the highest one a
 * member's log says it delivered, plus one. */
static guint64
next_position (Group *g)
{
  guint64 high = 0;

  for (guint i = 0; i < N_NODES; i++)
    {
      node_refresh (g, &g->nodes[i]);
      high = MAX (high, g->nodes[i].last_seq);
    }
  return high + 1;
}

/* A forged DECIDE with position 0 (every member died of it), position 1
 * (below what they delivered), and views that list a member twice or a
 * member with id 0, each naming the attacker so that the sender check
 * lets it through to the view's own checks.  Stopped by grp_vc_view_ok
 * and the position check of grp_vc_recv_decide.  Teeth: against mutant
 * view-unchecked the group stops delivering after it (a view listing a
 * member twice, ahead of what the members hold, gets past the checks;
 * assert_delivers_within fails).  Not here: a well-formed view of the
 * members and the attacker just ahead of them, which stops the group for a
 * while (docs/SECURITY.md says why it is still taken). */
static void
attack_forged_decide (Group *g)
{
  GrpId self = g_random_int () | 1;

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(GrpView) v = NULL;
      Speaker *s = hostile_at (g, i, self + i, &v);
      guint64 at[] = { 0, 1, next_position (g) + 50, next_position (g) + 50 };

      for (guint k = 0; k < G_N_ELEMENTS (at); k++)
        {
          g_autoptr(GrpMsg) d = grp_msg_new (GRP_MSG_DECIDE, self + i, v->id + 1);

          d->decide.view = view_with (v, v->id + 1, at[k], self + i, "hostile");
          if (k == 2) /* a member listed twice */
            d->decide.view->members[1].id = d->decide.view->members[2].id;
          if (k == 3) /* a member with id 0 */
            d->decide.view->members[1].id = 0;
          speaker_send (s, d);
        }
      hostile_done (s);
    }
}

/* One DECIDE of 18 MB whose entries are 370 views of 4,096 members: 12
 * bytes a member on the wire, about 90 decoded.  A member took 160 MB for
 * one such frame; the codec now charges a frame for its views
 * (GRP_VIEW_MEMBER_COST) and refuses it past its budget.  Teeth: without
 * the budget the peak resident memory assertion fails. */
static void
attack_view_flood (Group *g)
{
  GrpId self = g_random_int () | 1;
  g_autoptr(GrpView) wide = grp_view_new (2, 1, 4096);

  for (guint k = 0; k < wide->n_members; k++)
    wide->members[k] = (GrpMember) { k + 1, g_strdup ("a"), g_strdup ("") };
  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(GrpView) v = NULL;
      Speaker *s = hostile_at (g, i, self + i, &v);
      g_autoptr(GrpMsg) d = grp_msg_new (GRP_MSG_DECIDE, self + i, v->id + 1);
      g_autoptr(GrpEntry) e = grp_entry_new_view (wide);

      d->decide.view = grp_view_ref (wide);
      for (guint k = 0; k < 370; k++)
        grp_msg_add_entry (d, e);
      speaker_send (s, d);
      hostile_done (s);
    }
}

/* NOT_MEMBER from the attacker: a newer view with the attacker in it and
 * the receiver left out.  It excluded the member at once; now only a
 * member of the receiver's view is believed (grp_vc_recv_not_member).
 * Teeth: against mutant not-member-from-anyone the first member takes
 * itself for excluded and joins again (a new incarnation: group_finish
 * fails). */
static void
attack_not_member (Group *g)
{
  GrpId self = g_random_int () | 1;

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(GrpView) v = NULL;
      Speaker *s = hostile_at (g, i, self, &v);
      g_autoptr(GrpMsg) nm = grp_msg_new (GRP_MSG_NOT_MEMBER, self, v->id + 1);
      GrpView *w = grp_view_new (v->id + 1, next_position (g) + 50, v->n_members);
      guint k = 0;

      w->members[k].id = self;
      w->members[k++].name = g_strdup ("hostile");
      for (guint j = 0; j < v->n_members; j++)
        if (node_of (g, v, v->members[j].id) != i)
          grp_member_copy (&w->members[k++], &v->members[j]);
      w->n_members = k;
      nm->not_member.view = w;
      speaker_send (s, nm);
      hostile_done (s);
    }
}

/* `n` SEQ entries from `s` at positions from `from`, in view `v`, each
 * claiming to be a multicast of `origin`, with payloads marked `mark`. */
static void
send_seq (Speaker *s, const GrpView *v, guint64 from, guint n, GrpId origin, guint8 mark)
{
  g_autoptr(GrpMsg) m = grp_msg_new (GRP_MSG_SEQ, s->id, v->id);

  for (guint k = 0; k < n; k++)
    {
      guint8 data[8] = { mark, (guint8) k, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
      g_autoptr(GBytes) p = g_bytes_new (data, sizeof data);
      g_autoptr(GrpEntry) e = grp_entry_new_data (from + k, v->id, origin, 1000000 + k, p);

      grp_msg_add_entry (m, e);
    }
  m->seq.stable = from + n;
  m->seq.stamp = G_MAXINT64 / 2;
  speaker_send (s, m);
}

/* SEQ entries for the positions the group is about to sequence, claiming
 * multicasts of each member, with a different payload to each member:
 * from the attacker itself (a peer outside the view: the data path takes
 * messages from members only), and, where a member lets it in, as a member
 * that does not lead (grp_normal_recv_seq takes SEQ from the leader only).
 * Delivered, they made members deliver different things at thousands of
 * positions; groupy-check compares what each member delivered.  No
 * teeth yet: the attacker never gets a member's id past the transport
 * (each member already holds a connection from every other, so the
 * impostors are refused), and from outside the view the data path's
 * membership check (do_receive) stops the SEQ before grp_normal_recv_seq;
 * against mutant seq-from-anyone this attack still passes (attack_mole,
 * from inside the view, fails against it). */
static void
attack_seq_claims (Group *g)
{
  GrpId self = g_random_int () | 1;

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(GrpView) v = NULL;
      Speaker *s = hostile_at (g, i, self, &v);

      for (guint o = 0; o < v->n_members; o++)
        send_seq (s, v, next_position (g), 500, v->members[o].id, (guint8) (16 * i + o));
      hostile_done (s);
      /* As each member that does not lead, at the other one. */
      if (i > 0 && mode != MODE_STRANGER)
        {
          guint as = 0;
          Speaker *imp;

          while (node_of (g, v, v->members[as].id) != 3 - i)
            as++;
          if ((imp = impostor_at (g, i, v, as)) != NULL)
            for (guint o = 0; o < v->n_members; o++)
              send_seq (imp, v, next_position (g), 500, v->members[o].id, (guint8) (0x80 + o));
          hostile_done (imp);
        }
    }
}

/* Kills n0 (the leader) and waits for the view of the other two. */
static void
kill_leader_and_change (Group *g, const char *what)
{
  const char *survivors[] = { "n1", "n2", NULL };

  g_subprocess_send_signal (g->nodes[0].proc, SIGKILL);
  g->nodes[0].killed = TRUE;
  g_assert_true (wait_for (g, view_is, survivors, 15000));
  g_test_message ("%s: the view without n0 was installed", what);
}

/* PREPARE for the next view with ballot 2^64 - 1, 2^50 and a modest one,
 * from the attacker (only members of the view propose: slot_ok) and, where
 * let in, as a member (ballot_ok bounds the number: GRP_MAX_BALLOT, and
 * GRP_BALLOT_STEP above what is known).  The ballot wrapped and the group
 * never delivered again: so afterwards the leader is killed and the two
 * others must agree on a new view.  Teeth: against mutant
 * prepare-from-anyone the modest ballot from outside the view is promised,
 * the members freeze, and the group stops delivering.  Against mutant
 * ballot-unbounded it passes: only a member of the view reaches
 * ballot_ok, and the impostors are refused by the transport (attack_mole,
 * from inside the view, fails against it). */
static void
attack_prepare_ballot (Group *g)
{
  GrpId self = g_random_int () | 1;
  guint64 ballots[] = { G_MAXUINT64, (guint64) 1 << 50, 2 };

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(GrpView) v = NULL;
      Speaker *s = hostile_at (g, i, self, &v);
      Speaker *imp = NULL;
      guint as = 0;

      if (i > 0)
        {
          while (node_of (g, v, v->members[as].id) != 3 - i)
            as++;
          imp = impostor_at (g, i, v, as);
        }
      for (guint k = 0; k < G_N_ELEMENTS (ballots); k++)
        {
          g_autoptr(GrpMsg) p = grp_msg_new (GRP_MSG_PREPARE, self, v->id + 1);

          p->prepare.ballot = (GrpBallot) { ballots[k], self };
          p->prepare.high = next_position (g);
          speaker_send (s, p);
          if (imp != NULL)
            {
              p->from = imp->id;
              p->prepare.ballot.id = imp->id;
              speaker_send (imp, p);
            }
        }
      hostile_done (imp);
      hostile_done (s);
    }
  assert_delivers_within (g, REDELIVER_MS, "after the ballots");
  kill_leader_and_change (g, "after the ballots");
}

/* JOIN requests to the leader, each naming an invented member (an id and
 * a name nobody has), from the attacker's one connection: 16 of them got
 * into the view and the group stopped.  A JOIN counts only for its sender
 * (grp_join_recv_join).  Teeth: against mutant join-in-others-name the
 * leader admits ghosts, and "ghostN" appears in a view (group_finish). */
static void
attack_invented_joins (Group *g)
{
  GrpId self = g_random_int () | 1;
  g_autoptr(GrpView) v = NULL;
  Speaker *s = hostile_at (g, 0, self, &v);

  for (guint k = 0; k < 64; k++)
    {
      g_autoptr(GrpMsg) j = grp_msg_new (GRP_MSG_JOIN, self, 0);

      j->join.member.id = (g_random_int () | 1) + ((guint64) k << 32);
      j->join.member.name = g_strdup_printf ("ghost%u", k);
      j->join.member.addr = g_strdup ("127.0.0.1:9");
      speaker_send (s, j);
    }
  /* Long enough for the leader to admit them, had it believed them. */
  for (guint k = 0; k < 3; k++)
    assert_delivers_within (g, REDELIVER_MS, "after the joins");
  hostile_done (s);
}

/* A heartbeat claiming position 2^62 (and a SEQ stable there), then a view
 * change: a member spun in a loop of 2^62 steps (add_entries) and was
 * dropped.  From the attacker (not a member: ignored) and as a member
 * where let in (not the leader: grp_normal_recv_hb); every loop of the
 * view change runs over what a member holds.  No teeth: no mutant of
 * tests/mutants/mutants.txt brings back the loop, and a heartbeat from
 * outside the view is stopped by the data path's membership check. */
static void
attack_high_heartbeat (Group *g)
{
  GrpId self = g_random_int () | 1;

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(GrpView) v = NULL;
      Speaker *s = hostile_at (g, i, self, &v);
      g_autoptr(GrpMsg) hb = grp_msg_new (GRP_MSG_HB, self, v->id);
      Speaker *imp = NULL;
      guint as = 0;

      hb->hb.high = (guint64) 1 << 62;
      hb->hb.stable = (guint64) 1 << 62;
      hb->hb.stamp = G_MAXINT64 / 2;
      speaker_send (s, hb);
      if (i > 0)
        {
          while (node_of (g, v, v->members[as].id) != 3 - i)
            as++;
          if ((imp = impostor_at (g, i, v, as)) != NULL)
            {
              hb->from = imp->id;
              speaker_send (imp, hb);
            }
        }
      hostile_done (imp);
      hostile_done (s);
    }
  kill_leader_and_change (g, "after the heartbeats");
}

/* Where the attacker listens for a member's answers: a member answers a
 * peer outside its view at the address it advertised (grp_transport_send
 * dials it).  listen_answers accepts that dial, goes through the handshake
 * as a dialed peer would (TLS, the proofs and a HELLO, in the member
 * mode), and counts the NOT_MEMBER answers until a second of silence. */
static GSocket *
listen_here (char **addr)
{
  g_autoptr(GError) error = NULL;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, &error);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, any, TRUE, &error));
  g_assert_true (g_socket_listen (sock, &error));
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  *addr = g_strdup_printf ("127.0.0.1:%u",
                           g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_set_timeout (sock, 5);
  return sock;
}

static guint
listen_answers (Group *g, GSocket *sock, const GrpMember *me)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) in = g_socket_accept (sock, NULL, &error);
  g_autoptr(Speaker) s = g_new0 (Speaker, 1);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint answers = 0;
  GBytes *frame;

  if (in == NULL)
    return 0; /* nobody dialed: no answer at all */
  s->got = g_byte_array_new ();
  s->id = me->id;
  g_socket_set_timeout (in, 5);
  s->conn = g_socket_connection_factory_create_connection (in);
  s->stream = g_object_ref (G_IO_STREAM (s->conn));
  if (g->security != NULL)
    {
      GTlsConnection *tls = grp_security_wrap (g->security, G_IO_STREAM (s->conn), TRUE, &error);
      guint8 proof[GRP_PROOF_LEN];
      g_autoptr(GBytes) theirs = NULL;

      g_assert_no_error (error);
      g_clear_object (&s->stream);
      s->stream = G_IO_STREAM (tls);
      g_assert_true (g_tls_connection_handshake (tls, NULL, &error));
      theirs = speaker_read_frame (s);
      g_assert_nonnull (theirs);
      g_assert_true (grp_security_prove (g->security, tls, TRUE, proof, &error));
      grp_codec_append_auth (out, proof);
    }
  grp_codec_append_hello (out, me, "groupy", NULL);
  speaker_write (s, out);
  g_socket_set_timeout (in, 1);
  while ((frame = speaker_read_frame (s)) != NULL)
    {
      g_autoptr(GrpMsg) msg = NULL;
      GrpMember hello = { 0 };
      GrpFrameKind kind;

      if (grp_codec_parse (g_bytes_get_data (frame, NULL), g_bytes_get_size (frame), &kind, &msg,
                           &hello, NULL, NULL, NULL) &&
          kind == GRP_FRAME_MSG && msg->type == GRP_MSG_NOT_MEMBER)
        answers++;
      grp_member_clear (&hello);
      g_bytes_unref (frame);
    }
  return answers;
}

/* NEED_VIEW floods: 20,000 asks on one connection to each member, and as
 * many from three more connections at once.  Each answer used to reset
 * the per-peer limit (34 MB sent, 189 MB of memory); now a member answers
 * a peer at most once per retry interval (answer_due in core.c).  The
 * flood on the first connection to the leader comes from a peer that
 * listens at the address it advertised, and counts the answers there.
 * Teeth: against mutant fence-unlimited the leader sends all 20,000
 * answers. */
static void
attack_need_view_flood (Group *g)
{
  GrpId self = g_random_int () | 1;
  g_autoptr(GByteArray) flood = g_byte_array_new ();
  g_autofree char *here = NULL;
  g_autoptr(GSocket) sock = listen_here (&here);
  GrpMember counted = { self, "hostile", here };
  Speaker *s[N_NODES + 3];
  guint answers;

  for (guint i = 0; i < G_N_ELEMENTS (s); i++)
    {
      g_autoptr(GrpView) v = NULL;

      if (i == 0)
        s[i] = hostile_speak (g, &g->nodes[0], &counted);
      else
        s[i] = hostile_at (g, i % N_NODES, self + i, &v);
      g_assert_nonnull (s[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (s); i++)
    {
      g_byte_array_set_size (flood, 0);
      for (guint k = 0; k < 20000; k++)
        {
          g_autoptr(GrpMsg) ask = grp_msg_new (GRP_MSG_NEED_VIEW, s[i]->id, 0);

          ask->need_view.recv_upto = k % 2 ? 0 : G_MAXUINT64;
          grp_codec_append_msg (flood, ask);
        }
      speaker_write (s[i], flood);
    }
  answers = mode == MODE_STRANGER ? 0 : listen_answers (g, sock, &counted);
  g_test_message ("20,000 NEED_VIEW to n0: %u answers", answers);
  /* One per retry interval, over the second or two the flood takes. */
  g_assert_cmpuint (answers, <=, 50);
  for (guint i = 0; i < G_N_ELEMENTS (s); i++)
    hostile_done (s[i]);
}

/* SEQ entries far ahead of the current position, four frames of 16 MiB
 * payloads: 5 -> 85 MB.  From the attacker and as a member where let in
 * (neither leads: refused), each frame read whole by the transport and let
 * go; run_attack checks the peak resident memory.  No teeth: against
 * mutant no-ahead-bound it passes (only the leader's SEQ reaches the
 * bound, and the attacker cannot speak as the leader); what it holds to is
 * the transport's memory bound. */
static void
attack_seq_far_ahead (Group *g)
{
  GrpId self = g_random_int () | 1;
  g_autofree guint8 *big = g_malloc0 (GRP_PAYLOAD_MAX - 64);

  for (guint i = 1; i < N_NODES; i++)
    {
      g_autoptr(GrpView) v = NULL;
      Speaker *s = hostile_at (g, i, self, &v);
      Speaker *imp = NULL;
      guint as = 0;

      while (node_of (g, v, v->members[as].id) != 3 - i)
        as++;
      imp = impostor_at (g, i, v, as);
      for (guint k = 0; k < 4; k++)
        {
          Speaker *by = imp != NULL && k % 2 ? imp : s;
          g_autoptr(GrpMsg) m = grp_msg_new (GRP_MSG_SEQ, by->id, v->id);
          g_autoptr(GBytes) p = g_bytes_new_static (big, GRP_PAYLOAD_MAX - 64);
          guint64 at = next_position (g) + ((guint64) 1 << 20) * (k + 1);
          g_autoptr(GrpEntry) e = grp_entry_new_data (at, v->id, v->members[0].id, 2000000 + k, p);

          grp_msg_add_entry (m, e);
          speaker_send (by, m);
        }
      hostile_done (imp);
      hostile_done (s);
    }
}

/* LEAVE in another member's name, and the leader's (its LEAVE hands the
 * lead on): from the attacker (LEAVE counts only for its sender, who must
 * be a member: grp_join_recv_leave) and as a member where let in.  The
 * named member was dropped.  No teeth: no mutant lets a LEAVE count for
 * another than its sender, and the impostors are refused by the
 * transport before the core sees one. */
static void
attack_leave_for_others (Group *g)
{
  const char *all[] = { "n0", "n1", "n2", NULL };
  GrpId self = g_random_int () | 1;

  for (guint i = 0; i < N_NODES; i++)
    {
      g_autoptr(GrpView) v = NULL;
      Speaker *s = hostile_at (g, i, self, &v);
      g_autoptr(GrpMsg) leave = grp_msg_new (GRP_MSG_LEAVE, self, v->id);
      Speaker *imp = NULL;
      guint as;

      speaker_send (s, leave);
      /* As the leader (its LEAVE hands the lead on), and as the other
       * member that does not lead. */
      for (guint k = 0; k < 2 && i > 0 && mode != MODE_STRANGER; k++)
        {
          for (as = 0; node_of (g, v, v->members[as].id) != (k == 0 ? 0 : 3 - i); as++)
            ;
          if ((imp = impostor_at (g, i, v, as)) != NULL)
            {
              leave->from = imp->id;
              speaker_send (imp, leave);
            }
          hostile_done (imp);
        }
      hostile_done (s);
    }
  for (guint k = 0; k < 2; k++)
    assert_delivers_within (g, REDELIVER_MS, "after the LEAVEs");
  g_assert_true (view_is (g, all));
}

/* A member that misbehaves from inside the view: it joins for real, on the
 * project's own transport (TLS and the proof of the secret in the member
 * mode), so that its messages come from a member of the view, and then,
 * not being the leader: SEQ entries for the next positions (grp_normal_-
 * recv_seq takes SEQ from the leader only), a heartbeat at 2^62, SEQ far
 * ahead with 16 MiB payloads (to the leader), PREPARE with ballot
 * 2^64 - 1 in its own name (ballot_ok).  It never acknowledges anything,
 * so the group drops it after the suspicion timeout; then the leader is
 * killed and the other two must agree on a view.  Its name is the one the test lets into a view.
 * Teeth: against mutant seq-from-anyone its SEQ entries are delivered,
 * and groupy-check finds a member delivering positions out of order;
 * against mutant ballot-unbounded the group never agrees on the view that
 * drops it.  Against no-ahead-bound it passes (only the leader's SEQ
 * reaches that bound). */
typedef struct {
  GrpId self;
  GrpView *view;           /* the first view that lists it */
  guint64 high;            /* the highest position it was sent */
} Mole;

static void
mole_hears (GrpMsg *msg, gpointer data)
{
  Mole *m = data;
  GrpView *v = msg->type == GRP_MSG_DECIDE ? msg->decide.view : NULL;

  if (msg->type == GRP_MSG_SEQ)
    for (guint k = 0; k < msg->seq.entries->len; k++)
      m->high = MAX (m->high, ((GrpEntry *) g_ptr_array_index (msg->seq.entries, k))->seq);
  if (v != NULL && m->view == NULL && grp_view_contains (v, m->self))
    m->view = grp_view_ref (v);
}

static gboolean
mole_in (Group *g, gconstpointer data)
{
  const Mole *m = data;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  return m->view != NULL && m->high > 0;
}

static gboolean
mole_dropped (Group *g, gconstpointer data)
{
  const char *all[] = { "n0", "n1", "n2", NULL };

  while (g_main_context_iteration (NULL, FALSE))
    ;
  return view_is (g, all);
}

static void
attack_mole (Group *g)
{
  Mole m = { g_random_int () | 1, NULL, 0 };
  g_autoptr(GrpTransport) t = grp_transport_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GrpMsg) join = grp_msg_new (GRP_MSG_JOIN, m.self, 0);
  g_autofree guint8 *big = g_malloc0 (GRP_PAYLOAD_MAX - 64);
  GrpView *v;
  guint64 next;

  g->mole = "mole";
  if (g->security != NULL)
    grp_transport_set_security (t, g->security);
  g_assert_true (grp_transport_listen (t, NULL, NULL, &error));
  grp_transport_set_self (t, m.self, "mole");
  grp_transport_set_handlers (t, mole_hears, NULL, &m);
  join->join.member = (GrpMember) { m.self, g_strdup ("mole"),
                                    g_strdup (grp_transport_get_address (t)) };
  grp_transport_send (t, 0, g->nodes[0].addr, join);
  g_assert_true (wait_for (g, mole_in, &m, 10000));
  v = m.view;
  g_test_message ("the mole is in view %" G_GUINT64_FORMAT " (%u members), sent up to %"
                  G_GUINT64_FORMAT, v->id, v->n_members, m.high);
  next = m.high + 1;
  for (guint i = 0; i < v->n_members; i++)
    {
      GrpMember *to = &v->members[i];
      g_autoptr(GrpMsg) seq = grp_msg_new (GRP_MSG_SEQ, m.self, v->id);
      g_autoptr(GrpMsg) hb = grp_msg_new (GRP_MSG_HB, m.self, v->id);
      g_autoptr(GrpMsg) prep = grp_msg_new (GRP_MSG_PREPARE, m.self, v->id + 1);

      if (to->id == m.self)
        continue;
      for (guint k = 0; k < 500; k++)
        {
          guint8 data[4] = { (guint8) i, (guint8) k, 0xee, 0xee };
          g_autoptr(GBytes) p = g_bytes_new (data, sizeof data);
          g_autoptr(GrpEntry) e = grp_entry_new_data (next + k, v->id, v->members[k % 3].id,
                                                      1000000 + k, p);

          grp_msg_add_entry (seq, e);
        }
      grp_transport_send (t, to->id, to->addr, seq);
      /* The large frames on the connection that stands (to the leader,
       * which it dialed to join), one at a time: its transport drops what
       * would queue beyond its bound. */
      for (guint k = 0; k < 4 && i == 0; k++)
        {
          g_autoptr(GrpMsg) far = grp_msg_new (GRP_MSG_SEQ, m.self, v->id);
          g_autoptr(GBytes) p = g_bytes_new_static (big, GRP_PAYLOAD_MAX - 64);
          g_autoptr(GrpEntry) e = grp_entry_new_data (next + ((guint64) 1 << 20) * (k + 1), v->id,
                                                      m.self, 2000000 + k, p);

          grp_msg_add_entry (far, e);
          grp_transport_send (t, to->id, to->addr, far);
          grp_transport_flush_sync (t);
        }
      hb->hb.high = (guint64) 1 << 62;
      hb->hb.stable = (guint64) 1 << 62;
      grp_transport_send (t, to->id, to->addr, hb);
      prep->prepare.ballot = (GrpBallot) { G_MAXUINT64, m.self };
      prep->prepare.high = next;
      grp_transport_send (t, to->id, to->addr, prep);
    }
  grp_transport_flush_sync (t);
  /* Until the group has dropped it (it acknowledges nothing); meanwhile
   * its transport dials the others and sends them what it queued. */
  g_assert_true (wait_for (g, mole_dropped, NULL, 15000));
  grp_transport_close (t);
  grp_view_unref (m.view);
  assert_delivers_within (g, REDELIVER_MS, "after the mole");
  kill_leader_and_change (g, "after the mole");
}

static const Attack attacks[] = {
  { "silent-connections", MODE_OPEN | MODE_STRANGER | MODE_MEMBER, attack_silent,
    "3,000 connections that never speak" },
  { "half-handshakes", MODE_OPEN | MODE_STRANGER | MODE_MEMBER, attack_half_handshakes,
    "3,000 connections that stop half-way through the handshake" },
  { "large-frames", MODE_OPEN | MODE_STRANGER | MODE_MEMBER, attack_large_frames,
    "frames announcing 60 MiB, on many connections" },
  { "impostor", MODE_OPEN | MODE_MEMBER, attack_impostor,
    "HELLO with a member's id, then that member killed" },
  { "stranger", MODE_STRANGER, attack_stranger,
    "a peer without the secret" },
  { "forged-decide", MODE_ALL, attack_forged_decide,
    "DECIDE with position 0, 1, a member twice, a member with id 0" },
  { "view-flood", MODE_ALL, attack_view_flood,
    "DECIDE of 18 MB: 370 views of 4,096 members, 12 bytes each" },
  { "not-member", MODE_ALL, attack_not_member,
    "NOT_MEMBER from the attacker naming each member" },
  { "seq-claims", MODE_ALL, attack_seq_claims,
    "SEQ entries claiming each member's multicasts, from outside and as a non-leader" },
  { "prepare-ballot", MODE_ALL, attack_prepare_ballot,
    "PREPARE with ballot 2^64 - 1 and 2^50, then the leader killed" },
  { "invented-joins", MODE_ALL, attack_invented_joins,
    "64 JOIN requests with invented names" },
  { "high-heartbeat", MODE_ALL, attack_high_heartbeat,
    "a heartbeat claiming position 2^62, then the leader killed" },
  { "need-view-flood", MODE_ALL, attack_need_view_flood,
    "20,000 NEED_VIEW on each of six connections" },
  { "seq-far-ahead", MODE_ALL, attack_seq_far_ahead,
    "SEQ far ahead: four frames of 16 MiB payloads" },
  { "leave-for-others", MODE_ALL, attack_leave_for_others,
    "LEAVE in another member's and the leader's name" },
  { "mole", MODE_OPEN | MODE_MEMBER, attack_mole,
    "a member inside the view: SEQ, a heartbeat at 2^62, SEQ far ahead, ballot 2^64 - 1" },
};

static void
run_attack (gconstpointer data)
{
  const Attack *a = data;
  Group g;

  g_test_message ("%s", a->what);
  group_start (&g);
  a->run (&g);
  /* The attack is over: the group delivers again within a second. */
  assert_delivers_within (&g, REDELIVER_MS, "after the attack");
  assert_rss (&g);
  group_finish (&g);
  group_free (&g);
}

int
main (int argc, char **argv)
{
  const char *m = NULL;

  for (int i = 1; i + 1 < argc; i++)
    if (g_str_equal (argv[i], "--mode"))
      m = argv[i + 1];
  g_test_init (&argc, &argv, NULL);
  node_path = g_getenv ("GROUPY_NODE");
  check_path = g_getenv ("GROUPY_CHECK");
  if (node_path == NULL || check_path == NULL || m == NULL)
    {
      g_printerr ("usage: GROUPY_NODE=... GROUPY_CHECK=... hostile --mode open|stranger|member\n");
      return 1;
    }
  mode = g_str_equal (m, "open") ? MODE_OPEN : g_str_equal (m, "stranger") ? MODE_STRANGER
       : g_str_equal (m, "member") ? MODE_MEMBER : 0;
  g_assert_cmpint (mode, !=, 0);
  signal (SIGPIPE, SIG_IGN);
  for (guint i = 0; i < G_N_ELEMENTS (attacks); i++)
    if (attacks[i].modes & mode)
      {
        g_autofree char *path = g_strdup_printf ("/hostile/%s/%s", m, attacks[i].name);

        g_test_add_data_func (path, &attacks[i], run_attack);
      }
  return g_test_run ();
}
