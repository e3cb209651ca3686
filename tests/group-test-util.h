/* group-test-util.h: what the tests of embedded members share (one
 * process, members on loopback, main loops run within deadlines). */
#pragma once

#include "groupy.h"

#define DEADLINE_S 20

G_GNUC_UNUSED static GrpGroup *
start_alone (const char *name, GMainContext *context)
{
  GrpGroup *g = grp_group_new (name);
  g_autoptr(GError) error = NULL;

  grp_group_set_timing (g, 20, 1000);
  g_assert_true (grp_group_listen (g, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (grp_group_create (g, &error));
  g_assert_no_error (error);
  return g;
}

G_GNUC_UNUSED static void
join_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (grp_group_join_finish (GRP_GROUP (source), res, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

/* Runs `context` until *flag, within the deadline. */
G_GNUC_UNUSED static void
run_until (GMainContext *context, gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (!*flag)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
}

G_GNUC_UNUSED static void
run_for (GMainContext *context, guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (context, FALSE);
}

/* Runs `context` until the object of `weak` is finalized, within the
 * deadline. */
G_GNUC_UNUSED static void
run_until_gone (GMainContext *context, GWeakRef *weak)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  GObject *object;

  while ((object = g_weak_ref_get (weak)) != NULL)
    {
      g_object_unref (object);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
}

/* Drops the last reference to `g` and runs `context` until it is gone. */
G_GNUC_UNUSED static void
drop_and_wait (GMainContext *context, GrpGroup *g)
{
  GWeakRef weak;

  g_weak_ref_init (&weak, g);
  g_object_unref (g);
  run_until_gone (context, &weak);
  g_weak_ref_clear (&weak);
}

/* Runs the default context until `g` counts at least `n` members, within
 * the deadline (another thread, with a context of its own, joins it). */
G_GNUC_UNUSED static void
run_until_members (GrpGroup *g, guint n)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (grp_group_get_n_members (g) < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

/* A's view of why b went, in a's view-changed handler. */
typedef struct {
  GrpGroupDeparture why;     /* b's, in a's view-changed handler */
  GrpGroupDeparture other;   /* a name that did not go */
  gboolean seen;
} Departure;

G_GNUC_UNUSED static void
note_departure (GrpGroup *g, guint64 id, guint64 seq, GStrv names, GStrv joined, GStrv left,
                gpointer data)
{
  Departure *d = data;

  if (left == NULL || !g_strv_contains ((const char *const *) left, "b"))
    return;
  d->why = grp_group_get_departure (g, "b");
  d->other = grp_group_get_departure (g, "a");
  d->seen = TRUE;
}

/* Listens on loopback and never answers (a stopped member, a wrong port):
 * its address, and in *listener what must stay alive meanwhile. */
G_GNUC_UNUSED static char *
silent_contact (GSocketListener **listener)
{
  guint16 port;

  *listener = g_socket_listener_new ();
  port = g_socket_listener_add_any_inet_port (*listener, NULL, NULL);
  g_assert_cmpuint (port, >, 0);
  return g_strdup_printf ("127.0.0.1:%u", port);
}
