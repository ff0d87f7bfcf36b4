/* The agent's own HTTPS endpoint (the kubelet's port, 10250, advertised in the Node's
 * status.daemonEndpoints): GET /stats/summary (stats.c's document), /containerLogs/NS/POD/CONTAINER
 * (logserver.c) and /healthz, on libmicrohttpd with GnuTLS like the API server.
 *
 * Authentication: a client certificate signed by the cluster CA is required (the API server's clients have
 * one); anything else gets 401, as a kubelet without anonymous access answers. There is no authorization
 * beyond that (the kubelet asks the API server with a SubjectAccessReview; coracle has no RBAC yet).
 * Certificate: an agent running inside `coracle server` serves with the API server's certificate from
 * DATA_DIR/server/tls, whose SANs are this node's name and addresses; a separate agent would need one
 * issued to it (not written yet), so without those files the endpoint is not started.
 *
 * Threads: libmicrohttpd's listener and one thread per connection (a log stream holds its thread); each
 * request reads the informer cache and the cgroups or the log files. */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "agent/kubelet/kubelet-internal.h"
#include "agent/kubelet/logserver.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "client/httpc.h"

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code, const char *type, char *body) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", type);
  enum MHD_Result ret = MHD_queue_response(conn, code, r);
  MHD_destroy_response(r);
  return ret;
}

/* True when the TLS peer presented a certificate that verifies against the trusted CA. */
static bool client_verified(struct MHD_Connection *conn) {
  const union MHD_ConnectionInfo *ti = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (!ti || !ti->tls_session)
    return false;
  gnutls_session_t session = (gnutls_session_t)ti->tls_session;
  unsigned n = 0;
  if (!gnutls_certificate_get_peers(session, &n) || n == 0)
    return false;
  unsigned status = 0;
  return gnutls_certificate_verify_peers2(session, &status) == 0 && status == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  Kubelet *k = cls;
  static int marker;
  if (!*con_cls) {
    *con_cls = &marker;
    return MHD_YES;
  }
  *upload_data_size = 0; /* bodies are not used */
  if (!client_verified(conn))
    return respond(conn, 401, "text/plain; charset=utf-8", xstrdup("Unauthorized"));
  if (!streq(method, "GET") && !streq(method, "HEAD"))
    return respond(conn, 405, "text/plain; charset=utf-8", xstrdup("405 method not allowed"));
  if (streq(url, "/healthz"))
    return respond(conn, 200, "text/plain; charset=utf-8", xstrdup("ok"));
  if (startswith(url, "/containerLogs/")) /* logserver.c */
    return kubelet_logserver_handle(k, conn, url);
  if (streq(url, "/stats/summary") || streq(url, "/stats/summary/")) {
    _cleanup_json_ json_t *summary = kubelet_stats_summary(k);
    return respond(conn, 200, "application/json", json_compact(summary));
  }
  return respond(conn, 404, "text/plain; charset=utf-8", xstrdup("404 page not found"));
}

int kubelet_stats_server_start(Kubelet *k, int port, Error *err) {
  _cleanup_free_ char *dir = xasprintf("%s/server/tls", k->opts.data_dir);
  _cleanup_free_ char *crt_path = xasprintf("%s/serving.crt", dir),
                      *key_path = xasprintf("%s/serving.key", dir),
                      *ca_path = xasprintf("%s/server-ca.crt", dir);
  _cleanup_free_ char *crt = NULL, *key = NULL, *ca = NULL;
  if (read_file(crt_path, &crt, NULL) < 0 || read_file(key_path, &key, NULL) < 0 ||
      read_file(ca_path, &ca, NULL) < 0)
    return error_set(err, -ENOENT, NULL,
                     "no serving certificate in %s (only an agent inside coracle server has one)", dir);
  k->stats_tls[0] = TAKE_PTR(crt);
  k->stats_tls[1] = TAKE_PTR(key);
  k->stats_tls[2] = TAKE_PTR(ca);
  /* A thread per connection: a `kubectl logs -f` stream (logserver.c) blocks its connection's thread. The
   * limit bounds the followers (each a thread with a 512 KiB stack reserved, a few KiB of it touched). */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_TLS |
                   MHD_USE_ERROR_LOG | MHD_USE_POLL;
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, (uint16_t)port, NULL, NULL, on_request, k, MHD_OPTION_HTTPS_MEM_KEY, k->stats_tls[1],
      MHD_OPTION_HTTPS_MEM_CERT, k->stats_tls[0], MHD_OPTION_HTTPS_MEM_TRUST, k->stats_tls[2],
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
      MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024), MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
      MHD_OPTION_END);
  if (!d)
    return error_set(err, -EADDRINUSE, NULL, "cannot listen on port %d", port);
  k->stats_daemon = d;
  return 0;
}

void kubelet_stats_server_stop(Kubelet *k) {
  if (k->stats_daemon)
    MHD_stop_daemon(k->stats_daemon);
  k->stats_daemon = NULL;
  for (size_t i = 0; i < ELEMENTSOF(k->stats_tls); i++) {
    if (k->stats_tls[i])
      explicit_bzero(k->stats_tls[i], strlen(k->stats_tls[i]));
    free(k->stats_tls[i]);
    k->stats_tls[i] = NULL;
  }
}

/* ---- the other end: reading an agent's /stats/summary (what the API server's scraper uses) ---- */

struct KubeletStatsClient {
  Httpc *http;
};

int kubelet_stats_client_new(const char *data_dir, KubeletStatsClient **ret, Error *err) {
  _cleanup_free_ char *dir = xasprintf("%s/server/tls", data_dir);
  _cleanup_free_ char *ca = xasprintf("%s/server-ca.crt", dir), *crt = xasprintf("%s/client-admin.crt", dir),
                      *key = xasprintf("%s/client-admin.key", dir);
  HttpcConfig cfg = {.tls = {.ca_file = ca, .cert_file = crt, .key_file = key},
                     .user_agent = "coracle-metrics",
                     .connect_timeout_ms = 2000,
                     .max_idle_per_origin = 1};
  Httpc *h = NULL;
  int rc = httpc_new(&cfg, &h, err);
  if (rc < 0)
    return rc;
  KubeletStatsClient *c = xzalloc(sizeof *c);
  c->http = h;
  *ret = c;
  return 0;
}

void kubelet_stats_client_free(KubeletStatsClient *c) {
  if (!c)
    return;
  httpc_free(c->http);
  free(c);
}

json_t *kubelet_stats_fetch(KubeletStatsClient *c, const char *address, int port, Error *err) {
  bool v6 = strchr(address, ':') != NULL;
  _cleanup_free_ char *url =
      xasprintf("https://%s%s%s:%d/stats/summary", v6 ? "[" : "", address, v6 ? "]" : "", port);
  HttpcRequest req = {.url = url, .timeout_ms = 10000, .max_body = 64u << 20};
  HttpcResponse resp = HTTPC_RESPONSE_INIT;
  int rc = httpc_request(c->http, &req, &resp, err);
  json_t *out = NULL;
  if (rc >= 0 && resp.status != 200)
    error_set(err, -EIO, NULL, "%s: HTTP %d", url, resp.status);
  else if (rc >= 0 && json_decode_body(resp.body.data, resp.body.len, &out, err) < 0)
    out = NULL;
  httpc_response_done(&resp);
  return out;
}

bool kubelet_stats_endpoint_running(Kubelet *k) {
  return k && k->stats_daemon;
}
