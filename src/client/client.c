/* The Client (see client.h): configuration, the pool of libcurl easy handles, one request path shared by
 * every verb (URL building, headers, body, answer decoding), the mapping of Status answers and transport
 * failures onto Errors, and the verbs themselves. Watches live in watch.c.
 *
 * libcurl is the GnuTLS build (Debian's libcurl-gnutls), which in 7.88 cannot take certificates from memory
 * (CURLOPT_*_BLOB are OpenSSL-only there), so the PEMs are put in sealed memfds and handed over as
 * /proc/self/fd/N paths: nothing touches the disk and the key stays in this process. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>

#include "api/jsonutil.h"
#include "base/log.h"
#include "client/client-internal.h"
#include "config.h"

/* Idle handles kept; more concurrent callers get fresh handles that are closed afterwards. */
#define CLIENT_POOL_MAX 8
/* Answers larger than this are refused (a page of 500 objects of the 3 MiB maximum would be more, but such
 * lists are paged smaller by whoever expects them). */
#define CLIENT_MAX_ANSWER (512u * 1024 * 1024)
#define CLIENT_DEFAULT_PAGE 500

struct Client {
  char *server; /* no trailing slash */
  char *auth_header;
  char *user_agent;
  int ca_fd, cert_fd, key_fd; /* memfds holding the PEMs, -1 when absent */
  char ca_path[32], cert_path[32], key_path[32];
  long timeout_sec, connect_timeout_sec;
  pthread_mutex_t lock; /* guards pool and n_pool */
  CURL *pool[CLIENT_POOL_MAX];
  size_t n_pool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void) {
  curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int pem_memfd(const char *name, const char *pem, char path[static 32], Error *err) {
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return error_set(err, -errno, NULL, "memfd_create: %m");
  size_t len = strlen(pem), off = 0;
  while (off < len) {
    ssize_t n = write(fd, pem + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = -errno;
      close(fd);
      return error_set(err, e, NULL, "writing %s: %m", name);
    }
    off += (size_t)n;
  }
  (void)fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  snprintf(path, 32, "/proc/self/fd/%d", fd);
  return fd;
}

int client_new(const ClientConfig *cfg, Client **ret, Error *err) {
  if (!cfg || isempty(cfg->server) ||
      !(startswith(cfg->server, "https://") || startswith(cfg->server, "http://")))
    return error_set(err, -EINVAL, NULL, "client: the server URL must start with https:// or http://");
  if (!cfg->cert_pem != !cfg->key_pem)
    return error_set(err, -EINVAL, NULL,
                     "client: a client certificate needs its key and the other way round");
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK)
    return error_set(err, -EIO, NULL, "client: curl_global_init: %s", curl_easy_strerror(curl_init_rc));

  Client *c = xzalloc(sizeof *c);
  c->ca_fd = c->cert_fd = c->key_fd = -1;
  c->server = xstrdup(cfg->server);
  for (size_t n = strlen(c->server); n > 0 && c->server[n - 1] == '/'; n--)
    c->server[n - 1] = 0;
  if (cfg->token)
    c->auth_header = xasprintf("Authorization: Bearer %s", cfg->token);
  c->user_agent = xstrdup(cfg->user_agent ? cfg->user_agent : "coracle/" CORACLE_VERSION);
  c->timeout_sec = cfg->timeout_sec ? cfg->timeout_sec : 60;
  c->connect_timeout_sec = cfg->connect_timeout_sec ? cfg->connect_timeout_sec : 10;
  pthread_mutex_init(&c->lock, NULL);
  int rc = 0;
  if (cfg->ca_pem && (rc = c->ca_fd = pem_memfd("coracle-client-ca", cfg->ca_pem, c->ca_path, err)) < 0)
    goto fail;
  if (cfg->cert_pem &&
      ((rc = c->cert_fd = pem_memfd("coracle-client-cert", cfg->cert_pem, c->cert_path, err)) < 0 ||
       (rc = c->key_fd = pem_memfd("coracle-client-key", cfg->key_pem, c->key_path, err)) < 0))
    goto fail;
  *ret = c;
  return 0;
fail:
  client_free(c);
  return rc;
}

void client_free(Client *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->n_pool; i++)
    curl_easy_cleanup(c->pool[i]);
  pthread_mutex_destroy(&c->lock);
  if (c->ca_fd >= 0)
    close(c->ca_fd);
  if (c->cert_fd >= 0)
    close(c->cert_fd);
  if (c->key_fd >= 0)
    close(c->key_fd);
  free(c->server);
  free(c->auth_header);
  free(c->user_agent);
  free(c);
}

const char *client_server(Client *c) {
  return c->server;
}

/* ---- handles ---- */

static void handle_configure(Client *c, CURL *h) {
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_sec);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  /* Only the cluster CA is trusted: drop the distribution's default CA directory. */
  curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
  if (c->ca_fd >= 0)
    curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_path);
  if (c->cert_fd >= 0) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_path);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_path);
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  }
}

CURL *client_handle_acquire(Client *c) {
  CURL *h = NULL;
  pthread_mutex_lock(&c->lock);
  if (c->n_pool > 0)
    h = c->pool[--c->n_pool];
  pthread_mutex_unlock(&c->lock);
  if (h)
    curl_easy_reset(h); /* keeps the live connection and the TLS session cache */
  else if (!(h = curl_easy_init()))
    oom();
  handle_configure(c, h);
  return h;
}

void client_handle_release(Client *c, CURL *h) {
  if (!h)
    return;
  pthread_mutex_lock(&c->lock);
  if (c->n_pool < CLIENT_POOL_MAX) {
    c->pool[c->n_pool++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&c->lock);
  if (h)
    curl_easy_cleanup(h);
}

struct curl_slist *client_headers(Client *c, const char *content_type) {
  struct curl_slist *l = curl_slist_append(NULL, "Accept: application/json");
  /* libmicrohttpd handles 100-continue, but the extra round trip buys nothing on a trusted link. */
  l = curl_slist_append(l, "Expect:");
  if (c->auth_header)
    l = curl_slist_append(l, c->auth_header);
  if (content_type) {
    _cleanup_free_ char *ct = xasprintf("Content-Type: %s", content_type);
    l = curl_slist_append(l, ct);
  }
  if (!l)
    oom();
  return l;
}

/* ---- cancellation ---- */

struct ClientCancel {
  pthread_mutex_t lock; /* guards triggered and multi */
  bool triggered;
  CURLM *multi; /* the transfer to wake, while one runs */
};

ClientCancel *client_cancel_new(void) {
  ClientCancel *cc = xzalloc(sizeof *cc);
  pthread_mutex_init(&cc->lock, NULL);
  return cc;
}

void client_cancel_free(ClientCancel *cc) {
  if (!cc)
    return;
  pthread_mutex_destroy(&cc->lock);
  free(cc);
}

void client_cancel_trigger(ClientCancel *cc) {
  pthread_mutex_lock(&cc->lock);
  cc->triggered = true;
  if (cc->multi)
    curl_multi_wakeup(cc->multi);
  pthread_mutex_unlock(&cc->lock);
}

bool client_cancel_triggered(ClientCancel *cc) {
  pthread_mutex_lock(&cc->lock);
  bool t = cc->triggered;
  pthread_mutex_unlock(&cc->lock);
  return t;
}

void client_cancel_reset(ClientCancel *cc) {
  pthread_mutex_lock(&cc->lock);
  cc->triggered = false;
  pthread_mutex_unlock(&cc->lock);
}

/* ---- transfers ---- */

static int transport_error(CURLcode code, const char *detail, Error *err) {
  int e;
  switch (code) {
  case CURLE_COULDNT_CONNECT:
    e = -ECONNREFUSED;
    break;
  case CURLE_COULDNT_RESOLVE_HOST:
    e = -EHOSTUNREACH;
    break;
  case CURLE_OPERATION_TIMEDOUT:
    e = -ETIMEDOUT;
    break;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CIPHER:
    e = -EPROTO;
    break;
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_PARTIAL_FILE:
  case CURLE_GOT_NOTHING:
    e = -ECONNRESET;
    break;
  case CURLE_ABORTED_BY_CALLBACK:
    e = -ECANCELED;
    break;
  default:
    e = -EIO;
  }
  return error_set(err, e, NULL, "%s%s%s", curl_easy_strerror(code), isempty(detail) ? "" : ": ",
                   detail ? detail : "");
}

int client_perform(Client *c, CURL *h, ClientCancel *cancel, Error *err) {
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode code;
  if (!cancel) {
    code = curl_easy_perform(h);
  } else {
    /* A multi handle of our own so that client_cancel_trigger can wake curl_multi_poll. */
    CURLM *m = curl_multi_init();
    if (!m)
      oom();
    curl_multi_add_handle(m, h);
    pthread_mutex_lock(&cancel->lock);
    bool cancelled = cancel->triggered;
    cancel->multi = m;
    pthread_mutex_unlock(&cancel->lock);
    code = CURLE_OK;
    bool done = false;
    while (!cancelled) {
      int running = 0;
      CURLMcode mc = curl_multi_perform(m, &running);
      if (mc != CURLM_OK) {
        code = CURLE_RECV_ERROR;
        break;
      }
      CURLMsg *msg;
      int left;
      while ((msg = curl_multi_info_read(m, &left)))
        if (msg->msg == CURLMSG_DONE) {
          code = msg->data.result;
          done = true;
        }
      if (done || !running)
        break;
      if (client_cancel_triggered(cancel))
        break;
      curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    pthread_mutex_lock(&cancel->lock);
    cancel->multi = NULL;
    cancelled = cancel->triggered;
    pthread_mutex_unlock(&cancel->lock);
    curl_multi_remove_handle(m, h);
    curl_multi_cleanup(m);
    if (!done && cancelled) {
      curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
      return error_set(err, -ECANCELED, NULL, "request cancelled");
    }
  }
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
  if (code != CURLE_OK)
    return transport_error(code, errbuf, err);
  return 0;
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

typedef struct Answer {
  Buf body;
  bool too_big;
} Answer;

static size_t answer_write(char *data, size_t size, size_t nmemb, void *userdata) {
  Answer *a = userdata;
  size_t n = size * nmemb;
  if (a->body.len + n > CLIENT_MAX_ANSWER) {
    a->too_big = true;
    return 0;
  }
  buf_append(&a->body, data, n);
  return n;
}

/* The one request path of every verb but watch. */
static int do_request(Client *c, const char *method, const char *path_and_query, const char *content_type,
                      const char *body, size_t body_len, ClientCancel *cancel, json_t **ret, Error *err) {
  _cleanup_free_ char *url = xasprintf("%s%s", c->server, path_and_query);
  CURL *h = client_handle_acquire(c);
  struct curl_slist *headers =
      client_headers(c, body ? (content_type ? content_type : "application/json") : NULL);
  Answer a = {BUF_INIT, false};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_sec);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, answer_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
  if (streq(method, "GET")) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
  }
  uint64_t start = now_monotonic_usec();
  int rc = client_perform(c, h, cancel, err);
  long http = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(headers);
  client_handle_release(c, h);
  log_debug("client", "method=%s path=%s status=%ld rc=%d duration_ms=%llu", method, path_and_query, http, rc,
            (unsigned long long)((now_monotonic_usec() - start) / 1000));
  if (rc < 0 && a.too_big)
    rc = error_set(err, -E2BIG, NULL, "the answer to %s %s is larger than %u bytes", method, path_and_query,
                   CLIENT_MAX_ANSWER);
  if (rc >= 0 && (http < 200 || http > 299))
    rc = client_error_from_response(http, a.body.data, a.body.len, err);
  if (rc >= 0 && ret) {
    if (a.body.len == 0) {
      *ret = json_null();
    } else {
      json_error_t je;
      json_t *j = json_loadb(a.body.data, a.body.len, 0, &je);
      if (!j)
        rc = error_set(err, -EBADMSG, NULL, "decoding the answer to %s %s: %s", method, path_and_query,
                       je.text);
      else
        *ret = j;
    }
  }
  buf_free(&a.body);
  return rc;
}

static int do_json_request(Client *c, const char *method, const char *path_and_query,
                           const char *content_type, json_t *body, ClientCancel *cancel, json_t **ret,
                           Error *err) {
  _cleanup_free_ char *text = body ? json_compact(body) : NULL;
  return do_request(c, method, path_and_query, content_type, text, text ? strlen(text) : 0, cancel, ret, err);
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
    int rc = do_json_request(c, "GET", p.data, NULL, NULL, opts->cancel, &ans, err);
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
