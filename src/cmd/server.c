/* `coracle server`: parses the k3s-style flags, starts the API server and runs until SIGINT/SIGTERM.
 * Flags that belong to components not written yet (the agent) are accepted and reported. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>

#include "apiserver/apiserver.h"
#include "base/log.h"
#include "agent/kubelet/kubelet.h"
#include "client/client.h"
#include "controllers/controllers.h"
#include "scheduler/scheduler.h"
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
      "  --pod-log-dir DIR            the agent's container logs (default /var/log/pods)\n"
      "  --registries PATH            registries.yaml: mirrors, TLS and credentials of image registries\n"
      "                               (k3s format; default /etc/coracle/registries.yaml)\n"
      "  --disable-scheduler          run no scheduler in this process\n"
      "  --store-sync full|normal     SQLite durability: full fsyncs every write (default), normal survives\n"
      "                               kill -9 but not power loss\n"
      "  --etcd-compaction-interval D history compaction period (default 5m; 0 disables)\n"
      "  --watch-cache-events N       watch events kept in memory (default 8192)\n"
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
    OPT_POD_LOG_DIR,
    OPT_REGISTRIES,
    OPT_DISABLE_SCHEDULER,
    OPT_STORE_SYNC,
    OPT_COMPACTION,
    OPT_WATCH_EVENTS,
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
      {"pod-log-dir", required_argument, NULL, OPT_POD_LOG_DIR},
      {"registries", required_argument, NULL, OPT_REGISTRIES},
      {"private-registry", required_argument, NULL, OPT_REGISTRIES}, /* k3s' name for the same file */
      {"disable-scheduler", no_argument, NULL, OPT_DISABLE_SCHEDULER},
      {"store-sync", required_argument, NULL, OPT_STORE_SYNC},
      {"etcd-compaction-interval", required_argument, NULL, OPT_COMPACTION},
      {"watch-cache-events", required_argument, NULL, OPT_WATCH_EVENTS},
      {"log-level", required_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  char hostname[256] = "localhost";
  gethostname(hostname, sizeof hostname - 1);
  ApiServerOptions o = {
      .data_dir = "/var/lib/coracle",
      .bind_address = "0.0.0.0",
      .https_port = 6443,
      .node_name = hostname,
      .cluster_cidr = "10.42.0.0/16",
      .service_cidr = "10.43.0.0/16",
      .cluster_dns = "10.43.0.10",
      .cluster_domain = "cluster.local",
      .write_kubeconfig = "/etc/coracle/coracle.yaml",
      .store_sync = STORE_SYNC_FULL,
      .compaction_interval_sec = 300,
      .watch_cache_events = 8192,
  };
  bool disable_agent = false, disable_scheduler = false;
  const char *pod_log_dir = NULL; /* the node agent's; NULL = /var/log/pods */
  const char *registries = NULL;  /* the node agent's registries.yaml; NULL = /etc/coracle/registries.yaml */
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
    case OPT_REGISTRIES:
      registries = optarg;
      break;
    case OPT_POD_LOG_DIR:
      pod_log_dir = optarg;
      break;
    case OPT_DISABLE_SCHEDULER:
      disable_scheduler = true;
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
    case 'v': {
      LogLevel l = log_level_from_string(optarg);
      if (l == LOG_LEVEL_INVALID) {
        fprintf(stderr, "coracle server: unknown log level \"%s\"\n", optarg);
        return 2;
      }
      log_set_level(l);
      break;
    }
    case 'h':
      server_usage(stdout);
      return 0;
    default:
      server_usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "coracle server: unexpected argument \"%s\"\n", argv[optind]);
    return 2;
  }

  /* Every connection and watch holds a descriptor: allow as many as the hard limit permits. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

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
  /* ---- scheduler (src/scheduler): in-process, talking to this server over loopback HTTPS ---- */
  Client *sched_client = NULL;
  Scheduler *sched = NULL;
  if (!disable_scheduler) {
    bool any = streq(o.bind_address, "0.0.0.0") || streq(o.bind_address, "::");
    bool v6 = !any && strchr(o.bind_address, ':');
    _cleanup_free_ char *url = xasprintf("https://%s%s%s:%d", v6 ? "[" : "",
                                         any ? "127.0.0.1" : o.bind_address, v6 ? "]" : "", o.https_port);
    if (client_new_local(o.data_dir, url, &sched_client, &err) < 0 ||
        sched_start(sched_client, NULL, &sched, &err) < 0)
      log_error("server", "scheduler not started: %s", err.message ? err.message : strerror(-err.code));
  }
  /* ---- end scheduler ---- */
  /* ---- controller manager (src/controllers): in-process, over loopback HTTPS like the scheduler ---- */
  Client *ctrl_client = NULL;
  CtrlManager *ctrl = NULL;
  {
    bool any = streq(o.bind_address, "0.0.0.0") || streq(o.bind_address, "::");
    bool v6 = !any && strchr(o.bind_address, ':');
    _cleanup_free_ char *url = xasprintf("https://%s%s%s:%d", v6 ? "[" : "",
                                         any ? "127.0.0.1" : o.bind_address, v6 ? "]" : "", o.https_port);
    /* The kubernetes Service's endpoint: the node's first address, else where we listen. */
    _cleanup_free_ char *ip = !isempty(o.node_ip) ? xstrndup(o.node_ip, strcspn(o.node_ip, ","))
                                                  : xstrdup(any ? "127.0.0.1" : o.bind_address);
    CtrlManagerOptions copts = {.apiserver_ip = ip, .apiserver_port = o.https_port};
    Error cerr = ERROR_INIT;
    if (client_new_local(o.data_dir, url, &ctrl_client, &cerr) < 0 ||
        ctrl_manager_start(ctrl_client, &copts, &ctrl, &cerr) < 0)
      log_error("server", "controllers not started: %s", cerr.message ? cerr.message : strerror(-cerr.code));
    error_reset(&cerr);
  }
  /* ---- end controller manager ---- */
  /* ---- node agent (src/agent/kubelet): runs this node's pods, over loopback HTTPS like the others ---- */
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
                            .registries_path = registries};
    Error kerr = ERROR_INIT;
    if (client_new_local(o.data_dir, url, &agent_client, &kerr) < 0 ||
        kubelet_start(agent_client, &kopts, &agent, &kerr) < 0)
      log_error("server", "node agent not started: %s", kerr.message ? kerr.message : strerror(-kerr.code));
    error_reset(&kerr);
  }
  /* ---- end node agent ---- */
  int sig = 0;
  sigwait(&set, &sig);
  log_info("server", "received signal %d, shutting down", sig);
  kubelet_stop(agent); /* node agent: before the server it talks to; its containers keep running */
  client_free(agent_client);
  ctrl_manager_stop(ctrl); /* controllers: before the server they talk to */
  client_free(ctrl_client);
  sched_stop(sched); /* scheduler: before the server it talks to */
  client_free(sched_client);
  apiserver_stop(s);
  return 0;
}
