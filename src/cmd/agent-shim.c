/* `coracle agent-shim ...`: the per-container monitor, re-executed from this binary by the node agent (one
 * process per container, detached from the agent so that it survives it). All of its logic lives in
 * src/agent/runtime/shim.c; this file only hands over the arguments. */
#include "agent/runtime/shim.h"
#include "cmd/cmd.h"

int cmd_agent_shim(int argc, char **argv) {
  return runtime_shim_main(argc, argv);
}
