/* Pod-level cgroups per QoS class (see cgroup.h). */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "agent/runtime/cgroup.h"
#include "agent/runtime/spec.h"
#include "api/jsonutil.h"
#include "api/quantity.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static int64_t overhead(json_t *pod, const char *res, bool milli) {
  json_t *q = jpath(jpath(pod, "spec.overhead"), res);
  Quantity qq;
  if (!q || quantity_from_json(q, &qq, NULL) < 0)
    return 0;
  return milli ? quantity_milli_value(&qq) : quantity_value(&qq);
}

void runtime_pod_resources(json_t *pod, const char *qos, int64_t pod_max_pids, RuntimePodResources *ret) {
  int64_t req_cpu = 0, lim_cpu = 0, lim_mem = 0;
  bool cpu_limited = true, mem_limited = true;
  size_t i;
  json_t *c;
  json_array_foreach(jpath(pod, "spec.containers"), i, c) {
    req_cpu += runtime_resource_milli_cpu(c, false);
    int64_t l = runtime_resource_milli_cpu(c, true), m = runtime_resource_memory(c, true);
    cpu_limited = cpu_limited && l > 0;
    mem_limited = mem_limited && m > 0;
    lim_cpu += l;
    lim_mem += m;
  }
  if (json_array_size(jpath(pod, "spec.containers")) == 0)
    cpu_limited = mem_limited = false;
  /* Init containers run one at a time: the pod needs the most any one of them asks for. */
  json_array_foreach(jpath(pod, "spec.initContainers"), i, c) {
    req_cpu = MAX(req_cpu, runtime_resource_milli_cpu(c, false));
    lim_cpu = MAX(lim_cpu, runtime_resource_milli_cpu(c, true));
    lim_mem = MAX(lim_mem, runtime_resource_memory(c, true));
  }
  req_cpu += overhead(pod, "cpu", true);
  lim_cpu += overhead(pod, "cpu", true);
  lim_mem += overhead(pod, "memory", false);
  *ret = (RuntimePodResources){.cpu_shares = RUNTIME_MIN_SHARES, .cpu_quota = -1};
  if (!streq_ptr(qos, "BestEffort")) {
    ret->cpu_shares = runtime_cpu_shares(req_cpu);
    if (cpu_limited)
      ret->cpu_quota = runtime_cpu_quota(lim_cpu, RUNTIME_CPU_PERIOD_USEC);
    if (mem_limited)
      ret->memory_limit = lim_mem;
  }
  ret->pids_limit = pod_max_pids > 0 ? pod_max_pids : 0;
}

char *runtime_pod_cgroup_name(const char *uid, const char *qos) {
  if (streq_ptr(qos, "Burstable"))
    return xasprintf(RUNTIME_CGROUP_BURSTABLE "/pod%s", uid);
  if (streq_ptr(qos, "BestEffort"))
    return xasprintf(RUNTIME_CGROUP_BESTEFFORT "/pod%s", uid);
  return xasprintf(RUNTIME_CGROUP_PARENT "/pod%s", uid);
}

uint64_t runtime_cgroup_shares_to_weight(uint64_t shares) {
  if (shares < RUNTIME_MIN_SHARES)
    shares = RUNTIME_MIN_SHARES;
  if (shares > RUNTIME_MAX_SHARES)
    shares = RUNTIME_MAX_SHARES;
  return 1 + ((shares - 2) * 9999) / 262142;
}

static void put(RuntimeCgroupWrite *out, size_t *n, const char *ctrl, const char *file, const char *fmt, ...)
    _printf_(5, 6);
static void put(RuntimeCgroupWrite *out, size_t *n, const char *ctrl, const char *file, const char *fmt,
                ...) {
  va_list ap;
  va_start(ap, fmt);
  out[*n].controller = ctrl;
  out[*n].file = file;
  vsnprintf(out[*n].value, sizeof out[*n].value, fmt, ap);
  va_end(ap);
  (*n)++;
}

size_t runtime_cgroup_writes(const RuntimePodResources *r, bool v2,
                             RuntimeCgroupWrite out[static RUNTIME_CGROUP_MAX_WRITES]) {
  size_t n = 0;
  if (v2) {
    put(out, &n, NULL, "cpu.weight", "%llu",
        (unsigned long long)runtime_cgroup_shares_to_weight(r->cpu_shares));
    if (r->cpu_quota > 0)
      put(out, &n, NULL, "cpu.max", "%lld %d", (long long)r->cpu_quota, RUNTIME_CPU_PERIOD_USEC);
    else
      put(out, &n, NULL, "cpu.max", "max %d", RUNTIME_CPU_PERIOD_USEC);
    if (r->memory_limit > 0)
      put(out, &n, NULL, "memory.max", "%lld", (long long)r->memory_limit);
    else
      put(out, &n, NULL, "memory.max", "max");
    if (r->pids_limit > 0)
      put(out, &n, NULL, "pids.max", "%lld", (long long)r->pids_limit);
    else
      put(out, &n, NULL, "pids.max", "max");
    return n;
  }
  put(out, &n, "cpu", "cpu.shares", "%llu", (unsigned long long)r->cpu_shares);
  put(out, &n, "cpu", "cpu.cfs_period_us", "%d", RUNTIME_CPU_PERIOD_USEC);
  put(out, &n, "cpu", "cpu.cfs_quota_us", "%lld", (long long)(r->cpu_quota > 0 ? r->cpu_quota : -1));
  put(out, &n, "memory", "memory.limit_in_bytes", "%lld",
      (long long)(r->memory_limit > 0 ? r->memory_limit : -1));
  if (r->pids_limit > 0)
    put(out, &n, "pids", "pids.max", "%lld", (long long)r->pids_limit);
  else
    put(out, &n, "pids", "pids.max", "max");
  return n;
}

int64_t runtime_cgroup_parse_oom_kills(const char *text) {
  for (const char *p = text; p && *p;) {
    if (startswith(p, "oom_kill "))
      return strtoll(p + 9, NULL, 10);
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  return 0;
}

/* ---- the host ---- */

bool runtime_cgroup_unified(void) {
  return access(CGROUP_ROOT "/cgroup.controllers", F_OK) == 0;
}

static int write_str(const char *path, const char *value) {
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = write(fd, value, strlen(value));
  return n < 0 ? -errno : 0;
}

static const char *const v1_controllers[] = {"cpu", "memory", "pids"};

/* The v2 controllers wanted, enabled in every cgroup from the root down to dir's parent. */
static void v2_enable(const char *cgroup) {
  write_str(CGROUP_ROOT "/cgroup.subtree_control", "+cpu +memory +pids");
  _cleanup_free_ char *p = xstrdup(cgroup);
  for (char *s = p; (s = strchr(s + 1, '/'));) {
    *s = 0;
    _cleanup_free_ char *f = xasprintf(CGROUP_ROOT "%s/cgroup.subtree_control", p);
    write_str(f, "+cpu +memory +pids");
    *s = '/';
  }
  _cleanup_free_ char *f = xasprintf(CGROUP_ROOT "%s/cgroup.subtree_control", p);
  write_str(f, "+cpu +memory +pids");
}

int runtime_pod_cgroup_ensure(const char *uid, const char *qos, json_t *pod, int64_t pod_max_pids,
                              Error *err) {
  RuntimePodResources r;
  runtime_pod_resources(pod, qos, pod_max_pids, &r);
  _cleanup_free_ char *name = runtime_pod_cgroup_name(uid, qos);
  bool v2 = runtime_cgroup_unified();
  if (v2) {
    _cleanup_free_ char *dir = xasprintf(CGROUP_ROOT "%s", name);
    if (mkdir_p(dir, 0755) < 0)
      return error_set(err, -errno, NULL, "creating the pod cgroup %s: %s", dir, strerror(errno));
    v2_enable(name);
  } else {
    for (size_t i = 0; i < ELEMENTSOF(v1_controllers); i++) {
      _cleanup_free_ char *dir = xasprintf(CGROUP_ROOT "/%s%s", v1_controllers[i], name);
      if (mkdir_p(dir, 0755) < 0)
        return error_set(err, -errno, NULL, "creating the pod cgroup %s: %s", dir, strerror(errno));
    }
    /* The kubelet gives the BestEffort class the smallest weight. */
    write_str(CGROUP_ROOT "/cpu" RUNTIME_CGROUP_BESTEFFORT "/cpu.shares", "2");
  }
  RuntimeCgroupWrite w[RUNTIME_CGROUP_MAX_WRITES];
  size_t n = runtime_cgroup_writes(&r, v2, w);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *f = w[i].controller
                                 ? xasprintf(CGROUP_ROOT "/%s%s/%s", w[i].controller, name, w[i].file)
                                 : xasprintf(CGROUP_ROOT "%s/%s", name, w[i].file);
    int rc = write_str(f, w[i].value);
    if (rc < 0)
      return error_set(err, rc, NULL, "setting %s to %s: %s", f, w[i].value, strerror(-rc));
  }
  if (!v2 && streq_ptr(qos, "Burstable"))
    runtime_cgroup_update_qos();
  return 0;
}

void runtime_cgroup_update_qos(void) {
  if (runtime_cgroup_unified())
    return;
  const char *dir = CGROUP_ROOT "/cpu" RUNTIME_CGROUP_BURSTABLE;
  DIR *d = opendir(dir);
  if (!d)
    return;
  uint64_t sum = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_type != DT_DIR || !startswith(e->d_name, "pod"))
      continue;
    _cleanup_free_ char *f = xasprintf("%s/%s/cpu.shares", dir, e->d_name), *v = NULL;
    if (read_file(f, &v, NULL) == 0)
      sum += strtoull(v, NULL, 10);
  }
  closedir(d);
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)MAX(sum, RUNTIME_MIN_SHARES));
  _cleanup_free_ char *f = xasprintf("%s/cpu.shares", dir);
  write_str(f, buf);
}

int64_t runtime_cgroup_oom_kills(const char *cgroup) {
  _cleanup_free_ char *p = runtime_cgroup_unified()
                               ? xasprintf(CGROUP_ROOT "%s/memory.events", cgroup)
                               : xasprintf(CGROUP_ROOT "/memory%s/memory.oom_control", cgroup);
  _cleanup_free_ char *d = NULL;
  if (read_file(p, &d, NULL) < 0)
    return 0;
  return runtime_cgroup_parse_oom_kills(d);
}
