/* core.h: one member's protocol state, shared by the core's files.
 *
 * The core is split by concern, each with its header stating what its
 * functions need and keep:
 *
 *   core.c        life cycle, dispatch, fencing, failure detection  (core.h)
 *   ring.c        the log's storage: a ring of entries by position   (ring.h)
 *   log.c         the log: which entry holds a position, trimming    (log.h)
 *   normal.c      the data path within one view                      (normal.h)
 *   viewchange.c  agreeing on the next view and installing it        (viewchange.h)
 *   join.c        create, join, leave, state transfer                (join.h)
 *
 * Every message is handled by one receive function (recv_* in the file of
 * its concern) that first checks whether its sender may send it in this
 * state, and bounds every number it carries before using it.
 */
#pragma once

#include "grp-core.h"
#include "ring.h"

/* ---- bounds on what a peer can make a member spend ----------------------
 * Each is far above what an honest group needs and far below what would
 * hurt a member. */

/* Members of one view: a view travels whole in DECIDE and state transfers,
 * and the group's flow-control window is shared among members. */
#define GRP_MAX_MEMBERS 1024
/* Newcomers waiting for a view: a burst of joiners, not a flood. */
#define GRP_MAX_PENDING_JOINS 64
/* Bytes of a member's name. */
#define GRP_MAX_NAME 255
/* Ballots: a proposer adds one to the highest it has seen, once per attempt
 * (at most one attempt every two suspicion timeouts), so no honest ballot
 * nears 2^48, and none is more than 2^20 above what another member of the
 * view has seen (weeks of retries).  Larger ones are refused, so that
 * arithmetic on ballots never wraps and no peer can put one out of reach. */
#define GRP_MAX_BALLOT ((guint64) 1 << 48)
#define GRP_BALLOT_STEP ((guint64) 1 << 20)
/* Addresses remembered beyond the view's (former members, newcomers that
 * asked): what a member outside the view needs to be answered at all. */
#define GRP_MAX_ADDRS (2 * GRP_MAX_MEMBERS)
/* Positions a DECIDE brings a member that was left behind, at most (it
 * asks again for the rest). */
#define GRP_MAX_CATCH_UP 1024
/* Members outside the view we answer (NOT_MEMBER) are remembered in this
 * many slots for the rate limit, so strangers cannot grow a table. */
#define GRP_FENCE_SLOTS 32

/* A member of the view before, and why it is not in the next one. */
typedef struct {
  GrpId id;
  GrpDeparture why;
} GrpGone;

typedef struct {
  GrpId id;
  gint64 last_heard;
  gint64 last_fence_reply; /* rate limit for DECIDE / NEED_VIEW replies */
  guint64 acked;           /* leader: highest contiguous position it holds */
  gint64 echo;             /* leader: latest of its stamps this member echoed (lease) */
  gint64 pace_at;          /* leader: when the window of keeps_pace() began, */
  guint64 pace_acked;      /* what it held then */
  guint64 pace_lag;        /* and how far behind it was */
  gboolean suspected;      /* silent past the timeout, or reported unreachable */
  gboolean dead;           /* known for certain never to send again (the
                            * transport's confirmed report) */
  gboolean leaving;        /* it said LEAVE itself */
} GrpPeer;

/* An origin's requests waiting at the leader (flow control). */
typedef struct {
  guint64 last;               /* its highest counter held */
  guint count;
  gsize bytes;                /* grp_entry_size(), summed */
} GrpHeld;

typedef struct {
  guint64 ctr;
  GBytes *payload;
  gint64 sent_at; /* 0: not sent yet (beyond the window) */
} GrpPending;

typedef struct {
  GrpId id;
  guint64 recv_upto;
  gboolean has_state;
  gboolean accepted;          /* it accepted our value (phase 2) */
  GrpBallot acc_ballot;       /* the ballot of the value it had accepted, if any */
} GrpPromise;

/* A newcomer waiting for the view that admits it; forgotten once it is
 * older than the join timeout (the joiner has given up by then). */
typedef struct {
  GrpMember member;
  gint64 asked_at;   /* the latest JOIN from it */
} GrpJoinReq;

typedef struct {
  GrpId id;
  gint64 at;
} GrpFenceSlot;

typedef enum {
  GRP_VC_NONE,      /* normal operation */
  GRP_VC_WAITING,   /* leader suspected; waiting for someone to propose */
  GRP_VC_PREPARING, /* proposer: collecting promises */
  GRP_VC_ACCEPTING, /* proposer: collecting accepts */
} GrpVcPhase;

struct _GrpCore {
  GrpCoreConfig cfg;
  GrpCoreCallbacks cb;
  gpointer user_data;
  GrpMember self;
  GrpStatus status;
  gint64 now;
  gboolean debug_seq;         /* G_MESSAGES_DEBUG asks for per-position traces */

  /* Membership. */
  GrpView *view;              /* installed view, NULL before admission */
  GHashTable *peers;          /* GrpId -> GrpPeer* for members of the view */
  GHashTable *addrs;          /* GrpId -> address (char*): view, joiners, contact */
  GrpFenceSlot fenced[GRP_FENCE_SLOTS]; /* non-members answered lately */
  gboolean has_state;
  gboolean leaving;           /* said LEAVE (or will: leave_wanted) */
  gboolean leave_wanted;      /* leave() was called; own requests still go first */
  gint64 leave_started;
  gint64 last_leave_sent;

  /* The log: positions (stable, ...] that are not yet trimmed. */
  GrpRing log;                /* by position */
  guint64 log_lo;             /* no entry below this position */
  guint64 recv_upto;          /* highest position held with no gap below */
  guint64 high_known;         /* highest position known to exist */
  guint64 delivered;          /* highest position delivered */
  guint64 stable;             /* every member of the view holds up to here */
  GrpId stable_by;            /* leader: a member of the view that holds no more (0: none
                               * known); the first one asked when it may move */
  GHashTable *seen;           /* GrpId origin -> guint64 highest ctr sequenced */
  GrpId seen_origin;          /* the last origin looked up (runs of one origin */
  guint64 *seen_ctr;          /* are common), its value in `seen`, or NULL */

  /* Leader: flow control (normal.c).  Entries sequenced above flow_lo, at
   * least the stable point, take flow_used bytes; requests past the bound
   * wait in `held`, each origin's counters in order. */
  guint64 flow_lo;
  gsize flow_used;
  GQueue held;                /* GrpEntry*: requests not yet sequenced, oldest first */
  GHashTable *held_by;        /* GrpId origin -> GrpHeld* */

  /* Member side of the data path. */
  GQueue pending;             /* GrpPending*, own multicasts not yet delivered */
  guint64 next_ctr;
  guint64 my_seq_ctr;         /* highest own counter held in the log */
  guint64 my_delivered_ctr;   /* highest own counter delivered */
  guint64 last_ack_sent;
  gint64 last_ack_at;
  gint64 last_nak_at;
  gint64 last_leader_heard;
  gint64 last_ping_at;        /* our last NEED_VIEW to the other members */
  gint64 leader_stamp;        /* latest stamp from the leader, echoed in ACKs */

  /* Batches (config.batch): sent by grp_core_flush() or before any other
   * message. */
  GrpMsg *out_seq;            /* leader: sequenced entries, to the view */
  gsize out_seq_bytes;        /* their grp_entry_size(), summed */
  GrpMsg *out_req;            /* member: own requests, to out_req_to */
  gsize out_req_bytes;
  GrpId out_req_to;

  /* Leader side of the data path. */
  guint64 next_seq;
  gint64 last_hb_at;
  gint64 installed_at;        /* when the view was installed */
  gint64 fresh_from;          /* the lease's grace: the members whose answers chose our view
                               * heard from us no earlier (G_MININT64: no grace) */
  gint64 asked_at;            /* proposer: when the phase under way (PREPARE, ACCEPT)
                               * first went out */
  gint64 decided_from;        /* decide() to grp_vc_install: fresh_from of the view */
  gint64 lease_at;            /* the `now` the lease was last checked at (G_MININT64:
                               * an echo or the view changed since), */
  gboolean lease;             /* and what it was: one check per instant, not per entry */
  GPtrArray *pending_joins;   /* GrpJoinReq* waiting for the next view */
  GArray *pending_leaves;     /* GrpId: members too slow to keep (lag) */
  GBytes *state_blob;         /* state taken at state_seq, for newcomers */
  GArray *state_seen;         /* GrpSeen: the duplicate filter as of state_seq */
  guint64 state_seq;

  /* Joining. */
  GrpId contact;              /* the member we were given */
  GrpId join_leader;          /* the leader a member named, once one did */
  gint64 join_started;
  gint64 last_join_sent;
  gint64 last_state_req;

  /* View change.  The acceptor state is for slot view->id + 1. */
  GrpBallot promised;
  GrpBallot accepted_ballot;
  GrpView *accepted;          /* value accepted in this slot, or NULL */
  guint64 ballot_seen;        /* highest ballot number seen in this slot */
  gboolean frozen;            /* promised: no delivery past freeze_upto */
  guint64 freeze_upto;
  GrpVcPhase vc;
  gint64 vc_since;            /* when the current phase started */
  gint64 yielded_at;          /* when we last gave way to another proposer */
  gint64 vc_sent_at;          /* last (re)send of PREPARE / ACCEPT / NEED_VIEW */
  GrpBallot ballot;           /* proposer: our ballot */
  GArray *promises;           /* proposer: GrpPromise */
  guint64 departures_view;    /* the latest view installed, and why each member */
  GArray *departures;         /* of the view before left it (GrpGone) */
  GrpView *proposal;          /* proposer: the value being accepted */
  /* Proposer: the accepted value with the highest ballot that this
   * ballot's promises (ours included) report.  Never our own acceptor
   * state: we report only what we accepted ourselves. */
  GrpView *reported;
  GrpBallot reported_ballot;
  /* A view known to be chosen (a DECIDE) that lists us, but whose position
   * we cannot install at yet: our log lacks positions below it.  We ask
   * its members for them (viewchange.c). */
  GrpView *pending_view;
  gint64 pending_asked_at;
};

/* The peer record of a member of the installed view (created on first
 * use).  Only for members of the view: a stranger never gets one. */
GrpPeer   *grp_core_peer (GrpCore *core, GrpId id);
/* Is `id` a member of the installed view other than us? */
gboolean   grp_core_is_member (GrpCore *core, GrpId id);
/* Hands `msg` to the transport for `to` (flushing the batches first unless
 * it is one of them: the order of sends never changes).  Sends to ourselves
 * and to id 0 are dropped. */
void       grp_core_send (GrpCore *core, GrpId to, GrpMsg *msg);
/* To every other member of the installed view. */
void       grp_core_send_view (GrpCore *core, GrpMsg *msg);
void       grp_core_set_status (GrpCore *core, GrpStatus status, const GError *error);
gboolean   grp_core_i_lead (GrpCore *core);
void       grp_core_remember_addr (GrpCore *core, const GrpMember *member);
/* After an install: peers, addresses and rate limits keep only what the new
 * view (and pending joins) need; a confirmed crash stays known. */
void       grp_core_reset_peers (GrpCore *core);
void       grp_core_flush_batches (GrpCore *core);
/* Tell `to`, which sent us something of an older view (or asked), where
 * we are: DECIDE if it is a member (with the positions below our view it
 * lacks, when it said it holds up to `recv_upto`; G_MAXUINT64: unknown),
 * NOT_MEMBER otherwise.  At most one answer per peer per retry interval,
 * whatever it sends. */
void       grp_core_fence_reply (GrpCore *core, GrpId to, guint64 recv_upto);
/* We are behind: ask `to` for its view (rate-limited). */
void       grp_core_ask_view (GrpCore *core, GrpId to);
