/* libarchive, loaded on first use. coracle does not link libarchive: linking it maps libarchive and what it
 * links (libxml2 → ICU → libstdc++, liblzma, liblz4, libbz2, libzstd, libacl) into every coracle process
 * at start, ~2.3 MB of resident pages in an idle `coracle server` that has no image to unpack. This file
 * defines the libarchive functions that import.c and layer.c call, with libarchive's own prototypes (the
 * compiler checks them against <archive.h>); the first call dlopen()s libarchive.so.13 and every call
 * goes through the function dlsym() found there. The library stays loaded once used.
 *
 * The definitions are not exported from the executable (nothing it links refers to them and it is not
 * linked with --export-dynamic), so libarchive's calls to its own functions still bind inside libarchive.
 * A libarchive that cannot be loaded is an installation error, as a missing linked library would be at
 * start: the first use logs it and aborts. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"

#define ARCHIVE_SONAME "libarchive.so.13"

/* X(return type, name, (parameters), (arguments)) for functions returning a value; V(...) for void. */
#define ARCHIVE_FUNCTIONS(X, V)                                                                              \
  X(struct archive *, archive_read_new, (void), ())                                                          \
  X(int, archive_read_free, (struct archive * a), (a))                                                       \
  X(int, archive_read_support_format_tar, (struct archive * a), (a))                                         \
  X(int, archive_read_support_format_raw, (struct archive * a), (a))                                         \
  X(int, archive_read_support_filter_gzip, (struct archive * a), (a))                                        \
  X(int, archive_read_support_filter_zstd, (struct archive * a), (a))                                        \
  X(int, archive_read_support_filter_xz, (struct archive * a), (a))                                          \
  X(int, archive_read_open,                                                                                  \
    (struct archive * a, void *data, archive_open_callback *o, archive_read_callback *r,                     \
     archive_close_callback *c),                                                                             \
    (a, data, o, r, c))                                                                                      \
  X(int, archive_read_open_fd, (struct archive * a, int fd, size_t block), (a, fd, block))                   \
  X(int, archive_read_open_filename, (struct archive * a, const char *f, size_t block), (a, f, block))       \
  X(int, archive_read_next_header, (struct archive * a, struct archive_entry * *e), (a, e))                  \
  X(la_ssize_t, archive_read_data, (struct archive * a, void *buf, size_t n), (a, buf, n))                   \
  X(int, archive_read_data_block, (struct archive * a, const void **buf, size_t *n, la_int64_t *off),        \
    (a, buf, n, off))                                                                                        \
  X(int, archive_read_data_skip, (struct archive * a), (a))                                                  \
  X(struct archive *, archive_write_disk_new, (void), ())                                                    \
  X(int, archive_write_disk_set_options, (struct archive * a, int flags), (a, flags))                        \
  X(int, archive_write_header, (struct archive * a, struct archive_entry * e), (a, e))                       \
  X(la_ssize_t, archive_write_data_block, (struct archive * a, const void *buf, size_t n, la_int64_t off),   \
    (a, buf, n, off))                                                                                        \
  X(int, archive_write_finish_entry, (struct archive * a), (a))                                              \
  X(int, archive_write_close, (struct archive * a), (a))                                                     \
  X(int, archive_write_free, (struct archive * a), (a))                                                      \
  X(int, archive_errno, (struct archive * a), (a))                                                           \
  X(const char *, archive_error_string, (struct archive * a), (a))                                           \
  X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))                                    \
  X(const char *, archive_entry_pathname, (struct archive_entry * e), (e))                                   \
  X(const char *, archive_entry_hardlink, (struct archive_entry * e), (e))                                   \
  X(const char *, archive_entry_symlink, (struct archive_entry * e), (e))                                    \
  X(la_int64_t, archive_entry_size, (struct archive_entry * e), (e))                                         \
  X(int, archive_entry_xattr_reset, (struct archive_entry * e), (e))                                         \
  X(int, archive_entry_xattr_next,                                                                           \
    (struct archive_entry * e, const char **name, const void **value, size_t *size), (e, name, value, size)) \
  V(archive_entry_xattr_clear, (struct archive_entry * e), (e))                                              \
  V(archive_entry_xattr_add_entry,                                                                           \
    (struct archive_entry * e, const char *name, const void *value, size_t n), (e, name, value, n))          \
  V(archive_entry_set_pathname, (struct archive_entry * e, const char *p), (e, p))                           \
  V(archive_entry_set_hardlink, (struct archive_entry * e, const char *p), (e, p))

#define DECLARE(ret, name, params, args) static ret(*p_##name) params;
#define DECLARE_V(name, params, args) static void(*p_##name) params;
ARCHIVE_FUNCTIONS(DECLARE, DECLARE_V)
static void (*p_archive_set_error)(struct archive *, int, const char *, ...);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void *must_sym(void *h, const char *name) {
  void *p = dlsym(h, name);
  if (!p) {
    log_error("images", "msg=\"%s has no %s: %s\"", ARCHIVE_SONAME, name, dlerror());
    abort();
  }
  return p;
}

static void load(void) {
  void *h = dlopen(ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    log_error("images", "msg=\"cannot load %s (Debian package libarchive13): %s\"", ARCHIVE_SONAME,
              dlerror());
    abort();
  }
#define LOAD(ret, name, params, args) p_##name = (ret(*) params)must_sym(h, #name);
#define LOAD_V(name, params, args) p_##name = (void(*) params)must_sym(h, #name);
  ARCHIVE_FUNCTIONS(LOAD, LOAD_V)
  p_archive_set_error = (void (*)(struct archive *, int, const char *, ...))must_sym(h, "archive_set_error");
}

static inline void loaded(void) {
  pthread_once(&load_once, load);
}

#define DEFINE(ret, name, params, args)                                                                      \
  ret name params {                                                                                          \
    loaded();                                                                                                \
    return p_##name args;                                                                                    \
  }
#define DEFINE_V(name, params, args)                                                                         \
  void name params {                                                                                         \
    loaded();                                                                                                \
    p_##name args;                                                                                           \
  }
ARCHIVE_FUNCTIONS(DEFINE, DEFINE_V)

void archive_set_error(struct archive *a, int err, const char *fmt, ...) {
  loaded();
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p_archive_set_error(a, err, "%s", msg);
}
