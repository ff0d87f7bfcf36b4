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

/* ---- garbage collection policy (gc.c; the kubelet's imageGCHigh/LowThresholdPercent, imageMinimumGCAge)
 * ---- */
typedef struct ImageGcPolicy {
  int high_percent;    /* act when disk usage >= this (100 disables) */
  int low_percent;     /* then free down to this usage */
  int64_t min_age_sec; /* never delete an image first seen less than this ago */
} ImageGcPolicy;

/* One stored image as the collector sees it. */
typedef struct ImageGcItem {
  const char *id;     /* the image ID (config digest) */
  int64_t size;       /* bytes it holds (ImageInfo.size) */
  int64_t first_seen; /* unix seconds: when the collector first saw it */
  int64_t last_used;  /* unix seconds: when a container last used it (first_seen if never) */
  bool in_use;        /* a container of this node (running or exited) uses it */
} ImageGcItem;

typedef struct ImageGcResult {
  bool triggered;    /* usage reached the high threshold */
  int usage_percent; /* 100 - available * 100 / capacity */
  int64_t to_free;   /* bytes to free to come back to the low threshold */
  int64_t freed;     /* bytes of the images chosen */
} ImageGcResult;

/* Rejects thresholds the kubelet rejects (each within 0..100, low < high unless high is 100). */
int image_gc_check_thresholds(int high, int low, Error *err);

/* Chooses the images to delete: none while usage < high; else unused images old enough, least recently
 * used first, until freed >= to_free. order (room for n) receives the chosen items' indices in deletion
 * order; returns how many. res->freed < res->to_free afterwards means the collector cannot free enough. */
size_t image_gc_plan(const ImageGcPolicy *p, uint64_t capacity, uint64_t available, const ImageGcItem *items,
                     size_t n, int64_t now, size_t *order, ImageGcResult *res);
