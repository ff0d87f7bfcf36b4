/* Unit tests for the image service's library API as the runtime will use it, offline: an OCI layout archive
 * built here with libarchive is imported, looked up by name and by digest, its layer directories come in
 * overlayfs order and its config is readable; removal collects what no image uses; DATA_DIR archives are
 * imported once; a pull of a malformed reference fails as InvalidImageName without touching the store. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "agent/images/content.h"
#include "agent/images/images.h"
#include "agent/images/manifest.h"
#include "base/buf.h"
#include "base/strv.h"

typedef struct Fixture {
  char dir[64];
  ImageService *s;
} Fixture;

static int setup(void **state) {
  Fixture *f = xzalloc(sizeof *f);
  strcpy(f->dir, "/tmp/coracle-test-imgsvc-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  _cleanup_free_ char *reg = xasprintf("%s/registries.yaml", f->dir);
  ImageServiceOptions o = {.data_dir = f->dir, .registries_path = reg};
  Error err = ERROR_INIT;
  if (image_service_open(&o, &f->s, &err) < 0)
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  Fixture *f = *state;
  image_service_free(f->s);
  content_rm_rf(f->dir);
  free(f);
  return 0;
}

static void add_file(struct archive *a, const char *name, const void *data, size_t len) {
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t)len);
  assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
  assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
  archive_entry_free(e);
}

/* A one-file layer as an uncompressed tar; returns its digest (= diff_id). */
static void make_layer(const char *file, const char *content, Buf *out, char digest[CONTENT_DIGEST_SIZE]) {
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  size_t cap = 65536, used = 0;
  buf_reserve(out, cap);
  assert_int_equal(archive_write_open_memory(a, out->data, cap, &used), ARCHIVE_OK);
  add_file(a, file, content, strlen(content));
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  out->len = used;
  content_digest_of(out->data, out->len, digest);
}

typedef struct Built {
  char layer[2][CONTENT_DIGEST_SIZE];
  char config[CONTENT_DIGEST_SIZE];
  char manifest[CONTENT_DIGEST_SIZE];
} Built;

/* An OCI layout archive with one two-layer image named name (by the containerd annotation). */
static void write_archive(const char *path, const char *name, const char *variant_file, Built *b) {
  _cleanup_buf_ Buf l0 = BUF_INIT, l1 = BUF_INIT;
  make_layer("base.txt", "base layer\n", &l0, b->layer[0]);
  make_layer(variant_file, "top layer\n", &l1, b->layer[1]);
  _cleanup_free_ char *config = xasprintf(
      "{\"architecture\":\"%s\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/true\"],\"Env\":[\"A=1\"]},"
      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}",
      image_platform_architecture(), b->layer[0], b->layer[1]);
  content_digest_of(config, strlen(config), b->config);
  _cleanup_free_ char *manifest =
      xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/"
                "vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                "\"application/"
                "vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
                "\"application/"
                "vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu},{\"mediaType\":\"application/"
                "vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
                b->config, strlen(config), b->layer[0], l0.len, b->layer[1], l1.len);
  content_digest_of(manifest, strlen(manifest), b->manifest);
  _cleanup_free_ char *index = xasprintf(
      "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
      "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"io.containerd.image.name\":\"%s\"}}]}",
      b->manifest, strlen(manifest), name);

  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
  add_file(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
  const struct {
    const char *digest;
    const void *data;
    size_t len;
  } blobs[] = {
      {b->layer[0], l0.data, l0.len},
      {b->layer[1], l1.data, l1.len},
      {b->config, config, strlen(config)},
      {b->manifest, manifest, strlen(manifest)},
  };
  for (size_t i = 0; i < ELEMENTSOF(blobs); i++) {
    _cleanup_free_ char *n = xasprintf("blobs/sha256/%s", blobs[i].digest + 7);
    add_file(a, n, blobs[i].data, blobs[i].len);
  }
  add_file(a, "index.json", index, strlen(index));
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

static void test_import_lookup_remove(void **state) {
  Fixture *f = *state;
  Error err = ERROR_INIT;
  _cleanup_free_ char *path = xasprintf("%s/app.tar", f->dir);
  Built b;
  write_archive(path, "registry.local/team/app:1", "top.txt", &b);
  char **names = NULL;
  if (image_import(f->s, path, NULL, &names, &err) < 0)
    fail_msg("%s", err.message);
  assert_int_equal(strv_length(names), 1);
  assert_string_equal(names[0], "registry.local/team/app:1");
  strv_free(names);

  ImageInfo *img = NULL;
  assert_int_equal(image_lookup(f->s, "registry.local/team/app:1", &img, &err), 0);
  assert_string_equal(img->repository, "registry.local/team/app");
  assert_string_equal(img->tag, "1");
  assert_string_equal(img->digest, b.manifest);
  assert_string_equal(img->config, b.config);
  assert_int_equal(img->n_layers, 2);
  /* overlayfs wants the top layer first in lowerdir. */
  char **dirs = image_layer_dirs(f->s, img);
  assert_int_equal(strv_length(dirs), 2);
  assert_true(endswith(dirs[0], b.layer[1] + 7));
  assert_true(endswith(dirs[1], b.layer[0] + 7));
  _cleanup_free_ char *top = xasprintf("%s/top.txt", dirs[0]);
  struct stat st;
  assert_int_equal(stat(top, &st), 0);
  strv_free(dirs);
  json_t *cfg = NULL;
  assert_int_equal(image_config(f->s, img, &cfg, &err), 0);
  assert_string_equal(json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 0)), "/bin/true");
  json_decref(cfg);
  image_info_free(img);

  /* By digest: a tagged record that resolved to it answers. */
  _cleanup_free_ char *by_digest = xasprintf("registry.local/team/app@%s", b.manifest);
  assert_int_equal(image_lookup(f->s, by_digest, &img, &err), 0);
  assert_string_equal(img->name, "registry.local/team/app:1");
  image_info_free(img);
  assert_int_equal(image_lookup(f->s, "registry.local/team/app:2", &img, &err), -ENOENT);
  assert_non_null(strstr(err.message, "not present"));
  error_reset(&err);

  /* A second image sharing the base layer; removing the first keeps the shared layer only. */
  _cleanup_free_ char *path2 = xasprintf("%s/other.tar", f->dir);
  Built b2;
  write_archive(path2, "registry.local/team/other:1", "other.txt", &b2);
  assert_string_equal(b2.layer[0], b.layer[0]);
  assert_int_equal(image_import(f->s, path2, NULL, NULL, &err), 0);
  int64_t freed = 0;
  assert_int_equal(image_remove(f->s, "registry.local/team/app:1", &freed, &err), 0);
  assert_true(freed > 0);
  assert_int_equal(image_lookup(f->s, "registry.local/team/app:1", &img, NULL), -ENOENT);
  assert_int_equal(image_lookup(f->s, "registry.local/team/other:1", &img, &err), 0);
  image_info_free(img);
  _cleanup_free_ char *layers = xasprintf("%s/agent/images/layers/sha256", f->dir);
  _cleanup_free_ char *shared = xasprintf("%s/%s", layers, b.layer[0] + 7);
  _cleanup_free_ char *gone = xasprintf("%s/%s", layers, b.layer[1] + 7);
  assert_int_equal(stat(shared, &st), 0);
  assert_int_equal(stat(gone, &st), -1);
  assert_int_equal(image_remove(f->s, "registry.local/team/app:1", NULL, &err), -ENOENT);
  error_reset(&err);

  ImageInfo **all = NULL;
  size_t n = 0;
  assert_int_equal(image_list(f->s, &all, &n, &err), 0);
  assert_int_equal(n, 1);
  image_info_list_free(all, n);
}

static void test_import_dir_once(void **state) {
  Fixture *f = *state;
  Error err = ERROR_INIT;
  _cleanup_free_ char *path = xasprintf("%s/agent/images/airgap.tar", f->dir);
  Built b;
  write_archive(path, "docker.io/library/airgap:1", "x.txt", &b);
  _cleanup_free_ char *junk = xasprintf("%s/agent/images/junk.tar.gz", f->dir);
  assert_int_equal(write_file_atomic(junk, "not an archive", 14, 0644), 0);
  assert_int_equal(image_import_dir(f->s, &err), 1); /* the junk one failed, and was reported */
  ImageInfo *img = NULL;
  assert_int_equal(image_lookup(f->s, "airgap:1", &img, &err), 0);
  image_info_free(img);
  /* Already imported and unchanged: not read again, even after its image was removed. */
  unlink(junk);
  assert_int_equal(image_remove(f->s, "airgap:1", NULL, &err), 0);
  assert_int_equal(image_import_dir(f->s, &err), 0);
  assert_int_equal(image_lookup(f->s, "airgap:1", &img, NULL), -ENOENT);
}

static void test_invalid_name_fails_early(void **state) {
  Fixture *f = *state;
  Error err = ERROR_INIT;
  ImageInfo *img = NULL;
  assert_int_equal(image_pull(f->s, "Not/A:Valid:Name", NULL, &img, &err), -EINVAL);
  assert_non_null(strstr(err.message, "couldn't parse image name"));
  assert_null(strstr(err.message, "failed to pull"));
  error_reset(&err);
  assert_int_equal(image_remove(f->s, "UPPER", NULL, &err), -EINVAL);
  error_reset(&err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_import_lookup_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_import_dir_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invalid_name_fails_early, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
