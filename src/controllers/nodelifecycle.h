/* The node lifecycle controller (nodelifecycle.c: node health from Leases, taints by condition, taint-based
 * eviction, pod GC of pods bound to deleted nodes) and the disruption controller (disruption.c: the status
 * of PodDisruptionBudgets that the eviction API reads), with the pure decisions they are built from so that
 * the unit tests drive them directly (nodelifecycle-util.c, disruption.c). */
#pragma once

#include "controllers/controllers-internal.h"

#define NLC_TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define NLC_TAINT_UNREACHABLE "node.kubernetes.io/unreachable"
#define NLC_TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define NLC_TAINT_MEMORY_PRESSURE "node.kubernetes.io/memory-pressure"
#define NLC_TAINT_DISK_PRESSURE "node.kubernetes.io/disk-pressure"
#define NLC_TAINT_PID_PRESSURE "node.kubernetes.io/pid-pressure"
#define NLC_TAINT_NETWORK_UNAVAILABLE "node.kubernetes.io/network-unavailable"
#define NLC_EVICT_NEVER (-1)

int nodelifecycle_controller_setup(CtrlManager *m, Error *err);
int disruption_controller_setup(CtrlManager *m, Error *err);

/* ---- node lifecycle, pure parts (nodelifecycle-util.c) ---- */

/* The status ("True", "False", "Unknown") of node's Ready condition, or NULL without one. Borrowed. */
const char *nlc_ready_status(json_t *node);
/* What kube-controller-manager does to a node whose kubelet stopped posting: Ready, MemoryPressure,
 * DiskPressure and PIDPressure become Unknown (reason NodeStatusUnknown, "Kubelet stopped posting node
 * status.", lastTransitionTime now_ts), missing ones are added as NodeStatusNeverUpdated. status is a
 * private copy, changed in place. True if anything changed. */
bool nlc_mark_unknown(json_t *status, const char *creation_ts, const char *now_ts);
/* The taints node should carry: its own taints minus the ones this controller manages that no longer
 * apply, plus the ones that now apply (not-ready / unreachable NoExecute with timeAdded = now_ts and their
 * NoSchedule twins from the Ready condition, the pressure and network conditions, unschedulable for a
 * cordoned node). Existing taints keep their place and timeAdded. New array. */
json_t *nlc_desired_taints(json_t *node, const char *now_ts);
/* True if toleration tolerates taint (Kubernetes' ToleratesTaint). */
bool nlc_toleration_matches(json_t *toleration, json_t *taint);
/* The taint manager's decision for a pod with tolerations on a node with taints (only the NoExecute ones
 * count): 0 = evict now (a taint is not tolerated, or a tolerationSeconds <= 0), > 0 = evict after that
 * many seconds (the smallest tolerationSeconds of the tolerations used), NLC_EVICT_NEVER = never (no
 * NoExecute taint, or tolerated without a time limit). */
int64_t nlc_eviction_delay(json_t *tolerations, json_t *taints);

/* ---- disruption, pure parts (disruption.c) ---- */

#define PDB_DELETION_TIMEOUT_SEC 120 /* a disrupted pod not deleted within this is counted again */

/* The status of pdb given the pods its selector matches and the summed scale of their controllers
 * (expected_scale < 0: unknown, which only matters for percentages and maxUnavailable). now in unix
 * seconds; *ret_recheck (may be NULL) = the unix second when a disrupted pod's entry expires, 0 if none.
 * Conditions are carried over and DisruptionAllowed set as Kubernetes does. New object. */
json_t *pdb_compute_status(json_t *pdb, json_t *pods, int64_t expected_scale, int64_t now,
                           int64_t *ret_recheck);
/* Sets the DisruptionAllowed condition of status from its disruptionsAllowed (SufficientPods /
 * InsufficientPods), or False with reason SyncFailed and message when message is not NULL. */
void pdb_set_allowed_condition(json_t *status, const char *sync_failed_message, int64_t now);
