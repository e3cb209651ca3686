/* grp-group.c: core + transport + clock on the GLib main loop. */
#include "grp-group.h"

#include "grp-codec.h"
#include "grp-core.h"
#include "grp-marshal.h"
#include "grp-transport.h"

struct _GrpGroup {
  GObject parent_instance;

  char *name;
  GrpCoreConfig cfg;
  GrpTransport *transport;
  GrpSecurity *security;      /* NULL: plaintext */
  GrpCore *core;
  guint tick_id;
  GHashTable *names;          /* GrpId -> member name */
  GrpId name_cache_id;        /* the last lookup in names (cleared on change) */
  const char *name_cache;
  GPtrArray *contacts;        /* addresses of the last view's members */
  GrpGetStateFunc get_state;
  GrpSetStateFunc set_state;
  gpointer state_data;
  GDestroyNotify state_destroy;
  GrpDeliveredFunc delivered_func;
  gpointer delivered_data;
  GDestroyNotify delivered_destroy;
  gboolean emit_delivered;    /* "delivered" has handlers (or no func is set) */
  GTask *join_task;
  GTask *leave_task;
  guint leave_timeout_id;
  gboolean rejoining;
  guint contact_index;
  GrpRole role;
  guint64 last_seq;
  gboolean last_seq_dirty;    /* notify::last-seq once per main-loop turn */
  GCancellable *cancel;
};

G_DEFINE_FINAL_TYPE (GrpGroup, grp_group, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_ROLE,
  PROP_VIEW_ID,
  PROP_LAST_SEQ,
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

const char *
grp_role_to_string (GrpRole role)
{
  static const char *const names[] = {
    "none", "joining", "rejoining", "member", "leader", "alone", "left", "failed",
  };

  return role <= GRP_ROLE_FAILED ? names[role] : "?";
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

static void
update_role (GrpGroup *self)
{
  GrpRole role = GRP_ROLE_NONE;

  if (self->core != NULL)
    switch (grp_core_get_status (self->core))
      {
      case GRP_STATUS_IDLE:
        role = GRP_ROLE_NONE;
        break;
      case GRP_STATUS_JOINING:
        role = self->rejoining ? GRP_ROLE_REJOINING : GRP_ROLE_JOINING;
        break;
      case GRP_STATUS_MEMBER:
        if (!grp_core_is_leader (self->core))
          role = GRP_ROLE_MEMBER;
        else
          role = grp_core_get_view (self->core)->n_members == 1 ? GRP_ROLE_ALONE : GRP_ROLE_LEADER;
        break;
      case GRP_STATUS_LEFT:
        role = GRP_ROLE_LEFT;
        break;
      case GRP_STATUS_EXCLUDED:
        role = GRP_ROLE_REJOINING;
        break;
      case GRP_STATUS_FAILED:
        role = GRP_ROLE_FAILED;
        break;
      }
  if (role == self->role)
    return;
  self->role = role;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
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

/* ---- core callbacks --------------------------------------------------- */

static void
cb_send (GrpCore *core, GrpId to, const char *addr, GrpMsg *msg, gpointer data)
{
  GrpGroup *self = data;

  grp_transport_send (self->transport, to, addr, msg);
}

static void
cb_deliver (GrpCore *core, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload, gpointer data)
{
  GrpGroup *self = data;

  self->last_seq = seq;
  if (self->delivered_func != NULL)
    self->delivered_func (self, seq, name_of (self, origin), ctr, payload, self->delivered_data);
  if (self->emit_delivered)
    g_signal_emit (self, signals[SIGNAL_DELIVERED], 0, seq, name_of (self, origin), ctr, payload);
  if (!self->last_seq_dirty)
    {
      self->last_seq_dirty = TRUE;
      grp_transport_schedule_flush (self->transport); /* ends the turn: on_turn_end */
    }
}

static void
cb_view (GrpCore *core, GrpView *view, gpointer data)
{
  GrpGroup *self = data;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = NULL;

  g_ptr_array_set_size (self->contacts, 0);
  for (guint i = 0; i < view->n_members; i++)
    {
      const GrpMember *m = &view->members[i];

      g_hash_table_replace (self->names, g_memdup2 (&m->id, sizeof m->id), g_strdup (m->name));
      self->name_cache = NULL;
      g_strv_builder_add (builder, m->name);
      if (m->id != grp_core_get_id (self->core) && m->addr != NULL)
        g_ptr_array_add (self->contacts, g_strdup (m->addr));
    }
  names = g_strv_builder_end (builder);
  self->last_seq = view->seq;
  self->last_seq_dirty = FALSE;
  update_role (self);
  g_signal_emit (self, signals[SIGNAL_VIEW_CHANGED], 0, view->id, view->seq, names);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
}

static GBytes *
cb_get_state (GrpCore *core, gpointer data)
{
  GrpGroup *self = data;

  if (self->get_state == NULL)
    return g_bytes_new (NULL, 0);
  return self->get_state (self, self->state_data);
}

static void
cb_set_state (GrpCore *core, guint64 seq, GBytes *state, gpointer data)
{
  GrpGroup *self = data;

  if (self->set_state != NULL)
    self->set_state (self, seq, state, self->state_data);
}

static void
complete_join (GrpGroup *self, const GError *error)
{
  GTask *task = g_steal_pointer (&self->join_task);

  if (task == NULL)
    return;
  if (error)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
complete_leave (GrpGroup *self)
{
  GTask *task = g_steal_pointer (&self->leave_task);

  g_clear_handle_id (&self->leave_timeout_id, g_source_remove);
  if (task == NULL)
    return;
  if (self->core != NULL)
    grp_core_flush (self->core);
  grp_transport_flush_sync (self->transport);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
rejoin_idle (gpointer data)
{
  start_rejoin (data);
  return G_SOURCE_REMOVE;
}

static void
cb_status (GrpCore *core, GrpStatus status, const GError *error, gpointer data)
{
  GrpGroup *self = data;

  update_role (self);
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
          g_idle_add (rejoin_idle, self);
          break;
        }
      complete_join (self, error);
      g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
      break;
    case GRP_STATUS_EXCLUDED:
      g_message ("%s: the group went on without us (stopped or cut off too long); rejoining", self->name);
      g_signal_emit (self, signals[SIGNAL_EXCLUDED], 0);
      self->rejoining = TRUE;
      self->contact_index = 0;
      g_idle_add (rejoin_idle, self); /* not from inside the core's call */
      break;
    case GRP_STATUS_LEFT:
      complete_leave (self);
      break;
    default:
      break;
    }
}

static const GrpCoreCallbacks callbacks = {
  cb_send, cb_deliver, cb_view, cb_get_state, cb_set_state, cb_status,
};

/* ---- transport and clock --------------------------------------------- */

/* Before each call into the core: whether its deliveries are signalled
 * (looked up once per call, not once per message). */
static GrpCore *
core_for_call (GrpGroup *self)
{
  self->emit_delivered = self->delivered_func == NULL ||
                         g_signal_has_handler_pending (self, signals[SIGNAL_DELIVERED], 0, TRUE);
  return self->core;
}

/* The core gathers sequenced entries and requests (config.batch) and sends
 * them when the main-loop turn ends, so a turn's input leaves in one SEQ
 * per member, or one REQ. */
static void
want_turn_end (GrpGroup *self)
{
  if (self->core != NULL && grp_core_has_batch (self->core))
    grp_transport_schedule_flush (self->transport);
}

static void
on_turn_end (gpointer data)
{
  GrpGroup *self = data;

  if (self->core != NULL)
    grp_core_flush (self->core);
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

  if (self->core != NULL)
    {
      grp_core_receive (core_for_call (self), msg, g_get_monotonic_time ());
      want_turn_end (self);
    }
}

static void
on_peer_lost (GrpTransport *t, guint64 id, gboolean confirmed, gpointer data)
{
  GrpGroup *self = data;

  if (self->core != NULL)
    {
      grp_core_unreachable (core_for_call (self), id, confirmed, g_get_monotonic_time ());
      want_turn_end (self);
    }
}

static gboolean
on_tick (gpointer data)
{
  GrpGroup *self = data;

  if (self->core != NULL)
    {
      grp_core_tick (core_for_call (self), g_get_monotonic_time ());
      want_turn_end (self);
    }
  return G_SOURCE_CONTINUE;
}

static void
new_core (GrpGroup *self)
{
  GrpMember me = { new_id (), self->name, (char *) grp_transport_get_address (self->transport) };

  g_clear_pointer (&self->core, grp_core_free);
  grp_transport_set_self (self->transport, me.id, me.name);
  self->core = grp_core_new (&self->cfg, &me, &callbacks, self);
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add (MAX (self->cfg.heartbeat_interval / 4000, 5), on_tick, self);
}

/* ---- public ----------------------------------------------------------- */

GrpGroup *
grp_group_new (const char *name)
{
  return g_object_new (GRP_TYPE_GROUP, "name", name, NULL);
}

void
grp_group_set_safe_delivery (GrpGroup *self, gboolean safe)
{
  self->cfg.delivery = safe ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED;
}

void
grp_group_set_timing (GrpGroup *self, guint heartbeat_ms, guint suspect_ms)
{
  self->cfg.heartbeat_interval = (gint64) heartbeat_ms * 1000;
  self->cfg.suspect_timeout = (gint64) suspect_ms * 1000;
  self->cfg.retry_interval = MAX ((gint64) heartbeat_ms * 1000 / 2, 5000);
  self->cfg.join_timeout = MAX (self->cfg.join_timeout, 4 * self->cfg.suspect_timeout);
}

void
grp_group_set_state_funcs (GrpGroup *self, GrpGetStateFunc get_state, GrpSetStateFunc set_state,
                           gpointer user_data, GDestroyNotify destroy)
{
  if (self->state_destroy)
    self->state_destroy (self->state_data);
  self->get_state = get_state;
  self->set_state = set_state;
  self->state_data = user_data;
  self->state_destroy = destroy;
}

void
grp_group_set_delivered_func (GrpGroup *self, GrpDeliveredFunc func, gpointer user_data, GDestroyNotify destroy)
{
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

gboolean
grp_group_set_secret_file (GrpGroup *self, const char *path, GError **error)
{
  if (!grp_security_load_secret (security_of (self), path, error))
    return FALSE;
  grp_transport_set_security (self->transport, self->security);
  return TRUE;
}

gboolean
grp_group_set_tls_files (GrpGroup *self, const char *ca, const char *cert, const char *key,
                         GError **error)
{
  if (!grp_security_load_pki (security_of (self), ca, cert, key, error))
    return FALSE;
  grp_transport_set_security (self->transport, self->security);
  return TRUE;
}

void
grp_group_set_insecure (GrpGroup *self, gboolean insecure)
{
  grp_transport_set_insecure (self->transport, insecure);
}

gboolean
grp_group_is_secure (GrpGroup *self)
{
  return self->security != NULL &&
         (grp_security_has_secret (self->security) || grp_security_has_pki (self->security));
}

gboolean
grp_group_write_secret_file (const char *path, GError **error)
{
  return grp_security_write_secret (path, error);
}

gboolean
grp_group_listen (GrpGroup *self, const char *listen, const char *advertise, GError **error)
{
  return grp_transport_listen (self->transport, listen, advertise, error);
}

const char *
grp_group_get_address (GrpGroup *self)
{
  return grp_transport_get_address (self->transport);
}

gboolean
grp_group_create (GrpGroup *self, GError **error)
{
  if (grp_transport_get_address (self->transport) == NULL &&
      !grp_transport_listen (self->transport, NULL, NULL, error))
    return FALSE;
  new_core (self);
  grp_core_create (core_for_call (self), g_get_monotonic_time ());
  update_role (self);
  return TRUE;
}

static void
probe_done (GObject *source, GAsyncResult *res, gpointer data)
{
  GrpGroup *self = data;
  g_autoptr(GError) error = NULL;
  GrpId contact = grp_transport_probe_finish (self->transport, res, &error);

  if (contact == 0)
    {
      if (self->rejoining && self->contact_index < self->contacts->len)
        {
          start_rejoin (self);
          g_object_unref (self);
          return;
        }
      if (self->rejoining)
        {
          g_autoptr(GError) e = g_error_new (GRP_CORE_ERROR, GRP_CORE_ERROR_JOIN_TIMEOUT,
                                             "left out of the group, and no member could be reached to rejoin");

          self->role = GRP_ROLE_FAILED;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
          g_signal_emit (self, signals[SIGNAL_FAILED], 0, e);
        }
      complete_join (self, error);
      g_object_unref (self);
      return;
    }
  grp_core_join (core_for_call (self), contact, NULL, g_get_monotonic_time ());
  update_role (self);
  g_object_unref (self);
}

static void
join_through (GrpGroup *self, const char *contact)
{
  new_core (self);
  grp_transport_probe_async (self->transport, contact, self->cancel, probe_done, g_object_ref (self));
}

void
grp_group_join_async (GrpGroup *self, const char *contact, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (self->join_task == NULL);
  self->join_task = g_task_new (self, cancellable, callback, user_data);
  if (grp_transport_get_address (self->transport) == NULL &&
      !grp_transport_listen (self->transport, NULL, NULL, &error))
    {
      complete_join (self, error);
      return;
    }
  self->role = GRP_ROLE_JOINING;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
  join_through (self, contact);
}

gboolean
grp_group_join_finish (GrpGroup *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
start_rejoin (GrpGroup *self)
{
  const char *contact;

  if (self->contact_index >= self->contacts->len)
    {
      g_autoptr(GError) e = g_error_new (GRP_CORE_ERROR, GRP_CORE_ERROR_JOIN_TIMEOUT,
                                         "left out of the group, and no member admitted us again");

      self->role = GRP_ROLE_FAILED;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
      g_signal_emit (self, signals[SIGNAL_FAILED], 0, e);
      return;
    }
  contact = g_ptr_array_index (self->contacts, self->contact_index++);
  self->role = GRP_ROLE_REJOINING;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
  join_through (self, contact);
}

guint64
grp_group_multicast (GrpGroup *self, GBytes *payload, GError **error)
{
  guint64 ctr;

  if (self->core == NULL)
    {
      g_set_error (error, GRP_CORE_ERROR, GRP_CORE_ERROR_NOT_MEMBER, "Not in a group: create or join one first");
      return 0;
    }
  if (g_bytes_get_size (payload) > GRP_PAYLOAD_MAX)
    {
      /* Members refuse frames beyond GRP_FRAME_MAX (docs/SECURITY.md). */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "a multicast of %zu bytes: at most %u", g_bytes_get_size (payload),
                   GRP_PAYLOAD_MAX);
      return 0;
    }
  ctr = grp_core_multicast (core_for_call (self), payload, g_get_monotonic_time (), error);
  want_turn_end (self);
  return ctr;
}

static gboolean
leave_timeout (gpointer data)
{
  GrpGroup *self = data;

  self->leave_timeout_id = 0;
  complete_leave (self);
  return G_SOURCE_REMOVE;
}

void
grp_group_leave_async (GrpGroup *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_return_if_fail (self->leave_task == NULL);
  self->leave_task = g_task_new (self, cancellable, callback, user_data);
  if (self->core == NULL || grp_core_get_status (self->core) != GRP_STATUS_MEMBER)
    {
      complete_leave (self);
      return;
    }
  /* Bounded: a group that cannot agree on a view without us must not keep
   * a process from exiting. */
  self->leave_timeout_id = g_timeout_add ((guint) (self->cfg.suspect_timeout / 1000), leave_timeout, self);
  grp_core_leave (core_for_call (self), g_get_monotonic_time ());
}

gboolean
grp_group_leave_finish (GrpGroup *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
grp_group_get_name (GrpGroup *self)
{
  return self->name;
}

GrpRole
grp_group_get_role (GrpGroup *self)
{
  return self->role;
}

guint64
grp_group_get_view_id (GrpGroup *self)
{
  const GrpView *v = self->core ? grp_core_get_view (self->core) : NULL;

  return v ? v->id : 0;
}

GStrv
grp_group_dup_members (GrpGroup *self)
{
  const GrpView *v = self->core ? grp_core_get_view (self->core) : NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; v != NULL && i < v->n_members; i++)
    g_strv_builder_add (b, v->members[i].name);
  return g_strv_builder_end (b);
}

guint
grp_group_get_n_members (GrpGroup *self)
{
  const GrpView *v = self->core ? grp_core_get_view (self->core) : NULL;

  return v ? v->n_members : 0;
}

guint
grp_group_get_pending (GrpGroup *self)
{
  return self->core ? grp_core_get_pending (self->core) : 0;
}

guint
grp_group_get_window (GrpGroup *self)
{
  return self->core ? grp_core_get_window (self->core) : self->cfg.window;
}

guint64
grp_group_get_last_seq (GrpGroup *self)
{
  return self->last_seq;
}

char *
grp_group_describe (GrpGroup *self)
{
  return self->core ? grp_core_describe (self->core) : g_strdup_printf ("%s: not started", self->name);
}

void
grp_group_arm_crash (GrpGroup *self, guint frames, void (*func) (gpointer), gpointer user_data)
{
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
      g_value_set_int (value, self->role);
      break;
    case PROP_VIEW_ID:
      g_value_set_uint64 (value, grp_group_get_view_id (self));
      break;
    case PROP_LAST_SEQ:
      g_value_set_uint64 (value, self->last_seq);
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
grp_group_dispose (GObject *object)
{
  GrpGroup *self = GRP_GROUP (object);

  g_cancellable_cancel (self->cancel);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->leave_timeout_id, g_source_remove);
  g_clear_pointer (&self->core, grp_core_free);
  if (self->transport != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->transport, self);
      grp_transport_set_handlers (self->transport, NULL, NULL, NULL);
      grp_transport_close (self->transport);
    }
  g_clear_object (&self->transport);
  g_clear_object (&self->security);
  if (self->state_destroy)
    self->state_destroy (self->state_data);
  self->state_destroy = NULL;
  if (self->delivered_destroy)
    self->delivered_destroy (self->delivered_data);
  self->delivered_destroy = NULL;
  self->delivered_func = NULL;
  G_OBJECT_CLASS (grp_group_parent_class)->dispose (object);
}

static void
grp_group_finalize (GObject *object)
{
  GrpGroup *self = GRP_GROUP (object);

  g_free (self->name);
  g_hash_table_unref (self->names);
  g_ptr_array_unref (self->contacts);
  g_clear_object (&self->cancel);
  G_OBJECT_CLASS (grp_group_parent_class)->finalize (object);
}

static void
grp_group_class_init (GrpGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = grp_group_get_property;
  object_class->set_property = grp_group_set_property;
  object_class->dispose = grp_group_dispose;
  object_class->finalize = grp_group_finalize;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROLE] =
    g_param_spec_int ("role", NULL, NULL, GRP_ROLE_NONE, GRP_ROLE_FAILED, GRP_ROLE_NONE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VIEW_ID] =
    g_param_spec_uint64 ("view-id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_SEQ] =
    g_param_spec_uint64 ("last-seq", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* (seq, from-name, from-counter, payload) */
  signals[SIGNAL_DELIVERED] =
    g_signal_new ("delivered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  grp_marshal_VOID__UINT64_STRING_UINT64_BOXED,
                  G_TYPE_NONE, 4, G_TYPE_UINT64, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_UINT64, G_TYPE_BYTES | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* Emitted once per message: a generated marshaller, not the generic one. */
  g_signal_set_va_marshaller (signals[SIGNAL_DELIVERED], G_TYPE_FROM_CLASS (klass),
                              grp_marshal_VOID__UINT64_STRING_UINT64_BOXEDv);
  /* (view-id, seq, member names with the leader first) */
  signals[SIGNAL_VIEW_CHANGED] =
    g_signal_new ("view-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT64, G_TYPE_UINT64, G_TYPE_STRV);
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
  self->cfg.batch = TRUE; /* flushed at the end of each main-loop turn (on_turn_end) */
  self->transport = grp_transport_new ();
  grp_transport_set_handlers (self->transport, on_message, on_turn_end, self);
  g_signal_connect (self->transport, "peer-lost", G_CALLBACK (on_peer_lost), self);
  self->names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->contacts = g_ptr_array_new_with_free_func (g_free);
  self->cancel = g_cancellable_new ();
}
