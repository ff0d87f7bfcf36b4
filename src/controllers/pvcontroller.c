/* The persistent volume controller (kube-controller-manager's persistentvolume-binder, pvc-protection and
 * pv-protection controllers in one queue), with the built-in local-path storage class.
 *
 * Keys: "c/NS/NAME" a claim, "v/NAME" a volume, "sc" the default StorageClass check (once at start).
 *
 * A claim:   Pending ──a matching Available volume──▶ bind: PV claimRef (+bound-by-controller), PV Bound,
 *              │                                      PVC volumeName (+bind-completed, bound-by-controller),
 *              │                                      PVC status {Bound, capacity, accessModes}
 *              └─class rancher.io/local-path──▶ annotated selected-node + storage-provisioner; the node
 *                 agent's provisioner (agent/kubelet/storage.c) creates pvc-<uid> pre-bound to the claim,
 *                 which is then bound as above
 *            Bound ──its volume deleted──▶ Lost
 * A volume:  Pending ─▶ Available ─▶ Bound ──claim deleted──▶ Released ──Retain──▶ stays
 *                                                                      └─Delete──▶ local-path: the node
 *                                                        agent removes the directory and the PV; others
 * Failed Protection: a claim being deleted keeps kubernetes.io/pvc-protection while a pod that has not
 * terminated uses it; a volume being deleted keeps kubernetes.io/pv-protection while it is Bound. */
#include <errno.h>

#include "controllers/controllers-internal.h"
#include "controllers/volume-util.h"

#define COMPONENT "persistentvolume-controller"

typedef struct PvState {
  CtrlController *c;
  Informer *pvcs, *pvs, *classes, *pods, *nodes;
} PvState;

static const ApiResource *pvc_res(void) {
  return ctrl_resource(CTRL_PVCS);
}
static const ApiResource *pv_res(void) {
  return ctrl_resource(CTRL_PVS);
}

static void claim_event(PvState *s, json_t *pvc, const char *type, const char *reason, const char *msg) {
  ctrl_event(s->c->m, pvc, "v1", "PersistentVolumeClaim", COMPONENT, type, reason, "%s", msg);
}

/* ---- finalizers ---- */

static int remove_finalizer(PvState *s, const ApiResource *r, json_t *obj, const char *f, Error *err) {
  _cleanup_json_ json_t *upd = json_deep_copy(obj);
  json_t *list = json_array(), *old = jpath(upd, "metadata.finalizers");
  size_t i;
  json_t *v;
  json_array_foreach(old, i, v) {
    if (!streq_ptr(json_string_value(v), f))
      json_array_append(list, v);
  }
  json_object_set_new(jobj(upd, "metadata"), "finalizers", list);
  int rc = client_update(s->c->m->client, r, jstr(obj, "metadata.namespace"), upd, NULL, err);
  if (rc == -ENOENT) {
    error_reset(err);
    return 0;
  }
  if (rc >= 0)
    log_info(COMPONENT, "msg=\"removed finalizer\" object=%s finalizer=%s", jstr(obj, "metadata.name"), f);
  return rc;
}

/* ---- binding ---- */

static int set_pv_phase(PvState *s, json_t *pv, const char *phase, const char *message, Error *err) {
  if (streq_ptr(jstr(pv, "status.phase"), phase) && streq_ptr(jstr(pv, "status.message"), message))
    return 0;
  _cleanup_json_ json_t *upd = json_deep_copy(pv);
  json_t *st = json_pack("{s:s}", "phase", phase);
  if (message)
    json_object_set_new(st, "message", json_string(message));
  char ts[32];
  ctrl_format_time(ctrl_now_sec(), ts);
  json_object_set_new(st, "lastPhaseTransitionTime", json_string(ts));
  json_object_set_new(upd, "status", st);
  int rc = client_update_status(s->c->m->client, pv_res(), NULL, upd, NULL, err);
  if (rc >= 0)
    log_info(COMPONENT, "msg=\"volume phase\" volume=%s phase=%s", jstr(pv, "metadata.name"), phase);
  return rc;
}

static void set_ann(json_t *obj, const char *key, const char *value) {
  json_object_set_new(jobj(obj, "metadata.annotations"), key, json_string(value));
}

/* Binds pv and pvc in Kubernetes' order: the volume first (claimRef, then phase), then the claim
 * (volumeName, then status), so that a crash half-way is finished by the next sync of either. */
static int bind(PvState *s, json_t *pv_in, json_t *pvc_in, Error *err) {
  Client *cl = s->c->m->client;
  _cleanup_json_ json_t *pv = json_incref(pv_in), *pvc = json_incref(pvc_in);
  const char *uid = jstr(pvc, "metadata.uid");
  int rc;
  if (!streq_ptr(jstr(pv, "spec.claimRef.uid"), uid)) {
    _cleanup_json_ json_t *upd = json_deep_copy(pv);
    json_t *ref =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "PersistentVolumeClaim", "namespace",
                  jstr(pvc, "metadata.namespace"), "name", jstr(pvc, "metadata.name"), "uid", uid,
                  "apiVersion", "v1", "resourceVersion", jstr(pvc, "metadata.resourceVersion") ?: "");
    bool had_ref = json_is_object(jpath(pv, "spec.claimRef"));
    json_object_set_new(jobj(upd, "spec"), "claimRef", ref);
    if (!had_ref)
      set_ann(upd, VOL_ANN_BOUND_BY_CONTROLLER, "yes");
    json_t *res = NULL;
    if ((rc = client_update(cl, pv_res(), NULL, upd, &res, err)) < 0)
      return rc;
    json_decref(pv);
    pv = res;
  }
  if ((rc = set_pv_phase(s, pv, "Bound", NULL, err)) < 0)
    return rc;
  json_t *ann = jpath(pvc, "metadata.annotations");
  if (!streq_ptr(jstr(pvc, "spec.volumeName"), jstr(pv, "metadata.name")) ||
      !streq_ptr(json_string_value(json_object_get(ann, VOL_ANN_BIND_COMPLETED)), "yes")) {
    _cleanup_json_ json_t *upd = json_deep_copy(pvc);
    if (isempty(jstr(pvc, "spec.volumeName"))) {
      json_object_set_new(jobj(upd, "spec"), "volumeName", json_string(jstr(pv, "metadata.name")));
      set_ann(upd, VOL_ANN_BOUND_BY_CONTROLLER, "yes");
    }
    set_ann(upd, VOL_ANN_BIND_COMPLETED, "yes");
    json_t *res = NULL;
    if ((rc = client_update(cl, pvc_res(), NULL, upd, &res, err)) < 0)
      return rc;
    json_decref(pvc);
    pvc = res;
  }
  json_t *modes = jpath(pv, "spec.accessModes"), *capacity = jpath(pv, "spec.capacity");
  json_t *want =
      json_pack("{s:s,s:o,s:o}", "phase", "Bound", "accessModes", modes ? json_incref(modes) : json_array(),
                "capacity", capacity ? json_incref(capacity) : json_object());
  json_t *old = jpath(pvc, "status");
  bool same = streq_ptr(jstr(old, "phase"), "Bound") &&
              json_equal(json_object_get(old, "accessModes"), json_object_get(want, "accessModes")) &&
              json_equal(json_object_get(old, "capacity"), json_object_get(want, "capacity"));
  if (same) {
    json_decref(want);
    return 0;
  }
  _cleanup_json_ json_t *upd = json_deep_copy(pvc);
  json_object_set_new(upd, "status", want);
  rc = client_update_status(cl, pvc_res(), NULL, upd, NULL, err);
  if (rc >= 0)
    log_info(COMPONENT, "msg=\"claim bound\" claim=%s/%s volume=%s", jstr(pvc, "metadata.namespace"),
             jstr(pvc, "metadata.name"), jstr(pv, "metadata.name"));
  return rc;
}

static int set_claim_phase(PvState *s, json_t *pvc, const char *phase, Error *err) {
  if (streq_ptr(jstr(pvc, "status.phase"), phase))
    return 0;
  _cleanup_json_ json_t *upd = json_deep_copy(pvc);
  json_object_set_new(jobj(upd, "status"), "phase", json_string(phase));
  return client_update_status(s->c->m->client, pvc_res(), NULL, upd, NULL, err);
}

/* ---- claims ---- */

/* An unbound claim with no matching volume: give it the default class if it has none (Kubernetes'
 * retroactive default StorageClass), or ask its class's provisioner. */
static int provision(PvState *s, const char *key, json_t *pvc, Error *err) {
  Client *cl = s->c->m->client;
  json_t *ann = jpath(pvc, "metadata.annotations");
  bool class_unset =
      !jpath(pvc, "spec.storageClassName") && !json_object_get(ann, VOL_ANN_BETA_STORAGE_CLASS);
  if (class_unset) {
    _cleanup_json_ json_t *classes = informer_list(s->classes);
    json_t *def = volume_default_class(classes);
    if (def) {
      _cleanup_json_ json_t *upd = json_deep_copy(pvc);
      json_object_set_new(jobj(upd, "spec"), "storageClassName", json_string(jstr(def, "metadata.name")));
      return client_update(cl, pvc_res(), NULL, upd, NULL, err);
    }
  }
  const char *klass = volume_class_of(pvc);
  if (isempty(klass)) {
    claim_event(s, pvc, "Normal", "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set");
    return 0;
  }
  _cleanup_json_ json_t *sc = informer_get(s->classes, klass);
  if (!sc) {
    _cleanup_free_ char *msg = xasprintf("storageclass.storage.k8s.io \"%s\" not found", klass);
    claim_event(s, pvc, "Warning", "ProvisioningFailed", msg);
    return 0;
  }
  const char *prov = jstr(sc, "provisioner") ?: "";
  if (streq(prov, "kubernetes.io/no-provisioner")) {
    claim_event(s, pvc, "Normal", "FailedBinding", "no persistent volumes available for this claim");
    return 0;
  }
  if (streq_ptr(jstr(sc, "volumeBindingMode"), "WaitForFirstConsumer")) {
    claim_event(s, pvc, "Normal", "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding");
    return 0; /* not done yet: the scheduler does not select nodes for delayed binding */
  }
  _cleanup_free_ char *waiting = xasprintf(
      "Waiting for a volume to be created either by the external provisioner '%s' or manually by the system "
      "administrator. If volume creation is delayed, please verify that the provisioner is running and "
      "correctly registered.",
      prov);
  const char *selected = json_string_value(json_object_get(ann, VOL_ANN_SELECTED_NODE));
  bool annotated = streq_ptr(json_string_value(json_object_get(ann, VOL_ANN_STORAGE_PROVISIONER)), prov);
  if (annotated && (selected || !streq(prov, VOL_LOCAL_PATH_PROVISIONER))) {
    claim_event(s, pvc, "Normal", "ExternalProvisioning", waiting);
    return 0;
  }
  _cleanup_json_ json_t *upd = json_deep_copy(pvc);
  if (streq(prov, VOL_LOCAL_PATH_PROVISIONER) && !selected) {
    _cleanup_json_ json_t *nodes = informer_list(s->nodes), *pvs = informer_list(s->pvs),
                          *pvcs = informer_list(s->pvcs);
    const char *node = volume_pick_node(nodes, pvs, pvcs);
    if (!node) {
      claim_event(s, pvc, "Warning", "ProvisioningFailed",
                  "no Ready schedulable node to provision a local-path volume on");
      return 0; /* a node becoming usable brings the claim back (on_node) */
    }
    set_ann(upd, VOL_ANN_SELECTED_NODE, node);
  }
  set_ann(upd, VOL_ANN_STORAGE_PROVISIONER, prov);
  set_ann(upd, VOL_ANN_BETA_STORAGE_PROVISIONER, prov);
  int rc = client_update(cl, pvc_res(), NULL, upd, NULL, err);
  if (rc >= 0)
    claim_event(s, pvc, "Normal", "ExternalProvisioning", waiting);
  return rc;
}

static int sync_claim(PvState *s, const char *key, const char *nskey, Error *err) {
  _cleanup_json_ json_t *pvc = informer_get(s->pvcs, nskey);
  if (!pvc)
    return 0;
  if (ctrl_is_deleting(pvc)) {
    if (!ctrl_has_finalizer(pvc, VOL_FINALIZER_PVC))
      return 0;
    _cleanup_json_ json_t *pods = informer_list_namespace(s->pods, jstr(pvc, "metadata.namespace"));
    if (volume_claim_in_use(pods, pvc)) {
      log_debug(COMPONENT, "msg=\"claim in use, kept\" claim=%s", nskey);
      return 0;
    }
    return remove_finalizer(s, pvc_res(), pvc, VOL_FINALIZER_PVC, err);
  }
  const char *volume = jstr(pvc, "spec.volumeName");
  if (isempty(volume)) {
    _cleanup_json_ json_t *pvs = informer_list(s->pvs);
    json_t *pv = volume_find_match(pvs, pvc);
    if (pv)
      return bind(s, pv, pvc, err);
    return provision(s, key, pvc, err);
  }
  _cleanup_json_ json_t *pv = informer_get(s->pvs, volume);
  if (!pv) {
    if (streq_ptr(jstr(pvc, "status.phase"), "Bound")) {
      claim_event(s, pvc, "Warning", "ClaimLost",
                  "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
      return set_claim_phase(s, pvc, "Lost", err);
    }
    return 0; /* pre-bound to a volume that does not exist yet */
  }
  if (!json_is_object(jpath(pv, "spec.claimRef")) || volume_pv_bound_to_claim(pv, pvc)) {
    if (!volume_pv_matches_claim(pv, pvc) && !json_is_object(jpath(pv, "spec.claimRef"))) {
      claim_event(s, pvc, "Warning", "VolumeMismatch",
                  "Cannot bind to requested volume: volume does not match the claim");
      return 0;
    }
    return bind(s, pv, pvc, err);
  }
  claim_event(s, pvc, "Warning", "ClaimMisbound",
              "Two claims are bound to the same volume, this one is bound incorrectly");
  return set_claim_phase(s, pvc, "Lost", err);
}

/* ---- volumes ---- */

static void enqueue_claim(PvState *s, const char *ns, const char *name);

static int sync_volume(PvState *s, const char *name, Error *err) {
  _cleanup_json_ json_t *pv = informer_get(s->pvs, name);
  if (!pv)
    return 0;
  const char *phase = jstr(pv, "status.phase") ?: "Pending";
  json_t *ref = jpath(pv, "spec.claimRef");
  if (ctrl_is_deleting(pv)) {
    if (ctrl_has_finalizer(pv, VOL_FINALIZER_PV) && !streq(phase, "Bound"))
      return remove_finalizer(s, pv_res(), pv, VOL_FINALIZER_PV, err);
    if (!streq(phase, "Bound"))
      return 0;
  }
  if (!json_is_object(ref) || isempty(jstr(ref, "uid"))) {
    if (json_is_object(ref)) /* pre-bound by name: the claim's sync binds it */
      enqueue_claim(s, jstr(ref, "namespace"), jstr(ref, "name"));
    return set_pv_phase(s, pv, "Available", NULL, err);
  }
  _cleanup_free_ char *ckey =
      xasprintf("%s/%s", jstr(ref, "namespace") ?: "default", jstr(ref, "name") ?: "");
  _cleanup_json_ json_t *pvc = informer_get(s->pvcs, ckey);
  if (!pvc) { /* the cache may lag a claim just created: ask before releasing (Kubernetes does too) */
    Error ge = ERROR_INIT;
    int rc = client_get(s->c->m->client, pvc_res(), jstr(ref, "namespace") ?: "default",
                        jstr(ref, "name") ?: "", &pvc, &ge);
    if (rc < 0 && rc != -ENOENT) {
      *err = ge;
      return rc;
    }
    error_reset(&ge);
  }
  if (pvc && streq_ptr(jstr(pvc, "metadata.uid"), jstr(ref, "uid"))) {
    const char *vn = jstr(pvc, "spec.volumeName");
    if (isempty(vn) || streq(vn, name)) {
      if (isempty(vn) || !streq_ptr(jstr(pvc, "status.phase"), "Bound")) {
        _cleanup_free_ char *k = xasprintf("c/%s", ckey);
        ctrl_enqueue(s->c, k); /* the claim finishes the binding */
      }
      /* A provisioned volume is born pre-bound: Bound once its claim has it. */
      return streq(vn ?: "", name) ? set_pv_phase(s, pv, "Bound", NULL, err) : 0;
    }
  }
  /* Its claim is gone (or is another incarnation): released, then the reclaim policy. */
  if (!streq(phase, "Released") && !streq(phase, "Failed")) {
    int rc = set_pv_phase(s, pv, "Released", NULL, err);
    if (rc < 0)
      return rc;
    phase = "Released";
  }
  const char *policy = jstr(pv, "spec.persistentVolumeReclaimPolicy") ?: "Retain";
  if (!streq(phase, "Released") || streq(policy, "Retain"))
    return 0;
  json_t *ann = jpath(pv, "metadata.annotations");
  if (streq_ptr(json_string_value(json_object_get(ann, VOL_ANN_PROVISIONED_BY)), VOL_LOCAL_PATH_PROVISIONER))
    return 0; /* the node agent's provisioner deletes it */
  _cleanup_free_ char *msg =
      streq(policy, "Delete")
          ? xasprintf(
                "error getting deleter volume plugin for volume \"%s\": no deletable volume plugin matched",
                name)
          : xasprintf("no volume plugin matched name: %s", name);
  ctrl_event(s->c->m, pv, "v1", "PersistentVolume", COMPONENT, "Warning",
             streq(policy, "Delete") ? "VolumeFailedDelete" : "VolumeFailedRecycle", "%s", msg);
  return set_pv_phase(s, pv, "Failed", msg, err);
}

/* ---- the default class ---- */

static int ensure_default_class(PvState *s, Error *err) {
  _cleanup_json_ json_t *sc = informer_get(s->classes, VOL_DEFAULT_CLASS_NAME);
  if (sc)
    return 0;
  _cleanup_json_ json_t *obj = json_pack(
      "{s:s,s:s,s:{s:s,s:{s:s}},s:s,s:s,s:s}", "apiVersion", "storage.k8s.io/v1", "kind", "StorageClass",
      "metadata", "name", VOL_DEFAULT_CLASS_NAME, "annotations", VOL_ANN_DEFAULT_CLASS, "true", "provisioner",
      VOL_LOCAL_PATH_PROVISIONER, "reclaimPolicy", "Delete", "volumeBindingMode", "Immediate");
  int rc = client_create(s->c->m->client, ctrl_resource(CTRL_STORAGECLASSES), NULL, obj, NULL, err);
  if (rc == -EEXIST) {
    error_reset(err);
    return 0;
  }
  if (rc >= 0)
    log_info(COMPONENT, "msg=\"created the default StorageClass\" name=%s provisioner=%s",
             VOL_DEFAULT_CLASS_NAME, VOL_LOCAL_PATH_PROVISIONER);
  return rc;
}

static int pv_sync(CtrlController *c, const char *key, Error *err) {
  PvState *s = c->state;
  if (streq(key, "sc"))
    return ensure_default_class(s, err);
  if (startswith(key, "c/"))
    return sync_claim(s, key, key + 2, err);
  if (startswith(key, "v/"))
    return sync_volume(s, key + 2, err);
  return 0;
}

/* ---- handlers ---- */

static void enqueue_claim(PvState *s, const char *ns, const char *name) {
  if (!name)
    return;
  _cleanup_free_ char *k = xasprintf("c/%s/%s", ns ? ns : "default", name);
  ctrl_enqueue(s->c, k);
}

static void on_pvc(json_t *pvc, void *ud) {
  PvState *s = ud;
  enqueue_claim(s, jstr(pvc, "metadata.namespace"), jstr(pvc, "metadata.name"));
}
static void on_pvc_update(json_t *old, json_t *pvc, void *ud) {
  on_pvc(pvc, ud);
}
static void on_pvc_delete(json_t *pvc, void *ud) {
  PvState *s = ud;
  const char *vn = jstr(pvc, "spec.volumeName");
  if (!isempty(vn)) {
    _cleanup_free_ char *k = xasprintf("v/%s", vn);
    ctrl_enqueue(s->c, k);
  }
}

static void on_pv(json_t *pv, void *ud) {
  PvState *s = ud;
  _cleanup_free_ char *k = xasprintf("v/%s", jstr(pv, "metadata.name") ?: "");
  ctrl_enqueue(s->c, k);
  json_t *ref = jpath(pv, "spec.claimRef");
  if (json_is_object(ref))
    enqueue_claim(s, jstr(ref, "namespace"), jstr(ref, "name"));
}
static void on_pv_update(json_t *old, json_t *pv, void *ud) {
  on_pv(pv, ud);
}
static void on_pv_delete(json_t *pv, void *ud) {
  PvState *s = ud;
  json_t *ref = jpath(pv, "spec.claimRef");
  if (json_is_object(ref))
    enqueue_claim(s, jstr(ref, "namespace"), jstr(ref, "name"));
}

/* A pod that stops using its claims (terminated or deleted) may let a deleted claim go. */
static void pod_claims(PvState *s, json_t *pod) {
  size_t i;
  json_t *vol;
  json_array_foreach(jpath(pod, "spec.volumes"), i, vol) {
    const char *claim = jstr(vol, "persistentVolumeClaim.claimName");
    if (claim)
      enqueue_claim(s, jstr(pod, "metadata.namespace"), claim);
  }
}
static void on_pod_update(json_t *old, json_t *pod, void *ud) {
  const char *p = jstr(pod, "status.phase");
  if (p && (streq(p, "Succeeded") || streq(p, "Failed")) && !streq_ptr(jstr(old, "status.phase"), p))
    pod_claims(ud, pod);
}
static void on_pod_delete(json_t *pod, void *ud) {
  pod_claims(ud, pod);
}

static bool node_usable(json_t *node) {
  json_t *c = ctrl_condition(node, "status.conditions", "Ready");
  return c && streq_ptr(jstr(c, "status"), "True") && !json_is_true(jpath(node, "spec.unschedulable"));
}

/* Claims waiting for a node to provision on come back when one becomes usable. */
static void on_node(json_t *node, void *ud) {
  PvState *s = ud;
  if (!node_usable(node))
    return;
  _cleanup_json_ json_t *pvcs = informer_list(s->pvcs);
  size_t i;
  json_t *pvc;
  json_array_foreach(pvcs, i, pvc) {
    if (isempty(jstr(pvc, "spec.volumeName")) &&
        !json_object_get(jpath(pvc, "metadata.annotations"), VOL_ANN_SELECTED_NODE))
      on_pvc(pvc, ud);
  }
}
static void on_node_update(json_t *old, json_t *node, void *ud) {
  if (!node_usable(old))
    on_node(node, ud);
}

/* A new class may serve claims that waited for it. */
static void on_class(json_t *sc, void *ud) {
  PvState *s = ud;
  _cleanup_json_ json_t *pvcs = informer_list(s->pvcs);
  size_t i;
  json_t *pvc;
  json_array_foreach(pvcs, i, pvc) {
    if (isempty(jstr(pvc, "spec.volumeName")))
      on_pvc(pvc, ud);
  }
}

int pv_controller_setup(CtrlManager *m, Error *err) {
  PvState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "persistentvolume", pv_sync, s, free);
  s->pvcs = ctrl_informer(m, CTRL_PVCS);
  s->pvs = ctrl_informer(m, CTRL_PVS);
  s->classes = ctrl_informer(m, CTRL_STORAGECLASSES);
  s->pods = ctrl_informer(m, CTRL_PODS);
  s->nodes = ctrl_informer(m, CTRL_NODES);
  informer_add_handlers(
      s->pvcs, &(InformerHandlers){
                   .on_add = on_pvc, .on_update = on_pvc_update, .on_delete = on_pvc_delete, .userdata = s});
  informer_add_handlers(
      s->pvs, &(InformerHandlers){
                  .on_add = on_pv, .on_update = on_pv_update, .on_delete = on_pv_delete, .userdata = s});
  informer_add_handlers(
      s->pods, &(InformerHandlers){.on_update = on_pod_update, .on_delete = on_pod_delete, .userdata = s});
  informer_add_handlers(s->classes, &(InformerHandlers){.on_add = on_class, .userdata = s});
  informer_add_handlers(s->nodes,
                        &(InformerHandlers){.on_add = on_node, .on_update = on_node_update, .userdata = s});
  ctrl_enqueue(s->c, "sc");
  return 0;
}
