/* The records of stored images: DATA_DIR/agent/images/refs/<sha256 of the name>.json, one per name, each
 * written whole with write_file_atomic so that a reader (another process listing images while this one
 * pulls) sees the old record or the new one, never a mix. Hashing the name keeps file names short and
 * free of '/' whatever the reference. A record is written only after every blob and layer it names is in
 * place, so a record always describes a complete image. */
#include <dirent.h>
#include <errno.h>

#include "agent/images/images-internal.h"
#include "agent/images/reference.h"
#include "api/jsonutil.h"
#include "base/strv.h"

#define RECORD_MAX_BYTES (1024 * 1024)

static char *record_path(ImageService *s, const char *name) {
  char d[CONTENT_DIGEST_SIZE];
  content_digest_of(name, strlen(name), d);
  return xasprintf("%s/%s.json", s->refs_dir, d + 7);
}

void image_info_free(ImageInfo *i) {
  if (!i)
    return;
  free(i->name);
  free(i->repository);
  free(i->tag);
  free(i->digest);
  free(i->manifest);
  free(i->config);
  strv_free(i->layers);
  strv_free(i->diff_ids);
  free(i);
}

void image_info_list_free(ImageInfo **l, size_t n) {
  for (size_t i = 0; l && i < n; i++)
    image_info_free(l[i]);
  free(l);
}

int image_db_put(ImageService *s, const ImageInfo *info, Error *err) {
  _cleanup_json_ json_t *layers = json_array();
  for (size_t i = 0; i < info->n_layers; i++)
    json_array_append_new(layers,
                          json_pack("{s:s, s:s}", "digest", info->layers[i], "diffID", info->diff_ids[i]));
  _cleanup_json_ json_t *doc =
      json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:O}", "name", info->name, "digest", info->digest, "manifest",
                info->manifest, "config", info->config, "size", (json_int_t)info->size, "created",
                (json_int_t)info->created, "layers", layers);
  if (!doc)
    oom();
  _cleanup_free_ char *text = json_compact(doc);
  _cleanup_free_ char *path = record_path(s, info->name);
  int r = write_file_atomic(path, text, strlen(text), 0644);
  if (r < 0)
    return error_set(err, r, NULL, "recording image %s: %s", info->name, strerror(-r));
  return 0;
}

/* Rebuilds an ImageInfo from a record, refusing anything malformed (a record is data on disk that a
 * careless edit could break; it must not crash the agent). */
static int info_from_json(json_t *doc, ImageInfo **ret) {
  const char *name = jstr(doc, "name"), *digest = jstr(doc, "digest"), *manifest = jstr(doc, "manifest");
  const char *config = jstr(doc, "config");
  json_t *layers = json_object_get(doc, "layers");
  if (!name || !digest || !manifest || !config || !json_is_array(layers) || !image_ref_digest_valid(digest) ||
      !image_ref_digest_valid(manifest) || !image_ref_digest_valid(config))
    return -EBADMSG;
  _cleanup_image_ref_ ImageRef ref = {0};
  if (image_ref_parse(name, &ref, NULL) < 0)
    return -EBADMSG;
  ImageInfo *i = xzalloc(sizeof *i);
  i->name = xstrdup(name);
  i->repository = image_ref_repository(&ref);
  i->tag = ref.digest ? NULL : (ref.tag ? xstrdup(ref.tag) : NULL);
  i->digest = xstrdup(digest);
  i->manifest = xstrdup(manifest);
  i->config = xstrdup(config);
  i->size = jint(doc, "size", 0);
  i->created = jint(doc, "created", 0);
  i->layers = xcalloc(json_array_size(layers) + 1, sizeof(char *));
  i->diff_ids = xcalloc(json_array_size(layers) + 1, sizeof(char *));
  size_t k;
  json_t *l;
  json_array_foreach(layers, k, l) {
    const char *d = jstr(l, "digest"), *id = jstr(l, "diffID");
    if (!d || !id || !image_ref_digest_valid(d) || !image_ref_digest_valid(id)) {
      image_info_free(i);
      return -EBADMSG;
    }
    i->layers[k] = xstrdup(d);
    i->diff_ids[k] = xstrdup(id);
    i->n_layers++;
  }
  *ret = i;
  return 0;
}

static int read_record(const char *path, ImageInfo **ret) {
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int r = read_file(path, &data, &len);
  if (r < 0)
    return r;
  if (len > RECORD_MAX_BYTES)
    return -EBADMSG;
  _cleanup_json_ json_t *doc = NULL;
  if (json_decode_body(data, len, &doc, NULL) < 0)
    return -EBADMSG;
  return info_from_json(doc, ret);
}

int image_db_get(ImageService *s, const char *name, ImageInfo **ret) {
  _cleanup_free_ char *path = record_path(s, name);
  ImageInfo *i = NULL;
  int r = read_record(path, &i);
  if (r < 0)
    return r;
  if (!streq(i->name, name)) { /* a hash collision would be news; refuse rather than mix images up */
    image_info_free(i);
    return -ENOENT;
  }
  *ret = i;
  return 0;
}

static int by_name(const void *a, const void *b) {
  const ImageInfo *x = *(ImageInfo *const *)a, *y = *(ImageInfo *const *)b;
  return strcmp(x->name, y->name);
}

int image_db_list(ImageService *s, ImageInfo ***ret, size_t *ret_n, Error *err) {
  DIR *d = opendir(s->refs_dir);
  if (!d)
    return error_set(err, -errno, NULL, "listing %s: %s", s->refs_dir, strerror(errno));
  ImageInfo **out = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!endswith(de->d_name, ".json") || strlen(de->d_name) != 64 + 5)
      continue;
    _cleanup_free_ char *p = xasprintf("%s/%s", s->refs_dir, de->d_name);
    ImageInfo *i = NULL;
    if (read_record(p, &i) < 0)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      out = xrealloc(out, cap * sizeof *out);
    }
    out[n++] = i;
  }
  closedir(d);
  if (n > 1)
    qsort(out, n, sizeof *out, by_name);
  *ret = out;
  *ret_n = n;
  return 0;
}

int image_db_delete(ImageService *s, const char *name) {
  _cleanup_free_ char *path = record_path(s, name);
  return unlink(path) < 0 ? -errno : 0;
}
