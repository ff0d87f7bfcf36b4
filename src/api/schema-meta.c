/* Schema tables of the meta/v1 structs every kind embeds or refers to (k8s.io/apimachinery/pkg/apis/meta/v1):
 * ObjectMeta with its owner references and managed fields, LabelSelector, Condition, and DeleteOptions for
 * Eviction. Field facts (JSON names, protobuf numbers, Go types, pointer-ness, patch tags, required-ness)
 * are those of Kubernetes v1.32; see schema-internal.h for the row macros. */
#include "api/schema-internal.h"

/* ---- meta/v1 ---- */

static const SchemaField owner_reference_fields[] = {
    SF_FIELD(5, "apiVersion", STRING),
    SF_FIELD(1, "kind", STRING),
    SF_FIELD(3, "name", STRING, SF_REQUIRED),
    SF_FIELD(4, "uid", STRING, SF_NAMED(schema_enum_types_uid), SF_REQUIRED),
    SF_OPTIONAL(6, "controller", BOOL),
    SF_OPTIONAL(7, "blockOwnerDeletion", BOOL),
};
static const SchemaMessage m_owner_reference =
    SCHEMA_MESSAGE(META_V1, "OwnerReference", owner_reference_fields);

static const SchemaField managed_fields_entry_fields[] = {
    SF_FIELD(1, "manager", STRING),
    SF_FIELD(2, "operation", STRING, SF_NAMED(schema_enum_managed_fields_operation_type)),
    SF_FIELD(3, "apiVersion", STRING),
    SF_OPTIONAL(4, "time", TIME),
    SF_FIELD(6, "fieldsType", STRING),
    SF_OPTIONAL(7, "fieldsV1", RAW_EXTENSION),
    SF_FIELD(8, "subresource", STRING),
};
static const SchemaMessage m_managed_fields_entry =
    SCHEMA_MESSAGE(META_V1, "ManagedFieldsEntry", managed_fields_entry_fields);

static const SchemaField object_meta_fields[] = {
    SF_FIELD(1, "name", STRING),
    SF_FIELD(2, "generateName", STRING),
    SF_FIELD(3, "namespace", STRING),
    SF_FIELD(4, "selfLink", STRING),
    SF_FIELD(5, "uid", STRING, SF_NAMED(schema_enum_types_uid)),
    SF_FIELD(6, "resourceVersion", STRING),
    SF_FIELD(7, "generation", INT64),
    SF_FIELD(8, "creationTimestamp", TIME),
    SF_OPTIONAL(9, "deletionTimestamp", TIME),
    SF_OPTIONAL(10, "deletionGracePeriodSeconds", INT64),
    SF_MAP(11, "labels", STRING),
    SF_MAP(12, "annotations", STRING),
    SF_OBJECT_LIST(13, "ownerReferences", m_owner_reference, SF_MERGE("uid")),
    SF_LIST(14, "finalizers", STRING, SF_MERGE_SET),
    SF_OBJECT_LIST(17, "managedFields", m_managed_fields_entry),
};
const SchemaMessage schema_msg_object_meta =
    SCHEMA_MESSAGE_DESC(META_V1, "ObjectMeta", object_meta_fields,
                        "Metadata every persisted object has: name, namespace, labels, annotations, owners, "
                        "and fields the system maintains.");

static const SchemaField label_selector_requirement_fields[] = {
    SF_FIELD(1, "key", STRING, SF_REQUIRED),
    SF_FIELD(2, "operator", STRING, SF_NAMED(schema_enum_label_selector_operator), SF_REQUIRED),
    SF_LIST(3, "values", STRING),
};
static const SchemaMessage m_label_selector_requirement =
    SCHEMA_MESSAGE(META_V1, "LabelSelectorRequirement", label_selector_requirement_fields);

static const SchemaField label_selector_fields[] = {
    SF_MAP(1, "matchLabels", STRING),
    SF_OBJECT_LIST(2, "matchExpressions", m_label_selector_requirement),
};
const SchemaMessage schema_msg_label_selector =
    SCHEMA_MESSAGE_DESC(META_V1, "LabelSelector", label_selector_fields,
                        "Selects objects by their labels; the conditions of matchLabels and matchExpressions "
                        "are ANDed. An empty selector matches everything.");

static const SchemaField condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_meta_condition_status), SF_REQUIRED),
    SF_FIELD(3, "observedGeneration", INT64),
    SF_FIELD(4, "lastTransitionTime", TIME, SF_REQUIRED),
    SF_FIELD(5, "reason", STRING, SF_REQUIRED),
    SF_FIELD(6, "message", STRING, SF_REQUIRED),
};
const SchemaMessage schema_msg_condition = SCHEMA_MESSAGE(META_V1, "Condition", condition_fields);

static const SchemaField preconditions_fields[] = {
    SF_OPTIONAL(1, "uid", STRING, SF_NAMED(schema_enum_types_uid)),
    SF_OPTIONAL(2, "resourceVersion", STRING),
};
static const SchemaMessage m_preconditions = SCHEMA_MESSAGE(META_V1, "Preconditions", preconditions_fields);

static const SchemaField delete_options_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OPTIONAL(1, "gracePeriodSeconds", INT64),
    SF_OBJECT(2, "preconditions", m_preconditions),
    SF_OPTIONAL(3, "orphanDependents", BOOL),
    SF_OPTIONAL(4, "propagationPolicy", STRING, SF_NAMED(schema_enum_deletion_propagation)),
    SF_LIST(5, "dryRun", STRING),
    SF_OPTIONAL(6, "ignoreStoreReadErrorWithClusterBreakingPotential", BOOL),
};
const SchemaMessage schema_msg_delete_options =
    SCHEMA_MESSAGE(META_V1, "DeleteOptions", delete_options_fields);
