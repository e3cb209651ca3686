/* grp-proto-core.h: the real protocol's class (grp-proto-core.c). */
#pragma once

#include "grp-proto.h"

extern const GrpProtoClass grp_proto_core_class;
