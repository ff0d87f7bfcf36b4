/* The image service's front (see images.h): opening the store, recording complete images, listing,
 * lookups for the runtime and removal with garbage collection. Pulling is in pull.c, importing in
 * import.c. */
#include "agent/images/images.h"

#include <errno.h>
#include <math.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/images/images-internal.h"
#include "agent/images/reference.h"
#include "agent/images/registry-client.h"
#include "base/log.h"
#include "base/strv.h"

int image_service_open(const ImageServiceOptions *o, ImageService **ret, Error *err) {
  _cleanup_free_ char *root = xasprintf("%s/agent/images", o->data_dir);
  RegistryConfig *reg = NULL;
  int r = registry_config_load(o->registries_path ? o->registries_path : "/etc/coracle/registries.yaml", &reg,
                               err);
  if (r < 0)
    return r;
  ContentStore *content = NULL;
  if ((r = content_store_open(root, &content, err)) < 0) {
    registry_config_free(reg);
    return r;
  }
  ImageService *s = xzalloc(sizeof *s);
  s->root = xstrdup(content_store_root(content));
  s->refs_dir = xasprintf("%s/refs", s->root);
  s->content = content;
  s->registries = reg;
  s->user_agent = xstrdup(o->user_agent ? o->user_agent : "coracle");
  s->os = xstrdup(o->os ? o->os : image_platform_os());
  s->architecture = xstrdup(o->architecture ? o->architecture : image_platform_architecture());
  s->variant = o->variant ? xstrdup(o->variant) : NULL;
  s->parallel_layers = o->parallel_layers ? MIN(o->parallel_layers, 16u) : 3;
  pthread_mutex_init(&s->mu, NULL);
  if ((r = mkdir_p(s->refs_dir, 0755)) < 0) {
    error_set(err, r, NULL, "creating %s: %s", s->refs_dir, strerror(-r));
    image_service_free(s);
    return r;
  }
  *ret = s;
  return 0;
}

void image_service_free(ImageService *s) {
  if (!s)
    return;
  content_store_free(s->content);
  registry_config_free(s->registries);
  free(s->root);
  free(s->refs_dir);
  free(s->user_agent);
  free(s->os);
  free(s->architecture);
  free(s->variant);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

int image_check_config(ImageService *s, const ImageManifest *m, const ImageConfig *cfg, Error *err) {
  if (cfg->n_diff_ids != m->n_layers)
    return error_set(err, -EBADMSG, NULL, "the image config lists %zu layers but the manifest has %zu",
                     cfg->n_diff_ids, m->n_layers);
  /* An image for another platform would fail later with an obscure exec error in the container. */
  if (cfg->os && cfg->architecture &&
      (strcasecmp(cfg->os, s->os) != 0 ||
       (!streq(cfg->architecture, s->architecture) &&
        !(streq(s->architecture, "amd64") && streq(cfg->architecture, "x86_64")))))
    return error_set(err, -ENOEXEC, NULL, "the image is for %s/%s, this node is %s/%s", cfg->os,
                     cfg->architecture, s->os, s->architecture);
  return 0;
}

int image_commit(ImageService *s, const char *name, const char *repo_digest, const char *manifest_digest,
                 int64_t manifest_size, const ImageManifest *m, ImageInfo **ret, Error *err) {
  _cleanup_free_ char *cfg_data = NULL;
  size_t cfg_len = 0;
  int r = content_blob_read(s->content, m->config.digest, IMAGE_CONFIG_MAX_BYTES, &cfg_data, &cfg_len, err);
  if (r < 0)
    return r;
  ImageConfig cfg = {0};
  if ((r = image_config_parse(cfg_data, cfg_len, &cfg, err)) < 0)
    return r;
  if ((r = image_check_config(s, m, &cfg, err)) < 0) {
    image_config_done(&cfg);
    return r;
  }
  ImageInfo *info = xzalloc(sizeof *info);
  _cleanup_image_ref_ ImageRef ref = {0};
  if (image_ref_parse(name, &ref, err) < 0) {
    image_config_done(&cfg);
    image_info_free(info);
    return -EINVAL;
  }
  info->name = xstrdup(name);
  info->repository = image_ref_repository(&ref);
  info->tag = ref.digest ? NULL : xstrdup(ref.tag);
  info->digest = xstrdup(repo_digest);
  info->manifest = xstrdup(manifest_digest);
  info->config = xstrdup(m->config.digest);
  info->size = manifest_size + m->config.size;
  info->created = (int64_t)time(NULL);
  info->layers = xcalloc(m->n_layers + 1, sizeof(char *));
  info->diff_ids = xcalloc(m->n_layers + 1, sizeof(char *));
  for (size_t i = 0; i < m->n_layers; i++) {
    info->layers[i] = xstrdup(m->layers[i].digest);
    info->diff_ids[i] = xstrdup(cfg.diff_ids[i]);
    info->size += m->layers[i].size;
    info->n_layers++;
  }
  image_config_done(&cfg);
  for (size_t i = 0; i < info->n_layers; i++) {
    if ((r = content_layer_unpack(s->content, info->layers[i], info->diff_ids[i], NULL, err)) < 0) {
      error_wrap(err, "layer %s: ", info->layers[i]);
      image_info_free(info);
      return r;
    }
  }
  if ((r = image_db_put(s, info, err)) < 0) {
    image_info_free(info);
    return r;
  }
  if (ret)
    *ret = info;
  else
    image_info_free(info);
  return 0;
}

int image_list(ImageService *s, ImageInfo ***ret, size_t *ret_n, Error *err) {
  return image_db_list(s, ret, ret_n, err);
}

static bool image_complete(ImageService *s, const ImageInfo *i) {
  if (!content_blob_exists(s->content, i->config, -1))
    return false;
  for (size_t k = 0; k < i->n_layers; k++)
    if (!content_layer_exists(s->content, i->diff_ids[k]))
      return false;
  return true;
}

int image_lookup(ImageService *s, const char *refstr, ImageInfo **ret, Error *err) {
  _cleanup_image_ref_ ImageRef ref = {0};
  int r = image_ref_parse(refstr, &ref, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *name = image_ref_record_name(&ref);
  ImageInfo *found = NULL;
  if (image_db_get(s, name, &found) < 0 && ref.digest) {
    /* "repo@digest" also names an image recorded by tag that resolved to that digest. */
    ImageInfo **all = NULL;
    size_t n = 0;
    _cleanup_free_ char *repo = image_ref_repository(&ref);
    if (image_db_list(s, &all, &n, NULL) == 0) {
      for (size_t i = 0; i < n && !found; i++)
        if (streq(all[i]->repository, repo) &&
            (streq(all[i]->digest, ref.digest) || streq(all[i]->manifest, ref.digest)))
          found = TAKE_PTR(all[i]);
      image_info_list_free(all, n);
    }
  }
  if (!found || !image_complete(s, found)) {
    image_info_free(found);
    return error_set(err, -ENOENT, NULL, "image \"%s\" is not present", refstr);
  }
  *ret = found;
  return 0;
}

int image_config(ImageService *s, const ImageInfo *img, json_t **ret, Error *err) {
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int r = content_blob_read(s->content, img->config, IMAGE_CONFIG_MAX_BYTES, &data, &len, err);
  if (r < 0)
    return r;
  ImageConfig cfg = {0};
  if ((r = image_config_parse(data, len, &cfg, err)) < 0)
    return r;
  json_t *c = json_incref(json_object_get(cfg.doc, "config"));
  image_config_done(&cfg);
  *ret = c ? c : json_object();
  return 0;
}

char **image_layer_dirs(ImageService *s, const ImageInfo *img) {
  char **l = xcalloc(img->n_layers + 1, sizeof(char *));
  for (size_t i = 0; i < img->n_layers; i++)
    l[i] = content_layer_path(s->content, img->diff_ids[img->n_layers - 1 - i]);
  return l;
}

/* Does ref name this record? By name, by "repo@digest", or by image ID prefix. */
static bool matches(const ImageInfo *i, const char *name, const ImageRef *ref, const char *id_prefix) {
  if (id_prefix)
    return startswith(i->config + 7, id_prefix);
  if (streq(i->name, name))
    return true;
  if (!ref->digest)
    return false;
  _cleanup_free_ char *repo = image_ref_repository(ref);
  return streq(i->repository, repo) && (streq(i->digest, ref->digest) || streq(i->manifest, ref->digest));
}

static bool is_id_prefix(const char *s) {
  if (startswith(s, "sha256:"))
    s += 7;
  size_t n = strlen(s);
  if (n < 12 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

int image_remove(ImageService *s, const char *refstr, int64_t *ret_freed, Error *err) {
  const char *id_prefix = NULL;
  _cleanup_image_ref_ ImageRef ref = {0};
  _cleanup_free_ char *name = NULL;
  if (is_id_prefix(refstr)) {
    id_prefix = startswith(refstr, "sha256:") ? refstr + 7 : refstr;
  } else {
    int r = image_ref_parse(refstr, &ref, err);
    if (r < 0)
      return r;
    name = image_ref_record_name(&ref);
  }
  /* Exclusive: no pull or import may be between storing blobs and recording its image while the
   * unreferenced ones are deleted. */
  _cleanup_close_ int lock = content_store_lock(s->content, true, err);
  if (lock < 0)
    return lock;
  ImageInfo **all = NULL;
  size_t n = 0;
  int r = image_db_list(s, &all, &n, err);
  if (r < 0)
    return r;
  size_t removed = 0;
  char **live_blobs = NULL, **live_layers = NULL;
  for (size_t i = 0; i < n; i++) {
    if (matches(all[i], name, &ref, id_prefix)) {
      if (image_db_delete(s, all[i]->name) == 0)
        removed++;
      continue;
    }
    strv_push(&live_blobs, all[i]->digest);
    strv_push(&live_blobs, all[i]->manifest);
    strv_push(&live_blobs, all[i]->config);
    for (size_t k = 0; k < all[i]->n_layers; k++) {
      strv_push(&live_blobs, all[i]->layers[k]);
      strv_push(&live_layers, all[i]->diff_ids[k]);
    }
  }
  image_info_list_free(all, n);
  int64_t freed = 0;
  if (removed > 0)
    freed = content_store_gc(s->content, live_blobs, live_layers);
  strv_free(live_blobs);
  strv_free(live_layers);
  if (removed == 0)
    return error_set(err, -ENOENT, NULL, "no such image: %s", refstr);
  log_debug("images", "removed %zu name(s) for %s, freed %lld bytes of blobs", removed, refstr,
            (long long)freed);
  if (ret_freed)
    *ret_freed = freed;
  return 0;
}

void image_format_size(int64_t bytes, char buf[static 32]) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = (double)(bytes < 0 ? 0 : bytes);
  size_t u = 0;
  while (v >= 1000.0 && u + 1 < ELEMENTSOF(units)) {
    v /= 1000.0;
    u++;
  }
  snprintf(buf, 32, "%.4g%s", v, units[u]);
}
