/* grp-transport.c: connections, framing, coalesced writes, crash reports. */
#include "grp-transport.h"

#include <string.h>

#include "grp-codec.h"

#include <glib-unix.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#define READ_CHUNK (64 * 1024)
#define LIGHT_FRAMES 4
#define CONNECT_TIMEOUT_S 5

typedef struct {
  gint refs;
  GrpTransport *t;            /* not owned: the transport outlives its conns */
  GSocketConnection *conn;
  GCancellable *cancel;
  char *addr;                 /* dialed, or advertised in the peer's HELLO */
  GrpId peer;                 /* expected (dialing) or announced (HELLO) id */
  gboolean outgoing;
  gboolean connected;
  gboolean hello_received;
  gboolean bye_received;
  gboolean closed;
  gboolean reading;           /* in on_readable (against re-entry from a nested loop) */
  GSocket *sock;              /* non-blocking; read and written directly */
  GSource *in_source;         /* readable (always, once connected) */
  GSource *out_source;        /* writable (only while a write is blocked) */
  GByteArray *rbuf;           /* bytes read, not yet a whole frame */
  GByteArray *outq;           /* frames queued this turn */
  GByteArray *wbuf;           /* the write under way: wbuf[woff..] is unsent */
  gsize woff;
  GTask *probe;               /* waiting for the peer's HELLO */
  gboolean queued_seq;        /* a SEQ frame was queued this turn */
} Conn;

struct _GrpTransport {
  GObject parent_instance;

  GrpId self_id;
  char *self_name;
  char *address;
  GSocketService *service;
  GSocketClient *client;
  GPtrArray *conns;           /* Conn*, each holding one ref */
  GHashTable *routes;         /* GrpId -> Conn* used to send to that peer */
  guint flush_id;
  GrpMsg *cache_msg;          /* the last message encoded, and its frame */
  GBytes *cache_frame;
  GPtrArray *turn_seq;        /* conns given a SEQ this turn, in order */
  gboolean in_turn_end;       /* inside on_turn_end: its sends join this flush */
  gboolean crash_armed;
  guint crash_frames;
  GrpCrashFunc crash_func;
  gpointer crash_data;
  GrpMessageFunc on_message;
  GrpTurnEndFunc on_turn_end;
  gpointer handler_data;
};

G_DEFINE_FINAL_TYPE (GrpTransport, grp_transport, G_TYPE_OBJECT)

enum {
  SIGNAL_PEER_LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void conn_close (Conn *c, gboolean crashed, const char *why);

static gboolean
conn_writing (Conn *c)
{
  return c->woff < c->wbuf->len;
}

static Conn *
conn_ref (Conn *c)
{
  g_atomic_int_inc (&c->refs);
  return c;
}

static void
conn_unref (Conn *c)
{
  if (!g_atomic_int_dec_and_test (&c->refs))
    return;
  g_clear_object (&c->conn);
  g_clear_object (&c->cancel);
  g_free (c->addr);
  g_byte_array_unref (c->rbuf);
  g_byte_array_unref (c->outq);
  g_byte_array_unref (c->wbuf);
  g_free (c);
}

static Conn *
conn_new (GrpTransport *self, const char *addr, gboolean outgoing)
{
  Conn *c = g_new0 (Conn, 1);
  GrpMember me = { self->self_id, self->self_name, self->address };

  c->refs = 1;
  c->t = self;
  c->cancel = g_cancellable_new ();
  c->addr = g_strdup (addr);
  c->outgoing = outgoing;
  c->rbuf = g_byte_array_new ();
  c->outq = g_byte_array_new ();
  c->wbuf = g_byte_array_new ();
  /* HELLO is always the first frame on the wire. */
  grp_codec_append_hello (c->outq, &me);
  g_ptr_array_add (self->conns, c);
  return c;
}

static Conn *
route_of (GrpTransport *self, GrpId id)
{
  return g_hash_table_lookup (self->routes, &id);
}

static void
set_route (GrpTransport *self, GrpId id, Conn *c)
{
  if (c == NULL)
    g_hash_table_remove (self->routes, &id);
  else
    g_hash_table_replace (self->routes, g_memdup2 (&id, sizeof id), c);
}

/* ---- closing ---------------------------------------------------------- */

static void
send_bye (Conn *c, const char *reason)
{
  GByteArray *frame = g_byte_array_new ();

  /* Sent best effort, straight to the socket, so the peer does not take
   * our close for a crash. */
  grp_codec_append_bye (frame, reason);
  if (c->sock != NULL && !conn_writing (c))
    g_socket_send_with_blocking (c->sock, (const char *) frame->data, frame->len, FALSE, NULL, NULL);
  g_byte_array_unref (frame);
}

static void
conn_close (Conn *c, gboolean crashed, const char *why)
{
  GrpTransport *self = c->t;
  GrpId peer = c->peer;
  gboolean was_route;

  if (c->closed)
    return;
  c->closed = TRUE;
  g_debug ("connection to %s (%s) closed: %s", c->addr ? c->addr : "?",
           peer ? "known peer" : "unknown peer", why);
  g_cancellable_cancel (c->cancel);
  if (c->in_source != NULL)
    g_source_destroy (c->in_source);
  if (c->out_source != NULL)
    g_source_destroy (c->out_source);
  g_clear_pointer (&c->in_source, g_source_unref);
  g_clear_pointer (&c->out_source, g_source_unref);
  if (c->conn != NULL)
    g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
  if (c->probe != NULL)
    {
      GTask *probe = g_steal_pointer (&c->probe);

      g_task_return_new_error (probe, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               "%s closed the connection before saying who it is", c->addr);
      g_object_unref (probe);
    }
  was_route = peer != 0 && route_of (self, peer) == c;
  if (was_route)
    {
      Conn *other = NULL;

      set_route (self, peer, NULL);
      for (guint i = 0; i < self->conns->len; i++)
        {
          Conn *o = g_ptr_array_index (self->conns, i);

          if (o != c && !o->closed && o->peer == peer && o->hello_received)
            other = o;
        }
      if (other != NULL)
        set_route (self, peer, other);
    }
  g_ptr_array_remove (self->turn_seq, c);
  g_ptr_array_remove (self->conns, c); /* drops the list's ref */
  if (was_route && route_of (self, peer) == NULL)
    g_signal_emit (self, signals[SIGNAL_PEER_LOST], 0, (guint64) peer, crashed);
}

/* ---- writing ---------------------------------------------------------- */

static gboolean on_writable (gint fd, GIOCondition cond, gpointer data);

/* A source for the connection's socket.  Not GSocketSource: its dispatch
 * resets a ready time, which wakes the main loop once more per message.
 * Can recurse: otherwise GLib takes the fd out of the poll set while the
 * callback runs and puts it back after, again waking the loop each time;
 * the callbacks guard against re-entry themselves. */
static GSource *
conn_source (Conn *c, GIOCondition cond, GUnixFDSourceFunc func)
{
  GSource *source = g_unix_fd_source_new (g_socket_get_fd (c->sock), cond);

  g_source_set_can_recurse (source, TRUE);
  g_source_set_callback (source, G_SOURCE_FUNC (func), conn_ref (c), (GDestroyNotify) conn_unref);
  g_source_attach (source, NULL);
  return source;
}

/* Sends what it can of wbuf without blocking; when the socket is full, waits
 * for it to drain (on_writable).  FALSE if the connection was closed. */
static gboolean
conn_send_some (Conn *c)
{
  while (conn_writing (c))
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (c->sock, (const char *) c->wbuf->data + c->woff, c->wbuf->len - c->woff,
                                NULL, &error);

      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              if (c->out_source == NULL)
                {
                  c->out_source = conn_source (c, G_IO_OUT, on_writable);
                }
              return TRUE;
            }
          conn_close (c, c->hello_received && !c->bye_received, error->message);
          return FALSE;
        }
      c->woff += (gsize) n;
    }
  g_byte_array_set_size (c->wbuf, 0);
  c->woff = 0;
  return TRUE;
}

static gboolean
on_writable (gint fd, GIOCondition cond, gpointer data)
{
  Conn *c = data;

  if (c->closed)
    return G_SOURCE_REMOVE;
  if (!conn_send_some (c) || conn_writing (c))
    return c->closed ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
  g_clear_pointer (&c->out_source, g_source_unref);
  if (c->outq->len > 0)
    grp_transport_schedule_flush (c->t);
  return G_SOURCE_REMOVE;
}

/* Starts writing what this turn queued, unless a write is still under way
 * (its end schedules the next). */
static void
conn_write (Conn *c)
{
  GByteArray *tmp;

  if (c->closed || !c->connected || conn_writing (c) || c->outq->len == 0)
    return;
  tmp = c->wbuf;
  c->wbuf = c->outq;
  c->outq = tmp;
  c->woff = 0;
  conn_send_some (c);
}

/* Writes everything queued on `c`, waiting for the socket until `deadline`
 * (monotonic time) at most; what is left then stays unsent. */
static void
conn_write_sync (Conn *c, gint64 deadline)
{
  if (c->closed || !c->connected)
    return;
  g_byte_array_append (c->wbuf, c->outq->data, c->outq->len);
  g_byte_array_set_size (c->outq, 0);
  while (conn_writing (c))
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (c->sock, (const char *) c->wbuf->data + c->woff, c->wbuf->len - c->woff,
                                NULL, &error);

      if (n > 0)
        {
          c->woff += (gsize) n;
          continue;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) || g_get_monotonic_time () >= deadline ||
          !g_socket_condition_timed_wait (c->sock, G_IO_OUT, deadline - g_get_monotonic_time (), NULL, NULL))
        return;
    }
  g_byte_array_set_size (c->wbuf, 0);
  c->woff = 0;
}

/* The end of a turn: the handler adds its batches, then every queue is
 * written (or, with a crash armed, the broadcast is cut). */
static void
flush_now (GrpTransport *self)
{
  self->in_turn_end = TRUE;
  if (self->on_turn_end != NULL)
    self->on_turn_end (self->handler_data);
  self->in_turn_end = FALSE;
  g_clear_handle_id (&self->flush_id, g_source_remove);
  g_clear_pointer (&self->cache_msg, grp_msg_unref);
  g_clear_pointer (&self->cache_frame, g_bytes_unref);

  if (self->crash_armed && self->turn_seq->len > 0)
    {
      gboolean clean = TRUE;

      for (guint i = 0; i < self->turn_seq->len; i++)
        clean &= !conn_writing (g_ptr_array_index (self->turn_seq, i));
      if (clean)
        {
          /* The broadcast reaches the first crash_frames peers, and no more. */
          for (guint i = 0; i < self->turn_seq->len && i < self->crash_frames; i++)
            conn_write_sync (g_ptr_array_index (self->turn_seq, i), G_MAXINT64);
          self->crash_armed = FALSE;
          self->crash_func (self->crash_data);
        }
    }
  for (guint i = 0; i < self->turn_seq->len; i++)
    ((Conn *) g_ptr_array_index (self->turn_seq, i))->queued_seq = FALSE;
  g_ptr_array_set_size (self->turn_seq, 0);

  /* Backwards: a write that fails closes (removes) its own connection. */
  for (guint i = self->conns->len; i-- > 0;)
    if (i < self->conns->len)
      conn_write (g_ptr_array_index (self->conns, i));
}

static gboolean
flush_idle (gpointer data)
{
  GrpTransport *self = data;

  self->flush_id = 0;
  flush_now (self);
  return G_SOURCE_REMOVE;
}

void
grp_transport_schedule_flush (GrpTransport *self)
{
  if (self->flush_id == 0 && !self->in_turn_end)
    self->flush_id = g_idle_add_full (G_PRIORITY_DEFAULT, flush_idle, self, NULL);
}

/* ---- reading ---------------------------------------------------------- */

static void
protocol_error (Conn *c, const char *what)
{
  /* A peer can cause this: never a warning (fatal under G_DEBUG=fatal-warnings). */
  g_message ("dropping the connection to %s: %s", c->addr ? c->addr : "an unknown peer", what);
  send_bye (c, what);
  conn_close (c, FALSE, what);
}

static void
on_hello (Conn *c, GrpMember *hello)
{
  GrpTransport *self = c->t;

  if (c->hello_received)
    {
      protocol_error (c, "second HELLO");
      return;
    }
  if (c->outgoing && c->peer != 0 && c->peer != hello->id)
    {
      g_message ("%s is now %s, not the member we knew there", c->addr, hello->name);
      conn_close (c, FALSE, "another process answers at that address");
      return;
    }
  c->hello_received = TRUE;
  c->peer = hello->id;
  if (hello->addr != NULL && *hello->addr)
    {
      g_free (c->addr);
      c->addr = g_strdup (hello->addr);
    }
  if (route_of (self, c->peer) == NULL)
    set_route (self, c->peer, c);
  if (c->probe != NULL)
    {
      GTask *probe = g_steal_pointer (&c->probe);

      g_task_return_int (probe, (gssize) hello->id);
      g_object_unref (probe);
    }
}

/* Returns the number of frames handled. */
static guint
parse_frames (Conn *c)
{
  gsize off = 0;
  guint frames = 0;

  while (!c->closed && c->rbuf->len - off >= GRP_FRAME_HEADER)
    {
      guint32 len = grp_codec_frame_length (c->rbuf->data + off);
      const guint8 *body = c->rbuf->data + off + GRP_FRAME_HEADER;
      GrpFrameKind kind;
      g_autoptr(GrpMsg) msg = NULL;
      g_autoptr(GBytes) frame = NULL;
      GrpMember hello = { 0 };
      g_autoptr(GError) error = NULL;

      if (len > GRP_FRAME_MAX || len < 2)
        {
          protocol_error (c, "frame length out of bounds");
          return frames;
        }
      if (c->rbuf->len - off - GRP_FRAME_HEADER < len)
        break;
      off += GRP_FRAME_HEADER + len;
      frames++;
      if (len >= 2 && body[0] == GRP_WIRE_VERSION && body[1] == GRP_FRAME_BYE)
        {
          g_debug ("%s says BYE: %.*s", c->addr, (int) MIN (len - 2, 200), body + 2);
          c->bye_received = TRUE;
          continue;
        }
      /* One copy of the frame; its payloads are slices of it. */
      frame = g_bytes_new (body, len);
      if (!grp_codec_parse_bytes (frame, &kind, &msg, &hello, &error))
        {
          protocol_error (c, error->message);
          return frames;
        }
      if (kind == GRP_FRAME_HELLO)
        {
          on_hello (c, &hello);
          grp_member_clear (&hello);
          continue;
        }
      if (!c->hello_received)
        {
          protocol_error (c, "message before HELLO");
          return frames;
        }
      if (msg->from != c->peer)
        {
          g_debug ("ignoring a message from %s that claims another sender", c->addr);
          continue;
        }
      if (c->t->on_message != NULL)
        c->t->on_message (msg, c->t->handler_data);
    }
  if (!c->closed)
    g_byte_array_remove_range (c->rbuf, 0, (guint) off);
  return frames;
}

static gboolean
on_readable (gint fd, GIOCondition cond, gpointer data)
{
  Conn *c = data;

  guint frames = 0;

  /* A handler that runs a nested main loop must not have us read into the
   * buffer we are parsing. */
  if (c->reading)
    return G_SOURCE_CONTINUE;
  c->reading = TRUE;
  conn_ref (c);
  /* A few reads per wakeup: a burst larger than one chunk is not left for
   * another turn of the loop, and a short read means the socket is empty. */
  for (int i = 0; i < 4 && !c->closed; i++)
    {
      g_autoptr(GError) error = NULL;
      guint have = c->rbuf->len;
      gssize n;

      g_byte_array_set_size (c->rbuf, have + READ_CHUNK);
      n = g_socket_receive (c->sock, (char *) c->rbuf->data + have, READ_CHUNK, NULL, &error);
      g_byte_array_set_size (c->rbuf, have + (guint) MAX (n, 0));
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (n <= 0)
        {
          /* Closed or reset by the peer's host: if it had said who it is and
           * not said goodbye, its process is gone. */
          conn_close (c, c->hello_received && !c->bye_received, error ? error->message : "end of stream");
          break;
        }
      frames += parse_frames (c);
      if (n < READ_CHUNK)
        break;
    }
  /* Light traffic: answer now rather than one more turn of the loop later
   * (latency).  Under load the flush waits for the turn's end, so that what
   * every connection brought leaves in one batch (throughput). */
  if (frames > 0 && frames <= LIGHT_FRAMES)
    flush_now (c->t);
  c->reading = FALSE;
  conn_unref (c);
  return G_SOURCE_CONTINUE; /* a closed connection destroyed its source */
}

static void
conn_established (Conn *c, GSocketConnection *conn)
{
  c->conn = g_object_ref (conn);
  c->sock = g_socket_connection_get_socket (conn);
  c->connected = TRUE;
  g_socket_set_blocking (c->sock, FALSE);
  g_socket_set_option (c->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  c->in_source = conn_source (c, G_IO_IN, on_readable);
  grp_transport_schedule_flush (c->t);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  GrpTransport *self = data;
  Conn *c = conn_new (self, NULL, FALSE);

  conn_established (c, conn);
  return TRUE;
}

static void
connect_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), res, &error);

  if (c->closed)
    {
      conn_unref (c);
      return;
    }
  if (conn == NULL)
    {
      if (c->probe != NULL)
        {
          GTask *probe = g_steal_pointer (&c->probe);

          g_task_return_new_error (probe, error->domain, error->code, "could not reach %s: %s",
                                   c->addr, error->message);
          g_object_unref (probe);
        }
      conn_close (c, FALSE, error->message);
      conn_unref (c);
      return;
    }
  conn_established (c, conn);
  conn_unref (c);
}

static Conn *
dial (GrpTransport *self, const char *addr, GrpId expected)
{
  Conn *c = conn_new (self, addr, TRUE);

  c->peer = expected;
  if (expected != 0)
    set_route (self, expected, c);
  g_socket_client_connect_to_host_async (self->client, addr, 0, c->cancel, connect_done, conn_ref (c));
  return c;
}

/* ---- public ----------------------------------------------------------- */

void
grp_transport_set_handlers (GrpTransport   *self,
                            GrpMessageFunc  on_message,
                            GrpTurnEndFunc  on_turn_end,
                            gpointer        user_data)
{
  self->on_message = on_message;
  self->on_turn_end = on_turn_end;
  self->handler_data = user_data;
}

void
grp_transport_send (GrpTransport *self, GrpId to, const char *addr, GrpMsg *msg)
{
  Conn *c = route_of (self, to);
  gsize len;
  const void *frame;

  if (c == NULL)
    {
      if (addr == NULL || *addr == '\0')
        return; /* nobody to ask: the core will try again */
      c = dial (self, addr, to);
    }
  if (msg != self->cache_msg)
    {
      GByteArray *buf = g_byte_array_new ();

      g_clear_pointer (&self->cache_msg, grp_msg_unref);
      g_clear_pointer (&self->cache_frame, g_bytes_unref);
      grp_codec_append_msg (buf, msg);
      self->cache_frame = g_byte_array_free_to_bytes (buf);
      self->cache_msg = grp_msg_ref (msg);
    }
  frame = g_bytes_get_data (self->cache_frame, &len);
  if (c->outq->len + len > GRP_TRANSPORT_MAX_QUEUE)
    {
      g_message ("%s cannot keep up (%u bytes queued): dropping it", c->addr, c->outq->len);
      conn_close (c, FALSE, "send queue full");
      return;
    }
  g_byte_array_append (c->outq, frame, (guint) len);
  if (msg->type == GRP_MSG_SEQ && !c->queued_seq)
    {
      c->queued_seq = TRUE;
      g_ptr_array_add (self->turn_seq, c);
    }
  grp_transport_schedule_flush (self);
}

void
grp_transport_probe_async (GrpTransport        *self,
                           const char          *addr,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Conn *c = dial (self, addr, 0);

  /* Completed by on_hello (the peer said who it is) or conn_close. */
  c->probe = task;
}

GrpId
grp_transport_probe_finish (GrpTransport *self, GAsyncResult *result, GError **error)
{
  gssize id = g_task_propagate_int (G_TASK (result), error);

  return id < 0 && error != NULL && *error != NULL ? 0 : (GrpId) id;
}

void
grp_transport_arm_crash (GrpTransport *self, guint frames, GrpCrashFunc func, gpointer user_data)
{
  self->crash_armed = func != NULL;
  self->crash_frames = frames;
  self->crash_func = func;
  self->crash_data = user_data;
}

void
grp_transport_flush_sync (GrpTransport *self)
{
  gint64 deadline = g_get_monotonic_time () + 200 * 1000;

  /* Briefly: a peer that does not read must not hold up our exit. */
  for (guint i = 0; i < self->conns->len; i++)
    conn_write_sync (g_ptr_array_index (self->conns, i), deadline);
}

void
grp_transport_close (GrpTransport *self)
{
  /* Finish writes under way (briefly): a BYE cannot follow half a frame,
   * and without a BYE peers would take our going for a crash. */
  grp_transport_flush_sync (self);
  while (self->conns->len > 0)
    {
      Conn *c = g_ptr_array_index (self->conns, 0);

      c->peer = 0; /* no reports while we shut down */
      send_bye (c, "leaving");
      conn_close (c, FALSE, "closing");
    }
  g_hash_table_remove_all (self->routes);
}

void
grp_transport_set_self (GrpTransport *self, GrpId id, const char *name)
{
  if (self->self_id != 0 && self->self_id != id)
    grp_transport_close (self); /* a new incarnation speaks on new connections */
  self->self_id = id;
  g_free (self->self_name);
  self->self_name = g_strdup (name);
}

const char *
grp_transport_get_address (GrpTransport *self)
{
  return self->address;
}

static gboolean
parse_host_port (const char *s, char **host, guint16 *port, GError **error)
{
  const char *colon = s ? strrchr (s, ':') : NULL;
  char *end = NULL;
  guint64 p;

  if (colon == NULL || colon == s)
    goto bad;
  p = g_ascii_strtoull (colon + 1, &end, 10);
  if (end == colon + 1 || *end != '\0' || p > 65535)
    goto bad;
  *host = g_strndup (s, colon - s);
  if ((*host)[0] == '[')
    {
      /* [::1]:port */
      gsize n = strlen (*host);

      if ((*host)[n - 1] != ']')
        {
          g_free (*host);
          goto bad;
        }
      memmove (*host, *host + 1, n - 2);
      (*host)[n - 2] = '\0';
    }
  *port = (guint16) p;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "\"%s\" is not HOST:PORT (for example 127.0.0.1:7000)", s ? s : "");
  return FALSE;
}

gboolean
grp_transport_listen (GrpTransport *self, const char *listen, const char *advertise, GError **error)
{
  g_autofree char *host = NULL;
  guint16 port;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) want = NULL;
  g_autoptr(GSocketAddress) got = NULL;
  g_autoptr(GError) local = NULL;

  if (!parse_host_port (listen ? listen : "127.0.0.1:0", &host, &port, error))
    return FALSE;
  if (g_str_equal (host, "localhost"))
    {
      g_free (host);
      host = g_strdup ("127.0.0.1");
    }
  inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "cannot listen on \"%s\": give a numeric address such as 127.0.0.1 or 0.0.0.0", host);
      return FALSE;
    }
  want = g_inet_socket_address_new (inet, port);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), want, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &got, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                     "%s:%u is already in use: choose another port with --listen, or port 0 for any free one",
                     host, port);
      else
        g_set_error (error, local->domain, local->code, "cannot listen on %s:%u: %s", host, port, local->message);
      return FALSE;
    }
  g_free (self->address);
  if (advertise != NULL)
    {
      g_autofree char *ahost = NULL;
      guint16 aport;

      if (!parse_host_port (advertise, &ahost, &aport, error))
        return FALSE;
      self->address = g_strdup (advertise);
    }
  else
    {
      g_autofree char *bound = g_inet_address_to_string (inet);

      self->address = g_strdup_printf ("%s:%u", bound,
                                       g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got)));
    }
  g_socket_service_start (self->service);
  return TRUE;
}

GrpTransport *
grp_transport_new (void)
{
  return g_object_new (GRP_TYPE_TRANSPORT, NULL);
}

static void
grp_transport_dispose (GObject *object)
{
  GrpTransport *self = GRP_TRANSPORT (object);

  grp_transport_close (self);
  g_clear_handle_id (&self->flush_id, g_source_remove);
  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }
  g_clear_object (&self->service);
  g_clear_object (&self->client);
  g_clear_pointer (&self->cache_msg, grp_msg_unref);
  g_clear_pointer (&self->cache_frame, g_bytes_unref);
  G_OBJECT_CLASS (grp_transport_parent_class)->dispose (object);
}

static void
grp_transport_finalize (GObject *object)
{
  GrpTransport *self = GRP_TRANSPORT (object);

  g_ptr_array_unref (self->conns);
  g_ptr_array_unref (self->turn_seq);
  g_hash_table_unref (self->routes);
  g_free (self->self_name);
  g_free (self->address);
  G_OBJECT_CLASS (grp_transport_parent_class)->finalize (object);
}

static void
grp_transport_class_init (GrpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = grp_transport_dispose;
  object_class->finalize = grp_transport_finalize;

  /* We lost our last connection to a peer; confirmed: its host closed it. */
  signals[SIGNAL_PEER_LOST] = g_signal_new ("peer-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT64,
                                            G_TYPE_BOOLEAN);
}

static void
grp_transport_init (GrpTransport *self)
{
  self->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_unref);
  self->turn_seq = g_ptr_array_new ();
  self->routes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->service = g_socket_service_new ();
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  self->client = g_socket_client_new ();
  /* Members talk to each other directly: never through a proxy (and no
   * proxy lookup on the way to a connection). */
  g_socket_client_set_enable_proxy (self->client, FALSE);
  g_socket_client_set_timeout (self->client, CONNECT_TIMEOUT_S);
}
