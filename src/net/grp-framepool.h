/* grp-framepool.h: buffers for the frames a transport reads, kept for reuse.
 *
 * A frame read is copied out of the read chunk into a buffer of its own,
 * which the messages parsed from it keep (their payloads are slices of it)
 * until the last of them is let go: by the core once every member holds it,
 * or by the program that was handed a payload.  Taken from malloc each time,
 * a frame of some KiB came from pages glibc had just given back to the
 * system (it trims the top of its heap once 128 KiB are free there), and the
 * copy into it cost a page fault every 4 KiB: 7,000 a second at a TLS
 * leader at K = 5 with 1 KiB payloads, a fault costing about 10 µs on this
 * kind of machine.  The pool keeps buffers let go, up to
 * GRP_FRAME_POOL_BYTES in all, and gives them to frames of about their size:
 * a buffer is its frame's length rounded up to 1 KiB, and a frame takes a
 * kept one at most a quarter larger than itself (plus the rounding), so
 * what a frame keeps alive stays near its length, which is what the core's
 * bounds count.  Once the load is over (GRP_FRAME_POOL_IDLE_AFTER frames in
 * a row it does not serve) it keeps nothing, until it serves a frame again.
 *
 * Buffers may be let go from any thread (a payload handed to a program is
 * the program's); the pool outlives its transport until the last buffer
 * taken from it is let go. */
#pragma once

#include <glib.h>

/* Smaller frames come from malloc: its bins serve them from pages in use. */
#define GRP_FRAME_POOL_MIN (4 * 1024)
/* Larger frames (a state, a catch-up) are rare: malloc serves them.  A
 * sequencer's full batch (256 entries of 1 KiB) is about 270 KiB. */
#define GRP_FRAME_POOL_MAX (512 * 1024)
/* What the pool keeps, in all, of buffers let go: a dozen full batches. */
#define GRP_FRAME_POOL_BYTES (4 * 1024 * 1024)
/* After this many frames in a row that the pool does not serve (heartbeats,
 * acknowledgements: the load is over), it lets go of what it keeps, and of
 * what is let go after, until it serves a frame again. */
#define GRP_FRAME_POOL_IDLE_AFTER 64

typedef struct _GrpFramePool GrpFramePool;

GrpFramePool *grp_frame_pool_new (void);
/* The pool keeps nothing more; buffers still out free themselves. */
void grp_frame_pool_close (GrpFramePool *pool);
/* A copy of `len` bytes at `data`, in a pooled buffer when `len` is in
 * [GRP_FRAME_POOL_MIN, GRP_FRAME_POOL_MAX].  Called from one thread (the
 * transport's); the copies may be let go from any. */
GBytes *grp_frame_pool_copy (GrpFramePool *pool, const void *data, gsize len);
/* Buffers kept (for tests). */
gsize grp_frame_pool_kept_bytes (GrpFramePool *pool);
