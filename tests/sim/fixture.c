/* fixture.c: the simulated cluster, its network and the invariant checker.
 *
 * Invariants (checked after every step, unless said otherwise):
 *  (a) any two members' delivered sequences agree where they overlap;
 *  (b) no member delivers a position twice or skips one;
 *  (c) every multicast of a member that converged is delivered by every
 *      member that converged (grp_fixture_check_all_delivered);
 *  (d) members that deliver a view agree on its members and position, and
 *      by (a) on everything before it;
 *  (e) colors agree at every position, newcomers' state included;
 *  (f) at most one view (hence one leader) per view id;
 *  (g) the members that are up and not rightly blocked converge on one view
 *      holding exactly them (grp_fixture_converged).
 * With agreed delivery a member that crashes or is left out may have
 * delivered, in its last view, positions the group later fills differently
 * (that is what "agreed" allows); such a member's deliveries past its last
 * view are exempt from (a).  With safe delivery nothing is exempt.
 */
#include "fixture.h"

#include "grp-color.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define MS GRP_FIXTURE_MS

typedef enum {
  EV_MSG,
  EV_TICK,
  EV_REPORT,
  EV_FLUSH,
  EV_CALL,
  EV_RELEASE,
} EventKind;

typedef struct {
  gint64 time;
  guint64 serial;
  EventKind kind;
  int from, to;           /* node indexes */
  GrpMsg *msg;
  guint epoch;            /* EV_MSG: the link's connection when sent */
  GrpId about;            /* EV_REPORT */
  gboolean confirmed;
  GrpFixtureFunc func;    /* EV_CALL */
  gpointer data;
  gboolean dropped;       /* EV_MSG: lost after all (a reset) */
} Event;

/* A directed link between two nodes (one connection at a time). */
typedef struct {
  gint64 last_leave;      /* when the last message left the sender */
  gint64 last_arrive;     /* FIFO: nothing of this epoch arrives earlier */
  gint64 hold_until;      /* the sender's queue does not drain before */
  GQueue held;            /* Event*: waiting in the sender's queue */
  guint epoch;
} Link;

typedef struct {
  GrpFixture *f;
  int idx;
  int process;            /* incarnations of one worker share it */
  GrpId id;
  char name[24];
  GrpProto *proto;
  gboolean alive;         /* not killed */
  gboolean finished;      /* left, excluded or failed: this incarnation is over */
  gboolean paused;
  GQueue inbox;           /* Event*: read when it resumes */
  guint8 rgb[3];
  guint64 first_seq;      /* first position delivered (0: none yet) */
  guint64 last_seq;
  guint64 state_seq;      /* position the state was taken at (1 for the creator) */
  guint64 last_view_seq;
  guint n_delivered;
  guint n_views;
  GrpView *cur_view;      /* last view delivered */
  GArray *sent_ctrs;      /* own multicasts, by counter */
  int crash_after;        /* sends left before an armed crash; -1: none */
  gboolean flush_due;     /* batching: an EV_FLUSH is scheduled */
  gboolean tick_due;
  GError *error;
  GHashTable *told;       /* GrpId: confirmed reports on their way to this node */
  GHashTable *reached;    /* GrpId: nodes a message of this one reached (its
                             transport then holds their verified address) */
} Node;

typedef struct {
  GrpEntryKind kind;
  GrpId origin;
  guint64 ctr;
  guint64 view_id;
  guint8 rgb[3];
  GrpView *group_view;    /* the first deliverer's view right after it */
  GArray *witnesses;      /* node indexes */
} Record;

struct _GrpFixture {
  const GrpProtoClass *protocol;
  GrpCoreConfig cfg;
  GrpFixtureNet net;
  GRand *rand;
  gint64 now;
  guint64 serial;
  GPtrArray *heap;        /* Event*, min-heap on (time, serial) */
  GPtrArray *nodes;       /* Node* */
  GHashTable *by_id;      /* GrpId -> Node* */
  GHashTable *links;      /* (from << 16 | to) -> Link* */
  GHashTable *cuts;       /* (process << 16 | process) -> 1 break, 2 stall */
  GQueue stalled;         /* Event*: crossed a stalled cut, delivered at the heal */
  GArray *deferred;       /* (to, about) node pairs: reports held back by a cut */
  GHashTable *records;    /* seq -> Record* */
  GHashTable *views;      /* view id -> GrpView* */
  GHashTable *origins;    /* "origin:ctr" -> seq */
  guint max_nodes;        /* auto-rejoin while fewer nodes than this */
  GrpFixtureFilter filter;
  gpointer filter_data;
  GrpFixtureSendHook hook;
  gpointer hook_data;
  GString *trace;
  char *violation;
  GrpFixtureStats stats;
};

static GrpFixture *tracing_fixture;
static gsize log_handler;

/* ---- tracing and violations ------------------------------------------ */

static void G_GNUC_PRINTF (2, 0)
vtrace (GrpFixture *f, const char *fmt, va_list ap)
{
  if (f->trace == NULL)
    return;
  g_string_append_printf (f->trace, "%8.3f ms  ", f->now / 1000.0);
  g_string_append_vprintf (f->trace, fmt, ap);
  g_string_append_c (f->trace, '\n');
}

static void G_GNUC_PRINTF (2, 3)
trace (GrpFixture *f, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vtrace (f, fmt, ap);
  va_end (ap);
}

void
grp_fixture_note (GrpFixture *f, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vtrace (f, fmt, ap);
  va_end (ap);
}

void
grp_fixture_fail (GrpFixture *f, const char *fmt, ...)
{
  va_list ap;

  if (f->violation != NULL)
    return;
  va_start (ap, fmt);
  f->violation = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  trace (f, "VIOLATION: %s", f->violation);
}

const char *
grp_fixture_violation (GrpFixture *f)
{
  return f->violation;
}

/* The core's g_debug lines (view installed, leader suspected, ...) go into
 * the trace, between the network events that caused them. */
static void
log_to_trace (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE))
    {
      if (tracing_fixture != NULL)
        trace (tracing_fixture, "  [%s] %s", g_str_equal (domain, "groupy-core") ? "core" : "stage",
               message);
    }
  else
    g_log_default_handler (domain, level, message, data);
}

void
grp_fixture_set_tracing (GrpFixture *f, gboolean on)
{
  if (on && f->trace == NULL)
    f->trace = g_string_new (NULL);
  else if (!on && f->trace != NULL)
    {
      g_string_free (f->trace, TRUE);
      f->trace = NULL;
    }
  tracing_fixture = on ? f : NULL;
}

const char *
grp_fixture_trace (GrpFixture *f)
{
  return f->trace ? f->trace->str : "";
}

/* ---- randomness --------------------------------------------------------- */

static gint64
rand_range (GrpFixture *f, gint64 lo, gint64 hi)
{
  if (hi <= lo)
    return lo;
  return lo + (gint64) (g_rand_double (f->rand) * (double) (hi - lo));
}

static gboolean
chance (GrpFixture *f, double p)
{
  return p > 0 && g_rand_double (f->rand) < p;
}

/* One message's time on the wire: mostly short, now and then very long
 * (a retransmission, a scheduler that ran something else first). */
static gint64
wire_delay (GrpFixture *f)
{
  gint64 d = rand_range (f, f->net.delay_min, f->net.delay_max);

  if (chance (f, f->net.tail_p))
    {
      double u = 1.0 - g_rand_double (f->rand);
      double tail = (double) f->net.tail_scale * (pow (u, -1.0 / 1.2) - 1.0);

      d += (gint64) MIN (tail, (double) f->net.tail_max);
    }
  return d;
}

GRand *
grp_fixture_rand (GrpFixture *f)
{
  return f->rand;
}

/* ---- the event heap ----------------------------------------------------- */

static gboolean
ev_less (Event *a, Event *b)
{
  return a->time < b->time || (a->time == b->time && a->serial < b->serial);
}

static void
heap_push (GrpFixture *f, Event *ev)
{
  GPtrArray *h = f->heap;
  guint i;

  ev->serial = f->serial++;
  g_ptr_array_add (h, ev);
  i = h->len - 1;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      gpointer t;

      if (!ev_less (h->pdata[i], h->pdata[parent]))
        break;
      t = h->pdata[i];
      h->pdata[i] = h->pdata[parent];
      h->pdata[parent] = t;
      i = parent;
    }
}

static Event *
heap_pop (GrpFixture *f)
{
  GPtrArray *h = f->heap;
  Event *top;
  guint i = 0;

  if (h->len == 0)
    return NULL;
  top = h->pdata[0];
  h->pdata[0] = h->pdata[h->len - 1];
  g_ptr_array_set_size (h, h->len - 1);
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      gpointer t;

      if (l < h->len && ev_less (h->pdata[l], h->pdata[m]))
        m = l;
      if (r < h->len && ev_less (h->pdata[r], h->pdata[m]))
        m = r;
      if (m == i)
        break;
      t = h->pdata[i];
      h->pdata[i] = h->pdata[m];
      h->pdata[m] = t;
      i = m;
    }
  return top;
}

static Event *
event_new (EventKind kind, gint64 time)
{
  Event *ev = g_new0 (Event, 1);

  ev->kind = kind;
  ev->time = time;
  ev->from = ev->to = -1;
  return ev;
}

static void
event_free (Event *ev)
{
  g_clear_pointer (&ev->msg, grp_msg_unref);
  g_free (ev);
}

/* ---- nodes -------------------------------------------------------------- */

static Node *
node_at (GrpFixture *f, int idx)
{
  return g_ptr_array_index (f->nodes, idx);
}

static gboolean
node_up (Node *n)
{
  return n->alive && !n->finished;
}

static Node *
node_by_id (GrpFixture *f, GrpId id)
{
  return g_hash_table_lookup (f->by_id, &id);
}

guint
grp_fixture_n_nodes (GrpFixture *f)
{
  return f->nodes->len;
}

GrpProto *
grp_fixture_proto (GrpFixture *f, int node)
{
  return node_at (f, node)->proto;
}

GrpCore *
grp_fixture_core (GrpFixture *f, int node)
{
  return grp_proto_get_core (node_at (f, node)->proto);
}

const char *
grp_fixture_name (GrpFixture *f, int node)
{
  return node_at (f, node)->name;
}

int
grp_fixture_process (GrpFixture *f, int node)
{
  return node_at (f, node)->process;
}

int
grp_fixture_node_of (GrpFixture *f, GrpId id)
{
  Node *n = node_by_id (f, id);

  return n ? n->idx : -1;
}

gboolean
grp_fixture_up (GrpFixture *f, int node)
{
  return node_up (node_at (f, node));
}

gboolean
grp_fixture_killed (GrpFixture *f, int node)
{
  return !node_at (f, node)->alive;
}

gboolean
grp_fixture_paused (GrpFixture *f, int node)
{
  return node_at (f, node)->paused;
}

int
grp_fixture_leader (GrpFixture *f)
{
  for (guint i = 0; i < f->nodes->len; i++)
    if (node_up (node_at (f, i)) && grp_proto_is_leader (node_at (f, i)->proto))
      return (int) i;
  return -1;
}

const guint8 *
grp_fixture_color (GrpFixture *f, int node)
{
  return node_at (f, node)->rgb;
}

guint64
grp_fixture_last_seq (GrpFixture *f, int node)
{
  return node_at (f, node)->last_seq;
}

guint
grp_fixture_n_delivered (GrpFixture *f, int node)
{
  return node_at (f, node)->n_delivered;
}

guint
grp_fixture_n_views (GrpFixture *f, int node)
{
  return node_at (f, node)->n_views;
}

const GrpView *
grp_fixture_view (GrpFixture *f, int node)
{
  return node_at (f, node)->cur_view;
}

const GError *
grp_fixture_error (GrpFixture *f, int node)
{
  return node_at (f, node)->error;
}

const GrpFixtureStats *
grp_fixture_stats (GrpFixture *f)
{
  return &f->stats;
}

gint64
grp_fixture_now (GrpFixture *f)
{
  return f->now;
}

/* ---- links and cuts ----------------------------------------------------- */

static Link *
link_get (GrpFixture *f, int from, int to)
{
  guint key = (guint) from << 16 | (guint) to;
  Link *l = g_hash_table_lookup (f->links, GUINT_TO_POINTER (key));

  if (l == NULL)
    {
      l = g_new0 (Link, 1);
      g_queue_init (&l->held);
      g_hash_table_insert (f->links, GUINT_TO_POINTER (key), l);
    }
  return l;
}

static void
link_free (gpointer data)
{
  Link *l = data;

  g_queue_clear_full (&l->held, (GDestroyNotify) event_free);
  g_free (l);
}

/* 0: connected; 1: cut, what crosses is lost; 2: cut, stalled. */
static int
cut_mode (GrpFixture *f, int from, int to)
{
  guint key = (guint) node_at (f, from)->process << 16 | (guint) node_at (f, to)->process;

  return GPOINTER_TO_INT (g_hash_table_lookup (f->cuts, GUINT_TO_POINTER (key)));
}

static gboolean
cut_either (GrpFixture *f, int a, int b)
{
  return cut_mode (f, a, b) != 0 || cut_mode (f, b, a) != 0;
}

/* The message leaves the sender now (or when its queue drains) and
 * crosses the wire; FIFO within the link's connection. */
static void
transmit (GrpFixture *f, Link *l, Event *ev)
{
  gint64 leave = MAX (f->now, l->last_leave);
  gint64 arrive;

  l->last_leave = leave;
  arrive = leave + wire_delay (f);
  if (ev->epoch == l->epoch)
    arrive = MAX (arrive, l->last_arrive);
  l->last_arrive = MAX (l->last_arrive, arrive);
  ev->time = arrive;
  heap_push (f, ev);
}

static void
link_drain (GrpFixture *f, Link *l)
{
  Event *ev;

  while ((ev = g_queue_pop_head (&l->held)) != NULL)
    transmit (f, l, ev);
}

/* The in-flight messages of from -> to, oldest first. */
static GPtrArray *
in_flight (GrpFixture *f, int from, int to, guint epoch_below)
{
  GPtrArray *a = g_ptr_array_new ();

  for (guint i = 0; i < f->heap->len; i++)
    {
      Event *ev = f->heap->pdata[i];

      if (ev->kind == EV_MSG && ev->from == from && ev->to == to && !ev->dropped &&
          ev->epoch < epoch_below)
        g_ptr_array_add (a, ev);
    }
  for (GList *l = f->stalled.head; l != NULL; l = l->next)
    {
      Event *ev = l->data;

      if (ev->from == from && ev->to == to && !ev->dropped && ev->epoch < epoch_below)
        g_ptr_array_add (a, ev);
    }
  return a;
}

static int
by_serial (gconstpointer a, gconstpointer b)
{
  const Event *x = *(Event **) a, *y = *(Event **) b;

  return x->serial < y->serial ? -1 : x->serial > y->serial;
}

/* What a broken connection had not delivered: a suffix, of random length. */
static void
lose_suffix (GrpFixture *f, int from, int to, guint epoch_below)
{
  g_autoptr(GPtrArray) a = in_flight (f, from, to, epoch_below);
  guint keep;

  g_ptr_array_sort (a, by_serial);
  keep = (guint) rand_range (f, 0, (gint64) a->len + 1);
  for (guint i = keep; i < a->len; i++)
    ((Event *) a->pdata[i])->dropped = TRUE;
  if (a->len > keep)
    trace (f, "%s -> %s: %u messages lost with the connection", node_at (f, from)->name,
           node_at (f, to)->name, a->len - keep);
}

void
grp_fixture_reconnect (GrpFixture *f, int from, int to)
{
  Link *l = link_get (f, from, to);

  trace (f, "RECONNECT %s -> %s", node_at (f, from)->name, node_at (f, to)->name);
  l->epoch++;
  lose_suffix (f, from, to, l->epoch);
  /* The new connection's messages need not wait for the old one's. */
  l->last_arrive = f->now;
}

void
grp_fixture_hold (GrpFixture *f, int from, int to, gint64 until)
{
  Link *l = link_get (f, from, to);

  trace (f, "HOLD %s -> %s until %.3f ms", node_at (f, from)->name, node_at (f, to)->name,
         until == G_MAXINT64 ? -1.0 : until / 1000.0);
  l->hold_until = MAX (l->hold_until, until);
  if (until != G_MAXINT64)
    {
      Event *ev = event_new (EV_RELEASE, until);

      ev->from = from;
      ev->to = to;
      heap_push (f, ev);
    }
}

void
grp_fixture_release (GrpFixture *f, int from, int to)
{
  Link *l = link_get (f, from, to);

  l->hold_until = 0;
  link_drain (f, l);
}

static void
set_cut (GrpFixture *f, int pa, int pb, int mode)
{
  guint key = (guint) pa << 16 | (guint) pb;

  g_hash_table_insert (f->cuts, GUINT_TO_POINTER (key), GINT_TO_POINTER (mode));
}

void
grp_fixture_cut (GrpFixture *f, int a, int b, gboolean both, gboolean stall)
{
  int pa = node_at (f, a)->process, pb = node_at (f, b)->process;

  trace (f, "CUT %s %s %s (%s)", node_at (f, a)->name, both ? "<->" : "->", node_at (f, b)->name,
         stall ? "stalls" : "breaks");
  set_cut (f, pa, pb, stall ? 2 : 1);
  if (both)
    set_cut (f, pb, pa, stall ? 2 : 1);
}

void
grp_fixture_partition (GrpFixture *f, const int *side, guint n, gboolean stall)
{
  trace (f, "PARTITION (%s)", stall ? "stalls" : "breaks");
  for (guint a = 0; a < n; a++)
    for (guint b = 0; b < n; b++)
      if (side[a] != side[b])
        set_cut (f, (int) a, (int) b, stall ? 2 : 1);
}

gboolean
grp_fixture_partitioned (GrpFixture *f)
{
  return g_hash_table_size (f->cuts) > 0;
}

static void schedule_report (GrpFixture *f, int to, int about, gboolean confirmed, gint64 delay);

void
grp_fixture_heal (GrpFixture *f)
{
  Event *ev;
  g_autoptr(GArray) deferred = NULL;

  if (g_hash_table_size (f->cuts) == 0 && f->stalled.length == 0 && f->deferred->len == 0)
    return;
  trace (f, "HEAL");
  g_hash_table_remove_all (f->cuts);
  /* TCP retransmits what the stalled connections held, in order -- unless
   * a connection timed out meanwhile: then what it held is lost, and the
   * sender's transport says the peer is unreachable (not certain). */
  {
    g_autoptr(GHashTable) broke = g_hash_table_new (NULL, NULL);

    while ((ev = g_queue_pop_head (&f->stalled)) != NULL)
      {
        guint key = (guint) ev->from << 16 | (guint) ev->to;
        gpointer verdict;

        if (!g_hash_table_lookup_extended (broke, GUINT_TO_POINTER (key), NULL, &verdict))
          {
            verdict = GINT_TO_POINTER (chance (f, f->net.stall_break) ? 2 : 1);
            g_hash_table_insert (broke, GUINT_TO_POINTER (key), verdict);
            if (GPOINTER_TO_INT (verdict) == 2)
              {
                trace (f, "%s -> %s: the stalled connection timed out", node_at (f, ev->from)->name,
                       node_at (f, ev->to)->name);
                link_get (f, ev->from, ev->to)->epoch++;
                schedule_report (f, ev->from, ev->to, FALSE, rand_range (f, 0, 2 * MS));
              }
          }
        if (ev->dropped || GPOINTER_TO_INT (verdict) == 2)
          {
            event_free (ev);
            continue;
          }
        transmit (f, link_get (f, ev->from, ev->to), ev);
      }
  }
  /* After the heal the peer finds the port closed: certain. */
  deferred = g_steal_pointer (&f->deferred);
  f->deferred = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i + 1 < deferred->len; i += 2)
    schedule_report (f, g_array_index (deferred, int, i), g_array_index (deferred, int, i + 1),
                     TRUE, rand_range (f, f->net.report_min, f->net.report_max));
}

void
grp_fixture_calm (GrpFixture *f)
{
  GHashTableIter iter;
  gpointer key, value;

  grp_fixture_heal (f);
  g_hash_table_iter_init (&iter, f->links);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Link *l = value;

      l->hold_until = 0;
      link_drain (f, l);
    }
  for (guint i = 0; i < f->nodes->len; i++)
    grp_fixture_resume (f, (int) i);
}

/* ---- crash reports ------------------------------------------------------ */

/* Whether the transport of `n` holds a verified address of `a`: one where
 * a message of `n` reached `a` (grp-transport.h: what `a` advertises when
 * it dials `n` is not). */
static gboolean
verified (Node *n, Node *a)
{
  return g_hash_table_contains (n->reached, &a->id);
}

/* Whether the transport of `n` has an address to dial `a` at when the core
 * gives none: a verified one, or the one `a` advertised on a connection it
 * dialed to `n` (grp_transport_send). */
static gboolean
has_address (Node *n, Node *a)
{
  return verified (n, a) || g_hash_table_contains (a->reached, &n->id);
}

static void
schedule_report (GrpFixture *f, int to, int about, gboolean confirmed, gint64 delay)
{
  Node *n = node_at (f, to), *a = node_at (f, about);
  Event *ev;

  if (!node_up (n) || n == a)
    return;
  if (confirmed)
    {
      /* The end of `about` reaches `to` on their connections, after what
       * they carry (TCP delivers the data before the FIN): not before the
       * last message on its way.  Whether it is certain is known only
       * then (EV_REPORT). */
      Link *l = link_get (f, about, to);

      delay = MAX (delay, l->last_arrive + 1 - f->now);
      if (g_hash_table_contains (n->told, &a->id))
        return;
      if (cut_either (f, to, about))
        {
          int pair[2] = { to, about };

          g_array_append_vals (f->deferred, pair, 2);
          return;
        }
      g_hash_table_add (n->told, g_memdup2 (&a->id, sizeof a->id));
    }
  ev = event_new (EV_REPORT, f->now + delay);
  ev->to = to;
  ev->about = a->id;
  ev->confirmed = confirmed;
  heap_push (f, ev);
}

void
grp_fixture_report (GrpFixture *f, int to, int about)
{
  schedule_report (f, to, about, FALSE, 0);
}

/* Every peer that is up hears that `n` is gone for good: its connections
 * closed without a goodbye (a kill), or it said goodbye as an incarnation
 * that ended. */
static void
tell_everyone (GrpFixture *f, Node *n)
{
  for (guint i = 0; i < f->nodes->len; i++)
    {
      Node *p = node_at (f, i);

      if (p != n && node_up (p))
        schedule_report (f, p->idx, n->idx, TRUE,
                         rand_range (f, f->net.report_min, f->net.report_max));
    }
}

/* ---- callbacks from the cores ------------------------------------------- */

static void schedule_flush (GrpFixture *f, Node *n);
static void fixture_kill (GrpFixture *f, Node *n, const char *why);
static gboolean maybe_arm_crash (GrpFixture *f, Node *n);
static void disarm (Node *n, gboolean armed);

static void
cb_send (GrpProto *proto, GrpId to, const char *addr, GrpMsg *msg, gpointer user_data)
{
  Node *n = user_data;
  GrpFixture *f = n->f;
  Node *dest = node_by_id (f, to);
  Link *l;
  int copies = 1;

  if (!n->alive)
    return;
  if (n->crash_after >= 0)
    {
      if (n->crash_after == 0)
        {
          fixture_kill (f, n, "injected crash part-way through a broadcast");
          return;
        }
      n->crash_after--;
    }
  if (f->hook != NULL)
    f->hook (f, n->idx, dest ? dest->idx : -1, msg, f->hook_data);
  if (!n->alive || dest == NULL)
    return; /* the hook killed it, or nobody is there */
  if (f->cfg.max_msg_bytes != 0 && f->protocol == grp_proto_default ())
    {
      GPtrArray *entries = grp_msg_entries (msg);
      gsize size = grp_msg_entries_size (msg);

      if (entries != NULL && entries->len > 1 && size > f->cfg.max_msg_bytes)
        grp_fixture_fail (f, "%s sends a %s of %" G_GSIZE_FORMAT " bytes of entries "
                          "(bound %" G_GSIZE_FORMAT ")",
                          n->name, grp_msg_type_name (msg->type), size, f->cfg.max_msg_bytes);
    }
  if (addr == NULL && !has_address (n, dest))
    {
      /* The transport sends only where it can dial (grp-transport.h): to
       * an address the core knows, or one it verified itself. */
      trace (f, "%s -> %s %s: no address, not sent", n->name, dest->name,
             grp_msg_type_name (msg->type));
      return;
    }
  trace (f, "%s -> %s %s v%" G_GUINT64_FORMAT, n->name, dest->name, grp_msg_type_name (msg->type),
         msg->view);
  if (!node_up (dest))
    {
      /* Dialing a process that is gone is refused; an incarnation that
       * ended is answered by its next one: either way, certain. */
      schedule_report (f, n->idx, dest->idx, TRUE, rand_range (f, 100, 2 * MS));
      return;
    }
  if (f->filter != NULL &&
      f->filter (f, n->idx, dest->idx, msg, f->filter_data) == GRP_FIXTURE_DROP)
    return;
  if (chance (f, f->net.loss))
    return;
  if (chance (f, f->net.reconnect))
    grp_fixture_reconnect (f, n->idx, dest->idx);
  if (chance (f, f->net.dup))
    copies = 2;
  l = link_get (f, n->idx, dest->idx);
  for (int c = 0; c < copies; c++)
    {
      Event *ev = event_new (EV_MSG, 0);

      ev->from = n->idx;
      ev->to = dest->idx;
      ev->msg = grp_msg_ref (msg);
      ev->epoch = l->epoch;
      if (l->hold_until > f->now || l->held.length > 0)
        g_queue_push_tail (&l->held, ev);
      else
        transmit (f, l, ev);
    }
}

/* ---- the worker and the checker ------------------------------------------ */

static Record *
record_new (Node *n, GrpEntryKind kind, GrpId origin, guint64 ctr, guint64 view_id,
            const GrpView *view_now)
{
  Record *r = g_new0 (Record, 1);

  r->group_view = view_now ? grp_view_ref ((GrpView *) view_now) : NULL;
  r->kind = kind;
  r->origin = origin;
  r->ctr = ctr;
  r->view_id = view_id;
  memcpy (r->rgb, n->rgb, 3);
  r->witnesses = g_array_new (FALSE, FALSE, sizeof (int));
  g_array_append_val (r->witnesses, n->idx);
  return r;
}

static void
record_free (Record *r)
{
  g_array_unref (r->witnesses);
  g_clear_pointer (&r->group_view, grp_view_unref);
  g_free (r);
}

/* May the deliveries of `w` at `seq` differ from the group's?  Only with
 * agreed delivery, and only when w was left out of the group (the view the
 * deliverer holds is newer than w's last one and does not list it) and
 * `seq` lies past w's last view.  A view no newer than w's own cannot have
 * left w out: w may simply have joined after it. */
static gboolean
exempt (GrpFixture *f, Node *w, const GrpView *by_view, guint64 seq)
{
  if (f->cfg.delivery == GRP_DELIVERY_SAFE)
    return FALSE;
  if (by_view != NULL && grp_view_contains (by_view, w->id))
    return FALSE;
  if (by_view != NULL && w->cur_view != NULL && by_view->id <= w->cur_view->id)
    return FALSE;
  return w->last_view_seq < seq;
}

/* Returns FALSE when the delivery is not part of the group's history (a
 * member left out, delivering past its last view). */
static gboolean
check_position (GrpFixture *f, Node *n, guint64 seq, GrpEntryKind kind, GrpId origin, guint64 ctr,
                guint64 view_id, const GrpView *view_now)
{
  Record *r;

  /* (b) no duplicates, no gaps */
  if (n->last_seq == 0)
    {
      if (seq != n->state_seq)
        grp_fixture_fail (f, "%s starts delivering at %" G_GUINT64_FORMAT
                          " but its state is as of %" G_GUINT64_FORMAT, n->name, seq, n->state_seq);
      n->first_seq = seq;
    }
  else if (seq != n->last_seq + 1)
    grp_fixture_fail (f, "%s delivers position %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT
                      " (gap or duplicate)", n->name, seq, n->last_seq);
  n->last_seq = seq;
  f->stats.deliveries++;

  /* (a), (d), (e): one record per position */
  r = g_hash_table_lookup (f->records, &seq);
  if (r == NULL)
    {
      g_hash_table_insert (f->records, g_memdup2 (&seq, sizeof seq),
                           record_new (n, kind, origin, ctr, view_id, view_now));
      return TRUE;
    }
  if (r->kind == kind && r->origin == origin && r->ctr == ctr && r->view_id == view_id &&
      memcmp (r->rgb, n->rgb, 3) == 0)
    {
      g_array_append_val (r->witnesses, n->idx);
      return TRUE;
    }
  /* The deliverer itself may be the one left out: a stale member that had
   * not yet learnt it was excluded.  Its position is not the group's. */
  if (exempt (f, n, r->group_view, seq))
    {
      trace (f, "%s delivered position %" G_GUINT64_FORMAT " after it was left out", n->name, seq);
      return FALSE;
    }
  for (guint i = 0; i < r->witnesses->len; i++)
    {
      Node *w = node_at (f, g_array_index (r->witnesses, int, i));

      if (exempt (f, w, view_now, seq))
        continue;
      if (r->kind == kind && r->origin == origin && r->ctr == ctr && r->view_id == view_id)
        grp_fixture_fail (f, "colors differ at position %" G_GUINT64_FORMAT ": %s has (%d,%d,%d), "
                          "%s has (%d,%d,%d)", seq, w->name, r->rgb[0], r->rgb[1], r->rgb[2],
                          n->name, n->rgb[0], n->rgb[1], n->rgb[2]);
      else
        grp_fixture_fail (f, "members disagree at position %" G_GUINT64_FORMAT
                          ": %s delivered %s %" G_GINT64_MODIFIER "x#%" G_GUINT64_FORMAT
                          " (view %" G_GUINT64_FORMAT "), %s "
                          "delivered %s %" G_GINT64_MODIFIER "x#%" G_GUINT64_FORMAT
                          " (view %" G_GUINT64_FORMAT ")",
                          seq, w->name, r->kind == GRP_ENTRY_DATA ? "data" : "view",
                          r->origin, r->ctr, r->view_id, n->name,
                          kind == GRP_ENTRY_DATA ? "data" : "view", origin, ctr, view_id);
      return FALSE;
    }
  /* Every earlier witness was left out and delivered past its last view:
   * the group's position is the one delivered now. */
  trace (f, "position %" G_GUINT64_FORMAT " re-filled after its earlier deliverers were excluded",
         seq);
  if (r->kind == GRP_ENTRY_DATA)
    {
      /* The multicast that was there is no longer known delivered at it. */
      char key[48];
      guint64 *at;

      g_snprintf (key, sizeof key, "%" G_GINT64_MODIFIER "x:%" G_GUINT64_FORMAT, r->origin, r->ctr);
      at = g_hash_table_lookup (f->origins, key);
      if (at != NULL && *at == seq)
        g_hash_table_remove (f->origins, key);
    }
  g_hash_table_replace (f->records, g_memdup2 (&seq, sizeof seq),
                        record_new (n, kind, origin, ctr, view_id, view_now));
  return TRUE;
}

static void
cb_deliver (GrpProto *proto, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload,
            gpointer user_data)
{
  Node *n = user_data;
  GrpFixture *f = n->f;
  gsize len;
  const guint8 *p = g_bytes_get_data (payload, &len);
  char key[48];
  guint64 *known;

  if (!n->alive)
    return; /* the process died before this point */
  if (len != 1 || p[0] < 1 || p[0] > 20)
    {
      grp_fixture_fail (f, "%s delivered a payload that nobody sent", n->name);
      return;
    }
  grp_color_apply (n->rgb, p[0]);
  n->n_delivered++;
  trace (f, "%s delivers %" G_GUINT64_FORMAT ": change %d from %" G_GINT64_MODIFIER
         "x#%" G_GUINT64_FORMAT " -> (%d,%d,%d)",
         n->name, seq, p[0], origin, ctr, n->rgb[0], n->rgb[1], n->rgb[2]);
  if (!check_position (f, n, seq, GRP_ENTRY_DATA, origin, ctr, 0, n->cur_view))
    return;

  /* Exactly once across the group: (origin, ctr) holds one position. */
  g_snprintf (key, sizeof key, "%" G_GINT64_MODIFIER "x:%" G_GUINT64_FORMAT, origin, ctr);
  known = g_hash_table_lookup (f->origins, key);
  if (known == NULL)
    g_hash_table_insert (f->origins, g_strdup (key), g_memdup2 (&seq, sizeof seq));
  else if (*known != seq)
    {
      Record *old = g_hash_table_lookup (f->records, known);

      if (old != NULL && old->kind == GRP_ENTRY_DATA && old->origin == origin && old->ctr == ctr &&
          exempt (f, n, old->group_view, seq))
        {
          /* The deliverer is the one left out (a view newer than its own,
           * without it, delivered the multicast first), delivering past
           * its last view: not the group's history, as check_position
           * treats a position the group filled first (guarantee 8).  The
           * group's position stands. */
          trace (f, "%s delivered %s again at %" G_GUINT64_FORMAT " after it was left out",
                 n->name, key, seq);
          return;
        }
      if (old != NULL && old->kind == GRP_ENTRY_DATA && old->origin == origin && old->ctr == ctr)
        {
          /* Fine only if everyone who delivered it there was left out (a
           * leader that delivered and died): the group re-sequenced it. */
          for (guint i = 0; i < old->witnesses->len; i++)
            if (!exempt (f, node_at (f, g_array_index (old->witnesses, int, i)), n->cur_view,
                         *known))
              {
                grp_fixture_fail (f, "multicast %s delivered at positions %" G_GUINT64_FORMAT
                                  " and %" G_GUINT64_FORMAT, key, *known, seq);
                break;
              }
        }
      *known = seq;
    }
}

static void
cb_view (GrpProto *proto, GrpView *view, gpointer user_data)
{
  Node *n = user_data;
  GrpFixture *f = n->f;
  GrpView *known;

  if (!n->alive)
    return;
  trace (f, "%s delivers view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT " led by %s, %u members",
         n->name, view->id, view->seq, view->members[0].name, view->n_members);
  f->stats.views++;
  n->n_views++;
  /* (d), (f): one view per id, the same everywhere */
  known = g_hash_table_lookup (f->views, &view->id);
  if (known == NULL)
    g_hash_table_insert (f->views, g_memdup2 (&view->id, sizeof view->id), grp_view_ref (view));
  else if (!grp_view_equal (known, view))
    grp_fixture_fail (f, "two different views with id %" G_GUINT64_FORMAT
                      ": led by %s at %" G_GUINT64_FORMAT " and led by %s at %" G_GUINT64_FORMAT,
                      view->id, known->members[0].name, known->seq,
                      view->members[0].name, view->seq);
  if (n->cur_view != NULL && view->id <= n->cur_view->id)
    grp_fixture_fail (f, "%s delivers view %" G_GUINT64_FORMAT " after view %" G_GUINT64_FORMAT,
                      n->name, view->id, n->cur_view->id);
  g_clear_pointer (&n->cur_view, grp_view_unref);
  n->cur_view = grp_view_ref (view);
  n->last_view_seq = view->seq;
  check_position (f, n, view->seq, GRP_ENTRY_VIEW, 0, 0, view->id, view);
}

static GBytes *
cb_get_state (GrpProto *proto, gpointer user_data)
{
  Node *n = user_data;

  return g_bytes_new (n->rgb, 3);
}

static void
cb_set_state (GrpProto *proto, guint64 seq, GBytes *state, gpointer user_data)
{
  Node *n = user_data;
  gsize len;
  const guint8 *p = g_bytes_get_data (state, &len);

  if (!n->alive)
    return;
  if (len != 3)
    {
      grp_fixture_fail (n->f, "%s received a state of %" G_GSIZE_FORMAT " bytes", n->name, len);
      return;
    }
  memcpy (n->rgb, p, 3);
  /* A newcomer's first state, or a member's that lost the positions below
   * a view (viewchange.c): its deliveries go on from the state's position. */
  n->state_seq = seq;
  n->last_seq = 0;
  trace (n->f, "%s takes state (%d,%d,%d) as of %" G_GUINT64_FORMAT, n->name, p[0], p[1], p[2],
         seq);
}

static void rejoin_later (GrpFixture *f, gpointer data);

static void
cb_status (GrpProto *proto, GrpStatus status, const GError *error, gpointer user_data)
{
  Node *n = user_data;
  GrpFixture *f = n->f;

  if (!n->alive)
    return;
  trace (f, "%s status %d%s%s", n->name, status, error ? ": " : "", error ? error->message : "");
  if (error != NULL)
    {
      g_clear_error (&n->error);
      n->error = g_error_copy (error);
    }
  if (status != GRP_STATUS_EXCLUDED && status != GRP_STATUS_FAILED && status != GRP_STATUS_LEFT)
    return;
  n->finished = TRUE;
  /* The incarnation is over: its transport says so to every peer. */
  tell_everyone (f, n);
  if (status != GRP_STATUS_LEFT && f->nodes->len < f->max_nodes)
    grp_fixture_at (f, f->now + rand_range (f, 1 * MS, 20 * MS), rejoin_later,
                    GINT_TO_POINTER (n->idx));
}

static const GrpProtoCallbacks callbacks = {
  cb_send, cb_deliver, cb_view, cb_get_state, cb_set_state, cb_status,
};

/* ---- spawning ------------------------------------------------------------ */

static void
schedule_tick (GrpFixture *f, Node *n, gint64 at)
{
  Event *ev = event_new (EV_TICK, at);

  ev->to = n->idx;
  n->tick_due = TRUE;
  heap_push (f, ev);
}

/* A member that holds the state and can admit newcomers, at random. */
static Node *
random_contact (GrpFixture *f, Node *except)
{
  g_autoptr(GPtrArray) c = g_ptr_array_new ();

  for (guint i = 0; i < f->nodes->len; i++)
    {
      Node *n = node_at (f, i);

      if (n != except && node_up (n) && grp_proto_get_status (n->proto) == GRP_STATUS_MEMBER &&
          !grp_fixture_rightly_blocked (f, n->idx))
        g_ptr_array_add (c, n);
    }
  if (c->len == 0)
    for (guint i = 0; i < f->nodes->len; i++)
      {
        Node *n = node_at (f, i);

        if (n != except && node_up (n) && grp_proto_get_status (n->proto) == GRP_STATUS_MEMBER)
          g_ptr_array_add (c, n);
      }
  if (c->len == 0)
    return NULL; /* no group left to join */
  return c->pdata[g_rand_int_range (f->rand, 0, (gint32) c->len)];
}

static Node *
node_new (GrpFixture *f, const char *name, int process)
{
  Node *n = g_new0 (Node, 1);
  GrpMember self = { 0 };
  char addr[32];

  n->f = f;
  n->idx = (int) f->nodes->len;
  n->process = process >= 0 ? process : n->idx;
  do
    n->id = ((guint64) g_rand_int (f->rand) << 32) | g_rand_int (f->rand);
  while (n->id == 0 || g_hash_table_contains (f->by_id, &n->id));
  g_strlcpy (n->name, name, sizeof n->name);
  n->alive = TRUE;
  n->crash_after = -1;
  n->sent_ctrs = g_array_new (FALSE, FALSE, sizeof (guint64));
  n->told = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  n->reached = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_queue_init (&n->inbox);
  g_snprintf (addr, sizeof addr, "sim:%d", n->idx);
  self.id = n->id;
  self.name = n->name;
  self.addr = addr;
  n->proto = grp_proto_new (f->protocol, &f->cfg, &self, &callbacks, n);
  g_ptr_array_add (f->nodes, n);
  g_hash_table_insert (f->by_id, &n->id, n);
  return n;
}

static void
start (GrpFixture *f, Node *n, Node *contact)
{
  if (contact == NULL)
    {
      n->state_seq = 1;
      trace (f, "%s creates the group", n->name);
      grp_proto_create (n->proto, f->now);
    }
  else
    {
      char addr[32];

      g_snprintf (addr, sizeof addr, "sim:%d", contact->idx);
      trace (f, "%s (%" G_GINT64_MODIFIER "x) joins through %s", n->name, n->id, contact->name);
      grp_proto_join (n->proto, contact->id, addr, f->now);
    }
  schedule_tick (f, n, f->now + rand_range (f, 0, f->net.tick));
  schedule_flush (f, n);
}

int
grp_fixture_spawn (GrpFixture *f, const char *name, int contact)
{
  Node *n;
  Node *c = NULL;

  if (f->nodes->len > 0)
    {
      c = contact >= 0 ? node_at (f, contact) : random_contact (f, NULL);
      if (c == NULL)
        return -1;
    }
  n = node_new (f, name, -1);
  start (f, n, c);
  return n->idx;
}

int
grp_fixture_rejoin (GrpFixture *f, int node, int contact)
{
  Node *old = node_at (f, node);
  Node *c = contact >= 0 ? node_at (f, contact) : random_contact (f, old);
  Node *n;

  if (c == NULL)
    return -1;
  n = node_new (f, old->name, old->process);
  start (f, n, c);
  return n->idx;
}

static void
rejoin_later (GrpFixture *f, gpointer data)
{
  Node *old = node_at (f, GPOINTER_TO_INT (data));

  if (!old->alive || f->nodes->len >= f->max_nodes)
    return;
  grp_fixture_rejoin (f, old->idx, -1);
}

void
grp_fixture_set_auto_rejoin (GrpFixture *f, guint max_nodes)
{
  f->max_nodes = max_nodes;
}

/* ---- what members do ------------------------------------------------------ */

static void
schedule_flush (GrpFixture *f, Node *n)
{
  Event *ev;

  if (!f->cfg.batch || !node_up (n) || n->flush_due || !grp_proto_has_batch (n->proto))
    return;
  /* Input that arrives before the turn ends joins the batch. */
  ev = event_new (EV_FLUSH, f->now + rand_range (f, 0, f->net.turn));
  ev->to = n->idx;
  n->flush_due = TRUE;
  heap_push (f, ev);
}

guint64
grp_fixture_multicast (GrpFixture *f, int node, guint8 change)
{
  Node *n = node_at (f, node);
  g_autoptr(GBytes) payload = g_bytes_new (&change, 1);
  guint64 ctr;
  gboolean armed;

  if (!node_up (n) || n->paused)
    return 0;
  armed = maybe_arm_crash (f, n);
  ctr = grp_proto_multicast (n->proto, payload, f->now, NULL);
  disarm (n, armed);
  if (ctr != 0 && n->alive)
    {
      g_array_append_val (n->sent_ctrs, ctr);
      trace (f, "%s multicasts change %d as #%" G_GUINT64_FORMAT, n->name, change, ctr);
    }
  schedule_flush (f, n);
  return ctr;
}

void
grp_fixture_leave (GrpFixture *f, int node)
{
  Node *n = node_at (f, node);

  if (!node_up (n) || n->paused)
    return;
  trace (f, "LEAVE %s", n->name);
  grp_proto_leave (n->proto, f->now);
  schedule_flush (f, n);
}

void
grp_fixture_arm_crash (GrpFixture *f, int node, int sends)
{
  node_at (f, node)->crash_after = sends;
}

void
grp_fixture_set_filter (GrpFixture *f, GrpFixtureFilter filter, gpointer data)
{
  f->filter = filter;
  f->filter_data = data;
}

void
grp_fixture_set_send_hook (GrpFixture *f, GrpFixtureSendHook hook, gpointer data)
{
  f->hook = hook;
  f->hook_data = data;
}

/* ---- faults ---------------------------------------------------------------- */

static void
fixture_kill (GrpFixture *f, Node *n, const char *why)
{
  if (!n->alive)
    return;
  trace (f, "KILL %s (%s)", n->name, why);
  f->stats.kills++;
  if (!n->finished && grp_proto_is_leader (n->proto))
    f->stats.leader_kills++;
  n->alive = FALSE;
  n->paused = FALSE;
  n->crash_after = -1;
  g_queue_clear_full (&n->inbox, (GDestroyNotify) event_free);
  for (guint i = 0; i < f->nodes->len; i++)
    {
      Link *l;

      if ((int) i == n->idx)
        continue;
      /* What the process had not handed to its kernel dies with it; a
       * reset may take what the kernel still held too. */
      l = link_get (f, n->idx, (int) i);
      g_queue_clear_full (&l->held, (GDestroyNotify) event_free);
      if (chance (f, f->net.reset_loss))
        lose_suffix (f, n->idx, (int) i, G_MAXUINT);
    }
  if (!n->finished)
    tell_everyone (f, n);
}

void
grp_fixture_kill (GrpFixture *f, int node)
{
  fixture_kill (f, node_at (f, node), "kill -9");
}

void
grp_fixture_pause (GrpFixture *f, int node)
{
  Node *n = node_at (f, node);

  if (!node_up (n) || n->paused)
    return;
  trace (f, "PAUSE %s", n->name);
  f->stats.pauses++;
  n->paused = TRUE;
}

void
grp_fixture_resume (GrpFixture *f, int node)
{
  Node *n = node_at (f, node);
  Event *ev;

  if (!n->paused)
    return;
  trace (f, "RESUME %s (%u messages waiting)", n->name, n->inbox.length);
  n->paused = FALSE;
  /* Its backlog is read in order, as soon as it runs. */
  while ((ev = g_queue_pop_head (&n->inbox)) != NULL)
    {
      ev->time = f->now;
      heap_push (f, ev);
    }
  if (!n->tick_due)
    schedule_tick (f, n, f->now);
}

/* ---- stepping ---------------------------------------------------------------- */

void
grp_fixture_at (GrpFixture *f, gint64 at, GrpFixtureFunc func, gpointer data)
{
  Event *ev = event_new (EV_CALL, MAX (at, f->now));

  ev->func = func;
  ev->data = data;
  heap_push (f, ev);
}

static guint
n_members_up (GrpFixture *f)
{
  guint c = 0;

  for (guint i = 0; i < f->nodes->len; i++)
    c += node_up (node_at (f, i)) &&
         grp_proto_get_status (node_at (f, i)->proto) == GRP_STATUS_MEMBER;
  return c;
}

/* The exercise's fault: the leader's next broadcast dies after a random
 * number of its sends.  Disarmed after the call that may broadcast. */
static gboolean
maybe_arm_crash (GrpFixture *f, Node *n)
{
  if (f->net.crash_rate > 0 && n->crash_after < 0 && node_up (n) &&
      grp_proto_is_leader (n->proto) &&
      n_members_up (f) > 1 && chance (f, f->net.crash_rate))
    {
      n->crash_after = g_rand_int_range (f->rand, 0,
                                         (gint32) grp_proto_get_view (n->proto)->n_members);
      return TRUE;
    }
  return FALSE;
}

static void
disarm (Node *n, gboolean armed)
{
  if (armed)
    n->crash_after = -1;
}

/* Returns TRUE if the event was consumed (FALSE: keep it, it moved). */
static gboolean
fire (GrpFixture *f, Event *ev)
{
  Node *n = ev->to >= 0 ? node_at (f, ev->to) : NULL;

  switch (ev->kind)
    {
    case EV_CALL:
      ev->func (f, ev->data);
      return TRUE;
    case EV_RELEASE:
      {
        Link *l = link_get (f, ev->from, ev->to);

        if (l->hold_until <= f->now)
          link_drain (f, l);
      }
      return TRUE;
    case EV_TICK:
      n->tick_due = FALSE;
      if (!node_up (n) || n->paused)
        return TRUE; /* ticks again when it resumes */
      grp_proto_tick (n->proto, f->now);
      if (node_up (n))
        schedule_tick (f, n, f->now + f->net.tick);
      break;
    case EV_FLUSH:
      n->flush_due = FALSE;
      if (!node_up (n) || n->paused)
        return TRUE;
      /* The end of the process's main-loop turn: what it gathered goes out
       * (and may be the broadcast an injected crash cuts). */
      {
        gboolean armed = maybe_arm_crash (f, n);

        grp_proto_flush (n->proto);
        disarm (n, armed);
      }
      break;
    case EV_REPORT:
      if (!node_up (n))
        return TRUE;
      if (n->paused)
        {
          g_queue_push_tail (&n->inbox, ev);
          return FALSE;
        }
      if (ev->confirmed)
        {
          Node *a = node_by_id (f, ev->about);

          g_hash_table_remove (n->told, &ev->about); /* a later dial fails again */
          /* A refusal (or another id) is certain only at an address
           * verified before (grp-transport.h); an incarnation that ended
           * says so itself, on the connections it has, which verify it. */
          if (a == NULL || !verified (n, a))
            ev->confirmed = FALSE;
        }
      trace (f, "%s hears %" G_GINT64_MODIFIER "x %s", n->name, ev->about,
             ev->confirmed ? "is gone (confirmed)" : "is unreachable");
      grp_proto_unreachable (n->proto, ev->about, ev->confirmed, f->now);
      break;
    case EV_MSG:
      {
        Node *from = node_at (f, ev->from);
        int mode;

        if (ev->dropped || !n->alive)
          return TRUE;
        if (n->finished)
          {
            /* Its transport closed: the sender learns it is gone. */
            schedule_report (f, from->idx, n->idx, TRUE, rand_range (f, 100, 2 * MS));
            return TRUE;
          }
        mode = cut_mode (f, ev->from, ev->to);
        if (mode == 2)
          {
            g_queue_push_tail (&f->stalled, ev);
            return FALSE;
          }
        if (mode == 1)
          return TRUE;
        if (n->paused)
          {
            g_queue_push_tail (&n->inbox, ev);
            return FALSE;
          }
        gboolean armed = ev->msg->type == GRP_MSG_REQ && maybe_arm_crash (f, n);

        trace (f, "%s <- %s %s v%" G_GUINT64_FORMAT, n->name, from->name,
               grp_msg_type_name (ev->msg->type), ev->msg->view);
        if (!g_hash_table_contains (from->reached, &n->id))
          g_hash_table_add (from->reached, g_memdup2 (&n->id, sizeof n->id));
        grp_proto_receive (n->proto, ev->msg, f->now);
        disarm (n, armed);
      }
      break;
    }
  if (n != NULL)
    schedule_flush (f, n);
  return TRUE;
}

gboolean
grp_fixture_step (GrpFixture *f)
{
  Event *ev = heap_pop (f);

  if (ev == NULL)
    return FALSE;
  f->now = MAX (f->now, ev->time);
  f->stats.events++;
  if (fire (f, ev))
    event_free (ev);
  return TRUE;
}

void
grp_fixture_run_for (GrpFixture *f, gint64 duration)
{
  gint64 end = f->now + duration;

  while (f->heap->len > 0 && ((Event *) f->heap->pdata[0])->time <= end)
    grp_fixture_step (f);
  f->now = MAX (f->now, end);
}

gboolean
grp_fixture_run_until (GrpFixture *f, GrpFixturePredicate pred, gpointer data, gint64 limit)
{
  gint64 end = f->now + limit;

  while (!pred (f, data))
    {
      if (f->heap->len == 0 || ((Event *) f->heap->pdata[0])->time > end)
        {
          f->now = MAX (f->now, end);
          return pred (f, data);
        }
      grp_fixture_step (f);
    }
  return TRUE;
}

/* ---- the end of a run ----------------------------------------------------- */

/* Is some node other than `n` up, holding the state, in a view of id at
 * least `view_id` (it holds what that view's members need, or their
 * state)? */
static gboolean
state_held_from (GrpFixture *f, Node *n, guint64 view_id)
{
  for (guint i = 0; i < f->nodes->len; i++)
    {
      Node *m = node_at (f, i);
      const GrpView *v = grp_proto_get_view (m->proto);

      if (m != n && node_up (m) && grp_proto_has_state (m->proto) && v != NULL && v->id >= view_id)
        return TRUE;
    }
  return FALSE;
}

gboolean
grp_fixture_rightly_blocked (GrpFixture *f, int node)
{
  Node *n = node_at (f, node);
  GrpCore *core = grp_proto_get_core (n->proto);
  const GrpView *v = grp_proto_get_view (n->proto);
  const GrpView *pending;
  guint up = 0;

  /* Only the real protocol waits for a quorum; the exercise's stages never
   * block rightly. */
  if (core == NULL || v == NULL || !node_up (n))
    return FALSE;
  pending = grp_core_get_pending_view (core);
  /* The positions below a view it must install, or the state it needs, are
   * held by nobody alive: they died with their holders. */
  if (pending != NULL && !state_held_from (f, n, pending->id))
    return TRUE;
  if (!grp_proto_has_state (n->proto) && !state_held_from (f, n, v->id))
    return TRUE;
  for (guint i = 0; i < v->n_members; i++)
    {
      Node *m = node_by_id (f, v->members[i].id);

      up += m != NULL && node_up (m);
    }
  /* Members not up are gone for good; the rest are up and (at the end of a
   * run) connected.  A majority of them could go on; exactly half only if
   * the proposer can be certain that every other member is gone: each must
   * be certain to one of them (a verified address), as a promise relays
   * the crashes its sender is certain of (PROMISE.dead). */
  if (2 * up != v->n_members)
    return 2 * up < v->n_members;
  for (guint j = 0; j < v->n_members; j++)
    {
      Node *d = node_by_id (f, v->members[j].id);
      gboolean known = d == NULL || node_up (d);

      for (guint i = 0; i < v->n_members && !known; i++)
        {
          Node *u = node_by_id (f, v->members[i].id);

          known = u != NULL && node_up (u) && verified (u, d);
        }
      if (!known)
        return TRUE;
    }
  return FALSE;
}

static gboolean
survivor (GrpFixture *f, Node *n)
{
  return node_up (n) && !grp_fixture_rightly_blocked (f, n->idx);
}

gboolean
grp_fixture_converged (GrpFixture *f, GString *why)
{
  Node *ref = NULL;
  const GrpView *view = NULL;
  guint live = 0;
  gboolean group = FALSE;

  /* A joiner can only complete where a group is left to admit it. */
  for (guint i = 0; i < f->nodes->len; i++)
    group |= survivor (f, node_at (f, i)) && grp_proto_get_view (node_at (f, i)->proto) != NULL;
  for (guint i = 0; i < f->nodes->len; i++)
    {
      Node *n = node_at (f, i);

      if (!survivor (f, n) || (!group && grp_proto_get_view (n->proto) == NULL))
        continue;
      live++;
      if (grp_proto_get_status (n->proto) != GRP_STATUS_MEMBER)
        {
          g_string_printf (why, "%s has not completed its join", n->name);
          return FALSE;
        }
      if (grp_proto_get_pending (n->proto) > 0)
        {
          g_string_printf (why, "%s still has %u multicasts not delivered", n->name,
                           grp_proto_get_pending (n->proto));
          return FALSE;
        }
      if (ref == NULL)
        {
          ref = n;
          view = grp_proto_get_view (n->proto);
        }
      else if (grp_proto_get_view (n->proto)->id != view->id || !grp_view_contains (view, n->id))
        {
          g_string_printf (why, "%s is in view %" G_GUINT64_FORMAT
                           ", %s in view %" G_GUINT64_FORMAT,
                           ref->name, view->id, n->name, grp_proto_get_view (n->proto)->id);
          return FALSE;
        }
      else if (n->last_seq != ref->last_seq)
        {
          g_string_printf (why, "%s delivered up to %" G_GUINT64_FORMAT
                           ", %s up to %" G_GUINT64_FORMAT,
                           ref->name, ref->last_seq, n->name, n->last_seq);
          return FALSE;
        }
      if (grp_proto_get_delivered (n->proto) != n->last_seq)
        {
          g_string_printf (why, "%s: core and worker disagree on the last position", n->name);
          return FALSE;
        }
    }
  if (live == 0)
    return TRUE;
  if (view->n_members != live)
    {
      g_string_printf (why, "view %" G_GUINT64_FORMAT " lists %u members but %u are up", view->id,
                       view->n_members, live);
      return FALSE;
    }
  if (ref->cur_view == NULL || view->id != ref->cur_view->id)
    {
      g_string_printf (why, "view %" G_GUINT64_FORMAT " installed but not delivered", view->id);
      return FALSE;
    }
  return TRUE;
}

void
grp_fixture_check_all_delivered (GrpFixture *f)
{
  for (guint i = 0; i < f->nodes->len && f->violation == NULL; i++)
    {
      Node *o = node_at (f, i);

      if (!survivor (f, o))
        continue;
      for (guint k = 0; k < o->sent_ctrs->len; k++)
        {
          char key[48];
          guint64 *seq;
          guint64 ctr = g_array_index (o->sent_ctrs, guint64, k);

          g_snprintf (key, sizeof key, "%" G_GINT64_MODIFIER "x:%" G_GUINT64_FORMAT, o->id, ctr);
          seq = g_hash_table_lookup (f->origins, key);
          if (seq == NULL)
            {
              grp_fixture_fail (f, "multicast #%" G_GUINT64_FORMAT
                                " of %s (up) was never delivered", ctr, o->name);
              return;
            }
          for (guint j = 0; j < f->nodes->len; j++)
            {
              Node *m = node_at (f, j);

              if (survivor (f, m) && grp_proto_get_view (m->proto) != NULL && *seq > m->last_seq)
                {
                  grp_fixture_fail (f, "%s never delivered multicast #%" G_GUINT64_FORMAT " of %s",
                                    m->name, ctr, o->name);
                  return;
                }
            }
        }
    }
}

/* ---- life cycle ------------------------------------------------------------ */

void
grp_fixture_net_init (GrpFixtureNet *net)
{
  *net = (GrpFixtureNet) {
    .delay_min = 100,
    .delay_max = 2 * MS,
    .tail_p = 0,
    .tail_scale = 1 * MS,
    .tail_max = 50 * MS,
    .report_min = 200,
    .report_max = 3 * MS,
    .tick = 10 * MS,
    .turn = 300,
  };
}

GrpFixture *
grp_fixture_new (const GrpCoreConfig *config, const GrpFixtureNet *net, guint64 seed)
{
  GrpFixture *f = g_new0 (GrpFixture, 1);
  guint32 s[2] = { (guint32) seed, (guint32) (seed >> 32) };

  f->protocol = grp_proto_default ();
  f->cfg = *config;
  if (net != NULL)
    f->net = *net;
  else
    grp_fixture_net_init (&f->net);
  if (g_once_init_enter (&log_handler))
    {
      g_log_set_handler ("groupy-stages", G_LOG_LEVEL_MASK, log_to_trace, NULL);
      g_once_init_leave (&log_handler,
                         g_log_set_handler ("groupy-core", G_LOG_LEVEL_MASK, log_to_trace, NULL));
    }
  f->rand = g_rand_new_with_seed_array (s, 2);
  f->heap = g_ptr_array_new ();
  f->nodes = g_ptr_array_new ();
  f->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  f->links = g_hash_table_new_full (NULL, NULL, NULL, link_free);
  f->cuts = g_hash_table_new (NULL, NULL);
  g_queue_init (&f->stalled);
  f->deferred = g_array_new (FALSE, FALSE, sizeof (int));
  f->records = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                      (GDestroyNotify) record_free);
  f->views = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                    (GDestroyNotify) grp_view_unref);
  f->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return f;
}

void
grp_fixture_set_protocol (GrpFixture *f, const GrpProtoClass *protocol)
{
  g_return_if_fail (f->nodes->len == 0);

  f->protocol = protocol;
}

void
grp_fixture_free (GrpFixture *f)
{
  if (f == NULL)
    return;
  if (tracing_fixture == f)
    tracing_fixture = NULL;
  while (f->heap->len > 0)
    event_free (heap_pop (f));
  g_ptr_array_unref (f->heap);
  g_queue_clear_full (&f->stalled, (GDestroyNotify) event_free);
  g_hash_table_unref (f->links);
  for (guint i = 0; i < f->nodes->len; i++)
    {
      Node *n = node_at (f, i);

      grp_proto_free (n->proto);
      g_clear_pointer (&n->cur_view, grp_view_unref);
      g_array_unref (n->sent_ctrs);
      g_queue_clear_full (&n->inbox, (GDestroyNotify) event_free);
      g_hash_table_unref (n->told);
      g_hash_table_unref (n->reached);
      g_clear_error (&n->error);
      g_free (n);
    }
  g_ptr_array_unref (f->nodes);
  g_hash_table_unref (f->by_id);
  g_hash_table_unref (f->cuts);
  g_array_unref (f->deferred);
  g_hash_table_unref (f->records);
  g_hash_table_unref (f->views);
  g_hash_table_unref (f->origins);
  g_rand_free (f->rand);
  if (f->trace != NULL)
    g_string_free (f->trace, TRUE);
  g_free (f->violation);
  g_free (f);
}
