/* `coracle killall [--data-dir DIR]`: stops every container the agent of DIR started and removes what they
 * left behind — runc state, overlay mounts, cgroups, network namespaces and the pods' directories (the role
 * of k3s-killall.sh). The server itself is not stopped: that is its caller's job. */
#include <getopt.h>

#include "agent/runtime/runtime.h"
#include "cmd/cmd.h"

int cmd_node_flags(int argc, char **argv, const char *help, const char **ret_data_dir,
                   const char **ret_runc) {
  static const struct option longopts[] = {
      {"data-dir", required_argument, NULL, 'd'},
      {"runc", required_argument, NULL, 'r'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  const char *data_dir = "/var/lib/coracle", *runc = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
    switch (c) {
    case 'd':
      data_dir = optarg;
      break;
    case 'r':
      runc = optarg;
      break;
    case 'h':
      puts(help);
      return 0;
    default:
      return 2;
    }
  }
  *ret_data_dir = data_dir;
  *ret_runc = runc;
  return -1;
}

int cmd_stop_containers(const char *cmd, const char *data_dir, const char *runc) {
  RuntimeConfig cfg;
  Error err = ERROR_INIT;
  if (runtime_config_init(&cfg, data_dir, runc, NULL, &err) < 0) {
    fprintf(stderr, "coracle %s: %s\n", cmd, err.message);
    error_reset(&err);
    runtime_config_done(&cfg);
    return 1;
  }
  int n = runtime_killall(&cfg);
  printf("Stopped %d container%s\n", n, n == 1 ? "" : "s");
  runtime_config_done(&cfg);
  return 0;
}

int cmd_killall(int argc, char **argv) {
  static const char help[] =
      "Usage: coracle killall [--data-dir DIR] [--runc PATH]\n\n"
      "Stops every container started from DIR (default /var/lib/coracle) and removes their mounts,\n"
      "cgroups and network namespaces.";
  const char *data_dir, *runc;
  int rc = cmd_node_flags(argc, argv, help, &data_dir, &runc);
  return rc >= 0 ? rc : cmd_stop_containers("killall", data_dir, runc);
}
