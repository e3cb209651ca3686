/* grp-group.h: a Groupy group member, for programs that embed one.
 *
 *   g_autoptr(GrpGroup) group = grp_group_new ("alice");
 *   g_signal_connect (group, "delivered", G_CALLBACK (on_delivered), NULL);
 *   grp_group_listen (group, NULL, NULL, &error);      // 127.0.0.1, any port
 *   grp_group_create (group, &error);                  // or grp_group_join_async
 *   grp_group_multicast (group, payload, &error);
 *
 * Signals (documented below, after the type):
 *   delivered     (GrpGroup *, guint64 seq, const char *from, guint64 ctr, GBytes *payload)
 *   view-changed  (GrpGroup *, guint64 view_id, guint64 seq, GStrv members, GStrv joined,
 *                  GStrv left)
 *   excluded      (GrpGroup *)
 *   failed        (GrpGroup *, GError *error)
 * Errors: GRP_GROUP_ERROR (GrpGroupError), G_IO_ERROR_CANCELLED for a
 * cancelled join or leave, and G_IO_ERROR_PENDING for a leave asked while
 * another is under way.
 */
#pragma once

#if !defined(_GROUPY_INSIDE) && !defined(GROUPY_COMPILATION)
#error "Only <groupy.h> can be included directly."
#endif

#include <gio/gio.h>

#include "grp-version.h"

G_BEGIN_DECLS

/**
 * GRP_GROUP_ERROR:
 *
 * The error domain of libgroupy; its codes are the values of
 * [enum@Groupy.GroupError].
 */
#define GRP_GROUP_ERROR (grp_group_error_quark ())
GRP_AVAILABLE_IN_ALL
GQuark grp_group_error_quark (void);

/**
 * GrpGroupError:
 * @GRP_GROUP_ERROR_BUSY: the member has as many of its own multicasts in
 *   flight as the flow-control window allows
 *   ([method@Groupy.Group.get_window]); multicast again once some of them are
 *   delivered
 * @GRP_GROUP_ERROR_NOT_MEMBER: the call needs a member of a group: create or
 *   join one first (or the member left, or is rejoining)
 * @GRP_GROUP_ERROR_NAME_TAKEN: a member of the group already uses this name
 * @GRP_GROUP_ERROR_JOIN_TIMEOUT: no member admitted us, or the state did not
 *   arrive, in time
 * @GRP_GROUP_ERROR_UNREACHABLE: no member answers at the address given to
 *   join
 * @GRP_GROUP_ERROR_INVALID_ADDRESS: an address is not HOST:PORT with a
 *   numeric host, or this machine cannot listen on it, or this member
 *   listens on loopback only and joins through a member on another machine
 *   (which could not reach it), or it joins through its own address
 * @GRP_GROUP_ERROR_ADDRESS_IN_USE: another socket already listens on the
 *   address given to listen
 * @GRP_GROUP_ERROR_REJOIN_FAILED: the group went on without this member
 *   (see [signal@Groupy.Group::excluded]) and no member admitted it again
 * @GRP_GROUP_ERROR_SECRET: a secret, certificate or key file cannot be used
 *   (unreadable, readable by others, or not what it should be), or the
 *   member joined through does not hold the same secret: another one, or
 *   it has one and this member none (it speaks only TLS), or this member
 *   has one and it none
 * @GRP_GROUP_ERROR_INSECURE: listening beyond loopback without a secret (or a
 *   PKI) needs [method@Groupy.Group.set_insecure]
 * @GRP_GROUP_ERROR_TOO_LARGE: a multicast larger than members accept
 * @GRP_GROUP_ERROR_PROTOCOL: the group runs another protocol than this member
 *   (the tree's teaching programs run the Groupy exercise's stages: a member
 *   of such a group and a member of the real protocol refuse each other), or
 *   with other failure-detection times ([method@Groupy.Group.set_timing])
 *
 * What went wrong, in the [error@Groupy.GroupError] domain.
 */
typedef enum {
  GRP_GROUP_ERROR_BUSY,
  GRP_GROUP_ERROR_NOT_MEMBER,
  GRP_GROUP_ERROR_NAME_TAKEN,
  GRP_GROUP_ERROR_JOIN_TIMEOUT,
  GRP_GROUP_ERROR_UNREACHABLE,
  GRP_GROUP_ERROR_INVALID_ADDRESS,
  GRP_GROUP_ERROR_ADDRESS_IN_USE,
  GRP_GROUP_ERROR_REJOIN_FAILED,
  GRP_GROUP_ERROR_SECRET,
  GRP_GROUP_ERROR_INSECURE,
  GRP_GROUP_ERROR_TOO_LARGE,
  GRP_GROUP_ERROR_PROTOCOL,
} GrpGroupError;

/**
 * GrpRole:
 * @GRP_ROLE_NONE: not in a group yet
 * @GRP_ROLE_JOINING: a join is under way
 * @GRP_ROLE_REJOINING: left out by the group, joining again
 * @GRP_ROLE_MEMBER: a member, not the leader
 * @GRP_ROLE_LEADER: the leader of a group of two or more
 * @GRP_ROLE_ALONE: the leader of a group of one
 * @GRP_ROLE_LEFT: left the group on request
 * @GRP_ROLE_FAILED: the join, or a rejoin, failed (see
 *   [signal@Groupy.Group::failed])
 *
 * Where a member stands in its group: the [property@Groupy.Group:role]
 * property.
 */
typedef enum {
  GRP_ROLE_NONE,
  GRP_ROLE_JOINING,
  GRP_ROLE_REJOINING,
  GRP_ROLE_MEMBER,
  GRP_ROLE_LEADER,
  GRP_ROLE_ALONE,
  GRP_ROLE_LEFT,
  GRP_ROLE_FAILED,
} GrpRole;

GRP_AVAILABLE_IN_ALL
const char *grp_role_to_string (GrpRole role);

/**
 * GrpGroupDeparture:
 * @GRP_GROUP_DEPARTURE_UNKNOWN: not known: the name did not go at the last
 *   view change, or this member knew nothing of why
 * @GRP_GROUP_DEPARTURE_LEFT: it left on request ([method@Groupy.Group.leave_async])
 * @GRP_GROUP_DEPARTURE_CRASHED: its process ended, or its program dropped
 *   it, without leaving (its connection closed without a goodbye, or it
 *   came back as a new member)
 * @GRP_GROUP_DEPARTURE_SILENT: nothing was heard from it for the suspicion
 *   timeout: stopped, cut off, or its host went down
 * @GRP_GROUP_DEPARTURE_SLOW: it did not keep pace with the group, and the
 *   leader left it out
 * @GRP_GROUP_DEPARTURE_LEFT_OUT: the others left it out; this member knew no
 *   more
 *
 * Why a member is not in the view any more, as far as this member knew when
 * it installed the view: [method@Groupy.Group.get_departure].  Like
 * libcpg's reasons in a configuration change, for telling a crash from a
 * leave; the view itself is the group's decision, the reason one member's
 * knowledge, so two members may give different reasons.
 */
typedef enum {
  GRP_GROUP_DEPARTURE_UNKNOWN,
  GRP_GROUP_DEPARTURE_LEFT,
  GRP_GROUP_DEPARTURE_CRASHED,
  GRP_GROUP_DEPARTURE_SILENT,
  GRP_GROUP_DEPARTURE_SLOW,
  GRP_GROUP_DEPARTURE_LEFT_OUT,
} GrpGroupDeparture;

/**
 * GrpGroup:
 *
 * One member of a group: every member delivers the same messages in the
 * same order ([signal@Groupy.Group::delivered]), views are announced in
 * that order too ([signal@Groupy.Group::view-changed]), and a newcomer
 * receives the application state through the functions given to
 * [method@Groupy.Group.set_get_state_func] and
 * [method@Groupy.Group.set_set_state_func].  A member that the group left
 * out (it was stopped or cut off for too long) rejoins by itself as a new
 * member and receives the state again.
 *
 * Everything happens on the thread-default main context of the thread that
 * created the member; use a member from that thread only.  A handler may
 * drop the last reference to the member it was called by: the member ends
 * when the main loop's call that led to the handler returns.
 */
#define GRP_TYPE_GROUP (grp_group_get_type ())
GRP_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (GrpGroup, grp_group, GRP, GROUP, GObject)

/**
 * GrpGroup::delivered:
 * @group: the member
 * @seq: the message's position in the group's total order
 * @from: (transfer none): the name of the member that multicast it
 * @ctr: the sender's own counter for it (from 1), as
 *   [method@Groupy.Group.multicast] returned it.  It counts from 1 again
 *   when the sender rejoins (left out while alive) or joins anew after a
 *   leave: (@from, @ctr) names a message within one membership of its
 *   sender; @seq names it in the group
 * @payload: (transfer none): the message
 *
 * A message, delivered at the same position by every member.  @from and
 * @payload are valid during the emission only; take a reference to keep
 * @payload.
 */

/**
 * GrpGroup::view-changed:
 * @group: the member
 * @view_id: the view's id (it only grows)
 * @seq: the view's position in the total order
 * @members: (transfer none) (array zero-terminated=1): the members' names,
 *   the leader first
 * @joined: (transfer none) (array zero-terminated=1): who joined since this
 *   member's previous view (in its first view: the members admitted with it,
 *   itself included)
 * @left: (transfer none) (array zero-terminated=1): who left, crashed or
 *   was left out since this member's previous view
 *
 * A new view, in the total order like the messages.  A member that rejoined
 * after being left out comes back as a new member of the same name, so a
 * name can be in both @joined and @left.
 */

/**
 * GrpGroup::excluded:
 * @group: the member
 *
 * The group went on without this member (it was stopped or cut off longer
 * than the suspicion timeout).  It is rejoining by itself, as a new member;
 * [signal@Groupy.Group::failed] follows if that fails.
 */

/**
 * GrpGroup::failed:
 * @group: the member
 * @error: (transfer none): what failed, in the [error@Groupy.GroupError]
 *   domain
 *
 * The member is out of the group for good: its join failed (as
 * [method@Groupy.Group.join_finish] also reports), or, after it was left
 * out, no member admitted it again.  [property@Groupy.Group:role] is
 * %GRP_ROLE_FAILED.  For a join, it comes after notify::role and before
 * the callback of [method@Groupy.Group.join_async]; the join is over, so a
 * handler may create a group or join again (the callback then sees that).
 */

/**
 * GrpGetStateFunc:
 * @group: the member
 * @user_data: the data given with the function
 *
 * Returns the application state after everything delivered so far.  The
 * member that admits a newcomer calls it at an exact position of the total
 * order.  Like a multicast's payload, the state is at most 16 MiB (a
 * larger one is a programming error: it cannot reach the newcomer).
 *
 * Returns: (transfer full): the state
 */
typedef GBytes *(*GrpGetStateFunc) (GrpGroup *group, gpointer user_data);

/**
 * GrpSetStateFunc:
 * @group: the member
 * @seq: the position the state was taken at
 * @state: (transfer none): the state
 * @user_data: the data given with the function
 *
 * Replaces the application state with the one the group had at @seq: a
 * newcomer receives it before its first delivery (which is at @seq or
 * after).
 */
typedef void (*GrpSetStateFunc) (GrpGroup *group, guint64 seq, GBytes *state,
                                 gpointer user_data);

/**
 * GrpDeliveredFunc:
 * @group: the member
 * @seq: the message's position in the total order
 * @from: (transfer none): the sender's name
 * @ctr: the sender's counter for the message
 * @payload: (transfer none): the message
 * @user_data: the data given with the function
 *
 * What [signal@Groupy.Group::delivered] carries, as a plain function.
 */
typedef void (*GrpDeliveredFunc) (GrpGroup   *group,
                                  guint64     seq,
                                  const char *from,
                                  guint64     ctr,
                                  GBytes     *payload,
                                  gpointer    user_data);

GRP_AVAILABLE_IN_ALL
GrpGroup   *grp_group_new                (const char *name);

GRP_AVAILABLE_IN_ALL
void        grp_group_set_safe_delivery  (GrpGroup *self,
                                          gboolean  safe);
GRP_AVAILABLE_IN_ALL
void        grp_group_set_timing         (GrpGroup *self,
                                          guint     heartbeat_ms,
                                          guint     suspect_ms);
GRP_AVAILABLE_IN_ALL
void        grp_group_set_get_state_func (GrpGroup        *self,
                                          GrpGetStateFunc  func,
                                          gpointer         user_data,
                                          GDestroyNotify   destroy);
GRP_AVAILABLE_IN_ALL
void        grp_group_set_set_state_func (GrpGroup        *self,
                                          GrpSetStateFunc  func,
                                          gpointer         user_data,
                                          GDestroyNotify   destroy);
GRP_AVAILABLE_IN_ALL
void        grp_group_set_delivered_func (GrpGroup         *self,
                                          GrpDeliveredFunc  func,
                                          gpointer          user_data,
                                          GDestroyNotify    destroy);

GRP_AVAILABLE_IN_ALL
gboolean    grp_group_set_secret_file    (GrpGroup    *self,
                                          const char  *path,
                                          GError     **error);
GRP_AVAILABLE_IN_ALL
gboolean    grp_group_set_tls_files      (GrpGroup    *self,
                                          const char  *ca,
                                          const char  *cert,
                                          const char  *key,
                                          GError     **error);
GRP_AVAILABLE_IN_ALL
void        grp_group_set_insecure       (GrpGroup    *self,
                                          gboolean     insecure);
GRP_AVAILABLE_IN_ALL
gboolean    grp_group_is_secure          (GrpGroup    *self);
GRP_AVAILABLE_IN_ALL
gboolean    grp_group_write_secret_file  (const char  *path,
                                          GError     **error);

GRP_AVAILABLE_IN_ALL
gboolean    grp_group_listen             (GrpGroup    *self,
                                          const char  *listen,
                                          const char  *advertise,
                                          GError     **error);
GRP_AVAILABLE_IN_ALL
const char *grp_group_get_address        (GrpGroup *self);

GRP_AVAILABLE_IN_ALL
gboolean    grp_group_create             (GrpGroup  *self,
                                          GError   **error);
GRP_AVAILABLE_IN_ALL
void        grp_group_join_async         (GrpGroup            *self,
                                          const char          *contact,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
GRP_AVAILABLE_IN_ALL
gboolean    grp_group_join_finish        (GrpGroup      *self,
                                          GAsyncResult  *result,
                                          GError       **error);

GRP_AVAILABLE_IN_ALL
guint64     grp_group_multicast          (GrpGroup  *self,
                                          GBytes    *payload,
                                          GError   **error);

GRP_AVAILABLE_IN_ALL
void        grp_group_leave_async        (GrpGroup            *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
GRP_AVAILABLE_IN_ALL
gboolean    grp_group_leave_finish       (GrpGroup      *self,
                                          GAsyncResult  *result,
                                          GError       **error);

GRP_AVAILABLE_IN_ALL
const char *grp_group_get_name           (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
GrpRole     grp_group_get_role           (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
guint64     grp_group_get_view_id        (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
GStrv       grp_group_dup_members        (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
guint       grp_group_get_n_members      (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
guint64     grp_group_get_last_seq       (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
guint       grp_group_get_pending        (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
guint       grp_group_get_window         (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
gboolean    grp_group_is_blocked         (GrpGroup *self);
GRP_AVAILABLE_IN_ALL
GrpGroupDeparture grp_group_get_departure (GrpGroup *self, const char *name);
GRP_AVAILABLE_IN_ALL
char       *grp_group_describe           (GrpGroup *self);

G_END_DECLS
