/* Simulated nodes (Kubernetes' kubemark idea): one process registers many Node objects that look Ready,
 * renews their Leases in kube-node-lease, and pretends to run the pods bound to them — it reports them
 * Running with fake pod IPs at once and deletes them as soon as they are marked for deletion — so that the
 * control plane (scheduler, controllers, API server) can be measured with a thousand nodes on one machine.
 * Nothing is started for real.
 *
 * Threads: the pod informer's, SIM_WORKERS workers that write pod status and deletions, and one heartbeat
 * thread that renews the Leases. The node table is written once at start and read-only afterwards. */
#pragma once

#include "base/error.h"
#include "client/client.h"

typedef struct Sim Sim;

/* Pods may ask the simulated node to make their containers exit (Jobs need pods that finish):
 * SIM_EXIT_CODE_ANN: exit with this code SIM_RUN_SECONDS_ANN seconds (default 0) after starting;
 * SIM_FAIL_FIRST_ANN: "N": the first N pods of one controller (by owner uid) exit 1, later ones with the
 * exit-code annotation's code (default 0). The pod then ends Succeeded/Failed for restartPolicy Never (and
 * OnFailure with code 0); otherwise the containers restart with restartCount + 1 and exit again. */
#define SIM_EXIT_CODE_ANN "sim.coracle.io/exit-code"
#define SIM_RUN_SECONDS_ANN "sim.coracle.io/run-seconds"
#define SIM_FAIL_FIRST_ANN "sim.coracle.io/fail-first"

typedef struct SimOptions {
  const char *prefix; /* node names are PREFIX0, PREFIX1...; default "sim-" */
  unsigned count;     /* number of nodes (>= 1) */
  const char *cpu;    /* capacity = allocatable; defaults "4", "16Gi", 110 */
  const char *memory;
  unsigned pods;
  unsigned workers;        /* pod status writers; default 4 */
  unsigned lease_interval; /* seconds between Lease renewals; default 10; 0 = the default */
} SimOptions;

/* Registers the nodes (creating them, or taking over existing ones of the same names) and starts the
 * threads. Returns once every node is Ready. -EINVAL for bad options (quantities that do not parse). */
int sim_start(Client *c, const SimOptions *opts, Sim **ret, Error *err);
/* Stops the threads; with delete_nodes, deletes the Node objects and their Leases (what SIGTERM does).
 * NULL is fine. */
void sim_stop(Sim *s, bool delete_nodes);

typedef struct SimStats {
  uint64_t started, deleted, errors;
} SimStats;

void sim_get_stats(Sim *s, SimStats *ret);
