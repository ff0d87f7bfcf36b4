/* The node's local-path provisioner and the persistentVolumeClaim volume plugin (see storage.h). */
#include <errno.h>
#include <sys/stat.h>

#include "agent/kubelet/kubelet-internal.h"
#include "agent/kubelet/storage.h"
#include "api/jsonutil.h"
#include "base/log.h"

#define COMPONENT "local-path-provisioner"
#define ANN_SELECTED_NODE "volume.kubernetes.io/selected-node"
#define ANN_STORAGE_PROVISIONER "volume.kubernetes.io/storage-provisioner"
#define ANN_PROVISIONED_BY "pv.kubernetes.io/provisioned-by"

struct KubeletStorage {
  Kubelet *k;
  char *root;
  Informer *pvcs, *pvs;
  WorkQueue *queue;
  pthread_t thread;
  bool started;
};

/* ---- pure parts ---- */

char *kubelet_storage_dir(const char *root, json_t *pvc) {
  return xasprintf("%s/pvc-%s_%s_%s", root, jstr(pvc, "metadata.uid") ?: "",
                   jstr(pvc, "metadata.namespace") ?: "default", jstr(pvc, "metadata.name") ?: "");
}

json_t *kubelet_storage_new_pv(json_t *pvc, json_t *sc, const char *node, const char *path) {
  _cleanup_free_ char *name = xasprintf("pvc-%s", jstr(pvc, "metadata.uid") ?: "");
  json_t *modes = jpath(pvc, "spec.accessModes");
  json_t *request = jpath(pvc, "spec.resources.requests.storage");
  json_t *spec = json_pack(
      "{s:{s:o},s:o,s:s,s:s,s:s,s:{s:s,s:s},s:{s:{s:[{s:[{s:s,s:s,s:[s]}]}]}},s:{s:s,s:s,s:s,s:s,s:s,s:s}}",
      "capacity", "storage", request ? json_incref(request) : json_string("0"), "accessModes",
      json_is_array(modes) ? json_incref(modes) : json_array(), "storageClassName",
      jstr(sc, "metadata.name") ?: "", "persistentVolumeReclaimPolicy", jstr(sc, "reclaimPolicy") ?: "Delete",
      "volumeMode", jstr(pvc, "spec.volumeMode") ?: "Filesystem", "hostPath", "path", path, "type",
      "DirectoryOrCreate", "nodeAffinity", "required", "nodeSelectorTerms", "matchExpressions", "key",
      "kubernetes.io/hostname", "operator", "In", "values", node, "claimRef", "apiVersion", "v1", "kind",
      "PersistentVolumeClaim", "namespace", jstr(pvc, "metadata.namespace") ?: "default", "name",
      jstr(pvc, "metadata.name") ?: "", "uid", jstr(pvc, "metadata.uid") ?: "", "resourceVersion",
      jstr(pvc, "metadata.resourceVersion") ?: "");
  json_t *mo = jpath(sc, "mountOptions");
  if (json_is_array(mo) && json_array_size(mo))
    json_object_set(spec, "mountOptions", mo);
  return json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s}},s:o}", "apiVersion", "v1", "kind", "PersistentVolume",
                   "metadata", "name", name, "annotations", ANN_PROVISIONED_BY, STORAGE_PROVISIONER,
                   "local.path.provisioner/selected-node", node, "spec", spec);
}

bool kubelet_storage_owns_path(const char *root, const char *path) {
  size_t n = strlen(root);
  if (!root[0] || strncmp(path, root, n) != 0 || path[n] != '/')
    return false;
  const char *base = path + n + 1;
  return startswith(base, "pvc-") && !strchr(base, '/') && !strstr(base, "..");
}

/* ---- events about claims and volumes ---- */

static void storage_event(KubeletStorage *st, json_t *obj, const char *kind, const char *type,
                          const char *reason, const char *msg) {
  Kubelet *k = st->k;
  const char *ns = jstr(obj, "metadata.namespace"), *name = jstr(obj, "metadata.name");
  if (!name)
    return;
  const ApiResource *er = api_resource_find("", "v1", "events");
  char ts[32];
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
  uint64_t r;
  random_bytes(&r, sizeof r);
  _cleanup_free_ char *evname = xasprintf("%s.%016llx", name, (unsigned long long)r);
  _cleanup_free_ char *component = xasprintf("%s_%s", STORAGE_PROVISIONER, k->opts.node_name);
  json_t *involved = json_pack("{s:s,s:s,s:s,s:s,s:s}", "apiVersion", "v1", "kind", kind, "name", name, "uid",
                               jstr(obj, "metadata.uid") ?: "", "resourceVersion",
                               jstr(obj, "metadata.resourceVersion") ?: "");
  if (ns)
    json_object_set_new(involved, "namespace", json_string(ns));
  const char *evns = ns ? ns : "default";
  _cleanup_json_ json_t *ev = json_pack(
      "{s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:s,s:{s:s},s:s,s:s,s:i,s:s,s:s}", "apiVersion", "v1", "kind",
      "Event", "metadata", "name", evname, "namespace", evns, "involvedObject", involved, "reason", reason,
      "message", msg, "type", type, "source", "component", component, "firstTimestamp", ts, "lastTimestamp",
      ts, "count", 1, "reportingComponent", component, "reportingInstance", k->opts.node_name);
  Error e = ERROR_INIT;
  if (client_create(k->client, er, evns, ev, NULL, &e) < 0)
    log_debug(COMPONENT, "msg=\"creating event failed\" reason=%s err=\"%s\"", reason, e.message ?: "");
  error_reset(&e);
}

/* ---- provisioning ---- */

static const char *ann(json_t *obj, const char *key) {
  return json_string_value(json_object_get(jpath(obj, "metadata.annotations"), key));
}

static int provision(KubeletStorage *st, const char *nskey) {
  Kubelet *k = st->k;
  _cleanup_json_ json_t *pvc = informer_get(st->pvcs, nskey);
  if (!pvc || jpath(pvc, "metadata.deletionTimestamp") || !isempty(jstr(pvc, "spec.volumeName")))
    return 0;
  if (!streq_ptr(ann(pvc, ANN_SELECTED_NODE), k->opts.node_name) ||
      !streq_ptr(ann(pvc, ANN_STORAGE_PROVISIONER), STORAGE_PROVISIONER))
    return 0;
  _cleanup_free_ char *pv_name = xasprintf("pvc-%s", jstr(pvc, "metadata.uid") ?: "");
  _cleanup_json_ json_t *existing = informer_get(st->pvs, pv_name);
  if (existing)
    return 0;
  const char *klass = jstr(pvc, "spec.storageClassName");
  if (isempty(klass))
    return 0;
  _cleanup_json_ json_t *sc = NULL;
  Error e = ERROR_INIT;
  int rc = client_get(k->client, api_resource_find("storage.k8s.io", "v1", "storageclasses"), NULL, klass,
                      &sc, &e);
  if (rc < 0) {
    if (rc == -ENOENT) {
      _cleanup_free_ char *msg = xasprintf("storageclass.storage.k8s.io \"%s\" not found", klass);
      storage_event(st, pvc, "PersistentVolumeClaim", "Warning", "ProvisioningFailed", msg);
    }
    error_reset(&e);
    return rc == -ENOENT ? 0 : rc;
  }
  if (!streq_ptr(jstr(sc, "provisioner"), STORAGE_PROVISIONER))
    return 0;
  _cleanup_free_ char *msg = xasprintf("External provisioner is provisioning volume for claim \"%s\"", nskey);
  storage_event(st, pvc, "PersistentVolumeClaim", "Normal", "Provisioning", msg);
  _cleanup_free_ char *dir = kubelet_storage_dir(st->root, pvc);
  if ((rc = mkdir_p(dir, 0777)) < 0 || chmod(dir, 0777) < 0) {
    int err = rc < 0 ? -rc : errno;
    _cleanup_free_ char *fm = xasprintf(
        "failed to provision volume with StorageClass \"%s\": creating %s: %s", klass, dir, strerror(err));
    storage_event(st, pvc, "PersistentVolumeClaim", "Warning", "ProvisioningFailed", fm);
    return -err;
  }
  _cleanup_json_ json_t *pv = kubelet_storage_new_pv(pvc, sc, k->opts.node_name, dir);
  rc = client_create(k->client, api_resource_find("", "v1", "persistentvolumes"), NULL, pv, NULL, &e);
  if (rc < 0 && rc != -EEXIST) {
    _cleanup_free_ char *fm = xasprintf("failed to provision volume with StorageClass \"%s\": %s", klass,
                                        e.message ?: strerror(-rc));
    storage_event(st, pvc, "PersistentVolumeClaim", "Warning", "ProvisioningFailed", fm);
    error_reset(&e);
    return rc;
  }
  error_reset(&e);
  log_info(COMPONENT, "msg=\"provisioned volume\" claim=%s volume=%s path=%s", nskey, pv_name, dir);
  _cleanup_free_ char *ok = xasprintf("Successfully provisioned volume %s", pv_name);
  storage_event(st, pvc, "PersistentVolumeClaim", "Normal", "ProvisioningSucceeded", ok);
  return 0;
}

static const char *pv_path(json_t *pv) {
  return jstr(pv, "spec.hostPath.path") ?: jstr(pv, "spec.local.path");
}

static const char *pv_node(json_t *pv) {
  json_t *terms = jpath(pv, "spec.nodeAffinity.required.nodeSelectorTerms");
  json_t *expr = json_array_get(json_object_get(json_array_get(terms, 0), "matchExpressions"), 0);
  if (!streq_ptr(jstr(expr, "key"), "kubernetes.io/hostname"))
    return NULL;
  return json_string_value(json_array_get(json_object_get(expr, "values"), 0));
}

static int reclaim(KubeletStorage *st, const char *name) {
  Kubelet *k = st->k;
  _cleanup_json_ json_t *pv = informer_get(st->pvs, name);
  if (!pv || !streq_ptr(jstr(pv, "status.phase"), "Released") ||
      !streq_ptr(jstr(pv, "spec.persistentVolumeReclaimPolicy"), "Delete") ||
      !streq_ptr(ann(pv, ANN_PROVISIONED_BY), STORAGE_PROVISIONER) ||
      !streq_ptr(pv_node(pv), k->opts.node_name))
    return 0;
  const char *path = pv_path(pv);
  if (!path || !kubelet_storage_owns_path(st->root, path)) {
    _cleanup_free_ char *msg =
        xasprintf("refusing to delete %s: not a volume directory under %s", path ?: "(no path)", st->root);
    storage_event(st, pv, "PersistentVolume", "Warning", "VolumeFailedDelete", msg);
    return 0;
  }
  int rc = rm_rf(path);
  if (rc < 0 && rc != -ENOENT) {
    _cleanup_free_ char *msg = xasprintf("removing %s: %s", path, strerror(-rc));
    storage_event(st, pv, "PersistentVolume", "Warning", "VolumeFailedDelete", msg);
    return rc;
  }
  Error e = ERROR_INIT;
  ClientDeleteOptions o = {.precondition_uid = jstr(pv, "metadata.uid")};
  rc = client_delete(k->client, api_resource_find("", "v1", "persistentvolumes"), NULL, name, &o, NULL, &e);
  if (rc < 0 && rc != -ENOENT) {
    log_warn(COMPONENT, "msg=\"deleting volume failed\" volume=%s err=\"%s\"", name,
             e.message ?: strerror(-rc));
    error_reset(&e);
    return rc;
  }
  error_reset(&e);
  log_info(COMPONENT, "msg=\"deleted volume\" volume=%s path=%s", name, path);
  return 0;
}

static void *storage_main(void *arg) {
  KubeletStorage *st = arg;
  char *key;
  while (workqueue_get(st->queue, &key) == 0) {
    int rc = startswith(key, "c/")   ? provision(st, key + 2)
             : startswith(key, "v/") ? reclaim(st, key + 2)
                                     : 0;
    if (rc < 0 && workqueue_num_requeues(st->queue, key) < 10)
      workqueue_add_rate_limited(st->queue, key);
    else
      workqueue_forget(st->queue, key);
    workqueue_done(st->queue, key);
    free(key);
  }
  return NULL;
}

static void on_pvc(json_t *pvc, void *ud) {
  KubeletStorage *st = ud;
  if (!streq_ptr(ann(pvc, ANN_SELECTED_NODE), st->k->opts.node_name) ||
      !isempty(jstr(pvc, "spec.volumeName")))
    return;
  _cleanup_free_ char *key =
      xasprintf("c/%s/%s", jstr(pvc, "metadata.namespace") ?: "default", jstr(pvc, "metadata.name") ?: "");
  workqueue_add(st->queue, key);
}
static void on_pvc_update(json_t *old, json_t *pvc, void *ud) {
  on_pvc(pvc, ud);
}
static void on_pv(json_t *pv, void *ud) {
  KubeletStorage *st = ud;
  if (!streq_ptr(jstr(pv, "status.phase"), "Released"))
    return;
  _cleanup_free_ char *key = xasprintf("v/%s", jstr(pv, "metadata.name") ?: "");
  workqueue_add(st->queue, key);
}
static void on_pv_update(json_t *old, json_t *pv, void *ud) {
  on_pv(pv, ud);
}

void kubelet_storage_free(KubeletStorage *st) {
  if (!st)
    return;
  if (st->pvcs)
    informer_stop(st->pvcs);
  if (st->pvs)
    informer_stop(st->pvs);
  if (st->queue) {
    workqueue_shutdown(st->queue);
    if (st->started)
      pthread_join(st->thread, NULL);
    workqueue_free(st->queue);
  }
  informer_free(st->pvcs);
  informer_free(st->pvs);
  free(st->root);
  free(st);
}

int kubelet_storage_start(Kubelet *k, Error *err) {
  KubeletStorage *st = xzalloc(sizeof *st);
  st->k = k;
  st->root = k->opts.storage_path ? xstrdup(k->opts.storage_path) : xasprintf("%s/storage", k->opts.data_dir);
  size_t n = strlen(st->root);
  while (n > 1 && st->root[n - 1] == '/')
    st->root[--n] = 0;
  int rc;
  if ((rc = informer_new(k->client, api_resource_find("", "v1", "persistentvolumeclaims"), NULL, &st->pvcs,
                         err)) < 0 ||
      (rc = informer_new(k->client, api_resource_find("", "v1", "persistentvolumes"), NULL, &st->pvs, err)) <
          0) {
    kubelet_storage_free(st);
    return rc;
  }
  st->queue = workqueue_new("local-path");
  informer_add_handlers(st->pvcs,
                        &(InformerHandlers){.on_add = on_pvc, .on_update = on_pvc_update, .userdata = st});
  informer_add_handlers(st->pvs,
                        &(InformerHandlers){.on_add = on_pv, .on_update = on_pv_update, .userdata = st});
  if (pthread_create(&st->thread, NULL, storage_main, st) == 0)
    st->started = true;
  if ((rc = informer_start(st->pvs, err)) < 0 || (rc = informer_start(st->pvcs, err)) < 0) {
    kubelet_storage_free(st);
    return rc;
  }
  k->storage = st;
  log_info(COMPONENT, "node=%s path=%s msg=\"local-path provisioner started\"", k->opts.node_name, st->root);
  return 0;
}

/* ---- the volume plugin ---- */

int kubelet_pvc_path(Kubelet *k, const char *ns, json_t *src, bool new_mount, char **ret_path,
                     bool *ret_read_only, Error *err) {
  const char *claim = jstr(src, "claimName") ?: "";
  KubeletStorage *st = k->storage;
  _cleanup_json_ json_t *pvc = NULL, *pv = NULL;
  if (st)
    pvc = informer_get_by_name(st->pvcs, ns, claim);
  if (!pvc) { /* not in the cache (yet, or no provisioner): ask */
    Error e = ERROR_INIT;
    int rc =
        client_get(k->client, api_resource_find("", "v1", "persistentvolumeclaims"), ns, claim, &pvc, &e);
    error_reset(&e);
    if (rc == -ENOENT)
      return error_set(err, -ENOENT, NULL, "persistentvolumeclaim \"%s\" not found", claim);
    if (rc < 0)
      return error_set(err, rc, NULL, "error processing PVC %s/%s: %s", ns, claim, strerror(-rc));
  }
  if (new_mount && jpath(pvc, "metadata.deletionTimestamp"))
    return error_set(err, -EBUSY, NULL, "error processing PVC %s/%s: PVC is being deleted", ns, claim);
  const char *volume = jstr(pvc, "spec.volumeName");
  if (isempty(volume) || !streq_ptr(jstr(pvc, "status.phase"), "Bound"))
    return error_set(err, -EAGAIN, NULL, "error processing PVC %s/%s: PVC is not bound", ns, claim);
  if (st)
    pv = informer_get(st->pvs, volume);
  if (!pv) {
    Error e = ERROR_INIT;
    int rc = client_get(k->client, api_resource_find("", "v1", "persistentvolumes"), NULL, volume, &pv, &e);
    error_reset(&e);
    if (rc < 0)
      return error_set(err, rc, NULL, "error processing PVC %s/%s: persistentvolume \"%s\" %s", ns, claim,
                       volume, rc == -ENOENT ? "not found" : strerror(-rc));
  }
  const char *path = pv_path(pv);
  if (!path)
    return error_set(err, -EOPNOTSUPP, NULL,
                     "persistentvolume \"%s\": only hostPath and local volumes can be mounted on this node",
                     volume);
  const char *node = pv_node(pv);
  if (node && !streq(node, k->opts.node_name))
    return error_set(err, -EINVAL, NULL, "persistentvolume \"%s\" is pinned to node %s, not %s", volume, node,
                     k->opts.node_name);
  struct stat s;
  if (stat(path, &s) < 0) {
    if (!streq_ptr(jstr(pv, "spec.hostPath.type"), "DirectoryOrCreate"))
      return error_set(err, -errno, NULL, "persistentvolume \"%s\": path %s does not exist", volume, path);
    int rc = mkdir_p(path, 0777);
    if (rc < 0)
      return error_set(err, rc, NULL, "persistentvolume \"%s\": creating %s: %s", volume, path,
                       strerror(-rc));
  }
  *ret_read_only = json_is_true(json_object_get(src, "readOnly"));
  *ret_path = xstrdup(path);
  return 0;
}
