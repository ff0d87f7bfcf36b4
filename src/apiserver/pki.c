/* The cluster's certificate bootstrap (see pki.h): on first start it makes an ECDSA P-256 CA and signs the
 * API server's serving certificate and the admin client certificate with it; on later starts it reuses
 * everything that is still good, because clients (kubeconfigs, agents) pin the CA. Leaf certificates are
 * re-issued when they are unusable, no longer chain to the current CA, expire within 90 days, or (for the
 * serving certificate) carry a different SAN set than wanted. It also authenticates requests: by the TLS
 * client certificate (CN = user, O = groups, as kube-apiserver's x509 authenticator does) or by the admin
 * bearer token, and writes the admin kubeconfig. */
#include "apiserver/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

#include "base/buf.h"
#include "base/log.h"

#define DAY_SEC (24 * 3600)
#define CA_LIFETIME_SEC ((time_t)3650 * DAY_SEC)
#define LEAF_LIFETIME_SEC ((time_t)365 * DAY_SEC)
/* k3s renews leaf certificates that expire within 90 days on start; a server restarted at least once a
 * quarter therefore never serves an expired certificate. */
#define RENEW_BEFORE_SEC ((time_t)90 * DAY_SEC)
/* Certificates start an hour in the past so that a node whose clock is slightly behind accepts them. */
#define BACKDATE_SEC ((time_t)3600)

/* A serving certificate never needs more names than this; the cap bounds what opts->ips can ask for. */
#define SAN_MAX 64
#define SAN_VALUE_MAX 255

#define OID_SAN "2.5.29.17"

/* ---- small ownership helpers for GnuTLS handles ---- */

static void crt_freep(gnutls_x509_crt_t *c) {
  if (*c)
    gnutls_x509_crt_deinit(*c);
}
static void x509_key_freep(gnutls_x509_privkey_t *k) {
  if (*k)
    gnutls_x509_privkey_deinit(*k);
}
static void privkey_freep(gnutls_privkey_t *k) {
  if (*k)
    gnutls_privkey_deinit(*k);
}
static void datum_freep(gnutls_datum_t *d) {
  gnutls_free(d->data);
  d->data = NULL;
}
static void sans_freep(gnutls_subject_alt_names_t *s) {
  if (*s)
    gnutls_subject_alt_names_deinit(*s);
}
/* Private keys and the token should not linger in freed heap memory. */
static void secret_free(char *s) {
  if (!s)
    return;
  explicit_bzero(s, strlen(s));
  free(s);
}
static void secret_freep(char **s) {
  secret_free(*s);
}
#define _cleanup_crt_ _cleanup_(crt_freep)
#define _cleanup_x509_key_ _cleanup_(x509_key_freep)
#define _cleanup_datum_ _cleanup_(datum_freep)
#define _cleanup_secret_ _cleanup_(secret_freep)

/* Turns a GnuTLS failure into our convention; GnuTLS running out of memory is treated like xmalloc does. */
_printf_(3, 4) static int tls_error(Error *err, int gr, const char *fmt, ...) {
  if (gr == GNUTLS_E_MEMORY_ERROR)
    oom();
  va_list ap;
  va_start(ap, fmt);
  char *what = NULL;
  if (vasprintf(&what, fmt, ap) < 0)
    oom();
  va_end(ap);
  int r = error_set(err, -EIO, NULL, "%s: %s", what, gnutls_strerror(gr));
  free(what);
  return r;
}

/* ---- subject alternative names as comparable sets ---- */

typedef struct San {
  unsigned type; /* GNUTLS_SAN_DNSNAME or GNUTLS_SAN_IPADDRESS */
  size_t len;
  unsigned char value[SAN_VALUE_MAX]; /* DNS text without NUL, or 4/16 address bytes */
} San;

typedef struct SanSet {
  San items[SAN_MAX];
  size_t n;
} SanSet;

static bool san_set_has(const SanSet *s, unsigned type, const void *value, size_t len) {
  for (size_t i = 0; i < s->n; i++)
    if (s->items[i].type == type && s->items[i].len == len && memcmp(s->items[i].value, value, len) == 0)
      return true;
  return false;
}

/* Adds unless already present, so that the set stays free of duplicates whatever the input repeats. */
static int san_set_add(SanSet *s, unsigned type, const void *value, size_t len) {
  if (len == 0 || len > SAN_VALUE_MAX)
    return -EINVAL;
  if (san_set_has(s, type, value, len))
    return 0;
  if (s->n >= SAN_MAX)
    return -E2BIG;
  San *e = &s->items[s->n++];
  e->type = type;
  e->len = len;
  memcpy(e->value, value, len);
  return 0;
}

static bool san_set_equal(const SanSet *a, const SanSet *b) {
  for (size_t i = 0; i < a->n; i++)
    if (!san_set_has(b, a->items[i].type, a->items[i].value, a->items[i].len))
      return false;
  for (size_t i = 0; i < b->n; i++)
    if (!san_set_has(a, b->items[i].type, b->items[i].value, b->items[i].len))
      return false;
  return true;
}

static int san_set_add_ip(SanSet *s, const char *text, Error *err) {
  unsigned char addr[16];
  size_t len;
  if (inet_pton(AF_INET, text, addr) == 1)
    len = 4;
  else if (inet_pton(AF_INET6, text, addr) == 1)
    len = 16;
  else
    return error_set(err, -EINVAL, NULL, "invalid IP address for the serving certificate: \"%s\"", text);
  int r = san_set_add(s, GNUTLS_SAN_IPADDRESS, addr, len);
  if (r < 0)
    return error_set(err, r, NULL, "too many IP addresses for the serving certificate (max %d names)",
                     SAN_MAX);
  return 0;
}

static int san_set_add_dns(SanSet *s, const char *name, Error *err) {
  int r = san_set_add(s, GNUTLS_SAN_DNSNAME, name, strlen(name));
  if (r == -EINVAL)
    return error_set(err, r, NULL, "invalid DNS name for the serving certificate: \"%s\"", name);
  if (r < 0)
    return error_set(err, r, NULL, "too many names for the serving certificate (max %d)", SAN_MAX);
  return 0;
}

/* The names kube-apiserver's serving certificate carries. Loopback is always there, whatever the caller
 * passes, because the kubeconfig written next to it points at 127.0.0.1 and in-node clients may use ::1. */
static int serving_sans(const PkiOptions *opts, SanSet *ret, Error *err) {
  ret->n = 0;
  const char *domain = isempty(opts->cluster_domain) ? "cluster.local" : opts->cluster_domain;
  _cleanup_free_ char *svc_fqdn = xasprintf("kubernetes.default.svc.%s", domain);
  const char *dns[] = {opts->node_name,          "localhost", "kubernetes", "kubernetes.default",
                       "kubernetes.default.svc", svc_fqdn};
  for (size_t i = 0; i < ELEMENTSOF(dns); i++) {
    if (isempty(dns[i]))
      continue;
    int r = san_set_add_dns(ret, dns[i], err);
    if (r < 0)
      return r;
  }
  const char *loopback[] = {"127.0.0.1", "::1"};
  for (size_t i = 0; i < ELEMENTSOF(loopback); i++) {
    int r = san_set_add_ip(ret, loopback[i], err);
    if (r < 0)
      return r;
  }
  for (const char *const *ip = opts->ips; ip && *ip; ip++) {
    int r = san_set_add_ip(ret, *ip, err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* Reads the DNS and IP SANs of a certificate. Other SAN kinds make the set unequal to anything we want,
 * which is the point: such a certificate was not made by us. */
static int crt_sans(gnutls_x509_crt_t crt, SanSet *ret) {
  ret->n = 0;
  _cleanup_datum_ gnutls_datum_t der = {0};
  unsigned critical = 0;
  int r = gnutls_x509_crt_get_extension_by_oid2(crt, OID_SAN, 0, &der, &critical);
  if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return 0;
  if (r < 0)
    return -EBADMSG;
  _cleanup_(sans_freep) gnutls_subject_alt_names_t sans = NULL;
  if (gnutls_subject_alt_names_init(&sans) < 0)
    oom();
  if (gnutls_x509_ext_import_subject_alt_names(&der, sans, 0) < 0)
    return -EBADMSG;
  for (unsigned i = 0;; i++) {
    unsigned type;
    gnutls_datum_t v;
    r = gnutls_subject_alt_names_get(sans, i, &type, &v, NULL);
    if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
      return 0;
    if (r < 0)
      return -EBADMSG;
    if (type != GNUTLS_SAN_DNSNAME && type != GNUTLS_SAN_IPADDRESS)
      return -EBADMSG;
    r = san_set_add(ret, type, v.data, v.size);
    if (r < 0)
      return r;
  }
}

/* ---- PEM conversion ---- */

static int crt_import(const char *pem, gnutls_x509_crt_t *ret) {
  _cleanup_crt_ gnutls_x509_crt_t crt = NULL;
  int r = gnutls_x509_crt_init(&crt);
  if (r < 0)
    return r;
  gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
  r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
  if (r < 0)
    return r;
  *ret = TAKE_PTR(crt);
  return 0;
}

static int key_import(const char *pem, gnutls_x509_privkey_t *ret) {
  _cleanup_x509_key_ gnutls_x509_privkey_t key = NULL;
  int r = gnutls_x509_privkey_init(&key);
  if (r < 0)
    return r;
  gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
  /* import2 understands SEC1, PKCS#1 and unencrypted PKCS#8, so a CA supplied by an operator works too. */
  r = gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
  if (r < 0)
    return r;
  *ret = TAKE_PTR(key);
  return 0;
}

static int crt_export(gnutls_x509_crt_t crt, char **ret, Error *err) {
  _cleanup_datum_ gnutls_datum_t d = {0};
  int r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d);
  if (r < 0)
    return tls_error(err, r, "exporting certificate");
  *ret = xstrndup((const char *)d.data, d.size);
  return 0;
}

static int key_export(gnutls_x509_privkey_t key, char **ret, Error *err) {
  _cleanup_datum_ gnutls_datum_t d = {0};
  int r = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d);
  if (r < 0)
    return tls_error(err, r, "exporting private key");
  *ret = xstrndup((const char *)d.data, d.size);
  explicit_bzero(d.data, d.size);
  return 0;
}

/* ---- issuing ---- */

typedef enum CertKind {
  CERT_CA,
  CERT_SERVING,
  CERT_CLIENT,
} CertKind;

typedef struct CertSpec {
  CertKind kind;
  const char *file;   /* stem under tls_dir: "<file>.crt" and "<file>.key" */
  const char *cn;     /* subject CN */
  const char *org;    /* subject O, or NULL */
  const SanSet *sans; /* serving only */
} CertSpec;

/* A random positive serial: the top bit is cleared so DER needs no sign byte, and the next one is set so
 * the encoding is always 16 bytes long (a leading zero byte would be non-minimal DER). */
static void random_serial(unsigned char serial[16]) {
  random_bytes(serial, 16);
  serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
}

static int crt_set_sans(gnutls_x509_crt_t crt, const SanSet *sans, Error *err) {
  for (size_t i = 0; sans && i < sans->n; i++) {
    const San *s = &sans->items[i];
    int r =
        gnutls_x509_crt_set_subject_alt_name(crt, s->type, s->value, (unsigned)s->len, GNUTLS_FSAN_APPEND);
    if (r < 0)
      return tls_error(err, r, "setting subject alternative name");
  }
  return 0;
}

/* Makes a fresh key and a certificate for it, signed by (ca, ca_key), or self-signed when ca is NULL. */
static int cert_issue(const CertSpec *spec, gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key,
                      gnutls_x509_crt_t *ret_crt, gnutls_x509_privkey_t *ret_key, Error *err) {
  _cleanup_x509_key_ gnutls_x509_privkey_t key = NULL;
  int r = gnutls_x509_privkey_init(&key);
  if (r < 0)
    return tls_error(err, r, "allocating private key");
  r = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
  if (r < 0)
    return tls_error(err, r, "generating ECDSA P-256 key");

  _cleanup_crt_ gnutls_x509_crt_t crt = NULL;
  r = gnutls_x509_crt_init(&crt);
  if (r < 0)
    return tls_error(err, r, "allocating certificate");

  time_t now = time(NULL);
  time_t not_after = now + (spec->kind == CERT_CA ? CA_LIFETIME_SEC : LEAF_LIFETIME_SEC);
  if (ca) {
    /* A leaf outliving its CA would only fail verification later with a less obvious error. */
    time_t ca_end = gnutls_x509_crt_get_expiration_time(ca);
    if (ca_end != (time_t)-1 && not_after > ca_end)
      not_after = ca_end;
  }
  unsigned char serial[16];
  random_serial(serial);

  /* keyEncipherment has no use with an ECDSA key; leaves carry it anyway to look like the certificates
   * kube-apiserver and k3s generate, so tools that compare them see nothing unusual. */
  unsigned usage = spec->kind == CERT_CA
                       ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN | GNUTLS_KEY_DIGITAL_SIGNATURE
                       : GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT;

  if ((r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
      (r = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
      (r = gnutls_x509_crt_set_activation_time(crt, now - BACKDATE_SEC)) < 0 ||
      (r = gnutls_x509_crt_set_expiration_time(crt, not_after)) < 0 ||
      (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, spec->cn,
                                         (unsigned)strlen(spec->cn))) < 0 ||
      (spec->org && (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, spec->org,
                                                       (unsigned)strlen(spec->org))) < 0) ||
      (r = gnutls_x509_crt_set_key(crt, key)) < 0 ||
      (r = gnutls_x509_crt_set_basic_constraints(crt, spec->kind == CERT_CA, -1)) < 0 ||
      (r = gnutls_x509_crt_set_key_usage(crt, usage)) < 0)
    return tls_error(err, r, "building certificate %s", spec->cn);

  if (spec->kind != CERT_CA) {
    const char *purpose = spec->kind == CERT_SERVING ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT;
    r = gnutls_x509_crt_set_key_purpose_oid(crt, purpose, 0);
    if (r < 0)
      return tls_error(err, r, "setting extended key usage");
  }
  r = crt_set_sans(crt, spec->sans, err);
  if (r < 0)
    return r;

  unsigned char id[64];
  size_t id_len = sizeof id;
  r = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, id, &id_len);
  if (r >= 0)
    r = gnutls_x509_crt_set_subject_key_id(crt, id, id_len);
  if (r < 0)
    return tls_error(err, r, "setting subject key id");
  if (ca) {
    /* An operator-supplied CA may lack a subject key id; chains still build by name then. */
    unsigned char aki[64];
    size_t aki_len = sizeof aki;
    if (gnutls_x509_crt_get_subject_key_id(ca, aki, &aki_len, NULL) >= 0) {
      r = gnutls_x509_crt_set_authority_key_id(crt, aki, aki_len);
      if (r < 0)
        return tls_error(err, r, "setting authority key id");
    }
  }

  _cleanup_(privkey_freep) gnutls_privkey_t signer = NULL;
  r = gnutls_privkey_init(&signer);
  if (r < 0)
    return tls_error(err, r, "allocating signer");
  r = gnutls_privkey_import_x509(signer, ca ? ca_key : key, 0);
  if (r < 0)
    return tls_error(err, r, "loading signing key");
  r = gnutls_x509_crt_privkey_sign(crt, ca ? ca : crt, signer, GNUTLS_DIG_SHA256, 0);
  if (r < 0)
    return tls_error(err, r, "signing certificate %s", spec->cn);

  *ret_crt = TAKE_PTR(crt);
  *ret_key = TAKE_PTR(key);
  return 0;
}

/* ---- files ---- */

/* Returns 1 and the content, 0 when the file does not exist, or a negative errno. */
static int read_optional(const char *dir, const char *name, char **ret, Error *err) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
  char *data = NULL;
  int r = read_file(path, &data, NULL);
  if (r == -ENOENT) {
    *ret = NULL;
    return 0;
  }
  if (r < 0)
    return error_set(err, r, NULL, "reading %s: %s", path, strerror(-r));
  *ret = data;
  return 1;
}

static int write_in(const char *dir, const char *name, const char *data, Error *err) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
  int r = write_file_atomic(path, data, strlen(data), 0600);
  if (r < 0)
    return error_set(err, r, NULL, "writing %s: %s", path, strerror(-r));
  return 0;
}

/* Writes the key before the certificate: a crash in between leaves a certificate that no longer matches
 * its key, which the next start detects and repairs, rather than a certificate whose key is lost. */
static int write_pair(const char *dir, const char *stem, const char *crt_pem, const char *key_pem,
                      Error *err) {
  _cleanup_free_ char *crt_name = xasprintf("%s.crt", stem);
  _cleanup_free_ char *key_name = xasprintf("%s.key", stem);
  int r = write_in(dir, key_name, key_pem, err);
  if (r < 0)
    return r;
  return write_in(dir, crt_name, crt_pem, err);
}

static bool key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key) {
  unsigned char a[64], b[64];
  size_t la = sizeof a, lb = sizeof b;
  return gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &la) >= 0 &&
         gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &lb) >= 0 && la == lb &&
         memcmp(a, b, la) == 0;
}

/* ---- the CA ---- */

typedef struct CaMaterial {
  gnutls_x509_crt_t crt;
  gnutls_x509_privkey_t key;
  char *crt_pem;
} CaMaterial;

static void ca_material_done(CaMaterial *m) {
  if (m->crt)
    gnutls_x509_crt_deinit(m->crt);
  if (m->key)
    gnutls_x509_privkey_deinit(m->key);
  free(m->crt_pem);
  *m = (CaMaterial){0};
}

/* Loads server-ca.crt/.key. A missing pair is created; a certificate without its key is an error (nothing
 * could be signed, and silently replacing a CA breaks every client that trusts it). A key without its
 * certificate is what an interrupted first start leaves behind (see write_pair), so the pair is remade. */
static int ca_load_or_create(const char *dir, CaMaterial *ret, Error *err) {
  _cleanup_free_ char *crt_pem = NULL;
  _cleanup_secret_ char *key_pem = NULL;
  int have_crt = read_optional(dir, "server-ca.crt", &crt_pem, err);
  if (have_crt < 0)
    return have_crt;
  int have_key = read_optional(dir, "server-ca.key", &key_pem, err);
  if (have_key < 0)
    return have_key;

  _cleanup_crt_ gnutls_x509_crt_t crt = NULL;
  _cleanup_x509_key_ gnutls_x509_privkey_t key = NULL;
  if (have_crt && !have_key)
    return error_set(err, -ENOENT, NULL,
                     "%s/server-ca.crt exists but server-ca.key does not; restore the key or remove both "
                     "to create a new cluster CA",
                     dir);
  if (have_crt) {
    int r = crt_import(crt_pem, &crt);
    if (r < 0)
      return error_set(err, -EBADMSG, NULL, "parsing %s/server-ca.crt: %s", dir, gnutls_strerror(r));
    r = key_import(key_pem, &key);
    if (r < 0)
      return error_set(err, -EBADMSG, NULL, "parsing %s/server-ca.key: %s", dir, gnutls_strerror(r));
    if (!key_matches(crt, key))
      return error_set(err, -EINVAL, NULL, "%s/server-ca.key does not belong to server-ca.crt", dir);
    unsigned critical = 0, is_ca = 0;
    int pathlen = -1;
    if (gnutls_x509_crt_get_basic_constraints(crt, &critical, &is_ca, &pathlen) < 0 || !is_ca)
      return error_set(err, -EINVAL, NULL, "%s/server-ca.crt is not a CA certificate", dir);
    if (gnutls_x509_crt_get_expiration_time(crt) < time(NULL))
      log_warn("pki", "msg=\"cluster CA has expired; clients will reject the server\" dir=%s", dir);
  } else {
    if (have_key)
      log_debug("pki", "msg=\"remaking CA left half-written by an earlier start\" dir=%s", dir);
    _cleanup_free_ char *cn = xasprintf("coracle-server-ca@%lld", (long long)time(NULL));
    CertSpec spec = {.kind = CERT_CA, .file = "server-ca", .cn = cn};
    int r = cert_issue(&spec, NULL, NULL, &crt, &key, err);
    if (r < 0)
      return r;
    free(TAKE_PTR(crt_pem));
    secret_free(TAKE_PTR(key_pem));
    if ((r = crt_export(crt, &crt_pem, err)) < 0 || (r = key_export(key, &key_pem, err)) < 0)
      return r;
    r = write_pair(dir, spec.file, crt_pem, key_pem, err);
    if (r < 0)
      return r;
    /* A certificate built in memory does not verify others until re-imported (GnuTLS fills the issuer
     * name it matches against only when parsing), so keep the parsed form of what went to disk. */
    gnutls_x509_crt_deinit(TAKE_PTR(crt));
    r = crt_import(crt_pem, &crt);
    if (r < 0)
      return tls_error(err, r, "re-reading the new CA certificate");
    log_debug("pki", "msg=\"created cluster CA\" cn=%s", cn);
  }
  ret->crt = TAKE_PTR(crt);
  ret->key = TAKE_PTR(key);
  ret->crt_pem = TAKE_PTR(crt_pem);
  return 0;
}

/* ---- leaf certificates ---- */

/* Whether the subject is exactly CN=spec->cn plus O=spec->org when given. */
static bool subject_matches(gnutls_x509_crt_t crt, const CertSpec *spec) {
  char buf[256];
  size_t n = sizeof buf;
  if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &n) < 0 ||
      !streq(buf, spec->cn))
    return false;
  n = sizeof buf;
  int r = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, 0, buf, &n);
  if (!spec->org)
    return r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE;
  if (r < 0 || !streq(buf, spec->org))
    return false;
  n = sizeof buf;
  return gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 1, 0, buf, &n) ==
         GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE;
}

/* Why an existing leaf cannot be kept, or NULL when it can. */
static const char *leaf_problem(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const CertSpec *spec,
                                const CaMaterial *ca) {
  if (!key_matches(crt, key))
    return "key does not match certificate";
  unsigned status = 0;
  if (gnutls_x509_crt_verify(crt, &ca->crt, 1, 0, &status) < 0 || status != 0)
    return "not signed by the current CA";
  time_t now = time(NULL);
  time_t start = gnutls_x509_crt_get_activation_time(crt);
  time_t end = gnutls_x509_crt_get_expiration_time(crt);
  if (start == (time_t)-1 || end == (time_t)-1 || start > now)
    return "not yet valid";
  if (end - now < RENEW_BEFORE_SEC)
    return "expires within 90 days";
  if (!subject_matches(crt, spec))
    return "subject differs";
  if (spec->sans) {
    SanSet *have = xmalloc(sizeof *have);
    bool same = crt_sans(crt, have) >= 0 && san_set_equal(have, spec->sans);
    free(have);
    if (!same)
      return "subject alternative names differ";
  }
  return NULL;
}

static int leaf_load_or_issue(const char *dir, const CertSpec *spec, const CaMaterial *ca, char **ret_crt_pem,
                              char **ret_key_pem, Error *err) {
  _cleanup_free_ char *crt_name = xasprintf("%s.crt", spec->file);
  _cleanup_free_ char *key_name = xasprintf("%s.key", spec->file);
  _cleanup_free_ char *crt_pem = NULL;
  _cleanup_secret_ char *key_pem = NULL;
  int have_crt = read_optional(dir, crt_name, &crt_pem, err);
  if (have_crt < 0)
    return have_crt;
  int have_key = read_optional(dir, key_name, &key_pem, err);
  if (have_key < 0)
    return have_key;

  /* Leaves are cheap to remake and nobody pins them, so anything unusable is replaced, not reported. */
  const char *why = "missing";
  if (have_crt && have_key) {
    _cleanup_crt_ gnutls_x509_crt_t crt = NULL;
    _cleanup_x509_key_ gnutls_x509_privkey_t key = NULL;
    if (crt_import(crt_pem, &crt) < 0 || key_import(key_pem, &key) < 0)
      why = "unparsable";
    else
      why = leaf_problem(crt, key, spec, ca);
  }
  if (!why) {
    *ret_crt_pem = TAKE_PTR(crt_pem);
    *ret_key_pem = TAKE_PTR(key_pem);
    return 0;
  }
  log_debug("pki", "msg=\"issuing certificate\" file=%s reason=\"%s\"", crt_name, why);

  _cleanup_crt_ gnutls_x509_crt_t crt = NULL;
  _cleanup_x509_key_ gnutls_x509_privkey_t key = NULL;
  int r = cert_issue(spec, ca->crt, ca->key, &crt, &key, err);
  if (r < 0)
    return r;
  free(TAKE_PTR(crt_pem));
  secret_free(TAKE_PTR(key_pem));
  if ((r = crt_export(crt, &crt_pem, err)) < 0 || (r = key_export(key, &key_pem, err)) < 0)
    return r;
  r = write_pair(dir, spec->file, crt_pem, key_pem, err);
  if (r < 0)
    return r;
  *ret_crt_pem = TAKE_PTR(crt_pem);
  *ret_key_pem = TAKE_PTR(key_pem);
  return 0;
}

/* ---- the token ---- */

static int token_load_or_create(const char *dir, char **ret, Error *err) {
  _cleanup_secret_ char *data = NULL;
  int r = read_optional(dir, "token", &data, err);
  if (r < 0)
    return r;
  if (r > 0) {
    /* Operators edit this file by hand; surrounding whitespace and the final newline are not the token. */
    char *s = data + strspn(data, " \t\r\n");
    size_t n = strlen(s);
    while (n > 0 && strchr(" \t\r\n", s[n - 1]))
      n--;
    if (n > 0) {
      for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
          return error_set(err, -EINVAL, NULL,
                           "%s/token must be one word of printable ASCII (it travels in an HTTP header)",
                           dir);
      *ret = xstrndup(s, n);
      return 0;
    }
  }
  unsigned char raw[32];
  random_bytes(raw, sizeof raw);
  char hex[2 * sizeof raw + 2];
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(hex + 2 * i, 3, "%02x", raw[i]);
  explicit_bzero(raw, sizeof raw);
  hex[2 * sizeof raw] = '\n';
  hex[2 * sizeof raw + 1] = 0;
  r = write_in(dir, "token", hex, err);
  if (r >= 0)
    *ret = xstrndup(hex, 2 * sizeof raw);
  explicit_bzero(hex, sizeof hex);
  return r;
}

/* ---- public: load or create ---- */

int pki_load_or_create(const PkiOptions *opts, Pki *ret, Error *err) {
  if (!opts || isempty(opts->tls_dir))
    return error_set(err, -EINVAL, NULL, "no TLS directory given");
  const char *dir = opts->tls_dir;

  /* Compute the wanted names first: a bad IP should fail before anything touches the disk. */
  _cleanup_free_ SanSet *sans = xmalloc(sizeof *sans);
  int r = serving_sans(opts, sans, err);
  if (r < 0)
    return r;

  r = mkdir_p(dir, 0700);
  if (r < 0)
    return error_set(err, r, NULL, "creating %s: %s", dir, strerror(-r));
  /* mkdir_p leaves an existing directory alone; the keys inside must not be readable by others. */
  if (chmod(dir, 0700) < 0)
    return error_set(err, -errno, NULL, "chmod %s: %s", dir, strerror(errno));

  _cleanup_(ca_material_done) CaMaterial ca = {0};
  r = ca_load_or_create(dir, &ca, err);
  if (r < 0)
    return r;

  Pki p = {0};
  const CertSpec serving = {.kind = CERT_SERVING, .file = "serving", .cn = "coracle", .sans = sans};
  const CertSpec admin = {
      .kind = CERT_CLIENT, .file = "client-admin", .cn = "system:admin", .org = "system:masters"};
  if ((r = leaf_load_or_issue(dir, &serving, &ca, &p.serving_cert_pem, &p.serving_key_pem, err)) < 0 ||
      (r = leaf_load_or_issue(dir, &admin, &ca, &p.admin_cert_pem, &p.admin_key_pem, err)) < 0 ||
      (r = token_load_or_create(dir, &p.token, err)) < 0) {
    pki_done(&p);
    return r;
  }
  p.ca_cert_pem = TAKE_PTR(ca.crt_pem);
  p.ca = TAKE_PTR(ca.crt);
  *ret = p;
  return 0;
}

void pki_done(Pki *p) {
  if (!p)
    return;
  free(p->ca_cert_pem);
  free(p->serving_cert_pem);
  secret_free(p->serving_key_pem);
  free(p->admin_cert_pem);
  secret_free(p->admin_key_pem);
  secret_free(p->token);
  if (p->ca)
    gnutls_x509_crt_deinit(p->ca);
  *p = (Pki){0};
}

/* ---- authentication ---- */

/* kube-apiserver only accepts certificates meant for client authentication; no extended key usage at all
 * means "any" in X.509, which Go's verifier honours too. */
static bool allows_client_auth(gnutls_x509_crt_t crt) {
  for (unsigned i = 0;; i++) {
    char oid[128];
    size_t n = sizeof oid;
    int r = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &n, NULL);
    if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
      return i == 0;
    if (r < 0)
      return false;
    if (streq(oid, GNUTLS_KP_TLS_WWW_CLIENT) || streq(oid, GNUTLS_KP_ANY))
      return true;
  }
}

/* Reads a DN attribute into buf exactly; an attribute that does not fit or hides a NUL is refused rather
 * than cut, because a truncated user or group name could equal someone else's. */
static int dn_attr(gnutls_x509_crt_t crt, const char *oid, unsigned idx, char *buf, size_t size) {
  size_t n = size;
  int r = gnutls_x509_crt_get_dn_by_oid(crt, oid, idx, 0, buf, &n);
  if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return 0;
  if (r < 0 || n >= size || strlen(buf) != n)
    return -EPERM;
  return 1;
}

static int identity_from_crt(gnutls_x509_crt_t ca, gnutls_x509_crt_t crt, PkiIdentity *ret) {
  unsigned status = 0;
  if (gnutls_x509_crt_verify(crt, &ca, 1, 0, &status) < 0 || status != 0)
    return -EPERM;
  /* Checked here as well so the rule does not depend on the verify flags' defaults. */
  time_t now = time(NULL);
  time_t start = gnutls_x509_crt_get_activation_time(crt);
  time_t end = gnutls_x509_crt_get_expiration_time(crt);
  if (start == (time_t)-1 || end == (time_t)-1 || now < start || now > end)
    return -EPERM;
  /* A CA certificate is not a user, even our own one. */
  unsigned critical = 0, is_ca = 0;
  int pathlen = -1;
  if (gnutls_x509_crt_get_basic_constraints(crt, &critical, &is_ca, &pathlen) >= 0 && is_ca)
    return -EPERM;
  if (!allows_client_auth(crt))
    return -EPERM;

  PkiIdentity id = {0};
  if (dn_attr(crt, GNUTLS_OID_X520_COMMON_NAME, 0, id.user, sizeof id.user) <= 0 || !id.user[0])
    return -EPERM;
  for (unsigned i = 0;; i++) {
    char group[sizeof id.groups[0]];
    int r = dn_attr(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, i, group, sizeof group);
    if (r < 0)
      return r;
    if (r == 0)
      break;
    /* Dropping groups would silently change what the user may do; refuse instead. */
    if (id.n_groups >= ELEMENTSOF(id.groups))
      return -EPERM;
    memcpy(id.groups[id.n_groups++], group, sizeof group);
  }
  *ret = id;
  return 0;
}

int pki_identity_from_session(const Pki *p, gnutls_session_t session, PkiIdentity *ret) {
  if (!p || !p->ca || !session)
    return -EPERM;
  if (gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509)
    return -EPERM;
  /* The handshake already proved the peer holds the key of this certificate (CertificateVerify); what is
   * left is whether our CA vouches for it. Only a directly signed leaf is accepted: this CA issues no
   * intermediates. */
  unsigned n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
  if (!certs || n == 0)
    return -EPERM;
  _cleanup_crt_ gnutls_x509_crt_t crt = NULL;
  if (gnutls_x509_crt_init(&crt) < 0)
    oom();
  if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0)
    return -EPERM;
  return identity_from_crt(p->ca, crt, ret);
}

int pki_identity_from_token(const Pki *p, const char *authorization, PkiIdentity *ret) {
  if (!p || isempty(p->token) || !authorization)
    return -EPERM;
  const char *ws = " \t";
  const char *s = authorization + strspn(authorization, ws);
  /* Same parsing as kube-apiserver's bearer authenticator: the scheme name is case-insensitive. */
  if (strncasecmp(s, "bearer", 6) == 0 && s[6] && strchr(ws, s[6]))
    s += 6 + strspn(s + 6, ws);
  size_t n = strcspn(s, " \t\r\n");
  const char *rest = s + n;
  if (rest[strspn(rest, ws)] != 0)
    return -EPERM;
  /* The length is no secret (always 64 hex digits for a generated token); the content is compared in
   * constant time so response timing does not reveal a matching prefix. */
  if (n == 0 || n != strlen(p->token) || gnutls_memcmp(s, p->token, n) != 0)
    return -EPERM;
  PkiIdentity id = {0};
  snprintf(id.user, sizeof id.user, "%s", "system:admin");
  snprintf(id.groups[0], sizeof id.groups[0], "%s", "system:masters");
  id.n_groups = 1;
  *ret = id;
  return 0;
}

/* ---- kubeconfig ---- */

static void buf_put_base64(Buf *b, const char *s) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s);
  buf_reserve(b, (len + 2) / 3 * 4);
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < len)
      v |= p[i + 2];
    char out[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
                   i + 1 < len ? alphabet[(v >> 6) & 63] : '=', i + 2 < len ? alphabet[v & 63] : '='};
    buf_append(b, out, 4);
  }
}

int pki_write_kubeconfig(const Pki *p, const char *path, const char *server_url, Error *err) {
  if (!p || !p->ca_cert_pem || !p->admin_cert_pem || !p->admin_key_pem)
    return error_set(err, -EINVAL, NULL, "no PKI material to write a kubeconfig from");
  if (isempty(path))
    return error_set(err, -EINVAL, NULL, "no kubeconfig path given");
  /* The URL goes into YAML as a plain scalar; whitespace or control characters could end it early. */
  if (isempty(server_url))
    return error_set(err, -EINVAL, NULL, "no server URL given");
  for (const unsigned char *c = (const unsigned char *)server_url; *c; c++)
    if (*c <= ' ' || *c == 0x7f)
      return error_set(err, -EINVAL, NULL, "server URL \"%s\" contains whitespace or control characters",
                       server_url);

  const char *slash = strrchr(path, '/');
  if (slash && slash != path) {
    _cleanup_free_ char *parent = xstrndup(path, (size_t)(slash - path));
    int r = mkdir_p(parent, 0755);
    if (r < 0)
      return error_set(err, r, NULL, "creating %s: %s", parent, strerror(-r));
  }

  /* The same layout kubectl and k3s write, so that `kubectl config` edits produce minimal diffs. */
  _cleanup_buf_ Buf b = BUF_INIT;
  buf_puts(&b, "apiVersion: v1\n"
               "kind: Config\n"
               "clusters:\n"
               "- cluster:\n"
               "    certificate-authority-data: ");
  buf_put_base64(&b, p->ca_cert_pem);
  buf_printf(&b, "\n    server: %s\n", server_url);
  buf_puts(&b, "  name: default\n"
               "contexts:\n"
               "- context:\n"
               "    cluster: default\n"
               "    user: default\n"
               "  name: default\n"
               "current-context: default\n"
               "preferences: {}\n"
               "users:\n"
               "- name: default\n"
               "  user:\n"
               "    client-certificate-data: ");
  buf_put_base64(&b, p->admin_cert_pem);
  buf_puts(&b, "\n    client-key-data: ");
  buf_put_base64(&b, p->admin_key_pem);
  buf_puts(&b, "\n");

  int r = write_file_atomic(path, b.data, b.len, 0600);
  explicit_bzero(b.data, b.len);
  if (r < 0)
    return error_set(err, r, NULL, "writing %s: %s", path, strerror(-r));
  return 0;
}
