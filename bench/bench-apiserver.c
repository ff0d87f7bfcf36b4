/* A load generator for the API server (issue 2). Client threads, each with its own HTTPS keep-alive
 * connection (GnuTLS) and the admin bearer token, repeat one kind of request for a fixed time and report
 * requests per second and the latency distribution. Modes:
 *   get       GET one ConfigMap in a loop (creates it first if missing)
 *   list      LIST every ConfigMap of a namespace (fill it first with populate)
 *   create    POST ConfigMaps with unique names
 *   populate  POST --count ConfigMaps as fast as possible, then stop (setup for list and the RSS figures)
 *   watch     open --watchers watches at the current resourceVersion; then, per round, create one object
 *             and time until every watcher has received its event
 * Each run prints one line of key=value pairs that bench/run-apiserver.sh turns into medians; with
 * --server-pid it includes the server's VmRSS and where the CPU went (server, this client, anything else on
 * the machine), so that a run disturbed by other work can be recognised. The client shares the machine with
 * the server, so it does as little as it can per request: responses are parsed only as far as HTTP framing
 * needs (status, Content-Length, chunked) and bodies are never decoded (bench/benchconn.c, the HTTPS client
 * it shares with bench-scheduler-load). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include "base/buf.h"
#include "base/util.h"
#include "benchconn.h"

#define WATCH_ROUND_TIMEOUT_USEC (10u * 1000000u)
#define PROG "bench-apiserver"
#define MAX_THREADS 256
#define MAX_WATCHERS 20000
#define MAX_ROUNDS 100

typedef enum Mode {
  MODE_GET,
  MODE_LIST,
  MODE_CREATE,
  MODE_POPULATE,
  MODE_WATCH,
  _MODE_MAX,
  MODE_INVALID = -1,
} Mode;

static const char *const mode_names[_MODE_MAX] = {"get", "list", "create", "populate", "watch"};

typedef struct Options {
  Mode mode;
  const char *host;
  int port;
  const char *ns;
  const char *name;   /* get: the object */
  const char *prefix; /* create, populate, watch: names are PREFIX-... */
  unsigned threads;
  double duration;
  unsigned count;
  unsigned watchers;
  unsigned rounds;
  unsigned value_size;
  pid_t server_pid;
  const char *tag; /* printed after the mode: describes what the client cannot see (the server's flags) */
} Options;

/* Set once in main before any thread starts, read-only afterwards. */
static Options opt = {
    .mode = MODE_INVALID,
    .host = "127.0.0.1",
    .port = 6443,
    .ns = "default",
    .name = "bench-get",
    .threads = 4,
    .duration = 5,
    .count = 10000,
    .watchers = 1000,
    .rounds = 5,
    .value_size = 128,
};
static ConnServer api_server; /* set up in main before any thread starts */
static char *value_text;      /* the ConfigMap payload, value_size bytes */

static void build_create(Buf *b, const char *name) {
  _cleanup_buf_ Buf body = BUF_INIT;
  buf_printf(
      &body,
      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":"
      "\"bench\"}},\"data\":{\"value\":\"%s\"}}",
      name, value_text);
  _cleanup_free_ char *path = xasprintf("/api/v1/namespaces/%s/configmaps", opt.ns);
  conn_build_post(b, &api_server, path, &body);
}

/* ---- latency samples ---- */

typedef struct Lat {
  uint32_t *v; /* microseconds */
  size_t n, cap;
} Lat;

static void lat_add(Lat *l, uint64_t usec) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 4096;
    l->v = xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = (uint32_t)MIN(usec, UINT32_MAX);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Percentile of sorted samples (nearest rank). */
static uint32_t lat_pct(const Lat *l, unsigned pct) {
  if (!l->n)
    return 0;
  size_t i = (l->n * pct + 99) / 100;
  return l->v[i ? MIN(i, l->n) - 1 : 0];
}

static long rss_kb(pid_t pid) {
  if (pid <= 0)
    return -1;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  _cleanup_free_ char *s = NULL;
  if (read_file(path, &s, NULL) < 0)
    return -1;
  const char *p = strstr(s, "VmRSS:");
  return p ? strtol(p + 6, NULL, 10) : -1;
}

/* Where the machine's CPU time went during a run. The machine may be shared, so a figure is only
 * trustworthy when "other" (neither this client nor the server) stayed small; every report includes it. */
typedef struct CpuSample {
  double machine; /* busy seconds of all CPUs: everything but idle and iowait */
  double server;
  double client;
} CpuSample;

static double ticks_to_sec(unsigned long long t) {
  static long hz;
  if (!hz)
    hz = sysconf(_SC_CLK_TCK);
  return (double)t / (double)hz;
}

static void cpu_sample(CpuSample *c) {
  *c = (CpuSample){0};
  _cleanup_free_ char *stat = NULL;
  unsigned long long v[8] = {0};
  if (read_file("/proc/stat", &stat, NULL) >= 0 &&
      sscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
             &v[6], &v[7]) == 8)
    c->machine = ticks_to_sec(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]); /* v[3] idle, v[4] iowait */
  if (opt.server_pid > 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)opt.server_pid);
    _cleanup_free_ char *ps = NULL;
    /* utime and stime are the 12th and 13th fields after the parenthesised command name. */
    const char *p = read_file(path, &ps, NULL) >= 0 ? strrchr(ps, ')') : NULL;
    unsigned long long ut, st;
    if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
      c->server = ticks_to_sec(ut + st);
  }
  c->client = bench_cpu_seconds(RUSAGE_SELF);
}

/* " cpu_server=S cpu_client=C cpu_other=O": CPU-seconds spent between a and b, per wall second. */
static void cpu_print(const CpuSample *a, const CpuSample *b, double secs) {
  double server = b->server - a->server, client = b->client - a->client;
  double other = MAX(0.0, (b->machine - a->machine) - server - client);
  printf(" cpu_server=%.2f cpu_client=%.2f cpu_other=%.2f", server / secs, client / secs, other / secs);
}

/* ---- request loops: get, list, create, populate ---- */

typedef struct Worker {
  pthread_t thread;
  unsigned id;
  Lat lat;
  uint64_t ok, errors, bytes;
  int bad_status; /* the first unexpected status, for the report */
} Worker;

static pthread_barrier_t ready_barrier, go_barrier;
static uint64_t deadline_usec;    /* written by main between the two barriers */
static atomic_uint populate_next; /* populate: next object index to create */
static atomic_ullong create_seq;  /* create: unique suffixes across threads */

static void *worker_main(void *arg) {
  Worker *w = arg;
  _cleanup_buf_ Buf req = BUF_INIT;
  Conn c;
  int r = conn_open(&c, &api_server);
  if (r < 0) {
    fprintf(stderr, "bench-apiserver: connect: %s\n", strerror(-r));
    w->errors++;
  }
  if (opt.mode == MODE_GET) {
    _cleanup_free_ char *path = xasprintf("/api/v1/namespaces/%s/configmaps/%s", opt.ns, opt.name);
    conn_build_get(&req, &api_server, path);
  } else if (opt.mode == MODE_LIST) {
    _cleanup_free_ char *path = xasprintf("/api/v1/namespaces/%s/configmaps", opt.ns);
    conn_build_get(&req, &api_server, path);
  }
  int want = opt.mode == MODE_GET || opt.mode == MODE_LIST ? 200 : 201;
  pthread_barrier_wait(&ready_barrier);
  pthread_barrier_wait(&go_barrier);
  /* Bounded by the deadline (timed modes) or by --count (populate). */
  while (r >= 0) {
    if (opt.mode == MODE_POPULATE) {
      unsigned i = atomic_fetch_add(&populate_next, 1);
      if (i >= opt.count)
        break;
      char name[128];
      snprintf(name, sizeof name, "%s-%06u", opt.prefix, i);
      build_create(&req, name);
    } else if (opt.mode == MODE_CREATE) {
      char name[128];
      snprintf(name, sizeof name, "%s-%llu", opt.prefix,
               (unsigned long long)atomic_fetch_add(&create_seq, 1));
      build_create(&req, name);
    }
    uint64_t t = now_monotonic_usec();
    if (opt.mode != MODE_POPULATE && t >= deadline_usec)
      break;
    ConnHead h;
    size_t len = 0;
    r = conn_roundtrip(&c, &req, &h, NULL, &len);
    if (r < 0) {
      fprintf(stderr, "bench-apiserver: request: %s\n", strerror(-r));
      w->errors++;
      break;
    }
    lat_add(&w->lat, now_monotonic_usec() - t);
    /* populate may be re-run on a filled namespace: 409 means the object is already there. */
    if (h.status == want || (opt.mode == MODE_POPULATE && h.status == 409)) {
      w->ok++;
      w->bytes += len;
    } else {
      w->errors++;
      if (!w->bad_status)
        w->bad_status = h.status;
    }
  }
  if (c.fd >= 0)
    conn_close(&c);
  return NULL;
}

/* Creates what a mode needs before the clock starts: the namespace (unless "default") and, for get, the
 * object read. Already existing is fine. */
static int prepare(void) {
  Conn c;
  int r = conn_open(&c, &api_server);
  if (r < 0)
    return r;
  if (!streq(opt.ns, "default") && (r = conn_create_namespace(&c, &api_server, opt.ns)) < 0) {
    conn_close(&c);
    return r;
  }
  if (opt.mode == MODE_GET) {
    _cleanup_buf_ Buf req = BUF_INIT;
    ConnHead h;
    build_create(&req, opt.name);
    if ((r = conn_roundtrip(&c, &req, &h, NULL, NULL)) < 0 || (h.status != 201 && h.status != 409)) {
      fprintf(stderr, "bench-apiserver: cannot create %s/%s (status %d)\n", opt.ns, opt.name,
              r < 0 ? 0 : h.status);
      conn_close(&c);
      return -EPROTO;
    }
  }
  conn_close(&c);
  return 0;
}

static int run_workers(void) {
  Worker *w = xcalloc(opt.threads, sizeof *w);
  pthread_barrier_init(&ready_barrier, NULL, opt.threads + 1);
  pthread_barrier_init(&go_barrier, NULL, opt.threads + 1);
  for (unsigned i = 0; i < opt.threads; i++) {
    w[i].id = i;
    if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
      fprintf(stderr, "bench-apiserver: cannot start thread\n");
      exit(1);
    }
  }
  /* Connections and handshakes are done before the clock starts. */
  pthread_barrier_wait(&ready_barrier);
  CpuSample cpu0, cpu1;
  cpu_sample(&cpu0);
  uint64_t start = now_monotonic_usec();
  deadline_usec = start + (uint64_t)(opt.duration * 1e6);
  pthread_barrier_wait(&go_barrier);
  Lat all = {0};
  uint64_t ok = 0, errors = 0, bytes = 0;
  int bad_status = 0;
  for (unsigned i = 0; i < opt.threads; i++) {
    pthread_join(w[i].thread, NULL);
    ok += w[i].ok;
    errors += w[i].errors;
    bytes += w[i].bytes;
    if (!bad_status)
      bad_status = w[i].bad_status;
    for (size_t k = 0; k < w[i].lat.n; k++)
      lat_add(&all, w[i].lat.v[k]);
    free(w[i].lat.v);
  }
  double secs = (double)(now_monotonic_usec() - start) / 1e6;
  cpu_sample(&cpu1);
  qsort(all.v, all.n, sizeof *all.v, cmp_u32);
  printf("mode=%s%s%s threads=%u seconds=%.2f ok=%llu errors=%llu rate=%.1f p50_us=%u p99_us=%u "
         "bytes_per_resp=%llu",
         mode_names[opt.mode], opt.tag ? " " : "", opt.tag ? opt.tag : "", opt.threads, secs,
         (unsigned long long)ok, (unsigned long long)errors, (double)ok / secs, lat_pct(&all, 50),
         lat_pct(&all, 99), (unsigned long long)(ok ? bytes / ok : 0));
  if (bad_status)
    printf(" bad_status=%d", bad_status);
  if (opt.server_pid > 0)
    printf(" rss_kb=%ld", rss_kb(opt.server_pid));
  cpu_print(&cpu0, &cpu1, secs);
  printf("\n");
  free(all.v);
  free(w);
  pthread_barrier_destroy(&ready_barrier);
  pthread_barrier_destroy(&go_barrier);
  return errors ? 2 : 0;
}

/* ---- watch fan-out ---- */

typedef struct WatchConn {
  Conn conn;
  size_t events;     /* events (lines) received so far */
  size_t base;       /* events before this round's write */
  uint64_t got_usec; /* when this round's event arrived; 0 = not yet */
  bool dead;
} WatchConn;

/* Reads everything a watch connection has without blocking and counts complete events. */
static int watch_drain(WatchConn *w) {
  for (int i = 0; i < 1024; i++) {
    for (int k = 0; k < 1024; k++) {
      int r = conn_chunk_take(&w->conn, NULL, NULL, &w->events);
      if (r < 0 || r == 2)
        return -EPIPE;
      if (r == 0)
        break;
    }
    ssize_t n = conn_fill(&w->conn);
    if (n == -EAGAIN)
      return 0;
    if (n <= 0)
      return -EPIPE;
  }
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* A round that timed out sorts last (UINT64_MAX) and prints as -1. */
static long long usec_or_none(uint64_t v) {
  return v == UINT64_MAX ? -1 : (long long)v;
}

static int run_watch(void) {
  Conn wr;
  int r = conn_open(&wr, &api_server);
  if (r < 0) {
    fprintf(stderr, "bench-apiserver: connect: %s\n", strerror(-r));
    return 1;
  }
  char rv[24];
  _cleanup_free_ char *list_path = xasprintf("/api/v1/namespaces/%s/configmaps?limit=1", opt.ns);
  if ((r = conn_list_revision(&wr, &api_server, list_path, rv)) < 0) {
    fprintf(stderr, "bench-apiserver: cannot read the current resourceVersion: %s\n", strerror(-r));
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  WatchConn *wc = xcalloc(opt.watchers, sizeof *wc);
  _cleanup_buf_ Buf req = BUF_INIT;
  _cleanup_free_ char *path =
      xasprintf("/api/v1/namespaces/%s/configmaps?watch=1&resourceVersion=%s", opt.ns, rv);
  conn_build_get(&req, &api_server, path);
  uint64_t t_open = now_monotonic_usec();
  unsigned opened = 0;
  for (; opened < opt.watchers; opened++) {
    WatchConn *w = &wc[opened];
    int status;
    if ((r = conn_open_stream(&w->conn, &api_server, &req, &status)) < 0) {
      fprintf(stderr, "bench-apiserver: watcher %u: %s (status %d)\n", opened, strerror(-r), status);
      break;
    }
    fcntl(w->conn.fd, F_SETFL, fcntl(w->conn.fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = opened};
    epoll_ctl(ep, EPOLL_CTL_ADD, w->conn.fd, &ev);
  }
  double open_sec = (double)(now_monotonic_usec() - t_open) / 1e6;
  if (opened < opt.watchers) {
    fprintf(stderr, "bench-apiserver: only %u of %u watchers opened\n", opened, opt.watchers);
    return 1;
  }
  /* Let every server thread reach its wait before measuring memory or timing events. */
  usleep(1000 * 1000);
  long rss = rss_kb(opt.server_pid);

  uint64_t all_usec[MAX_ROUNDS], median_usec[MAX_ROUNDS];
  uint64_t *each = xcalloc(opt.watchers, sizeof *each);
  unsigned missed = 0;
  CpuSample cpu0, cpu1;
  cpu_sample(&cpu0);
  uint64_t rounds_start = now_monotonic_usec();
  for (unsigned round = 0; round < opt.rounds; round++) {
    char name[128];
    snprintf(name, sizeof name, "%s-w%u", opt.prefix, round);
    _cleanup_buf_ Buf post = BUF_INIT;
    build_create(&post, name);
    /* Any event after the write counts as the round's: the namespace must have no other writers. */
    for (unsigned i = 0; i < opt.watchers; i++) {
      wc[i].base = wc[i].events;
      wc[i].got_usec = 0;
    }
    unsigned done = 0;
    uint64_t t0 = now_monotonic_usec();
    if ((r = conn_send(&wr, post.data, post.len)) < 0) {
      fprintf(stderr, "bench-apiserver: write: %s\n", strerror(-r));
      return 1;
    }
    /* The write's answer is read after the fan-out so that the client's only job meanwhile is the
     * watchers. */
    while (done < opt.watchers && now_monotonic_usec() - t0 < WATCH_ROUND_TIMEOUT_USEC) {
      struct epoll_event evs[256];
      int n = epoll_wait(ep, evs, (int)ELEMENTSOF(evs), 100);
      uint64_t now = now_monotonic_usec();
      for (int i = 0; i < n; i++) {
        WatchConn *w = &wc[evs[i].data.u32];
        if (!w->dead && watch_drain(w) < 0) {
          w->dead = true;
          epoll_ctl(ep, EPOLL_CTL_DEL, w->conn.fd, NULL);
        }
        if (!w->got_usec && w->events > w->base) {
          w->got_usec = now;
          done++;
        }
      }
    }
    ConnHead h;
    if ((r = conn_read_head(&wr, &h)) < 0 || (r = conn_read_body(&wr, &h, NULL, NULL)) < 0 ||
        h.status != 201) {
      fprintf(stderr, "bench-apiserver: write failed (status %d)\n", r < 0 ? 0 : h.status);
      return 1;
    }
    size_t k = 0;
    uint64_t last = 0;
    for (unsigned i = 0; i < opt.watchers; i++)
      if (wc[i].got_usec) {
        each[k++] = wc[i].got_usec - t0;
        last = MAX(last, wc[i].got_usec - t0);
      }
    missed += opt.watchers - (unsigned)k;
    qsort(each, k, sizeof *each, cmp_u64);
    all_usec[round] = done == opt.watchers ? last : UINT64_MAX;
    median_usec[round] = k ? each[k / 2] : UINT64_MAX;
    usleep(200 * 1000);
  }
  double rounds_sec = (double)(now_monotonic_usec() - rounds_start) / 1e6;
  cpu_sample(&cpu1);
  qsort(all_usec, opt.rounds, sizeof *all_usec, cmp_u64);
  qsort(median_usec, opt.rounds, sizeof *median_usec, cmp_u64);
  printf(
      "mode=watch%s%s watchers=%u rounds=%u open_sec=%.2f all_p50_us=%lld all_max_us=%lld each_p50_us=%lld "
      "missed=%u rss_kb=%ld",
      opt.tag ? " " : "", opt.tag ? opt.tag : "", opt.watchers, opt.rounds, open_sec,
      usec_or_none(all_usec[opt.rounds / 2]), usec_or_none(all_usec[opt.rounds - 1]),
      usec_or_none(median_usec[opt.rounds / 2]), missed, rss);
  cpu_print(&cpu0, &cpu1, rounds_sec);
  printf("\n");
  for (unsigned i = 0; i < opt.watchers; i++)
    conn_close(&wc[i].conn);
  conn_close(&wr);
  close(ep);
  free(each);
  free(wc);
  return missed ? 2 : 0;
}

/* ---- setup ---- */

static void usage(FILE *f) {
  fputs("Usage: bench-apiserver MODE [OPTIONS]\n"
        "\n"
        "Modes: get, list, create, populate, watch (see the top of bench/bench-apiserver.c).\n"
        "\n"
        "  --host IP              server address (default 127.0.0.1)\n"
        "  --port PORT            HTTPS port (default 6443)\n"
        "  --data-dir DIR         the server's --data-dir: token and CA are read from DIR/server/tls\n"
        "  --ns NAMESPACE         namespace to use (default default)\n"
        "  --name NAME            get: the ConfigMap to read (default bench-get)\n"
        "  --prefix PREFIX        name prefix for created objects (default bench-PID)\n"
        "  --threads N            client threads, one connection each (default 4)\n"
        "  --duration SEC         length of a timed run (default 5)\n"
        "  --count N              populate: objects to create (default 10000)\n"
        "  --watchers N           watch: connections (default 1000)\n"
        "  --rounds N             watch: writes to time (default 5)\n"
        "  --value-size BYTES     size of each ConfigMap's data value (default 128)\n"
        "  --server-pid PID       report the server's VmRSS (watch: with all watchers open) and CPU time\n"
        "  --tag KEY=VALUE        copied into the result line (e.g. the server's sync=full)\n",
        f);
}

/* Each watcher holds a descriptor; ask for what the hard limit allows. */
static void raise_nofile(unsigned need) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
    return;
  rl.rlim_cur = MIN((rlim_t)need, rl.rlim_max);
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < need)
    fprintf(stderr, "bench-apiserver: warning: RLIMIT_NOFILE hard limit %llu < %u\n",
            (unsigned long long)rl.rlim_max, need);
}

int main(int argc, char **argv) {
  enum {
    O_HOST = 256,
    O_PORT,
    O_DATA_DIR,
    O_NS,
    O_NAME,
    O_PREFIX,
    O_THREADS,
    O_DURATION,
    O_COUNT,
    O_WATCHERS,
    O_ROUNDS,
    O_VALUE_SIZE,
    O_PID,
    O_TAG,
  };
  static const struct option longopts[] = {
      {"host", required_argument, NULL, O_HOST},
      {"port", required_argument, NULL, O_PORT},
      {"data-dir", required_argument, NULL, O_DATA_DIR},
      {"ns", required_argument, NULL, O_NS},
      {"name", required_argument, NULL, O_NAME},
      {"prefix", required_argument, NULL, O_PREFIX},
      {"threads", required_argument, NULL, O_THREADS},
      {"duration", required_argument, NULL, O_DURATION},
      {"count", required_argument, NULL, O_COUNT},
      {"watchers", required_argument, NULL, O_WATCHERS},
      {"rounds", required_argument, NULL, O_ROUNDS},
      {"value-size", required_argument, NULL, O_VALUE_SIZE},
      {"server-pid", required_argument, NULL, O_PID},
      {"tag", required_argument, NULL, O_TAG},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  const char *data_dir = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case O_HOST:
      opt.host = optarg;
      break;
    case O_PORT:
      opt.port = (int)bench_parse_uint(PROG, optarg, "--port", 1, 65535);
      break;
    case O_DATA_DIR:
      data_dir = optarg;
      break;
    case O_NS:
      opt.ns = optarg;
      break;
    case O_NAME:
      opt.name = optarg;
      break;
    case O_PREFIX:
      opt.prefix = optarg;
      break;
    case O_THREADS:
      opt.threads = bench_parse_uint(PROG, optarg, "--threads", 1, MAX_THREADS);
      break;
    case O_DURATION:
      opt.duration = strtod(optarg, NULL);
      if (!(opt.duration > 0 && opt.duration <= 3600)) {
        fprintf(stderr, "bench-apiserver: --duration must be 0..3600 seconds\n");
        return 1;
      }
      break;
    case O_COUNT:
      opt.count = bench_parse_uint(PROG, optarg, "--count", 1, 10000000);
      break;
    case O_WATCHERS:
      opt.watchers = bench_parse_uint(PROG, optarg, "--watchers", 1, MAX_WATCHERS);
      break;
    case O_ROUNDS:
      opt.rounds = bench_parse_uint(PROG, optarg, "--rounds", 1, MAX_ROUNDS);
      break;
    case O_VALUE_SIZE:
      opt.value_size = bench_parse_uint(PROG, optarg, "--value-size", 0, 1024 * 1024);
      break;
    case O_PID:
      opt.server_pid = (pid_t)bench_parse_uint(PROG, optarg, "--server-pid", 1, 1u << 30);
      break;
    case O_TAG:
      opt.tag = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 1;
    }
  }
  for (int m = 0; optind < argc && m < _MODE_MAX; m++)
    if (streq(argv[optind], mode_names[m]))
      opt.mode = (Mode)m;
  if (opt.mode == MODE_INVALID || optind + 1 != argc || !data_dir) {
    usage(stderr);
    return 1;
  }
  _cleanup_free_ char *prefix = NULL;
  if (!opt.prefix)
    opt.prefix = prefix = xasprintf("bench-%d", (int)getpid());

  _cleanup_free_ char *token_path = xasprintf("%s/server/tls/token", data_dir);
  _cleanup_free_ char *ca_path = xasprintf("%s/server/tls/server-ca.crt", data_dir);
  if (conn_server_init(&api_server, PROG, opt.host, opt.port, ca_path, token_path) < 0)
    return 1;
  value_text = xmalloc(opt.value_size + 1);
  memset(value_text, 'v', opt.value_size);
  value_text[opt.value_size] = 0;
  /* A server closing a connection must fail a request, not kill the client. */
  signal(SIGPIPE, SIG_IGN);
  raise_nofile((opt.mode == MODE_WATCH ? opt.watchers : opt.threads) + 64);

  if (prepare() < 0)
    return 1;
  int rc = opt.mode == MODE_WATCH ? run_watch() : run_workers();
  conn_server_done(&api_server);
  free(value_text);
  return rc;
}
