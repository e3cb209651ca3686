/* bench.h: what groupy-bench's driver and members share. */
#pragma once

#include <gio/gio.h>

#include "grp-group.h"

/* Latency histogram: 1 µs buckets up to 100 ms, then 1 ms buckets up to
 * 10 s (slow links: tools/bench-hosts), the rest in the last. */
#define BENCH_HIST_FINE 100000
#define BENCH_HIST_MAX (BENCH_HIST_FINE + 9900)

typedef struct {
  guint32 *count;   /* BENCH_HIST_MAX + 1 */
  guint64 n;
} BenchHist;

void     bench_hist_init (BenchHist *h);
void     bench_hist_reset (BenchHist *h);
void     bench_hist_clear (BenchHist *h);
void     bench_hist_add (BenchHist *h, gint64 us);
/* " B:N B:N ..." for the non-empty buckets; and back (adds to `h`). */
char    *bench_hist_format (const BenchHist *h);
void     bench_hist_parse (BenchHist *h, const char *s);
double   bench_hist_percentile (const BenchHist *h, double p);

/* A hash of the delivered sequence: equal hashes, equal order. */
#define BENCH_HASH_INIT 14695981039346656037ull
guint64  bench_hash_step (guint64 h, guint64 seq, const char *from, guint64 ctr);

/* `listen`: HOST:PORT, or NULL for 127.0.0.1 and any port; `insecure`: listen
 * beyond loopback without a secret. */
int      bench_member_main (const char *name, const char *contact, guint want, gsize size,
                            gsize state_size, gboolean joiner, const char *secret_file,
                            const char *listen, gboolean insecure);

/* The floor (bench-floor.c): `peers` echo processes answer 16 B over
 * loopback TCP or a Unix-domain socket; each answer's round trip (µs) is
 * added to `hist`.  And the echo process itself (--floor-echo ADDR). */
gboolean bench_floor_run (const char *self, gboolean unix_socket, guint peers, double seconds,
                          BenchHist *hist, GError **error);
int      bench_floor_echo_main (const char *addr);

/* The machine's own stalls (bench-stalls.c): a thread per CPU reads the
 * clock for `seconds`; gaps of 100 µs or more, and of 1 ms or more, counted
 * and timed, summed over the CPUs (elapsed_ns too: CPU-time measured). */
typedef struct {
  guint cpus;
  guint64 over_100us, over_1ms;
  gint64 lost_ns, lost_1ms_ns, longest_ns, elapsed_ns;
} BenchStalls;

void     bench_stalls_run (double seconds, BenchStalls *all);

/* What TLS adds on one link (bench-tlsfloor.c): a stream of `total` bytes
 * through a socket pair, bare and then through TLS as members set it up;
 * the process's CPU per KiB each way, and TLS's cipher suite. */
gboolean bench_tls_floor_run (gsize total, double *bare_us_per_kib, double *tls_us_per_kib,
                              char **ciphersuite, GError **error);
