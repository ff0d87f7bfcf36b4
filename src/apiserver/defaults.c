/* Kind-specific preparation of objects on create and update: Kubernetes' defaults (src/api/defaulting.c,
 * the same function the fuzzer drives), what admission adds on create (pod priority and default
 * tolerations, a Job's selector), status reset on create, and the allocations of Service cluster IPs (from
 * --service-cidr, the first address kept for the kubernetes Service) and NodePorts (30000-32767).
 * Allocations are derived from the Services in the watch cache under the server's alloc_lock, so an address
 * is in use exactly as long as a Service holds it and is never handed out twice. */
#include <arpa/inet.h>
#include <errno.h>

#include "api/defaulting.h"
#include "api/jsonutil.h"
#include "apiserver/apiserver-internal.h"
#include "apiserver/storage-admission.h"

bool defaults_has_generation(const ApiResource *r) {
  static const char *const groups[] = {"apps", "batch", "autoscaling", "policy", "networking.k8s.io"};
  for (size_t i = 0; i < ELEMENTSOF(groups); i++)
    if (streq(r->group, groups[i]))
      return !streq(r->resource, "controllerrevisions") && !streq(r->resource, "ingressclasses");
  return false;
}

static void set_default(json_t *o, const char *key, json_t *v) {
  if (!json_object_get(o, key))
    json_object_set_new(o, key, v);
  else
    json_decref(v);
}

static const char *qos_class(json_t *spec) {
  bool any = false, guaranteed = true;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, "containers"), i, c) {
    json_t *req = jpath(c, "resources.requests"), *lim = jpath(c, "resources.limits");
    if (json_object_size(req) || json_object_size(lim))
      any = true;
    const char *res[] = {"cpu", "memory"};
    for (size_t k = 0; k < 2; k++) {
      const char *l = jstr(lim, res[k]);
      const char *q = jstr(req, res[k]);
      if (!l || (q && !streq(q, l)))
        guaranteed = false;
    }
  }
  if (!any)
    return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

static void default_pod(json_t *obj) {
  defaulting_apply("", "Pod", obj);
  json_t *spec = jobj(obj, "spec");
  set_default(spec, "priority", json_integer(0));
  set_default(spec, "preemptionPolicy", json_string("PreemptLowerPriority"));
  /* The DefaultTolerationSeconds admission plugin: 300 s for not-ready and unreachable NoExecute, each
   * added unless the pod already tolerates that taint (a toleration with its key, or no key, and effect
   * NoExecute or none). */
  static const char *const default_tolerated[] = {"node.kubernetes.io/not-ready",
                                                  "node.kubernetes.io/unreachable"};
  for (size_t k = 0; k < ELEMENTSOF(default_tolerated); k++) {
    json_t *tols = json_object_get(spec, "tolerations");
    bool has = false;
    size_t i;
    json_t *t;
    json_array_foreach(tols, i, t) {
      const char *key = jstr(t, "key"), *eff = jstr(t, "effect");
      has |= (isempty(key) || streq(key, default_tolerated[k])) && (isempty(eff) || streq(eff, "NoExecute"));
    }
    if (has)
      continue;
    if (!json_is_array(tols)) {
      tols = json_array();
      json_object_set_new(spec, "tolerations", tols);
    }
    json_array_append_new(tols, json_pack("{s:s,s:s,s:s,s:i}", "key", default_tolerated[k], "operator",
                                          "Exists", "effect", "NoExecute", "tolerationSeconds", 300));
  }
  json_object_set_new(obj, "status", json_pack("{s:s,s:s}", "phase", "Pending", "qosClass", qos_class(spec)));
}

/* Jobs select their pods by their own uid unless the user manages the selector. */
static void job_selector(json_t *obj) {
  json_t *spec = jobj(obj, "spec");
  if (json_is_true(json_object_get(spec, "manualSelector")))
    return;
  const char *uid = jstr(obj, "metadata.uid"), *name = jstr(obj, "metadata.name");
  if (!uid || !name)
    return;
  json_object_set_new(spec, "selector",
                      json_pack("{s:{s:s}}", "matchLabels", "batch.kubernetes.io/controller-uid", uid));
  json_t *labels = jobj(spec, "template.metadata.labels");
  json_object_set_new(labels, "batch.kubernetes.io/controller-uid", json_string(uid));
  json_object_set_new(labels, "batch.kubernetes.io/job-name", json_string(name));
  json_object_set_new(labels, "controller-uid", json_string(uid));
  json_object_set_new(labels, "job-name", json_string(name));
}

/* ---- service allocations ---- */

static int parse_cidr(const char *cidr, uint32_t *net, uint32_t *mask) {
  char ip[64];
  int bits = 0;
  if (sscanf(cidr, "%63[^/]/%d", ip, &bits) != 2 || bits < 8 || bits > 30)
    return -EINVAL;
  struct in_addr a;
  if (inet_pton(AF_INET, ip, &a) != 1)
    return -EINVAL;
  *mask = bits == 32 ? 0xffffffffu : ~((1u << (32 - bits)) - 1);
  *net = ntohl(a.s_addr) & *mask;
  return 0;
}

int apiserver_parse_service_cidr(ApiServer *s, Error *err);
int apiserver_parse_service_cidr(ApiServer *s, Error *err) {
  if (parse_cidr(s->opts.service_cidr, &s->svc_net, &s->svc_mask) < 0)
    return error_set(err, -EINVAL, "--service-cidr", "invalid IPv4 CIDR \"%s\" (prefix length 8-30)",
                     s->opts.service_cidr);
  return 0;
}

static void ip_to_string(uint32_t ip, char buf[static 16]) {
  snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* Collects what Services other than `self` (namespace/name key) hold. */
static void services_in_use(ApiServer *s, const char *self_key, json_t *ips, json_t *ports) {
  const ApiResource *r = api_resource_find("", "v1", "services");
  _cleanup_free_ char *prefix = registry_prefix(r, NULL);
  CacheObj **objs;
  size_t n;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, NULL);
  for (size_t i = 0; i < n; i++) {
    if (self_key && streq(objs[i]->key, self_key))
      continue;
    const char *ip = jstr(objs[i]->obj, "spec.clusterIP");
    if (ip && strcmp(ip, "None") != 0)
      json_object_set_new(ips, ip, json_true());
    size_t k;
    json_t *p;
    json_array_foreach(jpath(objs[i]->obj, "spec.ports"), k, p) {
      int64_t np = jint(p, "nodePort", 0);
      if (np) {
        char b[16];
        snprintf(b, sizeof b, "%lld", (long long)np);
        json_object_set_new(ports, b, json_true());
      }
    }
  }
  watch_cache_list_free(objs, n);
}

static int allocate_service(ApiServer *s, json_t *obj, json_t *old, Error *err) {
  json_t *spec = jobj(obj, "spec");
  const char *type = jstr(spec, "type");
  _cleanup_json_ json_t *ips = json_object(), *ports = json_object();
  _cleanup_free_ char *self = NULL;
  if (old)
    self = registry_key(api_resource_find("", "v1", "services"), jstr(old, "metadata.namespace"),
                        jstr(old, "metadata.name"));
  services_in_use(s, self, ips, ports);
  /* The cluster DNS address is reserved for the kube-dns Service. */
  const char *dns = s->opts.cluster_dns;

  if (!streq_ptr(type, "ExternalName")) {
    const char *ip = jstr(spec, "clusterIP");
    if (isempty(ip)) {
      uint32_t size = ~s->svc_mask + 1u;
      uint8_t rnd[4];
      random_bytes(rnd, 4);
      uint32_t start =
          ((uint32_t)rnd[0] << 24 | (uint32_t)rnd[1] << 16 | (uint32_t)rnd[2] << 8 | rnd[3]) % size;
      char buf[16];
      bool found = false;
      for (uint32_t k = 0; k < size; k++) {
        uint32_t off = (start + k) % size;
        if (off <= 1 || off == size - 1) /* network, kubernetes Service, broadcast */
          continue;
        ip_to_string(s->svc_net + off, buf);
        if (json_object_get(ips, buf) || streq_ptr(buf, dns))
          continue;
        found = true;
        break;
      }
      if (!found)
        return error_setk(err, -ENOSPC, 500, "InternalError",
                          "failed to allocate a serviceIP: range is full");
      json_object_set_new(spec, "clusterIP", json_string(buf));
    } else if (!streq(ip, "None")) {
      struct in_addr a;
      if (inet_pton(AF_INET, ip, &a) != 1) {
        error_add_cause(
            err, "FieldValueInvalid", "spec.clusterIPs[0]",
            "Invalid value: \"%s\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)", ip);
        return -EINVAL;
      }
      uint32_t h = ntohl(a.s_addr);
      if ((h & s->svc_mask) != s->svc_net) {
        error_add_cause(
            err, "FieldValueInvalid", "spec.clusterIPs",
            "Invalid value: []string{\"%s\"}: failed to allocate IP %s: the provided IP (%s) is not in "
            "the valid range. The range of valid IPs is %s",
            ip, ip, ip, s->opts.service_cidr);
        return -EINVAL;
      }
      if (json_object_get(ips, ip)) {
        error_add_cause(
            err, "FieldValueInvalid", "spec.clusterIPs",
            "Invalid value: []string{\"%s\"}: failed to allocate IP %s: provided IP is already allocated", ip,
            ip);
        return -EINVAL;
      }
    }
    const char *cip = jstr(spec, "clusterIP");
    json_object_set_new(spec, "clusterIPs", json_pack("[s]", cip));
    set_default(spec, "ipFamilies", json_pack("[s]", "IPv4"));
    set_default(spec, "ipFamilyPolicy", json_string("SingleStack"));
    set_default(spec, "internalTrafficPolicy", json_string("Cluster"));
  }

  bool node_ports = streq_ptr(type, "NodePort") || streq_ptr(type, "LoadBalancer");
  if (node_ports)
    set_default(spec, "externalTrafficPolicy", json_string("Cluster"));
  if (streq_ptr(type, "LoadBalancer"))
    set_default(spec, "allocateLoadBalancerNodePorts", json_true());
  /* allocateLoadBalancerNodePorts: false: only nodePorts the user gives are kept (and checked). */
  bool allocate = !(streq_ptr(type, "LoadBalancer") &&
                    json_is_false(json_object_get(spec, "allocateLoadBalancerNodePorts")));
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(spec, "ports"), i, p) {
    if (!json_is_object(p))
      continue;
    if (!node_ports) {
      json_object_del(p, "nodePort");
      continue;
    }
    int64_t np = jint(p, "nodePort", 0);
    if (np == 0 && old && allocate) {
      /* Keep the port an update left out, as Kubernetes does when the port number matches. */
      size_t k;
      json_t *op;
      json_array_foreach(jpath(old, "spec.ports"), k,
                         op) if (jint(op, "port", -1) == jint(p, "port", -2) &&
                                 streq_ptr(jstr(op, "protocol"), jstr(p, "protocol"))) np =
          jint(op, "nodePort", 0);
    }
    char b[16];
    if (np) {
      snprintf(b, sizeof b, "%lld", (long long)np);
      _cleanup_free_ char *field = xasprintf("spec.ports[%zu].nodePort", i);
      if (np < 30000 || np > 32767) {
        error_add_cause(
            err, "FieldValueInvalid", field,
            "Invalid value: %lld: provided port is not in the valid range. The range of valid ports "
            "is 30000-32767",
            (long long)np);
        return -EINVAL;
      }
      if (json_object_get(ports, b)) {
        error_add_cause(err, "FieldValueInvalid", field,
                        "Invalid value: %lld: provided port is already allocated", (long long)np);
        return -EINVAL;
      }
    } else if (!allocate) {
      json_object_del(p, "nodePort");
      continue;
    } else {
      uint8_t rnd[2];
      random_bytes(rnd, 2);
      int start = ((rnd[0] << 8) | rnd[1]) % 2768;
      for (int k = 0; k < 2768 && !np; k++) {
        int cand = 30000 + (start + k) % 2768;
        snprintf(b, sizeof b, "%d", cand);
        if (!json_object_get(ports, b))
          np = cand;
      }
      if (!np)
        return error_setk(err, -ENOSPC, 500, "InternalError", "failed to allocate a nodePort: range is full");
    }
    json_object_set_new(p, "nodePort", json_integer(np));
    json_object_set_new(ports, b, json_true()); /* two ports of one Service never share a node port */
  }
  return 0;
}

static bool is(const ApiResource *r, const char *group, const char *resource) {
  return streq(r->group, group) && streq(r->resource, resource);
}

/* The Priority admission plugin: at most one PriorityClass is the global default. */
static int one_default_priority_class(ApiServer *s, const ApiResource *r, json_t *obj, Error *err) {
  if (!json_is_true(json_object_get(obj, "globalDefault")))
    return 0;
  _cleanup_free_ char *prefix = registry_prefix(r, NULL);
  CacheObj **objs;
  size_t n;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, NULL);
  const char *name = jstr(obj, "metadata.name"), *other = NULL;
  _cleanup_free_ char *taken = NULL;
  for (size_t i = 0; i < n && !other; i++)
    if (json_is_true(json_object_get(objs[i]->obj, "globalDefault")) &&
        !streq_ptr(jstr(objs[i]->obj, "metadata.name"), name))
      other = taken = xstrdup(jstr(objs[i]->obj, "metadata.name") ?: "");
  watch_cache_list_free(objs, n);
  if (!other)
    return 0;
  return error_setk(
      err, -EPERM, 403, "Forbidden",
      "priorityclasses.scheduling.k8s.io \"%s\" is forbidden: PriorityClass %s is already marked as "
      "default. Only one default can exist",
      name ?: "", other);
}

int defaults_on_create(ApiServer *s, const ApiResource *r, json_t *obj, Error *err) {
  if (is(r, "", "namespaces")) {
    json_object_set_new(jobj(obj, "spec"), "finalizers", json_pack("[s]", "kubernetes"));
    json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
    /* Kubernetes labels every namespace with its own name. */
    json_object_set_new(jobj(obj, "metadata.labels"), "kubernetes.io/metadata.name",
                        json_string(jstr(obj, "metadata.name")));
    return 0;
  }
  if (is(r, "", "pods")) {
    default_pod(obj);
    return 0;
  }
  /* A new object starts without status; the defaults may give it one (a PVC's phase Pending). */
  if (api_subresource_find(r, "status"))
    json_object_set_new(obj, "status", json_object());
  defaulting_apply(r->group, r->kind, obj);
  storage_admit_create(s, r, obj); /* storage-admission.c: default StorageClass, protection finalizers */
  if (is(r, "", "services")) {
    json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
    return allocate_service(s, obj, NULL, err);
  }
  if (is(r, "batch", "jobs"))
    job_selector(obj);
  if (is(r, "scheduling.k8s.io", "priorityclasses"))
    return one_default_priority_class(s, r, obj, err);
  return 0;
}

int defaults_on_update(ApiServer *s, const ApiResource *r, json_t *obj, json_t *old, const char *sub,
                       Error *err) {
  if (sub)
    return 0;
  if (is(r, "", "namespaces")) {
    json_object_set_new(jobj(obj, "metadata.labels"), "kubernetes.io/metadata.name",
                        json_string(jstr(old, "metadata.name")));
    return 0;
  }
  defaulting_apply(r->group, r->kind, obj);
  if (is(r, "scheduling.k8s.io", "priorityclasses"))
    return one_default_priority_class(s, r, obj, err);
  if (is(r, "", "services")) {
    json_t *spec = jobj(obj, "spec");
    const char *oip = jstr(old, "spec.clusterIP"), *ip = jstr(spec, "clusterIP");
    bool ext = streq_ptr(jstr(spec, "type"), "ExternalName");
    if (!ext && isempty(ip) && oip)
      json_object_set_new(spec, "clusterIP", json_string(oip));
    else if (!ext && oip && ip && !streq(ip, oip) && !streq_ptr(jstr(old, "spec.type"), "ExternalName")) {
      error_add_cause(err, "FieldValueInvalid", "spec.clusterIPs[0]",
                      "Invalid value: []string{\"%s\"}: may not change once set", ip);
      return -EINVAL;
    }
    pthread_mutex_lock(&s->alloc_lock);
    int rc = allocate_service(s, obj, old, err);
    pthread_mutex_unlock(&s->alloc_lock);
    return rc;
  }
  return 0;
}
