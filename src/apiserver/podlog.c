/* pods/log (podlog.h): the API server's half of `kubectl logs`. The container's log is served by the agent
 * of the pod's node (src/agent/kubelet/logserver.c, GET /containerLogs/... on its HTTPS port 10250); this
 * file validates the request as kube-apiserver does, finds the node's address and port in its Node object
 * and relays the agent's answer.
 *
 * Relaying a stream: the HTTP client (src/client/httpc.h) hands a body over through a callback while the
 * API server's streams are pulled (HttpStream.fill), so a follow runs the request on a pump thread of its
 * own that fills a buffer (at most PODLOG_PENDING_MAX ahead of the client, then the pump waits) and fill
 * takes from it. The handler waits for the agent's answer head (the client's on_head), the end of the
 * answer or PODLOG_HEAD_WAIT_USEC (longer than the connect timeout, so that an agent's error or an
 * unreachable agent is still answered as a Status); an empty log followed gets its 200 at once. The stream
 * ends when the agent
 * ends it (the container's instance ended), when the client goes away (the pump is cancelled and joined in
 * free) or when the server stops. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>

#include "agent/runtime/logquery.h"
#include "api/jsonutil.h"
#include "apiserver/podlog.h"
#include "base/log.h"
#include "client/httpc.h"

#define PODLOG_CONNECT_TIMEOUT_MS 3000
#define PODLOG_HEAD_WAIT_USEC 5000000ull
#define PODLOG_PENDING_MAX (1u << 20)
#define PODLOG_MAX_BODY (256u << 20)

struct PodLogClient {
  Httpc *http;
};

static pthread_mutex_t podlog_client_lock = PTHREAD_MUTEX_INITIALIZER;

void podlog_client_free(struct PodLogClient *c) {
  if (!c)
    return;
  httpc_free(c->http);
  free(c);
}

/* The client with the admin certificate (what the metrics scraper uses too), made on first use. */
static Httpc *podlog_client(ApiServer *s, Error *err) {
  pthread_mutex_lock(&podlog_client_lock);
  if (!s->podlog) {
    _cleanup_free_ char *dir = xasprintf("%s/server/tls", s->opts.data_dir);
    _cleanup_free_ char *ca = xasprintf("%s/server-ca.crt", dir),
                        *crt = xasprintf("%s/client-admin.crt", dir),
                        *key = xasprintf("%s/client-admin.key", dir);
    HttpcConfig cfg = {.tls = {.ca_file = ca, .cert_file = crt, .key_file = key},
                       .user_agent = "coracle-apiserver",
                       .connect_timeout_ms = PODLOG_CONNECT_TIMEOUT_MS,
                       .max_idle_per_origin = 2};
    Httpc *h = NULL;
    if (httpc_new(&cfg, &h, err) >= 0) {
      s->podlog = xzalloc(sizeof *s->podlog);
      s->podlog->http = h;
    }
  }
  Httpc *h = s->podlog ? s->podlog->http : NULL;
  pthread_mutex_unlock(&podlog_client_lock);
  return h;
}

static void respond(HttpResponse *resp, int code, int http, const char *reason, const char *fmt, ...)
    _printf_(5, 6);
static void respond(HttpResponse *resp, int code, int http, const char *reason, const char *fmt, ...) {
  _cleanup_error_ Error e = ERROR_INIT;
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    oom();
  va_end(ap);
  error_setk(&e, code, http, reason, "%s", msg);
  http_respond_json(resp, http, status_from_error(&e, NULL, NULL));
}

/* An agent's non-200 answer as kube-apiserver's GenericHttpResponseChecker turns it into a Status. */
static void respond_agent_error(HttpResponse *resp, const ApiResource *r, const char *name, int status,
                                const char *body, size_t len) {
  _cleanup_free_ char *text = xstrndup(body ? body : "", MIN(len, (size_t)50000));
  text[strcspn(text, "\n")] = 0; /* the kubelet's `pod "x" does not exist\n` */
  _cleanup_error_ Error e = ERROR_INIT;
  if (status == 400)
    error_setk(&e, -EBADMSG, 400, "BadRequest", "%s", text);
  else if (status == 404)
    error_setk(&e, -ENOENT, 404, "NotFound", "%s",
               *text ? text : "the server could not find the requested resource");
  else if (status == 500)
    error_setk(&e, -EIO, 500, "InternalError", "Internal error occurred: %s", text);
  else if (status == 401)
    error_setk(&e, -EPERM, 401, "Unauthorized", "the server has asked for the client to provide credentials");
  else if (status == 403)
    error_setk(&e, -EACCES, 403, "Forbidden", "%s", text);
  else
    error_setk(&e, -EIO, status, "",
               "the server responded with the status code %d but did not return more "
               "information (get pods/log %s)%s%s",
               status, name, *text ? ": " : "", text);
  http_respond_json(resp, error_http_status(&e), status_from_error(&e, r, name));
}

/* ---- the pump: one follow request relayed ---- */

typedef struct Pump {
  pthread_mutex_t lock; /* guards everything below up to `done` */
  pthread_cond_t cond;  /* data came, data was taken, the answer ended, or cancelled */
  Buf data;             /* received, not yet handed to fill */
  size_t pos;
  int status; /* of the answer, once known */
  bool got_head, got_body, done, cancelled;
  int rc;      /* httpc_request's, once done */
  Error error; /* its error */
  /* set before the thread starts */
  ApiServer *s;
  Httpc *http;
  char *url;
  HttpcCancel *cancel;
  int client_fd;
  pthread_t thread;
} Pump;

static int pump_body(const HttpcResponse *resp, const char *data, size_t len, void *userdata) {
  Pump *p = userdata;
  pthread_mutex_lock(&p->lock);
  p->status = resp->status;
  p->got_body = true;
  buf_append(&p->data, data, len);
  pthread_cond_broadcast(&p->cond);
  while (!p->cancelled && p->data.len - p->pos > PODLOG_PENDING_MAX)
    pthread_cond_wait(&p->cond, &p->lock);
  bool stop = p->cancelled;
  pthread_mutex_unlock(&p->lock);
  return stop ? -ECANCELED : 0;
}

static int pump_head(const HttpcResponse *resp, void *userdata) {
  Pump *p = userdata;
  pthread_mutex_lock(&p->lock);
  p->status = resp->status;
  p->got_head = true;
  pthread_cond_broadcast(&p->cond);
  bool stop = p->cancelled;
  pthread_mutex_unlock(&p->lock);
  return stop ? -ECANCELED : 0;
}

static void *pump_thread(void *arg) {
  Pump *p = arg;
  HttpcRequest req = {
      .url = p->url, .on_body = pump_body, .on_head = pump_head, .userdata = p, .cancel = p->cancel};
  HttpcResponse resp = HTTPC_RESPONSE_INIT;
  Error e = ERROR_INIT;
  int rc = httpc_request(p->http, &req, &resp, &e);
  pthread_mutex_lock(&p->lock);
  if (resp.status)
    p->status = resp.status;
  p->rc = rc;
  p->error = e;
  p->done = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->lock);
  httpc_response_done(&resp);
  return NULL;
}

static void pump_free(void *arg) {
  Pump *p = arg;
  pthread_mutex_lock(&p->lock);
  p->cancelled = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->lock);
  httpc_cancel_trigger(p->cancel);
  pthread_join(p->thread, NULL);
  httpc_cancel_free(p->cancel);
  error_reset(&p->error);
  buf_free(&p->data);
  free(p->url);
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

static bool client_gone(int fd) {
  struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
  return fd >= 0 && poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static void deadline_in(struct timespec *ts, uint64_t usec) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += (time_t)(usec / 1000000u);
  ts->tv_nsec += (long)(usec % 1000000u) * 1000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

static ssize_t pump_fill(void *arg, char *buf, size_t max) {
  Pump *p = arg;
  if (atomic_load(&p->s->stopping) || client_gone(p->client_fd))
    return -1;
  pthread_mutex_lock(&p->lock);
  if (p->pos == p->data.len && !p->done) {
    struct timespec until;
    deadline_in(&until, 1000000u);
    pthread_cond_timedwait(&p->cond, &p->lock, &until);
  }
  ssize_t n = 0;
  if (p->pos < p->data.len) {
    n = (ssize_t)MIN(max, p->data.len - p->pos);
    memcpy(buf, p->data.data + p->pos, (size_t)n);
    p->pos += (size_t)n;
    if (p->pos == p->data.len) {
      buf_reset(&p->data);
      p->pos = 0;
    }
    pthread_cond_broadcast(&p->cond); /* room for the pump */
  } else if (p->done) {
    n = -1;
  }
  pthread_mutex_unlock(&p->lock);
  return n;
}

static void relay_follow(ApiServer *s, HttpRequest *req, HttpResponse *resp, const ApiResource *r,
                         const char *name, Httpc *http, const char *url) {
  Pump *p = xzalloc(sizeof *p);
  pthread_mutex_init(&p->lock, NULL);
  cond_init_monotonic(&p->cond);
  p->s = s;
  p->http = http;
  p->url = xstrdup(url);
  p->cancel = httpc_cancel_new();
  p->client_fd = req->fd;
  if (pthread_create(&p->thread, NULL, pump_thread, p) != 0) {
    httpc_cancel_free(p->cancel);
    free(p->url);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
    respond(resp, -EAGAIN, 500, "InternalError", "Internal error occurred: cannot start a log stream");
    return;
  }
  /* The answer's head, the end, or the wait's end (see the top of the file). */
  struct timespec until;
  deadline_in(&until, PODLOG_HEAD_WAIT_USEC);
  pthread_mutex_lock(&p->lock);
  while (!p->got_head && !p->got_body && !p->done && !atomic_load(&s->stopping) &&
         pthread_cond_timedwait(&p->cond, &p->lock, &until) == 0)
    ;
  bool answered = p->got_head || p->got_body;
  bool error = (p->done && p->rc < 0 && !answered) || ((answered || p->done) && p->status != 200);
  if (error) { /* an error answer is short and complete: wait for its end */
    deadline_in(&until, 5000000u);
    while (!p->done && pthread_cond_timedwait(&p->cond, &p->lock, &until) == 0)
      ;
  }
  pthread_mutex_unlock(&p->lock);
  if (!error) {
    resp->status = 200;
    snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
    resp->stream = (HttpStream){.fill = pump_fill, .free = pump_free, .state = p};
    return;
  }
  if (p->rc < 0 && !answered)
    respond(resp, p->rc, 500, "", "Get \"%s\": %s", url,
            p->error.message ? p->error.message : strerror(-p->rc));
  else
    respond_agent_error(resp, r, name, p->status, p->data.data, p->data.len);
  pump_free(p);
}

/* ---- the request ---- */

static const char *query_get(void *userdata, const char *name) {
  return http_query(userdata, name);
}

static void join_names(Buf *b, json_t *containers) {
  size_t i;
  json_t *c;
  json_array_foreach(containers, i, c) buf_printf(b, "%s%s", i ? " " : "", jstr(c, "name") ?: "");
}

static bool has_container(json_t *pod, const char *name) {
  static const char *const lists[] = {"spec.containers", "spec.initContainers", "spec.ephemeralContainers"};
  for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
    size_t i;
    json_t *c;
    json_array_foreach(jpath(pod, lists[l]), i, c) if (streq_ptr(jstr(c, "name"), name)) return true;
  }
  return false;
}

/* The node's address for its agent: InternalIP, else ExternalIP (kube-apiserver's
 * --kubelet-preferred-address-types without the DNS and Hostname kinds, which need a resolver). */
static const char *node_address(json_t *node) {
  static const char *const kinds[] = {"InternalIP", "ExternalIP"};
  for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
    size_t i;
    json_t *a;
    json_array_foreach(jpath(node, "status.addresses"), i,
                       a) if (streq_ptr(jstr(a, "type"), kinds[k]) &&
                              !isempty(jstr(a, "address"))) return jstr(a, "address");
  }
  return NULL;
}

void podlog_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp, const ApiResource *r, const char *ns,
                   const char *name) {
  if (!streq(req->method, "GET")) {
    respond(resp, -EOPNOTSUPP, 405, "MethodNotAllowed",
            "the server does not allow this method on the requested resource");
    return;
  }
  _cleanup_error_ Error e = ERROR_INIT;
  _cleanup_cache_obj_ CacheObj *o = NULL;
  if (registry_get(s, r, ns, name, &o, &e) < 0) {
    http_respond_json(resp, error_http_status(&e), status_from_error(&e, r, name));
    return;
  }
  /* kube-apiserver's LogLocation: the container first. */
  json_t *containers = jpath(o->obj, "spec.containers");
  const char *container = http_query(req, "container");
  if (isempty(container)) {
    if (json_array_size(containers) != 1) {
      _cleanup_buf_ Buf names = BUF_INIT;
      buf_puts(&names, "");
      join_names(&names, containers);
      json_t *inits = jpath(o->obj, "spec.initContainers");
      if (json_array_size(inits)) {
        buf_puts(&names, "] or one of the init containers: [");
        join_names(&names, inits);
      }
      respond(resp, -EBADMSG, 400, "BadRequest", "a container name must be specified for pod %s%s%s%s", name,
              json_array_size(containers) ? ", choose one of: [" : "",
              json_array_size(containers) ? names.data : "", json_array_size(containers) ? "]" : "");
      return;
    }
    container = jstr(json_array_get(containers, 0), "name");
  } else if (!has_container(o->obj, container)) {
    respond(resp, -EBADMSG, 400, "BadRequest", "container %s is not valid for pod %s", container, name);
    return;
  }
  RuntimeLogQuery q;
  int rc = runtime_log_query_parse(query_get, req, (int64_t)(now_realtime_usec() / 1000000u), &q, &e);
  if (rc == -EINVAL) {
    _cleanup_buf_ Buf msg = BUF_INIT;
    buf_printf(&msg, "PodLogOptions \"%s\" is invalid: %s", name, e.n_causes > 1 ? "[" : "");
    for (size_t i = 0; i < e.n_causes; i++)
      buf_printf(&msg, "%s%s%s%s", i ? ", " : "", e.causes[i].field ?: "", e.causes[i].field ? ": " : "",
                 e.causes[i].message ?: "");
    buf_puts(&msg, e.n_causes > 1 ? "]" : "");
    free(e.message);
    e.message = buf_steal(&msg, NULL);
    e.http = 422;
    free(e.reason);
    e.reason = xstrdup("Invalid");
    json_t *st = status_from_error(&e, NULL, name);
    json_object_set_new(json_object_get(st, "details"), "kind", json_string("PodLogOptions"));
    http_respond_json(resp, 422, st);
    return;
  }
  if (rc < 0) {
    http_respond_json(resp, 400, status_from_error(&e, NULL, NULL));
    return;
  }
  const char *node_name = jstr(o->obj, "spec.nodeName");
  if (isempty(node_name)) { /* not scheduled: an empty log, as kube-apiserver answers */
    http_respond_raw(resp, 200, "text/plain", "", 0);
    return;
  }
  _cleanup_cache_obj_ CacheObj *node = NULL;
  const ApiResource *nodes = api_resource_find("", "v1", "nodes");
  if (registry_get(s, nodes, NULL, node_name, &node, &e) < 0) {
    http_respond_json(resp, error_http_status(&e), status_from_error(&e, nodes, node_name));
    return;
  }
  /* This server's own agent is asked on loopback: its serving certificate (the API server's) names 127.0.0.1
   * and the node's address (given with --node-ip or detected); loopback needs no route. */
  const char *addr = streq_ptr(node_name, s->opts.node_name) ? "127.0.0.1" : node_address(node->obj);
  if (!addr) {
    respond(resp, -EADDRNOTAVAIL, 500, "InternalError",
            "Internal error occurred: no preferred addresses found for node %s", node_name);
    return;
  }
  int64_t port = jint(node->obj, "status.daemonEndpoints.kubeletEndpoint.Port", 0);
  if (port <= 0 || port > 65535)
    port = 10250;
  Httpc *http = podlog_client(s, &e);
  if (!http) {
    respond(resp, -EIO, 500, "InternalError", "Internal error occurred: %s",
            e.message ?: "no client certificate");
    return;
  }
  bool v6 = strchr(addr, ':') != NULL;
  _cleanup_buf_ Buf url = BUF_INIT;
  buf_printf(&url, "https://%s%s%s:%d/containerLogs/", v6 ? "[" : "", addr, v6 ? "]" : "", (int)port);
  httpc_put_escaped(&url, ns);
  buf_putc(&url, '/');
  httpc_put_escaped(&url, name);
  buf_putc(&url, '/');
  httpc_put_escaped(&url, container);
  size_t before = url.len;
  buf_putc(&url, '?');
  runtime_log_query_format(&q, &url);
  if (url.len == before + 1)
    url.data[--url.len] = 0;
  if (q.follow) {
    relay_follow(s, req, resp, r, name, http, url.data);
    return;
  }
  HttpcRequest hr = {.url = url.data, .timeout_ms = 120000, .max_body = PODLOG_MAX_BODY};
  HttpcResponse ans = HTTPC_RESPONSE_INIT;
  rc = httpc_request(http, &hr, &ans, &e);
  if (rc < 0)
    respond(resp, rc, 500, "", "Get \"%s\": %s", url.data, e.message ?: strerror(-rc));
  else if (ans.status != 200)
    respond_agent_error(resp, r, name, ans.status, ans.body.data, ans.body.len);
  else
    http_respond_raw(resp, 200, "text/plain", ans.body.data ? ans.body.data : "", ans.body.len);
  httpc_response_done(&ans);
}
