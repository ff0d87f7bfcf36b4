/* `coracle sim-nodes`: runs N simulated nodes (src/agent/sim) against a cluster, reached through a
 * kubeconfig (its first cluster and user: CA, client certificate and key, or token) or through a server's
 * DATA_DIR certificates and a URL. Runs until SIGINT/SIGTERM, then deletes its nodes. For tests and the
 * scheduler and controller benchmarks. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "agent/sim/sim.h"
#include "base/log.h"
#include "cmd/clientflags.h"
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

int cmd_sim_nodes(int argc, char **argv) {
  enum {
    OPT_COUNT = 256,
    OPT_PREFIX,
    OPT_CPU,
    OPT_MEMORY,
    OPT_PODS,
    OPT_WORKERS,
    OPT_LEASE_INTERVAL,
  };
  static const struct option longopts[] = {
      {"count", required_argument, NULL, OPT_COUNT},
      {"prefix", required_argument, NULL, OPT_PREFIX},
      {"cpu", required_argument, NULL, OPT_CPU},
      {"memory", required_argument, NULL, OPT_MEMORY},
      {"pods", required_argument, NULL, OPT_PODS},
      {"workers", required_argument, NULL, OPT_WORKERS},
      {"lease-interval", required_argument, NULL, OPT_LEASE_INTERVAL},
      CMD_CLIENT_LONGOPTS,
      {0},
  };
  CmdClientFlags f = {0};
  SimOptions o = {.count = 1};
  int c, ex;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hv:", longopts, NULL)) >= 0) {
    if (cmd_client_flag(&f, "sim-nodes", c, optarg, sim_usage, &ex)) {
      if (ex >= 0)
        return ex;
      continue;
    }
    switch (c) {
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
    default:
      sim_usage(stderr);
      return 2;
    }
  }
  if (optind < argc || (!f.kubeconfig && !f.data_dir) || o.count == 0) {
    sim_usage(stderr);
    return 2;
  }
  sigset_t set;
  cmd_block_stop_signals(&set);

  _cleanup_error_ Error err = ERROR_INIT;
  Client *client = NULL;
  int rc = cmd_client_connect(&f, "coracle-sim-nodes", &client, &err);
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
