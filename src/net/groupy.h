/* groupy.h: the public API of libgroupy (pkg-config --cflags --libs groupy).
 * The only header to include; the others refuse to be included alone. */
#pragma once

#define _GROUPY_INSIDE
#include "grp-version.h"
#include "grp-group.h"
#include "grp-enum-types.h"
#undef _GROUPY_INSIDE
