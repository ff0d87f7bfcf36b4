/* ServiceLB (k3s' built-in load balancer, without its per-Service DaemonSet): every node's service proxy
 * already answers a LoadBalancer Service's ports on its own addresses, so the controller only has to
 * publish those addresses. It sets status.loadBalancer.ingress of each type=LoadBalancer Service to the
 * InternalIPs of the Ready nodes (ip entries with ipMode VIP, sorted), which `kubectl get svc` shows as
 * EXTERNAL-IP, and clears it when a Service stops being a LoadBalancer. Services that ask for another
 * implementation through spec.loadBalancerClass are left alone. Keys are Services; a node change queues
 * every LoadBalancer Service. */
#include <errno.h>

#include "controllers/controllers-internal.h"

#define COMPONENT "servicelb-controller"

typedef struct LbState {
  CtrlController *c;
  Informer *svcs, *nodes;
} LbState;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *servicelb_ingress(json_t *nodes) {
  const char **ips = xcalloc(json_array_size(nodes) + 1, sizeof *ips);
  size_t n = 0, i, k;
  json_t *node, *a;
  json_array_foreach(nodes, i, node) {
    json_t *ready = ctrl_condition(node, "status.conditions", "Ready");
    if (!streq_ptr(jstr(ready, "status"), "True") || ctrl_is_deleting(node))
      continue;
    json_array_foreach(jpath(node, "status.addresses"), k, a) {
      const char *ip = jstr(a, "address");
      if (streq_ptr(jstr(a, "type"), "InternalIP") && !isempty(ip) && !strchr(ip, ':')) {
        ips[n++] = ip;
        break;
      }
    }
  }
  qsort(ips, n, sizeof *ips, cmp_str);
  json_t *out = json_array();
  for (i = 0; i < n; i++) {
    if (i > 0 && streq(ips[i], ips[i - 1]))
      continue;
    json_array_append_new(out, json_pack("{s:s,s:s}", "ip", ips[i], "ipMode", "VIP"));
  }
  free(ips);
  return out;
}

static int lb_sync(CtrlController *c, const char *key, Error *err) {
  LbState *s = c->state;
  _cleanup_json_ json_t *svc = informer_get(s->svcs, key);
  if (!svc || ctrl_is_deleting(svc) || !isempty(jstr(svc, "spec.loadBalancerClass")))
    return 0;
  json_t *cur = jpath(svc, "status.loadBalancer.ingress");
  _cleanup_json_ json_t *want = NULL;
  if (streq_ptr(jstr(svc, "spec.type"), "LoadBalancer")) {
    _cleanup_json_ json_t *nodes = informer_list(s->nodes);
    want = servicelb_ingress(nodes);
  } else {
    want = json_array();
  }
  size_t ncur = json_is_array(cur) ? json_array_size(cur) : 0;
  if ((ncur == 0 && json_array_size(want) == 0) || (ncur && json_equal(cur, want)))
    return 0;
  _cleanup_json_ json_t *status = json_deep_copy(json_object_get(svc, "status"));
  if (!json_is_object(status)) {
    json_decref(status);
    status = json_object();
  }
  json_t *lb = jobj(status, "loadBalancer");
  if (json_array_size(want))
    json_object_set(lb, "ingress", want);
  else
    json_object_del(lb, "ingress");
  int rc = ctrl_update_status(c->m->client, ctrl_resource(CTRL_SERVICES), svc, status, err);
  if (rc == -ENOENT) {
    error_reset(err);
    return 0;
  }
  if (rc >= 0)
    log_info(COMPONENT, "service=%s ingress=%zu msg=\"load balancer status updated\"", key,
             json_array_size(want));
  return rc;
}

static void on_svc(json_t *svc, void *ud) {
  LbState *s = ud;
  /* Only LoadBalancers, and former ones that still carry an ingress. */
  if (streq_ptr(jstr(svc, "spec.type"), "LoadBalancer") ||
      json_array_size(jpath(svc, "status.loadBalancer.ingress")))
    ctrl_enqueue_obj(s->c, svc);
}
static void on_svc_update(json_t *old, json_t *svc, void *ud) {
  on_svc(svc, ud);
}

static void on_node(json_t *node, void *ud) {
  LbState *s = ud;
  _cleanup_json_ json_t *svcs = informer_list(s->svcs);
  size_t i;
  json_t *svc;
  json_array_foreach(svcs, i, svc) on_svc(svc, s);
}
static void on_node_update(json_t *old, json_t *node, void *ud) {
  /* Heartbeats change only timestamps: react to readiness and address changes. */
  json_t *a = ctrl_condition(old, "status.conditions", "Ready"),
         *b = ctrl_condition(node, "status.conditions", "Ready");
  if (old && streq_ptr(jstr(a, "status"), jstr(b, "status")) &&
      json_equal(jpath(old, "status.addresses") ?: json_null(),
                 jpath(node, "status.addresses") ?: json_null()) &&
      !ctrl_is_deleting(node))
    return;
  on_node(node, ud);
}

int servicelb_controller_setup(CtrlManager *m, Error *err) {
  LbState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "servicelb", lb_sync, s, free);
  s->svcs = ctrl_informer(m, CTRL_SERVICES);
  s->nodes = ctrl_informer(m, CTRL_NODES);
  informer_add_handlers(s->svcs,
                        &(InformerHandlers){.on_add = on_svc, .on_update = on_svc_update, .userdata = s});
  informer_add_handlers(
      s->nodes, &(InformerHandlers){
                    .on_add = on_node, .on_update = on_node_update, .on_delete = on_node, .userdata = s});
  return 0;
}
