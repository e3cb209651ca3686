/* grp-proto-core.c: the real protocol (src/core) behind the seam.
 *
 * A thin adapter: every call goes straight to the core, every callback of
 * the core straight to the driver's.  The core knows nothing of it. */
#include "grp-proto-core.h"

typedef struct {
  GrpProto parent;
  GrpCore *core;
} CoreProto;

#define CORE(p) (((CoreProto *) (p))->core)

static void
cb_send (GrpCore *core, GrpId to, const char *addr, GrpMsg *msg, gpointer data)
{
  GrpProto *p = data;

  p->cb.send (p, to, addr, msg, p->user_data);
}

static void
cb_deliver (GrpCore *core, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload,
            gpointer data)
{
  GrpProto *p = data;

  p->cb.deliver (p, seq, origin, ctr, payload, p->user_data);
}

static void
cb_view (GrpCore *core, GrpView *view, gpointer data)
{
  GrpProto *p = data;

  p->cb.view (p, view, p->user_data);
}

static GBytes *
cb_get_state (GrpCore *core, gpointer data)
{
  GrpProto *p = data;

  return p->cb.get_state (p, p->user_data);
}

static void
cb_set_state (GrpCore *core, guint64 seq, GBytes *state, gpointer data)
{
  GrpProto *p = data;

  p->cb.set_state (p, seq, state, p->user_data);
}

static void
cb_status (GrpCore *core, GrpStatus status, const GError *error, gpointer data)
{
  GrpProto *p = data;

  if (p->cb.status != NULL)
    p->cb.status (p, status, error, p->user_data);
}

static const GrpCoreCallbacks callbacks = {
  cb_send, cb_deliver, cb_view, cb_get_state, cb_set_state, cb_status,
};

static GrpProto *
core_new (const GrpCoreConfig *config, const GrpMember *self)
{
  CoreProto *p = g_new0 (CoreProto, 1);

  p->core = grp_core_new (config, self, &callbacks, p);
  return &p->parent;
}

static void
core_free (GrpProto *p)
{
  grp_core_free (CORE (p));
  g_free (p);
}

static void
core_create (GrpProto *p, gint64 now)
{
  grp_core_create (CORE (p), now);
}

static void
core_join (GrpProto *p, GrpId contact, const char *contact_addr, gint64 now)
{
  grp_core_join (CORE (p), contact, contact_addr, now);
}

static void
core_leave (GrpProto *p, gint64 now)
{
  grp_core_leave (CORE (p), now);
}

static guint64
core_multicast (GrpProto *p, GBytes *payload, gint64 now, GError **error)
{
  return grp_core_multicast (CORE (p), payload, now, error);
}

static void
core_receive (GrpProto *p, GrpMsg *msg, gint64 now)
{
  grp_core_receive (CORE (p), msg, now);
}

static void
core_unreachable (GrpProto *p, GrpId peer, gboolean confirmed, gint64 now)
{
  grp_core_unreachable (CORE (p), peer, confirmed, now);
}

static void
core_tick (GrpProto *p, gint64 now)
{
  grp_core_tick (CORE (p), now);
}

static gboolean
core_flush (GrpProto *p)
{
  return grp_core_flush (CORE (p));
}

static gboolean
core_is_blocked (GrpProto *p)
{
  return grp_core_is_blocked (CORE (p));
}

static GrpDeparture
core_get_departure (GrpProto *p, guint64 view_id, GrpId id)
{
  return grp_core_get_departure (CORE (p), view_id, id);
}

static gboolean
core_has_batch (GrpProto *p)
{
  return grp_core_has_batch (CORE (p));
}

static GrpStatus
core_get_status (GrpProto *p)
{
  return grp_core_get_status (CORE (p));
}

static const GrpView *
core_get_view (GrpProto *p)
{
  return grp_core_get_view (CORE (p));
}

static gboolean
core_is_leader (GrpProto *p)
{
  return grp_core_is_leader (CORE (p));
}

static guint64
core_get_delivered (GrpProto *p)
{
  return grp_core_get_delivered (CORE (p));
}

static gboolean
core_has_state (GrpProto *p)
{
  return grp_core_has_state (CORE (p));
}

static guint
core_get_pending (GrpProto *p)
{
  return grp_core_get_pending (CORE (p));
}

static guint
core_get_window (GrpProto *p)
{
  return grp_core_get_window (CORE (p));
}

static char *
core_describe (GrpProto *p)
{
  return grp_core_describe (CORE (p));
}

const GrpProtoClass grp_proto_core_class = {
  .name = "groupy",
  .summary = "the real protocol: total order through crashes, loss and partitions",
  .safe_delivery = TRUE,
  .new = core_new,
  .free = core_free,
  .create = core_create,
  .join = core_join,
  .leave = core_leave,
  .multicast = core_multicast,
  .receive = core_receive,
  .unreachable = core_unreachable,
  .tick = core_tick,
  .flush = core_flush,
  .has_batch = core_has_batch,
  .is_blocked = core_is_blocked,
  .get_departure = core_get_departure,
  .get_status = core_get_status,
  .get_view = core_get_view,
  .is_leader = core_is_leader,
  .get_delivered = core_get_delivered,
  .has_state = core_has_state,
  .get_pending = core_get_pending,
  .get_window = core_get_window,
  .describe = core_describe,
};

GrpCore *
grp_proto_get_core (GrpProto *proto)
{
  g_return_val_if_fail (proto != NULL, NULL);

  return proto->klass == &grp_proto_core_class ? CORE (proto) : NULL;
}
