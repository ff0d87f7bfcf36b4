/* The registry of kinds that have a schema (the served kinds of kinds.c plus the objects of the scale and
 * eviction subresources, Scale and Eviction), lookups over the tables, and the names
 * derived from them: Go type names for decoding errors, OpenAPI component names, JSON kinds. */
#include "api/schema-internal.h"

#include <stdio.h>

const SchemaKind schema_kinds[] = {
    {"", "v1", "Binding", &schema_msg_binding, "Binding ties a pod to a node; the scheduler creates it."},
    {"", "v1", "ConfigMap", &schema_msg_config_map,
     "ConfigMap holds configuration data for pods to consume."},
    {"", "v1", "Endpoints", &schema_msg_endpoints,
     "Endpoints lists the addresses and ports that implement a service."},
    {"", "v1", "Event", &schema_msg_event, "Event reports something that happened to an object."},
    {"", "v1", "LimitRange", &schema_msg_limit_range,
     "LimitRange sets default, minimum and maximum resources for the pods and claims of a namespace."},
    {"", "v1", "Namespace", &schema_msg_namespace,
     "Namespace gives a scope to the names of namespaced objects."},
    {"", "v1", "Node", &schema_msg_node, "Node is a machine that runs pods."},
    {"", "v1", "PersistentVolumeClaim", &schema_msg_persistent_volume_claim,
     "PersistentVolumeClaim is a user's request for a persistent volume."},
    {"", "v1", "PersistentVolume", &schema_msg_persistent_volume,
     "PersistentVolume is a piece of storage provisioned for the cluster."},
    {"", "v1", "Pod", &schema_msg_pod, "Pod is a group of containers that run together on one node."},
    {"", "v1", "PodTemplate", &schema_msg_pod_template,
     "PodTemplate is a stored template for creating pods."},
    {"", "v1", "ReplicationController", &schema_msg_replication_controller,
     "ReplicationController keeps a given number of pods running; ReplicaSet supersedes it."},
    {"", "v1", "ResourceQuota", &schema_msg_resource_quota,
     "ResourceQuota limits the resources a namespace may consume."},
    {"", "v1", "Secret", &schema_msg_secret,
     "Secret holds sensitive data such as passwords, tokens or keys."},
    {"", "v1", "ServiceAccount", &schema_msg_service_account,
     "ServiceAccount is an identity for processes that run in pods."},
    {"", "v1", "Service", &schema_msg_service,
     "Service exposes a set of pods under one stable virtual IP address and DNS name."},
    {"apps", "v1", "ControllerRevision", &schema_msg_controller_revision,
     "ControllerRevision is an immutable snapshot of a workload's state, used for rollbacks."},
    {"apps", "v1", "DaemonSet", &schema_msg_daemon_set,
     "DaemonSet runs a copy of a pod on every eligible node."},
    {"apps", "v1", "Deployment", &schema_msg_deployment,
     "Deployment declares a replicated pod template and rolls out changes to it."},
    {"apps", "v1", "ReplicaSet", &schema_msg_replica_set,
     "ReplicaSet keeps a given number of identical pods running."},
    {"apps", "v1", "StatefulSet", &schema_msg_stateful_set,
     "StatefulSet runs pods with stable identities and storage, in order."},
    {"autoscaling", "v1", "HorizontalPodAutoscaler", &schema_msg_v1_horizontal_pod_autoscaler,
     "HorizontalPodAutoscaler scales a workload on its average CPU utilization."},
    {"autoscaling", "v1", "Scale", &schema_msg_scale, "Scale is the replica count of a scalable resource."},
    {"autoscaling", "v2", "HorizontalPodAutoscaler", &schema_msg_v2_horizontal_pod_autoscaler,
     "HorizontalPodAutoscaler scales a workload between bounds from observed metrics."},
    {"batch", "v1", "CronJob", &schema_msg_cron_job, "CronJob creates jobs on a schedule."},
    {"batch", "v1", "Job", &schema_msg_job, "Job runs pods until a number of them complete successfully."},
    {"coordination.k8s.io", "v1", "Lease", &schema_msg_lease,
     "Lease is a lock with an expiry, used for leader election and node heartbeats."},
    {"discovery.k8s.io", "v1", "EndpointSlice", &schema_msg_endpoint_slice,
     "EndpointSlice lists a subset of the endpoints of a service."},
    {"events.k8s.io", "v1", "Event", &schema_msg_events_event,
     "Event reports something that happened to an object."},
    {"networking.k8s.io", "v1", "IngressClass", &schema_msg_ingress_class,
     "IngressClass names the controller that implements a class of ingresses."},
    {"networking.k8s.io", "v1", "Ingress", &schema_msg_ingress,
     "Ingress routes external HTTP(S) traffic to services by host and path."},
    {"networking.k8s.io", "v1", "NetworkPolicy", &schema_msg_network_policy,
     "NetworkPolicy says which traffic may reach or leave a set of pods."},
    {"policy", "v1", "Eviction", &schema_msg_eviction,
     "Eviction asks for a pod to be removed, subject to disruption budgets."},
    {"policy", "v1", "PodDisruptionBudget", &schema_msg_pod_disruption_budget,
     "PodDisruptionBudget bounds how many pods of a set may be down at once by voluntary disruptions."},
    {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", &schema_msg_cluster_role_binding,
     "ClusterRoleBinding grants the permissions of a cluster role in every namespace."},
    {"rbac.authorization.k8s.io", "v1", "ClusterRole", &schema_msg_cluster_role,
     "ClusterRole is a set of permissions that applies cluster-wide or in any namespace."},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", &schema_msg_role_binding,
     "RoleBinding grants the permissions of a role within one namespace."},
    {"rbac.authorization.k8s.io", "v1", "Role", &schema_msg_role,
     "Role is a set of permissions within one namespace."},
    {"scheduling.k8s.io", "v1", "PriorityClass", &schema_msg_priority_class,
     "PriorityClass maps a priority class name to a scheduling priority."},
    {"storage.k8s.io", "v1", "StorageClass", &schema_msg_storage_class,
     "StorageClass describes a kind of storage that can be provisioned dynamically."},
};
const size_t schema_kinds_count = ELEMENTSOF(schema_kinds);

const SchemaKind *schema_kind_find(const char *group, const char *version, const char *kind) {
  if (!group || !version || !kind)
    return NULL;
  for (size_t i = 0; i < schema_kinds_count; i++)
    if (streq(schema_kinds[i].kind, kind) && streq(schema_kinds[i].version, version) &&
        streq(schema_kinds[i].group, group))
      return &schema_kinds[i];
  return NULL;
}

const SchemaMessage *schema_for_kind(const char *group, const char *version, const char *kind) {
  const SchemaKind *k = schema_kind_find(group, version, kind);
  return k ? k->message : NULL;
}

const SchemaKind *schema_kind_of(const SchemaMessage *m) {
  for (size_t i = 0; i < schema_kinds_count; i++)
    if (schema_kinds[i].message == m)
      return &schema_kinds[i];
  return NULL;
}

const SchemaField *schema_field_find(const SchemaMessage *m, const char *json) {
  /* Structs embed at most a level or two inline (EphemeralContainer, IngressRule); the recursion is bounded
   * by the tables, which have no cycles. */
  for (size_t i = 0; i < m->n_fields; i++) {
    const SchemaField *f = &m->fields[i];
    if (f->flags & SCHEMA_INLINE) {
      const SchemaField *hit = schema_field_find(f->message, json);
      if (hit)
        return hit;
    } else if (streq(f->json, json))
      return f;
  }
  return NULL;
}

const SchemaField *schema_field_at(const SchemaMessage *m, const char *path) {
  const SchemaField *f = NULL;
  char name[256];

  for (const char *p = path; m && *p;) {
    size_t n = strcspn(p, ".");
    if (n == 0 || n >= sizeof name)
      return NULL;
    memcpy(name, p, n);
    name[n] = 0;
    f = schema_field_find(m, name);
    if (!f)
      return NULL;
    p += n;
    if (*p == '.') {
      p++;
      if (f->type != SCHEMA_MESSAGE || !*p)
        return NULL; /* nothing below a scalar or a map of scalars */
    }
    m = f->type == SCHEMA_MESSAGE ? f->message : NULL;
  }
  return f;
}

const SchemaField *schema_field_by_number(const SchemaMessage *m, uint32_t number) {
  for (size_t i = 0; i < m->n_fields; i++)
    if (m->fields[i].number == number)
      return &m->fields[i];
  return NULL;
}

static SchemaJsonKind json_kind_of_type(SchemaType t) {
  switch (t) {
  case SCHEMA_STRING:
    return SCHEMA_JSON_STRING;
  case SCHEMA_BYTES:
    return SCHEMA_JSON_BYTES;
  case SCHEMA_BOOL:
    return SCHEMA_JSON_BOOLEAN;
  case SCHEMA_INT32:
    return SCHEMA_JSON_INT32;
  case SCHEMA_INT64:
    return SCHEMA_JSON_INT64;
  case SCHEMA_DOUBLE:
    return SCHEMA_JSON_NUMBER;
  case SCHEMA_MESSAGE:
    return SCHEMA_JSON_OBJECT;
  case SCHEMA_MAP:
    return SCHEMA_JSON_MAP;
  case SCHEMA_TIME:
  case SCHEMA_MICRO_TIME:
    return SCHEMA_JSON_DATE_TIME;
  case SCHEMA_DURATION:
    return SCHEMA_JSON_DURATION;
  case SCHEMA_QUANTITY:
    return SCHEMA_JSON_QUANTITY;
  case SCHEMA_INT_OR_STRING:
    return SCHEMA_JSON_INT_OR_STRING;
  case SCHEMA_RAW_EXTENSION:
    return SCHEMA_JSON_RAW;
  default:
    return _SCHEMA_JSON_KIND_INVALID;
  }
}

SchemaJsonKind schema_field_element_json_kind(const SchemaField *f) {
  return json_kind_of_type((SchemaType)f->type);
}

SchemaJsonKind schema_field_json_kind(const SchemaField *f) {
  if (f->flags & SCHEMA_REPEATED)
    return SCHEMA_JSON_ARRAY;
  return schema_field_element_json_kind(f);
}

/* The Go alias of a package is the last element of its path, which is the last dotted component of the
 * OpenAPI prefix: "io.k8s.api.autoscaling.v2" -> "v2", "...apis.meta.v1" -> "v1". */
static const char *package_alias(const SchemaMessage *m) {
  const char *dot = strrchr(m->package, '.');
  return dot ? dot + 1 : m->package;
}

static const char *scalar_go_type(SchemaType t) {
  switch (t) {
  case SCHEMA_STRING:
    return "string";
  case SCHEMA_BYTES:
    return "[]uint8";
  case SCHEMA_BOOL:
    return "bool";
  case SCHEMA_INT32:
    return "int32";
  case SCHEMA_INT64:
    return "int64";
  case SCHEMA_DOUBLE:
    return "float64";
  case SCHEMA_TIME:
    return "v1.Time";
  case SCHEMA_MICRO_TIME:
    return "v1.MicroTime";
  case SCHEMA_DURATION:
    return "v1.Duration";
  case SCHEMA_QUANTITY:
    return "resource.Quantity";
  case SCHEMA_INT_OR_STRING:
    return "intstr.IntOrString";
  case SCHEMA_RAW_EXTENSION:
    return "runtime.RawExtension";
  default:
    return "interface {}";
  }
}

const char *schema_field_go_type(const SchemaField *f, bool element, char *buf, size_t size) {
  const char *list = (f->flags & SCHEMA_REPEATED) && !element ? "[]" : "";

  if (f->type == SCHEMA_MESSAGE)
    snprintf(buf, size, "%s%s.%s", list, package_alias(f->message), f->message->name);
  else if (f->type == SCHEMA_MAP) {
    if (f->named)
      snprintf(buf, size, "%s", f->named->go_type);
    else
      snprintf(buf, size, "map[string]%s", scalar_go_type((SchemaType)f->value));
  } else
    snprintf(buf, size, "%s%s", list, f->named ? f->named->go_type : scalar_go_type((SchemaType)f->type));
  return buf;
}

char *schema_openapi_name(const SchemaMessage *m) {
  return xasprintf("%s.%s", m->package, m->name);
}

static const char *const schema_type_table[_SCHEMA_TYPE_MAX] = {
    [SCHEMA_STRING] = "string",
    [SCHEMA_BYTES] = "bytes",
    [SCHEMA_BOOL] = "bool",
    [SCHEMA_INT32] = "int32",
    [SCHEMA_INT64] = "int64",
    [SCHEMA_DOUBLE] = "double",
    [SCHEMA_MESSAGE] = "message",
    [SCHEMA_MAP] = "map",
    [SCHEMA_TIME] = "Time",
    [SCHEMA_MICRO_TIME] = "MicroTime",
    [SCHEMA_DURATION] = "Duration",
    [SCHEMA_QUANTITY] = "Quantity",
    [SCHEMA_INT_OR_STRING] = "IntOrString",
    [SCHEMA_RAW_EXTENSION] = "RawExtension",
};

const char *schema_type_to_string(SchemaType t) {
  if (t < 0 || t >= _SCHEMA_TYPE_MAX)
    return NULL;
  return schema_type_table[t];
}

static const char *const schema_json_kind_table[_SCHEMA_JSON_KIND_MAX] = {
    [SCHEMA_JSON_STRING] = "string",
    [SCHEMA_JSON_BYTES] = "bytes",
    [SCHEMA_JSON_INT32] = "int32",
    [SCHEMA_JSON_INT64] = "int64",
    [SCHEMA_JSON_NUMBER] = "number",
    [SCHEMA_JSON_BOOLEAN] = "boolean",
    [SCHEMA_JSON_OBJECT] = "object",
    [SCHEMA_JSON_ARRAY] = "array",
    [SCHEMA_JSON_MAP] = "map",
    [SCHEMA_JSON_QUANTITY] = "quantity",
    [SCHEMA_JSON_INT_OR_STRING] = "int-or-string",
    [SCHEMA_JSON_DATE_TIME] = "date-time",
    [SCHEMA_JSON_DURATION] = "duration",
    [SCHEMA_JSON_RAW] = "raw",
};

const char *schema_json_kind_to_string(SchemaJsonKind k) {
  if (k < 0 || k >= _SCHEMA_JSON_KIND_MAX)
    return NULL;
  return schema_json_kind_table[k];
}
