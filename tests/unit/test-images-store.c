/* Unit tests for the content store: blobs are only ever visible whole and verified (a digest or size
 * mismatch stores nothing), layers built here with libarchive unpack with their OCI whiteouts turned into
 * overlayfs ones (gzip, zstd and plain tars), a wrong diff_id or a hostile entry leaves no layer behind,
 * and garbage collection keeps exactly what is live. The whiteout checks need root (mknod, trusted.*
 * xattrs) and are skipped without it. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <cmocka.h>

#include "agent/images/content.h"
#include "base/buf.h"
#include "base/strv.h"

typedef struct Fixture {
  char dir[64];
  ContentStore *s;
} Fixture;

static int setup(void **state) {
  Fixture *f = xzalloc(sizeof *f);
  strcpy(f->dir, "/tmp/coracle-test-images-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  Error err = ERROR_INIT;
  _cleanup_free_ char *root = xasprintf("%s/agent/images", f->dir);
  if (content_store_open(root, &f->s, &err) < 0)
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  Fixture *f = *state;
  content_store_free(f->s);
  content_rm_rf(f->dir);
  free(f);
  return 0;
}

static size_t count_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    n += de->d_name[0] != '.';
  closedir(d);
  return n;
}

static char *store_path(Fixture *f, const char *rel) {
  return xasprintf("%s/agent/images/%s", f->dir, rel);
}

static void test_blob_verified(void **state) {
  Fixture *f = *state;
  Error err = ERROR_INIT;
  static const char data[] = "hello, registry";
  char want[CONTENT_DIGEST_SIZE];
  content_digest_of(data, strlen(data), want);
  static const char wrong[] = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  _cleanup_free_ char *ingest = store_path(f, "content/ingest");
  _cleanup_free_ char *blobs = store_path(f, "content/blobs/sha256");

  /* Wrong digest: refused at commit, nothing under blobs/, the temporary file gone with the writer. */
  ContentWriter *w = NULL;
  assert_int_equal(content_writer_open(f->s, wrong, (int64_t)strlen(data), 0, &w, &err), 0);
  assert_int_equal(content_writer_write(w, data, strlen(data), &err), 0);
  assert_int_equal(count_entries(ingest), 1);
  assert_int_equal(content_writer_commit(w, NULL, &err), -EBADMSG);
  assert_non_null(strstr(err.message, "digest mismatch"));
  assert_non_null(strstr(err.message, want));
  error_reset(&err);
  content_writer_free(w);
  assert_false(content_blob_exists(f->s, wrong, -1));
  assert_false(content_blob_exists(f->s, want, -1));
  assert_int_equal(count_entries(ingest), 0);
  assert_int_equal(count_entries(blobs), 0);

  /* More bytes than announced: refused at the write that overflows. */
  assert_int_equal(content_writer_open(f->s, want, 4, 0, &w, &err), 0);
  assert_int_equal(content_writer_write(w, data, strlen(data), &err), -EBADMSG);
  error_reset(&err);
  content_writer_free(w);
  /* Fewer: refused at commit. */
  assert_int_equal(content_writer_open(f->s, want, 100, 0, &w, &err), 0);
  assert_int_equal(content_writer_write(w, data, strlen(data), &err), 0);
  assert_int_equal(content_writer_commit(w, NULL, &err), -EBADMSG);
  assert_non_null(strstr(err.message, "size mismatch"));
  error_reset(&err);
  content_writer_free(w);
  assert_int_equal(count_entries(blobs), 0);
  assert_int_equal(count_entries(ingest), 0);

  /* Right: stored under its digest, readable, and a retry after truncation hashes only the new bytes. */
  assert_int_equal(content_writer_open(f->s, want, (int64_t)strlen(data), 0, &w, &err), 0);
  assert_int_equal(content_writer_write(w, "junk", 4, &err), 0);
  assert_int_equal(content_writer_truncate(w, &err), 0);
  assert_int_equal(content_writer_write(w, data, strlen(data), &err), 0);
  char got[CONTENT_DIGEST_SIZE];
  assert_int_equal(content_writer_commit(w, got, &err), 0);
  content_writer_free(w);
  assert_string_equal(got, want);
  assert_true(content_blob_exists(f->s, want, (int64_t)strlen(data)));
  assert_false(content_blob_exists(f->s, want, 3));
  char *back = NULL;
  size_t len = 0;
  assert_int_equal(content_blob_read(f->s, want, 1024, &back, &len, &err), 0);
  assert_int_equal(len, strlen(data));
  assert_memory_equal(back, data, len);
  free(back);
  assert_int_equal(content_blob_read(f->s, want, 4, &back, &len, &err), -E2BIG);
  error_reset(&err);

  /* A blob altered on disk is caught when read. */
  _cleanup_free_ char *p = content_blob_path(f->s, want);
  assert_int_equal(write_file_atomic(p, "hello, registrY", 15, 0644), 0);
  assert_int_equal(content_blob_read(f->s, want, 1024, &back, &len, &err), -EBADMSG);
  assert_non_null(strstr(err.message, "corrupt"));
  error_reset(&err);

  /* content_blob_put checks an expected digest before writing anything. */
  assert_int_equal(content_blob_put(f->s, "x", 1, wrong, NULL, &err), -EBADMSG);
  error_reset(&err);
  assert_int_equal(content_blob_put(f->s, "x", 1, NULL, got, &err), 0);
  assert_true(content_blob_exists(f->s, got, 1));
}

/* ---- layers built with libarchive ---- */

typedef struct Entry {
  const char *name;
  char type;        /* 'd' dir, 'f' file, 'l' symlink, 'h' hard link */
  const char *data; /* content, or link target */
  unsigned mode;
} Entry;

static void write_tar(const Entry *e, size_t n, Buf *out) {
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_none(a);
  archive_write_set_bytes_in_last_block(a, 1);
  size_t cap = 1 << 20, used = 0;
  buf_reserve(out, cap);
  assert_int_equal(archive_write_open_memory(a, out->data, cap, &used), ARCHIVE_OK);
  for (size_t i = 0; i < n; i++) {
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, e[i].name);
    archive_entry_set_mtime(ae, 1000000000, 0);
    archive_entry_set_uid(ae, 0);
    archive_entry_set_gid(ae, 0);
    switch (e[i].type) {
    case 'd':
      archive_entry_set_filetype(ae, AE_IFDIR);
      archive_entry_set_perm(ae, e[i].mode ? e[i].mode : 0755);
      break;
    case 'f':
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_perm(ae, e[i].mode ? e[i].mode : 0644);
      archive_entry_set_size(ae, (la_int64_t)strlen(e[i].data));
      break;
    case 'l':
      archive_entry_set_filetype(ae, AE_IFLNK);
      archive_entry_set_perm(ae, 0777);
      archive_entry_set_symlink(ae, e[i].data);
      break;
    case 'h':
      archive_entry_set_filetype(ae, AE_IFREG);
      archive_entry_set_perm(ae, 0755);
      archive_entry_set_hardlink(ae, e[i].data);
      break;
    }
    assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
    if (e[i].type == 'f')
      assert_int_equal(archive_write_data(a, e[i].data, strlen(e[i].data)), (la_ssize_t)strlen(e[i].data));
    archive_entry_free(ae);
  }
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  out->len = used;
}

/* Compresses bytes with libarchive's "raw" format: the output is exactly the filter's stream. */
static void compress(const Buf *in, const char *filter, Buf *out) {
  struct archive *a = archive_write_new();
  archive_write_set_format_raw(a);
  if (streq(filter, "gzip"))
    archive_write_add_filter_gzip(a);
  else
    archive_write_add_filter_zstd(a);
  size_t cap = in->len + 65536, used = 0;
  buf_reserve(out, cap);
  assert_int_equal(archive_write_open_memory(a, out->data, cap, &used), ARCHIVE_OK);
  struct archive_entry *ae = archive_entry_new();
  archive_entry_set_pathname(ae, "data");
  archive_entry_set_filetype(ae, AE_IFREG);
  archive_entry_set_size(ae, (la_int64_t)in->len);
  assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
  assert_int_equal(archive_write_data(a, in->data, in->len), (la_ssize_t)in->len);
  archive_entry_free(ae);
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  out->len = used;
}

static int memfd_with(const Buf *b) {
  int fd = memfd_create("layer", MFD_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
  assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
  return fd;
}

static const Entry whiteout_layer[] = {
    {"./", 'd', NULL, 0755},
    {"./etc/", 'd', NULL, 0755},
    {"./etc/hello", 'f', "hi\n", 0600},
    {"./etc/.wh.gone", 'f', "", 0},
    {"./data/", 'd', NULL, 0750},
    {"./data/.wh..wh..opq", 'f', "", 0},
    {"./data/new", 'f', "new\n", 0},
    {"./bin/", 'd', NULL, 0},
    {"./bin/busybox", 'f', "#!fake\n", 0755},
    {"./bin/sh", 'l', "busybox", 0},
    {"./bin/hl", 'h', "bin/busybox", 0},
    {"./fresh/.wh..wh..opq", 'f', "", 0}, /* the opaque marker may come before (or without) its dir */
    {"./.wh..wh.plnk", 'd', NULL, 0},     /* aufs bookkeeping: dropped */
    {"./ro/", 'd', NULL, 0555},
    {"./ro/file", 'f', "x", 0444},
};

static void check_whiteout_layer(const char *dir) {
  struct stat st;
  _cleanup_free_ char *hello = xasprintf("%s/etc/hello", dir);
  char *data = NULL;
  assert_int_equal(read_file(hello, &data, NULL), 0);
  assert_string_equal(data, "hi\n");
  free(data);
  assert_int_equal(stat(hello, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);

  _cleanup_free_ char *gone = xasprintf("%s/etc/gone", dir);
  assert_int_equal(lstat(gone, &st), 0);
  assert_true(S_ISCHR(st.st_mode));
  assert_int_equal(major(st.st_rdev), 0);
  assert_int_equal(minor(st.st_rdev), 0);
  _cleanup_free_ char *wh = xasprintf("%s/etc/.wh.gone", dir);
  assert_int_equal(lstat(wh, &st), -1);

  char v[8] = {0};
  _cleanup_free_ char *d = xasprintf("%s/data", dir);
  assert_int_equal(getxattr(d, "trusted.overlay.opaque", v, sizeof v), 1);
  assert_int_equal(v[0], 'y');
  assert_int_equal(stat(d, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0750);
  _cleanup_free_ char *opq = xasprintf("%s/data/.wh..wh..opq", dir);
  assert_int_equal(lstat(opq, &st), -1);
  _cleanup_free_ char *fresh = xasprintf("%s/fresh", dir);
  assert_int_equal(getxattr(fresh, "trusted.overlay.opaque", v, sizeof v), 1);
  _cleanup_free_ char *plnk = xasprintf("%s/.wh..wh.plnk", dir);
  assert_int_equal(lstat(plnk, &st), -1);

  _cleanup_free_ char *sh = xasprintf("%s/bin/sh", dir);
  char target[64] = {0};
  assert_int_equal(readlink(sh, target, sizeof target - 1), 7);
  assert_string_equal(target, "busybox");
  struct stat a, b;
  _cleanup_free_ char *bb = xasprintf("%s/bin/busybox", dir);
  _cleanup_free_ char *hl = xasprintf("%s/bin/hl", dir);
  assert_int_equal(stat(bb, &a), 0);
  assert_int_equal(stat(hl, &b), 0);
  assert_int_equal(a.st_ino, b.st_ino);
  assert_int_equal(a.st_mode & 07777, 0755);
  _cleanup_free_ char *ro = xasprintf("%s/ro", dir);
  assert_int_equal(stat(ro, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0555);
  assert_int_equal(st.st_mtime, 1000000000);
}

static void unpack_variant(Fixture *f, const char *filter) {
  _cleanup_buf_ Buf tar = BUF_INIT;
  write_tar(whiteout_layer, ELEMENTSOF(whiteout_layer), &tar);
  char diff_id[CONTENT_DIGEST_SIZE];
  content_digest_of(tar.data, tar.len, diff_id);
  _cleanup_buf_ Buf blob = BUF_INIT;
  if (filter)
    compress(&tar, filter, &blob);
  else
    buf_append(&blob, tar.data, tar.len);
  /* Through the store, as a pull does: the blob first, then the layer from it. */
  char blob_digest[CONTENT_DIGEST_SIZE];
  Error err = ERROR_INIT;
  assert_int_equal(content_blob_put(f->s, blob.data, blob.len, NULL, blob_digest, &err), 0);
  assert_false(content_layer_exists(f->s, diff_id));
  if (content_layer_unpack(f->s, blob_digest, diff_id, NULL, &err) < 0)
    fail_msg("%s: %s", filter ? filter : "tar", err.message);
  assert_true(content_layer_exists(f->s, diff_id));
  _cleanup_free_ char *dir = content_layer_path(f->s, diff_id);
  check_whiteout_layer(dir);
  /* Unpacking again is a no-op. */
  assert_int_equal(content_layer_unpack(f->s, blob_digest, diff_id, NULL, &err), 0);
  _cleanup_free_ char *tmp = store_path(f, "layers/tmp");
  assert_int_equal(count_entries(tmp), 0);
}

static void test_layer_whiteouts_gzip(void **state) {
  if (geteuid() != 0)
    skip();
  unpack_variant(*state, "gzip");
}

static void test_layer_whiteouts_zstd(void **state) {
  if (geteuid() != 0)
    skip();
  unpack_variant(*state, "zstd");
}

static void test_layer_whiteouts_plain(void **state) {
  if (geteuid() != 0)
    skip();
  unpack_variant(*state, NULL);
}

static void test_layer_wrong_diff_id(void **state) {
  Fixture *f = *state;
  static const Entry e[] = {{"a", 'f', "aaa", 0}, {"b/", 'd', NULL, 0}, {"b/c", 'f', "c", 0}};
  _cleanup_buf_ Buf tar = BUF_INIT;
  write_tar(e, ELEMENTSOF(e), &tar);
  _cleanup_buf_ Buf gz = BUF_INIT;
  compress(&tar, "gzip", &gz);
  static const char claimed[] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  Error err = ERROR_INIT;
  _cleanup_close_ int fd = memfd_with(&gz);
  assert_int_equal(content_layer_unpack_fd(f->s, fd, claimed, NULL, &err), -EBADMSG);
  char real[CONTENT_DIGEST_SIZE];
  content_digest_of(tar.data, tar.len, real);
  assert_non_null(strstr(err.message, real));
  error_reset(&err);
  assert_false(content_layer_exists(f->s, claimed));
  _cleanup_free_ char *layers = store_path(f, "layers/sha256");
  _cleanup_free_ char *tmp = store_path(f, "layers/tmp");
  assert_int_equal(count_entries(layers), 0);
  assert_int_equal(count_entries(tmp), 0);

  /* Garbage that is not a tar at all. */
  _cleanup_buf_ Buf junk = BUF_INIT;
  buf_puts(&junk, "this is not a layer, not even close, but long enough to be read as one block");
  _cleanup_close_ int jfd = memfd_with(&junk);
  assert_true(content_layer_unpack_fd(f->s, jfd, claimed, NULL, &err) < 0);
  assert_non_null(err.message);
  error_reset(&err);
  assert_int_equal(count_entries(layers), 0);
  assert_int_equal(count_entries(tmp), 0);
}

static void expect_refused(Fixture *f, const Entry *e, size_t n, const char *outside) {
  _cleanup_buf_ Buf tar = BUF_INIT;
  write_tar(e, n, &tar);
  char diff_id[CONTENT_DIGEST_SIZE];
  content_digest_of(tar.data, tar.len, diff_id);
  Error err = ERROR_INIT;
  _cleanup_close_ int fd = memfd_with(&tar);
  int r = content_layer_unpack_fd(f->s, fd, diff_id, NULL, &err);
  if (r >= 0)
    fail_msg("hostile layer (%s) was unpacked", e[n - 1].name);
  assert_non_null(err.message);
  error_reset(&err);
  assert_false(content_layer_exists(f->s, diff_id));
  assert_int_equal(count_entries(outside), 0);
}

static void test_layer_escapes(void **state) {
  Fixture *f = *state;
  _cleanup_free_ char *outside = xasprintf("%s/outside", f->dir);
  assert_int_equal(mkdir(outside, 0755), 0);
  const Entry dotdot[] = {{"a/", 'd', NULL, 0}, {"a/../../outside/pwn", 'f', "x", 0}};
  expect_refused(f, dotdot, ELEMENTSOF(dotdot), outside);
  const Entry through_link[] = {{"l", 'l', outside, 0}, {"l/pwn", 'f', "x", 0}};
  expect_refused(f, through_link, ELEMENTSOF(through_link), outside);
  const Entry rel_link[] = {{"l", 'l', "../../../../outside", 0}, {"l/pwn", 'f', "x", 0}};
  expect_refused(f, rel_link, ELEMENTSOF(rel_link), outside);
  if (geteuid() == 0) {
    const Entry whiteout_link[] = {{"l", 'l', outside, 0}, {"l/.wh.pwn", 'f', "", 0}};
    expect_refused(f, whiteout_link, ELEMENTSOF(whiteout_link), outside);
    const Entry opaque_link[] = {{"l", 'l', outside, 0}, {"l/.wh..wh..opq", 'f', "", 0}};
    expect_refused(f, opaque_link, ELEMENTSOF(opaque_link), outside);
  }
  const Entry hardlink_out[] = {{"h", 'h', "../../outside/x", 0}};
  expect_refused(f, hardlink_out, ELEMENTSOF(hardlink_out), outside);
  /* An absolute name is read as relative to the layer root, as tar -x does. */
  const Entry absolute[] = {{"/etc/", 'd', NULL, 0}, {"/etc/conf", 'f', "c", 0}};
  _cleanup_buf_ Buf tar = BUF_INIT;
  write_tar(absolute, ELEMENTSOF(absolute), &tar);
  char diff_id[CONTENT_DIGEST_SIZE];
  content_digest_of(tar.data, tar.len, diff_id);
  Error err = ERROR_INIT;
  _cleanup_close_ int fd = memfd_with(&tar);
  assert_int_equal(content_layer_unpack_fd(f->s, fd, diff_id, NULL, &err), 0);
  _cleanup_free_ char *dir = content_layer_path(f->s, diff_id);
  _cleanup_free_ char *conf = xasprintf("%s/etc/conf", dir);
  struct stat st;
  assert_int_equal(stat(conf, &st), 0);
}

static void test_gc_and_leftovers(void **state) {
  Fixture *f = *state;
  Error err = ERROR_INIT;
  char a[CONTENT_DIGEST_SIZE], b[CONTENT_DIGEST_SIZE];
  assert_int_equal(content_blob_put(f->s, "aaaa", 4, NULL, a, &err), 0);
  assert_int_equal(content_blob_put(f->s, "bbbbbbbb", 8, NULL, b, &err), 0);
  static const Entry e[] = {{"x", 'f', "x", 0}};
  _cleanup_buf_ Buf tar = BUF_INIT;
  write_tar(e, 1, &tar);
  char layer[CONTENT_DIGEST_SIZE];
  content_digest_of(tar.data, tar.len, layer);
  _cleanup_close_ int fd = memfd_with(&tar);
  assert_int_equal(content_layer_unpack_fd(f->s, fd, layer, NULL, &err), 0);

  /* A crashed writer's leftovers disappear when someone takes the lock alone. */
  _cleanup_free_ char *stale = store_path(f, "content/ingest/blob-dead");
  _cleanup_free_ char *stale_dir = store_path(f, "layers/tmp/layer-dead");
  assert_int_equal(write_file_atomic(stale, "half", 4, 0644), 0);
  assert_int_equal(mkdir(stale_dir, 0755), 0);
  int shared = content_store_lock(f->s, false, &err);
  assert_true(shared >= 0);
  struct stat st;
  assert_int_equal(stat(stale, &st), -1);
  assert_int_equal(stat(stale_dir, &st), -1);
  /* While a shared holder works, nobody else cleans (its files are not leftovers). */
  assert_int_equal(write_file_atomic(stale, "busy", 4, 0644), 0);
  int other = content_store_lock(f->s, false, &err);
  assert_true(other >= 0);
  assert_int_equal(stat(stale, &st), 0);
  close(other);
  close(shared);

  int excl = content_store_lock(f->s, true, &err);
  assert_true(excl >= 0);
  char *live_blobs[] = {a, NULL};
  assert_int_equal(content_store_gc(f->s, live_blobs, NULL), 8);
  close(excl);
  assert_true(content_blob_exists(f->s, a, 4));
  assert_false(content_blob_exists(f->s, b, -1));
  assert_false(content_layer_exists(f->s, layer));
  _cleanup_free_ char *tmp = store_path(f, "layers/tmp");
  assert_int_equal(count_entries(tmp), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_blob_verified, setup, teardown),
      cmocka_unit_test_setup_teardown(test_layer_whiteouts_gzip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_layer_whiteouts_zstd, setup, teardown),
      cmocka_unit_test_setup_teardown(test_layer_whiteouts_plain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_layer_wrong_diff_id, setup, teardown),
      cmocka_unit_test_setup_teardown(test_layer_escapes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gc_and_leftovers, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
