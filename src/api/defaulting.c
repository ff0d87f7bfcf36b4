/* Defaulting of built-in kinds (see defaulting.h). Each function mirrors one group's defaults as Kubernetes
 * v1.32 applies them; a field already present (even with a zero value, where Kubernetes' field is a pointer)
 * is never overwritten, except probe timings, where zero means unset as in Kubernetes. */
#include "api/defaulting.h"

#include "api/jsonutil.h"
#include "base/util.h"

/* The object under o[key], created when missing; NULL when o is not an object or the field has another
 * type (validation reports it; defaulting must not replace what the user wrote). */
static json_t *child(json_t *o, const char *key) {
  if (!json_is_object(o))
    return NULL;
  json_t *c = json_object_get(o, key);
  if (!c) {
    c = json_object();
    json_object_set_new(o, key, c);
  }
  return json_is_object(c) ? c : NULL;
}

/* The object under o[key] if it exists, else NULL (never created). */
static json_t *existing(json_t *o, const char *key) {
  json_t *c = json_is_object(o) ? json_object_get(o, key) : NULL;
  return json_is_object(c) ? c : NULL;
}

static void set_default(json_t *o, const char *key, json_t *v) {
  if (json_is_object(o) && !json_object_get(o, key))
    json_object_set_new(o, key, v);
  else
    json_decref(v);
}

static void default_port_protocols(json_t *ports) {
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) set_default(p, "protocol", json_string("TCP"));
}

static bool image_is_latest(const char *image) {
  if (!image)
    return true;
  if (strchr(image, '@'))
    return false;
  const char *slash = strrchr(image, '/');
  const char *colon = strrchr(slash ? slash : image, ':');
  return !colon || streq(colon + 1, "latest");
}

/* ---- core/v1 pods ---- */

/* A probe's or hook's httpGet path and scheme. */
static void default_http_get(json_t *h) {
  json_t *g = existing(h, "httpGet");
  set_default(g, "path", json_string("/"));
  set_default(g, "scheme", json_string("HTTP"));
}

static void default_probe(json_t *p) {
  if (!json_is_object(p))
    return;
  static const struct {
    const char *key;
    int value;
  } timing[] = {
      {"timeoutSeconds", 1}, {"periodSeconds", 10}, {"successThreshold", 1}, {"failureThreshold", 3}};
  for (size_t i = 0; i < ELEMENTSOF(timing); i++) {
    json_t *v = json_object_get(p, timing[i].key);
    if (!v || (json_is_integer(v) && json_integer_value(v) == 0))
      json_object_set_new(p, timing[i].key, json_integer(timing[i].value));
  }
  default_http_get(p);
}

static void default_container(json_t *c) {
  if (!json_is_object(c))
    return;
  default_probe(json_object_get(c, "livenessProbe"));
  default_probe(json_object_get(c, "readinessProbe"));
  default_probe(json_object_get(c, "startupProbe"));
  json_t *lc = existing(c, "lifecycle");
  default_http_get(existing(lc, "postStart"));
  default_http_get(existing(lc, "preStop"));
  const char *image = json_is_string(json_object_get(c, "image")) ? jstr(c, "image") : NULL;
  set_default(c, "imagePullPolicy", json_string(image_is_latest(image) ? "Always" : "IfNotPresent"));
  set_default(c, "terminationMessagePath", json_string("/dev/termination-log"));
  set_default(c, "terminationMessagePolicy", json_string("File"));
  set_default(c, "resources", json_object());
  default_port_protocols(json_object_get(c, "ports"));
}

/* Defaults of a PodSpec (pods and every pod template). */
static void default_pod_spec(json_t *spec) {
  if (!json_is_object(spec))
    return;
  set_default(spec, "restartPolicy", json_string("Always"));
  set_default(spec, "terminationGracePeriodSeconds", json_integer(30));
  set_default(spec, "dnsPolicy", json_string("ClusterFirst"));
  set_default(spec, "securityContext", json_object());
  set_default(spec, "schedulerName", json_string("default-scheduler"));
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, "containers"), i, c) default_container(c);
  json_array_foreach(json_object_get(spec, "initContainers"), i, c) default_container(c);
}

static void default_template(json_t *spec) {
  default_pod_spec(existing(existing(spec, "template"), "spec"));
}

/* ---- apps/v1 ---- */

static void default_deployment(json_t *spec) {
  set_default(spec, "replicas", json_integer(1));
  json_t *strategy = child(spec, "strategy");
  set_default(strategy, "type", json_string("RollingUpdate"));
  if (streq_ptr(jstr(strategy, "type"), "RollingUpdate")) {
    json_t *ru = child(strategy, "rollingUpdate");
    set_default(ru, "maxUnavailable", json_string("25%"));
    set_default(ru, "maxSurge", json_string("25%"));
  }
  set_default(spec, "revisionHistoryLimit", json_integer(10));
  set_default(spec, "progressDeadlineSeconds", json_integer(600));
  default_template(spec);
}

static void default_statefulset(json_t *spec) {
  set_default(spec, "replicas", json_integer(1));
  set_default(spec, "podManagementPolicy", json_string("OrderedReady"));
  json_t *us = child(spec, "updateStrategy");
  set_default(us, "type", json_string("RollingUpdate"));
  if (streq_ptr(jstr(us, "type"), "RollingUpdate"))
    set_default(child(us, "rollingUpdate"), "partition", json_integer(0));
  set_default(spec, "revisionHistoryLimit", json_integer(10));
  json_t *ret = child(spec, "persistentVolumeClaimRetentionPolicy");
  set_default(ret, "whenDeleted", json_string("Retain"));
  set_default(ret, "whenScaled", json_string("Retain"));
  default_template(spec);
}

static void default_daemonset(json_t *spec) {
  json_t *us = child(spec, "updateStrategy");
  set_default(us, "type", json_string("RollingUpdate"));
  if (streq_ptr(jstr(us, "type"), "RollingUpdate")) {
    json_t *ru = child(us, "rollingUpdate");
    set_default(ru, "maxUnavailable", json_integer(1));
    set_default(ru, "maxSurge", json_integer(0));
  }
  set_default(spec, "revisionHistoryLimit", json_integer(10));
  default_template(spec);
}

/* ---- batch/v1 ---- */

static void default_job_spec(json_t *spec) {
  if (!json_is_object(spec))
    return;
  bool no_completions = !json_object_get(spec, "completions");
  set_default(spec, "parallelism", json_integer(1));
  if (no_completions && jint(spec, "parallelism", 1) == 1 && !json_object_get(spec, "completionMode"))
    json_object_set_new(spec, "completions", json_integer(1));
  if (!json_object_get(spec, "backoffLimitPerIndex"))
    set_default(spec, "backoffLimit", json_integer(6));
  set_default(spec, "completionMode", json_string("NonIndexed"));
  set_default(spec, "suspend", json_false());
  set_default(spec, "podReplacementPolicy", json_string("TerminatingOrFailed"));
  default_template(spec);
}

static void default_cronjob(json_t *spec) {
  set_default(spec, "concurrencyPolicy", json_string("Allow"));
  set_default(spec, "suspend", json_false());
  set_default(spec, "successfulJobsHistoryLimit", json_integer(3));
  set_default(spec, "failedJobsHistoryLimit", json_integer(1));
  /* The job template gets the pod defaults; job-level defaults land on the Jobs it creates. */
  default_template(existing(existing(spec, "jobTemplate"), "spec"));
}

/* ---- autoscaling ---- */

static void default_hpa(json_t *spec) {
  set_default(spec, "minReplicas", json_integer(1));
  if (json_is_object(spec) && !json_object_get(spec, "metrics"))
    json_object_set_new(spec, "metrics",
                        json_pack("[{s:s,s:{s:s,s:{s:s,s:i}}}]", "type", "Resource", "resource", "name",
                                  "cpu", "target", "type", "Utilization", "averageUtilization", 80));
  /* A behavior that is given is completed with the controller's defaults; none given stays none. */
  json_t *b = existing(spec, "behavior");
  if (b) {
    json_t *up = child(b, "scaleUp");
    set_default(up, "stabilizationWindowSeconds", json_integer(0));
    set_default(up, "selectPolicy", json_string("Max"));
    set_default(up, "policies",
                json_pack("[{s:s,s:i,s:i},{s:s,s:i,s:i}]", "type", "Pods", "value", 4, "periodSeconds", 15,
                          "type", "Percent", "value", 100, "periodSeconds", 15));
    json_t *down = child(b, "scaleDown");
    set_default(down, "stabilizationWindowSeconds", json_integer(300));
    set_default(down, "selectPolicy", json_string("Max"));
    set_default(down, "policies",
                json_pack("[{s:s,s:i,s:i}]", "type", "Percent", "value", 100, "periodSeconds", 15));
  }
}

/* ---- core/v1 others ---- */

static void default_service(json_t *spec) {
  set_default(spec, "type", json_string("ClusterIP"));
  set_default(spec, "sessionAffinity", json_string("None"));
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(spec, "ports"), i, p) {
    if (!json_is_object(p))
      continue;
    set_default(p, "protocol", json_string("TCP"));
    json_t *port = json_object_get(p, "port");
    if (port && !json_object_get(p, "targetPort"))
      json_object_set(p, "targetPort", port);
  }
}

static void default_pvc(json_t *obj) {
  set_default(existing(obj, "spec"), "volumeMode", json_string("Filesystem"));
  set_default(child(obj, "status"), "phase", json_string("Pending"));
}

static void default_pv(json_t *obj) {
  json_t *spec = existing(obj, "spec");
  set_default(spec, "persistentVolumeReclaimPolicy", json_string("Retain"));
  set_default(spec, "volumeMode", json_string("Filesystem"));
  set_default(child(obj, "status"), "phase", json_string("Pending"));
}

/* LimitRange items of type Container: default limits from max, default requests from the default limits. */
static void default_limitrange(json_t *spec) {
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(spec, "limits"), i, item) {
    if (!streq_ptr(jstr(item, "type"), "Container"))
      continue;
    const char *k;
    json_t *v;
    json_t *max = existing(item, "max");
    if (max) {
      json_t *def = child(item, "default");
      json_object_foreach(max, k, v) set_default(def, k, json_deep_copy(v));
    }
    json_t *def = existing(item, "default");
    if (def) {
      json_t *req = child(item, "defaultRequest");
      json_object_foreach(def, k, v) set_default(req, k, json_deep_copy(v));
    }
  }
}

/* ---- other groups ---- */

static void default_network_policy(json_t *spec) {
  if (!json_is_object(spec))
    return;
  json_t *ingress = json_object_get(spec, "ingress"), *egress = json_object_get(spec, "egress");
  size_t i;
  json_t *rule;
  json_array_foreach(ingress, i, rule) default_port_protocols(json_object_get(rule, "ports"));
  json_array_foreach(egress, i, rule) default_port_protocols(json_object_get(rule, "ports"));
  if (json_object_get(spec, "policyTypes"))
    return;
  json_t *types = json_pack("[s]", "Ingress");
  if (json_array_size(egress) > 0)
    json_array_append_new(types, json_string("Egress"));
  json_object_set_new(spec, "policyTypes", types);
}

/* RBAC subjects: ServiceAccounts are core, Users and Groups belong to rbac.authorization.k8s.io. */
static void default_subjects(json_t *obj) {
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(obj, "subjects"), i, s) {
    if (!json_is_object(s) || json_object_get(s, "apiGroup"))
      continue;
    const char *kind = jstr(s, "kind");
    if (streq_ptr(kind, "ServiceAccount"))
      json_object_set_new(s, "apiGroup", json_string(""));
    else if (streq_ptr(kind, "User") || streq_ptr(kind, "Group"))
      json_object_set_new(s, "apiGroup", json_string("rbac.authorization.k8s.io"));
  }
}

void defaulting_apply(const char *group, const char *kind, json_t *obj) {
  if (!json_is_object(obj))
    return;
  json_t *spec = existing(obj, "spec");
  if (!*group) {
    if (streq(kind, "Pod")) {
      default_pod_spec(spec);
      set_default(spec, "enableServiceLinks", json_true());
    } else if (streq(kind, "Service"))
      default_service(spec);
    else if (streq(kind, "Secret"))
      set_default(obj, "type", json_string("Opaque"));
    else if (streq(kind, "PersistentVolumeClaim"))
      default_pvc(obj);
    else if (streq(kind, "PersistentVolume"))
      default_pv(obj);
    else if (streq(kind, "ReplicationController")) {
      set_default(spec, "replicas", json_integer(1));
      default_template(spec);
    } else if (streq(kind, "PodTemplate"))
      default_pod_spec(existing(existing(obj, "template"), "spec"));
    else if (streq(kind, "Endpoints")) {
      size_t i;
      json_t *sub;
      json_array_foreach(json_object_get(obj, "subsets"), i, sub)
          default_port_protocols(json_object_get(sub, "ports"));
    } else if (streq(kind, "LimitRange"))
      default_limitrange(spec);
  } else if (streq(group, "apps")) {
    if (streq(kind, "Deployment"))
      default_deployment(spec);
    else if (streq(kind, "ReplicaSet")) {
      set_default(spec, "replicas", json_integer(1));
      default_template(spec);
    } else if (streq(kind, "StatefulSet"))
      default_statefulset(spec);
    else if (streq(kind, "DaemonSet"))
      default_daemonset(spec);
  } else if (streq(group, "batch")) {
    if (streq(kind, "Job"))
      default_job_spec(spec);
    else if (streq(kind, "CronJob"))
      default_cronjob(spec);
  } else if (streq(group, "autoscaling") && streq(kind, "HorizontalPodAutoscaler")) {
    default_hpa(spec);
  } else if (streq(group, "storage.k8s.io") && streq(kind, "StorageClass")) {
    set_default(obj, "reclaimPolicy", json_string("Delete"));
    set_default(obj, "volumeBindingMode", json_string("Immediate"));
  } else if (streq(group, "networking.k8s.io") && streq(kind, "NetworkPolicy")) {
    default_network_policy(spec);
  } else if (streq(group, "rbac.authorization.k8s.io") &&
             (streq(kind, "RoleBinding") || streq(kind, "ClusterRoleBinding"))) {
    default_subjects(obj);
  } else if (streq(group, "scheduling.k8s.io") && streq(kind, "PriorityClass")) {
    set_default(obj, "preemptionPolicy", json_string("PreemptLowerPriority"));
  } else if (streq(group, "discovery.k8s.io") && streq(kind, "EndpointSlice")) {
    default_port_protocols(json_object_get(obj, "ports"));
  }
}
