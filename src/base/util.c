/* Implementation of the libc-level helpers declared in util.h. */
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

void oom(void) {
  fputs("coracle: out of memory\n", stderr);
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    oom();
  return p;
}

void *xzalloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p)
    oom();
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    oom();
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    oom();
  return q;
}

char *xstrdup(const char *s) {
  char *p = strdup(s ? s : "");
  if (!p)
    oom();
  return p;
}

char *xstrndup(const char *s, size_t n) {
  char *p = strndup(s, n);
  if (!p)
    oom();
  return p;
}

char *xasprintf(const char *fmt, ...) {
  va_list ap;
  char *s = NULL;
  va_start(ap, fmt);
  int r = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (r < 0)
    oom();
  return s;
}

bool startswith(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool endswith(const char *s, const char *suffix) {
  size_t ls = strlen(s), lx = strlen(suffix);
  return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

uint64_t now_monotonic_usec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void cond_init_monotonic(pthread_cond_t *c) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(c, &ca);
  pthread_condattr_destroy(&ca);
}

uint64_t now_realtime_usec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void format_rfc3339(int64_t unix_sec, char buf[static 32]) {
  time_t t = (time_t)unix_sec;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int parse_rfc3339(const char *s, int64_t *ret_sec) {
  struct tm tm = {0};
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p)
    return -EINVAL;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  long off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int hh, mm;
    if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
      return -EINVAL;
    off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return -EINVAL;
  }
  if (*p)
    return -EINVAL;
  *ret_sec = (int64_t)timegm(&tm) - off;
  return 0;
}

/* Mirrors the rounding of Kubernetes' duration.HumanDuration so AGE columns read the same. */
void format_age(int64_t s, char buf[static 32]) {
  if (s < 0)
    s = 0;
  if (s < 120) {
    snprintf(buf, 32, "%llds", (long long)s);
    return;
  }
  int64_t m = s / 60;
  if (m < 10) {
    if (s % 60 == 0)
      snprintf(buf, 32, "%lldm", (long long)m);
    else
      snprintf(buf, 32, "%lldm%llds", (long long)m, (long long)(s % 60));
    return;
  }
  if (m < 180) {
    snprintf(buf, 32, "%lldm", (long long)m);
    return;
  }
  int64_t h = s / 3600;
  if (h < 8) {
    if (m % 60 == 0)
      snprintf(buf, 32, "%lldh", (long long)h);
    else
      snprintf(buf, 32, "%lldh%lldm", (long long)h, (long long)(m % 60));
    return;
  }
  if (h < 48) {
    snprintf(buf, 32, "%lldh", (long long)h);
    return;
  }
  if (h < 192) {
    if (h % 24 == 0)
      snprintf(buf, 32, "%lldd", (long long)(h / 24));
    else
      snprintf(buf, 32, "%lldd%lldh", (long long)(h / 24), (long long)(h % 24));
    return;
  }
  if (h < 24 * 365 * 2) {
    snprintf(buf, 32, "%lldd", (long long)(h / 24));
    return;
  }
  if (h < 24 * 365 * 8) {
    int64_t dy = (h / 24) % 365;
    if (dy == 0)
      snprintf(buf, 32, "%lldy", (long long)(h / 24 / 365));
    else
      snprintf(buf, 32, "%lldy%lldd", (long long)(h / 24 / 365), (long long)dy);
    return;
  }
  snprintf(buf, 32, "%lldy", (long long)(h / 24 / 365));
}

int rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return errno == ENOENT ? 0 : -errno;
  if (!S_ISDIR(st.st_mode))
    return unlink(path) < 0 ? -errno : 0;
  DIR *d = opendir(path);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (streq(e->d_name, ".") || streq(e->d_name, ".."))
        continue;
      _cleanup_free_ char *c = xasprintf("%s/%s", path, e->d_name);
      rm_rf(c);
    }
    closedir(d);
  }
  return rmdir(path) < 0 ? -errno : 0;
}

int mkdir_p(const char *path, unsigned mode) {
  _cleanup_free_ char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = 0;
    if (mkdir(p, mode) < 0 && errno != EEXIST)
      return -errno;
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return -errno;
  return 0;
}

static int write_file_rename(const char *path, const void *data, size_t len, unsigned mode, bool sync) {
  _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
  _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -errno;
  if (fchmod(fd, mode) < 0)
    return -errno;
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int r = -errno;
      unlink(tmp);
      return r;
    }
    p += n;
    len -= (size_t)n;
  }
  if ((sync && fsync(fd) < 0) || rename(tmp, path) < 0) {
    int r = -errno;
    unlink(tmp);
    return r;
  }
  return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode) {
  return write_file_rename(path, data, len, mode, true);
}

int write_file_replace(const char *path, const void *data, size_t len, unsigned mode) {
  return write_file_rename(path, data, len, mode, false);
}

int read_file(const char *path, char **ret_data, size_t *ret_len) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t cap = 4096, len = 0;
  _cleanup_free_ char *buf = xmalloc(cap);
  for (;;) {
    if (len + 1 >= cap) {
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  buf[len] = 0;
  if (ret_len)
    *ret_len = len;
  *ret_data = TAKE_PTR(buf);
  return 0;
}

void random_bytes(void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      abort();
    }
    p += r;
    n -= (size_t)r;
  }
}

void uuid4(char buf[static 37]) {
  uint8_t b[16];
  random_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
