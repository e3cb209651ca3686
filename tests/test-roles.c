/* test-roles.c: a member acts only on what its sender may say, and bounds
 * every number a peer sends before using it (issue 16's table, at the
 * core).  Each test builds a group on the simulator's fixture, hands one
 * member forged messages as its transport would (the sender is the peer at
 * the other end of the connection), and checks that nothing it should not
 * do happened and that the group still works. */
#include "fixture.h"

#include <string.h>

#define MS GRP_FIXTURE_MS
#define STRANGER ((GrpId) 0x5757575757575757)

static GrpFixture *
group_of (guint k, GrpDelivery delivery)
{
  GrpCoreConfig cfg;
  GrpFixture *f;

  grp_core_config_init (&cfg);
  cfg.delivery = delivery;
  cfg.heartbeat_interval = 20 * MS;
  cfg.suspect_timeout = 100 * MS;
  cfg.retry_interval = 10 * MS;
  cfg.join_timeout = 1000 * MS;
  f = grp_fixture_new (&cfg, NULL, 7);
  for (guint i = 0; i < k; i++)
    {
      char name[2] = { (char) ('a' + i), 0 };

      grp_fixture_spawn (f, name, i == 0 ? -1 : 0);
      grp_fixture_run_for (f, 50 * MS);
    }
  for (guint i = 0; i < k; i++)
    g_assert_cmpuint (grp_core_get_view (grp_fixture_core (f, (int) i))->n_members, ==, k);
  return f;
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

static void
inject (GrpFixture *f, int to, GrpMsg *msg)
{
  grp_core_receive (core (f, to), msg, grp_fixture_now (f));
}

/* The group still orders multicasts: every member delivers a fresh one. */
static void
still_works (GrpFixture *f, guint k)
{
  guint64 before[16];

  for (guint i = 0; i < k; i++)
    before[i] = grp_core_get_delivered (core (f, (int) i));
  g_assert_cmpuint (grp_fixture_multicast (f, (int) k - 1, 9), !=, 0);
  grp_fixture_run_for (f, 100 * MS);
  for (guint i = 0; i < k; i++)
    {
      g_assert_cmpint (grp_core_get_status (core (f, (int) i)), ==, GRP_STATUS_MEMBER);
      g_assert_cmpuint (grp_core_get_delivered (core (f, (int) i)), >, before[i]);
    }
  g_assert_cmpstr (grp_fixture_violation (f), ==, NULL);
}

static GrpView *
view_of (guint64 id, guint64 seq, guint n, const GrpId *ids)
{
  GrpView *v = grp_view_new (id, seq, n);

  for (guint i = 0; i < n; i++)
    {
      v->members[i].id = ids[i];
      v->members[i].name = g_strdup_printf ("m%u", i);
    }
  return v;
}

/* A forged DECIDE with position 0 (it crashed every member), and one whose
 * position lies below what the member delivered: refused. */
static void
test_decide_bogus_position (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  GrpId ids[3] = { id_of (f, 1), id_of (f, 2), id_of (f, 0) };
  guint64 v = view_id (f, 2);

  for (guint64 seq = 0; seq <= 1; seq++)
    {
      g_autoptr(GrpMsg) d = grp_msg_new (GRP_MSG_DECIDE, id_of (f, 1), v + 1);

      d->decide.view = view_of (v + 1, seq, 3, ids);
      inject (f, 2, d);
      g_assert_cmpuint (view_id (f, 2), ==, v);
    }
  /* A view that lists a member twice, or a member with id 0. */
  for (guint bad = 0; bad < 2; bad++)
    {
      g_autoptr(GrpMsg) d = grp_msg_new (GRP_MSG_DECIDE, id_of (f, 1), v + 1);
      GrpId twice[3] = { id_of (f, 1), id_of (f, 2), bad == 0 ? id_of (f, 2) : 0 };

      d->decide.view = view_of (v + 1, grp_core_get_delivered (core (f, 2)) + 10, 3, twice);
      inject (f, 2, d);
      g_assert_cmpuint (view_id (f, 2), ==, v);
    }
  still_works (f, 3);
}

/* ACCEPTs (from a member: one that holds the secret) of a view starting
 * below what the members delivered, and the leader dies.  Three ways:
 *  0. to the next in line, the view listing it: it used to accept it,
 *     propose it itself when the leader died, and install it, cutting its
 *     log below what it delivered (the core fuzzer's finding,
 *     tests/fuzz/corpus/core/regress-accept-below-delivered*);
 *  1. to the third member, the view listing only the next in line: the
 *     third may accept it (it is not listed), and its promise reports it;
 *  2. to both, the view listing both (the fourth review's wedge: once it
 *     was chosen, each member it lists left rather than install it, and
 *     no view could form again).
 * A member never accepts such a view, nor takes it from a promise as the
 * value to propose again: the two go on in a view of their own, and the
 * group delivers. */
static void
test_accept_below_delivered (gconstpointer data)
{
  int how = GPOINTER_TO_INT (data);
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  guint64 v = view_id (f, 1), delivered;
  GrpId ids[3];
  const GrpView *view = grp_core_get_view (core (f, 1));
  int second, third, leader = grp_fixture_leader (f);
  GrpId from = id_of (f, leader);

  for (guint8 i = 1; i <= 10; i++)
    grp_fixture_multicast (f, 0, i);
  grp_fixture_run_for (f, 50 * MS);
  second = grp_fixture_node_of (f, view->members[1].id);
  third = grp_fixture_node_of (f, view->members[2].id);
  delivered = grp_core_get_delivered (core (f, second));
  g_assert_cmpuint (delivered, >, 5);
  ids[0] = id_of (f, second);
  ids[1] = id_of (f, third);
  ids[2] = from;
  for (int to = 0; to < 2; to++)
    {
      g_autoptr(GrpMsg) acc = grp_msg_new (GRP_MSG_ACCEPT, from, v + 1);

      if ((how == 0 && to == 1) || (how == 1 && to == 0))
        continue;
      acc->accept.ballot = (GrpBallot) { 1, from };
      acc->accept.value = view_of (v + 1, 3, how == 1 ? 1 : 3, ids);
      inject (f, to == 0 ? second : third, acc);
    }
  grp_fixture_kill (f, leader);
  grp_fixture_run_for (f, 1000 * MS);
  for (int i = 0; i < 2; i++)
    {
      int n = i == 0 ? second : third;

      g_test_message ("%s: status %d, view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT
                      ", holds up to %" G_GUINT64_FORMAT ", delivered %" G_GUINT64_FORMAT,
                      grp_fixture_name (f, n), grp_core_get_status (core (f, n)), view_id (f, n),
                      grp_core_get_view (core (f, n))->seq, grp_core_get_received (core (f, n)),
                      grp_core_get_delivered (core (f, n)));
      g_assert_cmpint (grp_core_get_status (core (f, n)), ==, GRP_STATUS_MEMBER);
      g_assert_cmpuint (view_id (f, n), ==, v + 1);
      g_assert_cmpuint (grp_core_get_view (core (f, n))->n_members, ==, 2);
      g_assert_cmpuint (grp_core_get_view (core (f, n))->seq, >, delivered);
    }
  g_assert_cmpuint (grp_fixture_multicast (f, second, 9), !=, 0);
  grp_fixture_run_for (f, 100 * MS);
  g_assert_cmpuint (grp_core_get_delivered (core (f, second)), >, delivered);
  g_assert_cmpuint (grp_core_get_delivered (core (f, third)), ==,
                    grp_core_get_delivered (core (f, second)));
  g_assert_cmpstr (grp_fixture_violation (f), ==, NULL);
}

/* NOT_MEMBER from a stranger naming a member: it excluded the member at
 * once.  Now only a member of its own view can tell it so. */
static void
test_not_member_from_stranger (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  GrpId ids[2] = { STRANGER, id_of (f, 0) };
  g_autoptr(GrpMsg) nm = grp_msg_new (GRP_MSG_NOT_MEMBER, STRANGER, 1000);

  nm->not_member.view = view_of (1000, 5000, 2, ids);
  inject (f, 2, nm);
  g_assert_cmpint (grp_core_get_status (core (f, 2)), ==, GRP_STATUS_MEMBER);
  still_works (f, 3);
}

/* SEQ from a member that does not lead: members delivered different things
 * at thousands of positions.  Refused. */
static void
test_seq_from_non_leader (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  g_autoptr(GrpMsg) seq = grp_msg_new (GRP_MSG_SEQ, id_of (f, 1), view_id (f, 2));
  g_autoptr(GBytes) p = g_bytes_new ("\x07", 1);
  guint64 before = grp_core_get_received (core (f, 2));

  for (guint64 s = 1; s <= 50; s++)
    {
      g_autoptr(GrpEntry) e = grp_entry_new_data (before + s, view_id (f, 2), id_of (f, 1),
                                                  1000 + s, p);

      grp_msg_add_entry (seq, e);
    }
  inject (f, 2, seq);
  g_assert_cmpuint (grp_core_get_received (core (f, 2)), ==, before);
  still_works (f, 3);
}

/* Positions far ahead, even from the leader, take no memory: the data path
 * keeps at most max_lag + max_batch positions above what a member holds. */
static void
test_seq_far_ahead (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  g_autoptr(GrpMsg) seq = grp_msg_new (GRP_MSG_SEQ, id_of (f, 0), view_id (f, 2));
  g_autoptr(GrpMsg) hb = grp_msg_new (GRP_MSG_HB, id_of (f, 0), view_id (f, 2));
  g_autoptr(GBytes) p = g_bytes_new ("\x07", 1);
  guint before = grp_core_get_log_size (core (f, 2));
  gint64 t0 = g_get_monotonic_time ();

  for (guint64 s = 0; s < 1000; s++)
    {
      g_autoptr(GrpEntry) e = grp_entry_new_data (((guint64) 1 << 40) + s * 977, view_id (f, 2),
                                                  id_of (f, 0), 1000 + s, p);

      grp_msg_add_entry (seq, e);
    }
  inject (f, 2, seq);
  g_assert_cmpuint (grp_core_get_log_size (core (f, 2)), ==, before);
  /* A heartbeat announcing position 2^62, then a view change: the member
   * spun in a loop of 2^62 steps.  Every loop runs over what it holds. */
  hb->hb.high = (guint64) 1 << 62;
  inject (f, 2, hb);
  grp_fixture_kill (f, 0);
  grp_fixture_run_for (f, 300 * MS);
  g_assert_true (grp_core_is_leader (core (f, 1)));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpstr (grp_fixture_violation (f), ==, NULL);
}

/* A PREPARE with ballot 2^64 - 1 wrapped the ballot counter and stopped
 * the group for good; one far above what anyone has seen is refused too,
 * and the group still changes views. */
static void
test_ballot_bounds (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  guint64 huge[] = { G_MAXUINT64, (guint64) 1 << 50, ((guint64) 1 << 21) + 5 };

  for (guint i = 0; i < G_N_ELEMENTS (huge); i++)
    {
      g_autoptr(GrpMsg) prep = grp_msg_new (GRP_MSG_PREPARE, id_of (f, 1), view_id (f, 2) + 1);

      prep->prepare.ballot = (GrpBallot) { huge[i], id_of (f, 1) };
      inject (f, 2, prep);
    }
  /* A ballot in another member's name is refused as well. */
  {
    g_autoptr(GrpMsg) prep = grp_msg_new (GRP_MSG_PREPARE, id_of (f, 1), view_id (f, 2) + 1);

    prep->prepare.ballot = (GrpBallot) { 5, id_of (f, 0) };
    inject (f, 2, prep);
  }
  grp_fixture_run_for (f, 50 * MS);
  still_works (f, 3);
  /* The next real view change goes through. */
  grp_fixture_kill (f, 0);
  grp_fixture_run_for (f, 300 * MS);
  g_assert_true (grp_core_is_leader (core (f, 1)));
  g_assert_cmpuint (grp_core_get_view (core (f, 2))->n_members, ==, 2);
  g_assert_cmpstr (grp_fixture_violation (f), ==, NULL);
}

/* JOIN naming someone else (a forwarded or invented join) is refused; a
 * flood of joins from identities that never answer fills a bounded queue,
 * joins at most one fewer than the members that answer per view, and the
 * silent ones are dropped: the group keeps delivering and its members
 * stay a quorum. */
static void
test_invented_joins (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  guint64 v = view_id (f, 0);

  {
    g_autoptr(GrpMsg) j = grp_msg_new (GRP_MSG_JOIN, id_of (f, 1), 0);

    j->join.member = (GrpMember) { STRANGER, g_strdup ("ghost"), g_strdup ("sim:999") };
    inject (f, 0, j);
    grp_fixture_run_for (f, 50 * MS);
    g_assert_cmpuint (view_id (f, 0), ==, v);
  }
  for (guint i = 0; i < 200; i++)
    {
      GrpId id = STRANGER + i;
      g_autoptr(GrpMsg) j = grp_msg_new (GRP_MSG_JOIN, id, 0);

      j->join.member = (GrpMember) { id, g_strdup_printf ("ghost%u", i), g_strdup ("sim:999") };
      inject (f, 0, j);
    }
  grp_fixture_run_for (f, 20 * MS);
  g_assert_cmpuint (grp_core_get_view (core (f, 0))->n_members, <=, 3 + 2);
  for (int round = 0; round < 40; round++)
    {
      grp_fixture_multicast (f, round % 3, 1);
      grp_fixture_run_for (f, 50 * MS);
      g_assert_cmpuint (grp_core_get_view (core (f, 0))->n_members, <, 2 * 3);
    }
  /* Past the join timeout every ghost is gone. */
  grp_fixture_run_for (f, 1500 * MS);
  g_assert_cmpuint (grp_core_get_view (core (f, 0))->n_members, ==, 3);
  still_works (f, 3);
}

/* LEAVE counts only for its sender; a member outside the view cannot make
 * anyone leave. */
static void
test_leave_only_oneself (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  g_autoptr(GrpMsg) leave = grp_msg_new (GRP_MSG_LEAVE, STRANGER, view_id (f, 0));

  inject (f, 0, leave);
  grp_fixture_run_for (f, 100 * MS);
  g_assert_cmpuint (grp_core_get_view (core (f, 0))->n_members, ==, 3);
  still_works (f, 3);
}

typedef struct {
  int from;
  guint count;
} Counter;

static void
count_sends (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Counter *c = data;

  if (from == c->from)
    c->count++;
}

/* NEED_VIEW floods: each answer used to reset the rate limit.  Now one
 * answer per peer per retry interval, and strangers share a few slots. */
static void
test_need_view_flood (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  Counter c = { 2, 0 };

  grp_fixture_set_send_hook (f, count_sends, &c);
  for (guint i = 0; i < 10000; i++)
    {
      g_autoptr(GrpMsg) ask = grp_msg_new (GRP_MSG_NEED_VIEW, STRANGER, 0);

      inject (f, 2, ask);
    }
  g_assert_cmpuint (c.count, <=, 1);
  c.count = 0;
  for (guint i = 0; i < 10000; i++)
    {
      g_autoptr(GrpMsg) ask = grp_msg_new (GRP_MSG_NEED_VIEW, STRANGER + i, 0);

      inject (f, 2, ask);
    }
  g_assert_cmpuint (c.count, <=, 32);
  grp_fixture_set_send_hook (f, NULL, NULL);
  still_works (f, 3);
}

/* PREPARE and ACCEPT for the next view from someone outside the view: a
 * member that promised would freeze (deliver nothing more) and could
 * accept a view the stranger made up.  Refused: only members of the view
 * propose. */
static void
test_prepare_from_stranger (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  guint64 v = view_id (f, 2);
  GrpId ids[2] = { STRANGER, id_of (f, 2) };
  Counter c = { 2, 0 };
  g_autoptr(GrpMsg) prep = grp_msg_new (GRP_MSG_PREPARE, STRANGER, v + 1);
  g_autoptr(GrpMsg) acc = grp_msg_new (GRP_MSG_ACCEPT, STRANGER, v + 1);

  grp_fixture_set_send_hook (f, count_sends, &c);
  prep->prepare.ballot = (GrpBallot) { 1, STRANGER };
  prep->prepare.high = grp_core_get_received (core (f, 2));
  inject (f, 2, prep);
  acc->accept.ballot = (GrpBallot) { 1, STRANGER };
  acc->accept.value = view_of (v + 1, grp_core_get_received (core (f, 2)) + 1, 2, ids);
  inject (f, 2, acc);
  /* No PROMISE, no ACCEPTED: nothing at all goes back to the stranger. */
  g_assert_cmpuint (c.count, ==, 0);
  grp_fixture_set_send_hook (f, NULL, NULL);
  still_works (f, 3);
  g_assert_cmpuint (view_id (f, 2), ==, v);
}

/* An ACK echoing a stamp from the future would keep a leader's lease
 * alive for ever: only stamps the leader has sent count. */
static void
test_ack_future_stamp (void)
{
  g_autoptr(GrpFixture) f = group_of (3, GRP_DELIVERY_AGREED);
  g_autoptr(GBytes) p = g_bytes_new ("\x03", 1);
  guint64 before;

  for (int i = 1; i <= 2; i++)
    {
      g_autoptr(GrpMsg) ack = grp_msg_new (GRP_MSG_ACK, id_of (f, i), view_id (f, 0));

      ack->ack.recv_upto = G_MAXUINT64;
      ack->ack.stamp = G_MAXINT64;
      inject (f, 0, ack);
    }
  /* The leader is stopped and replaced: when it resumes, its lease has
   * lapsed as ever, whatever it was sent before. */
  grp_fixture_pause (f, 0);
  grp_fixture_run_for (f, 400 * MS);
  g_assert_true (grp_core_is_leader (core (f, 1)));
  grp_fixture_resume (f, 0);
  before = grp_core_get_delivered (core (f, 0));
  grp_core_multicast (core (f, 0), p, grp_fixture_now (f), NULL);
  g_assert_cmpuint (grp_core_get_delivered (core (f, 0)), ==, before);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/roles/accept-below-delivered/to-listed", GINT_TO_POINTER (0),
                        test_accept_below_delivered);
  g_test_add_data_func ("/roles/accept-below-delivered/reported", GINT_TO_POINTER (1),
                        test_accept_below_delivered);
  g_test_add_data_func ("/roles/accept-below-delivered/to-all", GINT_TO_POINTER (2),
                        test_accept_below_delivered);
  g_test_add_func ("/roles/decide-bogus-position", test_decide_bogus_position);
  g_test_add_func ("/roles/not-member-from-stranger", test_not_member_from_stranger);
  g_test_add_func ("/roles/seq-from-non-leader", test_seq_from_non_leader);
  g_test_add_func ("/roles/seq-far-ahead", test_seq_far_ahead);
  g_test_add_func ("/roles/ballot-bounds", test_ballot_bounds);
  g_test_add_func ("/roles/invented-joins", test_invented_joins);
  g_test_add_func ("/roles/leave-only-oneself", test_leave_only_oneself);
  g_test_add_func ("/roles/need-view-flood", test_need_view_flood);
  g_test_add_func ("/roles/prepare-from-stranger", test_prepare_from_stranger);
  g_test_add_func ("/roles/ack-future-stamp", test_ack_future_stamp);
  return g_test_run ();
}
