/* grp-transport.c: connections, framing, coalesced writes, crash reports. */
#define _GNU_SOURCE /* POLLRDHUP */
#include "grp-transport.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "grp-codec.h"
#include "grp-security.h"
#include "grp-framepool.h"
#include "grp-sockstream.h"

#include <glib-unix.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define READ_CHUNK (64 * 1024)
#define LIGHT_FRAMES 4
/* Beyond this many connections, a light read does not look at the others. */
#define LIGHT_PEERS_MAX 64
#define CONNECT_TIMEOUT_S 5
/* A connection whose data or keepalive probes go unacknowledged this long
 * fails (Linux's TCP_USER_TIMEOUT, with keepalive probes every second after
 * KEEPALIVE_IDLE_S of quiet, so that a connection we only read from fails
 * too), instead of retransmitting with a back-off that grows to two
 * minutes: after a long cut, a member found out only at the next
 * retransmission (16-21 s after a 90-s cut), and its fresh connections
 * were refused while the peer still held the old, dead one as its route
 * (a second connection never takes over a live one).  A failed connection
 * is a suspicion, never a certain crash, and the next send dials anew
 * (CONNECT_TIMEOUT_S each try), so the heal is seen within seconds.  Well
 * above any suspicion timeout a LAN or WAN uses (README, "Across
 * machines"), and above TCP's own retransmissions on a lossy link. */
#define STALL_TIMEOUT_MS 10000
#define KEEPALIVE_IDLE_S 2

/* ---- bounds on what a peer can make a member spend (docs/SECURITY.md) --- */

/* Incoming connections that have not yet said who they are (or proved the
 * secret): a burst of honest joiners needs a few, each for milliseconds.
 * At the bound the oldest is dropped for the newest, so silent
 * connections cannot keep a joiner out, and cost nothing but their slot;
 * none of them is watched for more than its handshake deadline. */
#define PENDING_MAX 64
/* Incoming connections past HELLO whose peer is a stranger: not in the
 * view the group last installed (grp_transport_set_view), and never sent
 * to by us -- which the core does to a joiner it answers and to a member of
 * a newer view it takes part in.  Anyone with the secret can say HELLO
 * under ids of its own making, as often as it likes: a joiner needs one
 * such connection for the second or so its join takes, a burst of joiners
 * a few.  At the bound the oldest is dropped for the newest, and each is
 * closed once it has been a stranger NONMEMBER_MS, or the join timeout's
 * worth of suspicion timeouts (NONMEMBER_SUSPECTS) if longer: by then its
 * join has failed anyway (a join that has not completed in the join
 * timeout, at least 4 suspicion timeouts, fails). */
#define NONMEMBER_MAX 64
#define NONMEMBER_MS 10000
#define NONMEMBER_SUSPECTS 5
/* Incoming connections in all: two per peer at most in a group of hundreds.
 * Lowered to fit the descriptor limit (less FD_RESERVE for our own dials,
 * logs and GLib), so that the limit is reached by our choice, not by
 * failing accept() or failing dials. */
#define INCOMING_MAX 1024
#define FD_RESERVE 64
/* Bytes held in incomplete frames, over all connections: one largest frame
 * (GRP_FRAME_MAX) fits, with room for ordinary traffic besides.  A
 * connection whose next bytes would go beyond it is closed.  With the frame
 * bound, what peers can make a member buffer is this, not what they
 * announce. */
#define READ_BUDGET (24u * 1024 * 1024)
/* A frame this large is handed on without a copy (its buffer becomes the
 * frame's), so a largest frame costs its size once, not twice. */
#define FRAME_STEAL_MIN (1024 * 1024)
/* Pending connections in the kernel: a burst of joiners (and whatever a
 * flood of connections leaves) waits there rather than have SYNs dropped
 * and retried a second later. */
#define LISTEN_BACKLOG 1024
/* Connections accepted per wakeup of the listening socket: bounded, so a
 * flood of connections shares the loop with the group's own traffic. */
#define ACCEPT_BATCH 32
/* Out of descriptors: stop accepting this long (the peers wait in the
 * backlog), say so at most once a minute, and keep serving the group. */
#define ACCEPT_PAUSE_MS 250
#define FD_LIMIT_SAY_US (60 * G_USEC_PER_SEC)
/* Bytes queued for one peer (this turn's frames and the write under way)
 * beyond which further frames to it are dropped whole, until it reads
 * again.  Several turns of a sequencer's output at full speed; a frame
 * larger than this still leaves when nothing else waits.  Dropping rather
 * than closing keeps a slow peer's connection, and its membership, intact:
 * the protocol repairs the loss from its log, as it repairs any loss. */
#define SEND_QUEUE_MAX (8u * 1024 * 1024)
/* What may wait before a frame that alone passes SEND_QUEUE_MAX: a large
 * frame is not dropped for the heartbeat or ping queued this turn (each drop
 * of one costs the sender a re-send, the whole frame again), and a queue
 * stays within SEND_QUEUE_MAX or one frame past this. */
#define QUEUE_BEFORE_LARGE (64 * 1024)
/* The encoding buffer kept between messages: a sequencer's batches fit;
 * a larger frame's buffer is let go after its sends. */
#define ENCODE_KEEP (1024 * 1024)
/* Before a connection says HELLO, it may send only that (or its proof of
 * the secret): a HELLO is at most 2 + 8 + 2 + 4 * GRP_NAME_MAX + 2 +
 * GRP_ADDR_MAX + 1 + GRP_PROTOCOL_NAME_MAX + 4 + 4 (its times, each at
 * most GRP_HELLO_TIMING_MAX_MS) = 567 bytes, an AUTH 2 + GRP_PROOF_LEN. */
#define HANDSHAKE_FRAME_MAX 1024
/* Before a peer proves the secret, a frame of its is its AUTH, exactly
 * 2 + GRP_PROOF_LEN = 34 bytes, or a BYE (a member refuses a wrong proof
 * so, saying why), of which 3 + GRP_BYE_REASON_MAX bytes are read; no
 * member sends a longer one at that stage.  A larger frame is refused on
 * its header, one of another kind on its first two bytes (proof_frame_ok):
 * what a peer can make a member hold before its proof is one AUTH, or a
 * BYE's 207 bytes with their header, not a HELLO's worth. */
#define PROOF_FRAME_MAX MAX (2 + GRP_PROOF_LEN, 3 + GRP_BYE_REASON_MAX)
/* TLS handshakes of incoming connections under way at once.  GIO runs each
 * in a thread of its own, blocked while the peer is silent; honest peers
 * finish theirs in a few milliseconds, so a few slots serve a burst of
 * joiners, and the rest wait their turn (their bytes wait in the kernel).
 * Below GTask's pool of 10 threads, so that dials of ours are not starved. */
#define TLS_HANDSHAKES_MAX 6
/* A slot is taken only once the connection's first TLS record (its
 * ClientHello) is whole in the kernel: a connection that sends part of one
 * and stalls waits as a pending connection (PENDING_MAX, its deadline),
 * never in a slot.  A record's header is TLS_HEADER bytes: its type (a
 * handshake's is TLS_HANDSHAKE_RECORD), version, and length (at most
 * TLS_RECORD_MAX). */
#define TLS_HEADER 5
#define TLS_HANDSHAKE_RECORD 22
/* A handshake that has held a slot this long is ended (the connection
 * closed) when another waits for a slot: past its ClientHello, what is
 * left of an honest handshake is one round trip and a few milliseconds of
 * work, so this allows for a slow WAN (RTTs of a few hundred ms) while a
 * peer that sends a whole ClientHello and then stalls keeps a slot others
 * need for a second, not for the whole handshake deadline.  While nobody
 * waits, a handshake runs to that deadline: on a lossy link an honest one
 * that lost a segment takes a retransmission timeout or two longer, and
 * cutting it cost the peer its link for seconds (a joiner's state). */
#define TLS_SLOT_MS 1000
/* Reads of one TLS connection per wakeup (each returns one record, at most
 * 16 KiB); a plaintext read returns what the socket holds, up to READ_CHUNK. */
#define TLS_READS 16
/* The most plaintext one TLS record carries (RFC 8446, 5.1). */
#define TLS_RECORD_MAX (16 * 1024)
#define PLAIN_READS 4
/* Incarnations remembered as ended (to refuse them, and to report each
 * once): a member sees few in its life; the oldest are forgotten first. */
#define ENDED_MAX 4096
/* Incarnations whose connection ended without a BYE, remembered only to
 * say why they left (grp_transport_hung_up); past this many, forgotten. */
#define HUNG_UP_MAX 256
/* How often handshake deadlines are checked. */
#define SWEEP_MS 100
/* A dial that the peer's kernel accepted and dropped before any HELLO is
 * tried again this many times, REDIAL_MS * n later (see dial_failed). */
#define DIAL_RETRIES 3
#define REDIAL_MS 5
/* Beside its TCP address a member listens on an abstract Unix-domain
 * socket named after it: LOCAL_PREFIX + the advertised HOST:PORT.  Abstract
 * names belong to a network namespace, so only a member that could reach
 * the same loopback finds it; whoever does dials it first (a round trip
 * costs about two thirds of loopback TCP's), and TCP otherwise. */
#define LOCAL_PREFIX "groupy/"
/* `verified` holds this prefix + the advertised address for a peer reached
 * over its Unix-domain socket: a refusal there is certain, not at TCP. */
#define VERIFIED_LOCAL "local:"
/* A Unix-domain connection's send buffer: loopback TCP's largest
 * (net.ipv4.tcp_wmem's default maximum). */
#define LOCAL_SNDBUF (4 * 1024 * 1024)
/* A dial over a Unix-domain socket that has not reached HELLO this soon
 * goes on over TCP (the handshake deadline, 5 s, is TCP's).  Any process of
 * the namespace may have taken a member's name before it (no secret
 * needed) and accept in silence: waiting out the whole deadline there,
 * past the suspicion timeout, had the member excluded, again and again.
 * An honest local handshake takes milliseconds; a slow one loses nothing
 * but the shortcut. */
#define LOCAL_HANDSHAKE_MS 500

typedef enum {
  CONN_CONNECTING,            /* outgoing: TCP connect under way */
  CONN_TLS,                   /* TLS handshake: incoming, from its first bytes on */
  CONN_PROOF,                 /* waiting for the peer's proof of the secret (AUTH) */
  CONN_HELLO,                 /* waiting for the peer's HELLO */
  CONN_OPEN,                  /* bound to a member incarnation: messages flow */
  CONN_CLOSED,
} ConnState;

typedef struct {
  gint refs;
  GrpTransport *t;            /* not owned; never used once closed (it may be gone) */
  GSocketConnection *conn;
  GSocket *sock;              /* non-blocking; read and written directly without TLS */
  GTlsConnection *tls;        /* NULL: plaintext */
  GIOStream *base;            /* what TLS runs on: the socket, read ahead and gathered */
  GrpSockOut *gather;         /* base's output half (records gathered while corked) */
  GPollableInputStream *in;   /* the TLS connection's halves, once handshaken */
  GPollableOutputStream *out;
  gboolean tls_started;
  gboolean handshaking;       /* GIO's handshake thread may be reading sock */
  gboolean tls_slot;          /* counted in tls_running */
  gint64 slot_deadline;       /* monotonic time by which a slot's handshake must be done */
  gboolean first_wait;        /* incoming, TLS: its first record is not whole yet */
  gboolean first_whole;       /* incoming, TLS: it is (a handshake slot may be its) */
  char *source;               /* incoming, TLS, waiting or in a slot: whence (source_of) */
  gboolean stranger;          /* incoming, open, in `strangers` (NONMEMBER_MAX) */
  GCancellable *cancel;
  char *addr;                 /* dialed, or advertised in the peer's HELLO */
  GrpId peer;                 /* expected (dialing) or announced (HELLO) id */
  gboolean outgoing;
  gboolean local;             /* over the Unix-domain socket (a dial of ours: tried first) */
  char *local_refusal;        /* a dial going on over TCP: what refused it at the protocol
                               * on the Unix-domain name (whoever answered there), or NULL */
  gboolean local_dropped;     /* ... and whether it was accepted there, then dropped */
  char *local_unused;         /* ... or why it did not go on there (who holds the name) */
  ConnState state;
  gboolean bye_received;
  gboolean reading;           /* in on_readable (against re-entry from a nested loop) */
  GSource *in_source;         /* readable (always, once connected) */
  GSource *out_source;        /* writable (only while a write is blocked) */
  GByteArray *rbuf;           /* bytes read, not yet a whole frame */
  GByteArray *hs;             /* handshake frames (AUTH, HELLO): written first */
  GByteArray *outq;           /* frames for the peer: written once it said HELLO */
  GByteArray *wbuf;           /* the write under way: wbuf[woff..] is unsent */
  gsize woff;
  GTask *probe;               /* waiting for the peer's HELLO */
  guint queued_seq;           /* SEQ frames queued this turn */
  gsize before_seq;           /* bytes queued before the turn's first SEQ */
  gint64 deadline;            /* monotonic time by which it must be open */
  guint64 dropped;            /* frames dropped since the queue last drained */
  gsize queue_max;            /* SEND_QUEUE_MAX, more where the kernel holds less */
  guint attempt;              /* dials for the same loss before this one */
  guint reread_id;            /* more TLS records may wait: read again */
  FILE *record;               /* debug builds: where its frames are recorded, or NULL */
} Conn;

/* A dial to be made again shortly. */
typedef struct {
  GrpTransport *t;
  GrpId peer;
  char *addr;
  guint attempt;
  guint id;
} Redial;

struct _GrpTransport {
  GObject parent_instance;

  GrpId self_id;
  char *self_name;
  char *address;
  char *protocol;             /* what we run, said in our HELLO (grp-proto.h) */
  GrpHelloTiming timing;      /* our failure-detection times, said there too */
  GrpId last_refused;         /* the last peer refused for its protocol or times (on_hello) */
  GrpSecurity *security;      /* NULL: plaintext, loopback only unless insecure */
  gboolean insecure;
  guint tls_running;          /* incoming TLS handshakes under way */
  GQueue tls_waiting;         /* Conn*: incoming, waiting for a handshake slot */
  GSocket *listener;
  GSource *accept_source;     /* NULL while accepting is paused */
  GSocket *local_listener;    /* the abstract Unix-domain socket, or NULL */
  GSource *local_accept_source;
  gboolean no_local;          /* GROUPY_NO_LOCAL_SOCKETS: TCP only (measurements, tests) */
  guint accept_pause_id;
  GMainContext *context;      /* the thread-default context where it was made */
  gint64 fd_limit_said;       /* when we last said we ran out of descriptors */
  guint incoming_max;         /* INCOMING_MAX, or less to fit the descriptor limit */
  guint incoming;             /* incoming connections open */
  GQueue pending_in;          /* Conn*: incoming, not yet open, oldest first */
  GQueue strangers;           /* Conn*: incoming, open, peer a stranger, oldest first */
  GHashTable *view;           /* GrpId set: the members of the view last installed */
  gsize buffered;             /* bytes in every rbuf */
  gboolean said_too_large;    /* a frame of ours was over GRP_FRAME_MAX */
  GSocketClient *client;
  GPtrArray *conns;           /* Conn*, each holding one ref */
  GHashTable *routes;         /* GrpId -> Conn* we dialed: the way to send to it */
  GHashTable *inbound;        /* GrpId -> Conn* it dialed and bound at its HELLO */
  GHashTable *verified;       /* GrpId -> address where a dial of ours reached it */
  GHashTable *ended;          /* GrpId set: incarnations known to have ended */
  GQueue ended_order;         /* the same ids (as pointers to the keys), oldest first */
  GHashTable *hung_up;        /* GrpId set: a connection bound to it ended without a BYE */
  GPtrArray *redials;         /* Redial*, pending */
  guint8 *scratch;            /* READ_CHUNK bytes to read into (NULL while in use) */
  GrpFramePool *frames;       /* the frames read are copied into its buffers */
  guint flush_id;
  guint sweep_id;
  guint handshake_timeout_ms;
  GrpMsg *cache_msg;          /* the last message encoded, and its frame */
  GByteArray *cache_frame;    /* kept from one message to the next (ENCODE_KEEP) */
  GPtrArray *turn_seq;        /* conns given a SEQ this turn, in order */
  guint64 reqs_read;          /* REQ frames read, ever: a sequencer's input */
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
G_DEFINE_QUARK (grp-transport-error-quark, grp_transport_error)

enum {
  SIGNAL_PEER_LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void conn_close (Conn *c, const char *why);
static Conn *dial (GrpTransport *self, const char *addr, GrpId expected);
static Conn *dial_via (GrpTransport *self, const char *addr, GrpId expected, gboolean local);
static gboolean on_readable (gint fd, GIOCondition cond, gpointer data);
static gboolean reread (gpointer data);
static void tls_request (Conn *c);
static gboolean first_record_whole (Conn *c);
static void tls_next (GrpTransport *self);
static void cut_slow_slots (GrpTransport *self, gint64 now);

guint
grp_source_add (GMainContext *context, GSource *source, gint priority, GSourceFunc func,
                gpointer data, GDestroyNotify notify)
{
  guint id;

  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  id = g_source_attach (source, context);
  g_source_unref (source);
  return id;
}

void
grp_source_clear (GMainContext *context, guint *id)
{
  GSource *source;

  if (*id == 0)
    return;
  source = g_main_context_find_source_by_id (context, *id);
  *id = 0;
  if (source != NULL)
    g_source_destroy (source);
}

static guint
add_timeout (GrpTransport *self, guint ms, GSourceFunc func, gpointer data)
{
  return grp_source_add (self->context, g_timeout_source_new (ms), G_PRIORITY_DEFAULT, func, data,
                         NULL);
}

static guint
add_idle (GrpTransport *self, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  return grp_source_add (self->context, g_idle_source_new (), G_PRIORITY_DEFAULT, func, data,
                         notify);
}

static void
redial_free (Redial *r)
{
  grp_source_clear (r->t->context, &r->id);
  g_free (r->addr);
  g_free (r);
}

static gboolean
conn_writing (Conn *c)
{
  return c->woff < c->wbuf->len || (c->gather != NULL && grp_sock_out_pending (c->gather) > 0);
}

static gsize
conn_queued (Conn *c)
{
  return c->outq->len + (c->wbuf->len - c->woff);
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
  g_clear_object (&c->tls);
  g_clear_object (&c->base);
  g_clear_object (&c->conn);
  g_clear_object (&c->cancel);
  g_free (c->addr);
  g_free (c->source);
  g_free (c->local_refusal);
  g_free (c->local_unused);
  g_byte_array_unref (c->rbuf);
  g_byte_array_unref (c->hs);
  g_byte_array_unref (c->outq);
  g_byte_array_unref (c->wbuf);
  if (c->record != NULL)
    fclose (c->record);
  g_free (c);
}

static gboolean
sweep (gpointer data);

static Conn *
conn_new (GrpTransport *self, const char *addr, gboolean outgoing)
{
  Conn *c = g_new0 (Conn, 1);

  c->refs = 1;
  c->t = self;
  c->cancel = g_cancellable_new ();
  c->addr = g_strdup (addr);
  c->outgoing = outgoing;
  c->state = outgoing ? CONN_CONNECTING : CONN_TLS;
  c->queue_max = SEND_QUEUE_MAX;
  c->rbuf = g_byte_array_new ();
  c->hs = g_byte_array_new ();
  c->outq = g_byte_array_new ();
  c->wbuf = g_byte_array_new ();
  c->deadline = g_get_monotonic_time () + (gint64) self->handshake_timeout_ms * 1000;
  if (!outgoing)
    {
      self->incoming++;
      g_queue_push_tail (&self->pending_in, c);
    }
  g_ptr_array_add (self->conns, c);
  if (self->sweep_id == 0)
    self->sweep_id = add_timeout (self, SWEEP_MS, sweep, self);
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

static gboolean
has_ended (GrpTransport *self, GrpId id)
{
  return g_hash_table_contains (self->ended, &id);
}

static void
conn_say_hello (Conn *c)
{
  GrpTransport *self = c->t;
  GrpMember me = { self->self_id, self->self_name, self->address };

  grp_codec_append_hello (c->hs, &me, self->protocol, &self->timing);
}

/* The HELLOs: the dialer says who it is first (after the proof of the
 * secret, with one); the member dialed answers with its own HELLO only if
 * it takes the connection, else with a BYE.  So a peer learns who a member
 * is only once that member accepted it. */
static void
conn_greet (Conn *c)
{
  if (c->outgoing)
    conn_say_hello (c);
  c->state = CONN_HELLO;
}

/* Whether frames can be written: TCP is up, and TLS too if any. */
static gboolean
conn_can_write (Conn *c)
{
  return c->state != CONN_CONNECTING && c->state != CONN_TLS && c->state != CONN_CLOSED;
}

/* One non-blocking write, through TLS if the connection has it. */
static gssize
conn_send_raw (Conn *c, const guint8 *data, gsize len, GError **error)
{
  if (c->tls != NULL)
    return g_pollable_output_stream_write_nonblocking (c->out, data, len, NULL, error);
  return g_socket_send (c->sock, (const char *) data, len, NULL, error);
}

static gssize
conn_recv (Conn *c, guint8 *buf, gsize len, GError **error)
{
  if (c->tls != NULL)
    return g_pollable_input_stream_read_nonblocking (c->in, buf, len, NULL, error);
  return g_socket_receive (c->sock, (char *) buf, len, NULL, error);
}

/* ---- closing ---------------------------------------------------------- */

static void
send_bye (Conn *c, GrpByeKind kind, const char *reason)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  /* Best effort, without waiting: a BYE cannot follow half a frame, and a
   * peer that misses it finds out what happened by dialing us
   * (grp-transport.h, b). */
  if (!conn_can_write (c) || conn_writing (c))
    return;
  grp_codec_append_bye (frame, kind, reason);
  /* Its failure is not ours to report, but it is asked for: GIO's TLS
   * (glib-networking 2.74) leaks the error of a write to a peer that has
   * gone when the caller passes none (LeakSanitizer, /group/contact-drops-
   * handshake/tls: two GErrors in 3 runs of 3). */
  conn_send_raw (c, frame->data, frame->len, &error);
}

/* A probe's answer reaches its caller from an idle of its own, never from
 * inside the connection's code: the caller (a member joining) may end
 * itself, and with it this transport's connections, in its callback. */
typedef struct {
  GTask *task;
  GrpId id;                   /* the peer, if no error */
  GError *error;
} ProbeAnswer;

static gboolean
probe_answer (gpointer data)
{
  ProbeAnswer *a = data;

  if (a->error != NULL)
    g_task_return_error (a->task, g_steal_pointer (&a->error));
  else
    g_task_return_int (a->task, (gssize) a->id);
  return G_SOURCE_REMOVE;
}

/* Also when the context goes with the answer undelivered. */
static void
probe_answer_free (gpointer data)
{
  ProbeAnswer *a = data;

  g_clear_error (&a->error);
  g_object_unref (a->task);
  g_free (a);
}

/* Answers `c`'s probe, if it has one, with `id`, or with `error` (taken). */
static void
probe_return (Conn *c, GrpId id, GError *error)
{
  ProbeAnswer *a;

  if (c->probe == NULL)
    {
      g_clear_error (&error);
      return;
    }
  a = g_new0 (ProbeAnswer, 1);
  a->task = g_steal_pointer (&c->probe);
  a->id = id;
  a->error = error;
  grp_source_add (c->t->context, g_idle_source_new (), G_PRIORITY_DEFAULT, probe_answer, a,
                  probe_answer_free);
}

/* Closes `c` and forgets it; reports nothing (the callers decide what its
 * end means). */
static void
conn_close (Conn *c, const char *why)
{
  GrpTransport *self = c->t;

  if (c->state == CONN_CLOSED)
    return;
  c->state = CONN_CLOSED;
  g_debug ("connection %s %s (%" G_GINT64_MODIFIER "x) closed: %s", c->outgoing ? "to" : "from",
           c->addr ? c->addr : "?", c->peer, why);
  g_cancellable_cancel (c->cancel);
  if (c->in_source != NULL)
    g_source_destroy (c->in_source);
  if (c->out_source != NULL)
    g_source_destroy (c->out_source);
  g_clear_pointer (&c->in_source, g_source_unref);
  g_clear_pointer (&c->out_source, g_source_unref);
  grp_source_clear (self->context, &c->reread_id);
  g_queue_remove (&self->tls_waiting, c);
  if (c->tls_slot)
    {
      /* Its handshake ends at once (cancelled, its socket closed), and
       * must not tell this transport, which may be gone by then. */
      c->tls_slot = FALSE;
      self->tls_running--;
    }
  g_queue_remove (&self->pending_in, c);
  if (c->stranger)
    g_queue_remove (&self->strangers, c);
  c->stranger = FALSE;
  if (!c->outgoing)
    self->incoming--;
  self->buffered -= c->rbuf->len;
  g_byte_array_set_size (c->rbuf, 0);
  /* The socket itself, not the TLS stream: closing TLS would wait to send
   * close_notify to a peer that may not read (a BYE said what matters).
   * While GIO's handshake thread may be reading the socket, it is only
   * shut down (that read ends at once), and tls_done closes it: closed
   * now, its descriptor could be given to a new connection before that
   * thread's next read, which would take the new connection's bytes. */
  if (c->conn != NULL && c->handshaking)
    g_socket_shutdown (c->sock, TRUE, TRUE, NULL);
  else if (c->conn != NULL)
    g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
  if (c->probe != NULL)
    probe_return (c, 0, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                     "%s closed the connection before saying who it is", c->addr));
  if (c->peer != 0 && route_of (self, c->peer) == c)
    set_route (self, c->peer, NULL);
  if (c->peer != 0 && g_hash_table_lookup (self->inbound, &c->peer) == c)
    g_hash_table_remove (self->inbound, &c->peer);
  g_ptr_array_remove (self->turn_seq, c);
  g_ptr_array_remove (self->conns, c); /* drops the list's ref */
  tls_next (self);
}

/* A connection-only close: the peer learns it was not a crash. */
static void
refuse (Conn *c, const char *why)
{
  send_bye (c, GRP_BYE_CONNECTION, why);
  conn_close (c, why);
}

/* `id` has ended for certain: remember it, close whatever still speaks for
 * it, and tell the core (once). */
static void
peer_ended (GrpTransport *self, GrpId id, const char *why)
{
  GrpId *key;

  if (id == 0 || has_ended (self, id))
    return;
  g_debug ("%" G_GINT64_MODIFIER "x has ended: %s", id, why);
  key = g_memdup2 (&id, sizeof id);
  g_hash_table_add (self->ended, key);
  g_queue_push_tail (&self->ended_order, key);
  if (self->ended_order.length > ENDED_MAX)
    g_hash_table_remove (self->ended, g_queue_pop_head (&self->ended_order));
  g_hash_table_remove (self->verified, &id);
  for (guint i = self->conns->len; i-- > 0;)
    if (i < self->conns->len)
      {
        Conn *c = g_ptr_array_index (self->conns, i);

        if (c->peer == id)
          conn_close (c, why);
      }
  g_signal_emit (self, signals[SIGNAL_PEER_LOST], 0, (guint64) id, TRUE);
}

/* Whether the other end of `fd` has closed (a FIN or a reset has come),
 * whatever is still unread before it; without reading. */
static gboolean
fd_hung_up (int fd)
{
  struct pollfd pfd = { fd, POLLIN | POLLRDHUP, 0 };

  return poll (&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

gboolean
grp_transport_hung_up (GrpTransport *self,
                       GrpId         id)
{
  g_return_val_if_fail (GRP_IS_TRANSPORT (self), FALSE);

  if (has_ended (self, id) || g_hash_table_contains (self->hung_up, &id))
    return TRUE;
  /* Not read yet: the kernel knows that the other end closed (a FIN or a
   * reset has arrived), whatever is still unread before it. */
  for (guint i = 0; i < self->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (self->conns, i);

      if (c->peer == id && c->state == CONN_OPEN && c->sock != NULL &&
          fd_hung_up (g_socket_get_fd (c->sock)))
        return TRUE;
    }
  return FALSE;
}

static void
peer_suspected (GrpTransport *self, GrpId id, const char *why)
{
  g_debug ("%" G_GINT64_MODIFIER "x unreachable (not certain): %s", id, why);
  g_signal_emit (self, signals[SIGNAL_PEER_LOST], 0, (guint64) id, FALSE);
}

typedef enum {
  DIAL_REFUSED,               /* nothing listens at the address */
  DIAL_OTHER_ID,              /* another incarnation answered there */
  DIAL_CLOSED_EARLY,          /* accepted, then closed before any HELLO or BYE */
  DIAL_FAILED,                /* anything else: a timeout, no route, a BYE */
} DialFailure;

static gboolean
redial (gpointer data);

/* A dial of ours did not reach the peer it expected.  A refusal or another
 * id is certain only at an address where we reached this peer before. */
static void
dial_failed (Conn *c, DialFailure failure, const GError *error, const char *why)
{
  GrpTransport *self = c->t;
  GrpId peer = c->peer;
  gboolean was_route = peer != 0 && route_of (self, peer) == c;
  const char *verified = peer != 0 ? g_hash_table_lookup (self->verified, &peer) : NULL;
  g_autofree char *where = c->local ? g_strconcat (VERIFIED_LOCAL, c->addr, NULL)
                                    : g_strdup (c->addr);
  gboolean certain = (failure == DIAL_REFUSED || failure == DIAL_OTHER_ID) &&
                     verified != NULL && g_strcmp0 (verified, where) == 0;
  guint attempt = c->attempt;
  g_autofree char *addr = g_strdup (c->addr);
  g_autofree char *what = g_strdup_printf ("%s: %s", c->addr, why);

  if (c->local && !certain)
    {
      /* The Unix-domain socket is a shortcut, never news about the peer
       * (nothing there, or something else holds the name): TCP tells. */
      GTask *probe = g_steal_pointer (&c->probe);
      g_autoptr(GByteArray) outq = g_steal_pointer (&c->outq);
      g_autofree char *refusal = g_steal_pointer (&c->local_refusal);
      g_autofree char *unused = g_steal_pointer (&c->local_unused);
      Conn *tcp;

      g_debug ("%s over its Unix-domain socket: %s; trying TCP", c->addr, why);
      c->outq = g_byte_array_new ();
      conn_close (c, why); /* may free c */
      if (probe == NULL && (!was_route || has_ended (self, peer)))
        return;
      /* What was queued for the peer goes the other way. */
      tcp = dial_via (self, addr, peer, FALSE);
      tcp->attempt = attempt;
      tcp->probe = probe;
      tcp->local_refusal = g_steal_pointer (&refusal);
      tcp->local_unused = g_steal_pointer (&unused);
      tcp->local_dropped = failure == DIAL_CLOSED_EARLY;
      g_byte_array_append (tcp->outq, outq->data, outq->len);
      return;
    }

  if (c->probe != NULL)
    {
      /* A refusal on the Unix-domain name, which TCP did not confirm: said
       * as whoever answered there said it (the member, where TCP cannot
       * reach it from here; or a process that took its name). */
      g_autofree char *also = c->local_refusal != NULL
                                ? g_strdup_printf (" (over its Unix-domain name, whoever "
                                                   "answered refused us: %s)", c->local_refusal)
                                : c->local_unused != NULL
                                ? g_strdup_printf (" (its Unix-domain name was not used: %s; "
                                                   "members of one host run by different "
                                                   "users reach each other over TCP)",
                                                   c->local_unused)
                                : g_strdup ("");

      /* Dropped without a word is said apart from the rest: a join
       * tries such a contact again (grp-group.c, probe_transient).  So
       * is a dial dropped on the Unix-domain name and refused over TCP:
       * the contact was there a moment ago, and its process is ending,
       * or restarting (over TCP alone, the join learns it from the drop,
       * then tries the refusals again). */
      if (c->local_dropped && failure == DIAL_REFUSED)
        {
          char *was = also;

          also = g_strdup_printf (" (over its Unix-domain name, it closed the connection "
                                  "without a word)%s", was);
          g_free (was);
        }
      probe_return (c, 0, c->local_dropped && failure == DIAL_REFUSED
                          ? g_error_new (GRP_TRANSPORT_ERROR, GRP_TRANSPORT_ERROR_DROPPED,
                                         "could not reach %s: %s%s", c->addr,
                                         error != NULL ? error->message : why, also)
                          : error != NULL ? g_error_new (error->domain, error->code,
                                                       error->domain == GRP_SECURITY_ERROR
                                                       ? "%s: %s%s" /* reached, and refused */
                                                       : "could not reach %s: %s%s", c->addr,
                                                       error->message, also)
                          : failure == DIAL_CLOSED_EARLY
                          ? g_error_new (GRP_TRANSPORT_ERROR, GRP_TRANSPORT_ERROR_DROPPED,
                                         "%s%s", what, also)
                          : g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%s%s", what, also));
    }
  conn_close (c, why); /* may free c */
  if (!was_route || has_ended (self, peer))
    return;
  /* Out of descriptors or buffers: our trouble, not news about the peer. */
  if (error != NULL && (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) ||
                        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)))
    return;
  /* A process being killed closes its connections, then its listener: a
   * dial in between is accepted by the kernel and dropped at once.  Dial
   * again (briefly later) rather than suspect it: the next one tells. */
  if (failure == DIAL_CLOSED_EARLY && attempt < DIAL_RETRIES)
    {
      Redial *r = g_new0 (Redial, 1);

      r->t = self;
      r->peer = peer;
      r->addr = g_steal_pointer (&addr);
      r->attempt = attempt + 1;
      g_ptr_array_add (self->redials, r);
      r->id = add_timeout (self, REDIAL_MS * r->attempt, redial, r);
      return;
    }
  if (certain)
    peer_ended (self, peer, what);
  else
    peer_suspected (self, peer, what);
}

static gboolean
redial (gpointer data)
{
  Redial *r = data;
  GrpTransport *self = r->t;
  GRP_HOLD (self);

  r->id = 0;
  if (route_of (self, r->peer) == NULL && !has_ended (self, r->peer))
    dial (self, r->addr, r->peer)->attempt = r->attempt;
  g_ptr_array_remove (self->redials, r);
  return G_SOURCE_REMOVE;
}

/* `c` ended without our doing: EOF, reset, or another error. */
static void
conn_lost (Conn *c, const GError *error)
{
  GrpTransport *self = c->t;
  GrpId peer = c->peer;
  g_autofree char *addr = g_strdup (c->addr);
  const char *why = error != NULL ? error->message : "end of stream";
  gboolean was_route = peer != 0 && route_of (self, peer) == c;
  gboolean outgoing = c->outgoing;
  gboolean said_bye = c->bye_received;

  if (c->state != CONN_OPEN)
    {
      if (outgoing && !said_bye && c->in != NULL &&
          (grp_security_has_pki (self->security) || grp_security_peer_has_pki (c->tls)))
        {
          /* Our TLS handshake was done, and it went without a word: a
           * member with a PKI that does not take our certificate does so
           * (it says nothing more to a peer it does not trust), and so
           * does one that got none from us, a member with a secret alone.
           * A join through it fails at once, saying so, rather than dial
           * it again as a contact that dropped the connection
           * (GRP_TRANSPORT_ERROR_DROPPED) until its timeout. */
          g_autoptr(GError) refused =
            g_error_new_literal (GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_REFUSED,
                                 grp_security_has_pki (self->security)
                                 ? "it closed the connection after the TLS handshake, without a "
                                   "word: it may not take this member's certificate (is it "
                                   "signed by the CA the group's members are given?)"
                                 : "it closed the connection after the TLS handshake, without a "
                                   "word: it runs with a PKI (a CA signed its certificate), and "
                                   "this member has no certificate to give (give it the group's "
                                   "CA and a certificate that CA signed)");

          dial_failed (c, DIAL_CLOSED_EARLY, refused, refused->message);
        }
      else if (outgoing)
        dial_failed (c, said_bye ? DIAL_FAILED : DIAL_CLOSED_EARLY, NULL,
                     said_bye ? "it refused the connection"
                     : self->security != NULL
                     ? "it closed the connection before saying who it is"
                     : "it closed the connection before saying who it is (if the group has "
                       "a secret, give the same secret file)");
      else
        conn_close (c, why);
      return;
    }
  conn_close (c, why); /* may free c */
  if (said_bye || has_ended (self, peer))
    return; /* a connection-only BYE: it lives, and is dialed again when needed */
  if (g_hash_table_size (self->hung_up) >= HUNG_UP_MAX)
    g_hash_table_remove_all (self->hung_up);
  g_hash_table_add (self->hung_up, g_memdup2 (&peer, sizeof peer));
  /* No BYE: dial its listening address now.  The same id answers: it lives
   * and that connection is the new route.  Refused, or another id: it has
   * ended (at a verified address).  Anything else: a suspicion.  The
   * address of a peer that dialed us is the one its HELLO advertised; we
   * only dial it if we have no route of our own (which will tell). */
  if (!was_route && (outgoing || route_of (self, peer) != NULL))
    return;
  /* Where we reached it, if we did: only a dial there can be certain. */
  if (g_hash_table_lookup (self->verified, &peer) != NULL)
    {
      g_free (addr);
      addr = g_strdup (g_hash_table_lookup (self->verified, &peer));
    }
  if (addr == NULL || *addr == '\0')
    peer_suspected (self, peer, "its connection ended and it has no address to dial");
  else
    dial (self, addr, peer);
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
  g_source_attach (source, c->t->context);
  return source;
}

/* Sends what it can of wbuf without blocking; when the socket is full, waits
 * for it to drain (on_writable).  FALSE if the connection was closed.
 * Through TLS, the records of wbuf are gathered and leave in one send (a
 * record per send otherwise: at most 16 KiB). */
static gboolean
conn_send_some (Conn *c)
{
  g_autoptr(GError) error = NULL;

  if (c->gather != NULL)
    grp_sock_out_cork (c->gather);
  while (c->woff < c->wbuf->len)
    {
      gssize n = conn_send_raw (c, c->wbuf->data + c->woff, c->wbuf->len - c->woff, &error);

      if (n < 0)
        break;
      c->woff += (gsize) n;
    }
  if (error == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      g_clear_error (&error);
      if (c->gather == NULL || grp_sock_out_uncork (c->gather, &error))
        {
          if (conn_writing (c))
            {
              if (c->out_source == NULL)
                c->out_source = conn_source (c, G_IO_OUT, on_writable);
              return TRUE;
            }
          g_byte_array_set_size (c->wbuf, 0);
          c->woff = 0;
          return TRUE;
        }
    }
  if (c->gather != NULL)
    grp_sock_out_uncork (c->gather, NULL);
  conn_lost (c, error);
  return FALSE;
}

/* The next bytes to write: handshake frames as soon as connected, the
 * peer's frames once it said who it is. */
static GByteArray **
conn_next_out (Conn *c)
{
  if (c->hs->len > 0 && conn_can_write (c))
    return &c->hs;
  if (c->state == CONN_OPEN && c->outq->len > 0)
    return &c->outq;
  return NULL;
}

/* Starts writing what is queued, unless a write is still under way (its
 * end schedules the next). */
static void
conn_write (Conn *c)
{
  GByteArray **next;
  GByteArray *tmp;

  if (!conn_can_write (c) || conn_writing (c))
    return;
  next = conn_next_out (c);
  if (next == NULL)
    return;
  tmp = c->wbuf;
  c->wbuf = *next;
  *next = tmp;
  c->woff = 0;
  if (conn_send_some (c) && !conn_writing (c) && conn_next_out (c) != NULL)
    conn_write (c);
}

static gboolean
on_writable (gint fd, GIOCondition cond, gpointer data)
{
  Conn *c = data;

  if (c->state == CONN_CLOSED)
    return G_SOURCE_REMOVE;
  GRP_HOLD (c->t);

  if (!conn_send_some (c) || conn_writing (c))
    return c->state == CONN_CLOSED ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
  g_clear_pointer (&c->out_source, g_source_unref);
  if (c->dropped > 0)
    {
      g_message ("%s reads again; %" G_GUINT64_FORMAT " frames to it were dropped meanwhile",
                 c->addr, c->dropped);
      c->dropped = 0;
    }
  if (conn_next_out (c) != NULL)
    grp_transport_schedule_flush (c->t);
  return G_SOURCE_REMOVE;
}

/* Writes everything queued on `c`, waiting for the socket until `deadline`
 * (monotonic time) at most; what is left then stays unsent. */
static void
conn_write_sync (Conn *c, gint64 deadline)
{
  GByteArray **next;

  if (!conn_can_write (c))
    return;
  while ((next = conn_next_out (c)) != NULL)
    {
      g_byte_array_append (c->wbuf, (*next)->data, (*next)->len);
      g_byte_array_set_size (*next, 0);
    }
  while (conn_writing (c))
    {
      g_autoptr(GError) error = NULL;

      if (c->woff == c->wbuf->len)
        {
          /* Only records gathered earlier are left: sent, or the socket is full. */
          if (!grp_sock_out_flush (c->gather, &error))
            return;
          if (!conn_writing (c))
            break;
        }
      else
        {
          gssize n = conn_send_raw (c, c->wbuf->data + c->woff, c->wbuf->len - c->woff, &error);

          if (n > 0)
            {
              c->woff += (gsize) n;
              continue;
            }
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return;
        }
      if (g_get_monotonic_time () >= deadline ||
          !g_socket_condition_timed_wait (c->sock, G_IO_OUT, deadline - g_get_monotonic_time (),
                                          NULL, NULL))
        return;
    }
  g_byte_array_set_size (c->wbuf, 0);
  c->woff = 0;
}

/* Whether this turn's SEQ frames are a broadcast cut now would take
 * nothing earlier with it.  They go to every member of the view but us (a
 * member known to have ended is sent nothing): a SEQ to some only is no
 * broadcast (the real protocol's answer to a NAK, gms4's re-send), or one
 * dropped for a member that does not keep up, whose queue holds earlier
 * broadcasts.  And no other connection holds frames this flush would
 * write, or its opening (a refusal to a joiner, a HELLO, queued in the
 * turn): the crash writes only to the turn's first members.  A connection
 * whose peer does not read (one left out of the view, stopped) is not
 * waited for: its turn may never come. */
static gboolean
broadcast_whole (GrpTransport *self)
{
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < self->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (self->conns, i);

      if (c->queued_seq == 0 && !conn_writing (c) && (c->outq->len > 0 || c->hs->len > 0))
        return FALSE;
    }
  g_hash_table_iter_init (&iter, self->view);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      GrpId id = *(GrpId *) key;
      gboolean reached = FALSE;

      if (id == self->self_id || has_ended (self, id))
        continue;
      for (guint i = 0; i < self->turn_seq->len && !reached; i++)
        reached = ((Conn *) g_ptr_array_index (self->turn_seq, i))->peer == id;
      if (!reached)
        return FALSE;
    }
  return TRUE;
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
  grp_source_clear (self->context, &self->flush_id);
  g_clear_pointer (&self->cache_msg, grp_msg_unref);

  if (self->crash_armed && self->turn_seq->len > 0)
    {
      gboolean clean = TRUE;

      /* Only once all that went before is written: a connection not open
       * yet, or opened in this turn, holds earlier frames (a joiner's
       * view) that a crash now would cut with this broadcast.  And only in
       * a turn of one broadcast: a stage's leader that handled two
       * requests in one turn had both cut at the same member, where the
       * exercise's crash cuts the last one (gms3's new leader sends that
       * one again, and the members after the cut skipped the other). */
      for (guint i = 0; i < self->turn_seq->len; i++)
        {
          Conn *c = g_ptr_array_index (self->turn_seq, i);

          clean &= c->state == CONN_OPEN && c->before_seq == 0 && !conn_writing (c) &&
                   c->queued_seq == 1;
        }
      if (clean && broadcast_whole (self))
        {
          /* The broadcast reaches the first crash_frames peers, and no more. */
          for (guint i = 0; i < self->turn_seq->len && i < self->crash_frames; i++)
            conn_write_sync (g_ptr_array_index (self->turn_seq, i), G_MAXINT64);
          self->crash_armed = FALSE;
          self->crash_func (self->crash_data);
        }
    }
  for (guint i = 0; i < self->turn_seq->len; i++)
    ((Conn *) g_ptr_array_index (self->turn_seq, i))->queued_seq = 0;
  g_ptr_array_set_size (self->turn_seq, 0);

  /* Backwards: a write that fails closes (removes) its own connection, and
   * may dial a new one (appended). */
  for (guint i = self->conns->len; i-- > 0;)
    if (i < self->conns->len)
      conn_write (g_ptr_array_index (self->conns, i));
}

static gboolean
flush_idle (gpointer data)
{
  GrpTransport *self = data;
  GRP_HOLD (self);

  self->flush_id = 0;
  flush_now (self);
  return G_SOURCE_REMOVE;
}

void
grp_transport_schedule_flush (GrpTransport *self)
{
  if (self->flush_id == 0 && !self->in_turn_end)
    self->flush_id = add_idle (self, flush_idle, self, NULL);
}

/* ---- handshake deadlines ------------------------------------------------ */

static gboolean
sweep (gpointer data)
{
  GrpTransport *self = data;
  GRP_HOLD (self);
  gint64 now = g_get_monotonic_time ();
  gboolean pending = FALSE;

  cut_slow_slots (self, now);
  for (guint i = self->conns->len; i-- > 0;)
    {
      Conn *c;

      if (i >= self->conns->len)
        continue;
      c = g_ptr_array_index (self->conns, i);
      if (c->state == CONN_OPEN && c->stranger && now >= c->deadline)
        {
          refuse (c, "not a member, nor answered, in time"); /* may free c */
          continue;
        }
      if (c->state == CONN_OPEN && c->stranger)
        pending = TRUE;
      if (c->state == CONN_OPEN || c->state == CONN_CLOSED)
        continue;
      if (c->first_wait && c->in_source == NULL && now < c->deadline)
        {
          /* Either may close c, and so free it. */
          gboolean closed;

          conn_ref (c);
          if (first_record_whole (c))
            tls_request (c);
          closed = c->state == CONN_CLOSED;
          conn_unref (c);
          if (closed)
            continue;
        }
      if (now < c->deadline)
        {
          pending = TRUE;
          continue;
        }
      if (c->outgoing)
        {
          /* What a join through it says, when it was a probe. */
          g_autoptr(GError) mute =
            g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                 "it accepted the connection, then said nothing in time (a "
                                 "member that is stopped, or overloaded, does so)");

          dial_failed (c, DIAL_FAILED, mute, "no HELLO in time");
        }
      else
        conn_close (c, "no HELLO in time");
    }
  /* Connections made meanwhile (a local dial going on over TCP, a dial of
   * a handler's) were not looked at, and have deadlines too. */
  for (guint i = 0; !pending && i < self->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (self->conns, i);

      pending = c->state != CONN_OPEN || c->stranger;
    }
  if (pending)
    return G_SOURCE_CONTINUE;
  self->sweep_id = 0;
  return G_SOURCE_REMOVE;
}

/* ---- reading ---------------------------------------------------------- */

/* Whether bytes a peer sent first start a TLS record: a content type
 * (handshake 0x16, alert 0x15, ...) and major version 3.  A Groupy frame
 * starts with its length (little-endian): a handshake frame's (at most
 * HANDSHAKE_FRAME_MAX) second byte is at most 4.  With one byte, 0x16 may
 * still be TLS. */
static gboolean
looks_like_tls (const guint8 *b, gsize n)
{
  return n >= 1 && b[0] >= 0x14 && b[0] <= 0x17 && (n < 2 || b[1] == 0x03);
}

static void
protocol_error (Conn *c, const char *what)
{
  /* A peer can cause this: never a warning (fatal under G_DEBUG=fatal-warnings). */
  g_message ("dropping the connection to %s: %s", c->addr ? c->addr : "an unknown peer", what);
  send_bye (c, GRP_BYE_CONNECTION, what);
  if (c->outgoing && c->state != CONN_OPEN)
    dial_failed (c, DIAL_FAILED, NULL, what);
  else
    conn_close (c, what);
}

/* A dial of ours failed at the proof of the group secret, whichever side
 * checked the other's first: a prober is told so (GRP_SECURITY_ERROR). */
/* What a dialer says when its group secret and the peer's differ, whichever
 * side found it first. */
#define GRP_SECRET_MISMATCH \
  "it does not hold this member's group secret (is every member given the same secret file?)"

/* What a dialer says when the member it reached is itself: the contact's
 * address is one of its own (GRP_BYE_OWN_ID). */
#define GRP_DIALED_ITSELF \
  "it is this member itself (an address it listens on): give the address of another member"

/* A dial of ours reached this member: a join through it fails as one
 * through our own address (GRP_TRANSPORT_ERROR_ADDRESS), at once.  Over
 * the Unix-domain shortcut, TCP has the last word (dial_failed). */
static void
dialed_itself (Conn *c)
{
  if (c->probe != NULL && !c->local)
    probe_return (c, 0, g_error_new (GRP_TRANSPORT_ERROR, GRP_TRANSPORT_ERROR_ADDRESS, "%s: %s",
                                     c->addr, GRP_DIALED_ITSELF));
  dial_failed (c, DIAL_FAILED, NULL, GRP_DIALED_ITSELF);
}

static void
proof_refused (Conn *c, const char *why)
{
  g_autoptr(GError) refused = g_error_new_literal (GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_REFUSED,
                                                   why);

  dial_failed (c, DIAL_FAILED, refused, why);
}

/* The peer's proof of the group secret: before it, nothing else of the
 * peer's is read; after it, our HELLO goes out. */
static void
on_auth (Conn *c, const guint8 *body, gsize len)
{
  guint8 proof[GRP_PROOF_LEN];
  g_autoptr(GError) error = NULL;

  if (grp_codec_parse_auth (body, len, proof, &error) &&
      !grp_security_check (c->t->security, c->tls, !c->outgoing, proof, &error) &&
      !g_error_matches (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_REFUSED))
    {
      /* Ours, not the peer's: the proof it sent could not be checked here
       * (our side of the channel binding is missing).  Neither side is
       * told that the other holds another secret. */
      g_autofree char *why = g_strdup_printf ("this member could not check the proof of the "
                                              "group secret (a failure here, not the peer's): "
                                              "%s", error->message);

      g_message ("%s: %s", c->addr ? c->addr : "a peer", why);
      send_bye (c, GRP_BYE_CONNECTION, GRP_BYE_CHECK_FAILED);
      if (c->outgoing)
        dial_failed (c, DIAL_FAILED, NULL, why);
      else
        conn_close (c, why);
      return;
    }
  if (error != NULL)
    {
      g_autofree char *why = g_error_matches (error, GRP_SECURITY_ERROR,
                                              GRP_SECURITY_ERROR_REFUSED)
                               ? g_strdup (GRP_SECRET_MISMATCH)
                               : g_strdup_printf ("%s (is every member given the same secret "
                                                  "file?)", error->message);

      g_debug ("refusing %s: %s", c->addr ? c->addr : "a peer", why);
      send_bye (c, GRP_BYE_CONNECTION, GRP_BYE_PROOF_MISMATCH);
      if (c->outgoing)
        proof_refused (c, why);
      else
        conn_close (c, why);
      return;
    }
  conn_greet (c);
  grp_transport_schedule_flush (c->t);
}

/* Another connection claims `c`'s peer: it may have ended a moment ago
 * without our having read so yet.  Read it now; TRUE if it still stands.
 * Reading its end closes it, and so may free it. */
static gboolean
still_open (Conn *other)
{
  gboolean open;

  conn_ref (other);
  if (other->sock != NULL && !other->reading &&
      g_socket_condition_check (other->sock, G_IO_IN | G_IO_HUP | G_IO_ERR) != 0)
    on_readable (g_socket_get_fd (other->sock), G_IO_IN, other);
  open = other->state == CONN_OPEN;
  conn_unref (other);
  return open;
}

/* The peer runs another protocol than ours: this connection ends, and a
 * join through it fails, saying why.  Its sender lives on.  Over a
 * member's Unix-domain name, whoever answers may be a process that took
 * the name (with a secret it cannot get this far): the dial goes on over
 * TCP with its probe, and a refusal there is the member's. */
static void
protocol_refused (Conn *c, const char *why)
{
  if (c->outgoing && c->local)
    {
      g_free (c->local_refusal);
      c->local_refusal = g_strdup (why);
      dial_failed (c, DIAL_FAILED, NULL, why);
      return;
    }
  if (c->probe != NULL)
    probe_return (c, 0, g_error_new (GRP_TRANSPORT_ERROR, GRP_TRANSPORT_ERROR_PROTOCOL, "%s", why));
  if (c->outgoing)
    dial_failed (c, DIAL_FAILED, NULL, why);
  else
    conn_close (c, why);
}

/* Whether HOST:PORT is on loopback. */
static gboolean
addr_is_loopback (const char *addr)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  guint16 port;

  if (addr == NULL || !grp_transport_parse_address (addr, &host, &port, NULL))
    return FALSE;
  inet = g_inet_address_new_from_string (host);
  return inet != NULL && g_inet_address_get_is_loopback (inet);
}

/* Whether HOST (of HOST:PORT) is an address of this machine: one we can
 * bind to. */
static gboolean
addr_is_ours (const char *addr)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) sa = NULL;
  g_autoptr(GSocket) sock = NULL;
  guint16 port;

  if (addr == NULL || !grp_transport_parse_address (addr, &host, &port, NULL) ||
      (inet = g_inet_address_new_from_string (host)) == NULL)
    return FALSE;
  sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, NULL);
  sa = g_inet_socket_address_new (inet, 0);
  return sock != NULL && g_socket_bind (sock, sa, FALSE, NULL);
}

/* Why a join must not go on through this connection of ours, or NULL: we
 * listen on loopback only, and it reached a member on another machine,
 * which would admit us and then fail to reach us, so that the group took
 * us in and put us out again, over and over, until the join timed out.
 * Another machine: the connection leaves from an address that is not
 * loopback and not the one it reached (a member of this machine reached
 * at one of its own addresses is not elsewhere). */
static char *
unreachable_from (Conn *c, const char *advertised)
{
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  GInetAddress *l, *r;

  if (c->conn == NULL || c->local || !addr_is_loopback (c->t->address))
    return NULL;
  local = g_socket_connection_get_local_address (c->conn, NULL);
  remote = g_socket_connection_get_remote_address (c->conn, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (local) || !G_IS_INET_SOCKET_ADDRESS (remote))
    return NULL;
  l = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  r = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  if (g_inet_address_get_is_loopback (l) || g_inet_address_equal (l, r))
    return NULL;
  /* Reached through a translated address (a port forwarded, a public
   * address that comes back here), a member that says it listens at an
   * address of this machine is on it. */
  if (addr_is_ours (advertised))
    return NULL;
  return g_strdup_printf ("this member listens on %s, which members on other machines cannot "
                          "reach, and %s is on another machine: listen on an address they can "
                          "reach", c->t->address, c->addr);
}

/* The address (IP:port, as our own is written) this connection of ours
 * reached, or NULL.  Not the name we dialed: a name may name several
 * addresses, or another one later, and only at one address does "nothing
 * else can listen on its port" hold. */
/* HOST:PORT of `inet` and `port`, an IPv6 literal in brackets
 * ("[::1]:7001"), as grp_transport_parse_address wants it. */
static char *
host_port (GInetAddress *inet, guint port)
{
  g_autofree char *ip = g_inet_address_to_string (inet);

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, port);
  return g_strdup_printf ("%s:%u", ip, port);
}

static char *
reached_address (Conn *c)
{
  g_autoptr(GSocketAddress) remote = NULL;
  GInetSocketAddress *inet;

  if (c->conn == NULL)
    return NULL;
  remote = g_socket_connection_get_remote_address (c->conn, NULL);
  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    return NULL;
  inet = G_INET_SOCKET_ADDRESS (remote);
  return host_port (g_inet_socket_address_get_address (inet),
                    g_inet_socket_address_get_port (inet));
}

/* Why a peer whose HELLO says this cannot be in a group with us, or NULL.
 * One protocol per group, and one pace of failure detection: with other
 * times, members would suspect members that are well, or be suspected
 * (either side not saying its times is no difference).  Said as the
 * dialed member sees it first: it is the group. */
static char *
hello_mismatch (Conn *c, const char *protocol, const GrpHelloTiming *peer)
{
  GrpTransport *self = c->t;
  const GrpHelloTiming *ours = &self->timing;
  const GrpHelloTiming *group = c->outgoing ? peer : ours;
  const GrpHelloTiming *joiner = c->outgoing ? ours : peer;

  if (g_strcmp0 (protocol, self->protocol) != 0)
    return g_strdup_printf ("this group runs %s, you run %s",
                            c->outgoing ? protocol : self->protocol,
                            c->outgoing ? self->protocol : protocol);
  if (peer->heartbeat_ms == 0 || ours->heartbeat_ms == 0 ||
      (peer->heartbeat_ms == ours->heartbeat_ms && peer->suspect_ms == ours->suspect_ms))
    return NULL;
  return g_strdup_printf ("this group's members send a heartbeat every %u ms and suspect a "
                          "silent member after %u ms; you were set to %u ms and %u ms: give "
                          "every member the same times", group->heartbeat_ms, group->suspect_ms,
                          joiner->heartbeat_ms, joiner->suspect_ms);
}

static void
on_hello (Conn *c, GrpMember *hello, const char *protocol, const GrpHelloTiming *timing)
{
  GrpTransport *self = c->t;
  g_autofree char *mismatch = NULL;
  g_autofree char *unreachable = NULL;

  if (c->state != CONN_HELLO)
    {
      protocol_error (c, "second HELLO");
      return;
    }
  if (!grp_codec_name_ok (hello->name) || strlen (hello->addr) > GRP_ADDR_MAX)
    {
      protocol_error (c, "name (1 to 64 characters, 255 bytes, no control characters) or address "
                     "too long");
      return;
    }
  if (hello->id == self->self_id)
    {
      /* The BYE says "own id"; a dialer (ourselves, most likely) says that
       * it dialed itself. */
      if (c->outgoing)
        {
          g_message ("dropping the connection to %s: %s", c->addr ? c->addr : "?",
                     GRP_DIALED_ITSELF);
          send_bye (c, GRP_BYE_CONNECTION, GRP_BYE_OWN_ID);
          dialed_itself (c);
        }
      else
        protocol_error (c, GRP_BYE_OWN_ID);
      return;
    }
  /* Whoever meets a member of another group's kind refuses it, saying why. */
  mismatch = hello_mismatch (c, protocol, timing);
  if (mismatch != NULL)
    {
      /* Said once a peer incarnation: a joiner refused on our Unix-domain
       * name goes on over TCP (protocol_refused), and is refused there
       * again, in the same words. */
      if (hello->id != self->last_refused)
        g_message ("%s (%s) refused: %s", c->outgoing ? c->addr : hello->addr, hello->name,
                   mismatch);
      else
        g_debug ("%s (%s) refused again: %s", c->outgoing ? c->addr : hello->addr, hello->name,
                 mismatch);
      self->last_refused = hello->id;
      send_bye (c, GRP_BYE_PROTOCOL, mismatch);
      protocol_refused (c, mismatch);
      return;
    }
  if (c->outgoing)
    {
      if (c->peer != 0 && c->peer != hello->id)
        {
          g_message ("%s is now %s, not the member we knew there", c->addr, hello->name);
          send_bye (c, GRP_BYE_CONNECTION, "not the member dialed");
          dial_failed (c, DIAL_OTHER_ID, NULL, "another member incarnation answers there");
          return;
        }
      if (has_ended (self, hello->id))
        {
          refuse (c, "that member incarnation has ended");
          return;
        }
      if (c->probe != NULL && (unreachable = unreachable_from (c, hello->addr)) != NULL)
        {
          g_message ("join through %s refused: %s", c->addr, unreachable);
          send_bye (c, GRP_BYE_CONNECTION, "the member dialing cannot be reached from here");
          probe_return (c, 0, g_error_new (GRP_TRANSPORT_ERROR, GRP_TRANSPORT_ERROR_ADDRESS, "%s",
                                           unreachable));
          dial_failed (c, DIAL_FAILED, NULL, unreachable);
          return;
        }
      c->peer = hello->id;
      c->state = CONN_OPEN;
      g_hash_table_remove (self->hung_up, &c->peer);
      {
        char *reached = c->local ? g_strconcat (VERIFIED_LOCAL, c->addr, NULL)
                                 : reached_address (c);

        if (reached != NULL)
          g_hash_table_replace (self->verified, g_memdup2 (&c->peer, sizeof c->peer), reached);
      }
      if (route_of (self, c->peer) == NULL)
        set_route (self, c->peer, c);
      if (c->probe != NULL)
        probe_return (c, hello->id, NULL);
      if (route_of (self, c->peer) != c)
        {
          refuse (c, "probe done");
          return;
        }
      if (c->outq->len > 0)
        grp_transport_schedule_flush (self);
      return;
    }
  if (has_ended (self, hello->id))
    {
      refuse (c, "that member incarnation has ended");
      return;
    }
  {
    Conn *other = g_hash_table_lookup (self->inbound, &hello->id);

    /* Bound at the handshake: the first connection to speak for a member
     * does so for as long as it stands; a second one is refused. */
    if (other != NULL && still_open (other))
      {
        refuse (c, "another connection already speaks for this member");
        return;
      }
    /* What was read there (a handler's doing) may have closed c. */
    if (c->state == CONN_CLOSED)
      return;
  }
  c->peer = hello->id;
  c->state = CONN_OPEN;
  g_hash_table_remove (self->hung_up, &c->peer);
  g_queue_remove (&self->pending_in, c);
  if (!g_hash_table_contains (self->view, &c->peer) && route_of (self, c->peer) == NULL)
    {
      guint ms = MAX (NONMEMBER_MS, NONMEMBER_SUSPECTS * self->timing.suspect_ms);

      if (self->strangers.length >= NONMEMBER_MAX)
        refuse (g_queue_peek_head (&self->strangers), "dropped for a newer stranger");
      c->stranger = TRUE;
      c->deadline = g_get_monotonic_time () + (gint64) ms * 1000;
      g_queue_push_tail (&self->strangers, c);
      if (self->sweep_id == 0)
        self->sweep_id = add_timeout (self, SWEEP_MS, sweep, self);
    }
  g_free (c->addr);
  c->addr = g_strdup (hello->addr);
  g_hash_table_replace (self->inbound, g_memdup2 (&c->peer, sizeof c->peer), c);
  /* What it advertises is not verified: only a dial of ours that reaches
   * it there is (a wrong --advertise port on the right host would
   * otherwise make a refusal there look certain while it lives).  It is
   * where we answer it, while this connection stands (grp_transport_send). */
  conn_say_hello (c);
  grp_transport_schedule_flush (self);
}

static void
on_bye (Conn *c, const guint8 *body, gsize len)
{
  g_autofree char *reason = NULL;
  g_autoptr(GError) error = NULL;
  GrpByeKind kind;

  if (!grp_codec_parse_bye (body, len, &kind, &reason, &error))
    {
      protocol_error (c, error->message);
      return;
    }
  g_debug ("%s says BYE (%s): %s", c->addr ? c->addr : "?",
           kind == GRP_BYE_ENDED ? "ended" : "this connection", reason);
  c->bye_received = TRUE;
  /* Before its proof of the secret a peer is nobody: its BYE ends this
   * connection, whatever it claims (a squatter on a Unix-domain name would
   * otherwise end a probe with words of its own, where TCP reaches the
   * member). */
  if (kind == GRP_BYE_PROTOCOL && c->state != CONN_PROOF)
    protocol_refused (c, reason);
  else if (kind == GRP_BYE_ENDED && c->state == CONN_OPEN)
    peer_ended (c->t, c->peer, reason);
  else if (c->state == CONN_HELLO && c->outgoing && c->t->security == NULL &&
           strcmp (reason, GRP_BYE_TLS_ONLY) == 0)
    proof_refused (c, "it speaks only TLS: its group has a secret (or a PKI); give this member "
                   "the same secret file");
  else if (c->state == CONN_PROOF && c->outgoing && strcmp (reason, GRP_BYE_PROOF_MISMATCH) == 0)
    proof_refused (c, GRP_SECRET_MISMATCH);
  else if (c->state != CONN_OPEN && c->outgoing && strcmp (reason, GRP_BYE_CHECK_FAILED) == 0)
    dial_failed (c, DIAL_FAILED, NULL, "it refused us: " GRP_BYE_CHECK_FAILED);
  else if (c->state == CONN_HELLO && c->outgoing && strcmp (reason, GRP_BYE_OWN_ID) == 0)
    dialed_itself (c);
  else if (c->state != CONN_OPEN && c->outgoing)
    {
      g_autofree char *why = g_strdup_printf ("it refused us: %s%s", reason,
                                              c->state == CONN_PROOF
                                              ? " (is every member given the same secret file?)"
                                              : "");
      if (c->state == CONN_PROOF)
        proof_refused (c, why);
      else
        dial_failed (c, DIAL_FAILED, NULL, why);
    }
  else
    conn_close (c, reason);
}

#ifdef GRP_RECORD_FRAMES
/* Debug builds only: with GROUPY_RECORD_FRAMES=DIR in the environment,
 * every frame read from a peer (after TLS, before any check) is appended,
 * header included, to DIR/PID-N-DIRECTION-OURID.frames, one file per
 * connection: the stream exactly as the peer sent it, from which
 * tests/fuzz/make-corpus.py makes the fuzzers' seed corpus. */
static void
record_frame (Conn *c, const guint8 *body, guint32 flen)
{
  static const char *dir;
  static gsize looked;
  static guint serial;
  guint32 len = GUINT32_TO_LE (flen);

  if (g_once_init_enter (&looked))
    {
      dir = g_getenv ("GROUPY_RECORD_FRAMES");
      g_once_init_leave (&looked, 1);
    }
  if (dir == NULL || *dir == '\0')
    return;
  if (c->record == NULL)
    {
      /* Who received it (our id), and whether we dialed (out) or it did (in). */
      g_autofree char *name = g_strdup_printf ("%s/%d-%u-%s-%016" G_GINT64_MODIFIER "x.frames", dir,
                                               (int) getpid (), ++serial,
                                               c->outgoing ? "out" : "in", c->t->self_id);

      c->record = fopen (name, "wbe");
      if (c->record == NULL)
        {
          g_message ("cannot record frames in %s: %s", name, g_strerror (errno));
          dir = NULL;
          return;
        }
    }
  if (fwrite (&len, sizeof len, 1, c->record) != 1 || fwrite (body, 1, flen, c->record) != flen ||
      fflush (c->record) != 0)
    g_message ("cannot record a frame: %s", g_strerror (errno));
}
#endif

/* One whole frame.  Its body lies in `owner` when given (a large frame
 * handed on without a copy), else it is copied once, and its payloads are
 * slices of that copy.  FALSE when no more frames are to be read from the
 * connection (it was closed, or said BYE). */
static gboolean
handle_frame (Conn *c, const guint8 *body, guint32 flen, GBytes *owner)
{
  GrpFrameKind kind;
  g_autoptr(GrpMsg) msg = NULL;
  g_autoptr(GBytes) frame = NULL;
  GrpMember hello = { 0 };
  g_autofree char *protocol = NULL;
  GrpHelloTiming timing = { 0, 0 };
  g_autoptr(GError) error = NULL;

#ifdef GRP_RECORD_FRAMES
  record_frame (c, body, flen);
#endif
  if (!grp_codec_frame_kind (body, flen, &kind, &error))
    {
      protocol_error (c, error->message);
      return FALSE;
    }
  if (kind == GRP_FRAME_BYE)
    {
      on_bye (c, body, flen);
      return FALSE;
    }
  if (kind == GRP_FRAME_AUTH && c->state == CONN_PROOF)
    {
      on_auth (c, body, flen);
      return c->state != CONN_CLOSED;
    }
  if (c->state == CONN_PROOF)
    {
      /* Refused unread: the peer has not proved it holds the secret. */
      protocol_error (c, "no proof of the group secret");
      return FALSE;
    }
  if (kind == GRP_FRAME_AUTH)
    {
      protocol_error (c, "unexpected AUTH");
      return FALSE;
    }
  if (kind == GRP_FRAME_MSG && c->state != CONN_OPEN)
    {
      protocol_error (c, "message before HELLO");
      return FALSE;
    }
  frame = owner != NULL ? g_bytes_ref (owner) : grp_frame_pool_copy (c->t->frames, body, flen);
  if (!grp_codec_parse_bytes (frame, &kind, &msg, &hello, &protocol, &timing, &error))
    {
      protocol_error (c, error->message);
      return FALSE;
    }
  if (kind == GRP_FRAME_HELLO)
    {
      on_hello (c, &hello, protocol, &timing);
      grp_member_clear (&hello);
      return c->state != CONN_CLOSED;
    }
  if (msg->from != c->peer)
    {
      g_debug ("ignoring a message from %s that claims another sender", c->addr);
      return TRUE;
    }
  if (msg->type == GRP_MSG_REQ)
    c->t->reqs_read++;
  if (c->t->on_message != NULL)
    c->t->on_message (msg, c->t->handler_data);
  return c->state != CONN_CLOSED;
}

/* Before the peer's proof of the secret: whether the frame whose body
 * begins at `body` (at least its 2 first bytes there), `flen` bytes long,
 * may be read on (PROOF_FRAME_MAX).  Closes the connection if not. */
static gboolean
proof_frame_ok (Conn *c, const guint8 *body, guint32 flen)
{
  g_autoptr(GError) error = NULL;
  GrpFrameKind kind;

  if (!grp_codec_frame_kind (body, 2, &kind, &error))
    protocol_error (c, error->message);
  else if (kind == GRP_FRAME_AUTH && flen != 2 + GRP_PROOF_LEN)
    protocol_error (c, "malformed frame: bad AUTH");
  else if (kind != GRP_FRAME_AUTH && kind != GRP_FRAME_BYE)
    protocol_error (c, "no proof of the group secret");
  else
    return TRUE;
  return FALSE;
}

/* Handles the whole frames at the start of data[0..len); returns the bytes
 * they took.  Stops at the first frame that closes the connection.  Each
 * frame's bound is that of the state it is read in: frames right behind an
 * AUTH (a HELLO) are read past the proof. */
static gsize
parse_frames (Conn *c, const guint8 *data, gsize len, guint *frames)
{
  gsize off = 0;

  while (c->state != CONN_CLOSED && len - off >= GRP_FRAME_HEADER)
    {
      guint32 flen = grp_codec_frame_length (data + off);
      guint32 limit = c->state == CONN_OPEN ? GRP_FRAME_MAX
                      : c->state == CONN_PROOF ? PROOF_FRAME_MAX : HANDSHAKE_FRAME_MAX;
      gboolean more;

      /* Refused on its header: what a peer announces is never allocated. */
      if (flen > limit || flen < 2)
        {
          /* A member with a secret (or a PKI) dialed us, who have none. */
          if (c->state == CONN_HELLO && !c->outgoing && c->t->security == NULL && off == 0 &&
              looks_like_tls (data, len))
            protocol_error (c, "it speaks TLS: it has a secret, and this member has none");
          else
            protocol_error (c, "frame length out of bounds");
          return off;
        }
      if (c->state == CONN_PROOF && len - off >= GRP_FRAME_HEADER + 2 &&
          !proof_frame_ok (c, data + off + GRP_FRAME_HEADER, flen))
        return off;
      if (len - off - GRP_FRAME_HEADER < flen)
        break;
      (*frames)++;
      more = handle_frame (c, data + off + GRP_FRAME_HEADER, flen, NULL);
      off += GRP_FRAME_HEADER + flen;
      if (!more)
        break;
    }
  return off;
}

/* Keeps `n` bytes of an incomplete frame, if the budget allows. */
static gboolean
conn_hold (Conn *c, const guint8 *data, gsize n)
{
  GrpTransport *t = c->t;

  if (t->buffered + n > READ_BUDGET)
    {
      protocol_error (c, "its frames would go beyond the buffers' budget");
      return FALSE;
    }
  g_byte_array_append (c->rbuf, data, (guint) n);
  t->buffered += n;
  return TRUE;
}

/* A large whole frame at the start of rbuf becomes a frame of its own
 * without a copy: rbuf's memory is handed over, the rest moves to a new
 * rbuf.  FALSE if there is none. */
static gboolean
take_large_frame (Conn *c, guint *frames)
{
  GrpTransport *t = c->t;
  guint32 flen;
  gsize total = c->rbuf->len;
  GByteArray *rest;
  g_autoptr(GBytes) all = NULL;
  g_autoptr(GBytes) frame = NULL;

  if (c->state != CONN_OPEN || total < GRP_FRAME_HEADER)
    return FALSE;
  flen = grp_codec_frame_length (c->rbuf->data);
  if (flen < FRAME_STEAL_MIN || flen > GRP_FRAME_MAX || total - GRP_FRAME_HEADER < flen)
    return FALSE;
  rest = g_byte_array_new ();
  g_byte_array_append (rest, c->rbuf->data + GRP_FRAME_HEADER + flen,
                       (guint) (total - GRP_FRAME_HEADER - flen));
  all = g_byte_array_free_to_bytes (c->rbuf);
  c->rbuf = rest;
  t->buffered -= total - rest->len;
  frame = g_bytes_new_from_bytes (all, GRP_FRAME_HEADER, flen);
  (*frames)++;
  handle_frame (c, g_bytes_get_data (frame, NULL), flen, frame);
  return TRUE;
}

/* Takes `n` bytes just read: whole frames are handled at once, the rest of
 * a frame waits in rbuf (memory taken as bytes arrive, within the budget). */
static guint
conn_take (Conn *c, const guint8 *data, gsize n)
{
  GrpTransport *t = c->t;
  guint frames = 0;
  gsize used;

  if (c->rbuf->len == 0)
    {
      used = parse_frames (c, data, n, &frames);
      if (c->state != CONN_CLOSED && used < n)
        conn_hold (c, data + used, n - used);
      return frames;
    }
  if (!conn_hold (c, data, n))
    return frames;
  while (c->state != CONN_CLOSED && take_large_frame (c, &frames))
    ;
  if (c->state == CONN_CLOSED)
    return frames;
  used = parse_frames (c, c->rbuf->data, c->rbuf->len, &frames);
  if (c->state == CONN_CLOSED)
    return frames;
  t->buffered -= used;
  if (used == c->rbuf->len && c->rbuf->len > 4 * READ_CHUNK)
    {
      /* Do not keep a large frame's buffer for a connection that idles. */
      g_byte_array_unref (c->rbuf);
      c->rbuf = g_byte_array_new ();
    }
  else
    g_byte_array_remove_range (c->rbuf, 0, (guint) used);
  return frames;
}

/* Whether another open connection has bytes waiting now: then this turn
 * has more to read, and what it causes leaves with that, in one batch. */
static gboolean
others_readable (GrpTransport *self, Conn *c)
{
  struct pollfd fds[LIGHT_PEERS_MAX];
  nfds_t n = 0;

  for (guint i = 0; i < self->conns->len; i++)
    {
      Conn *o = g_ptr_array_index (self->conns, i);

      if (o == c || o->state != CONN_OPEN || o->sock == NULL)
        continue;
      if (n == G_N_ELEMENTS (fds))
        return TRUE; /* a large group: let the turn end first */
      fds[n++] = (struct pollfd) { g_socket_get_fd (o->sock), POLLIN, 0 };
    }
  return n > 0 && poll (fds, n, 0) > 0;
}

/* An incoming connection to a member with a secret (or a PKI) whose first
 * bytes are not TLS: a member without one, or something else.  Refused
 * with a short BYE that says only that TLS is needed (a plaintext member
 * tells its program so), and nothing it sent is parsed: beyond its first
 * two bytes (peeked), what it sent is discarded (a HELLO's worth, a few
 * times: a peer that keeps sending cannot keep us here), so that the close
 * is not a reset that could lose the BYE.  FALSE if the peer may speak
 * TLS. */
static gboolean
refuse_plaintext (Conn *c)
{
  g_autoptr(GByteArray) bye = g_byte_array_new ();
  int fd = g_socket_get_fd (c->sock);
  guint8 first[2];
  guint8 drop[HANDSHAKE_FRAME_MAX];
  gssize n = recv (fd, first, sizeof first, MSG_PEEK | MSG_DONTWAIT);

  if (n <= 0 || looks_like_tls (first, (gsize) n))
    return FALSE; /* an end or an error: the handshake finds it */
  g_debug ("refusing a peer that does not speak TLS (first byte 0x%02x)", first[0]);
  for (int i = 0; i < 4 && recv (fd, drop, sizeof drop, MSG_DONTWAIT) > 0; i++)
    ;
  grp_codec_append_bye (bye, GRP_BYE_CONNECTION, GRP_BYE_TLS_ONLY);
  g_socket_send (c->sock, (const char *) bye->data, bye->len, NULL, NULL);
  conn_close (c, "it does not speak TLS");
  return TRUE;
}

static gboolean
on_readable (gint fd, GIOCondition cond, gpointer data)
{
  Conn *c = data;
  GrpTransport *t = c->t;
  guint8 *buf;
  gsize filled = 0;           /* TLS: bytes in buf not yet taken */
  guint frames = 0;
  guint64 reqs = t->reqs_read;

  /* A handler that runs a nested main loop must not have us read into the
   * buffer we are parsing. */
  if (c->reading || c->state == CONN_CLOSED)
    return G_SOURCE_CONTINUE;
  GRP_HOLD (t);

  if (c->state == CONN_TLS)
    {
      /* An incoming connection spoke first: if it speaks TLS at all, its
       * handshake may begin once its first record is whole. */
      if (refuse_plaintext (c))
        return G_SOURCE_REMOVE;
      if (!first_record_whole (c))
        return G_SOURCE_CONTINUE; /* a closed connection destroyed its source */
      tls_request (c);
      return G_SOURCE_REMOVE;
    }
  c->reading = TRUE;
  conn_ref (c);
  /* One buffer for every connection's reads: an idle connection holds only
   * the part of a frame it has received. */
  buf = t->scratch != NULL ? g_steal_pointer (&t->scratch) : g_malloc (READ_CHUNK);
  /* A few reads per wakeup: a burst larger than one chunk is not left for
   * another turn of the loop, and a short plaintext read means the socket
   * is empty.  TLS hands out a record per read: more reads, and when they
   * run out with more to come, another wakeup (TLS may hold a record the
   * socket no longer shows).  TLS records are gathered into the chunk
   * before they are parsed, so that a frame cut by a record's end is not
   * copied aside once per record. */
  for (int i = 0; c->state != CONN_CLOSED; i++)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (i == (c->tls != NULL ? TLS_READS : PLAIN_READS))
        {
          if (c->tls != NULL && c->reread_id == 0)
            c->reread_id = add_idle (c->t, reread, conn_ref (c), (GDestroyNotify) conn_unref);
          break;
        }
      n = conn_recv (c, buf + filled, READ_CHUNK - filled, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (n <= 0)
        {
          /* What came before the end (a BYE, say) counts first. */
          if (filled > 0)
            frames += conn_take (c, buf, filled);
          filled = 0;
          if (c->state != CONN_CLOSED)
            conn_lost (c, error);
          break;
        }
      filled += (gsize) n;
      if (c->tls == NULL || READ_CHUNK - filled < TLS_RECORD_MAX)
        {
          frames += conn_take (c, buf, filled);
          filled = 0;
        }
      if (c->tls == NULL && n < READ_CHUNK)
        break;
    }
  if (filled > 0 && c->state != CONN_CLOSED)
    frames += conn_take (c, buf, filled);
  if (t->scratch == NULL)
    t->scratch = buf;
  else
    g_free (buf);
  /* Light traffic: answer now rather than one more turn of the loop later
   * (latency).  Under load the flush waits for the turn's end, so that what
   * every connection brought leaves in one batch (throughput): when this
   * read brought many frames, or it brought requests to sequence and other
   * connections have bytes waiting (a sequencer with several members
   * sending would otherwise write a SEQ to every member for each request
   * it read; a member answers the sequencer alone, and need not look). */
  if (frames > 0 && frames <= LIGHT_FRAMES && (t->reqs_read == reqs || !others_readable (t, c)))
    flush_now (t);
  c->reading = FALSE;
  conn_unref (c);
  return G_SOURCE_CONTINUE; /* a closed connection destroyed its source */
}

static gboolean
reread (gpointer data)
{
  Conn *c = data;

  c->reread_id = 0;
  if (c->state != CONN_CLOSED && c->sock != NULL)
    on_readable (g_socket_get_fd (c->sock), G_IO_IN, c);
  return G_SOURCE_REMOVE;
}

/* ---- TLS ---------------------------------------------------------------- */

static void tls_start (Conn *c);

/* Where an incoming connection comes from, as handshake slots are shared:
 * its IPv4 address, its IPv6 /64 (what one host is given), or this host's
 * Unix-domain socket. */
static char *
source_of (Conn *c)
{
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  g_autoptr(GSocketAddress) sa = g_socket_get_remote_address (c->sock, NULL);
  GInetAddress *inet;
  const guint8 *b;

  if (sa == NULL || !G_IS_INET_SOCKET_ADDRESS (sa))
    return g_strdup ("local");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
  if (g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (inet);
  b = g_inet_address_to_bytes (inet);
  if (memcmp (b, v4_mapped, sizeof v4_mapped) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
  return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0], b[1], b[2], b[3],
                          b[4], b[5], b[6], b[7]);
}

/* The sources of the connections holding handshake slots: `held` gets
 * one per slot (at most TLS_HANDSHAKES_MAX); returns how many. */
static guint
held_sources (GrpTransport *self, const char **held)
{
  guint n = 0;

  for (guint i = 0; i < self->conns->len && n < TLS_HANDSHAKES_MAX; i++)
    {
      Conn *o = g_ptr_array_index (self->conns, i);

      if (o->tls_slot)
        held[n++] = o->source;
    }
  return n;
}

static guint
slots_of (const char **held, guint n_held, const char *source)
{
  guint count = 0;

  for (guint i = 0; i < n_held; i++)
    count += g_strcmp0 (held[i], source) == 0;
  return count;
}

/* Waiters whose peer has gone (it closed, or reset, or shut down its
 * sending side) are closed: a handshake of theirs could never finish, a
 * client having more to send after its ClientHello.  Waiters are not
 * watched (their first record waits unread in the kernel, which keeps the
 * socket readable), so they are looked at here, before cut_slow_slots
 * counts them: one whose peer had gone waited until its handshake
 * deadline, and an honest handshake past TLS_SLOT_MS was cut for it
 * (/transport/bounds/slow-handshake-gone-waiter). */
static void
drop_gone_waiters (GrpTransport *self)
{
  g_autoptr(GPtrArray) gone = NULL;

  for (GList *l = self->tls_waiting.head; l != NULL; l = l->next)
    {
      Conn *c = l->data;

      if (fd_hung_up (g_socket_get_fd (c->sock)))
        {
          if (gone == NULL)
            gone = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_unref);
          g_ptr_array_add (gone, conn_ref (c));
        }
    }
  /* Apart from the walk: a close changes the queue. */
  for (guint i = 0; gone != NULL && i < gone->len; i++)
    conn_close (g_ptr_array_index (gone, i), "its peer went while it waited for a TLS slot");
}

/* While a connection waits for a handshake slot, the handshakes that
 * have held theirs past TLS_SLOT_MS are ended one at a time (each freed
 * slot is handed on at once, tls_next), and only those of a source that
 * holds the most slots, the oldest first: the slots of a source holding
 * more come free within TLS_SLOT_MS anyway.  Cutting every slot held past
 * TLS_SLOT_MS as soon as anyone waited let a host that held the other five
 * slots with stalled handshakes, and queued one more, end the handshake of
 * an honest peer on a lossy link, which d36ceb5 lets run while it keeps
 * nobody out (slow-handshake-attacked). */
static void
cut_slow_slots (GrpTransport *self, gint64 now)
{
  drop_gone_waiters (self);
  while (self->tls_waiting.length > 0)
    {
      const char *held[TLS_HANDSHAKES_MAX];
      guint n_held = held_sources (self, held);
      guint most = 0;
      Conn *victim = NULL;

      for (guint i = 0; i < n_held; i++)
        most = MAX (most, slots_of (held, n_held, held[i]));
      for (guint i = 0; i < self->conns->len; i++)
        {
          Conn *o = g_ptr_array_index (self->conns, i);

          if (o->tls_slot && now >= o->slot_deadline &&
              slots_of (held, n_held, o->source) == most &&
              (victim == NULL || o->slot_deadline < victim->slot_deadline))
            victim = o;
        }
      if (victim == NULL)
        return;
      conn_close (victim, "TLS handshake too slow"); /* hands its slot on */
    }
}

/* The next incoming connections waiting for a handshake slot, while slots
 * are free: the oldest of those whose source (source_of) holds the fewest
 * slots.  Oldest first alone let a peer that queued stalled handshakes
 * before a joiner keep it out a TLS_SLOT_MS for every TLS_HANDSHAKES_MAX
 * of them, up to their own handshake deadline (4.9 s behind 30); a joiner
 * from another source now takes the next slot freed.  One from the same
 * source, or a peer with many addresses, still waits its turn. */
static void
tls_next (GrpTransport *self)
{
  while (self->tls_running < TLS_HANDSHAKES_MAX && self->tls_waiting.length > 0)
    {
      const char *held[TLS_HANDSHAKES_MAX];
      guint n_held = held_sources (self, held);
      GList *best = NULL;
      guint best_count = G_MAXUINT;
      Conn *c;

      for (GList *l = self->tls_waiting.head; l != NULL && best_count > 0; l = l->next)
        {
          guint count = slots_of (held, n_held, ((Conn *) l->data)->source);

          if (count < best_count)
            {
              best = l;
              best_count = count;
            }
        }
      c = best->data;
      g_queue_delete_link (&self->tls_waiting, best);
      tls_start (c);
    }
}

/* Whether incoming `c`'s first TLS record is whole in the kernel (read
 * nothing of it yet): then its handshake may take a slot.  If not, it is
 * woken again once the rest is there: over TCP by SO_RCVLOWAT; over a
 * Unix-domain socket, whose poll ignores that, by the sweep (an honest
 * local peer writes its ClientHello at once, so that only a stalling one
 * waits).  Closes `c` if what came cannot begin a TLS handshake, or the
 * peer is gone. */
static gboolean
first_record_whole (Conn *c)
{
  guint8 head[TLS_HEADER];
  gint fd = g_socket_get_fd (c->sock);
  /* By the socket, not by how it came (an adopted one may be either). */
  gboolean lowat = g_socket_get_family (c->sock) != G_SOCKET_FAMILY_UNIX;
  gssize n = recv (fd, head, sizeof head, MSG_PEEK);
  gsize want = TLS_HEADER;
  gint avail = 0;

  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return FALSE;
  if (n <= 0)
    {
      conn_close (c, n == 0 ? "closed before its TLS handshake" : g_strerror (errno));
      return FALSE;
    }
  if (n == TLS_HEADER)
    {
      gsize len = (gsize) head[3] << 8 | head[4];

      if (head[0] != TLS_HANDSHAKE_RECORD || len == 0 || len > TLS_RECORD_MAX)
        {
          conn_close (c, "its first bytes are not a TLS handshake");
          return FALSE;
        }
      want += len;
      if (ioctl (fd, FIONREAD, &avail) == 0 && avail >= 0 && (gsize) avail >= want)
        {
          if (c->first_wait && lowat)
            g_socket_set_option (c->sock, SOL_SOCKET, SO_RCVLOWAT, 1, NULL);
          c->first_wait = FALSE;
          c->first_whole = TRUE;
          return TRUE;
        }
    }
  /* Part of a record and then the end: the socket stays readable. */
  if (fd_hung_up (fd))
    {
      conn_close (c, "closed before its first TLS record was whole");
      return FALSE;
    }
  c->first_wait = TRUE;
  if (lowat)
    g_socket_set_option (c->sock, SOL_SOCKET, SO_RCVLOWAT, (gint) want, NULL);
  else if (c->in_source != NULL)
    {
      g_source_destroy (c->in_source);
      g_clear_pointer (&c->in_source, g_source_unref);
    }
  return FALSE;
}

/* An incoming connection sent its first record: start its handshake, or
 * queue it while every slot is taken (not watched meanwhile: its bytes
 * wait in the kernel). */
static void
tls_request (Conn *c)
{
  GrpTransport *self = c->t;

  if (c->tls_started || g_queue_find (&self->tls_waiting, c) != NULL)
    return;
  if (c->in_source != NULL)
    g_source_destroy (c->in_source);
  g_clear_pointer (&c->in_source, g_source_unref);
  if (c->source == NULL)
    c->source = source_of (c);
  g_queue_push_tail (&self->tls_waiting, c);
  tls_next (self);
}

/* Whether the member we dialed answered our TLS with a Groupy frame, as
 * one without a secret does (a BYE: our first bytes were no frame to it):
 * the first bytes are no TLS record header but a frame's length, small
 * (TLS reads a record's 5-byte header first, and fails on it). */
static gboolean
answered_plaintext (Conn *c)
{
  const guint8 *b;
  gsize n = grp_sock_stream_get_first (c->base, &b);
  guint32 len;

  if (n < GRP_FRAME_HEADER + 1 || looks_like_tls (b, n))
    return FALSE;
  len = grp_codec_frame_length (b);
  return len >= 2 && len <= HANDSHAKE_FRAME_MAX;
}

/* Whether the member we dialed dropped the connection in our TLS handshake
 * (`error`, its failure), as a member does whose handshake slot was cut
 * (TLS_SLOT_MS), or whose process is ending: the connection ended (an end
 * of stream or a reset) after nothing, or after the start of a TLS answer,
 * and no TLS alert or certificate said why.  A dial a moment later may
 * reach it.  Not so what answers in another tongue, or refuses us in TLS's. */
static gboolean
tls_dropped (Conn *c, const GError *error)
{
  const guint8 *first;
  gsize n = grp_sock_stream_get_first (c->base, &first);

  if (n == 0)
    return TRUE; /* it sent nothing at all */
  return looks_like_tls (first, n) &&
         (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) ||
          g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF) || error->domain == G_IO_ERROR) &&
         fd_hung_up (g_socket_get_fd (c->sock));
}

static void
tls_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  GrpTransport *self = c->t;
  g_autoptr(GError) error = NULL;
  g_autofree char *suite = NULL;
  gboolean ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), res, &error);

  c->handshaking = FALSE;
  /* Closed: its transport may be gone too.  Its socket was only shut down
   * (conn_close): the handshake's thread is done with it now. */
  if (c->state == CONN_CLOSED)
    {
      g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
      conn_unref (c);
      return;
    }
  GRP_HOLD (self);

  if (c->tls_slot)
    {
      c->tls_slot = FALSE;
      self->tls_running--;
      tls_next (self);
    }
  if (!ok)
    {
      g_autofree char *why = g_strdup_printf ("TLS handshake failed (%s): does it run with a group "
                                              "secret, or the same PKI, as we do?", error->message);

      if (c->outgoing && answered_plaintext (c))
        proof_refused (c, "it has no secret (it answered without TLS): give every member of a "
                       "group the same secret file, or none");
      else if (c->outgoing && tls_dropped (c, error))
        /* As a plaintext dial dropped before HELLO. */
        dial_failed (c, DIAL_CLOSED_EARLY, NULL,
                     "it closed the connection in the TLS handshake, without a word");
      else if (c->outgoing)
        dial_failed (c, DIAL_FAILED, NULL, why);
      else
        conn_close (c, why);
      conn_unref (c);
      return;
    }
  suite = g_tls_connection_get_ciphersuite_name (c->tls); /* a copy of ours */
  g_debug ("TLS with %s: %s, %s", c->addr ? c->addr : "a peer", suite,
           grp_security_has_secret (self->security) ? "proof of the secret follows" : "no secret");
  c->gather = grp_sock_stream_get_out (c->base);
  c->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (c->tls)));
  c->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (G_IO_STREAM (c->tls)));
  if (grp_security_has_secret (self->security))
    {
      guint8 proof[GRP_PROOF_LEN];

      if (!grp_security_prove (self->security, c->tls, !c->outgoing, proof, &error))
        {
          if (c->outgoing)
            dial_failed (c, DIAL_FAILED, NULL, error->message);
          else
            conn_close (c, error->message);
          conn_unref (c);
          return;
        }
      grp_codec_append_auth (c->hs, proof);
      c->state = CONN_PROOF;
    }
  else
    conn_greet (c);
  c->in_source = conn_source (c, G_IO_IN, on_readable);
  /* The handshake may have read the peer's first frames already. */
  if (c->reread_id == 0)
    c->reread_id = add_idle (c->t, reread, conn_ref (c), (GDestroyNotify) conn_unref);
  grp_transport_schedule_flush (self);
  conn_unref (c);
}

static void
tls_start (Conn *c)
{
  GrpTransport *self = c->t;
  g_autoptr(GError) error = NULL;

  c->base = grp_sock_stream_new (c->sock);
  c->tls = grp_security_wrap (self->security, c->base, !c->outgoing, &error);
  if (c->tls == NULL)
    {
      g_warning ("no TLS: %s", error->message);
      if (c->outgoing)
        dial_failed (c, DIAL_FAILED, error, error->message);
      else
        conn_close (c, error->message);
      return;
    }
  c->tls_started = TRUE;
  g_debug ("TLS handshake with %s begins", c->addr ? c->addr : "a peer");
  if (!c->outgoing)
    {
      c->tls_slot = TRUE;
      c->slot_deadline = g_get_monotonic_time () + TLS_SLOT_MS * 1000;
      self->tls_running++;
    }
  c->handshaking = TRUE;
  g_tls_connection_handshake_async (c->tls, G_PRIORITY_DEFAULT, c->cancel, tls_done, conn_ref (c));
}

/* ---- connections -------------------------------------------------------- */

static void
conn_established (Conn *c, GSocketConnection *conn)
{
  c->conn = g_object_ref (conn);
  c->sock = g_socket_connection_get_socket (conn);
  g_socket_set_blocking (c->sock, FALSE);
  if (g_socket_get_family (c->sock) != G_SOCKET_FAMILY_UNIX)
    {
      g_socket_set_option (c->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      g_socket_set_option (c->sock, IPPROTO_TCP, TCP_USER_TIMEOUT, STALL_TIMEOUT_MS, NULL);
      g_socket_set_keepalive (c->sock, TRUE);
      g_socket_set_option (c->sock, IPPROTO_TCP, TCP_KEEPIDLE, KEEPALIVE_IDLE_S, NULL);
      g_socket_set_option (c->sock, IPPROTO_TCP, TCP_KEEPINTVL, 1, NULL);
    }
  else
    {
      /* What a Unix-domain socket holds for its reader is its writer's
       * send buffer, by default a twentieth of what loopback TCP grows to:
       * a sequencer's bursts would pile up in outq instead, and a member
       * that falls behind by a burst be dropped frames to.  As TCP's, as far
       * as net.core.wmem_max lets us; what it does not, the queue takes.
       * (No stall timeout: on one host a dead peer's end is seen at once.) */
      gint got = 0;

      g_socket_set_option (c->sock, SOL_SOCKET, SO_SNDBUF, LOCAL_SNDBUF, NULL);
      if (g_socket_get_option (c->sock, SOL_SOCKET, SO_SNDBUF, &got, NULL) &&
          got < LOCAL_SNDBUF)
        c->queue_max = SEND_QUEUE_MAX + LOCAL_SNDBUF - (gsize) MAX (got, 0);
    }
  if (c->t->security == NULL)
    {
      conn_greet (c);
      c->in_source = conn_source (c, G_IO_IN, on_readable);
      grp_transport_schedule_flush (c->t);
      return;
    }
  c->state = CONN_TLS;
  if (c->outgoing)
    tls_start (c);
  else
    c->in_source = conn_source (c, G_IO_IN, on_readable); /* to its first bytes */
}

static gboolean on_accept (gint fd, GIOCondition cond, gpointer data);

/* A connection a peer made to us: its handshake begins. */
static void
take_incoming (GrpTransport *self, GSocketConnection *conn, gboolean local)
{
  Conn *c;

  if (self->pending_in.length >= PENDING_MAX)
    {
      /* With TLS, the oldest that has not sent a whole first record, if
       * any: one in its handshake (or past it) is most likely a joiner
       * nearly done, and a flood of partial ClientHellos must not push it
       * out.  Without TLS (or none such), the oldest. */
      GList *l = self->pending_in.head;

      while (l != NULL && (self->security == NULL || ((Conn *) l->data)->first_whole))
        l = l->next;
      conn_close (l != NULL ? l->data : g_queue_peek_head (&self->pending_in),
                  "dropped for a newer connection");
    }
  c = conn_new (self, NULL, FALSE);
  c->local = local;
  conn_established (c, conn);
}

static GSource *
accept_source_new (GrpTransport *self, GSocket *listener)
{
  GSource *source = g_unix_fd_source_new (g_socket_get_fd (listener), G_IO_IN);

  g_source_set_callback (source, G_SOURCE_FUNC (on_accept), self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static gboolean
resume_accepting (gpointer data)
{
  GrpTransport *self = data;
  GRP_HOLD (self);

  self->accept_pause_id = 0;
  self->accept_source = accept_source_new (self, self->listener);
  if (self->local_listener != NULL)
    self->local_accept_source = accept_source_new (self, self->local_listener);
  return G_SOURCE_REMOVE;
}

/* An accept source, destroyed and dropped (if any). */
static void
source_clear (GSource **source)
{
  if (*source != NULL)
    g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Out of descriptors: a listening socket stays readable, so accepting on
 * would spin.  Pause instead, and say so once in a while, not per try. */
static void
pause_accepting (GrpTransport *self, const GError *error)
{
  gint64 now = g_get_monotonic_time ();

  if (self->fd_limit_said == 0 || now - self->fd_limit_said >= FD_LIMIT_SAY_US)
    {
      g_message ("cannot accept connections (%s): pausing for %d ms at a time; the group is "
                 "served meanwhile", error->message, ACCEPT_PAUSE_MS);
      self->fd_limit_said = now;
    }
  source_clear (&self->accept_source);
  source_clear (&self->local_accept_source);
  if (self->accept_pause_id == 0)
    self->accept_pause_id = add_timeout (self, ACCEPT_PAUSE_MS, resume_accepting, self);
}

static gboolean
on_accept (gint fd, GIOCondition cond, gpointer data)
{
  GrpTransport *self = data;
  GSocket *listener = self->local_listener != NULL && fd == g_socket_get_fd (self->local_listener)
                        ? self->local_listener : self->listener;
  GRP_HOLD (self);

  for (int i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) sock = g_socket_accept (listener, NULL, &error);
      g_autoptr(GSocketConnection) conn = NULL;

      if (sock == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) ||
              g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
            {
              pause_accepting (self, error);
              return G_SOURCE_REMOVE;
            }
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          continue; /* that one connection failed (reset before accept) */
        }
      /* At the bound, a stranger's connection or one not yet through its
       * handshake makes room (the oldest); only members' connections
       * keep a new one out (closed at once: unref). */
      if (self->incoming >= self->incoming_max && self->strangers.length > 0)
        refuse (g_queue_peek_head (&self->strangers), "dropped for a newer connection");
      else if (self->incoming >= self->incoming_max && self->pending_in.length > 0)
        conn_close (g_queue_peek_head (&self->pending_in), "dropped for a newer connection");
      if (self->incoming >= self->incoming_max)
        continue;
      conn = g_socket_connection_factory_create_connection (sock);
      take_incoming (self, conn, listener == self->local_listener);
    }
  return G_SOURCE_CONTINUE;
}

/* Whether `uid`, as the kernel gave it for another process, may stand for
 * any user: a user namespace (a container) that does not map every user
 * shows each one it lacks as the overflow uid (nobody's, as a rule), and
 * that uid's own processes the same. */
static gboolean
uid_may_be_anyone (uid_t uid)
{
  g_autofree char *overflow = NULL;
  g_autofree char *map = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 mapped = 0;

  /* Read at each dial over a name: a few a peer, and never stale. */
  if (g_file_get_contents ("/proc/sys/kernel/overflowuid", &overflow, NULL, NULL)
        ? g_ascii_strtoull (overflow, NULL, 10) != uid : uid != 65534)
    return FALSE;
  /* Every uid of the host is mapped only where the map covers 2^32 - 1. */
  if (!g_file_get_contents ("/proc/self/uid_map", &map, NULL, NULL))
    return TRUE;
  lines = g_strsplit (map, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 count;

      if (sscanf (lines[i], "%*u %*u %" G_GUINT64_FORMAT, &count) == 1)
        mapped += count;
    }
  return mapped < G_MAXUINT32;
}

/* Whether the process listening on the Unix-domain name we reached runs as
 * our own user (its credentials as of its listen(), from the kernel); if
 * not, or if that cannot be told, `why` says why.  Any process may take a
 * member's name before the member does, and in an open group nothing in
 * the handshake tells it from the member: one of another user's could sit
 * between us and the member (over TCP on loopback no unprivileged process
 * can), read the group and drop or change what passes.  Our own user's
 * processes could do as much to ours in other ways. */
static gboolean
local_peer_is_ours (GSocketConnection *conn, char **why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCredentials) cred =
    g_socket_get_credentials (g_socket_connection_get_socket (conn), &error);
  uid_t uid = cred != NULL ? g_credentials_get_unix_user (cred, &error) : (uid_t) -1;

  if (uid == (uid_t) -1)
    *why = g_strdup_printf ("cannot tell who holds its Unix-domain name (%s)", error->message);
  else if (uid != geteuid ())
    *why = g_strdup_printf ("a process of another user (uid %u) holds its Unix-domain name",
                            (guint) uid);
  else if (uid_may_be_anyone (uid))
    *why = g_strdup_printf ("cannot tell who holds its Unix-domain name (uid %u, which this "
                            "user namespace gives every user it does not map)", (guint) uid);
  else
    return TRUE;
  return FALSE;
}

static void
connect_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
    c->local ? g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error)
             : g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), res, &error);

  if (c->state == CONN_CLOSED)
    {
      conn_unref (c);
      return;
    }
  GRP_HOLD (c->t);

  if (conn == NULL)
    {
      dial_failed (c, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
                        ? DIAL_REFUSED : DIAL_FAILED, error, error->message);
      conn_unref (c);
      return;
    }
  if (c->local)
    {
      g_autofree char *why = NULL;

      if (!local_peer_is_ours (conn, &why))
        {
          g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
          g_free (c->local_unused);
          c->local_unused = g_strdup (why);
          dial_failed (c, DIAL_FAILED, NULL, why);
          conn_unref (c);
          return;
        }
    }
  conn_established (c, conn);
  conn_unref (c);
}

static char *
local_name (const char *addr)
{
  return g_strconcat (LOCAL_PREFIX, addr, NULL);
}

/* A connection of ours to `addr`, over its Unix-domain socket or TCP;
 * `expected` (0: anyone, a probe) becomes the route to it at once, so that
 * sends queue on it. */
static Conn *
dial_via (GrpTransport *self, const char *addr, GrpId expected, gboolean local)
{
  Conn *c = conn_new (self, addr, TRUE);

  c->peer = expected;
  c->local = local;
  if (expected != 0)
    set_route (self, expected, c);
  if (local)
    {
      g_autofree char *name = local_name (addr);
      g_autoptr(GSocketAddress) unix_addr =
        g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);

      c->deadline = MIN (c->deadline, g_get_monotonic_time () + LOCAL_HANDSHAKE_MS * 1000);
      g_socket_client_connect_async (self->client, G_SOCKET_CONNECTABLE (unix_addr), c->cancel,
                                     connect_done, conn_ref (c));
    }
  else
    g_socket_client_connect_to_host_async (self->client, addr, 0, c->cancel, connect_done,
                                           conn_ref (c));
  return c;
}

/* `addr` as advertised, or as `verified` holds it: over the Unix-domain
 * socket first where there may be one (dial_failed falls back to TCP). */
static Conn *
dial (GrpTransport *self, const char *addr, GrpId expected)
{
  if (g_str_has_prefix (addr, VERIFIED_LOCAL))
    addr += strlen (VERIFIED_LOCAL);
  return dial_via (self, addr, expected, !self->no_local);
}

/* ---- public ----------------------------------------------------------- */

void
grp_transport_adopt (GrpTransport      *self,
                     GSocketConnection *conn,
                     const char        *addr,
                     GrpId              expected)
{
  Conn *c;

  g_return_if_fail (GRP_IS_TRANSPORT (self) && G_IS_SOCKET_CONNECTION (conn));
  if (addr == NULL)
    {
      take_incoming (self, conn, FALSE);
      return;
    }
  c = conn_new (self, addr, TRUE);
  c->peer = expected;
  if (expected != 0)
    set_route (self, expected, c);
  conn_established (c, conn);
}

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

/* `id` is no stranger (NONMEMBER_MAX): its connection, if any, stays. */
static void
vouch (GrpTransport *self, GrpId id)
{
  Conn *c = g_hash_table_lookup (self->inbound, &id);

  if (c != NULL && c->stranger)
    {
      c->stranger = FALSE;
      g_queue_remove (&self->strangers, c);
    }
}

void
grp_transport_set_view (GrpTransport *self, const GrpId *ids, guint n)
{
  g_return_if_fail (GRP_IS_TRANSPORT (self));

  g_hash_table_remove_all (self->view);
  for (guint i = 0; i < n; i++)
    {
      g_hash_table_add (self->view, g_memdup2 (&ids[i], sizeof ids[i]));
      vouch (self, ids[i]);
    }
}

void
grp_transport_send (GrpTransport *self, GrpId to, const char *addr, GrpMsg *msg)
{
  Conn *c = route_of (self, to);
  gsize len;
  const void *frame;

  if (self->strangers.length > 0)
    vouch (self, to); /* we speak to it */
  if (c == NULL)
    {
      if (has_ended (self, to))
        return; /* it will never read it */
      if (addr == NULL || *addr == '\0')
        addr = g_hash_table_lookup (self->verified, &to);
      if (addr == NULL || *addr == '\0')
        {
          /* What it advertised on a connection it dialed to us: where to
           * answer it, not a verified address (a refusal there is not
           * certain until a dial of ours has reached it there). */
          Conn *in = g_hash_table_lookup (self->inbound, &to);

          addr = in != NULL && in->state == CONN_OPEN ? in->addr : NULL;
        }
      if (addr == NULL || *addr == '\0')
        return; /* nobody to ask: the core will try again */
      c = dial (self, addr, to);
    }
  if (msg != self->cache_msg)
    {
      /* Room for the whole frame from the start (a batch's buffer grown
       * by doubling copied it about once more).  The buffer is kept for
       * the next message: a new one of a sequencer's batch size came from
       * pages the allocator had just given back, and touching them again
       * cost a page fault every 4 KiB (7 % of a TLS leader's time). */
      gsize room = MIN (grp_msg_entries_size (msg) + 256, GRP_FRAME_MAX + GRP_FRAME_HEADER);

      g_clear_pointer (&self->cache_msg, grp_msg_unref);
      if (self->cache_frame != NULL && self->cache_frame->len > ENCODE_KEEP)
        g_clear_pointer (&self->cache_frame, g_byte_array_unref);
      if (self->cache_frame == NULL)
        self->cache_frame = g_byte_array_sized_new ((guint) MAX (room, ENCODE_KEEP));
      g_byte_array_set_size (self->cache_frame, 0);
      grp_codec_append_msg (self->cache_frame, msg);
      self->cache_msg = grp_msg_ref (msg);
    }
  frame = self->cache_frame->data;
  len = self->cache_frame->len;
  if (len - GRP_FRAME_HEADER > GRP_FRAME_MAX)
    {
      /* The core's batches must stay within a frame: our bug, said once. */
      if (!self->said_too_large)
        g_critical ("not sending a %s of %zu bytes: peers refuse frames over %u",
                    grp_msg_type_name (msg->type), len, GRP_FRAME_MAX);
      self->said_too_large = TRUE;
      return;
    }
  if (conn_queued (c) + len > c->queue_max && conn_queued (c) > QUEUE_BEFORE_LARGE)
    {
      if (c->dropped++ == 0)
        g_message ("%s does not keep up (%zu bytes queued): dropping frames to it until it reads",
                   c->addr, conn_queued (c));
      return;
    }
  if (msg->type == GRP_MSG_SEQ && c->queued_seq++ == 0)
    {
      c->before_seq = conn_queued (c) + c->hs->len;
      g_ptr_array_add (self->turn_seq, c);
    }
  g_byte_array_append (c->outq, frame, (guint) len);
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

  /* Completed by on_hello (the peer said who it is) or a failure. */
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
grp_transport_set_security (GrpTransport *self, GrpSecurity *security)
{
  g_set_object (&self->security, security);
}

void
grp_transport_set_insecure (GrpTransport *self, gboolean insecure)
{
  self->insecure = insecure;
}

void
grp_transport_set_timing (GrpTransport *self, guint heartbeat_ms, guint suspect_ms)
{
  g_return_if_fail (heartbeat_ms > 0 && suspect_ms > heartbeat_ms &&
                    suspect_ms <= GRP_HELLO_TIMING_MAX_MS);

  self->timing = (GrpHelloTiming) { heartbeat_ms, suspect_ms };
}

void
grp_transport_set_protocol (GrpTransport *self, const char *protocol)
{
  g_return_if_fail (protocol != NULL && *protocol != '\0' &&
                    strlen (protocol) <= GRP_PROTOCOL_NAME_MAX);
  g_return_if_fail (self->conns->len == 0);

  g_free (self->protocol);
  self->protocol = g_strdup (protocol);
}

void
grp_transport_set_handshake_timeout (GrpTransport *self, guint timeout_ms)
{
  self->handshake_timeout_ms = timeout_ms;
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
   * and a peer that misses it must dial us to learn we ended. */
  grp_transport_flush_sync (self);
  g_queue_clear (&self->tls_waiting); /* no handshake begins now */
  while (self->conns->len > 0)
    {
      Conn *c = g_ptr_array_index (self->conns, 0);

      if (c->state != CONN_CONNECTING)
        send_bye (c, GRP_BYE_ENDED, "this member incarnation has ended");
      conn_close (c, "closing");
    }
  g_hash_table_remove_all (self->routes);
  g_hash_table_remove_all (self->inbound);
  g_ptr_array_set_size (self->redials, 0);
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

guint
grp_transport_count_local (GrpTransport *self)
{
  guint n = 0;

  for (guint i = 0; i < self->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (self->conns, i);

      n += c->state == CONN_OPEN && c->local;
    }
  return n;
}

gboolean
grp_transport_parse_address (const char *s, char **host, guint16 *port, GError **error)
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
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *ahost = NULL;
  guint16 aport;
  struct rlimit limit;

  if (!grp_transport_parse_address (listen ? listen : "127.0.0.1:0", &host, &port, error))
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
                   "cannot listen on \"%s\": give a numeric address such as 127.0.0.1 or 0.0.0.0",
                   host);
      return FALSE;
    }
  /* Without a secret anyone who reaches the port is a member: loopback
   * only, unless told. */
  if (self->security == NULL && !self->insecure && !g_inet_address_get_is_loopback (inet))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "without a group secret a member listens on loopback only: on %s anyone who "
                   "can reach it could join; give it the group's secret, or allow it to listen "
                   "there without one on a network you trust", host);
      return FALSE;
    }
  if (g_inet_address_get_is_any (inet) && advertise == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "listening on %s (every interface), but others cannot reach %s: advertise an "
                   "address of this machine that they can", host, host);
      return FALSE;
    }
  if (advertise != NULL && !grp_transport_parse_address (advertise, &ahost, &aport, error))
    return FALSE;
  if (self->listener != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "already listening on %s", self->address);
      return FALSE;
    }
  want = g_inet_socket_address_new (inet, port);
  sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, &local);
  if (sock != NULL)
    g_socket_set_listen_backlog (sock, LISTEN_BACKLOG);
  if (sock == NULL || !g_socket_bind (sock, want, TRUE, &local) ||
      !g_socket_listen (sock, &local) ||
      (got = g_socket_get_local_address (sock, &local)) == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                     "%s:%u is already in use: choose another port, or port 0 for any free one",
                     host, port);
      else
        g_set_error (error, local->domain, local->code, "cannot listen on %s:%u: %s", host, port,
                     local->message);
      return FALSE;
    }
  g_socket_set_blocking (sock, FALSE);
  self->listener = g_steal_pointer (&sock);
  g_free (self->address);
  if (advertise != NULL)
    self->address = g_strdup (advertise);
  else
    self->address =
      host_port (inet, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got)));
  if (!self->no_local)
    {
      g_autofree char *name = local_name (self->address);
      g_autoptr(GSocketAddress) unix_addr =
        g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
      g_autoptr(GSocket) unix_sock = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                                   G_SOCKET_PROTOCOL_DEFAULT, NULL);
      g_autoptr(GError) unix_error = NULL;

      /* Without it (the name taken, say) peers here reach us over TCP. */
      if (unix_sock != NULL)
        g_socket_set_listen_backlog (unix_sock, LISTEN_BACKLOG);
      if (unix_sock != NULL && g_socket_bind (unix_sock, unix_addr, FALSE, &unix_error) &&
          g_socket_listen (unix_sock, &unix_error))
        {
          g_socket_set_blocking (unix_sock, FALSE);
          self->local_listener = g_steal_pointer (&unix_sock);
        }
      else
        g_message ("no Unix-domain socket beside %s (%s): members on this host reach us "
                   "over TCP", self->address, unix_error ? unix_error->message : "no socket");
    }
  /* Room for our own dials and files below the descriptor limit. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    self->incoming_max = (guint) CLAMP ((gint64) limit.rlim_cur - FD_RESERVE, PENDING_MAX,
                                        INCOMING_MAX);
  resume_accepting (self);
  return TRUE;
}

GrpTransport *
grp_transport_new (void)
{
  return g_object_new (GRP_TYPE_TRANSPORT, NULL);
}

/* A listening socket (TCP or Unix-domain) and its accept source, gone. */
static void
listener_clear (GSource **source, GSocket **listener)
{
  source_clear (source);
  if (*listener != NULL)
    g_socket_close (*listener, NULL);
  g_clear_object (listener);
}

static void
grp_transport_dispose (GObject *object)
{
  GrpTransport *self = GRP_TRANSPORT (object);

  grp_transport_close (self);
  grp_source_clear (self->context, &self->flush_id);
  grp_source_clear (self->context, &self->sweep_id);
  grp_source_clear (self->context, &self->accept_pause_id);
  listener_clear (&self->accept_source, &self->listener);
  listener_clear (&self->local_accept_source, &self->local_listener);
  g_clear_object (&self->client);
  g_clear_object (&self->security);
  g_clear_pointer (&self->cache_msg, grp_msg_unref);
  g_clear_pointer (&self->cache_frame, g_byte_array_unref);
  G_OBJECT_CLASS (grp_transport_parent_class)->dispose (object);
}

static void
grp_transport_finalize (GObject *object)
{
  GrpTransport *self = GRP_TRANSPORT (object);

  g_ptr_array_unref (self->conns);
  g_ptr_array_unref (self->turn_seq);
  g_hash_table_unref (self->routes);
  g_hash_table_unref (self->inbound);
  g_hash_table_unref (self->verified);
  g_queue_clear (&self->ended_order);
  g_ptr_array_unref (self->redials);
  g_hash_table_unref (self->ended);
  g_hash_table_unref (self->hung_up);
  g_hash_table_unref (self->view);
  g_free (self->scratch);
  grp_frame_pool_close (self->frames);
  g_free (self->self_name);
  g_free (self->address);
  g_free (self->protocol);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (grp_transport_parent_class)->finalize (object);
}

static void
grp_transport_class_init (GrpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = grp_transport_dispose;
  object_class->finalize = grp_transport_finalize;

  /* (id, confirmed): we cannot reach member incarnation `id`; confirmed:
   * it has ended for certain (the header says when). */
  signals[SIGNAL_PEER_LOST] = g_signal_new ("peer-lost", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                            2, G_TYPE_UINT64, G_TYPE_BOOLEAN);
}

static void
grp_transport_init (GrpTransport *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_unref);
  self->turn_seq = g_ptr_array_new ();
  self->routes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->inbound = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->verified = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->ended = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->hung_up = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_queue_init (&self->ended_order);
  g_queue_init (&self->tls_waiting);
  self->redials = g_ptr_array_new_with_free_func ((GDestroyNotify) redial_free);
  self->scratch = g_malloc (READ_CHUNK);
  self->frames = grp_frame_pool_new ();
  self->handshake_timeout_ms = GRP_TRANSPORT_HANDSHAKE_TIMEOUT_MS;
  self->protocol = g_strdup ("groupy");
  self->incoming_max = INCOMING_MAX;
  self->no_local = g_strcmp0 (g_getenv ("GROUPY_NO_LOCAL_SOCKETS"), "1") == 0;
  g_queue_init (&self->pending_in);
  g_queue_init (&self->strangers);
  self->view = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->client = g_socket_client_new ();
  /* Members talk to each other directly: never through a proxy (and no
   * proxy lookup on the way to a connection). */
  g_socket_client_set_enable_proxy (self->client, FALSE);
  g_socket_client_set_timeout (self->client, CONNECT_TIMEOUT_S);
}
