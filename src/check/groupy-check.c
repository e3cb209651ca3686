/* groupy-check: verify the event logs of a group's workers.
 *
 *   groupy-check [--same-end] LOG...
 *   groupy-check [--same-end] --files0-from FILE
 *
 * --files0-from reads the logs' names from FILE ("-": standard input), each
 * ended by a NUL byte, as du and wc do: groupy-demo and groupy-console check
 * every log a long session wrote, more than a command line holds.
 *
 * Checks what the simulator checks, from the JSON Lines logs that
 * groupy-node and groupy write (--log):
 *  - members agree on every position they both delivered (same message or
 *    view, same color after it), states included;
 *  - no member incarnation skips or repeats a position;
 *  - no multicast is delivered at two positions;
 *  - a message from a program that is not a worker (a "deliver" with its
 *    size and digest, no change) is a position like any other: the same
 *    at every member;
 *  - every multicast of a member that lived to the end (its log ends with
 *    "exit", not one that says "clean": false: a member that stopped with
 *    its own changes undelivered, its group without a quorum, is judged as
 *    one that crashed) was delivered;
 *  - with --same-end (for a group let go quiet before it was stopped): the
 *    members that lived to the end stopped at the same position, with the
 *    same color.
 * With agreed delivery, a member that crashed or was left out may have
 * delivered positions after its last view that the group filled otherwise;
 * only those are exempt.
 *
 * Every log is read to its end before anything is judged: whether a
 * delivery is exempt depends on how its member's log ends, so judging while
 * reading made the verdict depend on the order of the arguments.  The
 * judgement then walks the incarnations in one order (log path, then
 * incarnation) and the positions in sequence order, so the same logs give
 * the same verdict, and the same first violation, in any order.
 *
 * Exit status: 0 when everything holds, 1 with the first violation, 2 when a
 * log cannot be read or is no worker's log, or the logs are of more than
 * one group.
 */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

typedef enum { END_RUNNING, END_EXIT, END_CRASH, END_EXCLUDED } End;

/* One position as one incarnation delivered it. */
typedef struct {
  guint64 seq;
  gboolean view;
  char *what;              /* "view 3 [a,b]", "b#12 change 7" or "x's 10 bytes (digest)" */
  char *key;               /* a worker's change: "b#12" (the multicast); else NULL */
  gboolean foreign;        /* data from a program that is not a worker */
  char *from;              /* data: its sender's name, its K and change */
  guint64 k;
  gint64 change;
  guint8 color[3];
} Entry;

typedef struct {
  char *log;
  char *name;
  guint index;             /* incarnation number within its log */
  gboolean safe;
  guint64 state_seq;       /* the state's position: the first to deliver */
  guint8 state_color[3];   /* and the color it brought */
  guint64 last_view;
  End end;
  GArray *entries;         /* Entry, in the order delivered */
  GArray *sends;           /* K */
} Inc;

/* A delivery at a position, and who made it. */
typedef struct {
  Inc *inc;
  const Entry *entry;
} Witness;

/* A process of the group: one log (a worker writes one a group), the
 * first position it delivered (its founding view, or its state), and its
 * rank among its name's processes, from 1 (copies of one log share it). */
typedef struct {
  const char *log;
  guint64 first;
  guint rank;
} Process;

typedef struct {
  GPtrArray *incs;
  GHashTable *processes;   /* name -> GArray of Process, in the order they joined */
  gboolean same_end;
  char *violation;
  guint checked;
  guint n_positions;
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

/* Only meaningful once the incarnation's log has been read to its end. */
static gboolean
exempt (const Inc *inc, guint64 seq)
{
  return !inc->safe && inc->end != END_EXIT && inc->end != END_RUNNING && seq > inc->last_view;
}

/* The fields of an event, of the types a worker writes them: a field of
 * another type is an error (json-glib's getters give NULL for a string
 * that is a number, and warn for an array that is not one). */
typedef struct {
  const char *path;
  guint line;
  GError **error;
} Where;

static gboolean G_GNUC_PRINTF (2, 3)
unreadable (const Where *w, const char *fmt, ...)
{
  g_autofree char *what = NULL;
  va_list ap;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (w->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u: %s", w->path, w->line,
               what);
  return FALSE;
}

static gboolean
holds (JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
get_string (const Where *w, JsonObject *o, const char *name, const char *fallback,
            const char **out)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node != NULL && !holds (node, G_TYPE_STRING))
    return unreadable (w, "\"%s\" is not a string", name);
  *out = node != NULL ? json_node_get_string (node) : fallback;
  return TRUE;
}

/* An integer, or `fallback` without the field; -1 for one of another type. */
static gint64
get_int (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL)
    return fallback;
  return holds (node, G_TYPE_INT64) ? json_node_get_int (node) : -1;
}

static gboolean
get_id (const Where *w, JsonObject *o, const char *name, gint64 *out)
{
  *out = get_int (o, name, 0);
  if (*out < 0)
    return unreadable (w, "\"%s\" is not a number from 0", name);
  return TRUE;
}

static gboolean
read_color (JsonObject *o, guint8 *rgb)
{
  JsonNode *node = json_object_get_member (o, "color");
  JsonArray *a;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  a = json_node_get_array (node);
  if (json_array_get_length (a) != 3)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *v = json_array_get_element (a, i);

      if (!holds (v, G_TYPE_INT64) || json_node_get_int (v) < 0 || json_node_get_int (v) > 255)
        return FALSE;
      rgb[i] = (guint8) json_node_get_int (v);
    }
  return TRUE;
}

/* A position (from 1) and the color after it. */
static gboolean
read_position (const Where *w, JsonObject *o, const char *ev, guint64 *seq, guint8 *rgb)
{
  gint64 s = get_int (o, "seq", 0);

  if (s < 1 || !read_color (o, rgb))
    return unreadable (w, "a %s event needs seq and color", ev);
  *seq = (guint64) s;
  return TRUE;
}

static void
entry_clear (gpointer data)
{
  Entry *e = data;

  g_free (e->what);
  g_free (e->key);
  g_free (e->from);
}

static Inc *
new_inc (Checker *c, const char *log, const char *name, guint index, gboolean safe)
{
  Inc *inc = g_new0 (Inc, 1);

  inc->log = g_strdup (log);
  inc->name = g_strdup (name);
  inc->index = index;
  inc->safe = safe;
  inc->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_array_set_clear_func (inc->entries, entry_clear);
  inc->sends = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_ptr_array_add (c->incs, inc);
  return inc;
}

static void
inc_free (gpointer data)
{
  Inc *inc = data;

  g_free (inc->log);
  g_free (inc->name);
  g_array_unref (inc->entries);
  g_array_unref (inc->sends);
  g_free (inc);
}

static gboolean
describe_view (const Where *w, JsonObject *o, char **out)
{
  JsonNode *node = json_object_get_member (o, "members");
  JsonArray *m = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  gint64 view = get_int (o, "view", 0);

  if (node != NULL && m == NULL)
    return unreadable (w, "\"members\" is not a list of names");
  if (view < 0)
    return unreadable (w, "\"view\" is not a number from 0");
  g_string_printf (s, "view %" G_GINT64_FORMAT " [", view);
  for (guint k = 0; m != NULL && k < json_array_get_length (m); k++)
    {
      JsonNode *name = json_array_get_element (m, k);

      if (!holds (name, G_TYPE_STRING))
        return unreadable (w, "\"members\" is not a list of names");
      g_string_append_printf (s, "%s%s", k ? "," : "", json_node_get_string (name));
    }
  g_string_append_c (s, ']');
  *out = g_string_free (g_steal_pointer (&s), FALSE);
  return TRUE;
}

/* A worker's longest line, a view of GRP_MAX_MEMBERS (1024) members with
 * names of 64 characters, is under a megabyte, and its events nest two
 * deep: beyond these bounds a file is no worker's log.  (Without them a
 * file of one endless line, /dev/zero, was read until memory ran out, and
 * deep nesting overflowed json-glib's recursive parser.) */
#define MAX_LINE (4 << 20)
#define MAX_DEPTH 64

/* The next line of `f` in `line`, without its newline; FALSE at the end of
 * the file.  `ended`: a newline ended it (else it is the last, perhaps cut
 * short); a line longer than MAX_LINE is cut there. */
static gboolean
next_line (FILE *f, GString *line, gboolean *ended)
{
  int ch;

  g_string_truncate (line, 0);
  *ended = FALSE;
  while (line->len <= MAX_LINE && (ch = getc_unlocked (f)) != EOF)
    {
      if (ch == '\n')
        {
          *ended = TRUE;
          return TRUE;
        }
      g_string_append_c (line, (char) ch);
    }
  return line->len > 0;
}

static gboolean
nested_deeper (const GString *line, guint max)
{
  gboolean quoted = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < line->len; i++)
    {
      char ch = line->str[i];

      if (quoted && ch == '\\')
        i++;
      else if (ch == '"')
        quoted = !quoted;
      else if (!quoted && (ch == '[' || ch == '{') && ++depth > max)
        return TRUE;
      else if (!quoted && (ch == ']' || ch == '}') && depth > 0)
        depth--;
    }
  return FALSE;
}

/* Reads one log, a line at a time, into incarnations; judges nothing. */
static gboolean
read_events (Checker *c, const char *path, FILE *f, GError **error)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *name = g_path_get_basename (path);
  gboolean safe = FALSE, started = FALSE, ended;
  guint index = 0, lineno = 0;
  Inc *inc = NULL;

  while (next_line (f, line, &ended))
    {
      JsonObject *o;
      const char *ev;
      g_autoptr(GError) local = NULL;
      Where w = { path, ++lineno, error };

      if (line->len > MAX_LINE)
        return unreadable (&w, "longer than any event (4 MiB): not a worker's log");
      if (line->len == 0)
        continue;
      /* A process killed in the middle of a write leaves a cut last line;
       * anything else is not our log. */
      if (nested_deeper (line, MAX_DEPTH))
        {
          if (!ended)
            break;
          return unreadable (&w, "nested deeper than any event: not a worker's log");
        }
      if (!json_parser_load_from_data (parser, line->str, (gssize) line->len, &local) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          if (!ended)
            break;
          return unreadable (&w, "not a JSON object");
        }
      o = json_node_get_object (json_parser_get_root (parser));
      if (!get_string (&w, o, "ev", "", &ev))
        return FALSE;
      /* A worker writes its start line first, as it opens its log. */
      if (!started && !g_str_equal (ev, "start"))
        break;
      started = TRUE;
      if (g_str_equal (ev, "start"))
        {
          const char *n, *delivery;

          if (!get_string (&w, o, "name", "?", &n) ||
              !get_string (&w, o, "delivery", "", &delivery))
            return FALSE;
          g_free (name);
          name = g_strdup (n);
          safe = g_str_equal (delivery, "safe");
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
          Entry e = { 0 };

          if (!read_position (&w, o, ev, &e.seq, e.color))
            return FALSE;
          e.view = g_str_equal (ev, "view");
          if (e.view)
            {
              if (!describe_view (&w, o, &e.what))
                return FALSE;
              inc->last_view = e.seq;
            }
          else if (json_object_has_member (o, "digest"))
            {
              /* Not a color change: a program that is not a worker shares
               * the group.  Every member delivers it, as it is. */
              const char *from, *digest;
              gint64 bytes;

              if (!get_string (&w, o, "from", "?", &from) ||
                  !get_string (&w, o, "digest", "", &digest) || !get_id (&w, o, "bytes", &bytes))
                return FALSE;
              e.foreign = TRUE;
              e.from = g_strdup (from);
              e.what = g_strdup_printf ("%s's %" G_GINT64_FORMAT " bytes (%s)", from, bytes,
                                        digest);
            }
          else
            {
              const char *from;
              gint64 k, change;

              if (!get_string (&w, o, "from", "?", &from) || !get_id (&w, o, "id", &k) ||
                  !get_id (&w, o, "change", &change))
                return FALSE;
              /* Named once every log is read (name_multicasts). */
              e.from = g_strdup (from);
              e.k = (guint64) k;
              e.change = change;
            }
          g_array_append_val (inc->entries, e);
        }
      else if (g_str_equal (ev, "state"))
        {
          guint64 seq;
          guint8 rgb[3];

          if (!read_position (&w, o, ev, &seq, rgb))
            return FALSE;
          if (inc->entries->len > 0)
            {
              /* A state after deliveries starts a new incarnation. */
              inc->end = END_EXCLUDED;
              inc = new_inc (c, path, name, index++, safe);
            }
          inc->state_seq = seq;
          memcpy (inc->state_color, rgb, 3);
        }
      else if (g_str_equal (ev, "send"))
        {
          gint64 id;
          guint64 k;

          if (!get_id (&w, o, "id", &id))
            return FALSE;
          k = (guint64) id;
          g_array_append_val (inc->sends, k);
        }
      else if (g_str_equal (ev, "excluded"))
        inc->end = END_EXCLUDED;
      else if (g_str_equal (ev, "crash"))
        inc->end = END_CRASH;
      else if (g_str_equal (ev, "exit") && inc->end == END_RUNNING)
        {
          /* Not after "excluded" (a stop while rejoining): the
           * incarnation that was left out did not live to the end. */
          JsonNode *clean = json_object_get_member (o, "clean");

          if (clean != NULL && !holds (clean, G_TYPE_BOOLEAN))
            return unreadable (&w, "\"clean\" is not true or false");
          /* Not clean: it stopped with its own changes undelivered. */
          inc->end = clean == NULL || json_node_get_boolean (clean) ? END_EXIT : END_CRASH;
        }
    }
  if (ferror (f))
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot read %s: %s",
                   path, g_strerror (errno));
      return FALSE;
    }
  if (!started)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: not a worker's log (it starts with no start event)", path);
      return FALSE;
    }
  if (inc != NULL && inc->end == END_RUNNING)
    inc->end = END_CRASH; /* killed from outside: no exit line */
  return TRUE;
}

static gboolean
read_log (Checker *c, const char *path, GError **error)
{
  FILE *f = fopen (path, "r");
  gboolean ok;

  if (f == NULL)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot read %s: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  ok = read_events (c, path, f, error);
  fclose (f);
  return ok;
}

static int
compare_incs (gconstpointer a, gconstpointer b)
{
  const Inc *x = *(Inc *const *) a;
  const Inc *y = *(Inc *const *) b;
  int r = strcmp (x->log, y->log);

  return r != 0 ? r : (x->index > y->index) - (x->index < y->index);
}

static int
compare_processes (gconstpointer a, gconstpointer b)
{
  const Process *x = a, *y = b;

  return (x->first > y->first) - (x->first < y->first);
}

static guint64
first_seq (const Inc *inc)
{
  return inc->entries->len ? g_array_index (inc->entries, Entry, 0).seq : 0;
}

static guint64
last_seq (const Inc *inc)
{
  return inc->entries->len ? g_array_index (inc->entries, Entry, inc->entries->len - 1).seq : 0;
}

/* Last data position delivered, 0 if none. */
static guint64
last_data (const Inc *inc)
{
  for (guint i = inc->entries->len; i > 0; i--)
    {
      const Entry *e = &g_array_index (inc->entries, Entry, i - 1);

      if (!e->view)
        return e->seq;
    }
  return 0;
}

/* The color it ended with: after its last delivery, or the state's (it
 * was stopped before the view that admitted it came). */
static const guint8 *
end_color (const Inc *inc)
{
  static const guint8 black[3];

  if (inc->entries->len > 0)
    return g_array_index (inc->entries, Entry, inc->entries->len - 1).color;
  return inc->state_seq != 0 ? inc->state_color : black;
}

/* A member that crashed may be started again under its name: a new
 * process, whose changes are counted from 1 again, so "b#1" may be two
 * multicasts.  The processes of a name are told apart by where they
 * joined: a process's multicasts come after its first position, and
 * before the next one's (it had left the view that admitted that one). */
static void
find_processes (Checker *c)
{
  GHashTableIter iter;
  gpointer value;

  for (guint i = 0; i < c->incs->len; i++)
    {
      const Inc *inc = g_ptr_array_index (c->incs, i);
      guint64 first = inc->state_seq != 0 ? inc->state_seq : first_seq (inc);
      GArray *ps = g_hash_table_lookup (c->processes, inc->name);
      Process p = { inc->log, first, 0 };
      guint k;

      if (first == 0)
        continue;
      if (ps == NULL)
        {
          ps = g_array_new (FALSE, FALSE, sizeof (Process));
          g_hash_table_insert (c->processes, inc->name, ps);
        }
      for (k = 0; k < ps->len && !g_str_equal (g_array_index (ps, Process, k).log, inc->log); k++)
        ;
      if (k == ps->len)
        g_array_append_val (ps, p);
      else if (first < g_array_index (ps, Process, k).first)
        g_array_index (ps, Process, k).first = first;
    }
  g_hash_table_iter_init (&iter, c->processes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GArray *ps = value;

      g_array_sort (ps, compare_processes);
      for (guint k = 0; k < ps->len; k++)
        {
          Process *p = &g_array_index (ps, Process, k);

          p->rank = k == 0 ? 1 : p[-1].rank + (p->first != p[-1].first);
        }
    }
}

/* How many processes had that name (copies of a log are one). */
static guint
n_processes (GArray *ps)
{
  return ps != NULL && ps->len > 0 ? g_array_index (ps, Process, ps->len - 1).rank : 0;
}

/* Which of `name`'s processes (from 1) sent a multicast delivered at
 * `seq`; 0 when the name had one process only. */
static guint
process_at (Checker *c, const char *name, guint64 seq)
{
  GArray *ps = g_hash_table_lookup (c->processes, name);
  guint n = 1;

  if (n_processes (ps) < 2)
    return 0;
  for (guint k = 1; k < ps->len; k++)
    if (g_array_index (ps, Process, k).first < seq)
      n = g_array_index (ps, Process, k).rank;
  return n;
}

static guint
process_of (Checker *c, const Inc *inc)
{
  GArray *ps = g_hash_table_lookup (c->processes, inc->name);

  for (guint k = 0; n_processes (ps) > 1 && k < ps->len; k++)
    if (g_str_equal (g_array_index (ps, Process, k).log, inc->log))
      return g_array_index (ps, Process, k).rank;
  return 0;
}

static const char *
ordinal (guint n)
{
  if (n % 100 / 10 != 1 && n % 10 == 1)
    return "st";
  if (n % 100 / 10 != 1 && n % 10 == 2)
    return "nd";
  if (n % 100 / 10 != 1 && n % 10 == 3)
    return "rd";
  return "th";
}

/* "b#12", or "b#12 (b's 2nd process)" where b had more than one. */
static char *
multicast_key (Checker *c, const char *name, guint64 k, guint process)
{
  if (process == 0)
    return g_strdup_printf ("%s#%" G_GUINT64_FORMAT, name, k);
  return g_strdup_printf ("%s#%" G_GUINT64_FORMAT " (%s's %u%s process)", name, k, name, process,
                          ordinal (process));
}

static void
name_multicasts (Checker *c)
{
  find_processes (c);
  for (guint i = 0; i < c->incs->len; i++)
    {
      const Inc *inc = g_ptr_array_index (c->incs, i);

      for (guint k = 0; k < inc->entries->len; k++)
        {
          Entry *e = &g_array_index (inc->entries, Entry, k);

          if (e->view || e->foreign)
            continue;
          e->key = multicast_key (c, e->from, e->k, process_at (c, e->from, e->seq));
          e->what = g_strdup_printf ("%s change %" G_GINT64_FORMAT, e->key, e->change);
        }
    }
}

/* Each incarnation delivers one position after the other, from its state's. */
static void
check_sequences (Checker *c)
{
  for (guint i = 0; i < c->incs->len && !c->violation; i++)
    {
      const Inc *inc = g_ptr_array_index (c->incs, i);

      for (guint k = 0; k < inc->entries->len && !c->violation; k++)
        {
          const Entry *e = &g_array_index (inc->entries, Entry, k);

          if (k == 0 && inc->state_seq != 0 && e->seq != inc->state_seq)
            violate (c, "%s (%s) took the state as of %" G_GUINT64_FORMAT
                     " but delivers from %" G_GUINT64_FORMAT,
                     inc->name, inc->log, inc->state_seq, e->seq);
          else if (k > 0 && e->seq != g_array_index (inc->entries, Entry, k - 1).seq + 1)
            violate (c, "%s (%s) delivers position %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT
                     " (gap or repeat)", inc->name, inc->log, e->seq,
                     g_array_index (inc->entries, Entry, k - 1).seq);
        }
    }
}

static gboolean
same_entry (const Entry *a, const Entry *b)
{
  return a->view == b->view && g_str_equal (a->what, b->what) &&
         memcmp (a->color, b->color, 3) == 0;
}

/* Only one process founds a group: the others take a state.  Two that
 * founded different groups mean the logs of two groups were given (two
 * groups started by hand in one folder, or a window's LOG and its LOG.2
 * after Join Another Group), which their positions 1 told as a violation
 * of the protocol.  Says which, or NULL. */
static char *
more_than_one_group (const Checker *c)
{
  const Inc *first = NULL;

  for (guint i = 0; i < c->incs->len; i++)
    {
      const Inc *inc = g_ptr_array_index (c->incs, i);
      const Entry *e;

      if (inc->state_seq != 0 || inc->entries->len == 0)
        continue;
      e = &g_array_index (inc->entries, Entry, 0);
      if (!e->view || e->seq != 1)
        continue;
      if (first == NULL)
        first = inc;
      else if (!same_entry (&g_array_index (first->entries, Entry, 0), e))
        return g_strdup_printf ("logs of more than one group: %s founded one (%s) and %s "
                                "another (%s), in %s and %s: check each group's logs apart",
                                first->name, g_array_index (first->entries, Entry, 0).what,
                                inc->name, e->what, first->log, inc->log);
    }
  return NULL;
}

static int
compare_seqs (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return (x > y) - (x < y);
}

/* Every position: the deliveries that are not exempt agree, and a multicast
 * that the group agreed on sits at one position only.  `agreed` maps each
 * multicast ("b#12") to the position the group delivered it at. */
static void
check_positions (Checker *c, GHashTable *agreed, GHashTable *delivered)
{
  g_autoptr(GHashTable) positions = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                                           (GDestroyNotify) g_array_unref);
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (guint i = 0; i < c->incs->len; i++)
    {
      Inc *inc = g_ptr_array_index (c->incs, i);

      for (guint k = 0; k < inc->entries->len; k++)
        {
          Entry *e = &g_array_index (inc->entries, Entry, k);
          Witness w = { inc, e };
          GArray *at = g_hash_table_lookup (positions, &e->seq);

          if (at == NULL)
            {
              at = g_array_new (FALSE, FALSE, sizeof (Witness));
              g_hash_table_insert (positions, &e->seq, at);
              g_array_append_val (seqs, e->seq);
            }
          g_array_append_val (at, w);
          if (e->key != NULL)
            g_hash_table_add (delivered, e->key);
          c->checked++;
        }
    }
  c->n_positions = seqs->len;
  g_array_sort (seqs, compare_seqs);
  for (guint s = 0; s < seqs->len && !c->violation; s++)
    {
      guint64 seq = g_array_index (seqs, guint64, s);
      GArray *at = g_hash_table_lookup (positions, &seq);
      const Witness *ref = NULL;

      for (guint k = 0; k < at->len && !c->violation; k++)
        {
          const Witness *w = &g_array_index (at, Witness, k);

          if (exempt (w->inc, seq))
            continue;
          if (ref == NULL)
            ref = w;
          else if (!same_entry (ref->entry, w->entry))
            violate (c, "position %" G_GUINT64_FORMAT ": %s has %s, color (%u,%u,%u); "
                     "%s has %s, color (%u,%u,%u)", seq,
                     ref->inc->name, ref->entry->what,
                     ref->entry->color[0], ref->entry->color[1], ref->entry->color[2],
                     w->inc->name, w->entry->what,
                     w->entry->color[0], w->entry->color[1], w->entry->color[2]);
        }
      if (ref == NULL || ref->entry->key == NULL || c->violation)
        continue;
      if (g_hash_table_contains (agreed, ref->entry->key))
        {
          guint64 *first = g_hash_table_lookup (agreed, ref->entry->key);

          violate (c, "multicast %s delivered at positions %" G_GUINT64_FORMAT
                   " and %" G_GUINT64_FORMAT, ref->entry->key, *first, seq);
        }
      else
        g_hash_table_insert (agreed, ref->entry->key, g_memdup2 (&seq, sizeof seq));
    }
}

/* Did a and b end after the same change?  An incarnation that took the state
 * at S and delivered no change since ended after the last change before S. */
static gboolean
same_last_change (const Inc *a, const Inc *b)
{
  guint64 la = last_data (a), lb = last_data (b);

  if (la == lb)
    return TRUE;
  if (la == 0 && a->state_seq != 0)
    return lb < a->state_seq;
  if (lb == 0 && b->state_seq != 0)
    return la < b->state_seq;
  return FALSE;
}

/* Every multicast of an incarnation that lived to the end was delivered,
 * by the group and by the sender itself (a worker leaves only once its own
 * changes are delivered). */
static void
check_survivors (Checker *c, GHashTable *agreed, GHashTable *delivered)
{
  const Inc *ref = NULL;

  for (guint i = 0; i < c->incs->len && !c->violation; i++)
    {
      const Inc *inc = g_ptr_array_index (c->incs, i);

      if (inc->end != END_EXIT)
        continue;
      for (guint k = 0; k < inc->sends->len && !c->violation; k++)
        {
          g_autofree char *key = multicast_key (c, inc->name,
                                                g_array_index (inc->sends, guint64, k),
                                                process_of (c, inc));
          guint64 *seq = g_hash_table_lookup (agreed, key);

          if (seq == NULL && !g_hash_table_contains (delivered, key))
            violate (c, "multicast %s of %s, which lived to the end, was never delivered",
                     key, inc->name);
          else if (seq == NULL || *seq < first_seq (inc) || *seq > last_seq (inc))
            violate (c, "%s lived to the end but did not deliver its own multicast %s", inc->name,
                     key);
        }
      if (ref == NULL)
        ref = inc;
      else if (c->same_end && !c->violation &&
               (!same_last_change (ref, inc) || memcmp (end_color (ref), end_color (inc), 3) != 0))
        violate (c, "members that lived to the end did not finish together: %s's last change at %"
                 G_GUINT64_FORMAT " with (%u,%u,%u), %s's at %" G_GUINT64_FORMAT " with (%u,%u,%u)",
                 ref->name, last_data (ref), end_color (ref)[0], end_color (ref)[1],
                 end_color (ref)[2], inc->name, last_data (inc), end_color (inc)[0],
                 end_color (inc)[1], end_color (inc)[2]);
    }
}

/* Adds the NUL-terminated names in `path` ("-": standard input) to `logs`;
 * they point into *contents, which the caller frees. */
static gboolean
read_names (const char *path, char **contents, GPtrArray *logs, GError **error)
{
  gsize len = 0;

  if (g_str_equal (path, "-"))
    {
      g_autoptr(GByteArray) bytes = g_byte_array_new ();
      guint8 buf[65536];
      size_t n;

      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_byte_array_append (bytes, buf, (guint) n);
      if (ferror (stdin))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO,
                       "cannot read the logs' names on standard input");
          return FALSE;
        }
      len = bytes->len;
      g_byte_array_append (bytes, (const guint8 *) "", 1);
      *contents = (char *) g_byte_array_free (g_steal_pointer (&bytes), FALSE);
    }
  else if (!g_file_get_contents (path, contents, &len, error))
    return FALSE;
  for (gsize at = 0; at < len;)
    {
      const char *name = *contents + at;
      const char *end = memchr (name, '\0', len - at);
      gsize n = end != NULL ? (gsize) (end - name) : 0;

      if (end == NULL)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s: the last name is not ended by a NUL byte (--files0-from)", path);
          return FALSE;
        }
      if (n > 0)
        g_ptr_array_add (logs, (gpointer) name);
      at += n + 1;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Checker c = { 0 };
  g_autofree char *names = NULL;
  const char *files_from = NULL;
  g_autoptr(GHashTable) agreed = NULL;
  g_autoptr(GHashTable) delivered = NULL;
  g_autoptr(GPtrArray) logs = g_ptr_array_new ();
  gboolean options_done = FALSE, help = FALSE;
  guint crashes = 0, survivors = 0;
  int status;

  /* Options anywhere among the logs ("groupy-check *.log --same-end"),
   * and "--" before a log whose name starts with "-". */
  for (int i = 1; i < argc; i++)
    {
      if (!options_done && g_str_equal (argv[i], "--"))
        options_done = TRUE;
      else if (!options_done && g_str_equal (argv[i], "--same-end"))
        c.same_end = TRUE;
      else if (!options_done && (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h")))
        help = TRUE;
      else if (!options_done && g_str_equal (argv[i], "--files0-from"))
        {
          if (i + 1 == argc)
            {
              fprintf (stderr, "groupy-check: --files0-from takes a FILE (see groupy-check "
                       "--help)\n");
              return 2;
            }
          files_from = argv[++i];
        }
      else if (!options_done && g_str_has_prefix (argv[i], "--files0-from="))
        files_from = argv[i] + strlen ("--files0-from=");
      else if (!options_done && argv[i][0] == '-' && argv[i][1] != '\0')
        {
          fprintf (stderr, "groupy-check: unknown option %s (see groupy-check --help)\n",
                   argv[i]);
          return 2;
        }
      else
        g_ptr_array_add (logs, argv[i]);
    }
  if (files_from != NULL && !help)
    {
      g_autoptr(GError) error = NULL;

      if (!read_names (files_from, &names, logs, &error))
        {
          fprintf (stderr, "groupy-check: %s\n", error->message);
          return 2;
        }
    }
  if (logs->len == 0 || help)
    {
      fprintf (help ? stdout : stderr,
               "Usage: groupy-check [--same-end] LOG...\n"
               "       groupy-check [--same-end] --files0-from FILE\n"
               "Check the JSON Lines logs of a group's workers (groupy-node --log FILE).\n"
               "--files0-from: the logs' names in FILE (-: standard input), each ended by a\n"
               "NUL byte (find -print0).\n"
               "--same-end: the members that lived to the end must also have stopped at the\n"
               "same position with the same color (stop multicasting first: SIGUSR1).\n");
      return help ? 0 : 2;
    }
  c.incs = g_ptr_array_new_with_free_func (inc_free);
  for (guint i = 0; i < logs->len; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!read_log (&c, g_ptr_array_index (logs, i), &error))
        {
          fprintf (stderr, "groupy-check: %s\n", error->message);
          g_ptr_array_unref (c.incs);
          return 2;
        }
    }
  g_ptr_array_sort (c.incs, compare_incs);
  {
    g_autofree char *groups = more_than_one_group (&c);

    if (groups != NULL)
      {
        fprintf (stderr, "groupy-check: %s\n", groups);
        g_ptr_array_unref (c.incs);
        return 2;
      }
  }
  agreed = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  delivered = g_hash_table_new (g_str_hash, g_str_equal);
  c.processes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) g_array_unref);
  name_multicasts (&c);
  check_sequences (&c);
  check_positions (&c, agreed, delivered);
  check_survivors (&c, agreed, delivered);
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
      printf ("groupy-check: OK: %u logs, %u incarnations (%u crashed, %u to the end), "
              "%u deliveries checked, %u positions\n", logs->len, c.incs->len, crashes, survivors,
              c.checked, c.n_positions);
      status = 0;
    }
  g_free (c.violation);
  g_hash_table_unref (c.processes);
  g_ptr_array_unref (c.incs);
  return status;
}
