/* groupy-sim: run the protocol under random faults in the deterministic
 * simulator, seed after seed, and check every invariant after every step.
 *
 *   groupy-sim --seeds N [--first S] [--members K] [--delivery agreed|safe]
 *              [--protocol NAME] [--trace] [--expect-violations] [--min-violations N]
 *              [--stop]
 *
 * --protocol runs the exercise's stages (gms1 ... gms4, grp-proto.h) instead
 * of the real protocol, under the same faults and checks.
 *
 * Exit status 0 when every invariant held (with --expect-violations: when at
 * least one seed broke one, which is how the test suite shows the checker has
 * teeth; with --min-violations N: when N seeds did).  The last line is always
 * `seeds=N violations=V`.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_TAIL_LINES 60

static void
print_tail (const char *trace, guint lines)
{
  const char *p = trace + strlen (trace);
  guint n = 0;

  while (p > trace && n <= lines)
    if (*--p == '\n')
      n++;
  if (p > trace)
    p++;
  fputs (p, stdout);
}

int
main (int argc, char **argv)
{
  gint64 seeds = 1, first = 1, members = 0, min_violations = 0;
  char *delivery = NULL, *protocol = NULL;
  gboolean trace = FALSE, expect = FALSE, stop = FALSE;
  GOptionEntry entries[] = {
    { "seeds", 'n', 0, G_OPTION_ARG_INT64, &seeds, "How many seeds to run", "N" },
    { "first", 'f', 0, G_OPTION_ARG_INT64, &first, "First seed (default 1)", "S" },
    { "members", 'k', 0, G_OPTION_ARG_INT64, &members,
      "Initial members (default: 3 to 6 per seed)", "K" },
    { "delivery", 'd', 0, G_OPTION_ARG_STRING, &delivery,
      "agreed or safe (default: either, per seed)", "MODE" },
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &protocol,
      "groupy (default), or a stage of the exercise: gms1, gms2, gms3, gms4", "NAME" },
    { "trace", 't', 0, G_OPTION_ARG_NONE, &trace, "Print the whole trace of each seed", NULL },
    { "expect-violations", 0, 0, G_OPTION_ARG_NONE, &expect,
      "Succeed only if some seed breaks an invariant", NULL },
    { "min-violations", 0, 0, G_OPTION_ARG_INT64, &min_violations,
      "Succeed only if at least N seeds break an invariant (implies --expect-violations)", "N" },
    { "stop", 0, 0, G_OPTION_ARG_NONE, &stop,
      "Stop at the first seed that breaks an invariant", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    g_option_context_new ("- check the Groupy protocol in a simulated cluster");
  g_autoptr(GError) error = NULL;
  SimOptions opt = { 0 };
  guint64 violations = 0, events = 0, deliveries = 0, kills = 0, leader_kills = 0, views = 0,
          blocked = 0, lost = 0, traps = 0;
  gint64 t0;
  g_autoptr(GString) lost_seeds = g_string_new (NULL);

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "groupy-sim: %s (see --help)\n", error->message);
      return 2;
    }
  opt.delivery = -1;
  if (delivery != NULL)
    {
      if (g_str_equal (delivery, "agreed"))
        opt.delivery = GRP_DELIVERY_AGREED;
      else if (g_str_equal (delivery, "safe"))
        opt.delivery = GRP_DELIVERY_SAFE;
      else
        {
          fprintf (stderr, "groupy-sim: --delivery takes agreed or safe, not \"%s\"\n", delivery);
          return 2;
        }
    }
  opt.protocol = protocol != NULL ? grp_proto_find (protocol) : grp_proto_default ();
  if (opt.protocol == NULL)
    {
      fprintf (stderr, "groupy-sim: --protocol takes %s, not \"%s\"\n", grp_proto_names (),
               protocol);
      return 2;
    }
  if (seeds < 1 || members < 0 || members > 16)
    {
      fprintf (stderr, "groupy-sim: --seeds must be at least 1 and --members at most 16\n");
      return 2;
    }
  opt.members = (guint) members;
  if (min_violations < 0 || min_violations > seeds)
    {
      fprintf (stderr, "groupy-sim: --min-violations takes 0 to the number of seeds\n");
      return 2;
    }
  expect |= min_violations > 0;

  t0 = g_get_monotonic_time ();
  for (gint64 s = first; s < first + seeds; s++)
    {
      SimResult res;

      opt.seed = (guint64) s;
      opt.trace = trace;
      sim_run (&opt, &res);
      events += res.stats.events;
      deliveries += res.stats.deliveries;
      kills += res.stats.kills;
      leader_kills += res.stats.leader_kills;
      views += res.stats.views;
      traps += res.traps;
      blocked += res.blocked;
      lost += res.lost;
      if (res.lost && lost <= 5)
        g_string_append_printf (lost_seeds, " %" G_GINT64_FORMAT, s);
      if (trace)
        fputs (res.trace, stdout);
      if (!res.ok)
        {
          violations++;
          if (!expect || violations <= 3)
            {
              printf ("seed %" G_GINT64_FORMAT ": VIOLATION: %s\n", s, res.violation);
              printf ("  replay: groupy-sim --seeds 1 --first %" G_GINT64_FORMAT
                      "%s%s%s%s%s%s --trace\n", s,
                      members ? " --members " : "",
                      members ? g_strdup_printf ("%" G_GINT64_FORMAT, members) : "",
                      delivery ? " --delivery " : "", delivery ? delivery : "",
                      opt.protocol != grp_proto_default () ? " --protocol " : "",
                      opt.protocol != grp_proto_default () ? opt.protocol->name : "");
              if (!trace)
                {
                  SimResult again;

                  /* Deterministic: the same seed again, this time traced. */
                  opt.trace = TRUE;
                  sim_run (&opt, &again);
                  printf ("  last steps:\n");
                  print_tail (again.trace, TRACE_TAIL_LINES);
                  sim_result_clear (&again);
                }
            }
        }
      sim_result_clear (&res);
      if (stop && violations > 0)
        {
          seeds = s - first + 1;
          break;
        }
    }
  printf ("%" G_GUINT64_FORMAT " events, %" G_GUINT64_FORMAT " deliveries, %" G_GUINT64_FORMAT
          " views, %" G_GUINT64_FORMAT " kills (%" G_GUINT64_FORMAT " leaders), %" G_GUINT64_FORMAT
          " traps, %" G_GUINT64_FORMAT " members rightly blocked, %" G_GUINT64_FORMAT
          " groups lost, in %.1f s\n", events, deliveries, views, kills, leader_kills, traps,
          blocked, lost, (g_get_monotonic_time () - t0) / 1e6);
  if (lost > 0)
    printf ("groups lost (too few members of the last view survive to go on; they rightly block), "
            "e.g. seeds%s\n", lost_seeds->str);
  printf ("seeds=%" G_GINT64_FORMAT " violations=%" G_GUINT64_FORMAT "\n", seeds, violations);
  if (min_violations > 0)
    {
      if (violations < (guint64) min_violations)
        printf ("expected at least %" G_GINT64_FORMAT " seeds to break an invariant\n",
                min_violations);
      return violations >= (guint64) min_violations ? 0 : 1;
    }
  if (expect)
    return violations > 0 ? 0 : 1;
  return violations > 0 ? 1 : 0;
}
