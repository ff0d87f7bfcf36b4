/* Pod volumes (the kubelet's volume manager, reduced to what a single node needs). Each volume of a pod is
 * materialised under DATA_DIR/agent/pods/UID/volumes/<plugin>/<name> with Kubernetes' plugin names:
 *   kubernetes.io~empty-dir    a directory (mode 0777); medium Memory is a tmpfs sized by sizeLimit, else by
 *                              the pod's memory limits when every container has one
 *   kubernetes.io~configmap    ConfigMap keys as files          } written by the atomic writer below,
 *   kubernetes.io~secret       Secret keys as files (tmpfs)     } rewritten in place when the object or
 *   kubernetes.io~downward-api pod fields as files (tmpfs)      } the pod changes (looked at every couple
 *   kubernetes.io~projected    all of these in one (tmpfs)      } of seconds while the pod runs)
 * hostPath volumes are the host's path itself, after the type check (DirectoryOrCreate, Directory,
 * FileOrCreate, File, Socket, CharDevice, BlockDevice). Containers get them as bind mounts in config.json
 * (subPath binds the sub path, resolved and kept inside the volume); configMap, secret, downwardAPI and
 * projected mounts are always read-only. Everything under the pod directory is unmounted and removed with
 * the pod (runtime_pod_remove).
 *
 * The atomic writer keeps Kubernetes' layout so that readers never see half an update: the files live in a
 * timestamped directory "..2026_11_26_17_30_00.XXXXXX", "..data" is a symlink to it swapped by rename(2),
 * and each top-level name is a symlink "name -> ..data/name". */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/runtime/spec.h"
#include "base/error.h"

typedef struct Kubelet Kubelet;
typedef struct KubeletPod KubeletPod;

#define VOLUME_DEFAULT_MODE 0644
/* How often the volumes of a running pod are looked at again for changed ConfigMaps, Secrets and pod
 * metadata (Kubernetes takes up to its sync period plus its cache TTL, about a minute). */
#define VOLUME_REFRESH_USEC 2000000ull

typedef struct VolumeFile {
  char *path; /* relative to the volume, validated */
  uint8_t *data;
  size_t len;
  unsigned mode;
} VolumeFile;

/* The files of one volume, as the atomic writer takes them. */
typedef struct VolumePayload {
  VolumeFile *files;
  size_t n;
} VolumePayload;

void volume_payload_done(VolumePayload *p);
/* Adds path (replacing an earlier file of the same path: a later projected source wins). */
void volume_payload_add(VolumePayload *p, const char *path, const void *data, size_t len, unsigned mode);

/* Whether path may name a file inside a volume (items[].path, subPath): not empty, relative, no ".."
 * element, not starting with "..", at most 4096 bytes. */
bool volume_path_valid(const char *path);

/* The files of a ConfigMap or Secret (obj NULL when it does not exist): every key (ConfigMap data and
 * binaryData; Secret data base64-decoded), or only items [{key, path, mode}]. mode defaults to
 * default_mode. A missing object or item key fails unless optional, with Kubernetes' messages
 * (`configmap "x" not found`, `configmap references non-existent config key: k`). name is the object's. */
int volume_project_object(VolumePayload *p, json_t *obj, bool secret, const char *name, json_t *items,
                          unsigned default_mode, bool optional, Error *err);

/* The files of downwardAPI items [{path, fieldRef{fieldPath}, resourceFieldRef{containerName, resource,
 * divisor}, mode}] for pod. metadata.labels and metadata.annotations give every entry as sorted
 * `key="value"` lines. */
int volume_project_downward(VolumePayload *p, json_t *pod, const char *host_ip, json_t *items,
                            unsigned default_mode, Error *err);

/* Writes p into dir (which exists) with the layout above. Nothing changes on disk when dir already holds
 * exactly p. *ret_changed (may be NULL) says whether it did change. */
int volume_atomic_write(const char *dir, const VolumePayload *p, bool *ret_changed, Error *err);

/* The hostPath type check (type NULL or "" checks nothing), creating what *OrCreate asks for. The message
 * is Kubernetes' ("hostPath type check failed: /x is not a directory"). */
int volume_host_path_check(const char *path, const char *type, Error *err);

/* ---- the kubelet side ---- */

/* Sets up or refreshes every volume of pod (at most every VOLUME_REFRESH_USEC unless force). A failure
 * names the volume ("MountVolume.SetUp failed for volume \"v\" : configmap \"x\" not found"); the
 * containers then stay ContainerCreating. */
int kubelet_volumes_sync(Kubelet *k, KubeletPod *kp, json_t *pod, bool force, Error *err);

/* The pod's own mounts (base: /etc/hosts...) and the bind mounts of spec_ctr's volumeMounts, in an order
 * where a parent mount comes before mounts inside it; a volumeMount on a base mount's path replaces it.
 * subPathExpr is expanded with env (the container's environment, an array of {"name","value"}). The strings
 * are owned by the array: free with kubelet_volume_mounts_free. A bad subPath fails with a
 * CreateContainerConfigError-style message. */
int kubelet_volume_mounts(Kubelet *k, KubeletPod *kp, json_t *pod, json_t *spec_ctr, json_t *env,
                          const RuntimeMount *base, size_t n_base, RuntimeMount **ret, size_t *ret_n,
                          Error *err);
void kubelet_volume_mounts_free(RuntimeMount *m, size_t n);
