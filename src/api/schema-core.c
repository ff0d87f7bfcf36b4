/* Schema tables of the other core/v1 kinds except the storage ones: Pod itself and PodStatus, Service,
 * ConfigMap, Secret, Namespace, Node and NodeStatus, Endpoints, Event, ServiceAccount, Binding,
 * ResourceQuota, LimitRange, PodTemplate and ReplicationController, with the structs only they use. Facts
 * are those of Kubernetes v1.32. */
#include "api/schema-internal.h"

/* ---- core/v1 ---- */

static const SchemaField pod_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_pod_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastProbeTime", TIME),
    SF_FIELD(4, "lastTransitionTime", TIME),
    SF_FIELD(5, "reason", STRING),
    SF_FIELD(6, "message", STRING),
};
static const SchemaMessage m_pod_condition = SCHEMA_MESSAGE(CORE_V1, "PodCondition", pod_condition_fields);

static const SchemaField host_ip_fields[] = {
    SF_FIELD(1, "ip", STRING, SF_REQUIRED),
};
static const SchemaMessage m_host_ip = SCHEMA_MESSAGE(CORE_V1, "HostIP", host_ip_fields);

static const SchemaField pod_ip_fields[] = {
    SF_FIELD(1, "ip", STRING, SF_REQUIRED),
};
static const SchemaMessage m_pod_ip = SCHEMA_MESSAGE(CORE_V1, "PodIP", pod_ip_fields);

static const SchemaField container_state_waiting_fields[] = {
    SF_FIELD(1, "reason", STRING),
    SF_FIELD(2, "message", STRING),
};
static const SchemaMessage m_container_state_waiting =
    SCHEMA_MESSAGE(CORE_V1, "ContainerStateWaiting", container_state_waiting_fields);

static const SchemaField container_state_running_fields[] = {
    SF_FIELD(1, "startedAt", TIME),
};
static const SchemaMessage m_container_state_running =
    SCHEMA_MESSAGE(CORE_V1, "ContainerStateRunning", container_state_running_fields);

static const SchemaField container_state_terminated_fields[] = {
    SF_FIELD(1, "exitCode", INT32, SF_REQUIRED),
    SF_FIELD(2, "signal", INT32),
    SF_FIELD(3, "reason", STRING),
    SF_FIELD(4, "message", STRING),
    SF_FIELD(5, "startedAt", TIME),
    SF_FIELD(6, "finishedAt", TIME),
    SF_FIELD(7, "containerID", STRING),
};
static const SchemaMessage m_container_state_terminated =
    SCHEMA_MESSAGE(CORE_V1, "ContainerStateTerminated", container_state_terminated_fields);

static const SchemaField container_state_fields[] = {
    SF_OBJECT(1, "waiting", m_container_state_waiting),
    SF_OBJECT(2, "running", m_container_state_running),
    SF_OBJECT(3, "terminated", m_container_state_terminated),
};
static const SchemaMessage m_container_state =
    SCHEMA_MESSAGE(CORE_V1, "ContainerState", container_state_fields);

static const SchemaField volume_mount_status_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "mountPath", STRING, SF_REQUIRED),
    SF_FIELD(3, "readOnly", BOOL),
    SF_OPTIONAL(4, "recursiveReadOnly", STRING, SF_NAMED(schema_enum_recursive_read_only_mode)),
};
static const SchemaMessage m_volume_mount_status =
    SCHEMA_MESSAGE(CORE_V1, "VolumeMountStatus", volume_mount_status_fields);

static const SchemaField linux_container_user_fields[] = {
    SF_FIELD(1, "uid", INT64, SF_REQUIRED),
    SF_FIELD(2, "gid", INT64, SF_REQUIRED),
    SF_LIST(3, "supplementalGroups", INT64),
};
static const SchemaMessage m_linux_container_user =
    SCHEMA_MESSAGE(CORE_V1, "LinuxContainerUser", linux_container_user_fields);

static const SchemaField container_user_fields[] = {
    SF_OBJECT(1, "linux", m_linux_container_user),
};
static const SchemaMessage m_container_user = SCHEMA_MESSAGE(CORE_V1, "ContainerUser", container_user_fields);

static const SchemaField resource_health_fields[] = {
    SF_FIELD(1, "resourceID", STRING, SF_NAMED(schema_enum_resource_id), SF_REQUIRED),
    SF_FIELD(2, "health", STRING, SF_NAMED(schema_enum_resource_health_status)),
};
static const SchemaMessage m_resource_health =
    SCHEMA_MESSAGE(CORE_V1, "ResourceHealth", resource_health_fields);

static const SchemaField resource_status_fields[] = {
    SF_FIELD(1, "name", STRING, SF_NAMED(schema_enum_resource_name), SF_REQUIRED),
    SF_OBJECT_LIST(2, "resources", m_resource_health),
};
static const SchemaMessage m_resource_status =
    SCHEMA_MESSAGE(CORE_V1, "ResourceStatus", resource_status_fields);

static const SchemaField container_status_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_OBJECT(2, "state", m_container_state),
    SF_OBJECT(3, "lastState", m_container_state),
    SF_FIELD(4, "ready", BOOL, SF_REQUIRED),
    SF_FIELD(5, "restartCount", INT32, SF_REQUIRED),
    SF_FIELD(6, "image", STRING, SF_REQUIRED),
    SF_FIELD(7, "imageID", STRING, SF_REQUIRED),
    SF_FIELD(8, "containerID", STRING),
    SF_OPTIONAL(9, "started", BOOL),
    SF_MAP(10, "allocatedResources", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_OBJECT(11, "resources", schema_msg_resource_requirements),
    SF_OBJECT_LIST(12, "volumeMounts", m_volume_mount_status, SF_MERGE("mountPath")),
    SF_OBJECT(13, "user", m_container_user),
    SF_OBJECT_LIST(14, "allocatedResourcesStatus", m_resource_status, SF_MERGE("name")),
};
static const SchemaMessage m_container_status =
    SCHEMA_MESSAGE(CORE_V1, "ContainerStatus", container_status_fields);

static const SchemaField pod_resource_claim_status_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_OPTIONAL(2, "resourceClaimName", STRING),
};
static const SchemaMessage m_pod_resource_claim_status =
    SCHEMA_MESSAGE(CORE_V1, "PodResourceClaimStatus", pod_resource_claim_status_fields);

static const SchemaField pod_status_fields[] = {
    SF_FIELD(1, "phase", STRING, SF_NAMED(schema_enum_pod_phase)),
    SF_OBJECT_LIST(2, "conditions", m_pod_condition, SF_MERGE("type")),
    SF_FIELD(3, "message", STRING),
    SF_FIELD(4, "reason", STRING),
    SF_FIELD(11, "nominatedNodeName", STRING),
    SF_FIELD(5, "hostIP", STRING),
    SF_OBJECT_LIST(16, "hostIPs", m_host_ip, SF_MERGE("ip")),
    SF_FIELD(6, "podIP", STRING),
    SF_OBJECT_LIST(12, "podIPs", m_pod_ip, SF_MERGE("ip")),
    SF_OPTIONAL(7, "startTime", TIME),
    SF_OBJECT_LIST(10, "initContainerStatuses", m_container_status),
    SF_OBJECT_LIST(8, "containerStatuses", m_container_status),
    SF_FIELD(9, "qosClass", STRING, SF_NAMED(schema_enum_pod_qos_class)),
    SF_OBJECT_LIST(13, "ephemeralContainerStatuses", m_container_status),
    SF_FIELD(14, "resize", STRING, SF_NAMED(schema_enum_pod_resize_status)),
    SF_OBJECT_LIST(15, "resourceClaimStatuses", m_pod_resource_claim_status, SF_MERGE_RETAIN("name")),
};
static const SchemaMessage m_pod_status = SCHEMA_MESSAGE(CORE_V1, "PodStatus", pod_status_fields);

static const SchemaField pod_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", schema_msg_pod_spec),
    SF_OBJECT(3, "status", m_pod_status),
};
const SchemaMessage schema_msg_pod = SCHEMA_MESSAGE(CORE_V1, "Pod", pod_fields);

static const SchemaField service_port_fields[] = {
    SF_FIELD(1, "name", STRING),
    SF_FIELD(2, "protocol", STRING, SF_NAMED(schema_enum_protocol)),
    SF_OPTIONAL(6, "appProtocol", STRING),
    SF_FIELD(3, "port", INT32, SF_REQUIRED),
    SF_FIELD(4, "targetPort", INT_OR_STRING),
    SF_FIELD(5, "nodePort", INT32),
};
static const SchemaMessage m_service_port =
    SCHEMA_MESSAGE_DESC(CORE_V1, "ServicePort", service_port_fields,
                        "A port a Service exposes and the target port it forwards to on the selected pods.");

static const SchemaField client_ip_config_fields[] = {
    SF_OPTIONAL(1, "timeoutSeconds", INT32),
};
static const SchemaMessage m_client_ip_config =
    SCHEMA_MESSAGE(CORE_V1, "ClientIPConfig", client_ip_config_fields);

static const SchemaField session_affinity_config_fields[] = {
    SF_OBJECT(1, "clientIP", m_client_ip_config),
};
static const SchemaMessage m_session_affinity_config =
    SCHEMA_MESSAGE(CORE_V1, "SessionAffinityConfig", session_affinity_config_fields);

static const SchemaField service_spec_fields[] = {
    SF_OBJECT_LIST(1, "ports", m_service_port, SF_MERGE("port")),
    SF_MAP(2, "selector", STRING),
    SF_FIELD(3, "clusterIP", STRING),
    SF_LIST(18, "clusterIPs", STRING),
    SF_FIELD(4, "type", STRING, SF_NAMED(schema_enum_service_type)),
    SF_LIST(5, "externalIPs", STRING),
    SF_FIELD(7, "sessionAffinity", STRING, SF_NAMED(schema_enum_service_affinity)),
    SF_FIELD(8, "loadBalancerIP", STRING),
    SF_LIST(9, "loadBalancerSourceRanges", STRING),
    SF_FIELD(10, "externalName", STRING),
    SF_FIELD(11, "externalTrafficPolicy", STRING, SF_NAMED(schema_enum_service_external_traffic_policy)),
    SF_FIELD(12, "healthCheckNodePort", INT32),
    SF_FIELD(13, "publishNotReadyAddresses", BOOL),
    SF_OBJECT(14, "sessionAffinityConfig", m_session_affinity_config),
    SF_LIST(19, "ipFamilies", STRING, SF_NAMED(schema_enum_ip_family)),
    SF_OPTIONAL(17, "ipFamilyPolicy", STRING, SF_NAMED(schema_enum_ip_family_policy)),
    SF_OPTIONAL(20, "allocateLoadBalancerNodePorts", BOOL),
    SF_OPTIONAL(21, "loadBalancerClass", STRING),
    SF_OPTIONAL(22, "internalTrafficPolicy", STRING, SF_NAMED(schema_enum_service_internal_traffic_policy)),
    SF_OPTIONAL(23, "trafficDistribution", STRING),
};
static const SchemaMessage m_service_spec =
    SCHEMA_MESSAGE_DESC(CORE_V1, "ServiceSpec", service_spec_fields,
                        "The desired state of a Service: its type, ports, and the pods it selects.");

static const SchemaField port_status_fields[] = {
    SF_FIELD(1, "port", INT32, SF_REQUIRED),
    SF_FIELD(2, "protocol", STRING, SF_NAMED(schema_enum_protocol), SF_REQUIRED),
    SF_OPTIONAL(3, "error", STRING),
};
static const SchemaMessage m_port_status = SCHEMA_MESSAGE(CORE_V1, "PortStatus", port_status_fields);

static const SchemaField load_balancer_ingress_fields[] = {
    SF_FIELD(1, "ip", STRING),
    SF_FIELD(2, "hostname", STRING),
    SF_OPTIONAL(3, "ipMode", STRING, SF_NAMED(schema_enum_load_balancer_ip_mode)),
    SF_OBJECT_LIST(4, "ports", m_port_status),
};
static const SchemaMessage m_load_balancer_ingress =
    SCHEMA_MESSAGE(CORE_V1, "LoadBalancerIngress", load_balancer_ingress_fields);

static const SchemaField load_balancer_status_fields[] = {
    SF_OBJECT_LIST(1, "ingress", m_load_balancer_ingress),
};
static const SchemaMessage m_load_balancer_status =
    SCHEMA_MESSAGE(CORE_V1, "LoadBalancerStatus", load_balancer_status_fields);

static const SchemaField service_status_fields[] = {
    SF_OBJECT(1, "loadBalancer", m_load_balancer_status),
    SF_OBJECT_LIST(2, "conditions", schema_msg_condition, SF_MERGE("type")),
};
static const SchemaMessage m_service_status = SCHEMA_MESSAGE(CORE_V1, "ServiceStatus", service_status_fields);

static const SchemaField service_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_service_spec),
    SF_OBJECT(3, "status", m_service_status),
};
const SchemaMessage schema_msg_service = SCHEMA_MESSAGE(CORE_V1, "Service", service_fields);

static const SchemaField config_map_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OPTIONAL(4, "immutable", BOOL),
    SF_MAP(2, "data", STRING),
    SF_MAP(3, "binaryData", BYTES),
};
const SchemaMessage schema_msg_config_map = SCHEMA_MESSAGE(CORE_V1, "ConfigMap", config_map_fields);

static const SchemaField secret_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OPTIONAL(5, "immutable", BOOL),
    SF_MAP(2, "data", BYTES),
    SF_MAP(4, "stringData", STRING),
    SF_FIELD(3, "type", STRING, SF_NAMED(schema_enum_secret_type)),
};
const SchemaMessage schema_msg_secret = SCHEMA_MESSAGE(CORE_V1, "Secret", secret_fields);

static const SchemaField namespace_spec_fields[] = {
    SF_LIST(1, "finalizers", STRING, SF_NAMED(schema_enum_finalizer_name)),
};
static const SchemaMessage m_namespace_spec = SCHEMA_MESSAGE(CORE_V1, "NamespaceSpec", namespace_spec_fields);

static const SchemaField namespace_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_namespace_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(4, "lastTransitionTime", TIME),
    SF_FIELD(5, "reason", STRING),
    SF_FIELD(6, "message", STRING),
};
static const SchemaMessage m_namespace_condition =
    SCHEMA_MESSAGE(CORE_V1, "NamespaceCondition", namespace_condition_fields);

static const SchemaField namespace_status_fields[] = {
    SF_FIELD(1, "phase", STRING, SF_NAMED(schema_enum_namespace_phase)),
    SF_OBJECT_LIST(2, "conditions", m_namespace_condition, SF_MERGE("type")),
};
static const SchemaMessage m_namespace_status =
    SCHEMA_MESSAGE(CORE_V1, "NamespaceStatus", namespace_status_fields);

static const SchemaField namespace_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_namespace_spec),
    SF_OBJECT(3, "status", m_namespace_status),
};
const SchemaMessage schema_msg_namespace = SCHEMA_MESSAGE(CORE_V1, "Namespace", namespace_fields);

static const SchemaField taint_fields[] = {
    SF_FIELD(1, "key", STRING, SF_REQUIRED),
    SF_FIELD(2, "value", STRING),
    SF_FIELD(3, "effect", STRING, SF_NAMED(schema_enum_taint_effect), SF_REQUIRED),
    SF_OPTIONAL(4, "timeAdded", TIME),
};
static const SchemaMessage m_taint = SCHEMA_MESSAGE(CORE_V1, "Taint", taint_fields);

static const SchemaField config_map_node_config_source_fields[] = {
    SF_FIELD(1, "namespace", STRING, SF_REQUIRED),
    SF_FIELD(2, "name", STRING, SF_REQUIRED),
    SF_FIELD(3, "uid", STRING, SF_NAMED(schema_enum_types_uid)),
    SF_FIELD(4, "resourceVersion", STRING),
    SF_FIELD(5, "kubeletConfigKey", STRING, SF_REQUIRED),
};
static const SchemaMessage m_config_map_node_config_source =
    SCHEMA_MESSAGE(CORE_V1, "ConfigMapNodeConfigSource", config_map_node_config_source_fields);

static const SchemaField node_config_source_fields[] = {
    SF_OBJECT(2, "configMap", m_config_map_node_config_source),
};
static const SchemaMessage m_node_config_source =
    SCHEMA_MESSAGE(CORE_V1, "NodeConfigSource", node_config_source_fields);

static const SchemaField node_spec_fields[] = {
    SF_FIELD(1, "podCIDR", STRING),       SF_LIST(7, "podCIDRs", STRING, SF_MERGE_SET),
    SF_FIELD(3, "providerID", STRING),    SF_FIELD(4, "unschedulable", BOOL),
    SF_OBJECT_LIST(5, "taints", m_taint), SF_OBJECT(6, "configSource", m_node_config_source),
    SF_FIELD(2, "externalID", STRING),
};
static const SchemaMessage m_node_spec = SCHEMA_MESSAGE(CORE_V1, "NodeSpec", node_spec_fields);

static const SchemaField node_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_node_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastHeartbeatTime", TIME),
    SF_FIELD(4, "lastTransitionTime", TIME),
    SF_FIELD(5, "reason", STRING),
    SF_FIELD(6, "message", STRING),
};
static const SchemaMessage m_node_condition = SCHEMA_MESSAGE(CORE_V1, "NodeCondition", node_condition_fields);

static const SchemaField node_address_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_node_address_type), SF_REQUIRED),
    SF_FIELD(2, "address", STRING, SF_REQUIRED),
};
static const SchemaMessage m_node_address = SCHEMA_MESSAGE(CORE_V1, "NodeAddress", node_address_fields);

static const SchemaField daemon_endpoint_fields[] = {
    SF_FIELD(1, "Port", INT32, SF_REQUIRED),
};
static const SchemaMessage m_daemon_endpoint =
    SCHEMA_MESSAGE(CORE_V1, "DaemonEndpoint", daemon_endpoint_fields);

static const SchemaField node_daemon_endpoints_fields[] = {
    SF_OBJECT(1, "kubeletEndpoint", m_daemon_endpoint),
};
static const SchemaMessage m_node_daemon_endpoints =
    SCHEMA_MESSAGE(CORE_V1, "NodeDaemonEndpoints", node_daemon_endpoints_fields);

static const SchemaField node_system_info_fields[] = {
    SF_FIELD(1, "machineID", STRING, SF_REQUIRED),
    SF_FIELD(2, "systemUUID", STRING, SF_REQUIRED),
    SF_FIELD(3, "bootID", STRING, SF_REQUIRED),
    SF_FIELD(4, "kernelVersion", STRING, SF_REQUIRED),
    SF_FIELD(5, "osImage", STRING, SF_REQUIRED),
    SF_FIELD(6, "containerRuntimeVersion", STRING, SF_REQUIRED),
    SF_FIELD(7, "kubeletVersion", STRING, SF_REQUIRED),
    SF_FIELD(8, "kubeProxyVersion", STRING, SF_REQUIRED),
    SF_FIELD(9, "operatingSystem", STRING, SF_REQUIRED),
    SF_FIELD(10, "architecture", STRING, SF_REQUIRED),
};
static const SchemaMessage m_node_system_info =
    SCHEMA_MESSAGE(CORE_V1, "NodeSystemInfo", node_system_info_fields);

static const SchemaField container_image_fields[] = {
    SF_LIST(1, "names", STRING),
    SF_FIELD(2, "sizeBytes", INT64),
};
static const SchemaMessage m_container_image =
    SCHEMA_MESSAGE(CORE_V1, "ContainerImage", container_image_fields);

static const SchemaField attached_volume_fields[] = {
    SF_FIELD(1, "name", STRING, SF_NAMED(schema_enum_unique_volume_name), SF_REQUIRED),
    SF_FIELD(2, "devicePath", STRING, SF_REQUIRED),
};
static const SchemaMessage m_attached_volume =
    SCHEMA_MESSAGE(CORE_V1, "AttachedVolume", attached_volume_fields);

static const SchemaField node_config_status_fields[] = {
    SF_OBJECT(1, "assigned", m_node_config_source),
    SF_OBJECT(2, "active", m_node_config_source),
    SF_OBJECT(3, "lastKnownGood", m_node_config_source),
    SF_FIELD(4, "error", STRING),
};
static const SchemaMessage m_node_config_status =
    SCHEMA_MESSAGE(CORE_V1, "NodeConfigStatus", node_config_status_fields);

static const SchemaField node_runtime_handler_features_fields[] = {
    SF_OPTIONAL(1, "recursiveReadOnlyMounts", BOOL),
    SF_OPTIONAL(2, "userNamespaces", BOOL),
};
static const SchemaMessage m_node_runtime_handler_features =
    SCHEMA_MESSAGE(CORE_V1, "NodeRuntimeHandlerFeatures", node_runtime_handler_features_fields);

static const SchemaField node_runtime_handler_fields[] = {
    SF_FIELD(1, "name", STRING),
    SF_OBJECT(2, "features", m_node_runtime_handler_features),
};
static const SchemaMessage m_node_runtime_handler =
    SCHEMA_MESSAGE(CORE_V1, "NodeRuntimeHandler", node_runtime_handler_fields);

static const SchemaField node_features_fields[] = {
    SF_OPTIONAL(1, "supplementalGroupsPolicy", BOOL),
};
static const SchemaMessage m_node_features = SCHEMA_MESSAGE(CORE_V1, "NodeFeatures", node_features_fields);

static const SchemaField node_status_fields[] = {
    SF_MAP(1, "capacity", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(2, "allocatable", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_FIELD(3, "phase", STRING, SF_NAMED(schema_enum_node_phase)),
    SF_OBJECT_LIST(4, "conditions", m_node_condition, SF_MERGE("type")),
    SF_OBJECT_LIST(5, "addresses", m_node_address, SF_MERGE("type")),
    SF_OBJECT(6, "daemonEndpoints", m_node_daemon_endpoints),
    SF_OBJECT(7, "nodeInfo", m_node_system_info),
    SF_OBJECT_LIST(8, "images", m_container_image),
    SF_LIST(9, "volumesInUse", STRING, SF_NAMED(schema_enum_unique_volume_name)),
    SF_OBJECT_LIST(10, "volumesAttached", m_attached_volume),
    SF_OBJECT(11, "config", m_node_config_status),
    SF_OBJECT_LIST(12, "runtimeHandlers", m_node_runtime_handler),
    SF_OBJECT(13, "features", m_node_features),
};
static const SchemaMessage m_node_status = SCHEMA_MESSAGE(CORE_V1, "NodeStatus", node_status_fields);

static const SchemaField node_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_node_spec),
    SF_OBJECT(3, "status", m_node_status),
};
const SchemaMessage schema_msg_node = SCHEMA_MESSAGE(CORE_V1, "Node", node_fields);

static const SchemaField endpoint_address_fields[] = {
    SF_FIELD(1, "ip", STRING, SF_REQUIRED),
    SF_FIELD(3, "hostname", STRING),
    SF_OPTIONAL(4, "nodeName", STRING),
    SF_OBJECT(2, "targetRef", schema_msg_object_reference),
};
static const SchemaMessage m_endpoint_address =
    SCHEMA_MESSAGE(CORE_V1, "EndpointAddress", endpoint_address_fields);

static const SchemaField endpoint_port_fields[] = {
    SF_FIELD(1, "name", STRING),
    SF_FIELD(2, "port", INT32, SF_REQUIRED),
    SF_FIELD(3, "protocol", STRING, SF_NAMED(schema_enum_protocol)),
    SF_OPTIONAL(4, "appProtocol", STRING),
};
static const SchemaMessage m_endpoint_port = SCHEMA_MESSAGE(CORE_V1, "EndpointPort", endpoint_port_fields);

static const SchemaField endpoint_subset_fields[] = {
    SF_OBJECT_LIST(1, "addresses", m_endpoint_address),
    SF_OBJECT_LIST(2, "notReadyAddresses", m_endpoint_address),
    SF_OBJECT_LIST(3, "ports", m_endpoint_port),
};
static const SchemaMessage m_endpoint_subset =
    SCHEMA_MESSAGE(CORE_V1, "EndpointSubset", endpoint_subset_fields);

static const SchemaField endpoints_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT_LIST(2, "subsets", m_endpoint_subset),
};
const SchemaMessage schema_msg_endpoints = SCHEMA_MESSAGE(CORE_V1, "Endpoints", endpoints_fields);

static const SchemaField event_source_fields[] = {
    SF_FIELD(1, "component", STRING),
    SF_FIELD(2, "host", STRING),
};
const SchemaMessage schema_msg_event_source = SCHEMA_MESSAGE(CORE_V1, "EventSource", event_source_fields);

static const SchemaField event_series_fields[] = {
    SF_FIELD(1, "count", INT32),
    SF_FIELD(2, "lastObservedTime", MICRO_TIME),
};
static const SchemaMessage m_event_series = SCHEMA_MESSAGE(CORE_V1, "EventSeries", event_series_fields);

static const SchemaField event_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta, SF_REQUIRED),
    SF_OBJECT(2, "involvedObject", schema_msg_object_reference, SF_REQUIRED),
    SF_FIELD(3, "reason", STRING),
    SF_FIELD(4, "message", STRING),
    SF_OBJECT(5, "source", schema_msg_event_source),
    SF_FIELD(6, "firstTimestamp", TIME),
    SF_FIELD(7, "lastTimestamp", TIME),
    SF_FIELD(8, "count", INT32),
    SF_FIELD(9, "type", STRING),
    SF_FIELD(10, "eventTime", MICRO_TIME),
    SF_OBJECT(11, "series", m_event_series),
    SF_FIELD(12, "action", STRING),
    SF_OBJECT(13, "related", schema_msg_object_reference),
    SF_FIELD(14, "reportingComponent", STRING),
    SF_FIELD(15, "reportingInstance", STRING),
};
const SchemaMessage schema_msg_event = SCHEMA_MESSAGE(CORE_V1, "Event", event_fields);

static const SchemaField service_account_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT_LIST(2, "secrets", schema_msg_object_reference, SF_MERGE("name")),
    SF_OBJECT_LIST(3, "imagePullSecrets", schema_msg_local_object_reference),
    SF_OPTIONAL(4, "automountServiceAccountToken", BOOL),
};
const SchemaMessage schema_msg_service_account =
    SCHEMA_MESSAGE(CORE_V1, "ServiceAccount", service_account_fields);

static const SchemaField binding_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "target", schema_msg_object_reference, SF_REQUIRED),
};
const SchemaMessage schema_msg_binding = SCHEMA_MESSAGE(CORE_V1, "Binding", binding_fields);

static const SchemaField scoped_resource_selector_requirement_fields[] = {
    SF_FIELD(1, "scopeName", STRING, SF_NAMED(schema_enum_resource_quota_scope), SF_REQUIRED),
    SF_FIELD(2, "operator", STRING, SF_NAMED(schema_enum_scope_selector_operator), SF_REQUIRED),
    SF_LIST(3, "values", STRING),
};
static const SchemaMessage m_scoped_resource_selector_requirement =
    SCHEMA_MESSAGE(CORE_V1, "ScopedResourceSelectorRequirement", scoped_resource_selector_requirement_fields);

static const SchemaField scope_selector_fields[] = {
    SF_OBJECT_LIST(1, "matchExpressions", m_scoped_resource_selector_requirement),
};
static const SchemaMessage m_scope_selector = SCHEMA_MESSAGE(CORE_V1, "ScopeSelector", scope_selector_fields);

static const SchemaField resource_quota_spec_fields[] = {
    SF_MAP(1, "hard", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_LIST(2, "scopes", STRING, SF_NAMED(schema_enum_resource_quota_scope)),
    SF_OBJECT(3, "scopeSelector", m_scope_selector),
};
static const SchemaMessage m_resource_quota_spec =
    SCHEMA_MESSAGE(CORE_V1, "ResourceQuotaSpec", resource_quota_spec_fields);

static const SchemaField resource_quota_status_fields[] = {
    SF_MAP(1, "hard", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(2, "used", QUANTITY, SF_NAMED(schema_enum_resource_list)),
};
static const SchemaMessage m_resource_quota_status =
    SCHEMA_MESSAGE(CORE_V1, "ResourceQuotaStatus", resource_quota_status_fields);

static const SchemaField resource_quota_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_resource_quota_spec),
    SF_OBJECT(3, "status", m_resource_quota_status),
};
const SchemaMessage schema_msg_resource_quota =
    SCHEMA_MESSAGE(CORE_V1, "ResourceQuota", resource_quota_fields);

static const SchemaField limit_range_item_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_limit_type), SF_REQUIRED),
    SF_MAP(2, "max", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(3, "min", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(4, "default", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(5, "defaultRequest", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(6, "maxLimitRequestRatio", QUANTITY, SF_NAMED(schema_enum_resource_list)),
};
static const SchemaMessage m_limit_range_item =
    SCHEMA_MESSAGE(CORE_V1, "LimitRangeItem", limit_range_item_fields);

static const SchemaField limit_range_spec_fields[] = {
    SF_OBJECT_LIST(1, "limits", m_limit_range_item, SF_REQUIRED),
};
static const SchemaMessage m_limit_range_spec =
    SCHEMA_MESSAGE(CORE_V1, "LimitRangeSpec", limit_range_spec_fields);

static const SchemaField limit_range_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_limit_range_spec),
};
const SchemaMessage schema_msg_limit_range = SCHEMA_MESSAGE(CORE_V1, "LimitRange", limit_range_fields);

static const SchemaField pod_template_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "template", schema_msg_pod_template_spec),
};
const SchemaMessage schema_msg_pod_template = SCHEMA_MESSAGE(CORE_V1, "PodTemplate", pod_template_fields);

static const SchemaField replication_controller_spec_fields[] = {
    SF_OPTIONAL(1, "replicas", INT32),
    SF_FIELD(4, "minReadySeconds", INT32),
    SF_MAP(2, "selector", STRING),
    SF_OBJECT(3, "template", schema_msg_pod_template_spec),
};
static const SchemaMessage m_replication_controller_spec =
    SCHEMA_MESSAGE(CORE_V1, "ReplicationControllerSpec", replication_controller_spec_fields);

static const SchemaField replication_controller_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_replication_controller_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastTransitionTime", TIME),
    SF_FIELD(4, "reason", STRING),
    SF_FIELD(5, "message", STRING),
};
static const SchemaMessage m_replication_controller_condition =
    SCHEMA_MESSAGE(CORE_V1, "ReplicationControllerCondition", replication_controller_condition_fields);

static const SchemaField replication_controller_status_fields[] = {
    SF_FIELD(1, "replicas", INT32, SF_REQUIRED),
    SF_FIELD(2, "fullyLabeledReplicas", INT32),
    SF_FIELD(4, "readyReplicas", INT32),
    SF_FIELD(5, "availableReplicas", INT32),
    SF_FIELD(3, "observedGeneration", INT64),
    SF_OBJECT_LIST(6, "conditions", m_replication_controller_condition, SF_MERGE("type")),
};
static const SchemaMessage m_replication_controller_status =
    SCHEMA_MESSAGE(CORE_V1, "ReplicationControllerStatus", replication_controller_status_fields);

static const SchemaField replication_controller_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_replication_controller_spec),
    SF_OBJECT(3, "status", m_replication_controller_status),
};
const SchemaMessage schema_msg_replication_controller =
    SCHEMA_MESSAGE(CORE_V1, "ReplicationController", replication_controller_fields);
