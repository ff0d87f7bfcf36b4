/* The HTTPS front of the API server on libmicrohttpd with GnuTLS, and the server's lifecycle.
 *
 * Threading: libmicrohttpd runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION, 512 KiB stacks).
 * kubectl keeps a handful of keep-alive connections, and a watch is a connection whose thread blocks in
 * the stream callback until the watch cache has an event — no busy polling, and a slow client only slows
 * its own thread. One background thread finalizes terminating namespaces and compacts the store's history.
 *
 * Authentication happens once per connection where possible: the TLS client certificate is verified against
 * the cluster CA when the connection's first request arrives and the identity is kept in the connection's
 * context; a bearer token is checked per request. /version, /healthz, /livez and /readyz are public (as
 * Kubernetes' system:public-info-viewer allows); everything else without credentials gets 401. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "api/jsonutil.h"
#include "apiserver/apiserver-internal.h"
#include "apiserver/eventttl.h"
#include "apiserver/podlog.h"
#include "base/log.h"

int apiserver_parse_service_cidr(ApiServer *s, Error *err);

typedef struct ConnState {
  bool checked;
  bool cert_ok;
  PkiIdentity identity;
} ConnState;

typedef struct ReqState {
  Buf body;
  bool too_large;
  uint64_t start_usec;
} ReqState;

/* ---- transport callbacks for HttpRequest ---- */

static const char *mhd_query(const HttpRequest *req, const char *name) {
  return MHD_lookup_connection_value(req->transport, MHD_GET_ARGUMENT_KIND, name);
}

static const char *mhd_header(const HttpRequest *req, const char *name) {
  return MHD_lookup_connection_value(req->transport, MHD_HEADER_KIND, name);
}

typedef struct QueryAll {
  const char *name;
  void (*cb)(const char *v, void *u);
  void *u;
} QueryAll;

static enum MHD_Result query_all_it(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  QueryAll *q = cls;
  if (key && streq(key, q->name))
    q->cb(value ? value : "", q->u);
  return MHD_YES;
}

static void mhd_query_all(const HttpRequest *req, const char *name, void (*cb)(const char *v, void *u),
                          void *u) {
  QueryAll q = {name, cb, u};
  MHD_get_connection_values(req->transport, MHD_GET_ARGUMENT_KIND, query_all_it, &q);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  HttpStream *st = cls;
  ssize_t n = st->fill(st->state, buf, max);
  return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void stream_free(void *cls) {
  HttpStream *st = cls;
  if (st->free)
    st->free(st->state);
  free(st);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, HttpResponse *r) {
  struct MHD_Response *mr;
  if (r->stream.fill) {
    HttpStream *st = xmalloc(sizeof *st);
    *st = r->stream;
    r->stream = (HttpStream){0};
    /* The block is allocated (zeroed) per stream and most streams are idle watches: 8 KiB, and
     * watch_fill hands a larger event over in several calls. */
    mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8 * 1024, stream_reader, st, stream_free);
  } else {
    size_t len = 0;
    char *data = buf_steal(&r->body, &len);
    mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
  }
  if (!mr)
    return MHD_NO;
  MHD_add_response_header(mr, "Content-Type", r->content_type[0] ? r->content_type : "application/json");
  MHD_add_response_header(mr, "Cache-Control", "no-cache, private");
  for (size_t i = 0; i < r->n_extra; i++) {
    char *colon = strchr(r->extra_headers[i], ':');
    if (!colon)
      continue;
    *colon = 0;
    MHD_add_response_header(mr, r->extra_headers[i], colon + 2);
    *colon = ':';
  }
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)(r->status ? r->status : 200), mr);
  MHD_destroy_response(mr);
  return ret;
}

static enum MHD_Result send_status(struct MHD_Connection *conn, int code, int http, const char *reason,
                                   const char *msg) {
  _cleanup_error_ Error e = ERROR_INIT;
  error_setk(&e, code, http, reason, "%s", msg);
  HttpResponse r = {0};
  http_respond_json(&r, http, status_from_error(&e, NULL, NULL));
  enum MHD_Result ret = send_response(conn, &r);
  http_response_done(&r);
  return ret;
}

static bool is_public(const char *url) {
  return streq(url, "/version") || streq(url, "/healthz") || streq(url, "/livez") || streq(url, "/readyz") ||
         startswith(url, "/healthz/") || startswith(url, "/livez/") || startswith(url, "/readyz/");
}

static bool authenticate(ApiServer *s, struct MHD_Connection *conn, HttpRequest *req) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  ConnState *cs = ci ? ci->socket_context : NULL;
  if (cs && !cs->checked) {
    cs->checked = true;
    const union MHD_ConnectionInfo *ti = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ti && ti->tls_session)
      cs->cert_ok = pki_identity_from_session(&s->pki, (gnutls_session_t)ti->tls_session, &cs->identity) >= 0;
  }
  if (cs && cs->cert_ok) {
    req->identity = cs->identity;
    return true;
  }
  const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
  if (auth && pki_identity_from_token(&s->pki, auth, &req->identity) >= 0)
    return true;
  return false;
}

static void split_path(HttpRequest *req, char *path) {
  req->segc = 0;
  char *save = NULL;
  for (char *seg = strtok_r(path, "/", &save); seg && req->segc < HTTP_MAX_SEGMENTS;
       seg = strtok_r(NULL, "/", &save))
    req->segv[req->segc++] = seg;
}

void apiserver_dispatch(ApiServer *s, HttpRequest *req, HttpResponse *resp) {
  _cleanup_free_ char *path = xstrdup(req->path);
  split_path(req, path);
  if (!metrics_handle(s, req, resp) && !discovery_handle(s, req, resp)) {
    bool api =
        req->segc >= 2 && (streq(req->segv[0], "api") || (streq(req->segv[0], "apis") && req->segc >= 3));
    if (api) {
      resources_handle(s, req, resp);
    } else {
      _cleanup_error_ Error e = ERROR_INIT;
      error_setk(&e, -ENOENT, 404, "NotFound", "the server could not find the requested resource");
      http_respond_json(resp, 404, status_from_error(&e, NULL, NULL));
    }
  }
  log_debug("apiserver", "%s %s status=%d user=%s", req->method, req->path, resp->status,
            req->authenticated ? req->identity.user : "anonymous");
  req->segc = 0; /* the segments pointed into path */
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  ApiServer *s = cls;
  ReqState *rs = *con_cls;
  if (!rs) {
    rs = xzalloc(sizeof *rs);
    rs->start_usec = now_monotonic_usec();
    *con_cls = rs;
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (rs->body.len + *upload_data_size > BODY_MAX_BYTES)
      rs->too_large = true;
    else
      buf_append(&rs->body, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (rs->too_large)
    return send_status(conn, -E2BIG, 413, "RequestEntityTooLarge",
                       "Request entity too large: limit is 3145728");

  HttpRequest req = {
      .method = method,
      .path = url,
      .body = rs->body.data,
      .body_len = rs->body.len,
      .query = mhd_query,
      .header = mhd_header,
      .query_all = mhd_query_all,
      .transport = conn,
      .fd = -1,
  };
  const union MHD_ConnectionInfo *fdi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (fdi)
    req.fd = fdi->connect_fd;
  req.authenticated = authenticate(s, conn, &req);
  if (!req.authenticated && !is_public(url))
    return send_status(conn, -EPERM, 401, "Unauthorized", "Unauthorized");

  HttpResponse resp = {0};
  apiserver_dispatch(s, &req, &resp);
  enum MHD_Result ret = send_response(conn, &resp);
  http_response_done(&resp);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  ReqState *rs = *con_cls;
  if (!rs)
    return;
  buf_free(&rs->body);
  free(rs);
  *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
    *socket_context = xzalloc(sizeof(ConnState));
  } else {
    free(*socket_context);
    *socket_context = NULL;
  }
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  if (log_max_level < LOG_LEVEL_DEBUG)
    return;
  char line[1024];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  if (n && line[n - 1] == '\n')
    line[n - 1] = 0;
  log_debug("mhd", "%s", line);
}

/* ---- background work: namespace finalizer and history compaction ---- */

static void *background(void *arg) {
  ApiServer *s = arg;
  int64_t pending_compact = 0; /* revision seen one interval ago: compacting to it keeps >= one interval */
  uint64_t next_compact = now_monotonic_usec() + (uint64_t)s->opts.compaction_interval_sec * 1000000u;
  uint64_t next_bootstrap = now_monotonic_usec() + 10u * 1000000u;
  /* Event expiry (eventttl.c): swept every tenth of the TTL, between 1 s and 1 min. */
  int64_t event_ttl = s->opts.event_ttl_sec > 0 ? s->opts.event_ttl_sec : 3600;
  uint64_t event_sweep_usec = (uint64_t)MIN(MAX(event_ttl / 10, 1), 60) * 1000000u;
  uint64_t next_event_sweep = now_monotonic_usec() + event_sweep_usec;
  pthread_mutex_lock(&s->bg_lock);
  while (!atomic_load(&s->stopping)) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&s->bg_cond, &s->bg_lock, &ts);
    if (atomic_load(&s->stopping))
      break;
    pthread_mutex_unlock(&s->bg_lock);
    registry_finalize_namespaces(s);
    if (now_monotonic_usec() >= next_event_sweep) {
      eventttl_sweep(s, event_ttl);
      next_event_sweep = now_monotonic_usec() + event_sweep_usec;
    }
    /* Like kube-apiserver, keep the system namespaces and the kubernetes Service in place: a user's
     * `kubectl delete svc --all` in default removes it, and it comes back within seconds. */
    if (now_monotonic_usec() >= next_bootstrap) {
      _cleanup_error_ Error e = ERROR_INIT;
      if (registry_bootstrap(s, &e) < 0)
        log_warn("apiserver", "re-creating system objects: %s", e.message ? e.message : "");
      next_bootstrap = now_monotonic_usec() + 10u * 1000000u;
    }
    if (s->opts.compaction_interval_sec > 0 && now_monotonic_usec() >= next_compact) {
      if (pending_compact > store_compacted_revision(s->store)) {
        _cleanup_error_ Error e = ERROR_INIT;
        if (store_compact(s->store, pending_compact, &e) < 0)
          log_warn("apiserver", "compaction to rev=%lld failed: %s", (long long)pending_compact,
                   e.message ? e.message : "");
        else
          log_debug("apiserver", "compacted history up to rev=%lld", (long long)pending_compact);
      }
      pending_compact = store_current_revision(s->store);
      next_compact = now_monotonic_usec() + (uint64_t)s->opts.compaction_interval_sec * 1000000u;
    }
    pthread_mutex_lock(&s->bg_lock);
  }
  pthread_mutex_unlock(&s->bg_lock);
  return NULL;
}

/* ---- lifecycle ---- */

static char *kubeconfig_host(const ApiServerOptions *o) {
  const char *b = o->bind_address;
  if (isempty(b) || streq(b, "0.0.0.0") || startswith(b, "127."))
    return xstrdup("127.0.0.1");
  if (streq(b, "::") || streq(b, "::1"))
    return xstrdup("[::1]");
  return strchr(b, ':') ? xasprintf("[%s]", b) : xstrdup(b);
}

static int start_http(ApiServer *s, Error *err) {
  struct sockaddr_storage ss = {0};
  socklen_t sl;
  const char *bind = isempty(s->opts.bind_address) ? "0.0.0.0" : s->opts.bind_address;
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
                   MHD_USE_ERROR_LOG | MHD_USE_POLL;
  struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, bind, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)s->opts.https_port);
    sl = sizeof *sin;
  } else if (inet_pton(AF_INET6, bind, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)s->opts.https_port);
    sl = sizeof *sin6;
    flags |= MHD_USE_IPv6;
  } else {
    return error_set(err, -EINVAL, "--bind-address", "not an IP address: %s", bind);
  }
  (void)sl;
  /* libmicrohttpd's default 32 KiB pool per connection is kept: 16 KiB saved 0.35 MB idle (23 connections)
   * but cut the request headers a client may send to ~15 KiB (then 431). */
  s->daemon = MHD_start_daemon(
      flags, (uint16_t)s->opts.https_port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_HTTPS_MEM_KEY, s->pki.serving_key_pem, MHD_OPTION_HTTPS_MEM_CERT,
      s->pki.serving_cert_pem, MHD_OPTION_HTTPS_MEM_TRUST, s->pki.ca_cert_pem, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_THREAD_STACK_SIZE,
      (size_t)(512 * 1024), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)3700, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)10000, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
      NULL, MHD_OPTION_END);
  if (!s->daemon)
    return error_set(err, -EADDRINUSE, NULL, "cannot listen on %s:%d (in use, or TLS setup failed)", bind,
                     s->opts.https_port);
  return 0;
}

static int start_inner(ApiServer *s, const ApiServerOptions *opts, Error *err) {
  int rc;
  if ((rc = apiserver_parse_service_cidr(s, err)) < 0)
    return rc;
  _cleanup_free_ char *dbdir = xasprintf("%s/server/db", opts->data_dir);
  if ((rc = mkdir_p(dbdir, 0700)) < 0)
    return error_set(err, rc, NULL, "cannot create %s: %s", dbdir, strerror(-rc));
  s->db_path = xasprintf("%s/state.db", dbdir);
  s->tls_dir = xasprintf("%s/server/tls", opts->data_dir);
  StoreOptions so = {.sync = opts->store_sync};
  if ((rc = store_open(s->db_path, &so, &s->store, err)) < 0)
    return rc;
  if ((rc = watch_cache_new(s->store, opts->watch_cache_events, &s->cache, err)) < 0)
    return rc;

  /* SANs as kube-apiserver: node name and IPs, loopback, the kubernetes Service's names and first IP. */
  char first_ip[16];
  uint32_t f = s->svc_net + 1;
  snprintf(first_ip, sizeof first_ip, "%u.%u.%u.%u", f >> 24, (f >> 16) & 255, (f >> 8) & 255, f & 255);
  const char *ips[16];
  size_t n = 0;
  _cleanup_free_ char *node_ips = xstrdup(opts->node_ip ? opts->node_ip : "");
  char *save = NULL;
  for (char *ip = strtok_r(node_ips, ",", &save); ip && n < 12; ip = strtok_r(NULL, ",", &save))
    ips[n++] = ip;
  ips[n++] = "127.0.0.1";
  ips[n++] = first_ip;
  if (!isempty(opts->bind_address) && !streq(opts->bind_address, "0.0.0.0") &&
      !streq(opts->bind_address, "::") && !streq(opts->bind_address, "127.0.0.1"))
    ips[n++] = opts->bind_address;
  ips[n] = NULL;
  PkiOptions po = {.tls_dir = s->tls_dir,
                   .node_name = opts->node_name,
                   .ips = ips,
                   .cluster_domain = opts->cluster_domain};
  if ((rc = pki_load_or_create(&po, &s->pki, err)) < 0)
    return rc;
  if ((rc = registry_bootstrap(s, err)) < 0)
    return rc;
  if ((rc = metrics_start(s, err)) < 0)
    return rc;
  if ((rc = start_http(s, err)) < 0)
    return rc;
  if (pthread_create(&s->bg_thread, NULL, background, s) == 0)
    s->bg_started = true;
  if (!isempty(opts->write_kubeconfig)) {
    _cleanup_free_ char *host = kubeconfig_host(opts);
    _cleanup_free_ char *url = xasprintf("https://%s:%d", host, opts->https_port);
    if ((rc = pki_write_kubeconfig(&s->pki, opts->write_kubeconfig, url, err)) < 0)
      return rc;
    log_info("apiserver", "wrote kubeconfig path=%s server=%s", opts->write_kubeconfig, url);
  }
  log_info("apiserver", "serving on https://%s:%d rev=%lld",
           isempty(opts->bind_address) ? "0.0.0.0" : opts->bind_address, opts->https_port,
           (long long)store_current_revision(s->store));
  return 0;
}

ApiServerOptions apiserver_default_options(void) {
  return (ApiServerOptions){
      .data_dir = "/var/lib/coracle",
      .bind_address = "0.0.0.0",
      .https_port = 6443,
      .cluster_cidr = "10.42.0.0/16",
      .service_cidr = "10.43.0.0/16",
      .cluster_dns = "10.43.0.10",
      .cluster_domain = "cluster.local",
      .write_kubeconfig = "/etc/coracle/coracle.yaml",
      .store_sync = STORE_SYNC_FULL,
      .compaction_interval_sec = 300,
      .watch_cache_events = 8192,
  };
}

int apiserver_start(const ApiServerOptions *opts, ApiServer **ret, Error *err) {
  ApiServer *s = xzalloc(sizeof *s);
  s->opts = *opts;
  pthread_mutex_init(&s->bg_lock, NULL);
  pthread_mutex_init(&s->alloc_lock, NULL);
  cond_init_monotonic(&s->bg_cond);
  int rc = start_inner(s, opts, err);
  if (rc < 0) {
    apiserver_stop(s);
    return rc;
  }
  *ret = s;
  return 0;
}

void apiserver_stop(ApiServer *s) {
  if (!s)
    return;
  atomic_store(&s->stopping, true);
  if (s->cache)
    watch_cache_shutdown(s->cache);
  if (s->bg_started) {
    pthread_mutex_lock(&s->bg_lock);
    pthread_cond_broadcast(&s->bg_cond);
    pthread_mutex_unlock(&s->bg_lock);
    pthread_join(s->bg_thread, NULL);
  }
  if (s->daemon)
    MHD_stop_daemon(s->daemon);
  metrics_stop(s);
  podlog_client_free(s->podlog); /* podlog.c: after the daemon, whose log streams borrow it */
  watch_cache_free(s->cache);
  store_close(s->store);
  pki_done(&s->pki);
  free(s->db_path);
  free(s->tls_dir);
  free(s->openapi_root);
  pthread_cond_destroy(&s->bg_cond);
  pthread_mutex_destroy(&s->bg_lock);
  pthread_mutex_destroy(&s->alloc_lock);
  free(s);
}
