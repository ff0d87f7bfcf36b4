/* Schema tables of the smaller groups: coordination.k8s.io (Lease), discovery.k8s.io (EndpointSlice),
 * events.k8s.io (Event), networking.k8s.io (Ingress, IngressClass, NetworkPolicy), policy
 * (PodDisruptionBudget, Eviction), rbac.authorization.k8s.io (Role, ClusterRole and their bindings),
 * scheduling.k8s.io (PriorityClass). Facts are those of Kubernetes v1.32. */
#include "api/schema-internal.h"

/* ---- coordination/v1 ---- */

static const SchemaField lease_spec_fields[] = {
    SF_OPTIONAL(1, "holderIdentity", STRING),
    SF_OPTIONAL(2, "leaseDurationSeconds", INT32),
    SF_OPTIONAL(3, "acquireTime", MICRO_TIME),
    SF_OPTIONAL(4, "renewTime", MICRO_TIME),
    SF_OPTIONAL(5, "leaseTransitions", INT32),
    SF_OPTIONAL(6, "strategy", STRING, SF_NAMED(schema_enum_coordinated_lease_strategy)),
    SF_OPTIONAL(7, "preferredHolder", STRING),
};
static const SchemaMessage m_lease_spec = SCHEMA_MESSAGE(COORDINATION_V1, "LeaseSpec", lease_spec_fields);

static const SchemaField lease_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_lease_spec),
};
const SchemaMessage schema_msg_lease = SCHEMA_MESSAGE(COORDINATION_V1, "Lease", lease_fields);

/* ---- discovery/v1 ---- */

static const SchemaField endpoint_conditions_fields[] = {
    SF_OPTIONAL(1, "ready", BOOL),
    SF_OPTIONAL(2, "serving", BOOL),
    SF_OPTIONAL(3, "terminating", BOOL),
};
static const SchemaMessage m_endpoint_conditions =
    SCHEMA_MESSAGE(DISCOVERY_V1, "EndpointConditions", endpoint_conditions_fields);

static const SchemaField for_zone_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
};
static const SchemaMessage m_for_zone = SCHEMA_MESSAGE(DISCOVERY_V1, "ForZone", for_zone_fields);

static const SchemaField endpoint_hints_fields[] = {
    SF_OBJECT_LIST(1, "forZones", m_for_zone),
};
static const SchemaMessage m_endpoint_hints =
    SCHEMA_MESSAGE(DISCOVERY_V1, "EndpointHints", endpoint_hints_fields);

static const SchemaField endpoint_fields[] = {
    SF_LIST(1, "addresses", STRING, SF_REQUIRED),
    SF_OBJECT(2, "conditions", m_endpoint_conditions),
    SF_OPTIONAL(3, "hostname", STRING),
    SF_OBJECT(4, "targetRef", schema_msg_object_reference),
    SF_MAP(5, "deprecatedTopology", STRING),
    SF_OPTIONAL(6, "nodeName", STRING),
    SF_OPTIONAL(7, "zone", STRING),
    SF_OBJECT(8, "hints", m_endpoint_hints),
};
static const SchemaMessage m_endpoint = SCHEMA_MESSAGE(DISCOVERY_V1, "Endpoint", endpoint_fields);

static const SchemaField discovery_endpoint_port_fields[] = {
    SF_OPTIONAL(1, "name", STRING),
    SF_OPTIONAL(2, "protocol", STRING, SF_NAMED(schema_enum_protocol)),
    SF_OPTIONAL(3, "port", INT32),
    SF_OPTIONAL(4, "appProtocol", STRING),
};
static const SchemaMessage m_discovery_endpoint_port =
    SCHEMA_MESSAGE(DISCOVERY_V1, "EndpointPort", discovery_endpoint_port_fields);

static const SchemaField endpoint_slice_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_FIELD(4, "addressType", STRING, SF_NAMED(schema_enum_address_type), SF_REQUIRED),
    SF_OBJECT_LIST(2, "endpoints", m_endpoint, SF_REQUIRED),
    SF_OBJECT_LIST(3, "ports", m_discovery_endpoint_port),
};
const SchemaMessage schema_msg_endpoint_slice =
    SCHEMA_MESSAGE(DISCOVERY_V1, "EndpointSlice", endpoint_slice_fields);

/* ---- events/v1 ---- */

static const SchemaField events_event_series_fields[] = {
    SF_FIELD(1, "count", INT32, SF_REQUIRED),
    SF_FIELD(2, "lastObservedTime", MICRO_TIME, SF_REQUIRED),
};
static const SchemaMessage m_events_event_series =
    SCHEMA_MESSAGE(EVENTS_V1, "EventSeries", events_event_series_fields);

static const SchemaField events_event_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_FIELD(2, "eventTime", MICRO_TIME, SF_REQUIRED),
    SF_OBJECT(3, "series", m_events_event_series),
    SF_FIELD(4, "reportingController", STRING),
    SF_FIELD(5, "reportingInstance", STRING),
    SF_FIELD(6, "action", STRING),
    SF_FIELD(7, "reason", STRING),
    SF_OBJECT(8, "regarding", schema_msg_object_reference),
    SF_OBJECT(9, "related", schema_msg_object_reference),
    SF_FIELD(10, "note", STRING),
    SF_FIELD(11, "type", STRING),
    SF_OBJECT(12, "deprecatedSource", schema_msg_event_source),
    SF_FIELD(13, "deprecatedFirstTimestamp", TIME),
    SF_FIELD(14, "deprecatedLastTimestamp", TIME),
    SF_FIELD(15, "deprecatedCount", INT32),
};
const SchemaMessage schema_msg_events_event = SCHEMA_MESSAGE(EVENTS_V1, "Event", events_event_fields);

/* ---- networking/v1 ---- */

static const SchemaField service_backend_port_fields[] = {
    SF_FIELD(1, "name", STRING),
    SF_FIELD(2, "number", INT32),
};
static const SchemaMessage m_service_backend_port =
    SCHEMA_MESSAGE(NETWORKING_V1, "ServiceBackendPort", service_backend_port_fields);

static const SchemaField ingress_service_backend_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_OBJECT(2, "port", m_service_backend_port),
};
static const SchemaMessage m_ingress_service_backend =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressServiceBackend", ingress_service_backend_fields);

static const SchemaField ingress_backend_fields[] = {
    SF_OBJECT(4, "service", m_ingress_service_backend),
    SF_OBJECT(3, "resource", schema_msg_typed_local_object_reference),
};
static const SchemaMessage m_ingress_backend =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressBackend", ingress_backend_fields);

static const SchemaField ingress_tls_fields[] = {
    SF_LIST(1, "hosts", STRING),
    SF_FIELD(2, "secretName", STRING),
};
static const SchemaMessage m_ingress_tls = SCHEMA_MESSAGE(NETWORKING_V1, "IngressTLS", ingress_tls_fields);

static const SchemaField http_ingress_path_fields[] = {
    SF_FIELD(1, "path", STRING),
    SF_OPTIONAL(3, "pathType", STRING, SF_NAMED(schema_enum_path_type), SF_REQUIRED),
    SF_OBJECT(2, "backend", m_ingress_backend, SF_REQUIRED),
};
static const SchemaMessage m_http_ingress_path =
    SCHEMA_MESSAGE(NETWORKING_V1, "HTTPIngressPath", http_ingress_path_fields);

static const SchemaField http_ingress_rule_value_fields[] = {
    SF_OBJECT_LIST(1, "paths", m_http_ingress_path, SF_REQUIRED),
};
static const SchemaMessage m_http_ingress_rule_value =
    SCHEMA_MESSAGE(NETWORKING_V1, "HTTPIngressRuleValue", http_ingress_rule_value_fields);

static const SchemaField ingress_rule_value_fields[] = {
    SF_OBJECT(1, "http", m_http_ingress_rule_value),
};
static const SchemaMessage m_ingress_rule_value =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressRuleValue", ingress_rule_value_fields);

static const SchemaField ingress_rule_fields[] = {
    SF_FIELD(1, "host", STRING),
    SF_EMBEDDED(2, m_ingress_rule_value),
};
static const SchemaMessage m_ingress_rule = SCHEMA_MESSAGE(NETWORKING_V1, "IngressRule", ingress_rule_fields);

static const SchemaField ingress_spec_fields[] = {
    SF_OPTIONAL(4, "ingressClassName", STRING),
    SF_OBJECT(1, "defaultBackend", m_ingress_backend),
    SF_OBJECT_LIST(2, "tls", m_ingress_tls),
    SF_OBJECT_LIST(3, "rules", m_ingress_rule),
};
static const SchemaMessage m_ingress_spec =
    SCHEMA_MESSAGE_DESC(NETWORKING_V1, "IngressSpec", ingress_spec_fields,
                        "The rules that route hosts and paths to backends, and the TLS certificates to use.");

static const SchemaField ingress_port_status_fields[] = {
    SF_FIELD(1, "port", INT32, SF_REQUIRED),
    SF_FIELD(2, "protocol", STRING, SF_NAMED(schema_enum_protocol), SF_REQUIRED),
    SF_OPTIONAL(3, "error", STRING),
};
static const SchemaMessage m_ingress_port_status =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressPortStatus", ingress_port_status_fields);

static const SchemaField ingress_load_balancer_ingress_fields[] = {
    SF_FIELD(1, "ip", STRING),
    SF_FIELD(2, "hostname", STRING),
    SF_OBJECT_LIST(4, "ports", m_ingress_port_status),
};
static const SchemaMessage m_ingress_load_balancer_ingress =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressLoadBalancerIngress", ingress_load_balancer_ingress_fields);

static const SchemaField ingress_load_balancer_status_fields[] = {
    SF_OBJECT_LIST(1, "ingress", m_ingress_load_balancer_ingress),
};
static const SchemaMessage m_ingress_load_balancer_status =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressLoadBalancerStatus", ingress_load_balancer_status_fields);

static const SchemaField ingress_status_fields[] = {
    SF_OBJECT(1, "loadBalancer", m_ingress_load_balancer_status),
};
static const SchemaMessage m_ingress_status =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressStatus", ingress_status_fields);

static const SchemaField ingress_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_ingress_spec),
    SF_OBJECT(3, "status", m_ingress_status),
};
const SchemaMessage schema_msg_ingress = SCHEMA_MESSAGE(NETWORKING_V1, "Ingress", ingress_fields);

static const SchemaField ingress_class_parameters_reference_fields[] = {
    SF_OPTIONAL(1, "apiGroup", STRING),       SF_FIELD(2, "kind", STRING),
    SF_FIELD(3, "name", STRING, SF_REQUIRED), SF_OPTIONAL(4, "scope", STRING),
    SF_OPTIONAL(5, "namespace", STRING),
};
static const SchemaMessage m_ingress_class_parameters_reference = SCHEMA_MESSAGE(
    NETWORKING_V1, "IngressClassParametersReference", ingress_class_parameters_reference_fields);

static const SchemaField ingress_class_spec_fields[] = {
    SF_FIELD(1, "controller", STRING),
    SF_OBJECT(2, "parameters", m_ingress_class_parameters_reference),
};
static const SchemaMessage m_ingress_class_spec =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressClassSpec", ingress_class_spec_fields);

static const SchemaField ingress_class_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_ingress_class_spec),
};
const SchemaMessage schema_msg_ingress_class =
    SCHEMA_MESSAGE(NETWORKING_V1, "IngressClass", ingress_class_fields);

static const SchemaField network_policy_port_fields[] = {
    SF_OPTIONAL(1, "protocol", STRING, SF_NAMED(schema_enum_protocol)),
    SF_OPTIONAL(2, "port", INT_OR_STRING),
    SF_OPTIONAL(3, "endPort", INT32),
};
static const SchemaMessage m_network_policy_port =
    SCHEMA_MESSAGE(NETWORKING_V1, "NetworkPolicyPort", network_policy_port_fields);

static const SchemaField ip_block_fields[] = {
    SF_FIELD(1, "cidr", STRING, SF_REQUIRED),
    SF_LIST(2, "except", STRING),
};
static const SchemaMessage m_ip_block = SCHEMA_MESSAGE(NETWORKING_V1, "IPBlock", ip_block_fields);

static const SchemaField network_policy_peer_fields[] = {
    SF_OBJECT(1, "podSelector", schema_msg_label_selector),
    SF_OBJECT(2, "namespaceSelector", schema_msg_label_selector),
    SF_OBJECT(3, "ipBlock", m_ip_block),
};
static const SchemaMessage m_network_policy_peer =
    SCHEMA_MESSAGE(NETWORKING_V1, "NetworkPolicyPeer", network_policy_peer_fields);

static const SchemaField network_policy_ingress_rule_fields[] = {
    SF_OBJECT_LIST(1, "ports", m_network_policy_port),
    SF_OBJECT_LIST(2, "from", m_network_policy_peer),
};
static const SchemaMessage m_network_policy_ingress_rule =
    SCHEMA_MESSAGE(NETWORKING_V1, "NetworkPolicyIngressRule", network_policy_ingress_rule_fields);

static const SchemaField network_policy_egress_rule_fields[] = {
    SF_OBJECT_LIST(1, "ports", m_network_policy_port),
    SF_OBJECT_LIST(2, "to", m_network_policy_peer),
};
static const SchemaMessage m_network_policy_egress_rule =
    SCHEMA_MESSAGE(NETWORKING_V1, "NetworkPolicyEgressRule", network_policy_egress_rule_fields);

static const SchemaField network_policy_spec_fields[] = {
    SF_OBJECT(1, "podSelector", schema_msg_label_selector, SF_REQUIRED),
    SF_OBJECT_LIST(2, "ingress", m_network_policy_ingress_rule),
    SF_OBJECT_LIST(3, "egress", m_network_policy_egress_rule),
    SF_LIST(4, "policyTypes", STRING, SF_NAMED(schema_enum_policy_type)),
};
static const SchemaMessage m_network_policy_spec =
    SCHEMA_MESSAGE(NETWORKING_V1, "NetworkPolicySpec", network_policy_spec_fields);

static const SchemaField network_policy_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_network_policy_spec),
};
const SchemaMessage schema_msg_network_policy =
    SCHEMA_MESSAGE(NETWORKING_V1, "NetworkPolicy", network_policy_fields);

/* ---- policy/v1 ---- */

static const SchemaField pod_disruption_budget_spec_fields[] = {
    SF_OPTIONAL(1, "minAvailable", INT_OR_STRING),
    SF_OBJECT(2, "selector", schema_msg_label_selector, SF_REPLACE),
    SF_OPTIONAL(3, "maxUnavailable", INT_OR_STRING),
    SF_OPTIONAL(4, "unhealthyPodEvictionPolicy", STRING,
                SF_NAMED(schema_enum_unhealthy_pod_eviction_policy_type)),
};
static const SchemaMessage m_pod_disruption_budget_spec =
    SCHEMA_MESSAGE(POLICY_V1, "PodDisruptionBudgetSpec", pod_disruption_budget_spec_fields);

static const SchemaField pod_disruption_budget_status_fields[] = {
    SF_FIELD(1, "observedGeneration", INT64),
    SF_MAP(2, "disruptedPods", TIME),
    SF_FIELD(3, "disruptionsAllowed", INT32, SF_REQUIRED),
    SF_FIELD(4, "currentHealthy", INT32, SF_REQUIRED),
    SF_FIELD(5, "desiredHealthy", INT32, SF_REQUIRED),
    SF_FIELD(6, "expectedPods", INT32, SF_REQUIRED),
    SF_OBJECT_LIST(7, "conditions", schema_msg_condition, SF_MERGE("type")),
};
static const SchemaMessage m_pod_disruption_budget_status =
    SCHEMA_MESSAGE(POLICY_V1, "PodDisruptionBudgetStatus", pod_disruption_budget_status_fields);

static const SchemaField pod_disruption_budget_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_pod_disruption_budget_spec),
    SF_OBJECT(3, "status", m_pod_disruption_budget_status),
};
const SchemaMessage schema_msg_pod_disruption_budget =
    SCHEMA_MESSAGE(POLICY_V1, "PodDisruptionBudget", pod_disruption_budget_fields);

static const SchemaField eviction_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "deleteOptions", schema_msg_delete_options),
};
const SchemaMessage schema_msg_eviction = SCHEMA_MESSAGE(POLICY_V1, "Eviction", eviction_fields);

/* ---- rbac/v1 ---- */

static const SchemaField policy_rule_fields[] = {
    SF_LIST(1, "verbs", STRING, SF_REQUIRED), SF_LIST(2, "apiGroups", STRING),
    SF_LIST(3, "resources", STRING),          SF_LIST(4, "resourceNames", STRING),
    SF_LIST(5, "nonResourceURLs", STRING),
};
static const SchemaMessage m_policy_rule = SCHEMA_MESSAGE(RBAC_V1, "PolicyRule", policy_rule_fields);

static const SchemaField role_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT_LIST(2, "rules", m_policy_rule),
};
const SchemaMessage schema_msg_role = SCHEMA_MESSAGE(RBAC_V1, "Role", role_fields);

static const SchemaField aggregation_rule_fields[] = {
    SF_OBJECT_LIST(1, "clusterRoleSelectors", schema_msg_label_selector),
};
static const SchemaMessage m_aggregation_rule =
    SCHEMA_MESSAGE(RBAC_V1, "AggregationRule", aggregation_rule_fields);

static const SchemaField cluster_role_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT_LIST(2, "rules", m_policy_rule),
    SF_OBJECT(3, "aggregationRule", m_aggregation_rule),
};
const SchemaMessage schema_msg_cluster_role = SCHEMA_MESSAGE(RBAC_V1, "ClusterRole", cluster_role_fields);

static const SchemaField subject_fields[] = {
    SF_FIELD(1, "kind", STRING),
    SF_FIELD(2, "apiGroup", STRING),
    SF_FIELD(3, "name", STRING, SF_REQUIRED),
    SF_FIELD(4, "namespace", STRING),
};
static const SchemaMessage m_subject = SCHEMA_MESSAGE(RBAC_V1, "Subject", subject_fields);

static const SchemaField role_ref_fields[] = {
    SF_FIELD(1, "apiGroup", STRING, SF_REQUIRED),
    SF_FIELD(2, "kind", STRING),
    SF_FIELD(3, "name", STRING, SF_REQUIRED),
};
static const SchemaMessage m_role_ref = SCHEMA_MESSAGE(RBAC_V1, "RoleRef", role_ref_fields);

static const SchemaField role_binding_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT_LIST(2, "subjects", m_subject),
    SF_OBJECT(3, "roleRef", m_role_ref, SF_REQUIRED),
};
const SchemaMessage schema_msg_role_binding = SCHEMA_MESSAGE(RBAC_V1, "RoleBinding", role_binding_fields);

static const SchemaField cluster_role_binding_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT_LIST(2, "subjects", m_subject),
    SF_OBJECT(3, "roleRef", m_role_ref, SF_REQUIRED),
};
const SchemaMessage schema_msg_cluster_role_binding =
    SCHEMA_MESSAGE(RBAC_V1, "ClusterRoleBinding", cluster_role_binding_fields);

/* ---- scheduling/v1 ---- */

static const SchemaField priority_class_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_FIELD(2, "value", INT32, SF_REQUIRED),
    SF_FIELD(3, "globalDefault", BOOL),
    SF_FIELD(4, "description", STRING),
    SF_OPTIONAL(5, "preemptionPolicy", STRING, SF_NAMED(schema_enum_preemption_policy)),
};
const SchemaMessage schema_msg_priority_class =
    SCHEMA_MESSAGE(SCHEDULING_V1, "PriorityClass", priority_class_fields);
