/* grp-supervisor.h: a demo group of worker processes, and what they say.
 *
 * The supervisor starts workers (`groupy` windows, or `groupy-node` without
 * windows), each its own process with its own JSON Lines log, and follows
 * the logs to keep one GrpMemberInfo per member (color, role, view, last
 * position) and a story of the group: views and who leads them, crashes
 * and their cause, joins with the state they brought, members left out
 * while still alive (a false suspicion), members waiting for a quorum,
 * clean leaves.  It replaces dead
 * workers (the replacement takes the dead one's place on the screen), and
 * drives the group: add a member, crash one, freeze one for a while
 * (SIGSTOP, then SIGCONT), make one leave, pause and resume all (on their
 * standard input, as SIGUSR1 and SIGUSR2 do), change the pace and the
 * crash rate.  When stopped it lets every worker leave, runs groupy-check
 * over every log, and removes the logs unless asked to keep them.
 *
 * groupy-demo prints its story in a terminal; groupy-console shows it in a
 * window.  Nothing here touches a widget.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  GRP_MEMBER_STARTING,  /* process started, not in a view yet */
  GRP_MEMBER_RUNNING,
  GRP_MEMBER_FROZEN,    /* SIGSTOP until the freeze ends */
  GRP_MEMBER_CRASHED,   /* died: injected, asked for, or killed */
  GRP_MEMBER_LEFT,      /* left cleanly */
  GRP_MEMBER_FAILED,    /* could not join, or left out for good */
} GrpMemberState;

typedef enum {
  GRP_EVENT_JOIN,       /* a member joined or rejoined with the state */
  GRP_EVENT_VIEW,       /* a new view (and who leads it) */
  GRP_EVENT_CRASH,
  GRP_EVENT_SUSPECT,    /* left out of a view while alive */
  GRP_EVENT_BLOCKED,    /* a member waits for a quorum, or waits no more */
  GRP_EVENT_LEAVE,
  GRP_EVENT_CONTROL,    /* something the user did */
  GRP_EVENT_VERDICT,    /* the checker's verdict over every log */
  GRP_EVENT_PROBLEM,    /* a worker could not start, a violation */
} GrpEventKind;

#define GRP_TYPE_MEMBER_INFO (grp_member_info_get_type ())
G_DECLARE_FINAL_TYPE (GrpMemberInfo, grp_member_info, GRP, MEMBER_INFO, GObject)

const char     *grp_member_info_get_name (GrpMemberInfo *self);
guint32         grp_member_info_get_color (GrpMemberInfo *self);
/* "leader", "member", "alone", "joining", "rejoining" or "" (not running) */
const char     *grp_member_info_get_role (GrpMemberInfo *self);
guint64         grp_member_info_get_view (GrpMemberInfo *self);
guint64         grp_member_info_get_seq (GrpMemberInfo *self);
GrpMemberState  grp_member_info_get_state (GrpMemberInfo *self);
/* One line for people: "crashed (injected)", "frozen for 5 s", ... */
const char     *grp_member_info_get_status (GrpMemberInfo *self);
gboolean        grp_member_info_is_alive (GrpMemberInfo *self);

#define GRP_TYPE_SUPERVISOR (grp_supervisor_get_type ())
G_DECLARE_FINAL_TYPE (GrpSupervisor, grp_supervisor, GRP, SUPERVISOR, GObject)

typedef struct {
  char *worker;         /* groupy or groupy-node, a path */
  char *checker;        /* groupy-check, a path */
  gboolean windows;     /* workers are windows: pass --slot, --color-rate */
  guint beside_width;   /* with windows: --beside, the console's place (0: none) */
  guint beside_height;
  char *log_dir;        /* NULL: a new temporary folder */
  gboolean keep_logs;   /* do not remove the logs at the end */
  gboolean respawn;     /* replace workers that die */
  guint sleep_ms;
  guint crash_rate;
  guint color_rate;
  guint heartbeat_ms;   /* 0: the workers' default */
  guint suspect_ms;     /* 0: the workers' default */
  char *protocol;       /* NULL ("groupy"), or a stage of the exercise: "gms2" */
  char *secret_file;    /* given to every worker (docs/SECURITY.md), or NULL */
} GrpSupervisorConfig;

/* The most members a group runs at once: started with, or added. */
#define GRP_SUPERVISOR_MAX_MEMBERS 64

void            grp_supervisor_config_clear (GrpSupervisorConfig *config);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GrpSupervisorConfig, grp_supervisor_config_clear)
/* Where `name` (groupy, groupy-node, groupy-check) is: beside the running
 * program (installed, or in the build tree), else in PATH. */
char           *grp_supervisor_find_program (const char *name);

/* Takes over `config`'s strings (they are cleared). */
GrpSupervisor  *grp_supervisor_new (GrpSupervisorConfig *config, GError **error);
/* Start `n` members: the first founds the group, the others join. */
void            grp_supervisor_start (GrpSupervisor *self, guint n);
/* GrpMemberInfo items, in the order of their places. */
GListModel     *grp_supervisor_get_members (GrpSupervisor *self);
const char     *grp_supervisor_get_log_dir (GrpSupervisor *self);
/* The protocol every worker runs: "groupy", or a stage ("gms2"). */
const char     *grp_supervisor_get_protocol (GrpSupervisor *self);
guint64         grp_supervisor_get_view (GrpSupervisor *self);
const char     *grp_supervisor_get_leader (GrpSupervisor *self);
guint64         grp_supervisor_get_positions (GrpSupervisor *self);
gboolean        grp_supervisor_get_paused (GrpSupervisor *self);
gboolean        grp_supervisor_is_stopped (GrpSupervisor *self);
/* Every member started has ended (notify::all-gone): nobody is left to
 * join through. */
gboolean        grp_supervisor_get_all_gone (GrpSupervisor *self);
/* A member has left its group of one for another, and has no view there
 * yet (the view is 0 meanwhile). */
gboolean        grp_supervisor_get_switching (GrpSupervisor *self);

void            grp_supervisor_add_member (GrpSupervisor *self);
void            grp_supervisor_crash (GrpSupervisor *self, GrpMemberInfo *member);
void            grp_supervisor_freeze (GrpSupervisor *self, GrpMemberInfo *member, guint seconds);
void            grp_supervisor_leave (GrpSupervisor *self, GrpMemberInfo *member);
void            grp_supervisor_set_paused (GrpSupervisor *self, gboolean paused);
void            grp_supervisor_set_sleep (GrpSupervisor *self, guint sleep_ms);
guint           grp_supervisor_get_sleep (GrpSupervisor *self);
void            grp_supervisor_set_crash_rate (GrpSupervisor *self, guint crash_rate);
guint           grp_supervisor_get_crash_rate (GrpSupervisor *self);
/* Whether the logs stay once the group is stopped (they do anyway in a
 * --log-dir given by the user). */
void            grp_supervisor_set_keep_logs (GrpSupervisor *self, gboolean keep);
/* Every worker leaves; then the checker runs over every log ("verdict"),
 * the logs are removed unless kept, and "stopped" is emitted.  A checker
 * that runs past its bound (CHECK_GRACE_S) is killed: the verdict says the
 * logs were not checked, and they are kept. */
void            grp_supervisor_stop (GrpSupervisor *self);
/* A stop at once (a second Ctrl-C while stopping): the members still
 * running are killed, and the story says so; the logs are not checked
 * (no "verdict"), they are removed unless kept, and "stopped" is emitted. */
void            grp_supervisor_stop_now (GrpSupervisor *self);

/* Whether `value` of `option` lies in [min, max]; if not, says so on
 * standard error in `program`'s name (groupy-demo's and groupy-console's
 * options): one message for every option gave most of them a lower bound
 * alone ("--sleep 4000000" was told "at least 0"). */
gboolean grp_supervisor_option_in_range (const char *program, const char *option, gint64 value,
                                         gint64 min, gint64 max);
/* The options groupy-demo and groupy-console pass on to the workers they
 * start, in the workers' own ranges (grp-limits.h); `suspect_ms` G_MININT64
 * and `protocol` NULL when not given.  Says what is wrong as
 * grp_supervisor_option_in_range. */
gboolean grp_supervisor_worker_options_ok (const char *program, gint64 crash_rate,
                                           gint64 sleep_ms, gint64 color_rate,
                                           gint64 suspect_ms, const char *protocol);
/* Whether every worker would take `path` as its --secret-file (the
 * workers' own check: grp_security_check_secret_file); if not, says why on
 * standard error in `program`'s name.  A file they refuse was told only
 * when the founder had died of it. */
gboolean grp_supervisor_secret_file_ok (const char *program, const char *path);

G_END_DECLS
