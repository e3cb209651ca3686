/* grp-stages.h: the Groupy exercise's stages, as protocols behind the seam
 * (grp-proto.h).  Each is its own small state machine; they share
 * stage.c.  docs/TUTORIAL.md shows each one fail the way it should. */
#pragma once

#include "grp-proto.h"

G_BEGIN_DECLS

extern const GrpProtoClass grp_gms1_class;
extern const GrpProtoClass grp_gms2_class;
extern const GrpProtoClass grp_gms3_class;
extern const GrpProtoClass grp_gms4_class;

G_END_DECLS
