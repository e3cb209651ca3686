/* gms1.c: the exercise's first stage.
 *
 * The first process leads; the others are slaves.  A slave sends its
 * multicasts and the joins it is given to the leader; the leader sends
 * each message to every slave in list order, then delivers it; a slave
 * delivers what it receives, and takes a view from its leader only.
 * Nobody watches anybody: when the leader dies, the slaves wait for it
 * for good, and the group delivers nothing more -- the windows freeze in
 * their last color.  That is this stage's lesson. */
#include "grp-stages.h"
#include "stage.h"

/* The exercise's slave(Id, Master, Leader, Slaves, Group):
 *   {msg, Msg}                          -> deliver
 *   {view, [Leader|Slaves2], Group2}    -> deliver (Leader: ours, bound)
 * Messages carry no numbers: each member counts its own deliveries. */
static void
recv_seq (GrpStage *s, GrpId from, GrpEntry *e)
{
  if (e->kind == GRP_ENTRY_DATA)
    grp_stage_deliver (s, e, s->delivered + 1);
  else if (grp_stage_led_by_leader (s, e->view) && grp_view_contains (e->view, s->self.id))
    grp_stage_deliver (s, e, s->delivered + 1);
}

static const GrpStageKind kind = {
  .numbered = FALSE,
  .recv_seq = recv_seq,
  .leader_lost = NULL, /* no failure handling */
};

static GrpProto *
gms1_new (const GrpCoreConfig *config, const GrpMember *self)
{
  return grp_stage_new (&kind, config, self);
}

const GrpProtoClass grp_gms1_class = {
  .name = "gms1",
  .summary = "the exercise's first stage: no failure handling (a dead leader freezes the group)",
  .new = gms1_new,
  GRP_STAGE_METHODS,
};
