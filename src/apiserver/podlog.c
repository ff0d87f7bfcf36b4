/* pods/log answered in-process: the API server and the node agent of `coracle server` share DATA_DIR, and
 * the agent keeps, for each container, DATA_DIR/agent/pods/UID/NAME/current.log and previous.log (symlinks
 * to the CRI log files of the current and the previous instance) and current (the instance directory,
 * whose exit.json tells a follower that the stream has ended). The records are rendered by the runtime's
 * log reader (src/agent/runtime/crilog.h).
 * Later: pods of other nodes need the proxy to the agent's own HTTPS endpoint (port 10250), as
 * kube-apiserver does; a follower polls the file every 250 ms where inotify would wake it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include "agent/runtime/crilog.h"
#include "api/jsonutil.h"
#include "apiserver/podlog.h"

#define PODLOG_FOLLOW_POLL_USEC 250000

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

typedef struct Follow {
  int fd;       /* the log file */
  off_t offset; /* next byte to read */
  char *path;   /* current.log: reopened when the writer rotates the file (runtime_crilog_rotated) */
  char last_ts[RUNTIME_CRILOG_TS_MAX]; /* of the last record read: where to go on after a rotation */
  char *exit_path;
  char *ctr_dir; /* DATA_DIR/agent/pods/UID/NAME: gone once the agent removed the pod */
  int client_fd;
  RuntimeLogOptions opts;
  Buf out; /* rendered, not yet sent */
  size_t out_pos;
  Buf raw; /* read, not yet rendered (an incomplete last line) */
} Follow;

static void follow_free(void *p) {
  Follow *f = p;
  if (f->fd >= 0)
    close(f->fd);
  free(f->exit_path);
  free(f->ctr_dir);
  free(f->path);
  buf_free(&f->out);
  buf_free(&f->raw);
  free(f);
}

static bool client_gone(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLRDHUP};
  return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static ssize_t follow_fill(void *p, char *buf, size_t max) {
  Follow *f = p;
  for (int round = 0;; round++) {
    if (f->out_pos < f->out.len) {
      size_t n = MIN(max, f->out.len - f->out_pos);
      memcpy(buf, f->out.data + f->out_pos, n);
      f->out_pos += n;
      return (ssize_t)n;
    }
    buf_reset(&f->out);
    f->out_pos = 0;
    if (round > 0 && round % 8 == 0)
      return 0; /* only partial lines so far: let the server look at the connection */
    if (client_gone(f->client_fd))
      return -1;
    /* Checked before reading so that the bytes written before the exit are all sent. */
    bool ended = access(f->exit_path, F_OK) == 0 || access(f->ctr_dir, F_OK) != 0;
    /* Checked before reading too: once rotated, the old file gets no more bytes after the ones read now. */
    bool rotated = runtime_crilog_rotated(f->path, f->fd);
    char chunk[65536];
    ssize_t n = pread(f->fd, chunk, sizeof chunk, f->offset);
    if (n > 0) {
      f->offset += n;
      buf_append(&f->raw, chunk, (size_t)n);
      RuntimeLogOptions o = f->opts;
      o.tail = -1;
      size_t used = runtime_crilog_render(f->raw.data, f->raw.len, &o, &f->out);
      runtime_crilog_last_timestamp(f->raw.data, used, f->last_ts);
      memmove(f->raw.data, f->raw.data + used, f->raw.len - used);
      f->raw.len -= used;
      continue;
    }
    if (rotated) { /* the rest is in the next file (runtime_crilog_open_next) */
      int fd = runtime_crilog_open_next(f->path, f->last_ts);
      if (fd >= 0) {
        close(f->fd);
        f->fd = fd;
        f->offset = 0;
        continue;
      }
    }
    if (ended)
      return -1;
    usleep(PODLOG_FOLLOW_POLL_USEC);
    return 0;
  }
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
  json_t *containers = jpath(o->obj, "spec.containers");
  const char *container = http_query(req, "container");
  if (isempty(container)) {
    if (json_array_size(containers) != 1) {
      _cleanup_buf_ Buf names = BUF_INIT;
      size_t i;
      json_t *c;
      json_array_foreach(containers, i, c) buf_printf(&names, "%s%s", i ? " " : "", jstr(c, "name"));
      respond(resp, -EBADMSG, 400, "BadRequest",
              "a container name must be specified for pod %s, choose one of: [%s]", name,
              names.data ? names.data : "");
      return;
    }
    container = jstr(json_array_get(containers, 0), "name");
  }
  bool known = false;
  size_t i;
  json_t *c;
  json_array_foreach(containers, i, c) known = known || streq_ptr(jstr(c, "name"), container);
  json_array_foreach(jpath(o->obj, "spec.initContainers"), i, c) known =
      known || streq_ptr(jstr(c, "name"), container);
  if (!known || isempty(container)) {
    respond(resp, -EBADMSG, 400, "BadRequest", "container %s is not valid for pod %s", container, name);
    return;
  }
  RuntimeLogOptions opts = {.tail = -1};
  int64_t v;
  if (http_query_int(req, "tailLines", -1, &v, &e) < 0) {
    http_respond_json(resp, 400, status_from_error(&e, NULL, NULL));
    return;
  }
  opts.tail = v;
  if (http_query_int(req, "sinceSeconds", 0, &v, &e) < 0) {
    http_respond_json(resp, 400, status_from_error(&e, NULL, NULL));
    return;
  }
  if (v > 0)
    opts.since_sec = (int64_t)(now_realtime_usec() / 1000000u) - v;
  opts.timestamps = http_query_bool(req, "timestamps");
  bool previous = http_query_bool(req, "previous");
  const char *uid = jstr(o->obj, "metadata.uid");
  _cleanup_free_ char *base = xasprintf("%s/agent/pods/%s/%s", s->opts.data_dir, uid ? uid : "_", container);
  _cleanup_free_ char *path = xasprintf("%s/%s", base, previous ? "previous.log" : "current.log");
  _cleanup_buf_ Buf out = BUF_INIT;
  off_t end = 0;
  int rc = runtime_crilog_render_file(path, &opts, &out, &end);
  if (rc == -ENOENT) {
    if (previous)
      respond(resp, -EBADMSG, 400, "BadRequest",
              "previous terminated container \"%s\" in pod \"%s\" not found", container, name);
    else
      respond(resp, -EBADMSG, 400, "BadRequest", "container \"%s\" in pod \"%s\" is waiting to start: %s",
              container, name,
              isempty(jstr(o->obj, "spec.nodeName")) ? "no node assigned" : "ContainerCreating");
    return;
  }
  if (rc < 0) {
    respond(resp, rc, 500, "InternalError", "reading the log of container \"%s\": %s", container,
            strerror(-rc));
    return;
  }
  if (!http_query_bool(req, "follow") || previous) {
    http_respond_raw(resp, 200, "text/plain", out.data ? out.data : "", out.len);
    return;
  }
  Follow *f = xzalloc(sizeof *f);
  f->fd = open(path, O_RDONLY | O_CLOEXEC);
  f->offset = end;
  f->path = xstrdup(path);
  if (f->fd >= 0)
    runtime_crilog_file_last_timestamp(f->fd, end, f->last_ts);
  f->exit_path = xasprintf("%s/current/exit.json", base);
  f->ctr_dir = xstrdup(base);
  f->client_fd = req->fd;
  f->opts = opts;
  f->out = out;
  out = (Buf)BUF_INIT;
  resp->status = 200;
  snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
  resp->stream = (HttpStream){.fill = follow_fill, .free = follow_free, .state = f};
}
