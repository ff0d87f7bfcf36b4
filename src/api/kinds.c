/* The table of served resources (see kinds.h). Scope, short names, categories and subresources are facts
 * of the Kubernetes API (v1.32); kubectl learns short names and the "all" category only from discovery. */
#include "api/kinds.h"

#include <stdio.h>
#include <string.h>

const char *const api_standard_verbs = "create delete deletecollection get list patch update watch";

#define STATUS_SUB(K)                                                                                        \
  { "status", K, NULL, NULL, "get patch update" }
#define SCALE_SUB                                                                                            \
  { "scale", "Scale", "autoscaling", "v1", "get patch update" }

const ApiResource api_resources[] = {
    /* core/v1 */
    {"", "v1", "bindings", "binding", "Binding", true, {0}, false, "create", {{0}}, true},
    {"", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, false, NULL, {{0}}, true},
    {"", "v1", "endpoints", "endpoints", "Endpoints", true, {"ep"}, false, NULL, {{0}}, true},
    {"", "v1", "events", "event", "Event", true, {"ev"}, false, NULL, {{0}}, true},
    {"",
     "v1",
     "namespaces",
     "namespace",
     "Namespace",
     false,
     {"ns"},
     false,
     "create delete get list patch update watch",
     {{"finalize", "Namespace", NULL, NULL, "update"}, STATUS_SUB("Namespace")},
     true},
    {"",
     "v1",
     "nodes",
     "node",
     "Node",
     false,
     {"no"},
     false,
     NULL,
     {{"proxy", "NodeProxyOptions", NULL, NULL, "create delete get patch update"}, STATUS_SUB("Node")},
     true},
    {"",
     "v1",
     "persistentvolumeclaims",
     "persistentvolumeclaim",
     "PersistentVolumeClaim",
     true,
     {"pvc"},
     false,
     NULL,
     {STATUS_SUB("PersistentVolumeClaim")},
     true},
    {"",
     "v1",
     "persistentvolumes",
     "persistentvolume",
     "PersistentVolume",
     false,
     {"pv"},
     false,
     NULL,
     {STATUS_SUB("PersistentVolume")},
     true},
    {"",
     "v1",
     "pods",
     "pod",
     "Pod",
     true,
     {"po"},
     true,
     NULL,
     {{"attach", "PodAttachOptions", NULL, NULL, "create get"},
      {"binding", "Binding", NULL, NULL, "create"},
      {"ephemeralcontainers", "Pod", NULL, NULL, "get patch update"},
      {"eviction", "Eviction", "policy", "v1", "create"},
      {"exec", "PodExecOptions", NULL, NULL, "create get"},
      {"log", "Pod", NULL, NULL, "get"},
      {"portforward", "PodPortForwardOptions", NULL, NULL, "create get"},
      {"proxy", "PodProxyOptions", NULL, NULL, "create delete get patch update"},
      STATUS_SUB("Pod")},
     true},
    {"", "v1", "limitranges", "limitrange", "LimitRange", true, {"limits"}, false, NULL, {{0}}, true},
    {"", "v1", "podtemplates", "podtemplate", "PodTemplate", true, {0}, false, NULL, {{0}}, true},
    {"",
     "v1",
     "replicationcontrollers",
     "replicationcontroller",
     "ReplicationController",
     true,
     {"rc"},
     true,
     NULL,
     {SCALE_SUB, STATUS_SUB("ReplicationController")},
     true},
    {"",
     "v1",
     "resourcequotas",
     "resourcequota",
     "ResourceQuota",
     true,
     {"quota"},
     false,
     NULL,
     {STATUS_SUB("ResourceQuota")},
     true},
    {"", "v1", "secrets", "secret", "Secret", true, {0}, false, NULL, {{0}}, true},
    {"",
     "v1",
     "serviceaccounts",
     "serviceaccount",
     "ServiceAccount",
     true,
     {"sa"},
     false,
     NULL,
     {{"token", "TokenRequest", "authentication.k8s.io", "v1", "create"}},
     true},
    {"",
     "v1",
     "services",
     "service",
     "Service",
     true,
     {"svc"},
     true,
     "create delete deletecollection get list patch update watch",
     {{"proxy", "ServiceProxyOptions", NULL, NULL, "create delete get patch update"}, STATUS_SUB("Service")},
     true},
    /* apps/v1 */
    {"apps",
     "v1",
     "controllerrevisions",
     "controllerrevision",
     "ControllerRevision",
     true,
     {0},
     false,
     NULL,
     {{0}},
     true},
    {"apps",
     "v1",
     "daemonsets",
     "daemonset",
     "DaemonSet",
     true,
     {"ds"},
     true,
     NULL,
     {STATUS_SUB("DaemonSet")},
     true},
    {"apps",
     "v1",
     "deployments",
     "deployment",
     "Deployment",
     true,
     {"deploy"},
     true,
     NULL,
     {SCALE_SUB, STATUS_SUB("Deployment")},
     true},
    {"apps",
     "v1",
     "replicasets",
     "replicaset",
     "ReplicaSet",
     true,
     {"rs"},
     true,
     NULL,
     {SCALE_SUB, STATUS_SUB("ReplicaSet")},
     true},
    {"apps",
     "v1",
     "statefulsets",
     "statefulset",
     "StatefulSet",
     true,
     {"sts"},
     true,
     NULL,
     {SCALE_SUB, STATUS_SUB("StatefulSet")},
     true},
    /* autoscaling */
    {"autoscaling",
     "v2",
     "horizontalpodautoscalers",
     "horizontalpodautoscaler",
     "HorizontalPodAutoscaler",
     true,
     {"hpa"},
     true,
     NULL,
     {STATUS_SUB("HorizontalPodAutoscaler")},
     true},
    {"autoscaling",
     "v1",
     "horizontalpodautoscalers",
     "horizontalpodautoscaler",
     "HorizontalPodAutoscaler",
     true,
     {"hpa"},
     true,
     NULL,
     {STATUS_SUB("HorizontalPodAutoscaler")},
     false},
    /* batch/v1 */
    {"batch",
     "v1",
     "cronjobs",
     "cronjob",
     "CronJob",
     true,
     {"cj"},
     true,
     NULL,
     {STATUS_SUB("CronJob")},
     true},
    {"batch", "v1", "jobs", "job", "Job", true, {0}, true, NULL, {STATUS_SUB("Job")}, true},
    /* coordination.k8s.io/v1 */
    {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {0}, false, NULL, {{0}}, true},
    /* discovery.k8s.io/v1 */
    {"discovery.k8s.io",
     "v1",
     "endpointslices",
     "endpointslice",
     "EndpointSlice",
     true,
     {0},
     false,
     NULL,
     {{0}},
     true},
    /* events.k8s.io/v1 */
    {"events.k8s.io", "v1", "events", "event", "Event", true, {"ev"}, false, NULL, {{0}}, true},
    /* networking.k8s.io/v1 */
    {"networking.k8s.io",
     "v1",
     "ingressclasses",
     "ingressclass",
     "IngressClass",
     false,
     {0},
     false,
     NULL,
     {{0}},
     true},
    {"networking.k8s.io",
     "v1",
     "ingresses",
     "ingress",
     "Ingress",
     true,
     {"ing"},
     false,
     NULL,
     {STATUS_SUB("Ingress")},
     true},
    {"networking.k8s.io",
     "v1",
     "networkpolicies",
     "networkpolicy",
     "NetworkPolicy",
     true,
     {"netpol"},
     false,
     NULL,
     {{0}},
     true},
    /* policy/v1 */
    {"policy",
     "v1",
     "poddisruptionbudgets",
     "poddisruptionbudget",
     "PodDisruptionBudget",
     true,
     {"pdb"},
     false,
     NULL,
     {STATUS_SUB("PodDisruptionBudget")},
     true},
    /* rbac.authorization.k8s.io/v1 */
    {"rbac.authorization.k8s.io",
     "v1",
     "clusterrolebindings",
     "clusterrolebinding",
     "ClusterRoleBinding",
     false,
     {0},
     false,
     NULL,
     {{0}},
     true},
    {"rbac.authorization.k8s.io",
     "v1",
     "clusterroles",
     "clusterrole",
     "ClusterRole",
     false,
     {0},
     false,
     NULL,
     {{0}},
     true},
    {"rbac.authorization.k8s.io",
     "v1",
     "rolebindings",
     "rolebinding",
     "RoleBinding",
     true,
     {0},
     false,
     NULL,
     {{0}},
     true},
    {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {0}, false, NULL, {{0}}, true},
    /* scheduling.k8s.io/v1 */
    {"scheduling.k8s.io",
     "v1",
     "priorityclasses",
     "priorityclass",
     "PriorityClass",
     false,
     {"pc"},
     false,
     NULL,
     {{0}},
     true},
    /* storage.k8s.io/v1 */
    {"storage.k8s.io",
     "v1",
     "storageclasses",
     "storageclass",
     "StorageClass",
     false,
     {"sc"},
     false,
     NULL,
     {{0}},
     true},
};
const size_t api_resources_count = sizeof(api_resources) / sizeof(api_resources[0]);

/* Group order of Kubernetes' /apis answer; kubectl uses it to resolve ambiguous short names. */
const ApiGroup api_groups[] = {
    {"", {"v1"}},
    {"apps", {"v1"}},
    {"events.k8s.io", {"v1"}},
    {"autoscaling", {"v2", "v1"}},
    {"batch", {"v1"}},
    {"networking.k8s.io", {"v1"}},
    {"policy", {"v1"}},
    {"rbac.authorization.k8s.io", {"v1"}},
    {"storage.k8s.io", {"v1"}},
    {"scheduling.k8s.io", {"v1"}},
    {"coordination.k8s.io", {"v1"}},
    {"discovery.k8s.io", {"v1"}},
};
const size_t api_groups_count = sizeof(api_groups) / sizeof(api_groups[0]);

const ApiResource *api_resource_find(const char *group, const char *version, const char *resource) {
  for (size_t i = 0; i < api_resources_count; i++) {
    const ApiResource *r = &api_resources[i];
    if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0 &&
        strcmp(r->resource, resource) == 0)
      return r;
  }
  return NULL;
}

const ApiResource *api_resource_find_kind(const char *group, const char *version, const char *kind) {
  for (size_t i = 0; i < api_resources_count; i++) {
    const ApiResource *r = &api_resources[i];
    if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0 && strcmp(r->kind, kind) == 0)
      return r;
  }
  return NULL;
}

const ApiSubresource *api_subresource_find(const ApiResource *r, const char *name) {
  for (size_t i = 0; i < KIND_MAX_SUB && r->subresources[i].name; i++)
    if (strcmp(r->subresources[i].name, name) == 0)
      return &r->subresources[i];
  return NULL;
}

static bool word_in(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)); p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
      return true;
  return false;
}

bool api_resource_has_verb(const ApiResource *r, const char *verb) {
  return word_in(r->verbs ? r->verbs : api_standard_verbs, verb);
}

const char *api_resource_group_version(const ApiResource *r, char *buf, size_t size) {
  if (r->group[0])
    snprintf(buf, size, "%s/%s", r->group, r->version);
  else
    snprintf(buf, size, "%s", r->version);
  return buf;
}

const char *api_resource_storage_prefix(const ApiResource *r, char *buf, size_t size) {
  /* events.k8s.io Events are the core Events seen through another version (see convert.c). */
  if (r->group[0] && strcmp(r->resource, "events") != 0)
    snprintf(buf, size, "/registry/%s.%s/", r->resource, r->group);
  else
    snprintf(buf, size, "/registry/%s/", r->resource);
  return buf;
}

const char *api_resource_qualified_name(const ApiResource *r, char *buf, size_t size) {
  if (r->group[0])
    snprintf(buf, size, "%s.%s", r->resource, r->group);
  else
    snprintf(buf, size, "%s", r->resource);
  return buf;
}
