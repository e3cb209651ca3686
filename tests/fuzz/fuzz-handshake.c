/* fuzz-handshake.c: a transport's connection fed arbitrary bytes, as a peer
 * would send them.
 *
 * A real GrpTransport (src/net/grp-transport.c) takes one end of a
 * socketpair as a connection (grp_transport_adopt), and the input is
 * written into the other end: its own handshake, reading, framing, bounds
 * and crash reports run, not a copy of them.  The input:
 *
 *   byte 0   mode: bit 0 (MODE_SECRET): the transport has a group secret,
 *            and this peer speaks TLS to it (the harness's own, correct);
 *            bit 1 (MODE_DIALED): the transport dialed us, expecting member
 *            PEER_ID, rather than we it; bit 2 (MODE_PROVE): with a secret,
 *            the harness first sends a valid proof of it (AUTH), which the
 *            input could not forge; bit 3 (MODE_RAW): with a secret, the
 *            input is sent raw, without TLS (a stranger's bytes).
 *   byte 1   how the rest is cut into writes: 0, all at once; n, n bytes
 *            at a time, each read by the transport before the next.
 *   rest     the bytes, frames as on the wire (4-byte length, body).
 *
 * Then this end closes, and the transport must let go of the connection.
 * Besides never crashing, hanging or leaking, the transport must keep its
 * word (grp-transport.h, docs/SECURITY.md):
 *  - a connection is bound to one member: every message it hands on comes
 *    from the member the connection is bound to (PEER_ID when it dialed),
 *    and every loss it reports is about that member;
 *  - with a secret, nothing of a peer that did not prove it is handed on,
 *    and the transport does not say who it is (no HELLO) to that peer;
 *  - every frame it sends parses.
 *
 * The transport dials what peers advertise (the input's addresses), so the
 * process first moves to a network namespace of its own, where only its
 * loopback exists: nothing leaves the machine, nor reaches its services.
 */
#define _GNU_SOURCE /* unshare */
#include "fuzz.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "grp-codec.h"
#include "grp-security.h"
#include "grp-transport.h"

#define MODE_SECRET 1
#define MODE_DIALED 2
#define MODE_PROVE 4
#define MODE_RAW 8

/* The transport's own id, and the member it expects when it dials us
 * (tests/fuzz/make-corpus.py writes recorded streams with these ids). */
#define SELF_ID G_GUINT64_CONSTANT (0x5e1f5e1f5e1f5e1f)
#define PEER_ID G_GUINT64_CONSTANT (0x0123456789abcdef)

/* Longer than any honest step takes, even under the sanitizers on a busy
 * machine: a step that takes it is a hang. */
#define STEP_DEADLINE_US (50 * G_USEC_PER_SEC)

static GrpSecurity *member_security; /* the transport's */
static GrpSecurity *peer_security;   /* ours: the same secret, for proofs */
static char *refused_addr;           /* where redials of the transport are refused */
static GSocket *refused_sock;       /* keeps the port bound */

typedef struct {
  guint mode;
  GSocket *sock;              /* our end */
  GTlsConnection *tls;        /* over it, or NULL */
  GPollableInputStream *in;
  GPollableOutputStream *out;
  gboolean handshaken;
  GError *handshake_error;
  gboolean closed;            /* the transport closed its end */
  GByteArray *got;            /* what it sent us, not yet parsed into frames */
  guint hellos;               /* HELLO frames it sent us */
  GrpId bound;                /* the only member its messages may come from */
  guint messages;
  gboolean released;          /* the transport let go of its end */
  GrpTransport *transport;
} Peer;

/* A network namespace of our own, with its loopback up.  Before any
 * thread starts: threads made later inherit it. */
static gboolean
isolate_network (GError **error)
{
  struct ifreq ifr = { 0 };
  int fd;

  if (unshare (CLONE_NEWNET) != 0 && unshare (CLONE_NEWUSER | CLONE_NEWNET) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "cannot make a network namespace: %s", g_strerror (errno));
      return FALSE;
    }
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_strlcpy (ifr.ifr_name, "lo", IFNAMSIZ);
  if (fd < 0 || ioctl (fd, SIOCGIFFLAGS, &ifr) < 0 ||
      (ifr.ifr_flags |= IFF_UP, ioctl (fd, SIOCSIFFLAGS, &ifr) < 0))
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "cannot bring up the loopback of our network namespace: %s",
                   g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *secret = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) lo = NULL;
  g_autoptr(GSocketAddress) any = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  fuzz_quiet_logs ();
  if (!isolate_network (&error))
    {
      /* As TAP (replay.c), and plainly for libFuzzer. */
      printf ("1..0 # SKIP %s (root or user namespaces needed)\n", error->message);
      exit (0);
    }
  dir = g_dir_make_tmp ("groupy-fuzz-XXXXXX", &error);
  g_assert_no_error (error);
  secret = g_build_filename (dir, "secret", NULL);
  g_assert_true (grp_security_write_secret (secret, &error));
  member_security = grp_security_new ();
  peer_security = grp_security_new ();
  g_assert_true (grp_security_load_secret (member_security, secret, &error));
  g_assert_true (grp_security_load_secret (peer_security, secret, &error));
  g_unlink (secret);
  g_rmdir (dir);

  /* A port that is bound but never listens: a dial there is refused at
   * once, as at a member that has ended. */
  lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  any = g_inet_socket_address_new (lo, 0);
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, any, FALSE, &error));
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  refused_addr = g_strdup_printf ("127.0.0.1:%u",
                                  g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  refused_sock = g_steal_pointer (&sock);
  return 0;
}

/* ---- what the transport does --------------------------------------------- */

static void
on_message (GrpMsg *msg, gpointer data)
{
  Peer *p = data;

  /* Bound to whoever said HELLO first (or the member it dialed). */
  g_assert_cmpuint (p->bound, !=, 0);
  g_assert_cmpuint (msg->from, ==, p->bound);
  if (p->mode & MODE_SECRET)
    g_assert_true (p->mode & MODE_PROVE);
  p->messages++;
  /* Answer on the same route, as a member does: over the connection when
   * it dialed us, else nowhere (its address is not verified). */
  grp_transport_send (p->transport, msg->from, NULL, msg);
}

static void
on_peer_lost (GrpTransport *t, guint64 id, gboolean confirmed, gpointer data)
{
  Peer *p = data;

  /* Only the member the connection was bound to can be lost. */
  g_assert_cmpuint (p->bound, !=, 0);
  g_assert_cmpuint (id, ==, p->bound);
}

/* The member a connection that we dialed binds to: the one in the HELLO it
 * must begin with (anything else before it closes the connection). */
static GrpId
first_hello (const guint8 *data, gsize len)
{
  guint32 flen;
  GrpFrameKind kind;
  g_autoptr(GrpMsg) msg = NULL;
  GrpMember hello = { 0 };
  GrpId id;

  if (len < GRP_FRAME_HEADER)
    return 0;
  flen = grp_codec_frame_length (data);
  if (len - GRP_FRAME_HEADER < flen ||
      !grp_codec_parse (data + GRP_FRAME_HEADER, flen, &kind, &msg, &hello, NULL, NULL, NULL) ||
      kind != GRP_FRAME_HELLO)
    return 0;
  id = hello.id;
  grp_member_clear (&hello);
  return id;
}

/* Every frame the transport sent us parses, and says no more than it may. */
static void
parse_got (Peer *p)
{
  gsize off = 0;

  while (p->got->len - off >= GRP_FRAME_HEADER)
    {
      guint32 len = grp_codec_frame_length (p->got->data + off);
      const guint8 *body = p->got->data + off + GRP_FRAME_HEADER;
      g_autoptr(GError) error = NULL;
      g_autoptr(GrpMsg) msg = NULL;
      GrpMember hello = { 0 };
      GrpFrameKind kind;

      g_assert_cmpuint (len, <=, GRP_FRAME_MAX);
      if (p->got->len - off - GRP_FRAME_HEADER < len)
        break;
      g_assert_true (grp_codec_frame_kind (body, len, &kind, &error));
      if (kind == GRP_FRAME_BYE)
        {
          g_autofree char *reason = NULL;
          GrpByeKind bye;

          g_assert_true (grp_codec_parse_bye (body, len, &bye, &reason, &error));
        }
      else if (kind == GRP_FRAME_AUTH)
        {
          guint8 proof[GRP_PROOF_LEN];

          g_assert_true (p->mode & MODE_SECRET);
          g_assert_true (grp_codec_parse_auth (body, len, proof, &error));
        }
      else
        {
          g_assert_true (grp_codec_parse (body, len, &kind, &msg, &hello, NULL, NULL, &error));
          if (kind == GRP_FRAME_HELLO)
            {
              /* Only to a peer that proved the secret, if there is one. */
              g_assert_true (!(p->mode & MODE_SECRET) || (p->mode & MODE_PROVE));
              g_assert_cmpuint (hello.id, ==, SELF_ID);
              p->hellos++;
            }
          grp_member_clear (&hello);
        }
      g_assert_no_error (error);
      off += GRP_FRAME_HEADER + len;
    }
  g_byte_array_remove_range (p->got, 0, (guint) off);
}

/* Reads what the transport sent; TRUE if anything came (or the end). */
static gboolean
read_some (Peer *p)
{
  guint8 buf[16384];
  gboolean any = FALSE;

  while (!p->closed)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (p->tls != NULL)
        n = g_pollable_input_stream_read_nonblocking (p->in, buf, sizeof buf, NULL, &error);
      else
        n = g_socket_receive (p->sock, (char *) buf, sizeof buf, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      any = TRUE;
      if (n <= 0)
        {
          p->closed = TRUE;
          break;
        }
      if ((p->mode & MODE_RAW) == 0)
        {
          g_byte_array_append (p->got, buf, (guint) n);
          parse_got (p);
        }
    }
  return any;
}

/* ---- moving things along ------------------------------------------------- */

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* One turn of the main loop (waiting at most a millisecond: the TLS
 * handshakes run in threads), then whatever the transport sent us. */
static void
turn (Peer *p)
{
  g_main_context_iteration (NULL, TRUE);
  read_some (p);
}

static void
deadline_passed (const char *what)
{
  g_error ("the transport hangs: %s took more than %d s", what,
           (int) (STEP_DEADLINE_US / G_USEC_PER_SEC));
}

/* Bytes written to our end that the transport has not read. */
static int
unread (Peer *p)
{
  int n = 0;

  if (p->closed || ioctl (g_socket_get_fd (p->sock), SIOCOUTQ, &n) < 0)
    return 0;
  return n;
}

/* Whether the transport leaves what we sent unread, by design: with a
 * secret, an incoming peer's first TLS record is read only once it is
 * whole in the kernel (its 5-byte header and the length it gives), so that
 * a stalling peer holds no handshake slot (docs/SECURITY.md, D1). */
static gboolean
first_record_held (Peer *p, const guint8 *sent, gsize len)
{
  if ((p->mode & (MODE_SECRET | MODE_RAW | MODE_DIALED)) != (MODE_SECRET | MODE_RAW))
    return FALSE;
  return len < 5 || len < 5 + ((gsize) sent[3] << 8 | sent[4]);
}

/* Until the transport has read everything written, and handled it; or,
 * while it holds a partial first record unread, what it does meanwhile. */
static void
settle (Peer *p, const guint8 *sent, gsize len)
{
  gint64 deadline = g_get_monotonic_time () + STEP_DEADLINE_US;

  if (first_record_held (p, sent, len))
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      read_some (p);
      return;
    }
  do
    {
      turn (p);
      if (g_get_monotonic_time () > deadline)
        deadline_passed ("reading");
    }
  while (unread (p) > 0);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  read_some (p);
}

static void
handshake_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Peer *p = data;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), res, &p->handshake_error);
  p->handshaken = TRUE;
}

/* Our TLS, as a member's: client if we dialed, server if it dialed us. */
static void
start_tls (Peer *p, GSocketConnection *ours)
{
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + STEP_DEADLINE_US;

  p->tls = grp_security_wrap (peer_security, G_IO_STREAM (ours), (p->mode & MODE_DIALED) != 0,
                              &error);
  g_assert_no_error (error);
  g_tls_connection_handshake_async (p->tls, G_PRIORITY_DEFAULT, NULL, handshake_done, p);
  while (!p->handshaken)
    {
      g_main_context_iteration (NULL, TRUE);
      if (g_get_monotonic_time () > deadline)
        deadline_passed ("the TLS handshake");
    }
  g_assert_no_error (p->handshake_error);
  p->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (p->tls)));
  p->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (G_IO_STREAM (p->tls)));
}

/* Writes all of data[0..len) unless the transport closes first. */
static void
write_all (Peer *p, const guint8 *data, gsize len)
{
  gint64 deadline = g_get_monotonic_time () + STEP_DEADLINE_US;

  while (len > 0 && !p->closed)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (p->tls != NULL)
        n = g_pollable_output_stream_write_nonblocking (p->out, data, len, NULL, &error);
      else
        n = g_socket_send (p->sock, (const char *) data, len, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          turn (p);
          if (g_get_monotonic_time () > deadline)
            deadline_passed ("taking our bytes");
          continue;
        }
      if (n < 0)
        {
          /* The transport closed its end (EPIPE, ECONNRESET). */
          p->closed = TRUE;
          return;
        }
      data += n;
      len -= (gsize) n;
    }
}

static void
on_released (gpointer data, GObject *gone)
{
  ((Peer *) data)->released = TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) theirs_sock = NULL;
  g_autoptr(GSocketConnection) theirs = NULL;
  g_autoptr(GSocketConnection) ours = NULL;
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  Peer p = { 0 };
  gsize chunk;
  int fds[2];
  guint tick_id;
  gint64 deadline;

  if (size < 2)
    return 0;
  p.mode = data[0] & 15;
  if ((p.mode & MODE_SECRET) == 0)
    p.mode &= ~(MODE_PROVE | MODE_RAW);
  chunk = data[1];
  data += 2;
  size -= 2;
  if (p.mode & MODE_DIALED)
    p.bound = PEER_ID;
  else if (!(p.mode & MODE_RAW))
    p.bound = first_hello (data, size);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  theirs_sock = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  p.sock = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  g_socket_set_blocking (p.sock, FALSE);
  theirs = g_socket_connection_factory_create_connection (theirs_sock);
  ours = g_socket_connection_factory_create_connection (p.sock);
  p.got = g_byte_array_new ();

  tick_id = g_timeout_add (1, tick, NULL);
  p.transport = grp_transport_new ();
  grp_transport_set_self (p.transport, SELF_ID, "fuzzed");
  /* A member's default times: a HELLO with others is refused. */
  grp_transport_set_timing (p.transport, 100, 2000);
  /* Past our own step deadlines: on a starved machine the transport's 5-s
   * handshake deadline closed connections mid-handshake, which this
   * harness took for a failure (a finding on a busy run, not a bug). */
  grp_transport_set_handshake_timeout (p.transport, 2 * STEP_DEADLINE_US / 1000);
  if (p.mode & MODE_SECRET)
    grp_transport_set_security (p.transport, member_security);
  grp_transport_set_handlers (p.transport, on_message, NULL, &p);
  g_signal_connect (p.transport, "peer-lost", G_CALLBACK (on_peer_lost), &p);
  g_object_weak_ref (G_OBJECT (theirs), on_released, &p);
  if (p.mode & MODE_DIALED)
    grp_transport_adopt (p.transport, theirs, refused_addr, PEER_ID);
  else
    grp_transport_adopt (p.transport, theirs, NULL, 0);
  g_clear_object (&theirs); /* the transport's now */

  if ((p.mode & MODE_SECRET) && !(p.mode & MODE_RAW))
    {
      start_tls (&p, ours);
      if (p.mode & MODE_PROVE)
        {
          guint8 proof[GRP_PROOF_LEN];

          g_assert_true (grp_security_prove (peer_security, p.tls, (p.mode & MODE_DIALED) != 0,
                                             proof, &error));
          grp_codec_append_auth (stream, proof);
        }
    }
  g_byte_array_append (stream, data, (guint) size);

  for (gsize off = 0; off < stream->len && !p.closed;)
    {
      gsize n = chunk == 0 ? stream->len - off : MIN (chunk, stream->len - off);

      write_all (&p, stream->data + off, n);
      off += n;
      settle (&p, stream->data, off);
    }
  settle (&p, stream->data, stream->len);
  if ((p.mode & MODE_SECRET) && !(p.mode & MODE_PROVE))
    {
      g_assert_cmpuint (p.messages, ==, 0);
      g_assert_cmpuint (p.hellos, ==, 0);
    }

  /* We end; the transport must let go of the connection. */
  g_socket_close (p.sock, NULL);
  p.closed = TRUE;
  deadline = g_get_monotonic_time () + STEP_DEADLINE_US;
  while (!p.released)
    {
      g_main_context_iteration (NULL, TRUE);
      if (g_get_monotonic_time () > deadline)
        deadline_passed ("letting go of a closed connection");
    }
  g_object_unref (p.transport);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_source_remove (tick_id);
  g_clear_object (&p.tls);
  g_clear_object (&p.sock);
  g_byte_array_unref (p.got);
  return 0;
}
