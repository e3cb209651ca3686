/* sim.c: the simulated cluster, its faults and the invariant checker.
 *
 * Invariants (checked after every step, unless said otherwise):
 *  (a) any two members' delivered sequences agree where they overlap;
 *  (b) no member delivers a position twice or skips one;
 *  (c) at the end, every multicast of a member alive at the end is
 *      delivered by every member alive at the end (or is in its state);
 *  (d) members that deliver a view agree on its members and position, and
 *      by (a) on everything before it;
 *  (e) colors agree at every position, newcomers' state included;
 *  (f) at most one view (hence one leader) per view id;
 *  (g) once faults stop, the survivors converge on one view holding exactly
 *      them and deliver everything, within a bounded virtual time.
 * With agreed delivery a member that crashes or is left out may have
 * delivered, in its last view, positions the group later fills differently
 * (that is what "agreed" allows); such a member's deliveries past its last
 * view are exempt from (a).  With safe delivery nothing is exempt.
 */
#include "sim.h"

#include "grp-color.h"

#include <stdarg.h>
#include <string.h>

#define MS 1000
#define TICK (10 * MS)
#define FAULT_PHASE (2500 * MS)
#define SETTLE_LIMIT (6000 * MS)
#define MAX_INCARNATIONS 24

typedef enum {
  EV_MSG,
  EV_TICK,
  EV_REPORT,
  EV_FAULT,
  EV_SEND,
  EV_REJOIN,
  EV_FLUSH,
} EventKind;

typedef struct {
  gint64 time;
  guint64 serial;
  EventKind kind;
  int from, to;
  GrpMsg *msg;
  GrpId about;
  gboolean confirmed;     /* EV_REPORT: seen on a live connection */
  gboolean dropped;
} Event;

typedef struct Sim Sim;

typedef struct {
  Sim *sim;
  int idx;
  int process;            /* incarnations of one worker share it */
  GrpId id;
  char name[16];
  GrpCore *core;
  gboolean alive;
  gboolean finished;      /* left, excluded or failed: this incarnation is over */
  gboolean killed;
  gboolean excluded;
  gint64 paused_until;
  int side;               /* partition side */
  guint8 rgb[3];
  guint64 first_seq;      /* first position delivered (0: none yet) */
  guint64 last_seq;
  guint64 state_seq;      /* position the state was taken at (1 for the creator) */
  guint64 last_view_seq;
  GrpView *cur_view;      /* last view delivered */
  guint budget;
  guint sent;
  GArray *sent_ctrs;
  int crash_after;        /* sends left before an armed crash; -1: none */
  gboolean flush_due;     /* batching: an EV_FLUSH is scheduled */
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

struct Sim {
  SimOptions opt;
  SimResult *res;
  GrpCoreConfig cfg;
  GRand *rand;
  gint64 now;
  guint64 serial;
  GPtrArray *heap;        /* Event*, min-heap on (time, serial) */
  GPtrArray *nodes;       /* Node* */
  GHashTable *by_id;      /* GrpId -> Node* */
  gint64 *link_last;      /* last arrival per (from, to) */
  guint link_dim;
  GHashTable *records;    /* seq -> Record* */
  GHashTable *views;      /* view id -> GrpView* */
  GHashTable *origins;    /* "origin:ctr" -> seq */
  gboolean partitioned;
  GArray *deferred_reports; /* (to, about) pairs held back by a partition */
  double loss, dup;
  double crash_rate;
  gint64 faults_end;
  gboolean failed;
};

/* ---- tracing and violations ------------------------------------------ */

static void G_GNUC_PRINTF (2, 3)
trace (Sim *sim, const char *fmt, ...)
{
  va_list ap;

  if (!sim->opt.trace)
    return;
  g_string_append_printf (sim->res->trace, "%8.3f ms  ", sim->now / 1000.0);
  va_start (ap, fmt);
  g_string_append_vprintf (sim->res->trace, fmt, ap);
  va_end (ap);
  g_string_append_c (sim->res->trace, '\n');
}

static void G_GNUC_PRINTF (2, 3)
violation (Sim *sim, const char *fmt, ...)
{
  va_list ap;

  if (sim->failed)
    return;
  sim->failed = TRUE;
  va_start (ap, fmt);
  sim->res->violation = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  trace (sim, "VIOLATION: %s", sim->res->violation);
}

static Sim *tracing_sim;

/* The core's g_debug lines (view installed, leader suspected, ...) go into
 * the trace, between the network events that caused them. */
static void
log_to_trace (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  if (tracing_sim != NULL && (level & G_LOG_LEVEL_DEBUG))
    trace (tracing_sim, "  [core] %s", message);
  else if (!(level & G_LOG_LEVEL_DEBUG))
    g_log_default_handler (domain, level, message, data);
}

/* ---- event heap ------------------------------------------------------- */

static gboolean
ev_less (Event *a, Event *b)
{
  return a->time < b->time || (a->time == b->time && a->serial < b->serial);
}

static void
heap_push (Sim *sim, Event *ev)
{
  GPtrArray *h = sim->heap;
  guint i;

  ev->serial = sim->serial++;
  g_ptr_array_add (h, ev);
  i = h->len - 1;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;

      if (!ev_less (h->pdata[i], h->pdata[parent]))
        break;
      gpointer t = h->pdata[i];
      h->pdata[i] = h->pdata[parent];
      h->pdata[parent] = t;
      i = parent;
    }
}

static Event *
heap_pop (Sim *sim)
{
  GPtrArray *h = sim->heap;
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

      if (l < h->len && ev_less (h->pdata[l], h->pdata[m]))
        m = l;
      if (r < h->len && ev_less (h->pdata[r], h->pdata[m]))
        m = r;
      if (m == i)
        break;
      gpointer t = h->pdata[i];
      h->pdata[i] = h->pdata[m];
      h->pdata[m] = t;
      i = m;
    }
  return top;
}

static Event *
event_new (Sim *sim, EventKind kind, gint64 time)
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

static gint64
rand_range (Sim *sim, gint64 lo, gint64 hi)
{
  return lo + (gint64) (g_rand_double (sim->rand) * (double) (hi - lo));
}

static gboolean
chance (Sim *sim, double p)
{
  return p > 0 && g_rand_double (sim->rand) < p;
}

/* ---- nodes ------------------------------------------------------------ */

static Node *node_spawn (Sim *sim, int process, gint64 join_at);

static Node *
node_at (Sim *sim, int idx)
{
  return g_ptr_array_index (sim->nodes, idx);
}

static gboolean
node_up (Node *n)
{
  return n->alive && !n->finished;
}

/* Members holding the state: the group lives as long as one does. */
static guint
n_members_up (Sim *sim)
{
  guint c = 0;

  for (guint i = 0; i < sim->nodes->len; i++)
    c += node_up (node_at (sim, i)) && grp_core_get_status (node_at (sim, i)->core) == GRP_STATUS_MEMBER;
  return c;
}

static gboolean blocked (Sim *sim, Node *n);

static Node *
random_live (Sim *sim, gboolean need_member)
{
  GPtrArray *c = g_ptr_array_new ();
  Node *pick = NULL;

  for (guint i = 0; i < sim->nodes->len; i++)
    {
      Node *n = node_at (sim, i);

      if (node_up (n) && (!need_member || (grp_core_get_status (n->core) == GRP_STATUS_MEMBER &&
                                            !blocked (sim, n))))
        g_ptr_array_add (c, n);
    }
  if (c->len > 0)
    pick = c->pdata[g_rand_int_range (sim->rand, 0, c->len)];
  g_ptr_array_unref (c);
  return pick;
}

static Node *
current_leader (Sim *sim)
{
  for (guint i = 0; i < sim->nodes->len; i++)
    {
      Node *n = node_at (sim, i);

      if (node_up (n) && grp_core_is_leader (n->core))
        return n;
    }
  return NULL;
}

static void kill_node (Sim *sim, Node *n, const char *why);

/* ---- the network ------------------------------------------------------ */

static gboolean
link_cut (Sim *sim, Node *a, Node *b)
{
  return sim->partitioned && a->side != b->side;
}

static void
cb_send (GrpCore *core, GrpId to, const char *addr, GrpMsg *msg, gpointer user_data)
{
  Node *n = user_data;
  Sim *sim = n->sim;
  Node *dest = g_hash_table_lookup (sim->by_id, &to);
  int copies = 1;

  if (!n->alive)
    return;
  if (n->crash_after >= 0)
    {
      if (n->crash_after == 0)
        {
          kill_node (sim, n, "injected crash part-way through a broadcast");
          return;
        }
      n->crash_after--;
    }
  if (dest == NULL)
    return;
  trace (sim, "%s -> %s %s v%" G_GUINT64_FORMAT, n->name, dest->name,
         grp_msg_type_name (msg->type), msg->view);
  if (link_cut (sim, n, dest) || chance (sim, sim->loss))
    return;
  if (chance (sim, sim->dup))
    copies = 2;
  for (int c = 0; c < copies; c++)
    {
      gint64 *last = &sim->link_last[n->idx * sim->link_dim + dest->idx];
      gint64 at = sim->now + rand_range (sim, 100, 2 * MS);
      Event *ev;

      at = MAX (at, *last);
      *last = at;
      ev = event_new (sim, EV_MSG, at);
      ev->from = n->idx;
      ev->to = dest->idx;
      ev->msg = grp_msg_ref (msg);
      heap_push (sim, ev);
    }
}

/* ---- the worker and the checker -------------------------------------- */

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
 * deliverer holds does not list it) and `seq` lies past w's last view. */
static gboolean
exempt (Sim *sim, Node *w, Node *by, const GrpView *by_view, guint64 seq)
{
  if (sim->opt.delivery == GRP_DELIVERY_SAFE || sim->opt.protocol == GRP_PROTOCOL_GMS3)
    return FALSE;
  if (by_view != NULL && grp_view_contains (by_view, w->id))
    return FALSE;
  return w->last_view_seq < seq;
}

/* Returns FALSE when the delivery is not part of the group's history (a
 * member left out, delivering past its last view). */
static gboolean
check_position (Sim *sim, Node *n, guint64 seq, GrpEntryKind kind, GrpId origin, guint64 ctr,
                guint64 view_id, const GrpView *view_now)
{
  Record *r;

  /* (b) no duplicates, no gaps */
  if (n->last_seq == 0)
    {
      if (seq != n->state_seq)
        violation (sim, "%s starts delivering at %" G_GUINT64_FORMAT " but its state is as of %"
                   G_GUINT64_FORMAT, n->name, seq, n->state_seq);
      n->first_seq = seq;
    }
  else if (seq != n->last_seq + 1)
    violation (sim, "%s delivers position %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT
               " (gap or duplicate)", n->name, seq, n->last_seq);
  n->last_seq = seq;
  sim->res->deliveries++;

  /* (a), (d), (e): one record per position */
  r = g_hash_table_lookup (sim->records, &seq);
  if (r == NULL)
    {
      guint64 *key = g_memdup2 (&seq, sizeof seq);

      g_hash_table_insert (sim->records, key, record_new (n, kind, origin, ctr, view_id, view_now));
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
  if (exempt (sim, n, NULL, r->group_view, seq))
    {
      trace (sim, "%s delivered position %" G_GUINT64_FORMAT " after it was left out", n->name, seq);
      return FALSE;
    }
  for (guint i = 0; i < r->witnesses->len; i++)
    {
      Node *w = node_at (sim, g_array_index (r->witnesses, int, i));

      if (!exempt (sim, w, n, view_now, seq))
        {
          if (r->kind == kind && r->origin == origin && r->ctr == ctr && r->view_id == view_id)
            violation (sim, "colors differ at position %" G_GUINT64_FORMAT ": %s has (%d,%d,%d), %s has (%d,%d,%d)",
                       seq, w->name, r->rgb[0], r->rgb[1], r->rgb[2], n->name, n->rgb[0], n->rgb[1], n->rgb[2]);
          else
            violation (sim, "members disagree at position %" G_GUINT64_FORMAT ": %s delivered %s %"
                       G_GINT64_MODIFIER "x#%" G_GUINT64_FORMAT " (view %" G_GUINT64_FORMAT "), %s delivered %s %"
                       G_GINT64_MODIFIER "x#%" G_GUINT64_FORMAT " (view %" G_GUINT64_FORMAT ")",
                       seq, w->name, r->kind == GRP_ENTRY_DATA ? "data" : "view", r->origin, r->ctr, r->view_id,
                       n->name, kind == GRP_ENTRY_DATA ? "data" : "view", origin, ctr, view_id);
          return FALSE;
        }
    }
  /* Every earlier witness was left out and delivered past its last view:
   * the group's position is the one delivered now. */
  trace (sim, "position %" G_GUINT64_FORMAT " re-filled after its earlier deliverers were excluded", seq);
  g_hash_table_replace (sim->records, g_memdup2 (&seq, sizeof seq),
                        record_new (n, kind, origin, ctr, view_id, view_now));
  return TRUE;
}

static void
cb_deliver (GrpCore *core, guint64 seq, GrpId origin, guint64 ctr, GBytes *payload, gpointer user_data)
{
  Node *n = user_data;
  Sim *sim = n->sim;
  gsize len;
  const guint8 *p = g_bytes_get_data (payload, &len);
  char key[48];
  guint64 *known;

  if (!n->alive)
    return; /* the process died before this point */
  if (len != 1 || p[0] < 1 || p[0] > 20)
    {
      violation (sim, "%s delivered a payload that nobody sent", n->name);
      return;
    }
  grp_color_apply (n->rgb, p[0]);
  trace (sim, "%s delivers %" G_GUINT64_FORMAT ": change %d from %" G_GINT64_MODIFIER "x#%" G_GUINT64_FORMAT
         " -> (%d,%d,%d)", n->name, seq, p[0], origin, ctr, n->rgb[0], n->rgb[1], n->rgb[2]);
  if (!check_position (sim, n, seq, GRP_ENTRY_DATA, origin, ctr, 0, n->cur_view))
    return;

  /* Exactly once across the group: (origin, ctr) holds one position. */
  g_snprintf (key, sizeof key, "%" G_GINT64_MODIFIER "x:%" G_GUINT64_FORMAT, origin, ctr);
  known = g_hash_table_lookup (sim->origins, key);
  if (known == NULL)
    g_hash_table_insert (sim->origins, g_strdup (key), g_memdup2 (&seq, sizeof seq));
  else if (*known != seq)
    {
      Record *old = g_hash_table_lookup (sim->records, known);

      if (old != NULL && old->kind == GRP_ENTRY_DATA && old->origin == origin && old->ctr == ctr)
        {
          /* Fine only if everyone who delivered it there was left out (a
           * leader that delivered and died): the group re-sequenced it. */
          for (guint i = 0; i < old->witnesses->len; i++)
            if (!exempt (sim, node_at (sim, g_array_index (old->witnesses, int, i)), n, n->cur_view, *known))
              {
                violation (sim, "multicast %s delivered at positions %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
                           key, *known, seq);
                break;
              }
        }
      *known = seq;
    }
}

static void
cb_view (GrpCore *core, GrpView *view, gpointer user_data)
{
  Node *n = user_data;
  Sim *sim = n->sim;
  GrpView *known;

  if (!n->alive)
    return;
  trace (sim, "%s delivers view %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT " led by %s, %u members",
         n->name, view->id, view->seq, view->members[0].name, view->n_members);
  sim->res->views++;
  /* (d), (f): one view per id, the same everywhere */
  known = g_hash_table_lookup (sim->views, &view->id);
  if (known == NULL)
    g_hash_table_insert (sim->views, g_memdup2 (&view->id, sizeof view->id), grp_view_ref (view));
  else if (!grp_view_equal (known, view))
    violation (sim, "two different views with id %" G_GUINT64_FORMAT ": led by %s at %" G_GUINT64_FORMAT
               " and led by %s at %" G_GUINT64_FORMAT, view->id, known->members[0].name, known->seq,
               view->members[0].name, view->seq);
  if (n->cur_view != NULL && view->id <= n->cur_view->id)
    violation (sim, "%s delivers view %" G_GUINT64_FORMAT " after view %" G_GUINT64_FORMAT,
               n->name, view->id, n->cur_view->id);
  g_clear_pointer (&n->cur_view, grp_view_unref);
  n->cur_view = grp_view_ref (view);
  n->last_view_seq = view->seq;
  check_position (sim, n, view->seq, GRP_ENTRY_VIEW, 0, 0, view->id, view);
}

static GBytes *
cb_get_state (GrpCore *core, gpointer user_data)
{
  Node *n = user_data;

  return g_bytes_new (n->rgb, 3);
}

static void
cb_set_state (GrpCore *core, guint64 seq, GBytes *state, gpointer user_data)
{
  Node *n = user_data;
  gsize len;
  const guint8 *p = g_bytes_get_data (state, &len);

  if (!n->alive)
    return;
  g_assert (len == 3);
  memcpy (n->rgb, p, 3);
  n->state_seq = seq;
  trace (n->sim, "%s takes state (%d,%d,%d) as of %" G_GUINT64_FORMAT, n->name, p[0], p[1], p[2], seq);
}

static void
cb_status (GrpCore *core, GrpStatus status, const GError *error, gpointer user_data)
{
  Node *n = user_data;
  Sim *sim = n->sim;

  if (!n->alive)
    return;
  trace (sim, "%s status %d%s%s", n->name, status, error ? ": " : "", error ? error->message : "");
  if (status == GRP_STATUS_EXCLUDED || status == GRP_STATUS_FAILED || status == GRP_STATUS_LEFT)
    {
      n->finished = TRUE;
      n->excluded = status != GRP_STATUS_LEFT;
      if (status != GRP_STATUS_LEFT && sim->nodes->len < MAX_INCARNATIONS)
        {
          /* A worker that was left out, or whose join failed, rejoins as a
           * new member, as the real worker does. */
          Event *ev = event_new (sim, EV_REJOIN, sim->now + rand_range (sim, 1 * MS, 20 * MS));

          ev->from = n->process;
          heap_push (sim, ev);
        }
    }
}

static const GrpCoreCallbacks callbacks = {
  cb_send, cb_deliver, cb_view, cb_get_state, cb_set_state, cb_status,
};

/* ---- faults ----------------------------------------------------------- */

static void
report_crash (Sim *sim, int to, GrpId about, gboolean confirmed)
{
  Event *ev = event_new (sim, EV_REPORT, sim->now + rand_range (sim, 200, 3 * MS));

  ev->to = to;
  ev->about = about;
  ev->confirmed = confirmed;
  heap_push (sim, ev);
}

static void
kill_node (Sim *sim, Node *n, const char *why)
{
  if (!n->alive)
    return;
  trace (sim, "KILL %s (%s)", n->name, why);
  sim->res->kills++;
  if (!n->finished && grp_core_is_leader (n->core))
    sim->res->leader_kills++;
  n->alive = FALSE;
  n->killed = TRUE;
  n->crash_after = -1;
  /* What the kernel had not sent yet may be lost with the process. */
  for (guint i = 0; i < sim->heap->len; i++)
    {
      Event *ev = sim->heap->pdata[i];

      if (ev->kind == EV_MSG && ev->from == n->idx && chance (sim, 0.5))
        ev->dropped = TRUE;
    }
  /* Peers' connections to it close: they hear of it soon, unless cut off. */
  for (guint i = 0; i < sim->nodes->len; i++)
    {
      Node *p = node_at (sim, i);

      if (!p->alive || p == n)
        continue;
      if (link_cut (sim, n, p))
        {
          int pair[2] = { p->idx, n->idx };

          g_array_append_vals (sim->deferred_reports, pair, 2);
        }
      else
        report_crash (sim, p->idx, n->id, TRUE);
    }
}

static void
heal (Sim *sim)
{
  if (!sim->partitioned)
    return;
  trace (sim, "HEAL");
  sim->partitioned = FALSE;
  for (guint i = 0; i + 1 < sim->deferred_reports->len; i += 2)
    {
      Node *dead = node_at (sim, g_array_index (sim->deferred_reports, int, i + 1));

      /* After the partition the peer finds the port closed: the process is
       * gone, but not seen dying on a working connection. */
      report_crash (sim, g_array_index (sim->deferred_reports, int, i), dead->id, FALSE);
    }
  g_array_set_size (sim->deferred_reports, 0);
}

static void
schedule_fault (Sim *sim)
{
  Event *ev = event_new (sim, EV_FAULT, sim->now + rand_range (sim, 50 * MS, 400 * MS));

  heap_push (sim, ev);
}

static void
do_fault (Sim *sim)
{
  int what = g_rand_int_range (sim->rand, 0, 100);
  Node *n;

  if (sim->now >= sim->faults_end)
    {
      heal (sim);
      return;
    }
  schedule_fault (sim);
  if (what < 22)
    {
      /* kill the leader, or anyone */
      /* Kills behind a partition often leave a minority that must block
       * (the seed then checks safety only); keep them, but rarer. */
      n = chance (sim, 0.6) ? current_leader (sim) : random_live (sim, FALSE);
      if (n != NULL && n_members_up (sim) > 1 && (!sim->partitioned || chance (sim, 0.3)))
        kill_node (sim, n, "kill -9");
    }
  else if (what < 40)
    {
      n = chance (sim, 0.5) ? current_leader (sim) : random_live (sim, FALSE);
      if (n != NULL && n->paused_until <= sim->now)
        {
          n->paused_until = sim->now + rand_range (sim, sim->cfg.suspect_timeout / 2,
                                                   3 * sim->cfg.suspect_timeout);
          sim->res->pauses++;
          trace (sim, "PAUSE %s until %.3f ms", n->name, n->paused_until / 1000.0);
        }
    }
  else if (what < 55)
    {
      if (sim->partitioned)
        heal (sim);
      else
        {
          sim->partitioned = TRUE;
          sim->res->partitions++;
          for (guint i = 0; i < sim->nodes->len; i++)
            node_at (sim, i)->side = g_rand_boolean (sim->rand);
          trace (sim, "PARTITION");
        }
    }
  else if (what < 80)
    {
      if (sim->nodes->len < MAX_INCARNATIONS)
        node_spawn (sim, -1, sim->now);
    }
  else if (what < 88)
    {
      /* One member leaves, or two at the same moment (the leader often). */
      guint leavers = chance (sim, 0.4) ? 2 : 1;

      for (guint l = 0; l < leavers; l++)
        {
          n = l == 0 && chance (sim, 0.3) ? current_leader (sim) : random_live (sim, TRUE);
          if (n != NULL && n_members_up (sim) > 2)
            {
              trace (sim, "LEAVE %s", n->name);
              grp_core_leave (n->core, sim->now);
            }
        }
    }
  else
    heal (sim);
}

/* ---- spawning --------------------------------------------------------- */

static void
schedule_send (Sim *sim, Node *n)
{
  Event *ev = event_new (sim, EV_SEND, sim->now + rand_range (sim, 1 * MS, 60 * MS));

  ev->to = n->idx;
  heap_push (sim, ev);
}

static void
schedule_tick (Sim *sim, Node *n, gint64 at)
{
  Event *ev = event_new (sim, EV_TICK, at);

  ev->to = n->idx;
  heap_push (sim, ev);
}

static void
grow_links (Sim *sim)
{
  guint dim = sim->nodes->len;
  gint64 *links;

  if (dim <= sim->link_dim)
    return;
  dim = MAX (dim, sim->link_dim * 2);
  links = g_new0 (gint64, dim * dim);
  for (guint i = 0; i < sim->link_dim; i++)
    for (guint j = 0; j < sim->link_dim; j++)
      links[i * dim + j] = sim->link_last[i * sim->link_dim + j];
  g_free (sim->link_last);
  sim->link_last = links;
  sim->link_dim = dim;
}

static Node *
node_spawn (Sim *sim, int process, gint64 join_at)
{
  Node *n = g_new0 (Node, 1);
  GrpMember self = { 0 };
  char addr[32];

  n->sim = sim;
  n->idx = sim->nodes->len;
  n->process = process >= 0 ? process : n->idx;
  do
    n->id = ((guint64) g_rand_int (sim->rand) << 32) | g_rand_int (sim->rand);
  while (n->id == 0 || g_hash_table_contains (sim->by_id, &n->id));
  g_snprintf (n->name, sizeof n->name, "w%d", n->process);
  n->alive = TRUE;
  n->crash_after = -1;
  n->budget = g_rand_int_range (sim->rand, 8, 25);
  n->sent_ctrs = g_array_new (FALSE, FALSE, sizeof (guint64));
  n->side = sim->partitioned ? g_rand_boolean (sim->rand) : 0;
  g_snprintf (addr, sizeof addr, "sim:%d", n->idx);
  self.id = n->id;
  self.name = n->name;
  self.addr = addr;
  n->core = grp_core_new (&sim->cfg, &self, &callbacks, n);
  g_ptr_array_add (sim->nodes, n);
  g_hash_table_insert (sim->by_id, &n->id, n);
  grow_links (sim);

  if (sim->nodes->len == 1)
    {
      n->state_seq = 1;
      trace (sim, "%s creates the group", n->name);
      grp_core_create (n->core, sim->now);
    }
  else
    {
      Node *contact = random_live (sim, TRUE);

      if (contact == NULL || contact == n)
        contact = random_live (sim, FALSE);
      if (contact == NULL || contact == n)
        contact = node_at (sim, 0);
      sim->res->joins++;
      trace (sim, "%s (%" G_GINT64_MODIFIER "x) joins through %s", n->name, n->id, contact->name);
      grp_core_join (n->core, contact->id, NULL, join_at);
    }
  schedule_tick (sim, n, sim->now + rand_range (sim, 0, TICK));
  schedule_send (sim, n);
  return n;
}

/* ---- stepping --------------------------------------------------------- */

static void
maybe_arm_crash (Sim *sim, Node *n)
{
  /* The design's injected crash: each broadcast by the leader has a
   * 1/crash_rate chance of dying after a random number of its sends. */
  if (sim->crash_rate > 0 && grp_core_is_leader (n->core) && chance (sim, sim->crash_rate) &&
      n_members_up (sim) > 1)
    n->crash_after = g_rand_int_range (sim->rand, 0, grp_core_get_view (n->core)->n_members);
}

static void
do_send (Sim *sim, Node *n)
{
  guint8 change;
  g_autoptr(GBytes) payload = NULL;
  guint64 ctr;

  if (!node_up (n) || n->sent >= n->budget || sim->now >= sim->faults_end + SETTLE_LIMIT / 4)
    return;
  schedule_send (sim, n);
  if (n->paused_until > sim->now || grp_core_get_status (n->core) != GRP_STATUS_MEMBER)
    return;
  change = (guint8) g_rand_int_range (sim->rand, 1, 21);
  payload = g_bytes_new (&change, 1);
  maybe_arm_crash (sim, n);
  ctr = grp_core_multicast (n->core, payload, sim->now, NULL);
  n->crash_after = -1;
  if (ctr != 0 && n->alive)
    {
      n->sent++;
      g_array_append_val (n->sent_ctrs, ctr);
      trace (sim, "%s multicasts change %d as #%" G_GUINT64_FORMAT, n->name, change, ctr);
    }
}

static void
step (Sim *sim, Event *ev)
{
  Node *n = ev->to >= 0 ? node_at (sim, ev->to) : NULL;

  switch (ev->kind)
    {
    case EV_FAULT:
      do_fault (sim);
      return;
    case EV_REJOIN:
      {
        Node *contact = random_live (sim, TRUE);

        if (contact != NULL && sim->nodes->len < MAX_INCARNATIONS)
          node_spawn (sim, ev->from, sim->now);
      }
      return;
    default:
      break;
    }
  if (n == NULL || !node_up (n))
    return;
  if (n->paused_until > sim->now)
    {
      /* A stopped process: its input waits in the socket buffers. */
      if (ev->kind != EV_TICK && ev->kind != EV_SEND)
        {
          Event *again = event_new (sim, ev->kind, n->paused_until);

          again->from = ev->from;
          again->to = ev->to;
          again->about = ev->about;
          again->confirmed = ev->confirmed;
          again->msg = ev->msg ? grp_msg_ref (ev->msg) : NULL;
          heap_push (sim, again);
        }
      else if (ev->kind == EV_TICK)
        schedule_tick (sim, n, n->paused_until);
      else
        schedule_send (sim, n);
      return;
    }
  switch (ev->kind)
    {
    case EV_MSG:
      if (ev->dropped || link_cut (sim, node_at (sim, ev->from), n))
        return;
      trace (sim, "%s <- %s %s v%" G_GUINT64_FORMAT, n->name, node_at (sim, ev->from)->name,
             grp_msg_type_name (ev->msg->type), ev->msg->view);
      if (ev->msg->type == GRP_MSG_REQ)
        maybe_arm_crash (sim, n);
      grp_core_receive (n->core, ev->msg, sim->now);
      n->crash_after = -1;
      break;
    case EV_TICK:
      grp_core_tick (n->core, sim->now);
      schedule_tick (sim, n, sim->now + TICK);
      break;
    case EV_REPORT:
      trace (sim, "%s hears %" G_GINT64_MODIFIER "x %s", n->name, ev->about,
             ev->confirmed ? "crashed" : "is gone (after a partition)");
      grp_core_unreachable (n->core, ev->about, ev->confirmed, sim->now);
      break;
    case EV_SEND:
      do_send (sim, n);
      break;
    case EV_FLUSH:
      /* The end of the process's main-loop turn: what it gathered goes out
       * (and may be the broadcast the injected crash cuts). */
      n->flush_due = FALSE;
      maybe_arm_crash (sim, n);
      grp_core_flush (n->core);
      n->crash_after = -1;
      break;
    default:
      break;
    }
  if (sim->cfg.batch && n->alive && !n->flush_due && grp_core_has_batch (n->core))
    {
      /* Input that arrives before the turn ends joins the batch. */
      Event *fl = event_new (sim, EV_FLUSH, sim->now + rand_range (sim, 0, 300));

      fl->to = n->idx;
      n->flush_due = TRUE;
      heap_push (sim, fl);
    }
}

/* A member whose view has lost its majority for good -- most of its
 * members died while it was cut off from them -- cannot know what they
 * decided, and must stay blocked rather than go on (primary partition). */
static gboolean
blocked (Sim *sim, Node *n)
{
  const GrpView *v = grp_core_get_view (n->core);
  guint alive = 0;

  if (v == NULL || sim->opt.protocol == GRP_PROTOCOL_GMS3)
    return FALSE;
  for (guint i = 0; i < v->n_members; i++)
    {
      Node *m = g_hash_table_lookup (sim->by_id, &v->members[i].id);

      alive += m != NULL && node_up (m);
    }
  return alive * 2 <= grp_core_get_quorum_base (n->core);
}

static gboolean
survivor (Sim *sim, Node *n)
{
  return node_up (n) && !blocked (sim, n);
}

/* Is any member left that is not blocked?  If not, the group is lost (its
 * majority died out of sight) and newcomers have nothing to join. */
static gboolean
group_alive (Sim *sim)
{
  for (guint i = 0; i < sim->nodes->len; i++)
    {
      Node *n = node_at (sim, i);

      if (survivor (sim, n) && grp_core_get_status (n->core) == GRP_STATUS_MEMBER)
        return TRUE;
    }
  return FALSE;
}

/* (g) and (c): the survivors agree on one view of exactly themselves, have
 * delivered the same positions, and hold every survivor's multicasts. */
static gboolean
converged (Sim *sim, GString *why)
{
  Node *ref = NULL;
  const GrpView *view = NULL;
  guint live = 0;

  for (guint i = 0; i < sim->nodes->len; i++)
    {
      Node *n = node_at (sim, i);

      if (!survivor (sim, n))
        continue;
      live++;
      if (grp_core_get_status (n->core) != GRP_STATUS_MEMBER)
        {
          g_string_printf (why, "%s has not completed its join", n->name);
          return FALSE;
        }
      if (grp_core_get_pending (n->core) > 0)
        {
          g_string_printf (why, "%s still has %u multicasts not delivered", n->name,
                           grp_core_get_pending (n->core));
          return FALSE;
        }
      if (ref == NULL)
        {
          ref = n;
          view = grp_core_get_view (n->core);
        }
      else if (grp_core_get_view (n->core)->id != view->id || !grp_view_contains (view, n->id))
        {
          g_string_printf (why, "%s is in view %" G_GUINT64_FORMAT ", %s in view %" G_GUINT64_FORMAT,
                           ref->name, view->id, n->name, grp_core_get_view (n->core)->id);
          return FALSE;
        }
      else if (n->last_seq != ref->last_seq)
        {
          g_string_printf (why, "%s delivered up to %" G_GUINT64_FORMAT ", %s up to %" G_GUINT64_FORMAT,
                           ref->name, ref->last_seq, n->name, n->last_seq);
          return FALSE;
        }
      else if (grp_core_get_delivered (n->core) != n->last_seq)
        {
          g_string_printf (why, "%s core and worker disagree", n->name);
          return FALSE;
        }
    }
  if (live == 0)
    return TRUE;
  if (view->n_members != live)
    {
      g_string_printf (why, "view %" G_GUINT64_FORMAT " lists %u members but %u are alive",
                       view->id, view->n_members, live);
      return FALSE;
    }
  if (view->id != ref->cur_view->id)
    {
      g_string_printf (why, "view %" G_GUINT64_FORMAT " installed but not delivered", view->id);
      return FALSE;
    }
  return TRUE;
}

static void
check_all_delivered (Sim *sim)
{
  for (guint i = 0; i < sim->nodes->len && !sim->failed; i++)
    {
      Node *o = node_at (sim, i);

      if (!survivor (sim, o))
        continue;
      for (guint k = 0; k < o->sent_ctrs->len; k++)
        {
          char key[48];
          guint64 *seq;

          g_snprintf (key, sizeof key, "%" G_GINT64_MODIFIER "x:%" G_GUINT64_FORMAT, o->id,
                      g_array_index (o->sent_ctrs, guint64, k));
          seq = g_hash_table_lookup (sim->origins, key);
          if (seq == NULL)
            {
              violation (sim, "multicast #%" G_GUINT64_FORMAT " of %s (alive) was never delivered",
                         g_array_index (o->sent_ctrs, guint64, k), o->name);
              return;
            }
          for (guint j = 0; j < sim->nodes->len; j++)
            {
              Node *m = node_at (sim, j);

              if (survivor (sim, m) && *seq > m->last_seq)
                {
                  violation (sim, "%s never delivered multicast #%" G_GUINT64_FORMAT " of %s",
                             m->name, g_array_index (o->sent_ctrs, guint64, k), o->name);
                  return;
                }
            }
        }
    }
}

void
sim_run (const SimOptions *options, SimResult *res)
{
  Sim sim_ = { 0 }, *sim = &sim_;
  guint32 seed[2] = { (guint32) options->seed, (guint32) (options->seed >> 32) };
  guint members;
  gint64 settled_since = -1;
  g_autoptr(GString) why = g_string_new (NULL);

  memset (res, 0, sizeof *res);
  res->trace = options->trace ? g_string_new (NULL) : NULL;
  tracing_sim = options->trace ? sim : NULL;
  g_log_set_handler ("groupy-core", G_LOG_LEVEL_MASK, log_to_trace, NULL);
  sim->opt = *options;
  sim->res = res;
  sim->rand = g_rand_new_with_seed_array (seed, 2);
  sim->heap = g_ptr_array_new ();
  sim->nodes = g_ptr_array_new ();
  sim->by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  sim->records = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) record_free);
  sim->views = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify) grp_view_unref);
  sim->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sim->deferred_reports = g_array_new (FALSE, FALSE, sizeof (int));

  members = options->members ? options->members : (guint) g_rand_int_range (sim->rand, 3, 7);
  if (sim->opt.delivery < 0)
    sim->opt.delivery = g_rand_boolean (sim->rand) ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED;
  grp_core_config_init (&sim->cfg);
  sim->cfg.protocol = options->protocol;
  sim->cfg.delivery = sim->opt.delivery;
  sim->cfg.heartbeat_interval = 20 * MS;
  sim->cfg.suspect_timeout = 100 * MS;
  sim->cfg.retry_interval = 10 * MS;
  sim->cfg.join_timeout = 1000 * MS;
  sim->cfg.window = 8;
  sim->cfg.max_batch = 64;
  sim->cfg.batch = g_rand_boolean (sim->rand);
  sim->loss = chance (sim, 0.5) ? g_rand_double_range (sim->rand, 0.0, 0.03) : 0.0;
  sim->dup = chance (sim, 0.5) ? g_rand_double_range (sim->rand, 0.0, 0.03) : 0.0;
  sim->crash_rate = 1.0 / 100;
  sim->faults_end = FAULT_PHASE;
  trace (sim, "seed %" G_GUINT64_FORMAT ": %u members, %s delivery, %s, loss %.3f, dup %.3f", options->seed,
         members, sim->opt.delivery == GRP_DELIVERY_SAFE ? "safe" : "agreed",
         sim->cfg.batch ? "batched" : "unbatched", sim->loss, sim->dup);

  for (guint i = 0; i < members; i++)
    {
      sim->now = i * 5 * MS;
      node_spawn (sim, -1, sim->now);
    }
  sim->now = 0;
  schedule_fault (sim);

  while (!sim->failed)
    {
      Event *ev = heap_pop (sim);

      if (ev == NULL)
        break;
      sim->now = MAX (sim->now, ev->time);
      res->events++;
      step (sim, ev);
      event_free (ev);
      if (sim->now < sim->faults_end)
        continue;
      heal (sim);
      if (!group_alive (sim) || converged (sim, why))
        {
          if (settled_since < 0)
            settled_since = sim->now;
          else if (sim->now - settled_since > 10 * sim->cfg.suspect_timeout &&
                   sim->now >= sim->faults_end + SETTLE_LIMIT / 4)
            break;
        }
      else
        settled_since = -1;
      if (sim->now > sim->faults_end + SETTLE_LIMIT)
        {
          for (guint i = 0; i < sim->nodes->len; i++)
            if (node_up (node_at (sim, i)))
              {
                g_autofree char *d = grp_core_describe (node_at (sim, i)->core);

                trace (sim, "state: %s", d);
              }
          violation (sim, "no convergence %.0f ms after the faults stopped: %s",
                     (sim->now - sim->faults_end) / 1000.0, why->str);
          break;
        }
    }
  if (!sim->failed)
    check_all_delivered (sim);
  for (guint i = 0; i < sim->nodes->len; i++)
    if (node_up (node_at (sim, i)) && blocked (sim, node_at (sim, i)))
      res->blocked++;
  if (!group_alive (sim))
    res->lost = TRUE;
  res->end_time = sim->now;
  res->ok = !sim->failed;

  while (sim->heap->len > 0)
    event_free (heap_pop (sim));
  g_ptr_array_unref (sim->heap);
  for (guint i = 0; i < sim->nodes->len; i++)
    {
      Node *n = node_at (sim, i);

      grp_core_free (n->core);
      g_clear_pointer (&n->cur_view, grp_view_unref);
      g_array_unref (n->sent_ctrs);
      g_free (n);
    }
  g_ptr_array_unref (sim->nodes);
  g_hash_table_unref (sim->by_id);
  g_hash_table_unref (sim->records);
  g_hash_table_unref (sim->views);
  g_hash_table_unref (sim->origins);
  g_array_unref (sim->deferred_reports);
  g_free (sim->link_last);
  g_rand_free (sim->rand);
  tracing_sim = NULL;
}

void
sim_result_clear (SimResult *res)
{
  g_clear_pointer (&res->violation, g_free);
  if (res->trace)
    g_string_free (res->trace, TRUE);
  res->trace = NULL;
}
