/* embed.c: the smallest program that embeds a Groupy member.
 *
 *   cc embed.c $(pkg-config --cflags --libs groupy) -o embed
 *   ./embed alice                   # creates a group, prints its address
 *   ./embed bob 127.0.0.1:PORT      # joins it
 *   ./embed --expect 3 carol 127.0.0.1:PORT
 *
 * Each member multicasts one greeting.  The application state is the list
 * of greetings so far: a member that joins late receives it (get-state /
 * set-state), then the greetings that follow, in the group's total order.
 * Once the list holds --expect greetings (default 2) a member prints it,
 * leaves the group cleanly and exits.  examples/embed.py is the same
 * program in Python; the two run in one group. */
#include <groupy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GMainLoop *loop;
static int expect = 2;
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
on_delivered (GrpGroup *group, guint64 seq, const char *from, guint64 ctr, GBytes *payload,
              gpointer data)
{
  gsize len;
  const char *text = g_bytes_get_data (payload, &len);

  printf ("#%" G_GUINT64_FORMAT " %s: %.*s\n", seq, from, (int) len, text);
  fflush (stdout);
  g_string_append_printf (greetings, "%.*s\n", (int) len, text);
  if (count () == (guint) expect)
    g_main_loop_quit (loop);
}

static void
on_view_changed (GrpGroup *group, guint64 view_id, guint64 seq, GStrv members, GStrv joined,
                 GStrv left, gpointer data)
{
  g_autofree char *all = g_strjoinv (" ", members);
  g_autofree char *in = g_strjoinv (" ", joined);
  g_autoptr(GString) out = g_string_new (NULL);
  GEnumClass *reasons = g_type_class_ref (GRP_TYPE_GROUP_DEPARTURE);

  /* Why each one went: it left, crashed, went silent... */
  for (guint i = 0; left[i] != NULL; i++)
    {
      GEnumValue *why = g_enum_get_value (reasons, grp_group_get_departure (group, left[i]));

      g_string_append_printf (out, "%s%s (%s)", i > 0 ? " " : "", left[i],
                              why != NULL ? why->value_nick : "?");
    }
  g_type_class_unref (reasons);
  printf ("#%" G_GUINT64_FORMAT " view %" G_GUINT64_FORMAT ": %s (joined: %s; left: %s)\n",
          seq, view_id, all, *in ? in : "-", out->len > 0 ? out->str : "-");
  fflush (stdout);
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

  printf ("state as of #%" G_GUINT64_FORMAT "\n", seq);
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
    g_printerr ("embed: %s\n", error->message);
}

static void
joined (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  if (!grp_group_join_finish (GRP_GROUP (source), res, &error))
    {
      g_printerr ("embed: %s\n", error->message);
      exit (2);
    }
  greet (GRP_GROUP (source));
}

static void
left (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;

  if (!grp_group_leave_finish (GRP_GROUP (source), res, &error))
    g_printerr ("leave: %s\n", error->message);
  g_main_loop_quit (loop);
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "expect", 'e', 0, G_OPTION_ARG_INT, &expect,
      "Leave once N greetings are known (default 2)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME [HOST:PORT]");
  g_autoptr(GrpGroup) group = NULL;
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context,
    "Create a group as NAME, or join the group of the member at HOST:PORT;\n"
    "multicast one greeting, print the greetings, and leave.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("embed: %s (see embed --help)\n", error->message);
      return 2;
    }
  if (argc < 2 || argc > 3 || argv[1][0] == '\0' || expect < 1)
    {
      g_printerr ("embed: give a NAME, HOST:PORT to join, --expect 1 or more "
                  "(see embed --help)\n");
      return 2;
    }
  loop = g_main_loop_new (NULL, FALSE);
  greetings = g_string_new (NULL);
  group = grp_group_new (argv[1]);
  grp_group_set_get_state_func (group, get_state, NULL, NULL);
  grp_group_set_set_state_func (group, set_state, NULL, NULL);
  g_signal_connect (group, "delivered", G_CALLBACK (on_delivered), NULL);
  g_signal_connect (group, "view-changed", G_CALLBACK (on_view_changed), NULL);
  if (!grp_group_listen (group, NULL, NULL, &error))
    {
      g_printerr ("embed: %s\n", error->message);
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
      g_printerr ("embed: %s\n", error->message);
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
