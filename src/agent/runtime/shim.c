/* The per-container monitor and how the agent starts it (see shim.h). The monitor is single-threaded and
 * event-driven: poll(2) on the container's two output pipes and a signalfd for SIGCHLD. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "agent/runtime/cgroup.h"
#include "agent/runtime/crilog.h"
#include "agent/runtime/logrotate.h"
#include "agent/runtime/shim.h"
#include "api/jsonutil.h"
#include "base/buf.h"

#define SHIM_STATUS_FD 3
/* After init exits, how long leftover writers may keep the pipes open before the monitor stops reading. */
#define SHIM_DRAIN_MSEC 2000

/* ---- the agent side ---- */

int runtime_shim_start(const RuntimeConfig *cfg, const RuntimeShimRequest *req, pid_t *ret_pid,
                       pid_t *ret_shim_pid, Error *err) {
  /* Everything the children need is prepared before fork: between fork and exec only async-signal-safe
   * calls are allowed in a multi-threaded process. */
  char max_size[32], max_files[16];
  snprintf(max_size, sizeof max_size, "%lld",
           (long long)(req->log_max_size ? req->log_max_size : RUNTIME_LOG_MAX_SIZE));
  snprintf(max_files, sizeof max_files, "%d",
           req->log_max_files ? req->log_max_files : RUNTIME_LOG_MAX_FILES);
  char *argv[] = {cfg->shim_exe,
                  "agent-shim",
                  cfg->runc,
                  cfg->runc_root,
                  (char *)req->id,
                  (char *)req->bundle,
                  (char *)req->log_path,
                  (char *)req->cgroups_path,
                  max_size,
                  max_files,
                  NULL};
  _cleanup_free_ char *shim_log = xasprintf("%s/shim.log", req->bundle);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return error_set(err, -errno, NULL, "pipe: %s", strerror(errno));
  pid_t mid = fork();
  if (mid < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    return error_set(err, -e, NULL, "fork: %s", strerror(e));
  }
  if (mid == 0) {
    setsid();
    pid_t g = fork();
    if (g != 0)
      _exit(g < 0 ? 1 : 0);
    if (p[1] == SHIM_STATUS_FD)
      fcntl(p[1], F_SETFD, 0);
    else if (dup2(p[1], SHIM_STATUS_FD) < 0)
      _exit(126);
    int nul = open("/dev/null", O_RDONLY);
    int log = open(shim_log, O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (nul < 0 || log < 0)
      _exit(126);
    dup2(nul, 0);
    dup2(log, 1);
    dup2(log, 2);
    syscall(SYS_close_range, SHIM_STATUS_FD + 1, ~0U, 0);
    execv(argv[0], argv);
    _exit(127);
  }
  close(p[1]);
  int st;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
    ;
  char buf[4096];
  size_t got = 0;
  uint64_t deadline = now_monotonic_usec() + 60 * 1000000ull;
  while (got < sizeof buf - 1 && !memchr(buf, '\n', got)) {
    int64_t left = (int64_t)(deadline - now_monotonic_usec()) / 1000;
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
      break;
    ssize_t n = read(p[0], buf + got, sizeof buf - 1 - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  close(p[0]);
  buf[got] = 0;
  buf[strcspn(buf, "\n")] = 0;
  int pid = 0, shim = 0;
  if (sscanf(buf, "ok %d %d", &pid, &shim) == 2) {
    *ret_pid = pid;
    *ret_shim_pid = shim;
    return 0;
  }
  if (startswith(buf, "error "))
    return error_set(err, -EIO, NULL, "%s", buf + 6);
  return error_set(err, -EIO, NULL, "the container monitor did not report (see %s)", shim_log);
}

void runtime_exit_done(RuntimeExit *e) {
  free(e->message);
  e->message = NULL;
}

int runtime_shim_read_exit(const char *bundle, RuntimeExit *ret) {
  _cleanup_free_ char *path = xasprintf("%s/exit.json", bundle), *data = NULL;
  size_t len;
  int rc = read_file(path, &data, &len);
  if (rc < 0)
    return rc;
  _cleanup_json_ json_t *j = json_loadb(data, len, 0, NULL);
  if (!j)
    return -EBADMSG;
  *ret = (RuntimeExit){
      .exit_code = (int)jint(j, "exitCode", 0),
      .signal = (int)jint(j, "signal", 0),
      .oom_killed = json_is_true(json_object_get(j, "oomKilled")),
      .start_error = json_is_true(json_object_get(j, "startError")),
      .finished_at = jint(j, "finishedAt", 0),
      .message = jstr(j, "message") ? xstrdup(jstr(j, "message")) : NULL,
  };
  return 0;
}

bool runtime_shim_alive(const char *bundle) {
  _cleanup_free_ char *pf = xasprintf("%s/shim.pid", bundle), *data = NULL;
  if (read_file(pf, &data, NULL) < 0)
    return false;
  int pid = atoi(data);
  if (pid <= 1)
    return false;
  _cleanup_free_ char *cp = xasprintf("/proc/%d/cmdline", pid), *cmd = NULL;
  size_t len = 0;
  if (read_file(cp, &cmd, &len) < 0)
    return false;
  for (size_t i = 0; i + 1 < len; i++)
    if (!cmd[i])
      cmd[i] = ' ';
  return strstr(cmd, "agent-shim") && strstr(cmd, bundle);
}

/* ---- the monitor ---- */

typedef struct ShimStream {
  const char *name; /* "stdout" / "stderr" */
  int fd;
  Buf pending; /* bytes after the last newline */
} ShimStream;

typedef struct Shim {
  const char *runc, *root, *id, *bundle, *log_path, *cgroup;
  int log_fd;
  off_t log_size;       /* of the current file */
  int64_t log_max_size; /* rotation (logrotate.h); <= 0 = never */
  int log_max_files;
} Shim;

static uint64_t realtime_nsec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

/* Turns what arrived on a stream into records: one per complete line, long lines cut into P records. */
static void stream_emit(Shim *s, ShimStream *st, bool flush) {
  _cleanup_buf_ Buf out = BUF_INIT;
  uint64_t now = realtime_nsec();
  size_t pos = 0;
  for (;;) {
    const char *start = st->pending.data + pos;
    size_t left = st->pending.len - pos;
    const char *nl = left ? memchr(start, '\n', left) : NULL;
    if (nl && (size_t)(nl - start) <= RUNTIME_CRILOG_MAX_LINE) {
      runtime_crilog_format(&out, now, st->name, false, start, (size_t)(nl - start));
      pos += (size_t)(nl - start) + 1;
    } else if (left >= RUNTIME_CRILOG_MAX_LINE) {
      runtime_crilog_format(&out, now, st->name, true, start, RUNTIME_CRILOG_MAX_LINE);
      pos += RUNTIME_CRILOG_MAX_LINE;
    } else if (flush && left > 0) { /* the stream ended without a newline */
      runtime_crilog_format(&out, now, st->name, false, start, left);
      pos += left;
    } else {
      break;
    }
  }
  if (out.len && runtime_log_should_rotate(s->log_size, out.len, s->log_max_size)) {
    int rc = runtime_log_rotate(s->log_path, s->log_max_files, &s->log_fd);
    if (rc < 0)
      fprintf(stderr, "rotating %s: %s\n", s->log_path, strerror(-rc));
    else
      s->log_size = 0;
  }
  if (out.len) {
    write_all(s->log_fd, out.data, out.len);
    s->log_size += (off_t)out.len;
  }
  if (pos) {
    memmove(st->pending.data, st->pending.data + pos, st->pending.len - pos);
    st->pending.len -= pos;
  }
}

/* Reads what is available; false at EOF. */
static bool stream_read(Shim *s, ShimStream *st) {
  char chunk[16384];
  ssize_t n = read(st->fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0) {
    stream_emit(s, st, true);
    close(st->fd);
    st->fd = -1;
    return false;
  }
  buf_append(&st->pending, chunk, (size_t)n);
  stream_emit(s, st, false);
  return true;
}

/* Runs a runc subcommand with the given stdout/stderr and waits for it (children other than it that exit
 * meanwhile are left to the main loop's waitpid(-1)). */
static int shim_runc(Shim *s, char *const extra[], int out, int err_fd) {
  char *argv[32];
  size_t n = 0;
  _cleanup_free_ char *log = xasprintf("%s/runc.log", s->bundle);
  argv[n++] = (char *)s->runc;
  argv[n++] = "--root";
  argv[n++] = (char *)s->root;
  argv[n++] = "--log";
  argv[n++] = log;
  argv[n++] = "--log-format";
  argv[n++] = "json";
  for (size_t i = 0; extra[i] && n < ELEMENTSOF(argv) - 1; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid < 0)
    return -errno;
  if (pid == 0) {
    int nul = open("/dev/null", O_RDONLY);
    dup2(nul, 0);
    dup2(out, 1);
    dup2(err_fd, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The last error runc logged (its JSON log has {"level":"error","msg":...} lines). */
static char *runc_error(Shim *s) {
  _cleanup_free_ char *log = xasprintf("%s/runc.log", s->bundle), *data = NULL;
  char *msg = NULL;
  if (read_file(log, &data, NULL) < 0)
    return xstrdup("runc failed");
  for (char *line = data; line && *line;) {
    char *next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    json_t *j = json_loads(line, 0, NULL);
    if (j && streq_ptr(jstr(j, "level"), "error") && jstr(j, "msg")) {
      free(msg);
      msg = xstrdup(jstr(j, "msg"));
    }
    json_decref(j);
    line = next;
  }
  return msg ? msg : xstrdup("runc failed");
}

static void write_exit(Shim *s, int code, int sig, bool oom, bool start_error, const char *message) {
  _cleanup_json_ json_t *j =
      json_pack("{s:i,s:i,s:b,s:b,s:I}", "exitCode", code, "signal", sig, "oomKilled", oom, "startError",
                start_error, "finishedAt", (json_int_t)(now_realtime_usec() / 1000000u));
  if (message)
    json_object_set_new(j, "message", json_string(message));
  _cleanup_free_ char *text = json_compact(j), *path = xasprintf("%s/exit.json", s->bundle);
  write_file_atomic(path, text, strlen(text), 0644);
}

static void report(const char *fmt, ...) _printf_(1, 2);
static void report(const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof line - 2)
    n = (int)sizeof line - 2;
  for (int i = 0; i < n; i++)
    if (line[i] == '\n')
      line[i] = ' ';
  line[n++] = '\n';
  write_all(SHIM_STATUS_FD, line, (size_t)n);
  close(SHIM_STATUS_FD);
}

/* Read before `runc delete` removes the cgroup: memory.oom_control (v1) or memory.events (v2). */
static bool oom_killed(Shim *s) {
  return runtime_cgroup_oom_kills(s->cgroup) > 0;
}

static int start_failed(Shim *s) {
  _cleanup_free_ char *msg = runc_error(s);
  write_exit(s, 128, 0, false, true, msg);
  char *del[] = {"delete", "--force", (char *)s->id, NULL};
  shim_runc(s, del, 2, 2);
  report("error %s", msg);
  return 1;
}

int runtime_shim_main(int argc, char **argv) {
  if (argc != 7 && argc != 9) {
    fprintf(stderr,
            "usage: coracle agent-shim RUNC RUNC_ROOT ID BUNDLE LOG CGROUP [LOG_MAX_SIZE LOG_MAX_FILES]\n");
    return 2;
  }
  Shim s = {.runc = argv[1],
            .root = argv[2],
            .id = argv[3],
            .bundle = argv[4],
            .log_path = argv[5],
            .cgroup = argv[6],
            .log_max_size = argc == 9 ? strtoll(argv[7], NULL, 10) : 0,
            .log_max_files = argc == 9 ? atoi(argv[8]) : RUNTIME_LOG_MAX_FILES};
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    report("error cannot become a subreaper: %s", strerror(errno));
    return 1;
  }
  char pidbuf[32];
  snprintf(pidbuf, sizeof pidbuf, "%d\n", getpid());
  /* No fsync: the pid means nothing after a reboot, and the start path waits for this. */
  _cleanup_free_ char *pid_file = xasprintf("%s/shim.pid", s.bundle),
                      *pid_tmp = xasprintf("%s.tmp", pid_file);
  int pidf = open(pid_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (pidf >= 0) {
    write_all(pidf, pidbuf, strlen(pidbuf));
    close(pidf);
    rename(pid_tmp, pid_file);
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  s.log_fd = open(s.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  struct stat lst;
  if (s.log_fd >= 0 && fstat(s.log_fd, &lst) == 0)
    s.log_size = lst.st_size;
  int out[2], errp[2];
  if (sfd < 0 || s.log_fd < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
    report("error monitor setup: %s", strerror(errno));
    return 1;
  }

  _cleanup_free_ char *cpid_file = xasprintf("%s/container.pid", s.bundle);
  /* One `runc run -d` (create and start in one runc process, a Go start-up saved): it returns once the
   * container runs, and its init stays our child through the subreaper. */
  char *run[] = {"run", "-d", "--bundle", (char *)s.bundle, "--pid-file", cpid_file, (char *)s.id, NULL};
  if (shim_runc(&s, run, out[1], errp[1]) != 0)
    return start_failed(&s);
  close(out[1]);
  close(errp[1]);
  _cleanup_free_ char *cpid_text = NULL;
  pid_t cpid = read_file(cpid_file, &cpid_text, NULL) == 0 ? (pid_t)atoi(cpid_text) : 0;
  if (cpid <= 0)
    return start_failed(&s);
  report("ok %d %d", cpid, getpid());

  ShimStream streams[2] = {{.name = "stdout", .fd = out[0]}, {.name = "stderr", .fd = errp[0]}};
  for (int i = 0; i < 2; i++)
    fcntl(streams[i].fd, F_SETFL, O_NONBLOCK);
  bool exited = false;
  int code = 0, sig = 0;
  uint64_t drain_until = 0;
  for (;;) {
    struct pollfd pfd[3] = {{.fd = streams[0].fd, .events = POLLIN},
                            {.fd = streams[1].fd, .events = POLLIN},
                            {.fd = exited ? -1 : sfd, .events = POLLIN}};
    if (exited && streams[0].fd < 0 && streams[1].fd < 0)
      break;
    int timeout = -1;
    if (exited) {
      int64_t left = (int64_t)(drain_until - now_monotonic_usec()) / 1000;
      if (left <= 0)
        break;
      timeout = (int)left;
    }
    int n = poll(pfd, 3, timeout);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    for (int i = 0; i < 2; i++)
      if (streams[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        stream_read(&s, &streams[i]);
    if (pfd[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0)
        ;
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w != cpid)
          continue; /* a reparented orphan of the container, or an exited runc */
        exited = true;
        code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
        drain_until = now_monotonic_usec() + SHIM_DRAIN_MSEC * 1000ull;
      }
    }
  }
  for (int i = 0; i < 2; i++) {
    if (streams[i].fd >= 0) {
      stream_emit(&s, &streams[i], true);
      close(streams[i].fd);
    }
    buf_free(&streams[i].pending);
  }
  bool oom = oom_killed(&s);
  write_exit(&s, code, sig, oom, false, NULL);
  char *del[] = {"delete", "--force", (char *)s.id, NULL};
  shim_runc(&s, del, 2, 2);
  close(s.log_fd);
  close(sfd);
  return 0;
}
