/* fuzz-core.c: the protocol core (src/core) fed decoded messages.
 *
 * One GrpCore, a member of a small group whose other members are played by
 * the input: it receives messages decoded by the wire codec from the input
 * (any type, from any member of its view or any stranger), clock ticks,
 * crash reports, and its own multicasts and leave.  The input:
 *
 *   byte 0   the start: bits 0-1: 0 (SCENE_CREATE) creates a group (the
 *            core leads it alone); 1 (SCENE_JOINED) joins through P1, which
 *            admits it at once to view 3 {P1, self, P2} at position 10,
 *            with the state; 2 (SCENE_JOINING) joins through P1 and the
 *            input does the rest; 3 (SCENE_PAIR) creates a group and admits
 *            P1 into it.  Bit 2: safe delivery (else agreed); bit 3: the
 *            core batches its output (as the transport drives it).
 *   then ops, each one byte, kind = byte >> 5, arg = byte & 31:
 *     0-3  RECV: a frame body follows, its length in 2 bytes (LE).  The
 *          sender is SENDERS[arg & 7] (the last: whoever the frame says).
 *          Every id in the message is mapped onto the ids below (an id of
 *          theirs stays, any other becomes IDS[id % 8]), so recorded
 *          traffic and random bytes name the group's members.  Kind bit 0
 *          (RECV_FENCE): the message is of the core's view (its view id,
 *          or the next for a view change's); bit 1 (RECV_RELATIVE):
 *          positions count from what the core holds, view ids from its
 *          view's.
 *     4    TICK: the clock moves (arg + 1) quarter heartbeats.
 *     5    LOST: SENDERS[arg & 7] is unreachable; arg & 8: for certain.
 *     6    MULTICAST a one-byte payload arg; arg 31: LEAVE instead.
 *     7    WAIT: the clock moves (arg + 1) quarter suspicion timeouts.
 *
 * Besides never crashing, hanging or leaking, the core must keep what it
 * promises its user whatever it is sent (grp-core.h), which is checked
 * after every callback and every op:
 *  - deliveries (data and views) come one position after the other, with
 *    no gap and no repeat, from the position of the state on; only with the
 *    state, and never once the member has finished (left, excluded, failed);
 *  - views only grow: each view delivered, and each installed, has a
 *    higher id than the one before, lists the member, and is well formed;
 *  - what it delivered never goes backwards while it holds the state, and
 *    it holds without a gap at least what it delivered;
 *  - a finished member stays finished; a failure says why;
 *  - every message it sends is its own, to someone else, and encodes to a
 *    frame that peers accept and decode to the very same message.
 */
#include "fuzz.h"

#include <string.h>

#include "core.h"
#include "grp-codec.h"
#include "log.h"

enum { SCENE_CREATE, SCENE_JOINED, SCENE_JOINING, SCENE_PAIR };
#define START_SAFE 4
#define START_BATCH 8

#define RECV_FENCE 1
#define RECV_RELATIVE 2
enum { OP_RECV = 0, OP_TICK = 4, OP_LOST, OP_MULTICAST, OP_WAIT };

/* The member, the rest of its group, strangers.  tests/fuzz/make-corpus.py
 * writes recorded traffic with SELF and P1 for the two ends. */
#define SELF G_GUINT64_CONSTANT (0x5e1f5e1f5e1f5e1f)
#define P1 G_GUINT64_CONSTANT (0x0123456789abcdef)
#define P2 G_GUINT64_CONSTANT (0x2222222222222222)
#define P3 G_GUINT64_CONSTANT (0x3333333333333333)
#define P4 G_GUINT64_CONSTANT (0x4444444444444444)
#define S1 G_GUINT64_CONSTANT (0xa1a1a1a1a1a1a1a1)
#define S2 G_GUINT64_CONSTANT (0xa2a2a2a2a2a2a2a2)
#define S3 G_GUINT64_CONSTANT (0xa3a3a3a3a3a3a3a3)

static const GrpId IDS[8] = { SELF, P1, P2, P3, P4, S1, S2, S3 };
#define AS_FRAME_SAYS 0
static const GrpId SENDERS[8] = { P1, P2, P3, P4, S1, S2, S3, AS_FRAME_SAYS };

#define MS 1000

typedef struct {
  GrpCore *core;
  GrpCoreConfig cfg;
  gint64 now;
  GrpStatus status;
  gboolean finished;
  guint64 last_seq;       /* the last position delivered; 0: none since the state */
  guint64 state_seq;      /* the position of the state held */
  guint64 last_view_id;   /* of the last view delivered */
  guint64 installed_id;   /* of the view installed when last looked */
  guint64 delivered;      /* grp_core_get_delivered when last looked */
  gboolean had_state;
} Member;

/* ---- callbacks: what the core promises its user ------------------------- */

static gboolean
view_well_formed (const GrpView *v)
{
  if (v == NULL || v->id == 0 || v->seq == 0 || v->n_members == 0 ||
      v->n_members > GRP_MAX_MEMBERS || !grp_view_contains (v, SELF))
    return FALSE;
  for (guint i = 0; i < v->n_members; i++)
    {
      if (v->members[i].id == 0 || v->members[i].name == NULL)
        return FALSE;
      for (guint j = 0; j < i; j++)
        if (v->members[j].id == v->members[i].id)
          return FALSE;
    }
  return TRUE;
}

/* One position delivered: the next one, with the state, not finished. */
static void
delivered_at (Member *m, GrpCore *core, guint64 seq)
{
  g_assert_false (m->finished);
  g_assert_true (grp_core_has_state (core));
  if (m->last_seq == 0)
    g_assert_cmpuint (seq, ==, m->state_seq);
  else
    g_assert_cmpuint (seq, ==, m->last_seq + 1);
  m->last_seq = seq;
}

/* What the core sends goes to a peer as a frame: it must be one that peers
 * take, and decode to the same message. */
static void
cb_send (GrpCore *core, GrpId to, const char *addr, GrpMsg *msg, gpointer data)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  g_autoptr(GByteArray) again = g_byte_array_new ();
  g_autoptr(GrpMsg) back = NULL;
  g_autoptr(GError) error = NULL;
  GrpMember hello = { 0 };
  GrpFrameKind kind;

  g_assert_cmpuint (to, !=, 0);
  g_assert_cmpuint (to, !=, SELF);
  g_assert_cmpuint (msg->from, ==, SELF);
  grp_codec_append_msg (frame, msg);
  g_assert_cmpuint (frame->len - GRP_FRAME_HEADER, <=, GRP_FRAME_MAX);
  g_assert_true (grp_codec_parse (frame->data + GRP_FRAME_HEADER, frame->len - GRP_FRAME_HEADER,
                                  &kind, &back, &hello, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, GRP_FRAME_MSG);
  grp_codec_append_msg (again, back);
  g_assert_cmpmem (frame->data, frame->len, again->data, again->len);
}

static void
cb_deliver (GrpCore *core, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload, gpointer data)
{
  g_assert_nonnull (payload);
  delivered_at (data, core, seq);
}

static void
cb_view (GrpCore *core, GrpView *view, gpointer data)
{
  Member *m = data;

  g_assert_true (view_well_formed (view));
  g_assert_cmpuint (view->id, >, m->last_view_id);
  m->last_view_id = view->id;
  delivered_at (m, core, view->seq);
}

static GBytes *
cb_get_state (GrpCore *core, gpointer data)
{
  Member *m = data;

  return g_bytes_new (&m->last_seq, sizeof m->last_seq);
}

static void
cb_set_state (GrpCore *core, guint64 seq, GBytes *state, gpointer data)
{
  Member *m = data;
  const GrpView *view = grp_core_get_view (core);

  g_assert_false (m->finished);
  g_assert_nonnull (state);
  /* Taken at the view it is installing. */
  g_assert_nonnull (view);
  g_assert_cmpuint (seq, ==, view->seq);
  m->state_seq = seq;
  m->last_seq = 0;
}

static void
cb_status (GrpCore *core, GrpStatus status, const GError *error, gpointer data)
{
  Member *m = data;

  g_assert_false (m->finished);
  g_assert_cmpint (status, !=, m->status);
  g_assert_true ((status == GRP_STATUS_FAILED) == (error != NULL));
  m->status = status;
  m->finished = status == GRP_STATUS_LEFT || status == GRP_STATUS_EXCLUDED ||
                status == GRP_STATUS_FAILED;
}

static const GrpCoreCallbacks callbacks = {
  cb_send, cb_deliver, cb_view, cb_get_state, cb_set_state, cb_status,
};

/* After every op: what can be seen from outside. */
static void
check (Member *m)
{
  GrpCore *core = m->core;
  const GrpView *view = grp_core_get_view (core);
  gboolean has_state = grp_core_has_state (core);
  guint64 delivered = grp_core_get_delivered (core);

  g_assert_cmpint (grp_core_get_status (core), ==, m->status);
  g_assert_cmpuint (grp_core_get_received (core), >=, delivered);
  if (view != NULL)
    {
      g_assert_true (view_well_formed (view));
      g_assert_cmpuint (view->id, >=, m->installed_id);
      m->installed_id = view->id;
    }
  else
    g_assert_cmpuint (m->installed_id, ==, 0);
  if (m->had_state && has_state)
    g_assert_cmpuint (delivered, >=, m->delivered);
  m->delivered = delivered;
  m->had_state = has_state;
  g_assert_cmpuint (grp_core_get_log_size (core), <=,
                    MAX (4 * grp_log_max_ahead (core), (guint64) 1 << 20));
  if (m->status == GRP_STATUS_MEMBER)
    g_assert_nonnull (view);
}

/* ---- turning input into messages ---------------------------------------- */

static GrpId
map_id (GrpId id)
{
  if (id == 0)
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (IDS); i++)
    if (IDS[i] == id)
      return id;
  return IDS[id % G_N_ELEMENTS (IDS)];
}

static guint64
plus (guint64 a, guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

typedef struct {
  guint64 pos;  /* added to positions */
  guint64 vid;  /* added to view ids */
} Shift;

static void
map_view (GrpView *v, const Shift *s)
{
  if (v == NULL)
    return;
  v->id = plus (v->id, s->vid);
  v->seq = plus (v->seq, s->pos);
  for (guint i = 0; i < v->n_members; i++)
    v->members[i].id = map_id (v->members[i].id);
}

static void
map_entries (GPtrArray *entries, const Shift *s)
{
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      GrpEntry *e = g_ptr_array_index (entries, i);

      e->seq = e->seq == 0 ? 0 : plus (e->seq, s->pos); /* requests have none */
      e->view_id = plus (e->view_id, s->vid);
      e->origin = map_id (e->origin);
      map_view (e->view, s);
    }
}

static void
map_ballot (GrpBallot *b)
{
  b->id = map_id (b->id);
}

static gboolean
is_view_change (GrpMsgType type)
{
  return type == GRP_MSG_PREPARE || type == GRP_MSG_PROMISE || type == GRP_MSG_REJECT ||
         type == GRP_MSG_ACCEPT || type == GRP_MSG_ACCEPTED;
}

/* Every id onto the group's, every number shifted as the op asks. */
static void
map_msg (GrpMsg *msg, GrpId sender, guint flags, GrpCore *core)
{
  const GrpView *view = grp_core_get_view (core);
  Shift s = { 0, 0 };

  if (flags & RECV_RELATIVE)
    s = (Shift) { grp_core_get_received (core), view != NULL ? view->id : 0 };
  msg->from = sender != AS_FRAME_SAYS ? sender : map_id (msg->from);
  if ((flags & RECV_FENCE) && view != NULL)
    msg->view = view->id + (is_view_change (msg->type) ? 1 : 0);
  else
    msg->view = plus (msg->view, s.vid);
  switch (msg->type)
    {
    case GRP_MSG_JOIN:
      msg->join.member.id = map_id (msg->join.member.id);
      break;
    case GRP_MSG_REQ:
      map_entries (msg->req.entries, &s);
      for (guint i = 0; msg->req.entries != NULL && i < msg->req.entries->len; i++)
        ((GrpEntry *) g_ptr_array_index (msg->req.entries, i))->origin = msg->from;
      break;
    case GRP_MSG_SEQ:
      msg->seq.stable = plus (msg->seq.stable, s.pos);
      map_entries (msg->seq.entries, &s);
      break;
    case GRP_MSG_HB:
      msg->hb.high = plus (msg->hb.high, s.pos);
      msg->hb.stable = plus (msg->hb.stable, s.pos);
      break;
    case GRP_MSG_ACK:
      msg->ack.recv_upto = plus (msg->ack.recv_upto, s.pos);
      break;
    case GRP_MSG_NAK:
      msg->nak.lo = plus (msg->nak.lo, s.pos);
      msg->nak.hi = plus (msg->nak.hi, s.pos);
      break;
    case GRP_MSG_STATE:
      msg->state.seq = plus (msg->state.seq, s.pos);
      for (guint i = 0; msg->state.seen != NULL && i < msg->state.seen->len; i++)
        g_array_index (msg->state.seen, GrpSeen, i).origin =
          map_id (g_array_index (msg->state.seen, GrpSeen, i).origin);
      break;
    case GRP_MSG_PREPARE:
      map_ballot (&msg->prepare.ballot);
      msg->prepare.high = plus (msg->prepare.high, s.pos);
      msg->prepare.lo = plus (msg->prepare.lo, s.pos);
      break;
    case GRP_MSG_PROMISE:
      map_ballot (&msg->promise.ballot);
      map_ballot (&msg->promise.accepted_ballot);
      msg->promise.recv_upto = plus (msg->promise.recv_upto, s.pos);
      map_view (msg->promise.accepted, &s);
      map_entries (msg->promise.entries, &s);
      for (guint i = 0; msg->promise.dead != NULL && i < msg->promise.dead->len; i++)
        g_array_index (msg->promise.dead, GrpId, i) =
          map_id (g_array_index (msg->promise.dead, GrpId, i));
      break;
    case GRP_MSG_REJECT:
      map_ballot (&msg->reject.ballot);
      break;
    case GRP_MSG_ACCEPT:
      map_ballot (&msg->accept.ballot);
      map_view (msg->accept.value, &s);
      map_entries (msg->accept.entries, &s);
      break;
    case GRP_MSG_ACCEPTED:
      map_ballot (&msg->accepted.ballot);
      break;
    case GRP_MSG_DECIDE:
      map_view (msg->decide.view, &s);
      map_entries (msg->decide.entries, &s);
      break;
    case GRP_MSG_NOT_MEMBER:
      map_view (msg->not_member.view, &s);
      break;
    case GRP_MSG_NEED_VIEW:
      msg->need_view.recv_upto = plus (msg->need_view.recv_upto, s.pos);
      break;
    default:
      break;
    }
}

/* ---- driving -------------------------------------------------------------- */

static void
end_turn (Member *m)
{
  /* As the transport does at the end of each main-loop turn. */
  if (m->cfg.batch)
    grp_core_flush (m->core);
  check (m);
}

static void
receive (Member *m, GrpMsg *msg)
{
  grp_core_receive (m->core, msg, m->now);
  end_turn (m);
}

static GrpMember
member (GrpId id, const char *name)
{
  return (GrpMember) { id, (char *) name, (char *) "127.0.0.1:7000" };
}

/* P1 admits the member (joining through it) to view 3 {P1, self, P2}. */
static void
admit (Member *m)
{
  g_autoptr(GrpMsg) decide = grp_msg_new (GRP_MSG_DECIDE, P1, 3);
  g_autoptr(GrpMsg) state = grp_msg_new (GRP_MSG_STATE, P1, 3);
  GrpView *v = grp_view_new (3, 10, 3);
  GrpMember ms[3] = { member (P1, "p1"), member (SELF, "fuzzed"), member (P2, "p2") };
  guint64 zero = 0;

  for (guint i = 0; i < 3; i++)
    grp_member_copy (&v->members[i], &ms[i]);
  v->needs_state[1] = TRUE;
  decide->decide.view = v;
  receive (m, decide);
  state->state.seq = 10;
  state->state.state = g_bytes_new (&zero, sizeof zero);
  state->state.seen = g_array_new (FALSE, FALSE, sizeof (GrpSeen));
  receive (m, state);
  g_assert_cmpint (m->status, ==, GRP_STATUS_MEMBER);
  g_assert_cmpuint (grp_core_get_view (m->core)->n_members, ==, 3);
}

/* P1 asks the group's creator, alone in it, to be admitted. */
static void
admit_p1 (Member *m)
{
  g_autoptr(GrpMsg) join = grp_msg_new (GRP_MSG_JOIN, P1, 0);
  GrpMember p1 = member (P1, "p1");

  grp_member_copy (&join->join.member, &p1);
  receive (m, join);
  g_assert_cmpuint (grp_core_get_view (m->core)->n_members, ==, 2);
}

static void
start (Member *m, guint8 how)
{
  GrpMember self = member (SELF, "fuzzed");

  grp_core_config_init (&m->cfg);
  /* Smaller than the defaults, so that the input reaches the bounds. */
  m->cfg.max_lag = 1000;
  m->cfg.max_batch = 64;
  m->cfg.delivery = (how & START_SAFE) ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED;
  m->cfg.batch = (how & START_BATCH) != 0;
  m->now = 1000 * MS;
  m->core = grp_core_new (&m->cfg, &self, &callbacks, m);
  switch (how & 3)
    {
    case SCENE_CREATE:
    case SCENE_PAIR:
      m->state_seq = 1;
      grp_core_create (m->core, m->now);
      end_turn (m);
      if ((how & 3) == SCENE_PAIR)
        admit_p1 (m);
      break;
    case SCENE_JOINED:
    case SCENE_JOINING:
      grp_core_join (m->core, P1, "127.0.0.1:7001", m->now);
      end_turn (m);
      if ((how & 3) == SCENE_JOINED)
        admit (m);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
advance (Member *m, gint64 by)
{
  m->now += by;
  grp_core_tick (m->core, m->now);
  end_turn (m);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Member m = { 0 };
  const guint8 *p = data, *end = data + size;

  fuzz_quiet_logs ();
  if (size < 1)
    return 0;
  start (&m, *p++);
  while (p < end)
    {
      guint8 op = *p++;
      guint kind = op >> 5, arg = op & 31;

      if (kind <= 3)
        {
          gsize len = 0;
          g_autoptr(GrpMsg) msg = NULL;
          GrpMember hello = { 0 };
          GrpFrameKind frame;

          if (end - p >= 2)
            len = (gsize) p[0] | (gsize) p[1] << 8;
          p += MIN (2, end - p);
          len = MIN (len, (gsize) (end - p));
          if (grp_codec_parse (p, len, &frame, &msg, &hello, NULL, NULL, NULL) &&
              frame == GRP_FRAME_MSG)
            {
              map_msg (msg, SENDERS[arg & 7], kind, m.core);
              receive (&m, msg);
            }
          grp_member_clear (&hello);
          p += len;
        }
      else if (kind == OP_TICK)
        advance (&m, (arg + 1) * m.cfg.heartbeat_interval / 4);
      else if (kind == OP_WAIT)
        advance (&m, (arg + 1) * m.cfg.suspect_timeout / 4);
      else if (kind == OP_LOST)
        {
          GrpId who = SENDERS[arg & 7] != AS_FRAME_SAYS ? SENDERS[arg & 7] : P1;

          grp_core_unreachable (m.core, who, (arg & 8) != 0, m.now);
          end_turn (&m);
        }
      else if (kind == OP_MULTICAST && arg == 31)
        {
          grp_core_leave (m.core, m.now);
          end_turn (&m);
        }
      else
        {
          g_autoptr(GBytes) payload = g_bytes_new (&arg, 1);
          g_autoptr(GError) error = NULL;
          guint64 ctr = grp_core_multicast (m.core, payload, m.now, &error);

          g_assert_true ((ctr == 0) == (error != NULL));
          end_turn (&m);
        }
    }
  grp_core_free (m.core);
  return 0;
}
