/* grp-options.c: parsing and validating the worker's options. */
#include "grp-options.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "grp-group.h"
#include "grp-limits.h"
#include "grp-proto.h"
#include "grp-transport.h"

gboolean
grp_options_check_address (const char *s)
{
  g_autofree char *host = NULL;
  guint16 port;

  return grp_transport_parse_address (s, &host, &port, NULL);
}

/* Port 0 is "any free one" where a member listens: no one can dial it. */
static gboolean
port_zero (const char *s)
{
  g_autofree char *host = NULL;
  guint16 port = 1;

  return grp_transport_parse_address (s, &host, &port, NULL) && port == 0;
}

/* Whether a and b (HOST:PORT, b may be NULL) name the same address. */
static gboolean
same_address (const char *a, const char *b)
{
  g_autofree char *host_a = NULL, *host_b = NULL;
  guint16 port_a, port_b;

  return b != NULL && grp_transport_parse_address (a, &host_a, &port_a, NULL) &&
         grp_transport_parse_address (b, &host_b, &port_b, NULL) && port_a == port_b &&
         g_ascii_strcasecmp (host_a, host_b) == 0;
}

/* Whether a and b (b may be NULL) name one file. */
static gboolean
same_file (const char *a, const char *b)
{
  GStatBuf sa, sb;

  if (b == NULL)
    return FALSE;
  return g_str_equal (a, b) || (g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0 &&
                                sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

/* Short enough for the header of a window at its default size beside three
 * window buttons ("worker-PID" showed there as "work…"), and named as the
 * console names its members (w1, w2, ...). */
char *
grp_options_default_name (int pid)
{
  return g_strdup_printf ("w%d", pid);
}

gboolean
grp_options_parse (GrpOptions         *o,
                   int                *argc,
                   char             ***argv,
                   const char         *summary,
                   const GOptionEntry *extra,
                   GError            **error)
{
  char *delivery = NULL;
  const GrpProtoClass *protocol;
  gint64 sleep_ms = 1000, crash_rate = 100;
  gint64 heartbeat = GRP_LIMIT_HEARTBEAT_DEFAULT_MS, suspect = GRP_LIMIT_SUSPECT_DEFAULT_MS;
  gint64 seed = G_MININT64; /* not given */
  GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &o->listen,
      "Listen on HOST:PORT (default 127.0.0.1 and a free port)", "HOST:PORT" },
    { "advertise", 'a', 0, G_OPTION_ARG_STRING, &o->advertise,
      "Address other members use to reach this one (default: the listening address)", "HOST:PORT" },
    { "join", 'j', 0, G_OPTION_ARG_STRING, &o->join,
      "Join the group through any member (default: create a new group)", "HOST:PORT" },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &o->name,
      "Member name, unique in the group (default: w and the process id)", "NAME" },
    { "sleep", 's', 0, G_OPTION_ARG_INT64, &sleep_ms,
      "Wait up to MS (random) before each change (default 1000)", "MS" },
    { "count", 'c', 0, G_OPTION_ARG_INT64, &o->count,
      "Stop multicasting after N changes, keep delivering", "N" },
    { "crash-rate", 'r', 0, G_OPTION_ARG_INT64, &crash_rate,
      "As leader, crash with chance 1/N every 100 ms, part-way through a broadcast "
      "(default 100; 0: off)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      "Seed for the random waits, changes and crashes", "N" },
    { "delivery", 'd', 0, G_OPTION_ARG_STRING, &delivery, "agreed (default) or safe", "MODE" },
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &o->protocol,
      "groupy (default: the real protocol), or a stage of the exercise to watch it fail: gms1, "
      "gms2, gms3, gms4 (docs/TUTORIAL.md); every member of a group runs the same", "NAME" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &o->log, "Write events as JSON Lines to FILE", "FILE" },
    { "heartbeat", 0, 0, G_OPTION_ARG_INT64, &heartbeat, "Heartbeat interval (default 100)", "MS" },
    { "suspect-timeout", 0, 0, G_OPTION_ARG_INT64, &suspect,
      "Silence after which a member is suspected (default 2000)", "MS" },
    { "commands", 0, 0, G_OPTION_ARG_NONE, &o->commands,
      "Take commands on standard input, one a line: crash, sleep MS, crash-rate N, quiet, "
      "resume", NULL },
    { "secret-file", 0, 0, G_OPTION_ARG_FILENAME, &o->secret_file,
      "The group secret: members with the same one form a group, over TLS (docs/SECURITY.md)",
      "FILE" },
    { "new-secret", 0, 0, G_OPTION_ARG_FILENAME, &o->new_secret,
      "Write a new group secret to FILE (mode 0600), then exit", "FILE" },
    { "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_ca,
      "With a PKI: accept members whose certificate this CA signed", "FILE" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert,
      "With a PKI: this member's certificate (and key, unless --tls-key)", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key, "With a PKI: the certificate's key",
      "FILE" },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &o->insecure,
      "Without a secret, listen beyond loopback all the same: anyone who can reach the port "
      "can join", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (NULL);

  memset (o, 0, sizeof *o);
  o->count = -1;
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (extra != NULL)
    g_option_context_add_main_entries (ctx, extra, NULL);
  if (!g_option_context_parse (ctx, argc, argv, error))
    goto fail;
  if (*argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unexpected argument \"%s\"",
                   (*argv)[1]);
      goto fail;
    }
  if (delivery != NULL && !g_str_equal (delivery, "agreed") && !g_str_equal (delivery, "safe"))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--delivery takes agreed or safe, not \"%s\"", delivery);
      goto fail;
    }
  o->safe = delivery != NULL && g_str_equal (delivery, "safe");
  if (o->protocol == NULL)
    o->protocol = g_strdup (grp_proto_default ()->name);
  protocol = grp_proto_find (o->protocol);
  if (protocol == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--protocol takes %s, not \"%s\"", grp_proto_names (), o->protocol);
      goto fail;
    }
  if (o->safe && !protocol->safe_delivery)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--delivery safe needs --protocol %s (%s has no safe delivery)",
                   grp_proto_default ()->name, o->protocol);
      goto fail;
    }
  if (sleep_ms < 0 || sleep_ms > GRP_LIMIT_SLEEP_MAX_MS)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--sleep takes 0 to %d ms", GRP_LIMIT_SLEEP_MAX_MS);
      goto fail;
    }
  if (crash_rate < 0 || crash_rate > GRP_LIMIT_CRASH_RATE_MAX)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--crash-rate takes N >= 0 (0 turns it off)");
      goto fail;
    }
  /* g_rand takes 32 bits: a seed beyond them ran as another one. */
  if (seed != G_MININT64 && (seed < 0 || seed > G_MAXUINT32))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--seed takes 0 to %u", G_MAXUINT32);
      goto fail;
    }
  o->seed = seed == G_MININT64 ? -1 : seed;
  if (o->count < -1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--count takes N >= 0");
      goto fail;
    }
  if (heartbeat < GRP_LIMIT_HEARTBEAT_MIN_MS || heartbeat > GRP_LIMIT_HEARTBEAT_MAX_MS ||
      suspect < GRP_LIMIT_SUSPECT_MIN_MS (heartbeat) || suspect > GRP_LIMIT_SUSPECT_MAX_MS)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--heartbeat takes %d to %d ms "
                   "and --suspect-timeout at least twice the heartbeat, at most %d ms",
                   GRP_LIMIT_HEARTBEAT_MIN_MS, GRP_LIMIT_HEARTBEAT_MAX_MS,
                   GRP_LIMIT_SUSPECT_MAX_MS);
      goto fail;
    }
  if (o->listen && !grp_options_check_address (o->listen))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen takes HOST:PORT (for example 127.0.0.1:7000), not \"%s\"", o->listen);
      goto fail;
    }
  if (o->advertise && (!grp_options_check_address (o->advertise) || port_zero (o->advertise)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--advertise takes HOST:PORT, not \"%s\"%s", o->advertise,
                   port_zero (o->advertise) ? " (port 0, any free one, is for --listen)" : "");
      goto fail;
    }
  if (o->join && (!grp_options_check_address (o->join) || port_zero (o->join)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--join takes the HOST:PORT of a member, not \"%s\"%s", o->join,
                   port_zero (o->join) ? " (port 0, any free one, is for --listen)" : "");
      goto fail;
    }
  if (o->join && (same_address (o->join, o->listen) || same_address (o->join, o->advertise)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--join takes the HOST:PORT of another member: \"%s\" is this one's own",
                   o->join);
      goto fail;
    }
  if (o->name != NULL && !grp_codec_name_ok (o->name))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--name takes 1 to 64 characters (255 bytes), none of them a control "
                   "character");
      goto fail;
    }
  if (o->new_secret != NULL && (o->secret_file || o->join || o->listen || o->tls_cert))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--new-secret FILE writes a secret and exits: give it alone");
      goto fail;
    }
  if ((o->tls_cert != NULL) != (o->tls_ca != NULL) || (o->tls_key != NULL && o->tls_cert == NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "a PKI takes --tls-ca and --tls-cert together (and --tls-key if the key is "
                   "not in the certificate's file)");
      goto fail;
    }
  /* The log is opened for writing: it must not be a file the member reads. */
  if (o->log != NULL)
    {
      const char *const inputs[][2] = {
        { "--secret-file", o->secret_file }, { "--tls-ca", o->tls_ca },
        { "--tls-cert", o->tls_cert }, { "--tls-key", o->tls_key },
      };

      for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
        if (same_file (o->log, inputs[i][1]))
          {
            g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         "--log FILE is written: \"%s\" is the %s file", o->log, inputs[i][0]);
            goto fail;
          }
    }
  if (o->name == NULL)
    o->name = grp_options_default_name ((int) getpid ());
  o->sleep_ms = (int) sleep_ms;
  o->crash_rate = (int) crash_rate;
  o->heartbeat_ms = (int) heartbeat;
  o->suspect_ms = (int) suspect;
  g_free (delivery);
  return TRUE;

fail:
  g_free (delivery);
  grp_options_clear (o);
  return FALSE;
}

void
grp_options_clear (GrpOptions *o)
{
  g_clear_pointer (&o->listen, g_free);
  g_clear_pointer (&o->advertise, g_free);
  g_clear_pointer (&o->join, g_free);
  g_clear_pointer (&o->name, g_free);
  g_clear_pointer (&o->log, g_free);
  g_clear_pointer (&o->secret_file, g_free);
  g_clear_pointer (&o->tls_ca, g_free);
  g_clear_pointer (&o->tls_cert, g_free);
  g_clear_pointer (&o->tls_key, g_free);
  g_clear_pointer (&o->new_secret, g_free);
  g_clear_pointer (&o->protocol, g_free);
}

int
grp_options_new_secret (const GrpOptions *o, const char *program)
{
  g_autoptr(GError) error = NULL;

  if (!grp_group_write_secret_file (o->new_secret, &error))
    {
      fprintf (stderr, "%s: %s\n", program, error->message);
      return 2;
    }
  printf ("wrote a new group secret to %s (readable by you only): copy it to every member "
          "over a channel you trust, and give each --secret-file %s\n", o->new_secret,
          o->new_secret);
  return 0;
}

char *
grp_options_security_notice (const GrpOptions *o, const char *name)
{
  if (o->secret_file != NULL || o->tls_ca != NULL)
    return NULL;
  if (!o->insecure)
    return g_strdup_printf ("%s: no group secret, so loopback only: members on other machines "
                            "cannot join (--secret-file, docs/SECURITY.md)", name);
  return g_strdup_printf ("%s: no group secret (--insecure): anyone who can reach this member "
                          "can join, read and disrupt the group", name);
}
