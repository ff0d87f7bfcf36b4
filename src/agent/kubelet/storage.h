/* Persistent volumes on the node (k3s' local-path provisioner, built into the agent, and the kubelet's
 * persistentVolumeClaim volume plugin).
 *
 * Provisioner: for a claim annotated volume.kubernetes.io/selected-node = this node and
 * volume.kubernetes.io/storage-provisioner = rancher.io/local-path (the persistent volume controller picks
 * the node), it makes the directory <root>/pvc-<uid>_<namespace>_<name> (mode 0777, as k3s) and creates
 * the PersistentVolume pvc-<uid>: hostPath (DirectoryOrCreate) on that directory, the claim's request as
 * capacity, its access modes and volume mode, the class's name and reclaim policy, required node affinity
 * kubernetes.io/hostname In [this node], claimRef to the claim (the controller then binds both). A
 * Released volume it provisioned on this node with reclaim policy Delete loses its directory, then the PV.
 * <root> is --default-local-storage-path (k3s' flag), default DATA_DIR/storage. One thread, fed by
 * informers on claims and volumes through a work queue.
 *
 * Volume plugin: a pod's persistentVolumeClaim volume is the host path of the claim's bound volume
 * (hostPath or local), bind-mounted like a hostPath; the claim must exist, not be being deleted, and be
 * Bound, else the pod waits in ContainerCreating with a FailedMount event. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

typedef struct Kubelet Kubelet;
typedef struct KubeletStorage KubeletStorage;

#define STORAGE_PROVISIONER "rancher.io/local-path"

/* Starts the provisioner of k (sets k->storage). A failure is logged; pods without claims still run. */
int kubelet_storage_start(Kubelet *k, Error *err);
/* Stops and frees it. NULL is fine. */
void kubelet_storage_free(KubeletStorage *st);

/* The host directory of the claim that src (a persistentVolumeClaim volume source {claimName, readOnly})
 * names in namespace ns, and whether the claim asks for read-only. Kubernetes' messages on failure
 * (`persistentvolumeclaim "x" not found`, `PVC is not bound`, and for a new_mount `PVC is being deleted`:
 * a container restarting in a pod that already has the volume keeps it). *ret_path: caller frees. */
int kubelet_pvc_path(Kubelet *k, const char *ns, json_t *src, bool new_mount, char **ret_path,
                     bool *ret_read_only, Error *err);

/* ---- pure parts, unit-tested ---- */

/* <root>/pvc-<uid>_<namespace>_<name>, k3s' directory of a claim's volume. Caller frees. */
char *kubelet_storage_dir(const char *root, json_t *pvc);
/* The PersistentVolume for pvc of class sc on node, its data in path. New object. */
json_t *kubelet_storage_new_pv(json_t *pvc, json_t *sc, const char *node, const char *path);
/* True when path is a volume directory this provisioner may remove: directly under root and named pvc-… */
bool kubelet_storage_owns_path(const char *root, const char *path);
