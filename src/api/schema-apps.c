/* Schema tables of the workload and scaling groups: apps/v1 (Deployment, ReplicaSet, StatefulSet,
 * DaemonSet, ControllerRevision), batch/v1 (Job, CronJob), autoscaling/v1 (HorizontalPodAutoscaler, Scale)
 * and autoscaling/v2 (HorizontalPodAutoscaler with metrics, behavior and status). Facts are those of
 * Kubernetes v1.32 (one 1.33 addition is marked). */
#include "api/schema-internal.h"

/* ---- apps/v1 ---- */

static const SchemaField rolling_update_deployment_fields[] = {
    SF_OPTIONAL(1, "maxUnavailable", INT_OR_STRING),
    SF_OPTIONAL(2, "maxSurge", INT_OR_STRING),
};
static const SchemaMessage m_rolling_update_deployment =
    SCHEMA_MESSAGE_DESC(APPS_V1, "RollingUpdateDeployment", rolling_update_deployment_fields,
                        "How many pods a rolling update may add above, or take below, the desired count.");

static const SchemaField deployment_strategy_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_deployment_strategy_type)),
    SF_OBJECT(2, "rollingUpdate", m_rolling_update_deployment),
};
static const SchemaMessage m_deployment_strategy =
    SCHEMA_MESSAGE_DESC(APPS_V1, "DeploymentStrategy", deployment_strategy_fields,
                        "How a Deployment replaces old pods with new ones.");

static const SchemaField deployment_spec_fields[] = {
    SF_OPTIONAL(1, "replicas", INT32),
    SF_OBJECT(2, "selector", schema_msg_label_selector, SF_REQUIRED),
    SF_OBJECT(3, "template", schema_msg_pod_template_spec, SF_REQUIRED),
    SF_OBJECT(4, "strategy", m_deployment_strategy, SF_RETAIN),
    SF_FIELD(5, "minReadySeconds", INT32),
    SF_OPTIONAL(6, "revisionHistoryLimit", INT32),
    SF_FIELD(7, "paused", BOOL),
    SF_OPTIONAL(9, "progressDeadlineSeconds", INT32),
};
static const SchemaMessage m_deployment_spec =
    SCHEMA_MESSAGE_DESC(APPS_V1, "DeploymentSpec", deployment_spec_fields,
                        "The desired state of a Deployment: how many replicas of which pod template, and how "
                        "to roll out changes.");

static const SchemaField deployment_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_deployment_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(6, "lastUpdateTime", TIME),
    SF_FIELD(7, "lastTransitionTime", TIME),
    SF_FIELD(4, "reason", STRING),
    SF_FIELD(5, "message", STRING),
};
static const SchemaMessage m_deployment_condition =
    SCHEMA_MESSAGE(APPS_V1, "DeploymentCondition", deployment_condition_fields);

static const SchemaField deployment_status_fields[] = {
    SF_FIELD(1, "observedGeneration", INT64),
    SF_FIELD(2, "replicas", INT32),
    SF_FIELD(3, "updatedReplicas", INT32),
    SF_FIELD(7, "readyReplicas", INT32),
    SF_FIELD(4, "availableReplicas", INT32),
    SF_FIELD(5, "unavailableReplicas", INT32),
    SF_OBJECT_LIST(6, "conditions", m_deployment_condition, SF_MERGE("type")),
    SF_OPTIONAL(8, "collisionCount", INT32),
    SF_OPTIONAL(9, "terminatingReplicas", INT32), /* 1.33 */
};
static const SchemaMessage m_deployment_status =
    SCHEMA_MESSAGE(APPS_V1, "DeploymentStatus", deployment_status_fields);

static const SchemaField deployment_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_deployment_spec),
    SF_OBJECT(3, "status", m_deployment_status),
};
const SchemaMessage schema_msg_deployment = SCHEMA_MESSAGE(APPS_V1, "Deployment", deployment_fields);

static const SchemaField replica_set_spec_fields[] = {
    SF_OPTIONAL(1, "replicas", INT32),
    SF_FIELD(4, "minReadySeconds", INT32),
    SF_OBJECT(2, "selector", schema_msg_label_selector, SF_REQUIRED),
    SF_OBJECT(3, "template", schema_msg_pod_template_spec),
};
static const SchemaMessage m_replica_set_spec =
    SCHEMA_MESSAGE(APPS_V1, "ReplicaSetSpec", replica_set_spec_fields);

static const SchemaField replica_set_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_replica_set_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastTransitionTime", TIME),
    SF_FIELD(4, "reason", STRING),
    SF_FIELD(5, "message", STRING),
};
static const SchemaMessage m_replica_set_condition =
    SCHEMA_MESSAGE(APPS_V1, "ReplicaSetCondition", replica_set_condition_fields);

static const SchemaField replica_set_status_fields[] = {
    SF_FIELD(1, "replicas", INT32, SF_REQUIRED),
    SF_FIELD(2, "fullyLabeledReplicas", INT32),
    SF_FIELD(4, "readyReplicas", INT32),
    SF_FIELD(5, "availableReplicas", INT32),
    SF_FIELD(3, "observedGeneration", INT64),
    SF_OBJECT_LIST(6, "conditions", m_replica_set_condition, SF_MERGE("type")),
};
static const SchemaMessage m_replica_set_status =
    SCHEMA_MESSAGE(APPS_V1, "ReplicaSetStatus", replica_set_status_fields);

static const SchemaField replica_set_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_replica_set_spec),
    SF_OBJECT(3, "status", m_replica_set_status),
};
const SchemaMessage schema_msg_replica_set = SCHEMA_MESSAGE(APPS_V1, "ReplicaSet", replica_set_fields);

static const SchemaField rolling_update_stateful_set_strategy_fields[] = {
    SF_OPTIONAL(1, "partition", INT32),
    SF_OPTIONAL(2, "maxUnavailable", INT_OR_STRING),
};
static const SchemaMessage m_rolling_update_stateful_set_strategy =
    SCHEMA_MESSAGE(APPS_V1, "RollingUpdateStatefulSetStrategy", rolling_update_stateful_set_strategy_fields);

static const SchemaField stateful_set_update_strategy_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_stateful_set_update_strategy_type)),
    SF_OBJECT(2, "rollingUpdate", m_rolling_update_stateful_set_strategy),
};
static const SchemaMessage m_stateful_set_update_strategy =
    SCHEMA_MESSAGE(APPS_V1, "StatefulSetUpdateStrategy", stateful_set_update_strategy_fields);

static const SchemaField stateful_set_persistent_volume_claim_retention_policy_fields[] = {
    SF_FIELD(1, "whenDeleted", STRING, SF_NAMED(schema_enum_persistent_volume_claim_retention_policy_type)),
    SF_FIELD(2, "whenScaled", STRING, SF_NAMED(schema_enum_persistent_volume_claim_retention_policy_type)),
};
static const SchemaMessage m_stateful_set_persistent_volume_claim_retention_policy =
    SCHEMA_MESSAGE(APPS_V1, "StatefulSetPersistentVolumeClaimRetentionPolicy",
                   stateful_set_persistent_volume_claim_retention_policy_fields);

static const SchemaField stateful_set_ordinals_fields[] = {
    SF_FIELD(1, "start", INT32),
};
static const SchemaMessage m_stateful_set_ordinals =
    SCHEMA_MESSAGE(APPS_V1, "StatefulSetOrdinals", stateful_set_ordinals_fields);

static const SchemaField stateful_set_spec_fields[] = {
    SF_OPTIONAL(1, "replicas", INT32),
    SF_OBJECT(2, "selector", schema_msg_label_selector, SF_REQUIRED),
    SF_OBJECT(3, "template", schema_msg_pod_template_spec, SF_REQUIRED),
    SF_OBJECT_LIST(4, "volumeClaimTemplates", schema_msg_persistent_volume_claim),
    SF_FIELD(5, "serviceName", STRING, SF_REQUIRED),
    SF_FIELD(6, "podManagementPolicy", STRING, SF_NAMED(schema_enum_pod_management_policy_type)),
    SF_OBJECT(7, "updateStrategy", m_stateful_set_update_strategy),
    SF_OPTIONAL(8, "revisionHistoryLimit", INT32),
    SF_FIELD(9, "minReadySeconds", INT32),
    SF_OBJECT(10, "persistentVolumeClaimRetentionPolicy",
              m_stateful_set_persistent_volume_claim_retention_policy),
    SF_OBJECT(11, "ordinals", m_stateful_set_ordinals),
};
static const SchemaMessage m_stateful_set_spec = SCHEMA_MESSAGE_DESC(
    APPS_V1, "StatefulSetSpec", stateful_set_spec_fields,
    "The desired state of a StatefulSet: replicas, pod template, claim templates and update strategy.");

static const SchemaField stateful_set_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_stateful_set_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastTransitionTime", TIME),
    SF_FIELD(4, "reason", STRING),
    SF_FIELD(5, "message", STRING),
};
static const SchemaMessage m_stateful_set_condition =
    SCHEMA_MESSAGE(APPS_V1, "StatefulSetCondition", stateful_set_condition_fields);

static const SchemaField stateful_set_status_fields[] = {
    SF_FIELD(1, "observedGeneration", INT64),
    SF_FIELD(2, "replicas", INT32, SF_REQUIRED),
    SF_FIELD(3, "readyReplicas", INT32),
    SF_FIELD(4, "currentReplicas", INT32),
    SF_FIELD(5, "updatedReplicas", INT32),
    SF_FIELD(6, "currentRevision", STRING),
    SF_FIELD(7, "updateRevision", STRING),
    SF_OPTIONAL(9, "collisionCount", INT32),
    SF_OBJECT_LIST(10, "conditions", m_stateful_set_condition, SF_MERGE("type")),
    SF_FIELD(11, "availableReplicas", INT32),
};
static const SchemaMessage m_stateful_set_status =
    SCHEMA_MESSAGE(APPS_V1, "StatefulSetStatus", stateful_set_status_fields);

static const SchemaField stateful_set_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_stateful_set_spec),
    SF_OBJECT(3, "status", m_stateful_set_status),
};
const SchemaMessage schema_msg_stateful_set = SCHEMA_MESSAGE(APPS_V1, "StatefulSet", stateful_set_fields);

static const SchemaField rolling_update_daemon_set_fields[] = {
    SF_OPTIONAL(1, "maxUnavailable", INT_OR_STRING),
    SF_OPTIONAL(2, "maxSurge", INT_OR_STRING),
};
static const SchemaMessage m_rolling_update_daemon_set =
    SCHEMA_MESSAGE(APPS_V1, "RollingUpdateDaemonSet", rolling_update_daemon_set_fields);

static const SchemaField daemon_set_update_strategy_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_daemon_set_update_strategy_type)),
    SF_OBJECT(2, "rollingUpdate", m_rolling_update_daemon_set),
};
static const SchemaMessage m_daemon_set_update_strategy =
    SCHEMA_MESSAGE(APPS_V1, "DaemonSetUpdateStrategy", daemon_set_update_strategy_fields);

static const SchemaField daemon_set_spec_fields[] = {
    SF_OBJECT(1, "selector", schema_msg_label_selector, SF_REQUIRED),
    SF_OBJECT(2, "template", schema_msg_pod_template_spec, SF_REQUIRED),
    SF_OBJECT(3, "updateStrategy", m_daemon_set_update_strategy),
    SF_FIELD(4, "minReadySeconds", INT32),
    SF_OPTIONAL(6, "revisionHistoryLimit", INT32),
};
static const SchemaMessage m_daemon_set_spec =
    SCHEMA_MESSAGE_DESC(APPS_V1, "DaemonSetSpec", daemon_set_spec_fields,
                        "The desired state of a DaemonSet: the pod template and how updates roll out.");

static const SchemaField daemon_set_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_daemon_set_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastTransitionTime", TIME),
    SF_FIELD(4, "reason", STRING),
    SF_FIELD(5, "message", STRING),
};
static const SchemaMessage m_daemon_set_condition =
    SCHEMA_MESSAGE(APPS_V1, "DaemonSetCondition", daemon_set_condition_fields);

static const SchemaField daemon_set_status_fields[] = {
    SF_FIELD(1, "currentNumberScheduled", INT32, SF_REQUIRED),
    SF_FIELD(2, "numberMisscheduled", INT32, SF_REQUIRED),
    SF_FIELD(3, "desiredNumberScheduled", INT32, SF_REQUIRED),
    SF_FIELD(4, "numberReady", INT32, SF_REQUIRED),
    SF_FIELD(5, "observedGeneration", INT64),
    SF_FIELD(6, "updatedNumberScheduled", INT32),
    SF_FIELD(7, "numberAvailable", INT32),
    SF_FIELD(8, "numberUnavailable", INT32),
    SF_OPTIONAL(9, "collisionCount", INT32),
    SF_OBJECT_LIST(10, "conditions", m_daemon_set_condition, SF_MERGE("type")),
};
static const SchemaMessage m_daemon_set_status =
    SCHEMA_MESSAGE(APPS_V1, "DaemonSetStatus", daemon_set_status_fields);

static const SchemaField daemon_set_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_daemon_set_spec),
    SF_OBJECT(3, "status", m_daemon_set_status),
};
const SchemaMessage schema_msg_daemon_set = SCHEMA_MESSAGE(APPS_V1, "DaemonSet", daemon_set_fields);

static const SchemaField controller_revision_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_FIELD(2, "data", RAW_EXTENSION),
    SF_FIELD(3, "revision", INT64, SF_REQUIRED),
};
const SchemaMessage schema_msg_controller_revision =
    SCHEMA_MESSAGE(APPS_V1, "ControllerRevision", controller_revision_fields);

/* ---- batch/v1 ---- */

static const SchemaField pod_failure_policy_on_exit_codes_requirement_fields[] = {
    SF_OPTIONAL(1, "containerName", STRING),
    SF_FIELD(2, "operator", STRING, SF_NAMED(schema_enum_pod_failure_policy_on_exit_codes_operator),
             SF_REQUIRED),
    SF_LIST(3, "values", INT32, SF_REQUIRED),
};
static const SchemaMessage m_pod_failure_policy_on_exit_codes_requirement = SCHEMA_MESSAGE(
    BATCH_V1, "PodFailurePolicyOnExitCodesRequirement", pod_failure_policy_on_exit_codes_requirement_fields);

static const SchemaField pod_failure_policy_on_pod_conditions_pattern_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_pod_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
};
static const SchemaMessage m_pod_failure_policy_on_pod_conditions_pattern = SCHEMA_MESSAGE(
    BATCH_V1, "PodFailurePolicyOnPodConditionsPattern", pod_failure_policy_on_pod_conditions_pattern_fields);

static const SchemaField pod_failure_policy_rule_fields[] = {
    SF_FIELD(1, "action", STRING, SF_NAMED(schema_enum_pod_failure_policy_action), SF_REQUIRED),
    SF_OBJECT(2, "onExitCodes", m_pod_failure_policy_on_exit_codes_requirement),
    SF_OBJECT_LIST(3, "onPodConditions", m_pod_failure_policy_on_pod_conditions_pattern),
};
static const SchemaMessage m_pod_failure_policy_rule =
    SCHEMA_MESSAGE(BATCH_V1, "PodFailurePolicyRule", pod_failure_policy_rule_fields);

static const SchemaField pod_failure_policy_fields[] = {
    SF_OBJECT_LIST(1, "rules", m_pod_failure_policy_rule, SF_REQUIRED),
};
static const SchemaMessage m_pod_failure_policy =
    SCHEMA_MESSAGE(BATCH_V1, "PodFailurePolicy", pod_failure_policy_fields);

static const SchemaField success_policy_rule_fields[] = {
    SF_OPTIONAL(1, "succeededIndexes", STRING),
    SF_OPTIONAL(2, "succeededCount", INT32),
};
static const SchemaMessage m_success_policy_rule =
    SCHEMA_MESSAGE(BATCH_V1, "SuccessPolicyRule", success_policy_rule_fields);

static const SchemaField success_policy_fields[] = {
    SF_OBJECT_LIST(1, "rules", m_success_policy_rule, SF_REQUIRED),
};
static const SchemaMessage m_success_policy =
    SCHEMA_MESSAGE(BATCH_V1, "SuccessPolicy", success_policy_fields);

static const SchemaField job_spec_fields[] = {
    SF_OPTIONAL(1, "parallelism", INT32),
    SF_OPTIONAL(2, "completions", INT32),
    SF_OPTIONAL(3, "activeDeadlineSeconds", INT64),
    SF_OBJECT(11, "podFailurePolicy", m_pod_failure_policy),
    SF_OBJECT(16, "successPolicy", m_success_policy),
    SF_OPTIONAL(7, "backoffLimit", INT32),
    SF_OPTIONAL(12, "backoffLimitPerIndex", INT32),
    SF_OPTIONAL(13, "maxFailedIndexes", INT32),
    SF_OBJECT(4, "selector", schema_msg_label_selector),
    SF_OPTIONAL(5, "manualSelector", BOOL),
    SF_OBJECT(6, "template", schema_msg_pod_template_spec, SF_REQUIRED),
    SF_OPTIONAL(8, "ttlSecondsAfterFinished", INT32),
    SF_OPTIONAL(9, "completionMode", STRING, SF_NAMED(schema_enum_completion_mode)),
    SF_OPTIONAL(10, "suspend", BOOL),
    SF_OPTIONAL(14, "podReplacementPolicy", STRING, SF_NAMED(schema_enum_pod_replacement_policy)),
    SF_OPTIONAL(15, "managedBy", STRING),
};
static const SchemaMessage m_job_spec =
    SCHEMA_MESSAGE_DESC(BATCH_V1, "JobSpec", job_spec_fields,
                        "The desired state of a Job: the pod template and how many completions it needs.");

static const SchemaField job_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_job_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastProbeTime", TIME),
    SF_FIELD(4, "lastTransitionTime", TIME),
    SF_FIELD(5, "reason", STRING),
    SF_FIELD(6, "message", STRING),
};
static const SchemaMessage m_job_condition = SCHEMA_MESSAGE(BATCH_V1, "JobCondition", job_condition_fields);

static const SchemaField uncounted_terminated_pods_fields[] = {
    SF_LIST(1, "succeeded", STRING, SF_NAMED(schema_enum_types_uid)),
    SF_LIST(2, "failed", STRING, SF_NAMED(schema_enum_types_uid)),
};
static const SchemaMessage m_uncounted_terminated_pods =
    SCHEMA_MESSAGE(BATCH_V1, "UncountedTerminatedPods", uncounted_terminated_pods_fields);

static const SchemaField job_status_fields[] = {
    SF_OBJECT_LIST(1, "conditions", m_job_condition, SF_MERGE("type")),
    SF_OPTIONAL(2, "startTime", TIME),
    SF_OPTIONAL(3, "completionTime", TIME),
    SF_FIELD(4, "active", INT32),
    SF_FIELD(5, "succeeded", INT32),
    SF_FIELD(6, "failed", INT32),
    SF_OPTIONAL(11, "terminating", INT32),
    SF_FIELD(7, "completedIndexes", STRING),
    SF_OPTIONAL(10, "failedIndexes", STRING),
    SF_OBJECT(8, "uncountedTerminatedPods", m_uncounted_terminated_pods),
    SF_OPTIONAL(9, "ready", INT32),
};
static const SchemaMessage m_job_status = SCHEMA_MESSAGE(BATCH_V1, "JobStatus", job_status_fields);

static const SchemaField job_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_job_spec),
    SF_OBJECT(3, "status", m_job_status),
};
const SchemaMessage schema_msg_job = SCHEMA_MESSAGE(BATCH_V1, "Job", job_fields);

static const SchemaField job_template_spec_fields[] = {
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_job_spec),
};
static const SchemaMessage m_job_template_spec =
    SCHEMA_MESSAGE(BATCH_V1, "JobTemplateSpec", job_template_spec_fields);

static const SchemaField cron_job_spec_fields[] = {
    SF_FIELD(1, "schedule", STRING, SF_REQUIRED),
    SF_OPTIONAL(8, "timeZone", STRING),
    SF_OPTIONAL(2, "startingDeadlineSeconds", INT64),
    SF_FIELD(3, "concurrencyPolicy", STRING, SF_NAMED(schema_enum_concurrency_policy)),
    SF_OPTIONAL(4, "suspend", BOOL),
    SF_OBJECT(5, "jobTemplate", m_job_template_spec, SF_REQUIRED),
    SF_OPTIONAL(6, "successfulJobsHistoryLimit", INT32),
    SF_OPTIONAL(7, "failedJobsHistoryLimit", INT32),
};
static const SchemaMessage m_cron_job_spec =
    SCHEMA_MESSAGE_DESC(BATCH_V1, "CronJobSpec", cron_job_spec_fields,
                        "The schedule of a CronJob and the template of the jobs it creates.");

static const SchemaField cron_job_status_fields[] = {
    SF_OBJECT_LIST(1, "active", schema_msg_object_reference),
    SF_OPTIONAL(4, "lastScheduleTime", TIME),
    SF_OPTIONAL(5, "lastSuccessfulTime", TIME),
};
static const SchemaMessage m_cron_job_status =
    SCHEMA_MESSAGE(BATCH_V1, "CronJobStatus", cron_job_status_fields);

static const SchemaField cron_job_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_cron_job_spec),
    SF_OBJECT(3, "status", m_cron_job_status),
};
const SchemaMessage schema_msg_cron_job = SCHEMA_MESSAGE(BATCH_V1, "CronJob", cron_job_fields);

/* ---- autoscaling/v1 ---- */

static const SchemaField v1_cross_version_object_reference_fields[] = {
    SF_FIELD(1, "kind", STRING),
    SF_FIELD(2, "name", STRING, SF_REQUIRED),
    SF_FIELD(3, "apiVersion", STRING),
};
static const SchemaMessage m_v1_cross_version_object_reference =
    SCHEMA_MESSAGE(AUTOSCALING_V1, "CrossVersionObjectReference", v1_cross_version_object_reference_fields);

static const SchemaField v1_horizontal_pod_autoscaler_spec_fields[] = {
    SF_OBJECT(1, "scaleTargetRef", m_v1_cross_version_object_reference, SF_REQUIRED),
    SF_OPTIONAL(2, "minReplicas", INT32),
    SF_FIELD(3, "maxReplicas", INT32, SF_REQUIRED),
    SF_OPTIONAL(4, "targetCPUUtilizationPercentage", INT32),
};
static const SchemaMessage m_v1_horizontal_pod_autoscaler_spec = SCHEMA_MESSAGE_DESC(
    AUTOSCALING_V1, "HorizontalPodAutoscalerSpec", v1_horizontal_pod_autoscaler_spec_fields,
    "What to scale, between which bounds, and on which metrics.");

static const SchemaField v1_horizontal_pod_autoscaler_status_fields[] = {
    SF_OPTIONAL(1, "observedGeneration", INT64),
    SF_OPTIONAL(2, "lastScaleTime", TIME),
    SF_FIELD(3, "currentReplicas", INT32, SF_REQUIRED),
    SF_FIELD(4, "desiredReplicas", INT32, SF_REQUIRED),
    SF_OPTIONAL(5, "currentCPUUtilizationPercentage", INT32),
};
static const SchemaMessage m_v1_horizontal_pod_autoscaler_status = SCHEMA_MESSAGE(
    AUTOSCALING_V1, "HorizontalPodAutoscalerStatus", v1_horizontal_pod_autoscaler_status_fields);

static const SchemaField v1_horizontal_pod_autoscaler_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_v1_horizontal_pod_autoscaler_spec),
    SF_OBJECT(3, "status", m_v1_horizontal_pod_autoscaler_status),
};
const SchemaMessage schema_msg_v1_horizontal_pod_autoscaler =
    SCHEMA_MESSAGE(AUTOSCALING_V1, "HorizontalPodAutoscaler", v1_horizontal_pod_autoscaler_fields);

static const SchemaField scale_spec_fields[] = {
    SF_FIELD(1, "replicas", INT32),
};
static const SchemaMessage m_scale_spec = SCHEMA_MESSAGE(AUTOSCALING_V1, "ScaleSpec", scale_spec_fields);

static const SchemaField scale_status_fields[] = {
    SF_FIELD(1, "replicas", INT32, SF_REQUIRED),
    SF_FIELD(2, "selector", STRING),
};
static const SchemaMessage m_scale_status =
    SCHEMA_MESSAGE(AUTOSCALING_V1, "ScaleStatus", scale_status_fields);

static const SchemaField scale_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_scale_spec),
    SF_OBJECT(3, "status", m_scale_status),
};
const SchemaMessage schema_msg_scale = SCHEMA_MESSAGE(AUTOSCALING_V1, "Scale", scale_fields);

/* ---- autoscaling/v2 ---- */

static const SchemaField v2_cross_version_object_reference_fields[] = {
    SF_FIELD(1, "kind", STRING),
    SF_FIELD(2, "name", STRING, SF_REQUIRED),
    SF_FIELD(3, "apiVersion", STRING),
};
static const SchemaMessage m_v2_cross_version_object_reference =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "CrossVersionObjectReference", v2_cross_version_object_reference_fields);

static const SchemaField metric_target_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_metric_target_type), SF_REQUIRED),
    SF_OPTIONAL(2, "value", QUANTITY),
    SF_OPTIONAL(3, "averageValue", QUANTITY),
    SF_OPTIONAL(4, "averageUtilization", INT32),
};
static const SchemaMessage m_metric_target =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "MetricTarget", metric_target_fields);

static const SchemaField metric_identifier_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_OBJECT(2, "selector", schema_msg_label_selector),
};
static const SchemaMessage m_metric_identifier =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "MetricIdentifier", metric_identifier_fields);

static const SchemaField object_metric_source_fields[] = {
    SF_OBJECT(1, "describedObject", m_v2_cross_version_object_reference, SF_REQUIRED),
    SF_OBJECT(2, "target", m_metric_target, SF_REQUIRED),
    SF_OBJECT(3, "metric", m_metric_identifier, SF_REQUIRED),
};
static const SchemaMessage m_object_metric_source =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "ObjectMetricSource", object_metric_source_fields);

static const SchemaField pods_metric_source_fields[] = {
    SF_OBJECT(1, "metric", m_metric_identifier, SF_REQUIRED),
    SF_OBJECT(2, "target", m_metric_target, SF_REQUIRED),
};
static const SchemaMessage m_pods_metric_source =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "PodsMetricSource", pods_metric_source_fields);

static const SchemaField resource_metric_source_fields[] = {
    SF_FIELD(1, "name", STRING, SF_NAMED(schema_enum_resource_name), SF_REQUIRED),
    SF_OBJECT(2, "target", m_metric_target, SF_REQUIRED),
};
static const SchemaMessage m_resource_metric_source =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "ResourceMetricSource", resource_metric_source_fields);

static const SchemaField container_resource_metric_source_fields[] = {
    SF_FIELD(1, "name", STRING, SF_NAMED(schema_enum_resource_name), SF_REQUIRED),
    SF_OBJECT(2, "target", m_metric_target, SF_REQUIRED),
    SF_FIELD(3, "container", STRING, SF_REQUIRED),
};
static const SchemaMessage m_container_resource_metric_source =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "ContainerResourceMetricSource", container_resource_metric_source_fields);

static const SchemaField external_metric_source_fields[] = {
    SF_OBJECT(1, "metric", m_metric_identifier, SF_REQUIRED),
    SF_OBJECT(2, "target", m_metric_target, SF_REQUIRED),
};
static const SchemaMessage m_external_metric_source =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "ExternalMetricSource", external_metric_source_fields);

static const SchemaField metric_spec_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_metric_source_type), SF_REQUIRED),
    SF_OBJECT(2, "object", m_object_metric_source),
    SF_OBJECT(3, "pods", m_pods_metric_source),
    SF_OBJECT(4, "resource", m_resource_metric_source),
    SF_OBJECT(7, "containerResource", m_container_resource_metric_source),
    SF_OBJECT(5, "external", m_external_metric_source),
};
static const SchemaMessage m_metric_spec = SCHEMA_MESSAGE(AUTOSCALING_V2, "MetricSpec", metric_spec_fields);

static const SchemaField hpa_scaling_policy_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_hpa_scaling_policy_type), SF_REQUIRED),
    SF_FIELD(2, "value", INT32, SF_REQUIRED),
    SF_FIELD(3, "periodSeconds", INT32, SF_REQUIRED),
};
static const SchemaMessage m_hpa_scaling_policy =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "HPAScalingPolicy", hpa_scaling_policy_fields);

static const SchemaField hpa_scaling_rules_fields[] = {
    SF_OPTIONAL(3, "stabilizationWindowSeconds", INT32),
    SF_OPTIONAL(1, "selectPolicy", STRING, SF_NAMED(schema_enum_scaling_policy_select)),
    SF_OBJECT_LIST(2, "policies", m_hpa_scaling_policy),
};
static const SchemaMessage m_hpa_scaling_rules =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "HPAScalingRules", hpa_scaling_rules_fields);

static const SchemaField horizontal_pod_autoscaler_behavior_fields[] = {
    SF_OBJECT(1, "scaleUp", m_hpa_scaling_rules),
    SF_OBJECT(2, "scaleDown", m_hpa_scaling_rules),
};
static const SchemaMessage m_horizontal_pod_autoscaler_behavior = SCHEMA_MESSAGE(
    AUTOSCALING_V2, "HorizontalPodAutoscalerBehavior", horizontal_pod_autoscaler_behavior_fields);

static const SchemaField v2_horizontal_pod_autoscaler_spec_fields[] = {
    SF_OBJECT(1, "scaleTargetRef", m_v2_cross_version_object_reference, SF_REQUIRED),
    SF_OPTIONAL(2, "minReplicas", INT32),
    SF_FIELD(3, "maxReplicas", INT32, SF_REQUIRED),
    SF_OBJECT_LIST(4, "metrics", m_metric_spec),
    SF_OBJECT(5, "behavior", m_horizontal_pod_autoscaler_behavior),
};
static const SchemaMessage m_v2_horizontal_pod_autoscaler_spec = SCHEMA_MESSAGE_DESC(
    AUTOSCALING_V2, "HorizontalPodAutoscalerSpec", v2_horizontal_pod_autoscaler_spec_fields,
    "What to scale, between which bounds, and on which metrics.");

static const SchemaField metric_value_status_fields[] = {
    SF_OPTIONAL(1, "value", QUANTITY),
    SF_OPTIONAL(2, "averageValue", QUANTITY),
    SF_OPTIONAL(3, "averageUtilization", INT32),
};
static const SchemaMessage m_metric_value_status =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "MetricValueStatus", metric_value_status_fields);

static const SchemaField object_metric_status_fields[] = {
    SF_OBJECT(1, "metric", m_metric_identifier, SF_REQUIRED),
    SF_OBJECT(2, "current", m_metric_value_status, SF_REQUIRED),
    SF_OBJECT(3, "describedObject", m_v2_cross_version_object_reference, SF_REQUIRED),
};
static const SchemaMessage m_object_metric_status =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "ObjectMetricStatus", object_metric_status_fields);

static const SchemaField pods_metric_status_fields[] = {
    SF_OBJECT(1, "metric", m_metric_identifier, SF_REQUIRED),
    SF_OBJECT(2, "current", m_metric_value_status, SF_REQUIRED),
};
static const SchemaMessage m_pods_metric_status =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "PodsMetricStatus", pods_metric_status_fields);

static const SchemaField resource_metric_status_fields[] = {
    SF_FIELD(1, "name", STRING, SF_NAMED(schema_enum_resource_name), SF_REQUIRED),
    SF_OBJECT(2, "current", m_metric_value_status, SF_REQUIRED),
};
static const SchemaMessage m_resource_metric_status =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "ResourceMetricStatus", resource_metric_status_fields);

static const SchemaField container_resource_metric_status_fields[] = {
    SF_FIELD(1, "name", STRING, SF_NAMED(schema_enum_resource_name), SF_REQUIRED),
    SF_OBJECT(2, "current", m_metric_value_status, SF_REQUIRED),
    SF_FIELD(3, "container", STRING, SF_REQUIRED),
};
static const SchemaMessage m_container_resource_metric_status =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "ContainerResourceMetricStatus", container_resource_metric_status_fields);

static const SchemaField external_metric_status_fields[] = {
    SF_OBJECT(1, "metric", m_metric_identifier, SF_REQUIRED),
    SF_OBJECT(2, "current", m_metric_value_status, SF_REQUIRED),
};
static const SchemaMessage m_external_metric_status =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "ExternalMetricStatus", external_metric_status_fields);

static const SchemaField metric_status_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_metric_source_type), SF_REQUIRED),
    SF_OBJECT(2, "object", m_object_metric_status),
    SF_OBJECT(3, "pods", m_pods_metric_status),
    SF_OBJECT(4, "resource", m_resource_metric_status),
    SF_OBJECT(7, "containerResource", m_container_resource_metric_status),
    SF_OBJECT(5, "external", m_external_metric_status),
};
static const SchemaMessage m_metric_status =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "MetricStatus", metric_status_fields);

static const SchemaField horizontal_pod_autoscaler_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_horizontal_pod_autoscaler_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastTransitionTime", TIME),
    SF_FIELD(4, "reason", STRING),
    SF_FIELD(5, "message", STRING),
};
static const SchemaMessage m_horizontal_pod_autoscaler_condition = SCHEMA_MESSAGE(
    AUTOSCALING_V2, "HorizontalPodAutoscalerCondition", horizontal_pod_autoscaler_condition_fields);

static const SchemaField v2_horizontal_pod_autoscaler_status_fields[] = {
    SF_OPTIONAL(1, "observedGeneration", INT64),
    SF_OPTIONAL(2, "lastScaleTime", TIME),
    SF_FIELD(3, "currentReplicas", INT32),
    SF_FIELD(4, "desiredReplicas", INT32, SF_REQUIRED),
    SF_OBJECT_LIST(5, "currentMetrics", m_metric_status),
    SF_OBJECT_LIST(6, "conditions", m_horizontal_pod_autoscaler_condition, SF_MERGE("type")),
};
static const SchemaMessage m_v2_horizontal_pod_autoscaler_status = SCHEMA_MESSAGE(
    AUTOSCALING_V2, "HorizontalPodAutoscalerStatus", v2_horizontal_pod_autoscaler_status_fields);

static const SchemaField v2_horizontal_pod_autoscaler_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_v2_horizontal_pod_autoscaler_spec),
    SF_OBJECT(3, "status", m_v2_horizontal_pod_autoscaler_status),
};
const SchemaMessage schema_msg_v2_horizontal_pod_autoscaler =
    SCHEMA_MESSAGE(AUTOSCALING_V2, "HorizontalPodAutoscaler", v2_horizontal_pod_autoscaler_fields);
