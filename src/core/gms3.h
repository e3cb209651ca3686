/* gms3.h: the original exercise's gms3 (gms3.c), for comparison only. */
#pragma once

#include "grp-core.h"

void       grp_gms3_create (GrpCore *core);
void       grp_gms3_join (GrpCore *core);
guint64    grp_gms3_multicast (GrpCore *core, GBytes *payload);
void       grp_gms3_receive (GrpCore *core, GrpMsg *msg);
void       grp_gms3_unreachable (GrpCore *core, GrpId peer);
void       grp_gms3_tick (GrpCore *core);
