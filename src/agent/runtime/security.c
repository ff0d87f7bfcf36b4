/* securityContext → OCI settings (see security.h). */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "agent/runtime/security.h"
#include "api/jsonutil.h"
#include "base/buf.h"
#include "base/strv.h"

/* Capability names by number (linux/capability.h); runc ignores the ones it does not know. */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

/* containerd's default set for a non-privileged container. */
static const char *const default_caps[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

/* Kubernetes' safe sysctls (namespaced and allowed without --allowed-unsafe-sysctls), as of v1.32. */
static const char *const safe_sysctls[] = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
};

json_t *runtime_sc_field(json_t *pod_sc, json_t *ctr_sc, const char *field) {
  json_t *v = json_object_get(ctr_sc, field);
  if (v && !json_is_null(v))
    return v;
  v = json_object_get(pod_sc, field);
  return v && !json_is_null(v) ? v : NULL;
}

/* ---- checks ---- */

static bool all_digits(const char *s, size_t n) {
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

static char *sysctl_dots(const char *name) {
  /* The kubelet accepts "net/ipv4/..." and uses dots (a name with both keeps its dots as slashes). */
  char *s = xstrdup(name);
  if (strchr(s, '/'))
    for (char *p = s; *p; p++)
      *p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
  return s;
}

bool runtime_sysctl_is_safe(const char *name) {
  _cleanup_free_ char *n = sysctl_dots(name);
  for (size_t i = 0; i < ELEMENTSOF(safe_sysctls); i++)
    if (streq(n, safe_sysctls[i]))
      return true;
  return false;
}

json_t *runtime_sysctls(json_t *pod_sc) {
  json_t *list = json_object_get(pod_sc, "sysctls");
  if (json_array_size(list) == 0)
    return NULL;
  json_t *o = json_object();
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    const char *name = jstr(v, "name");
    if (isempty(name))
      continue;
    _cleanup_free_ char *n = sysctl_dots(name);
    json_object_set_new(o, n, json_string(jstr(v, "value") ?: ""));
  }
  return o;
}

int runtime_security_check(json_t *pod, json_t *ctr, json_t *image_config, Error *err) {
  json_t *pod_sc = jpath(pod, "spec.securityContext"), *ctr_sc = json_object_get(ctr, "securityContext");
  _cleanup_free_ char *who =
      xasprintf("%s_%s(%s)", jstr(pod, "metadata.name") ?: "", jstr(pod, "metadata.namespace") ?: "",
                jstr(pod, "metadata.uid") ?: "");
  const char *cname = jstr(ctr, "name") ?: "";
  if (json_is_true(runtime_sc_field(pod_sc, ctr_sc, "runAsNonRoot"))) {
    json_t *ru = runtime_sc_field(pod_sc, ctr_sc, "runAsUser");
    if (json_is_integer(ru)) {
      if (json_integer_value(ru) == 0)
        return error_set(err, -EPERM, NULL,
                         "container's runAsUser breaks non-root policy (pod: \"%s\", container: %s)", who,
                         cname);
    } else {
      /* Only the image config's user counts (no /etc/passwd lookup): an empty one is root. */
      const char *user = jstr(image_config, "User") ?: "";
      size_t ulen = strcspn(user, ":");
      if (ulen > 0 && !all_digits(user, ulen))
        return error_set(err, -EPERM, NULL,
                         "container has runAsNonRoot and image has non-numeric user (%.*s), cannot verify "
                         "user is non-root (pod: \"%s\", container: %s)",
                         (int)ulen, user, who, cname);
      if (ulen == 0 || strtoll(user, NULL, 10) == 0)
        return error_set(err, -EPERM, NULL,
                         "container has runAsNonRoot and image will run as root (pod: \"%s\", container: %s)",
                         who, cname);
    }
  }
  size_t i;
  json_t *v;
  bool host_net = json_is_true(jpath(pod, "spec.hostNetwork")),
       host_ipc = json_is_true(jpath(pod, "spec.hostIPC"));
  json_array_foreach(json_object_get(pod_sc, "sysctls"), i, v) {
    const char *name = jstr(v, "name") ?: "";
    _cleanup_free_ char *n = sysctl_dots(name);
    /* The kubelet refuses such pods at admission (SysctlForbidden); here the container is refused. */
    if (!runtime_sysctl_is_safe(n))
      return error_set(err, -EPERM, NULL, "forbidden sysctl: \"%s\" not allowlisted", name);
    if (host_net && startswith(n, "net."))
      return error_set(err, -EPERM, NULL, "forbidden sysctl: \"%s\" not allowed with host net enabled", name);
    if (host_ipc && startswith(n, "kernel.shm"))
      return error_set(err, -EPERM, NULL, "forbidden sysctl: \"%s\" not allowed with host ipc enabled", name);
  }
  return 0;
}

/* ---- capabilities ---- */

static int cap_index(const char *name) {
  if (!name)
    return -1;
  if (strncasecmp(name, "CAP_", 4) == 0)
    name += 4;
  for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
    if (strcasecmp(name, cap_names[i]) == 0)
      return (int)i;
  return -1;
}

uint64_t runtime_host_cap_bounding(void) {
  _cleanup_free_ char *status = NULL;
  if (read_file("/proc/self/status", &status, NULL) < 0)
    return 0;
  const char *p = strstr(status, "\nCapBnd:");
  return p ? strtoull(p + 8, NULL, 16) : 0;
}

json_t *runtime_capabilities(json_t *ctr_sc, bool privileged, uint64_t host_bounding) {
  uint64_t all = 0;
  for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
    if (!host_bounding || (host_bounding & (1ull << i)))
      all |= 1ull << i;
  uint64_t set = 0;
  for (size_t i = 0; i < ELEMENTSOF(default_caps); i++)
    set |= 1ull << cap_index(default_caps[i]);
  json_t *caps = json_object_get(ctr_sc, "capabilities");
  json_t *add = json_object_get(caps, "add"), *drop = json_object_get(caps, "drop");
  /* Names the user gave that are not capabilities go through as written: runc reports (or ignores) them. */
  _cleanup_strv_free_ char **unknown = NULL;
  size_t i;
  json_t *v;
  if (privileged)
    set = all;
  json_array_foreach(add, i, v) if (strcasecmp(json_string_value(v) ?: "", "ALL") == 0) set = all;
  json_array_foreach(drop, i, v) if (strcasecmp(json_string_value(v) ?: "", "ALL") == 0) set = 0;
  if (privileged) /* a privileged container keeps every capability whatever it drops */
    set = all;
  else {
    json_array_foreach(add, i, v) {
      const char *n = json_string_value(v);
      int c = cap_index(n);
      if (c >= 0)
        set |= 1ull << c;
      else if (n && strcasecmp(n, "ALL") != 0) {
        _cleanup_free_ char *u = startswith(n, "CAP_") ? xstrdup(n) : xasprintf("CAP_%s", n);
        if (!strv_contains(unknown, u))
          strv_push(&unknown, u);
      }
    }
    json_array_foreach(drop, i, v) {
      int c = cap_index(json_string_value(v));
      if (c >= 0)
        set &= ~(1ull << c);
    }
  }
  json_t *list = json_array();
  for (size_t c = 0; c < ELEMENTSOF(cap_names); c++)
    if (set & (1ull << c)) {
      _cleanup_free_ char *n = xasprintf("CAP_%s", cap_names[c]);
      json_array_append_new(list, json_string(n));
    }
  for (char **p = unknown; p && *p; p++)
    json_array_append_new(list, json_string(*p));
  json_t *o = json_pack("{s:O,s:O,s:o}", "bounding", list, "effective", list, "permitted", list);
  if (!o)
    oom();
  return o;
}

/* ---- groups ---- */

static void gid_add(json_t *a, int64_t gid) {
  size_t i;
  json_t *v;
  if (gid < 0)
    return;
  json_array_foreach(a, i, v) if (json_integer_value(v) == gid) return;
  json_array_append_new(a, json_integer(gid));
}

json_t *runtime_additional_gids(json_t *pod_sc, int64_t gid, const char *user_name, const char *group_path) {
  json_t *a = json_array();
  gid_add(a, gid);
  _cleanup_free_ char *data = NULL;
  if (!isempty(user_name) && group_path && read_file(group_path, &data, NULL) == 0) {
    /* name:x:gid:member,member */
    for (char *line = data; line && *line;) {
      char *next = strchr(line, '\n');
      if (next)
        *next++ = 0;
      _cleanup_strv_free_ char **f = strv_split(line, ':');
      if (strv_length(f) >= 4 && !streq(f[0], user_name)) {
        _cleanup_strv_free_ char **members = strv_split(f[3], ',');
        if (strv_contains(members, user_name))
          gid_add(a, strtoll(f[2], NULL, 10));
      }
      line = next;
    }
  }
  json_t *fs = json_object_get(pod_sc, "fsGroup");
  if (json_is_integer(fs))
    gid_add(a, json_integer_value(fs));
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(pod_sc, "supplementalGroups"), i, v) {
    if (json_is_integer(v))
      gid_add(a, json_integer_value(v));
  }
  return a;
}

/* ---- seccomp ---- */

static const char *const denied_syscalls[] = {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "get_kernel_syms",
    "init_module",
    "ioperm",
    "iopl",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "nfsservctl",
    "open_by_handle_at",
    "perf_event_open",
    "query_module",
    "quotactl",
    "reboot",
    "request_key",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "_sysctl",
    "sysfs",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
};
/* Also denied unless the container keeps CAP_SYS_ADMIN (as Docker's profile does). */
static const char *const sys_admin_syscalls[] = {
    "mount", "umount", "umount2", "pivot_root", "unshare",
    "setns", "fsopen", "fsmount", "move_mount", "open_tree",
};

json_t *runtime_seccomp_default(bool sys_admin) {
  json_t *names = json_array();
  for (size_t i = 0; i < ELEMENTSOF(denied_syscalls); i++)
    json_array_append_new(names, json_string(denied_syscalls[i]));
  if (!sys_admin)
    for (size_t i = 0; i < ELEMENTSOF(sys_admin_syscalls); i++)
      json_array_append_new(names, json_string(sys_admin_syscalls[i]));
  json_t *o = json_pack("{s:s,s:[s,s,s],s:[{s:o,s:s,s:i}]}", "defaultAction", "SCMP_ACT_ALLOW",
                        "architectures", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls",
                        "names", names, "action", "SCMP_ACT_ERRNO", "errnoRet", EPERM);
  if (!o)
    oom();
  return o;
}

/* The OCI-compatible part of a profile file (Docker's format is a superset: names or name). */
static int seccomp_from_file(const char *path, json_t **ret, Error *err) {
  _cleanup_free_ char *data = NULL;
  int rc = read_file(path, &data, NULL);
  if (rc < 0)
    return error_set(err, -EINVAL, NULL,
                     "failed to generate seccomp spec opts: cannot load seccomp profile \"%s\": %s", path,
                     strerror(-rc));
  json_error_t je;
  _cleanup_json_ json_t *p = json_loads(data, 0, &je);
  if (!json_is_object(p) || !jstr(p, "defaultAction"))
    return error_set(err, -EINVAL, NULL,
                     "failed to generate seccomp spec opts: decoding seccomp profile \"%s\" failed: %s", path,
                     p ? "no defaultAction" : je.text);
  json_t *o = json_object();
  static const char *const keys[] = {"defaultAction", "defaultErrnoRet", "architectures",
                                     "flags",         "listenerPath",    "listenerMetadata"};
  for (size_t i = 0; i < ELEMENTSOF(keys); i++)
    if (json_object_get(p, keys[i]))
      json_object_set(o, keys[i], json_object_get(p, keys[i]));
  json_t *calls = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(p, "syscalls"), i, v) {
    json_t *s = json_object();
    json_t *names = json_object_get(v, "names");
    if (names)
      json_object_set(s, "names", names);
    else if (jstr(v, "name"))
      json_object_set_new(s, "names", json_pack("[s]", jstr(v, "name")));
    static const char *const skeys[] = {"action", "errnoRet", "args"};
    for (size_t k = 0; k < ELEMENTSOF(skeys); k++)
      if (json_object_get(v, skeys[k]))
        json_object_set(s, skeys[k], json_object_get(v, skeys[k]));
    json_array_append_new(calls, s);
  }
  json_object_set_new(o, "syscalls", calls);
  *ret = o;
  return 0;
}

int runtime_seccomp(json_t *pod_sc, json_t *ctr_sc, bool privileged, bool sys_admin, const char *root,
                    json_t **ret, Error *err) {
  *ret = NULL;
  json_t *prof = runtime_sc_field(pod_sc, ctr_sc, "seccompProfile");
  const char *type = jstr(prof, "type");
  if (privileged || !prof || isempty(type) || streq(type, "Unconfined"))
    return 0;
  if (streq(type, "RuntimeDefault")) {
    *ret = runtime_seccomp_default(sys_admin);
    return 0;
  }
  if (!streq(type, "Localhost"))
    return error_set(err, -EINVAL, NULL, "failed to generate seccomp spec opts: unsupported seccomp type %s",
                     type);
  const char *rel = jstr(prof, "localhostProfile");
  if (isempty(rel) || rel[0] == '/' || streq(rel, "..") || startswith(rel, "../") || strstr(rel, "/../") ||
      endswith(rel, "/.."))
    return error_set(err, -EINVAL, NULL,
                     "failed to generate seccomp spec opts: invalid localhostProfile \"%s\"", rel ?: "");
  _cleanup_free_ char *path = xasprintf("%s/%s", root ? root : RUNTIME_SECCOMP_ROOT, rel);
  return seccomp_from_file(path, ret, err);
}

/* ---- devices ---- */

static void devices_walk(const char *dir, json_t *out, int depth) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    if (streq(n, ".") || streq(n, ".."))
      continue;
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, n);
    struct stat st;
    if (lstat(p, &st) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      if (depth == 0 && (streq(n, "pts") || streq(n, "shm") || streq(n, "fd") || streq(n, "mqueue") ||
                         streq(n, ".lxc") || streq(n, ".lxd-mounts") || streq(n, ".udev")))
        continue;
      if (depth < 8)
        devices_walk(p, out, depth + 1);
      continue;
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      continue;
    if (depth == 0 && streq(n, "console"))
      continue;
    json_array_append_new(
        out, json_pack("{s:s,s:s,s:I,s:I,s:i,s:i,s:i}", "path", p, "type", S_ISCHR(st.st_mode) ? "c" : "b",
                       "major", (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev),
                       "fileMode", (int)(st.st_mode & 07777), "uid", (int)st.st_uid, "gid", (int)st.st_gid));
  }
  closedir(d);
}

json_t *runtime_host_devices(const char *dev_dir) {
  json_t *out = json_array();
  const char *root = dev_dir ? dev_dir : "/dev";
  devices_walk(root, out, 0);
  /* The paths inside the container are under /dev whatever directory was read. */
  size_t i;
  json_t *v;
  size_t rl = strlen(root);
  json_array_foreach(out, i, v) {
    _cleanup_free_ char *in = xasprintf("/dev%s", jstr(v, "path") + rl);
    json_object_set_new(v, "path", json_string(in));
  }
  return out;
}
