/* The StatefulSet controller's pure parts: pod identity (<set>-<ordinal>, hostname, subdomain, the
 * pod-name and pod-index labels, one PVC <claim>-<set>-<ordinal> per volumeClaimTemplate), the order of
 * operations and status.
 *
 * Order (sts_plan): ordinals 0..replicas-1 are created lowest first; with OrderedReady each must be
 * Running and Ready before the next is touched, and at most one action happens per sync; with Parallel
 * every missing pod is created and every condemned pod deleted at once. Pods above replicas are deleted
 * highest first. A RollingUpdate then replaces pods not at the update revision from the highest ordinal
 * down to the partition, one at a time, waiting for each replacement to be Ready. Pods below the
 * partition that must be recreated come back at the current revision. */
#include <errno.h>

#include "controllers/workloads.h"

int64_t sts_ordinal(const char *set, const char *pod_name) {
  size_t n = strlen(set ?: "");
  if (!set || !pod_name || strncmp(pod_name, set, n) != 0 || pod_name[n] != '-')
    return -1;
  const char *p = pod_name + n + 1;
  if (!*p || (*p == '0' && p[1]) || strlen(p) > 9)
    return -1;
  int64_t v = 0;
  for (; *p; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    v = v * 10 + (*p - '0');
  }
  return v;
}

static const char *pod_rev(json_t *pod) {
  return json_string_value(json_object_get(jpath(pod, "metadata.labels"), HIST_HASH_LABEL));
}

static bool healthy(json_t *pod) {
  return streq_ptr(jstr(pod, "status.phase"), "Running") && ctrl_pod_is_ready(pod) && !ctrl_is_deleting(pod);
}

static json_t *pod_at(json_t *pods, int64_t ord) {
  char k[24];
  snprintf(k, sizeof k, "%lld", (long long)ord);
  return json_object_get(pods, k);
}

size_t sts_plan(json_t *sts, json_t *pods, const char *update_rev, const char *current_rev, StsAction *out,
                size_t max) {
  int64_t replicas = jint(sts, "spec.replicas", 1);
  bool parallel = streq_ptr(jstr(sts, "spec.podManagementPolicy"), "Parallel");
  bool rolling = !streq_ptr(jstr(sts, "spec.updateStrategy.type"), "OnDelete");
  int64_t partition = rolling ? jint(sts, "spec.updateStrategy.rollingUpdate.partition", 0) : 0;
  bool mixed = current_rev && update_rev && !streq(current_rev, update_rev);
  size_t n = 0;
#define EMIT(t, o, cur)                                                                                      \
  do {                                                                                                       \
    if (n < max)                                                                                             \
      out[n++] = (StsAction){.type = (t), .ordinal = (o), .current = (cur)};                                 \
    if (!parallel || n >= max)                                                                               \
      return n;                                                                                              \
  } while (0)
  for (int64_t ord = 0; ord < replicas; ord++) {
    json_t *pod = pod_at(pods, ord);
    if (!pod) {
      /* Below the partition, a recreated pod keeps the current revision (a partitioned rollout). */
      EMIT(STS_CREATE, ord, mixed && rolling && ord < partition);
      continue;
    }
    const char *phase = jstr(pod, "status.phase");
    if ((streq_ptr(phase, "Failed") || streq_ptr(phase, "Succeeded")) && !ctrl_is_deleting(pod)) {
      EMIT(STS_DELETE, ord, false);
      continue;
    }
    if (!parallel && !healthy(pod))
      return n; /* OrderedReady: wait for this one */
  }
  /* Condemned pods, highest ordinal first. */
  int64_t top = -1;
  const char *k;
  json_t *v;
  json_object_foreach(pods, k, v) {
    int64_t o = strtoll(k, NULL, 10);
    if (o > top)
      top = o;
  }
  for (int64_t ord = top; ord >= replicas; ord--) {
    json_t *pod = pod_at(pods, ord);
    if (!pod)
      continue;
    if (ctrl_is_deleting(pod)) {
      if (!parallel)
        return n;
      continue;
    }
    EMIT(STS_DELETE, ord, false);
  }
  if (n > 0 || !rolling)
    return n;
  for (int64_t ord = replicas - 1; ord >= partition; ord--) {
    json_t *pod = pod_at(pods, ord);
    if (!pod)
      return n;
    if (!streq_ptr(pod_rev(pod), update_rev) && !ctrl_is_deleting(pod)) {
      if (n < max)
        out[n++] = (StsAction){.type = STS_DELETE, .ordinal = ord};
      return n;
    }
    if (!healthy(pod))
      return n;
  }
  return n;
#undef EMIT
}

json_t *sts_new_pod(json_t *sts, json_t *template, int64_t ordinal, const char *rev) {
  const char *set = jstr(sts, "metadata.name");
  _cleanup_free_ char *name = xasprintf("%s-%lld", set, (long long)ordinal);
  json_t *labels = json_deep_copy(jpath(template, "metadata.labels"));
  if (!json_is_object(labels)) {
    json_decref(labels);
    labels = json_object();
  }
  char ord_s[24];
  snprintf(ord_s, sizeof ord_s, "%lld", (long long)ordinal);
  json_object_set_new(labels, HIST_HASH_LABEL, json_string(rev));
  json_object_set_new(labels, "statefulset.kubernetes.io/pod-name", json_string(name));
  json_object_set_new(labels, "apps.kubernetes.io/pod-index", json_string(ord_s));
  json_t *meta =
      json_pack("{s:s,s:s,s:o,s:[o]}", "name", name, "namespace", jstr(sts, "metadata.namespace"), "labels",
                labels, "ownerReferences", ctrl_new_controller_ref(sts, "apps/v1", "StatefulSet"));
  json_t *ann = jpath(template, "metadata.annotations");
  if (json_is_object(ann))
    json_object_set_new(meta, "annotations", json_deep_copy(ann));
  json_t *spec = json_deep_copy(jpath(template, "spec"));
  if (!json_is_object(spec)) {
    json_decref(spec);
    spec = json_object();
  }
  json_object_set_new(spec, "hostname", json_string(name));
  const char *svc = jstr(sts, "spec.serviceName");
  if (!isempty(svc))
    json_object_set_new(spec, "subdomain", json_string(svc));
  json_t *claims = jpath(sts, "spec.volumeClaimTemplates");
  if (json_array_size(claims)) {
    json_t *vols = json_object_get(spec, "volumes");
    json_t *nv = json_array();
    size_t i, k;
    json_t *vol, *c;
    json_array_foreach(vols, i, vol) {
      bool replaced = false;
      json_array_foreach(claims, k, c) replaced =
          replaced || streq_ptr(jstr(vol, "name"), jstr(c, "metadata.name"));
      if (!replaced)
        json_array_append(nv, vol);
    }
    json_array_foreach(claims, k, c) {
      _cleanup_free_ char *claim = xasprintf("%s-%s", jstr(c, "metadata.name"), name);
      json_array_append_new(nv, json_pack("{s:s,s:{s:s}}", "name", jstr(c, "metadata.name"),
                                          "persistentVolumeClaim", "claimName", claim));
    }
    json_object_set_new(spec, "volumes", nv);
  }
  return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta, "spec", spec);
}

json_t *sts_new_claims(json_t *sts, int64_t ordinal) {
  json_t *out = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(jpath(sts, "spec.volumeClaimTemplates"), i, c) {
    _cleanup_free_ char *name =
        xasprintf("%s-%s-%lld", jstr(c, "metadata.name"), jstr(sts, "metadata.name"), (long long)ordinal);
    json_t *labels = json_deep_copy(jpath(c, "metadata.labels"));
    if (!json_is_object(labels)) {
      json_decref(labels);
      labels = json_object();
    }
    json_object_update(labels, jpath(sts, "spec.selector.matchLabels"));
    json_t *meta = json_pack("{s:s,s:s,s:o}", "name", name, "namespace", jstr(sts, "metadata.namespace"),
                             "labels", labels);
    json_t *ann = jpath(c, "metadata.annotations");
    if (json_is_object(ann))
      json_object_set_new(meta, "annotations", json_deep_copy(ann));
    json_t *spec = jpath(c, "spec");
    json_array_append_new(out, json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind",
                                         "PersistentVolumeClaim", "metadata", meta, "spec",
                                         json_is_object(spec) ? json_deep_copy(spec) : json_object()));
  }
  return out;
}

json_t *sts_status(json_t *sts, json_t *pods, const char *update_rev, const char *current_rev, int64_t now) {
  int64_t replicas = 0, ready = 0, avail = 0, cur = 0, upd = 0;
  int64_t min_ready = jint(sts, "spec.minReadySeconds", 0);
  const char *k;
  json_t *p;
  json_object_foreach(pods, k, p) {
    if (ctrl_is_deleting(p))
      continue;
    replicas++;
    ready += ctrl_pod_is_ready(p);
    avail += ctrl_pod_is_available(p, min_ready, now);
    cur += streq_ptr(pod_rev(p), current_rev);
    upd += streq_ptr(pod_rev(p), update_rev);
  }
  /* The rollout is over when every pod is updated and ready: the update revision becomes current. */
  if (upd == replicas && ready == replicas && replicas == jint(sts, "spec.replicas", 1)) {
    current_rev = update_rev;
    cur = upd;
  }
  json_t *st = json_pack(
      "{s:I,s:I,s:I,s:I,s:s,s:s,s:I}", "observedGeneration", (json_int_t)jint(sts, "metadata.generation", 0),
      "replicas", (json_int_t)replicas, "availableReplicas", (json_int_t)avail, "collisionCount",
      (json_int_t)jint(sts, "status.collisionCount", 0), "currentRevision", current_rev ?: "",
      "updateRevision", update_rev ?: "", "updatedReplicas", (json_int_t)upd);
  if (ready)
    json_object_set_new(st, "readyReplicas", json_integer(ready));
  if (cur)
    json_object_set_new(st, "currentReplicas", json_integer(cur));
  if (!upd)
    json_object_del(st, "updatedReplicas");
  return st;
}
