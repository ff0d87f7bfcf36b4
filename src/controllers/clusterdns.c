/* The cluster DNS endpoints controller of clusterdns.h. Ports are the DNS ones only (53/UDP, 53/TCP): the
 * Service's metrics port has no server behind it, so no endpoint claims it. */
#include <arpa/inet.h>
#include <errno.h>

#include "controllers/clusterdns.h"

#define COMPONENT "clusterdns-controller"
#define KEY CLUSTERDNS_NAMESPACE "/" CLUSTERDNS_SERVICE

typedef struct DnsState {
  CtrlController *c;
  Informer *nodes, *svcs, *eps, *slices;
} DnsState;

static bool node_ready(json_t *node) {
  size_t i;
  json_t *cond;
  json_array_foreach(jpath(node, "status.conditions"), i, cond) {
    if (streq_ptr(jstr(cond, "type"), "Ready"))
      return streq_ptr(jstr(cond, "status"), "True");
  }
  return false;
}

static int cmp_ip(const void *a, const void *b) {
  struct in_addr x, y;
  inet_pton(AF_INET, jstr(*(json_t *const *)a, "ip"), &x);
  inet_pton(AF_INET, jstr(*(json_t *const *)b, "ip"), &y);
  uint32_t hx = ntohl(x.s_addr), hy = ntohl(y.s_addr);
  return hx < hy ? -1 : hx > hy;
}

json_t *clusterdns_node_addresses(json_t *nodes) {
  size_t n = json_array_size(nodes), k = 0;
  json_t **list = xcalloc(n ? n : 1, sizeof *list);
  size_t i, j;
  json_t *node, *addr;
  json_array_foreach(nodes, i, node) {
    if (!node_ready(node) || jpath(node, "metadata.deletionTimestamp"))
      continue;
    json_array_foreach(jpath(node, "status.addresses"), j, addr) {
      struct in_addr a;
      const char *ip = jstr(addr, "address");
      if (!streq_ptr(jstr(addr, "type"), "InternalIP") || !ip || inet_pton(AF_INET, ip, &a) != 1)
        continue;
      list[k++] = json_pack("{s:s,s:s}", "ip", ip, "nodeName", jstr(node, "metadata.name") ?: "");
      break;
    }
  }
  qsort(list, k, sizeof *list, cmp_ip);
  json_t *out = json_array();
  for (i = 0; i < k; i++)
    json_array_append_new(out, list[i]);
  free(list);
  return out;
}

static json_t *dns_ports(void) {
  return json_pack("[{s:s,s:i,s:s},{s:s,s:i,s:s}]", "name", "dns", "port", 53, "protocol", "UDP", "name",
                   "dns-tcp", "port", 53, "protocol", "TCP");
}

static json_t *svc_labels(json_t *svc, bool slice) {
  json_t *l = json_object();
  json_t *sl = jpath(svc, "metadata.labels");
  if (json_is_object(sl))
    json_object_update(l, sl);
  if (slice) {
    json_object_set_new(l, "kubernetes.io/service-name", json_string(CLUSTERDNS_SERVICE));
    json_object_set_new(l, "endpointslice.kubernetes.io/managed-by", json_string(CLUSTERDNS_MANAGED_BY));
  }
  return l;
}

/* Equal label maps, a missing one counting as empty. */
static bool labels_equal(json_t *a, json_t *b) {
  size_t na = json_is_object(a) ? json_object_size(a) : 0, nb = json_is_object(b) ? json_object_size(b) : 0;
  return na == 0 || nb == 0 ? na == nb : json_equal(a, b);
}

static int sync_endpoints(DnsState *s, json_t *svc, json_t *addrs, Error *err) {
  Client *c = s->c->m->client;
  _cleanup_json_ json_t *subsets = json_array();
  if (json_array_size(addrs))
    json_array_append_new(subsets, json_pack("{s:O,s:o}", "addresses", addrs, "ports", dns_ports()));
  _cleanup_json_ json_t *labels = svc_labels(svc, false);
  _cleanup_json_ json_t *cur = informer_get_by_name(s->eps, CLUSTERDNS_NAMESPACE, CLUSTERDNS_SERVICE);
  if (cur) {
    json_t *have = json_object_get(cur, "subsets");
    bool same_subsets =
        json_array_size(subsets) == 0 ? json_array_size(have) == 0 : json_equal(have, subsets);
    if (same_subsets && labels_equal(jpath(cur, "metadata.labels"), labels))
      return 0;
    _cleanup_json_ json_t *upd = json_deep_copy(cur);
    if (json_array_size(subsets))
      json_object_set(upd, "subsets", subsets);
    else
      json_object_del(upd, "subsets");
    json_object_set(json_object_get(upd, "metadata"), "labels", labels);
    int rc = client_update(c, ctrl_resource(CTRL_ENDPOINTS), NULL, upd, NULL, err);
    return rc == -ENOENT ? -EAGAIN : rc;
  }
  _cleanup_json_ json_t *ep =
      json_pack("{s:s,s:s,s:{s:s,s:s,s:O}}", "apiVersion", "v1", "kind", "Endpoints", "metadata", "name",
                CLUSTERDNS_SERVICE, "namespace", CLUSTERDNS_NAMESPACE, "labels", labels);
  if (json_array_size(subsets))
    json_object_set(ep, "subsets", subsets);
  return client_create(c, ctrl_resource(CTRL_ENDPOINTS), CLUSTERDNS_NAMESPACE, ep, NULL, err);
}

static int sync_slice(DnsState *s, json_t *svc, json_t *addrs, Error *err) {
  Client *c = s->c->m->client;
  _cleanup_json_ json_t *eps = json_array();
  size_t i;
  json_t *a;
  json_array_foreach(addrs, i, a) {
    json_array_append_new(eps, json_pack("{s:[s],s:{s:b,s:b,s:b},s:s}", "addresses", jstr(a, "ip"),
                                         "conditions", "ready", 1, "serving", 1, "terminating", 0, "nodeName",
                                         jstr(a, "nodeName")));
  }
  _cleanup_json_ json_t *ports = dns_ports(), *labels = svc_labels(svc, true);
  _cleanup_json_ json_t *cur = informer_get_by_name(s->slices, CLUSTERDNS_NAMESPACE, CLUSTERDNS_SERVICE);
  if (cur) {
    json_t *have = json_object_get(cur, "endpoints");
    bool same = (json_array_size(eps) == 0 ? json_array_size(have) == 0 : json_equal(have, eps)) &&
                json_equal(json_object_get(cur, "ports"), ports) &&
                labels_equal(jpath(cur, "metadata.labels"), labels);
    if (same)
      return 0;
    _cleanup_json_ json_t *upd = json_deep_copy(cur);
    json_object_set(upd, "endpoints", eps);
    json_object_set(upd, "ports", ports);
    json_object_set(json_object_get(upd, "metadata"), "labels", labels);
    int rc = client_update(c, ctrl_resource(CTRL_ENDPOINTSLICES), NULL, upd, NULL, err);
    return rc == -ENOENT ? -EAGAIN : rc;
  }
  _cleanup_json_ json_t *obj =
      json_pack("{s:s,s:s,s:{s:s,s:s,s:O,s:[o]},s:s,s:O,s:O}", "apiVersion", "discovery.k8s.io/v1", "kind",
                "EndpointSlice", "metadata", "name", CLUSTERDNS_SERVICE, "namespace", CLUSTERDNS_NAMESPACE,
                "labels", labels, "ownerReferences", ctrl_new_controller_ref(svc, "v1", "Service"),
                "addressType", "IPv4", "endpoints", eps, "ports", ports);
  return client_create(c, ctrl_resource(CTRL_ENDPOINTSLICES), CLUSTERDNS_NAMESPACE, obj, NULL, err);
}

static int dns_sync(CtrlController *c, const char *key, Error *err) {
  DnsState *s = c->state;
  _cleanup_json_ json_t *svc = informer_get(s->svcs, KEY);
  if (!svc || ctrl_is_deleting(svc))
    return 0; /* the API server puts it back within seconds, and queues us through the informer */
  _cleanup_json_ json_t *nodes = informer_list(s->nodes);
  _cleanup_json_ json_t *addrs = clusterdns_node_addresses(nodes);
  int rc = sync_endpoints(s, svc, addrs, err);
  if (rc < 0)
    return rc;
  return sync_slice(s, svc, addrs, err);
}

static void poke(DnsState *s) {
  ctrl_enqueue(s->c, KEY);
}

static bool is_ours(json_t *obj) {
  return streq_ptr(jstr(obj, "metadata.namespace"), CLUSTERDNS_NAMESPACE) &&
         streq_ptr(jstr(obj, "metadata.name"), CLUSTERDNS_SERVICE);
}

static bool arrays_equal(json_t *a, json_t *b) {
  return a && b ? json_equal(a, b) : a == b;
}

static void on_node(json_t *obj, void *ud) {
  poke(ud);
}
static void on_node_update(json_t *old, json_t *obj, void *ud) {
  /* Heartbeats change only timestamps: look only when readiness or addresses moved. */
  if (node_ready(old) != node_ready(obj) ||
      !arrays_equal(jpath(old, "status.addresses"), jpath(obj, "status.addresses")))
    poke(ud);
}
static void on_obj(json_t *obj, void *ud) {
  if (is_ours(obj))
    poke(ud);
}
static void on_obj_update(json_t *old, json_t *obj, void *ud) {
  on_obj(obj, ud);
}

int clusterdns_controller_setup(CtrlManager *m, Error *err) {
  DnsState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "clusterdns", dns_sync, s, free);
  s->nodes = ctrl_informer(m, CTRL_NODES);
  s->svcs = ctrl_informer(m, CTRL_SERVICES);
  s->eps = ctrl_informer(m, CTRL_ENDPOINTS);
  s->slices = ctrl_informer(m, CTRL_ENDPOINTSLICES);
  informer_add_handlers(
      s->nodes, &(InformerHandlers){
                    .on_add = on_node, .on_update = on_node_update, .on_delete = on_node, .userdata = s});
  InformerHandlers h = {.on_add = on_obj, .on_update = on_obj_update, .on_delete = on_obj, .userdata = s};
  informer_add_handlers(s->svcs, &h);
  informer_add_handlers(s->eps, &h);
  informer_add_handlers(s->slices, &h);
  return 0;
}
