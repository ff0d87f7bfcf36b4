/* This machine as a Node: registration (addresses, capacity, nodeInfo, conditions), the Lease in
 * kube-node-lease renewed every 10 s (the heartbeat the node lifecycle controller watches) and the node
 * status written again every minute. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>

#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "base/strv.h"

#define NODE_LEASE_RENEW_SEC 10
#define NODE_STATUS_SEC 60
#define NODE_LEASE_DURATION_SEC 40

static int64_t node_start_time;

char *kubelet_node_ip_pick(const char *route_table, const struct ifaddrs *ifs) {
  char iface[64] = "";
  for (const char *line = route_table; line && *line;) {
    char name[64];
    unsigned long dest;
    if (sscanf(line, "%63s %lx", name, &dest) == 2 && dest == 0) {
      snprintf(iface, sizeof iface, "%s", name);
      break;
    }
    line = strchr(line, '\n');
    line = line ? line + 1 : NULL;
  }
  const char *found = NULL, *any = NULL;
  char found_buf[INET_ADDRSTRLEN], any_buf[INET_ADDRSTRLEN];
  for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK))
      continue;
    const struct in_addr *a = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
    if (!found && iface[0] && streq_ptr(i->ifa_name, iface))
      found = inet_ntop(AF_INET, a, found_buf, sizeof found_buf);
    if (!any)
      any = inet_ntop(AF_INET, a, any_buf, sizeof any_buf);
  }
  return xstrdup(found ? found : any ? any : "127.0.0.1"); /* an isolated namespace has only loopback */
}

char *kubelet_detect_node_ip(void) {
  _cleanup_free_ char *routes = NULL;
  size_t n;
  if (read_file("/proc/net/route", &routes, &n) < 0)
    routes = NULL;
  struct ifaddrs *ifs = NULL;
  if (getifaddrs(&ifs) < 0)
    ifs = NULL;
  char *ip = kubelet_node_ip_pick(routes, ifs);
  if (ifs)
    freeifaddrs(ifs);
  return ip;
}

static char *read_trimmed(const char *path) {
  char *s = NULL;
  if (read_file(path, &s, NULL) < 0)
    return NULL;
  s[strcspn(s, "\n")] = 0;
  return s;
}

static char *os_image(void) {
  _cleanup_free_ char *d = NULL;
  if (read_file("/etc/os-release", &d, NULL) < 0)
    return xstrdup("Linux");
  const char *p = strstr(d, "PRETTY_NAME=");
  if (!p)
    return xstrdup("Linux");
  p += strlen("PRETTY_NAME=");
  if (*p == '"')
    p++;
  return xstrndup(p, strcspn(p, "\"\n"));
}

static const char *go_arch(const char *machine) {
  if (streq(machine, "x86_64"))
    return "amd64";
  if (streq(machine, "aarch64"))
    return "arm64";
  return machine;
}

static json_t *time_now(void) {
  char ts[32];
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
  return json_string(ts);
}

static json_t *node_condition(const char *type, const char *status, const char *reason, const char *message) {
  char ltt[32];
  format_rfc3339(node_start_time, ltt);
  return json_pack("{s:s,s:s,s:o,s:s,s:s,s:s}", "type", type, "status", status, "lastHeartbeatTime",
                   time_now(), "lastTransitionTime", ltt, "reason", reason, "message", message);
}

/* One entry per stored image (grouped by image ID): its names as repository@digest and repository:tag, and
 * its size; largest first, at most KUBELET_NODE_MAX_IMAGES (the kubelet's nodeStatusMaxImages). */
json_t *kubelet_node_images(ImageInfo *const *list, size_t n) {
  _cleanup_json_ json_t *by_id = json_object();
  for (size_t i = 0; i < n; i++) {
    const ImageInfo *img = list[i];
    const char *id = img->config ? img->config : (img->name ? img->name : "");
    json_t *e = json_object_get(by_id, id);
    if (!e) {
      e = json_pack("{s:[],s:I}", "names", "sizeBytes", (json_int_t)img->size);
      json_object_set_new(by_id, id, e);
    }
    json_t *names = json_object_get(e, "names");
    _cleanup_free_ char *by_digest =
        img->repository && img->digest ? xasprintf("%s@%s", img->repository, img->digest) : NULL;
    const char *cand[] = {by_digest, img->name};
    for (size_t c = 0; c < ELEMENTSOF(cand); c++) {
      bool seen = !cand[c];
      size_t j;
      json_t *v;
      json_array_foreach(names, j, v) seen = seen || streq(json_string_value(v), cand[c]);
      if (!seen)
        json_array_append_new(names, json_string(cand[c]));
    }
  }
  json_t *out = json_array();
  const char *id;
  json_t *e;
  json_object_foreach(by_id, id, e) {
    /* insertion sort by size, largest first; ties by first name for a stable order */
    size_t at = json_array_size(out);
    while (at > 0) {
      json_t *prev = json_array_get(out, at - 1);
      int64_t ps = jint(prev, "sizeBytes", 0), es = jint(e, "sizeBytes", 0);
      const char *pn = json_string_value(json_array_get(json_object_get(prev, "names"), 0)) ?: "";
      const char *en = json_string_value(json_array_get(json_object_get(e, "names"), 0)) ?: "";
      if (ps > es || (ps == es && strcmp(pn, en) <= 0))
        break;
      at--;
    }
    json_array_insert(out, at, e);
  }
  while (json_array_size(out) > KUBELET_NODE_MAX_IMAGES)
    json_array_remove(out, json_array_size(out) - 1);
  return out;
}

static json_t *node_status(Kubelet *k) {
  struct utsname u;
  uname(&u);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  long long mem_kib = 0;
  _cleanup_free_ char *meminfo = NULL;
  if (read_file("/proc/meminfo", &meminfo, NULL) == 0) {
    const char *m = strstr(meminfo, "MemTotal:");
    if (m)
      mem_kib = strtoll(m + 9, NULL, 10);
  }
  struct statvfs vfs;
  long long disk_kib = 0;
  if (statvfs(k->opts.data_dir, &vfs) == 0)
    disk_kib = (long long)((unsigned long long)vfs.f_blocks * vfs.f_frsize / 1024);
  char cpu[32], mem[32], disk[32];
  snprintf(cpu, sizeof cpu, "%ld", cpus > 0 ? cpus : 1);
  snprintf(mem, sizeof mem, "%lldKi", mem_kib);
  snprintf(disk, sizeof disk, "%lldKi", disk_kib);
  json_t *capacity =
      json_pack("{s:s,s:s,s:s,s:s}", "cpu", cpu, "memory", mem, "ephemeral-storage", disk, "pods", "110");
  _cleanup_free_ char *machine_id = read_trimmed("/etc/machine-id"),
                      *boot_id = read_trimmed("/proc/sys/kernel/random/boot_id"), *os = os_image();
  _cleanup_free_ char *runtime = xasprintf("runc://%s", k->runc_version ? k->runc_version : "unknown");
  json_t *addresses = json_array();
  _cleanup_strv_free_ char **ips = strv_split(k->node_ip, ',');
  for (char **p = ips; p && *p; p++)
    json_array_append_new(addresses, json_pack("{s:s,s:s}", "type", "InternalIP", "address", *p));
  json_array_append_new(addresses, json_pack("{s:s,s:s}", "type", "Hostname", "address", k->opts.node_name));
  json_t *conditions = json_pack(
      "[o,o,o,o]",
      node_condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                     "kubelet has sufficient memory available"),
      node_condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      node_condition("PIDPressure", "False", "KubeletHasSufficientPID",
                     "kubelet has sufficient PID available"),
      node_condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"));
  ImageInfo **imgs = NULL;
  size_t n_imgs = 0;
  _cleanup_error_ Error ierr = ERROR_INIT;
  json_t *images =
      image_list(k->images, &imgs, &n_imgs, &ierr) >= 0 ? kubelet_node_images(imgs, n_imgs) : json_array();
  image_info_list_free(imgs, n_imgs);
  return json_pack("{s:o,s:o,s:O,s:o,s:o,s:{s:{s:i}},s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}}", "images",
                   images, "capacity", capacity, "allocatable", capacity, "conditions", conditions,
                   "addresses", addresses, "daemonEndpoints", "kubeletEndpoint", "Port", 10250, "nodeInfo",
                   "machineID", machine_id ? machine_id : "", "systemUUID", machine_id ? machine_id : "",
                   "bootID", boot_id ? boot_id : "", "kernelVersion", u.release, "osImage", os,
                   "containerRuntimeVersion", runtime, "kubeletVersion", KUBELET_VERSION, "kubeProxyVersion",
                   KUBELET_VERSION, "operatingSystem", "linux", "architecture", go_arch(u.machine));
}

static int patch_node_status(Kubelet *k, Error *err) {
  _cleanup_json_ json_t *patch = json_pack("{s:o}", "status", node_status(k));
  return client_patch(k->client, api_resource_find("", "v1", "nodes"), NULL, k->opts.node_name, "status",
                      CLIENT_PATCH_MERGE, patch, NULL, err);
}

int kubelet_node_register(Kubelet *k, Error *err) {
  if (!node_start_time)
    node_start_time = (int64_t)(now_realtime_usec() / 1000000u);
  struct utsname u;
  uname(&u);
  const char *n = k->opts.node_name;
  _cleanup_json_ json_t *node = json_pack(
      "{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s,s:s,s:s},s:{s:s}},s:{}}", "apiVersion", "v1", "kind", "Node",
      "metadata", "name", n, "labels", "kubernetes.io/hostname", n, "kubernetes.io/os", "linux",
      "kubernetes.io/arch", go_arch(u.machine), "beta.kubernetes.io/os", "linux", "beta.kubernetes.io/arch",
      go_arch(u.machine), "annotations", "node.alpha.kubernetes.io/ttl", "0", "spec");
  /* With its status, as a kubelet registers: the addresses and capacity are there from the first moment
   * (the node lifecycle and IPAM controllers may act on the node before the status patch below). */
  json_object_set_new(node, "status", node_status(k));
  int rc = client_create(k->client, api_resource_find("", "v1", "nodes"), NULL, node, NULL, err);
  if (rc < 0 && rc != -EEXIST)
    return rc;
  error_reset(err);
  rc = patch_node_status(k, err);
  if (rc >= 0)
    log_info("kubelet", "node=%s ip=%s msg=\"node registered\"", n, k->node_ip);
  return rc;
}

static void renew_lease(Kubelet *k) {
  const ApiResource *r = api_resource_find("coordination.k8s.io", "v1", "leases");
  if (!r)
    return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char micro[64];
  snprintf(micro, sizeof micro, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ts.tv_nsec / 1000) % 1000000);
  _cleanup_error_ Error err = ERROR_INIT;
  _cleanup_json_ json_t *lease = NULL;
  int rc = client_get(k->client, r, "kube-node-lease", k->opts.node_name, &lease, &err);
  if (rc == -ENOENT) {
    error_reset(&err);
    _cleanup_json_ json_t *obj = json_pack(
        "{s:s,s:s,s:{s:s,s:s},s:{s:s,s:i,s:s}}", "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
        "metadata", "name", k->opts.node_name, "namespace", "kube-node-lease", "spec", "holderIdentity",
        k->opts.node_name, "leaseDurationSeconds", NODE_LEASE_DURATION_SEC, "renewTime", micro);
    rc = client_create(k->client, r, "kube-node-lease", obj, NULL, &err);
  } else if (rc >= 0) {
    jset(lease, "spec.renewTime", json_string(micro));
    jset(lease, "spec.holderIdentity", json_string(k->opts.node_name));
    rc = client_update(k->client, r, "kube-node-lease", lease, NULL, &err);
  }
  if (rc < 0)
    log_warn("kubelet", "msg=\"lease renewal failed\" err=\"%s\"", err.message ? err.message : strerror(-rc));
}

void *kubelet_node_thread(void *arg) {
  Kubelet *k = arg;
  uint64_t last_status = now_monotonic_usec(), last_gc = last_status;
  uint64_t gc_period_usec =
      (uint64_t)(k->opts.image_gc_period_sec > 0 ? k->opts.image_gc_period_sec : 300) * 1000000ull;
  bool registered = true;
  pthread_mutex_lock(&k->stop_lock);
  while (!k->stopping) {
    pthread_mutex_unlock(&k->stop_lock);
    _cleanup_error_ Error err = ERROR_INIT;
    if (!registered)
      registered = kubelet_node_register(k, &err) >= 0;
    renew_lease(k);
    if (now_monotonic_usec() - last_status >= NODE_STATUS_SEC * 1000000ull) {
      if (patch_node_status(k, &err) < 0) {
        log_warn("kubelet", "msg=\"node status update failed\" err=\"%s\"", err.message ?: "");
        registered = err.code != -ENOENT; /* the Node was deleted: register again */
      }
      last_status = now_monotonic_usec();
    }
    if (now_monotonic_usec() - last_gc >= gc_period_usec) {
      if (kubelet_image_gc(k) > 0 && patch_node_status(k, &err) < 0) /* status.images at once */
        error_reset(&err);
      last_gc = now_monotonic_usec();
    }
    pthread_mutex_lock(&k->stop_lock);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    /* A short image GC period (tests) wakes the thread as often; the lease is renewed each time. */
    until.tv_sec += (uint64_t)NODE_LEASE_RENEW_SEC * 1000000ull < gc_period_usec
                        ? NODE_LEASE_RENEW_SEC
                        : (time_t)(gc_period_usec / 1000000ull);
    while (!k->stopping && pthread_cond_timedwait(&k->stop_cond, &k->stop_lock, &until) == 0)
      ;
  }
  pthread_mutex_unlock(&k->stop_lock);
  return NULL;
}
