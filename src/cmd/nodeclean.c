/* The clean shutdown of a node's agent (`coracle server --cleanup-on-exit`, and `coracle agent` when it
 * exists): what `coracle uninstall` removes from the machine, without removing the data directory. Every
 * container of the data directory is stopped (its mounts, cgroups and network namespace removed, as `coracle
 * killall` does), then the pod network is taken down (podnet_uninstall: our veths and routes, the bridge, the
 * nft table `ip coracle`, the sysctls we changed put back). Images, the store and the pods' API objects stay:
 * a later start recreates the pods. Without the flag, stopping leaves pods and rules in place (k3s: the
 * containers keep running for upgrades; k3s-killall.sh is the separate clean-up). */
#include <stdio.h>
#include <stdlib.h>

#include "agent/net/podnet.h"
#include "agent/runtime/runtime.h"
#include "base/log.h"
#include "cmd/cmd.h"

int cmd_node_cleanup(const char *data_dir, const char *runc) {
  RuntimeConfig cfg;
  Error err = ERROR_INIT;
  int rc = runtime_config_init(&cfg, data_dir, runc, NULL, &err);
  if (rc < 0) {
    log_error("cleanup", "msg=\"cannot stop the pods\" err=\"%s\"", err.message ? err.message : "");
    error_reset(&err);
  } else {
    int n = runtime_killall(&cfg);
    log_info("cleanup", "containers=%d msg=\"pods stopped\"", n);
  }
  runtime_config_done(&cfg);
  /* podnet_uninstall reports line by line; each line becomes one log line. */
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  int removed = podnet_uninstall(data_dir, out);
  if (out)
    fclose(out);
  for (char *line = text, *next; line && *line; line = next) {
    next = line + strcspn(line, "\n");
    if (*next)
      *next++ = 0;
    log_info("cleanup", "msg=\"%s\"", line);
  }
  free(text);
  log_info("cleanup", "removed=%d msg=\"node network cleaned up\"", removed < 0 ? 0 : removed);
  return rc < 0 || removed < 0 ? -1 : 0;
}
