/* grp-limits.h: the ranges of the worker's options.
 *
 * groupy-node and the groupy window refuse a value outside them
 * (grp-options.c, and the window's own options in src/app/main.c);
 * groupy-demo and groupy-console pass their options on to the workers they
 * start, so they check them against the same ranges, here, rather than
 * copies that drifted (a --suspect-timeout of 1 to 199 ms was taken, and
 * every worker died at its start).  Header only: the supervisor links no
 * worker code. */
#pragma once

#include <glib.h>

/* --sleep MS, and the "sleep MS" command */
#define GRP_LIMIT_SLEEP_MAX_MS          (3600 * 1000)
/* --crash-rate N, and the "crash-rate N" command (0: off) */
#define GRP_LIMIT_CRASH_RATE_MAX        G_MAXINT
/* --heartbeat MS */
#define GRP_LIMIT_HEARTBEAT_MIN_MS      5
#define GRP_LIMIT_HEARTBEAT_MAX_MS      60000
#define GRP_LIMIT_HEARTBEAT_DEFAULT_MS  100
/* --suspect-timeout MS: at least twice the heartbeat, at most this */
#define GRP_LIMIT_SUSPECT_MAX_MS        600000
#define GRP_LIMIT_SUSPECT_DEFAULT_MS    2000
#define GRP_LIMIT_SUSPECT_MIN_MS(heartbeat_ms) (2 * (gint64) (heartbeat_ms))
/* The window's --color-rate N (0: on every delivery) and --slot N (-1: none) */
#define GRP_LIMIT_COLOR_RATE_MAX        1000
#define GRP_LIMIT_SLOT_MAX              1000
