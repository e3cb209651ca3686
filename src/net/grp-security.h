/* grp-security.h: who may be a member, and the TLS that carries the group.
 *
 * A group secret is 32 random bytes in a file only its owner can read
 * (grp_security_write_secret makes one).  Every connection between members
 * is TLS 1.3 (GIO's GTlsConnection, GnuTLS underneath): each process
 * serves with a key pair generated at its start, which is never written to
 * disk and needs no renewal.  After the handshake each side proves that it
 * holds the secret without sending it: HMAC-SHA256, keyed with the secret,
 * over the TLS channel binding (RFC 9266 tls-exporter) and the side's role.
 * The binding differs between the two halves of a relay, so a proof cannot
 * be replayed by a peer in the middle, nor reflected back to its sender.
 * No frame of a peer other than its proof is read before the proof checks
 * (but a BYE, which then only ends the connection).
 *
 * A user who runs a PKI gives a CA and a certificate with its key instead
 * (or as well): then both sides present a certificate, and each accepts
 * only a certificate that the CA signed.
 */
#pragma once

#include <gio/gio.h>

#include "grp-codec.h"

G_BEGIN_DECLS

#define GRP_SECURITY_ERROR (grp_security_error_quark ())
GQuark grp_security_error_quark (void);

typedef enum {
  GRP_SECURITY_ERROR_FILE,     /* a file cannot be read, or has the wrong mode */
  GRP_SECURITY_ERROR_FORMAT,   /* not a secret file, not a certificate */
  GRP_SECURITY_ERROR_REFUSED,  /* the peer did not prove what it had to */
} GrpSecurityError;

#define GRP_TYPE_SECURITY (grp_security_get_type ())
G_DECLARE_FINAL_TYPE (GrpSecurity, grp_security, GRP, SECURITY, GObject)

GrpSecurity    *grp_security_new (void);

/* The group secret in `path` (refused if others than its owner may read
 * it).  Loaded once, before the member listens or dials. */
gboolean        grp_security_load_secret (GrpSecurity *self, const char *path, GError **error);
/* Whether `path` is a secret file a member would load, with the same words
 * as grp_security_load_secret when not: for a program that starts members
 * with it (groupy-demo), to refuse it before any starts.  Nothing is kept. */
gboolean        grp_security_check_secret_file (const char *path, GError **error);
/* A CA, and this member's certificate and key (`key` NULL: in `cert`). */
gboolean        grp_security_load_pki (GrpSecurity *self,
                                       const char  *ca,
                                       const char  *cert,
                                       const char  *key,
                                       GError     **error);

gboolean        grp_security_has_secret (GrpSecurity *self);
gboolean        grp_security_has_pki (GrpSecurity *self);

/* A TLS connection over `base` (client: we dialed), set up to check the
 * peer's certificate as the mode requires; its handshake is the caller's. */
GTlsConnection *grp_security_wrap (GrpSecurity *self,
                                   GIOStream   *base,
                                   gboolean     server,
                                   GError     **error);
/* Whether the peer of the handshaken `tls` runs with a PKI: its
 * certificate was signed by another (a CA), where a member with a secret
 * alone serves one it signed itself. */
gboolean        grp_security_peer_has_pki (GTlsConnection *tls);
/* Our proof of the secret on the handshaken `tls`, and the check of the
 * peer's (constant time). */
gboolean        grp_security_prove (GrpSecurity    *self,
                                    GTlsConnection *tls,
                                    gboolean        server,
                                    guint8          proof[GRP_PROOF_LEN],
                                    GError        **error);
gboolean        grp_security_check (GrpSecurity    *self,
                                    GTlsConnection *tls,
                                    gboolean        server,
                                    const guint8    proof[GRP_PROOF_LEN],
                                    GError        **error);

/* Chooses the ciphers members offer (G_TLS_GNUTLS_PRIORITY, unless the
 * user set it): done when a GrpSecurity first prepares, or earlier by a
 * program that starts other threads before (it sets the environment). */
void            grp_security_choose_ciphers (void);

/* Writes a new group secret to `path`, readable by its owner only; refuses
 * to replace an existing file (it would lock out the members that use it). */
gboolean        grp_security_write_secret (const char *path, GError **error);

G_END_DECLS
