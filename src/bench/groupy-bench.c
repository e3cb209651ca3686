/* groupy-bench: measure a Groupy group of K real processes on loopback.
 *
 *   groupy-bench [--members K] [--size BYTES] [--seconds S] [--runs N]
 *                [--mode throughput|latency]
 *
 * throughput: every member multicasts as fast as flow control lets it for S
 *   seconds; each member counts the data messages it delivers; the figure is
 *   the median over members of delivered messages per second (the group's
 *   ordered rate), and MB/s.
 * latency: one member (not the leader) multicasts with one message in flight
 *   (closed loop); the figure is from the multicast call to the delivery, at
 *   every member (samples pooled), p50 / p99 / p99.9.
 *
 * Each configuration runs --runs times (default 3); the table shows the
 * median run, and the last line is one JSON object with every figure.
 * Members are this same program, started with --member (internal).
 */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>

#include "grp-group.h"

/* ---- member side ------------------------------------------------------ */

typedef struct {
  GrpGroup *group;
  GMainLoop *loop;
  guint want;
  gboolean latency;
  gboolean sender;
  gsize size;
  gint64 until;
  guint64 delivered;
  gint64 first, last;
  gboolean running;
  gboolean busy;
  guint idle_id;
  GArray *samples;        /* latency, ns */
  guint64 own_ctr;
} Member;

static void
send_one (Member *m)
{
  g_autofree guint8 *buf = g_malloc0 (m->size);
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GError) error = NULL;

  memcpy (buf, &now, MIN (sizeof now, m->size));
  payload = g_bytes_new_take (g_steal_pointer (&buf), m->size);
  if (grp_group_multicast (m->group, payload, &error) == 0)
    m->busy = TRUE;
}

static gboolean
pump (gpointer data)
{
  Member *m = data;

  if (!m->running || g_get_monotonic_time () >= m->until)
    {
      m->idle_id = 0;
      return G_SOURCE_REMOVE;
    }
  m->busy = FALSE;
  for (int i = 0; i < 64 && !m->busy; i++)
    send_one (m);
  if (m->busy)
    {
      m->idle_id = 0; /* resumed by a delivery of ours */
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
report (Member *m)
{
  double secs = (m->last - m->first) / 1e6;

  if (m->latency)
    {
      GString *s = g_string_new ("result latency");

      for (guint i = 0; i < m->samples->len; i++)
        g_string_append_printf (s, " %" G_GINT64_FORMAT, g_array_index (m->samples, gint64, i));
      printf ("%s\n", s->str);
      g_string_free (s, TRUE);
    }
  else
    printf ("result delivered %" G_GUINT64_FORMAT " seconds %.6f\n", m->delivered, secs > 0 ? secs : 1e-6);
  fflush (stdout);
}

static gboolean
send_next (gpointer data)
{
  send_one (data);
  return G_SOURCE_REMOVE;
}

static void
on_delivered (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *payload, gpointer data)
{
  Member *m = data;
  gint64 now = g_get_monotonic_time ();
  gboolean mine = g_strcmp0 (from, grp_group_get_name (g)) == 0;

  if (!m->running)
    return;
  if (m->first == 0)
    m->first = now;
  m->last = now;
  m->delivered++;
  if (m->latency)
    {
      gint64 sent, ns;

      /* CLOCK_MONOTONIC is one clock for every process of this machine:
       * the sender's stamp is comparable at every member. */
      memcpy (&sent, g_bytes_get_data (payload, NULL), sizeof sent);
      ns = (now - sent) * 1000;
      g_array_append_val (m->samples, ns);
      /* Closed loop; not from inside this call (a leader delivers its own
       * message inside the multicast call). */
      if (m->sender && mine && now < m->until)
        g_idle_add (send_next, m);
    }
  else if (!m->latency && mine && m->busy && m->idle_id == 0 && now < m->until)
    m->idle_id = g_idle_add (pump, m);
}

static void
on_view (GrpGroup *g, guint64 id, guint64 seq, GStrv names, gpointer data)
{
  Member *m = data;

  if (g_strv_length (names) == m->want)
    {
      printf ("ready\n");
      fflush (stdout);
    }
}

static gboolean
on_stdin (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  Member *m = data;
  g_autofree char *line = NULL;
  double seconds;

  if (g_io_channel_read_line (ch, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
    {
      g_main_loop_quit (m->loop);
      return G_SOURCE_REMOVE;
    }
  if (sscanf (line, "go %lf", &seconds) == 1)
    {
      m->running = TRUE;
      m->until = g_get_monotonic_time () + (gint64) (seconds * 1e6);
      if (m->latency)
        {
          if (m->sender)
            send_one (m);
        }
      else
        m->idle_id = g_idle_add (pump, m);
    }
  else if (g_str_has_prefix (line, "report"))
    {
      m->running = FALSE;
      report (m);
    }
  else if (g_str_has_prefix (line, "quit"))
    g_main_loop_quit (m->loop);
  return G_SOURCE_CONTINUE;
}

static int
member_main (int index, const char *contact, guint want, gsize size, gboolean latency)
{
  Member m = { 0 };
  g_autofree char *name = g_strdup_printf ("b%d", index);
  g_autoptr(GError) error = NULL;
  GIOChannel *in = g_io_channel_unix_new (0);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  m.group = grp_group_new (name);
  m.loop = g_main_loop_new (NULL, FALSE);
  m.want = want;
  m.size = MAX (size, sizeof (gint64));
  m.latency = latency;
  m.sender = (guint) index == want - 1; /* the newest member: not the leader */
  m.samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_signal_connect (m.group, "delivered", G_CALLBACK (on_delivered), &m);
  g_signal_connect (m.group, "view-changed", G_CALLBACK (on_view), &m);
  if (!grp_group_listen (m.group, NULL, NULL, &error))
    {
      fprintf (stderr, "member: %s\n", error->message);
      return 2;
    }
  printf ("listening %s\n", grp_group_get_address (m.group));
  fflush (stdout);
  if (contact == NULL)
    grp_group_create (m.group, NULL);
  else
    grp_group_join_async (m.group, contact, NULL, NULL, NULL);
  g_io_add_watch (in, G_IO_IN | G_IO_HUP, on_stdin, &m);
  g_main_loop_run (m.loop);
  return 0;
}

/* ---- driver side ------------------------------------------------------ */

typedef struct {
  GSubprocess *proc;
  GDataInputStream *out;
  GOutputStream *in;
} Child;

static char *
read_line (Child *c)
{
  return g_data_input_stream_read_line_utf8 (c->out, NULL, NULL, NULL);
}

static void
tell (Child *c, const char *line)
{
  g_output_stream_write_all (c->in, line, strlen (line), NULL, NULL, NULL);
  g_output_stream_flush (c->in, NULL, NULL);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n ? v[n / 2] : 0;
}

static double
percentile (GArray *ns, double p)
{
  guint i;

  if (ns->len == 0)
    return 0;
  g_array_sort (ns, cmp_double);
  i = (guint) (p * (ns->len - 1) + 0.5);
  return g_array_index (ns, double, i);
}

/* One run: K members, joined, then measured. */
static gboolean
run_once (const char *self, guint k, gsize size, double seconds, gboolean latency, double *tput, GArray *lat)
{
  Child *kids = g_new0 (Child, k);
  g_autofree char *contact = NULL;
  double *rates = g_new0 (double, k);
  gboolean ok = TRUE;

  for (guint i = 0; i < k; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *idx = g_strdup_printf ("%u", i);
      g_autofree char *want = g_strdup_printf ("%u", k);
      g_autofree char *sz = g_strdup_printf ("%zu", size);
      g_autofree char *line = NULL;
      const char *argv[12] = { self, "--member", idx, "--want", want, "--size", sz,
                               latency ? "--latency" : "--throughput", NULL };

      if (contact != NULL)
        {
          argv[8] = "--contact";
          argv[9] = contact;
        }
      kids[i].proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
      if (kids[i].proc == NULL)
        g_error ("%s", error->message);
      kids[i].out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (kids[i].proc));
      kids[i].in = g_subprocess_get_stdin_pipe (kids[i].proc);
      line = read_line (&kids[i]);
      if (line == NULL || !g_str_has_prefix (line, "listening "))
        g_error ("member %u did not start", i);
      if (contact == NULL)
        contact = g_strdup (line + strlen ("listening "));
    }
  /* Everyone reports "ready" once it delivered the view of all K. */
  for (guint i = 0; i < k; i++)
    {
      g_autofree char *line = NULL;

      do
        {
          g_free (line);
          line = read_line (&kids[i]);
        }
      while (line != NULL && !g_str_equal (line, "ready"));
      if (line == NULL)
        g_error ("member %u never saw the full group", i);
    }
  {
    g_autofree char *go = g_strdup_printf ("go %f\n", seconds);

    for (guint i = 0; i < k; i++)
      tell (&kids[i], go);
  }
  g_usleep ((gulong) ((seconds + 0.5) * 1e6)); /* the measured interval itself */
  for (guint i = 0; i < k; i++)
    tell (&kids[i], "report\n");
  for (guint i = 0; i < k; i++)
    {
      g_autofree char *line = NULL;

      do
        {
          g_free (line);
          line = read_line (&kids[i]);
        }
      while (line != NULL && !g_str_has_prefix (line, "result"));
      if (line == NULL)
        {
          ok = FALSE;
          continue;
        }
      if (g_str_has_prefix (line, "result delivered"))
        {
          guint64 n;
          double secs;

          sscanf (line, "result delivered %" G_GUINT64_FORMAT " seconds %lf", &n, &secs);
          rates[i] = n / secs;
          fprintf (stderr, "  member %u: %" G_GUINT64_FORMAT " delivered in %.3f s\n", i, n, secs);
        }
      else if (g_str_has_prefix (line, "result latency"))
        {
          g_auto(GStrv) parts = g_strsplit (line + strlen ("result latency"), " ", -1);

          for (guint p = 0; parts[p]; p++)
            if (*parts[p])
              {
                double v = g_ascii_strtod (parts[p], NULL) / 1000.0; /* µs */

                g_array_append_val (lat, v);
              }
        }
    }
  for (guint i = 0; i < k; i++)
    {
      tell (&kids[i], "quit\n");
      g_subprocess_wait (kids[i].proc, NULL, NULL);
      g_object_unref (kids[i].out);
      g_object_unref (kids[i].proc);
    }
  *tput = median (rates, k);
  g_free (rates);
  g_free (kids);
  return ok;
}

int
main (int argc, char **argv)
{
  gint64 members = 5, size = 16, runs = 3, member = -1, want = 0;
  double seconds = 3;
  char *mode = NULL, *contact = NULL;
  gboolean m_latency = FALSE, m_throughput = FALSE;
  GOptionEntry entries[] = {
    { "members", 'k', 0, G_OPTION_ARG_INT64, &members, "Group size (default 5)", "K" },
    { "size", 0, 0, G_OPTION_ARG_INT64, &size, "Payload bytes (default 16)", "BYTES" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Measured interval per run (default 3)", "S" },
    { "runs", 0, 0, G_OPTION_ARG_INT64, &runs, "Runs per figure; the median is shown (default 3)", "N" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode, "throughput (default) or latency", "MODE" },
    { "member", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &member, NULL, NULL },
    { "contact", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &contact, NULL, NULL },
    { "want", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &want, NULL, NULL },
    { "latency", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &m_latency, NULL, NULL },
    { "throughput", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &m_throughput, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- measure a Groupy group on loopback");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) lat = g_array_new (FALSE, FALSE, sizeof (double));
  double *tputs;
  gboolean latency;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "groupy-bench: %s\n", error->message);
      return 2;
    }
  if (member >= 0)
    return member_main ((int) member, contact, (guint) want, (gsize) size, m_latency);
  latency = mode != NULL && g_str_equal (mode, "latency");
  if (members < 1 || members > 64 || size < 8 || size > 1 << 20 || runs < 1 || seconds <= 0 ||
      (mode != NULL && !latency && !g_str_equal (mode, "throughput")))
    {
      fprintf (stderr, "groupy-bench: --members 1..64, --size 8..1048576, --runs >= 1, --mode throughput|latency\n");
      return 2;
    }
  tputs = g_new0 (double, runs);
  for (gint64 r = 0; r < runs; r++)
    if (!run_once (argv[0], (guint) members, (gsize) size, seconds, latency, &tputs[r], lat))
      fprintf (stderr, "groupy-bench: run %" G_GINT64_FORMAT " lost a member's report\n", r + 1);
  if (latency)
    {
      printf ("| K | payload | samples | p50 | p99 | p99.9 |\n|---|---|---|---|---|---|\n");
      printf ("| %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " B | %u | %.0f µs | %.0f µs | %.0f µs |\n", members, size,
              lat->len, percentile (lat, 0.50), percentile (lat, 0.99), percentile (lat, 0.999));
      printf ("{\"mode\":\"latency\",\"members\":%" G_GINT64_FORMAT ",\"size\":%" G_GINT64_FORMAT
              ",\"samples\":%u,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f}\n",
              members, size, lat->len, percentile (lat, 0.50), percentile (lat, 0.99), percentile (lat, 0.999));
    }
  else
    {
      double med = median (tputs, (guint) runs);

      printf ("| K | payload | delivered msgs/s per member (median of %" G_GINT64_FORMAT ") | MB/s |\n|---|---|---|---|\n", runs);
      printf ("| %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " B | %.0f | %.2f |\n", members, size, med, med * size / 1e6);
      printf ("{\"mode\":\"throughput\",\"members\":%" G_GINT64_FORMAT ",\"size\":%" G_GINT64_FORMAT
              ",\"runs\":%" G_GINT64_FORMAT ",\"msgs_per_s\":%.0f,\"mb_per_s\":%.3f}\n",
              members, size, runs, med, med * size / 1e6);
    }
  g_free (tputs);
  return 0;
}
