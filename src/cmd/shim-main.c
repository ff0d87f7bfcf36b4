/* coracle-shim: the per-container monitor as a small executable of its own, installed next to coracle. The
 * node agent starts it as `coracle-shim agent-shim RUNC RUNC_ROOT ID BUNDLE LOG CGROUP LOG_MAX_SIZE
 * LOG_MAX_FILES`, the same arguments as `coracle agent-shim` (its fallback when this file is absent), so
 * that the agent, killall and a restarted agent recognise monitors of either kind by the "agent-shim"
 * argument and the bundle. It links only the runtime's monitor code (shim.c, CRI log records, rotation,
 * the cgroup OOM count) with libc, jansson and zlib: one exec of it costs a fraction of re-executing the
 * whole coracle binary with its fifty shared libraries (docs/BENCHMARKS.md, pod start). */
#include <stdio.h>
#include <string.h>

#include "agent/runtime/shim.h"

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "agent-shim") != 0) {
    fputs("coracle-shim is the node agent's per-container monitor; it is started by `coracle server`.\n"
          "usage: coracle-shim agent-shim RUNC RUNC_ROOT ID BUNDLE LOG CGROUP [LOG_MAX_SIZE LOG_MAX_FILES]\n",
          stderr);
    return 2;
  }
  return runtime_shim_main(argc - 1, argv + 1);
}
