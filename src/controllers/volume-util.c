/* Pure helpers of the persistent volume controller (see volume-util.h): claim/volume matching, the
 * in-use rule of pvc-protection and the node choice of local-path provisioning. */
#include <errno.h>

#include "api/jsonutil.h"
#include "api/quantity.h"
#include "api/selector.h"
#include "controllers/volume-util.h"

const char *volume_class_of(json_t *obj) {
  const char *c = jstr(obj, "spec.storageClassName");
  if (c)
    return c;
  json_t *ann = jpath(obj, "metadata.annotations");
  c = json_string_value(json_object_get(ann, VOL_ANN_BETA_STORAGE_CLASS));
  return c ? c : "";
}

bool volume_access_modes_contain(json_t *have, json_t *want) {
  size_t i, j;
  json_t *w, *h;
  json_array_foreach(want, i, w) {
    bool found = false;
    json_array_foreach(have, j, h) found = found || json_equal(h, w);
    if (!found)
      return false;
  }
  return true;
}

bool volume_pv_bound_to_claim(json_t *pv, json_t *pvc) {
  json_t *ref = jpath(pv, "spec.claimRef");
  if (!json_is_object(ref))
    return false;
  if (!streq_ptr(jstr(ref, "name"), jstr(pvc, "metadata.name")) ||
      !streq_ptr(jstr(ref, "namespace") ?: "default", jstr(pvc, "metadata.namespace") ?: "default"))
    return false;
  const char *uid = jstr(ref, "uid");
  return isempty(uid) || streq_ptr(uid, jstr(pvc, "metadata.uid"));
}

/* Bytes of a storage quantity; -1 when absent or bad. */
static int64_t storage_bytes(json_t *v) {
  Quantity q;
  if (!v || quantity_from_json(v, &q, NULL) < 0)
    return -1;
  return quantity_value(&q);
}

static const char *volume_mode(json_t *obj) {
  return jstr(obj, "spec.volumeMode") ?: "Filesystem";
}

bool volume_pv_matches_claim(json_t *pv, json_t *pvc) {
  if (!streq(volume_class_of(pv), volume_class_of(pvc)))
    return false;
  if (!streq(volume_mode(pv), volume_mode(pvc)))
    return false;
  if (!volume_access_modes_contain(jpath(pv, "spec.accessModes"), jpath(pvc, "spec.accessModes")))
    return false;
  int64_t have = storage_bytes(jpath(pv, "spec.capacity.storage"));
  int64_t want = storage_bytes(jpath(pvc, "spec.resources.requests.storage"));
  if (want > 0 && have < want)
    return false;
  json_t *sel = jpath(pvc, "spec.selector");
  if (json_is_object(sel)) {
    LabelSelector *ls = NULL;
    if (label_selector_from_json(sel, &ls, NULL) < 0)
      return false;
    bool ok = label_selector_matches(ls, jpath(pv, "metadata.labels"));
    label_selector_free(ls);
    if (!ok)
      return false;
  }
  return true;
}

json_t *volume_find_match(json_t *pvs, json_t *pvc) {
  json_t *best = NULL;
  int64_t best_size = 0;
  size_t i;
  json_t *pv;
  json_array_foreach(pvs, i, pv) {
    if (jpath(pv, "metadata.deletionTimestamp"))
      continue;
    bool prebound = volume_pv_bound_to_claim(pv, pvc);
    if (!prebound && json_is_object(jpath(pv, "spec.claimRef")))
      continue;
    if (!volume_pv_matches_claim(pv, pvc))
      continue;
    if (prebound)
      return pv;
    const char *phase = jstr(pv, "status.phase") ?: "Pending";
    if (!streq(phase, "Available") && !streq(phase, "Pending"))
      continue;
    int64_t size = storage_bytes(jpath(pv, "spec.capacity.storage"));
    if (!best || size < best_size) {
      best = pv;
      best_size = size;
    }
  }
  return best;
}

bool volume_claim_in_use(json_t *pods, json_t *pvc) {
  const char *ns = jstr(pvc, "metadata.namespace") ?: "default", *name = jstr(pvc, "metadata.name");
  size_t i, j;
  json_t *pod, *vol;
  json_array_foreach(pods, i, pod) {
    if (!streq_ptr(jstr(pod, "metadata.namespace") ?: "default", ns))
      continue;
    const char *phase = jstr(pod, "status.phase");
    if (phase && (streq(phase, "Succeeded") || streq(phase, "Failed")))
      continue;
    json_array_foreach(jpath(pod, "spec.volumes"), j, vol) {
      if (streq_ptr(jstr(vol, "persistentVolumeClaim.claimName"), name))
        return true;
    }
  }
  return false;
}

const char *volume_pv_node(json_t *pv) {
  size_t i, j;
  json_t *term, *expr;
  json_array_foreach(jpath(pv, "spec.nodeAffinity.required.nodeSelectorTerms"), i, term) {
    json_array_foreach(json_object_get(term, "matchExpressions"), j, expr) {
      if (streq_ptr(jstr(expr, "key"), VOL_HOSTNAME_LABEL) && streq_ptr(jstr(expr, "operator"), "In") &&
          json_array_size(json_object_get(expr, "values")) == 1)
        return json_string_value(json_array_get(json_object_get(expr, "values"), 0));
    }
  }
  return NULL;
}

static bool node_ready(json_t *node) {
  size_t i;
  json_t *c;
  json_array_foreach(jpath(node, "status.conditions"), i, c) {
    if (streq_ptr(jstr(c, "type"), "Ready"))
      return streq_ptr(jstr(c, "status"), "True");
  }
  return false;
}

const char *volume_pick_node(json_t *nodes, json_t *pvs, json_t *pvcs) {
  const char *best = NULL;
  size_t best_n = 0, i, j;
  json_t *node, *o;
  json_array_foreach(nodes, i, node) {
    const char *name = jstr(node, "metadata.name");
    if (!name || !node_ready(node) || json_is_true(jpath(node, "spec.unschedulable")) ||
        jpath(node, "metadata.deletionTimestamp"))
      continue;
    size_t n = 0;
    json_array_foreach(pvs, j, o) n += streq_ptr(volume_pv_node(o), name);
    json_array_foreach(pvcs, j, o) {
      json_t *ann = jpath(o, "metadata.annotations");
      n += isempty(jstr(o, "spec.volumeName")) &&
           streq_ptr(json_string_value(json_object_get(ann, VOL_ANN_SELECTED_NODE)), name);
    }
    if (!best || n < best_n || (n == best_n && strcmp(name, best) < 0)) {
      best = name;
      best_n = n;
    }
  }
  return best;
}

json_t *volume_default_class(json_t *classes) {
  json_t *best = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(classes, i, c) {
    json_t *ann = jpath(c, "metadata.annotations");
    if (!streq_ptr(json_string_value(json_object_get(ann, VOL_ANN_DEFAULT_CLASS)), "true"))
      continue;
    /* RFC 3339 timestamps of one format compare as strings; names break ties (Kubernetes: newest). */
    const char *t = jstr(c, "metadata.creationTimestamp") ?: "",
               *bt = jstr(best, "metadata.creationTimestamp");
    int cmp = best ? strcmp(t, bt ?: "") : 1;
    if (!best || cmp > 0 ||
        (cmp == 0 && strcmp(jstr(c, "metadata.name") ?: "", jstr(best, "metadata.name") ?: "") < 0))
      best = c;
  }
  return best;
}
