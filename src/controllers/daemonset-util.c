/* The DaemonSet controller's pure parts: which nodes should run a daemon pod (nodeSelector, required node
 * affinity, taints against the template's tolerations plus the ones every DaemonSet pod gets), and the pod
 * for one node — pinned through required node affinity on matchFields metadata.name, as Kubernetes does,
 * so that the default scheduler binds it and still checks resources and ports. */
#include <errno.h>

#include "controllers/workloads.h"

/* Tolerations Kubernetes adds to every DaemonSet pod: it must keep running through node trouble and be
 * placeable on cordoned nodes. */
static json_t *auto_tolerations(bool host_network) {
  json_t *t =
      json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s}]",
                "key", "node.kubernetes.io/not-ready", "operator", "Exists", "effect", "NoExecute", "key",
                "node.kubernetes.io/unreachable", "operator", "Exists", "effect", "NoExecute", "key",
                "node.kubernetes.io/disk-pressure", "operator", "Exists", "effect", "NoSchedule", "key",
                "node.kubernetes.io/memory-pressure", "operator", "Exists", "effect", "NoSchedule", "key",
                "node.kubernetes.io/pid-pressure", "operator", "Exists", "effect", "NoSchedule", "key",
                "node.kubernetes.io/unschedulable", "operator", "Exists", "effect", "NoSchedule");
  if (host_network)
    json_array_append_new(t, json_pack("{s:s,s:s,s:s}", "key", "node.kubernetes.io/network-unavailable",
                                       "operator", "Exists", "effect", "NoSchedule"));
  return t;
}

static bool toleration_matches(json_t *tol, json_t *taint) {
  const char *eff = jstr(tol, "effect");
  if (!isempty(eff) && !streq_ptr(eff, jstr(taint, "effect")))
    return false;
  const char *key = jstr(tol, "key"), *op = jstr(tol, "operator") ?: "Equal";
  if (isempty(key))
    return streq(op, "Exists");
  if (!streq_ptr(key, jstr(taint, "key")))
    return false;
  if (streq(op, "Exists"))
    return true;
  return streq(op, "Equal") && streq(jstr(tol, "value") ?: "", jstr(taint, "value") ?: "");
}

bool ds_tolerates(json_t *tolerations, json_t *taint) {
  size_t i;
  json_t *t;
  json_array_foreach(tolerations, i, t) {
    if (toleration_matches(t, taint))
      return true;
  }
  return false;
}

static bool requirement_matches(json_t *req, const char *have) {
  const char *op = jstr(req, "operator");
  json_t *values = json_object_get(req, "values");
  if (streq_ptr(op, "Exists"))
    return have != NULL;
  if (streq_ptr(op, "DoesNotExist"))
    return have == NULL;
  if (streq_ptr(op, "In") || streq_ptr(op, "NotIn")) {
    bool found = false;
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) found = found || (have && streq_ptr(json_string_value(v), have));
    return streq(op, "In") ? found : !found;
  }
  if (streq_ptr(op, "Gt") || streq_ptr(op, "Lt")) {
    const char *want = json_string_value(json_array_get(values, 0));
    if (!have || !want)
      return false;
    char *e1, *e2;
    long long a = strtoll(have, &e1, 10), b = strtoll(want, &e2, 10);
    if (*e1 || *e2 || !*have || !*want)
      return false;
    return streq(op, "Gt") ? a > b : a < b;
  }
  return false;
}

static bool term_matches(json_t *term, json_t *node) {
  json_t *exprs = json_object_get(term, "matchExpressions"), *fields = json_object_get(term, "matchFields");
  if (!json_array_size(exprs) && !json_array_size(fields))
    return false;
  json_t *labels = jpath(node, "metadata.labels");
  size_t i;
  json_t *r;
  json_array_foreach(exprs, i, r) {
    if (!requirement_matches(r, json_string_value(json_object_get(labels, jstr(r, "key") ?: ""))))
      return false;
  }
  json_array_foreach(fields, i, r) {
    if (!streq_ptr(jstr(r, "key"), "metadata.name") || !requirement_matches(r, jstr(node, "metadata.name")))
      return false;
  }
  return true;
}

static bool node_selected(json_t *spec, json_t *node) {
  json_t *labels = jpath(node, "metadata.labels");
  const char *k;
  json_t *v;
  json_object_foreach(jpath(spec, "nodeSelector"), k, v) {
    if (!streq_ptr(json_string_value(json_object_get(labels, k)), json_string_value(v)))
      return false;
  }
  json_t *req = jpath(spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution");
  if (!json_is_object(req))
    return true;
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(req, "nodeSelectorTerms"), i, t) {
    if (term_matches(t, node))
      return true;
  }
  return false;
}

void ds_node_should_run(json_t *ds, json_t *node, bool *ret_run, bool *ret_continue) {
  json_t *spec = jpath(ds, "spec.template.spec");
  *ret_run = *ret_continue = false;
  if (!node_selected(spec, node))
    return;
  _cleanup_json_ json_t *tols = auto_tolerations(json_is_true(json_object_get(spec, "hostNetwork")));
  json_t *own = json_object_get(spec, "tolerations");
  bool run = true, cont = true;
  size_t i;
  json_t *taint;
  json_array_foreach(jpath(node, "spec.taints"), i, taint) {
    const char *eff = jstr(taint, "effect");
    if (!streq_ptr(eff, "NoSchedule") && !streq_ptr(eff, "NoExecute"))
      continue;
    if (ds_tolerates(own, taint) || ds_tolerates(tols, taint))
      continue;
    run = false;
    if (streq(eff, "NoExecute"))
      cont = false;
  }
  *ret_run = run;
  *ret_continue = cont;
}

const char *ds_pod_node(json_t *pod) {
  const char *n = jstr(pod, "spec.nodeName");
  if (!isempty(n))
    return n;
  json_t *terms = jpath(
      pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
  size_t i, k;
  json_t *t, *f;
  json_array_foreach(terms, i, t) {
    json_array_foreach(json_object_get(t, "matchFields"), k, f) {
      if (streq_ptr(jstr(f, "key"), "metadata.name") && streq_ptr(jstr(f, "operator"), "In") &&
          json_array_size(json_object_get(f, "values")) == 1)
        return json_string_value(json_array_get(json_object_get(f, "values"), 0));
    }
  }
  return NULL;
}

json_t *ds_new_pod(json_t *ds, const char *node, const char *hash) {
  json_t *tmpl = jpath(ds, "spec.template");
  _cleanup_free_ char *gen = xasprintf("%s-", jstr(ds, "metadata.name"));
  json_t *labels = json_deep_copy(jpath(tmpl, "metadata.labels"));
  if (!json_is_object(labels)) {
    json_decref(labels);
    labels = json_object();
  }
  json_object_set_new(labels, HIST_HASH_LABEL, json_string(hash));
  char gen_s[24];
  snprintf(gen_s, sizeof gen_s, "%lld", (long long)jint(ds, "metadata.generation", 1));
  json_object_set_new(labels, "pod-template-generation", json_string(gen_s));
  json_t *meta =
      json_pack("{s:s,s:s,s:o,s:[o]}", "generateName", gen, "namespace", jstr(ds, "metadata.namespace"),
                "labels", labels, "ownerReferences", ctrl_new_controller_ref(ds, "apps/v1", "DaemonSet"));
  json_t *ann = jpath(tmpl, "metadata.annotations");
  if (json_is_object(ann))
    json_object_set_new(meta, "annotations", json_deep_copy(ann));
  json_t *spec = json_deep_copy(jpath(tmpl, "spec"));
  if (!json_is_object(spec)) {
    json_decref(spec);
    spec = json_object();
  }
  /* Tolerations: the template's, plus the automatic ones it does not already have. */
  json_t *tols = json_object_get(spec, "tolerations");
  if (!json_is_array(tols)) {
    tols = json_array();
    json_object_set_new(spec, "tolerations", tols);
  }
  _cleanup_json_ json_t *autos = auto_tolerations(json_is_true(json_object_get(spec, "hostNetwork")));
  size_t i, k;
  json_t *a, *t;
  json_array_foreach(autos, i, a) {
    bool have = false;
    json_array_foreach(tols, k, t) have = have || (streq_ptr(jstr(t, "key"), jstr(a, "key")) &&
                                                   streq_ptr(jstr(t, "effect"), jstr(a, "effect")));
    if (!have)
      json_array_append(tols, a);
  }
  /* Pinned to the node: the required terms become one matchFields term (preferred ones are kept). */
  json_t *na = jobj(spec, "affinity.nodeAffinity");
  json_object_set_new(na, "requiredDuringSchedulingIgnoredDuringExecution",
                      json_pack("{s:[{s:[{s:s,s:s,s:[s]}]}]}", "nodeSelectorTerms", "matchFields", "key",
                                "metadata.name", "operator", "In", "values", node));
  return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta, "spec", spec);
}
