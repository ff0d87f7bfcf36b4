/* The Endpoints and EndpointSlice controllers (one work queue keyed by Service): for every Service with a
 * selector, the pods it selects that have an IP become addresses — ready ones in `addresses`, the others in
 * `notReadyAddresses` (Endpoints) or with conditions.ready=false (EndpointSlice, which also keeps
 * terminating pods with terminating=true, as Kubernetes does). Target ports are resolved per pod, by
 * number or by container port name, so pods that name a port differently land in different subsets /
 * slices. A pod's readiness change queues its Services at once: the informer event is the only latency.
 * Services without a selector are left alone (their Endpoints are the user's). */
#include <errno.h>

#include "controllers/controllers-internal.h"

#define COMPONENT "endpoint-controller"
#define SLICE_MANAGED_BY "endpointslice-controller.k8s.io"
#define SLICE_MAX_ENDPOINTS 100 /* kube-controller-manager's --max-endpoints-per-slice default */

typedef struct EpState {
  CtrlController *c;
  Informer *svcs, *pods, *eps, *slices;
} EpState;

/* ---- computation ---- */

/* Resolves svc port sp for pod: the container port named by targetPort, or its number. -1 if unresolved. */
static int64_t resolve_port(json_t *sp, json_t *pod) {
  json_t *tp = json_object_get(sp, "targetPort");
  if (json_is_integer(tp))
    return json_integer_value(tp);
  const char *name = json_string_value(tp);
  if (isempty(name))
    return jint(sp, "port", -1);
  char *end;
  long n = strtol(name, &end, 10);
  if (!*end)
    return n;
  const char *proto = jstr(sp, "protocol") ?: "TCP";
  size_t i, k;
  json_t *c, *p;
  json_array_foreach(jpath(pod, "spec.containers"), i, c) {
    json_array_foreach(json_object_get(c, "ports"), k, p) {
      if (streq_ptr(jstr(p, "name"), name) && streq(jstr(p, "protocol") ?: "TCP", proto))
        return jint(p, "containerPort", -1);
    }
  }
  return -1;
}

/* The ports of svc as pod serves them; slice_form keeps empty names (EndpointSlice) or drops them. */
static json_t *pod_ports(json_t *svc, json_t *pod, bool slice_form) {
  json_t *out = json_array();
  size_t i;
  json_t *sp;
  json_array_foreach(jpath(svc, "spec.ports"), i, sp) {
    int64_t port = resolve_port(sp, pod);
    if (port <= 0)
      continue;
    json_t *p = json_object();
    const char *name = jstr(sp, "name");
    if (slice_form || !isempty(name))
      json_object_set_new(p, "name", json_string(name ? name : ""));
    json_object_set_new(p, "port", json_integer(port));
    json_object_set_new(p, "protocol", json_string(jstr(sp, "protocol") ?: "TCP"));
    const char *ap = jstr(sp, "appProtocol");
    if (ap)
      json_object_set_new(p, "appProtocol", json_string(ap));
    json_array_append_new(out, p);
  }
  return out;
}

static bool pod_eligible(json_t *pod) {
  const char *phase = jstr(pod, "status.phase");
  const char *ip = jstr(pod, "status.podIP");
  return !isempty(ip) && !streq_ptr(phase, "Succeeded") && !streq_ptr(phase, "Failed");
}

static json_t *target_ref(json_t *pod) {
  return json_pack("{s:s,s:s,s:s,s:s}", "kind", "Pod", "namespace", jstr(pod, "metadata.namespace"), "name",
                   jstr(pod, "metadata.name"), "uid", jstr(pod, "metadata.uid"));
}

static int cmp_ip(const void *pa, const void *pb) {
  json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
  const char *x = jstr(a, "ip") ?: json_string_value(json_array_get(json_object_get(a, "addresses"), 0));
  const char *y = jstr(b, "ip") ?: json_string_value(json_array_get(json_object_get(b, "addresses"), 0));
  return strcmp(x ?: "", y ?: "");
}

static void sort_by_ip(json_t *arr) {
  size_t n = json_array_size(arr);
  if (n < 2)
    return;
  json_t **v = xcalloc(n, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = json_incref(json_array_get(arr, i));
  qsort(v, n, sizeof *v, cmp_ip);
  json_array_clear(arr);
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, v[i]);
  free(v);
}

json_t *endpoints_compute_subsets(json_t *svc, json_t *pods) {
  bool publish = json_is_true(jpath(svc, "spec.publishNotReadyAddresses"));
  bool has_ports = json_array_size(jpath(svc, "spec.ports")) > 0;
  _cleanup_json_ json_t *groups = json_object(); /* ports JSON → subset */
  json_t *order = json_array();
  size_t i;
  json_t *pod;
  json_array_foreach(pods, i, pod) {
    if (!pod_eligible(pod) || (ctrl_is_deleting(pod) && !publish))
      continue;
    _cleanup_json_ json_t *ports = pod_ports(svc, pod, false);
    if (has_ports && json_array_size(ports) == 0)
      continue;
    _cleanup_free_ char *key = json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *sub = json_object_get(groups, key);
    if (!sub) {
      sub = json_pack("{s:[],s:[]}", "addresses", "notReadyAddresses");
      if (has_ports)
        json_object_set(sub, "ports", ports);
      json_object_set_new(groups, key, sub);
      json_array_append(order, sub);
    }
    json_t *addr = json_pack("{s:s}", "ip", jstr(pod, "status.podIP"));
    const char *host = jstr(pod, "spec.hostname");
    if (!isempty(host) && streq_ptr(jstr(pod, "spec.subdomain"), jstr(svc, "metadata.name")))
      json_object_set_new(addr, "hostname", json_string(host));
    const char *node = jstr(pod, "spec.nodeName");
    if (!isempty(node))
      json_object_set_new(addr, "nodeName", json_string(node));
    json_object_set_new(addr, "targetRef", target_ref(pod));
    bool ready = publish || ctrl_pod_is_ready(pod);
    json_array_append_new(json_object_get(sub, ready ? "addresses" : "notReadyAddresses"), addr);
  }
  json_array_foreach(order, i, pod) {
    json_t *sub = pod;
    sort_by_ip(json_object_get(sub, "addresses"));
    sort_by_ip(json_object_get(sub, "notReadyAddresses"));
    /* Empty lists are left out, as Kubernetes' omitempty does. */
    if (!json_array_size(json_object_get(sub, "addresses")))
      json_object_del(sub, "addresses");
    if (!json_array_size(json_object_get(sub, "notReadyAddresses")))
      json_object_del(sub, "notReadyAddresses");
  }
  return order;
}

json_t *endpoints_compute_slices(json_t *svc, json_t *pods) {
  bool publish = json_is_true(jpath(svc, "spec.publishNotReadyAddresses"));
  bool has_ports = json_array_size(jpath(svc, "spec.ports")) > 0;
  _cleanup_json_ json_t *groups = json_object();
  _cleanup_json_ json_t *order = json_array();
  size_t i;
  json_t *pod;
  json_array_foreach(pods, i, pod) {
    const char *ip = jstr(pod, "status.podIP");
    if (!pod_eligible(pod) || strchr(ip, ':')) /* IPv4 slices only */
      continue;
    _cleanup_json_ json_t *ports = pod_ports(svc, pod, true);
    if (has_ports && json_array_size(ports) == 0)
      continue;
    _cleanup_free_ char *key = json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *g = json_object_get(groups, key);
    if (!g) {
      g = json_pack("{s:O,s:[]}", "ports", ports, "endpoints");
      json_object_set_new(groups, key, g);
      json_array_append(order, g);
    }
    bool ready = ctrl_pod_is_ready(pod), terminating = ctrl_is_deleting(pod);
    json_t *ep = json_pack("{s:[s],s:{s:b,s:b,s:b}}", "addresses", ip, "conditions", "ready",
                           publish || (ready && !terminating), "serving", publish || ready, "terminating",
                           terminating);
    const char *node = jstr(pod, "spec.nodeName");
    if (!isempty(node))
      json_object_set_new(ep, "nodeName", json_string(node));
    json_object_set_new(ep, "targetRef", target_ref(pod));
    json_array_append_new(json_object_get(g, "endpoints"), ep);
  }
  json_t *out = json_array();
  json_t *g;
  json_array_foreach(order, i, g) {
    json_t *eps = json_object_get(g, "endpoints");
    sort_by_ip(eps);
    size_t n = json_array_size(eps);
    for (size_t off = 0; off < n; off += SLICE_MAX_ENDPOINTS) {
      json_t *chunk = json_array();
      for (size_t k = off; k < n && k < off + SLICE_MAX_ENDPOINTS; k++)
        json_array_append(chunk, json_array_get(eps, k));
      json_array_append_new(out,
                            json_pack("{s:O,s:o}", "ports", json_object_get(g, "ports"), "endpoints", chunk));
    }
  }
  if (json_array_size(out) == 0)
    json_array_append_new(out, json_pack("{s:[]}", "endpoints")); /* the placeholder slice */
  return out;
}

/* ---- sync ---- */

static LabelSelector *service_selector(json_t *svc) {
  json_t *sel = jpath(svc, "spec.selector");
  if (!json_is_object(sel) || json_object_size(sel) == 0)
    return NULL;
  _cleanup_json_ json_t *ls = json_pack("{s:O}", "matchLabels", sel);
  LabelSelector *s = NULL;
  if (label_selector_from_json(ls, &s, NULL) < 0)
    return NULL;
  return s;
}

static json_t *selected_pods(EpState *s, json_t *svc, LabelSelector *sel) {
  return informer_list_selector(s->pods, jstr(svc, "metadata.namespace"), sel);
}

static json_t *object_labels(json_t *svc, bool slice) {
  json_t *l = json_object();
  json_t *sl = jpath(svc, "metadata.labels");
  if (json_is_object(sl))
    json_object_update(l, sl);
  if (streq_ptr(jstr(svc, "spec.clusterIP"), "None"))
    json_object_set_new(l, "service.kubernetes.io/headless", json_string(""));
  if (slice) {
    json_object_set_new(l, "kubernetes.io/service-name", json_string(jstr(svc, "metadata.name")));
    json_object_set_new(l, "endpointslice.kubernetes.io/managed-by", json_string(SLICE_MANAGED_BY));
  }
  return l;
}

/* Equal, counting a missing or null list as an empty one. */
static bool list_equal(json_t *a, json_t *b) {
  size_t na = json_is_array(a) ? json_array_size(a) : 0, nb = json_is_array(b) ? json_array_size(b) : 0;
  if (na == 0 || nb == 0)
    return na == nb;
  return json_equal(a, b);
}

static bool map_equal(json_t *a, json_t *b) {
  size_t na = json_is_object(a) ? json_object_size(a) : 0, nb = json_is_object(b) ? json_object_size(b) : 0;
  if (na == 0 || nb == 0)
    return na == nb;
  return json_equal(a, b);
}

static int sync_endpoints(EpState *s, json_t *svc, json_t *subsets, Error *err) {
  Client *c = s->c->m->client;
  const char *ns = jstr(svc, "metadata.namespace"), *name = jstr(svc, "metadata.name");
  _cleanup_json_ json_t *labels = object_labels(svc, false);
  _cleanup_json_ json_t *cur = informer_get_by_name(s->eps, ns, name);
  if (cur) {
    if (list_equal(json_object_get(cur, "subsets"), subsets) &&
        map_equal(jpath(cur, "metadata.labels"), labels))
      return 0;
    _cleanup_json_ json_t *upd = json_deep_copy(cur);
    if (json_array_size(subsets))
      json_object_set(upd, "subsets", subsets);
    else
      json_object_del(upd, "subsets");
    json_object_set(jobj(upd, "metadata"), "labels", labels);
    int rc = client_update(c, ctrl_resource(CTRL_ENDPOINTS), NULL, upd, NULL, err);
    return rc == -ENOENT ? -EAGAIN : rc;
  }
  _cleanup_json_ json_t *ep = json_pack("{s:s,s:s,s:{s:s,s:s,s:O}}", "apiVersion", "v1", "kind", "Endpoints",
                                        "metadata", "name", name, "namespace", ns, "labels", labels);
  if (json_array_size(subsets))
    json_object_set(ep, "subsets", subsets);
  return client_create(c, ctrl_resource(CTRL_ENDPOINTS), ns, ep, NULL, err);
}

static int cmp_name(const void *pa, const void *pb) {
  return strcmp(jstr(*(json_t *const *)pa, "metadata.name") ?: "",
                jstr(*(json_t *const *)pb, "metadata.name") ?: "");
}

static int sync_slices(EpState *s, json_t *svc, json_t *want, Error *err) {
  Client *c = s->c->m->client;
  const ApiResource *r = ctrl_resource(CTRL_ENDPOINTSLICES);
  const char *ns = jstr(svc, "metadata.namespace"), *name = jstr(svc, "metadata.name");
  _cleanup_json_ json_t *labels = object_labels(svc, true);
  _cleanup_json_ json_t *all = informer_list_namespace(s->slices, ns);
  size_t n = 0;
  json_t **have = xcalloc(json_array_size(all) + 1, sizeof *have);
  size_t i;
  json_t *sl;
  json_array_foreach(all, i, sl) {
    json_t *l = jpath(sl, "metadata.labels");
    if (streq_ptr(json_string_value(json_object_get(l, "kubernetes.io/service-name")), name) &&
        streq_ptr(json_string_value(json_object_get(l, "endpointslice.kubernetes.io/managed-by")),
                  SLICE_MANAGED_BY))
      have[n++] = sl;
  }
  qsort(have, n, sizeof *have, cmp_name);
  int rc = 0;
  for (i = 0; i < json_array_size(want) && rc >= 0; i++) {
    json_t *w = json_array_get(want, i);
    json_t *ports = json_object_get(w, "ports"), *eps = json_object_get(w, "endpoints");
    if (i < n) {
      json_t *h = have[i];
      if (list_equal(json_object_get(h, "ports"), ports) &&
          list_equal(json_object_get(h, "endpoints"), eps) && map_equal(jpath(h, "metadata.labels"), labels))
        continue;
      _cleanup_json_ json_t *upd = json_deep_copy(h);
      if (ports)
        json_object_set(upd, "ports", ports);
      else
        json_object_del(upd, "ports");
      json_object_set(upd, "endpoints", eps);
      json_object_set(jobj(upd, "metadata"), "labels", labels);
      rc = client_update(c, r, NULL, upd, NULL, err);
      continue;
    }
    _cleanup_free_ char *gen = xasprintf("%s-", name);
    _cleanup_json_ json_t *obj =
        json_pack("{s:s,s:s,s:{s:s,s:s,s:O,s:[o]},s:s,s:O}", "apiVersion", "discovery.k8s.io/v1", "kind",
                  "EndpointSlice", "metadata", "generateName", gen, "namespace", ns, "labels", labels,
                  "ownerReferences", ctrl_new_controller_ref(svc, "v1", "Service"), "addressType", "IPv4",
                  "endpoints", eps);
    if (ports)
      json_object_set(obj, "ports", ports);
    if (streq_ptr(ns, "default") && streq_ptr(name, "kubernetes")) {
      /* Kubernetes names the API server's slice after the Service, without a random suffix. */
      json_t *meta = json_object_get(obj, "metadata");
      json_object_del(meta, "generateName");
      json_object_set_new(meta, "name", json_string("kubernetes"));
    }
    rc = client_create(c, r, ns, obj, NULL, err);
  }
  for (; rc >= 0 && i < n; i++) {
    ClientDeleteOptions o = {.precondition_uid = jstr(have[i], "metadata.uid")};
    rc = client_delete(c, r, ns, jstr(have[i], "metadata.name"), &o, NULL, err);
    if (rc == -ENOENT) {
      error_reset(err);
      rc = 0;
    }
  }
  free(have);
  return rc;
}

static int ep_sync(CtrlController *c, const char *key, Error *err) {
  EpState *s = c->state;
  _cleanup_json_ json_t *svc = informer_get(s->svcs, key);
  if (!svc) {
    _cleanup_free_ char *ns = NULL, *name = NULL;
    informer_split_key(key, &ns, &name);
    _cleanup_json_ json_t *ep = informer_get(s->eps, key);
    if (!ep)
      return 0;
    /* Our Endpoints have no owner reference (as in Kubernetes): delete them with the Service. */
    int rc = client_delete(c->m->client, ctrl_resource(CTRL_ENDPOINTS), ns, name, NULL, NULL, err);
    if (rc == -ENOENT) {
      error_reset(err);
      return 0;
    }
    return rc;
  }
  if (ctrl_is_deleting(svc))
    return 0;
  CtrlManager *m = c->m;
  if (streq(key, "default/kubernetes") && m->apiserver_ip) {
    /* The API server itself is the kubernetes Service's one endpoint. */
    _cleanup_json_ json_t *subsets =
        json_pack("[{s:[{s:s}],s:[{s:s,s:i,s:s}]}]", "addresses", "ip", m->apiserver_ip, "ports", "name",
                  "https", "port", m->apiserver_port, "protocol", "TCP");
    _cleanup_json_ json_t *slices =
        json_pack("[{s:[{s:s,s:i,s:s}],s:[{s:[s],s:{s:b,s:b,s:b}}]}]", "ports", "name", "https", "port",
                  m->apiserver_port, "protocol", "TCP", "endpoints", "addresses", m->apiserver_ip,
                  "conditions", "ready", 1, "serving", 1, "terminating", 0);
    int rc = sync_endpoints(s, svc, subsets, err);
    return rc < 0 ? rc : sync_slices(s, svc, slices, err);
  }
  _cleanup_label_selector_ LabelSelector *sel = service_selector(svc);
  if (!sel)
    return 0;
  _cleanup_json_ json_t *pods = selected_pods(s, svc, sel);
  _cleanup_json_ json_t *subsets = endpoints_compute_subsets(svc, pods);
  int rc = sync_endpoints(s, svc, subsets, err);
  if (rc < 0)
    return rc;
  _cleanup_json_ json_t *slices = endpoints_compute_slices(svc, pods);
  return sync_slices(s, svc, slices, err);
}

/* ---- handlers ---- */

static void enqueue_services_of(EpState *s, json_t *pod) {
  if (!pod)
    return;
  _cleanup_json_ json_t *svcs = informer_list_namespace(s->svcs, jstr(pod, "metadata.namespace"));
  size_t i;
  json_t *svc;
  json_array_foreach(svcs, i, svc) {
    _cleanup_label_selector_ LabelSelector *sel = service_selector(svc);
    if (sel && label_selector_matches(sel, jpath(pod, "metadata.labels")))
      ctrl_enqueue_obj(s->c, svc);
  }
}

static void on_pod_add(json_t *pod, void *ud) {
  enqueue_services_of(ud, pod);
}

static void on_pod_update(json_t *old, json_t *pod, void *ud) {
  EpState *s = ud;
  if (streq_ptr(jstr(old, "metadata.resourceVersion"), jstr(pod, "metadata.resourceVersion")))
    return;
  enqueue_services_of(s, pod);
  if (!json_equal(jpath(old, "metadata.labels"), jpath(pod, "metadata.labels")))
    enqueue_services_of(s, old);
}

static void on_svc(json_t *svc, void *ud) {
  EpState *s = ud;
  ctrl_enqueue_obj(s->c, svc);
}
static void on_svc_update(json_t *old, json_t *svc, void *ud) {
  on_svc(svc, ud);
}

/* Someone changed or removed what we maintain: put it back. */
static void on_ep_change(json_t *ep, void *ud) {
  on_svc(ep, ud); /* the same key as the Service */
}
static void on_ep_update(json_t *old, json_t *ep, void *ud) {
  on_svc(ep, ud);
}

static void on_slice(json_t *sl, void *ud) {
  EpState *s = ud;
  const char *svc =
      json_string_value(json_object_get(jpath(sl, "metadata.labels"), "kubernetes.io/service-name"));
  if (!svc)
    return;
  _cleanup_free_ char *key = xasprintf("%s/%s", jstr(sl, "metadata.namespace"), svc);
  ctrl_enqueue(s->c, key);
}
static void on_slice_update(json_t *old, json_t *sl, void *ud) {
  on_slice(sl, ud);
}

int endpoints_controller_setup(CtrlManager *m, Error *err) {
  EpState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "endpoints", ep_sync, s, free);
  s->svcs = ctrl_informer(m, CTRL_SERVICES);
  s->pods = ctrl_informer(m, CTRL_PODS);
  s->eps = ctrl_informer(m, CTRL_ENDPOINTS);
  s->slices = ctrl_informer(m, CTRL_ENDPOINTSLICES);
  informer_add_handlers(
      s->svcs,
      &(InformerHandlers){.on_add = on_svc, .on_update = on_svc_update, .on_delete = on_svc, .userdata = s});
  informer_add_handlers(
      s->pods, &(InformerHandlers){
                   .on_add = on_pod_add, .on_update = on_pod_update, .on_delete = on_pod_add, .userdata = s});
  informer_add_handlers(
      s->eps, &(InformerHandlers){.on_update = on_ep_update, .on_delete = on_ep_change, .userdata = s});
  informer_add_handlers(
      s->slices, &(InformerHandlers){.on_update = on_slice_update, .on_delete = on_slice, .userdata = s});
  return 0;
}
