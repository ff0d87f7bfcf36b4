/* `coracle server`: parses the k3s-style flags, starts the API server and runs until SIGINT/SIGTERM.
 * Flags that belong to components not written yet (the agent) are accepted and reported. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/quantity.h"
#include "apiserver/apiserver.h"
#include "apiserver/metrics.h"
#include "base/log.h"
#include "agent/images/images.h"
#include "agent/kubelet/kubelet.h"
#include "agent/proxy/proxy.h"
#include "client/client.h"
#include "controllers/controllers.h"
#include "scheduler/scheduler.h"
#include "cmd/clientflags.h"
#include "cmd/cmd.h"

int parse_duration_sec(const char *s, double *ret) {
  if (isempty(s))
    return -EINVAL;
  char *end;
  double plain = strtod(s, &end);
  if (!*end) {
    *ret = plain;
    return 0;
  }
  double total = 0;
  const char *p = s;
  while (*p) {
    double v = strtod(p, &end);
    if (end == p)
      return -EINVAL;
    p = end;
    double mul;
    if (startswith(p, "ms")) {
      mul = 0.001;
      p += 2;
    } else if (*p == 's') {
      mul = 1;
      p++;
    } else if (*p == 'm') {
      mul = 60;
      p++;
    } else if (*p == 'h') {
      mul = 3600;
      p++;
    } else {
      return -EINVAL;
    }
    total += v * mul;
  }
  *ret = total;
  return 0;
}

static json_t *server_agent_stats(void *agent) {
  return kubelet_stats_summary(agent);
}

/* The local agent's stats as metrics-server reads a kubelet's: HTTPS on its port, admin certificate. */
static json_t *server_agent_stats_https(void *client) {
  _cleanup_error_ Error e = ERROR_INIT;
  json_t *j = kubelet_stats_fetch(client, "127.0.0.1", 10250, &e);
  if (!j)
    log_warn("metrics", "msg=\"scraping the local agent failed\" err=\"%s\"", e.message ? e.message : "");
  return j;
}

/* Two glibc malloc defaults cost idle RSS in a process of ~90 mostly idle threads (bench/bench-rss.sh):
 *  - up to 8 arenas per core, each keeping the pages its threads touched: two per core (4 to 16) instead
 *    (one per core cost 25% of the creates/s with 64 connections, contending for the arena locks);
 *  - a dynamic mmap threshold that rises to the largest block freed (up to 32 MiB): after one large
 *    transient allocation (an nftables batch, a big LIST answer) later large blocks come from the heap and
 *    stay resident after free; calloc'd ones are then resident whole. The threshold fixed at its initial
 *    128 KiB gives ~1 MB at idle (256 KiB gave nothing); the price is an mmap per large answer. Fixing it
 *    also fixes the heap-top trim threshold, at 128 KiB by default, and trimming that often costs creates
 *    under load (the heap top moves by more with 64 requests in flight): 8 MiB, which idle RSS does not
 *    notice.
 * Environment settings (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_) win. Before any thread starts. */
static void server_tune_malloc(void) {
  if (!getenv("MALLOC_ARENA_MAX")) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_ARENA_MAX, (int)(n < 2 ? 4 : n > 8 ? 16 : 2 * n));
  }
  if (!getenv("MALLOC_MMAP_THRESHOLD_") && !getenv("MALLOC_TRIM_THRESHOLD_")) {
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
  }
}

/* The scheduler, the controllers, the node agent and the proxy share one local client, so that their
 * informers on the same resource share one watch and one cache (client/informer.h). Its requests take the
 * in-process transport (apiserver/local.c: no socket, TLS or server thread); CORACLE_LOCAL_HTTPS=1 in the
 * environment sends them over loopback HTTPS instead, as before it existed (for comparisons). */
static int server_local_client(ApiServer *s, Client **shared, const char *data_dir, const char *url,
                               Client **ret, Error *err) {
  if (!*shared) {
    int rc = client_new_local(data_dir, url, shared, err);
    if (rc < 0)
      return rc;
    if (!getenv("CORACLE_LOCAL_HTTPS"))
      client_set_transport(*shared, apiserver_local_transport, s);
  }
  *ret = *shared;
  return 0;
}

static void server_usage(FILE *f) {
  fputs(
      "Usage: coracle server [FLAGS]\n"
      "\n"
      "Runs the Kubernetes API server of a coracle cluster.\n"
      "\n"
      "  --data-dir DIR               state directory (default /var/lib/coracle)\n"
      "  --bind-address IP            address to listen on (default 0.0.0.0)\n"
      "  --https-listen-port PORT     HTTPS port (default 6443)\n"
      "  --node-name NAME             this node's name (default: the hostname)\n"
      "  --node-ip IP[,IP]            this node's addresses (added to the serving certificate)\n"
      "  --cluster-cidr CIDR          pod network (default 10.42.0.0/16)\n"
      "  --service-cidr CIDR          Service cluster IPs (default 10.43.0.0/16)\n"
      "  --cluster-dns IP             cluster DNS Service IP (default 10.43.0.10)\n"
      "  --cluster-domain DOMAIN      cluster domain (default cluster.local)\n"
      "  --write-kubeconfig PATH      admin kubeconfig to write (default /etc/coracle/coracle.yaml)\n"
      "  --disable-agent              run no node agent on this machine\n"
      "  --disable-kube-proxy         run no service proxy with the node agent (alias --disable-proxy)\n"
      "  --pod-log-dir DIR            the agent's container logs (default /var/log/pods)\n"
      "  --container-log-max-size Q   rotate a container's log past this size (default 10Mi)\n"
      "  --container-log-max-files N  log files kept per container, the current one included (default 5)\n"
      "  --pod-max-pids N             pids.max of each pod's cgroup (default -1: unlimited)\n"
      "  --image-gc-high-threshold P  image disk usage % that starts image garbage collection (default 85;\n"
      "                               100 disables it)\n"
      "  --image-gc-low-threshold P   image disk usage % the collection frees down to (default 80)\n"
      "  --image-minimum-gc-age D     never collect an image seen less than D ago (default 2m)\n"
      "  --image-gc-period D          how often the agent checks (default 5m)\n"
      "  --registries PATH            registries.yaml: mirrors, TLS and credentials of image registries\n"
      "                               (k3s format; default /etc/coracle/registries.yaml)\n"
      "  --cluster-dns-bind-address IP  where the agent's cluster DNS server listens (default: the node IP)\n"
      "  --cluster-dns-port PORT      its UDP and TCP port (default 53)\n"
      "  --disable-cluster-dns        run no cluster DNS server with the node agent\n"
      "  --cleanup-on-exit            on SIGTERM/SIGINT also stop the pods and remove the pod network\n"
      "                               (bridge, veths, routes, nft table ip coracle; sysctls restored);\n"
      "                               without it they keep running\n"
      "  --disable-scheduler          run no scheduler in this process\n"
      "  --default-local-storage-path DIR  where the local-path provisioner makes volumes (default\n"
      "                               DATA_DIR/storage)\n"
      "  --store-sync full|normal     SQLite durability: full fsyncs every write (default), normal survives\n"
      "                               kill -9 but not power loss\n"
      "  --etcd-compaction-interval D history compaction period (default 5m; 0 disables)\n"
      "  --watch-cache-events N       watch events kept in memory (default 8192)\n"
      "  --metric-resolution D        how often node stats are scraped for metrics.k8s.io (default 15s)\n"
      "  --horizontal-pod-autoscaler-sync-period D              HPA sync period (default 15s)\n"
      "  --horizontal-pod-autoscaler-downscale-stabilization D  scale-down window without behavior (5m)\n"
      "  --node-monitor-grace-period D  silence after which a node is NotReady/Unknown (default 40s)\n"
      "  --event-ttl D                Events not updated for this long are deleted (default 1h)\n"
      "  -v, --log-level LEVEL        error|warn|info|debug|trace (default info)\n",
      f);
}

int cmd_server(int argc, char **argv) {
  enum {
    OPT_DATA_DIR = 256,
    OPT_BIND,
    OPT_PORT,
    OPT_NODE_NAME,
    OPT_NODE_IP,
    OPT_CLUSTER_CIDR,
    OPT_SERVICE_CIDR,
    OPT_CLUSTER_DNS,
    OPT_CLUSTER_DOMAIN,
    OPT_KUBECONFIG,
    OPT_DISABLE_AGENT,
    OPT_DISABLE_PROXY,
    OPT_POD_LOG_DIR,
    OPT_LOG_MAX_SIZE,
    OPT_LOG_MAX_FILES,
    OPT_POD_MAX_PIDS,
    OPT_IMAGE_GC_HIGH,
    OPT_IMAGE_GC_LOW,
    OPT_IMAGE_GC_AGE,
    OPT_IMAGE_GC_PERIOD,
    OPT_REGISTRIES,
    OPT_DNS_BIND,
    OPT_DNS_PORT,
    OPT_DISABLE_DNS,
    OPT_DISABLE_SCHEDULER,
    OPT_STORE_SYNC,
    OPT_COMPACTION,
    OPT_WATCH_EVENTS,
    OPT_METRIC_RESOLUTION,
    OPT_HPA_SYNC,
    OPT_HPA_DOWNSCALE,
    OPT_NODE_GRACE,
    OPT_EVENT_TTL,
    OPT_STORAGE_PATH,
    OPT_CLEANUP_ON_EXIT,
  };
  static const struct option longopts[] = {
      {"data-dir", required_argument, NULL, OPT_DATA_DIR},
      {"bind-address", required_argument, NULL, OPT_BIND},
      {"https-listen-port", required_argument, NULL, OPT_PORT},
      {"node-name", required_argument, NULL, OPT_NODE_NAME},
      {"node-ip", required_argument, NULL, OPT_NODE_IP},
      {"cluster-cidr", required_argument, NULL, OPT_CLUSTER_CIDR},
      {"service-cidr", required_argument, NULL, OPT_SERVICE_CIDR},
      {"cluster-dns", required_argument, NULL, OPT_CLUSTER_DNS},
      {"cluster-domain", required_argument, NULL, OPT_CLUSTER_DOMAIN},
      {"write-kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
      {"disable-agent", no_argument, NULL, OPT_DISABLE_AGENT},
      {"disable-kube-proxy", no_argument, NULL, OPT_DISABLE_PROXY},
      {"disable-proxy", no_argument, NULL, OPT_DISABLE_PROXY},
      {"pod-log-dir", required_argument, NULL, OPT_POD_LOG_DIR},
      {"container-log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE},
      {"container-log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES},
      {"pod-max-pids", required_argument, NULL, OPT_POD_MAX_PIDS},
      {"image-gc-high-threshold", required_argument, NULL, OPT_IMAGE_GC_HIGH},
      {"image-gc-low-threshold", required_argument, NULL, OPT_IMAGE_GC_LOW},
      {"image-minimum-gc-age", required_argument, NULL, OPT_IMAGE_GC_AGE},
      {"image-gc-period", required_argument, NULL, OPT_IMAGE_GC_PERIOD},
      {"registries", required_argument, NULL, OPT_REGISTRIES},
      {"cluster-dns-bind-address", required_argument, NULL, OPT_DNS_BIND},
      {"cluster-dns-port", required_argument, NULL, OPT_DNS_PORT},
      {"disable-cluster-dns", no_argument, NULL, OPT_DISABLE_DNS},
      {"private-registry", required_argument, NULL, OPT_REGISTRIES}, /* k3s' name for the same file */
      {"disable-scheduler", no_argument, NULL, OPT_DISABLE_SCHEDULER},
      {"store-sync", required_argument, NULL, OPT_STORE_SYNC},
      {"etcd-compaction-interval", required_argument, NULL, OPT_COMPACTION},
      {"watch-cache-events", required_argument, NULL, OPT_WATCH_EVENTS},
      {"metric-resolution", required_argument, NULL, OPT_METRIC_RESOLUTION},
      {"horizontal-pod-autoscaler-sync-period", required_argument, NULL, OPT_HPA_SYNC},
      {"horizontal-pod-autoscaler-downscale-stabilization", required_argument, NULL, OPT_HPA_DOWNSCALE},
      {"node-monitor-grace-period", required_argument, NULL, OPT_NODE_GRACE},
      {"event-ttl", required_argument, NULL, OPT_EVENT_TTL},
      {"default-local-storage-path", required_argument, NULL, OPT_STORAGE_PATH},
      {"cleanup-on-exit", no_argument, NULL, OPT_CLEANUP_ON_EXIT},
      {"log-level", required_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  char hostname[256] = "localhost";
  gethostname(hostname, sizeof hostname - 1);
  ApiServerOptions o = apiserver_default_options();
  o.node_name = hostname;
  bool disable_agent = false, disable_scheduler = false, disable_proxy = false, cleanup_on_exit = false;
  const char *pod_log_dir = NULL;  /* the node agent's; NULL = /var/log/pods */
  const char *storage_path = NULL; /* the agent's local-path volumes; NULL = DATA_DIR/storage */

  /* The agent's container log rotation (0 = 10Mi, 0 = 5 files) and pids.max of its pods (-1 = none). */
  int64_t log_max_size = 0, pod_max_pids = -1;
  int log_max_files = 0;
  /* The agent's image garbage collection (the kubelet's defaults). */
  int image_gc_high = 85, image_gc_low = 80;
  int64_t image_gc_age_sec = 120, image_gc_period_sec = 300;
  /* HPA sync period and scale-down window; 0 = the controller's defaults */
  uint64_t hpa_sync_usec = 0, hpa_downscale_usec = 0;
  /* --node-monitor-grace-period; 0 = the controller's 40 s */
  uint64_t node_grace_usec = 0;
  const char *registries = NULL; /* the node agent's registries.yaml; NULL = /etc/coracle/registries.yaml */
  /* The agent's cluster DNS server: address (NULL = the node IP) and port (0 = 53, < 0 = disabled). */
  const char *dns_bind = NULL;
  int dns_port = 0;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hv:", longopts, NULL)) >= 0) {
    switch (c) {
    case OPT_DATA_DIR:
      o.data_dir = optarg;
      break;
    case OPT_BIND:
      o.bind_address = optarg;
      break;
    case OPT_PORT: {
      char *end;
      long p = strtol(optarg, &end, 10);
      if (*end || p <= 0 || p > 65535) {
        fprintf(stderr, "coracle server: invalid --https-listen-port \"%s\"\n", optarg);
        return 2;
      }
      o.https_port = (int)p;
      break;
    }
    case OPT_NODE_NAME:
      o.node_name = optarg;
      break;
    case OPT_NODE_IP:
      o.node_ip = optarg;
      break;
    case OPT_CLUSTER_CIDR:
      o.cluster_cidr = optarg;
      break;
    case OPT_SERVICE_CIDR:
      o.service_cidr = optarg;
      break;
    case OPT_CLUSTER_DNS:
      o.cluster_dns = optarg;
      break;
    case OPT_CLUSTER_DOMAIN:
      o.cluster_domain = optarg;
      break;
    case OPT_KUBECONFIG:
      o.write_kubeconfig = optarg;
      break;
    case OPT_DISABLE_AGENT:
      disable_agent = true;
      break;
    case OPT_DISABLE_PROXY:
      disable_proxy = true;
      break;
    case OPT_DNS_BIND:
      dns_bind = optarg;
      break;
    case OPT_DNS_PORT: {
      char *end;
      long p = strtol(optarg, &end, 10);
      if (*end || p <= 0 || p > 65535) {
        fprintf(stderr, "coracle server: invalid --cluster-dns-port \"%s\"\n", optarg);
        return 2;
      }
      if (dns_port >= 0)
        dns_port = (int)p;
      break;
    }
    case OPT_DISABLE_DNS:
      dns_port = -1;
      break;
    case OPT_REGISTRIES:
      registries = optarg;
      break;
    case OPT_POD_LOG_DIR:
      pod_log_dir = optarg;
      break;
    case OPT_LOG_MAX_SIZE: {
      Quantity q;
      if (quantity_parse(optarg, &q, NULL) < 0 || quantity_value(&q) <= 0) {
        fprintf(stderr, "coracle server: invalid --container-log-max-size \"%s\"\n", optarg);
        return 2;
      }
      log_max_size = quantity_value(&q);
      break;
    }
    case OPT_LOG_MAX_FILES:
    case OPT_POD_MAX_PIDS: {
      char *end;
      long long v = strtoll(optarg, &end, 10);
      if (*end || (c == OPT_LOG_MAX_FILES ? v < 2 || v > 1000 : v < -1)) {
        fprintf(stderr, "coracle server: invalid --%s \"%s\"\n",
                c == OPT_LOG_MAX_FILES ? "container-log-max-files" : "pod-max-pids", optarg);
        return 2;
      }
      if (c == OPT_LOG_MAX_FILES)
        log_max_files = (int)v;
      else
        pod_max_pids = v;
      break;
    }
    case OPT_IMAGE_GC_HIGH:
    case OPT_IMAGE_GC_LOW: {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*end || end == optarg || v < 0 || v > 100) {
        fprintf(stderr, "coracle server: invalid --%s \"%s\": a percentage 0-100\n",
                c == OPT_IMAGE_GC_HIGH ? "image-gc-high-threshold" : "image-gc-low-threshold", optarg);
        return 2;
      }
      *(c == OPT_IMAGE_GC_HIGH ? &image_gc_high : &image_gc_low) = (int)v;
      break;
    }
    case OPT_IMAGE_GC_AGE:
    case OPT_IMAGE_GC_PERIOD: {
      double d;
      if (parse_duration_sec(optarg, &d) < 0 || d < (c == OPT_IMAGE_GC_PERIOD ? 1 : 0) || d > 30 * 86400) {
        fprintf(stderr, "coracle server: invalid --%s \"%s\"\n",
                c == OPT_IMAGE_GC_AGE ? "image-minimum-gc-age" : "image-gc-period", optarg);
        return 2;
      }
      *(c == OPT_IMAGE_GC_AGE ? &image_gc_age_sec : &image_gc_period_sec) = (int64_t)ceil(d);
      break;
    }
    case OPT_CLEANUP_ON_EXIT:
      cleanup_on_exit = true;
      break;
    case OPT_DISABLE_SCHEDULER:
      disable_scheduler = true;
      break;
    case OPT_STORAGE_PATH:
      storage_path = optarg;
      break;
    case OPT_STORE_SYNC:
      o.store_sync = store_sync_from_string(optarg);
      if (o.store_sync == STORE_SYNC_INVALID) {
        fprintf(stderr, "coracle server: --store-sync must be full or normal\n");
        return 2;
      }
      break;
    case OPT_COMPACTION: {
      double d;
      if (parse_duration_sec(optarg, &d) < 0 || d < 0) {
        fprintf(stderr, "coracle server: invalid --etcd-compaction-interval \"%s\"\n", optarg);
        return 2;
      }
      o.compaction_interval_sec = (int64_t)ceil(d);
      break;
    }
    case OPT_WATCH_EVENTS:
      o.watch_cache_events = (size_t)strtoul(optarg, NULL, 10);
      break;
    case OPT_NODE_GRACE:
    case OPT_EVENT_TTL: {
      double d;
      if (parse_duration_sec(optarg, &d) < 0 || d <= 0 || d > 30 * 86400) {
        fprintf(stderr, "coracle server: invalid duration \"%s\"\n", optarg);
        return 2;
      }
      if (c == OPT_NODE_GRACE)
        node_grace_usec = (uint64_t)(d * 1e6);
      else
        o.event_ttl_sec = (int64_t)ceil(d);
      break;
    }
    case OPT_METRIC_RESOLUTION:
    case OPT_HPA_SYNC:
    case OPT_HPA_DOWNSCALE: {
      double d;
      if (parse_duration_sec(optarg, &d) < 0 || d <= 0 || d > 86400) {
        fprintf(stderr, "coracle server: invalid duration \"%s\"\n", optarg);
        return 2;
      }
      if (c == OPT_METRIC_RESOLUTION)
        o.metrics_resolution_ms = (int)(d * 1000);
      else if (c == OPT_HPA_SYNC)
        hpa_sync_usec = (uint64_t)(d * 1e6);
      else
        hpa_downscale_usec = (uint64_t)(d * 1e6);
      break;
    }
    default: {
      int ex = 2; /* -v, -h and unknown flags (cmd/clientflags.h) */
      if (cmd_client_flag(NULL, "server", c, optarg, server_usage, &ex) && ex < 0)
        break;
      return ex;
    }
    }
  }
  {
    _cleanup_error_ Error gcerr = ERROR_INIT;
    if (image_gc_check_thresholds(image_gc_high, image_gc_low, &gcerr) < 0) {
      fprintf(stderr, "coracle server: %s\n", gcerr.message);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "coracle server: unexpected argument \"%s\"\n", argv[optind]);
    return 2;
  }
  /* Without --node-ip the node's address is the one the agent detects (the default route's interface), and
   * the serving certificate names it like a given one, so a client can reach the server at that address. */
  const char *node_ip_flag = o.node_ip;
  _cleanup_free_ char *detected_ip = isempty(o.node_ip) ? kubelet_detect_node_ip() : NULL;
  if (detected_ip && !streq(detected_ip, "127.0.0.1"))
    o.node_ip = detected_ip;

  /* Every connection and watch holds a descriptor: allow as many as the hard limit permits. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  server_tune_malloc();
  /* Block the signals before any thread starts so that only sigwait() sees them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  _cleanup_error_ Error err = ERROR_INIT;
  ApiServer *s = NULL;
  if (apiserver_start(&o, &s, &err) < 0) {
    log_error("server", "failed to start: %s", err.message ? err.message : strerror(-err.code));
    return 1;
  }
  /* ---- scheduler (src/scheduler): in-process, through the server's in-process transport ---- */
  Client *local_client = NULL; /* freed last */
  Client *sched_client = NULL;
  Scheduler *sched = NULL;
  if (!disable_scheduler) {
    bool any = streq(o.bind_address, "0.0.0.0") || streq(o.bind_address, "::");
    bool v6 = !any && strchr(o.bind_address, ':');
    _cleanup_free_ char *url = xasprintf("https://%s%s%s:%d", v6 ? "[" : "",
                                         any ? "127.0.0.1" : o.bind_address, v6 ? "]" : "", o.https_port);
    if (server_local_client(s, &local_client, o.data_dir, url, &sched_client, &err) < 0 ||
        sched_start(sched_client, NULL, &sched, &err) < 0)
      log_error("server", "scheduler not started: %s", err.message ? err.message : strerror(-err.code));
  }
  /* ---- end scheduler ---- */
  /* ---- controller manager (src/controllers): in-process, on the same local client as the scheduler ---- */
  Client *ctrl_client = NULL;
  CtrlManager *ctrl = NULL;
  {
    bool any = streq(o.bind_address, "0.0.0.0") || streq(o.bind_address, "::");
    bool v6 = !any && strchr(o.bind_address, ':');
    _cleanup_free_ char *url = xasprintf("https://%s%s%s:%d", v6 ? "[" : "",
                                         any ? "127.0.0.1" : o.bind_address, v6 ? "]" : "", o.https_port);
    /* The kubernetes Service's endpoint: the first --node-ip, else where we listen. */
    _cleanup_free_ char *ip = !isempty(node_ip_flag) ? xstrndup(node_ip_flag, strcspn(node_ip_flag, ","))
                                                     : xstrdup(any ? "127.0.0.1" : o.bind_address);
    CtrlManagerOptions copts = {
        .apiserver_ip = ip, .apiserver_port = o.https_port, .cluster_cidr = o.cluster_cidr};
    copts.hpa_sync_period_usec = hpa_sync_usec;
    copts.hpa_downscale_window_usec = hpa_downscale_usec;
    copts.node_grace_usec = node_grace_usec;
    Error cerr = ERROR_INIT;
    if (server_local_client(s, &local_client, o.data_dir, url, &ctrl_client, &cerr) < 0 ||
        ctrl_manager_start(ctrl_client, &copts, &ctrl, &cerr) < 0)
      log_error("server", "controllers not started: %s", cerr.message ? cerr.message : strerror(-cerr.code));
    error_reset(&cerr);
  }
  /* ---- end controller manager ---- */
  /* ---- node agent (src/agent/kubelet): runs this node's pods, on the same local client ---- */
  Client *agent_client = NULL;
  Kubelet *agent = NULL;
  if (!disable_agent) {
    bool any = streq(o.bind_address, "0.0.0.0") || streq(o.bind_address, "::");
    bool v6 = !any && strchr(o.bind_address, ':');
    _cleanup_free_ char *url = xasprintf("https://%s%s%s:%d", v6 ? "[" : "",
                                         any ? "127.0.0.1" : o.bind_address, v6 ? "]" : "", o.https_port);
    KubeletOptions kopts = {.node_name = o.node_name,
                            .node_ip = o.node_ip,
                            .data_dir = o.data_dir,
                            .pod_log_dir = pod_log_dir,
                            .cluster_dns = o.cluster_dns,
                            .cluster_domain = o.cluster_domain,
                            .cluster_cidr = o.cluster_cidr,
                            .storage_path = storage_path,
                            .dns_bind_address = dns_bind,
                            .dns_port = dns_port,
                            .registries_path = registries,
                            .pod_max_pids = pod_max_pids,
                            .container_log_max_size = log_max_size,
                            .container_log_max_files = log_max_files,
                            .image_gc_high_percent = image_gc_high,
                            .image_gc_low_percent = image_gc_low,
                            .image_minimum_gc_age_sec = image_gc_age_sec,
                            .image_gc_period_sec = image_gc_period_sec};
    Error kerr = ERROR_INIT;
    if (server_local_client(s, &local_client, o.data_dir, url, &agent_client, &kerr) < 0 ||
        kubelet_start(agent_client, &kopts, &agent, &kerr) < 0)
      log_error("server", "node agent not started: %s", kerr.message ? kerr.message : strerror(-kerr.code));
    error_reset(&kerr);
  }
  /* metrics.k8s.io reads this node's usage from the agent's HTTPS port, else in-process */
  KubeletStatsClient *stats_client = NULL;
  if (agent && kubelet_stats_endpoint_running(agent) &&
      kubelet_stats_client_new(o.data_dir, &stats_client, NULL) >= 0)
    apiserver_set_stats_source(s, o.node_name, server_agent_stats_https, stats_client);
  else if (agent)
    apiserver_set_stats_source(s, o.node_name, server_agent_stats, agent);
  if (agent)
    log_info("metrics", "node=%s source=%s", o.node_name,
             stats_client ? "https://127.0.0.1:10250" : "in-process");
  /* ---- end node agent ---- */
  /* ---- service proxy (src/agent/proxy): this node's nftables Service rules, with the agent ---- */
  Proxy *proxy = NULL;
  if (agent && !disable_proxy) {
    ProxyOptions popts = {.node_name = o.node_name, .cluster_cidr = o.cluster_cidr, .data_dir = o.data_dir};
    Error perr = ERROR_INIT;
    if (proxy_start(agent_client, &popts, &proxy, &perr) < 0)
      log_error("server", "service proxy not started: %s",
                perr.message ? perr.message : strerror(-perr.code));
    error_reset(&perr);
  }
  /* ---- end service proxy ---- */
  int sig = 0;
  sigwait(&set, &sig);
  log_info("server", "received signal %d, shutting down", sig);
  proxy_stop(proxy); /* its rules stay in the kernel (unless --cleanup-on-exit): Services keep working */
  bool cleanup = agent && cleanup_on_exit;
  apiserver_set_stats_source(s, o.node_name, NULL, NULL);
  kubelet_stats_client_free(stats_client);
  kubelet_stop(agent);       /* node agent: before the server it talks to; its containers keep running */
  ctrl_manager_stop(ctrl);   /* controllers: before the server they talk to */
  sched_stop(sched);         /* scheduler: before the server it talks to */
  client_free(local_client); /* shared by the three */
  /* --cleanup-on-exit: pods stopped and the pod network removed, once the agent can no longer restart them */
  if (cleanup)
    cmd_node_cleanup(o.data_dir, NULL);
  apiserver_stop(s);
  return 0;
}
