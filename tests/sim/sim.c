/* sim.c: the randomized campaign (sim.h) on the fixture. */
#include "sim.h"

#include <string.h>

#define MS GRP_FIXTURE_MS
#define FAULT_PHASE (2500 * MS)
#define SETTLE_LIMIT (6000 * MS)
#define WORKER_TICK (5 * MS)

typedef struct {
  guint budget;           /* multicasts this incarnation makes */
  guint sent;
  gint64 next_send;
  gboolean started;
} Worker;

typedef struct {
  GrpFixture *f;
  SimResult *res;
  GRand *rand;            /* the fixture's: one seed replays everything */
  GArray *workers;        /* Worker, by node index */
  gint64 faults_end;
  gint64 suspect;
  double trap_rate;       /* per view-change message: the adversary strikes */
  gboolean trapping;      /* a trap is under way */
  guint traps_left;
} Sim;

static gint64
rand_range (Sim *sim, gint64 lo, gint64 hi)
{
  return hi <= lo ? lo : lo + (gint64) (g_rand_double (sim->rand) * (double) (hi - lo));
}

static gboolean
chance (Sim *sim, double p)
{
  return p > 0 && g_rand_double (sim->rand) < p;
}

static int
pick (Sim *sim, gboolean leader_often, gboolean need_member)
{
  g_autoptr(GArray) c = g_array_new (FALSE, FALSE, sizeof (int));
  int leader = grp_fixture_leader (sim->f);

  if (leader_often && leader >= 0 && chance (sim, 0.6))
    return leader;
  for (guint i = 0; i < grp_fixture_n_nodes (sim->f); i++)
    {
      int n = (int) i;

      if (grp_fixture_up (sim->f, n) &&
          (!need_member ||
           grp_proto_get_status (grp_fixture_proto (sim->f, n)) == GRP_STATUS_MEMBER))
        g_array_append_val (c, n);
    }
  if (c->len == 0)
    return -1;
  return g_array_index (c, int, g_rand_int_range (sim->rand, 0, (gint32) c->len));
}

static guint
n_up (Sim *sim)
{
  guint c = 0;

  for (guint i = 0; i < grp_fixture_n_nodes (sim->f); i++)
    c += grp_fixture_up (sim->f, (int) i) &&
         grp_proto_get_status (grp_fixture_proto (sim->f, (int) i)) == GRP_STATUS_MEMBER;
  return c;
}

/* Plain kills leave at least two members: most seeds should show a group
 * that recovers.  (The adversary's double kills may leave fewer.) */
static void
kill_some (Sim *sim, int n)
{
  if (n >= 0 && grp_fixture_up (sim->f, n) && n_up (sim) > 2)
    grp_fixture_kill (sim->f, n);
}

/* ---- the workers -------------------------------------------------------- */

static Worker *
worker (Sim *sim, int node)
{
  if ((guint) node >= sim->workers->len)
    g_array_set_size (sim->workers, (guint) node + 1);
  return &g_array_index (sim->workers, Worker, node);
}

static void
workers_tick (GrpFixture *f, gpointer data)
{
  Sim *sim = data;
  gint64 now = grp_fixture_now (f);

  for (guint i = 0; i < grp_fixture_n_nodes (f); i++)
    {
      Worker *w = worker (sim, (int) i);

      if (!w->started)
        {
          w->started = TRUE;
          w->budget = (guint) g_rand_int_range (sim->rand, 8, 25);
          w->next_send = now + rand_range (sim, 1 * MS, 60 * MS);
        }
      if (w->sent >= w->budget || now < w->next_send || !grp_fixture_up (f, (int) i) ||
          grp_fixture_paused (f, (int) i) ||
          grp_proto_get_status (grp_fixture_proto (f, (int) i)) != GRP_STATUS_MEMBER)
        continue;
      w->next_send = now + rand_range (sim, 1 * MS, 60 * MS);
      if (grp_fixture_multicast (f, (int) i, (guint8) g_rand_int_range (sim->rand, 1, 21)) != 0)
        w->sent++;
    }
  if (now < sim->faults_end + SETTLE_LIMIT / 4)
    grp_fixture_at (f, now + WORKER_TICK, workers_tick, sim);
}

/* ---- faults ------------------------------------------------------------- */

static void one_fault (Sim *sim, int what);

static void
random_partition (Sim *sim)
{
  guint procs = grp_fixture_n_nodes (sim->f);
  g_autofree int *side = g_new0 (int, procs);

  for (guint i = 0; i < procs; i++)
    side[i] = g_rand_boolean (sim->rand);
  grp_fixture_partition (sim->f, side, procs, chance (sim, 0.5));
  sim->res->partitions++;
}

/* One node cut off in one direction: it hears but is not heard, or the
 * reverse. */
static void
one_way_cut (Sim *sim)
{
  int n = pick (sim, TRUE, FALSE);
  gboolean stall = chance (sim, 0.5), outgoing = g_rand_boolean (sim->rand);

  if (n < 0)
    return;
  for (guint i = 0; i < grp_fixture_n_nodes (sim->f); i++)
    if ((int) i != n)
      {
        if (outgoing)
          grp_fixture_cut (sim->f, n, (int) i, FALSE, stall);
        else
          grp_fixture_cut (sim->f, (int) i, n, FALSE, stall);
      }
  sim->res->partitions++;
}

static void
resume_later (GrpFixture *f, gpointer data)
{
  grp_fixture_resume (f, GPOINTER_TO_INT (data));
}

static void
kill_later (GrpFixture *f, gpointer data)
{
  int n = GPOINTER_TO_INT (data);
  guint up = 0;

  for (guint i = 0; i < grp_fixture_n_nodes (f); i++)
    up += grp_fixture_up (f, (int) i);
  if (grp_fixture_up (f, n) && up > 1)
    grp_fixture_kill (f, n);
}

static void
random_link (Sim *sim, int *from, int *to)
{
  *from = pick (sim, TRUE, FALSE);
  *to = pick (sim, FALSE, FALSE);
}

static void
fault_event (GrpFixture *f, gpointer data)
{
  Sim *sim = data;

  if (grp_fixture_now (f) >= sim->faults_end)
    return;
  grp_fixture_at (f, grp_fixture_now (f) + rand_range (sim, 30 * MS, 300 * MS), fault_event, sim);
  one_fault (sim, g_rand_int_range (sim->rand, 0, 100));
}

static void
fault_later (GrpFixture *f, gpointer data)
{
  Sim *sim = g_ptr_array_index ((GPtrArray *) data, 0);
  int what = GPOINTER_TO_INT (g_ptr_array_index ((GPtrArray *) data, 1));

  g_ptr_array_unref (data);
  if (grp_fixture_now (f) < sim->faults_end)
    one_fault (sim, what);
}

static void
one_fault (Sim *sim, int what)
{
  GrpFixture *f = sim->f;
  int n, m;

  if (what < 16)
    kill_some (sim, pick (sim, TRUE, FALSE));
  else if (what < 30)
    {
      n = pick (sim, TRUE, FALSE);
      if (n >= 0 && !grp_fixture_paused (f, n))
        {
          grp_fixture_pause (f, n);
          grp_fixture_at (f,
                          grp_fixture_now (f) + rand_range (sim, sim->suspect / 2,
                                                            3 * sim->suspect),
                          resume_later, GINT_TO_POINTER (n));
        }
    }
  else if (what < 38)
    {
      if (grp_fixture_partitioned (f))
        grp_fixture_heal (f);
      else
        random_partition (sim);
    }
  else if (what < 43)
    one_way_cut (sim);
  else if (what < 62)
    {
      if (grp_fixture_n_nodes (f) < 40)
        {
          char name[16];

          g_snprintf (name, sizeof name, "w%u", grp_fixture_n_nodes (f));
          grp_fixture_spawn (f, name, -1);
          sim->res->joins++;
        }
    }
  else if (what < 69)
    {
      /* One member leaves, or two at the same moment (the leader often). */
      guint leavers = chance (sim, 0.4) ? 2 : 1;

      for (guint l = 0; l < leavers; l++)
        {
          n = l == 0 && chance (sim, 0.3) ? grp_fixture_leader (f) : pick (sim, FALSE, TRUE);
          if (n >= 0 && n_up (sim) > 2)
            grp_fixture_leave (f, n);
        }
    }
  else if (what < 77)
    {
      random_link (sim, &n, &m);
      if (n >= 0 && m >= 0 && n != m)
        grp_fixture_hold (f, n, m, grp_fixture_now (f) + rand_range (sim, 5 * MS, 80 * MS));
    }
  else if (what < 81)
    {
      random_link (sim, &n, &m);
      if (n >= 0 && m >= 0 && n != m)
        grp_fixture_reconnect (f, n, m);
    }
  else if (what < 85)
    {
      /* A network error taken for a loss: an unconfirmed report about a
       * member that is alive. */
      random_link (sim, &n, &m);
      if (n >= 0 && m >= 0 && n != m)
        grp_fixture_report (f, n, m);
    }
  else if (what < 92)
    {
      /* A cluster: several faults within a few ms. */
      guint k = (guint) g_rand_int_range (sim->rand, 2, 5);

      for (guint i = 0; i < k; i++)
        {
          GPtrArray *a = g_ptr_array_new ();
          int sub = g_rand_int_range (sim->rand, 0, 100);

          /* kills, pauses, resumes and held links, mostly */
          sub = sub < 40 ? g_rand_int_range (sim->rand, 0, 16) :
                sub < 60 ? g_rand_int_range (sim->rand, 16, 30) :
                sub < 80 ? 200 : g_rand_int_range (sim->rand, 69, 77);
          g_ptr_array_add (a, sim);
          g_ptr_array_add (a, GINT_TO_POINTER (sub));
          grp_fixture_at (f, grp_fixture_now (f) + rand_range (sim, 0, 5 * MS), fault_later, a);
        }
    }
  else if (what == 200)
    {
      /* Resume a stopped member. */
      for (guint i = 0; i < grp_fixture_n_nodes (f); i++)
        if (grp_fixture_paused (f, (int) i))
          {
            grp_fixture_resume (f, (int) i);
            break;
          }
    }
  else
    grp_fixture_heal (f);
}

/* ---- the adversary -------------------------------------------------------- */

static void
trap_over (GrpFixture *f, gpointer data)
{
  ((Sim *) data)->trapping = FALSE;
}


typedef struct {
  Sim *sim;
  int from, to;
  gint64 until;
} HoldLater;

static void
hold_later (GrpFixture *f, gpointer data)
{
  HoldLater *h = data;

  if (grp_fixture_up (f, h->from))
    grp_fixture_hold (f, h->from, h->to, h->until);
  g_free (h);
}

static void
schedule_hold (Sim *sim, gint64 at, int from, int to, gint64 until)
{
  HoldLater *h = g_new0 (HoldLater, 1);

  h->sim = sim;
  h->from = from;
  h->to = to;
  h->until = until;
  grp_fixture_at (sim->f, at, hold_later, h);
}

/* The proposer asks `to` to accept a view that leaves `out` behind (it was
 * stopped, or cut off).  Strike as in docs/PROTOCOL.md's worst case: the
 * accept is slow to arrive, `out` comes back and talks with the deciders in
 * the old view, then their messages to it back up, they decide, and they
 * die before it hears: only the quorum rule stands between `out` and a
 * view of its own. */
static void
accept_trap (Sim *sim, int from, int to, int out)
{
  GrpFixture *f = sim->f;
  gint64 now = grp_fixture_now (f);
  gint64 slow = rand_range (sim, 10 * MS, 50 * MS);
  gint64 shut = now + slow - rand_range (sim, 0, 8 * MS);
  gint64 die = now + slow + rand_range (sim, 1 * MS, 8 * MS);
  const GrpView *v = grp_proto_get_view (grp_fixture_proto (f, from));

  grp_fixture_note (f, "TRAP (accept) %s -> %s, %s left out", grp_fixture_name (f, from),
                    grp_fixture_name (f, to), grp_fixture_name (f, out));
  grp_fixture_hold (f, from, to, now + slow);
  if (grp_fixture_paused (f, out))
    grp_fixture_at (f, now + rand_range (sim, 0, slow / 2), resume_later, GINT_TO_POINTER (out));
  for (guint i = 0; i < v->n_members; i++)
    {
      int m = grp_fixture_node_of (f, v->members[i].id);

      if (m < 0 || m == out)
        continue;
      schedule_hold (sim, shut, m, out, die + 200 * MS);
      if (m == from || m == to || chance (sim, 0.5))
        grp_fixture_at (f, die + rand_range (sim, 0, 4 * MS), kill_later, GINT_TO_POINTER (m));
    }
}

/* A view change is under way (its proposer sends PREPARE, ACCEPT or
 * DECIDE): now and then strike in the few ms it takes.  Back up the
 * proposer's link to a member, let stopped members resume, kill the
 * proposer and perhaps another member within ms of each other -- the
 * interleavings in which a view decided by some is unknown to others. */
static void
adversary (GrpFixture *f, int from, int to, GrpMsg *msg, gpointer data)
{
  Sim *sim = data;
  gint64 now = grp_fixture_now (f), at;
  int other;

  if (to < 0 || sim->trapping || sim->traps_left == 0 || now < 100 * MS ||
      now >= sim->faults_end ||
      (msg->type != GRP_MSG_PREPARE && msg->type != GRP_MSG_ACCEPT &&
       msg->type != GRP_MSG_DECIDE) ||
      !chance (sim, sim->trap_rate))
    return;
  sim->trapping = TRUE;
  sim->traps_left--;
  sim->res->traps++;
  grp_fixture_at (f, now + 100 * MS, trap_over, sim);
  if (msg->type == GRP_MSG_ACCEPT && msg->accept.value != NULL && chance (sim, 0.6))
    {
      const GrpView *v = grp_proto_get_view (grp_fixture_proto (f, from));

      for (guint i = 0; v != NULL && i < v->n_members; i++)
        if (!grp_view_contains (msg->accept.value, v->members[i].id))
          {
            int out = grp_fixture_node_of (f, v->members[i].id);

            if (out >= 0 && grp_fixture_up (f, out))
              {
                accept_trap (sim, from, to, out);
                return;
              }
          }
    }
  grp_fixture_note (f, "TRAP on %s from %s", grp_msg_type_name (msg->type),
                    grp_fixture_name (f, from));
  grp_fixture_hold (f, from, to, now + rand_range (sim, 2 * MS, 60 * MS));
  if (chance (sim, 0.5))
    {
      other = pick (sim, FALSE, FALSE);
      if (other >= 0 && other != from)
        grp_fixture_hold (f, from, other, now + rand_range (sim, 2 * MS, 60 * MS));
    }
  for (guint i = 0; i < grp_fixture_n_nodes (f); i++)
    if (grp_fixture_paused (f, (int) i) && chance (sim, 0.5))
      grp_fixture_at (f, now + rand_range (sim, 0, 10 * MS), resume_later,
                      GINT_TO_POINTER ((int) i));
  if (chance (sim, 0.3))
    {
      other = pick (sim, FALSE, FALSE);
      if (other >= 0 && other != from)
        {
          grp_fixture_pause (f, other);
          grp_fixture_at (f, now + rand_range (sim, sim->suspect / 2, 2 * sim->suspect),
                          resume_later, GINT_TO_POINTER (other));
        }
    }
  at = now + rand_range (sim, 0, 30 * MS);
  if (chance (sim, 0.7))
    grp_fixture_at (f, at, kill_later, GINT_TO_POINTER (from));
  if (chance (sim, 0.5))
    {
      other = pick (sim, FALSE, FALSE);
      if (other >= 0 && other != from)
        grp_fixture_at (f, at + rand_range (sim, 0, 5 * MS), kill_later, GINT_TO_POINTER (other));
    }
}

/* ---- one seed ------------------------------------------------------------ */

static void
calm (GrpFixture *f, gpointer data)
{
  grp_fixture_calm (f);
}

void
sim_run (const SimOptions *options, SimResult *res)
{
  Sim sim_ = { 0 }, *sim = &sim_;
  GrpCoreConfig cfg;
  GrpFixtureNet net;
  g_autoptr(GRand) setup = NULL;
  guint32 seed[2] = { (guint32) options->seed, (guint32) (options->seed >> 32) };
  guint members;
  int delivery = options->delivery;
  gint64 settled_since = -1;
  g_autoptr(GString) why = g_string_new (NULL);
  GrpFixture *f;

  memset (res, 0, sizeof *res);
  /* The seed's settings come from a generator of their own, so that what
   * the network draws does not shift them. */
  setup = g_rand_new_with_seed_array (seed, 2);
  members = options->members ? options->members : (guint) g_rand_int_range (setup, 3, 7);
  if (delivery < 0)
    delivery = g_rand_boolean (setup) ? GRP_DELIVERY_SAFE : GRP_DELIVERY_AGREED;

  /* The exercise's stages have no safe delivery. */
  if (options->protocol != NULL && !options->protocol->safe_delivery)
    delivery = GRP_DELIVERY_AGREED;
  grp_core_config_init (&cfg);
  cfg.delivery = delivery;
  cfg.heartbeat_interval = 20 * MS;
  cfg.suspect_timeout = 100 * MS;
  cfg.retry_interval = 10 * MS;
  cfg.join_timeout = g_rand_double (setup) < 0.15 ? (gint64) g_rand_int_range (setup, 120, 400) * MS
                                                    : 1000 * MS;
  cfg.window = 8;
  cfg.max_batch = 64;
  cfg.batch = g_rand_boolean (setup);
  if (g_rand_double (setup) < 0.2)
    cfg.max_lag = (guint64) g_rand_int_range (setup, 4, 64);
  /* Messages that carry only a few entries each: every catch-up (a
   * promise, an accept, a NAK's answer, a view's missing positions) then
   * comes in parts, as large payloads do for real. */
  if (g_rand_double (setup) < 0.3)
    cfg.max_msg_bytes = (gsize) g_rand_int_range (setup, 43, 400);

  grp_fixture_net_init (&net);
  net.delay_min = 50;
  net.delay_max = (gint64) g_rand_int_range (setup, 300, 2000);
  net.tail_p = g_rand_double (setup) < 0.3 ? 0 : g_rand_double_range (setup, 0.002, 0.03);
  net.tail_scale = (gint64) g_rand_int_range (setup, 500, 3000);
  net.tail_max = 60 * MS;
  net.loss = g_rand_double (setup) < 0.5 ? g_rand_double_range (setup, 0.0, 0.03) : 0.0;
  net.dup = g_rand_double (setup) < 0.5 ? g_rand_double_range (setup, 0.0, 0.03) : 0.0;
  net.reconnect = g_rand_double (setup) < 0.3 ? g_rand_double_range (setup, 0.0005, 0.003) : 0.0;
  net.reset_loss = 0.3;
  net.stall_break = g_rand_double (setup) < 0.3 ? 0.3 : 0.0;
  net.report_min = 200;
  net.report_max = g_rand_double (setup) < 0.2 ? 40 * MS : 3 * MS;
  net.crash_rate = 1.0 / 100;

  sim->f = f = grp_fixture_new (&cfg, &net, options->seed);
  if (options->protocol != NULL)
    grp_fixture_set_protocol (f, options->protocol);
  sim->res = res;
  sim->rand = grp_fixture_rand (f);
  sim->workers = g_array_new (FALSE, TRUE, sizeof (Worker));
  sim->faults_end = FAULT_PHASE;
  sim->suspect = cfg.suspect_timeout;
  sim->trap_rate = g_rand_double (setup) < 0.5 ? 0.0 : g_rand_double_range (setup, 0.01, 0.08);
  sim->traps_left = (guint) g_rand_int_range (setup, 1, 4);
  grp_fixture_set_tracing (f, options->trace);
  grp_fixture_set_auto_rejoin (f, MAX (24, 3 * members));
  grp_fixture_set_send_hook (f, adversary, sim);
  grp_fixture_note (f, "seed %" G_GUINT64_FORMAT ": %u members, %s delivery, %s, "
                    "delays %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " us tail %.3f, "
                    "loss %.3f, dup %.3f, reconnect %.4f, max_lag %"
                    G_GUINT64_FORMAT ", join timeout %" G_GINT64_FORMAT " ms, traps %.3f, "
                    "max_msg_bytes %" G_GSIZE_FORMAT,
                    options->seed, members, delivery == GRP_DELIVERY_SAFE ? "safe" : "agreed",
                    cfg.batch ? "batched" : "unbatched", net.delay_min, net.delay_max, net.tail_p,
                    net.loss, net.dup, net.reconnect, cfg.max_lag, cfg.join_timeout / MS,
                    sim->trap_rate, cfg.max_msg_bytes);

  for (guint i = 0; i < members; i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "w%u", i);
      grp_fixture_spawn (f, name, i == 0 ? -1 : 0);
      grp_fixture_run_for (f, 5 * MS);
    }
  grp_fixture_at (f, grp_fixture_now (f), workers_tick, sim);
  /* The faults stop (the adversary's last strokes may land a little later). */
  grp_fixture_at (f, sim->faults_end, calm, NULL);
  grp_fixture_at (f, sim->faults_end + 3 * sim->suspect, calm, NULL);
  grp_fixture_at (f, grp_fixture_now (f) + rand_range (sim, 30 * MS, 300 * MS), fault_event, sim);

  while (grp_fixture_violation (f) == NULL)
    {
      if (!grp_fixture_step (f))
        break;
      if (grp_fixture_now (f) < sim->faults_end)
        continue;
      if (grp_fixture_converged (f, why))
        {
          if (settled_since < 0)
            settled_since = grp_fixture_now (f);
          else if (grp_fixture_now (f) - settled_since > 10 * cfg.suspect_timeout &&
                   grp_fixture_now (f) >= sim->faults_end + SETTLE_LIMIT / 4)
            break;
        }
      else
        settled_since = -1;
      if (grp_fixture_now (f) > sim->faults_end + SETTLE_LIMIT)
        {
          for (guint i = 0; i < grp_fixture_n_nodes (f); i++)
            if (grp_fixture_up (f, (int) i))
              {
                g_autofree char *d = grp_proto_describe (grp_fixture_proto (f, (int) i));

                grp_fixture_note (f, "state: %s", d);
              }
          grp_fixture_fail (f, "no convergence %.0f ms after the faults stopped: %s",
                            (double) (grp_fixture_now (f) - sim->faults_end) / MS, why->str);
          break;
        }
    }
  if (grp_fixture_violation (f) == NULL)
    grp_fixture_check_all_delivered (f);
  res->lost = TRUE;
  for (guint i = 0; i < grp_fixture_n_nodes (f); i++)
    if (grp_fixture_up (f, (int) i))
      {
        if (grp_fixture_rightly_blocked (f, (int) i))
          res->blocked++;
        else if (grp_proto_get_status (grp_fixture_proto (f, (int) i)) == GRP_STATUS_MEMBER)
          res->lost = FALSE;
      }
  res->stats = *grp_fixture_stats (f);
  res->end_time = grp_fixture_now (f);
  res->ok = grp_fixture_violation (f) == NULL;
  res->violation = g_strdup (grp_fixture_violation (f));
  if (options->trace)
    res->trace = g_strdup (grp_fixture_trace (f));
  g_array_unref (sim->workers);
  grp_fixture_free (f);
}

void
sim_result_clear (SimResult *res)
{
  g_clear_pointer (&res->violation, g_free);
  g_clear_pointer (&res->trace, g_free);
}
