/* test-review2.c: findings of the second adversarial review of issue 9, as
 * directed scenarios on the simulator's fixture (tests/sim/fixture.h).
 * Every scenario here FAILS on the core under review: each is a finding
 * (a violation the checker reports, or an assertion of what
 * docs/PROTOCOL.md promises).  The program is built but not registered
 * with `meson test`.
 *
 *   build/tests/test-review2 [-p /review2/NAME]
 *   (GROUPY_TRACE=1: the trace of a violation; GROUPY_TRACE=all: always)
 *
 * Only faults the fixture's campaign also uses: links that back up
 * (held), a stopped process (paused), and unconfirmed reports (a
 * network error taken for a loss).
 */
#include "fixture.h"

#include <string.h>

#define MS GRP_FIXTURE_MS

static GrpCoreConfig
config (GrpDelivery delivery)
{
  GrpCoreConfig cfg;

  grp_core_config_init (&cfg);
  cfg.delivery = delivery;
  cfg.heartbeat_interval = 20 * MS;
  cfg.suspect_timeout = 100 * MS;
  cfg.retry_interval = 10 * MS;
  cfg.join_timeout = 1000 * MS;
  return cfg;
}

static void
dump_trace (GrpFixture *f)
{
  if (g_getenv ("GROUPY_TRACE") != NULL)
    g_printerr ("%s", grp_fixture_trace (f));
}

/* The whole trace, with or without a violation (GROUPY_TRACE=all). */
static void
dump_all (GrpFixture *f)
{
  if (g_strcmp0 (g_getenv ("GROUPY_TRACE"), "all") == 0)
    g_printerr ("%s", grp_fixture_trace (f));
}

static void
no_violation (GrpFixture *f)
{
  if (grp_fixture_violation (f) != NULL)
    dump_trace (f);
  g_assert_cmpstr (grp_fixture_violation (f), ==, NULL);
}

static gboolean
is_member (GrpFixture *f, gpointer data)
{
  return grp_core_get_status (grp_fixture_core (f, GPOINTER_TO_INT (data))) == GRP_STATUS_MEMBER;
}

static void
group (GrpFixture *f, guint k)
{
  for (guint i = 0; i < k; i++)
    {
      char name[2] = { (char) ('a' + i), 0 };
      int n = grp_fixture_spawn (f, name, i == 0 ? -1 : 0);

      g_assert_true (grp_fixture_run_until (f, is_member, GINT_TO_POINTER (n), 500 * MS));
    }
  grp_fixture_run_for (f, 50 * MS);
  for (guint i = 0; i < k; i++)
    g_assert_cmpuint (grp_core_get_view (grp_fixture_core (f, (int) i))->n_members, ==, k);
}

static GrpCore *
core (GrpFixture *f, int n)
{
  return grp_fixture_core (f, n);
}

static GrpId
id_of (GrpFixture *f, int n)
{
  return grp_core_get_id (core (f, n));
}

static guint64
view_id (GrpFixture *f, int n)
{
  return grp_core_get_view (core (f, n))->id;
}

/* ---- 1. the learner counts a value a member only relayed ----------------- */

typedef struct {
  int a, b, c, d, e;
  gboolean a_paused;
  gboolean c_promised;    /* C promised E's first ballot */
  gboolean e_second;      /* E's second ballot has reached A's queue */
} Relay;

static void
pause_a (GrpFixture *f, gpointer data)
{
  Relay *r = data;

  grp_fixture_pause (f, r->a);
  /* Whatever C and B send A from now on backs up. */
  grp_fixture_hold (f, r->c, r->a, G_MAXINT64);
}

static void
resume_a (GrpFixture *f, gpointer data)
{
  Relay *r = data;

  grp_fixture_resume (f, r->a);
  grp_fixture_release (f, r->a, r->e);
}

static void
hold_c_e (GrpFixture *f, gpointer data)
{
  Relay *r = data;

  grp_fixture_hold (f, r->c, r->e, G_MAXINT64);
}

/* C, past the two timeouts it lets E finish in, is told that the members
 * before it in the view are unreachable: it proposes. */
static void
c_suspects (GrpFixture *f, gpointer data)
{
  Relay *r = data;

  for (int i = 0; i < 5; i++)
    if (i != r->c && i != r->a)
      grp_fixture_report (f, r->c, i);
  grp_fixture_report (f, r->c, r->a);
}

static void
relay_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Relay *r = data;
  gint64 now = grp_fixture_now (f);

  /* A's value reaches B only: its ACCEPT to C backs up, and A stops. */
  if (from == r->a && msg->type == GRP_MSG_ACCEPT)
    {
      if (to == r->c)
        grp_fixture_hold (f, r->a, r->c, G_MAXINT64);
      if (!r->a_paused)
        {
          r->a_paused = TRUE;
          grp_fixture_at (f, now, pause_a, r);
        }
    }
  /* B accepted: nothing more of B's reaches A. */
  if (from == r->b && to == r->a && msg->type == GRP_MSG_ACCEPTED)
    grp_fixture_hold (f, r->b, r->a, G_MAXINT64);
  /* C's promise reaches E; then nothing more of C's does. */
  if (from == r->c && to == r->e && msg->type == GRP_MSG_PROMISE && !r->c_promised)
    {
      r->c_promised = TRUE;
      grp_fixture_at (f, now, hold_c_e, r);
      grp_fixture_at (f, now + 201 * MS, c_suspects, r);
    }
  /* E's value reaches D only. */
  if (from == r->e && to == r->c && msg->type == GRP_MSG_ACCEPT)
    grp_fixture_hold (f, r->e, r->c, G_MAXINT64);
  /* E tries again; A resumes once that PREPARE waits in its queue. */
  if (from == r->e && to == r->a && msg->type == GRP_MSG_PREPARE && msg->prepare.ballot.n >= 2 &&
      !r->e_second)
    {
      r->e_second = TRUE;
      grp_fixture_at (f, now + 5 * MS, resume_a, r);
    }
}

/* Five members {A, B, C, D, E} (A leads; E's id is above A's, so that
 * E's first ballot (1, E) is above A's (1, A)).  Every fault below is one
 * the campaign draws: links that back up, A stopped for ~0.2 s, and
 * unconfirmed "unreachable" reports.
 *
 *  1. A proposes X = {A, B, C} at (1, A) with B's and C's promises.  Its
 *     ACCEPT reaches B only; A stops.  X is accepted by A and B: 2 of 5,
 *     not chosen.
 *  2. E proposes Y = {E, C, D} at (1, E) with C's and D's promises (C
 *     promised (1, A) but accepted nothing).  D accepts; the ACCEPT to C
 *     backs up.  Y is accepted by E and D.
 *  3. C proposes at (2, C).  Only B answers: its promise reports (1, A) X.
 *     C keeps that as *its own accepted value* (recv_promise writes it into
 *     core->accepted).  No quorum; after two timeouts C tries (3, C) and its
 *     own promise now says "accepted (1, A) X".  B promises again.  The
 *     learner counts A (the ballot's proposer), B and C: 3 of 5, "chosen".
 *     C decides X; B and C install it.
 *  4. E tries (2, E): D (accepted (1, E) Y) and A (resumed; accepted
 *     (1, A) X) promise.  (1, E) is the highest ballot reported: Y.  E, D
 *     and A accept it: Y is chosen, for real, and installed by E and D.
 *
 * Two views with one id, each with a live majority of its members: B and C
 * go on in one group, E and D in another.  The learner's count is wrong
 * because a proposer keeps a value it was *told of* (recv_promise) in
 * core->accepted, its acceptor state, and reports it, and its own
 * self-promise claims it, as accepted (viewchange.c: grp_vc_start,
 * grp_vc_recv_prepare, grp_vc_recv_promise, known_chosen). */
static void
learner_counts_relayed_value (gconstpointer data)
{
  gboolean safe = GPOINTER_TO_INT (data);
  GrpCoreConfig cfg = config (safe ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = NULL;
  Relay r = { 0, -1, -1, -1, -1, FALSE, FALSE, FALSE };
  guint64 v;
  int rest[3], k = 0;

  /* A fixture whose ids let E's first ballot be above A's. */
  for (guint64 seed = 1; r.e < 0; seed++)
    {
      g_clear_pointer (&f, grp_fixture_free);
      f = grp_fixture_new (&cfg, NULL, seed);
      if (g_getenv ("GROUPY_TRACE") != NULL)
        grp_fixture_set_tracing (f, TRUE);
      group (f, 5);
      for (int i = 4; i >= 1 && r.e < 0; i--)
        if (id_of (f, i) > id_of (f, 0))
          r.e = i;
    }
  for (int i = 1; i <= 4; i++)
    if (i != r.e)
      rest[k++] = i;
  r.b = rest[0];
  r.c = rest[1];
  r.d = rest[2];
  v = view_id (f, r.a);
  grp_fixture_set_send_hook (f, relay_hook, &r);
  grp_fixture_hold (f, r.a, r.d, G_MAXINT64);
  grp_fixture_hold (f, r.a, r.e, G_MAXINT64);
  grp_fixture_hold (f, r.b, r.e, G_MAXINT64);
  grp_fixture_hold (f, r.e, r.b, G_MAXINT64);
  grp_fixture_hold (f, r.b, r.d, G_MAXINT64);
  grp_fixture_hold (f, r.c, r.d, G_MAXINT64);

  /* 1. */
  grp_fixture_report (f, r.a, r.d);
  grp_fixture_report (f, r.a, r.e);
  grp_fixture_run_for (f, 5 * MS);
  g_assert_true (r.a_paused);
  /* 2, and what makes C propose in 3. */
  grp_fixture_report (f, r.e, r.b);
  grp_fixture_report (f, r.e, r.c);
  grp_fixture_report (f, r.e, r.d);
  grp_fixture_report (f, r.e, r.a);
  grp_fixture_run_for (f, 800 * MS);
  g_test_message ("A: view %" G_GUINT64_FORMAT " (status %d); B: %" G_GUINT64_FORMAT "; C: %"
                  G_GUINT64_FORMAT "; D: %" G_GUINT64_FORMAT "; E: %" G_GUINT64_FORMAT,
                  view_id (f, r.a), grp_core_get_status (core (f, r.a)), view_id (f, r.b),
                  view_id (f, r.c), view_id (f, r.d), view_id (f, r.e));
  g_assert_true (view_id (f, r.c) > v || view_id (f, r.e) > v);
  grp_fixture_calm (f);
  grp_fixture_run_for (f, 1000 * MS);
  dump_all (f);
  no_violation (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/review2/learner-counts-relayed-value/agreed", GINT_TO_POINTER (0),
                        learner_counts_relayed_value);
  g_test_add_data_func ("/review2/learner-counts-relayed-value/safe", GINT_TO_POINTER (1),
                        learner_counts_relayed_value);
  return g_test_run ();
}
