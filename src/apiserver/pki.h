/* The cluster's certificates, made with GnuTLS on first start and kept under DATA_DIR/server/tls:
 *   server-ca.crt/.key       the cluster CA (ECDSA P-256, 10 years)
 *   serving.crt/.key         the API server's serving certificate, signed by the CA, with the SANs
 *                            Kubernetes gives kube-apiserver (node name, node IPs, 127.0.0.1, localhost,
 *                            kubernetes, kubernetes.default, kubernetes.default.svc,
 *                            kubernetes.default.svc.<domain>, the first service IP); re-issued when the
 *                            wanted SANs change
 *   client-admin.crt/.key    the admin client certificate (CN=system:admin, O=system:masters)
 *   token                    a random bearer token that also authenticates as the admin
 * and the kubeconfig that points kubectl at the server with the admin certificate. */
#pragma once

#include <gnutls/gnutls.h>

#include "base/error.h"

typedef struct PkiOptions {
  const char *tls_dir;        /* DATA_DIR/server/tls */
  const char *node_name;      /* SAN DNS */
  const char *const *ips;     /* SAN IPs (node IPs, 127.0.0.1, first service IP), NULL-terminated */
  const char *cluster_domain; /* "cluster.local" */
} PkiOptions;

typedef struct Pki {
  char *ca_cert_pem;
  char *serving_cert_pem; /* serving cert followed by nothing else (the CA is known to clients) */
  char *serving_key_pem;
  char *admin_cert_pem;
  char *admin_key_pem;
  char *token;          /* admin bearer token */
  gnutls_x509_crt_t ca; /* parsed CA, for verifying client certificates */
} Pki;

/* Loads the material from tls_dir, creating whatever is missing (and re-issuing the serving certificate
 * if its SANs differ from the wanted ones). Files are written 0600, the directory 0700. */
int pki_load_or_create(const PkiOptions *opts, Pki *ret, Error *err);
void pki_done(Pki *p);

/* Authenticated identity of a request. */
typedef struct PkiIdentity {
  char user[256];
  char groups[8][128];
  size_t n_groups;
} PkiIdentity;

/* Verifies the TLS peer's client certificate against the CA; on success fills the identity from CN and O.
 * -EPERM if there is no certificate or it does not verify. */
int pki_identity_from_session(const Pki *p, gnutls_session_t session, PkiIdentity *ret);
/* Checks a bearer token ("Bearer xyz" header value or the bare token) in constant time. */
int pki_identity_from_token(const Pki *p, const char *authorization, PkiIdentity *ret);

/* Writes a kubeconfig (mode 0600, atomically) for server_url ("https://127.0.0.1:6443") with the CA and
 * the admin client certificate; cluster, user and context are named "default" as k3s does. */
int pki_write_kubeconfig(const Pki *p, const char *path, const char *server_url, Error *err);
