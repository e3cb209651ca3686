/* groupy.h: the public API of libgroupy (pkg-config --cflags --libs groupy). */
#pragma once

#include "grp-group.h"
