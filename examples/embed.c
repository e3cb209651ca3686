/* embed.c: the smallest program that embeds a Groupy member.
 *
 *   cc embed.c $(pkg-config --cflags --libs groupy) -o embed
 *   ./embed alice                   # creates a group, prints its address
 *   ./embed bob 127.0.0.1:PORT      # joins it
 *
 * Each member multicasts one greeting.  The application state is the list
 * of greetings so far: a member that joins late receives it (get-state /
 * set-state), then the greetings that follow, in the group's total order.
 * Once the list holds `expect` greetings (default 2) a member prints it,
 * leaves the group cleanly and exits. */
#include <groupy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GMainLoop *loop;
static guint expect = 2;
static GString *greetings; /* the application state: one greeting a line */

static guint
count (void)
{
  guint n = 0;

  for (const char *p = greetings->str; *p; p++)
    n += *p == '\n';
  return n;
}

static void
on_delivered (GrpGroup *group, guint64 seq, const char *from, guint64 ctr, GBytes *payload, gpointer data)
{
  gsize len;
  const char *text = g_bytes_get_data (payload, &len);

  g_string_append_printf (greetings, "%.*s\n", (int) len, text);
  if (count () == expect)
    g_main_loop_quit (loop);
}

static GBytes *
get_state (GrpGroup *group, gpointer data)
{
  return g_bytes_new (greetings->str, greetings->len);
}

static void
set_state (GrpGroup *group, guint64 seq, GBytes *state, gpointer data)
{
  gsize len;
  const char *text = g_bytes_get_data (state, &len);

  g_string_truncate (greetings, 0);
  g_string_append_len (greetings, text, (gssize) len);
}

static void
greet (GrpGroup *group)
{
  g_autofree char *text = g_strdup_printf ("hello from %s", grp_group_get_name (group));
  g_autoptr(GBytes) payload = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  if (grp_group_multicast (group, payload, &error) == 0)
    fprintf (stderr, "embed: %s\n", error->message);
}

static void
joined (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  if (!grp_group_join_finish (GRP_GROUP (source), res, &error))
    {
      fprintf (stderr, "embed: %s\n", error->message);
      exit (2);
    }
  greet (GRP_GROUP (source));
}

static void
left (GObject *source, GAsyncResult *res, gpointer data)
{
  g_main_loop_quit (loop);
}

int
main (int argc, char **argv)
{
  g_autoptr(GrpGroup) group = NULL;
  g_autoptr(GError) error = NULL;

  if (argc < 2)
    {
      fprintf (stderr, "usage: embed NAME [HOST:PORT [EXPECT]]\n");
      return 2;
    }
  if (argc > 3)
    expect = (guint) atoi (argv[3]);
  loop = g_main_loop_new (NULL, FALSE);
  greetings = g_string_new (NULL);
  group = grp_group_new (argv[1]);
  grp_group_set_state_funcs (group, get_state, set_state, NULL, NULL);
  g_signal_connect (group, "delivered", G_CALLBACK (on_delivered), NULL);
  if (!grp_group_listen (group, NULL, NULL, &error))
    {
      fprintf (stderr, "embed: %s\n", error->message);
      return 2;
    }
  printf ("%s listening on %s\n", argv[1], grp_group_get_address (group));
  fflush (stdout);
  if (argc > 2)
    grp_group_join_async (group, argv[2], NULL, joined, NULL);
  else if (grp_group_create (group, &error))
    greet (group);
  else
    {
      fprintf (stderr, "embed: %s\n", error->message);
      return 2;
    }
  g_main_loop_run (loop);
  printf ("%s saw:\n%s", argv[1], greetings->str);
  fflush (stdout);

  /* Leave cleanly, so the others see a goodbye rather than a crash. */
  grp_group_leave_async (group, NULL, left, NULL);
  g_main_loop_run (loop);
  g_main_loop_unref (loop);
  g_string_free (greetings, TRUE);
  return 0;
}
