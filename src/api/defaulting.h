/* Kubernetes' defaulting of built-in kinds (the SetDefaults_* functions of each API group): the values a
 * user sees in `kubectl get -o yaml` without having written them — pod spec and container defaults, probe
 * timings, workload strategies and history limits, Service type and port protocols, PVC/PV volume modes and
 * reclaim policies, StorageClass binding modes, NetworkPolicy policyTypes, RBAC subject groups... Pure and
 * idempotent: the same on create and update, no cluster state involved. What depends on the cluster
 * (ClusterIP and NodePort allocation, admission plugins such as DefaultTolerationSeconds, status resets) is
 * the API server's business (src/apiserver/defaults.c). */
#pragma once

#include <jansson.h>

/* Fills in the defaults of an object of group ("" for core) and kind, in place. Fields of the wrong JSON
 * type are left as they are (validation reports them). Unknown kinds are untouched. */
void defaulting_apply(const char *group, const char *kind, json_t *obj);
