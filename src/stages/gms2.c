/* gms2.c: the exercise's second stage: the leader is watched.
 *
 * As gms1, and every slave watches the leader (a monitor: the transport's
 * crash reports, and the leader's heartbeats).  When the leader dies, the
 * first slave of the list leads: it sends the list, without the dead
 * leader, as a new view; the others take it as their leader.  Everyone
 * holds the same list, so everyone agrees on who leads.
 *
 * Nothing is sent again.  An injected crash part-way through a broadcast
 * (the transport's --crash-rate, the simulator's) leaves the slaves before
 * the cut with a message the others never get, and from then on they
 * apply the same changes to different colors: the windows drift apart for
 * good.  That is this stage's lesson. */
#include "grp-stages.h"
#include "stage.h"

static void elect (GrpStage *s);

/* A view led by the member our own election would choose, without our
 * leader: that member saw the leader die before we did (a monitor's report
 * reaches each member in its own time).  The exercise's slave would keep
 * the view until its own report came; here the report is taken as come. */
static gboolean
from_next_leader (GrpStage *s, const GrpView *view)
{
  return grp_view_leader (view) == grp_stage_next_leader (s) &&
         !grp_view_contains (view, grp_stage_leader (s));
}

static void
recv_seq (GrpStage *s, GrpId from, GrpEntry *e)
{
  if (e->kind == GRP_ENTRY_DATA)
    {
      grp_stage_deliver (s, e, s->delivered + 1);
      return;
    }
  if (!grp_view_contains (e->view, s->self.id))
    return;
  if (from_next_leader (s, e->view))
    elect (s);
  if (s->status != GRP_STATUS_MEMBER)
    return; /* a handler left on the view the election announced */
  if (grp_stage_led_by_leader (s, e->view))
    grp_stage_deliver (s, e, s->delivered + 1);
}

/* The exercise's election(Id, Master, Slaves, Group):
 *   [Self|Rest]   -> bcast {view, Slaves, Group} to Rest; lead
 *   [Leader|Rest] -> monitor Leader; be its slave */
static void
elect (GrpStage *s)
{
  grp_stage_drop_leader (s);
  if (grp_stage_i_lead (s))
    grp_stage_announce (s);
}

static const GrpStageKind kind = {
  .numbered = FALSE,
  .recv_seq = recv_seq,
  .leader_lost = elect,
};

static GrpProto *
gms2_new (const GrpCoreConfig *config, const GrpMember *self)
{
  return grp_stage_new (&kind, config, self);
}

const GrpProtoClass grp_gms2_class = {
  .name = "gms2",
  .summary = "the exercise's second stage: the leader is watched and replaced, nothing is sent "
             "again (a crash part-way through a broadcast makes members drift apart)",
  .new = gms2_new,
  GRP_STAGE_METHODS,
};
