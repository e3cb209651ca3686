/* grp-proto.c: the protocols by name, and the calls through the seam. */
#include "grp-proto.h"

#include "grp-proto-core.h"
#include "grp-stages.h"

static const GrpProtoClass *const protocols[] = {
  &grp_proto_core_class,
  &grp_gms1_class,
  &grp_gms2_class,
  &grp_gms3_class,
  &grp_gms4_class,
  NULL,
};

const GrpProtoClass *
grp_proto_find (const char *name)
{
  for (guint i = 0; name != NULL && protocols[i] != NULL; i++)
    if (g_str_equal (protocols[i]->name, name))
      return protocols[i];
  return NULL;
}

const GrpProtoClass *
grp_proto_default (void)
{
  return protocols[0];
}

const GrpProtoClass *const *
grp_proto_list (void)
{
  return protocols;
}

const char *
grp_proto_names (void)
{
  return "groupy, gms1, gms2, gms3 or gms4"; /* the list above, for people */
}

GrpProto *
grp_proto_new (const GrpProtoClass     *klass,
               const GrpCoreConfig     *config,
               const GrpMember         *self,
               const GrpProtoCallbacks *callbacks,
               gpointer                 user_data)
{
  GrpProto *proto;

  g_return_val_if_fail (klass != NULL && config != NULL && self != NULL && callbacks != NULL, NULL);
  g_return_val_if_fail (self->id != 0, NULL);
  proto = klass->new (config, self);
  proto->klass = klass;
  proto->id = self->id;
  proto->cb = *callbacks;
  proto->user_data = user_data;
  return proto;
}

void
grp_proto_free (GrpProto *proto)
{
  if (proto != NULL)
    proto->klass->free (proto);
}

const char *
grp_proto_get_name (GrpProto *proto)
{
  return proto->klass->name;
}

GrpId
grp_proto_get_id (GrpProto *proto)
{
  return proto->id;
}

void
grp_proto_create (GrpProto *proto, gint64 now)
{
  proto->klass->create (proto, now);
}

void
grp_proto_join (GrpProto *proto, GrpId contact, const char *contact_addr, gint64 now)
{
  proto->klass->join (proto, contact, contact_addr, now);
}

void
grp_proto_leave (GrpProto *proto, gint64 now)
{
  proto->klass->leave (proto, now);
}

guint64
grp_proto_multicast (GrpProto *proto, GBytes *payload, gint64 now, GError **error)
{
  return proto->klass->multicast (proto, payload, now, error);
}

void
grp_proto_receive (GrpProto *proto, GrpMsg *msg, gint64 now)
{
  proto->klass->receive (proto, msg, now);
}

void
grp_proto_unreachable (GrpProto *proto, GrpId peer, gboolean confirmed, gint64 now)
{
  proto->klass->unreachable (proto, peer, confirmed, now);
}

void
grp_proto_tick (GrpProto *proto, gint64 now)
{
  proto->klass->tick (proto, now);
}

gboolean
grp_proto_flush (GrpProto *proto)
{
  return proto->klass->flush (proto);
}

gboolean
grp_proto_is_blocked (GrpProto *proto)
{
  return proto->klass->is_blocked != NULL && proto->klass->is_blocked (proto);
}

GrpDeparture
grp_proto_get_departure (GrpProto *proto,
                         guint64   view_id,
                         GrpId     id)
{
  if (proto->klass->get_departure == NULL)
    return GRP_DEPARTURE_UNKNOWN;
  return proto->klass->get_departure (proto, view_id, id);
}

gboolean
grp_proto_has_batch (GrpProto *proto)
{
  return proto->klass->has_batch (proto);
}

GrpStatus
grp_proto_get_status (GrpProto *proto)
{
  return proto->klass->get_status (proto);
}

const GrpView *
grp_proto_get_view (GrpProto *proto)
{
  return proto->klass->get_view (proto);
}

gboolean
grp_proto_is_leader (GrpProto *proto)
{
  return proto->klass->is_leader (proto);
}

guint64
grp_proto_get_delivered (GrpProto *proto)
{
  return proto->klass->get_delivered (proto);
}

gboolean
grp_proto_has_state (GrpProto *proto)
{
  return proto->klass->has_state (proto);
}

guint
grp_proto_get_pending (GrpProto *proto)
{
  return proto->klass->get_pending (proto);
}

guint
grp_proto_get_window (GrpProto *proto)
{
  return proto->klass->get_window (proto);
}

char *
grp_proto_describe (GrpProto *proto)
{
  return proto->klass->describe (proto);
}
