/* stage.h: what the exercise's stages share (stage.c).
 *
 * The exercise's processes, in its own words (Erlang):
 *
 *   leader(Id, Master, Slaves, Group)          the first of the list
 *   slave(Id, Master, Leader, Slaves, Group)   everyone else
 *
 * A member holds the list [Leader | Slaves].  The leader sends each message
 * to every slave in list order, then delivers it itself (bcast); a slave
 * sends its multicasts and the joins it is given to the leader, and
 * delivers what it receives.  A newcomer is put at the end of the list and
 * the new list goes out as a view.  The stages differ in what happens when
 * the leader dies (gms1: nothing; gms2: the first slave leads; gms3: and
 * re-sends the last message, with numbers to drop duplicates; gms4: and
 * members ask for what they miss).
 *
 * Here a stage is a GrpProto: the same messages as the real protocol
 * (JOIN, REQ, SEQ with one entry, STATE, HB, JOIN_REFUSED) over the same
 * transport, so the windows, the worker, the logs and groupy-check work as
 * they do for the real one.  Three things the exercise leaves to Erlang
 * are made explicit, none of which mends a flaw:
 *  - positions: gms1 and gms2 have no numbers, so each member counts its
 *    own deliveries (a member that missed a message counts one less, for
 *    good, which is how groupy-check sees the drift); gms3 and gms4 deliver
 *    at the leader's numbers;
 *  - the state: the leader sends it to the newcomer right after the view
 *    that admits it, as of that view (the exercise asks for it through the
 *    ordered stream: the same cut);
 *  - the monitor: the transport's crash reports, and a leader silent for
 *    the suspicion timeout (the leader sends heartbeats), as a network
 *    monitor would -- which is how a slow leader is taken for dead.
 * A join that nobody answers fails after the join timeout (the exercise's
 * "no reply from leader"), and a name already in the list is refused, so
 * that the logs stay readable.
 */
#pragma once

#include "grp-proto.h"

G_BEGIN_DECLS

typedef struct _GrpStage GrpStage;

/* What makes a stage itself (the rest is stage.c). */
typedef struct {
  /* The leader numbers what it sends (gms3, gms4); otherwise members
   * count their own deliveries. */
  gboolean numbered;
  /* An entry of a SEQ, from `from` (maybe not the leader).  Deliver it or
   * not, and where. */
  void (*recv_seq) (GrpStage *s, GrpId from, GrpEntry *e);
  /* The leader is gone, or looks gone: the transport reported it, or it
   * was silent for the suspicion timeout.  NULL: the leader is not watched
   * (gms1), and sends no heartbeats. */
  void (*leader_lost) (GrpStage *s);
  /* Messages stage.c does not handle (gms4: NAK), or NULL. */
  void (*recv_other) (GrpStage *s, GrpMsg *msg);
  /* Every tick while a member (gms4: ask again), or NULL. */
  void (*tick) (GrpStage *s);
  /* Keep the entries of the last `history` positions delivered (gms4:
   * to answer who asks for them). */
  guint history;
} GrpStageKind;

struct _GrpStage {
  GrpProto parent;
  const GrpStageKind *kind;
  GrpCoreConfig cfg;
  GrpMember self;
  GrpStatus status;
  gint64 now;

  /* [Leader | Slaves]: the members as this one knows them, the leader
   * first.  It changes when a view is delivered and, in an election,
   * when the leader is dropped from it. */
  GArray *list;               /* GrpId */
  GrpView *view;              /* the last view delivered */
  GHashTable *addrs;          /* GrpId -> address: where to send */

  guint64 delivered;          /* the last position delivered */
  gint64 last_leader_heard;
  gint64 last_hb_sent;

  /* Own multicasts sent to the leader and not delivered back yet. */
  guint64 next_ctr;
  GArray *pending;            /* guint64 counters */

  /* Joining: the view that admits us, until the state comes. */
  GrpId contact;
  gint64 join_started;
  GrpEntry *admitted;

  /* gms3, gms4: the last message received, which a new leader re-sends. */
  GrpEntry *last;

  /* gms4: the recent positions delivered (kind->history of them), and
   * messages received ahead of a gap. */
  GHashTable *history;        /* guint64 seq -> GrpEntry* */
  GHashTable *held;           /* guint64 seq -> GrpEntry* */
  gint64 last_nak_sent;
};

GrpProto *grp_stage_new (const GrpStageKind *kind, const GrpCoreConfig *config,
                         const GrpMember *self);

/* The class functions every stage shares. */
void      grp_stage_free (GrpProto *proto);
void      grp_stage_create (GrpProto *proto, gint64 now);
void      grp_stage_join (GrpProto *proto, GrpId contact, const char *contact_addr, gint64 now);
void      grp_stage_leave (GrpProto *proto, gint64 now);
guint64   grp_stage_multicast (GrpProto *proto, GBytes *payload, gint64 now, GError **error);
void      grp_stage_receive (GrpProto *proto, GrpMsg *msg, gint64 now);
void      grp_stage_unreachable (GrpProto *proto, GrpId peer, gboolean confirmed, gint64 now);
void      grp_stage_tick (GrpProto *proto, gint64 now);
gboolean  grp_stage_flush (GrpProto *proto);
gboolean  grp_stage_has_batch (GrpProto *proto);
GrpStatus grp_stage_get_status (GrpProto *proto);
const GrpView *grp_stage_get_view (GrpProto *proto);
gboolean  grp_stage_is_leader (GrpProto *proto);
guint64   grp_stage_get_delivered (GrpProto *proto);
gboolean  grp_stage_has_state (GrpProto *proto);
guint     grp_stage_get_pending (GrpProto *proto);
guint     grp_stage_get_window (GrpProto *proto);
char     *grp_stage_describe (GrpProto *proto);

/* What peers can make a stage hold, bounded as the real protocol bounds
 * it (its own constants, src/core/core.h; the stages stay apart from its
 * code): members of a view (each view travels whole, in a frame), bytes of
 * a member's name. */
#define GRP_STAGE_MAX_MEMBERS 1024
#define GRP_STAGE_MAX_NAME 255

/* A stage's class: its name, summary and new, then these. */
#define GRP_STAGE_METHODS \
  .free = grp_stage_free, \
  .create = grp_stage_create, \
  .join = grp_stage_join, \
  .leave = grp_stage_leave, \
  .multicast = grp_stage_multicast, \
  .receive = grp_stage_receive, \
  .unreachable = grp_stage_unreachable, \
  .tick = grp_stage_tick, \
  .flush = grp_stage_flush, \
  .has_batch = grp_stage_has_batch, \
  .get_status = grp_stage_get_status, \
  .get_view = grp_stage_get_view, \
  .is_leader = grp_stage_is_leader, \
  .get_delivered = grp_stage_get_delivered, \
  .has_state = grp_stage_has_state, \
  .get_pending = grp_stage_get_pending, \
  .get_window = grp_stage_get_window, \
  .describe = grp_stage_describe

/* ---- for the stages' own hooks ---------------------------------------- */

/* The first of the list (0 if it is empty). */
GrpId     grp_stage_leader (GrpStage *s);
gboolean  grp_stage_i_lead (GrpStage *s);
/* Whether `view` is led by our leader: a slave takes views from its
 * leader only (the exercise's {view, [Leader|Slaves2], Group2}, with
 * Leader bound). */
gboolean  grp_stage_led_by_leader (GrpStage *s, const GrpView *view);
/* The member the list names after the leader (0 if none): the next leader. */
GrpId     grp_stage_next_leader (GrpStage *s);
/* Send `msg` to `to` (nothing to ourselves). */
void      grp_stage_send (GrpStage *s, GrpId to, GrpMsg *msg);
/* A SEQ with `e` to every slave of the list, in list order. */
void      grp_stage_bcast (GrpStage *s, GrpEntry *e);
/* Deliver `e` at position `seq`; a view becomes our list. */
void      grp_stage_deliver (GrpStage *s, GrpEntry *e, guint64 seq);
/* The leader: number `e` if the stage numbers, send it to every slave,
 * then deliver it. */
void      grp_stage_lead (GrpStage *s, GrpEntry *e);
/* The election's first step: the leader is dropped from the list and the
 * next one leads; requests sent to the old one are lost for good. */
void      grp_stage_drop_leader (GrpStage *s);
/* A new leader: the list goes out as the next view, delivered here too. */
void      grp_stage_announce (GrpStage *s);

G_END_DECLS
