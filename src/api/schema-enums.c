/* The named Go types of scalar and map fields, with their closed sets of values where Kubernetes declares
 * one (+enum, values sorted as Kubernetes publishes them in OpenAPI). The Go name is what kube-apiserver
 * prints in decoding errors ("of type v1.Protocol"); the values feed OpenAPI "enum" and validation. */
#include "api/schema-internal.h"

SCHEMA_ENUM_DEF(address_type, "v1.AddressType", "FQDN", "IPv4", "IPv6");
SCHEMA_ENUM_DEF(app_armor_profile_type, "v1.AppArmorProfileType", "Localhost", "RuntimeDefault",
                "Unconfined");
SCHEMA_ENUM_DEF(azure_data_disk_caching_mode, "v1.AzureDataDiskCachingMode", "None", "ReadOnly", "ReadWrite");
SCHEMA_ENUM_DEF(azure_data_disk_kind, "v1.AzureDataDiskKind", "Dedicated", "Managed", "Shared");
SCHEMA_NAMED_DEF(capability, "v1.Capability");
SCHEMA_ENUM_DEF(completion_mode, "v1.CompletionMode", "Indexed", "NonIndexed");
SCHEMA_ENUM_DEF(concurrency_policy, "v1.ConcurrencyPolicy", "Allow", "Forbid", "Replace");
SCHEMA_NAMED_DEF(container_restart_policy, "v1.ContainerRestartPolicy");
SCHEMA_NAMED_DEF(coordinated_lease_strategy, "v1.CoordinatedLeaseStrategy");
SCHEMA_NAMED_DEF(core_condition_status, "v1.ConditionStatus");
SCHEMA_NAMED_DEF(daemon_set_condition_type, "v1.DaemonSetConditionType");
SCHEMA_ENUM_DEF(daemon_set_update_strategy_type, "v1.DaemonSetUpdateStrategyType", "OnDelete",
                "RollingUpdate");
SCHEMA_NAMED_DEF(deletion_propagation, "v1.DeletionPropagation");
SCHEMA_NAMED_DEF(deployment_condition_type, "v1.DeploymentConditionType");
SCHEMA_ENUM_DEF(deployment_strategy_type, "v1.DeploymentStrategyType", "Recreate", "RollingUpdate");
SCHEMA_ENUM_DEF(dns_policy, "v1.DNSPolicy", "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None");
SCHEMA_NAMED_DEF(finalizer_name, "v1.FinalizerName");
SCHEMA_NAMED_DEF(horizontal_pod_autoscaler_condition_type, "v2.HorizontalPodAutoscalerConditionType");
SCHEMA_ENUM_DEF(host_path_type, "v1.HostPathType", "", "BlockDevice", "CharDevice", "Directory",
                "DirectoryOrCreate", "File", "FileOrCreate", "Socket");
SCHEMA_NAMED_DEF(hpa_scaling_policy_type, "v2.HPAScalingPolicyType");
SCHEMA_ENUM_DEF(ip_family, "v1.IPFamily", "", "IPv4", "IPv6");
SCHEMA_ENUM_DEF(ip_family_policy, "v1.IPFamilyPolicy", "PreferDualStack", "RequireDualStack", "SingleStack");
SCHEMA_NAMED_DEF(job_condition_type, "v1.JobConditionType");
SCHEMA_NAMED_DEF(label_selector_operator, "v1.LabelSelectorOperator");
SCHEMA_NAMED_DEF(limit_type, "v1.LimitType");
SCHEMA_NAMED_DEF(load_balancer_ip_mode, "v1.LoadBalancerIPMode");
SCHEMA_NAMED_DEF(managed_fields_operation_type, "v1.ManagedFieldsOperationType");
SCHEMA_NAMED_DEF(meta_condition_status, "v1.ConditionStatus");
SCHEMA_NAMED_DEF(metric_source_type, "v2.MetricSourceType");
SCHEMA_NAMED_DEF(metric_target_type, "v2.MetricTargetType");
SCHEMA_ENUM_DEF(mount_propagation_mode, "v1.MountPropagationMode", "Bidirectional", "HostToContainer",
                "None");
SCHEMA_NAMED_DEF(namespace_condition_type, "v1.NamespaceConditionType");
SCHEMA_ENUM_DEF(namespace_phase, "v1.NamespacePhase", "Active", "Terminating");
SCHEMA_NAMED_DEF(node_address_type, "v1.NodeAddressType");
SCHEMA_NAMED_DEF(node_condition_type, "v1.NodeConditionType");
SCHEMA_ENUM_DEF(node_inclusion_policy, "v1.NodeInclusionPolicy", "Honor", "Ignore");
SCHEMA_ENUM_DEF(node_phase, "v1.NodePhase", "Pending", "Running", "Terminated");
SCHEMA_ENUM_DEF(node_selector_operator, "v1.NodeSelectorOperator", "DoesNotExist", "Exists", "Gt", "In", "Lt",
                "NotIn");
SCHEMA_NAMED_DEF(os_name, "v1.OSName");
SCHEMA_ENUM_DEF(path_type, "v1.PathType", "Exact", "ImplementationSpecific", "Prefix");
SCHEMA_ENUM_DEF(persistent_volume_access_mode, "v1.PersistentVolumeAccessMode", "ReadOnlyMany",
                "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod");
SCHEMA_NAMED_DEF(persistent_volume_claim_condition_type, "v1.PersistentVolumeClaimConditionType");
SCHEMA_ENUM_DEF(persistent_volume_claim_modify_volume_status, "v1.PersistentVolumeClaimModifyVolumeStatus",
                "InProgress", "Infeasible", "Pending");
SCHEMA_ENUM_DEF(persistent_volume_claim_phase, "v1.PersistentVolumeClaimPhase", "Bound", "Lost", "Pending");
SCHEMA_NAMED_DEF(persistent_volume_claim_retention_policy_type,
                 "v1.PersistentVolumeClaimRetentionPolicyType");
SCHEMA_ENUM_DEF(persistent_volume_mode, "v1.PersistentVolumeMode", "Block", "Filesystem");
SCHEMA_ENUM_DEF(persistent_volume_phase, "v1.PersistentVolumePhase", "Available", "Bound", "Failed",
                "Pending", "Released");
SCHEMA_ENUM_DEF(persistent_volume_reclaim_policy, "v1.PersistentVolumeReclaimPolicy", "Delete", "Recycle",
                "Retain");
SCHEMA_NAMED_DEF(pod_condition_type, "v1.PodConditionType");
SCHEMA_ENUM_DEF(pod_failure_policy_action, "v1.PodFailurePolicyAction", "Count", "FailIndex", "FailJob",
                "Ignore");
SCHEMA_ENUM_DEF(pod_failure_policy_on_exit_codes_operator, "v1.PodFailurePolicyOnExitCodesOperator", "In",
                "NotIn");
SCHEMA_ENUM_DEF(pod_fs_group_change_policy, "v1.PodFSGroupChangePolicy", "Always", "OnRootMismatch");
SCHEMA_ENUM_DEF(pod_management_policy_type, "v1.PodManagementPolicyType", "OrderedReady", "Parallel");
SCHEMA_ENUM_DEF(pod_phase, "v1.PodPhase", "Failed", "Pending", "Running", "Succeeded", "Unknown");
SCHEMA_ENUM_DEF(pod_qos_class, "v1.PodQOSClass", "BestEffort", "Burstable", "Guaranteed");
SCHEMA_ENUM_DEF(pod_replacement_policy, "v1.PodReplacementPolicy", "Failed", "TerminatingOrFailed");
SCHEMA_NAMED_DEF(pod_resize_status, "v1.PodResizeStatus");
SCHEMA_NAMED_DEF(pod_se_linux_change_policy, "v1.PodSELinuxChangePolicy");
SCHEMA_ENUM_DEF(policy_type, "v1.PolicyType", "Egress", "Ingress");
SCHEMA_ENUM_DEF(preemption_policy, "v1.PreemptionPolicy", "Never", "PreemptLowerPriority");
SCHEMA_ENUM_DEF(proc_mount_type, "v1.ProcMountType", "Default", "Unmasked");
SCHEMA_ENUM_DEF(protocol, "v1.Protocol", "SCTP", "TCP", "UDP");
SCHEMA_ENUM_DEF(pull_policy, "v1.PullPolicy", "Always", "IfNotPresent", "Never");
SCHEMA_NAMED_DEF(recursive_read_only_mode, "v1.RecursiveReadOnlyMode");
SCHEMA_NAMED_DEF(replica_set_condition_type, "v1.ReplicaSetConditionType");
SCHEMA_NAMED_DEF(replication_controller_condition_type, "v1.ReplicationControllerConditionType");
SCHEMA_NAMED_DEF(resource_health_status, "v1.ResourceHealthStatus");
SCHEMA_NAMED_DEF(resource_id, "v1.ResourceID");
SCHEMA_NAMED_DEF(resource_list, "v1.ResourceList");
SCHEMA_NAMED_DEF(resource_name, "v1.ResourceName");
SCHEMA_ENUM_DEF(resource_quota_scope, "v1.ResourceQuotaScope", "BestEffort", "CrossNamespacePodAffinity",
                "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating");
SCHEMA_NAMED_DEF(resource_resize_restart_policy, "v1.ResourceResizeRestartPolicy");
SCHEMA_ENUM_DEF(restart_policy, "v1.RestartPolicy", "Always", "Never", "OnFailure");
SCHEMA_NAMED_DEF(scaling_policy_select, "v2.ScalingPolicySelect");
SCHEMA_ENUM_DEF(scope_selector_operator, "v1.ScopeSelectorOperator", "DoesNotExist", "Exists", "In", "NotIn");
SCHEMA_ENUM_DEF(seccomp_profile_type, "v1.SeccompProfileType", "Localhost", "RuntimeDefault", "Unconfined");
SCHEMA_NAMED_DEF(secret_type, "v1.SecretType");
SCHEMA_ENUM_DEF(service_affinity, "v1.ServiceAffinity", "ClientIP", "None");
SCHEMA_ENUM_DEF(service_external_traffic_policy, "v1.ServiceExternalTrafficPolicy", "Cluster", "Local");
SCHEMA_ENUM_DEF(service_internal_traffic_policy, "v1.ServiceInternalTrafficPolicy", "Cluster", "Local");
SCHEMA_ENUM_DEF(service_type, "v1.ServiceType", "ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
SCHEMA_NAMED_DEF(stateful_set_condition_type, "v1.StatefulSetConditionType");
SCHEMA_ENUM_DEF(stateful_set_update_strategy_type, "v1.StatefulSetUpdateStrategyType", "OnDelete",
                "RollingUpdate");
SCHEMA_NAMED_DEF(storage_medium, "v1.StorageMedium");
SCHEMA_ENUM_DEF(supplemental_groups_policy, "v1.SupplementalGroupsPolicy", "Merge", "Strict");
SCHEMA_ENUM_DEF(taint_effect, "v1.TaintEffect", "NoExecute", "NoSchedule", "PreferNoSchedule");
SCHEMA_ENUM_DEF(termination_message_policy, "v1.TerminationMessagePolicy", "FallbackToLogsOnError", "File");
SCHEMA_ENUM_DEF(toleration_operator, "v1.TolerationOperator", "Equal", "Exists");
SCHEMA_NAMED_DEF(types_uid, "types.UID");
SCHEMA_ENUM_DEF(unhealthy_pod_eviction_policy_type, "v1.UnhealthyPodEvictionPolicyType", "AlwaysAllow",
                "IfHealthyBudget");
SCHEMA_NAMED_DEF(unique_volume_name, "v1.UniqueVolumeName");
SCHEMA_ENUM_DEF(unsatisfiable_constraint_action, "v1.UnsatisfiableConstraintAction", "DoNotSchedule",
                "ScheduleAnyway");
SCHEMA_ENUM_DEF(uri_scheme, "v1.URIScheme", "HTTP", "HTTPS");
SCHEMA_ENUM_DEF(volume_binding_mode, "v1.VolumeBindingMode", "Immediate", "WaitForFirstConsumer");
