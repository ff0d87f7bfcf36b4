/* Resource usage of this node and its pods, read from cgroups, in the shape of the kubelet's
 * /stats/summary (node, pods, containers; cpu.usageCoreNanoSeconds and memory.workingSetBytes with the
 * time of the reading). The metrics pipeline turns two readings into a rate, as metrics-server does.
 *
 * Where the numbers come from: on hybrid hosts (cgroup v1 controllers each on its own mount, see
 * host-facts) cpuacct.usage under /sys/fs/cgroup/cpuacct and memory.usage_in_bytes minus
 * total_inactive_file under /sys/fs/cgroup/memory; on unified (v2) hosts cpu.stat usage_usec, memory.current
 * minus inactive_file under /sys/fs/cgroup. The working set is cAdvisor's: usage minus inactive file pages,
 * never below zero. Containers live in /coracle/pods/UID/NAME, pods in /coracle/pods/UID (runtime.h). */
#include <errno.h>
#include <time.h>

#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/log.h"

static bool cgroup_v2(void) {
  static int v2 = -1;
  if (v2 < 0) {
    _cleanup_free_ char *ctl = NULL;
    v2 = read_file("/sys/fs/cgroup/cgroup.controllers", &ctl, NULL) == 0 && strstr(ctl, "cpu") &&
         strstr(ctl, "memory");
  }
  return v2 == 1;
}

int kubelet_stats_kv(const char *text, const char *key, uint64_t *ret) {
  size_t kl = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(p + kl + 1, &end, 10);
      if (errno || end == p + kl + 1)
        return -EBADMSG;
      *ret = v;
      return 0;
    }
  }
  return -ENOENT;
}

static int read_u64(const char *path, uint64_t *ret) {
  _cleanup_free_ char *s = NULL;
  int rc = read_file(path, &s, NULL);
  if (rc < 0)
    return rc;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s)
    return -EBADMSG;
  *ret = v;
  return 0;
}

uint64_t kubelet_working_set(uint64_t usage, uint64_t inactive_file) {
  return usage > inactive_file ? usage - inactive_file : 0;
}

int kubelet_stats_read_cgroup(const char *cgroup, KubeletUsage *ret) {
  KubeletUsage u = {0};
  int rc;
  if (cgroup_v2()) {
    _cleanup_free_ char *cpu = xasprintf("/sys/fs/cgroup%s/cpu.stat", cgroup), *text = NULL;
    if ((rc = read_file(cpu, &text, NULL)) < 0)
      return rc;
    uint64_t usec;
    if ((rc = kubelet_stats_kv(text, "usage_usec", &usec)) < 0)
      return rc;
    u.cpu_ns = usec * 1000;
    _cleanup_free_ char *cur = xasprintf("/sys/fs/cgroup%s/memory.current", cgroup),
                        *stat = xasprintf("/sys/fs/cgroup%s/memory.stat", cgroup), *st = NULL;
    uint64_t inactive = 0;
    if (read_u64(cur, &u.mem_usage) == 0) {
      if (read_file(stat, &st, NULL) == 0)
        kubelet_stats_kv(st, "inactive_file", &inactive);
      u.has_memory = true;
    }
    u.working_set = kubelet_working_set(u.mem_usage, inactive);
  } else {
    _cleanup_free_ char *cpu = xasprintf("/sys/fs/cgroup/cpuacct%s/cpuacct.usage", cgroup);
    if ((rc = read_u64(cpu, &u.cpu_ns)) < 0)
      return rc;
    _cleanup_free_ char *use = xasprintf("/sys/fs/cgroup/memory%s/memory.usage_in_bytes", cgroup),
                        *stat = xasprintf("/sys/fs/cgroup/memory%s/memory.stat", cgroup), *st = NULL;
    uint64_t inactive = 0;
    if (read_u64(use, &u.mem_usage) == 0) {
      if (read_file(stat, &st, NULL) == 0)
        kubelet_stats_kv(st, "total_inactive_file", &inactive);
      u.has_memory = true;
    }
    u.working_set = kubelet_working_set(u.mem_usage, inactive);
  }
  u.time_usec = now_realtime_usec();
  *ret = u;
  return 0;
}

void kubelet_stats_format_time(uint64_t usec, char buf[static 48]) {
  char base[32];
  format_rfc3339((int64_t)(usec / 1000000u), base); /* "2026-11-26T14:08:52Z" */
  base[strcspn(base, "Z")] = 0;
  snprintf(buf, 48, "%s.%06uZ", base, (unsigned)(usec % 1000000u));
}

bool kubelet_nanocores(uint64_t t0, uint64_t ns0, uint64_t t1, uint64_t ns1, uint64_t *ret) {
  if (!t0 || t1 <= t0 || ns1 < ns0)
    return false;
  *ret = (uint64_t)((unsigned __int128)(ns1 - ns0) * 1000000u / (t1 - t0));
  return true;
}

/* usageNanoCores needs a previous reading: the last one per cgroup, kept at least RATE_MIN_USEC apart so
 * that frequent requests still measure over a useful window, and forgotten after RATE_FORGET_USEC. */
#define RATE_MIN_USEC (1000000ull)
#define RATE_FORGET_USEC (600ull * 1000000)
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *rate_prev; /* cgroup -> [time_usec, cpu_ns] */

static bool nanocores(const char *cgroup, const KubeletUsage *u, uint64_t *ret) {
  pthread_mutex_lock(&rate_lock);
  if (!rate_prev)
    rate_prev = json_object();
  json_t *prev = json_object_get(rate_prev, cgroup);
  uint64_t t0 = (uint64_t)json_integer_value(json_array_get(prev, 0)),
           ns0 = (uint64_t)json_integer_value(json_array_get(prev, 1));
  bool ok = kubelet_nanocores(t0, ns0, u->time_usec, u->cpu_ns, ret);
  if (!prev || u->time_usec >= t0 + RATE_MIN_USEC || u->cpu_ns < ns0)
    json_object_set_new(rate_prev, cgroup,
                        json_pack("[I,I]", (json_int_t)u->time_usec, (json_int_t)u->cpu_ns));
  pthread_mutex_unlock(&rate_lock);
  return ok;
}

static void forget_old_rates(uint64_t now) {
  pthread_mutex_lock(&rate_lock);
  const char *key;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(rate_prev, tmp, key, v) {
    if ((uint64_t)json_integer_value(json_array_get(v, 0)) + RATE_FORGET_USEC < now)
      json_object_del(rate_prev, key);
  }
  pthread_mutex_unlock(&rate_lock);
}

static json_t *usage_json(const char *cgroup, const KubeletUsage *u, const char *start) {
  char ts[48];
  kubelet_stats_format_time(u->time_usec, ts);
  json_t *o = json_object();
  if (start)
    json_object_set_new(o, "startTime", json_string(start));
  json_t *cpu = json_pack("{s:s,s:I}", "time", ts, "usageCoreNanoSeconds", (json_int_t)u->cpu_ns);
  uint64_t nc;
  if (nanocores(cgroup, u, &nc))
    json_object_set_new(cpu, "usageNanoCores", json_integer((json_int_t)nc));
  json_object_set_new(o, "cpu", cpu);
  if (u->has_memory)
    json_object_set_new(o, "memory",
                        json_pack("{s:s,s:I,s:I}", "time", ts, "usageBytes", (json_int_t)u->mem_usage,
                                  "workingSetBytes", (json_int_t)u->working_set));
  return o;
}

/* The whole machine: the root cgroups on v1; /proc/stat and /proc/meminfo on v2 (the root has no files). */
static int node_usage(KubeletUsage *ret) {
  if (!cgroup_v2())
    return kubelet_stats_read_cgroup("", ret);
  KubeletUsage u = {.time_usec = now_realtime_usec()};
  _cleanup_free_ char *stat = NULL, *mem = NULL;
  if (read_file("/proc/stat", &stat, NULL) < 0)
    return -EIO;
  unsigned long long f[8] = {0};
  if (sscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5],
             &f[6], &f[7]) < 4)
    return -EBADMSG;
  long hz = sysconf(_SC_CLK_TCK);
  uint64_t busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  u.cpu_ns = busy * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
  if (read_file("/proc/meminfo", &mem, NULL) == 0) {
    const char *t = strstr(mem, "MemTotal:"), *a = strstr(mem, "MemAvailable:");
    if (t && a) {
      uint64_t total = strtoull(t + 9, NULL, 10) * 1024, avail = strtoull(a + 13, NULL, 10) * 1024;
      u.mem_usage = total - MIN(total, avail);
      u.working_set = u.mem_usage;
      u.has_memory = true;
    }
  }
  *ret = u;
  return 0;
}

/* Container start time from the pod's status (the record the kubelet itself wrote), or NULL. */
static const char *ctr_started_at(json_t *pod, const char *name) {
  size_t i;
  json_t *cs;
  json_array_foreach(jpath(pod, "status.containerStatuses"), i, cs) {
    if (streq_ptr(jstr(cs, "name"), name))
      return jstr(cs, "state.running.startedAt");
  }
  return NULL;
}

json_t *kubelet_stats_summary(Kubelet *k) {
  KubeletUsage nu;
  json_t *node = node_usage(&nu) == 0 ? usage_json("/", &nu, NULL) : json_object();
  forget_old_rates(now_realtime_usec());
  json_object_set_new(node, "nodeName", json_string(k->opts.node_name));
  json_t *pods = json_array();
  /* The pods come from the informer's cache (not the workers' table, which only they may touch); a
   * container whose cgroup does not exist is not running and is left out, as the kubelet does. */
  _cleanup_json_ json_t *list = k->pods ? informer_list(k->pods) : json_array();
  size_t i;
  json_t *pod;
  json_array_foreach(list, i, pod) {
    const char *uid = jstr(pod, "metadata.uid");
    if (!uid)
      continue;
    json_t *ctrs = json_array();
    size_t c;
    json_t *spec;
    json_array_foreach(jpath(pod, "spec.containers"), c, spec) {
      const char *name = jstr(spec, "name");
      const char *started = ctr_started_at(pod, name);
      if (!name || !started)
        continue;
      _cleanup_free_ char *cg = runtime_cgroup_path(uid, name);
      KubeletUsage u;
      if (kubelet_stats_read_cgroup(cg, &u) < 0)
        continue;
      json_t *e = usage_json(cg, &u, started);
      json_object_set_new(e, "name", json_string(name));
      json_array_append_new(ctrs, e);
    }
    if (json_array_size(ctrs) == 0) {
      json_decref(ctrs);
      continue;
    }
    _cleanup_free_ char *pcg = runtime_cgroup_path(uid, NULL);
    KubeletUsage pu;
    const char *st = jstr(pod, "status.startTime");
    json_t *p = kubelet_stats_read_cgroup(pcg, &pu) == 0 ? usage_json(pcg, &pu, st) : json_object();
    json_object_set_new(p, "podRef",
                        json_pack("{s:s,s:s,s:s}", "name", jstr(pod, "metadata.name") ?: "", "namespace",
                                  jstr(pod, "metadata.namespace") ?: "", "uid", uid));
    json_object_set_new(p, "containers", ctrs);
    json_array_append_new(pods, p);
  }
  return json_pack("{s:o,s:o}", "node", node, "pods", pods);
}
