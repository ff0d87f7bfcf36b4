/* Host operations of the runtime (see runtime.h): runc commands run through posix_spawn, which is safe from
 * the agent's many threads, overlay mounts with mount(2), cgroup removal, and the killall sweep (network
 * namespaces: netns.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "agent/runtime/cgroup.h"
#include "agent/runtime/runtime.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strv.h"

extern char **environ;

/* Every v1 hierarchy runc creates the container's cgroup in, plus the unified mount of hybrid hosts. */
static const char *const cgroup_roots[] = {
    "/sys/fs/cgroup/cpu",     "/sys/fs/cgroup/cpuacct",     "/sys/fs/cgroup/cpuset",
    "/sys/fs/cgroup/memory",  "/sys/fs/cgroup/devices",     "/sys/fs/cgroup/freezer",
    "/sys/fs/cgroup/blkio",   "/sys/fs/cgroup/pids",        "/sys/fs/cgroup/systemd",
    "/sys/fs/cgroup/unified", "/sys/fs/cgroup/net_cls",     "/sys/fs/cgroup/perf_event",
    "/sys/fs/cgroup/hugetlb", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/net_cls,net_prio",
    "/sys/fs/cgroup", /* the tree itself on unified (v2) hosts */
};

int runtime_config_init(RuntimeConfig *cfg, const char *data_dir, const char *runc, const char *shim_exe,
                        Error *err) {
  *cfg = (RuntimeConfig){0};
  cfg->data_dir = xstrdup(data_dir);
  cfg->runc = xstrdup(runc ? runc : "runc");
  cfg->runc_root = xasprintf("%s/agent/runc", data_dir);
  cfg->pods_dir = xasprintf("%s/agent/pods", data_dir);
  if (shim_exe) {
    cfg->shim_exe = xstrdup(shim_exe);
  } else {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
      return error_set(err, -errno, NULL, "cannot resolve /proc/self/exe: %s", strerror(errno));
    exe[n] = 0;
    /* The small monitor executable next to this one (meson builds both into one directory, `make install`
     * installs both); without it, this binary itself (`coracle agent-shim`). */
    char *slash = strrchr(exe, '/');
    _cleanup_free_ char *small = slash ? xasprintf("%.*s/coracle-shim", (int)(slash - exe), exe) : NULL;
    cfg->shim_exe = xstrdup(small && access(small, X_OK) == 0 ? small : exe);
  }
  if (mkdir_p(cfg->runc_root, 0700) < 0 || mkdir_p(cfg->pods_dir, 0700) < 0)
    return error_set(err, -errno, NULL, "cannot create %s: %s", cfg->pods_dir, strerror(errno));
  return 0;
}

void runtime_config_done(RuntimeConfig *cfg) {
  free(cfg->data_dir);
  free(cfg->runc);
  free(cfg->runc_root);
  free(cfg->pods_dir);
  free(cfg->shim_exe);
  *cfg = (RuntimeConfig){0};
}

int runtime_exec(char *const argv[], char **ret_output) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -errno;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    return -rc;
  }
  _cleanup_buf_ Buf out = BUF_INIT;
  char chunk[4096];
  for (;;) {
    ssize_t n = read(p[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (out.len < 65536)
      buf_append(&out, chunk, (size_t)n);
  }
  close(p[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -errno;
  if (ret_output)
    *ret_output = buf_steal(&out, NULL);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *runtime_runc_version(const RuntimeConfig *cfg) {
  char *argv[] = {cfg->runc, "--version", NULL};
  _cleanup_free_ char *out = NULL;
  if (runtime_exec(argv, &out) != 0 || !out)
    return NULL;
  const char *v = strstr(out, "runc version ");
  if (!v)
    return NULL;
  v += strlen("runc version ");
  return xstrndup(v, strcspn(v, " \n"));
}

char *runtime_pod_dir(const RuntimeConfig *cfg, const char *uid) {
  return xasprintf("%s/%s", cfg->pods_dir, uid);
}

char *runtime_instance_dir(const RuntimeConfig *cfg, const char *uid, const char *container, int instance) {
  return xasprintf("%s/%s/%s/%d", cfg->pods_dir, uid, container, instance);
}

char *runtime_netns_name(const char *uid) {
  return xasprintf(RUNTIME_NETNS_PREFIX "%s", uid);
}

char *runtime_cgroup_path(const char *uid, const char *container) {
  /* The pod's QoS class decides its parent (cgroup.h); the one that exists is the pod's. The last candidate
   * is the layout before QoS classes, for pods started by an older agent. */
  static const char *const classes[] = {"Guaranteed", "Burstable", "BestEffort"};
  const char *probe = runtime_cgroup_unified() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/cpu";
  _cleanup_free_ char *pod = NULL;
  for (size_t i = 0; i < ELEMENTSOF(classes) && !pod; i++) {
    _cleanup_free_ char *name = runtime_pod_cgroup_name(uid, classes[i]),
                        *dir = xasprintf("%s%s", probe, name);
    if (access(dir, F_OK) == 0)
      pod = TAKE_PTR(name);
  }
  if (!pod) {
    _cleanup_free_ char *legacy = xasprintf(RUNTIME_CGROUP_PARENT "/%s", uid),
                        *dir = xasprintf("%s%s", probe, legacy);
    pod = access(dir, F_OK) == 0 ? TAKE_PTR(legacy) : runtime_pod_cgroup_name(uid, "Guaranteed");
  }
  return container ? xasprintf("%s/%s", pod, container) : TAKE_PTR(pod);
}

int runtime_overlay_mount(char *const *lower, const char *upper, const char *work, const char *target,
                          Error *err) {
  if (mkdir_p(upper, 0755) < 0 || mkdir_p(work, 0700) < 0 || mkdir_p(target, 0755) < 0)
    return error_set(err, -errno, NULL, "cannot create the container's directories: %s", strerror(errno));
  _cleanup_buf_ Buf opts = BUF_INIT;
  buf_puts(&opts, "lowerdir=");
  for (size_t i = 0; lower && lower[i]; i++) {
    if (i)
      buf_putc(&opts, ':');
    buf_puts(&opts, lower[i]);
  }
  buf_printf(&opts, ",upperdir=%s,workdir=%s", upper, work);
  if (!lower || !lower[0])
    return error_set(err, -EINVAL, NULL, "the image has no layers");
  if (mount("overlay", target, "overlay", 0, opts.data) < 0)
    return error_set(err, -errno, NULL, "mounting the root filesystem on %s: %s", target, strerror(errno));
  return 0;
}

int runtime_unmount(const char *path) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return -errno;
  return 0;
}

void runtime_cgroup_remove(const char *path) {
  for (size_t i = 0; i < ELEMENTSOF(cgroup_roots); i++) {
    _cleanup_free_ char *p = xasprintf("%s%s", cgroup_roots[i], path);
    /* Children first: a container's cgroup under the pod's. */
    DIR *d = opendir(p);
    if (!d)
      continue;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_type != DT_DIR || e->d_name[0] == '.')
        continue;
      _cleanup_free_ char *c = xasprintf("%s/%s", p, e->d_name);
      rmdir(c);
    }
    closedir(d);
    rmdir(p);
  }
}

int runtime_runc_kill(const RuntimeConfig *cfg, const char *id, int sig) {
  char s[16];
  snprintf(s, sizeof s, "%d", sig);
  char *argv[] = {cfg->runc, "--root", cfg->runc_root, "kill", (char *)id, s, NULL};
  _cleanup_free_ char *out = NULL;
  int rc = runtime_exec(argv, &out);
  if (rc != 0 && out && !strstr(out, "does not exist") && !strstr(out, "not running") &&
      !strstr(out, "process already finished"))
    log_debug("runtime", "runc kill %s %d: %s", id, sig, out);
  return rc == 0 ? 0 : -ESRCH;
}

int runtime_runc_delete(const RuntimeConfig *cfg, const char *id) {
  char *argv[] = {cfg->runc, "--root", cfg->runc_root, "delete", "--force", (char *)id, NULL};
  int rc = runtime_exec(argv, NULL);
  return rc == 0 ? 0 : -ESRCH;
}

/* Mount points under prefix from /proc/self/mountinfo, deepest first. */
static char **mounts_under(const char *prefix) {
  char **l = NULL;
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return NULL;
  char line[8192];
  size_t plen = strlen(prefix);
  while (fgets(line, sizeof line, f)) {
    /* id parent major:minor root mountpoint ... */
    char *p = line;
    for (int i = 0; i < 4 && p; i++) {
      p = strchr(p, ' ');
      if (p)
        p++;
    }
    if (!p)
      continue;
    size_t n = strcspn(p, " ");
    if (n >= plen && strncmp(p, prefix, plen) == 0 && (p[plen] == '/' || p[plen] == ' ')) {
      _cleanup_free_ char *m = xstrndup(p, n);
      strv_push(&l, m);
    }
  }
  /* Deepest (longest) first so that nested mounts go before their parents. */
  size_t len = strv_length(l);
  for (size_t i = 0; i < len; i++)
    for (size_t j = i + 1; j < len; j++)
      if (strlen(l[j]) > strlen(l[i])) {
        char *t = l[i];
        l[i] = l[j];
        l[j] = t;
      }
  return l;
}

int runtime_instance_remove(const RuntimeConfig *cfg, const char *dir) {
  _cleanup_strv_free_ char **m = mounts_under(dir);
  for (char **p = m; p && *p; p++)
    runtime_unmount(*p);
  return rm_rf(dir);
}

static void kill_shim(const char *pid_file, const char *bundle) {
  _cleanup_free_ char *data = NULL;
  if (read_file(pid_file, &data, NULL) < 0)
    return;
  pid_t pid = (pid_t)strtol(data, NULL, 10);
  if (pid <= 1)
    return;
  /* Only our monitor of this bundle: the pid may have been reused since. */
  _cleanup_free_ char *cmdline_path = xasprintf("/proc/%d/cmdline", pid);
  _cleanup_free_ char *cmd = NULL;
  size_t len = 0;
  if (read_file(cmdline_path, &cmd, &len) < 0)
    return;
  for (size_t i = 0; i + 1 < len; i++)
    if (!cmd[i])
      cmd[i] = ' ';
  if (strstr(cmd, "agent-shim") && strstr(cmd, bundle))
    kill(pid, SIGKILL);
}

/* Kills the containers of one pod directory (by their runc ids recorded in instance dirs). */
static int kill_pod_containers(const RuntimeConfig *cfg, const char *pod_dir) {
  int killed = 0;
  DIR *d = opendir(pod_dir);
  if (!d)
    return 0;
  struct dirent *c;
  while ((c = readdir(d))) {
    if (c->d_type != DT_DIR || c->d_name[0] == '.')
      continue;
    _cleanup_free_ char *cdir = xasprintf("%s/%s", pod_dir, c->d_name);
    DIR *d2 = opendir(cdir);
    if (!d2)
      continue;
    struct dirent *i;
    while ((i = readdir(d2))) {
      if (i->d_type != DT_DIR || i->d_name[0] == '.')
        continue;
      _cleanup_free_ char *inst = xasprintf("%s/%s", cdir, i->d_name);
      _cleanup_free_ char *idf = xasprintf("%s/id", inst), *id = NULL;
      if (read_file(idf, &id, NULL) == 0) {
        id[strcspn(id, "\n")] = 0;
        if (runtime_runc_kill(cfg, id, SIGKILL) == 0)
          killed++;
        runtime_runc_delete(cfg, id);
      }
      _cleanup_free_ char *shim = xasprintf("%s/shim.pid", inst);
      kill_shim(shim, inst);
    }
    closedir(d2);
  }
  closedir(d);
  return killed;
}

int runtime_pod_remove(const RuntimeConfig *cfg, const char *uid) {
  _cleanup_free_ char *dir = runtime_pod_dir(cfg, uid);
  kill_pod_containers(cfg, dir);
  _cleanup_strv_free_ char **m = mounts_under(dir);
  for (char **p = m; p && *p; p++)
    runtime_unmount(*p);
  _cleanup_free_ char *cg = runtime_cgroup_path(uid, NULL), *ns = runtime_netns_name(uid);
  runtime_cgroup_remove(cg);
  runtime_cgroup_update_qos();
  runtime_netns_delete(ns);
  return rm_rf(dir);
}

int runtime_killall(const RuntimeConfig *cfg) {
  int killed = 0;
  /* Containers runc knows under our root, even those whose pod directory is gone. */
  DIR *d = opendir(cfg->runc_root);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.')
        continue;
      if (runtime_runc_kill(cfg, e->d_name, SIGKILL) == 0)
        killed++;
    }
    closedir(d);
  }
  d = opendir(cfg->pods_dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.' || e->d_type != DT_DIR)
        continue;
      _cleanup_free_ char *pod = runtime_pod_dir(cfg, e->d_name);
      kill_pod_containers(cfg, pod);
    }
    closedir(d);
  }
  /* A killed container's monitor runs `runc delete` itself; force the rest. */
  d = opendir(cfg->runc_root);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] != '.')
        runtime_runc_delete(cfg, e->d_name);
    }
    closedir(d);
  }
  d = opendir(cfg->pods_dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.' || e->d_type != DT_DIR)
        continue;
      _cleanup_free_ char *uid = xstrdup(e->d_name);
      runtime_pod_remove(cfg, uid);
    }
    closedir(d);
  }
  return killed;
}
