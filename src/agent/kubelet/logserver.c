/* GET /containerLogs/NS/POD/CONTAINER on the agent's HTTPS port (logserver.h): the container's CRI log
 * files rendered by the runtime's reader (src/agent/runtime/crilog.h).
 *
 * Files: the agent keeps, per container, DATA_DIR/agent/pods/UID/NAME/current.log and previous.log
 * (symlinks to the CRI log files of the current and the previous instance) and `current` (a symlink to the
 * instance directory, whose exit.json says that the instance ended). The log files are the truth about
 * what can be read; the pod's status only words the error while there is none (the informer's copy of the
 * status may lag the files by a round trip).
 *
 * Follow: resolved at the start to the instance's own log file and exit.json, so that a restart (a new
 * instance, current.log moved on) ends the stream as it does on a kubelet, while a rotation of that file
 * (logrotate.h) is followed into the next one. The file is polled every 250 ms, where inotify would wake it;
 * the wait is on the agent's stop condition so that a stopping agent ends every stream at once. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "agent/kubelet/kubelet-internal.h"
#include "agent/kubelet/logserver.h"
#include "agent/runtime/logquery.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "base/strv.h"

#define LOGSERVER_POLL_USEC 250000
#define LOGSERVER_READ_CHUNK 65536

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code, char *body) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
  enum MHD_Result ret = MHD_queue_response(conn, code, r);
  MHD_destroy_response(r);
  return ret;
}

char *kubelet_log_waiting_message(json_t *st, const char *container, const char *pod) {
  const char *reason = jstr(st, "state.waiting.reason");
  if (!st || isempty(reason))
    reason = "ContainerCreating"; /* what a kubelet's status manager says of a container not started yet */
  if (streq(reason, "ErrImagePull"))
    return xasprintf("container \"%s\" in pod \"%s\" is waiting to start: image can't be pulled", container,
                     pod);
  if (streq(reason, "ImagePullBackOff"))
    return xasprintf("container \"%s\" in pod \"%s\" is waiting to start: trying and failing to pull image",
                     container, pod);
  return xasprintf("container \"%s\" in pod \"%s\" is waiting to start: %s", container, pod, reason);
}

static json_t *find_named(json_t *arr, const char *name) {
  size_t i;
  json_t *c;
  json_array_foreach(arr, i, c) if (streq_ptr(jstr(c, "name"), name)) return c;
  return NULL;
}

static const char *query_get(void *userdata, const char *name) {
  struct MHD_Connection *conn = userdata;
  const char *v = NULL;
  size_t len = 0;
  if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v, &len) != MHD_YES)
    return NULL;
  return v ? v : "";
}

/* ---- follow ---- */

typedef struct Follow {
  Kubelet *k;
  struct MHD_Connection *conn;
  int fd;          /* the instance's log file */
  off_t offset;    /* next byte to read */
  char *path;      /* its path (not the current.log symlink): reopened after a rotation */
  char *exit_path; /* the instance's exit.json */
  char *inst_dir;  /* the instance's directory: removed when the next instance starts or the pod goes */
  char last_ts[RUNTIME_CRILOG_TS_MAX];
  RuntimeLogOptions opts;
  int64_t left; /* of limitBytes; -1 = no limit */
  Buf out;      /* rendered, not yet sent */
  size_t out_pos;
  Buf raw; /* read, not yet rendered (an incomplete last line) */
} Follow;

static void follow_free(void *p) {
  Follow *f = p;
  if (f->fd >= 0)
    close(f->fd);
  free(f->path);
  free(f->exit_path);
  free(f->inst_dir);
  buf_free(&f->out);
  buf_free(&f->raw);
  free(f);
}

static bool client_gone(struct MHD_Connection *conn) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!ci)
    return true;
  struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* Sleeps one poll period; false when the agent is stopping. */
static bool nap(Kubelet *k) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += LOGSERVER_POLL_USEC * 1000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&k->stop_lock);
  while (!k->stopping && pthread_cond_timedwait(&k->stop_cond, &k->stop_lock, &until) == 0)
    ;
  bool go_on = !k->stopping;
  pthread_mutex_unlock(&k->stop_lock);
  return go_on;
}

static ssize_t follow_read(void *p, uint64_t pos, char *buf, size_t max) {
  Follow *f = p;
  for (;;) {
    if (f->out_pos < f->out.len) {
      size_t n = MIN(max, f->out.len - f->out_pos);
      if (f->left >= 0) {
        if (f->left == 0)
          return MHD_CONTENT_READER_END_OF_STREAM;
        n = (size_t)MIN((int64_t)n, f->left);
        f->left -= (int64_t)n;
      }
      memcpy(buf, f->out.data + f->out_pos, n);
      f->out_pos += n;
      return (ssize_t)n;
    }
    buf_reset(&f->out);
    f->out_pos = 0;
    if (f->left == 0 || f->fd < 0)
      return MHD_CONTENT_READER_END_OF_STREAM;
    if (client_gone(f->conn)) /* the end of a stream nobody reads (END_WITH_ERROR only adds a log line) */
      return MHD_CONTENT_READER_END_OF_STREAM;
    /* Both looked at before reading, so that the bytes written before the exit (or the rotation) are all
     * read before the stream ends (or moves to the next file). The instance's directory (with its
     * exit.json) is removed when the next instance starts, which can happen within one poll period of the
     * exit (the first restart is not delayed): a missing directory means ended too. */
    bool ended = access(f->exit_path, F_OK) == 0 || access(f->inst_dir, F_OK) != 0;
    bool rotated = runtime_crilog_rotated(f->path, f->fd);
    _cleanup_free_ char *chunk = xmalloc(LOGSERVER_READ_CHUNK);
    ssize_t n = pread(f->fd, chunk, LOGSERVER_READ_CHUNK, f->offset);
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
    if (rotated) {
      int fd = runtime_crilog_open_next(f->path, f->last_ts);
      if (fd >= 0) {
        close(f->fd);
        f->fd = fd;
        f->offset = 0;
        continue;
      }
    }
    if (ended || !nap(f->k))
      return MHD_CONTENT_READER_END_OF_STREAM;
  }
}

/* The instance number in a log path ".../N.log" copied to out; its length, or 0 when the name is not one. */
static ssize_t instance_of_log(const char *path, char *out, size_t size) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t digits = strspn(base, "0123456789");
  if (digits == 0 || digits >= size || !streq(base + digits, ".log"))
    return 0;
  memcpy(out, base, digits);
  out[digits] = 0;
  return (ssize_t)digits;
}

/* ---- the request ---- */

enum MHD_Result kubelet_logserver_handle(Kubelet *k, struct MHD_Connection *conn, const char *url) {
  /* /containerLogs/NS/POD/CONTAINER */
  _cleanup_strv_free_ char **seg = strv_split(url + strlen("/containerLogs/"), '/');
  if (strv_length(seg) != 3 || isempty(seg[0]) || isempty(seg[1]) || isempty(seg[2]))
    return respond(conn, 404, xstrdup("404 page not found"));
  const char *ns = seg[0], *name = seg[1], *container = seg[2];
  RuntimeLogQuery q;
  int rc = runtime_log_query_parse(query_get, conn, (int64_t)(now_realtime_usec() / 1000000u), &q, NULL);
  if (rc == -EBADMSG)
    return respond(conn, 400, xstrdup("{\"message\": \"Unable to decode query.\"}"));
  if (rc < 0)
    return respond(conn, 422, xstrdup("{\"message\": \"Invalid request.\"}"));
  _cleanup_json_ json_t *pod = informer_get_by_name(k->pods, ns, name);
  if (!pod)
    return respond(conn, 404, xasprintf("pod \"%s\" does not exist", name));
  json_t *st = find_named(jpath(pod, "status.containerStatuses"), container);
  if (!find_named(jpath(pod, "spec.containers"), container)) {
    if (!find_named(jpath(pod, "spec.initContainers"), container))
      return respond(conn, 404, xasprintf("container \"%s\" not found in pod \"%s\"", container, name));
    st = find_named(jpath(pod, "status.initContainerStatuses"), container);
  }
  _cleanup_free_ char *pod_dir = runtime_pod_dir(&k->rt, jstr(pod, "metadata.uid") ?: "_");
  _cleanup_free_ char *ctr_dir = xasprintf("%s/%s", pod_dir, container);
  _cleanup_free_ char *link = xasprintf("%s/%s", ctr_dir, q.previous ? "previous.log" : "current.log");
  /* The instance's own file: a restart moves current.log on, a rotation renames the file away. */
  _cleanup_free_ char *path = realpath(link, NULL);
  _cleanup_buf_ Buf out = BUF_INIT;
  off_t end = 0;
  rc = path ? runtime_crilog_render_file(path, &q.opts, &out, &end) : -ENOENT;
  if (rc == -ENOENT) {
    if (q.previous)
      return respond(
          conn, 400,
          xasprintf("previous terminated container \"%s\" in pod \"%s\" not found", container, name));
    return respond(conn, 400, kubelet_log_waiting_message(st, container, name));
  }
  if (rc < 0)
    return respond(conn, 500, xasprintf("reading the log of container \"%s\": %s", container, strerror(-rc)));
  if (q.limit_bytes > 0 && out.len > (size_t)q.limit_bytes)
    out.len = (size_t)q.limit_bytes;
  if (!q.follow || q.previous || (q.limit_bytes > 0 && out.len == (size_t)q.limit_bytes)) {
    size_t len = 0;
    char *data = buf_steal(&out, &len);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, data ? data : xstrdup(""), MHD_RESPMEM_MUST_FREE);
    if (!r)
      return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
  }
  /* The instance is the one whose file was opened: its log is named INSTANCE.log (pod.c), which ties the
   * two together even when a restart moves current.log and current between the two lookups. */
  char target[64];
  ssize_t tl = instance_of_log(path, target, sizeof target);
  if (tl <= 0) {
    _cleanup_free_ char *cur = xasprintf("%s/current", ctr_dir);
    tl = readlink(cur, target, sizeof target - 1);
  }
  Follow *f = xzalloc(sizeof *f);
  f->k = k;
  f->conn = conn;
  f->fd = open(path, O_RDONLY | O_CLOEXEC);
  f->offset = end;
  f->path = TAKE_PTR(path);
  if (f->fd >= 0)
    runtime_crilog_file_last_timestamp(f->fd, end, f->last_ts);
  if (tl > 0) {
    target[tl] = 0;
    f->inst_dir = xasprintf("%s/%s", ctr_dir, target);
  } else {
    f->inst_dir = xasprintf("%s/current", ctr_dir);
  }
  f->exit_path = xasprintf("%s/exit.json", f->inst_dir);
  f->opts = q.opts;
  f->left = q.limit_bytes > 0 ? q.limit_bytes : -1;
  f->out = out;
  out = (Buf)BUF_INIT;
  struct MHD_Response *r =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, follow_read, f, follow_free);
  if (!r) {
    follow_free(f);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", "text/plain");
  enum MHD_Result ret = MHD_queue_response(conn, 200, r);
  MHD_destroy_response(r);
  log_debug("kubelet", "pod=%s/%s container=%s msg=\"log follow started\"", ns, name, container);
  return ret;
}
