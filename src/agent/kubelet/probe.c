/* Probe rules and the handlers shared by probes and lifecycle hooks: spec defaults, threshold counting,
 * scheduling and HTTP verdicts (pure, unit-tested), then exec (`runc exec` with a deadline), httpGet
 * (client/httpc.h over a socket of the pod's network namespace; HTTPS without verification, as kubelet does)
 * and tcpSocket (a non-blocking connect) run from the calling thread. */
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/kubelet/probe.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "client/httpc.h"

extern char **environ;

#define PROBE_BODY_MAX 10240 /* kubelet reads at most 10 KiB of a probe's response */
#define PROBE_OUTPUT_MAX 10240
#define PROBE_USER_AGENT "kube-probe/1.32"

static const char *const type_names[_KUBELET_PROBE_MAX] = {
    [KUBELET_PROBE_LIVENESS] = "Liveness",
    [KUBELET_PROBE_READINESS] = "Readiness",
    [KUBELET_PROBE_STARTUP] = "Startup",
};
static const char *const type_fields[_KUBELET_PROBE_MAX] = {
    [KUBELET_PROBE_LIVENESS] = "livenessProbe",
    [KUBELET_PROBE_READINESS] = "readinessProbe",
    [KUBELET_PROBE_STARTUP] = "startupProbe",
};
static const char *const result_names[_KUBELET_PROBE_RESULT_MAX] = {
    [KUBELET_PROBE_UNKNOWN] = "unknown",
    [KUBELET_PROBE_SUCCESS] = "success",
    [KUBELET_PROBE_FAILURE] = "failure",
};

const char *kubelet_probe_type_to_string(KubeletProbeType t) {
  return t >= 0 && t < _KUBELET_PROBE_MAX ? type_names[t] : NULL;
}

const char *kubelet_probe_type_field(KubeletProbeType t) {
  return t >= 0 && t < _KUBELET_PROBE_MAX ? type_fields[t] : NULL;
}

const char *kubelet_probe_result_to_string(KubeletProbeResult r) {
  return r >= 0 && r < _KUBELET_PROBE_RESULT_MAX ? result_names[r] : NULL;
}

/* ---- pure rules ---- */

static int int_or(json_t *o, const char *key, int def, int min) {
  json_t *v = json_object_get(o, key);
  int n = json_is_integer(v) ? (int)json_integer_value(v) : def;
  if (json_is_integer(v) && n == 0)
    n = def; /* zero means "unset" for these fields, as the API's defaulting treats it */
  return n < min ? min : n;
}

void kubelet_probe_spec_parse(json_t *probe, KubeletProbeSpec *ret) {
  json_t *d = json_object_get(probe, "initialDelaySeconds");
  ret->initial_delay_sec = json_is_integer(d) && json_integer_value(d) > 0 ? (int)json_integer_value(d) : 0;
  ret->timeout_sec = int_or(probe, "timeoutSeconds", 1, 1);
  ret->period_sec = int_or(probe, "periodSeconds", 10, 1);
  ret->success_threshold = int_or(probe, "successThreshold", 1, 1);
  ret->failure_threshold = int_or(probe, "failureThreshold", 3, 1);
  json_t *g = json_object_get(probe, "terminationGracePeriodSeconds");
  ret->grace_sec = json_is_integer(g) && json_integer_value(g) >= 0 ? json_integer_value(g) : -1;
}

KubeletProbeResult kubelet_probe_initial(KubeletProbeType t) {
  switch (t) {
  case KUBELET_PROBE_READINESS:
    return KUBELET_PROBE_FAILURE;
  case KUBELET_PROBE_LIVENESS:
    return KUBELET_PROBE_SUCCESS;
  default:
    return KUBELET_PROBE_UNKNOWN;
  }
}

void kubelet_probe_counter_init(KubeletProbeCounter *pc, KubeletProbeType t) {
  *pc = (KubeletProbeCounter){.last = KUBELET_PROBE_UNKNOWN, .run = 0, .result = kubelet_probe_initial(t)};
}

bool kubelet_probe_count(KubeletProbeCounter *pc, KubeletProbeResult raw, const KubeletProbeSpec *spec) {
  if (raw == pc->last)
    pc->run++;
  else {
    pc->last = raw;
    pc->run = 1;
  }
  if ((raw == KUBELET_PROBE_FAILURE && pc->run < spec->failure_threshold) ||
      (raw == KUBELET_PROBE_SUCCESS && pc->run < spec->success_threshold) || raw == KUBELET_PROBE_UNKNOWN)
    return false;
  bool changed = pc->result != raw;
  pc->result = raw;
  return changed;
}

uint64_t kubelet_probe_next_due(const KubeletProbeSpec *spec, uint64_t started_usec, uint64_t last_usec) {
  uint64_t first = started_usec + (uint64_t)spec->initial_delay_sec * 1000000u;
  uint64_t next = last_usec ? last_usec + (uint64_t)spec->period_sec * 1000000u : first;
  return next > first ? next : first;
}

int kubelet_probe_port(json_t *port, json_t *spec_ctr) {
  if (json_is_integer(port)) {
    json_int_t n = json_integer_value(port);
    return n > 0 && n < 65536 ? (int)n : -1;
  }
  const char *s = json_string_value(port);
  if (isempty(s))
    return -1;
  char *end;
  long n = strtol(s, &end, 10);
  if (*end == '\0')
    return n > 0 && n < 65536 ? (int)n : -1;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(spec_ctr, "ports"), i, p) {
    if (streq_ptr(jstr(p, "name"), s)) {
      json_int_t cp = jint(p, "containerPort", 0);
      return cp > 0 && cp < 65536 ? (int)cp : -1;
    }
  }
  return -1;
}

KubeletProbeResult kubelet_probe_http_verdict(long status, Buf *ret_message) {
  if (status >= 200 && status < 400)
    return KUBELET_PROBE_SUCCESS;
  buf_printf(ret_message, "HTTP probe failed with statuscode: %ld", status);
  return KUBELET_PROBE_FAILURE;
}

/* ---- the pod's network namespace ---- */

/* Moves the calling thread into /run/netns/NAME; *ret_self is the namespace to come back to. */
static int netns_enter(const char *name, int *ret_self, Buf *msg) {
  _cleanup_free_ char *path = xasprintf("/run/netns/%s", name);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    buf_printf(msg, "pod network namespace %s: %s", name, strerror(errno));
    return -errno;
  }
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    buf_printf(msg, "own network namespace: %s", strerror(errno));
    return -errno;
  }
  if (setns(fd, CLONE_NEWNET) < 0) {
    int e = errno;
    close(self);
    buf_printf(msg, "entering %s: %s", name, strerror(e));
    return -e;
  }
  *ret_self = self;
  return 0;
}

static void netns_leave(int self) {
  if (setns(self, CLONE_NEWNET) < 0)
    log_error("kubelet", "msg=\"could not return to the agent's network namespace\" err=\"%s\"",
              strerror(errno));
  close(self);
}

static const char *target_host(const KubeletHandlerTarget *t, json_t *action) {
  const char *host = jstr(action, "host");
  if (!isempty(host))
    return host;
  return !isempty(t->pod_ip) ? t->pod_ip : "127.0.0.1";
}

/* ---- tcpSocket ---- */

static KubeletProbeResult tcp_check(const char *host, int port, int timeout_sec, Buf *msg) {
  char portstr[8];
  snprintf(portstr, sizeof portstr, "%d", port);
  bool v6 = strchr(host, ':') != NULL;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
  int gai = getaddrinfo(host, portstr, &hints, &ai);
  if (gai != 0) {
    buf_printf(msg, "dial tcp: lookup %s: %s", host, gai_strerror(gai));
    return KUBELET_PROBE_FAILURE;
  }
  _cleanup_close_ int s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = s < 0 ? -1 : connect(s, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  int err = rc == 0 ? 0 : errno;
  if (rc < 0 && errno == EINPROGRESS) {
    struct pollfd p = {.fd = s, .events = POLLOUT};
    int n;
    do
      n = poll(&p, 1, timeout_sec * 1000);
    while (n < 0 && errno == EINTR);
    if (n == 0) {
      buf_printf(msg, "dial tcp %s%s%s:%d: i/o timeout", v6 ? "[" : "", host, v6 ? "]" : "", port);
      return KUBELET_PROBE_FAILURE;
    }
    socklen_t len = sizeof err;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
      err = errno;
  }
  if (err) {
    buf_printf(msg, "dial tcp %s%s%s:%d: connect: %s", v6 ? "[" : "", host, v6 ? "]" : "", port,
               err == ECONNREFUSED ? "connection refused" : strerror(err));
    return KUBELET_PROBE_FAILURE;
  }
  return KUBELET_PROBE_SUCCESS;
}

/* ---- httpGet ---- */

/* The body is read and dropped: only the status counts (kubelet reads 10 KiB); past 1 MiB the connection is
 * dropped instead, and the status already read decides. */
static int discard_body(const HttpcResponse *resp, const char *data, size_t n, void *userdata) {
  size_t *seen = userdata;
  *seen += n;
  return *seen > ((size_t)1 << 20) ? -EFBIG : 0;
}

static KubeletProbeResult http_check(const KubeletHandlerTarget *t, json_t *action, int timeout_sec,
                                     Buf *msg) {
  const char *host = target_host(t, action);
  int port = kubelet_probe_port(json_object_get(action, "port"), t->spec_ctr);
  if (port < 0) {
    json_t *p = json_object_get(action, "port");
    buf_printf(msg, "unable to resolve port %s",
               json_is_string(p) ? json_string_value(p) : "(not a number or a known name)");
    return KUBELET_PROBE_FAILURE;
  }
  const char *scheme = jstr(action, "scheme");
  bool https = scheme && strcasecmp(scheme, "HTTPS") == 0;
  const char *path = jstr(action, "path") ?: "";
  bool v6 = strchr(host, ':') != NULL;
  _cleanup_free_ char *url = xasprintf("%s://%s%s%s:%d%s%s", https ? "https" : "http", v6 ? "[" : "", host,
                                       v6 ? "]" : "", port, path[0] == '/' ? "" : "/", path);
  /* A client per probe: no connection is kept (the next probe may find the container restarted), and
   * without verification there is no trust store to load. */
  HttpcConfig cfg = {.tls = {.insecure_skip_verify = true},
                     .user_agent = PROBE_USER_AGENT,
                     .connect_timeout_ms = (unsigned)timeout_sec * 1000u};
  _cleanup_httpc_ Httpc *hc = NULL;
  if (httpc_new(&cfg, &hc, NULL) < 0) {
    buf_puts(msg, "could not create an HTTP client");
    return KUBELET_PROBE_FAILURE;
  }
  json_t *extra = json_object_get(action, "httpHeaders");
  _cleanup_free_ char **lines = xcalloc(json_array_size(extra) + 1, sizeof *lines);
  _cleanup_free_ const char **headers = xcalloc(json_array_size(extra) + 2, sizeof *headers);
  size_t nh = 0;
  bool has_accept = false;
  size_t i;
  json_t *hd;
  json_array_foreach(extra, i, hd) {
    const char *name = jstr(hd, "name"), *value = jstr(hd, "value");
    if (isempty(name) || strpbrk(name, ":\r\n") || (value && strpbrk(value, "\r\n")))
      continue;
    has_accept = has_accept || strcasecmp(name, "Accept") == 0;
    lines[nh] = xasprintf("%s: %s", name, value ? value : "");
    headers[nh] = lines[nh];
    nh++;
  }
  if (!has_accept)
    headers[nh++] = "Accept: */*";
  headers[nh] = NULL;
  /* The agent stopping closes the cancel pipe: that ends the transfer at once. */
  HttpcCancel *cancel = t->cancel_fd >= 0 ? httpc_cancel_new_from_fd(t->cancel_fd) : NULL;
  size_t seen = 0;
  HttpcRequest req = {
      .url = url,
      .headers = headers,
      .timeout_ms = (unsigned)timeout_sec * 1000u,
      .on_body = discard_body,
      .userdata = &seen,
      .cancel = cancel,
  };
  HttpcResponse resp = HTTPC_RESPONSE_INIT;
  _cleanup_error_ Error e = ERROR_INIT;
  int rc = httpc_request(hc, &req, &resp, &e);
  long status = resp.status;
  httpc_response_done(&resp);
  httpc_cancel_free(cancel);
  for (size_t k = 0; lines[k]; k++)
    free(lines[k]);
  if (rc < 0 && status == 0) {
    if (rc == -ETIMEDOUT)
      buf_printf(
          msg, "Get \"%s\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)", url);
    else if (rc == -ECONNREFUSED)
      buf_printf(msg, "Get \"%s\": dial tcp %s%s%s:%d: connect: connection refused", url, v6 ? "[" : "", host,
                 v6 ? "]" : "", port);
    else
      buf_printf(msg, "Get \"%s\": %s", url, e.message ? e.message : strerror(-rc));
    return KUBELET_PROBE_FAILURE;
  }
  return kubelet_probe_http_verdict(status, msg);
}

/* ---- exec ---- */

static KubeletProbeResult exec_check(const KubeletHandlerTarget *t, json_t *action, int timeout_sec,
                                     Buf *msg) {
  json_t *cmd = json_object_get(action, "command");
  size_t n = json_array_size(cmd);
  if (n == 0) {
    buf_puts(msg, "exec: no command");
    return KUBELET_PROBE_FAILURE;
  }
  _cleanup_free_ char **argv = xcalloc(n + 6, sizeof *argv);
  size_t a = 0;
  argv[a++] = (char *)t->runc;
  argv[a++] = "--root";
  argv[a++] = (char *)t->runc_root;
  argv[a++] = "exec";
  argv[a++] = (char *)t->ctr_id;
  for (size_t i = 0; i < n; i++)
    argv[a++] = (char *)(json_string_value(json_array_get(cmd, i)) ?: "");
  argv[a] = NULL;

  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    buf_printf(msg, "exec: pipe: %s", strerror(errno));
    return KUBELET_PROBE_FAILURE;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  _cleanup_close_ int out = p[0];
  if (rc != 0) {
    buf_printf(msg, "exec: starting %s: %s", t->runc, strerror(rc));
    return KUBELET_PROBE_FAILURE;
  }
  _cleanup_close_ int pidfd = pidfd_open(pid, 0);
  _cleanup_buf_ Buf output = BUF_INIT;
  uint64_t deadline = now_monotonic_usec() + (uint64_t)timeout_sec * 1000000u;
  bool timed_out = false, eof = false, exited = false;
  int signalled = 0;
  while (!exited) {
    uint64_t now = now_monotonic_usec();
    if (now >= deadline && !timed_out) {
      /* runc forwards SIGTERM to the process it runs; SIGKILL a second later if that was not enough. */
      timed_out = true;
      kill(pid, SIGTERM);
      signalled = SIGTERM;
      deadline = now + 1000000u;
    } else if (now >= deadline && signalled != SIGKILL) {
      kill(pid, SIGKILL);
      signalled = SIGKILL;
      deadline = now + 5000000u;
    }
    struct pollfd fds[3] = {{.fd = eof ? -1 : out, .events = POLLIN},
                            {.fd = pidfd, .events = POLLIN},
                            {.fd = timed_out ? -1 : t->cancel_fd, .events = POLLIN}};
    int left = (int)((deadline > now ? deadline - now : 0) / 1000u) + 1;
    int r = poll(fds, 3, signalled == SIGKILL && now >= deadline ? -1 : left);
    if (r < 0 && errno != EINTR)
      break;
    if (fds[2].revents)
      deadline = now; /* the agent stops: end it like a timeout */
    if (!eof && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char chunk[4096];
      ssize_t got = read(out, chunk, sizeof chunk);
      if (got <= 0)
        eof = true;
      else if (output.len < PROBE_OUTPUT_MAX)
        buf_append(&output, chunk, MIN((size_t)got, PROBE_OUTPUT_MAX - output.len));
    }
    if (pidfd < 0 || (fds[1].revents & POLLIN))
      exited = true; /* without a pidfd, the blocking waitpid below is all there is */
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  /* Output the process wrote just before it ended. */
  for (;;) {
    char chunk[4096];
    ssize_t got = eof ? 0 : read(out, chunk, sizeof chunk);
    if (got <= 0)
      break;
    if (output.len < PROBE_OUTPUT_MAX)
      buf_append(&output, chunk, MIN((size_t)got, PROBE_OUTPUT_MAX - output.len));
  }
  if (timed_out) {
    buf_printf(msg, "command \"");
    for (size_t i = 0; i < n; i++)
      buf_printf(msg, "%s%s", i ? " " : "", json_string_value(json_array_get(cmd, i)) ?: "");
    buf_printf(msg, "\" timed out");
    return KUBELET_PROBE_FAILURE;
  }
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (output.len)
    buf_append(msg, output.data, output.len);
  if (code != 0 && output.len == 0)
    buf_printf(msg, "command terminated with exit code %d", code);
  return code == 0 ? KUBELET_PROBE_SUCCESS : KUBELET_PROBE_FAILURE;
}

KubeletProbeResult kubelet_handler_run(const KubeletHandlerTarget *t, json_t *handler, int timeout_sec,
                                       Buf *ret_message) {
  if (timeout_sec < 1)
    timeout_sec = 1;
  json_t *exec = json_object_get(handler, "exec"), *http = json_object_get(handler, "httpGet");
  json_t *tcp = json_object_get(handler, "tcpSocket"), *sleep_action = json_object_get(handler, "sleep");
  if (exec)
    return exec_check(t, exec, timeout_sec, ret_message);
  if (sleep_action) {
    int64_t s = jint(sleep_action, "seconds", 0);
    if (s > timeout_sec)
      s = timeout_sec;
    uint64_t end = now_monotonic_usec() + (uint64_t)(s > 0 ? s : 0) * 1000000u;
    for (uint64_t now; (now = now_monotonic_usec()) < end;) {
      struct pollfd p = {.fd = t->cancel_fd, .events = POLLIN};
      if (poll(&p, 1, (int)((end - now) / 1000u) + 1) > 0)
        break;
    }
    return KUBELET_PROBE_SUCCESS;
  }
  if (!http && !tcp) {
    buf_puts(ret_message, json_object_get(handler, "grpc") ? "grpc probes are not supported by this agent yet"
                                                           : "no handler (exec, httpGet or tcpSocket) given");
    return KUBELET_PROBE_FAILURE;
  }
  int self = -1;
  if (t->netns && netns_enter(t->netns, &self, ret_message) < 0)
    return KUBELET_PROBE_FAILURE;
  KubeletProbeResult r;
  if (http) {
    r = http_check(t, http, timeout_sec, ret_message);
  } else {
    int port = kubelet_probe_port(json_object_get(tcp, "port"), t->spec_ctr);
    if (port < 0) {
      buf_puts(ret_message, "unable to resolve the tcpSocket port");
      r = KUBELET_PROBE_FAILURE;
    } else {
      r = tcp_check(target_host(t, tcp), port, timeout_sec, ret_message);
    }
  }
  if (self >= 0)
    netns_leave(self);
  return r;
}
