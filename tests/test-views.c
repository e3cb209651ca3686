/* test-views.c: view changes in the worst interleavings an adversarial
 * review of the protocol found (issue 9), on the simulator's fixture
 * (tests/sim/fixture.h).  Each scenario asserts what docs/PROTOCOL.md
 * promises: a member never installs a view with a hole below it, a chosen
 * view is learnt from the promises that carry it, a newcomer's duplicate
 * filter is as of its state, two proposers never both decide.
 *
 *   build/tests/test-views [-p /views/NAME]   (GROUPY_TRACE=1: trace)
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

static GrpFixture *
fixture_with_seed (const GrpCoreConfig *cfg, guint64 seed)
{
  GrpFixture *f = grp_fixture_new (cfg, NULL, seed);

  if (g_getenv ("GROUPY_TRACE") != NULL)
    grp_fixture_set_tracing (f, TRUE);
  return f;
}

static GrpFixture *
fixture_with (const GrpCoreConfig *cfg)
{
  GrpFixture *f = grp_fixture_new (cfg, NULL, 1);

  if (g_getenv ("GROUPY_TRACE") != NULL)
    grp_fixture_set_tracing (f, TRUE);
  return f;
}

static GrpFixture *
fixture (GrpDelivery delivery)
{
  GrpCoreConfig cfg = config (delivery);

  return fixture_with (&cfg);
}

static void
dump_trace (GrpFixture *f)
{
  if (g_getenv ("GROUPY_TRACE") != NULL)
    g_printerr ("%s", grp_fixture_trace (f));
}

static gboolean converged (GrpFixture *f, gpointer data);

static void
assert_converges (GrpFixture *f, gint64 limit)
{
  g_autoptr(GString) why = g_string_new (NULL);

  if (!grp_fixture_run_until (f, converged, NULL, limit))
    {
      grp_fixture_converged (f, why);
      dump_trace (f);
      g_error ("no convergence: %s (checker: %s)", why->str,
               grp_fixture_violation (f) ? grp_fixture_violation (f) : "no violation");
    }
  grp_fixture_check_all_delivered (f);
  if (grp_fixture_violation (f) != NULL)
    dump_trace (f);
  g_assert_cmpstr (grp_fixture_violation (f), ==, NULL);
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

static guint64
view_id (GrpFixture *f, int n)
{
  return grp_core_get_view (core (f, n))->id;
}

static gboolean
converged (GrpFixture *f, gpointer data)
{
  g_autoptr(GString) why = g_string_new (NULL);

  return grp_fixture_converged (f, why);
}

/* ---- 1. a chosen view whose positions below it a member lacks ---------- */

typedef struct {
  int l, a, c;
  gboolean lagging;       /* L's SEQs to C are lost */
  gboolean no_accept;     /* A's ACCEPTs to C are lost */
  gboolean hold_replies;  /* once A decides, nothing more reaches C */
  int others[3];
} Lacks;

static GrpFixtureVerdict
lacks_filter (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Lacks *s = data;

  if (s->lagging && from == s->l && to == s->c && msg->type == GRP_MSG_SEQ)
    return GRP_FIXTURE_DROP;
  if (s->no_accept && from == s->a && to == s->c && msg->type == GRP_MSG_ACCEPT)
    return GRP_FIXTURE_DROP;
  return GRP_FIXTURE_PASS;
}

static void
hold_replies (GrpFixture *f, gpointer data)
{
  Lacks *s = data;

  for (int i = 0; i < 3; i++)
    grp_fixture_hold (f, s->others[i], s->c, G_MAXINT64);
}

static void
lacks_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Lacks *s = data;

  /* A decides: its DECIDE reaches C, but what A, B and D send C after it
   * (the answers to C's asking) backs up. */
  if (s->hold_replies && from == s->a && to == s->c && msg->type == GRP_MSG_DECIDE)
    {
      s->hold_replies = FALSE;
      grp_fixture_at (f, grp_fixture_now (f), hold_replies, s);
    }
}

static gboolean
c_pending (GrpFixture *f, gpointer data)
{
  Lacks *s = data;

  return grp_core_get_pending_view (core (f, s->c)) != NULL;
}

/* View {L, A, B, D, C}.  C lags: L's SEQs to it are lost.  A, told that L
 * is unreachable, proposes {A, B, D, C}: promises from all four, accepts
 * from A, B and D (A's ACCEPTs to C, carrying what C lacks, are lost).
 * The view is chosen and A's DECIDE reaches C -- which does not hold the
 * positions below it.  It must not install the view with a hole under it
 * (it once did: it then reported less than it had delivered, and the next
 * view was built below the one it had installed).  It asks the view's
 * members for what it lacks, and installs once it has it.  `lost`: A, B
 * and D die with those positions before C hears back; nobody alive holds
 * them nor a state past them: C waits for good, rightly, and says so. */
static void
decide_before_entries (gconstpointer data)
{
  gboolean lost = GPOINTER_TO_INT (data) & 1, safe = GPOINTER_TO_INT (data) & 2;
  g_autoptr(GrpFixture) f = fixture (safe ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED);
  Lacks s = { 0, 1, 4, TRUE, FALSE, lost, { 1, 2, 3 } };
  guint64 v, c_recv;

  group (f, 5);
  v = view_id (f, s.c);
  grp_fixture_set_filter (f, lacks_filter, &s);
  grp_fixture_set_send_hook (f, lacks_hook, &s);
  for (guint8 i = 1; i <= 3; i++)
    grp_fixture_multicast (f, s.l, i);
  grp_fixture_run_for (f, 10 * MS);
  c_recv = grp_core_get_received (core (f, s.c));
  g_assert_cmpuint (grp_core_get_received (core (f, s.a)), >, c_recv);
  s.no_accept = TRUE;
  grp_fixture_hold (f, s.a, s.l, G_MAXINT64);
  grp_fixture_report (f, s.a, s.l);
  if (!grp_fixture_run_until (f, c_pending, &s, 500 * MS))
    dump_trace (f);
  g_assert_nonnull (grp_core_get_pending_view (core (f, s.c)));
  g_assert_cmpuint (view_id (f, s.c), ==, v);
  g_assert_cmpuint (view_id (f, s.a), ==, v + 1);
  g_assert_true (grp_core_is_blocked (core (f, s.c)));
  if (lost)
    {
      guint delivered = grp_fixture_n_delivered (f, s.c);

      for (int i = 0; i < 3; i++)
        grp_fixture_kill (f, s.others[i]);
      grp_fixture_run_for (f, 500 * MS);
      no_violation (f);
      /* It may take the view as a member that needs the state (which would
       * stand for the lost positions; it then gives up after the join
       * timeout), but it delivers nothing: no state is left either. */
      g_assert_true (view_id (f, s.c) == v || !grp_core_has_state (core (f, s.c)));
      g_assert_cmpuint (grp_fixture_n_delivered (f, s.c), ==, delivered);
      g_assert_true (grp_core_is_blocked (core (f, s.c)) ||
                     grp_core_get_status (core (f, s.c)) == GRP_STATUS_FAILED);
      g_assert_true (grp_fixture_rightly_blocked (f, s.c));
      return;
    }
  s.lagging = s.no_accept = FALSE;
  grp_fixture_release (f, s.a, s.l);
  assert_converges (f, 1000 * MS);
  g_assert_cmpuint (view_id (f, s.c), >, v);
  g_assert_false (grp_core_is_blocked (core (f, s.c)));
}

/* ---- 2. a decided view whose live members are a majority, yet blocked ---- */

typedef struct {
  int a;
  int others[2];
  gboolean held;
} Unlearnt;

static void
unlearnt_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Unlearnt *u = data;

  /* A has decided: its DECIDEs back up in its queues. */
  if (!u->held && from == u->a && msg->type == GRP_MSG_DECIDE)
    {
      u->held = TRUE;
      for (int i = 0; i < 2; i++)
        grp_fixture_hold (f, u->a, u->others[i], G_MAXINT64);
    }
}

/* View {A, X, Y, B, C}.  B and C are stopped; A (told they are unreachable)
 * proposes {A, X, Y}; X and Y accept; A decides and installs the view (and
 * delivers it), but its DECIDEs are still in its queues when it is killed.
 * B and C are killed too.  X and Y both accepted A's value, and A accepted
 * its own: three of five, so the value *was* chosen, and X and Y are two of
 * the three members of the last view -- a majority of it, alive and
 * connected.  The liveness rule says they go on.  They cannot: in
 * their own view {A, X, Y, B, C} they are two of five.  And the simulator's
 * "rightly blocked" (which looks at each node's own view, not at the last
 * view decided) excuses them. */
static void
decided_view_never_learnt (gconstpointer data)
{
  gboolean safe = GPOINTER_TO_INT (data);
  g_autoptr(GrpFixture) f = fixture (safe ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED);
  Unlearnt u = { 0, { 1, 2 }, FALSE };
  int x = 1, y = 2, b = 3, c = 4;
  guint64 v;

  group (f, 5);
  v = view_id (f, x);
  grp_fixture_set_send_hook (f, unlearnt_hook, &u);
  grp_fixture_pause (f, b);
  grp_fixture_pause (f, c);
  grp_fixture_report (f, u.a, b);
  grp_fixture_report (f, u.a, c);
  grp_fixture_run_for (f, 10 * MS);
  g_assert_true (u.held);
  g_assert_cmpuint (view_id (f, u.a), ==, v + 1);
  if (!safe)
    g_assert_cmpuint (grp_fixture_view (f, u.a)->id, ==, v + 1); /* A delivered it */
  g_assert_cmpuint (grp_core_get_view (core (f, u.a))->n_members, ==, 3);
  grp_fixture_kill (f, u.a);
  grp_fixture_kill (f, b);
  grp_fixture_kill (f, c);
  grp_fixture_run_for (f, 2000 * MS);
  no_violation (f);
  g_test_message ("X: view %" G_GUINT64_FORMAT ", blocked %d, rightly blocked (fixture) %d",
                  view_id (f, x), grp_core_is_blocked (core (f, x)),
                  grp_fixture_rightly_blocked (f, x));
  /* The last view decided is {A, X, Y}: X and Y, two of its three members,
   * are alive and connected. */
  g_assert_cmpuint (view_id (f, x), >, v);
  g_assert_cmpuint (view_id (f, y), >, v);
  assert_converges (f, 1000 * MS);
}

/* ---- 3. the duplicate filter handed to a newcomer is ahead of its state -- */

typedef struct {
  int l, o, n;
  gboolean armed;
  gboolean dropping;
  gboolean drop_state;    /* agreed variant: L's first STATE to N is lost */
} Filter;

static GrpFixtureVerdict
drop_l_seq (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Filter *z = data;

  /* Lost on their own, as the fixture's `loss` does (or a reconnection). */
  if (z->drop_state && from == z->l && to == z->n && msg->type == GRP_MSG_STATE)
    {
      z->drop_state = FALSE;
      return GRP_FIXTURE_DROP;
    }
  if (z->dropping && from == z->l && msg->type == GRP_MSG_SEQ)
    return GRP_FIXTURE_DROP;
  return GRP_FIXTURE_PASS;
}

static void
o_multicasts (GrpFixture *f, gpointer data)
{
  Filter *z = data;

  g_assert_cmpuint (grp_fixture_multicast (f, z->o, 5), !=, 0);
}

static void
filter_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Filter *z = data;

  /* L decides the view that admits N: from now on L's SEQs are lost, N's
   * acknowledgement of the view is slow, and O multicasts. */
  if (z->armed && from == z->l && to == z->n && msg->type == GRP_MSG_DECIDE)
    {
      z->armed = FALSE;
      z->dropping = TRUE;
      grp_fixture_hold (f, z->n, z->l, grp_fixture_now (f) + 10 * MS);
      grp_fixture_at (f, grp_fixture_now (f) + 3 * MS, o_multicasts, z);
    }
}

static gboolean
is_leader (GrpFixture *f, gpointer data)
{
  return grp_core_is_leader (grp_fixture_core (f, GPOINTER_TO_INT (data)));
}

/* Safe delivery (agreed: see below).  View {L, O}; N joins.  L installs {L, O, N} at s and,
 * before the view is stable (N's ACK is slow), sequences O's multicast at
 * s+1; that SEQ reaches nobody.  Then the view is stable: L delivers it and
 * sends N the state as of s -- with the duplicate filter as it is *now*,
 * which already counts O's multicast at s+1.  L dies; N (which suspects O
 * for a moment) proposes and leads {N, O} at s+1.  O sends its multicast
 * again: N's filter refuses it as a duplicate.  It is never delivered. */
static void
newcomer_filter_ahead_of_state (gconstpointer data)
{
  gboolean safe = GPOINTER_TO_INT (data);
  GrpCoreConfig cfg = config (safe ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED);
  GrpFixtureNet net;
  g_autoptr(GrpFixture) f = NULL;
  /* Agreed: L delivers the view, and its state goes to N, at once; that
   * STATE is lost, and N's STATE_REQ (40 ms later) is answered with the
   * state as of s and the filter as it is then (O's multicast at s+1 in
   * it).  L delivered s+1 before it died, after its last view: allowed. */
  Filter z = { 0, 1, -1, TRUE, FALSE, !safe };
  guint64 s;
  guint o_before;

  grp_fixture_net_init (&net);
  net.report_min = net.report_max = 50 * MS;  /* crash reports arrive late */
  f = grp_fixture_new (&cfg, &net, 1);
  if (g_getenv ("GROUPY_TRACE") != NULL)
    grp_fixture_set_tracing (f, TRUE);
  group (f, 2);
  o_before = grp_fixture_n_delivered (f, z.o);
  grp_fixture_set_filter (f, drop_l_seq, &z);
  grp_fixture_set_send_hook (f, filter_hook, &z);
  z.n = grp_fixture_spawn (f, "n", z.l);
  g_assert_true (grp_fixture_run_until (f, is_member, GINT_TO_POINTER (z.n), 200 * MS));
  s = grp_core_get_view (core (f, z.n))->seq;
  g_test_message ("N has its state as of %" G_GUINT64_FORMAT
                  "; L sequenced up to %" G_GUINT64_FORMAT
                  ", O holds up to %" G_GUINT64_FORMAT, s, grp_core_get_received (core (f, z.l)),
                  grp_core_get_received (core (f, z.o)));
  g_assert_cmpuint (grp_core_get_received (core (f, z.l)), ==, s + 1);
  g_assert_cmpuint (grp_core_get_pending (core (f, z.o)), ==, 1);
  grp_fixture_kill (f, z.l);
  grp_fixture_report (f, z.n, z.o);
  grp_fixture_report (f, z.n, z.l);
  g_assert_true (grp_fixture_run_until (f, is_leader, GINT_TO_POINTER (z.n), 100 * MS));
  g_assert_true (grp_view_contains (grp_core_get_view (core (f, z.n)),
                                    grp_core_get_id (core (f, z.o))));
  grp_fixture_run_for (f, 300 * MS);
  g_test_message ("O: %u multicasts still pending", grp_core_get_pending (core (f, z.o)));
  /* O multicasts again: #2 is sequenced, and O's #1 leaves its pending list
   * with #2's delivery, never delivered by anyone. */
  g_assert_cmpuint (grp_fixture_multicast (f, z.o, 6), ==, 2);
  assert_converges (f, 500 * MS);
  /* Both of O's changes delivered (the checker's "every multicast of a
   * member that converged was delivered" is satisfied by L's delivery of
   * #1 at s+1 before it died, although s+1 was filled again since). */
  if (grp_fixture_n_delivered (f, z.o) != o_before + 2)
    dump_trace (f);
  g_assert_cmpuint (grp_fixture_n_delivered (f, z.o), ==, o_before + 2);
}

/* ---- 4. the same hole, with a survivor that diverges --------------------- */

typedef struct {
  int l, a, c, n;
  gboolean healed;
  gboolean accept_held;
  guint64 v;
} Survivor;

static void
survivor_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Survivor *s = data;

  /* The broken connection L -> C is made again for L's PREPARE. */
  if (!s->healed && from == s->l && to == s->c && msg->type == GRP_MSG_PREPARE)
    {
      s->healed = TRUE;
      grp_fixture_heal (f);
    }
  /* L's ACCEPT to C (and what follows it, the DECIDE) backs up. */
  if (!s->accept_held && from == s->l && to == s->c && msg->type == GRP_MSG_ACCEPT)
    {
      s->accept_held = TRUE;
      grp_fixture_hold (f, s->l, s->c, G_MAXINT64);
    }
}

static gboolean
c_and_n_ready (GrpFixture *f, gpointer data)
{
  Survivor *s = data;

  return view_id (f, s->c) == s->v + 1 && s->n >= 0 && view_id (f, s->n) == s->v + 1 &&
         grp_core_get_status (core (f, s->n)) == GRP_STATUS_MEMBER;
}

/* View {L, A, C}, agreed delivery.  L's connection to C breaks while L
 * sequences three changes (they are lost with it); N asks to join; the
 * connection is made again for L's PREPARE, so C promises holding less
 * than L and A.  L proposes {L, A, C, N}; its ACCEPT to C (with what C
 * lacks) and then its DECIDE back up in L's queue; A accepts; L decides,
 * delivers the view and gives N the state as of it.  C, waiting, asks A
 * for a newer view (NEED_VIEW) and installs {L, A, C, N} from A's answer,
 * without the positions below it.  L and A are killed.  C and N, half of
 * the view with the other half certainly dead, go on -- C builds the next
 * view at its own receive point, below the view N already delivered.  N is
 * a survivor: it must deliver the same history as C. */
static void
survivor_diverges (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  Survivor s = { 0, 1, 2, -1, FALSE, FALSE, 0 };

  group (f, 3);
  s.v = view_id (f, s.c);
  grp_fixture_set_send_hook (f, survivor_hook, &s);
  grp_fixture_cut (f, s.l, s.c, FALSE, FALSE);
  for (guint8 i = 1; i <= 3; i++)
    grp_fixture_multicast (f, s.l, i);
  grp_fixture_run_for (f, 3 * MS);
  s.n = grp_fixture_spawn (f, "n", s.l);
  g_assert_true (grp_fixture_run_until (f, c_and_n_ready, &s, 400 * MS));
  g_test_message ("view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT "; C holds up to %"
                  G_GUINT64_FORMAT ", N delivered up to %" G_GUINT64_FORMAT, s.v + 1,
                  grp_core_get_view (core (f, s.c))->seq,
                  grp_core_get_received (core (f, s.c)), grp_core_get_delivered (core (f, s.n)));
  grp_fixture_kill (f, s.l);
  grp_fixture_kill (f, s.a);
  grp_fixture_run_for (f, 300 * MS);
  g_test_message ("C: view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT "; N: view %"
                  G_GUINT64_FORMAT ", delivered %" G_GUINT64_FORMAT, view_id (f, s.c),
                  grp_core_get_view (core (f, s.c))->seq,
                  view_id (f, s.n), grp_core_get_delivered (core (f, s.n)));
  grp_fixture_multicast (f, s.c, 4);
  grp_fixture_multicast (f, s.n, 5);
  assert_converges (f, 1000 * MS);
}

/* ---- teeth: an acceptor refuses an ACCEPT below its promise ------------- */

typedef struct {
  int l, a, b;
  gboolean accept_held;
  gboolean decide_held;
} Duel;

static gboolean
decide_held (GrpFixture *f, gpointer data)
{
  return ((Duel *) data)->decide_held;
}

static void
duel_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Duel *d = data;

  if (!d->accept_held && from == d->a && to == d->b && msg->type == GRP_MSG_ACCEPT)
    {
      d->accept_held = TRUE;
      grp_fixture_hold (f, d->a, d->b, G_MAXINT64);
    }
  if (!d->decide_held && from == d->l && to == d->b && msg->type == GRP_MSG_DECIDE)
    {
      d->decide_held = TRUE;
      grp_fixture_hold (f, d->l, d->b, G_MAXINT64);
    }
}

/* Two proposers, the Paxos duel.  View {L, A, B}.  A proposes {A, B} with
 * B's promise; its ACCEPT to B backs up.  L proposes with a higher ballot,
 * gets B's promise (B has accepted nothing), decides {L, B} with B; its
 * DECIDE to B backs up.  Now A's old ACCEPT reaches B: B promised L's
 * higher ballot and must refuse it -- otherwise A decides {A, B} too: two
 * views with one id.  (Catches the mutant
 * accept-any-ballot of tests/mutants/mutants.txt.) */
static void
teeth_accept_below_promise (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  Duel d = { 0, 1, 2, FALSE, FALSE };
  guint64 v;

  group (f, 3);
  v = view_id (f, d.b);
  grp_fixture_set_send_hook (f, duel_hook, &d);
  grp_fixture_hold (f, d.a, d.l, G_MAXINT64);
  grp_fixture_report (f, d.a, d.l);
  grp_fixture_run_for (f, 5 * MS);
  g_assert_true (d.accept_held);
  grp_fixture_hold (f, d.l, d.a, G_MAXINT64);
  grp_fixture_report (f, d.l, d.a);
  /* (L may first lose to A's ballot; it tries again higher.) */
  g_assert_true (grp_fixture_run_until (f, decide_held, &d, 1000 * MS));
  g_assert_cmpuint (view_id (f, d.l), ==, v + 1);
  grp_fixture_release (f, d.a, d.b);
  grp_fixture_run_for (f, 10 * MS);
  no_violation (f);
  grp_fixture_release (f, d.l, d.b);
  grp_fixture_release (f, d.l, d.a);
  grp_fixture_release (f, d.a, d.l);
  assert_converges (f, 1000 * MS);
}

/* ---- teeth: the accepted value with the highest ballot is re-proposed --- */

/* View {L, A, B}.  A proposes {A, B} (ballot b1, B's promise; its ACCEPT to
 * B backs up).  L proposes {L, B} with a higher ballot b2, B accepts it, L
 * decides and delivers it (its DECIDEs back up), and dies.  A and B then
 * finish the slot: A reports (b1, {A, B}), B reports (b2, {L, B}), which
 * was chosen; whoever proposes must take b2's value.  (Catches
 * lowest-accepted-wins of tests/mutants/mutants.txt.) */
static void
teeth_highest_accepted_wins (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  Duel d = { 0, 1, 2, FALSE, FALSE };
  guint64 v;

  group (f, 3);
  v = view_id (f, d.b);
  grp_fixture_set_send_hook (f, duel_hook, &d);
  grp_fixture_hold (f, d.a, d.l, G_MAXINT64);
  grp_fixture_report (f, d.a, d.l);
  grp_fixture_run_for (f, 5 * MS);
  g_assert_true (d.accept_held);
  grp_fixture_hold (f, d.l, d.a, G_MAXINT64);
  grp_fixture_report (f, d.l, d.a);
  /* (L may first lose to A's ballot; it tries again higher.) */
  g_assert_true (grp_fixture_run_until (f, decide_held, &d, 1000 * MS));
  g_assert_cmpuint (view_id (f, d.l), ==, v + 1);
  g_assert_cmpuint (grp_fixture_view (f, d.l)->id, ==, v + 1);
  grp_fixture_kill (f, d.l);
  grp_fixture_release (f, d.a, d.b);
  grp_fixture_release (f, d.a, d.l);
  grp_fixture_run_for (f, 1000 * MS);
  assert_converges (f, 1000 * MS);
  g_assert_cmpuint (view_id (f, d.b), >, v);
}

/* Half of the view survives, and the proposer never reached one of the
 * dead (a newcomer that only ever talked to the others): it cannot be
 * certain of that crash itself, but another survivor is, and says so in
 * its PROMISE.  A crash confirmed by anyone is a fact; the survivors go on
 * (and only because of the relayed fact: without it they block). */
static GrpFixtureVerdict
apart (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  const int *pair = data;

  return (from == pair[0] && to == pair[1]) || (from == pair[1] && to == pair[0])
         ? GRP_FIXTURE_DROP : GRP_FIXTURE_PASS;
}

static void
crash_relayed (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  int pair[2] = { 1, 3 };   /* b never hears d, nor d b */
  const GrpView *v;

  grp_fixture_set_filter (f, apart, pair);
  group (f, 4);
  grp_fixture_multicast (f, 2, 7);
  grp_fixture_run_for (f, 50 * MS);
  grp_fixture_kill (f, 0);
  grp_fixture_kill (f, 3);
  assert_converges (f, 3000 * MS);
  v = grp_fixture_view (f, 1);
  g_assert_cmpuint (v->n_members, ==, 2);
  g_assert_true (grp_view_equal (v, grp_fixture_view (f, 2)));
  g_assert_cmpuint (grp_view_leader (v), ==, grp_core_get_id (core (f, 1)));
}

/* Catch-up larger than a message may carry (max_msg_bytes: two entries
 * here): b misses what the leader sequences, c delivers it all; the
 * leader dies and b proposes.  c's promise brings what b lacks in parts,
 * and b proposes only once it holds everything c may have delivered;
 * batches and answers stay within the bound (the fixture checks every
 * message). */
typedef struct {
  int node;
  guint n;
} Want;

static gboolean
delivered_at_least (GrpFixture *f, gpointer data)
{
  const Want *w = data;

  return grp_fixture_n_delivered (f, w->node) >= w->n;
}

static void
large_catch_up (void)
{
  GrpCoreConfig cfg = config (GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = NULL;
  guint before;

  cfg.max_msg_bytes = 100;
  cfg.batch = TRUE;
  f = fixture_with (&cfg);
  group (f, 3);
  before = grp_fixture_n_delivered (f, 2);
  grp_fixture_hold (f, 0, 1, G_MAXINT64);
  for (guint i = 0; i < 15; i++)
    {
      grp_fixture_multicast (f, 0, (guint8) (1 + i));
      grp_fixture_multicast (f, 2, (guint8) (1 + i));
    }
  if (!grp_fixture_run_until (f, delivered_at_least, &(Want) { 2, before + 30 }, 500 * MS))
    {
      dump_trace (f);
      g_error ("c delivered %u, not %u", grp_fixture_n_delivered (f, 2), before + 30);
    }
  no_violation (f);
  grp_fixture_kill (f, 0);
  /* A part per retry interval, not per restart of the view change. */
  assert_converges (f, 1000 * MS);
  g_assert_cmpuint (grp_fixture_view (f, 1)->n_members, ==, 2);
  g_assert_cmpuint (grp_fixture_last_seq (f, 1), ==, grp_fixture_last_seq (f, 2));
}

/* An ACCEPT whose positions take several messages (max_msg_bytes): only
 * the first part reaches c and d before the proposer b dies with the rest
 * in its queues.  c and d must not have accepted on the first part: had
 * they, b's value would be chosen (b, c and d are three of four) with
 * positions below it that no live member holds, and c and d could never
 * install it (wide campaign seed 1077879, -k7 safe).  So they converge on
 * a view of their own. */
typedef struct {
  int b, c, d;
  guint parts[4];
  gboolean hold;          /* hold the links from b from the second part on */
} Parts;

static gboolean
accepts_sent (GrpFixture *f, gpointer data)
{
  Parts *p = data;

  return p->parts[p->c] >= 2 && p->parts[p->d] >= 2;
}

static void
parts_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Parts *p = data;

  if (from == p->b && (to == p->c || to == p->d) && msg->type == GRP_MSG_ACCEPT &&
      ++p->parts[to] == 2 && p->hold)
    grp_fixture_hold (f, p->b, to, G_MAXINT64); /* the second part on: held */
}

static void
accept_in_parts (void)
{
  GrpCoreConfig cfg = config (GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = NULL;
  Parts p = { 1, 2, 3, { 0 }, TRUE };
  guint before;

  cfg.max_msg_bytes = 100;
  cfg.batch = TRUE;
  f = fixture_with (&cfg);
  group (f, 4);
  before = grp_fixture_n_delivered (f, p.b);
  grp_fixture_hold (f, 0, p.c, G_MAXINT64);
  grp_fixture_hold (f, 0, p.d, G_MAXINT64);
  for (guint i = 0; i < 12; i++)
    grp_fixture_multicast (f, 0, (guint8) (1 + i));
  g_assert_true (grp_fixture_run_until (f, delivered_at_least, &(Want) { p.b, before + 12 },
                                        500 * MS));
  grp_fixture_set_send_hook (f, parts_hook, &p);
  grp_fixture_kill (f, 0);
  g_assert_true (grp_fixture_run_until (f, accepts_sent, &p, 1000 * MS));
  grp_fixture_run_for (f, 20 * MS);
  grp_fixture_kill (f, p.b);
  grp_fixture_set_send_hook (f, NULL, NULL);
  assert_converges (f, 3000 * MS);
  g_assert_cmpuint (grp_fixture_view (f, p.c)->n_members, ==, 2);
}

/* The same without faults: the parts go out together, so the new view
 * comes within one round of the view change, not one restart per part. */
static gboolean
three_installed (GrpFixture *f, gpointer data)
{
  const Parts *p = data;

  for (int i = p->b; i <= p->d; i++)
    if (grp_fixture_view (f, i)->n_members != 3)
      return FALSE;
  return TRUE;
}

static void
accept_in_parts_at_once (void)
{
  GrpCoreConfig cfg = config (GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = NULL;
  Parts p = { 1, 2, 3, { 0 }, FALSE };
  guint before;
  gint64 t0;

  cfg.max_msg_bytes = 100;
  cfg.batch = TRUE;
  f = fixture_with (&cfg);
  group (f, 4);
  before = grp_fixture_n_delivered (f, p.b);
  grp_fixture_hold (f, 0, p.c, G_MAXINT64);
  grp_fixture_hold (f, 0, p.d, G_MAXINT64);
  for (guint i = 0; i < 12; i++)
    grp_fixture_multicast (f, 0, (guint8) (1 + i));
  g_assert_true (grp_fixture_run_until (f, delivered_at_least, &(Want) { p.b, before + 12 },
                                        500 * MS));
  grp_fixture_set_send_hook (f, parts_hook, &p);
  grp_fixture_kill (f, 0);
  grp_fixture_release (f, 0, p.c);
  grp_fixture_release (f, 0, p.d);
  g_assert_true (grp_fixture_run_until (f, accepts_sent, &p, 1000 * MS));
  grp_fixture_set_send_hook (f, NULL, NULL);
  t0 = grp_fixture_now (f);
  if (!grp_fixture_run_until (f, three_installed, &p, cfg.suspect_timeout))
    {
      dump_trace (f);
      g_error ("no view of three %" G_GINT64_FORMAT " us after the ACCEPTs",
               grp_fixture_now (f) - t0);
    }
  no_violation (f);
}

/* A new leader rebuilds its duplicate filter from its log: a request the
 * old leader sequenced, that the new one holds but has not delivered, sent
 * again (a retry under way when the leader died) is not sequenced twice.
 * (The thin teeth: without the rebuild the unit tests and 30,000
 * seeds passed.) */
typedef struct {
  int from, b;
  GrpMsg *req;
  guint64 old_view;
  gboolean sent;
} Catch;

static void
catch_req (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Catch *c = data;

  if (from == c->from && msg->type == GRP_MSG_REQ && c->req == NULL)
    c->req = grp_msg_ref (msg);
}

/* The same request again, in the new view, to the new leader. */
static void
send_again (GrpFixture *f, gpointer data)
{
  Catch *c = data;

  c->req->view = grp_core_get_view (core (f, c->b))->id;
  grp_core_receive (core (f, c->b), c->req, grp_fixture_now (f));
}

/* b's hello to the members of the view it just installed: it leads it. */
static void
on_install (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Catch *c = data;

  if (from == c->b && msg->type == GRP_MSG_NEED_VIEW && msg->view > c->old_view && !c->sent)
    {
      c->sent = TRUE;
      grp_fixture_at (f, grp_fixture_now (f), send_again, c);
    }
}

static void
new_leader_filters_duplicates (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_SAFE);
  Catch c = { 2, 1, NULL, 0, FALSE };

  group (f, 3);
  /* c never hears its request sequenced, so b holds it undelivered (safe
   * delivery waits for every member) when it takes over. */
  grp_fixture_hold (f, 0, 2, G_MAXINT64);
  grp_fixture_set_send_hook (f, catch_req, &c);
  grp_fixture_multicast (f, 2, 7);
  grp_fixture_run_for (f, 50 * MS);
  g_assert_nonnull (c.req);
  c.old_view = view_id (f, 1);
  grp_fixture_set_send_hook (f, on_install, &c);
  grp_fixture_kill (f, 0);
  assert_converges (f, 2000 * MS);
  grp_fixture_set_send_hook (f, NULL, NULL);
  g_assert_true (c.sent);
  g_assert_true (grp_core_get_id (core (f, 1)) == grp_view_leader (grp_fixture_view (f, 1)));
  grp_fixture_run_for (f, 100 * MS);
  no_violation (f);
  grp_msg_unref (c.req);
}

/* A member asked about a view beyond the next (a PREPARE for a later
 * slot) asks for that view saying what it holds, so that the answer brings
 * what it lacks below it: an answer without entries would leave a member
 * that holds a chosen view it cannot install asking forever (the answers
 * are rate-limited, one per retry interval). */
typedef struct {
  int from;
  guint64 recv_upto;
  guint seen;
} AskSeen;

static void
catch_need_view (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  AskSeen *a = data;

  if (from == a->from && msg->type == GRP_MSG_NEED_VIEW)
    {
      a->recv_upto = msg->need_view.recv_upto;
      a->seen++;
    }
}

static void
ask_says_what_it_holds (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  g_autoptr(GrpMsg) prepare = NULL;
  AskSeen a = { 2, 0, 0 };

  group (f, 3);
  grp_fixture_multicast (f, 1, 5);
  grp_fixture_run_for (f, 50 * MS);
  prepare = grp_msg_new (GRP_MSG_PREPARE, grp_core_get_id (core (f, 0)), view_id (f, 2) + 2);
  prepare->prepare.ballot = (GrpBallot) { 1, grp_core_get_id (core (f, 0)) };
  grp_fixture_set_send_hook (f, catch_need_view, &a);
  grp_core_receive (core (f, 2), prepare, grp_fixture_now (f));
  grp_fixture_set_send_hook (f, NULL, NULL);
  g_assert_cmpuint (a.seen, ==, 1);
  g_assert_cmpuint (a.recv_upto, ==, grp_core_get_received (core (f, 2)));
}

/* ---- teeth: install drops what the old view held at or above the cut ---- */

typedef struct {
  int l, a, b;
  guint64 p;              /* the first of L's three positions */
} Gap;

static gboolean
seq_holds (GrpMsg *msg, guint64 seq)
{
  if (msg->type != GRP_MSG_SEQ || msg->seq.entries == NULL)
    return FALSE;
  for (guint i = 0; i < msg->seq.entries->len; i++)
    if (((GrpEntry *) g_ptr_array_index (msg->seq.entries, i))->seq == seq)
      return TRUE;
  return FALSE;
}

static GrpFixtureVerdict
gap_filter (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Gap *g = data;

  /* The transport drops frames for a peer that does not keep up: the
   * middle one to both, the last one to B. */
  if (from == g->l && seq_holds (msg, g->p + 1))
    return GRP_FIXTURE_DROP;
  if (from == g->l && to == g->b && seq_holds (msg, g->p + 2))
    return GRP_FIXTURE_DROP;
  return GRP_FIXTURE_PASS;
}

/* View {L, A, B}, agreed delivery.  L sequences three changes at p, p+1,
 * p+2 and dies at once: p+1 reaches nobody, p+2 reaches A only.  A holds p
 * and p+2 with a hole between; B holds p.  The next view {A, B} goes at
 * p+1, the first position no survivor holds, and A must drop its p+2
 * there: it was never part of the group's order (only L, gone, delivered
 * it).  Kept, it would fill A's hole above the view and A would deliver
 * L's p+2 while B delivers whatever A sequences there next.  (Catches
 * no-truncate-at-install of tests/mutants/mutants.txt.) */
static void
teeth_install_drops_above_cut (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  Gap g = { 0, 1, 2, 0 };
  guint64 v;

  group (f, 3);
  v = view_id (f, g.a);
  g.p = grp_core_get_received (core (f, g.l)) + 1;
  grp_fixture_set_filter (f, gap_filter, &g);
  for (guint8 i = 1; i <= 3; i++)
    grp_fixture_multicast (f, g.l, i);
  grp_fixture_kill (f, g.l);
  grp_fixture_run_for (f, 300 * MS);
  no_violation (f);
  g_assert_cmpuint (view_id (f, g.a), >, v);
  g_assert_cmpuint (grp_core_get_view (core (f, g.a))->seq, ==, g.p + 1);
  grp_fixture_multicast (f, g.b, 4);
  grp_fixture_multicast (f, g.a, 5);
  assert_converges (f, 1000 * MS);
}

/* ---- teeth: an acceptor takes the positions below the value ------------ */

typedef struct {
  int l, a, b;
  gboolean lagging;       /* L's SEQs to B are lost */
  gboolean decided;
} Behind;

static GrpFixtureVerdict
behind_filter (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Behind *s = data;

  return s->lagging && from == s->l && to == s->b && msg->type == GRP_MSG_SEQ ? GRP_FIXTURE_DROP
                                                                            : GRP_FIXTURE_PASS;
}

static void
kill_a (GrpFixture *f, gpointer data)
{
  grp_fixture_kill (f, ((Behind *) data)->a);
}

static void
behind_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Behind *s = data;

  /* A decides: its DECIDE to B backs up, and A dies with it. */
  if (!s->decided && from == s->a && to == s->b && msg->type == GRP_MSG_DECIDE)
    {
      s->decided = TRUE;
      grp_fixture_hold (f, s->a, s->b, G_MAXINT64);
      grp_fixture_at (f, grp_fixture_now (f), kill_a, s);
    }
}

/* View {L, A, B}, agreed delivery.  L's SEQs to B are lost: B lags two
 * positions behind A.  L dies; A proposes {A, B}, B accepts -- the ACCEPT
 * carries the two positions B lacks -- and A decides, delivers the view
 * and dies before its DECIDE leaves.  B, alone, knows from its own accept
 * and A's ballot that two of three accepted: the view was chosen.  It
 * installs it (it holds every position below it) and goes on alone, A's
 * crash being certain.  An ACCEPT without the positions would leave B with
 * a chosen view it can never install.  (Catches accept-without-entries of
 * tests/mutants/mutants.txt.) */
static void
teeth_accept_carries_positions (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  Behind s = { 0, 1, 2, TRUE, FALSE };
  guint64 v;

  group (f, 3);
  v = view_id (f, s.b);
  grp_fixture_set_filter (f, behind_filter, &s);
  grp_fixture_set_send_hook (f, behind_hook, &s);
  grp_fixture_multicast (f, s.l, 1);
  grp_fixture_multicast (f, s.l, 2);
  grp_fixture_run_for (f, 5 * MS);
  g_assert_cmpuint (grp_core_get_received (core (f, s.b)) + 2, ==,
                    grp_core_get_received (core (f, s.a)));
  grp_fixture_kill (f, s.l);
  grp_fixture_run_for (f, 1000 * MS);
  g_assert_true (s.decided);
  no_violation (f);
  g_assert_cmpuint (view_id (f, s.b), >=, v + 2);
  g_assert_cmpuint (grp_core_get_view (core (f, s.b))->n_members, ==, 1);
  g_assert_false (grp_core_is_blocked (core (f, s.b)));
  grp_fixture_multicast (f, s.b, 3);
  assert_converges (f, 500 * MS);
}

/* ---- teeth: a frozen member delivers nothing past what it promised on -- */

typedef struct {
  int l, a, m, x, y;
  gboolean lagging;       /* L's SEQs are lost */
  gboolean decided;
  gboolean resumed;
  gboolean asked;
} Frozen;

static GrpFixtureVerdict
frozen_filter (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Frozen *z = data;

  return z->lagging && from == z->l && msg->type == GRP_MSG_SEQ ? GRP_FIXTURE_DROP
                                                                 : GRP_FIXTURE_PASS;
}

static void
frozen_kill_a (GrpFixture *f, gpointer data)
{
  grp_fixture_kill (f, ((Frozen *) data)->a);
}

static void
frozen_resume_l (GrpFixture *f, gpointer data)
{
  Frozen *z = data;

  z->resumed = TRUE;
  grp_fixture_resume (f, z->l);
}

static void
frozen_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Frozen *z = data;
  gint64 now = grp_fixture_now (f);

  /* A decides: its DECIDEs back up, and A dies. */
  if (!z->decided && from == z->a && msg->type == GRP_MSG_DECIDE)
    {
      z->decided = TRUE;
      for (int i = 0; i < 5; i++)
        if (i != z->a)
          grp_fixture_hold (f, z->a, i, G_MAXINT64);
      grp_fixture_at (f, now, frozen_kill_a, z);
    }
  /* M asks: L resumes to answer at once, X and Y are slow (60 ms). */
  if (!z->asked && from == z->m && msg->type == GRP_MSG_PREPARE)
    {
      z->asked = TRUE;
      grp_fixture_hold (f, z->m, z->x, now + 60 * MS);
      grp_fixture_hold (f, z->m, z->y, now + 60 * MS);
      grp_fixture_at (f, now + 5 * MS, frozen_resume_l, z);
    }
}

/* View {L, A, M, X, Y}, agreed delivery.  L sequences two changes at c and
 * c+1 (and delivers them); its SEQs are lost.  L stops.  A proposes
 * {A, M, X, Y} at c; M, X and Y accept; A decides, delivers the view at c
 * and dies with its DECIDEs unsent.  M (frozen since it promised A, at
 * c-1) proposes in turn.  L resumes and promises first, with c and c+1:
 * L's, never part of the group's order.  X and Y answer 60 ms later, with
 * the value they accepted: chosen, at c.  Meanwhile M holds c and c+1 but
 * must not deliver them: it promised holding up to c-1, and the view it
 * will install sits at c, as A delivered it.  (Catches frozen-delivers-all
 * of tests/mutants/mutants.txt.) */
static void
teeth_frozen_delivers_nothing_new (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  Frozen z = { 0, 1, 2, 3, 4, TRUE, FALSE, FALSE, FALSE };
  guint64 v, c;

  group (f, 5);
  v = view_id (f, z.m);
  c = grp_core_get_received (core (f, z.l)) + 1;
  grp_fixture_set_filter (f, frozen_filter, &z);
  grp_fixture_set_send_hook (f, frozen_hook, &z);
  grp_fixture_multicast (f, z.l, 1);
  grp_fixture_multicast (f, z.l, 2);
  grp_fixture_pause (f, z.l);
  grp_fixture_report (f, z.a, z.l);
  grp_fixture_run_for (f, 50 * MS);
  g_assert_true (z.decided);
  g_assert_cmpuint (grp_core_get_view (core (f, z.a))->seq, ==, c);
  grp_fixture_report (f, z.m, z.l);
  grp_fixture_run_for (f, 600 * MS);
  g_assert_true (z.resumed);
  no_violation (f);
  g_assert_cmpuint (view_id (f, z.m), >, v);
  z.lagging = FALSE;
  grp_fixture_calm (f);
  grp_fixture_multicast (f, z.m, 3);
  assert_converges (f, 1000 * MS);
}

/* ---- teeth: a newcomer's duplicate filter is the one of its state ------- */

typedef struct {
  int l, o, n;
  gboolean seq_lost;      /* L's SEQs and HBs to O are lost */
  gboolean stated;
} Dup;

static GrpFixtureVerdict
dup_filter (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Dup *d = data;

  return d->seq_lost && from == d->l && to == d->o &&
         (msg->type == GRP_MSG_SEQ || msg->type == GRP_MSG_HB) ? GRP_FIXTURE_DROP
                                                               : GRP_FIXTURE_PASS;
}

static void
dup_kill_l (GrpFixture *f, gpointer data)
{
  Dup *d = data;

  /* O learns of L's end only later; N suspects O for a moment. */
  grp_fixture_cut (f, d->l, d->o, TRUE, TRUE);
  grp_fixture_report (f, d->n, d->o);
  grp_fixture_kill (f, d->l);
}

static void
dup_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Dup *d = data;

  if (!d->stated && from == d->l && to == d->n && msg->type == GRP_MSG_STATE)
    {
      d->stated = TRUE;
      grp_fixture_at (f, grp_fixture_now (f), dup_kill_l, d);
    }
}

/* View {L, O}, safe delivery.  O multicasts #1; L sequences it at s-1,
 * but its SEQs and heartbeats to O are lost, so O holds nothing of it and
 * the position is not stable (L still holds it in its log).  N joins: L
 * proposes {L, O, N} at s, its ACCEPT gives O position s-1, the view is
 * installed; O and N acknowledge it, L delivers s-1 and the view and sends
 * N the state as of s -- which holds O's #1, and so must the duplicate
 * filter sent with it.  L dies.  N (suspecting O for a moment) proposes
 * and leads {N, O}.  O multicasts #2: N takes each origin's counters in
 * order, so with a filter that misses #1 it waits for a #1 that O will
 * never send again (O holds it, at s-1), and #2 is never delivered.
 * (Catches seen-ahead-of-state and seen-not-in-state of
 * tests/mutants/mutants.txt.) */
static void
teeth_newcomer_filter_is_the_state_s (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_SAFE);
  Dup d = { 0, 1, -1, FALSE, FALSE };
  guint64 s;
  guint o_before;

  group (f, 2);
  o_before = grp_fixture_n_delivered (f, d.o);
  grp_fixture_set_filter (f, dup_filter, &d);
  grp_fixture_set_send_hook (f, dup_hook, &d);
  d.seq_lost = TRUE;
  s = grp_core_get_received (core (f, d.l)) + 2;
  g_assert_cmpuint (grp_fixture_multicast (f, d.o, 5), ==, 1);
  grp_fixture_run_for (f, 2 * MS);
  g_assert_cmpuint (grp_core_get_received (core (f, d.l)), ==, s - 1);
  d.n = grp_fixture_spawn (f, "n", d.l);
  g_assert_true (grp_fixture_run_until (f, is_member, GINT_TO_POINTER (d.n), 100 * MS));
  g_assert_true (d.stated);
  g_assert_cmpuint (grp_core_get_view (core (f, d.n))->seq, ==, s);
  g_assert_cmpuint (grp_core_get_pending (core (f, d.o)), ==, 1);
  g_assert_true (grp_fixture_run_until (f, is_leader, GINT_TO_POINTER (d.n), 300 * MS));
  d.seq_lost = FALSE;
  grp_fixture_calm (f);
  grp_fixture_run_for (f, 50 * MS);
  g_assert_cmpuint (grp_fixture_multicast (f, d.o, 6), ==, 2);
  assert_converges (f, 1000 * MS);
  g_assert_cmpuint (grp_fixture_n_delivered (f, d.o), ==, o_before + 2);
}

/* ---- teeth: a lower ballot does not stop a higher one ------------------ */

typedef struct {
  int a, b;               /* b's id is above a's: (1, B) > (1, A) */
} Stale;

static void
stale_b_proposes (GrpFixture *f, gpointer data)
{
  Stale *s = data;

  grp_fixture_report (f, s->b, s->a);
}

/* View {L, A, B} (B's id above A's).  L dies.  A proposes at (1, A); its
 * PREPARE to B backs up for 12 ms.  B, told A is unreachable, proposes at
 * (1, B), above A's; its PREPARE to A backs up for 25 ms.  A's PREPARE
 * reaches B while B collects promises: B has promised (1, B) and must
 * refuse the lower ballot and carry on.  Then B's PREPARE reaches A, which
 * promises, and B decides {B, A}.  A member that promised a lower ballot
 * instead would drop its own higher attempt, and A's would fail at B's
 * promise: nobody decides until the next round, two timeouts later.
 * (Catches promise-any-ballot of tests/mutants/mutants.txt.) */
static void
teeth_lower_prepare_refused (void)
{
  GrpCoreConfig cfg = config (GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = NULL;
  Stale s = { 1, 2 };
  guint64 v;
  gint64 t0;

  /* A fixture whose ids put node 2's ballots above node 1's. */
  for (guint64 seed = 1; f == NULL; seed++)
    {
      f = fixture_with_seed (&cfg, seed);
      group (f, 3);
      if (grp_core_get_id (core (f, 2)) < grp_core_get_id (core (f, 1)))
        g_clear_pointer (&f, grp_fixture_free);
    }
  v = view_id (f, s.a);
  t0 = grp_fixture_now (f);
  grp_fixture_hold (f, s.a, s.b, t0 + 12 * MS);
  grp_fixture_hold (f, s.b, s.a, t0 + 25 * MS);
  grp_fixture_kill (f, 0);
  grp_fixture_at (f, t0 + 5 * MS, stale_b_proposes, &s);
  grp_fixture_run_for (f, 60 * MS);
  no_violation (f);
  g_assert_cmpuint (view_id (f, s.a), ==, v + 1);
  g_assert_cmpuint (view_id (f, s.b), ==, v + 1);
  g_assert_cmpuint (grp_view_leader (grp_core_get_view (core (f, s.a))), ==,
                    grp_core_get_id (core (f, s.b)));
  grp_fixture_multicast (f, s.a, 7);
  assert_converges (f, 500 * MS);
}

/* ---- teeth: a newcomer out of reach is not admitted -------------------- */

typedef struct {
  int l, a;
  gboolean decided;
} Ghost;

static void
ghost_kill_a (GrpFixture *f, gpointer data)
{
  grp_fixture_kill (f, ((Ghost *) data)->a);
}

static void
ghost_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Ghost *g = data;

  if (!g->decided && from == g->l && to == g->a && msg->type == GRP_MSG_DECIDE)
    {
      g->decided = TRUE;
      grp_fixture_at (f, grp_fixture_now (f), ghost_kill_a, g);
    }
}

/* View {L, A}.  A stops, and L (told A is unreachable) cannot decide a new
 * view alone.  Meanwhile N asks L to join -- its JOIN does not verify its
 * address -- and is killed.  L hears that N
 * is unreachable, not for certain: it never reached N itself.  N must not
 * be admitted: A resumes, L decides {L, A}, and when A is killed too L goes
 * on alone (A's crash is certain, and L is half of {L, A}).  Had L kept N,
 * the view would be {L, A, N}: L one of three, N dead but never certainly
 * so -- blocked for good.  (Catches joiner-kept-on-suspicion of
 * tests/mutants/mutants.txt.) */
static void
teeth_unreachable_joiner_dropped (void)
{
  g_autoptr(GrpFixture) f = fixture (GRP_DELIVERY_AGREED);
  Ghost g = { 0, 1, FALSE };
  guint64 v;
  int n;

  group (f, 2);
  v = view_id (f, g.l);
  grp_fixture_set_send_hook (f, ghost_hook, &g);
  grp_fixture_pause (f, g.a);
  grp_fixture_report (f, g.l, g.a);
  grp_fixture_run_for (f, 5 * MS);
  n = grp_fixture_spawn (f, "n", g.l);
  grp_fixture_run_for (f, 5 * MS);
  grp_fixture_kill (f, n);
  grp_fixture_run_for (f, 20 * MS);
  grp_fixture_resume (f, g.a);
  grp_fixture_run_for (f, 500 * MS);
  g_assert_true (g.decided);
  no_violation (f);
  g_assert_cmpuint (view_id (f, g.l), >=, v + 2);
  g_assert_cmpuint (grp_core_get_view (core (f, g.l))->n_members, ==, 1);
  g_assert_false (grp_core_is_blocked (core (f, g.l)));
  grp_fixture_multicast (f, g.l, 4);
  assert_converges (f, 500 * MS);
}

/* The whole trace, with or without a violation (GROUPY_TRACE=all). */
static void
dump_all (GrpFixture *f)
{
  if (g_strcmp0 (g_getenv ("GROUPY_TRACE"), "all") == 0)
    g_printerr ("%s", grp_fixture_trace (f));
}

static GrpId
id_of (GrpFixture *f, int n)
{
  return grp_core_get_id (core (f, n));
}

/* ---- the learner counts only what was accepted (second review of issue 9) ---- */

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


/* ---- third review of issue 9: a value accepted without its positions ---- */

typedef struct {
  int a;
  gboolean killed;
  gint64 first_accept[5];  /* when A's first ACCEPT to each left it */
} Partial;

/* Only A holds what it sequences: its SEQs (and NAK answers, also SEQs)
 * are lost to everyone, and its ACCEPTs reach B and C only -- at first
 * only the first ACCEPT of those sent at one moment (the first part of what
 * they lack; a lost message or a broken connection does this). */
static GrpFixtureVerdict
partial_filter (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Partial *p = data;

  if (from == p->a && msg->type == GRP_MSG_SEQ)
    return GRP_FIXTURE_DROP;
  if (from == p->a && msg->type == GRP_MSG_ACCEPT)
    {
      if (to != 1 && to != 2)
        return GRP_FIXTURE_DROP;
      if (p->first_accept[to] == 0)
        p->first_accept[to] = grp_fixture_now (f);
      else if (p->first_accept[to] == grp_fixture_now (f))
        return GRP_FIXTURE_DROP;
    }
  return GRP_FIXTURE_PASS;
}

/* A dies the moment it decides: no DECIDE leaves it. */
static void
partial_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Partial *p = data;

  if (from == p->a && msg->type == GRP_MSG_DECIDE && !p->killed)
    {
      p->killed = TRUE;
      grp_fixture_kill (f, p->a);
    }
}

/* View {A, B, C, D, E}, A leads; a message carries at most two entries
 * (max_msg_bytes).  A sequences six positions that reach nobody else (the
 * SEQs are lost).  A, told that E is unreachable, proposes: every member
 * promises, holding none of the six; the value's position lies above them.
 * The ACCEPTs reach B and C only, each with the first part of the six (an
 * ACCEPT carries what fits; grp_vc_recv_accept answers ACCEPTED whatever
 * it holds; what more A sends them then is lost).  A, B and C accepted:
 * chosen.  A is killed as it decides.
 *
 * Four of five live and connected: a majority, which docs/PROTOCOL.md
 * ("Why each guarantee holds", 9) says goes on.  It does not: the next
 * proposer learns the chosen value from B's and C's promises (the learner)
 * and waits for the positions below it -- held only by A, dead -- for
 * ever (check_promises: log_covers).  Nobody has a pending view, all have
 * state: the fixture does not count it rightly blocked.  The value became
 * chosen while only its proposer held what lies below it. */
static void
accepted_without_positions (gconstpointer data)
{
  gboolean safe = GPOINTER_TO_INT (data);
  GrpCoreConfig cfg = config (safe ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = NULL;
  Partial p = { 0, FALSE, { 0 } };
  guint64 v;

  cfg.max_msg_bytes = 100;
  f = fixture_with (&cfg);
  group (f, 5);
  v = view_id (f, p.a);
  grp_fixture_set_filter (f, partial_filter, &p);
  for (guint8 i = 1; i <= 6; i++)
    grp_fixture_multicast (f, p.a, i);
  grp_fixture_run_for (f, 10 * MS);
  g_assert_cmpuint (grp_core_get_received (core (f, p.a)), >=,
                    grp_core_get_received (core (f, 1)) + 6);
  grp_fixture_set_send_hook (f, partial_hook, &p);
  grp_fixture_report (f, p.a, 4);
  grp_fixture_run_for (f, 50 * MS);
  g_assert_true (p.killed);
  grp_fixture_set_filter (f, NULL, NULL);
  grp_fixture_set_send_hook (f, NULL, NULL);
  grp_fixture_calm (f);
  assert_converges (f, 3000 * MS);
  g_assert_cmpuint (view_id (f, 1), >, v);
}


/* ---- third review: a ballot below the chosen one is promised ------------ */

typedef struct {
  int a, p, q, h, r;
  gboolean h_pending;     /* Q's DECIDE has left for H */
  GrpBallot chosen;       /* Q's ACCEPT ballot */
  GrpBallot fake;         /* what H's promise to P says it accepted */
  GrpBallot p_accept;     /* P's ACCEPT ballot */
  gboolean fake_seen, p_accepts;
  GrpView *chosen_view, *p_view;
} Below;

static GrpFixtureVerdict
below_filter (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Below *b = data;

  /* H lags: A's SEQs to it are lost, and A's ACCEPT. */
  if (from == b->a && to == b->h && (msg->type == GRP_MSG_SEQ || msg->type == GRP_MSG_ACCEPT))
    return GRP_FIXTURE_DROP;
  /* A's view change never reaches P or Q. */
  if (from == b->a && (to == b->p || to == b->q) &&
      (msg->type == GRP_MSG_PREPARE || msg->type == GRP_MSG_ACCEPT))
    return GRP_FIXTURE_DROP;
  /* Q's change reaches H only as its DECIDE; once it has, nothing from A,
   * R or Q does (H keeps the view pending). */
  if (to == b->h && (from == b->q || ((from == b->a || from == b->r) && b->h_pending)))
    {
      if (from == b->q && msg->type == GRP_MSG_DECIDE && !b->h_pending)
        {
          b->h_pending = TRUE;
          return GRP_FIXTURE_PASS;
        }
      return GRP_FIXTURE_DROP;
    }
  return GRP_FIXTURE_PASS;
}

static void
below_hold_a_p (GrpFixture *f, gpointer data)
{
  Below *b = data;

  grp_fixture_hold (f, b->a, b->p, G_MAXINT64);
}

static void
below_hook (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Below *b = data;

  if (from == b->q && msg->type == GRP_MSG_ACCEPT && b->chosen_view == NULL)
    {
      b->chosen = msg->accept.ballot;
      b->chosen_view = grp_view_ref (msg->accept.value);
    }
  if (from == b->h && to == b->p && msg->type == GRP_MSG_PROMISE && !b->fake_seen &&
      msg->promise.accepted != NULL)
    {
      b->fake_seen = TRUE;
      b->fake = msg->promise.accepted_ballot;
    }
  if (from == b->p && msg->type == GRP_MSG_ACCEPT && !b->p_accepts)
    {
      b->p_accepts = TRUE;
      b->p_accept = msg->accept.ballot;
      b->p_view = grp_view_ref (msg->accept.value);
    }
  /* A promised P: nothing more of A's reaches P (it would tell P of the
   * view Q decides). */
  if (from == b->a && to == b->p && msg->type == GRP_MSG_PROMISE)
    grp_fixture_at (f, grp_fixture_now (f), below_hold_a_p, b);
}

/* A proposes, with all the members before it in view order reported
 * unreachable to it. */
static void
below_propose (GrpFixture *f, int n)
{
  const GrpView *v = grp_core_get_view (core (f, n));

  /* The leader last: suspecting it is what makes a member propose. */
  for (guint i = 1; i < v->n_members && v->members[i].id != id_of (f, n); i++)
    grp_fixture_report (f, n, grp_fixture_node_of (f, v->members[i].id));
  grp_fixture_report (f, n, grp_fixture_node_of (f, v->members[0].id));
}

/* docs/PROTOCOL.md, "Why each guarantee holds", 1, on the fake ballot: "If
 * b' gathers a promise quorum, b' > b (the chosen ballot): the quorum
 * meets b's accept quorum, whose members promised at least b and refuse
 * lower ballots.  So the fake ballot is at least b".  Not so: a member of
 * b's accept quorum may have promised b' before it promised b.  View
 * {A, P, Q, H, R} with ids A < P < Q (so (1, A) < (1, P) < (1, Q)); H lags.
 *  1. A proposes V = {A, H, R} at (1, A) with H's and R's promises; only R
 *     accepts it (A's ACCEPT to H is lost).
 *  2. P proposes at (1, P): only A hears it, and promises.
 *  3. Q proposes at (1, Q): A and R promise, reporting (1, A) V; Q
 *     re-proposes V; A and R accept: V is chosen at b = (1, Q).  H gets
 *     only the DECIDE: V is pending there (H promised (1, A) only).
 *  4. P's PREPARE reaches H, which promises with V at the fake ballot
 *     (0, max) -- below b.  P has promises from P, A and H: a quorum, at
 *     b' = (1, P) < b.  It proposes (V again, as it happens: A's report).
 * Safety holds -- a ballot below b is never chosen, since b's promise
 * quorum refuses it and meets every quorum -- but the argument must set
 * such ballots aside first, rather than claim there are none. */
static void
ballot_below_chosen_is_promised (void)
{
  GrpCoreConfig cfg = config (GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = NULL;
  Below b = { 0, -1, -1, -1, -1, FALSE, { 0, 0 }, { 0, 0 }, { 0, 0 }, FALSE, FALSE, NULL, NULL };

  for (guint64 seed = 1; b.q < 0; seed++)
    {
      int order[4], k = 0;

      g_clear_pointer (&f, grp_fixture_free);
      f = fixture_with_seed (&cfg, seed);
      group (f, 5);
      for (int i = 1; i <= 4; i++)
        if (id_of (f, i) > id_of (f, 0))
          order[k++] = i;
      if (k < 2)
        continue;
      /* P and Q: two of them, P's id below Q's. */
      b.p = order[0];
      b.q = order[1];
      if (id_of (f, b.p) > id_of (f, b.q))
        {
          b.p = order[1];
          b.q = order[0];
        }
    }
  for (int i = 1, k = 0; i <= 4; i++)
    if (i != b.p && i != b.q)
      {
        if (k++ == 0)
          b.h = i;
        else
          b.r = i;
      }
  grp_fixture_set_filter (f, below_filter, &b);
  grp_fixture_set_send_hook (f, below_hook, &b);
  for (guint8 i = 1; i <= 3; i++)
    grp_fixture_multicast (f, b.a, i);
  grp_fixture_run_for (f, 10 * MS);
  /* 1.  (A hears nothing from P and Q meanwhile: it would wait for them.) */
  grp_fixture_hold (f, b.p, b.a, G_MAXINT64);
  grp_fixture_hold (f, b.q, b.a, G_MAXINT64);
  grp_fixture_report (f, b.a, b.p);
  grp_fixture_report (f, b.a, b.q);
  grp_fixture_run_for (f, 10 * MS);
  /* 2. */
  grp_fixture_release (f, b.p, b.a);
  grp_fixture_hold (f, b.p, b.h, G_MAXINT64);
  grp_fixture_hold (f, b.p, b.q, G_MAXINT64);
  grp_fixture_hold (f, b.p, b.r, G_MAXINT64);
  below_propose (f, b.p);
  grp_fixture_run_for (f, 10 * MS);
  /* 3. */
  grp_fixture_hold (f, b.q, b.p, G_MAXINT64);
  grp_fixture_hold (f, b.r, b.p, G_MAXINT64);
  grp_fixture_release (f, b.q, b.a);
  below_propose (f, b.q);
  /* Q waits a timeout for the members it does not suspect, then decides;
   * P has not started again yet (two timeouts). */
  grp_fixture_run_for (f, 110 * MS);
  dump_all (f);
  g_assert_nonnull (b.chosen_view);
  g_assert_true (b.h_pending);
  g_assert_nonnull (grp_core_get_pending_view (core (f, b.h)));
  /* 4. */
  grp_fixture_release (f, b.p, b.h);
  grp_fixture_run_for (f, 50 * MS);
  dump_all (f);
  no_violation (f);
  g_assert_true (b.fake_seen);
  g_assert_true (b.p_accepts);
  g_test_message ("chosen at (%" G_GUINT64_FORMAT ", %" G_GINT64_MODIFIER "x); H reports it at "
                  "(%" G_GUINT64_FORMAT ", %" G_GINT64_MODIFIER "x); P proposes at (%"
                  G_GUINT64_FORMAT ", %" G_GINT64_MODIFIER "x)", b.chosen.n, b.chosen.id,
                  b.fake.n, b.fake.id, b.p_accept.n, b.p_accept.id);
  g_assert_cmpint (grp_ballot_cmp (b.fake, b.chosen), <, 0);
  g_assert_cmpint (grp_ballot_cmp (b.p_accept, b.chosen), <, 0);
  g_clear_pointer (&b.chosen_view, grp_view_unref);
  g_clear_pointer (&b.p_view, grp_view_unref);
}

/* ---- a whole host gone at once: the leader and another member ----------- */

typedef struct {
  int gone[2];
  guint n_left;
} Host;

static gboolean
survivors_moved_on (GrpFixture *f, gpointer data)
{
  Host *h = data;

  for (guint i = 0; i < grp_fixture_n_nodes (f); i++)
    {
      const GrpView *v;

      if ((int) i == h->gone[0] || (int) i == h->gone[1])
        continue;
      v = grp_core_get_view (core (f, (int) i));
      if (grp_core_get_status (core (f, (int) i)) != GRP_STATUS_MEMBER || v->n_members != h->n_left)
        return FALSE;
    }
  return TRUE;
}

/* A host with the leader and one more member on it goes silent (cut off,
 * its connections left hanging: no error, no report), and then its members
 * die.  The survivors must go on within the suspicion timeout plus one view
 * change: the members ping each other, so when the leader is suspected each
 * survivor already suspects the other member of the host too -- it neither
 * waits for it to propose (when it is next in line) nor for its promise
 * (when it is last).  Before the pings it took two to three timeouts. */
static void
host_gone_whole (gconstpointer data)
{
  GrpCoreConfig cfg = config (GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = fixture_with (&cfg);
  const GrpView *v;
  Host h = { { 0, 0 }, 4 };
  int side[6] = { 0 };
  int leader, other, survivor;
  gint64 t0, took;

  group (f, 6);
  leader = grp_fixture_leader (f);
  v = grp_core_get_view (core (f, leader));
  /* The member next in line after the leader, or the last. */
  other = grp_fixture_node_of (f, v->members[GPOINTER_TO_INT (data) ? v->n_members - 1 : 1].id);
  survivor = grp_fixture_node_of (f, v->members[2].id);
  h.gone[0] = leader;
  h.gone[1] = other;
  for (guint8 i = 1; i <= 20; i++)
    grp_fixture_multicast (f, survivor, i);
  grp_fixture_run_for (f, 3 * cfg.suspect_timeout);
  side[grp_fixture_process (f, leader)] = side[grp_fixture_process (f, other)] = 1;
  grp_fixture_partition (f, side, 6, TRUE);
  grp_fixture_kill (f, leader);
  grp_fixture_kill (f, other);
  t0 = grp_fixture_now (f);
  g_assert_true (grp_fixture_run_until (f, survivors_moved_on, &h, 10 * cfg.suspect_timeout));
  took = grp_fixture_now (f) - t0;
  g_test_message ("%s gone with the leader: the survivors in view %" G_GUINT64_FORMAT
                  " after %" G_GINT64_FORMAT " ms (suspicion timeout %" G_GINT64_FORMAT " ms)",
                  grp_fixture_name (f, other), view_id (f, survivor), took / MS,
                  cfg.suspect_timeout / MS);
  dump_trace (f);
  /* The timeout, a tick and one view change (milliseconds here). */
  g_assert_cmpint (took, <=, cfg.suspect_timeout + cfg.suspect_timeout / 4);
  no_violation (f);
}

/* A view of 34 (more than GRP_PING_ALL): members watch only the 8 before
 * them, so a quiet second costs pings in proportion to the view, not its
 * square -- and a host gone with the leader and the next in line still
 * costs one timeout, since the next candidate watches the one before it. */
static void
count_pings (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  guint *n = data;

  if (msg->type == GRP_MSG_NEED_VIEW && from >= 0 && to >= 0 &&
      grp_core_get_view (core (f, from))->id == msg->view)
    (*n)++;
}

static void
large_view_watch (void)
{
  GrpCoreConfig cfg = config (GRP_DELIVERY_AGREED);
  g_autoptr(GrpFixture) f = fixture_with (&cfg);
  const guint k = 34;
  const GrpView *v;
  Host h = { { 0, 0 }, k - 2 };
  int side[34] = { 0 };
  guint pings = 0;
  gint64 interval = MAX (cfg.heartbeat_interval, cfg.suspect_timeout / 4), t0, took;
  int leader, other;

  for (guint i = 0; i < k; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%02u", i);
      int n = grp_fixture_spawn (f, name, i == 0 ? -1 : 0);

      g_assert_true (grp_fixture_run_until (f, is_member, GINT_TO_POINTER (n), 2000 * MS));
    }
  grp_fixture_run_for (f, 3 * cfg.suspect_timeout);
  grp_fixture_set_send_hook (f, count_pings, &pings);
  grp_fixture_run_for (f, 10 * interval);
  grp_fixture_set_send_hook (f, NULL, NULL);
  g_test_message ("%u members: %u pings in %d intervals (all to all would be %u)", k, pings, 10,
                  10 * (k - 1) * (k - 2));
  /* Each member pings the (at most 8) that watch it, once per interval. */
  g_assert_cmpuint (pings, <=, 11 * (k - 1) * 8);
  g_assert_cmpuint (pings, >=, 9 * (k - 9) * 8);

  leader = grp_fixture_leader (f);
  v = grp_core_get_view (core (f, leader));
  g_assert_cmpuint (v->n_members, ==, k);
  other = grp_fixture_node_of (f, v->members[1].id);
  h.gone[0] = leader;
  h.gone[1] = other;
  side[grp_fixture_process (f, leader)] = side[grp_fixture_process (f, other)] = 1;
  grp_fixture_partition (f, side, k, TRUE);
  grp_fixture_kill (f, leader);
  grp_fixture_kill (f, other);
  t0 = grp_fixture_now (f);
  g_assert_true (grp_fixture_run_until (f, survivors_moved_on, &h, 10 * cfg.suspect_timeout));
  took = grp_fixture_now (f) - t0;
  g_test_message ("the survivors went on after %" G_GINT64_FORMAT " ms", took / MS);
  g_assert_cmpint (took, <=, cfg.suspect_timeout + cfg.suspect_timeout / 4);
  no_violation (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/views/decide-before-entries/fetched", GINT_TO_POINTER (0),
                        decide_before_entries);
  g_test_add_data_func ("/views/decide-before-entries/fetched-safe", GINT_TO_POINTER (2),
                        decide_before_entries);
  g_test_add_data_func ("/views/decide-before-entries/lost", GINT_TO_POINTER (1),
                        decide_before_entries);
  g_test_add_data_func ("/views/decide-before-entries/lost-safe", GINT_TO_POINTER (3),
                        decide_before_entries);
  g_test_add_data_func ("/views/decided-view-never-learnt/agreed", GINT_TO_POINTER (0),
                        decided_view_never_learnt);
  g_test_add_data_func ("/views/decided-view-never-learnt/safe", GINT_TO_POINTER (1),
                        decided_view_never_learnt);
  g_test_add_data_func ("/views/newcomer-filter-ahead-of-state/safe", GINT_TO_POINTER (1),
                        newcomer_filter_ahead_of_state);
  g_test_add_data_func ("/views/newcomer-filter-ahead-of-state/agreed", GINT_TO_POINTER (0),
                        newcomer_filter_ahead_of_state);
  g_test_add_func ("/views/survivor-diverges", survivor_diverges);
  g_test_add_func ("/views/crash-relayed", crash_relayed);
  g_test_add_func ("/views/large-catch-up", large_catch_up);
  g_test_add_func ("/views/ask-says-what-it-holds", ask_says_what_it_holds);
  g_test_add_func ("/views/accept-in-parts", accept_in_parts);
  g_test_add_func ("/views/new-leader-filters-duplicates", new_leader_filters_duplicates);
  g_test_add_func ("/views/accept-in-parts-at-once", accept_in_parts_at_once);
  g_test_add_func ("/views/teeth/accept-below-promise", teeth_accept_below_promise);
  g_test_add_func ("/views/teeth/highest-accepted-wins", teeth_highest_accepted_wins);
  g_test_add_func ("/views/teeth/lower-prepare-refused", teeth_lower_prepare_refused);
  g_test_add_func ("/views/teeth/install-drops-above-cut", teeth_install_drops_above_cut);
  g_test_add_func ("/views/teeth/unreachable-joiner-dropped", teeth_unreachable_joiner_dropped);
  g_test_add_func ("/views/teeth/accept-carries-positions", teeth_accept_carries_positions);
  g_test_add_func ("/views/teeth/frozen-delivers-nothing-new", teeth_frozen_delivers_nothing_new);
  g_test_add_func ("/views/teeth/newcomer-filter-is-the-state-s",
                   teeth_newcomer_filter_is_the_state_s);
  g_test_add_data_func ("/views/learner-counts-relayed-value/agreed", GINT_TO_POINTER (0),
                        learner_counts_relayed_value);
  g_test_add_data_func ("/views/learner-counts-relayed-value/safe", GINT_TO_POINTER (1),
                        learner_counts_relayed_value);
  g_test_add_data_func ("/views/accepted-without-positions/agreed", GINT_TO_POINTER (0),
                        accepted_without_positions);
  g_test_add_data_func ("/views/accepted-without-positions/safe", GINT_TO_POINTER (1),
                        accepted_without_positions);
  g_test_add_func ("/views/ballot-below-chosen-is-promised", ballot_below_chosen_is_promised);
  g_test_add_data_func ("/views/host-gone-whole/second", GINT_TO_POINTER (0), host_gone_whole);
  g_test_add_data_func ("/views/host-gone-whole/last", GINT_TO_POINTER (1), host_gone_whole);
  g_test_add_func ("/views/large-view-watch", large_view_watch);
  return g_test_run ();
}
