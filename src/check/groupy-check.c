/* groupy-check: verify the event logs of a group's workers.
 *
 *   groupy-check LOG...
 *
 * Checks what the simulator checks, from the JSON Lines logs that
 * groupy-node and groupy write (--log):
 *  - members agree on every position they both delivered (same message or
 *    view, same color after it), states included;
 *  - no member incarnation skips or repeats a position;
 *  - no multicast is delivered at two positions;
 *  - every multicast of a member that lived to the end (its log ends with
 *    "exit") was delivered;
 *  - with --same-end (for a group let go quiet before it was stopped): the
 *    members that lived to the end stopped at the same position, with the
 *    same color.
 * With agreed delivery, a member that crashed or was left out may have
 * delivered positions after its last view that the group filled otherwise;
 * only those are exempt.
 *
 * Exit status: 0 when everything holds, 1 with the first violation, 2 when a
 * log cannot be read.
 */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

typedef enum { END_RUNNING, END_EXIT, END_CRASH, END_EXCLUDED } End;

typedef struct {
  char *log;
  char *name;
  guint index;             /* incarnation number within its log */
  gboolean safe;
  guint64 first;           /* first position, 0 before any */
  guint64 last;
  guint64 last_view;
  guint64 state_seq;       /* the state's position: the first to deliver */
  guint64 last_data;       /* last data position delivered */
  End end;
  GArray *sends;           /* K */
  guint8 color[3];
} Inc;

typedef struct {
  gboolean view;
  char *what;              /* "view 3 [a,b]" or "b#12 change 7" */
  guint8 color[3];
  Inc *witness;
} Pos;

typedef struct {
  GHashTable *positions;   /* seq -> Pos* */
  GHashTable *origins;     /* "name#K" -> seq */
  GPtrArray *incs;
  char *violation;
  guint checked;
  gboolean same_end;
} Checker;

static void G_GNUC_PRINTF (2, 3)
violate (Checker *c, const char *fmt, ...)
{
  va_list ap;

  if (c->violation)
    return;
  va_start (ap, fmt);
  c->violation = g_strdup_vprintf (fmt, ap);
  va_end (ap);
}

static gboolean
exempt (Inc *inc, guint64 seq)
{
  return !inc->safe && inc->end != END_EXIT && inc->end != END_RUNNING && seq > inc->last_view;
}

static gboolean
read_color (JsonObject *o, guint8 *rgb)
{
  JsonArray *a;

  if (!json_object_has_member (o, "color"))
    return FALSE;
  a = json_object_get_array_member (o, "color");
  if (a == NULL || json_array_get_length (a) != 3)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    rgb[i] = (guint8) json_array_get_int_element (a, i);
  return TRUE;
}

static void
position (Checker *c, Inc *inc, guint64 seq, gboolean view, char *what, const guint8 *rgb)
{
  Pos *p;

  if (inc->first == 0)
    {
      if (inc->state_seq != 0 && seq != inc->state_seq)
        violate (c, "%s (%s) took the state as of %" G_GUINT64_FORMAT " but delivers from %" G_GUINT64_FORMAT,
                 inc->name, inc->log, inc->state_seq, seq);
      inc->first = seq;
    }
  else if (seq != inc->last + 1)
    violate (c, "%s (%s) delivers position %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT " (gap or repeat)",
             inc->name, inc->log, seq, inc->last);
  inc->last = seq;
  memcpy (inc->color, rgb, 3);
  c->checked++;
  p = g_hash_table_lookup (c->positions, &seq);
  if (p == NULL)
    {
      p = g_new0 (Pos, 1);
      p->view = view;
      p->what = what;
      memcpy (p->color, rgb, 3);
      p->witness = inc;
      g_hash_table_insert (c->positions, g_memdup2 (&seq, sizeof seq), p);
      return;
    }
  if (p->view == view && g_str_equal (p->what, what) && memcmp (p->color, rgb, 3) == 0)
    {
      g_free (what);
      return;
    }
  if (exempt (inc, seq))
    {
      g_free (what);
      return;
    }
  if (exempt (p->witness, seq))
    {
      g_free (p->what);
      p->what = what;
      p->view = view;
      memcpy (p->color, rgb, 3);
      p->witness = inc;
      return;
    }
  violate (c, "position %" G_GUINT64_FORMAT ": %s has %s, color (%u,%u,%u); %s has %s, color (%u,%u,%u)",
           seq, p->witness->name, p->what, p->color[0], p->color[1], p->color[2],
           inc->name, what, rgb[0], rgb[1], rgb[2]);
  g_free (what);
}

static Inc *
new_inc (Checker *c, const char *log, const char *name, guint index, gboolean safe)
{
  Inc *inc = g_new0 (Inc, 1);

  inc->log = g_strdup (log);
  inc->name = g_strdup (name);
  inc->index = index;
  inc->safe = safe;
  inc->sends = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_ptr_array_add (c->incs, inc);
  return inc;
}

static gboolean
read_log (Checker *c, const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *name = g_path_get_basename (path);
  gboolean safe = FALSE;
  guint index = 0;
  Inc *inc = NULL;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, error))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && c->violation == NULL; i++)
    {
      JsonObject *o;
      const char *ev;
      g_autoptr(GError) local = NULL;
      gboolean last_line = lines[i + 1] == NULL;

      if (lines[i][0] == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, &local) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          /* A process killed in the middle of a write leaves a cut last
           * line; anything else is not our log. */
          if (last_line)
            break;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u: not a JSON object", path, i + 1);
          return FALSE;
        }
      o = json_node_get_object (json_parser_get_root (parser));
      ev = json_object_get_string_member_with_default (o, "ev", "");
      if (g_str_equal (ev, "start"))
        {
          g_free (name);
          name = g_strdup (json_object_get_string_member_with_default (o, "name", "?"));
          safe = g_strcmp0 (json_object_get_string_member_with_default (o, "delivery", ""), "safe") == 0;
          continue;
        }
      if (inc == NULL || inc->end != END_RUNNING)
        {
          if (g_str_equal (ev, "send") || g_str_equal (ev, "state") || g_str_equal (ev, "view") ||
              g_str_equal (ev, "deliver"))
            inc = new_inc (c, path, name, index++, safe);
          else if (inc == NULL)
            continue;
        }
      if (g_str_equal (ev, "view") || g_str_equal (ev, "deliver"))
        {
          guint64 seq = (guint64) json_object_get_int_member_with_default (o, "seq", 0);
          guint8 rgb[3];
          char *what;

          if (seq == 0 || !read_color (o, rgb))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "%s:%u: a %s event needs seq and color", path, i + 1, ev);
              return FALSE;
            }
          if (g_str_equal (ev, "view"))
            {
              JsonArray *m = json_object_get_array_member (o, "members");
              g_autoptr(GString) s = g_string_new (NULL);

              g_string_printf (s, "view %" G_GINT64_FORMAT " [", json_object_get_int_member_with_default (o, "view", 0));
              for (guint k = 0; m != NULL && k < json_array_get_length (m); k++)
                g_string_append_printf (s, "%s%s", k ? "," : "", json_array_get_string_element (m, k));
              g_string_append_c (s, ']');
              what = g_string_free (g_steal_pointer (&s), FALSE);
              inc->last_view = seq;
              position (c, inc, seq, TRUE, what, rgb);
            }
          else
            {
              const char *from = json_object_get_string_member_with_default (o, "from", "?");
              guint64 k = (guint64) json_object_get_int_member_with_default (o, "id", 0);
              char *key = g_strdup_printf ("%s#%" G_GUINT64_FORMAT, from, k);
              guint64 *known = g_hash_table_lookup (c->origins, key);

              inc->last_data = seq;
              what = g_strdup_printf ("%s change %" G_GINT64_FORMAT, key,
                                      json_object_get_int_member_with_default (o, "change", 0));
              position (c, inc, seq, FALSE, what, rgb);
              if (known == NULL)
                g_hash_table_insert (c->origins, key, g_memdup2 (&seq, sizeof seq));
              else
                {
                  if (*known != seq && !exempt (inc, seq))
                    {
                      Pos *p = g_hash_table_lookup (c->positions, known);

                      if (p != NULL && !p->view && g_str_has_prefix (p->what, key) &&
                          p->what[strlen (key)] == ' ' && !exempt (p->witness, *known))
                        violate (c, "multicast %s delivered at positions %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
                                 key, *known, seq);
                    }
                  g_free (key);
                }
            }
        }
      else if (g_str_equal (ev, "state"))
        {
          guint64 seq = (guint64) json_object_get_int_member_with_default (o, "seq", 0);
          guint8 rgb[3];

          if (!read_color (o, rgb))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u: state without color", path, i + 1);
              return FALSE;
            }
          if (inc->first != 0)
            {
              /* A state after deliveries starts a new incarnation. */
              inc->end = END_EXCLUDED;
              inc = new_inc (c, path, name, index++, safe);
            }
          inc->state_seq = seq;
          memcpy (inc->color, rgb, 3);
        }
      else if (g_str_equal (ev, "send"))
        {
          guint64 k = (guint64) json_object_get_int_member_with_default (o, "id", 0);

          g_array_append_val (inc->sends, k);
        }
      else if (g_str_equal (ev, "excluded"))
        inc->end = END_EXCLUDED;
      else if (g_str_equal (ev, "crash"))
        inc->end = END_CRASH;
      else if (g_str_equal (ev, "exit"))
        inc->end = END_EXIT;
    }
  if (inc != NULL && inc->end == END_RUNNING)
    inc->end = END_CRASH; /* killed from outside: no exit line */
  return TRUE;
}

/* Did a and b end after the same change?  An incarnation that took the state
 * at S and delivered no change since ended after the last change before S. */
static gboolean
same_last_change (const Inc *a, const Inc *b)
{
  if (a->last_data == b->last_data)
    return TRUE;
  if (a->last_data == 0 && a->state_seq != 0)
    return b->last_data < a->state_seq;
  if (b->last_data == 0 && b->state_seq != 0)
    return a->last_data < b->state_seq;
  return FALSE;
}

/* Every multicast of an incarnation that lived to the end was delivered,
 * by the group and by the sender itself (a worker leaves only once its own
 * changes are delivered). */
static void
check_survivors (Checker *c)
{
  Inc *ref = NULL;

  for (guint i = 0; i < c->incs->len && !c->violation; i++)
    {
      Inc *inc = g_ptr_array_index (c->incs, i);

      if (inc->end != END_EXIT)
        continue;
      for (guint k = 0; k < inc->sends->len; k++)
        {
          g_autofree char *key = g_strdup_printf ("%s#%" G_GUINT64_FORMAT, inc->name,
                                                  g_array_index (inc->sends, guint64, k));
          guint64 *seq = g_hash_table_lookup (c->origins, key);

          if (seq == NULL)
            {
              violate (c, "multicast %s of %s, which lived to the end, was never delivered", key, inc->name);
              return;
            }
          if (*seq < inc->first || *seq > inc->last)
            {
              violate (c, "%s lived to the end but did not deliver its own multicast %s (position %"
                       G_GUINT64_FORMAT ")", inc->name, key, *seq);
              return;
            }
        }
      if (ref == NULL)
        ref = inc;
      else if (c->same_end && (!same_last_change (ref, inc) || memcmp (ref->color, inc->color, 3) != 0))
        violate (c, "members that lived to the end did not finish together: %s's last change at %"
                 G_GUINT64_FORMAT " with (%u,%u,%u), %s's at %" G_GUINT64_FORMAT " with (%u,%u,%u)",
                 ref->name, ref->last_data, ref->color[0], ref->color[1], ref->color[2],
                 inc->name, inc->last_data, inc->color[0], inc->color[1], inc->color[2]);
    }
}

static void
pos_free (gpointer data)
{
  Pos *p = data;

  g_free (p->what);
  g_free (p);
}

static void
inc_free (gpointer data)
{
  Inc *inc = data;

  g_free (inc->log);
  g_free (inc->name);
  g_array_unref (inc->sends);
  g_free (inc);
}

int
main (int argc, char **argv)
{
  Checker c = { 0 };
  guint crashes = 0, survivors = 0;
  int status;

  if (argc >= 2 && g_str_equal (argv[1], "--same-end"))
    {
      c.same_end = TRUE;
      argv++;
      argc--;
    }
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      fprintf (argc < 2 ? stderr : stdout,
               "Usage: groupy-check [--same-end] LOG...\n"
               "Check the JSON Lines logs of a group's workers (groupy-node --log FILE).\n"
               "--same-end: the members that lived to the end must also have stopped at the\n"
               "same position with the same color (stop multicasting first: SIGUSR1).\n");
      return argc < 2 ? 2 : 0;
    }
  if (g_str_has_prefix (argv[1], "-"))
    {
      fprintf (stderr, "groupy-check: unknown option %s (see groupy-check --help)\n", argv[1]);
      return 2;
    }
  c.positions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, pos_free);
  c.origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c.incs = g_ptr_array_new_with_free_func (inc_free);
  for (int i = 1; i < argc && c.violation == NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!read_log (&c, argv[i], &error))
        {
          fprintf (stderr, "groupy-check: %s\n", error->message);
          return 2;
        }
    }
  check_survivors (&c);
  for (guint i = 0; i < c.incs->len; i++)
    {
      Inc *inc = g_ptr_array_index (c.incs, i);

      crashes += inc->end == END_CRASH;
      survivors += inc->end == END_EXIT;
    }
  if (c.violation)
    {
      printf ("groupy-check: VIOLATION: %s\n", c.violation);
      status = 1;
    }
  else
    {
      printf ("groupy-check: OK: %d logs, %u incarnations (%u crashed, %u to the end), %u deliveries checked, "
              "%u positions\n", argc - 1, c.incs->len, crashes, survivors, c.checked,
              g_hash_table_size (c.positions));
      status = 0;
    }
  g_free (c.violation);
  g_hash_table_unref (c.positions);
  g_hash_table_unref (c.origins);
  g_ptr_array_unref (c.incs);
  return status;
}
