/* grp-msg.h: the values the protocol core works on and the messages it
 * exchanges.
 *
 * Every value here is immutable once built and reference counted, so the
 * same entry or view can sit in many logs (and, in the simulator, in many
 * members' logs) without copies.  The wire codec (src/net) turns GrpMsg into
 * bytes and back; the core never sees bytes other than payloads.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A member incarnation.  A process that is excluded and rejoins comes back
 * with a new id, so an id is never re-admitted to a group. */
typedef guint64 GrpId;

typedef struct {
  GrpId id;
  char *name;
  char *addr; /* where others reach it; opaque to the core */
} GrpMember;

/* A view: an id that only grows, the ordered member list (the first member
 * leads) and its position `seq` in the total order: the view is delivered at
 * that sequence number, after everything sequenced before it.
 * `needs_state[i]` tells whether members[i] still waits for a state transfer,
 * which the view's leader sends when it delivers the view. */
typedef struct {
  guint64 id;
  guint64 seq;
  guint n_members;
  GrpMember *members;
  gboolean *needs_state;
} GrpView;

GrpView  *grp_view_new (guint64 id, guint64 seq, guint n_members);
GrpView  *grp_view_ref (GrpView *view);
void      grp_view_unref (GrpView *view);
int       grp_view_index (const GrpView *view, GrpId id);
gboolean  grp_view_contains (const GrpView *view, GrpId id);
GrpId     grp_view_leader (const GrpView *view);
gboolean  grp_view_equal (const GrpView *a, const GrpView *b);
void      grp_member_copy (GrpMember *dest, const GrpMember *src);
void      grp_member_clear (GrpMember *member);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GrpView, grp_view_unref)

typedef enum {
  GRP_ENTRY_DATA = 1,
  GRP_ENTRY_VIEW = 2,
} GrpEntryKind;

/* One position of the total order.  `view_id` is the view whose leader
 * assigned the position (for a view entry: the view itself); when two logs
 * disagree on a position, the entry of the higher view wins. */
typedef struct {
  guint64 seq;
  guint64 view_id;
  GrpEntryKind kind;
  GrpId origin;     /* DATA: the member that multicast it */
  guint64 ctr;      /* DATA: the origin's own counter, from 1 */
  /* DATA: the payload is `payload`, or, for an entry decoded from a frame,
   * bytes [off, off + len) of `frame` (no object of its own: a member holds
   * thousands of entries, and each allocation costs cache misses twice).
   * Read it with grp_entry_get_data() or grp_entry_dup_payload(). */
  GBytes *payload;
  GBytes *frame;
  guint32 off, len;
  GrpView *view;    /* VIEW */
} GrpEntry;

GrpEntry *grp_entry_new_data (guint64 seq, guint64 view_id, GrpId origin,
                              guint64 ctr, GBytes *payload);
/* A DATA entry whose payload is a slice of `frame`. */
GrpEntry *grp_entry_new_data_slice (guint64 seq, guint64 view_id, GrpId origin,
                                    guint64 ctr, GBytes *frame, gsize off, gsize len);
/* The same payload as `like`, at another position. */
GrpEntry *grp_entry_new_data_like (const GrpEntry *like, guint64 seq, guint64 view_id);
const guint8 *grp_entry_get_data (const GrpEntry *entry, gsize *len);
GBytes   *grp_entry_dup_payload (const GrpEntry *entry);
GrpEntry *grp_entry_new_view (GrpView *view);
GrpEntry *grp_entry_ref (GrpEntry *entry);
void      grp_entry_unref (GrpEntry *entry);

/* Paxos ballot for agreeing on the next view: compared by n, then by the
 * proposer's id, so two proposers never share a ballot. */
typedef struct {
  guint64 n;
  GrpId id;
} GrpBallot;

int grp_ballot_cmp (GrpBallot a, GrpBallot b);

typedef enum {
  GRP_MSG_JOIN = 1,     /* member: the joiner; sent to any member, forwarded to the leader */
  GRP_MSG_JOIN_REFUSED, /* reason */
  GRP_MSG_REQ,          /* ctr, payload: a multicast request, member -> leader */
  GRP_MSG_SEQ,          /* entries, stable: sequenced entries, leader -> members */
  GRP_MSG_HB,           /* high, stable: leader heartbeat */
  GRP_MSG_ACK,          /* recv_upto, has_state: member -> leader, also its heartbeat */
  GRP_MSG_NAK,          /* lo, hi: "send me these positions again" */
  GRP_MSG_STATE,        /* seq, payload, seen: state transfer to a newcomer */
  GRP_MSG_STATE_REQ,    /* newcomer asks the leader to send the state again */
  GRP_MSG_LEAVE,        /* member asks the leader to let it leave; with dead: a
                           hand-off, "take over and remove these leavers" */
  GRP_MSG_PREPARE,      /* view = slot, ballot, high = proposer's recv_upto, lo = its log floor */
  GRP_MSG_PROMISE,      /* view = slot, ballot, recv_upto, has_state, entries, accepted_ballot, value, dead */
  GRP_MSG_REJECT,       /* view = slot, ballot = the higher ballot promised */
  GRP_MSG_ACCEPT,       /* view = slot, ballot, value, entries */
  GRP_MSG_ACCEPTED,     /* view = slot, ballot */
  GRP_MSG_DECIDE,       /* value: the view now installed */
  GRP_MSG_NEED_VIEW,    /* "you are in a newer view than mine: tell me" */
  GRP_MSG_NOT_MEMBER,   /* value: the sender's view, which does not include you */
  GRP_MSG_PING,         /* stamp, echo: member <-> member liveness round trips */
  GRP_MSG_LAST
} GrpMsgType;

/* A protocol message.  `view` fences every message: the sender's installed
 * view id (for view-change messages, the id of the view being agreed on). */
typedef struct {
  GrpMsgType type;
  GrpId from;
  guint64 view;
  guint64 ctr;
  guint64 seq;
  guint64 high;
  guint64 stable;
  guint64 recv_upto;
  guint64 lo;
  guint64 hi;
  gint64 stamp;         /* SEQ, HB, PING: sender's clock; ACK: the latest leader stamp received */
  gint64 echo;          /* PING: the latest stamp received from the addressee */
  gboolean has_state;
  GrpBallot ballot;
  GrpBallot accepted_ballot;
  GBytes *payload;
  GrpMember member;
  char *reason;
  GrpView *value;
  GPtrArray *entries;   /* of GrpEntry*, may be NULL */
  GArray *seen;         /* of GrpSeen, may be NULL */
  GArray *dead;         /* PROMISE: GrpId of members the sender saw crash in touch;
                           LEAVE: the leavers of a hand-off; may be NULL */
} GrpMsg;

/* The highest counter sequenced for one origin: the duplicate filter that
 * travels with state transfers. */
typedef struct {
  GrpId origin;
  guint64 ctr;
} GrpSeen;

GrpMsg     *grp_msg_new (GrpMsgType type, GrpId from, guint64 view);
GrpMsg     *grp_msg_ref (GrpMsg *msg);
void        grp_msg_unref (GrpMsg *msg);
const char *grp_msg_type_name (GrpMsgType type);
void        grp_msg_add_entry (GrpMsg *msg, GrpEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GrpMsg, grp_msg_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GrpEntry, grp_entry_unref)

G_END_DECLS
