/* grp-worker.h: the Groupy worker of the original exercise, on a GrpGroup.
 *
 * After a random wait of up to --sleep ms it multicasts `change N` (N random
 * in 1..20); on delivery it sets (R,G,B) := (G, B, (R+N) mod 256), starting
 * from a color the group's founder picks; a newcomer takes the color by
 * state transfer.  As leader it may crash on purpose (--crash-rate)
 * part-way through a broadcast.  It writes every event to the JSON Lines
 * log (README: "The event log").
 *
 * It is the model both front ends bind to: groupy-node prints, the window
 * paints.  Its properties say what the log says, at the same moments: the
 * view, its members and the last position are the worker's own record of
 * what it delivered (a state transfer included), never read back from the
 * library in between.  Nothing here touches a widget, and the front ends
 * never reach past the worker into the group.
 */
#pragma once

#include "groupy.h"
#include "grp-options.h"

G_BEGIN_DECLS

#define GRP_TYPE_WORKER (grp_worker_get_type ())
G_DECLARE_FINAL_TYPE (GrpWorker, grp_worker, GRP, WORKER, GObject)

#define GRP_WORKER_HISTORY 32

/* Why a worker crashed, as its log's crash event says. */
typedef enum {
  GRP_CRASH_INJECTED, /* the exercise's fault (--crash-rate) */
  GRP_CRASH_USER,     /* someone asked: Crash, a closed window, the "crash" command */
} GrpCrashCause;

/* Takes over `options` (they are cleared). */
GrpWorker  *grp_worker_new (GrpOptions *options);

/* Open the log and bind the listening socket: errors here are the user's to
 * fix (a port in use, an unwritable log). */
gboolean    grp_worker_prepare (GrpWorker *self, GError **error);
/* Create the group, or join it (--join); completes once a member. */
void        grp_worker_start_async (GrpWorker *self, GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean    grp_worker_start_finish (GrpWorker *self, GAsyncResult *result, GError **error);
/* Leave cleanly (SIGTERM, Ctrl-C); completes when the group let us go.
 * Fails (G_IO_ERROR_TIMED_OUT) when own changes were left undelivered:
 * the group had no quorum, or did not deliver them in time. */
void        grp_worker_stop_async (GrpWorker *self, GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean    grp_worker_stop_finish (GrpWorker *self, GAsyncResult *result, GError **error);
/* Handle the worker's signals: SIGTERM and SIGINT leave cleanly (then
 * "stopped" is emitted), SIGUSR1 quiesces, SIGUSR2 resumes.  With
 * --commands, also read commands from standard input. */
void        grp_worker_handle_signals (GrpWorker *self);
/* Leave cleanly, then emit "stopped" (with the stop's error, or NULL);
 * once only. */
void        grp_worker_stop (GrpWorker *self);
/* Let the group go quiet (SIGUSR1): stop multicasting and crash
 * injection; keep delivering. */
void        grp_worker_quiesce (GrpWorker *self);
/* Start multicasting again (SIGUSR2), with no count limit. */
void        grp_worker_resume (GrpWorker *self);
/* Die now as kill -9 would; the log's last line says it was asked for. */
void        grp_worker_crash (GrpWorker *self);
/* The longest random wait between changes, and the injected crash chance
 * (1/N; 0: off), from now on. */
void        grp_worker_set_sleep (GrpWorker *self, guint sleep_ms);
void        grp_worker_set_crash_rate (GrpWorker *self, guint crash_rate);

/* Leave a group of one and join another through `contact` (HOST:PORT).
 * Only while alone (GRP_ROLE_ALONE).  On failure the worker founds a new
 * group of one again.  With a log, the new group's events go to a new log
 * file (FILE.2, FILE.3, ...): one log holds one group's history, and the
 * "exit" that ends one names the next ("next": its name, beside it). */
void        grp_worker_join_other_async (GrpWorker           *self,
                                         const char          *contact,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean    grp_worker_join_other_finish (GrpWorker *self, GAsyncResult *result, GError **error);

/* A front end showed this color (0xRRGGBB); logged as a "shown" event so
 * that how often a window changes color can be read from its log. */
void        grp_worker_log_shown (GrpWorker *self, guint32 color);

const char *grp_worker_get_name (GrpWorker *self);
/* The protocol it runs: "groupy", or a stage of the exercise ("gms2"). */
const char *grp_worker_get_protocol (GrpWorker *self);
const char *grp_worker_get_address (GrpWorker *self);
guint32     grp_worker_get_color (GrpWorker *self);       /* 0xRRGGBB */
GrpRole     grp_worker_get_role (GrpWorker *self);
/* The view last delivered (0 before the first), its members (leader
 * first) and its leader. */
guint64     grp_worker_get_view_id (GrpWorker *self);
const char *const *grp_worker_get_members (GrpWorker *self);
const char *grp_worker_get_leader (GrpWorker *self);
/* The last position delivered, a state transfer included. */
guint64     grp_worker_get_last_seq (GrpWorker *self);
/* Waiting for a quorum, delivering nothing new ("no quorum -- waiting"). */
gboolean    grp_worker_is_blocked (GrpWorker *self);
/* Why `name` went at the last view (one of "view-changed"'s `gone`), as
 * this member knew: "left", "crashed", "silent", "slow", "left-out", or
 * NULL (grp_group_get_departure). */
const char *grp_worker_get_departure (GrpWorker *self, const char *name);
/* The colors after the last GRP_WORKER_HISTORY deliveries, oldest first. */
const guint32 *grp_worker_get_history (GrpWorker *self, guint *n);
const char *grp_worker_get_log_path (GrpWorker *self);

G_END_DECLS
