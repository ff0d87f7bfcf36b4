/* `coracle version`: the coracle version and the Kubernetes API version it serves. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "config.h"

int cmd_version(int argc, char **argv) {
  printf("coracle version v%s (Kubernetes API %s)\n", CORACLE_VERSION, CORACLE_K8S_VERSION);
  return 0;
}
