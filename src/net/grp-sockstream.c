/* grp-sockstream.c: the stream a TLS connection runs on (grp-sockstream.h). */
#include "grp-sockstream.h"

#include <string.h>

/* ---- input: reads the socket ahead ------------------------------------- */

#define GRP_TYPE_SOCK_IN (grp_sock_in_get_type ())
G_DECLARE_FINAL_TYPE (GrpSockIn, grp_sock_in, GRP, SOCK_IN, GInputStream)

struct _GrpSockIn {
  GInputStream parent_instance;

  GSocket *socket;
  guint8 *buf;                /* read ahead: buf[off..len] not yet handed out; NULL if none */
  gsize off;
  gsize len;
  guint8 first[GRP_SOCK_FIRST]; /* the first bytes read from the socket */
  gsize n_first;
};

static void grp_sock_in_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GrpSockIn, grp_sock_in, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      grp_sock_in_pollable_init))

/* Hands out up to `count` bytes read ahead; the buffer goes once empty, so
 * that an idle connection holds none. */
static gssize
in_take (GrpSockIn *self, void *buffer, gsize count)
{
  gsize n = MIN (count, self->len - self->off);

  memcpy (buffer, self->buf + self->off, n);
  self->off += n;
  if (self->off == self->len)
    {
      g_clear_pointer (&self->buf, g_free);
      self->off = self->len = 0;
    }
  return (gssize) n;
}

/* Keeps the first bytes the peer sent, for a handshake that fails on them. */
static void
in_note (GrpSockIn *self, const void *data, gssize n)
{
  gsize k;

  if (n <= 0 || self->n_first == GRP_SOCK_FIRST)
    return; /* every later read: nothing to do */
  k = MIN ((gsize) n, GRP_SOCK_FIRST - self->n_first);
  memcpy (self->first + self->n_first, data, k);
  self->n_first += k;
}

static gssize
in_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
         GError **error)
{
  GrpSockIn *self = GRP_SOCK_IN (stream);
  gssize n;

  if (self->buf != NULL)
    return in_take (self, buffer, count);
  n = g_socket_receive_with_blocking (self->socket, buffer, count, TRUE, cancellable, error);
  in_note (self, buffer, n);
  return n;
}

static gssize
in_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count, GError **error)
{
  GrpSockIn *self = GRP_SOCK_IN (stream);
  gssize n;

  if (self->buf != NULL)
    return in_take (self, buffer, count);
  if (count >= GRP_SOCK_READ_AHEAD)
    {
      n = g_socket_receive_with_blocking (self->socket, buffer, count, FALSE, NULL, error);
      in_note (self, buffer, n);
      return n;
    }
  self->buf = g_malloc (GRP_SOCK_READ_AHEAD);
  n = g_socket_receive_with_blocking (self->socket, (char *) self->buf, GRP_SOCK_READ_AHEAD, FALSE,
                                      NULL, error);
  in_note (self, self->buf, n);
  if (n <= 0)
    {
      g_clear_pointer (&self->buf, g_free);
      return n;
    }
  self->off = 0;
  self->len = (gsize) n;
  return in_take (self, buffer, count);
}

static gboolean
in_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
in_is_readable (GPollableInputStream *stream)
{
  GrpSockIn *self = GRP_SOCK_IN (stream);

  return self->buf != NULL || g_socket_condition_check (self->socket, G_IO_IN) != 0;
}

static GSource *
in_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  GrpSockIn *self = GRP_SOCK_IN (stream);
  g_autoptr(GSource) child = self->buf != NULL ? g_timeout_source_new (0)
                                               : g_socket_create_source (self->socket, G_IO_IN,
                                                                         cancellable);

  return g_pollable_source_new_full (stream, child, cancellable);
}

/* The socket's owner closes it. */
static gboolean
in_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static void
grp_sock_in_finalize (GObject *object)
{
  GrpSockIn *self = GRP_SOCK_IN (object);

  g_free (self->buf);
  g_object_unref (self->socket);
  G_OBJECT_CLASS (grp_sock_in_parent_class)->finalize (object);
}

static void
grp_sock_in_class_init (GrpSockInClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = grp_sock_in_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = in_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = in_close;
}

static void
grp_sock_in_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = in_can_poll;
  iface->is_readable = in_is_readable;
  iface->create_source = in_create_source;
  iface->read_nonblocking = in_read_nonblocking;
}

static void
grp_sock_in_init (GrpSockIn *self)
{
}

/* ---- output: gathers records while corked ------------------------------- */

struct _GrpSockOut {
  GOutputStream parent_instance;

  GSocket *socket;
  GByteArray *gather;         /* gather[off..] not yet sent */
  gsize off;
  gboolean corked;
};

static void grp_sock_out_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GrpSockOut, grp_sock_out, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      grp_sock_out_pollable_init))

gsize
grp_sock_out_pending (GrpSockOut *self)
{
  return self->gather->len - self->off;
}

/* Sends gathered bytes; blocking (the handshake's thread) or not. */
static gboolean
out_send_gathered (GrpSockOut *self, gboolean blocking, GCancellable *cancellable, GError **error)
{
  while (grp_sock_out_pending (self) > 0)
    {
      g_autoptr(GError) local = NULL;
      gssize n = g_socket_send_with_blocking (self->socket,
                                              (const char *) self->gather->data + self->off,
                                              grp_sock_out_pending (self), blocking, cancellable,
                                              &local);

      if (n < 0)
        {
          if (!blocking && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      self->off += (gsize) n;
    }
  g_byte_array_set_size (self->gather, 0);
  self->off = 0;
  return TRUE;
}

gboolean
grp_sock_out_flush (GrpSockOut *self, GError **error)
{
  return out_send_gathered (self, FALSE, NULL, error);
}

void
grp_sock_out_cork (GrpSockOut *self)
{
  self->corked = TRUE;
}

gboolean
grp_sock_out_uncork (GrpSockOut *self, GError **error)
{
  self->corked = FALSE;
  return grp_sock_out_flush (self, error);
}

/* Whether a write would take bytes without the socket. */
static gboolean
out_can_gather (GrpSockOut *self)
{
  return self->corked && grp_sock_out_pending (self) < GRP_SOCK_GATHER_MAX;
}

static gssize
out_write (GOutputStream *stream, const void *buffer, gsize count, GCancellable *cancellable,
           GError **error)
{
  GrpSockOut *self = GRP_SOCK_OUT (stream);

  if (!out_send_gathered (self, TRUE, cancellable, error))
    return -1;
  return g_socket_send_with_blocking (self->socket, buffer, count, TRUE, cancellable, error);
}

static gssize
out_write_nonblocking (GPollableOutputStream *stream, const void *buffer, gsize count,
                       GError **error)
{
  GrpSockOut *self = GRP_SOCK_OUT (stream);

  /* Corked, gathered bytes leave only once there are enough of them;
   * uncorked, before anything else. */
  if (grp_sock_out_pending (self) >= (self->corked ? GRP_SOCK_GATHER_MAX : 1) &&
      !grp_sock_out_flush (self, error))
    return -1;
  if (out_can_gather (self))
    {
      g_byte_array_append (self->gather, buffer, (guint) count);
      return (gssize) count;
    }
  if (grp_sock_out_pending (self) > 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           "earlier records are still being sent");
      return -1;
    }
  return g_socket_send_with_blocking (self->socket, buffer, count, FALSE, NULL, error);
}

static gboolean
out_can_poll (GPollableOutputStream *stream)
{
  return TRUE;
}

static gboolean
out_is_writable (GPollableOutputStream *stream)
{
  GrpSockOut *self = GRP_SOCK_OUT (stream);

  return out_can_gather (self) || g_socket_condition_check (self->socket, G_IO_OUT) != 0;
}

static GSource *
out_create_source (GPollableOutputStream *stream, GCancellable *cancellable)
{
  GrpSockOut *self = GRP_SOCK_OUT (stream);
  g_autoptr(GSource) child = out_can_gather (self)
                             ? g_timeout_source_new (0)
                             : g_socket_create_source (self->socket, G_IO_OUT, cancellable);

  return g_pollable_source_new_full (stream, child, cancellable);
}

static gboolean
out_close (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static void
grp_sock_out_finalize (GObject *object)
{
  GrpSockOut *self = GRP_SOCK_OUT (object);

  g_byte_array_unref (self->gather);
  g_object_unref (self->socket);
  G_OBJECT_CLASS (grp_sock_out_parent_class)->finalize (object);
}

static void
grp_sock_out_class_init (GrpSockOutClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = grp_sock_out_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = out_write;
  G_OUTPUT_STREAM_CLASS (klass)->close_fn = out_close;
}

static void
grp_sock_out_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = out_can_poll;
  iface->is_writable = out_is_writable;
  iface->create_source = out_create_source;
  iface->write_nonblocking = out_write_nonblocking;
}

static void
grp_sock_out_init (GrpSockOut *self)
{
  self->gather = g_byte_array_new ();
}

/* ---- the pair ----------------------------------------------------------- */

GIOStream *
grp_sock_stream_new (GSocket *socket)
{
  g_autoptr(GrpSockIn) in = g_object_new (GRP_TYPE_SOCK_IN, NULL);
  g_autoptr(GrpSockOut) out = g_object_new (GRP_TYPE_SOCK_OUT, NULL);

  in->socket = g_object_ref (socket);
  out->socket = g_object_ref (socket);
  return g_simple_io_stream_new (G_INPUT_STREAM (in), G_OUTPUT_STREAM (out));
}

GrpSockOut *
grp_sock_stream_get_out (GIOStream *stream)
{
  return GRP_SOCK_OUT (g_io_stream_get_output_stream (stream));
}

gsize
grp_sock_stream_get_first (GIOStream *stream, const guint8 **bytes)
{
  GrpSockIn *in = GRP_SOCK_IN (g_io_stream_get_input_stream (stream));

  *bytes = in->first;
  return in->n_first;
}
