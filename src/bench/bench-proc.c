/* bench-proc.c: the driver's children, each a process with a line protocol
 * on its stdin and stdout, read by a thread into a queue. */
#include "bench-proc.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define EOF_LINE "\x04eof"

static gpointer
reader (gpointer data)
{
  BenchChild *c = data;
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (c->proc));
  char *line;

  while ((line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL)) != NULL)
    g_async_queue_push (c->lines, line);
  g_async_queue_push (c->lines, g_strdup (EOF_LINE));
  return NULL;
}

BenchChild *
bench_child_spawn (const char *const *argv, GError **error)
{
  BenchChild *c = g_new0 (BenchChild, 1);

  c->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                               error);
  if (c->proc == NULL)
    {
      g_free (c);
      return NULL;
    }
  c->in = g_subprocess_get_stdin_pipe (c->proc);
  c->lines = g_async_queue_new_full (g_free);
  c->pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (c->proc), NULL, 10);
  c->reader = g_thread_new ("bench-reader", reader, c);
  return c;
}

void
bench_child_tell (BenchChild *c, const char *line)
{
  if (c->eof)
    return;
  g_output_stream_write_all (c->in, line, strlen (line), NULL, NULL, NULL);
  g_output_stream_write_all (c->in, "\n", 1, NULL, NULL, NULL);
  g_output_stream_flush (c->in, NULL, NULL);
}

char *
bench_child_next (BenchChild *c, guint timeout_ms)
{
  char *line;

  if (c->eof)
    return NULL;
  line = g_async_queue_timeout_pop (c->lines, (guint64) timeout_ms * 1000);
  if (line != NULL && g_str_equal (line, EOF_LINE))
    {
      c->eof = TRUE;
      g_free (line);
      return NULL;
    }
  return line;
}

char *
bench_child_expect (BenchChild *c, const char *prefix, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      char *line;

      if (left <= 0)
        return NULL;
      line = bench_child_next (c, (guint) (left / 1000) + 1);
      if (line == NULL)
        return NULL;
      if (g_str_has_prefix (line, prefix))
        return line;
      g_free (line);
    }
}

void
bench_child_drain (BenchChild *c)
{
  char *line;

  while (!c->eof && (line = g_async_queue_try_pop (c->lines)) != NULL)
    {
      if (g_str_equal (line, EOF_LINE))
        c->eof = TRUE;
      g_free (line);
    }
}

gint64
bench_child_rss_kb (BenchChild *c)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) c->pid);
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  p = strstr (text, "VmRSS:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : -1;
}

/* CPU time used so far by all its threads, in ns (the scheduler's own
 * account, finer than the clock ticks of /proc/PID/stat); -1 if gone. */
gint64
bench_child_cpu_ns (BenchChild *c)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", (int) c->pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *task;
  gint64 sum = 0;

  if (dir == NULL)
    return -1;
  while ((task = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, task, "schedstat", NULL);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        sum += g_ascii_strtoll (text, NULL, 10); /* a thread ended meanwhile: 0 */
    }
  return sum;
}

void
bench_child_kill (BenchChild *c)
{
  g_subprocess_force_exit (c->proc);
}

/* Asks it to quit, and kills it if it has not within `timeout_ms`. */
void
bench_child_free (BenchChild *c, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  if (c == NULL)
    return;
  bench_child_tell (c, "quit");
  g_output_stream_close (c->in, NULL, NULL);
  while (!c->eof)
    {
      g_free (bench_child_next (c, 50));
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (c->proc);
          deadline = G_MAXINT64;
        }
    }
  g_subprocess_wait (c->proc, NULL, NULL);
  g_thread_join (c->reader);
  g_async_queue_unref (c->lines);
  g_object_unref (c->proc);
  g_free (c->name);
  g_free (c->addr);
  g_free (c);
}
