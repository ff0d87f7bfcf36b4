/* The strategic-merge-patch metadata of the built-in kinds: which lists merge item by item (and on which
 * key), which primitive lists behave as sets, which maps clear unlisted keys (retainKeys) and which maps
 * are replaced whole. These are facts of the Kubernetes API (the patchStrategy/patchMergeKey tags of the
 * k8s.io/api v1.32 types), written here as a tree: shared structures (ObjectMeta, PodSpec, Container) are
 * spelled once and hung under every prefix that embeds them (a Deployment's spec.template, a CronJob's
 * spec.jobTemplate.spec.template, a Pod's spec). A list or map that appears nowhere in this file has no
 * strategy: lists are replaced atomically and maps merge key by key. */
#include "api/patch.h"

enum {
  PM_MERGE = 1u << 0,   /* patchStrategy "merge" */
  PM_RETAIN = 1u << 1,  /* patchStrategy "retainKeys" */
  PM_REPLACE = 1u << 2, /* patchStrategy "replace" (maps only) */
};

/* One node of the tree. path is dotted and relative to the parent node; a node with flags describes the
 * field itself, a node with children is a prefix under which the children's paths continue (a node may be
 * both: containers merge by name and hold the container fields). Arrays end with a zeroed entry. */
typedef struct PatchField {
  const char *path;
  const char *merge_key;
  unsigned flags;
  const struct PatchField *children;
} PatchField;

typedef struct PatchKind {
  const char *group;
  const char *kind;
  const PatchField *fields;
} PatchKind;

/* metav1.ObjectMeta */
static const PatchField object_meta[] = {
    {"ownerReferences", "uid", PM_MERGE, NULL},
    {"finalizers", NULL, PM_MERGE, NULL},
    {0},
};

/* core/v1 Container, and EphemeralContainerCommon which repeats the same tags. resizePolicy, envFrom,
 * command and args carry no strategy and stay atomic. */
static const PatchField container[] = {
    {"ports", "containerPort", PM_MERGE, NULL},
    {"env", "name", PM_MERGE, NULL},
    {"volumeMounts", "mountPath", PM_MERGE, NULL},
    {"volumeDevices", "devicePath", PM_MERGE, NULL},
    {0},
};

/* core/v1 PodSpec. tolerations, readinessGates and dnsConfig lists have no strategy (atomic). */
static const PatchField pod_spec[] = {
    {"containers", "name", PM_MERGE, container},
    {"initContainers", "name", PM_MERGE, container},
    {"ephemeralContainers", "name", PM_MERGE, container},
    {"volumes", "name", PM_MERGE | PM_RETAIN, NULL},
    {"imagePullSecrets", "name", PM_MERGE, NULL},
    {"hostAliases", "ip", PM_MERGE, NULL},
    {"topologySpreadConstraints", "topologyKey", PM_MERGE, NULL},
    {"schedulingGates", "name", PM_MERGE, NULL},
    {"resourceClaims", "name", PM_MERGE | PM_RETAIN, NULL},
    {0},
};

/* core/v1 PodStatus. The container status lists themselves are atomic, so the tags inside
 * ContainerStatus (volumeMounts, allocatedResourcesStatus) never come into play. */
static const PatchField pod_status[] = {
    {"conditions", "type", PM_MERGE, NULL},
    {"hostIPs", "ip", PM_MERGE, NULL},
    {"podIPs", "ip", PM_MERGE, NULL},
    {"resourceClaimStatuses", "name", PM_MERGE | PM_RETAIN, NULL},
    {0},
};

/* core/v1 PodTemplateSpec */
static const PatchField pod_template[] = {
    {"metadata", NULL, 0, object_meta},
    {"spec", NULL, 0, pod_spec},
    {0},
};

/* admissionregistration/v1 ValidatingWebhook and MutatingWebhook */
static const PatchField webhook[] = {
    {"matchConditions", "name", PM_MERGE, NULL},
    {0},
};

#define META                                                                                                 \
  { "metadata", NULL, 0, object_meta }
#define STATUS_CONDITIONS                                                                                    \
  { "status.conditions", "type", PM_MERGE, NULL }
#define TEMPLATE                                                                                             \
  { "spec.template", NULL, 0, pod_template }

static const PatchField meta_only[] = {META, {0}};
static const PatchField meta_status_conditions[] = {META, STATUS_CONDITIONS, {0}};
/* ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController: a pod template and typed conditions.
 * StatefulSet's volumeClaimTemplates and the DaemonSet/StatefulSet updateStrategy have no tag. */
static const PatchField workload[] = {META, TEMPLATE, STATUS_CONDITIONS, {0}};

static const PatchField pod[] = {
    META,
    {"spec", NULL, 0, pod_spec},
    {"status", NULL, 0, pod_status},
    {0},
};
static const PatchField pod_template_kind[] = {META, {"template", NULL, 0, pod_template}, {0}};
static const PatchField service[] = {META, {"spec.ports", "port", PM_MERGE, NULL}, STATUS_CONDITIONS, {0}};
static const PatchField node[] = {
    META,
    {"spec.podCIDRs", NULL, PM_MERGE, NULL},
    {"status.conditions", "type", PM_MERGE, NULL},
    {"status.addresses", "type", PM_MERGE, NULL},
    {0},
};
static const PatchField service_account[] = {META, {"secrets", "name", PM_MERGE, NULL}, {0}};
static const PatchField component_status[] = {META, {"conditions", "type", PM_MERGE, NULL}, {0}};
static const PatchField deployment[] = {
    META, {"spec.strategy", NULL, PM_RETAIN, NULL}, TEMPLATE, STATUS_CONDITIONS, {0},
};
static const PatchField cron_job[] = {
    META,
    {"spec.jobTemplate.metadata", NULL, 0, object_meta},
    {"spec.jobTemplate.spec.template", NULL, 0, pod_template},
    {0},
};
static const PatchField pod_disruption_budget[] = {
    META,
    {"spec.selector", NULL, PM_REPLACE, NULL},
    STATUS_CONDITIONS,
    {0},
};
static const PatchField webhook_configuration[] = {META, {"webhooks", "name", PM_MERGE, webhook}, {0}};
static const PatchField admission_policy[] = {
    META,
    {"spec.matchConditions", "name", PM_MERGE, NULL},
    {"spec.variables", "name", PM_MERGE, NULL},
    {0},
};
static const PatchField csi_node[] = {META, {"spec.drivers", "name", PM_MERGE, NULL}, {0}};
static const PatchField resource_claim[] = {META, {"status.reservedFor", "uid", PM_MERGE, NULL}, {0}};

static const PatchKind patch_kinds[] = {
    {"", "Pod", pod},
    {"", "PodTemplate", pod_template_kind},
    {"", "ReplicationController", workload},
    {"", "Service", service},
    {"", "Node", node},
    {"", "Namespace", meta_status_conditions},
    {"", "PersistentVolumeClaim", meta_status_conditions},
    {"", "ServiceAccount", service_account},
    {"", "ComponentStatus", component_status},
    {"", "ConfigMap", meta_only},
    {"", "Secret", meta_only},
    {"", "Endpoints", meta_only},
    {"", "Event", meta_only},
    {"", "PersistentVolume", meta_only},
    {"", "LimitRange", meta_only},
    {"", "ResourceQuota", meta_only},
    {"", "Binding", meta_only},
    {"apps", "Deployment", deployment},
    {"apps", "ReplicaSet", workload},
    {"apps", "StatefulSet", workload},
    {"apps", "DaemonSet", workload},
    {"apps", "ControllerRevision", meta_only},
    {"batch", "Job", workload},
    {"batch", "CronJob", cron_job},
    {"autoscaling", "HorizontalPodAutoscaler", meta_status_conditions},
    {"autoscaling", "Scale", meta_only},
    {"policy", "PodDisruptionBudget", pod_disruption_budget},
    {"policy", "Eviction", meta_only},
    {"networking.k8s.io", "Ingress", meta_only},
    {"networking.k8s.io", "IngressClass", meta_only},
    {"networking.k8s.io", "NetworkPolicy", meta_only},
    {"networking.k8s.io", "ServiceCIDR", meta_status_conditions},
    {"networking.k8s.io", "IPAddress", meta_only},
    {"discovery.k8s.io", "EndpointSlice", meta_only},
    {"events.k8s.io", "Event", meta_only},
    {"coordination.k8s.io", "Lease", meta_only},
    {"rbac.authorization.k8s.io", "Role", meta_only},
    {"rbac.authorization.k8s.io", "ClusterRole", meta_only},
    {"rbac.authorization.k8s.io", "RoleBinding", meta_only},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", meta_only},
    {"scheduling.k8s.io", "PriorityClass", meta_only},
    {"storage.k8s.io", "StorageClass", meta_only},
    {"storage.k8s.io", "CSIDriver", meta_only},
    {"storage.k8s.io", "CSINode", csi_node},
    {"storage.k8s.io", "VolumeAttachment", meta_only},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", webhook_configuration},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration", webhook_configuration},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy", admission_policy},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", meta_only},
    {"flowcontrol.apiserver.k8s.io", "FlowSchema", meta_status_conditions},
    {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", meta_status_conditions},
    {"resource.k8s.io", "ResourceClaim", resource_claim},
    {"apiextensions.k8s.io", "CustomResourceDefinition", meta_only},
};

/* Walks the tree. Several nodes may share a first component ("spec" for the pod spec and "spec.ports"), so
 * every node whose path is path itself or a dotted prefix of it is tried in turn. */
static const PatchField *field_find(const PatchField *fields, const char *path, int depth) {
  if (!fields || depth > 16)
    return NULL;
  for (const PatchField *f = fields; f->path; f++) {
    size_t n = strlen(f->path);
    if (strncmp(path, f->path, n) != 0)
      continue;
    if (path[n] == '\0') {
      if (f->flags)
        return f;
    } else if (path[n] == '.' && f->children) {
      const PatchField *hit = field_find(f->children, path + n + 1, depth + 1);
      if (hit)
        return hit;
    }
  }
  return NULL;
}

bool patch_meta_lookup(const char *group, const char *kind, const char *path, PatchMeta *ret) {
  if (!kind || !path)
    return false;
  if (!group)
    group = "";
  for (size_t i = 0; i < ELEMENTSOF(patch_kinds); i++) {
    const PatchKind *k = &patch_kinds[i];
    if (!streq(k->kind, kind) || !streq(k->group, group))
      continue;
    const PatchField *f = field_find(k->fields, path, 0);
    if (!f)
      return false;
    if (ret)
      *ret = (PatchMeta){
          .merge_key = f->merge_key,
          .merge = f->flags & PM_MERGE,
          .retain_keys = f->flags & PM_RETAIN,
          .replace = f->flags & PM_REPLACE,
      };
    return true;
  }
  return false;
}
