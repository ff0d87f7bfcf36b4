/* config.json generation (see spec.h). The defaults follow what containerd's CRI plugin gives a Kubernetes
 * container: its capability set, masked and read-only paths, /dev, /dev/shm, /dev/mqueue, /sys read-only
 * and a cgroup mount; no rlimits (runc fails with limits above the caller's hard ones on hosts missing
 * CAP_SYS_RESOURCE) and no oomScoreAdj (lowering it needs that capability too). */
#include <errno.h>

#include "agent/runtime/spec.h"
#include "agent/runtime/security.h"
#include "api/jsonutil.h"
#include "api/quantity.h"
#include "base/buf.h"
#include "base/strv.h"

static const char *const masked_paths[] = {
    "/proc/acpi",       "/proc/asound",      "/proc/kcore",       "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- environment ---- */

/* The value of NAME in an array of "K=V", or NULL. */
static const char *env_lookup(json_t *env, const char *name, size_t name_len) {
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s && strncmp(s, name, name_len) == 0 && s[name_len] == '=')
      return s + name_len + 1;
  }
  return NULL;
}

char *runtime_expand_vars(const char *s, json_t *env) {
  _cleanup_buf_ Buf b = BUF_INIT;
  if (!s)
    return xstrdup("");
  for (const char *p = s; *p;) {
    if (p[0] == '$' && p[1] == '$') { /* $$ escapes a literal $ */
      buf_putc(&b, '$');
      p += 2;
    } else if (p[0] == '$' && p[1] == '(') {
      const char *close = strchr(p + 2, ')');
      if (!close) {
        buf_puts(&b, p);
        break;
      }
      const char *val = env ? env_lookup(env, p + 2, (size_t)(close - (p + 2))) : NULL;
      if (val)
        buf_puts(&b, val);
      else
        buf_append(&b, p, (size_t)(close + 1 - p)); /* undefined references stay as written */
      p = close + 1;
    } else {
      buf_putc(&b, *p++);
    }
  }
  return buf_steal(&b, NULL);
}

/* Sets K=V in env, replacing an existing K in place (so that order stays the image's). */
static void env_set(json_t *env, const char *name, const char *value) {
  size_t n = strlen(name), i;
  json_t *v;
  _cleanup_free_ char *kv = xasprintf("%s=%s", name, value ? value : "");
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s && strncmp(s, name, n) == 0 && (s[n] == '=' || s[n] == 0)) {
      json_array_set_new(env, i, json_string(kv));
      return;
    }
  }
  json_array_append_new(env, json_string(kv));
}

json_t *runtime_spec_env(json_t *container, json_t *image_config, json_t *resolved, const char *hostname) {
  json_t *env = json_array();
  size_t i;
  json_t *v;
  bool has_path = false;
  json_array_foreach(json_object_get(image_config, "Env"), i, v) {
    const char *s = json_string_value(v);
    if (!s || !strchr(s, '='))
      continue;
    if (startswith(s, "PATH="))
      has_path = true;
    _cleanup_free_ char *name = xstrndup(s, (size_t)(strchr(s, '=') - s));
    env_set(env, name, strchr(s, '=') + 1);
  }
  if (!has_path)
    json_array_insert_new(env, 0, json_string(DEFAULT_PATH));
  if (hostname)
    env_set(env, "HOSTNAME", hostname);
  json_array_foreach(json_object_get(container, "env"), i, v) {
    const char *name = jstr(v, "name");
    if (isempty(name))
      continue;
    if (json_object_get(v, "valueFrom")) {
      const char *r = jstr(resolved, name);
      if (r)
        env_set(env, name, r);
      continue;
    }
    _cleanup_free_ char *val = runtime_expand_vars(jstr(v, "value"), env);
    env_set(env, name, val);
  }
  return env;
}

json_t *runtime_spec_args(json_t *container, json_t *image_config, json_t *env) {
  json_t *command = json_object_get(container, "command"), *args = json_object_get(container, "args");
  bool has_cmd = json_array_size(command) > 0, has_args = json_array_size(args) > 0;
  json_t *out = json_array();
  size_t i;
  json_t *v;
  if (has_cmd) {
    json_array_foreach(command, i, v) {
      char *e = runtime_expand_vars(json_string_value(v), env);
      json_array_append_new(out, json_string(e));
      free(e);
    }
  } else {
    json_array_foreach(json_object_get(image_config, "Entrypoint"), i, v) {
      if (json_is_string(v))
        json_array_append(out, v);
    }
  }
  if (has_args) {
    json_array_foreach(args, i, v) {
      char *e = runtime_expand_vars(json_string_value(v), env);
      json_array_append_new(out, json_string(e));
      free(e);
    }
  } else if (!has_cmd) { /* a command given alone drops the image's CMD */
    json_array_foreach(json_object_get(image_config, "Cmd"), i, v) {
      if (json_is_string(v))
        json_array_append(out, v);
    }
  }
  return out;
}

/* ---- resources ---- */

static int64_t resource_value(json_t *container, const char *which, const char *res, bool milli) {
  json_t *q = jpath(jpath(json_object_get(container, "resources"), which), res);
  Quantity qq;
  if (!q || quantity_from_json(q, &qq, NULL) < 0)
    return 0;
  return milli ? quantity_milli_value(&qq) : quantity_value(&qq);
}

int64_t runtime_resource_milli_cpu(json_t *container, bool limit) {
  int64_t l = resource_value(container, "limits", "cpu", true);
  if (limit)
    return l;
  int64_t r = resource_value(container, "requests", "cpu", true);
  return r ? r : l;
}

int64_t runtime_resource_memory(json_t *container, bool limit) {
  int64_t l = resource_value(container, "limits", "memory", false);
  if (limit)
    return l;
  int64_t r = resource_value(container, "requests", "memory", false);
  return r ? r : l;
}

uint64_t runtime_cpu_shares(int64_t request_milli) {
  if (request_milli <= 0)
    return RUNTIME_MIN_SHARES;
  uint64_t shares = (uint64_t)request_milli * 1024 / 1000;
  if (shares < RUNTIME_MIN_SHARES)
    return RUNTIME_MIN_SHARES;
  return shares > RUNTIME_MAX_SHARES ? RUNTIME_MAX_SHARES : shares;
}

int64_t runtime_cpu_quota(int64_t limit_milli, uint64_t period_usec) {
  if (limit_milli <= 0)
    return -1;
  int64_t quota = limit_milli * (int64_t)period_usec / 1000;
  return quota < RUNTIME_MIN_QUOTA_USEC ? RUNTIME_MIN_QUOTA_USEC : quota;
}

/* ---- user ---- */

/* Looks NAME up in a passwd- or group-style file (name:x:id:...); the id, or -ENOENT. */
static int64_t lookup_id(const char *path, const char *name, int64_t *ret_gid) {
  _cleanup_free_ char *data = NULL;
  if (!path || read_file(path, &data, NULL) < 0)
    return -ENOENT;
  size_t n = strlen(name);
  for (char *line = data; line && *line;) {
    char *next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    if (strncmp(line, name, n) == 0 && line[n] == ':') {
      char *f = strchr(line + n + 1, ':'); /* past the password field */
      if (f) {
        int64_t id = strtoll(f + 1, NULL, 10);
        char *g = strchr(f + 1, ':');
        if (ret_gid && g)
          *ret_gid = strtoll(g + 1, NULL, 10);
        return id;
      }
    }
    line = next;
  }
  return -ENOENT;
}

static bool all_digits(const char *s) {
  if (isempty(s))
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

/* The name of the passwd entry with uid, or NULL (for its supplementary groups); *ret_gid its group. */
static char *lookup_uid(const char *path, int64_t uid, int64_t *ret_gid) {
  _cleanup_free_ char *data = NULL;
  if (!path || read_file(path, &data, NULL) < 0)
    return NULL;
  for (char *line = data; line && *line;) {
    char *next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    _cleanup_strv_free_ char **f = strv_split(line, ':');
    if (strv_length(f) >= 4 && all_digits(f[2]) && strtoll(f[2], NULL, 10) == uid) {
      if (ret_gid)
        *ret_gid = strtoll(f[3], NULL, 10);
      return xstrdup(f[0]);
    }
    line = next;
  }
  return NULL;
}

/* The user as containerd resolves it: runAsUser (pod or container) replaces the image's user and takes its
 * group from /etc/passwd (0 when absent); runAsGroup replaces the group; a numeric image user without a
 * group also takes it from /etc/passwd. *ret_name is the passwd name (for /etc/group), may be NULL. */
static int resolve_user(const RuntimeSpecInput *in, int64_t *ret_uid, int64_t *ret_gid, char **ret_name,
                        Error *err) {
  int64_t uid = 0, gid = 0;
  _cleanup_free_ char *name = NULL;
  json_t *pod_sc = in->pod_security_context, *sc = json_object_get(in->container, "securityContext");
  json_t *run_uid = runtime_sc_field(pod_sc, sc, "runAsUser"),
         *run_gid = runtime_sc_field(pod_sc, sc, "runAsGroup");
  const char *user = jstr(in->image_config, "User");
  if (json_is_integer(run_uid)) {
    uid = json_integer_value(run_uid);
    name = lookup_uid(in->passwd_path, uid, &gid);
  } else if (!isempty(user)) {
    _cleanup_free_ char *u = xstrdup(user);
    char *group = strchr(u, ':');
    if (group)
      *group++ = 0;
    if (all_digits(u)) {
      uid = strtoll(u, NULL, 10);
      name = lookup_uid(in->passwd_path, uid, &gid);
    } else if (!isempty(u)) {
      int64_t g = 0;
      uid = lookup_id(in->passwd_path, u, &g);
      if (uid < 0)
        return error_set(err, -EINVAL, NULL, "unable to find user %s: no matching entries in passwd file", u);
      gid = g;
      name = xstrdup(u);
    }
    if (group && all_digits(group))
      gid = strtoll(group, NULL, 10);
    else if (!isempty(group)) {
      gid = lookup_id(in->group_path, group, NULL);
      if (gid < 0)
        return error_set(err, -EINVAL, NULL, "unable to find group %s: no matching entries in group file",
                         group);
    }
  } else {
    name = lookup_uid(in->passwd_path, 0, &gid);
  }
  if (json_is_integer(run_gid))
    gid = json_integer_value(run_gid);
  *ret_uid = uid;
  *ret_gid = gid;
  *ret_name = TAKE_PTR(name);
  return 0;
}

/* ---- the whole config ---- */

static json_t *strings(const char *const *l, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_string(l[i]));
  return a;
}

static json_t *mount(const char *dest, const char *type, const char *source, const char *opts) {
  json_t *o = json_pack("{s:s,s:s,s:s}", "destination", dest, "type", type, "source", source);
  json_t *a = json_array();
  _cleanup_strv_free_ char **l = strv_split(opts, ',');
  for (char **p = l; p && *p; p++)
    json_array_append_new(a, json_string(*p));
  json_object_set_new(o, "options", a);
  return o;
}

int runtime_spec_build(const RuntimeSpecInput *in, json_t **ret, Error *err) {
  json_t *c = in->container;
  _cleanup_json_ json_t *env =
      runtime_spec_env(in->final_env ? NULL : c, in->image_config, in->resolved_env, in->hostname);
  size_t fi;
  json_t *fv;
  json_array_foreach(in->final_env, fi, fv) {
    if (!isempty(jstr(fv, "name")))
      env_set(env, jstr(fv, "name"), jstr(fv, "value"));
  }
  _cleanup_json_ json_t *args = runtime_spec_args(c, in->image_config, env);
  if (json_array_size(args) == 0)
    return error_set(err, -EINVAL, NULL, "failed to generate container spec: no command specified");
  int64_t uid = 0, gid = 0;
  _cleanup_free_ char *user_name = NULL;
  int rc = resolve_user(in, &uid, &gid, &user_name, err);
  if (rc < 0)
    return rc;
  const char *cwd = jstr(c, "workingDir");
  if (isempty(cwd))
    cwd = jstr(in->image_config, "WorkingDir");
  if (isempty(cwd))
    cwd = "/";
  json_t *sc = json_object_get(c, "securityContext"), *pod_sc = in->pod_security_context;
  bool privileged = json_is_true(json_object_get(sc, "privileged"));
  /* Kubernetes sets no_new_privs only when allowPrivilegeEscalation is false; unset means allowed. */
  bool no_new_privs = json_is_false(json_object_get(sc, "allowPrivilegeEscalation"));
  bool unmasked = streq_ptr(jstr(sc, "procMount"), "Unmasked");
  json_t *caps = runtime_capabilities(
      sc, privileged, in->host_cap_bounding ? in->host_cap_bounding : runtime_host_cap_bounding());
  bool sys_admin = false;
  size_t ci;
  json_t *cv;
  json_array_foreach(json_object_get(caps, "bounding"), ci, cv) sys_admin =
      sys_admin || streq(json_string_value(cv), "CAP_SYS_ADMIN");
  json_t *seccomp = NULL;
  rc = runtime_seccomp(pod_sc, sc, privileged, sys_admin, in->seccomp_root, &seccomp, err);
  if (rc < 0) {
    json_decref(caps);
    return rc;
  }

  json_t *process = json_pack("{s:b,s:{s:I,s:I,s:o},s:O,s:O,s:s,s:o,s:b}", "terminal", 0, "user", "uid",
                              (json_int_t)uid, "gid", (json_int_t)gid, "additionalGids",
                              runtime_additional_gids(pod_sc, gid, user_name, in->group_path), "args", args,
                              "env", env, "cwd", cwd, "capabilities", caps, "noNewPrivileges", no_new_privs);

  json_t *mounts = json_array();
  json_array_append_new(mounts, mount("/proc", "proc", "proc", "nosuid,noexec,nodev"));
  json_array_append_new(mounts, mount("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
  json_array_append_new(mounts, mount("/dev/pts", "devpts", "devpts",
                                      "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
  json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
  json_array_append_new(
      mounts, mount("/sys", "sysfs", "sysfs", privileged ? "nosuid,noexec,nodev" : "nosuid,noexec,nodev,ro"));
  json_array_append_new(
      mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup",
                    privileged ? "nosuid,noexec,nodev,relatime" : "nosuid,noexec,nodev,relatime,ro"));
  json_array_append_new(mounts,
                        mount("/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"));
  for (size_t i = 0; i < in->n_mounts; i++)
    json_array_append_new(mounts, mount(in->mounts[i].destination, "bind", in->mounts[i].source,
                                        in->mounts[i].read_only ? "rbind,rprivate,ro" : "rbind,rprivate,rw"));

  json_t *namespaces = json_pack("[{s:s},{s:s},{s:s}]", "type", "pid", "type", "ipc", "type", "mount");
  if (!in->host_network) { /* hostNetwork pods share the node's network and, as in Kubernetes, its hostname */
    json_array_append_new(namespaces, json_pack("{s:s}", "type", "uts"));
    json_t *net = json_pack("{s:s}", "type", "network");
    if (in->netns_path)
      json_object_set_new(net, "path", json_string(in->netns_path));
    json_array_append_new(namespaces, net);
  }

  json_t *cpu =
      json_pack("{s:I}", "shares", (json_int_t)runtime_cpu_shares(runtime_resource_milli_cpu(c, false)));
  int64_t quota = runtime_cpu_quota(runtime_resource_milli_cpu(c, true), RUNTIME_CPU_PERIOD_USEC);
  if (quota > 0) {
    json_object_set_new(cpu, "quota", json_integer(quota));
    json_object_set_new(cpu, "period", json_integer(RUNTIME_CPU_PERIOD_USEC));
  }
  /* Every device is denied but runc's defaults (null, zero, tty...); privileged allows all of the host's. */
  json_t *resources =
      json_pack("{s:[{s:b,s:s}],s:o}", "devices", "allow", privileged, "access", "rwm", "cpu", cpu);
  int64_t mem = runtime_resource_memory(c, true);
  if (mem > 0)
    json_object_set_new(resources, "memory", json_pack("{s:I}", "limit", (json_int_t)mem));

  json_t *linux_ = json_pack("{s:o,s:s,s:o}", "namespaces", namespaces, "cgroupsPath", in->cgroups_path,
                             "resources", resources);
  if (!privileged && !unmasked) { /* procMount: Unmasked drops them as privileged does */
    json_object_set_new(linux_, "maskedPaths", strings(masked_paths, ELEMENTSOF(masked_paths)));
    json_object_set_new(linux_, "readonlyPaths", strings(readonly_paths, ELEMENTSOF(readonly_paths)));
  }
  if (privileged)
    json_object_set_new(linux_, "devices", runtime_host_devices(in->dev_dir));
  json_t *sysctl = runtime_sysctls(pod_sc);
  if (sysctl)
    json_object_set_new(linux_, "sysctl", sysctl);
  if (seccomp)
    json_object_set_new(linux_, "seccomp", seccomp);
  bool ro_root = json_is_true(json_object_get(sc, "readOnlyRootFilesystem"));
  *ret = json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o,s:o}", "ociVersion", "1.0.2", "process", process, "root",
                   "path", in->rootfs, "readonly", ro_root, "hostname",
                   in->hostname && !in->host_network ? in->hostname : "", "mounts", mounts, "linux", linux_);
  return 0;
}
