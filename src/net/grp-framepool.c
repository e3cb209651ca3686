/* grp-framepool.c: buffers for the frames a transport reads, kept for
 * reuse (see grp-framepool.h). */
#include "grp-framepool.h"

#include <string.h>

/* Reuse, not page alignment, is what saves the faults: a fine granule
 * keeps what a frame pins close to its length (what the core's bounds
 * count). */
#define GRANULE 1024

static gsize
cap_for (gsize len)
{
  return (len + GRANULE - 1) / GRANULE * GRANULE;
}

struct _GrpFramePool {
  gatomicrefcount rc; /* the transport's, and one per buffer out */
  GMutex lock;
  GPtrArray *kept;    /* Buf *, let go and kept for reuse */
  gsize kept_bytes;
  gboolean closed;
  guint unserved;     /* frames in a row not served from the pool (its thread's) */
  gboolean idle;      /* (lock) the load is over: buffers let go are freed */
};

typedef struct {
  GrpFramePool *pool;
  gsize cap;
  /* The frame follows (two words in, as aligned as that makes it: the
   * codec reads bytes). */
} Buf;

static void
pool_unref (GrpFramePool *pool)
{
  if (!g_atomic_ref_count_dec (&pool->rc))
    return;
  g_ptr_array_unref (pool->kept);
  g_mutex_clear (&pool->lock);
  g_free (pool);
}

GrpFramePool *
grp_frame_pool_new (void)
{
  GrpFramePool *pool = g_new0 (GrpFramePool, 1);

  g_atomic_ref_count_init (&pool->rc);
  g_mutex_init (&pool->lock);
  pool->kept = g_ptr_array_new_with_free_func (g_free);
  return pool;
}

/* Lets go of every buffer kept (the lock held). */
static void
drop_kept (GrpFramePool *pool)
{
  g_ptr_array_set_size (pool->kept, 0);
  pool->kept_bytes = 0;
}

void
grp_frame_pool_close (GrpFramePool *pool)
{
  g_mutex_lock (&pool->lock);
  pool->closed = TRUE;
  drop_kept (pool);
  g_mutex_unlock (&pool->lock);
  pool_unref (pool);
}

/* A buffer let go is kept, the oldest kept making room for it: the
 * newest are the likeliest to fit the frames to come. */
static void
buf_release (gpointer data)
{
  Buf *b = data;
  GrpFramePool *pool = b->pool;

  g_mutex_lock (&pool->lock);
  if (!pool->closed && !pool->idle)
    {
      while (pool->kept->len > 0 && pool->kept_bytes + b->cap > GRP_FRAME_POOL_BYTES)
        {
          Buf *old = g_ptr_array_index (pool->kept, 0);

          pool->kept_bytes -= old->cap;
          g_ptr_array_remove_index (pool->kept, 0);
        }
      g_ptr_array_add (pool->kept, b);
      pool->kept_bytes += b->cap;
      b = NULL;
    }
  g_mutex_unlock (&pool->lock);
  g_free (b);
  pool_unref (pool);
}

/* The smallest buffer kept that `len` fits, at most a quarter larger than
 * `len` (rounded): a small frame does not pin a large buffer.  `own` is
 * the size of a buffer of its own. */
static Buf *
take_kept (GrpFramePool *pool, gsize len, gsize own)
{
  Buf *best = NULL;
  gsize most = cap_for (len + len / 4);
  guint at = 0;

  g_mutex_lock (&pool->lock);
  pool->idle = FALSE;
  /* Newest first, and an exact fit ends the search. */
  for (guint i = pool->kept->len; i-- > 0;)
    {
      Buf *b = g_ptr_array_index (pool->kept, i);

      if (b->cap >= len && b->cap <= most && (best == NULL || b->cap < best->cap))
        {
          best = b;
          at = i;
          if (b->cap == own)
            break;
        }
    }
  if (best != NULL)
    {
      g_ptr_array_steal_index (pool->kept, at);
      pool->kept_bytes -= best->cap;
    }
  g_mutex_unlock (&pool->lock);
  return best;
}

GBytes *
grp_frame_pool_copy (GrpFramePool *pool, const void *data, gsize len)
{
  gsize own = cap_for (len);
  Buf *b;
  guint8 *frame;

  if (len < GRP_FRAME_POOL_MIN || len > GRP_FRAME_POOL_MAX)
    {
      if (++pool->unserved == GRP_FRAME_POOL_IDLE_AFTER)
        {
          g_mutex_lock (&pool->lock);
          pool->idle = TRUE;
          drop_kept (pool);
          g_mutex_unlock (&pool->lock);
        }
      return g_bytes_new (data, len);
    }
  pool->unserved = 0;
  b = take_kept (pool, len, own);
  if (b == NULL)
    {
      b = g_malloc (sizeof (Buf) + own);
      b->cap = own;
    }
  b->pool = pool;
  g_atomic_ref_count_inc (&pool->rc);
  frame = (guint8 *) (b + 1);
  memcpy (frame, data, len);
  return g_bytes_new_with_free_func (frame, len, buf_release, b);
}

gsize
grp_frame_pool_kept_bytes (GrpFramePool *pool)
{
  gsize n;

  g_mutex_lock (&pool->lock);
  n = pool->kept_bytes;
  g_mutex_unlock (&pool->lock);
  return n;
}
