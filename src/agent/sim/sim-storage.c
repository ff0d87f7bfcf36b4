/* Simulated local-path provisioning (see sim-storage.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "agent/sim/sim-storage.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/workqueue.h"

#define COMPONENT "sim-nodes"
#define PROVISIONER "rancher.io/local-path"

struct SimStorage {
  Client *client;
  char *prefix;
  size_t count;
  Informer *pvcs, *pvs;
  WorkQueue *queue;
  pthread_t thread;
  bool started;
};

static const char *ann(json_t *obj, const char *key) {
  return json_string_value(json_object_get(jpath(obj, "metadata.annotations"), key));
}

/* Whether node is one of ours: PREFIX<n> with n < count. */
static bool ours(SimStorage *ss, const char *node) {
  if (!node || !startswith(node, ss->prefix))
    return false;
  const char *num = node + strlen(ss->prefix);
  char *end;
  unsigned long n = strtoul(num, &end, 10);
  return *num && !*end && n < ss->count;
}

static const char *pv_node(json_t *pv) {
  json_t *terms = jpath(pv, "spec.nodeAffinity.required.nodeSelectorTerms");
  json_t *expr = json_array_get(json_object_get(json_array_get(terms, 0), "matchExpressions"), 0);
  return json_string_value(json_array_get(json_object_get(expr, "values"), 0));
}

static int provision(SimStorage *ss, const char *nskey) {
  _cleanup_json_ json_t *pvc = informer_get(ss->pvcs, nskey);
  const char *node = ann(pvc, "volume.kubernetes.io/selected-node");
  if (!pvc || jpath(pvc, "metadata.deletionTimestamp") || !isempty(jstr(pvc, "spec.volumeName")) ||
      !ours(ss, node) || !streq_ptr(ann(pvc, "volume.kubernetes.io/storage-provisioner"), PROVISIONER))
    return 0;
  const char *uid = jstr(pvc, "metadata.uid") ?: "", *ns = jstr(pvc, "metadata.namespace") ?: "default",
             *name = jstr(pvc, "metadata.name") ?: "";
  _cleanup_free_ char *pv_name = xasprintf("pvc-%s", uid);
  _cleanup_json_ json_t *have = informer_get(ss->pvs, pv_name);
  if (have)
    return 0;
  _cleanup_free_ char *path = xasprintf("/var/lib/coracle-sim/storage/pvc-%s_%s_%s", uid, ns, name);
  json_t *req = jpath(pvc, "spec.resources.requests.storage"), *modes = jpath(pvc, "spec.accessModes");
  _cleanup_json_ json_t *pv = json_pack(
      "{s:s,s:s,s:{s:s,s:{s:s}},s:{s:{s:o},s:o,s:s,s:s,s:s,s:{s:s,s:s},s:{s:{s:[{s:[{s:s,s:s,s:[s]}]}]}},"
      "s:{s:s,s:s,s:s,s:s,s:s}}}",
      "apiVersion", "v1", "kind", "PersistentVolume", "metadata", "name", pv_name, "annotations",
      "pv.kubernetes.io/provisioned-by", PROVISIONER, "spec", "capacity", "storage",
      req ? json_incref(req) : json_string("0"), "accessModes",
      json_is_array(modes) ? json_incref(modes) : json_array(), "storageClassName",
      jstr(pvc, "spec.storageClassName") ?: "", "persistentVolumeReclaimPolicy", "Delete", "volumeMode",
      jstr(pvc, "spec.volumeMode") ?: "Filesystem", "hostPath", "path", path, "type", "DirectoryOrCreate",
      "nodeAffinity", "required", "nodeSelectorTerms", "matchExpressions", "key", "kubernetes.io/hostname",
      "operator", "In", "values", node, "claimRef", "apiVersion", "v1", "kind", "PersistentVolumeClaim",
      "namespace", ns, "name", name, "uid", uid);
  Error e = ERROR_INIT;
  int rc = client_create(ss->client, api_resource_find("", "v1", "persistentvolumes"), NULL, pv, NULL, &e);
  if (rc < 0 && rc != -EEXIST)
    log_warn(COMPONENT, "msg=\"provisioning failed\" claim=%s err=\"%s\"", nskey, e.message ?: strerror(-rc));
  error_reset(&e);
  return rc == -EEXIST ? 0 : rc;
}

static int reclaim(SimStorage *ss, const char *name) {
  _cleanup_json_ json_t *pv = informer_get(ss->pvs, name);
  if (!pv || !streq_ptr(jstr(pv, "status.phase"), "Released") ||
      !streq_ptr(jstr(pv, "spec.persistentVolumeReclaimPolicy"), "Delete") ||
      !streq_ptr(ann(pv, "pv.kubernetes.io/provisioned-by"), PROVISIONER) || !ours(ss, pv_node(pv)))
    return 0;
  Error e = ERROR_INIT;
  ClientDeleteOptions o = {.precondition_uid = jstr(pv, "metadata.uid")};
  int rc =
      client_delete(ss->client, api_resource_find("", "v1", "persistentvolumes"), NULL, name, &o, NULL, &e);
  error_reset(&e);
  return rc == -ENOENT ? 0 : rc;
}

static void *storage_main(void *arg) {
  SimStorage *ss = arg;
  char *key;
  while (workqueue_get(ss->queue, &key) == 0) {
    int rc = startswith(key, "c/") ? provision(ss, key + 2) : reclaim(ss, key + 2);
    if (rc < 0 && workqueue_num_requeues(ss->queue, key) < 10)
      workqueue_add_rate_limited(ss->queue, key);
    else
      workqueue_forget(ss->queue, key);
    workqueue_done(ss->queue, key);
    free(key);
  }
  return NULL;
}

static void on_pvc(json_t *pvc, void *ud) {
  SimStorage *ss = ud;
  if (!ours(ss, ann(pvc, "volume.kubernetes.io/selected-node")) || !isempty(jstr(pvc, "spec.volumeName")))
    return;
  _cleanup_free_ char *key =
      xasprintf("c/%s/%s", jstr(pvc, "metadata.namespace") ?: "default", jstr(pvc, "metadata.name") ?: "");
  workqueue_add(ss->queue, key);
}
static void on_pvc_update(json_t *old, json_t *pvc, void *ud) {
  on_pvc(pvc, ud);
}
static void on_pv(json_t *pv, void *ud) {
  SimStorage *ss = ud;
  if (!streq_ptr(jstr(pv, "status.phase"), "Released") || !ours(ss, pv_node(pv)))
    return;
  _cleanup_free_ char *key = xasprintf("v/%s", jstr(pv, "metadata.name") ?: "");
  workqueue_add(ss->queue, key);
}
static void on_pv_update(json_t *old, json_t *pv, void *ud) {
  on_pv(pv, ud);
}

void sim_storage_stop(SimStorage *ss) {
  if (!ss)
    return;
  if (ss->pvcs)
    informer_stop(ss->pvcs);
  if (ss->pvs)
    informer_stop(ss->pvs);
  workqueue_shutdown(ss->queue);
  if (ss->started)
    pthread_join(ss->thread, NULL);
  workqueue_free(ss->queue);
  informer_free(ss->pvcs);
  informer_free(ss->pvs);
  free(ss->prefix);
  free(ss);
}

SimStorage *sim_storage_start(Client *c, const char *prefix, size_t count) {
  SimStorage *ss = xzalloc(sizeof *ss);
  ss->client = c;
  ss->prefix = xstrdup(prefix);
  ss->count = count;
  ss->queue = workqueue_new("sim-storage");
  Error e = ERROR_INIT;
  int rc;
  if ((rc = informer_new(c, api_resource_find("", "v1", "persistentvolumeclaims"), NULL, &ss->pvcs, &e)) <
          0 ||
      (rc = informer_new(c, api_resource_find("", "v1", "persistentvolumes"), NULL, &ss->pvs, &e)) < 0) {
    log_warn(COMPONENT, "msg=\"no simulated volume provisioning\" err=\"%s\"", e.message ?: strerror(-rc));
    error_reset(&e);
    sim_storage_stop(ss);
    return NULL;
  }
  informer_add_handlers(ss->pvcs,
                        &(InformerHandlers){.on_add = on_pvc, .on_update = on_pvc_update, .userdata = ss});
  informer_add_handlers(ss->pvs,
                        &(InformerHandlers){.on_add = on_pv, .on_update = on_pv_update, .userdata = ss});
  if (pthread_create(&ss->thread, NULL, storage_main, ss) == 0)
    ss->started = true;
  if ((rc = informer_start(ss->pvs, &e)) < 0 || (rc = informer_start(ss->pvcs, &e)) < 0) {
    log_warn(COMPONENT, "msg=\"no simulated volume provisioning\" err=\"%s\"", e.message ?: strerror(-rc));
    error_reset(&e);
    sim_storage_stop(ss);
    return NULL;
  }
  return ss;
}
