/* Pod network namespaces made in-process (runtime.h: runtime_netns_create/delete), named the way iproute2
 * names them so that `ip netns`, `nsenter --net=/run/netns/NAME` and runc's namespace path all work: an
 * empty file /run/netns/NAME with the namespace bind-mounted on it, /run/netns itself a shared mount.
 *
 * A namespace is made by a short-lived thread: unshare(CLONE_NEWNET) moves only the calling thread, so the
 * agent's other threads stay where they are; the thread brings the new loopback up (an ioctl on a socket it
 * opens inside), bind-mounts /proc/thread-self/ns/net onto the name and ends; the mount keeps the namespace.
 * This replaces `ip netns add` + `ip -n NAME link set lo up`, two process starts per pod (BENCHMARKS). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent/runtime/runtime.h"
#include "base/log.h"

#define NETNS_DIR "/run/netns"

/* /run/netns as a shared mount point (what iproute2 sets up), so that the names propagate into mount
 * namespaces made later. Once per process; failures are left to the mount of the name to report. */
static void netns_dir_setup(void) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static bool done;
  pthread_mutex_lock(&lock);
  if (!done) {
    mkdir_p(NETNS_DIR, 0755);
    if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0 && errno == EINVAL) {
      /* not a mount point yet: make it one, then shared */
      if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) == 0)
        mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL);
    }
    done = true;
  }
  pthread_mutex_unlock(&lock);
}

typedef struct NetnsJob {
  const char *path;
  bool exists; /* enter it instead of making it */
  int rc;
  char what[64];
} NetnsJob;

static int loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -errno;
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  int rc = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
    rc = -errno;
  } else if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
      rc = -errno;
  }
  close(s);
  return rc;
}

static void *netns_thread(void *arg) {
  NetnsJob *j = arg;
  if (j->exists) {
    int fd = open(j->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
      j->rc = -errno;
      snprintf(j->what, sizeof j->what, "entering it");
      if (fd >= 0)
        close(fd);
      return NULL;
    }
    close(fd);
  } else {
    if (unshare(CLONE_NEWNET) < 0) {
      j->rc = -errno;
      snprintf(j->what, sizeof j->what, "unshare");
      return NULL;
    }
    int fd = open(j->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) {
      j->rc = -errno;
      snprintf(j->what, sizeof j->what, "creating its file");
      return NULL;
    }
    close(fd);
    if (mount("/proc/thread-self/ns/net", j->path, "none", MS_BIND, NULL) < 0) {
      j->rc = -errno;
      snprintf(j->what, sizeof j->what, "bind-mounting it");
      unlink(j->path);
      return NULL;
    }
  }
  if ((j->rc = loopback_up()) < 0)
    snprintf(j->what, sizeof j->what, "bringing up its loopback");
  return NULL;
}

static bool is_netns_mount(const char *path) {
  /* A name left as a plain file (a crash between create and mount) is not a namespace. */
  struct stat a, b;
  return stat(path, &a) == 0 && stat(NETNS_DIR, &b) == 0 && a.st_dev != b.st_dev;
}

int runtime_netns_create(const char *name, Error *err) {
  netns_dir_setup();
  _cleanup_free_ char *path = xasprintf(NETNS_DIR "/%s", name);
  NetnsJob j = {.path = path, .exists = is_netns_mount(path)};
  if (!j.exists)
    unlink(path); /* a leftover plain file */
  pthread_t t;
  int rc = pthread_create(&t, NULL, netns_thread, &j);
  if (rc != 0)
    return error_set(err, -rc, NULL, "failed to create network namespace %s: %s", name, strerror(rc));
  pthread_join(t, NULL);
  if (j.rc < 0)
    return error_set(err, j.rc, NULL, "failed to create network namespace %s (%s): %s", name, j.what,
                     strerror(-j.rc));
  return 0;
}

int runtime_netns_delete(const char *name) {
  _cleanup_free_ char *path = xasprintf(NETNS_DIR "/%s", name);
  if (access(path, F_OK) != 0)
    return 0;
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
    return -errno;
  if (unlink(path) < 0 && errno != ENOENT)
    return -errno;
  return 0;
}
