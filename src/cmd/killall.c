/* `coracle killall [--data-dir DIR]`: stops every container the agent of DIR started and removes what they
 * left behind — runc state, overlay mounts, cgroups, network namespaces and the pods' directories (the role
 * of k3s-killall.sh). The server itself is not stopped: that is its caller's job. */
#include <getopt.h>

#include "agent/runtime/runtime.h"
#include "cmd/cmd.h"

int cmd_killall(int argc, char **argv) {
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
      puts("Usage: coracle killall [--data-dir DIR] [--runc PATH]\n\n"
           "Stops every container started from DIR (default /var/lib/coracle) and removes their mounts,\n"
           "cgroups and network namespaces.");
      return 0;
    default:
      return 2;
    }
  }
  RuntimeConfig cfg;
  Error err = ERROR_INIT;
  if (runtime_config_init(&cfg, data_dir, runc, NULL, &err) < 0) {
    fprintf(stderr, "coracle killall: %s\n", err.message);
    error_reset(&err);
    runtime_config_done(&cfg);
    return 1;
  }
  int n = runtime_killall(&cfg);
  printf("Stopped %d container%s\n", n, n == 1 ? "" : "s");
  runtime_config_done(&cfg);
  return 0;
}
