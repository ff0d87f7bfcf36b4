/* The Client (see client.h): configuration, the HTTP engine (client/httpc.h: GnuTLS, a pool of keep-alive
 * connections shared by every thread), one request path shared by every verb (URL building, headers, body,
 * answer decoding), the mapping of Status answers and transport failures onto Errors, and the verbs
 * themselves. Watches live in watch.c. */
#include <errno.h>

#include "api/jsonfast.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "client/client-internal.h"
#include "config.h"

/* Idle connections kept; more concurrent callers open connections that are closed afterwards. */
#define CLIENT_POOL_MAX 8
/* Answers larger than this are refused (a page of 500 objects of the 3 MiB maximum would be more, but such
 * lists are paged smaller by whoever expects them). */
#define CLIENT_MAX_ANSWER (512u * 1024 * 1024)
#define CLIENT_DEFAULT_PAGE 500

struct Client {
  char *server;      /* no trailing slash */
  char *auth_header; /* "Authorization: Bearer ..." or NULL */
  char *ua_header;   /* "User-Agent: ...", for an in-process transport (httpc adds its own) */
  Httpc *http;       /* thread-safe itself */
  unsigned timeout_ms;
  ClientTransportFn transport; /* in-process: replaces http */
  void *transport_ctx;
};

int client_new(const ClientConfig *cfg, Client **ret, Error *err) {
  if (!cfg || isempty(cfg->server) ||
      !(startswith(cfg->server, "https://") || startswith(cfg->server, "http://")))
    return error_set(err, -EINVAL, NULL, "client: the server URL must start with https:// or http://");
  if (!cfg->cert_pem != !cfg->key_pem)
    return error_set(err, -EINVAL, NULL,
                     "client: a client certificate needs its key and the other way round");
  _cleanup_free_ char *ua = xstrdup(cfg->user_agent ? cfg->user_agent : "coracle/" CORACLE_VERSION);
  /* Only the cluster CA is trusted when one is given (the system's store otherwise). */
  HttpcConfig hc = {
      .tls = {.ca_pem = cfg->ca_pem, .cert_pem = cfg->cert_pem, .key_pem = cfg->key_pem},
      .user_agent = ua,
      .connect_timeout_ms = (cfg->connect_timeout_sec ? cfg->connect_timeout_sec : 10) * 1000u,
      .max_idle_per_origin = CLIENT_POOL_MAX,
  };
  Httpc *http = NULL;
  int rc = httpc_new(&hc, &http, err);
  if (rc < 0)
    return error_wrap(err, "client: ");
  Client *c = xzalloc(sizeof *c);
  c->http = http;
  c->ua_header = xasprintf("User-Agent: %s", ua);
  c->server = xstrdup(cfg->server);
  for (size_t n = strlen(c->server); n > 0 && c->server[n - 1] == '/'; n--)
    c->server[n - 1] = 0;
  if (cfg->token)
    c->auth_header = xasprintf("Authorization: Bearer %s", cfg->token);
  c->timeout_ms = (cfg->timeout_sec ? cfg->timeout_sec : 60) * 1000u;
  *ret = c;
  return 0;
}

void client_free(Client *c) {
  if (!c)
    return;
  httpc_free(c->http);
  free(c->server);
  free(c->auth_header);
  free(c->ua_header);
  free(c);
}

void client_set_transport(Client *c, ClientTransportFn fn, void *ctx) {
  c->transport = fn;
  c->transport_ctx = ctx;
}

const char *client_server(Client *c) {
  return c->server;
}

/* ---- cancellation ---- */

struct ClientCancel {
  HttpcCancel *hc; /* its eventfd is polled with the socket of the transfer it aborts */
};

ClientCancel *client_cancel_new(void) {
  ClientCancel *cc = xzalloc(sizeof *cc);
  cc->hc = httpc_cancel_new();
  return cc;
}

void client_cancel_free(ClientCancel *cc) {
  if (!cc)
    return;
  httpc_cancel_free(cc->hc);
  free(cc);
}

void client_cancel_trigger(ClientCancel *cc) {
  httpc_cancel_trigger(cc->hc);
}

bool client_cancel_triggered(ClientCancel *cc) {
  return httpc_cancel_triggered(cc->hc);
}

void client_cancel_reset(ClientCancel *cc) {
  httpc_cancel_reset(cc->hc);
}

HttpcCancel *client_cancel_httpc(ClientCancel *cc) {
  return cc ? cc->hc : NULL;
}

/* ---- transfers ---- */

int client_perform(Client *c, const char *path_and_query, const char *content_type, HttpcRequest *req,
                   HttpcResponse *resp, Error *err) {
  _cleanup_free_ char *url = xasprintf("%s%s", c->server, path_and_query);
  _cleanup_free_ char *ct = req->body && content_type ? xasprintf("Content-Type: %s", content_type) : NULL;
  const char *headers[5];
  size_t n = 0;
  headers[n++] = "Accept: application/json";
  if (c->auth_header)
    headers[n++] = c->auth_header;
  if (ct)
    headers[n++] = ct;
  if (c->transport)
    headers[n++] = c->ua_header;
  headers[n] = NULL;
  req->url = url;
  req->headers = headers;
  int rc = c->transport ? c->transport(c->transport_ctx, path_and_query, req, resp, err)
                        : httpc_request(c->http, req, resp, err);
  req->url = NULL;
  req->headers = NULL;
  if (rc >= 0)
    return 0;
  int code;
  switch (rc) {
  case -ECONNREFUSED:
  case -EHOSTUNREACH:
  case -ETIMEDOUT:
  case -ECONNRESET:
  case -ECANCELED:
  case -E2BIG:
  case -EPROTO:
    code = rc;
    break;
  case -EKEYREJECTED: /* the server's certificate: a TLS failure to the client's callers */
    code = -EPROTO;
    break;
  default:
    code = -EIO;
  }
  if (err && err->code == rc)
    err->code = code;
  return code;
}

static int errno_from_http(long http, const char *reason) {
  switch (http) {
  case 400:
    return -EBADMSG;
  case 401:
    return -EPERM;
  case 403:
    return -EACCES;
  case 404:
    return -ENOENT;
  case 405:
    return -EOPNOTSUPP;
  case 409:
    return reason && streq(reason, "AlreadyExists") ? -EEXIST : -ECANCELED;
  case 410:
    return -ENODATA;
  case 413:
    return -E2BIG;
  case 415:
    return -EPROTONOSUPPORT;
  case 422:
    return -EINVAL;
  case 429:
  case 503:
    return -EAGAIN;
  case 501:
    return -ENOSYS;
  case 504:
    return -ETIME;
  default:
    return http >= 400 && http < 500 ? -EBADMSG : -EIO;
  }
}

int client_error_from_response(long http, const char *body, size_t len, Error *err) {
  _cleanup_json_ json_t *st = body && len ? json_loadb(body, len, 0, NULL) : NULL;
  const char *kind = jstr(st, "kind");
  if (!kind || !streq(kind, "Status")) {
    int code = errno_from_http(http, NULL);
    /* Not a Status (a proxy, or a bug): keep a bounded piece of the body for the message. */
    int shown = (int)MIN(len, (size_t)200);
    return error_setk(err, code, (int)http, NULL, "the server responded with status %ld%s%.*s", http,
                      shown ? ": " : "", shown, body ? body : "");
  }
  const char *reason = jstr(st, "reason");
  long code_in = (long)jint(st, "code", http);
  if (code_in <= 0)
    code_in = http;
  int code = errno_from_http(code_in, reason);
  const char *msg = jstr(st, "message");
  error_setk(err, code, (int)code_in, isempty(reason) ? NULL : reason, "%s",
             msg ? msg : "the server reported an error");
  if (err) {
    json_t *causes = jpath(st, "details.causes");
    size_t i;
    json_t *cv;
    json_array_foreach(causes, i, cv) {
      error_add_cause(err, jstr(cv, "reason"), jstr(cv, "field"), "%s",
                      jstr(cv, "message") ? jstr(cv, "message") : "");
    }
    err->retry_after = (int)jint(st, "details.retryAfterSeconds", 0);
  }
  return code;
}

/* The one request path of every verb but watch. */
/* drop_depth: json_fast_loadb_drop's object_depth for the answer (0: the whole answer). */
static int do_request(Client *c, const char *method, const char *path_and_query, const char *content_type,
                      const char *body, size_t body_len, ClientCancel *cancel, int drop_depth, json_t **ret,
                      Error *err) {
  HttpcRequest req = {
      .method = method,
      .body = body,
      .body_len = body_len,
      .timeout_ms = c->timeout_ms,
      .max_body = CLIENT_MAX_ANSWER,
      .cancel = client_cancel_httpc(cancel),
  };
  HttpcResponse resp = HTTPC_RESPONSE_INIT;
  uint64_t start = now_monotonic_usec();
  int rc = client_perform(c, path_and_query, body ? (content_type ? content_type : "application/json") : NULL,
                          &req, &resp, err);
  long http = resp.status;
  log_debug("client", "method=%s path=%s status=%ld rc=%d duration_ms=%llu", method, path_and_query, http, rc,
            (unsigned long long)((now_monotonic_usec() - start) / 1000));
  if (rc == -E2BIG)
    rc = error_set(err, -E2BIG, NULL, "the answer to %s %s is larger than %u bytes", method, path_and_query,
                   CLIENT_MAX_ANSWER);
  if (rc >= 0 && (http < 200 || http > 299))
    rc = client_error_from_response(http, resp.body.data, resp.body.len, err);
  if (rc >= 0 && ret) {
    if (resp.body.len == 0) {
      *ret = json_null();
    } else {
      json_error_t je;
      json_t *j = json_fast_loadb_drop(resp.body.data, resp.body.len, drop_depth, &je);
      if (!j)
        rc = error_set(err, -EBADMSG, NULL, "decoding the answer to %s %s: %s", method, path_and_query,
                       je.text);
      else
        *ret = j;
    }
  }
  httpc_response_done(&resp);
  return rc;
}

static int do_json_request(Client *c, const char *method, const char *path_and_query,
                           const char *content_type, json_t *body, ClientCancel *cancel, json_t **ret,
                           Error *err) {
  _cleanup_free_ char *text = body ? json_compact(body) : NULL;
  return do_request(c, method, path_and_query, content_type, text, text ? strlen(text) : 0, cancel, 0, ret,
                    err);
}

int client_request(Client *c, const char *method, const char *path_and_query, const char *content_type,
                   json_t *body, json_t **ret, Error *err) {
  return do_json_request(c, method, path_and_query, content_type, body, NULL, ret, err);
}

/* ---- URLs ---- */

void client_url_escape(Buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
        *p == '.' || *p == '_' || *p == '~') {
      buf_putc(b, (char)*p);
    } else {
      buf_putc(b, '%');
      buf_putc(b, hex[*p >> 4]);
      buf_putc(b, hex[*p & 15]);
    }
  }
}

void client_build_path(Buf *b, const ApiResource *r, const char *ns, const char *name, const char *sub) {
  if (isempty(r->group)) {
    buf_printf(b, "/api/%s", r->version);
  } else {
    buf_printf(b, "/apis/%s/%s", r->group, r->version);
  }
  if (r->namespaced && !isempty(ns)) {
    buf_puts(b, "/namespaces/");
    client_url_escape(b, ns);
  }
  buf_putc(b, '/');
  buf_puts(b, r->resource);
  if (!isempty(name)) {
    buf_putc(b, '/');
    client_url_escape(b, name);
    if (!isempty(sub)) {
      buf_putc(b, '/');
      client_url_escape(b, sub);
    }
  }
}

static void query_add(Buf *b, const char *key, const char *value) {
  if (isempty(value))
    return;
  buf_putc(b, strchr(b->data, '?') ? '&' : '?');
  buf_puts(b, key);
  buf_putc(b, '=');
  client_url_escape(b, value);
}

/* The namespace of a single-object call: the argument, else the object's, for namespaced resources. */
static int object_namespace(const ApiResource *r, const char *ns, json_t *obj, const char **ret, Error *err) {
  *ret = NULL;
  if (!r->namespaced)
    return 0;
  if (isempty(ns))
    ns = jstr(obj, "metadata.namespace");
  if (isempty(ns))
    return error_set(err, -EINVAL, "metadata.namespace", "a namespace is required for %s", r->resource);
  *ret = ns;
  return 0;
}

/* ---- verbs ---- */

int client_get(Client *c, const ApiResource *r, const char *ns, const char *name, json_t **ret, Error *err) {
  if (isempty(name))
    return error_set(err, -EINVAL, "metadata.name", "a name is required");
  if (r->namespaced && isempty(ns))
    return error_set(err, -EINVAL, "metadata.namespace", "a namespace is required for %s", r->resource);
  _cleanup_buf_ Buf p = BUF_INIT;
  client_build_path(&p, r, ns, name, NULL);
  return do_json_request(c, "GET", p.data, NULL, NULL, NULL, ret, err);
}

/* List items carry no kind/apiVersion on the wire in Kubernetes; callers (ownerReferences, events) want them.
 */
static void fill_type_meta(const ApiResource *r, json_t *items) {
  char gv[128];
  api_resource_group_version(r, gv, sizeof gv);
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    if (!json_is_object(it))
      continue;
    if (!jstr(it, "kind"))
      json_object_set_new(it, "kind", json_string(r->kind));
    if (!jstr(it, "apiVersion"))
      json_object_set_new(it, "apiVersion", json_string(gv));
  }
}

int client_list(Client *c, const ApiResource *r, const char *ns, const ClientListOptions *opts,
                json_t **ret_items, char **ret_resource_version, Error *err) {
  static const ClientListOptions none = {0};
  if (!opts)
    opts = &none;
  size_t page = opts->page_size ? opts->page_size : CLIENT_DEFAULT_PAGE;
  _cleanup_json_ json_t *items = json_array();
  _cleanup_free_ char *token = NULL, *rv = NULL;
  for (;;) {
    _cleanup_buf_ Buf p = BUF_INIT;
    client_build_path(&p, r, ns, NULL, NULL);
    if (page) {
      char limit[24];
      snprintf(limit, sizeof limit, "%zu", page);
      query_add(&p, "limit", limit);
    }
    query_add(&p, "labelSelector", opts->label_selector);
    query_add(&p, "fieldSelector", opts->field_selector);
    if (token)
      query_add(&p, "continue", token);
    else
      query_add(&p, "resourceVersion", opts->resource_version);
    _cleanup_json_ json_t *ans = NULL;
    /* A list's items sit at depth 3 of the answer (list, items, item). */
    int rc = do_request(c, "GET", p.data, NULL, NULL, 0, opts->cancel, opts->drop_managed_fields ? 3 : 0,
                        &ans, err);
    if (rc == -ENODATA && token) {
      /* The snapshot the pages came from was compacted away: start again in one piece. */
      log_debug("client", "resource=%s continue token expired; listing again without paging", r->resource);
      json_array_clear(items);
      free(token);
      token = NULL;
      page = 0;
      error_reset(err);
      continue;
    }
    if (rc < 0)
      return rc;
    json_t *got = json_object_get(ans, "items");
    if (!json_is_array(got) && !json_is_null(got) && got)
      return error_set(err, -EBADMSG, NULL, "the list answer for %s has no items array", r->resource);
    if (got)
      json_array_extend(items, got);
    free(rv);
    rv = jstr(ans, "metadata.resourceVersion") ? xstrdup(jstr(ans, "metadata.resourceVersion")) : NULL;
    const char *next = jstr(ans, "metadata.continue");
    free(token);
    token = isempty(next) ? NULL : xstrdup(next);
    if (!token)
      break;
  }
  fill_type_meta(r, items);
  *ret_items = TAKE_PTR(items);
  if (ret_resource_version)
    *ret_resource_version = rv ? TAKE_PTR(rv) : xstrdup("");
  return 0;
}

int client_create(Client *c, const ApiResource *r, const char *ns, json_t *obj, json_t **ret, Error *err) {
  const char *use_ns;
  int rc = object_namespace(r, ns, obj, &use_ns, err);
  if (rc < 0)
    return rc;
  _cleanup_buf_ Buf p = BUF_INIT;
  client_build_path(&p, r, use_ns, NULL, NULL);
  return do_json_request(c, "POST", p.data, NULL, obj, NULL, ret, err);
}

static int put_object(Client *c, const ApiResource *r, const char *ns, const char *sub, json_t *obj,
                      json_t **ret, Error *err) {
  const char *use_ns, *name = jstr(obj, "metadata.name");
  int rc = object_namespace(r, ns, obj, &use_ns, err);
  if (rc < 0)
    return rc;
  if (isempty(name))
    return error_set(err, -EINVAL, "metadata.name", "a name is required");
  _cleanup_buf_ Buf p = BUF_INIT;
  client_build_path(&p, r, use_ns, name, sub);
  return do_json_request(c, "PUT", p.data, NULL, obj, NULL, ret, err);
}

int client_update(Client *c, const ApiResource *r, const char *ns, json_t *obj, json_t **ret, Error *err) {
  return put_object(c, r, ns, NULL, obj, ret, err);
}

int client_update_status(Client *c, const ApiResource *r, const char *ns, json_t *obj, json_t **ret,
                         Error *err) {
  return put_object(c, r, ns, "status", obj, ret, err);
}

static const char *const patch_types[_CLIENT_PATCH_MAX] = {
    [CLIENT_PATCH_MERGE] = "application/merge-patch+json",
    [CLIENT_PATCH_STRATEGIC] = "application/strategic-merge-patch+json",
    [CLIENT_PATCH_JSON] = "application/json-patch+json",
};

const char *client_patch_type_to_string(ClientPatchType t) {
  return t >= 0 && t < _CLIENT_PATCH_MAX ? patch_types[t] : NULL;
}

int client_patch(Client *c, const ApiResource *r, const char *ns, const char *name, const char *sub,
                 ClientPatchType type, json_t *patch, json_t **ret, Error *err) {
  const char *ct = client_patch_type_to_string(type);
  if (!ct)
    return error_set(err, -EINVAL, NULL, "unknown patch type %d", (int)type);
  if (isempty(name))
    return error_set(err, -EINVAL, "metadata.name", "a name is required");
  if (r->namespaced && isempty(ns))
    return error_set(err, -EINVAL, "metadata.namespace", "a namespace is required for %s", r->resource);
  _cleanup_buf_ Buf p = BUF_INIT;
  client_build_path(&p, r, ns, name, sub);
  return do_json_request(c, "PATCH", p.data, ct, patch, NULL, ret, err);
}

int client_delete(Client *c, const ApiResource *r, const char *ns, const char *name,
                  const ClientDeleteOptions *opts, json_t **ret, Error *err) {
  if (isempty(name))
    return error_set(err, -EINVAL, "metadata.name", "a name is required");
  if (r->namespaced && isempty(ns))
    return error_set(err, -EINVAL, "metadata.namespace", "a namespace is required for %s", r->resource);
  _cleanup_json_ json_t *body = json_pack("{s:s,s:s}", "kind", "DeleteOptions", "apiVersion", "v1");
  if (opts) {
    if (opts->propagation_policy)
      json_object_set_new(body, "propagationPolicy", json_string(opts->propagation_policy));
    if (opts->has_grace_period)
      json_object_set_new(body, "gracePeriodSeconds", json_integer(opts->grace_period_seconds));
    if (opts->precondition_uid)
      jset(body, "preconditions.uid", json_string(opts->precondition_uid));
    if (opts->precondition_resource_version)
      jset(body, "preconditions.resourceVersion", json_string(opts->precondition_resource_version));
  }
  _cleanup_buf_ Buf p = BUF_INIT;
  client_build_path(&p, r, ns, name, NULL);
  return do_json_request(c, "DELETE", p.data, NULL, body, NULL, ret, err);
}

int client_subresource(Client *c, const char *method, const ApiResource *r, const char *ns, const char *name,
                       const char *sub, json_t *body, json_t **ret, Error *err) {
  if (isempty(name) || isempty(sub))
    return error_set(err, -EINVAL, NULL, "a name and a subresource are required");
  if (r->namespaced && isempty(ns))
    return error_set(err, -EINVAL, "metadata.namespace", "a namespace is required for %s", r->resource);
  _cleanup_buf_ Buf p = BUF_INIT;
  client_build_path(&p, r, ns, name, sub);
  return do_json_request(c, method, p.data, NULL, body, NULL, ret, err);
}
