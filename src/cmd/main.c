/* coracle: one binary for a whole Kubernetes-compatible cluster. Dispatches to the subcommand named by the
 * first argument (server, images, version), in the style of k3s. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "config.h"

static void usage(FILE *f) {
  fputs("Usage: coracle COMMAND [FLAGS]\n"
        "\n"
        "A Kubernetes-compatible container orchestrator in one small binary.\n"
        "\n"
        "Commands:\n"
        "  server     Run the API server (and, later, the node agent) of a single-node cluster\n"
        "  images     Pull, import, list and remove the node's container images\n"
        "  sim-nodes  Run simulated nodes against a cluster (for tests and benchmarks)\n"
        "  scheduler  Run the scheduler alone, for a server started with --disable-scheduler\n"
        "  killall    Stop every container started from a data directory and clean up after them\n"
        "  uninstall  killall, then remove the pod network (bridge, veths, routes, nft table) and the data "
        "dir\n"
        "  version    Print the version\n"
        "\n"
        "Run 'coracle COMMAND --help' for the flags of a command.\n",
        f);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "server") == 0)
    return cmd_server(argc - 1, argv + 1);
  if (strcmp(cmd, "images") == 0)
    return cmd_images(argc - 1, argv + 1);
  if (strcmp(cmd, "sim-nodes") == 0)
    return cmd_sim_nodes(argc - 1, argv + 1);
  if (strcmp(cmd, "scheduler") == 0)
    return cmd_scheduler(argc - 1, argv + 1);
  if (strcmp(cmd, "agent-shim") == 0) /* internal: the per-container monitor */
    return cmd_agent_shim(argc - 1, argv + 1);
  if (strcmp(cmd, "killall") == 0)
    return cmd_killall(argc - 1, argv + 1);
  if (strcmp(cmd, "uninstall") == 0)
    return cmd_uninstall(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
    return cmd_version(argc - 1, argv + 1);
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "coracle: unknown command \"%s\"\n\n", cmd);
  usage(stderr);
  return 2;
}
