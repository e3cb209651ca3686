/* gms3.c: the exercise's third stage: reliable multicast, on an argument.
 *
 * As gms2, and every message and view carries a number.  A slave keeps
 * the number it expects next and the last message it received; it drops
 * what is numbered below what it expects.  A new leader first sends the
 * last message it received again, then its view.
 *
 * The argument: the leader sends in list order and the next leader is the
 * first of the list, so if anyone got a message, the next leader did, and
 * re-sending it mends a broadcast cut by a crash.  On one machine, with
 * crashes only, it holds.  It does not hold when a message is lost (the
 * slave takes the next number and skips the gap), when the next leader
 * did not get the message after all (TCP loses what a dying process had
 * not yet sent), or when a slow leader is taken for dead (two leaders give
 * the same numbers to different messages).  The simulator finds each. */
#include "grp-stages.h"
#include "stage.h"

static void elect (GrpStage *s);

static gboolean
from_next_leader (GrpStage *s, const GrpView *view)
{
  return grp_view_leader (view) == grp_stage_next_leader (s) &&
         !grp_view_contains (view, grp_stage_leader (s));
}

/* The exercise's slave(Id, Master, Leader, N, Last, Slaves, Group):
 *   {msg, I, _} when I < N             -> drop (a duplicate)
 *   {msg, I, Msg}                      -> deliver; N := I + 1; Last := it
 *   {view, I, [Leader|Slaves2], Group2} -> deliver; N := I + 1; Last := it
 * A message numbered beyond N is delivered all the same: the gap is never
 * noticed.  A view is not checked against N. */
static void
recv_seq (GrpStage *s, GrpId from, GrpEntry *e)
{
  if (e->kind == GRP_ENTRY_DATA)
    {
      if (e->seq < s->delivered + 1)
        return;
    }
  else
    {
      if (!grp_view_contains (e->view, s->self.id))
        return;
      if (from_next_leader (s, e->view))
        elect (s);
      if (s->status != GRP_STATUS_MEMBER)
        return; /* a handler left on the view the election announced */
      if (!grp_stage_led_by_leader (s, e->view))
        return;
    }
  grp_stage_deliver (s, e, e->seq);
  g_clear_pointer (&s->last, grp_entry_unref);
  s->last = grp_entry_ref (e);
}

/* The exercise's election(Id, Master, N, Last, Slaves, Group):
 *   [Self|Rest]   -> bcast Last to Rest; bcast {view, N, Slaves, Group};
 *                    lead from N + 1
 *   [Leader|Rest] -> monitor Leader; be its slave */
static void
elect (GrpStage *s)
{
  grp_stage_drop_leader (s);
  if (!grp_stage_i_lead (s))
    return;
  if (s->last != NULL)
    grp_stage_bcast (s, s->last);
  grp_stage_announce (s);
}

static const GrpStageKind kind = {
  .numbered = TRUE,
  .recv_seq = recv_seq,
  .leader_lost = elect,
};

static GrpProto *
gms3_new (const GrpCoreConfig *config, const GrpMember *self)
{
  return grp_stage_new (&kind, config, self);
}

const GrpProtoClass grp_gms3_class = {
  .name = "gms3",
  .summary = "the exercise's third stage: numbered messages, the new leader re-sends the last one "
             "(holds under crashes; a lost message or a slow leader breaks it)",
  .new = gms3_new,
  GRP_STAGE_METHODS,
};
