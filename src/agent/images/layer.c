/* Unpacking a layer into the shared layer cache (see content.h).
 *
 * Two libarchive readers are chained: the first uses the "raw" format to undo gzip or zstd (or nothing), and
 * its decompressed bytes are hashed on their way into the second, a tar reader, so the diff_id is checked
 * on the very bytes that were extracted, in one pass. Entries are written under a fresh directory in
 * layers/tmp/ that is renamed to layers/sha256/<diff_id> only after the whole stream matched.
 *
 * OCI layers mark deletions with whiteout files; an overlayfs lower directory marks them differently, so they
 * are converted while unpacking:
 *   dir/.wh.name      -> dir/name as a character device 0/0
 *   dir/.wh..wh..opq  -> the xattr trusted.overlay.opaque="y" on dir
 * Those two are written with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) so that a hostile layer cannot
 * aim them outside the directory; ordinary entries go through libarchive with its symlink and ".." guards
 * on top of the name cleaning done here. Only the gzip and zstd filters are enabled, so a layer can never
 * make libarchive start an external decompressor. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "agent/images/content.h"
#include "agent/images/images-internal.h"
#include "agent/images/reference.h"
#include "base/buf.h"
#include "base/log.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define WHITEOUT_META ".wh..wh."
#define LAYER_MAX_ENTRY_NAME 4096

typedef struct Source {
  struct archive *raw;
  ContentHash hash;
  uint64_t total;
  const int *cancel;
} Source;

static la_ssize_t source_read(struct archive *a, void *ud, const void **buf) {
  Source *src = ud;
  if (src->cancel && __atomic_load_n(src->cancel, __ATOMIC_RELAXED)) {
    archive_set_error(a, ECANCELED, "cancelled");
    return -1;
  }
  const void *block;
  size_t size;
  la_int64_t offset;
  int r = archive_read_data_block(src->raw, &block, &size, &offset);
  if (r == ARCHIVE_EOF)
    return 0;
  if (r < ARCHIVE_WARN) {
    archive_set_error(a, archive_errno(src->raw), "%s", archive_error_string(src->raw));
    return -1;
  }
  content_hash_update(&src->hash, block, size);
  src->total += size;
  *buf = block;
  return (la_ssize_t)size;
}

/* Cleans a tar entry name: drops leading "/" and "./" and empty or "." components, refuses "..".
 * Returns "" for the root itself. */
static int clean_name(const char *name, Buf *out) {
  buf_reset(out);
  if (strlen(name) > LAYER_MAX_ENTRY_NAME)
    return -ENAMETOOLONG;
  const char *p = name;
  while (*p) {
    while (*p == '/')
      p++;
    const char *e = strchrnul(p, '/');
    size_t n = (size_t)(e - p);
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return -EINVAL;
    if (n > 0 && !(n == 1 && p[0] == '.')) {
      if (out->len)
        buf_putc(out, '/');
      buf_append(out, p, n);
    }
    p = e;
  }
  if (!out->data)
    buf_puts(out, "");
  return 0;
}

static int openat2_beneath(int dirfd, const char *path, int flags) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  long fd;
  do
    fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : (int)fd;
}

/* Opens directory rel (relative, cleaned) under root, creating missing components. */
static int open_dir_beneath(int root, const char *rel) {
  int fd = openat2_beneath(root, ".", O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return fd;
  _cleanup_free_ char *copy = xstrdup(rel);
  char *save = NULL;
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
      int r = -errno;
      close(fd);
      return r;
    }
    int next = openat2_beneath(fd, c, O_RDONLY | O_DIRECTORY);
    close(fd);
    if (next < 0)
      return next;
    fd = next;
  }
  return fd;
}

static void split_dir(const char *path, char **ret_dir, const char **ret_base) {
  const char *slash = strrchr(path, '/');
  *ret_dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
  *ret_base = slash ? slash + 1 : path;
}

static int apply_whiteout(int root, const char *clean, Error *err) {
  _cleanup_free_ char *dir = NULL;
  const char *base;
  split_dir(clean, &dir, &base);
  if (streq(base, WHITEOUT_OPAQUE)) {
    int fd = open_dir_beneath(root, dir);
    if (fd < 0)
      return error_set(err, fd, NULL, "opaque directory /%s: %s", dir, strerror(-fd));
    int r = fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0 ? -errno : 0;
    close(fd);
    if (r < 0)
      return error_set(err, r, NULL, "marking /%s opaque (trusted.overlay.opaque needs root): %s", dir,
                       strerror(-r));
    return 0;
  }
  const char *victim = base + strlen(WHITEOUT_PREFIX);
  if (!*victim || streq(victim, ".") || streq(victim, ".."))
    return error_set(err, -EINVAL, NULL, "invalid whiteout /%s", clean);
  int fd = open_dir_beneath(root, dir);
  if (fd < 0)
    return error_set(err, fd, NULL, "whiteout /%s: %s", clean, strerror(-fd));
  /* The same layer may also carry the path it deletes (rare, but allowed): the whiteout wins. */
  if (unlinkat(fd, victim, 0) < 0 && errno == EISDIR) {
    _cleanup_free_ char *sub = xasprintf("%s%s%s", dir, *dir ? "/" : "", victim);
    int sfd = openat2_beneath(root, sub, O_PATH | O_DIRECTORY);
    if (sfd >= 0) {
      char p[64];
      snprintf(p, sizeof p, "/proc/self/fd/%d", sfd);
      _cleanup_free_ char *real = realpath(p, NULL);
      close(sfd);
      if (real)
        content_rm_rf(real);
    }
  }
  int r = mknodat(fd, victim, S_IFCHR | 0000, makedev(0, 0)) < 0 ? -errno : 0;
  close(fd);
  if (r < 0)
    return error_set(err, r, NULL, "whiteout /%s: creating the overlay whiteout needs CAP_MKNOD: %s", clean,
                     strerror(-r));
  return 0;
}

/* Drops extended attributes a layer must not carry: overlayfs' own (they would steer the overlay mount). */
static void filter_xattrs(struct archive_entry *e) {
  if (archive_entry_xattr_reset(e) == 0)
    return;
  bool bad = false;
  const char *name;
  const void *value;
  size_t size;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
    if (startswith(name, "trusted.overlay."))
      bad = true;
  if (!bad)
    return;
  struct Kept {
    char *name;
    void *value;
    size_t size;
  } kept[64];
  size_t n = 0;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK && n < ELEMENTSOF(kept)) {
    if (startswith(name, "trusted.overlay."))
      continue;
    kept[n].name = xstrdup(name);
    kept[n].value = xmalloc(size ? size : 1);
    memcpy(kept[n].value, value, size);
    kept[n].size = size;
    n++;
  }
  archive_entry_xattr_clear(e);
  for (size_t i = 0; i < n; i++) {
    archive_entry_xattr_add_entry(e, kept[i].name, kept[i].value, kept[i].size);
    free(kept[i].name);
    free(kept[i].value);
  }
}

/* aufs kept bookkeeping under .wh..wh.* names (its hard link pool, its own metadata); none of it is part
 * of the image. The opaque marker shares the prefix but is a real instruction. */
static bool aufs_meta(const char *clean) {
  for (const char *p = clean; p;) {
    const char *slash = strchr(p, '/');
    if (startswith(p, WHITEOUT_META) && !(streq(p, WHITEOUT_OPAQUE) && !slash))
      return true;
    p = slash ? slash + 1 : NULL;
  }
  return false;
}

static void archive_freep(struct archive **a) {
  if (*a)
    archive_read_free(*a);
}
static void archive_write_freep(struct archive **a) {
  if (*a)
    archive_write_free(*a);
}

static int unpack_into(const char *dest, Source *src, const int *cancel, Error *err) {
  _cleanup_(archive_freep) struct archive *tar = archive_read_new();
  _cleanup_(archive_write_freep) struct archive *disk = archive_write_disk_new();
  if (!tar || !disk)
    oom();
  archive_read_support_format_tar(tar);
  archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                           ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                           ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  if (archive_read_open(tar, src, NULL, source_read, NULL) != ARCHIVE_OK)
    return error_set(err, -EBADMSG, NULL, "not a tar archive: %s", archive_error_string(tar));
  _cleanup_close_ int root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return error_set(err, -errno, NULL, "opening %s: %s", dest, strerror(errno));
  _cleanup_buf_ Buf clean = BUF_INIT;
  _cleanup_buf_ Buf full = BUF_INIT;
  for (;;) {
    struct archive_entry *e;
    int r = archive_read_next_header(tar, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return error_set(err, -EBADMSG, NULL, "reading the layer: %s", archive_error_string(tar));
    const char *name = archive_entry_pathname(e);
    if (!name || clean_name(name, &clean) < 0)
      return error_set(err, -EINVAL, NULL, "layer entry \"%s\" escapes the root", name ? name : "");
    if (aufs_meta(clean.data))
      continue;
    const char *base = strrchr(clean.data, '/');
    base = base ? base + 1 : clean.data;
    if (startswith(base, WHITEOUT_PREFIX)) {
      if ((r = apply_whiteout(root, clean.data, err)) < 0)
        return r;
      continue;
    }
    buf_reset(&full);
    buf_printf(&full, "%s%s%s", dest, clean.len ? "/" : "", clean.data);
    archive_entry_set_pathname(e, full.data);
    const char *link = archive_entry_hardlink(e);
    if (link) {
      _cleanup_buf_ Buf lclean = BUF_INIT;
      if (clean_name(link, &lclean) < 0 || lclean.len == 0)
        return error_set(err, -EINVAL, NULL, "layer hard link \"%s\" escapes the root", link);
      _cleanup_free_ char *lfull = xasprintf("%s/%s", dest, lclean.data);
      archive_entry_set_hardlink(e, lfull);
    }
    filter_xattrs(e);
    r = archive_write_header(disk, e);
    if (r < ARCHIVE_WARN)
      return error_set(err, -EIO, NULL, "extracting /%s: %s", clean.data, archive_error_string(disk));
    if (r == ARCHIVE_OK && archive_entry_size(e) > 0) {
      const void *block;
      size_t size;
      la_int64_t offset;
      while ((r = archive_read_data_block(tar, &block, &size, &offset)) == ARCHIVE_OK) {
        if (archive_write_data_block(disk, block, size, offset) < ARCHIVE_WARN)
          return error_set(err, -EIO, NULL, "writing /%s: %s", clean.data, archive_error_string(disk));
      }
      if (r != ARCHIVE_EOF)
        return error_set(err, -EBADMSG, NULL, "reading /%s from the layer: %s", clean.data,
                         archive_error_string(tar));
    }
    if (archive_write_finish_entry(disk) < ARCHIVE_WARN)
      return error_set(err, -EIO, NULL, "extracting /%s: %s", clean.data, archive_error_string(disk));
  }
  /* Directory modes and times are set here, after their content was written. */
  if (archive_write_close(disk) < ARCHIVE_WARN)
    return error_set(err, -EIO, NULL, "finishing the layer: %s", archive_error_string(disk));
  /* The diff_id covers the whole stream, including the padding after the tar's end marker. */
  const void *block;
  size_t size;
  la_int64_t offset;
  int r;
  while ((r = archive_read_data_block(src->raw, &block, &size, &offset)) == ARCHIVE_OK) {
    content_hash_update(&src->hash, block, size);
    src->total += size;
    if (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED))
      return error_set(err, -ECANCELED, NULL, "cancelled");
  }
  if (r != ARCHIVE_EOF)
    return error_set(err, -EBADMSG, NULL, "reading the layer: %s", archive_error_string(src->raw));
  return 0;
}

int content_layer_unpack_fd(ContentStore *s, int fd, const char *diff_id, const int *cancel, Error *err) {
  if (!image_ref_digest_valid(diff_id))
    return error_set(err, -EINVAL, NULL, "invalid diff_id \"%s\"", diff_id);
  if (content_layer_exists(s, diff_id))
    return 0;
  _cleanup_free_ char *tmp = xasprintf("%s/layer-XXXXXX", content_store_layers_tmp(s));
  if (!mkdtemp(tmp))
    return error_set(err, -errno, NULL, "creating a directory in %s: %s", content_store_layers_tmp(s),
                     strerror(errno));
  chmod(tmp, 0755);

  _cleanup_(archive_freep) struct archive *raw = archive_read_new();
  if (!raw)
    oom();
  archive_read_support_filter_gzip(raw);
  archive_read_support_filter_zstd(raw);
  archive_read_support_format_raw(raw);
  Source src = {.raw = raw, .cancel = cancel};
  content_hash_init(&src.hash);
  int r = 0;
  struct archive_entry *e;
  if (archive_read_open_fd(raw, fd, 128 * 1024) != ARCHIVE_OK)
    r = error_set(err, -EBADMSG, NULL, "reading the layer: %s", archive_error_string(raw));
  else if ((r = archive_read_next_header(raw, &e)) != ARCHIVE_OK)
    r = error_set(err, -EBADMSG, NULL, "reading the layer: %s",
                  r == ARCHIVE_EOF ? "empty" : archive_error_string(raw));
  else
    r = unpack_into(tmp, &src, cancel, err);
  char got[CONTENT_DIGEST_SIZE];
  content_hash_final(&src.hash, got);
  if (r >= 0 && !streq(got, diff_id))
    r = error_set(err, -EBADMSG, NULL, "layer %s: the uncompressed content hashes to %s", diff_id, got);
  if (r >= 0) {
    /* One syncfs instead of an fsync per file: the layer must be durable before it becomes visible. */
    _cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
      syncfs(dfd);
    _cleanup_free_ char *dst = content_layer_path(s, diff_id);
    if (rename(tmp, dst) < 0) {
      if (errno != EEXIST && errno != ENOTEMPTY)
        r = error_set(err, -errno, NULL, "storing layer %s: %s", diff_id, strerror(errno));
      /* else another pull stored the same layer first */
    } else {
      log_debug("images", "unpacked layer %s (%llu bytes)", diff_id, (unsigned long long)src.total);
      return 0;
    }
  }
  content_rm_rf(tmp);
  return r;
}

int content_layer_unpack(ContentStore *s, const char *blob_digest, const char *diff_id, const int *cancel,
                         Error *err) {
  if (content_layer_exists(s, diff_id))
    return 0;
  _cleanup_free_ char *p = content_blob_path(s, blob_digest);
  _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, -errno, NULL, "layer blob %s is not in the image store", blob_digest);
  return content_layer_unpack_fd(s, fd, diff_id, cancel, err);
}
