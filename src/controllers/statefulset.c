/* The StatefulSet controller: stable pod names <set>-<ordinal>, their PVCs from volumeClaimTemplates
 * (created before the pod, never deleted: the default Retain policy), ordered or parallel start and stop,
 * and rollouts by ordinal through ControllerRevisions (history.c): the controller-revision-hash label of a
 * pod names its revision, status.updateRevision is the template's and status.currentRevision the one every
 * pod ran before the rollout. sts_plan (statefulset-util.c) decides each step; a step changes a pod, whose
 * event queues the next one. Pod names are deterministic, so a slow watch at worst costs an AlreadyExists
 * answer, never a duplicate; orphan pods with a matching name are not adopted. */
#include <errno.h>

#include "controllers/workloads.h"

#define COMPONENT "statefulset-controller"

typedef struct StsState {
  CtrlController *c;
  Informer *sets, *pods, *revs;
} StsState;

static char *controlling_set(StsState *s, json_t *pod) {
  json_t *ref = ctrl_controller_ref(pod);
  if (!ref || !streq_ptr(jstr(ref, "kind"), "StatefulSet") || !streq_ptr(jstr(ref, "apiVersion"), "apps/v1"))
    return NULL;
  return xasprintf("%s/%s", jstr(pod, "metadata.namespace"), jstr(ref, "name"));
}

static void on_pod(json_t *pod, void *ud) {
  StsState *s = ud;
  _cleanup_free_ char *key = controlling_set(s, pod);
  ctrl_enqueue(s->c, key);
}
static void on_pod_update(json_t *old, json_t *pod, void *ud) {
  if (!streq_ptr(jstr(old, "metadata.resourceVersion"), jstr(pod, "metadata.resourceVersion")))
    on_pod(pod, ud);
}
static void on_set(json_t *sts, void *ud) {
  StsState *s = ud;
  ctrl_enqueue_obj(s->c, sts);
}
static void on_set_update(json_t *old, json_t *sts, void *ud) {
  on_set(sts, ud);
}

static int create_pod(StsState *s, json_t *sts, json_t *template, int64_t ord, const char *rev, Error *err) {
  Client *cl = s->c->m->client;
  const char *ns = jstr(sts, "metadata.namespace");
  _cleanup_json_ json_t *claims = sts_new_claims(sts, ord);
  _cleanup_free_ char *pod_name = xasprintf("%s-%lld", jstr(sts, "metadata.name"), (long long)ord);
  size_t i;
  json_t *pvc;
  json_array_foreach(claims, i, pvc) {
    Error e = ERROR_INIT;
    int rc = client_create(cl, api_resource_find("", "v1", "persistentvolumeclaims"), ns, pvc, NULL, &e);
    if (rc >= 0)
      ctrl_event(s->c->m, sts, "apps/v1", "StatefulSet", COMPONENT, "Normal", "SuccessfulCreate",
                 "create Claim %s Pod %s in StatefulSet %s success", jstr(pvc, "metadata.name"), pod_name,
                 jstr(sts, "metadata.name"));
    if (rc < 0 && rc != -EEXIST) {
      ctrl_event(s->c->m, sts, "apps/v1", "StatefulSet", COMPONENT, "Warning", "FailedCreate",
                 "create Claim %s for Pod %s in StatefulSet %s failed error: %s", jstr(pvc, "metadata.name"),
                 pod_name, jstr(sts, "metadata.name"), e.message ?: strerror(-rc));
      int ret = 0;
      ctrl_keep_first_error(rc, &e, &ret, err);
      return rc;
    }
    error_reset(&e);
  }
  _cleanup_json_ json_t *pod = sts_new_pod(sts, template, ord, rev);
  Error e = ERROR_INIT;
  int rc = client_create(cl, ctrl_resource(CTRL_PODS), ns, pod, NULL, &e);
  if (rc >= 0)
    ctrl_event(s->c->m, sts, "apps/v1", "StatefulSet", COMPONENT, "Normal", "SuccessfulCreate",
               "create Pod %s in StatefulSet %s successful", pod_name, jstr(sts, "metadata.name"));
  else if (rc != -EEXIST)
    ctrl_event(s->c->m, sts, "apps/v1", "StatefulSet", COMPONENT, "Warning", "FailedCreate",
               "create Pod %s in StatefulSet %s failed error: %s", pod_name, jstr(sts, "metadata.name"),
               e.message ?: strerror(-rc));
  if (rc == -EEXIST)
    rc = 0; /* ours, not yet in the informer */
  int ret = 0;
  ctrl_keep_first_error(rc, &e, &ret, err);
  return ret;
}

static int sts_sync(CtrlController *c, const char *key, Error *err) {
  StsState *s = c->state;
  _cleanup_json_ json_t *sts = informer_get(s->sets, key);
  if (!sts || ctrl_is_deleting(sts))
    return 0;
  const char *set = jstr(sts, "metadata.name");
  _cleanup_json_ json_t *all = informer_list_namespace(s->pods, jstr(sts, "metadata.namespace"));
  _cleanup_json_ json_t *pods = json_object(), *live = json_object();
  size_t i;
  json_t *p;
  json_array_foreach(all, i, p) {
    if (!ctrl_is_controlled_by(p, sts))
      continue;
    int64_t ord = sts_ordinal(set, jstr(p, "metadata.name"));
    if (ord < 0)
      continue;
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)ord);
    json_object_set(pods, k, p);
    const char *h = json_string_value(json_object_get(jpath(p, "metadata.labels"), HIST_HASH_LABEL));
    if (h)
      json_object_set_new(live, h, json_true());
  }
  _cleanup_json_ json_t *revs = hist_list(s->revs, sts);
  _cleanup_json_ json_t *update = NULL;
  char hash[16];
  int rc = hist_sync(c->m, sts, "StatefulSet", revs, live, &update, hash, err);
  if (rc < 0)
    return rc;
  const char *update_rev = jstr(update, "metadata.name");
  const char *current_rev = jstr(sts, "status.currentRevision");
  json_t *current = NULL;
  json_array_foreach(revs, i, p) {
    if (streq_ptr(jstr(p, "metadata.name"), current_rev))
      current = p;
  }
  if (!current) {
    current_rev = update_rev; /* a new set, or its revision is gone: everything is the update */
    current = update;
  }

  StsAction acts[64];
  size_t n = sts_plan(sts, pods, update_rev, current_rev, acts, ELEMENTSOF(acts));
  int ret = 0;
  for (size_t a = 0; a < n; a++) {
    if (acts[a].type == STS_CREATE) {
      json_t *tmpl = acts[a].current ? hist_revision_template(current) : jpath(sts, "spec.template");
      Error e = ERROR_INIT;
      _cleanup_json_ json_t *t = json_deep_copy(tmpl);
      if (json_is_object(t))
        json_object_del(t, "$patch");
      rc = create_pod(s, sts, t, acts[a].ordinal, acts[a].current ? current_rev : update_rev, &e);
      ctrl_keep_first_error(rc, &e, &ret, err);
    } else {
      char k[24];
      snprintf(k, sizeof k, "%lld", (long long)acts[a].ordinal);
      json_t *pod = json_object_get(pods, k);
      ClientDeleteOptions o = {.precondition_uid = jstr(pod, "metadata.uid")};
      Error e = ERROR_INIT;
      rc = client_delete(c->m->client, ctrl_resource(CTRL_PODS), jstr(pod, "metadata.namespace"),
                         jstr(pod, "metadata.name"), &o, NULL, &e);
      if (rc >= 0)
        ctrl_event(c->m, sts, "apps/v1", "StatefulSet", COMPONENT, "Normal", "SuccessfulDelete",
                   "delete Pod %s in StatefulSet %s successful", jstr(pod, "metadata.name"), set);
      ctrl_keep_first_error(rc == -ENOENT ? 0 : rc, &e, &ret, err);
    }
  }
  int64_t now = ctrl_now_sec();
  _cleanup_json_ json_t *st = sts_status(sts, pods, update_rev, current_rev, now);
  if (!json_equal(st, jpath(sts, "status"))) {
    Error e = ERROR_INIT;
    rc = ctrl_update_status(c->m->client, ctrl_resource(CTRL_STATEFULSETS), sts, st, &e);
    ctrl_keep_first_error(rc == -ENOENT ? 0 : rc, &e, &ret, err);
  }
  int64_t mrs = jint(sts, "spec.minReadySeconds", 0);
  if (mrs > 0 && jint(st, "readyReplicas", 0) != jint(st, "availableReplicas", 0))
    ctrl_enqueue_after(c, key, (uint64_t)mrs * 1000000 + 100000);
  return ret;
}

int sts_controller_setup(CtrlManager *m, Error *err) {
  StsState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "statefulset", sts_sync, s, free);
  s->sets = ctrl_informer(m, CTRL_STATEFULSETS);
  s->pods = ctrl_informer(m, CTRL_PODS);
  s->revs = ctrl_informer(m, CTRL_CONTROLLERREVISIONS);
  informer_add_handlers(s->sets,
                        &(InformerHandlers){.on_add = on_set, .on_update = on_set_update, .userdata = s});
  informer_add_handlers(
      s->pods,
      &(InformerHandlers){.on_add = on_pod, .on_update = on_pod_update, .on_delete = on_pod, .userdata = s});
  return 0;
}
