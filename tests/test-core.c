/* test-core.c: the protocol core, one behaviour at a time, on a small
 * scripted network (FIFO queues, a hand-driven clock).  The randomized
 * campaign lives in sim/; these tests pin down each guarantee on its own. */
#include "grp-core.h"
#include "grp-color.h"

#include <string.h>

#define MS 1000
#define MAX_NODES 6

typedef struct Net Net;

typedef struct {
  Net *net;
  GrpCore *core;
  GrpId id;
  char name[8];
  gboolean alive;
  gboolean cut;            /* all its links are down */
  gboolean drop_seq;       /* positions sent to it are lost */
  guint8 color[3];
  GArray *seqs;            /* positions delivered, in order */
  GArray *ctrs;            /* ctr of each data delivery (0 for views) */
  GrpStatus status;
  GError *error;
  guint views;
} TNode;

typedef struct {
  int to;
  GrpMsg *msg;
} Flight;

struct Net {
  TNode nodes[MAX_NODES];
  guint n;
  GQueue flights;
  gint64 now;
  GrpCoreConfig cfg;
};

static int
node_of (Net *net, GrpId id)
{
  for (guint i = 0; i < net->n; i++)
    if (net->nodes[i].id == id)
      return (int) i;
  return -1;
}

static void
t_send (GrpCore *core, GrpId to, const char *addr, GrpMsg *msg, gpointer data)
{
  TNode *n = data;
  int dest = node_of (n->net, to);
  Flight *f;

  if (dest < 0 || !n->alive || n->cut || n->net->nodes[dest].cut)
    return;
  if (n->net->nodes[dest].drop_seq && (msg->type == GRP_MSG_SEQ || msg->type == GRP_MSG_ACCEPT))
    return;
  f = g_new0 (Flight, 1);
  f->to = dest;
  f->msg = grp_msg_ref (msg);
  g_queue_push_tail (&n->net->flights, f);
}

static void
t_deliver (GrpCore *core, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload, gpointer data)
{
  TNode *n = data;
  const guint8 *p = g_bytes_get_data (payload, NULL);

  grp_color_apply (n->color, p[0]);
  g_array_append_val (n->seqs, seq);
  g_array_append_val (n->ctrs, ctr);
}

static void
t_view (GrpCore *core, GrpView *view, gpointer data)
{
  TNode *n = data;
  guint64 zero = 0;

  g_array_append_val (n->seqs, view->seq);
  g_array_append_val (n->ctrs, zero);
  n->views++;
}

static GBytes *
t_get_state (GrpCore *core, gpointer data)
{
  TNode *n = data;

  return g_bytes_new (n->color, 3);
}

static void
t_set_state (GrpCore *core, guint64 seq, GBytes *state, gpointer data)
{
  TNode *n = data;

  memcpy (n->color, g_bytes_get_data (state, NULL), 3);
}

static void
t_status (GrpCore *core, GrpStatus status, const GError *error, gpointer data)
{
  TNode *n = data;

  n->status = status;
  if (error)
    {
      g_clear_error (&n->error);
      n->error = g_error_copy (error);
    }
}

static const GrpCoreCallbacks cbs = { t_send, t_deliver, t_view, t_get_state, t_set_state, t_status };

static void
net_init (Net *net, GrpDelivery delivery)
{
  memset (net, 0, sizeof *net);
  g_queue_init (&net->flights);
  grp_core_config_init (&net->cfg);
  net->cfg.delivery = delivery;
  net->cfg.heartbeat_interval = 20 * MS;
  net->cfg.suspect_timeout = 100 * MS;
  net->cfg.retry_interval = 10 * MS;
  net->cfg.join_timeout = 1000 * MS;
}

static TNode *
net_add (Net *net, const char *name)
{
  TNode *n = &net->nodes[net->n];
  GrpMember self = { 0 };

  n->net = net;
  n->id = 0x100 + net->n;
  g_strlcpy (n->name, name, sizeof n->name);
  n->alive = TRUE;
  n->seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  n->ctrs = g_array_new (FALSE, FALSE, sizeof (guint64));
  self.id = n->id;
  self.name = n->name;
  n->core = grp_core_new (&net->cfg, &self, &cbs, n);
  net->n++;
  return n;
}

static void
net_clear (Net *net)
{
  Flight *f;

  while ((f = g_queue_pop_head (&net->flights)) != NULL)
    {
      grp_msg_unref (f->msg);
      g_free (f);
    }
  for (guint i = 0; i < net->n; i++)
    {
      grp_core_free (net->nodes[i].core);
      g_array_unref (net->nodes[i].seqs);
      g_array_unref (net->nodes[i].ctrs);
      g_clear_error (&net->nodes[i].error);
    }
}

/* Deliver everything in flight, in order, including what that causes.
 * With batching, a member's turn ends when nothing is left to read. */
static void
pump (Net *net)
{
  Flight *f;
  guint guard = 0;
  gboolean flushed;

  do
    {
      while ((f = g_queue_pop_head (&net->flights)) != NULL)
        {
          TNode *n = &net->nodes[f->to];

          g_assert_cmpuint (++guard, <, 100000);
          if (n->alive && !n->cut)
            grp_core_receive (n->core, f->msg, net->now);
          grp_msg_unref (f->msg);
          g_free (f);
        }
      flushed = FALSE;
      for (guint i = 0; i < net->n; i++)
        if (net->nodes[i].alive)
          flushed |= grp_core_flush (net->nodes[i].core);
    }
  while (flushed);
}

/* Let `ms` of virtual time pass in 5 ms ticks, pumping as we go. */
static void
advance (Net *net, int ms)
{
  for (int t = 0; t < ms; t += 5)
    {
      net->now += 5 * MS;
      for (guint i = 0; i < net->n; i++)
        if (net->nodes[i].alive)
          grp_core_tick (net->nodes[i].core, net->now);
      pump (net);
    }
}

static guint64
multicast (TNode *n, guint8 change)
{
  g_autoptr(GBytes) p = g_bytes_new (&change, 1);
  g_autoptr(GError) error = NULL;
  guint64 ctr = grp_core_multicast (n->core, p, n->net->now, &error);

  g_assert_no_error (error);
  return ctr;
}

/* A group of `k` members, all joined and holding the state. */
static void
group (Net *net, guint k)
{
  TNode *first = net_add (net, "a");

  grp_core_create (first->core, net->now);
  for (guint i = 1; i < k; i++)
    {
      char name[2] = { (char) ('a' + i), 0 };
      TNode *n = net_add (net, name);

      grp_core_join (n->core, first->id, NULL, net->now);
      pump (net);
      advance (net, 20);
      g_assert_cmpint (n->status, ==, GRP_STATUS_MEMBER);
    }
  for (guint i = 0; i < k; i++)
    g_assert_cmpuint (grp_core_get_view (net->nodes[i].core)->n_members, ==, k);
}

static void
assert_same_history (Net *net, TNode *a, TNode *b)
{
  guint64 from = MAX (g_array_index (a->seqs, guint64, 0), g_array_index (b->seqs, guint64, 0));
  guint ia = 0, ib = 0;

  while (ia < a->seqs->len && g_array_index (a->seqs, guint64, ia) < from)
    ia++;
  while (ib < b->seqs->len && g_array_index (b->seqs, guint64, ib) < from)
    ib++;
  for (; ia < a->seqs->len && ib < b->seqs->len; ia++, ib++)
    {
      g_assert_cmpuint (g_array_index (a->seqs, guint64, ia), ==, g_array_index (b->seqs, guint64, ib));
      g_assert_cmpuint (g_array_index (a->ctrs, guint64, ia), ==, g_array_index (b->ctrs, guint64, ib));
    }
  g_assert_cmpmem (a->color, 3, b->color, 3);
}

static void
test_create (void)
{
  Net net;
  TNode *a;

  net_init (&net, GRP_DELIVERY_AGREED);
  a = net_add (&net, "a");
  grp_core_create (a->core, 0);
  g_assert_cmpint (a->status, ==, GRP_STATUS_MEMBER);
  g_assert_true (grp_core_is_leader (a->core));
  g_assert_cmpuint (grp_core_get_view (a->core)->id, ==, 1);
  g_assert_cmpuint (a->views, ==, 1);
  g_assert_cmpuint (multicast (a, 5), ==, 1);
  g_assert_cmpuint (multicast (a, 7), ==, 2);
  /* (0,0,0) -> (0,0,5) -> (0,5,7) */
  g_assert_cmpuint (a->color[1], ==, 5);
  g_assert_cmpuint (a->color[2], ==, 7);
  g_assert_cmpuint (grp_core_get_delivered (a->core), ==, 3);
  net_clear (&net);
}

static void
test_join_state_transfer (void)
{
  Net net;
  TNode *a, *b, *c;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 2);
  a = &net.nodes[0];
  b = &net.nodes[1];
  multicast (a, 3);
  multicast (b, 4);
  pump (&net);
  advance (&net, 20);
  /* c joins through b, not the leader: the join is forwarded. */
  c = net_add (&net, "c");
  grp_core_join (c->core, b->id, NULL, net.now);
  advance (&net, 40);
  g_assert_cmpint (c->status, ==, GRP_STATUS_MEMBER);
  g_assert_cmpmem (c->color, 3, a->color, 3);
  multicast (c, 9);
  advance (&net, 40);
  assert_same_history (&net, a, b);
  assert_same_history (&net, a, c);
  g_assert_cmpuint (grp_core_get_view (c->core)->n_members, ==, 3);
  g_assert_cmpuint (grp_core_get_view (c->core)->members[2].id, ==, c->id);
  net_clear (&net);
}

static void
test_total_order (void)
{
  Net net;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 4);
  for (int round = 0; round < 20; round++)
    for (guint i = 0; i < 4; i++)
      multicast (&net.nodes[i], (guint8) (1 + (round * 4 + i) % 20));
  advance (&net, 100);
  for (guint i = 1; i < 4; i++)
    assert_same_history (&net, &net.nodes[0], &net.nodes[i]);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (grp_core_get_pending (net.nodes[i].core), ==, 0);
  net_clear (&net);
}

/* Batching: a member's requests of one turn leave in one REQ, the leader's
 * sequencing of one turn in one SEQ per member, and any other message
 * flushes the batch first, so the order of sends does not change. */
static void
test_batching (void)
{
  Net net;
  TNode *a, *b;
  Flight *f;
  guint64 before;

  net_init (&net, GRP_DELIVERY_AGREED);
  net.cfg.batch = TRUE;
  group (&net, 3);
  a = &net.nodes[0];
  b = &net.nodes[1];
  before = grp_core_get_delivered (b->core);
  for (guint8 i = 1; i <= 3; i++)
    multicast (b, i);
  g_assert_cmpuint (net.flights.length, ==, 0);
  g_assert_true (grp_core_has_batch (b->core));
  g_assert_true (grp_core_flush (b->core));
  g_assert_false (grp_core_flush (b->core));
  g_assert_cmpuint (net.flights.length, ==, 1);
  f = g_queue_peek_head (&net.flights);
  g_assert_cmpint (f->msg->type, ==, GRP_MSG_REQ);
  g_assert_cmpuint (f->msg->entries->len, ==, 3);

  /* The leader sequences all three and sends nothing until its turn ends... */
  f = g_queue_pop_head (&net.flights);
  grp_core_receive (a->core, f->msg, net.now);
  grp_msg_unref (f->msg);
  g_free (f);
  g_assert_cmpuint (net.flights.length, ==, 0);
  g_assert_cmpuint (grp_core_get_delivered (a->core), ==, before + 3);

  /* ...unless it sends something else: then the batch goes first. */
  net.now += net.cfg.heartbeat_interval;
  grp_core_tick (a->core, net.now);
  g_assert_cmpuint (net.flights.length, >, 2);
  for (guint i = 0; i < 2; i++)
    {
      f = g_queue_peek_nth (&net.flights, i);
      g_assert_cmpint (f->msg->type, ==, GRP_MSG_SEQ);
      g_assert_cmpuint (f->msg->entries->len, ==, 3);
    }
  for (guint i = 2; i < net.flights.length; i++)
    g_assert_cmpint (((Flight *) g_queue_peek_nth (&net.flights, i))->msg->type, !=, GRP_MSG_SEQ);
  pump (&net);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (grp_core_get_delivered (net.nodes[i].core), ==, before + 3);
  assert_same_history (&net, a, b);
  assert_same_history (&net, a, &net.nodes[2]);
  net_clear (&net);
}

/* Flow control: each member's share of the group's window. */
static void
test_group_window (void)
{
  Net net;
  TNode *b;
  g_autoptr(GBytes) p = g_bytes_new ("x", 1);
  g_autoptr(GError) error = NULL;
  guint ok = 0;

  net_init (&net, GRP_DELIVERY_AGREED);
  net.cfg.group_window = 200;
  group (&net, 5);
  b = &net.nodes[1];
  g_assert_cmpuint (grp_core_get_window (b->core), ==, 200 / 5);
  while (grp_core_multicast (b->core, p, net.now, &error) != 0)
    ok++;
  g_assert_cmpuint (ok, ==, 40);
  g_assert_error (error, GRP_CORE_ERROR, GRP_CORE_ERROR_BUSY);
  /* Once delivered, the window is free again. */
  pump (&net);
  g_assert_cmpuint (grp_core_get_pending (b->core), ==, 0);
  g_assert_cmpuint (grp_core_multicast (b->core, p, net.now, NULL), !=, 0);
  net_clear (&net);

  /* Never fewer than 32 each (unless `window` is smaller). */
  net_init (&net, GRP_DELIVERY_AGREED);
  net.cfg.group_window = 10;
  group (&net, 3);
  g_assert_cmpuint (grp_core_get_window (net.nodes[1].core), ==, 32);
  net_clear (&net);
}

static void
test_duplicate_request (void)
{
  Net net;
  TNode *a, *b;
  g_autoptr(GrpMsg) req = NULL;
  guint8 change = 6;
  guint64 before;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 2);
  a = &net.nodes[0];
  b = &net.nodes[1];
  req = grp_msg_new (GRP_MSG_REQ, b->id, grp_core_get_view (a->core)->id);
  req->ctr = 1;
  req->payload = g_bytes_new (&change, 1);
  before = grp_core_get_delivered (a->core);
  grp_core_receive (a->core, req, net.now);
  grp_core_receive (a->core, req, net.now);
  /* A counter that skips one is held back until the gap is filled. */
  req->ctr = 3;
  grp_core_receive (a->core, req, net.now);
  g_assert_cmpuint (grp_core_get_delivered (a->core), ==, before + 1);
  net_clear (&net);
}

static void
test_fencing (void)
{
  Net net;
  TNode *a, *b, *c;
  g_autoptr(GrpMsg) stale = NULL;
  g_autoptr(GrpEntry) e = NULL;
  guint8 change = 1;
  g_autoptr(GBytes) p = g_bytes_new (&change, 1);
  guint64 before;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 3);
  a = &net.nodes[0];
  b = &net.nodes[1];
  c = &net.nodes[2];
  /* A SEQ from an older view is refused, and its sender is told. */
  e = grp_entry_new_data (grp_core_get_delivered (b->core) + 1, 1, a->id, 99, p);
  stale = grp_msg_new (GRP_MSG_SEQ, a->id, 1);
  grp_msg_add_entry (stale, e);
  before = grp_core_get_delivered (b->core);
  grp_core_receive (b->core, stale, net.now);
  g_assert_cmpuint (grp_core_get_delivered (b->core), ==, before);
  g_assert_cmpuint (g_queue_get_length (&net.flights), ==, 1);
  g_assert_cmpint (((Flight *) g_queue_peek_head (&net.flights))->msg->type, ==, GRP_MSG_DECIDE);
  pump (&net);

  /* A newer view that leaves c out tells c it was excluded. */
  {
    g_autoptr(GrpMsg) nm = grp_msg_new (GRP_MSG_NOT_MEMBER, a->id, 99);

    nm->value = grp_view_new (99, 500, 1);
    nm->value->members[0].id = a->id;
    grp_core_receive (c->core, nm, net.now);
    g_assert_cmpint (c->status, ==, GRP_STATUS_EXCLUDED);
    /* An excluded member does nothing more. */
    g_assert_cmpuint (grp_core_multicast (c->core, p, net.now, NULL), ==, 0);
  }
  net_clear (&net);
}

static void
test_name_taken (void)
{
  Net net;
  TNode *dup;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 2);
  dup = net_add (&net, "b");
  grp_core_join (dup->core, net.nodes[0].id, NULL, net.now);
  advance (&net, 20);
  g_assert_cmpint (dup->status, ==, GRP_STATUS_FAILED);
  g_assert_error (dup->error, GRP_CORE_ERROR, GRP_CORE_ERROR_NAME_TAKEN);
  g_assert_nonnull (strstr (dup->error->message, "--name"));
  net_clear (&net);
}

static void
test_join_timeout (void)
{
  Net net;
  TNode *a, *j;

  net_init (&net, GRP_DELIVERY_AGREED);
  a = net_add (&net, "a");
  grp_core_create (a->core, 0);
  a->alive = FALSE; /* the contact is gone */
  j = net_add (&net, "j");
  grp_core_join (j->core, a->id, NULL, net.now);
  advance (&net, 900);
  g_assert_cmpint (j->status, ==, GRP_STATUS_JOINING);
  advance (&net, 200);
  g_assert_cmpint (j->status, ==, GRP_STATUS_FAILED);
  g_assert_error (j->error, GRP_CORE_ERROR, GRP_CORE_ERROR_JOIN_TIMEOUT);
  net_clear (&net);
}

static void
test_leader_crash_two_members (void)
{
  Net net;
  TNode *a, *b;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 2);
  a = &net.nodes[0];
  b = &net.nodes[1];
  multicast (b, 2);
  advance (&net, 30);
  /* kill -9 of the leader: b's connection to it is reset. */
  a->alive = FALSE;
  grp_core_unreachable (b->core, a->id, TRUE, net.now);
  advance (&net, 20);
  g_assert_true (grp_core_is_leader (b->core));
  g_assert_cmpuint (grp_core_get_view (b->core)->n_members, ==, 1);
  multicast (b, 3);
  g_assert_cmpuint (grp_core_get_pending (b->core), ==, 0);
  net_clear (&net);
}

static void
test_minority_blocks (void)
{
  Net net;
  TNode *a, *b;
  guint64 view;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 2);
  a = &net.nodes[0];
  b = &net.nodes[1];
  view = grp_core_get_view (b->core)->id;
  /* Cut off first, then the leader dies out of sight: b cannot know what
   * a decided meanwhile, so it must not form a view on its own. */
  b->cut = TRUE;
  advance (&net, 300);
  a->alive = FALSE;
  b->cut = FALSE;
  grp_core_unreachable (b->core, a->id, FALSE, net.now);
  advance (&net, 500);
  g_assert_cmpuint (grp_core_get_view (b->core)->id, ==, view);
  g_assert_false (grp_core_is_leader (b->core));
  net_clear (&net);
}

static void
test_failover_repairs (void)
{
  Net net;
  TNode *a, *b, *c;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 3);
  a = &net.nodes[0];
  b = &net.nodes[1];
  c = &net.nodes[2];
  multicast (a, 1);
  advance (&net, 30);
  /* The leader sequences one more, reaches c but not b, and dies. */
  {
    guint len = g_queue_get_length (&net.flights);

    multicast (a, 17);
    while (g_queue_get_length (&net.flights) > len)
      {
        Flight *f = g_queue_pop_tail (&net.flights);

        if (f->to == 2 && f->msg->type == GRP_MSG_SEQ)
          {
            grp_core_receive (c->core, f->msg, net.now);
          }
        grp_msg_unref (f->msg);
        g_free (f);
      }
  }
  a->alive = FALSE;
  grp_core_unreachable (b->core, a->id, TRUE, net.now);
  grp_core_unreachable (c->core, a->id, TRUE, net.now);
  advance (&net, 50);
  g_assert_true (grp_core_is_leader (b->core));
  /* b got the message it missed from c before the new view. */
  assert_same_history (&net, b, c);
  g_assert_cmpuint (grp_core_get_delivered (b->core), ==, grp_core_get_delivered (c->core));
  net_clear (&net);
}

static void
test_request_in_flight (void)
{
  Net net;
  TNode *a, *b, *c;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 3);
  a = &net.nodes[0];
  b = &net.nodes[1];
  c = &net.nodes[2];
  /* c's request is lost with the leader: it goes to the next leader. */
  a->alive = FALSE;
  multicast (c, 11);
  pump (&net);
  g_assert_cmpuint (grp_core_get_pending (c->core), ==, 1);
  grp_core_unreachable (b->core, a->id, TRUE, net.now);
  grp_core_unreachable (c->core, a->id, TRUE, net.now);
  advance (&net, 50);
  g_assert_cmpuint (grp_core_get_pending (c->core), ==, 0);
  assert_same_history (&net, b, c);
  g_assert_cmpuint (g_array_index (b->ctrs, guint64, b->ctrs->len - 1), ==, 1);
  net_clear (&net);
}

static void
test_safe_delivery (void)
{
  Net net;
  TNode *a, *b, *c;
  guint64 before;

  net_init (&net, GRP_DELIVERY_SAFE);
  group (&net, 3);
  a = &net.nodes[0];
  b = &net.nodes[1];
  c = &net.nodes[2];
  advance (&net, 50);
  before = grp_core_get_delivered (a->core);
  c->cut = TRUE; /* c holds nothing new: nothing is safe to deliver */
  multicast (b, 4);
  advance (&net, 40);
  g_assert_cmpuint (grp_core_get_delivered (a->core), ==, before);
  g_assert_cmpuint (grp_core_get_delivered (b->core), ==, before);
  c->cut = FALSE;
  advance (&net, 60);
  g_assert_cmpuint (grp_core_get_delivered (a->core), ==, before + 1);
  g_assert_cmpuint (grp_core_get_delivered (c->core), ==, before + 1);
  net_clear (&net);
}

static void
test_stability_bounds_log (void)
{
  Net net;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 3);
  for (int i = 0; i < 2000; i++)
    {
      multicast (&net.nodes[i % 3], (guint8) (1 + i % 20));
      if (i % 50 == 49)
        advance (&net, 25);
    }
  advance (&net, 100);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (grp_core_get_delivered (net.nodes[i].core), >=, 2000);
      g_assert_cmpuint (grp_core_get_log_size (net.nodes[i].core), <, 100);
    }
  net_clear (&net);
}

static void
test_slow_member_excluded (void)
{
  Net net;
  TNode *c;

  net_init (&net, GRP_DELIVERY_AGREED);
  net.cfg.max_lag = 50;
  group (&net, 3);
  c = &net.nodes[2];
  advance (&net, 150); /* past the fresh view's grace */
  /* c is alive (it answers pings and acks) but stops taking positions:
   * drop every SEQ to it. */
  c->drop_seq = TRUE;
  for (int i = 0; i < 200; i++)
    {
      multicast (&net.nodes[i % 2], (guint8) (1 + i % 20));
      if (i % 20 == 19)
        advance (&net, 10);
    }
  advance (&net, 100);
  g_assert_false (grp_view_contains (grp_core_get_view (net.nodes[0].core), c->id));
  /* The leader's log is bounded again once c is gone. */
  g_assert_cmpuint (grp_core_get_log_size (net.nodes[0].core), <, 60);
  net_clear (&net);
}

static void
test_leave (void)
{
  Net net;
  TNode *a, *b, *c;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 3);
  a = &net.nodes[0];
  b = &net.nodes[1];
  c = &net.nodes[2];
  grp_core_leave (b->core, net.now);
  advance (&net, 30);
  g_assert_cmpint (b->status, ==, GRP_STATUS_LEFT);
  g_assert_cmpuint (grp_core_get_view (a->core)->n_members, ==, 2);
  /* The leader leaves too: it hands over to c. */
  grp_core_leave (a->core, net.now);
  advance (&net, 30);
  g_assert_cmpint (a->status, ==, GRP_STATUS_LEFT);
  g_assert_true (grp_core_is_leader (c->core));
  g_assert_cmpuint (grp_core_get_view (c->core)->n_members, ==, 1);
  net_clear (&net);
}

/* Everyone stops at once (SIGTERM to every worker): whatever views the
 * leaves produce, no two members may install different views with one id. */
static void
test_simultaneous_leaves (void)
{
  for (guint k = 2; k <= 4; k++)
    for (guint order = 0; order < k; order++)
      {
        Net net;
        GHashTable *views = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

        net_init (&net, GRP_DELIVERY_AGREED);
        group (&net, k);
        for (guint i = 0; i < k; i++)
          grp_core_leave (net.nodes[(i + order) % k].core, net.now);
        /* Nobody stays: no view removes them all; each leaver ends by its
         * leave timeout (join_timeout, 1 s here). */
        for (int t = 0; t < 1200; t += 5)
          {
            advance (&net, 5);
            for (guint i = 0; i < k; i++)
              {
                const GrpView *v = grp_core_get_view (net.nodes[i].core);
                GrpId *leader = g_hash_table_lookup (views, &v->id);

                if (leader == NULL)
                  g_hash_table_insert (views, g_memdup2 (&v->id, sizeof v->id),
                                       g_memdup2 (&v->members[0].id, sizeof (GrpId)));
                else
                  g_assert_cmpuint (*leader, ==, v->members[0].id);
              }
          }
        for (guint i = 0; i < k; i++)
          g_assert_cmpint (net.nodes[i].status, ==, GRP_STATUS_LEFT);
        g_hash_table_unref (views);
        net_clear (&net);
      }

  /* All but one leave at once, in every order: the one who stays ends up
   * alone and leading, the others left. */
  for (guint k = 2; k <= 4; k++)
    for (guint stay = 0; stay < k; stay++)
      {
        Net net;

        net_init (&net, GRP_DELIVERY_AGREED);
        group (&net, k);
        for (guint i = 0; i < k; i++)
          if (i != stay)
            grp_core_leave (net.nodes[i].core, net.now);
        advance (&net, 300);
        for (guint i = 0; i < k; i++)
          g_assert_cmpint (net.nodes[i].status, ==, i == stay ? GRP_STATUS_MEMBER : GRP_STATUS_LEFT);
        g_assert_true (grp_core_is_leader (net.nodes[stay].core));
        g_assert_cmpuint (grp_core_get_view (net.nodes[stay].core)->n_members, ==, 1);
        net_clear (&net);
      }
}

static void
test_false_suspicion_rejoin (void)
{
  Net net;
  TNode *a, *b, *c;

  net_init (&net, GRP_DELIVERY_AGREED);
  group (&net, 3);
  a = &net.nodes[0];
  b = &net.nodes[1];
  c = &net.nodes[2];
  /* The leader stops (SIGSTOP): its input waits, it sends nothing. */
  a->cut = TRUE;
  advance (&net, 300);
  g_assert_true (grp_core_is_leader (b->core));
  g_assert_false (grp_view_contains (grp_core_get_view (c->core), a->id));
  multicast (c, 8);
  advance (&net, 20);
  /* It comes back, still believing it leads: it is told it was left out. */
  a->cut = FALSE;
  advance (&net, 100);
  g_assert_cmpint (a->status, ==, GRP_STATUS_EXCLUDED);
  assert_same_history (&net, b, c);
  net_clear (&net);
}

static void
test_values (void)
{
  g_autoptr(GrpView) v = grp_view_new (3, 10, 2);
  g_autoptr(GrpView) w = grp_view_new (3, 10, 2);

  v->members[0].id = w->members[0].id = 7;
  v->members[1].id = w->members[1].id = 9;
  g_assert_true (grp_view_equal (v, w));
  g_assert_cmpuint (grp_view_leader (v), ==, 7);
  g_assert_cmpint (grp_view_index (v, 9), ==, 1);
  w->needs_state[1] = TRUE;
  g_assert_false (grp_view_equal (v, w));
  g_assert_cmpint (grp_ballot_cmp ((GrpBallot) { 2, 1 }, (GrpBallot) { 1, 9 }), >, 0);
  g_assert_cmpint (grp_ballot_cmp ((GrpBallot) { 2, 1 }, (GrpBallot) { 2, 9 }), <, 0);
  g_assert_cmpstr (grp_msg_type_name (GRP_MSG_PROMISE), ==, "PROMISE");
  g_assert_cmpstr (grp_msg_type_name (0), ==, "?");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/values", test_values);
  g_test_add_func ("/core/create", test_create);
  g_test_add_func ("/core/join-state-transfer", test_join_state_transfer);
  g_test_add_func ("/core/total-order", test_total_order);
  g_test_add_func ("/core/duplicate-request", test_duplicate_request);
  g_test_add_func ("/core/batching", test_batching);
  g_test_add_func ("/core/group-window", test_group_window);
  g_test_add_func ("/core/fencing", test_fencing);
  g_test_add_func ("/core/name-taken", test_name_taken);
  g_test_add_func ("/core/join-timeout", test_join_timeout);
  g_test_add_func ("/core/leader-crash-two-members", test_leader_crash_two_members);
  g_test_add_func ("/core/minority-blocks", test_minority_blocks);
  g_test_add_func ("/core/failover-repairs", test_failover_repairs);
  g_test_add_func ("/core/request-in-flight", test_request_in_flight);
  g_test_add_func ("/core/safe-delivery", test_safe_delivery);
  g_test_add_func ("/core/stability-bounds-log", test_stability_bounds_log);
  g_test_add_func ("/core/slow-member-excluded", test_slow_member_excluded);
  g_test_add_func ("/core/leave", test_leave);
  g_test_add_func ("/core/false-suspicion-rejoin", test_false_suspicion_rejoin);
  g_test_add_func ("/core/simultaneous-leaves", test_simultaneous_leaves);
  return g_test_run ();
}
