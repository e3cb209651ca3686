/* grp-security.c: group secrets, certificates, proofs. */
#define _GNU_SOURCE /* O_CLOEXEC, O_NOFOLLOW, explicit_bzero */
#include "grp-security.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gmodule.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

G_DEFINE_QUARK (grp-security-error-quark, grp_security_error)

#define SECRET_LEN 32
#define SECRET_TAG "groupy-secret-1"
/* A secret file is one line and a comment; anything longer is not one. */
#define SECRET_FILE_MAX 4096
/* What a proof covers besides the channel binding: the protocol, its
 * version, and the prover's side of the TLS connection. */
#define PROOF_LABEL "groupy proof of the group secret, v1"

struct _GrpSecurity {
  GObject parent_instance;

  GBytes *secret;             /* NULL: no group secret */
  GTlsCertificate *cert;      /* ours, from the PKI files; NULL: an ephemeral one */
  GList *cas;                 /* GTlsCertificate*: the PKI's CA(s) */
};

G_DEFINE_FINAL_TYPE (GrpSecurity, grp_security, G_TYPE_OBJECT)

static gboolean prepare (gboolean has_cert, GError **error);

/* ---- files ------------------------------------------------------------ */

/* The most a private file (a secret file, a key or a certificate with its
 * key) may hold: far more than any does, and what is read at most. */
#define PRIVATE_FILE_MAX (1024 * 1024)
/* A CA's file or a certificate's: Debian's whole bundle of public CAs takes
 * 220 KB. */
#define PUBLIC_FILE_MAX (4 * 1024 * 1024)

/* Reads a file that must stay private to its owner: a secret or a key.
 * What is checked is what is read: one descriptor, opened without waiting
 * (a FIFO would wait for a writer for ever), is checked and then read, so
 * that the path cannot be swapped for another file in between.  A symbolic
 * link is followed, and what is checked is the file it leads to: secrets
 * are often mounted so (a Kubernetes secret volume links each key into a
 * directory of the current version). */
static gboolean
read_private (const char *path, const char *what, char **contents, gsize *len, GError **error)
{
  struct stat st;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  GByteArray *buf;

  if (fd < 0)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE, "cannot read the %s %s: %s",
                   what, path, g_strerror (errno));
      return FALSE;
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE,
                   "the %s %s is not a regular file", what, path);
      close (fd);
      return FALSE;
    }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE,
                   "the %s %s can be read by others (mode %04o): run chmod 600 %s", what, path,
                   (unsigned) (st.st_mode & 07777), path);
      close (fd);
      return FALSE;
    }
  /* Sized to the file, so that no copy of a secret is left behind in memory
   * given back by a growing buffer. */
  buf = g_byte_array_sized_new ((guint) MIN ((gsize) MAX (st.st_size, 0), PRIVATE_FILE_MAX) + 1);
  for (;;)
    {
      guint8 chunk[4096];
      gssize n = read (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || buf->len + (gsize) n > PRIVATE_FILE_MAX)
        {
          int saved = errno;

          g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE,
                       "cannot read the %s %s: %s", what, path,
                       n < 0 ? g_strerror (saved) : "too large");
          explicit_bzero (buf->data, buf->len);
          explicit_bzero (chunk, sizeof chunk);
          g_byte_array_unref (buf);
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      g_byte_array_append (buf, chunk, (guint) n);
      explicit_bzero (chunk, (gsize) n);
    }
  close (fd);
  *len = buf->len;
  g_byte_array_append (buf, (const guint8 *) "", 1); /* NUL-terminated, as g_file_get_contents */
  *contents = (char *) g_byte_array_free (buf, FALSE);
  return TRUE;
}

/* The secret in a secret file's text (modified in place), or NULL: the
 * first line that is neither blank nor a comment must be the tag and the
 * base64 of exactly SECRET_LEN bytes. */
static GBytes *
parse_secret (char *text)
{
  char *save = NULL;

  for (char *line = strtok_r (text, "\n", &save); line != NULL; line = strtok_r (NULL, "\n", &save))
    {
      guchar *bytes = NULL;
      GBytes *secret = NULL;
      gsize n = 0;

      g_strstrip (line);
      if (line[0] == '#' || line[0] == '\0')
        continue;
      if (g_str_has_prefix (line, SECRET_TAG " "))
        bytes = g_base64_decode (g_strstrip (line + strlen (SECRET_TAG)), &n);
      if (n == SECRET_LEN)
        secret = g_bytes_new (bytes, n);
      if (bytes != NULL)
        explicit_bzero (bytes, n);
      g_free (bytes);
      return secret;
    }
  return NULL;
}

/* The bytes are ours alone (g_bytes_new copied them): wiped. */
static void
free_secret (GBytes *secret)
{
  gsize len;
  gpointer data = g_bytes_unref_to_data (secret, &len);

  explicit_bzero (data, len);
  g_free (data);
}

/* The secret in the secret file `path`, read and parsed as a member does
 * before it listens, or NULL with why. */
static GBytes *
read_secret (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  GBytes *secret = NULL;
  gsize len;

  if (!read_private (path, "secret file", &contents, &len, error))
    return NULL;
  if (len <= SECRET_FILE_MAX)
    secret = parse_secret (contents);
  /* Never NULL here, but GCC cannot tell under -fsanitize=undefined
   * (-Wnonnull, fatal with -Dwerror=true). */
  if (contents != NULL)
    explicit_bzero (contents, len);
  if (secret == NULL)
    g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                 "%s is not a Groupy secret file: make one with groupy-node --new-secret FILE "
                 "(in a program: grp_group_write_secret_file)", path);
  return secret;
}

gboolean
grp_security_load_secret (GrpSecurity *self, const char *path, GError **error)
{
  GBytes *secret = read_secret (path, error);

  if (secret == NULL)
    return FALSE;
  /* Taken only once all is ready: a refused secret changes nothing. */
  if (!prepare (self->cert != NULL, error))
    {
      free_secret (secret);
      return FALSE;
    }
  g_clear_pointer (&self->secret, free_secret);
  self->secret = secret;
  return TRUE;
}

gboolean
grp_security_check_secret_file (const char *path, GError **error)
{
  GBytes *secret = read_secret (path, error);

  if (secret == NULL)
    return FALSE;
  free_secret (secret);
  return TRUE;
}

gboolean
grp_security_write_secret (const char *path, GError **error)
{
  guint8 secret[SECRET_LEN];
  g_autofree char *b64 = NULL;
  g_autofree char *text = NULL;
  int fd;
  gsize left, off = 0;

  /* The kernel's random source, which seeds every key on this host. */
  if (getrandom (secret, sizeof secret, 0) != (ssize_t) sizeof secret)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE,
                   "no random bytes to make a secret from");
      return FALSE;
    }
  b64 = g_base64_encode (secret, sizeof secret);
  explicit_bzero (secret, sizeof secret);
  text = g_strdup_printf ("# A Groupy group secret: every member of the group needs this same"
                          " file,\n# readable by its owner only (docs/SECURITY.md).\n"
                          SECRET_TAG " %s\n", b64);
  explicit_bzero (b64, strlen (b64));
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      if (errno == EEXIST)
        g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE,
                     "%s exists already: a new secret would lock out the members that use it; "
                     "remove it first, or name another file", path);
      else
        g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE, "cannot create %s: %s",
                     path, g_strerror (errno));
      explicit_bzero (text, strlen (text));
      return FALSE;
    }
  /* 0600 whatever the umask, which can only take bits away. */
  fchmod (fd, 0600);
  for (left = strlen (text); left > 0;)
    {
      ssize_t n = write (fd, text + off, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE, "cannot write %s: %s",
                       path, g_strerror (errno));
          close (fd);
          g_unlink (path);
          explicit_bzero (text, strlen (text));
          return FALSE;
        }
      off += (gsize) n;
      left -= (gsize) n;
    }
  explicit_bzero (text, strlen (text));
  /* Closed whatever happens, and a file that may not be on the disk is
   * not left behind: trying again would find it "exists already". */
  if (fsync (fd) < 0)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE, "cannot write %s: %s", path,
                   g_strerror (errno));
      close (fd);
      g_unlink (path);
      return FALSE;
    }
  if (close (fd) < 0)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE, "cannot write %s: %s", path,
                   g_strerror (errno));
      g_unlink (path);
      return FALSE;
    }
  return TRUE;
}

/* A CA's or a certificate's file, before GIO reads all of it: a regular
 * file, and not too large (--tls-ca /dev/zero was read until memory ran
 * out).  These are the user's own files, so that the file could change
 * between this check and its reading is no concern. */
static gboolean
check_public (const char *path, const char *what, GError **error)
{
  GStatBuf st;

  if (g_stat (path, &st) < 0)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE, "cannot read the %s %s: %s",
                   what, path, g_strerror (errno));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE,
                   "the %s %s is not a regular file", what, path);
      return FALSE;
    }
  if (st.st_size > PUBLIC_FILE_MAX)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE,
                   "the %s %s is too large (%" G_GINT64_FORMAT " bytes, at most %d)", what, path,
                   (gint64) st.st_size, PUBLIC_FILE_MAX);
      return FALSE;
    }
  return TRUE;
}

static gboolean key_matches (const char *cert_pem, const char *key_pem, const char *cert,
                             const char *key, GError **error);

gboolean
grp_security_load_pki (GrpSecurity *self, const char *ca, const char *cert, const char *key,
                       GError **error)
{
  g_autofree char *key_pem = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *pem = NULL;
  gboolean matches;
  g_autoptr(GError) local = NULL;
  g_autolist(GTlsCertificate) cas = NULL;
  g_autoptr(GTlsCertificate) mine = NULL;
  gsize len;

  if (ca == NULL || cert == NULL)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                   "a PKI needs both the CA and this member's certificate");
      return FALSE;
    }
  if (!check_public (ca, "CA file", error) || !check_public (cert, "certificate file", error))
    return FALSE;
  cas = g_tls_certificate_list_new_from_file (ca, &local);
  if (cas == NULL)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                   "no CA certificate in %s%s%s", ca, local ? ": " : "",
                   local ? local->message : "");
      return FALSE;
    }
  /* The certificate is public.  Without a key file its key must be in it:
   * a file without one is told so, not that others may read it. */
  if (!g_file_get_contents (cert, &cert_pem, NULL, error))
    return FALSE;
  if (key == NULL && strstr (cert_pem, "PRIVATE KEY-----") == NULL)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                   "no private key in %s: give the file of its key too (--tls-key FILE; in a "
                   "program, grp_group_set_tls_files' key)", cert);
      return FALSE;
    }
  /* The key is a secret: refused if others may read it, as the secret is. */
  if (!read_private (key != NULL ? key : cert, "key file", &key_pem, &len, error))
    {
      if (key == NULL) /* it holds the key */
        explicit_bzero (cert_pem, strlen (cert_pem));
      return FALSE;
    }
  /* GIO takes any key with any certificate; the mismatch showed only at
   * every join, as peers refusing a certificate "not signed by the CA". */
  matches = key_matches (cert_pem, key_pem, cert, key, error);
  if (matches)
    pem = g_strconcat (cert_pem, "\n", key_pem, NULL);
  explicit_bzero (key_pem, len);
  if (key == NULL)
    explicit_bzero (cert_pem, strlen (cert_pem));
  if (!matches)
    return FALSE;
  mine = g_tls_certificate_new_from_pem (pem, -1, &local);
  explicit_bzero (pem, strlen (pem));
  if (mine == NULL)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                   "no certificate with its private key in %s%s%s: %s", cert, key ? " and " : "",
                   key ? key : "", local->message);
      return FALSE;
    }
  /* Taken only once all is ready: refused files change nothing (a member
   * that went on with a CA and no certificate of its own was refused by
   * every peer, and refused them). */
  if (!prepare (TRUE, error))
    return FALSE;
  g_list_free_full (self->cas, g_object_unref);
  self->cas = g_steal_pointer (&cas);
  g_set_object (&self->cert, mine);
  return TRUE;
}

gboolean
grp_security_has_secret (GrpSecurity *self)
{
  return self->secret != NULL;
}

gboolean
grp_security_has_pki (GrpSecurity *self)
{
  return self->cas != NULL;
}

/* ---- the ephemeral certificate ----------------------------------------- */

/* GnuTLS, for the one thing GIO cannot do: make a key pair.  Opened only
 * when an ephemeral key is needed (a group secret without a PKI), that is
 * when GIO's TLS backend has loaded it anyway: a member without TLS does
 * not carry GnuTLS and its dependencies (2 MB of resident memory). */
#define GNUTLS_SONAME "libgnutls.so.30"

typedef struct {
  int (*privkey_init) (gnutls_x509_privkey_t *key);
  int (*privkey_generate) (gnutls_x509_privkey_t key, gnutls_pk_algorithm_t algo,
                           unsigned int bits, unsigned int flags);
  int (*privkey_export2) (gnutls_x509_privkey_t key, gnutls_x509_crt_fmt_t format,
                          gnutls_datum_t *out);
  void (*privkey_deinit) (gnutls_x509_privkey_t key);
  int (*crt_init) (gnutls_x509_crt_t *crt);
  int (*crt_set_version) (gnutls_x509_crt_t crt, unsigned int version);
  int (*crt_set_serial) (gnutls_x509_crt_t crt, const void *serial, size_t size);
  int (*crt_set_activation_time) (gnutls_x509_crt_t crt, time_t t);
  int (*crt_set_expiration_time) (gnutls_x509_crt_t crt, time_t t);
  int (*crt_set_dn_by_oid) (gnutls_x509_crt_t crt, const char *oid, unsigned int raw,
                            const void *name, unsigned int size);
  int (*crt_set_key) (gnutls_x509_crt_t crt, gnutls_x509_privkey_t key);
  int (*crt_sign2) (gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
                    gnutls_x509_privkey_t key, gnutls_digest_algorithm_t dig, unsigned int flags);
  int (*crt_export2) (gnutls_x509_crt_t crt, gnutls_x509_crt_fmt_t format, gnutls_datum_t *out);
  void (*crt_deinit) (gnutls_x509_crt_t crt);
  int (*cred_alloc) (gnutls_certificate_credentials_t *cred);
  int (*cred_set_key_mem) (gnutls_certificate_credentials_t cred, const gnutls_datum_t *cert,
                           const gnutls_datum_t *key, gnutls_x509_crt_fmt_t format);
  void (*cred_free) (gnutls_certificate_credentials_t cred);
  const char *(*strerror) (int error);
  gnutls_free_function *free;
} GnutlsApi;

static const GnutlsApi *
gnutls_api (GError **error)
{
  static GnutlsApi api;
  static const char *missing;
  static gsize loaded;
  const struct {
    const char *name;
    gpointer *slot;
  } syms[] = {
    { "gnutls_x509_privkey_init", (gpointer *) &api.privkey_init },
    { "gnutls_x509_privkey_generate", (gpointer *) &api.privkey_generate },
    { "gnutls_x509_privkey_export2", (gpointer *) &api.privkey_export2 },
    { "gnutls_x509_privkey_deinit", (gpointer *) &api.privkey_deinit },
    { "gnutls_x509_crt_init", (gpointer *) &api.crt_init },
    { "gnutls_x509_crt_set_version", (gpointer *) &api.crt_set_version },
    { "gnutls_x509_crt_set_serial", (gpointer *) &api.crt_set_serial },
    { "gnutls_x509_crt_set_activation_time", (gpointer *) &api.crt_set_activation_time },
    { "gnutls_x509_crt_set_expiration_time", (gpointer *) &api.crt_set_expiration_time },
    { "gnutls_x509_crt_set_dn_by_oid", (gpointer *) &api.crt_set_dn_by_oid },
    { "gnutls_x509_crt_set_key", (gpointer *) &api.crt_set_key },
    { "gnutls_x509_crt_sign2", (gpointer *) &api.crt_sign2 },
    { "gnutls_x509_crt_export2", (gpointer *) &api.crt_export2 },
    { "gnutls_x509_crt_deinit", (gpointer *) &api.crt_deinit },
    { "gnutls_certificate_allocate_credentials", (gpointer *) &api.cred_alloc },
    { "gnutls_certificate_set_x509_key_mem", (gpointer *) &api.cred_set_key_mem },
    { "gnutls_certificate_free_credentials", (gpointer *) &api.cred_free },
    { "gnutls_strerror", (gpointer *) &api.strerror },
    { "gnutls_free", (gpointer *) &api.free }, /* a variable: the function's address */
  };

  if (g_once_init_enter (&loaded))
    {
      GModule *module = g_module_open (GNUTLS_SONAME, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);

      for (guint i = 0; i < G_N_ELEMENTS (syms) && missing == NULL; i++)
        if (module == NULL || !g_module_symbol (module, syms[i].name, syms[i].slot))
          missing = syms[i].name;
      if (module != NULL)
        g_module_make_resident (module);
      g_once_init_leave (&loaded, 1);
    }
  if (missing != NULL)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                   "cannot make a key pair: %s from GnuTLS (%s) is missing", missing,
                   GNUTLS_SONAME);
      return NULL;
    }
  return &api;
}

/* A fresh key pair (ECDSA P-256) and a self-signed certificate for it,
 * made once per process.  Peers do not check it: the proof of the secret,
 * bound to the TLS channel, authenticates (grp-security.h). */
static GTlsCertificate *
make_ephemeral (GError **error)
{
  const GnutlsApi *tls = gnutls_api (error);
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t key_pem = { 0 }, crt_pem = { 0 };
  guint8 serial[16];
  time_t now = time (NULL);
  GTlsCertificate *cert = NULL;
  int ret;

  if (tls == NULL)
    return NULL;
  if (getrandom (serial, sizeof serial, 0) != (ssize_t) sizeof serial)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                   "cannot make a key pair: no random bytes");
      return NULL;
    }
  serial[0] &= 0x7f; /* a positive serial number */
  if ((ret = tls->privkey_init (&key)) < 0 ||
      (ret = tls->privkey_generate (key, GNUTLS_PK_ECDSA,
                                    GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
      (ret = tls->crt_init (&crt)) < 0 ||
      (ret = tls->crt_set_version (crt, 3)) < 0 ||
      (ret = tls->crt_set_serial (crt, serial, sizeof serial)) < 0 ||
      (ret = tls->crt_set_activation_time (crt, now - 24 * 3600)) < 0 ||
      (ret = tls->crt_set_expiration_time (crt, now + 10 * 365 * 24 * 3600)) < 0 ||
      (ret = tls->crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, "groupy member",
                                     strlen ("groupy member"))) < 0 ||
      (ret = tls->crt_set_key (crt, key)) < 0 ||
      (ret = tls->crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
      (ret = tls->crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem)) < 0 ||
      (ret = tls->privkey_export2 (key, GNUTLS_X509_FMT_PEM, &key_pem)) < 0)
    goto out;
  {
    g_autofree char *pem = g_strdup_printf ("%.*s\n%.*s", (int) crt_pem.size, crt_pem.data,
                                            (int) key_pem.size, key_pem.data);

    cert = g_tls_certificate_new_from_pem (pem, -1, error);
    explicit_bzero (pem, strlen (pem));
  }

out:
  if (ret < 0)
    g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                 "cannot make a key pair: %s", tls->strerror (ret));
  if (key_pem.data != NULL)
    {
      explicit_bzero (key_pem.data, key_pem.size);
      (*tls->free) (key_pem.data);
    }
  if (crt_pem.data != NULL)
    (*tls->free) (crt_pem.data);
  if (crt != NULL)
    tls->crt_deinit (crt);
  if (key != NULL)
    tls->privkey_deinit (key);
  return cert;
}

/* Whether the private key in KEY_PEM is the one of the certificate in
 * CERT_PEM, as GnuTLS checks when it loads a pair (cert and key name the
 * files, for the error).  Where GnuTLS cannot be opened, nothing is said
 * here: the handshake still fails, later and less clearly. */
static gboolean
key_matches (const char *cert_pem, const char *key_pem, const char *cert, const char *key,
             GError **error)
{
  const GnutlsApi *tls = gnutls_api (NULL);
  gnutls_certificate_credentials_t cred = NULL;
  gnutls_datum_t c = { (unsigned char *) cert_pem, strlen (cert_pem) };
  gnutls_datum_t k = { (unsigned char *) key_pem, strlen (key_pem) };
  int ret;

  if (tls == NULL || tls->cred_alloc (&cred) < 0)
    return TRUE;
  ret = tls->cred_set_key_mem (cred, &c, &k, GNUTLS_X509_FMT_PEM);
  tls->cred_free (cred);
  if (ret == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FORMAT,
                   "the private key in %s does not match the certificate in %s: give the key "
                   "that was made with that certificate", key ? key : cert, cert);
      return FALSE;
    }
  /* Other failures (a format GnuTLS reads otherwise than GIO) are GIO's to
   * judge, just below, as before. */
  return TRUE;
}

static GTlsCertificate *
ephemeral (GError **error)
{
  static GMutex lock;
  static GTlsCertificate *cert;
  GTlsCertificate *ret;

  g_mutex_lock (&lock);
  if (cert == NULL)
    cert = make_ephemeral (error);
  ret = cert != NULL ? g_object_ref (cert) : NULL;
  g_mutex_unlock (&lock);
  return ret;
}

/* The ciphers members offer, in order.  GIO lets a program choose them in
 * one way only: glib-networking reads G_TLS_GNUTLS_PRIORITY (a GnuTLS
 * priority string) once, when its first TLS connection is made, and the
 * side that dials decides (GnuTLS takes the client's order).  GnuTLS's
 * default offers AES-256-GCM first; AES-128-GCM is the suite every TLS 1.3
 * implementation must have (RFC 8446, 9.1) and with AES instructions about
 * 30 % faster (`openssl speed -evp aes-128-gcm`: 4.2 against 3.3 GB/s
 * here), which at 1 KiB is a fair part of what TLS costs a sequencer that
 * encrypts every frame once per member.  Only AEAD suites and TLS 1.3 are
 * offered (the proof of the secret needs TLS 1.3's exporter anyway).  A
 * priority string the user set is left alone (on a CPU without AES
 * instructions, put CHACHA20-POLY1305 first). */
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:" \
                     "+CHACHA20-POLY1305"

/* Sets TLS_PRIORITY unless the user chose; once, before the backend makes
 * its first connection (programs call this while they start: setting the
 * environment is only safe before other threads read it, so a program that
 * starts threads of its own first, as gtk_init() may, calls it before). */
void
grp_security_choose_ciphers (void)
{
  static gsize done;

  if (!g_once_init_enter (&done))
    return;
  if (g_getenv ("G_TLS_GNUTLS_PRIORITY") == NULL)
    g_setenv ("G_TLS_GNUTLS_PRIORITY", TLS_PRIORITY, FALSE);
  g_once_init_leave (&done, 1);
}

/* Loads GIO's TLS backend and makes our key pair now (unless `has_cert`:
 * one from the PKI), while the member starts: not during its first join
 * (tens of milliseconds), and a missing backend is an error the user sees
 * at once. */
static gboolean
prepare (gboolean has_cert, GError **error)
{
  g_autoptr(GTlsCertificate) cert = NULL;

  grp_security_choose_ciphers ();
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_FILE,
                   "GIO has no TLS support here: install glib-networking");
      return FALSE;
    }
  if (!has_cert && (cert = ephemeral (error)) == NULL)
    return FALSE;
  return TRUE;
}

/* ---- connections ------------------------------------------------------- */

/* Called when the TLS backend could not validate the peer's certificate
 * (it never can: no database is set): we decide. */
static gboolean
on_accept_certificate (GTlsConnection      *tls,
                       GTlsCertificate     *peer,
                       GTlsCertificateFlags errors,
                       gpointer             data)
{
  GrpSecurity *self = data;

  /* With a secret and no PKI, the certificate proves nothing and is not
   * asked to: the proof of the secret, bound to this channel, follows. */
  if (self->cas == NULL)
    return TRUE;
  /* With a PKI: signed by one of its CAs, valid now; any name (members are
   * reached by address, and every certificate of the CA is a member). */
  for (GList *l = self->cas; l != NULL; l = l->next)
    if (g_tls_certificate_verify (peer, NULL, l->data) == 0)
      return TRUE;
  g_debug ("refusing a certificate the group's CA did not sign (flags %x)", errors);
  return FALSE;
}

static void
drop_security (gpointer data, GClosure *closure)
{
  g_object_unref (data);
}

GTlsConnection *
grp_security_wrap (GrpSecurity *self, GIOStream *base, gboolean server, GError **error)
{
  g_autoptr(GTlsCertificate) cert = NULL;
  GIOStream *tls;

  GTlsBackend *backend = g_tls_backend_get_default ();

  if (self->cert != NULL)
    cert = g_object_ref (self->cert);
  else if (server && (cert = ephemeral (error)) == NULL)
    return NULL;
  if (!g_tls_backend_supports_tls (backend))
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE,
                   "no TLS support in GIO: install glib-networking");
      return NULL;
    }
  /* Built with no database from the start ("database" NULL), not set to
   * none afterwards: GIO would otherwise load the system's trust store for
   * every connection, tens of milliseconds each, which a flood of
   * connections turns into a busy member.  Only what on_accept_certificate
   * accepts is trusted.  A member ends a connection with a BYE frame,
   * inside TLS: a missing close_notify means no more than a missing BYE. */
  if (server)
    tls = g_initable_new (g_tls_backend_get_server_connection_type (backend), NULL, error,
                          "base-io-stream", base, "database", NULL, "require-close-notify", FALSE,
                          "certificate", cert,
                          "authentication-mode", self->cas != NULL ? G_TLS_AUTHENTICATION_REQUIRED
                                                                   : G_TLS_AUTHENTICATION_NONE,
                          NULL);
  else
    tls = g_initable_new (g_tls_backend_get_client_connection_type (backend), NULL, error,
                          "base-io-stream", base, "database", NULL, "require-close-notify", FALSE,
                          "certificate", cert, NULL);
  if (tls == NULL)
    return NULL;
  /* GIO's TLS backend may emit accept-certificate from its handshake
   * thread, while this thread drops its last reference to self: a
   * connection holds self until it ends, so the handler never reads freed
   * memory (g_signal_connect_object() would leave that race open). */
  g_signal_connect_data (tls, "accept-certificate", G_CALLBACK (on_accept_certificate),
                         g_object_ref (self), drop_security, 0);
  return G_TLS_CONNECTION (tls);
}

gboolean
grp_security_peer_has_pki (GTlsConnection *tls)
{
  GTlsCertificate *peer = g_tls_connection_get_peer_certificate (tls);
  g_autofree char *subject = NULL;
  g_autofree char *issuer = NULL;

  if (peer == NULL)
    return FALSE;
  subject = g_tls_certificate_get_subject_name (peer);
  issuer = g_tls_certificate_get_issuer_name (peer);
  return subject != NULL && issuer != NULL && strcmp (subject, issuer) != 0;
}

static gboolean
compute_proof (GrpSecurity *self, GTlsConnection *tls, gboolean server,
               guint8 proof[GRP_PROOF_LEN], GError **error)
{
  g_autoptr(GByteArray) binding = g_byte_array_new ();
  g_autoptr(GHmac) hmac = NULL;
  const guint8 role = server ? 'S' : 'C';
  gsize len = GRP_PROOF_LEN;

  if (!g_tls_connection_get_channel_binding_data (tls, G_TLS_CHANNEL_BINDING_TLS_EXPORTER, binding,
                                                  error))
    {
      g_prefix_error (error, "no TLS 1.3 channel binding to prove the secret over: ");
      return FALSE;
    }
  hmac = g_hmac_new (G_CHECKSUM_SHA256, g_bytes_get_data (self->secret, NULL),
                     g_bytes_get_size (self->secret));
  g_hmac_update (hmac, (const guchar *) PROOF_LABEL, sizeof PROOF_LABEL);
  g_hmac_update (hmac, &role, 1);
  g_hmac_update (hmac, binding->data, binding->len);
  g_hmac_get_digest (hmac, proof, &len);
  if (len != GRP_PROOF_LEN)
    {
      /* Never with SHA-256; a caller reports the error it gets. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "a proof of %" G_GSIZE_FORMAT
                   " bytes, not %d", len, GRP_PROOF_LEN);
      return FALSE;
    }
  return TRUE;
}

gboolean
grp_security_prove (GrpSecurity *self, GTlsConnection *tls, gboolean server,
                    guint8 proof[GRP_PROOF_LEN], GError **error)
{
  return compute_proof (self, tls, server, proof, error);
}

gboolean
grp_security_check (GrpSecurity *self, GTlsConnection *tls, gboolean server,
                    const guint8 proof[GRP_PROOF_LEN], GError **error)
{
  guint8 want[GRP_PROOF_LEN];
  guint8 diff = 0;

  /* The peer's proof is the one for the other side of the connection. */
  if (!compute_proof (self, tls, !server, want, error))
    return FALSE;
  for (guint i = 0; i < GRP_PROOF_LEN; i++)
    diff |= want[i] ^ proof[i];
  explicit_bzero (want, sizeof want);
  if (diff != 0)
    {
      g_set_error (error, GRP_SECURITY_ERROR, GRP_SECURITY_ERROR_REFUSED,
                   "it does not hold the group secret");
      return FALSE;
    }
  return TRUE;
}

/* ---- GObject ---------------------------------------------------------- */

GrpSecurity *
grp_security_new (void)
{
  return g_object_new (GRP_TYPE_SECURITY, NULL);
}

static void
grp_security_finalize (GObject *object)
{
  GrpSecurity *self = GRP_SECURITY (object);

  g_clear_pointer (&self->secret, free_secret);
  g_clear_object (&self->cert);
  g_list_free_full (self->cas, g_object_unref);
  G_OBJECT_CLASS (grp_security_parent_class)->finalize (object);
}

static void
grp_security_class_init (GrpSecurityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = grp_security_finalize;
}

static void
grp_security_init (GrpSecurity *self)
{
}
