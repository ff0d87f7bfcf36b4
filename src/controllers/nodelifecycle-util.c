/* The node lifecycle controller's pure decisions: what an unresponsive node's conditions become, which
 * taints a node's conditions and spec call for, and when the taint manager evicts a pod from a node with
 * NoExecute taints. No I/O here; nodelifecycle.c applies the results and test-nodelifecycle.c checks them. */
#include <errno.h>

#include "controllers/nodelifecycle.h"

const char *nlc_ready_status(json_t *node) {
  json_t *c = ctrl_condition(node, "status.conditions", "Ready");
  return c ? jstr(c, "status") : NULL;
}

bool nlc_mark_unknown(json_t *status, const char *creation_ts, const char *now_ts) {
  static const char *const types[] = {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure"};
  json_t *conds = json_object_get(status, "conditions");
  if (!json_is_array(conds)) {
    conds = json_array();
    json_object_set_new(status, "conditions", conds);
  }
  bool changed = false;
  for (size_t k = 0; k < ELEMENTSOF(types); k++) {
    json_t *found = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
      if (streq_ptr(jstr(c, "type"), types[k])) {
        found = c;
        break;
      }
    }
    if (!found) {
      json_array_append_new(conds,
                            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", types[k], "status", "Unknown",
                                      "reason", "NodeStatusNeverUpdated", "message",
                                      "Kubelet never posted node status.", "lastHeartbeatTime",
                                      creation_ts ? creation_ts : now_ts, "lastTransitionTime", now_ts));
      changed = true;
    } else if (!streq_ptr(jstr(found, "status"), "Unknown")) {
      json_object_set_new(found, "status", json_string("Unknown"));
      json_object_set_new(found, "reason", json_string("NodeStatusUnknown"));
      json_object_set_new(found, "message", json_string("Kubelet stopped posting node status."));
      json_object_set_new(found, "lastTransitionTime", json_string(now_ts));
      changed = true;
    }
  }
  return changed;
}

/* The taints this controller owns, as (key, effect). */
static const struct {
  const char *key, *effect;
} managed[] = {
    {NLC_TAINT_NOT_READY, "NoExecute"},        {NLC_TAINT_UNREACHABLE, "NoExecute"},
    {NLC_TAINT_NOT_READY, "NoSchedule"},       {NLC_TAINT_UNREACHABLE, "NoSchedule"},
    {NLC_TAINT_MEMORY_PRESSURE, "NoSchedule"}, {NLC_TAINT_DISK_PRESSURE, "NoSchedule"},
    {NLC_TAINT_PID_PRESSURE, "NoSchedule"},    {NLC_TAINT_NETWORK_UNAVAILABLE, "NoSchedule"},
    {NLC_TAINT_UNSCHEDULABLE, "NoSchedule"},
};

static bool cond_true(json_t *node, const char *type) {
  json_t *c = ctrl_condition(node, "status.conditions", type);
  return c && streq_ptr(jstr(c, "status"), "True");
}

json_t *nlc_desired_taints(json_t *node, const char *now_ts) {
  bool want[ELEMENTSOF(managed)] = {false};
  const char *ready = nlc_ready_status(node);
  want[0] = want[2] = streq_ptr(ready, "False");
  want[1] = want[3] = streq_ptr(ready, "Unknown");
  want[4] = cond_true(node, "MemoryPressure");
  want[5] = cond_true(node, "DiskPressure");
  want[6] = cond_true(node, "PIDPressure");
  want[7] = cond_true(node, "NetworkUnavailable");
  want[8] = json_is_true(jpath(node, "spec.unschedulable"));

  json_t *out = json_array();
  bool have[ELEMENTSOF(managed)] = {false};
  size_t i;
  json_t *t;
  json_array_foreach(jpath(node, "spec.taints"), i, t) {
    size_t k = 0;
    for (; k < ELEMENTSOF(managed); k++) {
      if (streq_ptr(jstr(t, "key"), managed[k].key) && streq_ptr(jstr(t, "effect"), managed[k].effect))
        break;
    }
    if (k < ELEMENTSOF(managed)) {
      if (!want[k] || have[k])
        continue; /* no longer applies (or a duplicate) */
      have[k] = true;
    }
    json_array_append(out, t);
  }
  for (size_t k = 0; k < ELEMENTSOF(managed); k++) {
    if (!want[k] || have[k])
      continue;
    json_t *taint = json_pack("{s:s,s:s}", "key", managed[k].key, "effect", managed[k].effect);
    if (streq(managed[k].effect, "NoExecute"))
      json_object_set_new(taint, "timeAdded", json_string(now_ts));
    json_array_append_new(out, taint);
  }
  return out;
}

bool nlc_toleration_matches(json_t *tol, json_t *taint) {
  const char *eff = jstr(tol, "effect");
  if (!isempty(eff) && !streq_ptr(eff, jstr(taint, "effect")))
    return false;
  const char *key = jstr(tol, "key");
  if (!isempty(key) && !streq_ptr(key, jstr(taint, "key")))
    return false;
  const char *op = jstr(tol, "operator");
  if (isempty(op) || streq(op, "Equal"))
    return streq(jstr(tol, "value") ?: "", jstr(taint, "value") ?: "");
  return streq(op, "Exists");
}

int64_t nlc_eviction_delay(json_t *tolerations, json_t *taints) {
  int64_t min = NLC_EVICT_NEVER;
  bool any = false;
  size_t i;
  json_t *taint;
  json_array_foreach(taints, i, taint) {
    if (!streq_ptr(jstr(taint, "effect"), "NoExecute"))
      continue;
    any = true;
    json_t *used = NULL; /* the first toleration that matches, as Kubernetes' GetMatchingTolerations */
    size_t k;
    json_t *tol;
    json_array_foreach(tolerations, k, tol) {
      if (nlc_toleration_matches(tol, taint)) {
        used = tol;
        break;
      }
    }
    if (!used)
      return 0;
    json_t *secs = json_object_get(used, "tolerationSeconds");
    if (!json_is_integer(secs))
      continue;
    int64_t s = json_integer_value(secs);
    if (s <= 0)
      return 0;
    if (min == NLC_EVICT_NEVER || s < min)
      min = s;
  }
  return any ? min : NLC_EVICT_NEVER;
}
