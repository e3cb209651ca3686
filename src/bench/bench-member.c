/* bench-member.c: one member of a benchmarked group (groupy-bench --member).
 *
 * It joins (or creates) the group, then obeys one-line commands on stdin and
 * answers on stdout:
 *
 *   measure          reset the counters, the order hash and the histogram
 *   tput S           multicast flat out (as the window allows) for S seconds
 *   rate R S         multicast R messages per second for S seconds; each
 *                    message's latency counts from when it was due
 *   closed S         one message in flight: the next one on its delivery
 *   stop             stop multicasting and counting
 *   report           "result DELIVERED SECONDS LAST_SEQ HASH VIEWS hist B:N ..."
 *                    (DELIVERED in SECONDS between two readings of the clock)
 *   leave            leave cleanly, then exit
 *   quit             exit
 *
 * and on its own: "listening ADDR", "ready" once the view holds --want
 * members, "view ID N T LEADER" at every view, "first T" at the first delivery of
 * a multicast after a view, "joined US" (--joiner: from the join call to
 * holding the state).  Times are CLOCK_MONOTONIC microseconds, one clock for
 * every process of the machine.
 */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

typedef enum {
  SEND_NONE,
  SEND_FLAT,
  SEND_RATE,
  SEND_CLOSED,
} SendMode;

typedef struct {
  GrpGroup *group;
  GMainLoop *loop;
  guint want;
  gsize size;
  gsize state_size;
  gboolean ready;
  gboolean said_ready;

  SendMode mode;
  gint64 until;
  double rate;
  gint64 started;
  guint64 sent;
  guint pump_id;
  GSource *pace;         /* SEND_RATE: wakes at the next message's time */

  gboolean counting;
  guint64 delivered;
  gint64 first, last;    /* clock at first_count and last_count deliveries */
  guint64 first_count, last_count;
  guint64 base_seq;      /* the order hash covers positions after the full view */
  guint64 hash;
  guint64 last_seq;
  guint views;           /* views installed since `measure` */
  gboolean want_first;   /* report the next delivery of a multicast */
  BenchHist hist;
  gint64 join_started;
} Member;

static gboolean pump (gpointer data);

/* The message carries the time it counts from: when it was due (at a
 * steady rate: sent late, by a busy loop or the window, it counts its wait
 * too), else now. */
static gboolean
send_one (Member *m)
{
  guint8 *buf = g_malloc0 (m->size);
  gint64 stamp = m->mode == SEND_RATE ? m->started + (gint64) (m->sent * 1e6 / m->rate)
                                      : g_get_monotonic_time ();
  g_autoptr(GBytes) payload = NULL;

  memcpy (buf, &stamp, sizeof stamp);
  payload = g_bytes_new_take (buf, m->size);
  if (grp_group_multicast (m->group, payload, NULL) == 0)
    return FALSE; /* the window is full: flow control */
  m->sent++;
  return TRUE;
}

static void
stop_sending (Member *m)
{
  m->mode = SEND_NONE;
  g_clear_handle_id (&m->pump_id, g_source_remove);
  if (m->pace != NULL)
    g_source_destroy (m->pace);
  g_clear_pointer (&m->pace, g_source_unref);
}

static gboolean
pace_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs pace_funcs = { NULL, NULL, pace_dispatch, NULL, NULL, NULL };

/* Flat out: fill the window, then wait for own deliveries to free some of
 * it (on_delivered starts the pump again). */
static gboolean
pump (gpointer data)
{
  Member *m = data;
  gint64 now = g_get_monotonic_time ();

  if (now >= m->until)
    {
      m->pump_id = 0;
      stop_sending (m);
      return G_SOURCE_REMOVE;
    }
  if (m->mode == SEND_FLAT)
    {
      for (int i = 0; i < 64; i++)
        if (!send_one (m))
          {
            m->pump_id = 0;
            return G_SOURCE_REMOVE;
          }
    }
  else if (m->mode == SEND_RATE)
    {
      /* Message n is due at started + n / rate: send what is due (within
       * the window), then sleep until the next one, 50 µs at least. */
      guint64 due = (guint64) ((now - m->started) * m->rate / 1e6) + 1;
      gint64 next;

      while (m->sent < due && send_one (m))
        ;
      next = m->started + (gint64) (m->sent * 1e6 / m->rate);
      g_source_set_ready_time (m->pace, MAX (next, now + 50));
    }
  return G_SOURCE_CONTINUE;
}

static void
on_delivered (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *payload,
              gpointer data)
{
  Member *m = data;
  gboolean mine = strcmp (from, grp_group_get_name (g)) == 0;
  gint64 now = 0;

  m->last_seq = seq;
  if (seq > m->base_seq && m->ready)
    m->hash = bench_hash_step (m->hash, seq, from, ctr);
  if (m->want_first)
    {
      m->want_first = FALSE;
      printf ("first %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
      fflush (stdout);
    }
  if (!m->counting)
    return;
  m->delivered++;
  /* The clock costs as much as a delivery here: flat out, read it every
   * 256 deliveries (the rate's ends); for latency, at every one. */
  if (m->mode == SEND_RATE || m->mode == SEND_CLOSED || m->first == 0 || (m->delivered & 255) == 0)
    {
      now = g_get_monotonic_time ();
      if (m->first == 0)
        {
          m->first = now;
          m->first_count = m->delivered;
        }
      m->last = now;
      m->last_count = m->delivered;
    }
  if (m->mode == SEND_RATE || m->mode == SEND_CLOSED)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (payload, &len);
      gint64 sent;

      if (len >= sizeof sent)
        {
          memcpy (&sent, p, sizeof sent);
          bench_hist_add (&m->hist, now - sent);
        }
    }
  if (m->mode == SEND_CLOSED && mine)
    {
      if (now < m->until)
        send_one (m); /* the previous one is delivered: one in flight */
      else
        stop_sending (m);
    }
  else if (m->mode == SEND_FLAT && mine && m->pump_id == 0 &&
           grp_group_get_pending (g) <= grp_group_get_window (g) / 2)
    {
      if (g_get_monotonic_time () < m->until)
        m->pump_id = g_idle_add (pump, m);
      else
        stop_sending (m);
    }
}

static void
on_view (GrpGroup *g, guint64 id, guint64 seq, GStrv names, GStrv joined, GStrv left,
         gpointer data)
{
  Member *m = data;
  guint n = g_strv_length (names);

  m->last_seq = seq;
  m->views++;
  printf ("view %" G_GUINT64_FORMAT " %u %" G_GINT64_FORMAT " %s\n", id, n, g_get_monotonic_time (),
          n > 0 ? names[0] : "-");
  if (m->ready)
    m->want_first = TRUE;
  if (!m->ready && n == m->want)
    {
      m->ready = TRUE;
      m->base_seq = seq;
    }
  /* (The state may have made a joiner ready before its first view.) */
  if (m->ready && !m->said_ready)
    {
      m->said_ready = TRUE;
      printf ("ready\n");
    }
  fflush (stdout);
}

/* The state begins with the order hash, so that a member left out and taken
 * back (a state transfer) goes on with the group's hash rather than one
 * that lacks what it missed: its order is then checked like the others'. */
typedef struct {
  guint64 ready;
  guint64 base_seq;
  guint64 hash;
} StateHead;

static GBytes *
get_state (GrpGroup *g, gpointer data)
{
  Member *m = data;
  gsize size = MAX (m->state_size, sizeof (StateHead));
  guint8 *buf = g_malloc0 (size);
  StateHead head = { m->ready, m->base_seq, m->hash };

  memcpy (buf, &head, sizeof head);
  return g_bytes_new_take (buf, size);
}

static void
set_state (GrpGroup *g, guint64 seq, GBytes *state, gpointer data)
{
  Member *m = data;
  StateHead head;

  if (g_bytes_get_size (state) < sizeof head)
    return;
  memcpy (&head, g_bytes_get_data (state, NULL), sizeof head);
  if (head.ready)
    {
      m->ready = TRUE;
      m->base_seq = head.base_seq;
      m->hash = head.hash;
    }
}

static void
joined (GObject *source, GAsyncResult *res, gpointer data)
{
  Member *m = data;
  g_autoptr(GError) error = NULL;

  if (!grp_group_join_finish (m->group, res, &error))
    {
      fprintf (stderr, "member: join failed: %s\n", error->message);
      exit (3);
    }
  printf ("joined %" G_GINT64_FORMAT "\n", g_get_monotonic_time () - m->join_started);
  fflush (stdout);
}

static void
left (GObject *source, GAsyncResult *res, gpointer data)
{
  Member *m = data;

  g_main_loop_quit (m->loop);
}

static void
start_sending (Member *m, SendMode mode, double seconds)
{
  stop_sending (m);
  m->mode = mode;
  m->started = g_get_monotonic_time ();
  m->until = m->started + (gint64) (seconds * 1e6);
  m->sent = 0;
  if (mode == SEND_CLOSED)
    send_one (m);
  else if (mode == SEND_FLAT)
    m->pump_id = g_idle_add (pump, m);
  else
    {
      /* Each member at its own phase: members that all sent at the same
       * instant would measure their own pile-up. */
      m->started += g_random_int_range (0, (gint32) MIN (1e6 / m->rate, 1000) + 1);
      m->pace = g_source_new (&pace_funcs, sizeof (GSource));
      g_source_set_callback (m->pace, pump, m, NULL);
      g_source_set_ready_time (m->pace, m->started);
      g_source_attach (m->pace, NULL);
    }
}

static gboolean
on_stdin (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  Member *m = data;
  g_autofree char *line = NULL;
  double a, b;

  if (g_io_channel_read_line (ch, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
    {
      g_main_loop_quit (m->loop);
      return G_SOURCE_REMOVE;
    }
  if (g_str_has_prefix (line, "measure"))
    {
      m->counting = TRUE;
      m->delivered = m->first_count = m->last_count = 0;
      m->first = m->last = 0;
      m->views = 0;
      bench_hist_reset (&m->hist);
    }
  else if (sscanf (line, "tput %lf", &a) == 1)
    start_sending (m, SEND_FLAT, a);
  else if (sscanf (line, "rate %lf %lf", &a, &b) == 2)
    {
      m->rate = MAX (a, 1);
      start_sending (m, SEND_RATE, b);
    }
  else if (sscanf (line, "closed %lf", &a) == 1)
    start_sending (m, SEND_CLOSED, a);
  else if (g_str_has_prefix (line, "stop"))
    {
      stop_sending (m);
      m->counting = FALSE;
    }
  else if (g_str_has_prefix (line, "report"))
    {
      g_autofree char *hist = bench_hist_format (&m->hist);

      printf ("result %" G_GUINT64_FORMAT " %.6f %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
              " %u hist%s\n",
              m->last_count - m->first_count,
              m->last > m->first ? (m->last - m->first) / 1e6 : 0.0, m->last_seq, m->hash,
              m->views, hist);
      fflush (stdout);
    }
  else if (g_str_has_prefix (line, "leave"))
    {
      stop_sending (m);
      grp_group_leave_async (m->group, NULL, left, m);
    }
  else if (g_str_has_prefix (line, "quit"))
    g_main_loop_quit (m->loop);
  return G_SOURCE_CONTINUE;
}

int
bench_member_main (const char *name, const char *contact, guint want, gsize size, gsize state_size,
                   gboolean joiner, const char *secret_file, const char *listen,
                   gboolean insecure)
{
  Member m = { 0 };
  g_autoptr(GError) error = NULL;
  GIOChannel *in = g_io_channel_unix_new (0);

  prctl (PR_SET_PDEATHSIG, SIGKILL); /* never outlive the driver */
  m.group = grp_group_new (name);
  m.loop = g_main_loop_new (NULL, FALSE);
  m.want = want;
  m.size = MAX (size, sizeof (gint64));
  m.state_size = state_size;
  m.hash = BENCH_HASH_INIT;
  bench_hist_init (&m.hist);
  grp_group_set_delivered_func (m.group, on_delivered, &m, NULL);
  g_signal_connect (m.group, "view-changed", G_CALLBACK (on_view), &m);
  grp_group_set_get_state_func (m.group, get_state, &m, NULL);
  grp_group_set_set_state_func (m.group, set_state, &m, NULL);
  grp_group_set_insecure (m.group, insecure);
  if ((secret_file != NULL && !grp_group_set_secret_file (m.group, secret_file, &error)) ||
      !grp_group_listen (m.group, listen, NULL, &error))
    {
      fprintf (stderr, "member: %s\n", error->message);
      return 2;
    }
  printf ("listening %s\n", grp_group_get_address (m.group));
  fflush (stdout);
  if (contact == NULL)
    grp_group_create (m.group, NULL);
  else
    {
      m.join_started = g_get_monotonic_time ();
      grp_group_join_async (m.group, contact, NULL, joiner ? joined : NULL, &m);
    }
  g_io_add_watch (in, G_IO_IN | G_IO_HUP, on_stdin, &m);
  g_main_loop_run (m.loop);
  g_io_channel_unref (in);
  g_object_unref (m.group);
  bench_hist_clear (&m.hist);
  return 0;
}
