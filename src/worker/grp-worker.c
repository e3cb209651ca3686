/* grp-worker.c: the color worker and its event log. */
#include "grp-worker.h"

#include "grp-color.h"
#include "grp-group-private.h"
#include "grp-limits.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The payload of `change N`: the sender's own counter K (it counts over the
 * life of the process, across rejoins) and N. */
#define PAYLOAD_LEN 9
#define CRASH_ROLL_MS 100
#define MAX_COMMAND 4096

struct _GrpWorker {
  GObject parent_instance;

  GrpOptions opt;
  GrpGroup *group;
  GRand *rand;
  FILE *log;
  char *log_path;           /* the file now written: opt.log, then FILE.2, ... */
  guint n_logs;
  JsonGenerator *generator;
  guint8 rgb[3];
  guint64 sent;             /* K of the last multicast */
  gboolean blocked_at_leave; /* no quorum when the leave began */
  guint send_id;
  guint crash_id;
  gboolean crash_armed;
  gboolean quiet;           /* quiesced (SIGUSR1) and not resumed since */
  guint32 history[GRP_WORKER_HISTORY];
  guint n_history;
  GTask *start_task;
  gboolean stopping;
  gboolean joined;          /* has been a member: a later failure is news */
  gboolean switching;       /* grp_worker_join_other_async under way */
  guint signal_ids[4];
  GInputStream *commands;   /* standard input, with --commands */
  GString *commands_in;     /* what it gave and no whole line yet */
  GCancellable *cancel;

  /* What the log says, and nothing newer: the view last delivered and the
   * last position (a state transfer sets it and clears the view). */
  guint64 view_id;
  GStrv members;
  guint64 last_seq;
};

G_DEFINE_FINAL_TYPE (GrpWorker, grp_worker, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_COLOR,
  PROP_ROLE,
  PROP_VIEW_ID,
  PROP_MEMBERS,
  PROP_LEADER,
  PROP_LAST_SEQ,
  PROP_BLOCKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_VIEW_CHANGED,
  SIGNAL_STATE_RECEIVED,
  SIGNAL_EXCLUDED,
  SIGNAL_FAILED,
  SIGNAL_STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void begin_work (GrpWorker *self);

/* ---- the log ---------------------------------------------------------- */

/* Every event is one JSON object on one line: "ev" first, then the
 * event's fields, then "t" (milliseconds since the Unix epoch, so that the
 * logs of several processes line up).  Consumers match on the "ev" prefix
 * and must ignore fields they do not know. */
static JsonBuilder *
log_begin (const char *ev)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ev");
  json_builder_add_string_value (b, ev);
  return b;
}

static void
log_add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
log_add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
log_add_color (JsonBuilder *b, const guint8 *rgb)
{
  json_builder_set_member_name (b, "color");
  json_builder_begin_array (b);
  for (guint i = 0; i < 3; i++)
    json_builder_add_int_value (b, rgb[i]);
  json_builder_end_array (b);
}

/* Each line is written and flushed as it happens, so a killed process
 * leaves a complete log up to its death. */
static gboolean
log_write (GrpWorker *self, JsonBuilder *b, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize len;
  int saved;

  log_add_int (b, "t", g_get_real_time () / 1000);
  json_builder_end_object (b);
  if (self->log == NULL)
    {
      g_object_unref (b);
      return TRUE;
    }
  root = json_builder_get_root (b);
  g_object_unref (b);
  json_generator_set_root (self->generator, root);
  text = json_generator_to_data (self->generator, &len);
  if (fwrite (text, 1, len, self->log) == len && fputc ('\n', self->log) != EOF &&
      fflush (self->log) == 0)
    return TRUE;
  /* A full disk: the log ends here, as a killed process's does (lines
   * after a gap would make it no log at all). */
  saved = errno;
  g_clear_pointer (&self->log, fclose);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
               "cannot write the log %s: %s", self->log_path, g_strerror (saved));
  return FALSE;
}

static void
log_end (GrpWorker *self, JsonBuilder *b)
{
  g_autoptr(GError) error = NULL;

  if (!log_write (self, b, &error))
    g_printerr ("%s: %s; it ends here\n", self->opt.name, error->message);
}

static void
log_simple (GrpWorker *self, const char *ev)
{
  log_end (self, log_begin (ev));
}

/* The `n`-th log of the process: FILE, then FILE.2, FILE.3 ... */
static char *
log_path_of (GrpWorker *self, guint n)
{
  if (n == 1)
    return g_strdup (self->opt.log);
  return g_strdup_printf ("%s.%u", self->opt.log, n);
}

static gboolean
open_log (GrpWorker *self, GError **error)
{
  JsonBuilder *b;

  g_clear_pointer (&self->log, fclose);
  g_free (self->log_path);
  self->log_path = log_path_of (self, ++self->n_logs);
  self->log = fopen (self->log_path, "w");
  if (self->log == NULL)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot write the log %s: %s", self->log_path, g_strerror (saved));
      return FALSE;
    }
  b = log_begin ("start");
  log_add_string (b, "name", self->opt.name);
  log_add_int (b, "pid", getpid ());
  log_add_string (b, "delivery", self->opt.safe ? "safe" : "agreed");
  log_add_string (b, "protocol", self->opt.protocol);
  return log_write (self, b, error);
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
set_last_seq (GrpWorker *self, guint64 seq)
{
  if (self->last_seq == seq)
    return;
  self->last_seq = seq;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
}

/* A "deliver" line's start: the position and its sender. */
static JsonBuilder *
log_delivery (guint64 seq, const char *from)
{
  JsonBuilder *b = log_begin ("deliver");

  log_add_int (b, "seq", (gint64) seq);
  log_add_string (b, "from", from);
  return b;
}

static void
on_delivered (GrpGroup *group, guint64 seq, const char *from, guint64 ctr, GBytes *payload,
              gpointer data)
{
  GrpWorker *self = data;
  gsize len;
  const guint8 *p = g_bytes_get_data (payload, &len);
  JsonBuilder *b;
  guint64 k;
  guint8 n;

  if (len != PAYLOAD_LEN || p[8] < 1 || p[8] > 20)
    {
      /* Not a worker's change: another program shares the group.  The
       * position is delivered all the same (groupy-check reads every
       * position of every log), the color unchanged; what was delivered
       * is told by its size and a digest, for the checker to compare. */
      g_autofree char *digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, p, len);

      g_debug ("a message from %s that is not a color change (%" G_GSIZE_FORMAT " bytes)",
               from, len);
      digest[16] = '\0';
      b = log_delivery (seq, from);
      log_add_int (b, "bytes", (gint64) len);
      log_add_string (b, "digest", digest);
      log_add_color (b, self->rgb);
      log_end (self, b);
      set_last_seq (self, seq);
      return;
    }
  memcpy (&k, p, 8);
  k = GUINT64_FROM_LE (k);
  n = p[8];
  grp_color_apply (self->rgb, n);
  push_history (self);
  b = log_delivery (seq, from);
  log_add_int (b, "id", (gint64) k);
  log_add_int (b, "change", n);
  log_add_color (b, self->rgb);
  log_end (self, b);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR]);
  set_last_seq (self, seq);
}

static void
on_view_changed (GrpGroup *group, guint64 view_id, guint64 seq, GStrv names, GStrv joined,
                 GStrv left, gpointer data)
{
  GrpWorker *self = data;
  gboolean first = self->view_id == 0;
  char *none[] = { NULL };
  g_autofree char *old_leader = g_strdup (self->members ? self->members[0] : NULL);
  JsonBuilder *b = log_begin ("view");

  log_add_int (b, "view", (gint64) view_id);
  log_add_int (b, "seq", (gint64) seq);
  log_add_string (b, "leader", names[0]);
  json_builder_set_member_name (b, "members");
  json_builder_begin_array (b);
  for (guint i = 0; names[i]; i++)
    json_builder_add_string_value (b, names[i]);
  json_builder_end_array (b);
  log_add_color (b, self->rgb);
  if (!first && left[0] != NULL)
    {
      /* Who went, and why as far as this member knew. */
      json_builder_set_member_name (b, "gone");
      json_builder_begin_object (b);
      for (guint i = 0; left[i]; i++)
        {
          const char *why = grp_group_get_departure_nick (group, left[i]);

          json_builder_set_member_name (b, left[i]);
          json_builder_add_string_value (b, why != NULL ? why : "unknown");
        }
      json_builder_end_object (b);
    }
  log_end (self, b);

  self->view_id = view_id;
  g_strfreev (self->members);
  self->members = g_strdupv (names);
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERS]);
  if (g_strcmp0 (old_leader, names[0]) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEADER]);
  set_last_seq (self, seq);
  g_object_thaw_notify (G_OBJECT (self));
  /* Who joined and who left, per incarnation (the library's lists); the
   * first view of an incarnation tells no change. */
  g_signal_emit (self, signals[SIGNAL_VIEW_CHANGED], 0, view_id, first ? none : joined,
                 first ? none : left, first);
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
  JsonBuilder *b;

  if (len != 3)
    {
      g_message ("ignoring a state of %zu bytes (a worker's state is 3)", len);
      return;
    }
  memcpy (self->rgb, p, 3);
  self->n_history = 0;
  push_history (self);
  b = log_begin ("state");
  log_add_int (b, "seq", (gint64) seq);
  log_add_color (b, self->rgb);
  log_end (self, b);
  /* A new incarnation: its first view is the one that admits it. */
  self->view_id = 0;
  g_clear_pointer (&self->members, g_strfreev);
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEADER]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR]);
  set_last_seq (self, seq);
  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[SIGNAL_STATE_RECEIVED], 0, seq);
}

static void
on_excluded (GrpGroup *group, gpointer data)
{
  GrpWorker *self = data;

  log_simple (self, "excluded");
  g_signal_emit (self, signals[SIGNAL_EXCLUDED], 0);
}

static void
on_failed (GrpGroup *group, const GError *error, gpointer data)
{
  GrpWorker *self = data;

  /* A failed first join is reported by start_finish, a failed switch by
   * join_other_finish; only losing a group we were in is news here. */
  if (self->joined && !self->switching)
    g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
}

static void
on_role (GObject *object, GParamSpec *pspec, gpointer data)
{
  g_object_notify_by_pspec (G_OBJECT (data), properties[PROP_ROLE]);
}

/* No quorum: the member delivers nothing new until enough of its view come
 * back, or until it learns that the others went on without it. */
static void
on_blocked (GObject *object, GParamSpec *pspec, gpointer data)
{
  GrpWorker *self = data;

  log_simple (self, grp_group_is_blocked (self->group) ? "blocked" : "unblocked");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BLOCKED]);
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
          JsonBuilder *b = log_begin ("send");

          self->sent++;
          log_add_int (b, "id", (gint64) self->sent);
          log_add_int (b, "change", payload[8]);
          log_end (self, b);
        }
    }
  schedule_send (self);
  return G_SOURCE_REMOVE;
}

static void
die (GrpWorker *self, GrpCrashCause cause)
{
  JsonBuilder *b = log_begin ("crash");

  log_add_string (b, "cause", cause == GRP_CRASH_USER ? "user" : "injected");
  log_end (self, b);
  /* No goodbye, no cleanup: exactly what kill -9 does. */
  kill (getpid (), SIGKILL);
  _exit (137);
}

static void
die_injected (gpointer data)
{
  die (data, GRP_CRASH_INJECTED);
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
  grp_group_arm_crash (self->group, (guint) g_rand_int_range (self->rand, 0, (gint32) n - 1),
                       die_injected, self);
  return G_SOURCE_CONTINUE;
}

static void
stop_work (GrpWorker *self)
{
  g_clear_handle_id (&self->send_id, g_source_remove);
  g_clear_handle_id (&self->crash_id, g_source_remove);
  if (self->crash_armed)
    grp_group_arm_crash (self->group, 0, NULL, NULL);
  self->crash_armed = FALSE;
}

void
grp_worker_quiesce (GrpWorker *self)
{
  stop_work (self);
  self->quiet = TRUE;
  self->opt.count = (gint64) self->sent;
  log_simple (self, "quiet");
}

void
grp_worker_resume (GrpWorker *self)
{
  if (self->stopping)
    return; /* leaving: nothing more to send, nor to crash for */
  self->quiet = FALSE;
  self->opt.count = -1;
  log_simple (self, "resume");
  if (self->send_id == 0)
    schedule_send (self);
  if (self->crash_id == 0 && self->opt.crash_rate > 0)
    self->crash_id = g_timeout_add (CRASH_ROLL_MS, crash_roll, self);
}

void
grp_worker_crash (GrpWorker *self)
{
  die (self, GRP_CRASH_USER);
}

void
grp_worker_set_sleep (GrpWorker *self, guint sleep_ms)
{
  self->opt.sleep_ms = (int) MIN (sleep_ms, GRP_LIMIT_SLEEP_MAX_MS);
  /* The wait under way may be far longer than the new pace allows. */
  if (self->send_id != 0)
    {
      g_clear_handle_id (&self->send_id, g_source_remove);
      schedule_send (self);
    }
}

void
grp_worker_set_crash_rate (GrpWorker *self, guint crash_rate)
{
  gboolean working = self->send_id != 0;

  self->opt.crash_rate = (int) MIN (crash_rate, GRP_LIMIT_CRASH_RATE_MAX);
  if (crash_rate == 0)
    {
      g_clear_handle_id (&self->crash_id, g_source_remove);
      if (self->crash_armed)
        grp_group_arm_crash (self->group, 0, NULL, NULL);
      self->crash_armed = FALSE;
    }
  else if (self->crash_id == 0 && working)
    self->crash_id = g_timeout_add (CRASH_ROLL_MS, crash_roll, self);
}

/* ---- commands on standard input (--commands) ------------------------- */

static void read_command (GrpWorker *self);

static gboolean
parse_number (const char *text, guint64 max, guint *out)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &n, NULL))
    return FALSE;
  *out = (guint) n;
  return TRUE;
}

static void
run_command (GrpWorker *self, const char *line)
{
  g_auto(GStrv) words = g_strsplit (g_strstrip ((char *) line), " ", 2);
  guint n;

  if (words[0] == NULL || words[0][0] == '\0')
    return;
  if (g_str_equal (words[0], "crash") && words[1] == NULL)
    grp_worker_crash (self);
  else if (g_str_equal (words[0], "sleep") && words[1] != NULL &&
           parse_number (words[1], GRP_LIMIT_SLEEP_MAX_MS, &n))
    grp_worker_set_sleep (self, n);
  else if (g_str_equal (words[0], "crash-rate") && words[1] != NULL &&
           parse_number (words[1], GRP_LIMIT_CRASH_RATE_MAX, &n))
    grp_worker_set_crash_rate (self, n);
  else if (g_str_equal (words[0], "quiet") && words[1] == NULL)
    grp_worker_quiesce (self);
  else if (g_str_equal (words[0], "resume") && words[1] == NULL)
    grp_worker_resume (self);
  /* A known command with a wrong number: what it takes, not "unknown". */
  else if (g_str_equal (words[0], "sleep") || g_str_equal (words[0], "crash-rate"))
    {
      gboolean sleep = g_str_equal (words[0], "sleep");
      g_autofree char *not = words[1] ? g_strdup_printf (", not \"%s\"", words[1]) : NULL;

      if (sleep)
        g_printerr ("%s: sleep takes MS from 0 to %d%s\n", self->opt.name, GRP_LIMIT_SLEEP_MAX_MS,
                    not ? not : "");
      else
        g_printerr ("%s: crash-rate takes N from 0 (off) to %d%s\n", self->opt.name,
                    GRP_LIMIT_CRASH_RATE_MAX, not ? not : "");
    }
  else
    g_printerr ("%s: unknown command \"%s\" (crash, sleep MS, crash-rate N, quiet, resume)\n",
                self->opt.name, line);
}

static gboolean
command_too_long (GrpWorker *self)
{
  g_printerr ("%s: a command longer than %u bytes: no more commands\n", self->opt.name,
              MAX_COMMAND);
  return FALSE;
}

/* Runs each whole line in `commands_in` (and at the end of input, what is
 * left).  A line must be UTF-8 text, and no longer than MAX_COMMAND (the
 * console's are a few bytes): FALSE once one is longer. */
static gboolean
run_lines (GrpWorker *self, gboolean at_end)
{
  GString *in = self->commands_in;
  char *nl;

  while ((nl = memchr (in->str, '\n', in->len)) != NULL || (at_end && in->len > 0))
    {
      gsize len = nl != NULL ? (gsize) (nl - in->str) : in->len;
      g_autofree char *line = g_strndup (in->str, len);

      g_string_erase (in, 0, nl != NULL ? (gssize) len + 1 : (gssize) len);
      if (len > MAX_COMMAND)
        return command_too_long (self);
      if (!g_utf8_validate (line, -1, NULL) || strlen (line) != len)
        g_printerr ("%s: a command that is not UTF-8 text, ignored\n", self->opt.name);
      else
        run_command (self, line);
    }
  return in->len <= MAX_COMMAND || command_too_long (self);
}

static void
command_read (GObject *source, GAsyncResult *res, gpointer data)
{
  GrpWorker *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res,
                                                               &error);
  gsize len = bytes != NULL ? g_bytes_get_size (bytes) : 0;

  if (len > 0)
    g_string_append_len (self->commands_in, g_bytes_get_data (bytes, NULL), (gssize) len);
  /* End of input (the console went away) or cancelled: no more commands. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ;
  else if (!run_lines (self, len == 0) || len == 0)
    g_clear_object (&self->commands);
  else
    read_command (self);
  g_object_unref (self);
}

static void
read_command (GrpWorker *self)
{
  if (self->commands == NULL || g_cancellable_is_cancelled (self->cancel))
    return;
  g_input_stream_read_bytes_async (self->commands, 4096, G_PRIORITY_DEFAULT, self->cancel,
                                   command_read, g_object_ref (self));
}

/* ---- lifecycle -------------------------------------------------------- */

static void
connect_group (GrpWorker *self)
{
  grp_group_set_safe_delivery (self->group, self->opt.safe);
  grp_group_set_timing (self->group, (guint) self->opt.heartbeat_ms, (guint) self->opt.suspect_ms);
  grp_group_set_get_state_func (self->group, get_state, self, NULL);
  grp_group_set_set_state_func (self->group, set_state, self, NULL);
  g_signal_connect (self->group, "delivered", G_CALLBACK (on_delivered), self);
  g_signal_connect (self->group, "view-changed", G_CALLBACK (on_view_changed), self);
  g_signal_connect (self->group, "excluded", G_CALLBACK (on_excluded), self);
  g_signal_connect (self->group, "failed", G_CALLBACK (on_failed), self);
  g_signal_connect (self->group, "notify::role", G_CALLBACK (on_role), self);
  g_signal_connect (self->group, "notify::blocked", G_CALLBACK (on_blocked), self);
}

GrpWorker *
grp_worker_new (GrpOptions *options)
{
  GrpWorker *self = g_object_new (GRP_TYPE_WORKER, NULL);

  self->opt = *options;
  memset (options, 0, sizeof *options);
  self->rand = self->opt.seed >= 0 ? g_rand_new_with_seed ((guint32) self->opt.seed)
                                   : g_rand_new ();
  self->group = grp_group_new (self->opt.name);
  connect_group (self);
  return self;
}

gboolean
grp_worker_prepare (GrpWorker *self, GError **error)
{
  if (!grp_group_set_protocol (self->group, self->opt.protocol, error))
    return FALSE;
  if (self->opt.secret_file != NULL &&
      !grp_group_set_secret_file (self->group, self->opt.secret_file, error))
    return FALSE;
  if (self->opt.tls_ca != NULL &&
      !grp_group_set_tls_files (self->group, self->opt.tls_ca, self->opt.tls_cert,
                                self->opt.tls_key, error))
    return FALSE;
  grp_group_set_insecure (self->group, self->opt.insecure);
  if (self->opt.log != NULL && !open_log (self, error))
    return FALSE;
  if (!grp_group_listen (self->group, self->opt.listen, self->opt.advertise, error))
    {
      /* The library's words, and the options that do what they say. */
      const char *hint = NULL;

      if (error == NULL || *error == NULL)
        hint = NULL;
      else if (g_error_matches (*error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_INSECURE))
        hint = "--secret-file FILE, made by --new-secret FILE; or --insecure";
      else if (g_error_matches (*error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_ADDRESS_IN_USE))
        hint = "--listen HOST:PORT";
      else if (g_error_matches (*error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_INVALID_ADDRESS) &&
               strstr ((*error)->message, "advertise") != NULL)
        hint = "--advertise HOST:PORT";
      if (hint != NULL)
        {
          g_autofree char *said = g_steal_pointer (&(*error)->message);

          (*error)->message = g_strdup_printf ("%s (%s)", said, hint);
        }
      return FALSE;
    }
  return TRUE;
}

/* The founder of a group picks its first color: a mid-range one, so that a
 * new group does not sit near black for its first hundred changes. */
static void
found_color (GrpWorker *self)
{
  for (guint i = 0; i < 3; i++)
    self->rgb[i] = (guint8) g_rand_int_range (self->rand, 40, 217);
  self->n_history = 0;
  push_history (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR]);
}

static void
begin_work (GrpWorker *self)
{
  self->joined = TRUE;
  if (self->n_history == 0)
    push_history (self);
  /* SIGUSR1 or SIGUSR2 may have come while joining: a quiet member starts
   * nothing, a resumed one has started already. */
  if (self->quiet)
    return;
  if (self->send_id == 0)
    schedule_send (self);
  if (self->crash_id == 0 && self->opt.crash_rate > 0)
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
  found_color (self);
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
join_other_done (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  GrpWorker *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (grp_group_join_finish (self->group, res, &error))
    {
      self->switching = FALSE;
      begin_work (self);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* Nobody admitted us: found a group of one again, so the window goes on
   * being a member of something -- unless a stop's leave ended the join:
   * then the worker stays out (founded from here, inside that leave, it
   * went on sending after "stopped"). */
  self->view_id = 0;
  g_clear_pointer (&self->members, g_strfreev);
  if (!self->stopping)
    {
      found_color (self);
      if (grp_group_create (self->group, NULL))
        begin_work (self);
    }
  self->switching = FALSE;
  g_task_return_error (task, error);
  g_object_unref (task);
}

void
grp_worker_join_other_async (GrpWorker *self, const char *contact, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GError) error = NULL;

  if (self->switching || grp_group_get_role (self->group) != GRP_ROLE_ALONE)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               "only a member alone in its group can join another");
      g_object_unref (task);
      return;
    }
  self->switching = TRUE;
  stop_work (self);
  /* Our group of one ends here; the next group gets a log of its own,
   * which the end of this one names ("next", beside it), so that a reader
   * of this log (groupy-demo, groupy-console) follows the process there. */
  if (self->opt.log != NULL)
    {
      g_autofree char *next = log_path_of (self, self->n_logs + 1);
      g_autofree char *base = g_path_get_basename (next);
      JsonBuilder *b = log_begin ("exit");

      log_add_string (b, "next", base);
      log_end (self, b);
    }
  if (self->opt.log != NULL && !open_log (self, &error))
    g_message ("%s", error->message);
  grp_group_join_async (self->group, contact, NULL, join_other_done, task);
}

gboolean
grp_worker_join_other_finish (GrpWorker *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
leave_done (GObject *source, GAsyncResult *res, gpointer data)
{
  GTask *task = data;
  GrpWorker *self = g_task_get_source_object (task);
  guint undelivered = grp_group_get_pending (self->group);
  JsonBuilder *b;

  grp_group_leave_finish (self->group, res, NULL);
  if (undelivered == 0)
    {
      log_simple (self, "exit");
      g_task_return_boolean (task, TRUE);
    }
  else
    {
      /* Not a clean end: what we sent may be lost, and the log must not
       * say that we lived to the end (groupy-check would expect it
       * delivered). */
      b = log_begin ("exit");
      json_builder_set_member_name (b, "clean");
      json_builder_add_boolean_value (b, FALSE);
      log_add_int (b, "undelivered", undelivered);
      log_end (self, b);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "stopped with %u of its own changes not delivered: %s",
                               undelivered,
                               self->blocked_at_leave || grp_group_is_blocked (self->group)
                                 ? "the group has no quorum, so it delivers nothing (they may "
                                   "be lost)"
                                 : "the group did not deliver them in time (they may be lost)");
    }
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
  /* A leave that runs out its bound ends the incarnation, and with it the
   * wait for a quorum: why it ran out is known only now. */
  self->blocked_at_leave = grp_group_is_blocked (self->group);
  grp_group_leave_async (self->group, NULL, leave_done, task);
  return G_SOURCE_REMOVE;
}

void
grp_worker_stop_async (GrpWorker *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  gint64 *deadline = g_new (gint64, 1);

  self->stopping = TRUE;
  stop_work (self); /* a crash already armed too: a stop is not a crash */
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
  g_autoptr(GError) error = NULL;

  grp_worker_stop_finish (self, res, &error);
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0, error);
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
  if (self->opt.commands && self->commands == NULL)
    {
      self->commands = g_unix_input_stream_new (STDIN_FILENO, FALSE);
      self->commands_in = g_string_new (NULL);
      read_command (self);
    }
}

void
grp_worker_log_shown (GrpWorker *self, guint32 color)
{
  guint8 rgb[3] = { (color >> 16) & 0xff, (color >> 8) & 0xff, color & 0xff };
  JsonBuilder *b = log_begin ("shown");

  log_add_color (b, rgb);
  log_end (self, b);
}

const char *
grp_worker_get_name (GrpWorker *self)
{
  return grp_group_get_name (self->group);
}

const char *
grp_worker_get_protocol (GrpWorker *self)
{
  return grp_group_get_protocol (self->group);
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
  return self->view_id;
}

const char *const *
grp_worker_get_members (GrpWorker *self)
{
  static const char *const none[] = { NULL };

  return self->members ? (const char *const *) self->members : none;
}

const char *
grp_worker_get_leader (GrpWorker *self)
{
  return self->members ? self->members[0] : NULL;
}

guint64
grp_worker_get_last_seq (GrpWorker *self)
{
  return self->last_seq;
}

const char *
grp_worker_get_departure (GrpWorker *self, const char *name)
{
  return grp_group_get_departure_nick (self->group, name);
}

gboolean
grp_worker_is_blocked (GrpWorker *self)
{
  return grp_group_is_blocked (self->group);
}

const guint32 *
grp_worker_get_history (GrpWorker *self, guint *n)
{
  *n = self->n_history;
  return self->history;
}

const char *
grp_worker_get_log_path (GrpWorker *self)
{
  return self->log_path;
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
      g_value_set_enum (value, grp_worker_get_role (self));
      break;
    case PROP_VIEW_ID:
      g_value_set_uint64 (value, self->view_id);
      break;
    case PROP_MEMBERS:
      g_value_set_boxed (value, self->members);
      break;
    case PROP_LEADER:
      g_value_set_string (value, grp_worker_get_leader (self));
      break;
    case PROP_LAST_SEQ:
      g_value_set_uint64 (value, self->last_seq);
      break;
    case PROP_BLOCKED:
      g_value_set_boolean (value, grp_worker_is_blocked (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_worker_dispose (GObject *object)
{
  GrpWorker *self = GRP_WORKER (object);

  g_cancellable_cancel (self->cancel);
  g_clear_object (&self->commands);
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

  g_clear_pointer (&self->log, fclose);
  g_free (self->log_path);
  if (self->commands_in != NULL)
    g_string_free (self->commands_in, TRUE);
  g_clear_object (&self->generator);
  g_clear_object (&self->cancel);
  g_strfreev (self->members);
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
    g_param_spec_enum ("role", NULL, NULL, GRP_TYPE_ROLE, GRP_ROLE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VIEW_ID] =
    g_param_spec_uint64 ("view-id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEMBERS] =
    g_param_spec_boxed ("members", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LEADER] =
    g_param_spec_string ("leader", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_SEQ] =
    g_param_spec_uint64 ("last-seq", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Waiting for a quorum (grp_group_is_blocked); logged as "blocked" and
   * "unblocked" when it changes. */
  properties[PROP_BLOCKED] =
    g_param_spec_boolean ("blocked", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A view was delivered: who joined and who is gone since the last one.
   * `first` is the first view of this membership (after creating the
   * group, or the one that admitted us with the state); then joined and
   * gone are empty. */
  signals[SIGNAL_VIEW_CHANGED] =
    g_signal_new ("view-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, G_TYPE_UINT64, G_TYPE_STRV, G_TYPE_STRV, G_TYPE_BOOLEAN);
  /* The state arrived, as of position `seq`: a new membership begins. */
  signals[SIGNAL_STATE_RECEIVED] =
    g_signal_new ("state-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
  /* The group went on without us (stopped or cut off too long); the worker
   * rejoins by itself. */
  signals[SIGNAL_EXCLUDED] =
    g_signal_new ("excluded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /* Left out of the group and could not rejoin: the worker is of no more
   * use.  (A failed first join is reported by grp_worker_start_finish.) */
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  /* It left the group (grp_worker_stop, SIGTERM, SIGINT); the error (or
   * NULL) says why the stop was not clean: own changes not delivered. */
  signals[SIGNAL_STOPPED] =
    g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
grp_worker_init (GrpWorker *self)
{
  self->generator = json_generator_new ();
  self->cancel = g_cancellable_new ();
}
