/* Load generator of bench-scheduler.sh, in C so that it takes little of the CPU the server under test needs
 * (bench-scheduler-load.py, kept as LOADER=py, does the same work for several times the CPU). It creates N
 * pods as fast as THREADS keep-alive HTTPS connections allow (one creator thread each, bearer token), watches
 * the namespace's pods on a thread of its own, and reports scheduling throughput (pods bound per second, from
 * the first create to the last binding seen) and create→bound latency percentiles (from the create's 201
 * answer to the first watch event whose object has a non-empty spec.nodeName; both clocks are this
 * process's).
 *
 * With a SCHEDULER command line (the server then runs none), all N pods are created first, then the command
 * is started (and SIGTERMed at the end): bound_per_s then counts from its start to the last binding,
 * scheduling alone, and the latencies include the wait for the scheduler.
 *
 * Usage: bench-scheduler-load URL CA_FILE TOKEN_FILE N THREADS [SCHEDULER...]   (URL: https://IPv4:PORT)
 * Prints one line: pods=N threads=T bound=B create_per_s=.. bound_per_s=.. p50_ms=.. p99_ms=.. max_ms=..
 * wall_s=.. [sched_cpu_s=..] loader_cpu_s=.. (this process's own CPU: it shares the machine with the server)
 *
 * Watch events are not decoded: each line is walked just far enough to find object.metadata.name and
 * object.spec.nodeName (skipping the other members' values whole, so a "nodeName" or "name" elsewhere in the
 * object cannot be mistaken for them). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "base/buf.h"
#include "base/util.h"
#include "benchconn.h"

#define PROG "bench-scheduler-load"
#define NS "bench"
#define MAX_PODS 1000000
#define MAX_THREADS 256
#define MAX_EVENT (16 * 1024 * 1024)
#define BIND_TIMEOUT_USEC (300ull * 1000000)
#define SCHED_STOP_TIMEOUT_MS 60000

extern char **environ;

/* Set in main before any thread starts, read-only afterwards. */
static ConnServer server;
static unsigned n_pods, n_threads;

/* Per pod (index = the number in its name): when the create's 201 arrived (0 = not created), written by the
 * pod's creator thread only and read by main after joining them; when the watch first showed it bound (0 =
 * not yet), written by the watch thread only and read by main after joining it. */
static uint64_t *created_usec;
static uint64_t *bound_usec;
static unsigned bound_count; /* the watch thread's; read by main after joining it */

static Conn watch_conn; /* opened by main, then the watch thread's; main only shuts its socket down */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cond; /* signalled when watch_done is set; guarded by watch_lock */
static bool watch_done;           /* the watch thread has finished; guarded by watch_lock */

/* ---- just enough JSON walking ---- */

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    p++;
  return p;
}

/* p at the opening quote; returns past the closing one, NULL if unterminated. */
static const char *skip_string(const char *p, const char *end) {
  for (p++; p < end; p++) {
    if (*p == '\\')
      p++;
    else if (*p == '"')
      return p + 1;
  }
  return NULL;
}

/* p at the start of any value; returns past its end, NULL if malformed. Containers are skipped by counting
 * brackets outside strings, without checking what is between them. */
static const char *skip_value(const char *p, const char *end) {
  if (p >= end)
    return NULL;
  if (*p == '"')
    return skip_string(p, end);
  if (*p != '{' && *p != '[') {
    while (p < end && !strchr(",}] \t\r\n", *p))
      p++;
    return p;
  }
  unsigned depth = 0;
  while (p < end) {
    char ch = *p;
    if (ch == '"') {
      if (!(p = skip_string(p, end)))
        return NULL;
      continue;
    }
    if (ch == '{' || ch == '[')
      depth++;
    else if ((ch == '}' || ch == ']') && --depth == 0)
      return p + 1;
    p++;
  }
  return NULL;
}

/* p at an object; returns the start of the value of its member key (compared byte for byte, without
 * unescaping), NULL when absent or malformed. */
static const char *json_member(const char *p, const char *end, const char *key) {
  size_t key_len = strlen(key);
  p = skip_ws(p, end);
  if (p >= end || *p != '{')
    return NULL;
  p = skip_ws(p + 1, end);
  while (p < end && *p == '"') {
    const char *k = p + 1, *q = skip_string(p, end);
    if (!q)
      return NULL;
    bool match = (size_t)(q - 1 - k) == key_len && memcmp(k, key, key_len) == 0;
    p = skip_ws(q, end);
    if (p >= end || *p != ':')
      return NULL;
    p = skip_ws(p + 1, end);
    if (match)
      return p;
    if (!(p = skip_value(p, end)))
      return NULL;
    p = skip_ws(p, end);
    if (p >= end || *p != ',')
      return NULL;
    p = skip_ws(p + 1, end);
  }
  return NULL;
}

/* The pod number of a name value "p<digits>", -1 for anything else (not one of ours). */
static long pod_index(const char *v, const char *end) {
  if (!v || end - v < 4 || v[0] != '"' || v[1] != 'p')
    return -1;
  long i = 0;
  const char *p = v + 2;
  for (; p < end && *p >= '0' && *p <= '9' && i <= MAX_PODS; p++)
    i = i * 10 + (*p - '0');
  return p < end && *p == '"' && p > v + 2 && i < (long)n_pods ? i : -1;
}

/* One watch event (one line of JSON): records the pod's first sight with a node. */
static void watch_event(const char *line, const char *end, uint64_t now) {
  const char *obj = json_member(line, end, "object");
  if (!obj)
    return;
  const char *spec = json_member(obj, end, "spec");
  const char *node = spec ? json_member(spec, end, "nodeName") : NULL;
  if (!node || end - node < 3 || node[0] != '"' || node[1] == '"')
    return;
  const char *meta = json_member(obj, end, "metadata");
  long i = pod_index(meta ? json_member(meta, end, "name") : NULL, end);
  if (i >= 0 && !bound_usec[i]) {
    bound_usec[i] = now;
    bound_count++;
  }
}

/* Processes the complete lines of events and keeps a partial last one for the next chunk. */
static void watch_lines(Buf *events, uint64_t now) {
  const char *p = events->data, *end = events->data + events->len;
  for (const char *nl; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
    watch_event(p, nl, now);
  size_t rest = (size_t)(end - p);
  memmove(events->data, p, rest);
  events->len = rest;
}

/* Reads events until every pod was seen bound, the stream ends, or main shuts the socket down. */
static void *watch_main(void *arg) {
  (void)arg;
  _cleanup_buf_ Buf events = BUF_INIT;
  uint64_t now = now_monotonic_usec();
  while (bound_count < n_pods) {
    int r;
    while ((r = conn_chunk_take(&watch_conn, &events, NULL, NULL)) == 1)
      ;
    if (r != 0) {
      fprintf(stderr, PROG ": the watch ended (%s)\n", r == 2 ? "by the server" : "malformed chunk");
      break;
    }
    if (events.len)
      watch_lines(&events, now);
    if (events.len > MAX_EVENT) {
      fprintf(stderr, PROG ": watch event over %d bytes\n", MAX_EVENT);
      break;
    }
    if (bound_count >= n_pods)
      break;
    /* The receive timeout only means the server had nothing to say for a while: main keeps the deadline. */
    ssize_t n = conn_fill(&watch_conn);
    if (n == -EAGAIN)
      continue;
    if (n <= 0)
      break;
    now = now_monotonic_usec();
  }
  pthread_mutex_lock(&watch_lock);
  watch_done = true;
  pthread_cond_signal(&watch_cond);
  pthread_mutex_unlock(&watch_lock);
  return NULL;
}

/* ---- creates ---- */

static void build_pod(Buf *req, Buf *body, unsigned i) {
  buf_reset(body);
  buf_printf(body,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p%05u\",\"labels\":{\"app\":"
             "\"bench\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.10\","
             "\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}}]}}",
             i);
  conn_build_post(req, &server, "/api/v1/namespaces/" NS "/pods", body);
}

/* Creates pods idx, idx + THREADS, ... on a connection of its own. A failed create is reported and skipped;
 * after a broken connection the thread reconnects once before giving up. */
static void *creator_main(void *arg) {
  unsigned idx = (unsigned)(uintptr_t)arg;
  _cleanup_buf_ Buf req = BUF_INIT;
  _cleanup_buf_ Buf body = BUF_INIT;
  _cleanup_buf_ Buf answer = BUF_INIT;
  Conn c;
  int r = conn_open(&c, &server);
  for (unsigned i = idx; i < n_pods && r >= 0; i += n_threads) {
    build_pod(&req, &body, i);
    ConnHead h;
    buf_reset(&answer);
    if ((r = conn_send(&c, req.data, req.len)) >= 0 && (r = conn_read_head(&c, &h)) >= 0)
      r = conn_read_body(&c, &h, h.status == 201 ? NULL : &answer, NULL);
    if (r < 0) {
      fprintf(stderr, PROG ": create p%05u: %s\n", i, strerror(-r));
      conn_close(&c);
      r = conn_open(&c, &server);
      continue;
    }
    if (h.status != 201) {
      fprintf(stderr, PROG ": create p%05u: %d %.200s\n", i, h.status, answer.data ? answer.data : "");
      continue;
    }
    created_usec[i] = now_monotonic_usec();
  }
  if (r < 0)
    fprintf(stderr, PROG ": creator %u: connect: %s\n", idx, strerror(-r));
  conn_close(&c);
  return NULL;
}

/* ---- the scheduler process ---- */

static int sched_start(char **argv, pid_t *ret_pid) {
  /* Ignored signals stay ignored across exec: give the scheduler SIGPIPE's default back. */
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int r = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  if (r != 0) {
    fprintf(stderr, PROG ": cannot start %s: %s\n", argv[0], strerror(r));
    return -r;
  }
  *ret_pid = pid;
  return 0;
}

/* SIGTERM, up to a minute to exit, then SIGKILL; returns the CPU seconds of the waited-for children. */
static double sched_stop(pid_t pid) {
  kill(pid, SIGTERM);
  _cleanup_close_ int pidfd = pidfd_open(pid, 0);
  struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
  if (pidfd >= 0 && poll(&pfd, 1, SCHED_STOP_TIMEOUT_MS) == 0) {
    fprintf(stderr, PROG ": the scheduler ignored SIGTERM for %d s: killing it\n",
            SCHED_STOP_TIMEOUT_MS / 1000);
    kill(pid, SIGKILL);
  }
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return bench_cpu_seconds(RUSAGE_CHILDREN);
}

/* ---- setup and report ---- */

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest rank below, as the Python loader: lat[min(n - 1, int(n * p))], in ms; nan without samples. */
static double pct_ms(const int64_t *lat, size_t n, double p) {
  if (!n)
    return __builtin_nan("");
  return (double)lat[MIN(n - 1, (size_t)((double)n * p))] / 1000.0;
}

/* "https://HOST[:PORT][/]" into host (an IPv4 address, checked when connecting) and port. */
static char *parse_url(const char *url, int *ret_port) {
  if (!startswith(url, "https://")) {
    fprintf(stderr, PROG ": URL must be https://ADDRESS:PORT\n");
    exit(1);
  }
  const char *h = url + 8;
  size_t n = strcspn(h, ":/");
  int port = 443;
  if (h[n] == ':') {
    _cleanup_free_ char *p = xstrndup(h + n + 1, strcspn(h + n + 1, "/"));
    port = (int)bench_parse_uint(PROG, p, "the URL's port", 1, 65535);
  }
  *ret_port = port;
  return xstrndup(h, n);
}

static void usage(void) {
  fputs("Usage: " PROG " URL CA_FILE TOKEN_FILE N THREADS [SCHEDULER...]\n"
        "See the top of bench/bench-scheduler-load.c.\n",
        stderr);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 6)
    usage();
  int port;
  _cleanup_free_ char *host = parse_url(argv[1], &port);
  n_pods = bench_parse_uint(PROG, argv[4], "N", 1, MAX_PODS);
  n_threads = bench_parse_uint(PROG, argv[5], "THREADS", 1, MAX_THREADS);
  char **sched_argv = argc > 6 ? argv + 6 : NULL;
  if (conn_server_init(&server, PROG, host, port, argv[2], argv[3]) < 0)
    return 1;
  /* A server closing a connection must fail a request, not kill the client. */
  signal(SIGPIPE, SIG_IGN);
  created_usec = xcalloc(n_pods, sizeof *created_usec);
  bound_usec = xcalloc(n_pods, sizeof *bound_usec);

  Conn c0;
  char rv[24];
  int r = conn_open(&c0, &server);
  if (r < 0) {
    fprintf(stderr, PROG ": connect: %s\n", strerror(-r));
    return 1;
  }
  if (conn_create_namespace(&c0, &server, NS) < 0)
    return 1;
  if ((r = conn_list_revision(&c0, &server, "/api/v1/namespaces/" NS "/pods?limit=1", rv)) < 0) {
    fprintf(stderr, PROG ": cannot read the current resourceVersion: %s\n", strerror(-r));
    return 1;
  }
  conn_close(&c0);

  _cleanup_buf_ Buf watch_req = BUF_INIT;
  _cleanup_free_ char *watch_path =
      xasprintf("/api/v1/namespaces/" NS "/pods?watch=1&resourceVersion=%s", rv);
  conn_build_get(&watch_req, &server, watch_path);
  int status;
  if ((r = conn_open_stream(&watch_conn, &server, &watch_req, &status)) < 0) {
    fprintf(stderr, PROG ": watch: %s (status %d)\n", strerror(-r), status);
    return 1;
  }
  cond_init_monotonic(&watch_cond);
  pthread_t watcher;
  if (pthread_create(&watcher, NULL, watch_main, NULL) != 0) {
    fprintf(stderr, PROG ": cannot start a thread\n");
    return 1;
  }

  uint64_t t_create0 = now_monotonic_usec(), t0 = t_create0;
  pthread_t *creators = xcalloc(n_threads, sizeof *creators);
  for (unsigned i = 0; i < n_threads; i++)
    if (pthread_create(&creators[i], NULL, creator_main, (void *)(uintptr_t)i) != 0) {
      fprintf(stderr, PROG ": cannot start a thread\n");
      return 1;
    }
  for (unsigned i = 0; i < n_threads; i++)
    pthread_join(creators[i], NULL);
  free(creators);
  uint64_t t_created = now_monotonic_usec();
  pid_t sched = 0;
  if (sched_argv) {
    t0 = now_monotonic_usec(); /* scheduling alone: from the scheduler's start */
    if (sched_start(sched_argv, &sched) < 0)
      return 1;
  }

  uint64_t deadline = now_monotonic_usec() + BIND_TIMEOUT_USEC;
  struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000), .tv_nsec = (long)(deadline % 1000000) * 1000};
  pthread_mutex_lock(&watch_lock);
  while (!watch_done && pthread_cond_timedwait(&watch_cond, &watch_lock, &ts) != ETIMEDOUT)
    ;
  bool finished = watch_done;
  pthread_mutex_unlock(&watch_lock);
  uint64_t t_wait = now_monotonic_usec();
  if (!finished) {
    fprintf(stderr, PROG ": not all pods bound within %llu s\n", BIND_TIMEOUT_USEC / 1000000);
    /* Wakes the watch thread from its read: it sees the end of the stream. */
    shutdown(watch_conn.fd, SHUT_RDWR);
  }
  pthread_join(watcher, NULL);
  conn_close(&watch_conn);

  size_t created = 0, n_lat = 0;
  uint64_t t_end = 0;
  int64_t *lat = xcalloc(n_pods, sizeof *lat);
  for (unsigned i = 0; i < n_pods; i++) {
    created += created_usec[i] != 0;
    t_end = MAX(t_end, bound_usec[i]);
    if (created_usec[i] && bound_usec[i])
      lat[n_lat++] = (int64_t)bound_usec[i] - (int64_t)created_usec[i];
  }
  if (!bound_count)
    t_end = t_wait;
  qsort(lat, n_lat, sizeof *lat, cmp_i64);
  char extra[96] = "";
  if (sched)
    snprintf(extra, sizeof extra, " sched_cpu_s=%.1f", sched_stop(sched));
  double self_cpu = bench_cpu_seconds(RUSAGE_SELF);
  double wall = (double)(int64_t)(t_end - t0) / 1e6;
  printf("pods=%u threads=%u bound=%u create_per_s=%.0f bound_per_s=%.0f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
         "wall_s=%.2f%s loader_cpu_s=%.1f\n",
         n_pods, n_threads, bound_count, (double)created / ((double)(t_created - t_create0) / 1e6),
         (double)bound_count / wall, pct_ms(lat, n_lat, 0.5), pct_ms(lat, n_lat, 0.99),
         n_lat ? (double)lat[n_lat - 1] / 1000.0 : __builtin_nan(""), wall, extra, self_cpu);
  free(lat);
  free(created_usec);
  free(bound_usec);
  conn_server_done(&server);
  return 0;
}
