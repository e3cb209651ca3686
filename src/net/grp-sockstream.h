/* grp-sockstream.h: the stream a TLS connection runs on.
 *
 * GnuTLS reads a record in two reads of the stream under it (the 5-byte
 * header, then the rest) and writes each record (at most 16 KiB of
 * plaintext) with one write of its own.  Straight on a socket that is two
 * system calls per record read and one per record written.  This stream
 * reads the socket ahead, up to GRP_SOCK_READ_AHEAD bytes at once, and hands
 * out what TLS asks from that; and while corked it gathers the records
 * written into one buffer (at most GRP_SOCK_GATHER_MAX bytes) that leaves in
 * one send when it is uncorked.  It only moves ciphertext: what TLS
 * guarantees is the same.
 *
 * Both halves are pollable, as GTlsConnection needs, and blocking I/O (the
 * handshake's, in a thread of GIO's) goes straight to the socket after what
 * is buffered.  Closing the stream leaves the socket open: its owner closes
 * it. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Read from the socket at once: four records' worth, and the most a
 * connection holds read ahead of TLS (only while there is some). */
#define GRP_SOCK_READ_AHEAD (64 * 1024)
/* Records gathered while corked before they must leave: a turn of a
 * sequencer's output to one peer at full speed is about this. */
#define GRP_SOCK_GATHER_MAX (256 * 1024)
/* The first bytes read from the socket are kept (grp_sock_stream_get_first). */
#define GRP_SOCK_FIRST 8

#define GRP_TYPE_SOCK_OUT (grp_sock_out_get_type ())
G_DECLARE_FINAL_TYPE (GrpSockOut, grp_sock_out, GRP, SOCK_OUT, GOutputStream)

/* A stream pair over `socket` (connected, non-blocking) for TLS to use as
 * its base. */
GIOStream  *grp_sock_stream_new       (GSocket *socket);

/* The stream's output half, to cork. */
GrpSockOut *grp_sock_stream_get_out   (GIOStream *stream);

/* The first bytes read from the socket (at most GRP_SOCK_FIRST), in
 * *bytes; returns how many.  After a failed handshake: what the peer spoke
 * instead of TLS, if it did.  Read once the handshake has ended. */
gsize       grp_sock_stream_get_first (GIOStream *stream, const guint8 **bytes);

/* Corked: records written are gathered, not sent, up to
 * GRP_SOCK_GATHER_MAX bytes (then writes would block).  Uncorking sends
 * what it can of them without blocking; FALSE on a socket error. */
void        grp_sock_out_cork         (GrpSockOut *self);
gboolean    grp_sock_out_uncork       (GrpSockOut *self, GError **error);
/* Sends what it can of the gathered bytes without blocking; FALSE on a
 * socket error. */
gboolean    grp_sock_out_flush        (GrpSockOut *self, GError **error);
/* Bytes gathered and not yet sent. */
gsize       grp_sock_out_pending      (GrpSockOut *self);

G_END_DECLS
