/* test-lifetimes.c: what an application's handlers may do to the member
 * that called them, and when a member it drops ends.  Written by an
 * adversarial review of the member's lifetime (every case here crashed
 * under AddressSanitizer, kept a dropped member alive, or ignored a leave
 * before its fix): handlers that drop the member during grp_group_create
 * or grp_group_multicast, that create or join again from inside the
 * protocol's call (the protocol was freed beneath itself), a probe that
 * answered from inside the connection it closed, a member kept alive by
 * its probe after its join failed, and a leave from the "excluded"
 * handler.  Run under the sanitizers with G_SLICE=always-malloc (meson
 * sets it), or GLib's slice allocator hides a freed member from them. */
#include "groupy.h"
#include "group-test-util.h"
#include <glib/gstdio.h>
#include <string.h>

/* 1. A join callback that, on failure, founds its own group (create) or
 *    retries: called synchronously from cb_status inside grp_proto_receive. */
typedef struct {
  gboolean done;
  gboolean retry;
} Retry;

static void
retry_join_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Retry *r = data;
  g_autoptr(GError) error = NULL;
  GrpGroup *g = GRP_GROUP (source);

  if (!grp_group_join_finish (g, res, &error))
    {
      g_test_message ("join failed: %s; role %s; %s", error->message,
                      grp_role_to_string (grp_group_get_role (g)),
                      r->retry ? "retrying" : "creating");
      if (r->retry)
        grp_group_join_async (g, "127.0.0.1:1", NULL, NULL, NULL);
      else
        g_assert_true (grp_group_create (g, NULL));
    }
  r->done = TRUE;
}

static void
test_create_in_join_callback (gconstpointer data)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("a"); /* the name is taken */
  Retry r = { FALSE, GPOINTER_TO_INT (data) };

  grp_group_set_timing (b, 20, 1000);
  grp_group_join_async (b, grp_group_get_address (a), NULL, retry_join_done, &r);
  run_until (NULL, &r.done);
  run_for (NULL, 200);
  if (!r.retry)
    g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_ALONE);
}

/* 1b. Same from the "failed" signal. */
static void
create_on_failed (GrpGroup *g, GError *error, gpointer data)
{
  g_test_message ("failed: %s; creating", error->message);
  g_assert_true (grp_group_create (g, NULL));
  *(gboolean *)data = TRUE;
}

static void
test_create_on_failed (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("a");
  gboolean done = FALSE;

  grp_group_set_timing (b, 20, 1000);
  g_signal_connect (b, "failed", G_CALLBACK (create_on_failed), &done);
  grp_group_join_async (b, grp_group_get_address (a), NULL, NULL, NULL);
  run_until (NULL, &done);
  run_for (NULL, 200);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_ALONE);
}

/* 2. notify::role drops the member during grp_group_create. */
static void
drop_on_role (GObject *obj, GParamSpec *pspec, gpointer data)
{
  GrpGroup **slot = data;
  if (grp_group_get_role (GRP_GROUP (obj)) != GRP_ROLE_NONE && *slot != NULL)
    {
      g_test_message ("notify::role -> %s: dropping",
                      grp_role_to_string (grp_group_get_role (GRP_GROUP (obj))));
      g_clear_object (slot);
    }
}

static void
test_unref_in_notify_role_create (void)
{
  GrpGroup *g = grp_group_new ("solo");
  GWeakRef weak;

  g_weak_ref_init (&weak, g);
  grp_group_set_timing (g, 20, 1000);
  g_assert_true (grp_group_listen (g, NULL, NULL, NULL));
  g_signal_connect (g, "notify::role", G_CALLBACK (drop_on_role), &g);
  grp_group_create (g, NULL);
  g_assert_null (g);
  run_for (NULL, 100);
}

/* 3. A member left alone joins another group from its view-changed handler. */
typedef struct {
  GrpGroup *self;
  char *other;
  gboolean moved;
} Move;

static void
move_when_alone (GrpGroup *g, guint64 id, guint64 seq, GStrv names, GStrv joined, GStrv left,
                 gpointer data)
{
  Move *m = data;
  if (m->moved || g_strv_length (names) != 1 || left == NULL || left[0] == NULL)
    return;
  g_test_message ("alone (role %s): joining %s", grp_role_to_string (grp_group_get_role (g)),
                  m->other);
  m->moved = TRUE;
  grp_group_join_async (g, m->other, NULL, NULL, NULL);
}

static void
test_join_from_view_changed (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) c = start_alone ("c", NULL);
  GrpGroup *b = grp_group_new ("b");
  Move m = { a, g_strdup (grp_group_get_address (c)), FALSE };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  grp_group_set_timing (b, 20, 1000);
  grp_group_join_async (b, grp_group_get_address (a), NULL, NULL, NULL);
  while (grp_group_get_n_members (a) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_signal_connect (a, "view-changed", G_CALLBACK (move_when_alone), &m);
  g_object_unref (b); /* a learns at once: view of 1 */
  run_until (NULL, &m.moved);
  /* a joined c's group from its handler */
  while (grp_group_get_n_members (c) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_free (m.other);
}

/* 4. A delivered handler that runs a nested main loop: deliveries stay in
 *    order, each once. */
typedef struct {
  guint64 last;
  guint n;
  gboolean bad;
  guint nest;
} Order;

static void
nested_delivered (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *payload,
                  gpointer data)
{
  Order *o = data;
  if (o->last != 0 && seq <= o->last)
    {
      g_test_message ("out of order/duplicate: seq %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT
                      " (nest %u)",
                      seq, o->last, o->nest);
      o->bad = TRUE;
    }
  o->last = seq;
  o->n++;
  if (o->nest < 3)
    {
      o->nest++;
      for (int i = 0; i < 5; i++)
        g_main_context_iteration (NULL, FALSE);
      o->nest--;
    }
}

static void
test_nested_loop_in_delivered (gconstpointer data)
{
  gboolean on_leader = GPOINTER_TO_INT (data);
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  g_autoptr(GrpGroup) c = grp_group_new ("c");
  Order o = { 0 };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  g_autoptr(GBytes) x = g_bytes_new_static ("x", 1);
  guint sent = 0;

  grp_group_set_timing (b, 20, 1000);
  grp_group_set_timing (c, 20, 1000);
  grp_group_join_async (b, grp_group_get_address (a), NULL, NULL, NULL);
  grp_group_join_async (c, grp_group_get_address (a), NULL, NULL, NULL);
  while (grp_group_get_n_members (a) < 3 || grp_group_get_role (b) != GRP_ROLE_MEMBER
         || grp_group_get_role (c) != GRP_ROLE_MEMBER)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_signal_connect (on_leader ? a : b, "delivered", G_CALLBACK (nested_delivered), &o);
  while (sent < 600)
    {
      GrpGroup *who = (sent % 3 == 0) ? a : (sent % 3 == 1) ? b : c;
      if (grp_group_multicast (who, x, NULL) > 0)
        sent++;
      g_main_context_iteration (NULL, FALSE);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  while (o.n < sent && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("delivered %u of %u, bad=%d", o.n, sent, o.bad);
  g_assert_false (o.bad);
  g_assert_cmpuint (o.n, ==, sent);
}

/* 5. Dropped while a join is under way (the contact accepts, never
 *    speaks).  Like any GIO object with an operation pending, the member
 *    lives until its join ends (the join's task holds it): it fails within
 *    the join timeout, and the member goes then, not at the later
 *    handshake deadline of the connection it dialed. */
static void
test_drop_while_joining (void)
{
  g_autoptr(GSocketListener) l = NULL;
  g_autofree char *addr = silent_contact (&l);
  GrpGroup *b = grp_group_new ("b");
  gint64 deadline;
  GWeakRef weak;
  GObject *o;

  grp_group_set_timing (b, 20, 1000);
  g_weak_ref_init (&weak, b);
  grp_group_join_async (b, addr, NULL, NULL, NULL);
  run_for (NULL, 100);
  g_object_unref (b);
  deadline = g_get_monotonic_time () + 7000 * 1000; /* the join timeout, 5 s, and a margin */
  while ((o = g_weak_ref_get (&weak)) != NULL)
    {
      g_object_unref (o);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_test_message ("gone %" G_GINT64_FORMAT " ms after its unref",
                  (g_get_monotonic_time () - deadline) / 1000 + 7000);
  g_weak_ref_clear (&weak);
  run_for (NULL, 200);
}

/* 6. The join callback drops the member. */
static void
unref_in_join_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  grp_group_join_finish (GRP_GROUP (source), res, NULL);
  g_object_unref (source); /* the program's only reference */
  *(gboolean *)data = TRUE;
}

static void
test_unref_in_join_callback (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  GrpGroup *b = grp_group_new ("b");
  gboolean done = FALSE;
  GWeakRef weak;
  GObject *o;

  g_weak_ref_init (&weak, b);
  grp_group_set_timing (b, 20, 1000);
  grp_group_join_async (b, grp_group_get_address (a), NULL, unref_in_join_cb, &done);
  run_until (NULL, &done);
  run_for (NULL, 300);
  o = g_weak_ref_get (&weak);
  g_assert_null (o);
  g_weak_ref_clear (&weak);
}

/* 7. The common pattern: a join callback drops the member when the join
 *    fails.  The contact accepts TCP and never speaks (a stopped member, a
 *    wrong port): the handshake sweep fails the probe. */
static void
drop_on_join_failure (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  if (!grp_group_join_finish (GRP_GROUP (source), res, &error))
    {
      g_test_message ("join failed: %s; dropping the member", error->message);
      g_object_unref (source);
    }
  *(gboolean *)data = TRUE;
}

static void
test_drop_in_join_callback_silent_contact (void)
{
  g_autoptr(GSocketListener) l = NULL;
  g_autofree char *addr = silent_contact (&l);
  GrpGroup *b = grp_group_new ("b");
  gboolean done = FALSE;

  grp_group_set_timing (b, 20, 1000);
  grp_group_join_async (b, addr, NULL, drop_on_join_failure, &done);
  run_until (NULL, &done);
  run_for (NULL, 200);
}

/* 8. A member left out leaves from its "excluded" handler: it must stay out
 *    (cb_status sets rejoining and schedules the rejoin after the handler). */
typedef struct {
  char *contact;
  gint ready; /* atomic: b joined */
  gint done;  /* atomic */
  gboolean excluded, left;
  GrpRole role_after;
  guint rejoin_roles; /* notify::role to rejoining/member after the leave */
} Excl;

static void
excl_left (GObject *source, GAsyncResult *res, gpointer data)
{
  Excl *e = data;
  grp_group_leave_finish (GRP_GROUP (source), res, NULL);
  e->left = TRUE;
  g_test_message ("b: leave finished, role %s",
                  grp_role_to_string (grp_group_get_role (GRP_GROUP (source))));
}

static void
excl_handler (GrpGroup *g, gpointer data)
{
  Excl *e = data;
  g_test_message ("b: excluded; leaving from the handler");
  e->excluded = TRUE;
  grp_group_leave_async (g, NULL, excl_left, e);
}

static void
excl_role (GObject *obj, GParamSpec *pspec, gpointer data)
{
  Excl *e = data;
  GrpRole r = grp_group_get_role (GRP_GROUP (obj));
  g_test_message ("b: role -> %s%s", grp_role_to_string (r),
                  e->left ? " (after its leave finished)" : "");
  if (e->excluded && (r == GRP_ROLE_REJOINING || r == GRP_ROLE_MEMBER || r == GRP_ROLE_JOINING))
    e->rejoin_roles++;
}

static void
excl_join_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Excl *e = data;
  g_assert_true (grp_group_join_finish (GRP_GROUP (source), res, NULL));
  g_atomic_int_set (&e->ready, 1);
}

static gpointer
excl_thread (gpointer data)
{
  Excl *e = data;
  GMainContext *context = g_main_context_new ();
  GrpGroup *b;
  gint64 end;

  g_main_context_push_thread_default (context);
  b = grp_group_new ("b");
  grp_group_set_timing (b, 20, 1000);
  g_signal_connect (b, "excluded", G_CALLBACK (excl_handler), e);
  g_signal_connect (b, "notify::role", G_CALLBACK (excl_role), e);
  grp_group_join_async (b, e->contact, NULL, excl_join_done, e);
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!g_atomic_int_get (&e->ready) && g_get_monotonic_time () < end)
    g_main_context_iteration (context, TRUE);
  g_test_message ("b: joined; stopping for 3 s");
  g_usleep (3 * G_USEC_PER_SEC);
  end = g_get_monotonic_time () + 8 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (context, FALSE), g_usleep (1000);
  e->role_after = grp_group_get_role (b);
  g_object_unref (b);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_atomic_int_set (&e->done, 1);
  return NULL;
}

static void
test_leave_from_excluded (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) c = grp_group_new ("c");
  Excl e = { g_strdup (grp_group_get_address (a)) };
  GThread *t;
  gboolean joined = FALSE;

  grp_group_set_timing (c, 20, 1000);
  grp_group_join_async (c, grp_group_get_address (a), NULL, NULL, NULL);
  while (grp_group_get_n_members (a) < 2)
    g_main_context_iteration (NULL, TRUE);
  t = g_thread_new ("b", excl_thread, &e);
  while (!g_atomic_int_get (&e.done))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_thread_join (t);
  g_test_message ("excluded=%d left=%d role at the end=%s rejoin-roles=%u", e.excluded, e.left,
                  grp_role_to_string (e.role_after), e.rejoin_roles);
  g_free (e.contact);
  (void)joined;
  g_assert_true (e.excluded);
  g_assert_cmpint (e.role_after, ==, GRP_ROLE_LEFT);
}

static void
quit_loop_cb (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *p, gpointer data)
{
  g_main_loop_quit (data);
}
/* 9. Thread of its own: quit that thread's loop from a handler, drop after. */
typedef struct {
  char *contact;
  gint joined;
  gint sent;
  gboolean gone;
} TQ;

static void
tq_join (GObject *s, GAsyncResult *r, gpointer d)
{
  g_assert_true (grp_group_join_finish (GRP_GROUP (s), r, NULL));
  g_atomic_int_set (&((TQ *)d)->joined, 1);
}

static gpointer
tq_thread (gpointer data)
{
  TQ *t = data;
  GMainContext *context = g_main_context_new ();
  GMainLoop *loop;
  GrpGroup *b;
  GWeakRef weak;
  GObject *o;

  g_main_context_push_thread_default (context);
  loop = g_main_loop_new (context, FALSE);
  b = grp_group_new ("tb");
  grp_group_set_timing (b, 20, 1000);
  g_signal_connect (b, "delivered", G_CALLBACK (quit_loop_cb), loop);
  grp_group_join_async (b, t->contact, NULL, tq_join, t);
  g_main_loop_run (loop);
  g_weak_ref_init (&weak, b);
  g_object_unref (b);
  o = g_weak_ref_get (&weak);
  t->gone = o == NULL;
  g_clear_object (&o);
  g_weak_ref_clear (&weak);
  g_main_loop_unref (loop);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
test_thread_unref_after_loop (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  TQ t = { g_strdup (grp_group_get_address (a)) };
  GThread *th = g_thread_new ("tb", tq_thread, &t);
  g_autoptr(GBytes) x = g_bytes_new_static ("x", 1);
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (grp_group_get_n_members (a) < 2 || !g_atomic_int_get (&t.joined))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpuint (grp_group_multicast (a, x, NULL), >, 0);
  while (grp_group_get_n_members (a) != 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_thread_join (th);
  g_test_message ("threaded member gone at its unref: %d", t.gone);
  g_assert_true (t.gone);
  g_free (t.contact);
}

/* 10. leave_async from the join callback (run inside grp_join_recv_state). */
static void
leave_cb (GObject *s, GAsyncResult *r, gpointer d)
{
  *(gboolean *)d = grp_group_leave_finish (GRP_GROUP (s), r, NULL) ? 1 : 2;
}
typedef struct {
  gboolean left;
} LJ;
static void
leave_in_join_cb (GObject *s, GAsyncResult *r, gpointer d)
{
  g_assert_true (grp_group_join_finish (GRP_GROUP (s), r, NULL));
  grp_group_leave_async (GRP_GROUP (s), NULL, leave_cb, d);
}

static void
test_leave_in_join_callback (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  gboolean left = FALSE;
  Departure d = { GRP_GROUP_DEPARTURE_UNKNOWN, GRP_GROUP_DEPARTURE_UNKNOWN, FALSE };

  grp_group_set_timing (b, 20, 1000);
  g_signal_connect (a, "view-changed", G_CALLBACK (note_departure), &d);
  grp_group_join_async (b, grp_group_get_address (a), NULL, leave_in_join_cb, &left);
  run_until (NULL, &left);
  run_until (NULL, &d.seen);
  g_test_message ("leave result %d, b role %s, a saw b go: %d", left,
                  grp_role_to_string (grp_group_get_role (b)), d.why);
  g_assert_cmpint (left, ==, 1);
  g_assert_cmpint (d.why, ==, GRP_GROUP_DEPARTURE_LEFT);
}

static void
drop_func (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *p, gpointer data)
{
  GrpGroup **slot = data;
  if (*slot)
    {
      g_test_message ("delivered func: dropping");
      g_clear_object (slot);
    }
}

static void
test_unref_in_delivered_alone (void)
{
  GrpGroup *g = start_alone ("solo", NULL);
  g_autoptr(GBytes) x = g_bytes_new_static ("x", 1);
  GrpGroup *alias = g;
  grp_group_set_delivered_func (g, drop_func, &g, NULL);
  g_assert_cmpuint (grp_group_multicast (alias, x, NULL), >, 0);
  run_for (NULL, 300);
  g_assert_null (g);
}

typedef struct {
  guint funcs;
  guint signals;
} Restart;

/* The first delivery's function ends the incarnation: it leaves (alone, at
 * once) and creates a new group. */
static void
restart_func (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *p, gpointer data)
{
  Restart *r = data;

  if (r->funcs++ > 0)
    return;
  grp_group_leave_async (g, NULL, NULL, NULL);
  g_assert_cmpint (grp_group_get_role (g), ==, GRP_ROLE_LEFT);
  g_assert_true (grp_group_create (g, NULL));
}

static void
count_delivered (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *p,
                 gpointer data)
{
  ((Restart *) data)->signals++;
}

/* A delivery whose function ended the incarnation is not told to the
 * "delivered" handlers: it belongs to a group the member is no longer in,
 * and the new group's state never had it (as a view is not, in cb_view). */
static void
test_restart_in_delivered_func (void)
{
  g_autoptr(GrpGroup) g = start_alone ("solo", NULL);
  g_autoptr(GBytes) x = g_bytes_new_static ("x", 1);
  Restart r = { 0 };

  grp_group_set_delivered_func (g, restart_func, &r, NULL);
  g_signal_connect (g, "delivered", G_CALLBACK (count_delivered), &r);
  g_assert_cmpuint (grp_group_multicast (g, x, NULL), >, 0);
  run_for (NULL, 200);
  g_assert_cmpuint (r.funcs, ==, 1);
  g_assert_cmpuint (r.signals, ==, 0);
  g_assert_cmpint (grp_group_get_role (g), ==, GRP_ROLE_ALONE);
  /* The new group delivers to both. */
  g_assert_cmpuint (grp_group_multicast (g, x, NULL), >, 0);
  run_for (NULL, 200);
  g_assert_cmpuint (r.funcs, ==, 2);
  g_assert_cmpuint (r.signals, ==, 1);
}

static void
drop_on_view_create (GrpGroup *g, guint64 id, guint64 seq, GStrv names, GStrv joined, GStrv left,
                     gpointer data)
{
  GrpGroup **slot = data;
  if (*slot)
    {
      g_test_message ("view-changed in create: dropping");
      g_clear_object (slot);
    }
}

static void
test_unref_in_view_changed_create (void)
{
  GrpGroup *g = grp_group_new ("solo");

  grp_group_set_timing (g, 20, 1000);
  g_signal_connect (g, "view-changed", G_CALLBACK (drop_on_view_create), &g);
  grp_group_create (g, NULL);
  g_assert_null (g);
  run_for (NULL, 100);
}

static void
test_drop_during_tls (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-lifetimes-XXXXXX", NULL);
  g_autofree char *one = g_build_filename (dir, "one", NULL);
  g_assert_true (grp_group_write_secret_file (one, NULL));
  for (guint delay = 0; delay < 40; delay += 2)
    {
      GrpGroup *a = grp_group_new ("a");
      GrpGroup *b = grp_group_new ("b");
      g_assert_true (grp_group_set_secret_file (a, one, NULL));
      g_assert_true (grp_group_set_secret_file (b, one, NULL));
      grp_group_set_timing (a, 20, 1000);
      grp_group_set_timing (b, 20, 1000);
      g_assert_true (grp_group_listen (a, NULL, NULL, NULL));
      g_assert_true (grp_group_create (a, NULL));
      grp_group_join_async (b, grp_group_get_address (a), NULL, NULL, NULL);
      run_for (NULL, delay);
      g_object_unref (a);
      run_for (NULL, 50);
      g_object_unref (b);
      run_for (NULL, 20);
    }
  g_unlink (one);
  g_rmdir (dir);
}

static void
quit_on_join (GObject *s, GAsyncResult *r, gpointer d)
{
  g_autoptr(GError) e = NULL;
  grp_group_join_finish (GRP_GROUP (s), r, &e);
  g_test_message ("join finished: %s", e ? e->message : "ok");
  g_main_loop_quit (d);
}

static void
test_quit_on_join_failure_then_unref (void)
{
  g_autoptr(GSocketListener) l = NULL;
  g_autofree char *addr = silent_contact (&l);
  GrpGroup *b = grp_group_new ("b");
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GWeakRef weak;
  GObject *o;

  grp_group_set_timing (b, 20, 600); /* join timeout 4 x 600 ms < the 5 s handshake deadline */
  g_weak_ref_init (&weak, b);
  grp_group_join_async (b, addr, NULL, quit_on_join, loop);
  g_main_loop_run (loop);
  g_object_unref (b);
  o = g_weak_ref_get (&weak);
  g_assert_null (o);
  g_weak_ref_clear (&weak);
  /* The handshake deadline of the connection it dialed passes: nothing of
   * the member is touched any more. */
  run_for (NULL, 5500);
}

/* 18. A member leaves from its set-state function, or from the view-changed
 *     handler, while it joins: the protocol of the join, retired by the
 *     leave, went on calling the member (a NULL dereference in cb_view)
 *     and turned its role from "left" back to "none". */
static gboolean leaving_done;

static void
leaving_left (GObject *source, GAsyncResult *res, gpointer data)
{
  grp_group_leave_finish (GRP_GROUP (source), res, NULL);
  leaving_done = TRUE;
}

static void
leave_in_set_state (GrpGroup *g, guint64 seq, GBytes *state, gpointer data)
{
  grp_group_leave_async (g, NULL, leaving_left, NULL);
}

static void
leave_in_view (GrpGroup *g, guint64 id, guint64 seq, GStrv names, GStrv joined, GStrv left,
               gpointer data)
{
  if (GPOINTER_TO_INT (data) && !leaving_done)
    grp_group_leave_async (g, NULL, leaving_left, NULL);
}

static void
test_leave_while_joining_from_handler (gconstpointer data)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("b");

  leaving_done = FALSE;
  grp_group_set_timing (b, 20, 1000);
  if (!GPOINTER_TO_INT (data))
    grp_group_set_set_state_func (b, leave_in_set_state, NULL, NULL);
  else
    g_signal_connect (b, "view-changed", G_CALLBACK (leave_in_view), (gpointer) data);
  grp_group_join_async (b, grp_group_get_address (a), NULL, NULL, NULL);
  run_until (NULL, &leaving_done);
  run_for (NULL, 300);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);
}

/* 19. A member joins another group from its view-changed handler during
 *     grp_group_create: its role said "none" while the join ran. */
static void
join_in_create_view (GrpGroup *g, guint64 id, guint64 seq, GStrv names, GStrv joined,
                     GStrv left, gpointer data)
{
  const char **other = data;

  if (*other == NULL)
    return;
  grp_group_join_async (g, *other, NULL, NULL, NULL);
  *other = NULL;
}

static void
test_join_in_create_view (void)
{
  g_autoptr(GrpGroup) c = start_alone ("c", NULL);
  g_autoptr(GrpGroup) a = grp_group_new ("a");
  const char *other = grp_group_get_address (c);
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  grp_group_set_timing (a, 20, 1000);
  g_signal_connect (a, "view-changed", G_CALLBACK (join_in_create_view), &other);
  g_assert_true (grp_group_create (a, NULL));
  g_assert_cmpint (grp_group_get_role (a), ==, GRP_ROLE_JOINING);
  while (grp_group_get_n_members (c) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* 20. A join that fails settles the member, then calls back: notify::role
 *     and "failed" come before the join's callback, which sees the role
 *     "failed" and may drop the member, create a group or join again;
 *     nothing follows about the incarnation that failed.  "failed" came
 *     after the callback (and said "alone" to a handler once the callback
 *     had created a group).  Through a contact whose group has the name
 *     (the core fails the join), one where nobody listens (the probe), and
 *     one that never answers (the handshake deadline, or the join timeout). */
typedef enum { FAIL_NAME_TAKEN, FAIL_REFUSED, FAIL_SILENT } FailHow;
typedef enum { THEN_CREATE, THEN_UNREF, THEN_JOIN } FailThen;

typedef struct {
  FailHow how;
  FailThen then;
} FailCase;

typedef struct {
  GrpGroup *g;             /* the program's reference */
  char *contact;
  GString *log;            /* "role:R", "failed:R" and "callback:R", R the role then */
  guint callbacks;
  FailThen then;
} FailOrder;

static void
order_log (FailOrder *o, const char *what, GrpGroup *g)
{
  g_string_append_printf (o->log, "%s%s:%s", o->log->len > 0 ? " " : "", what,
                          grp_role_to_string (grp_group_get_role (g)));
}

static void
order_role (GObject *obj, GParamSpec *pspec, gpointer data)
{
  order_log (data, "role", GRP_GROUP (obj));
}

static void
order_failed (GrpGroup *g, GError *error, gpointer data)
{
  g_assert_cmpint (grp_group_get_role (g), ==, GRP_ROLE_FAILED);
  order_log (data, "failed", g);
}

static void
order_join_done (GObject *source, GAsyncResult *res, gpointer data)
{
  FailOrder *o = data;
  GrpGroup *g = GRP_GROUP (source);
  g_autoptr(GError) error = NULL;

  g_assert_false (grp_group_join_finish (g, res, &error));
  g_assert_nonnull (error);
  g_test_message ("join failed: %s", error->message);
  g_assert_cmpint (grp_group_get_role (g), ==, GRP_ROLE_FAILED);
  order_log (o, "callback", g);
  if (o->callbacks++ > 0)
    return; /* the second join of THEN_JOIN */
  switch (o->then)
    {
    case THEN_CREATE:
      g_assert_true (grp_group_create (g, NULL));
      break;
    case THEN_UNREF:
      g_clear_object (&o->g);
      break;
    case THEN_JOIN:
      grp_group_join_async (g, o->contact, NULL, order_join_done, o);
      break;
    }
}

static void
test_failed_before_join_callback (gconstpointer data)
{
  const FailCase *c = data;
  g_autoptr(GrpGroup) a = NULL;
  g_autoptr(GSocketListener) silent = NULL;
  g_autofree char *contact = NULL;
  FailOrder o = { grp_group_new ("b"), NULL, g_string_new (NULL), 0, c->then };
  const char *expected = NULL;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  GWeakRef weak;

  switch (c->how)
    {
    case FAIL_NAME_TAKEN:
      a = start_alone ("b", NULL);
      contact = g_strdup (grp_group_get_address (a));
      break;
    case FAIL_REFUSED:
      {
        g_autoptr(GrpGroup) gone = start_alone ("gone", NULL);

        contact = g_strdup (grp_group_get_address (gone));
      }
      break;
    case FAIL_SILENT:
      contact = silent_contact (&silent);
      break;
    }
  o.contact = contact;
  g_weak_ref_init (&weak, o.g);
  grp_group_set_timing (o.g, 20, 1000);
  g_signal_connect (o.g, "notify::role", G_CALLBACK (order_role), &o);
  g_signal_connect (o.g, "failed", G_CALLBACK (order_failed), &o);
  grp_group_join_async (o.g, contact, NULL, order_join_done, &o);
  while (o.callbacks < (c->then == THEN_JOIN ? 2u : 1u))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  /* Anything still said about the incarnation that failed comes now. */
  if (c->then == THEN_UNREF)
    run_until_gone (NULL, &weak);
  else
    run_for (NULL, 300);
  switch (c->then)
    {
    case THEN_CREATE:
      /* The new group's role follows (a create says "alone") */
      expected = "role:joining role:failed failed:failed callback:failed role:";
      g_assert_true (g_str_has_suffix (o.log->str, " role:alone"));
      g_assert_null (strstr (o.log->str + strlen (expected), "failed"));
      g_string_truncate (o.log, strlen (expected));
      g_assert_cmpint (grp_group_get_role (o.g), ==, GRP_ROLE_ALONE);
      break;
    case THEN_UNREF:
      expected = "role:joining role:failed failed:failed callback:failed";
      break;
    case THEN_JOIN:
      expected = "role:joining role:failed failed:failed callback:failed "
                 "role:joining role:failed failed:failed callback:failed";
      g_assert_cmpint (grp_group_get_role (o.g), ==, GRP_ROLE_FAILED);
      break;
    }
  g_assert_cmpstr (o.log->str, ==, expected);
  g_weak_ref_clear (&weak);
  g_clear_object (&o.g);
  g_string_free (o.log, TRUE);
}

/* 21. A member left out whose rejoin failed (no contact admitted it) joins
 *     again, as a program may: that join is a join, not a rejoin.  The
 *     member kept "rejoining" set after the failure, so the new join said
 *     "rejoining", and a contact that refused it failed the join with
 *     REJOIN_FAILED (through the old view's contacts) instead of
 *     UNREACHABLE.  The members run on two contexts of this thread: b's
 *     alone, while it is "stopped", then both until the group has left it
 *     out, then b's alone once its contacts are gone. */
typedef struct {
  GMainContext *context;   /* b's */
  gboolean excluded;
  guint failures;
  GrpGroupError code;      /* of the last "failed" */
  gboolean joined;
  guint joins;             /* join callbacks */
  GString *roles;          /* notify::role, once the program joins again */
} Rejoin;

static void
rejoin_excluded (GrpGroup *g, gpointer data)
{
  ((Rejoin *) data)->excluded = TRUE;
}

static void
rejoin_failed (GrpGroup *g, GError *error, gpointer data)
{
  Rejoin *r = data;

  g_test_message ("b failed: %s", error->message);
  g_assert_true (error->domain == GRP_GROUP_ERROR);
  r->code = error->code;
  r->failures++;
}

static void
rejoin_role (GObject *obj, GParamSpec *pspec, gpointer data)
{
  Rejoin *r = data;
  const char *role = grp_role_to_string (grp_group_get_role (GRP_GROUP (obj)));

  g_test_message ("b: role -> %s", role);
  if (r->roles != NULL)
    g_string_append_printf (r->roles, "%s%s", r->roles->len > 0 ? " " : "", role);
}

static void
rejoin_join_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Rejoin *r = data;

  r->joined = grp_group_join_finish (GRP_GROUP (source), res, NULL);
  r->joins++;
}

/* One turn of b's context, as the thread default (where GIO calls back). */
static void
rejoin_turn (Rejoin *r)
{
  g_main_context_push_thread_default (r->context);
  g_main_context_iteration (r->context, FALSE);
  g_main_context_pop_thread_default (r->context);
}

/* b, on r's context, watched by r, joining through `contact`. */
static GrpGroup *
rejoin_member (Rejoin *r, GrpGroup *contact)
{
  GrpGroup *b;

  g_main_context_push_thread_default (r->context);
  b = grp_group_new ("b");
  grp_group_set_timing (b, 20, 1000);
  g_signal_connect (b, "excluded", G_CALLBACK (rejoin_excluded), r);
  g_signal_connect (b, "failed", G_CALLBACK (rejoin_failed), r);
  g_signal_connect (b, "notify::role", G_CALLBACK (rejoin_role), r);
  grp_group_join_async (b, grp_group_get_address (contact), NULL, NULL, NULL);
  g_main_context_pop_thread_default (r->context);
  return b;
}

/* One turn of the default context and of r's, then a short sleep. */
static void
turn_with (Rejoin *r)
{
  g_main_context_iteration (NULL, FALSE);
  rejoin_turn (r);
  g_usleep (1000);
}

/* a, b (rejoin_member) and c in one group; then b stops until a and c have
 * gone on without it.  b goes on (and hears it was left out) at the
 * caller's next rejoin_turn. */
static GrpGroup *
three_then_b_stops (Rejoin *r, GrpGroup *a, GrpGroup *c, gint64 deadline)
{
  GrpGroup *b;

  grp_group_set_timing (c, 20, 1000);
  grp_group_join_async (c, grp_group_get_address (a), NULL, NULL, NULL);
  b = rejoin_member (r, a);
  while (grp_group_get_n_members (a) < 3 || grp_group_get_role (b) != GRP_ROLE_MEMBER ||
         grp_group_get_role (c) != GRP_ROLE_MEMBER)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      turn_with (r);
    }
  while (grp_group_get_n_members (a) != 2 || grp_group_get_n_members (c) != 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return b;
}

static void
test_join_after_failed_rejoin (void)
{
  GrpGroup *a = start_alone ("a", NULL);
  GrpGroup *c = grp_group_new ("c");
  g_autoptr(GrpGroup) b = NULL;
  g_autoptr(GrpGroup) d = start_alone ("d", NULL);
  g_autofree char *refused = NULL;
  Rejoin r = { g_main_context_new () };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  GWeakRef weak_a, weak_c;

  {
    g_autoptr(GrpGroup) gone = start_alone ("gone", NULL);

    refused = g_strdup (grp_group_get_address (gone));
  }
  /* b stops: the group goes on without it. */
  b = three_then_b_stops (&r, a, c, deadline);
  /* b goes on and hears it was left out; its rejoin waits for its next turn. */
  while (!r.excluded)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      turn_with (&r);
    }
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_REJOINING);
  /* Its contacts go: none admits it again.  It tries both, and says
   * "failed" once, at the end (it said so after the first contact too,
   * then "rejoining" again). */
  r.roles = g_string_new (NULL);
  g_weak_ref_init (&weak_a, a);
  g_weak_ref_init (&weak_c, c);
  g_object_unref (a);
  g_object_unref (c);
  run_until_gone (NULL, &weak_a);
  run_until_gone (NULL, &weak_c);
  g_weak_ref_clear (&weak_a);
  g_weak_ref_clear (&weak_c);
  while (r.failures == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      rejoin_turn (&r);
      g_usleep (1000);
    }
  g_assert_cmpint (r.code, ==, GRP_GROUP_ERROR_REJOIN_FAILED);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_FAILED);
  g_assert_cmpstr (r.roles->str, ==, "failed");

  /* A join through a contact that refuses: unreachable, as for a member
   * that was never in a group. */
  g_string_truncate (r.roles, 0);
  g_main_context_push_thread_default (r.context);
  grp_group_join_async (b, refused, NULL, rejoin_join_done, &r);
  g_main_context_pop_thread_default (r.context);
  while (r.joins < 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      rejoin_turn (&r);
      g_usleep (1000);
    }
  g_assert_false (r.joined);
  g_assert_cmpuint (r.failures, ==, 2);
  g_assert_cmpint (r.code, ==, GRP_GROUP_ERROR_UNREACHABLE);
  g_assert_cmpstr (r.roles->str, ==, "joining failed");

  /* A join to a live group: joining, then member (never "rejoining"). */
  g_string_truncate (r.roles, 0);
  g_main_context_push_thread_default (r.context);
  grp_group_join_async (b, grp_group_get_address (d), NULL, rejoin_join_done, &r);
  g_main_context_pop_thread_default (r.context);
  while (r.joins < 2 || grp_group_get_n_members (d) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      turn_with (&r);
    }
  g_assert_true (r.joined);
  g_assert_cmpuint (r.failures, ==, 2);
  g_assert_cmpstr (r.roles->str, ==, "joining member");
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_MEMBER);

  /* b goes first, on its own context (its sources are there). */
  g_signal_handlers_disconnect_by_data (b, &r);
  g_main_context_push_thread_default (r.context);
  g_clear_object (&b);
  g_main_context_pop_thread_default (r.context);
  g_string_free (r.roles, TRUE);
  g_main_context_unref (r.context);
}

/* 22. A member left out rejoins through the first contact it has, which
 *     admits nobody (it left the group meanwhile), then through the next,
 *     which admits it: its role stays "rejoining" until it is a member
 *     again.  The first contact's join timing out made it say "failed" in
 *     between, then "rejoining" again: a program watching the role saw its
 *     member fail for good.  a (the first contact: the leader of b's last
 *     view) runs on a context of its own; b on another, "stopped" until
 *     the others go on without it; c and d on the default one. */
static void
iterate (GMainContext **contexts, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_main_context_push_thread_default (contexts[i]);
      g_main_context_iteration (contexts[i], FALSE);
      g_main_context_pop_thread_default (contexts[i]);
    }
  g_usleep (1000);
}

static void
test_rejoin_next_contact (void)
{
  GMainContext *ctx_a = g_main_context_new ();
  GMainContext *ctx_b = g_main_context_new ();
  GMainContext *all[] = { ctx_a, ctx_b, g_main_context_default () };
  GMainContext *no_b[] = { ctx_a, g_main_context_default () };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  Rejoin r = { ctx_b };
  GrpGroup *a, *b, *c, *d;

  g_main_context_push_thread_default (ctx_a);
  a = start_alone ("a", NULL);
  g_main_context_pop_thread_default (ctx_a);
  b = rejoin_member (&r, a);
  c = grp_group_new ("c");
  d = grp_group_new ("d");
  grp_group_set_timing (c, 20, 1000);
  grp_group_set_timing (d, 20, 1000);
  grp_group_join_async (c, grp_group_get_address (a), NULL, NULL, NULL);
  grp_group_join_async (d, grp_group_get_address (a), NULL, NULL, NULL);
  while (grp_group_get_n_members (a) < 4 || grp_group_get_role (b) != GRP_ROLE_MEMBER ||
         grp_group_get_role (c) != GRP_ROLE_MEMBER || grp_group_get_role (d) != GRP_ROLE_MEMBER)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      iterate (all, G_N_ELEMENTS (all));
    }
  /* b stops: a, c and d go on without it. */
  while (grp_group_get_n_members (a) != 3 || grp_group_get_n_members (c) != 3 ||
         grp_group_get_n_members (d) != 3)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      iterate (no_b, G_N_ELEMENTS (no_b));
    }
  /* a leaves; b goes on: it hears it was left out, rejoins through a (its
   * last view's leader, first), which admits nobody now, then through c. */
  g_main_context_push_thread_default (ctx_a);
  grp_group_leave_async (a, NULL, NULL, NULL);
  g_main_context_pop_thread_default (ctx_a);
  while (!r.excluded)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      iterate (all, G_N_ELEMENTS (all));
    }
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_REJOINING);
  r.roles = g_string_new (NULL);
  while (grp_group_get_role (b) != GRP_ROLE_MEMBER)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpuint (r.failures, ==, 0);
      iterate (all, G_N_ELEMENTS (all));
    }
  g_assert_cmpstr (r.roles->str, ==, "member");
  g_assert_true (grp_group_get_n_members (b) >= 3);

  g_signal_handlers_disconnect_by_data (b, &r);
  g_main_context_push_thread_default (ctx_b);
  g_object_unref (b);
  g_main_context_pop_thread_default (ctx_b);
  g_main_context_push_thread_default (ctx_a);
  g_object_unref (a);
  g_main_context_pop_thread_default (ctx_a);
  g_object_unref (c);
  g_object_unref (d);
  g_string_free (r.roles, TRUE);
  g_main_context_unref (ctx_a);
  g_main_context_unref (ctx_b);
}

/* 23. A member leaves while it joins, after its contact admitted it (from
 *     its set-state function, or from notify::role as it becomes a
 *     member): the contact must see it go (as a crash, the join having
 *     been stopped), and go on alone.  The joining incarnation was retired
 *     but its connections stayed open, bound to it, so the contact never
 *     learned that it ended: it suspected it, found itself no quorum of
 *     the view of two and waited ("blocked") for as long as the member
 *     that left was alive.  As it becomes a member, the notify::role
 *     handler's leave was also undone: the role went "left", then "none". */
typedef enum { LEAVE_IN_SET_STATE, LEAVE_ON_ROLE_MEMBER } LeaveWhen;

typedef struct {
  LeaveWhen when;
  gboolean asked;
  gboolean done;
  GString *roles;
} LateLeave;

static void
late_left (GObject *source, GAsyncResult *res, gpointer data)
{
  LateLeave *l = data;

  g_assert_true (grp_group_leave_finish (GRP_GROUP (source), res, NULL));
  l->done = TRUE;
}

static void
late_leave (GrpGroup *g, LateLeave *l)
{
  if (l->asked)
    return;
  l->asked = TRUE;
  grp_group_leave_async (g, NULL, late_left, l);
}

static void
late_leave_in_set_state (GrpGroup *g, guint64 seq, GBytes *state, gpointer data)
{
  late_leave (g, data);
}

static void
late_leave_on_role (GObject *obj, GParamSpec *pspec, gpointer data)
{
  LateLeave *l = data;
  GrpRole role = grp_group_get_role (GRP_GROUP (obj));

  g_string_append_printf (l->roles, "%s%s", l->roles->len > 0 ? " " : "",
                          grp_role_to_string (role));
  if (l->when == LEAVE_ON_ROLE_MEMBER && role == GRP_ROLE_MEMBER)
    late_leave (GRP_GROUP (obj), l);
}

static void
test_leave_after_admission (gconstpointer data)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  LateLeave l = { GPOINTER_TO_INT (data), FALSE, FALSE, g_string_new (NULL) };
  gint64 deadline = g_get_monotonic_time () + 8 * G_USEC_PER_SEC;

  grp_group_set_timing (b, 20, 1000);
  if (l.when == LEAVE_IN_SET_STATE)
    grp_group_set_set_state_func (b, late_leave_in_set_state, &l, NULL);
  g_signal_connect (b, "notify::role", G_CALLBACK (late_leave_on_role), &l);
  grp_group_join_async (b, grp_group_get_address (a), NULL, NULL, NULL);
  run_until (NULL, &l.done);
  /* b stays alive, as a program may keep a member that left; a goes on
   * without it (within its suspicion timeout, and a margin). */
  while (grp_group_get_n_members (a) != 1 || grp_group_is_blocked (a))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *line = grp_group_describe (a);

          g_test_message ("a: %u members, blocked: %d (%s)", grp_group_get_n_members (a),
                          grp_group_is_blocked (a), line);
          g_assert_cmpint (g_get_monotonic_time (), <=, deadline);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_test_message ("b's roles: %s", l.roles->str);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);
  g_assert_true (g_str_has_suffix (l.roles->str, "left"));
  g_string_free (l.roles, TRUE);
}

/* 24. A notify::role handler leaves as the member becomes "joining", in
 *     grp_group_join_async itself: the leave stops the join.  The join
 *     went on after the handler returned (its probe was started after the
 *     notification): the leave said it was done, the join's callback said
 *     it was cancelled, and the member joined the group all the same. */
typedef struct {
  gboolean left;
  gboolean join_done;
  GError *join_error;
  GString *roles;
} EarlyLeave;

static void
early_leave_left (GObject *source, GAsyncResult *res, gpointer data)
{
  EarlyLeave *e = data;

  g_assert_true (grp_group_leave_finish (GRP_GROUP (source), res, NULL));
  e->left = TRUE;
}

static void
early_leave_joined (GObject *source, GAsyncResult *res, gpointer data)
{
  EarlyLeave *e = data;

  g_assert_false (grp_group_join_finish (GRP_GROUP (source), res, &e->join_error));
  e->join_done = TRUE;
}

static void
early_leave_on_role (GObject *obj, GParamSpec *pspec, gpointer data)
{
  EarlyLeave *e = data;
  GrpRole role = grp_group_get_role (GRP_GROUP (obj));

  g_string_append_printf (e->roles, "%s%s", e->roles->len > 0 ? " " : "",
                          grp_role_to_string (role));
  if (role == GRP_ROLE_JOINING)
    grp_group_leave_async (GRP_GROUP (obj), NULL, early_leave_left, e);
}

static void
test_leave_on_role_joining (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  EarlyLeave e = { FALSE, FALSE, NULL, g_string_new (NULL) };

  grp_group_set_timing (b, 20, 1000);
  g_signal_connect (b, "notify::role", G_CALLBACK (early_leave_on_role), &e);
  grp_group_join_async (b, grp_group_get_address (a), NULL, early_leave_joined, &e);
  run_until (NULL, &e.join_done);
  run_until (NULL, &e.left);
  run_for (NULL, 1000); /* a join under way would have completed by now */
  g_test_message ("b's roles: %s; a has %u members", e.roles->str, grp_group_get_n_members (a));
  g_assert_error (e.join_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (e.roles->str, ==, "joining left");
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);
  g_assert_cmpuint (grp_group_get_n_members (a), ==, 1);
  g_clear_error (&e.join_error);
  g_string_free (e.roles, TRUE);
}

/* 25. The join's cancellable is cancelled in the turn where the join
 *     completes (here from the set-state function; as well from another
 *     thread, or another source of the same turn): the join is over, and
 *     its callback must say what the member is.  GTask's own check of the
 *     cancellable made grp_group_join_finish say G_IO_ERROR_CANCELLED
 *     ("the member is in no group") of a member of the group. */
typedef struct {
  gboolean done;
  gboolean joined;
  GrpRole role;
} LateCancel;

static void
late_cancel_in_set_state (GrpGroup *g, guint64 seq, GBytes *state, gpointer data)
{
  g_cancellable_cancel (data);
}

static void
late_cancel_joined (GObject *source, GAsyncResult *res, gpointer data)
{
  LateCancel *c = data;
  g_autoptr(GError) error = NULL;

  c->joined = grp_group_join_finish (GRP_GROUP (source), res, &error);
  c->role = grp_group_get_role (GRP_GROUP (source));
  g_test_message ("join: %s; role %s", error != NULL ? error->message : "done",
                  grp_role_to_string (c->role));
  c->done = TRUE;
}

static void
test_cancel_as_join_completes (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  LateCancel c = { 0 };

  grp_group_set_timing (b, 20, 1000);
  grp_group_set_set_state_func (b, late_cancel_in_set_state, cancellable, NULL);
  grp_group_join_async (b, grp_group_get_address (a), cancellable, late_cancel_joined, &c);
  run_until (NULL, &c.done);
  run_for (NULL, 300);
  /* What the callback was told is what the member is. */
  g_assert_cmpint (c.joined, ==, c.role == GRP_ROLE_MEMBER);
  g_assert_cmpint (c.joined, ==, grp_group_get_role (b) == GRP_ROLE_MEMBER);
  g_assert_cmpint (c.joined, ==, grp_group_get_n_members (a) == 2);
}

/* 26. A member left out hears it first from notify::role ("rejoining"),
 *     before "excluded", and leaves from that handler: it must stay out,
 *     as it does when it leaves from the "excluded" handler (8).  The
 *     leave finished at once (the member was no member any more) and the
 *     rejoin was set up after the handler had returned: the member that
 *     left rejoined the group. */
typedef struct {
  gboolean asked;
  gboolean left;
  GString *roles;          /* notify::role, once b was left out */
} LeaveOut;

static void
leave_out_left (GObject *source, GAsyncResult *res, gpointer data)
{
  LeaveOut *o = data;

  g_assert_true (grp_group_leave_finish (GRP_GROUP (source), res, NULL));
  o->left = TRUE;
}

static void
leave_out_on_role (GObject *obj, GParamSpec *pspec, gpointer data)
{
  LeaveOut *o = data;
  GrpRole role = grp_group_get_role (GRP_GROUP (obj));

  if (o->roles == NULL)
    return;
  g_string_append_printf (o->roles, "%s%s", o->roles->len > 0 ? " " : "",
                          grp_role_to_string (role));
  if (role == GRP_ROLE_REJOINING && !o->asked)
    {
      o->asked = TRUE;
      grp_group_leave_async (GRP_GROUP (obj), NULL, leave_out_left, o);
    }
}

static void
test_leave_on_role_rejoining (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) c = grp_group_new ("c");
  g_autoptr(GrpGroup) b = NULL;
  Rejoin r = { g_main_context_new () };
  LeaveOut o = { FALSE, FALSE, NULL };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  gint64 end;

  /* b stops: the group goes on without it. */
  b = three_then_b_stops (&r, a, c, deadline);
  g_signal_connect (b, "notify::role", G_CALLBACK (leave_out_on_role), &o);
  /* b goes on, hears it was left out, and leaves from notify::role. */
  o.roles = g_string_new (NULL);
  while (!o.left)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      turn_with (&r);
    }
  end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC; /* a rejoin takes far less */
  while (g_get_monotonic_time () < end)
    {
      turn_with (&r);
    }
  g_test_message ("b's roles once left out: %s; a has %u members", o.roles->str,
                  grp_group_get_n_members (a));
  /* "rejoining": it was left out.  Its leave came before "excluded", which
   * is not said of a member that has left. */
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);
  g_assert_cmpstr (o.roles->str, ==, "rejoining left");
  g_assert_cmpuint (grp_group_get_n_members (a), ==, 2);

  g_signal_handlers_disconnect_by_data (b, &r);
  g_signal_handlers_disconnect_by_data (b, &o);
  g_main_context_push_thread_default (r.context);
  g_clear_object (&b);
  g_main_context_pop_thread_default (r.context);
  g_string_free (o.roles, TRUE);
  g_main_context_unref (r.context);
}

/* 27. A member left out creates a group of its own from its "excluded"
 *     handler, which the README allows ("A handler may also create, join
 *     or leave again (from a join's callback, failed, excluded or
 *     view-changed)"): it must be alone in its group, and not rejoin the
 *     one that left it out.  grp_group_create refused a member that was
 *     rejoining (a critical). */
typedef struct {
  char *other;             /* join this group's member, or create one: NULL */
  gboolean created;        /* or joining */
} Elsewhere;

static void
create_on_excluded (GrpGroup *g, gpointer data)
{
  Elsewhere *e = data;
  g_autoptr(GError) error = NULL;

  if (e->other != NULL)
    {
      grp_group_join_async (g, e->other, NULL, NULL, NULL);
      e->created = grp_group_get_role (g) == GRP_ROLE_JOINING;
      return;
    }
  e->created = grp_group_create (g, &error);
  g_assert_no_error (error);
}

static void
test_create_from_excluded (gconstpointer data)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) c = grp_group_new ("c");
  g_autoptr(GrpGroup) d = start_alone ("d", NULL);
  g_autoptr(GrpGroup) b = NULL;
  Rejoin r = { g_main_context_new () };
  Elsewhere created = { GPOINTER_TO_INT (data) ? g_strdup (grp_group_get_address (d)) : NULL };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  gint64 end;

  /* b stops: the group goes on without it. */
  b = three_then_b_stops (&r, a, c, deadline);
  g_signal_connect (b, "excluded", G_CALLBACK (create_on_excluded), &created);
  /* b goes on, hears it was left out, and creates a group. */
  while (!r.excluded)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      turn_with (&r);
    }
  end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC; /* a rejoin takes far less */
  while (g_get_monotonic_time () < end)
    {
      turn_with (&r);
    }
  g_assert_true (created.created);
  if (created.other != NULL)
    {
      /* It joined d's group. */
      g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_MEMBER);
      g_assert_cmpuint (grp_group_get_n_members (d), ==, 2);
    }
  else
    {
      g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_ALONE);
      g_assert_cmpuint (grp_group_get_n_members (b), ==, 1);
    }
  g_assert_cmpuint (grp_group_get_n_members (a), ==, 2);
  g_assert_cmpuint (r.failures, ==, 0);

  g_signal_handlers_disconnect_by_data (b, &r);
  g_signal_handlers_disconnect_by_data (b, &created);
  g_main_context_push_thread_default (r.context);
  g_clear_object (&b);
  g_main_context_pop_thread_default (r.context);
  g_main_context_unref (r.context);
  g_free (created.other);
}

/* 28. A leave that the group cannot answer in time (its leader, a, is
 *     stopped) finishes after its bound, successfully: "it left".  The
 *     member then went on as a member: its role stayed "member" (and
 *     "blocked"), its protocol ran on, and it said "left" only once the
 *     leader came back and agreed on a view without it (if ever).  A
 *     member whose leave has finished should say it left. */
static void
timed_out_left (GObject *source, GAsyncResult *res, gpointer data)
{
  g_assert_true (grp_group_leave_finish (GRP_GROUP (source), res, NULL));
  *(gboolean *) data = TRUE;
}

static void
turn_both (GMainContext *other)
{
  g_main_context_push_thread_default (other);
  g_main_context_iteration (other, FALSE);
  g_main_context_pop_thread_default (other);
  g_main_context_iteration (NULL, FALSE);
  g_usleep (1000);
}

static void
test_leave_timed_out (void)
{
  GMainContext *ctx_a = g_main_context_new ();
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  gboolean left = FALSE;
  GrpGroup *a;

  g_main_context_push_thread_default (ctx_a);
  a = start_alone ("a", NULL);
  g_main_context_pop_thread_default (ctx_a);
  grp_group_set_timing (b, 20, 1000);
  grp_group_join_async (b, grp_group_get_address (a), NULL, NULL, NULL);
  while (grp_group_get_role (b) != GRP_ROLE_MEMBER || grp_group_get_n_members (a) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      turn_both (ctx_a);
    }
  /* a stops; b leaves, and finishes after its bound (3.5 s here). */
  grp_group_leave_async (b, NULL, timed_out_left, &left);
  run_until (NULL, &left);
  g_test_message ("b's leave finished: role %s, %u members, blocked %d",
                  grp_role_to_string (grp_group_get_role (b)), grp_group_get_n_members (b),
                  grp_group_is_blocked (b));
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);

  g_main_context_push_thread_default (ctx_a);
  g_object_unref (a);
  g_main_context_pop_thread_default (ctx_a);
  g_main_context_unref (ctx_a);
}

/* A member whose leave ran out its bound with multicasts undelivered, that
 * then joins again (its protocol retired, it may) and stops that join: the
 * new incarnation sent nothing, and nothing of its own is pending. */
static void
test_pending_after_timed_out_leave (void)
{
  GMainContext *ctx_a = g_main_context_new ();
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  g_autoptr(GBytes) payload = g_bytes_new_static ("x", 1);
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  gboolean left = FALSE;
  GrpGroup *a;

  g_main_context_push_thread_default (ctx_a);
  a = start_alone ("a", NULL);
  g_main_context_pop_thread_default (ctx_a);
  grp_group_set_timing (b, 20, 1000);
  grp_group_join_async (b, grp_group_get_address (a), NULL, NULL, NULL);
  while (grp_group_get_role (b) != GRP_ROLE_MEMBER || grp_group_get_n_members (a) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      turn_both (ctx_a);
    }
  /* a stops: b's multicasts are not delivered, and its leave runs out. */
  for (int i = 0; i < 3; i++)
    g_assert_cmpuint (grp_group_multicast (b, payload, NULL), >, 0);
  grp_group_leave_async (b, NULL, timed_out_left, &left);
  run_until (NULL, &left);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);
  g_test_message ("pending after the leave: %u", grp_group_get_pending (b));
  left = FALSE;
  grp_group_join_async (b, "127.0.0.1:1", NULL, NULL, NULL);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_JOINING);
  grp_group_leave_async (b, NULL, timed_out_left, &left);
  run_until (NULL, &left);
  g_assert_cmpuint (grp_group_get_pending (b), ==, 0);

  g_main_context_push_thread_default (ctx_a);
  g_object_unref (a);
  g_main_context_pop_thread_default (ctx_a);
  g_main_context_unref (ctx_a);
}

/* 29. Leaves asked again, as handlers do: from notify::role when the role
 *     becomes "left" (inside the first leave, before its callback), from
 *     view-changed on every view, twice in a row, and once left.  Each
 *     asked a critical warning ("one leave at a time").  Now a leave asked
 *     of a member that has left finishes at once, successfully (it is in
 *     no group); one asked while another is under way finishes at once
 *     with G_IO_ERROR_PENDING, and the first goes on. */
typedef struct {
  guint done;              /* leave callbacks */
  guint ok;                /* of which successful */
  guint pending;           /* of which G_IO_ERROR_PENDING */
} Leaves;

static void
leaves_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Leaves *l = data;
  g_autoptr(GError) error = NULL;

  if (grp_group_leave_finish (GRP_GROUP (source), res, &error))
    l->ok++;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    l->pending++;
  else
    g_assert_no_error (error);
  l->done++;
}

static void
leave_when_left (GObject *obj, GParamSpec *pspec, gpointer data)
{
  if (grp_group_get_role (GRP_GROUP (obj)) == GRP_ROLE_LEFT)
    grp_group_leave_async (GRP_GROUP (obj), NULL, leaves_done, data);
}

static void
leave_on_view (GrpGroup *g, guint64 id, guint64 seq, GStrv names, GStrv joined, GStrv left,
               gpointer data)
{
  grp_group_leave_async (g, NULL, leaves_done, data);
}

static void
run_until_count (guint *count, guint n)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (*count < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* A new member `name` (heartbeat 20 ms, suspicion 1 s), joined through a. */
static GrpGroup *
joined_through (GrpGroup *a, const char *name)
{
  GrpGroup *g = grp_group_new (name);
  gboolean joined = FALSE;

  grp_group_set_timing (g, 20, 1000);
  grp_group_join_async (g, grp_group_get_address (a), NULL, join_done, &joined);
  run_until (NULL, &joined);
  return g;
}

static void
test_leave_again (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);

  /* From notify::role "left", while the first leave finishes. */
  {
    g_autoptr(GrpGroup) b = joined_through (a, "b");
    Leaves l = { 0 };

    g_signal_connect (b, "notify::role", G_CALLBACK (leave_when_left), &l);
    grp_group_leave_async (b, NULL, leaves_done, &l);
    run_until_count (&l.done, 2);
    run_for (NULL, 100);
    g_assert_cmpuint (l.done, ==, 2);
    g_assert_cmpuint (l.ok, ==, 2);
    g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);
    /* Once left. */
    grp_group_leave_async (b, NULL, leaves_done, &l);
    run_until_count (&l.done, 3);
    g_assert_cmpuint (l.ok, ==, 3);
  }
  /* Twice in a row. */
  {
    g_autoptr(GrpGroup) b = joined_through (a, "b");
    Leaves l = { 0 };

    grp_group_leave_async (b, NULL, leaves_done, &l);
    grp_group_leave_async (b, NULL, leaves_done, &l);
    run_until_count (&l.done, 2);
    g_assert_cmpuint (l.ok, ==, 1);
    g_assert_cmpuint (l.pending, ==, 1);
    g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);
  }
  /* From view-changed, on every view: the first admits it; the leave gives
   * no view of its own, so the count of views is not known: two calls are
   * enough to ask it again. */
  {
    g_autoptr(GrpGroup) b = joined_through (a, "b");
    g_autoptr(GrpGroup) c = NULL;
    Leaves l = { 0 };

    g_signal_connect (b, "view-changed", G_CALLBACK (leave_on_view), &l);
    c = joined_through (a, "c");
    grp_group_leave_async (b, NULL, leaves_done, &l);
    run_until_count (&l.done, 2);
    run_for (NULL, 300);
    g_test_message ("leaves from view-changed and after: %u, %u of them successful, %u pending",
                    l.done, l.ok, l.pending);
    g_assert_cmpuint (l.done, >=, 2);
    g_assert_cmpuint (l.ok, >=, 1);
    g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_LEFT);
  }
}

/* 30. A member creates a group from its notify::role handler when the role
 *     becomes "left", inside the leave that got there (before its
 *     callback): that leave finishes, successfully, and the member is alone
 *     in its new group (create refused a member that left: a critical). */
static void
create_when_left (GObject *obj, GParamSpec *pspec, gpointer data)
{
  g_autoptr(GError) error = NULL;

  if (grp_group_get_role (GRP_GROUP (obj)) != GRP_ROLE_LEFT)
    return;
  g_assert_true (grp_group_create (GRP_GROUP (obj), &error));
  g_assert_no_error (error);
}

static void
test_create_on_role_left (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) b = joined_through (a, "b");
  Leaves l = { 0 };
  gint64 end;

  g_signal_connect (b, "notify::role", G_CALLBACK (create_when_left), NULL);
  grp_group_leave_async (b, NULL, leaves_done, &l);
  run_until_count (&l.done, 1);
  /* a's view without b follows b's leave (its timers wake the loop). */
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (grp_group_get_n_members (a) != 1 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (l.ok, ==, 1);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_ALONE);
  g_assert_cmpuint (grp_group_get_n_members (b), ==, 1);
  g_assert_cmpuint (grp_group_get_n_members (a), ==, 1);
}

/* 31. A member leaves while its join is under way, and creates (or joins
 *     another group) from its notify::role handler when the role becomes
 *     "left", as it may after any leave (30).  The join's task was still
 *     the member's when the role was notified: grp_group_create and
 *     grp_group_join_async refused the member (a critical), and a join
 *     they had let start would have been the one finished, cancelled, by
 *     the leave (32). */
typedef struct {
  GrpGroup *other;         /* join this member's group from "left", or create: NULL */
  gboolean started;        /* the handler created, or began the join */
  guint joins;             /* join callbacks */
  GError *first;           /* the first join's error */
  gboolean joined;         /* the second join's result */
  Leaves leaves;
  GrpRole when;            /* the role that starts it: "left" (0, the default), "failed" */
} AgainOnLeft;

static void
again_joined (GObject *source, GAsyncResult *res, gpointer data)
{
  AgainOnLeft *a = data;
  g_autoptr(GError) error = NULL;
  gboolean ok = grp_group_join_finish (GRP_GROUP (source), res, &error);

  g_test_message ("join %u: %s", a->joins + 1, ok ? "done" : error->message);
  if (a->joins++ == 0 && a->first == NULL && !ok)
    a->first = g_steal_pointer (&error);
  else
    a->joined = ok;
}

static void
again_on_role (GObject *obj, GParamSpec *pspec, gpointer data)
{
  AgainOnLeft *a = data;
  GrpGroup *g = GRP_GROUP (obj);

  if (grp_group_get_role (g) != (a->when != 0 ? a->when : GRP_ROLE_LEFT) || a->started)
    return;
  a->started = TRUE;
  if (a->other != NULL)
    grp_group_join_async (g, grp_group_get_address (a->other), NULL, again_joined, a);
  else
    g_assert_true (grp_group_create (g, NULL));
}

/* b's handler created a group, or joined `other`'s, after its first join
 * (through a) ended: the second is done, and a is alone again. */
static void
assert_started_again (AgainOnLeft *again, GrpGroup *a, GrpGroup *b)
{
  run_until_count (&again->joins, again->other != NULL ? 2 : 1);
  run_for (NULL, 300);
  g_assert_true (again->started);
  g_assert_cmpuint (grp_group_get_n_members (a), ==, 1);
  if (again->other != NULL)
    {
      g_assert_true (again->joined);
      g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_MEMBER);
      g_assert_cmpuint (grp_group_get_n_members (again->other), ==, 2);
    }
  else
    g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_ALONE);
}

static void
test_again_on_left_while_joining (gconstpointer data)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) d = start_alone ("d", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  AgainOnLeft again = { GPOINTER_TO_INT (data) ? d : NULL };

  grp_group_set_timing (b, 20, 1000);
  grp_group_join_async (b, grp_group_get_address (a), NULL, again_joined, &again);
  g_signal_connect (b, "notify::role", G_CALLBACK (again_on_role), &again);
  grp_group_leave_async (b, NULL, leaves_done, &again.leaves);
  run_until_count (&again.leaves.done, 1);
  assert_started_again (&again, a, b);
  g_assert_error (again.first, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (again.leaves.ok, ==, 1);
  g_clear_error (&again.first);
}

/* 32. The same from a member left out: it leaves from "excluded" (8), and
 *     joins another group from notify::role "left".  The leave stopped the
 *     rejoin after that handler had returned, and finished the join under
 *     way then: the new one, which said G_IO_ERROR_CANCELLED ("the member
 *     left") and stayed "joining", its probe's answer ignored, for good.
 *     (From a notify::role handler, GObject defers the nested "left" until
 *     that handler returns, and the leave is over by then.) */
static void
leave_out_then_join (GrpGroup *g, gpointer data)
{
  AgainOnLeft *a = data;

  grp_group_leave_async (g, NULL, leaves_done, &a->leaves);
}

static void
test_join_on_left_while_rejoining (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) c = grp_group_new ("c");
  g_autoptr(GrpGroup) d = start_alone ("d", NULL);
  g_autoptr(GrpGroup) b = NULL;
  Rejoin r = { g_main_context_new () };
  AgainOnLeft again = { d };
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  gint64 end;

  b = three_then_b_stops (&r, a, c, deadline);
  g_signal_connect (b, "excluded", G_CALLBACK (leave_out_then_join), &again);
  g_signal_connect (b, "notify::role", G_CALLBACK (again_on_role), &again);
  while (again.joins == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      turn_with (&r);
    }
  end = g_get_monotonic_time () + 1 * G_USEC_PER_SEC; /* a join takes far less */
  while (g_get_monotonic_time () < end)
    turn_with (&r);
  g_test_message ("b: %s; d has %u members", grp_role_to_string (grp_group_get_role (b)),
                  grp_group_get_n_members (d));
  g_assert_true (again.started);
  g_assert_no_error (again.first);
  g_assert_true (again.joined);
  g_assert_cmpuint (again.leaves.ok, ==, 1);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_MEMBER);
  g_assert_cmpuint (grp_group_get_n_members (d), ==, 2);
  g_assert_cmpuint (grp_group_get_n_members (a), ==, 2);

  g_signal_handlers_disconnect_by_data (b, &r);
  g_signal_handlers_disconnect_by_data (b, &again);
  g_main_context_push_thread_default (r.context);
  g_clear_object (&b);
  g_main_context_pop_thread_default (r.context);
  g_main_context_unref (r.context);
}

/* 33. A delivered handler runs a nested main loop (4) through a view
 *     change that names the message's sender again (here a member alone
 *     admits another): the sender's name it was given, and what the next
 *     handler is given, must still be the name.  cb_view replaced every
 *     member's entry in the names table, and so freed the string that the
 *     delivery under way pointed to. */
typedef struct {
  GrpGroup *a;
  GrpGroup *c;             /* joins a's group from inside the handler */
  gboolean joined;
  guint n;
  char *names[2];          /* `from`, by the first handler and the next */
} NestedName;

static void
nested_name_first (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *payload,
                   gpointer data)
{
  NestedName *n = data;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  if (n->n++ > 0)
    return;
  grp_group_join_async (n->c, grp_group_get_address (n->a), NULL, join_done, &n->joined);
  while (!n->joined || grp_group_get_n_members (g) < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  n->names[0] = g_strdup (from);
}

static void
nested_name_next (GrpGroup *g, guint64 seq, const char *from, guint64 ctr, GBytes *payload,
                  gpointer data)
{
  NestedName *n = data;

  if (n->names[1] == NULL)
    n->names[1] = g_strdup (from);
}

static void
test_name_after_nested_view (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) c = grp_group_new ("c");
  g_autoptr(GBytes) x = g_bytes_new_static ("x", 1);
  NestedName n = { a, c };

  grp_group_set_timing (c, 20, 1000);
  g_signal_connect (a, "delivered", G_CALLBACK (nested_name_first), &n);
  g_signal_connect (a, "delivered", G_CALLBACK (nested_name_next), &n);
  g_assert_cmpuint (grp_group_multicast (a, x, NULL), >, 0);
  run_until_count (&n.n, 1);
  g_assert_nonnull (n.names[1]);
  g_assert_cmpstr (n.names[0], ==, "a");
  g_assert_cmpstr (n.names[1], ==, "a");
  g_free (n.names[0]);
  g_free (n.names[1]);
}

/* 34. A join refused by the group (its name is taken) fails, and the
 *     member creates (or joins another group) from its notify::role
 *     handler when the role becomes "failed", as the docs allow ("the join
 *     is over before any handler runs").  cb_status said "failed" while the
 *     join's task was still the member's, before fail() took it:
 *     grp_group_create and grp_group_join_async refused the member (a
 *     critical). */
static void
test_again_on_role_failed (gconstpointer data)
{
  g_autoptr(GrpGroup) a = start_alone ("b", NULL);
  g_autoptr(GrpGroup) d = start_alone ("d", NULL);
  g_autoptr(GrpGroup) b = grp_group_new ("b");
  AgainOnLeft again = { GPOINTER_TO_INT (data) ? d : NULL, .when = GRP_ROLE_FAILED };

  grp_group_set_timing (b, 20, 1000);
  g_signal_connect (b, "notify::role", G_CALLBACK (again_on_role), &again);
  grp_group_join_async (b, grp_group_get_address (a), NULL, again_joined, &again);
  assert_started_again (&again, a, b);
  g_assert_error (again.first, GRP_GROUP_ERROR, GRP_GROUP_ERROR_NAME_TAKEN);
  g_clear_error (&again.first);
}

/* 35. A member creates a group from notify::role "left" (30), and the
 *     leave's callback joins another group.  The leave finished inside
 *     grp_group_create, its callback at once (another turn than the
 *     leave's): the join began there, and create then replaced its
 *     protocol with the new group's, which answered the join's probe: the
 *     join said it succeeded, and the member was alone in its own group. */
static void
join_when_left_done (GObject *source, GAsyncResult *res, gpointer data)
{
  AgainOnLeft *a = data;

  g_assert_true (grp_group_leave_finish (GRP_GROUP (source), res, NULL));
  a->leaves.done++;
  grp_group_join_async (GRP_GROUP (source), grp_group_get_address (a->other), NULL,
                        again_joined, a);
}

static void
test_join_in_leave_callback_on_create (void)
{
  g_autoptr(GrpGroup) a = start_alone ("a", NULL);
  g_autoptr(GrpGroup) d = start_alone ("d", NULL);
  g_autoptr(GrpGroup) b = joined_through (a, "b");
  AgainOnLeft again = { d };

  g_signal_connect (b, "notify::role", G_CALLBACK (create_when_left), NULL);
  grp_group_leave_async (b, NULL, join_when_left_done, &again);
  run_until_count (&again.joins, 1);
  run_for (NULL, 300);
  g_test_message ("b: %s, %u members; d has %u", grp_role_to_string (grp_group_get_role (b)),
                  grp_group_get_n_members (b), grp_group_get_n_members (d));
  g_assert_no_error (again.first);
  g_assert_true (again.joined);
  g_assert_cmpint (grp_group_get_role (b), ==, GRP_ROLE_MEMBER);
  g_assert_cmpuint (grp_group_get_n_members (d), ==, 2);
  g_assert_cmpuint (grp_group_get_n_members (a), ==, 1);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/lifetimes/create-in-join-callback", GINT_TO_POINTER (FALSE),
                        test_create_in_join_callback);
  g_test_add_data_func ("/lifetimes/retry-in-join-callback", GINT_TO_POINTER (TRUE),
                        test_create_in_join_callback);
  g_test_add_func ("/lifetimes/create-on-failed", test_create_on_failed);
  g_test_add_func ("/lifetimes/unref-in-notify-role-create", test_unref_in_notify_role_create);
  g_test_add_func ("/lifetimes/join-from-view-changed", test_join_from_view_changed);
  g_test_add_data_func ("/lifetimes/nested-loop/member", GINT_TO_POINTER (FALSE),
                        test_nested_loop_in_delivered);
  g_test_add_data_func ("/lifetimes/nested-loop/leader", GINT_TO_POINTER (TRUE),
                        test_nested_loop_in_delivered);
  g_test_add_func ("/lifetimes/drop-while-joining", test_drop_while_joining);
  g_test_add_func ("/lifetimes/unref-in-join-callback", test_unref_in_join_callback);
  g_test_add_func ("/lifetimes/drop-in-join-callback/silent-contact",
                   test_drop_in_join_callback_silent_contact);
  g_test_add_func ("/lifetimes/leave-from-excluded", test_leave_from_excluded);
  g_test_add_func ("/lifetimes/thread-unref-after-loop", test_thread_unref_after_loop);
  g_test_add_func ("/lifetimes/leave-in-join-callback", test_leave_in_join_callback);
  g_test_add_func ("/lifetimes/unref-in-delivered-alone", test_unref_in_delivered_alone);
  g_test_add_func ("/lifetimes/restart-in-delivered-func", test_restart_in_delivered_func);
  g_test_add_func ("/lifetimes/unref-in-view-changed-create", test_unref_in_view_changed_create);
  g_test_add_func ("/lifetimes/drop-during-tls", test_drop_during_tls);
  g_test_add_func ("/lifetimes/quit-on-join-failure-then-unref",
                   test_quit_on_join_failure_then_unref);
  g_test_add_data_func ("/lifetimes/leave-in-set-state", GINT_TO_POINTER (FALSE),
                        test_leave_while_joining_from_handler);
  g_test_add_data_func ("/lifetimes/leave-in-view-while-joining", GINT_TO_POINTER (TRUE),
                        test_leave_while_joining_from_handler);
  g_test_add_func ("/lifetimes/join-in-create-view", test_join_in_create_view);
  g_test_add_func ("/lifetimes/join-after-failed-rejoin", test_join_after_failed_rejoin);
  g_test_add_func ("/lifetimes/rejoin-next-contact", test_rejoin_next_contact);
  g_test_add_data_func ("/lifetimes/leave-after-admission/set-state",
                        GINT_TO_POINTER (LEAVE_IN_SET_STATE), test_leave_after_admission);
  g_test_add_data_func ("/lifetimes/leave-after-admission/notify-role-member",
                        GINT_TO_POINTER (LEAVE_ON_ROLE_MEMBER), test_leave_after_admission);
  g_test_add_func ("/lifetimes/leave-on-role-joining", test_leave_on_role_joining);
  g_test_add_func ("/lifetimes/cancel-as-join-completes", test_cancel_as_join_completes);
  g_test_add_func ("/lifetimes/leave-on-role-rejoining", test_leave_on_role_rejoining);
  g_test_add_data_func ("/lifetimes/create-from-excluded", GINT_TO_POINTER (FALSE),
                        test_create_from_excluded);
  g_test_add_data_func ("/lifetimes/join-from-excluded", GINT_TO_POINTER (TRUE),
                        test_create_from_excluded);
  g_test_add_func ("/lifetimes/leave-timed-out", test_leave_timed_out);
  g_test_add_func ("/lifetimes/leave-again", test_leave_again);
  g_test_add_func ("/lifetimes/create-on-role-left", test_create_on_role_left);
  g_test_add_func ("/lifetimes/pending-after-timed-out-leave",
                   test_pending_after_timed_out_leave);
  g_test_add_data_func ("/lifetimes/again-on-left-while-joining/create", GINT_TO_POINTER (FALSE),
                        test_again_on_left_while_joining);
  g_test_add_data_func ("/lifetimes/again-on-left-while-joining/join", GINT_TO_POINTER (TRUE),
                        test_again_on_left_while_joining);
  g_test_add_func ("/lifetimes/join-on-left-while-rejoining", test_join_on_left_while_rejoining);
  g_test_add_func ("/lifetimes/name-after-nested-view", test_name_after_nested_view);
  g_test_add_func ("/lifetimes/join-in-leave-callback-on-create",
                   test_join_in_leave_callback_on_create);
  g_test_add_data_func ("/lifetimes/again-on-role-failed/create", GINT_TO_POINTER (FALSE),
                        test_again_on_role_failed);
  g_test_add_data_func ("/lifetimes/again-on-role-failed/join", GINT_TO_POINTER (TRUE),
                        test_again_on_role_failed);
  {
    static const struct {
      const char *path;
      FailCase c;
    } cases[] = {
      { "/lifetimes/failed-before-join-callback/name-taken/create",
        { FAIL_NAME_TAKEN, THEN_CREATE } },
      { "/lifetimes/failed-before-join-callback/name-taken/unref",
        { FAIL_NAME_TAKEN, THEN_UNREF } },
      { "/lifetimes/failed-before-join-callback/name-taken/join", { FAIL_NAME_TAKEN, THEN_JOIN } },
      { "/lifetimes/failed-before-join-callback/refused/create", { FAIL_REFUSED, THEN_CREATE } },
      { "/lifetimes/failed-before-join-callback/refused/unref", { FAIL_REFUSED, THEN_UNREF } },
      { "/lifetimes/failed-before-join-callback/refused/join", { FAIL_REFUSED, THEN_JOIN } },
      { "/lifetimes/failed-before-join-callback/silent/create", { FAIL_SILENT, THEN_CREATE } },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      g_test_add_data_func (cases[i].path, &cases[i].c, test_failed_before_join_callback);
  }
  return g_test_run ();
}
