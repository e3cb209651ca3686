/* test-stages.c: the exercise's stages (src/stages), one flaw at a time, as
 * directed scenarios on the simulator's fixture (tests/sim/fixture.h).  Each
 * stage must fail where the exercise says it fails -- and only there: the
 * scenario just before each flaw shows the stage doing its job. */
#include "fixture.h"
#include "stage.h"

#include <string.h>

#define MS GRP_FIXTURE_MS

static GrpFixture *
fixture (const char *protocol)
{
  GrpCoreConfig cfg;
  GrpFixture *f;

  grp_core_config_init (&cfg);
  cfg.heartbeat_interval = 20 * MS;
  cfg.suspect_timeout = 100 * MS;
  cfg.retry_interval = 10 * MS;
  cfg.join_timeout = 500 * MS;
  f = grp_fixture_new (&cfg, NULL, 1);
  grp_fixture_set_protocol (f, grp_proto_find (protocol));
  if (g_getenv ("GROUPY_TRACE") != NULL)
    grp_fixture_set_tracing (f, TRUE);
  return f;
}

static GrpProto *
proto (GrpFixture *f, int n)
{
  return grp_fixture_proto (f, n);
}

static gboolean
is_member (GrpFixture *f, gpointer data)
{
  return grp_proto_get_status (proto (f, GPOINTER_TO_INT (data))) == GRP_STATUS_MEMBER;
}

/* A group of `k` members a, b, c, ..., joined one after the other through
 * a (so the list is in that order). */
static void
group (GrpFixture *f, guint k)
{
  for (guint i = 0; i < k; i++)
    {
      char name[2] = { (char) ('a' + i), 0 };
      int n = grp_fixture_spawn (f, name, i == 0 ? -1 : 0);

      g_assert_true (grp_fixture_run_until (f, is_member, GINT_TO_POINTER (n), 500 * MS));
      grp_fixture_run_for (f, 10 * MS);
    }
  for (guint i = 0; i < k; i++)
    g_assert_cmpuint (grp_proto_get_view (proto (f, (int) i))->n_members, ==, k);
}

static void
no_violation (GrpFixture *f)
{
  if (grp_fixture_violation (f) != NULL && g_getenv ("GROUPY_TRACE") != NULL)
    g_printerr ("%s", grp_fixture_trace (f));
  g_assert_cmpstr (grp_fixture_violation (f), ==, NULL);
}

/* The checker saw a violation, saying one of `words` ("a|b"). */
static void
violation (GrpFixture *f, const char *words)
{
  const char *v = grp_fixture_violation (f);
  g_auto(GStrv) any = g_strsplit (words, "|", -1);
  gboolean said = FALSE;

  g_test_message ("violation: %s", v ? v : "(none)");
  g_assert_nonnull (v);
  for (guint i = 0; any[i] != NULL; i++)
    said |= strstr (v, any[i]) != NULL;
  g_assert_true (said);
}

/* Every member in `nodes` multicasts a change, `rounds` times, 5 ms apart. */
static void
changes (GrpFixture *f, const int *nodes, guint n, guint rounds)
{
  for (guint r = 0; r < rounds; r++)
    {
      for (guint i = 0; i < n; i++)
        grp_fixture_multicast (f, nodes[i], (guint8) (1 + (r + i) % 20));
      grp_fixture_run_for (f, 5 * MS);
    }
  grp_fixture_run_for (f, 50 * MS);
}

/* The leader's next broadcast of a change reaches `reach` members, then it
 * dies: the exercise's injected crash. */
static void
crash_part_way (GrpFixture *f, int leader, int reach)
{
  grp_fixture_arm_crash (f, leader, reach);
  grp_fixture_multicast (f, leader, 7);
  g_assert_true (grp_fixture_killed (f, leader));
  grp_fixture_run_for (f, 300 * MS);
}

typedef struct {
  int to;
  guint64 seq;     /* the SEQ carrying this position is lost */
  gboolean done;
} Lose;

static GrpFixtureVerdict
lose_position (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Lose *l = data;
  GrpEntry *e;

  if (l->done || to != l->to || msg->type != GRP_MSG_SEQ || msg->seq.entries == NULL ||
      msg->seq.entries->len == 0)
    return GRP_FIXTURE_PASS;
  e = g_ptr_array_index (msg->seq.entries, 0);
  if (e->seq != l->seq)
    return GRP_FIXTURE_PASS;
  l->done = TRUE;
  return GRP_FIXTURE_DROP;
}

/* ---- every stage: the happy path ---------------------------------------- */

static void
test_in_step (gconstpointer data)
{
  g_autoptr(GrpFixture) f = fixture (data);
  const int all[] = { 0, 1, 2 };

  group (f, 3);
  changes (f, all, 3, 20);
  for (int i = 1; i < 3; i++)
    {
      g_assert_cmpmem (grp_fixture_color (f, 0), 3, grp_fixture_color (f, i), 3);
      g_assert_cmpuint (grp_fixture_last_seq (f, 0), ==, grp_fixture_last_seq (f, i));
    }
  g_assert_cmpuint (grp_fixture_n_delivered (f, 2), ==, 60);
  g_assert_true (grp_proto_is_leader (proto (f, 0)));
  no_violation (f);
}

/* A name already in the group is refused; the join fails, saying so. */
static void
test_name_taken (gconstpointer data)
{
  g_autoptr(GrpFixture) f = fixture (data);
  int dup;

  group (f, 2);
  dup = grp_fixture_spawn (f, "b", 1);
  grp_fixture_run_for (f, 100 * MS);
  g_assert_cmpint (grp_proto_get_status (proto (f, dup)), ==, GRP_STATUS_FAILED);
  g_assert_error (grp_fixture_error (f, dup), GRP_CORE_ERROR, GRP_CORE_ERROR_NAME_TAKEN);
  no_violation (f);
}

/* ---- every stage: a peer's bad input --------------------------------------- */

static void
count_refusals (GrpProto *p, GrpId to, const char *addr, GrpMsg *msg, gpointer data)
{
  if (msg->type == GRP_MSG_JOIN_REFUSED)
    (*(guint *) data)++;
}

static void
ignore_delivery (GrpProto *p, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload,
                 gpointer data)
{
}

static void
ignore_view (GrpProto *p, GrpView *view, gpointer data)
{
}

static GBytes *
no_state (GrpProto *p, gpointer data)
{
  return g_bytes_new (NULL, 0);
}

static void
ignore_state (GrpProto *p, guint64 seq, GBytes *state, gpointer data)
{
}

static void
ignore_status (GrpProto *p, GrpStatus status, const GError *error, gpointer data)
{
}

/* Joins from ever new names are refused once the group has as many
 * members as the real protocol admits (and a view can carry): the leader
 * does not grow its list, and its views, by what peers ask. */
static void
test_full (gconstpointer data)
{
  static const GrpProtoCallbacks cb = {
    count_refusals, ignore_delivery, ignore_view, no_state, ignore_state, ignore_status,
  };
  GrpCoreConfig cfg;
  GrpMember self = { 1, (char *) "a", (char *) "a:1" };
  g_autoptr(GrpProto) p = NULL;
  guint refused = 0;

  grp_core_config_init (&cfg);
  p = grp_proto_new (grp_proto_find (data), &cfg, &self, &cb, &refused);
  grp_proto_create (p, 0);
  for (guint i = 0; i < GRP_STAGE_MAX_MEMBERS + 10; i++)
    {
      g_autoptr(GrpMsg) join = grp_msg_new (GRP_MSG_JOIN, 100 + i, 0);

      join->join.member.id = 100 + i;
      join->join.member.name = g_strdup_printf ("n%u", i);
      grp_proto_receive (p, join, 0);
    }
  g_assert_cmpuint (grp_proto_get_view (p)->n_members, ==, GRP_STAGE_MAX_MEMBERS);
  g_assert_cmpuint (refused, ==, 11);
}

/* A SEQ from `from` with a view of `ids` (named after them), id and
 * position `seq`. */
static void
send_view (GrpProto *p, GrpId from, const GrpId *ids, guint n, guint64 seq)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_SEQ, from, seq);
  g_autoptr(GrpView) view = grp_view_new (seq, seq, n);
  g_autoptr(GrpEntry) e = NULL;

  for (guint i = 0; i < n; i++)
    {
      view->members[i].id = ids[i];
      view->members[i].name = g_strdup_printf ("m%" G_GUINT64_FORMAT, ids[i]);
      view->members[i].addr = g_strdup_printf ("m:%" G_GUINT64_FORMAT, ids[i]);
    }
  e = grp_entry_new_view (view);
  grp_msg_add_entry (msg, e);
  grp_proto_receive (p, msg, 0);
}

/* Stage `name` as member m2 of a group led by m1, whose view lists `ids`
 * (m1 and m2 first), given its (empty) state: what the tests below start
 * from. */
static GrpProto *
new_member_m2 (const char *name, const GrpProtoCallbacks *cb, gpointer user_data,
               const GrpId *ids, guint n)
{
  GrpCoreConfig cfg;
  GrpMember self = { 2, (char *) "m2", (char *) "m:2" };
  g_autoptr(GrpMsg) state = grp_msg_new (GRP_MSG_STATE, 1, 2);
  GrpProto *p;

  grp_core_config_init (&cfg);
  p = grp_proto_new (grp_proto_find (name), &cfg, &self, cb, user_data);
  grp_proto_join (p, 1, "m:1", 0);
  send_view (p, 1, ids, n, 2);
  state->state.seq = 2;
  state->state.state = g_bytes_new (NULL, 0);
  grp_proto_receive (p, state, 0);
  g_assert_cmpint (grp_proto_get_status (p), ==, GRP_STATUS_MEMBER);
  return p;
}

/* A view that names a member twice is not taken: whoever led from it
 * would send that member everything twice. */
static void
test_twice (gconstpointer data)
{
  static const GrpProtoCallbacks cb = {
    count_refusals, ignore_delivery, ignore_view, no_state, ignore_state, ignore_status,
  };
  static const GrpId admits[] = { 1, 2 };
  static const GrpId twice[] = { 1, 2, 3, 3 };
  guint refused = 0;
  g_autoptr(GrpProto) p = new_member_m2 (data, &cb, &refused, admits, 2);

  send_view (p, 1, twice, 4, 3);
  g_assert_cmpuint (grp_proto_get_view (p)->n_members, ==, 2);
}

/* A join under an empty name, or one longer than GRP_STAGE_MAX_NAME, is not
 * admitted (as the real protocol does not): the name goes into every view. */
static void
test_bad_name (gconstpointer data)
{
  static const GrpProtoCallbacks cb = {
    count_refusals, ignore_delivery, ignore_view, no_state, ignore_state, ignore_status,
  };
  GrpCoreConfig cfg;
  GrpMember self = { 1, (char *) "a", (char *) "a:1" };
  g_autoptr(GrpProto) p = NULL;
  g_autoptr(GrpMsg) empty = grp_msg_new (GRP_MSG_JOIN, 2, 0);
  g_autoptr(GrpMsg) longer = grp_msg_new (GRP_MSG_JOIN, 3, 0);
  guint refused = 0;

  grp_core_config_init (&cfg);
  p = grp_proto_new (grp_proto_find (data), &cfg, &self, &cb, &refused);
  grp_proto_create (p, 0);
  empty->join.member.id = 2;
  empty->join.member.name = g_strdup ("");
  grp_proto_receive (p, empty, 0);
  longer->join.member.id = 3;
  longer->join.member.name = g_strnfill (GRP_STAGE_MAX_NAME + 1, 'x');
  grp_proto_receive (p, longer, 0);
  g_assert_cmpuint (grp_proto_get_view (p)->n_members, ==, 1);
}

/* Where a member sends is kept for the members of its list only: joins
 * refused and views gone do not grow it (a peer's fresh ids, for good). */
static void
test_addresses (gconstpointer data)
{
  static const GrpProtoCallbacks cb = {
    count_refusals, ignore_delivery, ignore_view, no_state, ignore_state, ignore_status,
  };
  static const GrpId admits[] = { 1, 2 };
  GrpCoreConfig cfg;
  GrpMember self = { 2, (char *) "m2", (char *) "m:2" };
  guint refused = 0;
  g_autoptr(GrpProto) p = new_member_m2 (data, &cb, &refused, admits, 2);

  grp_core_config_init (&cfg);
  for (guint i = 0; i < 100; i++)
    {
      GrpId ids[] = { 1, 2, 1000 + i };

      send_view (p, 1, ids, 3, 3 + i);
    }
  g_assert_cmpuint (grp_proto_get_view (p)->n_members, ==, 3);
  g_assert_cmpuint (g_hash_table_size (((GrpStage *) p)->addrs), <=, 3);

  /* And a leader refusing joins (the name is taken). */
  g_clear_pointer (&p, grp_proto_free);
  p = grp_proto_new (grp_proto_find (data), &cfg, &self, &cb, &refused);
  grp_proto_create (p, 0);
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GrpMsg) join = grp_msg_new (GRP_MSG_JOIN, 100 + i, 0);

      join->join.member.id = 100 + i;
      join->join.member.name = g_strdup ("m2");
      join->join.member.addr = g_strdup_printf ("m:%u", 100 + i);
      grp_proto_receive (p, join, 0);
    }
  g_assert_cmpuint (refused, ==, 100);
  g_assert_cmpuint (g_hash_table_size (((GrpStage *) p)->addrs), <=, 1);
}

typedef struct {
  GrpProto *p;
  guint delivered;
} Leaver;

static void
leave_on_delivery (GrpProto *p, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload,
                   gpointer data)
{
  Leaver *l = data;

  l->delivered++;
  grp_proto_leave (p, 0);
}

static void
ignore_send (GrpProto *p, GrpId to, const char *addr, GrpMsg *msg, gpointer data)
{
}

/* A handler that leaves on a delivery: the member delivers nothing more,
 * not even the rest of the request that delivery came in. */
static void
test_leave_in_handler (gconstpointer data)
{
  static const GrpProtoCallbacks cb = {
    ignore_send, leave_on_delivery, ignore_view, no_state, ignore_state, ignore_status,
  };
  GrpCoreConfig cfg;
  GrpMember self = { 1, (char *) "a", (char *) "a:1" };
  g_autoptr(GrpMsg) req = grp_msg_new (GRP_MSG_REQ, 2, 1);
  Leaver l = { NULL, 0 };

  grp_core_config_init (&cfg);
  l.p = grp_proto_new (grp_proto_find (data), &cfg, &self, &cb, &l);
  grp_proto_create (l.p, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) payload = g_bytes_new ("x", 1);
      g_autoptr(GrpEntry) e = grp_entry_new_data (0, 1, 2, i + 1, payload);

      grp_msg_add_entry (req, e);
    }
  grp_proto_receive (l.p, req, 0);
  g_assert_cmpint (grp_proto_get_status (l.p), ==, GRP_STATUS_LEFT);
  g_assert_cmpuint (l.delivered, ==, 1);
  grp_proto_free (l.p);
}

static void
leave_on_view (GrpProto *p, GrpView *view, gpointer data)
{
  Leaver *l = data;

  if (grp_proto_get_status (p) == GRP_STATUS_LEFT)
    l->delivered++; /* a view after the leave */
  else if (grp_proto_is_leader (p))
    grp_proto_leave (p, 0);
}

/* A view from the next leader, without the leader, makes that next one
 * elect itself and lead: a handler that leaves on the view it announces
 * gets no view after its leave. */
static void
test_leave_on_election (gconstpointer data)
{
  static const GrpProtoCallbacks cb = {
    ignore_send, ignore_delivery, leave_on_view, no_state, ignore_state, ignore_status,
  };
  static const GrpId admits[] = { 1, 2, 3 };
  static const GrpId without[] = { 2, 3 };
  Leaver l = { NULL, 0 };

  l.p = new_member_m2 (data, &cb, &l, admits, 3);
  g_assert_false (grp_proto_is_leader (l.p));
  send_view (l.p, 3, without, 2, 4);
  g_assert_cmpint (grp_proto_get_status (l.p), ==, GRP_STATUS_LEFT);
  g_assert_cmpuint (l.delivered, ==, 0);
  grp_proto_free (l.p);
}

/* ---- gms1 ------------------------------------------------------------------ */

/* The leader dies: nobody delivers again, and nobody notices. */
static void
test_gms1_freezes (void)
{
  g_autoptr(GrpFixture) f = fixture ("gms1");
  const int slaves[] = { 1, 2 };
  guint before[2];

  group (f, 3);
  changes (f, slaves, 2, 5);
  grp_fixture_kill (f, 0);
  grp_fixture_run_for (f, 50 * MS);
  before[0] = grp_fixture_n_delivered (f, 1);
  before[1] = grp_fixture_n_delivered (f, 2);
  changes (f, slaves, 2, 50);
  grp_fixture_run_for (f, 1000 * MS);
  for (int i = 0; i < 2; i++)
    {
      g_assert_cmpuint (grp_fixture_n_delivered (f, i + 1), ==, before[i]);
      g_assert_cmpint (grp_proto_get_status (proto (f, i + 1)), ==, GRP_STATUS_MEMBER);
      g_assert_cmpuint (grp_view_leader (grp_proto_get_view (proto (f, i + 1))), ==,
                        grp_proto_get_id (proto (f, 0)));
      /* Its changes went to the dead leader: in flight for good. */
      g_assert_cmpuint (grp_proto_get_pending (proto (f, i + 1)), ==, 50);
    }
  no_violation (f);
}

/* ---- gms2 ------------------------------------------------------------------ */

/* A dead leader is replaced by the first slave, which sends a view. */
static void
test_gms2_elects (void)
{
  g_autoptr(GrpFixture) f = fixture ("gms2");
  const int rest[] = { 1, 2 };

  group (f, 3);
  grp_fixture_kill (f, 0);
  grp_fixture_run_for (f, 300 * MS);
  g_assert_true (grp_proto_is_leader (proto (f, 1)));
  g_assert_cmpuint (grp_proto_get_view (proto (f, 2))->n_members, ==, 2);
  changes (f, rest, 2, 20);
  g_assert_cmpmem (grp_fixture_color (f, 1), 3, grp_fixture_color (f, 2), 3);
  no_violation (f);
}

/* The broadcast is cut after b: b applied a change c never gets, and from
 * then on they apply the same changes to different colors. */
static void
test_gms2_drifts (void)
{
  g_autoptr(GrpFixture) f = fixture ("gms2");
  const int rest[] = { 1, 2 };

  group (f, 3);
  crash_part_way (f, 0, 1);
  g_assert_true (grp_proto_is_leader (proto (f, 1)));
  changes (f, rest, 2, 20);
  g_assert_cmpuint (grp_fixture_n_delivered (f, 1), ==, grp_fixture_n_delivered (f, 2) + 1);
  g_assert_true (memcmp (grp_fixture_color (f, 1), grp_fixture_color (f, 2), 3) != 0);
  /* Found as soon as c delivers the view where b has the change. */
  violation (f, "members disagree at position|two different views with id");
}

/* ---- gms3 ------------------------------------------------------------------ */

/* The same cut: the new leader (b, who got it) sends it again; c takes it,
 * b drops it as a duplicate.  They stay in step. */
static void
test_gms3_mends_the_cut (void)
{
  g_autoptr(GrpFixture) f = fixture ("gms3");
  const int rest[] = { 1, 2, 3 };

  group (f, 4);
  crash_part_way (f, 0, 1);
  changes (f, rest, 3, 20);
  g_assert_cmpmem (grp_fixture_color (f, 1), 3, grp_fixture_color (f, 2), 3);
  g_assert_cmpmem (grp_fixture_color (f, 1), 3, grp_fixture_color (f, 3), 3);
  g_assert_cmpuint (grp_fixture_last_seq (f, 2), ==, grp_fixture_last_seq (f, 3));
  no_violation (f);
}

/* A lost message: the slave takes the next number and skips the gap. */
static void
test_gms3_skips_a_lost_message (void)
{
  g_autoptr(GrpFixture) f = fixture ("gms3");
  const int all[] = { 0, 1, 2 };
  Lose lose = { 2, 0, FALSE };

  group (f, 3);
  lose.seq = grp_fixture_last_seq (f, 0) + 2;
  grp_fixture_set_filter (f, lose_position, &lose);
  changes (f, all, 3, 5);
  g_assert_true (lose.done);
  violation (f, "gap or duplicate");
}

/* A slow leader taken for dead: b leads view 4 without it.  It comes
 * back, never told, still leading; a newcomer asks it to join, and it
 * admits it in a view 4 of its own. */
static void
test_gms3_two_leaders (void)
{
  g_autoptr(GrpFixture) f = fixture ("gms3");

  group (f, 3);
  grp_fixture_pause (f, 0);
  grp_fixture_run_for (f, 300 * MS);
  g_assert_true (grp_proto_is_leader (proto (f, 1)));
  g_assert_cmpuint (grp_proto_get_view (proto (f, 1))->id, ==, 4);
  grp_fixture_resume (f, 0);
  g_assert_true (grp_proto_is_leader (proto (f, 0)));
  grp_fixture_spawn (f, "d", 0);
  grp_fixture_run_for (f, 100 * MS);
  violation (f, "two different views with id 4");
}

/* ---- gms4 ------------------------------------------------------------------ */

/* The lost message of gms3 is asked for, sent again, and delivered in its
 * place. */
static void
test_gms4_asks (void)
{
  g_autoptr(GrpFixture) f = fixture ("gms4");
  const int all[] = { 0, 1, 2 };
  Lose lose = { 2, 0, FALSE };

  group (f, 3);
  lose.seq = grp_fixture_last_seq (f, 0) + 2;
  grp_fixture_set_filter (f, lose_position, &lose);
  changes (f, all, 3, 5);
  g_assert_true (lose.done);
  g_assert_cmpuint (grp_fixture_last_seq (f, 2), ==, grp_fixture_last_seq (f, 0));
  g_assert_cmpmem (grp_fixture_color (f, 0), 3, grp_fixture_color (f, 2), 3);
  no_violation (f);
}

static void
biggest_seq (GrpProto *p, GrpId to, const char *addr, GrpMsg *msg, gpointer data)
{
  gsize *biggest = data;

  if (msg->type == GRP_MSG_SEQ)
    *biggest = MAX (*biggest, grp_msg_entries_size (msg));
}

/* A member answers a NAK in messages of max_msg_bytes at most (in a
 * group: GRP_PAYLOAD_MAX, beyond which the transport refuses to send one,
 * and the asker would ask for good). */
static void
test_gms4_answers_in_parts (void)
{
  static const GrpProtoCallbacks cb = {
    biggest_seq, ignore_delivery, ignore_view, no_state, ignore_state, ignore_status,
  };
  GrpCoreConfig cfg;
  GrpMember self = { 1, (char *) "a", (char *) "a:1" };
  g_autoptr(GrpProto) p = NULL;
  g_autoptr(GrpMsg) nak = grp_msg_new (GRP_MSG_NAK, 2, 1);
  gsize biggest = 0;

  grp_core_config_init (&cfg);
  cfg.max_msg_bytes = 1000;
  p = grp_proto_new (grp_proto_find ("gms4"), &cfg, &self, &cb, &biggest);
  grp_proto_create (p, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) payload = g_bytes_new_take (g_malloc0 (600), 600);

      g_assert_cmpuint (grp_proto_multicast (p, payload, 0, NULL), !=, 0);
    }
  nak->nak.lo = 2;
  nak->nak.hi = 4;
  grp_proto_receive (p, nak, 0);
  g_assert_cmpuint (biggest, >, 0);
  g_assert_cmpuint (biggest, <=, cfg.max_msg_bytes);
}

/* A SEQ from `from` with a change at position `seq`. */
static void
send_data (GrpProto *p, GrpId from, guint64 seq)
{
  g_autoptr(GrpMsg) msg = grp_msg_new (GRP_MSG_SEQ, from, 2);
  g_autoptr(GBytes) payload = g_bytes_new ("x", 1);
  g_autoptr(GrpEntry) e = grp_entry_new_data (seq, 2, from, seq, payload);

  grp_msg_add_entry (msg, e);
  grp_proto_receive (p, msg, 0);
}

/* gms4: a handler that leaves on the delivery that fills a gap: what was
 * held behind the gap is not delivered after the leave. */
static void
test_gms4_leave_behind_a_gap (void)
{
  static const GrpProtoCallbacks cb = {
    ignore_send, leave_on_delivery, ignore_view, no_state, ignore_state, ignore_status,
  };
  static const GrpId admits[] = { 1, 2 };
  Leaver l = { NULL, 0 };

  l.p = new_member_m2 ("gms4", &cb, &l, admits, 2);
  send_data (l.p, 1, 4);
  send_data (l.p, 1, 5);
  g_assert_cmpuint (l.delivered, ==, 0);
  send_data (l.p, 1, 3);
  g_assert_cmpint (grp_proto_get_status (l.p), ==, GRP_STATUS_LEFT);
  g_assert_cmpuint (l.delivered, ==, 1);
  grp_proto_free (l.p);
}

int
main (int argc, char **argv)
{
  static const char *const stages[] = { "gms1", "gms2", "gms3", "gms4" };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    {
      g_autofree char *in_step = g_strdup_printf ("/stages/%s/in-step", stages[i]);
      g_autofree char *taken = g_strdup_printf ("/stages/%s/name-taken", stages[i]);
      g_autofree char *full = g_strdup_printf ("/stages/%s/full", stages[i]);
      g_autofree char *twice = g_strdup_printf ("/stages/%s/twice", stages[i]);
      g_autofree char *bad_name = g_strdup_printf ("/stages/%s/bad-name", stages[i]);
      g_autofree char *addresses = g_strdup_printf ("/stages/%s/addresses", stages[i]);
      g_autofree char *leave = g_strdup_printf ("/stages/%s/leave-in-handler", stages[i]);
      g_autofree char *elect = g_strdup_printf ("/stages/%s/leave-on-election", stages[i]);

      g_test_add_data_func (in_step, stages[i], test_in_step);
      g_test_add_data_func (taken, stages[i], test_name_taken);
      g_test_add_data_func (full, stages[i], test_full);
      g_test_add_data_func (twice, stages[i], test_twice);
      g_test_add_data_func (bad_name, stages[i], test_bad_name);
      g_test_add_data_func (addresses, stages[i], test_addresses);
      g_test_add_data_func (leave, stages[i], test_leave_in_handler);
      if (i > 0) /* gms1 elects nobody */
        g_test_add_data_func (elect, stages[i], test_leave_on_election);
    }
  g_test_add_func ("/stages/gms1/freezes", test_gms1_freezes);
  g_test_add_func ("/stages/gms2/elects", test_gms2_elects);
  g_test_add_func ("/stages/gms2/drifts", test_gms2_drifts);
  g_test_add_func ("/stages/gms3/mends-the-cut", test_gms3_mends_the_cut);
  g_test_add_func ("/stages/gms3/skips-a-lost-message", test_gms3_skips_a_lost_message);
  g_test_add_func ("/stages/gms3/two-leaders", test_gms3_two_leaders);
  g_test_add_func ("/stages/gms4/asks", test_gms4_asks);
  g_test_add_func ("/stages/gms4/answers-in-parts", test_gms4_answers_in_parts);
  g_test_add_func ("/stages/gms4/leave-behind-a-gap", test_gms4_leave_behind_a_gap);
  return g_test_run ();
}
