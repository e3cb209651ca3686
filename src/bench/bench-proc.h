/* bench-proc.h: the driver's child processes. */
#pragma once

#include <gio/gio.h>

typedef struct {
  GSubprocess *proc;
  GPid pid;
  GOutputStream *in;
  GAsyncQueue *lines;   /* char*, from the reader thread */
  GThread *reader;
  gboolean eof;
  char *name;
  char *addr;
} BenchChild;

BenchChild *bench_child_spawn (const char *const *argv, GError **error);
void        bench_child_tell (BenchChild *c, const char *line);
/* The next line, or NULL after `timeout_ms` or at the end of its output. */
char       *bench_child_next (BenchChild *c, guint timeout_ms);
/* The next line that starts with `prefix`; lines before it are dropped. */
char       *bench_child_expect (BenchChild *c, const char *prefix, guint timeout_ms);
void        bench_child_drain (BenchChild *c);
gint64      bench_child_rss_kb (BenchChild *c);
gint64      bench_child_cpu_ns (BenchChild *c);
void        bench_child_kill (BenchChild *c);
void        bench_child_free (BenchChild *c, guint timeout_ms);
