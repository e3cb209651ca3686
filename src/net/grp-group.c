/* grp-group.c: a protocol (grp-proto.h) + transport + clock on the GLib main
 * loop. */
#include "grp-group-private.h"

#include "grp-codec.h"
#include "grp-proto.h"
#include "grp-enum-types.h"
#include "grp-marshal.h"
#include "grp-transport.h"

#include <unistd.h>

struct _GrpGroup {
  GObject parent_instance;

  char *name;
  GrpCoreConfig cfg;
  GrpTransport *transport;
  GrpSecurity *security;      /* NULL: plaintext */
  const GrpProtoClass *protocol;
  GrpProto *proto;
  guint tick_id;
  GHashTable *names;          /* GrpId -> member name, for the last view's members */
  GrpId name_cache_id;        /* the last lookup in names (whose entries never change) */
  const char *name_cache;
  GPtrArray *retired_names;   /* names of members gone during a call, freed after it */
  GPtrArray *contacts;        /* addresses of the last view's members */
  GArray *view_ids;           /* the ids of this incarnation's last view */
  GPtrArray *view_names;      /* and their names; empty before its first view */
  GHashTable *departures;     /* name -> why it left at the last view (GrpGroupDeparture) */
  guint proto_calls;          /* calls into the protocol under way (proto_enter) */
  GPtrArray *retired;         /* GrpProto*: replaced during such a call, freed after it */
  GrpGetStateFunc get_state;
  gpointer get_state_data;
  GDestroyNotify get_state_destroy;
  GrpSetStateFunc set_state;
  gpointer set_state_data;
  GDestroyNotify set_state_destroy;
  GrpDeliveredFunc delivered_func;
  gpointer delivered_data;
  GDestroyNotify delivered_destroy;
  gboolean emit_delivered;    /* "delivered" has handlers (or no func is set) */
  GTask *join_task;
  GSource *join_cancel_source; /* the caller's cancellable, on our context */
  guint join_attempt;         /* counts probes, so a stale answer is ignored */
  guint probe_timeout_id;
  char *join_contact;         /* a first join's contact, probed again after a transient failure */
  guint probe_retry_id;       /* that probe, a moment from now */
  gboolean contact_seen;      /* it accepted a connection of this join's once */
  char *probe_error;          /* why its last probe failed (transient), or NULL */
  GTask *leave_task;
  GSource *leave_cancel_source;
  guint leave_timeout_id;
  gboolean rejoining;
  guint contact_index;
  GrpRole role;
  guint64 last_seq;
  guint undelivered;          /* own multicasts undelivered when a leave ran out its bound */
  gboolean last_seq_dirty;    /* notify::last-seq once per main-loop turn */
  gboolean blocked;           /* grp_proto_is_blocked, as last notified */
  GCancellable *cancel;
  GMainContext *context;      /* the thread-default context where it was made */
  guint rejoin_id;
};

G_DEFINE_FINAL_TYPE (GrpGroup, grp_group, G_TYPE_OBJECT)

/**
 * grp_group_error_quark:
 *
 * Gets the error domain of libgroupy, %GRP_GROUP_ERROR.
 *
 * Returns: the domain's quark
 */
G_DEFINE_QUARK (grp-group-error-quark, grp_group_error)

enum {
  PROP_0,
  PROP_NAME,
  PROP_ROLE,
  PROP_VIEW_ID,
  PROP_LAST_SEQ,
  PROP_BLOCKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_DELIVERED,
  SIGNAL_VIEW_CHANGED,
  SIGNAL_EXCLUDED,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_rejoin (GrpGroup *self);
static void end_incarnation (GrpGroup *self);

/**
 * grp_role_to_string:
 * @role: a role
 *
 * Names @role in one lower-case word, for logs and user interfaces:
 * "none", "joining", "rejoining", "member", "leader", "alone", "left",
 * "failed".
 *
 * Returns: the name, or "?" for a value that is not a role
 */
const char *
grp_role_to_string (GrpRole role)
{
  static const char *const names[] = {
    "none", "joining", "rejoining", "member", "leader", "alone", "left", "failed",
  };

  return role <= GRP_ROLE_FAILED ? names[role] : "?";
}

/* The protocol's and the transport's errors in the public domain; the message
 * stays as written where the error arose.  `io_code` is what a GIO error
 * other than cancellation means in the caller's context. */
static GError *
public_error (const GError *error, GrpGroupError io_code)
{
  GrpGroupError code = io_code;

  if (error->domain == GRP_GROUP_ERROR || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (error->domain == GRP_CORE_ERROR)
    switch ((GrpCoreError) error->code)
      {
      case GRP_CORE_ERROR_NAME_TAKEN:
        code = GRP_GROUP_ERROR_NAME_TAKEN;
        break;
      case GRP_CORE_ERROR_JOIN_TIMEOUT:
        code = GRP_GROUP_ERROR_JOIN_TIMEOUT;
        break;
      case GRP_CORE_ERROR_NOT_MEMBER:
        code = GRP_GROUP_ERROR_NOT_MEMBER;
        break;
      case GRP_CORE_ERROR_BUSY:
        code = GRP_GROUP_ERROR_BUSY;
        break;
      }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    code = GRP_GROUP_ERROR_INVALID_ADDRESS;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    code = GRP_GROUP_ERROR_ADDRESS_IN_USE;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    code = GRP_GROUP_ERROR_INSECURE;
  else if (g_error_matches (error, GRP_TRANSPORT_ERROR, GRP_TRANSPORT_ERROR_PROTOCOL))
    code = GRP_GROUP_ERROR_PROTOCOL;
  else if (g_error_matches (error, GRP_TRANSPORT_ERROR, GRP_TRANSPORT_ERROR_ADDRESS))
    code = GRP_GROUP_ERROR_INVALID_ADDRESS;
  else if (error->domain == GRP_SECURITY_ERROR)
    code = GRP_GROUP_ERROR_SECRET; /* the contact does not hold our secret, say */
  return g_error_new_literal (GRP_GROUP_ERROR, code, error->message);
}

static void
propagate_public (GError **dest, GError *error, GrpGroupError io_code)
{
  g_propagate_error (dest, public_error (error, io_code));
  g_error_free (error);
}

static GrpId
new_id (void)
{
  GrpId id;

  do
    id = ((guint64) g_random_int () << 32) | g_random_int ();
  while (id == 0);
  return id;
}

/* Sources on the member's own main context (the thread-default one of the
 * thread that made it), never the global default. */
static guint
add_timeout (GrpGroup *self, guint ms, GSourceFunc func)
{
  return grp_source_add (self->context, g_timeout_source_new (ms), G_PRIORITY_DEFAULT, func, self,
                         NULL);
}

static GrpProto *proto_enter (GrpGroup *self);
static void proto_leave (GrpGroup *self);

static guint
add_idle (GrpGroup *self, GSourceFunc func)
{
  return grp_source_add (self->context, g_idle_source_new (), G_PRIORITY_DEFAULT, func, self, NULL);
}

static void
set_role (GrpGroup *self, GrpRole role)
{
  if (role == self->role)
    return;
  self->role = role;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
}

static void
update_role (GrpGroup *self)
{
  GrpRole role = GRP_ROLE_NONE;
  const GrpView *view;

  if (self->proto != NULL)
    switch (grp_proto_get_status (self->proto))
      {
      case GRP_STATUS_IDLE:
        /* A join's new incarnation before its contact answered */
        role = self->rejoining ? GRP_ROLE_REJOINING
               : self->join_task != NULL ? GRP_ROLE_JOINING
               : GRP_ROLE_NONE;
        break;
      case GRP_STATUS_JOINING:
        role = self->rejoining ? GRP_ROLE_REJOINING : GRP_ROLE_JOINING;
        break;
      case GRP_STATUS_MEMBER:
        /* A member before its first view (a group just created says so
         * first): its role comes with the view. */
        view = grp_proto_get_view (self->proto);
        if (view == NULL)
          return;
        if (!grp_proto_is_leader (self->proto))
          role = GRP_ROLE_MEMBER;
        else if (view->n_members == 1)
          role = GRP_ROLE_ALONE;
        else
          role = GRP_ROLE_LEADER;
        break;
      case GRP_STATUS_LEFT:
        role = GRP_ROLE_LEFT;
        break;
      case GRP_STATUS_EXCLUDED:
        role = GRP_ROLE_REJOINING;
        break;
      case GRP_STATUS_FAILED:
        /* A rejoin that failed through one contact goes on with the next
         * (cb_status); fail() ends it, or a join, and says "failed" then,
         * once the join is over: a handler may create or join again. */
        role = self->rejoining ? GRP_ROLE_REJOINING
               : self->join_task != NULL ? GRP_ROLE_JOINING
               : GRP_ROLE_FAILED;
        break;
      }
  set_role (self, role);
}

/* The core has no callback for it: it is read after every call into the
 * core, which is when it can change.  A member left out is told so
 * ("excluded") before it waits no more when it learns both in one call; a
 * member back from a freeze hears the others (it waits no more), then
 * learns that they went on without it. */
static void
update_blocked (GrpGroup *self)
{
  gboolean blocked = self->proto != NULL && grp_proto_is_blocked (self->proto);

  if (blocked == self->blocked)
    return;
  self->blocked = blocked;
  g_debug ("%s: %s", self->name, blocked ? "no quorum: waiting" : "no longer waiting for a quorum");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BLOCKED]);
}

static const char *
name_of (GrpGroup *self, GrpId id)
{
  const char *name;

  if (self->name_cache != NULL && self->name_cache_id == id)
    return self->name_cache; /* runs of one sender are common */
  name = g_hash_table_lookup (self->names, &id);
  self->name_cache_id = id;
  self->name_cache = name;
  return name ? name : "?";
}

/* ---- joins and failures ----------------------------------------------- */

static void
clear_join (GrpGroup *self)
{
  self->join_attempt++; /* an answer to a probe under way is stale now */
  grp_source_clear (self->context, &self->probe_timeout_id);
  grp_source_clear (self->context, &self->probe_retry_id);
  g_clear_pointer (&self->join_contact, g_free);
  g_clear_pointer (&self->probe_error, g_free);
  self->contact_seen = FALSE;
  if (self->join_cancel_source != NULL)
    g_source_destroy (self->join_cancel_source);
  g_clear_pointer (&self->join_cancel_source, g_source_unref);
}

/* Returns a join's task (NULL if none): TRUE on success, else `error`.
 * GTask calls back at once when this main-loop turn is not the one that
 * made it, else from an idle: either way, this is the last thing said
 * about the join, after the member has settled. */
static void
return_join (GTask *task, const GError *error)
{
  if (task == NULL)
    return;
  if (error)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* The join under way ends: TRUE on success, else with `error`. */
static void
complete_join (GrpGroup *self, const GError *error)
{
  GTask *task = g_steal_pointer (&self->join_task);

  clear_join (self);
  return_join (task, error);
}

/* Out of the group for good: the join, or a rejoin, failed.  The member
 * settles and says so (notify::role, "failed") before the join's callback
 * runs, last: the callback sees the role "failed", and whatever it does
 * (drop the member, create a group, join again) is not followed by news of
 * the incarnation that failed.  The join is over before any handler runs,
 * so a handler may create or join again too: a rejoin that failed is over
 * as well, and such a join is a join (role "joining", its own errors), not
 * the rejoin again.  The task holds the member until the callback has
 * returned. */
static void
fail (GrpGroup *self, const GError *error)
{
  GTask *task = g_steal_pointer (&self->join_task);
  GRP_HOLD (self);

  clear_join (self);
  self->rejoining = FALSE;
  grp_source_clear (self->context, &self->rejoin_id);
  /* The incarnation ends with it, as a stopped join's and a leave's that
   * ran out its bound do: a contact that admitted it (its state never came,
   * say) sees it gone at once.  Left alive and silent, it was only
   * suspected, and a contact left with it in a view of two had no quorum
   * without it, and waited for good. */
  end_incarnation (self);
  set_role (self, GRP_ROLE_FAILED);
  update_blocked (self);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
  return_join (task, error);
}

static gboolean
return_left (gpointer data)
{
  g_task_return_boolean (data, TRUE);
  return G_SOURCE_REMOVE;
}

/* The leave under way ends: TRUE, else with `error`.  Its callback runs at
 * once (GTask's rule) or, `later`, from an idle of the member's context. */
static void
complete_leave_full (GrpGroup *self, const GError *error, gboolean later)
{
  GTask *task = g_steal_pointer (&self->leave_task);

  grp_source_clear (self->context, &self->leave_timeout_id);
  if (self->leave_cancel_source != NULL)
    g_source_destroy (self->leave_cancel_source);
  g_clear_pointer (&self->leave_cancel_source, g_source_unref);
  if (task == NULL)
    return;
  if (self->proto != NULL)
    {
      grp_proto_flush (proto_enter (self));
      proto_leave (self);
    }
  grp_transport_flush_sync (self->transport);
  if (later && error == NULL)
    grp_source_add (self->context, g_idle_source_new (), G_PRIORITY_DEFAULT, return_left, task,
                    g_object_unref);
  else
    {
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

static void
complete_leave (GrpGroup *self, const GError *error)
{
  complete_leave_full (self, error, FALSE);
}

/* Whether the member may start a new incarnation (create, join): it is in
 * no group, its join failed, or it left (cleanly, or after its leave ran
 * out its bound: the same to a program). */
static gboolean
may_start (GrpGroup *self)
{
  return self->join_task == NULL &&
         (self->proto == NULL || self->role == GRP_ROLE_FAILED || self->role == GRP_ROLE_LEFT);
}

/* A new incarnation begins from a handler of notify::role "left", inside
 * the leave that got there: that leave is over first.  Its callback runs
 * after the create or join has begun, not inside it: whatever it does
 * (join, create) comes after, where, called at once, it began an
 * incarnation that the create or join then replaced under it (a join's
 * task left to the created group's protocol, which said it succeeded). */
static void
finish_left (GrpGroup *self)
{
  if (self->role == GRP_ROLE_LEFT && self->leave_task != NULL)
    complete_leave_full (self, NULL, TRUE);
}

/* A GCancellable as a source of our own main context: its callback runs
 * here, whatever thread cancels. */
static GSource *
watch_cancellable (GrpGroup *self, GCancellable *cancellable, GCancellableSourceFunc func)
{
  GSource *source = g_cancellable_source_new (cancellable);

  g_source_set_callback (source, G_SOURCE_FUNC (func), self, NULL);
  g_source_attach (source, self->context);
  return source;
}

/* ---- protocol callbacks ------------------------------------------------- */

static void
cb_send (GrpProto *proto, GrpId to, const char *addr, GrpMsg *msg, gpointer data)
{
  GrpGroup *self = data;

  if (proto != self->proto)
    return; /* retired (see retire_proto): this incarnation has ended */
  grp_transport_send (self->transport, to, addr, msg);
}

static void
cb_deliver (GrpProto *proto, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload,
            gpointer data)
{
  GrpGroup *self = data;
  const char *from;

  if (proto != self->proto)
    return;
  from = name_of (self, origin);
  self->last_seq = seq;
  if (self->delivered_func != NULL)
    {
      self->delivered_func (self, seq, from, ctr, payload, self->delivered_data);
      /* It ended this incarnation (left, and created or joined anew): the
       * delivery belongs to a group the member is no longer in. */
      if (proto != self->proto)
        return;
    }
  if (self->emit_delivered)
    g_signal_emit (self, signals[SIGNAL_DELIVERED], 0, seq, from, ctr, payload);
  if (!self->last_seq_dirty)
    {
      self->last_seq_dirty = TRUE;
      grp_transport_schedule_flush (self->transport); /* ends the turn: on_turn_end */
    }
}

static gboolean
ids_contain (GArray *ids, GrpId id)
{
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, GrpId, i) == id)
      return TRUE;
  return FALSE;
}

static GrpGroupDeparture
public_departure (GrpDeparture why)
{
  switch (why)
    {
    case GRP_DEPARTURE_LEFT:
      return GRP_GROUP_DEPARTURE_LEFT;
    case GRP_DEPARTURE_CRASHED:
      return GRP_GROUP_DEPARTURE_CRASHED;
    case GRP_DEPARTURE_SILENT:
      return GRP_GROUP_DEPARTURE_SILENT;
    case GRP_DEPARTURE_SLOW:
      return GRP_GROUP_DEPARTURE_SLOW;
    case GRP_DEPARTURE_LEFT_OUT:
      return GRP_GROUP_DEPARTURE_LEFT_OUT;
    case GRP_DEPARTURE_UNKNOWN:
    default:
      return GRP_GROUP_DEPARTURE_UNKNOWN;
    }
}

/**
 * grp_group_get_departure:
 * @self: a member
 * @name: the name of a member that is not in the view any more
 *
 * Why @name went at the latest view change this member installed, as far
 * as this member knew then: call it from a handler of
 * [signal@Groupy.Group::view-changed] for the names in its `left`, or until
 * the next view change.  A member that crashed and is back under its name
 * both left and joined.
 *
 * Returns: why it went, or %GRP_GROUP_DEPARTURE_UNKNOWN if @name did not go
 *   then or this member knew nothing of why
 */
GrpGroupDeparture
grp_group_get_departure (GrpGroup   *self,
                         const char *name)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), GRP_GROUP_DEPARTURE_UNKNOWN);
  g_return_val_if_fail (name != NULL, GRP_GROUP_DEPARTURE_UNKNOWN);

  return GPOINTER_TO_INT (g_hash_table_lookup (self->departures, name));
}

const char *
grp_group_get_departure_nick (GrpGroup   *self,
                              const char *name)
{
  GrpGroupDeparture why = grp_group_get_departure (self, name);
  GEnumClass *klass;
  GEnumValue *value;

  if (why == GRP_GROUP_DEPARTURE_UNKNOWN)
    return NULL;
  klass = g_type_class_ref (GRP_TYPE_GROUP_DEPARTURE);
  value = g_enum_get_value (klass, why);
  g_type_class_unref (klass); /* static: the class stays */
  return value != NULL ? value->value_nick : NULL;
}

guint
grp_group_get_n_known_names (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), 0);

  return g_hash_table_size (self->names) + self->retired_names->len;
}

/* Who joined and who left since this incarnation's previous view (as
 * libcpg's configuration change tells).  Compared by incarnation, so a
 * member that rejoined under its name both left and joined.  In the first
 * view, the members admitted with this one joined. */
static void
view_diff (GrpGroup *self, const GrpView *view, GStrv *joined, GStrv *left)
{
  g_autoptr(GStrvBuilder) in = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) out = g_strv_builder_new ();
  gboolean first = self->view_ids->len == 0;
  GrpId me = grp_proto_get_id (self->proto);

  for (guint i = 0; i < view->n_members; i++)
    {
      const GrpMember *m = &view->members[i];

      if (first ? m->id == me || view->needs_state[i] : !ids_contain (self->view_ids, m->id))
        g_strv_builder_add (in, m->name);
    }
  g_hash_table_remove_all (self->departures);
  for (guint i = 0; i < self->view_ids->len; i++)
    {
      GrpId id = g_array_index (self->view_ids, GrpId, i);
      const char *name = g_ptr_array_index (self->view_names, i);
      GrpDeparture departure;
      GrpGroupDeparture why;

      if (grp_view_contains (view, id))
        continue;
      departure = grp_proto_get_departure (self->proto, view->id, id);
      /* The core knew no more than "left out" or "silent" when the view
       * came (a leader's decision can come before the departed member's
       * end of stream is read): its connection ended without a goodbye. */
      if ((departure == GRP_DEPARTURE_LEFT_OUT || departure == GRP_DEPARTURE_SILENT) &&
          grp_transport_hung_up (self->transport, id))
        departure = GRP_DEPARTURE_CRASHED;
      why = public_departure (departure);
      g_strv_builder_add (out, name);
      if (why != GRP_GROUP_DEPARTURE_UNKNOWN)
        g_hash_table_replace (self->departures, g_strdup (name), GINT_TO_POINTER (why));
    }
  g_array_set_size (self->view_ids, 0);
  g_ptr_array_set_size (self->view_names, 0);
  for (guint i = 0; i < view->n_members; i++)
    {
      g_array_append_val (self->view_ids, view->members[i].id);
      g_ptr_array_add (self->view_names, g_strdup (view->members[i].name));
    }
  grp_transport_set_view (self->transport, (const GrpId *) self->view_ids->data,
                          self->view_ids->len);
  *joined = g_strv_builder_end (in);
  *left = g_strv_builder_end (out);
}

/* The names of members in neither `view` nor the one before it go (a
 * member that churns through joins would otherwise grow the table by one
 * name a join).  The real protocol delivers nothing of a member after the
 * view it left; the exercise's stages may (their leader sequences what
 * anyone sends), so a member's name outlives its last view by one.  A
 * delivery under way (a handler's nested main loop got here) may point to a
 * name: it goes once the outermost call into the protocol has returned
 * (proto_leave).  Called before view_diff replaces view_ids. */
static void
forget_names (GrpGroup *self, const GrpView *view)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (self->names) == view->n_members)
    return; /* every name in it is a member's: cb_view added theirs */
  g_hash_table_iter_init (&iter, self->names);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GrpId id = *(const GrpId *) key;

      if (grp_view_contains (view, id) || ids_contain (self->view_ids, id))
        continue;
      g_hash_table_iter_steal (&iter);
      g_free (key);
      if (self->proto_calls > 0)
        g_ptr_array_add (self->retired_names, value);
      else
        g_free (value);
    }
  self->name_cache = NULL;
}

static void
cb_view (GrpProto *proto, GrpView *view, gpointer data)
{
  GrpGroup *self = data;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) joined = NULL;
  g_auto(GStrv) left = NULL;

  if (proto != self->proto)
    return;
  g_ptr_array_set_size (self->contacts, 0);
  for (guint i = 0; i < view->n_members; i++)
    {
      const GrpMember *m = &view->members[i];

      /* An id's name never changes: an entry already there stays, as a
       * delivery under way (a handler's nested main loop got here) may
       * point to its string. */
      if (!g_hash_table_contains (self->names, &m->id))
        g_hash_table_insert (self->names, g_memdup2 (&m->id, sizeof m->id), g_strdup (m->name));
      g_strv_builder_add (builder, m->name);
      if (m->id != grp_proto_get_id (self->proto) && m->addr != NULL)
        g_ptr_array_add (self->contacts, g_strdup (m->addr));
    }
  names = g_strv_builder_end (builder);
  forget_names (self, view);
  view_diff (self, view, &joined, &left);
  self->last_seq = view->seq;
  self->last_seq_dirty = FALSE;
  update_role (self);
  if (proto != self->proto)
    return; /* a notify::role handler ended this incarnation */
  g_signal_emit (self, signals[SIGNAL_VIEW_CHANGED], 0, view->id, view->seq, names, joined, left);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
}

static GBytes *
cb_get_state (GrpProto *proto, gpointer data)
{
  GrpGroup *self = data;
  GBytes *state = NULL;

  if (proto != self->proto)
    return g_bytes_new (NULL, 0);
  if (self->get_state != NULL)
    state = self->get_state (self, self->get_state_data);
  /* Like a multicast, a state must fit in a frame: a larger one would never
   * reach the newcomer, whose join then times out.  The application's
   * mistake, said where it can be seen. */
  if (state != NULL && g_bytes_get_size (state) > GRP_PAYLOAD_MAX)
    g_critical ("The application state is %" G_GSIZE_FORMAT " bytes: at most %u can be sent to a "
                "newcomer (its join will time out)", g_bytes_get_size (state), GRP_PAYLOAD_MAX);
  return state != NULL ? state : g_bytes_new (NULL, 0);
}

static void
cb_set_state (GrpProto *proto, guint64 seq, GBytes *state, gpointer data)
{
  GrpGroup *self = data;

  if (proto != self->proto)
    return;
  if (self->set_state != NULL)
    self->set_state (self, seq, state, self->set_state_data);
}

static gboolean
rejoin_idle (gpointer data)
{
  GrpGroup *self = data;
  GRP_HOLD (self);

  self->rejoin_id = 0;
  start_rejoin (self);
  return G_SOURCE_REMOVE;
}

static void
cb_status (GrpProto *proto, GrpStatus status, const GError *error, gpointer data)
{
  GrpGroup *self = data;

  if (proto != self->proto)
    return;
  update_role (self);
  if (proto != self->proto)
    return; /* a notify::role handler ended this incarnation (it left, say) */
  switch (status)
    {
    case GRP_STATUS_MEMBER:
      self->rejoining = FALSE;
      update_role (self);
      complete_join (self, NULL);
      break;
    case GRP_STATUS_FAILED:
      if (self->rejoining && self->contact_index < self->contacts->len)
        {
          /* That contact could not admit us: try the next one. */
          if (self->rejoin_id == 0)
            self->rejoin_id = add_idle (self, rejoin_idle);
          break;
        }
      if (self->rejoining)
        {
          g_autoptr(GError) e = g_error_new (GRP_GROUP_ERROR, GRP_GROUP_ERROR_REJOIN_FAILED,
                                             "Left out of the group, and no member admitted us "
                                             "again: %s", error->message);

          fail (self, e);
        }
      else
        {
          g_autoptr(GError) e = public_error (error, GRP_GROUP_ERROR_UNREACHABLE);

          fail (self, e);
        }
      break;
    case GRP_STATUS_EXCLUDED:
      g_message ("%s: the group went on without us (stopped or cut off too long); rejoining",
                 self->name);
      /* The rejoin is under way before a handler hears of it: a leave
       * that the handler asks for stops it. */
      self->rejoining = TRUE;
      self->contact_index = 0;
      if (self->rejoin_id == 0) /* not from inside the protocol's call */
        self->rejoin_id = add_idle (self, rejoin_idle);
      g_signal_emit (self, signals[SIGNAL_EXCLUDED], 0);
      break;
    case GRP_STATUS_LEFT:
      complete_leave (self, NULL);
      break;
    default:
      break;
    }
}

static const GrpProtoCallbacks callbacks = {
  cb_send, cb_deliver, cb_view, cb_get_state, cb_set_state, cb_status,
};

/* ---- transport and clock --------------------------------------------- */

/* Before each call into the protocol (the caller holds the member):
 * whether its deliveries are signalled (looked up once per call, not once
 * per message), and one more call under way. */
static GrpProto *
proto_enter (GrpGroup *self)
{
  self->emit_delivered = self->delivered_func == NULL ||
                         g_signal_has_handler_pending (self, signals[SIGNAL_DELIVERED], 0, TRUE);
  self->proto_calls++;
  return self->proto;
}

/* After each call into the protocol.  It gathers sequenced entries and
 * requests (config.batch) and sends them when the main-loop turn ends, so a
 * turn's input leaves in one SEQ per member, or one REQ; and it may have
 * begun or ended a wait for a quorum.  A protocol that an application's
 * handler replaced meanwhile (it created or joined again) goes once the
 * outermost call has returned. */
static void
proto_leave (GrpGroup *self)
{
  if (self->proto != NULL && grp_proto_has_batch (self->proto))
    grp_transport_schedule_flush (self->transport);
  update_blocked (self);
  if (--self->proto_calls == 0)
    {
      g_ptr_array_set_size (self->retired, 0);
      g_ptr_array_set_size (self->retired_names, 0);
    }
}

/* This incarnation's protocol ends: now, or after the calls into it under
 * way (a handler called from inside it may start another).  What a retired
 * protocol still says on its way out (cb_*) is ignored: it speaks for an
 * incarnation that has ended. */
static void
retire_proto (GrpGroup *self)
{
  if (self->proto != NULL && self->proto_calls > 0)
    g_ptr_array_add (self->retired, g_steal_pointer (&self->proto));
  else
    g_clear_pointer (&self->proto, grp_proto_free);
}

/* This incarnation ends: its protocol goes, and the transport takes a new
 * id, ending the old one's connections with a BYE, so that peers see it
 * gone rather than alive and silent. */
static void
end_incarnation (GrpGroup *self)
{
  retire_proto (self);
  grp_transport_set_self (self->transport, new_id (), self->name);
}

static void
on_turn_end (gpointer data)
{
  GrpGroup *self = data;
  GRP_HOLD (self);

  if (self->proto != NULL)
    {
      grp_proto_flush (proto_enter (self));
      proto_leave (self);
    }
  if (self->last_seq_dirty)
    {
      self->last_seq_dirty = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
    }
}

static void
on_message (GrpMsg *msg, gpointer data)
{
  GrpGroup *self = data;
  GRP_HOLD (self);

  if (self->proto != NULL)
    {
      grp_proto_receive (proto_enter (self), msg, g_get_monotonic_time ());
      proto_leave (self);
    }
}

static void
on_peer_lost (GrpTransport *t, guint64 id, gboolean confirmed, gpointer data)
{
  GrpGroup *self = data;
  GRP_HOLD (self);

  if (self->proto != NULL)
    {
      grp_proto_unreachable (proto_enter (self), id, confirmed, g_get_monotonic_time ());
      proto_leave (self);
    }
}

static gboolean
on_tick (gpointer data)
{
  GrpGroup *self = data;
  GRP_HOLD (self);

  /* A member that left or failed has nothing more to time: it stops waking
   * (every few milliseconds) until a new incarnation starts the tick again. */
  if (self->proto == NULL || self->role == GRP_ROLE_LEFT || self->role == GRP_ROLE_FAILED)
    {
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  grp_proto_tick (proto_enter (self), g_get_monotonic_time ());
  proto_leave (self);
  return G_SOURCE_CONTINUE;
}

static void
new_proto (GrpGroup *self)
{
  GrpMember me = { new_id (), self->name, (char *) grp_transport_get_address (self->transport) };

  retire_proto (self);
  self->undelivered = 0; /* the last incarnation's, not this one's */
  g_array_set_size (self->view_ids, 0); /* a new incarnation: no previous view */
  grp_transport_set_view (self->transport, NULL, 0);
  g_ptr_array_set_size (self->view_names, 0);
  grp_transport_set_self (self->transport, me.id, me.name);
  self->proto = grp_proto_new (self->protocol, &self->cfg, &me, &callbacks, self);
  update_blocked (self);
  if (self->tick_id == 0)
    self->tick_id = add_timeout (self, MAX (self->cfg.heartbeat_interval / 4000, 5), on_tick);
}

/* ---- public ----------------------------------------------------------- */

/**
 * grp_group_new:
 * @name: the member's name, unique in its group: 1 to 64 characters of
 *   UTF-8 (255 bytes at most), none of them a control character (it is
 *   shown in views and logs)
 *
 * Makes a member that is in no group yet: set it up, listen
 * ([method@Groupy.Group.listen]), then create a group
 * ([method@Groupy.Group.create]) or join one
 * ([method@Groupy.Group.join_async]).  A name that is not as said above is
 * a programming error (checked here, rather than refused by the group at
 * the join).
 *
 * Returns: (transfer full): the new member
 */
GrpGroup *
grp_group_new (const char *name)
{
  g_return_val_if_fail (grp_codec_name_ok (name), NULL);

  return g_object_new (GRP_TYPE_GROUP, "name", name, NULL);
}

/**
 * grp_group_set_safe_delivery:
 * @self: a member not in a group: not started yet, or one that left or
 *   failed (as for grp_group_create())
 * @safe: %TRUE for safe (uniform) delivery
 *
 * Chooses when a message is delivered.  Agreed delivery (the default)
 * delivers it as soon as its position is known; safe delivery waits until
 * every member of the view holds it, so a member that crashes cannot have
 * delivered a message that the others never deliver.  It applies from the
 * next create or join.
 */
void
grp_group_set_safe_delivery (GrpGroup *self, gboolean safe)
{
  g_return_if_fail (GRP_IS_GROUP (self));
  g_return_if_fail (may_start (self));

  self->cfg.delivery = safe ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED;
}

gboolean
grp_group_set_protocol (GrpGroup *self, const char *name, GError **error)
{
  const GrpProtoClass *protocol;

  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);
  g_return_val_if_fail (self->proto == NULL, FALSE);
  g_return_val_if_fail (grp_transport_get_address (self->transport) == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  protocol = name != NULL ? grp_proto_find (name) : grp_proto_default ();
  if (protocol == NULL)
    {
      g_set_error (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_PROTOCOL,
                   "There is no protocol called \"%s\": the protocols are %s", name,
                   grp_proto_names ());
      return FALSE;
    }
  if (self->cfg.delivery == GRP_DELIVERY_SAFE && !protocol->safe_delivery)
    {
      g_set_error (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_PROTOCOL,
                   "%s has no safe delivery (only %s has)", protocol->name,
                   grp_proto_default ()->name);
      return FALSE;
    }
  self->protocol = protocol;
  grp_transport_set_protocol (self->transport, protocol->name);
  return TRUE;
}

const char *
grp_group_get_protocol (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), NULL);

  return self->protocol->name;
}

/* The failure-detection times, for the protocol and the HELLO. */
#define JOIN_TIMEOUT_MIN_US (8 * G_USEC_PER_SEC)

/* From the suspicion timeout alone: raising it only, as this did, kept a
 * long one after the times were shortened (a leave with nobody to stay
 * waits for half of it).  Never under the default times' 8 s. */
static gint64
join_timeout_us (gint64 suspect_us)
{
  return MAX (JOIN_TIMEOUT_MIN_US, 4 * suspect_us);
}

/* A leave ends by then: the suspicion timeout, for a view without us, and
 * half the join timeout (docs/PROTOCOL.md, "Leaving"). */
static gint64
leave_timeout_us (gint64 suspect_us)
{
  return suspect_us + join_timeout_us (suspect_us) / 2;
}

guint64
grp_group_leave_timeout_ms (guint suspect_ms)
{
  return (guint64) leave_timeout_us ((gint64) suspect_ms * 1000) / 1000;
}

static void
apply_timing (GrpGroup *self, guint heartbeat_ms, guint suspect_ms)
{
  self->cfg.heartbeat_interval = (gint64) heartbeat_ms * 1000;
  self->cfg.suspect_timeout = (gint64) suspect_ms * 1000;
  self->cfg.retry_interval = MAX ((gint64) heartbeat_ms * 1000 / 2, 5000);
  self->cfg.join_timeout = join_timeout_us (self->cfg.suspect_timeout);
  grp_transport_set_timing (self->transport, heartbeat_ms, suspect_ms);
}

/**
 * grp_group_set_timing:
 * @self: a member not in a group yet, one whose join failed (it may
 *   take the group's times, which the refusal gives, and join again), or
 *   one that left its group
 * @heartbeat_ms: interval between heartbeats, in milliseconds (default 100)
 * @suspect_ms: silence after which a member is suspected, in milliseconds
 *   (default 2000); more than @heartbeat_ms, at most a day
 *
 * Sets failure detection.  A killed process is noticed at once (its host
 * closes its connections); these times catch a member that is alive but
 * silent (stopped, hung, cut off).  Every member of a group must use the
 * same times: a member with other times is refused (its join fails with
 * %GRP_GROUP_ERROR_PROTOCOL, saying the group's), as it would suspect
 * members that are well, or be suspected.
 */
void
grp_group_set_timing (GrpGroup *self, guint heartbeat_ms, guint suspect_ms)
{
  g_return_if_fail (GRP_IS_GROUP (self));
  g_return_if_fail (may_start (self));
  g_return_if_fail (heartbeat_ms > 0 && suspect_ms > heartbeat_ms &&
                    suspect_ms <= GRP_HELLO_TIMING_MAX_MS);

  apply_timing (self, heartbeat_ms, suspect_ms);
  /* After a failed join: the next incarnation ticks at the new pace. */
  grp_source_clear (self->context, &self->tick_id);
}

/**
 * grp_group_set_get_state_func:
 * @self: a member
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy): the
 *   function that returns the application state, or %NULL for an empty one
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func is replaced or the
 *   member is finalized
 *
 * Sets how this member gives the application state to a newcomer that it
 * admits (see [callback@Groupy.GetStateFunc]).
 */
void
grp_group_set_get_state_func (GrpGroup *self, GrpGetStateFunc func, gpointer user_data,
                              GDestroyNotify destroy)
{
  g_return_if_fail (GRP_IS_GROUP (self));

  if (self->get_state_destroy)
    self->get_state_destroy (self->get_state_data);
  self->get_state = func;
  self->get_state_data = user_data;
  self->get_state_destroy = destroy;
}

/**
 * grp_group_set_set_state_func:
 * @self: a member
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy): the
 *   function that takes the application state, or %NULL to ignore it
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func is replaced or the
 *   member is finalized
 *
 * Sets how this member takes the application state when it joins, or
 * rejoins after it was left out (see [callback@Groupy.SetStateFunc]).
 */
void
grp_group_set_set_state_func (GrpGroup *self, GrpSetStateFunc func, gpointer user_data,
                              GDestroyNotify destroy)
{
  g_return_if_fail (GRP_IS_GROUP (self));

  if (self->set_state_destroy)
    self->set_state_destroy (self->set_state_data);
  self->set_state = func;
  self->set_state_data = user_data;
  self->set_state_destroy = destroy;
}

/**
 * grp_group_set_delivered_func:
 * @self: a member
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy): called
 *   for every delivery, or %NULL
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func is replaced or the
 *   member is finalized
 *
 * Sets a plain function called for every delivery, before
 * [signal@Groupy.Group::delivered]: for programs that deliver hundreds of
 * thousands of messages a second, where a signal emission per message
 * shows.  While a function is set, the signal is emitted only when it has
 * handlers, and not for a delivery whose function ended the member's
 * incarnation (it left, and created or joined a group anew).
 */
void
grp_group_set_delivered_func (GrpGroup *self, GrpDeliveredFunc func, gpointer user_data,
                              GDestroyNotify destroy)
{
  g_return_if_fail (GRP_IS_GROUP (self));

  if (self->delivered_destroy)
    self->delivered_destroy (self->delivered_data);
  self->delivered_func = func;
  self->delivered_data = user_data;
  self->delivered_destroy = destroy;
}

static GrpSecurity *
security_of (GrpGroup *self)
{
  if (self->security == NULL)
    self->security = grp_security_new ();
  return self->security;
}

/**
 * grp_group_set_secret_file:
 * @self: a member not in a group yet
 * @path: (type filename): a secret file made by
 *   [func@Groupy.Group.write_secret_file] (`groupy-node --new-secret`),
 *   readable by its owner only
 * @error: return location for a %GRP_GROUP_ERROR_SECRET error
 *
 * Closes the group to outsiders (docs/SECURITY.md): members that share the
 * secret form a group, every connection between them is TLS, and a peer
 * that cannot prove it holds the secret is refused before anything else it
 * sends is read.  Call before listening.
 *
 * Returns: %TRUE if the secret can be used
 */
gboolean
grp_group_set_secret_file (GrpGroup *self, const char *path, GError **error)
{
  GError *local = NULL;

  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);
  /* Connections under way read the security's files from GIO's threads. */
  g_return_val_if_fail (grp_transport_get_address (self->transport) == NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!grp_security_load_secret (security_of (self), path, &local))
    {
      propagate_public (error, local, GRP_GROUP_ERROR_SECRET);
      return FALSE;
    }
  grp_transport_set_security (self->transport, self->security);
  return TRUE;
}

/**
 * grp_group_set_tls_files:
 * @self: a member not in a group yet
 * @ca: (type filename): the certificate authority members' certificates
 *   must be signed by (PEM)
 * @cert: (type filename): this member's certificate (PEM)
 * @key: (type filename) (nullable): its private key (PEM); %NULL if it is
 *   in @cert
 * @error: return location for a %GRP_GROUP_ERROR_SECRET error
 *
 * For a user who runs a PKI: members must present a certificate signed by
 * @ca, instead of (or as well as) proving a group secret.  Call before
 * listening.
 *
 * Returns: %TRUE if the files can be used
 */
gboolean
grp_group_set_tls_files (GrpGroup *self, const char *ca, const char *cert, const char *key,
                         GError **error)
{
  GError *local = NULL;

  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);
  /* Connections under way read the security's files from GIO's threads. */
  g_return_val_if_fail (grp_transport_get_address (self->transport) == NULL, FALSE);
  g_return_val_if_fail (ca != NULL && cert != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!grp_security_load_pki (security_of (self), ca, cert, key, &local))
    {
      propagate_public (error, local, GRP_GROUP_ERROR_SECRET);
      return FALSE;
    }
  grp_transport_set_security (self->transport, self->security);
  return TRUE;
}

/**
 * grp_group_set_insecure:
 * @self: a member not in a group yet
 * @insecure: whether a member with neither a secret nor a PKI may listen
 *   beyond loopback
 *
 * Without a secret (or a PKI) anyone who can reach a member may join its
 * group, so such a member listens on loopback only, unless this says
 * otherwise.
 */
void
grp_group_set_insecure (GrpGroup *self, gboolean insecure)
{
  g_return_if_fail (GRP_IS_GROUP (self));

  grp_transport_set_insecure (self->transport, insecure);
}

/**
 * grp_group_is_secure:
 * @self: a member
 *
 * Whether only members that share its secret (or hold a certificate of its
 * CA) can reach this member.
 *
 * Returns: %TRUE if the member's group is closed to outsiders (a secret or
 *   a PKI)
 */
gboolean
grp_group_is_secure (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);

  return self->security != NULL &&
         (grp_security_has_secret (self->security) || grp_security_has_pki (self->security));
}

/**
 * grp_group_write_secret_file:
 * @path: (type filename): where to write a new secret
 * @error: return location for a %GRP_GROUP_ERROR_SECRET error
 *
 * Makes a new group secret and writes it to @path, readable by its owner
 * only.  An existing file is never replaced.
 *
 * Returns: %TRUE if the file was written
 */
gboolean
grp_group_write_secret_file (const char *path, GError **error)
{
  GError *local = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!grp_security_write_secret (path, &local))
    {
      propagate_public (error, local, GRP_GROUP_ERROR_SECRET);
      return FALSE;
    }
  return TRUE;
}

/**
 * grp_group_listen:
 * @self: a member not in a group yet
 * @listen: (nullable): where to listen, "HOST:PORT" with a numeric host or
 *   "localhost" (127.0.0.1) (port 0: any free port); %NULL for 127.0.0.1 and
 *   any free port
 * @advertise: (nullable): the "HOST:PORT" other members should use to
 *   reach this one; %NULL for the address bound
 * @error: return location for a [error@Groupy.GroupError]:
 *   %GRP_GROUP_ERROR_INVALID_ADDRESS, %GRP_GROUP_ERROR_ADDRESS_IN_USE or
 *   %GRP_GROUP_ERROR_INSECURE
 *
 * Binds the member's listening socket.  [method@Groupy.Group.create] and
 * [method@Groupy.Group.join_async] listen on 127.0.0.1 by themselves if
 * this was not called.
 *
 * Returns: %TRUE if the member listens
 */
gboolean
grp_group_listen (GrpGroup *self, const char *listen, const char *advertise, GError **error)
{
  GError *local = NULL;

  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);
  g_return_val_if_fail (grp_transport_get_address (self->transport) == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (grp_transport_listen (self->transport, listen, advertise, &local))
    return TRUE;
  propagate_public (error, local, GRP_GROUP_ERROR_INVALID_ADDRESS);
  return FALSE;
}

/**
 * grp_group_get_address:
 * @self: a member
 *
 * Returns the address others reach this member at: the one to give to
 * another member's [method@Groupy.Group.join_async].
 *
 * Returns: (nullable): "HOST:PORT", or %NULL before the member listens
 */
const char *
grp_group_get_address (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), NULL);

  return grp_transport_get_address (self->transport);
}

static gboolean
ensure_listening (GrpGroup *self, GError **error)
{
  return grp_transport_get_address (self->transport) != NULL ||
         grp_group_listen (self, NULL, NULL, error);
}

/* A member left out rejoins by itself; the program may create or join
 * instead (from "excluded", say): that rejoin stops. */
static void
stop_rejoin (GrpGroup *self)
{
  if (self->role != GRP_ROLE_REJOINING)
    return;
  clear_join (self);
  grp_source_clear (self->context, &self->rejoin_id);
  self->rejoining = FALSE;
}

/**
 * grp_group_create:
 * @self: a member not in a group yet, one whose join failed, one that
 *   left its group (a new incarnation: to the group it left, another
 *   member of the same name), or one left out of its group (its rejoin
 *   stops)
 * @error: return location for a [error@Groupy.GroupError]
 *
 * Makes this member the first member, and leader, of a new group (view 1).
 *
 * Returns: %TRUE if the group was created
 */
gboolean
grp_group_create (GrpGroup *self, GError **error)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);
  g_return_val_if_fail (may_start (self) || (self->join_task == NULL &&
                                             self->role == GRP_ROLE_REJOINING), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  GRP_HOLD (self);

  if (!ensure_listening (self, error))
    return FALSE;
  finish_left (self);
  stop_rejoin (self);
  new_proto (self);
  grp_proto_create (proto_enter (self), g_get_monotonic_time ());
  proto_leave (self);
  update_role (self);
  return TRUE;
}

/* A probe that has not answered in join_timeout: whoever listens there does
 * not speak for a member (or is stopped). */
static gboolean
probe_timeout (gpointer data)
{
  GrpGroup *self = data;
  /* After a try that failed (probe_error), another is under way unless
   * its pause is: what the last one met is not known yet, and it may be
   * what matters (a contact that dropped connections, then stopped). */
  const char *last = self->probe_error == NULL ? ""
                     : self->probe_retry_id != 0 ? " (the last try: "
                     : " (the last try has not answered yet; the one before: ";
  g_autoptr(GError) error =
    g_error_new (GRP_GROUP_ERROR, GRP_GROUP_ERROR_UNREACHABLE,
                 "No member answered within %" G_GINT64_FORMAT " ms%s%s%s",
                 self->cfg.join_timeout / 1000, last,
                 self->probe_error != NULL ? self->probe_error : "",
                 self->probe_error != NULL ? ")" : "");
  GRP_HOLD (self);

  self->probe_timeout_id = 0;
  self->join_attempt++;
  if (self->rejoining)
    start_rejoin (self);
  else
    fail (self, error);
  return G_SOURCE_REMOVE;
}

/* A probe does not keep its member alive: a program may drop a member
 * whose join failed, or that it no longer wants, while a probe runs. */
typedef struct {
  GWeakRef self;
  guint attempt;
} Probe;

static void probe_contact (GrpGroup *self, const char *contact);

/* Whether a first join's probe that failed so is made again (until the
 * join timeout, probe_timeout), as the core sends its JOIN again to a
 * contact that does not answer it: the contact accepted and then dropped
 * the connection without a word (its handshake slot cut under load, its
 * process restarting); or, once it did so in this join, it refuses
 * connections (restarting).  What says the contact is the wrong one fails
 * the join at once, in its words: a refusal with a reason, another secret,
 * another protocol or times, nothing listening there from the start.  So
 * does a contact that said nothing for the whole handshake deadline (a
 * stopped process, or no member at all), as before. */
static gboolean
probe_transient (GrpGroup *self, const GError *error)
{
  if (g_error_matches (error, GRP_TRANSPORT_ERROR, GRP_TRANSPORT_ERROR_DROPPED))
    {
      self->contact_seen = TRUE;
      return TRUE;
    }
  return self->contact_seen && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static gboolean
probe_again (gpointer data)
{
  GrpGroup *self = data;
  GRP_HOLD (self);

  self->probe_retry_id = 0;
  probe_contact (self, self->join_contact);
  return G_SOURCE_REMOVE;
}

static void
probe_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Probe *probe = data;
  g_autoptr(GrpGroup) self = g_weak_ref_get (&probe->self);
  guint attempt = probe->attempt;
  g_autoptr(GError) error = NULL;
  GrpId contact;

  g_weak_ref_clear (&probe->self);
  g_free (probe);
  contact = grp_transport_probe_finish (GRP_TRANSPORT (source), res, &error);
  if (self == NULL || attempt != self->join_attempt)
    return; /* dropped, cancelled, timed out or disposed meanwhile */
  if (contact == 0 && !self->rejoining && self->join_contact != NULL &&
      probe_transient (self, error))
    {
      /* The join's deadline (probe_timeout) stands; the core's pace. */
      g_debug ("%s: join through %s: %s; trying again", self->name, self->join_contact,
               error->message);
      g_free (self->probe_error);
      self->probe_error = g_strdup (error->message);
      self->probe_retry_id =
        add_timeout (self, (guint) MAX (self->cfg.retry_interval * 4 / 1000, 1), probe_again);
      return;
    }
  grp_source_clear (self->context, &self->probe_timeout_id);
  if (contact != 0)
    {
      grp_proto_join (proto_enter (self), contact, NULL, g_get_monotonic_time ());
      proto_leave (self);
      update_role (self);
      return;
    }
  if (self->rejoining)
    start_rejoin (self); /* the next contact, or the failure */
  else
    {
      g_autoptr(GError) e = public_error (error, GRP_GROUP_ERROR_UNREACHABLE);

      fail (self, e);
    }
}

/* Learns who listens at `contact` (probe_done goes on). */
static void
probe_contact (GrpGroup *self, const char *contact)
{
  Probe *probe = g_new (Probe, 1);

  g_weak_ref_init (&probe->self, self);
  probe->attempt = ++self->join_attempt;
  grp_transport_probe_async (self->transport, contact, self->cancel, probe_done, probe);
}

static void
join_through (GrpGroup *self, const char *contact)
{
  new_proto (self);
  grp_source_clear (self->context, &self->probe_timeout_id);
  self->probe_timeout_id = add_timeout (self, (guint) (self->cfg.join_timeout / 1000),
                                        probe_timeout);
  probe_contact (self, contact);
}

/* The join (or rejoin) under way stops, cancelled, and so does this
 * incarnation, leaving the member in `role`.  Cancellation is not a
 * failure: no "failed".  A contact that admitted us meanwhile sees us go as
 * a crash: the transport ends the incarnation (a BYE on each of its
 * connections, which close), as it does when the next one begins.  Left
 * bound to connections that stayed open, it was alive as far as the
 * contact could tell, which then waited for a quorum it could not have. */
static void
stop_joining (GrpGroup *self, GrpRole role, const char *why)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, why);
  /* The join is over before a handler of notify::role hears of it, as in
   * fail(): a handler may create or join again, and that join is not the
   * one finished here. */
  GTask *task = g_steal_pointer (&self->join_task);

  clear_join (self);
  grp_source_clear (self->context, &self->rejoin_id);
  end_incarnation (self);
  self->rejoining = FALSE;
  set_role (self, role);
  update_blocked (self);
  return_join (task, error);
}

static gboolean
join_cancelled (GCancellable *cancellable, gpointer data)
{
  GrpGroup *self = data;
  GRP_HOLD (self);

  /* The member may join again. */
  if (self->join_task != NULL)
    stop_joining (self, GRP_ROLE_NONE, "Join cancelled");
  return G_SOURCE_REMOVE;
}

/* Whether HOST:PORT is where this member listens (the address it
 * advertises, "localhost" for 127.0.0.1); a name is not looked up. */
static gboolean
is_own_address (GrpGroup *self, const char *host, guint16 port)
{
  const char *own = grp_transport_get_address (self->transport);
  g_autofree char *own_host = NULL;
  guint16 own_port = 0;
  g_autoptr(GInetAddress) a = NULL;
  g_autoptr(GInetAddress) b = NULL;

  if (own == NULL || !grp_transport_parse_address (own, &own_host, &own_port, NULL) ||
      own_port != port)
    return FALSE;
  a = g_inet_address_new_from_string (g_strcmp0 (host, "localhost") == 0 ? "127.0.0.1" : host);
  b = g_inet_address_new_from_string (own_host);
  return a != NULL && b != NULL && g_inet_address_equal (a, b);
}

/**
 * grp_group_join_async:
 * @self: a member not in a group yet, one whose join failed, one that
 *   left its group (it joins as a new incarnation, which the group it left
 *   may admit again), one alone in its group (that group of one ends), or
 *   one left out of its group (its rejoin stops)
 * @contact: "HOST:PORT" of any member of the group
 * @cancellable: (nullable): cancels the join; it then fails with
 *   %G_IO_ERROR_CANCELLED, and the member is in no group
 * @callback: (scope async): called when the member holds the state, or the
 *   join failed
 * @user_data: data for @callback
 *
 * Joins a group through any of its members.  The join completes once the
 * group has admitted this member and the state arrived (see
 * [method@Groupy.Group.set_set_state_func]); call
 * [method@Groupy.Group.join_finish] from @callback.
 *
 * A contact that accepts the connection and drops it before saying who it
 * is (a member shedding load, or restarting) is tried again until the
 * join timeout, and so is one that refuses connections once it has done
 * so; the join then fails with %GRP_GROUP_ERROR_UNREACHABLE, saying what
 * the last try met.  Anything else at @contact that closes every
 * connection without a word is taken for such a member, and waits as
 * long.  A contact that is the wrong one fails the join at once, saying
 * why: nothing has listened at @contact, it answered in another tongue, or
 * it refused this member (another secret, certificate, protocol or
 * timing).  @contact that is this member's own address fails it at once
 * with %GRP_GROUP_ERROR_INVALID_ADDRESS, as an address that is not one
 * does: the member stays where it was (alone in its group, say).  Its own
 * address by another name (127.0.0.1 for a member listening on 0.0.0.0,
 * say) is found out by the dial, which reaches this member itself: the
 * join fails as soon, with the same error.
 *
 * The join timeout is four suspicion timeouts, and at least 8 s (four of
 * the default's, [method@Groupy.Group.set_timing]).  Reaching a
 * member at @contact takes at most that long, and the group then has as
 * long again to admit this member and send it the state: a join ends at
 * most twice the join timeout after it began.
 *
 * @callback runs last, once the member has settled: when the join failed,
 * [property@Groupy.Group:role] is already %GRP_ROLE_FAILED (notified) and
 * [signal@Groupy.Group::failed] has been emitted, and nothing more is said
 * of the incarnation that failed after it; so @callback may drop the
 * member, create a group or join again.  A join that was cancelled, or
 * given an address that is not one, finishes without "failed".  When the
 * join succeeds, @callback runs as the member installs the view that
 * admitted it: [property@Groupy.Group:role] is %GRP_ROLE_MEMBER and
 * [method@Groupy.Group.get_n_members] counts that view's members;
 * [signal@Groupy.Group::view-changed] for that view follows @callback.
 */
void
grp_group_join_async (GrpGroup *self, const char *contact, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  GTask *task;

  g_return_if_fail (GRP_IS_GROUP (self));
  g_return_if_fail (contact != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (may_start (self) ||
                    (self->join_task == NULL &&
                     (self->role == GRP_ROLE_ALONE || self->role == GRP_ROLE_REJOINING)));
  GRP_HOLD (self);

  self->join_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->join_task, grp_group_join_async);
  /* The join says what became of it: a cancellable cancelled in the turn
   * where the member got in (join_cancelled not run yet) is too late, and
   * the member is in the group. */
  g_task_set_check_cancellable (self->join_task, FALSE);
  {
    g_autofree char *host = NULL;
    guint16 port = 0;

    /* Refused here, not dialed (a missing port dialed port 0): the member
     * stays in no group, free to join through another address. */
    if (!grp_transport_parse_address (contact, &host, &port, NULL) || port == 0 || *host == '\0')
      {
        g_autoptr(GError) e = g_error_new (GRP_GROUP_ERROR, GRP_GROUP_ERROR_INVALID_ADDRESS,
                                           "\"%s\" is not the address of a member: give "
                                           "HOST:PORT (for example 127.0.0.1:7000)", contact);

        /* Nothing of this join was set up, and a rejoin under way goes on. */
        return_join (g_steal_pointer (&self->join_task), e);
        return;
      }
    /* Dialed, it met itself: "it refused us: it claims our own id". */
    if (is_own_address (self, host, port))
      {
        g_autoptr(GError) e = g_error_new (GRP_GROUP_ERROR, GRP_GROUP_ERROR_INVALID_ADDRESS,
                                           "%s is this member's own address: join through "
                                           "another member of the group, or create one",
                                           contact);

        return_join (g_steal_pointer (&self->join_task), e);
        return;
      }
  }
  if (!ensure_listening (self, &error))
    {
      fail (self, error);
      return;
    }
  finish_left (self);
  stop_rejoin (self);
  if (cancellable != NULL)
    self->join_cancel_source = watch_cancellable (self, cancellable, join_cancelled);
  /* The join is under way before a handler hears of it: a leave that a
   * notify::role handler asks for stops it (its probe included).  A
   * handler of notify::blocked (the new incarnation's) may have stopped it
   * already. */
  task = self->join_task;
  g_free (self->join_contact);
  g_clear_pointer (&self->probe_error, g_free);
  self->join_contact = g_strdup (contact);
  self->contact_seen = FALSE;
  join_through (self, contact);
  if (self->join_task == task)
    set_role (self, GRP_ROLE_JOINING);
}

/**
 * grp_group_join_finish:
 * @self: a member
 * @result: the result given to the callback of
 *   [method@Groupy.Group.join_async]
 * @error: return location for a [error@Groupy.GroupError]
 *   (%GRP_GROUP_ERROR_UNREACHABLE, %GRP_GROUP_ERROR_NAME_TAKEN,
 *   %GRP_GROUP_ERROR_JOIN_TIMEOUT, %GRP_GROUP_ERROR_INVALID_ADDRESS,
 *   %GRP_GROUP_ERROR_SECRET ...), or
 *   %G_IO_ERROR_CANCELLED
 *
 * Finishes a join.
 *
 * Returns: %TRUE if this member is in the group and holds its state
 */
gboolean
grp_group_join_finish (GrpGroup *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == grp_group_join_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
start_rejoin (GrpGroup *self)
{
  const char *contact;

  if (self->contact_index >= self->contacts->len)
    {
      g_autoptr(GError) e = g_error_new (GRP_GROUP_ERROR, GRP_GROUP_ERROR_REJOIN_FAILED,
                                         "Left out of the group, and no member admitted us again");

      fail (self, e);
      return;
    }
  contact = g_ptr_array_index (self->contacts, self->contact_index++);
  join_through (self, contact);
  if (self->rejoining)
    set_role (self, GRP_ROLE_REJOINING);
}

/**
 * grp_group_multicast:
 * @self: a member of a group
 * @payload: the message
 * @error: return location for a [error@Groupy.GroupError]:
 *   %GRP_GROUP_ERROR_BUSY when [method@Groupy.Group.get_window] of this
 *   member's multicasts are in flight (send again after some of them are
 *   delivered), %GRP_GROUP_ERROR_NOT_MEMBER when it is in no group
 *
 * Multicasts @payload to the group: every member, this one included,
 * delivers it at the same position of the total order.
 *
 * Returns: this member's counter for the message (from 1 in each
 *   membership, again after a rejoin; the @ctr of
 *   [signal@Groupy.Group::delivered]), or 0 with @error set
 */
guint64
grp_group_multicast (GrpGroup *self, GBytes *payload, GError **error)
{
  GError *local = NULL;
  guint64 ctr;

  g_return_val_if_fail (GRP_IS_GROUP (self), 0);
  g_return_val_if_fail (payload != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);
  GRP_HOLD (self);

  if (self->leave_task != NULL || self->role == GRP_ROLE_LEFT)
    {
      /* Not "wait for the join to complete", as the core would say. */
      g_set_error (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_NOT_MEMBER,
                   "This member left its group, or is leaving it: create or join a group "
                   "again first");
      return 0;
    }
  if (self->proto == NULL)
    {
      g_set_error (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_NOT_MEMBER,
                   "Not in a group: create or join one first");
      return 0;
    }
  if (g_bytes_get_size (payload) > GRP_PAYLOAD_MAX)
    {
      /* Members refuse frames beyond GRP_FRAME_MAX (docs/SECURITY.md). */
      g_set_error (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_TOO_LARGE,
                   "A multicast of %" G_GSIZE_FORMAT " bytes: at most %u",
                   g_bytes_get_size (payload), GRP_PAYLOAD_MAX);
      return 0;
    }
  ctr = grp_proto_multicast (proto_enter (self), payload, g_get_monotonic_time (), &local);
  proto_leave (self);
  if (ctr == 0)
    propagate_public (error, local, GRP_GROUP_ERROR_NOT_MEMBER);
  return ctr;
}

static gboolean
leave_timeout (gpointer data)
{
  GrpGroup *self = data;
  GRP_HOLD (self);

  self->leave_timeout_id = 0;
  /* The group did not answer within the bound: the member goes all the
   * same, and says so (its role "left", its protocol ended), rather than
   * go on as a member of a group it was told it left.  Its LEAVE, re-sent
   * until now, leaves first; then its connections close, as at a crash. */
  if (self->proto != NULL)
    {
      grp_proto_flush (proto_enter (self));
      proto_leave (self);
      self->undelivered = grp_proto_get_pending (self->proto);
    }
  grp_transport_flush_sync (self->transport);
  end_incarnation (self);
  set_role (self, GRP_ROLE_LEFT);
  update_blocked (self);
  complete_leave (self, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
leave_cancelled (GCancellable *cancellable, gpointer data)
{
  GrpGroup *self = data;
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Leave cancelled");
  GRP_HOLD (self);

  complete_leave (self, error);
  return G_SOURCE_REMOVE;
}

/**
 * grp_group_leave_async:
 * @self: a member
 * @cancellable: (nullable): stops waiting: the leave then finishes at once
 *   with %G_IO_ERROR_CANCELLED (the goodbye is already on its way)
 * @callback: (scope async): called once the group agreed on a view without
 *   this member, or after the suspicion timeout and half the join timeout
 *   (then the member goes without the group's answer: its role is "left"
 *   all the same, and its peers see its connections close)
 * @user_data: data for @callback
 *
 * Leaves the group cleanly, so the others see a goodbye rather than a
 * crash.  Multicasts made before are given their positions first (for at
 * most half the join timeout: under load the leader may hold them back),
 * so the group delivers them.  The wait is bounded: a group that
 * cannot agree on a view without this member does not keep a program from
 * exiting.  A member in no group finishes at once, successfully, and so
 * does one that has left already (a handler of notify::role may ask when
 * the role becomes %GRP_ROLE_LEFT: this leave finishes after the one that
 * got there); a member still joining (or rejoining) stops: its join
 * finishes with %G_IO_ERROR_CANCELLED, and this leave at once.  A leave
 * asked while another is under way (a second Ctrl-C, say) finishes at
 * once with %G_IO_ERROR_PENDING, and the first goes on: its callback says
 * when the member has left.
 */
void
grp_group_leave_async (GrpGroup *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GRP_IS_GROUP (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  GRP_HOLD (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, grp_group_leave_async);
  g_task_set_check_cancellable (task, FALSE); /* likewise: it left */
  /* Asked again from a handler (notify::role "left" comes before the
   * leave's callback, view-changed on every view) or by a program that
   * cannot tell: never a critical.  Once left, done; while leaving, the
   * first leave tells. */
  if (self->role == GRP_ROLE_LEFT)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  if (self->leave_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "A leave is already under way: its callback says when the "
                               "member has left");
      g_object_unref (task);
      return;
    }
  self->leave_task = task;
  /* Left out (its role says "rejoining" already, to notify::role handlers
   * before "excluded"): the rejoin is under way, and stops. */
  if (self->join_task != NULL || self->rejoining || self->rejoin_id != 0 ||
      (self->proto != NULL && grp_proto_get_status (self->proto) == GRP_STATUS_EXCLUDED))
    {
      stop_joining (self, GRP_ROLE_LEFT, "Join cancelled: the member left");
      complete_leave (self, NULL);
      return;
    }
  if (self->proto == NULL || grp_proto_get_status (self->proto) != GRP_STATUS_MEMBER)
    {
      complete_leave (self, NULL);
      return;
    }
  if (cancellable != NULL)
    self->leave_cancel_source = watch_cancellable (self, cancellable, leave_cancelled);
  self->leave_timeout_id =
    add_timeout (self, (guint) (leave_timeout_us (self->cfg.suspect_timeout) / 1000),
                 leave_timeout);
  grp_proto_leave (proto_enter (self), g_get_monotonic_time ());
  proto_leave (self);
}

/**
 * grp_group_leave_finish:
 * @self: a member
 * @result: the result given to the callback of
 *   [method@Groupy.Group.leave_async]
 * @error: return location for %G_IO_ERROR_CANCELLED, or
 *   %G_IO_ERROR_PENDING for a leave asked while another was under way
 *
 * Finishes a leave.
 *
 * Returns: %TRUE unless the leave was cancelled, or asked while another
 *   was under way
 */
gboolean
grp_group_leave_finish (GrpGroup *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == grp_group_leave_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * grp_group_get_name:
 * @self: a member
 *
 * Gets the member's name.
 *
 * Returns: the member's name ([property@Groupy.Group:name])
 */
const char *
grp_group_get_name (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), NULL);

  return self->name;
}

/**
 * grp_group_get_role:
 * @self: a member
 *
 * Gets where the member stands in its group.
 *
 * Returns: where the member stands ([property@Groupy.Group:role])
 */
GrpRole
grp_group_get_role (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), GRP_ROLE_NONE);

  return self->role;
}

/**
 * grp_group_get_view_id:
 * @self: a member
 *
 * Gets the id of the member's current view.
 *
 * Returns: the id of the member's current view
 *   ([property@Groupy.Group:view-id]), 0 before its first
 */
guint64
grp_group_get_view_id (GrpGroup *self)
{
  const GrpView *v;

  g_return_val_if_fail (GRP_IS_GROUP (self), 0);

  v = self->proto ? grp_proto_get_view (self->proto) : NULL;
  return v ? v->id : 0;
}

/**
 * grp_group_dup_members:
 * @self: a member
 *
 * Lists the members of the current view.
 *
 * Returns: (transfer full): the names of the current view's members, the
 *   leader first; empty before the first view
 */
GStrv
grp_group_dup_members (GrpGroup *self)
{
  const GrpView *v;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  g_return_val_if_fail (GRP_IS_GROUP (self), NULL);

  v = self->proto ? grp_proto_get_view (self->proto) : NULL;
  for (guint i = 0; v != NULL && i < v->n_members; i++)
    g_strv_builder_add (b, v->members[i].name);
  return g_strv_builder_end (b);
}

/**
 * grp_group_get_n_members:
 * @self: a member
 *
 * Counts the members of the current view.
 *
 * Returns: how many members the current view has, 0 before the first view
 */
guint
grp_group_get_n_members (GrpGroup *self)
{
  const GrpView *v;

  g_return_val_if_fail (GRP_IS_GROUP (self), 0);

  v = self->proto ? grp_proto_get_view (self->proto) : NULL;
  return v ? v->n_members : 0;
}

/**
 * grp_group_get_pending:
 * @self: a member
 *
 * Counts this member's multicasts in flight.  After a leave that ran out
 * its bound, those it went without seeing delivered (the group may deliver
 * them or not).
 *
 * Returns: how many of this member's own multicasts are not delivered yet
 */
guint
grp_group_get_pending (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), 0);

  return self->proto ? grp_proto_get_pending (self->proto) : self->undelivered;
}

/**
 * grp_group_get_window:
 * @self: a member
 *
 * Flow control: beyond this many undelivered multicasts of its own
 * ([method@Groupy.Group.get_pending]), [method@Groupy.Group.multicast] fails
 * with %GRP_GROUP_ERROR_BUSY.  The group shares one window, so a member's
 * share shrinks as the group grows.
 *
 * Returns: the member's window now
 */
guint
grp_group_get_window (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), 0);

  return self->proto ? grp_proto_get_window (self->proto) : self->cfg.window;
}

/**
 * grp_group_get_last_seq:
 * @self: a member
 *
 * Gets the position of the last delivery.
 *
 * Returns: the position of the last message or view this member delivered
 *   ([property@Groupy.Group:last-seq])
 */
guint64
grp_group_get_last_seq (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), 0);

  return self->last_seq;
}

/**
 * grp_group_is_blocked:
 * @self: a member
 *
 * Whether the member waits for a quorum: its view must change (members
 * are suspected, or a new view is chosen) but the members it can still
 * hear from are no quorum of the view, so it delivers nothing new until
 * enough of them come back (a minority cut off by a partition, or the
 * survivors of a view that lost half or more of its members without
 * knowing for certain that they crashed).  If the rest of the group went
 * on without it, it learns so when it can reach them again
 * ([signal@Groupy.Group::excluded]) and rejoins.
 *
 * Returns: %TRUE while the member waits for a quorum
 *   ([property@Groupy.Group:blocked])
 */
gboolean
grp_group_is_blocked (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), FALSE);

  return self->blocked;
}

/**
 * grp_group_describe:
 * @self: a member
 *
 * Describes the member's protocol state in one line, for logs.  The format
 * is for people and may change.
 *
 * Returns: (transfer full): the line
 */
char *
grp_group_describe (GrpGroup *self)
{
  g_return_val_if_fail (GRP_IS_GROUP (self), NULL);

  if (self->proto == NULL)
    return g_strdup_printf ("%s: not started", self->name);
  return grp_proto_describe (self->proto);
}

void
grp_group_arm_crash (GrpGroup *self, guint frames, void (*func) (gpointer), gpointer user_data)
{
  g_return_if_fail (GRP_IS_GROUP (self));

  grp_transport_arm_crash (self->transport, frames, func, user_data);
}

/* ---- GObject ---------------------------------------------------------- */

static void
grp_group_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GrpGroup *self = GRP_GROUP (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;
    case PROP_VIEW_ID:
      g_value_set_uint64 (value, grp_group_get_view_id (self));
      break;
    case PROP_LAST_SEQ:
      g_value_set_uint64 (value, self->last_seq);
      break;
    case PROP_BLOCKED:
      g_value_set_boolean (value, self->blocked);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_group_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GrpGroup *self = GRP_GROUP (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_group_constructed (GObject *object)
{
  GrpGroup *self = GRP_GROUP (object);

  G_OBJECT_CLASS (grp_group_parent_class)->constructed (object);
  if (self->name == NULL || *self->name == '\0')
    {
      g_free (self->name);
      self->name = g_strdup_printf ("member-%d", (int) getpid ());
    }
}

static void
grp_group_dispose (GObject *object)
{
  GrpGroup *self = GRP_GROUP (object);

  g_cancellable_cancel (self->cancel);
  clear_join (self);
  grp_source_clear (self->context, &self->tick_id);
  grp_source_clear (self->context, &self->leave_timeout_id);
  grp_source_clear (self->context, &self->rejoin_id);
  if (self->leave_cancel_source != NULL)
    g_source_destroy (self->leave_cancel_source);
  g_clear_pointer (&self->leave_cancel_source, g_source_unref);
  g_clear_pointer (&self->proto, grp_proto_free);
  if (self->transport != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->transport, self);
      grp_transport_set_handlers (self->transport, NULL, NULL, NULL);
      grp_transport_close (self->transport);
    }
  g_clear_object (&self->transport);
  g_clear_object (&self->security);
  grp_group_set_get_state_func (self, NULL, NULL, NULL);
  grp_group_set_set_state_func (self, NULL, NULL, NULL);
  grp_group_set_delivered_func (self, NULL, NULL, NULL);
  G_OBJECT_CLASS (grp_group_parent_class)->dispose (object);
}

static void
grp_group_finalize (GObject *object)
{
  GrpGroup *self = GRP_GROUP (object);

  g_free (self->name);
  g_hash_table_unref (self->names);
  g_ptr_array_unref (self->contacts);
  g_array_unref (self->view_ids);
  g_ptr_array_unref (self->view_names);
  g_hash_table_unref (self->departures);
  g_ptr_array_unref (self->retired);
  g_ptr_array_unref (self->retired_names);
  g_clear_object (&self->cancel);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (grp_group_parent_class)->finalize (object);
}

static void
grp_group_class_init (GrpGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = grp_group_get_property;
  object_class->set_property = grp_group_set_property;
  object_class->constructed = grp_group_constructed;
  object_class->dispose = grp_group_dispose;
  object_class->finalize = grp_group_finalize;

  /**
   * GrpGroup:name:
   *
   * The member's name, unique in its group ("member-PID" if none is
   * given).  A member that rejoins after it was left out keeps it.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * GrpGroup:role:
   *
   * Where the member stands in its group.
   */
  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL, GRP_TYPE_ROLE, GRP_ROLE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * GrpGroup:view-id:
   *
   * The id of the member's current view, 0 before its first.
   */
  properties[PROP_VIEW_ID] =
    g_param_spec_uint64 ("view-id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * GrpGroup:last-seq:
   *
   * The position of the last message or view delivered.  Notified at most
   * once per main-loop turn, however many messages the turn delivered.
   */
  properties[PROP_LAST_SEQ] =
    g_param_spec_uint64 ("last-seq", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * GrpGroup:blocked:
   *
   * Whether the member waits for a quorum, delivering nothing new: see
   * [method@Groupy.Group.is_blocked].  A user interface says so ("no
   * quorum — waiting").
   */
  properties[PROP_BLOCKED] =
    g_param_spec_boolean ("blocked", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The signals are documented in grp-group.h. */
  signals[SIGNAL_DELIVERED] =
    g_signal_new ("delivered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  grp_marshal_VOID__UINT64_STRING_UINT64_BOXED,
                  G_TYPE_NONE, 4, G_TYPE_UINT64, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_UINT64, G_TYPE_BYTES | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* Emitted once per message: a generated marshaller, not the generic one. */
  g_signal_set_va_marshaller (signals[SIGNAL_DELIVERED], G_TYPE_FROM_CLASS (klass),
                              grp_marshal_VOID__UINT64_STRING_UINT64_BOXEDv);
  signals[SIGNAL_VIEW_CHANGED] =
    g_signal_new ("view-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 5, G_TYPE_UINT64, G_TYPE_UINT64,
                  G_TYPE_STRV | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRV | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRV | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_EXCLUDED] =
    g_signal_new ("excluded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
grp_group_init (GrpGroup *self)
{
  grp_core_config_init (&self->cfg);
  self->context = g_main_context_ref_thread_default ();
  self->protocol = grp_proto_default ();
  self->cfg.batch = TRUE; /* flushed at the end of each main-loop turn (on_turn_end) */
  /* Every message must fit in a frame (GRP_FRAME_MAX: one largest payload
   * and the rest); a catch-up larger than that comes in parts. */
  self->cfg.max_msg_bytes = GRP_PAYLOAD_MAX;
  self->transport = grp_transport_new ();
  /* The times grp_group_set_timing documents, and groupy-node's: the
   * core's own suspicion timeout (1500 ms) would make a member left at its
   * defaults refused by a group of groupy-node members left at theirs. */
  apply_timing (self, 100, 2000);
  grp_transport_set_handlers (self->transport, on_message, on_turn_end, self);
  g_signal_connect (self->transport, "peer-lost", G_CALLBACK (on_peer_lost), self);
  self->names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->contacts = g_ptr_array_new_with_free_func (g_free);
  self->view_ids = g_array_new (FALSE, FALSE, sizeof (GrpId));
  self->view_names = g_ptr_array_new_with_free_func (g_free);
  self->departures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->retired = g_ptr_array_new_with_free_func ((GDestroyNotify) grp_proto_free);
  self->retired_names = g_ptr_array_new_with_free_func (g_free);
  self->cancel = g_cancellable_new ();
}
