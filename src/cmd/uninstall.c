/* `coracle uninstall [--data-dir DIR]`: what `coracle killall` does, then everything the node's pod network
 * added to this network namespace — the bridge, our veths, the routes to other nodes, the nft table
 * `ip coracle` — and the sysctls put back as they were, and finally the data directory itself (the role of
 * k3s-uninstall.sh). Other tools' links and tables are never touched. The server must be stopped first. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>

#include "agent/net/podnet.h"
#include "cmd/cmd.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
  (void)st;
  (void)flag;
  (void)f;
  if (remove(path) < 0 && errno != ENOENT)
    fprintf(stderr, "coracle uninstall: cannot remove %s: %s\n", path, strerror(errno));
  return 0;
}

int cmd_uninstall(int argc, char **argv) {
  static const char help[] =
      "Usage: coracle uninstall [--data-dir DIR] [--runc PATH]\n\n"
      "Stops every container started from DIR (default /var/lib/coracle) as `coracle killall` does,\n"
      "removes the pod network of this network namespace (bridge coracle0, our veths and routes, the\n"
      "nftables table `ip coracle`, sysctls restored) and then DIR itself. Stop the server first.";
  const char *data_dir, *runc;
  int rc = cmd_node_flags(argc, argv, help, &data_dir, &runc);
  if (rc >= 0)
    return rc;
  char real[PATH_MAX];
  if (!realpath(data_dir, real)) {
    fprintf(stderr, "coracle uninstall: %s: %s\n", data_dir, strerror(errno));
    return 1;
  }
  if (streq(real, "/")) {
    fputs("coracle uninstall: refusing to remove /\n", stderr);
    return 2;
  }
  if ((rc = cmd_stop_containers("uninstall", real, runc)) != 0)
    return rc;
  rc = podnet_uninstall(real, stdout);
  if (nftw(real, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
    fprintf(stderr, "coracle uninstall: removing %s: %s\n", real, strerror(errno));
  else
    printf("Removed %s\n", real);
  return rc < 0 ? 1 : 0;
}
