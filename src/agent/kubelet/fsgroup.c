/* fsGroup ownership of pod volumes (fsgroup.h). The walk works on directory descriptors (openat with
 * O_NOFOLLOW, fstatat/fchownat without following), so that a symlink a container left in a volume never
 * leads the walk, or a chmod, outside of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/kubelet/fsgroup.h"
#include "api/jsonutil.h"
#include "base/log.h"

#define FSGROUP_RW_MASK 0660
#define FSGROUP_RO_MASK 0440
#define FSGROUP_EXEC_MASK 0110
#define FSGROUP_MAX_DEPTH 256

bool volume_pod_fsgroup(json_t *pod, gid_t *ret_gid, bool *ret_on_root_mismatch) {
  json_t *sc = jpath(pod, "spec.securityContext"), *fs = json_object_get(sc, "fsGroup");
  if (!json_is_integer(fs) || json_integer_value(fs) < 0 || json_integer_value(fs) > 0x7fffffff)
    return false;
  *ret_gid = (gid_t)json_integer_value(fs);
  if (ret_on_root_mismatch)
    *ret_on_root_mismatch = streq_ptr(jstr(sc, "fsGroupChangePolicy"), "OnRootMismatch");
  return true;
}

static unsigned mask_for(bool readonly, bool dir) {
  return (readonly ? FSGROUP_RO_MASK : FSGROUP_RW_MASK) | (dir ? (S_ISGID | FSGROUP_EXEC_MASK) : 0);
}

bool volume_fsgroup_root_mismatch(const char *dir, gid_t gid, bool readonly) {
  struct stat st;
  if (stat(dir, &st) < 0 || st.st_gid != gid || !S_ISDIR(st.st_mode))
    return true;
  unsigned want = (readonly ? FSGROUP_RO_MASK : FSGROUP_RW_MASK) | FSGROUP_EXEC_MASK;
  return (st.st_mode & want) != want || !(st.st_mode & S_ISGID);
}

typedef struct Walk {
  gid_t gid;
  bool readonly;
  unsigned failures;
  const char *root;
} Walk;

/* One entry (name in the directory dfd, or dfd itself when name is NULL). */
static void fix_entry(Walk *w, int dfd, const char *name, const struct stat *st) {
  int r = name ? fchownat(dfd, name, (uid_t)-1, w->gid, AT_SYMLINK_NOFOLLOW) : fchown(dfd, (uid_t)-1, w->gid);
  if (r < 0 && w->failures++ < 3)
    log_warn("kubelet", "volume=%s entry=%s msg=\"fsGroup: lchown failed\" err=\"%s\"", w->root, name ?: ".",
             strerror(errno));
  if (S_ISLNK(st->st_mode))
    return; /* a symlink's mode means nothing, and chmod would change its target */
  mode_t mode = (st->st_mode & 07777) | mask_for(w->readonly, S_ISDIR(st->st_mode));
  r = name ? fchmodat(dfd, name, mode, 0) : fchmod(dfd, mode);
  if (r < 0 && w->failures++ < 3)
    log_warn("kubelet", "volume=%s entry=%s msg=\"fsGroup: chmod failed\" err=\"%s\"", w->root, name ?: ".",
             strerror(errno));
}

/* The entries of the directory dfd (owned by the caller), then their subdirectories. */
static void walk_dir(Walk *w, int dfd, unsigned depth) {
  int dup_fd = dup(dfd);
  if (dup_fd < 0)
    return;
  DIR *d = fdopendir(dup_fd);
  if (!d) {
    close(dup_fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (streq(e->d_name, ".") || streq(e->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    fix_entry(w, dfd, e->d_name, &st);
    if (!S_ISDIR(st.st_mode) || depth >= FSGROUP_MAX_DEPTH)
      continue;
    int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
      continue;
    walk_dir(w, sub, depth + 1);
    close(sub);
  }
  closedir(d);
}

int volume_apply_fsgroup_mode(const char *dir, gid_t gid, bool readonly, bool on_root_mismatch, Error *e) {
  if (on_root_mismatch && !volume_fsgroup_root_mismatch(dir, gid, readonly)) {
    log_debug("kubelet", "volume=%s msg=\"fsGroup: root already matches, skipping the walk\"", dir);
    return 0;
  }
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return error_set(e, -errno, NULL, "applying fsGroup %u to %s: %s", (unsigned)gid, dir, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0)
    return error_set(e, -errno, NULL, "applying fsGroup %u to %s: %s", (unsigned)gid, dir, strerror(errno));
  Walk w = {.gid = gid, .readonly = readonly, .root = dir};
  fix_entry(&w, fd, NULL, &st);
  walk_dir(&w, fd, 0);
  return 0;
}

int volume_apply_fsgroup(const char *dir, gid_t gid, bool on_root_mismatch, Error *e) {
  return volume_apply_fsgroup_mode(dir, gid, false, on_root_mismatch, e);
}

int volume_pod_apply_fsgroup(json_t *pod, const char *dir, bool readonly, Error *e) {
  gid_t gid;
  if (!volume_pod_fsgroup(pod, &gid, NULL))
    return 0;
  return volume_apply_fsgroup_mode(dir, gid, readonly, false, e);
}

int volume_pod_apply_fsgroup_policy(json_t *pod, const char *dir, bool readonly, Error *e) {
  gid_t gid;
  bool on_root_mismatch = false;
  if (!volume_pod_fsgroup(pod, &gid, &on_root_mismatch))
    return 0;
  return volume_apply_fsgroup_mode(dir, gid, readonly, on_root_mismatch, e);
}

void volume_pod_fsgroup_payload(json_t *pod, VolumePayload *p) {
  gid_t gid;
  if (!volume_pod_fsgroup(pod, &gid, NULL))
    return;
  for (size_t i = 0; i < p->n; i++)
    p->files[i].mode |= FSGROUP_RO_MASK;
}
