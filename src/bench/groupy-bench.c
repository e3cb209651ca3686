/* groupy-bench: measure Groupy groups of real processes on loopback, and
 * (--corosync DIR) Corosync's CPG on the same machine in the same run.
 *
 *   groupy-bench [--only LIST] [--runs N] [--seconds S] [--trials N]
 *                [--members K] [--scaling LIST] [--corosync DIR] [--secret]
 *
 * Figures (each the median of --runs runs, every run a fresh group):
 *   throughput  every member multicasts flat out (flow control: the window);
 *               delivered messages per second at each member (the group's
 *               ordered rate; the median over members), and MB/s; 16 B and
 *               1 KiB payloads.  Every member's delivered sequence is hashed:
 *               the run counts only if all hashes agree and no view changed.
 *   latency     from the multicast call to the delivery, at every member,
 *               samples pooled: p50 / p99 / p99.9.  "closed": one message in
 *               flight from a member that is not the leader; "half": every
 *               member sends at a steady rate, together half the 16 B
 *               throughput just measured, each message timed from the
 *               instant it was due on its sender's schedule.  A steady rate is measured after
 *               --warmup seconds of it (default 0.5); the warm-up's own
 *               figures are given too ("onset": five members going from
 *               idle to the full rate in the same instant).  Members on one host talk over
 *               Unix-domain sockets; the closed loop is measured again over
 *               TCP only (GROUPY_NO_LOCAL_SOCKETS=1), as members on
 *               separate hosts would talk.
 *   failover    kill -9 of the leader (a background of 300 msgs/s per member
 *               runs): until every survivor has installed the next view, and
 *               until every survivor has delivered a multicast in it.
 *   join        from the join call to the newcomer holding the state (1 KiB).
 *   memory      resident size of members idle and under full load, and of
 *               groupy-node (the headless worker) idle.
 *   scaling     the 16 B throughput for K = 2, 3, 5, 9, 17, 33.
 *   floor       what the sockets alone cost (bench-floor.c): a ping-pong,
 *               and a one-to-(K-1) fan-out where each answers, over loopback
 *               TCP and a Unix-domain socket; every round trip, p50 / p99.
 *               Each latency figure (Groupy's, Corosync's) is also given as
 *               a ratio to the fan-out's, the floor of a multicast.  And
 *               the machine's own stalls (bench-stalls.c): how often, and
 *               for what share of the time, a thread per CPU reading the
 *               clock did not run for 1 ms or more, with nothing of ours
 *               running (what no process on the machine can beat at p99).
 *   closed      (only when named in --only) the closed-loop latency alone,
 *               without the throughput that "latency" measures first.
 *   steady      (--rates LIST) every member sends at a steady rate, the group
 *               together each total of LIST in turn (16 B): the rate
 *               delivered, latency, whether the order was one and views
 *               stayed: what slow links sustain (tools/bench-hosts), where
 *               flat out overruns them.
 *
 * With --secret every group shares a group secret, so that every
 * connection between members is TLS (docs/SECURITY.md): the cost of it.
 *
 * With --hosts NS=ADDR,... member i runs in network namespace NS number
 * i mod H (ip netns exec) and listens on its ADDR: the group spans the
 * "machines" tools/bench-hosts makes, over whatever links join them (a
 * group secret is implied: beyond loopback a member needs one).  Latency
 * still reads one clock: namespaces share the machine's.
 *
 * It prints a readable table and, last, one JSON line with every figure.
 * Members are this same program, started with --member (internal).
 */
#include "bench.h"
#include "bench-proc.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *self;       /* argv[0], to start members */
  const char *node;       /* groupy-node, for its memory figure */
  guint runs;
  double seconds;
  double warmup;          /* --warmup: steady rates run this long before measuring */
  guint trials;
  guint members;
  guint state_size;
  const char *secret;     /* --secret: the group secret file, or NULL */
  gboolean insecure;      /* --insecure: --hosts without a secret */
  GStrv hosts;            /* --hosts: "NS=ADDR" each, or NULL for loopback */
} Opts;

/* ---- statistics -------------------------------------------------------- */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The value below which a fraction p of `v` lies (nearest rank); `v`
 * keeps its order (trials are reported in the order they ran). */
static double
quantile (GArray *v, double p)
{
  g_autoptr(GArray) sorted = NULL;
  guint i;

  if (v->len == 0)
    return 0;
  sorted = g_array_copy (v);
  g_array_sort (sorted, cmp_double);
  i = (guint) (p * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, double, i);
}

/* Median (the upper one for an even count). */
static double
median (GArray *v)
{
  if (v->len == 0)
    return 0;
  return quantile (v, v->len % 2 ? 0.5 : 0.5 + 0.5 / (v->len - 1));
}

static double
max_of (GArray *v)
{
  double m = 0;

  for (guint i = 0; i < v->len; i++)
    m = MAX (m, g_array_index (v, double, i));
  return m;
}

static GArray *
doubles (void)
{
  return g_array_new (FALSE, FALSE, sizeof (double));
}

static void
push (GArray *v, double x)
{
  g_array_append_val (v, x);
}

/* ---- a group of member processes ---------------------------------------- */

typedef struct {
  const Opts *o;
  GPtrArray *kids;   /* BenchChild*, oldest first */
  guint want;
  gsize size;
  guint serial;      /* member names: b0, b1, ... */
} Group;

static BenchChild *
spawn_member (Group *g, const char *contact, guint want, gboolean joiner)
{
  g_autofree char *name = g_strdup_printf ("b%u", g->serial++);
  g_autofree char *w = g_strdup_printf ("%u", want);
  g_autofree char *sz = g_strdup_printf ("%zu", g->size);
  g_autofree char *st = g_strdup_printf ("%u", g->o->state_size);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *argv[24] = { 0 };
  g_autofree char *listen = NULL;
  guint n = 0;
  BenchChild *c;

  if (g->o->hosts != NULL)
    {
      const char *host = g->o->hosts[(g->serial - 1) % g_strv_length (g->o->hosts)];
      const char *eq = strchr (host, '=');
      g_autofree char *ns = g_strndup (host, (gsize) (eq - host));

      argv[n++] = "ip";
      argv[n++] = "netns";
      argv[n++] = "exec";
      argv[n++] = g_intern_string (ns);
      listen = g_strdup_printf ("%s:0", eq + 1);
    }
  for (const char *const *a = (const char *const[]) { g->o->self, "--member", name, "--want", w,
                                                      "--size", sz, "--state-size", st, NULL };
       *a != NULL; a++)
    argv[n++] = *a;
  if (listen != NULL)
    {
      argv[n++] = "--listen";
      argv[n++] = listen;
    }

  if (g->o->secret != NULL)
    {
      argv[n++] = "--secret-file";
      argv[n++] = g->o->secret;
    }
  if (g->o->insecure)
    argv[n++] = "--insecure";
  if (contact != NULL)
    {
      argv[n++] = "--contact";
      argv[n++] = contact;
    }
  if (joiner)
    argv[n++] = "--joiner";
  c = bench_child_spawn (argv, &error);
  if (c == NULL)
    g_error ("cannot start a member: %s", error->message);
  line = bench_child_expect (c, "listening ", 10000);
  if (line == NULL)
    g_error ("member %s did not start", name);
  c->name = g_strdup (name);
  c->addr = g_strdup (line + strlen ("listening "));
  return c;
}

static void
group_stop (Group *g)
{
  for (guint i = 0; i < g->kids->len; i++)
    bench_child_tell (g_ptr_array_index (g->kids, i), "quit");
  for (guint i = 0; i < g->kids->len; i++)
    bench_child_free (g_ptr_array_index (g->kids, i), 5000);
  g_ptr_array_set_size (g->kids, 0);
}

/* K members, each joined through a member already there; returns when all
 * have installed the view of K. */
static void
group_start (Group *g, const Opts *o, guint k, gsize size)
{
  g->o = o;
  g->kids = g_ptr_array_new ();
  g->want = k;
  g->size = size;
  for (guint i = 0; i < k; i++)
    {
      BenchChild *contact = i > 0 ? g_ptr_array_index (g->kids, (i - 1) / 2) : NULL;
      BenchChild *c = spawn_member (g, contact ? contact->addr : NULL, k, FALSE);
      g_autofree char *admitted = NULL;

      g_ptr_array_add (g->kids, c);
      /* One at a time, so that the view lists them in this order (the
       * failover figure kills the first, expecting the second to lead):
       * over slow links two joins at once may be admitted either way. */
      admitted = bench_child_expect (c, "view ", 60000);
      if (admitted == NULL)
        g_error ("member %u was not admitted", i);
    }
  for (guint i = 0; i < k; i++)
    {
      g_autofree char *line = bench_child_expect (g_ptr_array_index (g->kids, i), "ready", 60000);

      if (line == NULL)
        g_error ("member %u never saw the group of %u", i, k);
    }
}

static void
group_free (Group *g)
{
  group_stop (g);
  g_ptr_array_unref (g->kids);
}

static void
tell_all (Group *g, const char *line)
{
  for (guint i = 0; i < g->kids->len; i++)
    bench_child_tell (g_ptr_array_index (g->kids, i), line);
}

static void
sleep_s (double s)
{
  g_usleep ((gulong) (s * 1e6));
}

typedef struct {
  guint64 delivered;
  double seconds;
  guint64 last_seq;
  guint64 hash;
  guint views;
} Report;

/* Asks every member for its report: the counts into `out[i]`, and its
 * histogram added to `hist` (unless NULL). */
static void
read_reports (Group *g, Report *out, BenchHist *hist)
{
  tell_all (g, "report");
  for (guint i = 0; i < g->kids->len; i++)
    {
      g_autofree char *line = bench_child_expect (g_ptr_array_index (g->kids, i),
                                                  "result ", 30000);
      Report *r = &out[i];
      const char *h;

      if (line == NULL ||
          sscanf (line,
                  "result %" G_GUINT64_FORMAT " %lf %" G_GUINT64_FORMAT
                  " %" G_GUINT64_FORMAT " %u",
                  &r->delivered, &r->seconds, &r->last_seq, &r->hash, &r->views) != 5)
        g_error ("member %u gave no report", i);
      h = strstr (line, " hist");
      if (hist != NULL && h != NULL)
        bench_hist_parse (hist, h + 5);
    }
}

/* Stop, let the group go quiet, and collect every member's report; TRUE if
 * all delivered the same sequence (same last position, same hash). */
static gboolean
collect (Group *g, Report *out, BenchHist *hist)
{
  gboolean same = FALSE;
  /* Slow links (--hosts) take longer to drain what is in flight. */
  int attempts = g->o->hosts != NULL ? 150 : 25;

  tell_all (g, "stop");
  for (int attempt = 0; attempt < attempts && !same; attempt++)
    {
      sleep_s (0.2);
      read_reports (g, out, NULL);
      same = TRUE;
      for (guint i = 0; i < g->kids->len; i++)
        if (out[i].last_seq != out[0].last_seq || out[i].hash != out[0].hash)
          same = FALSE;
    }
  for (guint i = 0; !same && i < g->kids->len; i++) /* say where they differ */
    fprintf (stderr, "  member %u: delivered up to %" G_GUINT64_FORMAT ", hash %016"
             G_GINT64_MODIFIER "x, %u views\n", i, out[i].last_seq, out[i].hash, out[i].views);
  /* The histograms of the final round (they do not change once quiet). */
  if (hist != NULL)
    read_reports (g, out, hist);
  return same;
}

/* ---- the measurements ---------------------------------------------------- */

typedef struct {
  double rate;        /* median over runs of the median over members */
  gboolean order_ok;  /* every run: identical order at every member */
  guint view_changes; /* views installed during the measured runs */
  double rss_load_kb; /* largest member, under load */
  GArray *rates;      /* per run */
  double cpu_us;      /* median over runs: CPU of all members per delivered message */
  GArray *cpus;       /* per run */
} Tput;

/* CPU time used by all the group's members so far, ns. */
static gint64
group_cpu_ns (Group *g)
{
  gint64 sum = 0;

  for (guint i = 0; i < g->kids->len; i++)
    sum += MAX (bench_child_cpu_ns (g_ptr_array_index (g->kids, i)), 0);
  return sum;
}

static Tput
throughput (const Opts *o, guint k, gsize size)
{
  Tput t = { 0, TRUE, 0, 0, doubles (), 0, doubles () };

  for (guint r = 0; r < o->runs; r++)
    {
      Group g = { 0 };
      Report *rep = g_new0 (Report, k);
      g_autoptr(GArray) member_rates = doubles ();
      gboolean same;
      gint64 cpu0, cpu1, t0, t1;

      group_start (&g, o, k, size);
      tell_all (&g, "measure");
      {
        g_autofree char *cmd = g_strdup_printf ("tput %f", o->seconds);

        tell_all (&g, cmd);
      }
      /* The CPU the members use is read over the middle of the run (its
       * first fifth is the group getting up to speed). */
      sleep_s (o->seconds * 0.2);
      cpu0 = group_cpu_ns (&g);
      t0 = g_get_monotonic_time ();
      sleep_s (o->seconds * 0.6);
      cpu1 = group_cpu_ns (&g);
      t1 = g_get_monotonic_time ();
      for (guint i = 0; i < k; i++)
        t.rss_load_kb = MAX (t.rss_load_kb, bench_child_rss_kb (g_ptr_array_index (g.kids, i)));
      sleep_s (o->seconds * 0.2 + 0.05);
      same = collect (&g, rep, NULL);
      for (guint i = 0; i < k; i++)
        {
          push (member_rates, rep[i].seconds > 0 ? rep[i].delivered / rep[i].seconds : 0);
          t.view_changes += rep[i].views;
        }
      t.order_ok &= same;
      push (t.rates, median (member_rates));
      if (median (member_rates) > 0 && t1 > t0)
        push (t.cpus, (cpu1 - cpu0) / 1e3 / (median (member_rates) * (t1 - t0) / 1e6));
      fprintf (stderr,
               "  throughput K=%u %zu B run %u: %.0f msgs/s per member (min %.0f), "
               "order %s, views %u\n", k, size, r + 1, median (member_rates),
               g_array_index (member_rates, double, 0),
               same ? "identical" : "DIFFERENT", rep[0].views);
      group_free (&g);
      g_free (rep);
    }
  t.rate = median (t.rates);
  t.cpu_us = t.cpus->len > 0 ? median (t.cpus) : 0;
  return t;
}

typedef struct {
  double p50, p99, p999;
  guint64 samples;
  double onset_p99, onset_max; /* a steady rate's warm-up, measured apart */
  guint64 onset_samples;
  double rate;        /* achieved ordered rate (msgs/s per member) */
  gboolean order_ok;
  guint views;        /* views installed during the measured runs, at all members */
} Lat;

/* closed: one in flight from the newest member (never the leader);
 * otherwise every member sends `total_rate / k` per second. */
static Lat
latency (const Opts *o, guint k, gsize size, gboolean closed, double total_rate)
{
  Lat l = { 0 };
  BenchHist hist, onset;
  g_autoptr(GArray) rates = doubles ();

  bench_hist_init (&hist);
  bench_hist_init (&onset);
  l.order_ok = TRUE;
  for (guint r = 0; r < o->runs; r++)
    {
      Group g = { 0 };
      Report *rep = g_new0 (Report, k);
      g_autofree char *cmd = NULL;
      g_autoptr(GArray) member_rates = doubles ();

      group_start (&g, o, k, size);
      tell_all (&g, "measure");
      if (!closed && o->warmup > 0)
        {
          /* The first instants, five members going from idle to the
           * rate at once, are a step, not the load: they are measured
           * apart (the onset), then the histograms start again. */
          cmd = g_strdup_printf ("rate %f %f", total_rate / k, o->warmup + o->seconds);
          tell_all (&g, cmd);
          sleep_s (o->warmup);
          read_reports (&g, rep, &onset);
          /* "measure" starts the views' count again: keep these. */
          for (guint i = 0; i < k; i++)
            l.views += rep[i].views;
          tell_all (&g, "measure");
        }
      else if (closed)
        {
          cmd = g_strdup_printf ("closed %f", o->seconds);
          bench_child_tell (g_ptr_array_index (g.kids, k - 1), cmd);
        }
      else
        {
          cmd = g_strdup_printf ("rate %f %f", total_rate / k, o->seconds);
          tell_all (&g, cmd);
        }
      sleep_s (o->seconds + 0.05);
      l.order_ok &= collect (&g, rep, &hist);
      for (guint i = 0; i < k; i++)
        {
          push (member_rates, rep[i].seconds > 0 ? rep[i].delivered / rep[i].seconds : 0);
          l.views += rep[i].views;
        }
      push (rates, median (member_rates));
      group_free (&g);
      g_free (rep);
    }
  l.p50 = bench_hist_percentile (&hist, 0.50);
  l.p99 = bench_hist_percentile (&hist, 0.99);
  l.p999 = bench_hist_percentile (&hist, 0.999);
  l.samples = hist.n;
  l.onset_p99 = bench_hist_percentile (&onset, 0.99);
  l.onset_max = bench_hist_percentile (&onset, 1.0);
  l.onset_samples = onset.n;
  l.rate = median (rates);
  bench_hist_clear (&hist);
  bench_hist_clear (&onset);
  fprintf (stderr,
           "  latency K=%u %s: p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs "
           "(%" G_GUINT64_FORMAT " samples)\n", k, closed ? "closed loop" : "steady rate",
           l.p50, l.p99, l.p999, l.samples);
  if (l.onset_samples > 0)
    fprintf (stderr, "  its first %.1f s: p99 %.0f µs, max %.0f µs (%" G_GUINT64_FORMAT
             " samples)\n", o->warmup, l.onset_p99, l.onset_max, l.onset_samples);
  return l;
}

/* The closed loop with members that talk over TCP only. */
static Lat
latency_tcp_only (const Opts *o, guint k, gsize size)
{
  Lat l;

  g_setenv ("GROUPY_NO_LOCAL_SOCKETS", "1", TRUE); /* inherited by the members */
  fprintf (stderr, "  (TCP only)\n");
  l = latency (o, k, size, TRUE, 0);
  g_unsetenv ("GROUPY_NO_LOCAL_SOCKETS");
  return l;
}

/* Waits for a "view ID N T LEADER" line with id > `after` and N == n. */
static gboolean
await_view (BenchChild *c, guint64 after, guint n, guint64 *id, gint64 *at, char **leader)
{
  for (;;)
    {
      g_autofree char *line = bench_child_expect (c, "view ", 10000);
      guint64 vid;
      guint vn;
      gint64 t;
      char name[64] = "";

      if (line == NULL)
        return FALSE;
      if (sscanf (line, "view %" G_GUINT64_FORMAT " %u %" G_GINT64_FORMAT " %63s",
                  &vid, &vn, &t, name) < 3)
        continue;
      if (vid > after && vn == n)
        {
          if (id)
            *id = vid;
          if (at)
            *at = t;
          if (leader)
            *leader = g_strdup (name);
          return TRUE;
        }
    }
}

typedef struct {
  GArray *installed;  /* ms: kill -> every survivor installed the next view */
  GArray *first;      /* ms: kill -> every survivor delivered a multicast in it */
} Failover;

static Failover
failover (const Opts *o, guint k)
{
  Failover f = { doubles (), doubles () };
  Group g = { 0 };
  guint64 view = 0;
  g_autofree char *leader = NULL;
  g_autofree char *bg = g_strdup_printf ("rate 300 %u", 3600);

  group_start (&g, o, k, 16);
  tell_all (&g, bg);
  for (guint trial = 0; trial < o->trials; trial++)
    {
      BenchChild *victim = NULL, *fresh;
      gint64 killed, last_view = 0, last_first = 0;
      guint64 new_id = 0;
      gboolean ok = TRUE;

      /* Let the last change settle, and forget what it printed. */
      sleep_s (0.05);
      for (guint i = 0; i < g.kids->len; i++)
        bench_child_drain (g_ptr_array_index (g.kids, i));
      /* Oldest first: the view lists members in order of admission, and
       * the leader is its first. */
      victim = g_ptr_array_index (g.kids, 0);
      killed = g_get_monotonic_time ();
      bench_child_kill (victim);
      g_ptr_array_remove_index (g.kids, 0);
      for (guint i = 0; i < g.kids->len && ok; i++)
        {
          BenchChild *c = g_ptr_array_index (g.kids, i);
          gint64 at;
          g_autofree char *first = NULL;

          g_free (leader);
          leader = NULL;
          ok = await_view (c, view, k - 1, &new_id, &at, &leader);
          if (!ok)
            break;
          last_view = MAX (last_view, at);
          first = bench_child_expect (c, "first ", 10000);
          if (first == NULL)
            {
              ok = FALSE;
              break;
            }
          last_first = MAX (last_first, g_ascii_strtoll (first + 6, NULL, 10));
        }
      if (!ok)
        g_error ("failover trial %u: the survivors did not all install a view of %u",
                 trial + 1, k - 1);
      if (leader == NULL ||
          g_strcmp0 (leader, ((BenchChild *) g_ptr_array_index (g.kids, 0))->name) != 0)
        g_error ("failover trial %u: the new leader is %s, not the oldest survivor",
                 trial + 1, leader);
      push (f.installed, (last_view - killed) / 1000.0);
      push (f.first, (last_first - killed) / 1000.0);
      bench_child_free (victim, 0);
      view = new_id;
      /* A newcomer takes the victim's place. */
      fresh = spawn_member (&g,
                            ((BenchChild *) g_ptr_array_index (g.kids, g.kids->len - 1))->addr,
                            k, FALSE);
      g_ptr_array_add (g.kids, fresh);
      for (guint i = 0; i < g.kids->len; i++)
        if (!await_view (g_ptr_array_index (g.kids, i), view, k, &new_id, NULL, NULL))
          g_error ("failover trial %u: the replacement was not admitted", trial + 1);
      view = new_id;
      bench_child_tell (fresh, bg);
    }
  group_free (&g);
  fprintf (stderr,
           "  failover K=%u: installed at all survivors median %.2f ms (max %.2f), "
           "first delivery median %.2f ms\n", k, median (f.installed), max_of (f.installed),
           median (f.first));
  return f;
}

static GArray *
join (const Opts *o, guint k)
{
  GArray *ms = doubles ();
  Group g = { 0 };
  guint64 view = 0;

  group_start (&g, o, k - 1, 16);
  for (guint trial = 0; trial < o->trials; trial++)
    {
      BenchChild *contact = g_ptr_array_index (g.kids, trial % g.kids->len);
      BenchChild *j;
      g_autofree char *line = NULL;
      guint64 id = 0;

      for (guint i = 0; i < g.kids->len; i++)
        bench_child_drain (g_ptr_array_index (g.kids, i));
      j = spawn_member (&g, contact->addr, k, TRUE);
      line = bench_child_expect (j, "joined ", 10000);
      if (line == NULL)
        g_error ("join trial %u: the newcomer did not get in", trial + 1);
      push (ms, g_ascii_strtoll (line + 7, NULL, 10) / 1000.0);
      for (guint i = 0; i < g.kids->len; i++)
        if (!await_view (g_ptr_array_index (g.kids, i), view, k, &id, NULL, NULL))
          g_error ("join trial %u: a member did not see the newcomer", trial + 1);
      view = id;
      bench_child_tell (j, "leave");
      for (guint i = 0; i < g.kids->len; i++)
        if (!await_view (g_ptr_array_index (g.kids, i), view, k - 1, &id, NULL, NULL))
          g_error ("join trial %u: a member did not see the newcomer leave", trial + 1);
      view = id;
      bench_child_free (j, 5000);
    }
  group_free (&g);
  fprintf (stderr, "  join K=%u: median %.2f ms, max %.2f ms\n", k, median (ms), max_of (ms));
  return ms;
}

typedef struct {
  double member_idle_kb;  /* median over members */
  double node_idle_kb;    /* median over groupy-node processes */
} Memory;

static Memory
memory (const Opts *o, guint k)
{
  Memory m = { 0 };
  Group g = { 0 };
  g_autoptr(GArray) kb = doubles ();
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  g_autofree char *addr = NULL;

  group_start (&g, o, k, 16);
  sleep_s (1.0);
  for (guint i = 0; i < k; i++)
    push (kb, bench_child_rss_kb (g_ptr_array_index (g.kids, i)));
  m.member_idle_kb = median (kb);
  group_free (&g);

  /* The headless worker as users run it, multicasting nothing. */
  g_array_set_size (kb, 0);
  for (guint i = 0; i < 3 && o->node != NULL; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%u", i);
      g_autofree char *joined_line = g_strdup_printf ("%s joined", name);
      const char *argv[10] = { o->node, "--name", name, "--sleep", "3600000" };
      guint n = 5;
      g_autoptr(GError) error = NULL;
      BenchChild *c;
      g_autofree char *line = NULL;

      if (o->secret != NULL)
        {
          argv[n++] = "--secret-file";
          argv[n++] = o->secret;
        }
      if (addr != NULL)
        {
          argv[n++] = "--join";
          argv[n++] = addr;
        }
      c = bench_child_spawn (argv, &error);
      if (c == NULL)
        g_error ("cannot start %s: %s", o->node, error->message);
      line = bench_child_expect (c, name, 10000);
      if (line != NULL && addr == NULL && strstr (line, "listening on ") != NULL)
        addr = g_strdup (strstr (line, "listening on ") + strlen ("listening on "));
      g_free (line);
      line = bench_child_expect (c, joined_line, 10000);
      if (line == NULL)
        g_error ("%s did not join", name);
      g_ptr_array_add (nodes, c);
    }
  sleep_s (1.0);
  for (guint i = 0; i < nodes->len; i++)
    push (kb, bench_child_rss_kb (g_ptr_array_index (nodes, i)));
  m.node_idle_kb = median (kb);
  for (guint i = 0; i < nodes->len; i++)
    {
      BenchChild *c = g_ptr_array_index (nodes, i);

      kill (c->pid, SIGTERM);
      bench_child_free (c, 5000);
    }
  fprintf (stderr, "  memory: member idle %.0f kB, groupy-node idle %.0f kB\n",
           m.member_idle_kb, m.node_idle_kb);
  return m;
}

/* ---- what TLS costs on one link ------------------------------------------- */

typedef struct {
  double bare, tls; /* µs of CPU per KiB, medians over runs */
  char *suite;
} TlsFloor;

static gboolean
tls_floor_measure (const Opts *o, TlsFloor *f)
{
  g_autoptr(GArray) bare = doubles ();
  g_autoptr(GArray) tls = doubles ();

  fprintf (stderr, "TLS on one link: 256 MiB through a socket pair, bare and through TLS\n");
  for (guint r = 0; r < o->runs; r++)
    {
      g_autoptr(GError) error = NULL;
      double b, t;

      g_clear_pointer (&f->suite, g_free);
      if (!bench_tls_floor_run (256u << 20, &b, &t, &f->suite, &error))
        {
          fprintf (stderr, "groupy-bench: TLS on one link: %s\n", error->message);
          return FALSE;
        }
      fprintf (stderr, "  run %u: %.3f µs per KiB bare, %.3f through TLS (%s)\n", r + 1, b, t,
               f->suite);
      push (bare, b);
      push (tls, t);
    }
  f->bare = median (bare);
  f->tls = median (tls);
  return TRUE;
}

/* ---- the floor ---------------------------------------------------------- */

typedef struct {
  const char *key;      /* JSON: floor_<key>_p50_us, ... */
  const char *what;
  gboolean unix_socket;
  gboolean fanout;      /* to K - 1 echoes, else to one */
  double p50, p99, p999;
  guint64 samples;
} Floor;

static void
floor_measure (const Opts *o, Floor *f)
{
  BenchHist hist;
  guint peers = f->fanout ? o->members - 1 : 1;

  bench_hist_init (&hist);
  for (guint r = 0; r < o->runs; r++)
    {
      g_autoptr(GError) error = NULL;

      if (!bench_floor_run (o->self, f->unix_socket, peers, o->seconds, &hist, &error))
        g_error ("%s", error->message);
    }
  f->p50 = bench_hist_percentile (&hist, 0.50);
  f->p99 = bench_hist_percentile (&hist, 0.99);
  f->p999 = bench_hist_percentile (&hist, 0.999);
  f->samples = hist.n;
  bench_hist_clear (&hist);
  fprintf (stderr, "  floor %s: p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs (%" G_GUINT64_FORMAT
           " samples)\n", f->what, f->p50, f->p99, f->p999, f->samples);
}

/* The machine's own stalls, as printed: gaps of 1 ms or more a second per
 * CPU, the share of the time in them and in gaps of 100 µs or more (%),
 * the longest (ms). */
typedef struct {
  double per_cpu_s, pct_1ms, pct_100us, longest_ms;
} Stalls;

/* Measured over the runs' time (bench-stalls.c). */
static void
stalls_measure (const Opts *o, Stalls *st)
{
  BenchStalls b;

  bench_stalls_run (o->seconds * o->runs, &b);
  st->per_cpu_s = b.over_1ms / MAX (b.elapsed_ns / 1e9, 1e-9);
  st->pct_1ms = 100.0 * b.lost_1ms_ns / MAX (b.elapsed_ns, 1);
  st->pct_100us = 100.0 * b.lost_ns / MAX (b.elapsed_ns, 1);
  st->longest_ms = b.longest_ns / 1e6;
  fprintf (stderr, "  stalls (a thread per CPU reading the clock, %u CPUs): 1 ms or longer "
           "%.1f a second per CPU, %.2f %% of the time; 100 µs or longer %.2f %%; "
           "longest %.2f ms\n", b.cpus, st->per_cpu_s, st->pct_1ms, st->pct_100us,
           st->longest_ms);
}

/* "p50 1.23× · p99 4.56×": a latency over the floor's. */
static char *
over_floor (double p50, double p99, const Floor *f)
{
  return g_strdup_printf ("%.2f× · %.2f×", p50 / MAX (f->p50, 1), p99 / MAX (f->p99, 1));
}

/* ---- Corosync ------------------------------------------------------------ */

typedef struct {
  const char *label, *transport, *sched_rr;
  gboolean ran;
  double tput16, tput16_all, tput1k;  /* best mode, and all-unbounded */
  const char *tput16_mode, *tput1k_mode;
  double p50, p99, p999;              /* closed loop, 16 B */
  double join_ms, faildet_ms;         /* medians */
} Coro;

static const char *
mode_of (JsonObject *r)
{
  gint64 k = json_object_get_int_member (r, "k"), s = json_object_get_int_member (r, "senders");
  gint64 w = json_object_get_int_member (r, "window");

  if (w == 1)
    return "w1";
  if (w > 1)
    return "all-w32";
  return s == k ? "all" : "one";
}

static double
median_member (GPtrArray *runs, const char *mode, gint64 size, const char *member)
{
  g_autoptr(GArray) v = doubles ();

  for (guint i = 0; i < runs->len; i++)
    {
      JsonObject *r = g_ptr_array_index (runs, i);

      if (g_str_equal (json_object_get_string_member_with_default (r, "kind", ""), "bench") &&
          json_object_get_boolean_member_with_default (r, "ok", FALSE) &&
          g_str_equal (mode_of (r), mode) && json_object_get_int_member (r, "size") == size &&
          json_object_has_member (r, member))
        push (v, json_object_get_double_member (r, member));
    }
  return median (v);
}

static double
median_pooled (GPtrArray *runs, const char *member)
{
  g_autoptr(GArray) v = doubles ();

  for (guint i = 0; i < runs->len; i++)
    {
      JsonObject *r = g_ptr_array_index (runs, i);

      if (g_str_equal (json_object_get_string_member_with_default (r, "kind", ""), "memb") &&
          json_object_has_member (r, member))
        {
          JsonArray *a = json_object_get_array_member (r, member);

          for (guint j = 0; j < json_array_get_length (a); j++)
            push (v, json_array_get_double_element (a, j) / 1000.0);
        }
    }
  return median (v);
}

static gboolean
run_corosync (const Opts *o, const char *dir, Coro *c, const char *work)
{
  static const char *files[] = { "cpg_bench.c", "run.sh", "netns.sh", "aggregate.py",
                                 "corosync.conf.in" };
  g_autofree char *copy = g_build_filename (work, c->label, NULL);
  g_autofree char *out = g_build_filename (copy, "results", NULL);
  g_autofree char *jsonl = g_build_filename (out, "runs.jsonl", NULL);
  g_autofree char *script = g_build_filename (copy, "run.sh", NULL);
  g_autofree char *reps = g_strdup_printf ("%u", o->runs);
  g_autofree char *trials = g_strdup_printf ("%u", o->trials);
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  static const char *modes[] = { "all", "one", "all-w32" };

  /* A private copy: the peer's folder is shared and stays untouched. */
  g_mkdir_with_parents (copy, 0755);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *from = g_build_filename (dir, files[i], NULL);
      g_autofree char *to = g_build_filename (copy, files[i], NULL);
      g_autofree char *data = NULL;
      gsize len;

      if (!g_file_get_contents (from, &data, &len, &error) ||
          !g_file_set_contents (to, data, len, &error))
        {
          fprintf (stderr, "groupy-bench: %s\n", error->message);
          return FALSE;
        }
      g_chmod (to, 0755);
    }
  g_subprocess_launcher_setenv (l, "TRANSPORT", c->transport, TRUE);
  g_subprocess_launcher_setenv (l, "SCHED_RR", c->sched_rr, TRUE);
  g_subprocess_launcher_setenv (l, "KS", "5", TRUE);
  g_subprocess_launcher_setenv (l, "SIZES", "16 1024", TRUE);
  g_subprocess_launcher_setenv (l, "REPS", reps, TRUE);
  g_subprocess_launcher_setenv (l, "TRIALS", trials, TRUE);
  g_subprocess_launcher_setenv (l, "TOTAL", "300000", TRUE);
  g_subprocess_launcher_setenv (l, "OUTDIR", out, TRUE);
  fprintf (stderr, "corosync %s (TRANSPORT=%s SCHED_RR=%s KS=5 REPS=%u TOTAL=300000 run.sh all)\n",
           c->label, c->transport, c->sched_rr, o->runs);
  p = g_subprocess_launcher_spawn (l, &error, script, "all", NULL);
  if (p == NULL || !g_subprocess_wait_check (p, NULL, &error))
    {
      fprintf (stderr, "groupy-bench: corosync %s: %s\n", c->label, error->message);
      return FALSE;
    }
  if (!g_file_get_contents (jsonl, &text, NULL, &error))
    {
      fprintf (stderr, "groupy-bench: corosync %s: %s\n", c->label, error->message);
      return FALSE;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (*lines[i] && json_parser_load_from_data (parser, lines[i], -1, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        g_ptr_array_add (runs,
                         json_object_ref (json_node_get_object (json_parser_get_root (parser))));
    }
  c->ran = TRUE;
  c->tput16_all = median_member (runs, "all", 16, "rate_msgs_s_median_proc");
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      double r16 = median_member (runs, modes[i], 16, "rate_msgs_s_median_proc");
      double r1k = median_member (runs, modes[i], 1024, "rate_msgs_s_median_proc");

      if (r16 > c->tput16)
        {
          c->tput16 = r16;
          c->tput16_mode = modes[i];
        }
      if (r1k > c->tput1k)
        {
          c->tput1k = r1k;
          c->tput1k_mode = modes[i];
        }
    }
  c->p50 = median_member (runs, "w1", 16, "lat_p50_us");
  c->p99 = median_member (runs, "w1", 16, "lat_p99_us");
  c->p999 = median_member (runs, "w1", 16, "lat_p999_us");
  c->join_ms = median_pooled (runs, "join_to_self_confchg_us");
  c->faildet_ms = median_pooled (runs, "faildet_all_us");
  fprintf (stderr,
           "  corosync %s: %.0f msgs/s (16 B, %s), %.0f (1 KiB, %s), "
           "closed loop p50 %.0f µs p99 %.0f µs, "
           "join %.2f ms, dead client noticed %.2f ms\n", c->label, c->tput16, c->tput16_mode,
           c->tput1k, c->tput1k_mode, c->p50, c->p99, c->join_ms, c->faildet_ms);
  return TRUE;
}

/* ---- output -------------------------------------------------------------- */

static void
json_num (GString *j, const char *key, double v)
{
  g_string_append_printf (j, "\"%s\":%.3f,", key, v);
}

static void
json_array (GString *j, const char *key, GArray *v)
{
  g_string_append_printf (j, "\"%s\":[", key);
  for (guint i = 0; i < v->len; i++)
    g_string_append_printf (j, "%s%.3f", i ? "," : "", g_array_index (v, double, i));
  g_string_append (j, "],");
}

/* A throughput figure: one table row, and its JSON members tput<key>_*. */
static void
report_tput (GString *table, GString *j, const Tput *t, const char *key, const char *size_name,
             gsize size)
{
  g_autofree char *k_rate = g_strdup_printf ("tput%s_msgs_s", key);
  g_autofree char *k_mb = g_strdup_printf ("tput%s_mb_s", key);
  g_autofree char *k_runs = g_strdup_printf ("tput%s_runs", key);
  g_autofree char *k_rss = g_strdup_printf ("rss_load%s_kb", key);
  g_autofree char *k_cpu = g_strdup_printf ("tput%s_cpu_us_per_msg", key);

  g_string_append_printf (table,
                          "| throughput %s, all send | %.0f msgs/s per member (%.2f MB/s)%s |\n",
                          size_name, t->rate, t->rate * size / 1e6,
                          t->order_ok && t->view_changes == 0 ? "" : " ⚠ order/view");
  json_num (j, k_rate, t->rate);
  json_num (j, k_mb, t->rate * size / 1e6);
  json_array (j, k_runs, t->rates);
  g_string_append_printf (j, "\"tput%s_order_identical\":%s,\"tput%s_view_changes\":%u,", key,
                          t->order_ok ? "true" : "false", key, t->view_changes);
  json_num (j, k_rss, t->rss_load_kb);
  g_string_append_printf (table, "| CPU per delivered message %s, all members together "
                                 "| %.2f µs (%.2f of a core per 100,000 msgs/s) |\n",
                          size_name, t->cpu_us, t->cpu_us / 10);
  json_num (j, k_cpu, t->cpu_us);
}

/* The row, and what it tells of a group: each message a group of K with
 * every member sending delivers crosses TLS (K - 1) / K times as a request
 * and K - 1 times sequenced, payloads alone counted (frames add a little).
 * Were the rest of a message's CPU unchanged, TLS would add that many KiB
 * times this floor to plaintext's CPU per message, and a group bound by its
 * CPU would deliver that much less; and TLS within 30 % of plaintext needs
 * TLS to cost at most 3/7 of plaintext's CPU per message. */
static void
report_tls_floor (GString *table, GString *j, const TlsFloor *f, const Opts *o, const Tput *t16,
                  const Tput *t1k)
{
  double extra = f->tls - f->bare;
  double k = o->members;
  const Tput *t[] = { t16, t1k };
  const double size[] = { 16, 1024 };

  g_string_append_printf (table, "| TLS on one link (%s), a socket pair alone, 64 KiB writes "
                                 "| %.3f µs of CPU per KiB over the bare sockets' %.3f "
                                 "(%.2f GB/s each way) |\n",
                          f->suite, extra, f->bare, extra > 0 ? 1.024 / extra : 0);
  json_num (j, "tls_floor_us_per_kib", extra);
  json_num (j, "tls_floor_bare_us_per_kib", f->bare);
  g_string_append_printf (j, "\"tls_floor_suite\":\"%s\",", f->suite);
  if (o->secret != NULL)
    return; /* what follows needs plaintext's CPU per message */
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      double kib, tls_us, expect, allowed;
      g_autofree char *k_expect = NULL;
      g_autofree char *k_allowed = NULL;

      if (t[i] == NULL || t[i]->cpu_us <= 0)
        continue;
      kib = ((k - 1) / k + (k - 1)) * size[i] / 1024;
      tls_us = kib * extra;
      expect = t[i]->cpu_us / (t[i]->cpu_us + tls_us);
      allowed = t[i]->cpu_us * 3 / 7 / kib;
      g_string_append_printf (table, "| TLS / plaintext to expect, %s, were the rest of a "
                                     "message's CPU unchanged | %.2f (%.2f KiB through TLS per "
                                     "message: +%.2f µs on plaintext's %.2f); 0.70 needs TLS at "
                                     "%.3f µs per KiB or less |\n",
                              i == 0 ? "16 B" : "1 KiB", expect, kib, tls_us, t[i]->cpu_us,
                              allowed);
      k_expect = g_strdup_printf ("tls_expected_%s", i == 0 ? "16" : "1k");
      k_allowed = g_strdup_printf ("tls_allowed_%s_us_per_kib", i == 0 ? "16" : "1k");
      json_num (j, k_expect, expect);
      json_num (j, k_allowed, allowed);
    }
}

static gboolean
wanted (GStrv only, const char *what)
{
  return only == NULL || g_strv_contains ((const char *const *) only, what);
}

static char *
find_node (const char *self)
{
  g_autofree char *dir = g_path_get_dirname (self);
  const char *candidates[] = { "groupy-node", "../node/groupy-node" };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *p = g_build_filename (dir, candidates[i], NULL);

      if (g_file_test (p, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&p);
    }
  return g_find_program_in_path ("groupy-node");
}

int
main (int argc, char **argv)
{
  gint64 runs = 3, trials = 20, members = 5, state_size = 1024, want = 0, size = 16;
  double seconds = 3, warmup = 0.5;
  char *only_s = NULL, *scaling_s = NULL, *corosync = NULL, *corosync_cfg = NULL, *rates_s = NULL;
  char *m_name = NULL, *contact = NULL, *secret_file = NULL, *hosts_s = NULL, *listen = NULL;
  char *floor_echo = NULL;
  gboolean joiner = FALSE, secret = FALSE, insecure = FALSE;
  GOptionEntry entries[] = {
    { "only", 0, 0, G_OPTION_ARG_STRING, &only_s,
      "Measure only these (comma-separated): "
      "throughput,latency,failover,join,memory,scaling,floor,tls-floor", "LIST" },
    { "runs", 0, 0, G_OPTION_ARG_INT64, &runs,
      "Runs per figure; the median is shown (default 3)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
      "Measured interval of each run (default 3)", "S" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup,
      "A steady rate runs this long before it is measured; its figures are given apart "
      "(default 0.5)", "S" },
    { "trials", 0, 0, G_OPTION_ARG_INT64, &trials, "Failover and join trials (default 20)", "N" },
    { "members", 'k', 0, G_OPTION_ARG_INT64, &members, "Group size K (default 5)", "K" },
    { "scaling", 0, 0, G_OPTION_ARG_STRING, &scaling_s,
      "Group sizes for scaling (default 2,3,5,9,17,33)", "LIST" },
    { "corosync", 0, 0, G_OPTION_ARG_FILENAME, &corosync,
      "Also run the Corosync peer from DIR (../shared/bench/corosync) in this run", "DIR" },
    { "corosync-configs", 0, 0, G_OPTION_ARG_STRING, &corosync_cfg,
      "Corosync settings to run (default knet,knet-norr,udpu-norr)", "LIST" },
    { "secret", 0, 0, G_OPTION_ARG_NONE, &secret,
      "Members share a group secret: TLS on every connection", NULL },
    { "rates", 0, 0, G_OPTION_ARG_STRING, &rates_s,
      "Steady loads to measure, msgs/s for the whole group (the figure \"steady\")", "LIST" },
    { "hosts", 0, 0, G_OPTION_ARG_STRING, &hosts_s,
      "Members run in these network namespaces, on these addresses, in turn (implies --secret)",
      "NS=ADDR,..." },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure,
      "With --hosts: no secret, plaintext between the namespaces (what TLS costs there)", NULL },
    { "member", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &m_name, NULL, NULL },
    { "listen", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &listen, NULL, NULL },
    { "secret-file", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &secret_file, NULL, NULL },
    { "contact", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &contact, NULL, NULL },
    { "want", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &want, NULL, NULL },
    { "size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &size, NULL, NULL },
    { "state-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &state_size, NULL, NULL },
    { "joiner", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &joiner, NULL, NULL },
    { "floor-echo", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &floor_echo, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    g_option_context_new ("- measure Groupy (and Corosync) on this machine");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) only = NULL;
  g_auto(GStrv) scaling = NULL;
  g_auto(GStrv) cfgs = NULL;
  g_autofree char *node = NULL;
  g_autofree char *work = NULL;
  GString *j = g_string_new ("{");
  GString *table = g_string_new (NULL);
  GString *steady_table = g_string_new (NULL);
  Opts o;
  Tput t16 = { 0 }, t1k = { 0 };
  Lat closed = { 0 }, half = { 0 }, closed_tcp = { 0 };
  Failover fo = { NULL, NULL };
  GArray *joins = NULL;
  Memory mem = { 0 };
  TlsFloor tls_floor = { 0 };
  Stalls stalls = { 0 };
  Coro coro[] = {
    { "knet", "knet", "yes" },
    { "knet-norr", "knet", "no" },
    { "udpu-norr", "udpu", "no" },
    { "udpu", "udpu", "yes" },
  };
  Coro *best_t = NULL, *best_p50 = NULL, *best_p99 = NULL;
  gboolean have_t = FALSE, have_lat = FALSE, have_closed = FALSE, have_floor = FALSE;
  Floor floors[] = {
    { "tcp_pingpong", "ping-pong, loopback TCP", FALSE, FALSE },
    { "tcp_fanout", "fan-out to K-1, loopback TCP", FALSE, TRUE },
    { "unix_pingpong", "ping-pong, Unix-domain", TRUE, FALSE },
    { "unix_fanout", "fan-out to K-1, Unix-domain", TRUE, TRUE },
  };
  /* The floor of a multicast: the fan-out, over either kind of socket. */
  const Floor *floor_tcp = &floors[1], *floor_unix = &floors[3];

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "groupy-bench: %s\n", error->message);
      return 2;
    }
  if (floor_echo != NULL)
    return bench_floor_echo_main (floor_echo);
  if (m_name != NULL)
    return bench_member_main (m_name, contact, (guint) want, (gsize) size, (gsize) state_size,
                              joiner, secret_file, listen, insecure);
  signal (SIGPIPE, SIG_IGN); /* a member that has gone closes its stdin */
  if (runs < 1 || seconds <= 0 || trials < 1 || members < 3 || members > 64)
    {
      fprintf (stderr,
               "groupy-bench: --runs >= 1, --seconds > 0, --trials >= 1, --members 3..64\n");
      return 2;
    }
  only = only_s ? g_strsplit (only_s, ",", -1) : NULL;
  scaling = g_strsplit (scaling_s ? scaling_s : "2,3,5,9,17,33", ",", -1);
  cfgs = g_strsplit (corosync_cfg ? corosync_cfg : "knet,knet-norr,udpu-norr", ",", -1);
  for (guint i = 0; only && only[i]; i++)
    if (!g_strv_contains ((const char *const[]) { "throughput", "latency", "failover", "join",
                                                  "memory", "scaling", "steady", "closed",
                                                  "floor", "tls-floor", NULL }, only[i]))
      {
        fprintf (stderr, "groupy-bench: --only: unknown figure '%s'\n", only[i]);
        return 2;
      }
  for (guint i = 0; scaling[i]; i++)
    {
      gint64 k = g_ascii_strtoll (scaling[i], NULL, 10);

      if (k < 2 || k > 64)
        {
          fprintf (stderr, "groupy-bench: --scaling takes group sizes 2..64\n");
          return 2;
        }
    }
  if (corosync != NULL && !g_file_test (corosync, G_FILE_TEST_IS_DIR))
    {
      fprintf (stderr, "groupy-bench: --corosync %s: no such folder\n", corosync);
      return 2;
    }
  if (corosync != NULL && g_find_program_in_path ("corosync") == NULL)
    {
      fprintf (stderr, "groupy-bench: corosync is not installed (apt-get install corosync "
                       "libcpg-dev libcorosync-common-dev libquorum-dev)\n");
      return 2;
    }
  node = find_node (argv[0]);
  if (warmup < 0 || warmup > 60)
    {
      fprintf (stderr, "groupy-bench: --warmup takes 0 to 60 seconds, not %g\n", warmup);
      return 2;
    }
  o = (Opts) { argv[0], node, (guint) runs, seconds, warmup, (guint) trials, (guint) members,
               (guint) state_size, NULL, FALSE, NULL };
  if (hosts_s != NULL)
    {
      o.hosts = g_strsplit (hosts_s, ",", -1);
      for (guint i = 0; o.hosts[i] != NULL; i++)
        {
          const char *eq = strchr (o.hosts[i], '=');

          if (eq == NULL || eq == o.hosts[i] || eq[1] == '\0' || strchr (eq, ':') != NULL)
            {
              fprintf (stderr, "groupy-bench: --hosts takes NS=ADDR,... "
                               "(a network namespace and an IPv4 address in it), not '%s'\n",
                       o.hosts[i]);
              return 2;
            }
        }
      if (o.hosts[0] == NULL)
        {
          fprintf (stderr, "groupy-bench: --hosts names no host\n");
          return 2;
        }
      /* Beyond loopback a member needs a group secret, or to be told. */
      secret = !insecure;
      o.insecure = insecure;
    }
  if (insecure && (hosts_s == NULL || secret))
    {
      fprintf (stderr, "groupy-bench: --insecure goes with --hosts, and not with --secret\n");
      return 2;
    }
  if (secret)
    {
      g_autofree char *dir = g_dir_make_tmp ("groupy-bench-XXXXXX", NULL);

      secret_file = g_build_filename (dir, "secret", NULL);
      if (!grp_group_write_secret_file (secret_file, &error))
        {
          fprintf (stderr, "groupy-bench: %s\n", error->message);
          return 2;
        }
      o.secret = secret_file;
    }

  {
    g_autofree char *date = g_date_time_format_iso8601 (g_date_time_new_now_local ());
    g_autofree char *loadavg = NULL;
    double load[1] = { -1 };

    if (g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL))
      load[0] = g_ascii_strtod (loadavg, NULL);
    g_string_append_printf (j, "\"date\":\"%s\",\"cpus\":%u,\"loadavg_before\":%.2f,"
                               "\"runs\":%u,\"seconds\":%.1f,"
                               "\"trials\":%u,\"members\":%u,\"secret\":%s,\"hosts\":%u,", date,
                            g_get_num_processors (), load[0], o.runs, o.seconds, o.trials,
                            o.members, o.secret != NULL ? "true" : "false",
                            o.hosts ? g_strv_length (o.hosts) : 0);
  }

  if (wanted (only, "floor"))
    {
      fprintf (stderr, "floor: sockets alone, 16 B, K=%u\n", o.members);
      for (guint i = 0; i < G_N_ELEMENTS (floors); i++)
        floor_measure (&o, &floors[i]);
      stalls_measure (&o, &stalls);
      have_floor = TRUE;
    }
  if (wanted (only, "tls-floor") && !tls_floor_measure (&o, &tls_floor))
    return 1;
  if (wanted (only, "throughput") || wanted (only, "latency"))
    {
      fprintf (stderr, "throughput, K=%u\n", o.members);
      t16 = throughput (&o, o.members, 16);
      if (wanted (only, "throughput"))
        t1k = throughput (&o, o.members, 1024);
      have_t = TRUE;
    }
  if (wanted (only, "latency"))
    {
      fprintf (stderr, "latency, K=%u, 16 B\n", o.members);
      closed = latency (&o, o.members, 16, TRUE, 0);
      closed_tcp = latency_tcp_only (&o, o.members, 16);
      half = latency (&o, o.members, 16, FALSE, t16.rate / 2);
      have_lat = TRUE;
    }
  if (only != NULL && g_strv_contains ((const char *const *) only, "closed") && !have_lat)
    {
      fprintf (stderr, "closed-loop latency, K=%u, 16 B\n", o.members);
      closed = latency (&o, o.members, 16, TRUE, 0);
      closed_tcp = latency_tcp_only (&o, o.members, 16);
      have_closed = TRUE;
    }
  if (rates_s != NULL && wanted (only, "steady"))
    {
      g_auto(GStrv) rates = g_strsplit (rates_s, ",", -1);

      g_string_append (steady_table, "\n### Steady load, 16 B, every member sending\n\n"
                                     "| offered (msgs/s, group) | delivered per member "
                                     "| latency p50 · p99 · p99.9 | its onset p99 · max | "
                                     "order | view changes |\n|---|---|---|---|---|---|\n");
      g_string_append (j, "\"steady\":[");
      for (guint i = 0; rates[i] != NULL; i++)
        {
          double rate = g_ascii_strtod (rates[i], NULL);
          Lat st;

          if (rate <= 0)
            {
              fprintf (stderr, "groupy-bench: --rates takes rates above 0, not '%s'\n", rates[i]);
              return 2;
            }
          fprintf (stderr, "steady load %.0f msgs/s, K=%u, 16 B\n", rate, o.members);
          st = latency (&o, o.members, 16, FALSE, rate);
          g_string_append_printf (steady_table,
                                  "| %.0f | %.0f | %.1f · %.1f · %.1f ms | %.1f · %.1f ms "
                                  "| %s | %u |\n", rate, st.rate, st.p50 / 1000, st.p99 / 1000,
                                  st.p999 / 1000, st.onset_p99 / 1000, st.onset_max / 1000,
                                  st.order_ok ? "identical" : "DIFFERENT", st.views);
          g_string_append_printf (j, "%s{\"offered\":%.0f,\"delivered\":%.1f,"
                                     "\"p50_us\":%.0f,\"p99_us\":%.0f,"
                                     "\"p999_us\":%.0f,\"onset_p99_us\":%.0f,\"onset_max_us\":%.0f,"
                                     "\"order_identical\":%s,\"view_changes\":%u}",
                                  i > 0 ? "," : "", rate, st.rate, st.p50, st.p99, st.p999,
                                  st.onset_p99, st.onset_max, st.order_ok ? "true" : "false",
                                  st.views);
        }
      g_string_append (j, "],");
    }
  if (wanted (only, "failover"))
    {
      fprintf (stderr, "failover, K=%u, %u trials\n", o.members, o.trials);
      fo = failover (&o, o.members);
    }
  if (wanted (only, "join"))
    {
      fprintf (stderr, "join, K=%u, %u trials\n", o.members, o.trials);
      joins = join (&o, o.members);
    }
  if (wanted (only, "memory"))
    {
      fprintf (stderr, "memory\n");
      mem = memory (&o, o.members);
    }

  g_string_append_printf (table, "\n## Groupy, K = %u, %s, %u run%s per figure (median)\n\n"
                                 "| figure | value |\n|---|---|\n", o.members,
                          o.hosts != NULL ? "members in network namespaces (--hosts)" : "loopback",
                          o.runs, o.runs > 1 ? "s" : "");
  if (have_t)
    report_tput (table, j, &t16, "16", "16 B", 16);
  if (t1k.rates != NULL)
    report_tput (table, j, &t1k, "1k", "1 KiB", 1024);
  if (tls_floor.suite != NULL)
    report_tls_floor (table, j, &tls_floor, &o, have_t ? &t16 : NULL,
                      t1k.rates != NULL ? &t1k : NULL);
  if (have_closed)
    {
      g_string_append_printf (table, "| latency, closed loop (1 in flight) "
                                     "| p50 %.0f µs · p99 %.0f µs · "
                                     "p99.9 %.0f µs |\n", closed.p50, closed.p99, closed.p999);
      json_num (j, "lat_closed_p50_us", closed.p50);
      json_num (j, "lat_closed_p99_us", closed.p99);
      json_num (j, "lat_closed_p999_us", closed.p999);
      g_string_append_printf (j, "\"lat_closed_samples\":%" G_GUINT64_FORMAT ",", closed.samples);
    }
  if (have_lat)
    {
      g_string_append_printf (table, "| latency, closed loop (1 in flight) "
                                     "| p50 %.0f µs · p99 %.0f µs · p99.9 %.0f µs |\n",
                              closed.p50, closed.p99, closed.p999);
      g_string_append_printf (table, "| latency at half throughput (%.0f msgs/s), after %.1f s "
                                     "| p50 %.0f µs · p99 %.0f µs · p99.9 %.0f µs |\n",
                              half.rate, o.warmup, half.p50, half.p99, half.p999);
      if (half.onset_samples > 0)
        g_string_append_printf (table, "| latency at half throughput, its first %.1f s "
                                       "| p99 %.0f µs · max %.0f µs |\n",
                                o.warmup, half.onset_p99, half.onset_max);
      json_num (j, "lat_closed_p50_us", closed.p50);
      json_num (j, "lat_closed_p99_us", closed.p99);
      json_num (j, "lat_closed_p999_us", closed.p999);
      g_string_append_printf (j, "\"lat_closed_samples\":%" G_GUINT64_FORMAT ",", closed.samples);
      json_num (j, "lat_half_rate_msgs_s", half.rate);
      json_num (j, "lat_half_p50_us", half.p50);
      json_num (j, "lat_half_p99_us", half.p99);
      json_num (j, "lat_half_p999_us", half.p999);
      g_string_append_printf (j, "\"lat_half_samples\":%" G_GUINT64_FORMAT ",", half.samples);
      json_num (j, "lat_half_warmup_s", o.warmup);
      json_num (j, "lat_half_onset_p99_us", half.onset_p99);
      json_num (j, "lat_half_onset_max_us", half.onset_max);
    }
  if (have_floor)
    for (guint i = 0; i < G_N_ELEMENTS (floors); i++)
      {
        const Floor *f = &floors[i];
        g_autofree char *k50 = g_strdup_printf ("floor_%s_p50_us", f->key);
        g_autofree char *k99 = g_strdup_printf ("floor_%s_p99_us", f->key);
        g_autofree char *k999 = g_strdup_printf ("floor_%s_p999_us", f->key);

        g_string_append_printf (table, "| floor: %s, 16 B, round trip "
                                       "| p50 %.0f µs · p99 %.0f µs · p99.9 %.0f µs |\n",
                                f->what, f->p50, f->p99, f->p999);
        json_num (j, k50, f->p50);
        json_num (j, k99, f->p99);
        json_num (j, k999, f->p999);
      }
  if (have_floor)
    {
      g_string_append_printf (table, "| the machine's own stalls (a thread per CPU reads the "
                                     "clock; nothing else of ours runs) | 1 ms or longer: "
                                     "%.1f a second per CPU, %.2f %% of the time; 100 µs or "
                                     "longer: %.2f %%; longest %.2f ms |\n",
                              stalls.per_cpu_s, stalls.pct_1ms, stalls.pct_100us,
                              stalls.longest_ms);
      json_num (j, "stalls_1ms_per_cpu_s", stalls.per_cpu_s);
      json_num (j, "stalls_1ms_time_pct", stalls.pct_1ms);
      json_num (j, "stalls_100us_time_pct", stalls.pct_100us);
      json_num (j, "stalls_longest_ms", stalls.longest_ms);
    }
  if (have_lat || have_closed)
    {
      g_string_append_printf (table, "| latency, closed loop, TCP only "
                                     "(GROUPY_NO_LOCAL_SOCKETS=1) "
                                     "| p50 %.0f µs · p99 %.0f µs · p99.9 %.0f µs |\n",
                              closed_tcp.p50, closed_tcp.p99, closed_tcp.p999);
      json_num (j, "lat_closed_tcp_p50_us", closed_tcp.p50);
      json_num (j, "lat_closed_tcp_p99_us", closed_tcp.p99);
      json_num (j, "lat_closed_tcp_p999_us", closed_tcp.p999);
    }
  if (have_floor && (have_lat || have_closed))
    {
      g_autofree char *tcp = over_floor (closed.p50, closed.p99, floor_tcp);
      g_autofree char *unx = over_floor (closed.p50, closed.p99, floor_unix);
      g_autofree char *tcp_tcp = over_floor (closed_tcp.p50, closed_tcp.p99, floor_tcp);

      g_string_append_printf (table, "| closed-loop latency over the floor "
                                     "(the fan-out's p50 · p99) "
                                     "| %s over TCP's, %s over Unix-domain's; "
                                     "TCP only: %s over TCP's |\n", tcp, unx, tcp_tcp);
      json_num (j, "lat_closed_over_floor_p50", closed.p50 / MAX (floor_tcp->p50, 1));
      json_num (j, "lat_closed_over_floor_p99", closed.p99 / MAX (floor_tcp->p99, 1));
      json_num (j, "lat_closed_over_unix_floor_p50", closed.p50 / MAX (floor_unix->p50, 1));
      json_num (j, "lat_closed_over_unix_floor_p99", closed.p99 / MAX (floor_unix->p99, 1));
      json_num (j, "lat_closed_tcp_over_floor_p50", closed_tcp.p50 / MAX (floor_tcp->p50, 1));
      json_num (j, "lat_closed_tcp_over_floor_p99", closed_tcp.p99 / MAX (floor_tcp->p99, 1));
    }
  if (fo.installed != NULL)
    {
      g_string_append_printf (table, "| failover: kill -9 of the leader → next view "
                                     "at every survivor "
                                     "| median %.2f ms · p90 %.2f ms · max %.2f ms |\n",
                              median (fo.installed), quantile (fo.installed, 0.9),
                              max_of (fo.installed));
      g_string_append_printf (table, "| failover: kill -9 of the leader → a multicast "
                                     "delivered in it at every survivor "
                                     "| median %.2f ms · max %.2f ms |\n",
                              median (fo.first), max_of (fo.first));
      json_num (j, "failover_view_ms", median (fo.installed));
      json_num (j, "failover_view_max_ms", max_of (fo.installed));
      json_num (j, "failover_first_ms", median (fo.first));
      json_array (j, "failover_view_trials_ms", fo.installed);
      json_array (j, "failover_first_trials_ms", fo.first);
    }
  if (joins != NULL)
    {
      g_string_append_printf (table, "| join: call → holding the state (%u B) "
                                     "| median %.2f ms · p90 %.2f ms · max %.2f ms |\n",
                              o.state_size, median (joins), quantile (joins, 0.9), max_of (joins));
      json_num (j, "join_ms", median (joins));
      json_num (j, "join_max_ms", max_of (joins));
      json_array (j, "join_trials_ms", joins);
    }
  if (mem.member_idle_kb > 0)
    {
      g_string_append_printf (table,
                              "| resident size, idle member | %.1f MB (groupy-node: %.1f MB) |\n",
                              mem.member_idle_kb / 1024, mem.node_idle_kb / 1024);
      json_num (j, "rss_idle_kb", mem.member_idle_kb);
      json_num (j, "rss_node_idle_kb", mem.node_idle_kb);
    }
  if (have_t && t1k.rates != NULL)
    g_string_append_printf (table, "| resident size, full load "
                                   "| %.1f MB (16 B) · %.1f MB (1 KiB), largest member |\n",
                            t16.rss_load_kb / 1024, t1k.rss_load_kb / 1024);
  fputs (table->str, stdout);
  fputs (steady_table->str, stdout);
  fflush (stdout);
  g_string_truncate (table, 0);
  g_string_free (steady_table, TRUE);

  if (wanted (only, "scaling"))
    {
      double k3 = 0;

      fprintf (stderr, "scaling, 16 B\n");
      g_string_append (table, "\n## Scaling: throughput, 16 B, every member sending\n\n"
                              "| K | msgs/s per member | CPU per message, all members "
                              "| order identical | views during runs |\n"
                              "|---|---|---|---|---|\n");
      g_string_append (j, "\"scaling\":[");
      for (guint i = 0; scaling[i]; i++)
        {
          guint k = (guint) g_ascii_strtoll (scaling[i], NULL, 10);
          Tput t = throughput (&o, k, 16);

          if (k == 3)
            k3 = t.rate;
          g_string_append_printf (table, "| %u | %.0f | %.2f µs | %s | %u |\n", k, t.rate,
                                  t.cpu_us, t.order_ok ? "yes" : "NO", t.view_changes);
          g_string_append_printf (j, "%s{\"k\":%u,\"msgs_s\":%.0f,\"cpu_us_per_msg\":%.3f,"
                                     "\"order_identical\":%s,\"view_changes\":%u}",
                                  i ? "," : "", k, t.rate, t.cpu_us,
                                  t.order_ok ? "true" : "false", t.view_changes);
          if (k == 33 && k3 > 0)
            g_string_append_printf (table, "\nK=33 reaches %.2f of the K=3 throughput.\n",
                                    t.rate / k3);
          g_array_unref (t.rates);
          g_array_unref (t.cpus);
        }
      g_string_append (j, "],");
      fputs (table->str, stdout);
      fflush (stdout);
      g_string_truncate (table, 0);
    }

  if (corosync != NULL)
    {
      work = g_dir_make_tmp ("groupy-bench-corosync-XXXXXX", &error);
      if (work == NULL)
        g_error ("%s", error->message);
      g_string_append (j, "\"corosync\":{");
      for (guint i = 0; cfgs[i]; i++)
        for (guint c = 0; c < G_N_ELEMENTS (coro); c++)
          if (g_str_equal (cfgs[i], coro[c].label) && run_corosync (&o, corosync, &coro[c], work))
            {
              Coro *r = &coro[c];

              g_string_append_printf (j, "\"%s\":{\"transport\":\"%s\",\"sched_rr\":\"%s\",",
                                      r->label, r->transport, r->sched_rr);
              json_num (j, "tput16_msgs_s", r->tput16);
              g_string_append_printf (j, "\"tput16_mode\":\"%s\",",
                                      r->tput16_mode ? r->tput16_mode : "");
              json_num (j, "tput16_all_msgs_s", r->tput16_all);
              json_num (j, "tput1k_msgs_s", r->tput1k);
              json_num (j, "lat_closed_p50_us", r->p50);
              json_num (j, "lat_closed_p99_us", r->p99);
              json_num (j, "lat_closed_p999_us", r->p999);
              json_num (j, "join_ms", r->join_ms);
              json_num (j, "dead_client_noticed_ms", r->faildet_ms);
              g_string_truncate (j, j->len - 1);
              g_string_append (j, "},");
              if (best_t == NULL || r->tput16 > best_t->tput16)
                best_t = r;
              if (r->p50 > 0 && (best_p50 == NULL || r->p50 < best_p50->p50))
                best_p50 = r;
              if (r->p99 > 0 && (best_p99 == NULL || r->p99 < best_p99->p99))
                best_p99 = r;
            }
      if (j->str[j->len - 1] == ',')
        g_string_truncate (j, j->len - 1);
      g_string_append (j, "},");
      {
        g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", work);

        if (system (cmd) != 0)
          fprintf (stderr, "groupy-bench: could not remove %s\n", work);
      }

      g_string_append (table, "\n## Side by side with Corosync CPG "
                              "(same machine, same run; K = 5)\n\n"
                              "| figure | Groupy | Corosync (best setting) | ratio |\n"
                              "|---|---|---|---|\n");
      if (best_t != NULL && have_t)
        {
          double bt1k = 0;
          const char *bt1k_label = "";

          for (guint c = 0; c < G_N_ELEMENTS (coro); c++)
            if (coro[c].ran && coro[c].tput1k > bt1k)
              {
                bt1k = coro[c].tput1k;
                bt1k_label = coro[c].label;
              }
          g_string_append_printf (table, "| throughput 16 B, msgs/s per member "
                                         "| %.0f | %.0f (%s, %s) | **%.1f×** |\n",
                                  t16.rate, best_t->tput16, best_t->label, best_t->tput16_mode,
                                  t16.rate / best_t->tput16);
          json_num (j, "ratio_tput16", t16.rate / best_t->tput16);
          if (t1k.rates != NULL && bt1k > 0)
            {
              g_string_append_printf (table, "| throughput 1 KiB, msgs/s per member "
                                             "| %.0f | %.0f (%s) | %.1f× |\n",
                                      t1k.rate, bt1k, bt1k_label, t1k.rate / bt1k);
              json_num (j, "ratio_tput1k", t1k.rate / bt1k);
            }
        }
      if (best_p50 != NULL && have_lat)
        {
          g_string_append_printf (table, "| closed-loop latency p50 "
                                         "| %.0f µs | %.0f µs (%s) | %.2f× lower |\n",
                                  closed.p50, best_p50->p50, best_p50->label,
                                  best_p50->p50 / MAX (closed.p50, 1));
          g_string_append_printf (table, "| closed-loop latency p99 "
                                         "| %.0f µs | %.0f µs (%s) | %.2f× lower |\n",
                                  closed.p99, best_p99->p99, best_p99->label,
                                  best_p99->p99 / MAX (closed.p99, 1));
          json_num (j, "ratio_lat_p50", best_p50->p50 / MAX (closed.p50, 1));
          json_num (j, "ratio_lat_p99", best_p99->p99 / MAX (closed.p99, 1));
        }
      if (best_p50 != NULL && have_floor)
        {
          const Floor *over[2] = { floor_tcp, floor_unix };
          const char *kind[2] = { "TCP", "Unix-domain" };

          for (guint f = 0; f < 2; f++)
            {
              g_autofree char *g = have_lat || have_closed
                                     ? over_floor (closed.p50, closed.p99, over[f])
                                     : g_strdup ("—");
              g_autofree char *c = over_floor (best_p50->p50, best_p99->p99, over[f]);

              g_string_append_printf (table, "| closed-loop latency over the floor "
                                             "(fan-out to %u, %s: p50 %.0f µs, p99 %.0f µs), "
                                             "p50 · p99 | %s | %s | |\n", o.members - 1,
                                      kind[f], over[f]->p50, over[f]->p99, g, c);
            }
          json_num (j, "corosync_over_floor_p50", best_p50->p50 / MAX (floor_tcp->p50, 1));
          json_num (j, "corosync_over_floor_p99", best_p99->p99 / MAX (floor_tcp->p99, 1));
        }
      {
        Coro *bj = NULL, *bf = NULL;

        for (guint c = 0; c < G_N_ELEMENTS (coro); c++)
          if (coro[c].ran)
            {
              if (coro[c].join_ms > 0 && (bj == NULL || coro[c].join_ms < bj->join_ms))
                bj = &coro[c];
              if (coro[c].faildet_ms > 0 && (bf == NULL || coro[c].faildet_ms < bf->faildet_ms))
                bf = &coro[c];
            }
        if (joins != NULL && bj != NULL)
          g_string_append_printf (table, "| join, median | %.2f ms, with %u B of state "
                                         "| %.2f ms (%s), no state | |\n",
                                  median (joins), o.state_size, bj->join_ms, bj->label);
        if (fo.installed != NULL && bf != NULL)
          g_string_append_printf (table, "| a killed process noticed, median "
                                         "| %.2f ms: the leader, until the next view at every "
                                         "survivor | %.2f ms (%s): a local client, "
                                         "until its members are told | |\n",
                                  median (fo.installed), bf->faildet_ms, bf->label);
      }
      g_string_append (table, "\nEvery Corosync setting run (medians):\n\n"
                              "| setting | 16 B msgs/s (best mode) | 16 B all send | 1 KiB | "
                              "closed loop p50 / p99 / p99.9 µs | join | dead client noticed |\n"
                              "|---|---|---|---|---|---|---|\n");
      for (guint c = 0; c < G_N_ELEMENTS (coro); c++)
        if (coro[c].ran)
          g_string_append_printf (table, "| %s (TRANSPORT=%s SCHED_RR=%s) | %.0f (%s) | %.0f "
                                         "| %.0f (%s) | %.0f / %.0f / %.0f | %.2f ms | %.2f ms |\n",
                                  coro[c].label, coro[c].transport, coro[c].sched_rr,
                                  coro[c].tput16, coro[c].tput16_mode, coro[c].tput16_all,
                                  coro[c].tput1k, coro[c].tput1k_mode, coro[c].p50, coro[c].p99,
                                  coro[c].p999, coro[c].join_ms, coro[c].faildet_ms);
      fputs (table->str, stdout);
    }

  if (j->str[j->len - 1] == ',')
    g_string_truncate (j, j->len - 1);
  g_string_append (j, "}");
  printf ("\n%s\n", j->str);
  g_string_free (j, TRUE);
  g_string_free (table, TRUE);
  g_strfreev (o.hosts);
  return 0;
}
