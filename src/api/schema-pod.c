/* Schema tables of the pod template closure of core/v1: PodTemplateSpec, PodSpec, Container and everything
 * they reach (volumes of every source type, probes, lifecycle hooks, security contexts, affinity,
 * tolerations, topology spread, ephemeral containers, resource claims). Deployments, ReplicaSets,
 * StatefulSets, DaemonSets, Jobs and CronJobs all embed a PodTemplateSpec, so this closure is complete: an
 * omission would make a valid workload fail strict decoding and drop fields from protobuf bodies. Facts
 * are those of Kubernetes v1.32 (one 1.33 addition is marked); rows follow the Go struct order. */
#include "api/schema-internal.h"

/* ---- core/v1 ---- */

static const SchemaField host_path_volume_source_fields[] = {
    SF_FIELD(1, "path", STRING, SF_REQUIRED),
    SF_OPTIONAL(2, "type", STRING, SF_NAMED(schema_enum_host_path_type)),
};
const SchemaMessage schema_msg_host_path_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "HostPathVolumeSource", host_path_volume_source_fields);

static const SchemaField empty_dir_volume_source_fields[] = {
    SF_FIELD(1, "medium", STRING, SF_NAMED(schema_enum_storage_medium)),
    SF_OPTIONAL(2, "sizeLimit", QUANTITY),
};
static const SchemaMessage m_empty_dir_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "EmptyDirVolumeSource", empty_dir_volume_source_fields);

static const SchemaField gce_persistent_disk_volume_source_fields[] = {
    SF_FIELD(1, "pdName", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
    SF_FIELD(3, "partition", INT32),
    SF_FIELD(4, "readOnly", BOOL),
};
const SchemaMessage schema_msg_gce_persistent_disk_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "GCEPersistentDiskVolumeSource", gce_persistent_disk_volume_source_fields);

static const SchemaField aws_elastic_block_store_volume_source_fields[] = {
    SF_FIELD(1, "volumeID", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
    SF_FIELD(3, "partition", INT32),
    SF_FIELD(4, "readOnly", BOOL),
};
const SchemaMessage schema_msg_aws_elastic_block_store_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "AWSElasticBlockStoreVolumeSource", aws_elastic_block_store_volume_source_fields);

static const SchemaField git_repo_volume_source_fields[] = {
    SF_FIELD(1, "repository", STRING, SF_REQUIRED),
    SF_FIELD(2, "revision", STRING),
    SF_FIELD(3, "directory", STRING),
};
static const SchemaMessage m_git_repo_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "GitRepoVolumeSource", git_repo_volume_source_fields);

static const SchemaField key_to_path_fields[] = {
    SF_FIELD(1, "key", STRING, SF_REQUIRED),
    SF_FIELD(2, "path", STRING, SF_REQUIRED),
    SF_OPTIONAL(3, "mode", INT32),
};
static const SchemaMessage m_key_to_path = SCHEMA_MESSAGE(CORE_V1, "KeyToPath", key_to_path_fields);

static const SchemaField secret_volume_source_fields[] = {
    SF_FIELD(1, "secretName", STRING),
    SF_OBJECT_LIST(2, "items", m_key_to_path),
    SF_OPTIONAL(3, "defaultMode", INT32),
    SF_OPTIONAL(4, "optional", BOOL),
};
static const SchemaMessage m_secret_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "SecretVolumeSource", secret_volume_source_fields);

static const SchemaField nfs_volume_source_fields[] = {
    SF_FIELD(1, "server", STRING, SF_REQUIRED),
    SF_FIELD(2, "path", STRING, SF_REQUIRED),
    SF_FIELD(3, "readOnly", BOOL),
};
const SchemaMessage schema_msg_nfs_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "NFSVolumeSource", nfs_volume_source_fields);

static const SchemaField local_object_reference_fields[] = {
    SF_FIELD(1, "name", STRING),
};
const SchemaMessage schema_msg_local_object_reference =
    SCHEMA_MESSAGE(CORE_V1, "LocalObjectReference", local_object_reference_fields);

static const SchemaField iscsi_volume_source_fields[] = {
    SF_FIELD(1, "targetPortal", STRING, SF_REQUIRED),
    SF_FIELD(2, "iqn", STRING, SF_REQUIRED),
    SF_FIELD(3, "lun", INT32, SF_REQUIRED),
    SF_FIELD(4, "iscsiInterface", STRING),
    SF_FIELD(5, "fsType", STRING),
    SF_FIELD(6, "readOnly", BOOL),
    SF_LIST(7, "portals", STRING),
    SF_FIELD(8, "chapAuthDiscovery", BOOL),
    SF_FIELD(11, "chapAuthSession", BOOL),
    SF_OBJECT(10, "secretRef", schema_msg_local_object_reference),
    SF_OPTIONAL(12, "initiatorName", STRING),
};
static const SchemaMessage m_iscsi_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "ISCSIVolumeSource", iscsi_volume_source_fields);

static const SchemaField glusterfs_volume_source_fields[] = {
    SF_FIELD(1, "endpoints", STRING, SF_REQUIRED),
    SF_FIELD(2, "path", STRING, SF_REQUIRED),
    SF_FIELD(3, "readOnly", BOOL),
};
static const SchemaMessage m_glusterfs_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "GlusterfsVolumeSource", glusterfs_volume_source_fields);

static const SchemaField persistent_volume_claim_volume_source_fields[] = {
    SF_FIELD(1, "claimName", STRING, SF_REQUIRED),
    SF_FIELD(2, "readOnly", BOOL),
};
static const SchemaMessage m_persistent_volume_claim_volume_source = SCHEMA_MESSAGE(
    CORE_V1, "PersistentVolumeClaimVolumeSource", persistent_volume_claim_volume_source_fields);

static const SchemaField rbd_volume_source_fields[] = {
    SF_LIST(1, "monitors", STRING, SF_REQUIRED),
    SF_FIELD(2, "image", STRING, SF_REQUIRED),
    SF_FIELD(3, "fsType", STRING),
    SF_FIELD(4, "pool", STRING),
    SF_FIELD(5, "user", STRING),
    SF_FIELD(6, "keyring", STRING),
    SF_OBJECT(7, "secretRef", schema_msg_local_object_reference),
    SF_FIELD(8, "readOnly", BOOL),
};
static const SchemaMessage m_rbd_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "RBDVolumeSource", rbd_volume_source_fields);

static const SchemaField flex_volume_source_fields[] = {
    SF_FIELD(1, "driver", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
    SF_OBJECT(3, "secretRef", schema_msg_local_object_reference),
    SF_FIELD(4, "readOnly", BOOL),
    SF_MAP(5, "options", STRING),
};
static const SchemaMessage m_flex_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "FlexVolumeSource", flex_volume_source_fields);

static const SchemaField cinder_volume_source_fields[] = {
    SF_FIELD(1, "volumeID", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
    SF_FIELD(3, "readOnly", BOOL),
    SF_OBJECT(4, "secretRef", schema_msg_local_object_reference),
};
static const SchemaMessage m_cinder_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "CinderVolumeSource", cinder_volume_source_fields);

static const SchemaField ceph_fs_volume_source_fields[] = {
    SF_LIST(1, "monitors", STRING, SF_REQUIRED),
    SF_FIELD(2, "path", STRING),
    SF_FIELD(3, "user", STRING),
    SF_FIELD(4, "secretFile", STRING),
    SF_OBJECT(5, "secretRef", schema_msg_local_object_reference),
    SF_FIELD(6, "readOnly", BOOL),
};
static const SchemaMessage m_ceph_fs_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "CephFSVolumeSource", ceph_fs_volume_source_fields);

static const SchemaField flocker_volume_source_fields[] = {
    SF_FIELD(1, "datasetName", STRING),
    SF_FIELD(2, "datasetUUID", STRING),
};
const SchemaMessage schema_msg_flocker_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "FlockerVolumeSource", flocker_volume_source_fields);

static const SchemaField object_field_selector_fields[] = {
    SF_FIELD(1, "apiVersion", STRING),
    SF_FIELD(2, "fieldPath", STRING, SF_REQUIRED),
};
static const SchemaMessage m_object_field_selector =
    SCHEMA_MESSAGE(CORE_V1, "ObjectFieldSelector", object_field_selector_fields);

static const SchemaField resource_field_selector_fields[] = {
    SF_FIELD(1, "containerName", STRING),
    SF_FIELD(2, "resource", STRING, SF_REQUIRED),
    SF_FIELD(3, "divisor", QUANTITY),
};
static const SchemaMessage m_resource_field_selector =
    SCHEMA_MESSAGE(CORE_V1, "ResourceFieldSelector", resource_field_selector_fields);

static const SchemaField downward_api_volume_file_fields[] = {
    SF_FIELD(1, "path", STRING, SF_REQUIRED),
    SF_OBJECT(2, "fieldRef", m_object_field_selector),
    SF_OBJECT(3, "resourceFieldRef", m_resource_field_selector),
    SF_OPTIONAL(4, "mode", INT32),
};
static const SchemaMessage m_downward_api_volume_file =
    SCHEMA_MESSAGE(CORE_V1, "DownwardAPIVolumeFile", downward_api_volume_file_fields);

static const SchemaField downward_api_volume_source_fields[] = {
    SF_OBJECT_LIST(1, "items", m_downward_api_volume_file),
    SF_OPTIONAL(2, "defaultMode", INT32),
};
static const SchemaMessage m_downward_api_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "DownwardAPIVolumeSource", downward_api_volume_source_fields);

static const SchemaField fc_volume_source_fields[] = {
    SF_LIST(1, "targetWWNs", STRING), SF_OPTIONAL(2, "lun", INT32), SF_FIELD(3, "fsType", STRING),
    SF_FIELD(4, "readOnly", BOOL),    SF_LIST(5, "wwids", STRING),
};
const SchemaMessage schema_msg_fc_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "FCVolumeSource", fc_volume_source_fields);

static const SchemaField azure_file_volume_source_fields[] = {
    SF_FIELD(1, "secretName", STRING, SF_REQUIRED),
    SF_FIELD(2, "shareName", STRING, SF_REQUIRED),
    SF_FIELD(3, "readOnly", BOOL),
};
static const SchemaMessage m_azure_file_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "AzureFileVolumeSource", azure_file_volume_source_fields);

static const SchemaField config_map_volume_source_fields[] = {
    SF_EMBEDDED(1, schema_msg_local_object_reference),
    SF_OBJECT_LIST(2, "items", m_key_to_path),
    SF_OPTIONAL(3, "defaultMode", INT32),
    SF_OPTIONAL(4, "optional", BOOL),
};
static const SchemaMessage m_config_map_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "ConfigMapVolumeSource", config_map_volume_source_fields);

static const SchemaField vsphere_virtual_disk_volume_source_fields[] = {
    SF_FIELD(1, "volumePath", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
    SF_FIELD(3, "storagePolicyName", STRING),
    SF_FIELD(4, "storagePolicyID", STRING),
};
const SchemaMessage schema_msg_vsphere_virtual_disk_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "VsphereVirtualDiskVolumeSource", vsphere_virtual_disk_volume_source_fields);

static const SchemaField quobyte_volume_source_fields[] = {
    SF_FIELD(1, "registry", STRING, SF_REQUIRED),
    SF_FIELD(2, "volume", STRING, SF_REQUIRED),
    SF_FIELD(3, "readOnly", BOOL),
    SF_FIELD(4, "user", STRING),
    SF_FIELD(5, "group", STRING),
    SF_FIELD(6, "tenant", STRING),
};
const SchemaMessage schema_msg_quobyte_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "QuobyteVolumeSource", quobyte_volume_source_fields);

static const SchemaField azure_disk_volume_source_fields[] = {
    SF_FIELD(1, "diskName", STRING, SF_REQUIRED),
    SF_FIELD(2, "diskURI", STRING, SF_REQUIRED),
    SF_OPTIONAL(3, "cachingMode", STRING, SF_NAMED(schema_enum_azure_data_disk_caching_mode)),
    SF_OPTIONAL(4, "fsType", STRING),
    SF_OPTIONAL(5, "readOnly", BOOL),
    SF_OPTIONAL(6, "kind", STRING, SF_NAMED(schema_enum_azure_data_disk_kind)),
};
const SchemaMessage schema_msg_azure_disk_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "AzureDiskVolumeSource", azure_disk_volume_source_fields);

static const SchemaField photon_persistent_disk_volume_source_fields[] = {
    SF_FIELD(1, "pdID", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
};
const SchemaMessage schema_msg_photon_persistent_disk_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "PhotonPersistentDiskVolumeSource", photon_persistent_disk_volume_source_fields);

static const SchemaField secret_projection_fields[] = {
    SF_EMBEDDED(1, schema_msg_local_object_reference),
    SF_OBJECT_LIST(2, "items", m_key_to_path),
    SF_OPTIONAL(4, "optional", BOOL),
};
static const SchemaMessage m_secret_projection =
    SCHEMA_MESSAGE(CORE_V1, "SecretProjection", secret_projection_fields);

static const SchemaField downward_api_projection_fields[] = {
    SF_OBJECT_LIST(1, "items", m_downward_api_volume_file),
};
static const SchemaMessage m_downward_api_projection =
    SCHEMA_MESSAGE(CORE_V1, "DownwardAPIProjection", downward_api_projection_fields);

static const SchemaField config_map_projection_fields[] = {
    SF_EMBEDDED(1, schema_msg_local_object_reference),
    SF_OBJECT_LIST(2, "items", m_key_to_path),
    SF_OPTIONAL(4, "optional", BOOL),
};
static const SchemaMessage m_config_map_projection =
    SCHEMA_MESSAGE(CORE_V1, "ConfigMapProjection", config_map_projection_fields);

static const SchemaField service_account_token_projection_fields[] = {
    SF_FIELD(1, "audience", STRING),
    SF_OPTIONAL(2, "expirationSeconds", INT64),
    SF_FIELD(3, "path", STRING, SF_REQUIRED),
};
static const SchemaMessage m_service_account_token_projection =
    SCHEMA_MESSAGE(CORE_V1, "ServiceAccountTokenProjection", service_account_token_projection_fields);

static const SchemaField cluster_trust_bundle_projection_fields[] = {
    SF_OPTIONAL(1, "name", STRING),
    SF_OPTIONAL(2, "signerName", STRING),
    SF_OBJECT(3, "labelSelector", schema_msg_label_selector),
    SF_OPTIONAL(5, "optional", BOOL),
    SF_FIELD(4, "path", STRING, SF_REQUIRED),
};
static const SchemaMessage m_cluster_trust_bundle_projection =
    SCHEMA_MESSAGE(CORE_V1, "ClusterTrustBundleProjection", cluster_trust_bundle_projection_fields);

static const SchemaField volume_projection_fields[] = {
    SF_OBJECT(1, "secret", m_secret_projection),
    SF_OBJECT(2, "downwardAPI", m_downward_api_projection),
    SF_OBJECT(3, "configMap", m_config_map_projection),
    SF_OBJECT(4, "serviceAccountToken", m_service_account_token_projection),
    SF_OBJECT(5, "clusterTrustBundle", m_cluster_trust_bundle_projection),
};
static const SchemaMessage m_volume_projection =
    SCHEMA_MESSAGE(CORE_V1, "VolumeProjection", volume_projection_fields);

static const SchemaField projected_volume_source_fields[] = {
    SF_OBJECT_LIST(1, "sources", m_volume_projection),
    SF_OPTIONAL(2, "defaultMode", INT32),
};
static const SchemaMessage m_projected_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "ProjectedVolumeSource", projected_volume_source_fields);

static const SchemaField portworx_volume_source_fields[] = {
    SF_FIELD(1, "volumeID", STRING, SF_REQUIRED),
    SF_FIELD(2, "fsType", STRING),
    SF_FIELD(3, "readOnly", BOOL),
};
const SchemaMessage schema_msg_portworx_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "PortworxVolumeSource", portworx_volume_source_fields);

static const SchemaField scale_io_volume_source_fields[] = {
    SF_FIELD(1, "gateway", STRING, SF_REQUIRED),
    SF_FIELD(2, "system", STRING, SF_REQUIRED),
    SF_OBJECT(3, "secretRef", schema_msg_local_object_reference, SF_REQUIRED),
    SF_FIELD(4, "sslEnabled", BOOL),
    SF_FIELD(5, "protectionDomain", STRING),
    SF_FIELD(6, "storagePool", STRING),
    SF_FIELD(7, "storageMode", STRING),
    SF_FIELD(8, "volumeName", STRING),
    SF_FIELD(9, "fsType", STRING),
    SF_FIELD(10, "readOnly", BOOL),
};
static const SchemaMessage m_scale_io_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "ScaleIOVolumeSource", scale_io_volume_source_fields);

static const SchemaField storage_os_volume_source_fields[] = {
    SF_FIELD(1, "volumeName", STRING),
    SF_FIELD(2, "volumeNamespace", STRING),
    SF_FIELD(3, "fsType", STRING),
    SF_FIELD(4, "readOnly", BOOL),
    SF_OBJECT(5, "secretRef", schema_msg_local_object_reference),
};
static const SchemaMessage m_storage_os_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "StorageOSVolumeSource", storage_os_volume_source_fields);

static const SchemaField csi_volume_source_fields[] = {
    SF_FIELD(1, "driver", STRING, SF_REQUIRED),
    SF_OPTIONAL(2, "readOnly", BOOL),
    SF_OPTIONAL(3, "fsType", STRING),
    SF_MAP(4, "volumeAttributes", STRING),
    SF_OBJECT(5, "nodePublishSecretRef", schema_msg_local_object_reference),
};
static const SchemaMessage m_csi_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "CSIVolumeSource", csi_volume_source_fields);

static const SchemaField volume_resource_requirements_fields[] = {
    SF_MAP(1, "limits", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(2, "requests", QUANTITY, SF_NAMED(schema_enum_resource_list)),
};
static const SchemaMessage m_volume_resource_requirements =
    SCHEMA_MESSAGE(CORE_V1, "VolumeResourceRequirements", volume_resource_requirements_fields);

static const SchemaField typed_local_object_reference_fields[] = {
    SF_OPTIONAL(1, "apiGroup", STRING),
    SF_FIELD(2, "kind", STRING),
    SF_FIELD(3, "name", STRING, SF_REQUIRED),
};
const SchemaMessage schema_msg_typed_local_object_reference =
    SCHEMA_MESSAGE(CORE_V1, "TypedLocalObjectReference", typed_local_object_reference_fields);

static const SchemaField typed_object_reference_fields[] = {
    SF_OPTIONAL(1, "apiGroup", STRING),
    SF_FIELD(2, "kind", STRING),
    SF_FIELD(3, "name", STRING, SF_REQUIRED),
    SF_OPTIONAL(4, "namespace", STRING),
};
static const SchemaMessage m_typed_object_reference =
    SCHEMA_MESSAGE(CORE_V1, "TypedObjectReference", typed_object_reference_fields);

static const SchemaField persistent_volume_claim_spec_fields[] = {
    SF_LIST(1, "accessModes", STRING, SF_NAMED(schema_enum_persistent_volume_access_mode)),
    SF_OBJECT(4, "selector", schema_msg_label_selector),
    SF_OBJECT(2, "resources", m_volume_resource_requirements),
    SF_FIELD(3, "volumeName", STRING),
    SF_OPTIONAL(5, "storageClassName", STRING),
    SF_OPTIONAL(6, "volumeMode", STRING, SF_NAMED(schema_enum_persistent_volume_mode)),
    SF_OBJECT(7, "dataSource", schema_msg_typed_local_object_reference),
    SF_OBJECT(8, "dataSourceRef", m_typed_object_reference),
    SF_OPTIONAL(9, "volumeAttributesClassName", STRING),
};
const SchemaMessage schema_msg_persistent_volume_claim_spec =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolumeClaimSpec", persistent_volume_claim_spec_fields);

static const SchemaField persistent_volume_claim_template_fields[] = {
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", schema_msg_persistent_volume_claim_spec, SF_REQUIRED),
};
static const SchemaMessage m_persistent_volume_claim_template =
    SCHEMA_MESSAGE(CORE_V1, "PersistentVolumeClaimTemplate", persistent_volume_claim_template_fields);

static const SchemaField ephemeral_volume_source_fields[] = {
    SF_OBJECT(1, "volumeClaimTemplate", m_persistent_volume_claim_template),
};
static const SchemaMessage m_ephemeral_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "EphemeralVolumeSource", ephemeral_volume_source_fields);

static const SchemaField image_volume_source_fields[] = {
    SF_FIELD(1, "reference", STRING),
    SF_FIELD(2, "pullPolicy", STRING, SF_NAMED(schema_enum_pull_policy)),
};
static const SchemaMessage m_image_volume_source =
    SCHEMA_MESSAGE(CORE_V1, "ImageVolumeSource", image_volume_source_fields);

static const SchemaField volume_source_fields[] = {
    SF_OBJECT(1, "hostPath", schema_msg_host_path_volume_source),
    SF_OBJECT(2, "emptyDir", m_empty_dir_volume_source),
    SF_OBJECT(3, "gcePersistentDisk", schema_msg_gce_persistent_disk_volume_source),
    SF_OBJECT(4, "awsElasticBlockStore", schema_msg_aws_elastic_block_store_volume_source),
    SF_OBJECT(5, "gitRepo", m_git_repo_volume_source),
    SF_OBJECT(6, "secret", m_secret_volume_source),
    SF_OBJECT(7, "nfs", schema_msg_nfs_volume_source),
    SF_OBJECT(8, "iscsi", m_iscsi_volume_source),
    SF_OBJECT(9, "glusterfs", m_glusterfs_volume_source),
    SF_OBJECT(10, "persistentVolumeClaim", m_persistent_volume_claim_volume_source),
    SF_OBJECT(11, "rbd", m_rbd_volume_source),
    SF_OBJECT(12, "flexVolume", m_flex_volume_source),
    SF_OBJECT(13, "cinder", m_cinder_volume_source),
    SF_OBJECT(14, "cephfs", m_ceph_fs_volume_source),
    SF_OBJECT(15, "flocker", schema_msg_flocker_volume_source),
    SF_OBJECT(16, "downwardAPI", m_downward_api_volume_source),
    SF_OBJECT(17, "fc", schema_msg_fc_volume_source),
    SF_OBJECT(18, "azureFile", m_azure_file_volume_source),
    SF_OBJECT(19, "configMap", m_config_map_volume_source),
    SF_OBJECT(20, "vsphereVolume", schema_msg_vsphere_virtual_disk_volume_source),
    SF_OBJECT(21, "quobyte", schema_msg_quobyte_volume_source),
    SF_OBJECT(22, "azureDisk", schema_msg_azure_disk_volume_source),
    SF_OBJECT(23, "photonPersistentDisk", schema_msg_photon_persistent_disk_volume_source),
    SF_OBJECT(26, "projected", m_projected_volume_source),
    SF_OBJECT(24, "portworxVolume", schema_msg_portworx_volume_source),
    SF_OBJECT(25, "scaleIO", m_scale_io_volume_source),
    SF_OBJECT(27, "storageos", m_storage_os_volume_source),
    SF_OBJECT(28, "csi", m_csi_volume_source),
    SF_OBJECT(29, "ephemeral", m_ephemeral_volume_source),
    SF_OBJECT(30, "image", m_image_volume_source),
};
static const SchemaMessage m_volume_source = SCHEMA_MESSAGE(CORE_V1, "VolumeSource", volume_source_fields);

static const SchemaField volume_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_EMBEDDED(2, m_volume_source),
};
static const SchemaMessage m_volume = SCHEMA_MESSAGE_DESC(
    CORE_V1, "Volume", volume_fields, "A named volume that containers of the pod can mount.");

static const SchemaField container_port_fields[] = {
    SF_FIELD(1, "name", STRING),
    SF_FIELD(2, "hostPort", INT32),
    SF_FIELD(3, "containerPort", INT32, SF_REQUIRED),
    SF_FIELD(4, "protocol", STRING, SF_NAMED(schema_enum_protocol)),
    SF_FIELD(5, "hostIP", STRING),
};
static const SchemaMessage m_container_port = SCHEMA_MESSAGE_DESC(
    CORE_V1, "ContainerPort", container_port_fields, "A network port a container listens on.");

static const SchemaField config_map_env_source_fields[] = {
    SF_EMBEDDED(1, schema_msg_local_object_reference),
    SF_OPTIONAL(2, "optional", BOOL),
};
static const SchemaMessage m_config_map_env_source =
    SCHEMA_MESSAGE(CORE_V1, "ConfigMapEnvSource", config_map_env_source_fields);

static const SchemaField secret_env_source_fields[] = {
    SF_EMBEDDED(1, schema_msg_local_object_reference),
    SF_OPTIONAL(2, "optional", BOOL),
};
static const SchemaMessage m_secret_env_source =
    SCHEMA_MESSAGE(CORE_V1, "SecretEnvSource", secret_env_source_fields);

static const SchemaField env_from_source_fields[] = {
    SF_FIELD(1, "prefix", STRING),
    SF_OBJECT(2, "configMapRef", m_config_map_env_source),
    SF_OBJECT(3, "secretRef", m_secret_env_source),
};
static const SchemaMessage m_env_from_source =
    SCHEMA_MESSAGE(CORE_V1, "EnvFromSource", env_from_source_fields);

static const SchemaField config_map_key_selector_fields[] = {
    SF_EMBEDDED(1, schema_msg_local_object_reference),
    SF_FIELD(2, "key", STRING, SF_REQUIRED),
    SF_OPTIONAL(3, "optional", BOOL),
};
static const SchemaMessage m_config_map_key_selector =
    SCHEMA_MESSAGE(CORE_V1, "ConfigMapKeySelector", config_map_key_selector_fields);

static const SchemaField secret_key_selector_fields[] = {
    SF_EMBEDDED(1, schema_msg_local_object_reference),
    SF_FIELD(2, "key", STRING, SF_REQUIRED),
    SF_OPTIONAL(3, "optional", BOOL),
};
static const SchemaMessage m_secret_key_selector =
    SCHEMA_MESSAGE(CORE_V1, "SecretKeySelector", secret_key_selector_fields);

static const SchemaField env_var_source_fields[] = {
    SF_OBJECT(1, "fieldRef", m_object_field_selector),
    SF_OBJECT(2, "resourceFieldRef", m_resource_field_selector),
    SF_OBJECT(3, "configMapKeyRef", m_config_map_key_selector),
    SF_OBJECT(4, "secretKeyRef", m_secret_key_selector),
};
static const SchemaMessage m_env_var_source = SCHEMA_MESSAGE(CORE_V1, "EnvVarSource", env_var_source_fields);

static const SchemaField env_var_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "value", STRING),
    SF_OBJECT(3, "valueFrom", m_env_var_source),
};
static const SchemaMessage m_env_var =
    SCHEMA_MESSAGE_DESC(CORE_V1, "EnvVar", env_var_fields,
                        "An environment variable of a container, given a value or a reference to one.");

static const SchemaField resource_claim_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "request", STRING),
};
static const SchemaMessage m_resource_claim = SCHEMA_MESSAGE(CORE_V1, "ResourceClaim", resource_claim_fields);

static const SchemaField resource_requirements_fields[] = {
    SF_MAP(1, "limits", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_MAP(2, "requests", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_OBJECT_LIST(3, "claims", m_resource_claim),
};
const SchemaMessage schema_msg_resource_requirements =
    SCHEMA_MESSAGE_DESC(CORE_V1, "ResourceRequirements", resource_requirements_fields,
                        "The compute resources a container requests and may not exceed.");

static const SchemaField container_resize_policy_fields[] = {
    SF_FIELD(1, "resourceName", STRING, SF_NAMED(schema_enum_resource_name), SF_REQUIRED),
    SF_FIELD(2, "restartPolicy", STRING, SF_NAMED(schema_enum_resource_resize_restart_policy), SF_REQUIRED),
};
static const SchemaMessage m_container_resize_policy =
    SCHEMA_MESSAGE(CORE_V1, "ContainerResizePolicy", container_resize_policy_fields);

static const SchemaField volume_mount_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "readOnly", BOOL),
    SF_OPTIONAL(7, "recursiveReadOnly", STRING, SF_NAMED(schema_enum_recursive_read_only_mode)),
    SF_FIELD(3, "mountPath", STRING, SF_REQUIRED),
    SF_FIELD(4, "subPath", STRING),
    SF_OPTIONAL(5, "mountPropagation", STRING, SF_NAMED(schema_enum_mount_propagation_mode)),
    SF_FIELD(6, "subPathExpr", STRING),
};
static const SchemaMessage m_volume_mount = SCHEMA_MESSAGE_DESC(
    CORE_V1, "VolumeMount", volume_mount_fields, "Where a volume is mounted inside a container.");

static const SchemaField volume_device_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "devicePath", STRING, SF_REQUIRED),
};
static const SchemaMessage m_volume_device = SCHEMA_MESSAGE(CORE_V1, "VolumeDevice", volume_device_fields);

static const SchemaField exec_action_fields[] = {
    SF_LIST(1, "command", STRING),
};
static const SchemaMessage m_exec_action = SCHEMA_MESSAGE(CORE_V1, "ExecAction", exec_action_fields);

static const SchemaField http_header_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "value", STRING, SF_REQUIRED),
};
static const SchemaMessage m_http_header = SCHEMA_MESSAGE(CORE_V1, "HTTPHeader", http_header_fields);

static const SchemaField http_get_action_fields[] = {
    SF_FIELD(1, "path", STRING),
    SF_FIELD(2, "port", INT_OR_STRING, SF_REQUIRED),
    SF_FIELD(3, "host", STRING),
    SF_FIELD(4, "scheme", STRING, SF_NAMED(schema_enum_uri_scheme)),
    SF_OBJECT_LIST(5, "httpHeaders", m_http_header),
};
static const SchemaMessage m_http_get_action =
    SCHEMA_MESSAGE(CORE_V1, "HTTPGetAction", http_get_action_fields);

static const SchemaField tcp_socket_action_fields[] = {
    SF_FIELD(1, "port", INT_OR_STRING, SF_REQUIRED),
    SF_FIELD(2, "host", STRING),
};
static const SchemaMessage m_tcp_socket_action =
    SCHEMA_MESSAGE(CORE_V1, "TCPSocketAction", tcp_socket_action_fields);

static const SchemaField grpc_action_fields[] = {
    SF_FIELD(1, "port", INT32, SF_REQUIRED),
    SF_OPTIONAL(2, "service", STRING),
};
static const SchemaMessage m_grpc_action = SCHEMA_MESSAGE(CORE_V1, "GRPCAction", grpc_action_fields);

static const SchemaField probe_handler_fields[] = {
    SF_OBJECT(1, "exec", m_exec_action),
    SF_OBJECT(2, "httpGet", m_http_get_action),
    SF_OBJECT(3, "tcpSocket", m_tcp_socket_action),
    SF_OBJECT(4, "grpc", m_grpc_action),
};
static const SchemaMessage m_probe_handler = SCHEMA_MESSAGE(CORE_V1, "ProbeHandler", probe_handler_fields);

static const SchemaField probe_fields[] = {
    SF_EMBEDDED(1, m_probe_handler),
    SF_FIELD(2, "initialDelaySeconds", INT32),
    SF_FIELD(3, "timeoutSeconds", INT32),
    SF_FIELD(4, "periodSeconds", INT32),
    SF_FIELD(5, "successThreshold", INT32),
    SF_FIELD(6, "failureThreshold", INT32),
    SF_OPTIONAL(7, "terminationGracePeriodSeconds", INT64),
};
static const SchemaMessage m_probe = SCHEMA_MESSAGE_DESC(
    CORE_V1, "Probe", probe_fields,
    "A check the kubelet runs against a container: an exec command, an HTTP GET, a TCP or gRPC connection.");

static const SchemaField sleep_action_fields[] = {
    SF_FIELD(1, "seconds", INT64, SF_REQUIRED),
};
static const SchemaMessage m_sleep_action = SCHEMA_MESSAGE(CORE_V1, "SleepAction", sleep_action_fields);

static const SchemaField lifecycle_handler_fields[] = {
    SF_OBJECT(1, "exec", m_exec_action),
    SF_OBJECT(2, "httpGet", m_http_get_action),
    SF_OBJECT(3, "tcpSocket", m_tcp_socket_action),
    SF_OBJECT(4, "sleep", m_sleep_action),
};
static const SchemaMessage m_lifecycle_handler =
    SCHEMA_MESSAGE(CORE_V1, "LifecycleHandler", lifecycle_handler_fields);

static const SchemaField lifecycle_fields[] = {
    SF_OBJECT(1, "postStart", m_lifecycle_handler), SF_OBJECT(2, "preStop", m_lifecycle_handler),
    SF_OPTIONAL(3, "stopSignal", STRING), /* 1.33 */
};
static const SchemaMessage m_lifecycle = SCHEMA_MESSAGE(CORE_V1, "Lifecycle", lifecycle_fields);

static const SchemaField capabilities_fields[] = {
    SF_LIST(1, "add", STRING, SF_NAMED(schema_enum_capability)),
    SF_LIST(2, "drop", STRING, SF_NAMED(schema_enum_capability)),
};
static const SchemaMessage m_capabilities = SCHEMA_MESSAGE(CORE_V1, "Capabilities", capabilities_fields);

static const SchemaField se_linux_options_fields[] = {
    SF_FIELD(1, "user", STRING),
    SF_FIELD(2, "role", STRING),
    SF_FIELD(3, "type", STRING),
    SF_FIELD(4, "level", STRING),
};
static const SchemaMessage m_se_linux_options =
    SCHEMA_MESSAGE(CORE_V1, "SELinuxOptions", se_linux_options_fields);

static const SchemaField windows_security_context_options_fields[] = {
    SF_OPTIONAL(1, "gmsaCredentialSpecName", STRING),
    SF_OPTIONAL(2, "gmsaCredentialSpec", STRING),
    SF_OPTIONAL(3, "runAsUserName", STRING),
    SF_OPTIONAL(4, "hostProcess", BOOL),
};
static const SchemaMessage m_windows_security_context_options =
    SCHEMA_MESSAGE(CORE_V1, "WindowsSecurityContextOptions", windows_security_context_options_fields);

static const SchemaField seccomp_profile_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_seccomp_profile_type), SF_REQUIRED),
    SF_OPTIONAL(2, "localhostProfile", STRING),
};
static const SchemaMessage m_seccomp_profile =
    SCHEMA_MESSAGE(CORE_V1, "SeccompProfile", seccomp_profile_fields);

static const SchemaField app_armor_profile_fields[] = {
    SF_FIELD(1, "type", STRING, SF_NAMED(schema_enum_app_armor_profile_type), SF_REQUIRED),
    SF_OPTIONAL(2, "localhostProfile", STRING),
};
static const SchemaMessage m_app_armor_profile =
    SCHEMA_MESSAGE(CORE_V1, "AppArmorProfile", app_armor_profile_fields);

static const SchemaField security_context_fields[] = {
    SF_OBJECT(1, "capabilities", m_capabilities),
    SF_OPTIONAL(2, "privileged", BOOL),
    SF_OBJECT(3, "seLinuxOptions", m_se_linux_options),
    SF_OBJECT(10, "windowsOptions", m_windows_security_context_options),
    SF_OPTIONAL(4, "runAsUser", INT64),
    SF_OPTIONAL(8, "runAsGroup", INT64),
    SF_OPTIONAL(5, "runAsNonRoot", BOOL),
    SF_OPTIONAL(6, "readOnlyRootFilesystem", BOOL),
    SF_OPTIONAL(7, "allowPrivilegeEscalation", BOOL),
    SF_OPTIONAL(9, "procMount", STRING, SF_NAMED(schema_enum_proc_mount_type)),
    SF_OBJECT(11, "seccompProfile", m_seccomp_profile),
    SF_OBJECT(12, "appArmorProfile", m_app_armor_profile),
};
static const SchemaMessage m_security_context =
    SCHEMA_MESSAGE(CORE_V1, "SecurityContext", security_context_fields);

static const SchemaField container_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "image", STRING),
    SF_LIST(3, "command", STRING),
    SF_LIST(4, "args", STRING),
    SF_FIELD(5, "workingDir", STRING),
    SF_OBJECT_LIST(6, "ports", m_container_port, SF_MERGE("containerPort")),
    SF_OBJECT_LIST(19, "envFrom", m_env_from_source),
    SF_OBJECT_LIST(7, "env", m_env_var, SF_MERGE("name")),
    SF_OBJECT(8, "resources", schema_msg_resource_requirements),
    SF_OBJECT_LIST(23, "resizePolicy", m_container_resize_policy),
    SF_OPTIONAL(24, "restartPolicy", STRING, SF_NAMED(schema_enum_container_restart_policy)),
    SF_OBJECT_LIST(9, "volumeMounts", m_volume_mount, SF_MERGE("mountPath")),
    SF_OBJECT_LIST(21, "volumeDevices", m_volume_device, SF_MERGE("devicePath")),
    SF_OBJECT(10, "livenessProbe", m_probe),
    SF_OBJECT(11, "readinessProbe", m_probe),
    SF_OBJECT(22, "startupProbe", m_probe),
    SF_OBJECT(12, "lifecycle", m_lifecycle),
    SF_FIELD(13, "terminationMessagePath", STRING),
    SF_FIELD(20, "terminationMessagePolicy", STRING, SF_NAMED(schema_enum_termination_message_policy)),
    SF_FIELD(14, "imagePullPolicy", STRING, SF_NAMED(schema_enum_pull_policy)),
    SF_OBJECT(15, "securityContext", m_security_context),
    SF_FIELD(16, "stdin", BOOL),
    SF_FIELD(17, "stdinOnce", BOOL),
    SF_FIELD(18, "tty", BOOL),
};
static const SchemaMessage m_container =
    SCHEMA_MESSAGE_DESC(CORE_V1, "Container", container_fields,
                        "One container of a pod: the image to run, its command, ports, environment, "
                        "resources, probes and mounts.");

static const SchemaField ephemeral_container_common_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "image", STRING),
    SF_LIST(3, "command", STRING),
    SF_LIST(4, "args", STRING),
    SF_FIELD(5, "workingDir", STRING),
    SF_OBJECT_LIST(6, "ports", m_container_port, SF_MERGE("containerPort")),
    SF_OBJECT_LIST(19, "envFrom", m_env_from_source),
    SF_OBJECT_LIST(7, "env", m_env_var, SF_MERGE("name")),
    SF_OBJECT(8, "resources", schema_msg_resource_requirements),
    SF_OBJECT_LIST(23, "resizePolicy", m_container_resize_policy),
    SF_OPTIONAL(24, "restartPolicy", STRING, SF_NAMED(schema_enum_container_restart_policy)),
    SF_OBJECT_LIST(9, "volumeMounts", m_volume_mount, SF_MERGE("mountPath")),
    SF_OBJECT_LIST(21, "volumeDevices", m_volume_device, SF_MERGE("devicePath")),
    SF_OBJECT(10, "livenessProbe", m_probe),
    SF_OBJECT(11, "readinessProbe", m_probe),
    SF_OBJECT(22, "startupProbe", m_probe),
    SF_OBJECT(12, "lifecycle", m_lifecycle),
    SF_FIELD(13, "terminationMessagePath", STRING),
    SF_FIELD(20, "terminationMessagePolicy", STRING, SF_NAMED(schema_enum_termination_message_policy)),
    SF_FIELD(14, "imagePullPolicy", STRING, SF_NAMED(schema_enum_pull_policy)),
    SF_OBJECT(15, "securityContext", m_security_context),
    SF_FIELD(16, "stdin", BOOL),
    SF_FIELD(17, "stdinOnce", BOOL),
    SF_FIELD(18, "tty", BOOL),
};
static const SchemaMessage m_ephemeral_container_common =
    SCHEMA_MESSAGE(CORE_V1, "EphemeralContainerCommon", ephemeral_container_common_fields);

static const SchemaField ephemeral_container_fields[] = {
    SF_EMBEDDED(1, m_ephemeral_container_common),
    SF_FIELD(2, "targetContainerName", STRING),
};
static const SchemaMessage m_ephemeral_container =
    SCHEMA_MESSAGE(CORE_V1, "EphemeralContainer", ephemeral_container_fields);

static const SchemaField sysctl_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_FIELD(2, "value", STRING, SF_REQUIRED),
};
static const SchemaMessage m_sysctl = SCHEMA_MESSAGE(CORE_V1, "Sysctl", sysctl_fields);

static const SchemaField pod_security_context_fields[] = {
    SF_OBJECT(1, "seLinuxOptions", m_se_linux_options),
    SF_OBJECT(8, "windowsOptions", m_windows_security_context_options),
    SF_OPTIONAL(2, "runAsUser", INT64),
    SF_OPTIONAL(6, "runAsGroup", INT64),
    SF_OPTIONAL(3, "runAsNonRoot", BOOL),
    SF_LIST(4, "supplementalGroups", INT64),
    SF_OPTIONAL(12, "supplementalGroupsPolicy", STRING, SF_NAMED(schema_enum_supplemental_groups_policy)),
    SF_OPTIONAL(5, "fsGroup", INT64),
    SF_OBJECT_LIST(7, "sysctls", m_sysctl),
    SF_OPTIONAL(9, "fsGroupChangePolicy", STRING, SF_NAMED(schema_enum_pod_fs_group_change_policy)),
    SF_OBJECT(10, "seccompProfile", m_seccomp_profile),
    SF_OBJECT(11, "appArmorProfile", m_app_armor_profile),
    SF_OPTIONAL(13, "seLinuxChangePolicy", STRING, SF_NAMED(schema_enum_pod_se_linux_change_policy)),
};
static const SchemaMessage m_pod_security_context =
    SCHEMA_MESSAGE(CORE_V1, "PodSecurityContext", pod_security_context_fields);

static const SchemaField node_selector_requirement_fields[] = {
    SF_FIELD(1, "key", STRING, SF_REQUIRED),
    SF_FIELD(2, "operator", STRING, SF_NAMED(schema_enum_node_selector_operator), SF_REQUIRED),
    SF_LIST(3, "values", STRING),
};
static const SchemaMessage m_node_selector_requirement =
    SCHEMA_MESSAGE(CORE_V1, "NodeSelectorRequirement", node_selector_requirement_fields);

static const SchemaField node_selector_term_fields[] = {
    SF_OBJECT_LIST(1, "matchExpressions", m_node_selector_requirement),
    SF_OBJECT_LIST(2, "matchFields", m_node_selector_requirement),
};
static const SchemaMessage m_node_selector_term =
    SCHEMA_MESSAGE(CORE_V1, "NodeSelectorTerm", node_selector_term_fields);

static const SchemaField node_selector_fields[] = {
    SF_OBJECT_LIST(1, "nodeSelectorTerms", m_node_selector_term, SF_REQUIRED),
};
const SchemaMessage schema_msg_node_selector = SCHEMA_MESSAGE(CORE_V1, "NodeSelector", node_selector_fields);

static const SchemaField preferred_scheduling_term_fields[] = {
    SF_FIELD(1, "weight", INT32, SF_REQUIRED),
    SF_OBJECT(2, "preference", m_node_selector_term, SF_REQUIRED),
};
static const SchemaMessage m_preferred_scheduling_term =
    SCHEMA_MESSAGE(CORE_V1, "PreferredSchedulingTerm", preferred_scheduling_term_fields);

static const SchemaField node_affinity_fields[] = {
    SF_OBJECT(1, "requiredDuringSchedulingIgnoredDuringExecution", schema_msg_node_selector),
    SF_OBJECT_LIST(2, "preferredDuringSchedulingIgnoredDuringExecution", m_preferred_scheduling_term),
};
static const SchemaMessage m_node_affinity = SCHEMA_MESSAGE(CORE_V1, "NodeAffinity", node_affinity_fields);

static const SchemaField pod_affinity_term_fields[] = {
    SF_OBJECT(1, "labelSelector", schema_msg_label_selector),
    SF_LIST(2, "namespaces", STRING),
    SF_FIELD(3, "topologyKey", STRING, SF_REQUIRED),
    SF_OBJECT(4, "namespaceSelector", schema_msg_label_selector),
    SF_LIST(5, "matchLabelKeys", STRING),
    SF_LIST(6, "mismatchLabelKeys", STRING),
};
static const SchemaMessage m_pod_affinity_term =
    SCHEMA_MESSAGE(CORE_V1, "PodAffinityTerm", pod_affinity_term_fields);

static const SchemaField weighted_pod_affinity_term_fields[] = {
    SF_FIELD(1, "weight", INT32, SF_REQUIRED),
    SF_OBJECT(2, "podAffinityTerm", m_pod_affinity_term, SF_REQUIRED),
};
static const SchemaMessage m_weighted_pod_affinity_term =
    SCHEMA_MESSAGE(CORE_V1, "WeightedPodAffinityTerm", weighted_pod_affinity_term_fields);

static const SchemaField pod_affinity_fields[] = {
    SF_OBJECT_LIST(1, "requiredDuringSchedulingIgnoredDuringExecution", m_pod_affinity_term),
    SF_OBJECT_LIST(2, "preferredDuringSchedulingIgnoredDuringExecution", m_weighted_pod_affinity_term),
};
static const SchemaMessage m_pod_affinity = SCHEMA_MESSAGE(CORE_V1, "PodAffinity", pod_affinity_fields);

static const SchemaField pod_anti_affinity_fields[] = {
    SF_OBJECT_LIST(1, "requiredDuringSchedulingIgnoredDuringExecution", m_pod_affinity_term),
    SF_OBJECT_LIST(2, "preferredDuringSchedulingIgnoredDuringExecution", m_weighted_pod_affinity_term),
};
static const SchemaMessage m_pod_anti_affinity =
    SCHEMA_MESSAGE(CORE_V1, "PodAntiAffinity", pod_anti_affinity_fields);

static const SchemaField affinity_fields[] = {
    SF_OBJECT(1, "nodeAffinity", m_node_affinity),
    SF_OBJECT(2, "podAffinity", m_pod_affinity),
    SF_OBJECT(3, "podAntiAffinity", m_pod_anti_affinity),
};
static const SchemaMessage m_affinity = SCHEMA_MESSAGE(CORE_V1, "Affinity", affinity_fields);

static const SchemaField toleration_fields[] = {
    SF_FIELD(1, "key", STRING),
    SF_FIELD(2, "operator", STRING, SF_NAMED(schema_enum_toleration_operator)),
    SF_FIELD(3, "value", STRING),
    SF_FIELD(4, "effect", STRING, SF_NAMED(schema_enum_taint_effect)),
    SF_OPTIONAL(5, "tolerationSeconds", INT64),
};
static const SchemaMessage m_toleration = SCHEMA_MESSAGE(CORE_V1, "Toleration", toleration_fields);

static const SchemaField host_alias_fields[] = {
    SF_FIELD(1, "ip", STRING, SF_REQUIRED),
    SF_LIST(2, "hostnames", STRING),
};
static const SchemaMessage m_host_alias = SCHEMA_MESSAGE(CORE_V1, "HostAlias", host_alias_fields);

static const SchemaField pod_dns_config_option_fields[] = {
    SF_FIELD(1, "name", STRING),
    SF_OPTIONAL(2, "value", STRING),
};
static const SchemaMessage m_pod_dns_config_option =
    SCHEMA_MESSAGE(CORE_V1, "PodDNSConfigOption", pod_dns_config_option_fields);

static const SchemaField pod_dns_config_fields[] = {
    SF_LIST(1, "nameservers", STRING),
    SF_LIST(2, "searches", STRING),
    SF_OBJECT_LIST(3, "options", m_pod_dns_config_option),
};
static const SchemaMessage m_pod_dns_config = SCHEMA_MESSAGE(CORE_V1, "PodDNSConfig", pod_dns_config_fields);

static const SchemaField pod_readiness_gate_fields[] = {
    SF_FIELD(1, "conditionType", STRING, SF_NAMED(schema_enum_pod_condition_type), SF_REQUIRED),
};
static const SchemaMessage m_pod_readiness_gate =
    SCHEMA_MESSAGE(CORE_V1, "PodReadinessGate", pod_readiness_gate_fields);

static const SchemaField topology_spread_constraint_fields[] = {
    SF_FIELD(1, "maxSkew", INT32, SF_REQUIRED),
    SF_FIELD(2, "topologyKey", STRING, SF_REQUIRED),
    SF_FIELD(3, "whenUnsatisfiable", STRING, SF_NAMED(schema_enum_unsatisfiable_constraint_action),
             SF_REQUIRED),
    SF_OBJECT(4, "labelSelector", schema_msg_label_selector),
    SF_OPTIONAL(5, "minDomains", INT32),
    SF_OPTIONAL(6, "nodeAffinityPolicy", STRING, SF_NAMED(schema_enum_node_inclusion_policy)),
    SF_OPTIONAL(7, "nodeTaintsPolicy", STRING, SF_NAMED(schema_enum_node_inclusion_policy)),
    SF_LIST(8, "matchLabelKeys", STRING),
};
static const SchemaMessage m_topology_spread_constraint =
    SCHEMA_MESSAGE(CORE_V1, "TopologySpreadConstraint", topology_spread_constraint_fields);

static const SchemaField pod_os_fields[] = {
    SF_FIELD(1, "name", STRING, SF_NAMED(schema_enum_os_name), SF_REQUIRED),
};
static const SchemaMessage m_pod_os = SCHEMA_MESSAGE(CORE_V1, "PodOS", pod_os_fields);

static const SchemaField pod_scheduling_gate_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
};
static const SchemaMessage m_pod_scheduling_gate =
    SCHEMA_MESSAGE(CORE_V1, "PodSchedulingGate", pod_scheduling_gate_fields);

static const SchemaField pod_resource_claim_fields[] = {
    SF_FIELD(1, "name", STRING, SF_REQUIRED),
    SF_OPTIONAL(3, "resourceClaimName", STRING),
    SF_OPTIONAL(4, "resourceClaimTemplateName", STRING),
};
static const SchemaMessage m_pod_resource_claim =
    SCHEMA_MESSAGE(CORE_V1, "PodResourceClaim", pod_resource_claim_fields);

static const SchemaField pod_spec_fields[] = {
    SF_OBJECT_LIST(1, "volumes", m_volume, SF_MERGE_RETAIN("name")),
    SF_OBJECT_LIST(20, "initContainers", m_container, SF_MERGE("name")),
    SF_OBJECT_LIST(2, "containers", m_container, SF_REQUIRED, SF_MERGE("name")),
    SF_OBJECT_LIST(34, "ephemeralContainers", m_ephemeral_container, SF_MERGE("name")),
    SF_FIELD(3, "restartPolicy", STRING, SF_NAMED(schema_enum_restart_policy)),
    SF_OPTIONAL(4, "terminationGracePeriodSeconds", INT64),
    SF_OPTIONAL(5, "activeDeadlineSeconds", INT64),
    SF_FIELD(6, "dnsPolicy", STRING, SF_NAMED(schema_enum_dns_policy)),
    SF_MAP(7, "nodeSelector", STRING),
    SF_FIELD(8, "serviceAccountName", STRING),
    SF_FIELD(9, "serviceAccount", STRING),
    SF_OPTIONAL(21, "automountServiceAccountToken", BOOL),
    SF_FIELD(10, "nodeName", STRING),
    SF_FIELD(11, "hostNetwork", BOOL),
    SF_FIELD(12, "hostPID", BOOL),
    SF_FIELD(13, "hostIPC", BOOL),
    SF_OPTIONAL(27, "shareProcessNamespace", BOOL),
    SF_OBJECT(14, "securityContext", m_pod_security_context),
    SF_OBJECT_LIST(15, "imagePullSecrets", schema_msg_local_object_reference, SF_MERGE("name")),
    SF_FIELD(16, "hostname", STRING),
    SF_FIELD(17, "subdomain", STRING),
    SF_OBJECT(18, "affinity", m_affinity),
    SF_FIELD(19, "schedulerName", STRING),
    SF_OBJECT_LIST(22, "tolerations", m_toleration),
    SF_OBJECT_LIST(23, "hostAliases", m_host_alias, SF_MERGE("ip")),
    SF_FIELD(24, "priorityClassName", STRING),
    SF_OPTIONAL(25, "priority", INT32),
    SF_OBJECT(26, "dnsConfig", m_pod_dns_config),
    SF_OBJECT_LIST(28, "readinessGates", m_pod_readiness_gate),
    SF_OPTIONAL(29, "runtimeClassName", STRING),
    SF_OPTIONAL(30, "enableServiceLinks", BOOL),
    SF_OPTIONAL(31, "preemptionPolicy", STRING, SF_NAMED(schema_enum_preemption_policy)),
    SF_MAP(32, "overhead", QUANTITY, SF_NAMED(schema_enum_resource_list)),
    SF_OBJECT_LIST(33, "topologySpreadConstraints", m_topology_spread_constraint, SF_MERGE("topologyKey")),
    SF_OPTIONAL(35, "setHostnameAsFQDN", BOOL),
    SF_OBJECT(36, "os", m_pod_os),
    SF_OPTIONAL(37, "hostUsers", BOOL),
    SF_OBJECT_LIST(38, "schedulingGates", m_pod_scheduling_gate, SF_MERGE("name")),
    SF_OBJECT_LIST(39, "resourceClaims", m_pod_resource_claim, SF_MERGE_RETAIN("name")),
    SF_OBJECT(40, "resources", schema_msg_resource_requirements),
};
const SchemaMessage schema_msg_pod_spec = SCHEMA_MESSAGE_DESC(
    CORE_V1, "PodSpec", pod_spec_fields,
    "The desired state of a pod: its containers, volumes, and how and where it is scheduled.");

static const SchemaField pod_template_spec_fields[] = {
    SF_OBJECT(1, "metadata", schema_msg_object_meta),
    SF_OBJECT(2, "spec", schema_msg_pod_spec),
};
const SchemaMessage schema_msg_pod_template_spec =
    SCHEMA_MESSAGE_DESC(CORE_V1, "PodTemplateSpec", pod_template_spec_fields,
                        "The template of the pods a workload creates: their metadata and spec.");
