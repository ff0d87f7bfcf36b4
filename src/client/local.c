/* A Client for the server of this machine: the components the server runs in-process (scheduler,
 * controllers) and the local node agent authenticate as the admin with the certificates the server made under
 * DATA_DIR/server/tls (see apiserver/pki.h), and reach it over loopback HTTPS like any remote client —
 * unless `coracle server` gives the client its in-process transport (apiserver_local_transport). */
#include <errno.h>

#include "client/client.h"

#define LOCAL_DEFAULT_URL "https://127.0.0.1:6443"

static int read_pem(const char *dir, const char *file, char **ret, Error *err) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
  size_t len;
  int rc = read_file(path, ret, &len);
  if (rc < 0)
    return error_set(err, rc, NULL, "reading %s: %s", path, strerror(-rc));
  return 0;
}

int client_new_local(const char *data_dir, const char *server_url, Client **ret, Error *err) {
  _cleanup_free_ char *dir = xasprintf("%s/server/tls", data_dir);
  _cleanup_free_ char *ca = NULL, *cert = NULL, *key = NULL;
  int rc;
  if ((rc = read_pem(dir, "server-ca.crt", &ca, err)) < 0 ||
      (rc = read_pem(dir, "client-admin.crt", &cert, err)) < 0 ||
      (rc = read_pem(dir, "client-admin.key", &key, err)) < 0)
    return rc;
  ClientConfig cfg = {
      .server = server_url ? server_url : LOCAL_DEFAULT_URL,
      .ca_pem = ca,
      .cert_pem = cert,
      .key_pem = key,
  };
  return client_new(&cfg, ret, err);
}
