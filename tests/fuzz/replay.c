/* replay.c: runs a fuzz target over corpus files, without libFuzzer.
 *
 *   replay-codec DIR|FILE...
 *
 * Every file (directories: every file in them, in name order) is one input
 * to the target's LLVMFuzzerTestOneInput(), which aborts on a finding.  The
 * `security` suite runs each committed corpus, findings' reproducers
 * included, so that what the fuzzers once found stays fixed, with gcc as
 * well as clang.  Output is TAP: one test per argument.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

/* Defined by the targets that need one-time setup. */
extern int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static int
by_name (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* The files `path` names: itself, or the files in it. */
static GPtrArray *
inputs_of (const char *path)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return files;
    }
  dir = g_dir_open (path, 0, &error);
  if (dir == NULL)
    {
      fprintf (stderr, "replay: %s\n", error->message);
      exit (2);
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (files, g_build_filename (path, name, NULL));
  g_ptr_array_sort (files, by_name);
  return files;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s DIR|FILE...\n", argv[0]);
      return 2;
    }
  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);
  printf ("1..%d\n", argc - 1);
  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GPtrArray) files = inputs_of (argv[i]);
      gsize total = 0;

      for (guint k = 0; k < files->len; k++)
        {
          const char *file = g_ptr_array_index (files, k);
          g_autoptr(GError) error = NULL;
          g_autofree char *data = NULL;
          gsize len;

          /* Said first: if the input aborts, the log names it. */
          printf ("# %s\n", file);
          fflush (stdout);
          if (!g_file_get_contents (file, &data, &len, &error))
            {
              fprintf (stderr, "replay: %s\n", error->message);
              return 2;
            }
          LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
          total += len;
        }
      printf ("ok %d - %s: %u inputs, %" G_GSIZE_FORMAT " bytes\n", i, argv[i], files->len, total);
    }
  return 0;
}
