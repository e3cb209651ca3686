/* embed-all.c: a program outside the tree that uses every documented
 * function, signal and error of libgroupy.  tests/test-embed.sh builds it
 * with `pkg-config --cflags --libs groupy` against the installed library.
 *
 *   embed-all                  run everything (spawns itself once, below)
 *   embed-all --member NAME    a member in a child process: creates a group,
 *                              prints its events, exits when it fails
 *
 * Every step waits for an observable event with a deadline. */
#include <groupy.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEARTBEAT_MS 20
#define SUSPECT_MS 1000
#define DEADLINE_S 30

#define check(cond) \
  do { if (!(cond)) { fprintf (stderr, "embed-all: %s:%d: failed: %s\n", __FILE__, __LINE__, \
                               #cond); exit (1); } } while (0)

typedef struct {
  GrpGroup *group;
  GPtrArray *delivered;   /* "seq from ctr text" */
  guint plain_calls;      /* calls of the delivered func */
  GPtrArray *views;       /* "seq: members | joined | left" */
  GError *failure;        /* from "failed" */
  guint excluded;
  GrpGroupDeparture departure; /* why the first of the last view's `left` went */
  guint role_notes;
  guint blocked_notes;    /* of "blocked" (tests/test-processes.c makes one block) */
  gboolean state_set;
  guint64 state_seq;
  gboolean done;          /* async call finished */
  GError *error;          /* its error */
} Member;

static void
wait_until (gboolean *flag, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (!*flag)
    {
      if (g_get_monotonic_time () > deadline)
        {
          fprintf (stderr, "embed-all: no %s within %d s\n", what, DEADLINE_S);
          exit (1);
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
on_delivered (GrpGroup *group, guint64 seq, const char *from, guint64 ctr, GBytes *payload,
              gpointer data)
{
  Member *m = data;
  gsize len;
  const char *text = g_bytes_get_data (payload, &len);

  g_ptr_array_add (m->delivered, g_strdup_printf ("%" G_GUINT64_FORMAT " %s %" G_GUINT64_FORMAT
                                                  " %.*s", seq, from, ctr, (int) len, text));
}

static void
plain_delivered (GrpGroup *group, guint64 seq, const char *from, guint64 ctr, GBytes *payload,
                 gpointer data)
{
  ((Member *) data)->plain_calls++;
}

static void
on_view_changed (GrpGroup *group, guint64 view_id, guint64 seq, GStrv members, GStrv joined,
                 GStrv left, gpointer data)
{
  Member *m = data;
  g_autofree char *all = g_strjoinv (",", members);
  g_autofree char *in = g_strjoinv (",", joined);
  g_autofree char *out = g_strjoinv (",", left);

  check (view_id == grp_group_get_view_id (group));
  check (seq == grp_group_get_last_seq (group));
  check (g_strv_length (members) == grp_group_get_n_members (group));
  if (left[0] != NULL)
    m->departure = grp_group_get_departure (group, left[0]);
  g_ptr_array_add (m->views, g_strdup_printf ("%s | %s | %s", all, in, out));
}

static void
on_excluded (GrpGroup *group, gpointer data)
{
  ((Member *) data)->excluded++;
}

static void
on_failed (GrpGroup *group, GError *error, gpointer data)
{
  Member *m = data;

  check (grp_group_get_role (group) == GRP_ROLE_FAILED);
  g_clear_error (&m->failure);
  m->failure = g_error_copy (error);
}

static void
on_role (GObject *object, GParamSpec *pspec, gpointer data)
{
  GrpRole role;

  g_object_get (object, "role", &role, NULL);
  check (role == grp_group_get_role (GRP_GROUP (object)));
  ((Member *) data)->role_notes++;
}

static void
on_blocked (GObject *object, GParamSpec *pspec, gpointer data)
{
  gboolean blocked;

  g_object_get (object, "blocked", &blocked, NULL);
  check (blocked == grp_group_is_blocked (GRP_GROUP (object)));
  ((Member *) data)->blocked_notes++;
}

static GBytes *
get_state (GrpGroup *group, gpointer data)
{
  return g_bytes_new_static ("the state", 9);
}

static void
set_state (GrpGroup *group, guint64 seq, GBytes *state, gpointer data)
{
  Member *m = data;

  check (g_bytes_get_size (state) == 9);
  m->state_set = TRUE;
  m->state_seq = seq;
}

static void
free_data (gpointer data)
{
}

static Member *
member_new (const char *name)
{
  Member *m = g_new0 (Member, 1);

  m->group = grp_group_new (name);
  m->delivered = g_ptr_array_new_with_free_func (g_free);
  m->views = g_ptr_array_new_with_free_func (g_free);
  grp_group_set_timing (m->group, HEARTBEAT_MS, SUSPECT_MS);
  grp_group_set_safe_delivery (m->group, FALSE);
  grp_group_set_get_state_func (m->group, get_state, m, free_data);
  grp_group_set_set_state_func (m->group, set_state, m, free_data);
  grp_group_set_delivered_func (m->group, plain_delivered, m, free_data);
  g_signal_connect (m->group, "delivered", G_CALLBACK (on_delivered), m);
  g_signal_connect (m->group, "view-changed", G_CALLBACK (on_view_changed), m);
  g_signal_connect (m->group, "excluded", G_CALLBACK (on_excluded), m);
  g_signal_connect (m->group, "failed", G_CALLBACK (on_failed), m);
  g_signal_connect (m->group, "notify::role", G_CALLBACK (on_role), m);
  g_signal_connect (m->group, "notify::blocked", G_CALLBACK (on_blocked), m);
  return m;
}

static void
joined (GObject *source, GAsyncResult *res, gpointer data)
{
  Member *m = data;

  grp_group_join_finish (GRP_GROUP (source), res, &m->error);
  m->done = TRUE;
}

static void
left (GObject *source, GAsyncResult *res, gpointer data)
{
  Member *m = data;

  grp_group_leave_finish (GRP_GROUP (source), res, &m->error);
  m->done = TRUE;
}

static void
join (Member *m, const char *contact, GCancellable *cancellable)
{
  m->done = FALSE;
  g_clear_error (&m->error);
  grp_group_join_async (m->group, contact, cancellable, joined, m);
}

static gboolean
last_view_is (Member *m, const char *view)
{
  return m->views->len > 0 && g_str_equal (g_ptr_array_index (m->views, m->views->len - 1), view);
}

/* Waits for a view, among the views from the `next`-th on, for which
 * `match` holds (several views may come in one main-loop turn). */
static void
wait_view_where (Member *m, guint next, gboolean (*match) (const char *view, const char *arg),
                 const char *arg)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  for (;;)
    {
      for (; next < m->views->len; next++)
        if (match (g_ptr_array_index (m->views, next), arg))
          return;
      if (g_get_monotonic_time () > deadline)
        {
          fprintf (stderr, "embed-all: %s never saw view \"%s\" (last: \"%s\")\n",
                   grp_group_get_name (m->group), arg,
                   m->views->len ? (char *) g_ptr_array_index (m->views, m->views->len - 1) : "");
          exit (1);
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
view_equals (const char *view, const char *arg)
{
  return g_str_equal (view, arg);
}

/* The names of a view's part: 0 its members, 1 who joined, 2 who left. */
static GStrv
view_part (const char *view, guint part)
{
  g_auto(GStrv) parts = g_strsplit (view, " | ", 3);

  return g_strsplit (parts[part], ",", -1);
}

/* `arg` is in the view's left list. */
static gboolean
view_lost (const char *view, const char *arg)
{
  g_auto(GStrv) left = view_part (view, 2);

  return g_strv_contains ((const char *const *) left, arg);
}

/* `arg` is in the view's joined list. */
static gboolean
view_joined (const char *view, const char *arg)
{
  g_auto(GStrv) joined = view_part (view, 1);

  return g_strv_contains ((const char *const *) joined, arg);
}

/* The member's view holds a, b and c, and nobody else. */
static gboolean
whole (Member *m)
{
  g_auto(GStrv) members = NULL;

  if (m->views->len == 0)
    return FALSE;
  members = view_part (g_ptr_array_index (m->views, m->views->len - 1), 0);
  return g_strv_length (members) == 3 && g_strv_contains ((const char *const *) members, "a") &&
         g_strv_contains ((const char *const *) members, "b") &&
         g_strv_contains ((const char *const *) members, "c");
}

/* Until a and b are in the same view of a, b and c. */
static void
wait_whole (Member *a, Member *b)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (!whole (a) || !whole (b) ||
         !g_str_equal (g_ptr_array_index (a->views, a->views->len - 1),
                       g_ptr_array_index (b->views, b->views->len - 1)))
    {
      if (g_get_monotonic_time () > deadline)
        {
          fprintf (stderr, "embed-all: a, b and c not one group again within %d s\n",
                   DEADLINE_S);
          exit (1);
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

/* Each view waited for this way happens once in the run. */
static void
wait_view (Member *m, const char *view)
{
  wait_view_where (m, 0, view_equals, view);
}

/* ---- the child: a member in its own process, so it can be stopped ----- */

static void
child_excluded (GrpGroup *group, gpointer data)
{
  printf ("excluded\n");
  fflush (stdout);
}

static void
child_failed (GrpGroup *group, GError *error, gpointer data)
{
  printf ("failed %s %d: %s\n", g_quark_to_string (error->domain), error->code, error->message);
  fflush (stdout);
  exit (0);
}

static int
child (const char *name)
{
  Member *m = member_new (name);

  g_signal_connect (m->group, "excluded", G_CALLBACK (child_excluded), NULL);
  g_signal_connect (m->group, "failed", G_CALLBACK (child_failed), NULL);
  check (grp_group_create (m->group, NULL));
  printf ("%s\n", grp_group_get_address (m->group));
  fflush (stdout);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- the parent ------------------------------------------------------- */

static GPid child_pid;

/* A failed check must not leave the child behind, stopped. */
static void
kill_child (void)
{
  if (child_pid > 0)
    kill (child_pid, SIGKILL);
}

/* Every line the child writes, read as it comes while this process's
 * members go on running (a blocking read would freeze them, and they would
 * suspect each other). */
static GPtrArray *child_lines;
static gboolean child_eof;

static void
child_line (GObject *source, GAsyncResult *res, gpointer data)
{
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), res,
                                                          NULL, NULL);

  if (line == NULL)
    {
      child_eof = TRUE;
      return;
    }
  g_ptr_array_add (child_lines, line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL,
                                       child_line, NULL);
}

/* The index of the first line from the `from`-th on that begins with
 * `prefix`. */
static guint
wait_child_line (guint from, const char *prefix)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  for (;;)
    {
      for (; from < child_lines->len; from++)
        if (g_str_has_prefix (g_ptr_array_index (child_lines, from), prefix))
          return from;
      if (child_eof || g_get_monotonic_time () > deadline)
        {
          fprintf (stderr, "embed-all: the child never wrote \"%s...\"\n", prefix);
          exit (1);
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
errors_before_a_group (const char *taken)
{
  g_autoptr(GrpGroup) x = grp_group_new ("x");
  g_autoptr(GBytes) payload = g_bytes_new_static ("x", 1);
  g_autoptr(GError) error = NULL;

  check (grp_group_get_role (x) == GRP_ROLE_NONE);
  check (g_str_equal (grp_role_to_string (GRP_ROLE_NONE), "none"));
  check (grp_group_get_address (x) == NULL);
  check (grp_group_multicast (x, payload, &error) == 0);
  check (g_error_matches (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_NOT_MEMBER));
  g_clear_error (&error);
  check (!grp_group_listen (x, "nonsense", NULL, &error));
  check (g_error_matches (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_INVALID_ADDRESS));
  g_clear_error (&error);
  check (!grp_group_listen (x, taken, NULL, &error));
  check (g_error_matches (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_ADDRESS_IN_USE));
  check (grp_group_get_n_members (x) == 0 && grp_group_get_view_id (x) == 0);
  check (grp_group_get_pending (x) == 0 && grp_group_get_window (x) > 0);
}

/* An address where nothing listens: a port bound, then closed. */
static char *
closed_port (void)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  check (g_socket_bind (sock, any, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  return g_strdup_printf ("127.0.0.1:%u",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

static void
join_fails (const char *name, const char *contact, GrpGroupError code)
{
  Member *m = member_new (name);

  join (m, contact, NULL);
  wait_until (&m->done, "join result");
  check (g_error_matches (m->error, GRP_GROUP_ERROR, code));
  check (g_error_matches (m->failure, GRP_GROUP_ERROR, code));
  check (grp_group_get_role (m->group) == GRP_ROLE_FAILED);
  g_clear_object (&m->group);
}

static int
parent (const char *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *c_addr = NULL;
  g_autofree char *unreachable = closed_port ();
  g_autofree char *text = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_auto(GStrv) members = NULL;
  Member *a, *b, *w, *late, *first;
  guint64 ctr = 0;
  guint n, lines, failed;

  /* c, a member in a child process, creates the group; a and b join. */
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self, "--member", "c", NULL);
  check (proc != NULL);
  child_pid = atoi (g_subprocess_get_identifier (proc));
  atexit (kill_child);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  child_lines = g_ptr_array_new_with_free_func (g_free);
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, child_line, NULL);
  n = wait_child_line (0, "");
  c_addr = g_strdup (g_ptr_array_index (child_lines, n));
  errors_before_a_group (c_addr);

  a = member_new ("a");
  check (grp_group_listen (a->group, NULL, NULL, &error));
  check (grp_group_get_address (a->group) != NULL);
  join (a, c_addr, NULL);
  wait_until (&a->done, "join of a");
  check (a->error == NULL && a->state_set && a->role_notes > 0);
  check (grp_group_get_role (a->group) == GRP_ROLE_MEMBER);
  check (last_view_is (a, "c,a | a | "));
  b = member_new ("b");
  join (b, grp_group_get_address (a->group), NULL);
  wait_until (&b->done, "join of b");
  check (b->error == NULL);
  wait_view (a, "c,a,b | b | ");
  members = grp_group_dup_members (b->group);
  check (g_strv_length (members) == 3 && g_str_equal (members[0], "c"));

  /* Join errors, each also a "failed" signal. */
  join_fails ("b", c_addr, GRP_GROUP_ERROR_NAME_TAKEN);
  join_fails ("nobody-there", unreachable, GRP_GROUP_ERROR_UNREACHABLE);

  /* A cancelled join is not a failure, and the member may join later. */
  w = member_new ("w");
  join (w, c_addr, cancel);
  g_cancellable_cancel (cancel);
  wait_until (&w->done, "cancelled join");
  check (g_error_matches (w->error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  check (w->failure == NULL && grp_group_get_role (w->group) == GRP_ROLE_NONE);

  /* Multicasts: the signal and the plain function see every delivery, in
   * the same order at every member; beyond the window, BUSY. */
  n = grp_group_get_window (b->group);
  for (guint i = 0; i <= n && error == NULL; i++)
    {
      g_autoptr(GBytes) payload = g_bytes_new_static ("m", 1);

      ctr = grp_group_multicast (b->group, payload, &error);
      check (ctr == 0 || ctr == i + 1);
    }
  check (g_error_matches (error, GRP_GROUP_ERROR, GRP_GROUP_ERROR_BUSY));
  check (grp_group_get_pending (b->group) == n);
  g_clear_error (&error);
  while (a->delivered->len < n || b->delivered->len < n)
    g_main_context_iteration (NULL, TRUE);
  check (grp_group_get_pending (b->group) == 0);
  for (guint i = 0; i < n; i++)
    check (g_str_equal (g_ptr_array_index (a->delivered, i), g_ptr_array_index (b->delivered, i)));
  check (a->plain_calls == a->delivered->len && b->plain_calls == b->delivered->len);

  /* Two large payloads made in one turn: one frame cannot hold both
   * (GRP_FRAME_MAX is one largest payload and some), so they travel in
   * separate messages; both arrive, in one order, at every member. */
  n = a->delivered->len;
  for (guint i = 0; i < 2; i++)
    {
      gsize size = 9 * 1024 * 1024;
      g_autoptr(GBytes) payload = g_bytes_new_take (g_malloc0 (size), size);

      check (grp_group_multicast (b->group, payload, &error) != 0 && error == NULL);
    }
  while (a->delivered->len < n + 2 || b->delivered->len < n + 2)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = n; i < n + 2; i++)
    check (g_str_equal (g_ptr_array_index (a->delivered, i), g_ptr_array_index (b->delivered, i)));
  text = grp_group_describe (a->group);
  check (text != NULL && *text != '\0');

  /* The child is stopped past the suspicion timeout: the group goes on
   * without it.  A new member takes its name; when the child comes back it
   * learns it was left out ("excluded"), and its rejoin fails for good
   * ("failed", REJOIN_FAILED): its name is taken.
   * Counted from here: the large messages above may make a loaded
   * machine's members suspect each other for a moment (whoever was left out
   * rejoins by itself), so first the three are one group again. */
  wait_whole (a, b);
  a->blocked_notes = b->blocked_notes = 0;
  a->excluded = b->excluded = 0;
  n = a->views->len;
  lines = child_lines->len;
  kill (child_pid, SIGSTOP);
  wait_view_where (a, n, view_lost, "c");
  /* Stopped, not ended: nothing heard from it (or left out, as far as a
   * member that is not the leader knew). */
  check (a->departure == GRP_GROUP_DEPARTURE_SILENT ||
         a->departure == GRP_GROUP_DEPARTURE_LEFT_OUT);
  first = g_str_has_prefix (g_ptr_array_index (a->views, a->views->len - 1), "a,") ? a : b;
  check (g_str_has_prefix (g_ptr_array_index (a->views, a->views->len - 1),
                           first == a ? "a,b | " : "b,a | "));
  check (grp_group_get_role (first->group) == GRP_ROLE_LEADER);
  /* Two of three are a quorum: neither waited for one. */
  check (!grp_group_is_blocked (a->group) && !grp_group_is_blocked (b->group));
  check (a->blocked_notes == 0 && b->blocked_notes == 0);
  late = member_new ("c");
  n = a->views->len;
  join (late, grp_group_get_address (b->group), NULL);
  wait_until (&late->done, "join of the second c");
  if (late->error != NULL)
    fprintf (stderr, "embed-all: the second c's join: %s\n", late->error->message);
  check (late->error == NULL && late->state_set);
  wait_view_where (a, n, view_joined, "c");
  kill (child_pid, SIGCONT);
  failed = wait_child_line (lines, "failed ");
  check (failed > lines && g_str_equal (g_ptr_array_index (child_lines, failed - 1), "excluded"));
  check (g_str_has_prefix (g_ptr_array_index (child_lines, failed),
                           "failed grp-group-error-quark 7:"));
  check (GRP_GROUP_ERROR_REJOIN_FAILED == 7);
  check (g_subprocess_wait (proc, NULL, NULL));
  child_pid = 0;

  /* Leaving: b's goodbye gives the others a view without it. */
  n = a->views->len;
  b->done = FALSE;
  grp_group_leave_async (b->group, NULL, left, b);
  wait_until (&b->done, "leave of b");
  check (b->error == NULL && grp_group_get_role (b->group) == GRP_ROLE_LEFT);
  wait_view_where (a, n, view_lost, "b");
  check (a->departure == GRP_GROUP_DEPARTURE_LEFT);
  check (grp_group_get_departure (a->group, "a") == GRP_GROUP_DEPARTURE_UNKNOWN);

  /* A member that left still answers at its address but admits nobody:
   * a join through it times out. */
  join_fails ("z", grp_group_get_address (b->group), GRP_GROUP_ERROR_JOIN_TIMEOUT);

  /* Nobody that stayed reachable was ever left out. */
  check (a->excluded == 0 && b->excluded == 0 && late->excluded == 0);

  printf ("embed-all: every function, signal and error used (GRP_VERSION %s, %s)\n",
          GRP_VERSION_S, GRP_CHECK_VERSION (0, 1, 0) ? "at least 0.1.0" : "older");
  check (GRP_CHECK_VERSION (GRP_MAJOR_VERSION, GRP_MINOR_VERSION, GRP_MICRO_VERSION));
  check (GRP_TYPE_GROUP_ERROR != 0 && GRP_TYPE_ROLE != 0 && GRP_TYPE_GROUP_DEPARTURE != 0);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--member"))
    return child (argv[2]);
  return parent (argv[0]);
}
