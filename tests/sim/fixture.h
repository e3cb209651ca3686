/* fixture.h: a deterministic simulated cluster of protocol cores (or of
 * any protocol behind the seam of grp-proto.h).
 *
 * The one model of the network that the unit tests, the directed scenarios
 * and the randomized campaign share (as canonical/raft's raft_fixture).  One
 * virtual clock; a heap of events (message arrivals, ticks, crash reports,
 * turn ends, scheduled calls) fired earliest first.  The network is what TCP
 * between processes gives, and no more:
 *
 *  - each directed link is FIFO within a connection; a message first waits
 *    in the sender's queue (a link can be *held*: backed up for as long as
 *    a test says), then crosses with a delay drawn per message (heavy tail:
 *    a late message holds back those behind it);
 *  - a *reconnection* loses a suffix of what was in flight on the old
 *    connection, and what is still in flight there may arrive after
 *    messages of the new one (the only reordering TCP allows);
 *  - a *cut* link either stalls (TCP retransmits: delivered after the
 *    heal, in order) or breaks (what crosses it is lost);
 *  - a process that is *killed* loses what it had not yet sent (its held
 *    queues, and sometimes, as a reset does, a suffix of what was in
 *    flight); its peers' transports then report it crashed, *confirmed*,
 *    which is certain: a node that is alive or paused is never reported
 *    confirmed (grp-transport.h's contract);
 *  - a *paused* process (SIGSTOP) reads nothing and does nothing; its input
 *    waits in its socket buffers and is read, in order, when it resumes;
 *  - an incarnation that ends (left, excluded, failed join) says so to its
 *    peers (the transport's BYE), again a confirmed report, and one that is
 *    sent to after its end answers with a confirmed report too (the port is
 *    closed or answered by its next incarnation).
 *
 * On every member runs the Groupy worker: `change N` payloads (1 byte, N in
 * 1..20) and (R,G,B) := (G, B, (R+N) mod 256) on delivery.  The invariants
 * of docs/PROTOCOL.md are checked after every step: members agree on every
 * position and color, nobody skips or repeats one, a multicast holds one
 * position, one view per view id.  Everything random is drawn from one
 * seeded generator, so a run replays exactly.
 */
#pragma once

#include "grp-proto.h"

G_BEGIN_DECLS

typedef struct _GrpFixture GrpFixture;

#define GRP_FIXTURE_MS ((gint64) 1000)

/* What happens to a message a link carries (grp_fixture_set_filter). */
typedef enum {
  GRP_FIXTURE_PASS,  /* as the network would */
  GRP_FIXTURE_DROP,  /* lost */
} GrpFixtureVerdict;

typedef GrpFixtureVerdict (*GrpFixtureFilter) (GrpFixture *f, int from, int to, GrpMsg *msg,
                                               gpointer data);
/* Called for every message a node sends (before the network sees it;
 * `to` is -1 for an id no node has): the campaign's adversary reacts to
 * what the protocol does. */
typedef void (*GrpFixtureSendHook) (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data);
typedef void (*GrpFixtureFunc) (GrpFixture *f, gpointer data);
typedef gboolean (*GrpFixturePredicate) (GrpFixture *f, gpointer data);

typedef struct {
  /* Delay of each message on the wire: uniform in [min, max] us, and with
   * chance tail_p a further heavy-tailed delay (Pareto, scale tail_scale,
   * capped at tail_max).  A link is FIFO: a late message holds back the
   * ones behind it. */
  gint64 delay_min, delay_max;
  double tail_p;
  gint64 tail_scale, tail_max;
  double loss;        /* a message lost on its own (the transport dropping
                         frames for a peer that does not keep up) */
  double dup;         /* a message delivered twice (a retransmission) */
  double reconnect;   /* per message: the link's connection breaks */
  double reset_loss;  /* a kill resets a link: in-flight suffix lost too */
  double stall_break; /* a connection stalled by a cut times out before the
                         heal: what it held is lost, a suspicion reported */
  gint64 report_min, report_max; /* how long a peer takes to notice a kill */
  double crash_rate;  /* the exercise's injected crash: a leader's broadcast
                         (a sequenced request, a turn's batch) dies part-way
                         through with this chance */
  gint64 tick;        /* each member's clock tick */
  gint64 turn;        /* with batching: at most this long until a turn ends */
} GrpFixtureNet;

void          grp_fixture_net_init (GrpFixtureNet *net);

GrpFixture   *grp_fixture_new (const GrpCoreConfig *config, const GrpFixtureNet *net, guint64 seed);
void          grp_fixture_free (GrpFixture *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GrpFixture, grp_fixture_free)

/* The protocol every member runs (default: the real one).  Before the
 * first member. */
void          grp_fixture_set_protocol (GrpFixture *f, const GrpProtoClass *protocol);

/* Every step's messages and the core's own debug lines (grp_fixture_trace). */
void          grp_fixture_set_tracing (GrpFixture *f, gboolean on);
const char   *grp_fixture_trace (GrpFixture *f);
void          grp_fixture_note (GrpFixture *f, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* ---- members ---------------------------------------------------------- */

/* A new process.  The first creates the group; later ones join through
 * `contact` (a node index; -1: a random member that holds the state).
 * Returns the node index of its first incarnation. */
int           grp_fixture_spawn (GrpFixture *f, const char *name, int contact);
/* A further incarnation of `node`'s process (after it was left out),
 * joining through `contact` (-1: random). */
int           grp_fixture_rejoin (GrpFixture *f, int node, int contact);
/* Incarnations that are left out or whose join failed rejoin by
 * themselves, as the real worker does (up to `max_nodes` nodes in all). */
void          grp_fixture_set_auto_rejoin (GrpFixture *f, guint max_nodes);

guint         grp_fixture_n_nodes (GrpFixture *f);
GrpProto     *grp_fixture_proto (GrpFixture *f, int node);
/* The real protocol's core of `node`, or NULL if it runs another. */
GrpCore      *grp_fixture_core (GrpFixture *f, int node);
const char   *grp_fixture_name (GrpFixture *f, int node);
int           grp_fixture_process (GrpFixture *f, int node);
int           grp_fixture_node_of (GrpFixture *f, GrpId id);
/* Alive (not killed) and its incarnation not over (not left, excluded or
 * failed). */
gboolean      grp_fixture_up (GrpFixture *f, int node);
gboolean      grp_fixture_killed (GrpFixture *f, int node);
gboolean      grp_fixture_paused (GrpFixture *f, int node);
/* The up node that leads, or -1. */
int           grp_fixture_leader (GrpFixture *f);
const guint8 *grp_fixture_color (GrpFixture *f, int node);
/* Positions this node delivered (data and views), in order. */
guint64       grp_fixture_last_seq (GrpFixture *f, int node);
guint         grp_fixture_n_delivered (GrpFixture *f, int node);
guint         grp_fixture_n_views (GrpFixture *f, int node);
/* The last view this node delivered, or NULL. */
const GrpView *grp_fixture_view (GrpFixture *f, int node);
const GError *grp_fixture_error (GrpFixture *f, int node);

/* ---- what members do ---------------------------------------------------- */

/* Multicast `change N`; returns the counter or 0 (not a member, BUSY). */
guint64       grp_fixture_multicast (GrpFixture *f, int node, guint8 change);
void          grp_fixture_leave (GrpFixture *f, int node);

/* ---- faults ------------------------------------------------------------- */

/* kill -9: what the process had not sent is lost; its peers are told,
 * confirmed, after report_min..report_max (a cut link: after the heal). */
void          grp_fixture_kill (GrpFixture *f, int node);
/* SIGSTOP / SIGCONT. */
void          grp_fixture_pause (GrpFixture *f, int node);
void          grp_fixture_resume (GrpFixture *f, int node);
/* The link from -> to backs up: nothing leaves `from`'s queue for `to`
 * until `until` (G_MAXINT64: until grp_fixture_release). */
void          grp_fixture_hold (GrpFixture *f, int from, int to, gint64 until);
void          grp_fixture_release (GrpFixture *f, int from, int to);
/* Cut the processes of `a` and `b` apart (one direction unless `both`).
 * `stall`: the connection survives and delivers after the heal; otherwise
 * it breaks and what crosses is lost. */
void          grp_fixture_cut (GrpFixture *f, int a, int b, gboolean both, gboolean stall);
/* Partition the processes into sides (side[process], by process index). */
void          grp_fixture_partition (GrpFixture *f, const int *side, guint n, gboolean stall);
void          grp_fixture_heal (GrpFixture *f);
/* The faults stop: heal every cut, release every held link, resume every
 * paused process. */
void          grp_fixture_calm (GrpFixture *f);
gboolean      grp_fixture_partitioned (GrpFixture *f);
/* The connection from -> to breaks and is made again. */
void          grp_fixture_reconnect (GrpFixture *f, int from, int to);
/* The transport reports `about` unreachable to `to`, unconfirmed (a
 * timeout, a network error). */
void          grp_fixture_report (GrpFixture *f, int to, int about);

/* The injected crash of the exercise: `node` dies after `sends` more
 * messages (part-way through a broadcast); disarmed by -1. */
void          grp_fixture_arm_crash (GrpFixture *f, int node, int sends);

void          grp_fixture_set_filter (GrpFixture *f, GrpFixtureFilter filter, gpointer data);
void          grp_fixture_set_send_hook (GrpFixture *f, GrpFixtureSendHook hook, gpointer data);

/* ---- time --------------------------------------------------------------- */

gint64        grp_fixture_now (GrpFixture *f);
/* Call `func` at virtual time `at`. */
void          grp_fixture_at (GrpFixture *f, gint64 at, GrpFixtureFunc func, gpointer data);
/* Fire the next event; FALSE when there is none. */
gboolean      grp_fixture_step (GrpFixture *f);
void          grp_fixture_run_for (GrpFixture *f, gint64 duration);
/* Step until `pred` holds or `limit` virtual us have passed; returns
 * whether it holds. */
gboolean      grp_fixture_run_until (GrpFixture *f, GrpFixturePredicate pred, gpointer data,
                                     gint64 limit);

/* ---- the checker -------------------------------------------------------- */

/* The first invariant that was broken, or NULL. */
const char   *grp_fixture_violation (GrpFixture *f);
/* Is the node rightly blocked: the members of its view that are up are no
 * quorum of it, counting every member that is not up as known crashed
 * (omniscient: the best any member could know); or what it needs to go on
 * -- the positions below a view it must install, or the state -- is held
 * by no node up? */
gboolean      grp_fixture_rightly_blocked (GrpFixture *f, int node);
/* The nodes that are up and not rightly blocked agree on one view listing
 * exactly them, have delivered the same positions and hold none of their
 * own multicasts undelivered.  `why` says what is missing. */
gboolean      grp_fixture_converged (GrpFixture *f, GString *why);
/* Every multicast of a node that converged was delivered by every such
 * node; records a violation otherwise. */
void          grp_fixture_check_all_delivered (GrpFixture *f);
/* Record a violation (the campaign's own checks). */
void          grp_fixture_fail (GrpFixture *f, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

typedef struct {
  guint64 events;
  guint64 deliveries;
  guint kills;
  guint leader_kills;
  guint pauses;
  guint views;
} GrpFixtureStats;

const GrpFixtureStats *grp_fixture_stats (GrpFixture *f);
/* The fixture's random generator (for the campaign's choices). */
GRand        *grp_fixture_rand (GrpFixture *f);

G_END_DECLS
