/* grp-options.h: the worker's command line, shared by groupy-node and the
 * groupy window so both take the same options, parsed by the same code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *listen;        /* HOST:PORT, NULL: 127.0.0.1 and a free port */
  char *advertise;     /* HOST:PORT others should use, NULL: the bound one */
  char *join;          /* HOST:PORT of any member; NULL: create a group */
  char *name;
  int sleep_ms;        /* random wait before each change, up to this */
  gint64 count;        /* stop multicasting after this many; -1: never */
  int crash_rate;      /* 1/N chance per roll in the leader; 0: off */
  gint64 seed;         /* -1: random */
  gboolean safe;       /* --delivery safe */
  char *log;           /* JSON Lines event log */
  int heartbeat_ms;
  int suspect_ms;
  gboolean commands;   /* read commands on stdin (groupy-console drives it) */
  char *secret_file;   /* the group secret (docs/SECURITY.md) */
  char *tls_ca;        /* or a PKI: the group's CA, */
  char *tls_cert;      /* this member's certificate, */
  char *tls_key;       /* and its key (NULL: in tls_cert) */
  gboolean insecure;   /* without either, listen beyond loopback all the same */
  char *new_secret;    /* --new-secret FILE: write one and exit */
  char *protocol;      /* "groupy" (the default) or a stage: "gms1" ... "gms4" */
} GrpOptions;

/* Parses and validates; on error the message says what to do.  Removes the
 * options from argv.  `extra` (NULL-terminated, may be NULL) adds a front
 * end's own options to the same command line. */
gboolean grp_options_parse (GrpOptions         *options,
                            int                *argc,
                            char             ***argv,
                            const char         *summary,
                            const GOptionEntry *extra,
                            GError            **error);
void     grp_options_clear (GrpOptions *options);
/* The name of a member started without --name: "w" and its process id. */
char    *grp_options_default_name (int pid);
/* Whether `address` reads as HOST:PORT (port 0 to 65535). */
gboolean grp_options_check_address (const char *address);

/* --new-secret: writes the file and says so on stdout (or why not on
 * stderr, prefixed with `program`); returns the exit status. */
int      grp_options_new_secret (const GrpOptions *options, const char *program);
/* What a member without a secret must tell its user (NULL with one). */
char    *grp_options_security_notice (const GrpOptions *options, const char *name);

G_END_DECLS
