/* The blob half of the content store (see content.h): hashing, the ingest writer, verified reads, the store
 * lock and garbage collection. Layer unpacking is in layer.c. */
#include "agent/images/content.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "agent/images/images-internal.h"
#include "agent/images/reference.h"
#include "base/log.h"

struct ContentStore {
  char *root;
  char *blobs;
  char *ingest;
  char *layers;
  char *layers_tmp;
  char *lock_path;
};

struct ContentWriter {
  ContentStore *s;
  char *tmp_path;
  int fd;
  ContentHash hash;
  bool hashing;
  uint64_t written;
  int64_t expected_size;
  uint64_t limit;
  char *expected;
  bool committed;
};

void content_hash_init(ContentHash *h) {
  if (gnutls_hash_init(&h->h, GNUTLS_DIG_SHA256) < 0)
    oom(); /* only fails when out of memory */
}

void content_hash_update(ContentHash *h, const void *p, size_t n) {
  if (n > 0)
    gnutls_hash(h->h, p, n);
}

static void hex_digest(const uint8_t raw[32], char out[static CONTENT_DIGEST_SIZE]) {
  static const char hex[] = "0123456789abcdef";
  memcpy(out, "sha256:", 7);
  for (size_t i = 0; i < 32; i++) {
    out[7 + 2 * i] = hex[raw[i] >> 4];
    out[8 + 2 * i] = hex[raw[i] & 15];
  }
  out[CONTENT_DIGEST_LEN] = 0;
}

void content_hash_final(ContentHash *h, char out[static CONTENT_DIGEST_SIZE]) {
  uint8_t raw[32];
  gnutls_hash_deinit(h->h, raw);
  h->h = NULL;
  hex_digest(raw, out);
}

void content_digest_of(const void *p, size_t n, char out[static CONTENT_DIGEST_SIZE]) {
  uint8_t raw[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, raw) < 0)
    oom();
  hex_digest(raw, out);
}

int content_store_open(const char *root, ContentStore **ret, Error *err) {
  int r = mkdir_p(root, 0755);
  if (r < 0)
    return error_set(err, r, NULL, "creating the image store %s: %s", root, strerror(-r));
  /* libarchive's symlink checks walk the whole extraction path, so the root must not contain symlinks. */
  _cleanup_free_ char *real = realpath(root, NULL);
  if (!real)
    return error_set(err, -errno, NULL, "resolving %s: %s", root, strerror(errno));
  ContentStore *s = xzalloc(sizeof *s);
  s->root = TAKE_PTR(real);
  s->blobs = xasprintf("%s/content/blobs/sha256", s->root);
  s->ingest = xasprintf("%s/content/ingest", s->root);
  s->layers = xasprintf("%s/layers/sha256", s->root);
  s->layers_tmp = xasprintf("%s/layers/tmp", s->root);
  s->lock_path = xasprintf("%s/lock", s->root);
  const char *dirs[] = {s->blobs, s->ingest, s->layers, s->layers_tmp};
  for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
    if ((r = mkdir_p(dirs[i], 0755)) < 0) {
      error_set(err, r, NULL, "creating %s: %s", dirs[i], strerror(-r));
      content_store_free(s);
      return r;
    }
  }
  *ret = s;
  return 0;
}

void content_store_free(ContentStore *s) {
  if (!s)
    return;
  free(s->root);
  free(s->blobs);
  free(s->ingest);
  free(s->layers);
  free(s->layers_tmp);
  free(s->lock_path);
  free(s);
}

const char *content_store_root(const ContentStore *s) {
  return s->root;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  if (type == FTW_DP)
    return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
  return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int content_rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : -errno;
  if (!S_ISDIR(st.st_mode))
    return unlink(path) < 0 ? -errno : 0;
  /* A layer may hold read-only directories; as root that does not stop unlink. */
  if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
    return errno ? -errno : -EIO;
  return 0;
}

/* Empties a scratch directory (ingest/ or layers/tmp/). Only called with the exclusive lock held. */
static void clear_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (streq(de->d_name, ".") || streq(de->d_name, ".."))
      continue;
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
    log_debug("images", "removing leftover %s", p);
    content_rm_rf(p);
  }
  closedir(d);
}

int content_store_lock(ContentStore *s, bool exclusive, Error *err) {
  int fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return error_set(err, -errno, NULL, "opening %s: %s", s->lock_path, strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) == 0 || (exclusive && flock(fd, LOCK_EX) == 0)) {
    /* Alone: whatever sits in the scratch directories belongs to a writer that died. */
    clear_dir(s->ingest);
    clear_dir(s->layers_tmp);
    if (exclusive)
      return fd;
  } else if (exclusive) {
    int r = -errno;
    close(fd);
    return error_set(err, r, NULL, "locking %s: %s", s->lock_path, strerror(-r));
  }
  while (flock(fd, LOCK_SH) < 0) {
    if (errno == EINTR)
      continue;
    int r = -errno;
    close(fd);
    return error_set(err, r, NULL, "locking %s: %s", s->lock_path, strerror(-r));
  }
  return fd;
}

char *content_blob_path(const ContentStore *s, const char *digest) {
  const char *hex = startswith(digest, "sha256:") ? digest + 7 : digest;
  return xasprintf("%s/%s", s->blobs, hex);
}

bool content_blob_exists(const ContentStore *s, const char *digest, int64_t size) {
  if (!image_ref_digest_valid(digest))
    return false;
  _cleanup_free_ char *p = content_blob_path(s, digest);
  struct stat st;
  if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
    return false;
  return size < 0 || st.st_size == size;
}

int content_blob_read(const ContentStore *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                      Error *err) {
  if (!image_ref_digest_valid(digest))
    return error_set(err, -EINVAL, NULL, "invalid digest \"%s\"", digest);
  _cleanup_free_ char *p = content_blob_path(s, digest);
  struct stat st;
  if (stat(p, &st) < 0)
    return error_set(err, -errno, NULL, "blob %s is not in the image store", digest);
  if ((uint64_t)st.st_size > max)
    return error_set(err, -E2BIG, NULL, "blob %s is larger than %zu bytes", digest, max);
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int r = read_file(p, &data, &len);
  if (r < 0)
    return error_set(err, r, NULL, "reading blob %s: %s", digest, strerror(-r));
  char got[CONTENT_DIGEST_SIZE];
  content_digest_of(data, len, got);
  if (!streq(got, digest))
    return error_set(err, -EBADMSG, NULL, "blob %s in the image store is corrupt (its content is %s)", digest,
                     got);
  *ret = TAKE_PTR(data);
  if (ret_len)
    *ret_len = len;
  return 0;
}

int content_writer_open(ContentStore *s, const char *expected, int64_t expected_size, uint64_t limit,
                        ContentWriter **ret, Error *err) {
  if (expected && !image_ref_digest_valid(expected))
    return error_set(err, -EINVAL, NULL, "invalid digest \"%s\"", expected);
  _cleanup_free_ char *tmp = xasprintf("%s/blob-XXXXXX", s->ingest);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return error_set(err, -errno, NULL, "creating a file in %s: %s", s->ingest, strerror(errno));
  ContentWriter *w = xzalloc(sizeof *w);
  w->s = s;
  w->tmp_path = TAKE_PTR(tmp);
  w->fd = fd;
  w->expected_size = expected_size;
  w->limit = limit;
  w->expected = expected ? xstrdup(expected) : NULL;
  content_hash_init(&w->hash);
  w->hashing = true;
  *ret = w;
  return 0;
}

int content_writer_write(ContentWriter *w, const void *p, size_t n, Error *err) {
  if (w->expected_size >= 0 && w->written + n > (uint64_t)w->expected_size)
    return error_set(err, -EBADMSG, NULL, "%s: more data than the %lld bytes announced",
                     w->expected ? w->expected : "blob", (long long)w->expected_size);
  if (w->limit && w->written + n > w->limit)
    return error_set(err, -E2BIG, NULL, "blob larger than %llu bytes", (unsigned long long)w->limit);
  content_hash_update(&w->hash, p, n);
  const char *c = p;
  size_t left = n;
  while (left > 0) {
    ssize_t k = write(w->fd, c, left);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return error_set(err, -errno, NULL, "writing to the image store: %s", strerror(errno));
    }
    c += k;
    left -= (size_t)k;
  }
  w->written += n;
  return 0;
}

uint64_t content_writer_written(const ContentWriter *w) {
  return w->written;
}

int content_writer_truncate(ContentWriter *w, Error *err) {
  if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
    return error_set(err, -errno, NULL, "truncating %s: %s", w->tmp_path, strerror(errno));
  char scratch[CONTENT_DIGEST_SIZE];
  content_hash_final(&w->hash, scratch);
  content_hash_init(&w->hash);
  w->written = 0;
  return 0;
}

int content_writer_commit(ContentWriter *w, char ret_digest[CONTENT_DIGEST_SIZE], Error *err) {
  char got[CONTENT_DIGEST_SIZE];
  content_hash_final(&w->hash, got);
  w->hashing = false;
  if (w->expected_size >= 0 && w->written != (uint64_t)w->expected_size)
    return error_set(err, -EBADMSG, NULL, "%s: size mismatch: got %llu bytes, want %lld",
                     w->expected ? w->expected : got, (unsigned long long)w->written,
                     (long long)w->expected_size);
  if (w->expected && !streq(got, w->expected))
    return error_set(err, -EBADMSG, NULL, "digest mismatch: the content of %s hashes to %s", w->expected,
                     got);
  /* Synced before the rename so that a blob under blobs/ is complete even after a power loss. */
  if (fsync(w->fd) < 0)
    return error_set(err, -errno, NULL, "syncing %s: %s", w->tmp_path, strerror(errno));
  _cleanup_free_ char *dst = content_blob_path(w->s, got);
  if (rename(w->tmp_path, dst) < 0)
    return error_set(err, -errno, NULL, "storing blob %s: %s", got, strerror(errno));
  w->committed = true;
  if (ret_digest)
    memcpy(ret_digest, got, CONTENT_DIGEST_SIZE);
  return 0;
}

void content_writer_free(ContentWriter *w) {
  if (!w)
    return;
  if (w->hashing) {
    char scratch[CONTENT_DIGEST_SIZE];
    content_hash_final(&w->hash, scratch);
  }
  if (w->fd >= 0)
    close(w->fd);
  if (!w->committed)
    unlink(w->tmp_path);
  free(w->tmp_path);
  free(w->expected);
  free(w);
}

int content_blob_put(ContentStore *s, const void *data, size_t len, const char *expected,
                     char ret_digest[CONTENT_DIGEST_SIZE], Error *err) {
  char digest[CONTENT_DIGEST_SIZE];
  content_digest_of(data, len, digest);
  if (expected && !streq(expected, digest))
    return error_set(err, -EBADMSG, NULL, "digest mismatch: the content of %s hashes to %s", expected,
                     digest);
  if (!content_blob_exists(s, digest, (int64_t)len)) {
    _cleanup_content_writer_ ContentWriter *w = NULL;
    int r = content_writer_open(s, digest, (int64_t)len, 0, &w, err);
    if (r < 0)
      return r;
    if ((r = content_writer_write(w, data, len, err)) < 0 || (r = content_writer_commit(w, NULL, err)) < 0)
      return r;
  }
  if (ret_digest)
    memcpy(ret_digest, digest, CONTENT_DIGEST_SIZE);
  return 0;
}

char *content_layer_path(const ContentStore *s, const char *diff_id) {
  const char *hex = startswith(diff_id, "sha256:") ? diff_id + 7 : diff_id;
  return xasprintf("%s/%s", s->layers, hex);
}

bool content_layer_exists(const ContentStore *s, const char *diff_id) {
  if (!image_ref_digest_valid(diff_id))
    return false;
  _cleanup_free_ char *p = content_layer_path(s, diff_id);
  struct stat st;
  return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Used by layer.c, which owns the unpacking but not the layout. */
const char *content_store_layers_tmp(const ContentStore *s) {
  return s->layers_tmp;
}

static bool listed(char *const *l, const char *hex) {
  for (; l && *l; l++) {
    const char *d = startswith(*l, "sha256:") ? *l + 7 : *l;
    if (streq(d, hex))
      return true;
  }
  return false;
}

int64_t content_store_gc(ContentStore *s, char *const *live_blobs, char *const *live_layers) {
  int64_t freed = 0;
  clear_dir(s->ingest);
  clear_dir(s->layers_tmp);
  DIR *d = opendir(s->blobs);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d))) {
      if (de->d_name[0] == '.' || listed(live_blobs, de->d_name))
        continue;
      struct stat st;
      if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          unlinkat(dirfd(d), de->d_name, 0) == 0)
        freed += st.st_size;
      log_debug("images", "gc: removed blob sha256:%s", de->d_name);
    }
    closedir(d);
  }
  d = opendir(s->layers);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d))) {
      if (de->d_name[0] == '.' || listed(live_layers, de->d_name))
        continue;
      /* Move it out of sha256/ first: a half-deleted layer must never look like a complete one. */
      _cleanup_free_ char *from = xasprintf("%s/%s", s->layers, de->d_name);
      _cleanup_free_ char *to = xasprintf("%s/gc-%s", s->layers_tmp, de->d_name);
      if (rename(from, to) == 0)
        content_rm_rf(to);
      log_debug("images", "gc: removed layer sha256:%s", de->d_name);
    }
    closedir(d);
  }
  return freed;
}
