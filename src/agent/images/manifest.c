/* Manifest, index and config decoding and platform selection (see manifest.h). */
#include "agent/images/manifest.h"

#include <errno.h>
#include <strings.h>

#include "agent/images/reference.h"
#include "api/jsonutil.h"
#include "base/buf.h"
#include "base/strv.h"

static const char *const kind_table[_IMAGE_MANIFEST_KIND_MAX] = {
    [IMAGE_MANIFEST_OCI_INDEX] = MEDIA_OCI_INDEX,
    [IMAGE_MANIFEST_DOCKER_LIST] = MEDIA_DOCKER_LIST,
    [IMAGE_MANIFEST_OCI] = MEDIA_OCI_MANIFEST,
    [IMAGE_MANIFEST_DOCKER] = MEDIA_DOCKER_MANIFEST,
};

const char *image_manifest_kind_to_string(ImageManifestKind k) {
  if (k < 0 || k >= _IMAGE_MANIFEST_KIND_MAX)
    return NULL;
  return kind_table[k];
}

ImageManifestKind image_manifest_kind_from_string(const char *media_type) {
  if (!media_type)
    return IMAGE_MANIFEST_KIND_INVALID;
  for (int k = 0; k < _IMAGE_MANIFEST_KIND_MAX; k++)
    if (streq(media_type, kind_table[k]))
      return (ImageManifestKind)k;
  return IMAGE_MANIFEST_KIND_INVALID;
}

bool image_layer_media_type_supported(const char *t) {
  static const char *const ok[] = {
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+zstd",
      MEDIA_DOCKER_LAYER_TAR,
      MEDIA_DOCKER_LAYER_GZIP,
      /* Same bytes; the "non-distributable" flag only restricts pushing. */
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  };
  for (size_t i = 0; i < ELEMENTSOF(ok); i++)
    if (streq(t, ok[i]))
      return true;
  return false;
}

static void descriptor_done(ImageDescriptor *d) {
  free(d->media_type);
  free(d->digest);
  free(d->platform.os);
  free(d->platform.architecture);
  free(d->platform.variant);
  free(d->ref_name);
  free(d->containerd_name);
  *d = (ImageDescriptor){0};
}

void image_manifest_done(ImageManifest *m) {
  if (!m)
    return;
  descriptor_done(&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    descriptor_done(&m->layers[i]);
  free(m->layers);
  for (size_t i = 0; i < m->n_manifests; i++)
    descriptor_done(&m->manifests[i]);
  free(m->manifests);
  *m = (ImageManifest){0};
}

static char *dup_str(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static int parse_descriptor(json_t *o, const char *what, ImageDescriptor *ret, Error *err) {
  if (!json_is_object(o))
    return error_set(err, -EBADMSG, NULL, "%s is not an object", what);
  json_t *mt = json_object_get(o, "mediaType");
  json_t *dg = json_object_get(o, "digest");
  json_t *sz = json_object_get(o, "size");
  if (mt && !json_is_string(mt))
    return error_set(err, -EBADMSG, NULL, "%s: mediaType is not a string", what);
  if (!json_is_string(dg))
    return error_set(err, -EBADMSG, NULL, "%s has no digest", what);
  if (!image_ref_digest_valid(json_string_value(dg)))
    return error_set(err, -EBADMSG, NULL, "%s: unsupported or invalid digest \"%.80s\"", what,
                     json_string_value(dg));
  if (!json_is_integer(sz) || json_integer_value(sz) < 0)
    return error_set(err, -EBADMSG, NULL, "%s has no valid size", what);
  ImageDescriptor d = {
      .media_type = mt ? xstrdup(json_string_value(mt)) : NULL,
      .digest = xstrdup(json_string_value(dg)),
      .size = json_integer_value(sz),
  };
  json_t *plat = json_object_get(o, "platform");
  if (json_is_object(plat)) {
    d.platform.os = dup_str(plat, "os");
    d.platform.architecture = dup_str(plat, "architecture");
    d.platform.variant = dup_str(plat, "variant");
    if (!d.platform.os || !d.platform.architecture) {
      descriptor_done(&d);
      return error_set(err, -EBADMSG, NULL, "%s: platform needs os and architecture", what);
    }
  }
  json_t *ann = json_object_get(o, "annotations");
  if (json_is_object(ann)) {
    d.ref_name = dup_str(ann, "org.opencontainers.image.ref.name");
    d.containerd_name = dup_str(ann, "io.containerd.image.name");
  }
  *ret = d;
  return 0;
}

/* The media type from a Content-Type header without parameters, or NULL when it says nothing useful. */
static char *content_type_media(const char *ct) {
  if (isempty(ct))
    return NULL;
  size_t n = strcspn(ct, ";");
  while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
    n--;
  char *m = xstrndup(ct, n);
  if (streq(m, "application/json") || streq(m, "application/octet-stream") || streq(m, "text/plain") || !*m) {
    free(m);
    return NULL;
  }
  return m;
}

int image_manifest_parse(const char *data, size_t len, const char *content_type, ImageManifest *ret,
                         Error *err) {
  if (len > IMAGE_MANIFEST_MAX_BYTES)
    return error_set(err, -E2BIG, NULL, "manifest larger than %d bytes", IMAGE_MANIFEST_MAX_BYTES);
  _cleanup_json_ json_t *doc = NULL;
  int r = json_decode_body(data, len, &doc, err);
  if (r < 0)
    return error_wrap(err, "invalid manifest: ");
  if (!json_is_object(doc))
    return error_set(err, -EBADMSG, NULL, "invalid manifest: not a JSON object");

  _cleanup_free_ char *media = content_type_media(content_type);
  const char *doc_media = jstr(doc, "mediaType");
  if (!media && doc_media)
    media = xstrdup(doc_media);
  if (media && startswith(media, "application/vnd.docker.distribution.manifest.v1"))
    return error_set(err, -EPROTONOSUPPORT, NULL,
                     "Docker schema 1 manifests are not supported (the image must be pushed again with a "
                     "current client)");
  if (jint(doc, "schemaVersion", 0) == 1)
    return error_set(err, -EPROTONOSUPPORT, NULL, "Docker schema 1 manifests are not supported");
  ImageManifestKind kind = image_manifest_kind_from_string(media);
  if (kind < 0 && media)
    return error_set(err, -EPROTONOSUPPORT, NULL, "unsupported manifest media type \"%.100s\"", media);
  if (kind < 0) /* no type anywhere (OCI allows it): tell by shape */
    kind = json_object_get(doc, "manifests") ? IMAGE_MANIFEST_OCI_INDEX : IMAGE_MANIFEST_OCI;
  if (doc_media && !streq(doc_media, kind_table[kind]))
    return error_set(err, -EBADMSG, NULL, "manifest says mediaType \"%.100s\" but was served as \"%s\"",
                     doc_media, kind_table[kind]);
  if (jint(doc, "schemaVersion", 0) != 2)
    return error_set(err, -EBADMSG, NULL, "invalid manifest: schemaVersion must be 2");

  ImageManifest m = {.kind = kind};
  char what[64];
  if (image_manifest_kind_is_index(kind)) {
    json_t *arr = json_object_get(doc, "manifests");
    if (!json_is_array(arr))
      return error_set(err, -EBADMSG, NULL, "invalid image index: no manifests array");
    if (json_array_size(arr) > IMAGE_MAX_INDEX_ENTRIES)
      return error_set(err, -E2BIG, NULL, "image index has more than %d entries", IMAGE_MAX_INDEX_ENTRIES);
    m.manifests = xcalloc(json_array_size(arr) + 1, sizeof *m.manifests);
    for (size_t i = 0; i < json_array_size(arr); i++) {
      snprintf(what, sizeof what, "manifests[%zu]", i);
      if ((r = parse_descriptor(json_array_get(arr, i), what, &m.manifests[i], err)) < 0) {
        image_manifest_done(&m);
        return error_wrap(err, "invalid image index: ");
      }
      m.n_manifests++;
    }
  } else {
    if ((r = parse_descriptor(json_object_get(doc, "config"), "config", &m.config, err)) < 0)
      return error_wrap(err, "invalid manifest: ");
    json_t *arr = json_object_get(doc, "layers");
    if (!json_is_array(arr)) {
      image_manifest_done(&m);
      return error_set(err, -EBADMSG, NULL, "invalid manifest: no layers array");
    }
    if (json_array_size(arr) > IMAGE_MAX_LAYERS) {
      image_manifest_done(&m);
      return error_set(err, -E2BIG, NULL, "image has more than %d layers", IMAGE_MAX_LAYERS);
    }
    m.layers = xcalloc(json_array_size(arr) + 1, sizeof *m.layers);
    for (size_t i = 0; i < json_array_size(arr); i++) {
      snprintf(what, sizeof what, "layers[%zu]", i);
      if ((r = parse_descriptor(json_array_get(arr, i), what, &m.layers[i], err)) < 0) {
        image_manifest_done(&m);
        return error_wrap(err, "invalid manifest: ");
      }
      m.n_layers++;
      const char *lt = m.layers[i].media_type;
      if (!lt || !image_layer_media_type_supported(lt)) {
        r = error_set(err, -EPROTONOSUPPORT, NULL, "layer %zu has unsupported media type \"%.100s\"", i,
                      lt ? lt : "");
        image_manifest_done(&m);
        return r;
      }
    }
  }
  *ret = m;
  return 0;
}

static const char *normalize_arch(const char *a) {
  if (!a)
    return "";
  if (streq(a, "x86_64") || streq(a, "x86-64"))
    return "amd64";
  if (streq(a, "aarch64"))
    return "arm64";
  return a;
}

static bool platform_matches(const ImagePlatform *p, const char *os, const char *arch, const char *variant) {
  if (!p->os || strcasecmp(p->os, os) != 0 || !streq(normalize_arch(p->architecture), normalize_arch(arch)))
    return false;
  if (isempty(variant) || isempty(p->variant))
    return true;
  /* arm64 images say v8 or nothing; both run on any arm64. */
  return streq(variant, p->variant);
}

int image_manifest_select(const ImageManifest *index, const char *os, const char *architecture,
                          const char *variant, size_t *ret_index, Error *err) {
  for (size_t i = 0; i < index->n_manifests; i++)
    if (platform_matches(&index->manifests[i].platform, os, architecture, variant)) {
      *ret_index = i;
      return 0;
    }
  for (size_t i = 0; i < index->n_manifests; i++)
    if (!index->manifests[i].platform.os) {
      *ret_index = i;
      return 0;
    }
  _cleanup_buf_ Buf offered = BUF_INIT;
  for (size_t i = 0; i < index->n_manifests && i < 16; i++) {
    const ImagePlatform *p = &index->manifests[i].platform;
    buf_printf(&offered, "%s%s/%s%s%s", i ? ", " : "", p->os, p->architecture, p->variant ? "/" : "",
               p->variant ? p->variant : "");
  }
  return error_set(err, -ENOENT, NULL, "no image for %s/%s in the image index (it offers %s)", os,
                   architecture, offered.len ? offered.data : "nothing");
}

const char *image_platform_os(void) {
  return "linux";
}

const char *image_platform_architecture(void) {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

void image_config_done(ImageConfig *c) {
  if (!c)
    return;
  strv_free(c->diff_ids);
  free(c->os);
  free(c->architecture);
  json_decref(c->doc);
  *c = (ImageConfig){0};
}

int image_config_parse(const char *data, size_t len, ImageConfig *ret, Error *err) {
  if (len > IMAGE_CONFIG_MAX_BYTES)
    return error_set(err, -E2BIG, NULL, "image config larger than %d bytes", IMAGE_CONFIG_MAX_BYTES);
  _cleanup_json_ json_t *doc = NULL;
  int r = json_decode_body(data, len, &doc, err);
  if (r < 0)
    return error_wrap(err, "invalid image config: ");
  if (!json_is_object(doc))
    return error_set(err, -EBADMSG, NULL, "invalid image config: not a JSON object");
  json_t *ids = jpath(doc, "rootfs.diff_ids");
  if (!json_is_array(ids))
    return error_set(err, -EBADMSG, NULL, "invalid image config: no rootfs.diff_ids");
  if (json_array_size(ids) > IMAGE_MAX_LAYERS)
    return error_set(err, -E2BIG, NULL, "image has more than %d layers", IMAGE_MAX_LAYERS);
  ImageConfig c = {0};
  for (size_t i = 0; i < json_array_size(ids); i++) {
    json_t *v = json_array_get(ids, i);
    if (!json_is_string(v) || !image_ref_digest_valid(json_string_value(v))) {
      image_config_done(&c);
      return error_set(err, -EBADMSG, NULL,
                       "invalid image config: rootfs.diff_ids[%zu] is not a sha256 digest", i);
    }
    strv_push(&c.diff_ids, json_string_value(v));
    c.n_diff_ids++;
  }
  if (!c.diff_ids)
    c.diff_ids = xcalloc(1, sizeof(char *));
  c.os = dup_str(doc, "os");
  c.architecture = dup_str(doc, "architecture");
  c.doc = TAKE_PTR(doc);
  *ret = c;
  return 0;
}
