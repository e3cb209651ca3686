/* bench-tlsfloor.c: what TLS costs on one link on this machine, with
 * nothing but a socket and TLS (groupy-bench --only tls-floor).
 *
 * One process sends a stream of bytes to itself over a Unix-domain socket
 * pair, in writes of 64 KiB, a thread reading it in reads of 64 KiB: once
 * on the bare sockets, once through TLS as members set it up (the
 * transport's socket stream, grp-sockstream.c, beneath GIO's TLS, the
 * members' cipher order, grp_security_wrap).  The CPU time of the whole
 * process per KiB, TLS's less the bare sockets', is what TLS adds for
 * every KiB that crosses a link: encrypting it, decrypting it, and its
 * records' work and copies.  It is a floor for a group: a member does all
 * of that too, besides its protocol.
 *
 * A group of K with every member sending puts, for each message it
 * delivers, (K - 1) / K of a request and K - 1 sequenced copies through
 * TLS (grp-transport.c: each member's own link to the leader); with
 * plaintext at C µs of CPU per message, TLS adds about that many KiB times
 * this floor to it, and a group bound by its CPU delivers C / (C + that)
 * of plaintext's messages, if nothing else changed (groupy-bench prints it
 * beside the throughput; a slower group batches more, so it is an
 * estimate, not a bound).
 */
#include "bench.h"

#include "grp-security.h"
#include "grp-sockstream.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TLS_FLOOR_CHUNK (64 * 1024)

static double
process_cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* One chunk through TLS as the transport writes and reads (grp-transport.c):
 * corked, written without blocking a record at a time, and read without
 * blocking, the records read ahead in 64 KiB (grp-sockstream.c). */
static gboolean
tls_chunk (GTlsConnection *client, GTlsConnection *server, GrpSockOut *gather, const guint8 *buf,
           guint8 *rbuf)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (client));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (server));
  gsize put = 0, got = 0;

  grp_sock_out_cork (gather);
  while (put < TLS_FLOOR_CHUNK)
    {
      gssize n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (out),
                                                             buf + put, TLS_FLOOR_CHUNK - put,
                                                             NULL, NULL);

      if (n <= 0)
        return FALSE; /* never blocks: the socket's buffer holds a chunk */
      put += (gsize) n;
    }
  if (!grp_sock_out_uncork (gather, NULL))
    return FALSE;
  while (got < TLS_FLOOR_CHUNK)
    {
      gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in),
                                                           rbuf + got, TLS_FLOOR_CHUNK - got,
                                                           NULL, NULL);

      if (n <= 0)
        return FALSE;
      got += (gsize) n;
    }
  return TRUE;
}

static gboolean
bare_chunk (GSocket *a, GSocket *b, const guint8 *buf, guint8 *rbuf)
{
  gsize got = 0;

  if (g_socket_send (a, (const char *) buf, TLS_FLOOR_CHUNK, NULL, NULL) != TLS_FLOOR_CHUNK)
    return FALSE;
  while (got < TLS_FLOOR_CHUNK)
    {
      gssize n = g_socket_receive (b, (char *) rbuf + got, TLS_FLOOR_CHUNK - got, NULL, NULL);

      if (n <= 0)
        return FALSE;
      got += (gsize) n;
    }
  return TRUE;
}

/* Sends `total` bytes, a chunk at a time, each read whole on the other
 * side before the next is written: one thread, so that the CPU time is
 * the work alone, with no thread woken or waiting.  Bare sockets when
 * `client` is NULL.  The process's CPU seconds, or < 0 if something
 * failed. */
static double
transfer (GTlsConnection *client, GTlsConnection *server, GrpSockOut *gather, GSocket *a,
          GSocket *b, gsize total)
{
  g_autofree guint8 *buf = g_malloc0 (TLS_FLOOR_CHUNK);
  g_autofree guint8 *rbuf = g_malloc (TLS_FLOOR_CHUNK);
  double t0 = process_cpu_s ();

  for (gsize sent = 0; sent < total; sent += TLS_FLOOR_CHUNK)
    if (client != NULL ? !tls_chunk (client, server, gather, buf, rbuf)
                       : !bare_chunk (a, b, buf, rbuf))
      return -1;
  return process_cpu_s () - t0;
}

/* A socket pair with room in its buffers for a chunk and its records. */
static gboolean
socket_pair (GSocket **a, GSocket **b, GError **error)
{
  int fds[2];
  int size = 4 * TLS_FLOOR_CHUNK;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "socketpair: %s",
                   g_strerror (errno));
      return FALSE;
    }
  for (int i = 0; i < 2; i++)
    {
      setsockopt (fds[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      setsockopt (fds[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
  if ((*a = g_socket_new_from_fd (fds[0], error)) == NULL)
    {
      close (fds[0]);
      close (fds[1]);
      return FALSE;
    }
  if ((*b = g_socket_new_from_fd (fds[1], error)) == NULL)
    {
      close (fds[1]);
      return FALSE;
    }
  return TRUE;
}

static gpointer
handshake_main (gpointer data)
{
  GError *error = NULL;

  g_tls_connection_handshake (data, NULL, &error);
  return error;
}

gboolean
bench_tls_floor_run (gsize total, double *bare_us_per_kib, double *tls_us_per_kib,
                     char **ciphersuite, GError **error)
{
  g_autoptr(GSocket) a = NULL, b = NULL;
  g_autoptr(GSocket) ta = NULL, tb = NULL;
  g_autoptr(GIOStream) sa = NULL, sb = NULL;
  g_autoptr(GTlsConnection) server = NULL, client = NULL;
  g_autoptr(GrpSecurity) security = NULL;
  GError *server_error;
  GThread *thread;
  double bare, tls;

  grp_security_choose_ciphers ();
  if (!socket_pair (&a, &b, error) || !socket_pair (&ta, &tb, error))
    return FALSE;
  bare = transfer (NULL, NULL, NULL, a, b, total);
  /* The same through TLS, as members set it up; the server's handshake
   * runs in a thread of its own (both sides block). */
  security = grp_security_new ();
  sa = grp_sock_stream_new (ta);
  sb = grp_sock_stream_new (tb);
  if ((server = grp_security_wrap (security, sb, TRUE, error)) == NULL ||
      (client = grp_security_wrap (security, sa, FALSE, error)) == NULL)
    return FALSE;
  thread = g_thread_new ("tls-floor-handshake", handshake_main, server);
  if (!g_tls_connection_handshake (client, NULL, error))
    {
      g_socket_shutdown (ta, TRUE, TRUE, NULL); /* the server's handshake ends too */
      server_error = g_thread_join (thread);
      g_clear_error (&server_error);
      return FALSE;
    }
  if ((server_error = g_thread_join (thread)) != NULL)
    {
      g_propagate_error (error, server_error);
      return FALSE;
    }
  tls = transfer (client, server, grp_sock_stream_get_out (sa), NULL, NULL, total);
  if (bare < 0 || tls < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "the stream did not arrive whole");
      return FALSE;
    }
  *bare_us_per_kib = bare * 1e6 / ((double) total / 1024);
  *tls_us_per_kib = tls * 1e6 / ((double) total / 1024);
  *ciphersuite = g_tls_connection_get_ciphersuite_name (client);
  return TRUE;
}
