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
  /* The entries decoded from one frame are allocated together and live
   * as long as the last of them: `block` counts their references and holds
   * the frame (a member decodes every entry of the order once; one
   * allocation and one atomic reference per frame rather than per entry).
   * An entry of its own counts its references in `ref`. */
  struct _GrpEntryBlock *block;
  guint ref;
} GrpEntry;

typedef struct _GrpEntryBlock GrpEntryBlock;

GrpEntry *grp_entry_new_data (guint64 seq, guint64 view_id, GrpId origin,
                              guint64 ctr, GBytes *payload);
/* A DATA entry whose payload is a slice of `frame`. */
GrpEntry *grp_entry_new_data_slice (guint64 seq, guint64 view_id, GrpId origin,
                                    guint64 ctr, GBytes *frame, gsize off, gsize len);
/* Room for `n` DATA entries that are slices of `frame`; filled with
 * grp_entry_block_add() (NULL when full), released with
 * grp_entry_block_unref() once filled: its entries keep it. */
GrpEntryBlock *grp_entry_block_new (GBytes *frame, guint n);
GrpEntry      *grp_entry_block_add (GrpEntryBlock *block, guint64 seq, guint64 view_id,
                                    GrpId origin, guint64 ctr, gsize off, gsize len);
void           grp_entry_block_unref (GrpEntryBlock *block);
/* The same payload as `like`, at another position. */
GrpEntry *grp_entry_new_data_like (const GrpEntry *like, guint64 seq, guint64 view_id);
const guint8 *grp_entry_get_data (const GrpEntry *entry, gsize *len);
/* What a view costs whoever decodes it, beyond its names and addresses:
 * the view (its box and the chunks of its two arrays), its entry and the
 * list's pointer to it (about 235 bytes with glibc), and for each member
 * its struct, its needs_state and the two allocations of its strings
 * (92).  /codec/view-cost-decoded measures it.  The codec charges a frame this much for the
 * views it carries and refuses one past its budget (grp-codec.c); the core
 * sizes its messages with the same figures (grp_entry_size), so that an
 * honest one never is. */
#define GRP_VIEW_COST 256
#define GRP_VIEW_MEMBER_COST 96
/* About what the entry takes in a frame (at least its payload), or a view
 * entry once decoded (GRP_VIEW_COST), whichever is more. */
gsize         grp_entry_size (const GrpEntry *entry);
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
  GRP_MSG_JOIN = 1,     /* a newcomer asks the leader (directly) to be admitted */
  GRP_MSG_JOIN_REFUSED, /* the name is taken */
  GRP_MSG_REQ,          /* multicast requests, member -> leader */
  GRP_MSG_SEQ,          /* sequenced entries, leader -> members */
  GRP_MSG_HB,           /* leader heartbeat */
  GRP_MSG_ACK,          /* member -> leader: what it holds; also its heartbeat */
  GRP_MSG_NAK,          /* member -> leader: "send me these positions again" */
  GRP_MSG_STATE,        /* state transfer, leader -> newcomer */
  GRP_MSG_STATE_REQ,    /* a newcomer asks the leader to send the state again */
  GRP_MSG_LEAVE,        /* a member leaves, to every member of the view */
  GRP_MSG_PREPARE,      /* view change, phase 1: proposer -> members */
  GRP_MSG_PROMISE,      /* member -> proposer */
  GRP_MSG_REJECT,       /* member -> proposer: a higher ballot was promised */
  GRP_MSG_ACCEPT,       /* view change, phase 2: proposer -> members */
  GRP_MSG_ACCEPTED,     /* member -> proposer */
  GRP_MSG_DECIDE,       /* the view now installed, to its old and new members */
  GRP_MSG_NEED_VIEW,    /* "if you are in a newer view than mine, tell me" */
  GRP_MSG_NOT_MEMBER,   /* "my view, which leaves you out" */
  GRP_MSG_LAST
} GrpMsgType;

/* The highest counter sequenced for one origin: the duplicate filter that
 * travels with state transfers. */
typedef struct {
  GrpId origin;
  guint64 ctr;
} GrpSeen;

/* One struct per kind of message: what each carries is in its type.
 * Entries, views, payloads and arrays are owned by the message. */

typedef struct {
  GrpMember member;     /* the newcomer: id == the message's sender */
} GrpMsgJoin;

typedef struct {
  char *reason;
} GrpMsgJoinRefused;

typedef struct {
  GPtrArray *entries;   /* GrpEntry* (DATA, seq 0): ctr and payload each */
} GrpMsgReq;

typedef struct {
  GPtrArray *entries;   /* GrpEntry*: sequenced positions */
  guint64 stable;       /* every member of the view holds up to here */
  gint64 stamp;         /* the leader's clock, echoed in ACKs (its lease) */
} GrpMsgSeq;

typedef struct {
  guint64 high;         /* highest position sequenced */
  guint64 stable;
  gint64 stamp;
} GrpMsgHb;

typedef struct {
  guint64 recv_upto;    /* highest position held with no gap below */
  gboolean has_state;
  gint64 stamp;         /* the latest leader stamp received */
} GrpMsgAck;

typedef struct {
  guint64 lo, hi;       /* positions to send again, inclusive */
} GrpMsgNak;

typedef struct {
  guint64 seq;          /* the position of the view the state is taken at */
  GBytes *state;
  GArray *seen;         /* GrpSeen: the duplicate filter */
} GrpMsgState;

typedef struct {
  GrpBallot ballot;
  guint64 high;         /* the proposer's recv_upto */
  guint64 lo;           /* the proposer's log floor */
} GrpMsgPrepare;

typedef struct {
  GrpBallot ballot;
  guint64 recv_upto;
  gboolean has_state;
  GPtrArray *entries;   /* what the proposer lacks */
  GrpBallot accepted_ballot;
  GrpView *accepted;    /* the value accepted in this slot, or NULL */
  GArray *dead;         /* GrpId: members of the view whose crash the
                           promiser has confirmed, or NULL */
} GrpMsgPromise;

typedef struct {
  GrpBallot ballot;     /* the higher ballot promised */
} GrpMsgReject;

typedef struct {
  GrpBallot ballot;
  GrpView *value;
  GPtrArray *entries;   /* what this member lacks below the value's position */
} GrpMsgAccept;

typedef struct {
  GrpBallot ballot;
} GrpMsgAccepted;

typedef struct {
  GrpView *view;
  GPtrArray *entries;   /* positions below the view the receiver may lack */
} GrpMsgDecide;

typedef struct {
  GrpView *view;
} GrpMsgNotMember;

typedef struct {
  guint64 recv_upto;    /* what the asker holds: the answer brings the rest */
} GrpMsgNeedView;

/* A protocol message.  `view` fences every message: the sender's installed
 * view id (for PREPARE, PROMISE, REJECT, ACCEPT and ACCEPTED, the id of the
 * view being agreed on).  The union member that matches `type` is the only
 * one set (JOIN_REFUSED: join_refused; NOT_MEMBER: not_member; NEED_VIEW:
 * need_view; STATE_REQ and LEAVE carry nothing more). */
typedef struct {
  GrpMsgType type;
  GrpId from;
  guint64 view;
  union {
    GrpMsgJoin join;
    GrpMsgJoinRefused join_refused;
    GrpMsgReq req;
    GrpMsgSeq seq;
    GrpMsgHb hb;
    GrpMsgAck ack;
    GrpMsgNak nak;
    GrpMsgState state;
    GrpMsgPrepare prepare;
    GrpMsgPromise promise;
    GrpMsgReject reject;
    GrpMsgAccept accept;
    GrpMsgAccepted accepted;
    GrpMsgDecide decide;
    GrpMsgNotMember not_member;
    GrpMsgNeedView need_view;
  };
} GrpMsg;

GrpMsg     *grp_msg_new (GrpMsgType type, GrpId from, guint64 view);
GrpMsg     *grp_msg_ref (GrpMsg *msg);
void        grp_msg_unref (GrpMsg *msg);
const char *grp_msg_type_name (GrpMsgType type);
/* The entries of a REQ, SEQ, PROMISE, ACCEPT or DECIDE (created on first use);
 * NULL for other types. */
GPtrArray  *grp_msg_entries (GrpMsg *msg);
void        grp_msg_add_entry (GrpMsg *msg, GrpEntry *entry);
/* The sum of grp_entry_size() over the message's entries. */
gsize       grp_msg_entries_size (GrpMsg *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GrpMsg, grp_msg_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GrpEntry, grp_entry_unref)

G_END_DECLS
