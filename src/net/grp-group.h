/* grp-group.h: a Groupy group member, for programs that embed one.
 *
 *   g_autoptr(GrpGroup) group = grp_group_new ("alice");
 *   grp_group_listen (group, NULL, NULL, &error);        // 127.0.0.1, any port
 *   grp_group_create (group, &error);                      // or grp_group_join_async
 *   g_signal_connect (group, "delivered", G_CALLBACK (on_delivered), NULL);
 *   grp_group_multicast (group, payload, &error);
 *
 * Every member delivers the same messages in the same order ("delivered"),
 * views are announced in that order too ("view-changed"), and a newcomer
 * gets the application state through the get-state / set-state hooks.  A
 * member that the group left out (it was stopped or cut off for too long)
 * rejoins by itself as a new member and receives the state again.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GRP_TYPE_GROUP (grp_group_get_type ())
G_DECLARE_FINAL_TYPE (GrpGroup, grp_group, GRP, GROUP, GObject)

typedef enum {
  GRP_ROLE_NONE,       /* not in a group yet */
  GRP_ROLE_JOINING,    /* join under way */
  GRP_ROLE_REJOINING,  /* left out by the group, joining again */
  GRP_ROLE_MEMBER,
  GRP_ROLE_LEADER,
  GRP_ROLE_ALONE,      /* leader of a group of one */
  GRP_ROLE_LEFT,
  GRP_ROLE_FAILED,     /* the join failed; see the "failed" signal */
} GrpRole;

const char *grp_role_to_string (GrpRole role);

/* The application state: taken at an exact point of the total order by the
 * member that admits a newcomer, and given to the newcomer. */
typedef GBytes *(*GrpGetStateFunc) (GrpGroup *group, gpointer user_data);
/* What the "delivered" signal carries; `from` and `payload` are borrowed. */
typedef void     (*GrpDeliveredFunc) (GrpGroup   *group,
                                      guint64     seq,
                                      const char *from,
                                      guint64     ctr,
                                      GBytes     *payload,
                                      gpointer    user_data);
typedef void    (*GrpSetStateFunc) (GrpGroup *group, guint64 seq, GBytes *state, gpointer user_data);

GrpGroup   *grp_group_new (const char *name);

/* Settings; before create or join. */
void        grp_group_set_safe_delivery (GrpGroup *self, gboolean safe);
void        grp_group_set_timing (GrpGroup *self, guint heartbeat_ms, guint suspect_ms);
void        grp_group_set_state_funcs (GrpGroup        *self,
                                       GrpGetStateFunc  get_state,
                                       GrpSetStateFunc  set_state,
                                       gpointer         user_data,
                                       GDestroyNotify   destroy);

/* A plain function called for every delivery, before the "delivered"
 * signal: for programs that deliver hundreds of thousands of messages a
 * second, where a signal emission per message shows.  The signal is only
 * emitted when it has handlers. */
void        grp_group_set_delivered_func (GrpGroup         *self,
                                          GrpDeliveredFunc  func,
                                          gpointer          user_data,
                                          GDestroyNotify    destroy);

/* Who may be a member (docs/SECURITY.md); before listen, create or join.
 * Members that share a secret file form a group: every connection between
 * them is TLS, and a peer that cannot prove it holds the secret is refused
 * before anything else it sends is read.  A CA with this member's
 * certificate and key (`key` NULL: in `cert`) may be given instead, or as
 * well.  Without either, a member listens on loopback only, unless
 * `insecure`: then anyone who can reach it may join. */
gboolean    grp_group_set_secret_file (GrpGroup *self, const char *path, GError **error);
gboolean    grp_group_set_tls_files (GrpGroup   *self,
                                     const char *ca,
                                     const char *cert,
                                     const char *key,
                                     GError    **error);
void        grp_group_set_insecure (GrpGroup *self, gboolean insecure);
gboolean    grp_group_is_secure (GrpGroup *self);
/* Writes a new secret file, readable by its owner only (never replaces one). */
gboolean    grp_group_write_secret_file (const char *path, GError **error);

/* Listen on `listen` (HOST:PORT; NULL: 127.0.0.1 and a free port) and tell
 * others `advertise` (NULL: the address bound). */
gboolean    grp_group_listen (GrpGroup *self, const char *listen, const char *advertise, GError **error);
const char *grp_group_get_address (GrpGroup *self);

gboolean    grp_group_create (GrpGroup *self, GError **error);
void        grp_group_join_async (GrpGroup            *self,
                                  const char          *contact,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
gboolean    grp_group_join_finish (GrpGroup *self, GAsyncResult *result, GError **error);

/* Multicast to the group; returns this member's counter for it (from 1). */
guint64     grp_group_multicast (GrpGroup *self, GBytes *payload, GError **error);

void        grp_group_leave_async (GrpGroup            *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
gboolean    grp_group_leave_finish (GrpGroup *self, GAsyncResult *result, GError **error);

const char *grp_group_get_name (GrpGroup *self);
GrpRole     grp_group_get_role (GrpGroup *self);
guint64     grp_group_get_view_id (GrpGroup *self);
/* Member names of the current view, leader first. */
GStrv       grp_group_dup_members (GrpGroup *self);
guint64     grp_group_get_last_seq (GrpGroup *self);
/* Own multicasts not delivered yet, and how many may be (flow control:
 * grp_group_multicast() fails with GRP_CORE_ERROR_BUSY beyond it). */
guint       grp_group_get_pending (GrpGroup *self);
guint       grp_group_get_window (GrpGroup *self);
/* One line on the protocol state, for logs. */
char       *grp_group_describe (GrpGroup *self);

/* Crash injection (the Groupy exercise's fault): the next broadcast this
 * member sends as leader reaches `frames` peers, then `func` runs (it is
 * expected to kill the process). */
void        grp_group_arm_crash (GrpGroup *self, guint frames, void (*func) (gpointer), gpointer user_data);
guint       grp_group_get_n_members (GrpGroup *self);

G_END_DECLS
