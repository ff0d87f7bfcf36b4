/* Simulated nodes' share of persistent volumes: as a real agent's local-path provisioner does
 * (agent/kubelet/storage.c), a claim that the persistent volume controller placed on one of the simulated
 * nodes (annotation volume.kubernetes.io/selected-node, provisioner rancher.io/local-path) gets a
 * PersistentVolume pvc-<uid> pinned to that node and pre-bound to the claim, with a hostPath under
 * /var/lib/coracle-sim/storage that nothing creates (no pod really runs); a Released volume of such a node
 * with reclaim policy Delete is deleted. One informer on claims, one on volumes, one worker thread. */
#pragma once

#include <stddef.h>

#include "client/client.h"

typedef struct SimStorage SimStorage;

/* Starts it for the nodes PREFIX0..PREFIX<count-1>; NULL (logged) when the informers cannot start. */
SimStorage *sim_storage_start(Client *c, const char *prefix, size_t count);
/* NULL is fine. */
void sim_storage_stop(SimStorage *ss);
