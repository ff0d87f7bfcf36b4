/* The node agent's image service: pulls images from registries (through the mirrors and credentials of
 * registries.yaml), imports archives, lists and removes images, and hands the runtime the unpacked layers
 * of an image. It is a library used in-process by `coracle server`, the future `coracle agent` and the
 * `coracle images` commands, which may all run at once on the same DATA_DIR: processes coordinate through
 * the content store's lock file (see content.h), threads of one process through the service's mutex.
 *
 * Every failure comes with a message meant for users: a pull that fails says
 * `failed to pull image "REF": <why>` with the registry's own words, which the kubelet side reports as
 * ErrImagePull; a malformed reference fails with -EINVAL and the InvalidImageName text. */
#pragma once

#include <jansson.h>

#include "agent/images/registries.h"
#include "base/error.h"

typedef struct ImageService ImageService;

typedef struct ImageServiceOptions {
  const char *data_dir;        /* the images live in DATA_DIR/agent/images */
  const char *registries_path; /* registries.yaml; a missing file means no mirrors and no credentials */
  const char *user_agent;      /* "coracle/VERSION" */
  const char *os;              /* platform to pull from image indexes; NULL = this machine's */
  const char *architecture;
  const char *variant;
  unsigned parallel_layers; /* layers fetched at once per pull; 0 = 3 */
} ImageServiceOptions;

/* One stored image, as recorded under one name. */
typedef struct ImageInfo {
  char *name;       /* "docker.io/library/busybox:1.36" or "docker.io/library/busybox@sha256:…" */
  char *repository; /* "docker.io/library/busybox" */
  char *tag;        /* "1.36", or NULL for a name by digest */
  char *digest;     /* the repo digest: what the name resolved to (an index or a manifest) */
  char *manifest;   /* the manifest of this platform */
  char *config;     /* the image ID */
  int64_t size;     /* bytes of manifest, config and compressed layers, as the CRI reports it */
  int64_t created;  /* unix seconds when it was stored */
  size_t n_layers;
  char **layers;   /* compressed layer digests, NULL-terminated */
  char **diff_ids; /* uncompressed layer digests (the layer cache keys), bottom first, NULL-terminated */
} ImageInfo;

void image_info_free(ImageInfo *i);
static inline void image_info_freep(ImageInfo **i) {
  image_info_free(*i);
}
#define _cleanup_image_info_ _cleanup_(image_info_freep)
void image_info_list_free(ImageInfo **l, size_t n);

int image_service_open(const ImageServiceOptions *opts, ImageService **ret, Error *err);
void image_service_free(ImageService *s);
static inline void image_service_freep(ImageService **s) {
  image_service_free(*s);
}
#define _cleanup_image_service_ _cleanup_(image_service_freep)

/* Pulls ref (resolving a tag anew; a digest already stored needs no network) and records it. auth, when
 * not NULL, holds credentials from an image pull secret for the image's registry. Concurrent pulls of the
 * same reference in this process share one download. ret (may be NULL) receives the stored image. */
int image_pull(ImageService *s, const char *ref, const RegistryAuth *auth, ImageInfo **ret, Error *err);

/* Imports an OCI image layout archive or a `docker save` archive (optionally gzip or zstd compressed;
 * path "-" reads stdin). base_name (may be NULL) names images whose OCI annotation holds only a tag.
 * Returns the names imported (NULL-terminated, caller frees with strv_free) in ret_names (may be NULL). */
int image_import(ImageService *s, const char *path, const char *base_name, char ***ret_names, Error *err);

/* Imports every archive (*.tar, *.tar.gz, *.tgz, *.tar.zst) in DATA_DIR/agent/images that is new or changed
 * since it was last imported, as k3s does for air-gapped nodes at start. Failures are logged and counted;
 * returns the number of archives that failed (0 = all fine), or a negative error. */
int image_import_dir(ImageService *s, Error *err);

/* Every stored image, sorted by name. */
int image_list(ImageService *s, ImageInfo ***ret, size_t *ret_n, Error *err);

/* The stored image for ref (by name; a digest reference also matches any name that resolved to it), or
 * -ENOENT. Only images whose config and layers are all present are returned. */
int image_lookup(ImageService *s, const char *ref, ImageInfo **ret, Error *err);

/* The image config (Env, Cmd, Entrypoint, WorkingDir, User…) of a stored image. Caller owns. */
int image_config(ImageService *s, const ImageInfo *img, json_t **ret, Error *err);

/* The unpacked layer directories of a stored image, top first (the order of overlayfs' lowerdir).
 * NULL-terminated; caller frees with strv_free. */
char **image_layer_dirs(ImageService *s, const ImageInfo *img);

/* Removes the image ref names: a name, a name by digest, or an image ID (at least 12 hex characters of the
 * config digest, which removes every name of that image); then deletes the blobs and layers no image uses
 * any more. -ENOENT if nothing matched. ret_freed (may be NULL) receives the bytes of blobs deleted. */
int image_remove(ImageService *s, const char *ref, int64_t *ret_freed, Error *err);

/* A byte count as crictl prints image sizes ("1.25MB": base 1000, 4 significant digits). */
void image_format_size(int64_t bytes, char buf[static 32]);
