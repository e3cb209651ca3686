/* bench-floor.c: the floor under Groupy's latency on this machine, measured
 * with nothing but sockets (groupy-bench --only floor).
 *
 * A driver process writes 16 bytes to N echo processes (groupy-bench
 * --floor-echo ADDR, internal) over loopback TCP (TCP_NODELAY, as members
 * use) or a Unix-domain stream socket; each reads them and writes them back;
 * the driver times each answer from its write, waits for all N, and starts
 * the next round.  N = 1 is a ping-pong; N = 4 a one-to-four fan-out, the
 * shape of a multicast in a group of five (a message reaches the leader,
 * which writes to the four others): two hops, as a multicast takes, with
 * every process of the pattern woken once per round.  No protocol, no
 * main loop, no allocation per message: what the kernel and the two CPUs
 * cost, which Groupy can approach but not beat.
 */
#define _GNU_SOURCE /* accept4 */
#include "bench.h"
#include "bench-proc.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

#define FLOOR_MSG 16
#define FLOOR_MAX_PEERS 64

/* ADDR is "tcp:PORT" (127.0.0.1) or "unix:NAME" (an abstract name). */
static socklen_t
floor_sockaddr (const char *addr, struct sockaddr_storage *ss)
{
  memset (ss, 0, sizeof *ss);
  if (g_str_has_prefix (addr, "tcp:"))
    {
      struct sockaddr_in *in = (struct sockaddr_in *) ss;

      in->sin_family = AF_INET;
      in->sin_port = htons ((guint16) g_ascii_strtoull (addr + 4, NULL, 10));
      in->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      return sizeof *in;
    }
  if (g_str_has_prefix (addr, "unix:"))
    {
      struct sockaddr_un *un = (struct sockaddr_un *) ss;
      gsize n = MIN (strlen (addr + 5), sizeof un->sun_path - 1);

      un->sun_family = AF_UNIX;
      memcpy (un->sun_path + 1, addr + 5, n); /* sun_path[0] = 0: abstract */
      return (socklen_t) (offsetof (struct sockaddr_un, sun_path) + 1 + n);
    }
  return 0;
}

static void
no_delay (int fd, const char *addr)
{
  int one = 1;

  if (g_str_has_prefix (addr, "tcp:"))
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Reads exactly `n` bytes; FALSE at the end of the stream or on an error. */
static gboolean
read_full (int fd, guint8 *buf, gsize n)
{
  gsize got = 0;

  while (got < n)
    {
      ssize_t r = read (fd, buf + got, n - got);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      got += (gsize) r;
    }
  return TRUE;
}

static gboolean
write_full (int fd, const guint8 *buf, gsize n)
{
  gsize put = 0;

  while (put < n)
    {
      ssize_t r = write (fd, buf + put, n - put);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      put += (gsize) r;
    }
  return TRUE;
}

int
bench_floor_echo_main (const char *addr)
{
  struct sockaddr_storage ss;
  socklen_t len = floor_sockaddr (addr, &ss);
  int fd;
  guint8 buf[FLOOR_MSG];

  prctl (PR_SET_PDEATHSIG, SIGKILL); /* never outlive the driver */
  if (len == 0)
    {
      fprintf (stderr, "floor-echo: '%s' is neither tcp:PORT nor unix:NAME\n", addr);
      return 2;
    }
  fd = socket (ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &ss, len) < 0)
    {
      fprintf (stderr, "floor-echo: cannot connect to %s: %s\n", addr, g_strerror (errno));
      return 2;
    }
  no_delay (fd, addr);
  while (read_full (fd, buf, sizeof buf) && write_full (fd, buf, sizeof buf))
    ;
  close (fd);
  return 0;
}

/* One run: `peers` echo processes for `seconds`; every answer's round trip
 * (µs) goes into `hist`.  FALSE with `error` set if the run could not be
 * made. */
gboolean
bench_floor_run (const char *self, gboolean unix_socket, guint peers, double seconds,
                 BenchHist *hist, GError **error)
{
  struct sockaddr_storage ss;
  socklen_t len;
  g_autofree char *addr = NULL;
  int lfd, fds[FLOOR_MAX_PEERS];
  BenchChild *kids[FLOOR_MAX_PEERS] = { 0 };
  guint accepted = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (peers >= 1 && peers <= FLOOR_MAX_PEERS, FALSE);
  if (unix_socket)
    addr = g_strdup_printf ("unix:groupy-floor-%d-%u", (int) getpid (), g_random_int ());
  else
    addr = g_strdup ("tcp:0");
  len = floor_sockaddr (addr, &ss);
  lfd = socket (ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &ss, len) < 0 || listen (lfd, 16) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "floor: cannot listen on %s: %s", addr, g_strerror (errno));
      if (lfd >= 0)
        close (lfd);
      return FALSE;
    }
  if (!unix_socket)
    {
      struct sockaddr_in in;
      socklen_t inlen = sizeof in;

      getsockname (lfd, (struct sockaddr *) &in, &inlen);
      g_free (addr);
      addr = g_strdup_printf ("tcp:%u", ntohs (in.sin_port));
    }

  for (guint i = 0; i < peers; i++)
    {
      const char *argv[] = { self, "--floor-echo", addr, NULL };

      struct pollfd lp = { lfd, POLLIN, 0 };

      kids[i] = bench_child_spawn (argv, error);
      if (kids[i] == NULL)
        goto out;
      if (poll (&lp, 1, 10000) != 1)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "floor: an echo process did not connect within 10 s");
          goto out;
        }
      fds[i] = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
      if (fds[i] < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "floor: accept: %s", g_strerror (errno));
          goto out;
        }
      accepted++;
      no_delay (fds[i], addr);
    }

  {
    gint64 until = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
    struct pollfd pfd[FLOOR_MAX_PEERS];
    guint8 msg[FLOOR_MSG] = { 0 };

    /* Bounded by the clock: each round either completes or fails. */
    while (g_get_monotonic_time () < until)
      {
        gint64 sent = g_get_monotonic_time ();
        guint left = peers;

        memcpy (msg, &sent, sizeof sent);
        for (guint i = 0; i < peers; i++)
          {
            if (!write_full (fds[i], msg, sizeof msg))
              {
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "floor: an echo went away");
                goto out;
              }
            pfd[i] = (struct pollfd) { fds[i], POLLIN, 0 };
          }
        while (left > 0)
          {
            int r = poll (pfd, peers, 5000);

            if (r <= 0)
              {
                if (r < 0 && errno == EINTR)
                  continue;
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                             "floor: an echo did not answer within 5 s");
                goto out;
              }
            for (guint i = 0; i < peers; i++)
              if (pfd[i].revents != 0)
                {
                  guint8 back[FLOOR_MSG];

                  if (!read_full (fds[i], back, sizeof back))
                    {
                      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                   "floor: an echo went away");
                      goto out;
                    }
                  bench_hist_add (hist, g_get_monotonic_time () - sent);
                  pfd[i].fd = -1; /* answered this round */
                  pfd[i].revents = 0;
                  left--;
                }
          }
      }
  }
  ok = TRUE;

out:
  for (guint i = 0; i < accepted; i++)
    close (fds[i]);
  close (lfd);
  for (guint i = 0; i < peers; i++)
    if (kids[i] != NULL)
      bench_child_free (kids[i], 5000);
  return ok;
}
