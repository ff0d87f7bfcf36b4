/* Small libc-level helpers used everywhere: allocation that never returns NULL, cleanup attributes for
 * scope-bound ownership (systemd style), ownership hand-over and a few string helpers. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hand over ownership of a pointer: returns it and clears the variable so its cleanup does nothing. */
#define TAKE_PTR(p)                                                                                          \
  ({                                                                                                         \
    __typeof__(p) _tp = (p);                                                                                 \
    (p) = NULL;                                                                                              \
    _tp;                                                                                                     \
  })
#define TAKE_FD(fd)                                                                                          \
  ({                                                                                                         \
    int _tf = (fd);                                                                                          \
    (fd) = -1;                                                                                               \
    _tf;                                                                                                     \
  })

/* Allocation failure is not recoverable for a server: these abort instead of returning NULL. */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
_noreturn_ void oom(void);

static inline void freep(void *p) {
  free(*(void **)p);
}
static inline void closep(int *fd) {
  if (*fd >= 0)
    close(*fd);
}
static inline void fclosep(FILE **f) {
  if (*f)
    fclose(*f);
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline bool streq(const char *a, const char *b) {
  return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  return strcmp(a, b) == 0;
}
static inline bool isempty(const char *s) {
  return !s || !*s;
}
bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* Monotonic and wall-clock time. */
uint64_t now_monotonic_usec(void);
/* Initialises c to measure pthread_cond_timedwait deadlines on CLOCK_MONOTONIC (now_monotonic_usec's
 * clock), so that a change of the wall clock does not stretch or cut a wait. */
void cond_init_monotonic(pthread_cond_t *c);
uint64_t now_realtime_usec(void);
/* Formats a UTC time as RFC 3339 with second precision ("2026-11-26T14:08:52Z"). buf >= 21 bytes. */
void format_rfc3339(int64_t unix_sec, char buf[static 32]);
/* Parses RFC 3339 (Z or offset, optional fraction); returns 0 and the unix seconds, or -EINVAL. */
int parse_rfc3339(const char *s, int64_t *ret_sec);
/* Kubernetes' human age: "5s", "3m2s", "4h", "2d3h", "45d", "3y". */
void format_age(int64_t seconds, char buf[static 32]);

/* Creates a directory and its parents (mode for the ones created). */
int mkdir_p(const char *path, unsigned mode);
/* rm -rf path without following symlinks (a missing path is fine); it does not check for mounts below:
 * callers detach those first. Returns 0 or -errno of the last step. */
int rm_rf(const char *path);
/* Writes a whole file atomically (temp file + fsync + rename) with the given mode. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* The same without the fsync: readers never see a partial file, but after a power loss it may be empty or
 * old. For files that are written again anyway before they matter (a container's bundle, a pod's hosts). */
int write_file_replace(const char *path, const void *data, size_t len, unsigned mode);
/* Reads a whole file into a NUL-terminated buffer. */
int read_file(const char *path, char **ret_data, size_t *ret_len);
/* Random bytes from getrandom(2); never fails for small sizes. */
void random_bytes(void *buf, size_t n);
/* A random version-4 UUID in canonical form; buf >= 37 bytes. */
void uuid4(char buf[static 37]);
