/* grp-worker.h: the Groupy worker of the original exercise, on a GrpGroup.
 *
 * After a random wait of up to --sleep ms it multicasts `change N` (N random
 * in 1..20); on delivery it sets (R,G,B) := (G, B, (R+N) mod 256), starting
 * from (0,0,0); a newcomer takes the color by state transfer.  As leader it
 * may crash on purpose (--crash-rate) part-way through a broadcast.  It
 * writes every event to the JSON Lines log (README: "The event log").
 *
 * It is the model both front ends bind to: groupy-node prints, the window
 * paints.  Nothing here touches a widget.
 */
#pragma once

#include "groupy.h"
#include "grp-options.h"

G_BEGIN_DECLS

#define GRP_TYPE_WORKER (grp_worker_get_type ())
G_DECLARE_FINAL_TYPE (GrpWorker, grp_worker, GRP, WORKER, GObject)

#define GRP_WORKER_HISTORY 32

/* Takes over `options` (they are cleared). */
GrpWorker  *grp_worker_new (GrpOptions *options);

/* Open the log and bind the listening socket: errors here are the user's to
 * fix (a port in use, an unwritable log). */
gboolean    grp_worker_prepare (GrpWorker *self, GError **error);
/* Create the group, or join it (--join); completes once a member. */
void        grp_worker_start_async (GrpWorker *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean    grp_worker_start_finish (GrpWorker *self, GAsyncResult *result, GError **error);
/* Leave cleanly (SIGTERM, Ctrl-C); completes when the group let us go. */
void        grp_worker_stop_async (GrpWorker *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean    grp_worker_stop_finish (GrpWorker *self, GAsyncResult *result, GError **error);
/* Handle the worker's signals: SIGTERM and SIGINT leave cleanly (then
 * "stopped" is emitted), SIGUSR1 quiesces, SIGUSR2 resumes. */
void        grp_worker_handle_signals (GrpWorker *self);
/* Leave cleanly, then emit "stopped"; once only. */
void        grp_worker_stop (GrpWorker *self);
/* Let the group go quiet (SIGUSR1): stop multicasting and crash
 * injection; keep delivering. */
void        grp_worker_quiesce (GrpWorker *self);
/* Start multicasting again (SIGUSR2), with no count limit. */
void        grp_worker_resume (GrpWorker *self);
/* Die as kill -9 would, part-way through the next broadcast if leading. */
void        grp_worker_crash (GrpWorker *self);

const char *grp_worker_get_name (GrpWorker *self);
const char *grp_worker_get_address (GrpWorker *self);
guint32     grp_worker_get_color (GrpWorker *self);       /* 0xRRGGBB */
GrpRole     grp_worker_get_role (GrpWorker *self);
guint64     grp_worker_get_view_id (GrpWorker *self);
GStrv       grp_worker_dup_members (GrpWorker *self);
guint64     grp_worker_get_last_seq (GrpWorker *self);
/* The colors after the last GRP_WORKER_HISTORY deliveries, oldest first. */
const guint32 *grp_worker_get_history (GrpWorker *self, guint *n);
GrpGroup   *grp_worker_get_group (GrpWorker *self);

G_END_DECLS
