/* Schema tables of storage: core/v1 PersistentVolume (with the persistent variants of the volume
 * sources), PersistentVolumeClaim, ObjectReference, and storage.k8s.io/v1 StorageClass. Facts are those of
 * Kubernetes v1.32. */
#include "api/schema-internal.h"

/* ---- core/v1 ---- */

static const SchemaField glusterfs_persistent_volume_source_fields[] = {
    SF_FIELD(1, "endpoints", STRING, SF_REQUIRED),
    SF_FIELD(2, "path", STRING, SF_REQUIRED),
    SF_FIELD(3, "readOnly", BOOL),
    SF_OPTIONAL(4, "endpointsNamespace", STRING),
};
static const SchemaMessage m_glusterfs_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "GlusterfsPersistentVolumeSource", glusterfs_persistent_volume_source_fields);

static const SchemaField secret_reference_fields[] = {
    SF_FIELD(1, "name", STRING),
    SF_FIELD(2, "namespace", STRING),
};
static const SchemaMessage m_secret_reference =
    SCHEMA_MESSAGE(CORE_V1, "SecretReference", secret_reference_fields);

static const SchemaField rbd_persistent_volume_source_fields[] = {
    SF_LIST(1, "monitors", STRING, SF_REQUIRED),
    SF_FIELD(2, "image", STRING, SF_REQUIRED),
    SF_FIELD(3, "fsType", STRING),
    SF_FIELD(4, "pool", STRING),
    SF_FIELD(5, "user", STRING),
    SF_FIELD(6, "keyring", STRING),
    SF_OBJECT(7, "secretRef", m_secret_reference),
    SF_FIELD(8, "readOnly", BOOL),
};
static const SchemaMessage m_rbd_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "RBDPersistentVolumeSource", rbd_persistent_volume_source_fields);

static const SchemaField iscsi_persistent_volume_source_fields[] = {
    SF_FIELD(1, "targetPortal", STRING, SF_REQUIRED),
    SF_FIELD(2, "iqn", STRING, SF_REQUIRED),
    SF_FIELD(3, "lun", INT32, SF_REQUIRED),
    SF_FIELD(4, "iscsiInterface", STRING),
    SF_FIELD(5, "fsType", STRING),
    SF_FIELD(6, "readOnly", BOOL),
    SF_LIST(7, "portals", STRING),
    SF_FIELD(8, "chapAuthDiscovery", BOOL),
    SF_FIELD(11, "chapAuthSession", BOOL),
    SF_OBJECT(10, "secretRef", m_secret_reference),
    SF_OPTIONAL(12, "initiatorName", STRING),
};
static const SchemaMessage m_iscsi_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "ISCSIPersistentVolumeSource", iscsi_persistent_volume_source_fields);

static const SchemaField cinder_persistent_volume_source_fields[] = {
    SF_FIELD(1, "volumeID", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
    SF_FIELD(3, "readOnly", BOOL),
    SF_OBJECT(4, "secretRef", m_secret_reference),
};
static const SchemaMessage m_cinder_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "CinderPersistentVolumeSource", cinder_persistent_volume_source_fields);

static const SchemaField ceph_fs_persistent_volume_source_fields[] = {
    SF_LIST(1, "monitors", STRING, SF_REQUIRED),
    SF_FIELD(2, "path", STRING),
    SF_FIELD(3, "user", STRING),
    SF_FIELD(4, "secretFile", STRING),
    SF_OBJECT(5, "secretRef", m_secret_reference),
    SF_FIELD(6, "readOnly", BOOL),
};
static const SchemaMessage m_ceph_fs_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "CephFSPersistentVolumeSource", ceph_fs_persistent_volume_source_fields);

static const SchemaField flex_persistent_volume_source_fields[] = {
    SF_FIELD(1, "driver", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
    SF_OBJECT(3, "secretRef", m_secret_reference),
    SF_FIELD(4, "readOnly", BOOL),
    SF_MAP(5, "options", STRING),
};
static const SchemaMessage m_flex_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "FlexPersistentVolumeSource", flex_persistent_volume_source_fields);

static const SchemaField azure_file_persistent_volume_source_fields[] = {
    SF_FIELD(1, "secretName", STRING, SF_REQUIRED),
    SF_FIELD(2, "shareName", STRING, SF_REQUIRED),
    SF_FIELD(3, "readOnly", BOOL),
    SF_OPTIONAL(4, "secretNamespace", STRING),
};
static const SchemaMessage m_azure_file_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "AzureFilePersistentVolumeSource", azure_file_persistent_volume_source_fields);

static const SchemaField scale_io_persistent_volume_source_fields[] = {
    SF_FIELD(1, "gateway", STRING, SF_REQUIRED),
    SF_FIELD(2, "system", STRING, SF_REQUIRED),
    SF_OBJECT(3, "secretRef", m_secret_reference, SF_REQUIRED),
    SF_FIELD(4, "sslEnabled", BOOL),
    SF_FIELD(5, "protectionDomain", STRING),
    SF_FIELD(6, "storagePool", STRING),
    SF_FIELD(7, "storageMode", STRING),
    SF_FIELD(8, "volumeName", STRING),
    SF_FIELD(9, "fsType", STRING),
    SF_FIELD(10, "readOnly", BOOL),
};
static const SchemaMessage m_scale_io_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "ScaleIOPersistentVolumeSource", scale_io_persistent_volume_source_fields);

static const SchemaField local_volume_source_fields[] = {
    SF_FIELD(1, "path", STRING, SF_REQUIRED),
    SF_OPTIONAL(2, "fsType", STRING),
};
static const SchemaMessage m_local_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "LocalVolumeSource", local_volume_source_fields);

static const SchemaField object_reference_fields[] = {
    SF_FIELD(1, "kind", STRING),       SF_FIELD(2, "namespace", STRING),
    SF_FIELD(3, "name", STRING),       SF_FIELD(4, "uid", STRING, SF_NAMED(schema_enum_types_uid)),
    SF_FIELD(5, "apiVersion", STRING), SF_FIELD(6, "resourceVersion", STRING),
    SF_FIELD(7, "fieldPath", STRING),
};
const SchemaMessage schema_msg_object_reference =
    SCHEMA_MESSAGE(CORE_V1, "ObjectReference", object_reference_fields);

static const SchemaField storage_os_persistent_volume_source_fields[] = {
    SF_FIELD(1, "volumeName", STRING),
    SF_FIELD(2, "volumeNamespace", STRING),
    SF_FIELD(3, "fsType", STRING),
    SF_FIELD(4, "readOnly", BOOL),
    SF_OBJECT(5, "secretRef", schema_msg_object_reference),
};
static const SchemaMessage m_storage_os_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "StorageOSPersistentVolumeSource", storage_os_persistent_volume_source_fields);

static const SchemaField csi_persistent_volume_source_fields[] = {
    SF_FIELD(1, "driver", STRING, SF_REQUIRED),
    SF_FIELD(2, "volumeHandle", STRING, SF_REQUIRED),
    SF_FIELD(3, "readOnly", BOOL),
    SF_FIELD(4, "fsType", STRING),
    SF_MAP(5, "volumeAttributes", STRING),
    SF_OBJECT(6, "controllerPublishSecretRef", m_secret_reference),
    SF_OBJECT(7, "nodeStageSecretRef", m_secret_reference),
    SF_OBJECT(8, "nodePublishSecretRef", m_secret_reference),
    SF_OBJECT(9, "controllerExpandSecretRef", m_secret_reference),
    SF_OBJECT(10, "nodeExpandSecretRef", m_secret_reference),
};
static const SchemaMessage m_csi_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "CSIPersistentVolumeSource", csi_persistent_volume_source_fields);

static const SchemaField persistent_volume_source_fields[] = {
    SF_OBJECT(1, "gcePersistentDisk", schema_msg_gce_persistent_disk_volume_source),
    SF_OBJECT(2, "awsElasticBlockStore", schema_msg_aws_elastic_block_store_volume_source),
    SF_OBJECT(3, "hostPath", schema_msg_host_path_volume_source),
    SF_OBJECT(4, "glusterfs", m_glusterfs_persistent_volume_source),
    SF_OBJECT(5, "nfs", schema_msg_nfs_volume_source),
    SF_OBJECT(6, "rbd", m_rbd_persistent_volume_source),
    SF_OBJECT(7, "iscsi", m_iscsi_persistent_volume_source),
    SF_OBJECT(8, "cinder", m_cinder_persistent_volume_source),
    SF_OBJECT(9, "cephfs", m_ceph_fs_persistent_volume_source),
    SF_OBJECT(10, "fc", schema_msg_fc_volume_source),
    SF_OBJECT(11, "flocker", schema_msg_flocker_volume_source),
    SF_OBJECT(12, "flexVolume", m_flex_persistent_volume_source),
    SF_OBJECT(13, "azureFile", m_azure_file_persistent_volume_source),
    SF_OBJECT(14, "vsphereVolume", schema_msg_vsphere_virtual_disk_volume_source),
    SF_OBJECT(15, "quobyte", schema_msg_quobyte_volume_source),
    SF_OBJECT(16, "azureDisk", schema_msg_azure_disk_volume_source),
    SF_OBJECT(17, "photonPersistentDisk", schema_msg_photon_persistent_disk_volume_source),
    SF_OBJECT(18, "portworxVolume", schema_msg_portworx_volume_source),
    SF_OBJECT(19, "scaleIO", m_scale_io_persistent_volume_source),
    SF_OBJECT(20, "local", m_local_volume_source),
    SF_OBJECT(21, "storageos", m_storage_os_persistent_volume_source),
    SF_OBJECT(22, "csi", m_csi_persistent_volume_source),
};
static const SchemaMessage m_persistent_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolumeSource", persistent_volume_source_fields);

static const SchemaField volume_node_affinity_fields[] = {
    SF_OBJECT(1, "required", schema_msg_node_selector),
};
static const SchemaMessage m_volume_node_affinity =
    SCHEMA_MESSAGE(CORE_V1, "VolumeNodeAffinity", volume_node_affinity_fields);

static const SchemaField persistent_volume_spec_fields[] = {
    SF_MAP(1, "capacity", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_EMBEDDED(2, m_persistent_volume_source),
    SF_LIST(3, "accessModes", STRING, SF_NAMED(schema_enum_persistent_volume_access_mode)),
    SF_OBJECT(4, "claimRef", schema_msg_object_reference),
    SF_FIELD(5, "persistentVolumeReclaimPolicy", STRING,
             SF_NAMED(schema_enum_persistent_volume_reclaim_policy)),
    SF_FIELD(6, "storageClassName", STRING),
    SF_LIST(7, "mountOptions", STRING),
    SF_OPTIONAL(8, "volumeMode", STRING, SF_NAMED(schema_enum_persistent_volume_mode)),
    SF_OBJECT(9, "nodeAffinity", m_volume_node_affinity),
    SF_OPTIONAL(10, "volumeAttributesClassName", STRING),
};
static const SchemaMessage m_persistent_volume_spec =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolumeSpec", persistent_volume_spec_fields);

static const SchemaField persistent_volume_status_fields[] = {
    SF_FIELD(1, "phase", STRING, SF_NAMED(schema_enum_persistent_volume_phase)),
    SF_FIELD(2, "message", STRING),
    SF_FIELD(3, "reason", STRING),
    SF_OPTIONAL(4, "lastPhaseTransitionTime", TIME),
};
static const SchemaMessage m_persistent_volume_status =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolumeStatus", persistent_volume_status_fields);

static const SchemaField persistent_volume_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", m_persistent_volume_spec),
    SF_OBJECT(3, "status", m_persistent_volume_status),
};
const SchemaMessage schema_msg_persistent_volume =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolume", persistent_volume_fields);

static const SchemaField persistent_volume_claim_condition_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_persistent_volume_claim_condition_type), SF_REQUIRED),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_core_condition_status), SF_REQUIRED),
    SF_FIELD(3, "lastProbeTime", TIME),
    SF_FIELD(4, "lastTransitionTime", TIME),
    SF_FIELD(5, "reason", STRING),
    SF_FIELD(6, "message", STRING),
};
static const SchemaMessage m_persistent_volume_claim_condition =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolumeClaimCondition", persistent_volume_claim_condition_fields);

static const SchemaField modify_volume_status_fields[] = {
    SF_FIELD(1, "targetVolumeAttributesClassName", STRING),
    SF_FIELD(2, "status", STRING, SF_NAMED(schema_enum_persistent_volume_claim_modify_volume_status),
             SF_REQUIRED),
};
static const SchemaMessage m_modify_volume_status =
    SCHEMA_MESSAGE(CORE_V1, "ModifyVolumeStatus", modify_volume_status_fields);

static const SchemaField persistent_volume_claim_status_fields[] = {
    SF_FIELD(1, "phase", STRING, SF_NAMED(schema_enum_persistent_volume_claim_phase)),
    SF_LIST(2, "accessModes", STRING, SF_NAMED(schema_enum_persistent_volume_access_mode)),
    SF_MAP(3, "capacity", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_OBJECT_LIST(4, "conditions", m_persistent_volume_claim_condition, SF_MERGE("type")),
    SF_MAP(5, "allocatedResources", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(7, "allocatedResourceStatuses", STRING),
    SF_OPTIONAL(8, "currentVolumeAttributesClassName", STRING),
    SF_OBJECT(9, "modifyVolumeStatus", m_modify_volume_status),
};
static const SchemaMessage m_persistent_volume_claim_status =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolumeClaimStatus", persistent_volume_claim_status_fields);

static const SchemaField persistent_volume_claim_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", schema_msg_persistent_volume_claim_spec),
    SF_OBJECT(3, "status", m_persistent_volume_claim_status),
};
const SchemaMessage schema_msg_persistent_volume_claim =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolumeClaim", persistent_volume_claim_fields);

static const SchemaField topology_selector_label_requirement_fields[] = {
    SF_FIELD(1, "key", STRING, SF_REQUIRED),
    SF_LIST(2, "values", STRING, SF_REQUIRED),
};
static const SchemaMessage m_topology_selector_label_requirement =
    SCHEMA_MESSAGE(CORE_V1, "TopologySelectorLabelRequirement", topology_selector_label_requirement_fields);

static const SchemaField topology_selector_term_fields[] = {
    SF_OBJECT_LIST(1, "matchLabelExpressions", m_topology_selector_label_requirement),
};
static const SchemaMessage m_topology_selector_term =
    SCHEMA_MESSAGE(CORE_V1, "TopologySelectorTerm", topology_selector_term_fields);

/* ---- storage/v1 ---- */

static const SchemaField storage_class_fields[] = {
    SF_FIELD(0, "apiVersion", STRING),
    SF_FIELD(0, "kind", STRING),
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_FIELD(2, "provisioner", STRING, SF_REQUIRED),
    SF_MAP(3, "parameters", STRING),
    SF_OPTIONAL(4, "reclaimPolicy", STRING, SF_NAMED(schema_enum_persistent_volume_reclaim_policy)),
    SF_LIST(5, "mountOptions", STRING),
    SF_OPTIONAL(6, "allowVolumeExpansion", BOOL),
    SF_OPTIONAL(7, "volumeBindingMode", STRING, SF_NAMED(schema_enum_volume_binding_mode)),
    SF_OBJECT_LIST(8, "allowedTopologies", m_topology_selector_term),
};
const SchemaMessage schema_msg_storage_class =
    SCHEMA_MESSAGE(STORAGE_V1, "StorageClass", storage_class_fields);
