/* groupy-node: the headless worker.
 *
 * SIGUSR1 stops multicasting (delivery goes on), so a group can be let go
 * quiet before it is stopped; SIGUSR2 starts it again.
 *
 * Exit status: 0 after a clean leave (SIGTERM, SIGINT), 1 if the member was
 * left out and could not rejoin or stopped with its own changes undelivered
 * (its group without a quorum), 2 for anything the user must fix (bad
 * options, an unreachable --join, a port in use, a refused name).  An
 * injected crash ends the process with SIGKILL, like kill -9.
 */
#include <malloc.h>
#include <stdio.h>

#include "grp-worker.h"

typedef struct {
  GMainLoop *loop;
  GrpWorker *worker;
  int status;
} Node;

static void
fatal (Node *node, int status, const char *what, const GError *error)
{
  fprintf (stderr, "groupy-node: %s%s%s\n", what, error ? ": " : "", error ? error->message : "");
  node->status = status;
  g_main_loop_quit (node->loop);
}

static void
on_stopped (GrpWorker *worker, const GError *error, gpointer data)
{
  Node *node = data;

  if (error != NULL)
    {
      fprintf (stderr, "groupy-node: %s\n", error->message);
      node->status = 1;
    }
  g_main_loop_quit (node->loop);
}

static void
say_joined (GrpWorker *worker)
{
  printf ("%s joined: view %" G_GUINT64_FORMAT ", role %s, protocol %s\n",
          grp_worker_get_name (worker), grp_worker_get_view_id (worker),
          grp_role_to_string (grp_worker_get_role (worker)),
          grp_worker_get_protocol (worker));
  fflush (stdout);
}

static void
first_view (GrpWorker *worker, GParamSpec *pspec, gpointer data)
{
  if (grp_worker_get_view_id (worker) == 0)
    return;
  g_signal_handlers_disconnect_by_func (worker, first_view, data);
  say_joined (worker);
}

static void
started (GObject *source, GAsyncResult *res, gpointer data)
{
  Node *node = data;
  g_autoptr(GError) error = NULL;

  if (!grp_worker_start_finish (node->worker, res, &error))
    {
      /* Stopped while joining (SIGTERM): the leave ended the join, and its
       * own callback, which runs next, logs the exit and says "stopped". */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      fatal (node, 2, "could not join the group", error);
      return;
    }
  /* A newcomer holds the state a moment before the view that admits it is
   * delivered: name the view once it is. */
  if (grp_worker_get_view_id (node->worker) == 0)
    g_signal_connect (node->worker, "notify::view-id", G_CALLBACK (first_view), node);
  else
    say_joined (node->worker);
}

static void
on_failed (GrpWorker *worker, const GError *error, gpointer data)
{
  fatal (data, 1, "left out of the group and could not rejoin", error);
}

int
main (int argc, char **argv)
{
  GrpOptions options;
  g_autoptr(GError) error = NULL;
  Node node = { 0 };
  g_autofree char *notice = NULL;

  /* Buffers of a megabyte and more (a frame may hold 18 MiB) always come
   * from mmap: growing one moves no bytes, and freed it goes back to the
   * system at once.  Else glibc raises its threshold after the first such
   * free and takes the next from the heap, where the pages of a peer's
   * large frames stay with the process (the attack suite's memory bound,
   * docs/SECURITY.md). */
  mallopt (M_MMAP_THRESHOLD, 1024 * 1024);
  if (!grp_options_parse (&options, &argc, &argv,
                          "A Groupy worker without a window: it multicasts color changes and\n"
                          "delivers the group's changes in total order.", NULL, &error))
    {
      fprintf (stderr, "groupy-node: %s (see groupy-node --help)\n", error->message);
      return 2;
    }
  if (options.new_secret != NULL)
    {
      int status = grp_options_new_secret (&options, "groupy-node");

      grp_options_clear (&options);
      return status;
    }
  node.loop = g_main_loop_new (NULL, FALSE);
  notice = grp_options_security_notice (&options, options.name);
  node.worker = grp_worker_new (&options);
  if (!grp_worker_prepare (node.worker, &error))
    {
      fprintf (stderr, "groupy-node: %s\n", error->message);
      g_object_unref (node.worker);
      g_main_loop_unref (node.loop);
      return 2;
    }
  printf ("%s listening on %s\n", grp_worker_get_name (node.worker),
          grp_worker_get_address (node.worker));
  if (notice != NULL)
    printf ("%s\n", notice);
  fflush (stdout);

  grp_worker_handle_signals (node.worker);
  g_signal_connect (node.worker, "stopped", G_CALLBACK (on_stopped), &node);
  g_signal_connect (node.worker, "failed", G_CALLBACK (on_failed), &node);
  grp_worker_start_async (node.worker, started, &node);
  g_main_loop_run (node.loop);

  g_object_unref (node.worker);
  g_main_loop_unref (node.loop);
  return node.status;
}
