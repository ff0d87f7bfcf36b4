/* `coracle sim-nodes`: runs N simulated nodes (src/agent/sim) against a cluster, reached through a
 * kubeconfig (its first cluster and user: CA, client certificate and key, or token) or through a server's
 * DATA_DIR certificates and a URL. Runs until SIGINT/SIGTERM, then deletes its nodes. For tests and the
 * scheduler and controller benchmarks. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "agent/sim/sim.h"
#include "api/jsonutil.h"
#include "base/base64.h"
#include "base/log.h"
#include "cmd/cmd.h"

static void sim_usage(FILE *f) {
  fputs("Usage: coracle sim-nodes [FLAGS]\n"
        "\n"
        "Registers simulated nodes that report every pod bound to them Running (kubemark-style), for tests\n"
        "and benchmarks of the control plane. Deletes the nodes on SIGINT/SIGTERM.\n"
        "\n"
        "  --kubeconfig FILE     cluster to join (first cluster and user of the file)\n"
        "  --data-dir DIR        or: a server's state directory (admin certificates) ...\n"
        "  --server URL          ... and its URL (default https://127.0.0.1:6443)\n"
        "  --count N             number of nodes (default 1)\n"
        "  --prefix P            node name prefix (default sim-)\n"
        "  --cpu Q               CPU capacity of each node (default 4)\n"
        "  --memory Q            memory capacity of each node (default 16Gi)\n"
        "  --pods N              pod capacity of each node (default 110)\n"
        "  --workers N           threads writing pod status (default 4)\n"
        "  --lease-interval S    seconds between Lease renewals of each node (default 10)\n"
        "  -v, --log-level LEVEL error|warn|info|debug|trace (default info)\n",
        f);
}

/* A base64 "-data" field of the kubeconfig as a NUL-terminated string (PEM). */
static char *decode_data(const char *b64) {
  if (!b64)
    return NULL;
  uint8_t *raw = NULL;
  size_t n = 0;
  if (base64_decode(b64, strlen(b64), &raw, &n) < 0)
    return NULL;
  char *s = xstrndup((const char *)raw, n);
  free(raw);
  return s;
}

static char *read_text(const char *path) {
  char *data = NULL;
  size_t n;
  if (!path || read_file(path, &data, &n) < 0)
    return NULL;
  return data;
}

static int client_from_kubeconfig(const char *path, Client **ret, Error *err) {
  _cleanup_free_ char *text = NULL;
  size_t len;
  int rc = read_file(path, &text, &len);
  if (rc < 0)
    return error_set(err, rc, NULL, "reading %s: %s", path, strerror(-rc));
  _cleanup_json_ json_t *kc = NULL;
  if ((rc = yaml_decode_body(text, len, &kc, err)) < 0)
    return error_wrap(err, "%s: ", path);
  json_t *cluster = jpath(json_array_get(json_object_get(kc, "clusters"), 0), "cluster");
  json_t *user = jpath(json_array_get(json_object_get(kc, "users"), 0), "user");
  if (!cluster || !jstr(cluster, "server"))
    return error_set(err, -EINVAL, NULL, "%s: no cluster with a server", path);
  _cleanup_free_ char *ca = jstr(cluster, "certificate-authority-data")
                                ? decode_data(jstr(cluster, "certificate-authority-data"))
                                : read_text(jstr(cluster, "certificate-authority"));
  _cleanup_free_ char *cert = jstr(user, "client-certificate-data")
                                  ? decode_data(jstr(user, "client-certificate-data"))
                                  : read_text(jstr(user, "client-certificate"));
  _cleanup_free_ char *key = jstr(user, "client-key-data") ? decode_data(jstr(user, "client-key-data"))
                                                           : read_text(jstr(user, "client-key"));
  ClientConfig cfg = {.server = jstr(cluster, "server"),
                      .ca_pem = ca,
                      .cert_pem = cert,
                      .key_pem = key,
                      .token = jstr(user, "token"),
                      .user_agent = "coracle-sim-nodes"};
  return client_new(&cfg, ret, err);
}

int cmd_sim_nodes(int argc, char **argv) {
  enum {
    OPT_KUBECONFIG = 256,
    OPT_DATA_DIR,
    OPT_SERVER,
    OPT_COUNT,
    OPT_PREFIX,
    OPT_CPU,
    OPT_MEMORY,
    OPT_PODS,
    OPT_WORKERS,
    OPT_LEASE_INTERVAL,
  };
  static const struct option longopts[] = {
      {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
      {"data-dir", required_argument, NULL, OPT_DATA_DIR},
      {"server", required_argument, NULL, OPT_SERVER},
      {"count", required_argument, NULL, OPT_COUNT},
      {"prefix", required_argument, NULL, OPT_PREFIX},
      {"cpu", required_argument, NULL, OPT_CPU},
      {"memory", required_argument, NULL, OPT_MEMORY},
      {"pods", required_argument, NULL, OPT_PODS},
      {"workers", required_argument, NULL, OPT_WORKERS},
      {"lease-interval", required_argument, NULL, OPT_LEASE_INTERVAL},
      {"log-level", required_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  const char *kubeconfig = NULL, *data_dir = NULL, *server = NULL;
  SimOptions o = {.count = 1};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hv:", longopts, NULL)) >= 0) {
    switch (c) {
    case OPT_KUBECONFIG:
      kubeconfig = optarg;
      break;
    case OPT_DATA_DIR:
      data_dir = optarg;
      break;
    case OPT_SERVER:
      server = optarg;
      break;
    case OPT_COUNT:
      o.count = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case OPT_PREFIX:
      o.prefix = optarg;
      break;
    case OPT_CPU:
      o.cpu = optarg;
      break;
    case OPT_MEMORY:
      o.memory = optarg;
      break;
    case OPT_PODS:
      o.pods = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case OPT_WORKERS:
      o.workers = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case OPT_LEASE_INTERVAL:
      o.lease_interval = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 'v': {
      LogLevel l = log_level_from_string(optarg);
      if (l == LOG_LEVEL_INVALID) {
        fprintf(stderr, "coracle sim-nodes: unknown log level \"%s\"\n", optarg);
        return 2;
      }
      log_set_level(l);
      break;
    }
    case 'h':
      sim_usage(stdout);
      return 0;
    default:
      sim_usage(stderr);
      return 2;
    }
  }
  if (optind < argc || (!kubeconfig && !data_dir) || o.count == 0) {
    sim_usage(stderr);
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  _cleanup_error_ Error err = ERROR_INIT;
  Client *client = NULL;
  int rc = kubeconfig ? client_from_kubeconfig(kubeconfig, &client, &err)
                      : client_new_local(data_dir, server, &client, &err);
  if (rc < 0) {
    fprintf(stderr, "coracle sim-nodes: %s\n", err.message ? err.message : strerror(-rc));
    return 1;
  }
  Sim *sim = NULL;
  if (sim_start(client, &o, &sim, &err) < 0) {
    fprintf(stderr, "coracle sim-nodes: %s\n", err.message ? err.message : strerror(-err.code));
    client_free(client);
    return 1;
  }
  /* Tests wait for this line. */
  printf("ready nodes=%u\n", o.count);
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  log_info("sim-nodes", "received signal %d, deleting nodes", sig);
  sim_stop(sim, true);
  client_free(client);
  return 0;
}
