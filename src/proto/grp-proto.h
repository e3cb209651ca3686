/* grp-proto.h: the one seam between a member's protocol and what drives it.
 *
 * A protocol is a pure state machine in the sense of src/core: it owns no
 * socket, clock, random source or main loop.  Its driver -- GrpGroup over
 * TCP (src/net), the simulator's fixture (tests/sim) -- hands it what
 * happens (received messages, "peer unreachable" reports, local requests,
 * clock ticks with the current time) and it answers synchronously through
 * GrpProtoCallbacks.
 *
 * Several protocols sit behind this interface, and a driver picks one by
 * name (grp_proto_find) and never asks which one runs:
 *
 *   groupy   the real protocol (src/core), adapted in grp-proto-core.c
 *   gms1     the exercise's first stage: the first process leads; no
 *            failure handling (src/stages/gms1.c)
 *   gms2     gms1 plus a watched leader and an election (gms2.c)
 *   gms3     gms2 plus sequence numbers, the new leader re-sending the
 *            last message, duplicates dropped (gms3.c)
 *   gms4     gms3 plus asking the leader for missing messages (gms4.c)
 *
 * The stages keep the flaws the exercise teaches (docs/TUTORIAL.md); only
 * "groupy" gives the guarantees of grp-core.h.  Every implementation
 * speaks the same messages (grp-msg.h) over the same transport; members of
 * one group must run the same protocol, which the transport checks when
 * two members meet (grp-transport.h).
 *
 * The callbacks mean what GrpCoreCallbacks say they mean (grp-core.h); so
 * do the statuses, errors (GRP_CORE_ERROR) and the configuration, of which
 * a stage uses the timing, the join timeout and the window.
 */
#pragma once

#include "grp-core.h"

G_BEGIN_DECLS

typedef struct _GrpProto GrpProto;
typedef struct _GrpProtoClass GrpProtoClass;

typedef struct {
  void (*send) (GrpProto *proto, GrpId to, const char *addr, GrpMsg *msg, gpointer user_data);
  void (*deliver) (GrpProto *proto, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload,
                   gpointer user_data);
  void (*view) (GrpProto *proto, GrpView *view, gpointer user_data);
  GBytes *(*get_state) (GrpProto *proto, gpointer user_data);
  void (*set_state) (GrpProto *proto, guint64 seq, GBytes *state, gpointer user_data);
  void (*status) (GrpProto *proto, GrpStatus status, const GError *error, gpointer user_data);
} GrpProtoCallbacks;

/* What every implementation provides.  Each function has the meaning of
 * the grp_core_* function of the same name (grp-core.h). */
struct _GrpProtoClass {
  const char *name;          /* as given to --protocol */
  const char *summary;       /* one line for people: what it does, what it lacks */
  gboolean safe_delivery;    /* honours GRP_DELIVERY_SAFE */

  /* The instance, its GrpProto at the start of it. */
  GrpProto   *(*new) (const GrpCoreConfig *config, const GrpMember *self);
  void        (*free) (GrpProto *proto);

  void        (*create) (GrpProto *proto, gint64 now);
  void        (*join) (GrpProto *proto, GrpId contact, const char *contact_addr, gint64 now);
  void        (*leave) (GrpProto *proto, gint64 now);
  guint64     (*multicast) (GrpProto *proto, GBytes *payload, gint64 now, GError **error);
  void        (*receive) (GrpProto *proto, GrpMsg *msg, gint64 now);
  void        (*unreachable) (GrpProto *proto, GrpId peer, gboolean confirmed, gint64 now);
  void        (*tick) (GrpProto *proto, gint64 now);
  gboolean    (*flush) (GrpProto *proto);
  gboolean    (*has_batch) (GrpProto *proto);

  GrpStatus      (*get_status) (GrpProto *proto);
  const GrpView *(*get_view) (GrpProto *proto);
  gboolean       (*is_leader) (GrpProto *proto);
  guint64        (*get_delivered) (GrpProto *proto);
  gboolean       (*has_state) (GrpProto *proto);
  guint          (*get_pending) (GrpProto *proto);
  guint          (*get_window) (GrpProto *proto);
  char          *(*describe) (GrpProto *proto);
  /* Waiting for a quorum (grp_core_is_blocked); NULL: never (the
   * exercise's stages have no quorum to wait for). */
  gboolean       (*is_blocked) (GrpProto *proto);
  /* Why `id` is not in view `view_id` (grp_core_get_departure); NULL: the
   * stages do not say. */
  GrpDeparture   (*get_departure) (GrpProto *proto, guint64 view_id, GrpId id);
};

/* The start of every instance; implementations embed it first. */
struct _GrpProto {
  const GrpProtoClass *klass;
  GrpId id;
  GrpProtoCallbacks cb;
  gpointer user_data;
};

/* The protocol called `name`, or NULL. */
const GrpProtoClass *grp_proto_find (const char *name);
/* The default: the real protocol. */
const GrpProtoClass *grp_proto_default (void);
/* Every protocol, the default first, NULL-terminated. */
const GrpProtoClass *const *grp_proto_list (void);
/* "groupy, gms1, gms2, gms3 or gms4", for messages and --help. */
const char          *grp_proto_names (void);

GrpProto  *grp_proto_new (const GrpProtoClass     *klass,
                          const GrpCoreConfig     *config,
                          const GrpMember         *self,
                          const GrpProtoCallbacks *callbacks,
                          gpointer                 user_data);
void       grp_proto_free (GrpProto *proto);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GrpProto, grp_proto_free)

const char *grp_proto_get_name (GrpProto *proto);
GrpId       grp_proto_get_id (GrpProto *proto);

void       grp_proto_create (GrpProto *proto, gint64 now);
void       grp_proto_join (GrpProto *proto, GrpId contact, const char *contact_addr, gint64 now);
void       grp_proto_leave (GrpProto *proto, gint64 now);
guint64    grp_proto_multicast (GrpProto *proto, GBytes *payload, gint64 now, GError **error);
void       grp_proto_receive (GrpProto *proto, GrpMsg *msg, gint64 now);
void       grp_proto_unreachable (GrpProto *proto, GrpId peer, gboolean confirmed, gint64 now);
void       grp_proto_tick (GrpProto *proto, gint64 now);
gboolean   grp_proto_flush (GrpProto *proto);
gboolean   grp_proto_has_batch (GrpProto *proto);

GrpStatus      grp_proto_get_status (GrpProto *proto);
const GrpView *grp_proto_get_view (GrpProto *proto);
gboolean       grp_proto_is_leader (GrpProto *proto);
guint64        grp_proto_get_delivered (GrpProto *proto);
gboolean       grp_proto_has_state (GrpProto *proto);
guint          grp_proto_get_pending (GrpProto *proto);
guint          grp_proto_get_window (GrpProto *proto);
char          *grp_proto_describe (GrpProto *proto);
gboolean       grp_proto_is_blocked (GrpProto *proto);
GrpDeparture   grp_proto_get_departure (GrpProto *proto, guint64 view_id, GrpId id);

/* The real protocol's core behind `proto`, or NULL for any other protocol:
 * for its own unit tests and the simulator's checks of its quorum rule. */
GrpCore   *grp_proto_get_core (GrpProto *proto);

G_END_DECLS
