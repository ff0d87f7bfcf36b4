/* Pod-level cgroups per QoS class, laid out as the kubelet's cgroupfs driver does under kubepods:
 *   /coracle/pods/pod<UID>/<container>                 Guaranteed
 *   /coracle/pods/burstable/pod<UID>/<container>       Burstable (burstable's cpu.shares = its pods'
 * requests) /coracle/pods/besteffort/pod<UID>/<container>      BestEffort (besteffort's cpu.shares = 2) The
 * pod cgroup carries the pod's totals (the kubelet's ResourceConfigForPod): cpu.shares from the summed cpu
 * requests, a cpu quota and a memory limit only when every container has that limit, pids.max from
 * --pod-max-pids; BestEffort pods get shares 2 and nothing else. Init containers count as the kubelet counts
 * them: max(sum of the containers, the largest init container). cgroup v1 (each controller its own
 * hierarchy, hybrid hosts included) and v2 (unified hosts: cpu.weight, cpu.max, memory.max, pids.max, with
 * the controllers enabled in the parents' cgroup.subtree_control). The values are pure and unit-tested; the
 * functions that touch /sys/fs/cgroup say so. /coracle/pods is shared by every data directory on the host. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/runtime/runtime.h"
#include "base/error.h"

#define RUNTIME_CGROUP_BURSTABLE RUNTIME_CGROUP_PARENT "/burstable"
#define RUNTIME_CGROUP_BESTEFFORT RUNTIME_CGROUP_PARENT "/besteffort"

typedef struct RuntimePodResources {
  uint64_t cpu_shares;  /* v1 cpu.shares (v2: converted to cpu.weight) */
  int64_t cpu_quota;    /* usec per RUNTIME_CPU_PERIOD_USEC; -1 = no quota */
  int64_t memory_limit; /* bytes; 0 = no limit */
  int64_t pids_limit;   /* <= 0 = no limit */
} RuntimePodResources;

/* The pod cgroup's values for pod (a Pod object) of QoS class qos ("Guaranteed", "Burstable",
 * "BestEffort"); pod_max_pids <= 0 = unlimited. */
void runtime_pod_resources(json_t *pod, const char *qos, int64_t pod_max_pids, RuntimePodResources *ret);

/* "/coracle/pods[/burstable|/besteffort]/pod<UID>". Caller frees. */
char *runtime_pod_cgroup_name(const char *uid, const char *qos);

/* One value to write: file (relative to the cgroup) in the v1 hierarchy named controller, or in the unified
 * tree when controller is NULL. */
typedef struct RuntimeCgroupWrite {
  const char *controller;
  const char *file;
  char value[48];
} RuntimeCgroupWrite;
#define RUNTIME_CGROUP_MAX_WRITES 8

/* The writes that apply r, for v1 or v2; returns how many were filled in out. */
size_t runtime_cgroup_writes(const RuntimePodResources *r, bool v2,
                             RuntimeCgroupWrite out[static RUNTIME_CGROUP_MAX_WRITES]);
/* cpu.shares → cpu.weight as runc and the kubelet convert (2 → 1, 1024 → 39, 262144 → 10000). */
uint64_t runtime_cgroup_shares_to_weight(uint64_t shares);
/* The count on the "oom_kill N" line of memory.oom_control (v1) or memory.events (v2); 0 if none. */
int64_t runtime_cgroup_parse_oom_kills(const char *text);

/* True on a unified (v2-only) host: /sys/fs/cgroup/cgroup.controllers exists. */
bool runtime_cgroup_unified(void);
/* Creates the pod's cgroup (and its QoS parent) and writes its values; idempotent. Touches /sys/fs/cgroup. */
int runtime_pod_cgroup_ensure(const char *uid, const char *qos, json_t *pod, int64_t pod_max_pids,
                              Error *err);
/* Sets burstable's cpu.shares to the sum of its pods' (v1; the kubelet's QoS manager does this). */
void runtime_cgroup_update_qos(void);
/* OOM kills counted in the container cgroup (absolute path), read from the host's files; 0 if unreadable. */
int64_t runtime_cgroup_oom_kills(const char *cgroup);
