/* Unit tests for the certificate bootstrap (apiserver/pki.c): what lands on disk and with which modes, reuse
 * and re-issue across restarts, the content of each certificate checked with GnuTLS and OpenSSL, bearer
 * token checks, the kubeconfig parsed back as YAML, and client-certificate authentication over a real TLS
 * handshake between two GnuTLS sessions on a socketpair. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <yaml.h>

#include "apiserver/pki.h"
#include "base/util.h"

/* ---- fixture: one fresh directory per test ---- */

typedef struct Fixture {
  char root[64];
  char *tls; /* root/server/tls, not created: pki must create it */
} Fixture;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(path);
}

static int setup(void **state) {
  Fixture *f = xzalloc(sizeof *f);
  snprintf(f->root, sizeof f->root, "/tmp/coracle-test-pki-XXXXXX");
  assert_non_null(mkdtemp(f->root));
  f->tls = xasprintf("%s/server/tls", f->root);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  Fixture *f = *state;
  nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f->tls);
  free(f);
  return 0;
}

static const char *const default_ips[] = {"10.0.0.5", "10.43.0.1", "fd00::5", NULL};

static void load(const char *dir, const char *const *ips, Pki *ret) {
  PkiOptions o = {.tls_dir = dir, .node_name = "node-a", .ips = ips, .cluster_domain = "cluster.local"};
  Error err = ERROR_INIT;
  int r = pki_load_or_create(&o, ret, &err);
  if (r < 0)
    fail_msg("pki_load_or_create: %s", err.message);
  error_reset(&err);
}

static char *path_in(const char *dir, const char *name) {
  return xasprintf("%s/%s", dir, name);
}

static char *slurp(const char *dir, const char *name) {
  _cleanup_free_ char *p = path_in(dir, name);
  char *data = NULL;
  assert_int_equal(read_file(p, &data, NULL), 0);
  return data;
}

static void put(const char *dir, const char *name, const char *data) {
  _cleanup_free_ char *p = path_in(dir, name);
  assert_int_equal(write_file_atomic(p, data, strlen(data), 0600), 0);
}

static gnutls_x509_crt_t parse_crt(const char *pem) {
  gnutls_x509_crt_t c;
  assert_int_equal(gnutls_x509_crt_init(&c), 0);
  gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
  assert_int_equal(gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_PEM), 0);
  return c;
}

static void assert_signed_by(const char *leaf_pem, const char *ca_pem) {
  gnutls_x509_crt_t leaf = parse_crt(leaf_pem), ca = parse_crt(ca_pem);
  unsigned status = 1;
  assert_int_equal(gnutls_x509_crt_verify(leaf, &ca, 1, 0, &status), 0);
  assert_int_equal(status, 0);
  gnutls_x509_crt_deinit(leaf);
  gnutls_x509_crt_deinit(ca);
}

static void dn(gnutls_x509_crt_t c, const char *oid, unsigned idx, char *buf, size_t size) {
  size_t n = size;
  assert_int_equal(gnutls_x509_crt_get_dn_by_oid(c, oid, idx, 0, buf, &n), 0);
}

static bool has_purpose(gnutls_x509_crt_t c, const char *want) {
  for (unsigned i = 0;; i++) {
    char oid[128];
    size_t n = sizeof oid;
    if (gnutls_x509_crt_get_key_purpose_oid(c, i, oid, &n, NULL) < 0)
      return false;
    if (streq(oid, want))
      return true;
  }
}

static unsigned count_sans(gnutls_x509_crt_t c) {
  unsigned i = 0;
  for (;; i++) {
    char buf[512];
    size_t n = sizeof buf;
    if (gnutls_x509_crt_get_subject_alt_name(c, i, buf, &n, NULL) == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
      return i;
  }
}

static bool crt_has_ip(gnutls_x509_crt_t c, const char *text) {
  unsigned char a[16];
  size_t len = 4;
  if (inet_pton(AF_INET, text, a) != 1) {
    assert_int_equal(inet_pton(AF_INET6, text, a), 1);
    len = 16;
  }
  return gnutls_x509_crt_check_ip(c, a, (unsigned)len, 0);
}

/* ---- files, modes, reuse ---- */

static void test_creates_files_with_modes(void **state) {
  Fixture *f = *state;
  Pki p;
  load(f->tls, default_ips, &p);

  struct stat st;
  assert_int_equal(stat(f->tls, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0700);
  const char *names[] = {"server-ca.crt",    "server-ca.key",    "serving.crt", "serving.key",
                         "client-admin.crt", "client-admin.key", "token"};
  for (size_t i = 0; i < ELEMENTSOF(names); i++) {
    _cleanup_free_ char *path = path_in(f->tls, names[i]);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
  }

  assert_non_null(strstr(p.ca_cert_pem, "-----BEGIN CERTIFICATE-----"));
  assert_non_null(strstr(p.serving_key_pem, "PRIVATE KEY-----"));
  assert_non_null(strstr(p.admin_key_pem, "PRIVATE KEY-----"));
  /* The parsed CA handed out on first start must verify leaves as well as one loaded from disk does
   * (GnuTLS only matches issuers of certificates it parsed). */
  assert_non_null(p.ca);
  gnutls_x509_crt_t admin = parse_crt(p.admin_cert_pem);
  unsigned status = 1;
  assert_int_equal(gnutls_x509_crt_verify(admin, &p.ca, 1, 0, &status), 0);
  assert_int_equal(status, 0);
  gnutls_x509_crt_deinit(admin);
  assert_int_equal(strlen(p.token), 64);
  assert_int_equal(strspn(p.token, "0123456789abcdef"), 64);
  _cleanup_free_ char *token_file = slurp(f->tls, "token");
  assert_true(startswith(token_file, p.token));
  pki_done(&p);
  pki_done(&p); /* idempotent on a cleared struct */
}

static void test_reload_reuses_everything(void **state) {
  Fixture *f = *state;
  Pki a, b;
  load(f->tls, default_ips, &a);
  load(f->tls, default_ips, &b);
  assert_string_equal(a.ca_cert_pem, b.ca_cert_pem);
  assert_string_equal(a.serving_cert_pem, b.serving_cert_pem);
  assert_string_equal(a.serving_key_pem, b.serving_key_pem);
  assert_string_equal(a.admin_cert_pem, b.admin_cert_pem);
  assert_string_equal(a.admin_key_pem, b.admin_key_pem);
  assert_string_equal(a.token, b.token);
  pki_done(&a);
  pki_done(&b);

  /* The same IPs in another order and with repeats are the same SAN set: no re-issue. */
  const char *const shuffled[] = {"fd00::5", "10.43.0.1", "10.0.0.5", "127.0.0.1", "10.0.0.5", NULL};
  _cleanup_free_ char *before = slurp(f->tls, "serving.crt");
  load(f->tls, shuffled, &a);
  assert_string_equal(a.serving_cert_pem, before);
  pki_done(&a);
}

static void test_san_change_reissues_serving_only(void **state) {
  Fixture *f = *state;
  Pki a, b;
  load(f->tls, default_ips, &a);
  const char *const more_ips[] = {"10.0.0.5", "10.43.0.1", "fd00::5", "192.168.1.7", NULL};
  load(f->tls, more_ips, &b);
  assert_string_equal(a.ca_cert_pem, b.ca_cert_pem);
  assert_string_not_equal(a.serving_cert_pem, b.serving_cert_pem);
  assert_string_not_equal(a.serving_key_pem, b.serving_key_pem);
  assert_string_equal(a.admin_cert_pem, b.admin_cert_pem);
  assert_string_equal(a.token, b.token);
  _cleanup_free_ char *on_disk = slurp(f->tls, "serving.crt");
  assert_string_equal(on_disk, b.serving_cert_pem);
  gnutls_x509_crt_t c = parse_crt(b.serving_cert_pem);
  assert_true(crt_has_ip(c, "192.168.1.7"));
  gnutls_x509_crt_deinit(c);
  assert_signed_by(b.serving_cert_pem, a.ca_cert_pem);
  pki_done(&a);
  pki_done(&b);

  /* A different node name is a different SAN set too. */
  load(f->tls, more_ips, &a);
  PkiOptions o = {
      .tls_dir = f->tls, .node_name = "node-b", .ips = more_ips, .cluster_domain = "cluster.local"};
  assert_int_equal(pki_load_or_create(&o, &b, NULL), 0);
  assert_string_not_equal(a.serving_cert_pem, b.serving_cert_pem);
  c = parse_crt(b.serving_cert_pem);
  assert_true(gnutls_x509_crt_check_hostname(c, "node-b"));
  assert_false(gnutls_x509_crt_check_hostname(c, "node-a"));
  gnutls_x509_crt_deinit(c);
  pki_done(&a);
  pki_done(&b);
}

static void test_bad_ip_is_rejected(void **state) {
  Fixture *f = *state;
  const char *const bad[] = {"10.0.0.5", "10.0.0.300", NULL};
  PkiOptions o = {.tls_dir = f->tls, .node_name = "node-a", .ips = bad, .cluster_domain = "cluster.local"};
  Pki p;
  Error err = ERROR_INIT;
  assert_int_equal(pki_load_or_create(&o, &p, &err), -EINVAL);
  assert_non_null(strstr(err.message, "10.0.0.300"));
  error_reset(&err);
}

/* Re-signs the existing serving certificate, same key and names, so that it expires in `days` days. */
static void make_serving_expire_in(const char *dir, int days) {
  _cleanup_free_ char *ca_pem = slurp(dir, "server-ca.crt");
  _cleanup_free_ char *ca_key_pem = slurp(dir, "server-ca.key");
  _cleanup_free_ char *crt_pem = slurp(dir, "serving.crt");
  gnutls_x509_crt_t ca = parse_crt(ca_pem), crt = parse_crt(crt_pem);
  gnutls_x509_privkey_t xkey;
  gnutls_privkey_t key;
  assert_int_equal(gnutls_x509_privkey_init(&xkey), 0);
  gnutls_datum_t d = {(unsigned char *)ca_key_pem, (unsigned)strlen(ca_key_pem)};
  assert_int_equal(gnutls_x509_privkey_import(xkey, &d, GNUTLS_X509_FMT_PEM), 0);
  assert_int_equal(gnutls_privkey_init(&key), 0);
  assert_int_equal(gnutls_privkey_import_x509(key, xkey, 0), 0);
  assert_int_equal(gnutls_x509_crt_set_expiration_time(crt, time(NULL) + days * 86400), 0);
  assert_int_equal(gnutls_x509_crt_privkey_sign(crt, ca, key, GNUTLS_DIG_SHA256, 0), 0);
  gnutls_datum_t out;
  assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out), 0);
  _cleanup_free_ char *pem = xstrndup((char *)out.data, out.size);
  gnutls_free(out.data);
  put(dir, "serving.crt", pem);
  gnutls_privkey_deinit(key);
  gnutls_x509_privkey_deinit(xkey);
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_crt_deinit(ca);
}

static void test_renewal_window(void **state) {
  Fixture *f = *state;
  Pki a, b;
  load(f->tls, default_ips, &a);
  pki_done(&a);

  /* 120 days left: outside the 90-day window, kept. */
  make_serving_expire_in(f->tls, 120);
  _cleanup_free_ char *kept = slurp(f->tls, "serving.crt");
  load(f->tls, default_ips, &a);
  assert_string_equal(a.serving_cert_pem, kept);

  /* 30 days left: re-issued for a full year, same CA. */
  make_serving_expire_in(f->tls, 30);
  load(f->tls, default_ips, &b);
  assert_string_not_equal(b.serving_cert_pem, kept);
  assert_string_equal(a.ca_cert_pem, b.ca_cert_pem);
  gnutls_x509_crt_t c = parse_crt(b.serving_cert_pem);
  assert_true(gnutls_x509_crt_get_expiration_time(c) > time(NULL) + 360 * 86400);
  gnutls_x509_crt_deinit(c);
  pki_done(&a);
  pki_done(&b);
}

static void test_broken_or_foreign_leaves_are_replaced(void **state) {
  Fixture *f = *state;
  Pki a, b, other;
  load(f->tls, default_ips, &a);

  put(f->tls, "client-admin.crt", "garbage\n");
  load(f->tls, default_ips, &b);
  assert_string_not_equal(a.admin_cert_pem, b.admin_cert_pem);
  assert_signed_by(b.admin_cert_pem, a.ca_cert_pem);
  pki_done(&b);

  /* A serving pair from another cluster is not signed by this CA. */
  _cleanup_free_ char *other_dir = xasprintf("%s/other", f->root);
  load(other_dir, default_ips, &other);
  put(f->tls, "serving.crt", other.serving_cert_pem);
  put(f->tls, "serving.key", other.serving_key_pem);
  load(f->tls, default_ips, &b);
  assert_string_not_equal(b.serving_cert_pem, other.serving_cert_pem);
  assert_signed_by(b.serving_cert_pem, a.ca_cert_pem);
  pki_done(&b);

  /* A key that does not belong to the certificate (a crash between the two writes). */
  put(f->tls, "serving.key", other.serving_key_pem);
  _cleanup_free_ char *crt_before = slurp(f->tls, "serving.crt");
  load(f->tls, default_ips, &b);
  assert_string_not_equal(b.serving_cert_pem, crt_before);
  assert_string_equal(a.ca_cert_pem, b.ca_cert_pem);
  pki_done(&b);

  pki_done(&a);
  pki_done(&other);
}

static void test_ca_half_present(void **state) {
  Fixture *f = *state;
  Pki a, b;
  load(f->tls, default_ips, &a);
  pki_done(&a);

  /* A CA certificate without its key cannot be silently replaced. */
  _cleanup_free_ char *key = path_in(f->tls, "server-ca.key");
  assert_int_equal(unlink(key), 0);
  PkiOptions o = {.tls_dir = f->tls, .node_name = "node-a", .ips = default_ips, .cluster_domain = "x"};
  Error err = ERROR_INIT;
  assert_true(pki_load_or_create(&o, &b, &err) < 0);
  assert_non_null(strstr(err.message, "server-ca.key"));
  error_reset(&err);
}

/* A key without its certificate is an interrupted first start: a new CA, and leaves re-issued under it. */
static void test_ca_key_without_cert(void **state) {
  Fixture *f = *state;
  Pki a, b;
  load(f->tls, default_ips, &a);
  _cleanup_free_ char *crt = path_in(f->tls, "server-ca.crt");
  assert_int_equal(unlink(crt), 0);
  load(f->tls, default_ips, &b);
  assert_string_not_equal(a.ca_cert_pem, b.ca_cert_pem);
  assert_signed_by(b.serving_cert_pem, b.ca_cert_pem);
  assert_signed_by(b.admin_cert_pem, b.ca_cert_pem);
  assert_string_equal(a.token, b.token);
  pki_done(&a);
  pki_done(&b);
}

/* ---- certificate content ---- */

static void test_ca_content(void **state) {
  Fixture *f = *state;
  Pki p;
  time_t now = time(NULL);
  load(f->tls, default_ips, &p);
  gnutls_x509_crt_t ca = parse_crt(p.ca_cert_pem);
  char cn[256];
  dn(ca, GNUTLS_OID_X520_COMMON_NAME, 0, cn, sizeof cn);
  assert_true(startswith(cn, "coracle-server-ca@"));
  long long stamp = atoll(cn + strlen("coracle-server-ca@"));
  assert_true(stamp >= now - 5 && stamp <= now + 5);

  unsigned critical, is_ca = 0, usage = 0;
  int pathlen;
  assert_true(gnutls_x509_crt_get_basic_constraints(ca, &critical, &is_ca, &pathlen) >= 0);
  assert_true(is_ca);
  assert_int_equal(gnutls_x509_crt_get_key_usage(ca, &usage, &critical), 0);
  assert_int_equal(usage, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN | GNUTLS_KEY_DIGITAL_SIGNATURE);
  time_t end = gnutls_x509_crt_get_expiration_time(ca);
  assert_true(end > now + 3640L * 86400 && end < now + 3660L * 86400);
  assert_int_equal(gnutls_x509_crt_get_pk_algorithm(ca, NULL), GNUTLS_PK_ECDSA);
  assert_int_equal(gnutls_x509_crt_get_signature_algorithm(ca), GNUTLS_SIGN_ECDSA_SHA256);
  unsigned char serial[40];
  size_t serial_len = sizeof serial;
  assert_int_equal(gnutls_x509_crt_get_serial(ca, serial, &serial_len), 0);
  assert_int_equal(serial_len, 16);
  unsigned char skid[64];
  size_t skid_len = sizeof skid;
  assert_int_equal(gnutls_x509_crt_get_subject_key_id(ca, skid, &skid_len, &critical), 0);
  assert_true(skid_len > 0);
  gnutls_x509_crt_deinit(ca);
  pki_done(&p);
}

static void test_serving_content(void **state) {
  Fixture *f = *state;
  Pki p;
  time_t now = time(NULL);
  load(f->tls, default_ips, &p);
  assert_signed_by(p.serving_cert_pem, p.ca_cert_pem);
  gnutls_x509_crt_t c = parse_crt(p.serving_cert_pem), ca = parse_crt(p.ca_cert_pem);

  char cn[256];
  dn(c, GNUTLS_OID_X520_COMMON_NAME, 0, cn, sizeof cn);
  assert_string_equal(cn, "coracle");
  const char *names[] = {"node-a",
                         "localhost",
                         "kubernetes",
                         "kubernetes.default",
                         "kubernetes.default.svc",
                         "kubernetes.default.svc.cluster.local"};
  for (size_t i = 0; i < ELEMENTSOF(names); i++)
    assert_true(gnutls_x509_crt_check_hostname(c, names[i]));
  assert_false(gnutls_x509_crt_check_hostname(c, "evil.example.com"));
  const char *ips[] = {"10.0.0.5", "10.43.0.1", "fd00::5", "127.0.0.1", "::1"};
  for (size_t i = 0; i < ELEMENTSOF(ips); i++)
    assert_true(crt_has_ip(c, ips[i]));
  assert_false(crt_has_ip(c, "10.0.0.6"));
  assert_int_equal(count_sans(c), ELEMENTSOF(names) + ELEMENTSOF(ips));

  assert_true(has_purpose(c, GNUTLS_KP_TLS_WWW_SERVER));
  assert_false(has_purpose(c, GNUTLS_KP_TLS_WWW_CLIENT));
  unsigned critical, is_ca = 1, usage = 0;
  int pathlen;
  assert_true(gnutls_x509_crt_get_basic_constraints(c, &critical, &is_ca, &pathlen) >= 0);
  assert_false(is_ca);
  assert_int_equal(gnutls_x509_crt_get_key_usage(c, &usage, &critical), 0);
  assert_int_equal(usage, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT);
  time_t end = gnutls_x509_crt_get_expiration_time(c);
  assert_true(end > now + 360L * 86400 && end < now + 370L * 86400);

  unsigned char aki[64], skid[64];
  size_t aki_len = sizeof aki, skid_len = sizeof skid;
  assert_int_equal(gnutls_x509_crt_get_authority_key_id(c, aki, &aki_len, &critical), 0);
  assert_int_equal(gnutls_x509_crt_get_subject_key_id(ca, skid, &skid_len, &critical), 0);
  assert_memory_equal(aki, skid, skid_len);
  assert_int_equal(aki_len, skid_len);
  gnutls_x509_crt_deinit(c);
  gnutls_x509_crt_deinit(ca);
  pki_done(&p);
}

static void test_admin_content(void **state) {
  Fixture *f = *state;
  Pki p;
  load(f->tls, default_ips, &p);
  assert_signed_by(p.admin_cert_pem, p.ca_cert_pem);
  gnutls_x509_crt_t c = parse_crt(p.admin_cert_pem);
  char buf[256];
  dn(c, GNUTLS_OID_X520_COMMON_NAME, 0, buf, sizeof buf);
  assert_string_equal(buf, "system:admin");
  dn(c, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, buf, sizeof buf);
  assert_string_equal(buf, "system:masters");
  assert_true(has_purpose(c, GNUTLS_KP_TLS_WWW_CLIENT));
  assert_false(has_purpose(c, GNUTLS_KP_TLS_WWW_SERVER));
  assert_int_equal(count_sans(c), 0);
  gnutls_x509_crt_deinit(c);
  pki_done(&p);
}

static bool have_openssl(void) {
  return system("command -v openssl >/dev/null 2>&1") == 0;
}

static int openssl_verify(const char *dir, const char *purpose, const char *leaf) {
  _cleanup_free_ char *cmd = xasprintf(
      "openssl verify -purpose %s -CAfile %s/server-ca.crt %s/%s >/dev/null 2>&1", purpose, dir, dir, leaf);
  return system(cmd);
}

static void test_openssl_agrees(void **state) {
  Fixture *f = *state;
  if (!have_openssl())
    skip();
  Pki p;
  load(f->tls, default_ips, &p);
  assert_int_equal(openssl_verify(f->tls, "sslserver", "serving.crt"), 0);
  assert_int_equal(openssl_verify(f->tls, "sslclient", "client-admin.crt"), 0);
  /* And it can fail: the admin certificate is no server certificate. */
  assert_int_not_equal(openssl_verify(f->tls, "sslserver", "client-admin.crt"), 0);
  /* OpenSSL must be able to read our private keys and find them matching (kubectl's Go code is stricter
   * about formats than GnuTLS). */
  _cleanup_free_ char *cmd =
      xasprintf("test \"$(openssl pkey -in %1$s/client-admin.key -pubout 2>/dev/null)\" = "
                "\"$(openssl x509 -in %1$s/client-admin.crt -noout -pubkey 2>/dev/null)\"",
                f->tls);
  assert_int_equal(system(cmd), 0);
  pki_done(&p);
}

/* ---- bearer token ---- */

static void test_token(void **state) {
  Fixture *f = *state;
  Pki p;
  load(f->tls, default_ips, &p);
  PkiIdentity id;
  _cleanup_free_ char *bearer = xasprintf("Bearer %s", p.token);
  _cleanup_free_ char *lower = xasprintf("bearer %s", p.token);
  _cleanup_free_ char *spaced = xasprintf("  BEARER \t %s  ", p.token);
  const char *good[] = {p.token, bearer, lower, spaced};
  for (size_t i = 0; i < ELEMENTSOF(good); i++) {
    memset(&id, 0, sizeof id);
    assert_int_equal(pki_identity_from_token(&p, good[i], &id), 0);
    assert_string_equal(id.user, "system:admin");
    assert_int_equal(id.n_groups, 1);
    assert_string_equal(id.groups[0], "system:masters");
  }

  _cleanup_free_ char *prefix = xstrndup(p.token, 63);
  _cleanup_free_ char *longer = xasprintf("%sa", p.token);
  _cleanup_free_ char *wrong = xstrdup(p.token);
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  _cleanup_free_ char *bearer_prefix = xasprintf("Bearer %s", prefix);
  _cleanup_free_ char *two_words = xasprintf("Bearer %s extra", p.token);
  _cleanup_free_ char *basic = xasprintf("Basic %s", p.token);
  _cleanup_free_ char *glued = xasprintf("Bearer%s", p.token);
  const char *bad[] = {"",    "   ",         "Bearer",  "Bearer ", prefix, longer,
                       wrong, bearer_prefix, two_words, basic,     glued};
  for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
    id.user[0] = 'x';
    assert_int_equal(pki_identity_from_token(&p, bad[i], &id), -EPERM);
    assert_int_equal(id.user[0], 'x'); /* untouched on failure */
  }
  assert_int_equal(pki_identity_from_token(&p, NULL, &id), -EPERM);

  /* An operator-written token is trimmed and kept. */
  pki_done(&p);
  put(f->tls, "token", "  my-own-token\n\n");
  load(f->tls, default_ips, &p);
  assert_string_equal(p.token, "my-own-token");
  assert_int_equal(pki_identity_from_token(&p, "Bearer my-own-token", &id), 0);
  pki_done(&p);

  /* A struct without a token accepts nothing, not even the empty string. */
  Pki empty = {0};
  assert_int_equal(pki_identity_from_token(&empty, "", &id), -EPERM);
}

/* ---- kubeconfig ---- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key) {
  assert_non_null(map);
  assert_int_equal(map->type, YAML_MAPPING_NODE);
  for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
    yaml_node_t *k = yaml_document_get_node(doc, pr->key);
    if (k->type == YAML_SCALAR_NODE && streq((char *)k->data.scalar.value, key))
      return yaml_document_get_node(doc, pr->value);
  }
  fail_msg("key %s not found", key);
  return NULL;
}

static yaml_node_t *seq_only(yaml_document_t *doc, yaml_node_t *seq) {
  assert_non_null(seq);
  assert_int_equal(seq->type, YAML_SEQUENCE_NODE);
  assert_int_equal(seq->data.sequence.items.top - seq->data.sequence.items.start, 1);
  return yaml_document_get_node(doc, seq->data.sequence.items.start[0]);
}

static const char *scalar(yaml_node_t *n) {
  assert_non_null(n);
  assert_int_equal(n->type, YAML_SCALAR_NODE);
  return (const char *)n->data.scalar.value;
}

/* Decodes with GnuTLS's base64, independent from the encoder under test. */
static void assert_b64_of(const char *b64, const char *want) {
  gnutls_datum_t in = {(unsigned char *)b64, (unsigned)strlen(b64)}, out = {0};
  assert_int_equal(gnutls_base64_decode2(&in, &out), 0);
  assert_int_equal(out.size, strlen(want));
  assert_memory_equal(out.data, want, out.size);
  gnutls_free(out.data);
}

static void test_kubeconfig(void **state) {
  Fixture *f = *state;
  Pki p;
  load(f->tls, default_ips, &p);
  _cleanup_free_ char *path = xasprintf("%s/etc/coracle/coracle.yaml", f->root);
  Error err = ERROR_INIT;
  assert_int_equal(pki_write_kubeconfig(&p, path, "https://127.0.0.1:6443", &err), 0);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  _cleanup_free_ char *parent = xasprintf("%s/etc/coracle", f->root);
  assert_int_equal(stat(parent, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0755 & ~(unsigned)umask(umask(0)));

  char *text = NULL;
  size_t len = 0;
  assert_int_equal(read_file(path, &text, &len), 0);
  assert_true(startswith(text, "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
                               "    certificate-authority-data: "));
  assert_non_null(strstr(text, "\n    server: https://127.0.0.1:6443\n  name: default\ncontexts:\n"
                               "- context:\n    cluster: default\n    user: default\n  name: default\n"
                               "current-context: default\npreferences: {}\nusers:\n- name: default\n"
                               "  user:\n    client-certificate-data: "));

  yaml_parser_t parser;
  yaml_document_t doc;
  assert_true(yaml_parser_initialize(&parser));
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  assert_true(yaml_parser_load(&parser, &doc));
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  assert_string_equal(scalar(map_get(&doc, root, "apiVersion")), "v1");
  assert_string_equal(scalar(map_get(&doc, root, "kind")), "Config");
  assert_string_equal(scalar(map_get(&doc, root, "current-context")), "default");
  assert_int_equal(map_get(&doc, root, "preferences")->type, YAML_MAPPING_NODE);

  yaml_node_t *cl = seq_only(&doc, map_get(&doc, root, "clusters"));
  assert_string_equal(scalar(map_get(&doc, cl, "name")), "default");
  yaml_node_t *cluster = map_get(&doc, cl, "cluster");
  assert_string_equal(scalar(map_get(&doc, cluster, "server")), "https://127.0.0.1:6443");
  assert_b64_of(scalar(map_get(&doc, cluster, "certificate-authority-data")), p.ca_cert_pem);

  yaml_node_t *ctx = seq_only(&doc, map_get(&doc, root, "contexts"));
  assert_string_equal(scalar(map_get(&doc, ctx, "name")), "default");
  assert_string_equal(scalar(map_get(&doc, map_get(&doc, ctx, "context"), "cluster")), "default");
  assert_string_equal(scalar(map_get(&doc, map_get(&doc, ctx, "context"), "user")), "default");

  yaml_node_t *u = seq_only(&doc, map_get(&doc, root, "users"));
  assert_string_equal(scalar(map_get(&doc, u, "name")), "default");
  yaml_node_t *user = map_get(&doc, u, "user");
  assert_b64_of(scalar(map_get(&doc, user, "client-certificate-data")), p.admin_cert_pem);
  assert_b64_of(scalar(map_get(&doc, user, "client-key-data")), p.admin_key_pem);
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  free(text);

  /* A URL that would break the YAML is refused. */
  assert_int_equal(pki_write_kubeconfig(&p, path, "https://x\n  evil: 1", &err), -EINVAL);
  error_reset(&err);
  pki_done(&p);
}

/* ---- client certificates over a real handshake ---- */

typedef struct Client {
  int fd;
  const char *ca_pem;   /* what the client trusts */
  const char *cert_pem; /* client certificate, or NULL to present none */
  const char *key_pem;
  const char *host; /* name or IP the server certificate must match */
  int rc;
} Client;

static gnutls_datum_t datum(const char *s) {
  return (gnutls_datum_t){(unsigned char *)s, (unsigned)strlen(s)};
}

static int handshake(gnutls_session_t s) {
  int r;
  do
    r = gnutls_handshake(s);
  while (r < 0 && !gnutls_error_is_fatal(r));
  return r;
}

static void *client_main(void *arg) {
  Client *c = arg;
  gnutls_certificate_credentials_t cred;
  gnutls_session_t s;
  gnutls_certificate_allocate_credentials(&cred);
  gnutls_datum_t ca = datum(c->ca_pem);
  gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
  if (c->cert_pem) {
    gnutls_datum_t crt = datum(c->cert_pem), key = datum(c->key_pem);
    c->rc = gnutls_certificate_set_x509_key_mem(cred, &crt, &key, GNUTLS_X509_FMT_PEM);
    if (c->rc < 0)
      goto out;
  }
  gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
  gnutls_set_default_priority(s);
  gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
  gnutls_session_set_verify_cert(s, c->host, 0);
  gnutls_transport_set_int(s, c->fd);
  gnutls_handshake_set_timeout(s, 10000);
  c->rc = handshake(s);
  if (c->rc == 0) {
    /* Wait for the server's byte so it can finish its side before this end closes. */
    char b;
    gnutls_record_recv(s, &b, 1);
  }
  gnutls_deinit(s);
out:
  close(c->fd);
  gnutls_certificate_free_credentials(cred);
  return NULL;
}

/* Runs one handshake: server with p's serving certificate asking (not requiring) a client certificate, and
 * returns what pki_identity_from_session says about the client. */
static int identify(const Pki *p, const char *client_cert, const char *client_key, const char *host,
                    PkiIdentity *ret) {
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Client c = {
      .fd = sv[1], .ca_pem = p->ca_cert_pem, .cert_pem = client_cert, .key_pem = client_key, .host = host};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, client_main, &c), 0);

  gnutls_certificate_credentials_t cred;
  gnutls_session_t s;
  assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
  gnutls_datum_t crt = datum(p->serving_cert_pem), key = datum(p->serving_key_pem);
  assert_int_equal(gnutls_certificate_set_x509_key_mem(cred, &crt, &key, GNUTLS_X509_FMT_PEM), 0);
  assert_int_equal(gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL), 0);
  gnutls_set_default_priority(s);
  gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
  gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
  gnutls_transport_set_int(s, sv[0]);
  gnutls_handshake_set_timeout(s, 10000);
  int hr = handshake(s);
  int r = hr == 0 ? pki_identity_from_session(p, s, ret) : hr;
  if (hr == 0)
    gnutls_record_send(s, "x", 1);
  pthread_join(t, NULL);
  gnutls_deinit(s);
  close(sv[0]);
  gnutls_certificate_free_credentials(cred);
  if (hr != 0)
    fail_msg("server handshake: %s (client: %s)", gnutls_strerror(hr), gnutls_strerror(c.rc));
  assert_int_equal(c.rc, 0);
  return r;
}

static void test_session_identity(void **state) {
  Fixture *f = *state;
  Pki p, other;
  load(f->tls, default_ips, &p);
  _cleanup_free_ char *other_dir = xasprintf("%s/other", f->root);
  load(other_dir, default_ips, &other);
  PkiIdentity id;

  memset(&id, 0, sizeof id);
  assert_int_equal(identify(&p, p.admin_cert_pem, p.admin_key_pem, "kubernetes.default.svc", &id), 0);
  assert_string_equal(id.user, "system:admin");
  assert_int_equal(id.n_groups, 1);
  assert_string_equal(id.groups[0], "system:masters");

  /* The client also checked the server by IP, as kubectl does with https://127.0.0.1:6443. */
  memset(&id, 0, sizeof id);
  assert_int_equal(identify(&p, p.admin_cert_pem, p.admin_key_pem, "127.0.0.1", &id), 0);
  assert_string_equal(id.user, "system:admin");

  /* No certificate: the request falls through to the bearer token. */
  assert_int_equal(identify(&p, NULL, NULL, "kubernetes", &id), -EPERM);
  /* An admin certificate from another cluster's CA. */
  assert_int_equal(identify(&p, other.admin_cert_pem, other.admin_key_pem, "kubernetes", &id), -EPERM);
  /* Our own serving certificate is signed by the CA but is not meant for client authentication. */
  assert_int_equal(identify(&p, p.serving_cert_pem, p.serving_key_pem, "kubernetes", &id), -EPERM);

  /* A session that never carried a certificate. */
  gnutls_session_t s;
  assert_int_equal(gnutls_init(&s, GNUTLS_SERVER), 0);
  assert_int_equal(pki_identity_from_session(&p, s, &id), -EPERM);
  gnutls_deinit(s);

  pki_done(&p);
  pki_done(&other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_creates_files_with_modes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reload_reuses_everything, setup, teardown),
      cmocka_unit_test_setup_teardown(test_san_change_reissues_serving_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_ip_is_rejected, setup, teardown),
      cmocka_unit_test_setup_teardown(test_renewal_window, setup, teardown),
      cmocka_unit_test_setup_teardown(test_broken_or_foreign_leaves_are_replaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ca_half_present, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ca_key_without_cert, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ca_content, setup, teardown),
      cmocka_unit_test_setup_teardown(test_serving_content, setup, teardown),
      cmocka_unit_test_setup_teardown(test_admin_content, setup, teardown),
      cmocka_unit_test_setup_teardown(test_openssl_agrees, setup, teardown),
      cmocka_unit_test_setup_teardown(test_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_kubeconfig, setup, teardown),
      cmocka_unit_test_setup_teardown(test_session_identity, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
