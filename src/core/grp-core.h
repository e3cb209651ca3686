/* grp-core.h: one member's group protocol as a pure state machine.
 *
 * The core owns no socket, clock, random source or main loop.  Its caller
 * (the simulator in tests/, the GIO transport in src/net) hands it
 * everything that happens -- received messages, "peer unreachable" reports,
 * local requests, clock ticks with the current time -- and the core answers
 * synchronously through the callback table: messages to send, deliveries in
 * total order, view changes, state-transfer hooks and status changes.
 *
 * Guarantees (docs/PROTOCOL.md says why each holds):
 *  - every member delivers data and views as one sequence numbered by the
 *    leader: the same order everywhere, each position exactly once, no gaps;
 *  - a view change (join, leave, failure) is agreed by a quorum of the
 *    previous view (a majority, or exactly half when every other member is
 *    known to have crashed) and carries
 *    the union of what the survivors hold, so no survivor misses what another
 *    delivered;
 *  - every message is fenced by its view id; a member left out of a view
 *    learns so (GRP_STATUS_EXCLUDED) and must rejoin as a new incarnation;
 *  - a newcomer gets the application state as of the view that admits it;
 *  - with GRP_DELIVERY_SAFE a message is delivered only once every member of
 *    the view holds it (uniform delivery).
 *
 * All times are microseconds on a monotonic clock chosen by the caller.
 */
#pragma once

#include "grp-msg.h"

G_BEGIN_DECLS

#define GRP_CORE_ERROR (grp_core_error_quark ())
GQuark grp_core_error_quark (void);

typedef enum {
  GRP_CORE_ERROR_NAME_TAKEN,   /* another member already uses the name */
  GRP_CORE_ERROR_JOIN_TIMEOUT, /* nobody admitted us (or no state came) in time */
  GRP_CORE_ERROR_NOT_MEMBER,   /* the call needs a group member */
  GRP_CORE_ERROR_BUSY,         /* the flow-control window is full */
} GrpCoreError;

typedef enum {
  GRP_DELIVERY_AGREED, /* deliver when sequenced, in order */
  GRP_DELIVERY_SAFE,   /* deliver once every member of the view holds it */
} GrpDelivery;

typedef enum {
  GRP_STATUS_IDLE,
  GRP_STATUS_JOINING,   /* join sent, or admitted but the state has not arrived */
  GRP_STATUS_MEMBER,    /* holds the state and delivers */
  GRP_STATUS_LEFT,      /* left on request */
  GRP_STATUS_EXCLUDED,  /* a newer view does not include us: rejoin as new */
  GRP_STATUS_FAILED,    /* the join failed (error says why) */
} GrpStatus;

typedef struct {
  GrpDelivery delivery;
  gint64 heartbeat_interval;  /* leader <-> member heartbeats */
  gint64 suspect_timeout;     /* silence after which a peer is suspected */
  gint64 retry_interval;      /* resend requests, NAKs, view-change messages */
  gint64 join_timeout;        /* a join that has not completed by then fails */
  guint window;               /* own multicasts in flight before BUSY, at most */
  /* ... and the whole group's: each member's share is group_window / n
   * (at least 32).  Flat-out senders then keep the log, and every member's
   * working set, the same size whatever the group's size. */
  guint group_window;
  guint max_batch;            /* entries per SEQ retransmission */
  /* Bytes of entries one message may carry (grp_entry_size()), 0: no
   * bound.  A message always carries at least one entry it must, so the
   * bound is this or one entry, whichever is larger; the transport sets it
   * so that every message fits in a frame. */
  gsize max_msg_bytes;
  /* Flow control: the leader sequences at most max_lag positions, and
   * flow_bytes bytes of entries (grp_entry_size(); 0: no byte bound), beyond
   * what every member of the view holds; requests past that wait at the
   * leader until the slowest member catches up.  A member that is behind
   * and does not keep pace (half of what it lacks, or of what gap repair
   * brings, per suspect_timeout) is excluded (it rejoins). */
  guint64 max_lag;
  gsize flow_bytes;
  /* FALSE (default): every call sends what it produced before it returns.
   * TRUE: sequenced entries (leader) and requests (member) are gathered
   * into one SEQ / REQ until grp_core_flush(), which the driver calls when
   * it has fed the core everything at hand (the end of a main-loop turn).
   * Any other message flushes them first, so the order of sends is the
   * same either way. */
  gboolean batch;
} GrpCoreConfig;

void grp_core_config_init (GrpCoreConfig *config);

typedef struct _GrpCore GrpCore;

typedef struct {
  /* Send `msg` to member `to`, reachable at `addr` (may be NULL when the
   * transport already knows the peer).  The callee takes its own ref. */
  void (*send) (GrpCore *core, GrpId to, const char *addr, GrpMsg *msg, gpointer user_data);
  /* A data message, at position `seq` of the total order. */
  void (*deliver) (GrpCore *core, guint64 seq, GrpId origin, guint64 ctr,
                   GBytes *payload, gpointer user_data);
  /* A view, delivered at position view->seq. */
  void (*view) (GrpCore *core, GrpView *view, gpointer user_data);
  /* The application state after everything delivered so far. */
  GBytes *(*get_state) (GrpCore *core, gpointer user_data);
  /* Replace the application state with one taken at position `seq`. */
  void (*set_state) (GrpCore *core, guint64 seq, GBytes *state, gpointer user_data);
  /* Status changes; `error` is set for GRP_STATUS_FAILED. */
  void (*status) (GrpCore *core, GrpStatus status, const GError *error, gpointer user_data);
} GrpCoreCallbacks;

GrpCore  *grp_core_new (const GrpCoreConfig    *config,
                        const GrpMember        *self,
                        const GrpCoreCallbacks *callbacks,
                        gpointer                user_data);
void      grp_core_free (GrpCore *core);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GrpCore, grp_core_free)

/* Become the first member of a new group (view 1, leader). */
void      grp_core_create (GrpCore *core, gint64 now);
/* Join through any member; `contact_addr` may be NULL if the transport
 * resolves `contact`. */
void      grp_core_join (GrpCore *core, GrpId contact, const char *contact_addr, gint64 now);
/* Leave cleanly; GRP_STATUS_LEFT follows once a view without us is agreed. */
void      grp_core_leave (GrpCore *core, gint64 now);
/* Multicast `payload`; returns the member's counter for it (from 1), or 0
 * with `error` set when not a member or the window is full. */
guint64   grp_core_multicast (GrpCore *core, GBytes *payload, gint64 now, GError **error);

void      grp_core_receive (GrpCore *core, GrpMsg *msg, gint64 now);
/* The transport lost `peer`.  `confirmed` means it is certain that this
 * member incarnation will never send again (it said so, or its port is
 * closed or answered by another incarnation: grp-transport.h); anything less
 * certain -- a timeout, a network error -- must be reported unconfirmed, as
 * the quorum rule's safety rests on it (docs/PROTOCOL.md). */
void      grp_core_unreachable (GrpCore *core, GrpId peer, gboolean confirmed, gint64 now);
/* Call at least every heartbeat_interval / 2. */
void      grp_core_tick (GrpCore *core, gint64 now);
/* With config.batch: send the gathered SEQ / REQ.  TRUE if there was any. */
gboolean  grp_core_flush (GrpCore *core);
/* With config.batch: whether grp_core_flush() has something to send. */
gboolean  grp_core_has_batch (GrpCore *core);

GrpStatus       grp_core_get_status (GrpCore *core);
const GrpView  *grp_core_get_view (GrpCore *core);
GrpId           grp_core_get_id (GrpCore *core);
gboolean        grp_core_is_leader (GrpCore *core);
guint64         grp_core_get_delivered (GrpCore *core);
/* Highest position held with none missing below it (>= delivered). */
guint64         grp_core_get_received (GrpCore *core);
/* Whether the member holds the application state (a newcomer waiting for
 * it, or a member that had to take it again, does not). */
gboolean        grp_core_has_state (GrpCore *core);
/* A view known to be chosen that lists us, which we cannot install yet:
 * the positions below it are still to come (or lost).  NULL if none. */
const GrpView  *grp_core_get_pending_view (GrpCore *core);
guint           grp_core_get_pending (GrpCore *core);
/* Own multicasts that may be in flight now (config.window and group_window). */
guint           grp_core_get_window (GrpCore *core);
/* One line on the member's protocol state, for logs and debugging. */
char           *grp_core_describe (GrpCore *core);
/* TRUE while a view change is needed but the members this one does not
 * suspect, with it, are no quorum of the view (docs/PROTOCOL.md), or while
 * it waits for the positions below a chosen view: it waits for members to
 * come back, delivering nothing new. */
gboolean        grp_core_is_blocked (GrpCore *core);
/* Entries held in the log (bounded by stability under steady load). */
guint           grp_core_get_log_size (GrpCore *core);

/* Why a member of the view before is not in view `view_id`, as this member
 * knew when it installed that view (the latest it installed; otherwise
 * UNKNOWN).  For narration only: the view is the group's decision, the
 * reason this member's own view of it. */
typedef enum {
  GRP_DEPARTURE_UNKNOWN,
  GRP_DEPARTURE_LEFT,      /* it said LEAVE */
  GRP_DEPARTURE_CRASHED,   /* its process ended: its connection closed, or it came back anew */
  GRP_DEPARTURE_SILENT,    /* nothing heard from it for the suspicion timeout */
  GRP_DEPARTURE_SLOW,      /* it did not keep pace (the leader excluded it) */
  GRP_DEPARTURE_LEFT_OUT,  /* the others left it out (this member knew no more) */
} GrpDeparture;

GrpDeparture    grp_core_get_departure (GrpCore *core, guint64 view_id, GrpId id);

G_END_DECLS
