/* The service proxy's rule generator: Services + EndpointSlices + this node's pods → a model of the
 * `ip coracle` table, and model → model diffs as nft commands (see rules.h).
 *
 * Packet path (all in table ip coracle; only the first packet of a connection walks it, conntrack carries the
 * rest):
 *   nat prerouting (dstnat) and nat output (-100) jump to `services`, which looks up daddr.proto.port in
 *     no-endpoint-services (a Service address with no usable endpoint: rejected at once, TCP reset, else ICMP
 *     port unreachable), service-ips (cluster IPs, externalIPs, load-balancer IPs) and hostports-ip, then,
 *     for local destinations only (one fib lookup), proto.port in no-endpoint-nodeports, service-nodeports
 *     and hostports;
 *   svc-* (cluster IP) chains mark connections from outside the pod network for masquerading, ext-*
 *     (NodePort, externalIP, LoadBalancer) chains mark everything unless externalTrafficPolicy is Local;
 *     both pick an endpoint with `numgen random` (after the ClientIP affinity sets, when enabled);
 *   ep-* chains mark hairpin connections (a pod reaching itself) and DNAT to the endpoint;
 *   nat postrouting (srcnat): masquerade what is marked, 127/8 sources that were DNATed (NodePort on
 *     127.0.0.1, with route_localnet), and pod traffic leaving the cluster CIDR. */
#include <stdio.h>
#include <string.h>

#include "agent/proxy/rules.h"
#include "api/jsonutil.h"
#include "base/buf.h"
#include "base/util.h"

#define AFFINITY_DEFAULT_SEC 10800 /* Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds */

/* ---- names ---- */

static uint32_t fnv1a(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 16777619u;
  }
  return h;
}

/* prefix-HASH-base: the hash keeps names unique whatever base looks like, base keeps them readable. */
static char *obj_name(const char *prefix, const char *base) {
  return xasprintf("%s-%08X-%s", prefix, fnv1a(base), base);
}

static void lower_proto(const char *p, char out[static 8]) {
  if (streq_ptr(p, "UDP"))
    strcpy(out, "udp");
  else if (streq_ptr(p, "SCTP"))
    strcpy(out, "sctp");
  else
    strcpy(out, "tcp");
}

/* ---- model building ---- */

typedef struct Model {
  json_t *root, *chains, *sets, *maps, *udp;
} Model;

static void model_init(Model *m) {
  m->root = json_object();
  m->chains = json_object();
  m->sets = json_object();
  m->maps = json_object();
  json_object_set(m->root, "chains", m->chains);
  json_object_set(m->root, "sets", m->sets);
  json_object_set(m->root, "maps", m->maps);
  m->udp = json_object();
  json_object_set(m->root, "udp-flows", m->udp);
  static const char *const maps[] = {"service-ips",           "service-nodeports", "no-endpoint-services",
                                     "no-endpoint-nodeports", "hostports",         "hostports-ip"};
  for (size_t i = 0; i < ELEMENTSOF(maps); i++)
    json_object_set_new(m->maps, maps[i], json_object());
}

static json_t *model_take(Model *m) {
  json_decref(m->chains);
  json_decref(m->sets);
  json_decref(m->maps);
  json_decref(m->udp);
  return m->root;
}

static void add_chain(Model *m, const char *name, Buf *rules) {
  /* Drop the trailing newline so that stored text compares equal whatever built it. */
  if (rules->len && rules->data[rules->len - 1] == '\n')
    rules->data[--rules->len] = 0;
  json_object_set_new(m->chains, name, json_string(rules->len ? rules->data : ""));
}

/* First writer wins: two Services claiming one address and port get a deterministic owner (inputs are
 * sorted by key). */
static void add_element(Model *m, const char *map, const char *key, const char *verdict) {
  json_t *mp = json_object_get(m->maps, map);
  if (!json_object_get(mp, key))
    json_object_set_new(mp, key, json_string(verdict));
}

/* ---- endpoints ---- */

typedef struct Endpoint {
  char ip[16];
  int port;
  bool local;
  bool ready, serving, terminating;
} Endpoint;

typedef struct EndpointList {
  Endpoint *v;
  size_t n, cap;
} EndpointList;

static bool cond(json_t *ep, const char *name, bool def) {
  json_t *c = json_object_get(json_object_get(ep, "conditions"), name);
  return json_is_boolean(c) ? json_is_true(c) : def;
}

static int cmp_endpoint(const void *a, const void *b) {
  const Endpoint *x = a, *y = b;
  int c = strcmp(x->ip, y->ip);
  return c ? c : x->port - y->port;
}

static bool valid_ipv4(const char *s) {
  unsigned a, b, c, d;
  char tail;
  return s && strlen(s) < 16 && sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 &&
         b < 256 && c < 256 && d < 256;
}

/* The endpoints of Service port (name, protocol) in the slices of ns/svc, deduplicated and sorted. */
static void collect_endpoints(json_t *slices, const char *ns, const char *svc, const char *pname,
                              const char *proto, const char *node, EndpointList *out) {
  size_t i;
  json_t *sl;
  json_array_foreach(slices, i, sl) {
    if (!streq_ptr(jstr(sl, "metadata.namespace"), ns) ||
        !streq_ptr(
            json_string_value(json_object_get(jpath(sl, "metadata.labels"), "kubernetes.io/service-name")),
            svc) ||
        !streq_ptr(jstr(sl, "addressType") ?: "IPv4", "IPv4"))
      continue;
    int port = -1;
    size_t k;
    json_t *p;
    json_array_foreach(json_object_get(sl, "ports"), k, p) {
      if (streq(jstr(p, "name") ?: "", pname) && streq(jstr(p, "protocol") ?: "TCP", proto)) {
        port = (int)jint(p, "port", -1);
        break;
      }
    }
    if (port <= 0 || port > 65535)
      continue;
    json_t *ep;
    json_array_foreach(json_object_get(sl, "endpoints"), k, ep) {
      const char *ip = json_string_value(json_array_get(json_object_get(ep, "addresses"), 0));
      if (!valid_ipv4(ip))
        continue;
      if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 8;
        out->v = xrealloc(out->v, out->cap * sizeof *out->v);
      }
      Endpoint *e = &out->v[out->n++];
      *e = (Endpoint){.port = port};
      snprintf(e->ip, sizeof e->ip, "%s", ip);
      /* Kubernetes: a missing ready condition means ready; serving defaults to ready. */
      e->ready = cond(ep, "ready", true);
      e->serving = cond(ep, "serving", e->ready);
      e->terminating = cond(ep, "terminating", false);
      e->local = node && streq_ptr(jstr(ep, "nodeName"), node);
    }
  }
  if (out->n > 1)
    qsort(out->v, out->n, sizeof *out->v, cmp_endpoint);
  size_t w = 0;
  for (size_t r = 0; r < out->n; r++) {
    if (w > 0 && cmp_endpoint(&out->v[w - 1], &out->v[r]) == 0) {
      Endpoint *prev = &out->v[w - 1]; /* the same address in two slices: the most ready view wins */
      prev->ready |= out->v[r].ready;
      prev->serving |= out->v[r].serving;
      prev->terminating &= out->v[r].terminating;
      continue;
    }
    out->v[w++] = out->v[r];
  }
  out->n = w;
}

/* Ready endpoints; when none is ready, the serving terminating ones (kube-proxy's fallback, so that a
 * rolling restart of the last pod does not drop connections). */
static void usable(const EndpointList *all, bool local_only, EndpointList *out) {
  bool any_ready = false;
  for (size_t i = 0; i < all->n; i++)
    any_ready |= all->v[i].ready && (!local_only || all->v[i].local);
  out->v = xcalloc(all->n + 1, sizeof *out->v);
  out->n = 0;
  for (size_t i = 0; i < all->n; i++) {
    const Endpoint *e = &all->v[i];
    if (local_only && !e->local)
      continue;
    if (any_ready ? e->ready : (e->serving && e->terminating))
      out->v[out->n++] = *e;
  }
}

/* ---- per Service port ---- */

typedef struct SvcPort {
  const char *ns, *name, *pname, *proto; /* proto as in the API: TCP, UDP, SCTP */
  char nproto[8];                        /* nft: tcp, udp, sctp */
  char *base;                            /* "ns/name/proto/portname" */
  int affinity_sec;                      /* 0 = none */
} SvcPort;

static char *ep_chain(const SvcPort *sp, const Endpoint *e) {
  _cleanup_free_ char *b = xasprintf("%s__%s/%d", sp->base, e->ip, e->port);
  return obj_name("ep", b);
}

static char *aff_set(const SvcPort *sp, const Endpoint *e) {
  /* The timeout is part of the name: a changed timeout makes a new set instead of changing one in use. */
  _cleanup_free_ char *b = xasprintf("%s__%s/%d/%d", sp->base, e->ip, e->port, sp->affinity_sec);
  return obj_name("aff", b);
}

/* Appends the endpoint choice: affinity look-ups, then a random pick; `drop` when there is none. */
static void dispatch(Buf *b, const SvcPort *sp, const EndpointList *eps) {
  if (eps->n == 0) {
    buf_puts(b, "drop\n");
    return;
  }
  if (sp->affinity_sec) {
    for (size_t i = 0; i < eps->n; i++) {
      _cleanup_free_ char *set = aff_set(sp, &eps->v[i]), *ch = ep_chain(sp, &eps->v[i]);
      buf_printf(b, "ip saddr @%s goto %s\n", set, ch);
    }
  }
  buf_printf(b, "numgen random mod %zu vmap { ", eps->n);
  for (size_t i = 0; i < eps->n; i++) {
    _cleanup_free_ char *ch = ep_chain(sp, &eps->v[i]);
    buf_printf(b, "%s%zu : goto %s", i ? ", " : "", i, ch);
  }
  buf_puts(b, " }\n");
}

static void add_endpoint_chains(Model *m, const SvcPort *sp, const EndpointList *eps) {
  for (size_t i = 0; i < eps->n; i++) {
    const Endpoint *e = &eps->v[i];
    _cleanup_free_ char *ch = ep_chain(sp, e);
    _cleanup_buf_ Buf b = BUF_INIT;
    /* Hairpin: a pod reaching itself through the Service needs masquerading (bridge hairpin + DNAT). */
    buf_printf(&b, "ip saddr %s jump mark-for-masquerade\n", e->ip);
    if (sp->affinity_sec) {
      _cleanup_free_ char *set = aff_set(sp, e);
      json_object_set_new(
          m->sets, set,
          json_sprintf("type ipv4_addr; flags dynamic,timeout; timeout %ds;", sp->affinity_sec));
      buf_printf(&b, "update @%s { ip saddr }\n", set);
    }
    buf_printf(&b, "meta l4proto %s dnat to %s:%d\n", sp->nproto, e->ip, e->port);
    add_chain(m, ch, &b);
  }
}

/* UDP: "frontend>endpoint" for every pair a datagram may be DNATed along, so that the proxy can delete the
 * conntrack entries of a pair that goes away (proxy_rules_udp_gone). frontend is "IP:PORT" or "*:NODEPORT".
 */
static void add_udp_flows(Model *m, const SvcPort *sp, const char *frontend, const EndpointList *eps) {
  if (!streq(sp->nproto, "udp"))
    return;
  for (size_t i = 0; i < eps->n; i++) {
    _cleanup_free_ char *key = xasprintf("%s>%s:%d", frontend, eps->v[i].ip, eps->v[i].port);
    json_object_set_new(m->udp, key, json_true());
  }
}

static bool is_local_policy(json_t *svc, const char *field) {
  return streq_ptr(jstr(svc, field), "Local");
}

/* The chains and map elements of a Service port that has endpoints. */
static void program_port(Model *m, const ProxyRulesInput *in, json_t *svc, const SvcPort *spp,
                         const char *cip, int svc_port, int node_port, json_t *ext_ips, bool has_node_port,
                         const EndpointList *cl, const EndpointList *lo) {
  const SvcPort sp = *spp;
  bool has_cip = cip != NULL, has_ext = json_array_size(ext_ips) > 0 || has_node_port;
  size_t i;
  json_t *v;
  add_endpoint_chains(m, &sp, cl);
  _cleanup_free_ char *svc_chain = obj_name("svc", sp.base), *ext_chain = obj_name("ext", sp.base);
  if (has_cip) {
    _cleanup_buf_ Buf b = BUF_INIT;
    /* Connections from outside the pod network (the node itself, other hosts) are masqueraded so that
     * replies come back through this node. */
    if (in->cluster_cidr)
      buf_printf(&b, "ip saddr != %s jump mark-for-masquerade\n", in->cluster_cidr);
    else
      buf_puts(&b, "jump mark-for-masquerade\n");
    dispatch(&b, &sp, is_local_policy(svc, "spec.internalTrafficPolicy") ? lo : cl);
    add_chain(m, svc_chain, &b);
    _cleanup_free_ char *key = xasprintf("%s . %s . %d", cip, sp.nproto, svc_port);
    _cleanup_free_ char *verdict = xasprintf("goto %s", svc_chain);
    add_element(m, "service-ips", key, verdict);
    _cleanup_free_ char *fe = xasprintf("%s:%d", cip, svc_port);
    add_udp_flows(m, &sp, fe, cl);
  }
  if (has_ext) {
    _cleanup_buf_ Buf b = BUF_INIT;
    if (is_local_policy(svc, "spec.externalTrafficPolicy")) {
      /* Local: the client's address is kept and only this node's endpoints answer; pods and the node
       * itself still reach every endpoint, as in kube-proxy. */
      if (has_cip && in->cluster_cidr)
        buf_printf(&b, "ip saddr %s goto %s\n", in->cluster_cidr, svc_chain);
      buf_puts(&b, "fib saddr type local jump mark-for-masquerade\n");
      if (has_cip)
        buf_printf(&b, "fib saddr type local goto %s\n", svc_chain);
      dispatch(&b, &sp, lo);
    } else {
      buf_puts(&b, "jump mark-for-masquerade\n");
      dispatch(&b, &sp, cl);
    }
    add_chain(m, ext_chain, &b);
    _cleanup_free_ char *verdict = xasprintf("goto %s", ext_chain);
    json_array_foreach(ext_ips, i, v) {
      _cleanup_free_ char *key = xasprintf("%s . %s . %d", json_string_value(v), sp.nproto, svc_port);
      add_element(m, "service-ips", key, verdict);
      _cleanup_free_ char *fe = xasprintf("%s:%d", json_string_value(v), svc_port);
      add_udp_flows(m, &sp, fe, cl);
    }
    if (has_node_port) {
      _cleanup_free_ char *key = xasprintf("%s . %d", sp.nproto, node_port);
      add_element(m, "service-nodeports", key, verdict);
      _cleanup_free_ char *fe = xasprintf("*:%d", node_port);
      add_udp_flows(m, &sp, fe, cl);
    }
  }
}

static void service_port(Model *m, const ProxyRulesInput *in, json_t *svc, json_t *port) {
  const char *cip = jstr(svc, "spec.clusterIP");
  bool has_cip = valid_ipv4(cip);
  SvcPort sp = {.ns = jstr(svc, "metadata.namespace"),
                .name = jstr(svc, "metadata.name"),
                .pname = jstr(port, "name") ?: "",
                .proto = jstr(port, "protocol") ?: "TCP"};
  lower_proto(sp.proto, sp.nproto);
  int svc_port = (int)jint(port, "port", 0);
  int node_port = (int)jint(port, "nodePort", 0);
  if (svc_port <= 0 || svc_port > 65535)
    return;
  if (streq_ptr(jstr(svc, "spec.sessionAffinity"), "ClientIP")) {
    int64_t t = jint(svc, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", AFFINITY_DEFAULT_SEC);
    sp.affinity_sec = (int)(t > 0 && t <= 86400 ? t : AFFINITY_DEFAULT_SEC);
  }
  sp.base = xasprintf("%s/%s/%s/%s", sp.ns, sp.name, sp.nproto, sp.pname);

  /* The external addresses: spec.externalIPs and the load balancer's ingress IPs (ServiceLB's node IPs). */
  json_t *ext_ips = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(jpath(svc, "spec.externalIPs"), i, v) {
    if (valid_ipv4(json_string_value(v)))
      json_array_append(ext_ips, v);
  }
  if (streq_ptr(jstr(svc, "spec.type"), "LoadBalancer")) {
    json_array_foreach(jpath(svc, "status.loadBalancer.ingress"), i, v) {
      json_t *ip = json_object_get(v, "ip");
      if (valid_ipv4(json_string_value(ip)))
        json_array_append(ext_ips, ip);
    }
  }
  bool has_node_port =
      node_port > 0 && node_port <= 65535 &&
      (streq_ptr(jstr(svc, "spec.type"), "NodePort") || streq_ptr(jstr(svc, "spec.type"), "LoadBalancer"));

  EndpointList all = {0}, cluster = {0}, local = {0};
  collect_endpoints(in->slices, sp.ns, sp.name, sp.pname, sp.proto, in->node_name, &all);
  usable(&all, false, &cluster);
  usable(&all, true, &local);

  if (cluster.n == 0) {
    /* Nothing can answer: reject at once instead of letting clients time out. */
    if (has_cip) {
      _cleanup_free_ char *key = xasprintf("%s . %s . %d", cip, sp.nproto, svc_port);
      add_element(m, "no-endpoint-services", key, "goto reject-chain");
    }
    json_array_foreach(ext_ips, i, v) {
      _cleanup_free_ char *key = xasprintf("%s . %s . %d", json_string_value(v), sp.nproto, svc_port);
      add_element(m, "no-endpoint-services", key, "goto reject-chain");
    }
    if (has_node_port) {
      _cleanup_free_ char *key = xasprintf("%s . %d", sp.nproto, node_port);
      add_element(m, "no-endpoint-nodeports", key, "goto reject-chain");
    }
  } else {
    program_port(m, in, svc, &sp, has_cip ? cip : NULL, svc_port, node_port, ext_ips, has_node_port, &cluster,
                 &local);
  }
  free(all.v);
  free(cluster.v);
  free(local.v);
  json_decref(ext_ips);
  free(sp.base);
}

/* ---- hostPorts ---- */

static void pod_host_ports(Model *m, json_t *pod) {
  const char *ip = jstr(pod, "status.podIP");
  const char *phase = jstr(pod, "status.phase");
  if (!valid_ipv4(ip) || streq_ptr(phase, "Succeeded") || streq_ptr(phase, "Failed"))
    return;
  size_t i, k;
  json_t *c, *p;
  json_array_foreach(jpath(pod, "spec.containers"), i, c) {
    json_array_foreach(json_object_get(c, "ports"), k, p) {
      int hp = (int)jint(p, "hostPort", 0), cp = (int)jint(p, "containerPort", 0);
      if (hp <= 0 || hp > 65535 || cp <= 0 || cp > 65535)
        continue;
      char proto[8];
      lower_proto(jstr(p, "protocol") ?: "TCP", proto);
      const char *hip = jstr(p, "hostIP");
      bool any = isempty(hip) || streq(hip, "0.0.0.0");
      if (!any && !valid_ipv4(hip))
        continue;
      _cleanup_free_ char *base =
          xasprintf("%s/%s/%s/%d", jstr(pod, "metadata.namespace"), jstr(pod, "metadata.name"), proto, hp);
      _cleanup_free_ char *ch = obj_name("hp", base);
      _cleanup_free_ char *key =
          any ? xasprintf("%s . %d", proto, hp) : xasprintf("%s . %s . %d", hip, proto, hp);
      const char *map = any ? "hostports" : "hostports-ip";
      if (json_object_get(json_object_get(m->maps, map), key))
        continue;
      _cleanup_buf_ Buf b = BUF_INIT;
      buf_printf(&b, "ip saddr %s jump mark-for-masquerade\nmeta l4proto %s dnat to %s:%d\n", ip, proto, ip,
                 cp);
      add_chain(m, ch, &b);
      _cleanup_free_ char *verdict = xasprintf("goto %s", ch);
      add_element(m, map, key, verdict);
    }
  }
}

json_t *proxy_rules_model(const ProxyRulesInput *in) {
  Model m;
  model_init(&m);
  size_t i, k;
  json_t *svc, *port;
  json_array_foreach(in->services, i, svc) {
    const char *type = jstr(svc, "spec.type");
    if (streq_ptr(type, "ExternalName") || json_object_get(svc, "metadata") == NULL ||
        jpath(svc, "metadata.deletionTimestamp"))
      continue;
    json_array_foreach(jpath(svc, "spec.ports"), k, port) service_port(&m, in, svc, port);
  }
  json_t *pod;
  json_array_foreach(in->pods, i, pod) pod_host_ports(&m, pod);
  return model_take(&m);
}

/* ---- UDP flows ---- */

static json_t *section(json_t *model, const char *name);

json_t *proxy_rules_udp_gone(json_t *old, json_t *new_model) {
  json_t *of = section(old, "udp-flows"), *nf = section(new_model, "udp-flows");
  json_t *out = json_array();
  _cleanup_json_ json_t *seen = json_object(); /* frontends of old, then also those already reported */
  const char *key;
  json_t *v;
  json_object_foreach(of, key, v) {
    if (!json_object_get(nf, key))
      json_array_append_new(out, json_pack("{s:s}", "flow", key));
    _cleanup_free_ char *fe = xstrndup(key, strcspn(key, ">"));
    json_object_set_new(seen, fe, json_true());
  }
  /* A frontend that had no endpoint before: datagrams sent to it meanwhile made untranslated entries. */
  json_object_foreach(nf, key, v) {
    _cleanup_free_ char *fe = xstrndup(key, strcspn(key, ">"));
    if (!startswith(fe, "*:") && !json_object_get(seen, fe)) {
      json_object_set_new(seen, fe, json_true());
      json_array_append_new(out, json_pack("{s:s}", "frontend", fe));
    }
  }
  return out;
}

size_t proxy_rules_count_endpoints(json_t *model) {
  size_t n = 0;
  const char *name;
  json_t *v;
  json_object_foreach(json_object_get(model, "chains"), name, v) n += startswith(name, "ep-");
  return n;
}

/* ---- diff ---- */

static json_t *section(json_t *model, const char *name) {
  json_t *s = json_object_get(model, name);
  return json_is_object(s) ? s : NULL;
}

static void emit_rules(Buf *b, const char *chain, const char *rules) {
  const char *p = rules;
  while (*p) {
    size_t n = strcspn(p, "\n");
    if (n)
      buf_printf(b, "add rule ip " PROXY_TABLE " %s %.*s\n", chain, (int)n, p);
    p += n;
    if (*p)
      p++;
  }
}

/* Elements of map in a but not in b (or with another verdict), as one "{ k, k }" or "{ k : v, ... }". */
static void emit_elements(Buf *out, const char *verb, const char *map, json_t *a, json_t *b,
                          bool with_value) {
  _cleanup_buf_ Buf list = BUF_INIT;
  const char *key;
  json_t *v;
  json_object_foreach(a, key, v) {
    json_t *o = json_object_get(b, key);
    if (o && json_equal(o, v))
      continue;
    if (list.len)
      buf_puts(&list, ", ");
    if (with_value)
      buf_printf(&list, "%s : %s", key, json_string_value(v));
    else
      buf_puts(&list, key);
  }
  if (list.len)
    buf_printf(out, "%s element ip " PROXY_TABLE " %s { %s }\n", verb, map, list.data);
}

char *proxy_rules_diff(json_t *old, json_t *new_model) {
  _cleanup_buf_ Buf b = BUF_INIT;
  json_t *oc = section(old, "chains"), *nc = section(new_model, "chains");
  json_t *os = section(old, "sets"), *ns = section(new_model, "sets");
  json_t *om = section(old, "maps"), *nm = section(new_model, "maps");
  const char *name;
  json_t *v;
  /* 1. New sets and chains first, so that every rule and element below can refer to them. */
  json_object_foreach(ns, name, v) {
    if (!json_object_get(os, name))
      buf_printf(&b, "add set ip " PROXY_TABLE " %s { %s }\n", name, json_string_value(v));
  }
  json_object_foreach(nc, name, v) {
    if (!json_object_get(oc, name))
      buf_printf(&b, "add chain ip " PROXY_TABLE " %s\n", name);
  }
  /* 2. Changed chains are flushed and refilled; new ones filled. */
  json_object_foreach(nc, name, v) {
    json_t *o = json_object_get(oc, name);
    if (o && json_equal(o, v))
      continue;
    if (o)
      buf_printf(&b, "flush chain ip " PROXY_TABLE " %s\n", name);
    emit_rules(&b, name, json_string_value(v));
  }
  /* 3. Map elements: stale ones out, then new ones in. */
  json_object_foreach(nm, name, v) {
    emit_elements(&b, "delete", name, json_object_get(om, name), v, false);
    emit_elements(&b, "add", name, v, json_object_get(om, name), true);
  }
  json_object_foreach(om, name, v) {
    if (!json_object_get(nm, name))
      emit_elements(&b, "delete", name, v, NULL, false);
  }
  /* 4. Chains no longer wanted: flushed first (they may jump to each other), then deleted; then their
   * sets, which only they referred to. */
  json_object_foreach(oc, name, v) {
    if (!json_object_get(nc, name))
      buf_printf(&b, "flush chain ip " PROXY_TABLE " %s\n", name);
  }
  json_object_foreach(oc, name, v) {
    if (!json_object_get(nc, name))
      buf_printf(&b, "delete chain ip " PROXY_TABLE " %s\n", name);
  }
  json_object_foreach(os, name, v) {
    if (!json_object_get(ns, name))
      buf_printf(&b, "delete set ip " PROXY_TABLE " %s\n", name);
  }
  return buf_steal(&b, NULL);
}

/* ---- the skeleton ---- */

char *proxy_rules_full(const char *cluster_cidr, json_t *model) {
  _cleanup_buf_ Buf b = BUF_INIT;
  /* "add" makes sure the table exists so that "delete" cannot fail; the whole buffer is one transaction,
   * so packets see either the old table or the new one. */
  buf_puts(&b, "add table ip " PROXY_TABLE "\ndelete table ip " PROXY_TABLE "\n");
  buf_puts(&b, "table ip " PROXY_TABLE " {\n"
               "  comment \"coracle service proxy: managed by the node agent\"\n"
               "  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
               "  map service-nodeports { type inet_proto . inet_service : verdict; }\n"
               "  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
               "  map no-endpoint-nodeports { type inet_proto . inet_service : verdict; }\n"
               "  map hostports { type inet_proto . inet_service : verdict; }\n"
               "  map hostports-ip { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
               "  chain mark-for-masquerade { meta mark set meta mark | " PROXY_MASQ_MARK "; }\n"
               "  chain reject-chain { meta l4proto tcp reject with tcp reset; reject; }\n"
               /* Only a connection's first packet walks a nat chain: established traffic costs no rule
                * here (no filter base chain per packet either). The fib route lookup runs once per new
                * connection, for local destinations only. A Service address or NodePort without endpoints is
                * rejected before any DNAT. */
               "  chain local-ports {\n"
               "    meta l4proto . th dport vmap @no-endpoint-nodeports\n"
               "    meta l4proto . th dport vmap @service-nodeports\n"
               "    meta l4proto . th dport vmap @hostports\n"
               "  }\n"
               "  chain services {\n"
               "    ip daddr . meta l4proto . th dport vmap @no-endpoint-services\n"
               "    ip daddr . meta l4proto . th dport vmap @service-ips\n"
               "    ip daddr . meta l4proto . th dport vmap @hostports-ip\n"
               "    fib daddr type local goto local-ports\n"
               "  }\n"
               "  chain nat-prerouting {\n"
               "    type nat hook prerouting priority dstnat; policy accept;\n"
               "    jump services\n"
               "  }\n"
               "  chain nat-output {\n"
               "    type nat hook output priority -100; policy accept;\n"
               "    jump services\n"
               "  }\n"
               "  chain nat-postrouting {\n"
               "    type nat hook postrouting priority srcnat; policy accept;\n"
               "    meta mark & " PROXY_MASQ_MARK " == " PROXY_MASQ_MARK " masquerade\n"
               "    ip saddr 127.0.0.0/8 ct status dnat masquerade\n");
  if (cluster_cidr)
    buf_printf(&b, "    ip saddr %s ip daddr != { %s, 224.0.0.0/4 } masquerade\n", cluster_cidr,
               cluster_cidr);
  buf_puts(&b, "  }\n}\n");
  _cleanup_free_ char *rest = proxy_rules_diff(NULL, model);
  buf_puts(&b, rest);
  return buf_steal(&b, NULL);
}
