/* Private declarations shared by the schema tables (schema-meta.c, schema-pod.c, schema-core.c,
 * schema-storage.c, schema-apps.c, schema-misc.c), the named types (schema-enums.c) and their users
 * (schema.c, schema-check.c, schema-scalar.c, schema-openapi.c, protobuf.c). A table row describes one
 * field of a Kubernetes Go struct (see schema.h for the meaning of each column); the macros keep a row on
 * one line: a singular field, a Go pointer field, a repeated scalar, a map, a nested struct (singular or
 * repeated) and an inline embedded struct, followed by optional modifiers (SF_NAMED, SF_REQUIRED,
 * SF_MERGE...). Messages are defined leaves first because each table refers to the descriptors of its
 * nested messages; those used from another file are declared here. */
#pragma once

#include "api/schema.h"
#include "base/buf.h"
#include "base/util.h"

/* OpenAPI prefixes of the Go packages the tables describe: Kubernetes names a component after the Go
 * package of its type, whatever group serves it. */
#define SCHEMA_PKG_META_V1 "io.k8s.apimachinery.pkg.apis.meta.v1"
#define SCHEMA_PKG_CORE_V1 "io.k8s.api.core.v1"
#define SCHEMA_PKG_APPS_V1 "io.k8s.api.apps.v1"
#define SCHEMA_PKG_AUTOSCALING_V1 "io.k8s.api.autoscaling.v1"
#define SCHEMA_PKG_AUTOSCALING_V2 "io.k8s.api.autoscaling.v2"
#define SCHEMA_PKG_BATCH_V1 "io.k8s.api.batch.v1"
#define SCHEMA_PKG_COORDINATION_V1 "io.k8s.api.coordination.v1"
#define SCHEMA_PKG_DISCOVERY_V1 "io.k8s.api.discovery.v1"
#define SCHEMA_PKG_EVENTS_V1 "io.k8s.api.events.v1"
#define SCHEMA_PKG_NETWORKING_V1 "io.k8s.api.networking.v1"
#define SCHEMA_PKG_POLICY_V1 "io.k8s.api.policy.v1"
#define SCHEMA_PKG_RBAC_V1 "io.k8s.api.rbac.v1"
#define SCHEMA_PKG_SCHEDULING_V1 "io.k8s.api.scheduling.v1"
#define SCHEMA_PKG_STORAGE_V1 "io.k8s.api.storage.v1"

/* Rows. n is the protobuf field number, j the JSON name, t a SchemaType without its prefix, m a message. */
#define SF_FIELD(n, j, t, ...)                                                                               \
  { .json = (j), .number = (n), .type = SCHEMA_##t, __VA_ARGS__ }
#define SF_OPTIONAL(n, j, t, ...)                                                                            \
  { .json = (j), .number = (n), .type = SCHEMA_##t, .flags = SCHEMA_POINTER, __VA_ARGS__ }
#define SF_LIST(n, j, t, ...)                                                                                \
  { .json = (j), .number = (n), .type = SCHEMA_##t, .flags = SCHEMA_REPEATED, __VA_ARGS__ }
#define SF_MAP(n, j, t, ...)                                                                                 \
  { .json = (j), .number = (n), .type = SCHEMA_MAP, .value = SCHEMA_##t, __VA_ARGS__ }
#define SF_OBJECT(n, j, m, ...)                                                                              \
  { .json = (j), .number = (n), .type = SCHEMA_MESSAGE, .message = &(m), __VA_ARGS__ }
#define SF_OBJECT_LIST(n, j, m, ...)                                                                         \
  {                                                                                                          \
    .json = (j), .number = (n), .type = SCHEMA_MESSAGE, .message = &(m), .flags = SCHEMA_REPEATED,           \
    __VA_ARGS__                                                                                              \
  }
#define SF_EMBEDDED(n, m)                                                                                    \
  { .number = (n), .type = SCHEMA_MESSAGE, .message = &(m), .flags = SCHEMA_INLINE }

/* Modifiers. */
#define SF_NAMED(e) .named = &(e)
#define SF_REQUIRED .required = true
#define SF_MERGE(k) .patch = SCHEMA_PATCH_MERGE, .merge_key = (k)
#define SF_MERGE_SET .patch = SCHEMA_PATCH_MERGE /* a primitive list merged as a set */
#define SF_MERGE_RETAIN(k) .patch = SCHEMA_PATCH_MERGE | SCHEMA_PATCH_RETAIN_KEYS, .merge_key = (k)
#define SF_RETAIN .patch = SCHEMA_PATCH_RETAIN_KEYS
#define SF_REPLACE .patch = SCHEMA_PATCH_REPLACE

#define SCHEMA_MESSAGE(pkg, name, fields)                                                                    \
  { (name), SCHEMA_PKG_##pkg, (fields), ELEMENTSOF(fields), NULL }
#define SCHEMA_MESSAGE_DESC(pkg, name, fields, desc)                                                         \
  { (name), SCHEMA_PKG_##pkg, (fields), ELEMENTSOF(fields), (desc) }

/* Named types: one line each, with the closed set of values when there is one. */
#define SCHEMA_ENUM_DEF(id, go, ...)                                                                         \
  static const char *const id##_values[] = {__VA_ARGS__};                                                    \
  const SchemaEnum schema_enum_##id = {(go), id##_values, ELEMENTSOF(id##_values)}
#define SCHEMA_NAMED_DEF(id, go) const SchemaEnum schema_enum_##id = {(go), NULL, 0}

/* ---- scalar syntaxes with Go's wording (schema-scalar.c) ---- */

/* Appends s quoted the way Go's strconv.Quote does. */
void schema_go_quote(Buf *b, const char *s);
/* Appends x the way Go's encoding/json writes a float64. */
void schema_go_format_float(Buf *b, double x);
/* NULL if s parses as Go's time.Parse(RFC3339) (micro: RFC3339Micro, as MicroTime), else Go's message
 * ('parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"'). Caller frees. */
char *schema_time_error(const char *s, bool micro);
/* NULL if s parses as a Go duration, else time.ParseDuration's message. Caller frees. */
char *schema_duration_error(const char *s);
/* -1 if s[0..len) is valid base64 (standard alphabet, padded, newlines ignored) as Go's StdEncoding
 * decodes it, else the offset Go reports ("illegal base64 data at input byte N"). */
long schema_base64_error_offset(const char *s, size_t len);

/* ---- messages used across files ---- */
/* schema-meta.c */
extern const SchemaMessage schema_msg_object_meta;
extern const SchemaMessage schema_msg_label_selector;
extern const SchemaMessage schema_msg_condition;
extern const SchemaMessage schema_msg_delete_options;
/* schema-pod.c */
extern const SchemaMessage schema_msg_host_path_volume_source;
extern const SchemaMessage schema_msg_gce_persistent_disk_volume_source;
extern const SchemaMessage schema_msg_aws_elastic_block_store_volume_source;
extern const SchemaMessage schema_msg_nfs_volume_source;
extern const SchemaMessage schema_msg_local_object_reference;
extern const SchemaMessage schema_msg_flocker_volume_source;
extern const SchemaMessage schema_msg_fc_volume_source;
extern const SchemaMessage schema_msg_vsphere_virtual_disk_volume_source;
extern const SchemaMessage schema_msg_quobyte_volume_source;
extern const SchemaMessage schema_msg_azure_disk_volume_source;
extern const SchemaMessage schema_msg_photon_persistent_disk_volume_source;
extern const SchemaMessage schema_msg_portworx_volume_source;
extern const SchemaMessage schema_msg_typed_local_object_reference;
extern const SchemaMessage schema_msg_persistent_volume_claim_spec;
extern const SchemaMessage schema_msg_resource_requirements;
extern const SchemaMessage schema_msg_node_selector;
extern const SchemaMessage schema_msg_pod_spec;
extern const SchemaMessage schema_msg_pod_template_spec;
/* schema-core.c */
extern const SchemaMessage schema_msg_pod;
extern const SchemaMessage schema_msg_service;
extern const SchemaMessage schema_msg_config_map;
extern const SchemaMessage schema_msg_secret;
extern const SchemaMessage schema_msg_namespace;
extern const SchemaMessage schema_msg_node;
extern const SchemaMessage schema_msg_endpoints;
extern const SchemaMessage schema_msg_event_source;
extern const SchemaMessage schema_msg_event;
extern const SchemaMessage schema_msg_service_account;
extern const SchemaMessage schema_msg_binding;
extern const SchemaMessage schema_msg_resource_quota;
extern const SchemaMessage schema_msg_limit_range;
extern const SchemaMessage schema_msg_pod_template;
extern const SchemaMessage schema_msg_replication_controller;
/* schema-storage.c */
extern const SchemaMessage schema_msg_object_reference;
extern const SchemaMessage schema_msg_persistent_volume;
extern const SchemaMessage schema_msg_persistent_volume_claim;
extern const SchemaMessage schema_msg_storage_class;
/* schema-apps.c */
extern const SchemaMessage schema_msg_deployment;
extern const SchemaMessage schema_msg_replica_set;
extern const SchemaMessage schema_msg_stateful_set;
extern const SchemaMessage schema_msg_daemon_set;
extern const SchemaMessage schema_msg_controller_revision;
extern const SchemaMessage schema_msg_v1_horizontal_pod_autoscaler;
extern const SchemaMessage schema_msg_scale;
extern const SchemaMessage schema_msg_v2_horizontal_pod_autoscaler;
extern const SchemaMessage schema_msg_job;
extern const SchemaMessage schema_msg_cron_job;
/* schema-misc.c */
extern const SchemaMessage schema_msg_lease;
extern const SchemaMessage schema_msg_endpoint_slice;
extern const SchemaMessage schema_msg_events_event;
extern const SchemaMessage schema_msg_ingress;
extern const SchemaMessage schema_msg_ingress_class;
extern const SchemaMessage schema_msg_network_policy;
extern const SchemaMessage schema_msg_pod_disruption_budget;
extern const SchemaMessage schema_msg_eviction;
extern const SchemaMessage schema_msg_role;
extern const SchemaMessage schema_msg_cluster_role;
extern const SchemaMessage schema_msg_role_binding;
extern const SchemaMessage schema_msg_cluster_role_binding;
extern const SchemaMessage schema_msg_priority_class;

/* ---- named types (schema-enums.c) ---- */
extern const SchemaEnum schema_enum_address_type;
extern const SchemaEnum schema_enum_app_armor_profile_type;
extern const SchemaEnum schema_enum_azure_data_disk_caching_mode;
extern const SchemaEnum schema_enum_azure_data_disk_kind;
extern const SchemaEnum schema_enum_capability;
extern const SchemaEnum schema_enum_completion_mode;
extern const SchemaEnum schema_enum_concurrency_policy;
extern const SchemaEnum schema_enum_container_restart_policy;
extern const SchemaEnum schema_enum_coordinated_lease_strategy;
extern const SchemaEnum schema_enum_core_condition_status;
extern const SchemaEnum schema_enum_daemon_set_condition_type;
extern const SchemaEnum schema_enum_daemon_set_update_strategy_type;
extern const SchemaEnum schema_enum_deletion_propagation;
extern const SchemaEnum schema_enum_deployment_condition_type;
extern const SchemaEnum schema_enum_deployment_strategy_type;
extern const SchemaEnum schema_enum_dns_policy;
extern const SchemaEnum schema_enum_finalizer_name;
extern const SchemaEnum schema_enum_horizontal_pod_autoscaler_condition_type;
extern const SchemaEnum schema_enum_host_path_type;
extern const SchemaEnum schema_enum_hpa_scaling_policy_type;
extern const SchemaEnum schema_enum_ip_family;
extern const SchemaEnum schema_enum_ip_family_policy;
extern const SchemaEnum schema_enum_job_condition_type;
extern const SchemaEnum schema_enum_label_selector_operator;
extern const SchemaEnum schema_enum_limit_type;
extern const SchemaEnum schema_enum_load_balancer_ip_mode;
extern const SchemaEnum schema_enum_managed_fields_operation_type;
extern const SchemaEnum schema_enum_meta_condition_status;
extern const SchemaEnum schema_enum_metric_source_type;
extern const SchemaEnum schema_enum_metric_target_type;
extern const SchemaEnum schema_enum_mount_propagation_mode;
extern const SchemaEnum schema_enum_namespace_condition_type;
extern const SchemaEnum schema_enum_namespace_phase;
extern const SchemaEnum schema_enum_node_address_type;
extern const SchemaEnum schema_enum_node_condition_type;
extern const SchemaEnum schema_enum_node_inclusion_policy;
extern const SchemaEnum schema_enum_node_phase;
extern const SchemaEnum schema_enum_node_selector_operator;
extern const SchemaEnum schema_enum_os_name;
extern const SchemaEnum schema_enum_path_type;
extern const SchemaEnum schema_enum_persistent_volume_access_mode;
extern const SchemaEnum schema_enum_persistent_volume_claim_condition_type;
extern const SchemaEnum schema_enum_persistent_volume_claim_modify_volume_status;
extern const SchemaEnum schema_enum_persistent_volume_claim_phase;
extern const SchemaEnum schema_enum_persistent_volume_claim_retention_policy_type;
extern const SchemaEnum schema_enum_persistent_volume_mode;
extern const SchemaEnum schema_enum_persistent_volume_phase;
extern const SchemaEnum schema_enum_persistent_volume_reclaim_policy;
extern const SchemaEnum schema_enum_pod_condition_type;
extern const SchemaEnum schema_enum_pod_failure_policy_action;
extern const SchemaEnum schema_enum_pod_failure_policy_on_exit_codes_operator;
extern const SchemaEnum schema_enum_pod_fs_group_change_policy;
extern const SchemaEnum schema_enum_pod_management_policy_type;
extern const SchemaEnum schema_enum_pod_phase;
extern const SchemaEnum schema_enum_pod_qos_class;
extern const SchemaEnum schema_enum_pod_replacement_policy;
extern const SchemaEnum schema_enum_pod_resize_status;
extern const SchemaEnum schema_enum_pod_se_linux_change_policy;
extern const SchemaEnum schema_enum_policy_type;
extern const SchemaEnum schema_enum_preemption_policy;
extern const SchemaEnum schema_enum_proc_mount_type;
extern const SchemaEnum schema_enum_protocol;
extern const SchemaEnum schema_enum_pull_policy;
extern const SchemaEnum schema_enum_recursive_read_only_mode;
extern const SchemaEnum schema_enum_replica_set_condition_type;
extern const SchemaEnum schema_enum_replication_controller_condition_type;
extern const SchemaEnum schema_enum_resource_health_status;
extern const SchemaEnum schema_enum_resource_id;
extern const SchemaEnum schema_enum_resource_list;
extern const SchemaEnum schema_enum_resource_name;
extern const SchemaEnum schema_enum_resource_quota_scope;
extern const SchemaEnum schema_enum_resource_resize_restart_policy;
extern const SchemaEnum schema_enum_restart_policy;
extern const SchemaEnum schema_enum_scaling_policy_select;
extern const SchemaEnum schema_enum_scope_selector_operator;
extern const SchemaEnum schema_enum_seccomp_profile_type;
extern const SchemaEnum schema_enum_secret_type;
extern const SchemaEnum schema_enum_service_affinity;
extern const SchemaEnum schema_enum_service_external_traffic_policy;
extern const SchemaEnum schema_enum_service_internal_traffic_policy;
extern const SchemaEnum schema_enum_service_type;
extern const SchemaEnum schema_enum_stateful_set_condition_type;
extern const SchemaEnum schema_enum_stateful_set_update_strategy_type;
extern const SchemaEnum schema_enum_storage_medium;
extern const SchemaEnum schema_enum_supplemental_groups_policy;
extern const SchemaEnum schema_enum_taint_effect;
extern const SchemaEnum schema_enum_termination_message_policy;
extern const SchemaEnum schema_enum_toleration_operator;
extern const SchemaEnum schema_enum_types_uid;
extern const SchemaEnum schema_enum_unhealthy_pod_eviction_policy_type;
extern const SchemaEnum schema_enum_unique_volume_name;
extern const SchemaEnum schema_enum_unsatisfiable_constraint_action;
extern const SchemaEnum schema_enum_uri_scheme;
extern const SchemaEnum schema_enum_volume_binding_mode;
