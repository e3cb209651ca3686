/* grp-transport.h: protocol messages over TCP with GIO.
 *
 * One listening socket per member; connections are opened on demand to the
 * address the core names and used in both directions.  Each side starts a
 * connection with a HELLO frame (its id, name and advertised address).
 *
 * Writes are coalesced: frames queued for a peer during one main-loop turn
 * leave in one write, and a message sent to many peers is encoded once.
 * A connection closed or reset by the peer's host is reported at once
 * ("peer-lost", confirmed); a peer we cannot reach, one that said BYE before
 * closing, or one whose queue overflowed is reported unconfirmed.  A
 * malformed frame closes that one connection (after a BYE saying why), never
 * the process.
 */
#pragma once

#include <gio/gio.h>

#include "grp-msg.h"

G_BEGIN_DECLS

#define GRP_TYPE_TRANSPORT (grp_transport_get_type ())
G_DECLARE_FINAL_TYPE (GrpTransport, grp_transport, GRP, TRANSPORT, GObject)

/* Called part-way through a broadcast when an armed crash fires. */
typedef void (*GrpCrashFunc) (gpointer user_data);

/* A protocol message from a peer (borrowed for the call). */
typedef void (*GrpMessageFunc) (GrpMsg *msg, gpointer user_data);
/* The end of a main-loop turn that has output: the last chance to add to
 * what this turn writes. */
typedef void (*GrpTurnEndFunc) (gpointer user_data);

GrpTransport *grp_transport_new (void);

/* Bind `listen` ("HOST:PORT", port 0 for any free one; NULL for
 * 127.0.0.1:0) and advertise `advertise` (NULL: the bound address). */
gboolean      grp_transport_listen (GrpTransport *self,
                                    const char   *listen,
                                    const char   *advertise,
                                    GError      **error);
const char   *grp_transport_get_address (GrpTransport *self);

/* Where messages go, and who hears of a turn's end.  Plain calls rather
 * than signals: they run once per message. */
void          grp_transport_set_handlers (GrpTransport   *self,
                                          GrpMessageFunc  on_message,
                                          GrpTurnEndFunc  on_turn_end,
                                          gpointer        user_data);
/* Make sure this turn ends with a flush (and an on_turn_end call). */
void          grp_transport_schedule_flush (GrpTransport *self);

/* Who we are; changing it (a rejoin) closes every connection. */
void          grp_transport_set_self (GrpTransport *self, GrpId id, const char *name);

void          grp_transport_send (GrpTransport *self, GrpId to, const char *addr, GrpMsg *msg);

/* Connect to `addr` and learn who listens there (from its HELLO). */
void          grp_transport_probe_async (GrpTransport        *self,
                                         const char          *addr,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
GrpId         grp_transport_probe_finish (GrpTransport *self,
                                          GAsyncResult *result,
                                          GError      **error);

/* Crash injection: die after `frames` more SEQ frames have been written (so
 * a broadcast is cut part-way); func NULL disarms.  Frames before it are written synchronously
 * so that they really leave the process. */
void          grp_transport_arm_crash (GrpTransport *self,
                                       guint         frames,
                                       GrpCrashFunc  func,
                                       gpointer      user_data);

/* Write out everything queued, blocking (used before a clean exit). */
void          grp_transport_flush_sync (GrpTransport *self);
void          grp_transport_close (GrpTransport *self);

/* Frames a peer may have queued before it is dropped as too slow. */
#define GRP_TRANSPORT_MAX_QUEUE (64u * 1024 * 1024)

G_END_DECLS
