/* The pure parts of the persistent volume controller (pvcontroller.c), unit-tested on their own: which
 * PersistentVolume a claim binds to (kube-controller-manager's findMatchingVolume: a volume pre-bound to the
 * claim first, else the smallest Available volume of the claim's class whose access modes include the
 * claim's, whose capacity covers the request, whose labels match the claim's selector and whose volumeMode
 * is the claim's), whether a claim is in use by a pod (the pvc-protection rule), and which node a
 * local-path volume is provisioned on (a Ready, schedulable node with the fewest local volumes). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* Annotations and finalizers, with Kubernetes' names. */
#define VOL_ANN_BIND_COMPLETED "pv.kubernetes.io/bind-completed"
#define VOL_ANN_BOUND_BY_CONTROLLER "pv.kubernetes.io/bound-by-controller"
#define VOL_ANN_PROVISIONED_BY "pv.kubernetes.io/provisioned-by"
#define VOL_ANN_SELECTED_NODE "volume.kubernetes.io/selected-node"
#define VOL_ANN_STORAGE_PROVISIONER "volume.kubernetes.io/storage-provisioner"
#define VOL_ANN_BETA_STORAGE_PROVISIONER "volume.beta.kubernetes.io/storage-provisioner"
#define VOL_ANN_BETA_STORAGE_CLASS "volume.beta.kubernetes.io/storage-class"
#define VOL_ANN_DEFAULT_CLASS "storageclass.kubernetes.io/is-default-class"
#define VOL_FINALIZER_PVC "kubernetes.io/pvc-protection"
#define VOL_FINALIZER_PV "kubernetes.io/pv-protection"
#define VOL_LOCAL_PATH_PROVISIONER "rancher.io/local-path"
#define VOL_DEFAULT_CLASS_NAME "local-path"
#define VOL_HOSTNAME_LABEL "kubernetes.io/hostname"

/* The class a claim or volume asks for: spec.storageClassName, else the beta annotation, else "". */
const char *volume_class_of(json_t *obj);
/* True when every access mode of want is in have (arrays of strings). */
bool volume_access_modes_contain(json_t *have, json_t *want);
/* True if pv's claimRef names claim (namespace and name, and uid when the ref has one). */
bool volume_pv_bound_to_claim(json_t *pv, json_t *pvc);
/* True if pv could serve pvc: class, volumeMode, access modes, capacity >= request, selector. The
 * volume's own binding state is not looked at. */
bool volume_pv_matches_claim(json_t *pv, json_t *pvc);
/* The volume of pvs (an array) that pvc should bind to, borrowed, or NULL: a volume pre-bound to the claim
 * that matches it, else the smallest matching volume that is free (no claimRef, not being deleted, phase
 * Available or Pending). */
json_t *volume_find_match(json_t *pvs, json_t *pvc);
/* True if a pod of pods (an array) that has not terminated (phase neither Succeeded nor Failed) names the
 * claim in a persistentVolumeClaim volume. */
bool volume_claim_in_use(json_t *pods, json_t *pvc);
/* The node a volume's required node affinity pins it to (kubernetes.io/hostname In [node]), or NULL. */
const char *volume_pv_node(json_t *pv);
/* A Ready node without spec.unschedulable for a new local volume, the one with the fewest volumes of pvs
 * pinned to it and claims of pvcs waiting for it (selected-node, not yet bound); ties by name. Borrowed from
 * nodes, NULL if none. */
const char *volume_pick_node(json_t *nodes, json_t *pvs, json_t *pvcs);
/* The default StorageClass among classes (annotation is-default-class "true"; the newest when several, as
 * Kubernetes 1.28+ does), borrowed, or NULL. */
json_t *volume_default_class(json_t *classes);
