/* bench-hist.c: latency histograms and the order hash. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

void
bench_hist_init (BenchHist *h)
{
  h->count = g_new0 (guint32, BENCH_HIST_MAX + 1);
  h->n = 0;
}

void
bench_hist_reset (BenchHist *h)
{
  memset (h->count, 0, sizeof (guint32) * (BENCH_HIST_MAX + 1));
  h->n = 0;
}

void
bench_hist_clear (BenchHist *h)
{
  g_clear_pointer (&h->count, g_free);
  h->n = 0;
}

static guint
bucket_of (gint64 us)
{
  if (us < BENCH_HIST_FINE)
    return (guint) MAX (us, 0);
  return (guint) MIN (BENCH_HIST_FINE + (us - BENCH_HIST_FINE) / 1000, BENCH_HIST_MAX);
}

/* The smallest value (µs) a bucket holds. */
static double
value_of (guint bucket)
{
  if (bucket < BENCH_HIST_FINE)
    return bucket;
  return BENCH_HIST_FINE + (double) (bucket - BENCH_HIST_FINE) * 1000;
}

void
bench_hist_add (BenchHist *h, gint64 us)
{
  h->count[bucket_of (us)]++;
  h->n++;
}

char *
bench_hist_format (const BenchHist *h)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i <= BENCH_HIST_MAX; i++)
    if (h->count[i] != 0)
      g_string_append_printf (s, " %u:%u", i, h->count[i]);
  return g_string_free (s, FALSE);
}

void
bench_hist_parse (BenchHist *h, const char *s)
{
  while (s != NULL && *s)
    {
      char *end;
      guint64 b = g_ascii_strtoull (s, &end, 10);
      guint64 n;

      if (end == s || *end != ':')
        {
          s = strchr (s, ' ');
          if (s != NULL)
            s++;
          continue;
        }
      n = g_ascii_strtoull (end + 1, &end, 10);
      h->count[MIN (b, BENCH_HIST_MAX)] += (guint32) n;
      h->n += n;
      s = end;
    }
}

/* The smallest value at or below which a fraction p of the samples lie. */
double
bench_hist_percentile (const BenchHist *h, double p)
{
  guint64 want, seen = 0;

  if (h->n == 0)
    return 0;
  want = (guint64) (p * h->n + 0.999999);
  want = CLAMP (want, 1, h->n);
  for (guint i = 0; i <= BENCH_HIST_MAX; i++)
    {
      seen += h->count[i];
      if (seen >= want)
        return value_of (i);
    }
  return value_of (BENCH_HIST_MAX);
}

/* FNV-style, a word at a time (the bench's own cost per delivery must stay
 * small next to the library's). */
guint64
bench_hash_step (guint64 h, guint64 seq, const char *from, guint64 ctr)
{
  const guint64 prime = 1099511628211ull;

  h = (h ^ seq) * prime;
  h = (h ^ g_str_hash (from)) * prime;
  h = (h ^ ctr) * prime;
  return h ^ (h >> 29);
}
