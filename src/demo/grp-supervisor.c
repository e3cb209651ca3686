/* grp-supervisor.c: worker processes, their logs, and the group's story. */
#define _XOPEN_SOURCE 700 /* waitid, P_PID, CLD_KILLED */
#include "grp-supervisor.h"
#include "grp-group-private.h"
#include "grp-limits.h"

#include "grp-proto.h"
#include "grp-security.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_MS 100
/* A worker's leave ends by its leave timeout (grp_group_leave_timeout_ms,
 * docs/PROTOCOL.md, "Leaving").  One still running STOP_GRACE_S after it
 * was asked to leave, or its leave timeout and STOP_SLACK_S more where
 * that is longer (a long --suspect-timeout), is stuck: it is said so, and
 * killed, so that a stop always ends. */
#define STOP_GRACE_S 30
#define STOP_SLACK_S 10

/* A stop asks the members to leave one at a time: each leave is then one
 * view change of those that stay, tens of ms.  Asked all at once, nobody
 * stays to install a view without them, and each waits out its leave's
 * timeout (docs/PROTOCOL.md, "Leaving").  The next is asked when the last
 * one asked has ended, or after this long if it has not (ms). */
#define STOP_STEP_MS 1500
/* Before the first leave of a stop every member is told to go quiet, and
 * the leaves wait until the members still running have delivered up to
 * one position and stayed there this long (ms), at most STOP_QUIET_MAX_MS:
 * otherwise the first to leave showed an older color than the last, and
 * the tiles ended the demo differing.  Checked every STOP_QUIET_POLL_MS. */
#define STOP_QUIET_STABLE_MS 300
#define STOP_QUIET_MAX_MS 2000
#define STOP_QUIET_POLL_MS 50

/* groupy-check reads some 20 MB of logs a second on a busy machine of two
 * cores, and a demo's logs in well under one.  A check that runs past this
 * many seconds, and one more for every MiB of the logs it reads, is stuck
 * (a bug, a machine out of memory): it is killed, and the verdict says the
 * logs were not checked.  The stop waited for it for ever, and only a stop
 * at once (a second Ctrl-C) ended it. */
#define CHECK_GRACE_S 15
#define CHECK_BYTES_PER_S (1024 * 1024)

/* ---- one member ------------------------------------------------------- */

struct _GrpMemberInfo {
  GObject parent_instance;

  char *name;
  guint32 color;
  char *role;
  guint64 view;
  guint64 seq;
  GrpMemberState state;
  char *status;

  /* The supervisor's side. */
  GSubprocess *proc;
  GOutputStream *commands;
  char *log;                /* its first log; its standard error is beside it */
  char *reading;            /* the log read now: `log`, or the next group's */
  GFileInputStream *log_in;
  GString *partial;         /* a line not yet ended by \n */
  char *addr;
  int slot;
  guint thaw_id;
  gboolean excluded;        /* left out; the next state is a rejoin */
  gboolean state_untold;    /* took a state: told after the view that admitted it */
  guint64 state_seq;
  gboolean dismissed;       /* asked to leave: no replacement */
  gboolean crash_asked;     /* Crash sent: a second click is none */
  gboolean founder;         /* started to found the group, not to join it */
  char *through;            /* the member it was started to join through */
  gboolean blocked;         /* without a quorum: it admits nobody */
  gboolean unblock_untold;  /* hears a quorum again: told once it goes on */
  gboolean told_end;        /* its crash or exit is in the story */
  gboolean asked_to_stop;   /* a stop sent it SIGTERM */
  gint64 stop_deadline;     /* and kills it then if it still runs (monotonic; 0: none) */
  gboolean switching;       /* joins another group: no view in it yet (switch_group) */
};

G_DEFINE_FINAL_TYPE (GrpMemberInfo, grp_member_info, G_TYPE_OBJECT)

enum {
  MEMBER_PROP_0,
  MEMBER_PROP_NAME,
  MEMBER_PROP_COLOR,
  MEMBER_PROP_ROLE,
  MEMBER_PROP_VIEW,
  MEMBER_PROP_SEQ,
  MEMBER_PROP_STATE,
  MEMBER_PROP_STATUS,
  MEMBER_N_PROPS
};

static GParamSpec *member_props[MEMBER_N_PROPS];

const char *
grp_member_info_get_name (GrpMemberInfo *self)
{
  return self->name;
}

guint32
grp_member_info_get_color (GrpMemberInfo *self)
{
  return self->color;
}

const char *
grp_member_info_get_role (GrpMemberInfo *self)
{
  return self->role;
}

guint64
grp_member_info_get_view (GrpMemberInfo *self)
{
  return self->view;
}

guint64
grp_member_info_get_seq (GrpMemberInfo *self)
{
  return self->seq;
}

GrpMemberState
grp_member_info_get_state (GrpMemberInfo *self)
{
  return self->state;
}

const char *
grp_member_info_get_status (GrpMemberInfo *self)
{
  return self->status;
}

gboolean
grp_member_info_is_alive (GrpMemberInfo *self)
{
  return self->state <= GRP_MEMBER_FROZEN;
}

static void
member_set_string (GrpMemberInfo *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), member_props[prop]);
}

static void
member_set_uint64 (GrpMemberInfo *self, guint64 *field, guint64 value, guint prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), member_props[prop]);
}

static void
member_set_color (GrpMemberInfo *self, guint32 color)
{
  if (self->color == color)
    return;
  self->color = color;
  g_object_notify_by_pspec (G_OBJECT (self), member_props[MEMBER_PROP_COLOR]);
}

static void
member_set_state (GrpMemberInfo *self, GrpMemberState state, const char *status)
{
  if (!grp_member_info_is_alive (self) && state <= GRP_MEMBER_FROZEN)
    return; /* the dead stay dead */
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), member_props[MEMBER_PROP_STATE]);
    }
  member_set_string (self, &self->status, status, MEMBER_PROP_STATUS);
  if (state > GRP_MEMBER_FROZEN)
    member_set_string (self, &self->role, "", MEMBER_PROP_ROLE);
}

/* What a member that runs again (thawed) is doing: what it did before, as
 * far as its log told; it said "running" of one still without a quorum. */
static const char *
member_running_status (GrpMemberInfo *self)
{
  return self->blocked ? "no quorum — waiting" : "running";
}

static void
grp_member_info_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GrpMemberInfo *self = GRP_MEMBER_INFO (object);

  switch (prop_id)
    {
    case MEMBER_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case MEMBER_PROP_COLOR:
      g_value_set_uint (value, self->color);
      break;
    case MEMBER_PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    case MEMBER_PROP_VIEW:
      g_value_set_uint64 (value, self->view);
      break;
    case MEMBER_PROP_SEQ:
      g_value_set_uint64 (value, self->seq);
      break;
    case MEMBER_PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case MEMBER_PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_member_info_dispose (GObject *object)
{
  GrpMemberInfo *self = GRP_MEMBER_INFO (object);

  g_clear_handle_id (&self->thaw_id, g_source_remove);
  g_clear_object (&self->commands);
  g_clear_object (&self->log_in);
  g_clear_object (&self->proc);
  G_OBJECT_CLASS (grp_member_info_parent_class)->dispose (object);
}

static void
grp_member_info_finalize (GObject *object)
{
  GrpMemberInfo *self = GRP_MEMBER_INFO (object);

  g_free (self->name);
  g_free (self->role);
  g_free (self->status);
  g_free (self->log);
  g_free (self->reading);
  g_free (self->addr);
  g_free (self->through);
  if (self->partial != NULL)
    g_string_free (self->partial, TRUE);
  G_OBJECT_CLASS (grp_member_info_parent_class)->finalize (object);
}

static void
grp_member_info_class_init (GrpMemberInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = grp_member_info_get_property;
  object_class->dispose = grp_member_info_dispose;
  object_class->finalize = grp_member_info_finalize;

  member_props[MEMBER_PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  member_props[MEMBER_PROP_COLOR] = g_param_spec_uint ("color", NULL, NULL, 0, 0xffffff, 0, flags);
  member_props[MEMBER_PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, flags);
  member_props[MEMBER_PROP_VIEW] =
    g_param_spec_uint64 ("view", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  member_props[MEMBER_PROP_SEQ] = g_param_spec_uint64 ("seq", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  member_props[MEMBER_PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, GRP_MEMBER_STARTING, GRP_MEMBER_FAILED,
                      GRP_MEMBER_STARTING, flags);
  member_props[MEMBER_PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, MEMBER_N_PROPS, member_props);
}

static void
grp_member_info_init (GrpMemberInfo *self)
{
  self->role = g_strdup ("joining");
  self->status = g_strdup ("starting");
  self->partial = g_string_new (NULL);
  self->slot = -1;
}

/* ---- the supervisor --------------------------------------------------- */

struct _GrpSupervisor {
  GObject parent_instance;

  GrpSupervisorConfig cfg;
  gboolean temp_dir;        /* made by us: removed at the end */
  char *moved_to;           /* where an earlier group's logs in log_dir went, or NULL */
  GListStore *members;
  guint next_name;
  guint poll_id;
  GRand *rand;
  guint pending;            /* members to start once the founder is in */
  GPtrArray *logs;          /* every worker's log, the replaced ones' too */
  GArray *log_groups;       /* guint: the group each of `logs` is of, from 0 */
  guint group;              /* the group members started now join: a switch begins one */
  guint check_group;        /* the next group whose logs groupy-check reads */
  guint check_runs;         /* groups whose logs it read */
  gboolean check_ok;        /* and its verdict over them, so far */
  GString *check_text;
  GHashTable *ended;        /* name -> how it ended ("crashed", "left") */
  guint respawn_id;
  gboolean told_all_gone;   /* "every member is gone" is in the story */
  guint64 view;
  gboolean formed;          /* a member was in a view once: the group was started */
  GStrv view_members;
  char *leader;
  guint64 positions;
  gboolean paused;
  gboolean stopping;
  gboolean hurried;         /* stopped at once: nobody leaves, nothing is checked */
  GSubprocess *checker;     /* groupy-check while it runs */
  GCancellable *check_cancel; /* its output, not waited for once it is killed */
  guint check_bound_id;     /* the bound of its run (CHECK_GRACE_S) */
  guint check_bound_s;      /* and that bound */
  gboolean check_overdue;   /* killed for running past it */
  gboolean unchecked;       /* some logs were not checked: they are kept */
  char *check_list;         /* the logs' names it reads (--files0-from), or NULL */
  guint stop_id;            /* the next end of a member's grace in a stop (stop_grace_s) */
  guint stop_step_id;       /* the next leave of a stop (STOP_STEP_MS), or the next look
                             * whether the group is quiet before the first */
  gint64 quiet_deadline;    /* the first leave of a stop goes by then, quiet or not */
  gint64 quiet_since;       /* the members running have been at quiet_seq since (0: not) */
  guint64 quiet_seq;
  gboolean quieting;        /* a stop waits for quiet: nobody is asked to leave yet */
  guint told_id;            /* the settings told once they settle (RATE_TOLD_MS) */
  guint told_rate;          /* the crash rate the story last told */
  guint told_sleep;         /* and the pace */
  gboolean stopped;
  gboolean all_gone;        /* every member started has ended */
  GCancellable *cancel;
};

G_DEFINE_FINAL_TYPE (GrpSupervisor, grp_supervisor, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_VIEW,
  PROP_LEADER,
  PROP_POSITIONS,
  PROP_PAUSED,
  PROP_STOPPED,
  PROP_ALL_GONE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_EVENT,
  SIGNAL_VERDICT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void spawn (GrpSupervisor *self, int slot, guint position);
static void stop_next (GrpSupervisor *self);
static gboolean stop_step (gpointer data);
static void poll_logs (GrpSupervisor *self);

static void G_GNUC_PRINTF (3, 4)
tell (GrpSupervisor *self, GrpEventKind kind, const char *fmt, ...)
{
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, kind, text);
}

void
grp_supervisor_config_clear (GrpSupervisorConfig *config)
{
  g_clear_pointer (&config->worker, g_free);
  g_clear_pointer (&config->checker, g_free);
  g_clear_pointer (&config->log_dir, g_free);
  g_clear_pointer (&config->protocol, g_free);
  g_clear_pointer (&config->secret_file, g_free);
}

static GrpMemberInfo *
member_at (GrpSupervisor *self, guint i)
{
  g_autoptr(GrpMemberInfo) m = g_list_model_get_item (G_LIST_MODEL (self->members), i);

  return m; /* the store holds a reference */
}

static guint
n_members (GrpSupervisor *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->members));
}

static GrpMemberInfo *
find_member (GrpSupervisor *self, const char *name)
{
  for (guint i = 0; i < n_members (self); i++)
    if (g_str_equal (member_at (self, i)->name, name))
      return member_at (self, i);
  return NULL;
}

static void
signal_member (GrpMemberInfo *m, int signum)
{
  if (m->proc != NULL && grp_member_info_is_alive (m))
    g_subprocess_send_signal (m->proc, signum);
}

static void
command (GrpMemberInfo *m, const char *line)
{
  g_autofree char *text = g_strdup_printf ("%s\n", line);

  /* A pipe write of a few bytes does not block; a dead reader's EPIPE is
   * no news (its death is). */
  if (m->commands != NULL && grp_member_info_is_alive (m))
    g_output_stream_write_all (m->commands, text, strlen (text), NULL, NULL, NULL);
}

/* Pause `m` or resume it, on its standard input, as SIGUSR1 and SIGUSR2
 * would.  Those signals' default action killed a worker that had not
 * prepared yet, and a frozen one handled those pending when it ran again
 * in their numbers' order, not the order they were sent: Pause, Resume,
 * Pause left it going on.  Its commands wait in order. */
static void
pause_member (GrpMemberInfo *m, gboolean paused)
{
  command (m, paused ? "quiet" : "resume");
}

/* A member that can admit a newcomer: alive, in a view, with an address,
 * with a quorum (one without admits nobody: the replacements of the
 * majority of a group, killed, were started through the one left, gave up
 * after a join's timeout, and were replaced in turn, without end).  Not
 * one whose process has ended when its end is not handled yet (GLib
 * reaps it before on_exit runs): of two killed at once, the first one's
 * replacement joined through the other, and could not. */
static GrpMemberInfo *
contact (GrpSupervisor *self)
{
  g_autoptr(GPtrArray) live = g_ptr_array_new ();

  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);

      if (m->state == GRP_MEMBER_RUNNING && m->addr != NULL && m->view > 0 && !m->blocked &&
          m->proc != NULL && g_subprocess_get_identifier (m->proc) != NULL)
        g_ptr_array_add (live, m);
    }
  if (live->len == 0)
    return NULL;
  return g_ptr_array_index (live, g_rand_int_range (self->rand, 0, (gint32) live->len));
}

/* ---- the story, from the logs ----------------------------------------- */

static guint32
read_color (JsonObject *o)
{
  JsonArray *a = json_object_has_member (o, "color") ? json_object_get_array_member (o, "color")
                                                     : NULL;
  guint32 c = 0;

  if (a == NULL || json_array_get_length (a) != 3)
    return 0;
  for (guint i = 0; i < 3; i++)
    c = (c << 8) | ((guint32) json_array_get_int_element (a, i) & 0xff);
  return c;
}

static char *
strv_join_minus (const char *const *a, const char *const *b)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; a != NULL && a[i] != NULL; i++)
    if (b == NULL || !g_strv_contains (b, a[i]))
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", a[i]);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Where a worker's standard error goes: beside its log, not into the
 * terminal or the console that tells the story (LOG ends in ".log"). */
static char *
err_path (const char *log)
{
  g_autofree char *stem = g_str_has_suffix (log, ".log") ? g_strndup (log, strlen (log) - 4)
                                                        : g_strdup (log);

  return g_strconcat (stem, ".err", NULL);
}

static gboolean any_alive (GrpSupervisor *self);

/* Whether a member is alive has changed. */
static void
update_all_gone (GrpSupervisor *self)
{
  gboolean all_gone = n_members (self) > 0 && !any_alive (self);

  if (all_gone == self->all_gone)
    return;
  self->all_gone = all_gone;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALL_GONE]);
}

static void
end_member (GrpSupervisor *self, GrpMemberInfo *m, GrpMemberState state, const char *status)
{
  g_clear_handle_id (&m->thaw_id, g_source_remove);
  member_set_state (m, state, status);
  m->told_end = TRUE;
  g_hash_table_replace (self->ended, g_strdup (m->name),
                        g_strdup (state == GRP_MEMBER_CRASHED ? "crashed"
                                  : state == GRP_MEMBER_LEFT ? "left"
                                  : "failed"));
  update_all_gone (self);
}

/* Whether `m`, ended by `sig`, was asked to leave and ended by SIGTERM's
 * default action before it handled it: it left as asked, not killed. */
static gboolean
left_by_sigterm (GrpMemberInfo *m, int sig)
{
  return sig == SIGTERM && (m->dismissed || m->asked_to_stop);
}

static void
tell_killed (GrpSupervisor *self, GrpMemberInfo *m, int sig)
{
  g_autofree char *status = g_strdup_printf ("killed (%s)", g_strsignal (sig));

  end_member (self, m, GRP_MEMBER_CRASHED, status);
  tell (self, GRP_EVENT_CRASH, "%s was killed from outside (%s)", m->name, g_strsignal (sig));
}

/* A member killed by a signal from outside (kill -9) writes no last line:
 * its end is told when its process is reaped (on_exit), and the others'
 * view without it may be read first.  If its process has ended by now,
 * the kill is told before that view, as an injected crash is: reaped
 * already (GSubprocess knows how it ended, and on_exit is still to come),
 * a zombie (waitid with WNOWAIT looks without reaping, so GSubprocess
 * still reaps it), or in between: reaped by GLib's worker thread, which
 * has not recorded it yet.  A member that ended otherwise wrote its last
 * line. */
static void
tell_killed_early (GrpSupervisor *self, const char *name)
{
  GrpMemberInfo *m = find_member (self, name);
  const char *pid = NULL;
  siginfo_t info = { 0 };
  int sig;

  if (m == NULL || m->proc == NULL || m->told_end || m->switching)
    return;
  pid = g_subprocess_get_identifier (m->proc);
  if (pid != NULL &&
      waitid (P_PID, (id_t) g_ascii_strtoull (pid, NULL, 10), &info,
              WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD)
    {
      /* GLib's worker thread reaped it and has not recorded its status
       * yet (it clears the pid after): a moment away.  The view waited
       * for nobody, and was told before the kill.  (The wait iterates a
       * context of its own: none of ours runs meanwhile.) */
      g_subprocess_wait (m->proc, NULL, NULL);
      pid = NULL;
    }
  if (pid == NULL)
    {
      if (!g_subprocess_get_if_signaled (m->proc))
        return;
      sig = g_subprocess_get_term_sig (m->proc);
    }
  else if (info.si_pid != 0 && (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED))
    sig = info.si_status;
  else
    return;
  if (left_by_sigterm (m, sig)) /* on_exit says */
    return;
  tell_killed (self, m, sig);
}

/* Why `name` is not in the new view: what the supervisor saw of its
 * process first, else what the member that told the view knew (`told`,
 * its "gone" object; NULL if none), else NULL. */
static const char *
gone_reason (GrpSupervisor *self, const char *name, JsonObject *told)
{
  GrpMemberInfo *m = find_member (self, name);
  const char *ended = g_hash_table_lookup (self->ended, name);
  const char *why = told != NULL ? json_object_get_string_member_with_default (told, name, "")
                                 : "";

  if (ended != NULL)
    return ended;
  if (m != NULL && m->state == GRP_MEMBER_CRASHED)
    return "crashed";
  if (m != NULL && m->state == GRP_MEMBER_LEFT)
    return "left";
  if (m != NULL && m->state == GRP_MEMBER_FROZEN)
    return "suspected: frozen, alive";
  if (g_str_equal (why, "crashed") || g_str_equal (why, "left"))
    return why;
  if (g_str_equal (why, "silent"))
    return "went silent";
  if (g_str_equal (why, "slow"))
    return "could not keep up";
  if (g_str_equal (why, "left-out"))
    return "left out";
  return NULL;
}

static void
group_view (GrpSupervisor *self, guint64 view, const char *leader, GStrv members, JsonObject *told)
{
  g_autofree char *joined = strv_join_minus ((const char *const *) members,
                                             (const char *const *) self->view_members);
  g_autoptr(GString) gone = g_string_new (NULL);
  g_autofree char *list = g_strjoinv (", ", members);
  gboolean new_leader = g_strcmp0 (leader, self->leader) != 0;

  for (guint i = 0; self->view_members != NULL && self->view_members[i] != NULL; i++)
    if (!g_strv_contains ((const char *const *) members, self->view_members[i]))
      tell_killed_early (self, self->view_members[i]);
  for (guint i = 0; self->view_members != NULL && self->view_members[i] != NULL; i++)
    if (!g_strv_contains ((const char *const *) members, self->view_members[i]))
      {
        const char *why = gone_reason (self, self->view_members[i], told);

        g_string_append_printf (gone, "%s%s", gone->len ? ", " : "", self->view_members[i]);
        if (why != NULL)
          g_string_append_printf (gone, " (%s)", why);
      }

  if (new_leader && self->leader != NULL)
    tell (self, GRP_EVENT_VIEW, "view %" G_GUINT64_FORMAT ": %s leads now%s%s — members %s",
          view, leader, gone->len ? "; gone: " : "", gone->str, list);
  else
    tell (self, GRP_EVENT_VIEW, "view %" G_GUINT64_FORMAT " led by %s%s%s%s%s — members %s",
          view, leader, joined[0] ? "; joined: " : "", joined, gone->len ? "; gone: " : "",
          gone->str, list);

  self->view = view;
  g_strfreev (self->view_members);
  self->view_members = g_strdupv (members);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW]);
  if (new_leader)
    {
      g_free (self->leader);
      self->leader = g_strdup (leader);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEADER]);
    }
}

/* "w4 joined with the state as of #1376" */
static void
tell_state (GrpSupervisor *self, GrpMemberInfo *m)
{
  m->state_untold = FALSE;
  tell (self, GRP_EVENT_JOIN, "%s %s with the state as of #%" G_GUINT64_FORMAT, m->name,
        m->excluded ? "rejoined" : "joined", m->state_seq);
  m->excluded = FALSE;
}

/* The log an "exit" names as the process's next ("next": a file beside
 * this one, not a path), or NULL. */
static const char *
exit_next (JsonObject *o)
{
  JsonNode *node = json_object_get_member (o, "next");
  const char *name;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  name = json_node_get_string (node);
  if (name[0] == '\0' || strchr (name, '/') != NULL || g_str_equal (name, ".") ||
      g_str_equal (name, ".."))
    return NULL;
  return name;
}

/* The group's positions reach `seq` at least. */
static void
see_position (GrpSupervisor *self, guint64 seq)
{
  if (seq <= self->positions)
    return;
  self->positions = seq;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POSITIONS]);
}

/* A log to check, and to remove unless kept, of the group members join now. */
static void
add_log (GrpSupervisor *self, const char *path)
{
  g_ptr_array_add (self->logs, g_strdup (path));
  g_array_append_val (self->log_groups, self->group);
}

/* `m` left its group of one to join another (the window's Join Another
 * Group) and writes on in `next`, a log beside the one it ended (FILE.2,
 * FILE.3 ...: one log per group).  The supervisor reads that one now: it
 * read the first alone, told "left the group", and said nothing more of the
 * member, which went on in the other group; the new log stayed in a
 * temporary folder, which could not be removed.  That group is another's:
 * its views are told from the start, and groupy-check reads its logs apart
 * (two groups' positions disagree), with those of the members that join it
 * through `m` from now on. */
static void
switch_group (GrpSupervisor *self, GrpMemberInfo *m, const char *next)
{
  g_autofree char *dir = g_path_get_dirname (m->reading);

  g_free (m->reading);
  m->reading = g_build_filename (dir, next, NULL);
  g_clear_object (&m->log_in);
  g_string_truncate (m->partial, 0);
  self->group++;
  add_log (self, m->reading);
  m->blocked = FALSE;
  m->excluded = FALSE;
  m->switching = TRUE;
  member_set_uint64 (m, &m->view, 0, MEMBER_PROP_VIEW);
  member_set_string (m, &m->role, "joining", MEMBER_PROP_ROLE);
  member_set_state (m, GRP_MEMBER_RUNNING, "joining another group");
  self->view = 0;
  g_clear_pointer (&self->view_members, g_strfreev);
  g_clear_pointer (&self->leader, g_free);
  /* The other group's positions from now on (its views and state say
   * where it is): the console's title gave the highest of the group left
   * until the other passed it. */
  self->positions = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEADER]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POSITIONS]);
  tell (self, GRP_EVENT_JOIN, "%s leaves its group of one and joins another (Join Another "
        "Group); its log goes on in %s", m->name, next);
}

static void
read_event (GrpSupervisor *self, GrpMemberInfo *m, JsonObject *o)
{
  const char *ev = json_object_get_string_member_with_default (o, "ev", "");
  gboolean still_waiting = FALSE;

  /* A worker logs the view it joined in right after its state; anything
   * else there (it crashed in between) tells the state first. */
  if (m->state_untold && !g_str_equal (ev, "view"))
    tell_state (self, m);
  /* "unblocked" says that the member hears a quorum of its view again, not
   * that it goes on: back from a freeze, it hears its peers, then learns
   * that they went on without it ("excluded", the same millisecond).  The
   * story said "has a quorum again and goes on" there.  It is told when the
   * member goes on: a view, a delivery; left out, blocked again, or ended,
   * it is not. */
  if (m->unblock_untold && (g_str_equal (ev, "view") || g_str_equal (ev, "deliver")))
    tell (self, GRP_EVENT_BLOCKED, "%s has a quorum again and goes on", m->name);
  if (m->unblock_untold &&
      (g_str_equal (ev, "view") || g_str_equal (ev, "deliver") || g_str_equal (ev, "excluded") ||
       g_str_equal (ev, "blocked") || g_str_equal (ev, "crash") || g_str_equal (ev, "exit")))
    {
      m->unblock_untold = FALSE;
      /* Waiting again: the story told that it waits, and never that it
       * stopped. */
      still_waiting = g_str_equal (ev, "blocked");
    }
  if (g_str_equal (ev, "deliver"))
    {
      guint64 seq = (guint64) json_object_get_int_member_with_default (o, "seq", 0);

      member_set_color (m, read_color (o));
      member_set_uint64 (m, &m->seq, seq, MEMBER_PROP_SEQ);
      see_position (self, seq);
    }
  else if (g_str_equal (ev, "view"))
    {
      guint64 view = (guint64) json_object_get_int_member_with_default (o, "view", 0);
      const char *leader = json_object_get_string_member_with_default (o, "leader", "?");
      JsonArray *a = json_object_has_member (o, "members")
                     ? json_object_get_array_member (o, "members") : NULL;
      g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
      g_auto(GStrv) members = NULL;
      guint n = a ? json_array_get_length (a) : 0;

      for (guint i = 0; i < n; i++)
        g_strv_builder_add (b, json_array_get_string_element (a, i));
      members = g_strv_builder_end (b);
      member_set_uint64 (m, &m->view, view, MEMBER_PROP_VIEW);
      member_set_uint64 (m, &m->seq,
                         (guint64) json_object_get_int_member_with_default (o, "seq", 0),
                         MEMBER_PROP_SEQ);
      see_position (self, m->seq);
      member_set_color (m, read_color (o));
      member_set_string (m, &m->role,
                         !g_str_equal (leader, m->name) ? "member" : n == 1 ? "alone" : "leader",
                         MEMBER_PROP_ROLE);
      if (m->state == GRP_MEMBER_STARTING || m->switching)
        member_set_state (m, GRP_MEMBER_RUNNING, "running");
      m->switching = FALSE;
      self->formed = TRUE;
      if (view > self->view && !self->stopping)
        {
          JsonNode *gone = json_object_get_member (o, "gone");

          group_view (self, view, leader, members,
                      gone != NULL && JSON_NODE_HOLDS_OBJECT (gone) ? json_node_get_object (gone)
                                                                    : NULL);
        }
      /* The view that admitted it told first, whoever's log gave it. */
      if (m->state_untold)
        tell_state (self, m);
    }
  else if (g_str_equal (ev, "state"))
    {
      guint64 seq = (guint64) json_object_get_int_member_with_default (o, "seq", 0);

      member_set_color (m, read_color (o));
      member_set_uint64 (m, &m->seq, seq, MEMBER_PROP_SEQ);
      see_position (self, seq);
      m->state_untold = TRUE;
      m->state_seq = seq;
    }
  else if (g_str_equal (ev, "excluded"))
    {
      m->excluded = TRUE;
      member_set_string (m, &m->role, "rejoining", MEMBER_PROP_ROLE);
      tell (self, GRP_EVENT_SUSPECT, "%s finds the group went on without it "
            "(suspected while alive) — it rejoins", m->name);
    }
  else if (g_str_equal (ev, "blocked"))
    {
      m->blocked = TRUE;
      if (m->state == GRP_MEMBER_RUNNING)
        member_set_state (m, GRP_MEMBER_RUNNING, member_running_status (m));
      if (!still_waiting)
        tell (self, GRP_EVENT_BLOCKED, "%s has no quorum: most of its view is out of its "
              "reach, so it waits, delivering nothing", m->name);
    }
  else if (g_str_equal (ev, "unblocked"))
    {
      m->blocked = FALSE;
      if (m->state == GRP_MEMBER_RUNNING)
        member_set_state (m, GRP_MEMBER_RUNNING, "running");
      /* Left out meanwhile: the story told so already. */
      if (!m->excluded)
        m->unblock_untold = TRUE;
    }
  else if (g_str_equal (ev, "crash"))
    {
      const char *cause = json_object_get_string_member_with_default (o, "cause", "");
      gboolean user = g_str_equal (cause, "user");
      g_autofree char *status = g_strdup_printf ("crashed (%s)", user ? "user" : "injected");

      end_member (self, m, GRP_MEMBER_CRASHED, status);
      if (user)
        tell (self, GRP_EVENT_CRASH, "%s crashed: asked to by the user (as kill -9)", m->name);
      else
        tell (self, GRP_EVENT_CRASH, "%s crashed: the injected fault, part-way through a broadcast",
              m->name);
    }
  else if (g_str_equal (ev, "exit") && exit_next (o) != NULL && m->proc != NULL &&
           grp_member_info_is_alive (m))
    switch_group (self, m, exit_next (o));
  else if (g_str_equal (ev, "exit") &&
           !json_object_get_boolean_member_with_default (o, "clean", TRUE))
    {
      gint64 n = json_object_get_int_member_with_default (o, "undelivered", 0);

      end_member (self, m, GRP_MEMBER_LEFT, "stopped");
      tell (self, GRP_EVENT_LEAVE, "%s stopped with %" G_GINT64_FORMAT " of its own changes "
            "undelivered (its group could not deliver them)", m->name, n);
    }
  else if (g_str_equal (ev, "exit"))
    {
      end_member (self, m, GRP_MEMBER_LEFT, "left");
      if (!self->stopping)
        tell (self, GRP_EVENT_LEAVE, "%s left the group", m->name);
    }
}

typedef struct {
  gint64 t;
  guint order;
  GrpMemberInfo *member;
  JsonObject *object;
} Line;

static int
line_cmp (gconstpointer a, gconstpointer b)
{
  const Line *x = a, *y = b;

  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* What every log says since the last poll, in the order of the lines'
 * times ("t"), so that a crash is told before the view that follows it. */
static void
poll_logs (GrpSupervisor *self)
{
  g_autoptr(GArray) lines = g_array_new (FALSE, FALSE, sizeof (Line));
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  guint order = 0;

  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);
      char buf[8192];
      gssize n;

      if (m->log_in == NULL)
        {
          g_autoptr(GFile) file = g_file_new_for_path (m->reading);

          m->log_in = g_file_read (file, NULL, NULL);
          if (m->log_in == NULL)
            continue; /* not written yet */
        }
      while ((n = g_input_stream_read (G_INPUT_STREAM (m->log_in), buf, sizeof buf,
                                       NULL, NULL)) > 0)
        g_string_append_len (m->partial, buf, n);
      for (char *nl; (nl = memchr (m->partial->str, '\n', m->partial->len)) != NULL;)
        {
          Line line = { 0, order++, m, NULL };

          *nl = '\0';
          if (json_parser_load_from_data (parser, m->partial->str, -1, NULL) &&
              JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            {
              line.object = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
              line.t = json_object_get_int_member_with_default (line.object, "t", 0);
              g_ptr_array_add (keep, line.object);
              g_array_append_val (lines, line);
            }
          g_string_erase (m->partial, 0, nl - m->partial->str + 1);
        }
    }
  g_array_sort (lines, line_cmp);
  for (guint i = 0; i < lines->len; i++)
    {
      Line *line = &g_array_index (lines, Line, i);

      read_event (self, line->member, line->object);
    }
}

static void start_pending (GrpSupervisor *self);

static gboolean
poll_tick (gpointer data)
{
  poll_logs (data);
  start_pending (data);
  return G_SOURCE_CONTINUE;
}

/* ---- processes -------------------------------------------------------- */

static void
child_setup (gpointer data)
{
  /* If the supervisor itself dies, its workers leave with it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  /* The supervisor ignores SIGPIPE (grp_supervisor_class_init); an ignored
   * signal stays ignored across exec, and a worker is not to inherit that. */
  signal (SIGPIPE, SIG_DFL);
  /* A group of its own: a terminal's Ctrl-C reaches the supervisor alone,
   * which asks the workers to leave one at a time (STOP_STEP_MS). */
  setpgid (0, 0);
}

static void check_done (GObject *source, GAsyncResult *res, gpointer data);
static void checked (GrpSupervisor *self, gboolean ok, const char *text);
static void finish_stop (GrpSupervisor *self);

static gboolean
all_ended (GrpSupervisor *self)
{
  for (guint i = 0; i < n_members (self); i++)
    if (member_at (self, i)->proc != NULL)
      return FALSE;
  return TRUE;
}

static void
remove_check_list (GrpSupervisor *self)
{
  if (self->check_list != NULL)
    g_unlink (self->check_list);
  g_clear_pointer (&self->check_list, g_free);
}

/* The names of every log written, each ended by a NUL byte, in a file of
 * the log folder, for groupy-check --files0-from: on its command line, the
 * logs of every worker ever started outgrew the kernel's limit in a long
 * session (a replacement every 10 s or so at the default crash rate, every
 * second at --crash-rate 10), and the checker did not run ("Argument list
 * too long").  Those of `group` alone (switch_group).  Sets check_list;
 * returns how many logs it names, or -1. */
static gint64
write_check_list (GrpSupervisor *self, guint group, guint64 *bytes, GError **error)
{
  g_autoptr(GString) names = g_string_new (NULL);
  g_autofree char *path = g_build_filename (self->cfg.log_dir, ".groupy-check-XXXXXX", NULL);
  gint64 n = 0;
  int fd;

  GStatBuf st;

  *bytes = 0;
  for (guint i = 0; i < self->logs->len; i++)
    if (g_array_index (self->log_groups, guint, i) == group &&
        g_stat (g_ptr_array_index (self->logs, i), &st) == 0)
      {
        g_string_append_len (names, g_ptr_array_index (self->logs, i),
                             (gssize) strlen (g_ptr_array_index (self->logs, i)) + 1);
        *bytes += (guint64) MAX (st.st_size, 0);
        n++;
      }
  if (n == 0)
    return 0;
  fd = g_mkstemp (path);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot write the list of logs in %s: %s", self->cfg.log_dir,
                   g_strerror (saved));
      return -1;
    }
  close (fd);
  self->check_list = g_steal_pointer (&path);
  if (!g_file_set_contents (self->check_list, names->str, (gssize) names->len, error))
    {
      remove_check_list (self);
      return -1;
    }
  return n;
}

static void
checker_setup (gpointer data)
{
  /* A group of its own, so that a kill reaches whatever it started too
   * (check_kill). */
  setpgid (0, 0);
}

/* Ends the checker now, and whatever it started (a wrapper's children),
 * without waiting for the output it will not finish: one of those could
 * hold its pipe open, and the stop would wait on it. */
static void
check_kill (GrpSupervisor *self)
{
  const char *pid = self->checker != NULL ? g_subprocess_get_identifier (self->checker) : NULL;

  if (pid != NULL)
    kill (-(pid_t) g_ascii_strtoll (pid, NULL, 10), SIGKILL);
  if (self->checker != NULL)
    g_subprocess_force_exit (self->checker);
  g_cancellable_cancel (self->check_cancel);
}

static gboolean
check_past_bound (gpointer data)
{
  GrpSupervisor *self = data;

  self->check_bound_id = 0;
  self->check_overdue = TRUE;
  check_kill (self);
  return G_SOURCE_REMOVE;
}

/* Runs groupy-check over the logs of the next group that wrote any (one
 * group, unless a member joined another: switch_group), for at most
 * CHECK_GRACE_S and a second per MiB of them; once every group's are read,
 * the verdict over them all. */
static void
check_next_group (GrpSupervisor *self)
{
  for (; self->check_group <= self->group; self->check_group++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) proc = NULL;
      g_autoptr(GSubprocessLauncher) launcher = NULL;
      guint64 bytes = 0;
      gint64 n = write_check_list (self, self->check_group, &bytes, &error);

      if (n == 0)
        continue;
      self->check_group++;
      if (n > 0)
        {
          launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                G_SUBPROCESS_FLAGS_STDERR_MERGE);
          g_subprocess_launcher_set_child_setup (launcher, checker_setup, NULL, NULL);
          proc = g_subprocess_launcher_spawn (launcher, &error, self->cfg.checker,
                                              "--files0-from", self->check_list, NULL);
        }
      if (proc == NULL)
        {
          tell (self, GRP_EVENT_PROBLEM, "cannot run the checker %s: %s", self->cfg.checker,
                error->message);
          check_done (NULL, NULL, self);
          return;
        }
      g_set_object (&self->checker, proc);
      g_clear_object (&self->check_cancel);
      self->check_cancel = g_cancellable_new ();
      self->check_overdue = FALSE;
      self->check_bound_s = CHECK_GRACE_S + (guint) MIN (bytes / CHECK_BYTES_PER_S, G_MAXUINT16);
      self->check_bound_id = g_timeout_add_seconds (self->check_bound_s, check_past_bound, self);
      g_subprocess_communicate_utf8_async (proc, NULL, self->check_cancel, check_done,
                                           g_object_ref (self));
      return;
    }
  if (self->check_runs == 0)
    {
      /* Nobody wrote a log (the founder could not start): the checker
       * would answer with its usage. */
      checked (self, FALSE, "no member wrote a log: nothing to check");
      return;
    }
  checked (self, self->check_ok, self->check_text->str);
}

static void
run_checker (GrpSupervisor *self)
{
  g_clear_handle_id (&self->stop_id, g_source_remove);
  g_clear_handle_id (&self->stop_step_id, g_source_remove);

  if (self->hurried)
    {
      finish_stop (self);
      return;
    }
  self->check_group = 0;
  self->check_runs = 0;
  self->check_ok = TRUE;
  g_string_truncate (self->check_text, 0);
  check_next_group (self);
}

static char *
thousands (guint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  GString *s = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

/* groupy-check's verdict, in words for the console: "25 logs agree on
 * 1,622 positions", or what it found wrong. */
static void
check_done (GObject *source, GAsyncResult *res, gpointer data)
{
  GrpSupervisor *self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  gboolean ok = FALSE;

  g_clear_handle_id (&self->check_bound_id, g_source_remove);
  g_clear_object (&self->checker);
  remove_check_list (self);
  if (self->hurried)
    {
      /* Killed by a stop at once: what it said is no verdict. */
      finish_stop (self);
      if (source != NULL)
        g_object_unref (self);
      return;
    }
  if (self->check_overdue)
    {
      /* Its output, if any, is no verdict: it did not get to the end. */
      self->unchecked = TRUE;
      text = g_strdup_printf ("the checker did not finish within %u s: killed; these logs are "
                              "not checked", self->check_bound_s);
    }
  else if (source != NULL &&
           g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &out, NULL, &error))
    {
      const char *line = g_strstrip (out);
      guint logs = 0;
      guint64 positions = 0;
      const char *p;

      ok = g_subprocess_get_if_exited (G_SUBPROCESS (source)) &&
           g_subprocess_get_exit_status (G_SUBPROCESS (source)) == 0;
      if (g_str_has_prefix (line, "groupy-check: "))
        line += strlen ("groupy-check: ");
      if (g_subprocess_get_if_signaled (G_SUBPROCESS (source)))
        {
          /* Killed from outside (out of memory, say): what it wrote, if
           * anything, is no verdict.  The verdict was empty. */
          self->unchecked = TRUE;
          text = g_strdup_printf ("the checker was killed (%s) before its verdict; these logs "
                                  "are not checked",
                                  g_strsignal (g_subprocess_get_term_sig (G_SUBPROCESS (source))));
        }
      else if (line[0] == '\0')
        {
          /* No verdict either, whatever its status. */
          ok = FALSE;
          self->unchecked = TRUE;
          text = g_strdup_printf ("the checker said nothing (status %d); these logs are not "
                                  "checked", g_subprocess_get_exit_status (G_SUBPROCESS (source)));
        }
      else if (ok && sscanf (line, "OK: %u logs", &logs) == 1 &&
          (p = strstr (line, " positions")) != NULL)
        {
          while (p > line && g_ascii_isdigit (p[-1]))
            p--;
          positions = g_ascii_strtoull (p, NULL, 10);
          {
            g_autofree char *pos = thousands (positions);

            text = g_strdup_printf ("%u logs agree on %s positions", logs, pos);
          }
        }
      else
        text = g_strdup (line);
    }
  else if (error != NULL)
    text = g_strdup_printf ("the checker did not run: %s", error->message);
  else
    text = g_strdup ("the checker did not run");

  /* One group's verdict; with more than one, each is named by its place. */
  self->check_runs++;
  self->check_ok = self->check_ok && ok;
  if (self->group > 0)
    g_string_append_printf (self->check_text, "%sgroup %u: %s",
                            self->check_text->len > 0 ? "; " : "", self->check_runs, text);
  else
    g_string_append (self->check_text, text);
  check_next_group (self);
  if (source != NULL)
    g_object_unref (self);
}

/* The verdict told, the logs removed unless kept: the supervisor is
 * stopped. */
static void
checked (GrpSupervisor *self, gboolean ok, const char *text)
{
  tell (self, ok ? GRP_EVENT_VERDICT : GRP_EVENT_PROBLEM, "groupy-check: %s", text);
  g_signal_emit (self, signals[SIGNAL_VERDICT], 0, ok, text);
  finish_stop (self);
}

/* The logs removed unless kept: the supervisor is stopped. */
static void
finish_stop (GrpSupervisor *self)
{
  if (self->stopped)
    return;
  if (self->unchecked && !self->cfg.keep_logs && self->temp_dir)
    tell (self, GRP_EVENT_CONTROL, "the logs are kept in %s, to check by hand (groupy-check)",
          self->cfg.log_dir);
  else if (self->cfg.keep_logs || !self->temp_dir)
    tell (self, GRP_EVENT_CONTROL, "the logs are kept in %s", self->cfg.log_dir);
  else
    {
      for (guint i = 0; i < self->logs->len; i++)
        {
          g_autofree char *err = err_path (g_ptr_array_index (self->logs, i));

          g_unlink (g_ptr_array_index (self->logs, i));
          g_unlink (err);
        }
      if (g_rmdir (self->cfg.log_dir) != 0)
        tell (self, GRP_EVENT_PROBLEM, "could not remove %s: %s", self->cfg.log_dir,
              g_strerror (errno));
    }
  self->stopped = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOPPED]);
}

static gboolean respawn_tick (gpointer data);

/* Replace the dead (not those asked to leave), each in its place, through
 * a member that can admit them; while none can (a view change is under
 * way), try again shortly.  When nobody is left, a replacement would found
 * a second group beside the first one's logs: say so instead. */
static gboolean
any_alive (GrpSupervisor *self)
{
  for (guint i = 0; i < n_members (self); i++)
    if (grp_member_info_is_alive (member_at (self, i)))
      return TRUE;
  return FALSE;
}

static void
respawn (GrpSupervisor *self)
{
  if (!any_alive (self))
    {
      /* Once: each death comes here, and members killed together all do. */
      if (!self->told_all_gone)
        tell (self, GRP_EVENT_PROBLEM, "every member is gone: nobody is left to join through");
      self->told_all_gone = TRUE;
      return;
    }
  self->told_all_gone = FALSE;
  if (contact (self) == NULL)
    {
      if (self->respawn_id == 0)
        self->respawn_id = g_timeout_add (250, respawn_tick, self);
      return;
    }
  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);

      if (!grp_member_info_is_alive (m) && !m->dismissed && m->proc == NULL &&
          !g_object_get_data (G_OBJECT (m), "replaced"))
        {
          g_object_set_data (G_OBJECT (m), "replaced", GINT_TO_POINTER (1));
          spawn (self, m->slot, i);
        }
    }
}

static gboolean
respawn_tick (gpointer data)
{
  GrpSupervisor *self = data;

  self->respawn_id = 0;
  if (!self->stopping)
    respawn (self);
  return G_SOURCE_REMOVE;
}

/* The last line `m` wrote on its standard error, if any (its last words
 * when it could not join or ended), from the file's last 4 KiB: at most
 * 200 characters of it. */
static char *
last_words (GrpMemberInfo *m)
{
  g_autofree char *path = err_path (m->log);
  char text[4097];
  g_auto(GStrv) lines = NULL;
  FILE *f = g_fopen (path, "rbe");
  gsize len = 0;

  if (f == NULL)
    return NULL;
  if (fseek (f, -4096, SEEK_END) != 0)
    rewind (f);
  len = fread (text, 1, sizeof text - 1, f);
  fclose (f);
  text[len] = '\0';
  lines = g_strsplit (g_strchomp (text), "\n", -1);
  for (guint i = g_strv_length (lines); i-- > 0;)
    if (*g_strstrip (lines[i]) != '\0')
      {
        const char *colon = strstr (lines[i], ": ");
        char *words = lines[i];

        if (!g_utf8_validate (words, -1, NULL))
          return NULL;
        /* "groupy-node: could not join the group: why" says "why" here */
        if (colon != NULL && memchr (words, ' ', (gsize) (colon - words)) == NULL)
          words = (char *) colon + 2;
        if (g_str_has_prefix (words, "could not join the group: "))
          words += strlen ("could not join the group: ");
        if (g_utf8_strlen (words, -1) > 200)
          *g_utf8_offset_to_pointer (words, 200) = '\0';
        return g_strdup (words);
      }
  return NULL;
}

static void
on_exit (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GrpMemberInfo) m = data;
  GrpSupervisor *self = g_object_get_data (G_OBJECT (m), "supervisor");
  GSubprocess *p = G_SUBPROCESS (source);
  guint position;

  if (!g_subprocess_wait_finish (p, res, NULL) || self == NULL)
    return; /* cancelled: the supervisor is going */
  poll_logs (self); /* its last lines say how it ended: tell that first */
  if (!m->told_end)
    {
      if (g_subprocess_get_if_signaled (p) && left_by_sigterm (m, g_subprocess_get_term_sig (p)))
        {
          /* Asked to leave before it handled SIGTERM (it had not prepared
           * yet): the signal's default action ended it, as asked. */
          end_member (self, m, GRP_MEMBER_LEFT, "left");
          if (!self->stopping)
            tell (self, GRP_EVENT_LEAVE, "%s left before it joined", m->name);
        }
      else if (m->switching)
        {
          /* Not a founder that could not start, nor a newcomer that could
           * not join this group: it was in one, and went for another. */
          g_autofree char *words = last_words (m);
          g_autofree char *how = g_subprocess_get_if_signaled (p)
            ? g_strdup_printf ("killed: %s", g_strsignal (g_subprocess_get_term_sig (p)))
            : g_strdup_printf ("status %d", g_subprocess_get_exit_status (p));

          end_member (self, m, GRP_MEMBER_CRASHED, "died joining another group");
          tell (self, GRP_EVENT_CRASH, "%s died while joining another group, before its first "
                "view there (%s)%s%s", m->name, how, words != NULL ? ": " : "",
                words != NULL ? words : "");
        }
      else if (g_subprocess_get_if_signaled (p))
        tell_killed (self, m, g_subprocess_get_term_sig (p));
      else if (g_subprocess_get_exit_status (p) == 2 && m->view == 0)
        {
          g_autofree char *words = last_words (m);

          end_member (self, m, GRP_MEMBER_FAILED,
                      m->founder ? "could not found the group" : "could not join");
          /* "w5 could not join the group through w2: could not reach
           * 127.0.0.1:41519: …": its words name the contact by address. */
          tell (self, GRP_EVENT_PROBLEM, "%s could not %s the group%s%s%s%s", m->name,
                m->founder ? "found" : "join", m->through != NULL ? " through " : "",
                m->through != NULL ? m->through : "", words != NULL ? ": " : "",
                words != NULL ? words : "");
        }
      else
        {
          g_autofree char *words = last_words (m);

          end_member (self, m, GRP_MEMBER_FAILED, "left out");
          tell (self, GRP_EVENT_PROBLEM, "%s ended (status %d)%s%s", m->name,
                g_subprocess_get_exit_status (p), words != NULL ? ": " : "",
                words != NULL ? words : "");
        }
    }
  g_clear_object (&m->proc);
  g_clear_object (&m->commands);
  if (self->stopping)
    {
      /* One that ends while the group goes quiet (killed, crashed) does not
       * cut the wait short: the first leave went at once, with the others
       * still delivering (stop_when_quiet asks it). */
      if (all_ended (self))
        run_checker (self);
      else if (!self->quieting)
        stop_next (self);
      return;
    }
  if (!self->formed && !any_alive (self))
    {
      /* The founder ended before the group was formed (why is told above):
       * nobody would start the others, and the group waited for ever.  Not
       * a member that went for another group (switch_group, which sets
       * the view to 0) and ended before its first view there: that group
       * was started, and this is no founder's failure. */
      tell (self, GRP_EVENT_PROBLEM, "the group could not be started");
      grp_supervisor_stop (self);
      return;
    }
  if (self->cfg.respawn && !m->dismissed && g_list_store_find (self->members, m, &position))
    respawn (self);
}

static void
got_address (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GrpMemberInfo) m = data;
  g_autofree char *line =
    g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), res, NULL, NULL);

  if (line != NULL && strstr (line, " listening on ") != NULL)
    m->addr = g_strdup (strrchr (line, ' ') + 1);
  /* The rest of its output is not read: it prints nothing more. */
  g_object_unref (source);
}

static int
free_slot (GrpSupervisor *self)
{
  for (int slot = 0;; slot++)
    {
      gboolean used = FALSE;

      for (guint i = 0; i < n_members (self) && !used; i++)
        used = member_at (self, i)->slot == slot && grp_member_info_is_alive (member_at (self, i));
      if (!used)
        return slot;
    }
}

/* Start a worker at `slot`; it takes the list position `position` (a dead
 * member's, which it replaces) or goes last (G_MAXUINT). */
static void
spawn (GrpSupervisor *self, int slot, guint position)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GrpMemberInfo) m = g_object_new (GRP_TYPE_MEMBER_INFO, NULL);
  GrpMemberInfo *through = contact (self);
  g_autofree char *err = NULL;
  GDataInputStream *out;

  m->name = g_strdup_printf ("w%u", ++self->next_name);
  m->log = g_strdup_printf ("%s/%s.log", self->cfg.log_dir, m->name);
  m->reading = g_strdup (m->log);
  add_log (self, m->log);
  m->slot = slot;
  g_ptr_array_add (argv, g_strdup (self->cfg.worker));
  g_ptr_array_add (argv, g_strdup ("--name"));
  g_ptr_array_add (argv, g_strdup (m->name));
  g_ptr_array_add (argv, g_strdup ("--log"));
  g_ptr_array_add (argv, g_strdup (m->log));
  g_ptr_array_add (argv, g_strdup ("--commands"));
  g_ptr_array_add (argv, g_strdup_printf ("--sleep=%u", self->cfg.sleep_ms));
  g_ptr_array_add (argv, g_strdup_printf ("--crash-rate=%u", self->cfg.crash_rate));
  g_ptr_array_add (argv, g_strdup_printf ("--protocol=%s", self->cfg.protocol));
  if (self->cfg.secret_file != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--secret-file=%s", self->cfg.secret_file));
  if (self->cfg.heartbeat_ms > 0)
    g_ptr_array_add (argv, g_strdup_printf ("--heartbeat=%u", self->cfg.heartbeat_ms));
  if (self->cfg.suspect_ms > 0)
    g_ptr_array_add (argv, g_strdup_printf ("--suspect-timeout=%u", self->cfg.suspect_ms));
  if (self->cfg.windows)
    {
      g_ptr_array_add (argv, g_strdup_printf ("--slot=%d", slot));
      g_ptr_array_add (argv, g_strdup_printf ("--color-rate=%u", self->cfg.color_rate));
      if (self->cfg.beside_width > 0 && self->cfg.beside_height > 0)
        g_ptr_array_add (argv, g_strdup_printf ("--beside=%ux%u", self->cfg.beside_width,
                                                self->cfg.beside_height));
    }
  if (through != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--join"));
      g_ptr_array_add (argv, g_strdup (through->addr));
    }
  m->founder = through == NULL;
  m->through = through != NULL ? g_strdup (through->name) : NULL;
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  err = err_path (m->log);
  g_subprocess_launcher_set_stderr_file_path (launcher, err);
  m->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  if (m->proc == NULL)
    {
      tell (self, GRP_EVENT_PROBLEM, "cannot start %s: %s", self->cfg.worker, error->message);
      return;
    }
  m->commands = g_object_ref (g_subprocess_get_stdin_pipe (m->proc));
  g_object_set_data (G_OBJECT (m), "supervisor", self);
  if (position < n_members (self))
    g_list_store_splice (self->members, position, 1, (gpointer *) &m, 1);
  else
    g_list_store_append (self->members, m);
  update_all_gone (self);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (m->proc));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, self->cancel, got_address,
                                       g_object_ref (m));
  g_subprocess_wait_async (m->proc, self->cancel, on_exit, g_object_ref (m));
  if (self->paused)
    pause_member (m, TRUE);
  if (through != NULL)
    tell (self, GRP_EVENT_CONTROL, "%s starts and joins through %s", m->name, through->name);
  else
    tell (self, GRP_EVENT_CONTROL, "%s starts and founds the group", m->name);
}

/* ---- public ----------------------------------------------------------- */

char *
grp_supervisor_find_program (const char *name)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  const char *candidates[] = { ".", "../app", "../node", "../check", "../demo" };

  for (guint i = 0; dir != NULL && i < G_N_ELEMENTS (candidates); i++)
    {
      char *path = g_build_filename (dir, candidates[i], name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        return path;
      g_free (path);
    }
  return g_find_program_in_path (name);
}


/* A log folder given by the user may hold an earlier group's logs: read
 * with the new ones, they told its story as this group's (crashes of
 * members that run, an old leader) and made groupy-check compare two
 * groups.  They go into a folder of their own inside it, kept. */
static gboolean
move_earlier_logs (GrpSupervisor *self, GError **error)
{
  g_autoptr(GDir) dir = g_dir_open (self->cfg.log_dir, 0, error);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "earlier-%Y%m%d-%H%M%S");
  g_autofree char *dest = NULL;
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (self->cfg.log_dir, name, NULL);
      g_autofree char *to = NULL;

      if ((!g_str_has_suffix (name, ".log") && !g_str_has_suffix (name, ".err")) ||
          !g_file_test (from, G_FILE_TEST_IS_REGULAR))
        continue;
      for (guint i = 1; dest == NULL; i++)
        {
          g_autofree char *candidate = i == 1 ? g_build_filename (self->cfg.log_dir, stamp, NULL)
                                              : g_strdup_printf ("%s/%s-%u", self->cfg.log_dir,
                                                                 stamp, i);

          if (g_mkdir (candidate, 0755) == 0)
            dest = g_steal_pointer (&candidate);
          else if (errno != EEXIST || i > 100)
            {
              int saved = errno;

              g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                           "%s holds an earlier group's logs, and %s cannot be made to keep "
                           "them: %s", self->cfg.log_dir, candidate, g_strerror (saved));
              return FALSE;
            }
        }
      to = g_build_filename (dest, name, NULL);
      if (g_rename (from, to) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "cannot move an earlier group's log %s to %s: %s", from, dest,
                       g_strerror (saved));
          return FALSE;
        }
    }
  self->moved_to = g_steal_pointer (&dest);
  return TRUE;
}

/* Whether the workers can write their logs (and standard error) in the
 * log folder: none of them could be started in one they cannot, and the
 * group waited for its founder for ever. */
static gboolean
check_writable (const char *dir, GError **error)
{
  g_autofree char *probe = g_build_filename (dir, ".groupy-demo-XXXXXX", NULL);
  int fd = g_mkstemp (probe);

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot write the logs in %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  g_unlink (probe);
  return TRUE;
}

static gboolean
protocol_known (const char *protocol, GError **error)
{
  if (grp_proto_find (protocol) != NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--protocol takes %s, not \"%s\"",
               grp_proto_names (), protocol);
  return FALSE;
}

GrpSupervisor *
grp_supervisor_new (GrpSupervisorConfig *config, GError **error)
{
  g_autoptr(GrpSupervisor) self = g_object_new (GRP_TYPE_SUPERVISOR, NULL);

  self->cfg = *config;
  memset (config, 0, sizeof *config);
  self->told_rate = self->cfg.crash_rate;
  self->told_sleep = self->cfg.sleep_ms;
  if (self->cfg.protocol == NULL)
    self->cfg.protocol = g_strdup (grp_proto_default ()->name);
  if (!protocol_known (self->cfg.protocol, error))
    return NULL;
  if (self->cfg.log_dir == NULL)
    {
      self->cfg.log_dir = g_dir_make_tmp ("groupy-demo-XXXXXX", error);
      if (self->cfg.log_dir == NULL)
        return NULL;
      self->temp_dir = TRUE;
    }
  else if (g_mkdir_with_parents (self->cfg.log_dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot make %s: %s",
                   self->cfg.log_dir, g_strerror (saved));
      return NULL;
    }
  else if (!check_writable (self->cfg.log_dir, error) || !move_earlier_logs (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
grp_supervisor_start (GrpSupervisor *self, guint n)
{
  if (self->moved_to != NULL)
    tell (self, GRP_EVENT_CONTROL, "%s held an earlier group's logs: they are kept in %s",
          self->cfg.log_dir, self->moved_to);
  /* The first founds the group; the others need its address, which comes
   * on its first line of output: start them once it is known. */
  spawn (self, free_slot (self), G_MAXUINT);
  self->pending = n > 0 ? n - 1 : 0;
  if (self->poll_id == 0)
    self->poll_id = g_timeout_add (POLL_MS, poll_tick, self);
}

static void
start_pending (GrpSupervisor *self)
{
  if (self->pending == 0 || self->stopping || contact (self) == NULL)
    return;
  for (; self->pending > 0; self->pending--)
    spawn (self, free_slot (self), G_MAXUINT);
}

GListModel *
grp_supervisor_get_members (GrpSupervisor *self)
{
  return G_LIST_MODEL (self->members);
}

const char *
grp_supervisor_get_log_dir (GrpSupervisor *self)
{
  return self->cfg.log_dir;
}

const char *
grp_supervisor_get_protocol (GrpSupervisor *self)
{
  return self->cfg.protocol;
}

guint64
grp_supervisor_get_view (GrpSupervisor *self)
{
  return self->view;
}

const char *
grp_supervisor_get_leader (GrpSupervisor *self)
{
  return self->leader;
}

guint64
grp_supervisor_get_positions (GrpSupervisor *self)
{
  return self->positions;
}

gboolean
grp_supervisor_get_paused (GrpSupervisor *self)
{
  return self->paused;
}

gboolean
grp_supervisor_is_stopped (GrpSupervisor *self)
{
  return self->stopped;
}

gboolean
grp_supervisor_get_all_gone (GrpSupervisor *self)
{
  return self->all_gone;
}

gboolean
grp_supervisor_get_switching (GrpSupervisor *self)
{
  for (guint i = 0; i < n_members (self); i++)
    if (member_at (self, i)->switching)
      return TRUE;
  return FALSE;
}

void
grp_supervisor_add_member (GrpSupervisor *self)
{
  guint alive = 0;
  guint position = G_MAXUINT;

  if (self->stopping)
    return;
  /* Add Member held down repeats: one more process each time, without
   * end. */
  for (guint i = 0; i < n_members (self); i++)
    alive += grp_member_info_is_alive (member_at (self, i));
  if (alive >= GRP_SUPERVISOR_MAX_MEMBERS)
    {
      tell (self, GRP_EVENT_PROBLEM, "the group has %u members, the most it runs",
            GRP_SUPERVISOR_MAX_MEMBERS);
      return;
    }
  if (alive == 0 && n_members (self) > 0)
    {
      /* A newcomer would found a second group beside the first one's
       * logs, as in respawn. */
      tell (self, GRP_EVENT_PROBLEM, "every member is gone: nobody is left to join through");
      return;
    }
  if (contact (self) == NULL && n_members (self) > 0)
    {
      tell (self, GRP_EVENT_PROBLEM, "no member can admit a newcomer right now");
      return;
    }
  /* The newcomer takes the place of one that left when asked, as a
   * replacement takes a dead one's: Leave and Add, again and again, piled
   * up the tiles of those gone, each with its log open and read. */
  for (guint i = 0; i < n_members (self); i++)
    if (member_at (self, i)->dismissed && member_at (self, i)->proc == NULL)
      {
        position = i;
        break;
      }
  spawn (self, free_slot (self), position);
}

void
grp_supervisor_crash (GrpSupervisor *self, GrpMemberInfo *m)
{
  if (!grp_member_info_is_alive (m) || self->stopping || m->crash_asked)
    return;
  m->crash_asked = TRUE;
  tell (self, GRP_EVENT_CONTROL, "Crash %s", m->name);
  command (m, "crash");
  if (m->state == GRP_MEMBER_FROZEN)
    signal_member (m, SIGCONT); /* it dies as soon as it runs */
}

static gboolean
thaw (gpointer data)
{
  GrpMemberInfo *m = data;
  GrpSupervisor *self = g_object_get_data (G_OBJECT (m), "supervisor");

  m->thaw_id = 0;
  signal_member (m, SIGCONT);
  if (m->state == GRP_MEMBER_FROZEN)
    {
      member_set_state (m, GRP_MEMBER_RUNNING, member_running_status (m));
      tell (self, GRP_EVENT_CONTROL, "%s thawed (SIGCONT): it finds out what it missed", m->name);
    }
  return G_SOURCE_REMOVE;
}

void
grp_supervisor_freeze (GrpSupervisor *self, GrpMemberInfo *m, guint seconds)
{
  g_autofree char *status = NULL;

  if (m->state != GRP_MEMBER_RUNNING || self->stopping || seconds == 0)
    return;
  status = g_strdup_printf ("frozen for %u s", seconds);
  signal_member (m, SIGSTOP);
  member_set_state (m, GRP_MEMBER_FROZEN, status);
  m->thaw_id = g_timeout_add_seconds (seconds, thaw, m);
  tell (self, GRP_EVENT_CONTROL, "%s frozen for %u s (SIGSTOP): alive, but silent", m->name,
        seconds);
}

void
grp_supervisor_leave (GrpSupervisor *self, GrpMemberInfo *m)
{
  if (!grp_member_info_is_alive (m) || self->stopping || m->dismissed)
    return;
  m->dismissed = TRUE;
  tell (self, GRP_EVENT_CONTROL, "%s asked to leave (SIGTERM)", m->name);
  signal_member (m, SIGTERM);
  if (m->state == GRP_MEMBER_FROZEN)
    {
      /* Thawed now: its freeze's timer goes (left, it fired on the member
       * once the member was gone). */
      g_clear_handle_id (&m->thaw_id, g_source_remove);
      thaw (m);
    }
}

void
grp_supervisor_set_paused (GrpSupervisor *self, gboolean paused)
{
  if (self->paused == paused || self->stopping)
    return;
  self->paused = paused;
  for (guint i = 0; i < n_members (self); i++)
    pause_member (member_at (self, i), paused);
  tell (self, GRP_EVENT_CONTROL,
        paused ? "group paused (quiet on stdin, as SIGUSR1): no more changes, deliveries go on"
               : "group resumed (resume on stdin, as SIGUSR2)");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

/* A spin button held down steps the pace or the crash rate many times a
 * second: the story tells where it came to rest, once, not every step on
 * the way. */
#define RATE_TOLD_MS 600

/* Tells what changed of the pace and the crash rate since last told. */
static gboolean
tell_settled (gpointer data)
{
  GrpSupervisor *self = data;

  self->told_id = 0;
  if (self->cfg.sleep_ms != self->told_sleep)
    {
      self->told_sleep = self->cfg.sleep_ms;
      tell (self, GRP_EVENT_CONTROL, "pace %u ms (sleep on stdin): each member waits up to that "
            "between its changes", self->cfg.sleep_ms);
    }
  if (self->cfg.crash_rate != self->told_rate)
    {
      self->told_rate = self->cfg.crash_rate;
      if (self->cfg.crash_rate == 0)
        tell (self, GRP_EVENT_CONTROL, "crash rate 0 (crash-rate on stdin): no injected crashes");
      else
        tell (self, GRP_EVENT_CONTROL, "crash rate 1 in %u every 100 ms (crash-rate on stdin): "
              "the leader may crash part-way through a broadcast", self->cfg.crash_rate);
    }
  return G_SOURCE_REMOVE;
}

/* The story tells the settings RATE_TOLD_MS after their last change. */
static void
tell_when_settled (GrpSupervisor *self)
{
  g_clear_handle_id (&self->told_id, g_source_remove);
  self->told_id = g_timeout_add (RATE_TOLD_MS, tell_settled, self);
}

void
grp_supervisor_set_sleep (GrpSupervisor *self, guint sleep_ms)
{
  g_autofree char *line = g_strdup_printf ("sleep %u", sleep_ms);

  if (self->cfg.sleep_ms == sleep_ms)
    return;
  self->cfg.sleep_ms = sleep_ms;
  for (guint i = 0; i < n_members (self); i++)
    command (member_at (self, i), line);
  tell_when_settled (self);
}

guint
grp_supervisor_get_sleep (GrpSupervisor *self)
{
  return self->cfg.sleep_ms;
}

void
grp_supervisor_set_crash_rate (GrpSupervisor *self, guint crash_rate)
{
  g_autofree char *line = g_strdup_printf ("crash-rate %u", crash_rate);

  if (self->cfg.crash_rate == crash_rate)
    return;
  self->cfg.crash_rate = crash_rate;
  /* A stop turned crash injection off for every member (grp_supervisor_
   * stop): the rate is for the next group now. */
  if (self->stopping)
    return;
  for (guint i = 0; i < n_members (self); i++)
    command (member_at (self, i), line);
  tell_when_settled (self);
}

guint
grp_supervisor_get_crash_rate (GrpSupervisor *self)
{
  return self->cfg.crash_rate;
}

void
grp_supervisor_set_keep_logs (GrpSupervisor *self, gboolean keep)
{
  self->cfg.keep_logs = keep;
}

/* What the kernel says of a process that does not end: its state (R
 * running, S sleeping, T stopped...) and where it sleeps. */
static char *
describe_process (const char *pid)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *wchan_path = g_strdup_printf ("/proc/%s/wchan", pid);
  g_autofree char *stat = NULL;
  g_autofree char *wchan = NULL;
  const char *paren;

  if (!g_file_get_contents (stat_path, &stat, NULL, NULL) ||
      (paren = strrchr (stat, ')')) == NULL || paren[1] == '\0' || paren[2] == '\0')
    return g_strdup ("state unknown");
  g_file_get_contents (wchan_path, &wchan, NULL, NULL);
  return g_strdup_printf ("state %c, waiting in %s", paren[2],
                          wchan != NULL && wchan[0] != '\0' && !g_str_equal (wchan, "0")
                            ? wchan : "no kernel call");
}

static gboolean stop_overdue (gpointer data);

/* How long a member asked to leave may take (s): see STOP_GRACE_S.  The
 * grace was 30 s whatever the members' times, and a member given a
 * suspicion timeout over 10 s, whose leave may take three of them, was
 * killed while it waited out a leave it would have ended itself. */
static guint
stop_grace_s (GrpSupervisor *self)
{
  guint64 leave_ms = grp_group_leave_timeout_ms (self->cfg.suspect_ms > 0
                                                  ? self->cfg.suspect_ms
                                                  : GRP_LIMIT_SUSPECT_DEFAULT_MS);

  return (guint) MAX (STOP_GRACE_S, (leave_ms + 999) / 1000 + STOP_SLACK_S);
}

/* Waits for the earliest end of a grace (stop_grace_s) among the members
 * asked to leave that still run. */
static void
stop_grace_next (GrpSupervisor *self)
{
  gint64 first = 0;

  g_clear_handle_id (&self->stop_id, g_source_remove);
  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);

      if (m->proc != NULL && m->stop_deadline > 0 && (first == 0 || m->stop_deadline < first))
        first = m->stop_deadline;
    }
  if (first > 0)
    self->stop_id = g_timeout_add ((guint) (MAX (first - g_get_monotonic_time (), 0) / 1000 + 1),
                                   stop_overdue, self);
}

/* Kills the members asked to leave stop_grace_s ago or more that still
 * run.  The grace ran from the stop's beginning, for every member at once:
 * those asked late (the members are asked STOP_STEP_MS apart when they do
 * not end), or not yet, were killed with the others, and the story said
 * of each that it had not left within the grace of being asked. */
static gboolean
stop_overdue (gpointer data)
{
  GrpSupervisor *self = data;
  gint64 now = g_get_monotonic_time ();

  self->stop_id = 0;
  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);
      const char *pid;
      g_autofree char *what = NULL;

      if (m->proc == NULL || m->stop_deadline == 0 || m->stop_deadline > now)
        continue;
      m->stop_deadline = 0;
      if ((pid = g_subprocess_get_identifier (m->proc)) == NULL)
        continue; /* it has just ended: on_exit tells how */
      what = describe_process (pid);
      tell (self, GRP_EVENT_PROBLEM, "%s did not leave within %u s of being asked (pid %s, %s): "
            "killed", m->name, stop_grace_s (self), pid, what);
      end_member (self, m, GRP_MEMBER_CRASHED, "killed: it did not leave");
      g_subprocess_force_exit (m->proc);
    }
  stop_grace_next (self);
  return G_SOURCE_REMOVE;
}

/* Asks the next member still running to leave (the leader last, so the
 * lead changes once), and the one after it in STOP_STEP_MS unless this
 * one ends first (on_exit calls us again). */
static void
stop_next (GrpSupervisor *self)
{
  GrpMemberInfo *next = NULL;

  g_clear_handle_id (&self->stop_step_id, g_source_remove);
  if (self->hurried)
    return; /* every one still running was killed */
  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);

      if (m->proc == NULL || m->asked_to_stop)
        continue;
      if (next == NULL || (self->leader != NULL && g_strcmp0 (next->name, self->leader) == 0))
        next = m;
    }
  if (next == NULL)
    return;
  next->asked_to_stop = TRUE;
  next->stop_deadline = g_get_monotonic_time () + (gint64) stop_grace_s (self) * G_USEC_PER_SEC;
  g_subprocess_send_signal (next->proc, SIGTERM);
  self->stop_step_id = g_timeout_add (STOP_STEP_MS, stop_step, self);
  if (self->stop_id == 0)
    stop_grace_next (self);
}

static gboolean
stop_step (gpointer data)
{
  GrpSupervisor *self = data;

  self->stop_step_id = 0;
  stop_next (self);
  return G_SOURCE_REMOVE;
}

/* The first leave of a stop, once the members still running have
 * delivered up to one position and stayed there (or at the bound): each
 * then leaves showing the group's last color. */
static gboolean
stop_when_quiet (gpointer data)
{
  GrpSupervisor *self = data;
  gint64 now = g_get_monotonic_time ();
  gboolean one = TRUE;
  guint64 seq = 0;
  guint n = 0;

  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);

      if (m->proc == NULL || m->state != GRP_MEMBER_RUNNING)
        continue;
      if (n++ > 0 && m->seq != seq)
        one = FALSE;
      seq = m->seq;
    }
  if (!one || self->quiet_since == 0 || seq != self->quiet_seq)
    {
      self->quiet_since = one ? now : 0;
      self->quiet_seq = seq;
    }
  if (now < self->quiet_deadline &&
      (self->quiet_since == 0 || now - self->quiet_since < STOP_QUIET_STABLE_MS * 1000))
    return G_SOURCE_CONTINUE;
  self->stop_step_id = 0;
  self->quieting = FALSE;
  if (self->quiet_since == 0)
    tell (self, GRP_EVENT_CONTROL, "the members running did not come to one position within "
          "%d ms of going quiet: they leave as they are", STOP_QUIET_MAX_MS);
  stop_next (self);
  return G_SOURCE_REMOVE;
}

void
grp_supervisor_stop (GrpSupervisor *self)
{
  if (self->stopping)
    return;
  self->stopping = TRUE;
  tell (self, GRP_EVENT_CONTROL,
        "stopping: the members go quiet, then leave one at a time, then groupy-check "
        "reads every log");
  /* Every process still running, whatever its log said last, and paused
   * ones first go on: those that stay are the quorum of each leave.  None
   * crashes by injection any more: the leader, asked last, went on rolling
   * for a crash while the others left, and crashed part-way through a
   * broadcast in the middle of the stop. */
  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);

      g_clear_handle_id (&m->thaw_id, g_source_remove);
      command (m, "crash-rate 0");
      if (m->proc != NULL)
        g_subprocess_send_signal (m->proc, SIGCONT);
      /* Its tile said "frozen for N s" until it had gone. */
      if (m->state == GRP_MEMBER_FROZEN)
        member_set_state (m, GRP_MEMBER_RUNNING, member_running_status (m));
    }
  for (guint i = 0; i < n_members (self); i++)
    command (member_at (self, i), "quiet");
  if (all_ended (self))
    run_checker (self);
  else
    {
      self->quiet_deadline = g_get_monotonic_time () + STOP_QUIET_MAX_MS * 1000;
      self->quieting = TRUE;
      self->stop_step_id = g_timeout_add (STOP_QUIET_POLL_MS, stop_when_quiet, self);
    }
}

void
grp_supervisor_stop_now (GrpSupervisor *self)
{
  g_autoptr(GString) killed = g_string_new (NULL);

  if (!self->stopping)
    grp_supervisor_stop (self);
  if (self->stopped || self->hurried)
    return;
  self->hurried = TRUE;
  g_clear_handle_id (&self->stop_id, g_source_remove);
  g_clear_handle_id (&self->stop_step_id, g_source_remove);
  for (guint i = 0; i < n_members (self); i++)
    {
      GrpMemberInfo *m = member_at (self, i);

      if (m->proc == NULL || g_subprocess_get_identifier (m->proc) == NULL)
        continue;
      g_string_append_printf (killed, "%s%s", killed->len ? ", " : "", m->name);
      end_member (self, m, GRP_MEMBER_CRASHED, "killed: stopped at once");
      g_subprocess_force_exit (m->proc);
    }
  if (killed->len > 0)
    tell (self, GRP_EVENT_CONTROL, "stopping at once (asked again): %s killed (SIGKILL); "
          "the logs are not checked", killed->str);
  else
    tell (self, GRP_EVENT_CONTROL, "stopping at once (asked again): the logs are not checked");
  /* The members' ends (on_exit) or the checker's (check_done) finish the
   * stop; with neither to wait for, it is finished now. */
  if (self->checker != NULL)
    check_kill (self);
  else if (all_ended (self))
    finish_stop (self);
}

static void
grp_supervisor_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GrpSupervisor *self = GRP_SUPERVISOR (object);

  switch (prop_id)
    {
    case PROP_VIEW:
      g_value_set_uint64 (value, self->view);
      break;
    case PROP_LEADER:
      g_value_set_string (value, self->leader);
      break;
    case PROP_POSITIONS:
      g_value_set_uint64 (value, self->positions);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_STOPPED:
      g_value_set_boolean (value, self->stopped);
      break;
    case PROP_ALL_GONE:
      g_value_set_boolean (value, self->all_gone);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
grp_supervisor_dispose (GObject *object)
{
  GrpSupervisor *self = GRP_SUPERVISOR (object);

  g_cancellable_cancel (self->cancel);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->respawn_id, g_source_remove);
  g_clear_handle_id (&self->stop_id, g_source_remove);
  g_clear_handle_id (&self->stop_step_id, g_source_remove);
  g_clear_handle_id (&self->told_id, g_source_remove);
  g_clear_handle_id (&self->check_bound_id, g_source_remove);
  if (self->members != NULL)
    for (guint i = 0; i < n_members (self); i++)
      {
        GrpMemberInfo *m = member_at (self, i);

        /* Nobody is left to reap or replace them: they leave now. */
        signal_member (m, SIGTERM);
        signal_member (m, SIGCONT);
        g_object_set_data (G_OBJECT (m), "supervisor", NULL);
      }
  g_clear_object (&self->members);
  G_OBJECT_CLASS (grp_supervisor_parent_class)->dispose (object);
}

static void
grp_supervisor_finalize (GObject *object)
{
  GrpSupervisor *self = GRP_SUPERVISOR (object);

  grp_supervisor_config_clear (&self->cfg);
  g_free (self->moved_to);
  g_strfreev (self->view_members);
  g_free (self->leader);
  g_rand_free (self->rand);
  g_ptr_array_unref (self->logs);
  g_array_unref (self->log_groups);
  g_string_free (self->check_text, TRUE);
  g_hash_table_unref (self->ended);
  g_clear_object (&self->cancel);
  g_clear_object (&self->checker);
  g_clear_object (&self->check_cancel);
  remove_check_list (self);
  G_OBJECT_CLASS (grp_supervisor_parent_class)->finalize (object);
}

static void
grp_supervisor_class_init (GrpSupervisorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = grp_supervisor_get_property;
  object_class->dispose = grp_supervisor_dispose;
  object_class->finalize = grp_supervisor_finalize;

  /* A command to a member whose process has ended, its end not yet handled
   * (on_exit), meets a pipe nobody reads: the write's EPIPE is no news, but
   * SIGPIPE's default action ended groupy-demo and groupy-console without a
   * word.  There is no way to write to a pipe without the signal but to
   * ignore it, process-wide, as GSocket does for send(). */
  signal (SIGPIPE, SIG_IGN);

  properties[PROP_VIEW] = g_param_spec_uint64 ("view", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_LEADER] = g_param_spec_string ("leader", NULL, NULL, NULL, flags);
  properties[PROP_POSITIONS] =
    g_param_spec_uint64 ("positions", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_PAUSED] = g_param_spec_boolean ("paused", NULL, NULL, FALSE, flags);
  properties[PROP_STOPPED] = g_param_spec_boolean ("stopped", NULL, NULL, FALSE, flags);
  properties[PROP_ALL_GONE] = g_param_spec_boolean ("all-gone", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* One line of the group's story (GrpEventKind, text). */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  /* The checker's verdict once stopped: whether every log agrees, and in
   * words ("25 logs agree on 1,622 positions"). */
  signals[SIGNAL_VERDICT] =
    g_signal_new ("verdict", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

static void
grp_supervisor_init (GrpSupervisor *self)
{
  self->members = g_list_store_new (GRP_TYPE_MEMBER_INFO);
  self->logs = g_ptr_array_new_with_free_func (g_free);
  self->log_groups = g_array_new (FALSE, FALSE, sizeof (guint));
  self->check_text = g_string_new (NULL);
  self->ended = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->rand = g_rand_new ();
  self->cancel = g_cancellable_new ();
}

gboolean
grp_supervisor_option_in_range (const char *program, const char *option, gint64 value, gint64 min,
                                gint64 max)
{
  if (value >= min && value <= max)
    return TRUE;
  fprintf (stderr, "%s: %s takes %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ", not %"
           G_GINT64_FORMAT "\n", program, option, min, max, value);
  return FALSE;
}

gboolean
grp_supervisor_worker_options_ok (const char *program, gint64 crash_rate, gint64 sleep_ms,
                                  gint64 color_rate, gint64 suspect_ms, const char *protocol)
{
  g_autoptr(GError) error = NULL;

  if (protocol != NULL && !protocol_known (protocol, &error))
    {
      fprintf (stderr, "%s: %s\n", program, error->message);
      return FALSE;
    }
  return grp_supervisor_option_in_range (program, "--crash-rate", crash_rate, 0,
                                         GRP_LIMIT_CRASH_RATE_MAX) &&
         grp_supervisor_option_in_range (program, "--sleep", sleep_ms, 0,
                                         GRP_LIMIT_SLEEP_MAX_MS) &&
         grp_supervisor_option_in_range (program, "--color-rate", color_rate, 0,
                                         GRP_LIMIT_COLOR_RATE_MAX) &&
         (suspect_ms == G_MININT64 ||
          grp_supervisor_option_in_range (program, "--suspect-timeout", suspect_ms,
                                          GRP_LIMIT_SUSPECT_MIN_MS (
                                            GRP_LIMIT_HEARTBEAT_DEFAULT_MS),
                                          GRP_LIMIT_SUSPECT_MAX_MS));
}

gboolean
grp_supervisor_secret_file_ok (const char *program, const char *path)
{
  g_autoptr(GError) error = NULL;

  if (grp_security_check_secret_file (path, &error))
    return TRUE;
  fprintf (stderr, "%s: --secret-file %s: %s\n", program, path, error->message);
  return FALSE;
}
