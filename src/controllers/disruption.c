/* The disruption controller: keeps each PodDisruptionBudget's status — expectedPods, desiredHealthy,
 * currentHealthy, disruptionsAllowed, disruptedPods, observedGeneration and the DisruptionAllowed
 * condition — that the eviction subresource (apiserver/eviction.c) reads and decrements.
 *
 * As in Kubernetes: an integer minAvailable counts the matching pods; a percentage or maxUnavailable is
 * resolved against the summed scale of the pods' controllers (a ReplicaSet's owning Deployment, else the
 * ReplicaSet; a StatefulSet), which is why a PDB over bare pods can only use an integer minAvailable.
 * A pod is healthy when Ready, not being deleted, and not listed in disruptedPods (evicted, deletion not
 * yet seen) — an entry there expires after two minutes, when the pod is counted again. */
#include <errno.h>
#include <math.h>

#include "controllers/nodelifecycle.h"

#define COMPONENT "disruption-controller"

typedef struct PdbState {
  CtrlController *c;
  Informer *pdbs, *pods, *rss, *deploys, *stss;
} PdbState;

/* ---- pure parts ---- */

static int64_t scaled(json_t *v, int64_t total, bool *ok) {
  int64_t r = 0;
  if (json_is_string(v) && strchr(json_string_value(v), '%')) {
    /* GetScaledValueFromIntOrPercent with roundUp */
    double pct = strtod(json_string_value(v), NULL);
    r = (int64_t)ceil(pct * (double)total / 100.0);
  } else if (ctrl_int_or_percent(v, total, true, &r) < 0) {
    *ok = false;
  }
  return r;
}

static bool is_percent(json_t *v) {
  return json_is_string(v) && strchr(json_string_value(v), '%');
}

void pdb_set_allowed_condition(json_t *status, const char *sync_failed_message, int64_t now) {
  const char *cstatus, *reason, *message = "";
  if (sync_failed_message) {
    cstatus = "False";
    reason = "SyncFailed";
    message = sync_failed_message;
  } else if (jint(status, "disruptionsAllowed", 0) > 0) {
    cstatus = "True";
    reason = "SufficientPods";
  } else {
    cstatus = "False";
    reason = "InsufficientPods";
  }
  json_t *conds = json_object_get(status, "conditions");
  if (!json_is_array(conds)) {
    conds = json_array();
    json_object_set_new(status, "conditions", conds);
  }
  char ts[32];
  ctrl_format_time(now, ts);
  json_t *c = NULL;
  size_t i;
  json_t *x;
  json_array_foreach(conds, i, x) {
    if (streq_ptr(jstr(x, "type"), "DisruptionAllowed"))
      c = x;
  }
  if (!c) {
    c = json_pack("{s:s,s:s,s:s}", "type", "DisruptionAllowed", "status", cstatus, "lastTransitionTime", ts);
    json_array_append_new(conds, c);
  } else if (!streq_ptr(jstr(c, "status"), cstatus)) {
    json_object_set_new(c, "status", json_string(cstatus));
    json_object_set_new(c, "lastTransitionTime", json_string(ts));
  }
  json_object_set_new(c, "reason", json_string(reason));
  json_object_set_new(c, "message", json_string(message));
  json_object_set_new(c, "observedGeneration", json_integer(jint(status, "observedGeneration", 0)));
}

json_t *pdb_compute_status(json_t *pdb, json_t *pods, int64_t expected_scale, int64_t now,
                           int64_t *ret_recheck) {
  json_t *min_avail = jpath(pdb, "spec.minAvailable"), *max_unavail = jpath(pdb, "spec.maxUnavailable");
  int64_t expected = 0, desired = 0;
  bool ok = true;
  if (max_unavail) {
    expected = expected_scale;
    desired = expected - scaled(max_unavail, expected, &ok);
    if (desired < 0)
      desired = 0;
  } else if (min_avail && !is_percent(min_avail)) {
    desired = scaled(min_avail, 0, &ok);
    expected = (int64_t)json_array_size(pods);
  } else if (min_avail) {
    expected = expected_scale;
    desired = scaled(min_avail, expected, &ok);
  }
  (void)ok; /* validation keeps garbage out; a bad value counts as 0 */

  /* disruptedPods: keep entries of pods still there, not being deleted, within the deletion timeout. */
  json_t *old_disrupted = jpath(pdb, "status.disruptedPods");
  json_t *disrupted = json_object();
  int64_t recheck = 0, healthy = 0;
  size_t i;
  json_t *p;
  json_array_foreach(pods, i, p) {
    if (ctrl_is_deleting(p))
      continue;
    const char *name = jstr(p, "metadata.name");
    json_t *when = name ? json_object_get(old_disrupted, name) : NULL;
    int64_t t;
    if (when && ctrl_parse_time(json_string_value(when), &t) == 0 && t + PDB_DELETION_TIMEOUT_SEC > now) {
      json_object_set(disrupted, name, when);
      if (!recheck || t + PDB_DELETION_TIMEOUT_SEC < recheck)
        recheck = t + PDB_DELETION_TIMEOUT_SEC;
      continue; /* expected to be deleted soon: not healthy */
    }
    if (ctrl_pod_is_ready(p))
      healthy++;
  }
  int64_t allowed = healthy - desired;
  if (expected <= 0 || allowed <= 0)
    allowed = 0;
  json_t *st = json_pack("{s:I,s:I,s:I,s:I,s:I}", "observedGeneration",
                         (json_int_t)jint(pdb, "metadata.generation", 0), "disruptionsAllowed",
                         (json_int_t)allowed, "currentHealthy", (json_int_t)healthy, "desiredHealthy",
                         (json_int_t)desired, "expectedPods", (json_int_t)expected);
  if (json_object_size(disrupted))
    json_object_set_new(st, "disruptedPods", disrupted);
  else
    json_decref(disrupted);
  json_t *conds = jpath(pdb, "status.conditions");
  if (json_is_array(conds))
    json_object_set_new(st, "conditions", json_deep_copy(conds));
  pdb_set_allowed_condition(st, NULL, now);
  if (ret_recheck)
    *ret_recheck = recheck;
  return st;
}

/* ---- the controller ---- */

/* The summed scale of the controllers of pods (getExpectedScale). -ENOENT with a message when a pod's
 * controller is unknown or missing; pods without a controller are skipped (unmanaged). */
static int expected_scale(PdbState *s, json_t *pods, int64_t *ret, char **ret_msg) {
  _cleanup_json_ json_t *seen = json_object();
  int64_t total = 0;
  size_t i;
  json_t *p;
  json_array_foreach(pods, i, p) {
    json_t *ref = ctrl_controller_ref(p);
    if (!ref)
      continue;
    const char *uid = jstr(ref, "uid"), *kind = jstr(ref, "kind"), *ns = jstr(p, "metadata.namespace");
    if (!uid || json_object_get(seen, uid))
      continue;
    json_object_set_new(seen, uid, json_true());
    _cleanup_json_ json_t *owner = NULL;
    if (streq_ptr(kind, "ReplicaSet")) {
      owner = informer_get_by_name(s->rss, ns, jstr(ref, "name"));
      json_t *dref = owner ? ctrl_controller_ref(owner) : NULL;
      if (dref && streq_ptr(jstr(dref, "kind"), "Deployment")) {
        _cleanup_json_ json_t *d = informer_get_by_name(s->deploys, ns, jstr(dref, "name"));
        if (d) {
          if (!json_object_get(seen, jstr(dref, "uid") ?: "")) {
            json_object_set_new(seen, jstr(dref, "uid") ?: "", json_true());
            total += jint(d, "spec.replicas", 1);
          }
          continue;
        }
      }
    } else if (streq_ptr(kind, "StatefulSet")) {
      owner = informer_get_by_name(s->stss, ns, jstr(ref, "name"));
    }
    if (!owner || !streq_ptr(jstr(owner, "metadata.uid"), uid)) {
      *ret_msg = xasprintf("found no controllers for pod \"%s\"", jstr(p, "metadata.name"));
      return -ENOENT;
    }
    total += jint(owner, "spec.replicas", 1);
  }
  *ret = total;
  return 0;
}

static bool selects(json_t *pdb, json_t *pod) {
  json_t *sel_json = jpath(pdb, "spec.selector");
  if (!json_is_object(sel_json))
    return false; /* a nil selector selects nothing; {} selects every pod of the namespace */
  LabelSelector *sel = ctrl_selector(pdb, "spec.selector");
  bool m = sel && label_selector_matches(sel, jpath(pod, "metadata.labels"));
  label_selector_free(sel);
  return m;
}

static bool status_same(json_t *a, json_t *b) {
  static const char *const keys[] = {"observedGeneration", "disruptionsAllowed", "currentHealthy",
                                     "desiredHealthy", "expectedPods"};
  for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
    if (jint(a, keys[i], -1) != jint(b, keys[i], -1))
      return false;
  }
  json_t *da = json_object_get(a, "disruptedPods"), *db = json_object_get(b, "disruptedPods");
  if (json_object_size(da) || json_object_size(db))
    if (!json_equal(da, db))
      return false;
  return json_equal(json_object_get(a, "conditions"), json_object_get(b, "conditions"));
}

static int pdb_sync(CtrlController *c, const char *key, Error *err) {
  PdbState *s = c->state;
  _cleanup_json_ json_t *pdb = informer_get(s->pdbs, key);
  if (!pdb || ctrl_is_deleting(pdb))
    return 0;
  _cleanup_json_ json_t *all = informer_list_namespace(s->pods, jstr(pdb, "metadata.namespace"));
  _cleanup_json_ json_t *pods = json_array();
  size_t i;
  json_t *p;
  json_array_foreach(all, i, p) {
    if (selects(pdb, p))
      json_array_append(pods, p);
  }
  int64_t now = ctrl_now_sec(), scale = 0, recheck = 0;
  _cleanup_free_ char *msg = NULL;
  json_t *min_avail = jpath(pdb, "spec.minAvailable");
  bool needs_scale = jpath(pdb, "spec.maxUnavailable") || is_percent(min_avail);
  int rc = needs_scale ? expected_scale(s, pods, &scale, &msg) : 0;
  _cleanup_json_ json_t *st = NULL;
  if (rc < 0) {
    /* failSafe: no disruption allowed while the expected count is unknown */
    st = json_deep_copy(jpath(pdb, "status"));
    if (!json_is_object(st)) {
      json_decref(st);
      st = json_object();
    }
    json_object_set_new(st, "disruptionsAllowed", json_integer(0));
    pdb_set_allowed_condition(st, msg, now);
    ctrl_event(c->m, pdb, "policy/v1", "PodDisruptionBudget", COMPONENT, "Warning",
               "CalculateExpectedPodCountFailed", "Failed to calculate the number of expected pods: %s", msg);
  } else {
    st = pdb_compute_status(pdb, pods, scale, now, &recheck);
    if (!json_array_size(pods))
      ctrl_event(c->m, pdb, "policy/v1", "PodDisruptionBudget", COMPONENT, "Normal", "NoPods",
                 "No matching pods found");
  }
  if (recheck)
    ctrl_enqueue_after(c, key, (uint64_t)(recheck - now + 1) * 1000000u);
  json_t *cur = jpath(pdb, "status");
  if (status_same(cur, st))
    return 0;
  /* No retry on a conflict: the eviction API writes this status too, and our numbers would be stale. */
  _cleanup_json_ json_t *upd = json_deep_copy(pdb);
  json_object_set(upd, "status", st);
  rc = client_update_status(c->m->client, ctrl_resource(CTRL_PDBS), NULL, upd, NULL, err);
  if (rc >= 0)
    log_debug(COMPONENT, "pdb=%s healthy=%lld desired=%lld allowed=%lld", key,
              (long long)jint(st, "currentHealthy", 0), (long long)jint(st, "desiredHealthy", 0),
              (long long)jint(st, "disruptionsAllowed", 0));
  return rc;
}

/* ---- handlers ---- */

static void enqueue_for_pod(PdbState *s, json_t *pod) {
  _cleanup_json_ json_t *pdbs = informer_list_namespace(s->pdbs, jstr(pod, "metadata.namespace"));
  size_t i;
  json_t *pdb;
  json_array_foreach(pdbs, i, pdb) {
    if (selects(pdb, pod))
      ctrl_enqueue_obj(s->c, pdb);
  }
}

static void on_pod(json_t *pod, void *ud) {
  enqueue_for_pod(ud, pod);
}
static void on_pod_update(json_t *old, json_t *pod, void *ud) {
  if (streq_ptr(jstr(old, "metadata.resourceVersion"), jstr(pod, "metadata.resourceVersion")))
    return;
  enqueue_for_pod(ud, pod);
  if (!json_equal(jpath(old, "metadata.labels"), jpath(pod, "metadata.labels")))
    enqueue_for_pod(ud, old);
}
static void on_pdb(json_t *pdb, void *ud) {
  PdbState *s = ud;
  ctrl_enqueue_obj(s->c, pdb);
}
static void on_pdb_update(json_t *old, json_t *pdb, void *ud) {
  on_pdb(pdb, ud);
}
/* A scale change moves expectedPods for percentages and maxUnavailable. */
static void on_scalable(json_t *obj, void *ud) {
  PdbState *s = ud;
  _cleanup_json_ json_t *pdbs = informer_list_namespace(s->pdbs, jstr(obj, "metadata.namespace"));
  size_t i;
  json_t *pdb;
  json_array_foreach(pdbs, i, pdb) ctrl_enqueue_obj(s->c, pdb);
}
static void on_scalable_update(json_t *old, json_t *obj, void *ud) {
  if (jint(old, "spec.replicas", 1) != jint(obj, "spec.replicas", 1))
    on_scalable(obj, ud);
}

int disruption_controller_setup(CtrlManager *m, Error *err) {
  PdbState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "disruption", pdb_sync, s, free);
  s->pdbs = ctrl_informer(m, CTRL_PDBS);
  s->pods = ctrl_informer(m, CTRL_PODS);
  s->rss = ctrl_informer(m, CTRL_REPLICASETS);
  s->deploys = ctrl_informer(m, CTRL_DEPLOYMENTS);
  s->stss = ctrl_informer(m, CTRL_STATEFULSETS);
  informer_add_handlers(s->pdbs, &(InformerHandlers){on_pdb, on_pdb_update, NULL, s});
  informer_add_handlers(s->pods, &(InformerHandlers){on_pod, on_pod_update, on_pod, s});
  informer_add_handlers(s->deploys, &(InformerHandlers){NULL, on_scalable_update, NULL, s});
  informer_add_handlers(s->rss, &(InformerHandlers){NULL, on_scalable_update, NULL, s});
  informer_add_handlers(s->stss, &(InformerHandlers){NULL, on_scalable_update, NULL, s});
  (void)err;
  return 0;
}
