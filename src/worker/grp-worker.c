/* grp-worker.c: the color worker and its event log. */
#include "grp-worker.h"

#include "grp-color.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The payload of `change N`: the sender's own counter K (it counts over the
 * life of the process, across rejoins) and N. */
#define PAYLOAD_LEN 9
#define CRASH_ROLL_MS 100

struct _GrpWorker {
  GObject parent_instance;

  GrpOptions opt;
  GrpGroup *group;
  GRand *rand;
  FILE *log;
  guint8 rgb[3];
  guint64 sent;             /* K of the last multicast */
  guint send_id;
  guint crash_id;
  gboolean crash_armed;
  guint32 history[GRP_WORKER_HISTORY];
  guint n_history;
  GTask *start_task;
  gboolean stopping;
  guint signal_ids[4];
};

G_DEFINE_FINAL_TYPE (GrpWorker, grp_worker, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_COLOR,
  PROP_ROLE,
  PROP_VIEW_ID,
  PROP_LAST_SEQ,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- the log ---------------------------------------------------------- */

static void
json_string (GString *s, const char *str)
{
  g_string_append_c (s, '"');
  for (const char *p = str; *p; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (s, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (s, "\\u%04x", c);
      else
        g_string_append_c (s, (char) c);
    }
  g_string_append_c (s, '"');
}

static void
json_color (GString *s, const guint8 *rgb)
{
  g_string_append_printf (s, "[%u,%u,%u]", rgb[0], rgb[1], rgb[2]);
}

/* Each line is written and flushed as it happens, so a killed process
 * leaves a complete log up to its death. */
static void
log_line (GrpWorker *self, GString *line)
{
  if (self->log == NULL)
    return;
  g_string_append_c (line, '\n');
  fwrite (line->str, 1, line->len, self->log);
  fflush (self->log);
}

/* ---- model ------------------------------------------------------------ */

static void
push_history (GrpWorker *self)
{
  guint32 c = ((guint32) self->rgb[0] << 16) | ((guint32) self->rgb[1] << 8) | self->rgb[2];

  if (self->n_history == GRP_WORKER_HISTORY)
    {
      memmove (self->history, self->history + 1, (GRP_WORKER_HISTORY - 1) * sizeof (guint32));
      self->n_history--;
    }
  self->history[self->n_history++] = c;
}

static void
on_delivered (GrpGroup *group, guint64 seq, const char *from, guint64 ctr, GBytes *payload, gpointer data)
{
  GrpWorker *self = data;
  gsize len;
  const guint8 *p = g_bytes_get_data (payload, &len);
  guint64 k;
  guint8 n;
  g_autoptr(GString) line = g_string_new ("{\"ev\":\"deliver\",\"seq\":");

  if (len != PAYLOAD_LEN || p[8] < 1 || p[8] > 20)
    {
      /* Not a worker's change: another program shares the group. */
      g_warning ("ignoring a message from %s that is not a color change", from);
      return;
    }
  memcpy (&k, p, 8);
  k = GUINT64_FROM_LE (k);
  n = p[8];
  grp_color_apply (self->rgb, n);
  push_history (self);
  g_string_append_printf (line, "%" G_GUINT64_FORMAT ",\"from\":", seq);
  json_string (line, from);
  g_string_append_printf (line, ",\"id\":%" G_GUINT64_FORMAT ",\"change\":%u,\"color\":", k, n);
  json_color (line, self->rgb);
  g_string_append_c (line, '}');
  log_line (self, line);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
}

static void
on_view_changed (GrpGroup *group, guint64 view_id, guint64 seq, GStrv names, gpointer data)
{
  GrpWorker *self = data;
  g_autoptr(GString) line = g_string_new ("{\"ev\":\"view\",\"view\":");

  g_string_append_printf (line, "%" G_GUINT64_FORMAT ",\"seq\":%" G_GUINT64_FORMAT ",\"leader\":", view_id, seq);
  json_string (line, names[0]);
  g_string_append (line, ",\"members\":[");
  for (guint i = 0; names[i]; i++)
    {
      if (i)
        g_string_append_c (line, ',');
      json_string (line, names[i]);
    }
  g_string_append (line, "],\"color\":");
  json_color (line, self->rgb);
  g_string_append_c (line, '}');
  log_line (self, line);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_ID]);
}

static GBytes *
get_state (GrpGroup *group, gpointer data)
{
  GrpWorker *self = data;

  return g_bytes_new (self->rgb, 3);
}

static void
set_state (GrpGroup *group, guint64 seq, GBytes *state, gpointer data)
{
  GrpWorker *self = data;
  gsize len;
  const guint8 *p = g_bytes_get_data (state, &len);
  g_autoptr(GString) line = g_string_new ("{\"ev\":\"state\",\"seq\":");

  if (len != 3)
    {
      g_warning ("ignoring a state of %zu bytes (a worker's state is 3)", len);
      return;
    }
  memcpy (self->rgb, p, 3);
  self->n_history = 0;
  push_history (self);
  g_string_append_printf (line, "%" G_GUINT64_FORMAT ",\"color\":", seq);
  json_color (line, self->rgb);
  g_string_append_c (line, '}');
  log_line (self, line);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR]);
}

static void
on_excluded (GrpGroup *group, gpointer data)
{
  GrpWorker *self = data;
  g_autoptr(GString) line = g_string_new ("{\"ev\":\"excluded\"}");

  log_line (self, line);
}

static void
on_role (GObject *object, GParamSpec *pspec, gpointer data)
{
  g_object_notify_by_pspec (G_OBJECT (data), properties[PROP_ROLE]);
}

/* ---- sending and crashing --------------------------------------------- */

static gboolean send_change (gpointer data);

static void
schedule_send (GrpWorker *self)
{
  guint wait = (guint) g_rand_int_range (self->rand, 0, self->opt.sleep_ms + 1);

  self->send_id = g_timeout_add (MAX (wait, 1), send_change, self);
}

static gboolean
send_change (gpointer data)
{
  GrpWorker *self = data;
  GrpRole role = grp_group_get_role (self->group);
  guint8 payload[PAYLOAD_LEN];
  guint64 k = GUINT64_TO_LE (self->sent + 1);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  self->send_id = 0;
  if (self->opt.count >= 0 && self->sent >= (guint64) self->opt.count)
    return G_SOURCE_REMOVE;
  if (role == GRP_ROLE_MEMBER || role == GRP_ROLE_LEADER || role == GRP_ROLE_ALONE)
    {
      memcpy (payload, &k, 8);
      payload[8] = (guint8) g_rand_int_range (self->rand, 1, 21);
      bytes = g_bytes_new (payload, sizeof payload);
      if (grp_group_multicast (self->group, bytes, &error) != 0)
        {
          g_autoptr(GString) line = g_string_new (NULL);

          self->sent++;
          g_string_printf (line, "{\"ev\":\"send\",\"id\":%" G_GUINT64_FORMAT ",\"change\":%u}",
                           self->sent, payload[8]);
          log_line (self, line);
        }
    }
  schedule_send (self);
  return G_SOURCE_REMOVE;
}

static void
die_now (gpointer data)
{
  GrpWorker *self = data;
  g_autoptr(GString) line = g_string_new ("{\"ev\":\"crash\"}");

  log_line (self, line);
  /* No goodbye, no cleanup: exactly what kill -9 does. */
  kill (getpid (), SIGKILL);
  _exit (137);
}

static gboolean
crash_roll (gpointer data)
{
  GrpWorker *self = data;
  guint n = grp_group_get_n_members (self->group);

  if (self->crash_armed || grp_group_get_role (self->group) != GRP_ROLE_LEADER || n < 2)
    return G_SOURCE_CONTINUE;
  if (g_rand_int_range (self->rand, 0, self->opt.crash_rate) != 0)
    return G_SOURCE_CONTINUE;
  /* The next broadcast reaches some of the n - 1 others, not all. */
  self->crash_armed = TRUE;
  grp_group_arm_crash (self->group, (guint) g_rand_int_range (self->rand, 0, (gint32) n - 1), die_now, self);
  return G_SOURCE_CONTINUE;
}

void
grp_worker_quiesce (GrpWorker *self)
{
  g_clear_handle_id (&self->send_id, g_source_remove);
  g_clear_handle_id (&self->crash_id, g_source_remove);
  if (self->crash_armed)
    grp_group_arm_crash (self->group, 0, NULL, NULL);
  self->crash_armed = FALSE;
  self->opt.count = (gint64) self->sent;
  {
    g_autoptr(GString) line = g_string_new ("{\"ev\":\"quiet\"}");

    log_line (self, line);
  }
}

void
grp_worker_resume (GrpWorker *self)
{
  g_autoptr(GString) line = g_string_new ("{\"ev\":\"resume\"}");

  self->opt.count = -1;
  log_line (self, line);
  if (self->send_id == 0)
    schedule_send (self);
}

void
grp_worker_crash (GrpWorker *self)
{
  die_now (self);
}

/* ---- lifecycle -------------------------------------------------------- */

GrpWorker *
grp_worker_new (GrpOptions *options)
{
  GrpWorker *self = g_object_new (GRP_TYPE_WORKER, NULL);

  self->opt = *options;
  memset (options, 0, sizeof *options);
  self->rand = self->opt.seed >= 0 ? g_rand_new_with_seed ((guint32) self->opt.seed) : g_rand_new ();
  self->group = grp_group_new (self->opt.name);
  grp_group_set_safe_delivery (self->group, self->opt.safe);
  grp_group_set_timing (self->group, (guint) self->opt.heartbeat_ms, (guint) self->opt.suspect_ms);
  grp_group_set_state_funcs (self->group, get_state, set_state, self, NULL);
  g_signal_connect (self->group, "delivered", G_CALLBACK (on_delivered), self);
  g_signal_connect (self->group, "view-changed", G_CALLBACK (on_view_changed), self);
  g_signal_connect (self->group, "excluded", G_CALLBACK (on_excluded), self);
  g_signal_connect (self->group, "notify::role", G_CALLBACK (on_role), self);
  return self;
}

gboolean
grp_worker_prepare (GrpWorker *self, GError **error)
{
  if (self->opt.secret_file != NULL &&
      !grp_group_set_secret_file (self->group, self->opt.secret_file, error))
    return FALSE;
  if (self->opt.tls_ca != NULL &&
      !grp_group_set_tls_files (self->group, self->opt.tls_ca, self->opt.tls_cert,
                                self->opt.tls_key, error))
    return FALSE;
  grp_group_set_insecure (self->group, self->opt.insecure);
  if (self->opt.log != NULL)
    {
      g_autoptr(GString) line = g_string_new ("{\"ev\":\"start\",\"name\":");

      self->log = fopen (self->opt.log, "w");
      if (self->log == NULL)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                       "cannot write the log %s: %s", self->opt.log, g_strerror (errno));
          return FALSE;
        }
      json_string (line, self->opt.name);
      g_string_append_printf (line, ",\"pid\":%d,\"delivery\":\"%s\"}", (int) getpid (),
                              self->opt.safe ? "safe" : "agreed");
      log_line (self, line);
    }
  return grp_group_listen (self->group, self->opt.listen, self->opt.advertise, error);
}

static void
begin_work (GrpWorker *self)
{
  push_history (self);
  schedule_send (self);
  if (self->opt.crash_rate > 0)
    self->crash_id = g_timeout_add (CRASH_ROLL_MS, crash_roll, self);
}

static void
join_done (GObject *source, GAsyncResult *res, gpointer data)
{
  GrpWorker *self = data;
  GTask *task = g_steal_pointer (&self->start_task);
  GError *error = NULL;

  if (!grp_group_join_finish (self->group, res, &error))
    g_task_return_error (task, error);
  else
    {
      begin_work (self);
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

void
grp_worker_start_async (GrpWorker *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GError *error = NULL;

  self->start_task = g_task_new (self, NULL, callback, user_data);
  if (self->opt.join != NULL)
    {
      grp_group_join_async (self->group, self->opt.join, NULL, join_done, self);
      return;
    }
  if (!grp_group_create (self->group, &error))
    {
      g_task_return_error (g_steal_pointer (&self->start_task), error);
      return;
    }
  begin_work (self);
  g_task_return_boolean (self->start_task, TRUE);
  g_clear_object (&self->start_task);
}

gboolean
grp_worker_start_finish (GrpWorker *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
leave_done (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  GrpWorker *self = g_task_get_source_object (task);
  g_autoptr(GString) line = g_string_new ("{\"ev\":\"exit\"}");

  grp_group_leave_finish (self->group, res, NULL);
  log_line (self, line);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Before leaving, let our own changes be delivered (for a bounded time):
 * a clean stop loses nothing we sent. */
static gboolean
leave_when_delivered (gpointer data)
{
  GTask *task = data;
  GrpWorker *self = g_task_get_source_object (task);
  gint64 *deadline = g_task_get_task_data (task);
  GrpRole role = grp_group_get_role (self->group);
  gboolean member = role == GRP_ROLE_MEMBER || role == GRP_ROLE_LEADER || role == GRP_ROLE_ALONE;

  if (member && grp_group_get_pending (self->group) > 0 && g_get_monotonic_time () < *deadline)
    return G_SOURCE_CONTINUE;
  grp_group_leave_async (self->group, NULL, leave_done, task);
  return G_SOURCE_REMOVE;
}

void
grp_worker_stop_async (GrpWorker *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  gint64 *deadline = g_new (gint64, 1);

  g_clear_handle_id (&self->send_id, g_source_remove);
  g_clear_handle_id (&self->crash_id, g_source_remove);
  *deadline = g_get_monotonic_time () + (gint64) self->opt.suspect_ms * 1000;
  g_task_set_task_data (task, deadline, g_free);
  if (leave_when_delivered (task) == G_SOURCE_CONTINUE)
    g_timeout_add (10, leave_when_delivered, task);
}

gboolean
grp_worker_stop_finish (GrpWorker *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
stopped (GObject *source, GAsyncResult *res, gpointer data)
{
  GrpWorker *self = GRP_WORKER (source);

  grp_worker_stop_finish (self, res, NULL);
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
}

void
grp_worker_stop (GrpWorker *self)
{
  if (self->stopping)
    return;
  self->stopping = TRUE;
  grp_worker_stop_async (self, stopped, NULL);
}

static gboolean
on_term (gpointer data)
{
  grp_worker_stop (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_usr1 (gpointer data)
{
  grp_worker_quiesce (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_usr2 (gpointer data)
{
  grp_worker_resume (data);
  return G_SOURCE_CONTINUE;
}

void
grp_worker_handle_signals (GrpWorker *self)
{
  self->signal_ids[0] = g_unix_signal_add (SIGTERM, on_term, self);
  self->signal_ids[1] = g_unix_signal_add (SIGINT, on_term, self);
  self->signal_ids[2] = g_unix_signal_add (SIGUSR1, on_usr1, self);
  self->signal_ids[3] = g_unix_signal_add (SIGUSR2, on_usr2, self);
}

const char *
grp_worker_get_name (GrpWorker *self)
{
  return grp_group_get_name (self->group);
}

const char *
grp_worker_get_address (GrpWorker *self)
{
  return grp_group_get_address (self->group);
}

guint32
grp_worker_get_color (GrpWorker *self)
{
  return ((guint32) self->rgb[0] << 16) | ((guint32) self->rgb[1] << 8) | self->rgb[2];
}

GrpRole
grp_worker_get_role (GrpWorker *self)
{
  return grp_group_get_role (self->group);
}

guint64
grp_worker_get_view_id (GrpWorker *self)
{
  return grp_group_get_view_id (self->group);
}

GStrv
grp_worker_dup_members (GrpWorker *self)
{
  return grp_group_dup_members (self->group);
}

guint64
grp_worker_get_last_seq (GrpWorker *self)
{
  return grp_group_get_last_seq (self->group);
}

const guint32 *
grp_worker_get_history (GrpWorker *self, guint *n)
{
  *n = self->n_history;
  return self->history;
}

GrpGroup *
grp_worker_get_group (GrpWorker *self)
{
  return self->group;
}

static void
grp_worker_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GrpWorker *self = GRP_WORKER (object);

  switch (prop_id)
    {
    case PROP_COLOR:
      g_value_set_uint (value, grp_worker_get_color (self));
      break;
    case PROP_ROLE:
      g_value_set_int (value, grp_worker_get_role (self));
      break;
    case PROP_VIEW_ID:
      g_value_set_uint64 (value, grp_worker_get_view_id (self));
      break;
    case PROP_LAST_SEQ:
      g_value_set_uint64 (value, grp_worker_get_last_seq (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_worker_dispose (GObject *object)
{
  GrpWorker *self = GRP_WORKER (object);

  g_clear_handle_id (&self->send_id, g_source_remove);
  g_clear_handle_id (&self->crash_id, g_source_remove);
  for (guint i = 0; i < G_N_ELEMENTS (self->signal_ids); i++)
    g_clear_handle_id (&self->signal_ids[i], g_source_remove);
  if (self->group != NULL)
    g_signal_handlers_disconnect_by_data (self->group, self);
  g_clear_object (&self->group);
  G_OBJECT_CLASS (grp_worker_parent_class)->dispose (object);
}

static void
grp_worker_finalize (GObject *object)
{
  GrpWorker *self = GRP_WORKER (object);

  if (self->log != NULL)
    fclose (self->log);
  g_rand_free (self->rand);
  grp_options_clear (&self->opt);
  G_OBJECT_CLASS (grp_worker_parent_class)->finalize (object);
}

static void
grp_worker_class_init (GrpWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = grp_worker_get_property;
  object_class->dispose = grp_worker_dispose;
  object_class->finalize = grp_worker_finalize;

  properties[PROP_COLOR] =
    g_param_spec_uint ("color", NULL, NULL, 0, 0xffffff, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
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

  /* It left the group (grp_worker_stop, SIGTERM, SIGINT). */
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
grp_worker_init (GrpWorker *self)
{
}
