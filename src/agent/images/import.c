/* Importing image archives (see images.h), for air-gapped nodes:
 *
 *   - OCI image layout archives: oci-layout, index.json, blobs/sha256/<hex> (what `skopeo copy …
 * oci-archive:` and Docker 25+ `docker save` write). Names come from the index's io.containerd.image.name
 * annotation, else org.opencontainers.image.ref.name (a full reference, or a tag completed by --base-name).
 *   - `docker save` archives: manifest.json lists each image's config file, layer tars and RepoTags. A
 *     Docker schema 2 manifest is made for them (uncompressed layers), as containerd does on import.
 *
 * The archive is read once, in whatever order its entries come (Docker writes manifest.json last): every
 * blob-like file goes straight into the content store through a verifying writer (a file under
 * blobs/sha256/ must hash to its name), the small JSON files are kept in memory, and the images are
 * assembled from the store afterwards. Nothing is recorded unless all of an image's blobs checked out. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "agent/images/images-internal.h"
#include "agent/images/reference.h"
#include "api/jsonutil.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strv.h"

#define META_MAX_BYTES (4 * 1024 * 1024)
#define ARCHIVE_MAX_FILES 100000
#define MAX_LINK_HOPS 8

typedef struct ArchiveFile {
  char *path;
  char *digest; /* NULL for a symlink */
  int64_t size;
  char *link; /* symlink target as an archive path */
} ArchiveFile;

typedef struct ArchiveScan {
  ArchiveFile *files;
  size_t n, cap;
  Buf index_json;
  Buf manifest_json;
  bool has_index, has_manifest;
} ArchiveScan;

static void scan_done(ArchiveScan *a) {
  for (size_t i = 0; i < a->n; i++) {
    free(a->files[i].path);
    free(a->files[i].digest);
    free(a->files[i].link);
  }
  free(a->files);
  buf_free(&a->index_json);
  buf_free(&a->manifest_json);
}

/* Archive paths without "./", leading or doubled slashes; NULL when a ".." would leave the archive. */
static char *normalize(const char *dir, const char *rel) {
  _cleanup_strv_free_ char **parts = NULL;
  _cleanup_free_ char *joined = rel[0] == '/' || !dir ? xstrdup(rel) : xasprintf("%s/%s", dir, rel);
  _cleanup_strv_free_ char **in = strv_split(joined, '/');
  for (char **p = in; p && *p; p++) {
    if (!**p || streq(*p, "."))
      continue;
    if (streq(*p, "..")) {
      size_t n = strv_length(parts);
      if (n == 0)
        return NULL;
      free(parts[n - 1]);
      parts[n - 1] = NULL;
      continue;
    }
    strv_push(&parts, *p);
  }
  Buf b = BUF_INIT;
  for (char **p = parts; p && *p; p++) {
    if (b.len)
      buf_putc(&b, '/');
    buf_puts(&b, *p);
  }
  return buf_steal(&b, NULL);
}

static ArchiveFile *scan_add(ArchiveScan *a, const char *path) {
  if (a->n == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 64;
    a->files = xrealloc(a->files, a->cap * sizeof *a->files);
  }
  ArchiveFile *f = &a->files[a->n++];
  *f = (ArchiveFile){.path = xstrdup(path)};
  return f;
}

/* The stored blob behind an archive path, following the symlinks `docker save` uses for shared layers. */
static const ArchiveFile *scan_find(const ArchiveScan *a, const char *path) {
  _cleanup_free_ char *p = normalize(NULL, path);
  for (int hops = 0; p && hops <= MAX_LINK_HOPS; hops++) {
    const ArchiveFile *f = NULL;
    for (size_t i = a->n; i > 0 && !f; i--) /* a later entry replaces an earlier one, as tar does */
      if (streq(a->files[i - 1].path, p))
        f = &a->files[i - 1];
    if (!f || f->digest)
      return f;
    free(p);
    p = xstrdup(f->link);
  }
  return NULL;
}

static bool hex64(const char *s) {
  if (strlen(s) != 64)
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

static int read_meta(struct archive *ar, const char *path, int64_t size, Buf *out, Error *err) {
  if (size > META_MAX_BYTES)
    return error_set(err, -E2BIG, NULL, "%s in the archive is larger than %d bytes", path, META_MAX_BYTES);
  buf_reset(out);
  char chunk[16384];
  la_ssize_t n;
  while ((n = archive_read_data(ar, chunk, sizeof chunk)) > 0) {
    if (out->len + (size_t)n > META_MAX_BYTES)
      return error_set(err, -E2BIG, NULL, "%s in the archive is too large", path);
    buf_append(out, chunk, (size_t)n);
  }
  if (n < 0)
    return error_set(err, -EBADMSG, NULL, "reading %s from the archive: %s", path, archive_error_string(ar));
  if (!out->data)
    buf_puts(out, "");
  return 0;
}

static int ingest(ImageService *s, struct archive *ar, const char *path, int64_t size, ArchiveFile *f,
                  Error *err) {
  const char *expected_hex = startswith(path, "blobs/sha256/") ? path + 13 : NULL;
  _cleanup_free_ char *expected =
      expected_hex && hex64(expected_hex) ? xasprintf("sha256:%s", expected_hex) : NULL;
  if (expected && content_blob_exists(s->content, expected, size)) {
    archive_read_data_skip(ar);
    f->digest = TAKE_PTR(expected);
    f->size = size;
    return 0;
  }
  _cleanup_content_writer_ ContentWriter *w = NULL;
  int r = content_writer_open(s->content, expected, size, 0, &w, err);
  if (r < 0)
    return r;
  const void *block;
  size_t len;
  la_int64_t offset;
  while ((r = archive_read_data_block(ar, &block, &len, &offset)) == ARCHIVE_OK)
    if ((r = content_writer_write(w, block, len, err)) < 0)
      return error_wrap(err, "%s in the archive: ", path);
  if (r != ARCHIVE_EOF)
    return error_set(err, -EBADMSG, NULL, "reading %s from the archive: %s", path, archive_error_string(ar));
  char digest[CONTENT_DIGEST_SIZE];
  if ((r = content_writer_commit(w, digest, err)) < 0)
    return error_wrap(err, "%s in the archive: ", path);
  f->digest = xstrdup(digest);
  f->size = size;
  return 0;
}

static void archive_freep(struct archive **a) {
  if (*a)
    archive_read_free(*a);
}

static int scan_archive(ImageService *s, const char *path, ArchiveScan *a, Error *err) {
  _cleanup_(archive_freep) struct archive *ar = archive_read_new();
  if (!ar)
    oom();
  archive_read_support_filter_gzip(ar);
  archive_read_support_filter_zstd(ar);
  archive_read_support_filter_xz(ar);
  archive_read_support_format_tar(ar);
  int r = streq(path, "-") ? archive_read_open_fd(ar, STDIN_FILENO, 128 * 1024)
                           : archive_read_open_filename(ar, path, 128 * 1024);
  if (r != ARCHIVE_OK) {
    int e = archive_errno(ar);
    if (e > 0 && e != EINVAL && e != EILSEQ) /* libarchive reports a format it does not know as EILSEQ */
      return error_set(err, -e, NULL, "%s", strerror(e));
    return error_set(err, -EBADMSG, NULL, "not a tar archive (%s)", archive_error_string(ar));
  }
  for (;;) {
    struct archive_entry *e;
    r = archive_read_next_header(ar, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return error_set(err, -EBADMSG, NULL, "not an image archive: %s", archive_error_string(ar));
    if (a->n >= ARCHIVE_MAX_FILES)
      return error_set(err, -E2BIG, NULL, "more than %d files in the archive", ARCHIVE_MAX_FILES);
    const char *raw = archive_entry_pathname(e);
    _cleanup_free_ char *name = raw ? normalize(NULL, raw) : NULL;
    if (!name || !*name)
      continue;
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFLNK && archive_entry_symlink(e)) {
      _cleanup_free_ char *dir =
          strrchr(name, '/') ? xstrndup(name, (size_t)(strrchr(name, '/') - name)) : NULL;
      _cleanup_free_ char *target = normalize(dir, archive_entry_symlink(e));
      if (target)
        scan_add(a, name)->link = TAKE_PTR(target);
      continue;
    }
    if (type != AE_IFREG)
      continue;
    int64_t size = archive_entry_size(e);
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    if (streq(name, "index.json")) {
      if ((r = read_meta(ar, name, size, &a->index_json, err)) < 0)
        return r;
      a->has_index = true;
    } else if (streq(name, "manifest.json")) {
      if ((r = read_meta(ar, name, size, &a->manifest_json, err)) < 0)
        return r;
      a->has_manifest = true;
    } else if (streq(name, "oci-layout") || streq(name, "repositories") || streq(base, "VERSION") ||
               streq(base, "json")) {
      continue; /* nothing to keep: the layout version, and Docker's v1 leftovers */
    } else if ((r = ingest(s, ar, name, size, scan_add(a, name), err)) < 0) {
      return r;
    }
  }
  return 0;
}

static char *record_name_of(const char *s) {
  ImageRef ref = {0};
  if (image_ref_parse(s, &ref, NULL) < 0)
    return NULL;
  char *n = image_ref_record_name(&ref);
  image_ref_done(&ref);
  return n;
}

/* The name an OCI index entry gives its image, or NULL. A ref.name annotation that is a bare tag (what
 * the OCI layout spec suggests) needs a base name to become a reference. */
static char *oci_name(const ImageDescriptor *d, const char *base_name) {
  char *n = d->containerd_name ? record_name_of(d->containerd_name) : NULL;
  if (n || !d->ref_name)
    return n;
  const char *rn = d->ref_name;
  if (strchr(rn, '/') || strchr(rn, ':') || strchr(rn, '@'))
    return record_name_of(rn);
  if (!image_ref_tag_valid(rn) || !base_name)
    return NULL;
  _cleanup_free_ char *full = xasprintf("%s:%s", base_name, rn);
  return record_name_of(full);
}

/* Reads a manifest or index blob the archive provided. */
static int stored_manifest(ImageService *s, const ImageDescriptor *d, ImageManifest *ret, Error *err) {
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int r = content_blob_read(s->content, d->digest, IMAGE_MANIFEST_MAX_BYTES, &data, &len, err);
  if (r < 0)
    return error_set(err, r, NULL, "the archive lacks manifest %s", d->digest);
  return image_manifest_parse(data, len, d->media_type, ret, err);
}

static int check_blobs(ImageService *s, const ImageManifest *m, Error *err) {
  if (!content_blob_exists(s->content, m->config.digest, m->config.size))
    return error_set(err, -ENOENT, NULL, "the archive lacks the config blob %s", m->config.digest);
  for (size_t i = 0; i < m->n_layers; i++)
    if (!content_blob_exists(s->content, m->layers[i].digest, m->layers[i].size))
      return error_set(err, -ENOENT, NULL, "the archive lacks layer %s (or its size differs)",
                       m->layers[i].digest);
  return 0;
}

/* Follows an index entry down to this platform's manifest, all from the store. */
static int resolve_stored(ImageService *s, const ImageDescriptor *top, ImageManifest *ret,
                          char ret_digest[CONTENT_DIGEST_SIZE], int64_t *ret_size, Error *err) {
  char digest[CONTENT_DIGEST_SIZE];
  memcpy(digest, top->digest, CONTENT_DIGEST_SIZE);
  _cleanup_free_ char *media = top->media_type ? xstrdup(top->media_type) : NULL;
  int64_t size = top->size;
  for (int depth = 0; depth < 4; depth++) {
    ImageDescriptor d = {.digest = digest, .media_type = media, .size = size};
    ImageManifest m = {0};
    int r = stored_manifest(s, &d, &m, err);
    if (r < 0)
      return r;
    if (!image_manifest_kind_is_index(m.kind)) {
      *ret = m;
      memcpy(ret_digest, digest, CONTENT_DIGEST_SIZE);
      *ret_size = size;
      return 0;
    }
    size_t pick = 0;
    if ((r = image_manifest_select(&m, s->os, s->architecture, s->variant, &pick, err)) < 0) {
      image_manifest_done(&m);
      return r;
    }
    memcpy(digest, m.manifests[pick].digest, CONTENT_DIGEST_SIZE);
    free(media);
    media = m.manifests[pick].media_type ? xstrdup(m.manifests[pick].media_type) : NULL;
    size = m.manifests[pick].size;
    image_manifest_done(&m);
  }
  return error_set(err, -ELOOP, NULL, "image indexes nested too deep");
}

static int import_oci(ImageService *s, const ArchiveScan *a, const char *base_name, char ***names,
                      size_t *ret_unnamed, Error *err) {
  ImageManifest index = {0};
  int r = image_manifest_parse(a->index_json.data, a->index_json.len, NULL, &index, err);
  if (r < 0)
    return error_wrap(err, "index.json: ");
  if (!image_manifest_kind_is_index(index.kind)) {
    image_manifest_done(&index);
    return error_set(err, -EBADMSG, NULL, "index.json is not an image index");
  }
  size_t unnamed = 0;
  for (size_t i = 0; i < index.n_manifests && r >= 0; i++) {
    const ImageDescriptor *top = &index.manifests[i];
    _cleanup_free_ char *name = oci_name(top, base_name);
    if (!name) {
      unnamed++;
      continue;
    }
    ImageManifest m = {0};
    char mdigest[CONTENT_DIGEST_SIZE];
    int64_t msize = 0;
    if ((r = resolve_stored(s, top, &m, mdigest, &msize, err)) >= 0 && (r = check_blobs(s, &m, err)) >= 0 &&
        (r = image_commit(s, name, top->digest, mdigest, msize, &m, NULL, err)) >= 0)
      strv_push(names, name);
    if (r < 0)
      error_wrap(err, "%s: ", name);
    image_manifest_done(&m);
  }
  image_manifest_done(&index);
  *ret_unnamed = unnamed;
  return r;
}

/* Media type of an archived layer by its first bytes (docker save stores plain tars, other tools may not). */
static const char *sniff_layer_type(ImageService *s, const char *digest) {
  _cleanup_free_ char *p = content_blob_path(s->content, digest);
  _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
  uint8_t m[4] = {0};
  if (fd < 0 || read(fd, m, sizeof m) != (ssize_t)sizeof m)
    return MEDIA_DOCKER_LAYER_TAR;
  if (m[0] == 0x1f && m[1] == 0x8b)
    return MEDIA_DOCKER_LAYER_GZIP;
  if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
    return "application/vnd.oci.image.layer.v1.tar+zstd";
  return MEDIA_DOCKER_LAYER_TAR;
}

static int import_docker(ImageService *s, const ArchiveScan *a, char ***names, size_t *ret_unnamed,
                         Error *err) {
  _cleanup_json_ json_t *doc = NULL;
  int r = json_decode_body(a->manifest_json.data, a->manifest_json.len, &doc, err);
  if (r < 0)
    return error_wrap(err, "manifest.json: ");
  if (!json_is_array(doc))
    return error_set(err, -EBADMSG, NULL, "manifest.json is not a list of images");
  size_t unnamed = 0;
  size_t i;
  json_t *img;
  json_array_foreach(doc, i, img) {
    const char *cfg_path = jstr(img, "Config");
    json_t *tags = json_object_get(img, "RepoTags");
    json_t *layers = json_object_get(img, "Layers");
    if (!cfg_path || !json_is_array(layers) || json_array_size(layers) > IMAGE_MAX_LAYERS)
      return error_set(err, -EBADMSG, NULL, "manifest.json[%zu]: needs Config and Layers", i);
    if (json_array_size(tags) == 0) {
      unnamed++;
      continue;
    }
    const ArchiveFile *cf = scan_find(a, cfg_path);
    if (!cf)
      return error_set(err, -ENOENT, NULL, "manifest.json[%zu]: the archive lacks %s", i, cfg_path);
    _cleanup_json_ json_t *lj = json_array();
    size_t k;
    json_t *lp;
    json_array_foreach(layers, k, lp) {
      const ArchiveFile *lf = json_is_string(lp) ? scan_find(a, json_string_value(lp)) : NULL;
      if (!lf)
        return error_set(err, -ENOENT, NULL, "manifest.json[%zu]: the archive lacks layer %s", i,
                         json_is_string(lp) ? json_string_value(lp) : "?");
      json_array_append_new(lj, json_pack("{s:s, s:I, s:s}", "mediaType", sniff_layer_type(s, lf->digest),
                                          "size", (json_int_t)lf->size, "digest", lf->digest));
    }
    _cleanup_json_ json_t *man =
        json_pack("{s:i, s:s, s:{s:s, s:I, s:s}, s:O}", "schemaVersion", 2, "mediaType",
                  MEDIA_DOCKER_MANIFEST, "config", "mediaType", MEDIA_DOCKER_CONFIG, "size",
                  (json_int_t)cf->size, "digest", cf->digest, "layers", lj);
    if (!man)
      oom();
    _cleanup_free_ char *text = json_compact(man);
    char mdigest[CONTENT_DIGEST_SIZE];
    if ((r = content_blob_put(s->content, text, strlen(text), NULL, mdigest, err)) < 0)
      return r;
    ImageManifest m = {0};
    if ((r = image_manifest_parse(text, strlen(text), MEDIA_DOCKER_MANIFEST, &m, err)) < 0)
      return r;
    size_t t;
    json_t *tag;
    json_array_foreach(tags, t, tag) {
      ImageRef ref = {0};
      if (!json_is_string(tag) || image_ref_parse(json_string_value(tag), &ref, err) < 0) {
        image_manifest_done(&m);
        return error_wrap(err, "manifest.json[%zu]: ", i);
      }
      _cleanup_free_ char *name = image_ref_record_name(&ref);
      image_ref_done(&ref);
      if ((r = image_commit(s, name, mdigest, mdigest, (int64_t)strlen(text), &m, NULL, err)) < 0) {
        image_manifest_done(&m);
        return error_wrap(err, "%s: ", name);
      }
      strv_push(names, name);
    }
    image_manifest_done(&m);
  }
  *ret_unnamed = unnamed;
  return 0;
}

int image_import(ImageService *s, const char *path, const char *base_name, char ***ret_names, Error *err) {
  _cleanup_free_ char *base = NULL;
  if (base_name) {
    ImageRef ref = {0};
    int r = image_ref_parse(base_name, &ref, err);
    if (r < 0)
      return r;
    base = image_ref_repository(&ref);
    image_ref_done(&ref);
  }
  _cleanup_close_ int lock = content_store_lock(s->content, false, err);
  if (lock < 0)
    return lock;
  ArchiveScan a = {0};
  _cleanup_strv_free_ char **names = NULL;
  size_t unnamed = 0;
  int r = scan_archive(s, path, &a, err);
  if (r >= 0) {
    if (a.has_index)
      r = import_oci(s, &a, base, &names, &unnamed, err);
    /* Docker 25+ writes both: the OCI index wins unless it named nothing. */
    if (r >= 0 && a.has_manifest && !names)
      r = import_docker(s, &a, &names, &unnamed, err);
    if (r >= 0 && !a.has_index && !a.has_manifest)
      r = error_set(err, -EBADMSG, NULL,
                    "neither an OCI image layout (index.json) nor a docker save archive "
                    "(manifest.json)");
    if (r >= 0 && !names)
      r = error_set(err, -EINVAL, NULL, "%s",
                    unnamed ? "the archive's images have no names (an OCI index annotation with only a tag "
                              "needs --base-name REPOSITORY)"
                            : "the archive holds no images");
  }
  scan_done(&a);
  if (r < 0)
    return error_wrap(err, "failed to import %s: ", streq(path, "-") ? "standard input" : path);
  if (ret_names)
    *ret_names = TAKE_PTR(names);
  return 0;
}

static bool archive_name(const char *n) {
  return endswith(n, ".tar") || endswith(n, ".tar.gz") || endswith(n, ".tgz") || endswith(n, ".tar.zst") ||
         endswith(n, ".tar.zstd");
}

int image_import_dir(ImageService *s, Error *err) {
  _cleanup_free_ char *state_path = xasprintf("%s/imported.json", s->root);
  _cleanup_json_ json_t *state = NULL;
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (read_file(state_path, &data, &len) < 0 || json_decode_body(data, len, &state, NULL) < 0 ||
      !json_is_object(state)) {
    json_decref(state);
    state = json_object();
  }
  DIR *d = opendir(s->root);
  if (!d)
    return error_set(err, -errno, NULL, "listing %s: %s", s->root, strerror(errno));
  _cleanup_strv_free_ char **files = NULL;
  struct dirent *de;
  while ((de = readdir(d)))
    if (archive_name(de->d_name))
      strv_push(&files, de->d_name);
  closedir(d);
  int failed = 0;
  bool changed = false;
  for (char **f = files; f && *f; f++) {
    _cleanup_free_ char *p = xasprintf("%s/%s", s->root, *f);
    struct stat st;
    if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
      continue;
    json_t *seen = json_object_get(state, *f);
    if (jint(seen, "size", -1) == (int64_t)st.st_size && jint(seen, "mtime", -1) == (int64_t)st.st_mtime)
      continue;
    Error e = ERROR_INIT;
    _cleanup_strv_free_ char **names = NULL;
    if (image_import(s, p, NULL, &names, &e) < 0) {
      log_warn("images", "%s", e.message ? e.message : "import failed");
      error_reset(&e);
      failed++;
      continue;
    }
    for (char **n = names; n && *n; n++)
      log_debug("images", "imported %s from %s", *n, *f);
    json_object_set_new(
        state, *f, json_pack("{s:I, s:I}", "size", (json_int_t)st.st_size, "mtime", (json_int_t)st.st_mtime));
    changed = true;
  }
  if (changed) {
    _cleanup_free_ char *text = json_compact(state);
    int r = write_file_atomic(state_path, text, strlen(text), 0644);
    if (r < 0)
      return error_set(err, r, NULL, "writing %s: %s", state_path, strerror(-r));
  }
  return failed;
}
