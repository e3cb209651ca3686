/* fuzz.h: what every fuzz target defines.
 *
 * Each target (fuzz-*.c) is one LLVMFuzzerTestOneInput(), linked either
 * with libFuzzer (clang, -Dfuzz=true: tools/fuzz runs it) or with
 * replay.c, which feeds it the files of a corpus (the `security` suite runs
 * the committed corpus that way, with gcc as well).  A target fails by
 * aborting (g_assert), as libFuzzer expects.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
/* Optional: once, before the first input (defined weak by replay.c). */
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* What the code under test logs below a warning is dropped (a peer can
 * make a member say a lot; FUZZ_VERBOSE=1 shows it); a warning or a
 * critical aborts, as a finding: nothing a peer sends may cause one (the
 * test suite runs with G_DEBUG=fatal-warnings for the same reason). */
static inline GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) != 0 &&
      g_getenv ("FUZZ_VERBOSE") == NULL)
    return G_LOG_WRITER_HANDLED;
  g_log_writer_default (level, fields, n_fields, data);
  /* GLib ends a fatal message with a breakpoint trap, which libFuzzer does
   * not catch: it would die without saving the input (a CI run lost one
   * so).  abort() is a crash it saves. */
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0)
    abort ();
  return G_LOG_WRITER_HANDLED;
}

static inline void
fuzz_quiet_logs (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
      g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
      g_once_init_leave (&done, 1);
    }
}
