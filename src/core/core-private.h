/* core-private.h: the member state shared by the core's files.
 *
 * core.c        lifecycle, dispatch, fencing, failure detection
 * normal.c      the data path: requests, sequencing, acks, gap repair,
 *               stability, delivery
 * viewchange.c  agreeing on the next view (Paxos over the view slot) and
 *               installing it
 * join.c        create, join, leave, state transfer
 * gms3.c        the original exercise's algorithm (for comparison only)
 */
#pragma once

#include "grp-core.h"

typedef struct {
  GrpId id;
  gint64 last_heard;
  gint64 last_fence_reply; /* rate limit for NOT_MEMBER / DECIDE / NEED_VIEW */
  guint64 acked;           /* leader: highest contiguous position it holds */
  gint64 echo;             /* leader: latest of its stamps this member echoed (lease) */
  gboolean suspected;      /* silent past the timeout, or reported unreachable */
  gboolean dead;           /* known for certain never to send again (transport's
                            * confirmed report, or a promise that passed one on) */
} GrpPeer;

typedef struct {
  guint64 ctr;
  GBytes *payload;
  gint64 sent_at; /* 0: not sent yet (beyond the window) */
} GrpPending;

typedef struct {
  GrpId id;
  guint64 recv_upto;
  gboolean has_state;
  gboolean accepted;
} GrpPromise;

/* A newcomer waiting for the view that admits it; forgotten once it is
 * older than the join timeout (the joiner has given up by then). */
typedef struct {
  GrpMember member;
  gint64 asked_at;   /* the latest JOIN from it */
} GrpJoinReq;

/* log.c */
typedef struct {
  GrpEntry **slots;  /* cap slots; position s lives at s & (cap - 1) */
  guint64 cap;       /* a power of two */
  guint64 count;
  guint64 min, max;  /* every position held is in [min, max] */
} GrpRing;

void       grp_ring_init (GrpRing *ring);
void       grp_ring_clear (GrpRing *ring);
GrpEntry  *grp_ring_get (const GrpRing *ring, guint64 seq);
gboolean   grp_ring_put (GrpRing *ring, GrpEntry *entry, guint64 limit);
void       grp_ring_remove (GrpRing *ring, guint64 seq);
void       grp_ring_remove_range (GrpRing *ring, guint64 lo, guint64 hi);

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
  GHashTable *addrs;          /* GrpId -> address (char*) of anyone we know */
  gboolean has_state;
  gboolean leaving;
  gint64 leave_started;

  /* The log: positions (stable, ...] that are not yet trimmed. */
  GrpRing log;                /* by position */
  guint64 log_lo;             /* no entry below this position */
  guint64 recv_upto;          /* highest position held with no gap below */
  guint64 high_known;         /* highest position known to exist */
  guint64 delivered;          /* highest position delivered */
  guint64 stable;             /* every member of the view holds up to here */
  GHashTable *seen;           /* GrpId origin -> guint64 highest ctr sequenced */
  GrpId seen_origin;          /* the last origin looked up (runs of one origin */
  guint64 *seen_ctr;          /* are common), its value in `seen`, or NULL */

  /* Member side of the data path. */
  GQueue pending;             /* GrpPending*, own multicasts not yet delivered */
  guint64 next_ctr;
  guint64 my_seq_ctr;         /* highest own counter held in the log */
  guint64 my_delivered_ctr;   /* highest own counter delivered */
  guint64 last_ack_sent;
  gint64 last_ack_at;
  gint64 last_nak_at;
  gint64 last_leader_heard;
  gint64 leader_stamp;        /* latest stamp from the leader, echoed in ACKs */

  /* Batches (config.batch): sent by grp_core_flush() or before any other
   * message. */
  GrpMsg *out_seq;            /* leader: sequenced entries, to the view */
  GrpMsg *out_req;            /* member: own requests, to out_req_to */
  GrpId out_req_to;

  /* Leader side of the data path. */
  guint64 next_seq;
  gint64 last_hb_at;
  gint64 installed_at;        /* when the view was installed: the lease's grace */
  GPtrArray *pending_joins;   /* GrpJoinReq* waiting for the next view */
  GArray *pending_leaves;     /* GrpId: leavers, and members too slow to keep */
  GBytes *state_blob;         /* state taken at state_seq, for newcomers */
  guint64 state_seq;

  /* Joining. */
  GrpId contact;
  gint64 join_started;
  gint64 last_join_sent;
  gint64 last_state_req;

  /* View change.  The acceptor state is for slot view->id + 1. */
  GrpBallot promised;
  GrpBallot accepted_ballot;
  GrpView *accepted;          /* value accepted in this slot, or NULL */
  gboolean frozen;            /* promised: no delivery past freeze_upto */
  guint64 freeze_upto;
  GrpVcPhase vc;
  gint64 vc_since;            /* when the current phase started */
  gint64 yielded_at;          /* when we last gave way to another proposer */
  gint64 vc_sent_at;          /* last (re)send of PREPARE / ACCEPT */
  GrpBallot ballot;           /* proposer: our ballot */
  GArray *promises;           /* proposer: GrpPromise */
  GrpView *proposal;          /* proposer: the value being accepted */

  /* gms3 mode. */
  guint64 g3_expected;
  GrpEntry *g3_last;
};

/* core.c */
GrpPeer   *grp_core_peer (GrpCore *core, GrpId id);
void       grp_core_send (GrpCore *core, GrpId to, GrpMsg *msg);
void       grp_core_send_view (GrpCore *core, GrpMsg *msg);
void       grp_core_set_status (GrpCore *core, GrpStatus status, const GError *error);
gboolean   grp_core_i_lead (GrpCore *core);
void       grp_core_remember_addr (GrpCore *core, const GrpMember *member);
void       grp_core_reset_peers (GrpCore *core);
void       grp_core_flush_batches (GrpCore *core);

/* normal.c */
GrpEntry  *grp_log_get (GrpCore *core, guint64 seq);
void       grp_log_put (GrpCore *core, GrpEntry *entry);
void       grp_log_truncate_from (GrpCore *core, guint64 seq);
void       grp_log_trim (GrpCore *core);
void       grp_normal_deliver (GrpCore *core);
void       grp_normal_on_req (GrpCore *core, GrpMsg *msg);
void       grp_normal_on_seq (GrpCore *core, GrpMsg *msg);
void       grp_normal_on_hb (GrpCore *core, GrpMsg *msg);
void       grp_normal_on_ack (GrpCore *core, GrpMsg *msg);
void       grp_normal_on_nak (GrpCore *core, GrpMsg *msg);
void       grp_normal_sequence (GrpCore *core, GrpId origin, guint64 ctr, GBytes *payload);
gboolean   grp_normal_can_sequence (GrpCore *core);
void       grp_normal_send_ack (GrpCore *core, gboolean force);
void       grp_normal_send_pending (GrpCore *core, gboolean all);
void       grp_normal_tick (GrpCore *core);
void       grp_normal_update_stable (GrpCore *core);
void       grp_normal_note_high (GrpCore *core, guint64 high);
void       grp_normal_rebuild_seen (GrpCore *core);
void       grp_normal_seen_changed (GrpCore *core);
gboolean   grp_normal_lease_ok (GrpCore *core);
void       grp_normal_sequence_own (GrpCore *core);

/* viewchange.c */
typedef gboolean (*GrpMemberPredicate) (GrpCore *core, GrpId id, gpointer data);
gboolean   grp_vc_is_quorum (GrpCore *core, GrpMemberPredicate in_set, gpointer data);
void       grp_vc_start (GrpCore *core);
void       grp_vc_leader_suspected (GrpCore *core);
void       grp_vc_tick (GrpCore *core);
void       grp_vc_on_prepare (GrpCore *core, GrpMsg *msg);
void       grp_vc_on_promise (GrpCore *core, GrpMsg *msg);
void       grp_vc_on_reject (GrpCore *core, GrpMsg *msg);
void       grp_vc_on_accept (GrpCore *core, GrpMsg *msg);
void       grp_vc_on_accepted (GrpCore *core, GrpMsg *msg);
void       grp_vc_on_decide (GrpCore *core, GrpMsg *msg);
void       grp_vc_install (GrpCore *core, GrpView *view);
GrpMsg    *grp_vc_decide_msg (GrpCore *core);
void       grp_vc_reset (GrpCore *core);

/* join.c */
void       grp_join_on_join (GrpCore *core, GrpMsg *msg);
void       grp_join_on_refused (GrpCore *core, GrpMsg *msg);
void       grp_join_on_state (GrpCore *core, GrpMsg *msg);
void       grp_join_on_state_req (GrpCore *core, GrpMsg *msg);
void       grp_join_on_leave (GrpCore *core, GrpMsg *msg);
void       grp_join_send_state (GrpCore *core, const GrpView *view);
void       grp_join_tick (GrpCore *core);
gboolean   grp_join_view_work (GrpCore *core);
gboolean   grp_join_is_leaving (GrpCore *core, GrpId id);
/* Drop a pending join: the newcomer is known to be gone. */
void       grp_join_forget (GrpCore *core, GrpId id);

/* gms3.c */
void       grp_gms3_create (GrpCore *core);
void       grp_gms3_join (GrpCore *core);
guint64    grp_gms3_multicast (GrpCore *core, GBytes *payload);
void       grp_gms3_receive (GrpCore *core, GrpMsg *msg);
void       grp_gms3_unreachable (GrpCore *core, GrpId peer);
void       grp_gms3_tick (GrpCore *core);
