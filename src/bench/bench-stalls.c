/* bench-stalls.c: the machine's own stalls, measured with nothing of ours
 * running (groupy-bench --only floor).
 *
 * One thread per CPU, each bound to its CPU, reads the monotonic clock in
 * a loop for the measured interval.  Two readings further apart than a
 * loop's turn are a time the thread did not run: another task had its CPU,
 * an interrupt, or the hypervisor ran something else on it (on a virtual
 * machine the guest cannot tell which).  A message whose path crosses such
 * a CPU waits at least as long, whatever carries it; under load it waits
 * for the backlog the stall left too.  So the share of time inside stalls
 * of a millisecond or more bounds what share of a latency's samples can
 * stay under a millisecond, on this machine at this moment: the floor of a
 * p99, as the echo processes give the floor of a median.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np */
#include "bench.h"

#include <pthread.h>
#include <string.h>
#include <sched.h>
#include <time.h>

/* A gap this long or longer is a stall (a turn of the loop takes well under
 * a microsecond). */
#define STALL_MIN_NS 100000
#define STALL_MS_NS 1000000

typedef struct {
  guint cpu;
  gint64 seconds_ns;
  BenchStalls out;
} StallThread;

static gint64
now_ns (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return (gint64) t.tv_sec * 1000000000 + t.tv_nsec;
}

static gpointer
stall_thread (gpointer data)
{
  StallThread *s = data;
  cpu_set_t set;
  gint64 start, last, end;

  CPU_ZERO (&set);
  CPU_SET (s->cpu, &set);
  pthread_setaffinity_np (pthread_self (), sizeof set, &set);
  start = last = now_ns ();
  end = start + s->seconds_ns;
  for (;;)
    {
      gint64 t = now_ns ();
      gint64 gap = t - last;

      last = t;
      if (gap >= STALL_MIN_NS)
        {
          s->out.over_100us++;
          s->out.lost_ns += gap;
          if (gap >= STALL_MS_NS)
            {
              s->out.over_1ms++;
              s->out.lost_1ms_ns += gap;
            }
          s->out.longest_ns = MAX (s->out.longest_ns, gap);
        }
      if (t >= end)
        break;
    }
  s->out.elapsed_ns = last - start;
  return NULL;
}

/* Over every CPU: counts and times summed, the longest the longest. */
void
bench_stalls_run (double seconds, BenchStalls *all)
{
  guint n = (guint) MAX (g_get_num_processors (), 1);
  g_autofree StallThread *s = g_new0 (StallThread, n);
  g_autofree GThread **threads = g_new0 (GThread *, n);

  memset (all, 0, sizeof *all);
  for (guint i = 0; i < n; i++)
    {
      s[i].cpu = i;
      s[i].seconds_ns = (gint64) (seconds * 1e9);
      threads[i] = g_thread_new ("stalls", stall_thread, &s[i]);
    }
  for (guint i = 0; i < n; i++)
    {
      g_thread_join (threads[i]);
      all->over_100us += s[i].out.over_100us;
      all->over_1ms += s[i].out.over_1ms;
      all->lost_ns += s[i].out.lost_ns;
      all->lost_1ms_ns += s[i].out.lost_1ms_ns;
      all->elapsed_ns += s[i].out.elapsed_ns;
      all->longest_ns = MAX (all->longest_ns, s[i].out.longest_ns);
    }
  all->cpus = n;
}
