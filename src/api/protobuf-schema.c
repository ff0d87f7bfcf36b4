/* Message tables for ObjectMeta and the other meta/v1 pieces, and for every kind kubectl's generators
 * send as protobuf (`kubectl create namespace|configmap|secret|serviceaccount|service|deployment|job|
 * cronjob|role|rolebinding|clusterrole|clusterrolebinding|quota|priorityclass|poddisruptionbudget|ingress`
 * and `kubectl autoscale`), plus the registry that maps an envelope's apiVersion/kind to its table. Each
 * kind is covered with its whole closure (status included) so that nothing a client writes is silently
 * dropped. Field numbers, JSON names and pointer-ness were taken from the release-1.33 generated.proto and
 * types.go of k8s.io/api and k8s.io/apimachinery (1.32 plus one status field, marked). The pod template
 * lives in protobuf-schema-pod.c. */
#include "api/protobuf-internal.h"

/* ---- meta/v1 (k8s.io/apimachinery/pkg/apis/meta/v1) ---- */

static const PbField pb_owner_reference_fields[] = {
    PB_FIELD(1, "kind", STRING),        PB_FIELD(3, "name", STRING),
    PB_FIELD(4, "uid", STRING),         PB_FIELD(5, "apiVersion", STRING),
    PB_OPTIONAL(6, "controller", BOOL), PB_OPTIONAL(7, "blockOwnerDeletion", BOOL),
};
static const PbMessage pb_owner_reference = PB_MESSAGE_DEF("OwnerReference", pb_owner_reference_fields);

static const PbField pb_managed_fields_entry_fields[] = {
    PB_FIELD(1, "manager", STRING),     PB_FIELD(2, "operation", STRING),
    PB_FIELD(3, "apiVersion", STRING),  PB_OPTIONAL(4, "time", TIME),
    PB_FIELD(6, "fieldsType", STRING),  PB_OPTIONAL(7, "fieldsV1", RAW_EXTENSION),
    PB_FIELD(8, "subresource", STRING),
};
static const PbMessage pb_managed_fields_entry =
    PB_MESSAGE_DEF("ManagedFieldsEntry", pb_managed_fields_entry_fields);

static const PbField pb_object_meta_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "generateName", STRING),
    PB_FIELD(3, "namespace", STRING),
    PB_FIELD(4, "selfLink", STRING),
    PB_FIELD(5, "uid", STRING),
    PB_FIELD(6, "resourceVersion", STRING),
    PB_FIELD(7, "generation", INT64),
    PB_FIELD(8, "creationTimestamp", TIME),
    PB_OPTIONAL(9, "deletionTimestamp", TIME),
    PB_OPTIONAL(10, "deletionGracePeriodSeconds", INT64),
    PB_MAP_OF(11, "labels", STRING),
    PB_MAP_OF(12, "annotations", STRING),
    PB_OBJECT_LIST(13, "ownerReferences", pb_owner_reference),
    PB_LIST(14, "finalizers", STRING),
    PB_OBJECT_LIST(17, "managedFields", pb_managed_fields_entry),
};
const PbMessage k8s_protobuf_object_meta = PB_MESSAGE_DEF("ObjectMeta", pb_object_meta_fields);

static const PbField pb_condition_fields[] = {
    PB_FIELD(1, "type", STRING),
    PB_FIELD(2, "status", STRING),
    PB_FIELD(3, "observedGeneration", INT64),
    PB_FIELD(4, "lastTransitionTime", TIME),
    PB_FIELD(5, "reason", STRING),
    PB_FIELD(6, "message", STRING),
};
static const PbMessage pb_condition = PB_MESSAGE_DEF("Condition", pb_condition_fields);

static const PbField pb_label_selector_requirement_fields[] = {
    PB_FIELD(1, "key", STRING),
    PB_FIELD(2, "operator", STRING),
    PB_LIST(3, "values", STRING),
};
static const PbMessage pb_label_selector_requirement =
    PB_MESSAGE_DEF("LabelSelectorRequirement", pb_label_selector_requirement_fields);

static const PbField pb_label_selector_fields[] = {
    PB_MAP_OF(1, "matchLabels", STRING),
    PB_OBJECT_LIST(2, "matchExpressions", pb_label_selector_requirement),
};
const PbMessage k8s_protobuf_label_selector = PB_MESSAGE_DEF("LabelSelector", pb_label_selector_fields);

/* ---- core/v1 ---- */

static const PbField pb_namespace_spec_fields[] = {
    PB_LIST(1, "finalizers", STRING),
};
static const PbMessage pb_namespace_spec = PB_MESSAGE_DEF("NamespaceSpec", pb_namespace_spec_fields);

static const PbField pb_namespace_condition_fields[] = {
    PB_FIELD(1, "type", STRING),   PB_FIELD(2, "status", STRING),  PB_FIELD(4, "lastTransitionTime", TIME),
    PB_FIELD(5, "reason", STRING), PB_FIELD(6, "message", STRING),
};
static const PbMessage pb_namespace_condition =
    PB_MESSAGE_DEF("NamespaceCondition", pb_namespace_condition_fields);

static const PbField pb_namespace_status_fields[] = {
    PB_FIELD(1, "phase", STRING),
    PB_OBJECT_LIST(2, "conditions", pb_namespace_condition),
};
static const PbMessage pb_namespace_status = PB_MESSAGE_DEF("NamespaceStatus", pb_namespace_status_fields);

static const PbField pb_namespace_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_namespace_spec),
    PB_OBJECT(3, "status", pb_namespace_status),
};
static const PbMessage pb_namespace = PB_MESSAGE_DEF("Namespace", pb_namespace_fields);

static const PbField pb_config_map_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_MAP_OF(2, "data", STRING),
    PB_MAP_OF(3, "binaryData", BYTES),
    PB_OPTIONAL(4, "immutable", BOOL),
};
static const PbMessage pb_config_map = PB_MESSAGE_DEF("ConfigMap", pb_config_map_fields);

static const PbField pb_secret_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_MAP_OF(2, "data", BYTES),
    PB_FIELD(3, "type", STRING),
    PB_MAP_OF(4, "stringData", STRING),
    PB_OPTIONAL(5, "immutable", BOOL),
};
static const PbMessage pb_secret = PB_MESSAGE_DEF("Secret", pb_secret_fields);

static const PbField pb_object_reference_fields[] = {
    PB_FIELD(1, "kind", STRING),       PB_FIELD(2, "namespace", STRING),
    PB_FIELD(3, "name", STRING),       PB_FIELD(4, "uid", STRING),
    PB_FIELD(5, "apiVersion", STRING), PB_FIELD(6, "resourceVersion", STRING),
    PB_FIELD(7, "fieldPath", STRING),
};
static const PbMessage pb_object_reference = PB_MESSAGE_DEF("ObjectReference", pb_object_reference_fields);

static const PbField pb_service_account_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT_LIST(2, "secrets", pb_object_reference),
    PB_OBJECT_LIST(3, "imagePullSecrets", k8s_protobuf_local_object_reference),
    PB_OPTIONAL(4, "automountServiceAccountToken", BOOL),
};
static const PbMessage pb_service_account = PB_MESSAGE_DEF("ServiceAccount", pb_service_account_fields);

static const PbField pb_service_port_fields[] = {
    PB_FIELD(1, "name", STRING),    PB_FIELD(2, "protocol", STRING),
    PB_FIELD(3, "port", INT32),     PB_FIELD(4, "targetPort", INT_OR_STRING),
    PB_FIELD(5, "nodePort", INT32), PB_OPTIONAL(6, "appProtocol", STRING),
};
static const PbMessage pb_service_port = PB_MESSAGE_DEF("ServicePort", pb_service_port_fields);

static const PbField pb_client_ip_config_fields[] = {
    PB_OPTIONAL(1, "timeoutSeconds", INT32),
};
static const PbMessage pb_client_ip_config = PB_MESSAGE_DEF("ClientIPConfig", pb_client_ip_config_fields);

static const PbField pb_session_affinity_config_fields[] = {
    PB_OBJECT(1, "clientIP", pb_client_ip_config),
};
static const PbMessage pb_session_affinity_config =
    PB_MESSAGE_DEF("SessionAffinityConfig", pb_session_affinity_config_fields);

static const PbField pb_service_spec_fields[] = {
    PB_OBJECT_LIST(1, "ports", pb_service_port),
    PB_MAP_OF(2, "selector", STRING),
    PB_FIELD(3, "clusterIP", STRING),
    PB_FIELD(4, "type", STRING),
    PB_LIST(5, "externalIPs", STRING),
    PB_FIELD(7, "sessionAffinity", STRING),
    PB_FIELD(8, "loadBalancerIP", STRING),
    PB_LIST(9, "loadBalancerSourceRanges", STRING),
    PB_FIELD(10, "externalName", STRING),
    PB_FIELD(11, "externalTrafficPolicy", STRING),
    PB_FIELD(12, "healthCheckNodePort", INT32),
    PB_FIELD(13, "publishNotReadyAddresses", BOOL),
    PB_OBJECT(14, "sessionAffinityConfig", pb_session_affinity_config),
    PB_OPTIONAL(17, "ipFamilyPolicy", STRING),
    PB_LIST(18, "clusterIPs", STRING),
    PB_LIST(19, "ipFamilies", STRING),
    PB_OPTIONAL(20, "allocateLoadBalancerNodePorts", BOOL),
    PB_OPTIONAL(21, "loadBalancerClass", STRING),
    PB_OPTIONAL(22, "internalTrafficPolicy", STRING),
    PB_OPTIONAL(23, "trafficDistribution", STRING),
};
static const PbMessage pb_service_spec = PB_MESSAGE_DEF("ServiceSpec", pb_service_spec_fields);

static const PbField pb_port_status_fields[] = {
    PB_FIELD(1, "port", INT32),
    PB_FIELD(2, "protocol", STRING),
    PB_OPTIONAL(3, "error", STRING),
};
static const PbMessage pb_port_status = PB_MESSAGE_DEF("PortStatus", pb_port_status_fields);

static const PbField pb_load_balancer_ingress_fields[] = {
    PB_FIELD(1, "ip", STRING),
    PB_FIELD(2, "hostname", STRING),
    PB_OPTIONAL(3, "ipMode", STRING),
    PB_OBJECT_LIST(4, "ports", pb_port_status),
};
static const PbMessage pb_load_balancer_ingress =
    PB_MESSAGE_DEF("LoadBalancerIngress", pb_load_balancer_ingress_fields);

static const PbField pb_load_balancer_status_fields[] = {
    PB_OBJECT_LIST(1, "ingress", pb_load_balancer_ingress),
};
static const PbMessage pb_load_balancer_status =
    PB_MESSAGE_DEF("LoadBalancerStatus", pb_load_balancer_status_fields);

static const PbField pb_service_status_fields[] = {
    PB_OBJECT(1, "loadBalancer", pb_load_balancer_status),
    PB_OBJECT_LIST(2, "conditions", pb_condition),
};
static const PbMessage pb_service_status = PB_MESSAGE_DEF("ServiceStatus", pb_service_status_fields);

static const PbField pb_service_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_service_spec),
    PB_OBJECT(3, "status", pb_service_status),
};
static const PbMessage pb_service = PB_MESSAGE_DEF("Service", pb_service_fields);

static const PbField pb_scoped_resource_selector_requirement_fields[] = {
    PB_FIELD(1, "scopeName", STRING),
    PB_FIELD(2, "operator", STRING),
    PB_LIST(3, "values", STRING),
};
static const PbMessage pb_scoped_resource_selector_requirement =
    PB_MESSAGE_DEF("ScopedResourceSelectorRequirement", pb_scoped_resource_selector_requirement_fields);

static const PbField pb_scope_selector_fields[] = {
    PB_OBJECT_LIST(1, "matchExpressions", pb_scoped_resource_selector_requirement),
};
static const PbMessage pb_scope_selector = PB_MESSAGE_DEF("ScopeSelector", pb_scope_selector_fields);

static const PbField pb_resource_quota_spec_fields[] = {
    PB_MAP_OF(1, "hard", QUANTITY),
    PB_LIST(2, "scopes", STRING),
    PB_OBJECT(3, "scopeSelector", pb_scope_selector),
};
static const PbMessage pb_resource_quota_spec =
    PB_MESSAGE_DEF("ResourceQuotaSpec", pb_resource_quota_spec_fields);

static const PbField pb_resource_quota_status_fields[] = {
    PB_MAP_OF(1, "hard", QUANTITY),
    PB_MAP_OF(2, "used", QUANTITY),
};
static const PbMessage pb_resource_quota_status =
    PB_MESSAGE_DEF("ResourceQuotaStatus", pb_resource_quota_status_fields);

static const PbField pb_resource_quota_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_resource_quota_spec),
    PB_OBJECT(3, "status", pb_resource_quota_status),
};
static const PbMessage pb_resource_quota = PB_MESSAGE_DEF("ResourceQuota", pb_resource_quota_fields);

/* ---- apps/v1 ---- */

static const PbField pb_rolling_update_deployment_fields[] = {
    PB_OPTIONAL(1, "maxUnavailable", INT_OR_STRING),
    PB_OPTIONAL(2, "maxSurge", INT_OR_STRING),
};
static const PbMessage pb_rolling_update_deployment =
    PB_MESSAGE_DEF("RollingUpdateDeployment", pb_rolling_update_deployment_fields);

static const PbField pb_deployment_strategy_fields[] = {
    PB_FIELD(1, "type", STRING),
    PB_OBJECT(2, "rollingUpdate", pb_rolling_update_deployment),
};
static const PbMessage pb_deployment_strategy =
    PB_MESSAGE_DEF("DeploymentStrategy", pb_deployment_strategy_fields);

static const PbField pb_deployment_spec_fields[] = {
    PB_OPTIONAL(1, "replicas", INT32),
    PB_OBJECT(2, "selector", k8s_protobuf_label_selector),
    PB_OBJECT(3, "template", k8s_protobuf_pod_template_spec),
    PB_OBJECT(4, "strategy", pb_deployment_strategy),
    PB_FIELD(5, "minReadySeconds", INT32),
    PB_OPTIONAL(6, "revisionHistoryLimit", INT32),
    PB_FIELD(7, "paused", BOOL),
    PB_OPTIONAL(9, "progressDeadlineSeconds", INT32),
};
static const PbMessage pb_deployment_spec = PB_MESSAGE_DEF("DeploymentSpec", pb_deployment_spec_fields);

static const PbField pb_deployment_condition_fields[] = {
    PB_FIELD(1, "type", STRING),         PB_FIELD(2, "status", STRING),
    PB_FIELD(4, "reason", STRING),       PB_FIELD(5, "message", STRING),
    PB_FIELD(6, "lastUpdateTime", TIME), PB_FIELD(7, "lastTransitionTime", TIME),
};
static const PbMessage pb_deployment_condition =
    PB_MESSAGE_DEF("DeploymentCondition", pb_deployment_condition_fields);

static const PbField pb_deployment_status_fields[] = {
    PB_FIELD(1, "observedGeneration", INT64),     PB_FIELD(2, "replicas", INT32),
    PB_FIELD(3, "updatedReplicas", INT32),        PB_FIELD(4, "availableReplicas", INT32),
    PB_FIELD(5, "unavailableReplicas", INT32),    PB_OBJECT_LIST(6, "conditions", pb_deployment_condition),
    PB_FIELD(7, "readyReplicas", INT32),          PB_OPTIONAL(8, "collisionCount", INT32),
    PB_OPTIONAL(9, "terminatingReplicas", INT32), /* 1.33 */
};
static const PbMessage pb_deployment_status = PB_MESSAGE_DEF("DeploymentStatus", pb_deployment_status_fields);

static const PbField pb_deployment_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_deployment_spec),
    PB_OBJECT(3, "status", pb_deployment_status),
};
static const PbMessage pb_deployment = PB_MESSAGE_DEF("Deployment", pb_deployment_fields);

/* ---- batch/v1 ---- */

static const PbField pb_pod_failure_policy_on_exit_codes_requirement_fields[] = {
    PB_OPTIONAL(1, "containerName", STRING),
    PB_FIELD(2, "operator", STRING),
    PB_LIST(3, "values", INT32),
};
static const PbMessage pb_pod_failure_policy_on_exit_codes_requirement = PB_MESSAGE_DEF(
    "PodFailurePolicyOnExitCodesRequirement", pb_pod_failure_policy_on_exit_codes_requirement_fields);

static const PbField pb_pod_failure_policy_on_pod_conditions_pattern_fields[] = {
    PB_FIELD(1, "type", STRING),
    PB_FIELD(2, "status", STRING),
};
static const PbMessage pb_pod_failure_policy_on_pod_conditions_pattern = PB_MESSAGE_DEF(
    "PodFailurePolicyOnPodConditionsPattern", pb_pod_failure_policy_on_pod_conditions_pattern_fields);

static const PbField pb_pod_failure_policy_rule_fields[] = {
    PB_FIELD(1, "action", STRING),
    PB_OBJECT(2, "onExitCodes", pb_pod_failure_policy_on_exit_codes_requirement),
    PB_OBJECT_LIST(3, "onPodConditions", pb_pod_failure_policy_on_pod_conditions_pattern),
};
static const PbMessage pb_pod_failure_policy_rule =
    PB_MESSAGE_DEF("PodFailurePolicyRule", pb_pod_failure_policy_rule_fields);

static const PbField pb_pod_failure_policy_fields[] = {
    PB_OBJECT_LIST(1, "rules", pb_pod_failure_policy_rule),
};
static const PbMessage pb_pod_failure_policy =
    PB_MESSAGE_DEF("PodFailurePolicy", pb_pod_failure_policy_fields);

static const PbField pb_success_policy_rule_fields[] = {
    PB_OPTIONAL(1, "succeededIndexes", STRING),
    PB_OPTIONAL(2, "succeededCount", INT32),
};
static const PbMessage pb_success_policy_rule =
    PB_MESSAGE_DEF("SuccessPolicyRule", pb_success_policy_rule_fields);

static const PbField pb_success_policy_fields[] = {
    PB_OBJECT_LIST(1, "rules", pb_success_policy_rule),
};
static const PbMessage pb_success_policy = PB_MESSAGE_DEF("SuccessPolicy", pb_success_policy_fields);

static const PbField pb_job_spec_fields[] = {
    PB_OPTIONAL(1, "parallelism", INT32),
    PB_OPTIONAL(2, "completions", INT32),
    PB_OPTIONAL(3, "activeDeadlineSeconds", INT64),
    PB_OBJECT(4, "selector", k8s_protobuf_label_selector),
    PB_OPTIONAL(5, "manualSelector", BOOL),
    PB_OBJECT(6, "template", k8s_protobuf_pod_template_spec),
    PB_OPTIONAL(7, "backoffLimit", INT32),
    PB_OPTIONAL(8, "ttlSecondsAfterFinished", INT32),
    PB_OPTIONAL(9, "completionMode", STRING),
    PB_OPTIONAL(10, "suspend", BOOL),
    PB_OBJECT(11, "podFailurePolicy", pb_pod_failure_policy),
    PB_OPTIONAL(12, "backoffLimitPerIndex", INT32),
    PB_OPTIONAL(13, "maxFailedIndexes", INT32),
    PB_OPTIONAL(14, "podReplacementPolicy", STRING),
    PB_OPTIONAL(15, "managedBy", STRING),
    PB_OBJECT(16, "successPolicy", pb_success_policy),
};
static const PbMessage pb_job_spec = PB_MESSAGE_DEF("JobSpec", pb_job_spec_fields);

static const PbField pb_job_condition_fields[] = {
    PB_FIELD(1, "type", STRING),        PB_FIELD(2, "status", STRING),
    PB_FIELD(3, "lastProbeTime", TIME), PB_FIELD(4, "lastTransitionTime", TIME),
    PB_FIELD(5, "reason", STRING),      PB_FIELD(6, "message", STRING),
};
static const PbMessage pb_job_condition = PB_MESSAGE_DEF("JobCondition", pb_job_condition_fields);

static const PbField pb_uncounted_terminated_pods_fields[] = {
    PB_LIST(1, "succeeded", STRING),
    PB_LIST(2, "failed", STRING),
};
static const PbMessage pb_uncounted_terminated_pods =
    PB_MESSAGE_DEF("UncountedTerminatedPods", pb_uncounted_terminated_pods_fields);

static const PbField pb_job_status_fields[] = {
    PB_OBJECT_LIST(1, "conditions", pb_job_condition),
    PB_OPTIONAL(2, "startTime", TIME),
    PB_OPTIONAL(3, "completionTime", TIME),
    PB_FIELD(4, "active", INT32),
    PB_FIELD(5, "succeeded", INT32),
    PB_FIELD(6, "failed", INT32),
    PB_FIELD(7, "completedIndexes", STRING),
    PB_OBJECT(8, "uncountedTerminatedPods", pb_uncounted_terminated_pods),
    PB_OPTIONAL(9, "ready", INT32),
    PB_OPTIONAL(10, "failedIndexes", STRING),
    PB_OPTIONAL(11, "terminating", INT32),
};
static const PbMessage pb_job_status = PB_MESSAGE_DEF("JobStatus", pb_job_status_fields);

static const PbField pb_job_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_job_spec),
    PB_OBJECT(3, "status", pb_job_status),
};
static const PbMessage pb_job = PB_MESSAGE_DEF("Job", pb_job_fields);

static const PbField pb_job_template_spec_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_job_spec),
};
static const PbMessage pb_job_template_spec = PB_MESSAGE_DEF("JobTemplateSpec", pb_job_template_spec_fields);

static const PbField pb_cron_job_spec_fields[] = {
    PB_FIELD(1, "schedule", STRING),
    PB_OPTIONAL(2, "startingDeadlineSeconds", INT64),
    PB_FIELD(3, "concurrencyPolicy", STRING),
    PB_OPTIONAL(4, "suspend", BOOL),
    PB_OBJECT(5, "jobTemplate", pb_job_template_spec),
    PB_OPTIONAL(6, "successfulJobsHistoryLimit", INT32),
    PB_OPTIONAL(7, "failedJobsHistoryLimit", INT32),
    PB_OPTIONAL(8, "timeZone", STRING),
};
static const PbMessage pb_cron_job_spec = PB_MESSAGE_DEF("CronJobSpec", pb_cron_job_spec_fields);

static const PbField pb_cron_job_status_fields[] = {
    PB_OBJECT_LIST(1, "active", pb_object_reference),
    PB_OPTIONAL(4, "lastScheduleTime", TIME),
    PB_OPTIONAL(5, "lastSuccessfulTime", TIME),
};
static const PbMessage pb_cron_job_status = PB_MESSAGE_DEF("CronJobStatus", pb_cron_job_status_fields);

static const PbField pb_cron_job_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_cron_job_spec),
    PB_OBJECT(3, "status", pb_cron_job_status),
};
static const PbMessage pb_cron_job = PB_MESSAGE_DEF("CronJob", pb_cron_job_fields);

/* ---- autoscaling/v1 ---- */

static const PbField pb_cross_version_object_reference_fields[] = {
    PB_FIELD(1, "kind", STRING),
    PB_FIELD(2, "name", STRING),
    PB_FIELD(3, "apiVersion", STRING),
};
static const PbMessage pb_cross_version_object_reference =
    PB_MESSAGE_DEF("CrossVersionObjectReference", pb_cross_version_object_reference_fields);

static const PbField pb_horizontal_pod_autoscaler_spec_fields[] = {
    PB_OBJECT(1, "scaleTargetRef", pb_cross_version_object_reference),
    PB_OPTIONAL(2, "minReplicas", INT32),
    PB_FIELD(3, "maxReplicas", INT32),
    PB_OPTIONAL(4, "targetCPUUtilizationPercentage", INT32),
};
static const PbMessage pb_horizontal_pod_autoscaler_spec =
    PB_MESSAGE_DEF("HorizontalPodAutoscalerSpec", pb_horizontal_pod_autoscaler_spec_fields);

static const PbField pb_horizontal_pod_autoscaler_status_fields[] = {
    PB_OPTIONAL(1, "observedGeneration", INT64),
    PB_OPTIONAL(2, "lastScaleTime", TIME),
    PB_FIELD(3, "currentReplicas", INT32),
    PB_FIELD(4, "desiredReplicas", INT32),
    PB_OPTIONAL(5, "currentCPUUtilizationPercentage", INT32),
};
static const PbMessage pb_horizontal_pod_autoscaler_status =
    PB_MESSAGE_DEF("HorizontalPodAutoscalerStatus", pb_horizontal_pod_autoscaler_status_fields);

static const PbField pb_horizontal_pod_autoscaler_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_horizontal_pod_autoscaler_spec),
    PB_OBJECT(3, "status", pb_horizontal_pod_autoscaler_status),
};
static const PbMessage pb_horizontal_pod_autoscaler =
    PB_MESSAGE_DEF("HorizontalPodAutoscaler", pb_horizontal_pod_autoscaler_fields);

/* ---- rbac.authorization.k8s.io/v1 ---- */

static const PbField pb_policy_rule_fields[] = {
    PB_LIST(1, "verbs", STRING),           PB_LIST(2, "apiGroups", STRING),
    PB_LIST(3, "resources", STRING),       PB_LIST(4, "resourceNames", STRING),
    PB_LIST(5, "nonResourceURLs", STRING),
};
static const PbMessage pb_policy_rule = PB_MESSAGE_DEF("PolicyRule", pb_policy_rule_fields);

static const PbField pb_role_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT_LIST(2, "rules", pb_policy_rule),
};
static const PbMessage pb_role = PB_MESSAGE_DEF("Role", pb_role_fields);

static const PbField pb_aggregation_rule_fields[] = {
    PB_OBJECT_LIST(1, "clusterRoleSelectors", k8s_protobuf_label_selector),
};
static const PbMessage pb_aggregation_rule = PB_MESSAGE_DEF("AggregationRule", pb_aggregation_rule_fields);

static const PbField pb_cluster_role_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT_LIST(2, "rules", pb_policy_rule),
    PB_OBJECT(3, "aggregationRule", pb_aggregation_rule),
};
static const PbMessage pb_cluster_role = PB_MESSAGE_DEF("ClusterRole", pb_cluster_role_fields);

static const PbField pb_subject_fields[] = {
    PB_FIELD(1, "kind", STRING),
    PB_FIELD(2, "apiGroup", STRING),
    PB_FIELD(3, "name", STRING),
    PB_FIELD(4, "namespace", STRING),
};
static const PbMessage pb_subject = PB_MESSAGE_DEF("Subject", pb_subject_fields);

static const PbField pb_role_ref_fields[] = {
    PB_FIELD(1, "apiGroup", STRING),
    PB_FIELD(2, "kind", STRING),
    PB_FIELD(3, "name", STRING),
};
static const PbMessage pb_role_ref = PB_MESSAGE_DEF("RoleRef", pb_role_ref_fields);

static const PbField pb_role_binding_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT_LIST(2, "subjects", pb_subject),
    PB_OBJECT(3, "roleRef", pb_role_ref),
};
static const PbMessage pb_role_binding = PB_MESSAGE_DEF("RoleBinding", pb_role_binding_fields);

static const PbField pb_cluster_role_binding_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT_LIST(2, "subjects", pb_subject),
    PB_OBJECT(3, "roleRef", pb_role_ref),
};
static const PbMessage pb_cluster_role_binding =
    PB_MESSAGE_DEF("ClusterRoleBinding", pb_cluster_role_binding_fields);

/* ---- scheduling.k8s.io/v1 ---- */

static const PbField pb_priority_class_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_FIELD(2, "value", INT32),
    PB_FIELD(3, "globalDefault", BOOL),
    PB_FIELD(4, "description", STRING),
    PB_OPTIONAL(5, "preemptionPolicy", STRING),
};
static const PbMessage pb_priority_class = PB_MESSAGE_DEF("PriorityClass", pb_priority_class_fields);

/* ---- policy/v1 ---- */

static const PbField pb_pod_disruption_budget_spec_fields[] = {
    PB_OPTIONAL(1, "minAvailable", INT_OR_STRING),
    PB_OBJECT(2, "selector", k8s_protobuf_label_selector),
    PB_OPTIONAL(3, "maxUnavailable", INT_OR_STRING),
    PB_OPTIONAL(4, "unhealthyPodEvictionPolicy", STRING),
};
static const PbMessage pb_pod_disruption_budget_spec =
    PB_MESSAGE_DEF("PodDisruptionBudgetSpec", pb_pod_disruption_budget_spec_fields);

static const PbField pb_pod_disruption_budget_status_fields[] = {
    PB_FIELD(1, "observedGeneration", INT64),      PB_MAP_OF(2, "disruptedPods", TIME),
    PB_FIELD(3, "disruptionsAllowed", INT32),      PB_FIELD(4, "currentHealthy", INT32),
    PB_FIELD(5, "desiredHealthy", INT32),          PB_FIELD(6, "expectedPods", INT32),
    PB_OBJECT_LIST(7, "conditions", pb_condition),
};
static const PbMessage pb_pod_disruption_budget_status =
    PB_MESSAGE_DEF("PodDisruptionBudgetStatus", pb_pod_disruption_budget_status_fields);

static const PbField pb_pod_disruption_budget_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_pod_disruption_budget_spec),
    PB_OBJECT(3, "status", pb_pod_disruption_budget_status),
};
static const PbMessage pb_pod_disruption_budget =
    PB_MESSAGE_DEF("PodDisruptionBudget", pb_pod_disruption_budget_fields);

/* ---- networking.k8s.io/v1 ---- */

static const PbField pb_service_backend_port_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "number", INT32),
};
static const PbMessage pb_service_backend_port =
    PB_MESSAGE_DEF("ServiceBackendPort", pb_service_backend_port_fields);

static const PbField pb_ingress_service_backend_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_OBJECT(2, "port", pb_service_backend_port),
};
static const PbMessage pb_ingress_service_backend =
    PB_MESSAGE_DEF("IngressServiceBackend", pb_ingress_service_backend_fields);

static const PbField pb_ingress_backend_fields[] = {
    PB_OBJECT(3, "resource", k8s_protobuf_typed_local_object_reference),
    PB_OBJECT(4, "service", pb_ingress_service_backend),
};
static const PbMessage pb_ingress_backend = PB_MESSAGE_DEF("IngressBackend", pb_ingress_backend_fields);

static const PbField pb_ingress_tls_fields[] = {
    PB_LIST(1, "hosts", STRING),
    PB_FIELD(2, "secretName", STRING),
};
static const PbMessage pb_ingress_tls = PB_MESSAGE_DEF("IngressTLS", pb_ingress_tls_fields);

static const PbField pb_http_ingress_path_fields[] = {
    PB_FIELD(1, "path", STRING),
    PB_OBJECT(2, "backend", pb_ingress_backend),
    PB_OPTIONAL(3, "pathType", STRING),
};
static const PbMessage pb_http_ingress_path = PB_MESSAGE_DEF("HTTPIngressPath", pb_http_ingress_path_fields);

static const PbField pb_http_ingress_rule_value_fields[] = {
    PB_OBJECT_LIST(1, "paths", pb_http_ingress_path),
};
static const PbMessage pb_http_ingress_rule_value =
    PB_MESSAGE_DEF("HTTPIngressRuleValue", pb_http_ingress_rule_value_fields);

static const PbField pb_ingress_rule_value_fields[] = {
    PB_OBJECT(1, "http", pb_http_ingress_rule_value),
};
static const PbMessage pb_ingress_rule_value =
    PB_MESSAGE_DEF("IngressRuleValue", pb_ingress_rule_value_fields);

static const PbField pb_ingress_rule_fields[] = {
    PB_FIELD(1, "host", STRING),
    PB_EMBEDDED(2, pb_ingress_rule_value),
};
static const PbMessage pb_ingress_rule = PB_MESSAGE_DEF("IngressRule", pb_ingress_rule_fields);

static const PbField pb_ingress_spec_fields[] = {
    PB_OBJECT(1, "defaultBackend", pb_ingress_backend),
    PB_OBJECT_LIST(2, "tls", pb_ingress_tls),
    PB_OBJECT_LIST(3, "rules", pb_ingress_rule),
    PB_OPTIONAL(4, "ingressClassName", STRING),
};
static const PbMessage pb_ingress_spec = PB_MESSAGE_DEF("IngressSpec", pb_ingress_spec_fields);

static const PbField pb_ingress_port_status_fields[] = {
    PB_FIELD(1, "port", INT32),
    PB_FIELD(2, "protocol", STRING),
    PB_OPTIONAL(3, "error", STRING),
};
static const PbMessage pb_ingress_port_status =
    PB_MESSAGE_DEF("IngressPortStatus", pb_ingress_port_status_fields);

static const PbField pb_ingress_load_balancer_ingress_fields[] = {
    PB_FIELD(1, "ip", STRING),
    PB_FIELD(2, "hostname", STRING),
    PB_OBJECT_LIST(4, "ports", pb_ingress_port_status),
};
static const PbMessage pb_ingress_load_balancer_ingress =
    PB_MESSAGE_DEF("IngressLoadBalancerIngress", pb_ingress_load_balancer_ingress_fields);

static const PbField pb_ingress_load_balancer_status_fields[] = {
    PB_OBJECT_LIST(1, "ingress", pb_ingress_load_balancer_ingress),
};
static const PbMessage pb_ingress_load_balancer_status =
    PB_MESSAGE_DEF("IngressLoadBalancerStatus", pb_ingress_load_balancer_status_fields);

static const PbField pb_ingress_status_fields[] = {
    PB_OBJECT(1, "loadBalancer", pb_ingress_load_balancer_status),
};
static const PbMessage pb_ingress_status = PB_MESSAGE_DEF("IngressStatus", pb_ingress_status_fields);

static const PbField pb_ingress_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_ingress_spec),
    PB_OBJECT(3, "status", pb_ingress_status),
};
static const PbMessage pb_ingress = PB_MESSAGE_DEF("Ingress", pb_ingress_fields);

/* ---- registry ---- */

typedef struct PbKind {
  const char *api_version;
  const char *kind;
  const PbMessage *message;
} PbKind;

static const PbKind pb_kinds[] = {
    {"v1", "Namespace", &pb_namespace},
    {"v1", "ConfigMap", &pb_config_map},
    {"v1", "Secret", &pb_secret},
    {"v1", "ServiceAccount", &pb_service_account},
    {"v1", "Service", &pb_service},
    {"v1", "ResourceQuota", &pb_resource_quota},
    {"apps/v1", "Deployment", &pb_deployment},
    {"batch/v1", "Job", &pb_job},
    {"batch/v1", "CronJob", &pb_cron_job},
    {"autoscaling/v1", "HorizontalPodAutoscaler", &pb_horizontal_pod_autoscaler},
    {"rbac.authorization.k8s.io/v1", "Role", &pb_role},
    {"rbac.authorization.k8s.io/v1", "ClusterRole", &pb_cluster_role},
    {"rbac.authorization.k8s.io/v1", "RoleBinding", &pb_role_binding},
    {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &pb_cluster_role_binding},
    {"scheduling.k8s.io/v1", "PriorityClass", &pb_priority_class},
    {"policy/v1", "PodDisruptionBudget", &pb_pod_disruption_budget},
    {"networking.k8s.io/v1", "Ingress", &pb_ingress},
};

const PbMessage *k8s_protobuf_schema_find(const char *api_version, const char *kind) {
  for (size_t i = 0; i < ELEMENTSOF(pb_kinds); i++)
    if (streq(pb_kinds[i].api_version, api_version) && streq(pb_kinds[i].kind, kind))
      return pb_kinds[i].message;
  return NULL;
}
