/* Declarations shared by the files of the image service (images.c, image-db.c, pull.c, import.c, layer.c);
 * not for other components. */
#pragma once

#include <pthread.h>

#include "agent/images/content.h"
#include "agent/images/images.h"
#include "agent/images/manifest.h"
#include "agent/images/registries.h"

/* Work in progress in this process that others may wait for instead of repeating it: a pull of an image
 * name ("image <name>") or the download and unpacking of a layer ("layer <diff_id>"). */
typedef struct PullInFlight {
  char *key;
  unsigned waiters;
  bool done;
  int code;
  char *message;
  pthread_cond_t cond;
  struct PullInFlight *next;
} PullInFlight;

struct ImageService {
  char *root;     /* DATA_DIR/agent/images */
  char *refs_dir; /* root/refs: one record per image name */
  ContentStore *content;
  RegistryConfig *registries;
  char *user_agent;
  char *os;
  char *architecture;
  char *variant;
  unsigned parallel_layers;
  pthread_mutex_t mu; /* guards inflight */
  PullInFlight *inflight;
};

/* Joins the work named key or starts it. Returns 1 when the caller starts it (and must finish it with
 * inflight_end), 0 when another thread did it: the caller waited and gets its result in *ret_code (and
 * its message in err when it failed). */
int inflight_begin(ImageService *s, const char *key, PullInFlight **ret, int *ret_code, Error *err);
void inflight_end(ImageService *s, PullInFlight *f, int code, const Error *err);

/* layer.c needs the scratch directory of the store's layout (content.c). */
const char *content_store_layers_tmp(const ContentStore *s);

/* image-db.c: the records of image names, one JSON file each, written atomically. */
int image_db_put(ImageService *s, const ImageInfo *info, Error *err);
/* -ENOENT when there is no record for name. */
int image_db_get(ImageService *s, const char *name, ImageInfo **ret);
int image_db_list(ImageService *s, ImageInfo ***ret, size_t *ret_n, Error *err);
int image_db_delete(ImageService *s, const char *name);

/* Unpacks the layers of a manifest whose blobs are stored (those not yet in the layer cache), checks the
 * config against the manifest and the platform, and records the image under name. repo_digest is what the
 * name resolved to. Used by pull (after downloading) and import. */
int image_commit(ImageService *s, const char *name, const char *repo_digest, const char *manifest_digest,
                 int64_t manifest_size, const ImageManifest *m, ImageInfo **ret, Error *err);

/* Checks an image config against the manifest (one diff_id per layer) and this node's platform. */
int image_check_config(ImageService *s, const ImageManifest *m, const ImageConfig *cfg, Error *err);
