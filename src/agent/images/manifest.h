/* OCI and Docker schema 2 manifests, image indexes / manifest lists and image configs: decoding with limits,
 * validation of every descriptor, and the choice of one platform's manifest in an index. Registries and
 * archives are untrusted, so everything here checks types, digests and counts before anything is used. */
#pragma once

#include <jansson.h>

#include "base/error.h"

#define IMAGE_MANIFEST_MAX_BYTES (4 * 1024 * 1024) /* containerd's limit too */
#define IMAGE_CONFIG_MAX_BYTES (8 * 1024 * 1024)
#define IMAGE_MAX_LAYERS 256
#define IMAGE_MAX_INDEX_ENTRIES 1024

#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define MEDIA_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
/* Every manifest type a pull accepts, in the order of preference sent to registries. Without the OCI
 * types a registry answers 404 for OCI content; without the Docker v2 type, registry 2.8 converts to
 * schema 1. */
#define IMAGE_MANIFEST_ACCEPT                                                                                \
  MEDIA_OCI_INDEX ", " MEDIA_OCI_MANIFEST ", " MEDIA_DOCKER_LIST ", " MEDIA_DOCKER_MANIFEST

typedef enum ImageManifestKind {
  IMAGE_MANIFEST_OCI_INDEX,
  IMAGE_MANIFEST_DOCKER_LIST,
  IMAGE_MANIFEST_OCI,
  IMAGE_MANIFEST_DOCKER,
  _IMAGE_MANIFEST_KIND_MAX,
  IMAGE_MANIFEST_KIND_INVALID = -1,
} ImageManifestKind;

/* Media type of a kind; NULL for INVALID. */
const char *image_manifest_kind_to_string(ImageManifestKind k);
ImageManifestKind image_manifest_kind_from_string(const char *media_type);
static inline bool image_manifest_kind_is_index(ImageManifestKind k) {
  return k == IMAGE_MANIFEST_OCI_INDEX || k == IMAGE_MANIFEST_DOCKER_LIST;
}

typedef struct ImagePlatform {
  char *os; /* NULL when the descriptor has no platform */
  char *architecture;
  char *variant;
} ImagePlatform;

typedef struct ImageDescriptor {
  char *media_type;
  char *digest; /* validated "sha256:<hex>" */
  int64_t size;
  ImagePlatform platform;
  char *ref_name;        /* annotation org.opencontainers.image.ref.name, or NULL */
  char *containerd_name; /* annotation io.containerd.image.name, or NULL */
} ImageDescriptor;

typedef struct ImageManifest {
  ImageManifestKind kind;
  /* manifests */
  ImageDescriptor config;
  ImageDescriptor *layers;
  size_t n_layers;
  /* indexes */
  ImageDescriptor *manifests;
  size_t n_manifests;
} ImageManifest;

/* Decodes a manifest or an index. content_type (may be NULL, parameters ignored) is the registry's
 * Content-Type; when it is missing or generic the document's mediaType decides, then its shape. Schema 1
 * manifests are refused with a message saying so. ret is written only on success. */
int image_manifest_parse(const char *data, size_t len, const char *content_type, ImageManifest *ret,
                         Error *err);
void image_manifest_done(ImageManifest *m);

/* Picks the entry of an index for os/architecture (variant may be NULL: any). Aliases are understood
 * (x86_64 = amd64, aarch64 = arm64). Entries with a matching platform come first; an entry without
 * platform is taken only when none matches (nested indexes carry none). -ENOENT with a message listing the
 * platforms on offer when nothing fits. */
int image_manifest_select(const ImageManifest *index, const char *os, const char *architecture,
                          const char *variant, size_t *ret_index, Error *err);

/* The platform this binary runs on, as OCI names it ("linux", "amd64"). */
const char *image_platform_os(void);
const char *image_platform_architecture(void);

typedef struct ImageConfig {
  char **diff_ids; /* NULL-terminated, validated */
  size_t n_diff_ids;
  char *os;
  char *architecture;
  json_t *doc; /* the whole config, for the runtime (Env, Cmd, Entrypoint, WorkingDir, User…) */
} ImageConfig;

int image_config_parse(const char *data, size_t len, ImageConfig *ret, Error *err);
void image_config_done(ImageConfig *c);

/* Layer media types a pull can unpack (OCI tar, +gzip, +zstd; Docker tar and tar.gzip). */
bool image_layer_media_type_supported(const char *media_type);
