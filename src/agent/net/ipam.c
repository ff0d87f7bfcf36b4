/* File-backed pod IPAM (see ipam.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "agent/net/ipam.h"
#include "base/util.h"

#define TMP_PREFIX ".tmp-"

int ipam_open(Ipam *a, const char *dir, const char *range, Error *err) {
  *a = (Ipam){.dir = xstrdup(dir)};
  if (mkdir_p(dir, 0700) < 0)
    return error_set(err, -errno, NULL, "cannot create %s: %s", dir, strerror(errno));
  return range ? ipam_set_range(a, range, err) : 0;
}

void ipam_close(Ipam *a) {
  free(a->dir);
  *a = (Ipam){0};
}

int ipam_set_range(Ipam *a, const char *range, Error *err) {
  Cidr4 c;
  if (cidr4_parse(range, &c) < 0 || c.prefix > 30 || c.prefix < 8)
    return error_set(err, -EINVAL, "spec.podCIDR", "unusable pod CIDR \"%s\" (IPv4 /8 to /30 expected)",
                     range ? range : "");
  a->range = c;
  return 0;
}

uint32_t ipam_gateway(const Ipam *a) {
  return a->range.addr + 1;
}

/* The uid recorded in the file `name` of the directory (caller frees), or NULL. */
static char *read_owner(const Ipam *a, const char *name) {
  _cleanup_free_ char *path = xasprintf("%s/%s", a->dir, name);
  char *data = NULL;
  if (read_file(path, &data, NULL) < 0)
    return NULL;
  data[strcspn(data, "\n")] = 0;
  return data;
}

/* The record's content, not synced: a crash of the agent (kill -9) keeps the page cache, and a crash of the
 * machine takes every pod's network namespace with it (reconciled at the next start), so an fsync per pod
 * would buy nothing but latency (1 to 35 ms measured on a busy host). */
static int write_tmp(const char *path, const char *uid) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  size_t len = strlen(uid);
  ssize_t n = write(fd, uid, len);
  int rc = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
  close(fd);
  return rc;
}

int ipam_lookup(Ipam *a, const char *uid, uint32_t *ret) {
  DIR *d = opendir(a->dir);
  if (!d)
    return -errno;
  int rc = -ENOENT;
  struct dirent *e;
  while ((e = readdir(d))) {
    uint32_t ip;
    if (e->d_name[0] == '.' || ip4_parse(e->d_name, &ip) < 0)
      continue;
    _cleanup_free_ char *owner = read_owner(a, e->d_name);
    if (owner && streq(owner, uid)) {
      *ret = ip;
      rc = 0;
      break;
    }
  }
  closedir(d);
  return rc;
}

int ipam_allocate(Ipam *a, const char *uid, uint32_t *ret) {
  if (!a->range.prefix)
    return -ENODATA;
  if (ipam_lookup(a, uid, ret) == 0 && cidr4_contains(&a->range, *ret))
    return 0;
  /* Written once to a temporary, then linked under each candidate name until one is free. */
  _cleanup_free_ char *tmp = xasprintf("%s/" TMP_PREFIX "%s", a->dir, uid);
  int rc = write_tmp(tmp, uid);
  if (rc < 0)
    return rc;
  uint64_t size = cidr4_size(&a->range);
  rc = -ENOSPC;
  for (uint64_t i = 2; i + 1 < size; i++) { /* .0 network, .1 gateway, last broadcast */
    uint32_t ip = a->range.addr + (uint32_t)i;
    char name[IP4_STRLEN];
    ip4_format(ip, name);
    _cleanup_free_ char *path = xasprintf("%s/%s", a->dir, name);
    if (link(tmp, path) == 0) {
      *ret = ip;
      rc = 0;
      break;
    }
    if (errno != EEXIST) {
      rc = -errno;
      break;
    }
  }
  unlink(tmp);
  return rc;
}

int ipam_release(Ipam *a, const char *uid) {
  DIR *d = opendir(a->dir);
  if (!d)
    return errno == ENOENT ? 0 : -errno;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    uint32_t ip;
    if (e->d_name[0] == '.' || ip4_parse(e->d_name, &ip) < 0)
      continue;
    _cleanup_free_ char *owner = read_owner(a, e->d_name);
    if (owner && streq(owner, uid)) {
      _cleanup_free_ char *path = xasprintf("%s/%s", a->dir, e->d_name);
      if (unlink(path) == 0)
        n++;
    }
  }
  closedir(d);
  return n;
}

int ipam_reconcile(Ipam *a, bool (*alive)(const char *uid, void *ud), void *ud) {
  DIR *d = opendir(a->dir);
  if (!d)
    return errno == ENOENT ? 0 : -errno;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (streq(e->d_name, ".") || streq(e->d_name, ".."))
      continue;
    _cleanup_free_ char *path = xasprintf("%s/%s", a->dir, e->d_name);
    if (startswith(e->d_name, TMP_PREFIX)) {
      unlink(path);
      continue;
    }
    uint32_t ip;
    if (ip4_parse(e->d_name, &ip) < 0)
      continue;
    _cleanup_free_ char *owner = read_owner(a, e->d_name);
    if (!owner || !*owner || !alive(owner, ud)) {
      if (unlink(path) == 0)
        n++;
    }
  }
  closedir(d);
  return n;
}
