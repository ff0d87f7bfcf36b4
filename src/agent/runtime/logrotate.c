/* Container log rotation (see logrotate.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

#include "agent/runtime/logrotate.h"
#include "base/strv.h"

bool runtime_log_should_rotate(off_t size, size_t incoming, int64_t max_size) {
  return max_size > 0 && size > 0 && (int64_t)size + (int64_t)incoming > max_size;
}

char *runtime_log_rotated_name(const char *path, time_t t) {
  struct tm tm;
  localtime_r(&t, &tm);
  return xasprintf("%s.%04d%02d%02d-%02d%02d%02d", path, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The part after "PATH." that sorts rotated files in time: the stamp, then the collision counter. */
static bool rotated_suffix(const char *name, const char *base) {
  size_t n = strlen(base);
  if (strncmp(name, base, n) != 0 || name[n] != '.')
    return false;
  const char *s = name + n + 1; /* YYYYmmdd-HHMMSS */
  if (strlen(s) < 15 || s[8] != '-')
    return false;
  for (int i = 0; i < 15; i++)
    if (i != 8 && (s[i] < '0' || s[i] > '9'))
      return false;
  return !endswith(name, ".tmp");
}

/* The stamp and collision counter of a rotated file PATH.YYYYmmdd-HHMMSS[.N][.gz] (path_len = strlen(PATH));
 * N = 0 if none. */
static const char *rotated_key(const char *full, size_t path_len, long *ret_n) {
  const char *stamp = full + path_len + 1;
  *ret_n = stamp[15] == '.' && stamp[16] >= '0' && stamp[16] <= '9' ? strtol(stamp + 16, NULL, 10) : 0;
  return stamp;
}

/* In time: by stamp, then by counter (numerically). */
static int cmp_rotated(const void *a, const void *b, void *path_len) {
  long na, nb;
  const char *x = rotated_key(*(char *const *)a, *(size_t *)path_len, &na),
             *y = rotated_key(*(char *const *)b, *(size_t *)path_len, &nb);
  int c = strncmp(x, y, 15);
  return c ? c : (na > nb) - (na < nb);
}

char **runtime_log_rotated(const char *path) {
  _cleanup_free_ char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  const char *base = slash ? slash + 1 : path;
  if (slash)
    *slash = 0;
  char **l = NULL;
  DIR *d = opendir(slash ? dir : ".");
  if (!d)
    return NULL;
  struct dirent *e;
  while ((e = readdir(d)))
    if (rotated_suffix(e->d_name, base)) {
      _cleanup_free_ char *full = slash ? xasprintf("%s/%s", dir, e->d_name) : xstrdup(e->d_name);
      strv_push(&l, full);
    }
  closedir(d);
  size_t path_len = slash ? strlen(path) : strlen(base);
  if (l)
    qsort_r(l, strv_length(l), sizeof *l, cmp_rotated, &path_len);
  return l;
}

int runtime_log_gzip(const char *src) {
  _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return -errno;
  _cleanup_free_ char *tmp = xasprintf("%s.gz.tmp", src), *dst = xasprintf("%s.gz", src);
  gzFile gz = gzopen(tmp, "wb6");
  if (!gz)
    return -EIO;
  char chunk[65536];
  int rc = 0;
  for (;;) {
    ssize_t n = read(in, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = -errno;
      break;
    }
    if (n == 0)
      break;
    if (gzwrite(gz, chunk, (unsigned)n) != (int)n) {
      rc = -EIO;
      break;
    }
  }
  if (gzclose(gz) != Z_OK && rc == 0)
    rc = -EIO;
  struct stat st; /* the compressed file keeps the original's times, as gzip does */
  if (rc == 0 && fstat(in, &st) == 0) {
    struct timespec t[2] = {st.st_atim, st.st_mtim};
    utimensat(AT_FDCWD, tmp, t, 0);
  }
  if (rc < 0 || rename(tmp, dst) < 0) {
    rc = rc < 0 ? rc : -errno;
    unlink(tmp);
    return rc;
  }
  unlink(src);
  return 0;
}

int runtime_log_rotate(const char *path, int max_files, int *fd) {
  if (max_files < 2)
    max_files = 2;
  _cleanup_free_ char *stamp = runtime_log_rotated_name(path, time(NULL)), *name = NULL;
  /* Rotated twice in one second: a counter above any of that second keeps the names unique and in order. */
  long next = -1;
  _cleanup_strv_free_ char **before = runtime_log_rotated(path);
  size_t sl = strlen(stamp);
  for (char **p = before; p && *p; p++)
    if (strncmp(*p, stamp, sl) == 0) {
      long n;
      rotated_key(*p, strlen(path), &n);
      next = MAX(next, n + 1);
    }
  name = next <= 0 ? xstrdup(stamp) : xasprintf("%s.%ld", stamp, next);
  if (rename(path, name) < 0)
    return -errno;
  int nfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (nfd < 0) {
    int e = -errno;
    rename(name, path);
    return e;
  }
  close(*fd);
  *fd = nfd;
  _cleanup_strv_free_ char **l = runtime_log_rotated(path);
  size_t n = strv_length(l);
  /* The current file counts: keep max_files - 1 rotated ones, the oldest go first. */
  size_t drop = n > (size_t)(max_files - 1) ? n - (size_t)(max_files - 1) : 0;
  for (size_t i = 0; i < n; i++) {
    if (i < drop)
      unlink(l[i]);
    else if (!endswith(l[i], ".gz") && !streq(l[i], name))
      runtime_log_gzip(l[i]);
  }
  return 0;
}
