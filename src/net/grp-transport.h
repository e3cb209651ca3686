/* grp-transport.h: protocol messages over TCP with GIO.
 *
 * One listening socket per member.  A member sends only on connections it
 * dialed itself, to the address the core names for a peer (its advertised
 * listening address): the "route" to that peer.  Connections a peer dialed
 * to us carry its messages to us, never ours to it, so nobody can take over
 * a route by saying HELLO with another member's id.  Each side starts a
 * connection with a HELLO frame (its id, name and advertised address); a
 * connection is bound to that one member incarnation for its life.
 *
 * Writes are coalesced: frames queued for a peer during one main-loop turn
 * leave in one write, and a message sent to many peers is encoded once.
 * A peer that does not read has frames dropped whole beyond a bound (the
 * protocol repairs loss); its connection stays open.  A malformed frame
 * closes that one connection (after a BYE saying why), never the process.
 *
 * Crash reports ("peer-lost").  The core may let a view go on without a
 * member whose crash is confirmed, so a confirmation must be certain:
 * peer-lost (id, confirmed = TRUE) is emitted only when the member
 * incarnation `id` will never send another message.  The sources:
 *
 *  a. It said so: a BYE of kind GRP_BYE_ENDED on a connection bound to it.
 *     Every live incarnation that ends (grp_transport_close, dispose,
 *     grp_transport_set_self with a new id) sends one on every connection.
 *  b. Its connection ended (EOF, reset, or any error) without a BYE, and a
 *     fresh connection to its listening address is refused (no process
 *     listens there) or answered by a HELLO with another id.  If the fresh
 *     connection reaches the same id, it becomes the route and nothing is
 *     reported.
 *  c. Dialing it to send is refused, or answered by another id.
 *
 * In (b) and (c) the address must be "verified": one where a dial of ours
 * has reached this very id before.  A refusal there means its listener,
 * which lives as long as its process, is gone.  What a member advertises
 * in the HELLO of a connection it dialed to us is not verified, even when
 * it names the host the connection comes from: with a wrong port there
 * (a mistaken --advertise) it may live, reachable at its real port by
 * others, while a refusal at the advertised one looked certain (found by
 * the second review of issue 9; docs/PROTOCOL.md).  At an address never
 * verified a refusal proves nothing, and is reported unconfirmed.  The
 * verified address is the IP address and port the dial reached, never the
 * name dialed: a name may name several addresses (or another one later),
 * and another process may listen at the same port on another of them (the
 * third review: /transport/not-certain/name-two-addresses); so (b) dials
 * that IP address and port.
 *
 * Everything else is at most a suspicion (confirmed = FALSE): a dial that
 * times out, finds no route, or meets a peer that accepts but does not say
 * HELLO in time (a stopped process whose kernel still accepts), a failed
 * handshake.  A BYE of kind GRP_BYE_CONNECTION (a malformed frame, a
 * duplicate connection, a failed handshake) closes one connection and
 * reports nothing: its sender is alive and will be dialed again when there
 * is something to send.  A live incarnation never closes a connection
 * without a BYE (best effort); (b) makes a lost BYE harmless.
 *
 * The certainty rests on two assumptions, stated in docs/PROTOCOL.md: a
 * member's listening socket lives exactly as long as its transport, and
 * nobody forges TCP resets between members.
 *
 * What a peer can make a member spend is bounded (each bound is a named
 * constant in grp-transport.c, with its reason, and in docs/SECURITY.md):
 * connections that have not said who they are, and how long they have to;
 * incoming connections in all (below the descriptor limit, where accepting
 * pauses rather than spins); bytes held in incomplete frames, in all; the
 * size of a frame (refused on its header); the length of a name; frames
 * queued for a peer that does not read.
 */
#pragma once

#include <gio/gio.h>

#include "grp-msg.h"
#include "grp-security.h"

G_BEGIN_DECLS

#define GRP_TRANSPORT_ERROR (grp_transport_error_quark ())
GQuark grp_transport_error_quark (void);

typedef enum {
  GRP_TRANSPORT_ERROR_PROTOCOL, /* the member dialed runs another protocol */
  GRP_TRANSPORT_ERROR_ADDRESS,  /* our address is loopback, the member dialed is elsewhere;
                                 * or the address dialed is our own */
  GRP_TRANSPORT_ERROR_DROPPED,  /* it accepted, then closed the connection in the handshake
                                 * without a word (its handshake cut under load, its process
                                 * restarting): a dial a moment later may reach it */
} GrpTransportError;

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

/* Before listening or dialing: TLS with a group secret, a PKI or both
 * (grp-security.h); without, plaintext, and listening is restricted to
 * loopback unless `insecure`. */
void          grp_transport_set_security (GrpTransport *self, GrpSecurity *security);
void          grp_transport_set_insecure (GrpTransport *self, gboolean insecure);

/* Bind `listen` ("HOST:PORT", port 0 for any free one; NULL for
 * 127.0.0.1:0) and advertise `advertise` (NULL: the bound address).
 * Refused: a non-loopback address without security or insecure; the
 * unspecified address (0.0.0.0, ::) without `advertise`. */
gboolean      grp_transport_listen (GrpTransport *self,
                                    const char   *listen,
                                    const char   *advertise,
                                    GError      **error);
const char   *grp_transport_get_address (GrpTransport *self);
/* Open connections over Unix-domain sockets.  Beside its TCP address a
 * member listens on an abstract Unix-domain socket named after it, which
 * only the same network namespace reaches; a dial tries it first and falls
 * back to TCP.  The same handshake (TLS, the secret's proof) runs over
 * either.  GROUPY_NO_LOCAL_SOCKETS=1 in the environment: TCP only. */
guint         grp_transport_count_local (GrpTransport *self);

/* Where messages go, and who hears of a turn's end.  Plain calls rather
 * than signals: they run once per message. */
void          grp_transport_set_handlers (GrpTransport   *self,
                                          GrpMessageFunc  on_message,
                                          GrpTurnEndFunc  on_turn_end,
                                          gpointer        user_data);
/* Make sure this turn ends with a flush (and an on_turn_end call). */
void          grp_transport_schedule_flush (GrpTransport *self);

/* Who we are.  A new id is a new incarnation: the old one ends, with a BYE
 * of kind GRP_BYE_ENDED on every connection, which are all closed. */
void          grp_transport_set_self (GrpTransport *self, GrpId id, const char *name);

/* Splits "HOST:PORT" (an IPv6 host in brackets: "[::1]:7000"); FALSE, with
 * a message naming the expected form, if `s` is not one. */
gboolean      grp_transport_parse_address (const char *s, char **host, guint16 *port,
                                           GError **error);

/* Send `msg` to `to` over our route to it, dialing `addr` (or the address
 * where we reached `to` before) if there is none. */
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
 * a broadcast is cut part-way); func NULL disarms.  Frames before it are
 * written synchronously so that they really leave the process.  It fires
 * at the first broadcast after everything before it has been written to
 * every member it goes to (all their connections open), and the turn
 * queues one SEQ frame to each (a turn of two broadcasts would have both
 * cut), so it cuts that broadcast and nothing earlier, such as a joiner's
 * view or another broadcast.  A broadcast goes to every member of the view
 * (grp_transport_set_view) but us and those known to have ended: not a
 * SEQ to one (a repair), nor one dropped for a member that does not keep
 * up, nor one while frames to anyone else (a HELLO, a refusal) wait to be
 * written (a peer that does not read is not waited for). */
void          grp_transport_arm_crash (GrpTransport *self,
                                       guint         frames,
                                       GrpCrashFunc  func,
                                       gpointer      user_data);

/* The protocol this member runs (default "groupy"), said in every HELLO.
 * A peer whose HELLO names another is refused with a BYE of kind
 * GRP_BYE_PROTOCOL ("this group runs gms2, you run groupy"), and a probe
 * of it fails with GRP_TRANSPORT_ERROR_PROTOCOL, saying the same.  Before
 * any connection. */
void          grp_transport_set_protocol (GrpTransport *self, const char *protocol);
/* Our failure-detection times, said in our HELLOs; a peer that says other
 * times is refused like one that runs another protocol. */
void          grp_transport_set_timing (GrpTransport *self, guint heartbeat_ms, guint suspect_ms);

/* Time a connection has, from its start, to say HELLO (default
 * GRP_TRANSPORT_HANDSHAKE_TIMEOUT_MS); tests shorten it. */
void          grp_transport_set_handshake_timeout (GrpTransport *self, guint timeout_ms);

/* For tests and fuzzers: `conn`, connected already (one end of a
 * socketpair), taken as if accepted on the listening socket (`addr` NULL)
 * or as a dial of ours to `addr` that expects member `expected` (0: anyone).
 * From there on it is any connection: the same handshake, bounds, reading
 * and crash reports (a lost dialed connection is dialed again at `addr`). */
void          grp_transport_adopt (GrpTransport      *self,
                                   GSocketConnection *conn,
                                   const char        *addr,
                                   GrpId              expected);

/* Sources of the net layer go on the thread-default main context of the
 * thread that made the member (never the global default): added there,
 * and removed from there by id (g_source_remove looks in the global one). */
guint         grp_source_add (GMainContext *context, GSource *source, gint priority,
                              GSourceFunc func, gpointer data, GDestroyNotify notify);
void          grp_source_clear (GMainContext *context, guint *id);

/* Keeps `object` alive to the end of the enclosing block.  The first thing
 * each function the main loop calls does (with the object it serves): an
 * application's handler, called from our code below, may drop its last
 * reference to the member, and the member and its transport must outlive
 * the code still on the stack.  The object then goes when that call from
 * the main loop returns, not at a later turn that nobody may run (a
 * program that quits its loop from a handler and drops its member after). */
#define GRP_HOLD(object) \
  g_autoptr(GObject) G_PASTE (grp_hold_, __LINE__) G_GNUC_UNUSED = g_object_ref (G_OBJECT (object))

/* Did member incarnation `id` go without a goodbye, as far as the sockets
 * tell now: it has ended for certain, or a connection bound to it ended (or
 * its other end closed, unread yet) without a BYE.  Not a confirmed crash
 * (a lost connection may be redialed): for saying why a member left. */
gboolean      grp_transport_hung_up (GrpTransport *self, GrpId id);

/* The members of the view the group installed last (none: no view yet).
 * An incoming connection from one of them, or from a peer we send to, is
 * kept; any other, past HELLO, is a stranger's: a few are kept, for a
 * while (docs/SECURITY.md, bounds). */
void          grp_transport_set_view (GrpTransport *self, const GrpId *ids, guint n);
/* Write out everything queued, blocking briefly (used before a clean exit). */
void          grp_transport_flush_sync (GrpTransport *self);
/* End this incarnation: BYE (GRP_BYE_ENDED) on every connection, then
 * close them all.  The listening socket stays. */
void          grp_transport_close (GrpTransport *self);

/* A connection that has not said who it is by then is closed; a dial that
 * has not reached its peer's HELLO by then has failed (unconfirmed).  A few
 * seconds: a loaded member answers well within it, a stopped one never. */
#define GRP_TRANSPORT_HANDSHAKE_TIMEOUT_MS 5000

G_END_DECLS
