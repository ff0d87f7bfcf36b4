/* Message tables for the pod template closure of Kubernetes' core/v1 generated.proto: PodTemplateSpec,
 * PodSpec, Container and everything they reach (volumes of every source type, probes, lifecycle hooks,
 * security contexts, affinity, tolerations, topology spread, ephemeral containers, resource claims).
 * Deployments, Jobs and CronJobs embed a PodTemplateSpec, so an omission here would silently drop part of
 * a workload; the tables therefore cover the whole closure, not only what kubectl's generators fill in.
 * Field numbers, JSON names and pointer-ness were taken from the release-1.33 generated.proto and types.go
 * of k8s.io/api (a superset of 1.32: the only additions are marked). Messages are listed leaves first
 * because each table refers to the descriptors of its nested messages. */
#include "api/protobuf-internal.h"

static const PbField pb_host_path_volume_source_fields[] = {
    PB_FIELD(1, "path", STRING),
    PB_OPTIONAL(2, "type", STRING),
};
static const PbMessage pb_host_path_volume_source =
    PB_MESSAGE_DEF("HostPathVolumeSource", pb_host_path_volume_source_fields);

static const PbField pb_empty_dir_volume_source_fields[] = {
    PB_FIELD(1, "medium", STRING),
    PB_OPTIONAL(2, "sizeLimit", QUANTITY),
};
static const PbMessage pb_empty_dir_volume_source =
    PB_MESSAGE_DEF("EmptyDirVolumeSource", pb_empty_dir_volume_source_fields);

static const PbField pb_gce_persistent_disk_volume_source_fields[] = {
    PB_FIELD(1, "pdName", STRING),
    PB_FIELD(2, "fsType", STRING),
    PB_FIELD(3, "partition", INT32),
    PB_FIELD(4, "readOnly", BOOL),
};
static const PbMessage pb_gce_persistent_disk_volume_source =
    PB_MESSAGE_DEF("GCEPersistentDiskVolumeSource", pb_gce_persistent_disk_volume_source_fields);

static const PbField pb_aws_elastic_block_store_volume_source_fields[] = {
    PB_FIELD(1, "volumeID", STRING),
    PB_FIELD(2, "fsType", STRING),
    PB_FIELD(3, "partition", INT32),
    PB_FIELD(4, "readOnly", BOOL),
};
static const PbMessage pb_aws_elastic_block_store_volume_source =
    PB_MESSAGE_DEF("AWSElasticBlockStoreVolumeSource", pb_aws_elastic_block_store_volume_source_fields);

static const PbField pb_git_repo_volume_source_fields[] = {
    PB_FIELD(1, "repository", STRING),
    PB_FIELD(2, "revision", STRING),
    PB_FIELD(3, "directory", STRING),
};
static const PbMessage pb_git_repo_volume_source =
    PB_MESSAGE_DEF("GitRepoVolumeSource", pb_git_repo_volume_source_fields);

static const PbField pb_key_to_path_fields[] = {
    PB_FIELD(1, "key", STRING),
    PB_FIELD(2, "path", STRING),
    PB_OPTIONAL(3, "mode", INT32),
};
static const PbMessage pb_key_to_path = PB_MESSAGE_DEF("KeyToPath", pb_key_to_path_fields);

static const PbField pb_secret_volume_source_fields[] = {
    PB_FIELD(1, "secretName", STRING),
    PB_OBJECT_LIST(2, "items", pb_key_to_path),
    PB_OPTIONAL(3, "defaultMode", INT32),
    PB_OPTIONAL(4, "optional", BOOL),
};
static const PbMessage pb_secret_volume_source =
    PB_MESSAGE_DEF("SecretVolumeSource", pb_secret_volume_source_fields);

static const PbField pb_nfs_volume_source_fields[] = {
    PB_FIELD(1, "server", STRING),
    PB_FIELD(2, "path", STRING),
    PB_FIELD(3, "readOnly", BOOL),
};
static const PbMessage pb_nfs_volume_source = PB_MESSAGE_DEF("NFSVolumeSource", pb_nfs_volume_source_fields);

static const PbField pb_local_object_reference_fields[] = {
    PB_FIELD(1, "name", STRING),
};
const PbMessage k8s_protobuf_local_object_reference =
    PB_MESSAGE_DEF("LocalObjectReference", pb_local_object_reference_fields);

static const PbField pb_iscsi_volume_source_fields[] = {
    PB_FIELD(1, "targetPortal", STRING),
    PB_FIELD(2, "iqn", STRING),
    PB_FIELD(3, "lun", INT32),
    PB_FIELD(4, "iscsiInterface", STRING),
    PB_FIELD(5, "fsType", STRING),
    PB_FIELD(6, "readOnly", BOOL),
    PB_LIST(7, "portals", STRING),
    PB_FIELD(8, "chapAuthDiscovery", BOOL),
    PB_OBJECT(10, "secretRef", k8s_protobuf_local_object_reference),
    PB_FIELD(11, "chapAuthSession", BOOL),
    PB_OPTIONAL(12, "initiatorName", STRING),
};
static const PbMessage pb_iscsi_volume_source =
    PB_MESSAGE_DEF("ISCSIVolumeSource", pb_iscsi_volume_source_fields);

static const PbField pb_glusterfs_volume_source_fields[] = {
    PB_FIELD(1, "endpoints", STRING),
    PB_FIELD(2, "path", STRING),
    PB_FIELD(3, "readOnly", BOOL),
};
static const PbMessage pb_glusterfs_volume_source =
    PB_MESSAGE_DEF("GlusterfsVolumeSource", pb_glusterfs_volume_source_fields);

static const PbField pb_persistent_volume_claim_volume_source_fields[] = {
    PB_FIELD(1, "claimName", STRING),
    PB_FIELD(2, "readOnly", BOOL),
};
static const PbMessage pb_persistent_volume_claim_volume_source =
    PB_MESSAGE_DEF("PersistentVolumeClaimVolumeSource", pb_persistent_volume_claim_volume_source_fields);

static const PbField pb_rbd_volume_source_fields[] = {
    PB_LIST(1, "monitors", STRING),
    PB_FIELD(2, "image", STRING),
    PB_FIELD(3, "fsType", STRING),
    PB_FIELD(4, "pool", STRING),
    PB_FIELD(5, "user", STRING),
    PB_FIELD(6, "keyring", STRING),
    PB_OBJECT(7, "secretRef", k8s_protobuf_local_object_reference),
    PB_FIELD(8, "readOnly", BOOL),
};
static const PbMessage pb_rbd_volume_source = PB_MESSAGE_DEF("RBDVolumeSource", pb_rbd_volume_source_fields);

static const PbField pb_flex_volume_source_fields[] = {
    PB_FIELD(1, "driver", STRING),
    PB_FIELD(2, "fsType", STRING),
    PB_OBJECT(3, "secretRef", k8s_protobuf_local_object_reference),
    PB_FIELD(4, "readOnly", BOOL),
    PB_MAP_OF(5, "options", STRING),
};
static const PbMessage pb_flex_volume_source =
    PB_MESSAGE_DEF("FlexVolumeSource", pb_flex_volume_source_fields);

static const PbField pb_cinder_volume_source_fields[] = {
    PB_FIELD(1, "volumeID", STRING),
    PB_FIELD(2, "fsType", STRING),
    PB_FIELD(3, "readOnly", BOOL),
    PB_OBJECT(4, "secretRef", k8s_protobuf_local_object_reference),
};
static const PbMessage pb_cinder_volume_source =
    PB_MESSAGE_DEF("CinderVolumeSource", pb_cinder_volume_source_fields);

static const PbField pb_ceph_fs_volume_source_fields[] = {
    PB_LIST(1, "monitors", STRING),
    PB_FIELD(2, "path", STRING),
    PB_FIELD(3, "user", STRING),
    PB_FIELD(4, "secretFile", STRING),
    PB_OBJECT(5, "secretRef", k8s_protobuf_local_object_reference),
    PB_FIELD(6, "readOnly", BOOL),
};
static const PbMessage pb_ceph_fs_volume_source =
    PB_MESSAGE_DEF("CephFSVolumeSource", pb_ceph_fs_volume_source_fields);

static const PbField pb_flocker_volume_source_fields[] = {
    PB_FIELD(1, "datasetName", STRING),
    PB_FIELD(2, "datasetUUID", STRING),
};
static const PbMessage pb_flocker_volume_source =
    PB_MESSAGE_DEF("FlockerVolumeSource", pb_flocker_volume_source_fields);

static const PbField pb_object_field_selector_fields[] = {
    PB_FIELD(1, "apiVersion", STRING),
    PB_FIELD(2, "fieldPath", STRING),
};
static const PbMessage pb_object_field_selector =
    PB_MESSAGE_DEF("ObjectFieldSelector", pb_object_field_selector_fields);

static const PbField pb_resource_field_selector_fields[] = {
    PB_FIELD(1, "containerName", STRING),
    PB_FIELD(2, "resource", STRING),
    PB_FIELD(3, "divisor", QUANTITY),
};
static const PbMessage pb_resource_field_selector =
    PB_MESSAGE_DEF("ResourceFieldSelector", pb_resource_field_selector_fields);

static const PbField pb_downward_api_volume_file_fields[] = {
    PB_FIELD(1, "path", STRING),
    PB_OBJECT(2, "fieldRef", pb_object_field_selector),
    PB_OBJECT(3, "resourceFieldRef", pb_resource_field_selector),
    PB_OPTIONAL(4, "mode", INT32),
};
static const PbMessage pb_downward_api_volume_file =
    PB_MESSAGE_DEF("DownwardAPIVolumeFile", pb_downward_api_volume_file_fields);

static const PbField pb_downward_api_volume_source_fields[] = {
    PB_OBJECT_LIST(1, "items", pb_downward_api_volume_file),
    PB_OPTIONAL(2, "defaultMode", INT32),
};
static const PbMessage pb_downward_api_volume_source =
    PB_MESSAGE_DEF("DownwardAPIVolumeSource", pb_downward_api_volume_source_fields);

static const PbField pb_fc_volume_source_fields[] = {
    PB_LIST(1, "targetWWNs", STRING), PB_OPTIONAL(2, "lun", INT32), PB_FIELD(3, "fsType", STRING),
    PB_FIELD(4, "readOnly", BOOL),    PB_LIST(5, "wwids", STRING),
};
static const PbMessage pb_fc_volume_source = PB_MESSAGE_DEF("FCVolumeSource", pb_fc_volume_source_fields);

static const PbField pb_azure_file_volume_source_fields[] = {
    PB_FIELD(1, "secretName", STRING),
    PB_FIELD(2, "shareName", STRING),
    PB_FIELD(3, "readOnly", BOOL),
};
static const PbMessage pb_azure_file_volume_source =
    PB_MESSAGE_DEF("AzureFileVolumeSource", pb_azure_file_volume_source_fields);

static const PbField pb_config_map_volume_source_fields[] = {
    PB_EMBEDDED(1, k8s_protobuf_local_object_reference),
    PB_OBJECT_LIST(2, "items", pb_key_to_path),
    PB_OPTIONAL(3, "defaultMode", INT32),
    PB_OPTIONAL(4, "optional", BOOL),
};
static const PbMessage pb_config_map_volume_source =
    PB_MESSAGE_DEF("ConfigMapVolumeSource", pb_config_map_volume_source_fields);

static const PbField pb_vsphere_virtual_disk_volume_source_fields[] = {
    PB_FIELD(1, "volumePath", STRING),
    PB_FIELD(2, "fsType", STRING),
    PB_FIELD(3, "storagePolicyName", STRING),
    PB_FIELD(4, "storagePolicyID", STRING),
};
static const PbMessage pb_vsphere_virtual_disk_volume_source =
    PB_MESSAGE_DEF("VsphereVirtualDiskVolumeSource", pb_vsphere_virtual_disk_volume_source_fields);

static const PbField pb_quobyte_volume_source_fields[] = {
    PB_FIELD(1, "registry", STRING), PB_FIELD(2, "volume", STRING), PB_FIELD(3, "readOnly", BOOL),
    PB_FIELD(4, "user", STRING),     PB_FIELD(5, "group", STRING),  PB_FIELD(6, "tenant", STRING),
};
static const PbMessage pb_quobyte_volume_source =
    PB_MESSAGE_DEF("QuobyteVolumeSource", pb_quobyte_volume_source_fields);

static const PbField pb_azure_disk_volume_source_fields[] = {
    PB_FIELD(1, "diskName", STRING),  PB_FIELD(2, "diskURI", STRING),   PB_OPTIONAL(3, "cachingMode", STRING),
    PB_OPTIONAL(4, "fsType", STRING), PB_OPTIONAL(5, "readOnly", BOOL), PB_OPTIONAL(6, "kind", STRING),
};
static const PbMessage pb_azure_disk_volume_source =
    PB_MESSAGE_DEF("AzureDiskVolumeSource", pb_azure_disk_volume_source_fields);

static const PbField pb_photon_persistent_disk_volume_source_fields[] = {
    PB_FIELD(1, "pdID", STRING),
    PB_FIELD(2, "fsType", STRING),
};
static const PbMessage pb_photon_persistent_disk_volume_source =
    PB_MESSAGE_DEF("PhotonPersistentDiskVolumeSource", pb_photon_persistent_disk_volume_source_fields);

static const PbField pb_portworx_volume_source_fields[] = {
    PB_FIELD(1, "volumeID", STRING),
    PB_FIELD(2, "fsType", STRING),
    PB_FIELD(3, "readOnly", BOOL),
};
static const PbMessage pb_portworx_volume_source =
    PB_MESSAGE_DEF("PortworxVolumeSource", pb_portworx_volume_source_fields);

static const PbField pb_scale_io_volume_source_fields[] = {
    PB_FIELD(1, "gateway", STRING),
    PB_FIELD(2, "system", STRING),
    PB_OBJECT(3, "secretRef", k8s_protobuf_local_object_reference),
    PB_FIELD(4, "sslEnabled", BOOL),
    PB_FIELD(5, "protectionDomain", STRING),
    PB_FIELD(6, "storagePool", STRING),
    PB_FIELD(7, "storageMode", STRING),
    PB_FIELD(8, "volumeName", STRING),
    PB_FIELD(9, "fsType", STRING),
    PB_FIELD(10, "readOnly", BOOL),
};
static const PbMessage pb_scale_io_volume_source =
    PB_MESSAGE_DEF("ScaleIOVolumeSource", pb_scale_io_volume_source_fields);

static const PbField pb_secret_projection_fields[] = {
    PB_EMBEDDED(1, k8s_protobuf_local_object_reference),
    PB_OBJECT_LIST(2, "items", pb_key_to_path),
    PB_OPTIONAL(4, "optional", BOOL),
};
static const PbMessage pb_secret_projection = PB_MESSAGE_DEF("SecretProjection", pb_secret_projection_fields);

static const PbField pb_downward_api_projection_fields[] = {
    PB_OBJECT_LIST(1, "items", pb_downward_api_volume_file),
};
static const PbMessage pb_downward_api_projection =
    PB_MESSAGE_DEF("DownwardAPIProjection", pb_downward_api_projection_fields);

static const PbField pb_config_map_projection_fields[] = {
    PB_EMBEDDED(1, k8s_protobuf_local_object_reference),
    PB_OBJECT_LIST(2, "items", pb_key_to_path),
    PB_OPTIONAL(4, "optional", BOOL),
};
static const PbMessage pb_config_map_projection =
    PB_MESSAGE_DEF("ConfigMapProjection", pb_config_map_projection_fields);

static const PbField pb_service_account_token_projection_fields[] = {
    PB_FIELD(1, "audience", STRING),
    PB_OPTIONAL(2, "expirationSeconds", INT64),
    PB_FIELD(3, "path", STRING),
};
static const PbMessage pb_service_account_token_projection =
    PB_MESSAGE_DEF("ServiceAccountTokenProjection", pb_service_account_token_projection_fields);

static const PbField pb_cluster_trust_bundle_projection_fields[] = {
    PB_OPTIONAL(1, "name", STRING),
    PB_OPTIONAL(2, "signerName", STRING),
    PB_OBJECT(3, "labelSelector", k8s_protobuf_label_selector),
    PB_FIELD(4, "path", STRING),
    PB_OPTIONAL(5, "optional", BOOL),
};
static const PbMessage pb_cluster_trust_bundle_projection =
    PB_MESSAGE_DEF("ClusterTrustBundleProjection", pb_cluster_trust_bundle_projection_fields);

static const PbField pb_volume_projection_fields[] = {
    PB_OBJECT(1, "secret", pb_secret_projection),
    PB_OBJECT(2, "downwardAPI", pb_downward_api_projection),
    PB_OBJECT(3, "configMap", pb_config_map_projection),
    PB_OBJECT(4, "serviceAccountToken", pb_service_account_token_projection),
    PB_OBJECT(5, "clusterTrustBundle", pb_cluster_trust_bundle_projection),
};
static const PbMessage pb_volume_projection = PB_MESSAGE_DEF("VolumeProjection", pb_volume_projection_fields);

static const PbField pb_projected_volume_source_fields[] = {
    PB_OBJECT_LIST(1, "sources", pb_volume_projection),
    PB_OPTIONAL(2, "defaultMode", INT32),
};
static const PbMessage pb_projected_volume_source =
    PB_MESSAGE_DEF("ProjectedVolumeSource", pb_projected_volume_source_fields);

static const PbField pb_storage_os_volume_source_fields[] = {
    PB_FIELD(1, "volumeName", STRING),
    PB_FIELD(2, "volumeNamespace", STRING),
    PB_FIELD(3, "fsType", STRING),
    PB_FIELD(4, "readOnly", BOOL),
    PB_OBJECT(5, "secretRef", k8s_protobuf_local_object_reference),
};
static const PbMessage pb_storage_os_volume_source =
    PB_MESSAGE_DEF("StorageOSVolumeSource", pb_storage_os_volume_source_fields);

static const PbField pb_csi_volume_source_fields[] = {
    PB_FIELD(1, "driver", STRING),
    PB_OPTIONAL(2, "readOnly", BOOL),
    PB_OPTIONAL(3, "fsType", STRING),
    PB_MAP_OF(4, "volumeAttributes", STRING),
    PB_OBJECT(5, "nodePublishSecretRef", k8s_protobuf_local_object_reference),
};
static const PbMessage pb_csi_volume_source = PB_MESSAGE_DEF("CSIVolumeSource", pb_csi_volume_source_fields);

static const PbField pb_volume_resource_requirements_fields[] = {
    PB_MAP_OF(1, "limits", QUANTITY),
    PB_MAP_OF(2, "requests", QUANTITY),
};
static const PbMessage pb_volume_resource_requirements =
    PB_MESSAGE_DEF("VolumeResourceRequirements", pb_volume_resource_requirements_fields);

static const PbField pb_typed_local_object_reference_fields[] = {
    PB_OPTIONAL(1, "apiGroup", STRING),
    PB_FIELD(2, "kind", STRING),
    PB_FIELD(3, "name", STRING),
};
const PbMessage k8s_protobuf_typed_local_object_reference =
    PB_MESSAGE_DEF("TypedLocalObjectReference", pb_typed_local_object_reference_fields);

static const PbField pb_typed_object_reference_fields[] = {
    PB_OPTIONAL(1, "apiGroup", STRING),
    PB_FIELD(2, "kind", STRING),
    PB_FIELD(3, "name", STRING),
    PB_OPTIONAL(4, "namespace", STRING),
};
static const PbMessage pb_typed_object_reference =
    PB_MESSAGE_DEF("TypedObjectReference", pb_typed_object_reference_fields);

static const PbField pb_persistent_volume_claim_spec_fields[] = {
    PB_LIST(1, "accessModes", STRING),
    PB_OBJECT(2, "resources", pb_volume_resource_requirements),
    PB_FIELD(3, "volumeName", STRING),
    PB_OBJECT(4, "selector", k8s_protobuf_label_selector),
    PB_OPTIONAL(5, "storageClassName", STRING),
    PB_OPTIONAL(6, "volumeMode", STRING),
    PB_OBJECT(7, "dataSource", k8s_protobuf_typed_local_object_reference),
    PB_OBJECT(8, "dataSourceRef", pb_typed_object_reference),
    PB_OPTIONAL(9, "volumeAttributesClassName", STRING),
};
static const PbMessage pb_persistent_volume_claim_spec =
    PB_MESSAGE_DEF("PersistentVolumeClaimSpec", pb_persistent_volume_claim_spec_fields);

static const PbField pb_persistent_volume_claim_template_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_persistent_volume_claim_spec),
};
static const PbMessage pb_persistent_volume_claim_template =
    PB_MESSAGE_DEF("PersistentVolumeClaimTemplate", pb_persistent_volume_claim_template_fields);

static const PbField pb_ephemeral_volume_source_fields[] = {
    PB_OBJECT(1, "volumeClaimTemplate", pb_persistent_volume_claim_template),
};
static const PbMessage pb_ephemeral_volume_source =
    PB_MESSAGE_DEF("EphemeralVolumeSource", pb_ephemeral_volume_source_fields);

static const PbField pb_image_volume_source_fields[] = {
    PB_FIELD(1, "reference", STRING),
    PB_FIELD(2, "pullPolicy", STRING),
};
static const PbMessage pb_image_volume_source =
    PB_MESSAGE_DEF("ImageVolumeSource", pb_image_volume_source_fields);

static const PbField pb_volume_source_fields[] = {
    PB_OBJECT(1, "hostPath", pb_host_path_volume_source),
    PB_OBJECT(2, "emptyDir", pb_empty_dir_volume_source),
    PB_OBJECT(3, "gcePersistentDisk", pb_gce_persistent_disk_volume_source),
    PB_OBJECT(4, "awsElasticBlockStore", pb_aws_elastic_block_store_volume_source),
    PB_OBJECT(5, "gitRepo", pb_git_repo_volume_source),
    PB_OBJECT(6, "secret", pb_secret_volume_source),
    PB_OBJECT(7, "nfs", pb_nfs_volume_source),
    PB_OBJECT(8, "iscsi", pb_iscsi_volume_source),
    PB_OBJECT(9, "glusterfs", pb_glusterfs_volume_source),
    PB_OBJECT(10, "persistentVolumeClaim", pb_persistent_volume_claim_volume_source),
    PB_OBJECT(11, "rbd", pb_rbd_volume_source),
    PB_OBJECT(12, "flexVolume", pb_flex_volume_source),
    PB_OBJECT(13, "cinder", pb_cinder_volume_source),
    PB_OBJECT(14, "cephfs", pb_ceph_fs_volume_source),
    PB_OBJECT(15, "flocker", pb_flocker_volume_source),
    PB_OBJECT(16, "downwardAPI", pb_downward_api_volume_source),
    PB_OBJECT(17, "fc", pb_fc_volume_source),
    PB_OBJECT(18, "azureFile", pb_azure_file_volume_source),
    PB_OBJECT(19, "configMap", pb_config_map_volume_source),
    PB_OBJECT(20, "vsphereVolume", pb_vsphere_virtual_disk_volume_source),
    PB_OBJECT(21, "quobyte", pb_quobyte_volume_source),
    PB_OBJECT(22, "azureDisk", pb_azure_disk_volume_source),
    PB_OBJECT(23, "photonPersistentDisk", pb_photon_persistent_disk_volume_source),
    PB_OBJECT(24, "portworxVolume", pb_portworx_volume_source),
    PB_OBJECT(25, "scaleIO", pb_scale_io_volume_source),
    PB_OBJECT(26, "projected", pb_projected_volume_source),
    PB_OBJECT(27, "storageos", pb_storage_os_volume_source),
    PB_OBJECT(28, "csi", pb_csi_volume_source),
    PB_OBJECT(29, "ephemeral", pb_ephemeral_volume_source),
    PB_OBJECT(30, "image", pb_image_volume_source),
};
static const PbMessage pb_volume_source = PB_MESSAGE_DEF("VolumeSource", pb_volume_source_fields);

static const PbField pb_volume_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_EMBEDDED(2, pb_volume_source),
};
static const PbMessage pb_volume = PB_MESSAGE_DEF("Volume", pb_volume_fields);

static const PbField pb_container_port_fields[] = {
    PB_FIELD(1, "name", STRING),     PB_FIELD(2, "hostPort", INT32), PB_FIELD(3, "containerPort", INT32),
    PB_FIELD(4, "protocol", STRING), PB_FIELD(5, "hostIP", STRING),
};
static const PbMessage pb_container_port = PB_MESSAGE_DEF("ContainerPort", pb_container_port_fields);

static const PbField pb_config_map_key_selector_fields[] = {
    PB_EMBEDDED(1, k8s_protobuf_local_object_reference),
    PB_FIELD(2, "key", STRING),
    PB_OPTIONAL(3, "optional", BOOL),
};
static const PbMessage pb_config_map_key_selector =
    PB_MESSAGE_DEF("ConfigMapKeySelector", pb_config_map_key_selector_fields);

static const PbField pb_secret_key_selector_fields[] = {
    PB_EMBEDDED(1, k8s_protobuf_local_object_reference),
    PB_FIELD(2, "key", STRING),
    PB_OPTIONAL(3, "optional", BOOL),
};
static const PbMessage pb_secret_key_selector =
    PB_MESSAGE_DEF("SecretKeySelector", pb_secret_key_selector_fields);

static const PbField pb_env_var_source_fields[] = {
    PB_OBJECT(1, "fieldRef", pb_object_field_selector),
    PB_OBJECT(2, "resourceFieldRef", pb_resource_field_selector),
    PB_OBJECT(3, "configMapKeyRef", pb_config_map_key_selector),
    PB_OBJECT(4, "secretKeyRef", pb_secret_key_selector),
};
static const PbMessage pb_env_var_source = PB_MESSAGE_DEF("EnvVarSource", pb_env_var_source_fields);

static const PbField pb_env_var_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "value", STRING),
    PB_OBJECT(3, "valueFrom", pb_env_var_source),
};
static const PbMessage pb_env_var = PB_MESSAGE_DEF("EnvVar", pb_env_var_fields);

static const PbField pb_resource_claim_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "request", STRING),
};
static const PbMessage pb_resource_claim = PB_MESSAGE_DEF("ResourceClaim", pb_resource_claim_fields);

static const PbField pb_resource_requirements_fields[] = {
    PB_MAP_OF(1, "limits", QUANTITY),
    PB_MAP_OF(2, "requests", QUANTITY),
    PB_OBJECT_LIST(3, "claims", pb_resource_claim),
};
static const PbMessage pb_resource_requirements =
    PB_MESSAGE_DEF("ResourceRequirements", pb_resource_requirements_fields);

static const PbField pb_volume_mount_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "readOnly", BOOL),
    PB_FIELD(3, "mountPath", STRING),
    PB_FIELD(4, "subPath", STRING),
    PB_OPTIONAL(5, "mountPropagation", STRING),
    PB_FIELD(6, "subPathExpr", STRING),
    PB_OPTIONAL(7, "recursiveReadOnly", STRING),
};
static const PbMessage pb_volume_mount = PB_MESSAGE_DEF("VolumeMount", pb_volume_mount_fields);

static const PbField pb_exec_action_fields[] = {
    PB_LIST(1, "command", STRING),
};
static const PbMessage pb_exec_action = PB_MESSAGE_DEF("ExecAction", pb_exec_action_fields);

static const PbField pb_http_header_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "value", STRING),
};
static const PbMessage pb_http_header = PB_MESSAGE_DEF("HTTPHeader", pb_http_header_fields);

static const PbField pb_http_get_action_fields[] = {
    PB_FIELD(1, "path", STRING),
    PB_FIELD(2, "port", INT_OR_STRING),
    PB_FIELD(3, "host", STRING),
    PB_FIELD(4, "scheme", STRING),
    PB_OBJECT_LIST(5, "httpHeaders", pb_http_header),
};
static const PbMessage pb_http_get_action = PB_MESSAGE_DEF("HTTPGetAction", pb_http_get_action_fields);

static const PbField pb_tcp_socket_action_fields[] = {
    PB_FIELD(1, "port", INT_OR_STRING),
    PB_FIELD(2, "host", STRING),
};
static const PbMessage pb_tcp_socket_action = PB_MESSAGE_DEF("TCPSocketAction", pb_tcp_socket_action_fields);

static const PbField pb_grpc_action_fields[] = {
    PB_FIELD(1, "port", INT32),
    PB_OPTIONAL(2, "service", STRING),
};
static const PbMessage pb_grpc_action = PB_MESSAGE_DEF("GRPCAction", pb_grpc_action_fields);

static const PbField pb_probe_handler_fields[] = {
    PB_OBJECT(1, "exec", pb_exec_action),
    PB_OBJECT(2, "httpGet", pb_http_get_action),
    PB_OBJECT(3, "tcpSocket", pb_tcp_socket_action),
    PB_OBJECT(4, "grpc", pb_grpc_action),
};
static const PbMessage pb_probe_handler = PB_MESSAGE_DEF("ProbeHandler", pb_probe_handler_fields);

static const PbField pb_probe_fields[] = {
    PB_EMBEDDED(1, pb_probe_handler),
    PB_FIELD(2, "initialDelaySeconds", INT32),
    PB_FIELD(3, "timeoutSeconds", INT32),
    PB_FIELD(4, "periodSeconds", INT32),
    PB_FIELD(5, "successThreshold", INT32),
    PB_FIELD(6, "failureThreshold", INT32),
    PB_OPTIONAL(7, "terminationGracePeriodSeconds", INT64),
};
static const PbMessage pb_probe = PB_MESSAGE_DEF("Probe", pb_probe_fields);

static const PbField pb_sleep_action_fields[] = {
    PB_FIELD(1, "seconds", INT64),
};
static const PbMessage pb_sleep_action = PB_MESSAGE_DEF("SleepAction", pb_sleep_action_fields);

static const PbField pb_lifecycle_handler_fields[] = {
    PB_OBJECT(1, "exec", pb_exec_action),
    PB_OBJECT(2, "httpGet", pb_http_get_action),
    PB_OBJECT(3, "tcpSocket", pb_tcp_socket_action),
    PB_OBJECT(4, "sleep", pb_sleep_action),
};
static const PbMessage pb_lifecycle_handler = PB_MESSAGE_DEF("LifecycleHandler", pb_lifecycle_handler_fields);

static const PbField pb_lifecycle_fields[] = {
    PB_OBJECT(1, "postStart", pb_lifecycle_handler), PB_OBJECT(2, "preStop", pb_lifecycle_handler),
    PB_OPTIONAL(3, "stopSignal", STRING), /* 1.33 */
};
static const PbMessage pb_lifecycle = PB_MESSAGE_DEF("Lifecycle", pb_lifecycle_fields);

static const PbField pb_capabilities_fields[] = {
    PB_LIST(1, "add", STRING),
    PB_LIST(2, "drop", STRING),
};
static const PbMessage pb_capabilities = PB_MESSAGE_DEF("Capabilities", pb_capabilities_fields);

static const PbField pb_se_linux_options_fields[] = {
    PB_FIELD(1, "user", STRING),
    PB_FIELD(2, "role", STRING),
    PB_FIELD(3, "type", STRING),
    PB_FIELD(4, "level", STRING),
};
static const PbMessage pb_se_linux_options = PB_MESSAGE_DEF("SELinuxOptions", pb_se_linux_options_fields);

static const PbField pb_windows_security_context_options_fields[] = {
    PB_OPTIONAL(1, "gmsaCredentialSpecName", STRING),
    PB_OPTIONAL(2, "gmsaCredentialSpec", STRING),
    PB_OPTIONAL(3, "runAsUserName", STRING),
    PB_OPTIONAL(4, "hostProcess", BOOL),
};
static const PbMessage pb_windows_security_context_options =
    PB_MESSAGE_DEF("WindowsSecurityContextOptions", pb_windows_security_context_options_fields);

static const PbField pb_seccomp_profile_fields[] = {
    PB_FIELD(1, "type", STRING),
    PB_OPTIONAL(2, "localhostProfile", STRING),
};
static const PbMessage pb_seccomp_profile = PB_MESSAGE_DEF("SeccompProfile", pb_seccomp_profile_fields);

static const PbField pb_app_armor_profile_fields[] = {
    PB_FIELD(1, "type", STRING),
    PB_OPTIONAL(2, "localhostProfile", STRING),
};
static const PbMessage pb_app_armor_profile = PB_MESSAGE_DEF("AppArmorProfile", pb_app_armor_profile_fields);

static const PbField pb_security_context_fields[] = {
    PB_OBJECT(1, "capabilities", pb_capabilities),
    PB_OPTIONAL(2, "privileged", BOOL),
    PB_OBJECT(3, "seLinuxOptions", pb_se_linux_options),
    PB_OPTIONAL(4, "runAsUser", INT64),
    PB_OPTIONAL(5, "runAsNonRoot", BOOL),
    PB_OPTIONAL(6, "readOnlyRootFilesystem", BOOL),
    PB_OPTIONAL(7, "allowPrivilegeEscalation", BOOL),
    PB_OPTIONAL(8, "runAsGroup", INT64),
    PB_OPTIONAL(9, "procMount", STRING),
    PB_OBJECT(10, "windowsOptions", pb_windows_security_context_options),
    PB_OBJECT(11, "seccompProfile", pb_seccomp_profile),
    PB_OBJECT(12, "appArmorProfile", pb_app_armor_profile),
};
static const PbMessage pb_security_context = PB_MESSAGE_DEF("SecurityContext", pb_security_context_fields);

static const PbField pb_config_map_env_source_fields[] = {
    PB_EMBEDDED(1, k8s_protobuf_local_object_reference),
    PB_OPTIONAL(2, "optional", BOOL),
};
static const PbMessage pb_config_map_env_source =
    PB_MESSAGE_DEF("ConfigMapEnvSource", pb_config_map_env_source_fields);

static const PbField pb_secret_env_source_fields[] = {
    PB_EMBEDDED(1, k8s_protobuf_local_object_reference),
    PB_OPTIONAL(2, "optional", BOOL),
};
static const PbMessage pb_secret_env_source = PB_MESSAGE_DEF("SecretEnvSource", pb_secret_env_source_fields);

static const PbField pb_env_from_source_fields[] = {
    PB_FIELD(1, "prefix", STRING),
    PB_OBJECT(2, "configMapRef", pb_config_map_env_source),
    PB_OBJECT(3, "secretRef", pb_secret_env_source),
};
static const PbMessage pb_env_from_source = PB_MESSAGE_DEF("EnvFromSource", pb_env_from_source_fields);

static const PbField pb_volume_device_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "devicePath", STRING),
};
static const PbMessage pb_volume_device = PB_MESSAGE_DEF("VolumeDevice", pb_volume_device_fields);

static const PbField pb_container_resize_policy_fields[] = {
    PB_FIELD(1, "resourceName", STRING),
    PB_FIELD(2, "restartPolicy", STRING),
};
static const PbMessage pb_container_resize_policy =
    PB_MESSAGE_DEF("ContainerResizePolicy", pb_container_resize_policy_fields);

static const PbField pb_container_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "image", STRING),
    PB_LIST(3, "command", STRING),
    PB_LIST(4, "args", STRING),
    PB_FIELD(5, "workingDir", STRING),
    PB_OBJECT_LIST(6, "ports", pb_container_port),
    PB_OBJECT_LIST(7, "env", pb_env_var),
    PB_OBJECT(8, "resources", pb_resource_requirements),
    PB_OBJECT_LIST(9, "volumeMounts", pb_volume_mount),
    PB_OBJECT(10, "livenessProbe", pb_probe),
    PB_OBJECT(11, "readinessProbe", pb_probe),
    PB_OBJECT(12, "lifecycle", pb_lifecycle),
    PB_FIELD(13, "terminationMessagePath", STRING),
    PB_FIELD(14, "imagePullPolicy", STRING),
    PB_OBJECT(15, "securityContext", pb_security_context),
    PB_FIELD(16, "stdin", BOOL),
    PB_FIELD(17, "stdinOnce", BOOL),
    PB_FIELD(18, "tty", BOOL),
    PB_OBJECT_LIST(19, "envFrom", pb_env_from_source),
    PB_FIELD(20, "terminationMessagePolicy", STRING),
    PB_OBJECT_LIST(21, "volumeDevices", pb_volume_device),
    PB_OBJECT(22, "startupProbe", pb_probe),
    PB_OBJECT_LIST(23, "resizePolicy", pb_container_resize_policy),
    PB_OPTIONAL(24, "restartPolicy", STRING),
};
static const PbMessage pb_container = PB_MESSAGE_DEF("Container", pb_container_fields);

static const PbField pb_sysctl_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "value", STRING),
};
static const PbMessage pb_sysctl = PB_MESSAGE_DEF("Sysctl", pb_sysctl_fields);

static const PbField pb_pod_security_context_fields[] = {
    PB_OBJECT(1, "seLinuxOptions", pb_se_linux_options),
    PB_OPTIONAL(2, "runAsUser", INT64),
    PB_OPTIONAL(3, "runAsNonRoot", BOOL),
    PB_LIST(4, "supplementalGroups", INT64),
    PB_OPTIONAL(5, "fsGroup", INT64),
    PB_OPTIONAL(6, "runAsGroup", INT64),
    PB_OBJECT_LIST(7, "sysctls", pb_sysctl),
    PB_OBJECT(8, "windowsOptions", pb_windows_security_context_options),
    PB_OPTIONAL(9, "fsGroupChangePolicy", STRING),
    PB_OBJECT(10, "seccompProfile", pb_seccomp_profile),
    PB_OBJECT(11, "appArmorProfile", pb_app_armor_profile),
    PB_OPTIONAL(12, "supplementalGroupsPolicy", STRING),
    PB_OPTIONAL(13, "seLinuxChangePolicy", STRING),
};
static const PbMessage pb_pod_security_context =
    PB_MESSAGE_DEF("PodSecurityContext", pb_pod_security_context_fields);

static const PbField pb_node_selector_requirement_fields[] = {
    PB_FIELD(1, "key", STRING),
    PB_FIELD(2, "operator", STRING),
    PB_LIST(3, "values", STRING),
};
static const PbMessage pb_node_selector_requirement =
    PB_MESSAGE_DEF("NodeSelectorRequirement", pb_node_selector_requirement_fields);

static const PbField pb_node_selector_term_fields[] = {
    PB_OBJECT_LIST(1, "matchExpressions", pb_node_selector_requirement),
    PB_OBJECT_LIST(2, "matchFields", pb_node_selector_requirement),
};
static const PbMessage pb_node_selector_term =
    PB_MESSAGE_DEF("NodeSelectorTerm", pb_node_selector_term_fields);

static const PbField pb_node_selector_fields[] = {
    PB_OBJECT_LIST(1, "nodeSelectorTerms", pb_node_selector_term),
};
static const PbMessage pb_node_selector = PB_MESSAGE_DEF("NodeSelector", pb_node_selector_fields);

static const PbField pb_preferred_scheduling_term_fields[] = {
    PB_FIELD(1, "weight", INT32),
    PB_OBJECT(2, "preference", pb_node_selector_term),
};
static const PbMessage pb_preferred_scheduling_term =
    PB_MESSAGE_DEF("PreferredSchedulingTerm", pb_preferred_scheduling_term_fields);

static const PbField pb_node_affinity_fields[] = {
    PB_OBJECT(1, "requiredDuringSchedulingIgnoredDuringExecution", pb_node_selector),
    PB_OBJECT_LIST(2, "preferredDuringSchedulingIgnoredDuringExecution", pb_preferred_scheduling_term),
};
static const PbMessage pb_node_affinity = PB_MESSAGE_DEF("NodeAffinity", pb_node_affinity_fields);

static const PbField pb_pod_affinity_term_fields[] = {
    PB_OBJECT(1, "labelSelector", k8s_protobuf_label_selector),
    PB_LIST(2, "namespaces", STRING),
    PB_FIELD(3, "topologyKey", STRING),
    PB_OBJECT(4, "namespaceSelector", k8s_protobuf_label_selector),
    PB_LIST(5, "matchLabelKeys", STRING),
    PB_LIST(6, "mismatchLabelKeys", STRING),
};
static const PbMessage pb_pod_affinity_term = PB_MESSAGE_DEF("PodAffinityTerm", pb_pod_affinity_term_fields);

static const PbField pb_weighted_pod_affinity_term_fields[] = {
    PB_FIELD(1, "weight", INT32),
    PB_OBJECT(2, "podAffinityTerm", pb_pod_affinity_term),
};
static const PbMessage pb_weighted_pod_affinity_term =
    PB_MESSAGE_DEF("WeightedPodAffinityTerm", pb_weighted_pod_affinity_term_fields);

static const PbField pb_pod_affinity_fields[] = {
    PB_OBJECT_LIST(1, "requiredDuringSchedulingIgnoredDuringExecution", pb_pod_affinity_term),
    PB_OBJECT_LIST(2, "preferredDuringSchedulingIgnoredDuringExecution", pb_weighted_pod_affinity_term),
};
static const PbMessage pb_pod_affinity = PB_MESSAGE_DEF("PodAffinity", pb_pod_affinity_fields);

static const PbField pb_pod_anti_affinity_fields[] = {
    PB_OBJECT_LIST(1, "requiredDuringSchedulingIgnoredDuringExecution", pb_pod_affinity_term),
    PB_OBJECT_LIST(2, "preferredDuringSchedulingIgnoredDuringExecution", pb_weighted_pod_affinity_term),
};
static const PbMessage pb_pod_anti_affinity = PB_MESSAGE_DEF("PodAntiAffinity", pb_pod_anti_affinity_fields);

static const PbField pb_affinity_fields[] = {
    PB_OBJECT(1, "nodeAffinity", pb_node_affinity),
    PB_OBJECT(2, "podAffinity", pb_pod_affinity),
    PB_OBJECT(3, "podAntiAffinity", pb_pod_anti_affinity),
};
static const PbMessage pb_affinity = PB_MESSAGE_DEF("Affinity", pb_affinity_fields);

static const PbField pb_toleration_fields[] = {
    PB_FIELD(1, "key", STRING),
    PB_FIELD(2, "operator", STRING),
    PB_FIELD(3, "value", STRING),
    PB_FIELD(4, "effect", STRING),
    PB_OPTIONAL(5, "tolerationSeconds", INT64),
};
static const PbMessage pb_toleration = PB_MESSAGE_DEF("Toleration", pb_toleration_fields);

static const PbField pb_host_alias_fields[] = {
    PB_FIELD(1, "ip", STRING),
    PB_LIST(2, "hostnames", STRING),
};
static const PbMessage pb_host_alias = PB_MESSAGE_DEF("HostAlias", pb_host_alias_fields);

static const PbField pb_pod_dns_config_option_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_OPTIONAL(2, "value", STRING),
};
static const PbMessage pb_pod_dns_config_option =
    PB_MESSAGE_DEF("PodDNSConfigOption", pb_pod_dns_config_option_fields);

static const PbField pb_pod_dns_config_fields[] = {
    PB_LIST(1, "nameservers", STRING),
    PB_LIST(2, "searches", STRING),
    PB_OBJECT_LIST(3, "options", pb_pod_dns_config_option),
};
static const PbMessage pb_pod_dns_config = PB_MESSAGE_DEF("PodDNSConfig", pb_pod_dns_config_fields);

static const PbField pb_pod_readiness_gate_fields[] = {
    PB_FIELD(1, "conditionType", STRING),
};
static const PbMessage pb_pod_readiness_gate =
    PB_MESSAGE_DEF("PodReadinessGate", pb_pod_readiness_gate_fields);

static const PbField pb_topology_spread_constraint_fields[] = {
    PB_FIELD(1, "maxSkew", INT32),
    PB_FIELD(2, "topologyKey", STRING),
    PB_FIELD(3, "whenUnsatisfiable", STRING),
    PB_OBJECT(4, "labelSelector", k8s_protobuf_label_selector),
    PB_OPTIONAL(5, "minDomains", INT32),
    PB_OPTIONAL(6, "nodeAffinityPolicy", STRING),
    PB_OPTIONAL(7, "nodeTaintsPolicy", STRING),
    PB_LIST(8, "matchLabelKeys", STRING),
};
static const PbMessage pb_topology_spread_constraint =
    PB_MESSAGE_DEF("TopologySpreadConstraint", pb_topology_spread_constraint_fields);

static const PbField pb_ephemeral_container_common_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_FIELD(2, "image", STRING),
    PB_LIST(3, "command", STRING),
    PB_LIST(4, "args", STRING),
    PB_FIELD(5, "workingDir", STRING),
    PB_OBJECT_LIST(6, "ports", pb_container_port),
    PB_OBJECT_LIST(7, "env", pb_env_var),
    PB_OBJECT(8, "resources", pb_resource_requirements),
    PB_OBJECT_LIST(9, "volumeMounts", pb_volume_mount),
    PB_OBJECT(10, "livenessProbe", pb_probe),
    PB_OBJECT(11, "readinessProbe", pb_probe),
    PB_OBJECT(12, "lifecycle", pb_lifecycle),
    PB_FIELD(13, "terminationMessagePath", STRING),
    PB_FIELD(14, "imagePullPolicy", STRING),
    PB_OBJECT(15, "securityContext", pb_security_context),
    PB_FIELD(16, "stdin", BOOL),
    PB_FIELD(17, "stdinOnce", BOOL),
    PB_FIELD(18, "tty", BOOL),
    PB_OBJECT_LIST(19, "envFrom", pb_env_from_source),
    PB_FIELD(20, "terminationMessagePolicy", STRING),
    PB_OBJECT_LIST(21, "volumeDevices", pb_volume_device),
    PB_OBJECT(22, "startupProbe", pb_probe),
    PB_OBJECT_LIST(23, "resizePolicy", pb_container_resize_policy),
    PB_OPTIONAL(24, "restartPolicy", STRING),
};
static const PbMessage pb_ephemeral_container_common =
    PB_MESSAGE_DEF("EphemeralContainerCommon", pb_ephemeral_container_common_fields);

static const PbField pb_ephemeral_container_fields[] = {
    PB_EMBEDDED(1, pb_ephemeral_container_common),
    PB_FIELD(2, "targetContainerName", STRING),
};
static const PbMessage pb_ephemeral_container =
    PB_MESSAGE_DEF("EphemeralContainer", pb_ephemeral_container_fields);

static const PbField pb_pod_os_fields[] = {
    PB_FIELD(1, "name", STRING),
};
static const PbMessage pb_pod_os = PB_MESSAGE_DEF("PodOS", pb_pod_os_fields);

static const PbField pb_pod_scheduling_gate_fields[] = {
    PB_FIELD(1, "name", STRING),
};
static const PbMessage pb_pod_scheduling_gate =
    PB_MESSAGE_DEF("PodSchedulingGate", pb_pod_scheduling_gate_fields);

static const PbField pb_pod_resource_claim_fields[] = {
    PB_FIELD(1, "name", STRING),
    PB_OPTIONAL(3, "resourceClaimName", STRING),
    PB_OPTIONAL(4, "resourceClaimTemplateName", STRING),
};
static const PbMessage pb_pod_resource_claim =
    PB_MESSAGE_DEF("PodResourceClaim", pb_pod_resource_claim_fields);

static const PbField pb_pod_spec_fields[] = {
    PB_OBJECT_LIST(1, "volumes", pb_volume),
    PB_OBJECT_LIST(2, "containers", pb_container),
    PB_FIELD(3, "restartPolicy", STRING),
    PB_OPTIONAL(4, "terminationGracePeriodSeconds", INT64),
    PB_OPTIONAL(5, "activeDeadlineSeconds", INT64),
    PB_FIELD(6, "dnsPolicy", STRING),
    PB_MAP_OF(7, "nodeSelector", STRING),
    PB_FIELD(8, "serviceAccountName", STRING),
    PB_FIELD(9, "serviceAccount", STRING),
    PB_FIELD(10, "nodeName", STRING),
    PB_FIELD(11, "hostNetwork", BOOL),
    PB_FIELD(12, "hostPID", BOOL),
    PB_FIELD(13, "hostIPC", BOOL),
    PB_OBJECT(14, "securityContext", pb_pod_security_context),
    PB_OBJECT_LIST(15, "imagePullSecrets", k8s_protobuf_local_object_reference),
    PB_FIELD(16, "hostname", STRING),
    PB_FIELD(17, "subdomain", STRING),
    PB_OBJECT(18, "affinity", pb_affinity),
    PB_FIELD(19, "schedulerName", STRING),
    PB_OBJECT_LIST(20, "initContainers", pb_container),
    PB_OPTIONAL(21, "automountServiceAccountToken", BOOL),
    PB_OBJECT_LIST(22, "tolerations", pb_toleration),
    PB_OBJECT_LIST(23, "hostAliases", pb_host_alias),
    PB_FIELD(24, "priorityClassName", STRING),
    PB_OPTIONAL(25, "priority", INT32),
    PB_OBJECT(26, "dnsConfig", pb_pod_dns_config),
    PB_OPTIONAL(27, "shareProcessNamespace", BOOL),
    PB_OBJECT_LIST(28, "readinessGates", pb_pod_readiness_gate),
    PB_OPTIONAL(29, "runtimeClassName", STRING),
    PB_OPTIONAL(30, "enableServiceLinks", BOOL),
    PB_OPTIONAL(31, "preemptionPolicy", STRING),
    PB_MAP_OF(32, "overhead", QUANTITY),
    PB_OBJECT_LIST(33, "topologySpreadConstraints", pb_topology_spread_constraint),
    PB_OBJECT_LIST(34, "ephemeralContainers", pb_ephemeral_container),
    PB_OPTIONAL(35, "setHostnameAsFQDN", BOOL),
    PB_OBJECT(36, "os", pb_pod_os),
    PB_OPTIONAL(37, "hostUsers", BOOL),
    PB_OBJECT_LIST(38, "schedulingGates", pb_pod_scheduling_gate),
    PB_OBJECT_LIST(39, "resourceClaims", pb_pod_resource_claim),
    PB_OBJECT(40, "resources", pb_resource_requirements),
};
static const PbMessage pb_pod_spec = PB_MESSAGE_DEF("PodSpec", pb_pod_spec_fields);

static const PbField pb_pod_template_spec_fields[] = {
    PB_OBJECT(1, "metadata", k8s_protobuf_object_meta),
    PB_OBJECT(2, "spec", pb_pod_spec),
};
const PbMessage k8s_protobuf_pod_template_spec =
    PB_MESSAGE_DEF("PodTemplateSpec", pb_pod_template_spec_fields);
