/* slow-switch.c: an Ethernet switch in user space whose links are slow and
 * lossy, for kernels without the netem qdisc (tests/test-hosts.sh).
 *
 *   slow-switch [--delay MS] [--jitter MS] [--loss PERCENT] [--limit FRAMES]
 *               [--seed N] NETNS/TAP...
 *
 * Each port is a TAP device made beforehand inside a network namespace
 * (`ip -n NETNS tuntap add mode tap name TAP`); the switch attaches to it
 * from that namespace, so a host sees an ordinary Ethernet interface and
 * nothing of the switch.  Every frame from one port to another is held
 * DELAY ± JITTER ms (uniform, as netem's "delay D J" without a
 * distribution) and dropped with probability PERCENT / 100, independently
 * on every link (a pair of ports, one direction); a broadcast reaches each
 * other port through its own link.  Frames on one link keep their order (a
 * frame waits at least until the one before it on its link has gone): a
 * path whose queues vary, not a network that reorders.  A port holds at
 * most FRAMES frames in flight towards it (netem's limit, 1000 by default);
 * beyond, frames are dropped.  The switch learns where each address is
 * from the frames it sees and floods frames to an address it has not seen.
 *
 * It prints "ready" once every port is attached; SIGTERM or SIGINT end it,
 * with a line of counts on stderr.  Needs CAP_NET_ADMIN and CAP_SYS_ADMIN
 * (root): it enters each namespace to attach to its TAP.
 */
#define _GNU_SOURCE /* setns, struct ifreq */

#include <gio/gio.h>
#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_PORTS 16
#define FRAME_MAX 65536
#define READS_PER_WAKEUP 64

typedef struct {
  gint64 due;             /* monotonic µs */
  gsize len;
  guint8 data[];
} Frame;

typedef struct {
  char *spec;             /* NETNS/TAP, for messages */
  int fd;
  guint held;             /* frames in flight towards this port */
} Port;

typedef struct {
  Port ports[MAX_PORTS];
  guint n_ports;
  /* links[from][to]: frames in flight, in order, each due no earlier than
   * the one before it. */
  GQueue links[MAX_PORTS][MAX_PORTS];
  GHashTable *where;      /* MAC (6 bytes, as a guint64) -> port index + 1 */
  GRand *rand;
  gint64 delay_us, jitter_us;
  double loss;
  guint limit;
  GSource *timer;
  GMainLoop *loop;
  guint64 forwarded, lost, overflow;
} Switch;

static int
attach (const char *spec, GError **error)
{
  g_autofree char *ns = g_strdup (spec);
  char *tap = strchr (ns, '/');
  g_autofree char *ns_path = NULL;
  struct ifreq ifr = { 0 };
  int self_fd, ns_fd, fd = -1, saved = 0;

  if (tap == NULL || tap == ns || tap[1] == '\0' || strlen (tap + 1) >= IFNAMSIZ)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s: a port is NETNS/TAP (a namespace under /run/netns and a TAP device in it)",
                   spec);
      return -1;
    }
  *tap++ = '\0';
  ns_path = g_build_filename ("/run/netns", ns, NULL);
  self_fd = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  ns_fd = open (ns_path, O_RDONLY | O_CLOEXEC);
  if (self_fd < 0 || ns_fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: cannot open %s: %s", spec,
                   self_fd < 0 ? "/proc/self/ns/net" : ns_path, g_strerror (saved));
      goto out;
    }
  /* The TAP device belongs to the namespace /dev/net/tun is opened in. */
  if (setns (ns_fd, CLONE_NEWNET) < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: cannot enter namespace %s: %s", spec, ns, g_strerror (saved));
      goto out;
    }
  fd = open ("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0)
    {
      ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
      g_strlcpy (ifr.ifr_name, tap, IFNAMSIZ);
      if (ioctl (fd, TUNSETIFF, &ifr) < 0)
        {
          saved = errno;
          close (fd);
          fd = -1;
        }
    }
  else
    saved = errno;
  if (setns (self_fd, CLONE_NEWNET) < 0)
    g_error ("cannot return to the switch's own namespace: %s", g_strerror (errno));
  if (fd < 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 "%s: cannot attach to TAP %s in %s: %s", spec, tap, ns, g_strerror (saved));
out:
  if (self_fd >= 0)
    close (self_fd);
  if (ns_fd >= 0)
    close (ns_fd);
  return fd;
}

static guint64
mac_key (const guint8 *mac)
{
  guint64 k = 0;

  for (guint i = 0; i < 6; i++)
    k = (k << 8) | mac[i];
  return k;
}

/* The earliest frame due, over every link; 0 if none. */
static gint64
next_due (Switch *sw)
{
  gint64 next = 0;

  for (guint a = 0; a < sw->n_ports; a++)
    for (guint b = 0; b < sw->n_ports; b++)
      {
        Frame *f = g_queue_peek_head (&sw->links[a][b]);

        if (f != NULL && (next == 0 || f->due < next))
          next = f->due;
      }
  return next;
}

static void
arm_timer (Switch *sw)
{
  gint64 next = next_due (sw);

  g_source_set_ready_time (sw->timer, next == 0 ? -1 : next);
}

static void
send_to (Switch *sw, guint from, guint to, const guint8 *data, gsize len, gint64 now)
{
  GQueue *link = &sw->links[from][to];
  Frame *last = g_queue_peek_tail (link);
  Frame *f;
  gint64 due;

  if (sw->loss > 0 && g_rand_double (sw->rand) < sw->loss)
    {
      sw->lost++;
      return;
    }
  if (sw->ports[to].held >= sw->limit)
    {
      sw->overflow++;
      return;
    }
  due = now + sw->delay_us;
  if (sw->jitter_us > 0)
    due += g_rand_int_range (sw->rand, (gint32) -sw->jitter_us, (gint32) sw->jitter_us + 1);
  if (last != NULL && last->due > due)
    due = last->due;
  f = g_malloc (sizeof (Frame) + len);
  f->due = due;
  f->len = len;
  memcpy (f->data, data, len);
  g_queue_push_tail (link, f);
  sw->ports[to].held++;
}

static void
forward (Switch *sw, guint from, const guint8 *frame, gsize len, gint64 now)
{
  gpointer to;

  if (len < 14)
    return;
  /* Where the sender is: frames for it go to this port from now on. */
  if (!(frame[6] & 1))
    g_hash_table_insert (sw->where,
                         g_memdup2 (&(guint64) { mac_key (frame + 6) }, sizeof (guint64)),
                         GUINT_TO_POINTER (from + 1));
  to = (frame[0] & 1) ? NULL : g_hash_table_lookup (sw->where, &(guint64) { mac_key (frame) });
  if (to != NULL)
    {
      if (GPOINTER_TO_UINT (to) - 1 != from)
        send_to (sw, from, GPOINTER_TO_UINT (to) - 1, frame, len, now);
      return;
    }
  for (guint p = 0; p < sw->n_ports; p++)
    if (p != from)
      send_to (sw, from, p, frame, len, now);
}

typedef struct {
  Switch *sw;
  guint port;
} PortRef;

static gboolean
readable (gint fd, GIOCondition cond, gpointer data)
{
  PortRef *ref = data;
  Switch *sw = ref->sw;
  guint8 buf[FRAME_MAX];
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < READS_PER_WAKEUP; i++)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        break;
      if (n < 0)
        g_error ("%s: read: %s", sw->ports[ref->port].spec, g_strerror (errno));
      forward (sw, ref->port, buf, (gsize) n, now);
    }
  arm_timer (sw);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_fired (gpointer data)
{
  Switch *sw = data;
  gint64 now = g_get_monotonic_time ();

  for (guint a = 0; a < sw->n_ports; a++)
    for (guint b = 0; b < sw->n_ports; b++)
      {
        Frame *f;

        while ((f = g_queue_peek_head (&sw->links[a][b])) != NULL && f->due <= now)
          {
            g_queue_pop_head (&sw->links[a][b]);
            sw->ports[b].held--;
            /* A TAP takes a frame at once or not at all: a full one drops it,
             * as a full device queue would. */
            if (write (sw->ports[b].fd, f->data, f->len) == (ssize_t) f->len)
              sw->forwarded++;
            else
              sw->overflow++;
            g_free (f);
          }
      }
  arm_timer (sw);
  return G_SOURCE_CONTINUE;
}

static gboolean
stop (gpointer data)
{
  g_main_loop_quit (((Switch *) data)->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
ready_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs ready_funcs = { NULL, NULL, ready_dispatch, NULL, NULL, NULL };

int
main (int argc, char **argv)
{
  gint64 delay = 0, jitter = 0, limit = 1000, seed = -1;
  double loss = 0;
  GOptionEntry entries[] = {
    { "delay", 0, 0, G_OPTION_ARG_INT64, &delay, "Delay of every link (default 0)", "MS" },
    { "jitter", 0, 0, G_OPTION_ARG_INT64, &jitter, "Delay varies by up to this, either way", "MS" },
    { "loss", 0, 0, G_OPTION_ARG_DOUBLE, &loss, "Frames lost on every link", "PERCENT" },
    { "limit", 0, 0, G_OPTION_ARG_INT64, &limit, "Frames in flight towards a port (default 1000)",
      "FRAMES" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      "Seed for delays and losses (default: random)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("NETNS/TAP... - a slow, lossy switch");
  g_autoptr(GError) error = NULL;
  PortRef refs[MAX_PORTS];
  Switch sw = { 0 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "slow-switch: %s\n", error->message);
      return 2;
    }
  if (argc < 3 || argc - 1 > MAX_PORTS || delay < 0 || jitter < 0 || jitter > delay ||
      delay > 60000 || loss < 0 || loss > 100 || limit < 1 || limit > 1000000)
    {
      fprintf (stderr, "slow-switch: 2 to %d ports; 0 <= --jitter <= --delay <= 60000; "
                       "--loss 0..100; --limit 1..1000000\n", MAX_PORTS);
      return 2;
    }
  sw.delay_us = delay * 1000;
  sw.jitter_us = jitter * 1000;
  sw.loss = loss / 100;
  sw.limit = (guint) limit;
  sw.rand = seed >= 0 ? g_rand_new_with_seed ((guint32) seed) : g_rand_new ();
  sw.where = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  sw.loop = g_main_loop_new (NULL, FALSE);
  for (int i = 1; i < argc; i++)
    {
      Port *p = &sw.ports[sw.n_ports];

      p->spec = argv[i];
      p->fd = attach (argv[i], &error);
      if (p->fd < 0)
        {
          fprintf (stderr, "slow-switch: %s\n", error->message);
          return 1;
        }
      refs[sw.n_ports] = (PortRef) { &sw, sw.n_ports };
      g_unix_fd_add (p->fd, G_IO_IN, readable, &refs[sw.n_ports]);
      sw.n_ports++;
    }
  sw.timer = g_source_new (&ready_funcs, sizeof (GSource));
  g_source_set_callback (sw.timer, timer_fired, &sw, NULL);
  g_source_set_priority (sw.timer, G_PRIORITY_HIGH);
  g_source_attach (sw.timer, NULL);
  g_unix_signal_add (SIGTERM, stop, &sw);
  g_unix_signal_add (SIGINT, stop, &sw);
  printf ("ready\n");
  fflush (stdout);
  g_main_loop_run (sw.loop);
  fprintf (stderr, "slow-switch: %" G_GUINT64_FORMAT " frames forwarded, %" G_GUINT64_FORMAT
                   " lost on purpose, %" G_GUINT64_FORMAT " dropped for want of room\n",
           sw.forwarded, sw.lost, sw.overflow);
  /* What LeakSanitizer told of at every end in the sanitized hosts-slow. */
  g_source_destroy (sw.timer);
  g_source_unref (sw.timer);
  g_hash_table_unref (sw.where);
  g_main_loop_unref (sw.loop);
  g_rand_free (sw.rand);
  return 0;
}
